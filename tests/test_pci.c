/* test_pci.c — PCI configuration mechanism #1 through ports 0xCF8/0xCFC on a bare Machine with the i440FX host
 * bridge and PIIX3 ISA bridge attached, plus a test function with one I/O and one memory BAR: enumeration of bus 0
 * (exactly the two chipset functions, with their IDs and class codes), byte/word/dword access at every offset,
 * the enable bit, absent functions and other buses reading all ones, read-only bytes, BAR sizing, BAR regions
 * following the command register's I/O and memory enables and moving with the BAR, PAM and PIRQ registers, PCI
 * INTx through the PIIX3 routes (swizzle, sharing, Interrupt Disable, disabled routes, re-routing), the CF9h reset
 * control, and the board (pc_init) exposing the same bus with the IDE and ACPI PM functions. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "pci.h"
#include "i440fx.h"
#include "pc.h"
#include "harness.h"

static Machine m;
static PciBus pbus;
static I440fx chipset;
static PciDevice tdev;
static uint32_t tdev_io_last, tdev_mem_last;

static uint32_t tdev_io_read(void *opaque, uint32_t addr, int size) { (void)opaque; (void)size; return 0xa0 + addr; }
static void tdev_io_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    (void)opaque; (void)size;
    tdev_io_last = addr << 16 | val;
}
static uint32_t tdev_mem_read(void *opaque, uint32_t addr, int size) { (void)opaque; (void)size; return 0x5000 + addr; }
static void tdev_mem_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    (void)opaque; (void)size;
    tdev_mem_last = addr << 16 | val;
}

static IrqSink sink;

static void setup(void)
{
    memset(&sink, 0, sizeof(sink));
    bus_init(&m, 1 << 20);
    pci_bus_init(&pbus, &m);
    ck_assert_int_eq(pci_bus_attach(&pbus), 0);
    i440fx_init(&chipset);
    ck_assert_int_eq(i440fx_attach(&chipset, &pbus), 0);
    for (int n = 0; n < 16; n++)
        chipset.isa_irq[n] = irq_line(irq_sink_set, &sink, n);
    chipset.reset = irq_line(irq_sink_set, &sink, 0);
    pci_device_init(&tdev, 0x1234, 0x5678, 0x03, 0x020000, 0);    /* "Ethernet controller" at 00:05.0 */
    tdev.config[PCI_INTERRUPT_PIN] = 1;
    pci_device_set_bar(&tdev, 0, true, 0x20, tdev_io_read, tdev_io_write, NULL, "tdev-io");
    pci_device_set_bar(&tdev, 1, false, 0x1000, tdev_mem_read, tdev_mem_write, NULL, "tdev-mem");
    tdev_io_last = tdev_mem_last = 0;
}

static void teardown(void)
{
    bus_free(&m);
}

static uint32_t cfg_addr(int bus, int dev, int fn, int off)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)(off & 0xfc);
}

static uint32_t cfg_read(int bus, int dev, int fn, int off, int size)
{
    bus_io_write(&m, 0xcf8, cfg_addr(bus, dev, fn, off), 4);
    return bus_io_read(&m, 0xcfc + (off & 3), size);
}

static void cfg_write(int bus, int dev, int fn, int off, uint32_t val, int size)
{
    bus_io_write(&m, 0xcf8, cfg_addr(bus, dev, fn, off), 4);
    bus_io_write(&m, 0xcfc + (off & 3), val, size);
}

START_TEST(enumerate_bus0)
{
    int found = 0;
    for (int dev = 0; dev < 32; dev++)
        for (int fn = 0; fn < 8; fn++) {
            uint32_t id = cfg_read(0, dev, fn, 0, 4);
            if (id == 0xffffffffu)
                continue;
            uint32_t cls = cfg_read(0, dev, fn, 8, 4) >> 8;
            uint8_t hdr = (uint8_t)cfg_read(0, dev, fn, PCI_HEADER_TYPE, 1);
            if (dev == 0 && fn == 0) {
                ck_assert_uint_eq(id, 0x12378086u);
                ck_assert_uint_eq(cls, 0x060000u);
                ck_assert_uint_eq(hdr & 0x7f, 0);
            } else if (dev == 1 && fn == 0) {
                ck_assert_uint_eq(id, 0x70008086u);
                ck_assert_uint_eq(cls, 0x060100u);
                ck_assert_uint_eq(hdr, 0x80);
            } else {
                ck_abort_msg("unexpected function %02x.%d id %08x", dev, fn, id);
            }
            found++;
        }
    ck_assert_int_eq(found, 2);
    ck_assert_uint_eq(cfg_read(0, 0, 0, PCI_REVISION_ID, 1), 0x02);
}
END_TEST

START_TEST(byte_and_word_access)
{
    /* every byte lane of the vendor/device dword, and words at both halves */
    static const uint8_t want[4] = { 0x86, 0x80, 0x37, 0x12 };
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(cfg_read(0, 0, 0, i, 1), want[i]);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0, 2), 0x8086);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 2, 2), 0x1237);
    ck_assert_uint_eq(cfg_read(0, 1, 0, 0x0a, 2), 0x0601);
    /* PAM registers: byte writes at odd offsets, read back as bytes, words and dwords */
    cfg_write(0, 0, 0, 0x5a, 0x33, 1);
    cfg_write(0, 0, 0, 0x5b, 0x31, 1);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x5a, 2), 0x3133);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x58, 4), 0x31330000u);
    cfg_write(0, 0, 0, 0x5e, 0x1122, 2);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x5e, 1), 0x22);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x5f, 1), 0x11);
    /* read-only identity: writes are dropped */
    cfg_write(0, 0, 0, 0, 0xdeadbeef, 4);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0, 4), 0x12378086u);
    /* PAM0's reserved low nibble stays 0; the high nibble is stored */
    cfg_write(0, 0, 0, 0x59, 0xff, 1);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x59, 1), 0x30);
    ck_assert_int_eq(i440fx_pam_attr(&chipset, 0xf1234), 3);
    ck_assert_int_eq(i440fx_pam_attr(&chipset, 0xc4000), 3);   /* PAM1 high nibble 3 (0x33) */
    ck_assert_int_eq(i440fx_pam_attr(&chipset, 0xc8000), 1);   /* PAM2 low nibble 1 (0x31) */
    ck_assert_int_eq(i440fx_pam_attr(&chipset, 0xcc000), 3);   /* PAM2 high nibble 3 */
    ck_assert_int_eq(i440fx_pam_attr(&chipset, 0xbffff), -1);
    /* the 0xCF8 register reads back what was written (minus bits 1:0 and reserved 30:24) */
    bus_io_write(&m, 0xcf8, 0xff00ab07u, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xcf8, 4), 0x8000ab04u);
}
END_TEST

START_TEST(absent_and_disabled)
{
    ck_assert_uint_eq(cfg_read(0, 2, 0, 0, 4), 0xffffffffu);
    ck_assert_uint_eq(cfg_read(0, 31, 7, 0x3c, 1), 0xff);
    ck_assert_uint_eq(cfg_read(0, 0, 1, 0, 2), 0xffff);          /* host bridge is single-function */
    ck_assert_uint_eq(cfg_read(1, 0, 0, 0, 4), 0xffffffffu);     /* only bus 0 exists */
    cfg_write(0, 2, 0, 4, 0xffff, 2);                            /* ignored, no crash */
    /* enable bit clear: data port reads all ones even for a present function, writes do nothing */
    bus_io_write(&m, 0xcf8, 0x00000000u, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xcfc, 4), 0xffffffffu);
    bus_io_write(&m, 0xcf8, 0x0000005cu, 4);
    bus_io_write(&m, 0xcfc, 0x11, 1);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0x5c, 1), 0x00);
    /* PIRQ route registers: reset 0x80 (disabled), writable, decoded */
    ck_assert_uint_eq(cfg_read(0, 1, 0, 0x60, 4), 0x80808080u);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 0), -1);
    cfg_write(0, 1, 0, 0x60, 0x0b0a8b0b, 4);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 0), 11);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 1), -1);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 2), 10);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 3), 11);
    cfg_write(0, 1, 0, 0x63, 0x08, 1);                           /* IRQ 8 is reserved */
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 3), -1);
    ck_assert_int_eq(piix3_pirq_irq(&chipset, 4), -1);
}
END_TEST

START_TEST(bar_sizing)
{
    ck_assert_int_eq(pci_register(&pbus, &tdev, 5 << 3), 0);
    ck_assert_int_eq(pci_register(&pbus, &tdev, 5 << 3), -1);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x10, 4), 0x1);          /* I/O BAR, unassigned */
    cfg_write(0, 5, 0, 0x10, 0xffffffffu, 4);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x10, 4), 0xffffffe1u);  /* size 0x20 */
    cfg_write(0, 5, 0, 0x14, 0xffffffffu, 4);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x14, 4), 0xfffff000u);  /* size 4 KiB, 32-bit, not prefetchable */
    /* unimplemented BARs read 0 whatever is written */
    cfg_write(0, 5, 0, 0x18, 0xffffffffu, 4);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x18, 4), 0);
    /* low bits of an address are dropped, type bits kept */
    cfg_write(0, 5, 0, 0x10, 0xc013, 4);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x10, 4), 0xc001);
    /* interrupt line writable, pin read-only */
    cfg_write(0, 5, 0, 0x3c, 0x0202, 2);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x3c, 2), 0x0102);
}
END_TEST

START_TEST(command_gating)
{
    ck_assert_int_eq(pci_register(&pbus, &tdev, 5 << 3), 0);
    cfg_write(0, 5, 0, 0x10, 0xc000, 4);
    cfg_write(0, 5, 0, 0x14, 0xfebf0000u, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xc004, 1), 0xff);          /* decode off: nothing there */
    ck_assert_uint_eq(bus_phys_read(&m, 0xfebf0010u, 4), 0xffffffffu);
    cfg_write(0, 5, 0, 4, PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(bus_io_read(&m, 0xc004, 1), 0xa4);
    bus_io_write(&m, 0xc01f, 0x5a, 1);
    ck_assert_uint_eq(tdev_io_last, 0x1f005au);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfebf0010u, 4), 0xffffffffu);   /* memory still off */
    cfg_write(0, 5, 0, 4, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 1);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfebf0010u, 4), 0x5010u);
    bus_phys_write(&m, 0xfebf0ffcu, 0x77, 4);
    ck_assert_uint_eq(tdev_mem_last, 0xffc0077u);
    /* move both BARs while enabled: the old addresses go dark, the new ones answer */
    cfg_write(0, 5, 0, 0x10, 0xd000, 4);
    cfg_write(0, 5, 0, 0x14, 0xfe000000u, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xc004, 1), 0xff);
    ck_assert_uint_eq(bus_io_read(&m, 0xd004, 1), 0xa4);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfebf0010u, 4), 0xffffffffu);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfe000020u, 4), 0x5020u);
    /* sizing while enabled must not map the device at the top of the address space */
    cfg_write(0, 5, 0, 0x14, 0xffffffffu, 4);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfe000020u, 4), 0xffffffffu);
    cfg_write(0, 5, 0, 0x14, 0xfe000000u, 4);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfe000020u, 4), 0x5020u);
    /* turning decode off unmaps; many on/off cycles do not exhaust the bus's region slots */
    for (int i = 0; i < 300; i++) {
        cfg_write(0, 5, 0, 4, 0, 2);
        cfg_write(0, 5, 0, 4, 3, 2);
    }
    ck_assert_uint_eq(bus_io_read(&m, 0xd004, 1), 0xa4);
    cfg_write(0, 5, 0, 4, 0, 2);
    ck_assert_uint_eq(bus_io_read(&m, 0xd004, 1), 0xff);
    ck_assert_uint_eq(bus_phys_read(&m, 0xfe000020u, 4), 0xffffffffu);
    /* an I/O BAR overlapping the config ports is refused (decodes nothing) without disturbing 0xCF8 */
    cfg_write(0, 5, 0, 0x10, 0xce0, 4);
    cfg_write(0, 5, 0, 4, 1, 2);
    ck_assert_uint_eq(cfg_read(0, 0, 0, 0, 4), 0x12378086u);
    /* reset clears the command register and BARs and unmaps */
    cfg_write(0, 5, 0, 0x10, 0xd000, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xd004, 1), 0xa4);
    pci_device_reset(&tdev);
    ck_assert_uint_eq(bus_io_read(&m, 0xd004, 1), 0xff);
    ck_assert_uint_eq(cfg_read(0, 5, 0, 0x10, 4), 0x1);
}
END_TEST

START_TEST(intx_routing)
{
    /* tdev is 00:05.0 pin A → PIRQ (5 - 1 + 0) & 3 = 0; a second device at 00:06.0 pin D → (6 - 1 + 3) & 3 = 0 too,
     * and one at 00:07.0 pin A → PIRQC */
    ck_assert_int_eq(pci_register(&pbus, &tdev, 5 << 3), 0);
    PciDevice d6, d7;
    pci_device_init(&d6, 0x1234, 0x0006, 0, 0x020000, 0);
    d6.config[PCI_INTERRUPT_PIN] = 4;
    pci_device_init(&d7, 0x1234, 0x0007, 0, 0x020000, 0);
    d7.config[PCI_INTERRUPT_PIN] = 1;
    ck_assert_int_eq(pci_register(&pbus, &d6, 6 << 3), 0);
    ck_assert_int_eq(pci_register(&pbus, &d7, 7 << 3), 0);
    ck_assert_int_eq(pci_intx_pirq(5 << 3, 1), 0);
    ck_assert_int_eq(pci_intx_pirq(6 << 3, 4), 0);
    ck_assert_int_eq(pci_intx_pirq(7 << 3, 1), 2);
    pci_set_irq(&tdev, 1);                               /* all routes disabled at reset: nothing */
    for (int n = 0; n < 16; n++)
        ck_assert_int_eq(sink.level[n], 0);
    ck_assert_uint_eq(cfg_read(0, 5, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
    cfg_write(0, 1, 0, 0x60, 0x0b, 1);                   /* PIRQA → IRQ11: already asserted, it appears */
    ck_assert_int_eq(sink.level[11], 1);
    pci_set_irq(&d6, 1);                                 /* shared: OR of the two */
    pci_set_irq(&tdev, 0);
    ck_assert_int_eq(sink.level[11], 1);
    ck_assert_uint_eq(cfg_read(0, 5, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
    pci_set_irq(&d6, 0);
    ck_assert_int_eq(sink.level[11], 0);
    ck_assert_int_eq(sink.rises[11], 1);
    /* Interrupt Disable masks the pin; clearing it lets the level through again */
    pci_set_irq(&tdev, 1);
    ck_assert_int_eq(sink.level[11], 1);
    cfg_write(0, 5, 0, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    ck_assert_int_eq(sink.level[11], 0);
    cfg_write(0, 5, 0, PCI_COMMAND, 0, 2);
    ck_assert_int_eq(sink.level[11], 1);
    /* re-route PIRQA to IRQ10: 11 drops, 10 rises; bit 7 disables the route */
    cfg_write(0, 1, 0, 0x60, 0x0a, 1);
    ck_assert_int_eq(sink.level[11], 0);
    ck_assert_int_eq(sink.level[10], 1);
    cfg_write(0, 1, 0, 0x60, 0x8a, 1);
    ck_assert_int_eq(sink.level[10], 0);
    /* PIRQC and PIRQA both on IRQ 5: wire-OR across routes */
    cfg_write(0, 1, 0, 0x60, 0x05, 1);
    cfg_write(0, 1, 0, 0x62, 0x05, 1);
    pci_set_irq(&d7, 1);
    pci_set_irq(&tdev, 0);
    ck_assert_int_eq(sink.level[5], 1);
    pci_set_irq(&d7, 0);
    ck_assert_int_eq(sink.level[5], 0);
    cfg_write(0, 1, 0, 0x62, 0x02, 1);                   /* IRQ 2 is reserved: the route does nothing */
    pci_set_irq(&d7, 1);
    for (int n = 0; n < 16; n++)
        ck_assert_int_eq(sink.level[n], 0);
}
END_TEST

START_TEST(reset_control_cf9)
{
    ck_assert_uint_eq(bus_io_read(&m, 0xcf9, 1), 0);
    bus_io_write(&m, 0xcf9, PIIX3_RC_SRST, 1);           /* select hard reset: nothing yet */
    ck_assert_int_eq(sink.rises[0], 0);
    ck_assert_uint_eq(bus_io_read(&m, 0xcf9, 1), PIIX3_RC_SRST);
    bus_io_write(&m, 0xcf9, PIIX3_RC_SRST | PIIX3_RC_RCPU, 1);
    ck_assert_int_eq(sink.rises[0], 1);
    bus_io_write(&m, 0xcf9, PIIX3_RC_SRST | PIIX3_RC_RCPU, 1);   /* no 0 → 1 edge: no second reset */
    ck_assert_int_eq(sink.rises[0], 1);
    /* CONFIG_ADDRESS still works around it */
    bus_io_write(&m, 0xcf8, 0x80000000u, 4);
    ck_assert_uint_eq(bus_io_read(&m, 0xcfc, 4), 0x12378086u);
    i440fx_reset(&chipset);
    ck_assert_uint_eq(bus_io_read(&m, 0xcf9, 1), 0);
}
END_TEST

START_TEST(pc_board_has_pci)
{
    Harness *h = harness_new(2);
    PcBoard *pc = calloc(1, sizeof(*pc));
    PcConfig cfg = { .clock_mode = CLOCK_MANUAL, .serial_in_fd = -1, .rtc_epoch = 0 };
    ck_assert_int_eq(pc_init(pc, h->m, &cfg), 0);
    bus_io_write(h->m, 0xcf8, 0x80000000u, 4);
    ck_assert_uint_eq(bus_io_read(h->m, 0xcfc, 4), 0x12378086u);
    bus_io_write(h->m, 0xcf8, 0x80000800u, 4);
    ck_assert_uint_eq(bus_io_read(h->m, 0xcfc, 4), 0x70008086u);
    bus_io_write(h->m, 0xcf8, 0x80000900u, 4);
    ck_assert_uint_eq(bus_io_read(h->m, 0xcfc, 4), 0x70108086u);
    bus_io_write(h->m, 0xcf8, 0x80000b00u, 4);
    ck_assert_uint_eq(bus_io_read(h->m, 0xcfc, 4), 0x71138086u);
    bus_io_write(h->m, 0xcf8, 0x80000b08u, 4);
    ck_assert_uint_eq(bus_io_read(h->m, 0xcfc, 4), 0x06800003u);
    /* QEMU's hotplug ports that SeaBIOS's ACPI tables read: nothing inserted, nothing to remove, CPU 0 present */
    ck_assert_uint_eq(bus_io_read(h->m, 0xae00, 4), 0);
    ck_assert_uint_eq(bus_io_read(h->m, 0xae04, 4), 0);
    ck_assert_uint_eq(bus_io_read(h->m, 0xae0c, 4), 0);
    ck_assert_uint_eq(bus_io_read(h->m, 0xaf00, 1), 1);
    ck_assert_uint_eq(bus_io_read(h->m, 0xaf01, 1), 0);
    /* the board's reset request through CF9h */
    bus_io_write(h->m, 0xcf9, 0x06, 1);
    ck_assert(h->m->reset_requested);
    pc_free(pc);
    free(pc);
    harness_free(h);
}
END_TEST

START_TEST(pam_shadowing)
{
    /* the board routes 0xC0000-0xFFFFF by the PAM registers: ROM (low alias) or RAM for reads, RAM or nowhere for
     * writes, per segment, for the CPU's accessors and DMA */
    Harness *h = harness_new(2);
    PcBoard *pc = calloc(1, sizeof(*pc));
    static uint8_t rom[0x20000];
    for (uint32_t i = 0; i < sizeof(rom); i++)
        rom[i] = (uint8_t)(i * 7 + 1);
    h->m->rom = rom;
    h->m->rom_size = sizeof(rom);
    PcConfig cfg = { .clock_mode = CLOCK_MANUAL, .serial_in_fd = -1, .rtc_epoch = 0 };
    ck_assert_int_eq(pc_init(pc, h->m, &cfg), 0);
    Machine *mm = h->m;
    memset(mm->ram + 0xc0000, 0xaa, 0x40000);             /* RAM under the window differs from the ROM */
    uint8_t romf0 = rom[0x10000], rome4 = rom[0x4000];
    bool w;
    /* reset: every segment reads the ROM (C/D: nothing), writes go nowhere */
    ck_assert_uint_eq(bus_phys_read(mm, 0xf0000, 1), romf0);
    ck_assert_uint_eq(bus_phys_read(mm, 0xe4000, 1), rome4);
    ck_assert_uint_eq(bus_phys_read(mm, 0xc8000, 4), 0xffffffffu);
    bus_phys_write(mm, 0xf0000, 0x55, 1);
    ck_assert_uint_eq(mm->ram[0xf0000], 0xaa);
    ck_assert_ptr_eq(bus_phys_ptr(mm, 0xf0000, &w), rom + 0x10000);
    ck_assert(!w);
    ck_assert_ptr_null(bus_phys_ptr(mm, 0xc8000, &w));
    /* PAM0 = 10h: F segment reads RAM, writes dropped */
    bus_io_write(mm, 0xcf8, 0x80000058u, 4);
    bus_io_write(mm, 0xcfd, 0x10, 1);
    ck_assert_uint_eq(bus_phys_read(mm, 0xf0000, 1), 0xaa);
    bus_phys_write(mm, 0xf0000, 0x55, 1);
    ck_assert_uint_eq(mm->ram[0xf0000], 0xaa);
    ck_assert_ptr_eq(bus_phys_ptr(mm, 0xf0000, &w), mm->ram + 0xf0000);
    ck_assert(!w);
    /* 20h: write-only RAM (the shadowing step: read the ROM, write the RAM at the same address) */
    bus_io_write(mm, 0xcfd, 0x20, 1);
    bus_phys_write(mm, 0xf0001, 0x66, 1);
    ck_assert_uint_eq(mm->ram[0xf0001], 0x66);
    ck_assert_uint_eq(bus_phys_read(mm, 0xf0001, 1), rom[0x10001]);
    /* 30h: RAM both ways, direct pointer writable */
    bus_io_write(mm, 0xcfd, 0x30, 1);
    ck_assert_uint_eq(bus_phys_read(mm, 0xf0001, 1), 0x66);
    ck_assert_ptr_eq(bus_phys_ptr(mm, 0xf0000, &w), mm->ram + 0xf0000);
    ck_assert(w);
    /* E4000-E7FFF is PAM5's (5Eh) high nibble: make it read-only RAM; E0000 (its low nibble) stays ROM */
    bus_io_write(mm, 0xcf8, 0x8000005cu, 4);
    bus_io_write(mm, 0xcfe, 0x10, 1);
    ck_assert_uint_eq(bus_phys_read(mm, 0xe4000, 1), 0xaa);
    ck_assert_uint_eq(bus_phys_read(mm, 0xe0000, 1), rom[0]);
    /* DMA sees the same routing: a write into read-only shadow RAM is dropped, a read of a ROM segment is ROM */
    uint8_t b[4] = { 1, 2, 3, 4 }, r[4];
    ck_assert_int_eq(bus_dma_write(mm, 0xe4000, b, 4), 0);
    ck_assert_uint_eq(mm->ram[0xe4000], 0xaa);
    ck_assert_int_eq(bus_dma_read(mm, 0xe0000, r, 4), 0);
    ck_assert_int_eq(memcmp(r, rom, 4), 0);
    ck_assert_int_eq(bus_dma_write(mm, 0xf0010, b, 4), 0);    /* F segment: RAM read/write */
    ck_assert_uint_eq(mm->ram[0xf0013], 4);
    /* a machine reset restores PAM 0: the ROM again */
    pc_reset(pc);
    ck_assert_uint_eq(bus_phys_read(mm, 0xf0000, 1), romf0);
    h->m->rom = NULL;
    h->m->rom_size = 0;
    pc_free(pc);
    free(pc);
    harness_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("pci");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, enumerate_bus0);
    tcase_add_test(tc, byte_and_word_access);
    tcase_add_test(tc, absent_and_disabled);
    tcase_add_test(tc, bar_sizing);
    tcase_add_test(tc, command_gating);
    tcase_add_test(tc, intx_routing);
    tcase_add_test(tc, reset_control_cf9);
    suite_add_tcase(s, tc);
    TCase *board = tcase_create("board");
    tcase_add_test(board, pc_board_has_pci);
    tcase_add_test(board, pam_shadowing);
    suite_add_tcase(s, board);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
