/**
 * @file nx_md5.h
 * @brief MD5 (RFC 1321), only for the APOP digest. Incremental, no heap.
 */
#ifndef NX_MD5_H
#define NX_MD5_H

#include "nx_api.h"

typedef struct NX_MD5_STRUCT
{
    ULONG state[4];
    ULONG64 bit_count;
    UCHAR block[64];
    UINT block_used;
} NX_MD5;

VOID _nx_md5_initialize(NX_MD5 *context);
VOID _nx_md5_update(NX_MD5 *context, const UCHAR *data, ULONG length);
/** Writes the 16-byte digest; the context must be initialized again before reuse. */
VOID _nx_md5_digest_calculate(NX_MD5 *context, UCHAR digest[16]);

#endif /* NX_MD5_H */
