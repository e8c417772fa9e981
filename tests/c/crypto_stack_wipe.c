/* crypto_stack_wipe: do HMAC and PBKDF2 leave their key, padded key blocks,
 * keyed hash states or intermediate blocks on the stack? The same method as
 * md5_stack_wipe.c: run the operation, then read the stack region it used from
 * a deeper frame of a later call. Here the program only dumps what it reads;
 * tests/crypto/test_crypto_stack_wipe.py computes every secret the operation
 * handles and searches the dumps. A control function first leaves a plain copy
 * of the key the same way, so the search is shown to work; the stack is then
 * zeroed, so what is found after the operation, it left. Reading dead stack
 * is outside the C standard; it is what an attacker with a memory disclosure
 * does, and it behaves so with gcc and clang on the hosts we test.
 *
 * Usage: crypto_stack_wipe MODE KEY_HEX DATA_HEX [ITERATIONS LENGTH]
 *   MODE hmac-sha256 (one call), hmac-sha256-context (initialize, update,
 *   digest with the context in the caller's frame), hmac-md5, pbkdf2 (KEY is
 *   the password, DATA the salt).
 * Prints, one per line: control=<hex of the dead stack after the control>,
 * after=<hex of the dead stack after the operation>, output=<hex>, then
 * inner= and outer=: the words of the keyed hash states (computed after the
 * dumps), as 8-digit hex numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nx_hmac.h"
#include "nx_pbkdf2.h"

#define PROBE_BYTES  16384u
#define MAX_KEY      256u
#define MAX_DATA     512u
#define MAX_OUTPUT   128u

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* Everything the harness keeps is static, so it is never part of the dumps. */
static UCHAR key[MAX_KEY];
static ULONG key_length;
static UCHAR data[MAX_DATA];
static ULONG data_length;
static UCHAR output[MAX_OUTPUT];
static ULONG output_length;
static UCHAR control_dump[PROBE_BYTES];
static UCHAR after_dump[PROBE_BYTES];
static NX_HMAC_SHA256 keyed_sha256;
static NX_HMAC_MD5 keyed_md5;

static int parse_hex(const char *text, UCHAR *out, ULONG capacity, ULONG *length)
{
    size_t digits = strlen(text);
    size_t i;

    if (((digits % 2u) != 0u) || ((digits / 2u) > capacity))
    {
        return 0;
    }
    for (i = 0u; i < digits / 2u; i++)
    {
        unsigned int byte;

        if (sscanf(&text[2u * i], "%2x", &byte) != 1)
        {
            return 0;
        }
        out[i] = (UCHAR)byte;
    }
    *length = (ULONG)(digits / 2u);
    return 1;
}

static NOINLINE void leave_a_copy(void)
{
    volatile UCHAR copy[MAX_KEY];
    ULONG i;

    for (i = 0u; i < key_length; i++)
    {
        copy[i] = key[i];
    }
    (void)copy[0]; /* a volatile read: the copy counts as used */
}

static NOINLINE void run_hmac_sha256_context(void)
{
    NX_HMAC_SHA256 context;

    _nx_hmac_sha256_initialize(&context, key, key_length);
    _nx_hmac_sha256_update(&context, data, data_length);
    _nx_hmac_sha256_digest_calculate(&context, output);
}

static NOINLINE void run_hmac_md5(void)
{
    NX_HMAC_MD5 context;

    _nx_hmac_md5_initialize(&context, key, key_length);
    _nx_hmac_md5_update(&context, data, data_length);
    _nx_hmac_md5_digest_calculate(&context, output);
}

/* Zeroes the stack region the probe reads, so that whatever it finds after
 * the operation, the operation left (not the control). */
static NOINLINE void clear_stack(void)
{
    volatile UCHAR area[PROBE_BYTES + 1024u];
    size_t i;

    for (i = 0u; i < sizeof(area); i++)
    {
        area[i] = 0u;
    }
    (void)area[0];
}

/* Reading the probe before writing it is the point of the test. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

static NOINLINE void read_dead_stack(UCHAR *dump)
{
    volatile UCHAR probe[PROBE_BYTES];
    size_t i;

    for (i = 0u; i < PROBE_BYTES; i++)
    {
        dump[i] = probe[i];
    }
}

static void print_hex(const char *name, const UCHAR *bytes, size_t length)
{
    size_t i;

    printf("%s=", name);
    for (i = 0u; i < length; i++)
    {
        printf("%02x", bytes[i]);
    }
    printf("\n");
}

static void print_words(const char *name, const ULONG *words, size_t count)
{
    size_t i;

    printf("%s=", name);
    for (i = 0u; i < count; i++)
    {
        printf("%08lx", (unsigned long)words[i]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    const char *mode;
    ULONG iterations = 0u;

    if ((argc < 4) || !parse_hex(argv[2], key, MAX_KEY, &key_length) ||
        !parse_hex(argv[3], data, MAX_DATA, &data_length))
    {
        fprintf(stderr, "usage: crypto_stack_wipe MODE KEY_HEX DATA_HEX [ITERATIONS LENGTH]\n");
        return 2;
    }
    mode = argv[1];

    leave_a_copy();
    read_dead_stack(control_dump);
    clear_stack();

    if (strcmp(mode, "hmac-sha256") == 0)
    {
        _nx_hmac_sha256(key, key_length, data, data_length, output);
        output_length = 32u;
    }
    else if (strcmp(mode, "hmac-sha256-context") == 0)
    {
        run_hmac_sha256_context();
        output_length = 32u;
    }
    else if (strcmp(mode, "hmac-md5") == 0)
    {
        run_hmac_md5();
        output_length = 16u;
    }
    else if ((strcmp(mode, "pbkdf2") == 0) && (argc == 6))
    {
        iterations = (ULONG)strtoul(argv[4], NULL, 10);
        output_length = (ULONG)strtoul(argv[5], NULL, 10);
        if ((output_length > MAX_OUTPUT) ||
            (_nx_pbkdf2_hmac_sha256(key, key_length, data, data_length, iterations, output,
                                    output_length) != NX_SUCCESS))
        {
            return 2;
        }
    }
    else
    {
        fprintf(stderr, "crypto_stack_wipe: unknown mode or missing arguments\n");
        return 2;
    }
    read_dead_stack(after_dump);

    print_hex("control", control_dump, PROBE_BYTES);
    print_hex("after", after_dump, PROBE_BYTES);
    print_hex("output", output, output_length);
    if (strcmp(mode, "hmac-md5") == 0)
    {
        _nx_hmac_md5_initialize(&keyed_md5, key, key_length);
        print_words("inner", keyed_md5.inner.state, 4u);
        print_words("outer", keyed_md5.outer.state, 4u);
    }
    else
    {
        _nx_hmac_sha256_initialize(&keyed_sha256, key, key_length);
        print_words("inner", keyed_sha256.inner.state, 8u);
        print_words("outer", keyed_sha256.outer.state, 8u);
    }
    return 0;
}
