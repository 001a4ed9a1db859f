/* task.c — hardware task switching (SDM vol 3 7.3): JMP/CALL to a TSS or task gate, INT/exception through a task
 * gate, IRET with NT=1; 32- and 16-bit TSS formats, busy bits, NT and the back link, CR3 and LDT loads, #TS.
 * Invariants: everything that can fault "before the switch" (reading the new TSS, writing the old one, the
 * back link and busy bits) happens before any register changes; faults found while loading the new task's
 * segments happen "in the new task" (SDM vol 3 7.3 step 13): they are delivered from here directly with the new
 * task's EIP, because a longjmp through the translation block would restore the old task's EIP.
 * Left out: the I/O bitmap (used by io_check_permission), VME interrupt redirection (no VME). */
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "mmu.h"
#include "sys.h"
#include "exec.h"

typedef struct TaskState {
    uint32_t cr3, eip, eflags, regs[8], ldt;
    uint32_t sel[6];
    bool trap;
} TaskState;

static uint32_t tss_ld(CpuState *env, uint32_t base, uint32_t off, int size)
{
    return mmu_ld_lin(env, base + off, size, MMU_KERNEL);
}

static void tss_read(CpuState *env, uint32_t base, bool is32, TaskState *ts)
{
    if (is32) {
        ts->cr3 = tss_ld(env, base, 0x1c, 4);
        ts->eip = tss_ld(env, base, 0x20, 4);
        ts->eflags = tss_ld(env, base, 0x24, 4);
        for (int i = 0; i < 8; i++)
            ts->regs[i] = tss_ld(env, base, 0x28 + 4 * i, 4);
        for (int i = 0; i < 6; i++)
            ts->sel[i] = tss_ld(env, base, 0x48 + 4 * i, 2);
        ts->ldt = tss_ld(env, base, 0x60, 2);
        ts->trap = tss_ld(env, base, 0x64, 2) & 1;
    } else {
        ts->eip = tss_ld(env, base, 0x0e, 2);
        ts->eflags = tss_ld(env, base, 0x10, 2);
        for (int i = 0; i < 8; i++)   /* high halves are kept (a 16-bit TSS does not hold them) */
            ts->regs[i] = (env->t[G_EAX + i] & 0xffff0000u) | tss_ld(env, base, 0x12 + 2 * i, 2);
        for (int i = 0; i < 4; i++)
            ts->sel[i] = tss_ld(env, base, 0x22 + 2 * i, 2);
        ts->sel[SEG_FS] = ts->sel[SEG_GS] = 0;
        ts->ldt = tss_ld(env, base, 0x2a, 2);
        ts->trap = false;
    }
}

static void tss_save(CpuState *env, bool is32, uint32_t eip, uint32_t eflags)
{
    uint32_t base = env->tr.base;
    if (is32) {
        mmu_st_lin(env, base + 0x20, eip, 4, MMU_KERNEL);
        mmu_st_lin(env, base + 0x24, eflags, 4, MMU_KERNEL);
        for (int i = 0; i < 8; i++)
            mmu_st_lin(env, base + 0x28 + 4 * i, env->t[G_EAX + i], 4, MMU_KERNEL);
        for (int i = 0; i < 6; i++)
            mmu_st_lin(env, base + 0x48 + 4 * i, env->seg[i].sel, 2, MMU_KERNEL);
    } else {
        mmu_st_lin(env, base + 0x0e, eip, 2, MMU_KERNEL);
        mmu_st_lin(env, base + 0x10, eflags, 2, MMU_KERNEL);
        for (int i = 0; i < 8; i++)
            mmu_st_lin(env, base + 0x12 + 2 * i, env->t[G_EAX + i], 2, MMU_KERNEL);
        for (int i = 0; i < 4; i++)
            mmu_st_lin(env, base + 0x22 + 2 * i, env->seg[i].sel, 2, MMU_KERNEL);
    }
}

/* Set or clear the busy bit (type bit 1) of the TSS descriptor sel in the GDT. */
static void tss_set_busy(CpuState *env, uint32_t sel, bool busy)
{
    uint32_t a = env->gdt_base + (sel & 0xfff8) + 5;
    uint32_t t = mmu_ld_lin(env, a, 1, MMU_KERNEL);
    mmu_st_lin(env, a, busy ? (t | 2) : (t & ~2u), 1, MMU_KERNEL);
}

/* A fault in the context of the new task: deliver it now with the new task's EIP. A fault during that delivery is
 * delivered here too (it becomes #DF, then a triple fault: at most three rounds), so nothing unwinds through the
 * old task's block; only an SMC restart (not a guest fault) is passed on to the exec loop. */
static void task_fault(CpuState *env, int vector, int error)
{
    jmp_buf saved;
    volatile int v = vector, e = error, rounds = 0;
    memcpy(saved, env->jmp_env, sizeof(saved));
    while (rounds++ < 4) {
        if (setjmp(env->jmp_env) == 0) {
            cpu_do_interrupt(env, v, false, e, env->t[G_EIP], false);
            break;
        }
        v = env->exc_vector;
        e = env->exc_error;
        if (v == EXCP_SMC_RESTART) {
            memcpy(env->jmp_env, saved, sizeof(saved));
            cpu_raise_exception(env, v, e);
        }
    }
    memcpy(env->jmp_env, saved, sizeof(saved));
    env->old_exception = -1;
}

static bool task_load_ldt(CpuState *env, uint32_t sel)
{
    uint32_t e1, e2;
    if ((sel & 0xfffc) == 0) {
        seg_cache_null(&env->ldtr, sel);
        return true;
    }
    if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2) || desc_type(e2) != SYS_LDT || !(e2 & DESC_P)) {
        task_fault(env, EXC_TS, sel & 0xfffc);
        return false;
    }
    seg_cache_set(&env->ldtr, sel, e1, e2);
    return true;
}

/* Check one segment of the new task (SDM vol 3 7.3 table 7-1 conditions); returns the fault vector or 0. */
static int task_check_seg(CpuState *env, int seg, uint32_t sel, int cpl, uint32_t *e1, uint32_t *e2)
{
    int rpl = sel & 3;
    if ((sel & 0xfffc) == 0)
        return seg == SEG_CS || seg == SEG_SS ? EXC_TS : -1;   /* -1: null data segment, fine */
    if (!seg_fetch_desc(env, sel, e1, e2) || !(*e2 & DESC_S))
        return EXC_TS;
    int dpl = desc_dpl(*e2);
    bool code = *e2 & DESC_CODE, conforming = code && (*e2 & DESC_C);
    if (seg == SEG_CS) {
        if (!code || (conforming ? dpl > rpl : dpl != rpl))
            return EXC_TS;
    } else if (seg == SEG_SS) {
        if (code || !(*e2 & DESC_W) || dpl != cpl || rpl != cpl)
            return EXC_TS;
    } else {
        if ((code && !(*e2 & DESC_R)) || (!conforming && (dpl < cpl || dpl < rpl)))
            return EXC_TS;
    }
    if (!(*e2 & DESC_P))
        return seg == SEG_SS ? EXC_SS : EXC_NP;
    return 0;
}

static bool task_load_segs(CpuState *env, const TaskState *ts)
{
    static const int order[] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
    if (ts->eflags & F_VM) {
        for (int i = 0; i < 6; i++)
            seg_load_real(env, i, ts->sel[i], true);
        env->hflags |= 3;
        return true;
    }
    int cpl = ts->sel[SEG_CS] & 3;
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
    for (int i = 0; i < 6; i++) {
        int seg = order[i];
        uint32_t sel = ts->sel[seg], e1 = 0, e2 = 0;
        int v = task_check_seg(env, seg, sel, cpl, &e1, &e2);
        if (v > 0) {
            task_fault(env, v, sel & 0xfffc);
            return false;
        }
        if (v < 0) {
            seg_cache_null(&env->seg[seg], sel);
            continue;
        }
        seg_set_accessed(env, sel, &e2);
        seg_cache_set(&env->seg[seg], sel, e1, e2);
    }
    return true;
}

/* Everything up to and including the point of no return: validate and read the new TSS, save the old one,
 * back link and busy bits. */
static void task_prepare(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int source, uint32_t next_eip,
                         TaskState *ts)
{
    bool new32 = (desc_type(e2) & 8) != 0;
    uint32_t base = desc_base(e1, e2), limit = desc_limit(e1, e2);
    if (limit < (new32 ? 0x67u : 0x2bu))
        cpu_raise_exception(env, EXC_TS, sel & 0xfffc);
    tss_read(env, base, new32, ts);
    int oldtype = (env->tr.flags >> 8) & 0xf;
    bool old32 = (oldtype & 8) != 0;
    uint32_t eflags = cpu_get_eflags(env);
    if (source == TASK_IRET)
        eflags &= ~(uint32_t)F_NT;
    if ((env->tr.sel & 0xfffc) && env->tr.limit >= (old32 ? 0x5fu : 0x29u))
        tss_save(env, old32, next_eip, eflags);
    if (source == TASK_CALL || source == TASK_INT) {
        mmu_st_lin(env, base, env->tr.sel, 2, MMU_KERNEL);
        ts->eflags |= F_NT;
    }
    if ((source == TASK_JMP || source == TASK_IRET) && (env->tr.sel & 0xfffc))
        tss_set_busy(env, env->tr.sel, false);
    if (source != TASK_IRET)
        tss_set_busy(env, sel, true);
}

void task_switch(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int source, uint32_t next_eip)
{
    TaskState ts;
    bool new32 = (desc_type(e2) & 8) != 0;
    task_prepare(env, sel, e1, e2, source, next_eip, &ts);
    /* point of no return: the new task's registers */
    seg_cache_set(&env->tr, sel, e1, e2 | (2 << 8));   /* TR is always busy */
    if (new32 && (env->cr0 & CR0_PG))
        cpu_set_cr3(env, ts.cr3);
    else if (new32)
        env->cr3 = ts.cr3;
    for (int i = 0; i < 8; i++)
        env->t[G_EAX + i] = ts.regs[i];
    env->t[G_EIP] = ts.eip;
    cpu_set_eflags(env, ts.eflags | 2, new32 ? 0xffffffffu : 0xffffu);
    env->cr0 |= CR0_TS;
    for (int i = 0; i < 6; i++) {   /* selectors load even if a descriptor then faults (SDM vol 3 7.3) */
        env->seg[i].sel = ts.sel[i];
        env->seg[i].lo = 1;
        env->seg[i].hi = 0;
    }
    cpu_update_hflags(env);
    if (!task_load_ldt(env, ts.ldt) || !task_load_segs(env, &ts))
        return;
    cpu_update_hflags(env);
    if (ts.eip > env->seg[SEG_CS].limit) {
        task_fault(env, EXC_GP, 0);
        return;
    }
    if (ts.trap) {   /* T flag of the new TSS: #DB after the switch, DR6.BT (SDM vol 3 17.2.3) */
        env->dr[6] |= DR6_BT;
        task_fault(env, EXC_DB, -1);
    }
}
