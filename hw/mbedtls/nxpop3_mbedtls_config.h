/**
 * @file nxpop3_mbedtls_config.h
 * @brief Mbed TLS 2.28 configuration for the board (MBEDTLS_CONFIG_FILE): a TLS 1.2
 *        client for POP3S/STLS and nothing else, sized for a Cortex-M3.
 *
 * - Key exchange ECDHE (P-256) with an ECDSA or RSA server certificate, AES-128/256-GCM
 *   and SHA-256/384: what Dovecot, OpenSSL-based servers and the test server offer.
 * - Certificates: X.509 with PEM, so the CA chain can be read at run time.
 * - No heap of the C library: MBEDTLS_MEMORY_BUFFER_ALLOC_C over a static buffer the
 *   application gives (mbedtls_memory_buffer_alloc_init before nx_transport_tls_init).
 * - No platform entropy (there is no OS): the application's hook feeds the CTR_DRBG
 *   directly (NX_TRANSPORT_TLS_CONFIG.entropy: a TRNG on a real board; under QEMU,
 *   which has none, the test's seed read through semihosting).
 * - Records: a peer may send 16 KiB records unless it agrees to a smaller maximum
 *   fragment length (RFC 6066), so the input buffer stays 16 KiB; what the client sends
 *   is short commands: 2 KiB out.
 *
 * Footprint (Mbed TLS 2.28.3 from Debian's source package, arm-none-eabi-gcc 12 -Os
 * -ffunction-sections, --gc-sections; hw/scripts/footprint.py prints it): as linked in
 * the example firmware, Mbed TLS 55.6 KB text + 88 B data/bss; csrc/transport/tls
 * 1.5 KB text; NX_TRANSPORT_TLS (one connection) 1008 B of the application's RAM.
 * Without RSA (ECDSA certificates only): about 8 KB less text. Heap: at most 24.7 KB
 * used in a POP3S fetch with a P-256 ECDSA certificate, 28.2 KB with a 2048-bit RSA
 * one (16 KiB records in); the example gives it 40 KB.
 *
 * Built by hw/CMakeLists.txt (target nxpop3_mbedtls, MBEDTLS_CONFIG_FILE pointing here).
 */
#ifndef NXPOP3_MBEDTLS_CONFIG_H
#define NXPOP3_MBEDTLS_CONFIG_H

/* System */
#define MBEDTLS_HAVE_ASM
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_MEMORY_BUFFER_ALLOC_C
#define MBEDTLS_NO_PLATFORM_ENTROPY
#define MBEDTLS_DEPRECATED_REMOVED

/* TLS 1.2 client */
#define MBEDTLS_SSL_TLS_C
#define MBEDTLS_SSL_CLI_C
#define MBEDTLS_SSL_PROTO_TLS1_2
#define MBEDTLS_SSL_SERVER_NAME_INDICATION
#define MBEDTLS_SSL_MAX_FRAGMENT_LENGTH
#define MBEDTLS_SSL_EXTENDED_MASTER_SECRET
#define MBEDTLS_KEY_EXCHANGE_ECDHE_ECDSA_ENABLED
#define MBEDTLS_KEY_EXCHANGE_ECDHE_RSA_ENABLED
#define MBEDTLS_SSL_IN_CONTENT_LEN  16384
#define MBEDTLS_SSL_OUT_CONTENT_LEN 2048
#define MBEDTLS_SSL_CIPHERSUITES \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, \
    MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,   \
    MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384

/* Crypto */
#define MBEDTLS_AES_C
#define MBEDTLS_AES_ROM_TABLES
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_SHA512_C
#define MBEDTLS_CTR_DRBG_C
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECDH_C
#define MBEDTLS_ECDSA_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_MPI_MAX_SIZE 512   /* RSA up to 4096 bits */
#define MBEDTLS_MPI_WINDOW_SIZE 2
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_OID_C

/* Certificates */
#define MBEDTLS_X509_USE_C
#define MBEDTLS_X509_CRT_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C

#include "mbedtls/check_config.h"

#endif /* NXPOP3_MBEDTLS_CONFIG_H */
