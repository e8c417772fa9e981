/*
 * Example firmware: fetch a POP3 mailbox with the NetX Duo POP3 client API over
 * lwIP on the MPS2 AN385 board (QEMU mps2-an385), reporting each message's size,
 * CRC-32 and unique-id (UIDL) on UART0. It logs in with USER/PASS (or APOP), or
 * with a SASL mechanism (auth=: CAPA first, then AUTH). After login it asks CAPA; the messages
 * come down in pipelined batches of RETR when the server listed PIPELINING, one
 * at a time otherwise (the same batch calls, with a window of one). The exit
 * status (semihosting) is the verdict: 0, or the first NetX status other than
 * NX_SUCCESS.
 *
 * Command line (semihosting), space-separated key=value words, in any order:
 *   server=10.0.2.100 port=110 user=NAME pass=SECRET apop=0|1 delete=0|1 wait=SECONDS
 *   ca=HOSTPATH seed=HOSTPATH name=DNSNAME auth=scram-sha-256|cram-md5|plain|login
 * ca= turns on POP3S (implicit TLS, RFC 8314; the port then defaults to 995): the
 * trusted CA chain (PEM) is read from that host file through semihosting at run
 * time, nothing is compiled in. name= is the DNS name the server's certificate must
 * carry (Mbed TLS 2.28 matches DNS names only). seed= is a host file of random bytes
 * that stands in for a TRNG: QEMU's board has none (app_entropy() is the hook a real
 * board fills from its TRNG).
 * auth= logs in with that SASL mechanism (RFC 5034) instead of USER/PASS or APOP: CAPA
 * is asked first (the mechanism must be offered: nothing is sent otherwise), then AUTH.
 * SCRAM-SHA-256 needs seed= (plain POP3 or POP3S): its client nonce is 18 bytes of the
 * seed file, used for nothing else, in hex.
 * Words without '=' (such as a program name) are ignored. selftest=fault executes an
 * undefined instruction instead, to check the fault handler's report and exit status.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "board.h"
#include "board_net.h"
#include "nx_api.h"
#include "nx_transport_lwip.h"
#include "nx_transport_tls.h"
#include "nxd_pop3_client.h"

#include "mbedtls/memory_buffer_alloc.h"

#define APP_GUEST_ADDRESS IP_ADDRESS(10, 0, 2, 15)
#define APP_GUEST_NETMASK IP_ADDRESS(255, 255, 255, 0)
#define APP_GUEST_GATEWAY IP_ADDRESS(10, 0, 2, 2)

#define APP_POOL_PAYLOAD 1536u
#define APP_POOL_COUNT   16u
#define APP_CMDLINE_SIZE 768u
#define APP_MAX_WORDS    16u
#define APP_PATH_SIZE    200u
/* POP3S: Mbed TLS's heap (a 16 KiB record in, 2 KiB out, the parsed certificates,
 * the handshake's ECP and bignum work), the CA chain file and the seed file. */
#define APP_TLS_HEAP_SIZE (40u * 1024u)
#define APP_CA_SIZE      (8u * 1024u)
#define APP_SEED_SIZE    1024u
#define APP_HEAP_PAINT   0xA5u
#define APP_HEAP_HEADER  64u /* the allocator's first header, left unpainted */
/* message_get calls per message: far above what any mailbox here needs. */
#define APP_MAX_PIECES   (1ul << 22)
/* Chained buffers walked per packet. */
#define APP_MAX_CHAIN    64u
/* Ticks the stack keeps running after the client is deleted, for the closing handshake. */
#define APP_DRAIN_TICKS  (NX_IP_PERIODIC_RATE / 2u)
/* Messages per batch: the unique-ids of one batch are held (71 bytes each), read
 * with one UIDL listing per batch. A larger mailbox costs one listing per batch. */
#define APP_BATCH        32u
/* SCRAM's client nonce: this many seed bytes, written in hex (printable, no ','). */
#define APP_NONCE_BYTES  18u
#define APP_NONCE_SIZE   (2u * APP_NONCE_BYTES + 1u)
#if (2u * APP_NONCE_BYTES) < NX_POP3_SCRAM_NONCE_MIN || (2u * APP_NONCE_BYTES) > NX_POP3_SCRAM_NONCE_MAX
#error "APP_NONCE_BYTES: the nonce must have NX_POP3_SCRAM_NONCE_MIN .. _MAX characters"
#endif
/* auth= not given: USER/PASS, or APOP (the NetX login). */
#define APP_AUTH_NETX    0u

typedef struct APP_CONFIG_STRUCT
{
    ULONG server;
    ULONG port;
    CHAR user[NX_POP3_MAX_USERNAME + 1u];
    CHAR password[NX_POP3_MAX_PASSWORD + 1u];
    UINT apop;
    UINT delete_after;
    ULONG reply_wait; /* ticks; 0 keeps the client's default */
    UINT fault_selftest;
    CHAR ca_path[APP_PATH_SIZE];   /* "" : plain POP3 */
    CHAR seed_path[APP_PATH_SIZE];
    CHAR server_name[APP_PATH_SIZE];
    UINT mechanism;                /* NX_POP3_SASL_*, or APP_AUTH_NETX */
} APP_CONFIG;

/* The SASL mechanisms by code (NX_POP3_SASL_*), lower case: the auth= names (PLAIN to
 * SCRAM-SHA-256; the OAuth ones take a token, not a password) and the SASL line's. */
static const char *const app_mechanism_names[NX_POP3_SASL_LAST + 1u] = {
    "", "plain", "login", "cram-md5", "scram-sha-256", "xoauth2", "oauthbearer",
};

static UCHAR app_pool_memory[NX_PACKET_POOL_SIZE(APP_POOL_PAYLOAD, APP_POOL_COUNT)]
    __attribute__((aligned(8)));
static NX_PACKET_POOL app_pool;
static NX_IP app_ip;
static NX_POP3_CLIENT app_client;
static NX_LWIP_TRANSPORT app_lwip;
static NX_TRANSPORT app_transport;
static char app_cmdline[APP_CMDLINE_SIZE];

/* POP3S: the TLS transport over the lwIP one, its heap, the CA chain and the seed. */
static NX_TRANSPORT_TLS app_tls;
static NX_TRANSPORT app_tls_transport;
static unsigned char app_tls_heap[APP_TLS_HEAP_SIZE] __attribute__((aligned(8)));
static UCHAR app_ca[APP_CA_SIZE + 1u];
static UCHAR app_seed[APP_SEED_SIZE];
static ULONG app_seed_length;
static ULONG app_seed_used;

/* The batch being fetched: its message numbers (first .. first + count - 1) and
 * their unique-ids ("" when the server listed none). */
typedef struct APP_BATCH_STRUCT
{
    UINT first;
    UINT count;
    UINT items[APP_BATCH];
    CHAR uid[APP_BATCH][NX_POP3_MAX_UID + 1u];
} APP_BATCH_ITEMS;

static APP_BATCH_ITEMS app_batch;
static NX_POP3_PIPELINE app_pipeline;

static ULONG app_clock(VOID)
{
    return (ULONG)board_ticks();
}

/* CRC-32 as zlib computes it (reflected, polynomial 0xEDB88320), a nibble at a time. */
static uint32_t app_crc32(uint32_t crc, const UCHAR *data, ULONG length)
{
    static const uint32_t table[16] = {
        0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
        0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
        0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
    };
    ULONG i;

    crc = ~crc;
    for (i = 0u; i < length; i++)
    {
        crc ^= data[i];
        crc = (crc >> 4) ^ table[crc & 0xFu];
        crc = (crc >> 4) ^ table[crc & 0xFu];
    }
    return ~crc;
}

static int app_parse_ulong(const char *text, ULONG limit, ULONG *value)
{
    ULONG v = 0u;
    unsigned int n;

    for (n = 0u; n < 11u && text[n] != '\0'; n++)
    {
        if (text[n] < '0' || text[n] > '9')
        {
            return -1;
        }
        if (v > (limit - (ULONG)(text[n] - '0')) / 10u)
        {
            return -1;
        }
        v = v * 10u + (ULONG)(text[n] - '0');
    }
    if (n == 0u || text[n] != '\0')
    {
        return -1;
    }
    *value = v;
    return 0;
}

static int app_parse_ipv4(const char *text, ULONG *address)
{
    ULONG result = 0u;
    unsigned int part;
    const char *p = text;

    for (part = 0u; part < 4u; part++)
    {
        ULONG octet = 0u;
        unsigned int digits = 0u;

        while (digits < 3u && *p >= '0' && *p <= '9')
        {
            octet = octet * 10u + (ULONG)(*p - '0');
            p++;
            digits++;
        }
        if (digits == 0u || octet > 255u)
        {
            return -1;
        }
        result = (result << 8) | octet;
        if (part < 3u)
        {
            if (*p != '.')
            {
                return -1;
            }
            p++;
        }
    }
    if (*p != '\0')
    {
        return -1;
    }
    *address = result;
    return 0;
}

static int app_copy_text(CHAR *dest, size_t size, const char *text)
{
    size_t n = strlen(text);

    if (n == 0u || n >= size)
    {
        return -1;
    }
    memcpy(dest, text, n + 1u);
    return 0;
}

/* The SASL mechanism of an auth= name: one that logs in with a password. */
static int app_mechanism_code(const char *name, UINT *code)
{
    UINT i;

    for (i = NX_POP3_SASL_PLAIN; i <= NX_POP3_SASL_SCRAM_SHA_256; i++)
    {
        if (strcmp(name, app_mechanism_names[i]) == 0)
        {
            *code = i;
            return 0;
        }
    }
    return -1;
}

/* Splits the line in place into words and applies each key=value. */
static int app_parse_cmdline(char *line, APP_CONFIG *config)
{
    unsigned int words = 0u;
    char *p = line;
    ULONG value;
    UINT port_given = 0u;

    config->server = IP_ADDRESS(10, 0, 2, 100);
    config->port = 110u;
    config->user[0] = '\0';
    config->password[0] = '\0';
    config->apop = 0u;
    config->delete_after = 0u;
    config->reply_wait = 0u;
    config->fault_selftest = 0u;
    config->ca_path[0] = '\0';
    config->seed_path[0] = '\0';
    config->server_name[0] = '\0';
    config->mechanism = APP_AUTH_NETX;

    while (*p != '\0' && words < APP_MAX_WORDS)
    {
        char *word;
        char *equals;

        while (*p == ' ')
        {
            p++;
        }
        if (*p == '\0')
        {
            break;
        }
        word = p;
        while (*p != '\0' && *p != ' ')
        {
            p++;
        }
        if (*p == ' ')
        {
            *p++ = '\0';
        }
        words++;
        equals = strchr(word, '=');
        if (equals == NULL)
        {
            continue;
        }
        *equals = '\0';
        if (strcmp(word, "server") == 0)
        {
            if (app_parse_ipv4(equals + 1, &config->server) != 0)
            {
                return -1;
            }
        }
        else if (strcmp(word, "port") == 0)
        {
            if (app_parse_ulong(equals + 1, 65535u, &config->port) != 0 || config->port == 0u)
            {
                return -1;
            }
            port_given = 1u;
        }
        else if (strcmp(word, "user") == 0)
        {
            if (app_copy_text(config->user, sizeof(config->user), equals + 1) != 0)
            {
                return -1;
            }
        }
        else if (strcmp(word, "pass") == 0)
        {
            if (app_copy_text(config->password, sizeof(config->password), equals + 1) != 0)
            {
                return -1;
            }
        }
        else if (strcmp(word, "apop") == 0 || strcmp(word, "delete") == 0)
        {
            if (app_parse_ulong(equals + 1, 1u, &value) != 0)
            {
                return -1;
            }
            if (word[0] == 'a')
            {
                config->apop = (UINT)value;
            }
            else
            {
                config->delete_after = (UINT)value;
            }
        }
        else if (strcmp(word, "wait") == 0)
        {
            if (app_parse_ulong(equals + 1, 3600u, &value) != 0)
            {
                return -1;
            }
            config->reply_wait = value * NX_IP_PERIODIC_RATE;
        }
        else if (strcmp(word, "ca") == 0 || strcmp(word, "seed") == 0 || strcmp(word, "name") == 0)
        {
            CHAR *dest = (word[0] == 'c') ? config->ca_path
                         : (word[0] == 's') ? config->seed_path : config->server_name;

            if (app_copy_text(dest, APP_PATH_SIZE, equals + 1) != 0)
            {
                return -1;
            }
            if (word[0] == 'c' && !port_given)
            {
                config->port = 995u;
            }
        }
        else if (strcmp(word, "auth") == 0)
        {
            if (app_mechanism_code(equals + 1, &config->mechanism) != 0)
            {
                return -1;
            }
        }
        else if (strcmp(word, "selftest") == 0 && strcmp(equals + 1, "fault") == 0)
        {
            config->fault_selftest = 1u;
        }
        else
        {
            return -1;
        }
    }
    if (config->fault_selftest)
    {
        return 0;
    }
    if (config->ca_path[0] != '\0' && (config->seed_path[0] == '\0' || config->server_name[0] == '\0'))
    {
        return -1; /* POP3S needs the seed and the name to verify */
    }
    if (config->mechanism == NX_POP3_SASL_SCRAM_SHA_256 && config->seed_path[0] == '\0')
    {
        return -1; /* SCRAM's nonce comes from the seed */
    }
    if (config->mechanism != APP_AUTH_NETX && config->apop)
    {
        return -1; /* one way to log in */
    }
    return (config->user[0] != '\0' && config->password[0] != '\0') ? 0 : -1;
}

/* The entropy hook (NX_TRANSPORT_TLS_CONFIG.entropy): full-entropy bytes for Mbed
 * TLS's CTR_DRBG, at its seeding and at each reseed. QEMU's board has no TRNG, so
 * here the bytes come from the seed file the host gave (random bytes the test
 * writes for each run), each byte used once; when they run out the hook fails and
 * so does the handshake, rather than reuse any. A real board reads its TRNG here
 * (e.g. the RNG peripheral's data register, after its health checks). */
static INT app_entropy(VOID *context, UCHAR *output, size_t length)
{
    (void)context;
    if (length > app_seed_length - app_seed_used)
    {
        return -1;
    }
    memcpy(output, &app_seed[app_seed_used], length);
    app_seed_used += (ULONG)length;
    return 0;
}

/* The most of Mbed TLS's heap buffer ever used: the buffer is painted after the
 * allocator's init, and everything up to the last byte not of the paint was used
 * (first fit from the bottom: blocks, their headers and the holes between them). */
static void app_tls_heap_paint(void)
{
    memset(&app_tls_heap[APP_HEAP_HEADER], APP_HEAP_PAINT, sizeof(app_tls_heap) - APP_HEAP_HEADER);
}

static ULONG app_tls_heap_peak(void)
{
    ULONG n = sizeof(app_tls_heap);

    while (n > APP_HEAP_HEADER && app_tls_heap[n - 1u] == APP_HEAP_PAINT)
    {
        n--;
    }
    return n;
}

/* The TLS line: the server's verification flags (0: verified) and Mbed TLS's last error. */
static void app_tls_report(void)
{
    printf("TLS verify=0x%08lX error=-0x%04X\r\n",
           (unsigned long)nx_transport_tls_last_verify_result(&app_tls),
           (unsigned int)-nx_transport_tls_last_error(&app_tls));
}

/* The seed file (seed=): the bytes app_entropy() hands out, each once, to Mbed TLS
 * and to SCRAM's nonce. Exits on failure. */
static void app_seed_load(const APP_CONFIG *config)
{
    long length = board_read_file(config->seed_path, app_seed, sizeof(app_seed));

    if (length <= 0)
    {
        printf("ERROR seed 0x%02X\r\n", (unsigned int)BOARD_EXIT_USAGE);
        board_exit(BOARD_EXIT_USAGE);
    }
    app_seed_length = (ULONG)length;
    app_seed_used = 0u;
}

/* SCRAM's client nonce: APP_NONCE_BYTES seed bytes no one else gets (app_entropy()
 * hands out each byte once), in hex. -1 when the seed has run out. */
static int app_scram_nonce(CHAR *nonce)
{
    static const char hex[] = "0123456789abcdef";
    UCHAR bytes[APP_NONCE_BYTES];
    UINT i;

    if (app_entropy(NX_NULL, bytes, sizeof(bytes)) != 0)
    {
        return -1;
    }
    for (i = 0u; i < APP_NONCE_BYTES; i++)
    {
        nonce[2u * i] = hex[bytes[i] >> 4];
        nonce[2u * i + 1u] = hex[bytes[i] & 0x0Fu];
    }
    nonce[2u * APP_NONCE_BYTES] = '\0';
    return 0;
}

/* POP3S: Mbed TLS's heap over a static buffer, the CA chain read from the host (the
 * seed is loaded already), and the TLS transport over the lwIP one. Exits on failure. */
static void app_tls_setup(const APP_CONFIG *config)
{
    long length;
    ULONG ca_length;
    UINT status;
    NX_TRANSPORT_TLS_CONFIG tls_config;

    mbedtls_memory_buffer_alloc_init(app_tls_heap, sizeof(app_tls_heap));
    app_tls_heap_paint();

    length = board_read_file(config->ca_path, app_ca, APP_CA_SIZE);
    if (length <= 0)
    {
        printf("ERROR ca 0x%02X\r\n", (unsigned int)BOARD_EXIT_USAGE); /* no such file */
        board_exit(BOARD_EXIT_USAGE);
    }
    app_ca[length] = '\0'; /* PEM: NUL-terminated, the NUL counted */
    ca_length = (ULONG)length + 1u;

    memset(&tls_config, 0, sizeof(tls_config));
    tls_config.ca_chain = app_ca;
    tls_config.ca_chain_length = ca_length;
    tls_config.server_name = config->server_name;
    tls_config.implicit = NX_TRUE;
    tls_config.entropy = app_entropy;
    tls_config.entropy_context = NX_NULL;
    status = nx_transport_tls_init(&app_tls_transport, &app_tls, &app_transport, &tls_config);
    if (status != NX_SUCCESS)
    {
        app_tls_report(); /* Mbed TLS's error: why (no entropy, no CA parsed) */
        printf("ERROR tls 0x%02X\r\n", (unsigned int)status);
        board_exit((int)status);
    }
}


/* Reports a failed step, tears the client down, and exits with the NetX status. */
__attribute__((noreturn)) static void app_fail(const char *step, UINT status, UINT client_created)
{
    printf("ERROR %s 0x%02X\r\n", step, (unsigned int)status);
    if (client_created)
    {
        (void)nx_pop3_client_delete(&app_client);
    }
    /* Let a closing handshake (a failed create closes its own connection) complete. */
    (void)nx_lwip_transport_drain(&app_lwip, APP_DRAIN_TICKS);
    board_exit(status <= 0xFFu ? (int)status : 0xFF);
}

/* Downloads the message RETR just started: CRC and length over every piece. */
static UINT app_fetch_body(uint32_t *crc, ULONG *bytes)
{
    ULONG pieces;

    *crc = 0u;
    *bytes = 0u;
    for (pieces = 0u; pieces < APP_MAX_PIECES; pieces++)
    {
        NX_PACKET *packet = NX_NULL;
        ULONG length = 0u;
        UINT final = 0u;
        UINT status;
        NX_PACKET *buffer;
        UINT chain = 0u;

        status = nx_pop3_client_mail_item_message_get(&app_client, &packet, &length, &final);
        if (status != NX_SUCCESS)
        {
            return status;
        }
        for (buffer = packet; buffer != NULL && chain < APP_MAX_CHAIN;
             buffer = buffer->nx_packet_next, chain++)
        {
            ULONG n = (ULONG)(buffer->nx_packet_append_ptr - buffer->nx_packet_prepend_ptr);
            *crc = app_crc32(*crc, buffer->nx_packet_prepend_ptr, n);
            *bytes += n;
        }
        (void)nx_packet_release(packet);
        if (final)
        {
            return NX_SUCCESS;
        }
    }
    return NX_SIZE_ERROR;
}

/* One CAPA line: its name on the CAPA report line (the arguments are left out). */
static VOID app_capability(VOID *context, const CHAR *name, const CHAR *arguments)
{
    UINT i;

    (void)context;
    (void)arguments;
    putchar(' ');
    for (i = 0u; i < NX_POP3_MAX_LISTING_LINE && name[i] != '\0'; i++)
    {
        /* A name is printable ASCII; anything else is shown as '?' to keep the line whole. */
        putchar((name[i] > ' ' && name[i] <= '~') ? name[i] : '?');
    }
}

/* auth=: connects, asks CAPA in AUTHORIZATION (the mechanisms offered, and whether
 * the server takes an initial response), then logs in with AUTH. Exits on failure;
 * a refusal (-ERR) is answered with QUIT first. */
static void app_sasl_login(APP_CONFIG *config)
{
    NXD_ADDRESS server;
    CHAR nonce[APP_NONCE_SIZE];
    CHAR *scram_nonce = NX_NULL;
    UINT status;
    UINT code;

    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = config->server;
    status = nxd_pop3_client_connect(&app_client, &app_ip, &app_pool, &server, config->port,
                                     NX_POP3_CLIENT_CONNECTION_TIMEOUT,
                                     config->reply_wait != 0u ? config->reply_wait
                                                              : NX_POP3_SERVER_REPLY_TIMEOUT,
                                     NX_NULL);
    if (config->ca_path[0] != '\0')
    {
        app_tls_report(); /* the handshake is over, verified or not */
    }
    if (status != NX_SUCCESS)
    {
        app_fail("connect", status, 0u); /* a failed connect cleans up after itself */
    }

    printf("CAPA-AUTHORIZATION");
    status = nx_pop3_client_capabilities_get(&app_client, app_capability, NX_NULL);
    printf("\r\n");
    if (status != NX_SUCCESS)
    {
        app_fail("capa", status, 1u);
    }
    printf("SASL");
    for (code = NX_POP3_SASL_PLAIN; code <= NX_POP3_SASL_LAST; code++)
    {
        if ((app_client.nx_pop3_client_sasl_mechanisms & (1u << code)) != 0u)
        {
            printf(" %s", app_mechanism_names[code]);
        }
    }
    printf("\r\n");

    if (config->mechanism == NX_POP3_SASL_SCRAM_SHA_256)
    {
        if (app_scram_nonce(nonce) != 0)
        {
            app_fail("nonce", NX_NOT_SUCCESSFUL, 1u); /* the seed ran out: never reused */
        }
        scram_nonce = nonce;
    }
    status = nx_pop3_client_auth(&app_client, config->mechanism, config->user, config->password,
                                 scram_nonce);
    if (status == NX_POP3_SERVER_ERROR_STATUS)
    {
        printf("REFUSED code %u\r\n", app_client.nx_pop3_client_response_code);
        (void)nx_pop3_client_quit(&app_client);
    }
    if (status != NX_SUCCESS)
    {
        app_fail("login", status, 1u);
    }
    printf("LOGIN %s\r\n", app_mechanism_names[config->mechanism]);
}

/* One UIDL line: kept when the message is in the batch. Entries may come in any order. */
static VOID app_uid_entry(VOID *context, UINT mail_item, const CHAR *uid)
{
    APP_BATCH_ITEMS *batch = (APP_BATCH_ITEMS *)context;
    size_t length;

    if (mail_item < batch->first || mail_item - batch->first >= batch->count)
    {
        return;
    }
    length = strlen(uid); /* the client checked it: 1 to NX_POP3_MAX_UID characters */
    if (length > NX_POP3_MAX_UID)
    {
        length = NX_POP3_MAX_UID;
    }
    memcpy(batch->uid[mail_item - batch->first], uid, length);
    batch->uid[mail_item - batch->first][length] = '\0';
}

/* Fetches messages first .. first + count - 1 (count <= APP_BATCH) in one batch:
 * their unique-ids from a UIDL listing, then RETR each, pipelined when the server
 * listed PIPELINING. The first batch reports the mode (the window the client
 * chose); *peak is the most RETRs that were unanswered at once. */
static void app_fetch_batch(UINT first, UINT count, UINT delete_after, UINT *uidl, UINT *peak)
{
    UINT status;
    UINT i;

    app_batch.first = first;
    app_batch.count = count;
    for (i = 0u; i < count; i++)
    {
        app_batch.items[i] = first + i;
        app_batch.uid[i][0] = '\0';
    }
    if (count > 0u && *uidl)
    {
        status = nx_pop3_client_mail_items_uidl(&app_client, app_uid_entry, &app_batch);
        if (status == NX_POP3_SERVER_ERROR_STATUS)
        {
            *uidl = 0u; /* a server without UIDL: the messages are reported without ids */
        }
        else if (status != NX_SUCCESS)
        {
            app_fail("uidl", status, 1u);
        }
    }

    status = nx_pop3_client_pipeline_start(&app_client, &app_pipeline, app_batch.items, count);
    if (status != NX_SUCCESS)
    {
        app_fail("retr", status, 1u);
    }
    if (first == 1u)
    {
        UINT window = app_pipeline.nx_pop3_pipeline_window;

        printf("FETCH %s window %u\r\n", window > 1u ? "pipelined" : "single", window);
    }
    /* One call per message, and the one that ends the batch. */
    for (i = 0u; i <= count; i++)
    {
        UINT item = 0u;
        ULONG64 size = 0u;
        ULONG bytes = 0u;
        uint32_t crc = 0u;
        UINT in_flight;
        const CHAR *uid;

        status = nx_pop3_client_pipeline_next(&app_client, &item, &size);
        if (status == NX_NO_MORE_ENTRIES && i == count)
        {
            break;
        }
        if (status != NX_SUCCESS)
        {
            app_fail("retr", status, 1u);
        }
        if (i == count || item != app_batch.items[i])
        {
            app_fail("retr", NX_POP3_INDEX_MISMATCH, 1u); /* the client's own bookkeeping */
        }
        /* Commands sent whose reply is not yet read, and this one. */
        in_flight = app_pipeline.nx_pop3_pipeline_sent - app_pipeline.nx_pop3_pipeline_read + 1u;
        if (in_flight > *peak)
        {
            *peak = in_flight;
        }
        status = app_fetch_body(&crc, &bytes);
        if (status != NX_SUCCESS)
        {
            app_fail("body", status, 1u);
        }
        uid = app_batch.uid[i];
        printf("MSG %u %lu %08lx%s%s\r\n", item, (unsigned long)bytes, (unsigned long)crc,
               uid[0] != '\0' ? " " : "", uid);
    }

    /* Other commands are allowed again once the batch has ended. */
    for (i = 0u; delete_after && i < count; i++)
    {
        status = nx_pop3_client_mail_item_delete(&app_client, app_batch.items[i]);
        if (status != NX_SUCCESS)
        {
            app_fail("dele", status, 1u);
        }
    }
}

int main(void)
{
    APP_CONFIG config;
    UINT status;
    UINT count = 0u;
    ULONG total = 0u;
    UINT done = 0u;
    UINT uidl = 1u;
    UINT peak = 0u;
    ULONG pool_total = 0u;
    ULONG pool_free = 0u;
    ULONG empty = 0u;
    ULONG suspensions = 0u;
    ULONG invalid = 0u;
    uint32_t counters[4];

    board_init(NX_IP_PERIODIC_RATE);
    printf("nxpop3 firmware on mps2-an385\r\n");

    if (board_cmdline(app_cmdline, sizeof(app_cmdline)) < 0
        || app_parse_cmdline(app_cmdline, &config) != 0)
    {
        printf("usage: server=A.B.C.D port=N user=NAME pass=SECRET [apop=0|1] [delete=0|1] [wait=S]"
               " [ca=PATH seed=PATH name=DNSNAME] [auth=scram-sha-256|cram-md5|plain|login]"
               " (scram-sha-256 needs seed=)\r\n");
        return BOARD_EXIT_USAGE;
    }
    if (config.fault_selftest)
    {
        __asm volatile("udf #0"); /* UsageFault, escalated to HardFault: reported, exit 0xF1 */
    }
    if (board_net_init(APP_GUEST_ADDRESS, APP_GUEST_NETMASK, APP_GUEST_GATEWAY) != 0)
    {
        printf("ERROR no LAN9118 at 0x%08lX\r\n", (unsigned long)BOARD_LAN9118_BASE);
        return BOARD_EXIT_DEVICE;
    }
    (void)nx_lwip_transport_init(&app_lwip, &app_transport, board_net_poll, NX_NULL, app_clock);
    if (config.seed_path[0] != '\0')
    {
        app_seed_load(&config);
    }
    if (config.ca_path[0] != '\0')
    {
        app_tls_setup(&config);
    }

    status = nx_packet_pool_create(&app_pool, "pop3 pool", APP_POOL_PAYLOAD, app_pool_memory,
                                   sizeof(app_pool_memory));
    if (status != NX_SUCCESS)
    {
        app_fail("pool", status, 0u);
    }
    status = nx_ip_create(&app_ip, "ip", APP_GUEST_ADDRESS, APP_GUEST_NETMASK, &app_pool,
                          config.ca_path[0] != '\0' ? &app_tls_transport : &app_transport,
                          NX_NULL, 0u, 0u);
    if (status != NX_SUCCESS)
    {
        app_fail("ip", status, 0u);
    }
    status = nx_tcp_enable(&app_ip);
    if (status != NX_SUCCESS)
    {
        app_fail("tcp", status, 0u);
    }

    if (config.mechanism != APP_AUTH_NETX)
    {
        app_sasl_login(&config);
    }
    else
    {
        status = nx_pop3_client_create(&app_client, config.apop, &app_ip, &app_pool, config.server,
                                       config.port, config.user, config.password);
        if (config.ca_path[0] != '\0')
        {
            app_tls_report(); /* the handshake is over, verified or not */
        }
        if (status != NX_SUCCESS)
        {
            app_fail("login", status, 0u); /* a failed create cleans up after itself */
        }
        printf("LOGIN %s\r\n",
               app_client.nx_pop3_client_enable_APOP_authentication ? "apop" : "user");
    }
    if (config.reply_wait != 0u)
    {
        (void)nx_pop3_client_reply_timeout_set(&app_client, config.reply_wait);
    }

    /* The capability names on one line; an old server's -ERR leaves it bare. */
    printf("CAPA");
    status = nx_pop3_client_capabilities_get(&app_client, app_capability, NX_NULL);
    printf("\r\n");
    if (status != NX_SUCCESS)
    {
        app_fail("capa", status, 1u);
    }

    status = nx_pop3_client_mail_items_get(&app_client, &count, &total);
    if (status != NX_SUCCESS)
    {
        app_fail("stat", status, 1u);
    }
    printf("STAT %u %lu\r\n", count, (unsigned long)total);

    /* Batches of at most APP_BATCH messages; one (empty) batch for an empty mailbox,
     * so that the mode is reported either way. Bounded: each pass takes at least one
     * message until none is left. */
    do
    {
        UINT n = (count - done < APP_BATCH) ? count - done : APP_BATCH;

        app_fetch_batch(done + 1u, n, config.delete_after, &uidl, &peak);
        done += n;
    } while (done < count);
    printf("FETCHED %u peak %u\r\n", done, peak);

    status = nx_pop3_client_quit(&app_client);
    if (status != NX_SUCCESS)
    {
        app_fail("quit", status, 1u);
    }
    status = nx_pop3_client_delete(&app_client);
    if (status != NX_SUCCESS)
    {
        app_fail("delete", status, 0u);
    }
    (void)nx_lwip_transport_drain(&app_lwip, APP_DRAIN_TICKS);

    (void)nx_packet_pool_info_get(&app_pool, &pool_total, &pool_free, &empty, &suspensions, &invalid);
    board_net_counters(counters);
    printf("POOL %lu/%lu free\r\n", (unsigned long)pool_free, (unsigned long)pool_total);
    printf("NET rx %lu dropped %lu tx %lu dropped %lu\r\n", (unsigned long)counters[0],
           (unsigned long)counters[1], (unsigned long)counters[2], (unsigned long)counters[3]);
    if (config.ca_path[0] != '\0')
    {
        nx_transport_tls_delete(&app_tls);
        printf("TLS heap peak %lu of %lu seed used %lu of %lu\r\n", (unsigned long)app_tls_heap_peak(),
               (unsigned long)sizeof(app_tls_heap), (unsigned long)app_seed_used,
               (unsigned long)app_seed_length);
    }
    if (pool_free != pool_total)
    {
        printf("ERROR pool 0x%02X\r\n", (unsigned int)NX_POOL_ERROR);
        return (int)NX_POOL_ERROR;
    }
    printf("DONE\r\n");
    return 0;
}
