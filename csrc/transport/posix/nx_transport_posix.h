/**
 * @file nx_transport_posix.h
 * @brief The transport over POSIX sockets (IPv4 and IPv6), for hosts.
 *        Every wait is honoured with poll(); no call blocks past it.
 */
#ifndef NX_TRANSPORT_POSIX_H
#define NX_TRANSPORT_POSIX_H

#include "nx_transport.h"

#ifndef NX_TRANSPORT_POSIX_CONNECTIONS
#define NX_TRANSPORT_POSIX_CONNECTIONS 4 /* connections open at once per transport */
#endif

typedef struct NX_TRANSPORT_POSIX_STRUCT
{
    INT fd[NX_TRANSPORT_POSIX_CONNECTIONS]; /* -1 when free */
} NX_TRANSPORT_POSIX;

/** Makes transport a POSIX-socket transport whose state lives in context. */
VOID nx_transport_posix_init(NX_TRANSPORT *transport, NX_TRANSPORT_POSIX *context);

#endif /* NX_TRANSPORT_POSIX_H */
