/* signal_session: a POP3 session through the POSIX transport while an interval
 * timer interrupts it. The SIGALRM handler is installed without SA_RESTART, so
 * every tick that lands in poll(), connect() or send() ends it with EINTR: the
 * transport must resume with the time left and keep the connection.
 *
 *   signal_session HOST_IPV4 PORT INTERVAL_US REPLY_WAIT_TICKS
 *
 * Logs in as alice/secret, then STAT, RETR of every message, QUIT. Prints one
 * line: status=0x.. signals=N elapsed_ms=M messages=K bytes=B. The test that
 * runs it (tests/netx/test_transport_signals_c.py) judges the numbers.
 */
#define _XOPEN_SOURCE 700
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "nx_transport_posix.h"
#include "nxd_pop3_client.h"

#define PAYLOAD 1536u
#define PACKETS 16u

static ULONG64 pool_memory[NX_PACKET_POOL_SIZE(PAYLOAD, PACKETS) / 8u + 1u];
static NX_PACKET_POOL pool;
static NX_IP ip;
static NX_TRANSPORT transport;
static NX_TRANSPORT_POSIX posix;
static NX_POP3_CLIENT client;
static volatile sig_atomic_t signals_seen;

static void on_alarm(int signum)
{
    (void)signum;
    signals_seen = signals_seen + 1;
}

static unsigned long now_ms(void)
{
    struct timespec now;

    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long)now.tv_sec * 1000ul + (unsigned long)now.tv_nsec / 1000000ul;
}

/* Reads the current message to its end; bounded as in examples/pop3_fetch.c. */
static UINT read_body(ULONG *bytes_total)
{
    UINT final = NX_FALSE;
    UINT status = NX_SUCCESS;
    ULONG pieces;

    for (pieces = 0u; (pieces < 0xFFFFFFFFu) && (final == NX_FALSE); pieces++)
    {
        NX_PACKET *packet;
        ULONG bytes;

        status = nx_pop3_client_mail_item_message_get(&client, &packet, &bytes, &final);
        if (status != NX_SUCCESS)
        {
            break;
        }
        *bytes_total += bytes;
        nx_packet_release(packet);
    }
    return status;
}

static UINT session(NXD_ADDRESS *server, ULONG port, ULONG reply_wait, UINT *messages,
                    ULONG *bytes)
{
    static CHAR user[] = "alice";
    static CHAR password[] = "secret";
    UINT count = 0u;
    ULONG total;
    UINT index;
    UINT status;

    status = nxd_pop3_client_create_ext(&client, NX_FALSE, &ip, &pool, server, port, user,
                                        password, reply_wait, reply_wait);
    if (status != NX_SUCCESS)
    {
        return status;
    }
    status = nx_pop3_client_mail_items_get(&client, &count, &total);
    for (index = 1u; (index <= count) && (status == NX_SUCCESS); index++)
    {
        ULONG size;

        status = nx_pop3_client_mail_item_get(&client, index, &size);
        if (status == NX_SUCCESS)
        {
            status = read_body(bytes);
        }
        if (status == NX_SUCCESS)
        {
            (*messages)++;
        }
    }
    if (status == NX_SUCCESS)
    {
        status = nx_pop3_client_quit(&client);
    }
    (void)nx_pop3_client_delete(&client);
    return status;
}

int main(int argc, char **argv)
{
    struct in_addr address;
    NXD_ADDRESS server;
    struct sigaction action;
    struct itimerval timer;
    unsigned long interval_us;
    unsigned long started;
    UINT messages = 0u;
    ULONG bytes = 0u;
    UINT status;

    if ((argc != 5) || (inet_pton(AF_INET, argv[1], &address) != 1))
    {
        fprintf(stderr, "usage: signal_session HOST_IPV4 PORT INTERVAL_US REPLY_WAIT_TICKS\n");
        return 2;
    }
    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = ntohl(address.s_addr);

    nx_transport_posix_init(&transport, &posix);
    if ((nx_packet_pool_create(&pool, "pop3", PAYLOAD, pool_memory, sizeof(pool_memory)) != NX_SUCCESS) ||
        (nx_ip_create(&ip, "ip", 0, 0, &pool, &transport, NX_NULL, 0, 0) != NX_SUCCESS) ||
        (nx_tcp_enable(&ip) != NX_SUCCESS))
    {
        fprintf(stderr, "setup failed\n");
        return 1;
    }

    memset(&action, 0, sizeof(action));
    action.sa_handler = on_alarm;
    action.sa_flags = 0; /* no SA_RESTART: a tick interrupts the system call */
    (void)sigemptyset(&action.sa_mask);
    if (sigaction(SIGALRM, &action, NULL) != 0)
    {
        perror("sigaction");
        return 1;
    }
    interval_us = strtoul(argv[3], NULL, 10);
    memset(&timer, 0, sizeof(timer));
    timer.it_interval.tv_sec = (time_t)(interval_us / 1000000ul);
    timer.it_interval.tv_usec = (suseconds_t)(interval_us % 1000000ul);
    timer.it_value = timer.it_interval;
    if (setitimer(ITIMER_REAL, &timer, NULL) != 0)
    {
        perror("setitimer");
        return 1;
    }

    started = now_ms();
    status = session(&server, strtoul(argv[2], NULL, 10), strtoul(argv[4], NULL, 10), &messages,
                     &bytes);
    memset(&timer, 0, sizeof(timer));
    (void)setitimer(ITIMER_REAL, &timer, NULL);

    printf("status=0x%02X signals=%lu elapsed_ms=%lu messages=%u bytes=%lu free=%lu/%lu\n",
           status, (unsigned long)signals_seen, now_ms() - started, messages,
           (unsigned long)bytes, (unsigned long)pool.nx_packet_pool_available,
           (unsigned long)pool.nx_packet_pool_total);
    (void)nx_ip_delete(&ip);
    return 0;
}
