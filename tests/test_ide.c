/* test_ide.c — the disk path through its ports on a bare Machine with a manual clock: raw block devices (bounds,
 * bad sizes, readonly, snapshot overlay leaving the image untouched, writes in the file after close), the ATA
 * channel behind the PIIX3 IDE function (IDENTIFY contents and checksum, PIO read/write of several sectors and
 * blocks, READ/WRITE MULTIPLE, LBA48 and the HOB on a sparse 128 GiB image, CHS, status/INTRQ sequencing, nIEN,
 * SRST and the signature, absent slave and empty channel, IDNF/ABRT, SET FEATURES and IDENTIFY reflecting it), the
 * legacy decode gating (IDETIM, PCICMD), Bus Master IDE (PRD walk with EOT and 64 KiB counts, deferred completion,
 * interrupt/active/error bits, short and long tables, PRD and data addresses outside RAM, DMA writes landing in the
 * image and reporting the RAM they changed), and a hostile-guest storm on every port. */
#include <check.h>
#include "harness.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include "bus.h"
#include "clock.h"
#include "pci.h"
#include "i440fx.h"
#include "piix_ide.h"
#include "blockdev.h"
#include "device.h"

static Machine m;
static Clock clk;
static IrqSink sink;
static PciBus pbus;
static I440fx chipset;
static PiixIde ide;
static BlockDev bd0;
static char img_path[64];
static uint32_t ram_written_bytes;

enum { IMG_SECTORS = 2048, BM_BASE = 0xc000, P = 0x1f0, CTL = 0x3f6 };

static void on_ram_written(void *opaque, uint32_t pa, uint32_t len) { (void)opaque; (void)pa; ram_written_bytes += len; }

static uint8_t pattern(uint64_t sector, int i) { return (uint8_t)(sector * 7 + (uint64_t)i * 13 + (sector >> 8)); }

static void make_image(const char *path, uint64_t sectors)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    uint8_t sec[512];
    for (uint64_t s = 0; s < sectors && s < IMG_SECTORS; s++) {
        for (int i = 0; i < 512; i++)
            sec[i] = pattern(s, i);
        ck_assert_int_eq(pwrite(fd, sec, 512, (off_t)(s * 512)), 512);
    }
    ck_assert_int_eq(ftruncate(fd, (off_t)(sectors * 512)), 0);
    close(fd);
}

static void read_file_sector(const char *path, uint64_t s, uint8_t *buf)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, 512, (off_t)(s * 512)), 512);
    close(fd);
}

static uint8_t inb(uint16_t p) { return (uint8_t)bus_io_read(&m, p, 1); }
static uint16_t inw(uint16_t p) { return (uint16_t)bus_io_read(&m, p, 2); }
static void outb(uint16_t p, uint8_t v) { bus_io_write(&m, p, v, 1); }
static void outw(uint16_t p, uint16_t v) { bus_io_write(&m, p, v, 2); }
static void outl(uint16_t p, uint32_t v) { bus_io_write(&m, p, v, 4); }

static void cfg_write(int fn, int off, uint32_t v, int size)
{
    bus_io_write(&m, 0xcf8, 0x80000000u | 1u << 11 | (uint32_t)fn << 8 | (uint32_t)(off & 0xfc), 4);
    bus_io_write(&m, 0xcfc + (off & 3), v, size);
}

static uint32_t cfg_read(int fn, int off, int size)
{
    bus_io_write(&m, 0xcf8, 0x80000000u | 1u << 11 | (uint32_t)fn << 8 | (uint32_t)(off & 0xfc), 4);
    return bus_io_read(&m, 0xcfc + (off & 3), size);
}

/* A machine with the chipset and the IDE function; disk = image of n sectors on primary master (0: none). */
static void board(uint64_t n, bool readonly, bool snapshot)
{
    bus_init(&m, 4 << 20);
    m.dma_ram_written = on_ram_written;
    ram_written_bytes = 0;
    clock_init(&clk, CLOCK_MANUAL, NULL, 0);
    memset(&sink, 0, sizeof(sink));
    pci_bus_init(&pbus, &m);
    ck_assert_int_eq(pci_bus_attach(&pbus), 0);
    i440fx_init(&chipset);
    ck_assert_int_eq(i440fx_attach(&chipset, &pbus), 0);
    piix_ide_init(&ide, &m, &clk, irq_line(irq_sink_set, &sink, 14), irq_line(irq_sink_set, &sink, 15));
    ck_assert_int_eq(piix_ide_attach(&ide, &pbus), 0);
    if (n) {
        char err[256];
        strcpy(img_path, "/tmp/pcjit-test-ide-XXXXXX");
        int fd = mkstemp(img_path);
        ck_assert_int_ge(fd, 0);
        close(fd);
        make_image(img_path, n);
        ck_assert_msg(blockdev_open(&bd0, img_path, readonly, snapshot, err, sizeof(err)) == 0, "%s", err);
        ck_assert_int_eq(piix_ide_attach_disk(&ide, 0, &bd0), 0);
    }
    piix_ide_reset(&ide);
    /* what firmware does: BAR4, I/O + bus master, IDE decode on both channels */
    cfg_write(1, 0x20, BM_BASE | 1, 4);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    cfg_write(1, 0x40, 0x8000, 2);
    cfg_write(1, 0x42, 0x8000, 2);
}

static void unboard(void)
{
    blockdev_close(&bd0);
    if (img_path[0])
        unlink(img_path);
    img_path[0] = 0;
    bus_free(&m);
}

static void setup(void) { board(IMG_SECTORS, false, false); }
static void teardown(void) { unboard(); }

static void lba28(uint32_t lba, uint8_t count, int dev)
{
    outb(P + 6, (uint8_t)(0xe0 | dev << 4 | ((lba >> 24) & 15)));
    outb(P + 2, count);
    outb(P + 3, (uint8_t)lba);
    outb(P + 4, (uint8_t)(lba >> 8));
    outb(P + 5, (uint8_t)(lba >> 16));
}

static void read_block(uint8_t *buf, int words)
{
    for (int i = 0; i < words; i++) {
        uint16_t w = inw(P);
        buf[2 * i] = (uint8_t)w, buf[2 * i + 1] = (uint8_t)(w >> 8);
    }
}

static void check_sector(const uint8_t *buf, uint64_t s)
{
    for (int i = 0; i < 512; i++)
        ck_assert_msg(buf[i] == pattern(s, i), "sector %llu byte %d: %02x want %02x", (unsigned long long)s, i,
                      buf[i], pattern(s, i));
}

/* ---- block devices ---- */

START_TEST(blockdev_sizes_and_bounds)
{
    char path[] = "/tmp/pcjit-test-bd-XXXXXX", err[256];
    int fd = mkstemp(path);
    BlockDev b;
    ck_assert_int_eq(blockdev_open(&b, path, false, false, err, sizeof(err)), -1);      /* empty */
    ck_assert_ptr_nonnull(strstr(err, "multiple of 512"));
    ck_assert_int_eq(write(fd, err, 100), 100);
    ck_assert_int_eq(ftruncate(fd, 1000), 0);
    ck_assert_int_eq(blockdev_open(&b, path, false, false, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "1000 bytes"));
    ck_assert_int_eq(blockdev_open(&b, "/nonexistent/x.img", false, false, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.img"));
    ck_assert_int_eq(ftruncate(fd, 4096), 0);
    close(fd);
    ck_assert_int_eq(blockdev_open(&b, path, false, false, err, sizeof(err)), 0);
    ck_assert_uint_eq(b.nsectors, 8);
    uint8_t buf[1024] = { 0 };
    ck_assert(blockdev_range_ok(&b, 7, 1) && !blockdev_range_ok(&b, 7, 2) && !blockdev_range_ok(&b, 9, 0));
    ck_assert(!blockdev_range_ok(&b, UINT64_MAX, 2));       /* no wrap-around */
    ck_assert_int_eq(blockdev_read(&b, 7, buf, 2), -1);
    ck_assert_int_eq(blockdev_write(&b, 8, buf, 1), -1);
    ck_assert_int_eq(blockdev_write(&b, 0xffffffffffffffffull, buf, 1), -1);
    memset(buf, 0x5a, 512);
    ck_assert_int_eq(blockdev_write(&b, 7, buf, 1), 0);
    blockdev_close(&b);
    blockdev_close(&b);                                     /* twice: no-op */
    uint8_t back[512];
    read_file_sector(path, 7, back);
    ck_assert_int_eq(memcmp(back, buf, 512), 0);            /* the write is in the file after close */
    /* readonly: writes fail; snapshot: writes succeed, read back, the file keeps its bytes */
    ck_assert_int_eq(blockdev_open(&b, path, true, false, err, sizeof(err)), 0);
    ck_assert_int_eq(blockdev_write(&b, 1, buf, 1), -1);
    blockdev_close(&b);
    ck_assert_int_eq(blockdev_open(&b, path, false, true, err, sizeof(err)), 0);
    uint8_t two[1024];
    memset(two, 0xc3, sizeof(two));
    ck_assert_int_eq(blockdev_write(&b, 6, two, 1), 0);     /* sector 6 in the overlay, 7 still the image's */
    ck_assert_int_eq(blockdev_read(&b, 6, two, 2), 0);
    ck_assert_uint_eq(two[0], 0xc3);
    ck_assert_uint_eq(two[511], 0xc3);
    ck_assert_uint_eq(two[512], 0x5a);
    blockdev_close(&b);
    read_file_sector(path, 6, back);
    ck_assert_uint_eq(back[0], 0);
    unlink(path);
}
END_TEST

/* ---- PCI function and decode ---- */

START_TEST(pci_identity_and_decode)
{
    ck_assert_uint_eq(cfg_read(1, 0, 4), 0x70108086u);
    ck_assert_uint_eq(cfg_read(1, 8, 4) >> 8, 0x010180u);
    ck_assert_uint_eq(cfg_read(1, 0x40, 2), 0x8000);
    ck_assert_uint_eq(cfg_read(1, 0x20, 4), BM_BASE | 1);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    cfg_write(1, 0x40, 0x0000, 2);                          /* IDE decode off: the ports are not claimed */
    ck_assert_uint_eq(inb(P + 7), 0xff);
    cfg_write(1, 0x40, 0xa307, 2);
    ck_assert_uint_eq(cfg_read(1, 0x40, 2), 0xa307);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    cfg_write(1, PCI_COMMAND, 0, 2);                        /* I/O space off: neither legacy ports nor BAR4 */
    ck_assert_uint_eq(inb(P + 7), 0xff);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0xff);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0x00);
}
END_TEST

/* ---- IDENTIFY ---- */

START_TEST(identify_device)
{
    outb(P + 6, 0xa0);
    outb(P + 7, 0xec);
    ck_assert_int_eq(sink.level[14], 1);
    ck_assert_uint_eq(inb(CTL), 0x58);                      /* alternate status: DRDY DSC DRQ, IRQ stays */
    ck_assert_int_eq(sink.level[14], 1);
    ck_assert_uint_eq(inb(P + 7), 0x58);
    ck_assert_int_eq(sink.level[14], 0);                    /* reading Status cleared it */
    uint16_t id[256];
    read_block((uint8_t *)id, 256);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_int_eq(sink.rises[14], 1);                    /* no interrupt after the data */
    char model[41];
    for (int i = 0; i < 20; i++)
        model[2 * i] = (char)(id[27 + i] >> 8), model[2 * i + 1] = (char)id[27 + i];
    model[40] = 0;
    ck_assert_str_eq(model, "PCJIT HARDDISK                          ");
    ck_assert_uint_eq(id[10] >> 8, 'P');
    ck_assert_uint_eq(id[0], 0x0040);
    ck_assert_uint_eq(id[1], IMG_SECTORS / (16 * 63));
    ck_assert_uint_eq(id[3], 16);
    ck_assert_uint_eq(id[6], 63);
    ck_assert_uint_eq(id[47] & 0xff, 16);
    ck_assert(id[49] & 0x0200);                             /* LBA */
    ck_assert(id[49] & 0x0100);                             /* DMA */
    ck_assert_uint_eq(id[53] & 7, 7);
    ck_assert_uint_eq(id[54], id[1]);
    ck_assert_uint_eq((uint32_t)id[57] | (uint32_t)id[58] << 16, (uint32_t)id[1] * 16 * 63);
    ck_assert_uint_eq((uint32_t)id[60] | (uint32_t)id[61] << 16, IMG_SECTORS);
    ck_assert_uint_eq(id[80], 0x007e);
    ck_assert(id[83] & 0x0400);
    ck_assert(id[86] & 0x0400);
    ck_assert_uint_eq((uint64_t)id[100] | (uint64_t)id[101] << 16, IMG_SECTORS);
    ck_assert_uint_eq(id[63] & 0xff00, 0);                  /* no DMA mode selected yet */
    ck_assert_uint_eq(id[255] & 0xff, 0xa5);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
    ck_assert_uint_eq(sum, 0);
    /* SET FEATURES: MWDMA2, then UDMA5, and SET MULTIPLE 8: IDENTIFY reflects them */
    outb(P + 1, 0x03); outb(P + 2, 0x22); outb(P + 7, 0xef);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 2, 8); outb(P + 7, 0xc6);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 7, 0xec);
    read_block((uint8_t *)id, 256);
    ck_assert_uint_eq(id[63], 0x0407);
    ck_assert_uint_eq(id[88] & 0xff00, 0);
    ck_assert_uint_eq(id[59], 0x0108);
    outb(P + 1, 0x03); outb(P + 2, 0x45); outb(P + 7, 0xef);
    outb(P + 7, 0xec);
    read_block((uint8_t *)id, 256);
    ck_assert_uint_eq(id[63], 0x0007);
    ck_assert_uint_eq(id[88], 0x203f);
    outb(P + 1, 0x03); outb(P + 2, 0x46); outb(P + 7, 0xef);  /* UDMA6: not supported */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x04);
    outb(P + 1, 0x77); outb(P + 7, 0xef);                     /* unknown subcommand */
    ck_assert_uint_eq(inb(P + 7), 0x51);
}
END_TEST

/* ---- PIO ---- */

START_TEST(pio_read_sectors)
{
    uint8_t buf[512];
    lba28(100, 3, 0);
    outb(P + 7, 0x20);
    for (int s = 0; s < 3; s++) {
        ck_assert_int_eq(sink.rises[14], s + 1);            /* INTRQ per DRQ block */
        ck_assert_uint_eq(inb(P + 7), 0x58);
        read_block(buf, 256);
        check_sector(buf, 100 + (uint64_t)s);
    }
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_int_eq(sink.rises[14], 3);
    ck_assert_uint_eq(inb(P + 3), 102);                     /* the last sector transferred */
    ck_assert_uint_eq(inw(P), 0xffff);                      /* no DRQ: nothing more */
    /* 32-bit data port reads, count 0 = 256 sectors (to the end of a read of sector 1792..2047) */
    lba28(IMG_SECTORS - 256, 0, 0);
    outb(P + 7, 0x20);
    for (int s = 0; s < 256; s++) {
        inb(P + 7);
        for (int i = 0; i < 128; i++) {
            uint32_t v = bus_io_read(&m, P, 4);
            memcpy(buf + 4 * i, &v, 4);
        }
        check_sector(buf, IMG_SECTORS - 256 + (uint64_t)s);
    }
    ck_assert_uint_eq(inb(P + 7), 0x50);
    /* CHS: cylinder 1, head 2, sector 3 = (1*16 + 2)*63 + 2 */
    outb(P + 6, 0xa2); outb(P + 2, 1); outb(P + 3, 3); outb(P + 4, 1); outb(P + 5, 0);
    outb(P + 7, 0x20);
    ck_assert_uint_eq(inb(P + 7), 0x58);
    read_block(buf, 256);
    check_sector(buf, 18 * 63 + 2);
    outb(P + 3, 0); outb(P + 7, 0x20);                      /* sector 0 does not exist in CHS */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x10);                    /* IDNF */
}
END_TEST

START_TEST(pio_write_sectors)
{
    uint8_t data[2][512];
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 512; i++)
            data[s][i] = (uint8_t)(0x80 + s * 3 + i);
    lba28(40, 2, 0);
    outb(P + 7, 0x30);
    ck_assert_uint_eq(inb(CTL), 0x58);
    ck_assert_int_eq(sink.rises[14], 0);                    /* no INTRQ before the first block */
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 256; i++)
            outw(P, (uint16_t)(data[s][2 * i] | data[s][2 * i + 1] << 8));
        ck_assert_int_eq(sink.rises[14], s + 1);            /* INTRQ after each block */
        ck_assert_uint_eq(inb(P + 7), s == 0 ? 0x58 : 0x50);
    }
    uint8_t back[512];
    for (int s = 0; s < 2; s++) {
        read_file_sector(img_path, 40 + (uint64_t)s, back);   /* in the file at once */
        ck_assert_int_eq(memcmp(back, data[s], 512), 0);
    }
    read_file_sector(img_path, 42, back);
    check_sector(back, 42);
    outb(P + 7, 0xe7);                                      /* FLUSH CACHE */
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_uint_ge(bd0.flushes, 1);
}
END_TEST

START_TEST(pio_multiple)
{
    uint8_t buf[512];
    lba28(0, 6, 0);
    outb(P + 7, 0xc4);                                      /* multiple mode off: aborted */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x04);
    outb(P + 2, 3); outb(P + 7, 0xc6);                      /* not a power of two */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    outb(P + 2, 4); outb(P + 7, 0xc6);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    lba28(200, 6, 0);
    int base = sink.rises[14];
    outb(P + 7, 0xc4);
    for (int s = 0; s < 6; s++) {
        if (s == 0 || s == 4)
            ck_assert_uint_eq(inb(P + 7), 0x58);
        read_block(buf, 256);
        check_sector(buf, 200 + (uint64_t)s);
        ck_assert_int_eq(sink.rises[14] - base, s < 3 ? 1 : 2);    /* one INTRQ per 4-sector block (the next one is ready once the 4th is read) */
    }
    ck_assert_uint_eq(inb(P + 7), 0x50);
    /* WRITE MULTIPLE: 5 sectors in blocks of 4 + 1 */
    lba28(300, 5, 0);
    outb(P + 7, 0xc5);
    int before = sink.rises[14];
    for (int w = 0; w < 5 * 256; w++) {
        outw(P, 0x1234);
        if (w == 4 * 256 - 1) {
            ck_assert_int_eq(sink.rises[14] - before, 1);
            ck_assert_uint_eq(inb(P + 7), 0x58);         /* the driver acknowledges each block */
        }
    }
    ck_assert_int_eq(sink.rises[14] - before, 2);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    read_file_sector(img_path, 304, buf);
    ck_assert_uint_eq(buf[0], 0x34);
    read_file_sector(img_path, 305, buf);
    check_sector(buf, 305);
}
END_TEST

START_TEST(lba48_and_limits)
{
    unboard();
    uint64_t n = (1ull << 28) + 64;                         /* 128 GiB, sparse */
    board(n, false, false);
    uint16_t id[256];
    outb(P + 6, 0xa0); outb(P + 7, 0xec);
    read_block((uint8_t *)id, 256);
    ck_assert_uint_eq((uint32_t)id[60] | (uint32_t)id[61] << 16, 0x0fffffffu);
    ck_assert_uint_eq((uint64_t)id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32, n);
    /* WRITE SECTORS EXT at LBA 0x1000_0010 (HOB first, then the low bytes), read back with READ SECTORS EXT */
    uint64_t lba = 0x10000010ull;
    for (int pass = 0; pass < 2; pass++) {
        outb(P + 6, 0x40);
        outb(P + 2, 0); outb(P + 2, 2);                     /* count 0x0002 */
        outb(P + 3, (uint8_t)(lba >> 24)); outb(P + 3, (uint8_t)lba);
        outb(P + 4, (uint8_t)(lba >> 32)); outb(P + 4, (uint8_t)(lba >> 8));
        outb(P + 5, (uint8_t)(lba >> 40)); outb(P + 5, (uint8_t)(lba >> 16));
        outb(P + 7, pass == 0 ? 0x34 : 0x24);
        for (int s = 0; s < 2; s++) {
            ck_assert_uint_eq(inb(P + 7), 0x58);
            for (int w = 0; w < 256; w++) {
                if (pass == 0)
                    outw(P, (uint16_t)(0xab00 + s));
                else
                    ck_assert_uint_eq(inw(P), 0xab00 + s);
            }
        }
        ck_assert_uint_eq(inb(P + 7), 0x50);
    }
    /* HOB: the last sector's address, high bytes with HOB set */
    ck_assert_uint_eq(inb(P + 3), 0x11);
    outb(CTL, 0x80);
    ck_assert_uint_eq(inb(P + 3), 0x10);
    outb(CTL, 0x00);
    /* a 28-bit command cannot reach 0FFFFFFFh; the last LBA48 sector can be read, one past it cannot */
    lba28(0x0fffffff, 1, 0);
    outb(P + 7, 0x20);
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x10);
    lba28(0x0ffffffe, 1, 0);
    outb(P + 7, 0x20);
    ck_assert_uint_eq(inb(P + 7), 0x58);
    for (int w = 0; w < 256; w++)
        inw(P);
    for (int k = 0; k < 2; k++) {
        uint64_t l = n - 1 + (uint64_t)k;
        outb(P + 2, 0); outb(P + 2, 1);
        outb(P + 3, (uint8_t)(l >> 24)); outb(P + 3, (uint8_t)l);
        outb(P + 4, 0); outb(P + 4, (uint8_t)(l >> 8));
        outb(P + 5, 0); outb(P + 5, (uint8_t)(l >> 16));
        outb(P + 7, 0x24);
        ck_assert_uint_eq(inb(P + 7), k == 0 ? 0x58 : 0x51);
        for (int w = 0; k == 0 && w < 256; w++)
            inw(P);
    }
    /* READ NATIVE MAX ADDRESS EXT: n - 1 */
    outb(P + 6, 0x40); outb(P + 7, 0x27);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)(n - 1));
    outb(CTL, 0x80);
    ck_assert_uint_eq(inb(P + 3), (uint8_t)((n - 1) >> 24));
    outb(CTL, 0);
    outb(P + 7, 0xf8);
    ck_assert_uint_eq(inb(P + 3), 0xfe);                    /* 0FFFFFFEh: 28-bit commands end before 0FFFFFFFh */
    ck_assert_uint_eq(inb(P + 5), 0xff);
    ck_assert_uint_eq(inb(P + 6) & 0x0f, 0x0f);
}
END_TEST

/* ---- interrupts, reset, absent devices, errors ---- */

START_TEST(nien_srst_signature_absent)
{
    outb(CTL, 0x02);                                        /* nIEN */
    outb(P + 6, 0xa0);
    outb(P + 7, 0xe5);                                      /* CHECK POWER MODE */
    ck_assert_int_eq(sink.level[14], 0);
    ck_assert_uint_eq(inb(P + 2), 0xff);
    outb(CTL, 0x00);                                        /* the pending interrupt appears */
    ck_assert_int_eq(sink.level[14], 1);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_int_eq(sink.level[14], 0);
    /* STANDBY IMMEDIATE → CHECK POWER MODE says 00h; a read wakes it */
    outb(P + 7, 0xe0);
    outb(P + 7, 0xe5);
    ck_assert_uint_eq(inb(P + 2), 0x00);
    /* SRST: busy while held, signature after, DEV back to 0 */
    lba28(123, 9, 1);
    outb(CTL, 0x04);
    outb(P + 6, 0xa0);
    ck_assert_uint_eq(inb(CTL), 0x90);
    outb(CTL, 0x00);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_uint_eq(inb(P + 1), 0x01);
    ck_assert_uint_eq(inb(P + 2), 0x01);
    ck_assert_uint_eq(inb(P + 3), 0x01);
    ck_assert_uint_eq(inb(P + 4), 0x00);
    ck_assert_uint_eq(inb(P + 5), 0x00);
    ck_assert_uint_eq(inb(P + 6), 0x00);
    /* absent slave: status 00h, commands ignored, registers still latch (libata's device check) */
    outb(P + 6, 0xb0);
    ck_assert_uint_eq(inb(P + 7), 0x00);
    ck_assert_uint_eq(inb(CTL), 0x00);
    outb(P + 2, 0x55); outb(P + 3, 0xaa);
    ck_assert_uint_eq(inb(P + 2), 0x55);
    ck_assert_uint_eq(inb(P + 3), 0xaa);
    int before = sink.rises[14];
    outb(P + 7, 0xec);
    ck_assert_int_eq(sink.rises[14], before);
    ck_assert_uint_eq(inb(P + 7), 0x00);
    /* the empty secondary channel reads 00h everywhere */
    for (int r = 1; r < 8; r++)
        ck_assert_uint_eq(inb(0x170 + r), 0);
    outb(0x176, 0xa0);
    outb(0x177, 0xec);
    ck_assert_int_eq(sink.rises[15], 0);
    /* EXECUTE DEVICE DIAGNOSTIC: device 0 answers 01h with an interrupt */
    outb(P + 6, 0xb0);
    outb(P + 7, 0x90);
    ck_assert_uint_eq(inb(P + 6), 0x00);
    ck_assert_uint_eq(inb(P + 1), 0x01);
    ck_assert_int_eq(sink.level[14], 1);
    ck_assert_uint_eq(inb(P + 7), 0x50);
}
END_TEST

START_TEST(errors_abort_and_idnf)
{
    uint8_t cmds[] = { 0x50, 0xa0, 0xa1, 0x08, 0xff, 0x00, 0x94 };
    for (size_t i = 0; i < sizeof(cmds); i++) {
        outb(P + 6, 0xa0);
        outb(P + 7, cmds[i]);
        ck_assert_int_eq(sink.level[14], 1);
        ck_assert_uint_eq(inb(P + 7), 0x51);
        ck_assert_uint_eq(inb(P + 1), 0x04);
    }
    lba28(IMG_SECTORS - 1, 2, 0);                           /* runs past the end */
    outb(P + 7, 0x20);
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x10);
    lba28(IMG_SECTORS, 1, 0);
    outb(P + 7, 0x40);                                      /* READ VERIFY */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    lba28(IMG_SECTORS - 1, 1, 0);
    outb(P + 7, 0x40);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    lba28(IMG_SECTORS, 1, 0);
    outb(P + 7, 0xc8);                                      /* READ DMA out of range: IDNF, no DMA pending */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    bool dir;
    ck_assert_int_eq(ide_dma_pending(&ide.ch[0], &dir), -1);
    /* SEEK, RECALIBRATE, IDLE, INITIALIZE DEVICE PARAMETERS (4 heads, 32 sectors): CHS through it */
    lba28(5, 1, 0);
    outb(P + 7, 0x70); ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 7, 0x10); ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 7, 0xe3); ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 6, 0xa3); outb(P + 2, 32); outb(P + 7, 0x91);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 6, 0xa1); outb(P + 2, 1); outb(P + 3, 5); outb(P + 4, 2); outb(P + 5, 0);
    outb(P + 7, 0x20);                                      /* C/H/S 2/1/5 = (2*4 + 1)*32 + 4 = 292 */
    ck_assert_uint_eq(inb(P + 7), 0x58);
    uint8_t buf[512];
    read_block(buf, 256);
    check_sector(buf, 292);
    outb(P + 6, 0xa4); outb(P + 3, 1); outb(P + 7, 0x20);   /* head 4 of a 4-head translation */
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x10);
    /* SLEEP: only a reset wakes it */
    outb(P + 7, 0xe6); ck_assert_uint_eq(inb(P + 7), 0x50);
    outb(P + 7, 0xe5); ck_assert_uint_eq(inb(P + 7), 0x51);
    outb(CTL, 4); outb(CTL, 0);
    outb(P + 7, 0xe5); ck_assert_uint_eq(inb(P + 7), 0x50);
}
END_TEST

START_TEST(readonly_aborts_writes)
{
    unboard();
    board(IMG_SECTORS, true, false);
    lba28(7, 1, 0);
    outb(P + 7, 0x30);
    for (int w = 0; w < 256; w++)
        outw(P, 0xeeee);
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x04);
    uint8_t back[512];
    read_file_sector(img_path, 7, back);
    check_sector(back, 7);
}
END_TEST

START_TEST(snapshot_keeps_image)
{
    unboard();
    board(IMG_SECTORS, false, true);
    lba28(9, 1, 0);
    outb(P + 7, 0x30);
    for (int w = 0; w < 256; w++)
        outw(P, 0x7777);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    lba28(8, 3, 0);
    outb(P + 7, 0x20);
    uint8_t buf[512];
    read_block(buf, 256);
    check_sector(buf, 8);
    read_block(buf, 256);
    ck_assert_uint_eq(buf[0], 0x77);                        /* the guest sees its write */
    read_block(buf, 256);
    check_sector(buf, 10);
    outb(P + 7, 0xe7);
    blockdev_close(&bd0);
    read_file_sector(img_path, 9, buf);
    check_sector(buf, 9);                                   /* the image is untouched */
}
END_TEST

/* ---- bus master DMA ---- */

static void prd(uint32_t at, uint32_t addr, uint32_t count, bool eot)
{
    uint32_t e[2] = { addr, (count & 0xffff) | (eot ? BM_PRD_EOT : 0) };
    memcpy(m.ram + at, e, 8);
}

static void dma_cmd(uint8_t cmd, uint32_t lba, uint8_t count, bool to_memory, uint32_t table)
{
    outl(BM_BASE + 4, table);
    outb(BM_BASE, to_memory ? BM_CMD_READ : 0);
    outb(BM_BASE + 2, BM_STAT_INTR | BM_STAT_ERROR);
    lba28(lba, count, 0);
    outb(P + 7, cmd);
    outb(BM_BASE, (to_memory ? BM_CMD_READ : 0) | BM_CMD_START);
}

START_TEST(dma_read_prd_walk)
{
    /* 3 sectors: 512 bytes at 0x20000, then the EOT entry with 1024 bytes at 0x30000 */
    prd(0x10000, 0x20000, 512, false);
    prd(0x10008, 0x30000, 1024, true);
    dma_cmd(0xc8, 50, 3, true, 0x10000);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_ACTIVE);    /* deferred: nothing yet */
    ck_assert_uint_eq(inb(CTL), 0x58);
    ck_assert_int_eq(sink.level[14], 0);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR);      /* table used up exactly: active clear */
    ck_assert_int_eq(sink.level[14], 1);
    check_sector(m.ram + 0x20000, 50);
    check_sector(m.ram + 0x30000, 51);
    check_sector(m.ram + 0x30200, 52);
    ck_assert_uint_eq(ram_written_bytes, 1536);
    outb(BM_BASE, BM_CMD_READ);                             /* the driver's order: stop, status, clear */
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_int_eq(sink.level[14], 0);
    outb(BM_BASE + 2, BM_STAT_INTR);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0);
    /* a count of 0 means 64 KiB: 128 sectors in one entry; a longer table leaves active set */
    prd(0x10000, 0x100000, 0, false);
    prd(0x10008, 0x200000, 512, true);
    dma_cmd(0xc8, 0, 128, true, 0x10000);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR | BM_STAT_ACTIVE);
    check_sector(m.ram + 0x100000 + 127 * 512, 127);
    outb(BM_BASE, 0);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR);
    /* drive-capable bits are the BIOS's scratch */
    outb(BM_BASE + 2, 0x60 | BM_STAT_INTR);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0x60);
}
END_TEST

START_TEST(dma_write_and_short_table)
{
    memset(m.ram + 0x40000, 0xd7, 1024);
    prd(0x10000, 0x40000, 1024, true);
    dma_cmd(0xca, 60, 2, false, 0x10000);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    uint8_t back[512];
    read_file_sector(img_path, 61, back);
    ck_assert_uint_eq(back[511], 0xd7);
    ck_assert_uint_eq(ram_written_bytes, 0);                /* reading memory changes nothing */
    outb(BM_BASE, 0);
    /* the table (1 sector) is shorter than the command (2): active clears, no interrupt, DRQ stays */
    int before = sink.rises[14];
    prd(0x10000, 0x40000, 512, true);
    dma_cmd(0xc8, 70, 2, true, 0x10000);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0);
    ck_assert_int_eq(sink.rises[14], before);
    ck_assert_uint_eq(inb(CTL), 0x58);
    check_sector(m.ram + 0x40000, 70);
    outb(BM_BASE, 0);
    outb(CTL, 4); outb(CTL, 0);                             /* the driver's recovery: a reset */
    ck_assert_uint_eq(inb(P + 7), 0x50);
    /* READ DMA EXT with the engine started first, then the command */
    prd(0x10000, 0x50000, 512, true);
    outl(BM_BASE + 4, 0x10000);
    outb(BM_BASE, BM_CMD_READ | BM_CMD_START);
    outb(P + 6, 0x40);
    outb(P + 2, 0); outb(P + 2, 1);
    outb(P + 3, 0); outb(P + 3, 33);
    outb(P + 4, 0); outb(P + 4, 0);
    outb(P + 5, 0); outb(P + 5, 0);
    outb(P + 7, 0x25);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR);
    check_sector(m.ram + 0x50000, 33);
    /* bus mastering disabled in PCICMD: the transfer waits until it is enabled */
    outb(BM_BASE, 0);
    outb(BM_BASE + 2, BM_STAT_INTR);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO, 2);
    memset(m.ram + 0x50000, 0, 512);
    dma_cmd(0xc8, 34, 1, true, 0x10000);
    clock_advance(&clk, 10 * PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_ACTIVE);
    ck_assert_uint_eq(m.ram[0x50000], 0);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_INTR);
    check_sector(m.ram + 0x50000, 34);
}
END_TEST

START_TEST(dma_bad_addresses)
{
    /* data beyond RAM (4 MiB): error bit, the command aborted with an interrupt, nothing written anywhere */
    prd(0x10000, 0x3fff00, 1024, true);                     /* straddles the end of RAM */
    dma_cmd(0xc8, 1, 2, true, 0x10000);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), BM_STAT_ERROR | BM_STAT_INTR);
    ck_assert_uint_eq(inb(P + 7), 0x51);
    ck_assert_uint_eq(inb(P + 1), 0x04);
    outb(BM_BASE, 0);
    /* the PRD table itself outside RAM, and at the very top of the address space */
    uint32_t tables[] = { 0x7ffff000, 0xfffffffc, 0x3ffffc };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        dma_cmd(0xca, 1, 1, false, tables[i]);
        clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
        ck_assert_uint_eq(inb(BM_BASE + 2) & (BM_STAT_ERROR | BM_STAT_ACTIVE), BM_STAT_ERROR);
        ck_assert_uint_eq(inb(P + 7), 0x51);
        outb(BM_BASE, 0);
    }
    uint8_t back[512];
    read_file_sector(img_path, 1, back);
    check_sector(back, 1);
    /* a table without EOT stops at its 64 KiB boundary: 8192 entries of 2 bytes cannot hold 64 sectors... */
    for (uint32_t a = 0x20000; a < 0x30000; a += 8)
        prd(a, 0x60000, 2, false);
    dma_cmd(0xc8, 3, 64, true, 0x20008);
    clock_advance(&clk, PIIX_IDE_DMA_DELAY_NS);
    ck_assert_uint_eq(inb(BM_BASE + 2), 0);                 /* ...so it is a short table */
    outb(BM_BASE, 0);
}
END_TEST

START_TEST(save_load_mid_transfer)
{
    uint8_t blob[sizeof(IdeChannelState) + 64], buf[512];
    lba28(400, 3, 0);
    outb(P + 7, 0x20);
    inb(P + 7);
    read_block(buf, 256);
    read_block(buf, 100);                                  /* part-way through the second sector */
    size_t n = ide_channel_save(&ide.ch[0], blob, sizeof(blob));
    ck_assert_uint_gt(n, 0);
    ck_assert_int_eq(ide_channel_load(&ide.ch[0], blob, n - 1), -1);     /* wrong size */
    blob[0] ^= 1;
    ck_assert_int_eq(ide_channel_load(&ide.ch[0], blob, n), -1);         /* wrong tag */
    blob[0] ^= 1;
    outb(CTL, 4); outb(CTL, 0);                            /* lose the transfer, then restore it */
    ck_assert_uint_eq(inb(P + 7), 0x50);
    ck_assert_int_eq(ide_channel_load(&ide.ch[0], blob, n), 0);
    ck_assert_uint_eq(inb(CTL), 0x58);
    for (int i = 0; i < 156; i++)
        inw(P);
    read_block(buf, 256);
    check_sector(buf, 402);
    ck_assert_uint_eq(inb(P + 7), 0x50);
    /* a blob whose DRQ block would run past the buffer is refused */
    IdeChannelState st;
    memcpy(&st, blob + sizeof(DevBlobHeader), sizeof(st));
    st.drive[0].block = 200;
    memcpy(blob + sizeof(DevBlobHeader), &st, sizeof(st));
    ck_assert_int_eq(ide_channel_load(&ide.ch[0], blob, n), -1);
}
END_TEST

START_TEST(hostile_storm)
{
    uint32_t seed = 12345;
    static const uint16_t ports[] = { P, P + 1, P + 2, P + 3, P + 4, P + 5, P + 6, P + 7, CTL,
                                      0x170, 0x177, 0x376, BM_BASE, BM_BASE + 2, BM_BASE + 4, BM_BASE + 8,
                                      BM_BASE + 10, BM_BASE + 12, 0xcf8, 0xcfc };
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1103515245u + 12345u;
        uint16_t port = ports[(seed >> 8) % (sizeof(ports) / sizeof(ports[0]))];
        int size = 1 << ((seed >> 4) & 3) % 3;
        uint32_t v = seed ^ (seed << 7);
        if (port == 0xcf8)
            v = 0x80000900u | (v & 0xfc);           /* stay on the IDE function's config space */
        if (port == 0xcfc && (v & 0xff) < 0x10)
            continue;                              /* keep the ports where the storm can reach them */
        if (seed & 0x80000000u)
            bus_io_write(&m, port, v, size);
        else
            bus_io_read(&m, port, size);
        if ((i & 255) == 0)
            clock_advance(&clk, 5000);
        if ((i & 4095) == 0)                        /* tables full of junk pointing anywhere */
            for (int k = 0; k < 64; k++)
                m.ram[(seed + (uint32_t)k * 7919) % m.ram_size] = (uint8_t)(seed >> (k & 24));
    }
    /* the controller still works */
    outb(CTL, 4); outb(CTL, 0);
    cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    cfg_write(1, 0x40, 0x8000, 2);
    outb(BM_BASE, 0);
    uint8_t buf[512];
    lba28(77, 1, 0);
    outb(P + 7, 0x20);
    ck_assert_uint_eq(inb(P + 7), 0x58);
    read_block(buf, 256);
    check_sector(buf, 77);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("ide");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, blockdev_sizes_and_bounds);
    tcase_add_test(tc, pci_identity_and_decode);
    tcase_add_test(tc, identify_device);
    tcase_add_test(tc, pio_read_sectors);
    tcase_add_test(tc, pio_write_sectors);
    tcase_add_test(tc, pio_multiple);
    tcase_add_test(tc, lba48_and_limits);
    tcase_add_test(tc, nien_srst_signature_absent);
    tcase_add_test(tc, errors_abort_and_idnf);
    tcase_add_test(tc, readonly_aborts_writes);
    tcase_add_test(tc, snapshot_keeps_image);
    tcase_add_test(tc, dma_read_prd_walk);
    tcase_add_test(tc, dma_write_and_short_table);
    tcase_add_test(tc, dma_bad_addresses);
    tcase_add_test(tc, save_load_mid_transfer);
    tcase_add_test(tc, hostile_storm);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
