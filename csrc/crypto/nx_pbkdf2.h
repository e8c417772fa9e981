/**
 * @file nx_pbkdf2.h
 * @brief PBKDF2 (RFC 8018 section 5.2) with HMAC-SHA-256: SCRAM-SHA-256's
 *        salted password. No heap; nothing of the password stays on the stack.
 */
#ifndef NX_PBKDF2_H
#define NX_PBKDF2_H

#include "nx_api.h"

/**
 * @brief Derives key_length bytes from the password and salt with iterations
 *        rounds of HMAC-SHA-256 per 32-byte block.
 * @param password the password (the HMAC key); any length
 * @param salt the salt; any length
 * @param iterations the iteration count c, at least 1 (the time grows with it)
 * @param key where the derived key is written
 * @param key_length bytes to derive, at least 1
 * @return NX_SUCCESS; NX_PTR_ERROR when a pointer is NX_NULL; NX_SIZE_ERROR when
 *         iterations or key_length is 0 (nothing written)
 */
UINT _nx_pbkdf2_hmac_sha256(const UCHAR *password, ULONG password_length, const UCHAR *salt,
                            ULONG salt_length, ULONG iterations, UCHAR *key, ULONG key_length);

#endif /* NX_PBKDF2_H */
