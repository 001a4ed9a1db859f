/* pci.c — PCI bus 0, configuration mechanism #1 and BAR mapping (PCI Local Bus Specification 3.0, 3.2.2.3.2 for
 * the 0xCF8/0xCFC mechanism, 6.2.5 for base address registers).
 * Invariants: a config access reaches a function only when 0xCF8 bit 31 is set and the bus number is 0; absent
 * functions read all ones and ignore writes; every guest write goes through the per-byte write mask, so a BAR
 * written with all ones reads back ~(size-1) plus its type bits (the sizing protocol); a BAR's region is on the
 * Machine bus exactly while its command-register enable bit is set and its base is a valid, non-zero address,
 * and it is moved (unregister + register) whenever the command register or the BAR changes.
 * Left out: buses other than 0 (type 1 config cycles read all ones), 64-bit and prefetchable-window BARs, expansion
 * ROM BARs, byte accesses to 0xCF8 (real chipsets forward them to ISA; here they read all ones and are ignored),
 * status-register write-one-to-clear. Port 0xCF9 (a byte inside CONFIG_ADDRESS) goes to the PIIX3's reset control
 * hook (i440fx.c). */
#include <stdio.h>
#include <string.h>
#include "pci.h"

static uint32_t pci_size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

void pci_bus_init(PciBus *bus, Machine *m)
{
    memset(bus, 0, sizeof(*bus));
    bus->m = m;
}

void pci_device_init(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code,
                     uint8_t header_type)
{
    memset(d, 0, sizeof(*d));
    d->config[0x00] = (uint8_t)vendor;
    d->config[0x01] = (uint8_t)(vendor >> 8);
    d->config[0x02] = (uint8_t)device;
    d->config[0x03] = (uint8_t)(device >> 8);
    d->config[PCI_REVISION_ID] = rev;
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    d->config[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
    d->config[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
    d->config[PCI_HEADER_TYPE] = header_type;
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    d->wmask[PCI_COMMAND + 1] = 0x04;          /* interrupt disable (bit 10) */
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;       /* scratch for the firmware: the IRQ it routed */
    d->devfn = -1;
}

void pci_device_set_bar(PciDevice *d, int n, bool io, uint32_t size, BusReadFn rd, BusWriteFn wr, void *opaque,
                        const char *name)
{
    if (n < 0 || n >= PCI_NUM_BARS || size < (io ? 4u : 16u) || (size & (size - 1)))
        return;
    d->bar[n] = (PciBar){ .size = size, .io = io, .read = rd, .write = wr, .opaque = opaque, .name = name };
    uint32_t mask = ~(size - 1) & (io ? ~0x3u : ~0xfu);
    uint32_t off = PCI_BAR0 + 4u * (uint32_t)n;
    d->config[off] = io ? PCI_BAR_IO : 0;      /* memory: 32-bit, not prefetchable */
    for (int i = 0; i < 4; i++)
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

int pci_register(PciBus *bus, PciDevice *d, int devfn)
{
    if (devfn < 0 || devfn >= PCI_MAX_DEVFN || bus->dev[devfn])
        return -1;
    bus->dev[devfn] = d;
    d->bus = bus;
    d->devfn = devfn;
    return 0;
}

static uint32_t pci_bar_value(const PciDevice *d, int n)
{
    const uint8_t *p = &d->config[PCI_BAR0 + 4 * n];
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Where BAR n should be mapped now, or false if it should not be (decode disabled, base 0, or out of range:
 * a BAR still holding the sizing pattern must not claim the top of the address space). */
static bool pci_bar_target(const PciDevice *d, int n, uint32_t *base)
{
    const PciBar *b = &d->bar[n];
    uint16_t cmd = (uint16_t)(d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8);
    if (!b->size || !(cmd & (b->io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)))
        return false;
    uint32_t addr = pci_bar_value(d, n) & ~(b->size - 1) & (b->io ? ~0x3u : ~0xfu);
    if (addr == 0)
        return false;
    if (b->io)
        return (*base = addr) <= 0x10000 - b->size;
    *base = addr;
    return (uint64_t)addr + b->size <= 0x100000000ull - (d->bus->m->rom_size ? d->bus->m->rom_size : 0);
}

static void pci_update_mappings(PciDevice *d)
{
    if (!d->bus)
        return;
    Machine *m = d->bus->m;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        PciBar *b = &d->bar[n];
        uint32_t base = 0;
        bool want = pci_bar_target(d, n, &base);
        if (b->mapped && (!want || base != b->mapped_base)) {
            if (b->io)
                bus_unregister_io(m, b->mapped_base, b->size);
            else
                bus_unregister_mmio(m, b->mapped_base, b->size);
            b->mapped = false;
        }
        if (want && !b->mapped) {
            int rc = b->io ? bus_register_io(m, base, b->size, b->read, b->write, b->opaque, b->name)
                           : bus_register_mmio(m, base, b->size, b->read, b->write, b->opaque, b->name);
            if (rc < 0)   /* overlaps another device: the guest's mistake; the BAR decodes nothing */
                fprintf(stderr, "pcjit: pci %02x.%d BAR%d: cannot map %s at 0x%x (size 0x%x): overlap\n",
                        d->devfn >> 3, d->devfn & 7, n, b->io ? "I/O" : "memory", base, b->size);
            b->mapped = rc == 0;
            b->mapped_base = base;
        }
    }
}

void pci_device_reset(PciDevice *d)
{
    d->config[PCI_COMMAND] = 0;
    d->config[PCI_COMMAND + 1] = 0;
    for (int n = 0; n < PCI_NUM_BARS; n++)
        if (d->bar[n].size) {
            memset(&d->config[PCI_BAR0 + 4 * n], 0, 4);
            d->config[PCI_BAR0 + 4 * n] = d->bar[n].io ? PCI_BAR_IO : 0;
        }
    d->config[PCI_INTERRUPT_LINE] = 0;
    pci_update_mappings(d);
}

bool pci_intx_asserted(const PciDevice *d)
{
    uint16_t cmd = (uint16_t)(d->config[PCI_COMMAND] | d->config[PCI_COMMAND + 1] << 8);
    uint8_t pin = d->config[PCI_INTERRUPT_PIN];
    return d->intx && pin >= 1 && pin <= 4 && !(cmd & PCI_COMMAND_INTX_DISABLE);
}

static void pci_intx_notify(PciDevice *d)
{
    if (d->bus && d->bus->intx_changed)
        d->bus->intx_changed(d->bus->intx_opaque);
}

void pci_set_irq(PciDevice *d, int level)
{
    level = level != 0;
    if (d->intx == level)
        return;
    d->intx = (uint8_t)level;
    if (level)
        d->config[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
    else
        d->config[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
    pci_intx_notify(d);
}

uint32_t pci_config_read(PciDevice *d, uint32_t off, int size)
{
    if (off > 256u - (uint32_t)size)
        return pci_size_mask(size);
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)d->config[off + i] << (8 * i);
    if (d->config_read)
        v = d->config_read(d, off, v, size) & pci_size_mask(size);
    return v;
}

void pci_config_write(PciDevice *d, uint32_t off, uint32_t val, int size)
{
    if (off > 256u - (uint32_t)size)
        return;
    for (int i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i)), w = d->wmask[off + i];
        d->config[off + i] = (uint8_t)((d->config[off + i] & ~w) | (b & w));
    }
    if (d->config_write)
        d->config_write(d, off, val, size);
    /* the command register or a BAR changed: move the regions (PCI 3.0, 6.2.2 and 6.2.5.1) */
    if (off < PCI_BAR0 + 4 * PCI_NUM_BARS && off + (uint32_t)size > PCI_COMMAND)
        pci_update_mappings(d);
    if (off < PCI_COMMAND + 2 && off + (uint32_t)size > PCI_COMMAND + 1 && d->intx)
        pci_intx_notify(d);          /* Interrupt Disable may have changed */
}

uint32_t pci_bus_config_read(PciBus *bus, int busnum, int devfn, uint32_t off, int size)
{
    if (busnum != 0 || devfn < 0 || devfn >= PCI_MAX_DEVFN || !bus->dev[devfn])
        return pci_size_mask(size);   /* master abort: all ones */
    return pci_config_read(bus->dev[devfn], off, size);
}

void pci_bus_config_write(PciBus *bus, int busnum, int devfn, uint32_t off, uint32_t val, int size)
{
    if (busnum == 0 && devfn >= 0 && devfn < PCI_MAX_DEVFN && bus->dev[devfn])
        pci_config_write(bus->dev[devfn], off, val, size);
}

/* 0xCF8: only a dword access reaches CONFIG_ADDRESS (3.2.2.3.2); bits 1:0 read back as 0 on the i440FX. */
static uint32_t pci_addr_read(void *opaque, uint32_t addr, int size)
{
    PciBus *bus = opaque;
    if (addr == 1 && size == 1 && bus->cf9_read)
        return bus->cf9_read(bus->cf9_opaque);
    return (addr == 0 && size == 4) ? bus->config_address : pci_size_mask(size);
}

static void pci_addr_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    PciBus *bus = opaque;
    if (addr == 1 && size == 1 && bus->cf9_write)
        bus->cf9_write(bus->cf9_opaque, (uint8_t)val);
    if (addr == 0 && size == 4)
        bus->config_address = val & 0x80fffffcu;   /* reserved bits 30:24 read as 0 */
}

/* 0xCFC-0xCFF: the byte lane within the dword CONFIG_ADDRESS selects. */
static uint32_t pci_data_read(void *opaque, uint32_t addr, int size)
{
    PciBus *bus = opaque;
    uint32_t a = bus->config_address;
    if (!(a & 0x80000000u) || addr + (uint32_t)size > 4)
        return pci_size_mask(size);
    return pci_bus_config_read(bus, (a >> 16) & 0xff, (a >> 8) & 0xff, (a & 0xfc) + addr, size);
}

static void pci_data_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    PciBus *bus = opaque;
    uint32_t a = bus->config_address;
    if (!(a & 0x80000000u) || addr + (uint32_t)size > 4)
        return;
    pci_bus_config_write(bus, (a >> 16) & 0xff, (a >> 8) & 0xff, (a & 0xfc) + addr, val, size);
}

int pci_bus_attach(PciBus *bus)
{
    if (bus_register_io(bus->m, PCI_CONFIG_ADDRESS, 4, pci_addr_read, pci_addr_write, bus, "pci-addr") < 0 ||
        bus_register_io(bus->m, PCI_CONFIG_DATA, 4, pci_data_read, pci_data_write, bus, "pci-data") < 0)
        return -1;
    return 0;
}
