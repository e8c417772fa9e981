/* SHA-256, written from the algorithm description in FIPS 180-4 (sections
 * 4.1.2, 5.1.1, 6.2). A 16-word rolling message schedule (section 6.2.2 keeps
 * 64 words) saves 192 bytes of stack on the board. */
#include "nx_sha256.h"
#include "nx_crypto_wipe.h"

#if defined(__GNUC__)
#define SHA256_NOINLINE __attribute__((noinline))
#else
#define SHA256_NOINLINE
#endif

/* The first 32 bits of the fractional parts of the cube roots of the first 64
 * primes (section 4.2.2). */
static const ULONG sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
};

static ULONG sha256_rotate_right(ULONG x, UINT n)
{
    return (x >> n) | (x << (32u - n));
}

/* One block into the state (section 6.2.2). */
static SHA256_NOINLINE VOID sha256_compress(ULONG state[8], const UCHAR block[64])
{
    ULONG schedule[16];
    ULONG a = state[0];
    ULONG b = state[1];
    ULONG c = state[2];
    ULONG d = state[3];
    ULONG e = state[4];
    ULONG f = state[5];
    ULONG g = state[6];
    ULONG h = state[7];
    ULONG t1;
    ULONG t2;
    UINT i;

    for (i = 0u; i < 16u; i++)
    {
        schedule[i] = ((ULONG)block[i * 4u] << 24) | ((ULONG)block[i * 4u + 1u] << 16) |
                      ((ULONG)block[i * 4u + 2u] << 8) | (ULONG)block[i * 4u + 3u];
    }

    for (i = 0u; i < 64u; i++)
    {
        if (i >= 16u)
        {
            ULONG w2 = schedule[(i - 2u) & 15u];
            ULONG w15 = schedule[(i - 15u) & 15u];

            schedule[i & 15u] += (sha256_rotate_right(w2, 17u) ^ sha256_rotate_right(w2, 19u) ^ (w2 >> 10)) +
                                 schedule[(i - 7u) & 15u] +
                                 (sha256_rotate_right(w15, 7u) ^ sha256_rotate_right(w15, 18u) ^ (w15 >> 3));
        }
        t1 = h + (sha256_rotate_right(e, 6u) ^ sha256_rotate_right(e, 11u) ^ sha256_rotate_right(e, 25u)) +
             ((e & f) ^ (~e & g)) + sha256_k[i] + schedule[i & 15u];
        t2 = (sha256_rotate_right(a, 2u) ^ sha256_rotate_right(a, 13u) ^ sha256_rotate_right(a, 22u)) +
             ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }

    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;

    /* The schedule holds the block's words. The working variables (the new
     * state minus the old: after an HMAC key block, a key in all but name) and
     * whatever the compiler spilled are left to the burn in sha256_block. */
    _nx_crypto_wipe(schedule, sizeof(schedule));
}

/* One block, then the stack the compression used zeroed. */
static VOID sha256_block(ULONG state[8], const UCHAR block[64])
{
    sha256_compress(state, block);
    _nx_crypto_stack_burn();
}

VOID _nx_sha256_initialize(NX_SHA256 *context)
{
    /* The first 32 bits of the fractional parts of the square roots of the
     * first 8 primes (section 5.3.3). */
    context->state[0] = 0x6a09e667u;
    context->state[1] = 0xbb67ae85u;
    context->state[2] = 0x3c6ef372u;
    context->state[3] = 0xa54ff53au;
    context->state[4] = 0x510e527fu;
    context->state[5] = 0x9b05688cu;
    context->state[6] = 0x1f83d9abu;
    context->state[7] = 0x5be0cd19u;
    context->bit_count = 0u;
    context->block_used = 0u;
}

VOID _nx_sha256_update(NX_SHA256 *context, const UCHAR *data, ULONG length)
{
    ULONG i = 0u;

    context->bit_count += (ULONG64)length * 8u;

    /* Whole blocks go to the compression straight from data, without the copy;
     * the rest (a partial block, or what completes the buffered one) is copied. */
    while (i < length)
    {
        if ((context->block_used == 0u) && ((length - i) >= NX_SHA256_BLOCK_SIZE))
        {
            sha256_block(context->state, &data[i]);
            i += NX_SHA256_BLOCK_SIZE;
        }
        else
        {
            context->block[context->block_used] = data[i];
            context->block_used++;
            i++;
            if (context->block_used == NX_SHA256_BLOCK_SIZE)
            {
                sha256_block(context->state, context->block);
                context->block_used = 0u;
            }
        }
    }
}

VOID _nx_sha256_digest_calculate(NX_SHA256 *context, UCHAR digest[32])
{
    ULONG64 bits = context->bit_count;
    UINT used = context->block_used;
    UINT i;

    /* Section 5.1.1: a 1 bit, zeros up to 56 bytes into a block, the message's
     * length in bits as 64 bits big-endian. */
    context->block[used] = 0x80u;
    used++;
    if (used > 56u)
    {
        for (i = used; i < NX_SHA256_BLOCK_SIZE; i++)
        {
            context->block[i] = 0u;
        }
        sha256_block(context->state, context->block);
        used = 0u;
    }
    for (i = used; i < 56u; i++)
    {
        context->block[i] = 0u;
    }
    for (i = 0u; i < 8u; i++)
    {
        context->block[56u + i] = (UCHAR)(bits >> (56u - 8u * i));
    }
    sha256_block(context->state, context->block);

    for (i = 0u; i < NX_SHA256_DIGEST_SIZE; i++)
    {
        digest[i] = (UCHAR)(context->state[i / 4u] >> (24u - 8u * (i % 4u)));
    }
    _nx_crypto_wipe(context, sizeof(*context));
}
