/* The nxpop3 C API driven as a NetX application would drive it: a packet pool,
 * an IP instance over the POSIX transport, the POP3 client, then STAT, and per
 * message RETR plus the message_get loop releasing each packet.
 *
 *   nxpop3_reader -h HOST -p PORT -u USER -w PASSWORD -n COUNT
 *                 [-P PAYLOAD_BYTES] [-N PACKETS] [-R READ_BYTES] [-L] [-o OUT]
 *
 * With -R, the body is read with nx_pop3_client_message_read into a buffer of
 * READ_BYTES instead (the calls the Python binding makes, without Python).
 * With -L, CAPA is asked after STAT and the messages come in one pipelined
 * batch (nx_pop3_client_pipeline_start, then pipeline_next per message, its
 * body read as RETR's): pipelined when CAPA listed PIPELINING, one RETR at a
 * time otherwise. The report then says which ("pipelined": 1 or 0).
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

/* The body of the message now being received, to its final piece: with
 * message_read into read_buffer when there is one, else the message_get loop
 * releasing each packet. Returns NX_SUCCESS or the failing call's status. */
static UINT read_body(NX_POP3_CLIENT *client, UCHAR *read_buffer, ULONG read_size, int out,
                      unsigned long long *total)
{
    static NX_POP3_READER reader;
    UINT final = NX_FALSE;
    UINT status;
    UINT pieces;

    /* Bounded: each call fills the buffer or ends the message. */
    while ((read_buffer != NX_NULL) && !final)
    {
        ULONG bytes = 0;

        status = nx_pop3_client_message_read(client, &reader, read_buffer, read_size, &bytes,
                                             &final);
        if (status != NX_SUCCESS)
        {
            return status;
        }
        if ((out >= 0) && (bytes > 0) && (write(out, read_buffer, bytes) != (ssize_t)bytes))
        {
            return NX_NOT_SUCCESSFUL;
        }
        *total += bytes;
    }
    /* Bounded: each piece is at least one received packet of the message. */
    for (pieces = 0; !final; pieces++)
    {
        NX_PACKET *packet;
        ULONG bytes;

        status = nx_pop3_client_mail_item_message_get(client, &packet, &bytes, &final);
        if (status != NX_SUCCESS)
        {
            return status;
        }
        if ((out >= 0) && (bytes > 0) &&
            (write(out, packet->nx_packet_prepend_ptr, bytes) != (ssize_t)bytes))
        {
            nx_packet_release(packet);
            return NX_NOT_SUCCESSFUL;
        }
        *total += bytes;
        nx_packet_release(packet);
    }
    return NX_SUCCESS;
}

/* The pipelined batch of messages 1..count. Returns NX_SUCCESS or a failure. */
static UINT read_pipelined(NX_POP3_CLIENT *client, long count, UCHAR *read_buffer,
                           ULONG read_size, int out, unsigned long long *total)
{
    static NX_POP3_PIPELINE pipeline;
    UINT *items = malloc((size_t)count * sizeof(UINT));
    UINT status;
    long n;

    if (items == NX_NULL)
    {
        return NX_NOT_SUCCESSFUL;
    }
    for (n = 0; n < count; n++)
    {
        items[n] = (UINT)(n + 1);
    }
    status = nx_pop3_client_pipeline_start(client, &pipeline, items, (UINT)count);
    /* Bounded: each call ends one message of the batch or the batch. */
    for (n = 1; (status == NX_SUCCESS) && (n <= count + 1); n++)
    {
        UINT item = 0;
        ULONG64 size = 0;

        status = nx_pop3_client_pipeline_next(client, &item, &size);
        if ((status == NX_NO_MORE_ENTRIES) && (n == count + 1))
        {
            status = NX_SUCCESS;
            break;
        }
        if ((status == NX_SUCCESS) && ((long)item != n))
        {
            status = NX_NOT_SUCCESSFUL; /* out of order: cannot happen */
        }
        if (status == NX_SUCCESS)
        {
            status = read_body(client, read_buffer, read_size, out, total);
        }
    }
    free(items);
    return status;
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
    int pipelined = -1; /* -L: 1 when CAPA listed PIPELINING, else 0 */
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

    while ((option = getopt(argc, argv, "h:p:u:w:n:P:N:R:Lo:")) != -1)
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
        case 'L': pipelined = 0; break;
        case 'o': out_path = optarg; break;
        default: return fail("bad option", 0);
        }
    }
    if ((port == 0) || (count < 1) || (payload < 64) || (payload > (16ul << 20)) ||
        (packets < 2) || (packets > 65536) || (read_size > (256ul << 20)) ||
        (parse_address(host, &server) != 0))
    {
        return fail("usage: -h ADDRESS -p PORT -u USER -w PASS -n COUNT [-P BYTES] [-N PACKETS]"
                    " [-R BYTES] [-L] [-o OUT]", 0);
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

    if (pipelined >= 0)
    {
        status = nx_pop3_client_capabilities_get(&client, NX_NULL, NX_NULL);
        if (status != NX_SUCCESS)
        {
            return fail("CAPA failed", status);
        }
        pipelined = ((client.nx_pop3_client_capabilities & NX_POP3_CAPABILITY_PIPELINING) != 0u);
        status = read_pipelined(&client, count, read_buffer, read_size, out, &total);
        if (status != NX_SUCCESS)
        {
            return fail("the pipelined batch failed", status);
        }
    }
    for (n = 1; (pipelined < 0) && (n <= count); n++)
    {
        ULONG64 size;

        status = nx_pop3_client_mail_item_get64(&client, (UINT)n, &size);
        if (status != NX_SUCCESS)
        {
            return fail("RETR failed", status);
        }
        status = read_body(&client, read_buffer, read_size, out, &total);
        if (status != NX_SUCCESS)
        {
            return fail("reading the message failed", status);
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
    bench_report(start, total, count, pipelined);
    if ((pool.nx_packet_pool_available != pool.nx_packet_pool_total) ||
        ((out >= 0) && (close(out) != 0)))
    {
        return fail("a packet was not returned, or the output failed", 0);
    }
    return 0;
}
