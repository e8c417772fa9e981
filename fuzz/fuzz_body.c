/* Fuzz target: the RETR body. The server logs in and answers RETR normally;
 * the body bytes and their segments come from the fuzzer. The pieces the
 * client hands back must equal a plain line-by-line decoding of the input. */
#include "fuzz_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Records: the greeting, then the answers to USER, PASS and RETR 1. */
static const uint8_t login_script[] = {
    10, '+', 'O', 'K', ' ', 'f', 'u', 'z', 'z', '\r', '\n',
    5, '+', 'O', 'K', '\r', '\n',
    5, '+', 'O', 'K', '\r', '\n',
    5, '+', 'O', 'K', '\r', '\n'
};

/* The message a line-by-line reading of body gives: *done when the ".CRLF"
 * line came. Lines end at CRLF; a line starting with '.' loses that dot. */
static size_t fuzz_oracle(const uint8_t *body, size_t size, uint8_t *out, int *done)
{
    size_t at = 0u;
    size_t written = 0u;

    *done = 0;
    while (at < size)
    {
        size_t end = at;
        size_t start = at;

        while ((end + 1u < size) && !((body[end] == '\r') && (body[end + 1u] == '\n')))
        {
            end++;
        }
        if (end + 1u >= size)
        {
            end = size; /* an unfinished last line */
        }
        else
        {
            end += 2u;  /* with its CRLF */
        }
        if ((end - start == 3u) && (body[start] == '.') && (end <= size) &&
            (body[start + 1u] == '\r') && (body[start + 2u] == '\n'))
        {
            *done = 1;
            break;
        }
        if (body[start] == '.')
        {
            start++;
        }
        memcpy(out + written, body + start, end - start);
        written += end - start;
        at = end;
    }
    return written;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FUZZ_SESSION session;
    static uint8_t script[(1u << 16) + sizeof(login_script)];
    static uint8_t body[1u << 16];
    static uint8_t expected[1u << 16];
    static uint8_t got[1u << 16];
    size_t body_size = 0u;
    size_t got_size = 0u;
    size_t expected_size;
    size_t at;
    NXD_ADDRESS server;
    ULONG item_size;
    UINT final = NX_FALSE;
    UINT status;
    int done;
    int pieces;

    if (size > sizeof(body))
    {
        return 0;
    }
    /* The plain body bytes, for the oracle: the records without their lengths. */
    for (at = 0u; at < size;)
    {
        size_t length = data[at];
        size_t take;

        at++;
        take = (length < size - at) ? length : (size - at);
        memcpy(body + body_size, data + at, take);
        body_size += take;
        at += take;
    }
    expected_size = fuzz_oracle(body, body_size, expected, &done);

    memcpy(script, login_script, sizeof(login_script));
    memcpy(script + sizeof(login_script), data, size);
    fuzz_session_start(&session, script, sizeof(login_script) + size);
    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = IP_ADDRESS(127, 0, 0, 1);

    status = nxd_pop3_client_create_ext(&session.client, NX_FALSE, &session.ip, &session.pool,
                                        &server, 110, "fuzz", "secret", 100, 100);
    FUZZ_CHECK(status == NX_SUCCESS);
    FUZZ_CHECK(nx_pop3_client_mail_item_get(&session.client, 1, &item_size) == NX_SUCCESS);

    for (pieces = 0; (pieces < 100000) && (final == NX_FALSE); pieces++)
    {
        NX_PACKET *packet = NX_NULL;
        ULONG bytes = 0u;

        status = nx_pop3_client_mail_item_message_get(&session.client, &packet, &bytes, &final);
        FUZZ_CHECK(fuzz_documented(status));
        if (status != NX_SUCCESS)
        {
            if (status == NX_NO_PACKET)
            {
                continue; /* a zero-length record: wait again */
            }
            break;
        }
        FUZZ_CHECK(got_size + bytes <= sizeof(got));
        memcpy(got + got_size, packet->nx_packet_prepend_ptr, bytes);
        got_size += bytes;
        FUZZ_CHECK(nx_packet_release(packet) == NX_SUCCESS);
    }

    FUZZ_CHECK((final != 0u) == (done != 0));
    if (final != 0u)
    {
        FUZZ_CHECK(got_size == expected_size);
        FUZZ_CHECK(memcmp(got, expected, got_size) == 0);
    }
    else
    {
        /* Cut short: what came is a prefix of the message (at most one CR held). */
        FUZZ_CHECK(got_size <= expected_size);
        FUZZ_CHECK(memcmp(got, expected, got_size) == 0);
    }
    fuzz_session_end(&session, 1);
    return 0;
}
