/* pci.h — PCI bus 0 behind configuration mechanism #1 (ports 0xCF8 address, 0xCFC-0xCFF data), and the device
 * interface every PCI function implements: 256 bytes of configuration space with a per-byte write mask, optional
 * read/write hooks, up to six BARs whose regions pci.c maps onto the Machine bus while the command register enables
 * them (PCI Local Bus Specification 3.0, sections 3.2.2.3.2 and 6.2).
 * INTx: a device drives its interrupt pin with pci_set_irq; the bus hands the (Interrupt Disable-gated) level to
 * its router (the PIIX3's PIRQ registers, i440fx.c), which wire-ORs the pins sharing a route.
 * Left out: other buses (PCI-to-PCI bridges), 64-bit BARs, expansion ROM BARs, capabilities lists, MSI, the
 * status register's write-one-to-clear bits (status is read-only here). */
#ifndef PCJIT_PCI_H
#define PCJIT_PCI_H
#include <stdint.h>
#include <stdbool.h>
#include "bus.h"

enum {
    PCI_VENDOR_ID = 0x00, PCI_DEVICE_ID = 0x02, PCI_COMMAND = 0x04, PCI_STATUS = 0x06, PCI_REVISION_ID = 0x08,
    PCI_CLASS_PROG = 0x09, PCI_CLASS_DEVICE = 0x0a, PCI_HEADER_TYPE = 0x0e, PCI_BAR0 = 0x10,
    PCI_INTERRUPT_LINE = 0x3c, PCI_INTERRUPT_PIN = 0x3d,
    PCI_COMMAND_INTX_DISABLE = 0x400, PCI_STATUS_INTERRUPT = 0x08,
    PCI_COMMAND_IO = 0x1, PCI_COMMAND_MEMORY = 0x2, PCI_COMMAND_MASTER = 0x4,
    PCI_BAR_IO = 0x1,                 /* bit 0 of a BAR: I/O space */
    PCI_HEADER_MULTI_FUNCTION = 0x80,
    PCI_MAX_DEVFN = 256,              /* 32 devices x 8 functions */
    PCI_NUM_BARS = 6,
    PCI_CONFIG_ADDRESS = 0xcf8, PCI_CONFIG_DATA = 0xcfc,
};

typedef struct PciDevice PciDevice;

typedef struct PciBar {
    uint32_t size;                    /* power of two (I/O >= 4, memory >= 16), 0 = BAR not implemented */
    bool io;
    BusReadFn read;                   /* the region's callbacks, offsets relative to the BAR's base */
    BusWriteFn write;
    void *opaque;
    const char *name;
    bool mapped;                      /* registered on the Machine bus at mapped_base */
    uint32_t mapped_base;
} PciBar;

struct PciDevice {
    uint8_t config[256];
    uint8_t wmask[256];               /* bits the guest may change; the rest keep their value */
    PciBar bar[PCI_NUM_BARS];
    /* Optional hooks: read may replace the value of bytes [off, off+size); write runs after the masked store. */
    uint32_t (*config_read)(PciDevice *d, uint32_t off, uint32_t val, int size);
    void (*config_write)(PciDevice *d, uint32_t off, uint32_t val, int size);
    void *opaque;
    struct PciBus *bus;
    int devfn;
    uint8_t intx;                     /* the level the device drives on its INTx pin (pci_set_irq) */
};

typedef struct PciBus {
    Machine *m;
    PciDevice *dev[PCI_MAX_DEVFN];
    uint32_t config_address;          /* the 0xCF8 register */
    /* INTx router: called when a function's effective INTx level (pin driven and not Interrupt Disabled) may
     * have changed; NULL: interrupts go nowhere */
    void (*intx_changed)(void *opaque);
    void *intx_opaque;
    /* byte port 0xCF9 (inside CONFIG_ADDRESS's dword): the PIIX3's reset control register; NULL: unclaimed */
    uint8_t (*cf9_read)(void *opaque);
    void (*cf9_write)(void *opaque, uint8_t val);
    void *cf9_opaque;
} PciBus;

void pci_bus_init(PciBus *bus, Machine *m);
/* Claim ports 0xCF8-0xCFF; -1 if they are taken. */
int pci_bus_attach(PciBus *bus);
/* Fill in the identity of a function (zeroes the rest of its config space; command, BARs and interrupt line are
 * writable, everything else read-only until the caller widens wmask). */
void pci_device_init(PciDevice *d, uint16_t vendor, uint16_t device, uint8_t rev, uint32_t class_code,
                     uint8_t header_type);
/* Declare BAR n (before pci_register); size a power of two. */
void pci_device_set_bar(PciDevice *d, int n, bool io, uint32_t size, BusReadFn rd, BusWriteFn wr, void *opaque,
                        const char *name);
/* Put d on the bus at devfn = device << 3 | function; -1 if the slot is taken or out of range. */
int pci_register(PciBus *bus, PciDevice *d, int devfn);
/* Reset: command 0, BARs and interrupt line to 0 (their regions unmapped); identity registers untouched. */
void pci_device_reset(PciDevice *d);
/* Configuration space access for one function: what a guest sees through 0xCFC (byte/word/dword at any offset
 * that does not cross the 256-byte space). Exposed for tests and for firmware-side helpers. */
uint32_t pci_config_read(PciDevice *d, uint32_t off, int size);
void pci_config_write(PciDevice *d, uint32_t off, uint32_t val, int size);
/* Drive d's interrupt pin (config 3Dh: 1 = INTA# .. 4 = INTD#; 0 = none) to level. Also kept in the status
 * register's Interrupt Status bit; the command register's Interrupt Disable bit masks it (PCI 3.0, 6.2.2-6.2.3). */
void pci_set_irq(PciDevice *d, int level);
/* The level d presents to the router now: driven, a pin present and not disabled. */
bool pci_intx_asserted(const PciDevice *d);
/* Bus-level access by bus/devfn: absent functions read all ones. */
uint32_t pci_bus_config_read(PciBus *bus, int busnum, int devfn, uint32_t off, int size);
void pci_bus_config_write(PciBus *bus, int busnum, int devfn, uint32_t off, uint32_t val, int size);

#endif
