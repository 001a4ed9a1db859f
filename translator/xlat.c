/* xlat.c — the translator core: the block loop (fetch, decode, dispatch to xlat_<MNEMONIC> handlers, where a
 * block ends), operand access (registers, memory through the softmmu, immediates, segment registers), effective
 * addresses, the stack, lazy flags and x86 conditions, and the block exits.
 * Invariants:
 *   - a block covers at most two guest pages: no instruction may START on a page other than the first one, so only
 *     the last instruction can spill onto a second page (reported through phys_page2_out);
 *   - every block ends with a terminator op (GOTO_TB, EXIT_TB or RAISE);
 *   - for each guest instruction b->insn_op/insn_eip/insn_ccop record where it starts, so a fault restores EIP and
 *     the static cc_op of that instruction (ir.h);
 *   - the static cc_op (x->cc_op) is stored into G_CC_OP only when someone needs it: before CCFLAGS, before
 *     HLP_RW_GLOBALS helper calls and at every exit (lazy flags, SDM vol 1 3.4.3 for the flag meanings);
 *   - register reads hand out a fresh temp (a copy), never the global itself, so a handler may write a register
 *     and still use the value it read before.
 * Left out: the instruction semantics (xlat_alu.c, xlat_ctl.c, xlat_string.c, xlat_sys.c), optimisation
 * (ir_opt.c), the TB cache (exec). */
#include <assert.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include "xlat.h"
#include "mmu.h"
#include "helpers.h"

/* Stop adding instructions when the block gets this close to its op/temp limits (an x86 instruction needs far
 * fewer ops than this); running out anyway is handled by re-translating with fewer instructions. */
enum { XLAT_OP_MARGIN = 400, XLAT_TEMP_MARGIN = 400 };

/* ------------------------------------------------------------------ small emitters */

static void emit_movi_to(IrBlock *b, int d, uint32_t imm)
{
    IrOp *o = ir_emit(b, IR_MOVI);
    o->d = (uint16_t)d;
    o->imm = imm;
}

static int emit_extract(IrBlock *b, int a, int pos, int len)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_EXTRACT);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->imm = (uint32_t)pos;
    o->sz = (uint8_t)len;
    return d;
}

/* d = a with bits [pos, pos+len) replaced by the low len bits of v (d may be a global). */
static void emit_deposit_to(IrBlock *b, int d, int a, int v, int pos, int len)
{
    IrOp *o = ir_emit(b, IR_DEPOSIT);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->b = (uint16_t)v;
    o->imm = (uint32_t)pos;
    o->sz = (uint8_t)len;
}

static int emit_setcc(IrBlock *b, int cond, int a, int bb)
{
    int d = ir_op2(b, IR_SETCC, a, bb);
    b->ops[b->nops - 1].sz = (uint8_t)cond;
    return d;
}

static int emit_setcci(IrBlock *b, int cond, int a, uint32_t imm)
{
    int d = ir_op2i(b, IR_SETCC_I, a, imm);
    b->ops[b->nops - 1].sz = (uint8_t)cond;
    return d;
}

static uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* ------------------------------------------------------------------ registers */

int xlat_load_reg(Xlat *x, int reg, int size)
{
    reg &= 7;
    if (size == 1)
        return reg < 4 ? ir_op1(x->b, IR_EXT8U, G_EAX + reg) : emit_extract(x->b, G_EAX + reg - 4, 8, 8);
    if (size == 2)
        return ir_op1(x->b, IR_EXT16U, G_EAX + reg);
    return ir_op1(x->b, IR_MOV, G_EAX + reg);
}

void xlat_store_reg(Xlat *x, int reg, int size, int val)
{
    reg &= 7;
    if (size == 1) {
        int g = G_EAX + (reg & 3);
        emit_deposit_to(x->b, g, g, val, reg < 4 ? 0 : 8, 8);
    } else if (size == 2) {
        emit_deposit_to(x->b, G_EAX + reg, G_EAX + reg, val, 0, 16);
    } else {
        ir_mov(x->b, G_EAX + reg, val);
    }
}

int xlat_sext(Xlat *x, int val, int size)
{
    if (size == 1)
        return ir_op1(x->b, IR_EXT8S, val);
    if (size == 2)
        return ir_op1(x->b, IR_EXT16S, val);
    return val;
}

int xlat_zext(Xlat *x, int val, int size)
{
    if (size == 1)
        return ir_op1(x->b, IR_EXT8U, val);
    if (size == 2)
        return ir_op1(x->b, IR_EXT16U, val);
    return val;
}

/* ------------------------------------------------------------------ memory */

int xlat_ea(Xlat *x)
{
    const X86Insn *in = x->insn;
    IrBlock *b = x->b;
    int t = -1;
    if (x->ea >= 0)
        return x->ea;
    if (in->ea_base != R_NONE)
        t = G_EAX + (in->ea_base & 7);
    if (in->ea_index != R_NONE) {
        int idx = G_EAX + (in->ea_index & 7);
        int sh = in->ea_scale == 8 ? 3 : in->ea_scale == 4 ? 2 : in->ea_scale == 2 ? 1 : 0;
        if (sh)
            idx = ir_op2i(b, IR_SHL_I, idx, (uint32_t)sh);
        t = t < 0 ? idx : ir_op2(b, IR_ADD, t, idx);
    }
    if (t < 0)
        t = ir_movi(b, (uint32_t)in->disp & (in->addrsize == 2 ? 0xffffu : 0xffffffffu));
    else if (in->disp != 0 || (t < IR_NUM_GLOBALS && in->addrsize != 2))
        t = ir_op2i(b, IR_ADD_I, t, (uint32_t)in->disp);   /* also turns a bare global into a private temp */
    if (in->addrsize == 2)
        t = ir_op1(b, IR_EXT16U, t);   /* 16-bit addressing wraps at 64 KiB (SDM vol 1 3.7.5) */
    x->ea = t;
    return t;
}

/* Under HF_FLAT, ES SS DS accesses need neither base nor check. CS keeps its check even then: a flat code segment
 * is never writable and may be execute-only (SDM vol 3 5.4.1), and CS overrides are rare. */
int xlat_mem_aux(Xlat *x, int seg)
{
    if (seg == SEG_NONE || ((x->hflags & HF_FLAT) && seg <= SEG_DS && seg != SEG_CS))
        return SEG_NONE | x->mem_user;
    return (seg & IRM_SEG_MASK) | IRM_CHECK | x->mem_user;
}

int xlat_ld(Xlat *x, int seg, int addr, int size)
{
    return ir_ld(x->b, size, xlat_mem_aux(x, seg), addr);
}

void xlat_st(Xlat *x, int seg, int addr, int size, int val)
{
    ir_st(x->b, size, xlat_mem_aux(x, seg), addr, val);
}

/* ------------------------------------------------------------------ operands */

static int ldenv(Xlat *x, size_t off, int size)
{
    int d = ir_new_temp(x->b);
    IrOp *o = ir_emit(x->b, IR_LDENV);
    o->d = (uint16_t)d;
    o->imm = (uint32_t)off;
    o->sz = (uint8_t)size;
    return d;
}

static int load_creg(Xlat *x, int n)
{
    switch (n) {
    case 0: return ldenv(x, offsetof(CpuState, cr0), 4);
    case 2: return ldenv(x, offsetof(CpuState, cr2), 4);
    case 3: return ldenv(x, offsetof(CpuState, cr3), 4);
    case 4: return ldenv(x, offsetof(CpuState, cr4), 4);
    default: xlat_raise(x, EXC_UD, -1); return ir_movi(x->b, 0);
    }
}

static int load_op(Xlat *x, int i, bool rmw)
{
    const X86Operand *op = &x->insn->ops[i];
    int size = op->size > 4 ? 4 : op->size;
    switch (op->kind) {
    case OPK_REG:
        return xlat_load_reg(x, op->reg, size);
    case OPK_MEM:
        return ir_ld(x->b, size ? size : 4, xlat_mem_aux(x, x->insn->seg) | (rmw ? IRM_RMW : 0), xlat_ea(x));
    case OPK_IMM:
        return ir_movi(x->b, op->imm & size_mask(size ? size : 4));
    case OPK_REL:
    case OPK_FAR:
        return ir_movi(x->b, op->imm);
    case OPK_SREG:
        return ldenv(x, offsetof(CpuState, seg[0].sel) + (op->reg % 6) * sizeof(SegCache), 2);
    case OPK_CREG:
        return load_creg(x, op->reg);
    case OPK_DREG:
        return ldenv(x, offsetof(CpuState, dr[0]) + (op->reg & 7) * sizeof(uint32_t), 4);
    default:
        xlat_unimplemented(x);
        return ir_movi(x->b, 0);
    }
}

int xlat_load_op(Xlat *x, int i)
{
    return load_op(x, i, false);
}

int xlat_load_op_rmw(Xlat *x, int i)
{
    return load_op(x, i, true);
}

void xlat_store_op(Xlat *x, int i, int val)
{
    const X86Operand *op = &x->insn->ops[i];
    int size = op->size > 4 ? 4 : op->size;
    switch (op->kind) {
    case OPK_REG:
        xlat_store_reg(x, op->reg, size, val);
        break;
    case OPK_MEM:
        xlat_st(x, x->insn->seg, xlat_ea(x), size ? size : 4, val);
        break;
    case OPK_SREG:
        /* descriptor checks, hidden cache and hflags are the helper's business (seg.c); the block then ends with
         * EXIT_MODE (xlat_block) since CS.D/SS.B/flatness may have changed */
        if (op->reg == SEG_CS || op->reg > SEG_GS) {
            xlat_raise(x, EXC_UD, -1);   /* MOV CS, r/m is invalid (SDM vol 2 MOV) */
            break;
        }
        xlat_call(x, HELPER_load_seg, ir_movi(x->b, op->reg), ir_op1(x->b, IR_EXT16U, val), IR_NONE);
        break;
    default:
        /* CR/DR writes need C (xlat_sys.c uses helpers); anything else is a decoder/handler mismatch */
        xlat_unimplemented(x);
        break;
    }
}

/* ------------------------------------------------------------------ stack */

int xlat_sp_addr(Xlat *x, int delta)
{
    int t = ir_op2i(x->b, IR_ADD_I, G_ESP, (uint32_t)delta);
    if (!(x->hflags & HF_SS32))
        t = ir_op1(x->b, IR_EXT16U, t);
    return t;
}

void xlat_sp_set(Xlat *x, int new_sp)
{
    if (x->hflags & HF_SS32)
        ir_mov(x->b, G_ESP, new_sp);
    else
        emit_deposit_to(x->b, G_ESP, G_ESP, new_sp, 0, 16);
}

void xlat_push(Xlat *x, int val, int size)
{
    int a = xlat_sp_addr(x, -size);
    xlat_st(x, SEG_SS, a, size, val);
    xlat_sp_set(x, a);
}

int xlat_pop(Xlat *x, int size)
{
    int a = xlat_sp_addr(x, 0);
    int v = xlat_ld(x, SEG_SS, a, size);
    xlat_sp_set(x, xlat_sp_addr(x, size));
    return v;
}

/* ------------------------------------------------------------------ lazy flags */

static void cc_store(Xlat *x)
{
    if (x->cc_op_dirty && x->cc_op != CC_OP_DYNAMIC) {
        emit_movi_to(x->b, G_CC_OP, (uint32_t)x->cc_op);
        x->cc_op_dirty = false;
    }
}

/* Unused operands are written too (with 0): then every flag-setting instruction overwrites all three cc globals
 * and the optimiser sees the previous instruction's values die (e.g. the CF an INC saves before an AND). */
static void cc_write(IrBlock *b, int g, int v)
{
    if (v >= 0 && v != IR_NONE)
        ir_mov(b, g, v);
    else
        emit_movi_to(b, g, 0);
}

void xlat_set_cc(Xlat *x, int cc_op, int dst, int src, int src2)
{
    cc_write(x->b, G_CC_DST, dst);
    cc_write(x->b, G_CC_SRC, src);
    cc_write(x->b, G_CC_SRC2, src2);
    x->cc_op = cc_op;
    x->cc_op_dirty = true;
}

int xlat_flags(Xlat *x)
{
    if (x->cc_op == CC_OP_EFLAGS)
        return ir_op2i(x->b, IR_AND_I, G_CC_SRC, F_ARITH);
    cc_store(x);
    return ir_op1(x->b, IR_CCFLAGS, IR_NONE);
}

void xlat_set_flags(Xlat *x, int flags)
{
    xlat_set_cc(x, CC_OP_EFLAGS, IR_NONE, ir_op2i(x->b, IR_AND_I, flags, F_ARITH), IR_NONE);
}

static int cc_size(int cc_op)
{
    if (cc_op <= CC_OP_EFLAGS || cc_op >= CC_OP_NB)
        return 4;   /* no size (EFLAGS form, dynamic): callers do not use it */
    return 1 << ((cc_op - 1) % 3);   /* CC_SIZES order: B, W, L */
}

static int cc_kind(int cc_op)
{
    return cc_op == CC_OP_EFLAGS || cc_op == CC_OP_DYNAMIC ? cc_op : CC_OP_ADDB + ((cc_op - 1) / 3) * 3;
}

/* CF of a static lazy state as a 0/1 temp computed inline (cpu.h CcOp table), or -1 when only CCFLAGS knows. */
static int cf_inline(Xlat *x)
{
    IrBlock *b = x->b;
    int size = cc_size(x->cc_op);
    switch (cc_kind(x->cc_op)) {
    case CC_OP_ADDB: return emit_setcc(b, IRC_LTU, G_CC_DST, G_CC_SRC);
    case CC_OP_ADCB:   /* carry-in 1: dst <= src; carry-in 0: dst < src */
        return ir_op2(b, IR_OR, emit_setcc(b, IRC_LTU, G_CC_DST, G_CC_SRC),
                      ir_op2(b, IR_AND, emit_setcc(b, IRC_EQ, G_CC_DST, G_CC_SRC), G_CC_SRC2));
    case CC_OP_SUBB: return emit_setcc(b, IRC_LTU, G_CC_SRC2, G_CC_SRC);
    case CC_OP_SBBB: { /* src1 = dst + src + borrow-in; borrow-in 1: src1 <= src; 0: src1 < src */
        int a = ir_op2(b, IR_ADD, ir_op2(b, IR_ADD, G_CC_DST, G_CC_SRC), G_CC_SRC2);
        if (size < 4)
            a = ir_op2i(b, IR_AND_I, a, (1u << (size * 8)) - 1);
        return ir_op2(b, IR_OR, emit_setcc(b, IRC_LTU, a, G_CC_SRC),
                      ir_op2(b, IR_AND, emit_setcc(b, IRC_EQ, a, G_CC_SRC), G_CC_SRC2));
    }
    case CC_OP_LOGICB: return ir_movi(b, 0);
    case CC_OP_INCB:
    case CC_OP_DECB: return ir_op1(b, IR_MOV, G_CC_SRC);
    case CC_OP_SHLB: return emit_extract(b, G_CC_SRC, size * 8 - 1, 1);
    case CC_OP_SARB: return ir_op2i(b, IR_AND_I, G_CC_SRC, 1);
    case CC_OP_MULB:
    case CC_OP_IMULB: return emit_setcci(b, IRC_NE, G_CC_SRC, 0);
    case CC_OP_EFLAGS: return ir_op2i(b, IR_AND_I, G_CC_SRC, F_CF);
    default: return -1;
    }
}

int xlat_cf(Xlat *x)
{
    int t = x->cc_op == CC_OP_DYNAMIC ? -1 : cf_inline(x);
    return t >= 0 ? t : ir_op2i(x->b, IR_AND_I, xlat_flags(x), F_CF);
}

/* ------------------------------------------------------------------ conditions */

/* A condition as one comparison (a <c> b, or a <c> imm), or a constant. */
typedef struct CondCmp {
    int c;          /* IrCond, or -1 for a constant */
    int a, b;       /* b = IR_NONE: compare with imm */
    uint32_t imm;
} CondCmp;

static CondCmp cmp_rr(int c, int a, int b) { return (CondCmp){ c, a, b, 0 }; }
static CondCmp cmp_ri(int c, int a, uint32_t imm) { return (CondCmp){ c, a, IR_NONE, imm }; }

/* Conditions from the arithmetic flags f (only F_ARITH bits set). base = cond >> 1: O B Z BE S P L LE. */
static CondCmp cond_from_flags(Xlat *x, int base, int f)
{
    static const uint32_t bit[6] = { F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF };
    if (base < 6)
        return cmp_ri(IRC_TSTNZ, f, bit[base]);
    /* L: SF != OF; LE: ZF or SF != OF. (f >> 4) moves OF (bit 11) onto SF (bit 7); bit 6 of f >> 4 is bit 10,
     * which is never set in f, so bit 6 of the XOR is ZF. */
    int t = ir_op2(x->b, IR_XOR, ir_op2i(x->b, IR_SHR_I, f, 4), f);
    return cmp_ri(IRC_TSTNZ, t, base == 6 ? F_SF : F_SF | F_ZF);
}

/* After CMP/SUB the operands are still at hand: compare them directly (SDM vol 1 B.1). */
static CondCmp cond_after_sub(Xlat *x, int base, int size)
{
    uint32_t sign = 1u << (size * 8 - 1);
    int a = G_CC_SRC2, b = G_CC_SRC;
    switch (base) {
    case 1: return cmp_rr(IRC_LTU, a, b);
    case 2: return cmp_rr(IRC_EQ, a, b);
    case 3: return cmp_rr(IRC_LEU, a, b);
    case 4: return cmp_ri(IRC_TSTNZ, G_CC_DST, sign);
    case 6:
    case 7:
        if (size < 4) {
            a = xlat_sext(x, a, size);
            b = xlat_sext(x, b, size);
        }
        return cmp_rr(base == 6 ? IRC_LT : IRC_LE, a, b);
    default: return cmp_ri(-1, IR_NONE, 0);
    }
}

/* INC/DEC set OF SF ZF as ADD/SUB of 1 would, so the signed conditions compare the original operand a with 1:
 * after DEC, L <=> a <s 1 and LE <=> a <=s 1; after INC, L <=> a <s -1 and LE <=> a <s 0 (a = dst -/+ 1).
 * O is dst == 0x80.. (INC) or dst == 0x7f.. (DEC). */
static CondCmp cond_after_incdec(Xlat *x, int base, int size, bool dec)
{
    uint32_t sign = 1u << (size * 8 - 1);
    int a;
    if (base == 0)
        return cmp_ri(IRC_EQ, G_CC_DST, dec ? sign - 1 : sign);
    if (base != 6 && base != 7)
        return cmp_ri(-1, IR_NONE, 0);
    a = xlat_sext(x, ir_op2i(x->b, IR_ADD_I, G_CC_DST, dec ? 1 : 0xffffffffu), size);
    if (dec)
        return cmp_ri(base == 6 ? IRC_LT : IRC_LE, a, 1);
    return cmp_ri(IRC_LT, a, base == 6 ? 0xffffffffu : 0);
}

static CondCmp cond_static(Xlat *x, int base)
{
    int kind = cc_kind(x->cc_op), size = cc_size(x->cc_op);
    uint32_t sign = 1u << (size * 8 - 1);
    if (x->cc_op == CC_OP_DYNAMIC)
        return cmp_ri(-1, IR_NONE, 0);
    if (kind == CC_OP_EFLAGS)
        return cond_from_flags(x, base, G_CC_SRC);
    if (kind == CC_OP_SUBB)
        return cond_after_sub(x, base, size);
    if (base == 2)
        return cmp_ri(IRC_EQ, G_CC_DST, 0);
    if (base == 4)
        return cmp_ri(IRC_TSTNZ, G_CC_DST, sign);
    if (base == 1 && kind != CC_OP_LOGICB) {
        int cf = cf_inline(x);
        if (cf >= 0)
            return cmp_ri(IRC_NE, cf, 0);
    }
    if (kind == CC_OP_INCB || kind == CC_OP_DECB)
        return cond_after_incdec(x, base, size, kind == CC_OP_DECB);
    if (kind == CC_OP_LOGICB) {
        switch (base) {
        case 0: case 1: return cmp_rr(IRC_NE, G_CC_DST, G_CC_DST);   /* OF = CF = 0: never */
        case 3: return cmp_ri(IRC_EQ, G_CC_DST, 0);
        case 6: return cmp_ri(IRC_TSTNZ, G_CC_DST, sign);
        case 7: return cmp_ri(IRC_LE, size < 4 ? xlat_sext(x, G_CC_DST, size) : G_CC_DST, 0);
        }
    }
    return cmp_ri(-1, IR_NONE, 0);
}

static CondCmp cond_compare(Xlat *x, int cond)
{
    int base = (cond >> 1) & 7;
    CondCmp c = cond_static(x, base);
    if (c.c < 0)
        c = cond_from_flags(x, base, xlat_flags(x));
    if (cond & 1)
        c.c ^= 1;   /* IrCond pairs are laid out so that c ^ 1 is the negation */
    return c;
}

int xlat_cond(Xlat *x, int cond)
{
    CondCmp c = cond_compare(x, cond);
    if (c.b == IR_NONE)
        return emit_setcci(x->b, c.c, c.a, c.imm);
    return emit_setcc(x->b, c.c, c.a, c.b);
}

/* ------------------------------------------------------------------ helpers, sync */

void xlat_cc_flush(Xlat *x)
{
    cc_store(x);
}

void xlat_sync(Xlat *x)
{
    cc_store(x);
    emit_movi_to(x->b, G_EIP, x->pc);
}

int xlat_call(Xlat *x, int helper, int a, int b, int c)
{
    bool rw = helper >= 0 && helper < HELPER_COUNT && (helper_info[helper].flags & HLP_RW_GLOBALS);
    int r;
    if (rw)
        xlat_sync(x);
    r = ir_call(x->b, helper, a, b, c);
    if (rw) {
        x->cc_op = CC_OP_DYNAMIC;
        x->cc_op_dirty = false;
    }
    return r;
}

/* ------------------------------------------------------------------ exits */

/* Single-step (EFLAGS.TF): every exit of a one-instruction block delivers the #DB trap first, once G_EIP holds
 * the next eip (SDM vol 3 17.3.1.4; the helper, in the debug code, decides about RF/inhibit details). */
static void emit_single_step(Xlat *x)
{
    if (x->hflags & HF_TF)
        ir_call(x->b, HELPER_debug_single_step, IR_NONE, IR_NONE, IR_NONE);
}

void xlat_jump_const(Xlat *x, uint32_t target)
{
    cc_store(x);
    emit_movi_to(x->b, G_EIP, target);
    emit_single_step(x);
    ir_emit(x->b, IR_GOTO_TB)->imm = 0;
    x->end = true;
}

void xlat_jump_cond(Xlat *x, int cond_temp, uint32_t taken, uint32_t not_taken)
{
    IrBlock *b = x->b;
    int l_taken = ir_new_label(b);
    IrOp *last = b->nops > 0 ? &b->ops[b->nops - 1] : NULL;
    cc_store(x);   /* both paths leave with the same lazy state */
    if (last && (last->op == IR_SETCC || last->op == IR_SETCC_I) && last->d == cond_temp) {
        /* branch on the comparison itself (the SETCC becomes dead unless someone else reads it) */
        IrOp l = *last;
        if (l.op == IR_SETCC)
            ir_brcond(b, (IrCond)l.sz, l.a, l.b, l_taken);
        else
            ir_brcondi(b, (IrCond)l.sz, l.a, l.imm, l_taken);
    } else {
        ir_brcondi(b, IRC_NE, cond_temp, 0, l_taken);
    }
    emit_movi_to(b, G_EIP, not_taken);
    emit_single_step(x);
    ir_emit(b, IR_GOTO_TB)->imm = 1;
    ir_set_label(b, l_taken);
    emit_movi_to(b, G_EIP, taken);
    emit_single_step(x);
    ir_emit(b, IR_GOTO_TB)->imm = 0;
    x->end = true;
}

void xlat_jump_dyn(Xlat *x, int target)
{
    cc_store(x);
    ir_mov(x->b, G_EIP, target);
    emit_single_step(x);
    ir_emit(x->b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    x->end = true;
}

void xlat_exit(Xlat *x, uint32_t next_eip, int reason)
{
    cc_store(x);
    emit_movi_to(x->b, G_EIP, next_eip);
    emit_single_step(x);
    ir_emit(x->b, IR_EXIT_TB)->imm = (uint32_t)reason;
    x->end = true;
}

void xlat_raise(Xlat *x, int vector, int error)
{
    IrOp *o;
    /* store the lazy state but keep it "dirty": a handler may raise on one path only, and the other path still
     * has to store it at its own exit */
    if (x->cc_op_dirty && x->cc_op != CC_OP_DYNAMIC)
        emit_movi_to(x->b, G_CC_OP, (uint32_t)x->cc_op);
    emit_movi_to(x->b, G_EIP, x->pc);
    o = ir_emit(x->b, IR_RAISE);
    o->aux = (uint16_t)vector;
    o->imm = error < 0 ? 0xffffffffu : (uint32_t)error;
    x->end = true;
}

void xlat_unimplemented(Xlat *x)
{
    log_unimplemented_once(x86_op_name(x->insn->op), x->insn->opcode);
    xlat_raise(x, EXC_UD, -1);
}

/* ------------------------------------------------------------------ the block */

typedef struct BlockCtx {
    CpuState *env;
    uint32_t pc, cs_base, hflags;
    int max_insns;
    uint32_t size;
    uint32_t page2;   /* physical page of the spill-over page, or ~0 */
} BlockCtx;

enum { FETCH_OK, FETCH_STOP };

/* Fetch and decode the instruction at eip. Returns FETCH_STOP when the block must end before it (only for a
 * non-first instruction); for the first instruction a fetch fault is raised here (cpu_raise_exception). */
static int fetch_decode(BlockCtx *c, uint32_t eip, bool first, X86Insn *in)
{
    const SegCache *cs = &c->env->seg[SEG_CS];
    uint8_t buf[16];
    uint32_t lin = c->cs_base + eip, pa;
    int mmu_idx = (c->hflags & HF_CPL_MASK) == 3 ? MMU_USER : MMU_KERNEL;
    int want = 15, got, st;
    /* CS limit (SDM vol 3 5.3): bytes past the limit cannot be fetched. XXX: the limit is read at translation
     * time and is not part of the TB key (CS loads end the block and change the key in practice). */
    if (eip < cs->lo || eip > cs->hi) {
        if (first)
            cpu_raise_exception(c->env, EXC_GP, 0);
        return FETCH_STOP;
    }
    if (cs->hi - eip < 14)
        want = (int)(cs->hi - eip) + 1;
    got = mmu_fetch_code(c->env, lin, buf, want, first, &pa);
    if (got <= 0)
        return FETCH_STOP;
    st = x86_decode(buf, got, (c->hflags & HF_CS32) != 0, eip, in);
    if (st == DEC_NEED_MORE) {
        if (!first)
            return FETCH_STOP;
        if (got < want)   /* the rest lies on a page that cannot be fetched: its #PF */
            mmu_translate(c->env, lin + (uint32_t)got, MMU_ACC_EXEC, mmu_idx);
        cpu_raise_exception(c->env, EXC_GP, 0);   /* ran into the CS limit */
    }
    if (st == DEC_OK && ((lin ^ (lin + in->len - 1)) & TARGET_PAGE_MASK))
        c->page2 = mmu_translate(c->env, (lin + in->len - 1) & TARGET_PAGE_MASK, MMU_ACC_EXEC, mmu_idx)
                   & TARGET_PAGE_MASK;
    return FETCH_OK;
}

/* Translate one guest instruction already decoded into *in. */
static void xlat_one(Xlat *x, const X86Insn *in)
{
    IrBlock *b = x->b;
    int n = b->ninsns++;
    XlatFn fn;
    b->insn_op[n] = (uint16_t)b->nops;
    b->insn_eip[n] = x->pc;
    b->insn_ccop[n] = (uint8_t)x->cc_op;
    x->insn = in;
    x->ea = -1;
    if (x->hflags & HF_DR_EXEC)   /* instruction breakpoints (DR7) are checked before the instruction runs */
        xlat_call(x, HELPER_debug_check_exec, ir_movi(b, x->pc), IR_NONE, IR_NONE);
    if (in->status == DEC_TOO_LONG) {
        xlat_raise(x, EXC_GP, 0);   /* over 15 bytes (SDM vol 2 2.3.11) */
        return;
    }
    if (in->status != DEC_OK || in->op == X86_OP_INVALID) {
        xlat_raise(x, EXC_UD, -1);
        return;
    }
    fn = in->op < X86_OP_COUNT ? xlat_table[in->op] : NULL;
    if (!fn) {
        xlat_unimplemented(x);
        return;
    }
    fn(x);
    /* a segment register written by MOV/POP Sreg may change CS.D/SS.B/flatness and inhibits interrupts for one
     * instruction (SDM vol 3 6.8.3): leave through the exec loop, which recomputes hflags */
    if (!x->end && in->nops > 0 && in->ops[0].kind == OPK_SREG && in->op != X86_OP_PUSH)
        xlat_exit(x, x->next_pc, EXIT_MODE);
}

/* One translation attempt with at most c->max_insns instructions. Returns the number of instructions that were
 * complete before the block overflowed (b->overflow set), else the number translated. */
static int xlat_try(BlockCtx *c, IrBlock *b)
{
    Xlat xs = { 0 }, *x = &xs;
    X86Insn in;
    uint32_t eip = c->pc, first_page = (c->cs_base + c->pc) & TARGET_PAGE_MASK;
    ir_init(b);
    x->b = b;
    x->env = c->env;
    x->hflags = c->hflags;
    x->cs_base = c->cs_base;
    x->cc_op = CC_OP_DYNAMIC;
    x->mem_user = (c->hflags & HF_CPL_MASK) == 3 ? IRM_USER : 0;
    c->size = 0;
    c->page2 = ~0u;
    for (;;) {
        bool first = b->ninsns == 0;
        if (!first && ((c->cs_base + eip) & TARGET_PAGE_MASK) != first_page)
            break;
        memset(&in, 0, sizeof(in));
        if (fetch_decode(c, eip, first, &in) != FETCH_OK)
            break;
        x->pc = eip;
        x->next_pc = eip + in.len;
        if (!(c->hflags & HF_CS32))
            x->next_pc &= 0xffff;
        xlat_one(x, &in);
        if (b->overflow)
            return b->ninsns - 1;
        c->size += in.len ? in.len : 1;
        eip = x->next_pc;
        if (x->end || b->ninsns >= c->max_insns || b->nops > TB_MAX_OPS - XLAT_OP_MARGIN ||
            b->ntemps > IR_MAX_TEMPS - XLAT_TEMP_MARGIN || in.status != DEC_OK)
            break;
    }
    if (!x->end) {
        cc_store(x);
        emit_movi_to(b, G_EIP, eip);
        emit_single_step(x);
        ir_emit(b, IR_GOTO_TB)->imm = 1;
    }
    return b->ninsns;
}

int xlat_block(CpuState *env, IrBlock *b, uint32_t pc, uint32_t cs_base, uint32_t hflags, uint32_t *size_out,
               uint32_t *phys_page2_out)
{
    BlockCtx c = { .env = env, .pc = pc, .cs_base = cs_base, .hflags = hflags };
    c.max_insns = (hflags & HF_TF) ? 1 : TB_MAX_INSNS;
    for (;;) {
        int n = xlat_try(&c, b);
        if (!b->overflow)
            break;
        /* one instruction never needs a whole block: with n == 0 the IR builder itself is broken */
        assert(n > 0);
        c.max_insns = n;
    }
    if (size_out)
        *size_out = c.size;
    if (phys_page2_out)
        *phys_page2_out = c.page2;
    return 0;
}
