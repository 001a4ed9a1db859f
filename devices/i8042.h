/* i8042.h — the PS/2 keyboard controller (ports 0x60/0x64) with its keyboard (IRQ1) and aux/mouse (IRQ12)
 * devices, the A20 gate (output port bit 1) and the CPU reset line (output port bit 0 / command 0xFE).
 * Left out: host keyboard/mouse input (no display yet: i8042_kbd_put lets the program or a test inject scancodes),
 * scancode sets 1 and 3 generated natively (the keyboard speaks set 2; the controller translates to set 1). */
#ifndef PCJIT_I8042_H
#define PCJIT_I8042_H
#include <stdint.h>
#include <stddef.h>
#include "irq.h"
#include "bus.h"

enum { I8042_QUEUE = 64 };

typedef struct Ps2Queue {
    uint8_t data[I8042_QUEUE];
    uint8_t head, count;
} Ps2Queue;

typedef struct I8042State {
    uint8_t cmd_byte;       /* controller RAM byte 0: INT, INT2, SYS, EN (disable kbd), EN2 (disable aux), XLATE */
    uint8_t outport;        /* bit 0 reset (1 = running), bit 1 A20 */
    uint8_t status;         /* SYS, A2 (last write was a command), INH; OBF/AUXB computed */
    uint8_t out;            /* byte in the output buffer */
    uint8_t obf, out_aux;   /* output buffer full; it came from the aux device */
    uint8_t pending_cmd;    /* controller command waiting for its data byte (0x60, 0xD1-0xD4), or 0 */
    uint8_t xlate_break;    /* set-1 translation saw 0xF0: the next code is a release */
    Ps2Queue ctrl, kbd, aux;/* bytes waiting for the output buffer: controller replies first */
    /* keyboard */
    uint8_t kbd_pending;    /* keyboard command waiting for an argument (0xED, 0xF0, 0xF3), or 0 */
    uint8_t kbd_scanning, kbd_leds, kbd_set, kbd_rate;
    /* mouse */
    uint8_t aux_pending;    /* mouse command waiting for an argument (0xE8, 0xF3), or 0 */
    uint8_t aux_enabled, aux_rate, aux_res, aux_scale, aux_wrap;
} I8042State;

typedef struct I8042 {
    I8042State s;
    IrqLine irq_kbd, irq_aux;   /* IRQ1, IRQ12 */
    IrqLine a20;                /* level = A20 enabled */
    IrqLine reset;              /* pulsed 1 on a CPU reset request */
} I8042;

void i8042_init(I8042 *k, IrqLine irq_kbd, IrqLine irq_aux, IrqLine a20, IrqLine reset);
void i8042_reset(I8042 *k);
int i8042_attach(I8042 *k, Machine *m);
/* Bytes from the keyboard (scancode set 2, as a real keyboard sends them). */
void i8042_kbd_put(I8042 *k, const uint8_t *codes, size_t n);
/* A mouse movement packet (stream mode, if reporting is enabled). */
void i8042_aux_move(I8042 *k, int dx, int dy, int buttons);
size_t i8042_save(const I8042 *k, uint8_t *buf, size_t cap);
int i8042_load(I8042 *k, const uint8_t *buf, size_t len);

#endif
