/* excp.c — interrupt and exception delivery (cpu_do_interrupt) and IRET: the real-mode IVT, the protected-mode
 * IDT with interrupt/trap/task gates, privilege changes through the TSS stack, v8086 -> ring 0 (VME off), error
 * codes, #DF escalation and triple fault (SDM vol 3 6.12-6.15, 20.3; vol 2 INT n, IRET).
 * Invariants: delivery reads the gate, checks it and builds the new stack frame before it changes any register,
 * so a fault during delivery (handled by the exec loop calling back here) sees the state of the interrupted
 * instruction; env->old_exception is the exception being delivered (or -1), which makes a fault during delivery
 * of a contributory exception or #PF a #DF and a fault during #DF delivery a triple fault.
 * Left out: VME/PVI (not reported by CPUID), SMM, the APIC. */
#include <stdio.h>
#include "bus.h"
#include "helpers.h"
#include "mmu.h"
#include "sys.h"

_Noreturn void cpu_raise_softint(CpuState *env, int vector, uint32_t next_eip)
{
    env->exc_is_int = true;
    env->exc_next_eip = next_eip;
    cpu_raise_exception(env, vector, -1);
}

_Noreturn void cpu_raise_trap(CpuState *env, int vector, int error, uint32_t next_eip)
{
    env->exc_is_trap = true;
    env->exc_next_eip = next_eip;
    cpu_raise_exception(env, vector, error);
}

static void cpu_triple_fault(CpuState *env)
{
    Machine *m = env->machine;
    if (m && m->reset_on_triple_fault)
        m->reset_requested = true;
    else
        env->shutdown = true;
    env->exit_request = 1;
    env->old_exception = -1;
}

static bool excp_contributory(int v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

/* SDM vol 3 6.15, table 6-5: does the second exception, raised while delivering the first, make a #DF? */
static bool excp_is_double(int first, int second)
{
    if (excp_contributory(first))
        return excp_contributory(second);
    if (first == EXC_PF)
        return excp_contributory(second) || second == EXC_PF;
    return false;
}

static void deliver_real(CpuState *env, int vector, uint32_t ret_eip)
{
    /* SDM vol 3 20.1.4: the IVT entry is 4 bytes at IDTR.base + 4*vector */
    uint32_t off = (uint32_t)vector * 4;
    if (off + 3 > env->idt_limit)
        cpu_raise_exception(env, EXC_GP, vector * 8 + 2);
    uint32_t ip = mmu_ld_lin(env, env->idt_base + off, 2, MMU_KERNEL);
    uint32_t cs = mmu_ld_lin(env, env->idt_base + off + 2, 2, MMU_KERNEL);
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], 0, 0);
    stack_push(env, &s, cpu_get_eflags(env), 2);
    stack_push(env, &s, env->seg[SEG_CS].sel, 2);
    stack_push(env, &s, ret_eip, 2);
    stack_set_esp(env, s.sp, s.mask);
    env->t[G_EFLAGS] &= ~(F_IF | F_TF | F_AC | F_RF);
    seg_load_real(env, SEG_CS, cs, false);
    env->t[G_EIP] = ip;
}

/* Task gate in the IDT (SDM vol 2 INT n, "TASK-GATE"). */
static void deliver_task_gate(CpuState *env, uint32_t gate_e1, int error, uint32_t ret_eip)
{
    uint32_t sel = gate_e1 >> 16, e1, e2;
    if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2))
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    int type = desc_type(e2);
    if (type != SYS_TSS16_AVAIL && type != SYS_TSS32_AVAIL)
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    task_switch(env, sel, e1, e2, TASK_INT, ret_eip);
    if (error >= 0) {
        /* the error code goes on the new task's stack, sized by the TSS type */
        SysStack s;
        stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpu_cpl(env), 0);
        stack_push(env, &s, (uint32_t)error, type == SYS_TSS32_AVAIL ? 4 : 2);
        stack_set_esp(env, s.sp, s.mask);
    }
}

typedef struct Gate {
    uint32_t e1, e2;      /* the gate */
    uint32_t ce1, ce2;    /* the target code segment descriptor */
    uint32_t sel, offset;
    int size;             /* 2 or 4: 16- or 32-bit gate */
    int ext;              /* EXT bit for error codes */
} Gate;

/* Read and check the target code segment of an interrupt/trap gate. */
static void gate_fetch_code(CpuState *env, Gate *g)
{
    int cpl = cpu_cpl(env);
    g->sel = g->e1 >> 16;
    g->offset = (g->e2 & 0xffff0000u) | (g->e1 & 0xffff);
    if (g->size == 2)
        g->offset &= 0xffff;
    if ((g->sel & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, g->ext);
    if (!seg_fetch_desc(env, g->sel, &g->ce1, &g->ce2) ||
        (g->ce2 & (DESC_S | DESC_CODE)) != (DESC_S | DESC_CODE) || desc_dpl(g->ce2) > cpl)
        cpu_raise_exception(env, EXC_GP, (g->sel & 0xfffc) | g->ext);
    if (!(g->ce2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, (g->sel & 0xfffc) | g->ext);
}

/* Interrupt/trap gate to a more privileged non-conforming segment: stack from the TSS (SDM vol 3 6.12.1). */
static void deliver_inner(CpuState *env, Gate *g, int error, uint32_t ret_eip, uint32_t eflags)
{
    int dpl = desc_dpl(g->ce2);
    bool vm = (eflags & F_VM) != 0;
    if (vm && dpl != 0)
        cpu_raise_exception(env, EXC_GP, (g->sel & 0xfffc) | g->ext);
    uint32_t ss, esp, se1, se2;
    tss_get_stack(env, dpl, &ss, &esp, g->ext);
    seg_check_new_ss(env, ss, dpl, &se1, &se2, g->ext);
    SegCache nss;
    seg_cache_set(&nss, ss, se1, se2);
    SysStack s;
    stack_from_cache(&s, &nss, esp, dpl, (ss & 0xfffc) | g->ext);
    if (vm) {
        stack_push(env, &s, env->seg[SEG_GS].sel, g->size);
        stack_push(env, &s, env->seg[SEG_FS].sel, g->size);
        stack_push(env, &s, env->seg[SEG_DS].sel, g->size);
        stack_push(env, &s, env->seg[SEG_ES].sel, g->size);
    }
    stack_push(env, &s, env->seg[SEG_SS].sel, g->size);
    stack_push(env, &s, env->t[G_ESP], g->size);
    stack_push(env, &s, eflags, g->size);
    stack_push(env, &s, env->seg[SEG_CS].sel, g->size);
    stack_push(env, &s, ret_eip, g->size);
    if (error >= 0)
        stack_push(env, &s, (uint32_t)error, g->size);
    if (g->offset > desc_limit(g->ce1, g->ce2))
        cpu_raise_exception(env, EXC_GP, 0);
    seg_set_accessed(env, ss, &se2);
    seg_set_accessed(env, g->sel, &g->ce2);
    /* commit */
    if (vm) {
        for (int r = SEG_ES; r <= SEG_GS; r++)
            if (r != SEG_CS && r != SEG_SS)
                seg_cache_null(&env->seg[r], 0);
    }
    nss.flags = se2 & 0x00f0ff00u;
    env->seg[SEG_SS] = nss;
    env->t[G_ESP] = (esp & ~s.mask) | s.sp;   /* a 16-bit stack keeps the TSS value's high half */
    seg_load_cs(env, g->sel, g->ce1, g->ce2, dpl);
}

static void deliver_same(CpuState *env, Gate *g, int error, uint32_t ret_eip, uint32_t eflags)
{
    int cpl = cpu_cpl(env);
    if (eflags & F_VM)
        cpu_raise_exception(env, EXC_GP, (g->sel & 0xfffc) | g->ext);
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpl, 0);
    stack_push(env, &s, eflags, g->size);
    stack_push(env, &s, env->seg[SEG_CS].sel, g->size);
    stack_push(env, &s, ret_eip, g->size);
    if (error >= 0)
        stack_push(env, &s, (uint32_t)error, g->size);
    if (g->offset > desc_limit(g->ce1, g->ce2))
        cpu_raise_exception(env, EXC_GP, 0);
    seg_set_accessed(env, g->sel, &g->ce2);
    stack_set_esp(env, s.sp, s.mask);
    seg_load_cs(env, g->sel, g->ce1, g->ce2, cpl);
}

static void deliver_pm(CpuState *env, int vector, bool is_int, int error, uint32_t ret_eip)
{
    Gate g = { .ext = is_int ? 0 : 1 };
    uint32_t gerr = (uint32_t)vector * 8 + 2 + (uint32_t)g.ext;
    if ((uint32_t)vector * 8 + 7 > env->idt_limit)
        cpu_raise_exception(env, EXC_GP, gerr);
    g.e1 = mmu_ld_lin(env, env->idt_base + vector * 8, 4, MMU_KERNEL);
    g.e2 = mmu_ld_lin(env, env->idt_base + vector * 8 + 4, 4, MMU_KERNEL);
    int type = desc_type(g.e2);
    if (type != SYS_TASKGATE && type != SYS_INTGATE16 && type != SYS_TRAPGATE16 && type != SYS_INTGATE32 &&
        type != SYS_TRAPGATE32)
        cpu_raise_exception(env, EXC_GP, gerr);
    if (is_int && desc_dpl(g.e2) < cpu_cpl(env))   /* SDM vol 3 6.12.1.1: INT n, INT3, INTO only */
        cpu_raise_exception(env, EXC_GP, vector * 8 + 2);
    if (!(g.e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, gerr);
    if (type == SYS_TASKGATE) {
        deliver_task_gate(env, g.e1, error, ret_eip);
        return;
    }
    g.size = (type & 8) ? 4 : 2;
    gate_fetch_code(env, &g);
    uint32_t eflags = cpu_get_eflags(env);
    bool conforming = (g.ce2 & DESC_C) != 0;
    int dpl = desc_dpl(g.ce2);
    if (!conforming && dpl < cpu_cpl(env))
        deliver_inner(env, &g, error, ret_eip, eflags);
    else if (conforming || dpl == cpu_cpl(env))
        deliver_same(env, &g, error, ret_eip, eflags);
    else
        cpu_raise_exception(env, EXC_GP, (g.sel & 0xfffc) | g.ext);
    /* SDM vol 3 6.12.1.2: TF, VM, RF, NT cleared; an interrupt gate also clears IF */
    env->t[G_EFLAGS] &= ~(F_TF | F_VM | F_RF | F_NT);
    if ((type & 7) == SYS_INTGATE16)
        env->t[G_EFLAGS] &= ~F_IF;
    env->t[G_EIP] = g.offset;
}

void cpu_do_interrupt(CpuState *env, int vector, bool is_int, int error, uint32_t next_eip, bool is_hw)
{
    bool trap = env->exc_is_trap;
    env->exc_is_trap = false;
    if (vector == EXC_NMI && is_hw) {
        if (env->nmi_blocked) {   /* the exec loop should not offer it; keep it pending until IRET */
            env->nmi_pending = true;
            return;
        }
        env->nmi_blocked = true;
    }
    env->halted = false;
    uint32_t ret_eip = is_int ? next_eip : trap ? env->exc_next_eip : env->t[G_EIP];
    if (is_int || is_hw) {
        error = -1;
        env->old_exception = -1;
    } else {
        int old = env->old_exception;
        if (old == EXC_DF) {
            cpu_triple_fault(env);
            return;
        }
        if (old >= 0 && excp_is_double(old, vector)) {
            vector = EXC_DF;
            error = 0;
        }
        env->old_exception = vector;
    }
    if (vector == EXC_DB && !is_int)   /* entering the #DB handler clears DR7.GD (SDM vol 3 17.2.4) */
        env->dr[7] &= ~(uint32_t)DR7_GD;
    /* XXX: SDM vol 3 17.3.1.1 says fault-class exceptions push RF=1; like QEMU we push the live RF. */
    if (!(env->cr0 & CR0_PE))
        deliver_real(env, vector, ret_eip);
    else
        deliver_pm(env, vector, is_int, error, ret_eip);
    cpu_update_hflags(env);
}

/* ---- IRET (SDM vol 2 IRET/IRETD) ---- */

static void iret_real(CpuState *env, int size, bool vm)
{
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpu_cpl(env), 0);
    uint32_t eip = stack_pop(env, &s, size);
    uint32_t cs = stack_pop(env, &s, size) & 0xffff;
    uint32_t fl = stack_pop(env, &s, size);
    uint32_t mask = F_ARITH | F_TF | F_IF | F_DF | F_NT | F_IOPL | F_RF | F_AC | F_ID;
    if (vm)
        mask &= ~F_IOPL;      /* SDM vol 2 IRET: v8086 with IOPL 3 cannot change IOPL */
    if (size == 2)
        mask &= 0xffff;
    if (eip > env->seg[SEG_CS].limit)
        cpu_raise_exception(env, EXC_GP, 0);
    stack_set_esp(env, s.sp, s.mask);
    seg_load_real(env, SEG_CS, cs, vm);
    env->t[G_EIP] = eip;
    cpu_set_eflags(env, fl, mask);
}

/* IRET from ring 0 to a v8086 task (EFLAGS image has VM=1). */
static void iret_to_v86(CpuState *env, SysStack *s, uint32_t eip, uint32_t cs, uint32_t fl)
{
    uint32_t esp = stack_pop(env, s, 4);
    uint32_t ss = stack_pop(env, s, 4);
    uint32_t es = stack_pop(env, s, 4);
    uint32_t ds = stack_pop(env, s, 4);
    uint32_t fs = stack_pop(env, s, 4);
    uint32_t gs = stack_pop(env, s, 4);
    cpu_set_eflags(env, fl, F_ARITH | F_TF | F_IF | F_DF | F_NT | F_IOPL | F_RF | F_AC | F_ID | F_VM | F_VIF |
                                F_VIP);
    seg_load_real(env, SEG_CS, cs, true);
    seg_load_real(env, SEG_SS, ss, true);
    seg_load_real(env, SEG_ES, es, true);
    seg_load_real(env, SEG_DS, ds, true);
    seg_load_real(env, SEG_FS, fs, true);
    seg_load_real(env, SEG_GS, gs, true);
    env->t[G_ESP] = esp;
    env->t[G_EIP] = eip & 0xffff;
    env->hflags |= 3;
}

/* Check the CS a far return / IRET pops (SDM vol 2 RET "RETURN-TO-OTHER-PRIVILEGE-LEVEL" checks). */
void far_check_return_cs(CpuState *env, uint32_t cs, uint32_t *e1, uint32_t *e2)
{
    int cpl = cpu_cpl(env), rpl = cs & 3;
    if ((cs & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if (!seg_fetch_desc(env, cs, e1, e2) || (*e2 & (DESC_S | DESC_CODE)) != (DESC_S | DESC_CODE) || rpl < cpl)
        cpu_raise_exception(env, EXC_GP, cs & 0xfffc);
    int dpl = desc_dpl(*e2);
    if ((*e2 & DESC_C) ? dpl > rpl : dpl != rpl)
        cpu_raise_exception(env, EXC_GP, cs & 0xfffc);
    if (!(*e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, cs & 0xfffc);
}

/* Check the SS popped on a return to an outer level rpl (#GP, not #TS, for RET/IRET). */
void far_check_return_ss(CpuState *env, uint32_t ss, int rpl, uint32_t *e1, uint32_t *e2)
{
    if ((ss & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if (!seg_fetch_desc(env, ss, e1, e2) || (int)(ss & 3) != rpl || desc_dpl(*e2) != rpl ||
        (*e2 & (DESC_S | DESC_CODE | DESC_W)) != (DESC_S | DESC_W))
        cpu_raise_exception(env, EXC_GP, ss & 0xfffc);
    if (!(*e2 & DESC_P))
        cpu_raise_exception(env, EXC_SS, ss & 0xfffc);
}

static uint32_t iret_flags_mask(const CpuState *env, int size)
{
    int cpl = cpu_cpl(env);
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT | F_RF | F_AC | F_ID;
    if (cpl == 0)
        mask |= F_IOPL | F_VIF | F_VIP;
    if (cpl <= cpu_iopl(env))
        mask |= F_IF;
    return size == 2 ? mask & 0xffff : mask;
}

static void iret_pm(CpuState *env, int size)
{
    int cpl = cpu_cpl(env);
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpl, 0);
    uint32_t eip = stack_pop(env, &s, size);
    uint32_t cs = stack_pop(env, &s, size) & 0xffff;
    uint32_t fl = stack_pop(env, &s, size);
    if (size == 4 && (fl & F_VM) && cpl == 0) {
        iret_to_v86(env, &s, eip, cs, fl);
        return;
    }
    uint32_t e1, e2, mask = iret_flags_mask(env, size);
    far_check_return_cs(env, cs, &e1, &e2);
    int rpl = cs & 3;
    if (rpl == cpl) {
        if (eip > desc_limit(e1, e2))
            cpu_raise_exception(env, EXC_GP, 0);
        seg_set_accessed(env, cs, &e2);
        stack_set_esp(env, s.sp, s.mask);
        seg_load_cs(env, cs, e1, e2, cpl);
    } else {
        far_return_outer(env, &s, size, cs, e1, e2, eip, 0);
    }
    env->t[G_EIP] = eip;
    cpu_set_eflags(env, fl, mask);
}

/* IRET with NT=1: return to the task in the back link (SDM vol 3 7.3). */
static void iret_task(CpuState *env, uint32_t next_eip)
{
    uint32_t sel = mmu_ld_lin(env, env->tr.base, 2, MMU_KERNEL), e1, e2;
    if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2))
        cpu_raise_exception(env, EXC_TS, sel & 0xfffc);
    int type = desc_type(e2);
    if (type != SYS_TSS16_BUSY && type != SYS_TSS32_BUSY)
        cpu_raise_exception(env, EXC_TS, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    task_switch(env, sel, e1, e2, TASK_IRET, next_eip);
}

/* IRET: a = operand size (2/4), b = eip of the next instruction (saved in the TSS by a task return). */
void helper_iret(CpuState *env, uint32_t opsize, uint32_t next_eip)
{
    int size = opsize == 4 ? 4 : 2;
    env->nmi_blocked = false;   /* any IRET ends NMI blocking, even one that faults later (SDM vol 3 6.7.1) */
    if (!(env->cr0 & CR0_PE))
        iret_real(env, size, false);
    else if (env->t[G_EFLAGS] & F_VM) {
        if (cpu_iopl(env) != 3)
            cpu_raise_exception(env, EXC_GP, 0);
        iret_real(env, size, true);
    } else if (env->t[G_EFLAGS] & F_NT)
        iret_task(env, next_eip);
    else
        iret_pm(env, size);
    cpu_update_hflags(env);
}

/* INT n / INT3 / INTO: a = vector, b = eip of the next instruction. v8086 with IOPL < 3: #GP(0) (VME off). */
void helper_raise_int(CpuState *env, uint32_t vector, uint32_t next_eip)
{
    if ((env->cr0 & CR0_PE) && (env->t[G_EFLAGS] & F_VM) && cpu_iopl(env) != 3)
        cpu_raise_exception(env, EXC_GP, 0);
    cpu_raise_softint(env, vector & 0xff, next_eip);
}

/* INT1 (ICEBP, F1): a #DB trap without the gate DPL check or the v8086 IOPL check. */
void helper_raise_int1(CpuState *env, uint32_t next_eip)
{
    cpu_raise_trap(env, EXC_DB, -1, next_eip);
}

/* INTO: a = eip of the next instruction; #OF when OF=1. */
void helper_into(CpuState *env, uint32_t next_eip)
{
    if (cpu_get_eflags(env) & F_OF)
        helper_raise_int(env, EXC_OF, next_eip);
}

/* BOUND: a = index, b = lower, c = upper bound (all sign-extended to 32 bits by the translator). */
void helper_bound(CpuState *env, uint32_t index, uint32_t lower, uint32_t upper)
{
    if ((int32_t)index < (int32_t)lower || (int32_t)index > (int32_t)upper)
        cpu_raise_exception(env, EXC_BR, -1);
}
