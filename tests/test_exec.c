/* test_exec.c — the execution loop and the translation-block cache end to end (translator/exec.c, tb.c with the
 * decoder, translator, optimiser and interpreter): small real-mode and flat protected-mode programs, exact
 * instruction counts, precise faults (EIP and registers at the faulting instruction, CR2 for fetch faults),
 * interrupts at block boundaries (with the STI shadow), HLT, -max-insns, chaining, and self-modifying code: a store
 * that rewrites the very next instruction of the running block, code patched inside a loop, REP STOSB over the
 * code that follows it, a page-crossing store into code; and invalidation bookkeeping (tb_page_has_code).
 * Programs are hand-assembled byte arrays (the encodings are commented); machines come from tests/harness.h.
 * Every test runs under the interpreter and, where the host has a backend, under -accel jit and -accel lockstep. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mmu.h"
#include "backend.h"

static Harness *h;

static void setup(void)
{
    h = harness_new(4);
    ck_assert_ptr_nonnull(h);
}

static void teardown(void)
{
    harness_free(h);
}

/* Loop tests run once per engine: _i = 0 the interpreter, 1 the JIT, 2 lockstep (both, compared per block; a
 * disagreement stops the run with STOP_MISMATCH). Hosts without a JIT backend run the interpreter three times. */
static void select_engine(int i)
{
    static const char *const names[] = { "interp", "jit", "lockstep" };
    if (i > 0 && !jit_available())
        return;
    ck_assert(harness_set_accel(h, names[i]));
}

static uint32_t ram32(uint32_t pa)
{
    uint32_t v;
    harness_read(h, pa, &v, 4);
    return v;
}

static uint16_t ram16(uint32_t pa)
{
    uint16_t v;
    harness_read(h, pa, &v, 2);
    return v;
}

static void run_expect_halt(uint64_t limit)
{
    ExecStop s = harness_run(h, limit);
    ck_assert_msg(s == STOP_HALT, "stopped: %s at eip %08x", harness_stop_name(s), harness_reg(h, G_EIP));
}

/* ---- real mode ---- */

START_TEST(test_real_mode_program)
{
    select_engine(_i);
    static const uint8_t code[] = {
        0xbb, 0x34, 0x12,       /* mov bx, 0x1234 */
        0xb8, 0x01, 0x00,       /* mov ax, 1 */
        0x01, 0xd8,             /* add ax, bx */
        0xa3, 0x00, 0x05,       /* mov [0x500], ax */
        0xf4,                   /* hlt */
    };
    harness_real_mode(h);
    harness_set_seg_real(h, SEG_CS, 0x0010);    /* code at 0x100 = 0010:0000 */
    harness_write(h, 0x100, code, sizeof(code));
    harness_set_reg(h, G_EIP, 0);
    uint64_t before = h->env->icount;
    run_expect_halt(1000);
    ck_assert_uint_eq(ram16(0x500), 0x1235);
    ck_assert_uint_eq(harness_reg(h, G_EIP), sizeof(code));
    ck_assert_uint_eq(h->env->icount - before, 5);
}
END_TEST

START_TEST(test_real_mode_fault_is_precise)
{
    select_engine(_i);
    static const uint8_t handler[] = {
        0x58,                   /* pop ax        (IP pushed by the #UD delivery) */
        0xa3, 0x00, 0x06,       /* mov [0x600], ax */
        0xf4,                   /* hlt */
    };
    static const uint8_t code[] = {
        0xbb, 0x05, 0x00,       /* 0x100: mov bx, 5 */
        0x43,                   /* 0x103: inc bx */
        0x0f, 0x0b,             /* 0x104: ud2 */
        0xbb, 0x63, 0x00,       /* mov bx, 99 (never) */
        0xf4,
    };
    const uint16_t ivt6[2] = { 0x200, 0 };
    harness_real_mode(h);
    harness_write(h, 6 * 4, ivt6, 4);
    harness_write(h, 0x200, handler, sizeof(handler));
    harness_write(h, 0x100, code, sizeof(code));
    harness_set_reg(h, G_ESP, 0x7000);
    harness_set_reg(h, G_EIP, 0x100);
    uint64_t before = h->env->icount;
    run_expect_halt(1000);
    ck_assert_uint_eq(harness_reg(h, G_EBX) & 0xffff, 6);
    ck_assert_uint_eq(ram16(0x600), 0x104);
    /* mov, inc retired; ud2 did not; pop, mov, hlt in the handler */
    ck_assert_uint_eq(h->env->icount - before, 5);
    ck_assert_uint_eq(exec_stats.exceptions > 0, 1);
}
END_TEST

/* ---- flat 32-bit protected mode ---- */

enum { GDT = 0x800, CODE = 0x10000 };

START_TEST(test_flat32_loop_counts)
{
    select_engine(_i);
    static const uint8_t code[] = {
        0xb9, 0xe8, 0x03, 0x00, 0x00,   /* mov ecx, 1000 */
        0x31, 0xc0,                     /* xor eax, eax */
        0x01, 0xc8,                     /* L: add eax, ecx */
        0xe2, 0xfc,                     /* loop L */
        0xf4,                           /* hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EIP, CODE);
    uint64_t before = h->env->icount, chained = exec_stats.tb_chained;
    run_expect_halt(100000);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 500500);
    ck_assert_uint_eq(harness_reg(h, G_EIP), CODE + sizeof(code));
    ck_assert_uint_eq(h->env->icount - before, 2 + 2 * 1000 + 1);
    ck_assert_msg(exec_stats.tb_chained - chained > 900, "the loop block should chain to itself");
}
END_TEST

START_TEST(test_max_insns_and_exit_request)
{
    select_engine(_i);
    static const uint8_t code[] = { 0xeb, 0xfe };   /* jmp $ */
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EIP, CODE);
    uint64_t before = h->env->icount;
    ExecStop s = harness_run(h, 5000);
    ck_assert_int_eq(s, STOP_LIMIT);
    ck_assert_uint_ge(h->env->icount - before, 5000);
    ck_assert_uint_lt(h->env->icount - before, 5000 + TB_MAX_INSNS + 1);
    /* a machine exit request stops the loop at the next block boundary */
    h->m->exit_requested = true;
    h->env->exit_request = 1;
    h->opt.max_insns = 0;
    ck_assert_int_eq(cpu_exec(h->env, &h->opt), STOP_EXIT);
    h->m->exit_requested = false;
}
END_TEST

/* IDT with 32-bit interrupt gates (SDM vol 3 6.11) at idt_pa for the listed vectors. */
static void set_gate(uint32_t idt_pa, int vec, uint32_t handler)
{
    uint32_t g[2] = { (0x08u << 16) | (handler & 0xffff), (handler & 0xffff0000u) | 0x8e00 };
    harness_write(h, idt_pa + vec * 8, g, 8);
}

START_TEST(test_fetch_fault_cr2)
{
    select_engine(_i);
    /* 4 MiB identity page at 0 (PSE); 0x400000 unmapped. A jump there faults on the fetch with EIP = 0x400000. */
    static const uint8_t code[] = {
        0xbb, 0x07, 0x00, 0x00, 0x00,       /* mov ebx, 7 */
        0xe9, 0xf6, 0xff, 0x3e, 0x00,       /* jmp 0x400000 (rel32 = 0x400000 - 0x1000a) */
    };
    static const uint8_t pf_handler[] = {
        0x0f, 0x20, 0xd0,                   /* mov eax, cr2 */
        0x8b, 0x0c, 0x24,                   /* mov ecx, [esp]     ; error code */
        0x8b, 0x54, 0x24, 0x04,             /* mov edx, [esp+4]   ; faulting eip */
        0xf4,                               /* hlt */
    };
    uint32_t pde = 0x00000083;              /* P RW PS, frame 0 */
    harness_flat32(h, GDT);
    harness_write(h, 0x20000, &pde, 4);
    set_gate(0x1000, EXC_PF, 0x3000);
    h->env->idt_base = 0x1000;
    h->env->idt_limit = 0x7ff;
    harness_write(h, 0x3000, pf_handler, sizeof(pf_handler));
    harness_write(h, CODE, code, sizeof(code));
    h->env->cr3 = 0x20000;
    h->env->cr4 |= CR4_PSE;
    h->env->cr0 |= CR0_PG;
    cpu_update_hflags(h->env);
    tlb_flush_all(h->env);
    harness_set_reg(h, G_ESP, 0x9000);
    harness_set_reg(h, G_EIP, CODE);
    run_expect_halt(1000);
    ck_assert_uint_eq(harness_reg(h, G_EBX), 7);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 0x400000);
    ck_assert_uint_eq(harness_reg(h, G_ECX), 0);        /* supervisor read, not present (I/D not reported) */
    ck_assert_uint_eq(harness_reg(h, G_EDX), 0x400000);
}
END_TEST

START_TEST(test_fetch_fault_second_page)
{
    select_engine(_i);
    /* An instruction crossing into an unmapped page faults with CR2 = that page and EIP = its first byte. */
    static const uint8_t pf_handler[] = {
        0x0f, 0x20, 0xd0, 0x8b, 0x0c, 0x24, 0x8b, 0x54, 0x24, 0x04, 0xf4,   /* as above */
    };
    static const uint8_t tail[] = { 0x90, 0xb8, 0x11, 0x22 };  /* nop; mov eax, 0x....2211 (2 bytes missing) */
    uint32_t pde = 0x00000083;
    harness_flat32(h, GDT);
    harness_write(h, 0x20000, &pde, 4);
    set_gate(0x1000, EXC_PF, 0x3000);
    h->env->idt_base = 0x1000;
    h->env->idt_limit = 0x7ff;
    harness_write(h, 0x3000, pf_handler, sizeof(pf_handler));
    harness_write(h, 0x400000 - sizeof(tail), tail, sizeof(tail));
    h->env->cr3 = 0x20000;
    h->env->cr4 |= CR4_PSE;
    h->env->cr0 |= CR0_PG;
    cpu_update_hflags(h->env);
    tlb_flush_all(h->env);
    harness_set_reg(h, G_ESP, 0x9000);
    harness_set_reg(h, G_EIP, 0x400000 - sizeof(tail));
    run_expect_halt(1000);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 0x400000);
    ck_assert_uint_eq(harness_reg(h, G_EDX), 0x400000 - 3);
}
END_TEST

/* ---- interrupts ---- */

static int acks;
static int test_intr_ack(void *opaque)
{
    acks++;
    h->env->pending_irq = 0;    /* edge-like: one interrupt per assertion */
    return 0x20;
}

START_TEST(test_interrupt_after_sti_hlt)
{
    select_engine(_i);
    static const uint8_t handler[] = {
        0x58,                   /* pop ax (return IP) */
        0xa3, 0x00, 0x06,       /* mov [0x600], ax */
        0xf4,                   /* hlt */
    };
    static const uint8_t code[] = {
        0xfa,                   /* 0x100: cli */
        0x90,                   /* 0x101: nop */
        0xfb,                   /* 0x102: sti */
        0xf4,                   /* 0x103: hlt   (the STI shadow covers it: the interrupt comes after) */
        0xf4,                   /* 0x104: hlt */
    };
    const uint16_t ivt[2] = { 0x200, 0 };
    acks = 0;
    harness_real_mode(h);
    harness_write(h, 0x20 * 4, ivt, 4);
    harness_write(h, 0x200, handler, sizeof(handler));
    harness_write(h, 0x100, code, sizeof(code));
    harness_set_reg(h, G_ESP, 0x7000);
    harness_set_reg(h, G_EIP, 0x100);
    h->m->intr_ack = test_intr_ack;
    h->env->pending_irq = 1;
    h->env->exit_request = 1;
    harness_set_eflags(h, 0);   /* IF = 0: nothing is accepted before the STI */
    run_expect_halt(1000);
    ck_assert_int_eq(acks, 1);
    ck_assert_uint_eq(ram16(0x600), 0x104);
    h->m->intr_ack = NULL;
}
END_TEST

static void irq_port_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    bus_set_intr(h->m, true);   /* a device raising INTR from inside a block */
}

START_TEST(test_interrupt_breaks_chained_loop)
{
    /* A device raises INTR during a block; the code then spins in a self-chained `jmp $`: the exit request must
     * stop the chain and the interrupt must come in with the loop's address as return IP. */
    select_engine(_i);
    static const uint8_t handler[] = { 0x58, 0xa3, 0x00, 0x06, 0xf4 };   /* pop ax; mov [0x600], ax; hlt */
    static const uint8_t code[] = {
        0xfb,                   /* 0x100: sti */
        0xe6, 0x80,             /* 0x101: out 0x80, al */
        0xeb, 0xfe,             /* 0x103: jmp $ */
    };
    const uint16_t ivt[2] = { 0x200, 0 };
    acks = 0;
    harness_real_mode(h);
    ck_assert_int_eq(bus_register_io(h->m, 0x80, 1, NULL, irq_port_write, NULL, "irq-raiser"), 0);
    harness_write(h, 0x20 * 4, ivt, 4);
    harness_write(h, 0x200, handler, sizeof(handler));
    harness_write(h, 0x100, code, sizeof(code));
    harness_set_reg(h, G_ESP, 0x7000);
    harness_set_reg(h, G_EIP, 0x100);
    h->m->intr_ack = test_intr_ack;
    run_expect_halt(100000);
    ck_assert_int_eq(acks, 1);
    ck_assert_uint_eq(ram16(0x600), 0x103);
    h->m->intr_ack = NULL;
}
END_TEST

START_TEST(test_hlt_with_if_clear_stops)
{
    select_engine(_i);
    static const uint8_t code[] = { 0xfa, 0xf4 };  /* cli; hlt */
    acks = 0;
    harness_real_mode(h);
    harness_write(h, 0x100, code, sizeof(code));
    harness_set_reg(h, G_EIP, 0x100);
    h->m->intr_ack = test_intr_ack;
    h->env->pending_irq = 1;
    h->opt.stop_on_hlt = false;
    ck_assert_int_eq(harness_run(h, 1000), STOP_HALT);
    ck_assert_int_eq(acks, 0);
    ck_assert_uint_eq(h->env->halted, 1);
    h->opt.stop_on_hlt = true;
    h->m->intr_ack = NULL;
    h->env->pending_irq = 0;
}
END_TEST

/* ---- self-modifying code ---- */

START_TEST(test_smc_next_instruction_same_block)
{
    select_engine(_i);
    /* The store rewrites the immediate of the very next instruction, which is in the running block. */
    static const uint8_t code[] = {
        0xc6, 0x05, 0x08, 0x00, 0x01, 0x00, 0x42,   /* 0x10000: mov byte [0x10008], 0x42 */
        0xb0, 0x11,                                 /* 0x10007: mov al, 0x11  (immediate at 0x10008) */
        0xf4,                                       /* hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EAX, 0);
    harness_set_reg(h, G_EIP, CODE);
    uint64_t before = h->env->icount, restarts = exec_stats.smc_restarts;
    run_expect_halt(100);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 0x42);
    ck_assert_uint_eq(h->env->icount - before, 3);
    ck_assert_uint_eq(exec_stats.smc_restarts - restarts, 1);
    /* run it again: the block now holds the patched byte from the start */
    harness_set_reg(h, G_EAX, 0);
    harness_set_reg(h, G_EIP, CODE);
    run_expect_halt(100);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 0x42);
}
END_TEST

START_TEST(test_smc_patch_in_loop)
{
    select_engine(_i);
    /* Each iteration adds an immediate and then increments that immediate in the code. */
    static const uint8_t code[] = {
        0xb9, 0x0a, 0x00, 0x00, 0x00,               /* 0x10000: mov ecx, 10 */
        0x31, 0xc0,                                 /* 0x10005: xor eax, eax */
        0x05, 0x01, 0x00, 0x00, 0x00,               /* 0x10007: L: add eax, 1 (imm at 0x10008) */
        0xff, 0x05, 0x08, 0x00, 0x01, 0x00,         /* 0x1000c: inc dword [0x10008] */
        0xe2, 0xf3,                                 /* 0x10012: loop L */
        0xf4,                                       /* hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EIP, CODE);
    run_expect_halt(1000);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 55);
    ck_assert_uint_eq(ram32(0x10008), 11);
}
END_TEST

START_TEST(test_smc_rep_stos_over_following_code)
{
    select_engine(_i);
    /* REP STOSB replaces the 2-byte "jmp to fail" right after it with NOPs: the string store hits the rest of the
     * running block, which must not run stale. */
    static const uint8_t code[] = {
        0xbf, 0x14, 0x00, 0x01, 0x00,   /* 0x10000: mov edi, 0x10014 */
        0xb9, 0x02, 0x00, 0x00, 0x00,   /* 0x10005: mov ecx, 2 */
        0xb0, 0x90,                     /* 0x1000a: mov al, 0x90 */
        0xfc,                           /* 0x1000c: cld */
        0xbb, 0x01, 0x00, 0x00, 0x00,   /* 0x1000d: mov ebx, 1 */
        0xf3, 0xaa,                     /* 0x10012: rep stosb */
        0xeb, 0x05,                     /* 0x10014: jmp 0x1001b (fail: ebx stays 1) */
        0xbb, 0x02, 0x00, 0x00, 0x00,   /* 0x10016: mov ebx, 2 */
        0xf4,                           /* 0x1001b: hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EIP, CODE);
    run_expect_halt(1000);
    ck_assert_uint_eq(harness_reg(h, G_EBX), 2);
    ck_assert_uint_eq(harness_reg(h, G_ECX), 0);
    ck_assert_uint_eq(harness_reg(h, G_EDI), 0x10016);
    ck_assert_uint_eq(ram16(0x10014), 0x9090);
}
END_TEST

START_TEST(test_smc_stosb_next_instruction)
{
    select_engine(_i);
    /* STOSB (a store followed by an EDI update in the same instruction) rewrites the next instruction of the
     * running block: the block restarts at the STOSB, which must then run exactly once (EDI advanced once). */
    static const uint8_t code[] = {
        0xbf, 0x09, 0x00, 0x01, 0x00,   /* 0x10000: mov edi, 0x10009 */
        0xb0, 0x90,                     /* 0x10005: mov al, 0x90 */
        0xfc,                           /* 0x10007: cld */
        0xaa,                           /* 0x10008: stosb */
        0x43,                           /* 0x10009: inc ebx → nop */
        0xf4,                           /* 0x1000a: hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EBX, 0);
    harness_set_reg(h, G_EIP, CODE);
    uint64_t before = h->env->icount, restarts = exec_stats.smc_restarts;
    run_expect_halt(100);
    ck_assert_uint_eq(harness_reg(h, G_EBX), 0);
    ck_assert_uint_eq(harness_reg(h, G_EDI), 0x1000a);
    ck_assert_uint_eq(exec_stats.smc_restarts - restarts, 1);
    ck_assert_uint_eq(h->env->icount - before, 6);
}
END_TEST

START_TEST(test_smc_data_next_to_code)
{
    /* A loop stores data into its own code page (the page gets a code-byte bitmap after a few stores, and data
     * stores stop invalidating), then a store patches the next instruction: still seen. */
    select_engine(_i);
    static const uint8_t code[] = {
        0xb9, 0x64, 0x00, 0x00, 0x00,               /* 0x10000: mov ecx, 100 */
        0x89, 0x0d, 0x20, 0x00, 0x01, 0x00,         /* 0x10005: L: mov [0x10020], ecx */
        0xe2, 0xf8,                                 /* 0x1000b: loop L */
        0xc6, 0x05, 0x15, 0x00, 0x01, 0x00, 0x42,   /* 0x1000d: mov byte [0x10015], 0x42 */
        0xb0, 0x11,                                 /* 0x10014: mov al, 0x11 (imm at 0x10015) */
        0xf4,                                       /* 0x10016: hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    harness_set_reg(h, G_EAX, 0);
    harness_set_reg(h, G_EIP, CODE);
    uint64_t inval = exec_stats.tb_invalidations;
    run_expect_halt(1000);
    ck_assert_uint_eq(ram32(0x10020), 1);
    ck_assert_uint_eq(harness_reg(h, G_EAX) & 0xff, 0x42);
    ck_assert_uint_lt(exec_stats.tb_invalidations - inval, 20);   /* not one per data store */
}
END_TEST

START_TEST(test_smc_crossing_store_into_code)
{
    select_engine(_i);
    /* A dword store that crosses from the page holding it into the next code page: its last two bytes rewrite the
     * two instructions that follow (dec eax; dec eax → inc eax; nop), its first two its own immediate. */
    static const uint8_t code[] = {
        0xc7, 0x05, 0xfe, 0x0f, 0x01, 0x00,         /* 0x10ff6: mov dword [0x10ffe], 0x90400000 */
        0x00, 0x00, 0x40, 0x90,
    };
    static const uint8_t next[] = {
        0x48,                                       /* 0x11000: dec eax → inc eax */
        0x48,                                       /* 0x11001: dec eax → nop */
        0xf4,                                       /* hlt */
    };
    harness_flat32(h, GDT);
    harness_write(h, 0x11000 - sizeof(code), code, sizeof(code));
    harness_write(h, 0x11000, next, sizeof(next));
    /* translate the second page first so that it holds a TB when the store comes */
    harness_set_reg(h, G_EAX, 10);
    harness_set_reg(h, G_EIP, 0x11000);
    run_expect_halt(100);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 8);
    harness_set_reg(h, G_EAX, 10);
    harness_set_reg(h, G_EIP, 0x11000 - sizeof(code));
    run_expect_halt(100);
    ck_assert_uint_eq(harness_reg(h, G_EAX), 11);
    ck_assert_uint_eq(ram16(0x10ffe), 0);
}
END_TEST

START_TEST(test_rep_counts_once)
{
    /* REP STOSB over a page holding code goes element by element and leaves the block many times between
     * iterations; the instruction still retires once (icount does not depend on how the helper chunked it). */
    select_engine(_i);
    static const uint8_t code[] = {
        0xbf, 0x00, 0x00, 0x02, 0x00,   /* mov edi, 0x20000 */
        0xb9, 0x20, 0x4e, 0x00, 0x00,   /* mov ecx, 20000 */
        0x31, 0xc0,                     /* xor eax, eax */
        0xfc,                           /* cld */
        0xf3, 0xaa,                     /* rep stosb */
        0xf4,                           /* hlt */
    };
    static const uint8_t hlt = 0xf4;
    harness_flat32(h, GDT);
    harness_write(h, CODE, code, sizeof(code));
    for (int round = 0; round < 3; round++) {   /* later rounds run with the blocks cached and linked */
        harness_write(h, 0x20000, &hlt, 1);
        harness_set_reg(h, G_EIP, 0x20000);     /* a TB on the destination page: the stores take the slow path */
        run_expect_halt(10);
        ck_assert(tb_page_has_code(h->env, 0x20000));
        harness_set_reg(h, G_EIP, CODE);
        uint64_t before = h->env->icount;
        run_expect_halt(100000);
        ck_assert_uint_eq(harness_reg(h, G_ECX), 0);
        ck_assert_uint_eq(harness_reg(h, G_EDI), 0x20000 + 20000);
        ck_assert_uint_eq(h->env->icount - before, 6);
    }
}
END_TEST

START_TEST(test_tb_invalidation_bookkeeping)
{
    select_engine(_i);
    static const uint8_t code[] = { 0x90, 0x90, 0xf4 };
    harness_flat32(h, GDT);
    harness_write(h, 0x30000, code, sizeof(code));
    ck_assert(!tb_page_has_code(h->env, 0x30000));
    harness_set_reg(h, G_EIP, 0x30000);
    run_expect_halt(100);
    ck_assert(tb_page_has_code(h->env, 0x30000));
    ck_assert(tb_page_has_code(h->env, 0x30fff));
    ck_assert(!tb_page_has_code(h->env, 0x31000));
    ck_assert(!tb_invalidate_phys(h->env, 0x30100, 16));   /* no TB covers those bytes */
    ck_assert(tb_page_has_code(h->env, 0x30000));
    uint64_t inv = exec_stats.tb_invalidations;
    ck_assert(tb_invalidate_phys(h->env, 0x30002, 1));
    ck_assert(!tb_page_has_code(h->env, 0x30000));
    ck_assert_uint_eq(exec_stats.tb_invalidations - inv, 1);
    harness_set_reg(h, G_EIP, 0x30000);
    run_expect_halt(100);
    ck_assert(tb_page_has_code(h->env, 0x30000));
    tb_flush_all(h->env);
    ck_assert(!tb_page_has_code(h->env, 0x30000));
    harness_set_reg(h, G_EIP, 0x30000);
    run_expect_halt(100);
}
END_TEST

/* The jump cache's TLB generation moves only for INVLPGs that can matter: INVLPG of a page nothing was translated
 * from keeps every association; INVLPG of the code's page, or anywhere in a large page code runs from, drops them
 * (SDM vol 3 4.10.4.1: INVLPG of any address in a large page removes its whole translation). */
START_TEST(test_invlpg_generation)
{
    enum { PD = 0x80000, PT = 0x81000 };
    harness_flat32(h, GDT);
    CpuState *env = h->env;
    uint32_t pde[2] = { PT | 3, 0x400000 | 0x83 };    /* 0-4 MiB through PT; 4-8 MiB one 4 MiB page (PSE) */
    harness_write(h, PD, pde, sizeof(pde));
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pte = i << 12 | 3;
        harness_write(h, PT + 4 * i, &pte, 4);
    }
    harness_fill(h, 0x30000, 0xf4, 16);                /* code on a 4 KiB page */
    harness_fill(h, 0x500000, 0xf4, 16);               /* code in the large page */
    env->cr3 = PD;
    env->cr4 |= CR4_PSE;
    env->cr0 |= CR0_PG;
    tlb_flush_all(env);
    cpu_update_hflags(env);
    ck_assert_ptr_nonnull(tb_find(env, 0x30000, 0, env->hflags));
    uint32_t gen = env->tlb_gen;
    tlb_flush_page(env, 0x31000);                      /* a data page */
    ck_assert_uint_eq(env->tlb_gen, gen);
    ck_assert_ptr_nonnull(tb_lookup(env, 0x30000, 0, env->hflags));
    tlb_flush_page(env, 0x30800);                      /* the code's page */
    ck_assert_uint_ne(env->tlb_gen, gen);
    ck_assert_ptr_nonnull(tb_find(env, 0x500000, 0, env->hflags));
    gen = env->tlb_gen;
    tlb_flush_page(env, 0x7ff000);                     /* elsewhere in the same 4 MiB page */
    ck_assert_uint_ne(env->tlb_gen, gen);
    gen = env->tlb_gen;
    tlb_flush_page(env, 0x900000);                     /* nothing ever translated there */
    ck_assert_uint_eq(env->tlb_gen, gen);
}
END_TEST

START_TEST(test_cache_full_flushes)
{
    select_engine(_i);
    /* 270000 one-instruction blocks (HLT at every address) overflow the 262144-TB pool (tb.c TB_POOL_SIZE): the
     * cache flushes itself and keeps working; pages lose and regain their code state coherently. */
    enum { N = 270000, BASE = 0x100000 };
    harness_flat32(h, GDT);
    harness_fill(h, BASE, 0xf4, N);
    uint64_t flushes = exec_stats.tb_flushes;
    CpuState *env = h->env;
    for (uint32_t i = 0; i < N; i++) {
        TB *tb = tb_find(env, BASE + i, 0, env->hflags);
        ck_assert_ptr_nonnull(tb);
        ck_assert_uint_eq(tb->ninsns, 1);
        ck_assert_uint_eq(tb->phys_pc, BASE + i);
    }
    ck_assert_uint_eq(exec_stats.tb_flushes - flushes, 1);
    /* the last blocks are cached, the first were flushed (their page was rebuilt only by later blocks) */
    TB *again = tb_find(env, BASE + N - 1, 0, env->hflags);
    ck_assert_uint_eq(again->phys_pc, BASE + N - 1);
    ck_assert(tb_page_has_code(env, BASE + N - 1));
    ck_assert(!tb_page_has_code(env, BASE));
    harness_set_reg(h, G_EIP, BASE + 5);
    run_expect_halt(10);
    ck_assert_uint_eq(harness_reg(h, G_EIP), BASE + 6);
}
END_TEST

static Suite *exec_suite(void)
{
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_real_mode_program, 0, 3);
    tcase_add_loop_test(tc, test_real_mode_fault_is_precise, 0, 3);
    tcase_add_loop_test(tc, test_flat32_loop_counts, 0, 3);
    tcase_add_loop_test(tc, test_max_insns_and_exit_request, 0, 3);
    tcase_add_loop_test(tc, test_fetch_fault_cr2, 0, 3);
    tcase_add_loop_test(tc, test_fetch_fault_second_page, 0, 3);
    tcase_add_loop_test(tc, test_interrupt_after_sti_hlt, 0, 3);
    tcase_add_loop_test(tc, test_interrupt_breaks_chained_loop, 0, 3);
    tcase_add_loop_test(tc, test_hlt_with_if_clear_stops, 0, 3);
    tcase_add_loop_test(tc, test_smc_next_instruction_same_block, 0, 3);
    tcase_add_loop_test(tc, test_smc_patch_in_loop, 0, 3);
    tcase_add_loop_test(tc, test_smc_rep_stos_over_following_code, 0, 3);
    tcase_add_loop_test(tc, test_smc_stosb_next_instruction, 0, 3);
    tcase_add_loop_test(tc, test_smc_data_next_to_code, 0, 3);
    tcase_add_loop_test(tc, test_smc_crossing_store_into_code, 0, 3);
    tcase_add_loop_test(tc, test_rep_counts_once, 0, 3);
    tcase_add_loop_test(tc, test_tb_invalidation_bookkeeping, 0, 3);

    suite_add_tcase(s, tc);
    /* tens of thousands of translations: seconds under the sanitizers; the engine does not matter here */
    TCase *big = tcase_create("cache");
    tcase_add_checked_fixture(big, setup, teardown);
    tcase_set_timeout(big, 120);
    tcase_add_loop_test(big, test_cache_full_flushes, 0, 1);
    tcase_add_test(big, test_invlpg_generation);
    suite_add_tcase(s, big);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(exec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
