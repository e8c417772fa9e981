/**
 * @file nx_pop3_command.h
 * @brief The command layer, shared by the services (nx_pop3_client.c) and the
 *        login (nx_pop3_auth.c): a table of command descriptors, a bounded
 *        line builder, and one exchange (send a line, read its status line).
 *
 * Adding a command is one row in the table of nx_pop3_command.c (keyword,
 * argument shape, single- or multi-line reply, states that allow it), one
 * NX_POP3_COMMAND_* code in nxd_pop3_client.h, and the parser of its reply in
 * the service that sends it. Internal to the client: not a public header.
 */
#ifndef NX_POP3_COMMAND_H
#define NX_POP3_COMMAND_H

#include "nxd_pop3_client.h"
#include "nx_pop3_reply.h"

/* Argument kinds, one per argument position of a descriptor. */
#define NX_POP3_ARGUMENT_NONE    0u /* no argument here (and none after it) */
#define NX_POP3_ARGUMENT_NUMBER  1u /* a decimal UINT */
#define NX_POP3_ARGUMENT_TEXT    2u /* a NUL-terminated string, checked by the caller */

#define NX_POP3_COMMAND_ARGUMENTS 2u

/* Reply shapes. */
#define NX_POP3_REPLY_SINGLE_LINE 0u
#define NX_POP3_REPLY_MULTI_LINE  1u /* "+OK" starts a body ending with ".CRLF" */
#define NX_POP3_REPLY_MULTI_BARE  2u /* multi-line when sent without its argument
                                        (LIST, UIDL), single-line with it */

/* The states a command is allowed in, as a mask of (1 << NX_POP3_STATE_*). */
#define NX_POP3_IN_AUTHORIZATION (1u << NX_POP3_STATE_AUTHORIZATION)
#define NX_POP3_IN_TRANSACTION   (1u << NX_POP3_STATE_TRANSACTION)

/** One command of the protocol. */
typedef struct NX_POP3_COMMAND_STRUCT
{
    CHAR keyword[5];                                /* upper case, NUL-terminated */
    UCHAR argument[NX_POP3_COMMAND_ARGUMENTS];      /* NX_POP3_ARGUMENT_* by position */
    UCHAR reply;                                    /* NX_POP3_REPLY_SINGLE_LINE or _MULTI_LINE */
    UCHAR states;                                   /* NX_POP3_IN_* mask */
} NX_POP3_COMMAND;

/** The values for a command's arguments: the first count positions its
 *  descriptor names are sent (fewer than it names leaves the rest out, as LIST
 *  does without a message number). NX_NULL: no arguments. */
typedef struct NX_POP3_ARGUMENTS_STRUCT
{
    const CHAR *text[NX_POP3_COMMAND_ARGUMENTS];
    UINT number[NX_POP3_COMMAND_ARGUMENTS];
    UINT count;
} NX_POP3_ARGUMENTS;

/** NX_SUCCESS when command (NX_POP3_COMMAND_*) may be sent in the client's
 *  state now; NX_NOT_CONNECTED with no connection; otherwise
 *  NX_POP3_CLIENT_INVALID_STATE. Nothing is sent. */
UINT _nx_pop3_command_allowed(const NX_POP3_CLIENT *client_ptr, UINT command);

/** Sends command with arguments (NX_NULL when it takes none) and reads its
 *  status line into reply. Returns NX_SUCCESS for +OK,
 *  NX_POP3_SERVER_ERROR_STATUS for -ERR (the session stays usable),
 *  NX_POP3_INSUFFICIENT_PACKET_PAYLOAD when the line does not fit a packet or
 *  NX_POP3_MAX_COMMAND_LINE octets, NX_POP3_CLIENT_INVALID_STATE /
 *  NX_NOT_CONNECTED when the state forbids it (nothing sent), a pool status
 *  when no packet could be had (nothing sent), NX_POP3_UNEXPECTED_DATA when
 *  bytes no command asked for were waiting (nothing sent, the connection is
 *  closed), or the failure of the exchange, which closes the connection. After +OK to a multi-line command the client is in
 *  NX_POP3_STATE_DOWNLOADING and the body follows. */
UINT _nx_pop3_command(NX_POP3_CLIENT *client_ptr, UINT command,
                      const NX_POP3_ARGUMENTS *arguments, NX_POP3_REPLY *reply);

/** Sends command with arguments, without the state check, the quiet check or
 *  the reply (the parts of _nx_pop3_command, for an exchange of its own such
 *  as AUTH's). A failed send closes the connection. */
#if NX_POP3_CLIENT_ENABLE_SASL
UINT _nx_pop3_command_send(NX_POP3_CLIENT *client_ptr, UINT command,
                           const NX_POP3_ARGUMENTS *arguments);
#endif

/** NX_SUCCESS when nothing waits to be read before a command goes out; else
 *  NX_POP3_UNEXPECTED_DATA (bytes no command asked for) or NX_NOT_CONNECTED,
 *  and the connection is closed. */
UINT _nx_pop3_quiet_check(NX_POP3_CLIENT *client_ptr);

#if NX_POP3_CLIENT_ENABLE_PIPELINING
/** Sends command (taking one number) for each of count numbers, as many lines
 *  as one packet holds, without reading their replies: a pipelined batch. No
 *  state or quiet check (replies are expected). *sent is how many went out.
 *  Statuses as for _nx_pop3_command before its reply. */
UINT _nx_pop3_command_send_many(NX_POP3_CLIENT *client_ptr, UINT command, const UINT *numbers,
                                UINT count, UINT *sent);

/** Reads the status line of a command already sent into reply and, after +OK
 *  to a multi-line one, enters NX_POP3_STATE_DOWNLOADING. */
UINT _nx_pop3_command_reply(NX_POP3_CLIENT *client_ptr, UINT command,
                            const NX_POP3_ARGUMENTS *arguments, NX_POP3_REPLY *reply);
#endif

/** Reads one status line into reply (started by the caller) within the reply
 *  wait: the greeting, or a reply after _nx_pop3_command's send. Any failure
 *  but -ERR closes the connection. */
UINT _nx_pop3_reply_receive(NX_POP3_CLIENT *client_ptr, NX_POP3_REPLY *reply);

/** Starts reply with the client's text buffer. */
VOID _nx_pop3_reply_begin(NX_POP3_CLIENT *client_ptr, NX_POP3_REPLY *reply);

/** Drops the connection after a failure that leaves the stream out of step;
 *  returns status, so that a caller can write return _nx_pop3_abort(c, s). */
UINT _nx_pop3_abort(NX_POP3_CLIENT *client_ptr, UINT status);

/** Releases the bytes received and not consumed. */
VOID _nx_pop3_rx_release(NX_POP3_CLIENT *client_ptr);

#endif /* NX_POP3_COMMAND_H */
