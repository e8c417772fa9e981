/* Fuzz target: a whole session (greeting, login, STAT, LIST, RETR, DELE, NOOP,
 * RSET, QUIT) against server bytes and segment boundaries from the fuzzer.
 * Every call must return a documented status; the session must end clean.
 * Flags: bit 0 APOP; bit 1 the login goes CAPA, STLS, CAPA, then USER/PASS
 * (connect and login apart), as starttls does. */
#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FUZZ_SESSION session;
    NXD_ADDRESS server;
    UINT count = 0u;
    ULONG64 total = 0u;
    ULONG size32 = 0u;
    UINT status;
    UINT flags;
    int created;
    int step;

    if (size < 1u)
    {
        return 0;
    }
    flags = data[0];
    fuzz_session_start(&session, data + 1, size - 1u);
    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = IP_ADDRESS(127, 0, 0, 1);

    if ((flags & 2u) == 0u)
    {
        status = nxd_pop3_client_create_ext(&session.client, flags & 1u, &session.ip,
                                            &session.pool, &server, 110, "fuzz", "secret", 100,
                                            100);
        FUZZ_CHECK(fuzz_documented(status));
        created = (status == NX_SUCCESS);
    }
    else
    {
        status = nxd_pop3_client_connect(&session.client, &session.ip, &session.pool, &server,
                                         110, 100, 100, NX_NULL);
        FUZZ_CHECK(fuzz_documented(status));
        created = (status == NX_SUCCESS);
        /* Each step answers in any state the one before left. */
        for (step = 0; created && (step < 4); step++)
        {
            status = (step == 1) ? nx_pop3_client_stls(&session.client) :
                     (step == 3) ? nx_pop3_client_login(&session.client, NX_NULL, "fuzz",
                                                        "secret") :
                     nx_pop3_client_capabilities_get(&session.client, NX_NULL, NX_NULL);
            FUZZ_CHECK(fuzz_documented(status));
        }
    }

    /* The rest of the session; a failed step does not stop the next ones: the
     * client must answer each call with a documented status in any state. */
    for (step = 0; created && (step < 8); step++)
    {
        switch (step)
        {
        case 0:
            status = nx_pop3_client_mail_items_get64(&session.client, &count, &total);
            break;
        case 1:
            status = nx_pop3_client_mail_item_size_get(&session.client, 1, &size32);
            break;
        case 2:
            status = nx_pop3_client_mail_item_get(&session.client, 1, &size32);
            if (status == NX_SUCCESS)
            {
                UINT final = NX_FALSE;
                int pieces;

                for (pieces = 0; (pieces < 10000) && (final == NX_FALSE); pieces++)
                {
                    NX_PACKET *packet = NX_NULL;
                    ULONG bytes = 0u;

                    status = nx_pop3_client_mail_item_message_get(&session.client, &packet,
                                                                  &bytes, &final);
                    FUZZ_CHECK(fuzz_documented(status));
                    if (status != NX_SUCCESS)
                    {
                        break;
                    }
                    FUZZ_CHECK(bytes == packet->nx_packet_length);
                    FUZZ_CHECK(nx_packet_release(packet) == NX_SUCCESS);
                }
            }
            break;
        case 3:
            status = nx_pop3_client_mail_item_delete(&session.client, 1);
            break;
        case 4:
            status = nx_pop3_client_noop(&session.client);
            break;
        case 5:
            status = nx_pop3_client_reset(&session.client);
            break;
        case 6:
            status = nx_pop3_client_mail_item_size_get(&session.client, 2, &size32);
            break;
        default:
            status = nx_pop3_client_quit(&session.client);
            break;
        }
        FUZZ_CHECK(fuzz_documented(status));
    }
    fuzz_session_end(&session, created);
    return 0;
}
