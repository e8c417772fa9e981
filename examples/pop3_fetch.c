/* pop3_fetch: a whole POP3 session through the NetX API on a host, as a C
 * application writes it. Logs in, lists the maildrop, fetches every message
 * with message_get (releasing each packet), prints index, size and CRC-32,
 * optionally deletes each once stored, and quits. The exit status is 0 or the failing NetX status.
 *
 *   pop3_fetch HOST_IPV4 PORT USER PASSWORD [apop] [delete]
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static ULONG crc32_update(ULONG crc, const UCHAR *data, ULONG length)
{
    ULONG i;
    UINT bit;

    for (i = 0u; i < length; i++)
    {
        crc ^= data[i];
        for (bit = 0u; bit < 8u; bit++)
        {
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
        }
    }
    return crc;
}

/* Reads the current message to its end; bounded by the pieces a message of
 * any size can arrive in (each piece consumes at least one received byte). */
static UINT fetch_body(ULONG *length, ULONG *crc)
{
    UINT final = NX_FALSE;
    UINT status = NX_SUCCESS;
    ULONG pieces;

    *length = 0u;
    *crc = 0xFFFFFFFFu;
    for (pieces = 0u; (pieces < 0xFFFFFFFFu) && (final == NX_FALSE); pieces++)
    {
        NX_PACKET *packet;
        ULONG bytes;

        status = nx_pop3_client_mail_item_message_get(&client, &packet, &bytes, &final);
        if (status != NX_SUCCESS)
        {
            break;
        }
        *crc = crc32_update(*crc, packet->nx_packet_prepend_ptr, bytes);
        *length += bytes;
        nx_packet_release(packet);
    }
    *crc ^= 0xFFFFFFFFu;
    return status;
}

static int finish(UINT status, const char *what)
{
    if (status != NX_SUCCESS)
    {
        fprintf(stderr, "%s failed: status 0x%02X (%s)\n", what, status,
                client.nx_pop3_client_reply_text);
    }
    nx_pop3_client_delete(&client);
    nx_ip_delete(&ip);
    if (pool.nx_packet_pool_available != pool.nx_packet_pool_total)
    {
        fprintf(stderr, "packets leaked: %lu of %lu free\n",
                (unsigned long)pool.nx_packet_pool_available,
                (unsigned long)pool.nx_packet_pool_total);
        return 0xFF;
    }
    nx_packet_pool_delete(&pool);
    return (int)status;
}

int main(int argc, char **argv)
{
    struct in_addr address;
    UINT apop = NX_FALSE;
    UINT remove = NX_FALSE;
    UINT count;
    ULONG total;
    UINT status;
    UINT index;
    int i;

    if ((argc < 5) || (inet_pton(AF_INET, argv[1], &address) != 1))
    {
        fprintf(stderr, "usage: pop3_fetch HOST_IPV4 PORT USER PASSWORD [apop] [delete]\n");
        return 2;
    }
    for (i = 5; i < argc; i++)
    {
        apop = apop || (strcmp(argv[i], "apop") == 0);
        remove = remove || (strcmp(argv[i], "delete") == 0);
    }

    nx_transport_posix_init(&transport, &posix);
    if ((nx_packet_pool_create(&pool, "pop3", PAYLOAD, pool_memory, sizeof(pool_memory)) != NX_SUCCESS) ||
        (nx_ip_create(&ip, "ip", 0, 0, &pool, &transport, NX_NULL, 0, 0) != NX_SUCCESS) ||
        (nx_tcp_enable(&ip) != NX_SUCCESS))
    {
        fprintf(stderr, "setup failed\n");
        return 1;
    }

    status = nx_pop3_client_create(&client, apop, &ip, &pool, ntohl(address.s_addr),
                                   (ULONG)strtoul(argv[2], NX_NULL, 10), argv[3], argv[4]);
    if (status != NX_SUCCESS)
    {
        return finish(status, "login");
    }
    status = nx_pop3_client_mail_items_get(&client, &count, &total);
    if (status != NX_SUCCESS)
    {
        return finish(status, "STAT");
    }
    printf("STAT %u %lu%s\n", count, (unsigned long)total,
           client.nx_pop3_client_enable_APOP_authentication ? " (APOP)" : "");

    for (index = 1u; index <= count; index++)
    {
        ULONG listed;
        ULONG size;
        ULONG crc;

        status = nx_pop3_client_mail_item_size_get(&client, index, &listed);
        if (status == NX_SUCCESS)
        {
            status = nx_pop3_client_mail_item_get(&client, index, &size);
        }
        if (status == NX_SUCCESS)
        {
            status = fetch_body(&size, &crc);
        }
        if (status != NX_SUCCESS)
        {
            return finish(status, "RETR");
        }
        printf("MSG %u %lu %08lx\n", index, (unsigned long)size, (unsigned long)crc);
        if (remove)
        {
            status = nx_pop3_client_mail_item_delete(&client, index);
            if (status != NX_SUCCESS)
            {
                return finish(status, "DELE");
            }
        }
    }
    status = nx_pop3_client_noop(&client);
    if (status == NX_SUCCESS)
    {
        status = nx_pop3_client_quit(&client); /* the server applies deletions now */
    }
    return finish(status, "QUIT");
}
