/* exec.c — the execution loop (cpu_exec), the one path for guest faults (cpu_raise_exception), interrupt checks at
 * block boundaries, HLT, chaining decisions, instruction counting, and log_unimplemented_once.
 * Invariants:
 *  - guest state is precise whenever control is here: after a TB returns, or after a longjmp from inside one
 *    (tb_restore_state puts EIP and cc_op back at the faulting instruction);
 *  - interrupts, NMI and machine requests are looked at only between TBs; env->exit_request is the one flag
 *    checked before entering every block (chained or not), anything that wants attention sets it;
 *  - env->icount counts retired guest instructions: a TB's ninsns when it completes, the instructions before the
 *    faulting one when it faults (the faulting one too for software interrupts and traps);
 *  - chaining only links a GOTO_TB exit to a TB starting on the same linear page and not spanning two pages, so
 *    a chain can never bypass the phys-page check tb_find makes for the block it started from.
 * Left out: the engines (interp.c, jit.c + backend-*: chosen by ExecOptions.accel, same contract), interrupt
 * delivery itself (excp.c), the devices and virtual time
 * (XXX: until the PC platform adds a clock, HLT with nothing pending returns STOP_HALT). */
#include <stdio.h>
#include <string.h>
#include "exec.h"
#include "mmu.h"
#include "bus.h"
#include "backend.h"

/* State of one cpu_exec call that must survive a longjmp (it lives in cpu_exec's frame). */
typedef struct ExecRun {
    const ExecOptions *opt;
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
    if (env->nmi_pending) {
        env->nmi_pending = false;
        exec_log_int(run, env, "NMI", EXC_NMI, -1);
        exec_stats.interrupts++;
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
    cpu_do_interrupt(env, vector & 0xff, false, -1, env->t[G_EIP], true);
    env->old_exception = -1;
    return true;
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
    if (run->opt->max_insns && env->icount - run->start_icount >= run->opt->max_insns)
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
        /* XXX: with a clock, an HLT with IF=1 would wait for the next device event here. */
        return STOP_HALT;
    }
    return -1;
}

/* ---- exceptions (after the longjmp of cpu_raise_exception) ---- */

static void exec_exception(CpuState *env, ExecRun *run)
{
    TB *tb = run->running;
    int vector = env->exc_vector;
    bool is_int = env->exc_is_int;
    env->dr6_pending = 0;   /* the instruction did not complete: its data breakpoint hits are void */
    run->running = NULL;
    run->prev = NULL;
    tb_set_current(env, NULL);
    if (tb) {
        int done = tb_find_insn(tb, env->cur_op);
        tb_restore_state(env, tb, env->cur_op);
        if (vector != EXCP_SMC_RESTART && (is_int || env->exc_is_trap))
            done++;     /* INT n / INT3 / INTO / INT1 and traps complete their instruction */
        env->icount += (uint64_t)done;
        exec_stats.insns += (uint64_t)done;
    }
    if (vector == EXCP_SMC_RESTART) {
        run->no_irq_once = true;
        return;         /* state is at the storing instruction: it re-runs alone (tb.c) */
    }
    env->exc_is_int = false;
    exec_stats.exceptions++;
    exec_log_int(run, env, is_int ? "INT" : "EXC", vector, env->exc_error);
    cpu_do_interrupt(env, vector, is_int, env->exc_error, env->exc_next_eip, false);
    env->old_exception = -1;
    if (env->dr6_pending)
        exec_debug_trap(env, run);
    mmu_sync_checks(env);
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
    tb_add_jump(env, prev, run->prev_slot, tb);
}

/* Run blocks until an event needs the outer loop. Returns an ExecStop, or -1 after an exception was handled. */
static __attribute__((noinline)) int exec_loop(CpuState *env, ExecRun *run)
{
    TB *next = NULL;
    bool events = true;     /* look at everything before the next block (set by EXIT_TB other than NORMAL) */
    for (;;) {
        if (events || env->exit_request || env->nmi_pending || (env->pending_irq && (env->t[G_EFLAGS] & F_IF))) {
            int stop = exec_events(env, run);
            if (stop >= 0)
                return stop;
            events = false;
            next = NULL;
        } else if (run->opt->max_insns && env->icount - run->start_icount >= run->opt->max_insns) {
            return STOP_LIMIT;
        }
        TB *tb = next;
        if (!tb) {
            uint64_t gen = tb_flush_count(env);
            tb = tb_find(env, env->t[G_EIP], env->seg[SEG_CS].base, env->hflags);
            if (gen == tb_flush_count(env))
                exec_maybe_link(env, run, tb);
        }
        exec_log_tb(run, env, tb);
        run->flush_gen = tb_flush_count(env);
        run->running = tb;
        tb_set_current(env, tb);
        next = run->run_tb(env, tb);
        tb_set_current(env, NULL);
        run->running = NULL;
        env->icount += tb->ninsns;
        exec_stats.insns += tb->ninsns;
        tb->exec_count++;
        run->prev = tb;
        run->prev_slot = env->exit_slot;
        if (__builtin_expect(env->dr6_pending != 0, 0)) {
            exec_debug_trap(env, run);
            next = NULL;
            events = true;
            continue;
        }
        if (next) {
            exec_stats.tb_chained++;
            continue;
        }
        if (env->exit_slot < 0) {
            switch (env->exit_reason) {
            case EXIT_MODE: cpu_update_hflags(env); run->prev = NULL; break;
            case EXIT_HALT: env->halted = true; run->prev = NULL; break;
            default: break;
            }
            next = NULL;
            /* a dynamic jump (EXIT_NORMAL) only needs a lookup; mode changes, HLT, IF/shadow changes need the
             * events (interrupts may have become deliverable, DR7/AC may have changed) */
            events = env->exit_reason != EXIT_NORMAL;
        }
    }
}

int cpu_exec(CpuState *env, const ExecOptions *opt)
{
    ExecRun run = { .opt = opt, .start_icount = env->icount, .prev_slot = -1, .run_tb = interp_run_tb };
    /* XXX: ACCEL_LOCKSTEP (interpreter and JIT side by side) is not built yet: it runs the interpreter */
    if (opt->accel == ACCEL_JIT && jit_available())
        run.run_tb = jit_run_tb;
    tb_cache_init(env);
    interp_init();
    mmu_sync_checks(env);
    tb_set_log(opt->log, opt->log ? opt->log_mask : 0, opt->disas);
    unimp_log = (opt->log_mask & LOG_UNIMP) ? opt->log : NULL;
    for (;;) {
        if (setjmp(env->jmp_env) != 0)
            exec_exception(env, &run);
        int stop = exec_loop(env, &run);
        if (stop >= 0) {
            tb_set_current(env, NULL);
            return stop;
        }
    }
}

void exec_print_stats(FILE *f, const CpuState *env)
{
    const ExecStats *s = &exec_stats;
    const Machine *m = env->machine;
    fprintf(f, "pcjit stats:\n");
    fprintf(f, "  guest instructions   %llu\n", (unsigned long long)s->insns);
    fprintf(f, "  TBs translated       %llu (%.3f s)\n", (unsigned long long)s->tbs_translated, s->translate_seconds);
    fprintf(f, "  TB lookups           %llu\n", (unsigned long long)s->tb_lookups);
    fprintf(f, "  TB chain follows     %llu\n", (unsigned long long)s->tb_chained);
    fprintf(f, "  TB flushes           %llu\n", (unsigned long long)s->tb_flushes);
    fprintf(f, "  TB invalidations     %llu\n", (unsigned long long)s->tb_invalidations);
    fprintf(f, "  exceptions           %llu\n", (unsigned long long)s->exceptions);
    fprintf(f, "  interrupts           %llu\n", (unsigned long long)s->interrupts);
    fprintf(f, "  helper calls         %llu\n", (unsigned long long)s->helper_calls);
    fprintf(f, "  TLB misses           %llu\n", (unsigned long long)s->tlb_misses);
    fprintf(f, "  SMC restarts         %llu\n", (unsigned long long)s->smc_restarts);
    fprintf(f, "  unimplemented hits   %llu\n", (unsigned long long)s->unimplemented);
    if (m)
        fprintf(f, "  port I/O accesses    %llu\n  MMIO accesses        %llu\n",
                (unsigned long long)m->io_accesses, (unsigned long long)m->mmio_accesses);
}
