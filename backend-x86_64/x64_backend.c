/* x64_backend.c — lowering of a TB's IR to x86-64 host code (the backend.h interface for x86-64 hosts).
 * Host register roles (System V ABI): RBX = env (callee-saved, so helpers keep it); RBP R12-R15 and R8-R11 hold IR
 * temps (translator/regalloc.c, per basic block); RAX RCX RDX RSI RDI are scratch for one op and for call
 * arguments. The entry trampoline saves the callee-saved registers and aligns RSP to 16, so every call from
 * generated code is ABI-aligned; out-of-line slow paths push R8-R11 (+2 words) around their calls.
 * Semantics are interp.c's, op for op:
 *   - every op computes on 32-bit host registers (32-bit ops zero the upper halves);
 *   - LD/ST: the segment check (IRM_CHECK) and the TLB compare are inline; the compare uses the last byte of the
 *     access ((lin + size - 1) & page mask == tag of lin's entry), so a page-crossing access never matches;
 *     anything else jumps to an out-of-line stub (seg_check_access, mmu_ld_lin/mmu_st_lin);
 *   - precise faults: a stub first stores env->cur_op = op index and writes back every dirty global, so a longjmp
 *     out of C finds env->t[] exactly as the interpreter would leave it; CALL and RAISE do the same inline;
 *   - GOTO_TB follows tb->jmp_dest in code under the exec loop's rules (a per-site cache of the last destination);
 *     EXIT_TB EXIT_NORMAL (a dynamic jump or return) follows a per-site hint TB after checking it is what tb_find
 *     would return; otherwise both store exit_reason / exit_slot and leave through the epilogue;
 *   - W^X: addresses inside the code are execution-view addresses; every write, including those generated code
 *     makes to its own caches, goes to address + CodeBuf.wdelta (the writable view).
 * Left out: constant operands in instructions (a temp holding a constant takes a register), memory operands for
 * spilled temps, more than one hint per indirect site. */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "x64_emit.h"
#include "regalloc.h"
#include "helpers.h"
#include "mmu.h"

enum { ENV = X64_RBX };
#define T_OFF(idx) ((int32_t)offsetof(CpuState, t) + 4 * (int32_t)(idx))
#define ENV_MEM(field) x64_mem(ENV, (int32_t)offsetof(CpuState, field))

static const int8_t x64_alloc_regs[] = { X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15, X64_R8, X64_R9, X64_R10, X64_R11 };
enum { X64_CLOBBERED_SLOTS = 0x1e0 };   /* slots 5..8: R8-R11 are caller-saved */

enum { STUB_SEG, STUB_LD, STUB_ST };
enum { STUB_MAX_JUMPS = 16, MAX_STUBS = 2 * TB_MAX_OPS };
typedef struct X64Stub {
    uint8_t kind, njumps;
    uint16_t opidx;
    const IrOp *op;
    uint8_t *jumps[STUB_MAX_JUMPS];   /* rel32 fields to point at the stub */
    uint8_t *back;                    /* where the stub returns */
    int8_t val_reg;                   /* ST: host register with the value */
    int8_t ng;
    int8_t gregs[IR_NUM_GLOBALS];     /* dirty globals to write back before calling C (-1: the constant gimms) */
    int16_t gtemps[IR_NUM_GLOBALS];
    uint32_t gimms[IR_NUM_GLOBALS];
} X64Stub;

typedef struct X64Ctx {
    CodeBuf *cb;
    const TB *tb;
    const uint8_t *epilogue;
    uint32_t epoch;
    bool may_hit_watch;     /* the block has LD/ST/CALL: dr6_pending may become nonzero while it runs */
    RegAlloc ra;
    int nstubs, nfix;
    X64Stub stubs[MAX_STUBS];
    struct { uint8_t *field; uint16_t label; } fix[TB_MAX_OPS];
    uint8_t *label_addr[65536];
} X64Ctx;

static X64Ctx x64_ctx;   /* one translation at a time (the exec loop is single-threaded) */

/* ---- regalloc hooks ---- */
static void x64_ra_load(void *ctx, int hreg, int temp) { x64_mov_rm(((X64Ctx *)ctx)->cb, hreg, x64_mem(ENV, T_OFF(temp))); }
static void x64_ra_store(void *ctx, int hreg, int temp) { x64_mov_mr(((X64Ctx *)ctx)->cb, x64_mem(ENV, T_OFF(temp)), hreg); }
static void x64_ra_load_imm(void *ctx, int hreg, uint32_t imm) { x64_mov_ri(((X64Ctx *)ctx)->cb, hreg, imm); }
static void x64_ra_store_imm(void *ctx, int temp, uint32_t imm)
{
    x64_mov_mi(((X64Ctx *)ctx)->cb, x64_mem(ENV, T_OFF(temp)), imm);
}

/* ---- small emit helpers ---- */
static void x64_call_abs(CodeBuf *cb, const void *fn)
{
    int64_t rel = (const uint8_t *)fn - (cb->p + 5);
    if (rel >= INT32_MIN && rel <= INT32_MAX) {
        x64_call_rel32(cb, fn);
    } else {
        x64_mov_ri64(cb, X64_RAX, (uint64_t)(uintptr_t)fn);
        x64_call_r(cb, X64_RAX);
    }
}

static void x64_movr(CodeBuf *cb, int d, int s)
{
    if (d != s)
        x64_mov_rr(cb, d, s);
}

static void x64_set_cur_op(X64Ctx *c, int idx) { x64_mov_mi(c->cb, ENV_MEM(cur_op), (uint32_t)idx); }

static const X64Cond x64_cond[IRC_NB] = {
    [IRC_EQ] = X64_CC_E, [IRC_NE] = X64_CC_NE, [IRC_LTU] = X64_CC_B, [IRC_GEU] = X64_CC_AE,
    [IRC_LEU] = X64_CC_BE, [IRC_GTU] = X64_CC_A, [IRC_LT] = X64_CC_L, [IRC_GE] = X64_CC_GE,
    [IRC_LE] = X64_CC_LE, [IRC_GT] = X64_CC_G, [IRC_TSTZ] = X64_CC_E, [IRC_TSTNZ] = X64_CC_NE,
};

/* Compare a with b (a register) or with imm (b < 0) for condition c; returns the host condition. */
static X64Cond x64_compare(CodeBuf *cb, unsigned cond, int a, int b, uint32_t imm)
{
    assert(cond < IRC_NB);
    bool test = cond == IRC_TSTZ || cond == IRC_TSTNZ;
    if (b >= 0)
        test ? x64_test_rr(cb, a, b) : x64_cmp_rr(cb, a, b);
    else
        test ? x64_test_ri(cb, a, imm) : x64_cmp_ri(cb, a, imm);
    return x64_cond[cond];
}

static uint32_t x64_field_mask(unsigned len) { return len >= 32 ? 0xffffffffu : (1u << len) - 1; }

/* ---- arithmetic ---- */
typedef void (*X64RR)(CodeBuf *, int, int);
typedef void (*X64RI)(CodeBuf *, int, uint32_t);
typedef void (*X64R8)(CodeBuf *, int, uint8_t);
typedef void (*X64R)(CodeBuf *, int);

/* d = a op b (two-address on x86: d may alias b only for commutative ops) */
static void x64_binop(X64Ctx *c, const IrOp *op, X64RR fn, bool commutative)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b), dr = ra_def(&c->ra, op->d);
    if (dr == br && dr != ar) {
        if (commutative) {
            fn(c->cb, dr, ar);
            return;
        }
        x64_mov_rr(c->cb, X64_RAX, ar);
        fn(c->cb, X64_RAX, br);
        x64_mov_rr(c->cb, dr, X64_RAX);
        return;
    }
    x64_movr(c->cb, dr, ar);
    fn(c->cb, dr, br);
}

static void x64_binop_i(X64Ctx *c, const IrOp *op, X64RI fn)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    x64_movr(c->cb, dr, ar);
    fn(c->cb, dr, op->imm);
}

static void x64_shift(X64Ctx *c, const IrOp *op, X64R fn_cl)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b);
    x64_mov_rr(c->cb, X64_RCX, br);   /* x86 masks a 32-bit count to 5 bits, as the IR does */
    int dr = ra_def(&c->ra, op->d);
    x64_movr(c->cb, dr, ar);
    fn_cl(c->cb, dr);
}

static void x64_shift_i(X64Ctx *c, const IrOp *op, X64R8 fn)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    x64_movr(c->cb, dr, ar);
    if (op->imm & 31)
        fn(c->cb, dr, (uint8_t)(op->imm & 31));
}

static void x64_unop(X64Ctx *c, const IrOp *op, X64R fn)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    x64_movr(c->cb, dr, ar);
    fn(c->cb, dr);
}

static void x64_ext(X64Ctx *c, const IrOp *op, X64RR fn)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    fn(c->cb, dr, ar);
}

static void x64_lower_mul2(X64Ctx *c, const IrOp *op, bool sign)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b);
    x64_mov_rr(c->cb, X64_RAX, ar);
    sign ? x64_imul_r(c->cb, br) : x64_mul_r(c->cb, br);
    int lo = ra_def(&c->ra, op->d), hi = ra_def(&c->ra, op->c);
    x64_mov_rr(c->cb, lo, X64_RAX);
    x64_mov_rr(c->cb, hi, X64_RDX);
}

static void x64_lower_extract(X64Ctx *c, const IrOp *op)
{
    uint32_t m = x64_field_mask(op->sz);
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    x64_movr(c->cb, dr, ar);
    if (op->imm & 31)
        x64_shr_ri(c->cb, dr, (uint8_t)(op->imm & 31));
    if (m != 0xffffffffu)
        x64_and_ri(c->cb, dr, m);
}

static void x64_lower_deposit(X64Ctx *c, const IrOp *op)
{
    unsigned pos = op->imm & 31;
    uint32_t m = x64_field_mask(op->sz) << pos;
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b);
    x64_mov_rr(c->cb, X64_RAX, br);
    if (pos)
        x64_shl_ri(c->cb, X64_RAX, (uint8_t)pos);
    x64_and_ri(c->cb, X64_RAX, m);
    x64_mov_rr(c->cb, X64_RCX, ar);
    x64_and_ri(c->cb, X64_RCX, ~m);
    x64_or_rr(c->cb, X64_RAX, X64_RCX);
    x64_mov_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

/* CTZ/CLZ of 0 give 32, as the interpreter defines it (BSF/BSR leave the destination undefined and set ZF). */
static void x64_lower_bitscan(X64Ctx *c, const IrOp *op, bool clz)
{
    int ar = ra_use(&c->ra, op->a);
    x64_mov_ri(c->cb, X64_RCX, clz ? 0xffffffffu : 32);
    clz ? x64_bsr_rr(c->cb, X64_RAX, ar) : x64_bsf_rr(c->cb, X64_RAX, ar);
    x64_cmovcc_rr(c->cb, X64_CC_E, X64_RAX, X64_RCX);
    if (clz) {  /* clz = 31 - index; index -1 (zero input) gives 32 */
        x64_neg_r(c->cb, X64_RAX);
        x64_add_ri(c->cb, X64_RAX, 31);
    }
    x64_mov_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

static void x64_lower_setcc(X64Ctx *c, const IrOp *op, bool imm)
{
    int ar = ra_use(&c->ra, op->a), br = imm ? -1 : ra_use(&c->ra, op->b);
    X64Cond cc = x64_compare(c->cb, op->sz, ar, br, op->imm);
    x64_setcc_r(c->cb, cc, X64_RAX);
    x64_movzx8_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

static void x64_lower_select(X64Ctx *c, const IrOp *op)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b), cr = ra_use(&c->ra, op->c);
    x64_mov_rr(c->cb, X64_RAX, br);
    x64_test_rr(c->cb, cr, cr);
    x64_cmovcc_rr(c->cb, X64_CC_NE, X64_RAX, ar);
    x64_mov_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

/* ---- calls ---- */
static void x64_lower_ccflags(X64Ctx *c, const IrOp *op)
{
    static const int8_t args[4] = { X64_RDI, X64_RSI, X64_RDX, X64_RCX };
    for (int i = 0; i < 4; i++)
        x64_mov_rr(c->cb, args[i], ra_use(&c->ra, G_CC_OP + i));
    ra_spill_clobbered(&c->ra);
    x64_call_abs(c->cb, (const void *)cc_compute_flags);
    ra_unlock(&c->ra);
    x64_mov_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

static void x64_lower_call(X64Ctx *c, const IrOp *op, int idx)
{
    static const int8_t args[3] = { X64_RSI, X64_RDX, X64_RCX };
    const uint16_t in[3] = { op->a, op->b, op->c };
    assert(op->imm < HELPER_COUNT);
    const HelperInfo *h = &helper_info[op->imm];
    for (int i = 0; i < 3 && i < h->nargs; i++) {
        if (in[i] != IR_NONE)
            x64_mov_rr(c->cb, args[i], ra_use(&c->ra, in[i]));
        else
            x64_mov_ri(c->cb, args[i], 0);   /* the interpreter passes 0 for a missing argument */
    }
    x64_set_cur_op(c, idx);
    if ((h->flags & HLP_RW_GLOBALS) || !(h->flags & HLP_NO_FAULT))
        ra_writeback_globals(&c->ra);
    ra_spill_clobbered(&c->ra);
    x64_mov_ri64(c->cb, X64_RAX, (uint64_t)(uintptr_t)&exec_stats.helper_calls);   /* -stats, as the interpreter */
    x64_add_mi64(c->cb, x64_mem(X64_RAX, 0), 1);
    x64_mov_rr64(c->cb, X64_RDI, ENV);
    x64_call_abs(c->cb, h->fn);
    ra_unlock(&c->ra);
    if (h->flags & HLP_RW_GLOBALS)
        ra_forget_globals(&c->ra);
    if (op->d != IR_NONE && h->ret)
        x64_mov_rr(c->cb, ra_def(&c->ra, op->d), X64_RAX);
}

static void x64_lower_raise(X64Ctx *c, const IrOp *op, int idx)
{
    x64_set_cur_op(c, idx);
    ra_writeback_globals(&c->ra);
    x64_mov_rr64(c->cb, X64_RDI, ENV);
    x64_mov_ri(c->cb, X64_RSI, op->aux);
    x64_mov_ri(c->cb, X64_RDX, op->imm);   /* 0xffffffff is -1: no error code */
    x64_call_abs(c->cb, (const void *)cpu_raise_exception);
    ra_discard(&c->ra);
}

/* ---- CPU state outside t[] ---- */
static bool x64_env_overlaps_temps(const IrOp *op) { return op->imm < sizeof(((CpuState *)0)->t); }

static void x64_lower_ldenv(X64Ctx *c, const IrOp *op)
{
    assert(op->imm + op->sz <= sizeof(CpuState));
    if (x64_env_overlaps_temps(op))
        ra_forget(&c->ra);
    X64Mem m = x64_mem(ENV, (int32_t)op->imm);
    int dr = ra_def(&c->ra, op->d);
    op->sz == 1 ? x64_movzx8_rm(c->cb, dr, m) : op->sz == 2 ? x64_movzx16_rm(c->cb, dr, m) : x64_mov_rm(c->cb, dr, m);
}

static void x64_lower_stenv(X64Ctx *c, const IrOp *op)
{
    assert(op->imm + op->sz <= sizeof(CpuState));
    if (x64_env_overlaps_temps(op))
        ra_forget(&c->ra);
    X64Mem m = x64_mem(ENV, (int32_t)op->imm);
    int ar = ra_use(&c->ra, op->a);
    op->sz == 1 ? x64_mov_mr8(c->cb, m, ar) : op->sz == 2 ? x64_mov_mr16(c->cb, m, ar) : x64_mov_mr(c->cb, m, ar);
    if (x64_env_overlaps_temps(op))
        ra_forget(&c->ra);
}

/* ---- guest memory ---- */
static X64Stub *x64_new_stub(X64Ctx *c, int kind, const IrOp *op, int idx)
{
    if (c->nstubs >= MAX_STUBS) {
        c->cb->full = true;   /* cannot happen (2 per op); fail the block rather than overflow */
        c->nstubs = 0;
    }
    X64Stub *s = &c->stubs[c->nstubs++];
    memset(s, 0, offsetof(X64Stub, gregs));
    s->kind = (uint8_t)kind;
    s->op = op;
    s->opidx = (uint16_t)idx;
    s->val_reg = -1;
    s->ng = (int8_t)ra_dirty_globals(&c->ra, s->gregs, s->gtemps, s->gimms);
    return s;
}

static void x64_stub_jcc(X64Ctx *c, X64Stub *s, X64Cond cc)
{
    uint8_t *f = x64_jcc_rel32(c->cb, cc, NULL);
    assert(s->njumps < STUB_MAX_JUMPS);
    if (f && s->njumps < STUB_MAX_JUMPS)
        s->jumps[s->njumps++] = f;
}

/* Inline segment check of [esi, esi+size) (interp_linear's fast test); failures call seg_check_access. */
static void x64_seg_check(X64Ctx *c, const IrOp *op, int idx, unsigned seg, unsigned size, bool write)
{
    CodeBuf *cb = c->cb;
    int32_t base = (int32_t)(offsetof(CpuState, seg) + seg * sizeof(SegCache));
    X64Stub *s = x64_new_stub(c, STUB_SEG, op, idx);
    x64_cmp_rm(cb, X64_RSI, x64_mem(ENV, base + (int32_t)offsetof(SegCache, lo)));
    x64_stub_jcc(c, s, X64_CC_B);
    x64_mov_rm(cb, X64_RAX, x64_mem(ENV, base + (int32_t)offsetof(SegCache, hi)));
    x64_sub_rr(cb, X64_RAX, X64_RSI);
    x64_stub_jcc(c, s, X64_CC_B);
    if (size > 1) {
        x64_cmp_ri(cb, X64_RAX, size - 1);
        x64_stub_jcc(c, s, X64_CC_B);
    }
    x64_mov_rm(cb, X64_RAX, x64_mem(ENV, base + (int32_t)offsetof(SegCache, flags)));
    x64_and_ri(cb, X64_RAX, DESC_CODE | DESC_W);
    x64_cmp_ri(cb, X64_RAX, write ? DESC_W : DESC_CODE);   /* write: data + W; read: not execute-only code */
    x64_stub_jcc(c, s, write ? X64_CC_NE : X64_CC_E);
    s->back = cb->p;
}

/* esi = offset on entry; leaves rsi = host address on the fast path. Returns the miss stub. */
static X64Stub *x64_tlb_lookup(X64Ctx *c, const IrOp *op, int idx, int kind, int val_reg)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK, seg = op->aux & IRM_SEG_MASK;
    bool write = kind == STUB_ST || (op->aux & IRM_RMW);
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    assert(size == 1 || size == 2 || size == 4);
    if (seg != SEG_NONE) {
        assert(seg <= SEG_GS);
        if (op->aux & IRM_CHECK)
            x64_seg_check(c, op, idx, seg, size, write);
        x64_add_rm(cb, X64_RSI, x64_mem(ENV, (int32_t)(offsetof(CpuState, seg) + seg * sizeof(SegCache) +
                                                       offsetof(SegCache, base))));
    }
    _Static_assert(sizeof(TlbEntry) == 32 && TLB_SIZE == 256, "TLB index arithmetic below");
    int32_t tlb = (int32_t)offsetof(CpuState, tlb[mmu][0]);
    x64_mov_rr(cb, X64_RAX, X64_RSI);
    x64_shr_ri(cb, X64_RAX, TARGET_PAGE_BITS - 5);           /* page * sizeof(TlbEntry) ... */
    x64_and_ri(cb, X64_RAX, (TLB_SIZE - 1) << 5);            /* ... of entry (page & 255) */
    x64_mov_rr(cb, X64_RCX, X64_RSI);
    if (size > 1)
        x64_add_ri(cb, X64_RCX, size - 1);                   /* last byte: a crossing access cannot match */
    x64_and_ri(cb, X64_RCX, TARGET_PAGE_MASK);
    x64_cmp_rm(cb, X64_RCX, x64_mem_bi(ENV, X64_RAX, tlb + (int32_t)(kind == STUB_ST ?
                offsetof(TlbEntry, tag_write) : offsetof(TlbEntry, tag_read))));
    X64Stub *s = x64_new_stub(c, kind, op, idx);
    s->val_reg = (int8_t)val_reg;
    x64_stub_jcc(c, s, X64_CC_NE);
    x64_add_rm64(cb, X64_RSI, x64_mem_bi(ENV, X64_RAX, tlb + (int32_t)offsetof(TlbEntry, addend)));
    return s;
}

static void x64_lower_ld(X64Ctx *c, const IrOp *op, int idx)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK;
    x64_mov_rr(cb, X64_RSI, ra_use(&c->ra, op->a));
    X64Stub *s = x64_tlb_lookup(c, op, idx, STUB_LD, -1);
    X64Mem m = x64_mem(X64_RSI, 0);
    size == 1 ? x64_movzx8_rm(cb, X64_RAX, m) : size == 2 ? x64_movzx16_rm(cb, X64_RAX, m) : x64_mov_rm(cb, X64_RAX, m);
    s->back = cb->p;
    if ((op->sz & IRM_SIGNED) && size < 4)
        size == 1 ? x64_movsx8_rr(cb, X64_RAX, X64_RAX) : x64_movsx16_rr(cb, X64_RAX, X64_RAX);
    x64_mov_rr(cb, ra_def(&c->ra, op->d), X64_RAX);
}

static void x64_lower_st(X64Ctx *c, const IrOp *op, int idx)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK;
    x64_mov_rr(cb, X64_RSI, ra_use(&c->ra, op->a));
    int vr = ra_use(&c->ra, op->b);
    X64Stub *s = x64_tlb_lookup(c, op, idx, STUB_ST, vr);
    X64Mem m = x64_mem(X64_RSI, 0);
    size == 1 ? x64_mov_mr8(cb, m, vr) : size == 2 ? x64_mov_mr16(cb, m, vr) : x64_mov_mr(cb, m, vr);
    s->back = cb->p;
}

/* The slow paths' C side (counted like the interpreter's). */
static uint32_t x64_ld_slow(CpuState *env, uint32_t lin, uint32_t size, uint32_t mmu)
{
    exec_stats.tlb_misses++;
    return mmu_ld_lin(env, lin, (int)size, (int)mmu);
}

static void x64_st_slow(CpuState *env, uint32_t lin, uint32_t val, uint32_t size, uint32_t mmu)
{
    exec_stats.tlb_misses++;
    mmu_st_lin(env, lin, val, (int)size, (int)mmu);
}

static const int8_t x64_stub_saved[6] = { X64_R8, X64_R9, X64_R10, X64_R11, X64_RSI, X64_RSI };

static void x64_emit_stub(X64Ctx *c, const X64Stub *s)
{
    CodeBuf *cb = c->cb;
    const IrOp *op = s->op;
    unsigned size = op->sz & IRM_SIZE_MASK;
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    for (int i = 0; i < s->njumps; i++)
        x64_cb_patch_rel32(cb, s->jumps[i], cb->p);
    x64_set_cur_op(c, s->opidx);
    for (int i = 0; i < s->ng; i++) {
        if (s->gregs[i] < 0)
            x64_mov_mi(cb, x64_mem(ENV, T_OFF(s->gtemps[i])), s->gimms[i]);
        else
            x64_mov_mr(cb, x64_mem(ENV, T_OFF(s->gtemps[i])), s->gregs[i]);
    }
    for (int i = 0; i < 6; i++)
        x64_push_r(cb, x64_stub_saved[i]);
    if (s->kind == STUB_SEG) {
        bool write = op->op == IR_ST || (op->aux & IRM_RMW);
        x64_mov_rr(cb, X64_RDX, X64_RSI);
        x64_mov_ri(cb, X64_RSI, op->aux & IRM_SEG_MASK);
        x64_mov_ri(cb, X64_RCX, size);
        x64_mov_ri(cb, X64_R8, write);
    } else if (s->kind == STUB_LD) {
        x64_mov_ri(cb, X64_RDX, size);
        x64_mov_ri(cb, X64_RCX, (uint32_t)mmu);
    } else {
        x64_mov_rr(cb, X64_RDX, s->val_reg);
        x64_mov_ri(cb, X64_RCX, size);
        x64_mov_ri(cb, X64_R8, (uint32_t)mmu);
    }
    x64_mov_rr64(cb, X64_RDI, ENV);
    x64_call_abs(cb, s->kind == STUB_SEG ? (const void *)seg_check_access :
                     s->kind == STUB_LD ? (const void *)x64_ld_slow : (const void *)x64_st_slow);
    for (int i = 5; i >= 0; i--)
        x64_pop_r(cb, x64_stub_saved[i]);
    x64_jmp_rel32(cb, s->back);
}

/* ---- control flow ---- */
static void x64_jump_label(X64Ctx *c, uint8_t *field, unsigned label)
{
    if (field && c->nfix < TB_MAX_OPS) {
        c->fix[c->nfix].field = field;
        c->fix[c->nfix++].label = (uint16_t)label;
    }
}

static void x64_lower_brcond(X64Ctx *c, const IrOp *op, bool imm)
{
    int ar = ra_use(&c->ra, op->a), br = imm ? -1 : ra_use(&c->ra, op->b);
    ra_flush(&c->ra);   /* memory must be current at the label; register copies stay valid on fall-through */
    X64Cond cc = x64_compare(c->cb, op->sz, ar, br, op->imm);
    x64_jump_label(c, x64_jcc_rel32(c->cb, cc, NULL), op->aux);
}


/* GOTO_TB's slow path: RCX = tb->jmp_dest[n]; exits through `null_exit` (or `exit`) when it is NULL, `exit` unless it is a valid TB with code of this
 * epoch (RDX = its code), then stores RCX and the jump distance into the site's cache fields. */
static void x64_chain_check_and_patch(X64Ctx *c, X64Stub *exit, X64Stub *null_exit, uint8_t *cache_tb,
                                      uint8_t *cache_jmp)
{
    CodeBuf *cb = c->cb;
    x64_test_rr64(cb, X64_RCX, X64_RCX);
    x64_stub_jcc(c, null_exit ? null_exit : exit, X64_CC_E);
    x64_cmp_mi8(cb, x64_mem(X64_RCX, (int32_t)offsetof(TB, invalid)), 0);
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_mov_rm64(cb, X64_RDX, x64_mem(X64_RCX, (int32_t)offsetof(TB, host_code)));
    x64_test_rr64(cb, X64_RDX, X64_RDX);
    x64_stub_jcc(c, exit, X64_CC_E);
    _Static_assert(sizeof(JitHeader) == 16, "header layout below");
    x64_cmp_rm64(cb, X64_RCX, x64_mem(X64_RDX, -16));                 /* header.owner == dest */
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_cmp_mi(cb, x64_mem(X64_RDX, -8), c->epoch);                   /* header.epoch == this epoch */
    x64_stub_jcc(c, exit, X64_CC_NE);
    if (cache_tb && cache_jmp && !cb->no_self_patch) {
        /* rel32 = code - end of the jmp, in the executing view; both fields are written through the writable one */
        x64_mov_ri64(cb, X64_RSI, (uint64_t)(uintptr_t)cache_jmp + 4);
        x64_mov_rr64(cb, X64_RDI, X64_RDX);
        x64_sub_rr64(cb, X64_RDI, X64_RSI);
        x64_mov_ri64(cb, X64_RSI, (uint64_t)(uintptr_t)cb_wr(cb, cache_jmp));
        x64_mov_mr(cb, x64_mem(X64_RSI, 0), X64_RDI);
        x64_mov_ri64(cb, X64_RSI, (uint64_t)(uintptr_t)cb_wr(cb, cache_tb));
        x64_mov_mr64(cb, x64_mem(X64_RSI, 0), X64_RCX);
    }
}

/* The exec loop's bookkeeping for a block completed in code (RAX = its new icount, RCX = the next TB): `counter`
 * is the ExecStats field the loop would bump for this transition (tb_chained, or tb_lookups for a dynamic jump). */
static void x64_chain_commit(X64Ctx *c, size_t counter)
{
    CodeBuf *cb = c->cb;
    x64_mov_mr64(cb, ENV_MEM(icount), X64_RAX);
    x64_mov_ri64(cb, X64_RSI, (uint64_t)(uintptr_t)&exec_stats);
    x64_add_mi64(cb, x64_mem(X64_RSI, (int32_t)offsetof(ExecStats, insns)), c->tb->ninsns);
    x64_add_mi64(cb, x64_mem(X64_RSI, (int32_t)counter), 1);
    x64_mov_rm64(cb, X64_RSI, ENV_MEM(tbs));
    x64_mov_mr64(cb, x64_mem(X64_RSI, (int32_t)offsetof(TbCacheHot, cur_tb)), X64_RCX);
}

/* The next block is not chained: ask jit_chain_lookup (slot -1 for a dynamic exit, else the GOTO_TB slot) and
 * jump into what it returns, with the loop's bookkeeping (`counter` as x64_chain_commit); NULL goes to `exit`.
 * Guest state is all in memory here (ra_flush), and the call clobbers only caller-saved registers. */
static void x64_chain_lookup_with(X64Ctx *c, X64Stub *exit, const void *fn, int arg, size_t counter)
{
    CodeBuf *cb = c->cb;
    x64_mov_rr64(cb, X64_RDI, ENV);
    x64_mov_ri64(cb, X64_RSI, (uint64_t)(uintptr_t)c->tb);
    x64_mov_ri(cb, X64_RDX, (uint32_t)arg);
    x64_call_abs(cb, fn);
    x64_test_rr64(cb, X64_RAX, X64_RAX);
    x64_stub_jcc(c, exit, X64_CC_E);
    x64_mov_rr64(cb, X64_RCX, X64_RAX);
    x64_mov_rm64(cb, X64_RDX, x64_mem(X64_RCX, (int32_t)offsetof(TB, host_code)));
    x64_mov_rm64(cb, X64_RAX, ENV_MEM(icount));
    x64_add_ri64(cb, X64_RAX, c->tb->ninsns);
    x64_chain_commit(c, counter);
    x64_jmp_r(cb, X64_RDX);
}

static void x64_chain_lookup(X64Ctx *c, X64Stub *exit, int slot, size_t counter)
{
    x64_chain_lookup_with(c, exit, (const void *)jit_chain_lookup, slot, counter);
}

/* Whether the exec loop would go on to another block without looking at anything else: budget left (RAX = icount
 * after this block), no request, no pending data breakpoint trap. Failures jump to `exit`. */
static void x64_chain_precheck(X64Ctx *c, X64Stub *exit)
{
    CodeBuf *cb = c->cb;
    x64_mov_rm64(cb, X64_RAX, ENV_MEM(icount));
    x64_add_ri64(cb, X64_RAX, c->tb->ninsns);
    x64_cmp_rm64(cb, X64_RAX, ENV_MEM(chain_icount_limit));
    x64_stub_jcc(c, exit, X64_CC_AE);
    x64_cmp_mi(cb, ENV_MEM(exit_request), 0);
    x64_stub_jcc(c, exit, X64_CC_NE);
    if (c->may_hit_watch) {   /* only memory accesses and helpers record data breakpoint hits */
        x64_cmp_mi(cb, ENV_MEM(dr6_pending), 0);
        x64_stub_jcc(c, exit, X64_CC_NE);
    }
}

/* GOTO_TB n: follow tb->jmp_dest[n] inside generated code when the exec loop would (no request, no pending data
 * breakpoint trap, instruction budget left, destination valid and compiled in this epoch), doing the loop's
 * bookkeeping (icount, -stats, the current TB); otherwise return to the loop through slot n.
 * The site caches its last destination: `jmp_dest[n] == cached TB` then jumps straight to the cached code with a
 * direct jmp. That is sound without any unpatching: the loop links only valid TBs, invalidation unlinks every jump
 * into a TB (so the compare fails), a TB's code changes only when the buffer is reset (which kills this code too),
 * and after a TB-cache flush no code of an older TB can be reached. A mismatch takes the full check, which
 * re-patches the cache (imm64 of the compare, rel32 of the jump) and then jumps through the patched site. */
static void x64_lower_goto_tb(X64Ctx *c, const IrOp *op)
{
    CodeBuf *cb = c->cb;
    unsigned n = op->imm & 1;
    X64Stub exit = { .njumps = 0 }, slow = { .njumps = 0 }, unchained = { .njumps = 0 };
    ra_flush(&c->ra);
    x64_chain_precheck(c, &exit);
    x64_mov_ri64(cb, X64_RCX, (uint64_t)(uintptr_t)&c->tb->jmp_dest[n]);
    x64_mov_rm64(cb, X64_RCX, x64_mem(X64_RCX, 0));
    x64_mov_ri64(cb, X64_RDX, 1);                 /* cached destination TB (1: none; never equals a pointer) */
    uint8_t *cache_tb = cb->p - 8;
    x64_cmp_rr64(cb, X64_RCX, X64_RDX);
    x64_stub_jcc(c, &slow, X64_CC_NE);
    /* the exec loop's bookkeeping for a completed block, then the jump */
    uint8_t *commit = cb->p;
    x64_chain_commit(c, offsetof(ExecStats, tb_chained));
    uint8_t *cache_jmp = x64_jmp_rel32(cb, NULL);  /* cached destination code */
    /* slow: the full validity check, then re-patch the cache */
    for (int i = 0; i < slow.njumps; i++)
        x64_cb_patch_rel32(cb, slow.jumps[i], cb->p);
    if (cache_jmp)
        x64_cb_patch_rel32(cb, cache_jmp, cb->p);         /* never taken before the first patch; keeps the bytes sane */
    /* an unchained slot of an interrupted-REP block must reach the loop (exec_maybe_link's rule) */
    bool lookup = !c->tb->rep_last;
    x64_chain_check_and_patch(c, &exit, lookup ? &unchained : NULL, cache_tb, cache_jmp);
    if (cb->no_self_patch) {    /* the cache is never filled: every follow takes the full check */
        x64_chain_commit(c, offsetof(ExecStats, tb_chained));
        x64_jmp_r(cb, X64_RDX);
    } else {
        x64_jmp_rel32(cb, commit);
    }
    if (lookup) {
        /* not chained: the slot's cross-page cache if its TLB generation is current, else jit_chain_lookup */
        X64Stub call = { .njumps = 0 };
        for (int i = 0; i < unchained.njumps; i++)
            x64_cb_patch_rel32(cb, unchained.jumps[i], cb->p);
        x64_mov_ri64(cb, X64_RDI, (uint64_t)(uintptr_t)c->tb);
        x64_mov_rm(cb, X64_RSI, x64_mem(X64_RDI, (int32_t)(offsetof(TB, xgen) + 4 * n)));
        x64_cmp_rm(cb, X64_RSI, ENV_MEM(tlb_gen));
        x64_stub_jcc(c, &call, X64_CC_NE);
        x64_mov_rm64(cb, X64_RCX, x64_mem(X64_RDI, (int32_t)(offsetof(TB, xjmp) + 8 * n)));
        x64_chain_check_and_patch(c, &call, NULL, NULL, NULL);
        x64_chain_commit(c, offsetof(ExecStats, tb_lookups));
        x64_jmp_r(cb, X64_RDX);
        for (int i = 0; i < call.njumps; i++)
            x64_cb_patch_rel32(cb, call.jumps[i], cb->p);
        x64_chain_lookup(c, &exit, (int)n, offsetof(ExecStats, tb_lookups));
    }
    for (int i = 0; i < exit.njumps; i++)
        x64_cb_patch_rel32(cb, exit.jumps[i], cb->p);
    x64_mov_mi(cb, ENV_MEM(exit_reason), EXIT_NORMAL);
    x64_mov_mi(cb, ENV_MEM(exit_slot), n);
    x64_jmp_rel32(cb, c->epilogue);
    ra_discard(&c->ra);
}

/* The indirect fast path's test that the hint TB (RCX, found under TLB generation ESI) is what tb_find would
 * return for the current CS:EIP and hflags: tb_jmp_cache_get's conditions (tb.c) — the generation still current
 * (no mapping changed since it was validated), the same EIP, CS base and hflags key, its last byte within the CS
 * limit. Validity and code are GOTO_TB's check (x64_chain_check_and_patch). */
static void x64_indirect_key_check(X64Ctx *c, X64Stub *exit)
{
    CodeBuf *cb = c->cb;
    int32_t cs = (int32_t)(offsetof(CpuState, seg) + SEG_CS * sizeof(SegCache));
    x64_cmp_rm(cb, X64_RSI, ENV_MEM(tlb_gen));
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_mov_rm(cb, X64_RDX, x64_mem(ENV, T_OFF(G_EIP)));
    x64_cmp_rm(cb, X64_RDX, x64_mem(X64_RCX, (int32_t)offsetof(TB, pc)));
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_mov_rm(cb, X64_RSI, x64_mem(ENV, cs + (int32_t)offsetof(SegCache, base)));
    x64_cmp_rm(cb, X64_RSI, x64_mem(X64_RCX, (int32_t)offsetof(TB, cs_base)));
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_mov_rm(cb, X64_RSI, ENV_MEM(hflags));
    x64_and_ri(cb, X64_RSI, HF_TB_KEY_MASK);
    x64_cmp_rm(cb, X64_RSI, x64_mem(X64_RCX, (int32_t)offsetof(TB, hflags)));
    x64_stub_jcc(c, exit, X64_CC_NE);
    x64_mov_rm(cb, X64_RSI, x64_mem(X64_RCX, (int32_t)offsetof(TB, pc)));   /* its last byte within the CS limit */
    x64_add_rm(cb, X64_RSI, x64_mem(X64_RCX, (int32_t)offsetof(TB, size)));
    x64_sub_ri(cb, X64_RSI, 1);
    x64_cmp_rm(cb, X64_RSI, x64_mem(ENV, cs + (int32_t)offsetof(SegCache, hi)));
    x64_stub_jcc(c, exit, X64_CC_A);
}

/* EXIT_TB: store the reason and leave. EXIT_NORMAL (a dynamic jump: the target is in G_EIP, the loop would only
 * look it up) first tries the block's hint (TB.ind_hint, in TB memory, never in the code buffer): if the loop would
 * go on (x64_chain_precheck) and the hint is valid for the current CS:EIP/hflags (x64_indirect_key_check) with
 * code of this epoch (GOTO_TB's check), it does the loop's bookkeeping and jumps into the hint's code. On a miss
 * it asks jit_chain_lookup (which also refreshes the hint). Not for blocks that end in an interrupted REP
 * instruction (the loop must see those, exec_run_block). */
static void x64_lower_exit_tb(X64Ctx *c, const IrOp *op)
{
    CodeBuf *cb = c->cb;
    ra_flush(&c->ra);
    if (op->imm == EXIT_NORMAL && !c->tb->rep_last) {
        X64Stub exit = { .njumps = 0 }, miss = { .njumps = 0 };
        x64_chain_precheck(c, &exit);
        x64_mov_ri64(cb, X64_RDI, (uint64_t)(uintptr_t)c->tb);
        x64_mov_rm64(cb, X64_RCX, x64_mem(X64_RDI, (int32_t)offsetof(TB, ind_hint)));
        x64_mov_rm(cb, X64_RSI, x64_mem(X64_RDI, (int32_t)offsetof(TB, ind_gen)));
        x64_indirect_key_check(c, &miss);
        x64_chain_check_and_patch(c, &miss, NULL, NULL, NULL);
        x64_chain_commit(c, offsetof(ExecStats, tb_lookups));
        x64_jmp_r(cb, X64_RDX);
        for (int i = 0; i < miss.njumps; i++)
            x64_cb_patch_rel32(cb, miss.jumps[i], cb->p);
        x64_chain_lookup(c, &exit, -1, offsetof(ExecStats, tb_lookups));
        for (int i = 0; i < exit.njumps; i++)
            x64_cb_patch_rel32(cb, exit.jumps[i], cb->p);
    } else if ((op->imm == EXIT_MODE || op->imm == EXIT_IRQ_CHECK) && !c->tb->rep_last) {
        /* the loop's events step, in C, when nothing is pending (jit_event_lookup); else the loop itself */
        X64Stub exit = { .njumps = 0 };
        x64_chain_precheck(c, &exit);
        x64_chain_lookup_with(c, &exit, (const void *)jit_event_lookup, (int)op->imm,
                              offsetof(ExecStats, tb_lookups));
        for (int i = 0; i < exit.njumps; i++)
            x64_cb_patch_rel32(cb, exit.jumps[i], cb->p);
    }
    x64_mov_mi(cb, ENV_MEM(exit_reason), op->imm);
    x64_jmp_rel32(cb, c->epilogue);
    ra_discard(&c->ra);
}

static void x64_lower_op(X64Ctx *c, const IrOp *op, int i)
{
    CodeBuf *cb = c->cb;
    switch (op->op) {
    case IR_MOV:     x64_ext(c, op, x64_mov_rr); break;
    case IR_MOVI:    ra_def_const(&c->ra, op->d, op->imm); break;
    case IR_ADD:     x64_binop(c, op, x64_add_rr, true); break;
    case IR_ADD_I:   x64_binop_i(c, op, x64_add_ri); break;
    case IR_SUB:     x64_binop(c, op, x64_sub_rr, false); break;
    case IR_SUB_I:   x64_binop_i(c, op, x64_sub_ri); break;
    case IR_AND:     x64_binop(c, op, x64_and_rr, true); break;
    case IR_AND_I:   x64_binop_i(c, op, x64_and_ri); break;
    case IR_OR:      x64_binop(c, op, x64_or_rr, true); break;
    case IR_OR_I:    x64_binop_i(c, op, x64_or_ri); break;
    case IR_XOR:     x64_binop(c, op, x64_xor_rr, true); break;
    case IR_XOR_I:   x64_binop_i(c, op, x64_xor_ri); break;
    case IR_SHL:     x64_shift(c, op, x64_shl_rcl); break;
    case IR_SHL_I:   x64_shift_i(c, op, x64_shl_ri); break;
    case IR_SHR:     x64_shift(c, op, x64_shr_rcl); break;
    case IR_SHR_I:   x64_shift_i(c, op, x64_shr_ri); break;
    case IR_SAR:     x64_shift(c, op, x64_sar_rcl); break;
    case IR_SAR_I:   x64_shift_i(c, op, x64_sar_ri); break;
    case IR_ROL:     x64_shift(c, op, x64_rol_rcl); break;
    case IR_ROL_I:   x64_shift_i(c, op, x64_rol_ri); break;
    case IR_ROR:     x64_shift(c, op, x64_ror_rcl); break;
    case IR_ROR_I:   x64_shift_i(c, op, x64_ror_ri); break;
    case IR_MUL:     x64_binop(c, op, x64_imul_rr, true); break;
    case IR_MULU2:   x64_lower_mul2(c, op, false); break;
    case IR_MULS2:   x64_lower_mul2(c, op, true); break;
    case IR_NEG:     x64_unop(c, op, x64_neg_r); break;
    case IR_NOT:     x64_unop(c, op, x64_not_r); break;
    case IR_EXT8S:   x64_ext(c, op, x64_movsx8_rr); break;
    case IR_EXT8U:   x64_ext(c, op, x64_movzx8_rr); break;
    case IR_EXT16S:  x64_ext(c, op, x64_movsx16_rr); break;
    case IR_EXT16U:  x64_ext(c, op, x64_movzx16_rr); break;
    case IR_EXTRACT: x64_lower_extract(c, op); break;
    case IR_DEPOSIT: x64_lower_deposit(c, op); break;
    case IR_BSWAP:   x64_unop(c, op, x64_bswap_r); break;
    case IR_CTZ:     x64_lower_bitscan(c, op, false); break;
    case IR_CLZ:     x64_lower_bitscan(c, op, true); break;
    case IR_SETCC:   x64_lower_setcc(c, op, false); break;
    case IR_SETCC_I: x64_lower_setcc(c, op, true); break;
    case IR_SELECT:  x64_lower_select(c, op); break;
    case IR_CCFLAGS: x64_lower_ccflags(c, op); break;
    case IR_LD:      x64_lower_ld(c, op, i); break;
    case IR_ST:      x64_lower_st(c, op, i); break;
    case IR_LDENV:   x64_lower_ldenv(c, op); break;
    case IR_STENV:   x64_lower_stenv(c, op); break;
    case IR_CALL:    x64_lower_call(c, op, i); break;
    case IR_RAISE:   x64_lower_raise(c, op, i); break;
    case IR_LABEL:   ra_forget(&c->ra); c->label_addr[op->aux] = cb->p; break;
    case IR_BR:      ra_flush(&c->ra); x64_jump_label(c, x64_jmp_rel32(cb, NULL), op->aux); ra_discard(&c->ra); break;
    case IR_BRCOND:  x64_lower_brcond(c, op, false); break;
    case IR_BRCOND_I:x64_lower_brcond(c, op, true); break;
    case IR_GOTO_TB: x64_lower_goto_tb(c, op); break;
    case IR_EXIT_TB: x64_lower_exit_tb(c, op); break;
    default:         assert(!"IR op without a lowering"); cb->full = true; break;
    }
}

/* ---- the backend.h interface ---- */
static void x64_emit_prologue(CodeBuf *cb, JitEnterFn *enter, const uint8_t **epilogue)
{
    static const int8_t saved[6] = { X64_RBX, X64_RBP, X64_R12, X64_R13, X64_R14, X64_R15 };
    *enter = (JitEnterFn)(void *)cb->p;
    for (int i = 0; i < 6; i++)
        x64_push_r(cb, saved[i]);
    x64_sub_ri64(cb, X64_RSP, 8);           /* 8 (return address) + 48 + 8: RSP is 16-byte aligned */
    x64_mov_rr64(cb, ENV, X64_RDI);
    x64_jmp_r(cb, X64_RSI);
    *epilogue = cb->p;
    x64_add_ri64(cb, X64_RSP, 8);
    for (int i = 5; i >= 0; i--)
        x64_pop_r(cb, saved[i]);
    x64_ret(cb);
}

static void *x64_compile_tb(CodeBuf *cb, const TB *tb, const uint8_t *epilogue, uint32_t epoch)
{
    X64Ctx *c = &x64_ctx;
    static bool ready;
    if (!ready) {
        ra_init(&c->ra, x64_alloc_regs, (int)sizeof(x64_alloc_regs), X64_CLOBBERED_SLOTS,
                (RegAllocHooks){ x64_ra_load, x64_ra_store, x64_ra_load_imm, x64_ra_store_imm }, c);
        ready = true;
    }
    c->cb = cb;
    c->tb = tb;
    c->epilogue = epilogue;
    c->epoch = epoch;
    c->nstubs = c->nfix = 0;
    uint8_t *entry = cb->p;
    assert(tb->nops > 0);
    uint8_t last = tb->ops[tb->nops - 1].op;   /* a terminator: execution never runs past the block's code */
    assert(last == IR_EXIT_TB || last == IR_GOTO_TB || last == IR_RAISE || last == IR_BR);
    (void)last;
    c->may_hit_watch = false;
    for (int i = 0; i < tb->nops; i++) {
        uint8_t o = tb->ops[i].op;
        if (o == IR_LABEL)
            c->label_addr[tb->ops[i].aux] = NULL;
        c->may_hit_watch |= o == IR_LD || o == IR_ST || o == IR_CALL;
    }
    ra_begin_tb(&c->ra, tb->ops, tb->nops);
    for (int i = 0; i < tb->nops && !cb->full; i++) {
        ra_set_op(&c->ra, i);
        x64_lower_op(c, &tb->ops[i], i);
    }
    for (int i = 0; i < c->nstubs && !cb->full; i++)
        x64_emit_stub(c, &c->stubs[i]);
    if (cb->full)
        return NULL;
    for (int i = 0; i < c->nfix; i++) {
        const uint8_t *target = c->label_addr[c->fix[i].label];
        assert(target && "branch to a label that is not in the block");
        x64_cb_patch_rel32(cb, c->fix[i].field, target);
    }
    return entry;
}

static void x64_flush_icache(void *start, size_t len)
{
    (void)start;
    (void)len;  /* x86 keeps instruction fetch coherent with stores (SDM vol 3 8.1.3) */
}

const Backend backend_x86_64 = {
    .name = "x86_64",
    .emit_prologue = x64_emit_prologue,
    .compile_tb = x64_compile_tb,
    .patch_jump = x64_patch_rel32,
    .flush_icache = x64_flush_icache,
};
