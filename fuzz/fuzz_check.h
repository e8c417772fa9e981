/**
 * @file fuzz_check.h
 * @brief FUZZ_CHECK: what a fuzz target asserts. It aborts, so libFuzzer and the
 *        sanitizers report the input, and it stays on in every build (not assert()).
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(condition)                                                   \
    do                                                                          \
    {                                                                           \
        if (!(condition))                                                       \
        {                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
                    #condition);                                                \
            abort();                                                            \
        }                                                                       \
    } while (0)

#endif /* FUZZ_CHECK_H */
