/* xlat.h — the translator's internal API: turning decoded x86 instructions (X86Insn) into IR.
 * xlat.c owns the block loop, operand access, the effective address, stack helpers and lazy-flag/condition
 * plumbing; xlat_alu.c, xlat_ctl.c, xlat_string.c, xlat_sys.c each implement one group of instruction handlers
 * named xlat_<MNEMONIC>. The dispatch table (xlat_table.c) maps X86Op → handler.
 * Rules every handler follows (they are what makes faults precise, see ir.h):
 *   1. all loads, stores and faulting helper calls first, 2. then writes to guest registers and the cc globals;
 *   3. never write a global and fault afterwards in the same instruction.
 * Left out: system semantics that need C (descriptor loads, task switches...): those are helpers (helpers.def). */
#ifndef PCJIT_XLAT_H
#define PCJIT_XLAT_H
#include "ir.h"
#include "exec.h"

typedef struct Xlat {
    IrBlock *b;
    CpuState *env;
    const X86Insn *insn;
    uint32_t hflags;
    uint32_t cs_base;
    uint32_t pc;          /* eip of the current instruction */
    uint32_t next_pc;     /* eip of the next instruction (pc + len, wrapped to 16 bits in 16-bit code) */
    int cc_op;            /* static CcOp of the lazy flags, or CC_OP_DYNAMIC (G_CC_OP holds it) */
    bool cc_op_dirty;     /* cc_op is static and not yet stored to G_CC_OP */
    int ea;               /* temp holding the current instruction's effective offset, or -1 (not computed yet) */
    bool end;             /* the block ends after this instruction (a handler emitted an exit) */
    int mem_user;         /* IRM_USER if CPL 3 else 0 */
} Xlat;

typedef void (*XlatFn)(Xlat *x);
extern const XlatFn xlat_table[X86_OP_COUNT];

/* ---- operands ---- */
int xlat_ea(Xlat *x);                              /* effective offset of the memory operand (masked to addrsize) */
int xlat_mem_aux(Xlat *x, int seg);                /* aux bits for LD/ST on segment seg under the block's hflags */
int xlat_ld(Xlat *x, int seg, int addr, int size); /* load size bytes (zero-extended) from seg:addr */
void xlat_st(Xlat *x, int seg, int addr, int size, int val);
int xlat_load_op(Xlat *x, int i);                  /* operand i, zero-extended to 32 bits */
int xlat_load_op_rmw(Xlat *x, int i);              /* same, for an operand that will be stored back (write check) */
void xlat_store_op(Xlat *x, int i, int val);       /* store the low opsize bits of val into operand i */
int xlat_load_reg(Xlat *x, int reg, int size);     /* size 1: AL..BH encoding; 2; 4 — zero-extended */
void xlat_store_reg(Xlat *x, int reg, int size, int val); /* size 1/2 merge into the 32-bit register */
int xlat_sext(Xlat *x, int val, int size);         /* sign-extend from size bytes (new temp, or val if size 4) */
int xlat_zext(Xlat *x, int val, int size);

/* ---- stack (SS, 16/32-bit by SS.B) ---- */
int xlat_sp_addr(Xlat *x, int delta);              /* temp = (ESP + delta) wrapped to the stack width */
void xlat_sp_set(Xlat *x, int new_sp);             /* ESP = new_sp (only SP's 16 bits when SS.B=0) */
void xlat_push(Xlat *x, int val, int size);        /* store then update ESP (store faults leave ESP intact) */
int xlat_pop(Xlat *x, int size);                   /* load [SS:ESP] and update ESP; returns the value */

/* ---- lazy flags and conditions ---- */
void xlat_set_cc(Xlat *x, int cc_op, int dst, int src, int src2); /* record flags of an op (src/src2 may be IR_NONE) */
int xlat_flags(Xlat *x);                           /* temp = the six arithmetic flags, materialised */
void xlat_set_flags(Xlat *x, int flags);           /* arith flags := flags (CC_OP_EFLAGS) */
int xlat_cond(Xlat *x, int cond);                  /* temp = 1 if x86 condition cond (0..15, SDM B.1) holds */
int xlat_cf(Xlat *x);                              /* temp = CF (0/1) */
void xlat_sync(Xlat *x);                           /* store static cc_op and G_EIP=pc before an HF_RW_GLOBALS call */
void xlat_cc_flush(Xlat *x);                       /* store a dirty static cc_op into G_CC_OP now (before a branch
                                                    * after which only one path changes the flags) */
int xlat_call(Xlat *x, int helper, int a, int b, int c); /* calls helper; syncs first if the helper needs it */

/* ---- control flow ---- */
void xlat_jump_const(Xlat *x, uint32_t target);    /* end the block: EIP = target (chainable) */
void xlat_jump_cond(Xlat *x, int cond_temp, uint32_t taken, uint32_t not_taken);
void xlat_jump_dyn(Xlat *x, int target);           /* EIP = target temp, exit to lookup */
void xlat_exit(Xlat *x, uint32_t next_eip, int reason); /* EIP = next_eip, EXIT_TB reason */
void xlat_raise(Xlat *x, int vector, int error);   /* raise at this instruction (error -1 = none); ends the block */
void xlat_unimplemented(Xlat *x);                  /* logs once and raises #UD */

/* ---- the block ---- */
/* Translate one block starting at pc into b. Returns 0, or raises (code fetch #PF/#GP) through
 * cpu_raise_exception if the first instruction cannot be fetched/decoded. */
int xlat_block(CpuState *env, IrBlock *b, uint32_t pc, uint32_t cs_base, uint32_t hflags, uint32_t *size_out,
               uint32_t *phys_page2_out);

#endif
