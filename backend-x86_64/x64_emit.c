/* x64_emit.c — x86-64 instruction encoders (see x64_emit.h). Each public encoder is one line on top of three
 * private builders: x64_rr (opcode + ModRM with two registers), x64_rm (opcode + ModRM/SIB/displacement for a
 * memory operand) and x64_rex. Encodings: Intel SDM vol 2, chapter 2 (format, REX) and the instruction pages.
 * Invariants: 32-bit operations zero the upper half of 64-bit registers (SDM vol 1 3.4.1.1), which the backend
 * relies on to use a 32-bit guest value as a 64-bit host offset; byte operands of registers 4..7 always get a REX
 * prefix so they mean SPL/BPL/SIL/DIL and never AH/CH/DH/BH.
 * Left out: anything the backend does not emit (see the header). */
#include "x64_emit.h"

enum { P66 = 0x100 };   /* flag in `pfx`: operand-size prefix */
enum { BYTEREG = 0x200 }; /* flag in `pfx`: the reg/rm register is a byte register (REX for SPL..DIL) */
enum { W = 0x400 };     /* flag in `pfx`: REX.W */

static void x64_rex(CodeBuf *cb, unsigned pfx, int reg, int index, int rm, bool byte_rm)
{
    unsigned rex = 0x40 | ((pfx & W) ? 8 : 0) | ((reg & 8) ? 4 : 0) | ((index >= 0 && (index & 8)) ? 2 : 0) |
                   ((rm & 8) ? 1 : 0);
    int breg = byte_rm ? rm : reg;     /* which operand is the byte register (x64_rr: rm; x64_rm: reg) */
    bool need = rex != 0x40 || ((pfx & BYTEREG) && breg >= 4 && breg <= 7);
    if (pfx & P66)
        cb_byte(cb, 0x66);
    if (need)
        cb_byte(cb, (uint8_t)rex);
}

static void x64_opcode(CodeBuf *cb, uint32_t op)
{
    if (op > 0xffff)
        cb_byte(cb, (uint8_t)(op >> 16));
    if (op > 0xff)
        cb_byte(cb, (uint8_t)(op >> 8));
    cb_byte(cb, (uint8_t)op);
}

/* op reg, rm (both registers): ModRM mod=11 */
static void x64_rr(CodeBuf *cb, unsigned pfx, uint32_t op, int reg, int rm)
{
    x64_rex(cb, pfx, reg, -1, rm, true);
    x64_opcode(cb, op);
    cb_byte(cb, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* op reg, [base + index + disp]: ModRM/SIB (SDM vol 2 tables 2-2, 2-3). RSP/R12 as base need SIB; RBP/R13 as base
 * cannot use mod=00 (that means disp32 / RIP-relative), so they get a zero disp8. */
static void x64_rm(CodeBuf *cb, unsigned pfx, uint32_t op, int reg, X64Mem m)
{
    int base = m.base, index = m.index;
    int mod = (m.disp == 0 && (base & 7) != 5) ? 0 : (m.disp >= -128 && m.disp <= 127) ? 1 : 2;
    bool sib = index >= 0 || (base & 7) == 4;
    x64_rex(cb, pfx, reg, index, base, false);
    x64_opcode(cb, op);
    cb_byte(cb, (uint8_t)(mod << 6 | (reg & 7) << 3 | (sib ? 4 : (base & 7))));
    if (sib)
        cb_byte(cb, (uint8_t)((index >= 0 ? (index & 7) : 4) << 3 | (base & 7)));
    if (mod == 1)
        cb_byte(cb, (uint8_t)m.disp);
    else if (mod == 2)
        cb_u32(cb, (uint32_t)m.disp);
}

static bool fits8(uint32_t imm) { return (int32_t)imm >= -128 && (int32_t)imm <= 127; }

/* group-1 ALU with an immediate: 83 /n ib or 81 /n id */
static void x64_alu_ri(CodeBuf *cb, unsigned pfx, int n, int d, uint32_t imm)
{
    if (fits8(imm)) {
        x64_rr(cb, pfx, 0x83, n, d);
        cb_byte(cb, (uint8_t)imm);
    } else {
        x64_rr(cb, pfx, 0x81, n, d);
        cb_u32(cb, imm);
    }
}

static void x64_shift_ri(CodeBuf *cb, int n, int d, uint8_t count)
{
    x64_rr(cb, 0, 0xc1, n, d);
    cb_byte(cb, count);
}

/* moves */
void x64_mov_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x89, s, d); }
void x64_mov_rr64(CodeBuf *cb, int d, int s) { x64_rr(cb, W, 0x89, s, d); }
void x64_mov_ri(CodeBuf *cb, int d, uint32_t imm)
{
    x64_rex(cb, 0, 0, -1, d, false);
    cb_byte(cb, (uint8_t)(0xb8 + (d & 7)));
    cb_u32(cb, imm);
}
void x64_mov_ri64(CodeBuf *cb, int d, uint64_t imm)
{
    x64_rex(cb, W, 0, -1, d, false);
    cb_byte(cb, (uint8_t)(0xb8 + (d & 7)));
    cb_u32(cb, (uint32_t)imm);
    cb_u32(cb, (uint32_t)(imm >> 32));
}
void x64_mov_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x8b, d, m); }
void x64_mov_rm64(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, W, 0x8b, d, m); }
void x64_mov_mr(CodeBuf *cb, X64Mem m, int s) { x64_rm(cb, 0, 0x89, s, m); }
void x64_mov_mr64(CodeBuf *cb, X64Mem m, int s) { x64_rm(cb, W, 0x89, s, m); }
void x64_mov_mr16(CodeBuf *cb, X64Mem m, int s) { x64_rm(cb, P66, 0x89, s, m); }
void x64_mov_mr8(CodeBuf *cb, X64Mem m, int s) { x64_rm(cb, BYTEREG, 0x88, s, m); }
void x64_mov_mi(CodeBuf *cb, X64Mem m, uint32_t imm) { x64_rm(cb, 0, 0xc7, 0, m); cb_u32(cb, imm); }
void x64_movzx8_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, BYTEREG, 0x0fb6, d, s); }
void x64_movzx16_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x0fb7, d, s); }
void x64_movsx8_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, BYTEREG, 0x0fbe, d, s); }
void x64_movsx16_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x0fbf, d, s); }
void x64_movzx8_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x0fb6, d, m); }
void x64_movzx16_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x0fb7, d, m); }
void x64_movsx8_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x0fbe, d, m); }
void x64_movsx16_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x0fbf, d, m); }
void x64_lea_rm64(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, W, 0x8d, d, m); }

/* arithmetic and logic (group 1: ADD=0 OR=1 AND=4 SUB=5 XOR=6 CMP=7; r/m,r forms 01 09 21 29 31 39) */
void x64_add_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x01, s, d); }
void x64_sub_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x29, s, d); }
void x64_and_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x21, s, d); }
void x64_or_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x09, s, d); }
void x64_xor_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x31, s, d); }
void x64_cmp_rr(CodeBuf *cb, int a, int b) { x64_rr(cb, 0, 0x39, b, a); }
void x64_test_rr(CodeBuf *cb, int a, int b) { x64_rr(cb, 0, 0x85, b, a); }
void x64_add_ri(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, 0, 0, d, imm); }
void x64_sub_ri(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, 0, 5, d, imm); }
void x64_and_ri(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, 0, 4, d, imm); }
void x64_or_ri(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, 0, 1, d, imm); }
void x64_xor_ri(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, 0, 6, d, imm); }
void x64_cmp_ri(CodeBuf *cb, int a, uint32_t imm) { x64_alu_ri(cb, 0, 7, a, imm); }
void x64_test_ri(CodeBuf *cb, int a, uint32_t imm) { x64_rr(cb, 0, 0xf7, 0, a); cb_u32(cb, imm); }
void x64_add_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x03, d, m); }
void x64_sub_rm(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, 0, 0x2b, d, m); }
void x64_cmp_rm(CodeBuf *cb, int a, X64Mem m) { x64_rm(cb, 0, 0x3b, a, m); }
void x64_add_rm64(CodeBuf *cb, int d, X64Mem m) { x64_rm(cb, W, 0x03, d, m); }
void x64_add_rr64(CodeBuf *cb, int d, int s) { x64_rr(cb, W, 0x01, s, d); }
void x64_add_ri64(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, W, 0, d, imm); }
void x64_sub_ri64(CodeBuf *cb, int d, uint32_t imm) { x64_alu_ri(cb, W, 5, d, imm); }
void x64_cmp_mi(CodeBuf *cb, X64Mem m, uint32_t imm)
{
    x64_rm(cb, 0, fits8(imm) ? 0x83 : 0x81, 7, m);
    if (fits8(imm))
        cb_byte(cb, (uint8_t)imm);
    else
        cb_u32(cb, imm);
}
void x64_cmp_rm64(CodeBuf *cb, int a, X64Mem m) { x64_rm(cb, W, 0x3b, a, m); }
void x64_add_mi64(CodeBuf *cb, X64Mem m, uint32_t imm)
{
    x64_rm(cb, W, fits8(imm) ? 0x83 : 0x81, 0, m);
    if (fits8(imm))
        cb_byte(cb, (uint8_t)imm);
    else
        cb_u32(cb, imm);
}
void x64_test_rr64(CodeBuf *cb, int a, int b) { x64_rr(cb, W, 0x85, b, a); }
void x64_cmp_rr64(CodeBuf *cb, int a, int b) { x64_rr(cb, W, 0x39, b, a); }
void x64_sub_rr64(CodeBuf *cb, int d, int s) { x64_rr(cb, W, 0x29, s, d); }
void x64_cmp_mi8(CodeBuf *cb, X64Mem m, uint8_t imm) { x64_rm(cb, 0, 0x80, 7, m); cb_byte(cb, imm); }
void x64_imul_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x0faf, d, s); }
void x64_mul_r(CodeBuf *cb, int s) { x64_rr(cb, 0, 0xf7, 4, s); }
void x64_imul_r(CodeBuf *cb, int s) { x64_rr(cb, 0, 0xf7, 5, s); }
void x64_neg_r(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xf7, 3, d); }
void x64_not_r(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xf7, 2, d); }
/* group 2 (C1 /n ib, D3 /n): ROL=0 ROR=1 SHL=4 SHR=5 SAR=7 */
void x64_shl_ri(CodeBuf *cb, int d, uint8_t n) { x64_shift_ri(cb, 4, d, n); }
void x64_shr_ri(CodeBuf *cb, int d, uint8_t n) { x64_shift_ri(cb, 5, d, n); }
void x64_sar_ri(CodeBuf *cb, int d, uint8_t n) { x64_shift_ri(cb, 7, d, n); }
void x64_rol_ri(CodeBuf *cb, int d, uint8_t n) { x64_shift_ri(cb, 0, d, n); }
void x64_ror_ri(CodeBuf *cb, int d, uint8_t n) { x64_shift_ri(cb, 1, d, n); }
void x64_shl_rcl(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xd3, 4, d); }
void x64_shr_rcl(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xd3, 5, d); }
void x64_sar_rcl(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xd3, 7, d); }
void x64_rol_rcl(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xd3, 0, d); }
void x64_ror_rcl(CodeBuf *cb, int d) { x64_rr(cb, 0, 0xd3, 1, d); }
void x64_bswap_r(CodeBuf *cb, int d)
{
    x64_rex(cb, 0, 0, -1, d, false);
    cb_byte(cb, 0x0f);
    cb_byte(cb, (uint8_t)(0xc8 + (d & 7)));
}
void x64_bsf_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x0fbc, d, s); }
void x64_bsr_rr(CodeBuf *cb, int d, int s) { x64_rr(cb, 0, 0x0fbd, d, s); }
void x64_cmovcc_rr(CodeBuf *cb, X64Cond cc, int d, int s) { x64_rr(cb, 0, 0x0f40u + cc, d, s); }
void x64_setcc_r(CodeBuf *cb, X64Cond cc, int d) { x64_rr(cb, BYTEREG, 0x0f90u + cc, 0, d); }

/* control flow */
void x64_cb_patch_rel32(const CodeBuf *cb, uint8_t *field, const uint8_t *target)
{
    if (!target)
        return;
    int64_t rel = target - (field + 4);     /* relative to where the code executes */
    uint32_t v = (uint32_t)(int32_t)rel;
    uint8_t *w = cb_wr(cb, field);          /* written through the writable view */
    for (int i = 0; i < 4; i++)
        w[i] = (uint8_t)(v >> (8 * i));
}

void x64_patch_rel32(uint8_t *field, const uint8_t *target)
{
    const CodeBuf one_view = { .wdelta = 0 };
    x64_cb_patch_rel32(&one_view, field, target);
}

static uint8_t *x64_rel32(CodeBuf *cb, const uint8_t *target)
{
    uint8_t *field = cb->p;
    cb_u32(cb, 0);
    if (cb->full)
        return NULL;
    x64_cb_patch_rel32(cb, field, target);
    return field;
}

uint8_t *x64_jcc_rel32(CodeBuf *cb, X64Cond cc, const uint8_t *target)
{
    cb_byte(cb, 0x0f);
    cb_byte(cb, (uint8_t)(0x80 + cc));
    return x64_rel32(cb, target);
}
uint8_t *x64_jmp_rel32(CodeBuf *cb, const uint8_t *target) { cb_byte(cb, 0xe9); return x64_rel32(cb, target); }
uint8_t *x64_call_rel32(CodeBuf *cb, const uint8_t *target) { cb_byte(cb, 0xe8); return x64_rel32(cb, target); }
void x64_call_r(CodeBuf *cb, int r) { x64_rr(cb, 0, 0xff, 2, r); }
void x64_jmp_r(CodeBuf *cb, int r) { x64_rr(cb, 0, 0xff, 4, r); }
void x64_push_r(CodeBuf *cb, int r)
{
    x64_rex(cb, 0, 0, -1, r, false);
    cb_byte(cb, (uint8_t)(0x50 + (r & 7)));
}
void x64_pop_r(CodeBuf *cb, int r)
{
    x64_rex(cb, 0, 0, -1, r, false);
    cb_byte(cb, (uint8_t)(0x58 + (r & 7)));
}
void x64_ret(CodeBuf *cb) { cb_byte(cb, 0xc3); }
