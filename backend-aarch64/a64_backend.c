/* a64_backend.c — lowering of a TB's IR to AArch64 host code (the backend.h interface for 64-bit Arm hosts), in the
 * shape of backend-x86_64/x64_backend.c: same functions, same contract, interp.c's semantics op for op.
 * Host register roles (AAPCS64): X19 = env, X27 = env + 0x8000 (a second base, so that the exec/TLB/segment fields
 * beyond the 12-bit scaled offsets of X19 are one load away); X20-X26, X28 (callee-saved) and X9-X15 (caller-saved)
 * hold IR temps (translator/regalloc.c, per basic block); X0-X8 are scratch inside one op and carry call arguments;
 * X16 is an op's scratch for immediates and call targets, X17 belongs to the regalloc hooks and env addressing:
 * neither ever holds a value across an ra_* call (the hooks may use both; they never touch X0-X8). X18 (platform register) and X29/X30 are not touched. The entry trampoline saves
 * X19-X30 and leaves SP 16-byte aligned; out-of-line slow paths save X9-X15 and X1 (64 bytes) around their calls.
 *   - every op computes on W registers (32-bit operations zero the upper half, Arm ARM C1.2.5), so a temp is also
 *     a zero-extended 64-bit value; 64-bit operations are for host pointers, the instruction count and MULU2/MULS2
 *     (one UMULL/SMULL gives both halves);
 *   - conditions map onto NZCV directly: CMP/CMN/TST set the flags once, then B.cond, CSET (SETCC) and CSEL
 *     (SELECT) read them; CLZ/RBIT give CLZ/CTZ with interp.c's value 32 for a zero input without a branch. The
 *     guest's lazy flags stay lazy (cc_op/cc_dst/cc_src, CCFLAGS calls cc_compute_flags, parity and AF included);
 *   - LD/ST: the segment check (IRM_CHECK) and the TLB compare inline; the compare uses the last byte of the access
 *     ((lin + size - 1) & page mask == tag of lin's entry) so a page-crossing access never matches; the host access
 *     is one LDR/STR [addend, Wlin, UXTW]; anything else branches to an out-of-line stub (seg_check_access,
 *     mmu_ld_lin/mmu_st_lin) after the block;
 *   - precise faults: a stub first stores env->cur_op and writes back every dirty global (as x64_backend.c);
 *   - GOTO_TB follows tb->jmp_dest in code under the exec loop's rules through a per-site cache of the last
 *     destination: two 8-byte literals after the site's code, read with LDR (literal) and patched as data through
 *     the writable view — never an instruction rewrite from generated code, so no icache maintenance is needed at
 *     run time, and emulators that do not see writes through an alias (qemu-user) stay correct. Unchained slots
 *     try the TB's cross-page cache (xjmp/xgen), then jit_chain_lookup; EXIT_TB EXIT_NORMAL follows the TB's hint
 *     (ind_hint/ind_gen), EXIT_MODE/EXIT_IRQ_CHECK ask jit_event_lookup. The destination is entered with BR;
 *   - W^X: addresses inside the code are execution-view addresses; every write goes to address + CodeBuf.wdelta.
 * Left out: immediates folded into memory operands of spills, NZCV kept live across guest instructions (the IR has
 * no flag ops: a CCFLAGS consumer still calls C), more than one hint per indirect site. */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "a64_emit.h"
#include "regalloc.h"
#include "helpers.h"
#include "mmu.h"

enum { ENV = A64_X19, ENVHI = A64_X27, ENVHI_OFF = 0x8000, TMP = A64_X16, HTMP = A64_X17 };
#define T_OFF(idx) ((uint32_t)offsetof(CpuState, t) + 4 * (uint32_t)(idx))
#define ENV_OFF(field) ((uint32_t)offsetof(CpuState, field))

static const int8_t a64_alloc_regs[] = { A64_X20, A64_X21, A64_X22, A64_X23, A64_X24, A64_X25, A64_X26, A64_X28,
                                         A64_X9, A64_X10, A64_X11, A64_X12, A64_X13, A64_X14, A64_X15 };
enum { A64_CLOBBERED_SLOTS = 0x7f00 };  /* slots 8..14: X9-X15 are caller-saved */
_Static_assert(sizeof(a64_alloc_regs) <= RA_MAX_REGS, "regalloc slots");

enum { STUB_SEG, STUB_LD, STUB_ST };
enum { STUB_MAX_JUMPS = 16, MAX_STUBS = 2 * TB_MAX_OPS };
typedef struct A64Stub {
    uint8_t kind, njumps;
    uint16_t opidx;
    const IrOp *op;
    uint8_t *jumps[STUB_MAX_JUMPS];   /* branches to point at the stub */
    uint8_t *back;                    /* where the stub returns */
    int8_t val_reg;                   /* ST: host register with the value */
    int8_t off_reg;                   /* the access's offset (SEG) or linear address (LD/ST), X1 for the C call */
    int8_t ng;
    int8_t gregs[IR_NUM_GLOBALS];     /* dirty globals to write back before calling C (-1: the constant gimms) */
    int16_t gtemps[IR_NUM_GLOBALS];
    uint32_t gimms[IR_NUM_GLOBALS];
} A64Stub;

typedef struct A64Ctx {
    CodeBuf *cb;
    const TB *tb;
    const uint8_t *epilogue;
    uint32_t epoch;
    bool may_hit_watch;     /* the block has LD/ST/CALL: dr6_pending may become nonzero while it runs */
    RegAlloc ra;
    int nstubs, nfix;
    A64Stub stubs[MAX_STUBS];
    struct { uint8_t *insn; uint16_t label; } fix[TB_MAX_OPS];
    int npend;                                          /* 64-bit constants waiting for the next literal pool */
    struct { uint8_t *insn; uint64_t val; } pend[8];
    uint8_t *label_addr[65536];
} A64Ctx;

static A64Ctx a64_ctx;   /* one translation at a time (the exec loop is single-threaded) */

/* ---- constants and env fields ---- */
static void a64_movi32(CodeBuf *cb, int d, uint32_t imm)
{
    uint32_t enc;
    if ((imm >> 16) == 0)
        a64_movz(cb, d, (uint16_t)imm, 0);
    else if ((imm & 0xffff) == 0)
        a64_movz(cb, d, (uint16_t)(imm >> 16), 16);
    else if ((~imm >> 16) == 0)
        a64_movn(cb, d, (uint16_t)~imm, 0);
    else if ((~imm & 0xffff) == 0)
        a64_movn(cb, d, (uint16_t)(~imm >> 16), 16);
    else if (a64_logic_imm(imm, false, &enc))
        a64_orr_rri(cb, d, A64_ZR, imm);    /* MOV (bitmask immediate) */
    else {
        a64_movz(cb, d, (uint16_t)imm, 0);
        a64_movk(cb, d, (uint16_t)(imm >> 16), 16);
    }
}

static void a64_movi64(CodeBuf *cb, int d, uint64_t imm)
{
    if (imm >> 32 == 0) {
        a64_movi32(cb, d, (uint32_t)imm);   /* W writes zero the upper half */
        return;
    }
    bool first = true;
    for (unsigned sh = 0; sh < 64; sh += 16) {
        uint16_t part = (uint16_t)(imm >> sh);
        if (!part)
            continue;
        first ? a64_movz64(cb, d, part, sh) : a64_movk64(cb, d, part, sh);
        first = false;
    }
}

static void a64_call_abs(CodeBuf *cb, const void *fn)
{
    a64_movi64(cb, TMP, (uint64_t)(uintptr_t)fn);
    a64_blr(cb, TMP);
}

/* env field access of 1 << lg bytes at `off`: [X19, #off] or [X27, #off - 0x8000] when the scaled 12-bit offset
 * holds it, else [X19, X17] with the offset in X17 (Arm ARM C6.2 LDR/STR (immediate), unsigned offset form). */
typedef void (*A64LdStI)(CodeBuf *, int, int, uint32_t);
typedef void (*A64LdStX)(CodeBuf *, int, int, int);
static const A64LdStI a64_ld_imm[4] = { a64_ldrb_rmi, a64_ldrh_rmi, a64_ldr_rmi, a64_ldr_rmi64 };
static const A64LdStI a64_st_imm[4] = { a64_strb_rmi, a64_strh_rmi, a64_str_rmi, a64_str_rmi64 };
static const A64LdStX a64_ld_reg[4] = { a64_ldrb_rmx, a64_ldrh_rmx, a64_ldr_rmx, a64_ldr_rmx64 };
static const A64LdStX a64_st_reg[4] = { a64_strb_rmx, a64_strh_rmx, a64_str_rmx, a64_str_rmx64 };

static bool a64_uimm_fits(uint32_t off, unsigned lg) { return off % (1u << lg) == 0 && (off >> lg) < 4096; }

static void a64_env_access(CodeBuf *cb, bool store, unsigned lg, int rt, uint32_t off)
{
    assert(lg < 4 && rt != HTMP);
    if (a64_uimm_fits(off, lg))
        (store ? a64_st_imm : a64_ld_imm)[lg](cb, rt, ENV, off);
    else if (off >= ENVHI_OFF && a64_uimm_fits(off - ENVHI_OFF, lg))
        (store ? a64_st_imm : a64_ld_imm)[lg](cb, rt, ENVHI, off - ENVHI_OFF);
    else {
        a64_movi32(cb, HTMP, off);
        (store ? a64_st_reg : a64_ld_reg)[lg](cb, rt, ENV, HTMP);
    }
}
static void a64_env_ld32(CodeBuf *cb, int rt, uint32_t off) { a64_env_access(cb, false, 2, rt, off); }
static void a64_env_st32(CodeBuf *cb, int rt, uint32_t off) { a64_env_access(cb, true, 2, rt, off); }
static void a64_env_ld64(CodeBuf *cb, int rt, uint32_t off) { a64_env_access(cb, false, 3, rt, off); }
static void a64_env_st64(CodeBuf *cb, int rt, uint32_t off) { a64_env_access(cb, true, 3, rt, off); }

static void a64_env_st32_imm(CodeBuf *cb, uint32_t off, uint32_t imm)
{
    if (imm == 0) {
        a64_env_st32(cb, A64_ZR, off);
        return;
    }
    a64_movi32(cb, TMP, imm);
    a64_env_st32(cb, TMP, off);
}

/* ---- regalloc hooks (t[] is at the start of CpuState: [X19, #off] up to temp 4095) ---- */
static void a64_ra_load(void *ctx, int hreg, int temp) { a64_env_ld32(((A64Ctx *)ctx)->cb, hreg, T_OFF(temp)); }
static void a64_ra_store(void *ctx, int hreg, int temp) { a64_env_st32(((A64Ctx *)ctx)->cb, hreg, T_OFF(temp)); }
static void a64_ra_load_imm(void *ctx, int hreg, uint32_t imm) { a64_movi32(((A64Ctx *)ctx)->cb, hreg, imm); }
static void a64_ra_store_imm(void *ctx, int temp, uint32_t imm)
{
    CodeBuf *cb = ((A64Ctx *)ctx)->cb;
    if (imm == 0) {
        a64_env_st32(cb, A64_ZR, T_OFF(temp));
        return;
    }
    if (a64_uimm_fits(T_OFF(temp), 2)) {
        a64_movi32(cb, HTMP, imm);
        a64_str_rmi(cb, HTMP, ENV, T_OFF(temp));
    } else {    /* temps from 4096 on (huge blocks): X16 is free here, no op holds a value in it across ra_* calls */
        a64_movi32(cb, TMP, imm);
        a64_env_st32(cb, TMP, T_OFF(temp));
    }
}

/* ---- small emit helpers ---- */
static void a64_movr(CodeBuf *cb, int d, int s)
{
    if (d != s)
        a64_mov_rr(cb, d, s);
}

static void a64_set_cur_op(A64Ctx *c, int idx) { a64_env_st32_imm(c->cb, ENV_OFF(cur_op), (uint32_t)idx); }

static const A64Cond a64_cond[IRC_NB] = {
    [IRC_EQ] = A64_CC_EQ, [IRC_NE] = A64_CC_NE, [IRC_LTU] = A64_CC_LO, [IRC_GEU] = A64_CC_HS,
    [IRC_LEU] = A64_CC_LS, [IRC_GTU] = A64_CC_HI, [IRC_LT] = A64_CC_LT, [IRC_GE] = A64_CC_GE,
    [IRC_LE] = A64_CC_LE, [IRC_GT] = A64_CC_GT, [IRC_TSTZ] = A64_CC_EQ, [IRC_TSTNZ] = A64_CC_NE,
};

/* Set NZCV from a ? b (a register) or a ? imm (b < 0) for condition cond; returns the host condition. CMP #imm,
 * CMN #-imm (same N, Z, C, V for imm != 0 whose negation fits: C6.2 CMN, CMP), TST #bitmask, else via X16. */
static A64Cond a64_compare(CodeBuf *cb, unsigned cond, int a, int b, uint32_t imm)
{
    assert(cond < IRC_NB);
    bool test = cond == IRC_TSTZ || cond == IRC_TSTNZ;
    uint32_t enc;
    if (b >= 0)
        test ? a64_tst_rr(cb, a, b) : a64_cmp_rr(cb, a, b);
    else if (test && a64_logic_imm(imm, false, &enc))
        a64_tst_ri(cb, a, imm);
    else if (!test && a64_addsub_imm_ok(imm))
        a64_cmp_ri(cb, a, imm);
    else if (!test && imm != 0 && imm != 0x80000000u && a64_addsub_imm_ok(0u - imm))
        a64_cmn_ri(cb, a, 0u - imm);
    else {
        a64_movi32(cb, TMP, imm);
        test ? a64_tst_rr(cb, a, TMP) : a64_cmp_rr(cb, a, TMP);
    }
    return a64_cond[cond];
}

/* ---- arithmetic ---- */
typedef void (*A64RRR)(CodeBuf *, int, int, int);
typedef void (*A64RRI)(CodeBuf *, int, int, unsigned);
typedef void (*A64RR)(CodeBuf *, int, int);

static void a64_binop(A64Ctx *c, const IrOp *op, A64RRR fn)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b), dr = ra_def(&c->ra, op->d);
    fn(c->cb, dr, ar, br);   /* three-address: d may alias a or b */
}

/* ADD_I / SUB_I: the 12-bit (shifted) immediate, or the opposite op with the negated one, or X16 */
static void a64_addsub_i(A64Ctx *c, const IrOp *op, bool sub)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    uint32_t imm = op->imm;
    if (a64_addsub_imm_ok(imm))
        sub ? a64_sub_rri(c->cb, dr, ar, imm) : a64_add_rri(c->cb, dr, ar, imm);
    else if (a64_addsub_imm_ok(0u - imm))
        sub ? a64_add_rri(c->cb, dr, ar, 0u - imm) : a64_sub_rri(c->cb, dr, ar, 0u - imm);
    else {
        a64_movi32(c->cb, TMP, imm);
        sub ? a64_sub_rrr(c->cb, dr, ar, TMP) : a64_add_rrr(c->cb, dr, ar, TMP);
    }
}

/* AND_I / OR_I / XOR_I: a bitmask immediate (C6.2 AND (immediate)) or X16 */
static void a64_logic_i(A64Ctx *c, const IrOp *op, void (*fi)(CodeBuf *, int, int, uint32_t), A64RRR fr)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    uint32_t enc;
    if (a64_logic_imm(op->imm, false, &enc))
        fi(c->cb, dr, ar, op->imm);
    else {
        a64_movi32(c->cb, TMP, op->imm);
        fr(c->cb, dr, ar, TMP);
    }
}

/* SHL/SHR/SAR/ROR by a register: LSLV & co. take the count mod 32, as the IR does; ROL = ROR by -count */
static void a64_shift(A64Ctx *c, const IrOp *op, A64RRR fn, bool rol)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b), dr = ra_def(&c->ra, op->d);
    if (rol) {
        a64_neg_rr(c->cb, A64_X0, br);
        br = A64_X0;
    }
    fn(c->cb, dr, ar, br);
}

static void a64_shift_i(A64Ctx *c, const IrOp *op, A64RRI fn, bool rol)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    unsigned sh = op->imm & 31;
    if (rol)
        sh = (32 - sh) & 31;
    if (sh)
        fn(c->cb, dr, ar, sh);
    else
        a64_movr(c->cb, dr, ar);
}

static void a64_unop(A64Ctx *c, const IrOp *op, A64RR fn)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    fn(c->cb, dr, ar);
}

static void a64_lower_mov(A64Ctx *c, const IrOp *op)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    a64_movr(c->cb, dr, ar);
}

/* MULU2/MULS2: one UMULL/SMULL Xd = Wa * Wb; low half = W, high half = X >> 32 */
static void a64_lower_mul2(A64Ctx *c, const IrOp *op, bool sign)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b);
    sign ? a64_smull_rrr(c->cb, A64_X0, ar, br) : a64_umull_rrr(c->cb, A64_X0, ar, br);
    int lo = ra_def(&c->ra, op->d), hi = ra_def(&c->ra, op->c);
    a64_mov_rr(c->cb, lo, A64_X0);
    a64_lsr_rri64(c->cb, hi, A64_X0, 32);
}

static void a64_lower_ctz(A64Ctx *c, const IrOp *op)
{
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    a64_rbit_rr(c->cb, A64_X0, ar);
    a64_clz_rr(c->cb, dr, A64_X0);     /* CLZ of 0 is 32: interp.c's value for CTZ/CLZ of 0 */
}

/* EXTRACT: (a >> pos) & mask(sz) = UBFX #pos, #min(sz, 32 - pos) */
static void a64_lower_extract(A64Ctx *c, const IrOp *op)
{
    unsigned pos = op->imm & 31, width = op->sz >= 32 - pos ? 32 - pos : op->sz;
    int ar = ra_use(&c->ra, op->a), dr = ra_def(&c->ra, op->d);
    if (width == 0)
        a64_movz(c->cb, dr, 0, 0);
    else if (width == 32)
        a64_movr(c->cb, dr, ar);
    else
        a64_ubfx_rrii(c->cb, dr, ar, pos, width);
}

/* DEPOSIT: BFI #pos, #min(sz, 32 - pos) into a copy of a (field bits above 31 fall off, as in interp.c) */
static void a64_lower_deposit(A64Ctx *c, const IrOp *op)
{
    unsigned pos = op->imm & 31, width = op->sz >= 32 - pos ? 32 - pos : op->sz;
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b);
    a64_mov_rr(c->cb, A64_X0, ar);
    if (width)
        a64_bfi_rrii(c->cb, A64_X0, br, pos, width);
    a64_mov_rr(c->cb, ra_def(&c->ra, op->d), A64_X0);
}

static void a64_lower_setcc(A64Ctx *c, const IrOp *op, bool imm)
{
    int ar = ra_use(&c->ra, op->a), br = imm ? -1 : ra_use(&c->ra, op->b);
    int dr = ra_def(&c->ra, op->d);
    a64_cset_r(c->cb, dr, a64_compare(c->cb, op->sz, ar, br, op->imm));
}

static void a64_lower_select(A64Ctx *c, const IrOp *op)
{
    int ar = ra_use(&c->ra, op->a), br = ra_use(&c->ra, op->b), cr = ra_use(&c->ra, op->c);
    int dr = ra_def(&c->ra, op->d);
    a64_cmp_ri(c->cb, cr, 0);
    a64_csel_rrr(c->cb, dr, ar, br, A64_CC_NE);
}

/* ---- calls ---- */
static void a64_lower_ccflags(A64Ctx *c, const IrOp *op)
{
    for (int i = 0; i < 4; i++)
        a64_mov_rr(c->cb, A64_X0 + i, ra_use(&c->ra, G_CC_OP + i));
    ra_spill_clobbered(&c->ra);
    a64_call_abs(c->cb, (const void *)cc_compute_flags);
    ra_unlock(&c->ra);
    a64_mov_rr(c->cb, ra_def(&c->ra, op->d), A64_X0);
}

static void a64_count(CodeBuf *cb, const uint64_t *counter, uint32_t n)
{
    a64_movi64(cb, TMP, (uint64_t)(uintptr_t)counter);
    a64_ldr_rmi64(cb, HTMP, TMP, 0);
    a64_add_rri64(cb, HTMP, HTMP, n);
    a64_str_rmi64(cb, HTMP, TMP, 0);
}

static void a64_lower_call(A64Ctx *c, const IrOp *op, int idx)
{
    const uint16_t in[3] = { op->a, op->b, op->c };
    assert(op->imm < HELPER_COUNT);
    const HelperInfo *h = &helper_info[op->imm];
    for (int i = 0; i < 3 && i < h->nargs; i++) {
        if (in[i] != IR_NONE)
            a64_mov_rr(c->cb, A64_X1 + i, ra_use(&c->ra, in[i]));
        else
            a64_movz(c->cb, A64_X1 + i, 0, 0);   /* the interpreter passes 0 for a missing argument */
    }
    a64_set_cur_op(c, idx);
    if ((h->flags & HLP_RW_GLOBALS) || !(h->flags & HLP_NO_FAULT))
        ra_writeback_globals(&c->ra);
    ra_spill_clobbered(&c->ra);
    a64_count(c->cb, &exec_stats.helper_calls, 1);   /* -stats, as the interpreter */
    a64_mov_rr64(c->cb, A64_X0, ENV);
    a64_call_abs(c->cb, h->fn);
    ra_unlock(&c->ra);
    if (h->flags & HLP_RW_GLOBALS)
        ra_forget_globals(&c->ra);
    if (op->d != IR_NONE && h->ret)
        a64_mov_rr(c->cb, ra_def(&c->ra, op->d), A64_X0);
}

static void a64_lower_raise(A64Ctx *c, const IrOp *op, int idx)
{
    a64_set_cur_op(c, idx);
    ra_writeback_globals(&c->ra);
    a64_mov_rr64(c->cb, A64_X0, ENV);
    a64_movi32(c->cb, A64_X1, op->aux);
    a64_movi32(c->cb, A64_X2, op->imm);   /* 0xffffffff is -1: no error code */
    a64_call_abs(c->cb, (const void *)cpu_raise_exception);
    ra_discard(&c->ra);
}

/* ---- CPU state outside t[] ---- */
static bool a64_env_overlaps_temps(const IrOp *op) { return op->imm < sizeof(((CpuState *)0)->t); }

static unsigned a64_lg(unsigned sz) { return sz == 1 ? 0 : sz == 2 ? 1 : 2; }

static void a64_lower_ldenv(A64Ctx *c, const IrOp *op)
{
    assert(op->imm + op->sz <= sizeof(CpuState) && (op->sz == 1 || op->sz == 2 || op->sz == 4));
    if (a64_env_overlaps_temps(op))
        ra_forget(&c->ra);
    int dr = ra_def(&c->ra, op->d);
    a64_env_access(c->cb, false, a64_lg(op->sz), dr, op->imm);
}

static void a64_lower_stenv(A64Ctx *c, const IrOp *op)
{
    assert(op->imm + op->sz <= sizeof(CpuState) && (op->sz == 1 || op->sz == 2 || op->sz == 4));
    if (a64_env_overlaps_temps(op))
        ra_forget(&c->ra);
    int ar = ra_use(&c->ra, op->a);
    a64_env_access(c->cb, true, a64_lg(op->sz), ar, op->imm);
    if (a64_env_overlaps_temps(op))
        ra_forget(&c->ra);
}

/* ---- guest memory ---- */
static A64Stub *a64_new_stub(A64Ctx *c, int kind, const IrOp *op, int idx)
{
    if (c->nstubs >= MAX_STUBS) {
        c->cb->full = true;   /* cannot happen (2 per op); fail the block rather than overflow */
        c->nstubs = 0;
    }
    A64Stub *s = &c->stubs[c->nstubs++];
    memset(s, 0, offsetof(A64Stub, gregs));
    s->kind = (uint8_t)kind;
    s->op = op;
    s->opidx = (uint16_t)idx;
    s->val_reg = -1;
    s->off_reg = A64_X1;
    s->ng = (int8_t)ra_dirty_globals(&c->ra, s->gregs, s->gtemps, s->gimms);
    return s;
}

static void a64_stub_add(A64Stub *s, uint8_t *insn)
{
    assert(s->njumps < STUB_MAX_JUMPS);
    if (insn && s->njumps < STUB_MAX_JUMPS)
        s->jumps[s->njumps++] = insn;
}
static void a64_stub_bcond(A64Ctx *c, A64Stub *s, A64Cond cc) { a64_stub_add(s, a64_b_cond(c->cb, cc, NULL)); }

static void a64_patch_all(A64Ctx *c, uint8_t *const *jumps, int n, const uint8_t *target)
{
    for (int i = 0; i < n; i++) {
        bool ok = a64_cb_patch(c->cb, jumps[i], target);
        assert(ok && "branch out of range");
        (void)ok;
    }
}

static uint32_t a64_seg_off(unsigned seg, size_t field)
{
    return (uint32_t)(offsetof(CpuState, seg) + seg * sizeof(SegCache) + field);
}

/* Inline segment check of [off, off+size) (interp_linear's fast test; off = the offset's register, kept);
 * failures call seg_check_access. */
static void a64_seg_check(A64Ctx *c, const IrOp *op, int idx, int off, unsigned size, bool write)
{
    CodeBuf *cb = c->cb;
    unsigned seg = op->aux & IRM_SEG_MASK;
    A64Stub *s = a64_new_stub(c, STUB_SEG, op, idx);
    s->off_reg = (int8_t)off;
    a64_env_ld32(cb, A64_X2, a64_seg_off(seg, offsetof(SegCache, lo)));
    a64_cmp_rr(cb, off, A64_X2);
    a64_stub_bcond(c, s, A64_CC_LO);
    a64_env_ld32(cb, A64_X2, a64_seg_off(seg, offsetof(SegCache, hi)));
    a64_subs_rrr(cb, A64_X2, A64_X2, off);       /* hi - off; borrow: off above hi */
    a64_stub_bcond(c, s, A64_CC_LO);
    if (size > 1) {
        a64_cmp_ri(cb, A64_X2, size - 1);
        a64_stub_bcond(c, s, A64_CC_LO);
    }
    a64_env_ld32(cb, A64_X2, a64_seg_off(seg, offsetof(SegCache, flags)));
    a64_movi32(cb, A64_X3, DESC_CODE | DESC_W);
    a64_and_rrr(cb, A64_X2, A64_X2, A64_X3);
    a64_cmp_ri(cb, A64_X2, write ? DESC_W : DESC_CODE);   /* write: data + W; read: not execute-only code */
    a64_stub_bcond(c, s, write ? A64_CC_NE : A64_CC_EQ);
    s->back = cb->p;
}

/* off = the register holding the offset (not written). Leaves x2 = the TLB entry's addend on the fast path and
 * returns in *lin the register holding the linear address (off itself for SEG_NONE, else w1): the access is
 * [x2, lin, UXTW]. Returns the miss stub. */
static A64Stub *a64_tlb_lookup(A64Ctx *c, const IrOp *op, int idx, int kind, int off, int val_reg, int *lin)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK, seg = op->aux & IRM_SEG_MASK;
    bool write = kind == STUB_ST || (op->aux & IRM_RMW);
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    assert(size == 1 || size == 2 || size == 4);
    if (seg != SEG_NONE) {
        assert(seg <= SEG_GS);
        if (op->aux & IRM_CHECK)
            a64_seg_check(c, op, idx, off, size, write);
        a64_env_ld32(cb, A64_X2, a64_seg_off(seg, offsetof(SegCache, base)));
        a64_add_rrr(cb, A64_X1, off, A64_X2);
        off = A64_X1;
    }
    *lin = off;
    _Static_assert(sizeof(TlbEntry) == 32 && TLB_SIZE == 256, "TLB index arithmetic below");
    uint32_t tlb = (uint32_t)offsetof(CpuState, tlb[mmu][0]) - ENVHI_OFF;
    uint32_t tag = tlb + (uint32_t)(kind == STUB_ST ? offsetof(TlbEntry, tag_write) : offsetof(TlbEntry, tag_read));
    uint32_t addend = tlb + (uint32_t)offsetof(TlbEntry, addend);
    assert(offsetof(CpuState, tlb) >= ENVHI_OFF && a64_uimm_fits(tag, 2) && a64_uimm_fits(addend, 3));
    a64_ubfx_rrii(cb, A64_X2, off, TARGET_PAGE_BITS, 8);           /* page & 255 ... */
    a64_add_rrr_lsl64(cb, A64_X2, ENVHI, A64_X2, 5);               /* ... * sizeof(TlbEntry) */
    if (size > 1) {
        a64_add_rri(cb, A64_X3, off, size - 1);                    /* last byte: a crossing access cannot match */
        a64_and_rri(cb, A64_X3, A64_X3, TARGET_PAGE_MASK);
    } else {
        a64_and_rri(cb, A64_X3, off, TARGET_PAGE_MASK);
    }
    a64_ldr_rmi(cb, A64_X4, A64_X2, tag);
    a64_cmp_rr(cb, A64_X3, A64_X4);
    A64Stub *s = a64_new_stub(c, kind, op, idx);
    s->val_reg = (int8_t)val_reg;
    s->off_reg = (int8_t)off;
    a64_stub_bcond(c, s, A64_CC_NE);
    a64_ldr_rmi64(cb, A64_X2, A64_X2, addend);
    return s;
}

static void a64_lower_ld(A64Ctx *c, const IrOp *op, int idx)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK;
    int lin;
    A64Stub *s = a64_tlb_lookup(c, op, idx, STUB_LD, ra_use(&c->ra, op->a), -1, &lin);
    size == 1 ? a64_ldrb_rmw(cb, A64_X0, A64_X2, lin) : size == 2 ? a64_ldrh_rmw(cb, A64_X0, A64_X2, lin)
                                                                  : a64_ldr_rmw(cb, A64_X0, A64_X2, lin);
    s->back = cb->p;
    int dr = ra_def(&c->ra, op->d);
    if ((op->sz & IRM_SIGNED) && size < 4)
        size == 1 ? a64_sxtb_rr(cb, dr, A64_X0) : a64_sxth_rr(cb, dr, A64_X0);
    else
        a64_mov_rr(cb, dr, A64_X0);
}

static void a64_lower_st(A64Ctx *c, const IrOp *op, int idx)
{
    CodeBuf *cb = c->cb;
    unsigned size = op->sz & IRM_SIZE_MASK;
    int ar = ra_use(&c->ra, op->a), vr = ra_use(&c->ra, op->b), lin;
    A64Stub *s = a64_tlb_lookup(c, op, idx, STUB_ST, ar, vr, &lin);
    size == 1 ? a64_strb_rmw(cb, vr, A64_X2, lin) : size == 2 ? a64_strh_rmw(cb, vr, A64_X2, lin)
                                                              : a64_str_rmw(cb, vr, A64_X2, lin);
    s->back = cb->p;
}

/* The slow paths' C side (counted like the interpreter's). */
static uint32_t a64_ld_slow(CpuState *env, uint32_t lin, uint32_t size, uint32_t mmu)
{
    exec_stats.tlb_misses++;
    return mmu_ld_lin(env, lin, (int)size, (int)mmu);
}

static void a64_st_slow(CpuState *env, uint32_t lin, uint32_t val, uint32_t size, uint32_t mmu)
{
    exec_stats.tlb_misses++;
    mmu_st_lin(env, lin, val, (int)size, (int)mmu);
}

/* caller-saved temp registers and the address register, saved around the slow path's call (64 bytes: SP stays
 * 16-byte aligned) */
static void a64_stub_save(CodeBuf *cb)
{
    a64_stp_pre64(cb, A64_X9, A64_X10, A64_SP, -64);
    a64_stp64(cb, A64_X11, A64_X12, A64_SP, 16);
    a64_stp64(cb, A64_X13, A64_X14, A64_SP, 32);
    a64_stp64(cb, A64_X15, A64_X1, A64_SP, 48);
}
static void a64_stub_restore(CodeBuf *cb)
{
    a64_ldp64(cb, A64_X15, A64_X1, A64_SP, 48);
    a64_ldp64(cb, A64_X13, A64_X14, A64_SP, 32);
    a64_ldp64(cb, A64_X11, A64_X12, A64_SP, 16);
    a64_ldp_post64(cb, A64_X9, A64_X10, A64_SP, 64);
}

static void a64_emit_stub(A64Ctx *c, const A64Stub *s)
{
    CodeBuf *cb = c->cb;
    const IrOp *op = s->op;
    unsigned size = op->sz & IRM_SIZE_MASK;
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    a64_patch_all(c, s->jumps, s->njumps, cb->p);
    a64_set_cur_op(c, s->opidx);
    for (int i = 0; i < s->ng; i++) {
        if (s->gregs[i] < 0)
            a64_ra_store_imm(c, s->gtemps[i], s->gimms[i]);
        else
            a64_env_st32(cb, s->gregs[i], T_OFF(s->gtemps[i]));
    }
    a64_stub_save(cb);
    if (s->kind == STUB_SEG) {
        bool write = op->op == IR_ST || (op->aux & IRM_RMW);
        a64_mov_rr(cb, A64_X2, s->off_reg);
        a64_movz(cb, A64_X1, (uint16_t)(op->aux & IRM_SEG_MASK), 0);
        a64_movz(cb, A64_X3, (uint16_t)size, 0);
        a64_movz(cb, A64_X4, write, 0);
    } else if (s->kind == STUB_LD) {
        a64_movr(cb, A64_X1, s->off_reg);
        a64_movz(cb, A64_X2, (uint16_t)size, 0);
        a64_movz(cb, A64_X3, (uint16_t)mmu, 0);
    } else {
        a64_movr(cb, A64_X1, s->off_reg);
        a64_mov_rr(cb, A64_X2, s->val_reg);
        a64_movz(cb, A64_X3, (uint16_t)size, 0);
        a64_movz(cb, A64_X4, (uint16_t)mmu, 0);
    }
    a64_mov_rr64(cb, A64_X0, ENV);
    a64_call_abs(cb, s->kind == STUB_SEG ? (const void *)seg_check_access :
                     s->kind == STUB_LD ? (const void *)a64_ld_slow : (const void *)a64_st_slow);
    a64_stub_restore(cb);
    a64_b(cb, s->back);
}

/* ---- control flow ---- */
static void a64_jump_label(A64Ctx *c, uint8_t *insn, unsigned label)
{
    if (insn && c->nfix < TB_MAX_OPS) {
        c->fix[c->nfix].insn = insn;
        c->fix[c->nfix++].label = (uint16_t)label;
    }
}

static void a64_lower_brcond(A64Ctx *c, const IrOp *op, bool imm)
{
    int ar = ra_use(&c->ra, op->a), br = imm ? -1 : ra_use(&c->ra, op->b);
    ra_flush(&c->ra);   /* memory must be current at the label; register copies stay valid on fall-through */
    if (imm && op->imm == 0 && (op->sz == IRC_EQ || op->sz == IRC_NE || op->sz == IRC_LEU || op->sz == IRC_GTU)) {
        /* a == 0 (also a <=u 0) / a != 0 (a >u 0): CBZ / CBNZ, no flags (the jnz after dec/sub) */
        bool zero = op->sz == IRC_EQ || op->sz == IRC_LEU;
        a64_jump_label(c, zero ? a64_cbz(c->cb, ar, NULL) : a64_cbnz(c->cb, ar, NULL), op->aux);
        return;
    }
    A64Cond cc = a64_compare(c->cb, op->sz, ar, br, op->imm);
    a64_jump_label(c, a64_b_cond(c->cb, cc, NULL), op->aux);
}

/* An 8-byte literal after unreachable code (the site's cache): aligned so that loads and the patching stores are
 * single-copy atomic (Arm ARM B2.2.1); the LDR (literal) instructions in `loads` are pointed at it. */
static uint8_t *a64_literal64(A64Ctx *c, uint64_t v, uint8_t *const *loads, int nloads)
{
    CodeBuf *cb = c->cb;
    while ((uintptr_t)cb->p % 8 && !cb->full)
        a64_data32(cb, 0);              /* UDF #0: never executed */
    uint8_t *lit = cb->p;
    a64_data32(cb, (uint32_t)v);
    a64_data32(cb, (uint32_t)(v >> 32));
    if (cb->full)
        return NULL;
    for (int i = 0; i < nloads; i++)
        if (loads[i])
            a64_cb_patch(cb, loads[i], lit);
    return lit;
}

/* A 64-bit constant for the hot path of a chaining site: one LDR (literal) from the site's pool instead of up to
 * four MOVZ/MOVK; a64_pool_flush places the pool (after an unconditional branch). */
static void a64_ldr_const64(A64Ctx *c, int reg, uint64_t val)
{
    if (val >> 32 == 0 || c->npend == (int)(sizeof(c->pend) / sizeof(c->pend[0]))) {
        a64_movi64(c->cb, reg, val);
        return;
    }
    uint8_t *at = a64_ldr_lit64(c->cb, reg, NULL);
    if (at) {
        c->pend[c->npend].insn = at;
        c->pend[c->npend++].val = val;
    }
}

static void a64_pool_flush(A64Ctx *c)
{
    for (int i = 0; i < c->npend; i++)
        a64_literal64(c, c->pend[i].val, &c->pend[i].insn, 1);
    c->npend = 0;
}

/* GOTO_TB's slow path: x1 = tb->jmp_dest[n]; exits through `null_exit` (or `exit`) when it is NULL, through `exit`
 * unless it is a valid TB with code of this epoch (x2 = its code); then, with self-patching, stores x2 and x1 into
 * the site's cache literals. */
static void a64_chain_check_and_patch(A64Ctx *c, A64Stub *exit, A64Stub *null_exit, uint8_t *cache_tb,
                                      uint8_t *cache_code)
{
    CodeBuf *cb = c->cb;
    a64_stub_add(null_exit ? null_exit : exit, a64_cbz64(cb, A64_X1, NULL));
    a64_ldrb_rmi(cb, A64_X2, A64_X1, (uint32_t)offsetof(TB, invalid));
    a64_stub_add(exit, a64_cbnz(cb, A64_X2, NULL));
    a64_ldr_rmi64(cb, A64_X2, A64_X1, (uint32_t)offsetof(TB, host_code));
    a64_stub_add(exit, a64_cbz64(cb, A64_X2, NULL));
    _Static_assert(sizeof(JitHeader) == 16, "header layout below");
    a64_ldur_rmi64(cb, A64_X3, A64_X2, -16);                 /* header.owner == dest */
    a64_cmp_rr64(cb, A64_X3, A64_X1);
    a64_stub_bcond(c, exit, A64_CC_NE);
    a64_ldur_rmi(cb, A64_X3, A64_X2, -8);                    /* header.epoch == this epoch */
    a64_movi32(cb, A64_X4, c->epoch);
    a64_cmp_rr(cb, A64_X3, A64_X4);
    a64_stub_bcond(c, exit, A64_CC_NE);
    if (cache_tb && cache_code) {   /* code first: the TB compare is what makes the code literal used */
        a64_movi64(cb, A64_X3, (uint64_t)(uintptr_t)cb_wr(cb, cache_code));
        a64_str_rmi64(cb, A64_X2, A64_X3, 0);
        a64_movi64(cb, A64_X3, (uint64_t)(uintptr_t)cb_wr(cb, cache_tb));
        a64_str_rmi64(cb, A64_X1, A64_X3, 0);
    }
}

/* The exec loop's bookkeeping for a block completed in code (x0 = its new icount, x1 = the next TB): `counter`
 * is the ExecStats field the loop would bump for this transition (tb_chained, or tb_lookups for a dynamic jump). */
static void a64_chain_commit(A64Ctx *c, size_t counter, bool pooled)
{
    CodeBuf *cb = c->cb;
    a64_env_st64(cb, A64_X0, ENV_OFF(icount));
    if (pooled)
        a64_ldr_const64(c, A64_X3, (uint64_t)(uintptr_t)&exec_stats);
    else
        a64_movi64(cb, A64_X3, (uint64_t)(uintptr_t)&exec_stats);
    a64_ldr_rmi64(cb, A64_X4, A64_X3, (uint32_t)offsetof(ExecStats, insns));
    a64_add_rri64(cb, A64_X4, A64_X4, c->tb->ninsns);
    a64_str_rmi64(cb, A64_X4, A64_X3, (uint32_t)offsetof(ExecStats, insns));
    a64_ldr_rmi64(cb, A64_X4, A64_X3, (uint32_t)counter);
    a64_add_rri64(cb, A64_X4, A64_X4, 1);
    a64_str_rmi64(cb, A64_X4, A64_X3, (uint32_t)counter);
    a64_env_ld64(cb, A64_X3, ENV_OFF(tbs));
    a64_str_rmi64(cb, A64_X1, A64_X3, (uint32_t)offsetof(TbCacheHot, cur_tb));
}

/* The next block is not chained: ask fn (jit_chain_lookup with slot -1 for a dynamic exit or the GOTO_TB slot, or
 * jit_event_lookup with the exit reason) and jump into what it returns, with the loop's bookkeeping (`counter` as
 * a64_chain_commit); NULL goes to `exit`. Guest state is all in memory here (ra_flush); the call clobbers only
 * caller-saved registers (X19/X27 survive). */
static void a64_chain_lookup_with(A64Ctx *c, A64Stub *exit, const void *fn, int arg, size_t counter)
{
    CodeBuf *cb = c->cb;
    a64_mov_rr64(cb, A64_X0, ENV);
    a64_movi64(cb, A64_X1, (uint64_t)(uintptr_t)c->tb);
    a64_movi32(cb, A64_X2, (uint32_t)arg);
    a64_call_abs(cb, fn);
    a64_stub_add(exit, a64_cbz64(cb, A64_X0, NULL));
    a64_mov_rr64(cb, A64_X1, A64_X0);
    a64_ldr_rmi64(cb, A64_X2, A64_X1, (uint32_t)offsetof(TB, host_code));
    a64_env_ld64(cb, A64_X0, ENV_OFF(icount));
    a64_add_rri64(cb, A64_X0, A64_X0, c->tb->ninsns);
    a64_chain_commit(c, counter, false);
    a64_br(cb, A64_X2);
}

/* Whether the exec loop would go on to another block without looking at anything else: budget left (x0 = icount
 * after this block), no request, no pending data breakpoint trap. Failures branch to `exit`. */
static void a64_chain_precheck(A64Ctx *c, A64Stub *exit)
{
    CodeBuf *cb = c->cb;
    a64_env_ld64(cb, A64_X0, ENV_OFF(icount));
    a64_add_rri64(cb, A64_X0, A64_X0, c->tb->ninsns);
    a64_env_ld64(cb, A64_X2, ENV_OFF(chain_icount_limit));
    a64_cmp_rr64(cb, A64_X0, A64_X2);
    a64_stub_bcond(c, exit, A64_CC_HS);
    _Static_assert(sizeof(((CpuState *)0)->exit_request) == 4 && sizeof(((CpuState *)0)->dr6_pending) == 4, "");
    a64_env_ld32(cb, A64_X2, ENV_OFF(exit_request));
    a64_stub_add(exit, a64_cbnz(cb, A64_X2, NULL));
    if (c->may_hit_watch) {   /* only memory accesses and helpers record data breakpoint hits */
        a64_env_ld32(cb, A64_X2, ENV_OFF(dr6_pending));
        a64_stub_add(exit, a64_cbnz(cb, A64_X2, NULL));
    }
}

/* GOTO_TB n: x64_lower_goto_tb's contract (see there and docs/jit.md). The site's cache is two literals right after
 * the cached path's BR: the last destination TB (initially 1, never a pointer) and its code; `jmp_dest[n] ==
 * cached TB` enters the cached code with LDR (literal) + BR. A mismatch takes the full check, which re-patches
 * both literals through the writable view (data, not instructions: nothing to flush from the icache). */
static void a64_lower_goto_tb(A64Ctx *c, const IrOp *op)
{
    CodeBuf *cb = c->cb;
    unsigned n = op->imm & 1;
    A64Stub exit = { .njumps = 0 }, slow = { .njumps = 0 }, unchained = { .njumps = 0 };
    ra_flush(&c->ra);
    a64_chain_precheck(c, &exit);
    c->npend = 0;
    a64_ldr_const64(c, A64_X1, (uint64_t)(uintptr_t)&c->tb->jmp_dest[n]);
    a64_ldr_rmi64(cb, A64_X1, A64_X1, 0);
    uint8_t *ld_tb = a64_ldr_lit64(cb, A64_X2, NULL);     /* cached destination TB */
    a64_cmp_rr64(cb, A64_X1, A64_X2);
    a64_stub_bcond(c, &slow, A64_CC_NE);
    uint8_t *commit = cb->p;
    a64_chain_commit(c, offsetof(ExecStats, tb_chained), true);
    uint8_t *ld_code = a64_ldr_lit64(cb, TMP, NULL);      /* cached destination code */
    a64_br(cb, TMP);
    uint8_t *lit_tb = a64_literal64(c, 1, &ld_tb, 1);
    uint8_t *lit_code = a64_literal64(c, (uint64_t)(uintptr_t)commit, &ld_code, 1);   /* unused until patched */
    a64_pool_flush(c);
    /* slow: the full validity check, then re-patch the cache and enter through it */
    a64_patch_all(c, slow.jumps, slow.njumps, cb->p);
    bool patch = !cb->no_self_patch && lit_tb && lit_code;
    /* an unchained slot of an interrupted-REP block must reach the loop (exec_maybe_link's rule) */
    bool lookup = !c->tb->rep_last;
    a64_chain_check_and_patch(c, &exit, lookup ? &unchained : NULL, patch ? lit_tb : NULL, patch ? lit_code : NULL);
    if (patch) {
        a64_b(cb, commit);
    } else {    /* the cache is never filled: every follow takes the full check */
        a64_chain_commit(c, offsetof(ExecStats, tb_chained), false);
        a64_br(cb, A64_X2);
    }
    if (lookup) {
        /* not chained: the slot's cross-page cache (TB.xjmp) if its TLB generation is current, else
         * jit_chain_lookup; x0 (the new icount) is still live */
        A64Stub call = { .njumps = 0 };
        a64_patch_all(c, unchained.jumps, unchained.njumps, cb->p);
        a64_movi64(cb, A64_X5, (uint64_t)(uintptr_t)c->tb);
        a64_ldr_rmi(cb, A64_X3, A64_X5, (uint32_t)(offsetof(TB, xgen) + 4 * n));
        a64_env_ld32(cb, A64_X4, ENV_OFF(tlb_gen));
        a64_cmp_rr(cb, A64_X3, A64_X4);
        a64_stub_bcond(c, &call, A64_CC_NE);
        a64_ldr_rmi64(cb, A64_X1, A64_X5, (uint32_t)(offsetof(TB, xjmp) + 8 * n));
        a64_chain_check_and_patch(c, &call, NULL, NULL, NULL);
        a64_chain_commit(c, offsetof(ExecStats, tb_lookups), false);
        a64_br(cb, A64_X2);
        a64_patch_all(c, call.jumps, call.njumps, cb->p);
        a64_chain_lookup_with(c, &exit, (const void *)jit_chain_lookup, (int)n, offsetof(ExecStats, tb_lookups));
    }
    a64_patch_all(c, exit.jumps, exit.njumps, cb->p);
    a64_env_st32_imm(cb, ENV_OFF(exit_reason), EXIT_NORMAL);
    a64_env_st32_imm(cb, ENV_OFF(exit_slot), n);
    a64_b(cb, c->epilogue);
    ra_discard(&c->ra);
}

/* The indirect fast path's test that the hint TB (x1, found under TLB generation w5) is what tb_find would return
 * for the current CS:EIP and hflags: x64_indirect_key_check's conditions in the same order (tb_jmp_cache_get's:
 * the generation still current, the same EIP, CS base and hflags key, its last byte within the CS limit).
 * Validity and code are GOTO_TB's check. x0 (the new icount) is kept. */
static void a64_indirect_key_check(A64Ctx *c, A64Stub *miss)
{
    CodeBuf *cb = c->cb;
    a64_env_ld32(cb, A64_X2, ENV_OFF(tlb_gen));
    a64_cmp_rr(cb, A64_X5, A64_X2);
    a64_stub_bcond(c, miss, A64_CC_NE);
    a64_env_ld32(cb, A64_X2, T_OFF(G_EIP));
    a64_ldr_rmi(cb, A64_X3, A64_X1, (uint32_t)offsetof(TB, pc));
    a64_cmp_rr(cb, A64_X2, A64_X3);
    a64_stub_bcond(c, miss, A64_CC_NE);
    a64_env_ld32(cb, A64_X4, a64_seg_off(SEG_CS, offsetof(SegCache, base)));
    a64_ldr_rmi(cb, A64_X3, A64_X1, (uint32_t)offsetof(TB, cs_base));
    a64_cmp_rr(cb, A64_X4, A64_X3);
    a64_stub_bcond(c, miss, A64_CC_NE);
    a64_env_ld32(cb, A64_X2, ENV_OFF(hflags));
    a64_movi32(cb, A64_X3, HF_TB_KEY_MASK);
    a64_and_rrr(cb, A64_X2, A64_X2, A64_X3);
    a64_ldr_rmi(cb, A64_X3, A64_X1, (uint32_t)offsetof(TB, hflags));
    a64_cmp_rr(cb, A64_X2, A64_X3);
    a64_stub_bcond(c, miss, A64_CC_NE);
    a64_ldr_rmi(cb, A64_X2, A64_X1, (uint32_t)offsetof(TB, pc));       /* its last byte within the CS limit */
    a64_ldr_rmi(cb, A64_X3, A64_X1, (uint32_t)offsetof(TB, size));
    a64_add_rrr(cb, A64_X2, A64_X2, A64_X3);
    a64_sub_rri(cb, A64_X2, A64_X2, 1);
    a64_env_ld32(cb, A64_X3, a64_seg_off(SEG_CS, offsetof(SegCache, hi)));
    a64_cmp_rr(cb, A64_X2, A64_X3);
    a64_stub_bcond(c, miss, A64_CC_HI);
}

/* EXIT_TB: x64_lower_exit_tb's contract. EXIT_NORMAL follows the block's hint (TB.ind_hint with its TLB generation
 * TB.ind_gen, in TB memory: jit.c keeps it current) when the loop would go on and the hint is valid here; on a miss
 * it asks jit_chain_lookup (which refreshes the hint). EXIT_MODE / EXIT_IRQ_CHECK ask jit_event_lookup (the loop's
 * events step in C when nothing is pending). Neither for blocks ending in an interrupted REP instruction. */
static void a64_lower_exit_tb(A64Ctx *c, const IrOp *op)
{
    CodeBuf *cb = c->cb;
    ra_flush(&c->ra);
    if (op->imm == EXIT_NORMAL && !c->tb->rep_last) {
        A64Stub exit = { .njumps = 0 }, miss = { .njumps = 0 };
        a64_chain_precheck(c, &exit);
        c->npend = 0;
        a64_ldr_const64(c, A64_X3, (uint64_t)(uintptr_t)c->tb);
        a64_ldr_rmi64(cb, A64_X1, A64_X3, (uint32_t)offsetof(TB, ind_hint));
        a64_ldr_rmi(cb, A64_X5, A64_X3, (uint32_t)offsetof(TB, ind_gen));
        a64_indirect_key_check(c, &miss);
        a64_chain_check_and_patch(c, &miss, NULL, NULL, NULL);
        a64_chain_commit(c, offsetof(ExecStats, tb_lookups), true);
        a64_br(cb, A64_X2);
        a64_pool_flush(c);
        a64_patch_all(c, miss.jumps, miss.njumps, cb->p);
        a64_chain_lookup_with(c, &exit, (const void *)jit_chain_lookup, -1, offsetof(ExecStats, tb_lookups));
        a64_patch_all(c, exit.jumps, exit.njumps, cb->p);
    } else if ((op->imm == EXIT_MODE || op->imm == EXIT_IRQ_CHECK) && !c->tb->rep_last) {
        A64Stub exit = { .njumps = 0 };
        a64_chain_precheck(c, &exit);
        a64_chain_lookup_with(c, &exit, (const void *)jit_event_lookup, (int)op->imm, offsetof(ExecStats, tb_lookups));
        a64_patch_all(c, exit.jumps, exit.njumps, cb->p);
    }
    a64_env_st32_imm(cb, ENV_OFF(exit_reason), op->imm);
    a64_b(cb, c->epilogue);
    ra_discard(&c->ra);
}

static void a64_lower_op(A64Ctx *c, const IrOp *op, int i)
{
    CodeBuf *cb = c->cb;
    switch (op->op) {
    case IR_MOV:     a64_lower_mov(c, op); break;
    case IR_MOVI:    ra_def_const(&c->ra, op->d, op->imm); break;
    case IR_ADD:     a64_binop(c, op, a64_add_rrr); break;
    case IR_ADD_I:   a64_addsub_i(c, op, false); break;
    case IR_SUB:     a64_binop(c, op, a64_sub_rrr); break;
    case IR_SUB_I:   a64_addsub_i(c, op, true); break;
    case IR_AND:     a64_binop(c, op, a64_and_rrr); break;
    case IR_AND_I:   a64_logic_i(c, op, a64_and_rri, a64_and_rrr); break;
    case IR_OR:      a64_binop(c, op, a64_orr_rrr); break;
    case IR_OR_I:    a64_logic_i(c, op, a64_orr_rri, a64_orr_rrr); break;
    case IR_XOR:     a64_binop(c, op, a64_eor_rrr); break;
    case IR_XOR_I:   a64_logic_i(c, op, a64_eor_rri, a64_eor_rrr); break;
    case IR_SHL:     a64_shift(c, op, a64_lslv_rrr, false); break;
    case IR_SHL_I:   a64_shift_i(c, op, a64_lsl_rri, false); break;
    case IR_SHR:     a64_shift(c, op, a64_lsrv_rrr, false); break;
    case IR_SHR_I:   a64_shift_i(c, op, a64_lsr_rri, false); break;
    case IR_SAR:     a64_shift(c, op, a64_asrv_rrr, false); break;
    case IR_SAR_I:   a64_shift_i(c, op, a64_asr_rri, false); break;
    case IR_ROL:     a64_shift(c, op, a64_rorv_rrr, true); break;
    case IR_ROL_I:   a64_shift_i(c, op, a64_ror_rri, true); break;
    case IR_ROR:     a64_shift(c, op, a64_rorv_rrr, false); break;
    case IR_ROR_I:   a64_shift_i(c, op, a64_ror_rri, false); break;
    case IR_MUL:     a64_binop(c, op, a64_mul_rrr); break;
    case IR_MULU2:   a64_lower_mul2(c, op, false); break;
    case IR_MULS2:   a64_lower_mul2(c, op, true); break;
    case IR_NEG:     a64_unop(c, op, a64_neg_rr); break;
    case IR_NOT:     a64_unop(c, op, a64_mvn_rr); break;
    case IR_EXT8S:   a64_unop(c, op, a64_sxtb_rr); break;
    case IR_EXT8U:   a64_unop(c, op, a64_uxtb_rr); break;
    case IR_EXT16S:  a64_unop(c, op, a64_sxth_rr); break;
    case IR_EXT16U:  a64_unop(c, op, a64_uxth_rr); break;
    case IR_EXTRACT: a64_lower_extract(c, op); break;
    case IR_DEPOSIT: a64_lower_deposit(c, op); break;
    case IR_BSWAP:   a64_unop(c, op, a64_rev_rr); break;
    case IR_CTZ:     a64_lower_ctz(c, op); break;
    case IR_CLZ:     a64_unop(c, op, a64_clz_rr); break;
    case IR_SETCC:   a64_lower_setcc(c, op, false); break;
    case IR_SETCC_I: a64_lower_setcc(c, op, true); break;
    case IR_SELECT:  a64_lower_select(c, op); break;
    case IR_CCFLAGS: a64_lower_ccflags(c, op); break;
    case IR_LD:      a64_lower_ld(c, op, i); break;
    case IR_ST:      a64_lower_st(c, op, i); break;
    case IR_LDENV:   a64_lower_ldenv(c, op); break;
    case IR_STENV:   a64_lower_stenv(c, op); break;
    case IR_CALL:    a64_lower_call(c, op, i); break;
    case IR_RAISE:   a64_lower_raise(c, op, i); break;
    case IR_LABEL:   ra_forget(&c->ra); c->label_addr[op->aux] = cb->p; break;
    case IR_BR:      ra_flush(&c->ra); a64_jump_label(c, a64_b(cb, NULL), op->aux); ra_discard(&c->ra); break;
    case IR_BRCOND:  a64_lower_brcond(c, op, false); break;
    case IR_BRCOND_I:a64_lower_brcond(c, op, true); break;
    case IR_GOTO_TB: a64_lower_goto_tb(c, op); break;
    case IR_EXIT_TB: a64_lower_exit_tb(c, op); break;
    default:         assert(!"IR op without a lowering"); cb->full = true; break;
    }
}

/* ---- the backend.h interface ---- */
/* enter(env, code): save X19-X30 (AAPCS64 callee-saved + FP/LR) in a 96-byte frame, X19 = env, X27 = env + 0x8000,
 * jump to code. The epilogue restores them and returns to enter's caller. */
static void a64_emit_prologue(CodeBuf *cb, JitEnterFn *enter, const uint8_t **epilogue)
{
    *enter = (JitEnterFn)(void *)cb->p;
    a64_stp_pre64(cb, A64_X29, A64_X30, A64_SP, -96);
    a64_mov_sp64(cb, A64_X29, A64_SP);
    for (int i = 0; i < 5; i++)
        a64_stp64(cb, A64_X19 + 2 * i, A64_X20 + 2 * i, A64_SP, 16 + 16 * i);
    a64_mov_rr64(cb, ENV, A64_X0);
    a64_add_rri64(cb, ENVHI, ENV, ENVHI_OFF);
    a64_br(cb, A64_X1);
    *epilogue = cb->p;
    for (int i = 0; i < 5; i++)
        a64_ldp64(cb, A64_X19 + 2 * i, A64_X20 + 2 * i, A64_SP, 16 + 16 * i);
    a64_ldp_post64(cb, A64_X29, A64_X30, A64_SP, 96);
    a64_ret(cb);
}

static void *a64_compile_tb(CodeBuf *cb, const TB *tb, const uint8_t *epilogue, uint32_t epoch)
{
    A64Ctx *c = &a64_ctx;
    static bool ready;
    if (!ready) {
        ra_init(&c->ra, a64_alloc_regs, (int)sizeof(a64_alloc_regs), A64_CLOBBERED_SLOTS,
                (RegAllocHooks){ a64_ra_load, a64_ra_store, a64_ra_load_imm, a64_ra_store_imm }, c);
        ready = true;
    }
    c->cb = cb;
    c->tb = tb;
    c->epilogue = epilogue;
    c->epoch = epoch;
    c->nstubs = c->nfix = 0;
    uint8_t *entry = cb->p;
    assert(tb->nops > 0 && tb->ninsns < 4096);
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
        a64_lower_op(c, &tb->ops[i], i);
    }
    for (int i = 0; i < c->nstubs && !cb->full; i++)
        a64_emit_stub(c, &c->stubs[i]);
    if (cb->full)
        return NULL;
    for (int i = 0; i < c->nfix; i++) {
        const uint8_t *target = c->label_addr[c->fix[i].label];
        assert(target && "branch to a label that is not in the block");
        bool ok = a64_cb_patch(cb, c->fix[i].insn, target);
        assert(ok);
        (void)ok;
    }
    return entry;
}

/* Stores that wrote code went through the writable view (or the single view); instruction fetch through the
 * executing view sees them only after cleaning the data cache to the point of unification and invalidating the
 * icache by VA, then an ISB (Arm ARM B2.4.4, "Concurrent modification and execution of instructions"; D7.5.9).
 * __builtin___clear_cache does DC CVAU / DSB ISH / IC IVAU / DSB ISH / ISB over the range, here on the executing
 * view's addresses (caches are physically tagged for data, so cleaning by this alias cleans the written lines). */
static void a64_flush_icache(void *start, size_t len)
{
    __builtin___clear_cache((char *)start, (char *)start + len);
}

/* backend.h's patch_jump: repoint the B/B.cond/CBZ/LDR-literal at `at` (written where it executes: callers patch
 * through a writable address) and make it visible to instruction fetch. */
static void a64_patch_jump(uint8_t *at, const uint8_t *target)
{
    bool ok = a64_patch(at, target);
    assert(ok && "patched branch out of range");
    (void)ok;
    a64_flush_icache(at, 4);
}

const Backend backend_aarch64 = {
    .name = "aarch64",
    .emit_prologue = a64_emit_prologue,
    .compile_tb = a64_compile_tb,
    .patch_jump = a64_patch_jump,
    .flush_icache = a64_flush_icache,
    .counts_insns = true,
};
