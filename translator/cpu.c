/* cpu.c — the CPU's power-on state (cpu_reset) and the derived mode bits (cpu_update_hflags).
 * Invariants: hflags is a pure function of CR0, CR4, DR7, EFLAGS, the segment caches and the current privilege
 * level, except HF_CPL_MASK (the CPL is set explicitly by whoever loads CS: far transfers, interrupts, task
 * switches, SYSENTER/SYSEXIT, because in protected mode it is not derivable from CS.sel right after MOV CR0 sets
 * PE) and HF_INHIBIT_IRQ (the interrupt shadow, set by MOV SS/POP SS/STI and cleared by the exec loop).
 * Left out: INIT (as opposed to RESET) semantics: we have one CPU and no APIC. */
#include <string.h>
#include "cpu.h"
#include "mmu.h"
#include "sys.h"

/* The x87 unit's reset (fpu.c). Weak so this file does not depend on the FPU being linked. XXX: RESET (as opposed
 * to FNINIT) also zeroes R0-R7 and loads FCW = 0040H, FTW = 5555H (SDM vol 3 table 9-1): fpu.c's to decide. */
extern void fpu_reset(CpuState *env) __attribute__((weak));

/* CPUID signature: family 6, model 5, stepping 2 (Pentium II). RESET leaves it in EDX (SDM vol 3 9.1.4). */
enum { CPU_SIGNATURE = 0x0652 };

static void seg_reset(SegCache *s, uint16_t sel, uint32_t base, uint32_t flags)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xffff;
    s->flags = flags;
    s->lo = 0;
    s->hi = 0xffff;
    s->pad = 0;
}

/* SDM vol 3 9.1.1, table 9-1: state after RESET#. */
void cpu_reset(CpuState *env)
{
    memset(env->t, 0, sizeof(env->t[0]) * IR_NUM_GLOBALS);
    env->t[G_EDX] = CPU_SIGNATURE;
    env->t[G_EIP] = 0xfff0;
    env->t[G_EFLAGS] = 2;
    env->t[G_CC_OP] = CC_OP_EFLAGS;
    const uint32_t data = DESC_P | DESC_S | DESC_W | DESC_A;
    for (int s = SEG_ES; s <= SEG_GS; s++)
        seg_reset(&env->seg[s], 0, 0, data);
    seg_reset(&env->seg[SEG_CS], 0xf000, 0xffff0000u, DESC_P | DESC_S | DESC_CODE | DESC_R | DESC_A);
    seg_reset(&env->ldtr, 0, 0, DESC_P | (SYS_LDT << 8));
    seg_reset(&env->tr, 0, 0, DESC_P | (SYS_TSS32_BUSY << 8));
    env->gdt_base = env->idt_base = 0;
    env->gdt_limit = env->idt_limit = 0xffff;
    env->cr0 = 0x60000010u;   /* CD NW ET */
    env->cr2 = env->cr3 = env->cr4 = 0;
    memset(env->dr, 0, sizeof(env->dr));
    env->dr[6] = DR6_FIXED;
    env->dr[7] = DR7_FIXED;
    env->hflags = 0;
    if (env->a20_mask == 0)          /* never set by the board: A20 enabled */
        env->a20_mask = 0xffffffffu;
    cpu_tsc_set(env, 0);                            /* RESET clears the TSC */
    env->sysenter_cs = env->sysenter_esp = env->sysenter_eip = 0;
    env->efer = 0;
    memset(env->pdpte, 0, sizeof(env->pdpte));
    env->nmi_pending = false;
    env->nmi_blocked = false;
    env->halted = false;
    env->shutdown = false;
    env->exc_vector = -1;
    env->exc_error = -1;
    env->exc_is_int = false;
    env->exc_is_trap = false;
    env->exc_next_eip = 0;
    env->old_exception = -1;
    if (fpu_reset) {
        fpu_reset(env);
        /* RESET (unlike FNINIT) also clears R0-R7 and loads FCW = 0040H; tags read 5555H (all valid zeros)
         * (SDM vol 3 table 9-1) */
        memset(env->fpr, 0, sizeof(env->fpr));
        env->fpu_cw = 0x40;
        env->fpu_empty = 0;
        env->fpu_mxcsr_x = 0;   /* MXCSR = 1F80H (stored XOR 1F80H) */
    }
    cpu_update_hflags(env);
    tlb_flush_all(env);
}

/* A segment the translator may treat as base 0, offsets 0..4G-1 with no check (HF_FLAT). */
static bool seg_is_flat(const SegCache *s, bool code)
{
    if (s->base != 0 || s->lo != 0 || s->hi != 0xffffffffu || !(s->flags & DESC_P))
        return false;
    /* data must be writable; code must be readable (CS-override loads skip the check too) */
    return code ? (s->flags & (DESC_CODE | DESC_R)) == (DESC_CODE | DESC_R)
                : (s->flags & (DESC_CODE | DESC_W)) == DESC_W;
}

/* Any enabled DR7 breakpoint with R/W = 00 (instruction execution; SDM vol 3 17.2.4). */
static bool dr7_has_exec_bp(uint32_t dr7)
{
    for (int i = 0; i < 4; i++)
        if (((dr7 >> (i * 2)) & 3) && ((dr7 >> (16 + i * 4)) & 3) == 0)
            return true;
    return false;
}

void cpu_update_hflags(CpuState *env)
{
    uint32_t ef = env->t[G_EFLAGS];
    uint32_t hf = env->hflags & (HF_CPL_MASK | HF_INHIBIT_IRQ | HF_INHIBIT_DEBUG);
    int iopl = (ef >> 12) & 3;
    if (!(env->cr0 & CR0_PE)) {
        hf &= ~HF_CPL_MASK;           /* real mode: CPL 0 */
        hf |= HF_IOPL_OK;
    } else {
        hf |= HF_PE;
        if (ef & F_VM)
            hf |= HF_VM | 3;          /* v8086: CPL 3; IN/OUT always consult the bitmap (SDM vol 3 20.2.8.1) */
        else if ((int)(hf & HF_CPL_MASK) <= iopl)
            hf |= HF_IOPL_OK;
    }
    if (env->cr0 & CR0_PG)
        hf |= HF_PG;
    if (env->seg[SEG_CS].flags & DESC_B)
        hf |= HF_CS32;
    if (env->seg[SEG_SS].flags & DESC_B)
        hf |= HF_SS32;
    if (ef & F_TF)
        hf |= HF_TF;
    if (env->cr0 & (CR0_EM | CR0_TS))
        hf |= HF_EM_TS;
    if (dr7_has_exec_bp(env->dr[7]))
        hf |= HF_DR_EXEC;
    if (!(hf & HF_VM) && seg_is_flat(&env->seg[SEG_CS], true) && seg_is_flat(&env->seg[SEG_SS], false) &&
        seg_is_flat(&env->seg[SEG_DS], false) && seg_is_flat(&env->seg[SEG_ES], false))
        hf |= HF_FLAT;
    env->hflags = hf;
}
