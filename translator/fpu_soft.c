/* fpu_soft.c — portable exact x87 80-bit arithmetic (see fpu_soft.h for the contract).
 * Design: operands are unpacked to (sign, unbounded exponent, 64-bit normalized significand); an operation computes
 * its exact result, or a 128-bit significand whose lowest bit is a sticky bit, and fx_round() rounds it once at the
 * precision in force (PC: 24/53/64 significand bits) with the x87's own 15-bit exponent range (SDM vol 1 8.1.5.2:
 * precision control narrows only the significand), or with the float32/float64 range for stores.
 * Tininess is detected after rounding (IEEE 754 option), as the x87 does (checked against the host: tests/test_fpu_native.c).
 * Invariants: unsigned __int128 is the only wide type used (gcc/clang on x86-64 and aarch64); no floating-point
 * host arithmetic anywhere, so results never depend on the host's FPU mode.
 * Left out: transcendental functions, register stack/tag semantics (fpu.c). */
#include <string.h>
#include "fpu_soft.h"

typedef unsigned __int128 u128;

enum { FX_BIAS = 16383, FX_EMAX = 0x7ffe, FX_BIAS_ADJUST = 24576 };
static const bool fx_tiny_after_rounding = true;

/* ---- classification ---- */

static int fx_exp(Fx80 a) { return a.se & 0x7fff; }
static int fx_sign(Fx80 a) { return a.se >> 15; }
bool fx_is_nan(Fx80 a) { return fx_exp(a) == 0x7fff && (a.m >> 63) && (a.m << 1); }
bool fx_is_snan(Fx80 a) { return fx_is_nan(a) && !(a.m >> 62 & 1); }
bool fx_is_inf(Fx80 a) { return fx_exp(a) == 0x7fff && a.m == 1ull << 63; }
bool fx_is_zero(Fx80 a) { return fx_exp(a) == 0 && a.m == 0; }
bool fx_is_denormal(Fx80 a) { return fx_exp(a) == 0 && a.m != 0; }
bool fx_is_unsupported(Fx80 a) { return fx_exp(a) != 0 && !(a.m >> 63); }
Fx80 fx_indefinite(void) { return (Fx80){ 0xc000000000000000ull, 0xffff }; }

static Fx80 fx_make(int sign, int exp, uint64_t m) { return (Fx80){ m, (uint16_t)(sign << 15 | exp) }; }
static Fx80 fx_inf(int sign) { return fx_make(sign, 0x7fff, 1ull << 63); }
static Fx80 fx_zero(int sign) { return fx_make(sign, 0, 0); }
static Fx80 fx_quiet(Fx80 a) { a.m |= 1ull << 62; return a; }

static int fx_precision(const FxCtx *c)
{
    static const int bits[4] = { 24, 64, 53, 64 };   /* PC = 01 is reserved: XXX: treated as 64 bits */
    return bits[c->cw >> FX_PC_SHIFT & 3];
}

static int clz64(uint64_t v) { return v ? __builtin_clzll(v) : 64; }
static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? clz64(hi) : 64 + clz64((uint64_t)v);
}

/* Right shift keeping a sticky bit (any 1 shifted out sets bit 0). */
static u128 shr_jam(u128 v, int32_t n)
{
    if (n <= 0)
        return v;
    if (n >= 128)
        return v != 0;
    return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}

typedef struct Unp { int sign; int32_t exp; uint64_t m; } Unp;

/* Finite nonzero value to (sign, exponent, normalized significand); denormals get exponent 1 - shift. */
static Unp fx_unpack(Fx80 a)
{
    Unp u = { fx_sign(a), fx_exp(a), a.m };
    if (u.exp == 0)
        u.exp = 1;
    int lz = clz64(u.m);
    u.m <<= lz;
    u.exp -= lz;
    return u;
}

/* ---- rounding ---- */

/* Round sig at bit `shift` (the kept part is bits 127..shift) under RC. *inexact, *up report what happened.
 * A carry out of bit 127 returns 0 (the caller renormalizes). */
static u128 fx_rnd(const FxCtx *c, int sign, u128 sig, int shift, bool *inexact, bool *up)
{
    u128 mask = ((u128)1 << shift) - 1, rem = sig & mask, half = (u128)1 << (shift - 1);
    bool inc;
    sig &= ~mask;
    switch (c->cw >> FX_RC_SHIFT & 3) {
    case FX_RC_NEAR: inc = rem > half || (rem == half && (sig >> shift & 1)); break;
    case FX_RC_DOWN: inc = rem && sign; break;
    case FX_RC_UP: inc = rem && !sign; break;
    default: inc = false; break;
    }
    *inexact = rem != 0;
    *up = inc;
    return inc ? sig + ((u128)1 << shift) : sig;
}

typedef struct FxRounded { int32_t exp; uint64_t m; bool ok; } FxRounded;

static void fx_set_c1(FxCtx *c, bool up) { c->sw = (uint16_t)((c->sw & ~FX_C1) | (up ? FX_C1 : 0)); }

/* Overflow with OE masked (SDM vol 1 4.9.1.4): infinity or the largest finite value, by RC and sign. */
static FxRounded fx_overflow_masked(FxCtx *c, int sign, int prec, int32_t emax)
{
    int rc = c->cw >> FX_RC_SHIFT & 3;
    bool to_inf = rc == FX_RC_NEAR || (rc == FX_RC_UP && !sign) || (rc == FX_RC_DOWN && sign);
    c->sw |= FX_OE | FX_PE;
    fx_set_c1(c, to_inf);
    if (to_inf)
        return (FxRounded){ emax + 1, 1ull << 63, true };
    return (FxRounded){ emax, ~0ull << (64 - prec), true };
}

/* Round a nonzero sig (any normalization; value = sig * 2^(exp - bias - 127)) to prec bits with biased exponents
 * 1..emax. reg: the destination is a register (unmasked OE/UE bias-adjust the exponent by 24576, SDM vol 1 8.5.4,
 * 8.5.5) rather than memory (unmasked OE/UE: nothing is stored, ok = false). Returns exp 0 for denormals/zero. */
static FxRounded fx_round(FxCtx *c, int sign, int32_t exp, u128 sig, int prec, int32_t emax, bool reg)
{
    int lz = clz128(sig);
    int shift = 128 - prec;
    bool inexact, up;
    sig <<= lz;
    exp -= lz;
    if ((c->cw & (3 << FX_RC_SHIFT)) == 0 && exp >= 1 && exp < emax) {
        /* fast path: round to nearest even, the result stays normal (a carry out reaches at most emax); 64-bit
         * register results take the shorter one in fx_round80 */
        u128 one = (u128)1 << shift, rem = sig & (one - 1), half = one >> 1;
        bool inc = rem > half || (rem == half && (sig & one));
        sig = (sig - rem) + (inc ? one : 0);
        if (sig == 0) {
            sig = (u128)1 << 127;
            exp++;
        }
        if (rem)
            c->sw |= FX_PE;
        c->sw = (uint16_t)((c->sw & ~FX_C1) | (inc ? FX_C1 : 0));
        return (FxRounded){ exp, (uint64_t)(sig >> 64), true };
    }
    if (exp < 1) {
        bool tiny = true;
        if (fx_tiny_after_rounding && exp == 0 && fx_rnd(c, sign, sig, shift, &inexact, &up) == 0)
            tiny = false;
        /* unmasked UE: bias-adjusted result; when even that is too small (only FSCALE gets there) the x87 returns
         * a signed zero with UE and PE (measured on the host) */
        if (tiny && !(c->cw & FX_UE) && reg && exp + FX_BIAS_ADJUST < 1) {
            c->sw |= FX_UE | FX_PE;
            fx_set_c1(c, false);
            return (FxRounded){ 0, 0, true };
        }
        if (tiny && !(c->cw & FX_UE)) {
            c->sw |= FX_UE;
            if (!reg)
                return (FxRounded){ 0, 0, false };
            exp += FX_BIAS_ADJUST;
        } else {
            u128 r = fx_rnd(c, sign, shr_jam(sig, 1 - exp), shift, &inexact, &up);
            if (inexact)
                c->sw |= FX_PE | (tiny ? FX_UE : 0);
            fx_set_c1(c, up);
            return (FxRounded){ (r >> 127) ? 1 : 0, (uint64_t)(r >> 64), true };
        }
    }
    u128 r = fx_rnd(c, sign, sig, shift, &inexact, &up);
    if (r == 0) {
        r = (u128)1 << 127;
        exp++;
    }
    if (exp > emax) {
        if (c->cw & FX_OE)
            return fx_overflow_masked(c, sign, prec, emax);
        if (reg && exp - FX_BIAS_ADJUST > emax) {   /* beyond the bias-adjusted range (FSCALE): infinity */
            c->sw |= FX_OE | FX_PE;
            fx_set_c1(c, true);
            return (FxRounded){ emax + 1, 1ull << 63, true };
        }
        c->sw |= FX_OE;
        if (!reg)
            return (FxRounded){ 0, 0, false };
        exp -= FX_BIAS_ADJUST;
    }
    if (inexact)
        c->sw |= FX_PE;
    fx_set_c1(c, up);
    return (FxRounded){ exp, (uint64_t)(r >> 64), true };
}

static inline Fx80 fx_round80(FxCtx *c, int sign, int32_t exp, u128 sig, int prec)
{
    if (sig == 0)
        return fx_zero(sign);
    if (prec == 64 && (c->cw & (3 << FX_RC_SHIFT)) == 0) {
        /* fast path: 64 bits, round to nearest even, normal result (a carry reaches at most FX_EMAX) */
        int lz = clz128(sig);
        int32_t e = exp - lz;
        if (e >= 1 && e < FX_EMAX) {
            sig <<= lz;
            uint64_t hi = (uint64_t)(sig >> 64), lo = (uint64_t)sig;
            bool inc = lo > 1ull << 63 || (lo == 1ull << 63 && (hi & 1));
            hi += inc;
            if (hi == 0) {
                hi = 1ull << 63;
                e++;
            }
            c->sw = (uint16_t)((c->sw & ~FX_C1) | (lo ? FX_PE : 0) | (inc ? FX_C1 : 0));
            return fx_make(sign, e, hi);
        }
    }
    FxRounded r = fx_round(c, sign, exp, sig, prec, FX_EMAX, true);
    return fx_make(sign, r.exp & 0x7fff, r.m);
}

Fx80 fx_round_ext(FxCtx *c, int sign, int32_t exp, uint64_t hi, uint64_t lo)
{
    return fx_round80(c, sign, exp, (u128)hi << 64 | lo, 64);
}

/* ---- NaN propagation and operand checks (SDM vol 1 4.8.3.5 table 4-7, 8.2.2) ---- */

static Fx80 fx_pick_nan(FxCtx *c, Fx80 a, Fx80 b)
{
    bool an = fx_is_nan(a), bn = fx_is_nan(b);
    if (fx_is_snan(a) || fx_is_snan(b))
        c->sw |= FX_IE;
    if (an && !bn)
        return fx_quiet(a);
    if (bn && !an)
        return fx_quiet(b);
    bool as = fx_is_snan(a), bs = fx_is_snan(b);
    if (as != bs)                       /* SNaN and QNaN: the QNaN */
        return as ? b : a;
    uint64_t am = a.m << 1, bm = b.m << 1;
    if (am != bm)
        return fx_quiet(am > bm ? a : b);
    return fx_quiet(fx_sign(a) ? b : a);    /* equal significands: the positive one */
}

/* Common prologue of two-operand arithmetic: invalid encodings, NaNs, denormal operands.
 * Returns true when *res is already the answer. */
static bool fx_check2(FxCtx *c, Fx80 a, Fx80 b, Fx80 *res)
{
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(a) || fx_is_unsupported(b)) {
        c->sw |= FX_IE;
        *res = fx_indefinite();
        return true;
    }
    if (fx_is_nan(a) || fx_is_nan(b)) {
        *res = fx_pick_nan(c, a, b);
        return true;
    }
    if (fx_is_denormal(a) || fx_is_denormal(b))
        c->sw |= FX_DE;
    return false;
}

static Fx80 fx_invalid(FxCtx *c)
{
    c->sw |= FX_IE;
    return fx_indefinite();
}

/* ---- add / sub ---- */

/* both operands normal (exponent 1..7FFE, integer bit set): no NaN, infinity, zero, denormal or unsupported
 * encoding to look at (the fast path of the arithmetic) */
static bool fx_both_normal(Fx80 a, Fx80 b)
{
    return (uint16_t)((a.se & 0x7fff) - 1) < 0x7ffe && (uint16_t)((b.se & 0x7fff) - 1) < 0x7ffe &&
           (a.m & b.m) >> 63;
}

static Fx80 fx_addsub(FxCtx *c, Fx80 a, Fx80 b, int bsign_flip)
{
    Fx80 res;
    if (fx_both_normal(a, b)) {
        c->sw &= ~FX_C1;
        int sa = fx_sign(a), sb = fx_sign(b) ^ bsign_flip;
        int32_t ea = fx_exp(a), eb = fx_exp(b);
        uint64_t ma = a.m, mb = b.m;
        if (ea < eb || (ea == eb && ma < mb)) {
            int32_t te = ea; ea = eb; eb = te;
            uint64_t tm = ma; ma = mb; mb = tm;
            int ts = sa; sa = sb; sb = ts;
        }
        int32_t d = ea - eb;
        u128 A = (u128)ma << 63, B = d <= 63 ? (u128)mb << (63 - d) : shr_jam((u128)mb << 63, d);   /* exact */
        u128 S = sa == sb ? A + B : A - B;
        if (S == 0)
            return fx_zero((c->cw >> FX_RC_SHIFT & 3) == FX_RC_DOWN);
        return fx_round80(c, sa, ea + 1, S, fx_precision(c));
    }
    if (fx_check2(c, a, b, &res))
        return res;
    int sa = fx_sign(a), sb = fx_sign(b) ^ bsign_flip;
    bool rdown = (c->cw >> FX_RC_SHIFT & 3) == FX_RC_DOWN;
    if (fx_is_inf(a) || fx_is_inf(b)) {
        if (fx_is_inf(a) && fx_is_inf(b) && sa != sb)
            return fx_invalid(c);
        return fx_inf(fx_is_inf(a) ? sa : sb);
    }
    if (fx_is_zero(a) && fx_is_zero(b))
        return fx_zero(sa == sb ? sa : rdown);
    if (fx_is_zero(b))
        return fx_round80(c, sa, fx_unpack(a).exp, (u128)fx_unpack(a).m << 64, fx_precision(c));
    if (fx_is_zero(a))
        return fx_round80(c, sb, fx_unpack(b).exp, (u128)fx_unpack(b).m << 64, fx_precision(c));
    Unp ua = fx_unpack(a), ub = fx_unpack(b);
    ua.sign = sa;
    ub.sign = sb;
    if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.m < ub.m)) {
        Unp t = ua; ua = ub; ub = t;
    }
    u128 A = (u128)ua.m << 63, B = shr_jam((u128)ub.m << 63, ua.exp - ub.exp);
    u128 S = ua.sign == ub.sign ? A + B : A - B;
    if (S == 0)
        return fx_zero(rdown);
    /* S carries the value A * 2^(ua.exp - bias - 126) */
    return fx_round80(c, ua.sign, ua.exp + 1, S, fx_precision(c));
}

Fx80 fx_add(FxCtx *c, Fx80 a, Fx80 b) { return fx_addsub(c, a, b, 0); }
Fx80 fx_sub(FxCtx *c, Fx80 a, Fx80 b) { return fx_addsub(c, a, b, 1); }

/* ---- mul / div / sqrt ---- */

Fx80 fx_mul(FxCtx *c, Fx80 a, Fx80 b)
{
    Fx80 res;
    if (fx_both_normal(a, b)) {
        c->sw &= ~FX_C1;
        return fx_round80(c, fx_sign(a) ^ fx_sign(b), fx_exp(a) + fx_exp(b) - FX_BIAS + 1, (u128)a.m * b.m,
                          fx_precision(c));
    }
    if (fx_check2(c, a, b, &res))
        return res;
    int s = fx_sign(a) ^ fx_sign(b);
    if (fx_is_inf(a) || fx_is_inf(b)) {
        if (fx_is_zero(a) || fx_is_zero(b))
            return fx_invalid(c);
        return fx_inf(s);
    }
    if (fx_is_zero(a) || fx_is_zero(b))
        return fx_zero(s);
    Unp ua = fx_unpack(a), ub = fx_unpack(b);
    u128 P = (u128)ua.m * ub.m;
    return fx_round80(c, s, ua.exp + ub.exp - FX_BIAS + 1, P, fx_precision(c));
}

/* (hi:lo) / d for hi < d (the quotient fits in 64 bits), with the remainder: the host's divide instruction where
 * there is one that does exactly this (x86-64 DIV r/m64), else the compiler's 128-bit division. */
static uint64_t div128_64(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
#if defined(__x86_64__)
    uint64_t q, r;
    __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
    *rem = r;
    return q;
#else
    u128 n = (u128)hi << 64 | lo;
    *rem = (uint64_t)(n % d);
    return (uint64_t)(n / d);
#endif
}

/* ma / mb for normalized significands (value ma * 2^(ea - bias - 63) over mb * 2^(eb - bias - 63)) */
static Fx80 fx_div_sig(FxCtx *c, int s, int32_t ea, uint64_t ma, int32_t eb, uint64_t mb)
{
    int sh = ma >= mb ? 63 : 64;
    u128 N = (u128)ma << sh;                       /* N < mb * 2^64: the first quotient digit fits */
    uint64_t r, r2;
    uint64_t q1 = div128_64((uint64_t)(N >> 64), (uint64_t)N, mb, &r);
    uint64_t q2 = div128_64(r, 0, mb, &r2);
    u128 Q = (u128)q1 << 64 | q2 | (r2 != 0);
    return fx_round80(c, s, ea - eb + FX_BIAS + 63 - sh, Q, fx_precision(c));
}

Fx80 fx_div(FxCtx *c, Fx80 a, Fx80 b)
{
    Fx80 res;
    if (fx_both_normal(a, b)) {
        c->sw &= ~FX_C1;
        return fx_div_sig(c, fx_sign(a) ^ fx_sign(b), fx_exp(a), a.m, fx_exp(b), b.m);
    }
    if (fx_check2(c, a, b, &res))
        return res;
    int s = fx_sign(a) ^ fx_sign(b);
    if (fx_is_inf(a))
        return fx_is_inf(b) ? fx_invalid(c) : fx_inf(s);
    if (fx_is_inf(b))
        return fx_zero(s);
    if (fx_is_zero(b)) {
        if (fx_is_zero(a))
            return fx_invalid(c);
        c->sw = (uint16_t)((c->sw & ~FX_DE) | FX_ZE);   /* a denormal dividend reports ZE only */
        return fx_inf(s);
    }
    if (fx_is_zero(a))
        return fx_zero(s);
    Unp ua = fx_unpack(a), ub = fx_unpack(b);
    return fx_div_sig(c, s, ua.exp, ua.m, ub.exp, ub.m);
}

/* floor(sqrt(R)) for 2^126 <= R < 2^128, and the remainder R - root^2. Newton's method in integers: the root of the
 * top 64 bits from a chord seed (below the root, relative error < 6 %: three steps give 2^-39), then one step
 * x + (R - x^2) / 2x on the whole radicand (a 128/64-bit division whose quotient fits: x is within 2^33 of the root)
 * and an exact correction by the remainder. */
static uint64_t isqrt128(u128 R, u128 *rem_out)
{
    uint64_t T = (uint64_t)(R >> 64);                                   /* 2^62 <= T < 2^64 */
    uint64_t y = (1ull << 31) + (T - (1ull << 62)) / (3ull << 31);      /* chord: y <= sqrt(T) */
    for (int i = 0; i < 3; i++) {                                       /* 6 % -> 2e-3 -> 2e-6 -> 1e-12 */
        y = (y + T / y) >> 1;
        if (y >> 32)
            y = 0xffffffffull;
    }
    while (y * y > T)
        y--;
    uint64_t x = y << 32, rem;                                          /* x^2 <= T 2^64 <= R */
    u128 D = R - (u128)x * x;                                           /* < 2^99: the quotient below fits */
    u128 rr = (u128)x + (div128_64((uint64_t)(D >> 64), (uint64_t)D, x, &rem) >> 1);
    uint64_t r = rr >> 64 ? ~0ull : (uint64_t)rr;                       /* the root is below 2^64 */
    while ((u128)r * r > R)
        r--;
    while (r != ~0ull && (u128)(r + 1) * (r + 1) <= R)
        r++;
    *rem_out = R - (u128)r * r;
    return r;
}

Fx80 fx_sqrt(FxCtx *c, Fx80 a)
{
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(a))
        return fx_invalid(c);
    if (fx_is_nan(a)) {
        if (fx_is_snan(a))
            c->sw |= FX_IE;
        return fx_quiet(a);
    }
    if (fx_is_zero(a))
        return a;
    if (fx_sign(a))
        return fx_invalid(c);        /* negative: IE only, even for a denormal */
    if (fx_is_denormal(a))
        c->sw |= FX_DE;
    if (fx_is_inf(a))
        return a;
    Unp u = fx_unpack(a);
    int32_t e = u.exp - FX_BIAS;
    int odd = e & 1;
    u128 R = (u128)u.m << (63 + odd), rem;
    uint64_t r = isqrt128(R, &rem);
    u128 sig = (u128)r << 64 | (rem > r ? (u128)1 << 63 : 0) | (rem != 0);
    return fx_round80(c, 0, ((e - odd) >> 1) + FX_BIAS, sig, fx_precision(c));
}

/* ---- integers ---- */

/* |a| (finite, nonzero, supported) rounded to an integer under RC. false if |a| >= 2^64 (exact and too big). */
static bool fx_int_mag(FxCtx *c, Fx80 a, uint64_t *mag, bool *inexact, bool *up)
{
    Unp u = fx_unpack(a);
    int32_t e = u.exp - FX_BIAS;
    *inexact = *up = false;
    if (e >= 64)
        return false;
    if (e == 63) {
        *mag = u.m;
        return true;
    }
    /* value = (m << 63) * 2^(e - 126): one unit is 2^(126 - e); values below 1/2 only keep a sticky bit */
    u128 sig = (u128)u.m << 63;
    if (e < -1) {
        e = -1;
        sig = 1;
    }
    int shift = 126 - e;
    u128 r = fx_rnd(c, fx_sign(a), sig, shift, inexact, up);
    *mag = (uint64_t)(r >> shift);
    return true;
}

static Fx80 fx_from_mag(int sign, uint64_t mag)
{
    if (mag == 0)
        return fx_zero(sign);
    int lz = clz64(mag);
    return fx_make(sign, FX_BIAS + 63 - lz, mag << lz);
}

Fx80 fx_from_int(int64_t v)
{
    return v < 0 ? fx_from_mag(1, 0 - (uint64_t)v) : fx_from_mag(0, (uint64_t)v);
}

Fx80 fx_round_int(FxCtx *c, Fx80 a)
{
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(a))
        return fx_invalid(c);
    if (fx_is_nan(a)) {
        if (fx_is_snan(a))
            c->sw |= FX_IE;
        return fx_quiet(a);
    }
    if (fx_is_denormal(a))
        c->sw |= FX_DE;
    if (fx_is_zero(a) || fx_is_inf(a) || fx_exp(a) >= FX_BIAS + 63)
        return a;
    uint64_t mag;
    bool inexact, up;
    fx_int_mag(c, a, &mag, &inexact, &up);
    if (inexact)
        c->sw |= FX_PE;
    fx_set_c1(c, up);
    return fx_from_mag(fx_sign(a), mag);
}

static bool fx_invalid_store(FxCtx *c)
{
    c->sw |= FX_IE;
    return (c->cw & FX_IE) != 0;
}

int64_t fx_to_int(FxCtx *c, Fx80 a, int bits, bool *ok)
{
    int64_t indef = (int64_t)(~0ull << (bits - 1));
    c->sw &= ~FX_C1;
    *ok = true;
    if (fx_is_zero(a))
        return 0;
    uint64_t mag;
    bool inexact, up;
    if (fx_is_unsupported(a) || fx_exp(a) == 0x7fff || !fx_int_mag(c, a, &mag, &inexact, &up) ||
        mag > (1ull << (bits - 1)) - !fx_sign(a)) {
        *ok = fx_invalid_store(c);
        return indef;
    }
    if (inexact)
        c->sw |= FX_PE;
    fx_set_c1(c, up);
    return fx_sign(a) ? (int64_t)(0 - mag) : (int64_t)mag;
}

/* ---- compare ---- */

static int fx_cmp_mag(Fx80 a, Fx80 b)
{
    bool za = fx_is_zero(a), zb = fx_is_zero(b);
    if (za || zb)
        return za && zb ? 0 : za ? -1 : 1;
    Unp ua = fx_unpack(a), ub = fx_unpack(b);
    if (ua.exp != ub.exp)
        return ua.exp < ub.exp ? -1 : 1;
    return ua.m == ub.m ? 0 : ua.m < ub.m ? -1 : 1;
}

int fx_compare(FxCtx *c, Fx80 a, Fx80 b, bool quiet)
{
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(a) || fx_is_unsupported(b)) {
        c->sw |= FX_IE;
        return FX_CMP_UN;
    }
    if (fx_is_nan(a) || fx_is_nan(b)) {
        if (!quiet || fx_is_snan(a) || fx_is_snan(b))
            c->sw |= FX_IE;
        return FX_CMP_UN;
    }
    if (fx_is_denormal(a) || fx_is_denormal(b))
        c->sw |= FX_DE;
    if (fx_is_zero(a) && fx_is_zero(b))
        return FX_CMP_EQ;
    int sa = fx_sign(a), sb = fx_sign(b);
    if (sa != sb)
        return sa ? FX_CMP_LT : FX_CMP_GT;
    int m = fx_cmp_mag(a, b);
    if (m == 0)
        return FX_CMP_EQ;
    return (m < 0) != (sa != 0) ? FX_CMP_LT : FX_CMP_GT;
}

/* ---- float32 / float64 ---- */

static Fx80 fx_from_float(FxCtx *c, uint64_t v, int ebits, int fbits)
{
    int sign = (int)(v >> (ebits + fbits) & 1);
    int32_t e = (int32_t)(v >> fbits & ((1u << ebits) - 1)), bias = (1 << (ebits - 1)) - 1;
    uint64_t f = v & ((1ull << fbits) - 1), m = f << (63 - fbits);
    if (e == (1 << ebits) - 1) {
        if (f == 0)
            return fx_inf(sign);
        if (!(f >> (fbits - 1)))
            c->sw |= FX_IE;   /* SNaN operand: quieted (SDM vol 2 FLD) */
        return fx_make(sign, 0x7fff, m | 3ull << 62);
    }
    if (e == 0) {
        if (f == 0)
            return fx_zero(sign);
        c->sw |= FX_DE;
        int lz = clz64(m);
        return fx_make(sign, FX_BIAS - bias + 1 - lz, m << lz);
    }
    return fx_make(sign, e - bias + FX_BIAS, m | 1ull << 63);
}

Fx80 fx_from_f32(FxCtx *c, uint32_t v) { return fx_from_float(c, v, 8, 23); }
Fx80 fx_from_f64(FxCtx *c, uint64_t v) { return fx_from_float(c, v, 11, 52); }

static uint64_t fx_to_float(FxCtx *c, Fx80 a, bool *ok, int ebits, int fbits)
{
    uint64_t sign = (uint64_t)fx_sign(a) << (ebits + fbits), eall = ((1ull << ebits) - 1) << fbits;
    uint64_t qbit = 1ull << (fbits - 1);
    int32_t bias = (1 << (ebits - 1)) - 1, emax = (1 << ebits) - 2;
    c->sw &= ~FX_C1;
    *ok = true;
    if (fx_is_unsupported(a)) {
        *ok = fx_invalid_store(c);
        return 1ull << (ebits + fbits) | eall | qbit;
    }
    if (fx_is_nan(a)) {
        if (fx_is_snan(a))
            *ok = fx_invalid_store(c);
        return sign | eall | qbit | (a.m >> (63 - fbits) & (qbit * 2 - 1));
    }
    if (fx_is_inf(a))
        return sign | eall;
    if (fx_is_zero(a))
        return sign;
    Unp u = fx_unpack(a);
    FxRounded r = fx_round(c, u.sign, u.exp - FX_BIAS + bias, (u128)u.m << 64, fbits + 1, emax, false);
    if (!r.ok) {
        *ok = false;
        return 0;
    }
    if (r.exp > emax)
        return sign | eall;
    return sign | (uint64_t)r.exp << fbits | (r.m >> (63 - fbits) & (qbit * 2 - 1));
}

uint32_t fx_to_f32(FxCtx *c, Fx80 a, bool *ok) { return (uint32_t)fx_to_float(c, a, ok, 8, 23); }
uint64_t fx_to_f64(FxCtx *c, Fx80 a, bool *ok) { return fx_to_float(c, a, ok, 11, 52); }

/* ---- FSCALE (SDM vol 2 FSCALE table 3-45) ---- */

Fx80 fx_scale(FxCtx *c, Fx80 a, Fx80 b)
{
    Fx80 res;
    if (fx_check2(c, a, b, &res))
        return res;
    int sa = fx_sign(a);
    if (fx_is_inf(b)) {
        if (fx_sign(b))
            return fx_is_inf(a) ? fx_invalid(c) : fx_zero(sa);
        return fx_is_zero(a) ? fx_invalid(c) : fx_inf(sa);
    }
    if (fx_is_inf(a) || fx_is_zero(a))
        return a;
    int32_t n = 0;
    if (!fx_is_zero(b)) {
        Unp ub = fx_unpack(b);
        int32_t e = ub.exp - FX_BIAS;
        n = e < 0 ? 0 : e > 20 ? 1 << 20 : (int32_t)(ub.m >> (63 - e));
        if (ub.sign)
            n = -n;
    }
    Unp ua = fx_unpack(a);
    return fx_round80(c, sa, ua.exp + n, (u128)ua.m << 64, 64);
}

/* ---- packed BCD (SDM vol 1 4.7) ---- */

Fx80 fx_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (uint64_t)(bcd[i] >> 4) * 10 + (bcd[i] & 15);
    return fx_from_mag(bcd[9] >> 7, v);
}

bool fx_to_bcd(FxCtx *c, Fx80 a, uint8_t bcd[10])
{
    uint64_t mag = 0;
    bool inexact = false, up = false;
    c->sw &= ~FX_C1;
    if (!fx_is_zero(a) && (fx_is_unsupported(a) || fx_exp(a) == 0x7fff || !fx_int_mag(c, a, &mag, &inexact, &up) ||
                           mag > 999999999999999999ull)) {
        if (!fx_invalid_store(c))
            return false;
        static const uint8_t indef[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
        memcpy(bcd, indef, 10);
        return true;
    }
    if (inexact)
        c->sw |= FX_PE;
    fx_set_c1(c, up);
    for (int i = 0; i < 9; i++) {
        bcd[i] = (uint8_t)(mag % 10 | (mag / 10 % 10) << 4);
        mag /= 100;
    }
    bcd[9] = (uint8_t)(fx_sign(a) << 7);
    return true;
}

/* ---- FXTRACT, FPREM/FPREM1, constants ---- */

Fx80 fx_xtract(FxCtx *c, Fx80 a, Fx80 *sig)
{
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(a)) {
        *sig = fx_invalid(c);
        return *sig;
    }
    if (fx_is_nan(a)) {
        if (fx_is_snan(a))
            c->sw |= FX_IE;
        *sig = fx_quiet(a);
        return *sig;
    }
    if (fx_is_zero(a)) {   /* SDM vol 2 FXTRACT: zero gives -infinity and #Z */
        c->sw |= FX_ZE;
        *sig = a;
        return fx_inf(1);
    }
    if (fx_is_inf(a)) {
        *sig = a;
        return fx_inf(0);
    }
    if (fx_is_denormal(a))
        c->sw |= FX_DE;
    Unp u = fx_unpack(a);
    *sig = fx_make(u.sign, FX_BIAS, u.m);
    return fx_from_int(u.exp - FX_BIAS);
}

/* The remainder step of FPREM/FPREM1 on finite nonzero operands (SDM vol 2 FPREM/FPREM1 pseudo-code). */
static Fx80 fx_prem_finite(FxCtx *c, Fx80 a, Fx80 b, bool round_nearest, unsigned *q, bool *partial)
{
    Unp ua = fx_unpack(a), ub = fx_unpack(b);
    int32_t d = ua.exp - ub.exp, unit = ub.exp;
    u128 N, D = ub.m;
    *partial = false;
    if (d < (round_nearest ? -1 : 0))   /* |a| < |b| (or half of it): a itself, normalized */
        return fx_round80(c, ua.sign, ua.exp, (u128)ua.m << 64, 64);
    if (d >= 64) {              /* partial: reduce the exponent difference by N = 32..63 */
        int n = 32 + (int)((d - 64) % 32);
        *partial = true;
        unit += d - n;
        N = (u128)ua.m << n;
        round_nearest = false;
    } else if (d == -1) {
        N = ua.m;
        D = (u128)ub.m << 1;
        unit = ua.exp;
    } else {
        N = (u128)ua.m << d;
    }
    u128 Q = N / D, R = N % D;
    int sign = ua.sign;
    if (round_nearest && (2 * R > D || (2 * R == D && (Q & 1)))) {
        Q++;
        R = D - R;
        sign ^= 1;
    }
    *q = *partial ? 0 : (unsigned)(Q & 7);   /* a partial remainder reports no quotient bits (host x87) */
    if (R == 0)
        return fx_zero(ua.sign);
    return fx_round80(c, sign, unit + 2, R << 62, 64);
}

Fx80 fx_prem(FxCtx *c, Fx80 a, Fx80 b, bool round_nearest, unsigned *q, bool *partial)
{
    Fx80 res;
    *q = 8;                       /* no quotient: NaN or invalid operands leave C0 C3 C1 alone */
    *partial = false;
    if (fx_check2(c, a, b, &res))
        return res;
    if (fx_is_inf(a) || fx_is_zero(b)) {
        c->sw &= ~FX_DE;          /* invalid wins over a denormal operand (host x87) */
        return fx_invalid(c);
    }
    *q = 0;
    if (fx_is_zero(a))
        return a;
    if (fx_is_inf(b))           /* a itself, normalized (a pseudo-denormal gets exponent 1) */
        return fx_round80(c, fx_sign(a), fx_unpack(a).exp, (u128)fx_unpack(a).m << 64, 64);
    return fx_prem_finite(c, a, b, round_nearest, q, partial);
}

Fx80 fx_const(const FxCtx *c, int idx)
{
    /* significand truncated to 64 bits, and the next bits of the exact value: tail 0 = exact, 1 = below half,
     * 3 = above half (none is exactly half) */
    static const struct { uint16_t se; uint64_t m; uint8_t tail; } k[8] = {
        { 0x3fff, 0x8000000000000000ull, 0 },   /* 1 */
        { 0x4000, 0xd49a784bcd1b8afeull, 1 },   /* log2(10): tail 0x49... */
        { 0x3fff, 0xb8aa3b295c17f0bbull, 3 },   /* log2(e): tail 0xbe... */
        { 0x4000, 0xc90fdaa22168c234ull, 3 },   /* pi: tail 0xc4... */
        { 0x3ffd, 0x9a209a84fbcff798ull, 3 },   /* log10(2): tail 0x8f... */
        { 0x3ffe, 0xb17217f7d1cf79abull, 3 },   /* ln(2): tail 0xc9... */
        { 0, 0, 0 },                            /* +0 */
        { 0, 0, 0 },
    };
    int rc = c->cw >> FX_RC_SHIFT & 3;
    Fx80 r = { k[idx & 7].m, k[idx & 7].se };
    if ((rc == FX_RC_NEAR && k[idx & 7].tail == 3) || (rc == FX_RC_UP && k[idx & 7].tail))
        r.m++;
    return r;
}
