/* seg.c — segment descriptors and segment-register loads: fetching a descriptor from the GDT/LDT, the accessed
 * bit, filling a SegCache (lo/hi with expand-down folded in), MOV/POP Sreg and LDS/LES/LSS/LFS/LGS in real,
 * v8086 and protected mode (SDM vol 2 MOV, vol 3 3.4, 5.5-5.8), the checked stack used by far transfers and
 * interrupt delivery, and the TSS stack-pointer lookup.
 * Invariants: a load checks everything (and may set the accessed bit in memory) before it changes the cache, so a
 * fault leaves the register as it was; a null selector gives lo > hi (every access faults in the MMU).
 * Left out: CS loads other than through far transfers/interrupts (far.c, excp.c, task.c). */
#include "helpers.h"
#include "mmu.h"
#include "sys.h"

/* Table base/limit for a selector's TI bit; false when TI=1 and the LDT is null. */
static bool seg_table(const CpuState *env, uint32_t sel, uint32_t *base, uint32_t *limit)
{
    if (sel & 4) {
        if (env->ldtr.lo > env->ldtr.hi)
            return false;
        *base = env->ldtr.base;
        *limit = env->ldtr.limit;
    } else {
        *base = env->gdt_base;
        *limit = env->gdt_limit;
    }
    return true;
}

bool seg_fetch_desc(CpuState *env, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    uint32_t base, limit, idx = sel & 0xfff8;
    if (!seg_table(env, sel, &base, &limit) || idx + 7 > limit)
        return false;
    *e1 = mmu_ld_lin(env, base + idx, 4, MMU_KERNEL);
    *e2 = mmu_ld_lin(env, base + idx + 4, 4, MMU_KERNEL);
    return true;
}

void seg_set_accessed(CpuState *env, uint32_t sel, uint32_t *e2)
{
    uint32_t base, limit;
    if ((*e2 & DESC_A) || !seg_table(env, sel, &base, &limit))
        return;
    *e2 |= DESC_A;
    /* only the type byte changes (SDM vol 3 3.4.5.1: the processor sets A with a locked write) */
    mmu_st_lin(env, base + (sel & 0xfff8) + 5, (*e2 >> 8) & 0xff, 1, MMU_KERNEL);
}

void seg_cache_set(SegCache *sc, uint32_t sel, uint32_t e1, uint32_t e2)
{
    sc->sel = sel;
    sc->base = desc_base(e1, e2);
    sc->limit = desc_limit(e1, e2);
    sc->flags = e2 & 0x00f0ff00u;
    if ((e2 & (DESC_S | DESC_CODE | DESC_E)) == (DESC_S | DESC_E)) {
        /* expand-down data: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (SDM vol 3 5.3) */
        uint32_t top = (e2 & DESC_B) ? 0xffffffffu : 0xffff;
        if (sc->limit >= top) {
            sc->lo = 1;
            sc->hi = 0;
        } else {
            sc->lo = sc->limit + 1;
            sc->hi = top;
        }
    } else {
        sc->lo = 0;
        sc->hi = sc->limit;
    }
}

void seg_cache_null(SegCache *sc, uint32_t sel)
{
    sc->sel = sel;
    sc->base = 0;
    sc->limit = 0;
    sc->flags = 0;
    sc->lo = 1;
    sc->hi = 0;
}

void seg_load_real(CpuState *env, int seg, uint32_t sel, bool vm)
{
    SegCache *sc = &env->seg[seg];
    sc->sel = sel & 0xffff;
    sc->base = (sel & 0xffff) << 4;
    if (vm) {
        /* SDM vol 3 20.2.1: v8086 segments are 64 KiB, DPL 3, read/write (code for CS) */
        sc->limit = 0xffff;
        sc->lo = 0;
        sc->hi = 0xffff;
        sc->flags = DESC_P | DESC_S | (3 << DESC_DPL_SHIFT) | DESC_W | DESC_A | (seg == SEG_CS ? DESC_CODE : 0);
    } else if (sc->lo > sc->hi) {
        /* a segment left unusable by protected mode becomes a normal 64 KiB segment */
        sc->limit = 0xffff;
        sc->lo = 0;
        sc->hi = 0xffff;
        sc->flags = DESC_P | DESC_S | DESC_W | DESC_A | (seg == SEG_CS ? DESC_CODE : 0);
    }
    /* else real mode keeps limit and attributes (SDM vol 3 20.1.1): unreal mode */
}

void seg_load_pm(CpuState *env, int seg, uint32_t sel)
{
    int cpl = cpu_cpl(env), rpl = sel & 3;
    uint32_t e1, e2;
    sel &= 0xffff;
    if ((sel & 0xfffc) == 0) {
        if (seg == SEG_SS)
            cpu_raise_exception(env, EXC_GP, 0);
        seg_cache_null(&env->seg[seg], sel);
        return;
    }
    if (!seg_fetch_desc(env, sel, &e1, &e2) || !(e2 & DESC_S))
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    int dpl = desc_dpl(e2);
    if (seg == SEG_SS) {
        if (rpl != cpl || dpl != cpl || (e2 & (DESC_CODE | DESC_W)) != DESC_W)
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        if (!(e2 & DESC_P))
            cpu_raise_exception(env, EXC_SS, sel & 0xfffc);
    } else {
        if ((e2 & (DESC_CODE | DESC_R)) == DESC_CODE)    /* execute-only code */
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        bool conforming = (e2 & (DESC_CODE | DESC_C)) == (DESC_CODE | DESC_C);
        if (!conforming && (rpl > dpl || cpl > dpl))
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        if (!(e2 & DESC_P))
            cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    }
    seg_set_accessed(env, sel, &e2);
    seg_cache_set(&env->seg[seg], sel, e1, e2);
}

void seg_load_cs(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int cpl)
{
    seg_cache_set(&env->seg[SEG_CS], (sel & 0xfffc) | cpl, e1, e2);
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
}

void seg_check_new_ss(CpuState *env, uint32_t ss, int dpl, uint32_t *e1, uint32_t *e2, int ext)
{
    /* SDM vol 3 6.12.1.1 / vol 2 CALL: the new SS must be a present writable data segment with RPL = DPL = the
     * new CPL; failures are #TS(SS) (the error code has EXT for interrupt delivery), not present is #SS(SS). */
    if ((ss & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_TS, (ss & 0xfffc) | ext);
    if (!seg_fetch_desc(env, ss, e1, e2))
        cpu_raise_exception(env, EXC_TS, (ss & 0xfffc) | ext);
    if ((int)(ss & 3) != dpl || desc_dpl(*e2) != dpl || (*e2 & (DESC_S | DESC_CODE | DESC_W)) != (DESC_S | DESC_W))
        cpu_raise_exception(env, EXC_TS, (ss & 0xfffc) | ext);
    if (!(*e2 & DESC_P))
        cpu_raise_exception(env, EXC_SS, (ss & 0xfffc) | ext);
}

void seg_null_inaccessible(CpuState *env)
{
    int cpl = cpu_cpl(env);
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned i = 0; i < 4; i++) {
        SegCache *sc = &env->seg[segs[i]];
        bool conforming = (sc->flags & (DESC_CODE | DESC_C)) == (DESC_CODE | DESC_C);
        if (sc->lo <= sc->hi && !conforming && desc_dpl(sc->flags) < cpl)
            seg_cache_null(sc, 0);
    }
}

/* MOV Sreg / POP Sreg / LxS: a = SEG_* (| LOAD_SEG_NO_SHADOW for LSS), b = selector. */
void helper_load_seg(CpuState *env, uint32_t seg_flags, uint32_t sel)
{
    uint32_t seg = seg_flags & ~(uint32_t)LOAD_SEG_NO_SHADOW;
    if (seg > SEG_GS || seg == SEG_CS)
        cpu_raise_exception(env, EXC_UD, -1);   /* MOV CS is #UD (SDM vol 2 MOV) */
    sel &= 0xffff;
    if (!(env->cr0 & CR0_PE))
        seg_load_real(env, seg, sel, false);
    else if (env->t[G_EFLAGS] & F_VM)
        seg_load_real(env, seg, sel, true);
    else
        seg_load_pm(env, seg, sel);
    /* SDM vol 2 MOV, POP: a load of SS inhibits interrupts (and debug traps) until after the next instruction;
     * LSS does not (SDM vol 3 6.8.3 names only MOV SS and POP SS) */
    if (seg == SEG_SS && !(seg_flags & LOAD_SEG_NO_SHADOW)) {
        env->hflags |= HF_INHIBIT_IRQ;
        if (env->t[G_EFLAGS] & F_TF)   /* ... and the single-step trap (consumed right after this instruction) */
            env->hflags |= HF_INHIBIT_DEBUG;
    }
    cpu_update_hflags(env);
}

/* ---- checked stacks ---- */

void stack_from_cache(SysStack *s, const SegCache *ss, uint32_t esp, int cpl, int err)
{
    s->base = ss->base;
    s->mask = (ss->flags & DESC_B) ? 0xffffffffu : 0xffff;
    s->sp = esp & s->mask;
    s->lo = ss->lo;
    s->hi = ss->hi;
    s->mmu_idx = cpl == 3 ? MMU_USER : MMU_KERNEL;
    s->err = err;
}

static void stack_check(CpuState *env, const SysStack *s, uint32_t off, int size)
{
    uint32_t last = off + (uint32_t)size - 1;
    if (off < s->lo || last > s->hi || last < off || (last & s->mask) != last)
        cpu_raise_exception(env, EXC_SS, s->err);
}

void stack_push(CpuState *env, SysStack *s, uint32_t val, int size)
{
    uint32_t off = (s->sp - (uint32_t)size) & s->mask;
    stack_check(env, s, off, size);
    mmu_st_lin(env, s->base + off, val, size, s->mmu_idx);
    s->sp = off;
}

uint32_t stack_pop(CpuState *env, SysStack *s, int size)
{
    uint32_t off = s->sp & s->mask;
    stack_check(env, s, off, size);
    uint32_t v = mmu_ld_lin(env, s->base + off, size, s->mmu_idx);
    s->sp = (off + (uint32_t)size) & s->mask;
    return v;
}

void stack_set_esp(CpuState *env, uint32_t sp, uint32_t mask)
{
    env->t[G_ESP] = (env->t[G_ESP] & ~mask) | (sp & mask);
}

void tss_get_stack(CpuState *env, int dpl, uint32_t *ss, uint32_t *esp, int ext)
{
    /* SDM vol 3 7.2.1 / 7.6: 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n */
    if (env->tr.lo > env->tr.hi)
        cpu_raise_exception(env, EXC_TS, (env->tr.sel & 0xfffc) | ext);
    bool tss32 = (env->tr.flags >> 8 & 0xf) == SYS_TSS32_BUSY || (env->tr.flags >> 8 & 0xf) == SYS_TSS32_AVAIL;
    if (tss32) {
        uint32_t off = 4 + 8 * (uint32_t)dpl;
        if (off + 7 > env->tr.limit)
            cpu_raise_exception(env, EXC_TS, (env->tr.sel & 0xfffc) | ext);
        *esp = mmu_ld_lin(env, env->tr.base + off, 4, MMU_KERNEL);
        *ss = mmu_ld_lin(env, env->tr.base + off + 4, 2, MMU_KERNEL);
    } else {
        uint32_t off = 2 + 4 * (uint32_t)dpl;
        if (off + 3 > env->tr.limit)
            cpu_raise_exception(env, EXC_TS, (env->tr.sel & 0xfffc) | ext);
        *esp = mmu_ld_lin(env, env->tr.base + off, 2, MMU_KERNEL);
        *ss = mmu_ld_lin(env, env->tr.base + off + 2, 2, MMU_KERNEL);
    }
}
