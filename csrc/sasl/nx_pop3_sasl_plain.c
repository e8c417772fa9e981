/* PLAIN (RFC 4616): one response, "\0name\0password", the password in base64
 * only: for a connection under TLS. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL_PLAIN

static UINT sasl_plain_challenge(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length)
{
    (VOID)sasl;
    (VOID)challenge;
    (VOID)length;
    return NX_POP3_INVALID_CHALLENGE; /* the response was the whole exchange */
}

static VOID sasl_plain_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    static const UCHAR separator = 0u;

    /* No authorization identity: the name acts for itself. */
    _nx_pop3_sasl_put(output, &separator, 1u);
    _nx_pop3_sasl_put_text(output, sasl->name);
    _nx_pop3_sasl_put(output, &separator, 1u);
    _nx_pop3_sasl_put(output, sasl->secret, sasl->secret_length);
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_plain =
{
    "PLAIN", NX_POP3_SASL_PLAIN, NX_TRUE, sasl_plain_challenge, sasl_plain_respond, NX_NULL
};

#endif
