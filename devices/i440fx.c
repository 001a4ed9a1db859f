/* i440fx.c — the i440FX host bridge (82441FX PMC) and the PIIX3 ISA bridge (82371SB function 0) as PCI
 * functions: identity registers firmware and Linux match on, the PAM0-6 shadow-RAM attribute registers and the
 * PIRQ route registers, kept so the board and later PCI devices can act on them.
 * Invariants: only registers listed here are guest-writable (everything else keeps its reset value); PAM and
 * PIRQRC values are stored exactly as written (the masks drop reserved bits).
 * PCI INTx routing (82371SB 2.2.x PIRQRC): the level of PIRQn is the OR of the INTx pins swizzled onto it; each
 * ISA IRQ named by an enabled PIRQRC is the OR of its PIRQs (several PIRQs may share one IRQ). Reset control
 * (82371SB RC, port CF9h): bit 2 (RCPU) going 0 → 1 resets — with bit 1 (SRST) set a hard reset, else a soft one;
 * both become the machine reset request (XXX: a soft reset should be INIT only: the CPU, not the devices).
 * Left out: DRAM row boundaries / SMRAM / the error registers of the PMC; the PIIX3's ISA-side registers other
 * than PIRQRC (top-of-memory, XBCS, APIC base, SMI); an ISA device sharing an IRQ with routed INTx (the PIC input
 * takes the last level driven).
 * PAM (82441FX 3.2.18): i440fx_pam_attr decodes a segment's read/write enables; the board hands it to the bus as
 * Machine.pam_attr, which routes 0xC0000-0xFFFFF accordingly (bus.c), and a PAM write calls pam_changed so the
 * board drops cached mappings and translations of the window. */
#include <string.h>
#include "i440fx.h"

static void piix3_config_write(PciDevice *d, uint32_t off, uint32_t val, int size)
{
    if (off < PIIX3_PIRQRC + PIIX3_NUM_PIRQ && off + (uint32_t)size > PIIX3_PIRQRC)
        piix3_route_intx(d->opaque);
}

static void piix3_intx_changed(void *opaque)
{
    piix3_route_intx(opaque);
}

static uint8_t piix3_rc_read(void *opaque)
{
    return ((I440fx *)opaque)->rc;
}

static void piix3_rc_write(void *opaque, uint8_t val)
{
    I440fx *c = opaque;
    uint8_t old = c->rc;
    c->rc = val & (PIIX3_RC_SRST | PIIX3_RC_RCPU);
    if ((val & PIIX3_RC_RCPU) && !(old & PIIX3_RC_RCPU)) {
        irq_raise(&c->reset);
        irq_lower(&c->reset);
    }
}

static void i440fx_host_config_write(PciDevice *d, uint32_t off, uint32_t val, int size)
{
    I440fx *c = d->opaque;
    if (off < I440FX_PAM0 + I440FX_NUM_PAM && off + (uint32_t)size > I440FX_PAM0) {
        const uint8_t *now = &c->host.config[I440FX_PAM0];
        if (memcmp(c->pam_seen, now, I440FX_NUM_PAM) && c->pam_changed)
            c->pam_changed(c->pam_opaque, c->pam_seen, now);
        memcpy(c->pam_seen, now, I440FX_NUM_PAM);
    }
}

int i440fx_pam_hook(void *opaque, uint32_t pa)
{
    return i440fx_pam_attr(opaque, pa);
}

void i440fx_init(I440fx *c)
{
    memset(c, 0, sizeof(*c));
    /* 82441FX PMC: host bridge class 06/00/00, revision 02 (as QEMU's and real boards report) */
    pci_device_init(&c->host, 0x8086, 0x1237, 0x02, 0x060000, 0x00);
    c->host.opaque = c;
    c->host.config_write = i440fx_host_config_write;
    c->host.wmask[PCI_COMMAND] = 0;             /* the PMC's command bits are hard-wired */
    c->host.wmask[PCI_COMMAND + 1] = 0;
    c->host.wmask[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < I440FX_NUM_PAM; i++)
        c->host.wmask[I440FX_PAM0 + i] = i == 0 ? 0x30 : 0x33;   /* PAM0's low nibble is reserved */
    /* 82371SB function 0: ISA bridge class 06/01/00, multi-function (IDE and USB follow at 01.1, 01.2) */
    pci_device_init(&c->isa, 0x8086, 0x7000, 0x00, 0x060100, PCI_HEADER_MULTI_FUNCTION);
    c->isa.opaque = c;
    c->isa.config_write = piix3_config_write;
    c->isa.wmask[PCI_COMMAND] = 0;
    c->isa.wmask[PCI_COMMAND + 1] = 0;
    c->isa.wmask[PCI_INTERRUPT_LINE] = 0;
    for (int i = 0; i < PIIX3_NUM_PIRQ; i++)
        c->isa.wmask[PIIX3_PIRQRC + i] = 0x8f;  /* bit 7 disable, bits 3:0 IRQ number */
    i440fx_reset(c);
}

void i440fx_reset(I440fx *c)
{
    /* 82441FX datasheet: command 0006h (memory and bus master always on), status 0280h; PAM all 0 (ROM) */
    c->host.config[PCI_COMMAND] = 0x06;
    c->host.config[PCI_STATUS] = 0x80;
    c->host.config[PCI_STATUS + 1] = 0x02;
    memset(&c->host.config[I440FX_PAM0], 0, I440FX_NUM_PAM);
    if (memcmp(c->pam_seen, &c->host.config[I440FX_PAM0], I440FX_NUM_PAM) && c->pam_changed)
        c->pam_changed(c->pam_opaque, c->pam_seen, &c->host.config[I440FX_PAM0]);
    memset(c->pam_seen, 0, I440FX_NUM_PAM);
    /* 82371SB: command 0007h, status 0200h, PIRQRC reset 80h (disabled) */
    c->isa.config[PCI_COMMAND] = 0x07;
    c->isa.config[PCI_STATUS + 1] = 0x02;
    memset(&c->isa.config[PIIX3_PIRQRC], PIIX3_PIRQ_DISABLE, PIIX3_NUM_PIRQ);
    c->rc = 0;
    piix3_route_intx(c);
}

int i440fx_attach(I440fx *c, PciBus *bus)
{
    if (pci_register(bus, &c->host, 0 << 3 | 0) < 0 || pci_register(bus, &c->isa, 1 << 3 | 0) < 0)
        return -1;
    bus->intx_changed = piix3_intx_changed;
    bus->intx_opaque = c;
    bus->cf9_read = piix3_rc_read;
    bus->cf9_write = piix3_rc_write;
    bus->cf9_opaque = c;
    return 0;
}

int pci_intx_pirq(int devfn, int pin)
{
    return ((devfn >> 3) - 1 + pin - 1) & 3;
}

void piix3_route_intx(I440fx *c)
{
    PciBus *bus = c->isa.bus;
    uint8_t pirq = 0;
    for (int devfn = 0; bus && devfn < PCI_MAX_DEVFN; devfn++) {
        const PciDevice *d = bus->dev[devfn];
        if (d && pci_intx_asserted(d))
            pirq |= (uint8_t)(1u << pci_intx_pirq(devfn, d->config[PCI_INTERRUPT_PIN]));
    }
    uint16_t level = 0;
    for (int n = 0; n < PIIX3_NUM_PIRQ; n++) {
        int irq = piix3_pirq_irq(c, n);
        if (irq >= 0 && (pirq & (1u << n)))
            level |= (uint16_t)(1u << irq);
    }
    uint16_t changed = level ^ c->isa_level;
    c->isa_level = level;
    for (int irq = 0; irq < 16; irq++)
        if (changed & (1u << irq))
            irq_set(&c->isa_irq[irq], (level >> irq) & 1);
}

int piix3_pirq_irq(const I440fx *c, int pirq)
{
    if (pirq < 0 || pirq >= PIIX3_NUM_PIRQ)
        return -1;
    uint8_t r = c->isa.config[PIIX3_PIRQRC + pirq];
    int irq = r & 0x0f;
    /* IRQ 0-2, 8 and 13 are reserved values in PIRQRC */
    if ((r & PIIX3_PIRQ_DISABLE) || irq < 3 || irq == 8 || irq == 13)
        return -1;
    return irq;
}

int i440fx_pam_attr(const I440fx *c, uint32_t pa)
{
    if (pa < 0xc0000 || pa > 0xfffff)
        return -1;
    if (pa >= 0xf0000)                          /* PAM0 bits 5:4: the 64 KiB BIOS area */
        return (c->host.config[I440FX_PAM0] >> 4) & 3;
    uint32_t seg = (pa - 0xc0000) >> 14;        /* 16 KiB segments: PAM1 low nibble = C0000-C3FFF, ... */
    uint8_t r = c->host.config[I440FX_PAM0 + 1 + seg / 2];
    return (seg & 1 ? r >> 4 : r) & 3;
}
