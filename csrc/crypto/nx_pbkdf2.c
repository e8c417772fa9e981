/* PBKDF2, written from RFC 8018 section 5.2, with HMAC-SHA-256 as the PRF:
 * T_i = U_1 ^ U_2 ^ ... ^ U_c, U_1 = PRF(P, S || INT(i)), U_j = PRF(P, U_{j-1}).
 * The password is hashed into the keyed HMAC once; each U_j starts from a copy
 * of it, so an iteration costs two compressions whatever the password's length. */
#include "nx_pbkdf2.h"
#include "nx_crypto_wipe.h"
#include "nx_hmac.h"

UINT _nx_pbkdf2_hmac_sha256(const UCHAR *password, ULONG password_length, const UCHAR *salt,
                            ULONG salt_length, ULONG iterations, UCHAR *key, ULONG key_length)
{
    NX_HMAC_SHA256 keyed;
    NX_HMAC_SHA256 prf;
    UCHAR u[NX_SHA256_DIGEST_SIZE];
    UCHAR t[NX_SHA256_DIGEST_SIZE];
    UCHAR index_bytes[4];
    ULONG blocks;
    ULONG block;
    ULONG iteration;
    ULONG written = 0u;
    UINT i;

    if ((password == NX_NULL) || (salt == NX_NULL) || (key == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if ((iterations == 0u) || (key_length == 0u))
    {
        return NX_SIZE_ERROR;
    }

    /* At most 2^27 blocks for a 32-bit length, so INT(i) never wraps (the RFC's
     * limit is 2^32 - 1 blocks). */
    blocks = key_length / NX_SHA256_DIGEST_SIZE + (((key_length % NX_SHA256_DIGEST_SIZE) != 0u) ? 1u : 0u);
    _nx_hmac_sha256_initialize(&keyed, password, password_length);

    for (block = 1u; block <= blocks; block++)
    {
        ULONG take = key_length - written;

        index_bytes[0] = (UCHAR)(block >> 24);
        index_bytes[1] = (UCHAR)(block >> 16);
        index_bytes[2] = (UCHAR)(block >> 8);
        index_bytes[3] = (UCHAR)block;
        prf = keyed;
        _nx_hmac_sha256_update(&prf, salt, salt_length);
        _nx_hmac_sha256_update(&prf, index_bytes, sizeof(index_bytes));
        _nx_hmac_sha256_digest_calculate(&prf, u);
        for (i = 0u; i < NX_SHA256_DIGEST_SIZE; i++)
        {
            t[i] = u[i];
        }

        for (iteration = 1u; iteration < iterations; iteration++)
        {
            prf = keyed;
            _nx_hmac_sha256_update(&prf, u, NX_SHA256_DIGEST_SIZE);
            _nx_hmac_sha256_digest_calculate(&prf, u);
            for (i = 0u; i < NX_SHA256_DIGEST_SIZE; i++)
            {
                t[i] = (UCHAR)(t[i] ^ u[i]);
            }
        }

        if (take > NX_SHA256_DIGEST_SIZE)
        {
            take = NX_SHA256_DIGEST_SIZE;
        }
        for (i = 0u; i < take; i++)
        {
            key[written + i] = t[i];
        }
        written += take;
    }

    /* prf is wiped by each digest; keyed is the password in all but name. */
    _nx_crypto_wipe(&keyed, sizeof(keyed));
    _nx_crypto_wipe(&prf, sizeof(prf));
    _nx_crypto_wipe(u, sizeof(u));
    _nx_crypto_wipe(t, sizeof(t));
    _nx_crypto_stack_burn();
    return NX_SUCCESS;
}
