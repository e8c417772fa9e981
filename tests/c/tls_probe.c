/* tls_probe: the TLS transport (csrc/transport/tls) alone, over the POSIX
 * transport, with its contract's numbers printed for a test to judge.
 *
 *   tls_probe HOST_IPV4 PORT CAFILE SERVER_NAME WAIT_TICKS RECEIVES
 *
 * Connects with implicit TLS within WAIT_TICKS, then receives RECEIVES times
 * (each within WAIT_TICKS, up to 4096 bytes). Prints one line:
 *   connect=R connect_ms=M verify=0x.. error=-0x.. [receive=R receive_ms=M bytes=N]...
 * where R is the transport's result (0 OK, -1 timeout, -2 closed, -3 error, or
 * a byte count). tests/c/test_tls_transport.py runs it.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nx_transport_posix.h"
#include "nx_transport_tls.h"

static NX_TRANSPORT posix_transport;
static NX_TRANSPORT_POSIX posix;
static NX_TRANSPORT transport;
static NX_TRANSPORT_TLS tls;
static UCHAR ca_chain[65536];
static UCHAR buffer[4096];

static unsigned long now_ms(void)
{
    struct timespec now;

    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned long)now.tv_sec * 1000ul + (unsigned long)now.tv_nsec / 1000000ul;
}

int main(int argc, char **argv)
{
    NX_TRANSPORT_TLS_CONFIG config;
    NXD_ADDRESS server;
    struct in_addr address;
    VOID *connection = NX_NULL;
    ULONG wait;
    unsigned long start;
    size_t length;
    FILE *file;
    INT result;
    long receives;
    long i;

    if ((argc != 7) || (inet_pton(AF_INET, argv[1], &address) != 1))
    {
        fprintf(stderr, "usage: tls_probe HOST_IPV4 PORT CAFILE SERVER_NAME WAIT_TICKS RECEIVES\n");
        return 2;
    }
    file = fopen(argv[3], "rb");
    if (file == NULL)
    {
        return 2;
    }
    length = fread(ca_chain, 1u, sizeof(ca_chain) - 1u, file);
    (void)fclose(file);
    ca_chain[length] = 0u;

    config.ca_chain = ca_chain;
    config.ca_chain_length = (ULONG)length + 1u;
    config.server_name = argv[4];
    config.implicit = NX_TRUE;
    config.entropy = NX_NULL;
    config.entropy_context = NX_NULL;
    nx_transport_posix_init(&posix_transport, &posix);
    if (nx_transport_tls_init(&transport, &tls, &posix_transport, &config) != NX_SUCCESS)
    {
        fprintf(stderr, "init failed: -0x%04X\n", (unsigned)-nx_transport_tls_last_error(&tls));
        return 1;
    }
    wait = (ULONG)strtoul(argv[5], NX_NULL, 10);
    receives = strtol(argv[6], NX_NULL, 10);

    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = ntohl(address.s_addr);
    start = now_ms();
    result = transport.ops->connect(transport.context, &connection, &server,
                                    (UINT)strtoul(argv[2], NX_NULL, 10), wait);
    printf("connect=%d connect_ms=%lu verify=0x%08lx error=-0x%04x", (int)result,
           now_ms() - start, (unsigned long)nx_transport_tls_last_verify_result(&tls),
           (unsigned)-nx_transport_tls_last_error(&tls));
    for (i = 0; (i < receives) && (result == NX_TRANSPORT_OK); i++)
    {
        LONG received;

        start = now_ms();
        received = transport.ops->receive(transport.context, connection, buffer, sizeof(buffer),
                                          wait);
        printf(" receive=%ld receive_ms=%lu", (long)received, now_ms() - start);
        if (received < 0)
        {
            break;
        }
    }
    if (result == NX_TRANSPORT_OK)
    {
        printf(" tls_verify=0x%08lx",
               (unsigned long)transport.ops->tls_verify_result(transport.context, connection));
        transport.ops->close(transport.context, connection);
    }
    printf("\n");
    nx_transport_tls_delete(&tls);
    return 0;
}
