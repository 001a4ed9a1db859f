/* port92.c — system control port A at 0x92 (PS/2 "fast A20 gate" and fast CPU reset; also on PIIX).
 * Invariants: the A20 line is driven with bit 1 after every write and on reset/load; a reset is requested only
 * on a 0 → 1 transition of bit 0, and bit 0 reads back 0 afterwards (the reset has happened).
 * Left out: the PS/2 security lock and LED bits (stored only). */
#include "port92.h"
#include "device.h"

static uint32_t port92_read(void *opaque, uint32_t addr, int size)
{
    return ((Port92 *)opaque)->s.value;
}

static void port92_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Port92 *p = opaque;
    uint8_t old = p->s.value;
    p->s.value = (uint8_t)(val & ~1u);
    if ((val ^ old) & 2)
        irq_set(&p->a20, (val & 2) != 0);
    if ((val & 1) && !(old & 1)) {
        irq_raise(&p->reset);
        irq_lower(&p->reset);
    }
}

void port92_reset(Port92 *p)
{
    p->s.value = 0;         /* A20 through this port off: the keyboard controller's gate decides (it is on) */
    irq_set(&p->a20, 0);
}

void port92_init(Port92 *p, IrqLine a20, IrqLine reset)
{
    *p = (Port92){ .a20 = a20, .reset = reset };
    port92_reset(p);
}

int port92_attach(Port92 *p, Machine *m)
{
    return bus_register_io(m, 0x92, 1, port92_read, port92_write, p, "port92");
}

size_t port92_save(const Port92 *p, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('P', '9', '2', '0'), &p->s, sizeof(p->s), buf, cap);
}

int port92_load(Port92 *p, const uint8_t *buf, size_t len)
{
    if (dev_load_blob(DEV_TAG('P', '9', '2', '0'), &p->s, sizeof(p->s), buf, len) < 0)
        return -1;
    irq_set(&p->a20, (p->s.value & 2) != 0);
    return 0;
}
