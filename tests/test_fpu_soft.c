/* test_fpu_soft.c — host-independent checks of the x87 implementation (runs on every host, aarch64 included):
 * fpu_soft.c against values known from the IEEE/x87 definitions (no host FPU involved), and x87 instructions run
 * by pcjit as guest code for what a host comparison cannot cover in a 64-bit user process: #NM (CR0.EM/TS/MP),
 * #UD for MMX with CR0.EM, unmasked exceptions delivered as #MF at the next waiting instruction (CR0.NE), the
 * destination left untouched by an unmasked ZE, FNSTENV/FLDENV/FNSAVE/FRSTOR in the 16-bit real-mode format with
 * FIP/FOP, FXSAVE/FXRSTOR round trips, MXCSR (CR4.OSFXSR) and its alignment #GP, precise #GP for loads/stores crossing the segment
 * limit (no push, no pop, no byte written).
 * Left out: bit-exactness over many cases (test_fpu_native.c: host x87 and the committed reference hashes). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fpu_soft.h"
#include "harness.h"

static Fx80 fx(uint16_t se, uint64_t m) { return (Fx80){ m, se }; }
static const Fx80 ONE = { 0x8000000000000000ull, 0x3fff };

#define ck_fx(v, se_, m_)                                                                                  \
    do {                                                                                                   \
        Fx80 v_ = (v);                                                                                     \
        ck_assert_msg(v_.se == (se_) && v_.m == (m_), "got %04x:%016llx want %04x:%016llx", v_.se,       \
                      (unsigned long long)v_.m, (unsigned)(se_), (unsigned long long)(m_));               \
    } while (0)

START_TEST(soft_known_values)
{
    FxCtx c = { 0x037f, 0 };
    Fx80 three = fx_from_int(3);
    ck_fx(three, 0x4000, 0xc000000000000000ull);
    ck_fx(fx_add(&c, ONE, ONE), 0x4000, 0x8000000000000000ull);
    ck_assert_int_eq(c.sw & FX_EXC, 0);
    /* 1/3 at the three precisions, round to nearest (SDM vol 1 8.1.5.2) */
    ck_fx(fx_div(&c, ONE, three), 0x3ffd, 0xaaaaaaaaaaaaaaabull);
    ck_assert_int_eq(c.sw & (FX_PE | FX_C1), FX_PE | FX_C1);
    c = (FxCtx){ 0x027f, 0 };
    ck_fx(fx_div(&c, ONE, three), 0x3ffd, 0xaaaaaaaaaaaaa800ull);
    c = (FxCtx){ 0x007f, 0 };
    ck_fx(fx_div(&c, ONE, three), 0x3ffd, 0xaaaaab0000000000ull);
    /* toward zero: no round-up, C1 clear */
    c = (FxCtx){ 0x0f7f, 0 };
    ck_fx(fx_div(&c, ONE, three), 0x3ffd, 0xaaaaaaaaaaaaaaaaull);
    ck_assert_int_eq(c.sw & FX_C1, 0);
    /* sqrt(2) = 1.0110101000001001111001100110011111110011101111001100100100001000 01011... */
    c = (FxCtx){ 0x037f, 0 };
    ck_fx(fx_sqrt(&c, fx_from_int(2)), 0x3fff, 0xb504f333f9de6484ull);
    /* invalid operations give the real indefinite */
    c = (FxCtx){ 0x037f, 0 };
    ck_fx(fx_div(&c, fx(0, 0), fx(0, 0)), 0xffff, 0xc000000000000000ull);
    ck_assert_int_eq(c.sw & FX_IE, FX_IE);
    c = (FxCtx){ 0x037f, 0 };
    ck_fx(fx_div(&c, ONE, fx(0x8000, 0)), 0xffff, 0x8000000000000000ull);   /* 1 / -0 = -inf, ZE */
    ck_assert_int_eq(c.sw & FX_EXC, FX_ZE);
    /* x - x = +0, but -0 when rounding down */
    c = (FxCtx){ 0x077f, 0 };
    ck_fx(fx_sub(&c, three, three), 0x8000, 0);
}
END_TEST

START_TEST(soft_conversions)
{
    FxCtx c = { 0x037f, 0 };
    bool ok;
    /* 2.5 to integer under the four rounding modes: 2, 2, 3, 2 */
    Fx80 v = fx(0x4000, 0xa000000000000000ull);
    static const int64_t want[4] = { 2, 2, 3, 2 };
    for (int rc = 0; rc < 4; rc++) {
        c = (FxCtx){ (uint16_t)(0x037f | rc << FX_RC_SHIFT), 0 };
        ck_assert_int_eq(fx_to_int(&c, v, 32, &ok), want[rc]);
        ck_assert(ok);
    }
    /* out of range: IE and the integer indefinite */
    c = (FxCtx){ 0x037f, 0 };
    ck_assert_int_eq(fx_to_int(&c, fx_from_int(40000), 16, &ok), -32768);
    ck_assert_int_eq(c.sw & FX_IE, FX_IE);
    /* float32 round trip of 0.1f: 3dcccccd */
    c = (FxCtx){ 0x037f, 0 };
    Fx80 tenth = fx_from_f32(&c, 0x3dcccccdu);
    ck_fx(tenth, 0x3ffb, 0xcccccd0000000000ull);
    ck_assert_uint_eq(fx_to_f32(&c, tenth, &ok), 0x3dcccccdu);
    /* the smallest float32 denormal loads with DE and is normalized */
    c = (FxCtx){ 0x037f, 0 };
    ck_fx(fx_from_f32(&c, 1), 0x3f6a, 0x8000000000000000ull);
    ck_assert_int_eq(c.sw & FX_DE, FX_DE);
    /* BCD: -1234 */
    uint8_t bcd[10] = { 0x34, 0x12, 0, 0, 0, 0, 0, 0, 0, 0x80 }, out[10];
    Fx80 b = fx_from_bcd(bcd);
    ck_fx(b, 0xc009, 0x9a40000000000000ull);
    ck_assert(fx_to_bcd(&c, b, out));
    ck_assert_mem_eq(out, bcd, 10);
    /* constants under RC: pi rounds up to ...c235 to nearest, truncates toward zero */
    c = (FxCtx){ 0x037f, 0 };
    ck_fx(fx_const(&c, 3), 0x4000, 0xc90fdaa22168c235ull);
    c = (FxCtx){ 0x0f7f, 0 };
    ck_fx(fx_const(&c, 3), 0x4000, 0xc90fdaa22168c234ull);
}
END_TEST

/* ---- guest programs ---- */

enum { CODE = 0x1000, HANDLER = 0x2000, RESULT = 0x3000 };

/* Real mode with IVT entries for vectors 6, 7, 13, 16 pointing at a handler that stores its vector number at
 * RESULT and halts. */
static Harness *guest_setup(const uint8_t *code, int len)
{
    Harness *h = harness_new(1);
    ck_assert_ptr_nonnull(h);
    harness_real_mode(h);
    static const int vecs[] = { 6, 7, 13, 16 };
    for (int i = 0; i < 4; i++) {
        uint8_t handler[6] = { 0xc6, 0x06, RESULT & 0xff, RESULT >> 8, (uint8_t)vecs[i], 0xf4 };   /* mov [RESULT], v; hlt */
        uint16_t ivt[2] = { (uint16_t)(HANDLER + 8 * i), 0 };
        harness_write(h, HANDLER + 8 * i, handler, sizeof(handler));
        harness_write(h, (uint32_t)vecs[i] * 4, ivt, 4);
    }
    harness_fill(h, RESULT, 0xff, 16);
    harness_write(h, CODE, code, (uint32_t)len);
    harness_set_reg(h, G_EIP, CODE);
    harness_set_reg(h, G_ESP, 0x8000);
    return h;
}

static uint8_t guest_result(Harness *h)
{
    uint8_t v;
    harness_read(h, RESULT, &v, 1);
    return v;
}

static void guest_set_cr0(Harness *h, uint32_t set)
{
    h->env->cr0 |= set;
    cpu_update_hflags(h->env);
}

START_TEST(guest_nm_and_ud)
{
    static const uint8_t fld1[] = { 0xd9, 0xe8, 0xf4 };          /* FLD1; HLT */
    static const uint8_t fwait[] = { 0x9b, 0xf4 };               /* WAIT; HLT */
    static const uint8_t emms[] = { 0x0f, 0x77, 0xf4 };          /* EMMS; HLT */
    static const struct { const uint8_t *code; int len; uint32_t cr0; uint8_t want; } cases[] = {
        { fld1, 3, CR0_TS, 7 }, { fld1, 3, CR0_EM, 7 }, { fld1, 3, 0, 0xff },
        { fwait, 2, CR0_TS, 0xff }, { fwait, 2, CR0_TS | CR0_MP, 7 }, { fwait, 2, CR0_EM, 0xff },
        { emms, 3, CR0_EM, 6 }, { emms, 3, CR0_TS, 7 },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        Harness *h = guest_setup(cases[i].code, cases[i].len);
        guest_set_cr0(h, cases[i].cr0);
        ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
        ck_assert_msg(guest_result(h) == cases[i].want, "case %u: vector %d, want %d", i, guest_result(h),
                      cases[i].want);
        harness_free(h);
    }
}
END_TEST

START_TEST(guest_mf_pending)
{
    /* FNINIT; FLDCW [0x3010] (ZE unmasked); FLD1; FLDZ; FDIVP ST(1),ST; FNSTSW [0x3004]; FLD1 (-> #MF) */
    static const uint8_t code[] = { 0xdb, 0xe3, 0xd9, 0x2e, 0x10, 0x30, 0xd9, 0xe8, 0xd9, 0xee, 0xde, 0xf9,
                                    0xdd, 0x3e, 0x04, 0x30, 0xd9, 0xe8, 0xf4 };
    Harness *h = guest_setup(code, sizeof(code));
    uint16_t cw = 0x037b;
    harness_write(h, RESULT + 0x10, &cw, 2);
    guest_set_cr0(h, CR0_NE);
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_int_eq(guest_result(h), 16);
    uint16_t sw;
    harness_read(h, RESULT + 4, &sw, 2);
    ck_assert_int_eq(sw & (FX_ZE | FX_ES | FX_B), FX_ZE | FX_ES | FX_B);
    ck_assert_int_eq(sw >> 11 & 7, 6);                      /* no pop: the unmasked ZE left the stack alone */
    CpuState *env = h->env;
    ck_assert_int_eq(env->fpu_top, 6);
    ck_assert(env->fpr[7].se == 0x3fff && env->fpr[7].m == 1ull << 63);   /* ST(1) still 1.0 */
    uint16_t ip;
    harness_read(h, 0x8000 - 6, &ip, 2);
    ck_assert_int_eq(ip, CODE + 16);                        /* #MF reported on the FLD1 after FNSTSW */
    harness_free(h);
}
END_TEST

START_TEST(guest_env_real16)
{
    /* at 0100:0000 (linear 0x1000): FNINIT; FLD1; FNSTENV [0x3000] (16-bit real-mode format) */
    static const uint8_t code[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xd9, 0x36, 0x00, 0x30, 0xf4 };
    Harness *h = guest_setup(code, sizeof(code));
    harness_set_seg_real(h, SEG_CS, 0x100);
    harness_set_reg(h, G_EIP, 0);
    harness_set_seg_real(h, SEG_DS, 0);
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    uint16_t w[7];
    harness_read(h, RESULT, w, sizeof(w));
    ck_assert_uint_eq(w[0], 0x037f);                        /* FCW */
    ck_assert_uint_eq(w[1], 0x3800);                        /* FSW: TOP = 7 */
    ck_assert_uint_eq(w[2], 0x3fff);                        /* FTW: R7 valid, the rest empty */
    ck_assert_uint_eq(w[3], 0x1002);                        /* FIP[15:0]: linear address of FLD1 */
    ck_assert_uint_eq(w[4], 0x01e8);                        /* FIP[19:16] << 12 | FOP (D9 E8 -> 1E8) */
    ck_assert_uint_eq(h->env->fpu_cw, 0x037f);              /* masks were already all set */
    harness_free(h);
}
END_TEST

START_TEST(guest_save_restore)
{
    /* FLDPI; FLD1; FNSAVE [0x3100]; FRSTOR [0x3100]; FXSAVE [0x3200]; FNINIT; FXRSTOR [0x3200]; FXSAVE [0x3202] */
    static const uint8_t code[] = { 0xd9, 0xeb, 0xd9, 0xe8, 0xdd, 0x36, 0x00, 0x31, 0xdd, 0x26, 0x00, 0x31,
                                    0x0f, 0xae, 0x06, 0x00, 0x32, 0xdb, 0xe3, 0x0f, 0xae, 0x0e, 0x00, 0x32,
                                    0x0f, 0xae, 0x06, 0x02, 0x32, 0xf4 };
    Harness *h = guest_setup(code, sizeof(code));
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    CpuState *env = h->env;
    ck_assert_int_eq(guest_result(h), 13);                  /* the misaligned FXSAVE: #GP */
    ck_assert_int_eq(env->fpu_top, 6);
    ck_assert_int_eq(env->fpu_empty, 0x3f);
    ck_assert(env->fpr[6].se == 0x3fff && env->fpr[6].m == 1ull << 63);
    ck_assert(env->fpr[7].se == 0x4000 && env->fpr[7].m == 0xc90fdaa22168c235ull);
    uint8_t fx[32];
    harness_read(h, 0x3200, fx, sizeof(fx));
    ck_assert_int_eq(fx[4], 0xc0);                          /* abridged tag: R6, R7 valid */
    ck_assert_int_eq(fx[3] >> 3 & 7, 6);                    /* TOP in the saved FSW */
    harness_free(h);
}
END_TEST

START_TEST(guest_precise_faults)
{
    /* FNINIT; FLD1; FLD qword [0xfffc] (crosses the 64 KiB real-mode limit: #GP, nothing pushed) */
    static const uint8_t load[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xdd, 0x06, 0xfc, 0xff, 0xf4 };
    /* FNINIT; FLD1; FSTP qword [0xfffc] (#GP before any byte is written, ST(0) not popped) */
    static const uint8_t store[] = { 0xdb, 0xe3, 0xd9, 0xe8, 0xdd, 0x1e, 0xfc, 0xff, 0xf4 };
    for (int k = 0; k < 2; k++) {
        Harness *h = guest_setup(k ? store : load, 9);
        harness_fill(h, 0xfff0, 0xaa, 16);
        ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
        ck_assert_int_eq(guest_result(h), 13);
        CpuState *env = h->env;
        ck_assert_int_eq(env->fpu_top, 7);
        ck_assert_int_eq(env->fpu_empty, 0x7f);
        ck_assert(env->fpr[7].se == 0x3fff && env->fpr[7].m == 1ull << 63);
        uint8_t mem[4];
        harness_read(h, 0xfffc, mem, 4);
        ck_assert_int_eq(mem[0] & mem[1] & mem[2] & mem[3], 0xaa);
        harness_free(h);
    }
}
END_TEST

/* CR4.OSFXSR is accepted; FXSAVE writes MXCSR (1F80H after RESET), MXCSR_MASK 0 and a zeroed XMM area (bytes
 * 160..287) and leaves bytes 288..511 alone; FXRSTOR loads MXCSR, and #GP(0) for a reserved bit (16, or DAZ = bit 6:
 * no DAZ on this CPU) with the earlier MXCSR kept. */
START_TEST(guest_fxsr_mxcsr)
{
    static const uint16_t bad[2][2] = { { 0x341a, 0x0001 }, { 0x3418, 0x7fc0 } };
    for (int k = 0; k < 2; k++) {
        const uint8_t code[] = {
            0x0f, 0x20, 0xe0, 0x66, 0x0d, 0x00, 0x02, 0x00, 0x00, 0x0f, 0x22, 0xe0,   /* CR4 |= OSFXSR */
            0x0f, 0xae, 0x06, 0x00, 0x36,                                           /* FXSAVE [0x3600] */
            0x0f, 0xae, 0x06, 0x00, 0x32,                                           /* FXSAVE [0x3200] */
            0xc7, 0x06, 0x18, 0x32, 0x80, 0x7f,                                     /* MXCSR image = 7F80H */
            0x0f, 0xae, 0x0e, 0x00, 0x32,                                           /* FXRSTOR [0x3200] */
            0x0f, 0xae, 0x06, 0x00, 0x34,                                           /* FXSAVE [0x3400] */
            0xc7, 0x06, (uint8_t)bad[k][0], (uint8_t)(bad[k][0] >> 8), (uint8_t)bad[k][1],
            (uint8_t)(bad[k][1] >> 8),                                              /* a reserved bit */
            0x0f, 0xae, 0x0e, 0x00, 0x34,                                           /* FXRSTOR [0x3400]: #GP */
            0xf4 };
        Harness *h = guest_setup(code, sizeof(code));
        harness_fill(h, 0x3200, 0xaa, 0x600);
        ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
        ck_assert_int_eq(guest_result(h), 13);
        ck_assert_uint_ne(h->env->cr4 & CR4_OSFXSR, 0);
        uint8_t fx[512];
        uint32_t mx[2];
        harness_read(h, 0x3600, fx, sizeof(fx));
        memcpy(mx, fx + 24, 8);
        ck_assert_uint_eq(mx[0], 0x1f80);                       /* the RESET value */
        ck_assert_uint_eq(mx[1], 0);                            /* MXCSR_MASK 0: the default FFBFH applies */
        for (int i = 160; i < 288; i++)
            ck_assert_int_eq(fx[i], 0);                         /* XMM0-7: no SSE state */
        for (int i = 288; i < 512; i++)
            ck_assert_int_eq(fx[i], 0xaa);
        harness_read(h, 0x3400 + 24, mx, 4);
        if (k == 0)
            ck_assert_uint_eq(mx[0], 0x17f80);                  /* FXSAVE stored what FXRSTOR loaded (+ bit 16) */
        ck_assert_uint_eq(h->env->fpu_mxcsr_x ^ 0x1f80, 0x7f80);   /* and the faulting FXRSTOR changed nothing */
        harness_free(h);
    }
}
END_TEST

static Suite *fpu_soft_suite(void)
{
    Suite *s = suite_create("fpu_soft");
    TCase *tc = tcase_create("fpu_soft");
    tcase_add_test(tc, soft_known_values);
    tcase_add_test(tc, soft_conversions);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("x87 guest");
    tcase_add_test(tg, guest_nm_and_ud);
    tcase_add_test(tg, guest_mf_pending);
    tcase_add_test(tg, guest_env_real16);
    tcase_add_test(tg, guest_save_restore);
    tcase_add_test(tg, guest_precise_faults);
    tcase_add_test(tg, guest_fxsr_mxcsr);
    tcase_set_timeout(tg, 60);
    suite_add_tcase(s, tg);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fpu_soft_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
