/* mmu.h — the software MMU: segment checks, the TLB, the 2-level / PAE page walk with A/D bits, and the
 * accessors the interpreter, the helpers and the translator use. All faults go through cpu_raise_exception with
 * the right vector, error code and CR2 (SDM vol 3 4.7, 6.15).
 * Invariants: a TLB entry is only filled after a complete walk that set A (and D for writes) exactly as the
 * hardware would; tag_write is only valid for pages that are dirty in the page tables, are RAM, and hold no
 * translated code (stores to code pages take the slow path, which invalidates the TBs first).
 * Left out: MTRR/PAT caching types (no effect on an emulator), SMAP/SMEP (not on a P6). */
#ifndef PCJIT_MMU_H
#define PCJIT_MMU_H
#include "cpu.h"
#include "ir.h"

/* Segmented access as the LD/ST IR ops do it: aux = IRM_* (segment, checks, user), size_flags = IRM size|signed.
 * Checks the segment limit/type when IRM_CHECK, adds the base, then accesses the linear address. */
uint32_t mmu_ld(CpuState *env, uint32_t off, int size_flags, int aux);
void mmu_st(CpuState *env, uint32_t off, uint32_t val, int size, int aux);
/* Linear-address access (accesses crossing a page are split; faults are raised for the failing page).
 * mmu_idx: MMU_KERNEL or MMU_USER (for system structures like the GDT/IDT/TSS use MMU_KERNEL). */
uint32_t mmu_ld_lin(CpuState *env, uint32_t lin, int size, int mmu_idx);
void mmu_st_lin(CpuState *env, uint32_t lin, uint32_t val, int size, int mmu_idx);
/* Check that [lin, lin+len) is writable (for instructions that must fault before writing anything). */
void mmu_probe_write(CpuState *env, uint32_t lin, uint32_t len, int mmu_idx);
/* Host pointer to [lin, lin+n) when it lies in one page that the TLB maps for reading (write: for writing, so no
 * translated code, watchpoint or MMIO on it), else NULL (use the accessors above). Never faults; the fast path of
 * helpers with multi-byte operands (x87). */
uint8_t *mmu_tlb_host_ptr(CpuState *env, uint32_t lin, int n, int mmu_idx, bool write);
/* Translate a linear address for an access (MMU_ACC_*), filling the TLB; raises #PF. Returns the physical address. */
enum { MMU_ACC_READ = 0, MMU_ACC_WRITE = 1, MMU_ACC_EXEC = 2 };
uint32_t mmu_translate(CpuState *env, uint32_t lin, int acc, int mmu_idx);
/* Code fetch for the translator: copy up to n bytes starting at linear lin. Returns how many bytes were copied
 * before the first page that cannot be fetched (that page is NOT faulted here); returns 0 after raising #PF if the
 * very first byte cannot be fetched and raise_first is true. *pa0 gets the physical address of lin. */
int mmu_fetch_code(CpuState *env, uint32_t lin, uint8_t *buf, int n, bool raise_first, uint32_t *pa0);
/* Physical address of linear lin for an instruction fetch at the current CPL, without raising: false if it cannot
 * be fetched (not present, NX, user/supervisor) or lies above 4 GiB. Fills the TLB like a fetch. */
bool mmu_code_phys(CpuState *env, uint32_t lin, uint32_t *pa);
/* True if the code TLB holds lin's page through a 4 KiB mapping (or paging is off); false for a large page or a
 * page not cached (callers then assume the worst). */
bool mmu_code_page_small(CpuState *env, uint32_t lin);
void tlb_flush_all(CpuState *env);       /* MOV CR3 without PGE semantics / CR0/CR4 changes */
void tlb_flush_nonglobal(CpuState *env); /* MOV CR3 with CR4.PGE: keep G pages */
void tlb_flush_page(CpuState *env, uint32_t lin); /* INVLPG */
/* A physical page just got its first TB: demote every TLB entry that could write it directly (TLB_NOTDIRTY). */
void tlb_protect_code_page(CpuState *env, uint32_t pa);
/* Between blocks (exec loop): if DR0-3/DR7 data breakpoints or the alignment-check condition (CR0.AM, EFLAGS.AC,
 * CPL 3) changed since the TLB was filled, flush it so that the affected pages take the checking slow path. */
void mmu_sync_checks(CpuState *env);
/* The segment check alone (used by string helpers): raises #GP(0)/#SS(0) if [off, off+size) is outside the
 * segment or the access type is not allowed. */
void seg_check_access(CpuState *env, int seg, uint32_t off, int size, bool write);

#endif
