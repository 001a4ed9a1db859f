/* test_fpu_native.c — translator/fpu_soft.c against the host x87, bit for bit (x86-64 hosts).
 * Each case runs one x87 operation natively with inline assembly after FNINIT + FLDCW (the same control word the
 * soft-float context gets), captures the status word with FNSTSW before FNCLEX, and compares the 80-bit (or
 * 16/32/64-bit integer, float32/64, BCD) result and the status bits IE DE ZE OE UE PE SF C1 (plus C0 C2 C3 for
 * compares). Operands: random and edge values (zeros, denormals, pseudo-denormals, unnormals, pseudo-NaN/infinity,
 * SNaN/QNaN payloads, exponents at the float32/float64/extended limits, significands with runs of ones and halfway
 * patterns at the 24/53/64-bit rounding positions), all four RC and the three PC settings; a quarter of the
 * arithmetic cases run with OE and UE unmasked (register results are then bias-adjusted, SDM vol 1 8.5.4).
 * Left out: non-x86-64 hosts (skipped); unmasked IE/DE/ZE (nothing is computed: fpu.c's business). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fpu_soft.h"

enum { CASES_PER_OP = 60000, MAX_REPORT = 8 };

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static uint32_t rnd(uint32_t n) { return (uint32_t)((rnd64() >> 20) % n); }

static uint64_t gen_mant(void)
{
    uint64_t r = rnd64();
    static const int pos[] = { 40, 39, 41, 11, 10, 12, 0, 1, 2 };
    switch (rnd(7)) {
    case 0: {
        int lo = (int)rnd(64), len = 1 + (int)rnd(64);
        uint64_t m = len >= 64 ? ~0ull : ((1ull << len) - 1);
        return m << lo | 1ull << 63;
    }
    case 1: return 1ull << 63;
    case 2: return 1ull << 63 | (r & ((1ull << rnd(64)) - 1));
    case 3: return ~0ull ^ (r & ((1ull << rnd(64)) - 1));
    case 4: {   /* halfway or just around it at a rounding position */
        int p = pos[rnd(9)];
        uint64_t m = (r | 1ull << 63) & ~((2ull << p) - 1);
        uint64_t tail = rnd(3) == 0 ? (1ull << p) - 1 : rnd(2) ? 1ull << p : (1ull << p) + 1;
        return m | (tail & ((2ull << p) - 1));
    }
    case 5: return (r | 1ull << 63) & ~((1ull << rnd(64)) - 1);   /* short significand */
    default: return r | 1ull << 63;
    }
}

static Fx80 gen_val(void)
{
    int s = (int)rnd(2) << 15;
    uint32_t k = rnd(100);
    uint64_t m = gen_mant();
    int e;
    if (k < 4)
        return (Fx80){ 0, (uint16_t)s };
    if (k < 8)
        return (Fx80){ 1ull << 63, (uint16_t)(s | 0x7fff) };
    if (k < 11)
        return (Fx80){ 3ull << 62 | rnd64() >> rnd(64), (uint16_t)(s | 0x7fff) };
    if (k < 14)
        return (Fx80){ 1ull << 63 | ((rnd64() >> 2 >> rnd(62)) | 1), (uint16_t)(s | 0x7fff) };
    if (k < 20)
        return (Fx80){ (m >> 1 >> rnd(63)) | 1, (uint16_t)s };
    if (k < 22)
        return (Fx80){ m, (uint16_t)s };                                /* pseudo-denormal */
    if (k < 23)
        return (Fx80){ m >> 1, (uint16_t)(s | (1 + rnd(0x7ffe))) };     /* unnormal */
    if (k < 24)
        return (Fx80){ m >> 1, (uint16_t)(s | 0x7fff) };                /* pseudo-NaN / pseudo-infinity */
    if (k < 32)
        e = 1 + (int)rnd(80);
    else if (k < 38)
        e = 0x7ffe - (int)rnd(80);
    else if (k < 50) {
        static const int lim[] = { 126, 127, 149, 150, 1022, 1023, 1074, 1075 };
        e = 16383 + (rnd(2) ? 1 : -1) * lim[rnd(8)] + (int)rnd(5) - 2;
    } else
        e = 16383 + (int)rnd(160) - 80;
    return (Fx80){ m, (uint16_t)(s | e) };
}

/* a second operand: often close to the first (cancellation, equal exponents) */
static Fx80 gen_related(Fx80 a)
{
    if (rnd(2))
        return gen_val();
    Fx80 b = a;
    int e = (a.se & 0x7fff) + (int)rnd(5) - 2;
    if (e > 0 && e < 0x7fff && (a.m >> 63))
        b.se = (uint16_t)(((a.se & 0x8000) ^ (rnd(2) << 15)) | e);
    b.m ^= rnd64() >> rnd(64);
    if ((b.se & 0x7fff) != 0)
        b.m |= 1ull << 63;
    return b;
}

static uint16_t gen_cw(bool unmask_ou)
{
    static const int pcs[] = { 0, 2, 3, 3, 1 };
    uint16_t cw = (uint16_t)(0x1040 | 0x3f | pcs[rnd(5)] << FX_PC_SHIFT | rnd(4) << FX_RC_SHIFT);
    if (unmask_ou && rnd(4) == 0)
        cw &= (uint16_t)~(FX_OE | FX_UE);
    return cw;
}

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SCALE, OP_COM, OP_UCOM, OP_SQRT, OP_RNDINT, OP_ST32, OP_ST64,
               OP_IST16, OP_IST32, OP_IST64, OP_BST, OP_XTRACT, OP_PREM, OP_PREM1, OP_CONST, OP_LD32, OP_LD64, OP_BLD,
               OP_COUNT } Op;
static const char *op_names[OP_COUNT] = { "add", "sub", "mul", "div", "scale", "fcom", "fucom", "sqrt", "rndint",
                                          "fst32", "fst64", "fist16", "fist32", "fist64", "fbstp", "fxtract",
                                          "fprem", "fprem1", "fldconst", "fld32", "fld64", "fbld" };

typedef struct Result { uint8_t out[10], out2[10]; uint16_t sw; } Result;

#if defined(__x86_64__)
#define NAT2(insn)                                                                                               \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[b]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfnclex\n\t" \
                     "fstpt %[o]\n\tfstp %%st(0)"                                                                \
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [sw] "=m"(r->sw)                                       \
                     : [a] "m"(*(const uint8_t(*)[10])ma), [b] "m"(*(const uint8_t(*)[10])mb), [cw] "m"(cw)      \
                     : "st", "st(1)")
#define NAT1(insn)                                                                                               \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[o]"    \
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [sw] "=m"(r->sw)                                       \
                     : [a] "m"(*(const uint8_t(*)[10])ma), [cw] "m"(cw)                                          \
                     : "st")
#define NATST(insn)                                                                                              \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\t" insn " %[o]\n\tfnstsw %[sw]\n\tfnclex"             \
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [sw] "=m"(r->sw)                                       \
                     : [a] "m"(*(const uint8_t(*)[10])ma), [cw] "m"(cw)                                          \
                     : "st")
#define NATLD(insn)                                                                                              \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" insn " %[a]\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[o]"            \
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [sw] "=m"(r->sw)                                       \
                     : [a] "m"(*(const uint8_t(*)[10])ma), [cw] "m"(cw)                                          \
                     : "st")

#define NAT0(insn)                                                                                               \
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\t" insn "\n\tfnstsw %[sw]\n\tfnclex\n\tfstpt %[o]"                  \
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [sw] "=m"(r->sw)                                       \
                     : [cw] "m"(cw)                                                                              \
                     : "st")

static void native_const(int idx, uint16_t cw, Result *r)
{
    switch (idx) {
    case 0: NAT0("fld1"); break;
    case 1: NAT0("fldl2t"); break;
    case 2: NAT0("fldl2e"); break;
    case 3: NAT0("fldpi"); break;
    case 4: NAT0("fldlg2"); break;
    case 5: NAT0("fldln2"); break;
    default: NAT0("fldz"); break;
    }
}

static void native_xtract(const uint8_t ma[10], uint16_t cw, Result *r)
{
    __asm__ volatile("fninit\n\tfldcw %[cw]\n\tfldt %[a]\n\tfxtract\n\tfnstsw %[sw]\n\tfnclex\n\t"
                     "fstpt %[o]\n\tfstpt %[o2]"
                     : [o] "=m"(*(uint8_t(*)[10])r->out), [o2] "=m"(*(uint8_t(*)[10])r->out2), [sw] "=m"(r->sw)
                     : [a] "m"(*(const uint8_t(*)[10])ma), [cw] "m"(cw)
                     : "st", "st(1)");
}

static void run_native(Op op, Fx80 a, Fx80 b, const uint8_t raw[10], uint16_t cw, Result *r)
{
    uint8_t ma[10], mb[10];
    fx_store80(ma, a);
    fx_store80(mb, b);
    memset(r->out, 0, 10);
    memset(r->out2, 0, 10);
    if (op >= OP_LD32)
        memcpy(ma, raw, 10);
    switch (op) {
    case OP_ADD: NAT2("fadd %%st(1), %%st"); break;
    case OP_SUB: NAT2("fsub %%st(1), %%st"); break;
    case OP_MUL: NAT2("fmul %%st(1), %%st"); break;
    case OP_DIV: NAT2("fdiv %%st(1), %%st"); break;
    case OP_SCALE: NAT2("fscale"); break;
    case OP_COM: NAT2("fcom %%st(1)"); break;
    case OP_UCOM: NAT2("fucom %%st(1)"); break;
    case OP_SQRT: NAT1("fsqrt"); break;
    case OP_RNDINT: NAT1("frndint"); break;
    case OP_ST32: NATST("fstps"); break;
    case OP_ST64: NATST("fstpl"); break;
    case OP_IST16: NATST("fistps"); break;
    case OP_IST32: NATST("fistpl"); break;
    case OP_IST64: NATST("fistpll"); break;
    case OP_BST: NATST("fbstp"); break;
    case OP_XTRACT: native_xtract(ma, cw, r); break;
    case OP_PREM: NAT2("fprem"); break;
    case OP_PREM1: NAT2("fprem1"); break;
    case OP_CONST: native_const(raw[0] % 7, cw, r); break;
    case OP_LD32: NATLD("flds"); break;
    case OP_LD64: NATLD("fldl"); break;
    case OP_BLD: NATLD("fbld"); break;
    default: break;
    }
}
#endif

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void run_soft(Op op, Fx80 a, Fx80 b, const uint8_t raw[10], uint16_t cw, Result *r)
{
    static const uint16_t cc[4] = { 0, FX_C0, FX_C3, FX_C0 | FX_C2 | FX_C3 };
    FxCtx c = { cw, 0 };
    bool ok, partial;
    unsigned q;
    Fx80 t;
    memset(r->out, 0, 10);
    memset(r->out2, 0, 10);
    switch (op) {
    case OP_ADD: fx_store80(r->out, fx_add(&c, a, b)); break;
    case OP_SUB: fx_store80(r->out, fx_sub(&c, a, b)); break;
    case OP_MUL: fx_store80(r->out, fx_mul(&c, a, b)); break;
    case OP_DIV: fx_store80(r->out, fx_div(&c, a, b)); break;
    case OP_SCALE: fx_store80(r->out, fx_scale(&c, a, b)); break;
    case OP_COM:
    case OP_UCOM: c.sw |= cc[fx_compare(&c, a, b, op == OP_UCOM)]; fx_store80(r->out, a); break;
    case OP_SQRT: fx_store80(r->out, fx_sqrt(&c, a)); break;
    case OP_RNDINT: fx_store80(r->out, fx_round_int(&c, a)); break;
    case OP_ST32: put_le(r->out, fx_to_f32(&c, a, &ok), 4); break;
    case OP_ST64: put_le(r->out, fx_to_f64(&c, a, &ok), 8); break;
    case OP_IST16: put_le(r->out, (uint64_t)fx_to_int(&c, a, 16, &ok), 2); break;
    case OP_IST32: put_le(r->out, (uint64_t)fx_to_int(&c, a, 32, &ok), 4); break;
    case OP_IST64: put_le(r->out, (uint64_t)fx_to_int(&c, a, 64, &ok), 8); break;
    case OP_BST: fx_to_bcd(&c, a, r->out); break;
    case OP_XTRACT: fx_store80(r->out2, fx_xtract(&c, a, &t)); fx_store80(r->out, t); break;
    case OP_PREM:
    case OP_PREM1:
        fx_store80(r->out, fx_prem(&c, a, b, op == OP_PREM1, &q, &partial));
        c.sw = (uint16_t)((c.sw & ~FX_C1) | (q & 4 ? FX_C0 : 0) | (q & 2 ? FX_C3 : 0) | (q & 1 ? FX_C1 : 0) |
                          (partial ? FX_C2 : 0));
        break;
    case OP_CONST: fx_store80(r->out, fx_const(&c, raw[0] % 7)); break;
    case OP_LD32: fx_store80(r->out, fx_from_f32(&c, (uint32_t)get_le(raw, 4))); break;
    case OP_LD64: fx_store80(r->out, fx_from_f64(&c, get_le(raw, 8))); break;
    case OP_BLD: fx_store80(r->out, fx_from_bcd(raw)); break;
    default: break;
    }
    r->sw = c.sw;
}

/* raw memory operand of a load: float32/64 bit patterns biased to specials, or BCD with valid digits */
static void gen_raw(Op op, uint8_t raw[10])
{
    uint64_t v = rnd64();
    memset(raw, 0, 10);
    if (op == OP_BLD) {
        for (int i = 0; i < 9; i++)
            raw[i] = (uint8_t)(rnd(10) | rnd(10) << 4);
        if (rnd(4) == 0)
            memset(raw, 0, rnd(10));
        raw[9] = (uint8_t)(rnd(2) << 7);
        return;
    }
    int eb = op == OP_LD32 ? 8 : 11, fb = op == OP_LD32 ? 23 : 52;
    switch (rnd(5)) {
    case 0: v &= ~(((1ull << eb) - 1) << fb); break;   /* zero / denormal */
    case 1: v |= ((1ull << eb) - 1) << fb; break;      /* infinity / NaN */
    case 2: v &= (1ull << (eb + fb)) | (((1ull << eb) - 1) << fb); break;
    default: break;
    }
    put_le(raw, v, 8);
}

static bool op_has_result80(Op op)
{
    return op <= OP_RNDINT || op >= OP_XTRACT;
}

static int run_op(Op op, int n)
{
    int bad = 0;
    uint16_t mask = FX_EXC | FX_SF | FX_C1;
    if (op == OP_COM || op == OP_UCOM || op == OP_PREM || op == OP_PREM1)
        mask |= FX_C0 | FX_C2 | FX_C3;
    static const int out_len[OP_COUNT] = { [OP_ST32] = 4, [OP_ST64] = 8, [OP_IST16] = 2, [OP_IST32] = 4,
                                           [OP_IST64] = 8, [OP_BST] = 10 };
    for (int i = 0; i < n; i++) {
        Fx80 a = gen_val(), b = gen_related(a);
        uint8_t raw[10];
        gen_raw(op, raw);
        uint16_t cw = gen_cw(op <= OP_SCALE || op == OP_SQRT);
        Result rn, rs;
#if defined(__x86_64__)
        run_native(op, a, b, raw, cw, &rn);
#endif
        run_soft(op, a, b, raw, cw, &rs);
        int len = op_has_result80(op) ? 10 : out_len[op];
        if (memcmp(rn.out, rs.out, (size_t)len) == 0 && memcmp(rn.out2, rs.out2, 10) == 0 &&
            ((rn.sw ^ rs.sw) & mask) == 0)
            continue;
        if (bad++ < MAX_REPORT) {
            Fx80 on = fx_load80(rn.out), os = fx_load80(rs.out);
            printf("%s cw=%04x a=%04x:%016llx b=%04x:%016llx raw=%016llx | native %04x:%016llx sw=%04x | soft "
                   "%04x:%016llx sw=%04x\n", op_names[op], cw, a.se, (unsigned long long)a.m, b.se,
                   (unsigned long long)b.m, (unsigned long long)get_le(raw, 8), on.se, (unsigned long long)on.m,
                   rn.sw & mask, os.se, (unsigned long long)os.m, rs.sw & mask);
        }
    }
    if (bad)
        printf("%s: %d of %d cases differ\n", op_names[op], bad, n);
    return bad;
}

START_TEST(fpu_native_diff)
{
#if defined(__x86_64__)
    int cases = CASES_PER_OP;
    const char *env = getenv("PCJIT_FPU_CASES");
    if (env)
        cases = atoi(env);
    int total_bad = 0;
    for (int op = 0; op < OP_COUNT; op++)
        total_bad += run_op((Op)op, cases);
    printf("fpu native diff: %d ops x %d cases, %d mismatches\n", OP_COUNT, cases, total_bad);
    ck_assert_int_eq(total_bad, 0);
#endif
}
END_TEST

static Suite *fpu_native_suite(void)
{
    Suite *s = suite_create("fpu_native");
    TCase *tc = tcase_create("x87 vs fpu_soft");
    tcase_add_test(tc, fpu_native_diff);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fpu_native_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
