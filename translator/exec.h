/* exec.h — running the guest: the execution loop, the translation-block cache, the engine choice, statistics.
 * Invariants: TBs are keyed by (physical eip, CS base, hflags & HF_TB_KEY_MASK); a write to a physical page that
 * holds TBs invalidates them before the write can be executed; exceptions and interrupts are delivered only
 * between guest instructions, with precise state.
 * Left out: the engines themselves (interp.c, backend-*), the devices. */
#ifndef PCJIT_EXEC_H
#define PCJIT_EXEC_H
#include <stdio.h>
#include "cpu.h"
#include "ir.h"

typedef enum Accel { ACCEL_INTERP = 0, ACCEL_JIT = 1, ACCEL_LOCKSTEP = 2 } Accel;

typedef struct TB {
    uint32_t pc;            /* eip of the first instruction */
    uint32_t cs_base;
    uint32_t phys_pc;       /* physical address of the first byte */
    uint32_t phys_page2;    /* physical page of the last byte if the block spans two pages, else ~0 */
    uint32_t hflags;
    uint32_t size;          /* guest bytes covered */
    uint16_t ninsns, nops;
    IrOp *ops;              /* optimised IR (owned) */
    uint16_t *insn_op;      /* per guest instruction: first op index */
    uint32_t *insn_eip;
    uint8_t *insn_ccop;
    struct TB *hash_next;   /* chain in the lookup hash */
    struct TB *page_next[2];/* chain of TBs per physical page (for invalidation) */
    struct TB *jmp_dest[2]; /* chained successors for GOTO_TB slots (NULL = not chained) */
    uint32_t jmp_pc[2];     /* eip the slot jumps to (for chaining) */
    struct TB *jmp_in;      /* TBs chained into this one: tagged list (pointer | slot), next via jmp_in_next[slot] */
    struct TB *jmp_in_next[2];
    bool invalid;
    bool rep_last;          /* the last instruction is a REP string op: leaving with EIP still on it means it was
                             * interrupted between iterations (not retired: the exec loop does not count it) */
    void *host_code;        /* JIT: entry point, or NULL */
    /* JIT only, written by jit_chain_lookup (never by the exec loop or the interpreter, which do not follow them):
     * where this block's dynamic exit went last, and where each GOTO_TB slot went when the destination is on
     * another page (jmp_dest links only within a page), each with the TLB generation (env->tlb_gen) it was found
     * under: while the generation holds, no mapping changed, so the destination is still the TB at that address. */
    struct TB *ind_hint;
    uint32_t ind_gen;
    uint32_t xgen[2];
    struct TB *xjmp[2];
    uint64_t exec_count;
} TB;

typedef struct ExecStats {
    uint64_t insns, tbs_translated, tb_lookups, tb_chained, tb_flushes, tb_invalidations;
    uint64_t exceptions, interrupts, helper_calls, tlb_hits, tlb_misses;
    uint64_t tlb_victim_hits;
    uint64_t chain_lookups;     /* jit_chain_lookup calls from generated code */   /* misses in tlb[] served by tlb_victim[] (no page walk) */
    uint64_t unimplemented;   /* log_unimplemented_once calls (every hit, not just the first) */
    uint64_t smc_restarts;    /* stores that rewrote the rest of the running block (tb_invalidate_for_store) */
    double translate_seconds;
    /* exits to the exec loop by cause (counted once per exit, never on the in-code chained path) */
    uint64_t exit_tb[4];      /* EXIT_TB by IrExitReason (NORMAL, MODE, HALT, IRQ_CHECK) */
    uint64_t exit_unlinked;   /* GOTO_TB exits with no chained successor: the next block is looked up */
    uint64_t soft_ints;       /* INT n / INT3 / INTO delivered (also counted in exceptions) */
} ExecStats;
extern ExecStats exec_stats;

/* Why cpu_exec returned. */
typedef enum ExecStop {
    STOP_LIMIT = 0,     /* max_insns reached (approximately: checked at block boundaries) */
    STOP_HALT,          /* HLT with interrupts disabled and nothing pending, or HLT when stop_on_hlt */
    STOP_EXIT,          /* machine->exit_requested */
    STOP_SHUTDOWN,      /* triple fault without reset */
    STOP_RESET,         /* reset requested (triple fault with reset, keyboard controller) */
} ExecStop;
/* -accel lockstep only: the JIT and the interpreter disagreed on a block (details on stderr). Kept out of the
 * ExecStop enum so that existing switches over ExecStop stay complete. */
enum { STOP_MISMATCH = STOP_RESET + 1 };

typedef struct ExecOptions {
    Accel accel;
    void (*disas)(FILE *f, const uint8_t *code, int len, uint32_t eip, bool code32); /* -d in_asm, or NULL */
    bool stop_on_hlt;         /* return STOP_HALT at any HLT (test harnesses) */
    uint64_t max_insns;       /* 0 = unlimited; counts retired instructions plus exceptions/interrupts delivered */
    FILE *log;                /* -d output, or NULL */
    unsigned log_mask;        /* LOG_* bits */
} ExecOptions;
enum { LOG_IN_ASM = 1, LOG_IR = 2, LOG_IR_OPT = 4, LOG_OUT_ASM = 8, LOG_EXEC = 16, LOG_INT = 32, LOG_UNIMP = 64, LOG_POST = 128 };

int cpu_exec(CpuState *env, const ExecOptions *opt);
/* -stats output: exec_stats and the bus counters. */
void exec_print_stats(FILE *f, const CpuState *env);
/* -d in_asm / ir / ir_opt go to f when the bit is in mask (tb.c logs at translation time); in_asm listings use
 * disas (the program's disassembler; NULL: addresses only). */
typedef void (*TbDisasFn)(FILE *f, const uint8_t *code, int len, uint32_t eip, bool code32);
void tb_set_log(FILE *f, unsigned mask, TbDisasFn disas);
/* Translation cache */
void tb_cache_init(CpuState *env);
void tb_cache_free(CpuState *env);
void tb_flush_all(CpuState *env);
/* Invalidate every TB overlapping physical [pa, pa+len). Returns true if any was invalidated. */
bool tb_invalidate_phys(CpuState *env, uint32_t pa, uint32_t len);
/* The softmmu's store slow path, before writing [pa, pa+len) of a page that holds code: invalidates the TBs there.
 * If the TB being executed would run stale code after this store (its later instructions overlap the write), it
 * does not return: it unwinds with exc_vector = EXCP_SMC_RESTART and the exec loop re-runs the storing instruction
 * alone in a one-instruction block, so the store takes effect from the very next instruction (docs/runtime.md). */
enum { EXCP_SMC_RESTART = 0x100 };
/* Unwind to the exec loop, which restores the state at the start of the current instruction and looks at
 * interrupts before running it again (EXCP_IRQ_RESTART: nothing is delivered). The x87's FERR# assertion uses it:
 * the processor stops at the waiting instruction until the interrupt arrives (SDM vol 1 D.2.1.3). */
enum { EXCP_IRQ_RESTART = 0x101 };
_Noreturn void tb_restart_insn_for_irq(CpuState *env);
void tb_invalidate_for_store(CpuState *env, uint32_t pa, uint32_t len);
/* The instruction being run must be the last before the exec loop looks again (a data breakpoint hit: #DB trap
 * after it). If the running TB has more instructions after it, unwinds the same way (nothing of the instruction may
 * have been written yet); otherwise returns. */
void tb_stop_after_insn(CpuState *env);
/* Lockstep (exec.c): while exec_store_log is set, the softmmu appends every RAM store to it (so the exec loop can
 * undo a block's stores and compare two engines' stores) and tb_page_has_code() says yes for every page, which
 * keeps all stores — inline fast paths and helpers' direct RAM access alike — on the logged slow path. */
typedef struct StoreLogEntry { uint8_t *host; uint32_t pa, old, val; uint8_t size; } StoreLogEntry;
typedef struct StoreLog { StoreLogEntry *e; uint32_t n, cap; bool overflow; } StoreLog;
extern StoreLog *exec_store_log;
/* Does this physical page hold translated code? (the TLB uses it to route stores through the slow path) */
bool tb_page_has_code(CpuState *env, uint32_t pa);
/* Translate the block at the current CS:EIP (used by the exec loop and by tests). */
TB *tb_translate(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags);
/* The exec loop's view of the cache (tb.c): a cached TB valid for the current mappings or a new translation (may
 * raise the first instruction's fetch fault); chain from->jmp_dest[slot] = to; the TB being run (NULL between
 * TBs); a counter bumped by every tb_flush_all (TB pointers from before a flush are dead); the index of the guest
 * instruction whose ops contain op_index. */
TB *tb_find(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags);
/* tb_find without translating or raising: the cached TB valid here, or NULL. */
TB *tb_lookup(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags);
void tb_add_jump(CpuState *env, TB *from, int slot, TB *to);
int tb_find_insn(const TB *tb, uint32_t op_index);
/* The fields the exec loop touches around every block: the first member of tb.c's struct TbCache (so these stay
 * inline; env->tbs must have been set up by tb_cache_init). */
typedef struct TbCacheHot {
    TB *cur_tb;             /* TB being executed (NULL between TBs) */
    uint64_t flush_count;   /* bumped by every tb_flush_all */
} TbCacheHot;
static inline void tb_set_current(CpuState *env, TB *tb) { ((TbCacheHot *)env->tbs)->cur_tb = tb; }
static inline uint64_t tb_flush_count(CpuState *env) { return env->tbs ? ((TbCacheHot *)env->tbs)->flush_count : 0; }
/* The TB being executed; a JIT that follows chains inside generated code updates it, so after run_tb returns it is
 * the TB that actually exited (exit_slot is that TB's), and after a fault the TB to restore the state from. */
static inline TB *tb_current(CpuState *env) { return ((TbCacheHot *)env->tbs)->cur_tb; }
/* After a fault inside tb at IR op index op_index: set EIP and cc_op as at the start of the faulting insn. */
void tb_restore_state(CpuState *env, const TB *tb, uint32_t op_index);
/* Run one TB in the interpreter; returns the exit: next TB to run if chained, else NULL (EIP in env). */
TB *interp_run_tb(CpuState *env, TB *tb);
void interp_init(void);

/* Deliver an exception or interrupt now (real, protected, v8086 mode; gates, TSS stack switch, task gates,
 * #DF/triple fault). is_int: software INT n (DPL check, pushes next eip); is_hw: external interrupt. */
void cpu_do_interrupt(CpuState *env, int vector, bool is_int, int error, uint32_t next_eip, bool is_hw);
void log_unimplemented_once(const char *what, uint32_t key);

#endif
