/* The multi-line listings: CAPA, LIST, UIDL (and UIDL n, whose reply has the
 * same entry). Each listing is read line by line from the body decoder (the
 * same path as RETR: dot-unstuffing, split terminators) into a line buffer on
 * the stack, and handed to the caller's callback entry by entry: constant
 * memory whatever the number of messages. */
#define NX_POP3_SOURCE_CODE
#include "nxd_pop3_client.h"
#include "nx_pop3_command.h"
#include "nx_pop3_sasl.h"

#include <string.h>

#if NX_POP3_CLIENT_ENABLE_CAPA || NX_POP3_CLIENT_ENABLE_LISTINGS

/* Where a listing is: the decoded piece being split into lines. */
typedef struct POP3_LINES_STRUCT
{
    NX_PACKET *packet;
    ULONG offset;
    UINT final;       /* the packet is the body's last piece */
    UINT ended;       /* the body has been read to its end */
} POP3_LINES;

/* The next line of the body into line (at most NX_POP3_MAX_LISTING_LINE octets
 * with its CRLF), NUL-terminated without the CRLF. *length is its length;
 * lines->ended once the body is over (then no line was read). */
static UINT pop3_line_next(NX_POP3_CLIENT *client_ptr, POP3_LINES *lines, CHAR *line,
                           UINT *length)
{
    UINT used = 0u;
    UINT status = NX_SUCCESS;
    UINT complete = NX_FALSE;
    UINT rounds;

    /* Each round copies at least one byte, ends the line or the body, or takes
     * a new piece (which makes progress or fails): bounded by the line size
     * plus the pieces, and a piece is never empty twice without input. */
    for (rounds = 0u; (complete == NX_FALSE) && (status == NX_SUCCESS) &&
                      (rounds < 4u * NX_POP3_MAX_LISTING_LINE + 1024u); rounds++)
    {
        NX_PACKET *packet = lines->packet;

        if (packet == NX_NULL)
        {
            ULONG bytes;

            if (lines->final != 0u)
            {
                lines->ended = (used == 0u);
                complete = NX_TRUE; /* a last line without CRLF is still a line */
            }
            else
            {
                status = _nx_pop3_client_mail_item_message_get(client_ptr, &lines->packet,
                                                               &bytes, &lines->final);
                lines->offset = 0u;
            }
        }
        else if (lines->offset == packet->nx_packet_length)
        {
            (VOID)nx_packet_release(packet);
            lines->packet = NX_NULL;
        }
        else
        {
            UCHAR c = packet->nx_packet_prepend_ptr[lines->offset];

            lines->offset++;
            if (c == '\n')
            {
                complete = NX_TRUE;
            }
            else if (used + 2u >= NX_POP3_MAX_LISTING_LINE)
            {
                status = NX_POP3_REPLY_TOO_LONG;
            }
            else
            {
                line[used] = (CHAR)c;
                used++;
            }
        }
    }
    if ((status == NX_SUCCESS) && (complete == NX_FALSE))
    {
        status = NX_POP3_REPLY_TOO_LONG; /* not reached: the line limit fails first */
    }
    if ((used > 0u) && (line[used - 1u] == '\r'))
    {
        used--;
    }
    line[used] = '\0';
    *length = used;
    return status;
}

/* Ends a listing: the pieces left are released; after a failure the connection
 * goes (a listing read halfway leaves the stream out of step). */
static UINT pop3_lines_end(NX_POP3_CLIENT *client_ptr, POP3_LINES *lines, UINT status)
{
    if (lines->packet != NX_NULL)
    {
        (VOID)nx_packet_release(lines->packet);
        lines->packet = NX_NULL;
    }
    if (status != NX_SUCCESS)
    {
        status = _nx_pop3_abort(client_ptr, status); /* closed already, or now */
    }
    return status;
}

/* The words of a line: the first into *first, the rest (after the spaces
 * that follow it) into *rest. The line is split in place. */
static VOID pop3_line_split(CHAR *line, CHAR **first, CHAR **rest)
{
    CHAR *at = line;

    while (*at == ' ')
    {
        at++;
    }
    *first = at;
    while ((*at != ' ') && (*at != '\0'))
    {
        at++;
    }
    if (*at == ' ')
    {
        *at = '\0';
        at++;
        while (*at == ' ')
        {
            at++;
        }
    }
    *rest = at;
}

#endif

#if NX_POP3_CLIENT_ENABLE_LISTINGS

/* A message number: decimal, 1 .. 0xFFFFFFFF. */
static UINT pop3_line_index(const CHAR *text, UINT *index)
{
    ULONG64 value = 0u;
    UINT digits = 0u;
    UINT status = NX_SUCCESS;

    if (*text == '-')
    {
        status = NX_POP3_NEGATIVE_NUMBER;
    }
    /* Bounded by the line's NUL. */
    while ((status == NX_SUCCESS) && (text[digits] != '\0'))
    {
        if ((text[digits] < '0') || (text[digits] > '9'))
        {
            status = NX_POP3_INVALID_REPLY;
        }
        else
        {
            value = value * 10u + (ULONG64)(text[digits] - '0');
            if (value > 0xFFFFFFFFull)
            {
                status = NX_POP3_NUMBER_OVERFLOW;
            }
        }
        digits++;
    }
    if ((status == NX_SUCCESS) && ((digits == 0u) || (value == 0u)))
    {
        status = NX_POP3_INVALID_REPLY;
    }
    *index = (UINT)value;
    return status;
}

/* A unique-id: 1 to NX_POP3_MAX_UID characters 0x21..0x7E, nothing after it. */
static UINT pop3_uid_check(const CHAR *uid)
{
    UINT length = 0u;

    /* Bounded by NX_POP3_MAX_UID + 1 characters. */
    while ((length <= NX_POP3_MAX_UID) && (uid[length] > 0x20) && (uid[length] < 0x7F))
    {
        length++;
    }
    return ((length == 0u) || (length > NX_POP3_MAX_UID) || (uid[length] != '\0')) ?
           NX_POP3_INVALID_REPLY : NX_SUCCESS;
}

/* LIST's size: the first word of the rest, decimal, into 64 bits (RFC 1939
 * lets a server put more after it). */
static UINT pop3_line_size(const CHAR *text, ULONG64 *size)
{
    NX_POP3_REPLY reply;

    /* The status-line parser's number rules, fed "+OK " and the rest. */
    _nx_pop3_reply_start(&reply, NX_NULL, 0u);
    (VOID)_nx_pop3_reply_feed(&reply, (const UCHAR *)"+OK ", 4u);
    (VOID)_nx_pop3_reply_feed(&reply, (const UCHAR *)text, (ULONG)strlen(text));
    return _nx_pop3_reply_number(&reply, 0u, size);
}

/* LIST or UIDL without argument: every entry to the callback. */
static UINT pop3_listing(NX_POP3_CLIENT *client_ptr, UINT command, NX_POP3_LIST_CALLBACK list,
                         NX_POP3_UIDL_CALLBACK uidl, VOID *context)
{
    CHAR line[NX_POP3_MAX_LISTING_LINE];
    POP3_LINES lines;
    NX_POP3_REPLY reply;
    UINT status = _nx_pop3_command(client_ptr, command, NX_NULL, &reply);
    UINT entries;

    if (status != NX_SUCCESS)
    {
        return status; /* refused before sending, -ERR, or the exchange's failure */
    }
    memset(&lines, 0, sizeof(lines));
    /* One entry per message number: at most 2^32 - 1 of them. */
    for (entries = 0u; (status == NX_SUCCESS) && (entries < 0xFFFFFFFFu); entries++)
    {
        CHAR *first;
        CHAR *rest;
        UINT length;
        UINT index = 0u;
        ULONG64 size = 0u;

        status = pop3_line_next(client_ptr, &lines, line, &length);
        if ((status != NX_SUCCESS) || (lines.ended != 0u))
        {
            break;
        }
        pop3_line_split(line, &first, &rest);
        status = pop3_line_index(first, &index);
        if (status == NX_SUCCESS)
        {
            status = (list != NX_NULL) ? pop3_line_size(rest, &size) : pop3_uid_check(rest);
        }
        if (status != NX_SUCCESS)
        {
            break;
        }
        if (list != NX_NULL)
        {
            list(context, index, size);
        }
        else if (uidl != NX_NULL)
        {
            uidl(context, index, rest);
        }
    }
    return pop3_lines_end(client_ptr, &lines, status);
}

UINT _nx_pop3_client_mail_items_list(NX_POP3_CLIENT *client_ptr, NX_POP3_LIST_CALLBACK callback,
                                     VOID *context)
{
    return pop3_listing(client_ptr, NX_POP3_COMMAND_LIST, callback, NX_NULL, context);
}

UINT _nx_pop3_client_mail_items_uidl(NX_POP3_CLIENT *client_ptr, NX_POP3_UIDL_CALLBACK callback,
                                     VOID *context)
{
    return pop3_listing(client_ptr, NX_POP3_COMMAND_UIDL, NX_NULL, callback, context);
}

UINT _nx_pop3_client_mail_item_uid_get(NX_POP3_CLIENT *client_ptr, UINT mail_item, CHAR *uid,
                                       UINT uid_size)
{
    NX_POP3_ARGUMENTS arguments;
    NX_POP3_REPLY reply;
    ULONG64 index = 0u;
    UINT start = 0u;
    UINT length = 0u;
    UINT status;

    if (uid_size <= NX_POP3_MAX_UID)
    {
        return NX_SIZE_ERROR;
    }
    arguments.number[0] = mail_item;
    arguments.count = 1u;
    status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_UIDL, &arguments, &reply);
    if (status != NX_SUCCESS)
    {
        return status;
    }

    /* "+OK n uid", the uid read from the reply text the client kept. */
    status = _nx_pop3_reply_number(&reply, 0u, &index);
    if ((status == NX_SUCCESS) && (index != (ULONG64)mail_item))
    {
        status = NX_POP3_INDEX_MISMATCH;
    }
    if ((status == NX_SUCCESS) && (reply.word_count + reply.in_word != 2u))
    {
        status = NX_POP3_INVALID_REPLY; /* no uid, or more than a uid */
    }
    if (status == NX_SUCCESS)
    {
        status = _nx_pop3_reply_word(&reply, 1u, &start, &length);
        if ((status == NX_POP3_REPLY_TOO_LONG) && (reply.text_length <= NX_POP3_MAX_UID + 11u))
        {
            /* A valid reply the configured text buffer cannot hold: the
             * session is fine, this build cannot read it. */
            return NX_POP3_MAIL_BUFFER_OVERFLOW;
        }
        status = (status != NX_SUCCESS) ? NX_POP3_INVALID_REPLY : status; /* a uid too long */
    }
    if ((status == NX_SUCCESS) && (length > NX_POP3_MAX_UID))
    {
        status = NX_POP3_INVALID_REPLY;
    }
    if (status == NX_SUCCESS)
    {
        memcpy(uid, client_ptr->nx_pop3_client_reply_text + start, length);
        uid[length] = '\0';
        status = pop3_uid_check(uid);
    }
    if (status != NX_SUCCESS)
    {
        uid[0] = '\0';
        status = _nx_pop3_abort(client_ptr, status);
    }
    return status;
}

#endif

#if NX_POP3_CLIENT_ENABLE_CAPA

/* The capabilities this client acts on, by name. */
static const struct
{
    CHAR name[15];
    UINT bit;
} pop3_capabilities[] =
{
    { "TOP", NX_POP3_CAPABILITY_TOP },
    { "UIDL", NX_POP3_CAPABILITY_UIDL },
    { "USER", NX_POP3_CAPABILITY_USER },
    { "SASL", NX_POP3_CAPABILITY_SASL },
    { "STLS", NX_POP3_CAPABILITY_STLS },
    { "PIPELINING", NX_POP3_CAPABILITY_PIPELINING },
    { "RESP-CODES", NX_POP3_CAPABILITY_RESP_CODES },
    { "AUTH-RESP-CODE", NX_POP3_CAPABILITY_AUTH_RESP_CODE },
    { "UTF8", NX_POP3_CAPABILITY_UTF8 },
    { "LOGIN-DELAY", NX_POP3_CAPABILITY_LOGIN_DELAY },
    { "EXPIRE", NX_POP3_CAPABILITY_EXPIRE },
    { "IMPLEMENTATION", NX_POP3_CAPABILITY_IMPLEMENTATION },
};

UINT _nx_pop3_client_capabilities_get(NX_POP3_CLIENT *client_ptr, NX_POP3_CAPA_CALLBACK callback,
                                      VOID *context)
{
    CHAR line[NX_POP3_MAX_LISTING_LINE];
    POP3_LINES lines;
    NX_POP3_REPLY reply;
    UINT found = NX_POP3_CAPABILITY_ASKED;
#if NX_POP3_CLIENT_ENABLE_SASL
    UINT mechanisms = 0u;
#endif
    UINT count;
    UINT status = _nx_pop3_command(client_ptr, NX_POP3_COMMAND_CAPA, NX_NULL, &reply);

    if (status == NX_POP3_SERVER_ERROR_STATUS)
    {
        client_ptr->nx_pop3_client_capabilities = found; /* an old server: none */
#if NX_POP3_CLIENT_ENABLE_SASL
        client_ptr->nx_pop3_client_sasl_mechanisms = 0u;
#endif
        return NX_SUCCESS;
    }
    if (status != NX_SUCCESS)
    {
        return status; /* refused before sending, or the exchange's failure */
    }
    memset(&lines, 0, sizeof(lines));
    /* At most NX_POP3_MAX_CAPA_LINES lines, and the end of the list. */
    for (count = 0u; (status == NX_SUCCESS) && (count <= NX_POP3_MAX_CAPA_LINES); count++)
    {
        CHAR *name;
        CHAR *arguments;
        UINT length;
        UINT i;

        status = pop3_line_next(client_ptr, &lines, line, &length);
        if ((status != NX_SUCCESS) || (lines.ended != 0u))
        {
            break;
        }
        if (count == NX_POP3_MAX_CAPA_LINES)
        {
            status = NX_POP3_REPLY_TOO_LONG;
            break;
        }
        pop3_line_split(line, &name, &arguments);
        if (*name == '\0')
        {
            continue; /* a blank line is ignored (RFC 2449) */
        }
        for (i = 0u; name[i] != '\0'; i++) /* bounded by the line */
        {
            name[i] = (CHAR)(((name[i] >= 'a') && (name[i] <= 'z')) ? (name[i] - 32) : name[i]);
        }
        for (i = 0u; i < (UINT)(sizeof(pop3_capabilities) / sizeof(pop3_capabilities[0])); i++)
        {
            if (strcmp(name, pop3_capabilities[i].name) == 0)
            {
                found |= pop3_capabilities[i].bit;
            }
        }
#if NX_POP3_CLIENT_ENABLE_SASL
        if (strcmp(name, "SASL") == 0)
        {
            mechanisms |= _nx_pop3_sasl_offered(arguments);
        }
#endif
        if (callback != NX_NULL)
        {
            callback(context, name, arguments);
        }
    }
    status = pop3_lines_end(client_ptr, &lines, status);
    if (status == NX_SUCCESS)
    {
        client_ptr->nx_pop3_client_capabilities = found;
#if NX_POP3_CLIENT_ENABLE_SASL
        client_ptr->nx_pop3_client_sasl_mechanisms = mechanisms;
#endif
    }
    return status;
}

#endif
