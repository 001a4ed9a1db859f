/* mmu.c — the software MMU: segment checks, the TLB, the 2-level / PAE page walk with A/D bits, and the
 * guest memory accessors used by the interpreter, the helpers and the translator (code fetch).
 * Invariants:
 *  - a TLB entry is filled only after a walk that succeeded for the access and set A (and D for writes) exactly as
 *    the hardware does (SDM vol 3 4.8: an entry "used as part of linear-address translation" gets A): a PDE that
 *    references a page table gets A as soon as the walk goes through it (present, no reserved bit), even if the
 *    PTE then faults, as on real processors (kvm-unit-tests x86/access.c models the same); the entry that maps
 *    the page (PTE, or PDE with PS) gets A, and D on a write, only when the access is allowed; a fault at the first
 *    level writes nothing;
 *  - tag_write matches only pages that are writable for that mmu index, already dirty, RAM, and hold no TBs;
 *    MMIO/ROM pages carry TLB_MMIO, code pages TLB_NOTDIRTY, so those stores always reach the slow path here;
 *  - every physical address goes through env->a20_mask;
 *  - an access that crosses a page translates both pages before touching either (no partial stores), and a store
 *    to a page holding TBs invalidates them BEFORE the bytes change (tb_invalidate_for_store).
 * Left out: MTRR/PAT memory types, SMEP/SMAP/PKU, 4-level paging (not on a P6), the paging-structure caches
 * (we never cache PDEs, so MOV CR3/INVLPG only need to flush the TLB). */
#include <string.h>
#include "mmu.h"
#include "exec.h"
#include "bus.h"

/* Paging-structure entry bits (SDM vol 3 4.3, 4.4). */
enum {
    PG_P = 1 << 0, PG_RW = 1 << 1, PG_US = 1 << 2, PG_A = 1 << 5, PG_D = 1 << 6, PG_PS = 1 << 7, PG_G = 1 << 8,
};
#define PG_NX (1ull << 63)
#define EFER_NXE (1ull << 11)
/* #PF error code bits (SDM vol 3 4.7) */
enum { PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16 };
/* PAE: MAXPHYADDR 36 (P6 with PAE). Bits 62:36 are reserved in every entry, bit 63 too unless EFER.NXE. */
#define PAE_RSVD_HIGH 0x7ffffff000000000ull
#define PAE_ADDR_MASK 0x0000000ffffff000ull
/* 32-bit paging 4-MByte page without PSE-36: bits 21:13 are reserved (SDM vol 3 table 4-4). */
#define PSE_RSVD_4M 0x003fe000u
/* PAE 2-MByte page: bits 20:13 are reserved (SDM vol 3 table 4-9). */
#define PAE_RSVD_2M 0x001fe000ull

/* Result of a successful walk for one access. */
typedef struct PageWalk {
    uint64_t paddr;     /* physical address of the 4 KiB frame holding lin (may be >= 4 GiB under PAE) */
    bool write_ok;      /* later writes by this mmu index may use the fast path (allowed and D already set) */
    bool exec_ok;
    uint32_t attrs;     /* TLBA_GLOBAL, TLBA_LARGE_* */
} PageWalk;

/* ---- physical access for the walker (page-table entries may live anywhere, even in MMIO) ---- */

static uint32_t phys_ld32(CpuState *env, uint32_t pa)
{
    pa &= env->a20_mask;
    if (env->machine)
        return bus_phys_read(env->machine, pa, 4);
    if (pa < env->ram_size && env->ram_size - pa >= 4) {
        uint32_t v;
        memcpy(&v, env->ram + pa, 4);
        return v;
    }
    return 0xffffffffu;
}

static uint64_t phys_ld64(CpuState *env, uint64_t pa)
{
    if (pa >= 0x100000000ull)
        return ~0ull;   /* above 4 GiB nothing is assigned: reads all ones */
    return phys_ld32(env, (uint32_t)pa) | (uint64_t)phys_ld32(env, (uint32_t)pa + 4) << 32;
}

/* Set bits in the low dword of a paging-structure entry (A/D updates). Code on that page is invalidated first. */
static void phys_set_bits(CpuState *env, uint64_t pa64, uint32_t bits)
{
    if (pa64 >= 0x100000000ull)
        return;
    uint32_t pa = (uint32_t)pa64 & env->a20_mask;
    uint32_t v = phys_ld32(env, pa);
    if ((v & bits) == bits)
        return;
    if (tb_page_has_code(env, pa))
        tb_invalidate_for_store(env, pa, 4);
    if (env->machine)
        bus_phys_write(env->machine, pa, v | bits, 4);
    else if (pa < env->ram_size && env->ram_size - pa >= 4) {
        v |= bits;
        memcpy(env->ram + pa, &v, 4);
    }
}

/* ---- the page walk (SDM vol 3 4.3 32-bit paging, 4.4 PAE paging) ---- */

/* Permission check common to both formats; rw/us are the AND over all levels, nx the OR. */
static int walk_check(CpuState *env, int acc, int mmu_idx, bool rw, bool us, bool nx, bool nxe)
{
    bool user = mmu_idx == MMU_USER;
    if (user && !us)
        return PF_P;
    if (acc == MMU_ACC_WRITE && !rw && (user || (env->cr0 & CR0_WP)))
        return PF_P;
    if (acc == MMU_ACC_EXEC && nx && nxe)
        return PF_P;
    return 0;
}

/* Returns 0 and fills *w, or the #PF error code's P/RSVD bits (the caller adds W/U/ID). */
static int walk_32(CpuState *env, uint32_t lin, int acc, int mmu_idx, PageWalk *w)
{
    uint32_t pde_pa = (env->cr3 & 0xfffff000u) | ((lin >> 20) & 0xffc);
    uint32_t pde = phys_ld32(env, pde_pa);
    if (!(pde & PG_P))
        return -1;
    bool large = (pde & PG_PS) && (env->cr4 & CR4_PSE);
    if (large) {
        if (pde & PSE_RSVD_4M)
            return PF_P | PF_RSVD;
        int err = walk_check(env, acc, mmu_idx, pde & PG_RW, pde & PG_US, false, false);
        if (err)
            return err;
        phys_set_bits(env, pde_pa, PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0));
        pde |= PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0);
        w->paddr = (pde & 0xffc00000u) | (lin & 0x3ff000u);
        w->write_ok = (pde & PG_D) && !walk_check(env, MMU_ACC_WRITE, mmu_idx, pde & PG_RW, pde & PG_US, 0, 0);
        w->exec_ok = true;
        w->attrs = TLBA_LARGE_4M | ((pde & PG_G) && (env->cr4 & CR4_PGE) ? TLBA_GLOBAL : 0);
        return 0;
    }
    phys_set_bits(env, pde_pa, PG_A);   /* the PDE is used to reach the PTE: A even if the PTE faults */
    uint32_t pte_pa = (pde & 0xfffff000u) | ((lin >> 10) & 0xffc);
    uint32_t pte = phys_ld32(env, pte_pa);
    if (!(pte & PG_P))
        return -1;
    bool rw = (pde & PG_RW) && (pte & PG_RW), us = (pde & PG_US) && (pte & PG_US);
    int err = walk_check(env, acc, mmu_idx, rw, us, false, false);
    if (err)
        return err;
    phys_set_bits(env, pte_pa, PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0));
    pte |= PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0);
    w->paddr = pte & 0xfffff000u;
    w->write_ok = (pte & PG_D) && !walk_check(env, MMU_ACC_WRITE, mmu_idx, rw, us, false, false);
    w->exec_ok = true;
    w->attrs = (pte & PG_G) && (env->cr4 & CR4_PGE) ? TLBA_GLOBAL : 0;
    return 0;
}

static int walk_pae(CpuState *env, uint32_t lin, int acc, int mmu_idx, PageWalk *w)
{
    bool nxe = env->efer & EFER_NXE;
    uint64_t rsvd = PAE_RSVD_HIGH | (nxe ? 0 : PG_NX);
    uint64_t pdpte = env->pdpte[lin >> 30];
    if (!(pdpte & PG_P))
        return -1;
    uint64_t pde_pa = (pdpte & PAE_ADDR_MASK) | ((lin >> 18) & 0xff8);
    uint64_t pde = phys_ld64(env, pde_pa);
    if (!(pde & PG_P))
        return -1;
    if (pde & rsvd)
        return PF_P | PF_RSVD;
    if (pde & PG_PS) {
        if (pde & PAE_RSVD_2M)
            return PF_P | PF_RSVD;
        int err = walk_check(env, acc, mmu_idx, pde & PG_RW, pde & PG_US, pde & PG_NX, nxe);
        if (err)
            return err;
        phys_set_bits(env, pde_pa, PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0));
        pde |= PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0);
        w->paddr = (pde & PAE_ADDR_MASK & ~0x1fffffull) | (lin & 0x1ff000u);
        w->write_ok = (pde & PG_D) && !walk_check(env, MMU_ACC_WRITE, mmu_idx, pde & PG_RW, pde & PG_US, 0, 0);
        w->exec_ok = !(nxe && (pde & PG_NX));
        w->attrs = TLBA_LARGE_2M | ((pde & PG_G) && (env->cr4 & CR4_PGE) ? TLBA_GLOBAL : 0);
        return 0;
    }
    phys_set_bits(env, pde_pa, PG_A);   /* used to reach the PTE: A even if the PTE faults */
    uint64_t pte_pa = (pde & PAE_ADDR_MASK) | ((lin >> 9) & 0xff8);
    uint64_t pte = phys_ld64(env, pte_pa);
    if (!(pte & PG_P))
        return -1;
    if (pte & rsvd)
        return PF_P | PF_RSVD;
    bool rw = (pde & PG_RW) && (pte & PG_RW), us = (pde & PG_US) && (pte & PG_US);
    bool nx = (pde & PG_NX) || (pte & PG_NX);
    int err = walk_check(env, acc, mmu_idx, rw, us, nx, nxe);
    if (err)
        return err;
    phys_set_bits(env, pte_pa, PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0));
    pte |= PG_A | (acc == MMU_ACC_WRITE ? PG_D : 0);
    w->paddr = pte & PAE_ADDR_MASK;
    w->write_ok = (pte & PG_D) && !walk_check(env, MMU_ACC_WRITE, mmu_idx, rw, us, false, false);
    w->exec_ok = !(nxe && nx);
    w->attrs = (pte & PG_G) && (env->cr4 & CR4_PGE) ? TLBA_GLOBAL : 0;
    return 0;
}

/* Walk for one access. Returns true and fills *w, or false with the complete #PF error code in *errp. */
static bool mmu_walk(CpuState *env, uint32_t lin, int acc, int mmu_idx, PageWalk *w, int *errp)
{
    int err = (env->cr4 & CR4_PAE) ? walk_pae(env, lin, acc, mmu_idx, w) : walk_32(env, lin, acc, mmu_idx, w);
    if (!err)
        return true;
    if (err < 0)
        err = 0;    /* not present: P = 0 */
    if (acc == MMU_ACC_WRITE)
        err |= PF_W;
    if (mmu_idx == MMU_USER)
        err |= PF_U;
    /* I/D is reported only with PAE paging and EFER.NXE (SDM vol 3 4.7) */
    if (acc == MMU_ACC_EXEC && (env->cr4 & CR4_PAE) && (env->efer & EFER_NXE))
        err |= PF_ID;
    *errp = err;
    return false;
}

/* ---- the TLB ---- */

static inline TlbEntry *tlb_entry(CpuState *env, int mmu_idx, uint32_t lin)
{
    return &env->tlb[mmu_idx][(lin >> TARGET_PAGE_BITS) & (TLB_SIZE - 1)];
}

/* The page part of a tag, ignoring the slow-path routing bits (TLB_INVALID stays, so it never matches). */
static inline uint32_t tag_page(uint32_t tag)
{
    return tag & ~(uint32_t)(TLB_MMIO | TLB_NOTDIRTY);
}

/* ---- data breakpoints and alignment checking (SDM vol 3 17.2.4, 6.15 #AC) ---- */

/* DR7 data breakpoint i: enabled (L or G) with R/W = 01 (write) or 11 (read/write). Length 1, 2, 8 (10b), 4. */
static bool dr_data_bp(uint32_t dr7, int i, uint32_t *len, bool *rw)
{
    uint32_t type = (dr7 >> (16 + 4 * i)) & 3;
    if (!((dr7 >> (2 * i)) & 3) || (type != 1 && type != 3))
        return false;
    static const uint32_t lens[4] = { 1, 2, 8, 4 };
    *len = lens[(dr7 >> (18 + 4 * i)) & 3];
    *rw = type == 3;
    return true;
}

static bool mmu_ac_active(const CpuState *env)
{
    return (env->cr0 & CR0_AM) && (env->t[G_EFLAGS] & F_AC) && (env->hflags & HF_CPL_MASK) == 3;
}

void mmu_sync_checks(CpuState *env)
{
    uint32_t dr7 = 0, dr[4] = { 0, 0, 0, 0 }, len;
    bool rw;
    for (int i = 0; i < 4; i++)
        if (dr_data_bp(env->dr[7], i, &len, &rw)) {
            dr7 |= env->dr[7] & ((3u << (2 * i)) | (15u << (16 + 4 * i)));
            dr[i] = env->dr[i];
        }
    bool ac = mmu_ac_active(env);
    if (dr7 == env->mmu_checks.dr7 && ac == env->mmu_checks.ac && !memcmp(dr, env->mmu_checks.dr, sizeof(dr)))
        return;
    env->mmu_checks.dr7 = dr7;
    memcpy(env->mmu_checks.dr, dr, sizeof(dr));
    env->mmu_checks.ac = ac;
    tlb_flush_all(env);
}

/* Must every access to this linear page go through the checks (under the state the TLB is filled for)? */
static bool mmu_page_checked(const CpuState *env, int mmu_idx, uint32_t page)
{
    uint32_t len;
    bool rw;
    if (mmu_idx == MMU_USER && env->mmu_checks.ac)
        return true;
    for (int i = 0; i < 4; i++)
        if (dr_data_bp(env->mmu_checks.dr7, i, &len, &rw)) {
            uint32_t a = env->mmu_checks.dr[i] & ~(len - 1);
            if ((a & TARGET_PAGE_MASK) == page || ((a + len - 1) & TARGET_PAGE_MASK) == page)
                return true;
        }
    return false;
}

/* #AC(0) for a misaligned CPL-3 access while CR0.AM and EFLAGS.AC are set (SDM vol 3 6.15, interrupt 17). */
static inline void mmu_check_align(CpuState *env, uint32_t lin, int size, int mmu_idx)
{
    if (mmu_idx == MMU_USER && (lin & (uint32_t)(size - 1)) && env->mmu_checks.ac && mmu_ac_active(env))
        cpu_raise_exception(env, EXC_AC, 0);
}

/* Data breakpoints hit by [lin, lin+size): recorded for the #DB trap after the instruction. Runs before the
 * access; if the running block has more instructions it first unwinds so the instruction re-runs alone. */
static void mmu_check_watch(CpuState *env, uint32_t lin, int size, bool write)
{
    uint32_t hits = 0, len;
    bool rw;
    for (int i = 0; i < 4; i++)
        if (dr_data_bp(env->dr[7], i, &len, &rw) && (write || rw)) {
            uint64_t a = env->dr[i] & ~(len - 1);
            if ((uint64_t)lin < a + len && a < (uint64_t)lin + (uint64_t)size)
                hits |= 1u << i;
        }
    if (!hits)
        return;
    tb_stop_after_insn(env);
    env->dr6_pending |= hits;
}

static void tlb_invalidate_entry(TlbEntry *e);

/* The access's tag of an entry (read, write or code). */
static inline uint32_t tlb_tag(const TlbEntry *e, int acc)
{
    return acc == MMU_ACC_WRITE ? e->tag_write : acc == MMU_ACC_EXEC ? e->tag_code : e->tag_read;
}

/* On a miss in tlb[]: if the victim TLB holds this page for this access, swap it into tlb[] (the displaced entry
 * takes its place) and return true. */
static bool tlb_victim_lookup(CpuState *env, int mmu_idx, uint32_t lin, int acc)
{
    uint32_t page = lin & TARGET_PAGE_MASK;
    for (int i = 0; i < TLB_VICTIM; i++) {
        TlbEntry *v = &env->tlb_victim[mmu_idx][i];
        if (tag_page(tlb_tag(v, acc)) == page && !(v->attrs & TLBA_UNASSIGNED)) {
            TlbEntry *e = tlb_entry(env, mmu_idx, lin), t = *e;
            *e = *v;
            *v = t;
            exec_stats.tlb_victim_hits++;
            return true;
        }
    }
    return false;
}

static void tlb_fill(CpuState *env, int mmu_idx, uint32_t lin, const PageWalk *w)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t page = lin & TARGET_PAGE_MASK;
    if (!(e->tag_read & TLB_INVALID) && ((e->tag_read ^ lin) & TARGET_PAGE_MASK)) {
        /* another page's entry: keep it in the victim TLB (an entry for this same page is simply replaced) */
        env->tlb_victim[mmu_idx][env->tlb_victim_next[mmu_idx]++ % TLB_VICTIM] = *e;
    }
    for (int i = 0; i < TLB_VICTIM; i++) {     /* no stale copy of this page may stay behind */
        TlbEntry *v = &env->tlb_victim[mmu_idx][i];
        if (!(v->tag_read & TLB_INVALID) && !((v->tag_read ^ lin) & TARGET_PAGE_MASK))
            tlb_invalidate_entry(v);
    }
    e->attrs = w->attrs;
    e->addend = 0;
    if (w->paddr >= 0x100000000ull) {
        e->attrs |= TLBA_UNASSIGNED;
        e->paddr = 0;
        e->tag_read = page | TLB_MMIO;
        e->tag_write = w->write_ok ? page | TLB_MMIO : TLB_INVALID;
        e->tag_code = w->exec_ok ? page | TLB_MMIO : TLB_INVALID;
        return;
    }
    uint32_t pa = (uint32_t)w->paddr & env->a20_mask;
    bool writable = false;
    uint8_t *host = env->machine ? bus_phys_ptr(env->machine, pa, &writable)
                    : (pa < env->ram_size && env->ram_size - pa >= TARGET_PAGE_SIZE ? (writable = true, env->ram + pa)
                                                                                 : NULL);
    uint32_t io = host ? 0 : TLB_MMIO;
    e->paddr = pa;
    e->addend = host ? (uintptr_t)host - page : 0;
    e->tag_read = page | io;
    e->tag_code = w->exec_ok ? page | io : TLB_INVALID;
    if (!w->write_ok)
        e->tag_write = TLB_INVALID;
    else if (!host || !writable)
        e->tag_write = page | TLB_MMIO;
    else
        e->tag_write = page | (tb_page_has_code(env, pa) ? TLB_NOTDIRTY : 0);
    if (mmu_page_checked(env, mmu_idx, page)) {
        /* NOTDIRTY keeps both tags off the fast path; TLBA_CHECK tells the slow path why */
        e->attrs |= TLBA_CHECK;
        if (!(e->tag_read & TLB_MMIO))
            e->tag_read |= TLB_NOTDIRTY;
        if (!(e->tag_write & (TLB_MMIO | TLB_INVALID)))
            e->tag_write |= TLB_NOTDIRTY;
    }
}

static void tlb_invalidate_entry(TlbEntry *e)
{
    e->tag_read = e->tag_write = e->tag_code = TLB_INVALID;
    e->attrs = 0;
}

/* Every cached linear-to-TB association (tb.c's jump cache, TB hints and cross-page caches) is stale. */
static void tlb_gen_bump(CpuState *env)
{
    env->tlb_gen++;
    memset(env->code_pages, 0, sizeof(env->code_pages));
    memset(env->code_large, 0, sizeof(env->code_large));
}

void tlb_flush_all(CpuState *env)
{
    tlb_gen_bump(env);
    for (int i = 0; i < MMU_NUM; i++) {
        for (int j = 0; j < TLB_SIZE; j++)
            tlb_invalidate_entry(&env->tlb[i][j]);
        for (int j = 0; j < TLB_VICTIM; j++)
            tlb_invalidate_entry(&env->tlb_victim[i][j]);
    }
}

void tlb_flush_nonglobal(CpuState *env)
{
    tlb_gen_bump(env);
    for (int i = 0; i < MMU_NUM; i++) {
        for (int j = 0; j < TLB_SIZE; j++)
            if (!(env->tlb[i][j].attrs & TLBA_GLOBAL))
                tlb_invalidate_entry(&env->tlb[i][j]);
        for (int j = 0; j < TLB_VICTIM; j++)
            if (!(env->tlb_victim[i][j].attrs & TLBA_GLOBAL))
                tlb_invalidate_entry(&env->tlb_victim[i][j]);
    }
}

/* INVLPG of lin for one entry (a large page's 4 KiB pieces all go). */
static void tlb_flush_entry_if(TlbEntry *e, uint32_t lin)
{
    if (e->tag_read & TLB_INVALID)
        return;
    uint32_t mask = (e->attrs & TLBA_LARGE_4M) ? 0xffc00000u
                    : (e->attrs & TLBA_LARGE_2M) ? 0xffe00000u : TARGET_PAGE_MASK;
    if (((e->tag_read ^ lin) & mask) == 0)
        tlb_invalidate_entry(e);
}

void tlb_flush_page(CpuState *env, uint32_t lin)
{
    /* INVLPG flushes global pages too; for a large page every 4 KiB piece we cached goes (SDM vol 3 4.10.4.1). */
    /* Associations validated under tlb_gen (tb.c) exist only on pages marked in code_pages (4 KiB mappings) or in
     * code_large's 4 MiB regions (large mappings, which an INVLPG anywhere inside removes): INVLPG elsewhere —
     * the data pages a fork or a page fault flushes — leaves them valid. */
    uint32_t p = (lin >> TARGET_PAGE_BITS) & (CODE_PAGE_BITS - 1), r = lin >> 22;
    if ((env->code_pages[p / 64] >> (p % 64) & 1) || (env->code_large[r / 64] >> (r % 64) & 1))
        tlb_gen_bump(env);
    for (int i = 0; i < MMU_NUM; i++) {
        for (int j = 0; j < TLB_SIZE; j++)
            tlb_flush_entry_if(&env->tlb[i][j], lin);
        for (int j = 0; j < TLB_VICTIM; j++)
            tlb_flush_entry_if(&env->tlb_victim[i][j], lin);
    }
}

void tlb_protect_code_page(CpuState *env, uint32_t pa)
{
    pa &= TARGET_PAGE_MASK;
    for (int i = 0; i < MMU_NUM; i++) {
        for (int j = 0; j < TLB_SIZE + TLB_VICTIM; j++) {
            TlbEntry *e = j < TLB_SIZE ? &env->tlb[i][j] : &env->tlb_victim[i][j - TLB_SIZE];
            if (!(e->tag_write & (TLB_INVALID | TLB_MMIO)) && e->paddr == pa)
                e->tag_write |= TLB_NOTDIRTY;
        }
    }
}

uint32_t mmu_translate(CpuState *env, uint32_t lin, int acc, int mmu_idx)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t page = lin & TARGET_PAGE_MASK;
    uint32_t tag = acc == MMU_ACC_WRITE ? e->tag_write : acc == MMU_ACC_EXEC ? e->tag_code : e->tag_read;
    if (tag_page(tag) == page && !(e->attrs & TLBA_UNASSIGNED))
        return e->paddr | (lin & ~TARGET_PAGE_MASK);
    exec_stats.tlb_misses++;
    if (tlb_victim_lookup(env, mmu_idx, lin, acc))
        return e->paddr | (lin & ~TARGET_PAGE_MASK);
    PageWalk w;
    if (!(env->cr0 & CR0_PG)) {
        w = (PageWalk){ .paddr = page, .write_ok = true, .exec_ok = true, .attrs = 0 };
    } else {
        int err;
        if (!mmu_walk(env, lin, acc, mmu_idx, &w, &err)) {
            env->cr2 = lin;
            cpu_raise_exception(env, EXC_PF, err);
        }
    }
    tlb_fill(env, mmu_idx, lin, &w);
    /* XXX: a PAE frame above 4 GiB has no 32-bit physical address; callers that access physical memory through
     * the returned value (rather than mmu_ld/mmu_st, which read all ones there) see the truncated address. */
    return ((uint32_t)w.paddr & env->a20_mask) | (lin & ~TARGET_PAGE_MASK);
}

/* Like mmu_translate for an instruction fetch, but reports failure instead of raising (*err = #PF code).
 * *unassigned: the frame is above 4 GiB (PAE) and fetches all ones. */
static bool mmu_translate_code_noraise(CpuState *env, uint32_t lin, int mmu_idx, uint32_t *pa, int *err,
                                       bool *unassigned)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t page = lin & TARGET_PAGE_MASK;
    *unassigned = false;
    if ((tag_page(e->tag_code) == page && !(e->attrs & TLBA_UNASSIGNED)) ||
        tlb_victim_lookup(env, mmu_idx, lin, MMU_ACC_EXEC)) {
        *pa = e->paddr | (lin & ~TARGET_PAGE_MASK);
        return true;
    }
    PageWalk w;
    if (!(env->cr0 & CR0_PG))
        w = (PageWalk){ .paddr = page, .write_ok = true, .exec_ok = true, .attrs = 0 };
    else if (!mmu_walk(env, lin, MMU_ACC_EXEC, mmu_idx, &w, err))
        return false;
    tlb_fill(env, mmu_idx, lin, &w);
    *pa = ((uint32_t)w.paddr & env->a20_mask) | (lin & ~TARGET_PAGE_MASK);
    *unassigned = w.paddr >= 0x100000000ull;
    return true;
}

/* ---- linear accesses ---- */

static inline uint32_t host_ld(const uint8_t *p, int size)
{
    switch (size) {
    case 1: return p[0];
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    default: { uint32_t v; memcpy(&v, p, 4); return v; }
    }
}

static inline void host_st(uint8_t *p, uint32_t val, int size)
{
    switch (size) {
    case 1: p[0] = (uint8_t)val; break;
    case 2: { uint16_t v = (uint16_t)val; memcpy(p, &v, 2); break; }
    default: memcpy(p, &val, 4); break;
    }
}

static inline uint32_t ones(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* A load within one page. acc is MMU_ACC_READ, or MMU_ACC_WRITE for the load half of a read-modify-write. */
static uint32_t ld_page(CpuState *env, uint32_t lin, int size, int mmu_idx, int acc)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t page = lin & TARGET_PAGE_MASK;
    uint32_t tag = acc == MMU_ACC_WRITE ? e->tag_write : e->tag_read;
    if (tag_page(tag) != page)
        mmu_translate(env, lin, acc, mmu_idx);
    if (e->attrs & TLBA_CHECK)
        mmu_check_watch(env, lin, size, acc == MMU_ACC_WRITE);
    if (!(e->tag_read & TLB_MMIO) && tag_page(e->tag_read) == page)
        return host_ld((const uint8_t *)(uintptr_t)(e->addend + lin), size);
    if (e->attrs & TLBA_UNASSIGNED)
        return ones(size);
    return bus_phys_read(env->machine, e->paddr | (lin & ~TARGET_PAGE_MASK), size);
}

/* Where a store within one page goes, resolved before anything is written. */
typedef struct StTarget {
    uint8_t *host;      /* RAM, or NULL for MMIO/ROM/unassigned */
    uint32_t pa;
    bool unassigned;
} StTarget;

/* Translate for write (may #PF) and invalidate code on the page (may unwind for an SMC restart). Writes nothing. */
static void st_prepare(CpuState *env, uint32_t lin, int size, int mmu_idx, StTarget *t)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t page = lin & TARGET_PAGE_MASK;
    if (tag_page(e->tag_write) != page)
        mmu_translate(env, lin, MMU_ACC_WRITE, mmu_idx);
    t->pa = e->paddr | (lin & ~TARGET_PAGE_MASK);
    t->unassigned = e->attrs & TLBA_UNASSIGNED;
    t->host = (e->tag_write & TLB_MMIO) ? NULL : (uint8_t *)(uintptr_t)(e->addend + lin);
    if (e->attrs & TLBA_CHECK)
        mmu_check_watch(env, lin, size, true);
    if (e->tag_write & TLB_NOTDIRTY) {
        if (tb_page_has_code(env, t->pa))
            tb_invalidate_for_store(env, t->pa, (uint32_t)size);
        if (!tb_page_has_code(env, t->pa) && !(e->attrs & TLBA_CHECK))
            e->tag_write = page;    /* no code left on the page: stores may take the fast path again */
    }
}

/* -accel lockstep: remember the bytes a RAM store replaces (exec.c undoes and compares them). */
static void st_log(const StTarget *t, uint32_t val, int size)
{
    StoreLog *log = exec_store_log;
    if (log->n == log->cap) {
        log->overflow = true;
        return;
    }
    log->e[log->n++] = (StoreLogEntry){ .host = t->host, .pa = t->pa, .old = host_ld(t->host, size),
                                        .val = val & ones(size), .size = (uint8_t)size };
}

static void st_commit(CpuState *env, const StTarget *t, uint32_t val, int size)
{
    if (t->host && __builtin_expect(exec_store_log != NULL, 0))
        st_log(t, val, size);
    if (t->host)
        host_st(t->host, val, size);
    else if (!t->unassigned)
        bus_phys_write(env->machine, t->pa, val, size);
}

uint32_t mmu_ld_lin(CpuState *env, uint32_t lin, int size, int mmu_idx)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t off = lin & ~TARGET_PAGE_MASK;
    if (off + (uint32_t)size <= TARGET_PAGE_SIZE) {
        if ((lin & TARGET_PAGE_MASK) == e->tag_read) {
            exec_stats.tlb_hits++;
            return host_ld((const uint8_t *)(uintptr_t)(e->addend + lin), size);
        }
        mmu_check_align(env, lin, size, mmu_idx);
        return ld_page(env, lin, size, mmu_idx, MMU_ACC_READ);
    }
    mmu_check_align(env, lin, size, mmu_idx);
    /* Crossing a page: both pages must translate (first page first) before any byte is read. */
    uint32_t lin2 = (lin & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE;
    int n1 = (int)(lin2 - lin);
    mmu_translate(env, lin, MMU_ACC_READ, mmu_idx);
    mmu_translate(env, lin2, MMU_ACC_READ, mmu_idx);
    uint32_t lo = ld_page(env, lin, n1 == 3 ? 1 : n1, mmu_idx, MMU_ACC_READ);
    if (n1 == 3)    /* a 4-byte access with 3 bytes on the first page */
        lo |= ld_page(env, lin + 1, 2, mmu_idx, MMU_ACC_READ) << 8;
    uint32_t hi = ld_page(env, lin2, size - n1 == 3 ? 1 : size - n1, mmu_idx, MMU_ACC_READ);
    if (size - n1 == 3)
        hi |= ld_page(env, lin2 + 1, 2, mmu_idx, MMU_ACC_READ) << 8;
    return lo | hi << (8 * n1);
}

/* The load half of a read-modify-write: faults like a write (W=1 in the #PF error code). */
static uint32_t mmu_ld_lin_rmw(CpuState *env, uint32_t lin, int size, int mmu_idx)
{
    uint32_t off = lin & ~TARGET_PAGE_MASK;
    mmu_check_align(env, lin, size, mmu_idx);
    if (off + (uint32_t)size <= TARGET_PAGE_SIZE)
        return ld_page(env, lin, size, mmu_idx, MMU_ACC_WRITE);
    mmu_probe_write(env, lin, (uint32_t)size, mmu_idx);
    return mmu_ld_lin(env, lin, size, mmu_idx);
}

/* Store split into byte-sized pieces on one page (pieces of 1..3 bytes). */
static void st_commit_bytes(CpuState *env, const StTarget *t, uint32_t val, int n)
{
    for (int i = 0; i < n; i++) {
        StTarget b = { t->host ? t->host + i : NULL, t->pa + i, t->unassigned };
        st_commit(env, &b, (val >> (8 * i)) & 0xff, 1);
    }
}

void mmu_st_lin(CpuState *env, uint32_t lin, uint32_t val, int size, int mmu_idx)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    uint32_t off = lin & ~TARGET_PAGE_MASK;
    StTarget t1, t2;
    if (off + (uint32_t)size <= TARGET_PAGE_SIZE) {
        if ((lin & TARGET_PAGE_MASK) == e->tag_write) {
            exec_stats.tlb_hits++;
            host_st((uint8_t *)(uintptr_t)(e->addend + lin), val, size);
            return;
        }
        mmu_check_align(env, lin, size, mmu_idx);
        st_prepare(env, lin, size, mmu_idx, &t1);
        st_commit(env, &t1, val, size);
        return;
    }
    /* Crossing a page: translate both (first page first: its fault is reported first), invalidate code on both,
     * and only then write: a #PF on the second page leaves memory untouched. */
    uint32_t lin2 = (lin & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE;
    int n1 = (int)(lin2 - lin);
    mmu_check_align(env, lin, size, mmu_idx);
    mmu_translate(env, lin, MMU_ACC_WRITE, mmu_idx);
    mmu_translate(env, lin2, MMU_ACC_WRITE, mmu_idx);
    st_prepare(env, lin, n1, mmu_idx, &t1);
    st_prepare(env, lin2, size - n1, mmu_idx, &t2);
    st_commit_bytes(env, &t1, val, n1);
    st_commit_bytes(env, &t2, val >> (8 * n1), size - n1);
}

uint8_t *mmu_tlb_host_ptr(CpuState *env, uint32_t lin, int n, int mmu_idx, bool write)
{
    TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    if ((lin & ~TARGET_PAGE_MASK) + (uint32_t)n > TARGET_PAGE_SIZE ||
        (lin & TARGET_PAGE_MASK) != (write ? e->tag_write : e->tag_read))
        return NULL;
    exec_stats.tlb_hits++;
    return (uint8_t *)(uintptr_t)(e->addend + lin);
}

void mmu_probe_write(CpuState *env, uint32_t lin, uint32_t len, int mmu_idx)
{
    if (len == 0)
        return;
    uint32_t last = lin + len - 1;
    uint32_t page = lin & TARGET_PAGE_MASK;
    for (;;) {
        mmu_translate(env, page < lin ? lin : page, MMU_ACC_WRITE, mmu_idx);
        if (page == (last & TARGET_PAGE_MASK))
            break;
        page += TARGET_PAGE_SIZE;
    }
}

/* ---- segmented access ---- */

void seg_check_access(CpuState *env, int seg, uint32_t off, int size, bool write)
{
    if (seg < 0 || seg > SEG_GS)
        return;
    const SegCache *s = &env->seg[seg];
    int vec = seg == SEG_SS ? EXC_SS : EXC_GP;
    uint64_t end = (uint64_t)off + (uint64_t)(size > 0 ? size - 1 : 0);
    if (s->lo > s->hi || off < s->lo || end > s->hi)
        cpu_raise_exception(env, vec, 0);
    /* Type checks apply in protected mode only (SDM vol 3 5.4); real and v8086 mode check the limit alone. */
    if (!(env->cr0 & CR0_PE) || (env->hflags & HF_VM))
        return;
    uint32_t f = s->flags;
    if (write && ((f & DESC_CODE) || !(f & DESC_W)))
        cpu_raise_exception(env, vec, 0);
    if (!write && (f & DESC_CODE) && !(f & DESC_R))
        cpu_raise_exception(env, vec, 0);
}

/* The common case of seg_check_access inline: inside lo..hi and of an allowed type (protected-mode rules, which
 * real-mode caches also satisfy after a real-mode load); anything else gets the full check. */
static inline void seg_check_fast(CpuState *env, int seg, uint32_t off, int size, bool write)
{
    const SegCache *s = &env->seg[seg];
    uint32_t f = s->flags;
    bool ok = off >= s->lo && off <= s->hi && s->hi - off >= (uint32_t)(size - 1) &&
              (write ? (f & (DESC_CODE | DESC_W)) == DESC_W : (!(f & DESC_CODE) || (f & DESC_R)));
    if (__builtin_expect(!ok, 0))
        seg_check_access(env, seg, off, size, write);
}

static inline uint32_t seg_linear(CpuState *env, int seg, uint32_t off)
{
    return seg > SEG_GS ? off : env->seg[seg].base + off;   /* SEG_NONE (and no other value) is linear */
}

uint32_t mmu_ld(CpuState *env, uint32_t off, int size_flags, int aux)
{
    int size = size_flags & IRM_SIZE_MASK;
    int seg = aux & IRM_SEG_MASK;
    int mmu_idx = (aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    if ((aux & IRM_CHECK) && seg <= SEG_GS)
        seg_check_fast(env, seg, off, size, (aux & IRM_RMW) != 0);
    uint32_t lin = seg_linear(env, seg, off);
    uint32_t v;
    if (aux & IRM_RMW)
        v = mmu_ld_lin_rmw(env, lin, size, mmu_idx);
    else
        v = mmu_ld_lin(env, lin, size, mmu_idx);
    if (size_flags & IRM_SIGNED)
        v = size == 1 ? (uint32_t)(int32_t)(int8_t)v : size == 2 ? (uint32_t)(int32_t)(int16_t)v : v;
    return v;
}

void mmu_st(CpuState *env, uint32_t off, uint32_t val, int size, int aux)
{
    size &= IRM_SIZE_MASK;
    int seg = aux & IRM_SEG_MASK;
    int mmu_idx = (aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    if ((aux & IRM_CHECK) && seg <= SEG_GS)
        seg_check_fast(env, seg, off, size, true);
    mmu_st_lin(env, seg_linear(env, seg, off), val, size, mmu_idx);
}

/* ---- code fetch for the translator ---- */

static void fetch_copy(CpuState *env, uint32_t pa, uint8_t *buf, int n, bool unassigned)
{
    if (unassigned) {
        memset(buf, 0xff, (size_t)n);
        return;
    }
    bool writable;
    const uint8_t *host = env->machine ? bus_phys_ptr(env->machine, pa, &writable)
                          : (pa < env->ram_size && env->ram_size - pa >= (uint32_t)n ? env->ram + pa : NULL);
    if (host) {
        memcpy(buf, host, (size_t)n);
        return;
    }
    for (int i = 0; i < n; i++)
        buf[i] = env->machine ? (uint8_t)bus_phys_read(env->machine, pa + i, 1) : 0xff;
}

bool mmu_code_phys(CpuState *env, uint32_t lin, uint32_t *pa)
{
    int mmu_idx = (env->hflags & HF_CPL_MASK) == 3 ? MMU_USER : MMU_KERNEL, err;
    bool unassigned;
    return mmu_translate_code_noraise(env, lin, mmu_idx, pa, &err, &unassigned) && !unassigned;
}

bool mmu_code_page_small(CpuState *env, uint32_t lin)
{
    if (!(env->cr0 & CR0_PG))
        return true;    /* identity: only a paging change (a full flush) alters it */
    int mmu_idx = (env->hflags & HF_CPL_MASK) == 3 ? MMU_USER : MMU_KERNEL;
    uint32_t page = lin & TARGET_PAGE_MASK;
    const TlbEntry *e = tlb_entry(env, mmu_idx, lin);
    if (tag_page(e->tag_code) != page)
        return false;   /* not cached here: assume the worst */
    return !(e->attrs & (TLBA_LARGE_4M | TLBA_LARGE_2M));
}

int mmu_fetch_code(CpuState *env, uint32_t lin, uint8_t *buf, int n, bool raise_first, uint32_t *pa0)
{
    int mmu_idx = (env->hflags & HF_CPL_MASK) == 3 ? MMU_USER : MMU_KERNEL;
    int copied = 0;
    while (copied < n) {
        uint32_t cur = lin + (uint32_t)copied, pa;
        int err = 0;
        bool unassigned;
        if (!mmu_translate_code_noraise(env, cur, mmu_idx, &pa, &err, &unassigned)) {
            if (copied == 0 && raise_first) {
                env->cr2 = cur;
                cpu_raise_exception(env, EXC_PF, err);
            }
            break;
        }
        if (copied == 0 && pa0)
            *pa0 = pa;
        int chunk = (int)(TARGET_PAGE_SIZE - (cur & ~TARGET_PAGE_MASK));
        if (chunk > n - copied)
            chunk = n - copied;
        fetch_copy(env, pa, buf + copied, chunk, unassigned);
        copied += chunk;
    }
    return copied;
}
