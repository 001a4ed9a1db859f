/* fpu_trans.c — F2XM1 FYL2X FYL2XP1 FPATAN FSIN FCOS FSINCOS FPTAN in portable extended arithmetic (no host
 * floating point at all).
 * Design: an internal float with a 128-bit significand and an int32 exponent (Xf); every operation truncates and
 * keeps a sticky bit (lowest bit set when anything nonzero was dropped), so an approximation is off by a few units
 * of 2^-125 relative and its error never flips the side of a 64-bit rounding boundary except within that distance.
 * The result is rounded once to 64 bits under RC by fx_round_ext (precision control does not apply to these
 * instructions, SDM vol 1 8.1.5.2), which also produces C1 ("rounded up"), PE, and UE/OE with the x87's masked and
 * unmasked responses.
 *   ln m (m in [sqrt2/2, sqrt2)) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: series sum z^k/(2k+1), z = s^2;
 *   log2(1+x) for |x| < 1/2 = 2 atanh(x/(2+x)) / ln 2 (no cancellation for tiny x, SDM vol 2 FYL2XP1);
 *   atan t (0 <= t <= 1) = atan(c) + atan((t-c)/(1+tc)), c = i/8 nearest to t, then the alternating series;
 *   2^x - 1 by the exponential series; sin/cos after an exact reduction by the x87's 66-bit pi/2 (SDM vol 1
 *   8.3.10), Taylor series for |r| <= pi/4, tan = sin/cos rounded once.
 * Special operands follow the tables of SDM vol 2 (FYL2X, FYL2XP1, FPATAN, ...): NaN selection and unsupported
 * encodings as for two-operand arithmetic, log of a negative number and 0 * infinity are invalid (IE, real
 * indefinite), log of zero divides by zero (ZE, infinity of the opposite sign of y), and the signed zeros, pi,
 * pi/2, pi/4, 3pi/4 of FPATAN (fpu.c handles the stack, infinities and zeros of the trigonometric ones). Exact
 * results (zeros, FYL2X of x = 1) report no PE; FYL2X of any other power of two reports PE, as the host does.
 * Accuracy against the host x87 (tests/test_fpu_trans.c, docs/fpu.md): within 1 ulp of the 64-bit significand.
 * Left out: FYL2XP1 outside its documented domain |x| < 1 - sqrt2/2 is computed as log2(1+x) (the SDM calls the
 * result undefined there). */
#include "fpu_soft.h"

typedef unsigned __int128 u128;

typedef struct Xf { int s; int32_t e; u128 m; } Xf;   /* (-1)^s * m * 2^(e - 127); m normalized, or 0 */

static int clz128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? __builtin_clzll(hi) : 64 + ((uint64_t)v ? __builtin_clzll((uint64_t)v) : 64);
}

static Xf xf_norm(int s, int32_t e, u128 m)
{
    if (!m)
        return (Xf){ s, 0, 0 };
    int lz = clz128(m);
    return (Xf){ s, e - lz, m << lz };
}

static u128 xf_u128(uint64_t hi, uint64_t lo) { return (u128)hi << 64 | lo; }
static Xf xf_const(int32_t e, uint64_t hi, uint64_t lo) { return (Xf){ 0, e, xf_u128(hi, lo) }; }
static Xf xf_neg(Xf a) { a.s ^= 1; return a; }

static Xf xf_from_fx(Fx80 a)
{
    int e = a.se & 0x7fff;
    return xf_norm(a.se >> 15, (e ? e : 1) - 16383, (u128)a.m << 64);
}

static Xf xf_from_int(int64_t v)
{
    return xf_norm(v < 0, 127, (u128)(v < 0 ? -(uint64_t)v : (uint64_t)v));
}

/* right shift keeping a sticky bit */
static u128 xf_shr_jam(u128 v, int32_t n)
{
    if (n <= 0)
        return v;
    if (n >= 128)
        return v != 0;
    return v >> n | ((v & (((u128)1 << n) - 1)) != 0);
}

static Xf xf_mul(Xf a, Xf b)
{
    if (!a.m || !b.m)
        return (Xf){ a.s ^ b.s, 0, 0 };
    uint64_t a1 = (uint64_t)(a.m >> 64), a0 = (uint64_t)a.m, b1 = (uint64_t)(b.m >> 64), b0 = (uint64_t)b.m;
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    u128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    u128 lo = mid << 64 | (uint64_t)p00;
    int32_t e = a.e + b.e + 1;
    if (!(hi >> 127)) {
        hi = hi << 1 | lo >> 127;
        lo <<= 1;
        e--;
    }
    return (Xf){ a.s ^ b.s, e, hi | (lo != 0) };
}

static int xf_cmp_mag(Xf a, Xf b)
{
    if (!a.m || !b.m)
        return (a.m != 0) - (b.m != 0);
    if (a.e != b.e)
        return a.e > b.e ? 1 : -1;
    return (a.m > b.m) - (a.m < b.m);
}

static Xf xf_add(Xf a, Xf b)
{
    if (!b.m)
        return a;
    if (!a.m)
        return b;
    if (xf_cmp_mag(a, b) < 0) {
        Xf t = a;
        a = b;
        b = t;
    }
    int64_t d = (int64_t)a.e - b.e;
    u128 am = a.m >> 1 | (a.m & 1), bm = xf_shr_jam(b.m, (int32_t)(d > 200 ? 200 : d) + 1);
    return xf_norm(a.s, a.e + 1, a.s == b.s ? am + bm : am - bm);
}

static Xf xf_sub(Xf a, Xf b) { return xf_add(a, xf_neg(b)); }

/* a / b by restoring long division: q = floor(ma * 2^127 / mb) with a sticky remainder bit */
static Xf xf_div(Xf a, Xf b)
{
    if (!a.m)
        return (Xf){ a.s ^ b.s, 0, 0 };
    u128 r = a.m, q = 0;
    if (r >= b.m) {
        q = 1;
        r -= b.m;
    }
    for (int i = 0; i < 127; i++) {
        bool carry = r >> 127;
        r <<= 1;
        q <<= 1;
        if (carry || r >= b.m) {
            r -= b.m;
            q |= 1;
        }
    }
    Xf out = xf_norm(a.s ^ b.s, a.e - b.e, q);
    out.m |= r != 0;
    return out;
}

/* a / d for a small positive integer d (< 2^16) */
static Xf xf_div_small(Xf a, uint32_t d)
{
    u128 q = a.m / d, r = a.m % d;
    int lz = clz128(q);
    u128 r2 = r << lz;
    q = q << lz | r2 / d;
    return (Xf){ a.s, a.e - lz, q | (r2 % d != 0) };
}

/* sum_{k>=0} (+-z)^k / (2k+1) for 0 <= z < 1/4 (alternating when alt: the atan series, else atanh) */
static Xf xf_odd_series(Xf z, bool alt)
{
    Xf sum = xf_from_int(1), pw = z;
    for (uint32_t k = 1; pw.m && k < 200; k++) {
        Xf term = xf_div_small(pw, 2 * k + 1);
        if (term.e < sum.e - 140) {       /* the rest is below the sticky bit: keep its sign */
            sum = xf_add(sum, alt && (k & 1) ? xf_neg(term) : term);
            break;
        }
        sum = xf_add(sum, alt && (k & 1) ? xf_neg(term) : term);
        pw = xf_mul(pw, z);
    }
    return sum;
}

static const Xf *xf_ln2_inv(void)   /* log2(e) = 1 / ln 2 */
{
    static const Xf v = { 0, 0, ((u128)0xb8aa3b295c17f0bbull << 64) | 0xbe87fed0691d3e88ull };
    return &v;
}

/* log2(1 + x) with s = x / (2 + x): 2 s sum(s^2) / ln 2 */
static Xf xf_log2_s(Xf s)
{
    Xf r = xf_mul(s, xf_odd_series(xf_mul(s, s), false));
    r.e++;
    return xf_mul(r, *xf_ln2_inv());
}

/* log2 of a positive v */
static Xf xf_log2(Xf v)
{
    static const u128 sqrt2 = ((u128)0xb504f333f9de6484ull << 64) | 0x597d89b3754abe9full;
    int32_t e = v.e;
    Xf m = { 0, 0, v.m };              /* m in [1, 2) */
    if (v.m >= sqrt2) {
        m.e = -1;                       /* m / 2 in [sqrt2/2, 1) */
        e++;
    }
    Xf one = xf_from_int(1);
    Xf s = xf_div(xf_sub(m, one), xf_add(m, one));   /* m - 1 is exact for a 64-bit significand */
    return xf_add(xf_from_int(e), xf_log2_s(s));
}

/* atan t for 0 <= t <= 1 */
static Xf xf_atan01(Xf t)
{
    static const uint64_t atan_i8[8][2] = {   /* atan(i/8), i = 1..8, significands (exponents below) */
        { 0xfeadd4d5617b6e32ull, 0xc897989f3e888ef7ull }, { 0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e5ull },
        { 0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull }, { 0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull },
        { 0x8f005d5ef7f59f9bull, 0x5c835e1665c43747ull }, { 0xa4bc7d1934f70924ull, 0x19a87f2a457dac9eull },
        { 0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull }, { 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull },
    };
    static const int8_t atan_e[8] = { -4, -3, -2, -2, -1, -1, -1, -1 };
    /* i = round(8t) */
    int i = 0, sh = 123 - t.e;                       /* floor(16t) = m >> (127 - (e + 4)) */
    if (t.m && sh < 128)
        i = sh <= 123 ? 8 : (int)(((t.m >> sh) + 1) >> 1);
    if (i == 0)
        return xf_mul(t, xf_odd_series(xf_mul(t, t), true));
    Xf c = xf_div_small(xf_from_int(i), 8);
    Xf u = xf_div(xf_sub(t, c), xf_add(xf_from_int(1), xf_mul(t, c)));
    Xf at = xf_mul(u, xf_odd_series(xf_mul(u, u), true));
    return xf_add(xf_const(atan_e[i - 1], atan_i8[i - 1][0], atan_i8[i - 1][1]), at);
}

/* e^y - 1 for |y| < 1: Taylor series y + y^2/2! + ... (for y < 0 the terms alternate; |e^y - 1| >= |y|/2) */
static Xf xf_expm1(Xf y)
{
    Xf sum = y, term = y;
    for (uint32_t k = 2; term.m && k < 200; k++) {
        term = xf_div_small(xf_mul(term, y), k);
        sum = xf_add(sum, term);
        if (term.e < sum.e - 140)
            break;
    }
    return sum;
}

static Xf xf_pi(int32_t e) { return xf_const(e, 0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull); }   /* pi * 2^(e-1) */

/* |x| = k (pi66 / 2) + r exactly, |r| <= pi66/4, with the x87's own 66-bit pi (SDM vol 1 8.3.10): for |x| >= 1/4,
 * |x| and pi66/2 = M66 2^-65 are integers in 2^-65 units (|x| < 2^63), so the remainder is an exact integer. */
static Xf xf_reduce_pi2(Fx80 x, int *quadrant)
{
    int e = (x.se & 0x7fff) - 16383;
    Xf ax = xf_from_fx(x);
    ax.s = 0;
    *quadrant = 0;
    if (e < -2)
        return ax;
    const u128 M66 = (u128)0xc90fdaa22168c234ull << 2 | 3;
    u128 N = (u128)x.m << (e + 2), k = N / M66, rem = N - k * M66;
    int neg = 0;
    if (rem > M66 >> 1) {           /* M66 is odd: no ties */
        k++;
        rem = M66 - rem;
        neg = 1;
    }
    *quadrant = (int)(k & 3);
    return xf_norm(neg, 127 - 65, rem);
}

/* sin r (cos false) or cos r for |r| <= pi/4: Taylor series, alternating, sums >= 0.7 */
static Xf xf_sin_cos(Xf r, bool cos)
{
    Xf z = xf_mul(r, r), sum = xf_from_int(1), term = sum;
    for (uint32_t k = 1; z.m && k < 60; k++) {
        term = xf_div_small(xf_mul(term, z), cos ? (2 * k - 1) * (2 * k) : (2 * k) * (2 * k + 1));
        if (!term.m)
            break;
        sum = xf_add(sum, (k & 1) ? xf_neg(term) : term);
        if (term.e < sum.e - 140)
            break;
    }
    return cos ? sum : xf_mul(r, sum);
}

/* ---- the instructions ---- */

/* the exact or rounded result of an Xf under RC, 64 bits */
static Fx80 xf_round(FxCtx *c, Xf v)
{
    return fx_round_ext(c, v.s, v.e + 16383, (uint64_t)(v.m >> 64), (uint64_t)v.m | 1);
}

/* FSIN (kind 0), FCOS (1), FSINCOS (2: *r1 = sin, *r2 = cos), FPTAN (3: *r1 = tan, *r2 = 1) of a finite nonzero x
 * with |x| < 2^63 (the caller handles the rest, SDM vol 2); each result rounded once under RC */
void fx_trig(FxCtx *c, Fx80 x, int kind, Fx80 *r1, Fx80 *r2)
{
    int q, sx = x.se >> 15;
    Xf r = xf_reduce_pi2(x, &q);
    c->sw &= ~FX_C1;
    /* |x| = k pi/2 + r, q = k mod 4: sin |x| = S, C, -S, -C and cos |x| = C, -S, -C, S (S = sin r, C = cos r) */
    Xf S = xf_sin_cos(r, false), C = xf_sin_cos(r, true);
    Xf s = (q & 1) ? C : S, co = (q & 1) ? xf_neg(S) : C;
    if (q >= 2) {
        s = xf_neg(s);
        co = xf_neg(co);
    }
    s.s ^= sx;                                        /* sine is odd, cosine even */
    *r2 = (Fx80){ 1ull << 63, 0x3fff };
    if (kind == 3) {
        *r1 = xf_round(c, xf_div(s, co));
        return;
    }
    *r1 = xf_round(c, kind == 1 ? co : s);
    if (kind == 2) {
        FxCtx c2 = *c;
        *r2 = xf_round(&c2, co);
        c->sw |= c2.sw & FX_EXC;
    }
}

static bool fx_nan_or_unsupported(Fx80 a) { return fx_is_nan(a) || fx_is_unsupported(a); }

static Fx80 fx_inf_s(int sign) { return (Fx80){ 1ull << 63, (uint16_t)(sign << 15 | 0x7fff) }; }
static Fx80 fx_zero_s(int sign) { return (Fx80){ 0, (uint16_t)(sign << 15) }; }
static Fx80 fx_inv(FxCtx *c) { c->sw |= FX_IE; return fx_indefinite(); }

/* F2XM1: 2^x - 1 (SDM vol 2: defined for -1 <= x <= +1; beyond, 2^n * 2^f - 1 with n = trunc(x)) */
Fx80 fx_f2xm1(FxCtx *c, Fx80 x)
{
    static const Xf ln2 = { 0, -1, ((u128)0xb17217f7d1cf79abull << 64) | 0xc9e3b39803f2f6afull };
    int sx = x.se >> 15;
    c->sw &= ~FX_C1;
    if (fx_is_unsupported(x))
        return fx_inv(c);
    if (fx_is_nan(x)) {
        if (fx_is_snan(x))
            c->sw |= FX_IE;
        x.m |= 1ull << 62;
        return x;
    }
    if (fx_is_denormal(x))
        c->sw |= FX_DE;
    if (fx_is_zero(x))
        return x;
    if (fx_is_inf(x))
        return sx ? (Fx80){ 1ull << 63, 0xbfff } : x;   /* 2^-inf - 1 = -1 */
    Xf v = xf_from_fx(x);
    if (v.e < 0)
        return xf_round(c, xf_expm1(xf_mul(v, ln2)));
    /* |x| >= 1: x = n + f, |f| < 1 exact; 2^x - 1 = 2^n (e^(f ln 2) - 1) + (2^n - 1) */
    int32_t n = v.e >= 15 ? (sx ? -40000 : 40000) : (int32_t)(v.m >> (127 - v.e));
    Xf f = v.e >= 15 ? (Xf){ 0, 0, 0 } : xf_sub(v, xf_from_int(sx ? -n : n));
    if (sx)
        n = -n;
    Xf p = xf_expm1(xf_mul(f, ln2));
    p.e += p.m ? n : 0;
    Xf two_n_m1 = xf_sub((Xf){ 0, n, (u128)1 << 127 }, xf_from_int(1));
    return xf_round(c, xf_add(p, two_n_m1));
}

/* FYL2X: ST(1) * log2(ST(0)); x = ST(0), y = ST(1) */
Fx80 fx_fyl2x(FxCtx *c, Fx80 x, Fx80 y)
{
    int sx = x.se >> 15, sy = y.se >> 15;
    c->sw &= ~FX_C1;
    if (fx_nan_or_unsupported(x) || fx_nan_or_unsupported(y))
        return fx_add(c, x, y);                       /* NaN selection, IE for SNaN/unsupported */
    if (sx && !fx_is_zero(x))
        return fx_inv(c);                             /* log of a negative number */
    if (fx_is_zero(x)) {                              /* log2(0) = -inf; ZE without DE for a denormal y (host) */
        if (fx_is_zero(y))
            return fx_inv(c);
        if (!fx_is_inf(y))
            c->sw |= FX_ZE;
        return fx_inf_s(!sy);
    }
    if (fx_is_denormal(x) || fx_is_denormal(y))
        c->sw |= FX_DE;
    if (fx_is_inf(x))
        return fx_is_zero(y) ? fx_inv(c) : fx_inf_s(sy);
    Xf vx = xf_from_fx(x);
    if (vx.m == (u128)1 << 127) {   /* a power of two: log2 x is the exponent, y * log2 x is rounded once (exact
                                     * for x = 1, but the host reports PE for every other power of two) */
        FxCtx t = { (uint16_t)(c->cw | 0x300), 0 };
        Fx80 r = fx_mul(&t, y, fx_from_int(vx.e));
        bool pe = vx.e && !fx_is_zero(y) && !fx_is_inf(y);
        c->sw = (uint16_t)((c->sw & ~FX_C1) | t.sw | (pe ? FX_PE : 0) | (pe && fx_is_denormal(r) ? FX_UE : 0));
        return r;
    }
    int sl = vx.e < 0;                                /* sign of log2 x */
    if (fx_is_zero(y))
        return fx_zero_s(sy ^ sl);
    if (fx_is_inf(y))
        return fx_inf_s(sy ^ sl);
    return xf_round(c, xf_mul(xf_from_fx(y), xf_log2(vx)));
}

/* FYL2XP1: ST(1) * log2(ST(0) + 1) */
Fx80 fx_fyl2xp1(FxCtx *c, Fx80 x, Fx80 y)
{
    int sx = x.se >> 15, sy = y.se >> 15;
    c->sw &= ~FX_C1;
    if (fx_nan_or_unsupported(x) || fx_nan_or_unsupported(y))
        return fx_add(c, x, y);
    Xf vx = xf_from_fx(x), one = xf_from_int(1);
    int below = sx && !fx_is_zero(x) ? xf_cmp_mag(vx, one) : -1;   /* x <= -1: 0 (x = -1) or 1 */
    if (below > 0 || (fx_is_inf(x) && sx))
        return fx_inv(c);
    if (fx_is_denormal(x) || fx_is_denormal(y))
        c->sw |= FX_DE;
    if (below == 0) {                                 /* outside the domain: log2(0) */
        if (fx_is_zero(y))
            return fx_inv(c);
        if (!fx_is_inf(y))
            c->sw |= FX_ZE;
        return fx_inf_s(!sy);
    }
    if (fx_is_zero(x))                                /* y * log2(1 + +-0) = y * +-0 */
        return fx_is_inf(y) ? fx_inv(c) : fx_zero_s(sx ^ sy);
    if (fx_is_inf(x))                                 /* +inf (-inf is invalid above) */
        return fx_is_zero(y) ? fx_inv(c) : fx_inf_s(sy);
    if (fx_is_zero(y))
        return fx_zero_s(sx ^ sy);
    if (fx_is_inf(y))
        return fx_inf_s(sx ^ sy);
    Xf l;
    if (vx.e < -1)                                    /* |x| < 1/2 */
        l = xf_log2_s(xf_div(vx, xf_add(xf_from_int(2), vx)));
    else
        l = xf_log2(xf_add(vx, one));
    return xf_round(c, xf_mul(xf_from_fx(y), l));
}

/* FPATAN: arctan(ST(1) / ST(0)) with the quadrant of (x = ST(0), y = ST(1)) */
Fx80 fx_fpatan(FxCtx *c, Fx80 x, Fx80 y)
{
    int sx = x.se >> 15, sy = y.se >> 15;
    c->sw &= ~FX_C1;
    if (fx_nan_or_unsupported(x) || fx_nan_or_unsupported(y))
        return fx_add(c, x, y);
    if (fx_is_denormal(x) || fx_is_denormal(y))
        c->sw |= FX_DE;
    Xf a;
    if (fx_is_zero(y)) {
        if (!sx)
            return y;                                 /* +-0 for x = +0 or x > 0 */
        a = xf_pi(1);
    } else if (fx_is_inf(y)) {
        a = fx_is_inf(x) ? (sx ? xf_mul(xf_pi(-1), xf_from_int(3)) : xf_pi(-1)) : xf_pi(0);
    } else if (fx_is_inf(x)) {
        if (!sx)
            return fx_zero_s(sy);
        a = xf_pi(1);
    } else if (fx_is_zero(x)) {
        a = xf_pi(0);
    } else {
        Xf ax = xf_from_fx(x), ay = xf_from_fx(y);
        ax.s = ay.s = 0;
        if (xf_cmp_mag(ay, ax) <= 0) {
            a = xf_atan01(xf_div(ay, ax));
            if (sx)
                a = xf_sub(xf_pi(1), a);
        } else {
            Xf at = xf_atan01(xf_div(ax, ay));
            a = sx ? xf_add(xf_pi(0), at) : xf_sub(xf_pi(0), at);
        }
    }
    a.s = sy;
    return xf_round(c, a);
}
