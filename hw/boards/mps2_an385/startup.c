/*
 * Reset and fault entry points of the Cortex-M3: the vector table, the copy of
 * .data from its load address, the clearing of .bss, and fault reporting.
 */
#include <stdint.h>
#include <stdio.h>

#include "board.h"

extern uint32_t __data_start[];
extern uint32_t __data_end[];
extern uint32_t __data_load[];
extern uint32_t __bss_start[];
extern uint32_t __bss_end[];
extern uint32_t __stack_top[];

extern int main(void);
void board_reset_handler(void);
void board_fault_handler(void);
void board_fault_report(const uint32_t *frame, uint32_t exc_return);
void board_unexpected_handler(void);
void SysTick_Handler(void);

typedef void (*board_vector_t)(void);

/* Cortex-M3 exceptions 0..15, then the 32 external interrupts of the AN385. */
#define BOARD_VECTOR_COUNT (16u + 32u)

__attribute__((section(".vectors"), used))
const board_vector_t board_vectors[BOARD_VECTOR_COUNT] = {
    (board_vector_t)(uintptr_t)__stack_top, /* initial main stack pointer */
    board_reset_handler,
    board_unexpected_handler,   /* NMI */
    board_fault_handler,        /* HardFault */
    board_fault_handler,        /* MemManage */
    board_fault_handler,        /* BusFault */
    board_fault_handler,        /* UsageFault */
    0, 0, 0, 0,
    board_unexpected_handler,   /* SVCall */
    board_unexpected_handler,   /* DebugMonitor */
    0,
    board_unexpected_handler,   /* PendSV */
    SysTick_Handler,
    /* External interrupts are never enabled; the rest default to 0 and would
     * escalate to HardFault, which reports them. */
};

void board_reset_handler(void)
{
    uint32_t *dst = __data_start;
    const uint32_t *src = __data_load;

    /* Both loops run over linker-computed, word-aligned ranges. */
    while (dst < __data_end)
    {
        *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end; dst++)
    {
        *dst = 0u;
    }
    board_exit(main());
}

/* Pick the stack the fault frame was pushed on, then report from C. */
__attribute__((naked)) void board_fault_handler(void)
{
    __asm volatile(
        "tst lr, #4          \n"
        "ite eq              \n"
        "mrseq r0, msp       \n"
        "mrsne r0, psp       \n"
        "mov r1, lr          \n"
        "b board_fault_report\n");
}

static void board_fault_puts(const char *text)
{
    size_t n = 0u;

    while (n < 128u && text[n] != '\0')
    {
        n++;
    }
    board_console_write(text, n);
}

static void board_fault_hex(uint32_t value)
{
    char digits[11];
    unsigned int i;

    digits[0] = '0';
    digits[1] = 'x';
    for (i = 0u; i < 8u; i++)
    {
        uint32_t nibble = (value >> (28u - 4u * i)) & 0xFu;
        digits[2u + i] = (char)(nibble < 10u ? '0' + nibble : 'a' + nibble - 10u);
    }
    digits[10] = ' ';
    board_console_write(digits, sizeof(digits));
}

/* The report avoids printf: the fault may have come from inside it. */
void board_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    volatile const uint32_t *scb = (volatile const uint32_t *)0xE000ED00u;
    uint32_t icsr = scb[1];
    uint32_t cfsr = scb[0x28u / 4u];
    uint32_t hfsr = scb[0x2Cu / 4u];
    uint32_t bfar = scb[0x38u / 4u];

    board_fault_puts("\r\nFAULT exception ");
    board_fault_hex(icsr & 0x1FFu);
    board_fault_puts("pc ");
    board_fault_hex(frame[6]);
    board_fault_puts("lr ");
    board_fault_hex(frame[5]);
    board_fault_puts("cfsr ");
    board_fault_hex(cfsr);
    board_fault_puts("hfsr ");
    board_fault_hex(hfsr);
    board_fault_puts("bfar ");
    board_fault_hex(bfar);
    board_fault_puts("exc_return ");
    board_fault_hex(exc_return);
    board_fault_puts("\r\n");
    board_exit(BOARD_EXIT_FAULT);
}

void board_unexpected_handler(void)
{
    board_fault_puts("\r\nFAULT unexpected exception\r\n");
    board_exit(BOARD_EXIT_FAULT);
}
