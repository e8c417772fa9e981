/**
 * @file nx_crypto_wipe.h
 * @brief Zeroing of secrets (keys, padded key blocks, hash states) that the
 *        compiler cannot remove as dead stores.
 */
#ifndef NX_CRYPTO_WIPE_H
#define NX_CRYPTO_WIPE_H

#include "nx_api.h"

/* Bytes of stack _nx_crypto_stack_burn zeroes below its caller: at least the
 * frame of a compression function with what it calls (SHA-256: 152 bytes with
 * arm-none-eabi-gcc -Os for Cortex-M3, 176 with gcc -O0/-O2 on x86-64; MD5
 * less). 4..4096, a multiple of 4. */
#ifndef NX_CRYPTO_STACK_BURN_BYTES
#define NX_CRYPTO_STACK_BURN_BYTES 256u
#endif

/**
 * @brief Writes zero to each of the length bytes at memory, through a volatile
 *        pointer: the stores stay even when the memory is never read again.
 * @param memory the bytes to wipe (NX_NULL only with length 0)
 * @param length how many bytes
 */
VOID _nx_crypto_wipe(VOID *memory, ULONG length);

/**
 * @brief Zeroes NX_CRYPTO_STACK_BURN_BYTES of stack below the caller's frame:
 *        what the functions it called just left there (registers the compiler
 *        spilled, such as a keyed hash state, that no named buffer holds).
 *        Never inlined, so its frame lies where theirs lay.
 */
VOID _nx_crypto_stack_burn(VOID);

#endif /* NX_CRYPTO_WIPE_H */
