/* test_mmu.c — the softmmu (translator/mmu.c) and the bus (devices/bus.c) without running guest code:
 * page walks for 32-bit paging (4 KiB and 4 MiB pages) and PAE (4 KiB, 2 MiB, NX), A/D bits exactly as the SDM
 * says (vol 3 4.8: A at every level of a successful walk, D on writes, nothing on a fault), CR0.WP, U/S, the #PF
 * error code (P, W/R, U/S, RSVD, I/D) and CR2, page-crossing loads and stores (a fault on the second page writes
 * nothing), TLB caching and its flushes (INVLPG, MOV CR3 with global pages), A20, segment checks, MMIO/ROM
 * routing, and code fetch.
 * Each test builds a fresh Machine + CpuState (calloc: CpuState is large) and writes page tables into guest RAM
 * directly; faults are caught with setjmp on env->jmp_env, where cpu_raise_exception lands. */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "cpu.h"
#include "exec.h"
#include "mmu.h"

enum { PDIR = 0x10000, PTAB = 0x11000, PTAB2 = 0x12000, PAE_PDPT = 0x13000, PAE_PD = 0x14000, PAE_PT = 0x15000 };
enum { P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100 };
#define NX (1ull << 63)

static Machine *m;
static CpuState *env;

static void setup(void)
{
    m = calloc(1, sizeof(*m));
    env = calloc(1, sizeof(*env));
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(env);
    bus_init(m, 8 << 20);
    m->cpu = env;
    env->machine = m;
    env->ram = m->ram;
    env->ram_size = m->ram_size;
    cpu_reset(env);
    env->a20_mask = 0xffffffffu;
    tb_cache_init(env);
}

static void teardown(void)
{
    tb_cache_free(env);
    bus_free(m);
    free(env);
    free(m);
}

static uint32_t rd32(uint32_t pa) { uint32_t v; memcpy(&v, m->ram + pa, 4); return v; }
static void wr32(uint32_t pa, uint32_t v) { memcpy(m->ram + pa, &v, 4); }
static uint64_t rd64(uint32_t pa) { uint64_t v; memcpy(&v, m->ram + pa, 8); return v; }
static void wr64(uint32_t pa, uint64_t v) { memcpy(m->ram + pa, &v, 8); }

/* 32-bit paging on, CR3 = PDIR, nothing mapped. */
static void paging32(uint32_t cr4)
{
    memset(m->ram + PDIR, 0, 0x3000);
    env->cr3 = PDIR;
    env->cr4 = cr4;
    env->cr0 |= CR0_PE | CR0_PG;
    tlb_flush_all(env);
}

/* map lin's 4 KiB page to pa through PTAB */
static void map4k(uint32_t lin, uint32_t pa, uint32_t pde_flags, uint32_t pte_flags)
{
    wr32(PDIR + (lin >> 22) * 4, PTAB | pde_flags);
    wr32(PTAB + ((lin >> 12) & 0x3ff) * 4, pa | pte_flags);
}

/* ---- fault-catching wrappers: return -1 on success, else the vector (error code in env->exc_error) ---- */
static int try_ld(uint32_t lin, int size, int idx, uint32_t *out)
{
    if (setjmp(env->jmp_env))
        return env->exc_vector;
    *out = mmu_ld_lin(env, lin, size, idx);
    return -1;
}

static int try_st(uint32_t lin, uint32_t val, int size, int idx)
{
    if (setjmp(env->jmp_env))
        return env->exc_vector;
    mmu_st_lin(env, lin, val, size, idx);
    return -1;
}

static int try_translate(uint32_t lin, int acc, int idx, uint32_t *pa)
{
    if (setjmp(env->jmp_env))
        return env->exc_vector;
    *pa = mmu_translate(env, lin, acc, idx);
    return -1;
}

static int try_seg(int seg, uint32_t off, int size, bool write)
{
    if (setjmp(env->jmp_env))
        return env->exc_vector;
    seg_check_access(env, seg, off, size, write);
    return -1;
}

/* ---- tests ---- */

START_TEST(test_nopaging_and_a20)
{
    uint32_t v;
    ck_assert_int_eq(try_st(0x1234, 0xdeadbeef, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(rd32(0x1234), 0xdeadbeef);
    ck_assert_int_eq(try_ld(0x1234, 2, MMU_USER, &v), -1);
    ck_assert_uint_eq(v, 0xbeef);
    /* A20 masked: 0x100000 + x aliases x (SDM vol 3 21.33.1 / the PC's gate) */
    env->a20_mask = ~0x100000u;
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x101234, 0x11223344, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(rd32(0x1234), 0x11223344);
    ck_assert_uint_eq(rd32(0x101234), 0);
    env->a20_mask = 0xffffffffu;
    tlb_flush_all(env);
    ck_assert_int_eq(try_ld(0x101234, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0);
}
END_TEST

START_TEST(test_walk_4k_ad_bits)
{
    uint32_t pa, v;
    paging32(0);
    map4k(0x400000, 0x200000, P | RW | US, P | RW | US);
    wr32(0x200010, 0xcafef00d);
    ck_assert_int_eq(try_ld(0x400010, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xcafef00d);
    /* a read sets A at both levels, never D */
    ck_assert_uint_eq(rd32(PDIR + 4), PTAB | P | RW | US | A);
    ck_assert_uint_eq(rd32(PTAB), 0x200000 | P | RW | US | A);
    /* a write sets D in the PTE only (the PDE has no D for 4 KiB pages) */
    ck_assert_int_eq(try_st(0x400020, 0x55, 1, MMU_USER), -1);
    ck_assert_uint_eq(m->ram[0x200020], 0x55);
    ck_assert_uint_eq(rd32(PTAB), 0x200000 | P | RW | US | A | D);
    ck_assert_uint_eq(rd32(PDIR + 4), PTAB | P | RW | US | A);
    ck_assert_int_eq(try_translate(0x400abc, MMU_ACC_READ, MMU_KERNEL, &pa), -1);
    ck_assert_uint_eq(pa, 0x200abc);
}
END_TEST

START_TEST(test_dirty_bit_after_read_fill)
{
    /* A read fills the TLB without D; the first write must still walk and set D (no fast write to a clean page). */
    uint32_t v;
    paging32(0);
    map4k(0x400000, 0x200000, P | RW, P | RW);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(rd32(PTAB) & D, 0);
    ck_assert_int_eq(try_st(0x400004, 1, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(rd32(PTAB) & (A | D), A | D);
}
END_TEST

START_TEST(test_not_present_error_codes)
{
    uint32_t v;
    paging32(0);
    /* PDE present, PTE not: kernel read → 0, kernel write → W, user read → U, user write → U|W */
    wr32(PDIR + 4, PTAB | P | RW | US);
    ck_assert_int_eq(try_ld(0x401234, 4, MMU_KERNEL, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_uint_eq(env->cr2, 0x401234);
    ck_assert_int_eq(try_st(0x402000, 1, 1, MMU_KERNEL), EXC_PF);
    ck_assert_int_eq(env->exc_error, 2);
    ck_assert_uint_eq(env->cr2, 0x402000);
    ck_assert_int_eq(try_ld(0x403000, 1, MMU_USER, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 4);
    ck_assert_int_eq(try_st(0x404000, 1, 1, MMU_USER), EXC_PF);
    ck_assert_int_eq(env->exc_error, 6);
    /* the PDE was used to reach the missing PTE: it has A (SDM vol 3 4.8; real processors do this) */
    ck_assert_uint_eq(rd32(PDIR + 4) & A, A);
    /* a fault at the PDE itself writes nothing */
    wr32(PDIR + 8, PTAB);
    ck_assert_int_eq(try_ld(0x800000, 1, MMU_KERNEL, &v), EXC_PF);
    ck_assert_uint_eq(rd32(PDIR + 8), PTAB);
    /* PDE not present */
    ck_assert_int_eq(try_ld(0xc00000, 1, MMU_KERNEL, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_uint_eq(env->cr2, 0xc00000);
    /* a protection fault leaves the PTE's A and D alone */
    map4k(0x405000, 0x205000, P | RW | US, P);
    ck_assert_int_eq(try_ld(0x405000, 1, MMU_USER, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 5);
    ck_assert_uint_eq(rd32(PTAB + 5 * 4), 0x205000 | P);
}
END_TEST

START_TEST(test_protection_wp_us)
{
    uint32_t v;
    paging32(0);
    map4k(0x400000, 0x200000, P | RW | US, P | US);        /* read-only user page */
    map4k(0x401000, 0x201000, P | RW | US, P | RW);        /* supervisor page */
    /* CR0.WP = 0: the supervisor may write a read-only page (SDM vol 3 4.6.1) */
    ck_assert_int_eq(try_st(0x400000, 0x11, 1, MMU_KERNEL), -1);
    ck_assert_uint_eq(m->ram[0x200000], 0x11);
    /* user write to read-only: P|W|U */
    ck_assert_int_eq(try_st(0x400001, 0x22, 1, MMU_USER), EXC_PF);
    ck_assert_int_eq(env->exc_error, 7);
    ck_assert_uint_eq(m->ram[0x200001], 0);
    /* CR0.WP = 1: supervisor write faults with P|W */
    env->cr0 |= CR0_WP;
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x400002, 0x33, 1, MMU_KERNEL), EXC_PF);
    ck_assert_int_eq(env->exc_error, 3);
    ck_assert_uint_eq(m->ram[0x200002], 0);
    /* user access to a supervisor page: P|U (read), P|W|U (write); the kernel may use it */
    ck_assert_int_eq(try_ld(0x401000, 4, MMU_USER, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 5);
    ck_assert_int_eq(try_st(0x401000, 1, 4, MMU_USER), EXC_PF);
    ck_assert_int_eq(env->exc_error, 7);
    ck_assert_int_eq(try_ld(0x401000, 4, MMU_KERNEL, &v), -1);
    /* U/S and R/W are the AND of both levels: a read-only PDE makes a RW PTE read-only for the user */
    map4k(0x402000, 0x202000, P | US, P | RW | US);
    wr32(PDIR + 4, PTAB | P | US);
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x402000, 1, 1, MMU_USER), EXC_PF);
    ck_assert_int_eq(env->exc_error, 7);
}
END_TEST

START_TEST(test_pse_4m)
{
    uint32_t v, pa;
    paging32(CR4_PSE);
    wr32(PDIR + (0x800000 >> 22) * 4, 0x400000 | P | RW | PS);
    wr32(0x400000 + 0x1234, 0x87654321);
    ck_assert_int_eq(try_ld(0x801234, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0x87654321);
    ck_assert_uint_eq(rd32(PDIR + 8), 0x400000 | P | RW | PS | A);
    ck_assert_int_eq(try_st(0x9ffffc, 7, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(rd32(0x400000 + 0x1ffffc), 7);
    ck_assert_uint_eq(rd32(PDIR + 8), 0x400000 | P | RW | PS | A | D);   /* D lives in the PDE of a 4 MiB page */
    /* without CR4.PSE the PS bit is ignored: the PDE points to a page table */
    env->cr4 = 0;
    tlb_flush_all(env);
    wr32(0x400000 + 4 * 1, 0x300000 | P);
    ck_assert_int_eq(try_translate(0x801000, MMU_ACC_READ, MMU_KERNEL, &pa), -1);
    ck_assert_uint_eq(pa, 0x300000);
    /* reserved bits 21:13 of a 4 MiB PDE: #PF with P|RSVD (SDM vol 3 4.7) and no A bit */
    env->cr4 = CR4_PSE;
    tlb_flush_all(env);
    wr32(PDIR + 12, 0x400000 | (1u << 13) | P | RW | PS);
    ck_assert_int_eq(try_ld(0xc00000, 4, MMU_KERNEL, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 1 | 8);
    ck_assert_uint_eq(rd32(PDIR + 12) & A, 0);
}
END_TEST

/* PAE: PDPTE[1] → PAE_PD; PDE[0] of that → PAE_PT. Linear 0x40000000 + ... */
static void paging_pae(uint64_t efer)
{
    memset(m->ram + PAE_PDPT, 0, 0x3000);
    wr64(PAE_PDPT + 8, PAE_PD | P);
    env->cr3 = PAE_PDPT;
    for (int i = 0; i < 4; i++)
        env->pdpte[i] = rd64(PAE_PDPT + 8 * i);
    env->cr4 = CR4_PAE;
    env->efer = efer;
    env->cr0 |= CR0_PE | CR0_PG;
    tlb_flush_all(env);
}

START_TEST(test_pae_walk)
{
    uint32_t v, pa;
    paging_pae(0);
    wr64(PAE_PD, PAE_PT | P | RW | US);
    wr64(PAE_PT + 8 * 3, 0x250000 | P | RW | US);
    wr32(0x250008, 0xa5a5a5a5);
    ck_assert_int_eq(try_ld(0x40003008, 4, MMU_USER, &v), -1);
    ck_assert_uint_eq(v, 0xa5a5a5a5);
    ck_assert_uint_eq(rd64(PAE_PD), PAE_PT | P | RW | US | A);
    ck_assert_int_eq(try_st(0x40003000, 1, 1, MMU_USER), -1);
    ck_assert_uint_eq(rd64(PAE_PT + 24), 0x250000 | P | RW | US | A | D);
    /* 2 MiB page */
    wr64(PAE_PD + 8, 0x600000 | P | RW | PS);
    ck_assert_int_eq(try_translate(0x40312345, MMU_ACC_WRITE, MMU_KERNEL, &pa), -1);
    ck_assert_uint_eq(pa, 0x712345);
    ck_assert_uint_eq(rd64(PAE_PD + 8), 0x600000 | P | RW | PS | A | D);
    /* PDPTE not present */
    ck_assert_int_eq(try_ld(0x80000000, 4, MMU_KERNEL, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_uint_eq(env->cr2, 0x80000000);
    /* reserved bit in a PTE (bit 40 is above MAXPHYADDR 36): P|RSVD|W */
    wr64(PAE_PT + 8 * 4, (1ull << 40) | 0x260000 | P | RW);
    ck_assert_int_eq(try_st(0x40004000, 1, 1, MMU_KERNEL), EXC_PF);
    ck_assert_int_eq(env->exc_error, 1 | 2 | 8);
    ck_assert_uint_eq(rd64(PAE_PD) & A, A);   /* set by the earlier successful walk, untouched since */
    /* bit 63 without EFER.NXE is reserved */
    wr64(PAE_PT + 8 * 5, NX | 0x270000 | P | RW);
    ck_assert_int_eq(try_ld(0x40005000, 1, MMU_KERNEL, &v), EXC_PF);
    ck_assert_int_eq(env->exc_error, 1 | 8);
}
END_TEST

START_TEST(test_pae_nx)
{
    uint8_t buf[8];
    uint32_t v, pa0;
    paging_pae(1u << 11);   /* EFER.NXE */
    wr64(PAE_PD, PAE_PT | P | RW | US);
    wr64(PAE_PT + 8 * 1, NX | 0x251000 | P | RW | US);
    wr64(PAE_PT + 8 * 2, 0x252000 | P | RW | US);
    /* data access to an NX page is fine */
    ck_assert_int_eq(try_ld(0x40001000, 4, MMU_KERNEL, &v), -1);
    /* instruction fetch from it: #PF with P|I/D (SDM vol 3 4.7), CR2 = the address */
    if (setjmp(env->jmp_env) == 0) {
        mmu_fetch_code(env, 0x40001010, buf, 4, true, &pa0);
        ck_abort_msg("fetch from an NX page did not fault");
    }
    ck_assert_int_eq(env->exc_vector, EXC_PF);
    ck_assert_int_eq(env->exc_error, 1 | 16);
    ck_assert_uint_eq(env->cr2, 0x40001010);
    /* user fetch: P|U|I/D */
    env->hflags = (env->hflags & ~HF_CPL_MASK) | 3;
    if (setjmp(env->jmp_env) == 0) {
        mmu_fetch_code(env, 0x40001000, buf, 4, true, &pa0);
        ck_abort_msg("user fetch from an NX page did not fault");
    }
    ck_assert_int_eq(env->exc_error, 1 | 4 | 16);
    env->hflags &= ~HF_CPL_MASK;
    /* a fetch that runs from an executable page into the NX page stops there without faulting */
    memset(m->ram + 0x252ffc, 0x90, 4);
    ck_assert_int_eq(mmu_fetch_code(env, 0x40002ffc, buf, 8, true, &pa0), 4);
    ck_assert_uint_eq(pa0, 0x252ffc);
    /* not-present fetch with NXE: I/D set too */
    if (setjmp(env->jmp_env) == 0) {
        mmu_fetch_code(env, 0x40009000, buf, 1, true, &pa0);
        ck_abort_msg("fetch from a missing page did not fault");
    }
    ck_assert_int_eq(env->exc_error, 16);
}
END_TEST

START_TEST(test_id_bit_without_nxe)
{
    /* 32-bit paging: I/D is never reported (SDM vol 3 4.7: only with PAE + NXE) */
    uint8_t buf[4];
    uint32_t pa0;
    paging32(0);
    if (setjmp(env->jmp_env) == 0) {
        mmu_fetch_code(env, 0x400000, buf, 1, true, &pa0);
        ck_abort_msg("no fault");
    }
    ck_assert_int_eq(env->exc_error, 0);
    /* raise_first = false: returns 0, no fault */
    if (setjmp(env->jmp_env) == 0)
        ck_assert_int_eq(mmu_fetch_code(env, 0x400000, buf, 1, false, &pa0), 0);
    else
        ck_abort_msg("fault with raise_first = false");
}
END_TEST

START_TEST(test_crossing_load)
{
    uint32_t v;
    paging32(0);
    map4k(0x400000, 0x200000, P | RW, P | RW);
    map4k(0x401000, 0x300000, P | RW, P | RW);
    wr32(0x200ffc, 0x44332211);
    wr32(0x300000, 0x88776655);
    for (int off = 1; off < 4; off++) {
        ck_assert_int_eq(try_ld(0x400ffc + off, 4, MMU_KERNEL, &v), -1);
        uint64_t both = 0x8877665544332211ull;
        ck_assert_uint_eq(v, (uint32_t)(both >> (8 * off)));
    }
    ck_assert_int_eq(try_ld(0x400fff, 2, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0x5544);
    /* second page missing: #PF with CR2 = the second page's first byte */
    wr32(PTAB + 4, 0);
    tlb_flush_all(env);
    ck_assert_int_eq(try_ld(0x400ffe, 4, MMU_KERNEL, &v), EXC_PF);
    ck_assert_uint_eq(env->cr2, 0x401000);
    ck_assert_int_eq(env->exc_error, 0);
}
END_TEST

START_TEST(test_crossing_store_no_partial_write)
{
    paging32(0);
    map4k(0x400000, 0x200000, P | RW, P | RW);
    map4k(0x401000, 0x300000, P | RW, P | RW);
    ck_assert_int_eq(try_st(0x400ffe, 0xddccbbaa, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(m->ram[0x200ffe], 0xaa);
    ck_assert_uint_eq(m->ram[0x200fff], 0xbb);
    ck_assert_uint_eq(m->ram[0x300000], 0xcc);
    ck_assert_uint_eq(m->ram[0x300001], 0xdd);
    /* second page read-only with WP: nothing written on the first page */
    env->cr0 |= CR0_WP;
    wr32(PTAB + 4, 0x300000 | P);
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x400ffd, 0x11223344, 4, MMU_KERNEL), EXC_PF);
    ck_assert_int_eq(env->exc_error, 3);
    ck_assert_uint_eq(env->cr2, 0x401000);
    ck_assert_uint_eq(m->ram[0x200ffd], 0);
    ck_assert_uint_eq(m->ram[0x200ffe], 0xaa);
    /* second page missing */
    wr32(PTAB + 4, 0);
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x400fff, 0x5566, 2, MMU_KERNEL), EXC_PF);
    ck_assert_int_eq(env->exc_error, 2);
    ck_assert_uint_eq(m->ram[0x200fff], 0xbb);
    /* the first page's walk did run (its A/D bits are set: it translated), the second set nothing */
    ck_assert_uint_eq(rd32(PTAB) & (A | D), A | D);
    /* crossing a page at 0xffffffff → 0: the linear address wraps */
    env->cr0 &= ~CR0_PG;
    tlb_flush_all(env);
    ck_assert_int_eq(try_st(0x7fffff, 0xbeef, 2, MMU_KERNEL), -1);
    ck_assert_uint_eq(m->ram[0x7fffff], 0xef);
}
END_TEST

START_TEST(test_tlb_caching_and_flush)
{
    uint32_t v;
    paging32(CR4_PGE);
    map4k(0x400000, 0x200000, P | RW, P | RW | G);
    map4k(0x401000, 0x201000, P | RW, P | RW);
    wr32(0x200000, 1);
    wr32(0x201000, 2);
    wr32(0x300000, 3);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(try_ld(0x401000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 2);
    /* change both PTEs in memory: the TLB still holds the old translations */
    wr32(PTAB + 0, 0x300000 | P | RW | G);
    wr32(PTAB + 4, 0x300000 | P | RW);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 1);
    /* MOV CR3 with PGE: non-global entries go, the global one stays (SDM vol 3 4.10.4.1) */
    tlb_flush_nonglobal(env);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(try_ld(0x401000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 3);
    /* INVLPG removes a global page too */
    tlb_flush_page(env, 0x400123);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 3);
    /* G without CR4.PGE is not global */
    env->cr4 = 0;
    tlb_flush_all(env);
    wr32(PTAB + 0, 0x200000 | P | RW | G);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    wr32(PTAB + 0, 0x201000 | P | RW | G);
    tlb_flush_nonglobal(env);
    ck_assert_int_eq(try_ld(0x400000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 2);
}
END_TEST

/* The victim TLB: two pages 1 MiB apart share a tlb[] index; after both are loaded, alternating between them is
 * served from the victim TLB without page walks (a changed PTE is not seen, as with any cached translation), and
 * every flush (INVLPG of either page, MOV CR3, a global page surviving a non-global flush) treats victim entries
 * exactly as tlb[] entries. */
START_TEST(test_victim_tlb)
{
    uint32_t v;
    paging32(CR4_PGE);
    wr32(PDIR, (PTAB) | P | RW);
    wr32(PTAB + (0x000 * 4), 0x200000 | P | RW);                     /* lin 0x000000 -> 0x200000 */
    wr32(PTAB + (0x100 * 4), 0x300000 | P | RW | G);                 /* lin 0x100000 -> 0x300000, global */
    wr32(0x200000, 0xa);
    wr32(0x300000, 0xb);
    wr32(0x310000, 0xc);
    ck_assert_int_eq(try_ld(0x000000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xa);
    ck_assert_int_eq(try_ld(0x100000, 4, MMU_KERNEL, &v), -1);     /* evicts page 0 into the victim TLB */
    ck_assert_uint_eq(v, 0xb);
    wr32(PTAB + (0x000 * 4), 0x310000 | P | RW);                     /* stale on purpose: cached translations win */
    uint64_t hits = exec_stats.tlb_victim_hits;
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(try_ld(0x000000, 4, MMU_KERNEL, &v), -1);
        ck_assert_uint_eq(v, 0xa);
        ck_assert_int_eq(try_ld(0x100000, 4, MMU_KERNEL, &v), -1);
        ck_assert_uint_eq(v, 0xb);
    }
    ck_assert_uint_eq(exec_stats.tlb_victim_hits - hits, 20);
    /* page 0 is in the victim TLB now; INVLPG of it must reach there */
    tlb_flush_page(env, 0x000000);
    ck_assert_int_eq(try_ld(0x000000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xc);
    /* the global page (now in the victim TLB) survives MOV CR3; the other does not */
    wr32(PTAB + (0x000 * 4), 0x200000 | P | RW);
    wr32(PTAB + (0x100 * 4), 0x310000 | P | RW | G);
    tlb_flush_nonglobal(env);
    ck_assert_int_eq(try_ld(0x100000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xb);
    ck_assert_int_eq(try_ld(0x000000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xa);
    tlb_flush_all(env);
    ck_assert_int_eq(try_ld(0x100000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xc);
}
END_TEST

START_TEST(test_invlpg_large_page)
{
    uint32_t v;
    paging32(CR4_PSE);
    wr32(PDIR + 8, 0x400000 | P | RW | PS);
    wr32(0x400000, 10);
    wr32(0x401000, 11);
    wr32(0x000000, 20);
    ck_assert_int_eq(try_ld(0x800000, 4, MMU_KERNEL, &v), -1);
    ck_assert_int_eq(try_ld(0x801000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 11);
    wr32(PDIR + 8, 0x000000 | P | RW | PS);
    /* INVLPG of any address in the 4 MiB page drops every cached piece of it */
    tlb_flush_page(env, 0x812345);
    ck_assert_int_eq(try_ld(0x800000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 20);
}
END_TEST

START_TEST(test_segment_checks)
{
    SegCache *ds = &env->seg[SEG_DS], *ss = &env->seg[SEG_SS], *cs = &env->seg[SEG_CS];
    env->cr0 |= CR0_PE;
    cpu_update_hflags(env);
    *ds = (SegCache){ .base = 0, .limit = 0xfff, .flags = DESC_P | DESC_S | DESC_W, .lo = 0, .hi = 0xfff };
    ck_assert_int_eq(try_seg(SEG_DS, 0xffc, 4, true), -1);
    ck_assert_int_eq(try_seg(SEG_DS, 0xffd, 4, false), EXC_GP);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_int_eq(try_seg(SEG_DS, 0xffffffff, 2, false), EXC_GP);   /* wraps: still outside */
    /* read-only data: reads ok, writes #GP(0) */
    ds->flags = DESC_P | DESC_S;
    ck_assert_int_eq(try_seg(SEG_DS, 0, 4, false), -1);
    ck_assert_int_eq(try_seg(SEG_DS, 0, 4, true), EXC_GP);
    /* execute-only code: no read; readable code: read ok, write never */
    ds->flags = DESC_P | DESC_S | DESC_CODE;
    ck_assert_int_eq(try_seg(SEG_DS, 0, 1, false), EXC_GP);
    ds->flags = DESC_P | DESC_S | DESC_CODE | DESC_R;
    ck_assert_int_eq(try_seg(SEG_DS, 0, 1, false), -1);
    ck_assert_int_eq(try_seg(SEG_DS, 0, 1, true), EXC_GP);
    /* null selector (lo > hi) */
    *ds = (SegCache){ .lo = 1, .hi = 0 };
    ck_assert_int_eq(try_seg(SEG_DS, 0, 1, false), EXC_GP);
    /* SS faults are #SS(0); expand-down: valid offsets are limit+1 .. 0xffff (B=0) */
    *ss = (SegCache){ .limit = 0xff, .flags = DESC_P | DESC_S | DESC_W | DESC_E, .lo = 0x100, .hi = 0xffff };
    ck_assert_int_eq(try_seg(SEG_SS, 0xff, 1, true), EXC_SS);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_int_eq(try_seg(SEG_SS, 0x100, 2, true), -1);
    ck_assert_int_eq(try_seg(SEG_SS, 0xfffe, 4, true), EXC_SS);
    /* real mode: limit only (a code-type cache left from protected mode does not block writes) */
    env->cr0 &= ~CR0_PE;
    cpu_update_hflags(env);
    *cs = (SegCache){ .limit = 0xffff, .flags = DESC_P | DESC_S | DESC_CODE | DESC_R, .lo = 0, .hi = 0xffff };
    ck_assert_int_eq(try_seg(SEG_CS, 0x10, 2, true), -1);
    ck_assert_int_eq(try_seg(SEG_CS, 0xffff, 2, false), EXC_GP);
}
END_TEST

START_TEST(test_mmu_ld_st_segmented)
{
    SegCache *es = &env->seg[SEG_ES];
    volatile uint32_t v = 0;
    *es = (SegCache){ .base = 0x5000, .limit = 0xff, .flags = DESC_P | DESC_S | DESC_W, .lo = 0, .hi = 0xff };
    m->ram[0x5010] = 0x80;
    if (setjmp(env->jmp_env) == 0) {
        v = mmu_ld(env, 0x10, 1 | IRM_SIGNED, SEG_ES | IRM_CHECK);
        mmu_st(env, 0x20, 0x1234, 2, SEG_ES | IRM_CHECK);
    } else {
        ck_abort_msg("unexpected fault %d", env->exc_vector);
    }
    ck_assert_uint_eq(v, 0xffffff80);
    ck_assert_uint_eq(m->ram[0x5020], 0x34);
    if (setjmp(env->jmp_env) == 0) {
        mmu_st(env, 0xff, 0x1234, 2, SEG_ES | IRM_CHECK);
        ck_abort_msg("no fault past the limit");
    }
    ck_assert_int_eq(env->exc_vector, EXC_GP);
    ck_assert_uint_eq(m->ram[0x50ff], 0);   /* nothing written */
    /* SEG_NONE: linear, no check */
    if (setjmp(env->jmp_env) == 0)
        v = mmu_ld(env, 0x5020, 2, SEG_NONE | IRM_CHECK);
    ck_assert_uint_eq(v, 0x1234);
}
END_TEST

START_TEST(test_rmw_load_faults_as_write)
{
    paging32(0);
    env->cr0 |= CR0_WP;
    map4k(0x400000, 0x200000, P | RW, P);   /* read-only */
    tlb_flush_all(env);
    if (setjmp(env->jmp_env) == 0) {
        mmu_ld(env, 0x400000, 4, SEG_NONE | IRM_RMW);
        ck_abort_msg("no fault");
    }
    ck_assert_int_eq(env->exc_vector, EXC_PF);
    ck_assert_int_eq(env->exc_error, 3);
}
END_TEST

/* ---- MMIO / ROM / unassigned ---- */

static uint32_t mmio_last_addr, mmio_last_val;
static int mmio_reads, mmio_writes;

static uint32_t mmio_rd(void *opaque, uint32_t addr, int size)
{
    mmio_reads++;
    mmio_last_addr = addr;
    return 0xabcd0000u | addr;
}

static void mmio_wr(void *opaque, uint32_t addr, uint32_t val, int size)
{
    mmio_writes++;
    mmio_last_addr = addr;
    mmio_last_val = val;
}

START_TEST(test_mmio_and_rom)
{
    uint32_t v;
    mmio_reads = mmio_writes = 0;
    ck_assert_int_eq(bus_register_mmio(m, 0xfec00000, 0x1000, mmio_rd, mmio_wr, NULL, "test"), 0);
    ck_assert_int_eq(bus_register_mmio(m, 0xfec00800, 0x1000, mmio_rd, mmio_wr, NULL, "overlap"), -1);
    ck_assert_int_eq(try_ld(0xfec00010, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xabcd0010);
    ck_assert_int_eq(try_ld(0xfec00010, 2, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0x0010);
    ck_assert_int_eq(mmio_reads, 2);   /* never cached as RAM: every access reaches the device */
    ck_assert_int_eq(try_st(0xfec00020, 0x99, 1, MMU_KERNEL), -1);
    ck_assert_int_eq(mmio_writes, 1);
    ck_assert_uint_eq(mmio_last_addr, 0x20);
    ck_assert_uint_eq(mmio_last_val, 0x99);
    ck_assert_uint_eq(env->tlb[MMU_KERNEL][0].tag_read & TLB_MMIO, TLB_MMIO);
    /* a region over RAM hides it */
    ck_assert_int_eq(bus_register_mmio(m, 0xa0000, 0x20000, mmio_rd, mmio_wr, NULL, "vga"), 0);
    ck_assert_int_eq(try_st(0xa0004, 0x77, 1, MMU_KERNEL), -1);
    ck_assert_uint_eq(m->ram[0xa0004], 0);
    ck_assert_int_eq(mmio_writes, 2);
    /* ROM at the top: readable, writes ignored; its last 128 KiB copied to 0xE0000 by bus_reset */
    static uint8_t rom[0x20000];
    memset(rom, 0, sizeof(rom));
    rom[0x1fff0] = 0xea;
    rom[0] = 0x5a;
    m->rom = rom;
    m->rom_size = sizeof(rom);
    bus_reset(m);
    tlb_flush_all(env);
    ck_assert_int_eq(try_ld(0xfffffff0, 1, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xea);
    ck_assert_int_eq(try_st(0xfffe0000, 0x11, 1, MMU_KERNEL), -1);
    ck_assert_uint_eq(rom[0], 0x5a);
    ck_assert_uint_eq(m->ram[0xffff0], 0xea);
    ck_assert_uint_eq(m->ram[0xe0000], 0x5a);
    ck_assert_int_eq(try_st(0xe0000, 0x11, 1, MMU_KERNEL), -1);   /* the low copy is writable (no PAM yet) */
    ck_assert_uint_eq(m->ram[0xe0000], 0x11);
    /* unassigned: all ones, writes ignored */
    ck_assert_int_eq(try_ld(0xc0000000, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xffffffff);
    ck_assert_int_eq(try_ld(0xc0000000, 2, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(v, 0xffff);
    ck_assert_int_eq(try_st(0xc0000000, 1, 4, MMU_KERNEL), -1);
    m->rom = NULL;
    m->rom_size = 0;
}
END_TEST

static uint32_t port_rd(void *opaque, uint32_t addr, int size) { return 0x100 + addr; }
static void port_wr(void *opaque, uint32_t addr, uint32_t val, int size) { *(uint32_t *)opaque = addr << 16 | val; }

START_TEST(test_ports_and_intr)
{
    uint32_t last = 0;
    ck_assert_int_eq(bus_register_io(m, 0x60, 4, port_rd, port_wr, &last, "kbd"), 0);
    ck_assert_int_eq(bus_register_io(m, 0x63, 1, port_rd, port_wr, &last, "dup"), -1);
    ck_assert_int_eq(bus_register_io(m, 0xffff, 2, port_rd, port_wr, &last, "wrap"), -1);
    ck_assert_uint_eq(bus_io_read(m, 0x61, 1), 0x01);   /* masked to the access size */
    ck_assert_uint_eq(bus_io_read(m, 0x62, 2), 0x102);
    bus_io_write(m, 0x63, 0x1ff, 1);
    ck_assert_uint_eq(last, 3u << 16 | 0xff);
    ck_assert_uint_eq(bus_io_read(m, 0x70, 1), 0xff);
    ck_assert_uint_eq(bus_io_read(m, 0x70, 4), 0xffffffff);
    ck_assert_uint_eq(m->io_accesses, 5);
    bus_set_intr(m, true);
    ck_assert_uint_eq(env->pending_irq, 1);
    ck_assert_uint_eq(env->exit_request, 1);
    bus_set_intr(m, false);
    ck_assert_uint_eq(env->pending_irq, 0);
}
END_TEST

START_TEST(test_guest_values_never_escape)
{
    /* page tables pointing anywhere (past RAM, at MMIO-free holes, at the ROM) never touch host memory outside RAM */
    uint32_t v;
    paging32(CR4_PSE);
    for (uint32_t i = 0; i < 1024; i++)
        wr32(PDIR + i * 4, (i * 0x9e3779b9u) | P | RW | US);
    wr32(PDIR + 4 * ((uint32_t)PDIR >> 22), PTAB | P | RW);   /* keep our own tables reachable */
    for (uint32_t lin = 0; lin < 0xfff00000u; lin += 0x4007f3u) {
        try_ld(lin, 4, MMU_USER, &v);
        try_st(lin, lin, 4, MMU_KERNEL);
    }
}
END_TEST

START_TEST(test_alignment_check)
{
    uint32_t v;
    env->cr0 |= CR0_AM;
    env->t[G_EFLAGS] |= F_AC;
    env->hflags |= 3;                     /* CPL 3 */
    ck_assert_int_eq(try_ld(0x2000, 4, MMU_USER, &v), -1);   /* fills a fast entry before the sync */
    mmu_sync_checks(env);
    ck_assert_int_eq(try_ld(0x2001, 4, MMU_USER, &v), EXC_AC);
    ck_assert_int_eq(env->exc_error, 0);
    ck_assert_int_eq(try_st(0x2002, 1, 4, MMU_USER), EXC_AC);
    ck_assert_int_eq(try_st(0x2fff, 1, 2, MMU_USER), EXC_AC);  /* page-crossing too */
    ck_assert_int_eq(try_st(0x2002, 1, 2, MMU_USER), -1);      /* word aligned */
    ck_assert_int_eq(try_ld(0x2003, 1, MMU_USER, &v), -1);     /* bytes never */
    ck_assert_int_eq(try_ld(0x2001, 4, MMU_KERNEL, &v), -1);   /* supervisor accesses are not checked */
    env->t[G_EFLAGS] &= ~F_AC;
    mmu_sync_checks(env);
    ck_assert_int_eq(try_ld(0x2001, 4, MMU_USER, &v), -1);
    env->hflags &= ~3u;
}
END_TEST

START_TEST(test_data_breakpoints)
{
    uint32_t v;
    ck_assert_int_eq(try_st(0x3000, 0, 4, MMU_KERNEL), -1);   /* a fast entry exists before DR7 is set */
    env->dr[2] = 0x3005;                  /* length 4: covers 0x3004..0x3007 */
    env->dr[7] = 0x400 | (1u << 4) | (0xdu << 24);   /* L2, R/W = 01 (write), LEN = 11 (4 bytes) */
    mmu_sync_checks(env);
    env->dr6_pending = 0;
    ck_assert_int_eq(try_ld(0x3004, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(env->dr6_pending, 0);          /* a read does not fire a write breakpoint */
    ck_assert_int_eq(try_st(0x3003, 0xaabbccdd, 2, MMU_KERNEL), -1);
    ck_assert_uint_eq(env->dr6_pending, 4);          /* B2; the store itself happened */
    ck_assert_uint_eq(m->ram[0x3004], 0xcc);
    env->dr6_pending = 0;
    ck_assert_int_eq(try_st(0x3008, 1, 4, MMU_KERNEL), -1);
    ck_assert_uint_eq(env->dr6_pending, 0);
    env->dr[7] = 0x400 | (1u << 4) | (0xfu << 24);
    mmu_sync_checks(env);                 /* R/W = 11: reads fire too */
    ck_assert_int_eq(try_ld(0x3007, 1, MMU_USER, &v), -1);
    ck_assert_uint_eq(env->dr6_pending, 4);
    env->dr6_pending = 0;
    env->dr[7] = 0x400;
    mmu_sync_checks(env);
    ck_assert_int_eq(try_ld(0x3004, 4, MMU_KERNEL, &v), -1);
    ck_assert_uint_eq(env->dr6_pending, 0);
}
END_TEST

static Suite *mmu_suite(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_nopaging_and_a20);
    tcase_add_test(tc, test_walk_4k_ad_bits);
    tcase_add_test(tc, test_dirty_bit_after_read_fill);
    tcase_add_test(tc, test_not_present_error_codes);
    tcase_add_test(tc, test_protection_wp_us);
    tcase_add_test(tc, test_pse_4m);
    tcase_add_test(tc, test_pae_walk);
    tcase_add_test(tc, test_pae_nx);
    tcase_add_test(tc, test_id_bit_without_nxe);
    tcase_add_test(tc, test_crossing_load);
    tcase_add_test(tc, test_crossing_store_no_partial_write);
    tcase_add_test(tc, test_tlb_caching_and_flush);
    tcase_add_test(tc, test_victim_tlb);
    tcase_add_test(tc, test_invlpg_large_page);
    tcase_add_test(tc, test_segment_checks);
    tcase_add_test(tc, test_mmu_ld_st_segmented);
    tcase_add_test(tc, test_rmw_load_faults_as_write);
    tcase_add_test(tc, test_mmio_and_rom);
    tcase_add_test(tc, test_ports_and_intr);
    tcase_add_test(tc, test_guest_values_never_escape);
    tcase_add_test(tc, test_alignment_check);
    tcase_add_test(tc, test_data_breakpoints);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mmu_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
