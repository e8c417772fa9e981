/* The POP3 client core (_nx_ services): session state, commands, replies and
 * the RETR body, over the NetX packet and TCP calls only.
 *
 * Rules kept throughout:
 *  - a failure before a command is sent (argument, state, no packet) leaves the
 *    session as it was;
 *  - once a command is sent, any failure other than -ERR while reading its reply
 *    closes the connection: the stream is no longer in step, and a late reply
 *    must never be taken for the answer to a later command;
 *  - every packet taken is released or handed to the caller on every path. */
#define NX_POP3_SOURCE_CODE
#include "nxd_pop3_client.h"
#include "nx_pop3_body.h"
#include "nx_pop3_reply.h"
#include "nx_md5.h"

#include <string.h>

/* Longest command line, octets with CRLF (RFC 2449). */
#define NX_POP3_MAX_COMMAND_LINE 255u

typedef struct POP3_LINE_STRUCT
{
    NX_PACKET *packet;
    UINT overflow;
} POP3_LINE;

static VOID pop3_put(POP3_LINE *line, const CHAR *text, ULONG length)
{
    NX_PACKET *packet = line->packet;
    ULONG room = (ULONG)(packet->nx_packet_data_end - packet->nx_packet_append_ptr);
    ULONG used = packet->nx_packet_length;

    if ((length > room) || (used + length > NX_POP3_MAX_COMMAND_LINE))
    {
        line->overflow = NX_TRUE;
        return;
    }
    memcpy(packet->nx_packet_append_ptr, text, length);
    packet->nx_packet_append_ptr += length;
    packet->nx_packet_length += length;
}

static VOID pop3_put_string(POP3_LINE *line, const CHAR *text)
{
    pop3_put(line, text, (ULONG)strlen(text));
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

/* Length of a NUL-terminated credential, or NX_POP3_PARAM_ERROR when it is
 * longer than max or holds CR or LF (NUL ends it: it cannot be inside). */
static UINT pop3_credential_check(const CHAR *text, UINT max)
{
    UINT i;

    for (i = 0u; i <= max; i++)
    {
        if (text[i] == '\0')
        {
            return NX_SUCCESS;
        }
        if ((text[i] == '\r') || (text[i] == '\n'))
        {
            return NX_POP3_PARAM_ERROR;
        }
    }
    return NX_POP3_PARAM_ERROR;
}

static VOID pop3_rx_release(NX_POP3_CLIENT *client_ptr)
{
    if (client_ptr->nx_pop3_client_rx_packet != NX_NULL)
    {
        (VOID)nx_packet_release(client_ptr->nx_pop3_client_rx_packet);
        client_ptr->nx_pop3_client_rx_packet = NX_NULL;
    }
}

/* Drops the connection after a failure that leaves the stream out of step. */
static VOID pop3_abort(NX_POP3_CLIENT *client_ptr)
{
    pop3_rx_release(client_ptr);
    if (client_ptr->nx_pop3_client_tcp_socket.nx_tcp_socket_connection != NX_NULL)
    {
        (VOID)nx_tcp_socket_disconnect(&client_ptr->nx_pop3_client_tcp_socket, NX_NO_WAIT);
    }
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_CLOSED;
}

/* NX_SUCCESS when a new command may go out now. */
static UINT pop3_ready(const NX_POP3_CLIENT *client_ptr)
{
    if (client_ptr->nx_pop3_client_state == NX_POP3_STATE_TRANSACTION)
    {
        return NX_SUCCESS;
    }
    if (client_ptr->nx_pop3_client_state == NX_POP3_STATE_CLOSED)
    {
        return NX_NOT_CONNECTED;
    }
    return NX_POP3_CLIENT_INVALID_STATE; /* downloading, or after QUIT */
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

/* Reads one status line within the reply wait (the whole line, not each
 * segment, so a trickling server cannot hold the client). Bytes after the line
 * stay in nx_pop3_client_rx_packet. Any failure but -ERR aborts the session. */
static UINT pop3_reply_read(NX_POP3_CLIENT *client_ptr, NX_POP3_REPLY *reply, NX_MD5 *stamp_md5)
{
    ULONG start = nx_ip_time_get(client_ptr->nx_pop3_client_ip_ptr);
    UINT status = NX_SUCCESS;
    UINT rounds;

    _nx_pop3_reply_start(reply, client_ptr->nx_pop3_client_reply_text,
                         (UINT)sizeof(client_ptr->nx_pop3_client_reply_text), stamp_md5);

    /* Each round takes at least one byte or fails; a line is at most
     * NX_POP3_MAX_REPLY_LINE bytes, so this many rounds always suffice. */
    for (rounds = 0u; rounds <= NX_POP3_MAX_REPLY_LINE; rounds++)
    {
        NX_PACKET *packet = client_ptr->nx_pop3_client_rx_packet;
        ULONG available;
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

        available = (ULONG)(packet->nx_packet_append_ptr - packet->nx_packet_prepend_ptr);
        used = _nx_pop3_reply_feed(reply, packet->nx_packet_prepend_ptr, available);
        packet->nx_packet_prepend_ptr += used;
        packet->nx_packet_length -= used;
        if (packet->nx_packet_prepend_ptr == packet->nx_packet_append_ptr)
        {
            pop3_rx_release(client_ptr);
        }

        if (reply->state == NX_POP3_REPLY_FAILED)
        {
            status = reply->error;
            break;
        }
        if (reply->state == NX_POP3_REPLY_DONE)
        {
            break;
        }
    }

    if ((status == NX_SUCCESS) && (reply->state != NX_POP3_REPLY_DONE))
    {
        status = NX_POP3_REPLY_TOO_LONG; /* not reached: the parser fails first */
    }
    if (status != NX_SUCCESS)
    {
        pop3_abort(client_ptr);
    }
    else if (reply->status != NX_POP3_REPLY_IS_OK)
    {
        status = NX_POP3_SERVER_ERROR_STATUS;
    }
    return status;
}

/* Sends "KEYWORD[ arg1[ arg2]]\r\n" from the client's pool and reads the reply.
 * Bytes received after a single-line reply were not asked for: they are dropped. */
static UINT pop3_command(NX_POP3_CLIENT *client_ptr, UINT command, const CHAR *keyword,
                         const CHAR *argument, const CHAR *argument2, UINT use_number,
                         UINT number, NX_POP3_REPLY *reply)
{
    POP3_LINE line;
    UINT status;

    status = nx_packet_allocate(client_ptr->nx_pop3_client_packet_pool_ptr, &line.packet,
                                NX_TCP_PACKET, NX_POP3_CLIENT_PACKET_TIMEOUT);
    if (status == NX_INVALID_PARAMETERS)
    {
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD; /* not even the header room */
    }
    if (status != NX_SUCCESS)
    {
        return status;
    }
    line.overflow = NX_FALSE;

    pop3_put_string(&line, keyword);
    if (argument != NX_NULL)
    {
        pop3_put(&line, " ", 1u);
        pop3_put_string(&line, argument);
    }
    if (argument2 != NX_NULL)
    {
        pop3_put(&line, " ", 1u);
        pop3_put_string(&line, argument2);
    }
    if (use_number != 0u)
    {
        pop3_put(&line, " ", 1u);
        pop3_put_decimal(&line, number);
    }
    pop3_put(&line, "\r\n", 2u);
    if (line.overflow != 0u)
    {
        (VOID)nx_packet_release(line.packet);
        return NX_POP3_INSUFFICIENT_PACKET_PAYLOAD;
    }

    /* Leftovers from an earlier reply were not asked for. */
    pop3_rx_release(client_ptr);
    client_ptr->nx_pop3_client_last_command = command;
    status = nx_tcp_socket_send(&client_ptr->nx_pop3_client_tcp_socket, line.packet,
                                NX_POP3_TCP_SOCKET_SEND_WAIT);
    if (status != NX_SUCCESS)
    {
        (VOID)nx_packet_release(line.packet);
        pop3_abort(client_ptr);
        return status;
    }

    status = pop3_reply_read(client_ptr, reply, NX_NULL);
    if ((command != NX_POP3_COMMAND_RETR) || (status != NX_SUCCESS))
    {
        pop3_rx_release(client_ptr); /* only a RETR body may follow a reply */
    }
    return status;
}

/* A protocol violation in a complete reply: the session cannot be trusted. */
static UINT pop3_violation(NX_POP3_CLIENT *client_ptr, UINT status)
{
    pop3_abort(client_ptr);
    return status;
}

/* The index may not exceed the count of the last STAT, when there was one. */
static UINT pop3_index_check(const NX_POP3_CLIENT *client_ptr, UINT index)
{
    if ((client_ptr->nx_pop3_client_mail_count_valid != 0u) &&
        (index > client_ptr->nx_pop3_client_mail_count))
    {
        return NX_POP3_INVALID_MAIL_ITEM;
    }
    return NX_SUCCESS;
}

static VOID pop3_teardown(NX_POP3_CLIENT *client_ptr)
{
    NX_TCP_SOCKET *socket_ptr = &client_ptr->nx_pop3_client_tcp_socket;

    pop3_abort(client_ptr);
    if (client_ptr->nx_pop3_client_socket_created != 0u)
    {
        if (socket_ptr->nx_tcp_socket_bound != 0u)
        {
            (VOID)nx_tcp_client_socket_unbind(socket_ptr);
        }
        (VOID)nx_tcp_socket_delete(socket_ptr);
        client_ptr->nx_pop3_client_socket_created = NX_FALSE;
    }
}

static const CHAR pop3_hex[] = "0123456789abcdef";

/* Logs in: APOP when asked and the greeting had a timestamp (falling back to
 * USER/PASS if the server refuses it), USER/PASS otherwise. */
static UINT pop3_login(NX_POP3_CLIENT *client_ptr, UINT apop, NX_MD5 *stamp_md5, UINT stamp_found,
                       CHAR *name, CHAR *password)
{
    NX_POP3_REPLY reply;
    UINT status;

    if ((apop != 0u) && (stamp_found != 0u))
    {
        UCHAR digest[16];
        CHAR hex[33];
        UINT i;

        _nx_md5_update(stamp_md5, (const UCHAR *)password, (ULONG)strlen(password));
        _nx_md5_digest_calculate(stamp_md5, digest);
        for (i = 0u; i < 16u; i++)
        {
            hex[2u * i] = pop3_hex[digest[i] >> 4];
            hex[2u * i + 1u] = pop3_hex[digest[i] & 0x0Fu];
        }
        hex[32] = '\0';
        memset(digest, 0, sizeof(digest));

        status = pop3_command(client_ptr, NX_POP3_COMMAND_APOP, "APOP", name, hex, NX_FALSE, 0u,
                              &reply);
        memset(hex, 0, sizeof(hex));
        if (status == NX_SUCCESS)
        {
            client_ptr->nx_pop3_client_enable_APOP_authentication = NX_TRUE;
            return NX_SUCCESS;
        }
        if (status != NX_POP3_SERVER_ERROR_STATUS)
        {
            return status;
        }
    }

    status = pop3_command(client_ptr, NX_POP3_COMMAND_USER, "USER", name, NX_NULL, NX_FALSE, 0u,
                          &reply);
    if (status == NX_SUCCESS)
    {
        status = pop3_command(client_ptr, NX_POP3_COMMAND_PASS, "PASS", password, NX_NULL,
                              NX_FALSE, 0u, &reply);
    }
    return status;
}

UINT _nxd_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                 NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                 NXD_ADDRESS *server_ip_address, ULONG server_port,
                                 CHAR *client_name, CHAR *client_password,
                                 ULONG connect_wait, ULONG reply_wait)
{
    NX_TCP_SOCKET *socket_ptr = &client_ptr->nx_pop3_client_tcp_socket;
    NX_POP3_REPLY reply;
    NX_MD5 stamp_md5;
    UINT status;

    /* Credentials are checked here, not only in the checking layer: a CR or LF
     * in them would let the caller's data inject commands. */
    if ((pop3_credential_check(client_name, NX_POP3_MAX_USERNAME) != NX_SUCCESS) ||
        (pop3_credential_check(client_password, NX_POP3_MAX_PASSWORD) != NX_SUCCESS) ||
        (server_port == 0u) || (server_port > 0xFFFFu))
    {
        return NX_POP3_PARAM_ERROR;
    }

    memset(client_ptr, 0, sizeof(*client_ptr));
    client_ptr->nx_pop3_client_ip_ptr = ip_ptr;
    client_ptr->nx_pop3_client_packet_pool_ptr = packet_pool_ptr;
    client_ptr->nx_pop3_client_connect_wait = connect_wait;
    client_ptr->nx_pop3_client_reply_wait = reply_wait;
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_CLOSED;

    status = nx_tcp_socket_create(ip_ptr, socket_ptr, "POP3 Client", NX_IP_NORMAL, NX_FRAGMENT_OKAY,
                                  NX_IP_TIME_TO_LIVE, NX_POP3_CLIENT_TCP_WINDOW_SIZE, NX_NULL,
                                  NX_NULL);
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_socket_created = NX_TRUE;
        status = nx_tcp_client_socket_bind(socket_ptr, NX_ANY_PORT, NX_NO_WAIT);
    }
    if (status == NX_SUCCESS)
    {
        status = nxd_tcp_client_socket_connect(socket_ptr, server_ip_address, (UINT)server_port,
                                               connect_wait);
    }
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_TRANSACTION;
        client_ptr->nx_pop3_client_last_command = NX_POP3_COMMAND_GREETING;
        status = pop3_reply_read(client_ptr, &reply,
                                 (APOP_authentication != 0u) ? &stamp_md5 : NX_NULL);
        pop3_rx_release(client_ptr);
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_login(client_ptr, APOP_authentication, &stamp_md5,
                            _nx_pop3_reply_stamp_found(&reply), client_name, client_password);
    }
    memset(&stamp_md5, 0, sizeof(stamp_md5));

    if (status != NX_SUCCESS)
    {
        pop3_teardown(client_ptr);
        return status;
    }
    client_ptr->nx_pop3_client_id = NX_POP3_CLIENT_ID;
    return NX_SUCCESS;
}

UINT _nxd_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                             NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                             ULONG server_port, CHAR *client_name, CHAR *client_password)
{
    return _nxd_pop3_client_create_ext(client_ptr, APOP_authentication, ip_ptr, packet_pool_ptr,
                                       server_ip_address, server_port, client_name,
                                       client_password, NX_POP3_CLIENT_CONNECTION_TIMEOUT,
                                       NX_POP3_SERVER_REPLY_TIMEOUT);
}

UINT _nx_pop3_client_create(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication, NX_IP *ip_ptr,
                            NX_PACKET_POOL *packet_pool_ptr, ULONG server_ip_address,
                            ULONG server_port, CHAR *client_name, CHAR *client_password)
{
    NXD_ADDRESS server;

    memset(&server, 0, sizeof(server));
    server.nxd_ip_version = NX_IP_VERSION_V4;
    server.nxd_ip_address.v4 = server_ip_address;
    return _nxd_pop3_client_create(client_ptr, APOP_authentication, ip_ptr, packet_pool_ptr,
                                   &server, server_port, client_name, client_password);
}

UINT _nx_pop3_client_delete(NX_POP3_CLIENT *client_ptr)
{
    NX_TCP_SOCKET *socket_ptr = &client_ptr->nx_pop3_client_tcp_socket;
    UINT status = NX_SUCCESS;
    UINT step;

    /* Tear down everything that exists; report the first failure. */
    pop3_rx_release(client_ptr);
    if (socket_ptr->nx_tcp_socket_connection != NX_NULL)
    {
        status = nx_tcp_socket_disconnect(socket_ptr, NX_POP3_CLIENT_DISCONNECT_TIMEOUT);
    }
    if ((client_ptr->nx_pop3_client_socket_created != 0u) && (socket_ptr->nx_tcp_socket_bound != 0u))
    {
        step = nx_tcp_client_socket_unbind(socket_ptr);
        status = (status == NX_SUCCESS) ? step : status;
    }
    if (client_ptr->nx_pop3_client_socket_created != 0u)
    {
        step = nx_tcp_socket_delete(socket_ptr);
        status = (status == NX_SUCCESS) ? step : status;
        client_ptr->nx_pop3_client_socket_created = NX_FALSE;
    }
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_CLOSED;
    client_ptr->nx_pop3_client_id = 0u;
    return status;
}

/* A 64-bit result for a 32-bit call: too large is NX_POP3_NUMBER_OVERFLOW, never
 * wrapped, and the session stays usable (the _get64 call reads it). */
static UINT pop3_narrow(UINT status, ULONG64 value, ULONG *out)
{
    if (status != NX_SUCCESS)
    {
        return status;
    }
    if (value > 0xFFFFFFFFull)
    {
        return NX_POP3_NUMBER_OVERFLOW;
    }
    *out = (ULONG)value;
    return NX_SUCCESS;
}

UINT _nx_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                      ULONG64 *maildrop_total_size)
{
    NX_POP3_REPLY reply;
    ULONG64 count;
    ULONG64 total;
    UINT status = pop3_ready(client_ptr);

    if (status == NX_SUCCESS)
    {
        status = pop3_command(client_ptr, NX_POP3_COMMAND_STAT, "STAT", NX_NULL, NX_NULL, NX_FALSE,
                              0u, &reply);
    }
    if (status != NX_SUCCESS)
    {
        return status;
    }
    status = _nx_pop3_reply_number(&reply, 0u, &count);
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_reply_number(&reply, 1u, &total);
    }
    if ((status == NX_SUCCESS) && (count > 0xFFFFFFFFull))
    {
        status = NX_POP3_NUMBER_OVERFLOW;
    }
    if (status != NX_SUCCESS)
    {
        return pop3_violation(client_ptr, status);
    }
    client_ptr->nx_pop3_client_mail_count = (UINT)count;
    client_ptr->nx_pop3_client_mail_count_valid = NX_TRUE;
    *number_mail_items = (UINT)count;
    *maildrop_total_size = total;
    return NX_SUCCESS;
}

UINT _nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                    ULONG *maildrop_total_size)
{
    ULONG64 total;
    UINT status = _nx_pop3_client_mail_items_get64(client_ptr, number_mail_items, &total);

    return pop3_narrow(status, total, maildrop_total_size);
}

UINT _nx_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                          ULONG64 *size)
{
    NX_POP3_REPLY reply;
    ULONG64 index;
    ULONG64 octets;
    UINT status = pop3_ready(client_ptr);

    if (status == NX_SUCCESS)
    {
        status = pop3_index_check(client_ptr, mail_item);
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_command(client_ptr, NX_POP3_COMMAND_LIST, "LIST", NX_NULL, NX_NULL, NX_TRUE,
                              mail_item, &reply);
    }
    if (status != NX_SUCCESS)
    {
        return status;
    }
    status = _nx_pop3_reply_number(&reply, 0u, &index);
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_reply_number(&reply, 1u, &octets);
    }
    if ((status == NX_SUCCESS) && (index != (ULONG64)mail_item))
    {
        status = NX_POP3_INDEX_MISMATCH;
    }
    if (status != NX_SUCCESS)
    {
        return pop3_violation(client_ptr, status);
    }
    *size = octets;
    return NX_SUCCESS;
}

UINT _nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size)
{
    ULONG64 octets;
    UINT status = _nx_pop3_client_mail_item_size_get64(client_ptr, mail_item, &octets);

    return pop3_narrow(status, octets, size);
}

UINT _nx_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                     ULONG64 *item_size)
{
    NX_POP3_REPLY reply;
    ULONG64 octets;
    UINT status = pop3_ready(client_ptr);

    if (status == NX_SUCCESS)
    {
        status = pop3_index_check(client_ptr, mail_item);
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_command(client_ptr, NX_POP3_COMMAND_RETR, "RETR", NX_NULL, NX_NULL, NX_TRUE,
                              mail_item, &reply);
    }
    if (status != NX_SUCCESS)
    {
        return status;
    }

    /* "+OK <size> octets" is advisory (the body ends at its terminator, never at
     * a count): a missing or unusable size reads as 0. */
    if (_nx_pop3_reply_number(&reply, 0u, &octets) != NX_SUCCESS)
    {
        octets = 0u;
    }
    client_ptr->nx_pop3_client_body_state = NX_POP3_BODY_LINE_START;
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_DOWNLOADING;
    *item_size = octets;
    return NX_SUCCESS;
}

UINT _nx_pop3_client_mail_item_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *item_size)
{
    ULONG64 octets;
    UINT status = _nx_pop3_client_mail_item_get64(client_ptr, mail_item, &octets);

    if (status == NX_SUCCESS)
    {
        /* The download has started either way; an advisory size beyond 32 bits
         * is reported as the largest ULONG rather than wrapped. */
        *item_size = (octets > 0xFFFFFFFFull) ? 0xFFFFFFFFu : (ULONG)octets;
    }
    return status;
}

UINT _nx_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
                                           ULONG *bytes_retrieved, UINT *final_packet)
{
    NX_PACKET *packet;
    UCHAR *out;
    ULONG length;
    ULONG written = 0u;
    ULONG held;
    UINT status;

    *recv_packet_ptr = NX_NULL;
    *bytes_retrieved = 0u;
    *final_packet = NX_FALSE;
    if (client_ptr->nx_pop3_client_state != NX_POP3_STATE_DOWNLOADING)
    {
        return NX_POP3_CLIENT_INVALID_STATE;
    }

    packet = client_ptr->nx_pop3_client_rx_packet;
    client_ptr->nx_pop3_client_rx_packet = NX_NULL;
    if (packet == NX_NULL)
    {
        status = nx_tcp_socket_receive(&client_ptr->nx_pop3_client_tcp_socket, &packet,
                                       client_ptr->nx_pop3_client_reply_wait);
        if (status == NX_NO_PACKET)
        {
            return status; /* nothing consumed: the caller may wait again */
        }
        if (status != NX_SUCCESS)
        {
            pop3_abort(client_ptr);
            return status;
        }
    }

    /* Decode in place; a held-back CR needs one byte in front of the data. */
    held = _nx_pop3_body_held(client_ptr->nx_pop3_client_body_state);
    length = (ULONG)(packet->nx_packet_append_ptr - packet->nx_packet_prepend_ptr);
    if ((held != 0u) && (packet->nx_packet_prepend_ptr == packet->nx_packet_data_start))
    {
        if (packet->nx_packet_append_ptr == packet->nx_packet_data_end)
        {
            (VOID)nx_packet_release(packet);
            pop3_abort(client_ptr);
            return NX_INVALID_PACKET; /* a packet with no room at either end */
        }
        memmove(packet->nx_packet_prepend_ptr + 1, packet->nx_packet_prepend_ptr, length);
        packet->nx_packet_prepend_ptr++;
        packet->nx_packet_append_ptr++;
    }
    out = packet->nx_packet_prepend_ptr - held;
    (VOID)_nx_pop3_body_decode(&client_ptr->nx_pop3_client_body_state,
                               packet->nx_packet_prepend_ptr, length, out, &written);

    packet->nx_packet_prepend_ptr = out;
    packet->nx_packet_append_ptr = out + written;
    packet->nx_packet_length = written;
    if (client_ptr->nx_pop3_client_body_state == NX_POP3_BODY_DONE)
    {
        /* Anything after the terminator was not asked for and is dropped. */
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_TRANSACTION;
        *final_packet = NX_TRUE;
    }
    *recv_packet_ptr = packet;
    *bytes_retrieved = written;
    return NX_SUCCESS;
}

static UINT pop3_simple(NX_POP3_CLIENT *client_ptr, UINT command, const CHAR *keyword,
                        UINT use_number, UINT number)
{
    NX_POP3_REPLY reply;
    UINT status = pop3_ready(client_ptr);

    if ((status == NX_SUCCESS) && (use_number != 0u))
    {
        status = pop3_index_check(client_ptr, number);
    }
    if (status == NX_SUCCESS)
    {
        status = pop3_command(client_ptr, command, keyword, NX_NULL, NX_NULL, use_number, number,
                              &reply);
    }
    return status;
}

UINT _nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index)
{
    return pop3_simple(client_ptr, NX_POP3_COMMAND_DELE, "DELE", NX_TRUE, mail_index);
}

UINT _nx_pop3_client_noop(NX_POP3_CLIENT *client_ptr)
{
    return pop3_simple(client_ptr, NX_POP3_COMMAND_NOOP, "NOOP", NX_FALSE, 0u);
}

UINT _nx_pop3_client_reset(NX_POP3_CLIENT *client_ptr)
{
    return pop3_simple(client_ptr, NX_POP3_COMMAND_RSET, "RSET", NX_FALSE, 0u);
}

UINT _nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr)
{
    UINT status = pop3_simple(client_ptr, NX_POP3_COMMAND_QUIT, "QUIT", NX_FALSE, 0u);

    /* After QUIT's answer, +OK or -ERR, the server ends the session. */
    if ((status == NX_SUCCESS) || (status == NX_POP3_SERVER_ERROR_STATUS))
    {
        pop3_rx_release(client_ptr);
        (VOID)nx_tcp_socket_disconnect(&client_ptr->nx_pop3_client_tcp_socket,
                                       NX_POP3_CLIENT_DISCONNECT_TIMEOUT);
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_QUIT;
    }
    return status;
}

UINT _nx_pop3_client_reply_timeout_set(NX_POP3_CLIENT *client_ptr, ULONG reply_wait)
{
    client_ptr->nx_pop3_client_reply_wait = reply_wait;
    return NX_SUCCESS;
}
