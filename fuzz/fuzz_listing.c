/* Fuzz target: the extensions' parsers in a whole session (greeting, login,
 * CAPA, LIST, UIDL, UIDL 1, TOP 1 1, a pipelined batch of RETR 1 and 2, QUIT)
 * against server bytes and segment boundaries from the fuzzer. Every call must
 * return a documented status, every entry handed to a callback must keep the
 * promised form (a message number of at least 1, a uid of 1 to 70 characters
 * 0x21..0x7E, an upper-case capability name), and the session must end clean.
 *
 * Input: the format of fuzz_harness.h. */
#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_capa(VOID *context, const CHAR *name, const CHAR *arguments)
{
    size_t i;

    (VOID)context;
    FUZZ_CHECK(name[0] != '\0');
    for (i = 0u; name[i] != '\0'; i++)
    {
        FUZZ_CHECK((name[i] != ' ') && !((name[i] >= 'a') && (name[i] <= 'z')));
    }
    FUZZ_CHECK(strlen(name) + strlen(arguments) < NX_POP3_MAX_LISTING_LINE);
}

static void fuzz_list(VOID *context, UINT mail_item, ULONG64 size)
{
    (VOID)context;
    (VOID)size;
    FUZZ_CHECK(mail_item >= 1u);
}

static void fuzz_uid_check(const CHAR *uid)
{
    size_t length = strlen(uid);
    size_t i;

    FUZZ_CHECK((length >= 1u) && (length <= NX_POP3_MAX_UID));
    for (i = 0u; i < length; i++)
    {
        FUZZ_CHECK((uid[i] >= 0x21) && (uid[i] <= 0x7E));
    }
}

static void fuzz_uidl(VOID *context, UINT mail_item, const CHAR *uid)
{
    (VOID)context;
    FUZZ_CHECK(mail_item >= 1u);
    fuzz_uid_check(uid);
}

/* Reads a body to its end (or a failure); every status documented. */
static void fuzz_body(NX_POP3_CLIENT *client)
{
    UINT final = NX_FALSE;
    int pieces;

    for (pieces = 0; (pieces < 10000) && (final == NX_FALSE); pieces++)
    {
        NX_PACKET *packet = NX_NULL;
        ULONG bytes = 0u;
        UINT status = nx_pop3_client_mail_item_message_get(client, &packet, &bytes, &final);

        FUZZ_CHECK(fuzz_documented(status));
        if (status != NX_SUCCESS)
        {
            break;
        }
        FUZZ_CHECK(bytes == packet->nx_packet_length);
        FUZZ_CHECK(nx_packet_release(packet) == NX_SUCCESS);
    }
}

static int fuzz_listing_documented(UINT status)
{
    return fuzz_documented(status) || (status == NX_NO_MORE_ENTRIES) ||
           (status == NX_POP3_MAIL_BUFFER_OVERFLOW);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FUZZ_SESSION session;
    static const UINT batch[2] = {1u, 2u};
    NX_POP3_PIPELINE pipeline;
    NXD_ADDRESS server;
    CHAR uid[NX_POP3_MAX_UID + 1u];
    ULONG64 item_size = 0u;
    UINT item = 0u;
    UINT status;
    int created;
    int step;

    fuzz_session_start(&session, data, size);
    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = IP_ADDRESS(127, 0, 0, 1);

    status = nxd_pop3_client_create_ext(&session.client, NX_FALSE, &session.ip, &session.pool,
                                        &server, 110, "fuzz", "secret", 100, 100);
    FUZZ_CHECK(fuzz_documented(status));
    created = (status == NX_SUCCESS);

    /* A failed step does not stop the next: each call must answer with a
     * documented status in any state the last one left. */
    for (step = 0; created && (step < 8); step++)
    {
        switch (step)
        {
        case 0:
            status = nx_pop3_client_capabilities_get(&session.client, fuzz_capa, NX_NULL);
            break;
        case 1:
            status = nx_pop3_client_mail_items_list(&session.client, fuzz_list, NX_NULL);
            break;
        case 2:
            status = nx_pop3_client_mail_items_uidl(&session.client, fuzz_uidl, NX_NULL);
            break;
        case 3:
            status = nx_pop3_client_mail_item_uid_get(&session.client, 1u, uid, sizeof(uid));
            if (status == NX_SUCCESS)
            {
                fuzz_uid_check(uid);
            }
            break;
        case 4:
            status = nx_pop3_client_mail_item_top_get(&session.client, 1u, 1u);
            if (status == NX_SUCCESS)
            {
                fuzz_body(&session.client);
            }
            break;
        case 5:
            status = nx_pop3_client_pipeline_start(&session.client, &pipeline, batch, 2u);
            if (status == NX_SUCCESS)
            {
                int round;

                /* At most one call per message and one to end the batch. */
                for (round = 0; round < 3; round++)
                {
                    status = nx_pop3_client_pipeline_next(&session.client, &item, &item_size);
                    FUZZ_CHECK(fuzz_listing_documented(status));
                    if (status == NX_SUCCESS)
                    {
                        FUZZ_CHECK(item == batch[round]);
                        fuzz_body(&session.client);
                    }
                    else if (status != NX_POP3_SERVER_ERROR_STATUS)
                    {
                        break;
                    }
                }
                /* Whatever happened, the batch is over or the connection is gone. */
                FUZZ_CHECK((session.client.nx_pop3_client_pipeline == NX_NULL) ||
                           (session.client.nx_pop3_client_state != NX_POP3_STATE_TRANSACTION));
            }
            break;
        case 6:
            status = nx_pop3_client_noop(&session.client);
            break;
        default:
            status = nx_pop3_client_quit(&session.client);
            break;
        }
        FUZZ_CHECK(fuzz_listing_documented(status));
    }
    fuzz_session_end(&session, created);
    return 0;
}
