/* ir.c — the IR builder (functions declared in ir.h) and the op description table ir_op_info[] from ir_ops.def.
 * Invariants: the builder never writes past TB_MAX_OPS ops or IR_MAX_TEMPS temps. When a block runs out it sets
 * b->overflow and hands out scratch slots that are never part of the block (the last op slot, the last temp), so
 * callers can keep emitting without checks; the translator tests b->overflow after each guest instruction and
 * ends the block before it.
 * ir_verify checks a block against the IR's rules (operand ranges per opcode, temps written before read in program
 * order, labels defined once and every branch target present, a terminator last) for tests and debug builds.
 * Left out: optimisation (ir_opt.c), listing (ir_print.c), execution (interp.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ir.h"

const IrOpInfo ir_op_info[IR_NUM_OPS] = {
#define DEF(name, nout, nin, flags) [IR_##name] = { #name, nout, nin, flags },
#include "ir_ops.def"
#undef DEF
};

/* Scratch slots used after overflow: never counted in nops / ntemps. */
enum { IR_SCRATCH_OP = TB_MAX_OPS - 1, IR_SCRATCH_TEMP = IR_MAX_TEMPS - 1 };

void ir_init(IrBlock *b)
{
    b->nops = 0;
    b->ntemps = IR_NUM_GLOBALS;
    b->nlabels = 0;
    b->ninsns = 0;
    b->overflow = false;
}

int ir_new_temp(IrBlock *b)
{
    if (b->ntemps >= IR_SCRATCH_TEMP) {
        b->overflow = true;
        return IR_SCRATCH_TEMP;
    }
    return b->ntemps++;
}

int ir_new_label(IrBlock *b)
{
    /* label ids live in the 16-bit aux field; IR_NONE is never a label */
    if (b->nlabels >= IR_NONE - 1) {
        b->overflow = true;
        return IR_NONE - 1;
    }
    return b->nlabels++;
}

IrOp *ir_emit(IrBlock *b, int op)
{
    IrOp *o;
    if (b->nops >= IR_SCRATCH_OP) {
        b->overflow = true;
        o = &b->ops[IR_SCRATCH_OP];
    } else {
        o = &b->ops[b->nops++];
    }
    memset(o, 0, sizeof(*o));
    o->op = (uint8_t)op;
    o->d = o->a = o->b = o->c = IR_NONE;
    return o;
}

int ir_op2(IrBlock *b, int op, int a, int bb)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, op);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->b = (uint16_t)bb;
    return d;
}

int ir_op2i(IrBlock *b, int op, int a, uint32_t imm)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, op);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->imm = imm;
    return d;
}

int ir_op1(IrBlock *b, int op, int a)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, op);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    return d;
}

int ir_movi(IrBlock *b, uint32_t imm)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_MOVI);
    o->d = (uint16_t)d;
    o->imm = imm;
    return d;
}

void ir_mov(IrBlock *b, int d, int a)
{
    IrOp *o = ir_emit(b, IR_MOV);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
}

void ir_set_label(IrBlock *b, int label)
{
    ir_emit(b, IR_LABEL)->aux = (uint16_t)label;
}

void ir_br(IrBlock *b, int label)
{
    ir_emit(b, IR_BR)->aux = (uint16_t)label;
}

void ir_brcond(IrBlock *b, IrCond c, int a, int bb, int label)
{
    IrOp *o = ir_emit(b, IR_BRCOND);
    o->sz = (uint8_t)c;
    o->a = (uint16_t)a;
    o->b = (uint16_t)bb;
    o->aux = (uint16_t)label;
}

void ir_brcondi(IrBlock *b, IrCond c, int a, uint32_t imm, int label)
{
    IrOp *o = ir_emit(b, IR_BRCOND_I);
    o->sz = (uint8_t)c;
    o->a = (uint16_t)a;
    o->imm = imm;
    o->aux = (uint16_t)label;
}

int ir_ld(IrBlock *b, int size_flags, int aux, int addr)
{
    int d = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_LD);
    o->d = (uint16_t)d;
    o->a = (uint16_t)addr;
    o->sz = (uint8_t)size_flags;
    o->aux = (uint16_t)aux;
    return d;
}

void ir_st(IrBlock *b, int size, int aux, int addr, int val)
{
    IrOp *o = ir_emit(b, IR_ST);
    o->a = (uint16_t)addr;
    o->b = (uint16_t)val;
    o->sz = (uint8_t)size;
    o->aux = (uint16_t)aux;
}

int ir_call(IrBlock *b, int helper, int a, int bb, int c)
{
    int d = IR_NONE;
    IrOp *o;
    if (helper >= 0 && helper < HELPER_COUNT && helper_info[helper].ret)
        d = ir_new_temp(b);
    o = ir_emit(b, IR_CALL);
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    o->b = (uint16_t)bb;
    o->c = (uint16_t)c;
    o->imm = (uint32_t)helper;
    return d;
}

/* ---- verifier ---- */
typedef struct Verify {
    const IrBlock *b;
    char *err;
    int errsize;
    uint64_t *written;   /* bitset over temps: written at an earlier op (globals count as written) */
    uint8_t *label_def;  /* per label: how many LABEL ops define it */
} Verify;

static bool verify_fail(Verify *v, int i, const char *what, unsigned val)
{
    if (v->errsize > 0)
        snprintf(v->err, (size_t)v->errsize, "op %d (%s): %s (%u)", i,
                 i >= 0 && v->b->ops[i].op < IR_NUM_OPS ? ir_op_info[v->b->ops[i].op].name : "?", what, val);
    return false;
}

static bool verify_read(Verify *v, int i, uint16_t t)
{
    if (t == IR_NONE || t >= v->b->ntemps)
        return verify_fail(v, i, "input temp out of range", t);
    if (!((v->written[t / 64] >> (t % 64)) & 1))
        return verify_fail(v, i, "temp read before any write", t);
    return true;
}

static bool verify_write(Verify *v, int i, uint16_t t)
{
    if (t == IR_NONE || t >= v->b->ntemps)
        return verify_fail(v, i, "output temp out of range", t);
    v->written[t / 64] |= (uint64_t)1 << (t % 64);
    return true;
}

/* Field ranges that depend on the opcode (memory sizes, conditions, bit fields, helper ids ...). */
static bool verify_fields(Verify *v, int i, const IrOp *o)
{
    unsigned size = o->sz & IRM_SIZE_MASK, seg = o->aux & IRM_SEG_MASK;
    switch (o->op) {
    case IR_LD: case IR_ST:
        if (size != 1 && size != 2 && size != 4)
            return verify_fail(v, i, "memory size", size);
        if (seg > SEG_GS && seg != SEG_NONE)
            return verify_fail(v, i, "segment", seg);
        if (o->op == IR_ST && (o->sz & IRM_SIGNED))
            return verify_fail(v, i, "signed store", o->sz);
        return true;
    case IR_LDENV: case IR_STENV:
        if ((o->sz != 1 && o->sz != 2 && o->sz != 4) || o->imm > sizeof(CpuState) - o->sz)
            return verify_fail(v, i, "env access outside CpuState", o->imm);
        return true;
    case IR_SETCC: case IR_SETCC_I: case IR_BRCOND: case IR_BRCOND_I:
        return o->sz < IRC_NB ? true : verify_fail(v, i, "condition", o->sz);
    case IR_EXTRACT: case IR_DEPOSIT:
        if (o->sz < 1 || o->sz > 32 || o->imm > 31)   /* a field may run past bit 31: its top is cut off */
            return verify_fail(v, i, "bit field", o->imm);
        return true;
    case IR_CALL:
        if (o->imm >= HELPER_COUNT)
            return verify_fail(v, i, "helper id", o->imm);
        if ((o->d != IR_NONE) != helper_info[o->imm].ret)
            return verify_fail(v, i, "result temp does not match the helper's return type", o->d);
        return true;
    case IR_GOTO_TB:
        return o->imm <= 1 ? true : verify_fail(v, i, "GOTO_TB slot", o->imm);
    default:
        return true;
    }
}

static bool verify_op(Verify *v, int i, const IrOp *o)
{
    const IrOpInfo *info;
    uint16_t in[3] = { o->a, o->b, o->c };
    int nin;
    if (o->op >= IR_NUM_OPS)
        return verify_fail(v, i, "opcode", o->op);
    info = &ir_op_info[o->op];
    if (!verify_fields(v, i, o))
        return false;
    if (o->op == IR_LABEL || o->op == IR_BR || o->op == IR_BRCOND || o->op == IR_BRCOND_I) {
        if (o->aux >= v->b->nlabels)
            return verify_fail(v, i, "label id", o->aux);
        if (o->op == IR_LABEL && ++v->label_def[o->aux] > 1)
            return verify_fail(v, i, "label defined twice", o->aux);
    }
    nin = o->op == IR_CALL ? helper_info[o->imm].nargs : info->nin;
    for (int k = 0; k < nin; k++)
        if (!verify_read(v, i, in[k]))
            return false;
    if (info->nout >= 1 && !(o->op == IR_CALL && o->d == IR_NONE) && !verify_write(v, i, o->d))
        return false;
    if (info->nout == 2 && !verify_write(v, i, o->c))
        return false;
    return true;
}

bool ir_verify(const IrBlock *b, char *err, int errsize)
{
    Verify v = { b, err, errsize, NULL, NULL };
    bool ok = true;
    unsigned last;
    if (errsize > 0)
        err[0] = 0;
    if (b->nops <= 0 || b->nops > TB_MAX_OPS || b->ntemps < IR_NUM_GLOBALS || b->ntemps > IR_MAX_TEMPS ||
        b->ninsns < 0 || b->ninsns > TB_MAX_INSNS || b->nlabels < 0)
        return verify_fail(&v, -1, "block counters", (unsigned)b->nops);
    last = b->ops[b->nops - 1].op;
    if (last != IR_EXIT_TB && last != IR_GOTO_TB && last != IR_RAISE && last != IR_BR)
        return verify_fail(&v, b->nops - 1, "the last op is not EXIT_TB, GOTO_TB, RAISE or BR", last);
    v.written = calloc((size_t)(b->ntemps + 63) / 64, sizeof(uint64_t));
    v.label_def = calloc((size_t)b->nlabels + 1, 1);
    if (!v.written || !v.label_def) {
        free(v.written);
        free(v.label_def);
        return verify_fail(&v, -1, "out of memory", 0);
    }
    v.written[0] = ((uint64_t)1 << IR_NUM_GLOBALS) - 1;   /* globals hold their value on entry */
    for (int i = 0; i < b->nops && ok; i++)
        ok = verify_op(&v, i, &b->ops[i]);
    for (int i = 0; i < b->nops && ok; i++) {
        const IrOp *o = &b->ops[i];
        if ((o->op == IR_BR || o->op == IR_BRCOND || o->op == IR_BRCOND_I) && !v.label_def[o->aux])
            ok = verify_fail(&v, i, "branch to a label that is not in the block", o->aux);
    }
    for (int k = 0; k < b->ninsns && ok; k++)
        if (b->insn_op[k] > b->nops || (k && b->insn_op[k] < b->insn_op[k - 1]))
            ok = verify_fail(&v, -1, "instruction map out of order", (unsigned)k);
    free(v.written);
    free(v.label_def);
    return ok;
}
