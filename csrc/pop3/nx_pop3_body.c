/* The message-body decoder (see nx_pop3_body.h). */
#include "nx_pop3_body.h"

UINT _nx_pop3_body_held(UINT state)
{
    return (state == NX_POP3_BODY_DOT_CR) ? 1u : 0u;
}

ULONG _nx_pop3_body_decode(UINT *state, const UCHAR *in, ULONG in_length, UCHAR *out,
                           ULONG *out_length)
{
    UINT s = *state;
    ULONG used = 0u;
    ULONG written = 0u;

    while ((used < in_length) && (s != NX_POP3_BODY_DONE))
    {
        UCHAR c = in[used];
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
