/* xlat_alu.c — handlers for the integer ALU: arithmetic and logic, INC/DEC/NEG/NOT, multiply and divide,
 * shifts and rotates (incl. SHLD/SHRD, RCL/RCR), BCD adjust, bit test/scan, SETcc/CMOVcc, CMPXCHG/CMPXCHG8B/XADD/
 * BSWAP/XCHG, MOV/MOVZX/MOVSX/LEA, CBW/CWD, the flag-byte instructions and NOP.
 * Invariants: every handler does its loads, stores and faulting helper calls before it writes guest registers or
 * the lazy-flag globals (xlat.h rule), so a fault leaves the instruction undone; values given to xlat_set_cc are
 * masked to the operand size (flags.c relies on it); the common instructions (ADD SUB CMP logic INC DEC MOV LEA)
 * are pure IR — helpers only for DIV/IDIV, BCD, RCL/RCR and 16-bit SHLD/SHRD (helpers_arith.c).
 * Shift/rotate counts are masked to 5 bits and a zero count changes neither the operand nor any flag (SDM vol 2
 * SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). Undefined flags: see flags.c (lazy forms) and helpers_arith.c (eager forms);
 * ROL/ROR OF for counts above 1 uses the count-1 formula; BT* leave OF SF AF PF unchanged (undefined, SDM).
 * Left out: control transfer, strings, system instructions (xlat_ctl.c, xlat_string.c, xlat_sys.c). */
#include <stdio.h>
#include "xlat.h"
#include "helpers.h"

static int sz_idx(int size)
{
    return size == 1 ? 0 : size == 2 ? 1 : 2;
}

static uint32_t smask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* v masked to size (v itself for 32-bit). */
static int mask_to(Xlat *x, int v, int size)
{
    return size >= 4 ? v : ir_op2i(x->b, IR_AND_I, v, smask(size));
}

static int op_size(Xlat *x, int i)
{
    int s = x->insn->ops[i].size;
    return s == 1 || s == 2 ? s : 4;
}

static bool op_is_mem(Xlat *x, int i)
{
    return x->insn->ops[i].kind == OPK_MEM;
}

static int emit_setcc(Xlat *x, IrCond c, int a, int b)
{
    int d = ir_op2(x->b, IR_SETCC, a, b);
    x->b->ops[x->b->nops - 1].sz = (uint8_t)c;
    return d;
}

static int emit_select(Xlat *x, int cond, int if_true, int if_false)
{
    int d = ir_new_temp(x->b);
    IrOp *o = ir_emit(x->b, IR_SELECT);
    o->d = (uint16_t)d;
    o->a = (uint16_t)if_true;
    o->b = (uint16_t)if_false;
    o->c = (uint16_t)cond;
    return d;
}

static int emit_extract(Xlat *x, int a, int pos, int len)
{
    int d = ir_op2i(x->b, IR_EXTRACT, a, (uint32_t)pos);
    x->b->ops[x->b->nops - 1].sz = (uint8_t)len;
    return d;
}

/* 32x32 → 64 multiply (IR_MULU2 / IR_MULS2): *lo, *hi. */
static void emit_mul2(Xlat *x, int op, int a, int b, int *lo, int *hi)
{
    IrOp *o;
    *lo = ir_new_temp(x->b);
    *hi = ir_new_temp(x->b);
    o = ir_emit(x->b, op);
    o->d = (uint16_t)*lo;
    o->c = (uint16_t)*hi;
    o->a = (uint16_t)a;
    o->b = (uint16_t)b;
}

/* Operand i as a source that is read before anything is written: a 32-bit register is used in place (no copy). */
static int src_op(Xlat *x, int i)
{
    const X86Operand *op = &x->insn->ops[i];
    if (op->kind == OPK_REG && op->size == 4)
        return G_EAX + (op->reg & 7);
    return xlat_load_op(x, i);
}

/* Write result r to operand 0 and record the flags: a memory store may fault, so it goes first; a register
 * store goes last because the flag sources may be the register itself (src_op). */
static void write_result_cc(Xlat *x, int r, int cc_op, int src, int src2)
{
    bool mem = op_is_mem(x, 0);
    if (mem)
        xlat_store_op(x, 0, r);
    if (cc_op >= 0)
        xlat_set_cc(x, cc_op, r, src, src2);
    if (!mem)
        xlat_store_op(x, 0, r);
}

/* ------------------------------------------------------------------ ADD OR ADC SBB AND SUB XOR CMP TEST */

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP, ALU_TEST };

static void alu_binop(Xlat *x, int kind)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0), si = sz_idx(size);
    bool writes = kind != ALU_CMP && kind != ALU_TEST;
    int a = writes && op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : src_op(x, 0);
    int v = src_op(x, 1);
    int r, cf;
    switch (kind) {
    case ALU_ADD:
        r = mask_to(x, ir_op2(b, IR_ADD, a, v), size);
        write_result_cc(x, r, CC_OP_ADDB + si, v, a);
        return;
    case ALU_ADC:
        cf = xlat_cf(x);
        r = mask_to(x, ir_op2(b, IR_ADD, ir_op2(b, IR_ADD, a, v), cf), size);
        write_result_cc(x, r, CC_OP_ADCB + si, v, cf);
        return;
    case ALU_SUB:
    case ALU_CMP:
        r = mask_to(x, ir_op2(b, IR_SUB, a, v), size);
        if (kind == ALU_CMP)
            xlat_set_cc(x, CC_OP_SUBB + si, r, v, a);
        else
            write_result_cc(x, r, CC_OP_SUBB + si, v, a);
        return;
    case ALU_SBB:
        cf = xlat_cf(x);
        r = mask_to(x, ir_op2(b, IR_SUB, ir_op2(b, IR_SUB, a, v), cf), size);
        write_result_cc(x, r, CC_OP_SBBB + si, v, cf);
        return;
    case ALU_AND:
    case ALU_TEST:
        r = ir_op2(b, IR_AND, a, v);
        break;
    case ALU_OR:
        r = ir_op2(b, IR_OR, a, v);
        break;
    default:
        r = ir_op2(b, IR_XOR, a, v);
        break;
    }
    if (kind == ALU_TEST)
        xlat_set_cc(x, CC_OP_LOGICB + si, r, IR_NONE, IR_NONE);
    else
        write_result_cc(x, r, CC_OP_LOGICB + si, IR_NONE, IR_NONE);
}

void xlat_ADD(Xlat *x) { alu_binop(x, ALU_ADD); }
void xlat_OR(Xlat *x) { alu_binop(x, ALU_OR); }
void xlat_ADC(Xlat *x) { alu_binop(x, ALU_ADC); }
void xlat_SBB(Xlat *x) { alu_binop(x, ALU_SBB); }
void xlat_AND(Xlat *x) { alu_binop(x, ALU_AND); }
void xlat_SUB(Xlat *x) { alu_binop(x, ALU_SUB); }
void xlat_XOR(Xlat *x) { alu_binop(x, ALU_XOR); }
void xlat_CMP(Xlat *x) { alu_binop(x, ALU_CMP); }
void xlat_TEST(Xlat *x) { alu_binop(x, ALU_TEST); }

/* ------------------------------------------------------------------ INC DEC NEG NOT */

static void inc_dec(Xlat *x, bool dec)
{
    int size = op_size(x, 0);
    int a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : src_op(x, 0);
    int cf = xlat_cf(x);   /* INC/DEC keep CF (SDM vol 2 INC) */
    int r = mask_to(x, ir_op2i(x->b, IR_ADD_I, a, dec ? 0xffffffffu : 1), size);
    write_result_cc(x, r, (dec ? CC_OP_DECB : CC_OP_INCB) + sz_idx(size), cf, IR_NONE);
}

void xlat_INC(Xlat *x) { inc_dec(x, false); }
void xlat_DEC(Xlat *x) { inc_dec(x, true); }

void xlat_NEG(Xlat *x)
{
    int size = op_size(x, 0);
    int a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : src_op(x, 0);
    int r = mask_to(x, ir_op1(x->b, IR_NEG, a), size);
    /* flags of 0 - a: CF = (a != 0) (SDM vol 2 NEG) */
    write_result_cc(x, r, CC_OP_SUBB + sz_idx(size), a, ir_movi(x->b, 0));
}

void xlat_NOT(Xlat *x)
{
    int size = op_size(x, 0);
    int a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : src_op(x, 0);
    xlat_store_op(x, 0, mask_to(x, ir_op1(x->b, IR_NOT, a), size));
}

/* ------------------------------------------------------------------ MUL IMUL DIV IDIV */

void xlat_MUL(Xlat *x)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0), si = sz_idx(size);
    int s = xlat_load_op(x, 0);
    int lo, hi;
    if (size == 4) {
        emit_mul2(x, IR_MULU2, G_EAX, s, &lo, &hi);
        xlat_store_reg(x, R_EAX, 4, lo);
        xlat_store_reg(x, R_EDX, 4, hi);
    } else {
        int p = ir_op2(b, IR_MUL, xlat_load_reg(x, R_EAX, size), s);
        lo = mask_to(x, p, size);
        hi = ir_op2i(b, IR_SHR_I, p, size * 8);
        if (size == 1) {
            xlat_store_reg(x, R_EAX, 2, p);   /* AX = AL * r/m8 */
        } else {
            xlat_store_reg(x, R_EAX, 2, lo);
            xlat_store_reg(x, R_EDX, 2, hi);
        }
    }
    xlat_set_cc(x, CC_OP_MULB + si, lo, hi, IR_NONE);
}

/* Signed product of a and b (zero-extended size-byte values): *r = low size bytes, *of = nonzero when the full
 * product does not fit in size bytes; *hi = the upper half (DX/EDX/AH part). */
static void imul_core(Xlat *x, int a, int b, int size, int *r, int *hi, int *of)
{
    IrBlock *bl = x->b;
    if (size == 4) {
        emit_mul2(x, IR_MULS2, a, b, r, hi);
        *of = emit_setcc(x, IRC_NE, *hi, ir_op2i(bl, IR_SAR_I, *r, 31));
        return;
    }
    int p = ir_op2(bl, IR_MUL, xlat_sext(x, a, size), xlat_sext(x, b, size));
    *r = mask_to(x, p, size);
    *hi = mask_to(x, ir_op2i(bl, IR_SHR_I, p, size * 8), size);
    *of = emit_setcc(x, IRC_NE, p, xlat_sext(x, *r, size));
}

void xlat_IMUL(Xlat *x)
{
    const X86Insn *in = x->insn;
    int size = op_size(x, 0), si = sz_idx(size);
    int r, hi, of;
    if (in->nops == 1) {
        int s = xlat_load_op(x, 0);
        imul_core(x, xlat_load_reg(x, R_EAX, size), s, size, &r, &hi, &of);
        if (size == 1) {
            xlat_store_reg(x, R_EAX, 1, r);
            xlat_store_reg(x, 4 /* AH */, 1, hi);
        } else {
            xlat_store_reg(x, R_EAX, size, r);
            xlat_store_reg(x, R_EDX, size, hi);
        }
    } else {
        int a = xlat_load_op(x, in->nops == 3 ? 1 : 0);
        int s = xlat_load_op(x, in->nops == 3 ? 2 : 1);
        imul_core(x, a, s, size, &r, &hi, &of);
        xlat_store_op(x, 0, r);
    }
    xlat_set_cc(x, CC_OP_IMULB + si, r, of, IR_NONE);
}

/* DIV/IDIV read and write EAX/EDX and raise #DE (divide by zero, quotient too large: SDM vol 2 DIV/IDIV) in
 * helper_div before writing anything. Flags are undefined: they are left unchanged. */
static void divide(Xlat *x, bool sign)
{
    int size = op_size(x, 0);
    int s = xlat_load_op(x, 0);
    int cc = x->cc_op;
    xlat_call(x, HELPER_div, s, ir_movi(x->b, (uint32_t)size | (sign ? 0x10 : 0)), IR_NONE);
    x->cc_op = cc;   /* helper_div leaves the lazy flag state alone; xlat_call stored it */
    x->cc_op_dirty = false;
}

void xlat_DIV(Xlat *x) { divide(x, false); }
void xlat_IDIV(Xlat *x) { divide(x, true); }

/* ------------------------------------------------------------------ shifts and rotates */

/* Shift count: either a constant (*k, returns -1) or a temp holding CL & 31. */
static int shift_count(Xlat *x, int i, uint32_t *k)
{
    const X86Operand *op = &x->insn->ops[i];
    if (op->kind == OPK_IMM) {
        *k = op->imm & 31;
        return -1;
    }
    *k = 0;
    return ir_op2i(x->b, IR_AND_I, xlat_load_op(x, i), 31);
}

/* A constant count of 0 changes neither the operand nor the flags, but the memory operand is still accessed
 * (read with the write check), so its faults happen (80286 vectors: a word at offset FFFF faults). */
static void count0_access(Xlat *x)
{
    if (op_is_mem(x, 0))
        xlat_load_op_rmw(x, 0);
}

/* d = a <op> count, count either the temp c or the constant k */
static int shift_by(Xlat *x, int op_rr, int a, int c, uint32_t k)
{
    return c < 0 ? ir_op2i(x->b, op_rr + 1, a, k) : ir_op2(x->b, op_rr, a, c);
}

/* d = a <op> (count - 1) (for the last bit shifted out; count is nonzero when the flags are used) */
static int shift_by_m1(Xlat *x, int op_rr, int a, int c, uint32_t k)
{
    return c < 0 ? ir_op2i(x->b, op_rr + 1, a, k - 1) : ir_op2(x->b, op_rr, a, ir_op2i(x->b, IR_ADD_I, c, 0xffffffffu));
}

/* Record lazy flags (cc_op, r, src, src2) only when the dynamic count c is nonzero (count 0 keeps every flag). */
static void set_cc_if_count(Xlat *x, int c, int cc_op, int r, int src, int src2)
{
    int skip;
    if (c < 0) {
        xlat_set_cc(x, cc_op, r, src, src2);
        return;
    }
    xlat_cc_flush(x);
    skip = ir_new_label(x->b);
    ir_brcondi(x->b, IRC_EQ, c, 0, skip);
    xlat_set_cc(x, cc_op, r, src, src2);
    xlat_cc_flush(x);
    ir_set_label(x->b, skip);
    x->cc_op = CC_OP_DYNAMIC;
    x->cc_op_dirty = false;
}

enum { SH_SHL, SH_SHR, SH_SAR };

static void shift_op(Xlat *x, int kind)
{
    int size = op_size(x, 0), si = sz_idx(size);
    uint32_t k;
    int c = shift_count(x, 1, &k);
    int a, r, src;
    if (c < 0 && k == 0)
        { count0_access(x); return; }
    a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    if (kind == SH_SHL) {
        r = mask_to(x, shift_by(x, IR_SHL, a, c, k), size);
        src = shift_by_m1(x, IR_SHL, a, c, k);
    } else if (kind == SH_SHR) {
        r = shift_by(x, IR_SHR, a, c, k);
        src = shift_by_m1(x, IR_SHR, a, c, k);
    } else {
        int sa = xlat_sext(x, a, size);
        r = mask_to(x, shift_by(x, IR_SAR, sa, c, k), size);
        src = shift_by_m1(x, IR_SAR, sa, c, k);
    }
    xlat_store_op(x, 0, r);
    set_cc_if_count(x, c, (kind == SH_SHL ? CC_OP_SHLB : CC_OP_SARB) + si, r, src, a);
}

void xlat_SHL(Xlat *x) { shift_op(x, SH_SHL); }
void xlat_SAL(Xlat *x) { shift_op(x, SH_SHL); }
void xlat_SHR(Xlat *x) { shift_op(x, SH_SHR); }
void xlat_SAR(Xlat *x) { shift_op(x, SH_SAR); }

/* Arithmetic flags := old flags with CF and OF replaced (cf, of: 0/1 temps); with a dynamic count c, only when
 * c != 0. */
static void set_cf_of(Xlat *x, int c, int cf, int of)
{
    IrBlock *b = x->b;
    int old = xlat_flags(x);
    int f = ir_op2i(b, IR_AND_I, old, ~(uint32_t)(F_CF | F_OF));
    f = ir_op2(b, IR_OR, f, cf);
    f = ir_op2(b, IR_OR, f, ir_op2i(b, IR_SHL_I, of, 11));
    if (c >= 0)
        f = emit_select(x, c, f, old);
    xlat_set_flags(x, f);
}

/* ROL/ROR change only CF and OF (SDM vol 2 RCL/RCR/ROL/ROR): ROL CF = LSB(result), OF = MSB ^ CF;
 * ROR CF = MSB(result), OF = MSB ^ (MSB-1). The count is taken modulo the width for the rotation itself. */
static void rotate_op(Xlat *x, bool right)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0), bits = size * 8;
    uint32_t k;
    int c = shift_count(x, 1, &k);
    int a, r, cf, of, msb;
    if (c < 0 && k == 0)
        { count0_access(x); return; }
    a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    if (size == 4) {
        r = shift_by(x, right ? IR_ROR : IR_ROL, a, c, k);
    } else {
        int cm = c < 0 ? -1 : ir_op2i(b, IR_AND_I, c, (uint32_t)bits - 1);
        uint32_t km = k & (uint32_t)(bits - 1);
        int back = c < 0 ? -1 : ir_op2i(b, IR_ADD_I, ir_op1(b, IR_NEG, cm), (uint32_t)bits);
        int lo = shift_by(x, right ? IR_SHR : IR_SHL, a, cm, km);
        int hi = shift_by(x, right ? IR_SHL : IR_SHR, a, back, (uint32_t)bits - km);
        r = mask_to(x, ir_op2(b, IR_OR, lo, hi), size);
    }
    xlat_store_op(x, 0, r);
    msb = ir_op2i(b, IR_SHR_I, r, (uint32_t)bits - 1);
    if (right) {
        cf = msb;
        of = ir_op2i(b, IR_AND_I, ir_op2(b, IR_XOR, msb, ir_op2i(b, IR_SHR_I, r, (uint32_t)bits - 2)), 1);
    } else {
        cf = ir_op2i(b, IR_AND_I, r, 1);
        of = ir_op2(b, IR_XOR, msb, cf);
    }
    set_cf_of(x, c, cf, of);
}

void xlat_ROL(Xlat *x) { rotate_op(x, false); }
void xlat_ROR(Xlat *x) { rotate_op(x, true); }

/* RCL/RCR rotate through CF: rare, so a helper computes result and flags (count 0 returns both unchanged). */
static void rotc_op(Xlat *x, bool right)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0);
    uint32_t k;
    int c = shift_count(x, 1, &k);
    int a, mode, r, f;
    if (c < 0 && k == 0)
        { count0_access(x); return; }
    a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    if (c < 0)
        c = ir_movi(b, k);
    mode = ir_op2i(b, IR_OR_I, ir_op2i(b, IR_SHL_I, xlat_flags(x), 8), (uint32_t)size | (right ? 8 : 0));
    r = xlat_call(x, HELPER_rotc, a, c, mode);
    f = xlat_call(x, HELPER_rotc_flags, a, c, mode);
    xlat_store_op(x, 0, r);
    xlat_set_flags(x, f);
}

void xlat_RCL(Xlat *x) { rotc_op(x, false); }
void xlat_RCR(Xlat *x) { rotc_op(x, true); }

/* SHLD/SHRD (SDM vol 2): 32-bit in IR with the SHL/SAR lazy forms (CF = last bit out, OF = sign change);
 * 16-bit in helper_shxd16, which also gives counts 17..31 a P6-like meaning. */
static void shxd_op(Xlat *x, bool right)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0);
    uint32_t k;
    int c = shift_count(x, 2, &k);
    int a, s, r, src;
    if (c < 0 && k == 0)
        { count0_access(x); return; }
    a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    s = xlat_load_op(x, 1);
    if (size == 2) {
        int cnt = c < 0 ? ir_movi(b, k | (right ? 0x100 : 0)) : ir_op2i(b, IR_OR_I, c, right ? 0x100 : 0);
        int res = xlat_call(x, HELPER_shxd16, a, s, cnt);
        int f = ir_op2i(b, IR_SHR_I, res, 16);
        xlat_store_op(x, 0, ir_op1(b, IR_EXT16U, res));
        if (c >= 0)
            f = emit_select(x, c, f, xlat_flags(x));
        xlat_set_flags(x, f);
        return;
    }
    if (c < 0) {
        r = ir_op2(b, IR_OR, ir_op2i(b, right ? IR_SHR_I : IR_SHL_I, a, k),
                   ir_op2i(b, right ? IR_SHL_I : IR_SHR_I, s, 32 - k));
    } else {
        int back = ir_op2i(b, IR_ADD_I, ir_op1(b, IR_NEG, c), 32);
        r = ir_op2(b, IR_OR, ir_op2(b, right ? IR_SHR : IR_SHL, a, c), ir_op2(b, right ? IR_SHL : IR_SHR, s, back));
        r = emit_select(x, c, r, a);   /* count 0: s >> 32 would wrap to s >> 0 */
    }
    src = shift_by_m1(x, right ? IR_SHR : IR_SHL, a, c, k);
    xlat_store_op(x, 0, r);
    set_cc_if_count(x, c, right ? CC_OP_SARL : CC_OP_SHLL, r, src, a);
}

void xlat_SHLD(Xlat *x) { shxd_op(x, false); }
void xlat_SHRD(Xlat *x) { shxd_op(x, true); }

/* ------------------------------------------------------------------ BCD (helper_bcd) */

enum { BCD_DAA, BCD_DAS, BCD_AAA, BCD_AAS, BCD_AAM, BCD_AAD };

static void bcd_op(Xlat *x, int op, uint32_t imm)
{
    IrBlock *b = x->b;
    int res = xlat_call(x, HELPER_bcd, xlat_load_reg(x, R_EAX, 2), xlat_flags(x), ir_movi(b, (uint32_t)op | imm << 8));
    xlat_store_reg(x, R_EAX, 2, res);
    xlat_set_flags(x, ir_op2i(b, IR_SHR_I, res, 16));
}

void xlat_DAA(Xlat *x) { bcd_op(x, BCD_DAA, 0); }
void xlat_DAS(Xlat *x) { bcd_op(x, BCD_DAS, 0); }
void xlat_AAA(Xlat *x) { bcd_op(x, BCD_AAA, 0); }
void xlat_AAS(Xlat *x) { bcd_op(x, BCD_AAS, 0); }
void xlat_AAD(Xlat *x) { bcd_op(x, BCD_AAD, x->insn->ops[0].imm & 0xff); }

void xlat_AAM(Xlat *x)
{
    uint32_t imm = x->insn->ops[0].imm & 0xff;
    if (imm == 0) {
        xlat_raise(x, EXC_DE, -1);   /* AAM 0 divides by zero (SDM vol 2 AAM) */
        return;
    }
    bcd_op(x, BCD_AAM, imm);
}

/* ------------------------------------------------------------------ BT BTS BTR BTC BSF BSR */

enum { BT_TEST, BT_SET, BT_RESET, BT_COMP };

/* The bit string operand: with a register bit offset and a memory operand the offset is a signed index that
 * may address bytes outside the operand: EA + size * (offset SAR log2(bits)) (SDM vol 2 BT). Returns the value
 * and sets *addr (memory) and *bit. */
static int bt_operand(Xlat *x, int size, bool rmw, int *addr, int *bit)
{
    IrBlock *b = x->b;
    const X86Insn *in = x->insn;
    int bits = size * 8;
    *addr = -1;
    if (in->ops[1].kind == OPK_IMM) {
        *bit = ir_movi(b, in->ops[1].imm & (uint32_t)(bits - 1));
    } else {
        int off = xlat_load_op(x, 1);
        *bit = ir_op2i(b, IR_AND_I, off, (uint32_t)bits - 1);
        if (op_is_mem(x, 0)) {
            int disp = ir_op2i(b, IR_SAR_I, xlat_sext(x, off, size), size == 2 ? 4 : 5);
            *addr = ir_op2(b, IR_ADD, xlat_ea(x), ir_op2i(b, IR_SHL_I, disp, size == 2 ? 1 : 2));
            if (in->addrsize == 2)
                *addr = ir_op1(b, IR_EXT16U, *addr);
        }
    }
    if (!op_is_mem(x, 0))
        return xlat_load_op(x, 0);
    if (*addr < 0)
        *addr = xlat_ea(x);
    return ir_ld(b, size, xlat_mem_aux(x, in->seg) | (rmw ? IRM_RMW : 0), *addr);
}

/* CF := the selected bit; ZF unchanged; OF SF AF PF undefined → left unchanged. */
static void bt_op(Xlat *x, int kind)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0);
    int addr, bit, v, cf, mask, nv, f;
    v = bt_operand(x, size, kind != BT_TEST, &addr, &bit);
    cf = ir_op2i(b, IR_AND_I, ir_op2(b, IR_SHR, v, bit), 1);
    f = ir_op2(b, IR_OR, ir_op2i(b, IR_AND_I, xlat_flags(x), ~(uint32_t)F_CF), cf);
    if (kind != BT_TEST) {
        mask = ir_op2(b, IR_SHL, ir_movi(b, 1), bit);
        if (kind == BT_SET)
            nv = ir_op2(b, IR_OR, v, mask);
        else if (kind == BT_RESET)
            nv = ir_op2(b, IR_AND, v, ir_op1(b, IR_NOT, mask));
        else
            nv = ir_op2(b, IR_XOR, v, mask);
        if (addr >= 0)
            xlat_st(x, x->insn->seg, addr, size, nv);
        else
            xlat_store_op(x, 0, nv);
    }
    xlat_set_flags(x, f);
}

void xlat_BT(Xlat *x) { bt_op(x, BT_TEST); }
void xlat_BTS(Xlat *x) { bt_op(x, BT_SET); }
void xlat_BTR(Xlat *x) { bt_op(x, BT_RESET); }
void xlat_BTC(Xlat *x) { bt_op(x, BT_COMP); }

/* BSF/BSR: ZF = (source == 0); with a zero source the destination keeps its value as on the P6 (SDM vol 2 says
 * undefined). Other flags are undefined: the LOGIC form of the source gives them deterministic values. */
static void bitscan(Xlat *x, bool reverse)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0);
    int s = xlat_load_op(x, 1);
    int old = xlat_load_op(x, 0);
    int r = reverse ? ir_op2i(b, IR_XOR_I, ir_op1(b, IR_CLZ, ir_op2i(b, IR_OR_I, s, 1)), 31)
                    : ir_op1(b, IR_CTZ, ir_op2i(b, IR_OR_I, s, 0x80000000u));
    xlat_store_op(x, 0, emit_select(x, s, r, old));
    xlat_set_cc(x, CC_OP_LOGICB + sz_idx(size), s, IR_NONE, IR_NONE);
}

void xlat_BSF(Xlat *x) { bitscan(x, false); }
void xlat_BSR(Xlat *x) { bitscan(x, true); }

/* ------------------------------------------------------------------ SETcc CMOVcc */

void xlat_SETcc(Xlat *x)
{
    xlat_store_op(x, 0, xlat_cond(x, x->insn->cond & 15));
}

/* The source is read whether or not the condition holds (a memory source can fault either way: SDM vol 2
 * CMOVcc); a false condition leaves the 32-bit destination untouched. */
void xlat_CMOVcc(Xlat *x)
{
    int s = xlat_load_op(x, 1);
    int d = xlat_load_op(x, 0);
    int c = xlat_cond(x, x->insn->cond & 15);
    xlat_store_op(x, 0, emit_select(x, c, s, d));
}

/* ------------------------------------------------------------------ CMPXCHG CMPXCHG8B XADD BSWAP XCHG */

/* Flags as CMP accumulator, destination. The P6 always writes the destination (the old value back when not
 * equal: SDM vol 2 CMPXCHG); the accumulator is written only when not equal. */
void xlat_CMPXCHG(Xlat *x)
{
    IrBlock *b = x->b;
    int size = op_size(x, 0);
    int d = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    int s = xlat_load_op(x, 1);
    int acc = xlat_load_reg(x, R_EAX, size);
    int eq = emit_setcc(x, IRC_EQ, acc, d);
    int r = mask_to(x, ir_op2(b, IR_SUB, acc, d), size);
    xlat_store_op(x, 0, emit_select(x, eq, s, d));
    xlat_store_reg(x, R_EAX, size, emit_select(x, eq, xlat_load_reg(x, R_EAX, size), d));
    xlat_set_cc(x, CC_OP_SUBB + sz_idx(size), r, d, acc);
}

/* CMPXCHG8B m64: ZF only; both dwords are always written back (locked read-modify-write). */
void xlat_CMPXCHG8B(Xlat *x)
{
    IrBlock *b = x->b;
    int seg = x->insn->seg, ea, ea4, lo, hi, eq, f;
    if (!op_is_mem(x, 0)) {
        xlat_raise(x, EXC_UD, -1);
        return;
    }
    ea = xlat_ea(x);
    ea4 = ir_op2i(b, IR_ADD_I, ea, 4);
    if (x->insn->addrsize == 2)
        ea4 = ir_op1(b, IR_EXT16U, ea4);
    lo = ir_ld(b, 4, xlat_mem_aux(x, seg) | IRM_RMW, ea);
    hi = ir_ld(b, 4, xlat_mem_aux(x, seg) | IRM_RMW, ea4);
    eq = ir_op2(b, IR_AND, emit_setcc(x, IRC_EQ, lo, G_EAX), emit_setcc(x, IRC_EQ, hi, G_EDX));
    f = ir_op2i(b, IR_AND_I, xlat_flags(x), ~(uint32_t)F_ZF);
    f = ir_op2(b, IR_OR, f, ir_op2i(b, IR_SHL_I, eq, 6));
    xlat_st(x, seg, ea, 4, emit_select(x, eq, G_EBX, lo));
    xlat_st(x, seg, ea4, 4, emit_select(x, eq, G_ECX, hi));
    ir_mov(b, G_EAX, emit_select(x, eq, G_EAX, lo));
    ir_mov(b, G_EDX, emit_select(x, eq, G_EDX, hi));
    xlat_set_flags(x, f);
}

/* XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (so with the same register twice, DEST wins). */
void xlat_XADD(Xlat *x)
{
    int size = op_size(x, 0);
    int d = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    int s = xlat_load_op(x, 1);
    int r = mask_to(x, ir_op2(x->b, IR_ADD, d, s), size);
    if (op_is_mem(x, 0))
        xlat_store_op(x, 0, r);
    xlat_store_op(x, 1, d);
    if (!op_is_mem(x, 0))
        xlat_store_op(x, 0, r);
    xlat_set_cc(x, CC_OP_ADDB + sz_idx(size), r, s, d);
}

/* BSWAP r16 is undefined; a P6 leaves zero in the low word (observed behaviour, documented here). */
void xlat_BSWAP(Xlat *x)
{
    if (op_size(x, 0) == 2) {
        xlat_store_op(x, 0, ir_movi(x->b, 0));
        return;
    }
    xlat_store_op(x, 0, ir_op1(x->b, IR_BSWAP, xlat_load_op(x, 0)));
}

/* XCHG (LOCK implicit with memory): the memory side is stored first so a fault changes nothing. */
void xlat_XCHG(Xlat *x)
{
    int mi = op_is_mem(x, 1) ? 1 : 0;
    int a = op_is_mem(x, 0) ? xlat_load_op_rmw(x, 0) : xlat_load_op(x, 0);
    int v = op_is_mem(x, 1) ? xlat_load_op_rmw(x, 1) : xlat_load_op(x, 1);
    xlat_store_op(x, mi, mi ? a : v);
    xlat_store_op(x, 1 - mi, mi ? v : a);
}

/* ------------------------------------------------------------------ MOV MOVZX MOVSX LEA */

void xlat_MOV(Xlat *x)
{
    const X86Insn *in = x->insn;
    if (in->ops[0].kind == OPK_REG && in->ops[0].size == 4 && in->ops[1].kind == OPK_REG && in->ops[1].size == 4) {
        ir_mov(x->b, G_EAX + (in->ops[0].reg & 7), G_EAX + (in->ops[1].reg & 7));
        return;
    }
    xlat_store_op(x, 0, xlat_load_op(x, 1));
}

void xlat_MOVZX(Xlat *x)
{
    xlat_store_op(x, 0, xlat_load_op(x, 1));   /* loads are zero-extended already */
}

void xlat_MOVSX(Xlat *x)
{
    xlat_store_op(x, 0, xlat_sext(x, xlat_load_op(x, 1), op_size(x, 1)));
}

void xlat_LEA(Xlat *x)
{
    if (!op_is_mem(x, 1)) {
        xlat_raise(x, EXC_UD, -1);   /* LEA with a register operand (SDM vol 2 LEA) */
        return;
    }
    xlat_store_op(x, 0, xlat_ea(x));
}

/* ------------------------------------------------------------------ CBW CWD and the flag-byte instructions */

void xlat_CBW(Xlat *x)
{
    if (x->insn->opsize == 2)
        xlat_store_reg(x, R_EAX, 2, ir_op1(x->b, IR_EXT8S, G_EAX));   /* CBW */
    else
        ir_mov(x->b, G_EAX, ir_op1(x->b, IR_EXT16S, G_EAX));         /* CWDE */
}

void xlat_CWD(Xlat *x)
{
    if (x->insn->opsize == 2)
        xlat_store_reg(x, R_EDX, 2, ir_op2i(x->b, IR_SAR_I, ir_op1(x->b, IR_EXT16S, G_EAX), 15));   /* CWD */
    else
        ir_mov(x->b, G_EDX, ir_op2i(x->b, IR_SAR_I, G_EAX, 31));                                   /* CDQ */
}

/* SAHF: SF ZF AF PF CF := AH bits 7 6 4 2 0; OF unchanged. */
void xlat_SAHF(Xlat *x)
{
    IrBlock *b = x->b;
    int ah = ir_op2i(b, IR_AND_I, emit_extract(x, G_EAX, 8, 8), F_SF | F_ZF | F_AF | F_PF | F_CF);
    xlat_set_flags(x, ir_op2(b, IR_OR, ir_op2i(b, IR_AND_I, xlat_flags(x), F_OF), ah));
}

/* LAHF: AH := SF ZF 0 AF 0 PF 1 CF (bits 5 and 3 read 0, bit 1 reads 1). */
void xlat_LAHF(Xlat *x)
{
    int f = ir_op2i(x->b, IR_OR_I, ir_op2i(x->b, IR_AND_I, xlat_flags(x), 0xd5), 2);
    xlat_store_reg(x, 4 /* AH */, 1, f);
}

/* SALC (undocumented D6): AL := CF ? FF : 00, flags unchanged. */
void xlat_SALC(Xlat *x)
{
    xlat_store_reg(x, R_EAX, 1, ir_op1(x->b, IR_NEG, xlat_cf(x)));
}

void xlat_CLC(Xlat *x) { xlat_set_flags(x, ir_op2i(x->b, IR_AND_I, xlat_flags(x), ~(uint32_t)F_CF)); }
void xlat_STC(Xlat *x) { xlat_set_flags(x, ir_op2i(x->b, IR_OR_I, xlat_flags(x), F_CF)); }
void xlat_CMC(Xlat *x) { xlat_set_flags(x, ir_op2i(x->b, IR_XOR_I, xlat_flags(x), F_CF)); }

/* NOP, XCHG (E)AX,(E)AX, and the 0F 18-1F hint NOPs, which never access their memory operand. */
void xlat_NOP(Xlat *x) { (void)x; }
