/* MD5 message digest, written from the algorithm description in RFC 1321. */
#include "nx_md5.h"
#include "nx_crypto_wipe.h"

#if defined(__GNUC__)
#define MD5_NOINLINE __attribute__((noinline))
#else
#define MD5_NOINLINE
#endif

/* Per-round left-rotation amounts, four for each of the 4 rounds. */
static const UCHAR md5_shift[16] = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21 };

/* floor(abs(sin(i + 1)) * 2^32), i = 0..63. */
static const ULONG md5_sine[64] = {
    0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
    0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu, 0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
    0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau, 0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
    0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu, 0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
    0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu, 0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
    0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
    0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u, 0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
    0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u, 0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u
};

static ULONG md5_rotate(ULONG x, UINT n)
{
    return (x << n) | (x >> (32u - n));
}

static MD5_NOINLINE VOID md5_compress(ULONG state[4], const UCHAR block[64])
{
    ULONG words[16];
    ULONG a = state[0];
    ULONG b = state[1];
    ULONG c = state[2];
    ULONG d = state[3];
    UINT i;

    for (i = 0u; i < 16u; i++)
    {
        words[i] = (ULONG)block[i * 4u] | ((ULONG)block[i * 4u + 1u] << 8) |
                   ((ULONG)block[i * 4u + 2u] << 16) | ((ULONG)block[i * 4u + 3u] << 24);
    }

    for (i = 0u; i < 64u; i++)
    {
        ULONG mix;
        UINT word;
        UINT round = i / 16u;

        if (round == 0u)
        {
            mix = (b & c) | (~b & d);
            word = i;
        }
        else if (round == 1u)
        {
            mix = (d & b) | (~d & c);
            word = (5u * i + 1u) % 16u;
        }
        else if (round == 2u)
        {
            mix = b ^ c ^ d;
            word = (3u * i + 5u) % 16u;
        }
        else
        {
            mix = c ^ (b | ~d);
            word = (7u * i) % 16u;
        }

        mix = mix + a + md5_sine[i] + words[word];
        a = d;
        d = c;
        c = b;
        b = b + md5_rotate(mix, md5_shift[round * 4u + (i % 4u)]);
    }

    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;

    /* The block's words are the input itself; the working variables are one
     * step from it. Neither outlives the call. */
    _nx_crypto_wipe(words, sizeof(words));
    a = 0u;
    b = 0u;
    c = 0u;
    d = 0u;
    _nx_crypto_wipe(&a, sizeof(a));
    _nx_crypto_wipe(&b, sizeof(b));
    _nx_crypto_wipe(&c, sizeof(c));
    _nx_crypto_wipe(&d, sizeof(d));
}

/* One block, then the stack the compression used zeroed: registers the
 * compiler spilled there (the state it started from: after an HMAC key block,
 * a key in all but name) are in no variable a wipe can name. */
static VOID md5_block(ULONG state[4], const UCHAR block[64])
{
    md5_compress(state, block);
    _nx_crypto_stack_burn();
}

VOID _nx_md5_initialize(NX_MD5 *context)
{
    context->state[0] = 0x67452301u;
    context->state[1] = 0xefcdab89u;
    context->state[2] = 0x98badcfeu;
    context->state[3] = 0x10325476u;
    context->bit_count = 0u;
    context->block_used = 0u;
}

VOID _nx_md5_update(NX_MD5 *context, const UCHAR *data, ULONG length)
{
    ULONG i;

    context->bit_count += (ULONG64)length * 8u;
    for (i = 0u; i < length; i++)
    {
        context->block[context->block_used] = data[i];
        context->block_used++;
        if (context->block_used == 64u)
        {
            md5_block(context->state, context->block);
            context->block_used = 0u;
        }
    }
}

VOID _nx_md5_digest_calculate(NX_MD5 *context, UCHAR digest[16])
{
    static const UCHAR pad_start = 0x80u;
    static const UCHAR zero = 0u;
    UCHAR length_bytes[8];
    ULONG64 bits = context->bit_count;
    UINT i;

    for (i = 0u; i < 8u; i++)
    {
        length_bytes[i] = (UCHAR)(bits >> (8u * i));
    }

    _nx_md5_update(context, &pad_start, 1u);
    for (i = 0u; (i < 64u) && (context->block_used != 56u); i++)
    {
        _nx_md5_update(context, &zero, 1u);
    }
    _nx_md5_update(context, length_bytes, 8u);

    for (i = 0u; i < 16u; i++)
    {
        digest[i] = (UCHAR)(context->state[i / 4u] >> (8u * (i % 4u)));
    }
}
