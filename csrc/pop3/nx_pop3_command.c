/* The command layer (see nx_pop3_command.h): the descriptor table, the line
 * builder and one exchange over the NetX packet and TCP calls. */
#define NX_POP3_SOURCE_CODE
#include "nx_pop3_command.h"
#include "nx_pop3_body.h"

#include <string.h>

#define NONE   NX_POP3_ARGUMENT_NONE
#define NUMBER NX_POP3_ARGUMENT_NUMBER
#define TEXT   NX_POP3_ARGUMENT_TEXT
#define SINGLE NX_POP3_REPLY_SINGLE_LINE
#define MULTI  NX_POP3_REPLY_MULTI_LINE
#define BARE   NX_POP3_REPLY_MULTI_BARE
#define AUTHORIZATION NX_POP3_IN_AUTHORIZATION
#define TRANSACTION   NX_POP3_IN_TRANSACTION

/* Indexed by NX_POP3_COMMAND_* - NX_POP3_FIRST_COMMAND. */
static const NX_POP3_COMMAND pop3_commands[] =
{
    /* keyword  arguments        reply   states */
    { "USER", { TEXT,   NONE },  SINGLE, AUTHORIZATION },
    { "PASS", { TEXT,   NONE },  SINGLE, AUTHORIZATION },
    { "APOP", { TEXT,   TEXT },  SINGLE, AUTHORIZATION },
    { "STAT", { NONE,   NONE },  SINGLE, TRANSACTION },
    { "LIST", { NUMBER, NONE },  BARE,   TRANSACTION },
    { "RETR", { NUMBER, NONE },  MULTI,  TRANSACTION },
    { "DELE", { NUMBER, NONE },  SINGLE, TRANSACTION },
    { "NOOP", { NONE,   NONE },  SINGLE, TRANSACTION },
    { "RSET", { NONE,   NONE },  SINGLE, TRANSACTION },
    { "QUIT", { NONE,   NONE },  SINGLE, AUTHORIZATION | TRANSACTION },
#if NX_POP3_CLIENT_ENABLE_CAPA || NX_POP3_CLIENT_ENABLE_LISTINGS || \
    NX_POP3_CLIENT_ENABLE_TOP || NX_POP3_CLIENT_ENABLE_UTF8 || NX_POP3_CLIENT_ENABLE_STLS || \
    NX_POP3_CLIENT_ENABLE_SASL /* rows by index: AUTH comes after them */
    { "CAPA", { NONE,   NONE },  MULTI,  AUTHORIZATION | TRANSACTION },
    { "UIDL", { NUMBER, NONE },  BARE,   TRANSACTION },
    { "TOP",  { NUMBER, NUMBER }, MULTI, TRANSACTION },
    { "UTF8", { NONE,   NONE },  SINGLE, AUTHORIZATION },
    { "STLS", { NONE,   NONE },  SINGLE, AUTHORIZATION },
#endif
#if NX_POP3_CLIENT_ENABLE_SASL
    { "AUTH", { TEXT,   TEXT },  SINGLE, AUTHORIZATION }, /* the exchange: nx_pop3_sasl.c */
#endif
};

#define POP3_COMMAND_COUNT ((UINT)(sizeof(pop3_commands) / sizeof(pop3_commands[0])))

/* Command lines being written into one packet, never past its end, each line
 * never past NX_POP3_MAX_COMMAND_LINE; the first write that would is remembered. */
typedef struct POP3_LINE_STRUCT
{
    NX_PACKET *packet;
    ULONG start;      /* where the line being written began in the packet */
    UINT overflow;
} POP3_LINE;

static VOID pop3_put(POP3_LINE *line, const CHAR *text, ULONG length)
{
    NX_PACKET *packet = line->packet;
    ULONG room = (ULONG)(packet->nx_packet_data_end - packet->nx_packet_append_ptr);

    if ((length > room) ||
        ((packet->nx_packet_length - line->start) + length > NX_POP3_MAX_COMMAND_LINE))
    {
        line->overflow = NX_TRUE;
        return;
    }
    memcpy(packet->nx_packet_append_ptr, text, length);
    packet->nx_packet_append_ptr += length;
    packet->nx_packet_length += length;
}

/* A NUL-terminated string, at most NX_POP3_MAX_COMMAND_LINE + 1 bytes read. */
static VOID pop3_put_string(POP3_LINE *line, const CHAR *text)
{
    ULONG length = 0u;

    while ((length <= NX_POP3_MAX_COMMAND_LINE) && (text[length] != '\0'))
    {
        length++;
    }
    pop3_put(line, text, length);
}

static VOID pop3_put_decimal(POP3_LINE *line, UINT value)
{
    CHAR digits[10]; /* a 32-bit UINT has at most 10 */
    UINT start = (UINT)sizeof(digits);

    /* Least significant digit last; bounded by the buffer. */
    do
    {
        start--;
        digits[start] = (CHAR)('0' + (value % 10u));
        value /= 10u;
    } while ((value != 0u) && (start > 0u));
    pop3_put(line, digits + start, (ULONG)(sizeof(digits) - start));
}

/* The arguments a command goes out with. */
static UINT pop3_argument_count(const NX_POP3_ARGUMENTS *arguments)
{
    return (arguments != NX_NULL) ? arguments->count : 0u;
}

/* "KEYWORD[ arg[ arg]]\r\n" as the descriptor says. */
static VOID pop3_line_build(POP3_LINE *line, const NX_POP3_COMMAND *descriptor,
                            const NX_POP3_ARGUMENTS *arguments)
{
    UINT count = pop3_argument_count(arguments);
    UINT i;

    pop3_put_string(line, descriptor->keyword);
    for (i = 0u; (i < NX_POP3_COMMAND_ARGUMENTS) && (i < count) &&
                 (descriptor->argument[i] != NONE); i++)
    {
        pop3_put(line, " ", 1u);
        if (descriptor->argument[i] == NUMBER)
        {
            pop3_put_decimal(line, arguments->number[i]);
        }
        else
        {
            pop3_put_string(line, arguments->text[i]);
        }
    }
    pop3_put(line, "\r\n", 2u);
}

VOID _nx_pop3_rx_release(NX_POP3_CLIENT *client_ptr)
{
    if (client_ptr->nx_pop3_client_rx_packet != NX_NULL)
    {
        (VOID)nx_packet_release(client_ptr->nx_pop3_client_rx_packet);
        client_ptr->nx_pop3_client_rx_packet = NX_NULL;
    }
}

UINT _nx_pop3_abort(NX_POP3_CLIENT *client_ptr, UINT status)
{
    _nx_pop3_rx_release(client_ptr);
    if (client_ptr->nx_pop3_client_tcp_socket.nx_tcp_socket_connection != NX_NULL)
    {
        (VOID)nx_tcp_socket_disconnect(&client_ptr->nx_pop3_client_tcp_socket, NX_NO_WAIT);
    }
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_CLOSED;
    return status;
}

UINT _nx_pop3_command_allowed(const NX_POP3_CLIENT *client_ptr, UINT command)
{
    UINT state = client_ptr->nx_pop3_client_state;
    UINT status = NX_POP3_CLIENT_INVALID_STATE; /* downloading, after QUIT, or the wrong state */

    if (state == NX_POP3_STATE_CLOSED)
    {
        status = NX_NOT_CONNECTED;
    }
#if NX_POP3_CLIENT_ENABLE_PIPELINING
    else if (client_ptr->nx_pop3_client_pipeline != NX_NULL)
    {
        status = NX_POP3_CLIENT_INVALID_STATE; /* a batch's replies are still to come */
    }
#endif
    else if ((command >= NX_POP3_FIRST_COMMAND) &&
             (command - NX_POP3_FIRST_COMMAND < POP3_COMMAND_COUNT) &&
             ((pop3_commands[command - NX_POP3_FIRST_COMMAND].states & (1u << state)) != 0u))
    {
        status = NX_SUCCESS;
    }
    return status;
}

/* Ticks left of the client's reply wait since start. */
static ULONG pop3_wait_left(NX_POP3_CLIENT *client_ptr, ULONG start)
{
    ULONG wait = client_ptr->nx_pop3_client_reply_wait;
    ULONG elapsed;

    if (wait == NX_WAIT_FOREVER)
    {
        return NX_WAIT_FOREVER;
    }
    elapsed = nx_ip_time_get(client_ptr->nx_pop3_client_ip_ptr) - start;
    return (elapsed >= wait) ? NX_NO_WAIT : (wait - elapsed);
}

VOID _nx_pop3_reply_begin(NX_POP3_CLIENT *client_ptr, NX_POP3_REPLY *reply)
{
    _nx_pop3_reply_start(reply, client_ptr->nx_pop3_client_reply_text,
                         (UINT)sizeof(client_ptr->nx_pop3_client_reply_text));
}

/* The whole line within the reply wait (not each segment, so a trickling
 * server cannot hold the client). Bytes after the line stay in
 * nx_pop3_client_rx_packet. */
UINT _nx_pop3_reply_receive(NX_POP3_CLIENT *client_ptr, NX_POP3_REPLY *reply)
{
    ULONG start = nx_ip_time_get(client_ptr->nx_pop3_client_ip_ptr);
    UINT status = NX_SUCCESS;
    UINT rounds;

    /* Each round takes at least one byte or fails; a line is at most
     * reply->max_length bytes, so this many rounds always suffice. */
    for (rounds = 0u; rounds <= reply->max_length; rounds++)
    {
        NX_PACKET *packet = client_ptr->nx_pop3_client_rx_packet;
        ULONG used;

        if (packet == NX_NULL)
        {
            status = nx_tcp_socket_receive(&client_ptr->nx_pop3_client_tcp_socket, &packet,
                                           pop3_wait_left(client_ptr, start));
            if (status != NX_SUCCESS)
            {
                break;
            }
            client_ptr->nx_pop3_client_rx_packet = packet;
        }

        used = _nx_pop3_reply_feed(reply, packet->nx_packet_prepend_ptr,
                                   (ULONG)(packet->nx_packet_append_ptr -
                                           packet->nx_packet_prepend_ptr));
        packet->nx_packet_prepend_ptr += used;
        packet->nx_packet_length -= used;
        if (packet->nx_packet_prepend_ptr == packet->nx_packet_append_ptr)
        {
            _nx_pop3_rx_release(client_ptr);
        }
        if (reply->state == NX_POP3_REPLY_FAILED)
        {
            status = reply->error;
        }
        if (reply->state >= NX_POP3_REPLY_DONE)
        {
            break;
        }
    }

    client_ptr->nx_pop3_client_reply_truncated = reply->text_truncated;
#if NX_POP3_CLIENT_ENABLE_RESPONSE_CODES
    client_ptr->nx_pop3_client_response_code = NX_POP3_RESPONSE_NONE;
#endif
    if ((status == NX_SUCCESS) && (reply->state != NX_POP3_REPLY_DONE))
    {
        status = NX_POP3_REPLY_TOO_LONG; /* not reached: the parser fails first */
    }
    if (status != NX_SUCCESS)
    {
        status = _nx_pop3_abort(client_ptr, status);
    }
    else if (reply->status != NX_POP3_REPLY_IS_OK)
    {
#if NX_POP3_CLIENT_ENABLE_RESPONSE_CODES
        client_ptr->nx_pop3_client_response_code = _nx_pop3_reply_code(reply);
#endif
        status = NX_POP3_SERVER_ERROR_STATUS;
    }
    return status;
}

/* Before a command goes out, nothing may be waiting: bytes after the last
 * reply or body (kept, or flagged when they came with a body's last packet) or
 * bytes that arrived since were asked for by no command, and reading them as
 * the next reply would put every later answer off by one. Checked here, before
 * each command, the result does not depend on how the bytes were split into
 * segments: arriving with the reply or a moment later, they are found. A peer
 * that closed is reported as such before anything is sent. */
UINT _nx_pop3_quiet_check(NX_POP3_CLIENT *client_ptr)
{
    ULONG waiting = 0u;
    UINT status = nx_tcp_socket_bytes_available(&client_ptr->nx_pop3_client_tcp_socket, &waiting);

    if ((status == NX_SUCCESS) &&
        ((waiting != 0u) || (client_ptr->nx_pop3_client_rx_packet != NX_NULL) ||
         (client_ptr->nx_pop3_client_unexpected_data != 0u)))
    {
        status = NX_POP3_UNEXPECTED_DATA;
    }
    if (status != NX_SUCCESS)
    {
        status = _nx_pop3_abort(client_ptr, status);
    }
    return status;
}

/* The reply half of an exchange is a service of its own only for pipelined
 * batches; without them it is this file's, and the compiler joins the halves. */
#if NX_POP3_CLIENT_ENABLE_PIPELINING
#define POP3_EXCHANGE_HALF
#else
#define POP3_EXCHANGE_HALF static
#endif

/* A packet for command lines from the client's pool. */
static UINT pop3_line_packet(NX_POP3_CLIENT *client_ptr, POP3_LINE *line)
{
    UINT status = nx_packet_allocate(client_ptr->nx_pop3_client_packet_pool_ptr, &line->packet,
                                     NX_TCP_PACKET, NX_POP3_CLIENT_PACKET_TIMEOUT);

    line->start = 0u;
    line->overflow = NX_FALSE;
    return (status == NX_INVALID_PARAMETERS) ? NX_POP3_INSUFFICIENT_PACKET_PAYLOAD : status;
}

/* Sends the packet of command lines; a failure closes the connection. */
static UINT pop3_line_send(NX_POP3_CLIENT *client_ptr, POP3_LINE *line, UINT command)
{
    UINT status;

    client_ptr->nx_pop3_client_last_command = command;
    status = nx_tcp_socket_send(&client_ptr->nx_pop3_client_tcp_socket, line->packet,
                                NX_POP3_TCP_SOCKET_SEND_WAIT);
    if (status != NX_SUCCESS)
    {
        (VOID)nx_packet_release(line->packet);
        status = _nx_pop3_abort(client_ptr, status);
    }
    return status;
}

/* A service of its own only for SASL's exchange; without it, this file's. */
#if NX_POP3_CLIENT_ENABLE_SASL
#define POP3_SEND_SCOPE
#else
#define POP3_SEND_SCOPE static
#endif

POP3_SEND_SCOPE UINT _nx_pop3_command_send(NX_POP3_CLIENT *client_ptr, UINT command,
                                           const NX_POP3_ARGUMENTS *arguments)
{
    POP3_LINE line;
    UINT status = pop3_line_packet(client_ptr, &line);

    if (status == NX_SUCCESS)
    {
        pop3_line_build(&line, &pop3_commands[command - NX_POP3_FIRST_COMMAND], arguments);
        if (line.overflow != 0u)
        {
            (VOID)nx_packet_release(line.packet);
            status = NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
        }
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_line_send(client_ptr, &line, command);
    }
    return status;
}

#if NX_POP3_CLIENT_ENABLE_PIPELINING
UINT _nx_pop3_command_send_many(NX_POP3_CLIENT *client_ptr, UINT command, const UINT *numbers,
                                UINT count, UINT *sent)
{
    const NX_POP3_COMMAND *descriptor = &pop3_commands[command - NX_POP3_FIRST_COMMAND];
    NX_POP3_ARGUMENTS arguments;
    POP3_LINE line;
    UINT status = pop3_line_packet(client_ptr, &line);
    UINT lines = 0u;

    *sent = 0u;
    arguments.count = 1u;
    /* As many lines as the packet holds, at most count; a line that does not fit
     * is taken back whole. */
    while ((status == NX_SUCCESS) && (lines < count))
    {
        UCHAR *append = line.packet->nx_packet_append_ptr;

        line.start = line.packet->nx_packet_length;
        arguments.number[0] = numbers[lines];
        pop3_line_build(&line, descriptor, &arguments);
        if (line.overflow != 0u)
        {
            line.packet->nx_packet_append_ptr = append;
            line.packet->nx_packet_length = line.start;
            break;
        }
        lines++;
    }
    if ((status == NX_SUCCESS) && (lines == 0u))
    {
        (VOID)nx_packet_release(line.packet);
        status = NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_line_send(client_ptr, &line, command);
    }
    if (status == NX_SUCCESS)
    {
        *sent = lines;
    }
    return status;
}
#endif

POP3_EXCHANGE_HALF UINT _nx_pop3_command_reply(NX_POP3_CLIENT *client_ptr, UINT command,
                                               const NX_POP3_ARGUMENTS *arguments,
                                               NX_POP3_REPLY *reply)
{
    UINT shape = pop3_commands[command - NX_POP3_FIRST_COMMAND].reply;
    UINT status;

    _nx_pop3_reply_begin(client_ptr, reply); /* last_command: set by the send (a RETR in a batch) */
    status = _nx_pop3_reply_receive(client_ptr, reply);
    if ((status == NX_SUCCESS) &&
        ((shape == MULTI) || ((shape == BARE) && (pop3_argument_count(arguments) == 0u))))
    {
        /* The body follows; the state to come back to once it has ended. */
        client_ptr->nx_pop3_client_resume_state = client_ptr->nx_pop3_client_state;
        client_ptr->nx_pop3_client_body_state = NX_POP3_BODY_LINE_START;
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_DOWNLOADING;
    }
    /* After a single-line reply, bytes left in nx_pop3_client_rx_packet were
     * not asked for: the next command reports them (_nx_pop3_quiet_check), unless
     * a pipelined batch expects them. A failed exchange has released them with
     * the connection. */
    return status;
}

UINT _nx_pop3_command(NX_POP3_CLIENT *client_ptr, UINT command,
                      const NX_POP3_ARGUMENTS *arguments, NX_POP3_REPLY *reply)
{
    UINT status = _nx_pop3_command_allowed(client_ptr, command);

    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_quiet_check(client_ptr);
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_command_send(client_ptr, command, arguments);
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_command_reply(client_ptr, command, arguments, reply);
    }
    return status;
}
