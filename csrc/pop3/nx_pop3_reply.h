/**
 * @file nx_pop3_reply.h
 * @brief The status-line parser: a byte-at-a-time state machine, so a reply
 *        split anywhere across segments parses the same. Pure: no I/O.
 *
 * It checks the status keyword (exactly "+OK" or "-ERR", then a space or CRLF),
 * the line length, NUL and bare CR/LF; reads the first two words after the
 * status as unsigned decimal numbers into 64 bits; keeps the start of the text;
 * and, when asked, feeds the first <...@...> timestamp into an MD5 context as it
 * passes (APOP), in linear time and constant memory whatever the greeting.
 */
#ifndef NX_POP3_REPLY_H
#define NX_POP3_REPLY_H

#include "nxd_pop3_client.h"
#include "nx_md5.h"

#define NX_POP3_REPLY_STATUS  0u /* reading "+OK" / "-ERR" */
#define NX_POP3_REPLY_TEXT    1u /* after the status */
#define NX_POP3_REPLY_CR      2u /* saw CR, LF must follow */
#define NX_POP3_REPLY_DONE    3u /* complete line */
#define NX_POP3_REPLY_FAILED  4u /* protocol violation in .error */

#define NX_POP3_REPLY_IS_OK   1u
#define NX_POP3_REPLY_IS_ERR  2u

#define NX_POP3_REPLY_WORDS   2u

typedef struct NX_POP3_REPLY_STRUCT
{
    UINT state;
    UINT length;          /* octets so far, CRLF included */
    UINT max_length;
    UINT status;          /* NX_POP3_REPLY_IS_OK / _IS_ERR once known */
    UINT matched;         /* keyword characters matched */
    UINT error;           /* NX_SUCCESS or the violation's status code */
    UINT in_word;
    UINT word_count;
    UINT word_digits[NX_POP3_REPLY_WORDS];
    UINT word_flags[NX_POP3_REPLY_WORDS];
    ULONG64 word_value[NX_POP3_REPLY_WORDS];
    CHAR *text;           /* optional copy of the text, NUL-terminated */
    UINT text_size;
    UINT text_length;
    UINT text_started;
    NX_MD5 *stamp_md5;    /* optional: receives the APOP timestamp */
    UINT stamp_state;
} NX_POP3_REPLY;

/** Starts a line. text (text_size bytes) and stamp_md5 may be NX_NULL. */
VOID _nx_pop3_reply_start(NX_POP3_REPLY *reply, CHAR *text, UINT text_size, NX_MD5 *stamp_md5);

/** Feeds bytes; returns how many it took. It stops after the line's LF, or at
 *  the first violation (state NX_POP3_REPLY_FAILED, error set). */
ULONG _nx_pop3_reply_feed(NX_POP3_REPLY *reply, const UCHAR *data, ULONG length);

/** Word index (0 or 1) after the status as a number: NX_SUCCESS, or
 *  NX_POP3_INVALID_REPLY (missing, not a number), NX_POP3_NEGATIVE_NUMBER,
 *  NX_POP3_NUMBER_OVERFLOW (beyond 64 bits). */
UINT _nx_pop3_reply_number(const NX_POP3_REPLY *reply, UINT index, ULONG64 *value);

/** NX_TRUE when a complete <...@...> timestamp went into stamp_md5. */
UINT _nx_pop3_reply_stamp_found(const NX_POP3_REPLY *reply);

#endif /* NX_POP3_REPLY_H */
