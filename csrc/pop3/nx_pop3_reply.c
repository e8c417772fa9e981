/* The status-line parser (see nx_pop3_reply.h). */
#include "nx_pop3_reply.h"

#include <string.h>

#define WORD_NEGATIVE  0x1u /* began with '-' */
#define WORD_BAD       0x2u /* a character that is not a digit */
#define WORD_OVERFLOW  0x4u /* more than 64 bits */

#define STAMP_NONE  0u
#define STAMP_OPEN  1u /* inside <...>, no '@' yet */
#define STAMP_AT    2u /* inside <...>, '@' seen */
#define STAMP_FOUND 3u

#define ULONG64_MAX_VALUE 0xFFFFFFFFFFFFFFFFull

static const UCHAR reply_ok[] = "+OK";
static const UCHAR reply_err[] = "-ERR";

VOID _nx_pop3_reply_start(NX_POP3_REPLY *reply, CHAR *text, UINT text_size, NX_MD5 *stamp_md5)
{
    memset(reply, 0, sizeof(*reply));
    reply->max_length = NX_POP3_MAX_REPLY_LINE;
    reply->text = text;
    reply->text_size = (text != NX_NULL) ? text_size : 0u;
    if (reply->text_size > 0u)
    {
        text[0] = '\0';
    }
    reply->stamp_md5 = stamp_md5;
}

static VOID reply_fail(NX_POP3_REPLY *reply, UINT error)
{
    reply->state = NX_POP3_REPLY_FAILED;
    reply->error = error;
}

/* A byte of the status keyword. */
static VOID reply_status_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    const UCHAR *keyword;
    UINT keyword_length;

    if (reply->matched == 0u)
    {
        if (c == '+')
        {
            reply->status = NX_POP3_REPLY_IS_OK;
        }
        else if (c == '-')
        {
            reply->status = NX_POP3_REPLY_IS_ERR;
        }
        else
        {
            reply_fail(reply, NX_POP3_INVALID_REPLY);
            return;
        }
        reply->matched = 1u;
        return;
    }

    keyword = (reply->status == NX_POP3_REPLY_IS_OK) ? reply_ok : reply_err;
    keyword_length = (reply->status == NX_POP3_REPLY_IS_OK) ? 3u : 4u;
    if (reply->matched < keyword_length)
    {
        if (c != keyword[reply->matched])
        {
            reply_fail(reply, NX_POP3_INVALID_REPLY); /* +ok, +ERR, +OX ... */
            return;
        }
        reply->matched++;
        return;
    }

    /* The keyword is complete: a space or the end of the line must follow. */
    if (c == ' ')
    {
        reply->state = NX_POP3_REPLY_TEXT;
    }
    else if (c == '\r')
    {
        reply->state = NX_POP3_REPLY_CR;
    }
    else
    {
        reply_fail(reply, NX_POP3_INVALID_REPLY); /* +OKAY */
    }
}

/* Words after the status, split on any run of spaces. */
static VOID reply_word_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    UINT index;

    if (c == ' ')
    {
        if (reply->in_word != 0u)
        {
            reply->in_word = NX_FALSE;
            reply->word_count++;
        }
        return;
    }
    if (reply->in_word == 0u)
    {
        reply->in_word = NX_TRUE;
        if ((reply->word_count < NX_POP3_REPLY_WORDS) && (c == '-'))
        {
            reply->word_flags[reply->word_count] |= WORD_NEGATIVE;
            return;
        }
    }
    if (reply->word_count >= NX_POP3_REPLY_WORDS)
    {
        return;
    }

    index = reply->word_count;
    if ((c >= '0') && (c <= '9'))
    {
        ULONG64 digit = (ULONG64)(c - '0');
        if (reply->word_value[index] > (ULONG64_MAX_VALUE - digit) / 10u)
        {
            reply->word_flags[index] |= WORD_OVERFLOW;
        }
        else
        {
            reply->word_value[index] = reply->word_value[index] * 10u + digit;
        }
        reply->word_digits[index]++;
    }
    else
    {
        reply->word_flags[index] |= WORD_BAD;
    }
}

/* APOP: the first <...@...>, restarting at every '<'. */
static VOID reply_stamp_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    if ((reply->stamp_md5 == NX_NULL) || (reply->stamp_state == STAMP_FOUND))
    {
        return;
    }
    if (c == '<')
    {
        _nx_md5_initialize(reply->stamp_md5);
        reply->stamp_state = STAMP_OPEN;
    }
    else if (reply->stamp_state == STAMP_NONE)
    {
        return;
    }
    else if (c == '@')
    {
        reply->stamp_state = STAMP_AT;
    }
    else if (c == '>')
    {
        reply->stamp_state = (reply->stamp_state == STAMP_AT) ? STAMP_FOUND : STAMP_NONE;
        if (reply->stamp_state == STAMP_NONE)
        {
            return;
        }
    }
    _nx_md5_update(reply->stamp_md5, &c, 1u);
}

static VOID reply_text_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    if ((reply->text_started == 0u) && (c == ' '))
    {
        return; /* the separators before the text */
    }
    reply->text_started = NX_TRUE;
    if (reply->text_length + 1u < reply->text_size)
    {
        reply->text[reply->text_length] = (CHAR)c;
        reply->text_length++;
        reply->text[reply->text_length] = '\0';
    }
}

ULONG _nx_pop3_reply_feed(NX_POP3_REPLY *reply, const UCHAR *data, ULONG length)
{
    ULONG used = 0u;

    while ((used < length) && (reply->state != NX_POP3_REPLY_DONE) &&
           (reply->state != NX_POP3_REPLY_FAILED))
    {
        UCHAR c = data[used];
        used++;
        reply->length++;

        if (reply->length > reply->max_length)
        {
            reply_fail(reply, NX_POP3_REPLY_TOO_LONG);
        }
        else if (c == '\0')
        {
            reply_fail(reply, NX_POP3_INVALID_REPLY);
        }
        else if (reply->state == NX_POP3_REPLY_CR)
        {
            if (c == '\n')
            {
                reply->state = NX_POP3_REPLY_DONE;
            }
            else
            {
                reply_fail(reply, NX_POP3_INVALID_REPLY); /* bare CR */
            }
        }
        else if (c == '\n')
        {
            reply_fail(reply, NX_POP3_INVALID_REPLY); /* bare LF */
        }
        else if (reply->state == NX_POP3_REPLY_STATUS)
        {
            reply_status_byte(reply, c);
        }
        else if (c == '\r')
        {
            reply->state = NX_POP3_REPLY_CR;
        }
        else
        {
            reply_word_byte(reply, c);
            reply_stamp_byte(reply, c);
            reply_text_byte(reply, c);
        }
    }
    return used;
}

UINT _nx_pop3_reply_number(const NX_POP3_REPLY *reply, UINT index, ULONG64 *value)
{
    UINT words = reply->word_count + ((reply->in_word != 0u) ? 1u : 0u);
    UINT flags;

    if ((index >= NX_POP3_REPLY_WORDS) || (index >= words))
    {
        return NX_POP3_INVALID_REPLY;
    }
    flags = reply->word_flags[index];
    if (((flags & WORD_BAD) != 0u) || (reply->word_digits[index] == 0u))
    {
        return NX_POP3_INVALID_REPLY;
    }
    if ((flags & WORD_NEGATIVE) != 0u)
    {
        return NX_POP3_NEGATIVE_NUMBER;
    }
    if ((flags & WORD_OVERFLOW) != 0u)
    {
        return NX_POP3_NUMBER_OVERFLOW;
    }
    *value = reply->word_value[index];
    return NX_SUCCESS;
}

UINT _nx_pop3_reply_stamp_found(const NX_POP3_REPLY *reply)
{
    return (reply->stamp_state == STAMP_FOUND) ? NX_TRUE : NX_FALSE;
}
