/* exec.c — the execution loop (cpu_exec), the one path for guest faults (cpu_raise_exception), interrupt checks at
 * block boundaries, HLT, chaining decisions, instruction counting, and log_unimplemented_once.
 * Invariants:
 *  - guest state is precise whenever control is here: after a TB returns, or after a longjmp from inside one
 *    (tb_restore_state puts EIP and cc_op back at the faulting instruction);
 *  - interrupts, NMI and machine requests are looked at only between TBs; env->exit_request is the one flag
 *    checked before entering every block (chained or not), anything that wants attention sets it;
 *  - env->icount counts retired guest instructions: a TB's ninsns when it completes (less a REP string instruction
 *    left between iterations), the instructions before the faulting one when it faults (the faulting one too for
 *    software interrupts and traps);
 *  - -accel lockstep runs every block in both engines and compares them (see lockstep_run_tb);
 *  - chaining only links a GOTO_TB exit to a TB starting on the same linear page and not spanning two pages, so
 *    a chain can never bypass the phys-page check tb_find makes for the block it started from.
 * Left out: the engines (interp.c, jit.c + backend-*: chosen by ExecOptions.accel, same contract), interrupt
 * delivery itself (excp.c), the devices and virtual time (devices/clock.c: the loop calls clock_poll when icount
 * reaches clock->poll_icount, stops in-code chaining there, and waits in clock_idle while halted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "mmu.h"
#include "bus.h"
#include "backend.h"
#include "clock.h"

/* State of one cpu_exec call that must survive a longjmp (it lives in cpu_exec's frame). */
typedef struct ExecRun {
    const ExecOptions *opt;
    uint64_t deliveries;    /* exceptions/interrupts delivered and REP chunks: they count against max_insns too */
    bool lockstep;      /* -accel lockstep: run_tb is ignored, lockstep_run_tb runs both engines */
    TB *(*run_tb)(CpuState *env, TB *tb);   /* the engine: interp_run_tb or jit_run_tb (same contract) */
    uint64_t start_icount;
    TB *running;        /* TB inside interp_run_tb, or NULL */
    TB *prev;           /* the TB that ran last, for chaining (NULL after a flush/exception) */
    int prev_slot;
    uint64_t flush_gen;
    bool no_irq_once;   /* an SMC restart: the storing instruction re-runs before any interrupt (progress) */
} ExecRun;

_Noreturn void cpu_raise_exception(CpuState *env, int vector, int error)
{
    env->exc_vector = vector;
    env->exc_error = error;
    longjmp(env->jmp_env, 1);
}

/* ---- once-only logging of unimplemented features ---- */

enum { UNIMP_SLOTS = 512 };
static struct { const char *what; uint32_t key; } unimp_seen[UNIMP_SLOTS];
static int unimp_nseen;
static FILE *unimp_log;     /* -d unimp with -D FILE: a copy of each first report */

void log_unimplemented_once(const char *what, uint32_t key)
{
    exec_stats.unimplemented++;
    for (int i = 0; i < unimp_nseen; i++)
        if (unimp_seen[i].key == key && strcmp(unimp_seen[i].what, what) == 0)
            return;
    if (unimp_nseen == UNIMP_SLOTS)
        return;
    unimp_seen[unimp_nseen].what = what;
    unimp_seen[unimp_nseen].key = key;
    unimp_nseen++;
    fprintf(stderr, "pcjit: unimplemented: %s (0x%x)%s\n", what, key,
            unimp_nseen == UNIMP_SLOTS ? " (further ones not logged)" : "");
    if (unimp_log && unimp_log != stderr)
        fprintf(unimp_log, "unimplemented: %s (0x%x)\n", what, key);
}

/* ---- events between blocks ---- */

/* -max-insns: retired instructions plus deliveries and interrupted REP chunks, so that a handler that faults again
 * (no instruction ever completes), a fetch fault loop or a REP with a huge count still ends the run. */
static inline bool exec_budget_spent(const CpuState *env, const ExecRun *run)
{
    return run->opt->max_insns && env->icount - run->start_icount + run->deliveries >= run->opt->max_insns;
}

static void exec_log_int(const ExecRun *run, CpuState *env, const char *kind, int vector, int error)
{
    if (!run->opt->log || !(run->opt->log_mask & LOG_INT))
        return;
    fprintf(run->opt->log, "%s v=%02x e=%04x cs:eip=%04x:%08x cpl=%u icount=%llu\n", kind, vector & 0xffff,
            error & 0xffff, env->seg[SEG_CS].sel, env->t[G_EIP], env->hflags & HF_CPL_MASK,
            (unsigned long long)env->icount);
}

/* A data breakpoint was hit by the instruction that just completed (or by an interrupt delivery): #DB trap with
 * DR6.Bn, returning to the next instruction (SDM vol 3 17.3.1.2). Hits during this delivery are dropped. */
static void exec_debug_trap(CpuState *env, ExecRun *run)
{
    env->dr[6] = (env->dr[6] & ~0xfu) | (env->dr6_pending & 0xf);
    env->dr6_pending = 0;
    run->prev = NULL;
    exec_log_int(run, env, "DBG", EXC_DB, -1);
    exec_stats.exceptions++;
    run->deliveries++;
    env->exc_is_trap = true;
    env->exc_next_eip = env->t[G_EIP];
    cpu_do_interrupt(env, EXC_DB, false, -1, env->t[G_EIP], false);
    env->old_exception = -1;
    env->dr6_pending = 0;
}

/* Accept an NMI or an external interrupt if one is deliverable now. Returns true if one was delivered. */
static bool exec_check_interrupts(CpuState *env, ExecRun *run)
{
    Machine *m = env->machine;
    if (env->nmi_pending && !env->nmi_blocked) {   /* blocked from NMI delivery until the next IRET (SDM vol 3 6.7.1) */
        env->nmi_pending = false;
        exec_log_int(run, env, "NMI", EXC_NMI, -1);
        exec_stats.interrupts++;
        run->deliveries++;
        cpu_do_interrupt(env, EXC_NMI, false, -1, env->t[G_EIP], true);
        env->old_exception = -1;
        return true;
    }
    if (!env->pending_irq || !(env->t[G_EFLAGS] & F_IF) || !m || !m->intr_ack)
        return false;
    int vector = m->intr_ack(m->intr_opaque);
    if (vector < 0)
        return false;   /* the controller withdrew the request */
    exec_log_int(run, env, "IRQ", vector, -1);
    exec_stats.interrupts++;
    run->deliveries++;
    cpu_do_interrupt(env, vector & 0xff, false, -1, env->t[G_EIP], true);
    env->old_exception = -1;
    return true;
}

/* HLT with a board clock (devices/clock.h): wait for the next timer deadline (host mode: sleep, at most 10 ms at a
 * time; icount mode: skip virtual time to it), run the timers, and take the interrupt they raise. Nothing busy-
 * spins. Returns an ExecStop, or -1 once an interrupt has woken the CPU. Without a clock, with IF = 0 (only an NMI
 * could wake it and no device raises one yet) or with no timer armed, nothing can ever wake it: STOP_HALT. */
static int exec_halt_wait(CpuState *env, ExecRun *run)
{
    Machine *m = env->machine;
    Clock *clk = m ? m->clock : NULL;
    while (env->halted) {
        if (!clk || !(env->t[G_EFLAGS] & F_IF) || !clock_idle(clk, 10000000))
            return STOP_HALT;
        env->exit_request = 0;
        if (m->exit_requested)
            return STOP_EXIT;
        if (m->reset_requested)
            return STOP_RESET;
        if (exec_check_interrupts(env, run)) {
            run->prev = NULL;
            if (env->dr6_pending)
                exec_debug_trap(env, run);
        }
    }
    return -1;
}

/* Everything looked at between blocks. Returns an ExecStop, or -1 to go on running. */
static int exec_events(CpuState *env, ExecRun *run)
{
    Machine *m = env->machine;
    env->exit_request = 0;  /* consumed here: whoever wants attention again sets it again */
    if (m && m->exit_requested)
        return STOP_EXIT;
    if (m && m->reset_requested)
        return STOP_RESET;
    if (env->shutdown)
        return STOP_SHUTDOWN;
    if (exec_budget_spent(env, run))
        return STOP_LIMIT;
    bool shadow = ((env->hflags & HF_INHIBIT_IRQ) && !env->halted) || run->no_irq_once;
    if (!run->no_irq_once)
        env->hflags &= ~HF_INHIBIT_IRQ;
    run->no_irq_once = false;
    /* MOV SS / POP SS / STI shadow: no interrupt before the next instruction (SDM vol 3 6.8.3). The shadow ends
     * with the next block (a block that sets it again keeps it); an HLT already executed has used it up. */
    if (!shadow && exec_check_interrupts(env, run)) {
        run->prev = NULL;
        if (env->dr6_pending)
            exec_debug_trap(env, run);
    }
    mmu_sync_checks(env);   /* DR7 / CR0.AM / EFLAGS.AC / CPL may have changed since the last block */
    if (env->halted) {
        if (run->opt->stop_on_hlt)
            return STOP_HALT;
        return exec_halt_wait(env, run);
    }
    return -1;
}

/* ---- exceptions (after the longjmp of cpu_raise_exception) ---- */

static void exec_exception(CpuState *env, ExecRun *run)
{
    TB *tb = run->running ? tb_current(env) : NULL;   /* the JIT may have chained on from run->running */
    int vector = env->exc_vector;
    bool is_int = env->exc_is_int;
    env->dr6_pending = 0;   /* the instruction did not complete: its data breakpoint hits are void */
    run->running = NULL;
    run->prev = NULL;
    tb_set_current(env, NULL);
    if (tb) {
        int done = tb_find_insn(tb, env->cur_op);
        tb_restore_state(env, tb, env->cur_op);
        if (vector != EXCP_SMC_RESTART && vector != EXCP_IRQ_RESTART && (is_int || env->exc_is_trap))
            done++;     /* INT n / INT3 / INTO / INT1 and traps complete their instruction */
        env->icount += (uint64_t)done;
        exec_stats.insns += (uint64_t)done;
    }
    if (vector == EXCP_SMC_RESTART) {
        run->no_irq_once = true;
        return;         /* state is at the storing instruction: it re-runs alone (tb.c) */
    }
    if (vector == EXCP_IRQ_RESTART)
        return;         /* state is at the instruction: interrupts are looked at before it runs again */
    env->exc_is_int = false;
    exec_stats.exceptions++;
    exec_stats.soft_ints += is_int;
    run->deliveries++;
    exec_log_int(run, env, is_int ? "INT" : "EXC", vector, env->exc_error);
    cpu_do_interrupt(env, vector, is_int, env->exc_error, env->exc_next_eip, false);
    env->old_exception = -1;
    if (env->dr6_pending)
        exec_debug_trap(env, run);
    mmu_sync_checks(env);
}

/* ---- -accel lockstep: every block runs in the interpreter, is undone, runs in the JIT, and both are compared ---- */

StoreLog *exec_store_log;

enum { LOCKSTEP_LOG_CAP = 1 << 20 };

typedef struct LockstepSide {
    bool raised;            /* left by longjmp (exception, SMC restart) */
    int vector, error;
    uint32_t cur_op;
    TB *next;
    uint32_t exit_reason;
    int32_t exit_slot;
} LockstepSide;

static struct {
    CpuState *before, *after_interp;    /* snapshots (CpuState is large: allocated once) */
    StoreLog log;
    StoreLogEntry *interp_stores;
    uint32_t ninterp_stores;
} ls;

/* Run tb with one engine, catching a longjmp out of it. */
static void lockstep_run_one(CpuState *env, TB *tb, TB *(*fn)(CpuState *, TB *), LockstepSide *out)
{
    jmp_buf outer;
    memcpy(outer, env->jmp_env, sizeof(jmp_buf));
    volatile bool raised = false;
    TB *volatile next = NULL;
    env->exit_slot = -1;
    if (setjmp(env->jmp_env) == 0)
        next = fn(env, tb);
    else
        raised = true;
    memcpy(env->jmp_env, outer, sizeof(jmp_buf));
    *out = (LockstepSide){ .raised = raised, .vector = env->exc_vector, .error = env->exc_error,
                           .cur_op = env->cur_op, .next = next, .exit_reason = env->exit_reason,
                           .exit_slot = env->exit_slot };
}

/* The architectural state two engines must agree on after a block (IR locals are free to differ). */
static const char *lockstep_diff(const CpuState *a, const CpuState *b)
{
    static char what[64];
    for (int i = 0; i < IR_NUM_GLOBALS; i++)
        if (a->t[i] != b->t[i]) {
            snprintf(what, sizeof(what), "global t[%d]: %08x vs %08x", i, a->t[i], b->t[i]);
            return what;
        }
    if (memcmp(a->seg, b->seg, sizeof(a->seg)) || memcmp(&a->ldtr, &b->ldtr, sizeof(SegCache)) ||
        memcmp(&a->tr, &b->tr, sizeof(SegCache)))
        return "segment registers";
    if (a->cr0 != b->cr0 || a->cr2 != b->cr2 || a->cr3 != b->cr3 || a->cr4 != b->cr4 || a->hflags != b->hflags ||
        memcmp(a->dr, b->dr, sizeof(a->dr)) || a->gdt_base != b->gdt_base || a->idt_base != b->idt_base ||
        a->gdt_limit != b->gdt_limit || a->idt_limit != b->idt_limit || a->efer != b->efer ||
        a->halted != b->halted || a->dr6_pending != b->dr6_pending || a->a20_mask != b->a20_mask)
        return "system state (CRn, DRn, hflags, descriptor tables, EFER, HLT)";
    return NULL;
}

static void lockstep_undo(const StoreLog *log)
{
    for (uint32_t i = log->n; i-- > 0;) {
        const StoreLogEntry *e = &log->e[i];
        for (int k = 0; k < e->size; k++)
            e->host[k] = (uint8_t)(e->old >> (8 * k));
    }
}

static bool lockstep_setup(void)
{
    if (ls.before)
        return true;
    ls.before = malloc(sizeof(CpuState));
    ls.after_interp = malloc(sizeof(CpuState));
    ls.log.e = malloc(LOCKSTEP_LOG_CAP * sizeof(StoreLogEntry));
    ls.interp_stores = malloc(LOCKSTEP_LOG_CAP * sizeof(StoreLogEntry));
    ls.log.cap = LOCKSTEP_LOG_CAP;
    return ls.before && ls.after_interp && ls.log.e && ls.interp_stores;
}

static int lockstep_mismatch(const CpuState *env, const TB *tb, const char *what)
{
    fprintf(stderr, "pcjit: lockstep mismatch in the block at %04x:%08x (phys %08x, %u instructions): %s\n",
            env->seg[SEG_CS].sel, tb->pc, tb->phys_pc, tb->ninsns, what);
    return STOP_MISMATCH;
}

/* Compare the JIT's run (env, side j) with the interpreter's (ls.after_interp, side i). */
static const char *lockstep_compare(const CpuState *env, const LockstepSide *i, const LockstepSide *j)
{
    if (i->raised != j->raised || (i->raised && (i->vector != j->vector || i->error != j->error)))
        return "exception raised (vector / error code)";
    if (!i->raised && (i->exit_reason != j->exit_reason || i->exit_slot != j->exit_slot))
        return "block exit";
    if (ls.ninterp_stores != ls.log.n)
        return "number of stores";
    for (uint32_t k = 0; k < ls.log.n; k++)
        if (ls.interp_stores[k].pa != ls.log.e[k].pa || ls.interp_stores[k].val != ls.log.e[k].val ||
            ls.interp_stores[k].size != ls.log.e[k].size)
            return "stored address or value";
    return lockstep_diff(ls.after_interp, env);
}

/* Run tb in lockstep. Returns the chained successor (as run_tb does), may longjmp like run_tb, and sets *stop to
 * STOP_MISMATCH when the engines disagree. Blocks with effects that cannot be undone (port I/O, MMIO, TB
 * invalidation, a store log overflow) keep the interpreter's result without comparing. */
static TB *lockstep_run_tb(CpuState *env, TB *tb, int *stop)
{
    Machine *m = env->machine;
    LockstepSide si, sj;
    uint64_t io = m ? m->io_accesses + m->mmio_accesses : 0, inval = exec_stats.tb_invalidations;
    memcpy(ls.before, env, sizeof(CpuState));
    ls.log.n = 0;
    ls.log.overflow = false;
    lockstep_run_one(env, tb, interp_run_tb, &si);
    bool undoable = !ls.log.overflow && inval == exec_stats.tb_invalidations && !tb->invalid &&
                    (!m || io == m->io_accesses + m->mmio_accesses) && !(si.raised && (si.vector == EXCP_SMC_RESTART || si.vector == EXCP_IRQ_RESTART));
    if (!undoable) {
        if (si.raised)
            longjmp(env->jmp_env, 1);
        return si.next;
    }
    memcpy(ls.after_interp, env, sizeof(CpuState));
    memcpy(ls.interp_stores, ls.log.e, ls.log.n * sizeof(StoreLogEntry));
    ls.ninterp_stores = ls.log.n;
    lockstep_undo(&ls.log);
    jmp_buf keep;
    uint32_t request = env->exit_request;   /* raised meanwhile by another thread (a watchdog): keep it */
    memcpy(keep, env->jmp_env, sizeof(jmp_buf));
    memcpy(env, ls.before, sizeof(CpuState));
    memcpy(env->jmp_env, keep, sizeof(jmp_buf));
    env->exit_request |= request;
    ls.log.n = 0;
    lockstep_run_one(env, tb, jit_run_tb, &sj);
    const char *diff = lockstep_compare(env, &si, &sj);
    if (diff) {
        *stop = lockstep_mismatch(env, tb, diff);
        return NULL;
    }
    if (sj.raised)
        longjmp(env->jmp_env, 1);
    return sj.next;
}

/* ---- the loop ---- */

static void exec_log_tb(const ExecRun *run, const CpuState *env, const TB *tb)
{
    if (run->opt->log && (run->opt->log_mask & LOG_EXEC))
        fprintf(run->opt->log, "Trace %08x [%08x/%08x/%04x] icount=%llu\n", tb->phys_pc, tb->cs_base, tb->pc,
                tb->hflags, (unsigned long long)env->icount);
}

/* Chain prev's GOTO_TB slot to tb when that is safe (see the invariants above). */
static void exec_maybe_link(CpuState *env, ExecRun *run, TB *tb)
{
    TB *prev = run->prev;
    if (!prev || run->prev_slot < 0 || run->flush_gen != tb_flush_count(env) || prev->invalid || tb->invalid)
        return;
    if (tb->phys_page2 != ~0u ||
        ((tb->cs_base + tb->pc) ^ (prev->cs_base + prev->pc)) & TARGET_PAGE_MASK)
        return;
    /* a REP string instruction that stopped between iterations jumps back to itself: never chained, so that every
     * engine returns here and the partial instruction is not counted as retired (exec_run_block) */
    if (prev->rep_last && tb->pc == prev->insn_eip[prev->ninsns - 1] && tb->cs_base == prev->cs_base)
        return;
    tb_add_jump(env, prev, run->prev_slot, tb);
}

/* Run one block with the chosen engine and account for it. Returns the chained successor (or NULL); *stop gets
 * STOP_MISMATCH if lockstep found the engines disagreeing. May longjmp (a fault inside the block). */
static TB *exec_run_block(CpuState *env, ExecRun *run, TB *tb, int *stop)
{
    TB *next;
    exec_log_tb(run, env, tb);
    if (run->opt->log && (run->opt->log_mask & LOG_EXEC))
        env->chain_icount_limit = 0;    /* -d exec lists every block: the JIT returns after each one */
    else if (run->opt->max_insns && !run->lockstep) {
        /* the JIT's in-code chaining stops exactly where exec_budget_spent would (deliveries included) */
        uint64_t used = run->deliveries, max = run->opt->max_insns;
        env->chain_icount_limit = used >= max ? 0 : run->start_icount + (max - used);
    }
    Clock *clk = env->machine ? env->machine->clock : NULL;
    if (clk && !run->lockstep && !(run->opt->log && (run->opt->log_mask & LOG_EXEC))) {
        /* device timers: in-code chaining also stops where the loop must call clock_poll */
        if (!run->opt->max_insns)
            env->chain_icount_limit = ~(uint64_t)0;
        if (env->chain_icount_limit > clk->poll_icount)
            env->chain_icount_limit = clk->poll_icount;
    }
    run->flush_gen = tb_flush_count(env);
    run->running = tb;
    tb_set_current(env, tb);
    next = run->lockstep ? lockstep_run_tb(env, tb, stop) : run->run_tb(env, tb);
    /* the JIT may have followed chains inside generated code (doing this bookkeeping for the blocks it left): the
     * block that exited is the current one */
    tb = tb_current(env);
    tb_set_current(env, NULL);
    run->running = NULL;
    /* a REP string instruction that stopped between iterations (EIP still on it) has not retired... */
    uint32_t retired = tb->ninsns - (tb->rep_last && env->t[G_EIP] == tb->insn_eip[tb->ninsns - 1]);
    run->deliveries += tb->ninsns - retired;   /* ...but its chunk still counts against -max-insns */
    env->icount += retired;
    exec_stats.insns += retired;
    tb->exec_count++;
    run->prev = tb;
    run->prev_slot = env->exit_slot;
    return next;
}

/* Run blocks until an event needs the outer loop. Returns an ExecStop, or -1 after an exception was handled. */
static __attribute__((noinline)) int exec_loop(CpuState *env, ExecRun *run)
{
    Clock *clk = env->machine ? env->machine->clock : NULL;   /* device timers, serviced between blocks */
    TB *next = NULL;
    bool events = true;     /* look at everything before the next block (set by EXIT_TB other than NORMAL) */
    for (;;) {
        int stop = -1;
        if (events || env->exit_request || (env->nmi_pending && !env->nmi_blocked) || (env->pending_irq && (env->t[G_EFLAGS] & F_IF))) {
            if ((stop = exec_events(env, run)) >= 0)
                return stop;
            events = false;
            next = NULL;
        } else if (exec_budget_spent(env, run)) {
            return STOP_LIMIT;
        }
        TB *tb = next;
        if (!tb) {
            uint64_t gen = tb_flush_count(env);
            tb = tb_find(env, env->t[G_EIP], env->seg[SEG_CS].base, env->hflags);
            if (gen == tb_flush_count(env))
                exec_maybe_link(env, run, tb);
        }
        next = exec_run_block(env, run, tb, &stop);
        if (stop >= 0)
            return stop;
        if (clk && env->icount >= clk->poll_icount)
            clock_poll(clk);    /* a timer that raises an interrupt sets exit_request: seen before the next block */
        if (__builtin_expect(env->dr6_pending != 0, 0)) {
            exec_debug_trap(env, run);
            next = NULL;
            events = true;
        } else if (next) {
            exec_stats.tb_chained++;
        } else if (env->exit_slot < 0) {
            exec_stats.exit_tb[env->exit_reason & 3]++;
            if (env->exit_reason == EXIT_MODE)
                cpu_update_hflags(env);
            else if (env->exit_reason == EXIT_HALT)
                env->halted = true;
            if (env->exit_reason != EXIT_NORMAL)
                run->prev = NULL;
            /* a dynamic jump (EXIT_NORMAL) only needs a lookup; mode changes, HLT, IF/shadow changes need the
             * events (interrupts may have become deliverable, DR7/AC may have changed) */
            events = env->exit_reason != EXIT_NORMAL;
        } else {
            exec_stats.exit_unlinked++;     /* GOTO_TB slot not chained (yet): tb_find next */
        }
    }
}

int cpu_exec(CpuState *env, const ExecOptions *opt)
{
    ExecRun run = { .opt = opt, .start_icount = env->icount, .prev_slot = -1, .run_tb = interp_run_tb };
    /* the JIT follows chains inside generated code while icount stays below this (cpu.h); lockstep: never */
    env->chain_icount_limit = opt->max_insns ? env->icount + opt->max_insns : ~(uint64_t)0;
    if (opt->accel == ACCEL_JIT && jit_available())
        run.run_tb = jit_run_tb;
    if (opt->accel == ACCEL_LOCKSTEP && jit_available() && lockstep_setup()) {
        run.lockstep = true;
        env->chain_icount_limit = 0;
        exec_store_log = &ls.log;
        tlb_flush_all(env);     /* no direct-write TLB entry may survive from before (exec.h, StoreLog) */
    }
    tb_cache_init(env);
    interp_init();
    mmu_sync_checks(env);
    tb_set_log(opt->log, opt->log ? opt->log_mask : 0, opt->disas);
    jit_set_log(opt->log, opt->log ? opt->log_mask : 0);   /* -d out_asm: host code of each block compiled */
    unimp_log = (opt->log_mask & LOG_UNIMP) ? opt->log : NULL;
    for (;;) {
        if (setjmp(env->jmp_env) != 0)
            exec_exception(env, &run);
        int stop = exec_loop(env, &run);
        if (stop >= 0) {
            tb_set_current(env, NULL);
            exec_store_log = NULL;
            return stop;
        }
    }
}

void exec_print_stats(FILE *f, const CpuState *env)
{
    const ExecStats *s = &exec_stats;
    const Machine *m = env->machine;
    uint64_t trans = s->tb_chained + s->tb_lookups;
    fprintf(f, "pcjit stats:\n");
    fprintf(f, "  guest instructions   %llu\n", (unsigned long long)s->insns);
    fprintf(f, "  TBs translated       %llu (%.3f s)\n", (unsigned long long)s->tbs_translated, s->translate_seconds);
    fprintf(f, "    (translation time: decode, IR, optimisation and, under the JIT, host code generation)\n");
    fprintf(f, "  TB flushes           %llu\n", (unsigned long long)s->tb_flushes);
    fprintf(f, "  TB invalidations     %llu\n", (unsigned long long)s->tb_invalidations);
    fprintf(f, "  SMC restarts         %llu\n", (unsigned long long)s->smc_restarts);
    /* "dynamic": EXIT_TB jumps resolved by tb_find or, under the JIT, by the per-site hint in generated code */
    fprintf(f, "  block transitions    %llu: chained %llu (%.1f %%), dynamic %llu\n", (unsigned long long)trans,
            (unsigned long long)s->tb_chained, trans ? 100.0 * (double)s->tb_chained / (double)trans : 0.0,
            (unsigned long long)s->tb_lookups);
    fprintf(f, "  JIT lookups in C     %llu (dynamic transitions whose in-code hint or cross-page cache missed)\n",
            (unsigned long long)s->chain_lookups);
    fprintf(f, "  exits to the loop    EXIT_TB normal %llu, mode %llu, halt %llu, irq-check %llu; "
            "GOTO_TB unchained %llu\n", (unsigned long long)s->exit_tb[EXIT_NORMAL],
            (unsigned long long)s->exit_tb[EXIT_MODE], (unsigned long long)s->exit_tb[EXIT_HALT],
            (unsigned long long)s->exit_tb[EXIT_IRQ_CHECK], (unsigned long long)s->exit_unlinked);
    fprintf(f, "  exceptions           %llu (software INT n/INT3/INTO: %llu)\n", (unsigned long long)s->exceptions,
            (unsigned long long)s->soft_ints);
    fprintf(f, "  interrupts           %llu\n", (unsigned long long)s->interrupts);
    fprintf(f, "  helper calls         %llu\n", (unsigned long long)s->helper_calls);
    fprintf(f, "  TLB misses           %llu (%llu of them found in the victim TLB)\n", (unsigned long long)s->tlb_misses,
            (unsigned long long)s->tlb_victim_hits);
    fprintf(f, "  TLB hits             %llu (C accessors only: hits on the inline fast path are not counted)\n",
            (unsigned long long)s->tlb_hits);
    fprintf(f, "  unimplemented hits   %llu\n", (unsigned long long)s->unimplemented);
    if (m)
        fprintf(f, "  port I/O accesses    %llu\n  MMIO accesses        %llu\n",
                (unsigned long long)m->io_accesses, (unsigned long long)m->mmio_accesses);
}
