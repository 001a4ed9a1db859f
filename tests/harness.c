/* harness.c — test scaffolding shared by CPU tests (see harness.h): build a machine, put the CPU in real mode or
 * flat 32-bit protected mode, load code/data coherently with the translation cache, run until HLT.
 * Invariants: guest RAM is only written through harness_write/harness_fill (which invalidate translated code
 * first); segment caches are filled exactly as the hardware would after the corresponding load (SDM vol 3 3.4.3,
 * 20.1.1 for real mode), then hflags are recomputed.
 * Left out: paging, rings other than 0, devices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mmu.h"

static const uint32_t REAL_DATA_FLAGS = DESC_P | DESC_S | DESC_W | DESC_A;              /* type 3: data RW */
static const uint32_t REAL_CODE_FLAGS = DESC_P | DESC_S | DESC_CODE | DESC_R | DESC_A;  /* type B: code RX */

/* Device DMA into RAM (bus_dma_write) keeps translated code coherent, as the PC board wires it (devices/pc.c). */
static void harness_dma_written(void *opaque, uint32_t pa, uint32_t len)
{
    tb_invalidate_phys(opaque, pa, len);
}

Harness *harness_new(uint32_t ram_mib)
{
    static bool interp_ready;
    Harness *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->env = calloc(1, sizeof(*h->env));
    h->m = calloc(1, sizeof(*h->m));
    if (!h->env || !h->m) {
        free(h->env);
        free(h->m);
        free(h);
        return NULL;
    }
    bus_init(h->m, ram_mib << 20);
    h->m->cpu = h->env;
    h->env->machine = h->m;
    h->env->ram = h->m->ram;
    h->env->ram_size = h->m->ram_size;
    cpu_reset(h->env);
    fpu_reset(h->env);   /* the state firmware leaves (FNINIT: FCW 037FH, all masked), not RESET's FCW 0040H */
    /* cpu_reset owns the architectural state; the wiring above must survive it */
    h->env->machine = h->m;
    h->env->ram = h->m->ram;
    h->env->ram_size = h->m->ram_size;
    h->env->a20_mask = 0xffffffffu;
    if (!interp_ready) {
        interp_init();
        interp_ready = true;
    }
    tb_cache_init(h->env);
    h->m->dma_ram_written = harness_dma_written;
    h->m->dma_opaque = h->env;
    h->opt.accel = ACCEL_INTERP;
    /* PCJIT_ACCEL=jit|lockstep reruns a whole suite on another engine (tests/tests.cmake adds the _jit variants) */
    const char *accel = getenv("PCJIT_ACCEL");
    if (accel && *accel && !harness_set_accel(h, accel)) {
        fprintf(stderr, "harness: unknown PCJIT_ACCEL '%s' (interp, jit, lockstep)\n", accel);
        abort();
    }
    h->opt.stop_on_hlt = true;
    harness_real_mode(h);
    return h;
}

void harness_free(Harness *h)
{
    if (!h)
        return;
    tb_cache_free(h->env);
    bus_free(h->m);
    free(h->env);
    free(h->m);
    free(h);
}

bool harness_set_accel(Harness *h, const char *name)
{
    static const struct { const char *name; Accel accel; } names[] = {
        { "interp", ACCEL_INTERP }, { "jit", ACCEL_JIT }, { "lockstep", ACCEL_LOCKSTEP },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            h->opt.accel = names[i].accel;
            return true;
        }
    }
    return false;
}

static void seg_set(SegCache *s, uint16_t sel, uint32_t base, uint32_t limit, uint32_t flags)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->flags = flags;
    s->lo = 0;        /* expand-up segments: offsets 0..limit are valid */
    s->hi = limit;
}

void harness_set_seg_real(Harness *h, int seg, uint16_t sel)
{
    /* SDM vol 3 20.1.1: in real-address mode a segment load sets base = selector * 16 and leaves the limit and
     * attributes as they were; after reset and in every real-mode program we run they are 64 KiB, RW data. */
    seg_set(&h->env->seg[seg], sel, (uint32_t)sel << 4, 0xffff, seg == SEG_CS ? REAL_CODE_FLAGS : REAL_DATA_FLAGS);
    cpu_update_hflags(h->env);
}

void harness_real_mode(Harness *h)
{
    CpuState *env = h->env;
    env->cr0 &= ~(CR0_PE | CR0_PG);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        seg_set(&env->seg[s], 0, 0, 0xffff, s == SEG_CS ? REAL_CODE_FLAGS : REAL_DATA_FLAGS);
    env->idt_base = 0;
    env->idt_limit = 0x3ff;   /* the real-mode IVT at 0 (SDM vol 3 20.1.4) */
    cpu_set_eflags(env, 2, 0xffffffffu);
    cpu_update_hflags(env);
    tlb_flush_all(env);
}

void harness_flat32(Harness *h, uint32_t gdt_pa)
{
    /* descriptors (SDM vol 3 3.4.5): base 0, limit 0xFFFFF pages (G=1), D/B=1, present, DPL 0 */
    static const uint64_t gdt[3] = {
        0,
        0x00cf9b000000ffffull,   /* 0x08: code, execute/read, accessed */
        0x00cf93000000ffffull,   /* 0x10: data, read/write, accessed */
    };
    CpuState *env = h->env;
    harness_write(h, gdt_pa, gdt, sizeof(gdt));
    env->gdt_base = gdt_pa;
    env->gdt_limit = sizeof(gdt) - 1;
    env->idt_base = 0;
    env->idt_limit = 0;
    env->cr0 |= CR0_PE | CR0_ET;
    env->cr0 &= ~CR0_PG;
    for (int s = SEG_ES; s <= SEG_GS; s++) {
        uint64_t d = gdt[s == SEG_CS ? 1 : 2];
        seg_set(&env->seg[s], s == SEG_CS ? 0x08 : 0x10, 0, 0xffffffffu, (uint32_t)(d >> 32) & 0x00ffff00u);
    }
    cpu_set_eflags(env, 2, 0xffffffffu);
    cpu_update_hflags(env);
    tlb_flush_all(env);
}

/* Clip [pa, pa+len) to RAM; returns the usable length. */
static uint32_t ram_clip(const Harness *h, uint32_t pa, uint32_t len)
{
    uint32_t size = h->env->ram_size;
    if (pa >= size)
        return 0;
    return len > size - pa ? size - pa : len;
}

/* Before changing bytes in RAM: drop translations of the page span [pa, pa+len) if it differs and holds code. */
static void ram_prepare_write(Harness *h, uint32_t pa, const uint8_t *newbytes, uint32_t len, int fill)
{
    const uint8_t *cur = h->env->ram + pa;
    bool differs = false;
    for (uint32_t i = 0; i < len && !differs; i++)
        differs = cur[i] != (newbytes ? newbytes[i] : (uint8_t)fill);
    if (!differs)
        return;
    uint32_t first = pa & TARGET_PAGE_MASK, last = (pa + len - 1) & TARGET_PAGE_MASK;
    for (uint32_t p = first;; p += TARGET_PAGE_SIZE) {
        if (tb_page_has_code(h->env, p)) {
            tb_invalidate_phys(h->env, pa, len);
            break;
        }
        if (p == last)
            break;
    }
}

void harness_write(Harness *h, uint32_t pa, const void *bytes, uint32_t len)
{
    len = ram_clip(h, pa, len);
    if (!len)
        return;
    ram_prepare_write(h, pa, bytes, len, 0);
    memcpy(h->env->ram + pa, bytes, len);
}

void harness_fill(Harness *h, uint32_t pa, uint8_t value, uint32_t len)
{
    len = ram_clip(h, pa, len);
    if (!len)
        return;
    ram_prepare_write(h, pa, NULL, len, value);
    memset(h->env->ram + pa, value, len);
}

void harness_read(Harness *h, uint32_t pa, void *bytes, uint32_t len)
{
    uint32_t n = ram_clip(h, pa, len);
    memcpy(bytes, h->env->ram + pa, n);
    memset((uint8_t *)bytes + n, 0, len - n);
}

uint32_t harness_eflags(Harness *h)
{
    return cpu_get_eflags(h->env);
}

void harness_set_eflags(Harness *h, uint32_t value)
{
    cpu_set_eflags(h->env, value | 2, 0xffffffffu);
    cpu_update_hflags(h->env);
}

ExecStop harness_run(Harness *h, uint64_t max_insns)
{
    CpuState *env = h->env;
    env->halted = false;
    env->shutdown = false;
    env->exit_request = 0;
    h->m->exit_requested = false;
    h->m->reset_requested = false;
    h->opt.max_insns = max_insns;
    h->last_stop = (ExecStop)cpu_exec(env, &h->opt);
    return h->last_stop;
}

const char *harness_stop_name(ExecStop s)
{
    switch (s) {
    case STOP_LIMIT: return "instruction limit reached";
    case STOP_HALT: return "halted";
    case STOP_EXIT: return "exit requested";
    case STOP_SHUTDOWN: return "shutdown (triple fault)";
    case STOP_RESET: return "reset";
    }
    return "?";
}

void irq_sink_set(void *opaque, int line, int level)
{
    IrqSink *s = opaque;
    if (level && !s->level[line])
        s->rises[line]++;
    s->level[line] = level;
}
