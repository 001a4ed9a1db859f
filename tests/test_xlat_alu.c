/* test_xlat_alu.c — the translator core (translator/xlat.c) and the ALU handlers (xlat_alu.c, helpers_arith.c),
 * run end to end: byte sequences are translated by xlat_block and executed by the exec loop (tests/harness.h).
 * Covers:
 *   - conditions right after each flag-producing instruction (the static cc_op fast paths of xlat_cond, for
 *     SETcc and Jcc), 8/16/32-bit, against a C reference built on cc_compute_flags (itself checked against the
 *     host CPU by test_flags.c);
 *   - 16-bit real-mode semantics the 80286 vectors rely on: 64 KiB effective-address wrap, MUL/DIV/IDIV (#DE with
 *     registers untouched and IP on the instruction), AAM 0, BCD, BT with a negative register bit offset;
 *   - shifts by CL = 0 / 32 leaving every flag alone, RCL/RCR, SHLD/SHRD, CMPXCHG/CMPXCHG8B/XADD/XCHG/BSWAP,
 *     BSF/BSR with a zero source, CMOV reading its memory source when the condition is false, flag-byte
 *     instructions, LEA, CBW/CWD;
 *   - the block loop: instruction limit, a block ending before an instruction on the next page, an instruction
 *     spilling over a page (phys_page2), single-step blocks of one instruction, #UD for invalid encodings.
 * Every execution test runs under each engine (interp, jit, lockstep).
 * Left out: the native differential test (tests/native), control transfer and strings (test_xlat_ctl.c). */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "xlat.h"
#include "mmu.h"

enum { CODE_REAL = 0x1000, CODE_FLAT = 0x10000, GDT_PA = 0x500, DATA_FLAT = 0x20000, HANDLER_REAL = 0x3000 };

/* ---- scaffolding ---- */

/* Every execution test runs once per engine (loop tests: _i indexes this list). */
static const char *const engines[] = { "interp", "jit", "lockstep" };
enum { NUM_ENGINES = sizeof(engines) / sizeof(engines[0]) };
static const char *engine = "interp";

static void use_engine(int i)
{
    engine = engines[i % NUM_ENGINES];
}

static void harness_engine(Harness *h)
{
    ck_assert_msg(harness_set_accel(h, engine), "engine %s unknown", engine);
}

static Harness *flat_new(void)
{
    Harness *h = harness_new(4);
    ck_assert_ptr_nonnull(h);
    harness_flat32(h, GDT_PA);
    harness_set_reg(h, G_ESP, 0x80000);
    harness_engine(h);
    return h;
}

static void w16(Harness *h, uint32_t pa, uint16_t v) { uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) }; harness_write(h, pa, b, 2); }
static void w32(Harness *h, uint32_t pa, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    harness_write(h, pa, b, 4);
}
static uint32_t r8(Harness *h, uint32_t pa) { uint8_t b = 0; harness_read(h, pa, &b, 1); return b; }
static uint32_t r16(Harness *h, uint32_t pa) { uint8_t b[2]; harness_read(h, pa, b, 2); return b[0] | (uint32_t)b[1] << 8; }
static uint32_t r32(Harness *h, uint32_t pa)
{
    uint8_t b[4];
    harness_read(h, pa, b, 4);
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint32_t reg(Harness *h, int r) { return harness_reg(h, r); }

/* Real mode with every interrupt vector pointing at a lone HLT (0000:HANDLER_REAL). */
static Harness *real_new(void)
{
    Harness *h = harness_new(4);
    ck_assert_ptr_nonnull(h);
    harness_real_mode(h);
    harness_set_reg(h, G_ESP, 0x8000);
    for (int v = 0; v < 256; v++)
        w32(h, (uint32_t)v * 4, HANDLER_REAL);
    harness_fill(h, HANDLER_REAL, 0xf4, 1);
    harness_engine(h);
    return h;
}

static void run_at(Harness *h, uint32_t at)
{
    harness_set_reg(h, G_EIP, at);
    ExecStop s = harness_run(h, 1000000);
    ck_assert_msg(s == STOP_HALT, "stopped: %s (eip %#x)", harness_stop_name(s), reg(h, G_EIP));
}

static void load_run(Harness *h, uint32_t at, const uint8_t *code, size_t n)
{
    harness_write(h, at, code, (uint32_t)n);
    run_at(h, at);
}
#define RUN(h, at, ...)                                                                                          \
    do {                                                                                                         \
        static const uint8_t code_[] = { __VA_ARGS__ };                                                          \
        load_run(h, at, code_, sizeof code_);                                                                    \
    } while (0)

/* Did the real-mode program stop in the exception handler, with the faulting instruction's IP pushed? */
static void assert_real_fault_at(Harness *h, uint32_t ip)
{
    uint32_t sp = reg(h, G_ESP) & 0xffff;
    ck_assert_uint_eq(reg(h, G_EIP), HANDLER_REAL + 1);
    ck_assert_uint_eq(r16(h, sp), ip);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static uint32_t operand(void)
{
    static const uint32_t edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000u,
                                     0xffffffffu };
    return (rnd() & 3) == 0 ? edge[rnd() % 11] : rnd();
}

/* ---- conditions after each flag-producing instruction ---- */

static int cond_eval(uint32_t f, int cc)
{
    int of = !!(f & F_OF), cf = !!(f & F_CF), zf = !!(f & F_ZF), sf = !!(f & F_SF), pf = !!(f & F_PF), r;
    switch (cc >> 1) {
    case 0: r = of; break;
    case 1: r = cf; break;
    case 2: r = zf; break;
    case 3: r = cf | zf; break;
    case 4: r = sf; break;
    case 5: r = pf; break;
    case 6: r = sf != of; break;
    default: r = zf || sf != of; break;
    }
    return r ^ (cc & 1);
}

typedef enum { OP_ADD, OP_OR, OP_ADC, OP_SBB, OP_AND, OP_SUB, OP_XOR, OP_CMP, OP_TEST, OP_INC, OP_DEC, OP_NEG,
               OP_SHL_CL, OP_SAR_CL, OP_SHR_IMM, OP_IMUL, OP_NUM } CondOp;
static const char *const cond_op_name[OP_NUM] = { "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST",
                                                  "INC", "DEC", "NEG", "SHL cl", "SAR cl", "SHR 3", "IMUL" };

/* Encode "op eAX-part, eBX-part" at size into p; returns the length. */
static int encode_op(uint8_t *p, CondOp op, int size)
{
    int n = 0, byte = size == 1;
    static const uint8_t alu[9] = { 0x01, 0x09, 0x11, 0x19, 0x21, 0x29, 0x31, 0x39, 0x85 };
    if (size == 2)
        p[n++] = 0x66;
    if (op <= OP_TEST) {
        p[n++] = (uint8_t)(alu[op] - byte);
        p[n++] = 0xd8;   /* mod 11, reg = EBX, rm = EAX */
    } else if (op == OP_INC || op == OP_DEC || op == OP_NEG) {
        p[n++] = op == OP_NEG ? (uint8_t)(0xf7 - byte) : (uint8_t)(0xff - byte);
        p[n++] = op == OP_INC ? 0xc0 : op == OP_DEC ? 0xc8 : 0xd8;
    } else if (op == OP_SHL_CL || op == OP_SAR_CL) {
        p[n++] = (uint8_t)(0xd3 - byte);
        p[n++] = op == OP_SHL_CL ? 0xe0 : 0xf8;
    } else if (op == OP_SHR_IMM) {
        p[n++] = (uint8_t)(0xc1 - byte);
        p[n++] = 0xe8;
        p[n++] = 3;
    } else {   /* IMUL eAX, eBX (no byte form: the caller skips size 1) */
        p[n++] = 0x0f;
        p[n++] = 0xaf;
        p[n++] = 0xc3;
    }
    return n;
}

static uint32_t sext(uint32_t v, int size) { return size == 1 ? (uint32_t)(int8_t)v : size == 2 ? (uint32_t)(int16_t)v : v; }

/* C reference: result and arithmetic flags of op on (a, b, ecx) with input flags fin. */
static uint32_t ref_op(CondOp op, int size, uint32_t a, uint32_t b, uint32_t cl, uint32_t fin, uint32_t *res)
{
    uint32_t m = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1, cf = fin & F_CF, r, si = size == 1 ? 0 : size == 2 ? 1 : 2;
    uint32_t c = cl & 31;
    a &= m;
    b &= m;
    switch (op) {
    case OP_ADD: *res = r = (a + b) & m; return cc_compute_flags(CC_OP_ADDB + si, r, b, a);
    case OP_ADC: *res = r = (a + b + cf) & m; return cc_compute_flags(CC_OP_ADCB + si, r, b, cf);
    case OP_SUB: case OP_CMP: r = (a - b) & m; *res = op == OP_SUB ? r : a; return cc_compute_flags(CC_OP_SUBB + si, r, b, a);
    case OP_SBB: *res = r = (a - b - cf) & m; return cc_compute_flags(CC_OP_SBBB + si, r, b, cf);
    case OP_AND: case OP_TEST: r = a & b; *res = op == OP_AND ? r : a; return cc_compute_flags(CC_OP_LOGICB + si, r, 0, 0);
    case OP_OR: *res = r = a | b; return cc_compute_flags(CC_OP_LOGICB + si, r, 0, 0);
    case OP_XOR: *res = r = a ^ b; return cc_compute_flags(CC_OP_LOGICB + si, r, 0, 0);
    case OP_INC: *res = r = (a + 1) & m; return cc_compute_flags(CC_OP_INCB + si, r, cf, 0);
    case OP_DEC: *res = r = (a - 1) & m; return cc_compute_flags(CC_OP_DECB + si, r, cf, 0);
    case OP_NEG: *res = r = (0 - a) & m; return cc_compute_flags(CC_OP_SUBB + si, r, a, 0);
    case OP_SHL_CL:
        if (c == 0) { *res = a; return fin & F_ARITH; }
        *res = r = (a << c) & m;
        return cc_compute_flags(CC_OP_SHLB + si, r, a << (c - 1), a);
    case OP_SAR_CL:
        if (c == 0) { *res = a; return fin & F_ARITH; }
        *res = r = (uint32_t)((int32_t)sext(a, size) >> c) & m;
        return cc_compute_flags(CC_OP_SARB + si, r, (uint32_t)((int32_t)sext(a, size) >> (c - 1)), a);
    case OP_SHR_IMM:
        *res = r = a >> 3;
        return cc_compute_flags(CC_OP_SARB + si, r, a >> 2, a);
    default: {
        int64_t p = (int64_t)(int32_t)sext(a, size) * (int32_t)sext(b, size);
        *res = r = (uint32_t)p & m;
        return cc_compute_flags(CC_OP_IMULB + si, r, (int64_t)(int32_t)sext(r, size) != p, 0);
    }
    }
}

/* op; SETcc [DATA_FLAT + cc] for all 16 conditions; HLT — the conditions see the op's static cc_op. */
START_TEST(setcc_after_each_op)
{
    use_engine(_i);
    Harness *h = flat_new();
    for (int op = 0; op < OP_NUM; op++)
        for (int size = 1; size <= 4; size *= 2) {
            uint8_t code[256];
            int n;
            if (op == OP_IMUL && size == 1)
                continue;
            n = encode_op(code, (CondOp)op, size);
            for (int cc = 0; cc < 16; cc++) {
                code[n++] = 0x0f, code[n++] = (uint8_t)(0x90 + cc), code[n++] = 0x05;
                memcpy(code + n, &(uint32_t){ DATA_FLAT + (uint32_t)cc }, 4);
                n += 4;
            }
            code[n++] = 0xf4;
            harness_write(h, CODE_FLAT, code, (uint32_t)n);
            for (int i = 0; i < 150; i++) {
                uint32_t a = operand(), b = operand(), ecx = (i & 7) == 0 ? 0 : (i & 7) == 1 ? 32 : rnd();
                uint32_t fin = 2 | (rnd() & F_ARITH), res, f, m = size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
                if (i == 0)
                    a = b;   /* equal operands: ZF paths */
                harness_set_reg(h, G_EAX, a);
                harness_set_reg(h, G_EBX, b);
                harness_set_reg(h, G_ECX, ecx);
                harness_set_eflags(h, fin);
                run_at(h, CODE_FLAT);
                f = ref_op((CondOp)op, size, a, b, ecx, fin, &res);
                ck_assert_msg((reg(h, G_EAX) & m) == res, "%s/%d a=%08x b=%08x: result %08x, expected %08x",
                              cond_op_name[op], size * 8, a, b, reg(h, G_EAX) & m, res);
                ck_assert_msg((harness_eflags(h) & F_ARITH) == f, "%s/%d a=%08x b=%08x cl=%u: flags %03x, expected %03x",
                              cond_op_name[op], size * 8, a, b, ecx & 31, harness_eflags(h) & F_ARITH, f);
                for (int cc = 0; cc < 16; cc++)
                    ck_assert_msg(r8(h, DATA_FLAT + (uint32_t)cc) == (uint32_t)cond_eval(f, cc),
                                  "%s/%d a=%08x b=%08x: SETcc %x gave %u (flags %03x)", cond_op_name[op], size * 8,
                                  a, b, cc, r8(h, DATA_FLAT + (uint32_t)cc), f);
            }
        }
    harness_free(h);
}
END_TEST

/* op; Jcc rel32 taken → MOV byte [DATA], 1 else MOV byte [DATA], 0 (the fused compare-and-branch path). */
START_TEST(jcc_after_each_op)
{
    use_engine(_i);
    Harness *h = flat_new();
    for (int op = 0; op < OP_NUM; op++)
        for (int size = 1; size <= 4; size *= 2)
            for (int cc = 0; cc < 16; cc++) {
                uint8_t code[64];
                int n;
                if (op == OP_IMUL && size == 1)
                    continue;
                n = encode_op(code, (CondOp)op, size);
                code[n++] = 0x0f, code[n++] = (uint8_t)(0x80 + cc);
                memcpy(code + n, &(uint32_t){ 8 }, 4);   /* skip the 7-byte MOV and the HLT */
                n += 4;
                for (int t = 0; t < 2; t++) {
                    code[n++] = 0xc6, code[n++] = 0x05;
                    memcpy(code + n, &(uint32_t){ DATA_FLAT }, 4);
                    n += 4;
                    code[n++] = (uint8_t)t;
                    code[n++] = 0xf4;
                }
                harness_write(h, CODE_FLAT, code, (uint32_t)n);
                for (int i = 0; i < 12; i++) {
                    uint32_t a = operand(), b = i == 0 ? a : operand(), ecx = rnd(), fin = 2 | (rnd() & F_ARITH), res;
                    uint32_t f = ref_op((CondOp)op, size, a, b, ecx, fin, &res);
                    harness_set_reg(h, G_EAX, a);
                    harness_set_reg(h, G_EBX, b);
                    harness_set_reg(h, G_ECX, ecx);
                    harness_set_eflags(h, fin);
                    run_at(h, CODE_FLAT);
                    ck_assert_msg(r8(h, DATA_FLAT) == (uint32_t)cond_eval(f, cc), "%s/%d a=%08x b=%08x: J%x went %s",
                                  cond_op_name[op], size * 8, a, b, cc, r8(h, DATA_FLAT) ? "taken" : "not taken");
                }
            }
    harness_free(h);
}
END_TEST

/* ---- 16-bit real mode ---- */

START_TEST(real_ea_wrap_and_arith)
{
    use_engine(_i);
    Harness *h = real_new();
    /* add [bx+si+0x20], ax with BX+SI+0x20 = 0x1_0010: wraps to DS:0010 (SDM vol 1 3.7.5) */
    harness_set_seg_real(h, SEG_DS, 0x200);
    w16(h, 0x2010, 0x1234);
    harness_set_reg(h, G_EBX, 0xfff0);
    harness_set_reg(h, G_ESI, 0x0000);
    harness_set_reg(h, G_EAX, 0x1111);
    RUN(h, CODE_REAL, 0x01, 0x40, 0x20, /* add [bx+si+20h], ax */
        0x8d, 0x48, 0x30,                 /* lea cx, [bx+si+30h] → 0x0020 */
        0xf4);
    ck_assert_uint_eq(r16(h, 0x2010), 0x2345);
    ck_assert_uint_eq(reg(h, G_ECX) & 0xffff, 0x0020);
    harness_free(h);
}
END_TEST

START_TEST(real_mul_div)
{
    use_engine(_i);
    Harness *h = real_new();
    harness_set_reg(h, G_EAX, 0x12340080);
    harness_set_reg(h, G_EBX, 0x0003);
    RUN(h, CODE_REAL, 0xf6, 0xe3, 0xf4);   /* mul bl: AX = 0x80 * 3 = 0x180, CF = OF = 1 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x12340180);
    ck_assert_uint_eq(harness_eflags(h) & (F_CF | F_OF), F_CF | F_OF);
    harness_set_reg(h, G_EAX, 0xfffe);     /* imul word: -2 * 3 = -6 fits: CF = OF = 0, DX = 0xffff */
    harness_set_reg(h, G_EDX, 0x5555);
    RUN(h, CODE_REAL, 0xf7, 0xeb, 0xf4);   /* imul bx */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0xfffa);
    ck_assert_uint_eq(reg(h, G_EDX) & 0xffff, 0xffff);
    ck_assert_uint_eq(harness_eflags(h) & (F_CF | F_OF), 0);
    harness_set_reg(h, G_EAX, 0x1235);     /* div bl: 0x1235 / 0x40 = 0x48 r 0x35 */
    harness_set_reg(h, G_EBX, 0x40);
    RUN(h, CODE_REAL, 0xf6, 0xf3, 0xf4);
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0x3548);
    harness_set_reg(h, G_EDX, 0xffff);     /* idiv bx: DX:AX = -7 / 2 = -3 r -1 */
    harness_set_reg(h, G_EAX, 0xfff9);
    harness_set_reg(h, G_EBX, 2);
    RUN(h, CODE_REAL, 0xf7, 0xfb, 0xf4);
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0xfffd);
    ck_assert_uint_eq(reg(h, G_EDX) & 0xffff, 0xffff);
    harness_free(h);
}
END_TEST

/* #DE: divide by zero, quotient overflow, AAM 0 — registers untouched, IP of the instruction pushed. */
START_TEST(real_divide_errors)
{
    use_engine(_i);
    static const uint8_t div0[] = { 0x90, 0xf7, 0xf3, 0xf4 };        /* nop; div bx (BX = 0) */
    static const uint8_t idivo[] = { 0x90, 0xf6, 0xfb, 0xf4 };       /* nop; idiv bl: -32768 / -1 */
    static const uint8_t divo[] = { 0x90, 0xf7, 0xf3, 0xf4 };        /* div bx: 0x10000 / 1 */
    static const uint8_t aam0[] = { 0x90, 0xd4, 0x00, 0xf4 };        /* aam 0 */
    const uint8_t *progs[4] = { div0, idivo, divo, aam0 };
    uint32_t ax[4] = { 0x1234, 0x8000, 0x0000, 0x0042 }, dx[4] = { 0x1, 0x0, 0x0001, 0 }, bx[4] = { 0, 0xff, 1, 0 };
    for (int i = 0; i < 4; i++) {
        Harness *h = real_new();
        harness_set_reg(h, G_EAX, ax[i]);
        harness_set_reg(h, G_EDX, dx[i]);
        harness_set_reg(h, G_EBX, bx[i]);
        load_run(h, CODE_REAL, progs[i], 4);
        assert_real_fault_at(h, CODE_REAL + 1);
        ck_assert_uint_eq(reg(h, G_EAX), ax[i]);
        ck_assert_uint_eq(reg(h, G_EDX), dx[i]);
        harness_free(h);
    }
}
END_TEST

START_TEST(real_bcd)
{
    use_engine(_i);
    Harness *h = real_new();
    harness_set_reg(h, G_EAX, 0x79);
    harness_set_reg(h, G_EBX, 0x35);
    RUN(h, CODE_REAL, 0x00, 0xd8, 0x27, 0xf4);   /* add al, bl; daa: 79 + 35 = 114 → AL 14, CF */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xff, 0x14);
    ck_assert_uint_eq(harness_eflags(h) & (F_CF | F_AF), F_CF | F_AF);
    harness_set_reg(h, G_EAX, 0x35);
    harness_set_reg(h, G_EBX, 0x47);
    RUN(h, CODE_REAL, 0x28, 0xd8, 0x2f, 0xf4);   /* sub al, bl; das: 35 - 47 = 88, borrow */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xff, 0x88);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, F_CF);
    harness_set_reg(h, G_EAX, 0x0108);
    harness_set_reg(h, G_EBX, 0x05);
    RUN(h, CODE_REAL, 0x00, 0xd8, 0x37, 0xf4);   /* add al, bl; aaa: 8 + 5 = 0x0d → AX 0203 */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0x0203);
    harness_set_reg(h, G_EAX, 0x0063);
    RUN(h, CODE_REAL, 0xd4, 0x0a, 0xf4);         /* aam: 99 → AH 9 AL 9 */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0x0909);
    RUN(h, CODE_REAL, 0xd5, 0x0a, 0xf4);         /* aad: back to 0x63 */
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0x0063);
    harness_free(h);
}
END_TEST

/* BT m16, r16 with a negative bit offset addresses the word before the operand (SDM vol 2 BT). */
START_TEST(real_bt_memory_offsets)
{
    use_engine(_i);
    Harness *h = real_new();
    w16(h, 0x0ffe, 0x8000);   /* bit -1 of the word at 0x1000... lives at 0x0ffe bit 15 */
    w16(h, 0x1000, 0x0000);
    harness_set_reg(h, G_EAX, 0xffff);   /* -1 */
    RUN(h, CODE_REAL + 0x100, 0x0f, 0xa3, 0x06, 0x00, 0x10, 0xf4);   /* bt [1000h], ax */
    ck_assert_uint_eq(harness_eflags(h) & F_CF, F_CF);
    harness_set_reg(h, G_EAX, 0x21);     /* 33: word at 0x1004, bit 1 */
    RUN(h, CODE_REAL + 0x100, 0x0f, 0xab, 0x06, 0x00, 0x10, 0xf4);   /* bts [1000h], ax */
    ck_assert_uint_eq(r16(h, 0x1004), 0x0002);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, 0);
    RUN(h, CODE_REAL + 0x100, 0x0f, 0xbb, 0x06, 0x00, 0x10, 0xf4);   /* btc [1000h], ax */
    ck_assert_uint_eq(r16(h, 0x1004), 0x0000);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, F_CF);
    /* BT with an immediate is taken modulo the operand width: bt word [1000h], 17 → bit 1 */
    w16(h, 0x1000, 0x0002);
    RUN(h, CODE_REAL + 0x100, 0x0f, 0xba, 0x26, 0x00, 0x10, 17, 0xf4);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, F_CF);
    harness_free(h);
}
END_TEST

/* CMOVcc with a false condition still reads its memory source: a word at DS:FFFF faults (#GP in real mode). */
START_TEST(real_cmov_reads_source)
{
    use_engine(_i);
    Harness *h = real_new();
    harness_set_reg(h, G_EAX, 0x1234);
    harness_set_eflags(h, 2);   /* ZF = 0: cmovz is false */
    RUN(h, CODE_REAL, 0x0f, 0x44, 0x06, 0xff, 0xff, 0xf4);   /* cmovz ax, [ffffh] */
    assert_real_fault_at(h, CODE_REAL);
    ck_assert_uint_eq(reg(h, G_EAX), 0x1234);
    harness_free(h);
}
END_TEST

/* ---- 32-bit forms ---- */

START_TEST(shift_count_zero_keeps_flags)
{
    use_engine(_i);
    Harness *h = flat_new();
    for (int cl = 0; cl <= 32; cl += 32) {
        harness_set_reg(h, G_EAX, 1);
        harness_set_reg(h, G_EBX, 2);
        harness_set_reg(h, G_ECX, (uint32_t)cl);
        harness_set_reg(h, G_EDX, 0x80000000u);
        RUN(h, CODE_FLAT, 0x39, 0xd8,    /* cmp eax, ebx: CF SF AF PF */
            0xd3, 0xe2,                  /* shl edx, cl (count 0: nothing) */
            0xd3, 0xc2,                  /* rol edx, cl */
            0xd3, 0xd2,                  /* rcl edx, cl */
            0x0f, 0xa5, 0xda,            /* shld edx, ebx, cl */
            0x0f, 0x92, 0xc0,            /* setb al */
            0xf4);
        ck_assert_uint_eq(reg(h, G_EDX), 0x80000000u);
        ck_assert_uint_eq(reg(h, G_EAX) & 0xff, 1);
        ck_assert_uint_eq(harness_eflags(h) & F_ARITH, F_CF | F_SF | F_AF | F_PF);
    }
    harness_free(h);
}
END_TEST

START_TEST(rotates_through_carry_and_double_shifts)
{
    use_engine(_i);
    Harness *h = flat_new();
    harness_set_reg(h, G_EAX, 0x80);
    harness_set_eflags(h, 2 | F_CF);
    RUN(h, CODE_FLAT, 0xd0, 0xd0, 0xf4);   /* rcl al, 1: CF:AL = 1:80 → AL 01, CF 1, OF = 0 ^ 1 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x01);
    ck_assert_uint_eq(harness_eflags(h) & (F_CF | F_OF), F_CF | F_OF);
    harness_set_reg(h, G_EAX, 0x0001);
    harness_set_eflags(h, 2);
    RUN(h, CODE_FLAT, 0x66, 0xc1, 0xd8, 0x02, 0xf4);   /* rcr ax, 2: 0:0001 → AX 8000, CF 0 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x8000);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, 0);
    harness_set_reg(h, G_EAX, 0x12345678);
    harness_set_reg(h, G_EBX, 0x9abcdef0);
    RUN(h, CODE_FLAT, 0x0f, 0xa4, 0xd8, 0x08, 0xf4);   /* shld eax, ebx, 8 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x3456789a);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, 0);
    RUN(h, CODE_FLAT, 0x0f, 0xac, 0xd8, 0x04, 0xf4);   /* shrd eax, ebx, 4: CF = bit 3 of 3456789a = 1 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x03456789);
    ck_assert_uint_eq(harness_eflags(h) & F_CF, F_CF);
    harness_set_reg(h, G_EAX, 0x1234);
    harness_set_reg(h, G_EBX, 0xabcd);
    RUN(h, CODE_FLAT, 0x66, 0x0f, 0xa4, 0xd8, 0x04, 0xf4);   /* shld ax, bx, 4 */
    ck_assert_uint_eq(reg(h, G_EAX), 0x234a);
    harness_free(h);
}
END_TEST

START_TEST(exchange_family)
{
    use_engine(_i);
    Harness *h = flat_new();
    w32(h, DATA_FLAT, 5);
    harness_set_reg(h, G_EAX, 5);
    harness_set_reg(h, G_ECX, 9);
    harness_set_reg(h, G_EDX, 0);
    RUN(h, CODE_FLAT, 0x0f, 0xb1, 0x0d, 0x00, 0x00, 0x02, 0x00, /* cmpxchg [DATA], ecx: equal → [DATA] = 9 */
        0x0f, 0x94, 0xc2, 0xf4);                                /* setz dl */
    ck_assert_uint_eq(r32(h, DATA_FLAT), 9);
    ck_assert_uint_eq(reg(h, G_EAX), 5);
    ck_assert_uint_eq(reg(h, G_EDX), 1);
    RUN(h, CODE_FLAT, 0x0f, 0xb1, 0x0d, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x94, 0xc2, 0xf4);   /* not equal: EAX = 9 */
    ck_assert_uint_eq(reg(h, G_EAX), 9);
    ck_assert_uint_eq(reg(h, G_EDX), 0);
    harness_set_reg(h, G_EAX, 7);
    RUN(h, CODE_FLAT, 0x0f, 0xb1, 0xc0, 0xf4);   /* cmpxchg eax, eax: equal, EAX = EAX */
    ck_assert_uint_eq(reg(h, G_EAX), 7);
    /* CMPXCHG8B */
    w32(h, DATA_FLAT, 0x11111111);
    w32(h, DATA_FLAT + 4, 0x22222222);
    harness_set_reg(h, G_EAX, 0x11111111);
    harness_set_reg(h, G_EDX, 0x22222222);
    harness_set_reg(h, G_EBX, 0x33333333);
    harness_set_reg(h, G_ECX, 0x44444444);
    RUN(h, CODE_FLAT, 0x0f, 0xc7, 0x0d, 0x00, 0x00, 0x02, 0x00, 0xf4);
    ck_assert_uint_eq(r32(h, DATA_FLAT), 0x33333333);
    ck_assert_uint_eq(r32(h, DATA_FLAT + 4), 0x44444444);
    ck_assert_uint_eq(harness_eflags(h) & F_ZF, F_ZF);
    RUN(h, CODE_FLAT, 0x0f, 0xc7, 0x0d, 0x00, 0x00, 0x02, 0x00, 0xf4);   /* now different: EDX:EAX loaded */
    ck_assert_uint_eq(reg(h, G_EAX), 0x33333333);
    ck_assert_uint_eq(reg(h, G_EDX), 0x44444444);
    ck_assert_uint_eq(harness_eflags(h) & F_ZF, 0);
    /* XADD, XCHG with memory, BSWAP */
    w32(h, DATA_FLAT, 10);
    harness_set_reg(h, G_EBX, 3);
    RUN(h, CODE_FLAT, 0x0f, 0xc1, 0x1d, 0x00, 0x00, 0x02, 0x00, 0xf4);   /* xadd [DATA], ebx */
    ck_assert_uint_eq(r32(h, DATA_FLAT), 13);
    ck_assert_uint_eq(reg(h, G_EBX), 10);
    RUN(h, CODE_FLAT, 0x87, 0x1d, 0x00, 0x00, 0x02, 0x00, 0xf4);         /* xchg [DATA], ebx */
    ck_assert_uint_eq(r32(h, DATA_FLAT), 10);
    ck_assert_uint_eq(reg(h, G_EBX), 13);
    harness_set_reg(h, G_ESI, 0x11223344);
    RUN(h, CODE_FLAT, 0x0f, 0xce, 0xf4);                                 /* bswap esi */
    ck_assert_uint_eq(reg(h, G_ESI), 0x44332211);
    harness_free(h);
}
END_TEST

START_TEST(bit_scan_and_misc)
{
    use_engine(_i);
    Harness *h = flat_new();
    harness_set_reg(h, G_EAX, 0xdeadbeef);
    harness_set_reg(h, G_EBX, 0);
    RUN(h, CODE_FLAT, 0x0f, 0xbc, 0xc3, 0xf4);   /* bsf eax, ebx: zero source: ZF, EAX kept */
    ck_assert_uint_eq(reg(h, G_EAX), 0xdeadbeef);
    ck_assert_uint_eq(harness_eflags(h) & F_ZF, F_ZF);
    harness_set_reg(h, G_EBX, 0x00f00100);
    RUN(h, CODE_FLAT, 0x0f, 0xbc, 0xc3, 0x0f, 0xbd, 0xcb, 0xf4);   /* bsf eax, ebx; bsr ecx, ebx */
    ck_assert_uint_eq(reg(h, G_EAX), 8);
    ck_assert_uint_eq(reg(h, G_ECX), 23);
    ck_assert_uint_eq(harness_eflags(h) & F_ZF, 0);
    harness_set_reg(h, G_EAX, 0x1234ff80);
    RUN(h, CODE_FLAT, 0x66, 0x98, 0x66, 0x99, 0xf4);   /* cbw; cwd */
    ck_assert_uint_eq(reg(h, G_EAX), 0x1234ff80);
    ck_assert_uint_eq(reg(h, G_EDX) & 0xffff, 0xffff);
    harness_set_reg(h, G_EAX, 0x00008000);
    RUN(h, CODE_FLAT, 0x98, 0x99, 0xf4);               /* cwde; cdq */
    ck_assert_uint_eq(reg(h, G_EAX), 0xffff8000);
    ck_assert_uint_eq(reg(h, G_EDX), 0xffffffff);
    /* SAHF/LAHF, STC/CMC/CLC, SALC */
    harness_set_reg(h, G_EAX, 0xd500);
    harness_set_eflags(h, 2 | F_OF);
    RUN(h, CODE_FLAT, 0x9e, 0xf5, 0xd6, 0x9f, 0xf4);   /* sahf; cmc; salc; lahf */
    ck_assert_uint_eq(harness_eflags(h) & F_ARITH, F_SF | F_ZF | F_AF | F_PF | F_OF);
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 0xd600);   /* AL = 00: CF was 0 after CMC */
    /* LEA with 32-bit scaled index, MOVZX/MOVSX */
    harness_set_reg(h, G_EBX, 0x1000);
    harness_set_reg(h, G_ESI, 0x10);
    harness_set_reg(h, G_ECX, 0x80f0);
    RUN(h, CODE_FLAT, 0x8d, 0x44, 0xb3, 0x08,    /* lea eax, [ebx+esi*4+8] */
        0x0f, 0xb6, 0xd1, 0x0f, 0xbf, 0xf9,      /* movzx edx, cl; movsx edi, cx */
        0xf4);
    ck_assert_uint_eq(reg(h, G_EAX), 0x1048);
    ck_assert_uint_eq(reg(h, G_EDX), 0xf0);
    ck_assert_uint_eq(reg(h, G_EDI), 0xffff80f0);
    harness_free(h);
}
END_TEST

/* 16-bit addressing in 32-bit code (67 prefix): only BX/SI's low halves count, and the sum wraps at 64 KiB. */
START_TEST(addr16_in_32bit_code)
{
    use_engine(_i);
    Harness *h = flat_new();
    w32(h, 0x0000, 0xcafef00d);
    w32(h, 0x0100, 0x11223344);
    harness_set_reg(h, G_EBX, 0x12340010);
    harness_set_reg(h, G_ESI, 0x5678fff0);
    RUN(h, CODE_FLAT, 0x67, 0x8b, 0x00,               /* mov eax, [bx+si]: (0x0010 + 0xfff0) & 0xffff = 0 */
        0x67, 0x8d, 0x88, 0x10, 0x01,                 /* lea ecx, [bx+si+0110h] → 0x0110 */
        0x67, 0x8b, 0x50, 0xf0,                       /* mov edx, [bx+si-10h] → 0xfff0 */
        0x67, 0x8b, 0x3e, 0x00, 0x01,                 /* mov edi, [0100h] (disp16 only) */
        0xf4);
    ck_assert_uint_eq(reg(h, G_EAX), 0xcafef00d);
    ck_assert_uint_eq(reg(h, G_ECX), 0x0110);
    ck_assert_uint_eq(reg(h, G_EDX), r32(h, 0xfff0));
    ck_assert_uint_eq(reg(h, G_EDI), 0x11223344);
    harness_free(h);
}
END_TEST

/* Under HF_FLAT, ES/SS/DS go unchecked, but a store through CS must still fault: code is never writable. */
START_TEST(flat_cs_store_faults)
{
    use_engine(_i);
    Harness *h = flat_new();
    static const uint8_t code[] = { 0x2e, 0x89, 0x05, 0x00, 0x00, 0x02, 0x00, 0xf4 };   /* mov cs:[DATA], eax */
    ck_assert_uint_ne(h->env->hflags & HF_FLAT, 0);
    w32(h, DATA_FLAT, 0);
    harness_set_reg(h, G_EAX, 0x12345678);
    harness_write(h, CODE_FLAT, code, sizeof code);
    harness_set_reg(h, G_EIP, CODE_FLAT);
    ExecStop st = harness_run(h, 1000);   /* #GP with an empty IDT: triple fault */
    ck_assert(st == STOP_SHUTDOWN || st == STOP_RESET);
    ck_assert_uint_eq(r32(h, DATA_FLAT), 0);
    harness_free(h);
    h = flat_new();
    RUN(h, CODE_FLAT, 0x2e, 0x8b, 0x0d, 0x00, 0x00, 0x02, 0x00, 0xf4);   /* mov ecx, cs:[DATA]: readable */
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    harness_free(h);
}
END_TEST

/* ---- the block loop (xlat_block called directly) ---- */

static IrBlock *block_new(void)
{
    IrBlock *b = calloc(1, sizeof(IrBlock));
    ck_assert_ptr_nonnull(b);
    return b;
}

START_TEST(block_limits)
{
    Harness *h = flat_new();
    IrBlock *b = block_new();
    uint32_t size, page2;
    const uint32_t hf = h->env->hflags;
    /* 100 NOPs: at most TB_MAX_INSNS instructions */
    harness_fill(h, CODE_FLAT, 0x90, 100);
    ck_assert_int_eq(xlat_block(h->env, b, CODE_FLAT, 0, hf, &size, &page2), 0);
    ck_assert_int_eq(b->ninsns, TB_MAX_INSNS);
    ck_assert_uint_eq(size, TB_MAX_INSNS);
    ck_assert_uint_eq(page2, ~0u);
    /* NOPs up to a page end: the block stops before the first instruction on the next page */
    harness_fill(h, 0x10ffc, 0x90, 16);
    ck_assert_int_eq(xlat_block(h->env, b, 0x10ffc, 0, hf, &size, &page2), 0);
    ck_assert_int_eq(b->ninsns, 4);
    ck_assert_uint_eq(page2, ~0u);
    /* an instruction spilling onto the next page ends the block and reports that page */
    static const uint8_t mov[] = { 0x90, 0xb8, 1, 2, 3, 4, 0x90 };   /* nop; mov eax, imm32 (crosses); nop */
    harness_write(h, 0x11ffd, mov, sizeof mov);
    ck_assert_int_eq(xlat_block(h->env, b, 0x11ffd, 0, hf, &size, &page2), 0);
    ck_assert_int_eq(b->ninsns, 2);
    ck_assert_uint_eq(size, 6);
    ck_assert_uint_eq(page2, 0x12000);
    /* single step: one instruction per block */
    ck_assert_int_eq(xlat_block(h->env, b, CODE_FLAT, 0, hf | HF_TF, &size, &page2), 0);
    ck_assert_int_eq(b->ninsns, 1);
    /* every block ends with a terminator */
    ck_assert(b->ops[b->nops - 1].op == IR_GOTO_TB || b->ops[b->nops - 1].op == IR_EXIT_TB);
    free(b);
    harness_free(h);
}
END_TEST

/* EFLAGS.TF: one-instruction blocks and a #DB trap after the instruction, for a fall-through exit and for a
 * taken jump (the pushed IP is that of the next instruction to run). */
START_TEST(single_step_traps)
{
    use_engine(_i);
    Harness *h = real_new();
    harness_set_eflags(h, 2 | F_TF);
    RUN(h, CODE_REAL, 0x40, 0x40, 0xf4);          /* inc ax; inc ax; hlt */
    assert_real_fault_at(h, CODE_REAL + 1);
    ck_assert_uint_eq(reg(h, G_EAX) & 0xffff, 1);
    harness_free(h);
    h = real_new();
    harness_set_eflags(h, 2 | F_TF);
    RUN(h, CODE_REAL, 0xeb, 0x02, 0x90, 0x90, 0xf4);   /* jmp +2 → the HLT at +4 */
    assert_real_fault_at(h, CODE_REAL + 4);
    harness_free(h);
}
END_TEST

/* An invalid encoding raises #UD at its own address (real mode: IP pushed = the instruction). */
START_TEST(invalid_opcode_raises_ud)
{
    use_engine(_i);
    Harness *h = real_new();
    RUN(h, CODE_REAL, 0x90, 0x0f, 0xff, 0xf4);   /* nop; 0F FF (no instruction) */
    assert_real_fault_at(h, CODE_REAL + 1);
    RUN(h, CODE_REAL, 0x8d, 0xc0, 0xf4);         /* lea ax, ax: register operand → #UD */
    assert_real_fault_at(h, CODE_REAL);
    harness_free(h);
}
END_TEST

/* xlat_block with the fetch fault of the first instruction caught: false if it raised. */
static bool translate_caught(Harness *h, IrBlock *b, uint32_t pc, uint32_t hflags)
{
    uint32_t size, page2;
    if (setjmp(h->env->jmp_env))
        return false;
    xlat_block(h->env, b, pc, 0, hflags, &size, &page2);
    return true;
}

/* Every block the translator builds from random bytes (32-bit flat, 16-bit real mode) obeys the IR's rules
 * (ir_verify), before and after the optimiser. A fetch fault of a block's first instruction unwinds through
 * env->jmp_env, which this test catches itself. */
START_TEST(random_blocks_verify)
{
    static char err[256];
    for (int mode = 0; mode < 2; mode++) {
        Harness *h = mode ? real_new() : flat_new();
        IrBlock *b = block_new();
        uint32_t base = mode ? CODE_REAL : CODE_FLAT;
        for (int i = 0; i < 3000; i++) {
            uint8_t bytes[64];
            for (int k = 0; k < 64; k++)
                bytes[k] = (uint8_t)rnd();
            harness_write(h, base, bytes, sizeof bytes);
            /* also vary what the block depends on: code size, CPL 3, single step, execute breakpoints */
            uint32_t hf = h->env->hflags ^ (rnd() & (HF_CS32 | HF_TF | HF_DR_EXEC)) ^ ((rnd() & 1) ? 3 : 0);
            if (!translate_caught(h, b, base + rnd() % 16, hf))
                continue;   /* the first instruction faulted while being fetched */
            if (!ir_verify(b, err, sizeof err)) {
                static char listing[200000];
                ir_print(b, listing, sizeof listing);
                ck_abort_msg("mode %d block %d: %s\n%s", mode, i, err, listing);
            }
            ir_optimize(b);
            ck_assert_msg(ir_verify(b, err, sizeof err), "mode %d block %d after ir_optimize: %s", mode, i, err);
        }
        free(b);
        harness_free(h);
    }
}
END_TEST

static Suite *alu_suite(void)
{
    Suite *s = suite_create("xlat_alu");
    TCase *tc = tcase_create("conditions");
    tcase_add_loop_test(tc, setcc_after_each_op, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, jcc_after_each_op, 0, NUM_ENGINES);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    tc = tcase_create("real_mode");
    tcase_add_loop_test(tc, real_ea_wrap_and_arith, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, real_mul_div, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, real_divide_errors, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, real_bcd, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, real_bt_memory_offsets, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, real_cmov_reads_source, 0, NUM_ENGINES);
    suite_add_tcase(s, tc);
    tc = tcase_create("forms");
    tcase_add_loop_test(tc, shift_count_zero_keeps_flags, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, rotates_through_carry_and_double_shifts, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, exchange_family, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, bit_scan_and_misc, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, flat_cs_store_faults, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, addr16_in_32bit_code, 0, NUM_ENGINES);
    suite_add_tcase(s, tc);
    tc = tcase_create("block");
    tcase_add_test(tc, block_limits);
    tcase_add_loop_test(tc, invalid_opcode_raises_ud, 0, NUM_ENGINES);
    tcase_add_loop_test(tc, single_step_traps, 0, NUM_ENGINES);
    tcase_add_test(tc, random_blocks_verify);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(alu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
