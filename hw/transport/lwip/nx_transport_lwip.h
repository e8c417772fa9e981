/**
 * @file nx_transport_lwip.h
 * @brief An nxpop3 transport (nx_transport.h) over lwIP's raw TCP API, for
 *        NO_SYS builds with one polled main loop.
 *
 * While a call waits, the transport runs the stack through the poll function
 * the board gives it (take frames from the NIC, run lwIP's timers), so no
 * interrupt or thread is needed. All calls come from that one loop. Each call
 * reads the clock once when it starts and waits against that start, as
 * nx_transport.h asks; nothing here can be interrupted part-way.
 */
#ifndef NX_TRANSPORT_LWIP_H
#define NX_TRANSPORT_LWIP_H

#include "nx_transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Connections open at once (each holds one lwIP TCP PCB), 1..8. */
#ifndef NX_LWIP_MAX_CONNECTIONS
#define NX_LWIP_MAX_CONNECTIONS 2u
#endif

struct tcp_pcb;
struct pbuf;

/** One TCP connection; the handle the shim keeps while connected. */
typedef struct NX_LWIP_CONNECTION_STRUCT
{
    struct tcp_pcb *pcb;   /* NULL once lwIP freed it (reset, abort) or after close */
    struct pbuf *rx;       /* received bytes not yet handed to the shim */
    UINT in_use;
    UINT state;            /* NX_LWIP_STATE_* */
    INT error;             /* lwIP err_t that ended the connection, 0 if none */
} NX_LWIP_CONNECTION;

#define NX_LWIP_STATE_IDLE       0u
#define NX_LWIP_STATE_CONNECTING 1u
#define NX_LWIP_STATE_CONNECTED  2u
#define NX_LWIP_STATE_PEER_CLOSED 3u /* FIN received: buffered bytes remain readable */
#define NX_LWIP_STATE_FAILED     4u  /* reset or aborted: lwIP freed the PCB */

/** The transport's context: the board's hooks and the connection slots. */
typedef struct NX_LWIP_TRANSPORT_STRUCT
{
    VOID (*poll)(VOID *poll_arg);  /* run the stack once; must not block */
    VOID *poll_arg;
    ULONG (*clock)(VOID);          /* ticks, NX_IP_PERIODIC_RATE per second */
    NX_LWIP_CONNECTION connections[NX_LWIP_MAX_CONNECTIONS];
} NX_LWIP_TRANSPORT;

/** The operations table; context is an NX_LWIP_TRANSPORT. */
extern const NX_TRANSPORT_OPS nx_lwip_transport_ops;

/**
 * @brief Prepare a transport instance for nx_ip_create().
 * @param context   memory for the transport's state, owned by the caller
 * @param transport filled with the ops table and context
 * @param poll      runs lwIP once (NIC input, sys_check_timeouts); not NULL
 * @param poll_arg  passed to poll
 * @param clock     the board's tick counter at NX_IP_PERIODIC_RATE; not NULL
 * @return NX_SUCCESS, or NX_PTR_ERROR for a NULL argument
 */
UINT nx_lwip_transport_init(NX_LWIP_TRANSPORT *context, NX_TRANSPORT *transport,
                            VOID (*poll)(VOID *poll_arg), VOID *poll_arg, ULONG (*clock)(VOID));

/**
 * @brief Run the stack for up to wait_ticks or until lwIP has no active TCP
 *        connection left, so closing handshakes complete before the board stops.
 * @return the active connections lwIP still holds (0: all closed)
 */
UINT nx_lwip_transport_drain(NX_LWIP_TRANSPORT *context, ULONG wait_ticks);

#ifdef __cplusplus
}
#endif

#endif /* NX_TRANSPORT_LWIP_H */
