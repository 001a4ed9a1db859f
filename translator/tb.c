/* tb.c — the translation-block cache: translating a block (xlat_block → ir_optimize → a TB), the lookup hash,
 * per-physical-page TB lists, invalidation on writes to code (self-modifying code, DMA), chaining bookkeeping and
 * the flush when the cache is full.
 * Invariants:
 *  - a TB is found only by its full key (phys_pc, pc, cs_base, hflags & HF_TB_KEY_MASK), and only while its second
 *    page (if any) still maps to phys_page2 and it ends inside the CS limit;
 *  - every live TB is on the list of each physical page it covers (two at most), so tb_page_has_code(pa) is true
 *    exactly while some live TB covers pa's page; the first TB of a page demotes the page's direct-write TLB
 *    entries (tlb_protect_code_page) so that stores to it reach tb_invalidate_for_store before the bytes change;
 *  - an invalidated TB is unhooked from the hash, its pages, and every chained jump into or out of it, but its
 *    memory stays valid until the next tb_flush_all (the exec loop may still hold a pointer to it);
 *  - the IrBlock used for translation is allocated once per cache (it is ~100 KB).
 * Left out: host code for JIT backends (tb->host_code stays NULL here), region-based eviction (we flush all). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "exec.h"
#include "mmu.h"
#include "xlat.h"

enum {
    TB_HASH_BITS = 16,
    TB_HASH_SIZE = 1 << TB_HASH_BITS,
    TB_POOL_SIZE = 1 << 18,                 /* TBs between flushes (a Linux boot + guestkit run translates ~110 k) */
    TB_ARENA_SIZE = 192 << 20,              /* bytes of ops + insn tables between flushes (malloc: untouched pages cost nothing) */
    TB_PAGE_L1 = 1024, TB_PAGE_L2 = 1024,   /* 2-level table over the 1M physical pages */
    TB_JMP_CACHE = 4096,                    /* direct-mapped by linear pc: the last TB found there */
    CODE_BITMAP_WRITES = 8,                 /* stores to a code page before it gets a code-byte bitmap */
};

/* One physical page's translated code. */
typedef struct PageDesc {
    struct TB *head;        /* tagged list (TB pointer | slot) of the TBs covering the page */
    uint8_t *code_bits;     /* bit per byte covered by some TB, or NULL (built lazily, dropped when a TB leaves) */
    uint32_t writes;        /* stores checked against the list since the bitmap was last dropped */
} PageDesc;

typedef struct TbCache {
    TbCacheHot hot;              /* must stay first (exec.h inlines use it): cur_tb, flush_count */
    TB *hash[TB_HASH_SIZE];
    /* By linear pc: the last TB found there and the TLB generation (env->tlb_gen) it was validated under. While the
     * generation holds, no linear-to-physical mapping has been flushed since, so the TB is still the one at that
     * linear address (what a TLB that caches it would give): only pc, CS base, hflags, the CS limit and the
     * invalid flag need checking. A TLB flush of any kind bumps the generation (mmu.c), which empties it in O(1). */
    struct { TB *tb; uint32_t gen; } jmp_cache[TB_JMP_CACHE];
    TB *pool;
    uint32_t npool;
    uint8_t *arena;
    size_t arena_used;
    PageDesc *pages[TB_PAGE_L1]; /* per physical page (2 levels, second level allocated on demand) */
    IrBlock *irb;                /* scratch block for xlat_block, allocated once */
    bool single_next;            /* the next translation keeps only its first instruction (SMC restart) */
} TbCache;

ExecStats exec_stats;

/* ---- allocation and the flush ---- */

void tb_cache_init(CpuState *env)
{
    if (env->tbs)
        return;
    TbCache *tc = calloc(1, sizeof(TbCache));
    if (tc) {
        tc->pool = calloc(TB_POOL_SIZE, sizeof(TB));
        tc->arena = malloc(TB_ARENA_SIZE);
        tc->irb = malloc(sizeof(IrBlock));
    }
    if (!tc || !tc->pool || !tc->arena || !tc->irb) {
        fprintf(stderr, "pcjit: cannot allocate the translation cache\n");
        exit(1);
    }
    env->tbs = tc;
}

void tb_cache_free(CpuState *env)
{
    TbCache *tc = env->tbs;
    if (!tc)
        return;
    for (int i = 0; i < TB_PAGE_L1; i++) {
        for (int j = 0; tc->pages[i] && j < TB_PAGE_L2; j++)
            free(tc->pages[i][j].code_bits);
        free(tc->pages[i]);
    }
    free(tc->pool);
    free(tc->arena);
    free(tc->irb);
    free(tc);
    env->tbs = NULL;
}

void tb_flush_all(CpuState *env)
{
    TbCache *tc = env->tbs;
    if (!tc)
        return;
    memset(tc->hash, 0, sizeof(tc->hash));
    memset(tc->jmp_cache, 0, sizeof(tc->jmp_cache));
    for (int i = 0; i < TB_PAGE_L1; i++) {
        if (!tc->pages[i])
            continue;
        for (int j = 0; j < TB_PAGE_L2; j++)
            free(tc->pages[i][j].code_bits);
        memset(tc->pages[i], 0, TB_PAGE_L2 * sizeof(PageDesc));
    }
    tc->npool = 0;
    tc->arena_used = 0;
    tc->hot.cur_tb = NULL;
    tc->hot.flush_count++;
    exec_stats.tb_flushes++;
    /* TLB entries demoted for code pages heal themselves in the store slow path (no code left on the page). */
}

static void *tb_arena_alloc(TbCache *tc, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (tc->arena_used + n > TB_ARENA_SIZE)
        return NULL;
    void *p = tc->arena + tc->arena_used;
    tc->arena_used += n;
    return p;
}

/* ---- hashing and page lists ---- */

static uint32_t tb_hash(uint32_t phys_pc, uint32_t pc, uint32_t cs_base, uint32_t flags)
{
    uint32_t h = phys_pc * 0x9e3779b1u ^ (pc + cs_base) * 0x85ebca6bu ^ flags * 0xc2b2ae35u;
    return (h ^ (h >> 16)) & (TB_HASH_SIZE - 1);
}

static PageDesc *tb_page_desc(TbCache *tc, uint32_t pa, bool create)
{
    uint32_t pn = pa >> TARGET_PAGE_BITS;
    PageDesc *l2 = tc->pages[pn / TB_PAGE_L2];
    if (!l2) {
        if (!create)
            return NULL;
        l2 = tc->pages[pn / TB_PAGE_L2] = calloc(TB_PAGE_L2, sizeof(PageDesc));
        if (!l2) {
            fprintf(stderr, "pcjit: out of memory (TB page table)\n");
            exit(1);
        }
    }
    return &l2[pn % TB_PAGE_L2];
}

#define TAG_TB(tb, n) ((TB *)((uintptr_t)(tb) | (uintptr_t)(n)))
#define UNTAG_TB(p) ((TB *)((uintptr_t)(p) & ~(uintptr_t)1))
#define TAG_SLOT(p) ((int)((uintptr_t)(p) & 1))

static bool tb_range_on_page(const TB *tb, uint32_t page, uint32_t *lo, uint32_t *hi);

static void code_bits_set(uint8_t *bits, const TB *tb, uint32_t page)
{
    uint32_t lo, hi;
    if (tb_range_on_page(tb, page, &lo, &hi))
        for (uint32_t b = lo - page; b < hi - page; b++)
            bits[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static void tb_page_add(CpuState *env, TB *tb, int n, uint32_t pa)
{
    PageDesc *pd = tb_page_desc(env->tbs, pa, true);
    bool first = pd->head == NULL;
    tb->page_next[n] = pd->head;
    pd->head = TAG_TB(tb, n);
    if (pd->code_bits)
        code_bits_set(pd->code_bits, tb, pa & TARGET_PAGE_MASK);
    if (first)
        tlb_protect_code_page(env, pa);
}

static void tb_page_remove(TbCache *tc, TB *tb, int n, uint32_t pa)
{
    PageDesc *pd = tb_page_desc(tc, pa, false);
    if (!pd)
        return;
    free(pd->code_bits);    /* bits of the others are still right, but clearing ours would need overlap info */
    pd->code_bits = NULL;
    pd->writes = 0;
    TB **pp = &pd->head;
    while (*pp) {
        TB *cur = UNTAG_TB(*pp);
        int slot = TAG_SLOT(*pp);
        if (cur == tb && slot == n) {
            *pp = cur->page_next[slot];
            return;
        }
        pp = &cur->page_next[slot];
    }
}

bool tb_page_has_code(CpuState *env, uint32_t pa)
{
    if (exec_store_log)
        return true;    /* lockstep: every store must reach the logged slow path (exec.h) */
    if (!env->tbs)
        return false;
    PageDesc *pd = tb_page_desc(env->tbs, pa, false);
    return pd && pd->head;
}

/* ---- chaining bookkeeping ---- */

void tb_add_jump(CpuState *env, TB *from, int slot, TB *to)
{
    if (from->invalid || to->invalid || from->jmp_dest[slot])
        return;
    from->jmp_dest[slot] = to;
    from->jmp_in_next[slot] = to->jmp_in;
    to->jmp_in = TAG_TB(from, slot);
}

/* Remove (from, slot) from the incoming list of its destination. */
static void tb_jump_unhook(TB *from, int slot)
{
    TB *to = from->jmp_dest[slot];
    if (!to)
        return;
    TB **pp = &to->jmp_in;
    while (*pp) {
        TB *cur = UNTAG_TB(*pp);
        int s = TAG_SLOT(*pp);
        if (cur == from && s == slot) {
            *pp = cur->jmp_in_next[s];
            break;
        }
        pp = &cur->jmp_in_next[s];
    }
    from->jmp_dest[slot] = NULL;
}

static void tb_invalidate_one(CpuState *env, TB *tb)
{
    TbCache *tc = env->tbs;
    if (tb->invalid)
        return;
    tb->invalid = true;
    exec_stats.tb_invalidations++;
    TB **pp = &tc->hash[tb_hash(tb->phys_pc, tb->pc, tb->cs_base, tb->hflags)];
    while (*pp && *pp != tb)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = tb->hash_next;
    tb_page_remove(tc, tb, 0, tb->phys_pc);
    if (tb->phys_page2 != ~0u)
        tb_page_remove(tc, tb, 1, tb->phys_page2);
    /* Unlink every jump into this TB, and this TB's own jumps. */
    for (TB *in = tb->jmp_in; in; ) {
        TB *src = UNTAG_TB(in);
        int s = TAG_SLOT(in);
        in = src->jmp_in_next[s];
        src->jmp_dest[s] = NULL;
    }
    tb->jmp_in = NULL;
    tb_jump_unhook(tb, 0);
    tb_jump_unhook(tb, 1);
}

/* ---- invalidation ---- */

/* Bytes of tb on physical page `page` at [*lo, *hi) (page is phys_pc's page or phys_page2). */
static bool tb_range_on_page(const TB *tb, uint32_t page, uint32_t *lo, uint32_t *hi)
{
    uint32_t first_len = TARGET_PAGE_SIZE - (tb->phys_pc & ~TARGET_PAGE_MASK);
    if (first_len > tb->size)
        first_len = tb->size;
    if ((tb->phys_pc & TARGET_PAGE_MASK) == page) {
        *lo = tb->phys_pc;
        *hi = tb->phys_pc + first_len;
        return true;
    }
    if (tb->phys_page2 != ~0u && tb->phys_page2 == page) {
        *lo = page;
        *hi = page + (tb->size - first_len);
        return true;
    }
    return false;
}

static bool tb_overlaps(const TB *tb, uint32_t page, uint32_t pa, uint64_t end)
{
    uint32_t lo, hi;
    return tb_range_on_page(tb, page, &lo, &hi) && pa < hi && lo < end;
}

bool tb_invalidate_phys(CpuState *env, uint32_t pa, uint32_t len)
{
    TbCache *tc = env->tbs;
    bool any = false;
    if (!tc || len == 0)
        return false;
    uint64_t end64 = (uint64_t)pa + len;
    for (uint64_t page = pa & TARGET_PAGE_MASK; page < end64; page += TARGET_PAGE_SIZE) {
        PageDesc *pd = tb_page_desc(tc, (uint32_t)page, false);
        if (!pd)
            continue;
        uint32_t lo = page < pa ? pa : (uint32_t)page;
        uint64_t hi = end64 > page + TARGET_PAGE_SIZE ? page + TARGET_PAGE_SIZE : end64;
        TB *p = pd->head;
        while (p) {
            TB *tb = UNTAG_TB(p);
            p = tb->page_next[TAG_SLOT(p)];   /* read before tb leaves the list */
            if (tb_overlaps(tb, (uint32_t)page, lo, hi)) {
                tb_invalidate_one(env, tb);
                any = true;
            }
        }
    }
    return any;
}

int tb_find_insn(const TB *tb, uint32_t op_index)
{
    int i = 0;
    while (i + 1 < tb->ninsns && tb->insn_op[i + 1] <= op_index)
        i++;
    return i;
}

/* Would the running TB execute bytes in [pa, pa+len) after its current instruction? */
static bool tb_store_hits_rest(CpuState *env, const TB *tb, uint32_t pa, uint32_t len)
{
    int i = tb_find_insn(tb, env->cur_op);
    if (i + 1 >= tb->ninsns)
        return false;
    uint32_t off = tb->insn_eip[i + 1] - tb->pc;    /* first byte not yet executed, relative to the block */
    if (off >= tb->size)
        return true;                                /* wrapped (16-bit EIP): be conservative */
    uint32_t first_len = TARGET_PAGE_SIZE - (tb->phys_pc & ~TARGET_PAGE_MASK);
    uint64_t end = (uint64_t)pa + len;
    /* remaining bytes on the first page, then on the second */
    if (off < first_len) {
        uint32_t lo = tb->phys_pc + off, hi = tb->phys_pc + (first_len < tb->size ? first_len : tb->size);
        if (pa < hi && lo < end)
            return true;
        off = first_len;
    }
    if (tb->phys_page2 != ~0u && off < tb->size) {
        uint32_t lo = tb->phys_page2 + (off - first_len), hi = tb->phys_page2 + (tb->size - first_len);
        if (pa < hi && lo < end)
            return true;
    }
    return false;
}

/* Unwind to the exec loop, which restores the state at the start of the current instruction and re-runs it in a
 * one-instruction block (EXCP_SMC_RESTART: not an exception, nothing is delivered). */
static _Noreturn void tb_restart_insn_alone(CpuState *env)
{
    env->tbs->single_next = true;
    env->exc_vector = EXCP_SMC_RESTART;
    env->exc_error = -1;
    longjmp(env->jmp_env, 1);
}

/* Can a store to [pa, pa+len) (within one page) touch translated code? A page that keeps taking stores gets a
 * bitmap of its code bytes, so data next to code costs one bit test instead of a walk over the page's TBs. */
static bool tb_store_touches_code(TbCache *tc, uint32_t pa, uint32_t len)
{
    PageDesc *pd = tb_page_desc(tc, pa, false);
    uint32_t off = pa & ~TARGET_PAGE_MASK;
    if (!pd || !pd->head)
        return false;
    if (off + len > TARGET_PAGE_SIZE)
        return true;
    if (!pd->code_bits && ++pd->writes >= CODE_BITMAP_WRITES && (pd->code_bits = calloc(1, TARGET_PAGE_SIZE / 8))) {
        for (TB *p = pd->head; p; p = UNTAG_TB(p)->page_next[TAG_SLOT(p)])
            code_bits_set(pd->code_bits, UNTAG_TB(p), pa & TARGET_PAGE_MASK);
    }
    if (!pd->code_bits)
        return true;
    for (uint32_t b = off; b < off + len; b++)
        if (pd->code_bits[b >> 3] & (1u << (b & 7)))
            return true;
    return false;
}

void tb_invalidate_for_store(CpuState *env, uint32_t pa, uint32_t len)
{
    TbCache *tc = env->tbs;
    if (!tc || !tb_store_touches_code(tc, pa, len))
        return;
    TB *cur = tc->hot.cur_tb;
    bool restart = cur && tb_store_hits_rest(env, cur, pa, len);
    tb_invalidate_phys(env, pa, len);
    if (restart) {
        /* The rest of the running block is stale. Nothing has been written yet: unwind to the exec loop, which
         * restores the state at the start of the storing instruction and re-runs it alone (see docs/runtime.md). */
        exec_stats.smc_restarts++;
        tb_restart_insn_alone(env);
    }
}

_Noreturn void tb_restart_insn_for_irq(CpuState *env)
{
    env->exc_vector = EXCP_IRQ_RESTART;
    env->exc_error = -1;
    longjmp(env->jmp_env, 1);
}

void tb_stop_after_insn(CpuState *env)
{
    TB *cur = env->tbs ? env->tbs->hot.cur_tb : NULL;
    if (cur && tb_find_insn(cur, env->cur_op) + 1 < cur->ninsns)
        tb_restart_insn_alone(env);
}

/* ---- translation ---- */

static FILE *tb_log;
static unsigned tb_log_mask;
static TbDisasFn tb_disas;

void tb_set_log(FILE *f, unsigned mask, TbDisasFn disas)
{
    tb_log = f;
    tb_log_mask = f ? mask : 0;
    tb_disas = disas;
}

/* -d in_asm: the guest bytes of the block, listed by the program's disassembler (app/, Capstone). */
static void tb_log_in_asm(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags, uint32_t size)
{
    uint8_t buf[TB_MAX_INSNS * 15];
    if (size > sizeof(buf))
        size = sizeof(buf);
    int n = mmu_fetch_code(env, cs_base + pc, buf, (int)size, false, NULL);
    fprintf(tb_log, "IN: %04x:%08x (linear %08x)\n", env->seg[SEG_CS].sel, pc, cs_base + pc);
    if (tb_disas)
        tb_disas(tb_log, buf, n, pc, (hflags & HF_CS32) != 0);
    fprintf(tb_log, "\n");
}

static void tb_log_ir(const IrBlock *b, const char *title)
{
    static char buf[1 << 20];
    ir_print(b, buf, sizeof(buf));
    fprintf(tb_log, "%s:\n%s\n", title, buf);
}

/* Keep only the first guest instruction of b (before optimisation): the block then sets cc_op/EIP as at the start
 * of the second instruction and exits. Branches of the first instruction to labels it does not define can only
 * target the start of the second instruction, so those labels are placed on the exit. */
static void tb_truncate_to_one(IrBlock *b)
{
    if (b->ninsns <= 1)
        return;
    int cut = b->insn_op[1];
    static uint8_t defined[65536];
    for (int i = 0; i < cut; i++)
        if (b->ops[i].op == IR_LABEL)
            defined[b->ops[i].aux] = 1;
    b->nops = cut;
    for (int i = 0; i < cut; i++) {
        uint8_t op = b->ops[i].op;
        if ((op == IR_BR || op == IR_BRCOND || op == IR_BRCOND_I) && !defined[b->ops[i].aux]) {
            defined[b->ops[i].aux] = 1;
            ir_set_label(b, b->ops[i].aux);
        }
    }
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].op == IR_LABEL)
            defined[b->ops[i].aux] = 0;
    if (b->insn_ccop[1] != CC_OP_DYNAMIC) {
        IrOp *o = ir_emit(b, IR_MOVI);
        o->d = G_CC_OP;
        o->imm = b->insn_ccop[1];
    }
    IrOp *o = ir_emit(b, IR_MOVI);
    o->d = G_EIP;
    o->imm = b->insn_eip[1];
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    b->ninsns = 1;
}

/* Is the block's last instruction a repeated string instruction (it may exit early, EIP still on itself)? */
static bool tb_last_is_rep(CpuState *env, const TB *tb)
{
    uint8_t buf[15];
    X86Insn in;
    uint32_t eip = tb->insn_eip[tb->ninsns - 1];
    int n = mmu_fetch_code(env, tb->cs_base + eip, buf, (int)sizeof(buf), false, NULL);
    if (n <= 0 || x86_decode(buf, n, (tb->hflags & HF_CS32) != 0, eip, &in) != DEC_OK)
        return false;
    switch (in.op) {
    case X86_OP_MOVS: case X86_OP_CMPS: case X86_OP_STOS: case X86_OP_LODS: case X86_OP_SCAS: case X86_OP_INS:
    case X86_OP_OUTS:
        return (in.prefixes & (PFX_REP | PFX_REPNE)) != 0;
    default:
        return false;
    }
}

/* Physical address of the page holding linear lin for a fetch, without raising; false if it cannot be fetched. */
static bool tb_code_phys(CpuState *env, uint32_t lin, uint32_t *pa)
{
    return mmu_code_phys(env, lin, pa);
}

static TB *tb_alloc(TbCache *tc, const IrBlock *b)
{
    if (tc->npool >= TB_POOL_SIZE)
        return NULL;
    size_t need = b->nops * sizeof(IrOp) + b->ninsns * (sizeof(uint16_t) + sizeof(uint32_t) + sizeof(uint8_t)) + 32;
    if (tc->arena_used + need > TB_ARENA_SIZE)
        return NULL;
    TB *tb = &tc->pool[tc->npool++];
    memset(tb, 0, sizeof(*tb));
    tb->ops = tb_arena_alloc(tc, b->nops * sizeof(IrOp));
    tb->insn_eip = tb_arena_alloc(tc, b->ninsns * sizeof(uint32_t));
    tb->insn_op = tb_arena_alloc(tc, b->ninsns * sizeof(uint16_t));
    tb->insn_ccop = tb_arena_alloc(tc, b->ninsns);
    memcpy(tb->ops, b->ops, b->nops * sizeof(IrOp));
    memcpy(tb->insn_eip, b->insn_eip, b->ninsns * sizeof(uint32_t));
    memcpy(tb->insn_op, b->insn_op, b->ninsns * sizeof(uint16_t));
    memcpy(tb->insn_ccop, b->insn_ccop, b->ninsns);
    tb->nops = (uint16_t)b->nops;
    tb->ninsns = (uint16_t)b->ninsns;
    return tb;
}

TB *tb_translate(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags)
{
    tb_cache_init(env);
    TbCache *tc = env->tbs;
    IrBlock *b = tc->irb;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint32_t size = 0, page2 = ~0u, phys_pc = 0;
    bool single = tc->single_next;
    tc->single_next = false;
    xlat_block(env, b, pc, cs_base, hflags, &size, &page2);   /* raises the first instruction's fetch fault */
    if (single && b->ninsns > 1) {
        size = b->insn_eip[1] - pc;
        tb_truncate_to_one(b);
    }
    if (tb_log_mask & LOG_IN_ASM)
        tb_log_in_asm(env, pc, cs_base, hflags, size);
    if (tb_log_mask & LOG_IR)
        tb_log_ir(b, "IR");
    ir_optimize(b);
    if (tb_log_mask & LOG_IR_OPT)
        tb_log_ir(b, "IR after optimisation");
    if (!tb_code_phys(env, cs_base + pc, &phys_pc))
        phys_pc = ~0u;    /* cannot happen after a successful xlat_block; keeps the TB unreachable if it does */
    TB *tb = tb_alloc(tc, b);
    if (!tb) {
        tb_flush_all(env);
        tb = tb_alloc(tc, b);
        if (!tb) {
            fprintf(stderr, "pcjit: a block does not fit in an empty translation cache\n");
            abort();
        }
    }
    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->phys_pc = phys_pc;
    tb->phys_page2 = page2 == ~0u ? ~0u : page2 & TARGET_PAGE_MASK;
    tb->hflags = hflags & HF_TB_KEY_MASK;
    tb->size = size;
    tb->rep_last = tb_last_is_rep(env, tb);
    if (single || phys_pc == ~0u) {
        tb->invalid = true;     /* a one-off block: never in the hash, on a page list, or chained */
    } else {
        uint32_t h = tb_hash(phys_pc, pc, cs_base, tb->hflags);
        tb->hash_next = tc->hash[h];
        tc->hash[h] = tb;
        tb_page_add(env, tb, 0, phys_pc);
        if (tb->phys_page2 != ~0u)
            tb_page_add(env, tb, 1, tb->phys_page2);
    }
    exec_stats.tbs_translated++;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    exec_stats.translate_seconds += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    return tb;
}

/* Is tb, found for (pc, cs_base, key) at physical phys_pc, runnable under the current CS limit and mappings? */
static bool tb_valid_here(CpuState *env, const TB *tb, uint32_t pc, uint32_t cs_base, uint32_t key, uint32_t phys_pc)
{
    if (tb->invalid || tb->phys_pc != phys_pc || tb->pc != pc || tb->cs_base != cs_base || tb->hflags != key)
        return false;
    if (tb->size && pc + tb->size - 1 > env->seg[SEG_CS].hi)
        return false;   /* the CS limit shrank below the block's end */
    if (tb->phys_page2 != ~0u) {
        uint32_t lin2 = ((cs_base + pc) & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE, pa2;
        if (!tb_code_phys(env, lin2, &pa2) || (pa2 & TARGET_PAGE_MASK) != tb->phys_page2)
            return false;
    }
    return true;
}

static inline uint32_t tb_jmp_index(uint32_t lin)
{
    return (lin ^ (lin >> 12)) & (TB_JMP_CACHE - 1);
}

/* The jump cache's TB for linear pc if it is still valid here (see TbCache.jmp_cache), else NULL. */
static inline TB *tb_jmp_cache_get(CpuState *env, TbCache *tc, uint32_t lin, uint32_t pc, uint32_t cs_base,
                                   uint32_t key)
{
    uint32_t i = tb_jmp_index(lin);
    TB *tb = tc->jmp_cache[i].tb;
    if (tb && tc->jmp_cache[i].gen == env->tlb_gen && tb->pc == pc && tb->cs_base == cs_base && tb->hflags == key &&
        !tb->invalid && (!tb->size || pc + tb->size - 1 <= env->seg[SEG_CS].hi))
        return tb;
    return NULL;
}

/* Record that an association for code at linear lin now exists (see CpuState.code_pages). */
static void tb_mark_code_page(CpuState *env, uint32_t lin)
{
    if (mmu_code_page_small(env, lin)) {
        uint32_t p = (lin >> TARGET_PAGE_BITS) & (CODE_PAGE_BITS - 1);
        env->code_pages[p / 64] |= 1ull << (p % 64);
    } else {
        uint32_t r = lin >> 22;
        env->code_large[r / 64] |= 1ull << (r % 64);
    }
}

static inline void tb_jmp_cache_set(CpuState *env, TbCache *tc, uint32_t lin, TB *tb)
{
    uint32_t i = tb_jmp_index(lin);
    tb_mark_code_page(env, lin);
    if (tb->phys_page2 != ~0u)
        tb_mark_code_page(env, (lin & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE);
    tc->jmp_cache[i].tb = tb;
    tc->jmp_cache[i].gen = env->tlb_gen;
}

/* The hash table's TB for (pc, cs_base, key) at physical phys_pc, or NULL. */
static TB *tb_hash_find(CpuState *env, TbCache *tc, uint32_t pc, uint32_t cs_base, uint32_t key, uint32_t phys_pc)
{
    for (TB *tb = tc->hash[tb_hash(phys_pc, pc, cs_base, key)]; tb; tb = tb->hash_next)
        if (tb_valid_here(env, tb, pc, cs_base, key, phys_pc))
            return tb;
    return NULL;
}

/* A cached TB for (pc, cs_base, hflags) at the current mappings, or NULL (nothing cached, or the next block must
 * be translated afresh: single_next). Never translates, never raises: generated code calls it (jit_chain_lookup). */
TB *tb_lookup(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags)
{
    TbCache *tc = env->tbs;
    uint32_t phys_pc, key = hflags & HF_TB_KEY_MASK, lin = cs_base + pc;
    if (tc->single_next)
        return NULL;
    TB *tb = tb_jmp_cache_get(env, tc, lin, pc, cs_base, key);
    if (tb)
        return tb;
    if (!tb_code_phys(env, lin, &phys_pc) || !(tb = tb_hash_find(env, tc, pc, cs_base, key, phys_pc)))
        return NULL;
    tb_jmp_cache_set(env, tc, lin, tb);
    return tb;
}

/* A cached TB for (pc, cs_base, hflags) at the current mappings, or a new translation. May raise (fetch fault). */
TB *tb_find(CpuState *env, uint32_t pc, uint32_t cs_base, uint32_t hflags)
{
    exec_stats.tb_lookups++;
    TB *tb = tb_lookup(env, pc, cs_base, hflags);
    if (tb)
        return tb;
    tb = tb_translate(env, pc, cs_base, hflags);
    if (!tb->invalid)
        tb_jmp_cache_set(env, env->tbs, cs_base + pc, tb);   /* (after a flush that tb_translate may have run) */
    return tb;
}

void tb_restore_state(CpuState *env, const TB *tb, uint32_t op_index)
{
    int i = tb_find_insn(tb, op_index);
    env->t[G_EIP] = tb->insn_eip[i];
    if (tb->insn_ccop[i] != CC_OP_DYNAMIC)
        env->t[G_CC_OP] = tb->insn_ccop[i];
}
