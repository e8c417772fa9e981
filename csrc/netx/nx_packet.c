/* The packet pool: fixed-size packets carved from caller memory, a free list,
 * and the NetX packet services the client and the shim use. */
#include "nx_api.h"

#include <string.h>

#define NX_PACKET_POOL_ID 0x5041434Bu /* "PACK" */

/* Longest chain nx_packet_data_append/retrieve will walk; a guard against a
 * corrupted chain, far above any real packet. */
#define NX_PACKET_CHAIN_LIMIT 0x10000u

UINT nx_packet_pool_create(NX_PACKET_POOL *pool_ptr, CHAR *name, ULONG payload_size,
                           VOID *memory_ptr, ULONG memory_size)
{
    UCHAR *memory = (UCHAR *)memory_ptr;
    ULONG element;
    ULONG count;
    ULONG i;
    uintptr_t misalign;

    if ((pool_ptr == NX_NULL) || (memory == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (pool_ptr->nx_packet_pool_id == NX_PACKET_POOL_ID)
    {
        return NX_PTR_ERROR; /* already created */
    }
    if (payload_size == 0u)
    {
        return NX_SIZE_ERROR;
    }

    /* Align the start; the lost bytes come out of memory_size. */
    misalign = (uintptr_t)memory % NX_PACKET_POOL_ALIGN;
    if (misalign != 0u)
    {
        ULONG skip = (ULONG)(NX_PACKET_POOL_ALIGN - misalign);
        if (memory_size < skip)
        {
            return NX_SIZE_ERROR;
        }
        memory += skip;
        memory_size -= skip;
    }

    element = NX_PACKET_POOL_ELEMENT_SIZE(payload_size);
    if (element < payload_size) /* the rounding wrapped */
    {
        return NX_SIZE_ERROR;
    }
    count = memory_size / element;
    if (count == 0u)
    {
        return NX_SIZE_ERROR;
    }

    memset(pool_ptr, 0, sizeof(*pool_ptr));
    pool_ptr->nx_packet_pool_name = name;
    pool_ptr->nx_packet_pool_start = memory;
    pool_ptr->nx_packet_pool_size = count * element;
    pool_ptr->nx_packet_pool_payload_size = payload_size;
    pool_ptr->nx_packet_pool_total = count;
    pool_ptr->nx_packet_pool_available = count;

    /* Thread the free list front to back. */
    for (i = count; i > 0u; i--)
    {
        NX_PACKET *packet = (NX_PACKET *)(VOID *)(memory + (i - 1u) * element);
        memset(packet, 0, sizeof(*packet));
        packet->nx_packet_pool_owner = pool_ptr;
        packet->nx_packet_data_start = (UCHAR *)packet + NX_PACKET_HEADER_SIZE;
        packet->nx_packet_data_end = packet->nx_packet_data_start + payload_size;
        packet->nx_packet_allocated = NX_PACKET_FREE;
        packet->nx_packet_queue_next = pool_ptr->nx_packet_pool_available_list;
        pool_ptr->nx_packet_pool_available_list = packet;
    }

    pool_ptr->nx_packet_pool_id = NX_PACKET_POOL_ID;
    return NX_SUCCESS;
}

UINT nx_packet_pool_delete(NX_PACKET_POOL *pool_ptr)
{
    if ((pool_ptr == NX_NULL) || (pool_ptr->nx_packet_pool_id != NX_PACKET_POOL_ID))
    {
        return NX_PTR_ERROR;
    }
    pool_ptr->nx_packet_pool_id = 0u;
    return NX_SUCCESS;
}

UINT nx_packet_pool_info_get(NX_PACKET_POOL *pool_ptr, ULONG *total_packets, ULONG *free_packets,
                             ULONG *empty_pool_requests, ULONG *empty_pool_suspensions,
                             ULONG *invalid_packet_releases)
{
    if ((pool_ptr == NX_NULL) || (pool_ptr->nx_packet_pool_id != NX_PACKET_POOL_ID))
    {
        return NX_PTR_ERROR;
    }
    if (total_packets != NX_NULL)
    {
        *total_packets = pool_ptr->nx_packet_pool_total;
    }
    if (free_packets != NX_NULL)
    {
        *free_packets = pool_ptr->nx_packet_pool_available;
    }
    if (empty_pool_requests != NX_NULL)
    {
        *empty_pool_requests = pool_ptr->nx_packet_pool_empty_requests;
    }
    if (empty_pool_suspensions != NX_NULL)
    {
        *empty_pool_suspensions = 0u; /* no threads, so no suspensions */
    }
    if (invalid_packet_releases != NX_NULL)
    {
        *invalid_packet_releases = pool_ptr->nx_packet_pool_invalid_releases;
    }
    return NX_SUCCESS;
}

UINT nx_packet_allocate(NX_PACKET_POOL *pool_ptr, NX_PACKET **packet_ptr,
                        ULONG packet_type, ULONG wait_option)
{
    NX_PACKET *packet;

    (VOID)wait_option; /* nothing could release a packet while we waited */
    if ((pool_ptr == NX_NULL) || (pool_ptr->nx_packet_pool_id != NX_PACKET_POOL_ID) ||
        (packet_ptr == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (packet_type > pool_ptr->nx_packet_pool_payload_size)
    {
        return NX_INVALID_PARAMETERS;
    }

    packet = pool_ptr->nx_packet_pool_available_list;
    if (pool_ptr->nx_packet_pool_fail_countdown != 0u)
    {
        pool_ptr->nx_packet_pool_fail_countdown--;
        if (pool_ptr->nx_packet_pool_fail_countdown == 0u)
        {
            packet = NX_NULL; /* injected: this allocation finds the pool empty */
        }
    }
    if (packet == NX_NULL)
    {
        pool_ptr->nx_packet_pool_empty_requests++;
        *packet_ptr = NX_NULL;
        return NX_NO_PACKET;
    }

    pool_ptr->nx_packet_pool_available_list = packet->nx_packet_queue_next;
    pool_ptr->nx_packet_pool_available--;

    packet->nx_packet_queue_next = NX_NULL;
    packet->nx_packet_next = NX_NULL;
    packet->nx_packet_last = NX_NULL;
    packet->nx_packet_length = 0u;
    packet->nx_packet_prepend_ptr = packet->nx_packet_data_start + packet_type;
    packet->nx_packet_append_ptr = packet->nx_packet_prepend_ptr;
    packet->nx_packet_allocated = NX_PACKET_ALLOCATED;
    *packet_ptr = packet;
    return NX_SUCCESS;
}

UINT nx_packet_release(NX_PACKET *packet_ptr)
{
    NX_PACKET *packet = packet_ptr;
    UINT status = NX_SUCCESS;
    ULONG walked = 0u;

    if (packet == NX_NULL)
    {
        return NX_PTR_ERROR;
    }
    if (packet->nx_packet_allocated != NX_PACKET_ALLOCATED)
    {
        if (packet->nx_packet_pool_owner != NX_NULL)
        {
            packet->nx_packet_pool_owner->nx_packet_pool_invalid_releases++;
        }
        return NX_PTR_ERROR; /* already released, or not a packet */
    }

    /* Release every buffer of the chain. */
    while ((packet != NX_NULL) && (walked < NX_PACKET_CHAIN_LIMIT))
    {
        NX_PACKET *next = packet->nx_packet_next;
        NX_PACKET_POOL *pool = packet->nx_packet_pool_owner;

        if (packet->nx_packet_allocated != NX_PACKET_ALLOCATED)
        {
            pool->nx_packet_pool_invalid_releases++;
            status = NX_PTR_ERROR;
            break;
        }
        packet->nx_packet_allocated = NX_PACKET_FREE;
        packet->nx_packet_next = NX_NULL;
        packet->nx_packet_last = NX_NULL;
        packet->nx_packet_queue_next = pool->nx_packet_pool_available_list;
        pool->nx_packet_pool_available_list = packet;
        pool->nx_packet_pool_available++;
        packet = next;
        walked++;
    }
    return status;
}

UINT nx_packet_length_get(NX_PACKET *packet_ptr, ULONG *length)
{
    if ((packet_ptr == NX_NULL) || (length == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    *length = packet_ptr->nx_packet_length;
    return NX_SUCCESS;
}

UINT nx_packet_data_append(NX_PACKET *packet_ptr, VOID *data_start, ULONG data_size,
                           NX_PACKET_POOL *pool_ptr, ULONG wait_option)
{
    const UCHAR *source = (const UCHAR *)data_start;
    NX_PACKET *tail;
    NX_PACKET *added = NX_NULL;
    NX_PACKET *added_tail = NX_NULL;
    NX_PACKET *chained;
    ULONG room;
    ULONG needed;
    ULONG remaining = data_size;
    ULONG walked = 0u;

    if ((packet_ptr == NX_NULL) || (source == NX_NULL) || (pool_ptr == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    if (packet_ptr->nx_packet_allocated != NX_PACKET_ALLOCATED)
    {
        return NX_INVALID_PACKET;
    }

    tail = (packet_ptr->nx_packet_last != NX_NULL) ? packet_ptr->nx_packet_last : packet_ptr;
    room = (ULONG)(tail->nx_packet_data_end - tail->nx_packet_append_ptr);

    /* The buffers already chained count toward the limit, which release and
     * retrieve walk: a chain never grows past it. */
    for (chained = packet_ptr->nx_packet_next;
         (chained != NX_NULL) && (walked < NX_PACKET_CHAIN_LIMIT);
         chained = chained->nx_packet_next)
    {
        walked++;
    }
    walked++; /* the head */

    /* Take every extra buffer first, so a failure changes nothing. */
    needed = (remaining > room) ? (remaining - room) : 0u;
    while ((needed > 0u) && (walked < NX_PACKET_CHAIN_LIMIT))
    {
        NX_PACKET *extra;
        ULONG extra_room;
        UINT status = nx_packet_allocate(pool_ptr, &extra, 0u, wait_option);

        if (status != NX_SUCCESS)
        {
            if (added != NX_NULL)
            {
                (VOID)nx_packet_release(added);
            }
            return status;
        }
        extra_room = (ULONG)(extra->nx_packet_data_end - extra->nx_packet_append_ptr);
        if (added == NX_NULL)
        {
            added = extra;
        }
        else
        {
            added_tail->nx_packet_next = extra;
        }
        added_tail = extra;
        needed = (needed > extra_room) ? (needed - extra_room) : 0u;
        walked++;
    }
    if (needed > 0u)
    {
        /* The chain limit stopped the loop: the data does not fit, and a
         * partial append would report bytes it never stored. */
        if (added != NX_NULL)
        {
            (VOID)nx_packet_release(added);
        }
        return NX_OVERFLOW;
    }

    /* Fill the current tail, then the new buffers. */
    tail->nx_packet_next = added;
    walked = 0u;
    while ((tail != NX_NULL) && (remaining > 0u) && (walked < NX_PACKET_CHAIN_LIMIT))
    {
        ULONG space = (ULONG)(tail->nx_packet_data_end - tail->nx_packet_append_ptr);
        ULONG chunk = (remaining < space) ? remaining : space;

        memcpy(tail->nx_packet_append_ptr, source, chunk);
        tail->nx_packet_append_ptr += chunk;
        source += chunk;
        remaining -= chunk;
        if (remaining > 0u)
        {
            tail = tail->nx_packet_next;
        }
        walked++;
    }
    packet_ptr->nx_packet_length += data_size;
    if (added_tail != NX_NULL)
    {
        packet_ptr->nx_packet_last = added_tail;
    }
    return NX_SUCCESS;
}

UINT nx_packet_data_retrieve(NX_PACKET *packet_ptr, VOID *buffer_start, ULONG *bytes_copied)
{
    UCHAR *destination = (UCHAR *)buffer_start;
    NX_PACKET *packet = packet_ptr;
    ULONG copied = 0u;
    ULONG walked = 0u;

    if ((packet_ptr == NX_NULL) || (destination == NX_NULL) ||
        (bytes_copied == NX_NULL))
    {
        return NX_PTR_ERROR;
    }
    while ((packet != NX_NULL) && (walked < NX_PACKET_CHAIN_LIMIT))
    {
        ULONG chunk = (ULONG)(packet->nx_packet_append_ptr - packet->nx_packet_prepend_ptr);
        memcpy(destination + copied, packet->nx_packet_prepend_ptr, chunk);
        copied += chunk;
        packet = packet->nx_packet_next;
        walked++;
    }
    *bytes_copied = copied;
    return NX_SUCCESS;
}
