/* console.c — raw terminal mode and QEMU's Ctrl-A escapes for the serial console (see console.h).
 * Invariants: the terminal is restored however pcjit ends (normal exit, exit(), SIGINT/SIGTERM/SIGHUP); in raw
 * mode Ctrl-C reaches the guest instead of killing pcjit, so Ctrl-A x is the way out. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "console.h"
#include "cpu.h"

static struct termios saved;
static bool raw_on, escape;

static void console_restore(void)
{
    if (raw_on) {
        tcsetattr(0, TCSANOW, &saved);
        raw_on = false;
    }
}

static void console_signal(int sig)
{
    console_restore();
    signal(sig, SIG_DFL);
    raise(sig);
}

void console_raw_begin(void)
{
    if (!isatty(0) || tcgetattr(0, &saved) != 0)
        return;
    struct termios t = saved;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(0, TCSANOW, &t) != 0)
        return;
    raw_on = true;
    atexit(console_restore);
    signal(SIGTERM, console_signal);
    signal(SIGHUP, console_signal);
    signal(SIGINT, console_signal);
}

size_t console_filter(void *opaque, uint8_t *buf, size_t n)
{
    Machine *m = opaque;
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (escape) {
            escape = false;
            if (c == 'x' || c == 'X') {
                fprintf(stderr, "\r\npcjit: terminated by Ctrl-A x\r\n");
                m->exit_requested = true;
                m->exit_code = 0;
                if (m->cpu)
                    m->cpu->exit_request = 1;
                return out;
            }
            if (c != 1)
                continue;       /* an escape this build does not have: dropped, as QEMU drops unknown ones */
        } else if (c == 1) {
            escape = true;
            continue;
        }
        buf[out++] = c;
    }
    return out;
}
