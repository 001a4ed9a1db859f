/* i440fx.h — the i440FX PCI host bridge (PMC, 00:00.0, 8086:1237) and the PIIX3 PCI-to-ISA bridge function
 * (00:01.0, 8086:7000) of the PC board, as PCI functions on a PciBus.
 * The PIIX3 also routes PCI INTx: pin n of a function in slot s drives PIRQ[(s - 1 + n - 1) mod 4] (the
 * QEMU/SeaBIOS swizzle of the PC's PCI slots, which firmware's $PIR and ACPI _PRT tables must describe), the
 * PIRQs wire-OR onto the ISA IRQ their PIRQRC names; and it holds the reset control register at port 0xCF9.
 * Left out: the IDE (01.1, piix_ide.c) and USB (01.2) functions; the PIIX4 ACPI function is piix4_pm.c. */
#ifndef PCJIT_I440FX_H
#define PCJIT_I440FX_H
#include "pci.h"

enum {
    I440FX_PAM0 = 0x59, I440FX_NUM_PAM = 7,       /* PAM0-PAM6 at 0x59-0x5F */
    PIIX3_PIRQRC = 0x60, PIIX3_NUM_PIRQ = 4,      /* PIRQRC[A:D] at 0x60-0x63 */
    PIIX3_PIRQ_DISABLE = 0x80,
    PIIX3_RC_SRST = 0x02, PIIX3_RC_RCPU = 0x04,  /* port CF9h: system (hard) reset select, reset CPU */
};

typedef struct I440fx {
    PciDevice host;     /* 00:00.0 */
    PciDevice isa;      /* 00:01.0 */
    uint8_t rc;         /* reset control (CF9h) */
    uint8_t pam_seen[7];/* the PAM values last reported through pam_changed */
    uint16_t isa_level; /* the ISA IRQs PCI INTx drives high now (bit n = IRQ n) */
    IrqLine isa_irq[16];/* where routed INTx goes (the PIC's inputs); unconnected by default */
    IrqLine reset;      /* CF9h reset: pulsed high */
    /* A PAM register changed (old and new values of the 7 registers): the board flushes what caches the mapping
     * of 0xC0000-0xFFFFF (TLB, translations). NULL: nothing to tell. */
    void (*pam_changed)(void *opaque, const uint8_t old[7], const uint8_t now[7]);
    void *pam_opaque;
} I440fx;

void i440fx_init(I440fx *c);
/* Put both functions on bus 0; -1 if their slots are taken. */
int i440fx_attach(I440fx *c, PciBus *bus);
void i440fx_reset(I440fx *c);
/* The ISA IRQ (3-15) PIRQ line pirq (0 = PIRQA .. 3 = PIRQD) is routed to, or -1 if routing is disabled or
 * names a reserved IRQ (82371SB datasheet, PIRQRC registers). For the PCI devices that raise INTx. */
int piix3_pirq_irq(const I440fx *c, int pirq);
/* The PIRQ (0-3) that INTx pin (1 = INTA# .. 4 = INTD#) of the function at devfn drives on this board. */
int pci_intx_pirq(int devfn, int pin);
/* Recompute every routed ISA level from the functions' INTx pins and the PIRQRC registers (the bus's router hook;
 * also run after a PIRQRC write). */
void piix3_route_intx(I440fx *c);
/* PAM attribute of the shadow segment holding physical address pa (0xC0000-0xFFFFF): bit 0 = reads go to DRAM,
 * bit 1 = writes go to DRAM; -1 outside the window. */
int i440fx_pam_attr(const I440fx *c, uint32_t pa);
/* The same as a Machine.pam_attr hook (opaque = the I440fx): the board routes 0xC0000-0xFFFFF by it. */
int i440fx_pam_hook(void *opaque, uint32_t pa);

#endif
