/* helpers_arith.c — the integer instructions whose IR would be long or which are rare: DIV/IDIV (with #DE),
 * RCL/RCR, 16-bit SHLD/SHRD and the BCD adjusts. Rows in helpers.def ("flags.c, helpers_arith.c" group).
 * Invariants: helper_div checks every #DE condition before it writes a register (precise fault); the others are
 * pure functions of their arguments and return the arithmetic flags eagerly (CC_OP_EFLAGS form).
 * Deterministic choices for flags the SDM leaves undefined (the differential tests mask them):
 *   RCL/RCR with a count above 1: OF by the count-1 formula on the result (RCL: MSB ^ CF; RCR: MSB ^ MSB-1).
 *   SHLD/SHRD r16 with counts 17..31: the P6 shifts through the 48-bit string dst:src:dst; AF = 0; OF = sign
 *     change of the destination.
 *   DAA/DAS: OF as for the ADD/SUB of the whole correction. AAA/AAS: SF ZF PF from the final AL, OF = 0.
 *   AAM: OF AF CF = 0. AAD: OF AF CF as for the 8-bit ADD AL + AH*imm.
 * Left out: everything with a short IR form (xlat_alu.c). */
#include <stdio.h>
#include "helpers.h"

static uint32_t flags_szp(uint32_t v, uint32_t sign)
{
    uint32_t f = 0;
    if ((v & (sign | (sign - 1))) == 0)
        f |= F_ZF;
    if (v & sign)
        f |= F_SF;
    if (!__builtin_parity(v & 0xff))
        f |= F_PF;
    return f;
}

/* ------------------------------------------------------------------ DIV / IDIV (SDM vol 2 DIV, IDIV) */

static void div_write(CpuState *env, int size, uint32_t q, uint32_t r)
{
    if (size == 1) {
        env->t[G_EAX] = (env->t[G_EAX] & 0xffff0000u) | (q & 0xff) | (r & 0xff) << 8;
    } else if (size == 2) {
        env->t[G_EAX] = (env->t[G_EAX] & 0xffff0000u) | (q & 0xffff);
        env->t[G_EDX] = (env->t[G_EDX] & 0xffff0000u) | (r & 0xffff);
    } else {
        env->t[G_EAX] = q;
        env->t[G_EDX] = r;
    }
}

static void div_unsigned(CpuState *env, uint32_t divisor, int size)
{
    uint64_t n, q;
    uint32_t eax = env->t[G_EAX], edx = env->t[G_EDX];
    uint64_t max = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffffu;
    if (size == 1)
        n = eax & 0xffff;
    else if (size == 2)
        n = (edx & 0xffff) << 16 | (eax & 0xffff);
    else
        n = (uint64_t)edx << 32 | eax;
    if (divisor == 0)
        cpu_raise_exception(env, EXC_DE, -1);
    q = n / divisor;
    if (q > max)
        cpu_raise_exception(env, EXC_DE, -1);
    div_write(env, size, (uint32_t)q, (uint32_t)(n % divisor));
}

static void div_signed(CpuState *env, uint32_t divisor, int size)
{
    int64_t n, d, q, r, lo, hi;
    uint32_t eax = env->t[G_EAX], edx = env->t[G_EDX];
    if (size == 1) {
        n = (int16_t)eax;
        d = (int8_t)divisor;
        lo = -128, hi = 127;
    } else if (size == 2) {
        n = (int32_t)((edx & 0xffff) << 16 | (eax & 0xffff));
        d = (int16_t)divisor;
        lo = -32768, hi = 32767;
    } else {
        n = (int64_t)((uint64_t)edx << 32 | eax);
        d = (int32_t)divisor;
        lo = INT32_MIN, hi = INT32_MAX;
    }
    if (d == 0)
        cpu_raise_exception(env, EXC_DE, -1);
    if (d == -1) {
        /* -n overflows int64 only for INT64_MIN, whose quotient is out of range anyway */
        if (n == INT64_MIN || -n < lo || -n > hi)
            cpu_raise_exception(env, EXC_DE, -1);
        div_write(env, size, (uint32_t)-n, 0);
        return;
    }
    q = n / d;   /* C truncates toward zero, as IDIV does; the remainder has the dividend's sign */
    r = n % d;
    if (q < lo || q > hi)
        cpu_raise_exception(env, EXC_DE, -1);
    div_write(env, size, (uint32_t)q, (uint32_t)r);
}

void helper_div(CpuState *env, uint32_t a, uint32_t b)
{
    int size = (b & 7) == 1 || (b & 7) == 2 ? (int)(b & 7) : 4;
    if (b & 0x10)
        div_signed(env, a, size);
    else
        div_unsigned(env, a, size);
}

/* ------------------------------------------------------------------ RCL / RCR (SDM vol 2 RCL/RCR/ROL/ROR) */

/* Rotate the (bits+1)-bit string CF:value; returns it (CF in bit `bits`). */
static uint64_t rotc_string(uint32_t val, uint32_t count, uint32_t mode)
{
    int size = (mode & 7) == 1 || (mode & 7) == 2 ? (int)(mode & 7) : 4;
    unsigned bits = (unsigned)size * 8, n = count & 31;
    uint64_t mask = (1ull << (bits + 1)) - 1;
    uint64_t v = ((uint64_t)(val & (uint32_t)((1ull << bits) - 1))) | (uint64_t)((mode >> 8) & F_CF) << bits;
    n %= bits + 1;   /* 8-bit: mod 9, 16-bit: mod 17, 32-bit: n < 33 already */
    if (n == 0)
        return v;
    if (mode & 8)
        v = (v >> n) | (v << (bits + 1 - n));
    else
        v = (v << n) | (v >> (bits + 1 - n));
    return v & mask;
}

uint32_t helper_rotc(CpuState *env, uint32_t a, uint32_t b, uint32_t c)
{
    int size = (c & 7) == 1 || (c & 7) == 2 ? (int)(c & 7) : 4;
    return (uint32_t)(rotc_string(a, b, c) & ((1ull << (size * 8)) - 1));
}

uint32_t helper_rotc_flags(CpuState *env, uint32_t a, uint32_t b, uint32_t c)
{
    int size = (c & 7) == 1 || (c & 7) == 2 ? (int)(c & 7) : 4;
    unsigned bits = (unsigned)size * 8;
    uint32_t f = (c >> 8) & F_ARITH;
    uint64_t v;
    uint32_t cf, msb, msb1;
    if ((b & 31) == 0)
        return f;   /* count 0: no flag changes */
    v = rotc_string(a, b, c);
    cf = (uint32_t)(v >> bits) & 1;
    msb = (uint32_t)(v >> (bits - 1)) & 1;
    msb1 = (uint32_t)(v >> (bits - 2)) & 1;
    f &= ~(uint32_t)(F_CF | F_OF);
    f |= cf;
    if ((c & 8) ? msb ^ msb1 : msb ^ cf)
        f |= F_OF;
    return f;
}

/* ------------------------------------------------------------------ SHLD / SHRD r/m16 */

uint32_t helper_shxd16(CpuState *env, uint32_t a, uint32_t b, uint32_t c)
{
    unsigned n = c & 31;
    uint64_t v;
    uint32_t r, cf, f;
    a &= 0xffff;
    b &= 0xffff;
    if (n == 0)
        return a;
    if (c & 0x100) {   /* SHRD: bits enter from the top, taken from src then dst again */
        v = (uint64_t)a | (uint64_t)b << 16 | (uint64_t)a << 32;
        r = (uint32_t)(v >> n) & 0xffff;
        cf = (uint32_t)(v >> (n - 1)) & 1;
    } else {           /* SHLD: bits enter from the bottom */
        v = (uint64_t)a << 32 | (uint64_t)b << 16 | a;
        r = (uint32_t)(v << n >> 32) & 0xffff;
        cf = (uint32_t)(v >> (48 - n)) & 1;
    }
    f = flags_szp(r, 0x8000) | cf;
    if ((a ^ r) & 0x8000)
        f |= F_OF;
    return r | f << 16;
}

/* ------------------------------------------------------------------ BCD (SDM vol 2 DAA DAS AAA AAS AAM AAD) */

static uint32_t bcd_daa_das(uint32_t ax, uint32_t flags, bool sub)
{
    uint32_t al = ax & 0xff, old_al = al, cf = 0, af = 0, f;
    if ((al & 0xf) > 9 || (flags & F_AF)) {
        cf = (flags & F_CF) | (sub ? al < 6 : al > 0xf9);
        al = (sub ? al - 6 : al + 6) & 0xff;
        af = F_AF;
    }
    if (old_al > 0x99 || (flags & F_CF)) {
        al = (sub ? al - 0x60 : al + 0x60) & 0xff;
        cf = F_CF;
    }
    /* else: the SDM pseudo-code clears CF here, but hardware (80286 vectors) keeps the borrow out of AL - 6 */
    f = flags_szp(al, 0x80) | af | cf;
    if (sub ? (old_al & ~al & 0x80) : (~old_al & al & 0x80))
        f |= F_OF;
    return (ax & 0xff00) | al | f << 16;
}

static uint32_t bcd_aaa_aas(uint32_t ax, uint32_t flags, bool sub)
{
    uint32_t f = 0;
    ax &= 0xffff;
    if ((ax & 0xf) > 9 || (flags & F_AF)) {
        ax = sub ? ax - 6 - 0x100 : ax + 0x106;
        f = F_AF | F_CF;
    }
    ax &= 0xff0f;
    return ax | (f | flags_szp(ax & 0xff, 0x80)) << 16;
}

uint32_t helper_bcd(CpuState *env, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t imm = (c >> 8) & 0xff, al = a & 0xff, ah = (a >> 8) & 0xff, r, f;
    switch (c & 0xff) {
    case 0: return bcd_daa_das(a & 0xffff, b, false);
    case 1: return bcd_daa_das(a & 0xffff, b, true);
    case 2: return bcd_aaa_aas(a, b, false);
    case 3: return bcd_aaa_aas(a, b, true);
    case 4:   /* AAM */
        if (imm == 0)   /* never passed: the translator raises #DE for AAM 0 */
            return (a & 0xffff) | (b & F_ARITH) << 16;
        r = (al / imm) << 8 | (al % imm);
        return r | flags_szp(r & 0xff, 0x80) << 16;
    default:  /* AAD */
        r = (al + ah * imm) & 0xff;
        f = flags_szp(r, 0x80);
        if (r < al)
            f |= F_CF;
        if ((al ^ (ah * imm) ^ r) & 0x10)
            f |= F_AF;
        if ((al ^ r) & ((ah * imm) ^ r) & 0x80)
            f |= F_OF;
        return r | f << 16;
    }
}
