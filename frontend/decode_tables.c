/* decode_tables.c — the opcode maps of a P6 (Pentium Pro / Pentium II) as data: one row per opcode of the
 * one-byte map, the 0F map, and the ModRM.reg-selected groups (SDM vol 2 appendix A, tables ).
 * Invariants: an opcode without a row (all zero) is X86_OP_INVALID → #UD; lockable rows carry F_LOCK exactly
 * for the SDM vol 2 "LOCK" list (ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B DEC INC NEG NOT OR SBB SUB XOR XADD
 * XCHG); SSE/SSE2/3DNow!/later encodings have no row (they are #UD on this CPU).
 * Left out: the x87 escape (D8-DF) and the MMX rows (0F 60-7F, D0-FF), marked F_ESC and decoded in decode.c. */
#include "decode_internal.h"

#define R(o, f, a, b, c) { X86_OP_##o, (f), 0, { (a), (b), (c) } }
#define GRP(g, f, a, b, c) { X86_OP_INVALID, (f) | F_GROUP | F_MODRM, (g), { (a), (b), (c) } }
#define ESC(e) { X86_OP_INVALID, F_ESC, (e), { 0, 0, 0 } }
#define N 0
#define M F_MODRM
#define B F_BYTE
#define L F_LOCK

/* The eight classic ALU rows of one opcode column block (SDM vol 2 table A-2, 00-3F). */
#define ALU(base, o) \
    [base + 0] = R(o, M | B | L, O_E, O_G, N), [base + 1] = R(o, M | L, O_E, O_G, N), \
    [base + 2] = R(o, M | B, O_G, O_E, N),     [base + 3] = R(o, M, O_G, O_E, N),     \
    [base + 4] = R(o, B, O_A, O_I, N),         [base + 5] = R(o, 0, O_A, O_I, N)

const DecRow dec_map1[256] = {
    ALU(0x00, ADD), ALU(0x08, OR), ALU(0x10, ADC), ALU(0x18, SBB),
    ALU(0x20, AND), ALU(0x28, SUB), ALU(0x30, XOR),
    [0x38] = R(CMP, M | B, O_E, O_G, N), [0x39] = R(CMP, M, O_E, O_G, N),
    [0x3A] = R(CMP, M | B, O_G, O_E, N), [0x3B] = R(CMP, M, O_G, O_E, N),
    [0x3C] = R(CMP, B, O_A, O_I, N), [0x3D] = R(CMP, 0, O_A, O_I, N),
    [0x06] = R(PUSH, 0, O_ES, N, N), [0x07] = R(POP, 0, O_ES, N, N),
    [0x0E] = R(PUSH, 0, O_CS, N, N),
    [0x16] = R(PUSH, 0, O_SS, N, N), [0x17] = R(POP, 0, O_SS, N, N),
    [0x1E] = R(PUSH, 0, O_DS, N, N), [0x1F] = R(POP, 0, O_DS, N, N),
    [0x27] = R(DAA, 0, N, N, N), [0x2F] = R(DAS, 0, N, N, N),
    [0x37] = R(AAA, 0, N, N, N), [0x3F] = R(AAS, 0, N, N, N),
    [0x40 ... 0x47] = R(INC, 0, O_Z, N, N), [0x48 ... 0x4F] = R(DEC, 0, O_Z, N, N),
    [0x50 ... 0x57] = R(PUSH, 0, O_Z, N, N), [0x58 ... 0x5F] = R(POP, 0, O_Z, N, N),
    [0x60] = R(PUSHA, 0, N, N, N), [0x61] = R(POPA, 0, N, N, N),
    [0x62] = R(BOUND, M, O_G, O_Ma, N), [0x63] = R(ARPL, M, O_Ew, O_Gw, N),
    [0x68] = R(PUSH, 0, O_I, N, N), [0x69] = R(IMUL, M, O_G, O_E, O_I),
    [0x6A] = R(PUSH, 0, O_Ibs, N, N), [0x6B] = R(IMUL, M, O_G, O_E, O_Ibs),
    [0x6C] = R(INS, B, N, N, N), [0x6D] = R(INS, 0, N, N, N),
    [0x6E] = R(OUTS, B, N, N, N), [0x6F] = R(OUTS, 0, N, N, N),
    [0x70 ... 0x7F] = R(Jcc, 0, O_Jb, N, N),
    [0x80] = GRP(GRP1, B, O_E, O_I, N), [0x81] = GRP(GRP1, 0, O_E, O_I, N),
    [0x82] = GRP(GRP1, B, O_E, O_I, N), [0x83] = GRP(GRP1, 0, O_E, O_Ibs, N),
    [0x84] = R(TEST, M | B, O_E, O_G, N), [0x85] = R(TEST, M, O_E, O_G, N),
    [0x86] = R(XCHG, M | B | L, O_E, O_G, N), [0x87] = R(XCHG, M | L, O_E, O_G, N),
    [0x88] = R(MOV, M | B, O_E, O_G, N), [0x89] = R(MOV, M, O_E, O_G, N),
    [0x8A] = R(MOV, M | B, O_G, O_E, N), [0x8B] = R(MOV, M, O_G, O_E, N),
    [0x8C] = R(MOV, M, O_Ewv, O_S, N), [0x8D] = R(LEA, M, O_G, O_M0, N),
    [0x8E] = R(MOV, M, O_S, O_Ew, N), [0x8F] = GRP(GRP1A, 0, N, N, N),
    [0x90] = R(NOP, 0, N, N, N), [0x91 ... 0x97] = R(XCHG, 0, O_A, O_Z, N),
    [0x98] = R(CBW, 0, N, N, N), [0x99] = R(CWD, 0, N, N, N),
    [0x9A] = R(CALLF, 0, O_Ap, N, N), [0x9B] = R(WAIT, 0, N, N, N),
    [0x9C] = R(PUSHF, 0, N, N, N), [0x9D] = R(POPF, 0, N, N, N),
    [0x9E] = R(SAHF, 0, N, N, N), [0x9F] = R(LAHF, 0, N, N, N),
    [0xA0] = R(MOV, B, O_A, O_O, N), [0xA1] = R(MOV, 0, O_A, O_O, N),
    [0xA2] = R(MOV, B, O_O, O_A, N), [0xA3] = R(MOV, 0, O_O, O_A, N),
    [0xA4] = R(MOVS, B, N, N, N), [0xA5] = R(MOVS, 0, N, N, N),
    [0xA6] = R(CMPS, B, N, N, N), [0xA7] = R(CMPS, 0, N, N, N),
    [0xA8] = R(TEST, B, O_A, O_I, N), [0xA9] = R(TEST, 0, O_A, O_I, N),
    [0xAA] = R(STOS, B, N, N, N), [0xAB] = R(STOS, 0, N, N, N),
    [0xAC] = R(LODS, B, N, N, N), [0xAD] = R(LODS, 0, N, N, N),
    [0xAE] = R(SCAS, B, N, N, N), [0xAF] = R(SCAS, 0, N, N, N),
    [0xB0 ... 0xB7] = R(MOV, B, O_Z, O_I, N), [0xB8 ... 0xBF] = R(MOV, 0, O_Z, O_I, N),
    [0xC0] = GRP(GRP2, B, O_E, O_Ib, N), [0xC1] = GRP(GRP2, 0, O_E, O_Ib, N),
    [0xC2] = R(RET, 0, O_Iw, N, N), [0xC3] = R(RET, 0, N, N, N),
    [0xC4] = R(LES, M, O_G, O_Mp, N), [0xC5] = R(LDS, M, O_G, O_Mp, N),
    [0xC6] = GRP(GRP11, B, O_E, O_I, N), [0xC7] = GRP(GRP11, 0, O_E, O_I, N),
    [0xC8] = R(ENTER, 0, O_Iw, O_Ib, N), [0xC9] = R(LEAVE, 0, N, N, N),
    [0xCA] = R(RETF, 0, O_Iw, N, N), [0xCB] = R(RETF, 0, N, N, N),
    [0xCC] = R(INT3, 0, N, N, N), [0xCD] = R(INT, 0, O_Ib, N, N),
    [0xCE] = R(INTO, 0, N, N, N), [0xCF] = R(IRET, 0, N, N, N),
    [0xD0] = GRP(GRP2, B, O_E, O_ONE, N), [0xD1] = GRP(GRP2, 0, O_E, O_ONE, N),
    [0xD2] = GRP(GRP2, B, O_E, O_CL, N), [0xD3] = GRP(GRP2, 0, O_E, O_CL, N),
    [0xD4] = R(AAM, 0, O_Ib, N, N), [0xD5] = R(AAD, 0, O_Ib, N, N),
    [0xD6] = R(SALC, 0, N, N, N), [0xD7] = R(XLAT, 0, N, N, N),
    [0xD8 ... 0xDF] = ESC(ESC_FPU),
    [0xE0] = R(LOOPNE, 0, O_Jb, N, N), [0xE1] = R(LOOPE, 0, O_Jb, N, N),
    [0xE2] = R(LOOP, 0, O_Jb, N, N), [0xE3] = R(JCXZ, 0, O_Jb, N, N),
    [0xE4] = R(IN, B, O_A, O_Ib, N), [0xE5] = R(IN, 0, O_A, O_Ib, N),
    [0xE6] = R(OUT, B, O_Ib, O_A, N), [0xE7] = R(OUT, 0, O_Ib, O_A, N),
    [0xE8] = R(CALL, 0, O_Jz, N, N), [0xE9] = R(JMP, 0, O_Jz, N, N),
    [0xEA] = R(JMPF, 0, O_Ap, N, N), [0xEB] = R(JMP, 0, O_Jb, N, N),
    [0xEC] = R(IN, B, O_A, O_DX, N), [0xED] = R(IN, 0, O_A, O_DX, N),
    [0xEE] = R(OUT, B, O_DX, O_A, N), [0xEF] = R(OUT, 0, O_DX, O_A, N),
    [0xF1] = R(INT1, 0, N, N, N), [0xF4] = R(HLT, 0, N, N, N), [0xF5] = R(CMC, 0, N, N, N),
    [0xF6] = GRP(GRP3, B, N, N, N), [0xF7] = GRP(GRP3, 0, N, N, N),
    [0xF8] = R(CLC, 0, N, N, N), [0xF9] = R(STC, 0, N, N, N),
    [0xFA] = R(CLI, 0, N, N, N), [0xFB] = R(STI, 0, N, N, N),
    [0xFC] = R(CLD, 0, N, N, N), [0xFD] = R(STD, 0, N, N, N),
    [0xFE] = GRP(GRP4, B, N, N, N), [0xFF] = GRP(GRP5, 0, N, N, N),
    /* 0F, 26 2E 36 3E 64 65 66 67 F0 F2 F3 are escapes/prefixes handled in decode.c */
};

/* The 0F map (SDM vol 2 table A-3) as a P6 without SSE knows it. */
const DecRow dec_map2[256] = {
    [0x00] = GRP(GRP6, 0, N, N, N), [0x01] = GRP(GRP7, 0, N, N, N),
    [0x02] = R(LAR, M, O_G, O_Ew, N), [0x03] = R(LSL, M, O_G, O_Ew, N),
    [0x06] = R(CLTS, 0, N, N, N), [0x08] = R(INVD, 0, N, N, N), [0x09] = R(WBINVD, 0, N, N, N),
    [0x0B] = R(UD2, 0, N, N, N),
    /* 0F 18-1F: hint NOPs (NOP Ev; 0F 1F /0 is the documented multi-byte NOP, SDM vol 2 NOP) */
    [0x18 ... 0x1F] = R(NOP, M, O_Ev, N, N),
    [0x20] = R(MOV_CR, M | F_MODREG, O_R, O_C, N), [0x21] = R(MOV_DR, M | F_MODREG, O_R, O_D, N),
    [0x22] = R(MOV_CR, M | F_MODREG, O_C, O_R, N), [0x23] = R(MOV_DR, M | F_MODREG, O_D, O_R, N),
    [0x30] = R(WRMSR, 0, N, N, N), [0x31] = R(RDTSC, 0, N, N, N),
    [0x32] = R(RDMSR, 0, N, N, N), [0x33] = R(RDPMC, 0, N, N, N),
    [0x34] = R(SYSENTER, 0, N, N, N), [0x35] = R(SYSEXIT, 0, N, N, N),
    [0x40 ... 0x4F] = R(CMOVcc, M, O_G, O_E, N),
    [0x60 ... 0x7F] = ESC(ESC_MMX),
    [0x80 ... 0x8F] = R(Jcc, 0, O_Jz, N, N),
    [0x90 ... 0x9F] = R(SETcc, M | B, O_E, N, N),
    [0xA0] = R(PUSH, 0, O_FS, N, N), [0xA1] = R(POP, 0, O_FS, N, N),
    [0xA2] = R(CPUID, 0, N, N, N), [0xA3] = R(BT, M, O_E, O_G, N),
    [0xA4] = R(SHLD, M, O_E, O_G, O_Ib), [0xA5] = R(SHLD, M, O_E, O_G, O_CL),
    [0xA8] = R(PUSH, 0, O_GS, N, N), [0xA9] = R(POP, 0, O_GS, N, N),
    [0xAA] = R(RSM, 0, N, N, N), [0xAB] = R(BTS, M | L, O_E, O_G, N),
    [0xAC] = R(SHRD, M, O_E, O_G, O_Ib), [0xAD] = R(SHRD, M, O_E, O_G, O_CL),
    [0xAE] = GRP(GRP15, 0, N, N, N), [0xAF] = R(IMUL, M, O_G, O_E, N),
    [0xB0] = R(CMPXCHG, M | B | L, O_E, O_G, N), [0xB1] = R(CMPXCHG, M | L, O_E, O_G, N),
    [0xB2] = R(LSS, M, O_G, O_Mp, N), [0xB3] = R(BTR, M | L, O_E, O_G, N),
    [0xB4] = R(LFS, M, O_G, O_Mp, N), [0xB5] = R(LGS, M, O_G, O_Mp, N),
    [0xB6] = R(MOVZX, M, O_G, O_Eb, N), [0xB7] = R(MOVZX, M, O_G, O_Ew, N),
    [0xBA] = GRP(GRP8, 0, O_E, O_Ib, N), [0xBB] = R(BTC, M | L, O_E, O_G, N),
    [0xBC] = R(BSF, M, O_G, O_E, N), [0xBD] = R(BSR, M, O_G, O_E, N),
    [0xBE] = R(MOVSX, M, O_G, O_Eb, N), [0xBF] = R(MOVSX, M, O_G, O_Ew, N),
    [0xC0] = R(XADD, M | B | L, O_E, O_G, N), [0xC1] = R(XADD, M | L, O_E, O_G, N),
    [0xC7] = GRP(GRP9, 0, N, N, N),
    [0xC8 ... 0xCF] = R(BSWAP, 0, O_Z, N, N),
    [0xD0 ... 0xFF] = ESC(ESC_MMX),
    /* left #UD on a P6: 04 05 07 0A 0C-0F (0D is AMD PREFETCH, 0F 3DNow!), 10-17 28-2F 50-5F C2-C6 (SSE),
     * 24/26 (MOV TRn, 386/486 only), 36-3F (later escapes), A6/A7, B8 (JMPE), B9 (UD1), FF (UD0) */
};

/* Groups, indexed by ModRM.reg (SDM vol 2 table A-6). A row with o[0] == N takes the main row's operands. */
const DecRow dec_groups[GRP_COUNT][8] = {
    [GRP1] = { R(ADD, L, N, N, N), R(OR, L, N, N, N), R(ADC, L, N, N, N), R(SBB, L, N, N, N),
               R(AND, L, N, N, N), R(SUB, L, N, N, N), R(XOR, L, N, N, N), R(CMP, 0, N, N, N) },
    [GRP1A] = { R(POP, 0, O_Ev, N, N) },
    /* /6 is the undocumented SAL alias: it behaves as SHL (/4) on every Intel CPU */
    [GRP2] = { R(ROL, 0, N, N, N), R(ROR, 0, N, N, N), R(RCL, 0, N, N, N), R(RCR, 0, N, N, N),
               R(SHL, 0, N, N, N), R(SHR, 0, N, N, N), R(SAL, 0, N, N, N), R(SAR, 0, N, N, N) },
    /* /1 is the undocumented TEST alias of /0 */
    [GRP3] = { R(TEST, 0, O_E, O_I, N), R(TEST, 0, O_E, O_I, N), R(NOT, L, O_E, N, N), R(NEG, L, O_E, N, N),
               R(MUL, 0, O_E, N, N), R(IMUL, 0, O_E, N, N), R(DIV, 0, O_E, N, N), R(IDIV, 0, O_E, N, N) },
    [GRP4] = { R(INC, L, O_E, N, N), R(DEC, L, O_E, N, N) },
    [GRP5] = { R(INC, L, O_E, N, N), R(DEC, L, O_E, N, N), R(CALL, 0, O_Ev, N, N), R(CALLF, 0, O_Mp, N, N),
               R(JMP, 0, O_Ev, N, N), R(JMPF, 0, O_Mp, N, N), R(PUSH, 0, O_Ev, N, N) },
    [GRP6] = { R(SLDT, 0, O_Ewv, N, N), R(STR, 0, O_Ewv, N, N), R(LLDT, 0, O_Ew, N, N),
               R(LTR, 0, O_Ew, N, N), R(VERR, 0, O_Ew, N, N), R(VERW, 0, O_Ew, N, N) },
    /* the register forms of /0-/3 and /7 are later CPUs' VMX/MONITOR/SWAPGS...: #UD here (memory-only specs) */
    [GRP7] = { R(SGDT, 0, O_M6, N, N), R(SIDT, 0, O_M6, N, N), R(LGDT, 0, O_M6, N, N),
               R(LIDT, 0, O_M6, N, N), R(SMSW, 0, O_Ewv, N, N), R(INVALID, 0, N, N, N),
               R(LMSW, 0, O_Ew, N, N), R(INVLPG, 0, O_M0, N, N) },
    [GRP8] = { [4] = R(BT, 0, N, N, N), R(BTS, L, N, N, N), R(BTR, L, N, N, N), R(BTC, L, N, N, N) },
    [GRP9] = { [1] = R(CMPXCHG8B, L, O_M8, N, N) },
    [GRP11] = { R(MOV, 0, N, N, N) },
    /* 0F AE: /2 /3 (LDMXCSR/STMXCSR) and /7 (CLFLUSH) are SSE/SSE2, the register forms SSE2 fences */
    [GRP15] = { R(FXSAVE, 0, O_M0, N, N), R(FXRSTOR, 0, O_M0, N, N) },
};
