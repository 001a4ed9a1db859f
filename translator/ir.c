/* ir.c — the IR builder (functions declared in ir.h) and the op description table ir_op_info[] from ir_ops.def.
 * Invariants: the builder never writes past TB_MAX_OPS ops or IR_MAX_TEMPS temps. When a block runs out it sets
 * b->overflow and hands out scratch slots that are never part of the block (the last op slot, the last temp), so
 * callers can keep emitting without checks; the translator tests b->overflow after each guest instruction and
 * ends the block before it.
 * Left out: optimisation (ir_opt.c), listing (ir_print.c), execution (interp.c). */
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
