/* The status-line parser (see nx_pop3_reply.h). */
#include "nx_pop3_reply.h"

#include <string.h>

#define WORD_NEGATIVE  0x1u /* began with '-' */
#define WORD_BAD       0x2u /* a character that is not a digit */
#define WORD_OVERFLOW  0x4u /* more than 64 bits */

#define ULONG64_MAX_VALUE 0xFFFFFFFFFFFFFFFFull

static const UCHAR reply_ok[] = "+OK";
static const UCHAR reply_err[] = "-ERR";

#define CODE_NONE     0u /* the text did not begin with '[' */
#define CODE_OPEN     1u /* inside "[...", no ']' yet */
#define CODE_COMPLETE 2u /* "[...]" seen */
#define CODE_BAD      3u /* a space or too long: not a code this client keeps */

#if NX_POP3_CLIENT_ENABLE_RESPONSE_CODES
/* The codes this client names, most specific first is not needed: the levels
 * are compared whole ("SYS/TEMP" matches "SYS/TEMP" and "SYS/TEMP/..."). */
static const struct
{
    CHAR name[12];
    UCHAR code;
} reply_codes[] =
{
    { "IN-USE", NX_POP3_RESPONSE_IN_USE },
    { "LOGIN-DELAY", NX_POP3_RESPONSE_LOGIN_DELAY },
    { "SYS/TEMP", NX_POP3_RESPONSE_SYS_TEMP },
    { "SYS/PERM", NX_POP3_RESPONSE_SYS_PERM },
    { "AUTH", NX_POP3_RESPONSE_AUTH },
    { "UTF8", NX_POP3_RESPONSE_UTF8 },
};

/* A byte of the text, for the "[CODE]" that may begin it. */
static VOID reply_code_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    if (reply->text_length == 0u)
    {
        reply->code_state = (c == '[') ? CODE_OPEN : CODE_NONE;
    }
    else if (reply->code_state == CODE_OPEN)
    {
        if (c == ']')
        {
            reply->code_state = (reply->code_length > 0u) ? CODE_COMPLETE : CODE_BAD;
        }
        else if ((c == ' ') || (reply->code_length >= NX_POP3_MAX_RESPONSE_CODE))
        {
            reply->code_state = CODE_BAD;
        }
        else
        {
            reply->code[reply->code_length] = (CHAR)(((c >= 'a') && (c <= 'z')) ? (c - 32u) : c);
            reply->code_length++;
            reply->code[reply->code_length] = '\0';
        }
    }
}

UINT _nx_pop3_reply_code(const NX_POP3_REPLY *reply)
{
    UINT code = NX_POP3_RESPONSE_NONE;
    UINT i;

    if (reply->code_state == CODE_COMPLETE)
    {
        code = NX_POP3_RESPONSE_OTHER;
        for (i = 0u; i < (UINT)(sizeof(reply_codes) / sizeof(reply_codes[0])); i++)
        {
            UINT length = (UINT)strlen(reply_codes[i].name);

            if ((strncmp(reply->code, reply_codes[i].name, length) == 0) &&
                ((reply->code[length] == '\0') || (reply->code[length] == '/')))
            {
                code = reply_codes[i].code;
                break;
            }
        }
    }
    return code;
}
#endif

VOID _nx_pop3_reply_start(NX_POP3_REPLY *reply, CHAR *text, UINT text_size)
{
    memset(reply, 0, sizeof(*reply));
    reply->max_length = NX_POP3_MAX_REPLY_LINE;
    reply->text = text;
    reply->text_size = (text != NX_NULL) ? text_size : 0u;
    if (reply->text_size > 0u)
    {
        text[0] = '\0';
    }
}

VOID _nx_pop3_reply_sink_set(NX_POP3_REPLY *reply, NX_POP3_REPLY_SINK sink, VOID *context)
{
    reply->sink = sink;
    reply->sink_context = context;
}

#if NX_POP3_CLIENT_ENABLE_CONTINUATIONS
VOID _nx_pop3_reply_continuation_allow(NX_POP3_REPLY *reply, UINT max_length)
{
    reply->allow_continue = NX_TRUE;
    if (max_length > reply->max_length)
    {
        reply->max_length = max_length;
    }
}
#endif

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

#if NX_POP3_CLIENT_ENABLE_CONTINUATIONS
    /* "+ text" or "+CRLF": a SASL continuation, where one may come. */
    if ((reply->allow_continue != 0u) && (reply->status == NX_POP3_REPLY_IS_OK) &&
        (reply->matched == 1u) && ((c == ' ') || (c == '\r')))
    {
        reply->status = NX_POP3_REPLY_IS_CONTINUE;
        reply->matched = 3u; /* the keyword is complete: fall through to the separator */
    }
#endif

    keyword = (reply->status == NX_POP3_REPLY_IS_ERR) ? reply_err : reply_ok;
    keyword_length = (reply->status == NX_POP3_REPLY_IS_ERR) ? 4u : 3u;
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

/* A byte of the text: the copy, the sink, and the words (split on any run of
 * spaces; leading spaces are separators, not text). */
static VOID reply_text_byte(NX_POP3_REPLY *reply, UCHAR c)
{
    NX_POP3_REPLY_WORD *word;

    if (c == ' ')
    {
        if (reply->in_word != 0u)
        {
            reply->in_word = NX_FALSE;
            reply->word_count++;
        }
        if (reply->text_length == 0u)
        {
            return;
        }
    }
    else if (reply->in_word == 0u)
    {
        reply->in_word = NX_TRUE;
        if (reply->word_count < NX_POP3_REPLY_WORDS)
        {
            reply->words[reply->word_count].start = reply->text_length;
            reply->words[reply->word_count].flags = (c == '-') ? WORD_NEGATIVE : 0u;
        }
    }

#if NX_POP3_CLIENT_ENABLE_RESPONSE_CODES
    reply_code_byte(reply, c);
#endif
    if (reply->sink != NX_NULL)
    {
        reply->sink(reply->sink_context, c);
    }
    if (reply->text_length + 1u < reply->text_size)
    {
        reply->text[reply->text_length] = (CHAR)c;
        reply->text[reply->text_length + 1u] = '\0';
    }
    else
    {
        reply->text_truncated = NX_TRUE;
    }
    reply->text_length++;

    if ((c == ' ') || (reply->word_count >= NX_POP3_REPLY_WORDS))
    {
        return;
    }
    word = &reply->words[reply->word_count];
    word->length++;
    if ((c >= '0') && (c <= '9'))
    {
        ULONG64 digit = (ULONG64)(c - '0');
        if (word->value > (ULONG64_MAX_VALUE - digit) / 10u)
        {
            word->flags |= WORD_OVERFLOW;
        }
        else
        {
            word->value = word->value * 10u + digit;
        }
    }
    else if ((c != '-') || (word->length != 1u))
    {
        word->flags |= WORD_BAD;
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
            reply_text_byte(reply, c);
        }
    }
    return used;
}

/* The recorded word at index, or NX_NULL when the line has no such word. */
static const NX_POP3_REPLY_WORD *reply_word_get(const NX_POP3_REPLY *reply, UINT index)
{
    UINT words = reply->word_count + ((reply->in_word != 0u) ? 1u : 0u);

    if ((index >= NX_POP3_REPLY_WORDS) || (index >= words))
    {
        return NX_NULL;
    }
    return &reply->words[index];
}

UINT _nx_pop3_reply_number(const NX_POP3_REPLY *reply, UINT index, ULONG64 *value)
{
    const NX_POP3_REPLY_WORD *word = reply_word_get(reply, index);
    UINT status = NX_SUCCESS;

    if ((word == NX_NULL) || ((word->flags & WORD_BAD) != 0u) ||
        (word->length == (((word->flags & WORD_NEGATIVE) != 0u) ? 1u : 0u)))
    {
        status = NX_POP3_INVALID_REPLY; /* missing, not digits, or a lone '-' */
    }
    else if ((word->flags & WORD_NEGATIVE) != 0u)
    {
        status = NX_POP3_NEGATIVE_NUMBER;
    }
    else if ((word->flags & WORD_OVERFLOW) != 0u)
    {
        status = NX_POP3_NUMBER_OVERFLOW;
    }
    else
    {
        *value = word->value;
    }
    return status;
}

#if NX_POP3_CLIENT_ENABLE_LISTINGS
UINT _nx_pop3_reply_word(const NX_POP3_REPLY *reply, UINT index, UINT *start, UINT *length)
{
    const NX_POP3_REPLY_WORD *word = reply_word_get(reply, index);

    if (word == NX_NULL)
    {
        return NX_POP3_INVALID_REPLY;
    }
    if ((reply->text_size == 0u) || (word->start + word->length >= reply->text_size))
    {
        return NX_POP3_REPLY_TOO_LONG; /* the copy holds only part of it */
    }
    *start = word->start;
    *length = word->length;
    return NX_SUCCESS;
}
#endif
