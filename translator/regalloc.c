/* regalloc.c — per-basic-block register cache for the JIT backends (see regalloc.h for the model).
 * Eviction order: a free slot, then a dead local, then the least recently used clean copy, then the least recently
 * used dirty one (written back first). Globals are never "dead": their home is architectural state.
 * Left out: anything global (no live ranges across labels); the backend decides where blocks start and end. */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "regalloc.h"

static void ra_release(RegAlloc *ra, int s, bool store);
static bool ra_dead(const RegAlloc *ra, int temp);

/* ---- constants (MOVI results kept as immediates) ---- */
static void ra_const_drop(RegAlloc *ra, int i, bool store)
{
    int t = ra->consts[i].temp;
    if (store && ra->consts[i].dirty && !ra_dead(ra, t))
        ra->hooks.store_imm(ra->ctx, t, ra->consts[i].val);
    ra->temp_const[t] = -1;
    ra->consts[i] = ra->consts[--ra->nconsts];
    if (i < ra->nconsts)
        ra->temp_const[ra->consts[i].temp] = (int8_t)i;
}

static void ra_const_flush(RegAlloc *ra, bool globals_only)
{
    for (int i = 0; i < ra->nconsts; i++) {
        int t = ra->consts[i].temp;
        if (ra->consts[i].dirty && (!globals_only || t < IR_NUM_GLOBALS)) {
            if (!ra_dead(ra, t))
                ra->hooks.store_imm(ra->ctx, t, ra->consts[i].val);
            ra->consts[i].dirty = false;
        }
    }
}

void ra_init(RegAlloc *ra, const int8_t *host, int nregs, uint32_t clobbered_slots, RegAllocHooks hooks, void *ctx)
{
    assert(nregs > 0 && nregs <= RA_MAX_REGS);
    memset(ra, 0, offsetof(RegAlloc, temp_slot));
    ra->nregs = nregs;
    memcpy(ra->host, host, (size_t)nregs);
    ra->clobbered = clobbered_slots;
    ra->hooks = hooks;
    ra->ctx = ctx;
    memset(ra->temp_slot, -1, sizeof(ra->temp_slot));
    memset(ra->temp_const, -1, sizeof(ra->temp_const));
    for (int i = 0; i < RA_MAX_REGS; i++)
        ra->slot_temp[i] = -1;
}

int ra_op_refs(const IrOp *op, uint16_t *refs)
{
    const IrOpInfo *in = &ir_op_info[op->op];
    const uint16_t ins[3] = { op->a, op->b, op->c };
    int n = 0;
    for (int i = 0; i < in->nin && i < 3; i++)
        if (ins[i] != IR_NONE)
            refs[n++] = ins[i];
    if (in->nout >= 1 && op->d != IR_NONE)
        refs[n++] = op->d;
    if (in->nout == 2 && op->c != IR_NONE)
        refs[n++] = op->c;
    return n;
}

static int ra_label_index(const IrOp *ops, int nops, const IrOp *br)
{
    if (br->c < nops && ops[br->c].op == IR_LABEL && ops[br->c].aux == br->aux)
        return br->c;
    for (int i = 0; i < nops; i++)
        if (ops[i].op == IR_LABEL && ops[i].aux == br->aux)
            return i;
    return nops;
}

void ra_discard(RegAlloc *ra)
{
    for (int s = 0; s < ra->nregs; s++)
        ra_release(ra, s, false);
    while (ra->nconsts)
        ra_const_drop(ra, ra->nconsts - 1, false);
}

void ra_begin_tb(RegAlloc *ra, const IrOp *ops, int nops)
{
    ra_discard(ra);
    ra->locked = 0;
    ra->locals_die = true;
    for (int i = 0; i < nops; i++) {
        uint16_t refs[5];
        int n = ra_op_refs(&ops[i], refs);
        for (int k = 0; k < n; k++) {
            assert(refs[k] < IR_MAX_TEMPS);
            ra->last_ref[refs[k]] = (uint16_t)i;
        }
        uint8_t o = ops[i].op;
        if ((o == IR_BR || o == IR_BRCOND || o == IR_BRCOND_I) && ra_label_index(ops, nops, &ops[i]) < i)
            ra->locals_die = false;
    }
}

static bool ra_dead(const RegAlloc *ra, int temp)
{
    return ra->locals_die && temp >= IR_NUM_GLOBALS && ra->last_ref[temp] < ra->now;
}

static void ra_release(RegAlloc *ra, int s, bool store)
{
    int t = ra->slot_temp[s];
    if (t < 0)
        return;
    if (store && ra->dirty[s] && !ra_dead(ra, t))
        ra->hooks.store(ra->ctx, ra->host[s], t);
    ra->temp_slot[t] = -1;
    ra->slot_temp[s] = -1;
    ra->dirty[s] = false;
}

static int ra_pick(RegAlloc *ra)
{
    int best = -1;
    uint32_t best_key = 0;
    for (int s = 0; s < ra->nregs; s++) {
        if (ra->locked & (1u << s))
            continue;
        int t = ra->slot_temp[s];
        /* key: lower is better; free < dead < clean (by age) < dirty (by age) */
        uint32_t key = t < 0 ? 0 : ra_dead(ra, t) ? 1 : (ra->dirty[s] ? 0x80000000u : 0x40000000u) +
                                                        (ra->stamp[s] & 0x3fffffffu);
        if (best < 0 || key < best_key) {
            best = s;
            best_key = key;
        }
    }
    assert(best >= 0 && "every host register is locked by one op");
    ra_release(ra, best, true);
    return best;
}

static int ra_take(RegAlloc *ra, int s)
{
    ra->locked |= 1u << s;
    ra->stamp[s] = ++ra->clock;
    return ra->host[s];
}

int ra_find(const RegAlloc *ra, int temp)
{
    int s = ra->temp_slot[temp];
    return s < 0 ? -1 : ra->host[s];
}

int ra_use(RegAlloc *ra, int temp)
{
    assert(temp >= 0 && temp < IR_MAX_TEMPS);
    int s = ra->temp_slot[temp];
    if (s < 0) {
        int k = ra->temp_const[temp];
        bool dirty = false;
        s = ra_pick(ra);
        if (k >= 0) {   /* materialise the constant; the register copy inherits its dirtiness */
            ra->hooks.load_imm(ra->ctx, ra->host[s], ra->consts[k].val);
            dirty = ra->consts[k].dirty;
            ra_const_drop(ra, k, false);
        } else {
            ra->hooks.load(ra->ctx, ra->host[s], temp);
        }
        ra->slot_temp[s] = (int16_t)temp;
        ra->temp_slot[temp] = (int8_t)s;
        ra->dirty[s] = dirty;
    }
    return ra_take(ra, s);
}

int ra_def(RegAlloc *ra, int temp)
{
    assert(temp >= 0 && temp < IR_MAX_TEMPS);
    if (ra->temp_const[temp] >= 0)
        ra_const_drop(ra, ra->temp_const[temp], false);   /* overwritten */
    int s = ra->temp_slot[temp];
    if (s < 0) {
        s = ra_pick(ra);
        ra->slot_temp[s] = (int16_t)temp;
        ra->temp_slot[temp] = (int8_t)s;
    }
    ra->dirty[s] = true;
    return ra_take(ra, s);
}

void ra_def_const(RegAlloc *ra, int temp, uint32_t imm)
{
    assert(temp >= 0 && temp < IR_MAX_TEMPS);
    int s = ra->temp_slot[temp];
    if (s >= 0 && !(ra->locked & (1u << s)))
        ra_release(ra, s, false);               /* its old value is overwritten */
    else if (s >= 0) {                          /* locked by this op: keep it in the register */
        ra->hooks.load_imm(ra->ctx, ra->host[s], imm);
        ra->dirty[s] = true;
        return;
    }
    int k = ra->temp_const[temp];
    if (k < 0) {
        if (ra->nconsts == RA_MAX_CONSTS)
            ra_const_drop(ra, 0, true);
        k = ra->nconsts++;
        ra->consts[k].temp = (int16_t)temp;
        ra->temp_const[temp] = (int8_t)k;
    }
    ra->consts[k].val = imm;
    ra->consts[k].dirty = true;
}

void ra_unlock(RegAlloc *ra) { ra->locked = 0; }

void ra_flush(RegAlloc *ra)
{
    ra_const_flush(ra, false);
    for (int s = 0; s < ra->nregs; s++) {
        int t = ra->slot_temp[s];
        if (t >= 0 && ra->dirty[s]) {
            if (!ra_dead(ra, t))
                ra->hooks.store(ra->ctx, ra->host[s], t);
            ra->dirty[s] = false;
        }
    }
}

void ra_forget(RegAlloc *ra)
{
    for (int s = 0; s < ra->nregs; s++)
        ra_release(ra, s, true);
    while (ra->nconsts)
        ra_const_drop(ra, ra->nconsts - 1, true);
}

void ra_writeback_globals(RegAlloc *ra)
{
    ra_const_flush(ra, true);
    for (int s = 0; s < ra->nregs; s++) {
        int t = ra->slot_temp[s];
        if (t >= 0 && t < IR_NUM_GLOBALS && ra->dirty[s]) {
            ra->hooks.store(ra->ctx, ra->host[s], t);
            ra->dirty[s] = false;
        }
    }
}

void ra_forget_globals(RegAlloc *ra)
{
    for (int s = 0; s < ra->nregs; s++)
        if (ra->slot_temp[s] >= 0 && ra->slot_temp[s] < IR_NUM_GLOBALS)
            ra_release(ra, s, true);
    for (int i = ra->nconsts - 1; i >= 0; i--)
        if (ra->consts[i].temp < IR_NUM_GLOBALS)
            ra_const_drop(ra, i, true);
}

void ra_spill_clobbered(RegAlloc *ra)
{
    for (int s = 0; s < ra->nregs; s++)
        if (ra->clobbered & (1u << s))
            ra_release(ra, s, true);
}

int ra_dirty_globals(const RegAlloc *ra, int8_t *hregs, int16_t *temps, uint32_t *imms)
{
    int n = 0;
    for (int i = 0; i < ra->nconsts; i++) {
        if (ra->consts[i].temp < IR_NUM_GLOBALS && ra->consts[i].dirty) {
            hregs[n] = -1;
            imms[n] = ra->consts[i].val;
            temps[n++] = ra->consts[i].temp;
        }
    }
    for (int s = 0; s < ra->nregs; s++) {
        int t = ra->slot_temp[s];
        if (t >= 0 && t < IR_NUM_GLOBALS && ra->dirty[s]) {
            hregs[n] = ra->host[s];
            temps[n++] = (int16_t)t;
        }
    }
    return n;
}
