/**
 * @file nx_pop3_reply.h
 * @brief The status-line parser: a byte-at-a-time state machine, so a reply
 *        split anywhere across segments parses the same. Pure: no I/O.
 *
 * It checks the status keyword (exactly "+OK" or "-ERR", then a space or CRLF;
 * with continuations allowed, a lone "+" too, as SASL sends it), the line
 * length, NUL and bare CR/LF. For the first NX_POP3_REPLY_WORDS words after the
 * status it records where each one lies in the text and its value as an
 * unsigned decimal number in 64 bits (when it is one). It copies the text into
 * the caller's buffer, saying when the buffer was too small, and hands every
 * text byte to an optional sink as it passes (APOP finds its timestamp there),
 * so nothing of the line needs to be kept to be looked at.
 */
#ifndef NX_POP3_REPLY_H
#define NX_POP3_REPLY_H

#include "nxd_pop3_client.h"

#define NX_POP3_REPLY_STATUS  0u /* reading "+OK" / "-ERR" */
#define NX_POP3_REPLY_TEXT    1u /* after the status */
#define NX_POP3_REPLY_CR      2u /* saw CR, LF must follow */
#define NX_POP3_REPLY_DONE    3u /* complete line */
#define NX_POP3_REPLY_FAILED  4u /* protocol violation in .error */

#define NX_POP3_REPLY_IS_OK        1u
#define NX_POP3_REPLY_IS_ERR       2u
#define NX_POP3_REPLY_IS_CONTINUE  3u /* "+" alone: a SASL continuation (RFC 5034) */

/** Receives each byte of the text after the status (not the CRLF). */
typedef VOID (*NX_POP3_REPLY_SINK)(VOID *context, UCHAR c);

typedef struct NX_POP3_REPLY_WORD_STRUCT
{
    ULONG64 value;        /* the decimal value, when the word is a number */
    UINT start;           /* offset of its first byte in the text */
    UINT length;          /* bytes */
    UINT flags;           /* why it is not a number (nx_pop3_reply.c) */
} NX_POP3_REPLY_WORD;

typedef struct NX_POP3_REPLY_STRUCT
{
    UINT state;
    UINT length;          /* octets so far, CRLF included */
    UINT max_length;      /* limit on length; NX_POP3_MAX_REPLY_LINE unless raised */
    UINT status;          /* NX_POP3_REPLY_IS_* once known */
    UINT matched;         /* keyword characters matched */
    UINT error;           /* NX_SUCCESS or the violation's status code */
    UINT allow_continue;  /* a lone "+" is a continuation, not an error */
    UINT in_word;
    UINT word_count;      /* words begun, all of them (not only those recorded) */
    NX_POP3_REPLY_WORD words[NX_POP3_REPLY_WORDS];
    CHAR *text;           /* optional copy of the text, NUL-terminated */
    UINT text_size;
    UINT text_length;     /* bytes of text seen, kept or not */
    UINT text_truncated;  /* NX_TRUE when text_size was too small for it */
    NX_POP3_REPLY_SINK sink;
    VOID *sink_context;
    UINT code_state;      /* the "[CODE]" that may begin the text (nx_pop3_reply.c) */
    UINT code_length;
    CHAR code[NX_POP3_MAX_RESPONSE_CODE + 1u]; /* upper-cased, NUL-terminated */
} NX_POP3_REPLY;

/** Starts a line. text (text_size bytes, NUL included) may be NX_NULL. */
VOID _nx_pop3_reply_start(NX_POP3_REPLY *reply, CHAR *text, UINT text_size);

/** Optional, after start: every text byte also goes to sink(context, byte). */
VOID _nx_pop3_reply_sink_set(NX_POP3_REPLY *reply, NX_POP3_REPLY_SINK sink, VOID *context);

/** Optional, after start: accept a lone "+" (SASL), and lines up to max_length
 *  octets (at least NX_POP3_MAX_REPLY_LINE is kept). */
VOID _nx_pop3_reply_continuation_allow(NX_POP3_REPLY *reply, UINT max_length);

/** Feeds bytes; returns how many it took. It stops after the line's LF, or at
 *  the first violation (state NX_POP3_REPLY_FAILED, error set). */
ULONG _nx_pop3_reply_feed(NX_POP3_REPLY *reply, const UCHAR *data, ULONG length);

/** Word index (0 .. NX_POP3_REPLY_WORDS - 1) after the status as a number:
 *  NX_SUCCESS, or NX_POP3_INVALID_REPLY (missing, not a number),
 *  NX_POP3_NEGATIVE_NUMBER, NX_POP3_NUMBER_OVERFLOW (beyond 64 bits). */
UINT _nx_pop3_reply_number(const NX_POP3_REPLY *reply, UINT index, ULONG64 *value);

/** The response code (RFC 2449) that began the text, as NX_POP3_RESPONSE_*:
 *  case-insensitive, hierarchical ("SYS/TEMP/x" is SYS_TEMP); NX_POP3_RESPONSE_NONE
 *  when the text began with none. (Not built without
 *  NX_POP3_CLIENT_ENABLE_RESPONSE_CODES.) */
UINT _nx_pop3_reply_code(const NX_POP3_REPLY *reply);

/** Where word index lies in the text copy: NX_SUCCESS, or NX_POP3_INVALID_REPLY
 *  when there is no such word, or NX_POP3_REPLY_TOO_LONG when the word did not
 *  fit whole in the text buffer. */
UINT _nx_pop3_reply_word(const NX_POP3_REPLY *reply, UINT index, UINT *start, UINT *length);

#endif /* NX_POP3_REPLY_H */
