/* sys.h — the i686 system-semantics layer shared by seg.c, excp.c, task.c, sys_helpers.c and xlat_sys.c (and the
 * string-I/O helpers, which use io_check_permission): descriptor fetch and decode, segment-cache fills, checked
 * pushes/pops on a stack that is not yet committed, hardware task switches, software interrupts and traps.
 * Invariants: every function here that can fault does all of its checks (and stack writes) before it changes any
 * architectural register, so a fault leaves the CPU as before the instruction (precise, ir.h).
 * Left out: the MMU (mmu.h) and the execution loop (exec.h). */
#ifndef PCJIT_SYS_H
#define PCJIT_SYS_H
#include "cpu.h"

/* Raise #GP(0) unless an I/O access of size bytes at port is allowed: CPL <= IOPL outside v8086 mode, else (and
 * in v8086 mode always) the TSS I/O permission bitmap (SDM vol 1 19.5). Real mode: always allowed. */
void io_check_permission(CpuState *env, uint32_t port, int size);

/* ---- descriptors (seg.c) ---- */
/* helper_load_seg's first argument: SEG_* or, for LSS, SEG_SS | LOAD_SEG_NO_SHADOW (no interrupt shadow). */
enum { LOAD_SEG_NO_SHADOW = 0x100 };
enum {
    SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4, SYS_TASKGATE = 5,
    SYS_INTGATE16 = 6, SYS_TRAPGATE16 = 7, SYS_TSS32_AVAIL = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12,
    SYS_INTGATE32 = 14, SYS_TRAPGATE32 = 15,
};
static inline uint32_t desc_base(uint32_t e1, uint32_t e2)
{
    return (e1 >> 16) | ((e2 & 0xff) << 16) | (e2 & 0xff000000u);
}
static inline uint32_t desc_limit(uint32_t e1, uint32_t e2)
{
    uint32_t l = (e1 & 0xffff) | (e2 & 0x000f0000u);
    return (e2 & DESC_G) ? (l << 12) | 0xfff : l;
}
static inline int desc_dpl(uint32_t e2) { return (e2 >> DESC_DPL_SHIFT) & 3; }
static inline int desc_type(uint32_t e2) { return (e2 >> 8) & 0x1f; }   /* S bit included: 0x10 = code/data */
static inline int cpu_cpl(const CpuState *env) { return env->hflags & HF_CPL_MASK; }
static inline bool cpu_pm(const CpuState *env) { return (env->cr0 & CR0_PE) && !(env->t[G_EFLAGS] & F_VM); }
static inline int cpu_iopl(const CpuState *env) { return (env->t[G_EFLAGS] >> 12) & 3; }

/* Read the descriptor for sel from the GDT or LDT; false if its 8 bytes are outside the table (no fault). */
bool seg_fetch_desc(CpuState *env, uint32_t sel, uint32_t *e1, uint32_t *e2);
/* Write the accessed bit into the descriptor in memory (if not already set); updates *e2. */
void seg_set_accessed(CpuState *env, uint32_t sel, uint32_t *e2);
/* Fill a segment cache from a descriptor (lo/hi computed, expand-down folded in). */
void seg_cache_set(SegCache *sc, uint32_t sel, uint32_t e1, uint32_t e2);
void seg_cache_null(SegCache *sc, uint32_t sel);
/* v8086 / real-mode style cache for seg (base = sel << 4). vm: v8086 attributes (limit 0xFFFF, DPL 3). */
void seg_load_real(CpuState *env, int seg, uint32_t sel, bool vm);
/* Protected-mode data/stack segment load with every check (SDM vol 2 MOV): faults, then fills the cache. */
void seg_load_pm(CpuState *env, int seg, uint32_t sel);
/* CS := descriptor with RPL = cpl, CPL := cpl. Does not recompute hflags. */
void seg_load_cs(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int cpl);
/* Check an SS selector/descriptor for a stack switch to privilege dpl: #TS(sel) / #SS(sel) (SDM vol 3 6.12.1);
 * ext: the EXT bit of the error code (1 while delivering an exception or external interrupt). */
void seg_check_new_ss(CpuState *env, uint32_t ss, int dpl, uint32_t *e1, uint32_t *e2, int ext);
/* Checks of the CS / SS popped by RETF and IRET (SDM vol 2 RET, IRET): #GP(sel), #NP / #SS(sel). */
void far_check_return_cs(CpuState *env, uint32_t cs, uint32_t *e1, uint32_t *e2);
void far_check_return_ss(CpuState *env, uint32_t ss, int rpl, uint32_t *e1, uint32_t *e2);
/* After a return to an outer privilege level: null ES/DS/FS/GS that the new CPL may not use (SDM vol 2 RET). */
void seg_null_inaccessible(CpuState *env);

/* ---- a stack being built or unwound before the CPU commits to it ---- */
typedef struct SysStack {
    uint32_t base, sp, mask;   /* linear base, offset, 0xFFFF (SS.B=0) or 0xFFFFFFFF */
    uint32_t lo, hi;           /* valid offsets of the stack segment */
    int mmu_idx;               /* MMU_USER when the access is made at CPL 3 */
    int err;                   /* #SS error code on a limit violation */
} SysStack;
void stack_from_cache(SysStack *s, const SegCache *ss, uint32_t esp, int cpl, int err);
void stack_push(CpuState *env, SysStack *s, uint32_t val, int size);
uint32_t stack_pop(CpuState *env, SysStack *s, int size);
/* RETF/IRET to an outer privilege level: pop SS:ESP, check, load CS and SS, ESP += imm, null inaccessible data
 * segments (far.c). The caller sets EIP. */
void far_return_outer(CpuState *env, SysStack *s, int size, uint32_t cs, uint32_t e1, uint32_t e2, uint32_t eip,
                      uint32_t imm);
/* ESP := s->sp under the stack-width mask of the given SS.B (16-bit stacks only change SP). */
void stack_set_esp(CpuState *env, uint32_t sp, uint32_t mask);

/* TSS stack pointer for privilege level dpl of the current task (SDM vol 3 7.2.1): #TS(TR | ext) on a too-short
 * TSS. */
void tss_get_stack(CpuState *env, int dpl, uint32_t *ss, uint32_t *esp, int ext);

/* ---- task switches (task.c) ---- */
enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
/* Switch to the task whose TSS descriptor (sel, e1, e2) was already checked by the caller for type and presence.
 * next_eip: EIP saved in the old TSS. Faults in the new task's state are raised after the switch (SDM vol 3 7.3). */
void task_switch(CpuState *env, uint32_t sel, uint32_t e1, uint32_t e2, int source, uint32_t next_eip);

/* ---- control registers (sys_helpers.c) ---- */
/* CR3 := val with the TLB flush it implies and (PAE) the PDPTE load (SDM vol 3 4.4.1). */
/* Set the time-stamp counter to v (RESET: 0; WRMSR 10H); it then counts at 1 GHz of virtual time (sys_helpers.c). */
void cpu_tsc_set(CpuState *env, uint64_t v);
void cpu_set_cr3(CpuState *env, uint32_t val);

/* ---- interrupts (excp.c) ---- */
/* Software interrupt INT n / INT3 / INTO: the exec loop delivers it with the DPL check and EIP = next_eip. */
_Noreturn void cpu_raise_softint(CpuState *env, int vector, uint32_t next_eip);
/* A trap-class exception (single step, data breakpoint, INT1): delivered with EIP = next_eip, no DPL check. */
_Noreturn void cpu_raise_trap(CpuState *env, int vector, int error, uint32_t next_eip);

/* ---- far transfers (far.c) ---- */
void far_jmp(CpuState *env, uint32_t sel, uint32_t offset, uint32_t next_eip);
void far_call(CpuState *env, uint32_t sel, uint32_t offset, uint32_t next_eip, int opsize);

/* DR6/DR7 bits (SDM vol 3 17.2) */
enum {
    DR6_B0 = 1, DR6_BD = 1 << 13, DR6_BS = 1 << 14, DR6_BT = 1 << 15, DR6_FIXED = 0xffff0ff0u,
    DR7_GD = 1 << 13, DR7_FIXED = 0x400,
};
/* MSR numbers (SDM vol 4) */
enum {
    MSR_IA32_TSC = 0x10, MSR_IA32_PLATFORM_ID = 0x17, MSR_IA32_APIC_BASE = 0x1b, MSR_IA32_BIOS_SIGN_ID = 0x8b, MSR_IA32_SYSENTER_CS = 0x174, MSR_IA32_SYSENTER_ESP = 0x175,
    MSR_IA32_SYSENTER_EIP = 0x176, MSR_IA32_EFER = 0xc0000080u,
};

#endif
