/* pc.c — assembles the PC board on a Machine: clock, 8259 pair, 8254 (+ port 0x61), RTC/CMOS, COM1 16550,
 * i8042, port 0x92, and the wires between them:
 *   PIT OUT0 → IRQ0, i8042 → IRQ1/IRQ12, COM1 → IRQ4, RTC → IRQ8, PIC INT → the CPU's INTR (bus_set_intr),
 *   INTA → i8259_intr_ack (machine->intr_ack), the CPU's FERR# → IRQ13 (latched; an OUT to port F0H clears the
 *   latch, the AT's "clear math coprocessor busy", which is also the P6's IGNNE# input: SDM vol 1 D.2.1), A20 = i8042 output port bit 1 OR port 0x92 bit 1 → env->a20_mask
 *   (with a TLB flush: cached translations hold physical addresses), reset lines → machine->reset_requested.
 * Invariants: devices only see IrqLines and the Clock given here; every line change that affects the CPU sets
 * env->exit_request so the exec loop looks at it before the next block.
 * PCI: bus 0 (0xCF8/0xCFC) with the i440FX host bridge at 00:00.0, the PIIX3 ISA bridge at 00:01.0 and its IDE
 * function at 00:01.1 (IRQ14/15, the disks of PcConfig.ide), the PIIX4 ACPI PM function at 00:01.3 (SCI on IRQ 9,
 * soft off → Machine.exit_requested) and the hotplug ports SeaBIOS's ACPI tables read (acpi_hotplug.c: nothing
 * is ever hot-plugged); device DMA invalidates translated code it overwrites
 * (Machine.dma_ram_written).
 * fw_cfg (QEMU's firmware configuration device) at 0x510/0x514 with RAM size and CPU count; the app adds the
 * kernel, initrd and command line for -kernel.
 * Left out: debug ports (app/debugdev.c), VGA. */
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include "pc.h"
#include "acpi_hotplug.h"
#include "cpu.h"
#include "mmu.h"
#include "exec.h"

enum { PC_INPUT_POLL_NS = 10000000 };

static void pc_cpu_intr(void *opaque, int line, int level)
{
    bus_set_intr(opaque, level != 0);
}

static void pc_isa_irq_set(void *opaque, int line, int level)
{
    PcBoard *pc = opaque;
    i8259_set_irq(&pc->pic, line, level);
}

IrqLine pc_isa_irq(PcBoard *pc, int n)
{
    return irq_line(pc_isa_irq_set, pc, n & 15);
}

static void pc_a20_set(void *opaque, int line, int level)
{
    PcBoard *pc = opaque;
    if (line == 0)
        pc->a20_kbc = level;
    else
        pc->a20_port92 = level;
    CpuState *env = pc->m->cpu;
    if (!env)
        return;
    uint32_t mask = (pc->a20_kbc || pc->a20_port92) ? 0xffffffffu : ~0x100000u;
    if (mask != env->a20_mask) {
        env->a20_mask = mask;
        tlb_flush_all(env);
        env->exit_request = 1;  /* no chained block may run on a translation made under the old mask */
    }
}

/* FERR# rising edge sets the IRQ13 latch; the latch holds until port F0H is written, whatever FERR# does. */
static void pc_ferr_set(void *opaque, int line, int level)
{
    (void)line;
    PcBoard *pc = opaque;
    if (level && !pc->ferr) {
        pc->ferr_latch = true;
        i8259_set_irq(&pc->pic, PC_FPU_IRQ, 1);
    }
    pc->ferr = level != 0;
}

static uint32_t pc_port_f0_read(void *opaque, uint32_t addr, int size)
{
    (void)opaque, (void)addr, (void)size;
    return 0xffffffffu;     /* write-only (unclaimed-port value) */
}

static void pc_port_f0_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    (void)addr, (void)val, (void)size;
    PcBoard *pc = opaque;
    pc->ferr_latch = false;
    i8259_set_irq(&pc->pic, PC_FPU_IRQ, 0);
}

/* Machine.dma_ram_written: device DMA changed RAM; translated code there is stale (the CPU's own stores take the
 * softmmu's path, tb_invalidate_for_store). DMA runs from timers, between blocks, so no block is running. */
static void pc_dma_ram_written(void *opaque, uint32_t pa, uint32_t len)
{
    CpuState *env = opaque;
    uint64_t end = (uint64_t)pa + len;
    for (uint64_t page = pa & ~0xfffull; page < end; page += 0x1000)
        if (tb_page_has_code(env, (uint32_t)page)) {
            tb_invalidate_phys(env, pa, len);
            return;
        }
}

/* I440fx.pam_changed: the bus routes 0xC0000-0xFFFFF by PAM now (Machine.pam_attr). Cached host pointers of the
 * window are stale (TLB), and so are translations of a segment whose reads moved between ROM and RAM (the same
 * physical address now holds other bytes). Invalidating flags blocks, it frees nothing, so the block doing the
 * config write finishes; exit_request makes the loop look before chaining on. */
static void pc_pam_changed(void *opaque, const uint8_t old[7], const uint8_t now[7])
{
    PcBoard *pc = opaque;
    CpuState *env = pc->m->cpu;
    if (!env)
        return;
    tlb_flush_all(env);
    env->exit_request = 1;
    for (uint32_t pa = 0xc0000; pa < 0x100000; pa += 0x4000) {
        int before = pa >= 0xf0000 ? (old[0] >> 4) & 1 : ((old[1 + ((pa - 0xc0000) >> 15)] >> (((pa >> 14) & 1) * 4)) & 1);
        int after = i440fx_pam_attr(&pc->i440fx, pa) & 1;
        if (before != after)
            tb_invalidate_phys(env, pa, 0x4000);
    }
}

static void pc_reset_line(void *opaque, int line, int level)
{
    PcBoard *pc = opaque;
    if (!level)
        return;
    pc->m->reset_requested = true;
    if (pc->m->cpu)
        pc->m->cpu->exit_request = 1;
}

static void pc_input_poll(void *opaque)
{
    PcBoard *pc = opaque;
    uint8_t buf[256];
    size_t room = UART_INPUT_QUEUE - pc->com1.inq_count;
    struct pollfd pfd = { .fd = pc->input_fd, .events = POLLIN };
    if (room && poll(&pfd, 1, 0) > 0) {
        ssize_t n = read(pc->input_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
        if (n <= 0) {
            pc->input_fd = -1;  /* end of input (or an error): stop polling */
            return;
        }
        if (pc->input_filter)
            n = (ssize_t)pc->input_filter(pc->input_filter_opaque, buf, (size_t)n);
        uart16550_push_input(&pc->com1, buf, (size_t)n);
    }
    timer_mod(&pc->input_timer, clock_now(&pc->clock) + PC_INPUT_POLL_NS);
}

/* CMOS bytes the firmware reads to size memory (IBM AT layout; 0x34/0x35 and 0x5b-0x5d as SeaBIOS reads them). */
static void pc_cmos_memory(PcBoard *pc)
{
    Mc146818 *r = &pc->rtc;
    uint32_t ram = pc->m->ram_size;
    uint32_t ext_kb = ram > 0x100000 ? (ram - 0x100000) / 1024 : 0;
    if (ext_kb > 0xfc00)
        ext_kb = 0xfc00;
    uint32_t above16 = ram > 0x1000000 ? (ram - 0x1000000) / 65536 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    mc146818_set_cmos(r, 0x15, 640 & 0xff);
    mc146818_set_cmos(r, 0x16, 640 >> 8);
    mc146818_set_cmos(r, 0x17, (uint8_t)ext_kb);
    mc146818_set_cmos(r, 0x18, (uint8_t)(ext_kb >> 8));
    mc146818_set_cmos(r, 0x30, (uint8_t)ext_kb);
    mc146818_set_cmos(r, 0x31, (uint8_t)(ext_kb >> 8));
    mc146818_set_cmos(r, 0x34, (uint8_t)above16);
    mc146818_set_cmos(r, 0x35, (uint8_t)(above16 >> 8));
    mc146818_set_cmos(r, 0x14, 0x06);   /* equipment: math coprocessor, VGA/EGA-class display */
    uint16_t sum = 0;
    for (int i = 0x10; i <= 0x2d; i++)
        sum = (uint16_t)(sum + mc146818_get_cmos(r, i));
    mc146818_set_cmos(r, 0x2e, (uint8_t)(sum >> 8));
    mc146818_set_cmos(r, 0x2f, (uint8_t)sum);
}

int pc_init(PcBoard *pc, Machine *m, const PcConfig *cfg)
{
    memset(pc, 0, sizeof(*pc));
    pc->m = m;
    pc->input_fd = cfg->serial_in_fd;
    clock_init(&pc->clock, cfg->clock_mode, m->cpu ? &m->cpu->icount : NULL, cfg->icount_shift);
    pc->clock.kick = m->cpu ? &m->cpu->exit_request : NULL;
    i8259_init(&pc->pic, irq_line(pc_cpu_intr, m, 0));
    i8254_init(&pc->pit, &pc->clock, pc_isa_irq(pc, PC_PIT_IRQ));
    mc146818_init(&pc->rtc, &pc->clock, pc_isa_irq(pc, PC_RTC_IRQ), cfg->rtc_epoch);
    uart16550_init(&pc->com1, &pc->clock, pc_isa_irq(pc, PC_COM1_IRQ), cfg->serial_out);
    i8042_init(&pc->kbc, pc_isa_irq(pc, PC_KBD_IRQ), pc_isa_irq(pc, PC_AUX_IRQ), irq_line(pc_a20_set, pc, 0),
               irq_line(pc_reset_line, pc, 0));
    port92_init(&pc->port92, irq_line(pc_a20_set, pc, 1), irq_line(pc_reset_line, pc, 1));
    timer_init(&pc->input_timer, &pc->clock, pc_input_poll, pc);
    if (i8259_attach(&pc->pic, m) < 0 || i8254_attach(&pc->pit, m) < 0 || mc146818_attach(&pc->rtc, m) < 0 ||
        uart16550_attach(&pc->com1, m, PC_COM1_BASE) < 0 || i8042_attach(&pc->kbc, m) < 0 ||
        port92_attach(&pc->port92, m) < 0 ||
        bus_register_io(m, 0xf0, 1, pc_port_f0_read, pc_port_f0_write, pc, "fpu-ignne") < 0)
        return -1;
    m->ferr = irq_line(pc_ferr_set, pc, 0);
    pci_bus_init(&pc->pci, m);
    i440fx_init(&pc->i440fx);
    for (int n = 0; n < 16; n++)
        pc->i440fx.isa_irq[n] = pc_isa_irq(pc, n);
    pc->i440fx.reset = irq_line(pc_reset_line, pc, 2);
    pc->i440fx.pam_changed = pc_pam_changed;
    pc->i440fx.pam_opaque = pc;
    m->pam_attr = i440fx_pam_hook;
    m->pam_opaque = &pc->i440fx;
    if (pci_bus_attach(&pc->pci) < 0 || i440fx_attach(&pc->i440fx, &pc->pci) < 0)
        return -1;
    fw_cfg_init(&pc->fw_cfg, m);
    if (fw_cfg_attach(&pc->fw_cfg) < 0 || fw_cfg_add_i64(&pc->fw_cfg, FW_CFG_RAM_SIZE, m->ram_size) < 0 ||
        fw_cfg_add_i16(&pc->fw_cfg, FW_CFG_NB_CPUS, 1) < 0 || fw_cfg_add_i16(&pc->fw_cfg, FW_CFG_MAX_CPUS, 1) < 0 ||
        fw_cfg_add_i16(&pc->fw_cfg, FW_CFG_NOGRAPHIC, 1) < 0)
        return -1;
    piix_ide_init(&pc->ide, m, &pc->clock, pc_isa_irq(pc, PC_IDE0_IRQ), pc_isa_irq(pc, PC_IDE1_IRQ));
    if (piix_ide_attach(&pc->ide, &pc->pci) < 0)
        return -1;
    piix4_pm_init(&pc->pm, m, &pc->clock, pc_isa_irq(pc, PC_SCI_IRQ));
    if (piix4_pm_attach(&pc->pm, &pc->pci) < 0 || acpi_hotplug_attach(m) < 0)
        return -1;
    for (int i = 0; i < 4; i++)
        if (cfg->ide[i] && piix_ide_attach_disk(&pc->ide, i, cfg->ide[i]) < 0)
            return -1;
    if (m->cpu) {
        m->dma_ram_written = pc_dma_ram_written;
        m->dma_opaque = m->cpu;
    }
    m->clock = &pc->clock;
    pc_cmos_memory(pc);
    pc_reset(pc);
    return 0;
}

void pc_free(PcBoard *pc)
{
    fw_cfg_free(&pc->fw_cfg);
}

void pc_reset(PcBoard *pc)
{
    fw_cfg_reset(&pc->fw_cfg);
    i8259_reset(&pc->pic);
    i8254_reset(&pc->pit);
    mc146818_reset(&pc->rtc);
    uart16550_reset(&pc->com1);
    i8042_reset(&pc->kbc);
    port92_reset(&pc->port92);
    i440fx_reset(&pc->i440fx);
    piix_ide_reset(&pc->ide);
    piix4_pm_reset(&pc->pm);
    pc->ferr = pc->ferr_latch = false;     /* RESET also reinitializes the FPU: FERR# is deasserted */
    i8259_set_irq(&pc->pic, PC_FPU_IRQ, 0);
    if (pc->input_fd >= 0 && !timer_pending(&pc->input_timer))
        timer_mod(&pc->input_timer, clock_now(&pc->clock) + PC_INPUT_POLL_NS);
}
