/* debugdev.c — the two debug ports a bare-metal guest uses to talk to the host: the Bochs/QEMU debug console
 * (port 0xE9, or QEMU's isa-debugcon iobase such as SeaBIOS's 0x402: every byte written goes to a FILE; reads return 0xE9, the "present" signature) and QEMU's
 * isa-debug-exit (a write of val stops the machine with exit status (val << 1) | 1).
 * Invariants: both are ordinary bus port regions; neither touches CPU state, they only set machine requests.
 * Left out: everything else on a PC (XXX: these move to devices/ when the PC platform issue adds the board). */
#include <stdio.h>
#include "debugdev.h"

static uint32_t debugcon_read(void *opaque, uint32_t addr, int size)
{
    return 0xe9;
}

static void debugcon_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Machine *m = opaque;
    if (m->debugcon) {
        fputc((int)(val & 0xff), m->debugcon);
        if ((val & 0xff) == '\n')
            fflush(m->debugcon);
    }
}

static uint32_t debug_exit_read(void *opaque, uint32_t addr, int size)
{
    return 0xffffffffu;
}

static void debug_exit_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Machine *m = opaque;
    m->exit_code = (int)((val << 1) | 1);
    m->exit_requested = true;
    if (m->cpu)
        m->cpu->exit_request = 1;
}

int debugcon_attach(Machine *m, FILE *out, uint32_t iobase)
{
    m->debugcon = out;
    return bus_register_io(m, iobase, 1, debugcon_read, debugcon_write, m, "debugcon");
}

int debug_exit_attach(Machine *m, uint32_t iobase, uint32_t iosize)
{
    return bus_register_io(m, iobase, iosize, debug_exit_read, debug_exit_write, m, "isa-debug-exit");
}

static uint32_t post_read(void *opaque, uint32_t addr, int size)
{
    (void)opaque, (void)addr, (void)size;
    return 0xffffffffu;
}

static void post_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    (void)addr, (void)size;
    PostPort *p = opaque;
    p->last = (uint8_t)val;
    p->writes++;
    if (p->log)
        fprintf(p->log, "POST %02x\n", p->last);
}

int post_port_attach(Machine *m, PostPort *p)
{
    return bus_register_io(m, POST_PORT, 1, post_read, post_write, p, "post");
}
