/* test_a64_encode.c — golden tests of the AArch64 encoders (backend-aarch64/a64_emit.c): each encoder is called
 * with several register choices (low, high, X19/X27 as the backend's bases, ZR/SP where the form allows them) and
 * immediates at the edges of their fields; the word is disassembled with Capstone (ARM64) and the text must match
 * exactly, as one 4-byte instruction. Runs on every host (the encoders are compiled everywhere).
 * Also: bitmask-immediate encodability against a brute-force decoder of every N:immr:imms (Arm ARM
 * DecodeBitMasks), the buffer-full contract, branch/literal patching with its range limits, and the instruction
 * count CodeBuf.insns (data words excluded).
 * Left out: executing the code (tests/test_jit.c runs whole blocks on aarch64 hosts). */
#include <check.h>
#include <stdio.h>
#include <string.h>
/* Capstone's x86_op_type has an X86_OP_INVALID too (frontend/x86_insn.h): rename Capstone's while it is read. */
#define X86_OP_INVALID CS_X86_OP_INVALID_
#include <capstone/capstone.h>
#undef X86_OP_INVALID
#include "../backend-aarch64/a64_emit.h"

enum { ORG = 0x1000 };
static uint8_t mem[256] __attribute__((aligned(8)));
static csh cs;

static CodeBuf buf_new(void)
{
    memset(mem, 0, sizeof(mem));
    return (CodeBuf){ .start = mem, .p = mem, .end = mem + sizeof(mem) };
}

/* Disassemble [mem, cb->p) as if at ORG: exactly one instruction covering the 4 bytes, text == want. */
static void check_text(const CodeBuf *cb, const char *want, const char *call)
{
    cs_insn *insn;
    size_t len = (size_t)(cb->p - mem);
    ck_assert_msg(!cb->full, "%s: buffer full", call);
    ck_assert_msg(len == 4 && cb->insns == 1, "%s: %zu bytes, %llu insns", call, len, (unsigned long long)cb->insns);
    size_t n = cs_disasm(cs, mem, len, ORG, 0, &insn);
    char got[200] = "(undecodable)";
    uint32_t w = (uint32_t)mem[0] | (uint32_t)mem[1] << 8 | (uint32_t)mem[2] << 16 | (uint32_t)mem[3] << 24;
    if (n >= 1)
        snprintf(got, sizeof(got), "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "", insn[0].op_str);
    ck_assert_msg(n == 1 && strcmp(got, want) == 0, "%s: [%08x] -> '%s', want '%s'", call, w, got, want);
    if (n)
        cs_free(insn, n);
}

#define T(call, want) do { CodeBuf cb_ = buf_new(); CodeBuf *cb = &cb_; call; check_text(cb, want, #call); } while (0)
/* a branch target 0x80 bytes into the buffer: Capstone prints ORG + 0x80 */
#define TGT (mem + 0x80)

START_TEST(test_moves)
{
    T(a64_mov_rr(cb, A64_X0, A64_X1), "mov w0, w1");
    T(a64_mov_rr(cb, A64_X28, A64_X9), "mov w28, w9");
    T(a64_mov_rr64(cb, A64_X19, A64_X0), "mov x19, x0");
    T(a64_mov_sp64(cb, A64_X29, A64_SP), "mov x29, sp");
    T(a64_movz(cb, A64_X0, 0, 0), "movz w0, #0");
    T(a64_movz(cb, A64_X16, 0xffff, 0), "movz w16, #0xffff");
    T(a64_movz(cb, A64_X3, 0x1234, 16), "movz w3, #0x1234, lsl #16");
    T(a64_movz64(cb, A64_X16, 0xbeef, 48), "movz x16, #0xbeef, lsl #48");
    T(a64_movn(cb, A64_X5, 0, 0), "movn w5, #0");
    T(a64_movn(cb, A64_X5, 0x8000, 16), "movn w5, #0x8000, lsl #16");
    T(a64_movk(cb, A64_X17, 0xabcd, 16), "movk w17, #0xabcd, lsl #16");
    T(a64_movk64(cb, A64_X16, 0x7fff, 32), "movk x16, #0x7fff, lsl #32");
}
END_TEST

START_TEST(test_arith)
{
    T(a64_add_rrr(cb, A64_X0, A64_X1, A64_X2), "add w0, w1, w2");
    T(a64_add_rrr(cb, A64_X28, A64_X20, A64_X15), "add w28, w20, w15");
    T(a64_add_rrr64(cb, A64_X1, A64_X1, A64_X2), "add x1, x1, x2");
    T(a64_add_rrr_lsl64(cb, A64_X2, A64_X27, A64_X2, 5), "add x2, x27, x2, lsl #5");
    T(a64_sub_rrr(cb, A64_X9, A64_X10, A64_X11), "sub w9, w10, w11");
    T(a64_sub_rrr64(cb, A64_X0, A64_X1, A64_X2), "sub x0, x1, x2");
    T(a64_subs_rrr(cb, A64_X2, A64_X2, A64_X1), "subs w2, w2, w1");
    T(a64_add_rri(cb, A64_X0, A64_X1, 0), "add w0, w1, #0");
    T(a64_add_rri(cb, A64_X3, A64_X1, 4095), "add w3, w1, #0xfff");
    T(a64_add_rri(cb, A64_X3, A64_X1, 0x1000), "add w3, w1, #1, lsl #12");
    T(a64_add_rri64(cb, A64_X27, A64_X19, 0x8000), "add x27, x19, #8, lsl #12");
    T(a64_add_rri64(cb, A64_X4, A64_X4, 1), "add x4, x4, #1");
    T(a64_sub_rri(cb, A64_X2, A64_X2, 1), "sub w2, w2, #1");
    T(a64_sub_rri64(cb, A64_X0, A64_X0, 0xfff000), "sub x0, x0, #0xfff, lsl #12");
    T(a64_subs_rri(cb, A64_X0, A64_X5, 7), "subs w0, w5, #7");
    T(a64_cmp_rr(cb, A64_X1, A64_X2), "cmp w1, w2");
    T(a64_cmp_rr64(cb, A64_X0, A64_X2), "cmp x0, x2");
    T(a64_cmp_ri(cb, A64_X21, 0), "cmp w21, #0");
    T(a64_cmp_ri(cb, A64_X2, 3), "cmp w2, #3");
    T(a64_cmp_ri64(cb, A64_X2, 0x7ff), "cmp x2, #0x7ff");
    T(a64_cmn_ri(cb, A64_X2, 1), "cmn w2, #1");
    T(a64_neg_rr(cb, A64_X0, A64_X12), "neg w0, w12");
}
END_TEST

START_TEST(test_logic)
{
    T(a64_and_rrr(cb, A64_X0, A64_X1, A64_X2), "and w0, w1, w2");
    T(a64_orr_rrr(cb, A64_X20, A64_X21, A64_X16), "orr w20, w21, w16");
    T(a64_eor_rrr(cb, A64_X2, A64_X2, A64_X3), "eor w2, w2, w3");
    T(a64_bic_rrr(cb, A64_X0, A64_X1, A64_X2), "bic w0, w1, w2");
    T(a64_mvn_rr(cb, A64_X9, A64_X10), "mvn w9, w10");
    T(a64_tst_rr(cb, A64_X1, A64_X2), "tst w1, w2");
    T(a64_tst_rr64(cb, A64_X1, A64_X1), "tst x1, x1");
    T(a64_and_rri(cb, A64_X3, A64_X3, 0xfffff000u), "and w3, w3, #0xfffff000");
    T(a64_and_rri(cb, A64_X0, A64_X1, 0xff), "and w0, w1, #0xff");
    T(a64_and_rri(cb, A64_X0, A64_X1, 0x80000000u), "and w0, w1, #0x80000000");
    T(a64_orr_rri(cb, A64_X0, A64_X1, 0x55555555u), "orr w0, w1, #0x55555555");
    T(a64_orr_rri(cb, A64_X0, A64_ZR, 0x00ff00ffu), "orr w0, wzr, #0xff00ff");
    T(a64_eor_rri(cb, A64_X5, A64_X6, 0xfffffffeu), "eor w5, w6, #0xfffffffe");
    T(a64_eor_rri(cb, A64_X5, A64_X6, 0x0ffffff0u), "eor w5, w6, #0xffffff0");
    T(a64_tst_ri(cb, A64_X2, 0xfffff000u), "tst w2, #0xfffff000");
    T(a64_tst_ri(cb, A64_X2, 1), "tst w2, #1");
}
END_TEST

START_TEST(test_shifts_bits)
{
    T(a64_lslv_rrr(cb, A64_X0, A64_X1, A64_X2), "lsl w0, w1, w2");
    T(a64_lsrv_rrr(cb, A64_X0, A64_X1, A64_X2), "lsr w0, w1, w2");
    T(a64_asrv_rrr(cb, A64_X0, A64_X1, A64_X2), "asr w0, w1, w2");
    T(a64_rorv_rrr(cb, A64_X20, A64_X21, A64_X0), "ror w20, w21, w0");
    T(a64_lsl_rri(cb, A64_X0, A64_X1, 1), "lsl w0, w1, #1");
    T(a64_lsl_rri(cb, A64_X0, A64_X1, 31), "lsl w0, w1, #0x1f");
    T(a64_lsr_rri(cb, A64_X0, A64_X1, 12), "lsr w0, w1, #0xc");
    T(a64_lsr_rri64(cb, A64_X10, A64_X0, 32), "lsr x10, x0, #0x20");
    T(a64_asr_rri(cb, A64_X0, A64_X1, 31), "asr w0, w1, #0x1f");
    T(a64_ror_rri(cb, A64_X0, A64_X1, 8), "ror w0, w1, #8");
    T(a64_ubfx_rrii(cb, A64_X2, A64_X1, 12, 8), "ubfx w2, w1, #0xc, #8");
    T(a64_ubfx_rrii(cb, A64_X2, A64_X1, 0, 31), "ubfx w2, w1, #0, #0x1f");
    T(a64_bfi_rrii(cb, A64_X0, A64_X1, 8, 8), "bfi w0, w1, #8, #8");
    T(a64_bfi_rrii(cb, A64_X0, A64_X1, 31, 1), "bfi w0, w1, #0x1f, #1");
    T(a64_sxtb_rr(cb, A64_X0, A64_X1), "sxtb w0, w1");
    T(a64_uxtb_rr(cb, A64_X0, A64_X1), "uxtb w0, w1");
    T(a64_sxth_rr(cb, A64_X22, A64_X0), "sxth w22, w0");
    T(a64_uxth_rr(cb, A64_X0, A64_X1), "uxth w0, w1");
    T(a64_rev_rr(cb, A64_X0, A64_X1), "rev w0, w1");
    T(a64_rbit_rr(cb, A64_X0, A64_X1), "rbit w0, w1");
    T(a64_clz_rr(cb, A64_X9, A64_X0), "clz w9, w0");
}
END_TEST

START_TEST(test_mul_select)
{
    T(a64_mul_rrr(cb, A64_X0, A64_X1, A64_X2), "mul w0, w1, w2");
    T(a64_umull_rrr(cb, A64_X0, A64_X20, A64_X9), "umull x0, w20, w9");
    T(a64_smull_rrr(cb, A64_X0, A64_X1, A64_X2), "smull x0, w1, w2");
    T(a64_csel_rrr(cb, A64_X0, A64_X1, A64_X2, A64_CC_NE), "csel w0, w1, w2, ne");
    T(a64_csel_rrr(cb, A64_X0, A64_X1, A64_X2, A64_CC_LT), "csel w0, w1, w2, lt");
    T(a64_cset_r(cb, A64_X0, A64_CC_EQ), "cset w0, eq");
    T(a64_cset_r(cb, A64_X25, A64_CC_HI), "cset w25, hi");
    T(a64_cset_r(cb, A64_X0, A64_CC_LO), "cset w0, lo");
    T(a64_cset_r(cb, A64_X0, A64_CC_GE), "cset w0, ge");
}
END_TEST

START_TEST(test_memory)
{
    T(a64_ldr_rmi(cb, A64_X0, A64_X19, 0), "ldr w0, [x19]");
    T(a64_ldr_rmi(cb, A64_X20, A64_X19, 0x20), "ldr w20, [x19, #0x20]");
    T(a64_ldr_rmi(cb, A64_X0, A64_X19, 16380), "ldr w0, [x19, #0x3ffc]");
    T(a64_ldr_rmi64(cb, A64_X0, A64_X27, 0x110), "ldr x0, [x27, #0x110]");
    T(a64_ldr_rmi64(cb, A64_X0, A64_X1, 32760), "ldr x0, [x1, #0x7ff8]");
    T(a64_ldrh_rmi(cb, A64_X0, A64_X19, 2), "ldrh w0, [x19, #2]");
    T(a64_ldrb_rmi(cb, A64_X2, A64_X1, 0x88), "ldrb w2, [x1, #0x88]");
    T(a64_str_rmi(cb, A64_ZR, A64_X19, 4), "str wzr, [x19, #4]");
    T(a64_str_rmi(cb, A64_X17, A64_X19, 0x3c), "str w17, [x19, #0x3c]");
    T(a64_str_rmi64(cb, A64_X1, A64_X3, 8), "str x1, [x3, #8]");
    T(a64_strh_rmi(cb, A64_X0, A64_X19, 6), "strh w0, [x19, #6]");
    T(a64_strb_rmi(cb, A64_X0, A64_X19, 7), "strb w0, [x19, #7]");
    T(a64_ldr_rmw(cb, A64_X0, A64_X2, A64_X1), "ldr w0, [x2, w1, uxtw]");
    T(a64_ldrh_rmw(cb, A64_X0, A64_X2, A64_X1), "ldrh w0, [x2, w1, uxtw]");
    T(a64_ldrb_rmw(cb, A64_X0, A64_X2, A64_X1), "ldrb w0, [x2, w1, uxtw]");
    T(a64_str_rmw(cb, A64_X20, A64_X2, A64_X1), "str w20, [x2, w1, uxtw]");
    T(a64_strh_rmw(cb, A64_X9, A64_X2, A64_X1), "strh w9, [x2, w1, uxtw]");
    T(a64_strb_rmw(cb, A64_X15, A64_X2, A64_X1), "strb w15, [x2, w1, uxtw]");
    T(a64_ldr_rmx(cb, A64_X0, A64_X19, A64_X17), "ldr w0, [x19, x17]");
    T(a64_ldr_rmx64(cb, A64_X0, A64_X19, A64_X17), "ldr x0, [x19, x17]");
    T(a64_ldrh_rmx(cb, A64_X0, A64_X19, A64_X17), "ldrh w0, [x19, x17]");
    T(a64_ldrb_rmx(cb, A64_X0, A64_X19, A64_X17), "ldrb w0, [x19, x17]");
    T(a64_str_rmx(cb, A64_X16, A64_X19, A64_X17), "str w16, [x19, x17]");
    T(a64_str_rmx64(cb, A64_X0, A64_X19, A64_X17), "str x0, [x19, x17]");
    T(a64_strh_rmx(cb, A64_X0, A64_X19, A64_X17), "strh w0, [x19, x17]");
    T(a64_strb_rmx(cb, A64_X0, A64_X19, A64_X17), "strb w0, [x19, x17]");
    T(a64_ldur_rmi(cb, A64_X3, A64_X2, -8), "ldur w3, [x2, #-8]");
    T(a64_ldur_rmi64(cb, A64_X3, A64_X2, -16), "ldur x3, [x2, #-0x10]");
    T(a64_ldur_rmi64(cb, A64_X3, A64_X2, 255), "ldur x3, [x2, #0xff]");
    T(a64_stp_pre64(cb, A64_X29, A64_X30, A64_SP, -96), "stp x29, x30, [sp, #-0x60]!");
    T(a64_stp_pre64(cb, A64_X9, A64_X10, A64_SP, -64), "stp x9, x10, [sp, #-0x40]!");
    T(a64_ldp_post64(cb, A64_X29, A64_X30, A64_SP, 96), "ldp x29, x30, [sp], #0x60");
    T(a64_stp64(cb, A64_X19, A64_X20, A64_SP, 16), "stp x19, x20, [sp, #0x10]");
    T(a64_ldp64(cb, A64_X15, A64_X1, A64_SP, 48), "ldp x15, x1, [sp, #0x30]");
    T(a64_ldr_lit64(cb, A64_X2, TGT), "ldr x2, #0x1080");
    T(a64_ldr_lit64(cb, A64_X16, mem), "ldr x16, #0x1000");
}
END_TEST

START_TEST(test_branches)
{
    T(a64_b(cb, TGT), "b #0x1080");
    T(a64_b(cb, mem), "b #0x1000");
    T(a64_b_cond(cb, A64_CC_NE, TGT), "b.ne #0x1080");
    T(a64_b_cond(cb, A64_CC_HS, TGT), "b.hs #0x1080");
    T(a64_b_cond(cb, A64_CC_LS, TGT), "b.ls #0x1080");
    T(a64_b_cond(cb, A64_CC_GT, TGT), "b.gt #0x1080");
    T(a64_cbz(cb, A64_X2, TGT), "cbz w2, #0x1080");
    T(a64_cbnz(cb, A64_X2, TGT), "cbnz w2, #0x1080");
    T(a64_cbz64(cb, A64_X1, TGT), "cbz x1, #0x1080");
    T(a64_cbnz64(cb, A64_X1, TGT), "cbnz x1, #0x1080");
    T(a64_br(cb, A64_X16), "br x16");
    T(a64_blr(cb, A64_X16), "blr x16");
    T(a64_ret(cb), "ret");
    T(a64_nop(cb), "nop");
    T(a64_brk(cb, 1), "brk #0x1");
}
END_TEST

/* Arm ARM J1 DecodeBitMasks (with immN:imms, immr), for every 13-bit encoding valid at 32 or 64 bits */
static bool decode_bitmask(unsigned n, unsigned immr, unsigned imms, unsigned regsize, uint64_t *out,
                           bool *canonical)
{
    unsigned combined = (n << 6) | (~imms & 0x3f);
    if (combined == 0)
        return false;
    int len = 31 - __builtin_clz(combined);
    if (len < 1)
        return false;
    unsigned esize = 1u << len;
    if (esize > regsize)
        return false;
    unsigned levels = esize - 1, s = imms & levels, r = immr & levels;
    if (s == levels)
        return false;   /* all ones: reserved */
    uint64_t welem = (s + 1 == 64) ? ~0ull : (1ull << (s + 1)) - 1;
    uint64_t emask = esize == 64 ? ~0ull : (1ull << esize) - 1;
    uint64_t rot = r ? ((welem >> r) | (welem << (esize - r))) & emask : welem;
    uint64_t v = 0;
    for (unsigned i = 0; i < regsize; i += esize)
        v |= rot << i;
    *out = regsize == 64 ? v : v & 0xffffffffull;
    if (canonical)
        *canonical = immr < esize;  /* higher immr bits repeat the same rotation */
    return true;
}

START_TEST(test_bitmask_imm)
{
    /* every valid encoding decodes to a value that a64_logic_imm encodes back to the same value */
    int nvalid = 0;
    for (unsigned is64 = 0; is64 < 2; is64++) {
        for (unsigned e = 0; e < 8192; e++) {
            unsigned n = e >> 12, immr = (e >> 6) & 63, imms = e & 63;
            if (!is64 && n)
                continue;   /* N = 1 is reserved for 32-bit operations */
            uint64_t v, v2;
            bool canon;
            if (!decode_bitmask(n, immr, imms, is64 ? 64 : 32, &v, &canon) || !canon)
                continue;
            uint32_t enc;
            ck_assert_msg(a64_logic_imm(v, is64, &enc), "0x%llx (%u-bit) not encodable", (unsigned long long)v,
                          is64 ? 64 : 32);
            ck_assert(decode_bitmask(enc >> 12, (enc >> 6) & 63, enc & 63, is64 ? 64 : 32, &v2, NULL) && v2 == v);
            ck_assert_uint_eq(enc, e);  /* the canonical encoding is the only one for its value */
            nvalid++;
        }
    }
    ck_assert_int_eq(nvalid, 1302 + 5334);   /* distinct values: 1302 at 32 bits, 5334 at 64 bits */
    /* values that are not bitmask immediates */
    static const uint32_t bad[] = { 0, 0xffffffffu, 0x12345678u, 0x00000005u, 0xff00ff01u, 0x0f0f0f0eu };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(!a64_logic_imm(bad[i], false, NULL), "0x%x", bad[i]);
}
END_TEST

START_TEST(test_buffer_full_and_count)
{
    CodeBuf cb = buf_new();
    cb.end = mem + 6;   /* room for one word */
    a64_add_rrr(&cb, 0, 1, 2);
    ck_assert(!cb.full && cb.p == mem + 4 && cb.insns == 1);
    a64_add_rrr(&cb, 0, 1, 2);
    ck_assert(cb.full && cb.p == mem + 4 && cb.insns == 1);
    ck_assert_int_eq(mem[4], 0);
    CodeBuf d = buf_new();
    a64_data32(&d, 0xdeadbeef);
    a64_nop(&d);
    ck_assert(d.p == mem + 8 && d.insns == 1);   /* data words are not instructions */
}
END_TEST

START_TEST(test_patch)
{
    CodeBuf cb = buf_new();
    uint8_t *b = a64_b(&cb, NULL), *bc = a64_b_cond(&cb, A64_CC_EQ, NULL), *cz = a64_cbnz64(&cb, 3, NULL);
    uint8_t *lit = a64_ldr_lit64(&cb, 2, NULL);
    ck_assert(a64_cb_patch(&cb, b, mem + 0x40) && a64_cb_patch(&cb, bc, mem + 0x40));
    ck_assert(a64_cb_patch(&cb, cz, mem) && a64_patch(lit, mem + 0x48));
    size_t n;
    cs_insn *insn;
    n = cs_disasm(cs, mem, 16, ORG, 0, &insn);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(insn[0].op_str, "#0x1040");
    ck_assert_str_eq(insn[1].op_str, "#0x1040");
    ck_assert_str_eq(insn[2].op_str, "x3, #0x1000");
    ck_assert_str_eq(insn[3].op_str, "x2, #0x1048");
    cs_free(insn, n);
    /* out of range: B.cond reaches +-1 MiB, B +-128 MiB; the word is left alone */
    uint32_t before;
    memcpy(&before, bc, 4);
    ck_assert(!a64_patch(bc, bc + (1 << 20)));
    ck_assert(a64_patch(bc, bc + (1 << 20) - 4));
    ck_assert(!a64_patch(b, b + (128 << 20)));
    ck_assert(a64_patch(b, b - (128 << 20)));
    /* not a PC-relative instruction */
    CodeBuf c2 = buf_new();
    a64_add_rrr(&c2, 0, 1, 2);
    ck_assert(!a64_patch(mem, mem + 16));
    (void)before;
}
END_TEST

int main(void)
{
    if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &cs) != CS_ERR_OK) {
        fprintf(stderr, "test_a64_encode: Capstone has no ARM64 support\n");
        return 1;
    }
    Suite *s = suite_create("a64_encode");
    TCase *tc = tcase_create("encoders");
    tcase_add_test(tc, test_moves);
    tcase_add_test(tc, test_arith);
    tcase_add_test(tc, test_logic);
    tcase_add_test(tc, test_shifts_bits);
    tcase_add_test(tc, test_mul_select);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_branches);
    tcase_add_test(tc, test_bitmask_imm);
    tcase_add_test(tc, test_buffer_full_and_count);
    tcase_add_test(tc, test_patch);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    cs_close(&cs);
    return failed ? 1 : 0;
}
