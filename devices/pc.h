/* pc.h — the PC board: the devices of a PC/AT-compatible machine created on a Machine and wired together.
 * Left out (issue 5, still to do): IDE, ACPI PM, VGA — see docs/devices.md. */
#ifndef PCJIT_PC_H
#define PCJIT_PC_H
#include <stdio.h>
#include <stdbool.h>
#include "bus.h"
#include "clock.h"
#include "i8259.h"
#include "i8254.h"
#include "mc146818.h"
#include "uart16550.h"
#include "i8042.h"
#include "port92.h"
#include "pci.h"
#include "i440fx.h"
#include "fw_cfg.h"
#include "piix_ide.h"
#include "piix4_pm.h"

typedef struct PcConfig {
    ClockMode clock_mode;       /* CLOCK_HOST, or CLOCK_ICOUNT for deterministic device timing */
    int icount_shift;           /* CLOCK_ICOUNT: 2^shift ns per guest instruction */
    FILE *serial_out;           /* COM1 output, or NULL */
    int serial_in_fd;           /* COM1 input (polled every 10 ms of virtual time), or -1 */
    int64_t rtc_epoch;          /* the RTC's date at power-on (seconds since 1970, UTC), or -1 for the host's */
    BlockDev *ide[4];           /* disks: primary master, primary slave, secondary master, secondary slave; or NULL
                                 * (opened by the caller, which closes them after the run) */
} PcConfig;

typedef struct PcBoard {
    Machine *m;
    Clock clock;
    I8259 pic;
    I8254 pit;
    Mc146818 rtc;
    Uart16550 com1;
    I8042 kbc;
    Port92 port92;
    PciBus pci;                 /* bus 0 behind 0xCF8/0xCFC */
    I440fx i440fx;              /* 00:00.0 host bridge, 00:01.0 PIIX3 ISA bridge */
    FwCfg fw_cfg;               /* 0x510/0x511/0x514: what the host was asked to boot (fw_cfg.h) */
    PiixIde ide;                /* 00:01.1 IDE: 1F0h/3F6h IRQ14, 170h/376h IRQ15, bus master IDE */
    Piix4Pm pm;                 /* 00:01.3 ACPI PM: PM1/PM timer/GPE0 at PMBA, SCI on IRQ 9, soft off; APM 0xB2 */
    bool a20_kbc, a20_port92;   /* the two A20 gates (the line is their OR) */
    bool ferr, ferr_latch;      /* the CPU's FERR# level; the IRQ13 latch it sets and port F0H clears */
    int input_fd;
    /* Optional: sees COM1's input bytes first (the terminal's escape keys); returns how many remain in buf. */
    size_t (*input_filter)(void *opaque, uint8_t *buf, size_t n);
    void *input_filter_opaque;
    Timer input_timer;
} PcBoard;

enum { PC_COM1_BASE = 0x3f8, PC_COM1_IRQ = 4, PC_PIT_IRQ = 0, PC_KBD_IRQ = 1, PC_AUX_IRQ = 12, PC_RTC_IRQ = 8,
       PC_FPU_IRQ = 13, PC_IDE0_IRQ = 14, PC_IDE1_IRQ = 15, PC_SCI_IRQ = 9 };

/* Create and wire the devices on m (m->cpu must be set: the clock reads its icount, A20 writes its a20_mask).
 * Returns 0, or -1 if a port is already taken. */
int pc_init(PcBoard *pc, Machine *m, const PcConfig *cfg);
/* Release what pc_init allocated (fw_cfg items). */
void pc_free(PcBoard *pc);
/* Machine reset (RESET#): every device to its power-on state except the RTC's time and CMOS RAM. */
void pc_reset(PcBoard *pc);
/* The ISA IRQ line n (0-15) as an IrqLine, for other devices of the board. */
IrqLine pc_isa_irq(PcBoard *pc, int n);

#endif
