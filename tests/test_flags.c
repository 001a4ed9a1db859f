/* test_flags.c — cc_compute_flags (translator/flags.c) against the flags the host CPU computes natively.
 * For every CcOp and operand size, random and edge operands are run through the real instruction with inline
 * assembly (x86-64 hosts) and the resulting CF PF AF ZF SF OF are compared with cc_compute_flags applied to the
 * lazy operands exactly as cpu.h's CcOp table defines them; flags the SDM leaves undefined for a case are masked.
 * Also: cpu_get_eflags/cpu_set_eflags (bit 1 forced, reserved bits clear, masks, lazy state reset).
 * Left out: non-x86 hosts (the native part is skipped there; tests/native covers them through reference files). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu.h"

enum { ROUNDS = 20000 };

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

#if defined(__x86_64__)   /* the host's own flags are the reference: x86-64 hosts only (through the file's end) */
/* Random operand, often an edge value at some size. */
static uint32_t operand(void)
{
    static const uint32_t edge[] = { 0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
                                     0x10000, 0x7fffffff, 0x80000000u, 0xffffffffu, 0xfffffffe, 0x80000001u };
    uint32_t r = rnd();
    if ((r & 3) == 0)
        return edge[rnd() % (sizeof(edge) / sizeof(edge[0]))] ^ ((r & 4) ? 0 : (rnd() & 1));
    return rnd();
}

static uint32_t msk(int size) { return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }
static int cc(int base, int size) { return base + (size == 1 ? 0 : size == 2 ? 1 : 2); }

/* The red zone below %rsp belongs to the compiler: step over it before pushing. */
#define FLAGS_IN "lea -128(%%rsp), %%rsp\n\tpushq %q[f]\n\tpopfq\n\t"
#define FLAGS_OUT "\n\tpushfq\n\tpopq %q[f]\n\tlea 128(%%rsp), %%rsp"

/* d = d <op> s at the width of the C type; returns the flags after, given flags before (fin). */
#define NATIVE_BIN(name, insn, type)                                                                    \
    static uint32_t name(uint32_t *d, uint32_t s, uint32_t fin)                                         \
    {                                                                                                   \
        type x = (type)*d, y = (type)s;                                                                 \
        uint64_t f = fin;                                                                               \
        __asm__ volatile(FLAGS_IN insn " %[y], %[x]" FLAGS_OUT : [x] "+r"(x), [f] "+r"(f) : [y] "r"(y) \
                         : "cc", "memory");                                                             \
        *d = x;                                                                                         \
        return (uint32_t)f;                                                                             \
    }
#define NATIVE_BIN3(op) NATIVE_BIN(n_##op##8, #op, uint8_t) NATIVE_BIN(n_##op##16, #op, uint16_t) \
    NATIVE_BIN(n_##op##32, #op, uint32_t)
NATIVE_BIN3(add) NATIVE_BIN3(adc) NATIVE_BIN3(sub) NATIVE_BIN3(sbb) NATIVE_BIN3(and) NATIVE_BIN3(or)
NATIVE_BIN3(xor)

#define NATIVE_UN(name, insn, type)                                                                     \
    static uint32_t name(uint32_t *d, uint32_t fin)                                                     \
    {                                                                                                   \
        type x = (type)*d;                                                                              \
        uint64_t f = fin;                                                                               \
        __asm__ volatile(FLAGS_IN insn " %[x]" FLAGS_OUT : [x] "+r"(x), [f] "+r"(f) : : "cc", "memory"); \
        *d = x;                                                                                         \
        return (uint32_t)f;                                                                             \
    }
#define NATIVE_UN3(op) NATIVE_UN(n_##op##8, #op, uint8_t) NATIVE_UN(n_##op##16, #op, uint16_t) \
    NATIVE_UN(n_##op##32, #op, uint32_t)
NATIVE_UN3(inc) NATIVE_UN3(dec) NATIVE_UN3(neg)

#define NATIVE_SH(name, insn, type)                                                                     \
    static uint32_t name(uint32_t *d, uint32_t count, uint32_t fin)                                     \
    {                                                                                                   \
        type x = (type)*d;                                                                              \
        uint8_t c = (uint8_t)count;                                                                     \
        uint64_t f = fin;                                                                               \
        __asm__ volatile(FLAGS_IN insn " %%cl, %[x]" FLAGS_OUT : [x] "+r"(x), [f] "+r"(f) : "c"(c)     \
                         : "cc", "memory");                                                             \
        *d = x;                                                                                         \
        return (uint32_t)f;                                                                             \
    }
#define NATIVE_SH3(op) NATIVE_SH(n_##op##8, #op, uint8_t) NATIVE_SH(n_##op##16, #op, uint16_t) \
    NATIVE_SH(n_##op##32, #op, uint32_t)
NATIVE_SH3(shl) NATIVE_SH3(shr) NATIVE_SH3(sar)

/* One-operand MUL/IMUL: (hi:lo) = acc * s; returns flags. */
#define NATIVE_MUL(name, insn, type, hireg)                                                             \
    static uint32_t name(uint32_t acc, uint32_t s, uint32_t *lo, uint32_t *hi)                          \
    {                                                                                                   \
        type a = (type)acc, y = (type)s, h = 0;                                                         \
        uint64_t f = 0x2;                                                                               \
        __asm__ volatile(FLAGS_IN insn " %[y]" FLAGS_OUT : "+a"(a), hireg(h), [f] "+r"(f) : [y] "r"(y) \
                         : "cc", "memory");                                                             \
        *lo = a;                                                                                        \
        *hi = h;                                                                                        \
        return (uint32_t)f;                                                                             \
    }
#define OUT_D "+d"
NATIVE_MUL(n_mul16, "mulw", uint16_t, OUT_D) NATIVE_MUL(n_mul32, "mull", uint32_t, OUT_D)
NATIVE_MUL(n_imul16, "imulw", uint16_t, OUT_D) NATIVE_MUL(n_imul32, "imull", uint32_t, OUT_D)

/* 8-bit MUL/IMUL: AX = AL * s */
static uint32_t n_mul8(uint32_t acc, uint32_t s, int sign, uint32_t *ax)
{
    uint16_t a = (uint8_t)acc;
    uint8_t y = (uint8_t)s;
    uint64_t f = 0x2;
    if (sign)
        __asm__ volatile(FLAGS_IN "imulb %[y]" FLAGS_OUT : "+a"(a), [f] "+r"(f) : [y] "q"(y) : "cc", "memory");
    else
        __asm__ volatile(FLAGS_IN "mulb %[y]" FLAGS_OUT : "+a"(a), [f] "+r"(f) : [y] "q"(y) : "cc", "memory");
    *ax = a;
    return (uint32_t)f;
}

typedef uint32_t (*BinFn)(uint32_t *, uint32_t, uint32_t);
typedef uint32_t (*UnFn)(uint32_t *, uint32_t);
typedef uint32_t (*ShFn)(uint32_t *, uint32_t, uint32_t);

static const BinFn bin_fns[7][3] = {
    { n_add8, n_add16, n_add32 }, { n_adc8, n_adc16, n_adc32 }, { n_sub8, n_sub16, n_sub32 },
    { n_sbb8, n_sbb16, n_sbb32 }, { n_and8, n_and16, n_and32 }, { n_or8, n_or16, n_or32 },
    { n_xor8, n_xor16, n_xor32 },
};
static const UnFn un_fns[3][3] = {
    { n_inc8, n_inc16, n_inc32 }, { n_dec8, n_dec16, n_dec32 }, { n_neg8, n_neg16, n_neg32 },
};
static const ShFn sh_fns[3][3] = {
    { n_shl8, n_shl16, n_shl32 }, { n_shr8, n_shr16, n_shr32 }, { n_sar8, n_sar16, n_sar32 },
};

static int size_of(int si) { return si == 0 ? 1 : si == 1 ? 2 : 4; }

#define CHECK_FLAGS(what, got, exp, mask, a, b)                                                          \
    ck_assert_msg((((got) ^ (exp)) & (mask)) == 0, "%s: a=%08x b=%08x: flags %03x, native %03x (mask %03x)", \
                  what, (unsigned)(a), (unsigned)(b), (unsigned)((got) & (mask)), (unsigned)((exp) & (mask)), \
                  (unsigned)(mask))

/* ADD ADC SUB SBB AND OR XOR */
START_TEST(flags_binary_ops)
{
    static const char *names[7] = { "ADD", "ADC", "SUB", "SBB", "AND", "OR", "XOR" };
    for (int op = 0; op < 7; op++)
        for (int si = 0; si < 3; si++)
            for (int i = 0; i < ROUNDS; i++) {
                int size = size_of(si);
                uint32_t a = operand() & msk(size), b = operand() & msk(size), cin = rnd() & 1;
                uint32_t r = a, mask = F_ARITH, got;
                uint32_t nf = bin_fns[op][si](&r, b, 0x2 | cin) & F_ARITH;
                r &= msk(size);
                switch (op) {
                case 0: got = cc_compute_flags(cc(CC_OP_ADDB, size), r, b, a); break;
                case 1: got = cc_compute_flags(cc(CC_OP_ADCB, size), r, b, cin); break;
                case 2: got = cc_compute_flags(cc(CC_OP_SUBB, size), r, b, a); break;
                case 3: got = cc_compute_flags(cc(CC_OP_SBBB, size), r, b, cin); break;
                default:
                    got = cc_compute_flags(cc(CC_OP_LOGICB, size), r, 0, 0);
                    mask &= ~(uint32_t)F_AF;   /* undefined for logic ops */
                    break;
                }
                CHECK_FLAGS(names[op], got, nf, mask, a, b);
            }
}
END_TEST

/* INC DEC (CF kept: lazy src = old CF) and NEG (as SUB 0 - a) */
START_TEST(flags_unary_ops)
{
    for (int op = 0; op < 3; op++)
        for (int si = 0; si < 3; si++)
            for (int i = 0; i < ROUNDS; i++) {
                int size = size_of(si);
                uint32_t a = operand() & msk(size), cin = rnd() & 1, r = a, got;
                uint32_t nf = un_fns[op][si](&r, 0x2 | cin) & F_ARITH;
                r &= msk(size);
                if (op == 0)
                    got = cc_compute_flags(cc(CC_OP_INCB, size), r, cin, 0);
                else if (op == 1)
                    got = cc_compute_flags(cc(CC_OP_DECB, size), r, cin, 0);
                else
                    got = cc_compute_flags(cc(CC_OP_SUBB, size), r, a, 0);
                CHECK_FLAGS(op == 0 ? "INC" : op == 1 ? "DEC" : "NEG", got, nf, F_ARITH, a, cin);
            }
}
END_TEST

/* SHL SHR SAR with counts 1..31: CF defined while count <= width, OF only for count 1, AF undefined. */
START_TEST(flags_shifts)
{
    for (int op = 0; op < 3; op++)
        for (int si = 0; si < 3; si++)
            for (int i = 0; i < ROUNDS; i++) {
                int size = size_of(si), bits = size * 8;
                uint32_t a = operand() & msk(size), c = 1 + rnd() % 31, r = a, src, got;
                uint32_t mask = F_ARITH & ~(uint32_t)F_AF;
                uint32_t nf = sh_fns[op][si](&r, c, 0x2 | (rnd() & F_ARITH)) & F_ARITH;
                r &= msk(size);
                if (c != 1)
                    mask &= ~(uint32_t)F_OF;
                if ((int)c > bits)
                    mask &= ~(uint32_t)F_CF;
                if (op == 0) {
                    src = a << (c - 1);
                    got = cc_compute_flags(cc(CC_OP_SHLB, size), r, src, a);
                } else {
                    uint32_t sa = size == 1 ? (uint32_t)(int8_t)a : size == 2 ? (uint32_t)(int16_t)a : a;
                    src = op == 1 ? a >> (c - 1) : (uint32_t)((int32_t)sa >> (c - 1));
                    got = cc_compute_flags(cc(CC_OP_SARB, size), r, src, a);
                }
                CHECK_FLAGS(op == 0 ? "SHL" : op == 1 ? "SHR" : "SAR", got, nf, mask, a, c);
            }
}
END_TEST

/* MUL/IMUL one-operand forms: CF = OF = upper half significant; the rest is undefined. */
START_TEST(flags_mul)
{
    for (int sign = 0; sign < 2; sign++)
        for (int si = 0; si < 3; si++)
            for (int i = 0; i < ROUNDS; i++) {
                int size = size_of(si);
                uint32_t a = operand() & msk(size), b = operand() & msk(size), lo, hi, nf, got;
                if (size == 1) {
                    uint32_t ax;
                    nf = n_mul8(a, b, sign, &ax);
                    lo = ax & 0xff;
                    hi = ax >> 8;
                } else if (size == 2) {
                    nf = (sign ? n_imul16 : n_mul16)(a, b, &lo, &hi);
                } else {
                    nf = (sign ? n_imul32 : n_mul32)(a, b, &lo, &hi);
                }
                if (sign) {
                    uint32_t sl = size == 1 ? (uint32_t)(int8_t)lo : size == 2 ? (uint32_t)(int16_t)lo : lo;
                    uint32_t ext = (sl >> 31) ? msk(size) : 0;   /* hi when the product fits */
                    got = cc_compute_flags(cc(CC_OP_IMULB, size), lo, hi != ext, 0);
                } else {
                    got = cc_compute_flags(cc(CC_OP_MULB, size), lo, hi, 0);
                }
                CHECK_FLAGS(sign ? "IMUL" : "MUL", got, nf, F_CF | F_OF, a, b);
            }
}
END_TEST

#endif /* __x86_64__ */

START_TEST(flags_eflags_form)
{
    for (int i = 0; i < 1000; i++) {
        uint32_t f = rnd();
        ck_assert_uint_eq(cc_compute_flags(CC_OP_EFLAGS, rnd(), f, rnd()), f & F_ARITH);
    }
}
END_TEST

START_TEST(eflags_get_set)
{
    static CpuState env;   /* large: not on the stack */
    memset(env.t, 0, sizeof(uint32_t) * IR_NUM_GLOBALS);
    cpu_set_eflags(&env, 0xffffffffu, 0xffffffffu);
    /* every implemented bit set, reserved bits 3 5 15 22-31 clear, bit 1 set */
    ck_assert_uint_eq(cpu_get_eflags(&env), 0x003f7fd7u);
    ck_assert_uint_eq(env.t[G_CC_OP], CC_OP_EFLAGS);
    cpu_set_eflags(&env, 0, F_CF | F_ZF);
    ck_assert_uint_eq(cpu_get_eflags(&env), 0x003f7fd7u & ~(uint32_t)(F_CF | F_ZF));
    cpu_set_eflags(&env, 0, 0xffffffffu);
    ck_assert_uint_eq(cpu_get_eflags(&env), 2);
    /* lazy state: SUB 1 - 2 at 8 bits → CF SF AF PF (0xff has even parity) */
    env.t[G_CC_OP] = CC_OP_SUBB;
    env.t[G_CC_DST] = 0xff;
    env.t[G_CC_SRC] = 2;
    env.t[G_CC_SRC2] = 1;
    env.t[G_EFLAGS] = 2 | F_IF;
    ck_assert_uint_eq(cpu_get_eflags(&env), 2 | F_IF | F_CF | F_SF | F_AF | F_PF);
    /* changing only IF keeps the materialised arithmetic flags */
    cpu_set_eflags(&env, 0, F_IF);
    ck_assert_uint_eq(cpu_get_eflags(&env), 2 | F_CF | F_SF | F_AF | F_PF);
}
END_TEST

static Suite *flags_suite(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("cc_compute_flags");
#if defined(__x86_64__)
    tcase_add_test(tc, flags_binary_ops);
    tcase_add_test(tc, flags_unary_ops);
    tcase_add_test(tc, flags_shifts);
    tcase_add_test(tc, flags_mul);
#endif
    tcase_add_test(tc, flags_eflags_form);
    tcase_add_test(tc, eflags_get_set);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(flags_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
