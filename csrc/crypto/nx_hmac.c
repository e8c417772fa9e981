/* HMAC, written from RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), with K
 * the key zero-padded to the hash's 64-byte block (hashed first when longer). */
#include "nx_hmac.h"
#include "nx_crypto_wipe.h"

#define HMAC_BLOCK_SIZE 64u
#define HMAC_IPAD       0x36u
#define HMAC_OPAD       0x5cu

/* Copies key into the block, zero-padded; key_length <= HMAC_BLOCK_SIZE. */
static VOID hmac_key_block(UCHAR block[HMAC_BLOCK_SIZE], const UCHAR *key, ULONG key_length)
{
    ULONG i;

    for (i = 0u; i < HMAC_BLOCK_SIZE; i++)
    {
        block[i] = (i < key_length) ? key[i] : 0u;
    }
}

/* XORs every byte of the block with pad. */
static VOID hmac_block_xor(UCHAR block[HMAC_BLOCK_SIZE], UCHAR pad)
{
    UINT i;

    for (i = 0u; i < HMAC_BLOCK_SIZE; i++)
    {
        block[i] = (UCHAR)(block[i] ^ pad);
    }
}

VOID _nx_hmac_sha256_initialize(NX_HMAC_SHA256 *hmac, const UCHAR *key, ULONG key_length)
{
    UCHAR block[HMAC_BLOCK_SIZE];

    if (key_length > HMAC_BLOCK_SIZE)
    {
        UCHAR hashed[NX_SHA256_DIGEST_SIZE];

        /* The inner context is the scratch for the key's hash (the digest wipes it). */
        _nx_sha256_initialize(&hmac->inner);
        _nx_sha256_update(&hmac->inner, key, key_length);
        _nx_sha256_digest_calculate(&hmac->inner, hashed);
        hmac_key_block(block, hashed, NX_SHA256_DIGEST_SIZE);
        _nx_crypto_wipe(hashed, sizeof(hashed));
    }
    else
    {
        hmac_key_block(block, key, key_length);
    }

    hmac_block_xor(block, HMAC_IPAD);
    _nx_sha256_initialize(&hmac->inner);
    _nx_sha256_update(&hmac->inner, block, HMAC_BLOCK_SIZE);
    hmac_block_xor(block, (UCHAR)(HMAC_IPAD ^ HMAC_OPAD));
    _nx_sha256_initialize(&hmac->outer);
    _nx_sha256_update(&hmac->outer, block, HMAC_BLOCK_SIZE);
    _nx_crypto_wipe(block, sizeof(block));
    _nx_crypto_stack_burn();
}

VOID _nx_hmac_sha256_update(NX_HMAC_SHA256 *hmac, const UCHAR *data, ULONG length)
{
    _nx_sha256_update(&hmac->inner, data, length);
}

VOID _nx_hmac_sha256_digest_calculate(NX_HMAC_SHA256 *hmac, UCHAR digest[32])
{
    UCHAR inner[NX_SHA256_DIGEST_SIZE];

    /* Each digest wipes its own context. */
    _nx_sha256_digest_calculate(&hmac->inner, inner);
    _nx_sha256_update(&hmac->outer, inner, NX_SHA256_DIGEST_SIZE);
    _nx_sha256_digest_calculate(&hmac->outer, digest);
    _nx_crypto_wipe(inner, sizeof(inner));
}

VOID _nx_hmac_sha256(const UCHAR *key, ULONG key_length, const UCHAR *data, ULONG length,
                     UCHAR digest[32])
{
    NX_HMAC_SHA256 hmac;

    _nx_hmac_sha256_initialize(&hmac, key, key_length);
    _nx_hmac_sha256_update(&hmac, data, length);
    _nx_hmac_sha256_digest_calculate(&hmac, digest);
}

VOID _nx_hmac_md5_initialize(NX_HMAC_MD5 *hmac, const UCHAR *key, ULONG key_length)
{
    UCHAR block[HMAC_BLOCK_SIZE];

    if (key_length > HMAC_BLOCK_SIZE)
    {
        UCHAR hashed[16];

        _nx_md5_initialize(&hmac->inner);
        _nx_md5_update(&hmac->inner, key, key_length);
        _nx_md5_digest_calculate(&hmac->inner, hashed);
        hmac_key_block(block, hashed, sizeof(hashed));
        _nx_crypto_wipe(hashed, sizeof(hashed));
    }
    else
    {
        hmac_key_block(block, key, key_length);
    }

    /* MD5's digest leaves the key's last block in inner.block: the 64 bytes of
     * the key block hashed next overwrite it. */
    hmac_block_xor(block, HMAC_IPAD);
    _nx_md5_initialize(&hmac->inner);
    _nx_md5_update(&hmac->inner, block, HMAC_BLOCK_SIZE);
    hmac_block_xor(block, (UCHAR)(HMAC_IPAD ^ HMAC_OPAD));
    _nx_md5_initialize(&hmac->outer);
    _nx_md5_update(&hmac->outer, block, HMAC_BLOCK_SIZE);
    _nx_crypto_wipe(block, sizeof(block));
    _nx_crypto_stack_burn();
}

VOID _nx_hmac_md5_update(NX_HMAC_MD5 *hmac, const UCHAR *data, ULONG length)
{
    _nx_md5_update(&hmac->inner, data, length);
}

VOID _nx_hmac_md5_digest_calculate(NX_HMAC_MD5 *hmac, UCHAR digest[16])
{
    UCHAR inner[16];

    _nx_md5_digest_calculate(&hmac->inner, inner);
    _nx_md5_update(&hmac->outer, inner, sizeof(inner));
    _nx_md5_digest_calculate(&hmac->outer, digest);
    /* MD5's digest leaves its context as it is: both hold keyed state. */
    _nx_crypto_wipe(hmac, sizeof(*hmac));
    _nx_crypto_wipe(inner, sizeof(inner));
}
