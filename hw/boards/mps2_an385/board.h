/**
 * @file board.h
 * @brief The MPS2 AN385 (Cortex-M3) board as the firmware sees it: a tick, a
 *        console, the semihosting command line and exit, the LAN9118 address.
 *
 * Everything here is polled; the only interrupt in use is SysTick.
 */
#ifndef NXPOP3_BOARD_H
#define NXPOP3_BOARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit statuses the board itself reports (NetX statuses stay below 0xF0). */
#define BOARD_EXIT_FAULT  0xF1 /* HardFault or another fault handler ran */
#define BOARD_EXIT_ASSERT 0xF2 /* an assertion (lwIP's included) failed */
#define BOARD_EXIT_USAGE  0xF3 /* bad command line */
#define BOARD_EXIT_DEVICE 0xF4 /* a device did not answer as expected */

/* Peripheral addresses on the AN385 image. */
#define BOARD_UART0_BASE   0x40004000u
#define BOARD_LAN9118_BASE 0x40200000u
#define BOARD_SYSCLK_HZ    25000000u

/** Start the tick (SysTick at tick_hz) and the console (UART0). */
void board_init(uint32_t tick_hz);

/** Ticks since board_init(); it wraps after 2^32 ticks. */
uint32_t board_ticks(void);

/** Ticks per second, as given to board_init(). */
uint32_t board_tick_hz(void);

/** Write bytes to the console (UART0), waiting for room. */
void board_console_write(const char *data, size_t length);

/**
 * @brief Read the command line the debugger (QEMU) passes through semihosting.
 * @param buffer receives the NUL-terminated line
 * @param size   bytes available in buffer, at least 2
 * @return length of the line, or -1 when the host gave none or it did not fit
 */
int board_cmdline(char *buffer, size_t size);

/**
 * @brief Read a whole host file through semihosting (SYS_OPEN, SYS_FLEN, SYS_READ),
 *        e.g. a CA certificate chain or a seed given at run time.
 * @param path   the host path, NUL-terminated
 * @param buffer receives the file's bytes (not NUL-terminated)
 * @param size   bytes available in buffer
 * @return the file's length, or -1 when it cannot be opened or read, or is
 *         larger than size
 */
long board_read_file(const char *path, unsigned char *buffer, size_t size);

/** Stop the machine; status becomes the host's (QEMU's) exit status. */
void board_exit(int status) __attribute__((noreturn));

#ifdef __cplusplus
}
#endif

#endif /* NXPOP3_BOARD_H */
