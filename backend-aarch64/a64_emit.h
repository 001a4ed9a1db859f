/* a64_emit.h — AArch64 (A64) instruction encoders: one small function per host instruction form, named after it
 * (a64_add_rrr = ADD Wd, Wn, Wm; _rri = immediate; _rmi = register <- memory [Xn, #imm]; _rmw / _rmx = memory
 * [Xn, Wm, UXTW] / [Xn, Xm]; a 64 suffix means the X (sf = 1) form). Registers are numbered as in the encoding
 * (X0..X30); 31 is XZR/WZR or SP depending on the instruction, as in the Arm ARM (A64_ZR / A64_SP name it).
 * Invariants: every encoder emits exactly one 32-bit instruction word through a64_emit32 (which counts it in
 * CodeBuf.insns) and never writes past the buffer's end (backend.h); immediates an encoding cannot hold are an
 * assertion failure, never a silently different instruction — callers test first (a64_logic_imm, a64_addsub_imm_ok).
 * Branch encoders take the target address (NULL: 0, to be patched) and return where the instruction is, for
 * a64_cb_patch. Encodings follow the Arm ARM (DDI 0487), chapter C4 (A64 instruction set encoding) and the
 * instruction pages of C6.2; section numbers are given next to each group in a64_emit.c.
 * Left out: anything the backend does not emit (no SIMD/FP, no atomics, no pre/post-index except STP/LDP). */
#ifndef PCJIT_A64_EMIT_H
#define PCJIT_A64_EMIT_H
#include "backend.h"

enum {
    A64_X0, A64_X1, A64_X2, A64_X3, A64_X4, A64_X5, A64_X6, A64_X7, A64_X8, A64_X9, A64_X10, A64_X11, A64_X12,
    A64_X13, A64_X14, A64_X15, A64_X16, A64_X17, A64_X18, A64_X19, A64_X20, A64_X21, A64_X22, A64_X23, A64_X24,
    A64_X25, A64_X26, A64_X27, A64_X28, A64_X29, A64_X30,
    A64_ZR = 31, A64_SP = 31,
};

/* Condition codes (Arm ARM C1.2.4, table C1-1). */
typedef enum A64Cond {
    A64_CC_EQ, A64_CC_NE, A64_CC_HS, A64_CC_LO, A64_CC_MI, A64_CC_PL, A64_CC_VS, A64_CC_VC,
    A64_CC_HI, A64_CC_LS, A64_CC_GE, A64_CC_LT, A64_CC_GT, A64_CC_LE, A64_CC_AL,
} A64Cond;
static inline A64Cond a64_cond_invert(A64Cond c) { return (A64Cond)(c ^ 1); }

/* the one place an instruction word is written (little-endian, counted in cb->insns) */
void a64_emit32(CodeBuf *cb, uint32_t insn);
/* a data word (literal pools): written like an instruction but not counted */
void a64_data32(CodeBuf *cb, uint32_t w);

/* Immediate tests. Logical (bitmask) immediates, Arm ARM C6.2 (DecodeBitMasks, J1): *enc = N:immr:imms (13 bits). */
bool a64_logic_imm(uint64_t imm, bool is64, uint32_t *enc);
/* ADD/SUB immediate: 12 bits, optionally shifted left by 12 */
static inline bool a64_addsub_imm_ok(uint64_t imm) { return imm < 4096 || ((imm & 0xfff) == 0 && imm < (1u << 24)); }

/* moves */
void a64_mov_rr(CodeBuf *cb, int d, int m);          /* ORR Wd, WZR, Wm */
void a64_mov_rr64(CodeBuf *cb, int d, int m);        /* ORR Xd, XZR, Xm */
void a64_mov_sp64(CodeBuf *cb, int d, int n);        /* ADD Xd|SP, Xn|SP, #0 (moves to or from SP) */
void a64_movz(CodeBuf *cb, int d, uint16_t imm, unsigned shift);    /* shift 0/16 */
void a64_movz64(CodeBuf *cb, int d, uint16_t imm, unsigned shift);  /* shift 0/16/32/48 */
void a64_movn(CodeBuf *cb, int d, uint16_t imm, unsigned shift);
void a64_movk(CodeBuf *cb, int d, uint16_t imm, unsigned shift);
void a64_movk64(CodeBuf *cb, int d, uint16_t imm, unsigned shift);

/* add/subtract */
void a64_add_rrr(CodeBuf *cb, int d, int n, int m);
void a64_add_rrr64(CodeBuf *cb, int d, int n, int m);
void a64_add_rrr_lsl64(CodeBuf *cb, int d, int n, int m, unsigned shift);  /* ADD Xd, Xn, Xm, LSL #shift */
void a64_sub_rrr(CodeBuf *cb, int d, int n, int m);
void a64_sub_rrr64(CodeBuf *cb, int d, int n, int m);
void a64_subs_rrr(CodeBuf *cb, int d, int n, int m);
void a64_add_rri(CodeBuf *cb, int d, int n, uint32_t imm);     /* imm: a64_addsub_imm_ok; n may be SP */
void a64_add_rri64(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_sub_rri(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_sub_rri64(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_subs_rri(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_cmp_rr(CodeBuf *cb, int n, int m);          /* SUBS WZR, Wn, Wm */
void a64_cmp_rr64(CodeBuf *cb, int n, int m);
void a64_cmp_ri(CodeBuf *cb, int n, uint32_t imm);   /* SUBS WZR, Wn, #imm */
void a64_cmp_ri64(CodeBuf *cb, int n, uint32_t imm);
void a64_cmn_ri(CodeBuf *cb, int n, uint32_t imm);   /* ADDS WZR, Wn, #imm */
void a64_neg_rr(CodeBuf *cb, int d, int m);          /* SUB Wd, WZR, Wm */

/* logic */
void a64_and_rrr(CodeBuf *cb, int d, int n, int m);
void a64_orr_rrr(CodeBuf *cb, int d, int n, int m);
void a64_eor_rrr(CodeBuf *cb, int d, int n, int m);
void a64_bic_rrr(CodeBuf *cb, int d, int n, int m);
void a64_mvn_rr(CodeBuf *cb, int d, int m);          /* ORN Wd, WZR, Wm */
void a64_tst_rr(CodeBuf *cb, int n, int m);          /* ANDS WZR, Wn, Wm */
void a64_tst_rr64(CodeBuf *cb, int n, int m);
void a64_and_rri(CodeBuf *cb, int d, int n, uint32_t imm);     /* imm: a64_logic_imm(imm, false) */
void a64_orr_rri(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_eor_rri(CodeBuf *cb, int d, int n, uint32_t imm);
void a64_tst_ri(CodeBuf *cb, int n, uint32_t imm);

/* shifts, bit fields */
void a64_lslv_rrr(CodeBuf *cb, int d, int n, int m); /* shift by Wm mod 32 */
void a64_lsrv_rrr(CodeBuf *cb, int d, int n, int m);
void a64_asrv_rrr(CodeBuf *cb, int d, int n, int m);
void a64_rorv_rrr(CodeBuf *cb, int d, int n, int m);
void a64_lsl_rri(CodeBuf *cb, int d, int n, unsigned sh);      /* sh 1..31 (UBFM) */
void a64_lsr_rri(CodeBuf *cb, int d, int n, unsigned sh);
void a64_lsr_rri64(CodeBuf *cb, int d, int n, unsigned sh);    /* sh 1..63 */
void a64_asr_rri(CodeBuf *cb, int d, int n, unsigned sh);
void a64_ror_rri(CodeBuf *cb, int d, int n, unsigned sh);      /* EXTR Wd, Wn, Wn, #sh */
void a64_ubfx_rrii(CodeBuf *cb, int d, int n, unsigned lsb, unsigned width);   /* lsb + width <= 32 */
void a64_bfi_rrii(CodeBuf *cb, int d, int n, unsigned lsb, unsigned width);    /* lsb + width <= 32 */
void a64_sxtb_rr(CodeBuf *cb, int d, int n);
void a64_uxtb_rr(CodeBuf *cb, int d, int n);
void a64_sxth_rr(CodeBuf *cb, int d, int n);
void a64_uxth_rr(CodeBuf *cb, int d, int n);
void a64_rev_rr(CodeBuf *cb, int d, int n);
void a64_rbit_rr(CodeBuf *cb, int d, int n);
void a64_clz_rr(CodeBuf *cb, int d, int n);

/* multiply */
void a64_mul_rrr(CodeBuf *cb, int d, int n, int m);
void a64_umull_rrr(CodeBuf *cb, int d, int n, int m);   /* Xd = Wn * Wm, unsigned */
void a64_smull_rrr(CodeBuf *cb, int d, int n, int m);   /* Xd = Wn * Wm, signed */

/* conditional select */
void a64_csel_rrr(CodeBuf *cb, int d, int n, int m, A64Cond c);    /* Wd = c ? Wn : Wm */
void a64_cset_r(CodeBuf *cb, int d, A64Cond c);                    /* CSINC Wd, WZR, WZR, !c */

/* loads and stores. _rmi: [Xn|SP, #off], off a multiple of the access size below 4096 * size (unsigned offset);
 * _rmw: [Xn, Wm, UXTW]; _rmx: [Xn, Xm]; ldur/stur: [Xn, #off], off in -256..255. Loads zero-extend. */
void a64_ldr_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_ldr_rmi64(CodeBuf *cb, int t, int n, uint32_t off);
void a64_ldrh_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_ldrb_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_str_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_str_rmi64(CodeBuf *cb, int t, int n, uint32_t off);
void a64_strh_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_strb_rmi(CodeBuf *cb, int t, int n, uint32_t off);
void a64_ldr_rmw(CodeBuf *cb, int t, int n, int m);
void a64_ldrh_rmw(CodeBuf *cb, int t, int n, int m);
void a64_ldrb_rmw(CodeBuf *cb, int t, int n, int m);
void a64_str_rmw(CodeBuf *cb, int t, int n, int m);
void a64_strh_rmw(CodeBuf *cb, int t, int n, int m);
void a64_strb_rmw(CodeBuf *cb, int t, int n, int m);
void a64_ldr_rmx(CodeBuf *cb, int t, int n, int m);
void a64_ldr_rmx64(CodeBuf *cb, int t, int n, int m);
void a64_ldrh_rmx(CodeBuf *cb, int t, int n, int m);
void a64_ldrb_rmx(CodeBuf *cb, int t, int n, int m);
void a64_str_rmx(CodeBuf *cb, int t, int n, int m);
void a64_str_rmx64(CodeBuf *cb, int t, int n, int m);
void a64_strh_rmx(CodeBuf *cb, int t, int n, int m);
void a64_strb_rmx(CodeBuf *cb, int t, int n, int m);
void a64_ldur_rmi(CodeBuf *cb, int t, int n, int32_t off);
void a64_ldur_rmi64(CodeBuf *cb, int t, int n, int32_t off);
uint8_t *a64_ldr_lit64(CodeBuf *cb, int t, const void *target);    /* LDR Xt, label (PC-relative, +-1 MiB) */
void a64_stp_pre64(CodeBuf *cb, int t1, int t2, int n, int32_t off);   /* STP Xt1, Xt2, [Xn|SP, #off]! */
void a64_ldp_post64(CodeBuf *cb, int t1, int t2, int n, int32_t off);  /* LDP Xt1, Xt2, [Xn|SP], #off */
void a64_stp64(CodeBuf *cb, int t1, int t2, int n, int32_t off);       /* STP Xt1, Xt2, [Xn|SP, #off] */
void a64_ldp64(CodeBuf *cb, int t1, int t2, int n, int32_t off);

/* branches */
uint8_t *a64_b(CodeBuf *cb, const void *target);                   /* +-128 MiB */
uint8_t *a64_b_cond(CodeBuf *cb, A64Cond c, const void *target);   /* +-1 MiB */
uint8_t *a64_cbz(CodeBuf *cb, int t, const void *target);
uint8_t *a64_cbnz(CodeBuf *cb, int t, const void *target);
uint8_t *a64_cbz64(CodeBuf *cb, int t, const void *target);
uint8_t *a64_cbnz64(CodeBuf *cb, int t, const void *target);
void a64_br(CodeBuf *cb, int n);
void a64_blr(CodeBuf *cb, int n);
void a64_ret(CodeBuf *cb);
void a64_nop(CodeBuf *cb);
void a64_brk(CodeBuf *cb, uint16_t imm);

/* Point the PC-relative branch or literal load at `at` (B, BL, B.cond, CBZ/CBNZ, LDR literal) to target: the word
 * is rewritten at `at` itself (a64_patch) or through the code buffer's writable view (a64_cb_patch). False if
 * the target is out of the instruction's range (the word is then left as it was). */
bool a64_patch(uint8_t *at, const uint8_t *target);
bool a64_cb_patch(CodeBuf *cb, uint8_t *at, const uint8_t *target);

#endif
