/* ide.h — one ATA channel of a PC IDE controller: the command block (data, error/features, sector count, LBA
 * low/mid/high, device, status/command) and control block (alternate status / device control) registers, two
 * devices (0 = master, 1 = slave) sharing them, and the INTRQ line. Devices are ATA disks on a BlockDev; the
 * command set, IDENTIFY data and protocol timing follow ATA/ATAPI-6 (T13 1410D; ATA-6 below).
 * DMA commands hand their data to a bus master (IdeDmaOps, implemented by the PIIX3 function in piix_ide.c), which
 * calls ide_dma_run when it has been started.
 * Invariants: every guest-supplied address and count is checked against the image before any I/O (out of range:
 * IDNF); a PIO transfer never moves more bytes than the current DRQ block (buf); the INTRQ pin follows
 * (selected device's interrupt pending) AND NOT nIEN, and a pending interrupt is cleared by reading Status.
 * Left out: ATAPI (IDE_KIND_CDROM is reserved for it: PACKET, IDENTIFY PACKET DEVICE and the 14h/EBh signature
 * belong to that device), security/SMART/HPA SET MAX, overlapped/queued commands, timing registers. */
#ifndef PCJIT_IDE_H
#define PCJIT_IDE_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "bus.h"
#include "irq.h"
#include "blockdev.h"

enum {
    /* Status (ATA-6 7.15) */
    ATA_STAT_ERR = 0x01, ATA_STAT_DRQ = 0x08, ATA_STAT_DSC = 0x10, ATA_STAT_DF = 0x20, ATA_STAT_DRDY = 0x40,
    ATA_STAT_BSY = 0x80,
    /* Error (ATA-6 7.9) */
    ATA_ERR_ABRT = 0x04, ATA_ERR_IDNF = 0x10, ATA_ERR_UNC = 0x40,
    /* Device control (ATA-6 7.8) */
    ATA_CTL_NIEN = 0x02, ATA_CTL_SRST = 0x04, ATA_CTL_HOB = 0x80,
    /* Device register (ATA-6 7.7) */
    ATA_DEV_DEV = 0x10, ATA_DEV_LBA = 0x40,
    /* command block register offsets */
    ATA_REG_DATA = 0, ATA_REG_ERROR = 1, ATA_REG_FEATURE = 1, ATA_REG_NSECT = 2, ATA_REG_LBAL = 3,
    ATA_REG_LBAM = 4, ATA_REG_LBAH = 5, ATA_REG_DEVICE = 6, ATA_REG_STATUS = 7, ATA_REG_COMMAND = 7,
    IDE_MAX_MULT = 16,                /* READ/WRITE MULTIPLE: largest DRQ block (IDENTIFY word 47) */
    IDE_DMA_CHUNK = 128,              /* sectors moved per step of a DMA transfer (64 KiB) */
};

typedef enum IdeKind { IDE_KIND_NONE, IDE_KIND_DISK, IDE_KIND_CDROM /* ATAPI: not built yet */ } IdeKind;
typedef enum IdeXfer { IDE_XFER_NONE, IDE_XFER_PIO_IN, IDE_XFER_PIO_OUT, IDE_XFER_DMA_IN, IDE_XFER_DMA_OUT } IdeXfer;

/* One device's registers and transfer state (plain data: saved and loaded as is). */
typedef struct IdeDriveState {
    uint8_t kind;                     /* IdeKind */
    uint8_t error, feature, nsect, lbal, lbam, lbah, device, status;
    uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;   /* the previous value of each (LBA48) */
    uint8_t cmd;                      /* the command being executed */
    uint8_t irq;                      /* INTRQ pending (ATA-6 5.2.8: cleared by reading Status) */
    uint8_t mult;                     /* sectors per DRQ block for READ/WRITE MULTIPLE; 0 = multiple mode off */
    uint8_t xfer_mode;                /* SET FEATURES 03h: 00h default PIO, 08h+n PIO n, 20h+n MWDMA n, 40h+n UDMA n */
    uint8_t write_cache, look_ahead, standby, sleeping;
    uint8_t xfer;                     /* IdeXfer */
    uint8_t lba48;                    /* the command is a 48-bit one (taskfile outputs go to the HOB too) */
    uint16_t cyls, heads, spt;        /* current CHS translation (INITIALIZE DEVICE PARAMETERS; words 54-56) */
    uint64_t lba;                     /* next sector of the transfer */
    uint32_t remain;                  /* sectors of the command not yet transferred (PIO: including buf's block) */
    uint32_t block;                   /* sectors in buf (PIO) */
    uint32_t pos, end;                /* PIO: byte position and end of the DRQ block in buf */
    uint8_t buf[IDE_MAX_MULT * 512];
} IdeDriveState;

typedef struct IdeChannelState {
    IdeDriveState drive[2];
    uint8_t unit;                     /* the DEV bit of the last Device register write: the selected device */
    uint8_t devctl;                   /* last Device Control write (nIEN, SRST, HOB) */
} IdeChannelState;

/* The bus master behind the channel (PIIX3 Bus Master IDE). */
typedef struct IdeDmaOps {
    /* Move len bytes between buf and guest memory along the PRD table, to_memory = device to host (a read).
     * Returns the bytes moved: len, fewer when the table ended first, or -1 on a bus error. */
    int64_t (*rw)(void *opaque, uint8_t *buf, uint32_t len, bool to_memory);
    void (*ready)(void *opaque);      /* a DMA command is waiting for the bus master (start it if it is on) */
    void (*intrq)(void *opaque);      /* INTRQ rising edge (Bus Master status bit 2) */
    void *opaque;
} IdeDmaOps;

typedef enum IdeDmaResult { IDE_DMA_DONE, IDE_DMA_SHORT, IDE_DMA_BUS_ERROR, IDE_DMA_NONE } IdeDmaResult;

typedef struct IdeChannel {
    IdeChannelState s;
    BlockDev *bd[2];
    IrqLine irq;
    int irq_level;                    /* what irq was last driven to */
    IdeDmaOps dma;
    int index;                        /* 0 primary, 1 secondary (serial numbers, messages) */
    uint8_t dma_buf[IDE_DMA_CHUNK * 512];
} IdeChannel;

void ide_channel_init(IdeChannel *c, int index, IrqLine irq);
/* Put an ATA disk on unit 0/1 (before reset). -1 if the unit is taken or the image is empty. */
int ide_attach_disk(IdeChannel *c, int unit, BlockDev *bd);
/* Hardware reset (RESET-): both devices to their power-on state, INTRQ low. */
void ide_channel_reset(IdeChannel *c);
/* Register access: reg 0-7 of the command block (data: size 2 or 4), and the control block register. */
uint32_t ide_cmd_read(IdeChannel *c, uint32_t reg, int size);
void ide_cmd_write(IdeChannel *c, uint32_t reg, uint32_t val, int size);
uint8_t ide_ctl_read(IdeChannel *c);
void ide_ctl_write(IdeChannel *c, uint8_t val);
/* Which device has a DMA command waiting for the bus master (-1: none), and its direction. */
int ide_dma_pending(const IdeChannel *c, bool *to_memory);
/* The bus master is running: move the pending DMA command's data through dma.rw and complete the command. */
IdeDmaResult ide_dma_run(IdeChannel *c);
/* Register the ports (cmd_base..+7, ctl_port) on m / remove them. */
int ide_channel_map(IdeChannel *c, Machine *m, uint16_t cmd_base, uint16_t ctl_port);
void ide_channel_unmap(IdeChannel *c, Machine *m, uint16_t cmd_base, uint16_t ctl_port);
size_t ide_channel_save(const IdeChannel *c, uint8_t *buf, size_t cap);
int ide_channel_load(IdeChannel *c, const uint8_t *buf, size_t len);
/* The 256 words of IDENTIFY DEVICE for unit (tests). */
void ide_identify(IdeChannel *c, int unit, uint16_t id[256]);

#endif
