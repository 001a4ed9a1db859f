/* x86_insn.h — the decoder's output: one decoded x86 instruction (16/32-bit code), no semantics.
 * Invariants: a successfully decoded X86Insn has 1 <= len <= 15; operands are listed in Intel order
 * (destination first); every memory operand of an instruction shares the one effective address
 * described by ea_* (x86 has at most one ModRM memory operand; string ops have no explicit operands).
 * Left out: anything about what the instruction does (that is translator/). */
#ifndef PCJIT_X86_INSN_H
#define PCJIT_X86_INSN_H
#include <stdint.h>
#include <stdbool.h>

typedef enum X86Op {
#define X(n) X86_OP_##n,
#include "x86_ops.def"
#undef X
    X86_OP_COUNT
} X86Op;

/* General registers in encoding order (SDM vol 2, table 2-1). For 8-bit operands 4..7 mean AH,CH,DH,BH. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI, R_NONE = 0xff };
/* Segment registers in encoding order (Sreg field). SEG_NONE = no segment (flat/linear). */
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_NONE = 7 };

enum X86Prefix {
    PFX_LOCK = 1, PFX_REP = 2 /* F3 */, PFX_REPNE = 4 /* F2 */, PFX_OPSIZE = 8, PFX_ADDRSIZE = 16,
    PFX_SEG = 32 /* an explicit segment override was present */
};

typedef enum X86OperandKind {
    OPK_NONE,
    OPK_REG,    /* general register: reg (0..7), size 1/2/4 */
    OPK_SREG,   /* segment register: reg = SEG_* */
    OPK_CREG,   /* control register CRn: reg = n */
    OPK_DREG,   /* debug register DRn: reg = n */
    OPK_MEM,    /* memory at the instruction's effective address, size bytes (0 = no access, e.g. LEA) */
    OPK_IMM,    /* immediate: imm (already sign/zero extended to the operand size as the encoding says) */
    OPK_REL,    /* relative branch target: imm = target offset (eip of next insn + displacement), masked to opsize */
    OPK_FAR,    /* far pointer immediate: imm = offset, sel = selector */
    OPK_STREG,  /* x87 stack register ST(reg) */
    OPK_MMXREG, /* MMX register MMn */
} X86OperandKind;

typedef struct X86Operand {
    uint8_t kind;   /* X86OperandKind */
    uint8_t size;   /* bytes: 1, 2, 4, 6 (far pointers in memory / pseudo-descriptors), 8, 10 */
    uint8_t reg;
    uint16_t sel;   /* OPK_FAR */
    uint32_t imm;   /* OPK_IMM, OPK_REL, OPK_FAR */
} X86Operand;

enum X86DecodeStatus {
    DEC_OK = 0,
    DEC_UD,        /* invalid encoding: #UD */
    DEC_TOO_LONG,  /* more than 15 bytes: #GP(0) */
    DEC_NEED_MORE, /* ran past the bytes supplied (caller supplies more or raises #PF on the next page) */
};

typedef struct X86Insn {
    uint32_t eip;       /* offset (in CS) of the first byte */
    uint8_t len;        /* total length in bytes, prefixes included */
    uint8_t status;     /* X86DecodeStatus */
    uint8_t op;         /* X86Op */
    uint8_t prefixes;   /* X86Prefix bits */
    uint8_t opsize;     /* 2 or 4: operand size after 66 */
    uint8_t addrsize;   /* 2 or 4: address size after 67 */
    uint8_t seg;        /* segment of the memory operand: override, else DS, or SS for EBP/ESP-based */
    uint8_t cond;       /* Jcc/SETcc/CMOVcc condition, low nibble of the opcode (SDM vol 1 B.1) */
    uint16_t opcode;    /* 0x00..0xFF one-byte map, 0x0F00..0x0FFF two-byte map */
    uint8_t modrm;      /* raw ModRM (valid if has_modrm) */
    bool has_modrm;
    /* effective address: seg:[base + index*scale + disp], wrapped to addrsize. With 16-bit addressing R_EBX,
     * R_EBP, R_ESI, R_EDI name BX, BP, SI, DI ([SI] is base SI); disp16 is stored zero-extended, disp8 sign-extended */
    uint8_t ea_base;    /* R_* or R_NONE */
    uint8_t ea_index;   /* R_* or R_NONE */
    uint8_t ea_scale;   /* 1, 2, 4, 8 */
    bool has_mem;       /* the instruction has a ModRM memory operand or moffs */
    int32_t disp;
    uint8_t datasize;   /* 1 for byte forms (opcode bit 0 clear: A4 vs A5, 88 vs 89...), else opsize */
    uint8_t nops;       /* explicit operands used in ops[] */
    X86Operand ops[3];
} X86Insn;

/* Decode one instruction from bytes[0..avail). mode32 = CS.D (default operand and address size 32).
 * eip is stored into the result and used for OPK_REL targets. Returns insn->status.
 * Never reads past bytes[avail-1]; with avail < 15 it may return DEC_NEED_MORE. Pure: no side effects. */
int x86_decode(const uint8_t *bytes, int avail, bool mode32, uint32_t eip, X86Insn *insn);

/* Name of a mnemonic ("ADD"), for listings and tests. */
const char *x86_op_name(int op);

#endif
