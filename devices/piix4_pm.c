/* piix4_pm.c — PIIX4 function 3, the ACPI fixed hardware of the board (piix4_pm.h).
 * The PM timer is computed from virtual time, never ticked: value = floor(now * 3579545 Hz) mod 2^24, exact over
 * any run length (128-bit arithmetic). TMR_STS is set whenever bit 23 of the counter has changed since the status
 * was last brought up to date (each read of PM1_STS, each timer event); the device arms a clock timer at the next
 * toggle only while TMR_EN is set, so an idle guest costs nothing.
 * SCI (ACPI 4.7.3.1): asserted (level, IRQ 9) while any of TMR/GBL/PWRBTN/RTC is set in both PM1_STS and PM1_EN, or
 * any GPE0 status bit with its enable bit; status bits are write-1-to-clear. (SCI_EN only says where events go on a
 * machine with SMM; here they always go to the SCI, as on QEMU.)
 * Sleep (82371AB 7.2.3 PMCNTRL): writing SUS_EN (bit 13, ACPI's SLP_EN) with SUS_TYP (12:10) = 000b, the PIIX4's
 * soft off — what the DSDT's \_S5 names — powers the machine off: Machine.exit_requested with exit code 0.
 * Invariants: only PMBA bits 15:6 and PMREGMISC bit 0 are writable; the I/O block is on the bus exactly while
 * PMREGMISC.PMIOSE is set and the base is nonzero; every register access width works (bytes are lanes of the
 * 16/32-bit registers). */
#include <stdio.h>
#include <string.h>
#include "piix4_pm.h"
#include "cpu.h"

static void pm_log_once(int what, const char *msg, uint32_t v)
{
    static unsigned logged;
    if (logged & (1u << what))
        return;
    logged |= 1u << what;
    fprintf(stderr, "pcjit: piix4-pm: %s 0x%x\n", msg, v);
}

/* ---- the PM timer ---- */

static uint64_t pm_ticks(Piix4Pm *p)
{
    int64_t ns = clock_now(p->clock);
    return (uint64_t)((unsigned __int128)(uint64_t)ns * PM_TIMER_HZ / 1000000000u);
}

uint32_t piix4_pm_timer(Piix4Pm *p)
{
    return (uint32_t)(pm_ticks(p) & 0xffffff);
}

static void pm_update_sci(Piix4Pm *p)
{
    Piix4PmState *s = &p->s;
    int level = (s->pm1_sts & s->pm1_en & (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)) ||
                (s->gpe0_sts & s->gpe0_en);
    if (level != p->sci_level) {
        p->sci_level = level;
        irq_set(&p->sci, level);
    }
}

/* Bring TMR_STS up to date and (while TMR_EN) arm the timer at the next bit-23 toggle. */
static void pm_update_timer(Piix4Pm *p)
{
    uint64_t period = pm_ticks(p) >> 23;
    if (period != p->s.tmr_period) {
        p->s.pm1_sts |= PM1_TMR;
        p->s.tmr_period = period;
    }
    if (p->s.pm1_en & PM1_TMR) {
        /* first ns at which ticks reach (period + 1) << 23 */
        unsigned __int128 t = (unsigned __int128)((period + 1) << 23) * 1000000000u;
        timer_mod(&p->timer, (int64_t)((t + PM_TIMER_HZ - 1) / PM_TIMER_HZ));
    } else {
        timer_del(&p->timer);
    }
    pm_update_sci(p);
}

static void pm_timer_cb(void *opaque)
{
    pm_update_timer(opaque);
}

void piix4_pm_power_button(Piix4Pm *p)
{
    p->s.pm1_sts |= PM1_PWRBTN;
    pm_update_sci(p);
}

/* ---- the PM I/O block ---- */

static void pm_sleep(Piix4Pm *p, uint16_t cnt)
{
    unsigned typ = (cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT;
    if (typ != 0) {
        pm_log_once(8 + (int)typ, "XXX: sleep type not implemented (only 0, soft off): ignored, SLP_TYP", typ);
        return;
    }
    Machine *m = p->m;
    m->exit_code = 0;
    m->exit_requested = true;
    if (m->cpu)
        m->cpu->exit_request = 1;
}

static uint32_t pm_reg_read(Piix4Pm *p, uint32_t reg)
{
    Piix4PmState *s = &p->s;
    switch (reg) {
    case PM1_STS: pm_update_timer(p); return s->pm1_sts;
    case PM1_EN: return s->pm1_en;
    case PM1_CNT: return s->pm1_cnt;
    case PM_TMR: return piix4_pm_timer(p);
    case GPE0_STS: return s->gpe0_sts;
    case GPE0_EN: return s->gpe0_en;
    case PM_PCNTRL: return s->pcntrl;
    case PM_GLBCTL: return s->glbctl;
    case PM_DEVCTL: return s->devctl;
    case 0x14: return 0;          /* P_LVL2 / P_LVL3 (bytes 14h, 15h): reading enters C2/C3; the CPU just goes on */
    }
    pm_log_once(0, "read of an unmodelled PM register, offset", reg);
    return 0;
}

static void pm_reg_write(Piix4Pm *p, uint32_t reg, uint32_t val, uint32_t mask)
{
    Piix4PmState *s = &p->s;
    switch (reg) {
    case PM1_STS:
        s->pm1_sts &= (uint16_t)~(val & mask);                       /* write 1 to clear */
        break;
    case PM1_EN:
        s->pm1_en = (uint16_t)((s->pm1_en & ~mask) | (val & mask & (PM1_TMR | PM1_GBL | PM1_PWRBTN | PM1_RTC)));
        pm_update_timer(p);
        break;
    case PM1_CNT:
        s->pm1_cnt = (uint16_t)((s->pm1_cnt & ~mask) |
                                (val & mask & (PM1_SCI_EN | PM1_BM_RLD | PM1_SLP_TYP)));
        if (val & mask & PM1_SLP_EN)                                  /* write-only: reads back 0 */
            pm_sleep(p, (uint16_t)((s->pm1_cnt & PM1_SLP_TYP)));
        break;
    case GPE0_STS: s->gpe0_sts &= (uint16_t)~(val & mask); break;
    case GPE0_EN: s->gpe0_en = (uint16_t)((s->gpe0_en & ~mask) | (val & mask)); break;
    case PM_PCNTRL: s->pcntrl = (s->pcntrl & ~mask) | (val & mask); break;
    case PM_GLBCTL: s->glbctl = (s->glbctl & ~mask) | (val & mask); break;
    case PM_DEVCTL: s->devctl = (s->devctl & ~mask) | (val & mask); break;
    case PM_TMR: break;                                               /* read-only */
    default:
        pm_log_once(1, "write to an unmodelled PM register, offset", reg);
    }
    pm_update_sci(p);
}

/* Width of the register at offset reg: the access is split into lanes of it. */
static uint32_t pm_reg_base(uint32_t addr)
{
    if (addr >= PM_TMR && addr < PM_TMR + 4)
        return PM_TMR;
    for (uint32_t r = PM_PCNTRL; r <= PM_DEVCTL; r += 4)     /* the 32-bit registers from 10h on */
        if (r != 0x14 && addr >= r && addr < r + 4)
            return r;
    if (addr == 0x14 || addr == 0x15)
        return 0x14;
    return addr & ~1u;
}

static uint32_t pm_reg_width(uint32_t base)
{
    return base == PM_TMR || (base >= PM_PCNTRL && base != 0x14) ? 4 : 2;
}

static uint32_t pm_io_read(void *opaque, uint32_t addr, int size)
{
    uint32_t v = 0;
    for (int i = 0; i < size;) {
        uint32_t a = addr + (uint32_t)i, base = pm_reg_base(a);
        uint32_t word = pm_reg_read(opaque, base) >> (8 * (a - base));
        uint32_t lane = pm_reg_width(base) - (a - base);
        if (lane > (uint32_t)(size - i))
            lane = (uint32_t)(size - i);
        v |= (word & (lane >= 4 ? 0xffffffffu : (1u << (8 * lane)) - 1)) << (8 * i);
        i += (int)lane;
    }
    return v;
}

static void pm_io_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    for (int i = 0; i < size;) {
        uint32_t a = addr + (uint32_t)i, base = pm_reg_base(a), sh = 8 * (a - base);
        uint32_t lane = pm_reg_width(base) - (a - base);
        if (lane > (uint32_t)(size - i))
            lane = (uint32_t)(size - i);
        uint32_t mask = (lane >= 4 ? 0xffffffffu : (1u << (8 * lane)) - 1) << sh;
        pm_reg_write(opaque, base, (val >> (8 * i)) << sh, mask);
        i += (int)lane;
    }
}

/* ---- APM control ---- */

static uint32_t apm_read(void *opaque, uint32_t addr, int size)
{
    Piix4Pm *p = opaque;
    return addr == 0 ? p->s.apmc : p->s.apms;
}

static void apm_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    Piix4Pm *p = opaque;
    if (addr == 1) {
        p->s.apms = (uint8_t)val;
        return;
    }
    p->s.apmc = (uint8_t)val;
    /* the SMI handler's job in firmware with SMM: enter or leave ACPI mode (ACPI 4.7.2.5) */
    if (p->s.apmc == ACPI_ENABLE_CMD)
        p->s.pm1_cnt |= PM1_SCI_EN;
    else if (p->s.apmc == ACPI_DISABLE_CMD)
        p->s.pm1_cnt &= (uint16_t)~PM1_SCI_EN;
}

/* ---- PCI function ---- */

static void pm_update_mapping(Piix4Pm *p)
{
    uint32_t base = (uint32_t)(p->pci.config[PIIX4_PMBA] | p->pci.config[PIIX4_PMBA + 1] << 8) & 0xffc0;
    bool want = (p->pci.config[PIIX4_PMREGMISC] & 1) && base;
    if (p->mapped && (!want || base != p->mapped_base)) {
        bus_unregister_io(p->m, p->mapped_base, PM_IO_SIZE);
        p->mapped = false;
    }
    if (want && !p->mapped) {
        if (bus_register_io(p->m, base, PM_IO_SIZE, pm_io_read, pm_io_write, p, "piix4-pm") < 0) {
            pm_log_once(2, "PM I/O block overlaps another device at", base);
            return;
        }
        p->mapped = true;
        p->mapped_base = base;
    }
}

static void pm_config_write(PciDevice *d, uint32_t off, uint32_t val, int size)
{
    if ((off < PIIX4_PMBA + 4 && off + (uint32_t)size > PIIX4_PMBA) || off == PIIX4_PMREGMISC)
        pm_update_mapping(d->opaque);
}

void piix4_pm_init(Piix4Pm *p, Machine *m, Clock *clock, IrqLine sci)
{
    memset(p, 0, sizeof(*p));
    p->m = m;
    p->clock = clock;
    p->sci = sci;
    pci_device_init(&p->pci, 0x8086, 0x7113, 0x03, 0x068000, 0x00);
    p->pci.opaque = p;
    p->pci.config_write = pm_config_write;
    p->pci.config[PCI_INTERRUPT_PIN] = 1;
    p->pci.wmask[PCI_COMMAND] = PCI_COMMAND_IO;
    p->pci.wmask[PCI_COMMAND + 1] = 0;
    p->pci.wmask[PIIX4_PMBA] = 0xc0;          /* bits 15:6; bit 0 reads 1 (I/O space) */
    p->pci.wmask[PIIX4_PMBA + 1] = 0xff;
    p->pci.wmask[PIIX4_PMREGMISC] = 0x01;
    for (int i = 0; i < 4; i++)               /* SMBus base and host configuration: stored (no SMBus) */
        p->pci.wmask[PIIX4_SMBBA + i] = i == 0 ? 0xf0 : i == 1 ? 0xff : 0;
    p->pci.wmask[PIIX4_SMBHSTCFG] = 0x0f;
    for (int i = 0; i < 4; i++)               /* DEVACTB: stored; APMC_EN stays set (no SMM: see the header) */
        p->pci.wmask[PIIX4_DEVACTB + i] = i == 3 ? 0xfd : 0xff;
    timer_init(&p->timer, clock, pm_timer_cb, p);
}

int piix4_pm_attach(Piix4Pm *p, PciBus *bus)
{
    if (pci_register(bus, &p->pci, 1 << 3 | 3) < 0)
        return -1;
    return bus_register_io(p->m, APM_CNT_PORT, 2, apm_read, apm_write, p, "apm");
}

void piix4_pm_reset(Piix4Pm *p)
{
    pci_device_reset(&p->pci);
    p->pci.config[PCI_STATUS + 1] = 0x02;
    p->pci.config[PIIX4_PMBA] = 0x01;
    p->pci.config[PIIX4_PMBA + 1] = 0;
    p->pci.config[PIIX4_PMREGMISC] = 0;
    p->pci.config[PIIX4_SMBBA] = 0x01;
    p->pci.config[PIIX4_SMBBA + 1] = 0;
    p->pci.config[PIIX4_SMBHSTCFG] = 0;
    memset(&p->pci.config[PIIX4_DEVACTB], 0, 4);
    p->pci.config[PIIX4_DEVACTB + 3] = (uint8_t)(PIIX4_DEVACTB_APMC_EN >> 24);
    memset(&p->s, 0, sizeof(p->s));
    p->s.tmr_period = pm_ticks(p) >> 23;
    timer_del(&p->timer);
    pm_update_mapping(p);
    p->sci_level = -1;
    pm_update_sci(p);
}
