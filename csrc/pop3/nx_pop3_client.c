/* The POP3 client core (_nx_ services): connect, create and delete, each
 * command's service and the parsing of its reply, and the RETR body. The
 * command table and the exchange are in nx_pop3_command.c, the login in
 * nx_pop3_auth.c; all of it over the NetX packet and TCP calls only.
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
#include "nx_pop3_auth.h"
#include "nx_pop3_body.h"
#include "nx_pop3_command.h"
#include "nx_pop3_reply.h"

#include <string.h>

UINT _nxd_pop3_client_connect(NX_POP3_CLIENT *client_ptr, NX_IP *ip_ptr,
                              NX_PACKET_POOL *packet_pool_ptr, NXD_ADDRESS *server_ip_address,
                              ULONG server_port, ULONG connect_wait, ULONG reply_wait,
                              NX_POP3_APOP_STAMP *apop_stamp)
{
    NX_TCP_SOCKET *socket_ptr = &client_ptr->nx_pop3_client_tcp_socket;
    NX_POP3_REPLY reply;
    UINT status;

    if ((server_port == 0u) || (server_port > 0xFFFFu))
    {
        return NX_POP3_PARAM_ERROR;
    }

    memset(client_ptr, 0, sizeof(*client_ptr));
    client_ptr->nx_pop3_client_ip_ptr = ip_ptr;
    client_ptr->nx_pop3_client_packet_pool_ptr = packet_pool_ptr;
    client_ptr->nx_pop3_client_reply_wait = reply_wait;
    client_ptr->nx_pop3_client_state = NX_POP3_STATE_CLOSED;

    /* The window argument is NetX's; the transport sizes its own buffers. */
    status = nx_tcp_socket_create(ip_ptr, socket_ptr, "POP3 Client", NX_IP_NORMAL, NX_FRAGMENT_OKAY,
                                  NX_IP_TIME_TO_LIVE, 0u, NX_NULL, NX_NULL);
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_socket_created = NX_TRUE;
        status = nx_tcp_client_socket_bind(socket_ptr, NX_ANY_PORT, NX_NO_WAIT);
    }
    if (status == NX_SUCCESS)
    {
        status = nxd_tcp_client_socket_connect(socket_ptr, server_ip_address, (UINT)server_port,
                                               connect_wait);
        status = (status == NX_NOT_SUCCESSFUL) ? NX_POP3_TLS_FAILED : status; /* POP3S */
    }
    if (status == NX_SUCCESS)
    {
        /* The greeting's text passes the APOP timestamp finder on its way. */
        client_ptr->nx_pop3_client_state = NX_POP3_STATE_AUTHORIZATION;
        client_ptr->nx_pop3_client_last_command = NX_POP3_COMMAND_GREETING;
        _nx_pop3_reply_begin(client_ptr, &reply);
        if (apop_stamp != NX_NULL)
        {
            _nx_pop3_apop_stamp_start(apop_stamp);
            _nx_pop3_reply_sink_set(&reply, _nx_pop3_apop_stamp_byte, apop_stamp);
        }
        status = _nx_pop3_reply_receive(client_ptr, &reply);
    }

    if (status != NX_SUCCESS)
    {
        (VOID)_nx_pop3_client_delete(client_ptr); /* everything created goes */
    }
    else
    {
        client_ptr->nx_pop3_client_id = NX_POP3_CLIENT_ID;
    }
    return status;
}

UINT _nx_pop3_client_login(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                           CHAR *client_name, CHAR *client_password)
{
    UINT status = _nx_pop3_credentials_check(client_name, client_password);

    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_login(client_ptr, apop_stamp, client_name, client_password);
    }
    return status;
}

#if NX_POP3_CLIENT_ENABLE_SASL
UINT _nx_pop3_client_apop(NX_POP3_CLIENT *client_ptr, NX_POP3_APOP_STAMP *apop_stamp,
                          CHAR *client_name, CHAR *client_password)
{
    UINT status = _nx_pop3_credentials_check(client_name, client_password);

    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_apop(client_ptr, apop_stamp, client_name, client_password);
    }
    else if (apop_stamp != NX_NULL)
    {
        memset(apop_stamp, 0, sizeof(*apop_stamp));
    }
    return status;
}

UINT _nx_pop3_client_user_pass(NX_POP3_CLIENT *client_ptr, CHAR *client_name,
                               CHAR *client_password)
{
    UINT status = _nx_pop3_credentials_check(client_name, client_password);

    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_user_pass(client_ptr, client_name, client_password);
    }
    return status;
}
#endif

UINT _nxd_pop3_client_create_ext(NX_POP3_CLIENT *client_ptr, UINT APOP_authentication,
                                 NX_IP *ip_ptr, NX_PACKET_POOL *packet_pool_ptr,
                                 NXD_ADDRESS *server_ip_address, ULONG server_port,
                                 CHAR *client_name, CHAR *client_password,
                                 ULONG connect_wait, ULONG reply_wait)
{
    NX_POP3_APOP_STAMP stamp;
    NX_POP3_APOP_STAMP *apop_stamp = (APOP_authentication != 0u) ? &stamp : NX_NULL;
    UINT status = _nx_pop3_credentials_check(client_name, client_password);

    if (status == NX_SUCCESS)
    {
        status = _nxd_pop3_client_connect(client_ptr, ip_ptr, packet_pool_ptr, server_ip_address,
                                          server_port, connect_wait, reply_wait, apop_stamp);
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_login(client_ptr, apop_stamp, client_name, client_password);
        if (status != NX_SUCCESS)
        {
            (VOID)_nx_pop3_client_delete(client_ptr); /* NetX's create leaves nothing */
        }
    }
    memset(&stamp, 0, sizeof(stamp)); /* wiped by login already, unless connect failed */
    return status;
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
    _nx_pop3_rx_release(client_ptr);
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

/* A command whose one argument is a message number. Numbers never change in
 * a session (RFC 1939: after DELE 1, message 3 is still message 3, though STAT
 * counts one fewer), so none is refused here: the server decides. Index 0, the
 * one that can never be valid, is refused by the checking layer. */
static UINT pop3_numbered(NX_POP3_CLIENT *client_ptr, UINT command, UINT number,
                          NX_POP3_REPLY *reply)
{
    NX_POP3_ARGUMENTS arguments;

    arguments.number[0] = number;
    arguments.count = 1u;
    return _nx_pop3_command(client_ptr, command, &arguments, reply);
}

/* The first two words of a +OK reply as numbers; a violation closes the session. */
static UINT pop3_two_numbers(NX_POP3_CLIENT *client_ptr, const NX_POP3_REPLY *reply,
                             ULONG64 *first, ULONG64 *second)
{
    UINT status = _nx_pop3_reply_number(reply, 0u, first);

    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_reply_number(reply, 1u, second);
    }
    if (status != NX_SUCCESS)
    {
        status = _nx_pop3_abort(client_ptr, status);
    }
    return status;
}

UINT _nx_pop3_client_mail_items_get64(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                      ULONG64 *maildrop_total_size)
{
    NX_POP3_REPLY reply;
    ULONG64 count = 0u;
    ULONG64 total = 0u;
    UINT status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_STAT, NX_NULL, &reply);

    if (status == NX_SUCCESS)
    {
        status = pop3_two_numbers(client_ptr, &reply, &count, &total);
    }
    if ((status == NX_SUCCESS) && (count > 0xFFFFFFFFull))
    {
        status = _nx_pop3_abort(client_ptr, NX_POP3_NUMBER_OVERFLOW);
    }
    if (status == NX_SUCCESS)
    {
        *number_mail_items = (UINT)count;
        *maildrop_total_size = total;
    }
    return status;
}

UINT _nx_pop3_client_mail_items_get(NX_POP3_CLIENT *client_ptr, UINT *number_mail_items,
                                    ULONG *maildrop_total_size)
{
    ULONG64 total = 0u; /* pop3_narrow takes it by value, even after a failure */
    UINT status = _nx_pop3_client_mail_items_get64(client_ptr, number_mail_items, &total);

    return pop3_narrow(status, total, maildrop_total_size);
}

UINT _nx_pop3_client_mail_item_size_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                          ULONG64 *size)
{
    NX_POP3_REPLY reply;
    ULONG64 index = 0u;
    ULONG64 octets = 0u;
    UINT status = pop3_numbered(client_ptr, NX_POP3_COMMAND_LIST, mail_item, &reply);

    if (status == NX_SUCCESS)
    {
        status = pop3_two_numbers(client_ptr, &reply, &index, &octets);
    }
    if ((status == NX_SUCCESS) && (index != (ULONG64)mail_item))
    {
        status = _nx_pop3_abort(client_ptr, NX_POP3_INDEX_MISMATCH);
    }
    if (status == NX_SUCCESS)
    {
        *size = octets;
    }
    return status;
}

UINT _nx_pop3_client_mail_item_size_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, ULONG *size)
{
    ULONG64 octets = 0u; /* pop3_narrow takes it by value, even after a failure */
    UINT status = _nx_pop3_client_mail_item_size_get64(client_ptr, mail_item, &octets);

    return pop3_narrow(status, octets, size);
}

UINT _nx_pop3_client_mail_item_get64(NX_POP3_CLIENT *client_ptr, UINT mail_item,
                                     ULONG64 *item_size)
{
    NX_POP3_REPLY reply;
    ULONG64 octets;
    UINT status = pop3_numbered(client_ptr, NX_POP3_COMMAND_RETR, mail_item, &reply);

    if (status == NX_SUCCESS)
    {
        /* "+OK <size> octets" is advisory (the body ends at its terminator, never
         * at a count): a missing or unusable size reads as 0. */
        if (_nx_pop3_reply_number(&reply, 0u, &octets) != NX_SUCCESS)
        {
            octets = 0u;
        }
        *item_size = octets;
    }
    return status;
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

/* Bytes that came after a body's terminator, in the same packet (the decoder
 * never writes over them). In a pipelined batch with replies still to come
 * they are the next reply: copied into a packet of their own and kept as
 * received bytes. Otherwise no command asked for them: flagged for the next
 * command. NX_NO_PACKET when a batch cannot keep them. */
static UINT pop3_leftover(NX_POP3_CLIENT *client_ptr, const UCHAR *bytes, ULONG length)
{
    UINT status = NX_SUCCESS;
#if NX_POP3_CLIENT_ENABLE_PIPELINING
    NX_POP3_PIPELINE *pipeline = client_ptr->nx_pop3_client_pipeline;
    NX_PACKET *kept = NX_NULL;

    if ((pipeline != NX_NULL) &&
        (pipeline->nx_pop3_pipeline_sent > pipeline->nx_pop3_pipeline_read))
    {
        status = nx_packet_allocate(client_ptr->nx_pop3_client_ip_ptr->nx_ip_default_packet_pool,
                                    &kept, 0u, NX_NO_WAIT);
        if ((status == NX_SUCCESS) &&
            (length > (ULONG)(kept->nx_packet_data_end - kept->nx_packet_append_ptr)))
        {
            (VOID)nx_packet_release(kept);
            status = NX_NO_PACKET;
        }
        if (status == NX_SUCCESS)
        {
            memcpy(kept->nx_packet_append_ptr, bytes, length);
            kept->nx_packet_append_ptr += length;
            kept->nx_packet_length = length;
            client_ptr->nx_pop3_client_rx_packet = kept;
        }
        return status;
    }
#endif
    (VOID)bytes;
    (VOID)length;
    client_ptr->nx_pop3_client_unexpected_data = NX_TRUE;
    return status;
}

UINT _nx_pop3_client_mail_item_message_get(NX_POP3_CLIENT *client_ptr, NX_PACKET **recv_packet_ptr,
                                           ULONG *bytes_retrieved, UINT *final_packet)
{
    NX_PACKET *packet;
    UCHAR *out;
    UCHAR *in;
    ULONG length;
    ULONG written = 0u;
    ULONG used;
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
            (VOID)_nx_pop3_abort(client_ptr, NX_SUCCESS);
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
            (VOID)_nx_pop3_abort(client_ptr, NX_SUCCESS);
            return NX_INVALID_PACKET; /* a packet with no room at either end */
        }
        memmove(packet->nx_packet_prepend_ptr + 1, packet->nx_packet_prepend_ptr, length);
        packet->nx_packet_prepend_ptr++;
        packet->nx_packet_append_ptr++;
    }
    out = packet->nx_packet_prepend_ptr - held;
    in = packet->nx_packet_prepend_ptr;
    used = _nx_pop3_body_decode(&client_ptr->nx_pop3_client_body_state, in, length, out,
                                &written);

    packet->nx_packet_prepend_ptr = out;
    packet->nx_packet_append_ptr = out + written;
    packet->nx_packet_length = written;
    if (client_ptr->nx_pop3_client_body_state == NX_POP3_BODY_DONE)
    {
        /* Bytes after the terminator: the next reply of a pipelined batch, kept;
         * otherwise asked for by no command, and the next command reports them
         * (NX_POP3_UNEXPECTED_DATA). */
        client_ptr->nx_pop3_client_state = client_ptr->nx_pop3_client_resume_state;
        *final_packet = NX_TRUE;
        if ((used < length) && (pop3_leftover(client_ptr, in + used, length - used) != NX_SUCCESS))
        {
            (VOID)_nx_pop3_abort(client_ptr, NX_SUCCESS); /* this piece is whole; the next call fails */
        }
    }
    *recv_packet_ptr = packet;
    *bytes_retrieved = written;
    return NX_SUCCESS;
}

#if NX_POP3_CLIENT_ENABLE_TOP
UINT _nx_pop3_client_mail_item_top_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, UINT lines)
{
    NX_POP3_ARGUMENTS arguments;
    NX_POP3_REPLY reply;

    arguments.number[0] = mail_item;
    arguments.number[1] = lines;
    arguments.count = 2u;
    return _nx_pop3_command(client_ptr, NX_POP3_COMMAND_TOP, &arguments, &reply);
}
#endif

#if NX_POP3_CLIENT_ENABLE_UTF8
UINT _nx_pop3_client_utf8(NX_POP3_CLIENT *client_ptr)
{
    NX_POP3_REPLY reply;

    return _nx_pop3_command(client_ptr, NX_POP3_COMMAND_UTF8, NX_NULL, &reply);
}
#endif

#if NX_POP3_CLIENT_ENABLE_STLS
UINT _nx_pop3_client_stls(NX_POP3_CLIENT *client_ptr)
{
    NX_TCP_SOCKET *socket_ptr = &client_ptr->nx_pop3_client_tcp_socket;
    NX_POP3_REPLY reply;
    ULONG verify;
    UINT status = _nx_pop3_command_allowed(client_ptr, NX_POP3_COMMAND_STLS);

    /* Nothing goes out for TLS that cannot be had. */
    if ((status == NX_SUCCESS) &&
        ((nx_tcp_socket_tls_verify_result(socket_ptr, &verify) == NX_NOT_SUPPORTED) ||
         (((client_ptr->nx_pop3_client_capabilities & NX_POP3_CAPABILITY_ASKED) != 0u) &&
          ((client_ptr->nx_pop3_client_capabilities & NX_POP3_CAPABILITY_STLS) == 0u))))
    {
        status = NX_NOT_SUPPORTED;
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_STLS, NX_NULL, &reply);
    }
    if (status == NX_SUCCESS)
    {
        /* Plain text after the +OK, in its segment or since, is an injection:
         * it must never be read as if it came through TLS. */
        status = _nx_pop3_quiet_check(client_ptr);
    }
    if (status == NX_SUCCESS)
    {
        status = nx_tcp_socket_tls_start(socket_ptr, client_ptr->nx_pop3_client_reply_wait);
        if (status != NX_SUCCESS)
        {
            /* Cut, refused, out of time or unverified: TLS cannot be had. */
            status = _nx_pop3_abort(client_ptr, NX_POP3_TLS_FAILED);
        }
    }
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_capabilities = 0u; /* RFC 2595: ask CAPA again */
    }
    return status;
}

UINT _nx_pop3_client_tls_verify_result_get(NX_POP3_CLIENT *client_ptr, ULONG *result)
{
    return nx_tcp_socket_tls_verify_result(&client_ptr->nx_pop3_client_tcp_socket, result);
}
#endif

UINT _nx_pop3_client_mail_item_delete(NX_POP3_CLIENT *client_ptr, UINT mail_index)
{
    NX_POP3_REPLY reply;

    return pop3_numbered(client_ptr, NX_POP3_COMMAND_DELE, mail_index, &reply);
}

UINT _nx_pop3_client_noop(NX_POP3_CLIENT *client_ptr)
{
    NX_POP3_REPLY reply;

    return _nx_pop3_command(client_ptr, NX_POP3_COMMAND_NOOP, NX_NULL, &reply);
}

UINT _nx_pop3_client_reset(NX_POP3_CLIENT *client_ptr)
{
    NX_POP3_REPLY reply;

    return _nx_pop3_command(client_ptr, NX_POP3_COMMAND_RSET, NX_NULL, &reply);
}

UINT _nx_pop3_client_quit(NX_POP3_CLIENT *client_ptr)
{
    NX_POP3_REPLY reply;
    UINT status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_QUIT, NX_NULL, &reply);

    /* After QUIT's answer, +OK or -ERR, the server ends the session. */
    if ((status == NX_SUCCESS) || (status == NX_POP3_SERVER_ERROR_STATUS))
    {
        _nx_pop3_rx_release(client_ptr);
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
