/* piix_ide.c — the PIIX3 IDE function (piix_ide.h): PCI identity and timing registers, legacy port decode, and
 * the Bus Master IDE engine that moves a DMA command's data along a PRD table.
 * Bus Master IDE rev 1.0 and 82371SB 2.7.3-2.7.5: command register bit 0 start/stop (clearing it aborts a transfer:
 * "bus master operation cannot be stopped and then resumed"), bit 3 direction (1 = write memory), changed only
 * while stopped; status bit 0 active (set by start, cleared when the PRD table is exhausted or on stop), bit 1 error
 * and bit 2 interrupt (write 1 to clear; interrupt is set on every rising edge of the channel's INTRQ, DMA or not),
 * bits 5/6 drive DMA capable (scratch for the BIOS); PRD entries are 8 bytes: address (bit 0 zero), byte count in
 * bits 15:1 (0 = 64 KiB) and EOT in bit 31.
 * Completion order (what libata's ata_bmdma_interrupt expects): the device's data is in memory, then INTRQ rises
 * (status.interrupt set by that edge), and active is clear if the transfer used the whole table (it stays set when
 * the table was longer than the transfer; a table shorter than the transfer clears active without an interrupt
 * and leaves the device waiting with DRQ — the driver's timeout and reset recover, as on hardware).
 * Why deferred: starting the engine (an OUT to BAR4) only arms a timer PIIX_IDE_DMA_DELAY_NS ahead; the transfer
 * runs from the clock at a block boundary. DMA into memory that holds translated code then invalidates those blocks
 * while no block is running (an immediate transfer inside the OUT could invalidate the block doing the OUT), the
 * interrupt arrives after the driver's start sequence as it does on hardware, and with -icount it is deterministic.
 * libata tolerates any latency here (it waits for the interrupt, with a timeout of seconds).
 * Invariants: every PRD entry and data byte goes through bus_dma_read/bus_dma_write (RAM only; elsewhere → the
 * error bit and the command aborted); a table is read at most to the 64 KiB boundary after its base. */
#include <stdio.h>
#include <string.h>
#include "piix_ide.h"

static const uint16_t legacy_cmd[2] = { 0x1f0, 0x170 }, legacy_ctl[2] = { 0x3f6, 0x376 };

/* ---- bus master engine ---- */

static bool piix_bme(const PiixIde *p)
{
    return p->pci.config[PCI_COMMAND] & PCI_COMMAND_MASTER;
}

static void piix_bm_kick(PiixIde *p, int ch)
{
    bool to_memory;
    if ((p->s.bm[ch].cmd & BM_CMD_START) && piix_bme(p) && ide_dma_pending(&p->ch[ch], &to_memory) >= 0 &&
        !timer_pending(&p->bmc[ch].timer))
        timer_mod(&p->bmc[ch].timer, clock_now(p->clock) + PIIX_IDE_DMA_DELAY_NS);
}

static void piix_log_once(int what, const char *msg, uint32_t v)
{
    static unsigned logged;
    if (logged & (1u << what))
        return;
    logged |= 1u << what;
    fprintf(stderr, "pcjit: piix-ide: %s 0x%x\n", msg, v);
}

/* IdeDmaOps.rw: move len bytes along the PRD table. */
static int64_t piix_bm_rw(void *opaque, uint8_t *buf, uint32_t len, bool to_memory)
{
    PiixBmChannel *bc = opaque;
    PiixIde *p = bc->ide;
    PiixBmState *b = &p->s.bm[bc->index];
    uint32_t moved = 0;
    if (!!(b->cmd & BM_CMD_READ) != to_memory)
        piix_log_once(0, "bus master direction differs from the device's command; using the device's, cmd", b->cmd);
    while (moved < len) {
        if (b->seg_left == 0) {
            if (b->table_end)
                break;
            if ((b->next ^ b->prd) & ~0xffffu) {  /* the table may not cross 64 KiB (BM-IDE 1.0, 2.0) */
                piix_log_once(1, "PRD table runs past its 64 KiB boundary without EOT, base", b->prd);
                b->table_end = 1;
                break;
            }
            uint8_t e[8];
            if (bus_dma_read(p->m, b->next, e, 8) < 0)
                return -1;
            uint32_t addr = (uint32_t)e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24;
            uint32_t ctl = (uint32_t)e[4] | e[5] << 8 | e[6] << 16 | (uint32_t)e[7] << 24;
            b->next += 8;
            b->seg_addr = addr & ~1u;
            b->seg_left = (ctl & 0xfffe) ? (ctl & 0xfffe) : 0x10000;
            b->table_end = (ctl & BM_PRD_EOT) != 0;
        }
        uint32_t n = len - moved < b->seg_left ? len - moved : b->seg_left;
        int rc = to_memory ? bus_dma_write(p->m, b->seg_addr, buf + moved, n)
                           : bus_dma_read(p->m, b->seg_addr, buf + moved, n);
        if (rc < 0)
            return -1;
        b->seg_addr += n;
        b->seg_left -= n;
        moved += n;
    }
    return moved;
}

static void piix_bm_timer(void *opaque)
{
    PiixBmChannel *bc = opaque;
    PiixIde *p = bc->ide;
    PiixBmState *b = &p->s.bm[bc->index];
    if (!(b->cmd & BM_CMD_START) || !piix_bme(p))
        return;
    switch (ide_dma_run(&p->ch[bc->index])) {
    case IDE_DMA_DONE:
        if (b->table_end && b->seg_left == 0)
            b->status &= (uint8_t)~BM_STAT_ACTIVE;    /* the table was used up exactly */
        break;
    case IDE_DMA_SHORT:
        b->status &= (uint8_t)~BM_STAT_ACTIVE;        /* table exhausted before the device: no interrupt */
        break;
    case IDE_DMA_BUS_ERROR:
        b->status = (uint8_t)((b->status & ~BM_STAT_ACTIVE) | BM_STAT_ERROR);
        break;
    case IDE_DMA_NONE:
        break;
    }
}

static void piix_bm_ready(void *opaque)
{
    PiixBmChannel *bc = opaque;
    piix_bm_kick(bc->ide, bc->index);
}

static void piix_bm_intrq(void *opaque)
{
    PiixBmChannel *bc = opaque;
    bc->ide->s.bm[bc->index].status |= BM_STAT_INTR;
}

static void piix_bm_cmd_write(PiixIde *p, int ch, uint8_t v)
{
    PiixBmState *b = &p->s.bm[ch];
    uint8_t old = b->cmd;
    if (!(old & BM_CMD_START))
        b->cmd = (uint8_t)((b->cmd & ~BM_CMD_READ) | (v & BM_CMD_READ));
    if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
        b->cmd |= BM_CMD_START;
        b->status |= BM_STAT_ACTIVE;
        b->next = b->prd;
        b->seg_left = 0;
        b->table_end = 0;
        piix_bm_kick(p, ch);
    } else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
        b->cmd &= (uint8_t)~BM_CMD_START;
        b->status &= (uint8_t)~BM_STAT_ACTIVE;
        timer_del(&p->bmc[ch].timer);
    }
}

static uint32_t piix_bm_read(void *opaque, uint32_t addr, int size)
{
    PiixIde *p = opaque;
    uint32_t v = 0;
    for (int i = 0; i < size && addr + (uint32_t)i < 16; i++) {
        uint32_t a = addr + (uint32_t)i;
        const PiixBmState *b = &p->s.bm[a >> 3];
        uint8_t byte = 0;
        switch (a & 7) {
        case 0: byte = b->cmd; break;
        case 2: byte = b->status; break;
        case 4: case 5: case 6: case 7: byte = (uint8_t)(b->prd >> (8 * ((a & 7) - 4))); break;
        }
        v |= (uint32_t)byte << (8 * i);
    }
    return v;
}

static void piix_bm_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    PiixIde *p = opaque;
    for (int i = 0; i < size && addr + (uint32_t)i < 16; i++) {
        uint32_t a = addr + (uint32_t)i;
        int ch = (int)(a >> 3);
        PiixBmState *b = &p->s.bm[ch];
        uint8_t v = (uint8_t)(val >> (8 * i));
        switch (a & 7) {
        case 0: piix_bm_cmd_write(p, ch, v); break;
        case 2:
            b->status = (uint8_t)((b->status & (BM_STAT_ACTIVE | BM_STAT_ERROR | BM_STAT_INTR)) |
                                  (v & (BM_STAT_DRV0 | BM_STAT_DRV1)));
            b->status &= (uint8_t)~(v & (BM_STAT_ERROR | BM_STAT_INTR));     /* write 1 to clear */
            break;
        case 4: case 5: case 6: case 7: {
            int sh = 8 * ((int)(a & 7) - 4);
            b->prd = (b->prd & ~(0xffu << sh)) | (uint32_t)v << sh;
            b->prd &= ~3u;
            break;
        }
        }
    }
}

/* ---- PCI function ---- */

static void piix_ide_update_decode(PiixIde *p)
{
    bool iose = p->pci.config[PCI_COMMAND] & PCI_COMMAND_IO;
    for (int ch = 0; ch < 2; ch++) {
        uint16_t idetim = (uint16_t)(p->pci.config[PIIX_IDETIM + 2 * ch] | p->pci.config[PIIX_IDETIM + 2 * ch + 1] << 8);
        bool want = iose && (idetim & PIIX_IDETIM_IDE);
        if (want == p->decoded[ch])
            continue;
        if (want) {
            if (ide_channel_map(&p->ch[ch], p->m, legacy_cmd[ch], legacy_ctl[ch]) < 0) {
                piix_log_once(2 + ch, "legacy IDE ports already taken, channel", (uint32_t)ch);
                continue;
            }
        } else {
            ide_channel_unmap(&p->ch[ch], p->m, legacy_cmd[ch], legacy_ctl[ch]);
        }
        p->decoded[ch] = want;
    }
}

static void piix_ide_config_write(PciDevice *d, uint32_t off, uint32_t val, int size)
{
    PiixIde *p = d->opaque;
    if (off < PCI_COMMAND + 2 && off + (uint32_t)size > PCI_COMMAND) {
        piix_ide_update_decode(p);
        piix_bm_kick(p, 0);                       /* bus mastering may just have been enabled */
        piix_bm_kick(p, 1);
    }
    if (off < PIIX_IDETIM + 4 && off + (uint32_t)size > PIIX_IDETIM)
        piix_ide_update_decode(p);
}

void piix_ide_init(PiixIde *p, Machine *m, Clock *clock, IrqLine irq14, IrqLine irq15)
{
    memset(p, 0, sizeof(*p));
    p->m = m;
    p->clock = clock;
    /* 82371SB function 1: mass storage / IDE, programming interface 80h (bus master, both channels in
     * compatibility mode, modes fixed) */
    pci_device_init(&p->pci, 0x8086, 0x7010, 0x00, 0x010180, 0x00);
    p->pci.opaque = p;
    p->pci.wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MASTER;
    p->pci.wmask[PCI_COMMAND + 1] = 0;
    for (int i = 0; i < 4; i++)
        p->pci.wmask[PIIX_IDETIM + i] = (i & 1) ? 0xf3 : 0xff;   /* bits 11:10 reserved */
    p->pci.wmask[PIIX_SIDETIM] = 0xff;
    p->pci.config_write = piix_ide_config_write;
    pci_device_set_bar(&p->pci, 4, true, 16, piix_bm_read, piix_bm_write, p, "piix-bmide");
    IrqLine irqs[2] = { irq14, irq15 };
    for (int ch = 0; ch < 2; ch++) {
        ide_channel_init(&p->ch[ch], ch, irqs[ch]);
        p->bmc[ch] = (PiixBmChannel){ .ide = p, .index = ch };
        timer_init(&p->bmc[ch].timer, clock, piix_bm_timer, &p->bmc[ch]);
        p->ch[ch].dma = (IdeDmaOps){ .rw = piix_bm_rw, .ready = piix_bm_ready, .intrq = piix_bm_intrq,
                                     .opaque = &p->bmc[ch] };
    }
}

int piix_ide_attach(PiixIde *p, PciBus *bus)
{
    return pci_register(bus, &p->pci, 1 << 3 | 1);
}

int piix_ide_attach_disk(PiixIde *p, int n, BlockDev *bd)
{
    if (n < 0 || n > 3)
        return -1;
    return ide_attach_disk(&p->ch[n >> 1], n & 1, bd);
}

void piix_ide_reset(PiixIde *p)
{
    pci_device_reset(&p->pci);                    /* command 0: legacy decode and BAR4 off */
    memset(&p->pci.config[PIIX_IDETIM], 0, 5);
    p->pci.config[PCI_STATUS + 1] = 0x02;         /* DEVSEL medium */
    p->pci.config[PCI_STATUS] = 0x80;             /* fast back-to-back capable */
    memset(&p->s, 0, sizeof(p->s));
    for (int ch = 0; ch < 2; ch++) {
        timer_del(&p->bmc[ch].timer);
        ide_channel_reset(&p->ch[ch]);
    }
    piix_ide_update_decode(p);
}
