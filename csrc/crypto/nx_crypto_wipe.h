/**
 * @file nx_crypto_wipe.h
 * @brief Zeroing of secrets (keys, padded key blocks, hash states) that the
 *        compiler cannot remove as dead stores.
 */
#ifndef NX_CRYPTO_WIPE_H
#define NX_CRYPTO_WIPE_H

#include "nx_api.h"

/**
 * @brief Writes zero to each of the length bytes at memory, through a volatile
 *        pointer: the stores stay even when the memory is never read again.
 * @param memory the bytes to wipe (NX_NULL only with length 0)
 * @param length how many bytes
 */
VOID _nx_crypto_wipe(VOID *memory, ULONG length);

#endif /* NX_CRYPTO_WIPE_H */
