/* test_fpu_native.c — translator/fpu_soft.c against the host x87, bit for bit (x86-64 hosts).
 * Each case runs one x87 operation natively with inline assembly after FNINIT + FLDCW (the same control word the
 * soft-float context gets), captures the status word with FNSTSW before FNCLEX, and compares the 80-bit (or
 * 16/32/64-bit integer, float32/64, BCD) result and the status bits IE DE ZE OE UE PE SF C1 (plus C0 C2 C3 for
 * compares). Operands: random and edge values (zeros, denormals, pseudo-denormals, unnormals, pseudo-NaN/infinity,
 * SNaN/QNaN payloads, exponents at the float32/float64/extended limits, significands with runs of ones and halfway
 * patterns at the 24/53/64-bit rounding positions), all four RC and the three PC settings; a quarter of the
 * arithmetic cases run with OE and UE unmasked (register results are then bias-adjusted, SDM vol 1 8.5.4).
 * The per-operation result hashes of the default run are committed (ref_hash): hosts without an x87 (aarch64) run
 * the same generated cases through fpu_soft and check them against those hashes (PCJIT_FPU_PRINT_REF=1 prints a
 * new table after a generator change). Also: random x87 programs run by pcjit (guest, flat 32-bit) and by the host,
 * comparing the FNSAVE image, memory results, AX and EFLAGS; and the accuracy of the transcendental instructions.
 * Left out: unmasked IE/DE/ZE in the operation table (nothing is computed: fpu.c's business, covered by the guest
 * tests in test_fpu_soft.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
/* the host has an x87 to compare with (FPU_TEST_NO_HOST builds the path other hosts take, for testing it) */
#if defined(__x86_64__) && !defined(FPU_TEST_NO_HOST)
#define HOST_X87 1
#else
#define HOST_X87 0
#endif
#if HOST_X87
#include <sys/mman.h>
#endif
#include "fpu_soft.h"
#include "harness.h"
#include "helpers.h"

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
    /* one rnd call per statement: argument and initializer evaluation order is unspecified in C, and the committed
     * reference hashes need the same cases from every compiler */
    uint64_t r = rnd64();
    if (k < 11)
        return (Fx80){ 3ull << 62 | r >> rnd(64), (uint16_t)(s | 0x7fff) };
    if (k < 14)
        return (Fx80){ 1ull << 63 | ((r >> 2 >> rnd(62)) | 1), (uint16_t)(s | 0x7fff) };
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
        int sgn = rnd(2) ? 1 : -1, l = lim[rnd(8)];
        e = 16383 + sgn * l + (int)rnd(5) - 2;
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
    uint64_t r = rnd64();
    b.m ^= r >> rnd(64);
    if ((b.se & 0x7fff) != 0)
        b.m |= 1ull << 63;
    return b;
}

static uint16_t gen_cw(bool unmask_ou)
{
    static const int pcs[] = { 0, 2, 3, 3, 1 };
    int pc = pcs[rnd(5)];
    uint16_t cw = (uint16_t)(0x1040 | 0x3f | pc << FX_PC_SHIFT | rnd(4) << FX_RC_SHIFT);
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

#if HOST_X87
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
        if (q < 8)
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
        for (int i = 0; i < 9; i++) {
            uint32_t lo = rnd(10);
            raw[i] = (uint8_t)(lo | rnd(10) << 4);
        }
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

/* FNV-1a over the soft results (equal to the host's when the comparison passes): the reference other hosts use */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
    return h;
}

static int run_op(Op op, int n, uint64_t *hash)
{
    int bad = 0;
    *hash = 0xcbf29ce484222325ull;
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
        Result rn = { { 0 }, { 0 }, 0 }, rs;
#if HOST_X87
        run_native(op, a, b, raw, cw, &rn);
#endif
        run_soft(op, a, b, raw, cw, &rs);
        int len = op_has_result80(op) ? 10 : out_len[op];
        uint16_t swm = rs.sw & mask;
        *hash = hash_bytes(*hash, rs.out, (size_t)len);
        *hash = hash_bytes(*hash, rs.out2, 10);
        *hash = hash_bytes(*hash, &swm, 2);
#if !HOST_X87
        continue;
#endif
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

#if HOST_X87   /* the program generators and runners only make sense next to a host x87 */
/* ---- whole x87 programs: the guest (pcjit, flat 32-bit) against the host ---- */

enum { PROG_MAX = 512, DATA_SIZE = 0x200, SAVE_OFF = 0x100, CODE_PA = 0x10000, DATA_PA = 0x20000, PROGRAMS = 3000,
       ENV16_OFF = 0x180, ENV32_OFF = 0x1a0 };   /* ENVxx_OFF - 0x80 is encoded as 0x1xx: disp32 low bytes */

typedef struct Prog { uint8_t code[PROG_MAX]; int len; int depth; int ninsn; int16_t start[64]; } Prog;

/* EBX points at data + 0x80 so that disp8 reaches the whole first 256 bytes */
#define D8(off) (((off) - 0x80) & 0xff)

static void emit_b(Prog *p, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n && p->len < PROG_MAX; i++)
        p->code[p->len++] = (uint8_t)va_arg(ap, int);
    va_end(ap);
}

/* a register index, usually one that holds a value */
static int pick_st(const Prog *p)
{
    if (p->depth > 0 && rnd(4))
        return (int)rnd((uint32_t)(p->depth < 8 ? p->depth : 8));
    return (int)rnd(8);
}

/* One random x87 instruction (register or [ebx+disp8] form); p->depth tracks the stack depth roughly. */
static void gen_insn(Prog *p)
{
    static const uint8_t d9_misc[] = { 0xe0, 0xe1, 0xe4, 0xe5, 0xf5, 0xf6, 0xf7, 0xf8, 0xfa, 0xfc, 0xfd, 0xd0 };
    int i = pick_st(p), reg = (int)rnd(8), in_slot = (int)rnd(7) * 16, out_slot = 0x80 + (int)rnd(7) * 16;
    bool want_push = p->depth < 3 || (p->depth < 7 && rnd(3) == 0);
    if (want_push) {
        switch (rnd(10)) {
        case 0: emit_b(p, 2, 0xd9, 0xc0 + i); break;                         /* FLD ST(i) */
        case 1: emit_b(p, 2, 0xd9, 0xe8 + (int)rnd(7)); break;               /* constants */
        case 2: emit_b(p, 3, 0xd9, 0x43, D8(in_slot)); break;                    /* FLD m32 */
        case 3: emit_b(p, 3, 0xdd, 0x43, D8(in_slot)); break;                    /* FLD m64 */
        case 4: emit_b(p, 3, 0xdb, 0x43, D8(in_slot)); break;                    /* FILD m32 */
        case 5: emit_b(p, 3, 0xdf, 0x43, D8(in_slot)); break;                    /* FILD m16 */
        case 6: emit_b(p, 3, 0xdf, 0x6b, D8(in_slot)); break;                    /* FILD m64 */
        case 7: emit_b(p, 3, 0xdf, 0x63, D8(0x70)); break;                       /* FBLD */
        case 8: emit_b(p, 2, 0xd9, 0xf4); break;                             /* FXTRACT */
        default: emit_b(p, 3, 0xdb, 0x6b, D8(in_slot)); break;                   /* FLD m80 */
        }
        p->depth++;
        return;
    }
    switch (rnd(16)) {
    case 0: emit_b(p, 2, 0xd8, 0xc0 | reg << 3 | i); p->depth -= reg == 3; break;
    case 1: emit_b(p, 2, 0xdc, 0xc0 | reg << 3 | i); p->depth -= reg == 3; break;
    case 2:
        if (reg == 3)
            emit_b(p, 2, 0xde, 0xd9), p->depth -= 2;                          /* FCOMPP */
        else
            emit_b(p, 2, 0xde, 0xc0 | reg << 3 | i), p->depth--;
        break;
    case 3: emit_b(p, 2, 0xd9, 0xc8 + i); break;                             /* FXCH */
    case 4: case 5: emit_b(p, 2, 0xd9, d9_misc[rnd(sizeof(d9_misc))]); break;
    case 6: emit_b(p, 2, rnd(2) ? 0xda : 0xdb, 0xc0 | (int)rnd(4) << 3 | i); break;   /* FCMOVcc */
    case 7: emit_b(p, 2, 0xdb, (rnd(2) ? 0xe8 : 0xf0) + i); break;           /* FUCOMI FCOMI */
    case 8: emit_b(p, 2, 0xdf, (rnd(2) ? 0xe8 : 0xf0) + i); p->depth--; break;   /* FUCOMIP FCOMIP */
    case 9: {                                                                /* FST FSTP FUCOM FUCOMP ST(i) */
        int k = (int)rnd(4);
        emit_b(p, 2, 0xdd, 0xd0 + 8 * k + i);
        p->depth -= k & 1;
        break;
    }
    case 10: emit_b(p, 3, (int)(0xd8 + 2 * rnd(4)), 0x43 | reg << 3, D8(in_slot)); break;   /* arith m32/m64/int */
    case 11: {                                                               /* stores to memory */
        static const uint8_t st[][2] = { { 0xd9, 2 }, { 0xd9, 3 }, { 0xdd, 2 }, { 0xdd, 3 }, { 0xdb, 2 }, { 0xdb, 3 },
                                         { 0xdb, 7 }, { 0xdf, 2 }, { 0xdf, 3 }, { 0xdf, 6 }, { 0xdf, 7 } };
        int k = (int)rnd(sizeof(st) / 2);
        emit_b(p, 3, st[k][0], 0x43 | st[k][1] << 3, D8(out_slot));
        p->depth -= st[k][1] != 2;
        break;
    }
    case 12: emit_b(p, 2, 0xdf, 0xe0); break;                                /* FNSTSW AX */
    case 13: emit_b(p, 3, rnd(2) ? 0xd9 : 0xdd, 0x7b, D8(out_slot)); break;      /* FNSTCW / FNSTSW m16 */
    case 14:
        if (rnd(3))
            emit_b(p, 2, 0xdd, 0xc0 + i);                                    /* FFREE */
        else if (rnd(2))   /* FNSTENV then FLDENV, 16-bit format at ENV16_OFF (66h) or 32-bit at ENV32_OFF */
            emit_b(p, 14, 0x66, 0xd9, 0xb3, ENV16_OFF - 0x80, 1, 0, 0, 0x66, 0xd9, 0xa3, ENV16_OFF - 0x80, 1, 0, 0);
        else
            emit_b(p, 12, 0xd9, 0xb3, ENV32_OFF - 0x80, 1, 0, 0, 0xd9, 0xa3, ENV32_OFF - 0x80, 1, 0, 0);
        break;
    default: emit_b(p, 2, 0xda, 0xe9); p->depth -= 2; break;                 /* FUCOMPP */
    }
    if (p->depth < 0)
        p->depth = 0;
}

static void prog_epilogue(Prog *p);

static void gen_program(Prog *p, uint8_t *data)
{
    memset(data, 0, DATA_SIZE);
    for (int k = 0; k < 6; k++) {
        fx_store80(data + 16 * k, gen_val());
        put_le(data + 16 * k + 10, rnd64(), 6);
    }
    uint8_t raw[10];
    gen_raw(OP_LD32, raw);
    memcpy(data + 0x60, raw, 4);
    gen_raw(OP_LD64, raw);
    memcpy(data + 0x68, raw, 8);
    gen_raw(OP_BLD, raw);
    memcpy(data + 0x70, raw, 10);
    put_le(data + 0x7c, gen_cw(false), 2);
    p->len = 0;
    p->depth = 0;
    emit_b(p, 2, 0xdb, 0xe3);                         /* FNINIT */
    emit_b(p, 3, 0xd9, 0x6b, D8(0x7c));               /* FLDCW */
    int n = 8 + (int)rnd(24);
    p->ninsn = n;
    for (int k = 0; k < n; k++) {
        p->start[k] = (int16_t)p->len;
        gen_insn(p);
    }
    p->start[n] = (int16_t)p->len;
    prog_epilogue(p);
}

static void prog_epilogue(Prog *p)
{
    emit_b(p, 6, 0xdd, 0xb3, SAVE_OFF - 0x80, 0, 0, 0);   /* FNSAVE [ebx+disp32] */
    emit_b(p, 3, 0x89, 0x43, D8(0xf0));               /* mov [ebx+f0], eax */
    emit_b(p, 1, 0x9c);                               /* pushf */
    emit_b(p, 1, 0x58);                               /* pop eax / rax */
    emit_b(p, 3, 0x89, 0x43, D8(0xf4));               /* mov [ebx+f4], eax */
}

#if HOST_X87
static bool host_run_program(const Prog *p, uint8_t *data)
{
    static uint8_t *code, *buf;
    if (!code) {
        void *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        void *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (c == MAP_FAILED || b == MAP_FAILED)
            return false;
        code = c;
        buf = b;
    }
    uint32_t a = (uint32_t)(uintptr_t)buf + 0x80;
    uint8_t *q = code;
    *q++ = 0x53;                                      /* push rbx */
    *q++ = 0xbb;                                      /* mov ebx, buf */
    put_le(q, a, 4);
    q += 4;
    *q++ = 0x31; *q++ = 0xc0;                         /* xor eax, eax */
    memcpy(q, p->code, (size_t)p->len);
    q += p->len;
    *q++ = 0x5b;                                      /* pop rbx */
    *q++ = 0xc3;
    __builtin___clear_cache((char *)code, (char *)q);
    memcpy(buf, data, DATA_SIZE);
    ((void (*)(void))(void *)code)();
    memcpy(data, buf, DATA_SIZE);
    return true;
}
#endif

static bool guest_run_program(Harness *h, const Prog *p, uint8_t *data)
{
    uint8_t code[PROG_MAX + 16];
    int n = 0;
    code[n++] = 0xbb;
    put_le(code + n, DATA_PA + 0x80, 4);
    n += 4;
    code[n++] = 0x31; code[n++] = 0xc0;
    memcpy(code + n, p->code, (size_t)p->len);
    n += p->len;
    code[n++] = 0xf4;                                 /* hlt */
    harness_write(h, CODE_PA, code, (uint32_t)n);
    harness_write(h, DATA_PA, data, DATA_SIZE);
    harness_set_reg(h, G_EIP, CODE_PA);
    harness_set_reg(h, G_ESP, DATA_PA + 0x1000);
    ExecStop st = harness_run(h, 10000);
    harness_read(h, DATA_PA, data, DATA_SIZE);
    return st == STOP_HALT;
}

/* bytes of the FNSAVE image that hold FIP, FCS/FOP, FDP, FDS: host addresses, not comparable */
static bool cmp_skip(int off)
{
    return (off >= SAVE_OFF + 12 && off < SAVE_OFF + 28) || (off >= 0xf4 && off < 0xf8) ||
           (off >= ENV16_OFF + 6 && off < ENV16_OFF + 14) || (off >= ENV32_OFF + 12 && off < ENV32_OFF + 28);
}

/* ---- MMX programs ---- */

static void gen_mmx_insn(Prog *p)
{
    static const uint8_t alu[] = { 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6f,
                                   0x74, 0x75, 0x76, 0xd1, 0xd2, 0xd3, 0xd5, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xdf,
                                   0xe1, 0xe2, 0xe5, 0xe8, 0xe9, 0xeb, 0xec, 0xed, 0xef, 0xf1, 0xf2, 0xf3, 0xf5,
                                   0xf8, 0xf9, 0xfa, 0xfc, 0xfd, 0xfe };
    int r = (int)rnd(8), q = (int)rnd(8);
    switch (rnd(8)) {
    case 0: {                                                     /* shifts by an immediate */
        static const uint8_t grp[][2] = { { 0x71, 2 }, { 0x71, 4 }, { 0x71, 6 }, { 0x72, 2 }, { 0x72, 4 },
                                          { 0x72, 6 }, { 0x73, 2 }, { 0x73, 6 } };
        int k = (int)rnd(8), imm = rnd(4) ? (int)rnd(70) : (int)rnd(256);
        emit_b(p, 4, 0x0f, grp[k][0], 0xc0 | grp[k][1] << 3 | r, imm);
        break;
    }
    case 1: emit_b(p, 3, 0x0f, rnd(2) ? 0x6e : 0x7e, 0xc0 | r << 3); break;   /* MOVD mm, eax / eax, mm */
    case 2: emit_b(p, 4, 0x0f, 0x6e, 0x43 | r << 3, D8((int)rnd(30) * 4)); break;   /* MOVD mm, m32 */
    case 3: emit_b(p, 4, 0x0f, rnd(2) ? 0x7e : 0x7f, 0x43 | r << 3, D8(0xc0 + (int)rnd(6) * 8)); break;
    case 4: emit_b(p, 3, 0x0f, 0x7f, 0xc0 | r << 3 | q); break;  /* MOVQ mm, mm (store form) */
    case 5: emit_b(p, 4, 0x0f, alu[rnd(sizeof(alu))], 0x43 | r << 3, D8((int)rnd(15) * 8)); break;
    default: emit_b(p, 3, 0x0f, alu[rnd(sizeof(alu))], 0xc0 | r << 3 | q); break;
    }
}

static void gen_mmx_program(Prog *p, uint8_t *data)
{
    memset(data, 0, DATA_SIZE);
    for (int k = 0; k < 0x80; k += 8) {
        uint64_t v = rnd64();
        if (rnd(4) == 0)   /* small / extreme lanes for the saturating and shift cases */
            v = rnd(2) ? v & 0x00ff00ff80017fffull : v | 0x7fff80007f808000ull;
        put_le(data + k, v, 8);
    }
    p->len = 0;
    for (int r = 0; r < 8; r++)
        emit_b(p, 4, 0x0f, 0x6f, 0x43 | r << 3, D8(8 * r));       /* MOVQ mmr, [slot r] */
    int n = 8 + (int)rnd(24);
    p->ninsn = n;
    for (int k = 0; k < n; k++) {
        p->start[k] = (int16_t)p->len;
        gen_mmx_insn(p);
    }
    for (int r = 0; r < 8; r++)
        emit_b(p, 4, 0x0f, 0x7f, 0x43 | r << 3, D8(0x80 + 8 * r));    /* MOVQ [out r], mmr */
    p->start[n] = (int16_t)p->len;
    prog_epilogue(p);
}

/* first differing byte offset of two result buffers, or -1 */
static int prog_compare(const uint8_t *host, const uint8_t *guest)
{
    /* register slots of empty registers hold stale bytes (FNINIT keeps register contents): skipped */
    int top = host[SAVE_OFF + 5] >> 3 & 7;
    uint16_t tw = (uint16_t)get_le(host + SAVE_OFF + 8, 2);
    for (int o = 0; o < ENV32_OFF + 28; o++) {
        int slot = (o - SAVE_OFF - 28) / 10;
        if (o >= SAVE_OFF + 28 && (tw >> (2 * ((top + slot) & 7)) & 3) == 3)
            continue;
        if (!cmp_skip(o) && host[o] != guest[o])
            return o;
    }
    if ((get_le(host + 0xf4, 4) ^ get_le(guest + 0xf4, 4)) & 0x8d5)
        return 0xf4;
    return -1;
}

/* Report the first instruction after which host and guest differ (prefixes of the program). */
static void prog_bisect(Harness *h, const Prog *p, const uint8_t *data)
{
    for (int n = 1; n <= p->ninsn; n++) {
        Prog q = *p;
        q.len = q.start[n];
        prog_epilogue(&q);
        uint8_t host[DATA_SIZE], guest[DATA_SIZE];
        memcpy(host, data, DATA_SIZE);
        memcpy(guest, data, DATA_SIZE);
        host_run_program(&q, host);
        guest_run_program(h, &q, guest);
        int d = prog_compare(host, guest);
        if (d < 0)
            continue;
        printf("  after insn %d:", n - 1);
        for (int b = p->start[n - 1]; b < p->start[n]; b++)
            printf(" %02x", p->code[b]);
        printf("  sw host %04x guest %04x; first diff +%#x\n", (unsigned)get_le(host + SAVE_OFF + 4, 2),
               (unsigned)get_le(guest + SAVE_OFF + 4, 2), d);
        for (int k = 0; k < 8; k++) {
            Fx80 a = fx_load80(host + SAVE_OFF + 28 + 10 * k), b = fx_load80(guest + SAVE_OFF + 28 + 10 * k);
            printf("    st%d host %04x:%016llx guest %04x:%016llx\n", k, a.se, (unsigned long long)a.m, b.se,
                   (unsigned long long)b.m);
        }
        if (n >= 2) {   /* the state before that instruction */
            q.len = q.start[n - 1];
            prog_epilogue(&q);
            memcpy(host, data, DATA_SIZE);
            host_run_program(&q, host);
            printf("    before: sw %04x tw %04x", (unsigned)get_le(host + SAVE_OFF + 4, 2),
                   (unsigned)get_le(host + SAVE_OFF + 8, 2));
            for (int k = 0; k < 3; k++) {
                Fx80 a = fx_load80(host + SAVE_OFF + 28 + 10 * k);
                printf(" st%d %04x:%016llx", k, a.se, (unsigned long long)a.m);
            }
            printf("\n");
        }
        return;
    }
}

#endif

START_TEST(fpu_native_mmx_programs)
{
#if HOST_X87
    Harness *h = harness_new(1);
    ck_assert_ptr_nonnull(h);
    harness_flat32(h, 0x1000);
    int bad = 0, programs = PROGRAMS;
    for (int k = 0; k < programs; k++) {
        Prog p;
        uint8_t data[DATA_SIZE], host[DATA_SIZE], guest[DATA_SIZE];
        gen_mmx_program(&p, data);
        memcpy(host, data, DATA_SIZE);
        memcpy(guest, data, DATA_SIZE);
        ck_assert(host_run_program(&p, host));
        bool ran = guest_run_program(h, &p, guest);
        int diff = prog_compare(host, guest);
        if (ran && diff < 0)
            continue;
        if (bad++ < MAX_REPORT) {
            printf("mmx program %d: %s, first difference at +%#x (host %02x guest %02x)\n  code:", k,
                   ran ? "ran" : "did not reach HLT", diff, diff >= 0 ? host[diff] : 0, diff >= 0 ? guest[diff] : 0);
            for (int b = 0; b < p.len; b++)
                printf(" %02x", p.code[b]);
            printf("\n");
        }
    }
    printf("mmx programs: %d random MMX programs, %d differ\n", programs, bad);
    harness_free(h);
    ck_assert_int_eq(bad, 0);
#endif
}
END_TEST

START_TEST(fpu_native_programs)
{
#if HOST_X87
    Harness *h = harness_new(1);
    ck_assert_ptr_nonnull(h);
    harness_flat32(h, 0x1000);
    int bad = 0, programs = PROGRAMS;
    const char *env = getenv("PCJIT_FPU_PROGRAMS");
    if (env)
        programs = atoi(env);
    for (int k = 0; k < programs; k++) {
        Prog p;
        uint8_t data[DATA_SIZE], host[DATA_SIZE], guest[DATA_SIZE];
        gen_program(&p, data);
        memcpy(host, data, DATA_SIZE);
        memcpy(guest, data, DATA_SIZE);
        ck_assert(host_run_program(&p, host));
        bool ran = guest_run_program(h, &p, guest);
        int diff = prog_compare(host, guest);
        if (ran && diff < 0)
            continue;
        if (bad++ < MAX_REPORT) {
            printf("program %d: %s, first difference at +%#x (host %02x guest %02x)\n  code:", k,
                   ran ? "ran" : "did not reach HLT", diff, diff >= 0 ? host[diff] : 0, diff >= 0 ? guest[diff] : 0);
            for (int b = 0; b < p.len; b++)
                printf(" %02x", p.code[b]);
            printf("\n");
            prog_bisect(h, &p, data);
        }
    }
    printf("fpu programs: %d random x87 programs, %d differ\n", programs, bad);
    harness_free(h);
    ck_assert_int_eq(bad, 0);
#endif
}
END_TEST

/* ---- transcendental instructions: accuracy against the host (approximate by design, docs/fpu.md) ---- */

#if HOST_X87
/* Run one D9 xx instruction natively on (st0 = a, st1 = b); returns ST(0) and ST(1) after it. */
static void native_trans(uint8_t op, Fx80 a, Fx80 b, Fx80 out[2])
{
    uint8_t ma[10], mb[10], o0[10], o1[10];
    fx_store80(ma, a);
    fx_store80(mb, b);
    switch (op) {
    case 0xf0: __asm__ volatile("fninit; fldt %2; fldt %3; f2xm1; fstpt %0; fstpt %1" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    case 0xf1: __asm__ volatile("fninit; fldt %2; fldt %3; fyl2x; fstpt %0; fldz; fstpt %1" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    case 0xf2: __asm__ volatile("fninit; fldt %2; fldt %3; fptan; fstpt %1; fstpt %0" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    case 0xf3: __asm__ volatile("fninit; fldt %2; fldt %3; fpatan; fstpt %0; fldz; fstpt %1" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    case 0xfb: __asm__ volatile("fninit; fldt %2; fldt %3; fsincos; fstpt %1; fstpt %0" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    case 0xfe: __asm__ volatile("fninit; fldt %2; fldt %3; fsin; fstpt %0; fstpt %1" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    default: __asm__ volatile("fninit; fldt %2; fldt %3; fcos; fstpt %0; fstpt %1" : "=m"(o0), "=m"(o1) : "m"(mb), "m"(ma) : "st", "st(1)"); break;
    }
    out[0] = fx_load80(o0);
    out[1] = fx_load80(o1);
}

/* |x - y| in units of y's last place (64-bit significand); huge when signs/exponents are far apart */
static double ulp_diff(Fx80 x, Fx80 y)
{
    if (x.se == y.se)
        return x.m > y.m ? (double)(x.m - y.m) : (double)(y.m - x.m);
    if ((x.se ^ y.se) & 0x8000)
        return 1e30;
    int d = (x.se & 0x7fff) - (y.se & 0x7fff);
    if (d < -1 || d > 1)
        return 1e30;
    double xm = (double)x.m * (d > 0 ? 2.0 : d < 0 ? 0.5 : 1.0);
    return xm > (double)y.m ? xm - (double)y.m : (double)y.m - xm;
}
#endif

START_TEST(fpu_native_transcendental)
{
#if HOST_X87
    static const uint8_t ops[] = { 0xf0, 0xf1, 0xf2, 0xf3, 0xfb, 0xfe, 0xff };
    static const char *names[] = { "f2xm1", "fyl2x", "fptan", "fpatan", "fsincos", "fsin", "fcos" };
    CpuState *env = calloc(1, sizeof(CpuState));
    ck_assert_ptr_nonnull(env);
    for (int k = 0; k < 7 + 4; k++) {
        /* passes 7..10: FPTAN FSINCOS FSIN FCOS again with 1 <= |x| < 2^19 (argument reduction) */
        bool wide = k >= 7;
        int opi = wide ? 2 + (k == 7 ? 0 : k - 8 + 2) : k;
        double worst = 0;
        for (int n = 0; n < 2000; n++) {
            /* |x| < 1 for F2XM1 (its domain) and the trigonometric ones (no argument reduction: beyond it the x87
             * reduces with its 66-bit pi and tan near a pole amplifies that, docs/fpu.md); up to 2^8 for the logs */
            bool small = ops[opi] == 0xf0 || ops[opi] == 0xf2 || ops[opi] >= 0xfb;
            uint64_t m = rnd64() | 1ull << 63;
            uint32_t sgn = rnd(2) << 15, ex = wide ? 0x3fff + rnd(19) : 0x3fff - 20 + rnd(small ? 20 : 28);
            Fx80 a = { m, (uint16_t)(sgn | ex) };
            Fx80 b = { rnd64() | 1ull << 63, (uint16_t)(0x3fff - 4 + rnd(8)) };
            if (ops[opi] == 0xf1)
                a.se &= 0x7fff;   /* log of a positive number */
            Fx80 nat[2];
            native_trans(ops[opi], a, b, nat);
            fpu_reset(env);
            env->fpu_top = 6;
            env->fpu_empty = 0x3f;
            env->fpr[6] = a;
            env->fpr[7] = b;
            helper_fpu_reg(env, 0x100 | ops[opi]);
            bool two = ops[opi] == 0xf2 || ops[opi] == 0xfb;   /* FPTAN, FSINCOS push: compare ST(1) and ST(0) */
            double u = ulp_diff(env->fpr[(env->fpu_top + two) & 7], nat[0]);
            if (two && ulp_diff(env->fpr[env->fpu_top], nat[1]) > u)
                u = ulp_diff(env->fpr[env->fpu_top], nat[1]);
            if (u > worst)
                worst = u;
        }
        printf("fpu %s%s: worst difference from the host x87 %.0f ulp (64-bit significand)\n", names[opi],
               wide ? " (1 <= |x| < 2^19)" : "", worst);
        /* fixed point / fpu_trans.c: within 1 ulp, FPTAN (sin/cos, two roundings) 2 (test_fpu_trans.c checks
         * F2XM1 FYL2X FYL2XP1 FPATAN with flags and special operands) */
        ck_assert_msg(worst <= 2, "%s differs from the host by %.0f ulp",
                      names[opi], worst);
    }
    free(env);
#endif
}
END_TEST

START_TEST(fpu_native_diff)
{
    /* per-op hashes of the results of the default run, recorded on an x86-64 host (all cases matched the host
     * x87 bit for bit); hosts without an x87 check fpu_soft against them */
    static const uint64_t ref_hash[OP_COUNT] = {
    0x664c5cb7d8125be4ull, /* add */
    0xc7d63f79846fc445ull, /* sub */
    0xedcf209498a6734aull, /* mul */
    0x108388e4f366aad6ull, /* div */
    0x6fa38ef2286f4c87ull, /* scale */
    0xee0856d453e6bc17ull, /* fcom */
    0x84ded7ee56bc9372ull, /* fucom */
    0xfb9fbfcf3c69267dull, /* sqrt */
    0xe6cd58cd154c3443ull, /* rndint */
    0x9176376a8d560c47ull, /* fst32 */
    0x85ce98b37f8f7bb0ull, /* fst64 */
    0x42c1625f90e48d63ull, /* fist16 */
    0xabd34750a59de607ull, /* fist32 */
    0x60221f9552d03710ull, /* fist64 */
    0x5e1b8dd75a9c4bfdull, /* fbstp */
    0x0eee1f3df70285eaull, /* fxtract */
    0x6f6f58ca262a3f81ull, /* fprem */
    0x2549d818d342b76bull, /* fprem1 */
    0xb9b341b43a4af8baull, /* fldconst */
    0xe824edebaa73e2d1ull, /* fld32 */
    0x2c852ea0e6e1d917ull, /* fld64 */
    0xa4d73c628707d8a5ull, /* fbld */
    };
    int cases = CASES_PER_OP;
    const char *env = getenv("PCJIT_FPU_CASES");
    if (env)
        cases = atoi(env);
    int total_bad = 0, hash_bad = 0;
    for (int op = 0; op < OP_COUNT; op++) {
        uint64_t h;
        total_bad += run_op((Op)op, cases, &h);
        if (getenv("PCJIT_FPU_PRINT_REF"))
            printf("    0x%016llxull, /* %s */\n", (unsigned long long)h, op_names[op]);
        if (cases == CASES_PER_OP && h != ref_hash[op]) {
            printf("%s: result hash %016llx, reference %016llx\n", op_names[op], (unsigned long long)h,
                   (unsigned long long)ref_hash[op]);
            hash_bad++;
        }
    }
    printf("fpu native diff: %d ops x %d cases, %s %d, reference hash mismatches %d\n", OP_COUNT, cases,
           HOST_X87 ? "mismatches with the host x87" : "no host x87: compared with the reference hashes only;",
           total_bad, hash_bad);
    ck_assert_int_eq(total_bad, 0);
    ck_assert_int_eq(hash_bad, 0);
}
END_TEST

static Suite *fpu_native_suite(void)
{
    Suite *s = suite_create("fpu_native");
    TCase *tc = tcase_create("x87 vs fpu_soft");
    tcase_add_test(tc, fpu_native_diff);
    tcase_add_test(tc, fpu_native_programs);
    tcase_add_test(tc, fpu_native_mmx_programs);
    tcase_add_test(tc, fpu_native_transcendental);
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
