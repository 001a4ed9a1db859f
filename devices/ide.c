/* ide.c — an ATA channel: two devices behind one set of task file registers (ide.h), with the ATA-6 command set
 * a BIOS and Linux's libata use on a disk, PIO data-in/data-out and DMA protocols, and INTRQ.
 * Protocols (ATA-6 9.5-9.10): PIO data-in (READ SECTORS, READ MULTIPLE, IDENTIFY): each DRQ block is ready at
 * once, INTRQ is asserted per block; PIO data-out (WRITE SECTORS/MULTIPLE): DRQ without INTRQ for the first block,
 * INTRQ after each block the host has written (for the next DRQ block, or completion); non-data commands assert
 * INTRQ when they complete; DMA commands set DRQ and wait for the bus master (ide_dma_run), then assert INTRQ.
 * Register semantics (ATA-6 7.x): writes to the command block reach both devices (each keeps the previous value
 * of the LBA48 registers: the HOB); Device Control's HOB bit selects which one reads return and is cleared by any
 * command block write; only the selected device drives INTRQ and answers Status; a selected device that is absent
 * reads Status 00h (its companion answers for it, ATA-6 9.16.1), a channel with no device reads 00h everywhere
 * (as QEMU, so probes see "no device": libata's ata_devchk and SeaBIOS's status wait both accept it).
 * Errors: address outside the image (or the 28-bit range for a 28-bit command) or an invalid CHS translation →
 * IDNF (ATA-6 "ID Not Found: user-accessible address could not be found"); unknown or unsupported command, bad
 * parameter, write to a read-only image → ABRT; host I/O failure on read → UNC. Each unknown command is logged
 * once.
 * Left out: ATAPI, Security/SMART/HPA SET MAX ADDRESS, DOWNLOAD MICROCODE, queued commands, the 0x94-0x99 ATA-3
 * power opcodes (aborted, as ATA-6 devices that dropped them do). */
#include <stdio.h>
#include <string.h>
#include "ide.h"
#include "device.h"

#define IDE_TAG DEV_TAG('I', 'D', 'E', 'C')

enum {
    CMD_RECALIBRATE = 0x10, CMD_READ_SECTORS = 0x20, CMD_READ_SECTORS_NR = 0x21, CMD_READ_SECTORS_EXT = 0x24,
    CMD_READ_DMA_EXT = 0x25, CMD_READ_NATIVE_MAX_EXT = 0x27, CMD_READ_MULTIPLE_EXT = 0x29,
    CMD_WRITE_SECTORS = 0x30, CMD_WRITE_SECTORS_NR = 0x31, CMD_WRITE_SECTORS_EXT = 0x34,
    CMD_WRITE_DMA_EXT = 0x35, CMD_WRITE_MULTIPLE_EXT = 0x39, CMD_READ_VERIFY = 0x40, CMD_READ_VERIFY_NR = 0x41,
    CMD_READ_VERIFY_EXT = 0x42, CMD_SEEK = 0x70, CMD_DIAGNOSTIC = 0x90, CMD_INIT_PARAMS = 0x91,
    CMD_READ_MULTIPLE = 0xc4, CMD_WRITE_MULTIPLE = 0xc5, CMD_SET_MULTIPLE = 0xc6, CMD_READ_DMA = 0xc8,
    CMD_READ_DMA_NR = 0xc9, CMD_WRITE_DMA = 0xca, CMD_WRITE_DMA_NR = 0xcb, CMD_STANDBY_IMMEDIATE = 0xe0,
    CMD_IDLE_IMMEDIATE = 0xe1, CMD_STANDBY = 0xe2, CMD_IDLE = 0xe3, CMD_CHECK_POWER = 0xe5, CMD_SLEEP = 0xe6,
    CMD_FLUSH_CACHE = 0xe7, CMD_FLUSH_CACHE_EXT = 0xea, CMD_IDENTIFY = 0xec, CMD_SET_FEATURES = 0xef,
    CMD_READ_NATIVE_MAX = 0xf8,
    LBA28_LIMIT = 0x0fffffff,         /* 28-bit commands address sectors 0 .. 0FFFFFFEh (ATA-6 6.2.1) */
};

static uint8_t logged_cmds[256 / 8];

static void ide_log_once(uint8_t cmd, const char *what)
{
    if (logged_cmds[cmd >> 3] & (1u << (cmd & 7)))
        return;
    logged_cmds[cmd >> 3] |= (uint8_t)(1u << (cmd & 7));
    fprintf(stderr, "pcjit: ide: %s command 0x%02x: aborted (ABRT)\n", what, cmd);
}

/* ---- INTRQ ---- */

static void ide_update_irq(IdeChannel *c)
{
    IdeDriveState *d = &c->s.drive[c->s.unit];
    int level = d->irq && !(c->s.devctl & ATA_CTL_NIEN);
    if (level != c->irq_level) {
        c->irq_level = level;
        irq_set(&c->irq, level);
        if (level && c->dma.intrq)
            c->dma.intrq(c->dma.opaque);
    }
}

static void ide_raise(IdeChannel *c, IdeDriveState *d)
{
    d->irq = 1;
    ide_update_irq(c);
}

/* ---- device state ---- */

static uint64_t ide_nsectors(const IdeChannel *c, const IdeDriveState *d)
{
    const BlockDev *bd = c->bd[d - c->s.drive];
    return bd ? bd->nsectors : 0;
}

/* Default CHS translation (ATA-6 Annex B / 6.2.1: 16 heads, 63 sectors, at most 16383 cylinders). */
static void ide_default_geometry(uint64_t n, uint16_t *cyls, uint16_t *heads, uint16_t *spt)
{
    uint64_t cyl = n / (16 * 63);
    *heads = 16;
    *spt = 63;
    *cyls = (uint16_t)(cyl > 16383 ? 16383 : cyl ? cyl : 1);
}

static void ide_set_signature(IdeDriveState *d)
{
    /* ATA-6 9.12: a device not implementing PACKET: count 01h, LBA low 01h, mid 00h, high 00h, device 00h */
    d->nsect = 1, d->lbal = 1, d->lbam = 0, d->lbah = 0, d->device = 0;
    d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = d->hob_feature = 0;
}

/* Power-on, hardware or software reset of one device: defaults, signature, no transfer. */
static void ide_drive_reset(IdeChannel *c, IdeDriveState *d)
{
    uint8_t kind = d->kind;
    memset(d, 0, offsetof(IdeDriveState, buf));
    d->kind = kind;
    ide_set_signature(d);
    d->error = 0x01;                  /* diagnostic code: passed (device 1 absent or passed, ATA-6 9.8) */
    d->status = kind ? ATA_STAT_DRDY | ATA_STAT_DSC : 0;
    d->write_cache = d->look_ahead = 1;
    ide_default_geometry(ide_nsectors(c, d), &d->cyls, &d->heads, &d->spt);
}

void ide_channel_init(IdeChannel *c, int index, IrqLine irq)
{
    memset(c, 0, sizeof(*c));
    c->index = index;
    c->irq = irq;
}

int ide_attach_disk(IdeChannel *c, int unit, BlockDev *bd)
{
    if (unit < 0 || unit > 1 || c->bd[unit] || !bd || bd->nsectors == 0)
        return -1;
    c->bd[unit] = bd;
    c->s.drive[unit].kind = IDE_KIND_DISK;
    ide_drive_reset(c, &c->s.drive[unit]);
    return 0;
}

void ide_channel_reset(IdeChannel *c)
{
    for (int u = 0; u < 2; u++)
        ide_drive_reset(c, &c->s.drive[u]);
    c->s.unit = 0;
    c->s.devctl = 0;
    ide_update_irq(c);
}

/* ---- command completion ---- */

static void ide_done(IdeChannel *c, IdeDriveState *d)
{
    d->xfer = IDE_XFER_NONE;
    d->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    ide_raise(c, d);
}

static void ide_error(IdeChannel *c, IdeDriveState *d, uint8_t err)
{
    d->xfer = IDE_XFER_NONE;
    d->error = err;
    d->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_ERR;
    ide_raise(c, d);
}

static void ide_abort(IdeChannel *c, IdeDriveState *d)
{
    ide_error(c, d, ATA_ERR_ABRT);
}

/* ---- addressing ---- */

/* The command's starting sector and count from the task file (ATA-6 6.2: 28-bit LBA, 48-bit LBA, or CHS through
 * the current translation). false if the address is not a user-accessible one (CHS outside the translation). */
static bool ide_get_lba(const IdeDriveState *d, bool lba48, uint64_t *lba, uint32_t *count)
{
    if (lba48) {
        *lba = (uint64_t)d->hob_lbah << 40 | (uint64_t)d->hob_lbam << 32 | (uint64_t)d->hob_lbal << 24 |
               (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 | d->lbal;
        uint32_t n = (uint32_t)d->hob_nsect << 8 | d->nsect;
        *count = n ? n : 65536;
        return true;
    }
    *count = d->nsect ? d->nsect : 256;
    if (d->device & ATA_DEV_LBA) {
        *lba = (uint64_t)(d->device & 0x0f) << 24 | (uint64_t)d->lbah << 16 | (uint64_t)d->lbam << 8 | d->lbal;
        return true;
    }
    uint32_t cyl = (uint32_t)d->lbah << 8 | d->lbam, head = d->device & 0x0f, sec = d->lbal;
    if (sec < 1 || sec > d->spt || head >= d->heads || cyl >= d->cyls)
        return false;
    *lba = ((uint64_t)cyl * d->heads + head) * d->spt + sec - 1;
    return true;
}

/* Write the address of sector lba back into the task file (the last sector transferred, or the failing one). */
static void ide_set_lba(IdeDriveState *d, uint64_t lba)
{
    if (d->lba48) {
        d->lbal = (uint8_t)lba, d->lbam = (uint8_t)(lba >> 8), d->lbah = (uint8_t)(lba >> 16);
        d->hob_lbal = (uint8_t)(lba >> 24), d->hob_lbam = (uint8_t)(lba >> 32), d->hob_lbah = (uint8_t)(lba >> 40);
    } else if (d->device & ATA_DEV_LBA) {
        d->lbal = (uint8_t)lba, d->lbam = (uint8_t)(lba >> 8), d->lbah = (uint8_t)(lba >> 16);
        d->device = (uint8_t)((d->device & 0xf0) | ((lba >> 24) & 0x0f));
    } else if (d->heads && d->spt) {
        uint64_t cyl = lba / ((uint64_t)d->heads * d->spt);
        uint32_t r = (uint32_t)(lba % ((uint64_t)d->heads * d->spt));
        d->lbam = (uint8_t)cyl, d->lbah = (uint8_t)(cyl >> 8);
        d->device = (uint8_t)((d->device & 0xf0) | (r / d->spt));
        d->lbal = (uint8_t)(r % d->spt + 1);
    }
}

/* Decode and range-check the command's sectors; on failure the command has been ended with IDNF. */
static bool ide_range(IdeChannel *c, IdeDriveState *d, bool lba48, uint64_t *lba, uint32_t *count)
{
    uint64_t n = ide_nsectors(c, d);
    uint64_t limit = lba48 ? n : (n < LBA28_LIMIT ? n : LBA28_LIMIT);
    d->lba48 = lba48;
    if (!ide_get_lba(d, lba48, lba, count) || *lba > limit || *count > limit - *lba) {
        ide_error(c, d, ATA_ERR_IDNF);
        return false;
    }
    return true;
}

/* ---- PIO ---- */

/* Load the next DRQ block of a PIO data-in command and assert INTRQ, or end with UNC on a host read error. */
static void ide_pio_in_block(IdeChannel *c, IdeDriveState *d)
{
    BlockDev *bd = c->bd[d - c->s.drive];
    uint32_t per = d->cmd == CMD_READ_MULTIPLE || d->cmd == CMD_READ_MULTIPLE_EXT ? d->mult : 1;
    uint32_t n = d->remain < per ? d->remain : per;
    if (blockdev_read(bd, d->lba, d->buf, n) < 0) {
        ide_set_lba(d, d->lba);
        ide_error(c, d, ATA_ERR_UNC);
        return;
    }
    d->block = n;
    d->pos = 0;
    d->end = n * 512;
    d->xfer = IDE_XFER_PIO_IN;
    d->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    ide_raise(c, d);
}

static void ide_pio_out_block(IdeDriveState *d)
{
    uint32_t per = d->cmd == CMD_WRITE_MULTIPLE || d->cmd == CMD_WRITE_MULTIPLE_EXT ? d->mult : 1;
    d->block = d->remain < per ? d->remain : per;
    d->pos = 0;
    d->end = d->block * 512;
    d->xfer = IDE_XFER_PIO_OUT;
    d->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
}

/* The host has taken / given the whole DRQ block. */
static void ide_pio_block_done(IdeChannel *c, IdeDriveState *d)
{
    bool out = d->xfer == IDE_XFER_PIO_OUT;
    if (out) {
        BlockDev *bd = c->bd[d - c->s.drive];
        if (blockdev_write(bd, d->lba, d->buf, d->block) < 0) {
            if (bd->readonly) {
                static bool logged;
                if (!logged)
                    fprintf(stderr, "pcjit: ide: write to read-only disk '%s' aborted (ABRT)\n", bd->path);
                logged = true;
            }
            ide_set_lba(d, d->lba);
            ide_abort(c, d);
            return;
        }
    }
    if (d->cmd == CMD_IDENTIFY) {             /* its one block is all: no INTRQ after it (ATA-6 9.7) */
        d->xfer = IDE_XFER_NONE;
        d->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        return;
    }
    d->lba += d->block;
    d->remain -= d->block;
    ide_set_lba(d, d->lba - 1);
    d->nsect = (uint8_t)d->remain;
    if (d->lba48)
        d->hob_nsect = (uint8_t)(d->remain >> 8);
    if (d->remain == 0) {
        /* data-in: no INTRQ after the last block is read; data-out: INTRQ once the last block is written */
        d->xfer = IDE_XFER_NONE;
        d->status = ATA_STAT_DRDY | ATA_STAT_DSC;
        if (out)
            ide_raise(c, d);
    } else if (out) {
        ide_pio_out_block(d);
        ide_raise(c, d);
    } else {
        ide_pio_in_block(c, d);
    }
}

static uint32_t ide_data_read(IdeChannel *c, int size)
{
    IdeDriveState *d = &c->s.drive[c->s.unit];
    uint32_t v = 0;
    for (int i = 0; i < size; i += 2) {
        if (d->xfer != IDE_XFER_PIO_IN || d->pos + 2 > d->end) {
            v |= 0xffffu << (8 * i);  /* no DRQ: the bus floats (ATA-6 leaves the value undefined) */
            continue;
        }
        v |= (uint32_t)(d->buf[d->pos] | d->buf[d->pos + 1] << 8) << (8 * i);
        d->pos += 2;
        if (d->pos == d->end)
            ide_pio_block_done(c, d);
    }
    return v;
}

static void ide_data_write(IdeChannel *c, uint32_t val, int size)
{
    IdeDriveState *d = &c->s.drive[c->s.unit];
    for (int i = 0; i < size; i += 2) {
        if (d->xfer != IDE_XFER_PIO_OUT || d->pos + 2 > d->end)
            return;                   /* no DRQ: the data is dropped */
        d->buf[d->pos] = (uint8_t)(val >> (8 * i));
        d->buf[d->pos + 1] = (uint8_t)(val >> (8 * i + 8));
        d->pos += 2;
        if (d->pos == d->end)
            ide_pio_block_done(c, d);
    }
}

/* ---- IDENTIFY DEVICE (ATA-6 8.15) ---- */

static void id_string(uint16_t *id, int word, int nwords, const char *s)
{
    /* ATA strings: two characters per word, the first in bits 15:8, padded with spaces */
    size_t len = strlen(s);
    for (int i = 0; i < nwords * 2; i++) {
        uint8_t ch = (size_t)i < len ? (uint8_t)s[i] : ' ';
        if (i & 1)
            id[word + i / 2] |= ch;
        else
            id[word + i / 2] = (uint16_t)(ch << 8);
    }
}

void ide_identify(IdeChannel *c, int unit, uint16_t id[256])
{
    const IdeDriveState *d = &c->s.drive[unit];
    uint64_t n = ide_nsectors(c, d);
    uint64_t n28 = n < LBA28_LIMIT ? n : LBA28_LIMIT;
    uint16_t cyls, heads, spt;
    char serial[21];
    ide_default_geometry(n, &cyls, &heads, &spt);
    memset(id, 0, 512);
    id[0] = 0x0040;                               /* ATA device, fixed (not removable) */
    id[1] = cyls, id[3] = heads, id[6] = spt;     /* default CHS translation */
    snprintf(serial, sizeof(serial), "PCJIT%06d%d%d", 1, c->index, unit);
    id_string(id, 10, 10, serial);
    id_string(id, 23, 4, "1.0");
    id_string(id, 27, 20, "PCJIT HARDDISK");
    id[47] = 0x8000 | IDE_MAX_MULT;               /* READ/WRITE MULTIPLE: up to 16 sectors per block */
    id[49] = 0x0b00;                              /* IORDY supported, LBA, DMA */
    id[50] = 0x4000;
    id[51] = id[52] = 0x0200;                     /* obsolete PIO/DMA timing modes */
    id[53] = 0x0007;                              /* words 54-58, 64-70 and 88 are valid */
    uint64_t cur = d->cyls && d->heads && d->spt ? (uint64_t)d->cyls * d->heads * d->spt : 0;
    id[54] = d->cyls, id[55] = d->heads, id[56] = d->spt;
    id[57] = (uint16_t)cur, id[58] = (uint16_t)(cur >> 16);
    id[59] = d->mult ? 0x0100 | d->mult : 0;      /* bit 8: the multiple setting below is valid */
    id[60] = (uint16_t)n28, id[61] = (uint16_t)(n28 >> 16);
    uint8_t mode = d->xfer_mode;
    id[63] = 0x0007 | ((mode >> 3) == 4 ? (uint16_t)(0x100 << (mode & 7)) : 0);  /* MWDMA 0-2 (+ selected) */
    id[64] = 0x0003;                              /* PIO modes 3 and 4 */
    id[65] = id[66] = id[67] = id[68] = 120;      /* cycle times, ns */
    id[80] = 0x007e;                              /* ATA-1 .. ATA/ATAPI-6 */
    id[81] = 0x0022;                              /* ATA/ATAPI-6 published, ANSI INCITS 361-2002 */
    id[82] = 0x4068;                              /* NOP, look-ahead, write cache, power management */
    id[83] = 0x7400;                              /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit address */
    id[84] = 0x4000;
    id[85] = (uint16_t)(0x4008 | (d->look_ahead ? 0x40 : 0) | (d->write_cache ? 0x20 : 0));
    id[86] = 0x3400;
    id[87] = 0x4000;
    id[88] = 0x003f | ((mode >> 3) == 8 ? (uint16_t)(0x100 << (mode & 7)) : 0);  /* UDMA 0-5 (+ selected) */
    id[93] = unit == 0 ? 0x600b : 0x6b00;         /* reset results: diagnostics passed, 80-conductor cable */
    id[100] = (uint16_t)n, id[101] = (uint16_t)(n >> 16), id[102] = (uint16_t)(n >> 32), id[103] = (uint16_t)(n >> 48);
    /* word 255: signature A5h and a checksum making the 512 bytes sum to 0 (ATA-6 8.15.65) */
    uint8_t sum = 0xa5;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
    id[255] = (uint16_t)(0x00a5 | (uint8_t)(-sum) << 8);
}

/* ---- commands ---- */

static bool ide_set_transfer_mode(IdeDriveState *d, uint8_t mode)
{
    uint8_t cls = mode >> 3, m = mode & 7;
    bool ok = mode == 0x00 || mode == 0x01 || (cls == 1 && m <= 4) || (cls == 4 && m <= 2) || (cls == 8 && m <= 5);
    if (ok)
        d->xfer_mode = mode <= 1 ? 0 : mode;
    return ok;
}

static void ide_cmd_set_features(IdeChannel *c, IdeDriveState *d)
{
    switch (d->feature) {
    case 0x03:                                    /* set transfer mode (ATA-6 8.37.10) */
        if (!ide_set_transfer_mode(d, d->nsect)) {
            ide_abort(c, d);
            return;
        }
        break;
    case 0x02: d->write_cache = 1; break;
    case 0x82: d->write_cache = 0; break;
    case 0xaa: d->look_ahead = 1; break;
    case 0x55: d->look_ahead = 0; break;
    case 0x66: case 0xcc: break;                  /* revert to power-on defaults off/on: resets keep defaults */
    default:
        ide_abort(c, d);
        return;
    }
    ide_done(c, d);
}

static void ide_cmd_rw(IdeChannel *c, IdeDriveState *d, bool lba48, IdeXfer xfer)
{
    uint64_t lba;
    uint32_t count;
    bool multiple = d->cmd == CMD_READ_MULTIPLE || d->cmd == CMD_READ_MULTIPLE_EXT ||
                    d->cmd == CMD_WRITE_MULTIPLE || d->cmd == CMD_WRITE_MULTIPLE_EXT;
    if (multiple && !d->mult) {
        ide_abort(c, d);                          /* multiple mode not enabled (ATA-6 8.27) */
        return;
    }
    if (!ide_range(c, d, lba48, &lba, &count))
        return;
    d->standby = 0;
    d->lba = lba;
    d->remain = count;
    switch (xfer) {
    case IDE_XFER_PIO_IN:
        ide_pio_in_block(c, d);
        break;
    case IDE_XFER_PIO_OUT:
        ide_pio_out_block(d);                     /* DRQ, no INTRQ for the first block (ATA-6 9.8) */
        break;
    default:
        d->xfer = (uint8_t)xfer;
        d->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
        if (c->dma.ready)
            c->dma.ready(c->dma.opaque);
    }
}

static void ide_cmd_verify(IdeChannel *c, IdeDriveState *d, bool lba48)
{
    uint64_t lba;
    uint32_t count;
    if (!ide_range(c, d, lba48, &lba, &count))
        return;
    BlockDev *bd = c->bd[d - c->s.drive];
    for (uint32_t done = 0; done < count;) {      /* read the media: a host error is an uncorrectable sector */
        uint32_t n = count - done < IDE_DMA_CHUNK ? count - done : IDE_DMA_CHUNK;
        if (blockdev_read(bd, lba + done, c->dma_buf, n) < 0) {
            ide_set_lba(d, lba + done);
            ide_error(c, d, ATA_ERR_UNC);
            return;
        }
        done += n;
    }
    ide_set_lba(d, lba + count - 1);
    ide_done(c, d);
}

static void ide_cmd_seek(IdeChannel *c, IdeDriveState *d)
{
    uint64_t lba, n = ide_nsectors(c, d);
    uint32_t count;
    if (!ide_get_lba(d, false, &lba, &count) || lba >= n) {
        ide_error(c, d, ATA_ERR_IDNF);
        return;
    }
    ide_done(c, d);
}

static void ide_cmd_identify(IdeChannel *c, IdeDriveState *d)
{
    uint16_t id[256];
    ide_identify(c, (int)(d - c->s.drive), id);
    for (int i = 0; i < 256; i++)
        d->buf[2 * i] = (uint8_t)id[i], d->buf[2 * i + 1] = (uint8_t)(id[i] >> 8);
    d->pos = 0;
    d->end = 512;
    d->block = 1;
    d->remain = 1;
    d->xfer = IDE_XFER_PIO_IN;
    d->status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
    ide_raise(c, d);
}

static void ide_cmd_native_max(IdeChannel *c, IdeDriveState *d, bool lba48)
{
    uint64_t n = ide_nsectors(c, d);
    uint64_t max = (lba48 ? n : (n < LBA28_LIMIT ? n : LBA28_LIMIT)) - 1;
    d->lba48 = lba48;
    if (!lba48 && !(d->device & ATA_DEV_LBA)) {   /* CHS: the last sector of the default translation */
        uint16_t cyls, heads, spt;
        ide_default_geometry(n, &cyls, &heads, &spt);
        d->lbam = (uint8_t)(cyls - 1), d->lbah = (uint8_t)((cyls - 1) >> 8);
        d->device = (uint8_t)((d->device & 0xf0) | (heads - 1));
        d->lbal = (uint8_t)spt;
    } else {
        ide_set_lba(d, max);
    }
    ide_done(c, d);
}

static void ide_cmd_diagnostic(IdeChannel *c)
{
    /* ATA-6 8.11: both devices run it whatever DEV says; each sets its signature; device 0 reports 01h (passed,
     * device 1 passed or absent) and asserts INTRQ; DEV becomes 0. */
    for (int u = 0; u < 2; u++) {
        IdeDriveState *d = &c->s.drive[u];
        if (!d->kind)
            continue;
        d->xfer = IDE_XFER_NONE;
        ide_set_signature(d);
        d->error = 0x01;
        d->status = ATA_STAT_DRDY | ATA_STAT_DSC;
    }
    c->s.unit = 0;
    IdeDriveState *d0 = &c->s.drive[0];
    if (d0->kind)
        d0->irq = 1;
    else
        c->s.drive[1].irq = 1;
    ide_update_irq(c);
}

static void ide_exec(IdeChannel *c, uint8_t cmd)
{
    IdeDriveState *d = &c->s.drive[c->s.unit];
    if (cmd == CMD_DIAGNOSTIC && (c->s.drive[0].kind || c->s.drive[1].kind)) {
        ide_cmd_diagnostic(c);
        return;
    }
    /* An absent device ignores commands; a busy one (BSY or DRQ) does not take a new one (ATA-6 5.2.12). */
    if (!d->kind || (d->status & (ATA_STAT_BSY | ATA_STAT_DRQ)))
        return;
    d->cmd = cmd;
    d->irq = 0;
    d->error = 0;
    ide_update_irq(c);
    if (d->sleeping) {
        ide_abort(c, d);                          /* only a reset wakes a sleeping device (ATA-6 6.9) */
        return;
    }
    switch (cmd) {
    case CMD_READ_SECTORS: case CMD_READ_SECTORS_NR: case CMD_READ_MULTIPLE:
        ide_cmd_rw(c, d, false, IDE_XFER_PIO_IN); break;
    case CMD_READ_SECTORS_EXT: case CMD_READ_MULTIPLE_EXT:
        ide_cmd_rw(c, d, true, IDE_XFER_PIO_IN); break;
    case CMD_WRITE_SECTORS: case CMD_WRITE_SECTORS_NR: case CMD_WRITE_MULTIPLE:
        ide_cmd_rw(c, d, false, IDE_XFER_PIO_OUT); break;
    case CMD_WRITE_SECTORS_EXT: case CMD_WRITE_MULTIPLE_EXT:
        ide_cmd_rw(c, d, true, IDE_XFER_PIO_OUT); break;
    case CMD_READ_DMA: case CMD_READ_DMA_NR: ide_cmd_rw(c, d, false, IDE_XFER_DMA_IN); break;
    case CMD_READ_DMA_EXT: ide_cmd_rw(c, d, true, IDE_XFER_DMA_IN); break;
    case CMD_WRITE_DMA: case CMD_WRITE_DMA_NR: ide_cmd_rw(c, d, false, IDE_XFER_DMA_OUT); break;
    case CMD_WRITE_DMA_EXT: ide_cmd_rw(c, d, true, IDE_XFER_DMA_OUT); break;
    case CMD_READ_VERIFY: case CMD_READ_VERIFY_NR: ide_cmd_verify(c, d, false); break;
    case CMD_READ_VERIFY_EXT: ide_cmd_verify(c, d, true); break;
    case CMD_SET_MULTIPLE:
        /* ATA-6 8.39: a power of two up to word 47's maximum; 0 turns multiple mode off */
        if (d->nsect > IDE_MAX_MULT || (d->nsect & (d->nsect - 1))) {
            ide_abort(c, d);
            break;
        }
        d->mult = d->nsect;
        ide_done(c, d);
        break;
    case CMD_SET_FEATURES: ide_cmd_set_features(c, d); break;
    case CMD_INIT_PARAMS: {
        /* ATA-6 8.16: heads from the Device register, sectors per track from the count; an unusable translation
         * makes every CHS access fail with IDNF until a good one is set */
        d->heads = (uint16_t)((d->device & 0x0f) + 1);
        d->spt = d->nsect;
        uint64_t cyl = d->spt ? ide_nsectors(c, d) / ((uint64_t)d->heads * d->spt) : 0;
        d->cyls = (uint16_t)(cyl > 65535 ? 65535 : cyl);
        ide_done(c, d);
        break;
    }
    case CMD_IDENTIFY: ide_cmd_identify(c, d); break;
    case CMD_FLUSH_CACHE: case CMD_FLUSH_CACHE_EXT:
        if (blockdev_flush(c->bd[c->s.unit]) < 0)
            ide_abort(c, d);
        else
            ide_done(c, d);
        break;
    case CMD_CHECK_POWER:
        d->nsect = d->standby ? 0x00 : 0xff;      /* 00h standby, FFh active or idle (ATA-6 8.6) */
        ide_done(c, d);
        break;
    case CMD_IDLE: case CMD_IDLE_IMMEDIATE: d->standby = 0; ide_done(c, d); break;
    case CMD_STANDBY: case CMD_STANDBY_IMMEDIATE: d->standby = 1; ide_done(c, d); break;
    case CMD_SLEEP: ide_done(c, d); d->sleeping = 1; break;
    case CMD_READ_NATIVE_MAX: ide_cmd_native_max(c, d, false); break;
    case CMD_READ_NATIVE_MAX_EXT: ide_cmd_native_max(c, d, true); break;
    default:
        if ((cmd & 0xf0) == CMD_RECALIBRATE) {    /* 10h-1Fh: RECALIBRATE (obsolete, still accepted) */
            d->lbam = d->lbah = 0;
            ide_done(c, d);
        } else if ((cmd & 0xf0) == CMD_SEEK) {
            ide_cmd_seek(c, d);
        } else {
            ide_log_once(cmd, cmd == 0xa0 || cmd == 0xa1 || cmd == 0x08 ? "ATAPI (not a disk's)" : "unsupported");
            ide_abort(c, d);
        }
    }
}

/* ---- DMA ---- */

int ide_dma_pending(const IdeChannel *c, bool *to_memory)
{
    for (int u = 0; u < 2; u++) {
        uint8_t x = c->s.drive[u].xfer;
        if (x == IDE_XFER_DMA_IN || x == IDE_XFER_DMA_OUT) {
            *to_memory = x == IDE_XFER_DMA_IN;
            return u;
        }
    }
    return -1;
}

IdeDmaResult ide_dma_run(IdeChannel *c)
{
    bool to_memory;
    int u = ide_dma_pending(c, &to_memory);
    if (u < 0 || !c->dma.rw)
        return IDE_DMA_NONE;
    IdeDriveState *d = &c->s.drive[u];
    BlockDev *bd = c->bd[u];
    while (d->remain) {
        uint32_t n = d->remain < IDE_DMA_CHUNK ? d->remain : IDE_DMA_CHUNK;
        if (to_memory && blockdev_read(bd, d->lba, c->dma_buf, n) < 0) {
            ide_set_lba(d, d->lba);
            ide_error(c, d, ATA_ERR_UNC);
            return IDE_DMA_DONE;
        }
        int64_t moved = c->dma.rw(c->dma.opaque, c->dma_buf, n * 512, to_memory);
        if (moved < 0) {                          /* master abort on the bus: the command fails */
            ide_set_lba(d, d->lba);
            ide_abort(c, d);
            return IDE_DMA_BUS_ERROR;
        }
        uint32_t whole = (uint32_t)moved / 512;
        if (!to_memory && whole && blockdev_write(bd, d->lba, c->dma_buf, whole) < 0) {
            ide_set_lba(d, d->lba);
            ide_abort(c, d);
            return IDE_DMA_DONE;
        }
        d->lba += whole;
        d->remain -= whole;
        if (moved < (int64_t)n * 512)
            return IDE_DMA_SHORT;     /* the PRD table ended first: the device still wants data (DRQ, no INTRQ) */
    }
    ide_set_lba(d, d->lba - 1);
    d->nsect = 0;
    d->hob_nsect = 0;
    ide_done(c, d);
    return IDE_DMA_DONE;
}

/* ---- registers ---- */

static bool ide_channel_empty(const IdeChannel *c)
{
    return !c->s.drive[0].kind && !c->s.drive[1].kind;
}

uint32_t ide_cmd_read(IdeChannel *c, uint32_t reg, int size)
{
    IdeDriveState *d = &c->s.drive[c->s.unit];
    bool hob = c->s.devctl & ATA_CTL_HOB;
    if (ide_channel_empty(c))
        return 0;
    switch (reg) {
    case ATA_REG_DATA: return size == 1 ? 0xff : ide_data_read(c, size);
    case ATA_REG_ERROR: return d->error;
    case ATA_REG_NSECT: return hob ? d->hob_nsect : d->nsect;
    case ATA_REG_LBAL: return hob ? d->hob_lbal : d->lbal;
    case ATA_REG_LBAM: return hob ? d->hob_lbam : d->lbam;
    case ATA_REG_LBAH: return hob ? d->hob_lbah : d->lbah;
    case ATA_REG_DEVICE: return d->device;
    case ATA_REG_STATUS:
        if (!d->kind)
            return 0;
        d->irq = 0;                               /* reading Status clears the pending interrupt (ATA-6 7.15) */
        ide_update_irq(c);
        return d->status;
    }
    return 0xff;
}

void ide_cmd_write(IdeChannel *c, uint32_t reg, uint32_t val, int size)
{
    if (reg == ATA_REG_DATA) {
        if (size > 1)
            ide_data_write(c, val, size);
        return;
    }
    uint8_t v = (uint8_t)val;
    c->s.devctl &= (uint8_t)~ATA_CTL_HOB;        /* any command block write clears HOB (ATA-6 7.8) */
    if (reg == ATA_REG_COMMAND) {
        ide_exec(c, v);
        return;
    }
    for (int u = 0; u < 2; u++) {
        IdeDriveState *d = &c->s.drive[u];
        switch (reg) {
        case ATA_REG_FEATURE: d->hob_feature = d->feature; d->feature = v; break;
        case ATA_REG_NSECT: d->hob_nsect = d->nsect; d->nsect = v; break;
        case ATA_REG_LBAL: d->hob_lbal = d->lbal; d->lbal = v; break;
        case ATA_REG_LBAM: d->hob_lbam = d->lbam; d->lbam = v; break;
        case ATA_REG_LBAH: d->hob_lbah = d->lbah; d->lbah = v; break;
        case ATA_REG_DEVICE: d->device = v; break;
        }
    }
    if (reg == ATA_REG_DEVICE) {
        c->s.unit = (v & ATA_DEV_DEV) ? 1 : 0;
        ide_update_irq(c);                        /* only the selected device drives INTRQ */
    }
}

uint8_t ide_ctl_read(IdeChannel *c)
{
    const IdeDriveState *d = &c->s.drive[c->s.unit];
    return d->kind ? d->status : 0;               /* Alternate Status: no side effects */
}

void ide_ctl_write(IdeChannel *c, uint8_t val)
{
    uint8_t old = c->s.devctl;
    c->s.devctl = val & (ATA_CTL_HOB | ATA_CTL_SRST | ATA_CTL_NIEN);
    if ((val & ATA_CTL_SRST) && !(old & ATA_CTL_SRST)) {
        /* SRST asserted: both devices stop what they do and stay busy while it is held (ATA-6 9.2) */
        for (int u = 0; u < 2; u++) {
            IdeDriveState *d = &c->s.drive[u];
            d->xfer = IDE_XFER_NONE;
            d->irq = 0;
            if (d->kind)
                d->status = ATA_STAT_BSY | ATA_STAT_DSC;
        }
    } else if (!(val & ATA_CTL_SRST) && (old & ATA_CTL_SRST)) {
        /* released: the reset completes at once (device 0 and 1 diagnostics passed), signature, DEV = 0 */
        for (int u = 0; u < 2; u++)
            ide_drive_reset(c, &c->s.drive[u]);
        c->s.unit = 0;
    }
    ide_update_irq(c);                            /* nIEN changed, or a reset cleared the interrupt */
}

/* ---- ports ---- */

static uint32_t ide_port_cmd_read(void *opaque, uint32_t addr, int size)
{
    IdeChannel *c = opaque;
    if (addr != 0 && size > 1)            /* a wide access to an 8-bit register: the register, then ones */
        return (ide_cmd_read(c, addr, 1) & 0xff) | (0xffffffffu << 8);
    return ide_cmd_read(c, addr, size);
}

static void ide_port_cmd_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    ide_cmd_write(opaque, addr, addr ? val & 0xff : val, addr ? 1 : size);
}

static uint32_t ide_port_ctl_read(void *opaque, uint32_t addr, int size)
{
    return ide_ctl_read(opaque) | (size > 1 ? 0xffffff00u : 0);
}

static void ide_port_ctl_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    ide_ctl_write(opaque, (uint8_t)val);
}

int ide_channel_map(IdeChannel *c, Machine *m, uint16_t cmd_base, uint16_t ctl_port)
{
    if (bus_register_io(m, cmd_base, 8, ide_port_cmd_read, ide_port_cmd_write, c,
                        c->index ? "ide1-cmd" : "ide0-cmd") < 0)
        return -1;
    if (bus_register_io(m, ctl_port, 1, ide_port_ctl_read, ide_port_ctl_write, c,
                        c->index ? "ide1-ctl" : "ide0-ctl") < 0) {
        bus_unregister_io(m, cmd_base, 8);
        return -1;
    }
    return 0;
}

void ide_channel_unmap(IdeChannel *c, Machine *m, uint16_t cmd_base, uint16_t ctl_port)
{
    bus_unregister_io(m, cmd_base, 8);
    bus_unregister_io(m, ctl_port, 1);
}

size_t ide_channel_save(const IdeChannel *c, uint8_t *buf, size_t cap)
{
    return dev_save_blob(IDE_TAG, &c->s, sizeof(c->s), buf, cap);
}

int ide_channel_load(IdeChannel *c, const uint8_t *buf, size_t len)
{
    IdeChannelState s;
    if (dev_load_blob(IDE_TAG, &s, sizeof(s), buf, len) < 0)
        return -1;
    for (int u = 0; u < 2; u++) {
        IdeDriveState *d = &s.drive[u];
        /* a blob must describe the same devices and a transfer that fits the buffer */
        if (d->kind != c->s.drive[u].kind || d->end > sizeof(d->buf) || d->pos > d->end ||
            d->xfer > IDE_XFER_DMA_OUT || d->block > IDE_MAX_MULT || d->mult > IDE_MAX_MULT || s.unit > 1)
            return -1;
    }
    c->s = s;
    const IdeDriveState *d = &c->s.drive[c->s.unit];
    c->irq_level = d->irq && !(c->s.devctl & ATA_CTL_NIEN);  /* the pin as saved: no new edge for the BM */
    irq_set(&c->irq, c->irq_level);
    return 0;
}
