/* ir.h — the IR: a linear array of IrOp per translation block, built by the translator (xlat_*.c), optimised
 * (ir_opt.c: constant folding, flag liveness / dead code), then run by the interpreter (interp.c) or lowered by a
 * JIT backend. Temps are 32-bit slots of CpuState.t; indices below IR_NUM_GLOBALS are guest state (cpu.h).
 * Invariants: every temp is written before it is read within the TB (globals are "written" on entry); an op
 * with IRF_FAULT may longjmp out, so the translator orders each guest instruction as
 * [all faulting ops] then [writes to globals]; the TB records for each guest instruction its first op index,
 * its eip and the static cc_op at its start so a fault can restore precise state (tb_restore_state).
 * Left out: host registers (translator/regalloc.c), encodings (backend-*). */
#ifndef PCJIT_IR_H
#define PCJIT_IR_H
#include <stdint.h>
#include <stdbool.h>
#include "cpu.h"

typedef enum IrOpcode {
#define DEF(name, nout, nin, flags) IR_##name,
#include "ir_ops.def"
#undef DEF
    IR_NUM_OPS
} IrOpcode;

enum { IRF_SIDE = 1, IRF_FAULT = 2, IRF_BB = 4 };
#define IR_NONE 0xffff

typedef struct IrOpInfo { const char *name; uint8_t nout, nin, flags; } IrOpInfo;
extern const IrOpInfo ir_op_info[IR_NUM_OPS];

/* Conditions for SETCC/BRCOND (sz field). */
typedef enum IrCond {
    IRC_EQ, IRC_NE, IRC_LTU, IRC_GEU, IRC_LEU, IRC_GTU, IRC_LT, IRC_GE, IRC_LE, IRC_GT,
    IRC_TSTZ,  /* (a & b) == 0 */
    IRC_TSTNZ, /* (a & b) != 0 */
    IRC_NB
} IrCond;

/* LD/ST: sz = size in bytes (1, 2, 4) | IRM_SIGNED (loads only). */
enum { IRM_SIZE_MASK = 7, IRM_SIGNED = 8 };
/* LD/ST: aux = segment (SEG_* or SEG_NONE for an already-linear address) | flags below. */
enum {
    IRM_SEG_MASK = 7,
    IRM_CHECK = 1 << 3,   /* check the offset against the segment's lo..hi (and writability for ST) */
    IRM_USER = 1 << 4,    /* CPL 3 access (page U/S check); else supervisor */
    IRM_CODE = 1 << 5,    /* instruction fetch semantics (not used by the translator today) */
    IRM_RMW = 1 << 6,     /* LD that precedes a ST to the same address: check writability up front */
};

/* EXIT_TB reasons (imm). */
typedef enum IrExitReason {
    EXIT_NORMAL = 0,    /* look up the next TB */
    EXIT_MODE = 1,      /* CPU mode / hflags may have changed: recompute and look up */
    EXIT_HALT = 2,      /* HLT executed */
    EXIT_IRQ_CHECK = 3, /* IF may have become 1 or interrupt shadow: check interrupts */
} IrExitReason;

typedef struct IrOp {
    uint8_t op;     /* IrOpcode */
    uint8_t sz;     /* IrCond, memory size, bit-field width */
    uint16_t aux;   /* memory flags, label id, raise vector */
    uint16_t d, a, b, c;
    uint32_t imm;
} IrOp;

enum { TB_MAX_INSNS = 64, TB_MAX_OPS = 4096 };

/* A block under construction. */
typedef struct IrBlock {
    IrOp ops[TB_MAX_OPS];
    int nops;
    int ntemps;        /* next free temp index (starts at IR_NUM_GLOBALS) */
    int nlabels;
    int ninsns;
    uint16_t insn_op[TB_MAX_INSNS];   /* first op of each guest instruction */
    uint32_t insn_eip[TB_MAX_INSNS];  /* its eip */
    uint8_t insn_ccop[TB_MAX_INSNS];  /* static cc_op at its start, or CC_OP_DYNAMIC */
    bool overflow;     /* ran out of ops/temps: the translator must end the block earlier */
} IrBlock;
#define CC_OP_DYNAMIC 0xff

/* Builder: each returns the index of the op appended (or its output temp where noted). */
void ir_init(IrBlock *b);
int ir_new_temp(IrBlock *b);
int ir_new_label(IrBlock *b);
IrOp *ir_emit(IrBlock *b, int op);   /* appends a zeroed op with d=a=b=c=IR_NONE */
int ir_op2(IrBlock *b, int op, int a, int bb);          /* new temp d = a op b; returns d */
int ir_op2i(IrBlock *b, int op, int a, uint32_t imm);   /* new temp d = a op imm; returns d */
int ir_op1(IrBlock *b, int op, int a);                  /* new temp d = op a; returns d */
int ir_movi(IrBlock *b, uint32_t imm);                  /* new temp = imm */
void ir_mov(IrBlock *b, int d, int a);
void ir_set_label(IrBlock *b, int label);
void ir_br(IrBlock *b, int label);
void ir_brcond(IrBlock *b, IrCond c, int a, int bb, int label);
void ir_brcondi(IrBlock *b, IrCond c, int a, uint32_t imm, int label);
int ir_ld(IrBlock *b, int size_flags, int aux, int addr);            /* returns new temp */
void ir_st(IrBlock *b, int size, int aux, int addr, int val);
int ir_call(IrBlock *b, int helper, int a, int bb, int c);          /* returns new temp (or IR_NONE if void) */

/* Helpers (helpers.def) */
enum { HLP_RW_GLOBALS = 1, HLP_NO_FAULT = 2, HLP_PURE = 4 };
typedef enum HelperId {
#define DEF_HELPER(name, ret, nargs, flags) HELPER_##name,
#include "helpers.def"
#undef DEF_HELPER
    HELPER_COUNT
} HelperId;
typedef struct HelperInfo { const char *name; void *fn; uint8_t nargs; bool ret; uint8_t flags; } HelperInfo;
extern const HelperInfo helper_info[HELPER_COUNT];   /* helpers.c */

/* Optimiser: constant propagation/folding and dead-code elimination driven by liveness (globals live at exits
 * and at every IRF_FAULT op; helper calls read/write globals as helpers.def says). */
void ir_optimize(IrBlock *b);
/* Human-readable listing of the block into buf (for -d ir and tests). Returns chars written. */
int ir_print(const IrBlock *b, char *buf, int bufsize);
/* Check the block against the IR's rules (ranges of every field per opcode, temps written before read in program
 * order, labels defined once, branch targets present, a terminator last). false with a message in err if not. */
bool ir_verify(const IrBlock *b, char *err, int errsize);

#endif
