/* The POSIX-socket transport: non-blocking sockets, every wait done by poll(). */
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

/* Interrupted system calls are retried at most this often. */
#define POSIX_RETRY_LIMIT 16

static int posix_timeout_ms(ULONG wait_ticks)
{
    unsigned long long ms;

    if (wait_ticks == NX_WAIT_FOREVER)
    {
        return -1;
    }
    ms = ((unsigned long long)wait_ticks * 1000ull + NX_IP_PERIODIC_RATE - 1u) / NX_IP_PERIODIC_RATE;
    return (ms > (unsigned long long)INT_MAX) ? INT_MAX : (int)ms;
}

/* 1 ready, 0 timed out, -1 error. */
static int posix_wait(int fd, short events, ULONG wait_ticks)
{
    struct pollfd entry;
    int attempt;
    int result = -1;

    for (attempt = 0; attempt < POSIX_RETRY_LIMIT; attempt++)
    {
        entry.fd = fd;
        entry.events = events;
        entry.revents = 0;
        result = poll(&entry, 1, posix_timeout_ms(wait_ticks));
        if ((result >= 0) || (errno != EINTR))
        {
            break;
        }
    }
    if (result > 0)
    {
        return 1;
    }
    return (result == 0) ? 0 : -1;
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

static INT posix_connect(VOID *context, VOID **connection, const NXD_ADDRESS *server, UINT port,
                         ULONG wait_ticks)
{
    NX_TRANSPORT_POSIX *posix = (NX_TRANSPORT_POSIX *)context;
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

        if (errno != EINPROGRESS)
        {
            error = errno;
            (void)close(fd);
            return posix_closed_or_error(error);
        }
        ready = posix_wait(fd, POLLOUT, wait_ticks);
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
    int attempt;

    (void)context;
    for (attempt = 0; attempt < POSIX_RETRY_LIMIT; attempt++)
    {
        ssize_t sent = send(fd, data, length, MSG_NOSIGNAL);
        int ready;

        if (sent >= 0)
        {
            return (LONG)sent;
        }
        if (errno == EINTR)
        {
            continue;
        }
        if ((errno != EAGAIN) && (errno != EWOULDBLOCK))
        {
            return posix_closed_or_error(errno);
        }
        ready = posix_wait(fd, POLLOUT, wait_ticks);
        if (ready == 0)
        {
            return 0;
        }
        if (ready < 0)
        {
            return NX_TRANSPORT_ERROR;
        }
    }
    return 0;
}

static LONG posix_receive(VOID *context, VOID *connection, UCHAR *buffer, ULONG size,
                          ULONG wait_ticks)
{
    int fd = *(int *)connection;
    size_t asked = (size > (ULONG)LONG_MAX) ? (size_t)LONG_MAX : (size_t)size;
    int attempt;

    (void)context;
    /* Read first: when data is waiting, that is one system call, not two. */
    for (attempt = 0; attempt < POSIX_RETRY_LIMIT; attempt++)
    {
        ssize_t got = recv(fd, buffer, asked, 0);
        int ready;

        if (got > 0)
        {
            return (LONG)got;
        }
        if (got == 0)
        {
            return NX_TRANSPORT_CLOSED;
        }
        if (errno == EINTR)
        {
            continue;
        }
        if ((errno != EAGAIN) && (errno != EWOULDBLOCK))
        {
            return posix_closed_or_error(errno);
        }
        ready = posix_wait(fd, POLLIN, wait_ticks);
        if (ready == 0)
        {
            return 0;
        }
        if (ready < 0)
        {
            return NX_TRANSPORT_ERROR;
        }
    }
    return 0;
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
    struct timespec now;
    unsigned long long ms;

    (void)context;
    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (unsigned long long)now.tv_sec * 1000ull + (unsigned long long)now.tv_nsec / 1000000ull;
    return (ULONG)(ms * NX_IP_PERIODIC_RATE / 1000ull);
}

static const NX_TRANSPORT_OPS posix_ops = {
    posix_connect, posix_send, posix_receive, posix_close, posix_ticks
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
