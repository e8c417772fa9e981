/* Base64 in groups (see nx_base64.h). */
#define NX_POP3_SOURCE_CODE
#include "nx_base64.h"
#include "nxd_pop3_client.h"

#include <string.h>

static const CHAR base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

VOID _nx_base64_encode_group(const UCHAR *group, UINT count, CHAR out[4])
{
    ULONG bits = (ULONG)group[0] << 16;

    if (count > 1u)
    {
        bits |= (ULONG)group[1] << 8;
    }
    if (count > 2u)
    {
        bits |= (ULONG)group[2];
    }
    out[0] = base64_alphabet[(bits >> 18) & 0x3Fu];
    out[1] = base64_alphabet[(bits >> 12) & 0x3Fu];
    out[2] = '=';
    out[3] = '=';
    if (count > 1u)
    {
        out[2] = base64_alphabet[(bits >> 6) & 0x3Fu];
    }
    if (count > 2u)
    {
        out[3] = base64_alphabet[bits & 0x3Fu];
    }
}

UINT _nx_base64_encode(const UCHAR *data, ULONG length, CHAR *out, ULONG out_size)
{
    ULONG used = 0u;
    ULONG written = 0u;

    if (out_size < NX_BASE64_ENCODED_LENGTH(length) + 1u)
    {
        return NX_SIZE_ERROR;
    }
    while (used < length)
    {
        UINT count = ((length - used) >= 3u) ? 3u : (UINT)(length - used);

        _nx_base64_encode_group(&data[used], count, &out[written]);
        used += count;
        written += 4u;
    }
    out[written] = '\0';
    return NX_SUCCESS;
}

/* The value of an alphabet character, or 64 for any other. */
static UINT base64_value(UCHAR c)
{
    UINT value = 64u;

    if ((c >= 'A') && (c <= 'Z'))
    {
        value = (UINT)(c - 'A');
    }
    else if ((c >= 'a') && (c <= 'z'))
    {
        value = (UINT)(c - 'a') + 26u;
    }
    else if ((c >= '0') && (c <= '9'))
    {
        value = (UINT)(c - '0') + 52u;
    }
    else if (c == '+')
    {
        value = 62u;
    }
    else if (c == '/')
    {
        value = 63u;
    }
    return value;
}

VOID _nx_base64_decoder_start(NX_BASE64_DECODER *decoder, UCHAR *output, ULONG size)
{
    memset(decoder, 0, sizeof(*decoder));
    decoder->output = output;
    decoder->size = size;
}

static VOID base64_put(NX_BASE64_DECODER *decoder, UCHAR byte)
{
    if (decoder->length < decoder->size)
    {
        decoder->output[decoder->length] = byte;
        decoder->length++;
    }
    else
    {
        decoder->overflow = NX_TRUE;
    }
}

VOID _nx_base64_decoder_byte(VOID *context, UCHAR c)
{
    NX_BASE64_DECODER *decoder = (NX_BASE64_DECODER *)context;
    UINT value = base64_value(c);

    if (decoder->invalid != 0u)
    {
        return;
    }
    if (decoder->padding == 2u)
    {
        decoder->invalid = NX_TRUE; /* after a padded group, the text is over */
        return;
    }
    if (c == '=')
    {
        /* Padding ends a group of two or three characters. */
        if (decoder->count < 2u)
        {
            decoder->invalid = NX_TRUE;
            return;
        }
        if (decoder->padding == 0u)
        {
            /* The bytes the characters so far make. */
            base64_put(decoder, (UCHAR)(decoder->quantum >> ((decoder->count == 2u) ? 4u : 10u)));
            if (decoder->count == 3u)
            {
                base64_put(decoder, (UCHAR)(decoder->quantum >> 2));
            }
        }
        decoder->padding = NX_TRUE;
        decoder->count++;
        if (decoder->count == 4u)
        {
            decoder->count = 0u;
            decoder->quantum = 0u;
            decoder->padding = 2u; /* the text is over: nothing may follow */
        }
        return;
    }
    if ((value == 64u) || (decoder->padding != 0u))
    {
        decoder->invalid = NX_TRUE;
        return;
    }
    decoder->quantum = ((decoder->quantum << 6) | value) & 0xFFFFFFu;
    decoder->count++;
    if (decoder->count == 4u)
    {
        base64_put(decoder, (UCHAR)(decoder->quantum >> 16));
        base64_put(decoder, (UCHAR)(decoder->quantum >> 8));
        base64_put(decoder, (UCHAR)decoder->quantum);
        decoder->count = 0u;
        decoder->quantum = 0u;
    }
}

UINT _nx_base64_decoder_end(NX_BASE64_DECODER *decoder, ULONG *length)
{
    UINT status = NX_SUCCESS;

    if ((decoder->invalid != 0u) || (decoder->count != 0u))
    {
        status = NX_POP3_INVALID_CHALLENGE;
    }
    else if (decoder->overflow != 0u)
    {
        status = NX_SIZE_ERROR;
    }
    *length = (status == NX_SUCCESS) ? decoder->length : 0u;
    return status;
}

UINT _nx_base64_decode(const CHAR *text, ULONG length, UCHAR *output, ULONG size,
                       ULONG *decoded)
{
    NX_BASE64_DECODER decoder;
    ULONG i;

    _nx_base64_decoder_start(&decoder, output, size);
    for (i = 0u; i < length; i++)
    {
        _nx_base64_decoder_byte(&decoder, (UCHAR)text[i]);
    }
    return _nx_base64_decoder_end(&decoder, decoded);
}
