/* pop3_fetch: a whole POP3 session through the NetX API on a host, as a C
 * application writes it. Connects (over TLS from the first byte with --tls;
 * CAPA, STLS, CAPA with --starttls), logs in, lists the maildrop, fetches every
 * message with message_get (releasing each packet), prints index, size and
 * CRC-32, optionally deletes each once stored, and quits. The exit status is 0
 * or the failing NetX status.
 *
 *   pop3_fetch [--tls | --starttls] [--cafile FILE] [--server-name NAME]
 *              HOST PORT USER PASSWORD [apop] [delete]
 *
 * HOST is an IPv4 or IPv6 address or a name. With TLS, the server's
 * certificate must chain to a CA in FILE (PEM; default the system's bundle)
 * and carry NAME (default HOST); the first line printed is then
 * "TLS verify=0x00000000". Without Mbed TLS at build time the TLS options are
 * refused.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nx_transport_posix.h"
#include "nxd_pop3_client.h"
#ifdef NXPOP3_EXAMPLE_TLS
#include "mbedtls/error.h"
#include "mbedtls/x509_crt.h"
#include "nx_transport_tls.h"
#endif

#define PAYLOAD 1536u
#define PACKETS 16u
#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"

enum security { PLAIN, IMPLICIT_TLS, STARTTLS };

static ULONG64 pool_memory[NX_PACKET_POOL_SIZE(PAYLOAD, PACKETS) / 8u + 1u];
static NX_PACKET_POOL pool;
static NX_IP ip;
static NX_TRANSPORT transport;
static NX_TRANSPORT_POSIX posix;
static NX_POP3_CLIENT client;
static NX_POP3_APOP_STAMP stamp;
#ifdef NXPOP3_EXAMPLE_TLS
static NX_TRANSPORT posix_transport;
static NX_TRANSPORT_TLS tls;
static UCHAR *ca_chain;
static int tls_made;
#endif

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
#ifdef NXPOP3_EXAMPLE_TLS
    if (tls_made)
    {
        nx_transport_tls_delete(&tls);
    }
    free(ca_chain);
#endif
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

/* HOST as an address: a literal, or the first address the name resolves to. */
static int resolve(const char *host, NXD_ADDRESS *address)
{
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    int i;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((getaddrinfo(host, NULL, &hints, &found) != 0) || (found == NULL))
    {
        return 0;
    }
    memset(address, 0, sizeof(*address));
    if (found->ai_family == AF_INET6)
    {
        const UCHAR *bytes = ((const struct sockaddr_in6 *)found->ai_addr)->sin6_addr.s6_addr;
        address->nxd_ip_version = NX_IP_VERSION_V6;
        for (i = 0; i < 4; i++)
        {
            address->nxd_ip_address.v6[i] = ((ULONG)bytes[4 * i] << 24) |
                                            ((ULONG)bytes[4 * i + 1] << 16) |
                                            ((ULONG)bytes[4 * i + 2] << 8) | (ULONG)bytes[4 * i + 3];
        }
    }
    else
    {
        address->nxd_ip_version = NX_IP_VERSION_V4;
        address->nxd_ip_address.v4 =
            ntohl(((const struct sockaddr_in *)found->ai_addr)->sin_addr.s_addr);
    }
    freeaddrinfo(found);
    return 1;
}

#ifdef NXPOP3_EXAMPLE_TLS
/* The CA file, whole and NUL-terminated (Mbed TLS's rule for PEM). */
static UCHAR *read_file(const char *path, ULONG *length)
{
    FILE *file = fopen(path, "rb");
    UCHAR *data = NULL;
    long size;

    if (file == NULL)
    {
        return NULL;
    }
    if ((fseek(file, 0, SEEK_END) == 0) && ((size = ftell(file)) > 0) &&
        (fseek(file, 0, SEEK_SET) == 0))
    {
        data = malloc((size_t)size + 1u);
        if ((data != NULL) && (fread(data, 1u, (size_t)size, file) == (size_t)size))
        {
            data[size] = 0u;
            *length = (ULONG)size + 1u;
        }
        else
        {
            free(data);
            data = NULL;
        }
    }
    (void)fclose(file);
    return data;
}

/* The TLS transport over the POSIX one, verifying server_name against cafile. */
static int tls_setup(enum security security, const char *cafile, const char *server_name)
{
    NX_TRANSPORT_TLS_CONFIG config;
    UINT status;

    ca_chain = read_file(cafile, &config.ca_chain_length);
    if (ca_chain == NULL)
    {
        fprintf(stderr, "cannot read the CA file %s\n", cafile);
        return 0;
    }
    config.ca_chain = ca_chain;
    config.server_name = server_name;
    config.implicit = (security == IMPLICIT_TLS) ? NX_TRUE : NX_FALSE;
    config.entropy = NX_NULL; /* the platform's */
    config.entropy_context = NX_NULL;
    nx_transport_posix_init(&posix_transport, &posix);
    status = nx_transport_tls_init(&transport, &tls, &posix_transport, &config);
    if (status != NX_SUCCESS)
    {
        fprintf(stderr, "TLS setup failed: status 0x%02X, Mbed TLS -0x%04X\n", status,
                (unsigned)-nx_transport_tls_last_error(&tls));
        return 0;
    }
    tls_made = 1;
    return 1;
}

/* Why the handshake failed, when it did: Mbed TLS's error and the verification flags. */
static void tls_report(void)
{
    char text[256];
    ULONG flags = nx_transport_tls_last_verify_result(&tls);
    INT error = nx_transport_tls_last_error(&tls);

    if (error != 0)
    {
        mbedtls_strerror(error, text, sizeof(text));
        fprintf(stderr, "TLS: %s (-0x%04X)\n", text, (unsigned)-error);
    }
    if ((flags != 0u) && (flags != NX_TRANSPORT_TLS_OFF) && (flags != 0xFFFFFFFFu) &&
        (mbedtls_x509_crt_verify_info(text, sizeof(text), "TLS: ", (uint32_t)flags) > 0))
    {
        fputs(text, stderr);
    }
}
#endif

static void usage(void)
{
    fprintf(stderr, "usage: pop3_fetch [--tls | --starttls] [--cafile FILE] [--server-name NAME]\n"
                    "                  HOST PORT USER PASSWORD [apop] [delete]\n");
}

int main(int argc, char **argv)
{
    enum security security = PLAIN;
    const char *cafile = SYSTEM_CA_BUNDLE;
    const char *server_name = NULL;
    char *positional[6];
    int positionals = 0;
    NXD_ADDRESS address;
    UINT apop = NX_FALSE;
    UINT remove = NX_FALSE;
    UINT count;
    ULONG total;
    UINT status;
    UINT index;
    int i;

    for (i = 1; i < argc; i++)
    {
        if (strcmp(argv[i], "--tls") == 0)
        {
            security = IMPLICIT_TLS;
        }
        else if (strcmp(argv[i], "--starttls") == 0)
        {
            security = STARTTLS;
        }
        else if ((strcmp(argv[i], "--cafile") == 0) && (i + 1 < argc))
        {
            cafile = argv[++i];
        }
        else if ((strcmp(argv[i], "--server-name") == 0) && (i + 1 < argc))
        {
            server_name = argv[++i];
        }
        else if ((strncmp(argv[i], "--", 2) == 0) || (positionals == 6))
        {
            usage();
            return 2;
        }
        else
        {
            positional[positionals++] = argv[i];
        }
    }
    if ((positionals < 4) || !resolve(positional[0], &address))
    {
        usage();
        return 2;
    }
    for (i = 4; i < positionals; i++)
    {
        apop = apop || (strcmp(positional[i], "apop") == 0);
        remove = remove || (strcmp(positional[i], "delete") == 0);
    }
    if (server_name == NULL)
    {
        server_name = positional[0];
    }

    if (security == PLAIN)
    {
        nx_transport_posix_init(&transport, &posix);
    }
    else
    {
#ifdef NXPOP3_EXAMPLE_TLS
        if (!tls_setup(security, cafile, server_name))
        {
            return 1;
        }
#else
        (void)cafile;
        fprintf(stderr, "pop3_fetch was built without Mbed TLS: no --tls or --starttls\n");
        return 2;
#endif
    }
    if ((nx_packet_pool_create(&pool, "pop3", PAYLOAD, pool_memory, sizeof(pool_memory)) != NX_SUCCESS) ||
        (nx_ip_create(&ip, "ip", 0, 0, &pool, &transport, NX_NULL, 0, 0) != NX_SUCCESS) ||
        (nx_tcp_enable(&ip) != NX_SUCCESS))
    {
        fprintf(stderr, "setup failed\n");
        return 1;
    }

    /* Connect and greeting; with --starttls, TLS before anything else is sent:
     * the server must list STLS, and no credential goes out in plain text. */
    status = nxd_pop3_client_connect(&client, &ip, &pool, &address,
                                     (ULONG)strtoul(positional[1], NX_NULL, 10),
                                     NX_POP3_CLIENT_CONNECTION_TIMEOUT,
                                     NX_POP3_SERVER_REPLY_TIMEOUT, apop ? &stamp : NX_NULL);
#ifdef NXPOP3_EXAMPLE_TLS
    if ((status != NX_SUCCESS) && (security == IMPLICIT_TLS) &&
        (nx_transport_tls_last_verify_result(&tls) != NX_TRANSPORT_TLS_OFF))
    {
        tls_report(); /* the TCP connection was made: the handshake failed */
        status = NX_POP3_TLS_FAILED;
    }
    if ((status == NX_SUCCESS) && (security == STARTTLS))
    {
        status = nx_pop3_client_capabilities_get(&client, NX_NULL, NX_NULL);
        if ((status == NX_SUCCESS) &&
            ((client.nx_pop3_client_capabilities & NX_POP3_CAPABILITY_STLS) == 0u))
        {
            fprintf(stderr, "the server does not offer STLS\n");
            status = NX_NOT_SUPPORTED;
        }
        if (status == NX_SUCCESS)
        {
            status = nx_pop3_client_stls(&client);
            if (status == NX_POP3_TLS_FAILED)
            {
                tls_report();
            }
        }
        if (status == NX_SUCCESS)
        {
            status = nx_pop3_client_capabilities_get(&client, NX_NULL, NX_NULL); /* RFC 2595 */
        }
    }
    if ((status == NX_SUCCESS) && (security != PLAIN))
    {
        ULONG verify = NX_TRANSPORT_TLS_OFF;
        (void)nx_pop3_client_tls_verify_result_get(&client, &verify);
        printf("TLS verify=0x%08lx\n", (unsigned long)verify);
    }
#endif
    if (status == NX_SUCCESS)
    {
        status = nx_pop3_client_login(&client, apop ? &stamp : NX_NULL, positional[2], positional[3]);
    }
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
