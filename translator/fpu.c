/* fpu.c — the x87 FPU and MMX: register stack, tags, control/status words, exception policy, and the instruction
 * helpers translated code calls (helpers.def group "fpu.c"); the x87 arithmetic itself is fpu_soft.c.
 * Invariants: every helper reads all its memory operands and probes every byte it will write before it changes any
 * x87 or guest state, so a #PF/#GP leaves the FPU as it was (precise faults, docs/ir.md). Unmasked exceptions set
 * ES/B and are delivered as #MF before the next waiting x87 instruction (CR0.NE = 1, SDM vol 1 8.6); an unmasked
 * IE/DE/ZE leaves the destination untouched, unmasked OE/UE store the bias-adjusted result (fpu_soft.c).
 * ST(i) = fpr[(top + i) & 7]; tags are only "empty" bits (fpu_empty), the full tag word is derived on demand.
 * With CR0.NE = 0 (MS-DOS compatibility mode, SDM vol 1 8.7 and D.2) the waiting instruction instead asserts FERR#
 * (machine->ferr; the PC board routes it to IRQ13) and the exec loop looks at interrupts before it runs (the
 * interrupt returns to it); FERR# drops when ES is cleared.
 * Left out (XXX): staying frozen when no interrupt comes (the instruction then runs, as with IGNNE#); FERR# on a
 * machine without a PIC (logged); SSE (FXSAVE/FXRSTOR carry MXCSR only); bit-exact trigonometric instructions
 * (fpu_trans.c: within 1 ulp). */
#include <string.h>
#include "cpu.h"
#include "mmu.h"
#include "helpers.h"
#include "exec.h"
#include "bus.h"

/* ---- register stack ---- */

static int fpu_phys(const CpuState *env, int i) { return (env->fpu_top + i) & 7; }
static Fx80 fpu_st(const CpuState *env, int i) { return env->fpr[fpu_phys(env, i)]; }
static bool fpu_is_empty(const CpuState *env, int i) { return env->fpu_empty >> fpu_phys(env, i) & 1; }

static void fpu_set(CpuState *env, int i, Fx80 v)
{
    int p = fpu_phys(env, i);
    env->fpr[p] = v;
    env->fpu_empty &= (uint8_t)~(1u << p);
}

static void fpu_pop(CpuState *env)
{
    env->fpu_empty |= (uint8_t)(1u << env->fpu_top);
    env->fpu_top = (env->fpu_top + 1) & 7;
}

static void fpu_push(CpuState *env, Fx80 v)
{
    env->fpu_top = (env->fpu_top - 1) & 7;
    fpu_set(env, 0, v);
}

void fpu_reset(CpuState *env)
{
    /* FNINIT state (SDM vol 1 8.1.5, vol 3 9.2.1): register contents are kept. RESET also zeroes R0-R7 and loads
     * FCW = 0040H (SDM vol 3 table 9-1): cpu_reset does that on top of this */
    env->fpu_cw = 0x37f;
    env->fpu_sw = 0;
    env->fpu_top = 0;
    env->fpu_empty = 0xff;
    env->fpu_fop = env->fpu_fcs = env->fpu_fds = 0;
    env->fpu_fip = env->fpu_fdp = 0;
    env->fpu_ferr = 0;   /* ES is clear: FERR# is not asserted (FNINIT/FNSAVE also lower the line; RESET resets the board) */
}

static uint16_t fpu_status_word(const CpuState *env)
{
    return (uint16_t)((env->fpu_sw & ~FX_TOP) | env->fpu_top << 11);
}

static uint16_t fpu_tag_of(const CpuState *env, int phys)
{
    Fx80 v = env->fpr[phys];
    int e = v.se & 0x7fff;
    if (env->fpu_empty >> phys & 1)
        return 3;
    if (e == 0 && v.m == 0)
        return 1;
    if (e == 0 || e == 0x7fff || !(v.m >> 63))
        return 2;   /* special: denormal, infinity, NaN, unsupported */
    return 0;
}

static uint16_t fpu_tag_word(const CpuState *env)
{
    uint16_t tw = 0;
    for (int i = 0; i < 8; i++)
        tw |= (uint16_t)(fpu_tag_of(env, i) << (2 * i));
    return tw;
}

/* ---- exceptions ---- */

/* FERR# follows ES once a waiting instruction has found the exception pending (P6: the assertion is deferred to
 * that instruction, SDM vol 1 D.2.1.3); it drops when ES is cleared (FNCLEX, FNINIT, FLDCW/FLDENV/FRSTOR). */
static void fpu_set_ferr(CpuState *env, int level)
{
    env->fpu_ferr = (uint8_t)level;
    if (env->machine)
        irq_set(&env->machine->ferr, level);
}

/* ES and B follow the unmasked exception bits (FLDCW/FLDENV/FRSTOR may unmask or mask pending ones). */
static void fpu_update_es(CpuState *env)
{
    if (env->fpu_sw & ~env->fpu_cw & FX_EXC) {
        env->fpu_sw |= FX_ES | FX_B;
    } else {
        env->fpu_sw &= (uint16_t)~(FX_ES | FX_B);
        fpu_set_ferr(env, 0);
    }
}

/* Merge an operation's flags (FX_EXC, SF, C1). Returns false when an unmasked IE/DE/ZE forbids writing. */
static bool fpu_commit(CpuState *env, uint16_t flags)
{
    uint16_t unmasked = flags & ~env->fpu_cw & FX_EXC;
    env->fpu_sw = (uint16_t)((env->fpu_sw & ~FX_C1) | (flags & (FX_EXC | FX_SF | FX_C1)));
    if (unmasked)
        env->fpu_sw |= FX_ES | FX_B;
    return !(unmasked & (FX_IE | FX_DE | FX_ZE));
}

/* Stack underflow (empty source) / overflow (full destination): IE + SF, C1 = 0 / 1 (SDM vol 1 8.5.1.1).
 * Returns true when IE is masked (the caller then writes the real indefinite). */
static bool fpu_stack_underflow(CpuState *env) { return fpu_commit(env, FX_IE | FX_SF); }
static bool fpu_stack_overflow(CpuState *env) { return fpu_commit(env, FX_IE | FX_SF | FX_C1); }

/* A waiting x87 instruction first delivers a pending unmasked exception (SDM vol 1 8.6, vol 3 6.15 #MF). */
static void fpu_check_pending(CpuState *env)
{
    if (!(env->fpu_sw & FX_ES))
        return;
    if (env->cr0 & CR0_NE)
        cpu_raise_exception(env, EXC_MF, -1);
    /* CR0.NE = 0: no #MF; FERR# is asserted and the board interrupts (PC: IRQ13), the handler clears ES and
     * writes port F0H (IGNNE#). The processor stops at this waiting instruction until the interrupt arrives
     * (SDM vol 1 D.2.1.3): on the assertion, unwind to the exec loop with the state before this instruction, so
     * that the interrupt (when IF and the PIC let it through) returns to it. When the instruction comes back with
     * FERR# still asserted (no interrupt taken: IF = 0, IRQ13 masked, or a handler that kept ES), it runs, as with
     * IGNNE# (XXX: a real P6 would stay frozen until an interrupt when IGNNE# is inactive). */
    if (env->machine && env->machine->ferr.handler) {
        if (!env->fpu_ferr) {
            fpu_set_ferr(env, 1);
            tb_restart_insn_for_irq(env);
        }
    } else
        log_unimplemented_once("x87 FERR# without an interrupt controller (CR0.NE=0)", 0x13);   /* XXX */
}

/* Last-instruction pointers (SDM vol 1 8.1.8): set by non-control instructions. */
static void fpu_note_insn(CpuState *env, int esc, int modrm)
{
    env->fpu_fop = (uint16_t)((esc << 8 | modrm) & 0x7ff);
    env->fpu_fip = env->fpu_insn_eip;
    env->fpu_fcs = env->seg[SEG_CS].sel;
}

static void fpu_note_data(CpuState *env, uint32_t off, int seg)
{
    env->fpu_fdp = off;
    env->fpu_fds = env->seg[seg <= SEG_GS ? seg : SEG_DS].sel;
}

static void fpu_set_cc(CpuState *env, uint16_t cc)
{
    env->fpu_sw = (uint16_t)((env->fpu_sw & ~(FX_C0 | FX_C1 | FX_C2 | FX_C3)) | cc);
}

static FxCtx fpu_ctx(const CpuState *env) { return (FxCtx){ env->fpu_cw, 0 }; }

/* ---- memory operands (segment check, then linear accesses split into 4/2/1-byte pieces) ---- */

typedef struct FpuMem { uint32_t off; int aux; int seg; } FpuMem;

static uint32_t fpu_lin(CpuState *env, const FpuMem *m, int n, bool write)
{
    int seg = m->aux & IRM_SEG_MASK;
    if (seg > SEG_GS)
        return m->off;
    if (m->aux & IRM_CHECK)
        seg_check_access(env, seg, m->off, n, write);
    return env->seg[seg].base + m->off;
}

static int fpu_mmu_idx(const FpuMem *m) { return (m->aux & IRM_USER) ? MMU_USER : MMU_KERNEL; }

static void fpu_read(CpuState *env, const FpuMem *m, uint8_t *buf, int n)
{
    uint32_t lin = fpu_lin(env, m, n, false);
    const uint8_t *p = mmu_tlb_host_ptr(env, lin, n, fpu_mmu_idx(m), false);
    if (p) {
        memcpy(buf, p, (size_t)n);
        return;
    }
    for (int i = 0; i < n;) {
        int k = n - i >= 4 ? 4 : n - i >= 2 ? 2 : 1;
        uint32_t v = mmu_ld_lin(env, lin + (uint32_t)i, k, fpu_mmu_idx(m));
        for (int j = 0; j < k; j++)
            buf[i + j] = (uint8_t)(v >> (8 * j));
        i += k;
    }
}

/* Check that all n bytes can be written (before any state changes). */
static void fpu_probe(CpuState *env, const FpuMem *m, int n)
{
    uint32_t lin = fpu_lin(env, m, n, true);
    if (!mmu_tlb_host_ptr(env, lin, n, fpu_mmu_idx(m), true))
        mmu_probe_write(env, lin, (uint32_t)n, fpu_mmu_idx(m));
}

static void fpu_write(CpuState *env, const FpuMem *m, const uint8_t *buf, int n)
{
    uint32_t lin = fpu_lin(env, m, n, true);
    uint8_t *p = mmu_tlb_host_ptr(env, lin, n, fpu_mmu_idx(m), true);
    if (p) {
        memcpy(p, buf, (size_t)n);
        return;
    }
    for (int i = 0; i < n;) {
        int k = n - i >= 4 ? 4 : n - i >= 2 ? 2 : 1;
        uint32_t v = 0;
        for (int j = k - 1; j >= 0; j--)
            v = v << 8 | buf[i + j];
        mmu_st_lin(env, lin + (uint32_t)i, v, k, fpu_mmu_idx(m));
        i += k;
    }
}

/* little-endian n-byte values (n = 2, 4, 8 is a constant after inlining: one host load/store on little-endian
 * hosts, which x86-64 and aarch64 Linux are) */
static uint64_t le_get(const uint8_t *p, int n)
{
    uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(&v, p, (size_t)n);
#else
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
#endif
    return v;
}

static void le_put(uint8_t *p, uint64_t v, int n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, (size_t)n);
#else
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static void fpu_unimplemented(CpuState *env, int esc, int modrm)
{
    log_unimplemented_once("x87", (uint32_t)(0xd8 + esc) << 8 | (uint32_t)modrm);
    cpu_raise_exception(env, EXC_UD, -1);
}

/* ---- arithmetic and compares ---- */

/* dst = dst op src for the D8 ModRM.reg encoding: 0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr */
static Fx80 fpu_calc(FxCtx *c, int op, Fx80 dst, Fx80 src)
{
    switch (op) {
    case 0: return fx_add(c, dst, src);
    case 1: return fx_mul(c, dst, src);
    case 4: return fx_sub(c, dst, src);
    case 5: return fx_sub(c, src, dst);
    case 6: return fx_div(c, dst, src);
    default: return fx_div(c, src, dst);
    }
}

/* ST(d) = ST(d) op src; c already holds the flags of converting src (memory operands). */
static void fpu_arith(CpuState *env, FxCtx *c, int op, int d, Fx80 src, bool src_empty, bool pop)
{
    Fx80 r;
    if (fpu_is_empty(env, d) || src_empty) {
        if (!fpu_stack_underflow(env))
            return;
        r = fx_indefinite();
    } else {
        r = fpu_calc(c, op, fpu_st(env, d), src);
        if (!fpu_commit(env, c->sw))
            return;
    }
    fpu_set(env, d, r);
    if (pop)
        fpu_pop(env);
}

static const uint16_t fpu_cc_of[4] = { 0, FX_C0, FX_C3, FX_C0 | FX_C2 | FX_C3 };

/* Compare ST(0) with b: FX_CMP_*, or -1 when an unmasked exception stopped the instruction (nothing changes). */
static int fpu_compare(CpuState *env, FxCtx *c, Fx80 b, bool b_empty, bool quiet)
{
    if (fpu_is_empty(env, 0) || b_empty)
        return fpu_stack_underflow(env) ? FX_CMP_UN : -1;
    int r = fx_compare(c, fpu_st(env, 0), b, quiet);
    return fpu_commit(env, c->sw) ? r : -1;
}

/* FCOM/FCOMP/FCOMPP/FUCOM*: C3 C2 C0 from the result, C1 = 0; then pop npop times */
static void fpu_fcom(CpuState *env, FxCtx *c, Fx80 b, bool b_empty, bool quiet, int npop)
{
    int r = fpu_compare(env, c, b, b_empty, quiet);
    if (r < 0)
        return;
    fpu_set_cc(env, fpu_cc_of[r]);
    while (npop-- > 0)
        fpu_pop(env);
}

/* FCOMI/FUCOMI(P): ZF PF CF (OF SF AF cleared), SDM vol 2 FCOMI */
static void fpu_fcomi(CpuState *env, int i, bool quiet, bool pop)
{
    static const uint32_t flags[4] = { 0, F_CF, F_ZF, F_ZF | F_PF | F_CF };
    FxCtx c = fpu_ctx(env);
    uint16_t c1 = env->fpu_sw & FX_C1;
    bool underflow = fpu_is_empty(env, 0) || fpu_is_empty(env, i);
    int r = fpu_compare(env, &c, fpu_st(env, i), fpu_is_empty(env, i), quiet);
    if (!underflow)   /* C1 changes only on stack underflow (SDM vol 2 FCOMI; host x87) */
        env->fpu_sw = (uint16_t)((env->fpu_sw & ~FX_C1) | c1);
    if (r < 0)
        return;
    cpu_set_eflags(env, flags[r], F_ARITH);
    if (pop)
        fpu_pop(env);
}

/* ---- loads and stores ---- */

enum { K_F32, K_F64, K_F80, K_I16, K_I32, K_I64, K_BCD };
static const int fpu_kind_size[7] = { 4, 8, 10, 2, 4, 8, 10 };

static Fx80 fpu_convert_in(FxCtx *c, int kind, const uint8_t *b)
{
    switch (kind) {
    case K_F32: return fx_from_f32(c, (uint32_t)le_get(b, 4));
    case K_F64: return fx_from_f64(c, le_get(b, 8));
    case K_F80: return fx_load80(b);
    case K_I16: return fx_from_int((int16_t)le_get(b, 2));
    case K_I32: return fx_from_int((int32_t)le_get(b, 4));
    case K_I64: return fx_from_int((int64_t)le_get(b, 8));
    default: return fx_from_bcd(b);
    }
}

/* Convert for a store; false when an unmasked exception forbids storing. */
static bool fpu_convert_out(FxCtx *c, int kind, Fx80 v, uint8_t *b)
{
    bool ok = true;
    switch (kind) {
    case K_F32: le_put(b, fx_to_f32(c, v, &ok), 4); break;
    case K_F64: le_put(b, fx_to_f64(c, v, &ok), 8); break;
    case K_F80: fx_store80(b, v); break;
    case K_I16: le_put(b, (uint64_t)fx_to_int(c, v, 16, &ok), 2); break;
    case K_I32: le_put(b, (uint64_t)fx_to_int(c, v, 32, &ok), 4); break;
    case K_I64: le_put(b, (uint64_t)fx_to_int(c, v, 64, &ok), 8); break;
    default: ok = fx_to_bcd(c, v, b); break;
    }
    return ok;
}

/* Push v (flags of its conversion in c): stack overflow when ST(7) is in use. */
static void fpu_push_checked(CpuState *env, FxCtx *c, Fx80 v)
{
    if (!(env->fpu_empty >> ((env->fpu_top - 1) & 7) & 1)) {
        if (fpu_stack_overflow(env))
            fpu_push(env, fx_indefinite());
        return;
    }
    if (fpu_commit(env, c->sw))
        fpu_push(env, v);
}

static void fpu_note_all(CpuState *env, int esc, int modrm, const FpuMem *m)
{
    fpu_note_insn(env, esc, modrm);
    fpu_note_data(env, m->off, m->seg);
}

static void fpu_load_mem(CpuState *env, int esc, int modrm, const FpuMem *m, int kind)
{
    uint8_t b[10];
    fpu_read(env, m, b, fpu_kind_size[kind]);
    fpu_note_all(env, esc, modrm, m);
    FxCtx c = fpu_ctx(env);
    Fx80 v = fpu_convert_in(&c, kind, b);
    fpu_push_checked(env, &c, v);
}

static void fpu_store_mem(CpuState *env, int esc, int modrm, const FpuMem *m, int kind, bool pop)
{
    uint8_t b[10];
    int n = fpu_kind_size[kind];
    fpu_probe(env, m, n);
    fpu_note_all(env, esc, modrm, m);
    FxCtx c = fpu_ctx(env);
    if (fpu_is_empty(env, 0)) {
        if (!fpu_stack_underflow(env))
            return;
        fpu_convert_out(&c, kind, fx_indefinite(), b);   /* the indefinite of the destination format */
    } else {
        bool ok = fpu_convert_out(&c, kind, fpu_st(env, 0), b);
        if (!fpu_commit(env, c.sw) || !ok)
            return;
    }
    fpu_write(env, m, b, n);
    if (pop)
        fpu_pop(env);
}

/* D8 / DA / DC / DE with a memory operand: m32fp, m32int, m64fp, m16int */
static void fpu_mem_arith(CpuState *env, int esc, int modrm, const FpuMem *m)
{
    static const int kinds[4] = { K_F32, K_I32, K_F64, K_I16 };
    int kind = kinds[esc >> 1], reg = modrm >> 3 & 7;
    uint8_t b[8];
    fpu_read(env, m, b, fpu_kind_size[kind]);
    fpu_note_all(env, esc, modrm, m);
    FxCtx c = fpu_ctx(env);
    Fx80 src = fpu_convert_in(&c, kind, b);
    Fx80 st0 = fpu_st(env, 0);
    if ((kind == K_F32 || kind == K_F64) && (c.sw & FX_IE)) {
        /* an SNaN operand takes part in NaN selection as an SNaN (SDM vol 1 table 4-7): undo the quieting of the
         * load, the operation signals IE itself */
        src.m &= ~(1ull << 62);
        c.sw &= (uint16_t)~FX_IE;
    }
    if (fx_is_nan(st0) || fx_is_unsupported(st0))
        c.sw &= (uint16_t)~FX_DE;   /* a denormal memory operand is not reported next to a NaN (host x87) */
    if (reg == 2 || reg == 3)
        fpu_fcom(env, &c, src, false, false, reg - 2);
    else
        fpu_arith(env, &c, reg, 0, src, false, false);
}

/* ---- environment: FLDENV/FNSTENV/FRSTOR/FNSAVE (SDM vol 1 8.1.10, figures 8-9..8-12) ---- */

static bool fpu_real_format(const CpuState *env)
{
    return !(env->cr0 & CR0_PE) || (env->t[G_EFLAGS] & F_VM);
}

/* 14-byte (16-bit) or 28-byte (32-bit) environment image. Real/v86 formats hold 20/32-bit linear pointers. */
static int fpu_env_image(const CpuState *env, uint8_t *p, bool op32)
{
    int w = op32 ? 4 : 2;
    uint32_t v[7] = { env->fpu_cw, fpu_status_word(env), fpu_tag_word(env) };
    if (fpu_real_format(env)) {
        uint32_t ip = env->fpu_fip + ((uint32_t)env->fpu_fcs << 4), dp = env->fpu_fdp + ((uint32_t)env->fpu_fds << 4);
        v[3] = ip & 0xffff;
        v[4] = (ip >> 16) << 12 | env->fpu_fop;
        v[5] = dp & 0xffff;
        v[6] = (dp >> 16) << 12;
        if (!op32) {
            v[4] &= 0xffff;
            v[6] &= 0xffff;
        }
    } else {
        v[3] = env->fpu_fip;
        v[4] = env->fpu_fcs | (op32 ? (uint32_t)env->fpu_fop << 16 : 0);
        v[5] = env->fpu_fdp;
        v[6] = env->fpu_fds | (op32 ? 0xffff0000u : 0);   /* reserved upper half reads as ones (host x87) */
    }
    if (op32)   /* the reserved upper halves of the control, status and tag dwords read as ones (host x87) */
        for (int i = 0; i < 3; i++)
            v[i] |= 0xffff0000u;
    for (int i = 0; i < 7; i++)
        le_put(p + i * w, v[i], w);
    return 7 * w;
}

static void fpu_set_tags_from_word(CpuState *env, uint16_t tw)
{
    env->fpu_empty = 0;
    for (int i = 0; i < 8; i++)
        if ((tw >> (2 * i) & 3) == 3)
            env->fpu_empty |= (uint8_t)(1u << i);
}

static int fpu_env_load(CpuState *env, const uint8_t *p, bool op32)
{
    int w = op32 ? 4 : 2;
    uint32_t v[7];
    for (int i = 0; i < 7; i++)
        v[i] = (uint32_t)le_get(p + i * w, w);
    env->fpu_cw = (uint16_t)((v[0] & 0x1f3f) | 0x40);
    env->fpu_sw = (uint16_t)(v[1] & ~FX_TOP);
    env->fpu_top = (uint8_t)(v[1] >> 11 & 7);
    fpu_set_tags_from_word(env, (uint16_t)v[2]);
    if (fpu_real_format(env)) {
        env->fpu_fop = (uint16_t)(v[4] & 0x7ff);
        env->fpu_fip = (v[3] & 0xffff) | (v[4] >> 12) << 16;
        env->fpu_fdp = (v[5] & 0xffff) | (v[6] >> 12) << 16;
        env->fpu_fcs = env->fpu_fds = 0;
    } else {
        env->fpu_fip = v[3];
        env->fpu_fcs = (uint16_t)v[4];
        env->fpu_fop = op32 ? (uint16_t)(v[4] >> 16 & 0x7ff) : 0;
        env->fpu_fdp = v[5];
        env->fpu_fds = (uint16_t)v[6];
    }
    fpu_update_es(env);
    return 7 * w;
}

static void fpu_fnstenv(CpuState *env, const FpuMem *m, bool op32)
{
    uint8_t b[28];
    int n = fpu_env_image(env, b, op32);
    fpu_probe(env, m, n);
    fpu_write(env, m, b, n);
    env->fpu_cw |= FX_EXC;   /* FNSTENV masks all exceptions after saving (SDM vol 2 FSTENV) */
    fpu_update_es(env);
}

static void fpu_fnsave(CpuState *env, const FpuMem *m, bool op32)
{
    uint8_t b[108];
    int n = fpu_env_image(env, b, op32);
    for (int i = 0; i < 8; i++)
        fx_store80(b + n + 10 * i, fpu_st(env, i));
    fpu_probe(env, m, n + 80);
    fpu_write(env, m, b, n + 80);
    fpu_reset(env);          /* FNSAVE then initializes the FPU like FNINIT */
    fpu_set_ferr(env, 0);
}

static void fpu_frstor(CpuState *env, const FpuMem *m, bool op32, bool regs)
{
    uint8_t b[108];
    int n = op32 ? 28 : 14;
    fpu_read(env, m, b, regs ? n + 80 : n);
    fpu_env_load(env, b, op32);
    if (regs)
        for (int i = 0; i < 8; i++)
            env->fpr[fpu_phys(env, i)] = fx_load80(b + n + 10 * i);
}

/* ---- FXSAVE / FXRSTOR (SDM vol 2 FXSAVE table 3-53; x87/MMX and MXCSR: this CPU has no SSE) ----
 * MXCSR exists only to be saved and restored (default 1F80H); MXCSR_MASK is written 0, which tells software the
 * default mask FFBFH (SDM vol 1 11.6.6: no DAZ), so FXRSTOR raises #GP(0) for any bit outside FFBFH. The XMM
 * register area (bytes 160..287) is written as zeros; bytes 288..511 (reserved, software) are left alone. */

enum { FPU_MXCSR_DEFAULT = 0x1f80, FPU_MXCSR_MASK = 0xffbf, FPU_FX_WRITTEN = 288 };

static uint32_t fpu_fx_area(CpuState *env, const FpuMem *m)
{
    uint32_t lin = fpu_lin(env, m, 512, false);
    if (lin & 15)
        cpu_raise_exception(env, EXC_GP, 0);   /* 16-byte alignment (SDM vol 2 FXSAVE) */
    return lin;
}

void helper_fxsave(CpuState *env, uint32_t off, uint32_t aux)
{
    FpuMem m = { off, (int)aux, (int)(aux & IRM_SEG_MASK) };
    uint8_t b[FPU_FX_WRITTEN];
    memset(b, 0, sizeof(b));
    fpu_fx_area(env, &m);
    le_put(b, env->fpu_cw, 2);
    le_put(b + 2, fpu_status_word(env), 2);
    b[4] = (uint8_t)~env->fpu_empty;          /* abridged tag: 1 = valid, per physical register */
    le_put(b + 6, env->fpu_fop, 2);
    le_put(b + 8, env->fpu_fip, 4);
    le_put(b + 12, env->fpu_fcs, 2);
    le_put(b + 16, env->fpu_fdp, 4);
    le_put(b + 20, env->fpu_fds, 2);
    le_put(b + 24, env->fpu_mxcsr_x ^ FPU_MXCSR_DEFAULT, 4);    /* MXCSR_MASK (28..31) stays 0: see above */
    for (int i = 0; i < 8; i++)
        fx_store80(b + 32 + 16 * i, fpu_st(env, i));
    fpu_probe(env, &m, FPU_FX_WRITTEN);
    fpu_write(env, &m, b, FPU_FX_WRITTEN);
}

void helper_fxrstor(CpuState *env, uint32_t off, uint32_t aux)
{
    FpuMem m = { off, (int)aux, (int)(aux & IRM_SEG_MASK) };
    uint8_t b[160];
    fpu_fx_area(env, &m);
    fpu_read(env, &m, b, 160);
    uint32_t mxcsr = (uint32_t)le_get(b + 24, 4);
    if (mxcsr & ~(uint32_t)FPU_MXCSR_MASK)
        cpu_raise_exception(env, EXC_GP, 0);   /* reserved MXCSR bits (SDM vol 2 FXRSTOR): nothing changed yet */
    env->fpu_mxcsr_x = mxcsr ^ FPU_MXCSR_DEFAULT;
    env->fpu_cw = (uint16_t)((le_get(b, 2) & 0x1f3f) | 0x40);
    uint16_t sw = (uint16_t)le_get(b + 2, 2);
    env->fpu_sw = sw & (uint16_t)~FX_TOP;
    env->fpu_top = (uint8_t)(sw >> 11 & 7);
    env->fpu_empty = (uint8_t)~b[4];
    env->fpu_fop = (uint16_t)(le_get(b + 6, 2) & 0x7ff);
    env->fpu_fip = (uint32_t)le_get(b + 8, 4);
    env->fpu_fcs = (uint16_t)le_get(b + 12, 2);
    env->fpu_fdp = (uint32_t)le_get(b + 16, 4);
    env->fpu_fds = (uint16_t)le_get(b + 20, 2);
    for (int i = 0; i < 8; i++)
        env->fpr[fpu_phys(env, i)] = fx_load80(b + 32 + 16 * i);
    fpu_update_es(env);
}

/* ---- memory forms (SDM vol 2 table A-7..A-22) ---- */

static void fpu_mem_control(CpuState *env, int esc, int reg, const FpuMem *m, bool op32)
{
    uint8_t b[2];
    switch (esc << 3 | reg) {
    case 1 << 3 | 4: fpu_frstor(env, m, op32, false); break;               /* FLDENV */
    case 1 << 3 | 5:                                                       /* FLDCW */
        fpu_read(env, m, b, 2);
        env->fpu_cw = (uint16_t)((le_get(b, 2) & 0x1f3f) | 0x40);
        fpu_update_es(env);
        break;
    case 1 << 3 | 6: fpu_fnstenv(env, m, op32); break;
    case 1 << 3 | 7:                                                       /* FNSTCW */
        le_put(b, env->fpu_cw, 2);
        fpu_probe(env, m, 2);
        fpu_write(env, m, b, 2);
        break;
    case 5 << 3 | 4: fpu_frstor(env, m, op32, true); break;
    case 5 << 3 | 6: fpu_fnsave(env, m, op32); break;
    case 5 << 3 | 7:                                                       /* FNSTSW m16 */
        le_put(b, fpu_status_word(env), 2);
        fpu_probe(env, m, 2);
        fpu_write(env, m, b, 2);
        break;
    }
}

static void fpu_exec_mem(CpuState *env, int esc, int modrm, const FpuMem *m, bool op32)
{
    /* per (escape, reg): load kind (L), store kind (S, +pop P) for D9 DB DD DF */
    int reg = modrm >> 3 & 7;
    bool control = (esc == 1 || esc == 5) && reg >= 4;
    bool nowait = control && (reg == 6 || reg == 7);
    if (!nowait)
        fpu_check_pending(env);
    if (control) {
        fpu_mem_control(env, esc, reg, m, op32);
        return;
    }
    if (!(esc & 1)) {
        fpu_mem_arith(env, esc, modrm, m);
        return;
    }
    static const int8_t kind[4][8] = {
        { K_F32, -1, K_F32, K_F32, -1, -1, -1, -1 },        /* D9: FLD FST FSTP m32fp */
        { K_I32, -1, K_I32, K_I32, -1, K_F80, -1, K_F80 },  /* DB: FILD FIST FISTP m32int, FLD FSTP m80 */
        { K_F64, -1, K_F64, K_F64, -1, -1, -1, -1 },        /* DD: FLD FST FSTP m64fp */
        { K_I16, -1, K_I16, K_I16, K_BCD, K_I64, K_BCD, K_I64 }, /* DF: FILD FIST FISTP m16, FBLD FILD FBSTP FISTP */
    };
    int k = kind[esc >> 1][reg];
    bool load = reg == 0 || (esc == 3 && reg == 5) || (esc == 7 && (reg == 4 || reg == 5));
    if (k < 0) {
        fpu_unimplemented(env, esc, modrm);   /* reserved: the decoder already made these #UD */
        return;
    }
    if (load)
        fpu_load_mem(env, esc, modrm, m, k);
    else
        fpu_store_mem(env, esc, modrm, m, k, reg != 2);
}

void helper_fpu_mem(CpuState *env, uint32_t a, uint32_t off, uint32_t aux)
{
    FpuMem m = { off, (int)aux, (int)(a >> 12 & 7) };
    fpu_exec_mem(env, (int)(a >> 8 & 7), (int)(a & 0xff), &m, (a >> 11 & 1) != 0);
}

void helper_fpu_wait(CpuState *env)
{
    fpu_check_pending(env);
}

/* ---- register forms ---- */

static void fpu_fld_st(CpuState *env, int i)
{
    FxCtx c = fpu_ctx(env);
    if (fpu_is_empty(env, i)) {   /* underflow wins over a full stack (C1 = 0, host x87) */
        if (fpu_stack_underflow(env))
            fpu_push(env, fx_indefinite());
        return;
    }
    fpu_push_checked(env, &c, fpu_st(env, i));
}

static void fpu_fst_st(CpuState *env, int i, bool pop)
{
    Fx80 v = fpu_st(env, 0);
    if (fpu_is_empty(env, 0)) {
        if (!fpu_stack_underflow(env))
            return;
        v = fx_indefinite();
    } else {
        fpu_commit(env, 0);
    }
    fpu_set(env, i, v);
    if (pop)
        fpu_pop(env);
}

static void fpu_fxch(CpuState *env, int i)
{
    if (fpu_is_empty(env, 0) || fpu_is_empty(env, i)) {
        if (!fpu_stack_underflow(env))
            return;
        if (fpu_is_empty(env, 0))
            fpu_set(env, 0, fx_indefinite());
        if (fpu_is_empty(env, i))
            fpu_set(env, i, fx_indefinite());
    } else {
        fpu_commit(env, 0);
    }
    Fx80 t = fpu_st(env, 0);
    fpu_set(env, 0, fpu_st(env, i));
    fpu_set(env, i, t);
}

/* FCHS FABS FSQRT FRNDINT and friends: ST(0) = fn(ST(0)); fn NULL = sign operation given by sign_op */
static void fpu_unary(CpuState *env, Fx80 (*fn)(FxCtx *, Fx80), int sign_op)
{
    if (fpu_is_empty(env, 0)) {
        if (fpu_stack_underflow(env))
            fpu_set(env, 0, fx_indefinite());
        return;
    }
    FxCtx c = fpu_ctx(env);
    Fx80 v = fpu_st(env, 0);
    if (fn)
        v = fn(&c, v);
    else
        v.se = (uint16_t)(sign_op ? v.se & 0x7fff : v.se ^ 0x8000);
    if (fpu_commit(env, c.sw))
        fpu_set(env, 0, v);
}

static void fpu_fxam(CpuState *env)
{
    Fx80 v = fpu_st(env, 0);
    uint16_t cc;
    if (fpu_is_empty(env, 0))
        cc = FX_C3 | FX_C0;
    else if (fx_is_unsupported(v))
        cc = 0;
    else if (fx_is_nan(v))
        cc = FX_C0;
    else if (fx_is_inf(v))
        cc = FX_C2 | FX_C0;
    else if (fx_is_zero(v))
        cc = FX_C3;
    else if (fx_is_denormal(v))
        cc = FX_C3 | FX_C2;
    else
        cc = FX_C2;
    fpu_set_cc(env, cc | (v.se >> 15 ? FX_C1 : 0));
}

/* FSCALE, FPREM, FPREM1: ST(0) = f(ST(0), ST(1)) */
static void fpu_binary01(CpuState *env, int which)
{
    if (fpu_is_empty(env, 0) || fpu_is_empty(env, 1)) {
        if (fpu_stack_underflow(env)) {
            fpu_set(env, 0, fx_indefinite());
            if (which)   /* FPREM/FPREM1 underflow: C2 cleared too (host x87) */
                env->fpu_sw &= (uint16_t)~FX_C2;
        }
        return;
    }
    FxCtx c = fpu_ctx(env);
    unsigned q = 0;
    bool partial = false;
    Fx80 r = which == 0 ? fx_scale(&c, fpu_st(env, 0), fpu_st(env, 1))
                        : fx_prem(&c, fpu_st(env, 0), fpu_st(env, 1), which == 2, &q, &partial);
    if (!fpu_commit(env, c.sw))
        return;
    fpu_set(env, 0, r);
    if (which && q > 7)   /* NaN or invalid operands: only C2 is cleared (host x87) */
        env->fpu_sw &= (uint16_t)~FX_C2;
    else if (which)
        fpu_set_cc(env, (q & 4 ? FX_C0 : 0) | (q & 2 ? FX_C3 : 0) | (q & 1 ? FX_C1 : 0) | (partial ? FX_C2 : 0));
}

static void fpu_fxtract(CpuState *env)
{
    FxCtx c = fpu_ctx(env);
    if (fpu_is_empty(env, 0)) {
        if (fpu_stack_underflow(env)) {
            fpu_set(env, 0, fx_indefinite());
            fpu_push(env, fx_indefinite());
        }
        return;
    }
    if (!(env->fpu_empty >> ((env->fpu_top - 1) & 7) & 1)) {
        if (fpu_stack_overflow(env)) {
            fpu_set(env, 0, fx_indefinite());
            fpu_push(env, fx_indefinite());
        }
        return;
    }
    Fx80 sig, e = fx_xtract(&c, fpu_st(env, 0), &sig);
    if (!fpu_commit(env, c.sw))
        return;
    fpu_set(env, 0, e);
    fpu_push(env, sig);
}

static void fpu_fcmov(CpuState *env, int esc, int reg, int i)
{
    uint32_t f = cpu_get_eflags(env);
    static const uint32_t mask[4] = { F_CF, F_ZF, F_CF | F_ZF, F_PF };
    bool cond = (f & mask[reg & 3]) != 0;
    if (esc == 3)
        cond = !cond;
    if (fpu_is_empty(env, 0) || fpu_is_empty(env, i)) {
        if (fpu_stack_underflow(env))
            fpu_set(env, 0, fx_indefinite());
        return;
    }
    if (cond)   /* C1 is left alone (host x87) */
        fpu_set(env, 0, fpu_st(env, i));
}

/* ---- transcendental instructions (the arithmetic is fpu_trans.c's) ---- */

/* Checks shared by the one-operand functions: returns true when *r is the answer (NaN, invalid). */
static bool fpu_trans_special(FxCtx *c, Fx80 x, Fx80 *r)
{
    if (fx_is_unsupported(x)) {
        c->sw |= FX_IE;
        *r = fx_indefinite();
        return true;
    }
    if (fx_is_nan(x)) {
        if (fx_is_snan(x))
            c->sw |= FX_IE;
        x.m |= 1ull << 62;
        *r = x;
        return true;
    }
    if (fx_is_denormal(x))
        c->sw |= FX_DE;
    return false;
}

/* FSIN FCOS FSINCOS FPTAN: 0 sin, 1 cos, 2 sincos, 3 ptan (SDM vol 2: |x| >= 2^63 sets C2, operand unchanged) */
static void fpu_trig(CpuState *env, int kind)
{
    bool two = kind >= 2;
    if (fpu_is_empty(env, 0) || (two && !(env->fpu_empty >> ((env->fpu_top - 1) & 7) & 1))) {
        bool under = fpu_is_empty(env, 0);
        if (under ? fpu_stack_underflow(env) : fpu_stack_overflow(env)) {
            fpu_set(env, 0, fx_indefinite());
            if (two)
                fpu_push(env, fx_indefinite());
        }
        return;
    }
    FxCtx c = fpu_ctx(env);
    Fx80 x = fpu_st(env, 0), r1, r2 = { 1ull << 63, 0x3fff };
    if (fpu_trans_special(&c, x, &r1)) {
        r2 = r1;
    } else if (fx_is_inf(x)) {
        c.sw |= FX_IE;
        r1 = r2 = fx_indefinite();
    } else if ((x.se & 0x7fff) >= 0x3fff + 63) {
        env->fpu_sw |= FX_C2;   /* out of range: no change */
        return;
    } else if (fx_is_zero(x)) {
        r1 = kind == 1 ? (Fx80){ 1ull << 63, 0x3fff } : x;   /* sin, tan: the signed zero; cos 0 = 1, exact */
    } else {
        fx_trig(&c, x, kind, &r1, &r2);
    }
    if (!fpu_commit(env, c.sw))
        return;
    env->fpu_sw &= (uint16_t)~FX_C2;
    fpu_set(env, 0, kind == 2 ? r1 : r1);
    if (two)
        fpu_push(env, r2);
}

/* F2XM1 FYL2X FYL2XP1 FPATAN: kind 0 f2xm1, 1 fyl2x, 2 fyl2xp1, 3 fpatan. The two-operand ones write ST(1) and pop. */
static void fpu_log_exp(CpuState *env, int kind)
{
    bool two = kind != 0;
    if (fpu_is_empty(env, 0) || (two && fpu_is_empty(env, 1))) {
        if (fpu_stack_underflow(env)) {
            fpu_set(env, two ? 1 : 0, fx_indefinite());
            if (two)
                fpu_pop(env);
        }
        return;
    }
    FxCtx c = fpu_ctx(env);
    Fx80 x = fpu_st(env, 0), y = fpu_st(env, 1), r;
    if (kind == 1) {
        r = fx_fyl2x(&c, x, y);
    } else if (kind == 2) {
        r = fx_fyl2xp1(&c, x, y);
    } else if (kind == 3) {
        r = fx_fpatan(&c, x, y);
    } else {
        r = fx_f2xm1(&c, x);
    }
    if (!fpu_commit(env, c.sw))
        return;
    fpu_set(env, two ? 1 : 0, r);
    if (two)
        fpu_pop(env);
}

/* D9 E0..FF */
static void fpu_reg_d9_misc(CpuState *env, int modrm)
{
    FxCtx c = fpu_ctx(env);
    switch (modrm) {
    case 0xe0: fpu_unary(env, NULL, 0); break;                    /* FCHS */
    case 0xe1: fpu_unary(env, NULL, 1); break;                    /* FABS */
    case 0xe4: fpu_fcom(env, &c, (Fx80){ 0, 0 }, false, false, 0); break;   /* FTST */
    case 0xe5: fpu_fxam(env); break;
    case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
        fpu_push_checked(env, &c, fx_const(&c, modrm - 0xe8));    /* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ */
        break;
    case 0xf4: fpu_fxtract(env); break;
    case 0xf5: fpu_binary01(env, 2); break;                       /* FPREM1 */
    case 0xf6: env->fpu_top = (env->fpu_top - 1) & 7; fpu_commit(env, 0); break;   /* FDECSTP: C1 = 0 only */
    case 0xf7: env->fpu_top = (env->fpu_top + 1) & 7; fpu_commit(env, 0); break;   /* FINCSTP */
    case 0xf8: fpu_binary01(env, 1); break;                       /* FPREM */
    case 0xfa: fpu_unary(env, fx_sqrt, 0); break;
    case 0xfc: fpu_unary(env, fx_round_int, 0); break;
    case 0xfd: fpu_binary01(env, 0); break;                       /* FSCALE */
    case 0xf0: fpu_log_exp(env, 0); break;                        /* F2XM1 */
    case 0xf1: fpu_log_exp(env, 1); break;                        /* FYL2X */
    case 0xf2: fpu_trig(env, 3); break;                           /* FPTAN */
    case 0xf3: fpu_log_exp(env, 3); break;                        /* FPATAN */
    case 0xf9: fpu_log_exp(env, 2); break;                        /* FYL2XP1 */
    case 0xfb: fpu_trig(env, 2); break;                           /* FSINCOS */
    case 0xfe: fpu_trig(env, 0); break;                           /* FSIN */
    case 0xff: fpu_trig(env, 1); break;                           /* FCOS */
    default: fpu_unimplemented(env, 1, modrm); break;
    }
}

static void fpu_reg_arith(CpuState *env, int esc, int reg, int i)
{
    FxCtx c = fpu_ctx(env);
    if (esc == 0) {
        if (reg == 2 || reg == 3)
            fpu_fcom(env, &c, fpu_st(env, i), fpu_is_empty(env, i), false, reg - 2);   /* FCOM(P) ST(i) */
        else
            fpu_arith(env, &c, reg, 0, fpu_st(env, i), fpu_is_empty(env, i), false);
        return;
    }
    /* DC / DE: ST(i) = ST(i) op ST(0); the sub/div encodings are reversed relative to D8 (SDM vol 2 A.5) */
    if (reg == 2 || reg == 3) {             /* FCOM2, FCOMP3, FCOMP5 aliases; DE D9 = FCOMPP */
        bool compp = esc == 6 && reg == 3;
        fpu_fcom(env, &c, fpu_st(env, i), fpu_is_empty(env, i), false, compp ? 2 : esc == 6 ? 1 : reg - 2);
        return;
    }
    fpu_arith(env, &c, reg >= 4 ? reg ^ 1 : reg, i, fpu_st(env, 0), fpu_is_empty(env, 0), esc == 6);
}

static void fpu_exec_reg(CpuState *env, int esc, int modrm)
{
    int reg = modrm >> 3 & 7, i = modrm & 7;
    FxCtx c = fpu_ctx(env);
    /* FNCLEX, FNINIT, FNSTSW AX and the 8087/287 leftovers FENI FDISI FSETPM neither wait nor count as the last
     * instruction (SDM vol 1 8.1.8, 8.3.12) */
    if (esc == 3 && reg == 4) {
        if (modrm == 0xe2) {
            env->fpu_sw &= (uint16_t)~(FX_EXC | FX_SF | FX_ES | FX_B);
            fpu_set_ferr(env, 0);
        } else if (modrm == 0xe3) {
            fpu_reset(env);
            fpu_set_ferr(env, 0);
        }
        return;
    }
    if (esc == 7 && reg == 4) {
        env->t[G_EAX] = (env->t[G_EAX] & 0xffff0000u) | fpu_status_word(env);
        return;
    }
    fpu_check_pending(env);
    fpu_note_insn(env, esc, modrm);
    switch (esc << 3 | reg) {
    case 0 << 3 ... 0 << 3 | 7: case 4 << 3 ... 4 << 3 | 7: case 6 << 3 ... 6 << 3 | 7:
        fpu_reg_arith(env, esc, reg, i);
        break;
    case 1 << 3 | 0: fpu_fld_st(env, i); break;
    case 1 << 3 | 1: case 5 << 3 | 1: case 7 << 3 | 1: fpu_fxch(env, i); break;   /* FXCH, FXCH4, FXCH7 */
    case 1 << 3 | 2: break;                                                        /* FNOP */
    case 1 << 3 | 3: case 7 << 3 | 2: case 7 << 3 | 3: fpu_fst_st(env, i, true); break;  /* FSTP1/8/9 */
    case 1 << 3 | 4 ... 1 << 3 | 7: fpu_reg_d9_misc(env, modrm); break;
    case 2 << 3 | 0 ... 2 << 3 | 3: case 3 << 3 | 0 ... 3 << 3 | 3: fpu_fcmov(env, esc, reg, i); break;
    case 2 << 3 | 5: fpu_fcom(env, &c, fpu_st(env, 1), fpu_is_empty(env, 1), true, 2); break;   /* FUCOMPP */
    case 3 << 3 | 5: fpu_fcomi(env, i, true, false); break;                        /* FUCOMI */
    case 3 << 3 | 6: fpu_fcomi(env, i, false, false); break;                       /* FCOMI */
    case 5 << 3 | 0:                                                               /* FFREE: C1 = 0 */
        env->fpu_empty |= (uint8_t)(1u << fpu_phys(env, i));
        fpu_commit(env, 0);
        break;
    case 5 << 3 | 2: fpu_fst_st(env, i, false); break;
    case 5 << 3 | 3: fpu_fst_st(env, i, true); break;
    case 5 << 3 | 4: fpu_fcom(env, &c, fpu_st(env, i), fpu_is_empty(env, i), true, 0); break;  /* FUCOM */
    case 5 << 3 | 5: fpu_fcom(env, &c, fpu_st(env, i), fpu_is_empty(env, i), true, 1); break;  /* FUCOMP */
    case 7 << 3 | 0:                                                               /* FFREEP */
        env->fpu_empty |= (uint8_t)(1u << fpu_phys(env, i));
        fpu_commit(env, 0);
        fpu_pop(env);
        break;
    case 7 << 3 | 5: fpu_fcomi(env, i, true, true); break;                         /* FUCOMIP */
    case 7 << 3 | 6: fpu_fcomi(env, i, false, true); break;                        /* FCOMIP */
    default: fpu_unimplemented(env, esc, modrm); break;
    }
}

void helper_fpu_reg(CpuState *env, uint32_t a)
{
    fpu_exec_reg(env, (int)(a >> 8 & 7), (int)(a & 0xff));
}

void helper_fpu_reg_gpr(CpuState *env, uint32_t a)
{
    fpu_exec_reg(env, (int)(a >> 8 & 7), (int)(a & 0xff));
}

/* ---- MMX (SDM vol 1 chapter 9, vol 2; aliased onto R0-R7, SDM vol 1 9.5) ----
 * MMn is fpr[n].m. Every MMX instruction except EMMS sets TOP = 0 and all tags valid; a write to MMn also sets
 * R n's exponent field to all ones. A pending unmasked x87 exception is delivered (#MF) first. */

static void mmx_enter(CpuState *env)
{
    fpu_check_pending(env);
    env->fpu_top = 0;
    env->fpu_empty = 0;
}

static void mmx_set(CpuState *env, int n, uint64_t v)
{
    env->fpr[n].m = v;
    env->fpr[n].se = 0xffff;
}

static int64_t mmx_sext(uint64_t v, int bits) { return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits); }

static int64_t mmx_sat_s(int64_t v, int bits)
{
    int64_t hi = (1ll << (bits - 1)) - 1, lo = -hi - 1;
    return v > hi ? hi : v < lo ? lo : v;
}

static int64_t mmx_sat_u(int64_t v, int bits)
{
    int64_t hi = (1ll << bits) - 1;
    return v > hi ? hi : v < 0 ? 0 : v;
}

enum { MX_ADD, MX_SUB, MX_ADDS, MX_SUBS, MX_ADDUS, MX_SUBUS, MX_CMPEQ, MX_CMPGT, MX_MULL, MX_MULH };

/* one lane operation on lanes of `bits` bits; a and b are the lanes sign- or zero-extended as op needs */
static int64_t mmx_lane(int op, int64_t a, int64_t b, int bits)
{
    switch (op) {
    case MX_ADD: return a + b;
    case MX_SUB: return a - b;
    case MX_ADDS: return mmx_sat_s(a + b, bits);
    case MX_SUBS: return mmx_sat_s(a - b, bits);
    case MX_ADDUS: return mmx_sat_u(a + b, bits);
    case MX_SUBUS: return mmx_sat_u(a - b, bits);
    case MX_CMPEQ: return a == b ? -1 : 0;
    case MX_CMPGT: return a > b ? -1 : 0;
    case MX_MULL: return a * b;
    default: return (a * b) >> 16;
    }
}

static uint64_t mmx_map(int op, uint64_t a, uint64_t b, int bits)
{
    bool sgn = op == MX_ADDS || op == MX_SUBS || op == MX_CMPGT || op == MX_MULL || op == MX_MULH;
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1, r = 0;
    for (int i = 0; i < 64; i += bits) {
        uint64_t x = a >> i & mask, y = b >> i & mask;
        int64_t xs = sgn ? mmx_sext(x, bits) : (int64_t)x, ys = sgn ? mmx_sext(y, bits) : (int64_t)y;
        r |= ((uint64_t)mmx_lane(op, xs, ys, bits) & mask) << i;
    }
    return r;
}

/* shifts: kind 0 logical right, 1 arithmetic right, 2 left; counts above the lane width clear (or sign-fill) */
static uint64_t mmx_shift(int kind, uint64_t a, uint64_t count, int bits)
{
    uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1, r = 0;
    for (int i = 0; i < 64; i += bits) {
        uint64_t x = a >> i & mask, v;
        if (kind == 1)
            v = (uint64_t)(mmx_sext(x, bits) >> (count > (uint64_t)bits - 1 ? bits - 1 : (int)count));
        else if (count > (uint64_t)bits - 1)
            v = 0;
        else
            v = kind == 0 ? x >> count : x << count;
        r |= (v & mask) << i;
    }
    return r;
}

/* PACKSSWB / PACKUSWB / PACKSSDW: lanes of a then b, narrowed with saturation */
static uint64_t mmx_pack(uint64_t a, uint64_t b, int bits, bool usat)
{
    uint64_t r = 0;
    int n = 64 / bits, out = bits / 2;
    for (int i = 0; i < 2 * n; i++) {
        uint64_t src = i < n ? a : b;
        int64_t v = mmx_sext(src >> (bits * (i % n)), bits);
        v = usat ? mmx_sat_u(v, out) : mmx_sat_s(v, out);
        r |= ((uint64_t)v & ((1ull << out) - 1)) << (out * i);
    }
    return r;
}

/* PUNPCKL* / PUNPCKH*: interleave lanes of the low (or high) halves of a and b */
static uint64_t mmx_unpack(uint64_t a, uint64_t b, int bits, bool high)
{
    uint64_t mask = (1ull << bits) - 1, r = 0;
    int n = 32 / bits;
    if (high) {
        a >>= 32;
        b >>= 32;
    }
    for (int i = 0; i < n; i++) {
        r |= (a >> (bits * i) & mask) << (2 * bits * i);
        r |= (b >> (bits * i) & mask) << (2 * bits * i + bits);
    }
    return r;
}

static uint64_t mmx_pmaddwd(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (int i = 0; i < 2; i++) {
        int64_t s = mmx_sext(a >> (32 * i), 16) * mmx_sext(b >> (32 * i), 16) +
                    mmx_sext(a >> (32 * i + 16), 16) * mmx_sext(b >> (32 * i + 16), 16);
        r |= ((uint64_t)s & 0xffffffffu) << (32 * i);
    }
    return r;
}

/* The two-operand MMX arithmetic by opcode (0F xx): dst = f(dst, src) */
static uint64_t mmx_alu(int opc, uint64_t d, uint64_t s)
{
    switch (opc) {
    case 0x60: return mmx_unpack(d, s, 8, false);
    case 0x61: return mmx_unpack(d, s, 16, false);
    case 0x62: return mmx_unpack(d, s, 32, false);
    case 0x63: return mmx_pack(d, s, 16, false);
    case 0x64: return mmx_map(MX_CMPGT, d, s, 8);
    case 0x65: return mmx_map(MX_CMPGT, d, s, 16);
    case 0x66: return mmx_map(MX_CMPGT, d, s, 32);
    case 0x67: return mmx_pack(d, s, 16, true);
    case 0x68: return mmx_unpack(d, s, 8, true);
    case 0x69: return mmx_unpack(d, s, 16, true);
    case 0x6a: return mmx_unpack(d, s, 32, true);
    case 0x6b: return mmx_pack(d, s, 32, false);
    case 0x74: return mmx_map(MX_CMPEQ, d, s, 8);
    case 0x75: return mmx_map(MX_CMPEQ, d, s, 16);
    case 0x76: return mmx_map(MX_CMPEQ, d, s, 32);
    case 0xd1: return mmx_shift(0, d, s, 16);
    case 0xd2: return mmx_shift(0, d, s, 32);
    case 0xd3: return mmx_shift(0, d, s, 64);
    case 0xd5: return mmx_map(MX_MULL, d, s, 16);
    case 0xd8: return mmx_map(MX_SUBUS, d, s, 8);
    case 0xd9: return mmx_map(MX_SUBUS, d, s, 16);
    case 0xdb: return d & s;
    case 0xdc: return mmx_map(MX_ADDUS, d, s, 8);
    case 0xdd: return mmx_map(MX_ADDUS, d, s, 16);
    case 0xdf: return ~d & s;
    case 0xe1: return mmx_shift(1, d, s, 16);
    case 0xe2: return mmx_shift(1, d, s, 32);
    case 0xe5: return mmx_map(MX_MULH, d, s, 16);
    case 0xe8: return mmx_map(MX_SUBS, d, s, 8);
    case 0xe9: return mmx_map(MX_SUBS, d, s, 16);
    case 0xeb: return d | s;
    case 0xec: return mmx_map(MX_ADDS, d, s, 8);
    case 0xed: return mmx_map(MX_ADDS, d, s, 16);
    case 0xef: return d ^ s;
    case 0xf1: return mmx_shift(2, d, s, 16);
    case 0xf2: return mmx_shift(2, d, s, 32);
    case 0xf3: return mmx_shift(2, d, s, 64);
    case 0xf5: return mmx_pmaddwd(d, s);
    case 0xf8: return mmx_map(MX_SUB, d, s, 8);
    case 0xf9: return mmx_map(MX_SUB, d, s, 16);
    case 0xfa: return mmx_map(MX_SUB, d, s, 32);
    case 0xfc: return mmx_map(MX_ADD, d, s, 8);
    case 0xfd: return mmx_map(MX_ADD, d, s, 16);
    default: return mmx_map(MX_ADD, d, s, 32);   /* 0xfe */
    }
}

/* Immediate shift groups 0F 71/72/73: /2 logical right, /4 arithmetic right, /6 left */
static uint64_t mmx_shift_imm(int opc, int reg, uint64_t v, uint8_t imm)
{
    static const int bits[3] = { 16, 32, 64 };
    return mmx_shift(reg == 2 ? 0 : reg == 4 ? 1 : 2, v, imm, bits[opc - 0x71]);
}

/* a = opcode low byte | modrm << 8 | imm8 << 16; b = offset, c = IRM aux for memory forms (the decoder made every
 * invalid form #UD). */
void helper_mmx(CpuState *env, uint32_t a, uint32_t off, uint32_t aux)
{
    int opc = a & 0xff, modrm = a >> 8 & 0xff, reg = modrm >> 3 & 7, rm = modrm & 7;
    bool mem = modrm < 0xc0;
    FpuMem m = { off, (int)aux, (int)(aux & IRM_SEG_MASK) };
    uint8_t b[8] = { 0 };
    if (opc == 0x7e || opc == 0x7f) {            /* MOVD m32, mm / MOVQ mm/m64, mm */
        int n = opc == 0x7e ? 4 : 8;
        if (mem)
            fpu_probe(env, &m, n);
        mmx_enter(env);
        if (!mem) {
            mmx_set(env, rm, env->fpr[reg].m);
            return;
        }
        le_put(b, env->fpr[reg].m, n);
        fpu_write(env, &m, b, n);
        return;
    }
    if (opc >= 0x71 && opc <= 0x73) {
        mmx_enter(env);
        mmx_set(env, rm, mmx_shift_imm(opc, reg, env->fpr[rm].m, (uint8_t)(a >> 16)));
        return;
    }
    /* PUNPCKL* read 32 bits from memory (SDM vol 2 PUNPCKLBW: mm/m32), MOVD 32, everything else 64 */
    int n = (opc >= 0x60 && opc <= 0x62) || opc == 0x6e ? 4 : 8;
    uint64_t src;
    if (mem) {
        fpu_read(env, &m, b, n);
        src = le_get(b, n);
    } else {
        src = env->fpr[rm].m;
    }
    mmx_enter(env);
    if (opc == 0x6e || opc == 0x6f)
        mmx_set(env, reg, src);                  /* MOVD mm, m32 (zero-extended) / MOVQ mm, mm/m64 */
    else
        mmx_set(env, reg, mmx_alu(opc, env->fpr[reg].m, src));
}

/* MOVD mm, r32 (0F 6E) and MOVD r32, mm (0F 7E) with a register operand: a = opcode | modrm << 8 */
void helper_mmx_gpr(CpuState *env, uint32_t a)
{
    int opc = a & 0xff, modrm = a >> 8 & 0xff, reg = modrm >> 3 & 7, rm = modrm & 7;
    mmx_enter(env);
    if (opc == 0x6e)
        mmx_set(env, reg, env->t[G_EAX + rm]);
    else
        env->t[G_EAX + rm] = (uint32_t)env->fpr[reg].m;
}

void helper_emms(CpuState *env)
{
    fpu_check_pending(env);
    env->fpu_empty = 0xff;
}
