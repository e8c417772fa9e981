/* The nxpop3 C API driven as a NetX application would drive it: a packet pool,
 * an IP instance over the POSIX transport, the POP3 client, then STAT, and per
 * message RETR plus the message_get loop releasing each packet.
 *
 *   nxpop3_reader -h HOST -p PORT -u USER -w PASSWORD -n COUNT
 *                 [-P PAYLOAD_BYTES] [-N PACKETS] [-R READ_BYTES] [-o OUT]
 *
 * With -R, the body is read with nx_pop3_client_message_read into a buffer of
 * READ_BYTES instead (the calls the Python binding makes, without Python).
 * With -o, the messages as the API returned them go to OUT. HOST is an IPv4 or
 * IPv6 literal. */
#define _POSIX_C_SOURCE 200809L
#include "bench_common.h"

#include "nx_transport_posix.h"
#include "nxd_pop3_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reply wait, ticks: generous, the benchmark machine is shared. */
#define REPLY_WAIT (30u * NX_IP_PERIODIC_RATE)

static int fail(const char *what, UINT status)
{
    fprintf(stderr, "nxpop3_reader: %s (status 0x%02X)\n", what, status);
    return 1;
}

static int parse_address(const char *host, NXD_ADDRESS *address)
{
    unsigned char bytes[16];
    int i;

    memset(address, 0, sizeof(*address));
    if (inet_pton(AF_INET, host, bytes) == 1)
    {
        address->nxd_ip_version = NX_IP_VERSION_V4;
        address->nxd_ip_address.v4 = IP_ADDRESS(bytes[0], bytes[1], bytes[2], bytes[3]);
        return 0;
    }
    if (inet_pton(AF_INET6, host, bytes) == 1)
    {
        address->nxd_ip_version = NX_IP_VERSION_V6;
        for (i = 0; i < 4; i++)
        {
            address->nxd_ip_address.v6[i] = ((ULONG)bytes[4 * i] << 24) |
                                            ((ULONG)bytes[4 * i + 1] << 16) |
                                            ((ULONG)bytes[4 * i + 2] << 8) | (ULONG)bytes[4 * i + 3];
        }
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static NX_PACKET_POOL pool;
    static NX_IP ip;
    static NX_POP3_CLIENT client;
    static NX_TRANSPORT transport;
    static NX_TRANSPORT_POSIX posix;
    const char *host = "127.0.0.1";
    const char *out_path = NULL;
    char user[64] = "user";
    char password[64] = "password";
    ULONG port = 0;
    ULONG payload = 16384;
    ULONG packets = 8;
    ULONG read_size = 0;
    UCHAR *read_buffer = NX_NULL;
    static NX_POP3_READER reader;
    ULONG memory_size;
    UCHAR *memory;
    NXD_ADDRESS server;
    long count = 0;
    long n;
    int option;
    int out = -1;
    unsigned long long total = 0;
    UINT status;
    UINT items;
    ULONG maildrop;
    BenchClock start;

    while ((option = getopt(argc, argv, "h:p:u:w:n:P:N:R:o:")) != -1)
    {
        switch (option)
        {
        case 'h': host = optarg; break;
        case 'p': port = (ULONG)atol(optarg); break;
        case 'u': snprintf(user, sizeof(user), "%s", optarg); break;
        case 'w': snprintf(password, sizeof(password), "%s", optarg); break;
        case 'n': count = atol(optarg); break;
        case 'P': payload = (ULONG)atol(optarg); break;
        case 'N': packets = (ULONG)atol(optarg); break;
        case 'R': read_size = (ULONG)atol(optarg); break;
        case 'o': out_path = optarg; break;
        default: return fail("bad option", 0);
        }
    }
    if ((port == 0) || (count < 1) || (payload < 64) || (payload > (16ul << 20)) ||
        (packets < 2) || (packets > 65536) || (read_size > (256ul << 20)) ||
        (parse_address(host, &server) != 0))
    {
        return fail("usage: -h ADDRESS -p PORT -u USER -w PASS -n COUNT [-P BYTES] [-N PACKETS]"
                    " [-R BYTES] [-o OUT]", 0);
    }
    memory_size = NX_PACKET_POOL_SIZE(payload, packets);
    memory = malloc(memory_size);
    if (read_size > 0)
    {
        read_buffer = malloc(read_size);
    }
    if ((memory == NULL) || ((read_size > 0) && (read_buffer == NULL)))
    {
        return fail("out of memory", 0);
    }
    if (out_path != NULL)
    {
        out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0)
        {
            return fail("cannot open the output", 0);
        }
    }

    start = bench_now();
    nx_transport_posix_init(&transport, &posix);
    status = nx_packet_pool_create(&pool, "bench", payload, memory, memory_size);
    if (status == NX_SUCCESS)
    {
        status = nx_ip_create(&ip, "bench", 0, 0, &pool, &transport, NX_NULL, 0, 0);
    }
    if (status == NX_SUCCESS)
    {
        status = nx_tcp_enable(&ip);
    }
    if (status != NX_SUCCESS)
    {
        return fail("pool/ip setup failed", status);
    }
    status = nxd_pop3_client_create_ext(&client, NX_FALSE, &ip, &pool, &server, port, user,
                                        password, REPLY_WAIT, REPLY_WAIT);
    if (status != NX_SUCCESS)
    {
        return fail("nxd_pop3_client_create_ext failed", status);
    }
    status = nx_pop3_client_mail_items_get(&client, &items, &maildrop);
    if ((status != NX_SUCCESS) || ((long)items < count))
    {
        return fail("STAT failed or too few messages", status);
    }

    for (n = 1; n <= count; n++)
    {
        ULONG64 size;
        UINT final = NX_FALSE;
        UINT pieces;

        status = nx_pop3_client_mail_item_get64(&client, (UINT)n, &size);
        if (status != NX_SUCCESS)
        {
            return fail("RETR failed", status);
        }
        /* Bounded: each call fills the buffer or ends the message. */
        while ((read_buffer != NX_NULL) && !final)
        {
            ULONG bytes = 0;

            status = nx_pop3_client_message_read(&client, &reader, read_buffer, read_size,
                                                 &bytes, &final);
            if (status != NX_SUCCESS)
            {
                return fail("message_read failed", status);
            }
            if ((out >= 0) && (bytes > 0) && (write(out, read_buffer, bytes) != (ssize_t)bytes))
            {
                return fail("cannot write the output", 0);
            }
            total += bytes;
        }
        /* Bounded: each piece is at least one received packet of the message. */
        for (pieces = 0; !final; pieces++)
        {
            NX_PACKET *packet;
            ULONG bytes;

            status = nx_pop3_client_mail_item_message_get(&client, &packet, &bytes, &final);
            if (status != NX_SUCCESS)
            {
                return fail("message_get failed", status);
            }
            if ((out >= 0) && (bytes > 0) &&
                (write(out, packet->nx_packet_prepend_ptr, bytes) != (ssize_t)bytes))
            {
                return fail("cannot write the output", 0);
            }
            total += bytes;
            nx_packet_release(packet);
        }
    }
    status = nx_pop3_client_quit(&client);
    if (status != NX_SUCCESS)
    {
        return fail("QUIT failed", status);
    }
    status = nx_pop3_client_delete(&client);
    if (status != NX_SUCCESS)
    {
        return fail("delete failed", status);
    }
    bench_report(start, total, count);
    if ((pool.nx_packet_pool_available != pool.nx_packet_pool_total) ||
        ((out >= 0) && (close(out) != 0)))
    {
        return fail("a packet was not returned, or the output failed", 0);
    }
    return 0;
}
