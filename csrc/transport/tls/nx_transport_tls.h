/**
 * @file nx_transport_tls.h
 * @brief TLS over any transport, with Mbed TLS (2.28 LTS): a transport
 *        (nx_transport.h) that wraps another one (POSIX sockets on a host, lwIP
 *        on the board). The same source serves both.
 *
 * - Implicit TLS (POP3S, RFC 8314): with NX_TRANSPORT_TLS_CONFIG.implicit set,
 *   connect does the handshake before it returns.
 * - STLS (RFC 2595): tls_start does the handshake on the open connection.
 * - Verification is always on (MBEDTLS_SSL_VERIFY_REQUIRED): the server's chain
 *   must lead to the CA chain given here, and its certificate must name
 *   server_name. There is no switch to turn either off.
 * - At least TLS 1.2.
 *
 * Failures keep the transport contract: a failed handshake or verification is
 * NX_TRANSPORT_ERROR, a peer that closes during it NX_TRANSPORT_CLOSED, a wait
 * that runs out NX_TRANSPORT_TIMEOUT; every wait is one deadline per call, as
 * for the wrapped transport (whose ticks op is the clock).
 *
 * Memory: this layer takes none of its own; the context below is the caller's.
 * Mbed TLS allocates its record buffers and parsed certificates with its
 * calloc/free: on a host the C library's; on a board without a heap, the
 * application calls mbedtls_memory_buffer_alloc_init() over a static buffer
 * (MBEDTLS_MEMORY_BUFFER_ALLOC_C) before nx_transport_tls_init().
 *
 * Entropy: the application gives a hook that fills a buffer with full-entropy
 * bytes (a TRNG on a real board); it seeds a CTR_DRBG once at init and again
 * at the DRBG's reseed interval. NX_NULL uses Mbed TLS's platform entropy when
 * the configuration has it (a host: getrandom or /dev/urandom).
 */
#ifndef NX_TRANSPORT_TLS_H
#define NX_TRANSPORT_TLS_H

#include <stddef.h>

#include "nx_transport.h"

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/ssl.h"
#include "mbedtls/x509_crt.h"
#if defined(MBEDTLS_ENTROPY_C) && !defined(MBEDTLS_NO_PLATFORM_ENTROPY)
#include "mbedtls/entropy.h"
#define NX_TRANSPORT_TLS_PLATFORM_ENTROPY 1
#else
#define NX_TRANSPORT_TLS_PLATFORM_ENTROPY 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef NX_TRANSPORT_TLS_CONNECTIONS
#define NX_TRANSPORT_TLS_CONNECTIONS 1 /* connections open at once per TLS transport */
#endif

#ifndef NX_TRANSPORT_TLS_SPURIOUS_LIMIT
#define NX_TRANSPORT_TLS_SPURIOUS_LIMIT 64u /* "nothing" answers before the deadline tolerated per call */
#endif

/** The entropy hook: fill output with length bytes of full entropy; 0 on
 *  success, non-zero when none can be had. Mbed TLS's entropy-callback shape. */
typedef INT (*NX_TRANSPORT_TLS_ENTROPY)(VOID *context, UCHAR *output, size_t length);

/** What the application configures; read by nx_transport_tls_init() only,
 *  except server_name, which must stay valid while the transport is used. */
typedef struct NX_TRANSPORT_TLS_CONFIG_STRUCT
{
    const UCHAR *ca_chain;        /* trusted CAs: PEM (one or more certificates, the
                                     buffer NUL-terminated and the NUL counted in
                                     ca_chain_length, as Mbed TLS wants) or one DER */
    ULONG ca_chain_length;
    const CHAR *server_name;      /* the DNS name the server's certificate must carry
                                     (also sent as SNI); required. Mbed TLS 2.28
                                     matches DNS names only: an IP address here
                                     never matches a certificate's IP entry */
    UINT implicit;                /* NX_TRUE: TLS from the first byte (POP3S) */
    NX_TRANSPORT_TLS_ENTROPY entropy; /* NX_NULL: the platform's, when there is one */
    VOID *entropy_context;
} NX_TRANSPORT_TLS_CONFIG;

/** One connection: the wrapped transport's, and its TLS session once started. */
typedef struct NX_TRANSPORT_TLS_CONNECTION_STRUCT
{
    struct NX_TRANSPORT_TLS_STRUCT *owner;
    VOID *inner;                  /* the wrapped transport's connection */
    UINT used;
    UINT state;                   /* plain, handshake failed, TLS (nx_transport_tls.c) */
    ULONG start;                  /* the running call's deadline: its start in ticks */
    ULONG wait;                   /* and its length (NX_WAIT_FOREVER: none) */
    INT failure;                  /* NX_TRANSPORT_CLOSED / _ERROR once the connection failed */
    UINT idle;                    /* the wrapped transport answered "nothing" in this pass */
    mbedtls_ssl_context ssl;
} NX_TRANSPORT_TLS_CONNECTION;

/** The TLS transport's state: the caller's memory, kept while the transport is used. */
typedef struct NX_TRANSPORT_TLS_STRUCT
{
    const NX_TRANSPORT *inner;
    const CHAR *server_name;
    UINT implicit;
    ULONG last_verify;            /* the last handshake's verification flags */
    INT last_error;               /* the last Mbed TLS error (negative), 0 when none */
    mbedtls_ssl_config config;
    mbedtls_x509_crt ca;
    mbedtls_ctr_drbg_context drbg;
#if NX_TRANSPORT_TLS_PLATFORM_ENTROPY
    mbedtls_entropy_context entropy;
#endif
    NX_TRANSPORT_TLS_CONNECTION connection[NX_TRANSPORT_TLS_CONNECTIONS];
} NX_TRANSPORT_TLS;

/** Makes transport a TLS transport over inner (which must outlive it), with
 *  its state in context. NX_SUCCESS; NX_PTR_ERROR: a NULL argument, no CA
 *  chain or no server name; NX_NOT_SUCCESSFUL: the CA chain holds no
 *  certificate Mbed TLS can parse, or the DRBG could not be seeded (no
 *  entropy), or the configuration failed (nx_transport_tls_last_error() says
 *  why). On failure nothing needs deleting. */
UINT nx_transport_tls_init(NX_TRANSPORT *transport, NX_TRANSPORT_TLS *context,
                           const NX_TRANSPORT *inner, const NX_TRANSPORT_TLS_CONFIG *config);

/** Frees what Mbed TLS allocated for the transport; its connections must be
 *  closed already. */
VOID nx_transport_tls_delete(NX_TRANSPORT_TLS *context);

/** The verification flags of the last handshake (MBEDTLS_X509_BADCERT_* ...),
 *  kept after its connection is closed: why an STLS or a POP3S connect failed.
 *  0: verified; 0xFFFFFFFF: no certificate was verified; NX_TRANSPORT_TLS_OFF:
 *  no handshake yet. */
ULONG nx_transport_tls_last_verify_result(const NX_TRANSPORT_TLS *context);

/** The last Mbed TLS error code (negative; mbedtls_strerror() names it), 0 when none. */
INT nx_transport_tls_last_error(const NX_TRANSPORT_TLS *context);

#ifdef __cplusplus
}
#endif

#endif /* NX_TRANSPORT_TLS_H */
