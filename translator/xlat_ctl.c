/* xlat_ctl.c — x86 → IR for near control flow and the stack: Jcc JMP CALL RET (near) LOOP LOOPE LOOPNE JCXZ,
 * PUSH POP PUSHA POPA PUSHF POPF ENTER LEAVE, and XLAT CLD STD.
 * Invariants (xlat.h rules): every load, store and check that can fault comes before the first write to a guest
 * register, so a faulting instruction leaves ESP/EBP/ECX/EIP as they were; near branch targets are checked against
 * CS's limit at run time (#GP(0), SDM vol 2 JMP/Jcc/CALL/RET/LOOP) unless the block runs with HF_FLAT, or the
 * target lies in the bytes of this block already fetched (they were fetched under the same CS); a 16-bit operand
 * size masks targets to 16 bits (the decoder does it for rel targets, zero-extending loads do it for the rest).
 * Left out: far transfers (JMPF CALLF RETF IRET: xlat_sys.c), string instructions (xlat_string.c). */
#include <stddef.h>
#include <stdio.h>   /* exec.h uses FILE */
#include "xlat.h"
#include "helpers.h"

/* ---- small IR helpers ---- */

static int ctl_ldenv(Xlat *x, uint32_t off, int size)
{
    int d = ir_new_temp(x->b);
    IrOp *o = ir_emit(x->b, IR_LDENV);
    o->d = (uint16_t)d;
    o->imm = off;
    o->sz = (uint8_t)size;
    return d;
}

static int ctl_setcci(Xlat *x, IrCond c, int a, uint32_t imm)
{
    int d = ir_new_temp(x->b);
    IrOp *o = ir_emit(x->b, IR_SETCC_I);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->imm = imm;
    o->sz = (uint8_t)c;
    return d;
}

/* global g = g op imm, in place */
static void ctl_global_opi(Xlat *x, int op, int g, uint32_t imm)
{
    IrOp *o = ir_emit(x->b, op);
    o->d = (uint16_t)g;
    o->a = (uint16_t)g;
    o->imm = imm;
}

/* RAISE that does not end the block (it sits on a conditional path); precise state comes from the TB's
 * per-instruction records (ir.h). */
static void ctl_raise_here(Xlat *x, int vector, int error)
{
    IrOp *o = ir_emit(x->b, IR_RAISE);
    o->aux = (uint16_t)vector;
    o->imm = error < 0 ? 0xffffffffu : (uint32_t)error;
}

static uint32_t ctl_seg_off(int seg, size_t field)
{
    return (uint32_t)(offsetof(CpuState, seg) + (size_t)seg * sizeof(SegCache) + field);
}

/* offset masked to the stack width (SS.B) */
static int ctl_stack_wrap(Xlat *x, int off)
{
    return (x->hflags & HF_SS32) ? off : ir_op1(x->b, IR_EXT16U, off);
}

/* ---- branch target checks ---- */

/* True if target is a byte of this block already fetched (no further limit check needed: falling through to it
 * would not be checked again either). */
static bool ctl_target_fetched(const Xlat *x, uint32_t target)
{
    uint32_t start = x->b->ninsns > 0 ? x->b->insn_eip[0] : x->pc;
    return start <= x->pc && target >= start && target <= x->pc;
}

static bool ctl_need_check(const Xlat *x) { return !(x->hflags & HF_FLAT); }

/* #GP(0) if target (temp) is beyond CS's limit (SDM vol 2 JMP: "If target operand is beyond the code segment
 * limits"). Code segments are never expand-down, so only the upper bound matters. */
static void ctl_check_target(Xlat *x, int target)
{
    if (!ctl_need_check(x))
        return;
    int ok = ir_new_label(x->b);
    int hi = ctl_ldenv(x, ctl_seg_off(SEG_CS, offsetof(SegCache, hi)), 4);
    ir_brcond(x->b, IRC_LEU, target, hi, ok);
    ctl_raise_here(x, EXC_GP, 0);
    ir_set_label(x->b, ok);
}

/* Same for a constant target, only when the temp taken (0/1, or -1 = always) says the branch is taken. */
static void ctl_check_target_const(Xlat *x, int taken, uint32_t target)
{
    if (!ctl_need_check(x) || ctl_target_fetched(x, target))
        return;
    int ok = ir_new_label(x->b);
    if (taken >= 0)
        ir_brcondi(x->b, IRC_EQ, taken, 0, ok);
    int hi = ctl_ldenv(x, ctl_seg_off(SEG_CS, offsetof(SegCache, hi)), 4);
    ir_brcondi(x->b, IRC_GEU, hi, target, ok);
    ctl_raise_here(x, EXC_GP, 0);
    ir_set_label(x->b, ok);
}

/* ---- jumps, calls, returns, loops ---- */

void xlat_Jcc(Xlat *x)
{
    uint32_t target = x->insn->ops[0].imm;
    int c = xlat_cond(x, x->insn->cond);
    ctl_check_target_const(x, c, target);
    xlat_jump_cond(x, c, target, x->next_pc);
}

void xlat_JMP(Xlat *x)
{
    const X86Operand *op = &x->insn->ops[0];
    if (op->kind == OPK_REL) {
        ctl_check_target_const(x, -1, op->imm);
        xlat_jump_const(x, op->imm);
        return;
    }
    int target = xlat_load_op(x, 0);   /* Ev, zero-extended: 16-bit operand size masks it */
    ctl_check_target(x, target);
    xlat_jump_dyn(x, target);
}

/* CALL near (SDM vol 2 CALL): the target is read and checked, then the return address pushed (a push fault leaves
 * ESP and EIP unchanged: xlat_push stores before it moves ESP), then EIP changes. */
void xlat_CALL(Xlat *x)
{
    const X86Operand *op = &x->insn->ops[0];
    int size = x->insn->opsize;
    if (op->kind == OPK_REL) {
        ctl_check_target_const(x, -1, op->imm);
        xlat_push(x, ir_movi(x->b, x->next_pc), size);
        xlat_jump_const(x, op->imm);
        return;
    }
    int target = xlat_load_op(x, 0);   /* read before the push: CALL [ESP] uses the old ESP */
    ctl_check_target(x, target);
    xlat_push(x, ir_movi(x->b, x->next_pc), size);
    xlat_jump_dyn(x, target);
}

/* RET near [imm16]: pop, check the target, then ESP += size + imm16 (stack width) */
void xlat_RET(Xlat *x)
{
    int size = x->insn->opsize;
    uint32_t extra = x->insn->nops > 0 ? (x->insn->ops[0].imm & 0xffff) : 0;
    int target = xlat_ld(x, SEG_SS, xlat_sp_addr(x, 0), size);
    ctl_check_target(x, target);
    xlat_sp_set(x, xlat_sp_addr(x, size + (int)extra));
    xlat_jump_dyn(x, target);
}

/* LOOP/LOOPE/LOOPNE (SDM vol 2 LOOPcc): the counter is CX or ECX by address size; decremented without touching
 * flags; the branch is taken if it is nonzero (and ZF matches). zf_cond: -1, or the x86 condition E/NE. */
static void ctl_loop(Xlat *x, int zf_cond)
{
    int asz = x->insn->addrsize;
    uint32_t target = x->insn->ops[0].imm;
    int cnt = ir_op2i(x->b, IR_SUB_I, xlat_load_reg(x, R_ECX, asz), 1);
    int taken = ctl_setcci(x, IRC_TSTNZ, cnt, asz == 2 ? 0xffffu : 0xffffffffu);
    if (zf_cond >= 0)
        taken = ir_op2(x->b, IR_AND, taken, xlat_cond(x, zf_cond));
    ctl_check_target_const(x, taken, target);
    xlat_store_reg(x, R_ECX, asz, cnt);
    xlat_jump_cond(x, taken, target, x->next_pc);
}

void xlat_LOOP(Xlat *x) { ctl_loop(x, -1); }
void xlat_LOOPE(Xlat *x) { ctl_loop(x, 4); }    /* condition E: ZF=1 */
void xlat_LOOPNE(Xlat *x) { ctl_loop(x, 5); }   /* condition NE: ZF=0 */

/* JCXZ/JECXZ: the register tested is chosen by the address size (SDM vol 2 Jcc) */
void xlat_JCXZ(Xlat *x)
{
    int asz = x->insn->addrsize;
    uint32_t target = x->insn->ops[0].imm;
    int taken = ctl_setcci(x, IRC_TSTZ, xlat_load_reg(x, R_ECX, 4), asz == 2 ? 0xffffu : 0xffffffffu);
    ctl_check_target_const(x, taken, target);
    xlat_jump_cond(x, taken, target, x->next_pc);
}

/* ---- PUSH / POP ---- */

/* PUSH Sreg with a 32-bit operand size moves ESP by 4 but writes only the selector's 16 bits (SDM vol 2 PUSH:
 * "the segment selector is written on the stack using a 16-bit move"; P6 family and later). */
static void ctl_push_sreg(Xlat *x, int seg)
{
    int sel = ctl_ldenv(x, ctl_seg_off(seg, offsetof(SegCache, sel)), 2);
    int sp = xlat_sp_addr(x, -(int)x->insn->opsize);
    xlat_st(x, SEG_SS, sp, 2, sel);
    xlat_sp_set(x, sp);
}

void xlat_PUSH(Xlat *x)
{
    const X86Operand *op = &x->insn->ops[0];
    int val;
    switch (op->kind) {
    case OPK_SREG:
        ctl_push_sreg(x, op->reg);
        return;
    case OPK_IMM:
        val = ir_movi(x->b, op->imm);   /* already sign-extended to the operand size */
        break;
    default:
        val = xlat_load_op(x, 0);        /* PUSH ESP pushes the value before the decrement; [ESP+d] likewise */
        break;
    }
    xlat_push(x, val, x->insn->opsize);
}

/* Effective address of POP's memory operand when ESP is its base: computed with ESP already incremented (SDM vol 2
 * POP: "If the ESP register is used as a base register ... after it increments the ESP register"). new_sp is the
 * stack-width offset after the pop; the high half of ESP is unchanged on a 16-bit stack. */
static int ctl_pop_ea_esp(Xlat *x, int new_sp)
{
    const X86Insn *in = x->insn;
    int esp = new_sp;
    if (!(x->hflags & HF_SS32))
        esp = ir_op2(x->b, IR_OR, ir_op2i(x->b, IR_AND_I, G_ESP, 0xffff0000u), new_sp);
    int ea = ir_op2i(x->b, IR_ADD_I, esp, (uint32_t)in->disp);
    if (in->ea_index != R_NONE) {
        int sh = in->ea_scale == 8 ? 3 : in->ea_scale == 4 ? 2 : in->ea_scale == 2 ? 1 : 0;
        int idx = ir_op2i(x->b, IR_SHL_I, xlat_load_reg(x, in->ea_index, 4), (uint32_t)sh);
        ea = ir_op2(x->b, IR_ADD, ea, idx);
    }
    return ea;
}

/* POP Sreg: the selector goes through the descriptor checks of load_seg before ESP moves. A new DS/ES/SS may
 * change HF_FLAT/HF_SS32, so the block ends; POP SS also blocks interrupts until after the next instruction
 * (SDM vol 2 POP: "inhibits all interrupts ... until after execution of the next instruction"). */
static void ctl_pop_sreg(Xlat *x, int seg)
{
    int size = x->insn->opsize;
    int v = xlat_ld(x, SEG_SS, xlat_sp_addr(x, 0), size);
    int new_sp = xlat_sp_addr(x, size);   /* width of the old SS */
    xlat_call(x, HELPER_load_seg, ir_movi(x->b, (uint32_t)seg), ir_op1(x->b, IR_EXT16U, v), IR_NONE);
    xlat_sp_set(x, new_sp);
    if (seg == SEG_SS) {
        xlat_exit(x, x->next_pc, EXIT_IRQ_CHECK);   /* helper_load_seg set HF_INHIBIT_IRQ */
    } else if (seg != SEG_FS && seg != SEG_GS) {
        xlat_exit(x, x->next_pc, EXIT_MODE);
    }
}

void xlat_POP(Xlat *x)
{
    const X86Operand *op = &x->insn->ops[0];
    int size = x->insn->opsize;
    if (op->kind == OPK_SREG) {
        ctl_pop_sreg(x, op->reg);
        return;
    }
    if (op->kind == OPK_REG) {
        int v = xlat_pop(x, size);
        xlat_store_reg(x, op->reg, size, v);   /* POP ESP: the popped value wins over the increment */
        return;
    }
    int v = xlat_ld(x, SEG_SS, xlat_sp_addr(x, 0), size);
    int new_sp = xlat_sp_addr(x, size);
    if (x->insn->addrsize == 4 && x->insn->ea_base == R_ESP)
        xlat_st(x, x->insn->seg, ctl_pop_ea_esp(x, new_sp), size, v);
    else
        xlat_store_op(x, 0, v);
    xlat_sp_set(x, new_sp);
}

/* PUSHA/PUSHAD: EAX ECX EDX EBX (original ESP) EBP ESI EDI; all stores before ESP moves */
void xlat_PUSHA(Xlat *x)
{
    int size = x->insn->opsize;
    int vals[8];
    for (int r = 0; r < 8; r++)
        vals[r] = xlat_load_reg(x, r, size);
    for (int r = 0; r < 8; r++)
        xlat_st(x, SEG_SS, xlat_sp_addr(x, -(r + 1) * size), size, vals[r]);
    xlat_sp_set(x, xlat_sp_addr(x, -8 * size));
}

/* POPA/POPAD: the ESP slot is skipped (SDM vol 2 POPA); all loads before any register changes */
void xlat_POPA(Xlat *x)
{
    int size = x->insn->opsize;
    int vals[8];
    for (int r = 0; r < 8; r++) {
        if (r == R_ESP)
            continue;
        vals[r] = xlat_ld(x, SEG_SS, xlat_sp_addr(x, (7 - r) * size), size);
    }
    int new_sp = xlat_sp_addr(x, 8 * size);
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            xlat_store_reg(x, r, size, vals[r]);
    xlat_sp_set(x, new_sp);
}

/* v8086 mode with IOPL < 3 (VME off): PUSHF/POPF raise #GP(0) (SDM vol 3 20.2.7). IOPL is tested at run time:
 * in v8086 mode HF_IOPL_OK is never set (IN/OUT always consult the bitmap there, cpu_update_hflags). */
static void ctl_vm_iopl_check(Xlat *x)
{
    if (!(x->hflags & HF_VM))
        return;
    int ok = ir_new_label(x->b);
    int iopl = ir_op2i(x->b, IR_AND_I, G_EFLAGS, F_IOPL);
    ir_brcondi(x->b, IRC_EQ, iopl, F_IOPL, ok);
    ctl_raise_here(x, EXC_GP, 0);
    ir_set_label(x->b, ok);
}

/* PUSHF/PUSHFD: the 32-bit image has VM and RF cleared (SDM vol 2 PUSHF) */
void xlat_PUSHF(Xlat *x)
{
    ctl_vm_iopl_check(x);
    int fl = ir_op2(x->b, IR_OR, G_EFLAGS, xlat_flags(x));
    if (x->insn->opsize == 4)
        fl = ir_op2i(x->b, IR_AND_I, fl, ~(uint32_t)(F_VM | F_RF));
    xlat_push(x, fl, x->insn->opsize);
}

/* Which bits POPF may change (SDM vol 2 POPF operation): IOPL only at CPL 0 outside v8086 mode, IF only when
 * CPL <= IOPL, never VM/RF/VIP/VIF; AC and ID are writable on a P6 (ID toggling is how software finds CPUID).
 * The 16-bit form keeps the upper half. */
static uint32_t ctl_popf_mask(const Xlat *x)
{
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT | F_AC | F_ID;
    if (!(x->hflags & HF_VM) && (x->hflags & HF_CPL_MASK) == 0)
        mask |= F_IOPL;
    if ((x->hflags & HF_IOPL_OK) || (x->hflags & HF_VM))   /* v8086: ctl_vm_iopl_check made sure IOPL = 3 */
        mask |= F_IF;
    if (x->insn->opsize == 2)
        mask &= 0xffffu;
    return mask;
}

/* POPF: load, write EFLAGS (helper: hflags change), move ESP, then leave the block (IF may now be 1: interrupts
 * are checked; TF/IOPL change the block key). */
void xlat_POPF(Xlat *x)
{
    ctl_vm_iopl_check(x);
    int size = x->insn->opsize;
    int v = xlat_ld(x, SEG_SS, xlat_sp_addr(x, 0), size);
    int new_sp = xlat_sp_addr(x, size);
    xlat_call(x, HELPER_popf, v, ir_movi(x->b, ctl_popf_mask(x)), IR_NONE);
    x->cc_op = CC_OP_DYNAMIC;   /* the helper left CC_OP_EFLAGS in G_CC_OP */
    x->cc_op_dirty = false;
    xlat_sp_set(x, new_sp);
    xlat_exit(x, x->next_pc, EXIT_IRQ_CHECK);
}

/* ---- ENTER / LEAVE ---- */

/* ENTER imm16, imm8 (SDM vol 2 ENTER): push EBP; FrameTemp = ESP; for level > 1 copy level-1 frame pointers from
 * [EBP - i*size]; push FrameTemp; EBP = FrameTemp (operand size); ESP = FrameTemp - level*size - imm16 (stack
 * width). The level is taken mod 32. All loads and stores come first: a fault changes no register. */
void xlat_ENTER(Xlat *x)
{
    int size = x->insn->opsize;
    uint32_t alloc = x->insn->ops[0].imm & 0xffffu;
    int level = (int)(x->insn->ops[1].imm & 31);
    int frame = xlat_sp_addr(x, -size);
    xlat_st(x, SEG_SS, frame, size, xlat_load_reg(x, R_EBP, size));
    if (level > 0) {
        for (int i = 1; i < level; i++) {
            int src = ctl_stack_wrap(x, ir_op2i(x->b, IR_SUB_I, G_EBP, (uint32_t)(i * size)));
            int v = xlat_ld(x, SEG_SS, src, size);
            int dst = ctl_stack_wrap(x, ir_op2i(x->b, IR_SUB_I, frame, (uint32_t)(i * size)));
            xlat_st(x, SEG_SS, dst, size, v);
        }
        int dst = ctl_stack_wrap(x, ir_op2i(x->b, IR_SUB_I, frame, (uint32_t)(level * size)));
        xlat_st(x, SEG_SS, dst, size, frame);
    }
    int new_sp = ctl_stack_wrap(x, ir_op2i(x->b, IR_SUB_I, frame, (uint32_t)level * (uint32_t)size + alloc));
    /* "#SS(0) if the new value of ESP is outside the stack segment limit": probed as a write of one element at
     * the new top of stack (as Bochs does), before any register changes; the loaded value is unused */
    ir_ld(x->b, size, xlat_mem_aux(x, SEG_SS) | IRM_RMW, new_sp);
    xlat_store_reg(x, R_EBP, size, frame);
    xlat_sp_set(x, new_sp);
}

/* LEAVE: ESP = EBP (stack width), then pop EBP (operand size); the load comes first */
void xlat_LEAVE(Xlat *x)
{
    int size = x->insn->opsize;
    int bp = xlat_load_reg(x, R_EBP, (x->hflags & HF_SS32) ? 4 : 2);
    int v = xlat_ld(x, SEG_SS, bp, size);
    xlat_sp_set(x, ctl_stack_wrap(x, ir_op2i(x->b, IR_ADD_I, bp, (uint32_t)size)));
    xlat_store_reg(x, R_EBP, size, v);
}

/* ---- XLAT, CLD, STD ---- */

/* XLAT: AL = [seg:(E)BX + AL], the sum wrapped to the address size; seg is DS or the override */
void xlat_XLAT(Xlat *x)
{
    int asz = x->insn->addrsize;
    int addr = ir_op2(x->b, IR_ADD, xlat_load_reg(x, R_EBX, asz), xlat_load_reg(x, R_EAX, 1));
    if (asz == 2)
        addr = ir_op1(x->b, IR_EXT16U, addr);
    int v = xlat_ld(x, x->insn->seg, addr, 1);
    xlat_store_reg(x, R_EAX, 1, v);
}

void xlat_CLD(Xlat *x) { ctl_global_opi(x, IR_AND_I, G_EFLAGS, ~(uint32_t)F_DF); }
void xlat_STD(Xlat *x) { ctl_global_opi(x, IR_OR_I, G_EFLAGS, F_DF); }
