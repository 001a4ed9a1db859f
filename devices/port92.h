/* port92.h — system control port A (0x92, "fast A20 and reset"). Left out: the other bits (security lock,
 * hard-disk activity LEDs on PS/2 machines) are stored but do nothing. */
#ifndef PCJIT_PORT92_H
#define PCJIT_PORT92_H
#include <stdint.h>
#include <stddef.h>
#include "irq.h"
#include "bus.h"

typedef struct Port92State {
    uint8_t value;      /* bit 0 fast reset (a 0 → 1 write resets the CPU), bit 1 A20 */
} Port92State;

typedef struct Port92 {
    Port92State s;
    IrqLine a20, reset;
} Port92;

void port92_init(Port92 *p, IrqLine a20, IrqLine reset);
void port92_reset(Port92 *p);
int port92_attach(Port92 *p, Machine *m);
size_t port92_save(const Port92 *p, uint8_t *buf, size_t cap);
int port92_load(Port92 *p, const uint8_t *buf, size_t len);

#endif
