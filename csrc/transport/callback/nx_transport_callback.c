/* The callback transport (see nx_transport_callback.h). */
#define _POSIX_C_SOURCE 200809L
#include "nx_transport_callback.h"

#include <time.h>

static INT callback_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server,
                            UINT port, ULONG wait_ticks)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;
    INT result = callback->on_connect(callback->user, server, port, wait_ticks);

    if (result == NX_TRANSPORT_OK)
    {
        *connection = &callback->connection_token;
    }
    return result;
}

static LONG callback_send(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                          ULONG wait_ticks)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;
    LONG result;

    (VOID)connection;
    length = (length > NX_TRANSPORT_IO_MAX) ? NX_TRANSPORT_IO_MAX : length;
    result = callback->on_send(callback->user, data, length, wait_ticks);
    return ((result > 0) && ((ULONG)result > length)) ? NX_TRANSPORT_ERROR : result;
}

static LONG callback_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                             ULONG wait_ticks)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;
    LONG result;

    (VOID)connection;
    size = (size > NX_TRANSPORT_IO_MAX) ? NX_TRANSPORT_IO_MAX : size;
    result = callback->on_receive(callback->user, buffer, size, wait_ticks);
    return ((result > 0) && ((ULONG)result > size)) ? NX_TRANSPORT_ERROR : result;
}

static VOID callback_close(VOID *context, VOID *connection)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;

    (VOID)connection;
    callback->on_close(callback->user);
}

static ULONG callback_ticks(VOID *context)
{
    struct timespec now;

    (VOID)context;
    (VOID)clock_gettime(CLOCK_MONOTONIC, &now);
    return (ULONG)((ULONG64)now.tv_sec * NX_IP_PERIODIC_RATE +
                   (ULONG64)now.tv_nsec / (1000000000u / NX_IP_PERIODIC_RATE));
}

static INT callback_tls_start(VOID *context, VOID *connection, ULONG wait_ticks)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;

    (VOID)connection;
    return callback->on_tls_start(callback->user, wait_ticks);
}

static ULONG callback_tls_verify_result(VOID *context, VOID *connection)
{
    NX_TRANSPORT_CALLBACK *callback = (NX_TRANSPORT_CALLBACK *)context;

    (VOID)connection;
    return callback->on_tls_verify_result(callback->user);
}

static const NX_TRANSPORT_OPS callback_ops = {
    callback_connect, callback_send, callback_receive, callback_close, callback_ticks,
    NX_NULL, NX_NULL
};

static const NX_TRANSPORT_OPS callback_tls_ops = {
    callback_connect, callback_send, callback_receive, callback_close, callback_ticks,
    callback_tls_start, callback_tls_verify_result
};

VOID nx_transport_callback_init(NX_TRANSPORT *transport, NX_TRANSPORT_CALLBACK *context)
{
    UINT tls = (context->on_tls_start != NX_NULL) && (context->on_tls_verify_result != NX_NULL);

    transport->ops = (tls != 0u) ? &callback_tls_ops : &callback_ops;
    transport->context = context;
}
