/*
 * MPS2 AN385 board services: SysTick tick, UART0 console (newlib's stdout),
 * semihosting command line and exit, and the few system calls newlib-nano needs.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "board.h"

/* CMSDK APB UART registers. */
#define UART_DATA(b)    (*(volatile uint32_t *)((b) + 0x00u))
#define UART_STATE(b)   (*(volatile uint32_t *)((b) + 0x04u))
#define UART_CTRL(b)    (*(volatile uint32_t *)((b) + 0x08u))
#define UART_BAUDDIV(b) (*(volatile uint32_t *)((b) + 0x10u))
#define UART_STATE_TX_FULL 0x1u
#define UART_CTRL_TX_EN    0x1u
#define UART_BAUD          115200u
/* Polls of a full transmit buffer before a byte is dropped (QEMU never fills it). */
#define UART_TX_SPIN_LIMIT 100000u

/* SysTick registers. */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE    0x1u
#define SYST_CSR_TICKINT   0x2u
#define SYST_CSR_CLKSOURCE 0x4u /* the processor clock */

/* Semihosting operations (Arm "Semihosting for AArch32 and AArch64" v2). */
#define SEMIHOST_SYS_OPEN          0x01u
#define SEMIHOST_SYS_CLOSE         0x02u
#define SEMIHOST_SYS_READ          0x06u
#define SEMIHOST_SYS_FLEN          0x0Cu
#define SEMIHOST_SYS_GET_CMDLINE   0x15u
#define SEMIHOST_OPEN_READ_BINARY  1u /* mode "rb" */
#define SEMIHOST_SYS_EXIT          0x18u
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20u
#define SEMIHOST_APPLICATION_EXIT  0x20026u

extern uint8_t __heap_start[];
extern uint8_t __heap_end[];

static volatile uint32_t board_tick_count;
static uint32_t board_tick_rate;

void SysTick_Handler(void);
int _write(int fd, const char *data, int length);
int _read(int fd, char *data, int length);
int _close(int fd);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _lseek(int fd, int offset, int whence);
void *_sbrk(ptrdiff_t increment);
int _kill(int pid, int sig);
int _getpid(void);
void _exit(int status);

/* One semihosting request: operation in r0, argument block in r1, result in r0. */
static uint32_t semihost_call(uint32_t operation, void *argument)
{
    register uint32_t r0 __asm("r0") = operation;
    register void *r1 __asm("r1") = argument;

    __asm volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void SysTick_Handler(void)
{
    board_tick_count++;
}

void board_init(uint32_t tick_hz)
{
    uint32_t reload;

    UART_BAUDDIV(BOARD_UART0_BASE) = BOARD_SYSCLK_HZ / UART_BAUD;
    UART_CTRL(BOARD_UART0_BASE) = UART_CTRL_TX_EN;
    /* Unbuffered: a report printed just before an exit or a fault is never lost. */
    setvbuf(stdout, NULL, _IONBF, 0);

    if (tick_hz == 0u || tick_hz > BOARD_SYSCLK_HZ / 1000u)
    {
        tick_hz = 100u;
    }
    board_tick_rate = tick_hz;
    reload = BOARD_SYSCLK_HZ / tick_hz - 1u;
    SYST_RVR = reload;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

uint32_t board_ticks(void)
{
    return board_tick_count;
}

uint32_t board_tick_hz(void)
{
    return board_tick_rate;
}

void board_console_write(const char *data, size_t length)
{
    size_t i;

    for (i = 0u; i < length; i++)
    {
        uint32_t spins = 0u;

        while ((UART_STATE(BOARD_UART0_BASE) & UART_STATE_TX_FULL) != 0u
               && spins < UART_TX_SPIN_LIMIT)
        {
            spins++;
        }
        UART_DATA(BOARD_UART0_BASE) = (uint8_t)data[i];
    }
}

int board_cmdline(char *buffer, size_t size)
{
    uint32_t block[2];

    if (buffer == NULL || size < 2u)
    {
        return -1;
    }
    block[0] = (uint32_t)(uintptr_t)buffer;
    block[1] = (uint32_t)(size - 1u);
    if (semihost_call(SEMIHOST_SYS_GET_CMDLINE, block) != 0u || block[1] >= size)
    {
        buffer[0] = '\0';
        return -1;
    }
    buffer[block[1]] = '\0';
    return (int)block[1];
}

long board_read_file(const char *path, unsigned char *buffer, size_t size)
{
    uint32_t block[3];
    uint32_t handle;
    uint32_t length;
    uint32_t left;

    if (path == NULL || buffer == NULL || size == 0u)
    {
        return -1;
    }
    block[0] = (uint32_t)(uintptr_t)path;
    block[1] = SEMIHOST_OPEN_READ_BINARY;
    block[2] = (uint32_t)strlen(path);
    handle = semihost_call(SEMIHOST_SYS_OPEN, block);
    if (handle == 0xFFFFFFFFu)
    {
        return -1;
    }
    block[0] = handle;
    length = semihost_call(SEMIHOST_SYS_FLEN, block);
    if (length == 0xFFFFFFFFu || length > size)
    {
        (void)semihost_call(SEMIHOST_SYS_CLOSE, block);
        return -1;
    }
    block[0] = handle;
    block[1] = (uint32_t)(uintptr_t)buffer;
    block[2] = length;
    left = semihost_call(SEMIHOST_SYS_READ, block); /* the bytes NOT read */
    block[0] = handle;
    (void)semihost_call(SEMIHOST_SYS_CLOSE, block);
    return (left == 0u) ? (long)length : -1;
}

void board_exit(int status)
{
    uint32_t block[2];

    block[0] = SEMIHOST_APPLICATION_EXIT;
    block[1] = (uint32_t)status;
    (void)semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, block);
    /* A host without SYS_EXIT_EXTENDED: plain SYS_EXIT, then stop here. */
    (void)semihost_call(SEMIHOST_SYS_EXIT, (void *)(uintptr_t)SEMIHOST_APPLICATION_EXIT);
    for (;;)
    {
        __asm volatile("wfi");
    }
}

/* newlib-nano system calls: stdout and stderr go to the console; no files. */
int _write(int fd, const char *data, int length)
{
    if (fd != 1 && fd != 2)
    {
        errno = EBADF;
        return -1;
    }
    if (length <= 0)
    {
        return 0;
    }
    board_console_write(data, (size_t)length);
    return length;
}

int _read(int fd, char *data, int length)
{
    (void)fd;
    (void)data;
    (void)length;
    return 0;
}

int _close(int fd)
{
    (void)fd;
    errno = EBADF;
    return -1;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

int _isatty(int fd)
{
    return (fd >= 0 && fd <= 2) ? 1 : 0;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

/* Only newlib itself allocates (stdio state); the heap is bounded by the stack. */
void *_sbrk(ptrdiff_t increment)
{
    static uint8_t *brk = __heap_start;
    uint8_t *previous = brk;

    if (increment < 0 || (size_t)increment > (size_t)(__heap_end - brk))
    {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += increment;
    return previous;
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

int _getpid(void)
{
    return 1;
}

void _exit(int status)
{
    board_exit(status);
}
