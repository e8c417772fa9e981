/**
 * @file nx_transport_callback.h
 * @brief A transport whose operations are the application's callbacks: the
 *        Python binding's sockets and TLS (the ssl module) run through it, one
 *        callback per operation (per packet, never per byte). Time is the
 *        host's monotonic clock, read here, not through a callback.
 *
 * Each callback keeps the transport contract of nx_transport.h (waits are
 * deadlines; EINTR resumes; the return values). on_tls_start and
 * on_tls_verify_result may be NX_NULL: the transport then has no TLS. One
 * connection at a time.
 */
#ifndef NX_TRANSPORT_CALLBACK_H
#define NX_TRANSPORT_CALLBACK_H

#include "nx_transport.h"

typedef struct NX_TRANSPORT_CALLBACK_STRUCT
{
    INT  (*on_connect)(VOID *user, const NXD_ADDRESS *server, UINT port, ULONG wait_ticks);
    LONG (*on_send)(VOID *user, const UCHAR *data, ULONG length, ULONG wait_ticks);
    LONG (*on_receive)(VOID *user, UCHAR *buffer, ULONG size, ULONG wait_ticks);
    VOID (*on_close)(VOID *user);
    INT  (*on_tls_start)(VOID *user, ULONG wait_ticks);
    ULONG (*on_tls_verify_result)(VOID *user);
    VOID *user;
    UCHAR connection_token; /* the connection handle the shim holds */
} NX_TRANSPORT_CALLBACK;

/** Makes transport call context's callbacks (set by the caller first). */
VOID nx_transport_callback_init(NX_TRANSPORT *transport, NX_TRANSPORT_CALLBACK *context);

#endif /* NX_TRANSPORT_CALLBACK_H */
