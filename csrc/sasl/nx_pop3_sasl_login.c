/* LOGIN (draft-murchison-sasl-login): the server prompts twice, whatever its
 * prompts say; the name, then the password, each in base64 only: for a
 * connection under TLS. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL_LOGIN

static UINT sasl_login_challenge(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length)
{
    (VOID)challenge;
    (VOID)length;
    return (sasl->step < 2u) ? NX_SUCCESS : NX_POP3_INVALID_CHALLENGE;
}

static VOID sasl_login_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    if (sasl->step == 0u)
    {
        _nx_pop3_sasl_put_text(output, sasl->name);
    }
    else
    {
        _nx_pop3_sasl_put(output, sasl->secret, sasl->secret_length);
    }
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_login =
{
    "LOGIN", NX_POP3_SASL_LOGIN, NX_FALSE, sasl_login_challenge, sasl_login_respond, NX_NULL
};

#endif
