/* a64_emit.c — AArch64 instruction encoders (see a64_emit.h). Each public encoder is one line on top of a private
 * builder per encoding class of the Arm ARM (DDI 0487) chapter C4: data processing — immediate (C4.1.92), — register
 * (C4.1.95), loads and stores (C4.1.94), branches (C4.1.93). Field layouts are written next to each builder.
 * Invariants: one instruction word per public encoder; an operand the encoding cannot hold is an assert (the
 * backend checks first), so a golden test that passes means the bytes are the instruction named. */
#include <assert.h>
#include <string.h>
#include "a64_emit.h"

void a64_emit32(CodeBuf *cb, uint32_t insn)
{
    if (cb->p + 4 <= cb->end) {
        uint8_t *w = cb_wr(cb, cb->p);
        w[0] = (uint8_t)insn;
        w[1] = (uint8_t)(insn >> 8);
        w[2] = (uint8_t)(insn >> 16);
        w[3] = (uint8_t)(insn >> 24);
        cb->p += 4;
        cb->insns++;
    } else {
        cb->full = true;
    }
}

void a64_data32(CodeBuf *cb, uint32_t w)
{
    a64_emit32(cb, w);
    if (!cb->full)
        cb->insns--;
}

static uint32_t R(int r) { assert(r >= 0 && r <= 31); return (uint32_t)r & 31; }

/* ---- bitmask immediates (C6.2, "DecodeBitMasks" in J1.1.3): find element size, rotation and run length ---- */
static bool is_mask(uint64_t v) { return v && ((v + 1) & v) == 0; }
static bool is_shifted_mask(uint64_t v) { return v && is_mask((v - 1) | v); }

bool a64_logic_imm(uint64_t imm, bool is64, uint32_t *enc)
{
    unsigned regsize = is64 ? 64 : 32;
    if (!is64)
        imm &= 0xffffffffu;
    uint64_t ones = is64 ? ~0ull : 0xffffffffull;
    if (imm == 0 || imm == ones)
        return false;   /* all-zero and all-one patterns have no encoding */
    unsigned size = regsize;
    do {    /* the smallest element the value repeats */
        size /= 2;
        uint64_t m = (1ull << size) - 1;
        if ((imm & m) != ((imm >> size) & m)) {
            size *= 2;
            break;
        }
    } while (size > 2);
    uint64_t mask = ~0ull >> (64 - size);
    unsigned rot, run;  /* the element is a run of `run` ones rotated right by `rot` */
    imm &= mask;
    if (is_shifted_mask(imm)) {
        rot = (unsigned)__builtin_ctzll(imm);
        run = (unsigned)__builtin_ctzll(~(imm >> rot));
    } else {
        imm |= ~mask;
        if (!is_shifted_mask(~imm))
            return false;
        unsigned clo = (unsigned)__builtin_clzll(~imm);
        rot = 64 - clo;
        run = clo + (unsigned)__builtin_ctzll(~imm) - (64 - size);
    }
    unsigned immr = (size - rot) & (size - 1);
    uint64_t nimms = (~(uint64_t)(size - 1) << 1) | (run - 1);
    unsigned n = (unsigned)((nimms >> 6) & 1) ^ 1;
    if (enc)
        *enc = (n << 12) | (immr << 6) | (unsigned)(nimms & 0x3f);
    return true;
}

/* ---- data processing, immediate (C4.1.92) ---- */
/* Add/subtract (immediate): sf op S 100010 sh imm12 Rn Rd */
static void a64_addsub_imm(CodeBuf *cb, bool sf, unsigned opS, int d, int n, uint32_t imm)
{
    assert(a64_addsub_imm_ok(imm));
    unsigned sh = imm >= 4096;
    uint32_t imm12 = sh ? imm >> 12 : imm;
    a64_emit32(cb, (uint32_t)sf << 31 | opS << 29 | 0x11000000u | sh << 22 | imm12 << 10 | R(n) << 5 | R(d));
}

/* Logical (immediate): sf opc 100100 N immr imms Rn Rd; opc 00 AND, 01 ORR, 10 EOR, 11 ANDS */
static void a64_logic_imm_insn(CodeBuf *cb, bool sf, unsigned opc, int d, int n, uint64_t imm)
{
    uint32_t enc = 0;
    bool ok = a64_logic_imm(imm, sf, &enc);
    assert(ok && "not a bitmask immediate");
    (void)ok;
    a64_emit32(cb, (uint32_t)sf << 31 | opc << 29 | 0x12000000u | enc << 10 | R(n) << 5 | R(d));
}

/* Move wide (immediate): sf opc 100101 hw imm16 Rd; opc 00 MOVN, 10 MOVZ, 11 MOVK */
static void a64_movw(CodeBuf *cb, bool sf, unsigned opc, int d, uint16_t imm, unsigned shift)
{
    assert(shift % 16 == 0 && shift < (sf ? 64u : 32u));
    a64_emit32(cb, (uint32_t)sf << 31 | opc << 29 | 0x12800000u | (shift / 16) << 21 | (uint32_t)imm << 5 | R(d));
}

/* Bitfield: sf opc 100110 N immr imms Rn Rd; opc 00 SBFM, 01 BFM, 10 UBFM; N = sf */
static void a64_bfm(CodeBuf *cb, bool sf, unsigned opc, int d, int n, unsigned immr, unsigned imms)
{
    unsigned lim = sf ? 64 : 32;
    assert(immr < lim && imms < lim);
    a64_emit32(cb, (uint32_t)sf << 31 | opc << 29 | 0x13000000u | (uint32_t)sf << 22 | immr << 16 | imms << 10 |
                   R(n) << 5 | R(d));
}

/* Extract: sf 00 100111 N 0 Rm imms Rn Rd */
static void a64_extr(CodeBuf *cb, int d, int n, int m, unsigned lsb)
{
    assert(lsb < 32);
    a64_emit32(cb, 0x13800000u | R(m) << 16 | lsb << 10 | R(n) << 5 | R(d));
}

/* ---- data processing, register (C4.1.95) ---- */
/* Add/subtract (shifted register): sf op S 01011 shift 0 Rm imm6 Rn Rd (shift 00 LSL) */
static void a64_addsub_reg(CodeBuf *cb, bool sf, unsigned opS, int d, int n, int m, unsigned lsl)
{
    assert(lsl < (sf ? 64u : 32u));
    a64_emit32(cb, (uint32_t)sf << 31 | opS << 29 | 0x0b000000u | R(m) << 16 | lsl << 10 | R(n) << 5 | R(d));
}

/* Logical (shifted register): sf opc 01010 shift N Rm imm6 Rn Rd; N inverts Rm (BIC, ORN) */
static void a64_logic_reg(CodeBuf *cb, bool sf, unsigned opc, unsigned neg, int d, int n, int m)
{
    a64_emit32(cb, (uint32_t)sf << 31 | opc << 29 | 0x0a000000u | neg << 21 | R(m) << 16 | R(n) << 5 | R(d));
}

/* Data-processing (2 source): sf 0 0 11010110 Rm opcode Rn Rd */
static void a64_dp2(CodeBuf *cb, bool sf, unsigned opcode, int d, int n, int m)
{
    a64_emit32(cb, (uint32_t)sf << 31 | 0x1ac00000u | R(m) << 16 | opcode << 10 | R(n) << 5 | R(d));
}

/* Data-processing (1 source): sf 1 0 11010110 00000 opcode Rn Rd */
static void a64_dp1(CodeBuf *cb, bool sf, unsigned opcode, int d, int n)
{
    a64_emit32(cb, (uint32_t)sf << 31 | 0x5ac00000u | opcode << 10 | R(n) << 5 | R(d));
}

/* Data-processing (3 source): sf op54 11011 op31 Rm o0 Ra Rn Rd */
static void a64_dp3(CodeBuf *cb, uint32_t base, int d, int n, int m, int a)
{
    a64_emit32(cb, base | R(m) << 16 | R(a) << 10 | R(n) << 5 | R(d));
}

/* Conditional select: sf op S 11010100 Rm cond op2 Rn Rd; op=0 op2=00 CSEL, op2=01 CSINC */
static void a64_condsel(CodeBuf *cb, unsigned op2, int d, int n, int m, A64Cond c)
{
    assert(c <= A64_CC_AL);
    a64_emit32(cb, 0x1a800000u | R(m) << 16 | (uint32_t)c << 12 | op2 << 10 | R(n) << 5 | R(d));
}

void a64_mov_rr(CodeBuf *cb, int d, int m) { a64_logic_reg(cb, false, 1, 0, d, A64_ZR, m); }
void a64_mov_rr64(CodeBuf *cb, int d, int m) { a64_logic_reg(cb, true, 1, 0, d, A64_ZR, m); }
void a64_mov_sp64(CodeBuf *cb, int d, int n) { a64_addsub_imm(cb, true, 0, d, n, 0); }
void a64_movz(CodeBuf *cb, int d, uint16_t imm, unsigned shift) { a64_movw(cb, false, 2, d, imm, shift); }
void a64_movz64(CodeBuf *cb, int d, uint16_t imm, unsigned shift) { a64_movw(cb, true, 2, d, imm, shift); }
void a64_movn(CodeBuf *cb, int d, uint16_t imm, unsigned shift) { a64_movw(cb, false, 0, d, imm, shift); }
void a64_movk(CodeBuf *cb, int d, uint16_t imm, unsigned shift) { a64_movw(cb, false, 3, d, imm, shift); }
void a64_movk64(CodeBuf *cb, int d, uint16_t imm, unsigned shift) { a64_movw(cb, true, 3, d, imm, shift); }

void a64_add_rrr(CodeBuf *cb, int d, int n, int m) { a64_addsub_reg(cb, false, 0, d, n, m, 0); }
void a64_add_rrr64(CodeBuf *cb, int d, int n, int m) { a64_addsub_reg(cb, true, 0, d, n, m, 0); }
void a64_add_rrr_lsl64(CodeBuf *cb, int d, int n, int m, unsigned sh) { a64_addsub_reg(cb, true, 0, d, n, m, sh); }
void a64_sub_rrr(CodeBuf *cb, int d, int n, int m) { a64_addsub_reg(cb, false, 2, d, n, m, 0); }
void a64_sub_rrr64(CodeBuf *cb, int d, int n, int m) { a64_addsub_reg(cb, true, 2, d, n, m, 0); }
void a64_subs_rrr(CodeBuf *cb, int d, int n, int m) { a64_addsub_reg(cb, false, 3, d, n, m, 0); }
void a64_add_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_addsub_imm(cb, false, 0, d, n, imm); }
void a64_add_rri64(CodeBuf *cb, int d, int n, uint32_t imm) { a64_addsub_imm(cb, true, 0, d, n, imm); }
void a64_sub_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_addsub_imm(cb, false, 2, d, n, imm); }
void a64_sub_rri64(CodeBuf *cb, int d, int n, uint32_t imm) { a64_addsub_imm(cb, true, 2, d, n, imm); }
void a64_subs_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_addsub_imm(cb, false, 3, d, n, imm); }
void a64_cmp_rr(CodeBuf *cb, int n, int m) { a64_addsub_reg(cb, false, 3, A64_ZR, n, m, 0); }
void a64_cmp_rr64(CodeBuf *cb, int n, int m) { a64_addsub_reg(cb, true, 3, A64_ZR, n, m, 0); }
void a64_cmp_ri(CodeBuf *cb, int n, uint32_t imm) { a64_addsub_imm(cb, false, 3, A64_ZR, n, imm); }
void a64_cmp_ri64(CodeBuf *cb, int n, uint32_t imm) { a64_addsub_imm(cb, true, 3, A64_ZR, n, imm); }
void a64_cmn_ri(CodeBuf *cb, int n, uint32_t imm) { a64_addsub_imm(cb, false, 1, A64_ZR, n, imm); }
void a64_neg_rr(CodeBuf *cb, int d, int m) { a64_addsub_reg(cb, false, 2, d, A64_ZR, m, 0); }

void a64_and_rrr(CodeBuf *cb, int d, int n, int m) { a64_logic_reg(cb, false, 0, 0, d, n, m); }
void a64_orr_rrr(CodeBuf *cb, int d, int n, int m) { a64_logic_reg(cb, false, 1, 0, d, n, m); }
void a64_eor_rrr(CodeBuf *cb, int d, int n, int m) { a64_logic_reg(cb, false, 2, 0, d, n, m); }
void a64_bic_rrr(CodeBuf *cb, int d, int n, int m) { a64_logic_reg(cb, false, 0, 1, d, n, m); }
void a64_mvn_rr(CodeBuf *cb, int d, int m) { a64_logic_reg(cb, false, 1, 1, d, A64_ZR, m); }
void a64_tst_rr(CodeBuf *cb, int n, int m) { a64_logic_reg(cb, false, 3, 0, A64_ZR, n, m); }
void a64_tst_rr64(CodeBuf *cb, int n, int m) { a64_logic_reg(cb, true, 3, 0, A64_ZR, n, m); }
void a64_and_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_logic_imm_insn(cb, false, 0, d, n, imm); }
void a64_orr_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_logic_imm_insn(cb, false, 1, d, n, imm); }
void a64_eor_rri(CodeBuf *cb, int d, int n, uint32_t imm) { a64_logic_imm_insn(cb, false, 2, d, n, imm); }
void a64_tst_ri(CodeBuf *cb, int n, uint32_t imm) { a64_logic_imm_insn(cb, false, 3, A64_ZR, n, imm); }

/* dp2 opcodes: 001000 LSLV, 001001 LSRV, 001010 ASRV, 001011 RORV (C6.2 LSLV ... RORV: the count is Rm mod size) */
void a64_lslv_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp2(cb, false, 0x08, d, n, m); }
void a64_lsrv_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp2(cb, false, 0x09, d, n, m); }
void a64_asrv_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp2(cb, false, 0x0a, d, n, m); }
void a64_rorv_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp2(cb, false, 0x0b, d, n, m); }
/* LSL #sh = UBFM #(-sh mod 32), #(31-sh); LSR = UBFM #sh, #31; ASR = SBFM #sh, #31 (C6.2 LSL/LSR/ASR immediate) */
void a64_lsl_rri(CodeBuf *cb, int d, int n, unsigned sh) { assert(sh >= 1 && sh < 32); a64_bfm(cb, false, 2, d, n, 32 - sh, 31 - sh); }
void a64_lsr_rri(CodeBuf *cb, int d, int n, unsigned sh) { assert(sh >= 1 && sh < 32); a64_bfm(cb, false, 2, d, n, sh, 31); }
void a64_lsr_rri64(CodeBuf *cb, int d, int n, unsigned sh) { assert(sh >= 1 && sh < 64); a64_bfm(cb, true, 2, d, n, sh, 63); }
void a64_asr_rri(CodeBuf *cb, int d, int n, unsigned sh) { assert(sh >= 1 && sh < 32); a64_bfm(cb, false, 0, d, n, sh, 31); }
void a64_ror_rri(CodeBuf *cb, int d, int n, unsigned sh) { assert(sh >= 1 && sh < 32); a64_extr(cb, d, n, n, sh); }
/* UBFX = UBFM #lsb, #(lsb+width-1); BFI = BFM #(-lsb mod 32), #(width-1) (C6.2 UBFX, BFI) */
void a64_ubfx_rrii(CodeBuf *cb, int d, int n, unsigned lsb, unsigned width)
{
    assert(width >= 1 && lsb + width <= 32);
    a64_bfm(cb, false, 2, d, n, lsb, lsb + width - 1);
}
void a64_bfi_rrii(CodeBuf *cb, int d, int n, unsigned lsb, unsigned width)
{
    assert(width >= 1 && lsb + width <= 32);
    a64_bfm(cb, false, 1, d, n, (32 - lsb) & 31, width - 1);
}
void a64_sxtb_rr(CodeBuf *cb, int d, int n) { a64_bfm(cb, false, 0, d, n, 0, 7); }
void a64_uxtb_rr(CodeBuf *cb, int d, int n) { a64_bfm(cb, false, 2, d, n, 0, 7); }
void a64_sxth_rr(CodeBuf *cb, int d, int n) { a64_bfm(cb, false, 0, d, n, 0, 15); }
void a64_uxth_rr(CodeBuf *cb, int d, int n) { a64_bfm(cb, false, 2, d, n, 0, 15); }
/* dp1 opcodes: 000000 RBIT, 000010 REV (32-bit), 000100 CLZ */
void a64_rev_rr(CodeBuf *cb, int d, int n) { a64_dp1(cb, false, 0x02, d, n); }
void a64_rbit_rr(CodeBuf *cb, int d, int n) { a64_dp1(cb, false, 0x00, d, n); }
void a64_clz_rr(CodeBuf *cb, int d, int n) { a64_dp1(cb, false, 0x04, d, n); }

/* MADD Wd, Wn, Wm, WZR (MUL); UMADDL / SMADDL Xd, Wn, Wm, XZR (UMULL / SMULL) */
void a64_mul_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp3(cb, 0x1b000000u, d, n, m, A64_ZR); }
void a64_umull_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp3(cb, 0x9ba00000u, d, n, m, A64_ZR); }
void a64_smull_rrr(CodeBuf *cb, int d, int n, int m) { a64_dp3(cb, 0x9b200000u, d, n, m, A64_ZR); }

void a64_csel_rrr(CodeBuf *cb, int d, int n, int m, A64Cond c) { a64_condsel(cb, 0, d, n, m, c); }
void a64_cset_r(CodeBuf *cb, int d, A64Cond c)
{
    assert(c < A64_CC_AL);
    a64_condsel(cb, 1, d, A64_ZR, A64_ZR, a64_cond_invert(c));
}

/* ---- loads and stores (C4.1.94) ---- */
/* size(2) 111 0 01 opc(2) imm12 Rn Rt: unsigned scaled offset; opc 00 store, 01 load (zero-extending) */
static void a64_ldst_uimm(CodeBuf *cb, unsigned size, unsigned opc, int t, int n, uint32_t off)
{
    assert(off % (1u << size) == 0 && (off >> size) < 4096);
    a64_emit32(cb, size << 30 | 0x39000000u | opc << 22 | (off >> size) << 10 | R(n) << 5 | R(t));
}
/* size 111 0 00 opc 1 Rm option S 10 Rn Rt: register offset, option 010 UXTW, 011 LSL (X), S = 0 (no scaling) */
static void a64_ldst_reg(CodeBuf *cb, unsigned size, unsigned opc, int t, int n, int m, unsigned option)
{
    a64_emit32(cb, size << 30 | 0x38200800u | opc << 22 | R(m) << 16 | option << 13 | R(n) << 5 | R(t));
}
/* size 111 0 00 opc 0 imm9 00 Rn Rt: unscaled signed offset (LDUR/STUR) */
static void a64_ldst_unscaled(CodeBuf *cb, unsigned size, unsigned opc, int t, int n, int32_t off)
{
    assert(off >= -256 && off <= 255);
    a64_emit32(cb, size << 30 | 0x38000000u | opc << 22 | ((uint32_t)off & 0x1ff) << 12 | R(n) << 5 | R(t));
}
/* opc 101 0 0 idx(2) L imm7 Rt2 Rn Rt: 64-bit pair; idx 01 post-index, 11 pre-index, 10 signed offset */
static void a64_ldstp(CodeBuf *cb, unsigned idx, unsigned l, int t1, int t2, int n, int32_t off)
{
    assert(off % 8 == 0 && off >= -512 && off <= 504);
    a64_emit32(cb, 0xa8000000u | idx << 23 | l << 22 | ((uint32_t)(off / 8) & 0x7f) << 15 | R(t2) << 10 |
                   R(n) << 5 | R(t1));
}

void a64_ldr_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 2, 1, t, n, off); }
void a64_ldr_rmi64(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 3, 1, t, n, off); }
void a64_ldrh_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 1, 1, t, n, off); }
void a64_ldrb_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 0, 1, t, n, off); }
void a64_str_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 2, 0, t, n, off); }
void a64_str_rmi64(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 3, 0, t, n, off); }
void a64_strh_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 1, 0, t, n, off); }
void a64_strb_rmi(CodeBuf *cb, int t, int n, uint32_t off) { a64_ldst_uimm(cb, 0, 0, t, n, off); }
void a64_ldr_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 2, 1, t, n, m, 2); }
void a64_ldrh_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 1, 1, t, n, m, 2); }
void a64_ldrb_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 0, 1, t, n, m, 2); }
void a64_str_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 2, 0, t, n, m, 2); }
void a64_strh_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 1, 0, t, n, m, 2); }
void a64_strb_rmw(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 0, 0, t, n, m, 2); }
void a64_ldr_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 2, 1, t, n, m, 3); }
void a64_ldr_rmx64(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 3, 1, t, n, m, 3); }
void a64_ldrh_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 1, 1, t, n, m, 3); }
void a64_ldrb_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 0, 1, t, n, m, 3); }
void a64_str_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 2, 0, t, n, m, 3); }
void a64_str_rmx64(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 3, 0, t, n, m, 3); }
void a64_strh_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 1, 0, t, n, m, 3); }
void a64_strb_rmx(CodeBuf *cb, int t, int n, int m) { a64_ldst_reg(cb, 0, 0, t, n, m, 3); }
void a64_ldur_rmi(CodeBuf *cb, int t, int n, int32_t off) { a64_ldst_unscaled(cb, 2, 1, t, n, off); }
void a64_ldur_rmi64(CodeBuf *cb, int t, int n, int32_t off) { a64_ldst_unscaled(cb, 3, 1, t, n, off); }
void a64_stp_pre64(CodeBuf *cb, int t1, int t2, int n, int32_t off) { a64_ldstp(cb, 3, 0, t1, t2, n, off); }
void a64_ldp_post64(CodeBuf *cb, int t1, int t2, int n, int32_t off) { a64_ldstp(cb, 1, 1, t1, t2, n, off); }
void a64_stp64(CodeBuf *cb, int t1, int t2, int n, int32_t off) { a64_ldstp(cb, 2, 0, t1, t2, n, off); }
void a64_ldp64(CodeBuf *cb, int t1, int t2, int n, int32_t off) { a64_ldstp(cb, 2, 1, t1, t2, n, off); }

/* ---- branches (C4.1.93) and PC-relative fields ---- */
/* word offset from `at` to target, 0 for an unknown target */
static int64_t a64_rel(const uint8_t *at, const void *target)
{
    return target ? ((const uint8_t *)target - at) / 4 : 0;
}

static uint8_t *a64_imm19_insn(CodeBuf *cb, uint32_t base, const void *target)
{
    uint8_t *at = cb->p;
    int64_t rel = a64_rel(at, target);
    assert(rel >= -(1 << 18) && rel < (1 << 18));
    a64_emit32(cb, base | ((uint32_t)rel & 0x7ffff) << 5);
    return cb->full ? NULL : at;
}

/* LDR (literal): opc 011 0 00 imm19 Rt; opc 01 = 64-bit */
uint8_t *a64_ldr_lit64(CodeBuf *cb, int t, const void *target) { return a64_imm19_insn(cb, 0x58000000u | R(t), target); }
/* B.cond: 0101010 0 imm19 0 cond */
uint8_t *a64_b_cond(CodeBuf *cb, A64Cond c, const void *target)
{
    assert(c < A64_CC_AL);
    return a64_imm19_insn(cb, 0x54000000u | (uint32_t)c, target);
}
/* CBZ/CBNZ: sf 011010 op imm19 Rt */
uint8_t *a64_cbz(CodeBuf *cb, int t, const void *target) { return a64_imm19_insn(cb, 0x34000000u | R(t), target); }
uint8_t *a64_cbnz(CodeBuf *cb, int t, const void *target) { return a64_imm19_insn(cb, 0x35000000u | R(t), target); }
uint8_t *a64_cbz64(CodeBuf *cb, int t, const void *target) { return a64_imm19_insn(cb, 0xb4000000u | R(t), target); }
uint8_t *a64_cbnz64(CodeBuf *cb, int t, const void *target) { return a64_imm19_insn(cb, 0xb5000000u | R(t), target); }
/* B: 000101 imm26 */
uint8_t *a64_b(CodeBuf *cb, const void *target)
{
    uint8_t *at = cb->p;
    int64_t rel = a64_rel(at, target);
    assert(rel >= -(1 << 25) && rel < (1 << 25));
    a64_emit32(cb, 0x14000000u | ((uint32_t)rel & 0x3ffffff));
    return cb->full ? NULL : at;
}
/* Unconditional branch (register): 1101011 0 0 op(2) 11111 000000 Rn 00000; op 00 BR, 01 BLR, 10 RET */
void a64_br(CodeBuf *cb, int n) { a64_emit32(cb, 0xd61f0000u | R(n) << 5); }
void a64_blr(CodeBuf *cb, int n) { a64_emit32(cb, 0xd63f0000u | R(n) << 5); }
void a64_ret(CodeBuf *cb) { a64_emit32(cb, 0xd65f0000u | R(A64_X30) << 5); }
/* hints and exceptions (C4.1.93: system instructions) */
void a64_nop(CodeBuf *cb) { a64_emit32(cb, 0xd503201fu); }
void a64_brk(CodeBuf *cb, uint16_t imm) { a64_emit32(cb, 0xd4200000u | (uint32_t)imm << 5); }

/* The new word for the PC-relative instruction `insn` at `at` pointing to target; false if out of range or not
 * a PC-relative form this backend emits. */
static bool a64_repoint(uint32_t insn, const uint8_t *at, const uint8_t *target, uint32_t *out)
{
    int64_t rel = (target - at) / 4;
    if ((insn & 0x7c000000u) == 0x14000000u) {            /* B, BL: imm26 */
        if (rel < -(1 << 25) || rel >= (1 << 25))
            return false;
        *out = (insn & 0xfc000000u) | ((uint32_t)rel & 0x3ffffff);
        return true;
    }
    bool imm19 = (insn & 0xff000010u) == 0x54000000u ||  /* B.cond */
                 (insn & 0x7e000000u) == 0x34000000u ||  /* CBZ, CBNZ */
                 (insn & 0xbf000000u) == 0x18000000u;    /* LDR (literal), W and X */
    if (!imm19 || rel < -(1 << 18) || rel >= (1 << 18))
        return false;
    *out = (insn & ~(0x7ffffu << 5)) | ((uint32_t)rel & 0x7ffff) << 5;
    return true;
}

static bool a64_patch_at(uint8_t *w, const uint8_t *at, const uint8_t *target)
{
    uint32_t insn, out;
    memcpy(&insn, w, 4);
    if (!a64_repoint(insn, at, target, &out))
        return false;
    memcpy(w, &out, 4);     /* one aligned 32-bit store: single-copy atomic (B2.2.1) */
    return true;
}

bool a64_patch(uint8_t *at, const uint8_t *target) { return a64_patch_at(at, at, target); }
bool a64_cb_patch(CodeBuf *cb, uint8_t *at, const uint8_t *target) { return a64_patch_at(cb_wr(cb, at), at, target); }
