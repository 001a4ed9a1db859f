/* debugdev.h — debug console (port 0xE9) and isa-debug-exit, the ports bare-metal test programs report through.
 * Left out: any other device. */
#ifndef PCJIT_APP_DEBUGDEV_H
#define PCJIT_APP_DEBUGDEV_H
#include <stdio.h>
#include "bus.h"
#include "cpu.h"

enum { DEBUGCON_PORT = 0xe9, DEBUG_EXIT_PORT = 0xf4 };

/* Writes to port 0xE9 go to out (NULL: discarded). Returns bus_register_io's result. */
int debugcon_attach(Machine *m, FILE *out, uint32_t iobase);   /* iobase: DEBUGCON_PORT (0xE9) by default */
/* A write of val to [iobase, iobase+iosize) requests exit with status (val << 1) | 1, as QEMU's device does. */
int debug_exit_attach(Machine *m, uint32_t iobase, uint32_t iosize);

#endif
