/* i8254.h — the 8254 programmable interval timer (1.193182 MHz, three channels: 0 → IRQ0, 1 refresh, 2 speaker)
 * and the PC's system control port B (0x61: channel 2 gate, speaker enable, refresh toggle, OUT2).
 * Left out: sound output (the speaker bits are stored, nothing is played). */
#ifndef PCJIT_I8254_H
#define PCJIT_I8254_H
#include <stdint.h>
#include <stddef.h>
#include "irq.h"
#include "clock.h"
#include "bus.h"

#define PIT_FREQ 1193182

typedef struct PitChannel {
    uint32_t count;         /* reload value in input ticks (1..0x10000; 0 written = 0x10000, or 10000 in BCD) */
    int64_t load_ns;        /* virtual time the counting started (count loaded / gate triggered / resumed) */
    int64_t frozen_ticks;   /* ticks counted before the gate went low (modes 0, 4), or -1 while counting */
    uint16_t latch;         /* latched counter value */
    uint8_t mode, bcd, rw;  /* control word: mode 0-5, BCD, RW (1 LSB, 2 MSB, 3 LSB then MSB) */
    uint8_t latched;        /* 0: none; 1: latched value, LSB next (or only byte); 2: MSB next */
    uint8_t status, status_latched;
    uint8_t read_msb, write_msb;    /* RW=3 flip-flops: next read / write is the MSB */
    uint8_t write_lsb;      /* LSB written, waiting for the MSB */
    uint8_t gate;
    uint8_t armed;          /* counting: a count was loaded (and, modes 1/5, the gate triggered) */
    uint8_t null_count;     /* status bit 6: count written but not yet loaded */
    uint8_t out;            /* OUT as last computed by the IRQ timer (channel 0) */
} PitChannel;

typedef struct I8254State {
    PitChannel ch[3];
    uint8_t port61;         /* bits 0-3 as written: gate 2, speaker data, parity/channel check disables */
} I8254State;

typedef struct I8254 {
    I8254State s;
    Clock *clock;
    IrqLine irq0;
    Timer timer;            /* channel 0's next OUT transition */
    int64_t timer_target;   /* its deadline (the timer forgets it when it fires) */
} I8254;

void i8254_init(I8254 *p, Clock *clock, IrqLine irq0);
void i8254_reset(I8254 *p);
/* Registers 0x40-0x43 and 0x61. */
int i8254_attach(I8254 *p, Machine *m);
/* The counter value a read would return (binary, before BCD conversion) and the OUT pin, now. For tests and
 * port 0x61. */
uint32_t i8254_get_count(I8254 *p, int channel);
int i8254_get_out(I8254 *p, int channel);
void i8254_set_gate(I8254 *p, int channel, int level);
size_t i8254_save(const I8254 *p, uint8_t *buf, size_t cap);
int i8254_load(I8254 *p, const uint8_t *buf, size_t len);

#endif
