/* xlat_sys.c — instruction handlers for system instructions, far control transfers, interrupts and the
 * segment-pointer loads (LDS/LES/LFS/LGS/LSS): privilege and mode checks that depend only on the TB key (CPL, PE,
 * VM) are decided here at translation time; everything else calls a helper (helpers.def, sys_helpers.c, far.c,
 * excp.c, seg.c).
 * Invariants: operands are loaded (and may fault) before any helper that changes state; a helper that writes EIP
 * is followed by an EXIT_TB that does not overwrite it; anything that may change hflags or CS ends the block
 * with EXIT_MODE; with HF_TF the single-step trap is raised after the instruction (SDM vol 3 17.3.1.4).
 * Left out: RDPMC (no performance counters: #UD, logged), SMM (RSM is #UD), VME. */
#include <stddef.h>
#include <stdio.h>
#include "xlat.h"
#include "helpers.h"
#include "sys.h"

/* ---- small tools ---- */

static int sys_ldenv(Xlat *x, size_t off, int size)
{
    int d = ir_new_temp(x->b);
    IrOp *o = ir_emit(x->b, IR_LDENV);
    o->d = (uint16_t)d;
    o->imm = (uint32_t)off;
    o->sz = (uint8_t)size;
    return d;
}

static int movi(Xlat *x, uint32_t v)
{
    return ir_movi(x->b, v);
}

/* Privileged instruction: #GP(0) unless CPL 0 (v8086 mode runs at CPL 3). Returns false if it raised. */
static bool sys_cpl0(Xlat *x)
{
    if ((x->hflags & HF_CPL_MASK) != 0) {
        xlat_raise(x, EXC_GP, 0);
        return false;
    }
    return true;
}

/* Protected-mode-only instruction (LLDT, LAR, ARPL...): #UD in real and v8086 mode. */
static bool sys_need_pm(Xlat *x)
{
    if (!(x->hflags & HF_PE) || (x->hflags & HF_VM)) {
        xlat_raise(x, EXC_UD, -1);
        return false;
    }
    return true;
}

/* Offset of the memory operand plus k, wrapped to the address size. */
static int sys_ea_plus(Xlat *x, uint32_t k)
{
    int a = ir_op2i(x->b, IR_ADD_I, xlat_ea(x), k);
    return x->insn->addrsize == 2 ? ir_op1(x->b, IR_EXT16U, a) : a;
}

/* End the block after a helper that set EIP itself (far transfers, IRET, SYSENTER...). */
static void sys_exit_dyn(Xlat *x)
{
    if (x->hflags & HF_TF)
        ir_call(x->b, HELPER_debug_single_step, IR_NONE, IR_NONE, IR_NONE);
    ir_emit(x->b, IR_EXIT_TB)->imm = EXIT_MODE;
    x->end = true;
}

/* A far pointer operand: immediate ptr16:16/32 or m16:16/32 (offset first). */
static void sys_far_operand(Xlat *x, int *sel, int *off)
{
    const X86Operand *op = &x->insn->ops[0];
    int os = x->insn->opsize;
    if (op->kind == OPK_FAR) {
        *off = movi(x, op->imm);
        *sel = movi(x, op->sel);
        return;
    }
    *off = xlat_ld(x, x->insn->seg, xlat_ea(x), os);
    *sel = xlat_ld(x, x->insn->seg, sys_ea_plus(x, (uint32_t)os), 2);
}

/* ---- far transfers and interrupts ---- */

void xlat_JMPF(Xlat *x)
{
    int sel, off;
    sys_far_operand(x, &sel, &off);
    xlat_call(x, HELPER_ljmp, sel, off, movi(x, x->next_pc));
    sys_exit_dyn(x);
}

void xlat_CALLF(Xlat *x)
{
    int sel, off;
    sys_far_operand(x, &sel, &off);
    int a = ir_op2i(x->b, IR_OR_I, sel, (uint32_t)x->insn->opsize << 16);
    xlat_call(x, HELPER_lcall, a, off, movi(x, x->next_pc));
    sys_exit_dyn(x);
}

void xlat_RETF(Xlat *x)
{
    uint32_t imm = x->insn->nops > 0 ? x->insn->ops[0].imm & 0xffff : 0;
    xlat_call(x, HELPER_lret, movi(x, x->insn->opsize), movi(x, imm), IR_NONE);
    sys_exit_dyn(x);
}

void xlat_IRET(Xlat *x)
{
    xlat_call(x, HELPER_iret, movi(x, x->insn->opsize), movi(x, x->next_pc), IR_NONE);
    sys_exit_dyn(x);
}

/* A helper that never returns still needs a terminator after it (xlat.c invariant). */
static void sys_raise_call(Xlat *x, int helper, int a, int b)
{
    xlat_call(x, helper, a, b, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_NORMAL);
}

void xlat_INT(Xlat *x)
{
    sys_raise_call(x, HELPER_raise_int, movi(x, x->insn->ops[0].imm & 0xff), movi(x, x->next_pc));
}

void xlat_INT3(Xlat *x)
{
    sys_raise_call(x, HELPER_raise_int, movi(x, EXC_BP), movi(x, x->next_pc));
}

void xlat_INT1(Xlat *x)
{
    sys_raise_call(x, HELPER_raise_int1, movi(x, x->next_pc), IR_NONE);
}

void xlat_INTO(Xlat *x)
{
    xlat_call(x, HELPER_into, movi(x, x->next_pc), IR_NONE, IR_NONE);
}

void xlat_BOUND(Xlat *x)
{
    int os = x->insn->opsize;
    int lo = xlat_sext(x, xlat_ld(x, x->insn->seg, xlat_ea(x), os), os);
    int hi = xlat_sext(x, xlat_ld(x, x->insn->seg, sys_ea_plus(x, (uint32_t)os), os), os);
    int idx = xlat_sext(x, xlat_load_reg(x, x->insn->ops[0].reg, os), os);
    xlat_call(x, HELPER_bound, idx, lo, hi);
}

void xlat_UD2(Xlat *x)
{
    xlat_raise(x, EXC_UD, -1);
}

void xlat_RSM(Xlat *x)
{
    xlat_raise(x, EXC_UD, -1);   /* not in SMM: we have none */
}

/* ARPL r/m16, r16 (SDM vol 2): raise the RPL of the destination to the source's, ZF says whether it changed. */
void xlat_ARPL(Xlat *x)
{
    if (!sys_need_pm(x))
        return;
    IrBlock *b = x->b;
    int d = xlat_load_op_rmw(x, 0), s = xlat_load_op(x, 1);
    int rd = ir_op2i(b, IR_AND_I, d, 3), rs = ir_op2i(b, IR_AND_I, s, 3);
    int lt = ir_op2(b, IR_SETCC, rd, rs);
    b->ops[b->nops - 1].sz = IRC_LTU;
    int nd = ir_op2(b, IR_OR, ir_op2i(b, IR_AND_I, d, ~3u), rs);
    int res = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_SELECT);
    o->d = (uint16_t)res;
    o->a = (uint16_t)nd;
    o->b = (uint16_t)d;
    o->c = (uint16_t)lt;
    int f = xlat_flags(x);
    int nf = ir_op2(b, IR_OR, ir_op2i(b, IR_AND_I, f, ~(uint32_t)F_ZF), ir_op2i(b, IR_SHL_I, lt, 6));
    xlat_store_op(x, 0, res);
    xlat_set_flags(x, nf);
}

/* ---- port I/O, interrupt flag, HLT ---- */

static int sys_port(Xlat *x, const X86Operand *op)
{
    return op->kind == OPK_IMM ? movi(x, op->imm & 0xff) : xlat_load_reg(x, R_EDX, 2);
}

void xlat_IN(Xlat *x)
{
    int size = x->insn->ops[0].size;
    int v = xlat_call(x, HELPER_in, sys_port(x, &x->insn->ops[1]), movi(x, (uint32_t)size), IR_NONE);
    xlat_store_reg(x, R_EAX, size, v);
}

void xlat_OUT(Xlat *x)
{
    int size = x->insn->ops[1].size;
    int port = sys_port(x, &x->insn->ops[0]);
    xlat_call(x, HELPER_out, port, xlat_load_reg(x, R_EAX, size), movi(x, (uint32_t)size));
    /* a device may have raised an interrupt or remapped memory (A20): back to the exec loop */
    xlat_exit(x, x->next_pc, EXIT_IRQ_CHECK);
}

void xlat_CLI(Xlat *x)
{
    /* HF_IOPL_OK (real mode, or CPL <= IOPL outside v8086) is in the TB key: CLI is then allowed outright */
    if (x->hflags & HF_IOPL_OK) {
        IrOp *o = ir_emit(x->b, IR_AND_I);
        o->d = G_EFLAGS;
        o->a = G_EFLAGS;
        o->imm = ~(uint32_t)F_IF;
        return;
    }
    xlat_call(x, HELPER_cli, IR_NONE, IR_NONE, IR_NONE);
}

void xlat_STI(Xlat *x)
{
    xlat_call(x, HELPER_sti, IR_NONE, IR_NONE, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_IRQ_CHECK);
}

void xlat_HLT(Xlat *x)
{
    if (sys_cpl0(x))
        xlat_exit(x, x->next_pc, EXIT_HALT);   /* the exec loop sets env->halted */
}

/* ---- identification, time, MSRs, fast system calls ---- */

void xlat_CPUID(Xlat *x)
{
    xlat_call(x, HELPER_cpuid, IR_NONE, IR_NONE, IR_NONE);
}

void xlat_RDTSC(Xlat *x)
{
    xlat_call(x, HELPER_rdtsc, IR_NONE, IR_NONE, IR_NONE);
}

void xlat_RDMSR(Xlat *x)
{
    if (sys_cpl0(x))
        xlat_call(x, HELPER_rdmsr, IR_NONE, IR_NONE, IR_NONE);
}

void xlat_WRMSR(Xlat *x)
{
    if (!sys_cpl0(x))
        return;
    xlat_call(x, HELPER_wrmsr, IR_NONE, IR_NONE, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_MODE);
}

void xlat_SYSENTER(Xlat *x)
{
    xlat_call(x, HELPER_sysenter, IR_NONE, IR_NONE, IR_NONE);
    sys_exit_dyn(x);
}

void xlat_SYSEXIT(Xlat *x)
{
    xlat_call(x, HELPER_sysexit, IR_NONE, IR_NONE, IR_NONE);
    sys_exit_dyn(x);
}

/* ---- descriptor tables ---- */

static void sys_load_dtr(Xlat *x, int helper)
{
    if (!sys_cpl0(x))
        return;
    int limit = xlat_ld(x, x->insn->seg, xlat_ea(x), 2);
    int base = xlat_ld(x, x->insn->seg, sys_ea_plus(x, 2), 4);
    if (x->insn->opsize == 2)   /* 16-bit operand size: 24-bit base (SDM vol 2 LGDT) */
        base = ir_op2i(x->b, IR_AND_I, base, 0xffffff);
    xlat_call(x, helper, limit, base, IR_NONE);
}

static void sys_store_dtr(Xlat *x, size_t limit_off, size_t base_off)
{
    int limit = sys_ldenv(x, limit_off, 2);
    int base = sys_ldenv(x, base_off, 4);
    if (x->insn->opsize == 2)
        base = ir_op2i(x->b, IR_AND_I, base, 0xffffff);
    int a2 = sys_ea_plus(x, 2);
    /* both stores are checked before either is made: the second one covers the higher bytes */
    xlat_st(x, x->insn->seg, a2, 4, base);
    xlat_st(x, x->insn->seg, xlat_ea(x), 2, limit);
}

void xlat_LGDT(Xlat *x) { sys_load_dtr(x, HELPER_lgdt); }
void xlat_LIDT(Xlat *x) { sys_load_dtr(x, HELPER_lidt); }
void xlat_SGDT(Xlat *x) { sys_store_dtr(x, offsetof(CpuState, gdt_limit), offsetof(CpuState, gdt_base)); }
void xlat_SIDT(Xlat *x) { sys_store_dtr(x, offsetof(CpuState, idt_limit), offsetof(CpuState, idt_base)); }

void xlat_LLDT(Xlat *x)
{
    if (sys_need_pm(x) && sys_cpl0(x))
        xlat_call(x, HELPER_lldt, xlat_load_op(x, 0), IR_NONE, IR_NONE);
}

void xlat_LTR(Xlat *x)
{
    if (sys_need_pm(x) && sys_cpl0(x))
        xlat_call(x, HELPER_ltr, xlat_load_op(x, 0), IR_NONE, IR_NONE);
}

void xlat_SLDT(Xlat *x)
{
    if (sys_need_pm(x))
        xlat_store_op(x, 0, sys_ldenv(x, offsetof(CpuState, ldtr.sel), 2));
}

void xlat_STR(Xlat *x)
{
    if (sys_need_pm(x))
        xlat_store_op(x, 0, sys_ldenv(x, offsetof(CpuState, tr.sel), 2));
}

/* ---- control and debug registers ---- */

void xlat_SMSW(Xlat *x)
{
    xlat_store_op(x, 0, sys_ldenv(x, offsetof(CpuState, cr0), 4));
}

void xlat_LMSW(Xlat *x)
{
    if (!sys_cpl0(x))
        return;
    xlat_call(x, HELPER_lmsw, xlat_load_op(x, 0), IR_NONE, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_MODE);
}

void xlat_CLTS(Xlat *x)
{
    if (!sys_cpl0(x))
        return;
    xlat_call(x, HELPER_clts, IR_NONE, IR_NONE, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_MODE);
}

void xlat_MOV_CR(Xlat *x)
{
    const X86Operand *d = &x->insn->ops[0], *s = &x->insn->ops[1];
    if (!sys_cpl0(x))
        return;
    if (d->kind == OPK_CREG) {
        xlat_call(x, HELPER_mov_cr_write, movi(x, d->reg), xlat_load_reg(x, s->reg, 4), IR_NONE);
        xlat_exit(x, x->next_pc, EXIT_MODE);
    } else {
        xlat_store_reg(x, d->reg, 4, xlat_call(x, HELPER_mov_cr_read, movi(x, s->reg), IR_NONE, IR_NONE));
    }
}

void xlat_MOV_DR(Xlat *x)
{
    const X86Operand *d = &x->insn->ops[0], *s = &x->insn->ops[1];
    if (!sys_cpl0(x))
        return;
    if (d->kind == OPK_DREG) {
        xlat_call(x, HELPER_mov_dr_write, movi(x, d->reg), xlat_load_reg(x, s->reg, 4), IR_NONE);
        xlat_exit(x, x->next_pc, EXIT_MODE);
    } else {
        xlat_store_reg(x, d->reg, 4, xlat_call(x, HELPER_mov_dr_read, movi(x, s->reg), IR_NONE, IR_NONE));
    }
}

void xlat_INVLPG(Xlat *x)
{
    if (!sys_cpl0(x))
        return;
    int seg = x->insn->seg;
    int base = sys_ldenv(x, offsetof(CpuState, seg[0].base) + (size_t)seg * sizeof(SegCache), 4);
    xlat_call(x, HELPER_invlpg, ir_op2(x->b, IR_ADD, base, xlat_ea(x)), IR_NONE, IR_NONE);
    xlat_exit(x, x->next_pc, EXIT_NORMAL);
}

/* No caches to write back or drop in an emulator: only the privilege check is observable. */
void xlat_WBINVD(Xlat *x) { sys_cpl0(x); }
void xlat_INVD(Xlat *x) { sys_cpl0(x); }

/* ---- LAR / LSL / VERR / VERW ---- */

static void sys_lar_lsl(Xlat *x, int helper)
{
    if (!sys_need_pm(x))
        return;
    const X86Operand *d = &x->insn->ops[0];
    uint32_t regsize = (uint32_t)d->reg | ((uint32_t)(d->size == 4 ? 4 : 2) << 8);
    xlat_call(x, helper, xlat_load_op(x, 1), movi(x, regsize), IR_NONE);
}

void xlat_LAR(Xlat *x) { sys_lar_lsl(x, HELPER_lar); }
void xlat_LSL(Xlat *x) { sys_lar_lsl(x, HELPER_lsl); }

void xlat_VERR(Xlat *x)
{
    if (sys_need_pm(x))
        xlat_call(x, HELPER_verr, xlat_load_op(x, 0), IR_NONE, IR_NONE);
}

void xlat_VERW(Xlat *x)
{
    if (sys_need_pm(x))
        xlat_call(x, HELPER_verw, xlat_load_op(x, 0), IR_NONE, IR_NONE);
}

/* ---- LDS / LES / LFS / LGS / LSS: load a far pointer (offset, then selector) ---- */

static void sys_load_far_ptr(Xlat *x, int seg)
{
    int os = x->insn->opsize;
    int off = xlat_ld(x, x->insn->seg, xlat_ea(x), os);
    int sel = xlat_ld(x, x->insn->seg, sys_ea_plus(x, (uint32_t)os), 2);
    uint32_t a = (uint32_t)seg | (seg == SEG_SS ? LOAD_SEG_NO_SHADOW : 0);   /* LSS has no interrupt shadow */
    xlat_call(x, HELPER_load_seg, movi(x, a), sel, IR_NONE);
    xlat_store_reg(x, x->insn->ops[0].reg, os, off);
    /* the segment's base/size/flatness changed */
    xlat_exit(x, x->next_pc, EXIT_MODE);
}

void xlat_LDS(Xlat *x) { sys_load_far_ptr(x, SEG_DS); }
void xlat_LES(Xlat *x) { sys_load_far_ptr(x, SEG_ES); }
void xlat_LFS(Xlat *x) { sys_load_far_ptr(x, SEG_FS); }
void xlat_LGS(Xlat *x) { sys_load_far_ptr(x, SEG_GS); }
void xlat_LSS(Xlat *x) { sys_load_far_ptr(x, SEG_SS); }

