/**
 * @file nx_transport_scripted.h
 * @brief A transport whose bytes and segment boundaries come from a test:
 *        each operation calls the test's callback (C, or Python through cffi),
 *        and time is a virtual clock, so a timeout costs no real time.
 *
 * Callback contract (the transport's own contract, nx_transport.h, restated):
 *  on_connect  returns NX_TRANSPORT_OK, _TIMEOUT, _CLOSED or _ERROR.
 *  on_send     returns the bytes it accepts (> 0), 0 for "not now", or < 0.
 *  on_receive  returns the bytes it stored (1..size), 0 for silence, or < 0;
 *              it is told the wait, so it can play data that arrives late.
 *  on_tls_start (optional: NX_NULL makes a transport without TLS) returns how
 *              the handshake went, as tls_start does; tls_verify is what
 *              tls_verify_result then reports (0: verified).
 * Silence (0 from on_send/on_receive, _TIMEOUT from on_connect) moves the
 * virtual clock on by the whole wait, as if it had passed.
 */
#ifndef NX_TRANSPORT_SCRIPTED_H
#define NX_TRANSPORT_SCRIPTED_H

#include "nx_transport.h"

/* Ticks the clock moves for a silent NX_WAIT_FOREVER: long, but finite. */
#define NX_TRANSPORT_SCRIPTED_FOREVER_TICKS (3600u * NX_IP_PERIODIC_RATE)

typedef struct NX_TRANSPORT_SCRIPTED_STRUCT
{
    INT  (*on_connect)(VOID *user);
    LONG (*on_send)(VOID *user, const UCHAR *data, ULONG length);
    LONG (*on_receive)(VOID *user, UCHAR *buffer, ULONG size, ULONG wait_ticks);
    INT  (*on_tls_start)(VOID *user, ULONG wait_ticks);
    VOID *user;
    ULONG tls_verify;     /* tls_verify_result once TLS is on */
    UINT tls_active;      /* 1 after a successful tls_start */
    ULONG now;            /* the virtual clock, ticks */
    UINT connected;       /* 1 while a connection is open */
    UINT connects;        /* successful connects so far */
    UINT closes;          /* closes so far */
    UCHAR connection_token;
} NX_TRANSPORT_SCRIPTED;

/** Makes transport a scripted one with state in context (callbacks set by the
 *  caller; on_tls_start decides whether it offers TLS). */
VOID nx_transport_scripted_init(NX_TRANSPORT *transport, NX_TRANSPORT_SCRIPTED *context);

/** Moves the virtual clock on (for a callback that plays a slow server). */
VOID nx_transport_scripted_advance(NX_TRANSPORT_SCRIPTED *context, ULONG ticks);

#endif /* NX_TRANSPORT_SCRIPTED_H */
