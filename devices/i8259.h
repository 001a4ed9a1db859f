/* i8259.h — the PC's two cascaded 8259A programmable interrupt controllers (master IRQ0-7, slave IRQ8-15 on the
 * master's IR2) and the ELCR edge/level registers (ports 0x4D0/0x4D1, PIIX). Left out: 8080/85 mode, buffered mode. */
#ifndef PCJIT_I8259_H
#define PCJIT_I8259_H
#include <stdint.h>
#include <stddef.h>
#include "irq.h"
#include "bus.h"

typedef struct PicChip {
    uint8_t irr, isr, imr;
    uint8_t level;          /* current level of each input pin */
    uint8_t elcr, elcr_mask;/* 1 = level triggered (which bits may be set) */
    uint8_t vector_base;    /* ICW2 & 0xF8 */
    uint8_t lowest;         /* IR with the lowest priority (rotation); highest is lowest+1 mod 8 */
    uint8_t icw_step;       /* 0: initialised; 2/3/4: next ICW expected */
    uint8_t icw1, icw3, icw4;
    uint8_t read_isr;       /* OCW3 RIS: reads of the command port return ISR (else IRR) */
    uint8_t poll;           /* OCW3 P: the next read of the command port is a poll */
    uint8_t special_mask;   /* OCW3 SMM */
    uint8_t rotate_aeoi;    /* OCW2 rotate in automatic-EOI mode */
    uint8_t int_out;        /* this chip's INT output */
} PicChip;

typedef struct I8259State {
    PicChip chip[2];        /* [0] master, [1] slave */
} I8259State;

typedef struct I8259 {
    I8259State s;
    IrqLine intr;           /* the master's INT output: the CPU's INTR pin */
    uint64_t acks, spurious;
} I8259;

void i8259_init(I8259 *p, IrqLine intr);
void i8259_reset(I8259 *p);
/* Registers ports 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1; and makes the PIC the machine's interrupt controller. */
int i8259_attach(I8259 *p, Machine *m);
/* IrqHandler for the 16 ISA lines (line 2 is the cascade: raising it does nothing). */
void i8259_set_irq(void *opaque, int line, int level);
/* INTA: the vector of the highest-priority request, which goes in service (Machine.intr_ack). Spurious requests
 * give vector base+7 of the chip with no in-service bit set. */
int i8259_intr_ack(void *opaque);
size_t i8259_save(const I8259 *p, uint8_t *buf, size_t cap);
int i8259_load(I8259 *p, const uint8_t *buf, size_t len);

#endif
