/* The IP instance: it only ties a default packet pool to a transport. */
#include "nx_api.h"
#include "nx_transport.h"

#include <string.h>

#define NX_IP_ID 0x49502020u /* "IP  " */

UINT nx_ip_create(NX_IP *ip_ptr, CHAR *name, ULONG ip_address, ULONG network_mask,
                  NX_PACKET_POOL *default_pool, NX_TRANSPORT *transport,
                  VOID *memory_ptr, ULONG memory_size, UINT priority)
{
    (VOID)memory_ptr;
    (VOID)memory_size;
    (VOID)priority;

    if ((ip_ptr == NX_NULL) || (default_pool == NX_NULL) || (transport == NX_NULL) ||
        (transport->ops == NX_NULL) || (transport->ops->connect == NX_NULL) ||
        (transport->ops->send == NX_NULL) || (transport->ops->receive == NX_NULL) ||
        (transport->ops->close == NX_NULL) || (transport->ops->ticks == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (ip_ptr->nx_ip_id == NX_IP_ID)
    {
        return NX_PTR_ERROR; /* already created */
    }
    memset(ip_ptr, 0, sizeof(*ip_ptr));
    ip_ptr->nx_ip_name = name;
    ip_ptr->nx_ip_address = ip_address;
    ip_ptr->nx_ip_network_mask = network_mask;
    ip_ptr->nx_ip_default_packet_pool = default_pool;
    ip_ptr->nx_ip_transport = transport;
    ip_ptr->nx_ip_id = NX_IP_ID;
    return NX_SUCCESS;
}

UINT nx_ip_delete(NX_IP *ip_ptr)
{
    if ((ip_ptr == NX_NULL) || (ip_ptr->nx_ip_id != NX_IP_ID))
    {
        return NX_PTR_ERROR;
    }
    if (ip_ptr->nx_ip_tcp_sockets != 0u)
    {
        return NX_SOCKETS_BOUND;
    }
    ip_ptr->nx_ip_id = 0u;
    return NX_SUCCESS;
}

ULONG nx_ip_time_get(NX_IP *ip_ptr)
{
    if ((ip_ptr == NX_NULL) || (ip_ptr->nx_ip_id != NX_IP_ID))
    {
        return 0u;
    }
    return ip_ptr->nx_ip_transport->ops->ticks(ip_ptr->nx_ip_transport->context);
}

UINT nx_tcp_enable(NX_IP *ip_ptr)
{
    if ((ip_ptr == NX_NULL) || (ip_ptr->nx_ip_id != NX_IP_ID))
    {
        return NX_PTR_ERROR;
    }
    if (ip_ptr->nx_ip_tcp_enabled != 0u)
    {
        return NX_ALREADY_ENABLED;
    }
    ip_ptr->nx_ip_tcp_enabled = NX_TRUE;
    return NX_SUCCESS;
}
