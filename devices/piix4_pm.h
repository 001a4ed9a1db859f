/* piix4_pm.h — the PIIX4 power management function (82371AB function 3, PCI 00:01.3, 8086:7113 rev 03, class
 * 06/80/00) as the ACPI hardware of the PC board: the PM I/O block at PMBA (config 40h, bits 15:6; enabled by
 * PMREGMISC 80h bit 0) with PM1 status/enable/control, the 24-bit 3.579545 MHz PM timer and GPE0, the SCI on
 * IRQ 9 (level), and the soft-off sleep state. 82371AB datasheet 3.x (function 3 configuration) and 7.x (PM I/O
 * registers); ACPI 1.0b/2.0 4.7.3 for the fixed-hardware semantics.
 * Also the APM control/status ports 0xB2/0xB3 (APMC/APMS): pcjit has no SMM, so DEVACTB (config 58h) reads with
 * APMC_EN (bit 25) set — "SMI on APMC writes is already set up", which keeps SeaBIOS from installing an SMM handler
 * it would wait on forever (QEMU does the same without SMM) — and writing the FADT's ACPI_ENABLE (F1h) or
 * ACPI_DISABLE (F0h) to APMC does what that handler would: set or clear SCI_EN.
 * Left out: SMBus (config 90h/D2h stored only), the device monitors/GLBSTS/DEVSTS traps (read 0, logged once;
 * GLBCTL/DEVCTL stored),
 * sleep states other than soft off (logged once, ignored), processor throttling (PCNTRL stored, P_LVL2/3 read 0). */
#ifndef PCJIT_PIIX4_PM_H
#define PCJIT_PIIX4_PM_H
#include <stdint.h>
#include "pci.h"
#include "clock.h"
#include "irq.h"

enum {
    PM_TIMER_HZ = 3579545,
    PIIX4_PMBA = 0x40, PIIX4_DEVACTB = 0x58, PIIX4_PMREGMISC = 0x80,
    PIIX4_DEVACTB_APMC_EN = 1u << 25, PIIX4_SMBBA = 0x90, PIIX4_SMBHSTCFG = 0xd2,
    PM_IO_SIZE = 64,
    /* PM I/O registers (offsets from PMBA) */
    PM1_STS = 0x00, PM1_EN = 0x02, PM1_CNT = 0x04, PM_TMR = 0x08, GPE0_STS = 0x0c, GPE0_EN = 0x0e,
    PM_PCNTRL = 0x10, PM_GLBCTL = 0x28, PM_DEVCTL = 0x2c,
    /* PM1 status/enable bits */
    PM1_TMR = 0x0001, PM1_BM = 0x0010, PM1_GBL = 0x0020, PM1_PWRBTN = 0x0100, PM1_RTC = 0x0400,
    PM1_PWRBTNOR = 0x0800, PM1_WAK = 0x8000,
    /* PM1 control */
    PM1_SCI_EN = 0x0001, PM1_BM_RLD = 0x0002, PM1_GBL_RLS = 0x0004, PM1_SLP_TYP_SHIFT = 10, PM1_SLP_TYP = 0x1c00,
    PM1_SLP_EN = 0x2000,
    APM_CNT_PORT = 0xb2, ACPI_ENABLE_CMD = 0xf1, ACPI_DISABLE_CMD = 0xf0,
};

typedef struct Piix4PmState {
    uint16_t pm1_sts, pm1_en, pm1_cnt, gpe0_sts, gpe0_en;
    uint32_t pcntrl, glbctl, devctl;  /* stored: they control SMI generation, and there is no SMM */
    uint64_t tmr_period;          /* PM timer ticks >> 23 when TMR_STS was last brought up to date */
    uint8_t apmc, apms;
} Piix4PmState;

typedef struct Piix4Pm {
    PciDevice pci;
    Piix4PmState s;
    Machine *m;
    Clock *clock;
    IrqLine sci;
    int sci_level;
    Timer timer;                  /* the next bit-23 toggle of the PM timer, while TMR_EN is set */
    bool mapped;
    uint32_t mapped_base;
} Piix4Pm;

void piix4_pm_init(Piix4Pm *p, Machine *m, Clock *clock, IrqLine sci);
/* Put the function on bus at 00:01.3 and claim ports 0xB2-0xB3; -1 if taken. */
int piix4_pm_attach(Piix4Pm *p, PciBus *bus);
void piix4_pm_reset(Piix4Pm *p);
/* The PM timer's value now (24 bits). */
uint32_t piix4_pm_timer(Piix4Pm *p);
/* A press of the power button (PWRBTN_STS; an SCI if PWRBTN_EN): for a host-side "shut down" request. */
void piix4_pm_power_button(Piix4Pm *p);

#endif
