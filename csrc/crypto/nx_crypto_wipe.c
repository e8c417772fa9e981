/* The wipes of the crypto layer. A store through a volatile pointer is an
 * observable side effect, so no optimization drops it (memset of a buffer that
 * dies next is a dead store a compiler may remove). */
#include "nx_crypto_wipe.h"

#if defined(__GNUC__)
#define CRYPTO_NOINLINE __attribute__((noinline))
#else
#define CRYPTO_NOINLINE /* another translation unit: not inlined without LTO */
#endif

VOID _nx_crypto_wipe(VOID *memory, ULONG length)
{
    volatile UCHAR *bytes = (volatile UCHAR *)memory;
    ULONG i;

    for (i = 0u; i < length; i++)
    {
        bytes[i] = 0u;
    }
}

CRYPTO_NOINLINE VOID _nx_crypto_stack_burn(VOID)
{
    volatile ULONG area[NX_CRYPTO_STACK_BURN_BYTES / 4u];
    UINT i;

    for (i = 0u; i < (NX_CRYPTO_STACK_BURN_BYTES / 4u); i++)
    {
        area[i] = 0u;
    }
    (VOID)area[0]; /* a volatile read: the area counts as used */
}
