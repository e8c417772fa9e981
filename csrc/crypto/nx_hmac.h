/**
 * @file nx_hmac.h
 * @brief HMAC (RFC 2104) with SHA-256 (SCRAM-SHA-256) and MD5 (CRAM-MD5).
 *        Incremental, no heap; the key is hashed first when longer than a block.
 */
#ifndef NX_HMAC_H
#define NX_HMAC_H

#include "nx_api.h"
#include "nx_md5.h"
#include "nx_sha256.h"

/* The hash of (key ^ ipad) and of (key ^ opad), each with its key block already
 * hashed: a keyed context can be copied to compute many MACs under one key. */
typedef struct NX_HMAC_SHA256_STRUCT
{
    NX_SHA256 inner;
    NX_SHA256 outer;
} NX_HMAC_SHA256;

typedef struct NX_HMAC_MD5_STRUCT
{
    NX_MD5 inner;
    NX_MD5 outer;
} NX_HMAC_MD5;

/**
 * @brief Keys an HMAC-SHA-256. The padded key blocks are wiped before return;
 *        the keyed context stands for the key: wipe it (digest_calculate does).
 * @param key the key (NX_NULL only with key_length 0); longer than 64 bytes, its
 *        SHA-256 is the key
 */
VOID _nx_hmac_sha256_initialize(NX_HMAC_SHA256 *hmac, const UCHAR *key, ULONG key_length);
/** @brief Authenticates length more bytes of the message (any split gives the same MAC). */
VOID _nx_hmac_sha256_update(NX_HMAC_SHA256 *hmac, const UCHAR *data, ULONG length);
/** @brief Writes the 32-byte MAC and wipes the context. */
VOID _nx_hmac_sha256_digest_calculate(NX_HMAC_SHA256 *hmac, UCHAR digest[32]);
/** @brief The 32-byte HMAC-SHA-256 of data under key, in one call (nothing left on the stack). */
VOID _nx_hmac_sha256(const UCHAR *key, ULONG key_length, const UCHAR *data, ULONG length,
                     UCHAR digest[32]);

/** @brief Keys an HMAC-MD5, as _nx_hmac_sha256_initialize (a key over 64 bytes is hashed with MD5). */
VOID _nx_hmac_md5_initialize(NX_HMAC_MD5 *hmac, const UCHAR *key, ULONG key_length);
/** @brief Authenticates length more bytes of the message. */
VOID _nx_hmac_md5_update(NX_HMAC_MD5 *hmac, const UCHAR *data, ULONG length);
/** @brief Writes the 16-byte MAC and wipes the context. */
VOID _nx_hmac_md5_digest_calculate(NX_HMAC_MD5 *hmac, UCHAR digest[16]);

#endif /* NX_HMAC_H */
