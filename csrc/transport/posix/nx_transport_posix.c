/* The POSIX-socket transport: non-blocking sockets, every wait done by poll()
 * against a deadline taken once per call, so a signal (EINTR) costs neither
 * the connection nor extra time. */
#define _POSIX_C_SOURCE 200809L
#include "nx_transport_posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* When a wait ends: CLOCK_MONOTONIC in nanoseconds, or never. */
typedef struct POSIX_DEADLINE_STRUCT
{
    int forever;
    unsigned long long end_ns;
} POSIX_DEADLINE;

static unsigned long long posix_now_ns(void)
{
    struct timespec now;

    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec;
}

/* Taken once when a call starts; every wait of the call runs against it. */
static POSIX_DEADLINE posix_deadline(ULONG wait_ticks)
{
    POSIX_DEADLINE deadline;

    deadline.forever = (wait_ticks == NX_WAIT_FOREVER);
    deadline.end_ns = posix_now_ns() +
                      (unsigned long long)wait_ticks * 1000000000ull / NX_IP_PERIODIC_RATE;
    return deadline;
}

static int posix_expired(const POSIX_DEADLINE *deadline)
{
    return !deadline->forever && (posix_now_ns() >= deadline->end_ns);
}

/* Milliseconds left for poll(): -1 forever, 0 when the deadline has passed,
 * otherwise rounded up (poll never returns before the deadline) and capped at
 * INT_MAX (a longer wait polls again for the rest). */
static int posix_ms_left(const POSIX_DEADLINE *deadline)
{
    unsigned long long now;
    unsigned long long ms;

    if (deadline->forever)
    {
        return -1;
    }
    now = posix_now_ns();
    if (now >= deadline->end_ns)
    {
        return 0;
    }
    ms = (deadline->end_ns - now + 999999ull) / 1000000ull;
    return (ms > (unsigned long long)INT_MAX) ? INT_MAX : (int)ms;
}

/* 1 ready, 0 the deadline passed, -1 error. A signal (EINTR) or an early
 * wake-up polls again for the time left. Bounded by the deadline: each pass
 * ends in readiness, an error, or a poll that used up time. */
static int posix_wait(int fd, short events, const POSIX_DEADLINE *deadline)
{
    for (;;)
    {
        struct pollfd entry;
        int left = posix_ms_left(deadline);
        int result;

        entry.fd = fd;
        entry.events = events;
        entry.revents = 0;
        result = poll(&entry, 1, left);
        if (result > 0)
        {
            return 1; /* readable, writable, or an error the next call reports */
        }
        if ((result < 0) && (errno != EINTR))
        {
            return -1;
        }
        if ((result == 0) && (left == 0))
        {
            return 0;
        }
        /* EINTR, or woken before the deadline: wait again for what is left;
         * once it has passed, left is 0 and the next poll only checks. */
    }
}

static INT posix_closed_or_error(int error)
{
    if ((error == ECONNRESET) || (error == EPIPE) || (error == ECONNREFUSED) ||
        (error == ECONNABORTED) || (error == ENOTCONN))
    {
        return NX_TRANSPORT_CLOSED;
    }
    return NX_TRANSPORT_ERROR;
}

/* The most one call moves: what the contract's LONG return can carry. */
static size_t posix_io_size(ULONG size)
{
    return (size > NX_TRANSPORT_IO_MAX) ? (size_t)NX_TRANSPORT_IO_MAX : (size_t)size;
}

static INT posix_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server, UINT port,
                         ULONG wait_ticks)
{
    NX_TRANSPORT_POSIX *posix = (NX_TRANSPORT_POSIX *)context;
    POSIX_DEADLINE deadline = posix_deadline(wait_ticks);
    struct sockaddr_storage address;
    socklen_t address_length;
    int *slot = NULL;
    int fd;
    int one = 1;
    int error = 0;
    socklen_t error_length = sizeof(error);
    int i;

    for (i = 0; (i < NX_TRANSPORT_POSIX_CONNECTIONS) && (slot == NULL); i++)
    {
        if (posix->fd[i] < 0)
        {
            slot = &posix->fd[i];
        }
    }
    if (slot == NULL)
    {
        return NX_TRANSPORT_ERROR;
    }

    memset(&address, 0, sizeof(address));
    if (server->nxd_ip_version == NX_IP_VERSION_V6)
    {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&address;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        for (i = 0; i < 4; i++)
        {
            ULONG word = server->nxd_ip_address.v6[i];
            v6->sin6_addr.s6_addr[4 * i] = (UCHAR)(word >> 24);
            v6->sin6_addr.s6_addr[4 * i + 1] = (UCHAR)(word >> 16);
            v6->sin6_addr.s6_addr[4 * i + 2] = (UCHAR)(word >> 8);
            v6->sin6_addr.s6_addr[4 * i + 3] = (UCHAR)word;
        }
        address_length = sizeof(*v6);
    }
    else
    {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&address;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        v4->sin_addr.s_addr = htonl(server->nxd_ip_address.v4);
        address_length = sizeof(*v4);
    }

    fd = socket(address.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
    {
        return NX_TRANSPORT_ERROR;
    }
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) != 0)
    {
        (void)close(fd);
        return NX_TRANSPORT_ERROR;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    if (connect(fd, (struct sockaddr *)&address, address_length) != 0)
    {
        int ready;

        /* EINTR: the connection goes on in the background (POSIX), as with
         * EINPROGRESS; calling connect() again would report EALREADY. */
        if ((errno != EINPROGRESS) && (errno != EINTR))
        {
            error = errno;
            (void)close(fd);
            return posix_closed_or_error(error);
        }
        ready = posix_wait(fd, POLLOUT, &deadline);
        if (ready <= 0)
        {
            (void)close(fd);
            return (ready == 0) ? NX_TRANSPORT_TIMEOUT : NX_TRANSPORT_ERROR;
        }
        if ((getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) != 0) || (error != 0))
        {
            (void)close(fd);
            return posix_closed_or_error(error);
        }
    }

    *slot = fd;
    *connection = slot;
    return NX_TRANSPORT_OK;
}

static LONG posix_send(VOID *context, VOID *connection, const UCHAR *data, ULONG length,
                       ULONG wait_ticks)
{
    int fd = *(int *)connection;
    size_t asked = posix_io_size(length);
    POSIX_DEADLINE deadline = posix_deadline(wait_ticks);

    (void)context;
    /* Bounded by the deadline: a pass that does not return has waited for
     * what was left of it, or was cut short by a signal; once the deadline
     * has passed, the next pass that cannot send returns 0. */
    for (;;)
    {
        ssize_t sent = send(fd, data, asked, MSG_NOSIGNAL);
        int error;

        if (sent >= 0)
        {
            return (LONG)sent;
        }
        error = errno;
        if ((error != EINTR) && (error != EAGAIN) && (error != EWOULDBLOCK))
        {
            return posix_closed_or_error(error);
        }
        if (posix_expired(&deadline))
        {
            return 0;
        }
        if (error != EINTR)
        {
            int ready = posix_wait(fd, POLLOUT, &deadline);
            if (ready <= 0)
            {
                return (ready == 0) ? 0 : NX_TRANSPORT_ERROR;
            }
        }
    }
}

static LONG posix_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                          ULONG wait_ticks)
{
    int fd = *(int *)connection;
    size_t asked = posix_io_size(size);
    POSIX_DEADLINE deadline = posix_deadline(wait_ticks);

    (void)context;
    /* Read first: when data is waiting, that is one system call, not two.
     * Bounded by the deadline, as in posix_send. */
    for (;;)
    {
        ssize_t got = recv(fd, buffer, asked, 0);
        int error;

        if (got > 0)
        {
            return (LONG)got;
        }
        if (got == 0)
        {
            return NX_TRANSPORT_CLOSED;
        }
        error = errno;
        if ((error != EINTR) && (error != EAGAIN) && (error != EWOULDBLOCK))
        {
            return posix_closed_or_error(error);
        }
        if (posix_expired(&deadline))
        {
            return 0;
        }
        if (error != EINTR)
        {
            int ready = posix_wait(fd, POLLIN, &deadline);
            if (ready <= 0)
            {
                return (ready == 0) ? 0 : NX_TRANSPORT_ERROR;
            }
        }
    }
}

static VOID posix_close(VOID *context, VOID *connection)
{
    int *slot = (int *)connection;

    (void)context;
    if (*slot >= 0)
    {
        (void)close(*slot);
        *slot = -1;
    }
}

static ULONG posix_ticks(VOID *context)
{
    (void)context;
    return (ULONG)(posix_now_ns() / 1000000ull * NX_IP_PERIODIC_RATE / 1000ull);
}

static const NX_TRANSPORT_OPS posix_ops = {
    posix_connect, posix_send, posix_receive, posix_close, posix_ticks,
    NX_NULL, NX_NULL /* no TLS: a TLS layer wraps this transport */
};

VOID nx_transport_posix_init(NX_TRANSPORT *transport, NX_TRANSPORT_POSIX *context)
{
    int i;

    for (i = 0; i < NX_TRANSPORT_POSIX_CONNECTIONS; i++)
    {
        context->fd[i] = -1;
    }
    transport->ops = &posix_ops;
    transport->context = context;
}
