/* debugdev.h — debug console (port 0xE9), isa-debug-exit, the ports bare-metal test programs report through, and
 * the POST diagnostic port 0x80 (firmware progress codes; also the I/O-delay port Linux writes to).
 * Left out: any other device. */
#ifndef PCJIT_APP_DEBUGDEV_H
#define PCJIT_APP_DEBUGDEV_H
#include <stdio.h>
#include "bus.h"
#include "cpu.h"

enum { DEBUGCON_PORT = 0xe9, DEBUG_EXIT_PORT = 0xf4, POST_PORT = 0x80 };

typedef struct PostPort {
    uint8_t last;           /* the last code written */
    uint64_t writes;
    FILE *log;              /* -d post: every code as it is written, or NULL */
} PostPort;

/* Writes to port 0xE9 go to out (NULL: discarded). Returns bus_register_io's result. */
int debugcon_attach(Machine *m, FILE *out, uint32_t iobase);   /* iobase: DEBUGCON_PORT (0xE9) by default */
/* A write of val to [iobase, iobase+iosize) requests exit with status (val << 1) | 1, as QEMU's device does. */
int debug_exit_attach(Machine *m, uint32_t iobase, uint32_t iosize);
/* Port 0x80: writes are recorded (and logged to p->log); reads give 0xFF, as on a PC where nothing drives them. */
int post_port_attach(Machine *m, PostPort *p);

#endif
