/* uart16550.h — a 16550A UART (COM1 at 0x3F8/IRQ4 on the PC): 16-byte receive FIFO, divisor latch, LSR/MSR,
 * IER/IIR interrupt priorities, loopback. Output goes to a FILE*; input comes from a byte queue the program fills
 * (uart16550_push_input). Left out: parity/framing errors and break (the host link has none), the TX FIFO's
 * timing (a written byte is sent at once), DMA mode signalling. */
#ifndef PCJIT_UART16550_H
#define PCJIT_UART16550_H
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include "irq.h"
#include "clock.h"
#include "bus.h"

enum { UART_FIFO_SIZE = 16, UART_INPUT_QUEUE = 4096 };

typedef struct Uart16550State {
    uint8_t rx[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr, dll, dlm;
    uint8_t thr_ipending;       /* THRE interrupt pending (set when THR empties, cleared by IIR read / THR write) */
    uint8_t timeout_ipending;   /* character timeout (FIFO mode) */
} Uart16550State;

typedef struct Uart16550 {
    Uart16550State s;
    Clock *clock;
    IrqLine irq;
    FILE *out;                  /* transmitted bytes (NULL: discarded) */
    Timer timeout_timer;
    uint8_t inq[UART_INPUT_QUEUE];  /* host input not yet in the receive FIFO */
    uint32_t inq_head, inq_count;
    uint64_t tx_bytes, rx_bytes;
} Uart16550;

void uart16550_init(Uart16550 *u, Clock *clock, IrqLine irq, FILE *out);
void uart16550_reset(Uart16550 *u);
int uart16550_attach(Uart16550 *u, Machine *m, uint32_t base);
/* Queue host input for the guest; returns how many bytes were taken (the queue holds UART_INPUT_QUEUE). */
size_t uart16550_push_input(Uart16550 *u, const uint8_t *buf, size_t n);
size_t uart16550_save(const Uart16550 *u, uint8_t *buf, size_t cap);
int uart16550_load(Uart16550 *u, const uint8_t *buf, size_t len);

#endif
