/* regalloc.h — the register allocator shared by the JIT backends: a per-basic-block cache of IR temps in host
 * registers, with write-back to env->t[] (the temps' home) done through backend hooks.
 * Model: every temp has a home slot in CpuState.t; a host register may hold a copy (clean) or the only current
 * value (dirty). The backend asks for inputs (ra_use: loaded if needed) and outputs (ra_def: dirty from now on),
 * and tells the allocator about block structure: ra_flush (write back every dirty live temp; keep the copies) before
 * branches and exits, ra_forget (drop every copy) at labels, ra_writeback_globals before anything that can see guest
 * state (a fault, a helper), ra_forget_globals after a helper that may have changed it, ra_spill_clobbered around
 * calls that destroy caller-saved registers.
 * Invariants: a temp is in at most one register; registers used by the current op are locked (never evicted until
 * ra_unlock); a local (index >= IR_NUM_GLOBALS) whose last reference is behind the current op is dead and never
 * written back — only when the TB has no backward branch (a loop could read it again).
 * Constants (MOVI) live in no register until an op reads them; a write-back stores them as immediates.
 * Left out: cross-block allocation, live ranges across labels (XXX: the next speed step). */
#ifndef PCJIT_REGALLOC_H
#define PCJIT_REGALLOC_H
#include <stdint.h>
#include <stdbool.h>
#include "ir.h"

enum { RA_MAX_REGS = 16, RA_MAX_CONSTS = 32 };

typedef struct RegAllocHooks {
    void (*load)(void *ctx, int hreg, int temp);    /* hreg = t[temp] */
    void (*store)(void *ctx, int hreg, int temp);   /* t[temp] = hreg */
    void (*load_imm)(void *ctx, int hreg, uint32_t imm);     /* hreg = imm */
    void (*store_imm)(void *ctx, int temp, uint32_t imm);    /* t[temp] = imm */
} RegAllocHooks;

typedef struct RegAlloc {
    int nregs;
    int8_t host[RA_MAX_REGS];       /* allocatable host registers (backend numbering), by slot */
    uint32_t clobbered;             /* slots whose registers a call destroys */
    int16_t slot_temp[RA_MAX_REGS]; /* temp held by the slot, or -1 */
    bool dirty[RA_MAX_REGS];
    uint32_t stamp[RA_MAX_REGS];    /* last use (LRU) */
    uint32_t locked;                /* slots used by the current op */
    uint32_t clock;
    int now;                        /* index of the op being lowered */
    bool locals_die;                /* no backward branch: dead locals need no write-back */
    RegAllocHooks hooks;
    void *ctx;
    int nconsts;                    /* temps known to hold a constant, in no register (MOVI) */
    struct { int16_t temp; bool dirty; uint32_t val; } consts[RA_MAX_CONSTS];
    int8_t temp_slot[IR_MAX_TEMPS]; /* slot holding the temp, or -1 */
    int8_t temp_const[IR_MAX_TEMPS];/* index in consts, or -1 */
    uint16_t last_ref[IR_MAX_TEMPS];/* last op index referencing a local */
} RegAlloc;

void ra_init(RegAlloc *ra, const int8_t *host, int nregs, uint32_t clobbered_slots, RegAllocHooks hooks, void *ctx);
/* Before lowering a TB: forget everything, compute last references and whether locals can die. */
void ra_begin_tb(RegAlloc *ra, const IrOp *ops, int nops);
static inline void ra_set_op(RegAlloc *ra, int index) { ra->now = index; ra->locked = 0; }
int ra_use(RegAlloc *ra, int temp);     /* host register holding temp's value (locked) */
int ra_def(RegAlloc *ra, int temp);     /* host register that will hold temp's new value (locked, dirty) */
/* temp = imm without a register: stored to its home only if it is still live when written back (a store of an
 * immediate), put in a register only if an op reads it (ra_use). */
void ra_def_const(RegAlloc *ra, int temp, uint32_t imm);
int ra_find(const RegAlloc *ra, int temp); /* host register holding temp, or -1 (no load) */
void ra_unlock(RegAlloc *ra);
void ra_discard(RegAlloc *ra);          /* drop all copies without writing back (unreachable code follows) */
void ra_flush(RegAlloc *ra);            /* write back all dirty live temps (copies stay valid) */
void ra_forget(RegAlloc *ra);           /* ra_flush, then drop all copies */
void ra_writeback_globals(RegAlloc *ra);
void ra_forget_globals(RegAlloc *ra);   /* drop copies of globals (call after ra_writeback_globals) */
void ra_spill_clobbered(RegAlloc *ra);  /* write back and drop temps in registers a call destroys */
/* Dirty globals at this point, for out-of-line code that must write them back: (host register, temp), or
 * (-1, temp) with the constant in imms. At most IR_NUM_GLOBALS. */
int ra_dirty_globals(const RegAlloc *ra, int8_t *hregs, int16_t *temps, uint32_t *imms);
/* Temp references of an op (inputs then outputs, IR_NONE skipped). Returns the count (at most 5). */
int ra_op_refs(const IrOp *op, uint16_t *refs);

#endif
