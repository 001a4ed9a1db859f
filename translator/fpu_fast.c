/* fpu_fast.c — per-form x87 helpers for the common instructions, decoded at translation time (xlat_fpu.c): register
 * and m32fp/m64fp arithmetic and compares (FCOM/FUCOM/FCOMI families), FLD/FST/FSTP/FXCH ST(i), FLD/FILD and
 * FST(P)/FIST(P) of memory. Each handles only the ordinary case and
 * otherwise calls the generic helper (fpu.c: helper_fpu_reg / helper_fpu_mem) with the same descriptor, before
 * changing anything, so the result is always what the generic path computes.
 * The ordinary case: no unmasked exception pending (ES clear: nothing to deliver, SDM vol 1 8.6), the control word
 * masks every exception (then no outcome writes ES or forbids a store: the commit is one status-word merge), the
 * register operands are in use (no stack fault), and a memory operand lies in one page that the TLB maps (no
 * segment check needed: flat segments; no fault possible). The arithmetic itself is fpu_soft.c's (fast paths for
 * normal operands there), so every result, flag and C1 is bit-identical to the generic helper's.
 * Invariants: the same FIP/FOP/FDP/FDS bookkeeping as fpu.c (SDM vol 1 8.1.8); helpers.def flags as the generic ones.
 * Left out: FTST/FXAM, FCHS/FABS/FSQRT and the other one-operand forms, integer
 * arithmetic forms (FIADD ...), m80/BCD. */
#include <string.h>
#include "cpu.h"
#include "mmu.h"
#include "helpers.h"

/* all six exceptions masked (FCW bits 0-5) */
static bool fpu_fast_ok(const CpuState *env)
{
    return !(env->fpu_sw & FX_ES) && (env->fpu_cw & FX_EXC) == FX_EXC;
}

static void fpu_fast_commit(CpuState *env, uint16_t flags)
{
    env->fpu_sw = (uint16_t)((env->fpu_sw & ~FX_C1) | (flags & (FX_EXC | FX_C1)));
}

static void fpu_fast_note(CpuState *env, uint32_t desc)
{
    env->fpu_fop = (uint16_t)(desc & 0x7ff);
    env->fpu_fip = env->fpu_insn_eip;
    env->fpu_fcs = env->seg[SEG_CS].sel;
}

static void fpu_fast_note_data(CpuState *env, uint32_t desc, uint32_t off)
{
    int seg = (int)(desc >> 12 & 7);
    env->fpu_fdp = off;
    env->fpu_fds = env->seg[seg <= SEG_GS ? seg : SEG_DS].sel;
}

/* dst op src for the D8 ModRM.reg encoding: 0 add, 1 mul, 4 sub, 5 subr, 6 div, 7 divr (as fpu.c's fpu_calc) */
static Fx80 fpu_fast_calc(FxCtx *c, int op, Fx80 dst, Fx80 src)
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

/* host pointer to the operand, or NULL when the generic path must do the access (segment check, TLB miss, MMIO,
 * code page, page crossing) */
static uint8_t *fpu_fast_ptr(CpuState *env, uint32_t off, uint32_t aux, int n, bool write)
{
    int seg = (int)(aux & IRM_SEG_MASK);
    uint32_t lin = off;
    if (seg <= SEG_GS) {
        if (aux & IRM_CHECK)
            return NULL;
        lin += env->seg[seg].base;
    }
    return mmu_tlb_host_ptr(env, lin, n, (aux & IRM_USER) ? MMU_USER : MMU_KERNEL, write);
}

void helper_fpu_arith_st(CpuState *env, uint32_t a)
{
    int op = (int)(a >> 16 & 7), d = (int)(a >> 20 & 7), s = (int)(a >> 24 & 7);
    int pd = (env->fpu_top + d) & 7, ps = (env->fpu_top + s) & 7;
    if (!fpu_fast_ok(env) || ((env->fpu_empty >> pd | env->fpu_empty >> ps) & 1)) {
        helper_fpu_reg(env, a & 0xffff);
        return;
    }
    FxCtx c = { env->fpu_cw, 0 };
    Fx80 r = fpu_fast_calc(&c, op, env->fpr[pd], env->fpr[ps]);
    fpu_fast_note(env, a);
    fpu_fast_commit(env, c.sw);
    env->fpr[pd] = r;
    if (a >> 28 & 1) {
        env->fpu_empty |= (uint8_t)(1u << env->fpu_top);
        env->fpu_top = (env->fpu_top + 1) & 7;
    }
}

/* FLD ST(i) (kind 0), FST ST(i) (1), FSTP ST(i) (2), FXCH ST(i) (3): a = desc | kind << 16 | i << 20. With the
 * operands present (and ST(7) free for FLD) nothing can raise an exception; C1 = 0 as fpu.c sets it. */
void helper_fpu_stack(CpuState *env, uint32_t a)
{
    int kind = (int)(a >> 16 & 3), top = env->fpu_top, p0 = top, pi = (top + (int)(a >> 20 & 7)) & 7;
    uint8_t empty = env->fpu_empty;
    bool ok = !(env->fpu_sw & FX_ES) && !(empty >> pi & 1);
    if (kind == 0)
        ok = ok && (empty >> ((top - 1) & 7) & 1);
    else
        ok = ok && !(empty >> p0 & 1);
    if (!ok) {
        helper_fpu_reg(env, a & 0xffff);
        return;
    }
    fpu_fast_note(env, a);
    env->fpu_sw &= (uint16_t)~FX_C1;
    Fx80 t = env->fpr[p0];
    switch (kind) {
    case 0:
        env->fpu_top = (uint8_t)((top - 1) & 7);
        env->fpr[env->fpu_top] = env->fpr[pi];
        env->fpu_empty = (uint8_t)(empty & ~(1u << env->fpu_top));
        break;
    case 3:
        env->fpr[p0] = env->fpr[pi];
        env->fpr[pi] = t;
        break;
    default:
        env->fpr[pi] = t;
        if (kind == 2) {
            env->fpu_empty = (uint8_t)(empty | 1u << top);
            env->fpu_top = (uint8_t)((top + 1) & 7);
        }
        break;
    }
}

static const uint16_t fpu_fast_cc[4] = { 0, FX_C0, FX_C3, FX_C0 | FX_C2 | FX_C3 };   /* >, <, =, unordered */

static void fpu_fast_pop(CpuState *env, int n)
{
    while (n-- > 0) {
        env->fpu_empty |= (uint8_t)(1u << env->fpu_top);
        env->fpu_top = (env->fpu_top + 1) & 7;
    }
}

/* FCOM/FCOMP/FUCOM/FUCOMP ST(i), FCOMPP, FUCOMPP (SDM vol 2: C3 C2 C0 from the comparison, C1 = 0), and with
 * gpr FCOMI/FUCOMI/FCOMIP/FUCOMIP (ZF PF CF; C1 unchanged without underflow):
 * a = desc | i << 16 | npop << 20 | quiet << 22 | eflags << 23 */
static void fpu_fast_com(CpuState *env, uint32_t a)
{
    int pi = (env->fpu_top + (int)(a >> 16 & 7)) & 7;
    bool eflags = a >> 23 & 1;
    if (!fpu_fast_ok(env) || ((env->fpu_empty >> env->fpu_top | env->fpu_empty >> pi) & 1)) {
        if (eflags)
            helper_fpu_reg_gpr(env, a & 0xffff);
        else
            helper_fpu_reg(env, a & 0xffff);
        return;
    }
    static const uint32_t zpc[4] = { 0, F_CF, F_ZF, F_ZF | F_PF | F_CF };
    FxCtx c = { env->fpu_cw, 0 };
    int r = fx_compare(&c, env->fpr[env->fpu_top], env->fpr[pi], a >> 22 & 1);
    fpu_fast_note(env, a);
    uint16_t sw = (uint16_t)(env->fpu_sw | (c.sw & FX_EXC));
    if (eflags)
        cpu_set_eflags(env, zpc[r], F_ARITH);
    else
        sw = (uint16_t)((sw & ~(FX_C0 | FX_C1 | FX_C2 | FX_C3)) | fpu_fast_cc[r]);
    env->fpu_sw = sw;
    fpu_fast_pop(env, (int)(a >> 20 & 3));
}

void helper_fpu_com_st(CpuState *env, uint32_t a) { fpu_fast_com(env, a & ~(1u << 23)); }
void helper_fpu_comi_st(CpuState *env, uint32_t a) { fpu_fast_com(env, a | 1u << 23); }

/* a = desc | op << 16 | (m64 ? 1 : 0) << 20; op 2/3: FCOM/FCOMP m32fp/m64fp */
void helper_fpu_arith_m(CpuState *env, uint32_t a, uint32_t off, uint32_t aux)
{
    bool m64 = a >> 20 & 1;
    const uint8_t *p = fpu_fast_ok(env) && !(env->fpu_empty >> env->fpu_top & 1) ?
                       fpu_fast_ptr(env, off, aux, m64 ? 8 : 4, false) : NULL;
    uint64_t v = 0;
    if (p)
        memcpy(&v, p, m64 ? 8 : 4);   /* little-endian hosts (fpu.c's le_get) */
    /* only normal memory operands: no SNaN/denormal quirks of the generic path to repeat */
    uint32_t e = m64 ? (uint32_t)(v >> 52 & 0x7ff) : (uint32_t)(v >> 23 & 0xff), emax = m64 ? 0x7ff : 0xff;
    if (!p || e == 0 || e == emax) {
        helper_fpu_mem(env, a & 0xffff, off, aux);
        return;
    }
    FxCtx c = { env->fpu_cw, 0 };
    Fx80 src = m64 ? fx_from_f64(&c, v) : fx_from_f32(&c, (uint32_t)v);
    int op = (int)(a >> 16 & 7);
    fpu_fast_note(env, a);
    fpu_fast_note_data(env, a, off);
    if (op == 2 || op == 3) {
        int r = fx_compare(&c, env->fpr[env->fpu_top], src, false);
        env->fpu_sw = (uint16_t)(((env->fpu_sw | (c.sw & FX_EXC)) & ~(FX_C0 | FX_C1 | FX_C2 | FX_C3)) | fpu_fast_cc[r]);
        fpu_fast_pop(env, op - 2);
        return;
    }
    Fx80 r = fpu_fast_calc(&c, op, env->fpr[env->fpu_top], src);
    fpu_fast_commit(env, c.sw);
    env->fpr[env->fpu_top] = r;
}

static const uint8_t fpu_fast_size[5] = { 4, 8, 2, 4, 8 };   /* FPK_F32 F64 I16 I32 I64 */

/* FLD m32fp/m64fp, FILD m16/m32/m64: a = desc | kind << 16 */
void helper_fpu_ld_m(CpuState *env, uint32_t a, uint32_t off, uint32_t aux)
{
    int kind = (int)(a >> 16 & 7), n = fpu_fast_size[kind], top = (env->fpu_top - 1) & 7;
    const uint8_t *p = fpu_fast_ok(env) && (env->fpu_empty >> top & 1) ? fpu_fast_ptr(env, off, aux, n, false) : NULL;
    if (!p) {
        helper_fpu_mem(env, a & 0xffff, off, aux);
        return;
    }
    uint64_t v = 0;
    memcpy(&v, p, (size_t)n);
    FxCtx c = { env->fpu_cw, 0 };
    Fx80 r;
    switch (kind) {
    case FPK_F32: r = fx_from_f32(&c, (uint32_t)v); break;
    case FPK_F64: r = fx_from_f64(&c, v); break;
    case FPK_I16: r = fx_from_int((int16_t)v); break;
    case FPK_I32: r = fx_from_int((int32_t)v); break;
    default: r = fx_from_int((int64_t)v); break;
    }
    fpu_fast_note(env, a);
    fpu_fast_note_data(env, a, off);
    fpu_fast_commit(env, c.sw);
    env->fpu_top = (uint8_t)top;
    env->fpr[top] = r;
    env->fpu_empty &= (uint8_t)~(1u << top);
}

/* FST/FSTP m32fp/m64fp, FIST/FISTP m16/m32, FISTP m64: a = desc | kind << 16 | pop << 20 */
void helper_fpu_st_m(CpuState *env, uint32_t a, uint32_t off, uint32_t aux)
{
    int kind = (int)(a >> 16 & 7), n = fpu_fast_size[kind], top = env->fpu_top;
    uint8_t *p = fpu_fast_ok(env) && !(env->fpu_empty >> top & 1) ? fpu_fast_ptr(env, off, aux, n, true) : NULL;
    if (!p) {
        helper_fpu_mem(env, a & 0xffff, off, aux);
        return;
    }
    FxCtx c = { env->fpu_cw, 0 };
    Fx80 x = env->fpr[top];
    bool ok;   /* always true: every exception is masked */
    uint64_t v;
    switch (kind) {
    case FPK_F32: v = fx_to_f32(&c, x, &ok); break;
    case FPK_F64: v = fx_to_f64(&c, x, &ok); break;
    case FPK_I16: v = (uint64_t)fx_to_int(&c, x, 16, &ok); break;
    case FPK_I32: v = (uint64_t)fx_to_int(&c, x, 32, &ok); break;
    default: v = (uint64_t)fx_to_int(&c, x, 64, &ok); break;
    }
    fpu_fast_note(env, a);
    fpu_fast_note_data(env, a, off);
    fpu_fast_commit(env, c.sw);
    memcpy(p, &v, (size_t)n);
    if (a >> 20 & 1) {
        env->fpu_empty |= (uint8_t)(1u << top);
        env->fpu_top = (top + 1) & 7;
    }
}
