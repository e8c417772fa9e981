/* The one wipe of the crypto layer: a store through a volatile pointer is an
 * observable side effect, so no optimization drops it (memset of a buffer that
 * dies next is a dead store a compiler may remove). */
#include "nx_crypto_wipe.h"

VOID _nx_crypto_wipe(VOID *memory, ULONG length)
{
    volatile UCHAR *bytes = (volatile UCHAR *)memory;
    ULONG i;

    for (i = 0u; i < length; i++)
    {
        bytes[i] = 0u;
    }
}
