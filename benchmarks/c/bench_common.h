/* What every benchmark client prints: one JSON line with the bytes it fetched,
 * the wall time and CPU time of its transfer phase (connect to QUIT, process
 * start-up excluded); the harness adds the process's rusage from wait4(). */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

typedef struct
{
    double wall;
    double cpu;
} BenchClock;

static double bench_cpu_now(void)
{
    struct rusage usage;

    (void)getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static BenchClock bench_now(void)
{
    struct timespec now;
    BenchClock clock_value;

    (void)clock_gettime(CLOCK_MONOTONIC, &now);
    clock_value.wall = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    clock_value.cpu = bench_cpu_now();
    return clock_value;
}

/* pipelined: 1 or 0 for a client that sent its RETRs in one pipelined batch
 * or one at a time after asking CAPA, -1 when it does not apply. */
static void bench_report(BenchClock start, unsigned long long bytes, long messages,
                         int pipelined)
{
    BenchClock end = bench_now();

    printf("{\"bytes\": %llu, \"messages\": %ld, \"wall_s\": %.6f, \"cpu_s\": %.6f", bytes,
           messages, end.wall - start.wall, end.cpu - start.cpu);
    if (pipelined >= 0)
    {
        printf(", \"pipelined\": %d", pipelined);
    }
    printf("}\n");
    fflush(stdout);
}


#endif /* BENCH_COMMON_H */
