/* TCP sockets over the transport: NetX's socket calls, states and status codes,
 * with the byte stream delegated to nx_transport.h. */
#include "nx_api.h"
#include "nx_transport.h"

#include <string.h>

#define NX_TCP_ID 0x54435020u /* "TCP " */

/* Room left in front of received data: the body decoder may put back one byte
 * there (see nx_pop3_body.h). */
#define NX_TCP_RECEIVE_RESERVE 8u

/* A transport that answers "nothing yet" although time remains breaks its
 * contract; give up after this many such answers instead of spinning. */
#define NX_TCP_SPURIOUS_LIMIT 64u

static UINT tcp_socket_valid(const NX_TCP_SOCKET *socket_ptr)
{
    return (socket_ptr != NX_NULL) && (socket_ptr->nx_tcp_socket_id == NX_TCP_ID);
}

static const NX_TRANSPORT *tcp_transport(const NX_TCP_SOCKET *socket_ptr)
{
    return socket_ptr->nx_tcp_socket_ip_ptr->nx_ip_transport;
}

/* Ticks left of wait_option since start; NX_WAIT_FOREVER stays forever. */
static ULONG tcp_wait_left(const NX_TRANSPORT *transport, ULONG start, ULONG wait_option)
{
    ULONG elapsed;

    if (wait_option == NX_WAIT_FOREVER)
    {
        return NX_WAIT_FOREVER;
    }
    elapsed = transport->ops->ticks(transport->context) - start;
    return (elapsed >= wait_option) ? 0u : (wait_option - elapsed);
}

UINT nx_tcp_socket_create(NX_IP *ip_ptr, NX_TCP_SOCKET *socket_ptr, CHAR *name,
                          ULONG type_of_service, ULONG fragment, UINT time_to_live,
                          ULONG window_size,
                          VOID (*tcp_urgent_data_callback)(NX_TCP_SOCKET *socket_ptr),
                          VOID (*tcp_disconnect_callback)(NX_TCP_SOCKET *socket_ptr))
{
    (VOID)type_of_service;
    (VOID)fragment;
    (VOID)time_to_live;
    (VOID)tcp_urgent_data_callback;
    (VOID)tcp_disconnect_callback;

    if ((ip_ptr == NX_NULL) || (socket_ptr == NX_NULL) || (ip_ptr->nx_ip_transport == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (socket_ptr->nx_tcp_socket_id == NX_TCP_ID)
    {
        return NX_PTR_ERROR; /* already created */
    }
    if (ip_ptr->nx_ip_tcp_enabled == 0u)
    {
        return NX_NOT_ENABLED;
    }
    memset(socket_ptr, 0, sizeof(*socket_ptr));
    socket_ptr->nx_tcp_socket_name = name;
    socket_ptr->nx_tcp_socket_ip_ptr = ip_ptr;
    socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSED;
    socket_ptr->nx_tcp_socket_rx_window_default = window_size;
    socket_ptr->nx_tcp_socket_id = NX_TCP_ID;
    ip_ptr->nx_ip_tcp_sockets++;
    return NX_SUCCESS;
}

UINT nx_tcp_socket_delete(NX_TCP_SOCKET *socket_ptr)
{
    if (!tcp_socket_valid(socket_ptr))
    {
        return NX_NOT_CREATED;
    }
    if (socket_ptr->nx_tcp_socket_bound != 0u)
    {
        return NX_STILL_BOUND;
    }
    socket_ptr->nx_tcp_socket_ip_ptr->nx_ip_tcp_sockets--;
    socket_ptr->nx_tcp_socket_id = 0u;
    return NX_SUCCESS;
}

UINT nx_tcp_client_socket_bind(NX_TCP_SOCKET *socket_ptr, UINT port, ULONG wait_option)
{
    (VOID)wait_option;
    if (!tcp_socket_valid(socket_ptr))
    {
        return NX_PTR_ERROR;
    }
    if (port > 0xFFFFu)
    {
        return NX_INVALID_PORT;
    }
    if (socket_ptr->nx_tcp_socket_bound != 0u)
    {
        return NX_ALREADY_BOUND;
    }
    socket_ptr->nx_tcp_socket_port = port; /* the transport picks the real local port */
    socket_ptr->nx_tcp_socket_bound = NX_TRUE;
    return NX_SUCCESS;
}

UINT nx_tcp_client_socket_unbind(NX_TCP_SOCKET *socket_ptr)
{
    if (!tcp_socket_valid(socket_ptr))
    {
        return NX_PTR_ERROR;
    }
    if (socket_ptr->nx_tcp_socket_bound == 0u)
    {
        return NX_NOT_BOUND;
    }
    if (socket_ptr->nx_tcp_socket_connection != NX_NULL)
    {
        return NX_NOT_CLOSED;
    }
    socket_ptr->nx_tcp_socket_bound = NX_FALSE;
    return NX_SUCCESS;
}

UINT nxd_tcp_client_socket_connect(NX_TCP_SOCKET *socket_ptr, NXD_ADDRESS *server_ip,
                                   UINT server_port, ULONG wait_option)
{
    const NX_TRANSPORT *transport;
    VOID *connection = NX_NULL;
    INT result;

    if (!tcp_socket_valid(socket_ptr) || (server_ip == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if ((server_port == 0u) || (server_port > 0xFFFFu))
    {
        return NX_INVALID_PORT;
    }
    if (server_ip->nxd_ip_version == NX_IP_VERSION_V4)
    {
        if (server_ip->nxd_ip_address.v4 == 0u)
        {
            return NX_IP_ADDRESS_ERROR;
        }
    }
    else if (server_ip->nxd_ip_version == NX_IP_VERSION_V6)
    {
        const ULONG *v6 = server_ip->nxd_ip_address.v6;
        if ((v6[0] | v6[1] | v6[2] | v6[3]) == 0u)
        {
            return NX_IP_ADDRESS_ERROR;
        }
    }
    else
    {
        return NX_IP_ADDRESS_ERROR;
    }
    if (socket_ptr->nx_tcp_socket_bound == 0u)
    {
        return NX_NOT_BOUND;
    }
    if (socket_ptr->nx_tcp_socket_state != NX_TCP_CLOSED)
    {
        return NX_NOT_CLOSED;
    }

    transport = tcp_transport(socket_ptr);
    result = transport->ops->connect(transport->context, &connection, server_ip, server_port,
                                     wait_option);
    if (result == NX_TRANSPORT_OK)
    {
        socket_ptr->nx_tcp_socket_connection = connection;
        socket_ptr->nx_tcp_socket_state = NX_TCP_ESTABLISHED;
        socket_ptr->nx_tcp_connect_ip = *server_ip;
        socket_ptr->nx_tcp_connect_port = server_port;
        return NX_SUCCESS;
    }
    if ((result == NX_TRANSPORT_TIMEOUT) && (wait_option == NX_NO_WAIT))
    {
        return NX_IN_PROGRESS;
    }
    /* TCP connected but the transport's implicit TLS could not be had. */
    return (result == NX_TRANSPORT_TLS_FAILED) ? NX_NOT_SUCCESSFUL : NX_NOT_CONNECTED;
}

UINT nx_tcp_client_socket_connect(NX_TCP_SOCKET *socket_ptr, ULONG server_ip,
                                  UINT server_port, ULONG wait_option)
{
    NXD_ADDRESS address;

    memset(&address, 0, sizeof(address));
    address.nxd_ip_version = NX_IP_VERSION_V4;
    address.nxd_ip_address.v4 = server_ip;
    return nxd_tcp_client_socket_connect(socket_ptr, &address, server_port, wait_option);
}

UINT nx_tcp_socket_send(NX_TCP_SOCKET *socket_ptr, NX_PACKET *packet_ptr, ULONG wait_option)
{
    const NX_TRANSPORT *transport;
    NX_PACKET *buffer;
    ULONG start;
    ULONG spurious = 0u;
    UINT status = NX_SUCCESS;

    if (!tcp_socket_valid(socket_ptr) || (packet_ptr == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (packet_ptr->nx_packet_allocated != NX_PACKET_ALLOCATED)
    {
        return NX_INVALID_PACKET;
    }
    if (socket_ptr->nx_tcp_socket_state != NX_TCP_ESTABLISHED)
    {
        return NX_NOT_CONNECTED;
    }

    transport = tcp_transport(socket_ptr);
    start = transport->ops->ticks(transport->context);
    buffer = packet_ptr;
    while ((buffer != NX_NULL) && (status == NX_SUCCESS))
    {
        const UCHAR *data = buffer->nx_packet_prepend_ptr;
        ULONG left = (ULONG)(buffer->nx_packet_append_ptr - buffer->nx_packet_prepend_ptr);

        /* Each pass either moves at least one byte, or uses up the wait, or
         * counts one broken-contract answer: bounded by left + the limit. */
        while ((left > 0u) && (status == NX_SUCCESS))
        {
            ULONG wait_left = tcp_wait_left(transport, start, wait_option);
            LONG sent = transport->ops->send(transport->context,
                                             socket_ptr->nx_tcp_socket_connection,
                                             data, left, wait_left);
            if (sent > 0)
            {
                ULONG taken = ((ULONG)sent > left) ? left : (ULONG)sent;
                data += taken;
                left -= taken;
            }
            else if (sent == 0)
            {
                spurious++;
                if ((wait_left == 0u) || (spurious >= NX_TCP_SPURIOUS_LIMIT))
                {
                    status = NX_WINDOW_OVERFLOW;
                }
            }
            else
            {
                socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSE_WAIT;
                status = NX_NOT_CONNECTED;
            }
        }
        buffer = buffer->nx_packet_next;
    }

    if (status == NX_SUCCESS)
    {
        (VOID)nx_packet_release(packet_ptr);
    }
    return status;
}

UINT nx_tcp_socket_receive(NX_TCP_SOCKET *socket_ptr, NX_PACKET **packet_ptr, ULONG wait_option)
{
    const NX_TRANSPORT *transport;
    NX_PACKET_POOL *pool;
    NX_PACKET *packet;
    ULONG reserve;
    LONG received;
    UINT status;

    if (!tcp_socket_valid(socket_ptr) || (packet_ptr == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    *packet_ptr = NX_NULL;
    if (socket_ptr->nx_tcp_socket_state != NX_TCP_ESTABLISHED)
    {
        return NX_NOT_CONNECTED;
    }

    pool = socket_ptr->nx_tcp_socket_ip_ptr->nx_ip_default_packet_pool;
    reserve = (pool->nx_packet_pool_payload_size > 2u * NX_TCP_RECEIVE_RESERVE) ?
              NX_TCP_RECEIVE_RESERVE : 1u;
    if (pool->nx_packet_pool_payload_size <= reserve)
    {
        return NX_INVALID_PACKET; /* no room for a single byte */
    }
    status = nx_packet_allocate(pool, &packet, reserve, NX_NO_WAIT);
    if (status != NX_SUCCESS)
    {
        return status;
    }

    if (socket_ptr->nx_tcp_socket_peeked != 0u)
    {
        /* The byte bytes_available() took comes first, in a packet of its own. */
        packet->nx_packet_append_ptr[0] = socket_ptr->nx_tcp_socket_peek_byte;
        socket_ptr->nx_tcp_socket_peeked = NX_FALSE;
        received = 1;
    }
    else
    {
        transport = tcp_transport(socket_ptr);
        received = transport->ops->receive(transport->context,
                                           socket_ptr->nx_tcp_socket_connection,
                                           packet->nx_packet_append_ptr,
                                           (ULONG)(packet->nx_packet_data_end -
                                                   packet->nx_packet_append_ptr),
                                           wait_option);
    }
    if (received > 0)
    {
        ULONG room = (ULONG)(packet->nx_packet_data_end - packet->nx_packet_append_ptr);
        ULONG length = ((ULONG)received > room) ? room : (ULONG)received;
        packet->nx_packet_append_ptr += length;
        packet->nx_packet_length = length;
        *packet_ptr = packet;
        return NX_SUCCESS;
    }

    (VOID)nx_packet_release(packet);
    if (received == 0)
    {
        return NX_NO_PACKET;
    }
    socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSE_WAIT;
    return NX_NOT_CONNECTED;
}

UINT nx_tcp_socket_bytes_available(NX_TCP_SOCKET *socket_ptr, ULONG *bytes_available)
{
    const NX_TRANSPORT *transport;
    LONG received = 0;

    if (!tcp_socket_valid(socket_ptr) || (bytes_available == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    *bytes_available = 0u;
    if (socket_ptr->nx_tcp_socket_state != NX_TCP_ESTABLISHED)
    {
        return NX_NOT_CONNECTED;
    }
    if (socket_ptr->nx_tcp_socket_peeked == 0u)
    {
        /* One byte into the socket's own stash: no packet is needed to look. */
        transport = tcp_transport(socket_ptr);
        received = transport->ops->receive(transport->context,
                                           socket_ptr->nx_tcp_socket_connection,
                                           &socket_ptr->nx_tcp_socket_peek_byte, 1u, NX_NO_WAIT);
        if (received < 0)
        {
            socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSE_WAIT;
            return NX_NOT_CONNECTED;
        }
        socket_ptr->nx_tcp_socket_peeked = (received > 0) ? NX_TRUE : NX_FALSE;
    }
    *bytes_available = socket_ptr->nx_tcp_socket_peeked;
    return NX_SUCCESS;
}

UINT nx_tcp_socket_tls_start(NX_TCP_SOCKET *socket_ptr, ULONG wait_option)
{
    const NX_TRANSPORT *transport;
    INT result;

    if (!tcp_socket_valid(socket_ptr))
    {
        return NX_PTR_ERROR;
    }
    transport = tcp_transport(socket_ptr);
    if (transport->ops->tls_start == NX_NULL)
    {
        return NX_NOT_SUPPORTED;
    }
    if (socket_ptr->nx_tcp_socket_state != NX_TCP_ESTABLISHED)
    {
        return NX_NOT_CONNECTED;
    }
    if (socket_ptr->nx_tcp_socket_peeked != 0u)
    {
        return NX_NOT_SUCCESSFUL; /* a plaintext byte is waiting: it must not pass into TLS */
    }
    result = transport->ops->tls_start(transport->context, socket_ptr->nx_tcp_socket_connection,
                                       wait_option);
    if (result == NX_TRANSPORT_OK)
    {
        return NX_SUCCESS;
    }
    if (result == NX_TRANSPORT_CLOSED)
    {
        socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSE_WAIT;
        return NX_NOT_CONNECTED;
    }
    return NX_NOT_SUCCESSFUL;
}

UINT nx_tcp_socket_tls_verify_result(NX_TCP_SOCKET *socket_ptr, ULONG *result)
{
    const NX_TRANSPORT *transport;

    if (!tcp_socket_valid(socket_ptr) || (result == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    transport = tcp_transport(socket_ptr);
    if (transport->ops->tls_verify_result == NX_NULL)
    {
        return NX_NOT_SUPPORTED;
    }
    *result = (socket_ptr->nx_tcp_socket_connection == NX_NULL) ? NX_TRANSPORT_TLS_OFF :
              transport->ops->tls_verify_result(transport->context,
                                                socket_ptr->nx_tcp_socket_connection);
    return NX_SUCCESS;
}

UINT nx_tcp_socket_disconnect(NX_TCP_SOCKET *socket_ptr, ULONG wait_option)
{
    const NX_TRANSPORT *transport;

    (VOID)wait_option;
    if (!tcp_socket_valid(socket_ptr))
    {
        return NX_PTR_ERROR;
    }
    if (socket_ptr->nx_tcp_socket_connection == NX_NULL)
    {
        return NX_NOT_CONNECTED;
    }
    transport = tcp_transport(socket_ptr);
    transport->ops->close(transport->context, socket_ptr->nx_tcp_socket_connection);
    socket_ptr->nx_tcp_socket_connection = NX_NULL;
    socket_ptr->nx_tcp_socket_state = NX_TCP_CLOSED;
    socket_ptr->nx_tcp_socket_peeked = NX_FALSE; /* a byte of this connection only */
    return NX_SUCCESS;
}
