/* decode_internal.h — the row format of the decoder's opcode tables (decode_tables.c), shared with decode.c.
 * Invariants: one DecRow per opcode of the one-byte and 0F maps; a row's operand specs are in Intel order
 * (destination first) and in the order their immediate bytes appear in the encoding; sizes in specs are
 * relative to the row's data size (F_BYTE → 1, else the operand size) unless the spec names a size.
 * Left out: x87 (D8-DF) and MMX validity, which decode.c handles with small tables of its own. */
#ifndef PCJIT_DECODE_INTERNAL_H
#define PCJIT_DECODE_INTERNAL_H
#include <stdint.h>
#include "x86_insn.h"

/* Operand specs (Intel SDM vol 2 appendix A.2 letters, in spirit). */
enum DecOpnd {
    O_NONE = 0,
    O_E,     /* ModRM r/m, data size */
    O_Eb,    /* ModRM r/m, byte */
    O_Ew,    /* ModRM r/m, word */
    O_Ed,    /* ModRM r/m, dword */
    O_Ev,    /* ModRM r/m, operand size (even in a byte row) */
    O_Ewv,   /* ModRM r/m: word if memory, operand size if register (SLDT/STR/SMSW, MOV Ew,Sw) */
    O_G,     /* ModRM reg, data size */
    O_Gw,    /* ModRM reg, word */
    O_M0,    /* memory only, no access (LEA, INVLPG, FXSAVE/FXRSTOR) */
    O_Mp,    /* memory only, far pointer: operand size + 2 */
    O_Ma,    /* memory only, BOUND pair: 2 * operand size */
    O_M6,    /* memory only, pseudo-descriptor (6 bytes) */
    O_M8,    /* memory only, qword (CMPXCHG8B) */
    O_I,     /* immediate of data size (Ib or Iz) */
    O_Ib,    /* imm8, zero-extended, size 1 */
    O_Ibs,   /* imm8 sign-extended to data size */
    O_Iw,    /* imm16 */
    O_Z,     /* general register in opcode bits 2:0, data size */
    O_A,     /* accumulator AL/AX/EAX, data size */
    O_CL,    /* CL (count) */
    O_DX,    /* DX (port) */
    O_ONE,   /* implicit immediate 1 (D0/D1 shifts) */
    O_O,     /* moffs: memory at a direct offset of address size, data size */
    O_S,     /* segment register in ModRM reg */
    O_ES, O_CS, O_SS, O_DS, O_FS, O_GS, /* fixed segment register (PUSH/POP Sreg) */
    O_Jb,    /* rel8 */
    O_Jz,    /* rel16/32 */
    O_Ap,    /* far pointer immediate ptr16:16/32 */
    O_C,     /* control register in ModRM reg */
    O_D,     /* debug register in ModRM reg */
    O_R,     /* general register in ModRM r/m, dword (MOV CR/DR: mod ignored) */
};

enum DecFlags {
    F_MODRM = 1,   /* a ModRM byte follows the opcode */
    F_BYTE = 2,    /* byte form: data size 1 */
    F_LOCK = 4,    /* LOCK allowed when the destination (ModRM r/m) is memory (SDM vol 2 LOCK) */
    F_GROUP = 8,   /* aux = group number; ModRM.reg selects the row in dec_groups */
    F_MODREG = 16, /* ModRM mod field ignored, r/m is always a register (MOV CR/DR, SDM vol 2 MOV-Control Regs) */
    F_ESC = 32,    /* aux = ESC_* : decoded by a special routine */
};

enum { ESC_FPU = 1, ESC_MMX };

typedef struct DecRow {
    uint8_t op;     /* X86Op */
    uint8_t flags;  /* DecFlags */
    uint8_t aux;    /* group number (F_GROUP) or ESC_* (F_ESC) */
    uint8_t o[3];   /* DecOpnd; a group row with o[0] == O_NONE keeps the main row's operands */
} DecRow;

enum {
    GRP1, GRP1A, GRP2, GRP3, GRP4, GRP5, GRP6, GRP7, GRP8, GRP9, GRP11, GRP15, GRP_COUNT
};

extern const DecRow dec_map1[256];
extern const DecRow dec_map2[256];
extern const DecRow dec_groups[GRP_COUNT][8];

#endif
