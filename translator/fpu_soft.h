/* fpu_soft.h — portable, exact x87 80-bit extended-precision arithmetic (no host long double, no host FPU state).
 * Every operation takes an FxCtx: the x87 control word (exception masks, precision control PC, rounding control RC)
 * it computes under, and the status bits it reports (IE DE ZE OE UE PE as in the x87 status word, and C1 = "the
 * result was rounded up" exactly as the x87 sets it, SDM vol 1 8.1.3.1). Results are bit-exact with a P6's x87
 * (checked against the host x87 by tests/test_fpu_native.c), including masked responses (real indefinite, integer
 * indefinite, infinity vs largest finite on overflow, denormals, NaN propagation rules of SDM vol 1 table 4-7) and the
 * unmasked OE/UE responses of register results (exponent bias-adjusted by 24576, SDM vol 1 8.5.4/8.5.5).
 * Invariants: pure functions of (inputs, ctx->cw); they only OR exception bits into ctx->sw and set/clear C1.
 * Left out: the register stack, tags, unmasked pre-computation exceptions (the caller, fpu.c, decides whether to
 * write a result from the flags returned). */
#ifndef PCJIT_FPU_SOFT_H
#define PCJIT_FPU_SOFT_H
#include <stdint.h>
#include <stdbool.h>

typedef struct Fx80 {
    uint64_t m;    /* significand with the explicit integer bit 63 */
    uint16_t se;   /* sign (bit 15) and biased exponent (bits 14..0, bias 16383) */
} Fx80;

/* x87 status/control word bits (SDM vol 1 8.1.3, 8.1.5) */
enum {
    FX_IE = 1, FX_DE = 2, FX_ZE = 4, FX_OE = 8, FX_UE = 16, FX_PE = 32, FX_SF = 64, FX_ES = 128,
    FX_C0 = 0x100, FX_C1 = 0x200, FX_C2 = 0x400, FX_C3 = 0x4000, FX_B = 0x8000, FX_TOP = 0x3800, FX_EXC = 0x3f,
    FX_PC_SHIFT = 8, FX_RC_SHIFT = 10,
    FX_RC_NEAR = 0, FX_RC_DOWN = 1, FX_RC_UP = 2, FX_RC_ZERO = 3,
};

typedef struct FxCtx {
    uint16_t cw;   /* control word in force */
    uint16_t sw;   /* exception bits accumulated (FX_EXC) and C1 as the last operation left it */
} FxCtx;

/* classification */
bool fx_is_nan(Fx80 a);          /* exponent 7FFF, integer bit set, fraction nonzero */
bool fx_is_snan(Fx80 a);
bool fx_is_unsupported(Fx80 a);  /* pseudo-NaN/-infinity, unnormal (SDM vol 1 8.2.2): invalid operands on a 387+ */
bool fx_is_denormal(Fx80 a);     /* exponent 0, nonzero significand (pseudo-denormals included) */
bool fx_is_zero(Fx80 a);
bool fx_is_inf(Fx80 a);
Fx80 fx_indefinite(void);        /* the default NaN: real indefinite, FFFF C000000000000000 */

/* arithmetic under cw's precision and rounding control */
Fx80 fx_add(FxCtx *c, Fx80 a, Fx80 b);
Fx80 fx_sub(FxCtx *c, Fx80 a, Fx80 b);
Fx80 fx_mul(FxCtx *c, Fx80 a, Fx80 b);
Fx80 fx_div(FxCtx *c, Fx80 a, Fx80 b);
Fx80 fx_sqrt(FxCtx *c, Fx80 a);
Fx80 fx_round_int(FxCtx *c, Fx80 a);          /* FRNDINT: RC, full precision */
Fx80 fx_scale(FxCtx *c, Fx80 a, Fx80 b);      /* FSCALE: a * 2^trunc(b) */
Fx80 fx_xtract(FxCtx *c, Fx80 a, Fx80 *sig);  /* FXTRACT: returns the exponent, *sig the significand */
/* FPREM (round_nearest false) / FPREM1 (true): partial remainder of a by b; *q gets the low 3 quotient bits,
 * *partial is set when the reduction is incomplete (C2, SDM vol 2 FPREM). *q = 8: NaN or invalid operands, no
 * quotient (the x87 then clears only C2). */
Fx80 fx_prem(FxCtx *c, Fx80 a, Fx80 b, bool round_nearest, unsigned *q, bool *partial);
/* FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ (index = low 3 bits of D9 E8..EE), rounded under RC */
Fx80 fx_const(const FxCtx *c, int idx);
/* compare: returns 0 (a > b), 1 (a < b), 2 (equal), 3 (unordered). quiet: only SNaN signals IE (FUCOM). */
enum { FX_CMP_GT = 0, FX_CMP_LT = 1, FX_CMP_EQ = 2, FX_CMP_UN = 3 };
int fx_compare(FxCtx *c, Fx80 a, Fx80 b, bool quiet);

/* Round the nonzero value (hi:lo) * 2^(exp - 16383 - 127) (any normalization; lo bit 0 may be a sticky bit) once to
 * 64 bits under RC, with a register destination's OE/UE responses: the last step of computed functions. */
Fx80 fx_round_ext(FxCtx *c, int sign, int32_t exp, uint64_t hi, uint64_t lo);

/* transcendental functions in portable extended arithmetic (fpu_trans.c), x = ST(0), y = ST(1); 64-bit results
 * (precision control does not apply), within 1 ulp of the x87, special operands per SDM vol 2 */
Fx80 fx_f2xm1(FxCtx *c, Fx80 x);             /* 2^x - 1 */
/* FSIN (kind 0), FCOS (1), FSINCOS (2: *r1 sin, *r2 cos), FPTAN (3: *r1 tan, *r2 = 1) of a finite nonzero x with
 * |x| < 2^63, reduced exactly by the x87's 66-bit pi/2 */
void fx_trig(FxCtx *c, Fx80 x, int kind, Fx80 *r1, Fx80 *r2);
Fx80 fx_fyl2x(FxCtx *c, Fx80 x, Fx80 y);     /* y * log2(x) */
Fx80 fx_fyl2xp1(FxCtx *c, Fx80 x, Fx80 y);   /* y * log2(x + 1) */
Fx80 fx_fpatan(FxCtx *c, Fx80 x, Fx80 y);    /* atan(y / x) in the quadrant of (x, y) */

/* conversions. Loads of 80-bit values are plain copies (no exceptions, SDM vol 2 FLD). */
Fx80 fx_from_int(int64_t v);                  /* exact */
Fx80 fx_from_f32(FxCtx *c, uint32_t v);        /* exact; IE for SNaN (quieted), DE for denormals */
Fx80 fx_from_f64(FxCtx *c, uint64_t v);
/* to an integer of bits 16/32/64 under RC; invalid or out of range: IE and the integer indefinite (1 << bits-1).
 * *ok is false when IE is unmasked (the caller must not store). */
int64_t fx_to_int(FxCtx *c, Fx80 a, int bits, bool *ok);
/* to float32/float64 under RC; *ok false when an unmasked IE/OE/UE forbids the store (SDM vol 1 4.9.1). */
uint32_t fx_to_f32(FxCtx *c, Fx80 a, bool *ok);
uint64_t fx_to_f64(FxCtx *c, Fx80 a, bool *ok);
/* packed BCD (10 bytes little endian: 18 digits, sign in bit 7 of byte 9) */
Fx80 fx_from_bcd(const uint8_t bcd[10]);
bool fx_to_bcd(FxCtx *c, Fx80 a, uint8_t bcd[10]);  /* false when IE is unmasked (no store) */

/* 10-byte memory image */
static inline Fx80 fx_load80(const uint8_t p[10])
{
    Fx80 r = { 0, 0 };
    for (int i = 7; i >= 0; i--)
        r.m = r.m << 8 | p[i];
    r.se = (uint16_t)(p[8] | p[9] << 8);
    return r;
}
static inline void fx_store80(uint8_t p[10], Fx80 a)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(a.m >> (8 * i));
    p[8] = (uint8_t)a.se;
    p[9] = (uint8_t)(a.se >> 8);
}

#endif
