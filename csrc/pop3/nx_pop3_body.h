/**
 * @file nx_pop3_body.h
 * @brief The message-body decoder for RETR: removes the dot-stuffing and finds
 *        the terminating ".CRLF" line. A state machine over bytes with one UINT
 *        of state, so segment boundaries cannot matter; runs of bytes with no
 *        line-start dot are moved whole (memchr, memmove). Pure: no I/O.
 *
 * The CRLF before the terminating line belongs to the message (RFC 1939, 3).
 * Output never runs ahead of input, so decoding in place works, with one
 * exception: after a line that began ".\r" the CR is held back (it may be the
 * terminator's), and if the next segment shows it was not, it is written first.
 * When _nx_pop3_body_held() is 1, out must have one byte before in (in place:
 * out = in - 1).
 */
#ifndef NX_POP3_BODY_H
#define NX_POP3_BODY_H

#include "nx_api.h"

#define NX_POP3_BODY_LINE_START 0u /* initial state */
#define NX_POP3_BODY_IN_LINE    1u
#define NX_POP3_BODY_CR         2u
#define NX_POP3_BODY_DOT        3u /* a '.' began the line */
#define NX_POP3_BODY_DOT_CR     4u /* ".\r" began the line; the CR is held */
#define NX_POP3_BODY_DONE       5u /* terminator seen */

/** Decodes in[0..in_length); writes the message bytes to out, their count to
 *  *out_length; returns the input bytes consumed (fewer than in_length only
 *  when the terminator ends inside). */
ULONG _nx_pop3_body_decode(UINT *state, const UCHAR *in, ULONG in_length, UCHAR *out,
                           ULONG *out_length);

/** 1 when the next decode may write one byte more than it reads. */
UINT _nx_pop3_body_held(UINT state);

#endif /* NX_POP3_BODY_H */
