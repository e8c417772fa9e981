/* The scripted transport: delegates to a test's callbacks on a virtual clock. */
#include "nx_transport_scripted.h"

#include <string.h>

static VOID scripted_pass(NX_TRANSPORT_SCRIPTED *scripted, ULONG wait_ticks)
{
    scripted->now += (wait_ticks == NX_WAIT_FOREVER) ? NX_TRANSPORT_SCRIPTED_FOREVER_TICKS : wait_ticks;
}

static INT scripted_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server,
                            UINT port, ULONG wait_ticks)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;
    INT result;

    (VOID)server;
    (VOID)port;
    if (scripted->connected != 0u)
    {
        return NX_TRANSPORT_ERROR; /* one connection at a time */
    }
    result = scripted->on_connect(scripted->user);
    if (result == NX_TRANSPORT_OK)
    {
        scripted->connected = NX_TRUE;
        scripted->connects++;
        *connection = &scripted->connection_token;
    }
    else if (result == NX_TRANSPORT_TIMEOUT)
    {
        scripted_pass(scripted, wait_ticks);
    }
    return result;
}

static LONG scripted_send(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                          ULONG wait_ticks)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;
    LONG result;

    (VOID)connection;
    if (length > NX_TRANSPORT_IO_MAX)
    {
        length = NX_TRANSPORT_IO_MAX;
    }
    result = scripted->on_send(scripted->user, data, length);
    if ((result > 0) && ((ULONG)result > length))
    {
        result = (LONG)length;
    }
    if (result == 0)
    {
        scripted_pass(scripted, wait_ticks);
    }
    return result;
}

static LONG scripted_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                             ULONG wait_ticks)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;
    LONG result;

    (VOID)connection;
    if (size > NX_TRANSPORT_IO_MAX)
    {
        size = NX_TRANSPORT_IO_MAX;
    }
    result = scripted->on_receive(scripted->user, buffer, size, wait_ticks);
    if ((result > 0) && ((ULONG)result > size))
    {
        result = NX_TRANSPORT_ERROR; /* the script overran the buffer it was given */
    }
    if (result == 0)
    {
        scripted_pass(scripted, wait_ticks);
    }
    return result;
}

static VOID scripted_close(VOID *context, VOID *connection)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;

    (VOID)connection;
    scripted->connected = NX_FALSE;
    scripted->tls_active = NX_FALSE;
    scripted->closes++;
}

static ULONG scripted_ticks(VOID *context)
{
    return ((NX_TRANSPORT_SCRIPTED *)context)->now;
}

/* TLS, played by the script: on_tls_start says how the handshake went. */
static INT scripted_tls_start(VOID *context, VOID *connection, ULONG wait_ticks)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;
    INT result;

    (VOID)connection;
    result = scripted->on_tls_start(scripted->user, wait_ticks);
    if (result == NX_TRANSPORT_OK)
    {
        scripted->tls_active = NX_TRUE;
    }
    else if (result == NX_TRANSPORT_TIMEOUT)
    {
        scripted_pass(scripted, wait_ticks);
    }
    return result;
}

static ULONG scripted_tls_verify_result(VOID *context, VOID *connection)
{
    NX_TRANSPORT_SCRIPTED *scripted = (NX_TRANSPORT_SCRIPTED *)context;

    (VOID)connection;
    return (scripted->tls_active != 0u) ? scripted->tls_verify : NX_TRANSPORT_TLS_OFF;
}

static const NX_TRANSPORT_OPS scripted_ops = {
    scripted_connect, scripted_send, scripted_receive, scripted_close, scripted_ticks,
    NX_NULL, NX_NULL
};

static const NX_TRANSPORT_OPS scripted_tls_ops = {
    scripted_connect, scripted_send, scripted_receive, scripted_close, scripted_ticks,
    scripted_tls_start, scripted_tls_verify_result
};

VOID nx_transport_scripted_init(NX_TRANSPORT *transport, NX_TRANSPORT_SCRIPTED *context)
{
    INT (*on_connect)(VOID *) = context->on_connect;
    LONG (*on_send)(VOID *, const UCHAR *, ULONG) = context->on_send;
    LONG (*on_receive)(VOID *, UCHAR *, ULONG, ULONG) = context->on_receive;
    INT (*on_tls_start)(VOID *, ULONG) = context->on_tls_start;
    VOID *user = context->user;

    memset(context, 0, sizeof(*context));
    context->on_connect = on_connect;
    context->on_send = on_send;
    context->on_receive = on_receive;
    context->on_tls_start = on_tls_start;
    context->user = user;
    transport->ops = (on_tls_start != NX_NULL) ? &scripted_tls_ops : &scripted_ops;
    transport->context = context;
}

VOID nx_transport_scripted_advance(NX_TRANSPORT_SCRIPTED *context, ULONG ticks)
{
    context->now += ticks;
}
