/* test_system.c — the i686 system layer (cpu.c, seg.c, excp.c, far.c, task.c, sys_helpers.c) driven directly:
 * reset state and hflags, protected-mode segment loads with every fault class, real-mode and protected-mode
 * interrupt delivery (same privilege, ring 3 -> 0 through the TSS, v8086 -> ring 0, error codes, IDT limit and
 * DPL faults), #DF escalation and triple fault, far calls through call gates with parameter copy, RETF to an
 * outer ring, hardware task switches (JMP, CALL + IRET back, busy bits, NT, back link), the I/O bitmap,
 * LAR/LSL/VERR/VERW, CPUID, MOV CR rules; then a few end-to-end programs through the whole pipeline.
 * Each test gets a fresh 2 MiB machine from the harness; descriptors are written into guest RAM; the end-to-end
 * tests run under the interpreter, the JIT and lockstep.
 * Faults are caught with setjmp on env->jmp_env, as the exec loop does. */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "harness.h"
#include "helpers.h"
#include "mmu.h"
#include "sys.h"

enum { GDT = 0x1000, IDT = 0x2000, TSS0 = 0x3000, TSS1 = 0x3200, TSS2 = 0x3400, LDT = 0x4000 };

/* GDT selectors used below */
enum {
    S_CODE0 = 0x08, S_DATA0 = 0x10, S_CODE3 = 0x18, S_DATA3 = 0x20, S_NP = 0x28, S_XONLY = 0x30, S_EXPDN = 0x38,
    S_TSS0 = 0x40, S_TSS1 = 0x48, S_GATE = 0x50, S_FRESH = 0x58, S_LDT = 0x60, S_DATA16 = 0x68, S_TSS2 = 0x70,
    S_TGATE = 0x78, S_CODE16 = 0x80,
};

static Harness *h;
static CpuState *env;

static uint64_t mkdesc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags)
{
    return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) | ((uint64_t)access << 40) |
           ((uint64_t)((limit >> 16) & 0xf) << 48) | ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t mkgate(uint32_t sel, uint32_t off, uint32_t access, uint32_t params)
{
    return (off & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(params | (access << 8)) << 32) |
           ((uint64_t)(off >> 16) << 48);
}

static void put_desc(uint32_t table, uint32_t sel, uint64_t d)
{
    harness_write(h, table + (sel & ~7u), &d, 8);
}

static void wr32(uint32_t pa, uint32_t v) { harness_write(h, pa, &v, 4); }
static void wr16(uint32_t pa, uint16_t v) { harness_write(h, pa, &v, 2); }
static uint32_t rd32(uint32_t pa) { uint32_t v; harness_read(h, pa, &v, 4); return v; }
static uint16_t rd16(uint32_t pa) { uint16_t v; harness_read(h, pa, &v, 2); return v; }

static void setup(void)
{
    h = harness_new(2);
    ck_assert_ptr_nonnull(h);
    env = h->env;
    harness_flat32(h, GDT);
    put_desc(GDT, S_CODE0, mkdesc(0, 0xfffff, 0x9b, 0xc));
    put_desc(GDT, S_DATA0, mkdesc(0, 0xfffff, 0x93, 0xc));
    put_desc(GDT, S_CODE3, mkdesc(0, 0xfffff, 0xfb, 0xc));
    put_desc(GDT, S_DATA3, mkdesc(0, 0xfffff, 0xf3, 0xc));
    put_desc(GDT, S_NP, mkdesc(0, 0xfffff, 0x13, 0xc));
    put_desc(GDT, S_XONLY, mkdesc(0, 0xfffff, 0x99, 0xc));
    put_desc(GDT, S_EXPDN, mkdesc(0x20000, 0x0fff, 0x97, 0x0));
    put_desc(GDT, S_TSS0, mkdesc(TSS0, 0x67, 0x89, 0));
    put_desc(GDT, S_TSS1, mkdesc(TSS1, 0x67, 0x89, 0));
    put_desc(GDT, S_GATE, mkgate(S_CODE0, 0x5000, 0xec, 2));
    put_desc(GDT, S_FRESH, mkdesc(0, 0xfffff, 0x92, 0xc));
    put_desc(GDT, S_LDT, mkdesc(LDT, 0x17, 0x82, 0));
    put_desc(GDT, S_DATA16, mkdesc(0x12345, 0xffff, 0x93, 0));
    put_desc(GDT, S_TSS2, mkdesc(TSS2, 0x2b, 0x81, 0));       /* 16-bit TSS */
    put_desc(GDT, S_TGATE, mkgate(S_TSS0, 0, 0x85, 0));        /* task gate to TSS0, DPL 0 */
    put_desc(GDT, S_CODE16, mkdesc(0, 0xffff, 0x9b, 0));
    env->gdt_limit = 0x87;
    env->idt_base = IDT;
    env->idt_limit = 0x7ff;
    /* TSS0: ring-0 stack for privilege changes */
    wr32(TSS0 + 4, 0x9000);
    wr32(TSS0 + 8, S_DATA0);
    helper_ltr(env, S_TSS0);
    env->t[G_ESP] = 0x8000;
    cpu_update_hflags(env);
}

static void teardown(void)
{
    harness_free(h);
}

/* Run stmt; returns -1 if it completed, else the vector it raised (error code in caught_err). */
static int caught_err;
#define TRY(stmt) ({ volatile int _v = -1; if (setjmp(env->jmp_env) == 0) { stmt; } else { _v = env->exc_vector; \
                     caught_err = env->exc_error; } _v; })

/* Deliver like the exec loop: a fault during delivery is delivered in turn (at most a few rounds). */
static void deliver(int vector, bool is_int, int error, uint32_t next_eip)
{
    volatile int v = vector, e = error, rounds = 0;
    volatile bool soft = is_int;
    while (rounds++ < 4) {
        if (setjmp(env->jmp_env) == 0) {
            cpu_do_interrupt(env, v, soft, e, next_eip, false);
            env->old_exception = -1;
            return;
        }
        v = env->exc_vector;
        e = env->exc_error;
        soft = false;
    }
    ck_abort_msg("delivery did not settle");
}

/* Become CPL 3 with flat ring-3 segments and ESP. */
static void enter_ring3(uint32_t esp)
{
    uint32_t e1 = 0x0000ffff, e2c = 0x00cffb00, e2d = 0x00cff300;
    seg_load_cs(env, S_CODE3 | 3, e1, e2c, 3);
    seg_cache_set(&env->seg[SEG_SS], S_DATA3 | 3, e1, e2d);
    seg_cache_set(&env->seg[SEG_DS], S_DATA3 | 3, e1, e2d);
    seg_cache_set(&env->seg[SEG_ES], S_DATA3 | 3, e1, e2d);
    env->t[G_ESP] = esp;
    cpu_update_hflags(env);
}

/* ---------------------------------------------------------------- reset and hflags */

START_TEST(test_reset_state)
{
    env->a20_mask = 0;
    cpu_reset(env);
    ck_assert_uint_eq(env->t[G_EDX], 0x652);
    ck_assert_uint_eq(env->t[G_EIP], 0xfff0);
    ck_assert_uint_eq(env->seg[SEG_CS].sel, 0xf000);
    ck_assert_uint_eq(env->seg[SEG_CS].base, 0xffff0000u);
    ck_assert_uint_eq(env->seg[SEG_DS].hi, 0xffff);
    ck_assert_uint_eq(env->cr0, 0x60000010u);
    ck_assert_uint_eq(env->dr[6], 0xffff0ff0u);
    ck_assert_uint_eq(env->dr[7], 0x400);
    ck_assert_uint_eq(env->fpu_cw, 0x40);               /* RESET, not FNINIT's 037FH (SDM vol 3 table 9-1) */
    ck_assert_uint_eq(env->fpu_empty, 0);               /* tag word 5555H: every register a valid zero */
    ck_assert_uint_eq(env->a20_mask, 0xffffffffu);
    ck_assert_uint_eq(cpu_get_eflags(env), 2);
    ck_assert_uint_eq(env->hflags, HF_IOPL_OK);   /* real mode, CPL 0, 16-bit, not flat */
    ck_assert_int_eq(env->old_exception, -1);
}
END_TEST

START_TEST(test_hflags)
{
    uint32_t hf = env->hflags;
    ck_assert_uint_eq(hf & (HF_PE | HF_CS32 | HF_SS32 | HF_FLAT | HF_IOPL_OK), HF_PE | HF_CS32 | HF_SS32 | HF_FLAT |
                                                                                  HF_IOPL_OK);
    ck_assert_uint_eq(hf & HF_CPL_MASK, 0);
    /* a DS with a limit is not flat */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_DATA16)), -1);
    ck_assert_uint_eq(env->hflags & HF_FLAT, 0);
    /* FS/GS do not matter for flatness */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_DATA0)), -1);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_FS, S_DATA16)), -1);
    ck_assert_uint_ne(env->hflags & HF_FLAT, 0);
    /* ring 3 with IOPL 0: CPL > IOPL */
    enter_ring3(0x7000);
    ck_assert_uint_eq(env->hflags & (HF_CPL_MASK | HF_IOPL_OK), 3);
    env->t[G_EFLAGS] |= F_IOPL | F_TF;
    cpu_update_hflags(env);
    ck_assert_uint_eq(env->hflags & (HF_IOPL_OK | HF_TF), HF_IOPL_OK | HF_TF);
    /* execute breakpoint in DR7 */
    env->dr[7] = 0x400 | 0x2;   /* G0, R/W0 = 00 */
    cpu_update_hflags(env);
    ck_assert_uint_ne(env->hflags & HF_DR_EXEC, 0);
    env->dr[7] = 0x400 | 0x2 | (1 << 16);   /* R/W0 = 01: data write */
    cpu_update_hflags(env);
    ck_assert_uint_eq(env->hflags & HF_DR_EXEC, 0);
}
END_TEST

/* ---------------------------------------------------------------- segment loads */

START_TEST(test_seg_load_pm)
{
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_ES, S_DATA16)), -1);
    ck_assert_uint_eq(env->seg[SEG_ES].base, 0x12345);
    ck_assert_uint_eq(env->seg[SEG_ES].hi, 0xffff);
    /* accessed bit written back */
    uint8_t type;
    harness_read(h, GDT + S_FRESH + 5, &type, 1);
    ck_assert_uint_eq(type, 0x92);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_GS, S_FRESH)), -1);
    harness_read(h, GDT + S_FRESH + 5, &type, 1);
    ck_assert_uint_eq(type, 0x93);
    /* null: fine for DS, #GP(0) for SS */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, 3)), -1);
    ck_assert_uint_gt(env->seg[SEG_DS].lo, env->seg[SEG_DS].hi);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, 0)), EXC_GP);
    ck_assert_int_eq(caught_err, 0);
    /* not present: #NP for DS, #SS for SS */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_NP)), EXC_NP);
    ck_assert_int_eq(caught_err, S_NP);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, S_NP)), EXC_SS);
    ck_assert_int_eq(caught_err, S_NP);
    /* execute-only code into DS, code into SS, beyond the GDT limit */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_XONLY)), EXC_GP);
    ck_assert_int_eq(caught_err, S_XONLY);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, S_CODE0)), EXC_GP);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, 0x1f8)), EXC_GP);
    ck_assert_int_eq(caught_err, 0x1f8);
    /* a failed load leaves the register unchanged */
    ck_assert_uint_eq(env->seg[SEG_SS].sel, S_DATA0);
    ck_assert_uint_eq(env->seg[SEG_SS].hi, 0xffffffffu);
    /* expand-down 16-bit: valid offsets limit+1 .. 0xFFFF */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_FS, S_EXPDN)), -1);
    ck_assert_uint_eq(env->seg[SEG_FS].lo, 0x1000);
    ck_assert_uint_eq(env->seg[SEG_FS].hi, 0xffff);
    /* LDT selector */
    put_desc(LDT, 0x8, mkdesc(0x777000, 0xfff, 0x93, 0));
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_FS, 0x0c)), EXC_GP);   /* no LDT yet */
    ck_assert_int_eq(TRY(helper_lldt(env, S_LDT)), -1);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_FS, 0x0c)), -1);
    ck_assert_uint_eq(env->seg[SEG_FS].base, 0x777000);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_FS, 0x1c)), EXC_GP);   /* beyond the LDT limit */
    /* privilege: ring 3 may not load a DPL 0 data segment, nor SS with RPL != CPL */
    enter_ring3(0x7000);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_DATA0 | 3)), EXC_GP);
    ck_assert_int_eq(caught_err, S_DATA0);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_DATA3 | 3)), -1);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, S_DATA3)), EXC_GP);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, S_DATA3 | 3)), -1);
    ck_assert_uint_ne(env->hflags & HF_INHIBIT_IRQ, 0);   /* MOV SS / POP SS: interrupt shadow */
    env->hflags &= ~HF_INHIBIT_IRQ;
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS | LOAD_SEG_NO_SHADOW, S_DATA3 | 3)), -1);
    ck_assert_uint_eq(env->hflags & HF_INHIBIT_IRQ, 0);   /* LSS: none */
}
END_TEST

START_TEST(test_seg_load_real_unreal)
{
    /* unreal mode: a 4 GiB limit loaded in protected mode survives real-mode loads (SDM vol 3 20.1.1) */
    env->cr0 &= ~CR0_PE;
    cpu_update_hflags(env);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, 0x1234)), -1);
    ck_assert_uint_eq(env->seg[SEG_DS].base, 0x12340);
    ck_assert_uint_eq(env->seg[SEG_DS].hi, 0xffffffffu);
    ck_assert_uint_eq(env->hflags & HF_PE, 0);
    /* v8086: 64 KiB, DPL 3 */
    env->cr0 |= CR0_PE;
    env->t[G_EFLAGS] |= F_VM;
    cpu_update_hflags(env);
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_ES, 0xb800)), -1);
    ck_assert_uint_eq(env->seg[SEG_ES].base, 0xb8000);
    ck_assert_uint_eq(env->seg[SEG_ES].hi, 0xffff);
    ck_assert_uint_eq(desc_dpl(env->seg[SEG_ES].flags), 3);
    ck_assert_uint_eq(env->hflags & (HF_VM | HF_CPL_MASK), HF_VM | 3);
}
END_TEST

/* ---------------------------------------------------------------- interrupt delivery */

START_TEST(test_int_real_mode)
{
    harness_real_mode(h);
    harness_set_seg_real(h, SEG_SS, 0x100);
    harness_set_seg_real(h, SEG_CS, 0x2000);
    env->t[G_ESP] = 0x200;
    env->t[G_EIP] = 0x10;
    wr16(0x21 * 4, 0x1234);
    wr16(0x21 * 4 + 2, 0x3000);
    cpu_set_eflags(env, 0x2 | F_IF | F_TF | F_CF, 0xffffffffu);
    deliver(0x21, true, -1, 0x12);
    ck_assert_uint_eq(env->seg[SEG_CS].sel, 0x3000);
    ck_assert_uint_eq(env->seg[SEG_CS].base, 0x30000);
    ck_assert_uint_eq(env->t[G_EIP], 0x1234);
    ck_assert_uint_eq(env->t[G_ESP], 0x1fa);
    ck_assert_uint_eq(rd16(0x1000 + 0x1fa), 0x12);
    ck_assert_uint_eq(rd16(0x1000 + 0x1fc), 0x2000);
    ck_assert_uint_eq(rd16(0x1000 + 0x1fe), 0x2 | F_IF | F_TF | F_CF);
    ck_assert_uint_eq(cpu_get_eflags(env) & (F_IF | F_TF | F_CF), F_CF);
    /* IRET restores all three */
    ck_assert_int_eq(TRY(helper_iret(env, 2, 0)), -1);
    ck_assert_uint_eq(env->seg[SEG_CS].base, 0x20000);
    ck_assert_uint_eq(env->t[G_EIP], 0x12);
    ck_assert_uint_eq(env->t[G_ESP], 0x200);
    ck_assert_uint_eq(cpu_get_eflags(env) & (F_IF | F_TF), F_IF | F_TF);
}
END_TEST

START_TEST(test_int_pm_same_ring_error_code)
{
    put_desc(IDT, EXC_GP * 8, mkgate(S_CODE0, 0x123456, 0x8e, 0));   /* 32-bit interrupt gate */
    cpu_set_eflags(env, 2 | F_IF | F_ZF, 0xffffffffu);
    env->t[G_EIP] = 0x4444;
    deliver(EXC_GP, false, 0x28, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0x123456);
    ck_assert_uint_eq(env->t[G_ESP], 0x8000 - 16);
    ck_assert_uint_eq(rd32(0x8000 - 16), 0x28);          /* error code */
    ck_assert_uint_eq(rd32(0x8000 - 12), 0x4444);        /* faulting EIP */
    ck_assert_uint_eq(rd32(0x8000 - 8), S_CODE0);
    ck_assert_uint_eq(rd32(0x8000 - 4), 2 | F_IF | F_ZF);
    ck_assert_uint_eq(cpu_get_eflags(env) & F_IF, 0);   /* interrupt gate */
    /* trap gate keeps IF; a 16-bit gate pushes words */
    put_desc(IDT, 0x40 * 8, mkgate(S_CODE0, 0x9999, 0x87, 0));      /* 16-bit trap gate */
    env->t[G_ESP] = 0x8000;
    cpu_set_eflags(env, 2 | F_IF, 0xffffffffu);
    deliver(0x40, true, -1, 0x5555);
    ck_assert_uint_eq(env->t[G_ESP], 0x8000 - 6);
    ck_assert_uint_eq(rd16(0x8000 - 6), 0x5555);
    ck_assert_uint_ne(cpu_get_eflags(env) & F_IF, 0);
}
END_TEST

START_TEST(test_int_ring3_to_ring0)
{
    put_desc(IDT, 0x80 * 8, mkgate(S_CODE0, 0x6000, 0xee, 0));      /* DPL 3 interrupt gate */
    put_desc(IDT, 0x81 * 8, mkgate(S_CODE0, 0x6000, 0x8e, 0));      /* DPL 0: INT 0x81 from ring 3 faults */
    put_desc(IDT, EXC_GP * 8, mkgate(S_CODE0, 0x7000, 0x8e, 0));
    enter_ring3(0x50000);
    env->t[G_EIP] = 0x1000;
    deliver(0x80, true, -1, 0x1002);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 0);
    ck_assert_uint_eq(env->seg[SEG_SS].sel, S_DATA0);
    ck_assert_uint_eq(env->t[G_ESP], 0x9000 - 20);
    ck_assert_uint_eq(rd32(0x9000 - 20), 0x1002);
    ck_assert_uint_eq(rd32(0x9000 - 16), S_CODE3 | 3);
    ck_assert_uint_eq(rd32(0x9000 - 8), 0x50000);
    ck_assert_uint_eq(rd32(0x9000 - 4), S_DATA3 | 3);
    /* IRET back to ring 3 nulls nothing (DS is DPL 3) and restores SS:ESP */
    ck_assert_int_eq(TRY(helper_iret(env, 4, 0)), -1);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 3);
    ck_assert_uint_eq(env->t[G_ESP], 0x50000);
    ck_assert_uint_eq(env->t[G_EIP], 0x1002);
    ck_assert_uint_eq(env->seg[SEG_DS].sel, S_DATA3 | 3);
    /* INT 0x81 with gate DPL 0 at CPL 3: #GP(0x81*8+2), delivered through the #GP gate */
    env->t[G_EIP] = 0x1000;
    deliver(0x81, true, -1, 0x1002);
    ck_assert_uint_eq(env->t[G_EIP], 0x7000);
    ck_assert_uint_eq(rd32(0x9000 - 24), 0x81 * 8 + 2);
    ck_assert_uint_eq(rd32(0x9000 - 20), 0x1000);          /* the INT instruction itself */
}
END_TEST

START_TEST(test_int_from_v86)
{
    put_desc(IDT, 0x0d * 8, mkgate(S_CODE0, 0x7000, 0x8e, 0));
    env->t[G_EFLAGS] |= F_VM;
    cpu_update_hflags(env);
    for (int s = 0; s < 6; s++)
        seg_load_real(env, s, 0x1000 + s, true);
    env->t[G_ESP] = 0xfff0;
    env->t[G_EIP] = 0x100;
    deliver(EXC_GP, false, 0, 0);
    ck_assert_uint_eq(env->hflags & (HF_VM | HF_CPL_MASK), 0);
    ck_assert_uint_eq(env->t[G_ESP], 0x9000 - 40);
    ck_assert_uint_eq(rd32(0x9000 - 4), 0x1005);   /* GS */
    ck_assert_uint_eq(rd32(0x9000 - 16), 0x1000);  /* ES */
    ck_assert_uint_eq(rd32(0x9000 - 20), 0x1002);  /* SS */
    ck_assert_uint_ne(rd32(0x9000 - 28) & F_VM, 0);
    ck_assert_uint_gt(env->seg[SEG_DS].lo, env->seg[SEG_DS].hi);   /* data segments nulled */
    /* IRET returns to v8086 */
    env->t[G_ESP] += 4;   /* the handler pops the error code */
    ck_assert_int_eq(TRY(helper_iret(env, 4, 0)), -1);
    ck_assert_uint_eq(env->hflags & (HF_VM | HF_CPL_MASK), HF_VM | 3);
    ck_assert_uint_eq(env->seg[SEG_DS].base, 0x10030);
    ck_assert_uint_eq(env->t[G_ESP], 0xfff0);
    /* IRET in v8086 with IOPL < 3 is #GP(0); INT n too */
    ck_assert_int_eq(TRY(helper_iret(env, 2, 0)), EXC_GP);
    ck_assert_int_eq(TRY(helper_raise_int(env, 0x21, 0)), EXC_GP);
}
END_TEST

START_TEST(test_idt_limit_and_not_present)
{
    env->idt_limit = 0x3f;   /* vectors 0..7 */
    put_desc(IDT, EXC_BP * 8, mkgate(S_CODE0, 0x6000, 0x0e, 0));   /* not present */
    int v = TRY(cpu_do_interrupt(env, 0x20, true, -1, 0, false));
    ck_assert_int_eq(v, EXC_GP);
    ck_assert_int_eq(caught_err, 0x20 * 8 + 2);
    env->old_exception = -1;
    v = TRY(cpu_do_interrupt(env, EXC_BP, true, -1, 0, false));
    ck_assert_int_eq(v, EXC_NP);
    ck_assert_int_eq(caught_err, EXC_BP * 8 + 2);
    env->old_exception = -1;
    v = TRY(cpu_do_interrupt(env, 0x20, false, -1, 0, true));   /* external: EXT bit */
    ck_assert_int_eq(caught_err, 0x20 * 8 + 3);
}
END_TEST

START_TEST(test_double_and_triple_fault)
{
    /* #GP gate not present -> #NP while delivering #GP -> #DF */
    put_desc(IDT, EXC_GP * 8, mkgate(S_CODE0, 0x6000, 0x0e, 0));
    put_desc(IDT, EXC_DF * 8, mkgate(S_CODE0, 0xdf00, 0x8e, 0));
    deliver(EXC_GP, false, 0, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0xdf00);
    ck_assert_uint_eq(rd32(env->t[G_ESP]), 0);   /* #DF error code 0 */
    /* benign first exception: #NP while delivering #DB is delivered as a #NP, not a #DF */
    put_desc(IDT, EXC_DB * 8, mkgate(S_CODE0, 0xdb00, 0x0e, 0));   /* not present */
    put_desc(IDT, EXC_NP * 8, mkgate(S_CODE0, 0x6b00, 0x8e, 0));
    env->t[G_ESP] = 0x8000;
    deliver(EXC_DB, false, -1, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0x6b00);
    ck_assert_uint_eq(rd32(env->t[G_ESP]), EXC_DB * 8 + 3);
}
END_TEST

START_TEST(test_nmi_blocking)
{
    put_desc(IDT, EXC_NMI * 8, mkgate(S_CODE0, 0x2200, 0x8e, 0));
    env->t[G_EIP] = 0x100;
    ck_assert_int_eq(TRY(cpu_do_interrupt(env, EXC_NMI, false, -1, 0, true)), -1);
    ck_assert_uint_eq(env->t[G_EIP], 0x2200);
    ck_assert(env->nmi_blocked);
    /* a second NMI waits */
    ck_assert_int_eq(TRY(cpu_do_interrupt(env, EXC_NMI, false, -1, 0, true)), -1);
    ck_assert_uint_eq(env->t[G_EIP], 0x2200);
    ck_assert_uint_eq(env->t[G_ESP], 0x8000 - 12);
    ck_assert(env->nmi_pending);
    ck_assert_int_eq(TRY(helper_iret(env, 4, 0)), -1);
    ck_assert(!env->nmi_blocked);
    ck_assert_uint_eq(env->t[G_EIP], 0x100);
}
END_TEST

START_TEST(test_triple_fault)
{
    env->idt_limit = 0;   /* every delivery faults */
    h->m->reset_on_triple_fault = false;
    deliver(EXC_GP, false, 0, 0);
    ck_assert(env->shutdown);
    env->shutdown = false;
    h->m->reset_on_triple_fault = true;
    deliver(EXC_PF, false, 0, 0);
    ck_assert(h->m->reset_requested);
    ck_assert(!env->shutdown);
}
END_TEST

/* ---------------------------------------------------------------- far transfers */

START_TEST(test_callgate_params_and_retf)
{
    enter_ring3(0x60000);
    wr32(0x60000, 0x11111111);   /* parameter 1 (last pushed) */
    wr32(0x60004, 0x22222222);
    env->t[G_EIP] = 0x1000;
    ck_assert_int_eq(TRY(helper_lcall(env, S_GATE | 3 | (4 << 16), 0, 0x1007)), -1);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0x5000);
    ck_assert_uint_eq(env->seg[SEG_CS].sel, S_CODE0);
    ck_assert_uint_eq(env->t[G_ESP], 0x9000 - 24);
    ck_assert_uint_eq(rd32(0x9000 - 4), S_DATA3 | 3);
    ck_assert_uint_eq(rd32(0x9000 - 8), 0x60000);
    ck_assert_uint_eq(rd32(0x9000 - 12), 0x22222222);
    ck_assert_uint_eq(rd32(0x9000 - 16), 0x11111111);
    ck_assert_uint_eq(rd32(0x9000 - 20), S_CODE3 | 3);
    ck_assert_uint_eq(rd32(0x9000 - 24), 0x1007);
    /* RETF 8 back to ring 3: ESP = caller's + 8; a DPL 0 DS is nulled */
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_DS, S_DATA0)), -1);
    ck_assert_int_eq(TRY(helper_lret(env, 4, 8)), -1);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 3);
    ck_assert_uint_eq(env->t[G_ESP], 0x60008);
    ck_assert_uint_eq(env->t[G_EIP], 0x1007);
    ck_assert_uint_gt(env->seg[SEG_DS].lo, env->seg[SEG_DS].hi);
    ck_assert_uint_eq(env->seg[SEG_ES].sel, S_DATA3 | 3);
    /* ring 3 cannot jump to a DPL 0 code segment directly */
    ck_assert_int_eq(TRY(helper_ljmp(env, S_CODE0, 0, 0)), EXC_GP);
    ck_assert_int_eq(caught_err, S_CODE0);
}
END_TEST

START_TEST(test_far_jmp_checks)
{
    ck_assert_int_eq(TRY(helper_ljmp(env, S_CODE16, 0x1234, 0)), -1);
    ck_assert_uint_eq(env->hflags & HF_CS32, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0x1234);
    ck_assert_int_eq(TRY(helper_ljmp(env, S_CODE16, 0x12345, 0)), EXC_GP);   /* beyond the limit */
    ck_assert_int_eq(caught_err, 0);
    ck_assert_int_eq(TRY(helper_ljmp(env, S_DATA0, 0, 0)), EXC_GP);          /* not code */
    ck_assert_int_eq(TRY(helper_ljmp(env, 0, 0, 0)), EXC_GP);
    ck_assert_int_eq(TRY(helper_lcall(env, S_CODE0 | (2 << 16), 0x10, 0x20)), -1);
    ck_assert_uint_eq(env->t[G_ESP], 0x8000 - 4);
    ck_assert_uint_eq(rd16(0x8000 - 4), 0x20);
    ck_assert_uint_eq(rd16(0x8000 - 2), S_CODE16);
    ck_assert_uint_ne(env->hflags & HF_CS32, 0);
}
END_TEST

/* ---------------------------------------------------------------- task switches */

static void tss_fill(uint32_t base, uint32_t eip, uint32_t esp, uint32_t eax)
{
    wr32(base + 0x1c, 0);            /* CR3 */
    wr32(base + 0x20, eip);
    wr32(base + 0x24, 2);
    wr32(base + 0x28, eax);
    wr32(base + 0x38, esp);
    wr32(base + 0x48, S_DATA0);      /* ES */
    wr32(base + 0x4c, S_CODE0);      /* CS */
    wr32(base + 0x50, S_DATA0);      /* SS */
    wr32(base + 0x54, S_DATA16);     /* DS */
    wr32(base + 0x58, 0);
    wr32(base + 0x5c, 0);
    wr32(base + 0x60, 0);            /* LDT */
}

START_TEST(test_task_jmp_call_iret)
{
    tss_fill(TSS1, 0xabc, 0x7777, 0x42);
    env->t[G_EAX] = 0x99;
    /* JMP to TSS1: TSS0 gets our state and stops being busy */
    ck_assert_int_eq(TRY(helper_ljmp(env, S_TSS1, 0, 0x1111)), -1);
    ck_assert_uint_eq(env->tr.sel, S_TSS1);
    ck_assert_uint_eq(env->t[G_EIP], 0xabc);
    ck_assert_uint_eq(env->t[G_EAX], 0x42);
    ck_assert_uint_eq(env->t[G_ESP], 0x7777);
    ck_assert_uint_eq(env->seg[SEG_DS].base, 0x12345);
    ck_assert_uint_eq(rd32(TSS0 + 0x20), 0x1111);
    ck_assert_uint_eq(rd32(TSS0 + 0x28), 0x99);
    uint8_t t0, t1;
    harness_read(h, GDT + S_TSS0 + 5, &t0, 1);
    harness_read(h, GDT + S_TSS1 + 5, &t1, 1);
    ck_assert_uint_eq(t0, 0x89);
    ck_assert_uint_eq(t1, 0x8b);
    ck_assert_uint_ne(env->cr0 & CR0_TS, 0);
    /* jumping to a busy TSS (ourselves) is #GP */
    ck_assert_int_eq(TRY(helper_ljmp(env, S_TSS1, 0, 0)), EXC_GP);
    /* CALL through a task gate to TSS0: back link, NT; IRET comes back */
    tss_fill(TSS0, 0xdef, 0x6666, 0x55);
    ck_assert_int_eq(TRY(helper_lcall(env, S_TGATE | (4 << 16), 0, 0x2222)), -1);
    ck_assert_uint_eq(env->tr.sel, S_TSS0);
    ck_assert_uint_eq(rd16(TSS0), S_TSS1);
    ck_assert_uint_ne(cpu_get_eflags(env) & F_NT, 0);
    ck_assert_uint_eq(env->t[G_EAX], 0x55);
    ck_assert_int_eq(TRY(helper_iret(env, 4, 0x3333)), -1);
    ck_assert_uint_eq(env->tr.sel, S_TSS1);
    ck_assert_uint_eq(env->t[G_EIP], 0x2222);
    ck_assert_uint_eq(env->t[G_EAX], 0x42);
    ck_assert_uint_eq(cpu_get_eflags(env) & F_NT, 0);
    harness_read(h, GDT + S_TSS0 + 5, &t0, 1);
    ck_assert_uint_eq(t0, 0x89);            /* IRET cleared the busy bit of the task it left */
    ck_assert_uint_eq(rd32(TSS0 + 0x20), 0x3333);
}
END_TEST

START_TEST(test_task_bad_segment_faults_in_new_task)
{
    put_desc(IDT, EXC_TS * 8, mkgate(S_CODE0, 0x7500, 0x8e, 0));
    tss_fill(TSS1, 0xabc, 0x7770, 0x42);
    wr32(TSS1 + 0x54, S_XONLY);   /* DS = execute-only code: #TS(sel) in the new task */
    ck_assert_int_eq(TRY(helper_ljmp(env, S_TSS1, 0, 0x1111)), -1);
    ck_assert_uint_eq(env->tr.sel, S_TSS1);
    ck_assert_uint_eq(env->t[G_EIP], 0x7500);
    ck_assert_uint_eq(rd32(0x7770 - 16), S_XONLY);   /* error code */
    ck_assert_uint_eq(rd32(0x7770 - 12), 0xabc);     /* the new task's EIP */
}
END_TEST

START_TEST(test_task_fault_escalates_in_new_task)
{
    /* #TS in the new task, its gate not present: #NP during delivery -> #DF, still with the new task's EIP */
    put_desc(IDT, EXC_TS * 8, mkgate(S_CODE0, 0x7500, 0x0e, 0));
    put_desc(IDT, EXC_DF * 8, mkgate(S_CODE0, 0xdf00, 0x8e, 0));
    tss_fill(TSS1, 0xabc, 0x7770, 0x42);
    wr32(TSS1 + 0x54, S_XONLY);
    ck_assert_int_eq(TRY(helper_ljmp(env, S_TSS1, 0, 0x1111)), -1);
    ck_assert_uint_eq(env->tr.sel, S_TSS1);
    ck_assert_uint_eq(env->t[G_EIP], 0xdf00);
    ck_assert_uint_eq(rd32(0x7770 - 16), 0);         /* #DF error code */
    ck_assert_uint_eq(rd32(0x7770 - 12), 0xabc);
    ck_assert_int_eq(env->old_exception, -1);
}
END_TEST

/* ---------------------------------------------------------------- other system instructions */

START_TEST(test_io_bitmap)
{
    wr16(TSS0 + 0x66, 0x68);
    put_desc(GDT, S_TSS0, mkdesc(TSS0, 0x68 + 0x20, 0x8b, 0));
    env->tr.limit = env->tr.hi = 0x88;
    harness_fill(h, TSS0 + 0x68, 0, 0x20);
    uint8_t deny = 0x02;   /* port 0x61 (bit 1 of byte 0x0c) */
    harness_write(h, TSS0 + 0x68 + 0x0c, &deny, 1);
    enter_ring3(0x7000);
    ck_assert_int_eq(TRY(io_check_permission(env, 0x60, 1)), -1);
    ck_assert_int_eq(TRY(io_check_permission(env, 0x61, 1)), EXC_GP);
    ck_assert_int_eq(TRY(io_check_permission(env, 0x60, 2)), EXC_GP);   /* covers 0x61 */
    ck_assert_int_eq(TRY(io_check_permission(env, 0xff8, 1)), EXC_GP);  /* beyond the TSS limit */
    env->t[G_EFLAGS] |= F_IOPL;
    cpu_update_hflags(env);
    ck_assert_int_eq(TRY(io_check_permission(env, 0x61, 1)), -1);       /* CPL <= IOPL */
    ck_assert_int_eq(TRY(helper_cli(env)), -1);
    env->t[G_EFLAGS] &= ~F_IOPL;
    cpu_update_hflags(env);
    ck_assert_int_eq(TRY(helper_sti(env)), EXC_GP);
}
END_TEST

START_TEST(test_lar_lsl_verr_verw)
{
    ck_assert_int_eq(TRY(helper_lar(env, S_CODE3, R_EBX | (4 << 8))), -1);
    ck_assert_uint_ne(cpu_get_eflags(env) & F_ZF, 0);
    ck_assert_uint_eq(env->t[G_EBX], 0x00c0fb00);   /* limit 19:16 masked (SDM: undefined) */
    ck_assert_int_eq(TRY(helper_lsl(env, S_DATA16, R_ECX | (4 << 8))), -1);
    ck_assert_uint_eq(env->t[G_ECX], 0xffff);
    ck_assert_int_eq(TRY(helper_lsl(env, S_GATE, R_ECX | (4 << 8))), -1);   /* gates have no limit */
    ck_assert_uint_eq(cpu_get_eflags(env) & F_ZF, 0);
    ck_assert_int_eq(TRY(helper_lar(env, 0x1f8, R_ECX | (4 << 8))), -1);    /* outside the GDT: no fault */
    ck_assert_uint_eq(cpu_get_eflags(env) & F_ZF, 0);
    ck_assert_int_eq(TRY(helper_verr(env, S_XONLY)), -1);
    ck_assert_uint_eq(cpu_get_eflags(env) & F_ZF, 0);
    ck_assert_int_eq(TRY(helper_verw(env, S_DATA0)), -1);
    ck_assert_uint_ne(cpu_get_eflags(env) & F_ZF, 0);
    enter_ring3(0x7000);
    ck_assert_int_eq(TRY(helper_verw(env, S_DATA0)), -1);                   /* DPL 0 at CPL 3 */
    ck_assert_uint_eq(cpu_get_eflags(env) & F_ZF, 0);
}
END_TEST

START_TEST(test_cpuid_msr_cr)
{
    env->t[G_EAX] = 0;
    helper_cpuid(env);
    ck_assert_uint_eq(env->t[G_EBX], 0x756e6547);
    env->t[G_EAX] = 1;
    helper_cpuid(env);
    ck_assert_uint_eq(env->t[G_EAX], 0x652);
    ck_assert_uint_ne(env->t[G_EDX] & 1, 0);            /* FPU */
    ck_assert_uint_ne(env->t[G_EDX] & (1 << 23), 0);    /* MMX */
    ck_assert_uint_ne(env->t[G_EDX] & (1 << 24), 0);    /* FXSR (FXSAVE/FXRSTOR, CR4.OSFXSR) */
    ck_assert_uint_ne(env->t[G_EDX] & (1 << 11), 0);    /* SEP */
    env->t[G_ECX] = MSR_IA32_SYSENTER_CS;
    env->t[G_EAX] = 0x08;
    env->t[G_EDX] = 0;
    ck_assert_int_eq(TRY(helper_wrmsr(env)), -1);
    ck_assert_uint_eq(env->sysenter_cs, 0x08);
    env->t[G_ECX] = 0x12345;
    ck_assert_int_eq(TRY(helper_rdmsr(env)), EXC_GP);
    /* CR0: PG without PE, CR4 reserved bits */
    ck_assert_int_eq(TRY(helper_mov_cr_write(env, 0, CR0_PG)), EXC_GP);
    ck_assert_int_eq(TRY(helper_mov_cr_write(env, 4, CR4_VME)), EXC_GP);
    ck_assert_int_eq(TRY(helper_mov_cr_write(env, 0, CR0_PE | CR0_TS)), -1);
    ck_assert_uint_eq(env->cr0, CR0_PE | CR0_TS | CR0_ET);
    ck_assert_uint_ne(env->hflags & HF_EM_TS, 0);
    ck_assert_int_eq(TRY(helper_lmsw(env, 0)), -1);      /* cannot clear PE */
    ck_assert_uint_eq(env->cr0, CR0_PE | CR0_ET);
    /* DR7.GD: the next DR access is a #DB with DR6.BD */
    ck_assert_int_eq(TRY(helper_mov_dr_write(env, 7, DR7_GD)), -1);
    ck_assert_int_eq(TRY(helper_mov_dr_read(env, 0)), EXC_DB);
    ck_assert_uint_ne(env->dr[6] & DR6_BD, 0);
    ck_assert_uint_eq(env->dr[7] & DR7_GD, 0);
    ck_assert_int_eq(TRY(helper_mov_dr_read(env, 5)), -1);   /* DR5 aliases DR7 with CR4.DE = 0 */
    env->cr4 = CR4_DE;
    ck_assert_int_eq(TRY(helper_mov_dr_read(env, 5)), EXC_UD);
}
END_TEST

START_TEST(test_sysenter_sysexit)
{
    env->sysenter_cs = S_CODE0;
    env->sysenter_esp = 0x8800;
    env->sysenter_eip = 0x4000;
    enter_ring3(0x7000);
    env->t[G_EFLAGS] |= F_IF;
    ck_assert_int_eq(TRY(helper_sysenter(env)), -1);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 0);
    ck_assert_uint_eq(env->seg[SEG_SS].sel, S_DATA0);
    ck_assert_uint_eq(env->t[G_EIP], 0x4000);
    ck_assert_uint_eq(env->t[G_EFLAGS] & F_IF, 0);
    env->t[G_ECX] = 0x7100;
    env->t[G_EDX] = 0x1234;
    ck_assert_int_eq(TRY(helper_sysexit(env)), -1);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 3);
    ck_assert_uint_eq(env->seg[SEG_CS].sel, S_CODE3 | 3);
    ck_assert_uint_eq(env->seg[SEG_SS].sel, S_DATA3 | 3);
    ck_assert_uint_eq(env->t[G_ESP], 0x7100);
    ck_assert_int_eq(TRY(helper_sysexit(env)), EXC_GP);   /* CPL 3 */
}
END_TEST

START_TEST(test_debug_helpers)
{
    put_desc(IDT, EXC_DB * 8, mkgate(S_CODE0, 0xdb00, 0x8e, 0));
    /* instruction breakpoint: a fault at the instruction, DR6.B0; RF=1 suppresses it once */
    env->dr[0] = 0x4321;
    ck_assert_int_eq(TRY(helper_mov_dr_write(env, 7, 0x1)), -1);   /* L0, R/W0 = 00 */
    ck_assert_uint_ne(env->hflags & HF_DR_EXEC, 0);
    ck_assert_int_eq(TRY(helper_debug_check_exec(env, 0x4320)), -1);
    ck_assert_int_eq(TRY(helper_debug_check_exec(env, 0x4321)), EXC_DB);
    ck_assert_uint_eq(env->dr[6] & 0xf, 1);
    env->t[G_EFLAGS] |= F_RF;
    ck_assert_int_eq(TRY(helper_debug_check_exec(env, 0x4321)), -1);
    ck_assert_uint_eq(env->t[G_EFLAGS] & F_RF, 0);
    /* single step: a trap returning to the EIP the instruction left, DR6.BS */
    env->t[G_EIP] = 0x5555;
    env->exc_is_trap = false;
    ck_assert_int_eq(TRY(helper_debug_single_step(env)), EXC_DB);
    ck_assert(env->exc_is_trap);
    ck_assert_uint_eq(env->exc_next_eip, 0x5555);
    ck_assert_uint_ne(env->dr[6] & DR6_BS, 0);
    env->t[G_EIP] = 0x1111;   /* what tb_restore_state would put back */
    deliver(EXC_DB, false, -1, 0);
    ck_assert(!env->exc_is_trap);
    ck_assert_uint_eq(env->t[G_EIP], 0xdb00);
    ck_assert_uint_eq(rd32(env->t[G_ESP]), 0x5555);
    /* MOV SS with TF: no trap after it, the next instruction's trap is taken */
    env->t[G_EFLAGS] |= F_TF;
    ck_assert_int_eq(TRY(helper_load_seg(env, SEG_SS, S_DATA0)), -1);
    ck_assert_int_eq(TRY(helper_debug_single_step(env)), -1);
    ck_assert_int_eq(TRY(helper_debug_single_step(env)), EXC_DB);
    env->t[G_EFLAGS] &= ~F_TF;
    env->exc_is_trap = false;
    /* INT1 (ICEBP) at CPL 3 ignores the gate DPL: trap with the next EIP */
    enter_ring3(0x7000);
    ck_assert_int_eq(TRY(helper_raise_int1(env, 0x2002)), EXC_DB);
    deliver(EXC_DB, false, -1, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0xdb00);
    ck_assert_uint_eq(rd32(env->t[G_ESP]), 0x2002);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 0);
}
END_TEST

/* ---------------------------------------------------------------- end to end (decoder, translator, interpreter) */

/* Each end-to-end test runs under every engine (loop index: interp, jit, lockstep). */
static void e2e_accel(int i)
{
    static const char *const names[] = { "interp", "jit", "lockstep" };
    ck_assert(harness_set_accel(h, names[i]));
}

static void load_bytes(uint32_t pa, const uint8_t *bytes, uint32_t n)
{
    harness_write(h, pa, bytes, n);
}

START_TEST(test_e2e_real_mode_int_iret)
{
    e2e_accel(_i);
    static const uint8_t prog[] = { 0xb8, 0x05, 0x00, 0xcd, 0x30, 0xf4 };   /* mov ax,5; int 0x30; hlt */
    static const uint8_t isr[] = { 0x40, 0xcf };                              /* inc ax; iret */
    harness_real_mode(h);
    load_bytes(0x7c00, prog, sizeof(prog));
    load_bytes(0x8000, isr, sizeof(isr));
    wr16(0x30 * 4, 0x8000);
    wr16(0x30 * 4 + 2, 0);
    env->t[G_ESP] = 0x7000;
    env->t[G_EIP] = 0x7c00;
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_uint_eq(env->t[G_EAX] & 0xffff, 6);
    ck_assert_uint_eq(env->t[G_ESP], 0x7000);
    ck_assert_uint_eq(env->t[G_EIP], 0x7c06);
}
END_TEST

START_TEST(test_e2e_far_jumps_code16_cpuid)
{
    e2e_accel(_i);
    uint8_t prog[0x30];
    memset(prog, 0x90, sizeof(prog));
    static const uint8_t j1[] = { 0xea, 0x10, 0x80, 0x00, 0x00, S_CODE16, 0x00 };         /* jmp 0x80:0x8010 */
    static const uint8_t j2[] = { 0x66, 0xea, 0x20, 0x80, 0x00, 0x00, S_CODE0, 0x00 };    /* jmp dword 8:0x8020 */
    static const uint8_t tail[] = { 0x0f, 0xa2, 0xf4 };                                   /* cpuid; hlt */
    memcpy(prog, j1, sizeof(j1));
    memcpy(prog + 0x10, j2, sizeof(j2));
    memcpy(prog + 0x20, tail, sizeof(tail));
    load_bytes(0x8000, prog, sizeof(prog));
    env->t[G_EAX] = 0;
    env->t[G_EIP] = 0x8000;
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_uint_eq(env->seg[SEG_CS].sel, S_CODE0);
    ck_assert_uint_eq(env->t[G_EBX], 0x756e6547);
    ck_assert_uint_eq(env->t[G_EIP], 0x8023);
}
END_TEST

START_TEST(test_e2e_ring3_int_and_gp)
{
    e2e_accel(_i);
    static const uint8_t to3[] = { 0x6a, S_DATA3 | 3, 0x68, 0x00, 0x00, 0x07, 0x00, 0x9c, 0x6a, S_CODE3 | 3,
                                   0x68, 0x00, 0x90, 0x00, 0x00, 0xcf };   /* push ss, esp, eflags, cs, eip; iretd */
    static const uint8_t user[] = { 0xb8, 0x77, 0x00, 0x00, 0x00, 0xcd, 0x80 };   /* mov eax,0x77; int 0x80 */
    static const uint8_t hlt = 0xf4;
    load_bytes(0x8000, to3, sizeof(to3));
    load_bytes(0x9000, user, sizeof(user));
    load_bytes(0xa000, &hlt, 1);
    load_bytes(0xb000, &hlt, 1);
    load_bytes(0x9100, &hlt, 1);
    put_desc(IDT, 0x80 * 8, mkgate(S_CODE0, 0xa000, 0xee, 0));
    put_desc(IDT, EXC_GP * 8, mkgate(S_CODE0, 0xb000, 0x8e, 0));
    env->t[G_EIP] = 0x8000;
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_uint_eq(env->hflags & HF_CPL_MASK, 0);
    ck_assert_uint_eq(env->t[G_EIP], 0xa001);
    ck_assert_uint_eq(env->t[G_EAX], 0x77);
    ck_assert_uint_eq(env->t[G_ESP], 0x9000 - 20);
    ck_assert_uint_eq(rd32(0x9000 - 20), 0x9007);
    ck_assert_uint_eq(rd32(0x9000 - 8), 0x70000);
    /* HLT at CPL 3 is #GP(0) */
    env->t[G_EIP] = 0x8000;
    env->t[G_ESP] = 0x8000;
    load_bytes(0x9000, &hlt, 1);
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_uint_eq(env->t[G_EIP], 0xb001);
    ck_assert_uint_eq(rd32(0x9000 - 24), 0);        /* error code */
    ck_assert_uint_eq(rd32(0x9000 - 20), 0x9000);   /* the HLT itself */
}
END_TEST

Suite *system_suite(void)
{
    Suite *s = suite_create("system");
    TCase *tc = tcase_create("direct");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_hflags);
    tcase_add_test(tc, test_seg_load_pm);
    tcase_add_test(tc, test_seg_load_real_unreal);
    tcase_add_test(tc, test_int_real_mode);
    tcase_add_test(tc, test_int_pm_same_ring_error_code);
    tcase_add_test(tc, test_int_ring3_to_ring0);
    tcase_add_test(tc, test_int_from_v86);
    tcase_add_test(tc, test_idt_limit_and_not_present);
    tcase_add_test(tc, test_double_and_triple_fault);
    tcase_add_test(tc, test_triple_fault);
    tcase_add_test(tc, test_nmi_blocking);
    tcase_add_test(tc, test_callgate_params_and_retf);
    tcase_add_test(tc, test_far_jmp_checks);
    tcase_add_test(tc, test_task_jmp_call_iret);
    tcase_add_test(tc, test_task_bad_segment_faults_in_new_task);
    tcase_add_test(tc, test_task_fault_escalates_in_new_task);
    tcase_add_test(tc, test_io_bitmap);
    tcase_add_test(tc, test_lar_lsl_verr_verw);
    tcase_add_test(tc, test_cpuid_msr_cr);
    tcase_add_test(tc, test_sysenter_sysexit);
    tcase_add_test(tc, test_debug_helpers);
    suite_add_tcase(s, tc);
    TCase *e2e = tcase_create("end_to_end");
    tcase_add_checked_fixture(e2e, setup, teardown);
    tcase_add_loop_test(e2e, test_e2e_real_mode_int_iret, 0, 3);
    tcase_add_loop_test(e2e, test_e2e_far_jumps_code16_cpuid, 0, 3);
    tcase_add_loop_test(e2e, test_e2e_ring3_int_and_gp, 0, 3);
    suite_add_tcase(s, e2e);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(system_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
