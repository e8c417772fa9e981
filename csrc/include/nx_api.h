/**
 * @file nx_api.h
 * @brief The NetX subset nxpop3 provides: types, status codes, the packet pool,
 *        the IP instance and TCP sockets.
 *
 * Names, signatures and status values follow NetX Duo so application code ports
 * unchanged. Below the TCP calls sits a transport (nx_transport.h) instead of an
 * IP stack. There are no threads: a wait option bounds how long a call may block
 * on the network; an empty packet pool fails at once (nothing could refill it).
 */
#ifndef NX_API_H
#define NX_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ThreadX basic types. ULONG is 32 bits on every target (as in NetX's 64-bit ports). */
#define VOID void
typedef char CHAR;
typedef unsigned char UCHAR;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef uint64_t ULONG64;
typedef short SHORT;
typedef unsigned short USHORT;

#define NX_NULL ((VOID *)0)
#define NX_TRUE  1u
#define NX_FALSE 0u

/* Wait options (ticks otherwise). */
#define NX_NO_WAIT      0u
#define NX_WAIT_FOREVER 0xFFFFFFFFu

#ifndef NX_IP_PERIODIC_RATE
#define NX_IP_PERIODIC_RATE 100u /* ticks per second */
#endif

/* Generic NetX status codes. */
#define NX_SUCCESS            0x00u
#define NX_NO_PACKET          0x01u
#define NX_UNDERFLOW          0x02u
#define NX_OVERFLOW           0x03u
#define NX_NO_MAPPING         0x04u
#define NX_DELETED            0x05u
#define NX_POOL_ERROR         0x06u
#define NX_PTR_ERROR          0x07u
#define NX_WAIT_ERROR         0x08u
#define NX_SIZE_ERROR         0x09u
#define NX_OPTION_ERROR       0x0Au
#define NX_DELETE_ERROR       0x10u
#define NX_CALLER_ERROR       0x11u
#define NX_INVALID_PACKET     0x12u
#define NX_INVALID_SOCKET     0x13u
#define NX_NOT_ENABLED        0x14u
#define NX_ALREADY_ENABLED    0x15u
#define NX_ENTRY_NOT_FOUND    0x16u
#define NX_NO_MORE_ENTRIES    0x17u
#define NX_ARP_TIMER_ERROR    0x18u
#define NX_RESERVED_CODE0     0x19u
#define NX_WAIT_ABORTED       0x1Au
#define NX_IP_INTERNAL_ERROR  0x20u
#define NX_IP_ADDRESS_ERROR   0x21u
#define NX_ALREADY_BOUND      0x22u
#define NX_PORT_UNAVAILABLE   0x23u
#define NX_NOT_BOUND          0x24u
#define NX_RESERVED_CODE1     0x25u
#define NX_SOCKET_UNBOUND     0x26u
#define NX_NOT_CREATED        0x27u
#define NX_SOCKETS_BOUND      0x28u
#define NX_NO_RESPONSE        0x29u
#define NX_POOL_DELETED       0x30u
#define NX_ALREADY_RELEASED   0x31u
#define NX_RESERVED_CODE2     0x32u
#define NX_MAX_LISTEN         0x33u
#define NX_DUPLICATE_LISTEN   0x34u
#define NX_NOT_CLOSED         0x35u
#define NX_NOT_LISTEN_STATE   0x36u
#define NX_IN_PROGRESS        0x37u
#define NX_NOT_CONNECTED      0x38u
#define NX_WINDOW_OVERFLOW    0x39u
#define NX_ALREADY_SUSPENDED  0x40u
#define NX_DISCONNECT_FAILED  0x41u
#define NX_STILL_BOUND        0x42u
#define NX_NOT_SUCCESSFUL     0x43u
#define NX_UNHANDLED_COMMAND  0x44u
#define NX_NO_FREE_PORTS      0x45u
#define NX_INVALID_PORT       0x46u
#define NX_INVALID_RELISTEN   0x47u
#define NX_CONNECTION_PENDING 0x48u
#define NX_TX_QUEUE_DEPTH     0x49u
#define NX_NOT_IMPLEMENTED    0x4Au
#define NX_NOT_SUPPORTED      0x4Bu
#define NX_INVALID_INTERFACE  0x4Cu
#define NX_INVALID_PARAMETERS 0x4Du

/* Header room reserved at the front of a packet, as NetX reserves it. Only the
 * sizes matter here: payload budgets match a NetX build with the same pool. */
#define NX_PHYSICAL_HEADER 16u
#define NX_IPv4_PACKET     (NX_PHYSICAL_HEADER + 20u)
#define NX_IPv6_PACKET     (NX_PHYSICAL_HEADER + 40u)
#define NX_IPv4_TCP_PACKET (NX_IPv4_PACKET + 20u)
#define NX_IPv6_TCP_PACKET (NX_IPv6_PACKET + 20u)
#define NX_TCP_PACKET      NX_IPv6_TCP_PACKET

#define NX_IP_VERSION_V4 0x4u
#define NX_IP_VERSION_V6 0x6u

#define NX_ANY_PORT 0u
#define NX_IP_NORMAL 0x00000000u
#define NX_FRAGMENT_OKAY 0x00000000u
#define NX_DONT_FRAGMENT 0x00004000u
#define NX_IP_TIME_TO_LIVE 0x00000080u

/** IPv4 address in host byte order, as NetX writes it. */
#define IP_ADDRESS(a, b, c, d) \
    ((((ULONG)(a)) << 24) | (((ULONG)(b)) << 16) | (((ULONG)(c)) << 8) | ((ULONG)(d)))

/** An IPv4 or IPv6 address; each ULONG in host byte order, most significant first. */
typedef struct NXD_ADDRESS_STRUCT
{
    ULONG nxd_ip_version; /* NX_IP_VERSION_V4 or NX_IP_VERSION_V6 */
    union
    {
        ULONG v4;
        ULONG v6[4];
    } nxd_ip_address;
} NXD_ADDRESS;

struct NX_PACKET_POOL_STRUCT;

/** A packet: one buffer of a pool; several can be chained by nx_packet_next. */
typedef struct NX_PACKET_STRUCT
{
    struct NX_PACKET_POOL_STRUCT *nx_packet_pool_owner;
    struct NX_PACKET_STRUCT *nx_packet_next;       /* next buffer of this packet */
    struct NX_PACKET_STRUCT *nx_packet_last;       /* last buffer (head only) */
    struct NX_PACKET_STRUCT *nx_packet_queue_next; /* free-list link */
    UCHAR *nx_packet_data_start;
    UCHAR *nx_packet_data_end;
    UCHAR *nx_packet_prepend_ptr;
    UCHAR *nx_packet_append_ptr;
    ULONG nx_packet_length;                        /* bytes in the whole chain (head only) */
    ULONG nx_packet_allocated;                     /* NX_PACKET_ALLOCATED or NX_PACKET_FREE */
} NX_PACKET;

#define NX_PACKET_ALLOCATED 0xAAAAAAAAu
#define NX_PACKET_FREE      0xFFFFFFFFu

/** A fixed pool of equal packets carved from caller memory. */
typedef struct NX_PACKET_POOL_STRUCT
{
    ULONG nx_packet_pool_id;
    CHAR *nx_packet_pool_name;
    ULONG nx_packet_pool_available;
    ULONG nx_packet_pool_total;
    ULONG nx_packet_pool_empty_requests;
    ULONG nx_packet_pool_invalid_releases;
    NX_PACKET *nx_packet_pool_available_list;
    UCHAR *nx_packet_pool_start;
    ULONG nx_packet_pool_size;
    ULONG nx_packet_pool_payload_size;
    ULONG nx_packet_pool_fail_countdown; /* nxpop3 fault injection: when set to n, the
                                            n-th allocation from now fails once (0: off) */
} NX_PACKET_POOL;

/** Bytes of pool memory one packet takes (header plus payload, aligned). */
#define NX_PACKET_POOL_ALIGN 8u
#define NX_PACKET_HEADER_SIZE \
    ((ULONG)((sizeof(NX_PACKET) + NX_PACKET_POOL_ALIGN - 1u) & ~(size_t)(NX_PACKET_POOL_ALIGN - 1u)))
#define NX_PACKET_POOL_ELEMENT_SIZE(payload) \
    (NX_PACKET_HEADER_SIZE + (((ULONG)(payload) + NX_PACKET_POOL_ALIGN - 1u) & ~(ULONG)(NX_PACKET_POOL_ALIGN - 1u)))
/** Pool memory that gives count packets of the given payload size at any
 *  alignment of the memory (the pool aligns its start itself). */
#define NX_PACKET_POOL_SIZE(payload, count) \
    (NX_PACKET_POOL_ELEMENT_SIZE(payload) * (ULONG)(count) + NX_PACKET_POOL_ALIGN - 1u)

struct NX_TRANSPORT_STRUCT;

/** The IP instance: a default pool for received data and the transport below TCP. */
typedef struct NX_IP_STRUCT
{
    ULONG nx_ip_id;
    CHAR *nx_ip_name;
    ULONG nx_ip_address;
    ULONG nx_ip_network_mask;
    NX_PACKET_POOL *nx_ip_default_packet_pool;
    struct NX_TRANSPORT_STRUCT *nx_ip_transport;
    UINT nx_ip_tcp_enabled;
    UINT nx_ip_tcp_sockets; /* sockets created on this instance */
} NX_IP;

/** TCP socket states (NetX values). */
#define NX_TCP_CLOSED      1u
#define NX_TCP_ESTABLISHED 5u
#define NX_TCP_CLOSE_WAIT  6u /* the peer closed; no more data will come */

typedef struct NX_TCP_SOCKET_STRUCT
{
    ULONG nx_tcp_socket_id;
    CHAR *nx_tcp_socket_name;
    NX_IP *nx_tcp_socket_ip_ptr;
    UINT nx_tcp_socket_state;
    UINT nx_tcp_socket_bound;
    UINT nx_tcp_socket_port;           /* local port asked for at bind */
    UINT nx_tcp_connect_port;          /* server port */
    NXD_ADDRESS nx_tcp_connect_ip;     /* server address */
    ULONG nx_tcp_socket_rx_window_default;
    VOID *nx_tcp_socket_connection;    /* the transport's handle while connected */
    UINT nx_tcp_socket_peeked;         /* nx_tcp_socket_peek_byte holds a received byte */
    UCHAR nx_tcp_socket_peek_byte;     /* read by nx_tcp_socket_bytes_available() */
} NX_TCP_SOCKET;

/* Packet pool. */
UINT nx_packet_pool_create(NX_PACKET_POOL *pool_ptr, CHAR *name, ULONG payload_size,
                           VOID *memory_ptr, ULONG memory_size);
UINT nx_packet_pool_delete(NX_PACKET_POOL *pool_ptr);
UINT nx_packet_allocate(NX_PACKET_POOL *pool_ptr, NX_PACKET **packet_ptr,
                        ULONG packet_type, ULONG wait_option);
UINT nx_packet_release(NX_PACKET *packet_ptr);
UINT nx_packet_data_append(NX_PACKET *packet_ptr, VOID *data_start, ULONG data_size,
                           NX_PACKET_POOL *pool_ptr, ULONG wait_option);
UINT nx_packet_data_retrieve(NX_PACKET *packet_ptr, VOID *buffer_start, ULONG *bytes_copied);
UINT nx_packet_length_get(NX_PACKET *packet_ptr, ULONG *length);
UINT nx_packet_pool_info_get(NX_PACKET_POOL *pool_ptr, ULONG *total_packets, ULONG *free_packets,
                             ULONG *empty_pool_requests, ULONG *empty_pool_suspensions,
                             ULONG *invalid_packet_releases);

/* IP instance. The driver slot takes the transport (nx_transport.h); the memory
 * and priority arguments exist for NetX compatibility and are not used. */
UINT nx_ip_create(NX_IP *ip_ptr, CHAR *name, ULONG ip_address, ULONG network_mask,
                  NX_PACKET_POOL *default_pool, struct NX_TRANSPORT_STRUCT *transport,
                  VOID *memory_ptr, ULONG memory_size, UINT priority);
UINT nx_ip_delete(NX_IP *ip_ptr);
/** nxpop3 extension: the current time in ticks, from the transport's clock. */
ULONG nx_ip_time_get(NX_IP *ip_ptr);

/* TCP. Callback arguments are accepted and not called (no threads here). */
UINT nx_tcp_enable(NX_IP *ip_ptr);
UINT nx_tcp_socket_create(NX_IP *ip_ptr, NX_TCP_SOCKET *socket_ptr, CHAR *name,
                          ULONG type_of_service, ULONG fragment, UINT time_to_live,
                          ULONG window_size,
                          VOID (*tcp_urgent_data_callback)(NX_TCP_SOCKET *socket_ptr),
                          VOID (*tcp_disconnect_callback)(NX_TCP_SOCKET *socket_ptr));
UINT nx_tcp_socket_delete(NX_TCP_SOCKET *socket_ptr);
UINT nx_tcp_client_socket_bind(NX_TCP_SOCKET *socket_ptr, UINT port, ULONG wait_option);
UINT nx_tcp_client_socket_unbind(NX_TCP_SOCKET *socket_ptr);
UINT nx_tcp_client_socket_connect(NX_TCP_SOCKET *socket_ptr, ULONG server_ip,
                                  UINT server_port, ULONG wait_option);
/** NX_NOT_SUCCESSFUL when TCP connected but the transport's implicit TLS
 *  (POP3S) could not be had (nxpop3's shim). */
UINT nxd_tcp_client_socket_connect(NX_TCP_SOCKET *socket_ptr, NXD_ADDRESS *server_ip,
                                   UINT server_port, ULONG wait_option);
/** On NX_SUCCESS the stack owns (and releases) the packet; otherwise the caller keeps it. */
UINT nx_tcp_socket_send(NX_TCP_SOCKET *socket_ptr, NX_PACKET *packet_ptr, ULONG wait_option);
/** On NX_SUCCESS the caller owns the packet, from the IP instance's default pool.
 *  NX_NO_PACKET: nothing arrived within the wait (or the pool is empty);
 *  NX_NOT_CONNECTED: the peer closed and every byte has been delivered. */
UINT nx_tcp_socket_receive(NX_TCP_SOCKET *socket_ptr, NX_PACKET **packet_ptr, ULONG wait_option);
/** NetX's service: whether bytes wait to be received, without waiting and
 *  without taking a packet. *bytes_available is 0 or 1 here (at least one byte
 *  waits; the transport does not say how many). NX_NOT_CONNECTED when the peer
 *  closed. */
UINT nx_tcp_socket_bytes_available(NX_TCP_SOCKET *socket_ptr, ULONG *bytes_available);
/** nxpop3's shim: starts TLS on the connection through the transport
 *  (nx_transport.h, tls_start) within wait_option ticks. NX_SUCCESS: the
 *  handshake is done and the peer verified; NX_NOT_SUPPORTED: the transport has
 *  no TLS (nothing happened); NX_NOT_SUCCESSFUL: the handshake or the
 *  verification failed, or a received byte was waiting (plaintext must never
 *  be taken into TLS); NX_NOT_CONNECTED. After a failure the connection is
 *  unusable. */
UINT nx_tcp_socket_tls_start(NX_TCP_SOCKET *socket_ptr, ULONG wait_option);
/** nxpop3's shim: the transport's verification result of the peer (0: verified;
 *  NX_TRANSPORT_TLS_OFF: no TLS). NX_NOT_SUPPORTED without TLS support. */
UINT nx_tcp_socket_tls_verify_result(NX_TCP_SOCKET *socket_ptr, ULONG *result);
UINT nx_tcp_socket_disconnect(NX_TCP_SOCKET *socket_ptr, ULONG wait_option);

#ifdef __cplusplus
}
#endif

#endif /* NX_API_H */
