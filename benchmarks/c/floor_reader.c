/* The floor: the least a POP3 client can do. It logs in with USER/PASS, sends
 * one RETR at a time, reads the bytes and looks only at the last five to see
 * the terminator (a dot-stuffed body holds "\r\n.\r\n" nowhere else). No
 * unstuffing, no copying: what is left is the kernel's work.
 *
 *   floor_reader -h HOST -p PORT -u USER -w PASSWORD -n COUNT [-b RECV_BYTES] [-L] [-o OUT]
 *
 * -L, the pipelined floor: every RETR goes out at once, without waiting (the
 * server must allow it: RFC 2449 PIPELINING; CAPA is not asked), as the
 * socket takes them, while the replies are read in order. Replies now follow
 * each other in one stream, so the end of each must be found: the reader
 * looks for the dots (memchr) and checks the CRLFs either side of each.
 *
 * With -o, the bodies (still dot-stuffed, terminator removed) go to OUT. */
#define _POSIX_C_SOURCE 200809L
#include "bench_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RECV (16L << 20)
#define TIMEOUT_S 30
#define STATUS_MAX 1024 /* longest status line accepted */

static unsigned char *buffer;
static size_t buffer_size = 256u * 1024u;

static int fail(const char *what)
{
    fprintf(stderr, "floor_reader: %s\n", what);
    return 1;
}

static int send_line(int fd, const char *a, const char *b)
{
    char line[300];
    int length = snprintf(line, sizeof(line), "%s %s\r\n", a, b);

    if ((length < 0) || ((size_t)length >= sizeof(line)))
    {
        return -1;
    }
    return (send(fd, line, (size_t)length, 0) == (ssize_t)length) ? 0 : -1;
}

/* Reads a one-line reply (the server sends nothing else until asked). */
static int read_status(int fd)
{
    size_t held = 0;

    /* Bounded: each pass reads at least one byte, and a line is at most 512. */
    while (held < 1024)
    {
        ssize_t got = recv(fd, buffer + held, 1024 - held, 0);
        if (got <= 0)
        {
            return -1;
        }
        held += (size_t)got;
        if ((held >= 2) && (buffer[held - 2] == '\r') && (buffer[held - 1] == '\n'))
        {
            return (buffer[0] == '+') ? 0 : -1;
        }
    }
    return -1;
}

/* One RETR: returns the bytes of the body (stuffed, terminator included), or -1. */
static long long retrieve(int fd, long n, int out)
{
    char number[24];
    unsigned char tail[5] = {'x', 'x', 'x', '\r', '\n'};
    int in_status = 1;
    int checked = 0;
    long long body = 0;

    snprintf(number, sizeof(number), "%ld", n);
    if (send_line(fd, "RETR", number) != 0)
    {
        return -1;
    }
    /* Bounded by the message: every pass reads at least one byte or fails. */
    for (;;)
    {
        ssize_t got = recv(fd, buffer, buffer_size, 0);
        unsigned char *data = buffer;
        size_t length;

        if (got <= 0)
        {
            return -1;
        }
        length = (size_t)got;
        if (in_status)
        {
            unsigned char *end = memchr(buffer, '\n', length);
            if (!checked && (buffer[0] != '+'))
            {
                return -1;
            }
            checked = 1;
            if (end == NULL)
            {
                continue; /* status lines are short: the rest comes next */
            }
            in_status = 0;
            data = end + 1;
            length -= (size_t)(data - buffer);
        }
        if ((out >= 0) && (length > 0) && (write(out, data, length) != (ssize_t)length))
        {
            return -1;
        }
        body += (long long)length;
        if (length >= 5)
        {
            memcpy(tail, data + length - 5, 5);
        }
        else if (length > 0)
        {
            memmove(tail, tail + length, 5 - length);
            memcpy(tail + 5 - length, data, length);
        }
        if (memcmp(tail, "\r\n.\r\n", 5) == 0)
        {
            /* The terminator's ".\r\n" is not message data. */
            if ((out >= 0) && (lseek(out, -3, SEEK_CUR) < 0))
            {
                return -1;
            }
            return body;
        }
    }
}

/* The "\r\n.\r\n" that ends a body in data[0, length), or NULL. A dot is rare
 * in a body, so memchr() skips most bytes. */
static const unsigned char *find_terminator(const unsigned char *data, size_t length)
{
    const unsigned char *end = data + length;
    const unsigned char *at = data + 2;

    /* Bounded: each pass moves at past one more dot, or stops. */
    while (at + 3 <= end)
    {
        const unsigned char *dot = memchr(at, '.', (size_t)(end - at) - 2u);
        if (dot == NULL)
        {
            return NULL;
        }
        if ((dot[-2] == '\r') && (dot[-1] == '\n') && (dot[1] == '\r') && (dot[2] == '\n'))
        {
            return dot - 2;
        }
        at = dot + 1;
    }
    return NULL;
}

/* Body bytes [from, to) of the buffer: counted, and written with -o. */
static int take_body(size_t from, size_t to, int out, unsigned long long *total)
{
    size_t length = to - from;

    if ((out >= 0) && (length > 0) && (write(out, buffer + from, length) != (ssize_t)length))
    {
        return -1;
    }
    *total += length;
    return 0;
}

/* The pipelined floor: sends "RETR 1" .. "RETR count" as the socket takes
 * them and reads the replies in order, in one loop. Returns 0 or -1. */
static int retrieve_pipelined(int fd, long count, int out, unsigned long long *total)
{
    char *commands = malloc((size_t)count * 32u);
    size_t command_bytes = 0;
    size_t sent = 0;
    size_t held = 0; /* bytes in buffer */
    size_t pos = 0;  /* the first byte not yet taken */
    size_t scan = 0; /* where the search for the terminator resumes */
    int in_status = 1;
    long done = 0;
    long n;

    if (commands == NULL)
    {
        return -1;
    }
    for (n = 1; n <= count; n++)
    {
        command_bytes += (size_t)snprintf(commands + command_bytes, 32u, "RETR %ld\r\n", n);
    }
    /* Bounded: each pass sends or receives at least one byte, or fails; a
     * silent server ends it after TIMEOUT_S. */
    while (done < count)
    {
        struct pollfd watch;
        ssize_t got;
        int ready;

        watch.fd = fd;
        watch.events = (short)(POLLIN | ((sent < command_bytes) ? POLLOUT : 0));
        watch.revents = 0;
        ready = poll(&watch, 1, TIMEOUT_S * 1000);
        if ((ready < 0) && (errno == EINTR))
        {
            continue;
        }
        if (ready <= 0)
        {
            break;
        }
        if ((watch.revents & POLLOUT) != 0)
        {
            got = send(fd, commands + sent, command_bytes - sent, MSG_DONTWAIT);
            if ((got < 0) && (errno != EAGAIN) && (errno != EWOULDBLOCK) && (errno != EINTR))
            {
                break;
            }
            sent += (got > 0) ? (size_t)got : 0u;
        }
        if ((watch.revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        {
            continue;
        }
        got = recv(fd, buffer + held, buffer_size - held, MSG_DONTWAIT);
        if (got <= 0)
        {
            if ((got < 0) && ((errno == EAGAIN) || (errno == EWOULDBLOCK) || (errno == EINTR)))
            {
                continue;
            }
            break;
        }
        held += (size_t)got;
        /* Every whole reply in the buffer; bounded by the bytes held. */
        while (done < count)
        {
            if (in_status)
            {
                unsigned char *end = memchr(buffer + pos, '\n', held - pos);
                if (end == NULL)
                {
                    if (held - pos > STATUS_MAX)
                    {
                        done = -1;
                    }
                    break;
                }
                if ((buffer[pos] != '+') || (end == buffer + pos) || (end[-1] != '\r'))
                {
                    done = -1;
                    break;
                }
                in_status = 0;
                pos = (size_t)(end - buffer) + 1u;
                scan = pos - 2u; /* "+OK\r\n.\r\n": the status line's CRLF ends an empty body */
            }
            else
            {
                const unsigned char *end = find_terminator(buffer + scan, held - scan);
                if (end == NULL)
                {
                    break;
                }
                if (((size_t)(end - buffer) + 2u < pos) ||
                    (take_body(pos, (size_t)(end - buffer) + 2u, out, total) != 0))
                {
                    done = -1;
                    break;
                }
                pos = (size_t)(end - buffer) + 5u;
                in_status = 1;
                done++;
            }
        }
        if (done < 0)
        {
            break;
        }
        /* Keep what may still be a status line or the start of a terminator
         * (its first four bytes); the body before that is taken now. */
        if (!in_status)
        {
            size_t keep = ((held >= 4u) && (held - 4u > pos)) ? held - 4u : pos;
            size_t from = ((held >= 4u) && (held - 4u > scan)) ? held - 4u : scan;
            if (take_body(pos, keep, out, total) != 0)
            {
                break;
            }
            pos = keep;
            scan = from;
        }
        else
        {
            scan = pos;
        }
        if (scan > pos)
        {
            scan = pos; /* cannot happen; keeps the move below simple */
        }
        memmove(buffer, buffer + scan, held - scan);
        held -= scan;
        pos -= scan;
        scan = 0;
    }
    free(commands);
    return ((done == count) && (sent == command_bytes) && (held == pos)) ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    const char *user = "user";
    const char *password = "password";
    const char *out_path = NULL;
    long count = 0;
    long n;
    int option;
    int fd;
    int out = -1;
    int one = 1;
    int pipelined = 0;
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    struct timeval timeout = {TIMEOUT_S, 0};
    unsigned long long total = 0;
    BenchClock start;

    while ((option = getopt(argc, argv, "h:p:u:w:n:b:o:L")) != -1)
    {
        switch (option)
        {
        case 'h': host = optarg; break;
        case 'p': port = optarg; break;
        case 'u': user = optarg; break;
        case 'w': password = optarg; break;
        case 'n': count = atol(optarg); break;
        case 'b': buffer_size = (size_t)atol(optarg); break;
        case 'o': out_path = optarg; break;
        case 'L': pipelined = 1; break;
        default: return fail("bad option");
        }
    }
    if ((port == NULL) || (count < 1) || (buffer_size < 1024) || (buffer_size > MAX_RECV))
    {
        return fail("usage: -h HOST -p PORT -u USER -w PASS -n COUNT [-b BYTES] [-L] [-o OUT]");
    }
    buffer = malloc(buffer_size < 1024 ? 1024 : buffer_size);
    if (buffer == NULL)
    {
        return fail("out of memory");
    }
    if (out_path != NULL)
    {
        out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0)
        {
            return fail("cannot open the output");
        }
    }

    start = bench_now();
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if ((getaddrinfo(host, port, &hints, &found) != 0) || (found == NULL))
    {
        return fail("cannot resolve");
    }
    fd = socket(found->ai_family, SOCK_STREAM, 0);
    if ((fd < 0) || (connect(fd, found->ai_addr, found->ai_addrlen) != 0))
    {
        return fail("cannot connect");
    }
    freeaddrinfo(found);
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

    if ((read_status(fd) != 0) || (send_line(fd, "USER", user) != 0) || (read_status(fd) != 0) ||
        (send_line(fd, "PASS", password) != 0) || (read_status(fd) != 0))
    {
        return fail("login failed");
    }
    if (pipelined && (retrieve_pipelined(fd, count, out, &total) != 0))
    {
        return fail("pipelined RETRs failed");
    }
    for (n = 1; !pipelined && (n <= count); n++)
    {
        long long body = retrieve(fd, n, out);
        if (body < 0)
        {
            return fail("RETR failed");
        }
        total += (unsigned long long)body - 3u; /* without ".\r\n" */
    }
    if ((send(fd, "QUIT\r\n", 6, 0) != 6) || (read_status(fd) != 0))
    {
        return fail("QUIT failed");
    }
    close(fd);
    bench_report(start, total, count, pipelined ? 1 : -1);
    if (out >= 0)
    {
        off_t end = lseek(out, 0, SEEK_CUR);
        if ((end < 0) || (ftruncate(out, end) != 0) || (close(out) != 0))
        {
            return fail("cannot finish the output");
        }
    }
    return 0;
}
