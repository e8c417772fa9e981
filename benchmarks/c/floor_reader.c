/* The floor: the least a POP3 client can do. It logs in with USER/PASS, sends
 * one RETR at a time, reads the bytes and looks only at the last five to see
 * the terminator (a dot-stuffed body holds "\r\n.\r\n" nowhere else). No
 * unstuffing, no copying: what is left is the kernel's work.
 *
 *   floor_reader -h HOST -p PORT -u USER -w PASSWORD -n COUNT [-b RECV_BYTES] [-o OUT]
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RECV (16L << 20)
#define TIMEOUT_S 30

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
    struct addrinfo hints;
    struct addrinfo *found = NULL;
    struct timeval timeout = {TIMEOUT_S, 0};
    unsigned long long total = 0;
    BenchClock start;

    while ((option = getopt(argc, argv, "h:p:u:w:n:b:o:")) != -1)
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
        default: return fail("bad option");
        }
    }
    if ((port == NULL) || (count < 1) || (buffer_size < 1024) || (buffer_size > MAX_RECV))
    {
        return fail("usage: -h HOST -p PORT -u USER -w PASS -n COUNT [-b BYTES] [-o OUT]");
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
    for (n = 1; n <= count; n++)
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
    bench_report(start, total, count);
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
