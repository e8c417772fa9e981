/*
 * nxpop3 transport over lwIP's raw TCP API (NO_SYS, polled).
 *
 * lwIP calls back into this file from inside the poll function: received data
 * is queued on the connection as a pbuf chain and handed out by receive(); the
 * receive window is reopened (tcp_recved) only as the shim takes bytes, so the
 * server can never have more in flight than TCP_WND. A reset or abort frees the
 * PCB inside lwIP; the error callback records it and the slot forgets the PCB.
 */
#include <string.h>

#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h"

#include "nx_transport_lwip.h"

#if NX_LWIP_MAX_CONNECTIONS < 1 || NX_LWIP_MAX_CONNECTIONS > 8
#error "NX_LWIP_MAX_CONNECTIONS must be 1..8"
#endif

/* Largest single tcp_write()/tcp_recved() length (both take u16_t). */
#define NX_LWIP_CHUNK_MAX 0xFFFFu

static INT nx_lwip_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server,
                           UINT port, ULONG wait_ticks);
static LONG nx_lwip_send(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                         ULONG wait_ticks);
static LONG nx_lwip_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                            ULONG wait_ticks);
static VOID nx_lwip_close(VOID *context, VOID *connection);
static ULONG nx_lwip_ticks(VOID *context);

const NX_TRANSPORT_OPS nx_lwip_transport_ops = {
    nx_lwip_connect,
    nx_lwip_send,
    nx_lwip_receive,
    nx_lwip_close,
    nx_lwip_ticks,
    NX_NULL, /* no TLS here: a TLS layer wraps this transport */
    NX_NULL,
};

UINT nx_lwip_transport_init(NX_LWIP_TRANSPORT *context, NX_TRANSPORT *transport,
                            VOID (*poll)(VOID *poll_arg), VOID *poll_arg, ULONG (*clock)(VOID))
{
    if (context == NULL || transport == NULL || poll == NULL || clock == NULL)
    {
        return NX_PTR_ERROR;
    }
    memset(context, 0, sizeof(*context));
    context->poll = poll;
    context->poll_arg = poll_arg;
    context->clock = clock;
    transport->ops = &nx_lwip_transport_ops;
    transport->context = context;
    return NX_SUCCESS;
}

static ULONG nx_lwip_ticks(VOID *context)
{
    NX_LWIP_TRANSPORT *t = (NX_LWIP_TRANSPORT *)context;

    return t->clock();
}

/* True once wait_ticks have passed since start (NX_WAIT_FOREVER never expires). */
static int nx_lwip_expired(NX_LWIP_TRANSPORT *t, ULONG start, ULONG wait_ticks)
{
    if (wait_ticks == NX_WAIT_FOREVER)
    {
        return 0;
    }
    return (ULONG)(t->clock() - start) >= wait_ticks;
}

/* lwIP callbacks. arg is the connection slot, or NULL once the slot let go. */
static err_t nx_lwip_on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)arg;

    (void)pcb;
    if (c != NULL && c->state == NX_LWIP_STATE_CONNECTING && err == ERR_OK)
    {
        c->state = NX_LWIP_STATE_CONNECTED;
    }
    return ERR_OK;
}

static err_t nx_lwip_on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)arg;

    if (c == NULL)
    {
        /* Nobody reads any more: accept and drop, keeping the window open. */
        if (p != NULL)
        {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL)
    {
        /* FIN: what is queued stays readable, then receive() reports the close. */
        if (c->state == NX_LWIP_STATE_CONNECTED)
        {
            c->state = NX_LWIP_STATE_PEER_CLOSED;
        }
        return ERR_OK;
    }
    if (err != ERR_OK)
    {
        pbuf_free(p);
        return ERR_OK;
    }
    if (c->rx == NULL)
    {
        c->rx = p;
    }
    else
    {
        pbuf_cat(c->rx, p);
    }
    return ERR_OK;
}

static void nx_lwip_on_error(void *arg, err_t err)
{
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)arg;

    /* lwIP has already freed the PCB. */
    if (c != NULL)
    {
        c->pcb = NULL;
        c->state = NX_LWIP_STATE_FAILED;
        c->error = (INT)err;
    }
}

static void nx_lwip_detach(NX_LWIP_CONNECTION *c)
{
    if (c->pcb != NULL)
    {
        tcp_arg(c->pcb, NULL);
        tcp_recv(c->pcb, NULL);
        tcp_err(c->pcb, NULL);
        tcp_sent(c->pcb, NULL);
    }
}

static void nx_lwip_release(NX_LWIP_CONNECTION *c)
{
    if (c->rx != NULL)
    {
        pbuf_free(c->rx);
    }
    memset(c, 0, sizeof(*c));
}

/* A failed connection's status: a reset or refusal is a close, the rest an error. */
static LONG nx_lwip_failure(const NX_LWIP_CONNECTION *c)
{
    if (c->error == ERR_RST || c->error == ERR_CLSD || c->error == ERR_OK)
    {
        return NX_TRANSPORT_CLOSED;
    }
    return NX_TRANSPORT_ERROR;
}

static INT nx_lwip_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server,
                           UINT port, ULONG wait_ticks)
{
    NX_LWIP_TRANSPORT *t = (NX_LWIP_TRANSPORT *)context;
    NX_LWIP_CONNECTION *c = NULL;
    ip_addr_t address;
    ULONG start;
    ULONG v4;
    UINT i;
    INT status;

    if (t == NULL || connection == NULL || server == NULL || port == 0u || port > 0xFFFFu)
    {
        return NX_TRANSPORT_ERROR;
    }
    if (server->nxd_ip_version != NX_IP_VERSION_V4)
    {
        return NX_TRANSPORT_ERROR; /* this build of lwIP is IPv4 only */
    }
    for (i = 0u; i < NX_LWIP_MAX_CONNECTIONS; i++)
    {
        if (!t->connections[i].in_use)
        {
            c = &t->connections[i];
            break;
        }
    }
    if (c == NULL)
    {
        return NX_TRANSPORT_ERROR;
    }

    memset(c, 0, sizeof(*c));
    c->pcb = tcp_new();
    if (c->pcb == NULL)
    {
        return NX_TRANSPORT_ERROR;
    }
    c->in_use = 1u;
    c->state = NX_LWIP_STATE_CONNECTING;
    tcp_arg(c->pcb, c);
    tcp_recv(c->pcb, nx_lwip_on_recv);
    tcp_err(c->pcb, nx_lwip_on_error);

    v4 = server->nxd_ip_address.v4;
    IP_ADDR4(&address, (u8_t)(v4 >> 24), (u8_t)(v4 >> 16), (u8_t)(v4 >> 8), (u8_t)v4);
    if (tcp_connect(c->pcb, &address, (u16_t)port, nx_lwip_on_connected) != ERR_OK)
    {
        nx_lwip_detach(c);
        tcp_abort(c->pcb);
        nx_lwip_release(c);
        return NX_TRANSPORT_ERROR;
    }

    start = t->clock();
    for (;;)
    {
        t->poll(t->poll_arg);
        if (c->state == NX_LWIP_STATE_CONNECTED || c->state == NX_LWIP_STATE_PEER_CLOSED)
        {
            *connection = c;
            return NX_TRANSPORT_OK;
        }
        if (c->state == NX_LWIP_STATE_FAILED)
        {
            status = (INT)nx_lwip_failure(c);
            nx_lwip_release(c);
            return status;
        }
        if (nx_lwip_expired(t, start, wait_ticks))
        {
            nx_lwip_detach(c);
            tcp_abort(c->pcb);
            nx_lwip_release(c);
            return NX_TRANSPORT_TIMEOUT;
        }
    }
}

static LONG nx_lwip_send(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                         ULONG wait_ticks)
{
    NX_LWIP_TRANSPORT *t = (NX_LWIP_TRANSPORT *)context;
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)connection;
    ULONG start;

    if (t == NULL || c == NULL || !c->in_use || (data == NULL && length != 0u))
    {
        return NX_TRANSPORT_ERROR;
    }
    if (length == 0u)
    {
        return 0;
    }

    start = t->clock();
    for (;;)
    {
        ULONG room;
        err_t err;

        if (c->pcb == NULL)
        {
            return nx_lwip_failure(c);
        }
        room = (ULONG)tcp_sndbuf(c->pcb);
        if (room > 0u && tcp_sndqueuelen(c->pcb) < TCP_SND_QUEUELEN)
        {
            ULONG n = length;

            if (n > room)
            {
                n = room;
            }
            if (n > NX_LWIP_CHUNK_MAX)
            {
                n = NX_LWIP_CHUNK_MAX;
            }
            err = tcp_write(c->pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY);
            if (err == ERR_OK)
            {
                (void)tcp_output(c->pcb);
                return (LONG)n;
            }
            if (err != ERR_MEM)
            {
                return (err == ERR_CONN || err == ERR_CLSD || err == ERR_RST)
                           ? NX_TRANSPORT_CLOSED : NX_TRANSPORT_ERROR;
            }
        }
        if (nx_lwip_expired(t, start, wait_ticks))
        {
            return 0;
        }
        t->poll(t->poll_arg);
    }
}

static LONG nx_lwip_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                            ULONG wait_ticks)
{
    NX_LWIP_TRANSPORT *t = (NX_LWIP_TRANSPORT *)context;
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)connection;
    ULONG start;
    int polled = 0;

    if (t == NULL || c == NULL || !c->in_use || buffer == NULL || size == 0u)
    {
        return NX_TRANSPORT_ERROR;
    }

    start = t->clock();
    for (;;)
    {
        if (c->rx != NULL)
        {
            ULONG n = c->rx->tot_len;
            u16_t copied;

            if (n > size)
            {
                n = size;
            }
            if (n > NX_LWIP_CHUNK_MAX)
            {
                n = NX_LWIP_CHUNK_MAX;
            }
            copied = pbuf_copy_partial(c->rx, buffer, (u16_t)n, 0u);
            c->rx = pbuf_free_header(c->rx, copied);
            if (c->pcb != NULL)
            {
                tcp_recved(c->pcb, copied);
            }
            return (LONG)copied;
        }
        if (c->state == NX_LWIP_STATE_PEER_CLOSED)
        {
            return NX_TRANSPORT_CLOSED;
        }
        if (c->state == NX_LWIP_STATE_FAILED)
        {
            return nx_lwip_failure(c);
        }
        /* Poll at least once, so NX_NO_WAIT still sees frames already in the NIC. */
        if (polled && nx_lwip_expired(t, start, wait_ticks))
        {
            return 0;
        }
        t->poll(t->poll_arg);
        polled = 1;
    }
}

static VOID nx_lwip_close(VOID *context, VOID *connection)
{
    NX_LWIP_CONNECTION *c = (NX_LWIP_CONNECTION *)connection;

    (void)context;
    if (c == NULL || !c->in_use)
    {
        return;
    }
    if (c->pcb != NULL)
    {
        /* Unread bytes are acknowledged first, so lwIP closes with a FIN, not a RST. */
        if (c->rx != NULL)
        {
            ULONG left = c->rx->tot_len;
            tcp_recved(c->pcb, (u16_t)(left > NX_LWIP_CHUNK_MAX ? NX_LWIP_CHUNK_MAX : left));
        }
        nx_lwip_detach(c);
        if (tcp_close(c->pcb) != ERR_OK)
        {
            tcp_abort(c->pcb);
        }
        c->pcb = NULL;
    }
    nx_lwip_release(c);
}

UINT nx_lwip_transport_drain(NX_LWIP_TRANSPORT *context, ULONG wait_ticks)
{
    ULONG start;
    UINT active;

    if (context == NULL)
    {
        return 0u;
    }
    start = context->clock();
    for (;;)
    {
        struct tcp_pcb *pcb;
        UINT guard = 0u;

        context->poll(context->poll_arg);
        active = 0u;
        for (pcb = tcp_active_pcbs; pcb != NULL && guard < MEMP_NUM_TCP_PCB; pcb = pcb->next)
        {
            active++;
            guard++;
        }
        if (active == 0u || nx_lwip_expired(context, start, wait_ticks))
        {
            return active;
        }
    }
}
