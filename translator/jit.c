/* jit.c — the -accel jit engine: the host code buffer (one mmap'd executable region), compiling a TB on its first
 * execution through the host's backend (backend.h: backend-x86_64 or backend-aarch64), and running it with
 * interp_run_tb's contract.
 * Invariants:
 *  - every compiled block starts with a header {TB *owner, epoch}; tb->host_code is trusted only when the header
 *    in front of it names this TB and the current epoch. Resetting the buffer (when it is full) bumps the epoch,
 *    so stale host_code pointers — in this cache or in another CpuState's — are recompiled, never run;
 *  - generated code leaves only through the epilogue (or by longjmp out of a C helper, which the exec loop
 *    catches exactly as for the interpreter: env->cur_op is stored before every op that can fault);
 *  - GOTO_TB follows tb->jmp_dest[slot] inside generated code (no return to C) only under the exec loop's own
 *    conditions, doing its bookkeeping (icount, exec_stats, the current TB in TbCacheHot), and only while
 *    env->icount < env->chain_icount_limit; after returning, the TB that exited is tb_current(env), and its
 *    successor is returned only if its jmp_dest[slot] is set and not invalidated (as interp_goto_tb), so the
 *    decisions which jumps to link stay in the exec loop (tb_add_jump).
 *  - W^X: the buffer is never writable and executable through one mapping. On Linux it is one memfd mapped twice
 *    (RW for emitting and every patch, including those generated code makes to its own chain caches; RX for
 *    running, listings and every address inside the code: CodeBuf.wdelta is the distance). Without memfd the one
 *    mapping is toggled with mprotect around each compilation (logged once), and generated code then never
 *    patches itself (CodeBuf.no_self_patch).
 *  - indirect exits: generated code validates its site's hint TB on every use; jit.c only writes hints (the TB the
 *    loop runs after a miss), and only TBs of the cache and epoch the site ran with.
 *  - instruction fetch never sees stale code: the backend's flush_icache runs on each block written (a no-op on
 *    x86-64, cache maintenance on aarch64), and a buffer reset maps the executing view afresh (jit_remap_exec_view).
 *  - -stats (jit_set_stats): blocks, guest instructions, host instructions (CodeBuf.insns when the backend counts,
 *    else Capstone) and code bytes of every block compiled.
 * Left out: patched direct jumps (chains are followed through tb->jmp_dest: a few loads, always current after
 * invalidation or a flush).
 * On hosts without a backend jit_available() is false and jit_run_tb falls back to the interpreter. */
#define _GNU_SOURCE     /* memfd_create */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <pthread.h>
#endif
#define X86_OP_INVALID CS_X86_OP_INVALID_   /* Capstone and frontend/x86_insn.h both define it */
#include <capstone/capstone.h>
#undef X86_OP_INVALID
#include "backend.h"
#include "bus.h"
#include "mmu.h"
#include "sys.h"

#if defined(__x86_64__)
#define JIT_HAVE_BACKEND 1
#define JIT_BACKEND (&backend_x86_64)
#define JIT_CS_ARCH CS_ARCH_X86
#define JIT_CS_MODE CS_MODE_64
#elif defined(__aarch64__)
#define JIT_HAVE_BACKEND 1
#define JIT_BACKEND (&backend_aarch64)
#define JIT_CS_ARCH CS_ARCH_ARM64
#define JIT_CS_MODE CS_MODE_ARM
#else
#define JIT_HAVE_BACKEND 0
#define JIT_BACKEND ((const Backend *)NULL)
#define JIT_CS_ARCH CS_ARCH_X86
#define JIT_CS_MODE CS_MODE_64
#endif

enum { JIT_DEFAULT_SIZE = 128 << 20 };

enum { JIT_VIEWS_DUAL = 1, JIT_VIEWS_MPROTECT, JIT_VIEWS_APPLE };

static struct {
    uint8_t *mem;           /* the executing view */
    int fd;                 /* JIT_VIEWS_DUAL: the memfd (the executing view is mapped afresh at each reset) */
    intptr_t wdelta;        /* writable view - executing view (JIT_VIEWS_DUAL), else 0 */
    int views;
    size_t size, limit;     /* mapped size; usable size (tests shrink it to exercise the reset) */
    CodeBuf cb;
    JitEnterFn enter;
    const uint8_t *epilogue;
    uint32_t epoch;
    uint64_t resets;
    FILE *log;              /* -d out_asm: listing of every block compiled, or NULL */
    bool stats;             /* -stats: count host instructions of each block compiled */
    /* -stats: host instructions are counted over the blocks whose guest instructions are in counted_guest (all of
     * them when the backend counts as it emits; else the first JIT_STATS_DISAS_BLOCKS, by disassembly) */
    struct { uint64_t blocks, guest_insns, host_insns, code_bytes, counted_guest; } count;
} jit;

const TB jit_no_tb = { .invalid = true, .phys_page2 = ~0u };

void jit_set_log(FILE *f, unsigned mask) { jit.log = (mask & LOG_OUT_ASM) ? f : NULL; }

bool jit_available(void) { return JIT_HAVE_BACKEND; }

/* Writes to the buffer happen only between jit_write_begin and jit_write_end (compilation, resets). With the dual
 * mapping they are no-ops; otherwise the single view switches between RW and RX (never both). */
static void jit_write_toggle(bool writable)
{
    if (jit.views == JIT_VIEWS_MPROTECT) {
        if (mprotect(jit.mem, jit.size, writable ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC) != 0) {
            perror("pcjit: mprotect of the JIT code buffer");
            abort();
        }
    }
#if defined(__APPLE__)
    /* XXX: compiled out here (cannot be run on this Linux machine): MAP_JIT pages are switched per thread */
    if (jit.views == JIT_VIEWS_APPLE)
        pthread_jit_write_protect_np(writable ? 0 : 1);
#endif
}
static void jit_write_begin(void) { jit_write_toggle(true); }
static void jit_write_end(void) { jit_write_toggle(false); }

/* After the first setup, a reset maps the executing view afresh over the same memfd pages (same address): code
 * is about to be rewritten at addresses that held other code, and a new mapping guarantees that no instruction
 * fetched from an old one survives anywhere — in particular in an emulator running pcjit (qemu-user translates
 * host code per page of this view and does not see writes through the other alias; replacing the mapping drops
 * its translations). Per-block icache maintenance (Backend.flush_icache) covers real hardware on its own. */
static void jit_remap_exec_view(void)
{
#if defined(__linux__) && !defined(__APPLE__)
    if (jit.views != JIT_VIEWS_DUAL || jit.fd < 0)
        return;
    void *x = mmap(jit.mem, jit.size, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, jit.fd, 0);
    if (x != jit.mem) {
        perror("pcjit: remapping the JIT code buffer");
        abort();
    }
#endif
}

static void jit_reset(void)
{
    if (jit.resets)
        jit_remap_exec_view();
    jit.epoch++;
    jit.resets++;
    jit.cb = (CodeBuf){ .start = jit.mem, .p = jit.mem, .end = jit.mem + jit.limit, .wdelta = jit.wdelta,
                        .no_self_patch = jit.views != JIT_VIEWS_DUAL };
    jit_write_begin();
    JIT_BACKEND->emit_prologue(&jit.cb, &jit.enter, &jit.epilogue);
    jit_write_end();
    if (jit.cb.full) {
        fprintf(stderr, "pcjit: JIT code buffer too small for the prologue\n");
        abort();
    }
}

/* One memfd mapped twice: RW (returned in *rw) and RX (returned). NULL if the host cannot. */
static uint8_t *jit_map_dual(size_t size, uint8_t **rw, int *fdp)
{
#if defined(__linux__) && !defined(__APPLE__)
    int fd = memfd_create("pcjit-code", MFD_CLOEXEC);
    if (fd < 0)
        return NULL;
    void *w = MAP_FAILED, *x = MAP_FAILED;
    if (ftruncate(fd, (off_t)size) == 0) {
        w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        x = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    }
    if (w != MAP_FAILED && x != MAP_FAILED) {
        *rw = w;
        *fdp = fd;  /* kept for jit_remap_exec_view */
        return x;
    }
    close(fd);
    if (w != MAP_FAILED)
        munmap(w, size);
    if (x != MAP_FAILED)
        munmap(x, size);
#else
    (void)size;
    (void)rw;
    (void)fdp;
#endif
    return NULL;
}

static void jit_map(void)
{
    /* PCJIT_JIT_NO_MEMFD=1 (tests): take the fallback path even where memfd works */
    const char *no_memfd = getenv("PCJIT_JIT_NO_MEMFD");
    uint8_t *rw = NULL, *rx = no_memfd && *no_memfd == '1' ? NULL : jit_map_dual(jit.size, &rw, &jit.fd);
    if (rx) {
        jit.mem = rx;
        jit.wdelta = (intptr_t)((uintptr_t)rw - (uintptr_t)rx);
        jit.views = JIT_VIEWS_DUAL;
        return;
    }
    void *m;
#if defined(__APPLE__)
    /* XXX: compiled out here (cannot be run on this Linux machine): macOS hardened runtime wants MAP_JIT and a
     * per-thread write switch instead of two views */
    m = mmap(NULL, jit.size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_JIT, -1, 0);
    jit.views = JIT_VIEWS_APPLE;
#else
    fprintf(stderr, "pcjit: no memfd for a W^X double mapping of the JIT buffer: toggling it with mprotect\n");
    m = mmap(NULL, jit.size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    jit.views = JIT_VIEWS_MPROTECT;
#endif
    if (m == MAP_FAILED) {
        perror("pcjit: mmap of the JIT code buffer");
        exit(1);
    }
    jit.mem = m;
    jit.wdelta = 0;
}

static void jit_init(void)
{
    if (jit.mem)
        return;
    jit.size = JIT_DEFAULT_SIZE;
    jit.fd = -1;
    jit_map();
    if (!jit.limit || jit.limit > jit.size)
        jit.limit = jit.size;
    jit_reset();
}

void jit_set_buffer_limit(size_t bytes)
{
    jit.limit = bytes;
    if (jit.mem) {
        if (!jit.limit || jit.limit > jit.size)
            jit.limit = jit.size;
        jit_reset();
    }
}

uint64_t jit_buffer_resets(void) { return jit.resets; }

const void *jit_exec_view(bool *dual)
{
    if (!JIT_HAVE_BACKEND)
        return NULL;
    jit_init();
    if (dual)
        *dual = jit.views == JIT_VIEWS_DUAL;
    return jit.mem;
}

static bool jit_code_valid(const TB *tb)
{
    if (!tb->host_code)
        return false;
    const JitHeader *h = (const JitHeader *)tb->host_code - 1;
    return h->owner == tb && h->epoch == jit.epoch;
}

void jit_set_stats(bool on) { jit.stats = on; }

/* Disassembling every block made -stats cost up to 10x the run (Capstone ~250 ns per host instruction): backends
 * that do not count as they emit are counted over the first blocks compiled. */
enum { JIT_STATS_DISAS_BLOCKS = 4096 };

/* Host instructions in [code, code + len) by disassembly (backends whose blocks hold no data). One Capstone handle
 * and one instruction buffer for the whole run, walked with cs_disasm_iter: opening Capstone per block made -stats
 * cost ~50 us per translation (bench/smc translates 400 k blocks). */
static uint64_t jit_count_insns(const uint8_t *code, size_t len)
{
    static csh cs;
    static cs_insn *insn;
    if (!insn) {
        if (cs_open(JIT_CS_ARCH, JIT_CS_MODE, &cs) != CS_ERR_OK)
            return 0;
        insn = cs_malloc(cs);
        if (!insn)
            return 0;
    }
    const uint8_t *p = code;
    uint64_t addr = (uint64_t)(uintptr_t)code, n = 0;
    while (cs_disasm_iter(cs, &p, &len, &addr, insn))
        n++;
    return n;
}

void jit_print_stats(FILE *f)
{
    if (!JIT_HAVE_BACKEND || !jit.count.blocks)
        return;
    fprintf(f, "jit (%s): %" PRIu64 " blocks compiled, %" PRIu64 " guest insns in them (%" PRIu64
            " bytes of code), %" PRIu64 " buffer resets\n", JIT_BACKEND->name, jit.count.blocks,
            jit.count.guest_insns, jit.count.code_bytes, jit.resets > 0 ? jit.resets - 1 : 0);
    fprintf(f, "jit: host insns per guest insn (static, whole blocks with their slow paths): %.2f (%" PRIu64
            " host insns for %" PRIu64 " guest insns%s)\n",
            jit.count.counted_guest ? (double)jit.count.host_insns / (double)jit.count.counted_guest : 0.0,
            jit.count.host_insns, jit.count.counted_guest,
            JIT_BACKEND->counts_insns || jit.count.blocks <= JIT_STATS_DISAS_BLOCKS ? ", every block"
                                                                                   : ", the first blocks only");
}

/* Compile tb at the current position; NULL when the buffer is full. */
static void *jit_compile_at(TB *tb)
{
    CodeBuf *cb = &jit.cb;
    uint8_t *start = cb->p;
    while ((uintptr_t)cb->p % 16)
        cb_byte(cb, 0xcc);
    JitHeader *h = (JitHeader *)cb_wr(cb, cb->p);
    for (size_t i = 0; i < sizeof(JitHeader); i++)
        cb_byte(cb, 0);
    uint64_t insns0 = cb->insns;
    void *code = cb->full ? NULL : JIT_BACKEND->compile_tb(cb, tb, jit.epilogue, jit.epoch);
    if (!code) {
        cb->p = start;
        cb->full = false;
        cb->insns = insns0;
        return NULL;
    }
    if (jit.stats) {
        jit.count.blocks++;
        jit.count.guest_insns += tb->ninsns;
        jit.count.code_bytes += (uint64_t)(cb->p - (uint8_t *)code);
        if (JIT_BACKEND->counts_insns) {
            jit.count.host_insns += cb->insns - insns0;
            jit.count.counted_guest += tb->ninsns;
        } else if (jit.count.blocks <= JIT_STATS_DISAS_BLOCKS) {
            jit.count.host_insns += jit_count_insns(code, (size_t)(cb->p - (uint8_t *)code));
            jit.count.counted_guest += tb->ninsns;
        }
    }
    *h = (JitHeader){ tb, jit.epoch, (uint32_t)(cb->p - (uint8_t *)code) };
    JIT_BACKEND->flush_icache(start, (size_t)(cb->p - start));
    return code;
}

static void jit_compile(TB *tb)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    jit_write_begin();
    void *code = jit_compile_at(tb);
    jit_write_end();
    if (!code) {
        jit_reset();    /* full: start over (every other TB recompiles when it next runs) */
        jit_write_begin();
        code = jit_compile_at(tb);
        jit_write_end();
        if (!code) {
            fprintf(stderr, "pcjit: a block does not fit in an empty JIT code buffer\n");
            abort();
        }
    }
    tb->host_code = code;
    if (!tb->ind_hint)
        tb->ind_hint = (TB *)&jit_no_tb;    /* generated code reads the hint's fields: never NULL */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    exec_stats.translate_seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    if (jit.log) {
        fprintf(jit.log, "OUT: %08x [%08x/%08x/%04x] %u guest insns, %u IR ops\n", tb->phys_pc, tb->cs_base, tb->pc,
                tb->hflags, tb->ninsns, tb->nops);
        jit_disas_tb(jit.log, tb);
        fprintf(jit.log, "\n");
    }
}

/* Called by generated code when a block has completed, the exec loop would go on (the in-code precheck passed) and
 * the next block is not reachable by a chained jump: a dynamic jump or return whose hint missed (slot -1), or a
 * GOTO_TB slot that is not chained (slot 0/1). Returns the block the loop would run next if it is cached and
 * compiled in this epoch, else NULL (generated code then exits to the loop, which translates). Does what the loop
 * would do around it: links a GOTO_TB slot under exec_maybe_link's rules (same linear page, one page, not an
 * interrupted REP jumping to itself — the caller never passes a rep_last block's slot), or else remembers the
 * destination in the slot's cross-page cache (TB.xjmp), and remembers a dynamic exit's destination as the block's
 * hint (TB.ind_hint); both with the TLB generation, which generated code compares before following them. Never raises, never translates, never writes the code buffer: no host
 * self-modifying-code stalls on this path. */
/* The cached, compiled block at the current CS:EIP, or NULL (the loop must translate or compile it). */
static TB *jit_next_compiled(CpuState *env)
{
    TB *tb = env->tbs ? tb_lookup(env, env->t[G_EIP], env->seg[SEG_CS].base, env->hflags) : NULL;
    return tb && jit_code_valid(tb) ? tb : NULL;
}

TB *jit_chain_lookup(CpuState *env, TB *from, int slot)
{
    exec_stats.chain_lookups++;
    TB *tb = jit_next_compiled(env);
    if (!tb)
        return NULL;
    if (slot < 0) {
        from->ind_hint = tb;
        from->ind_gen = env->tlb_gen;
    } else if (tb->phys_page2 == ~0u && !(((tb->cs_base + tb->pc) ^ (from->cs_base + from->pc)) & TARGET_PAGE_MASK)) {
        tb_add_jump(env, from, slot & 1, tb);
    } else {
        from->xjmp[slot & 1] = tb;
        from->xgen[slot & 1] = env->tlb_gen;
    }
    return tb;
}

/* Called by generated code at the end of a block that leaves with EXIT_MODE (mode or segment state changed: hflags
 * must be recomputed) or EXIT_IRQ_CHECK (IF may have become 1, a device may have raised a line), once the in-code
 * precheck passed (budget, no request, no data breakpoint trap). Does what the exec loop's events step would do
 * when nothing is pending — recompute hflags, end an interrupt shadow, resync the MMU's checks — and returns the
 * next block, or NULL whenever the loop must look: an interrupt or NMI deliverable, a machine request, a halted or
 * shut-down CPU, a block not cached or compiled. */
TB *jit_event_lookup(CpuState *env, TB *from, int reason)
{
    (void)from;
    exec_stats.chain_lookups++;
    if (!env->tbs)
        return NULL;
    if (reason == EXIT_MODE)
        cpu_update_hflags(env);
    Machine *m = env->machine;
    if ((env->nmi_pending && !env->nmi_blocked) || (env->pending_irq && (env->t[G_EFLAGS] & F_IF)) ||
        env->halted || env->shutdown || (m && (m->exit_requested || m->reset_requested)))
        return NULL;
    /* an interrupt shadow (STI, MOV SS) with nothing pending has nothing to hold back: it ends here, as the loop
     * ends it after one block (a line raised later sets exit_request, which every chained transition checks) */
    env->hflags &= ~HF_INHIBIT_IRQ;
    mmu_sync_checks(env);
    return jit_next_compiled(env);
}

TB *jit_run_tb(CpuState *env, TB *tb)
{
    if (!JIT_HAVE_BACKEND)
        return interp_run_tb(env, tb);
    jit_init();
    if (!jit_code_valid(tb))
        jit_compile(tb);
    env->exit_slot = -1;
    if (env->tbs) {
        tb_set_current(env, tb);
        jit.enter(env, tb->host_code);
        tb = tb_current(env);     /* generated code may have followed chains: the TB that exited */
    } else {
        /* no TB cache (unit tests): generated code cannot record the current TB, so it must not chain */
        uint64_t limit = env->chain_icount_limit;
        env->chain_icount_limit = 0;
        jit.enter(env, tb->host_code);
        env->chain_icount_limit = limit;
    }
    if (env->exit_slot >= 0) {
        TB *next = tb->jmp_dest[env->exit_slot & 1];
        return next && !next->invalid ? next : NULL;
    }
    return NULL;
}

void jit_disas_tb(FILE *f, const TB *tb)
{
    csh cs;
    cs_insn *insn;
    if (!JIT_HAVE_BACKEND || !jit_code_valid(tb)) {
        fprintf(f, "OUT: (no host code)\n");
        return;
    }
    const JitHeader *h = (const JitHeader *)tb->host_code - 1;
    const uint8_t *code = tb->host_code;
    fprintf(f, "  host code: %u bytes at %p\n", h->size, (const void *)code);
    if (cs_open(JIT_CS_ARCH, JIT_CS_MODE, &cs) != CS_ERR_OK)
        return;
    cs_option(cs, CS_OPT_SKIPDATA, CS_OPT_ON);   /* aarch64 blocks hold literals (the chain caches) */
    size_t n = cs_disasm(cs, code, h->size, (uint64_t)(uintptr_t)code, 0, &insn);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  0x%012" PRIx64 ":  %-8s %s\n", insn[i].address, insn[i].mnemonic, insn[i].op_str);
    if (n)
        cs_free(insn, n);
    cs_close(&cs);
}
