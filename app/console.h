/* console.h — the terminal behind -serial stdio / -nographic: raw mode while the guest runs (every key goes to
 * the guest's UART, as on a serial line), restored at exit, and QEMU's escape keys: Ctrl-A x quits, Ctrl-A Ctrl-A
 * sends one Ctrl-A. Left out: the monitor (Ctrl-A c) and the other escapes. */
#ifndef PCJIT_CONSOLE_H
#define PCJIT_CONSOLE_H
#include <stddef.h>
#include <stdint.h>
#include "bus.h"

/* If fd 0 is a terminal: switch it to raw mode (restored by atexit and on fatal signals). */
void console_raw_begin(void);
/* PcBoard.input_filter: handles the escapes; a quit sets the machine's exit request (exit status 0). */
size_t console_filter(void *opaque_machine, uint8_t *buf, size_t n);

#endif
