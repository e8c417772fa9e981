/* A POP3 server that replays pre-rendered replies as fast as the socket takes
 * them: the benchmark's server that is never the bottleneck.
 *
 *   replay_server BLOB INDEX [PORT]
 *
 * BLOB holds, per message, the whole RETR answer ("+OK n octets\r\n", the
 * dot-stuffed body, ".\r\n"), rendered by benchmarks/run.py. INDEX is text:
 * "count total\n", then one "offset length octets\n" line per message. The
 * server prints "PORT <n>\n" once it listens on 127.0.0.1 and exits when its
 * stdin closes (so it cannot outlive the harness). Connections are served one
 * at a time; any user and password are accepted.
 *
 * CAPA lists PIPELINING (RFC 2449): a client may send many commands at once.
 * Each command line is answered in the order it came, whatever one read
 * brings (a part of a line, one line, or hundreds); the answers to the lines
 * of one read go out together, in as few sendmsg() calls as they fit. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define MAX_MESSAGES 1000000L
#define LINE_MAX_BYTES 512
#define READ_BYTES 16384 /* one read of commands: about 1,500 pipelined RETRs */
#define QUEUE_PIECES 64  /* answers sent by one sendmsg() at most */
#define QUEUE_TEXT 8192  /* bytes of short answers (status lines) held for one flush */
#define IDLE_MS 30000 /* a client silent this long is dropped */

typedef struct
{
    unsigned long long offset;
    unsigned long long length;
    unsigned long long octets;
} Entry;

static const unsigned char *blob;
static Entry *entries;
static long count;
static unsigned long long total_octets;

/* The answers to the commands of one read, in order, waiting for one sendmsg():
 * pieces of the blob, and short texts copied into text[]. */
typedef struct
{
    struct iovec piece[QUEUE_PIECES];
    int pieces;
    char text[QUEUE_TEXT];
    size_t text_used;
} Queue;

static Queue queue;

/* Sends every queued piece, in order. */
static int flush(int fd)
{
    struct iovec *next = queue.piece;
    int left = queue.pieces;

    /* Bounded: each pass sends at least one byte or fails. */
    while (left > 0)
    {
        struct msghdr message;
        ssize_t sent;

        memset(&message, 0, sizeof(message));
        message.msg_iov = next;
        message.msg_iovlen = (size_t)left;
        sent = sendmsg(fd, &message, MSG_NOSIGNAL);
        if (sent < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return -1;
        }
        while ((left > 0) && ((size_t)sent >= next->iov_len))
        {
            sent -= (ssize_t)next->iov_len;
            next++;
            left--;
        }
        if (left > 0)
        {
            next->iov_base = (char *)next->iov_base + sent;
            next->iov_len -= (size_t)sent;
        }
    }
    queue.pieces = 0;
    queue.text_used = 0;
    return 0;
}

/* Queues data (which must stay where it is until the flush). */
static int send_all(int fd, const void *data, size_t length)
{
    if ((queue.pieces == QUEUE_PIECES) && (flush(fd) != 0))
    {
        return -1;
    }
    queue.piece[queue.pieces].iov_base = (void *)(uintptr_t)data;
    queue.piece[queue.pieces].iov_len = length;
    queue.pieces++;
    return 0;
}

/* Queues a copy of a short text. */
static int send_text(int fd, const char *text)
{
    size_t length = strlen(text);

    if ((length > QUEUE_TEXT) ||
        ((queue.text_used + length > QUEUE_TEXT) && (flush(fd) != 0)))
    {
        return -1;
    }
    memcpy(queue.text + queue.text_used, text, length);
    queue.text_used += length;
    return send_all(fd, queue.text + queue.text_used - length, length);
}

/* The message number argument of "CMD n", or 0 when absent or out of range. */
static long message_number(const char *argument)
{
    char *end;
    long n;

    if (argument == NULL)
    {
        return 0;
    }
    n = strtol(argument, &end, 10);
    if ((end == argument) || (n < 1) || (n > count))
    {
        return 0;
    }
    return n;
}

static int answer(int fd, char *line, int *quit)
{
    char reply[128];
    char *argument = strchr(line, ' ');
    long n;
    long i;
    size_t k;

    if (argument != NULL)
    {
        *argument++ = '\0';
    }
    for (k = 0; line[k] != '\0'; k++)
    {
        if ((line[k] >= 'a') && (line[k] <= 'z'))
        {
            line[k] = (char)(line[k] - 'a' + 'A');
        }
    }

    if (strcmp(line, "RETR") == 0)
    {
        n = message_number(argument);
        if (n == 0)
        {
            return send_text(fd, "-ERR no such message\r\n");
        }
        return send_all(fd, blob + entries[n - 1].offset, (size_t)entries[n - 1].length);
    }
    if ((strcmp(line, "USER") == 0) || (strcmp(line, "PASS") == 0) ||
        (strcmp(line, "NOOP") == 0) || (strcmp(line, "RSET") == 0))
    {
        return send_text(fd, "+OK\r\n");
    }
    if (strcmp(line, "STAT") == 0)
    {
        snprintf(reply, sizeof(reply), "+OK %ld %llu\r\n", count, total_octets);
        return send_text(fd, reply);
    }
    if (strcmp(line, "LIST") == 0)
    {
        if (argument != NULL)
        {
            n = message_number(argument);
            if (n == 0)
            {
                return send_text(fd, "-ERR no such message\r\n");
            }
            snprintf(reply, sizeof(reply), "+OK %ld %llu\r\n", n, entries[n - 1].octets);
            return send_text(fd, reply);
        }
        snprintf(reply, sizeof(reply), "+OK %ld messages\r\n", count);
        if (send_text(fd, reply) != 0)
        {
            return -1;
        }
        for (i = 0; i < count; i++)
        {
            snprintf(reply, sizeof(reply), "%ld %llu\r\n", i + 1, entries[i].octets);
            if (send_text(fd, reply) != 0)
            {
                return -1;
            }
        }
        return send_text(fd, ".\r\n");
    }
    if (strcmp(line, "DELE") == 0)
    {
        return send_text(fd, message_number(argument) ? "+OK\r\n" : "-ERR no such message\r\n");
    }
    if (strcmp(line, "CAPA") == 0)
    {
        /* No SASL: curl then logs in with USER/PASS. */
        return send_text(fd, "+OK\r\nUSER\r\nPIPELINING\r\n.\r\n");
    }
    if (strcmp(line, "QUIT") == 0)
    {
        *quit = 1;
        return send_text(fd, "+OK bye\r\n");
    }
    return send_text(fd, "-ERR unknown command\r\n");
}

/* Serves one connection until QUIT, close, error, silence, or stdin EOF (-1). */
static int serve(int fd)
{
    char buffer[READ_BYTES];
    size_t held = 0;
    int quit = 0;
    struct pollfd watch[2];

    queue.pieces = 0;
    queue.text_used = 0;
    if ((send_text(fd, "+OK nxpop3 replay server ready\r\n") != 0) || (flush(fd) != 0))
    {
        return 0;
    }
    /* Bounded: each pass reads bytes, or the connection ends within IDLE_MS. */
    while (!quit)
    {
        ssize_t got;
        char *end;
        char *line;
        int ready;

        watch[0].fd = fd;
        watch[0].events = POLLIN;
        watch[1].fd = 0;
        watch[1].events = POLLIN;
        ready = poll(watch, 2, IDLE_MS);
        if (ready == 0)
        {
            return 0;
        }
        if (ready < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            return 0;
        }
        if (watch[1].revents != 0)
        {
            char sink[64];
            if (read(0, sink, sizeof(sink)) <= 0)
            {
                return -1;
            }
        }
        if (watch[0].revents == 0)
        {
            continue;
        }
        got = recv(fd, buffer + held, sizeof(buffer) - held, 0);
        if (got <= 0)
        {
            return 0;
        }
        held += (size_t)got;
        /* Each full line is one command, answered in order; a pipelining client
         * may send many at once. Bounded by the bytes read. */
        line = buffer;
        while (!quit && (end = memchr(line, '\n', held - (size_t)(line - buffer))) != NULL)
        {
            *end = '\0';
            if ((end > line) && (end[-1] == '\r'))
            {
                end[-1] = '\0';
            }
            if (answer(fd, line, &quit) != 0)
            {
                return 0;
            }
            line = end + 1;
        }
        /* The answers go out before the next wait: a client may be waiting for them. */
        if (flush(fd) != 0)
        {
            return 0;
        }
        held -= (size_t)(line - buffer);
        memmove(buffer, line, held);
        if (held >= LINE_MAX_BYTES)
        {
            (void)send_text(fd, "-ERR line too long\r\n");
            (void)flush(fd);
            return 0;
        }
    }
    return 0;
}

static int load(const char *blob_path, const char *index_path)
{
    FILE *index = fopen(index_path, "r");
    struct stat info;
    size_t position;
    volatile unsigned checksum = 0;
    int fd;
    long i;

    if (index == NULL)
    {
        perror(index_path);
        return -1;
    }
    if ((fscanf(index, "%ld %llu", &count, &total_octets) != 2) || (count < 1) ||
        (count > MAX_MESSAGES))
    {
        fprintf(stderr, "%s: bad header\n", index_path);
        fclose(index);
        return -1;
    }
    entries = calloc((size_t)count, sizeof(*entries));
    if (entries == NULL)
    {
        fclose(index);
        return -1;
    }
    for (i = 0; i < count; i++)
    {
        if (fscanf(index, "%llu %llu %llu", &entries[i].offset, &entries[i].length,
                   &entries[i].octets) != 3)
        {
            fprintf(stderr, "%s: bad entry %ld\n", index_path, i + 1);
            fclose(index);
            return -1;
        }
    }
    fclose(index);

    fd = open(blob_path, O_RDONLY);
    if ((fd < 0) || (fstat(fd, &info) != 0) || (info.st_size == 0))
    {
        perror(blob_path);
        return -1;
    }
    blob = mmap(NULL, (size_t)info.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (blob == MAP_FAILED)
    {
        perror("mmap");
        return -1;
    }
    /* Fault every page in now, not during a measured reply. */
    for (position = 0; position < (size_t)info.st_size; position += 4096u)
    {
        checksum += blob[position];
    }
    for (i = 0; i < count; i++)
    {
        if (entries[i].offset + entries[i].length > (unsigned long long)info.st_size)
        {
            fprintf(stderr, "entry %ld lies outside %s\n", i + 1, blob_path);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in address;
    socklen_t length = sizeof(address);
    int listener;
    int one = 1;

    if ((argc < 3) || (argc > 4))
    {
        fprintf(stderr, "usage: %s BLOB INDEX [PORT]\n", argv[0]);
        return 2;
    }
    if (load(argv[1], argv[2]) != 0)
    {
        return 1;
    }
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0)
    {
        perror("socket");
        return 1;
    }
    (void)setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&address, 0, sizeof(address));
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons((unsigned short)((argc == 4) ? atoi(argv[3]) : 0));
    if ((bind(listener, (struct sockaddr *)&address, sizeof(address)) != 0) ||
        (listen(listener, 16) != 0) ||
        (getsockname(listener, (struct sockaddr *)&address, &length) != 0))
    {
        perror("bind/listen");
        return 1;
    }
    printf("PORT %u\n", (unsigned)ntohs(address.sin_port));
    fflush(stdout);

    /* Runs until stdin closes: the harness holds the other end. */
    for (;;)
    {
        struct pollfd watch[2];
        int ready;

        watch[0].fd = listener;
        watch[0].events = POLLIN;
        watch[1].fd = 0;
        watch[1].events = POLLIN;
        ready = poll(watch, 2, -1);
        if ((ready < 0) && (errno != EINTR))
        {
            return 1;
        }
        if ((ready > 0) && (watch[1].revents != 0))
        {
            char sink[64];
            if (read(0, sink, sizeof(sink)) <= 0)
            {
                return 0;
            }
        }
        if ((ready > 0) && (watch[0].revents != 0))
        {
            int fd = accept(listener, NULL, NULL);
            if (fd >= 0)
            {
                int stop;
                (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                stop = serve(fd);
                close(fd);
                if (stop != 0)
                {
                    return 0;
                }
            }
        }
    }
}
