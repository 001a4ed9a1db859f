/* ir_opt.c — the IR optimiser: linear passes over one block, in this order:
 *   1. constant and copy propagation and folding (forward): MOVI/MOV chains, reads of `t = mov x` read x while
 *      x is unchanged (per-temp versions), ops whose inputs are all known become MOVI, register forms with a known
 *      operand become their _I form, identities (x+0, x|0, x&~0, x*1, shifts by 0 ...) become MOV, BRCOND on
 *      known values becomes BR or disappears. Knowledge is dropped at every LABEL that is a branch target (paths
 *      join there) and for all globals after a HLP_RW_GLOBALS helper call.
 *   1b. unreachable code: ops after BR/EXIT_TB/GOTO_TB/RAISE up to a label that a reachable branch targets
 *      (a fixpoint over labels: each extra round adds a reachable label).
 *   2. liveness and dead-code elimination (backward): globals are live at EXIT_TB/GOTO_TB/RAISE, at every op that
 *      may fault (IRF_FAULT, CALL without HLP_NO_FAULT: a fault exposes the guest state) and at HLP_RW_GLOBALS
 *      calls (they read every global); at a LABEL the live set is remembered for forward branches, and a backward
 *      branch assumes every global and every local the block reads anywhere. An op without IRF_SIDE whose outputs
 *      are all dead is removed; LD is never removed (a dead guest load must still fault), CALL only when its
 *      helper is HLP_PURE and its result dead. This is what drops lazy-flag writes (G_CC_*) that the next
 *      instruction overwrites before anything reads them, while keeping them before a fault point or an exit.
 *   2b. copy coalescing: `t = add eax, ecx; eax = mov t` (same guest instruction, only dead ops between) becomes
 *      `eax = add eax, ecx`, and t's later reads (straight-line code, eax unchanged meanwhile) read eax.
 *   3. compaction: removed ops are squeezed out, b->insn_op is remapped (an instruction whose ops all vanished
 *      points at the next surviving op), and every BR/BRCOND/BRCOND_I gets the index of its LABEL op in its
 *      otherwise unused c field (a hint the interpreter and the register allocator check before using).
 * Invariants: the result computes the same guest-visible state at every exit and every fault point (checked by
 * tests/test_ir.c on random blocks against the interpreter); passes are O(nops), plus O(ntemps/64) per label for
 * the live bitsets, a few rounds for 1b and a forward scan to a temp's last read for 2b.
 * Left out: common-subexpression elimination, folding CCFLAGS, moving code. */
#include <stdlib.h>
#include <string.h>
#include "ir.h"

/* ---- shared facts about ops ---- */
static bool op_is_call_of(const IrOp *o, int flag)
{
    return o->op == IR_CALL && o->imm < HELPER_COUNT && (helper_info[o->imm].flags & flag);
}

static bool op_may_fault(const IrOp *o)
{
    if (o->op == IR_CALL)
        return o->imm >= HELPER_COUNT || !(helper_info[o->imm].flags & HLP_NO_FAULT);
    return (ir_op_info[o->op].flags & IRF_FAULT) != 0;
}

/* Input temps of an op, in order; returns how many (CALL: its helper's arguments). */
static int op_inputs(const IrOp *o, uint16_t in[3])
{
    int n = o->op == IR_CALL ? (o->imm < HELPER_COUNT ? helper_info[o->imm].nargs : 3) : ir_op_info[o->op].nin;
    const uint16_t all[3] = { o->a, o->b, o->c };
    int k = 0;
    for (int i = 0; i < n && i < 3; i++)
        if (all[i] != IR_NONE)
            in[k++] = all[i];
    return k;
}

static bool is_branch(unsigned op)
{
    return op == IR_BR || op == IR_BRCOND || op == IR_BRCOND_I;
}

/* ---- pass 1: constant propagation and folding ---- */
typedef struct ConstState {
    uint32_t *val;
    uint32_t *gen;      /* known iff gen[t] == cur */
    uint32_t cur;
    int ntemps;
    /* copies: local t holds the value src[t] had at version srcver[t] (valid iff cgen[t] == cur and src[t] has
     * not been written since: ver[src[t]] == srcver[t]) */
    uint16_t *src;
    uint32_t *srcver, *cgen, *ver;
} ConstState;

static bool cs_known(const ConstState *cs, uint16_t t, uint32_t *v)
{
    if (t == IR_NONE || t >= cs->ntemps || cs->gen[t] != cs->cur)
        return false;
    *v = cs->val[t];
    return true;
}

static void cs_set(ConstState *cs, uint16_t t, bool known, uint32_t v)
{
    if (t == IR_NONE || t >= cs->ntemps)
        return;
    cs->gen[t] = known ? cs->cur : 0;
    cs->val[t] = v;
}

static void cs_forget_globals(ConstState *cs)
{
    for (int g = 0; g < IR_NUM_GLOBALS; g++)
        cs->gen[g] = 0;
}

static bool cond_eval(unsigned c, uint32_t a, uint32_t b)
{
    switch (c) {
    case IRC_EQ: return a == b;
    case IRC_NE: return a != b;
    case IRC_LTU: return a < b;
    case IRC_GEU: return a >= b;
    case IRC_LEU: return a <= b;
    case IRC_GTU: return a > b;
    case IRC_LT: return (int32_t)a < (int32_t)b;
    case IRC_GE: return (int32_t)a >= (int32_t)b;
    case IRC_LE: return (int32_t)a <= (int32_t)b;
    case IRC_GT: return (int32_t)a > (int32_t)b;
    case IRC_TSTZ: return (a & b) == 0;
    default: return (a & b) != 0;
    }
}

/* The condition with its operands swapped: (a c b) == (b swap(c) a). */
static unsigned cond_swap(unsigned c)
{
    switch (c) {
    case IRC_LTU: return IRC_GTU;
    case IRC_GTU: return IRC_LTU;
    case IRC_GEU: return IRC_LEU;
    case IRC_LEU: return IRC_GEU;
    case IRC_LT: return IRC_GT;
    case IRC_GT: return IRC_LT;
    case IRC_GE: return IRC_LE;
    case IRC_LE: return IRC_GE;
    default: return c;   /* EQ NE TSTZ TSTNZ are symmetric */
    }
}

static uint32_t rot_left(uint32_t a, unsigned n)
{
    n &= 31;
    return n ? (a << n) | (a >> (32 - n)) : a;
}

/* Value of a single-output pure op from known inputs (b is imm for _I forms). false if not foldable. */
static bool fold_value(const IrOp *o, uint32_t a, uint32_t b, uint32_t c, uint32_t *out)
{
    uint32_t m = o->sz >= 32 ? 0xffffffffu : (1u << o->sz) - 1;
    switch (o->op) {
    case IR_MOV: *out = a; return true;
    case IR_ADD: case IR_ADD_I: *out = a + b; return true;
    case IR_SUB: case IR_SUB_I: *out = a - b; return true;
    case IR_AND: case IR_AND_I: *out = a & b; return true;
    case IR_OR: case IR_OR_I: *out = a | b; return true;
    case IR_XOR: case IR_XOR_I: *out = a ^ b; return true;
    case IR_SHL: case IR_SHL_I: *out = a << (b & 31); return true;
    case IR_SHR: case IR_SHR_I: *out = a >> (b & 31); return true;
    case IR_SAR: case IR_SAR_I: *out = (uint32_t)((int32_t)a >> (b & 31)); return true;
    case IR_ROL: case IR_ROL_I: *out = rot_left(a, b & 31); return true;
    case IR_ROR: case IR_ROR_I: *out = rot_left(a, (32 - (b & 31)) & 31); return true;
    case IR_MUL: *out = a * b; return true;
    case IR_NEG: *out = 0u - a; return true;
    case IR_NOT: *out = ~a; return true;
    case IR_EXT8S: *out = (uint32_t)(int8_t)a; return true;
    case IR_EXT8U: *out = (uint8_t)a; return true;
    case IR_EXT16S: *out = (uint32_t)(int16_t)a; return true;
    case IR_EXT16U: *out = (uint16_t)a; return true;
    case IR_EXTRACT: *out = (a >> (o->imm & 31)) & m; return true;
    case IR_DEPOSIT: m <<= (o->imm & 31); *out = (a & ~m) | ((b << (o->imm & 31)) & m); return true;
    case IR_BSWAP: *out = __builtin_bswap32(a); return true;
    case IR_CTZ: if (!a) return false; *out = (uint32_t)__builtin_ctz(a); return true;
    case IR_CLZ: if (!a) return false; *out = (uint32_t)__builtin_clz(a); return true;
    case IR_SETCC: case IR_SETCC_I: *out = cond_eval(o->sz, a, b); return true;
    case IR_SELECT: *out = c ? a : b; return true;
    default: return false;
    }
}

static void make_movi(IrOp *o, uint32_t v)
{
    uint16_t d = o->d;
    memset(o, 0, sizeof(*o));
    o->op = IR_MOVI;
    o->d = d;
    o->a = o->b = o->c = IR_NONE;
    o->imm = v;
}

static void make_mov(IrOp *o, uint16_t src)
{
    uint16_t d = o->d;
    memset(o, 0, sizeof(*o));
    o->op = IR_MOV;
    o->d = d;
    o->a = src;
    o->b = o->c = IR_NONE;
}

/* Register form -> immediate form (IR_NUM_OPS if none). */
static unsigned imm_form(unsigned op)
{
    switch (op) {
    case IR_ADD: return IR_ADD_I;
    case IR_SUB: return IR_SUB_I;
    case IR_AND: return IR_AND_I;
    case IR_OR: return IR_OR_I;
    case IR_XOR: return IR_XOR_I;
    case IR_SHL: return IR_SHL_I;
    case IR_SHR: return IR_SHR_I;
    case IR_SAR: return IR_SAR_I;
    case IR_ROL: return IR_ROL_I;
    case IR_ROR: return IR_ROR_I;
    case IR_SETCC: return IR_SETCC_I;
    case IR_BRCOND: return IR_BRCOND_I;
    default: return IR_NUM_OPS;
    }
}

static bool commutes(unsigned op)
{
    return op == IR_ADD || op == IR_AND || op == IR_OR || op == IR_XOR || op == IR_SETCC || op == IR_BRCOND;
}

/* With b (or, for commutative ops, a) known: switch to the _I form. */
static void to_imm_form(IrOp *o, const ConstState *cs)
{
    uint32_t v;
    unsigned f = imm_form(o->op);
    if (f == IR_NUM_OPS)
        return;
    if (cs_known(cs, o->b, &v)) {
        o->op = (uint8_t)f;
    } else if (commutes(o->op) && cs_known(cs, o->a, &v)) {
        if (o->op == IR_SETCC || o->op == IR_BRCOND)
            o->sz = (uint8_t)cond_swap(o->sz);
        o->op = (uint8_t)f;
        o->a = o->b;
    } else {
        return;
    }
    o->b = IR_NONE;
    o->imm = v;
}

static bool is_shift_i(unsigned op)
{
    return op == IR_SHL_I || op == IR_SHR_I || op == IR_SAR_I || op == IR_ROL_I || op == IR_ROR_I;
}

/* x+0, x-0, x|0, x^0, x<<0 ..., x&~0 -> mov; x&0 -> 0; x|~0 -> ~0; x*1 -> mov; x*0 -> 0. */
static void simplify_identity(IrOp *o, const ConstState *cs)
{
    switch (o->op) {
    case IR_ADD_I: case IR_SUB_I: case IR_OR_I: case IR_XOR_I: case IR_SHL_I: case IR_SHR_I: case IR_SAR_I:
    case IR_ROL_I: case IR_ROR_I:
        if (o->imm == 0 || (is_shift_i(o->op) && (o->imm & 31) == 0))
            make_mov(o, o->a);
        else if (o->op == IR_OR_I && o->imm == 0xffffffffu)
            make_movi(o, 0xffffffffu);
        break;
    case IR_AND_I:
        if (o->imm == 0xffffffffu)
            make_mov(o, o->a);
        else if (o->imm == 0)
            make_movi(o, 0);
        break;
    case IR_MUL: {
        uint32_t va = 1, vb = 1;
        bool ka = cs_known(cs, o->a, &va), kb = cs_known(cs, o->b, &vb);
        if (kb && vb == 1)
            make_mov(o, o->a);
        else if (ka && va == 1)
            make_mov(o, o->b);
        else if ((kb && vb == 0) || (ka && va == 0))
            make_movi(o, 0);
        break;
    }
    default:
        break;
    }
}

/* Fold one op given what is known; then record what it leaves known. */
static void const_op(IrOp *o, ConstState *cs)
{
    uint32_t a = 0, b = 0, c = 0, v;
    const IrOpInfo *info = &ir_op_info[o->op];
    bool ka = info->nin < 1 || cs_known(cs, o->a, &a);
    bool kb = info->nin < 2 || cs_known(cs, o->b, &b);
    bool kc = info->nin < 3 || cs_known(cs, o->c, &c);
    if (o->op == IR_MOVI) {
        cs_set(cs, o->d, true, o->imm);
        return;
    }
    if (is_shift_i(o->op) || o->op == IR_ADD_I || o->op == IR_SUB_I || o->op == IR_AND_I || o->op == IR_OR_I ||
        o->op == IR_XOR_I || o->op == IR_SETCC_I)
        b = o->imm;   /* the _I forms: imm is the second operand */
    if (info->nout == 1 && o->op != IR_CALL && o->op != IR_LD && o->op != IR_LDENV && o->op != IR_CCFLAGS &&
        ka && kb && kc && fold_value(o, a, b, c, &v)) {
        make_movi(o, v);
        cs_set(cs, o->d, true, v);
        return;
    }
    to_imm_form(o, cs);
    simplify_identity(o, cs);
    if (o->op == IR_SELECT && cs_known(cs, o->c, &c))
        make_mov(o, c ? o->a : o->b);
    if (o->op == IR_MOV && cs_known(cs, o->a, &v)) {
        make_movi(o, v);
        cs_set(cs, o->d, true, v);
        return;
    }
    /* outputs become unknown */
    if (info->nout >= 1)
        cs_set(cs, o->d, false, 0);
    if (o->op == IR_MULU2 || o->op == IR_MULS2)
        cs_set(cs, o->c, false, 0);
    if (op_is_call_of(o, HLP_RW_GLOBALS) || (o->op == IR_CALL && o->imm >= HELPER_COUNT))
        cs_forget_globals(cs);
    if (o->op == IR_STENV && o->imm < sizeof(((CpuState *)0)->t))
        cs->cur++;   /* writes t[] behind the IR's back: forget everything */
}

/* BRCOND(_I) with known operands: always taken -> BR, never taken -> removed (marked dead). */
static void const_branch(IrOp *o, ConstState *cs, bool *dead)
{
    uint32_t a, b;
    if (o->op == IR_BRCOND)
        to_imm_form(o, cs);
    if (o->op != IR_BRCOND_I || !cs_known(cs, o->a, &a))
        return;
    b = o->imm;
    if (cond_eval(o->sz, a, b)) {
        uint16_t label = o->aux;
        memset(o, 0, sizeof(*o));
        o->op = IR_BR;
        o->aux = label;
        o->a = o->b = o->c = o->d = IR_NONE;
    } else {
        *dead = true;
    }
}

/* Replace inputs that are copies of another temp by that temp (so the copy can die). */
static void copy_subst(IrOp *o, const ConstState *cs)
{
    uint16_t *f[3] = { &o->a, &o->b, &o->c };
    int n = o->op == IR_CALL ? (o->imm < HELPER_COUNT ? helper_info[o->imm].nargs : 3) : ir_op_info[o->op].nin;
    for (int i = 0; i < n && i < 3; i++) {
        uint16_t t = *f[i];
        if (t < cs->ntemps && cs->cgen[t] == cs->cur && cs->ver[cs->src[t]] == cs->srcver[t])
            *f[i] = cs->src[t];
    }
}

static void note_write(ConstState *cs, uint16_t t)
{
    if (t < cs->ntemps) {
        cs->ver[t]++;
        cs->cgen[t] = 0;
    }
}

/* After an op: bump the versions of what it wrote; a MOV into a local records a copy. */
static void copy_note(const IrOp *o, ConstState *cs)
{
    const IrOpInfo *info = &ir_op_info[o->op];
    if (info->nout >= 1)
        note_write(cs, o->d);
    if (o->op == IR_MULU2 || o->op == IR_MULS2)
        note_write(cs, o->c);
    if (op_is_call_of(o, HLP_RW_GLOBALS) || (o->op == IR_CALL && o->imm >= HELPER_COUNT))
        for (uint16_t g = 0; g < IR_NUM_GLOBALS; g++)
            note_write(cs, g);
    if (o->op == IR_MOV && o->d >= IR_NUM_GLOBALS && o->d < cs->ntemps && o->a < cs->ntemps && o->a != o->d) {
        cs->src[o->d] = o->a;
        cs->srcver[o->d] = cs->ver[o->a];
        cs->cgen[o->d] = cs->cur;
    }
}

static bool cs_alloc(ConstState *cs, int ntemps)
{
    size_t n = (size_t)ntemps;
    cs->ntemps = ntemps;
    cs->cur = 1;
    cs->val = calloc(n, sizeof(uint32_t));
    cs->gen = calloc(n, sizeof(uint32_t));
    cs->src = calloc(n, sizeof(uint16_t));
    cs->srcver = calloc(n, sizeof(uint32_t));
    cs->cgen = calloc(n, sizeof(uint32_t));
    cs->ver = calloc(n, sizeof(uint32_t));
    return cs->val && cs->gen && cs->src && cs->srcver && cs->cgen && cs->ver;
}

static void cs_free(ConstState *cs)
{
    free(cs->val);
    free(cs->gen);
    free(cs->src);
    free(cs->srcver);
    free(cs->cgen);
    free(cs->ver);
}

static void pass_const(IrBlock *b, bool *dead, const bool *label_used)
{
    ConstState cs;
    if (!cs_alloc(&cs, b->ntemps)) {
        cs_free(&cs);
        return;   /* out of host memory: skip the pass (the block stays correct) */
    }
    for (int i = 0; i < b->nops; i++) {
        IrOp *o = &b->ops[i];
        if (o->op == IR_LABEL) {
            if (o->aux < b->nlabels && !label_used[o->aux])
                continue;
            cs.cur++;   /* paths join: forget everything */
            continue;
        }
        copy_subst(o, &cs);
        if (o->op == IR_BRCOND || o->op == IR_BRCOND_I) {
            const_branch(o, &cs, &dead[i]);
        } else if (!(ir_op_info[o->op].flags & IRF_BB)) {
            const_op(o, &cs);
            copy_note(o, &cs);
        }
    }
    cs_free(&cs);
}

/* ---- pass 1b: unreachable code ----
 * Ops after BR, EXIT_TB, GOTO_TB or RAISE are unreachable until a LABEL that a reachable branch targets. Repeated
 * until nothing changes (a backward branch can make an earlier label reachable; each round adds a label).
 * It runs before liveness: an unreachable reader would otherwise keep reading a temp whose definition was
 * removed as dead. */
static bool unreachable_round(const IrBlock *b, const bool *dead, bool *label_reached, bool *mark)
{
    bool reach = true, changed = false;
    for (int i = 0; i < b->nops; i++) {
        const IrOp *o = &b->ops[i];
        if (o->op == IR_LABEL && (o->aux >= b->nlabels || label_reached[o->aux]))
            reach = true;
        mark[i] = !reach;
        if (!reach || dead[i])
            continue;
        if (is_branch(o->op) && o->aux < b->nlabels && !label_reached[o->aux])
            label_reached[o->aux] = changed = true;
        if (o->op == IR_BR || o->op == IR_EXIT_TB || o->op == IR_GOTO_TB || o->op == IR_RAISE)
            reach = false;
    }
    return changed;
}

static void pass_unreachable(IrBlock *b, bool *dead)
{
    bool *label_reached = calloc((size_t)b->nlabels + 1, sizeof(bool));
    bool *mark = calloc((size_t)b->nops, sizeof(bool));
    if (label_reached && mark) {
        while (unreachable_round(b, dead, label_reached, mark))
            ;
        for (int i = 0; i < b->nops; i++)
            dead[i] = dead[i] || mark[i];
    }
    free(label_reached);
    free(mark);
}

/* ---- pass 2: liveness and dead-code elimination ---- */
typedef uint64_t Word;
enum { WBITS = 64 };

typedef struct Live {
    int nwords;
    Word *cur;        /* live now (backward scan) */
    Word *readany;    /* every temp read anywhere in the block, plus the globals: backward-branch assumption */
    Word *labels;     /* nlabels x nwords: live at each label (valid once the scan passed it) */
    bool *label_seen;
} Live;

static inline bool live_get(const Word *s, unsigned t) { return (s[t / WBITS] >> (t % WBITS)) & 1; }
static inline void live_add(Word *s, unsigned t) { s[t / WBITS] |= (Word)1 << (t % WBITS); }
static inline void live_del(Word *s, unsigned t) { s[t / WBITS] &= ~((Word)1 << (t % WBITS)); }

static void live_add_globals(Word *s)
{
    s[0] |= ((Word)1 << IR_NUM_GLOBALS) - 1;   /* IR_NUM_GLOBALS < 64 */
}

static void live_only_globals(Live *lv)
{
    memset(lv->cur, 0, (size_t)lv->nwords * sizeof(Word));
    live_add_globals(lv->cur);
}

/* What is live at the target of a branch at the current position. */
static const Word *live_target(const Live *lv, const IrBlock *b, unsigned label)
{
    if (label < (unsigned)b->nlabels && lv->label_seen[label])
        return lv->labels + (size_t)label * lv->nwords;   /* forward branch: exact */
    return lv->readany;                                     /* backward (or unknown) branch: conservative */
}

static void live_union(Word *dst, const Word *src, int nwords)
{
    for (int w = 0; w < nwords; w++)
        dst[w] |= src[w];
}

/* Is o removable given the current live set (before o is processed)? */
static bool op_is_dead(const IrOp *o, const Word *live, int ntemps)
{
    const IrOpInfo *info = &ir_op_info[o->op];
    if (o->op == IR_CALL) {
        if (!op_is_call_of(o, HLP_PURE) || op_may_fault(o))
            return false;
        return o->d == IR_NONE || (o->d < ntemps && !live_get(live, o->d));
    }
    if ((info->flags & (IRF_SIDE | IRF_BB)) || o->op == IR_LD || info->nout == 0 || o->d >= ntemps)
        return false;
    if (live_get(live, o->d))
        return false;
    return !((o->op == IR_MULU2 || o->op == IR_MULS2) && (o->c >= ntemps || live_get(live, o->c)));
}

/* Update the live set across one kept op (backward): kill outputs, then add inputs and implicit reads. */
static void live_step(Live *lv, const IrBlock *b, const IrOp *o)
{
    uint16_t in[3];
    int n;
    switch (o->op) {
    case IR_EXIT_TB: case IR_GOTO_TB: case IR_RAISE:
        live_only_globals(lv);
        return;
    case IR_LABEL:
        if (o->aux < b->nlabels) {
            memcpy(lv->labels + (size_t)o->aux * lv->nwords, lv->cur, (size_t)lv->nwords * sizeof(Word));
            lv->label_seen[o->aux] = true;
        }
        return;
    case IR_BR:
        memcpy(lv->cur, live_target(lv, b, o->aux), (size_t)lv->nwords * sizeof(Word));
        return;
    case IR_BRCOND: case IR_BRCOND_I:
        live_union(lv->cur, live_target(lv, b, o->aux), lv->nwords);
        break;
    default:
        if (ir_op_info[o->op].nout >= 1 && o->d != IR_NONE && o->d < b->ntemps)
            live_del(lv->cur, o->d);
        if ((o->op == IR_MULU2 || o->op == IR_MULS2) && o->c < b->ntemps)
            live_del(lv->cur, o->c);
        break;
    }
    n = op_inputs(o, in);
    for (int i = 0; i < n; i++)
        if (in[i] < b->ntemps)
            live_add(lv->cur, in[i]);
    if (op_may_fault(o) || op_is_call_of(o, HLP_RW_GLOBALS) || (o->op == IR_CALL && o->imm >= HELPER_COUNT))
        live_add_globals(lv->cur);
    if (o->op == IR_CCFLAGS) {
        live_add(lv->cur, G_CC_OP), live_add(lv->cur, G_CC_DST);
        live_add(lv->cur, G_CC_SRC), live_add(lv->cur, G_CC_SRC2);
    }
    if (o->op == IR_LDENV && o->imm < sizeof(((CpuState *)0)->t))
        live_add_globals(lv->cur);   /* reads t[] behind the IR's back: be conservative */
}

static bool live_alloc(Live *lv, const IrBlock *b)
{
    lv->nwords = (b->ntemps + WBITS - 1) / WBITS;
    lv->cur = calloc((size_t)lv->nwords, sizeof(Word));
    lv->readany = calloc((size_t)lv->nwords, sizeof(Word));
    lv->labels = calloc((size_t)(b->nlabels ? b->nlabels : 1) * lv->nwords, sizeof(Word));
    lv->label_seen = calloc((size_t)(b->nlabels ? b->nlabels : 1), sizeof(bool));
    return lv->cur && lv->readany && lv->labels && lv->label_seen;
}

static void live_free(Live *lv)
{
    free(lv->cur);
    free(lv->readany);
    free(lv->labels);
    free(lv->label_seen);
}

static void pass_dce(IrBlock *b, bool *dead)
{
    Live lv;
    uint16_t in[3];
    if (!live_alloc(&lv, b)) {
        live_free(&lv);
        return;
    }
    live_add_globals(lv.readany);
    for (int i = 0; i < b->nops; i++) {
        int n = op_inputs(&b->ops[i], in);
        for (int k = 0; k < n; k++)
            if (in[k] < b->ntemps)
                live_add(lv.readany, in[k]);
    }
    live_only_globals(&lv);
    for (int i = b->nops - 1; i >= 0; i--) {
        const IrOp *o = &b->ops[i];
        if (dead[i])
            continue;
        if (op_is_dead(o, lv.cur, b->ntemps)) {
            dead[i] = true;
            continue;
        }
        live_step(&lv, b, o);
    }
    live_free(&lv);
}

/* ---- pass 2b: copy coalescing: `t = op ...; g = mov t` with t read nowhere else becomes `g = op ...` ---- */
/* Does a guest instruction start at an op index in (i, j]? */
static bool insn_starts_between(const IrBlock *b, int i, int j)
{
    for (int k = 0; k < b->ninsns && k < TB_MAX_INSNS; k++)
        if (b->insn_op[k] > i && b->insn_op[k] <= j)
            return true;
    return false;
}

/* Pointers to an op's input fields (CALL: its helper's arguments). */
static int op_input_fields(IrOp *o, uint16_t *f[3])
{
    int n = o->op == IR_CALL ? (o->imm < HELPER_COUNT ? helper_info[o->imm].nargs : 3) : ir_op_info[o->op].nin;
    f[0] = &o->a, f[1] = &o->b, f[2] = &o->c;
    return n < 3 ? n : 3;
}

/* Does op o (maybe) write temp g? */
static bool op_writes(const IrOp *o, uint16_t g)
{
    if (ir_op_info[o->op].nout >= 1 && o->d == g)
        return true;
    if ((o->op == IR_MULU2 || o->op == IR_MULS2) && o->c == g)
        return true;
    if (o->op == IR_CALL && g < IR_NUM_GLOBALS && (op_is_call_of(o, HLP_RW_GLOBALS) || o->imm >= HELPER_COUNT))
        return true;
    return o->op == IR_STENV && o->imm < sizeof(((CpuState *)0)->t);
}

/* After `t = op; g = mov t` at j: can the `uses` remaining reads of t (all after j, in straight-line code, with g
 * unchanged until the last of them) read g instead? If so, rename them. */
static bool coalesce_rename_rest(IrBlock *b, const bool *dead, int j, uint16_t t, uint16_t g, int uses)
{
    uint16_t *f[3];
    int k, left = uses;
    for (k = j + 1; k < b->nops && left > 0; k++) {
        IrOp *o = &b->ops[k];
        if (dead[k])
            continue;
        int n = op_input_fields(o, f);
        for (int q = 0; q < n; q++)
            left -= *f[q] == t;
        if (left <= 0)
            break;
        if (op_writes(o, g) || op_writes(o, t) || (ir_op_info[o->op].flags & IRF_BB))
            return false;
    }
    if (left != 0)
        return false;
    for (int r = j + 1; r <= k; r++) {
        int n = dead[r] ? 0 : op_input_fields(&b->ops[r], f);
        for (int q = 0; q < n; q++)
            if (*f[q] == t)
                *f[q] = g;
    }
    return true;
}

static void pass_coalesce(IrBlock *b, bool *dead)
{
    uint16_t in[3];
    uint8_t *uses = calloc((size_t)b->ntemps, 1);
    if (!uses)
        return;
    for (int i = 0; i < b->nops; i++) {
        int n = dead[i] ? 0 : op_inputs(&b->ops[i], in);
        for (int k = 0; k < n; k++)
            if (in[k] < b->ntemps && uses[in[k]] < 255)
                uses[in[k]]++;
    }
    for (int i = 0, j; i < b->nops; i = j) {
        IrOp *o = &b->ops[i], *m;
        for (j = i + 1; j < b->nops && dead[j]; j++)
            ;
        if (j >= b->nops)
            break;
        m = &b->ops[j];
        if (dead[i] || m->op != IR_MOV || m->a != o->d || m->d == o->d || o->d < IR_NUM_GLOBALS ||
            o->d >= b->ntemps || m->d >= b->ntemps || uses[o->d] == 0 || uses[o->d] == 255 ||
            ir_op_info[o->op].nout != 1 || o->op == IR_CALL || insn_starts_between(b, i, j))
            continue;
        /* the op reads its inputs before writing d, so `g = op g, x` is as good as `t = op g, x; g = t`;
         * only dead ops lie between the two. Later reads of t become reads of g while g is unchanged. */
        if (uses[o->d] > 1 && !coalesce_rename_rest(b, dead, j, o->d, m->d, uses[o->d] - 1))
            continue;
        o->d = m->d;
        dead[j] = true;
    }
    free(uses);
}

/* ---- pass 3: compaction, instruction map, branch targets ---- */
static void pass_compact(IrBlock *b, const bool *dead)
{
    int n = 0, insn = 0;
    uint16_t *label_at = malloc((size_t)(b->nlabels ? b->nlabels : 1) * sizeof(uint16_t));
    for (int i = 0; i < b->nops; i++) {
        while (insn < b->ninsns && insn < TB_MAX_INSNS && b->insn_op[insn] <= i)
            b->insn_op[insn++] = (uint16_t)n;
        if (!dead[i])
            b->ops[n++] = b->ops[i];
    }
    while (insn < b->ninsns && insn < TB_MAX_INSNS)
        b->insn_op[insn++] = (uint16_t)n;
    b->nops = n;
    if (!label_at)
        return;
    for (int l = 0; l < b->nlabels; l++)
        label_at[l] = IR_NONE;
    for (int i = 0; i < n; i++)
        if (b->ops[i].op == IR_LABEL && b->ops[i].aux < b->nlabels)
            label_at[b->ops[i].aux] = (uint16_t)i;
    for (int i = 0; i < n; i++)
        if (is_branch(b->ops[i].op))
            b->ops[i].c = b->ops[i].aux < b->nlabels ? label_at[b->ops[i].aux] : IR_NONE;
    free(label_at);
}

void ir_optimize(IrBlock *b)
{
    bool *dead = calloc((size_t)(b->nops ? b->nops : 1), sizeof(bool));
    bool *label_used = calloc((size_t)(b->nlabels ? b->nlabels : 1), sizeof(bool));
    if (!dead || !label_used || b->overflow) {
        free(dead);
        free(label_used);
        return;
    }
    for (int i = 0; i < b->nops; i++)
        if (is_branch(b->ops[i].op) && b->ops[i].aux < b->nlabels)
            label_used[b->ops[i].aux] = true;
    pass_const(b, dead, label_used);
    pass_unreachable(b, dead);
    pass_dce(b, dead);
    pass_coalesce(b, dead);
    pass_compact(b, dead);
    free(dead);
    free(label_used);
}
