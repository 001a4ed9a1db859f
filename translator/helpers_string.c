/* helpers_string.c — runtime helpers for the string instructions MOVS CMPS STOS LODS SCAS INS OUTS, with and
 * without REP/REPE/REPNE (SDM vol 2 4.3 "REP/REPE/REPZ/REPNE/REPNZ", vol 1 7.3.9; INS/OUTS: vol 1 19.5).
 * Invariants:
 *   - every iteration does all its memory and port accesses before it updates ESI/EDI/ECX in env->t, so a fault in
 *     iteration k leaves the registers as after k-1 iterations, with EIP (stored by the translator's sync before
 *     the call, HLP_RW_GLOBALS) on the instruction: the handler returns to it and the instruction resumes;
 *   - the lazy flags of CMPS/SCAS are written only when the helper returns (a fault leaves the flags as before the
 *     instruction; the resumed iteration recomputes them);
 *   - a helper returns 1 when the instruction completed and 0 when it stopped early with ECX != 0 (env->
 *     exit_request was set, a data breakpoint hit, or its iteration budget ran out): the translated code then
 *     leaves the block with EIP on the instruction, so interrupts and #DB traps come between iterations as on
 *     hardware and no run blocks the exec loop.
 *     At least one iteration is done per call, so a REP always makes progress;
 *   - a zero count does nothing: no access, no I/O permission check, flags unchanged.
 * Fast path: REP MOVS / STOS / CMPS / SCAS (either direction) work up to a page at a time through host pointers
 * wherever the TLB would let the interpreter's inline access reach host memory directly (RAM; ROM to read; for
 * writes, no translated code on the page). Every segment, page and type check of the chunk's first element is done
 * first, in the order the element loop would do them; the chunk is cut at the segment limits, the offset wrap
 * (64 KiB or 4 GiB) and the page ends. Everything else (MMIO, code pages, PAE frames above 4 GiB, elements that
 * cross a page) goes element by element through mmu_ld/mmu_st.
 * Left out: the descriptor word is defined in helpers_string.h; I/O permission is io_check_permission (sys.h);
 * data breakpoints need nothing here but the stop: the MMU keeps watched pages off the TLB fast path, so they take
 * the element loop, where mmu_ld/mmu_st record the hits (dr6_pending). */
#include <stddef.h>
#include <string.h>
#include "helpers.h"
#include "helpers_string.h"
#include "mmu.h"
#include "sys.h"
#include "bus.h"

/* Work one call may do before it returns to let the exec loop look at time, devices and its instruction limit
 * (each return counts as one more instruction there, so this also bounds the host time per counted instruction):
 * element-by-element iterations (slow: MMIO, unassigned memory, checked pages) and page chunks (fast). */
enum { STR_STEP_BUDGET = 1024, STR_CHUNK_BUDGET = 256 };

typedef struct StrCtx {
    CpuState *env;
    uint32_t desc;
    int size;               /* 1, 2, 4 */
    uint32_t vmask;         /* value mask of one element */
    uint32_t amask;         /* 0xFFFF (16-bit addressing) or 0xFFFFFFFF */
    int src_seg;
    int aux_src, aux_dst;   /* IRM_* for mmu_ld/mmu_st */
    int mmu_idx;
    uint32_t delta;         /* +size or -size (mod 2^32) */
    uint32_t slow_left;     /* elements to do one by one before trying the fast path again */
    bool cc_valid;          /* CMPS/SCAS: cc_* hold the flags of the last completed iteration */
    bool stop;              /* a chunk ended the run (REPE/REPNE condition met) */
    uint32_t cc_dst, cc_src, cc_src2;
} StrCtx;

static void str_init(StrCtx *c, CpuState *env, uint32_t desc)
{
    bool user = (env->hflags & HF_CPL_MASK) == 3;
    memset(c, 0, sizeof(*c));
    c->env = env;
    c->desc = desc;
    c->size = desc & STR_SIZE_MASK;
    c->vmask = c->size == 4 ? 0xffffffffu : (1u << (8 * c->size)) - 1;
    c->amask = (desc & STR_A32) ? 0xffffffffu : 0xffffu;
    c->src_seg = (desc & STR_SEG_MASK) >> STR_SEG_SHIFT;
    if (c->src_seg > SEG_GS)
        c->src_seg = SEG_DS;
    c->mmu_idx = user ? MMU_USER : MMU_KERNEL;
    c->aux_src = c->src_seg | IRM_CHECK | (user ? IRM_USER : 0);
    c->aux_dst = SEG_ES | IRM_CHECK | (user ? IRM_USER : 0);
    c->delta = (env->t[G_EFLAGS] & F_DF) ? 0u - (uint32_t)c->size : (uint32_t)c->size;
}

static inline uint32_t str_get(const StrCtx *c, int reg) { return c->env->t[reg] & c->amask; }

static inline void str_put(StrCtx *c, int reg, uint32_t v)
{
    c->env->t[reg] = (c->env->t[reg] & ~c->amask) | (v & c->amask);
}

/* Flags of CMPS/SCAS: a - b as SUB sets them (SDM vol 2 CMPS). Returns true if a REPE/REPNE run stops here. */
static bool str_set_sub(StrCtx *c, uint32_t a, uint32_t b)
{
    uint32_t r = (a - b) & c->vmask;
    c->cc_valid = true;
    c->cc_dst = r;
    c->cc_src = b;
    c->cc_src2 = a;
    if (!(c->desc & STR_REP))
        return false;
    return (c->desc & STR_REPNE) ? r == 0 : r != 0;   /* REPNE stops on ZF=1, REPE on ZF=0 */
}

static void str_flush_cc(StrCtx *c)
{
    CpuState *env = c->env;
    if (!c->cc_valid)
        return;
    env->t[G_CC_OP] = (c->size == 1 ? CC_OP_SUBB : c->size == 2 ? CC_OP_SUBW : CC_OP_SUBL);
    env->t[G_CC_DST] = c->cc_dst;
    env->t[G_CC_SRC] = c->cc_src;
    env->t[G_CC_SRC2] = c->cc_src2;
}

/* ---- one iteration of each instruction: accesses first, then the index registers ---- */

static bool movs_step(StrCtx *c)
{
    uint32_t si = str_get(c, G_ESI), di = str_get(c, G_EDI);
    uint32_t v = mmu_ld(c->env, si, c->size, c->aux_src);
    mmu_st(c->env, di, v, c->size, c->aux_dst);
    str_put(c, G_ESI, si + c->delta);
    str_put(c, G_EDI, di + c->delta);
    return false;
}

static bool stos_step(StrCtx *c)
{
    uint32_t di = str_get(c, G_EDI);
    mmu_st(c->env, di, c->env->t[G_EAX] & c->vmask, c->size, c->aux_dst);
    str_put(c, G_EDI, di + c->delta);
    return false;
}

static bool lods_step(StrCtx *c)
{
    uint32_t si = str_get(c, G_ESI);
    uint32_t v = mmu_ld(c->env, si, c->size, c->aux_src);
    c->env->t[G_EAX] = (c->env->t[G_EAX] & ~c->vmask) | v;
    str_put(c, G_ESI, si + c->delta);
    return false;
}

static bool cmps_step(StrCtx *c)
{
    uint32_t si = str_get(c, G_ESI), di = str_get(c, G_EDI);
    uint32_t a = mmu_ld(c->env, si, c->size, c->aux_src);
    uint32_t b = mmu_ld(c->env, di, c->size, c->aux_dst);
    str_put(c, G_ESI, si + c->delta);
    str_put(c, G_EDI, di + c->delta);
    return str_set_sub(c, a, b);
}

static bool scas_step(StrCtx *c)
{
    uint32_t di = str_get(c, G_EDI);
    uint32_t b = mmu_ld(c->env, di, c->size, c->aux_dst);
    str_put(c, G_EDI, di + c->delta);
    return str_set_sub(c, c->env->t[G_EAX] & c->vmask, b);
}

static uint32_t str_port_read(CpuState *env, uint32_t port, int size)
{
    return env->machine ? bus_io_read(env->machine, port, size) : (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

/* INS: the destination is checked (segment and page, for writing) before the port is read, so a fault does not
 * lose a device read that has side effects (SDM vol 2 INS: the store is what faults). */
static bool ins_step(StrCtx *c)
{
    CpuState *env = c->env;
    uint32_t di = str_get(c, G_EDI);
    seg_check_access(env, SEG_ES, di, c->size, true);
    mmu_probe_write(env, env->seg[SEG_ES].base + di, c->size, c->mmu_idx);
    uint32_t v = str_port_read(env, env->t[G_EDX] & 0xffff, c->size);
    mmu_st(env, di, v, c->size, c->aux_dst);
    str_put(c, G_EDI, di + c->delta);
    return false;
}

static bool outs_step(StrCtx *c)
{
    CpuState *env = c->env;
    uint32_t si = str_get(c, G_ESI);
    uint32_t v = mmu_ld(env, si, c->size, c->aux_src);
    if (env->machine)
        bus_io_write(env->machine, env->t[G_EDX] & 0xffff, v, c->size);
    str_put(c, G_ESI, si + c->delta);
    return false;
}

/* ---- the fast path for REP MOVS / REP STOS ---- */

/* How many of the next n elements, starting at offset off and moving by delta, lie inside seg's valid offsets,
 * without wrapping the offset (64 KiB for 16-bit addressing, 4 GiB for 32-bit), and in the page of the first one.
 * 0 if the first one is not entirely there (the element loop then raises whatever fault it causes). */
static uint32_t str_fit(const StrCtx *c, int seg, uint32_t off, uint32_t n)
{
    const SegCache *s = &c->env->seg[seg];
    uint32_t size = (uint32_t)c->size;
    uint32_t in_page = (s->base + off) & ~TARGET_PAGE_MASK;
    uint64_t fit;
    if (s->lo > s->hi || off < s->lo || (uint64_t)off + size - 1 > s->hi || in_page + size > TARGET_PAGE_SIZE ||
        (uint64_t)off + size - 1 > c->amask)
        return 0;
    if (c->delta == size) {
        uint64_t end = (uint64_t)s->hi + 1;
        if (end > (uint64_t)c->amask + 1)
            end = (uint64_t)c->amask + 1;
        if ((uint64_t)off + (TARGET_PAGE_SIZE - in_page) < end)
            end = (uint64_t)off + (TARGET_PAGE_SIZE - in_page);
        fit = (end - off) / size;
    } else {
        /* descending: down to the page start, the segment's lowest offset and offset 0 */
        uint32_t low = off >= in_page ? off - in_page : 0;
        if (low < s->lo)
            low = s->lo;
        fit = (off - low) / size + 1;
    }
    return fit < n ? (uint32_t)fit : n;
}

/* Translate the linear address of a chunk's first element (raising its #PF) and return the host pointer for it
 * when the fast path may use it: exactly when the TLB entry just filled would let the interpreter's inline access
 * go straight to host memory (tag == page: RAM, or ROM to read; for writes no translated code on the page). MMIO,
 * code pages and PAE frames above 4 GiB carry routing bits or attributes that send them to mmu_ld/mmu_st, and so
 * the chunk goes down the element loop. The TLB is direct-mapped by page number (interp.c, mmu.c). */
static uint8_t *str_host(CpuState *env, uint32_t lin, int mmu_idx, bool write)
{
    mmu_translate(env, lin, write ? MMU_ACC_WRITE : MMU_ACC_READ, mmu_idx);
    const TlbEntry *e = &env->tlb[mmu_idx][(lin >> TARGET_PAGE_BITS) & (TLB_SIZE - 1)];
    uint32_t tag = write ? e->tag_write : e->tag_read;
    if (tag != (lin & TARGET_PAGE_MASK) || (e->attrs & TLBA_UNASSIGNED))
        return NULL;
    return (uint8_t *)(e->addend + lin);
}

/* Copy the n elements [s, s+bytes) to [d, d+bytes) exactly as the element loop would, in direction up (ascending)
 * or down (descending). Where no element reads a byte an earlier element wrote that is memmove; when the
 * destination overlaps the source on the side the loop moves towards, the loop replicates the first elements, and
 * so must we. */
static void str_copy(uint8_t *d, const uint8_t *s, uint32_t bytes, int size, bool up)
{
    uintptr_t du = (uintptr_t)d, su = (uintptr_t)s;
    bool hazard = up ? (du > su && du < su + bytes) : (du < su && du + bytes > su);
    if (!hazard) {
        memmove(d, s, bytes);
        return;
    }
    if (up) {
        for (uint32_t i = 0; i < bytes; i += (uint32_t)size)
            memmove(d + i, s + i, (size_t)size);
    } else {
        for (uint32_t i = bytes; i > 0; i -= (uint32_t)size)
            memmove(d + i - size, s + i - size, (size_t)size);
    }
}

/* Fill bytes with the little-endian element value v of size bytes (bytes is a multiple of size). */
static void str_fill(uint8_t *d, uint32_t v, uint32_t bytes, int size)
{
    if (size == 1) {
        memset(d, (int)(v & 0xff), bytes);
        return;
    }
    uint8_t pat[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    memcpy(d, pat, (size_t)size);
    for (uint32_t done = (uint32_t)size; done < bytes;) {
        uint32_t n = done < bytes - done ? done : bytes - done;
        memcpy(d + done, d, n);   /* doubling: [0, done) already holds the pattern */
        done += n;
    }
}

static uint32_t movs_chunk(StrCtx *c, uint32_t cnt)
{
    CpuState *env = c->env;
    bool up = c->delta == (uint32_t)c->size;
    if (cnt < 2)
        return 0;
    uint32_t si = str_get(c, G_ESI), di = str_get(c, G_EDI);
    uint32_t n = str_fit(c, SEG_ES, di, str_fit(c, c->src_seg, si, cnt));
    if (n < 2)
        return 0;
    /* the first element's checks, in the element loop's order: source segment, source page, then destination */
    seg_check_access(env, c->src_seg, si, c->size, false);
    const uint8_t *hs = str_host(env, env->seg[c->src_seg].base + si, c->mmu_idx, false);
    seg_check_access(env, SEG_ES, di, c->size, true);
    uint8_t *hd = str_host(env, env->seg[SEG_ES].base + di, c->mmu_idx, true);
    if (!hs || !hd) {
        c->slow_left = n;   /* MMIO, ROM or code on these pages: element by element up to their end */
        return 0;
    }
    uint32_t bytes = n * (uint32_t)c->size, back = up ? 0 : bytes - (uint32_t)c->size;
    str_copy(hd - back, hs - back, bytes, c->size, up);
    str_put(c, G_ESI, si + n * c->delta);
    str_put(c, G_EDI, di + n * c->delta);
    return n;
}

static uint32_t stos_chunk(StrCtx *c, uint32_t cnt)
{
    CpuState *env = c->env;
    bool up = c->delta == (uint32_t)c->size;
    if (cnt < 2)
        return 0;
    uint32_t di = str_get(c, G_EDI);
    uint32_t n = str_fit(c, SEG_ES, di, cnt);
    if (n < 2)
        return 0;
    seg_check_access(env, SEG_ES, di, c->size, true);
    uint8_t *hd = str_host(env, env->seg[SEG_ES].base + di, c->mmu_idx, true);
    if (!hd) {
        c->slow_left = n;
        return 0;
    }
    uint32_t bytes = n * (uint32_t)c->size, back = up ? 0 : bytes - (uint32_t)c->size;
    str_fill(hd - back, env->t[G_EAX] & c->vmask, bytes, c->size);
    str_put(c, G_EDI, di + n * c->delta);
    return n;
}

static uint32_t str_host_ld(const uint8_t *p, int size)
{
    uint32_t v = p[0];
    if (size > 1)
        v |= (uint32_t)p[1] << 8;
    if (size > 2)
        v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return v;
}

/* REPE/REPNE CMPS and SCAS over host pointers: compares up to n elements (a = NULL: against AL/AX/EAX), stops at
 * the first one that ends the run (REPE: unequal, REPNE: equal); the flags are those of the last compared pair.
 * Returns how many elements were compared. */
static uint32_t str_scan(StrCtx *c, const uint8_t *a, const uint8_t *b, uint32_t n)
{
    bool up = c->delta == (uint32_t)c->size, repne = (c->desc & STR_REPNE) != 0;
    uint32_t acc = c->env->t[G_EAX] & c->vmask, x = 0, y = 0, i;
    for (i = 0; i < n; i++) {
        ptrdiff_t o = (ptrdiff_t)i * c->size;
        if (!up)
            o = -o;
        x = a ? str_host_ld(a + o, c->size) : acc;
        y = str_host_ld(b + o, c->size);
        if ((x == y) == repne) {
            i++;
            break;
        }
    }
    c->stop = str_set_sub(c, x, y);
    return i;
}

static uint32_t cmps_chunk(StrCtx *c, uint32_t cnt)
{
    CpuState *env = c->env;
    if (cnt < 2)
        return 0;
    uint32_t si = str_get(c, G_ESI), di = str_get(c, G_EDI);
    uint32_t n = str_fit(c, SEG_ES, di, str_fit(c, c->src_seg, si, cnt));
    if (n < 2)
        return 0;
    seg_check_access(env, c->src_seg, si, c->size, false);
    const uint8_t *hs = str_host(env, env->seg[c->src_seg].base + si, c->mmu_idx, false);
    seg_check_access(env, SEG_ES, di, c->size, false);
    const uint8_t *hd = str_host(env, env->seg[SEG_ES].base + di, c->mmu_idx, false);
    if (!hs || !hd) {
        c->slow_left = n;   /* MMIO: device reads one by one, in order */
        return 0;
    }
    n = str_scan(c, hs, hd, n);
    str_put(c, G_ESI, si + n * c->delta);
    str_put(c, G_EDI, di + n * c->delta);
    return n;
}

static uint32_t scas_chunk(StrCtx *c, uint32_t cnt)
{
    CpuState *env = c->env;
    if (cnt < 2)
        return 0;
    uint32_t di = str_get(c, G_EDI);
    uint32_t n = str_fit(c, SEG_ES, di, cnt);
    if (n < 2)
        return 0;
    seg_check_access(env, SEG_ES, di, c->size, false);
    const uint8_t *hd = str_host(env, env->seg[SEG_ES].base + di, c->mmu_idx, false);
    if (!hd) {
        c->slow_left = n;
        return 0;
    }
    n = str_scan(c, NULL, hd, n);
    str_put(c, G_EDI, di + n * c->delta);
    return n;
}

/* ---- the REP driver ---- */

typedef bool (*StrStepFn)(StrCtx *c);
typedef uint32_t (*StrChunkFn)(StrCtx *c, uint32_t cnt);

/* Runs iterations while the counter (CX or ECX) is nonzero. Returns 1 when the instruction is complete, 0 when it
 * stopped early (see the file comment). */
static uint32_t str_rep_run(StrCtx *c, StrStepFn step, StrChunkFn chunk)
{
    CpuState *env = c->env;
    /* single-step (TF): one iteration per trap, EIP back on the instruction while iterations remain (the trace
     * trap of a repeated string instruction, as on every x86 since the 8086) */
    uint32_t steps = (env->hflags & HF_TF) ? 1 : STR_STEP_BUDGET, chunks = STR_CHUNK_BUDGET;
    if (env->hflags & HF_TF)
        chunk = NULL;
    for (;;) {
        uint32_t cnt = str_get(c, G_ECX);
        if (cnt == 0)
            return 1;
        uint32_t n = (chunk && c->slow_left == 0) ? chunk(c, cnt) : 0;
        bool stop = c->stop;
        if (n > 0) {
            chunks--;
        } else {
            stop = step(c);
            n = 1;
            steps--;
            if (c->slow_left)
                c->slow_left--;
        }
        str_put(c, G_ECX, cnt - n);
        if (stop || cnt == n)
            return 1;
        /* a data breakpoint hit by this iteration: #DB after it, with EIP still on the instruction (SDM vol 3
         * 17.3.1.2: repeated string instructions trap after the iteration). Watched pages never take a chunk. */
        if (steps == 0 || chunks == 0 || env->exit_request || env->dr6_pending)
            return 0;
    }
}

static uint32_t str_run(CpuState *env, uint32_t desc, StrStepFn step, StrChunkFn chunk)
{
    StrCtx c;
    str_init(&c, env, desc);
    if (!(desc & STR_REP)) {
        step(&c);
        str_flush_cc(&c);
        return 1;
    }
    uint32_t r = str_rep_run(&c, step, chunk);
    str_flush_cc(&c);
    return r;
}

uint32_t helper_string_movs(CpuState *env, uint32_t desc) { return str_run(env, desc, movs_step, movs_chunk); }
uint32_t helper_string_stos(CpuState *env, uint32_t desc) { return str_run(env, desc, stos_step, stos_chunk); }
uint32_t helper_string_lods(CpuState *env, uint32_t desc) { return str_run(env, desc, lods_step, NULL); }
uint32_t helper_string_cmps(CpuState *env, uint32_t desc) { return str_run(env, desc, cmps_step, cmps_chunk); }
uint32_t helper_string_scas(CpuState *env, uint32_t desc) { return str_run(env, desc, scas_step, scas_chunk); }

/* INS/OUTS: the I/O permission check (IOPL, then the TSS bitmap) precedes the first access; with REP and a zero
 * count nothing is checked (the count test comes first, SDM vol 2 REP operation). */
static uint32_t str_run_io(CpuState *env, uint32_t desc, StrStepFn step)
{
    StrCtx c;
    str_init(&c, env, desc);
    if ((desc & STR_REP) && str_get(&c, G_ECX) == 0)
        return 1;
    io_check_permission(env, env->t[G_EDX] & 0xffff, c.size);
    if (!(desc & STR_REP)) {
        step(&c);
        return 1;
    }
    return str_rep_run(&c, step, NULL);
}

uint32_t helper_string_ins(CpuState *env, uint32_t desc) { return str_run_io(env, desc, ins_step); }
uint32_t helper_string_outs(CpuState *env, uint32_t desc) { return str_run_io(env, desc, outs_step); }
