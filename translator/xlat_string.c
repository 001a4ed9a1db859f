/* xlat_string.c — x86 → IR for the string instructions MOVS CMPS STOS LODS SCAS INS OUTS (SDM vol 2, vol 1 7.3.9).
 * Without a REP prefix MOVS/CMPS/STOS/LODS/SCAS are inline IR (one iteration: loads/stores first, then ESI/EDI
 * and the flags). With F3/F2, and INS/OUTS always (they need the I/O permission check), the instruction is one
 * call to a helpers_string.c helper that runs the iterations; a helper returning 0 stopped early with ECX != 0
 * (pending interrupt, budget), and the block then jumps back to the instruction itself so it resumes there.
 * Invariants: the source segment is DS or the override; the destination is always ES (not overridable); SI/DI/CX
 * vs ESI/EDI/ECX follow the address size; the element size is insn->datasize (byte forms have opcode bit 0 clear).
 * Left out: the iteration semantics of the REP forms (helpers_string.c). */
#include <stdio.h>   /* exec.h uses FILE */
#include "xlat.h"
#include "helpers.h"
#include "helpers_string.h"

static int str_size(const X86Insn *in)
{
    if (in->datasize == 1 || in->datasize == 2 || in->datasize == 4)
        return in->datasize;
    return (in->opcode & 1) ? in->opsize : 1;
}

static bool str_is_rep(const X86Insn *in) { return (in->prefixes & (PFX_REP | PFX_REPNE)) != 0; }

static uint32_t str_desc(const Xlat *x)
{
    const X86Insn *in = x->insn;
    int seg = in->seg <= SEG_GS ? in->seg : SEG_DS;
    uint32_t d = (uint32_t)str_size(in) | ((uint32_t)seg << STR_SEG_SHIFT);
    if (in->addrsize == 4)
        d |= STR_A32;
    if (str_is_rep(in))
        d |= STR_REP;
    /* F2 alone is REPNE; with both prefixes the decoder does not tell which came last: take F3 */
    if ((in->prefixes & PFX_REPNE) && !(in->prefixes & PFX_REP))
        d |= STR_REPNE;
    return d;
}

/* The REP form (or INS/OUTS): call the helper. A REP ends the block: on to the next instruction when the helper
 * finished, back to this one (EIP on it, chainable) when it stopped early. Ending here also keeps the exec loop's
 * instruction count exact: the instructions before the REP in this block did run. */
static void str_call(Xlat *x, int helper, bool sets_flags)
{
    int r = xlat_call(x, helper, ir_movi(x->b, str_desc(x)), IR_NONE, IR_NONE);
    if (sets_flags) {
        x->cc_op = CC_OP_DYNAMIC;   /* the helper stored CC_OP_SUBx (or left the synced value) */
        x->cc_op_dirty = false;
    }
    if (str_is_rep(x->insn))
        xlat_jump_cond(x, r, x->next_pc, x->pc);
}

/* temp = -(ESI/EDI step): size when DF=1... i.e. 2*size*DF - size, so that new = old - temp */
static int str_neg_step(Xlat *x, int size)
{
    int sh = size == 1 ? 9 : size == 2 ? 8 : 7;   /* brings DF (bit 10) to the bit of value 2*size */
    int t = ir_op2i(x->b, IR_AND_I, ir_op2i(x->b, IR_SHR_I, G_EFLAGS, (uint32_t)sh), 2u * (uint32_t)size);
    return ir_op2i(x->b, IR_SUB_I, t, (uint32_t)size);
}

static void str_advance(Xlat *x, int reg, int old, int neg_step)
{
    xlat_store_reg(x, reg, x->insn->addrsize, ir_op2(x->b, IR_SUB, old, neg_step));
}

static int str_cc_sub(int size) { return size == 1 ? CC_OP_SUBB : size == 2 ? CC_OP_SUBW : CC_OP_SUBL; }

static int str_mask(Xlat *x, int v, int size)
{
    return size == 4 ? v : ir_op2i(x->b, IR_AND_I, v, size == 1 ? 0xffu : 0xffffu);
}

void xlat_MOVS(Xlat *x)
{
    if (str_is_rep(x->insn)) {
        str_call(x, HELPER_string_movs, false);
        return;
    }
    int size = str_size(x->insn), asz = x->insn->addrsize;
    int si = xlat_load_reg(x, R_ESI, asz), di = xlat_load_reg(x, R_EDI, asz);
    int v = xlat_ld(x, str_desc(x) >> STR_SEG_SHIFT & 7, si, size);
    xlat_st(x, SEG_ES, di, size, v);
    int ns = str_neg_step(x, size);
    str_advance(x, R_ESI, si, ns);
    str_advance(x, R_EDI, di, ns);
}

void xlat_STOS(Xlat *x)
{
    if (str_is_rep(x->insn)) {
        str_call(x, HELPER_string_stos, false);
        return;
    }
    int size = str_size(x->insn), asz = x->insn->addrsize;
    int di = xlat_load_reg(x, R_EDI, asz);
    xlat_st(x, SEG_ES, di, size, xlat_load_reg(x, R_EAX, size));
    str_advance(x, R_EDI, di, str_neg_step(x, size));
}

void xlat_LODS(Xlat *x)
{
    if (str_is_rep(x->insn)) {
        str_call(x, HELPER_string_lods, false);
        return;
    }
    int size = str_size(x->insn), asz = x->insn->addrsize;
    int si = xlat_load_reg(x, R_ESI, asz);
    int v = xlat_ld(x, str_desc(x) >> STR_SEG_SHIFT & 7, si, size);
    xlat_store_reg(x, R_EAX, size, v);
    str_advance(x, R_ESI, si, str_neg_step(x, size));
}

/* CMPS: flags of [src:ESI] - [ES:EDI], as SUB/CMP sets them (SDM vol 2 CMPS) */
void xlat_CMPS(Xlat *x)
{
    if (str_is_rep(x->insn)) {
        str_call(x, HELPER_string_cmps, true);
        return;
    }
    int size = str_size(x->insn), asz = x->insn->addrsize;
    int si = xlat_load_reg(x, R_ESI, asz), di = xlat_load_reg(x, R_EDI, asz);
    int a = xlat_ld(x, str_desc(x) >> STR_SEG_SHIFT & 7, si, size);
    int b = xlat_ld(x, SEG_ES, di, size);
    int ns = str_neg_step(x, size);
    str_advance(x, R_ESI, si, ns);
    str_advance(x, R_EDI, di, ns);
    xlat_set_cc(x, str_cc_sub(size), str_mask(x, ir_op2(x->b, IR_SUB, a, b), size), b, a);
}

/* SCAS: flags of AL/AX/EAX - [ES:EDI] */
void xlat_SCAS(Xlat *x)
{
    if (str_is_rep(x->insn)) {
        str_call(x, HELPER_string_scas, true);
        return;
    }
    int size = str_size(x->insn), asz = x->insn->addrsize;
    int di = xlat_load_reg(x, R_EDI, asz);
    int b = xlat_ld(x, SEG_ES, di, size);
    int a = xlat_load_reg(x, R_EAX, size);
    str_advance(x, R_EDI, di, str_neg_step(x, size));
    xlat_set_cc(x, str_cc_sub(size), str_mask(x, ir_op2(x->b, IR_SUB, a, b), size), b, a);
}

void xlat_INS(Xlat *x) { str_call(x, HELPER_string_ins, false); }
void xlat_OUTS(Xlat *x) { str_call(x, HELPER_string_outs, false); }
