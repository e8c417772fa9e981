/**
 * @file nx_sha256.h
 * @brief SHA-256 (FIPS 180-4) for SCRAM-SHA-256: incremental, no heap.
 */
#ifndef NX_SHA256_H
#define NX_SHA256_H

#include "nx_api.h"

#define NX_SHA256_DIGEST_SIZE 32u /* bytes of a digest */
#define NX_SHA256_BLOCK_SIZE  64u /* bytes the compression function takes at once */

typedef struct NX_SHA256_STRUCT
{
    ULONG state[8];
    ULONG64 bit_count;
    UCHAR block[64];
    UINT block_used;
} NX_SHA256;

/** @brief Starts a digest: the initial hash value of FIPS 180-4 section 5.3.3. */
VOID _nx_sha256_initialize(NX_SHA256 *context);
/**
 * @brief Hashes length more bytes of the message; any split of a message into
 *        updates gives the same digest.
 * @param data the bytes (NX_NULL only with length 0)
 */
VOID _nx_sha256_update(NX_SHA256 *context, const UCHAR *data, ULONG length);
/**
 * @brief Writes the 32-byte digest and wipes the context (initialize it again
 *        before reuse).
 */
VOID _nx_sha256_digest_calculate(NX_SHA256 *context, UCHAR digest[32]);

#endif /* NX_SHA256_H */
