/* Runs one benchmark client and reports its rusage.
 *
 *   measure TIMEOUT_S REPORT_FILE PROGRAM [ARGS...]
 *
 * Why not wait4() from the Python harness: Linux keeps the peak RSS of the
 * memory a process had before exec(), and a child forked (or vforked) from a
 * harness holding the workloads would start at the harness's size. This
 * launcher is small, so the peak RSS it reports is the client's own.
 * The report is one line: "rc wall_s cpu_s maxrss_kib timed_out". The client
 * is killed after TIMEOUT_S seconds. */
#define _DEFAULT_SOURCE /* wait4 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t child_pid;
static volatile sig_atomic_t timed_out;

static void on_alarm(int signal_number)
{
    (void)signal_number;
    timed_out = 1;
    if (child_pid > 0)
    {
        (void)kill((pid_t)child_pid, SIGKILL);
    }
}

static double seconds(struct timeval value)
{
    return (double)value.tv_sec + (double)value.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    struct sigaction action;
    struct timespec start;
    struct timespec end;
    struct rusage usage;
    int status = 0;
    int rc;
    pid_t pid;
    pid_t reaped;
    FILE *report;
    unsigned timeout;

    if (argc < 4)
    {
        fprintf(stderr, "usage: %s TIMEOUT_S REPORT_FILE PROGRAM [ARGS...]\n", argv[0]);
        return 2;
    }
    timeout = (unsigned)atoi(argv[1]);
    report = fopen(argv[2], "w");
    if ((report == NULL) || (timeout == 0))
    {
        perror(argv[2]);
        return 2;
    }

    (void)clock_gettime(CLOCK_MONOTONIC, &start);
    pid = fork();
    if (pid < 0)
    {
        perror("fork");
        return 2;
    }
    if (pid == 0)
    {
        execvp(argv[3], &argv[3]);
        perror(argv[3]);
        _exit(127);
    }
    child_pid = (sig_atomic_t)pid;
    action.sa_handler = on_alarm;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    (void)sigaction(SIGALRM, &action, NULL);
    (void)alarm(timeout);

    /* Bounded: the alarm kills the child, after which wait4 returns. */
    do
    {
        reaped = wait4(pid, &status, 0, &usage);
    } while ((reaped < 0) && (errno == EINTR));
    (void)alarm(0);
    (void)clock_gettime(CLOCK_MONOTONIC, &end);
    if (reaped != pid)
    {
        perror("wait4");
        return 2;
    }
    rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(report, "%d %.6f %.6f %ld %d\n", rc,
            (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9,
            seconds(usage.ru_utime) + seconds(usage.ru_stime), (long)usage.ru_maxrss,
            (int)timed_out);
    return (fclose(report) == 0) ? 0 : 2;
}
