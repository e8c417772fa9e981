/* CRAM-MD5 (RFC 2195): "name digest", the digest HMAC-MD5(password, challenge)
 * in lowercase hex. The password never goes out; a passive attacker can still
 * try passwords against the pair offline. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_sasl.h"

#if NX_POP3_CLIENT_ENABLE_SASL_CRAM_MD5

#include "nx_crypto_wipe.h"
#include "nx_hmac.h"

static UINT sasl_cram_challenge(NX_POP3_SASL *sasl, const UCHAR *challenge, ULONG length)
{
    static const CHAR hex[] = "0123456789abcdef";
    NX_HMAC_MD5 hmac;
    UCHAR digest[16];
    UINT i;

    if ((sasl->step != 0u) || (length == 0u))
    {
        return NX_POP3_INVALID_CHALLENGE; /* one challenge, never empty */
    }
    _nx_hmac_md5_initialize(&hmac, (const UCHAR *)sasl->secret, sasl->secret_length);
    _nx_hmac_md5_update(&hmac, challenge, length);
    _nx_hmac_md5_digest_calculate(&hmac, digest);
    for (i = 0u; i < 16u; i++)
    {
        sasl->cram_digest[2u * i] = hex[digest[i] >> 4];
        sasl->cram_digest[2u * i + 1u] = hex[digest[i] & 0x0Fu];
    }
    sasl->cram_digest[32] = '\0';
    _nx_crypto_wipe(digest, sizeof(digest));
    _nx_crypto_wipe(&hmac, sizeof(hmac));
    return NX_SUCCESS;
}

static VOID sasl_cram_respond(NX_POP3_SASL *sasl, NX_POP3_SASL_OUTPUT *output)
{
    _nx_pop3_sasl_put_text(output, sasl->name);
    _nx_pop3_sasl_put(output, " ", 1u);
    _nx_pop3_sasl_put(output, sasl->cram_digest, 32u);
}

const NX_POP3_SASL_MECHANISM _nx_pop3_sasl_cram_md5 =
{
    "CRAM-MD5", NX_POP3_SASL_CRAM_MD5, NX_FALSE, sasl_cram_challenge, sasl_cram_respond, NX_NULL
};

#endif
