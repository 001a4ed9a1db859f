/* x64_emit.h — x86-64 instruction encoders: one small function per host instruction form, named after it
 * (x64_add_rr = ADD r32, r32; _ri = immediate; _rm = register <- memory; _mr = memory <- register; a 64 suffix
 * means REX.W). Registers are numbered as in the encoding (RAX=0 ... R15=15). Memory operands are
 * [base + index + disp] (X64Mem; index X64_NOREG for none), scale 1.
 * Invariants: every encoder emits exactly one instruction into a CodeBuf and never writes past its end (see
 * backend.h); REX is emitted only when needed (W, an extended register, or a byte register SPL..DIL); special
 * cases of ModRM/SIB are handled here once: RSP/R12 as base need a SIB byte, RBP/R13 as base need a displacement.
 * Encodings follow the Intel SDM vol 2 (2.1 instruction format, 2.2.1 REX, appendix A opcode map).
 * Left out: 16-bit operand forms other than stores and zero/sign extension, RIP-relative addressing, scales. */
#ifndef PCJIT_X64_EMIT_H
#define PCJIT_X64_EMIT_H
#include "backend.h"

enum {
    X64_RAX, X64_RCX, X64_RDX, X64_RBX, X64_RSP, X64_RBP, X64_RSI, X64_RDI,
    X64_R8, X64_R9, X64_R10, X64_R11, X64_R12, X64_R13, X64_R14, X64_R15,
    X64_NOREG = -1,
};

/* Condition codes (the tttn field, SDM vol 2 appendix B.1.4.7). */
typedef enum X64Cond {
    X64_CC_O, X64_CC_NO, X64_CC_B, X64_CC_AE, X64_CC_E, X64_CC_NE, X64_CC_BE, X64_CC_A,
    X64_CC_S, X64_CC_NS, X64_CC_P, X64_CC_NP, X64_CC_L, X64_CC_GE, X64_CC_LE, X64_CC_G,
} X64Cond;

typedef struct X64Mem { int8_t base, index; int32_t disp; } X64Mem;
static inline X64Mem x64_mem(int base, int32_t disp) { return (X64Mem){ (int8_t)base, X64_NOREG, disp }; }
static inline X64Mem x64_mem_bi(int base, int index, int32_t disp)
{
    return (X64Mem){ (int8_t)base, (int8_t)index, disp };
}

/* moves */
void x64_mov_rr(CodeBuf *cb, int d, int s);
void x64_mov_rr64(CodeBuf *cb, int d, int s);
void x64_mov_ri(CodeBuf *cb, int d, uint32_t imm);             /* mov r32, imm32 (zero-extends) */
void x64_mov_ri64(CodeBuf *cb, int d, uint64_t imm);           /* movabs r64, imm64 */
void x64_mov_rm(CodeBuf *cb, int d, X64Mem m);
void x64_mov_rm64(CodeBuf *cb, int d, X64Mem m);
void x64_mov_mr(CodeBuf *cb, X64Mem m, int s);
void x64_mov_mr64(CodeBuf *cb, X64Mem m, int s);
void x64_mov_mr16(CodeBuf *cb, X64Mem m, int s);
void x64_mov_mr8(CodeBuf *cb, X64Mem m, int s);
void x64_mov_mi(CodeBuf *cb, X64Mem m, uint32_t imm);          /* mov dword [m], imm32 */
void x64_movzx8_rr(CodeBuf *cb, int d, int s);
void x64_movzx16_rr(CodeBuf *cb, int d, int s);
void x64_movsx8_rr(CodeBuf *cb, int d, int s);
void x64_movsx16_rr(CodeBuf *cb, int d, int s);
void x64_movzx8_rm(CodeBuf *cb, int d, X64Mem m);
void x64_movzx16_rm(CodeBuf *cb, int d, X64Mem m);
void x64_movsx8_rm(CodeBuf *cb, int d, X64Mem m);
void x64_movsx16_rm(CodeBuf *cb, int d, X64Mem m);
void x64_lea_rm64(CodeBuf *cb, int d, X64Mem m);

/* arithmetic and logic, 32-bit */
void x64_add_rr(CodeBuf *cb, int d, int s);
void x64_sub_rr(CodeBuf *cb, int d, int s);
void x64_and_rr(CodeBuf *cb, int d, int s);
void x64_or_rr(CodeBuf *cb, int d, int s);
void x64_xor_rr(CodeBuf *cb, int d, int s);
void x64_cmp_rr(CodeBuf *cb, int a, int b);
void x64_test_rr(CodeBuf *cb, int a, int b);
void x64_add_ri(CodeBuf *cb, int d, uint32_t imm);             /* imm8 form when it fits */
void x64_sub_ri(CodeBuf *cb, int d, uint32_t imm);
void x64_and_ri(CodeBuf *cb, int d, uint32_t imm);
void x64_or_ri(CodeBuf *cb, int d, uint32_t imm);
void x64_xor_ri(CodeBuf *cb, int d, uint32_t imm);
void x64_cmp_ri(CodeBuf *cb, int a, uint32_t imm);
void x64_test_ri(CodeBuf *cb, int a, uint32_t imm);
void x64_add_rm(CodeBuf *cb, int d, X64Mem m);
void x64_sub_rm(CodeBuf *cb, int d, X64Mem m);
void x64_cmp_rm(CodeBuf *cb, int a, X64Mem m);
void x64_add_rm64(CodeBuf *cb, int d, X64Mem m);
void x64_add_rr64(CodeBuf *cb, int d, int s);
void x64_add_ri64(CodeBuf *cb, int d, uint32_t imm);           /* sign-extended imm8/imm32 */
void x64_sub_ri64(CodeBuf *cb, int d, uint32_t imm);
void x64_cmp_mi(CodeBuf *cb, X64Mem m, uint32_t imm);          /* cmp dword [m], imm */
void x64_cmp_rm64(CodeBuf *cb, int a, X64Mem m);
void x64_add_mi64(CodeBuf *cb, X64Mem m, uint32_t imm);        /* add qword [m], sign-extended imm */
void x64_test_rr64(CodeBuf *cb, int a, int b);
void x64_cmp_rr64(CodeBuf *cb, int a, int b);
void x64_sub_rr64(CodeBuf *cb, int d, int s);
void x64_cmp_mi8(CodeBuf *cb, X64Mem m, uint8_t imm);          /* cmp byte [m], imm8 */
void x64_imul_rr(CodeBuf *cb, int d, int s);
void x64_mul_r(CodeBuf *cb, int s);                            /* edx:eax = eax * s (unsigned) */
void x64_imul_r(CodeBuf *cb, int s);                           /* edx:eax = eax * s (signed) */
void x64_neg_r(CodeBuf *cb, int d);
void x64_not_r(CodeBuf *cb, int d);
void x64_shl_ri(CodeBuf *cb, int d, uint8_t n);
void x64_shr_ri(CodeBuf *cb, int d, uint8_t n);
void x64_sar_ri(CodeBuf *cb, int d, uint8_t n);
void x64_rol_ri(CodeBuf *cb, int d, uint8_t n);
void x64_ror_ri(CodeBuf *cb, int d, uint8_t n);
void x64_shl_rcl(CodeBuf *cb, int d);                          /* by CL */
void x64_shr_rcl(CodeBuf *cb, int d);
void x64_sar_rcl(CodeBuf *cb, int d);
void x64_rol_rcl(CodeBuf *cb, int d);
void x64_ror_rcl(CodeBuf *cb, int d);
void x64_bswap_r(CodeBuf *cb, int d);
void x64_bsf_rr(CodeBuf *cb, int d, int s);
void x64_bsr_rr(CodeBuf *cb, int d, int s);
void x64_cmovcc_rr(CodeBuf *cb, X64Cond cc, int d, int s);
void x64_setcc_r(CodeBuf *cb, X64Cond cc, int d);              /* byte register */

/* control flow: the *_rel32 forms return the address of their rel32 field (for x64_patch_rel32) */
uint8_t *x64_jcc_rel32(CodeBuf *cb, X64Cond cc, const uint8_t *target);
uint8_t *x64_jmp_rel32(CodeBuf *cb, const uint8_t *target);
uint8_t *x64_call_rel32(CodeBuf *cb, const uint8_t *target);
void x64_call_r(CodeBuf *cb, int r);
void x64_jmp_r(CodeBuf *cb, int r);
void x64_push_r(CodeBuf *cb, int r);
void x64_pop_r(CodeBuf *cb, int r);
void x64_ret(CodeBuf *cb);
/* Point a rel32 field at target (target NULL: leave it; it is patched later). `field` is an address in cb's
 * executing view; the bytes go through its writable view (backend.h, W^X). x64_patch_rel32: one view only. */
void x64_cb_patch_rel32(const CodeBuf *cb, uint8_t *field, const uint8_t *target);
void x64_patch_rel32(uint8_t *field, const uint8_t *target);

#endif
