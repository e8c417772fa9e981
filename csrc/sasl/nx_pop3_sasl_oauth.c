/* The OAuth 2.0 bearer-token mechanisms: XOAUTH2 (as Google and Microsoft
 * define it) and OAUTHBEARER (RFC 7628). One response carries the token; a
 * server that refuses it sends a JSON error as a challenge, which the client
 * answers (XOAUTH2: an empty line; OAUTHBEARER: a single 0x01, RFC 7628 3.2.3)
 * before the -ERR comes. The token is a password for its lifetime: TLS only. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2 || NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER

static const UCHAR oauth_separator = 0x01u;

/* The one challenge after the token is the server's refusal (the exchange
 * cancels any challenge after the refusal has been answered). */
static UINT sasl_oauth_challenge(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length)
{
    (VOID)sasl;
    (VOID)challenge;
    (VOID)length;
    return NX_POP3_SERVER_ERROR_STATUS;
}

/* "auth=Bearer TOKEN" and the two separators that end the message. */
static VOID sasl_oauth_token(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    _nx_pop3_sasl_put_text(output, "auth=Bearer ");
    _nx_pop3_sasl_put(output, sasl->secret, sasl->secret_length);
    _nx_pop3_sasl_put(output, &oauth_separator, 1u);
    _nx_pop3_sasl_put(output, &oauth_separator, 1u);
}

#endif

#if NX_POP3_CLIENT_ENABLE_SASL_XOAUTH2
static VOID sasl_xoauth2_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    if (sasl->step == 0u)
    {
        _nx_pop3_sasl_put_text(output, "user=");
        _nx_pop3_sasl_put_text(output, sasl->name);
        _nx_pop3_sasl_put(output, &oauth_separator, 1u);
        sasl_oauth_token(sasl, output);
    }
    /* After the refusal: an empty response. */
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_xoauth2 =
{
    "XOAUTH2", NX_POP3_SASL_XOAUTH2, NX_TRUE, sasl_oauth_challenge, sasl_xoauth2_respond, NX_NULL
};
#endif

#if NX_POP3_CLIENT_ENABLE_SASL_OAUTHBEARER
static VOID sasl_oauthbearer_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    if (sasl->step == 0u)
    {
        /* gs2-header "n,a=NAME," (no channel binding), then key=value pairs. */
        _nx_pop3_sasl_put_text(output, "n,a=");
        _nx_pop3_sasl_put_saslname(output, sasl->name);
        _nx_pop3_sasl_put(output, ",", 1u);
        _nx_pop3_sasl_put(output, &oauth_separator, 1u);
        sasl_oauth_token(sasl, output);
    }
    else
    {
        _nx_pop3_sasl_put(output, &oauth_separator, 1u); /* the dummy response */
    }
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_oauthbearer =
{
    "OAUTHBEARER", NX_POP3_SASL_OAUTHBEARER, NX_TRUE, sasl_oauth_challenge,
    sasl_oauthbearer_respond, NX_NULL
};
#endif
