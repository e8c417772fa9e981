/* The message-body decoder (see nx_pop3_body.h).
 *
 * Only a dot at the start of a line can change the output or end the body, so
 * the bytes between two such dots are one run: memchr finds the dots, memmove
 * copies the run (or nothing moves, while no dot has been removed yet), and the
 * state after the run follows from its last two bytes. Line-start dots and the
 * bytes after them go through the byte-at-a-time machine. The results are the
 * same as a byte at a time for any segmentation (benchmarks/c/decoder_check). */
#include "nx_pop3_body.h"

#include <string.h>

UINT _nx_pop3_body_held(UINT state)
{
    return (state == NX_POP3_BODY_DOT_CR) ? 1u : 0u;
}

/* The state after plain bytes run[0..length) that followed state before. */
static UINT body_state_after(UINT before, const UCHAR *run, ULONG length)
{
    UCHAR last = run[length - 1u];

    if (last == '\r')
    {
        return NX_POP3_BODY_CR;
    }
    if (last == '\n')
    {
        UINT cr = (length >= 2u) ? (run[length - 2u] == '\r') : (before == NX_POP3_BODY_CR);
        return cr ? NX_POP3_BODY_LINE_START : NX_POP3_BODY_IN_LINE;
    }
    return NX_POP3_BODY_IN_LINE;
}

/* Where the run of plain bytes starting at in[from] ends: at the first dot that
 * begins a line, or at in_length. before is the state in front of in[from]. */
static ULONG body_run_end(UINT before, const UCHAR *in, ULONG from, ULONG in_length)
{
    ULONG at = from;

    /* Bounded: each pass moves at past one more dot. */
    while (at < in_length)
    {
        const UCHAR *dot = (const UCHAR *)memchr(in + at, '.', in_length - at);
        ULONG d;
        UINT line_start;

        if (dot == NX_NULL)
        {
            return in_length;
        }
        d = (ULONG)(dot - in);
        if (d == from)
        {
            line_start = (before == NX_POP3_BODY_LINE_START);
        }
        else if (d == from + 1u)
        {
            line_start = (in[from] == '\n') && (before == NX_POP3_BODY_CR);
        }
        else
        {
            line_start = (in[d - 1u] == '\n') && (in[d - 2u] == '\r');
        }
        if (line_start)
        {
            return d;
        }
        at = d + 1u;
    }
    return in_length;
}

ULONG _nx_pop3_body_decode(UINT *state, const UCHAR *in, ULONG in_length, UCHAR *out,
                           ULONG *out_length)
{
    UINT s = *state;
    ULONG used = 0u;
    ULONG written = 0u;

    /* Bounded: each pass consumes at least one input byte. */
    while ((used < in_length) && (s != NX_POP3_BODY_DONE))
    {
        UCHAR c;

        if ((s == NX_POP3_BODY_IN_LINE) || (s == NX_POP3_BODY_CR) ||
            ((s == NX_POP3_BODY_LINE_START) && (in[used] != '.')))
        {
            ULONG end = body_run_end(s, in, used, in_length);
            ULONG run = end - used;

            if (run > 0u)
            {
                /* The state first: in place, the move overwrites the run. */
                s = body_state_after(s, in + used, run);
                if (out + written != in + used)
                {
                    memmove(out + written, in + used, run);
                }
                written += run;
                used = end;
                continue;
            }
        }

        /* A line-start dot and what follows it: the byte-at-a-time machine. */
        c = in[used];
        used++;

        if (s == NX_POP3_BODY_DOT_CR)
        {
            if (c == '\n')
            {
                s = NX_POP3_BODY_DONE;
                continue;
            }
            /* Not the terminator: the held CR was message data. */
            out[written] = '\r';
            written++;
            s = NX_POP3_BODY_CR;
        }

        if (s == NX_POP3_BODY_DOT)
        {
            if (c == '\r')
            {
                s = NX_POP3_BODY_DOT_CR;
                continue;
            }
            /* The stuffed dot goes; whatever followed it is data. */
            s = NX_POP3_BODY_IN_LINE;
            out[written] = c;
            written++;
            continue;
        }

        if ((s == NX_POP3_BODY_LINE_START) && (c == '.'))
        {
            s = NX_POP3_BODY_DOT;
            continue;
        }

        out[written] = c;
        written++;
        if (c == '\r')
        {
            s = NX_POP3_BODY_CR;
        }
        else if ((c == '\n') && (s == NX_POP3_BODY_CR))
        {
            s = NX_POP3_BODY_LINE_START;
        }
        else
        {
            s = NX_POP3_BODY_IN_LINE;
        }
    }

    *state = s;
    *out_length = written;
    return used;
}
