/* Fuzz target: the status-line parser alone, in every mode (continuations
 * allowed or not, a raised line limit, text buffers from none to large, the
 * APOP timestamp sink on or off). The same bytes fed whole and fed in pieces
 * of a fuzzer-chosen size must give the same result, and every result must
 * keep the parser's promises: the text copy NUL-terminated inside its buffer,
 * the truncation flag exactly when the text did not fit, word positions inside
 * the copy, only documented statuses.
 *
 * Input: a flags byte, a piece-size byte, then the server's bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "nx_pop3_auth.h"
#include "nx_pop3_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const UINT text_sizes[8] = {0u, 1u, 2u, 8u, 96u, 255u, 512u, 4096u};

typedef struct FUZZ_PARSE_STRUCT
{
    NX_POP3_REPLY reply;
    NX_POP3_APOP_STAMP stamp;
    CHAR text[4096];
    ULONG used;
} FUZZ_PARSE;

static void fuzz_parse(FUZZ_PARSE *parse, UINT flags, const uint8_t *line, size_t length,
                       size_t piece)
{
    UINT text_size = text_sizes[(flags >> 1) & 7u];
    size_t at = 0u;

    memset(parse, 0, sizeof(*parse));
    _nx_pop3_reply_start(&parse->reply, (text_size > 0u) ? parse->text : NX_NULL, text_size);
    if ((flags & 1u) != 0u)
    {
        _nx_pop3_reply_continuation_allow(&parse->reply, ((flags & 0x10u) != 0u) ? 4096u : 0u);
    }
    if ((flags & 0x20u) != 0u)
    {
        _nx_pop3_apop_stamp_start(&parse->stamp);
        _nx_pop3_reply_sink_set(&parse->reply, _nx_pop3_apop_stamp_byte, &parse->stamp);
    }
    /* Bounded: each pass moves at least one byte on or stops. */
    while (at < length)
    {
        size_t take = (length - at < piece) ? (length - at) : piece;
        ULONG used = _nx_pop3_reply_feed(&parse->reply, line + at, (ULONG)take);

        FUZZ_CHECK(used <= take);
        parse->used += used;
        at += take;
        if (used < take)
        {
            break; /* the line ended or failed inside this piece */
        }
    }
}

static void fuzz_promises(const FUZZ_PARSE *parse, UINT text_size)
{
    const NX_POP3_REPLY *reply = &parse->reply;
    UINT i;

    if (reply->state == NX_POP3_REPLY_FAILED)
    {
        FUZZ_CHECK((reply->error == NX_POP3_REPLY_TOO_LONG) ||
                   (reply->error == NX_POP3_INVALID_REPLY));
    }
    /* The octet that goes past the limit is the last one read, and fails the line. */
    FUZZ_CHECK((reply->length <= reply->max_length) ||
               ((reply->length == reply->max_length + 1u) &&
                (reply->error == NX_POP3_REPLY_TOO_LONG)));
    if (text_size > 0u)
    {
        FUZZ_CHECK(memchr(parse->text, '\0', text_size) != NX_NULL);
        FUZZ_CHECK(strlen(parse->text) == ((reply->text_length < text_size) ?
                                           reply->text_length : (text_size - 1u)));
    }
    FUZZ_CHECK(reply->text_truncated ==
               (((reply->text_length > 0u) && (reply->text_length >= text_size)) ? 1u : 0u));
    for (i = 0u; i < NX_POP3_REPLY_WORDS + 1u; i++)
    {
        UINT start = 0u;
        UINT length = 0u;
        ULONG64 value = 0u;
        UINT status = _nx_pop3_reply_word(reply, i, &start, &length);

        FUZZ_CHECK((status == NX_SUCCESS) || (status == NX_POP3_INVALID_REPLY) ||
                   (status == NX_POP3_REPLY_TOO_LONG));
        if (status == NX_SUCCESS)
        {
            FUZZ_CHECK((length > 0u) && (start + length < text_size));
            FUZZ_CHECK(memchr(parse->text + start, ' ', length) == NX_NULL);
        }
        status = _nx_pop3_reply_number(reply, i, &value);
        FUZZ_CHECK((status == NX_SUCCESS) || (status == NX_POP3_INVALID_REPLY) ||
                   (status == NX_POP3_NEGATIVE_NUMBER) || (status == NX_POP3_NUMBER_OVERFLOW));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FUZZ_PARSE whole;
    static FUZZ_PARSE pieces;
    UINT flags;
    size_t piece;
    UINT i;

    if (size < 2u)
    {
        return 0;
    }
    flags = data[0];
    piece = (data[1] == 0u) ? 1u : data[1];
    fuzz_parse(&whole, flags, data + 2, size - 2u, size);
    fuzz_parse(&pieces, flags, data + 2, size - 2u, piece);

    /* Segment boundaries never change a result. */
    FUZZ_CHECK(whole.used == pieces.used);
    FUZZ_CHECK(whole.reply.state == pieces.reply.state);
    FUZZ_CHECK(whole.reply.status == pieces.reply.status);
    FUZZ_CHECK(whole.reply.error == pieces.reply.error);
    FUZZ_CHECK(whole.reply.text_length == pieces.reply.text_length);
    FUZZ_CHECK(whole.reply.text_truncated == pieces.reply.text_truncated);
    FUZZ_CHECK(memcmp(whole.text, pieces.text, sizeof(whole.text)) == 0);
    FUZZ_CHECK(memcmp(&whole.stamp, &pieces.stamp, sizeof(whole.stamp)) == 0);
    for (i = 0u; i < NX_POP3_REPLY_WORDS; i++)
    {
        ULONG64 a = 0u;
        ULONG64 b = 0u;
        FUZZ_CHECK(_nx_pop3_reply_number(&whole.reply, i, &a) ==
                   _nx_pop3_reply_number(&pieces.reply, i, &b));
        FUZZ_CHECK(a == b);
    }
    fuzz_promises(&whole, text_sizes[(flags >> 1) & 7u]);
    if (((flags & 1u) == 0u) && (whole.reply.state == NX_POP3_REPLY_DONE))
    {
        FUZZ_CHECK(whole.reply.status != NX_POP3_REPLY_IS_CONTINUE);
    }
    return 0;
}
