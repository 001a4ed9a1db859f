/* far.c — far control transfers: JMP far, CALL far and RET far in real, v8086 and protected mode, to code segments
 * (conforming and non-conforming), through call gates (parameter copy and the TSS stack on a privilege change),
 * task gates and TSS descriptors (SDM vol 2 JMP, CALL, RET; vol 3 5.8).
 * Invariants: all checks and every stack write happen before CS, EIP, SS or ESP change (precise faults); the
 * helpers end with cpu_update_hflags and the translator ends the block after them (EXIT_MODE).
 * Left out: IRET (excp.c), the task switch itself (task.c). */
#include "helpers.h"
#include "mmu.h"
#include "sys.h"

/* Check a directly addressed code segment for JMP/CALL (SDM vol 2 JMP "IF segment type is code"). */
static void far_check_code(CpuState *env, uint32_t sel, uint32_t e2)
{
    int cpl = cpu_cpl(env), dpl = desc_dpl(e2), rpl = sel & 3;
    if (e2 & DESC_C) {
        if (dpl > cpl)
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    } else if (rpl > cpl || dpl != cpl) {
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    }
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
}

/* TSS descriptor or task gate as a JMP/CALL target: find the TSS and switch (SDM vol 3 7.3). */
static void far_to_task(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int source, uint32_t next_eip)
{
    int cpl = cpu_cpl(env), dpl = desc_dpl(e2), rpl = sel & 3;
    if (dpl < cpl || dpl < rpl)
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    if (desc_type(e2) == SYS_TASKGATE) {
        sel = e1 >> 16;
        if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2))
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        int t = desc_type(e2);
        if (t != SYS_TSS16_AVAIL && t != SYS_TSS32_AVAIL)
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        if (!(e2 & DESC_P))
            cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    } else if (sel & 4) {
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);   /* TSS descriptors live in the GDT */
    }
    task_switch(env, sel, e1, e2, source, next_eip);
}

/* Call gate: check it and fetch its target code segment (SDM vol 2 CALL "CALL-GATE"). */
static void far_gate_target(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, uint32_t *tsel, uint32_t *off,
                            uint32_t *ce1, uint32_t *ce2)
{
    int cpl = cpu_cpl(env), dpl = desc_dpl(e2), rpl = sel & 3;
    if (dpl < cpl || dpl < rpl)
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    *tsel = e1 >> 16;
    *off = (e2 & 0xffff0000u) | (e1 & 0xffff);
    if (desc_type(e2) == SYS_CALLGATE16)
        *off &= 0xffff;
    if ((*tsel & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if (!seg_fetch_desc(env, *tsel, ce1, ce2) || (*ce2 & (DESC_S | DESC_CODE)) != (DESC_S | DESC_CODE) ||
        desc_dpl(*ce2) > cpl)
        cpu_raise_exception(env, EXC_GP, *tsel & 0xfffc);
    if (!(*ce2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, *tsel & 0xfffc);
}

void far_jmp(CpuState *env, uint32_t sel, uint32_t offset, uint32_t next_eip)
{
    uint32_t e1, e2;
    int cpl = cpu_cpl(env);
    if ((sel & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if (!seg_fetch_desc(env, sel, &e1, &e2))
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (e2 & DESC_S) {
        if (!(e2 & DESC_CODE))
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        far_check_code(env, sel, e2);
        if (offset > desc_limit(e1, e2))
            cpu_raise_exception(env, EXC_GP, 0);
        seg_set_accessed(env, sel, &e2);
        seg_load_cs(env, sel, e1, e2, cpl);
        env->t[G_EIP] = offset;
        return;
    }
    switch (desc_type(e2)) {
    case SYS_TSS16_AVAIL: case SYS_TSS32_AVAIL: case SYS_TASKGATE:
        far_to_task(env, sel, e1, e2, TASK_JMP, next_eip);
        return;
    case SYS_CALLGATE16: case SYS_CALLGATE32: {
        uint32_t tsel, off, ce1, ce2;
        far_gate_target(env, sel, e1, e2, &tsel, &off, &ce1, &ce2);
        /* JMP through a call gate never changes privilege: non-conforming targets need DPL = CPL */
        if (!(ce2 & DESC_C) && desc_dpl(ce2) != cpl)
            cpu_raise_exception(env, EXC_GP, tsel & 0xfffc);
        if (off > desc_limit(ce1, ce2))
            cpu_raise_exception(env, EXC_GP, 0);
        seg_set_accessed(env, tsel, &ce2);
        seg_load_cs(env, tsel, ce1, ce2, cpl);
        env->t[G_EIP] = off;
        return;
    }
    default:
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    }
}

/* CALL through a call gate to a more privileged level: new stack from the TSS, parameters copied. */
static void far_call_inner(CpuState *env, uint32_t e2, uint32_t tsel, uint32_t off, uint32_t ce1, uint32_t ce2,
                           uint32_t next_eip)
{
    int dpl = desc_dpl(ce2), size = desc_type(e2) == SYS_CALLGATE32 ? 4 : 2;
    uint32_t nparams = e2 & 0x1f, ss, esp, se1, se2;
    tss_get_stack(env, dpl, &ss, &esp, 0);
    seg_check_new_ss(env, ss, dpl, &se1, &se2, 0);
    SegCache nss;
    seg_cache_set(&nss, ss, se1, se2);
    SysStack s, old;
    stack_from_cache(&s, &nss, esp, dpl, ss & 0xfffc);
    stack_from_cache(&old, &env->seg[SEG_SS], env->t[G_ESP], cpu_cpl(env), 0);
    stack_push(env, &s, env->seg[SEG_SS].sel, size);
    stack_push(env, &s, env->t[G_ESP], size);
    /* parameters: copied from the caller's stack, last parameter (highest address) first */
    for (int i = (int)nparams - 1; i >= 0; i--) {
        SysStack p = old;
        p.sp = (old.sp + (uint32_t)i * size) & old.mask;
        stack_push(env, &s, stack_pop(env, &p, size), size);
    }
    stack_push(env, &s, env->seg[SEG_CS].sel, size);
    stack_push(env, &s, next_eip, size);
    if (off > desc_limit(ce1, ce2))
        cpu_raise_exception(env, EXC_GP, 0);
    seg_set_accessed(env, ss, &se2);
    seg_set_accessed(env, tsel, &ce2);
    seg_cache_set(&env->seg[SEG_SS], ss, se1, se2);
    stack_set_esp(env, s.sp, s.mask);
    seg_load_cs(env, tsel, ce1, ce2, dpl);
    env->t[G_EIP] = off;
}

/* CALL to the same privilege level: push CS and EIP (size bytes each) on the current stack. */
static void far_call_same(CpuState *env, uint32_t tsel, uint32_t off, uint32_t ce1, uint32_t ce2, uint32_t next_eip,
                          int size)
{
    int cpl = cpu_cpl(env);
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpl, 0);
    stack_push(env, &s, env->seg[SEG_CS].sel, size);
    stack_push(env, &s, next_eip, size);
    if (off > desc_limit(ce1, ce2))
        cpu_raise_exception(env, EXC_GP, 0);
    seg_set_accessed(env, tsel, &ce2);
    stack_set_esp(env, s.sp, s.mask);
    seg_load_cs(env, tsel, ce1, ce2, cpl);
    env->t[G_EIP] = off;
}

void far_call(CpuState *env, uint32_t sel, uint32_t offset, uint32_t next_eip, int opsize)
{
    uint32_t e1, e2;
    if ((sel & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if (!seg_fetch_desc(env, sel, &e1, &e2))
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (e2 & DESC_S) {
        if (!(e2 & DESC_CODE))
            cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
        far_check_code(env, sel, e2);
        far_call_same(env, sel, offset, e1, e2, next_eip, opsize);
        return;
    }
    switch (desc_type(e2)) {
    case SYS_TSS16_AVAIL: case SYS_TSS32_AVAIL: case SYS_TASKGATE:
        far_to_task(env, sel, e1, e2, TASK_CALL, next_eip);
        return;
    case SYS_CALLGATE16: case SYS_CALLGATE32: {
        uint32_t tsel, off, ce1, ce2;
        far_gate_target(env, sel, e1, e2, &tsel, &off, &ce1, &ce2);
        int size = desc_type(e2) == SYS_CALLGATE32 ? 4 : 2;
        if (!(ce2 & DESC_C) && desc_dpl(ce2) < cpu_cpl(env))
            far_call_inner(env, e2, tsel, off, ce1, ce2, next_eip);
        else
            far_call_same(env, tsel, off, ce1, ce2, next_eip, size);
        return;
    }
    default:
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    }
}

static bool cpu_real_or_vm(const CpuState *env)
{
    return !(env->cr0 & CR0_PE) || (env->t[G_EFLAGS] & F_VM);
}

/* JMP far: a = selector, b = offset, c = eip of the next instruction (saved by a task switch). */
void helper_ljmp(CpuState *env, uint32_t sel, uint32_t offset, uint32_t next_eip)
{
    sel &= 0xffff;
    if (cpu_real_or_vm(env)) {
        if (offset > env->seg[SEG_CS].limit)
            cpu_raise_exception(env, EXC_GP, 0);
        seg_load_real(env, SEG_CS, sel, (env->t[G_EFLAGS] & F_VM) != 0);
        env->t[G_EIP] = offset;
    } else {
        far_jmp(env, sel, offset, next_eip);
    }
    cpu_update_hflags(env);
}

/* CALL far: a = selector | (operand size << 16), b = offset, c = eip of the next instruction. */
void helper_lcall(CpuState *env, uint32_t sel_size, uint32_t offset, uint32_t next_eip)
{
    uint32_t sel = sel_size & 0xffff;
    int size = (sel_size >> 16) == 4 ? 4 : 2;
    if (cpu_real_or_vm(env)) {
        SysStack s;
        stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpu_cpl(env), 0);
        stack_push(env, &s, env->seg[SEG_CS].sel, size);
        stack_push(env, &s, next_eip, size);
        if (offset > env->seg[SEG_CS].limit)
            cpu_raise_exception(env, EXC_GP, 0);
        stack_set_esp(env, s.sp, s.mask);
        seg_load_real(env, SEG_CS, sel, (env->t[G_EFLAGS] & F_VM) != 0);
        env->t[G_EIP] = offset;
    } else {
        far_call(env, sel, offset, next_eip, size);
    }
    cpu_update_hflags(env);
}

/* RET far in protected mode (SDM vol 2 RET). */
static void far_ret_pm(CpuState *env, int size, uint32_t imm)
{
    int cpl = cpu_cpl(env);
    SysStack s;
    stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpl, 0);
    uint32_t eip = stack_pop(env, &s, size);
    uint32_t cs = stack_pop(env, &s, size) & 0xffff, e1, e2;
    far_check_return_cs(env, cs, &e1, &e2);
    int rpl = cs & 3;
    if (rpl == cpl) {
        if (eip > desc_limit(e1, e2))
            cpu_raise_exception(env, EXC_GP, 0);
        seg_set_accessed(env, cs, &e2);
        stack_set_esp(env, s.sp + imm, s.mask);
        seg_load_cs(env, cs, e1, e2, cpl);
        env->t[G_EIP] = eip;
        return;
    }
    s.sp = (s.sp + imm) & s.mask;
    far_return_outer(env, &s, size, cs, e1, e2, eip, imm);
    env->t[G_EIP] = eip;
}

/* The common tail of RETF and IRET to an outer privilege level (SDM vol 2 RET and IRET,
 * RETURN-TO-OUTER-PRIVILEGE-LEVEL): pop ESP and SS from the old stack, check the new SS against the return CS's
 * RPL, check EIP against the CS limit, load CS and SS, set ESP (releasing imm bytes of parameters on the outer
 * stack: RETF n) and null the data segment registers the new CPL may not use. The caller sets EIP (and EFLAGS). */
void far_return_outer(CpuState *env, SysStack *s, int size, uint32_t cs, uint32_t e1, uint32_t e2, uint32_t eip,
                      uint32_t imm)
{
    int rpl = cs & 3;
    uint32_t esp = stack_pop(env, s, size), ss = stack_pop(env, s, size) & 0xffff, se1, se2;
    far_check_return_ss(env, ss, rpl, &se1, &se2);
    if (eip > desc_limit(e1, e2))
        cpu_raise_exception(env, EXC_GP, 0);
    seg_set_accessed(env, cs, &e2);
    seg_set_accessed(env, ss, &se2);
    seg_load_cs(env, cs, e1, e2, rpl);
    seg_cache_set(&env->seg[SEG_SS], ss, se1, se2);
    if (size == 2)
        esp &= 0xffff;
    stack_set_esp(env, esp + imm, (se2 & DESC_B) ? 0xffffffffu : 0xffff);
    seg_null_inaccessible(env);
}

/* RET far [imm16]: a = operand size (2/4), b = bytes to release after the return address. */
void helper_lret(CpuState *env, uint32_t opsize, uint32_t imm)
{
    int size = opsize == 4 ? 4 : 2;
    imm &= 0xffff;
    if (cpu_real_or_vm(env)) {
        SysStack s;
        stack_from_cache(&s, &env->seg[SEG_SS], env->t[G_ESP], cpu_cpl(env), 0);
        uint32_t eip = stack_pop(env, &s, size);
        uint32_t cs = stack_pop(env, &s, size) & 0xffff;
        if (eip > env->seg[SEG_CS].limit)
            cpu_raise_exception(env, EXC_GP, 0);
        stack_set_esp(env, s.sp + imm, s.mask);
        seg_load_real(env, SEG_CS, cs, (env->t[G_EFLAGS] & F_VM) != 0);
        env->t[G_EIP] = eip;
    } else {
        far_ret_pm(env, size, imm);
    }
    cpu_update_hflags(env);
}
