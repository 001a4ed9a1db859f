/* sys_helpers.c — runtime helpers for system instructions: port I/O and its permission check, CLI/STI/HLT, CPUID,
 * RDTSC, RDMSR/WRMSR, SYSENTER/SYSEXIT, LLDT/LTR, LGDT/LIDT, MOV to/from CRn and DRn, LMSW/CLTS/INVLPG,
 * LAR/LSL/VERR/VERW, and the debug-register checks (single step, instruction breakpoints).
 * Invariants: a helper raises its fault before changing any state; mode-changing helpers end with
 * cpu_update_hflags (the translator then ends the block with EXIT_MODE); privilege checks that depend only on
 * the TB key (CPL, PE, VM) are made by the translator (xlat_sys.c) at translation time, the rest here.
 * Left out: MTRRs, performance counters (RDPMC), machine check MSRs, SMM, I/O breakpoints (XXX). Data breakpoints
 * live in the softmmu (mmu.c) and the exec loop. */
#include <stdio.h>
#include "clock.h"
#include "bus.h"
#include "exec.h"
#include "helpers.h"
#include "mmu.h"
#include "sys.h"

/* ---- port I/O (SDM vol 1 19.5, 19.5.2) ---- */

void io_check_permission(CpuState *env, uint32_t port, int size)
{
    if (!(env->cr0 & CR0_PE))
        return;
    if (!(env->t[G_EFLAGS] & F_VM) && cpu_cpl(env) <= cpu_iopl(env))
        return;
    int type = (env->tr.flags >> 8) & 0xf;
    if (env->tr.lo > env->tr.hi || (type != SYS_TSS32_AVAIL && type != SYS_TSS32_BUSY) || env->tr.limit < 0x67)
        cpu_raise_exception(env, EXC_GP, 0);
    uint32_t iobase = mmu_ld_lin(env, env->tr.base + 0x66, 2, MMU_KERNEL);
    uint32_t byte = iobase + ((port & 0xffff) >> 3);
    if (byte + 1 > env->tr.limit)   /* both bytes read must be inside the TSS */
        cpu_raise_exception(env, EXC_GP, 0);
    uint32_t bits = mmu_ld_lin(env, env->tr.base + byte, 2, MMU_KERNEL);
    if (bits & (((1u << size) - 1) << (port & 7)))
        cpu_raise_exception(env, EXC_GP, 0);
}

/* IN: a = port, b = size (1/2/4). Checks permission unless the block already knows CPL <= IOPL. */
uint32_t helper_in(CpuState *env, uint32_t port, uint32_t size)
{
    port &= 0xffff;
    if (!(env->hflags & HF_IOPL_OK))
        io_check_permission(env, port, (int)size);
    if (!env->machine)
        return 0xffffffffu >> (32 - 8 * size);
    return bus_io_read(env->machine, port, (int)size);
}

/* OUT: a = port, b = value, c = size. */
void helper_out(CpuState *env, uint32_t port, uint32_t val, uint32_t size)
{
    port &= 0xffff;
    if (!(env->hflags & HF_IOPL_OK))
        io_check_permission(env, port, (int)size);
    if (env->machine)
        bus_io_write(env->machine, port, val, (int)size);
}

/* ---- interrupt flag ---- */

/* CLI/STI permission (SDM vol 2 CLI table 3-7 without VME/PVI). */
static void if_check(CpuState *env)
{
    if (!(env->cr0 & CR0_PE))
        return;
    if (env->t[G_EFLAGS] & F_VM ? cpu_iopl(env) != 3 : cpu_cpl(env) > cpu_iopl(env))
        cpu_raise_exception(env, EXC_GP, 0);
}

void helper_cli(CpuState *env)
{
    if_check(env);
    env->t[G_EFLAGS] &= ~(uint32_t)F_IF;
}

void helper_sti(CpuState *env)
{
    if_check(env);
    if (!(env->t[G_EFLAGS] & F_IF))   /* the shadow only follows an STI that sets IF (SDM vol 2 STI) */
        env->hflags |= HF_INHIBIT_IRQ;
    env->t[G_EFLAGS] |= F_IF;
}

/* ---- CPUID (SDM vol 2 CPUID; Pentium II: family 6 model 5 stepping 2) ---- */

enum {
    CPUID_FPU = 1 << 0, CPUID_MMX = 1 << 23, CPUID_FXSR = 1 << 24,
    CPUID_DE = 1 << 2, CPUID_PSE = 1 << 3, CPUID_TSC = 1 << 4, CPUID_MSR = 1 << 5, CPUID_PAE = 1 << 6,
    CPUID_CX8 = 1 << 8, CPUID_SEP = 1 << 11, CPUID_PGE = 1 << 13, CPUID_CMOV = 1 << 15,
};
/* Only what is implemented: FPU, MMX and FXSR (fpu.c; CR4.OSFXSR accepted), no VME, no APIC, no MTRR/MCA/MCE/PAT. */
static const uint32_t cpuid_leaves[3][4] = {
    /* EAX, EBX, ECX, EDX */
    { 2, 0x756e6547, 0x6c65746e, 0x49656e69 },   /* max leaf 2, "GenuineIntel" */
    { 0x0652, 0, 0, CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | CPUID_CX8 | CPUID_SEP |
                        CPUID_PGE | CPUID_CMOV | CPUID_MMX | CPUID_FXSR },
    { 0x03020101, 0, 0, 0x0c040843 },            /* Pentium II cache/TLB descriptors */
};

void helper_cpuid(CpuState *env)
{
    uint32_t leaf = env->t[G_EAX];
    /* leaves above the maximum (extended ones included: a P6 has none) return the highest basic leaf */
    if (leaf > 2)
        leaf = 2;
    env->t[G_EAX] = cpuid_leaves[leaf][0];
    env->t[G_EBX] = cpuid_leaves[leaf][1];
    env->t[G_ECX] = cpuid_leaves[leaf][2];
    env->t[G_EDX] = cpuid_leaves[leaf][3];
}

/* ---- TSC and MSRs ---- */

/* The TSC's raw count before tsc_offset: on a board with a clock, virtual nanoseconds (a 1 GHz TSC that follows the
 * same time the PIT, RTC and PM timer follow: host time, or the instruction count under -icount, so a guest that
 * calibrates the TSC against the PIT gets a TSC that stays calibrated); on a bare machine the instruction count. */
static uint64_t cpu_tsc_raw(const CpuState *env)
{
    if (env->machine && env->machine->clock)
        return (uint64_t)clock_now(env->machine->clock);
    return env->icount;
}

static uint64_t cpu_tsc(const CpuState *env)
{
    return cpu_tsc_raw(env) + env->tsc_offset;
}

void cpu_tsc_set(CpuState *env, uint64_t v)
{
    env->tsc_offset = v - cpu_tsc_raw(env);
}

void helper_rdtsc(CpuState *env)
{
    if ((env->cr4 & CR4_TSD) && cpu_cpl(env) != 0 && (env->cr0 & CR0_PE))
        cpu_raise_exception(env, EXC_GP, 0);
    uint64_t t = cpu_tsc(env);
    env->t[G_EAX] = (uint32_t)t;
    env->t[G_EDX] = (uint32_t)(t >> 32);
}

void helper_rdmsr(CpuState *env)
{
    uint32_t idx = env->t[G_ECX];
    uint64_t v;
    switch (idx) {
    case MSR_IA32_TSC: v = cpu_tsc(env); break;
    case MSR_IA32_APIC_BASE: v = 0xfee00000u | 0x100; break;  /* BSP, global enable clear: no APIC */
    case MSR_IA32_PLATFORM_ID: v = 0; break;                    /* platform 0 */
    case MSR_IA32_BIOS_SIGN_ID: v = 0; break;                   /* microcode revision 0 (EDX) */
    case MSR_IA32_SYSENTER_CS: v = env->sysenter_cs; break;
    case MSR_IA32_SYSENTER_ESP: v = env->sysenter_esp; break;
    case MSR_IA32_SYSENTER_EIP: v = env->sysenter_eip; break;
    default:
        log_unimplemented_once("rdmsr", idx);
        cpu_raise_exception(env, EXC_GP, 0);
    }
    env->t[G_EAX] = (uint32_t)v;
    env->t[G_EDX] = (uint32_t)(v >> 32);
}

void helper_wrmsr(CpuState *env)
{
    uint32_t idx = env->t[G_ECX];
    uint64_t v = ((uint64_t)env->t[G_EDX] << 32) | env->t[G_EAX];
    switch (idx) {
    case MSR_IA32_TSC: cpu_tsc_set(env, v); break;
    case MSR_IA32_APIC_BASE:
        if (v & 0x800)   /* enabling an APIC that is not there */
            cpu_raise_exception(env, EXC_GP, 0);
        break;
    case MSR_IA32_BIOS_SIGN_ID: break;   /* software writes 0 before CPUID to read the microcode revision */
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = (uint32_t)v & 0xffff; break;
    case MSR_IA32_SYSENTER_ESP: env->sysenter_esp = (uint32_t)v; break;
    case MSR_IA32_SYSENTER_EIP: env->sysenter_eip = (uint32_t)v; break;
    default:
        log_unimplemented_once("wrmsr", idx);
        cpu_raise_exception(env, EXC_GP, 0);
    }
}

/* ---- SYSENTER / SYSEXIT (SDM vol 2) ---- */

/* Flat 4 GiB segment caches as SYSENTER/SYSEXIT load them (no descriptor is read). */
static void seg_flat(SegCache *sc, uint32_t sel, bool code, int dpl)
{
    uint32_t e2 = 0x00cf9300u | (code ? DESC_CODE | DESC_R : 0) | ((uint32_t)dpl << DESC_DPL_SHIFT);
    seg_cache_set(sc, sel, 0x0000ffffu, e2);
}

void helper_sysenter(CpuState *env)
{
    if (!(env->cr0 & CR0_PE) || (env->sysenter_cs & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    env->t[G_EFLAGS] &= ~(uint32_t)(F_VM | F_IF | F_RF);
    seg_flat(&env->seg[SEG_CS], env->sysenter_cs & 0xfffc, true, 0);
    seg_flat(&env->seg[SEG_SS], (env->sysenter_cs + 8) & 0xfffc, false, 0);
    env->hflags &= ~HF_CPL_MASK;
    env->t[G_ESP] = env->sysenter_esp;
    env->t[G_EIP] = env->sysenter_eip;
    cpu_update_hflags(env);
}

void helper_sysexit(CpuState *env)
{
    if (!(env->cr0 & CR0_PE) || (env->t[G_EFLAGS] & F_VM) || cpu_cpl(env) != 0 ||
        (env->sysenter_cs & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    seg_flat(&env->seg[SEG_CS], ((env->sysenter_cs + 16) & 0xfffc) | 3, true, 3);
    seg_flat(&env->seg[SEG_SS], ((env->sysenter_cs + 24) & 0xfffc) | 3, false, 3);
    env->hflags |= 3;
    env->t[G_ESP] = env->t[G_ECX];
    env->t[G_EIP] = env->t[G_EDX];
    cpu_update_hflags(env);
}

/* ---- descriptor-table registers ---- */

void helper_lldt(CpuState *env, uint32_t sel)
{
    uint32_t e1, e2;
    sel &= 0xffff;
    if ((sel & 0xfffc) == 0) {
        seg_cache_null(&env->ldtr, sel);
        return;
    }
    if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2) || desc_type(e2) != SYS_LDT)
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    seg_cache_set(&env->ldtr, sel, e1, e2);
}

void helper_ltr(CpuState *env, uint32_t sel)
{
    uint32_t e1, e2;
    sel &= 0xffff;
    if ((sel & 0xfffc) == 0)
        cpu_raise_exception(env, EXC_GP, 0);
    if ((sel & 4) || !seg_fetch_desc(env, sel, &e1, &e2))
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    int type = desc_type(e2);
    if (type != SYS_TSS16_AVAIL && type != SYS_TSS32_AVAIL)
        cpu_raise_exception(env, EXC_GP, sel & 0xfffc);
    if (!(e2 & DESC_P))
        cpu_raise_exception(env, EXC_NP, sel & 0xfffc);
    e2 |= 2 << 8;   /* busy */
    mmu_st_lin(env, env->gdt_base + (sel & 0xfff8) + 5, (e2 >> 8) & 0xff, 1, MMU_KERNEL);
    seg_cache_set(&env->tr, sel, e1, e2);
}

/* LGDT/LIDT: a = limit, b = base (the translator masks it to 24 bits for a 16-bit operand size). */
void helper_lgdt(CpuState *env, uint32_t limit, uint32_t base)
{
    env->gdt_limit = limit & 0xffff;
    env->gdt_base = base;
}

void helper_lidt(CpuState *env, uint32_t limit, uint32_t base)
{
    env->idt_limit = limit & 0xffff;
    env->idt_base = base;
}

/* ---- control registers (SDM vol 3 2.5, 4.1.1, 4.4.1) ---- */

enum { CR0_VALID = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD |
       CR0_PG,
       /* OSFXSR: FXSAVE/FXRSTOR exist (CPUID.FXSR); without SSE the bit gates nothing else here */
       CR4_VALID = CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR };

/* PAE: the four PDPTEs at CR3[31:5]; reserved bits set -> #GP(0) (P6: MAXPHYADDR 36, no NX in PDPTEs). */
static void pae_load_pdptes(CpuState *env, uint32_t cr3, uint64_t out[4])
{
    for (int i = 0; i < 4; i++) {
        uint32_t pa = (cr3 & ~0x1fu) + 8 * (uint32_t)i;
        uint64_t lo = env->machine ? bus_phys_read(env->machine, pa, 4) : 0;
        uint64_t hi = env->machine ? bus_phys_read(env->machine, pa + 4, 4) : 0;
        out[i] = lo | (hi << 32);
        if ((out[i] & 1) && (out[i] & 0xfffffff0000001e6ull))
            cpu_raise_exception(env, EXC_GP, 0);
    }
}

void cpu_set_cr3(CpuState *env, uint32_t val)
{
    if ((env->cr4 & CR4_PAE) && (env->cr0 & CR0_PG)) {
        uint64_t pd[4];
        pae_load_pdptes(env, val, pd);
        for (int i = 0; i < 4; i++)
            env->pdpte[i] = pd[i];
    }
    env->cr3 = val;
    if (env->cr4 & CR4_PGE)
        tlb_flush_nonglobal(env);
    else
        tlb_flush_all(env);
}

static void cpu_set_cr0(CpuState *env, uint32_t val)
{
    val = (val & CR0_VALID) | CR0_ET;   /* ET is hardwired to 1 on the P6 */
    if ((val & CR0_PG) && !(val & CR0_PE))
        cpu_raise_exception(env, EXC_GP, 0);
    if ((val & CR0_NW) && !(val & CR0_CD))
        cpu_raise_exception(env, EXC_GP, 0);
    if ((val & CR0_PG) && !(env->cr0 & CR0_PG) && (env->cr4 & CR4_PAE)) {
        uint64_t pd[4];
        pae_load_pdptes(env, env->cr3, pd);
        for (int i = 0; i < 4; i++)
            env->pdpte[i] = pd[i];
    }
    uint32_t changed = env->cr0 ^ val;
    env->cr0 = val;
    if (changed & (CR0_PG | CR0_WP | CR0_PE))
        tlb_flush_all(env);
}

static void cpu_set_cr4(CpuState *env, uint32_t val)
{
    if (val & ~(uint32_t)CR4_VALID)
        cpu_raise_exception(env, EXC_GP, 0);
    if ((val & CR4_PAE) && !(env->cr4 & CR4_PAE) && (env->cr0 & CR0_PG)) {
        uint64_t pd[4];
        pae_load_pdptes(env, env->cr3, pd);
        for (int i = 0; i < 4; i++)
            env->pdpte[i] = pd[i];
    }
    uint32_t changed = env->cr4 ^ val;
    env->cr4 = val;
    if (changed & (CR4_PGE | CR4_PSE | CR4_PAE))
        tlb_flush_all(env);
}

/* MOV CRn, r32: a = n (0, 2, 3, 4; the translator raises #UD for others), b = value. */
void helper_mov_cr_write(CpuState *env, uint32_t n, uint32_t val)
{
    switch (n) {
    case 0: cpu_set_cr0(env, val); break;
    case 2: env->cr2 = val; break;
    case 3: cpu_set_cr3(env, val); break;
    case 4: cpu_set_cr4(env, val); break;
    default: cpu_raise_exception(env, EXC_UD, -1);
    }
    cpu_update_hflags(env);
}

uint32_t helper_mov_cr_read(CpuState *env, uint32_t n)
{
    switch (n) {
    case 0: return env->cr0;
    case 2: return env->cr2;
    case 3: return env->cr3;
    case 4: return env->cr4;
    default: cpu_raise_exception(env, EXC_UD, -1);
    }
}

/* LMSW: loads PE MP EM TS; cannot clear PE (SDM vol 2 LMSW). */
void helper_lmsw(CpuState *env, uint32_t val)
{
    uint32_t cr0 = (env->cr0 & ~(uint32_t)(CR0_MP | CR0_EM | CR0_TS)) | (val & 0xf) | (env->cr0 & CR0_PE);
    cpu_set_cr0(env, cr0);
    cpu_update_hflags(env);
}

void helper_clts(CpuState *env)
{
    env->cr0 &= ~(uint32_t)CR0_TS;
    cpu_update_hflags(env);
}

void helper_invlpg(CpuState *env, uint32_t lin)
{
    tlb_flush_page(env, lin);
}

/* ---- debug registers (SDM vol 3 17.2) ---- */

/* DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD); DR7.GD makes any access a #DB fault with DR6.BD. */
static int dr_index(CpuState *env, uint32_t n)
{
    n &= 7;
    if (n == 4 || n == 5) {
        if (env->cr4 & CR4_DE)
            cpu_raise_exception(env, EXC_UD, -1);
        n += 2;
    }
    if (env->dr[7] & DR7_GD) {
        env->dr[7] &= ~(uint32_t)DR7_GD;
        env->dr[6] |= DR6_BD;
        cpu_raise_exception(env, EXC_DB, -1);
    }
    return (int)n;
}

uint32_t helper_mov_dr_read(CpuState *env, uint32_t n)
{
    return env->dr[dr_index(env, n)];
}

void helper_mov_dr_write(CpuState *env, uint32_t n, uint32_t val)
{
    int i = dr_index(env, n);
    if (i == 6)
        val = (val & 0xe00f) | DR6_FIXED;
    else if (i == 7) {
        val = (val | DR7_FIXED) & ~0xd800u;
        for (int b = 0; b < 4; b++)   /* XXX: I/O breakpoints (R/W = 10 with CR4.DE) are not implemented */
            if (((val >> (b * 2)) & 3) && ((val >> (16 + b * 4)) & 3) == 2 && (env->cr4 & CR4_DE))
                log_unimplemented_once("DR7 I/O breakpoint", (uint32_t)b);
    }
    env->dr[i] = val;
    cpu_update_hflags(env);
}

/* Called by the block loop after each instruction translated with HF_TF: #DB trap with DR6.BS, returning to
 * the EIP the instruction left in G_EIP (SDM vol 3 17.3.1.4). */
void helper_debug_single_step(CpuState *env)
{
    if (env->hflags & HF_INHIBIT_DEBUG) {   /* after MOV SS / POP SS: the trap comes after the next instruction */
        env->hflags &= ~(uint32_t)HF_INHIBIT_DEBUG;
        return;
    }
    env->dr[6] |= DR6_BS;
    cpu_raise_trap(env, EXC_DB, -1, env->t[G_EIP]);
}

/* Called before each instruction translated with HF_DR_EXEC: a = its EIP. Instruction breakpoints are faults;
 * RF=1 suppresses them for one instruction (SDM vol 3 17.3.1.1). */
void helper_debug_check_exec(CpuState *env, uint32_t eip)
{
    if (env->t[G_EFLAGS] & F_RF) {
        env->t[G_EFLAGS] &= ~(uint32_t)F_RF;
        return;
    }
    uint32_t lin = env->seg[SEG_CS].base + eip, dr7 = env->dr[7], hit = 0;
    for (int i = 0; i < 4; i++)
        if (((dr7 >> (i * 2)) & 3) && ((dr7 >> (16 + i * 4)) & 3) == 0 && env->dr[i] == lin)
            hit |= 1u << i;
    if (hit) {
        env->dr[6] = (env->dr[6] & ~0xfu) | hit;
        cpu_raise_exception(env, EXC_DB, -1);
    }
}

/* ---- LAR / LSL / VERR / VERW (SDM vol 2): never fault on a bad selector, report through ZF ---- */

static void cpu_set_zf(CpuState *env, bool zf)
{
    uint32_t fl = cpu_get_eflags(env);
    cpu_set_eflags(env, zf ? fl | F_ZF : fl & ~(uint32_t)F_ZF, F_ARITH);
}

/* Fetch the descriptor for the checks shared by the four: not null, inside the table, and for segments that are
 * not conforming code, DPL >= CPL and DPL >= RPL. */
static bool desc_visible(CpuState *env, uint32_t sel, uint32_t *e1, uint32_t *e2)
{
    if ((sel & 0xfffc) == 0 || !seg_fetch_desc(env, sel, e1, e2))
        return false;
    bool conforming = (*e2 & (DESC_S | DESC_CODE | DESC_C)) == (DESC_S | DESC_CODE | DESC_C);
    int dpl = desc_dpl(*e2);
    return conforming || (dpl >= cpu_cpl(env) && dpl >= (int)(sel & 3));
}

/* Write the destination register of LAR/LSL: b = reg | operand size << 8. */
static void sys_write_reg(CpuState *env, uint32_t regsize, uint32_t val)
{
    int reg = regsize & 7;
    if ((regsize >> 8) == 4)
        env->t[G_EAX + reg] = val;
    else
        env->t[G_EAX + reg] = (env->t[G_EAX + reg] & 0xffff0000u) | (val & 0xffff);
}

void helper_lar(CpuState *env, uint32_t sel, uint32_t regsize)
{
    uint32_t e1, e2;
    bool ok = desc_visible(env, sel & 0xffff, &e1, &e2);
    if (ok && !(e2 & DESC_S)) {
        static const bool lar_ok[16] = { [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [9] = 1, [11] = 1, [12] = 1 };
        ok = lar_ok[(e2 >> 8) & 0xf];
    }
    if (ok)
        sys_write_reg(env, regsize, e2 & 0x00f0ff00u);
    cpu_set_zf(env, ok);
}

void helper_lsl(CpuState *env, uint32_t sel, uint32_t regsize)
{
    uint32_t e1, e2;
    bool ok = desc_visible(env, sel & 0xffff, &e1, &e2);
    if (ok && !(e2 & DESC_S)) {
        int t = (e2 >> 8) & 0xf;
        ok = t == SYS_TSS16_AVAIL || t == SYS_LDT || t == SYS_TSS16_BUSY || t == SYS_TSS32_AVAIL ||
             t == SYS_TSS32_BUSY;
    }
    if (ok)
        sys_write_reg(env, regsize, desc_limit(e1, e2));
    cpu_set_zf(env, ok);
}

void helper_verr(CpuState *env, uint32_t sel)
{
    uint32_t e1, e2;
    bool ok = desc_visible(env, sel & 0xffff, &e1, &e2) && (e2 & DESC_S) &&
              (!(e2 & DESC_CODE) || (e2 & DESC_R));
    cpu_set_zf(env, ok);
}

void helper_verw(CpuState *env, uint32_t sel)
{
    uint32_t e1, e2;
    bool ok = desc_visible(env, sel & 0xffff, &e1, &e2) && (e2 & (DESC_S | DESC_CODE | DESC_W)) == (DESC_S | DESC_W);
    cpu_set_zf(env, ok);
}
