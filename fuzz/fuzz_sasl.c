/* Fuzz target: the SASL exchange (nx_pop3_client_auth) against server bytes and
 * segment boundaries from the fuzzer: the challenge decoder, each mechanism's
 * reading of its challenges (SCRAM's server-first and server-final above all),
 * the initial-response rule and the cancel path. Every call must return a
 * documented status, leave the documented state behind (logged in only on
 * NX_SUCCESS; still in AUTHORIZATION after a refusal; closed after a violation
 * or an unverified server), and the session must end clean.
 *
 * Input: one byte of flags (bits 0-2: the mechanism, 1..6, 0 taken as SCRAM;
 * bit 3: CAPA first, so that the initial response goes with AUTH), then the
 * format of fuzz_harness.h. SCRAM runs with RFC 7677's nonce and password, so
 * the RFC's exchange is in the seed corpus and the fuzzer mutates around it. */
#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_auth_documented(UINT status)
{
    return fuzz_documented(status) || (status == NX_POP3_INVALID_CHALLENGE) ||
           (status == NX_POP3_SERVER_NOT_VERIFIED) || (status == NX_POP3_MECHANISM_NOT_OFFERED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FUZZ_SESSION session;
    static CHAR name[] = "user";
    static CHAR password[] = "pencil";
    static CHAR nonce[] = "rOprNGfwEbeRWgbNEkqO";
    NXD_ADDRESS server;
    UINT mechanism;
    UINT status;
    UINT state;
    int created;

    if (size < 1u)
    {
        return 0;
    }
    mechanism = data[0] & 7u;
    if ((mechanism == 0u) || (mechanism > NX_POP3_SASL_LAST))
    {
        mechanism = NX_POP3_SASL_SCRAM_SHA_256;
    }
    fuzz_session_start(&session, data + 1, size - 1u);
    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = IP_ADDRESS(127, 0, 0, 1);

    status = nxd_pop3_client_connect(&session.client, &session.ip, &session.pool, &server, 110,
                                     100, 100, NX_NULL);
    FUZZ_CHECK(fuzz_documented(status));
    created = (status == NX_SUCCESS);
    if (created && ((data[0] & 8u) != 0u))
    {
        status = nx_pop3_client_capabilities_get(&session.client, NX_NULL, NX_NULL);
        FUZZ_CHECK(fuzz_documented(status));
    }
    if (created)
    {
        status = nx_pop3_client_auth(&session.client, mechanism, name, password, nonce);
        FUZZ_CHECK(fuzz_auth_documented(status));
        state = session.client.nx_pop3_client_state;
        if (status == NX_SUCCESS)
        {
            FUZZ_CHECK(state == NX_POP3_STATE_TRANSACTION);
        }
        else if ((status == NX_POP3_INVALID_CHALLENGE) || (status == NX_POP3_SERVER_NOT_VERIFIED))
        {
            FUZZ_CHECK(state == NX_POP3_STATE_CLOSED);
        }
        else if (status == NX_POP3_SERVER_ERROR_STATUS)
        {
            FUZZ_CHECK(state == NX_POP3_STATE_AUTHORIZATION);
        }
        /* Whatever the state, the next calls answer with documented statuses. */
        FUZZ_CHECK(fuzz_documented(nx_pop3_client_noop(&session.client)));
        FUZZ_CHECK(fuzz_documented(nx_pop3_client_quit(&session.client)));
    }
    fuzz_session_end(&session, created);
    return 0;
}
