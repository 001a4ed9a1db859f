/* fw_cfg.c — QEMU's firmware configuration device on the PC's I/O ports (see fw_cfg.h for the interface and
 * QEMU docs/specs/fw_cfg.rst for the guest-visible contract this follows).
 * Invariants: a selector names at most one item; reads past the item's end return 0 and do not move past it;
 * DMA transfers are done whole inside the I/O write that starts them (the guest sees control = 0 or the error bit
 * when the OUT completes, as QEMU does), at most the item's remaining bytes are copied and the rest zero-filled,
 * and every guest address goes through the bus's page checks.
 * Left out: guest writes to items (reported as a DMA error). */
#include <stdlib.h>
#include <string.h>
#include "fw_cfg.h"
#include "device.h"

static FwCfgItem *fw_cfg_cur(FwCfg *f)
{
    /* bit 14 is the (obsolete) write flag; bit 15 selects the architecture's own items (QEMU's x86 ones: ACPI,
     * SMBIOS, IRQ0 override, E820, HPET at 0x8000-0x8004), none of which this board has: they read as absent,
     * never as the generic item with the same low bits (SeaBIOS took "QEMU" for an E820 entry count once) */
    if (f->s.selector & 0x8000)
        return NULL;
    uint16_t key = f->s.selector & 0x3fff;
    return key < FW_CFG_MAX_ITEMS ? &f->item[key] : NULL;
}

static void fw_cfg_select(FwCfg *f, uint16_t sel)
{
    f->s.selector = sel;
    f->s.offset = 0;
}

static uint8_t fw_cfg_read_byte(FwCfg *f)
{
    FwCfgItem *it = fw_cfg_cur(f);
    if (!it || f->s.offset >= it->len)
        return 0;
    return it->data[f->s.offset++];
}

/* Guest memory for DMA goes through the bus's DMA path (RAM only, every page checked, translated code the write
 * covers invalidated). src NULL: zero fill. Returns false if any part was not RAM. */
static bool fw_cfg_guest_write(FwCfg *f, uint32_t pa, const uint8_t *src, uint32_t len)
{
    if (src)
        return bus_dma_write(f->m, pa, src, len) == 0;
    static const uint8_t zeros[4096];
    bool ok = true;
    while (len) {
        uint32_t n = len < sizeof(zeros) ? len : (uint32_t)sizeof(zeros);
        ok = bus_dma_write(f->m, pa, zeros, n) == 0 && ok;
        pa += n;
        len -= n;
    }
    return ok;
}

static bool fw_cfg_guest_read(FwCfg *f, uint32_t pa, uint8_t *dst, uint32_t len)
{
    return bus_dma_read(f->m, pa, dst, len) == 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Run the FWCfgDmaAccess at guest address pa: { be32 control; be32 length; be64 address; }. */
static void fw_cfg_dma(FwCfg *f, uint64_t pa64)
{
    uint8_t d[16];
    f->dma_transfers++;
    if (pa64 > 0xfffffff0u)
        return;                 /* no RAM there to hold the descriptor or receive the result */
    uint32_t pa = (uint32_t)pa64;
    if (!fw_cfg_guest_read(f, pa, d, sizeof(d)))
        return;                 /* the descriptor is not in RAM: nowhere to report an error either */
    uint32_t control = be32(d), length = be32(d + 4);
    uint64_t addr = (uint64_t)be32(d + 8) << 32 | be32(d + 12);
    bool error = false;
    if (control & FW_CFG_DMA_SELECT)
        fw_cfg_select(f, (uint16_t)(control >> 16));
    FwCfgItem *it = fw_cfg_cur(f);
    if (control & FW_CFG_DMA_WRITE) {
        error = true;           /* no writable items */
    } else if (control & (FW_CFG_DMA_READ | FW_CFG_DMA_SKIP)) {
        uint32_t avail = it && f->s.offset < it->len ? it->len - f->s.offset : 0;
        uint32_t n = length < avail ? length : avail;
        if (control & FW_CFG_DMA_READ) {
            if (addr + length > 0x100000000ull)
                error = true;
            else {
                if (n && !fw_cfg_guest_write(f, (uint32_t)addr, it->data + f->s.offset, n))
                    error = true;
                if (length > n && !fw_cfg_guest_write(f, (uint32_t)addr + n, NULL, length - n))
                    error = true;
            }
        }
        f->s.offset += n;
    }
    uint8_t st[4] = { 0, 0, 0, error ? FW_CFG_DMA_ERROR : 0 };
    fw_cfg_guest_write(f, pa, st, sizeof(st));
}

static uint32_t fw_cfg_io_read(void *opaque, uint32_t addr, int size)
{
    FwCfg *f = opaque;
    if (addr == 1) {            /* data: each byte of a wider access is the next byte of the item */
        uint32_t v = 0;
        for (int i = 0; i < size; i++)
            v |= (uint32_t)fw_cfg_read_byte(f) << (8 * i);
        return v;
    }
    if (addr >= 4 && addr < 12) {   /* the DMA address register reads as the signature "QEMU CFG" (big-endian) */
        static const char sig[] = "QEMU CFG";
        uint32_t v = 0;
        for (int i = 0; i < size && addr - 4 + i < 8; i++)
            v |= (uint32_t)(uint8_t)sig[addr - 4 + i] << (8 * i);
        return v;
    }
    return 0;                   /* the selector is write-only */
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | v << 24;
}

static void fw_cfg_io_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    FwCfg *f = opaque;
    if (addr == 0 && size >= 2) {
        fw_cfg_select(f, (uint16_t)val);
    } else if (addr == 4 && size == 4) {
        f->s.dma_addr_hi = bswap32(val);
    } else if (addr == 8 && size == 4) {
        uint64_t pa = (uint64_t)f->s.dma_addr_hi << 32 | bswap32(val);
        f->s.dma_addr_hi = 0;
        fw_cfg_dma(f, pa);
    }
    /* other widths/offsets: QEMU ignores them too (data port writes are obsolete and unsupported) */
}

static void fw_cfg_set(FwCfgItem *it, uint8_t *data, uint32_t len)
{
    free(it->data);
    it->data = data;
    it->len = len;
}

static uint8_t *dup_bytes(const void *data, uint32_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    if (p && len)
        memcpy(p, data, len);
    return p;
}

int fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, uint32_t len)
{
    if (key >= FW_CFG_FILE_FIRST)
        return -1;
    uint8_t *p = dup_bytes(data, len);
    if (!p)
        return -1;
    fw_cfg_set(&f->item[key], p, len);
    return 0;
}

int fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return fw_cfg_add_bytes(f, key, b, 2);
}

int fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, 4);
}

int fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(f, key, b, 8);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* The file directory: be32 count, then per file { be32 size; be16 select; be16 reserved; char name[56]; }, in
 * name order (QEMU keeps it sorted; SeaBIOS does not rely on it, but a guest might). */
static int fw_cfg_rebuild_dir(FwCfg *f)
{
    int order[FW_CFG_MAX_ITEMS];
    for (int i = 0; i < f->nfiles; i++)
        order[i] = FW_CFG_FILE_FIRST + i;
    for (int i = 1; i < f->nfiles; i++)         /* insertion sort by name: a few dozen files at most */
        for (int j = i; j > 0 && strcmp(f->item[order[j - 1]].name, f->item[order[j]].name) > 0; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    uint32_t len = 4 + 64u * (uint32_t)f->nfiles;
    uint8_t *d = calloc(1, len);
    if (!d)
        return -1;
    put_be32(d, (uint32_t)f->nfiles);
    for (int i = 0; i < f->nfiles; i++) {
        uint8_t *e = d + 4 + 64 * i;
        put_be32(e, f->item[order[i]].len);
        e[4] = (uint8_t)(order[i] >> 8);
        e[5] = (uint8_t)order[i];
        memcpy(e + 8, f->item[order[i]].name, FW_CFG_NAME_MAX);
    }
    fw_cfg_set(&f->item[FW_CFG_FILE_DIR], d, len);
    return 0;
}

int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, uint32_t len)
{
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= FW_CFG_NAME_MAX)
        return -1;
    int key = -1;
    for (int i = 0; i < f->nfiles; i++)
        if (strcmp(f->item[FW_CFG_FILE_FIRST + i].name, name) == 0)
            key = FW_CFG_FILE_FIRST + i;
    if (key < 0) {
        if (FW_CFG_FILE_FIRST + f->nfiles >= FW_CFG_MAX_ITEMS)
            return -1;
        key = FW_CFG_FILE_FIRST + f->nfiles++;
    }
    uint8_t *p = dup_bytes(data, len);
    if (!p)
        return -1;
    FwCfgItem *it = &f->item[key];
    fw_cfg_set(it, p, len);
    memset(it->name, 0, sizeof(it->name));
    memcpy(it->name, name, nlen);
    return fw_cfg_rebuild_dir(f) < 0 ? -1 : key;
}

void fw_cfg_init(FwCfg *f, Machine *m)
{
    memset(f, 0, sizeof(*f));
    f->m = m;
    fw_cfg_add_bytes(f, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(f, FW_CFG_ID, FW_CFG_VERSION_TRADITIONAL | FW_CFG_VERSION_DMA);
    fw_cfg_rebuild_dir(f);
}

void fw_cfg_free(FwCfg *f)
{
    for (int i = 0; i < FW_CFG_MAX_ITEMS; i++)
        free(f->item[i].data);
    memset(f->item, 0, sizeof(f->item));
}

void fw_cfg_reset(FwCfg *f)
{
    f->s = (FwCfgState){ 0 };
}

/* The DMA region (0x514-0x51B) in the same offset space as the selector's (0x510 + addr). */
static uint32_t fw_cfg_dma_read(void *opaque, uint32_t addr, int size)
{
    return fw_cfg_io_read(opaque, addr + 4, size);
}

static void fw_cfg_dma_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    fw_cfg_io_write(opaque, addr + 4, val, size);
}

int fw_cfg_attach(FwCfg *f)
{
    if (bus_register_io(f->m, FW_CFG_PORT_SEL, 2, fw_cfg_io_read, fw_cfg_io_write, f, "fw_cfg") < 0)
        return -1;
    return bus_register_io(f->m, FW_CFG_PORT_DMA, 8, fw_cfg_dma_read, fw_cfg_dma_write, f, "fw_cfg-dma") < 0 ? -1 : 0;
}

size_t fw_cfg_save(const FwCfg *f, uint8_t *buf, size_t cap)
{
    return dev_save_blob(DEV_TAG('F', 'W', 'C', '0'), &f->s, sizeof(f->s), buf, cap);
}

int fw_cfg_load(FwCfg *f, const uint8_t *buf, size_t len)
{
    return dev_load_blob(DEV_TAG('F', 'W', 'C', '0'), &f->s, sizeof(f->s), buf, len);
}
