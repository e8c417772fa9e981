/**
 * @file nx_transport.h
 * @brief The byte-stream interface under the TCP shim: a table of functions
 *        plus an opaque context. A port (POSIX sockets, lwIP, a test script)
 *        implements it; nothing above the shim sees sockets or a stack.
 *
 * Return contract, the same for every transport:
 *
 *  connect  NX_TRANSPORT_OK with *connection set to the port's handle;
 *           NX_TRANSPORT_TIMEOUT when the wait ran out;
 *           NX_TRANSPORT_CLOSED when refused or reset; NX_TRANSPORT_ERROR otherwise.
 *           On failure *connection is left untouched and nothing needs closing.
 *  send     > 0  bytes accepted (may be fewer than asked; the shim sends the rest);
 *           0    nothing accepted within the wait;
 *           NX_TRANSPORT_CLOSED / NX_TRANSPORT_ERROR: the connection is unusable.
 *  receive  > 0  bytes stored in buffer (at most size);
 *           0    nothing arrived within the wait;
 *           NX_TRANSPORT_CLOSED: the peer closed (orderly or reset) and every byte
 *                it sent before has been returned already;
 *           NX_TRANSPORT_ERROR: the connection is unusable.
 *  close    closes and frees the connection; never fails; called exactly once per
 *           successful connect.
 *  ticks    a monotonic clock in ticks of NX_IP_PERIODIC_RATE per second; it may wrap.
 *  tls_start (optional: NX_NULL when the transport has no TLS) starts TLS on the
 *           open connection (STLS, RFC 2595) and completes the handshake within
 *           the wait: NX_TRANSPORT_OK once the peer is verified as the
 *           transport's configuration asks (certificate chain, host name);
 *           otherwise NX_TRANSPORT_TLS_FAILED (the handshake failed, was cut, ran
 *           out of time, or the peer was not verified). After a failure the
 *           connection is unusable. From then on send and receive carry TLS
 *           records. A transport configured for implicit TLS (POP3S, RFC 8314)
 *           does the handshake in connect instead: connect returns
 *           NX_TRANSPORT_TLS_FAILED when TCP connected and TLS could not be had.
 *  tls_verify_result (optional) the peer's verification: 0 when TLS is on and
 *           the peer was verified; otherwise the transport's non-zero flags (for
 *           Mbed TLS its verify flags; NX_TRANSPORT_TLS_OFF when no TLS runs).
 *
 * Waits are in ticks: NX_NO_WAIT (0) polls, NX_WAIT_FOREVER blocks. Each call
 * takes its deadline once, when it starts, and every wait inside it runs
 * against that deadline: a transport never blocks longer than the wait it is
 * given, and never returns "nothing" (0, _TIMEOUT) before it has passed. An
 * interruption (a POSIX signal: EINTR) resumes the wait with the time that is
 * left; it is neither a timeout nor a reason to drop the connection.
 *
 * A call moves at most NX_TRANSPORT_IO_MAX bytes, the largest count the LONG
 * return carries; a larger size or length is clamped to it.
 */
#ifndef NX_TRANSPORT_H
#define NX_TRANSPORT_H

#include "nx_api.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NX_TRANSPORT_OK       0
#define NX_TRANSPORT_TIMEOUT  (-1)
#define NX_TRANSPORT_CLOSED   (-2)
#define NX_TRANSPORT_ERROR    (-3)
#define NX_TRANSPORT_TLS_FAILED (-4) /* connected, but TLS could not be had */

/* tls_verify_result when no TLS runs on the connection. */
#define NX_TRANSPORT_TLS_OFF  0x80000000u

/* The most bytes one send or receive moves: LONG is 32 bits (nx_api.h). */
#define NX_TRANSPORT_IO_MAX   0x7FFFFFFFu

typedef struct NX_TRANSPORT_OPS_STRUCT
{
    INT  (*connect)(VOID *context, VOID **connection, const NXD_ADDRESS *server,
                    UINT port, ULONG wait_ticks);
    LONG (*send)(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                 ULONG wait_ticks);
    LONG (*receive)(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                    ULONG wait_ticks);
    VOID (*close)(VOID *context, VOID *connection);
    ULONG (*ticks)(VOID *context);
    INT  (*tls_start)(VOID *context, VOID *connection, ULONG wait_ticks);
    ULONG (*tls_verify_result)(VOID *context, VOID *connection);
} NX_TRANSPORT_OPS;

/** A transport instance: its operations and the port's context for them. */
typedef struct NX_TRANSPORT_STRUCT
{
    const NX_TRANSPORT_OPS *ops;
    VOID *context;
} NX_TRANSPORT;

#ifdef __cplusplus
}
#endif

#endif /* NX_TRANSPORT_H */
