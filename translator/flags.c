/* flags.c — the lazy arithmetic flags: cc_compute_flags() turns (cc_op, cc_dst, cc_src, cc_src2), as cpu.h's
 * CcOp table defines them, into CF PF AF ZF SF OF; cpu_get_eflags/cpu_set_eflags assemble and split the whole
 * EFLAGS register (SDM vol 1 3.4.3).
 * Invariants: the operands are taken modulo the operation's width (callers should already pass them masked);
 * EFLAGS bit 1 is always set and the reserved bits 3, 5, 15, 22-31 are always clear (SDM vol 1 3.4.3).
 * Flags the SDM leaves undefined get one deterministic value each (a P6 has fixed behaviour too, but it is not
 * documented; the differential tests mask these flags):
 *   LOGIC (AND OR XOR TEST, BSF/BSR): AF = 0.
 *   SHL/SHR/SAR (and SHLD/SHRD, which reuse them): AF = 0; OF for any count is that of the last 1-bit step,
 *     MSB(operand shifted by count-1) ^ MSB(result): SHL: CF ^ MSB(result); SHR: MSB(original) for count 1, else
 *     0; SAR: 0 (what the 80286 hardware vectors show for counts above 1).
 *   MUL/IMUL: SF, ZF, PF from the low half of the product, AF = 0.
 * Left out: RCL/RCR, BCD and the bit instructions, which compute their flags eagerly (CC_OP_EFLAGS). */
#include "cpu.h"

static uint32_t flags_szp(uint32_t dst, uint32_t sign)
{
    uint32_t f = 0;
    if ((dst & (sign | (sign - 1))) == 0)
        f |= F_ZF;
    if (dst & sign)
        f |= F_SF;
    if (!__builtin_parity(dst & 0xff))
        f |= F_PF;
    return f;
}

static uint32_t flags_add(uint32_t dst, uint32_t b, uint32_t cin, uint32_t sign)
{
    uint32_t m = sign | (sign - 1);
    uint32_t a = (dst - b - cin) & m;
    uint32_t f = flags_szp(dst, sign);
    dst &= m;
    b &= m;
    if (cin ? dst <= b : dst < b)
        f |= F_CF;
    if ((a ^ b ^ dst) & 0x10)
        f |= F_AF;
    if ((a ^ dst) & (b ^ dst) & sign)
        f |= F_OF;
    return f;
}

static uint32_t flags_sub(uint32_t dst, uint32_t a, uint32_t b, uint32_t bin, uint32_t sign)
{
    uint32_t m = sign | (sign - 1);
    uint32_t f = flags_szp(dst, sign);
    a &= m;
    b &= m;
    dst &= m;
    if (bin ? a <= b : a < b)
        f |= F_CF;
    if ((a ^ b ^ dst) & 0x10)
        f |= F_AF;
    if ((a ^ b) & (a ^ dst) & sign)
        f |= F_OF;
    return f;
}

uint32_t cc_compute_flags(uint32_t op, uint32_t dst, uint32_t src, uint32_t src2)
{
    uint32_t sign, m, f;
    if (op == CC_OP_EFLAGS)
        return src & F_ARITH;
    if (op >= CC_OP_NB)
        return 0;   /* never produced by the translator; a defined answer for a corrupted state */
    sign = (op - 1) % 3 == 0 ? 0x80u : (op - 1) % 3 == 1 ? 0x8000u : 0x80000000u;   /* B, W, L */
    m = sign | (sign - 1);
    switch ((op - 1) / 3 * 3 + 1) {
    case CC_OP_ADDB: return flags_add(dst, src, 0, sign);
    case CC_OP_ADCB: return flags_add(dst, src, src2 & 1, sign);
    case CC_OP_SUBB: return flags_sub(dst, src2, src, 0, sign);
    case CC_OP_SBBB: return flags_sub(dst, (dst + src + (src2 & 1)) & m, src, src2 & 1, sign);
    case CC_OP_LOGICB: return flags_szp(dst, sign);
    case CC_OP_INCB:
        f = flags_szp(dst, sign) | (src & F_CF);
        if ((dst & m) == sign)
            f |= F_OF;
        if ((dst & 0xf) == 0)
            f |= F_AF;
        return f;
    case CC_OP_DECB:
        f = flags_szp(dst, sign) | (src & F_CF);
        if ((dst & m) == sign - 1)
            f |= F_OF;
        if ((dst & 0xf) == 0xf)
            f |= F_AF;
        return f;
    case CC_OP_SHLB:
        f = flags_szp(dst, sign);
        if (src & sign)
            f |= F_CF;
        if (((src ^ dst) & sign))
            f |= F_OF;
        return f;
    case CC_OP_SARB:
        f = flags_szp(dst, sign) | (src & F_CF);
        if ((src ^ dst) & sign)
            f |= F_OF;
        return f;
    case CC_OP_MULB:
    case CC_OP_IMULB:
        f = flags_szp(dst, sign);
        if (src & m)
            f |= F_CF | F_OF;
        return f;
    }
    return 0;
}

/* EFLAGS bits a P6 implements (SDM vol 1 3.4.3): everything else reads as 0 except bit 1, which reads as 1. */
enum { EFLAGS_IMPL = F_ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT | F_RF | F_VM | F_AC | F_VIF | F_VIP | F_ID };

uint32_t cpu_get_eflags(CpuState *env)
{
    uint32_t f = cc_compute_flags(env->t[G_CC_OP], env->t[G_CC_DST], env->t[G_CC_SRC], env->t[G_CC_SRC2]);
    return (env->t[G_EFLAGS] & EFLAGS_IMPL & ~(uint32_t)F_ARITH) | f | 2;
}

void cpu_set_eflags(CpuState *env, uint32_t value, uint32_t mask)
{
    uint32_t f = (cpu_get_eflags(env) & ~mask) | (value & mask);
    f = (f & EFLAGS_IMPL) | 2;
    env->t[G_EFLAGS] = f & ~(uint32_t)F_ARITH;
    env->t[G_CC_SRC] = f & F_ARITH;
    env->t[G_CC_OP] = CC_OP_EFLAGS;
}
