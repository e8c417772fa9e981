/* md5_stack_wipe: does MD5 leave its input on the stack? (APOP hashes the
 * password.) Hashes a 64-byte secret, wipes the context as the APOP code does,
 * then reads the stack region the hash used from a deeper frame of a later
 * call and looks for any 8 bytes of the secret. A control function leaves a
 * plain copy of the secret the same way, so the search is shown to work.
 * Reading dead stack is outside the C standard; it is what an attacker with a
 * memory disclosure does, and it behaves so with gcc and clang on the hosts
 * we test.
 *
 * Prints "control=<0|1> md5=<0|1> digest=<hex>": 1 where the secret was found.
 */
#include <stdio.h>
#include <string.h>

#include "nx_md5.h"

#define PROBE_BYTES 16384u

#define SECRET_BYTES 64u
static const UCHAR secret[SECRET_BYTES + 1u] = "P4ssw0rd-that-must-not-stay-on-the-stack-after-hashing-it!!!!!!!";

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

static NOINLINE void wipe(volatile UCHAR *memory, size_t size)
{
    size_t i;

    for (i = 0u; i < size; i++)
    {
        memory[i] = 0u;
    }
}

static NOINLINE void hash_secret(UCHAR digest[16])
{
    NX_MD5 context;

    _nx_md5_initialize(&context);
    _nx_md5_update(&context, secret, SECRET_BYTES);
    _nx_md5_digest_calculate(&context, digest);
    wipe((volatile UCHAR *)&context, sizeof(context));
}

static NOINLINE void leave_a_copy(void)
{
    volatile UCHAR copy[SECRET_BYTES];
    size_t i;

    for (i = 0u; i < sizeof(copy); i++)
    {
        copy[i] = secret[i];
    }
}

/* Reading the probe before writing it is the point of the test. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/* 1 when any 8 consecutive bytes of the secret lie in the dead stack below. */
static NOINLINE int secret_on_stack(void)
{
    volatile UCHAR probe[PROBE_BYTES];
    UCHAR seen[PROBE_BYTES];
    size_t i;
    size_t j;

    for (i = 0u; i < PROBE_BYTES; i++)
    {
        seen[i] = probe[i];
    }
    for (i = 0u; i + 8u <= PROBE_BYTES; i++)
    {
        for (j = 0u; j + 8u <= SECRET_BYTES; j++)
        {
            if (memcmp(&seen[i], &secret[j], 8u) == 0)
            {
                return 1;
            }
        }
    }
    return 0;
}

int main(void)
{
    UCHAR digest[16];
    int control;
    int md5;
    unsigned i;

    leave_a_copy();
    control = secret_on_stack();
    wipe((volatile UCHAR *)digest, sizeof(digest));
    hash_secret(digest);
    md5 = secret_on_stack();
    printf("control=%d md5=%d digest=", control, md5);
    for (i = 0u; i < sizeof(digest); i++)
    {
        printf("%02x", digest[i]);
    }
    printf("\n");
    return 0;
}
