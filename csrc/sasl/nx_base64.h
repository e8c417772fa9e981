/**
 * @file nx_base64.h
 * @brief Base64 (RFC 4648, section 4: the standard alphabet, '=' padding) in
 *        groups, for SASL: an encoder that takes bytes in any pieces and a
 *        decoder that takes characters one at a time (a reply parser's sink),
 *        both in constant memory. Internal to the client.
 */
#ifndef NX_BASE64_H
#define NX_BASE64_H

#include "nx_api.h"

/** Characters of the encoding of length bytes. */
#define NX_BASE64_ENCODED_LENGTH(length) ((((length) + 2u) / 3u) * 4u)

/** Encodes count (1..3) bytes of group into four characters, padded. */
VOID _nx_base64_encode_group(const UCHAR *group, UINT count, CHAR out[4]);

/** Encodes length bytes into out (out_size at least
 *  NX_BASE64_ENCODED_LENGTH(length) + 1, else NX_SIZE_ERROR); NUL-terminated. */
UINT _nx_base64_encode(const UCHAR *data, ULONG length, CHAR *out, ULONG out_size);

/** A decoder: characters in, bytes into the caller's buffer. */
typedef struct NX_BASE64_DECODER_STRUCT
{
    UCHAR *output;      /* the caller's buffer */
    ULONG size;         /* its size */
    ULONG length;       /* bytes decoded so far */
    ULONG quantum;      /* bits of the group being read */
    UINT count;         /* characters of it read (0..3) */
    UINT padding;       /* '=' seen: only '=' may follow, to the group's end */
    UINT invalid;       /* a character outside the alphabet or padding out of place */
    UINT overflow;      /* more bytes than size */
} NX_BASE64_DECODER;

/** Starts a decoder into output (size bytes). */
VOID _nx_base64_decoder_start(NX_BASE64_DECODER *decoder, UCHAR *output, ULONG size);

/** One character; the signature of a reply sink (context: the decoder). */
VOID _nx_base64_decoder_byte(VOID *context, UCHAR c);

/** After the last character: NX_SUCCESS and the decoded length, or
 *  NX_POP3_INVALID_CHALLENGE (not base64: a stray character, bad padding, an
 *  incomplete group) or NX_SIZE_ERROR (longer than the buffer). */
UINT _nx_base64_decoder_end(NX_BASE64_DECODER *decoder, ULONG *length);

/** Decodes a whole text of length characters (see the decoder). */
UINT _nx_base64_decode(const CHAR *text, ULONG length, UCHAR *output, ULONG size,
                       ULONG *decoded);

#endif /* NX_BASE64_H */
