/**
 * @file cc.h
 * @brief lwIP's compiler and platform hooks for a bare-metal GCC (newlib) target.
 */
#ifndef NXPOP3_LWIP_ARCH_CC_H
#define NXPOP3_LWIP_ARCH_CC_H

#include <stdint.h>
#include <stdio.h>

/* newlib provides errno values and struct timeval; lwIP needs neither of its own. */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE  0
#include <sys/time.h>

/** Reports a failed lwIP assertion on the console, then exits non-zero. */
void nx_lwip_port_assert(const char *message, const char *file, int line);
/** A pseudo-random 32-bit value (TCP initial sequence numbers, local ports). */
uint32_t nx_lwip_port_rand(void);

#define LWIP_PLATFORM_DIAG(x)   do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) nx_lwip_port_assert((x), __FILE__, __LINE__)
#define LWIP_RAND()             nx_lwip_port_rand()

#endif /* NXPOP3_LWIP_ARCH_CC_H */
