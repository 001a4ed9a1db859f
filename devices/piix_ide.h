/* piix_ide.h — the PIIX3 IDE interface (82371SB function 1, PCI 00:01.1, 8086:7010): two ATA channels at the
 * legacy ("compatibility mode") addresses 1F0h-1F7h/3F6h (IRQ14) and 170h-177h/376h (IRQ15), the IDE timing
 * registers, and the Bus Master IDE function (BAR4, 16 I/O ports: command, status, PRD table pointer per channel;
 * Intel "Programming Interface for Bus Master IDE Controller" rev 1.0, and the 82371SB datasheet 2.7).
 * Invariants: the legacy ports are decoded exactly while PCICMD.IOSE and the channel's IDETIM.IDE (bit 15) are
 * set; bus-master transfers happen only while the channel's start bit and PCICMD.BME are set, move data through
 * bus_dma_* only, and walk at most one 64 KiB-bounded PRD table (8192 entries).
 * Left out: native-mode programming interface (the PIIX3 has none), timing effects of IDETIM/SIDETIM (stored). */
#ifndef PCJIT_PIIX_IDE_H
#define PCJIT_PIIX_IDE_H
#include "pci.h"
#include "ide.h"
#include "clock.h"

enum {
    PIIX_IDETIM = 0x40, PIIX_SIDETIM = 0x44,
    PIIX_IDETIM_IDE = 0x8000,              /* IDE decode enable */
    BM_CMD_START = 0x01, BM_CMD_READ = 0x08, /* READ: the bus master writes memory (a device-to-host transfer) */
    BM_STAT_ACTIVE = 0x01, BM_STAT_ERROR = 0x02, BM_STAT_INTR = 0x04, BM_STAT_DRV0 = 0x20, BM_STAT_DRV1 = 0x40,
    BM_PRD_EOT = 0x80000000u,
    PIIX_IDE_DMA_DELAY_NS = 2000,          /* start → transfer at the next timer poll after this (see piix_ide.c) */
};

typedef struct PiixBmState {
    uint8_t cmd, status;
    uint32_t prd;                          /* PRD table base (bits 31:2) */
    uint32_t next;                         /* address of the next PRD entry */
    uint32_t seg_addr, seg_left;           /* the region of the current entry still to move */
    uint8_t table_end;                     /* the EOT entry has been taken (or the table ran past 64 KiB) */
} PiixBmState;

typedef struct PiixIdeState {
    PiixBmState bm[2];
} PiixIdeState;

typedef struct PiixIde PiixIde;
typedef struct PiixBmChannel {
    PiixIde *ide;
    int index;
    Timer timer;
} PiixBmChannel;

struct PiixIde {
    PciDevice pci;
    PiixIdeState s;
    IdeChannel ch[2];
    PiixBmChannel bmc[2];
    Machine *m;
    Clock *clock;
    bool decoded[2];                       /* legacy ports of channel n are on the bus */
};

void piix_ide_init(PiixIde *p, Machine *m, Clock *clock, IrqLine irq14, IrqLine irq15);
/* Put the function on bus at 00:01.1 (devfn 9); -1 if the slot is taken. */
int piix_ide_attach(PiixIde *p, PciBus *bus);
/* Drive n = channel * 2 + unit (0 = primary master … 3 = secondary slave, as -hda … -hdd). */
int piix_ide_attach_disk(PiixIde *p, int n, BlockDev *bd);
void piix_ide_reset(PiixIde *p);

#endif
