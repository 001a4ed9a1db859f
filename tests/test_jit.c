/* test_jit.c — the x86-64 JIT (translator/jit.c + backend-x86_64/) against the IR interpreter, which is the
 * reference: every test builds a TB by hand, runs it once in each engine from identical CpuStates (each with its
 * own RAM copy), and compares every temp, the exit (slot, reason, returned successor), a fault (vector, error
 * code, cur_op, globals at the fault) and guest RAM. Cases: every ALU/bit/condition op with edge values; random
 * straight-line blocks and blocks with forward branches that use more temps than host registers (spills,
 * write-back at labels); a backward-branch loop; exits and chaining; guest loads/stores through the inline TLB
 * path (hits, misses, page crossing, user TLB, segment limit/type faults with precise state); helper calls with
 * and without results, RAISE, CCFLAGS, LDENV/STENV; the code-buffer reset when it is full; and the integer-loop
 * block of test_interp's benchmark in both engines (MIPS printed, not asserted).
 * Left out: whole guest programs (pcjit-sst and the guest tests run with -accel jit). */
#include <unistd.h>
#include <sys/wait.h>
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "backend.h"
#include "exec.h"
#include "helpers.h"
#include "mmu.h"
#include "harness.h"

/* ---- deterministic random numbers ---- */
static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}
static const uint32_t edge[] = { 0, 1, 2, 31, 32, 33, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000,
                                 0x7fffffffu, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu, 0x12345678u };
static uint32_t rnd_value(void)
{
    uint32_t r = rnd();
    return (r & 3) == 0 ? rnd() : edge[(r >> 2) % (sizeof(edge) / sizeof(edge[0]))];
}

/* ---- two engines, one block ---- */
enum { RAM_SIZE = 0x20000, PAGE_LIN = 0x5000, PAGE_RAM = 0x3000 };

typedef struct Fix { CpuState *env[2]; IrBlock *b; TB tb[2]; } Fix;   /* [0] interpreter, [1] JIT */

static CpuState *env_new(bool mem)
{
    CpuState *env = calloc(1, sizeof(CpuState));
    ck_assert_ptr_nonnull(env);
    env->a20_mask = 0xffffffffu;
    tlb_flush_all(env);     /* every entry (and the victim TLB's) invalid */
    if (!mem)
        return env;
    /* RAM; kernel TLB entry: linear PAGE_LIN -> RAM PAGE_RAM; segments base 0x1000, offsets 0..0xFFFF, ES read-only */
    env->ram = calloc(1, RAM_SIZE);
    env->ram_size = RAM_SIZE;
    for (uint32_t i = 0; i < RAM_SIZE; i++)
        env->ram[i] = (uint8_t)(i * 7 + (i >> 8));
    TlbEntry *e = &env->tlb[MMU_KERNEL][(PAGE_LIN >> 12) & (TLB_SIZE - 1)];
    e->tag_read = e->tag_write = PAGE_LIN;
    e->paddr = PAGE_RAM;
    e->addend = (uintptr_t)(env->ram + PAGE_RAM) - PAGE_LIN;
    for (int s = 0; s < 6; s++)
        env->seg[s] = (SegCache){ .base = 0x1000, .limit = 0xffff, .lo = 0, .hi = 0xffff,
                                  .flags = DESC_P | DESC_S | DESC_W | DESC_A };
    env->seg[SEG_ES].flags &= ~DESC_W;
    env->seg[SEG_CS].flags = DESC_P | DESC_S | DESC_CODE | DESC_A;   /* execute-only code */
    env->cr0 = CR0_PE;
    env->hflags = HF_PE | HF_CS32 | HF_SS32;
    return env;
}

static Fix *fix_new(bool mem)
{
    Fix *f = calloc(1, sizeof(*f));
    f->b = calloc(1, sizeof(IrBlock));
    ck_assert_ptr_nonnull(f->b);
    f->env[0] = env_new(mem);
    f->env[1] = env_new(mem);
    ir_init(f->b);
    interp_init();
    return f;
}

static void fix_free(Fix *f)
{
    for (int i = 0; i < 2; i++) {
        free(f->env[i]->ram);
        free(f->env[i]);
    }
    free(f->b);
    free(f);
}

static void fix_set(Fix *f, int temp, uint32_t v) { f->env[0]->t[temp] = f->env[1]->t[temp] = v; }

typedef struct Outcome { TB *next; bool faulted; } Outcome;

static Outcome run_one(Fix *f, int e)
{
    CpuState *env = f->env[e];
    TB *tb = &f->tb[e];
    Outcome o = { NULL, false };
    tb->ops = f->b->ops;
    tb->nops = (uint16_t)f->b->nops;
    env->exc_vector = -1;
    env->cur_op = 0xdead;
    if (setjmp(env->jmp_env) == 0)
        o.next = e ? jit_run_tb(env, tb) : interp_run_tb(env, tb);
    else
        o.faulted = true;
    return o;
}

/* Run in both engines and compare everything; returns the interpreter's env for extra checks. */
static CpuState *run_both(Fix *f)
{
    ck_assert(!f->b->overflow);
    Outcome o[2];
    for (int e = 0; e < 2; e++)
        o[e] = run_one(f, e);
    CpuState *a = f->env[0], *j = f->env[1];
    ck_assert_int_eq(o[0].faulted, o[1].faulted);
    ck_assert_msg((o[0].next == NULL) == (o[1].next == NULL), "chained successor differs");
    if (o[0].next)
        ck_assert_int_eq((uint8_t *)o[0].next - (uint8_t *)&f->tb[0], (uint8_t *)o[1].next - (uint8_t *)&f->tb[1]);
    if (o[0].faulted) {
        ck_assert_int_eq(a->exc_vector, j->exc_vector);
        ck_assert_int_eq(a->exc_error, j->exc_error);
        ck_assert_uint_eq(a->cur_op, j->cur_op);
        for (int t = 0; t < IR_NUM_GLOBALS; t++)   /* locals are dead after a fault */
            ck_assert_msg(a->t[t] == j->t[t], "global %d at fault: interp 0x%x jit 0x%x", t, a->t[t], j->t[t]);
    } else {
        ck_assert_int_eq(a->exit_slot, j->exit_slot);
        ck_assert_uint_eq(a->exit_reason, j->exit_reason);
        /* locals are dead at the exit (the JIT need not write them back): blocks copy what they test to globals */
        for (int t = 0; t < IR_NUM_GLOBALS; t++)
            ck_assert_msg(a->t[t] == j->t[t], "global %d: interp 0x%x jit 0x%x", t, a->t[t], j->t[t]);
    }
    if (a->ram)
        ck_assert_msg(memcmp(a->ram, j->ram, RAM_SIZE) == 0, "guest RAM differs");
    ck_assert_int_eq(memcmp(a->seg, j->seg, sizeof(a->seg)), 0);
    ck_assert_uint_eq(a->gdt_base, j->gdt_base);
    ck_assert_uint_eq(a->cr2, j->cr2);
    return a;
}

/* ---- single ops with edge values ---- */
static const int alu_ops[] = {
    IR_MOV, IR_ADD, IR_ADD_I, IR_SUB, IR_SUB_I, IR_AND, IR_AND_I, IR_OR, IR_OR_I, IR_XOR, IR_XOR_I, IR_SHL,
    IR_SHL_I, IR_SHR, IR_SHR_I, IR_SAR, IR_SAR_I, IR_ROL, IR_ROL_I, IR_ROR, IR_ROR_I, IR_MUL, IR_NEG, IR_NOT,
    IR_EXT8S, IR_EXT8U, IR_EXT16S, IR_EXT16U, IR_BSWAP, IR_CTZ, IR_CLZ, IR_EXTRACT, IR_DEPOSIT, IR_SETCC,
    IR_SETCC_I, IR_SELECT, IR_MULU2, IR_MULS2,
};
enum { N_ALU_OPS = sizeof(alu_ops) / sizeof(alu_ops[0]) };

/* Append op with inputs among temps[0..n) (or the given ones), output d (and c for the two-output ops). */
static void emit_random_op(IrBlock *b, int op, int a, int bb, int c, int d, int d2)
{
    IrOp *o = ir_emit(b, op);
    const IrOpInfo *in = &ir_op_info[op];
    o->d = (uint16_t)d;
    o->a = (uint16_t)a;
    if (in->nin >= 2)
        o->b = (uint16_t)bb;
    if (op == IR_SELECT)
        o->c = (uint16_t)c;
    if (in->nout == 2)
        o->c = (uint16_t)d2;
    o->imm = rnd_value();
    if (op == IR_SETCC || op == IR_SETCC_I)
        o->sz = (uint8_t)(rnd() % IRC_NB);
    if (op == IR_EXTRACT || op == IR_DEPOSIT) {
        o->sz = (uint8_t)(1 + rnd() % 31);
        o->imm = rnd() % (32u - o->sz + 1);
        if (op == IR_EXTRACT && (rnd() & 1))
            o->imm = rnd() % 32;   /* a field running past bit 31 is cut off, as in the interpreter */
    }
}

START_TEST(test_each_op_edges)
{
    int op = alu_ops[_i];
    for (int k = 0; k < 60; k++) {
        Fix *f = fix_new(false);
        uint32_t va = rnd_value(), vb = rnd_value(), vc = rnd() & 1 ? 0 : rnd_value();
        if ((op == IR_CTZ || op == IR_CLZ) && va == 0)
            va = 1;   /* the IR leaves 0 undefined (the translator guards it) */
        fix_set(f, G_EAX, va);
        fix_set(f, G_ECX, vb);
        fix_set(f, G_EDX, vc);
        int d = ir_new_temp(f->b), d2 = ir_new_temp(f->b);
        /* inputs from globals (loaded from env->t) or from locals (defined in the block); output local or global */
        int a = G_EAX, bb = G_ECX;
        if (k & 1) {
            a = ir_op1(f->b, IR_MOV, G_EAX);
            bb = ir_op1(f->b, IR_MOV, G_ECX);
        }
        emit_random_op(f->b, op, a, bb, G_EDX, (k & 2) ? G_EBX : d, d2);
        if (k & 4)   /* same temp as input and output */
            emit_random_op(f->b, op, a, a, a, a, d2 == a ? d : d2);
        ir_mov(f->b, G_ESI, d);
        if (ir_op_info[op].nout == 2 || (k & 4))
            ir_mov(f->b, G_EDI, (k & 4) ? a : d2);
        ir_emit(f->b, IR_EXIT_TB)->imm = EXIT_NORMAL;
        run_both(f);
        fix_free(f);
    }
}
END_TEST

/* Random blocks: 24 live values (more than the 9 host registers), random ops, optional forward branches. */
static void build_random_block(IrBlock *b, bool branches)
{
    int vals[64], n = 0, pending[8], npending = 0;
    for (int g = 0; g < 8; g++)
        vals[n++] = g;
    for (int i = 0; i < 16; i++)
        vals[n++] = (rnd() & 1) ? ir_movi(b, rnd_value()) : ir_op1(b, IR_MOV, (int)(rnd() % 8));
    for (int i = 0; i < 120; i++) {
        int op = alu_ops[rnd() % N_ALU_OPS];
        if ((op == IR_CTZ || op == IR_CLZ))
            continue;
        int a = vals[rnd() % n], bb = vals[rnd() % n], c = vals[rnd() % n];
        int d = (rnd() % 4 == 0) ? (int)(rnd() % 8) : (n < 64 && rnd() % 3 == 0) ? (vals[n++] = ir_new_temp(b))
                                                                              : vals[8 + rnd() % (n - 8)];
        int d2 = ir_new_temp(b);
        if (d == d2)
            continue;
        emit_random_op(b, op, a, bb, c, d, d2);
        if (branches && rnd() % 10 == 0 && npending < 8) {
            int l = ir_new_label(b);
            IrOp *o = ir_emit(b, rnd() & 1 ? IR_BRCOND : IR_BRCOND_I);
            o->sz = (uint8_t)(rnd() % IRC_NB);
            o->a = (uint16_t)vals[rnd() % n];
            if (o->op == IR_BRCOND)
                o->b = (uint16_t)vals[rnd() % n];
            o->imm = rnd_value();
            o->aux = (uint16_t)l;
            pending[npending++] = l;
        }
        if (npending && rnd() % 6 == 0)
            ir_set_label(b, pending[--npending]);
    }
    while (npending)
        ir_set_label(b, pending[--npending]);
    /* fold every value into a global (rol/xor: any single difference changes the result) */
    int acc = ir_movi(b, 0);
    for (int i = 0; i < n; i++)
        ir_mov(b, acc, ir_op2(b, IR_XOR, ir_op2i(b, IR_ROL_I, acc, 5), vals[i]));
    ir_mov(b, 14, acc);
    IrOp *o = ir_emit(b, IR_GOTO_TB);
    o->imm = rnd() & 1;
}

START_TEST(test_random_blocks)
{
    for (int k = 0; k < 150; k++) {
        Fix *f = fix_new(false);
        for (int g = 0; g < IR_NUM_GLOBALS; g++)
            fix_set(f, g, rnd_value());
        build_random_block(f->b, k % 3 != 0);
        if (k % 2)
            ir_optimize(f->b);
        run_both(f);
        fix_free(f);
    }
}
END_TEST

START_TEST(test_conditions)
{
    for (int k = 0; k < 400; k++) {
        Fix *f = fix_new(false);
        IrBlock *b = f->b;
        uint32_t av = rnd_value(), bv = (rnd() & 1) ? av : rnd_value();
        fix_set(f, G_EAX, av);
        fix_set(f, G_ECX, bv);
        IrCond c = (IrCond)(k % IRC_NB);
        int l = ir_new_label(b);
        if (k & 1)
            ir_brcond(b, c, G_EAX, G_ECX, l);
        else
            ir_brcondi(b, c, G_EAX, bv, l);
        ir_mov(b, G_EDX, ir_movi(b, 0));
        ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
        ir_set_label(b, l);
        ir_mov(b, G_EDX, ir_movi(b, 1));
        ir_emit(b, IR_EXIT_TB)->imm = EXIT_MODE;
        run_both(f);
        fix_free(f);
    }
}
END_TEST

/* Every condition against immediates at the edges of the host encodings (zero: CBZ/CBNZ on aarch64; 12-bit and
 * shifted 12-bit ADD/SUB fields; negatives that fit CMN; bitmask and arbitrary values that need a register),
 * compared with values on both sides of each, as BRCOND_I and as SETCC_I. */
START_TEST(test_conditions_imm)
{
    static const uint32_t imms[] = { 0, 1, 4095, 4096, 0xfff000, 0x1000000, 0xffffffffu, 0xfffff001u, 0x80000000u,
                                     0x7fffffffu, 0xfffff000u, 0x55555555u, 0x12345678u };
    for (size_t i = 0; i < sizeof(imms) / sizeof(imms[0]); i++) {
        uint32_t imm = imms[i];
        const uint32_t as[] = { 0, 1, imm, imm - 1, imm + 1, 0x80000000u, 0xffffffffu };
        for (int c = 0; c < IRC_NB; c++) {
            for (size_t k = 0; k < sizeof(as) / sizeof(as[0]); k++) {
                Fix *f = fix_new(false);
                IrBlock *b = f->b;
                fix_set(f, G_EAX, as[k]);
                IrOp *o = ir_emit(b, IR_SETCC_I);
                o->sz = (uint8_t)c;
                o->a = G_EAX;
                o->imm = imm;
                o->d = G_EBX;
                int l = ir_new_label(b);
                ir_brcondi(b, (IrCond)c, G_EAX, imm, l);
                ir_mov(b, G_EDX, ir_movi(b, 0));
                ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
                ir_set_label(b, l);
                ir_mov(b, G_EDX, ir_movi(b, 1));
                ir_emit(b, IR_EXIT_TB)->imm = EXIT_MODE;
                run_both(f);
                fix_free(f);
            }
        }
    }
}
END_TEST

START_TEST(test_loop_backward_branch)
{
    for (int opt = 0; opt < 2; opt++) {
        Fix *f = fix_new(false);
        IrBlock *b = f->b;
        int top = ir_new_label(b), skip = ir_new_label(b);
        int acc = ir_movi(b, 0);           /* a local live around the loop */
        ir_mov(b, G_EAX, ir_movi(b, 0));
        ir_mov(b, G_ECX, ir_movi(b, 100));
        ir_br(b, skip);
        ir_mov(b, G_EAX, ir_movi(b, 0xbad));
        ir_set_label(b, skip);
        ir_set_label(b, top);
        ir_mov(b, G_EAX, ir_op2(b, IR_ADD, G_EAX, G_ECX));
        ir_mov(b, acc, ir_op2(b, IR_XOR, acc, G_EAX));
        ir_mov(b, G_ECX, ir_op2i(b, IR_SUB_I, G_ECX, 1));
        ir_brcondi(b, IRC_NE, G_ECX, 0, top);
        ir_mov(b, G_EBX, acc);
        ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
        if (opt)
            ir_optimize(b);
        CpuState *env = run_both(f);
        ck_assert_uint_eq(env->t[G_EAX], 5050);
        ck_assert_uint_eq(f->env[1]->t[G_EAX], 5050);
        fix_free(f);
    }
}
END_TEST

START_TEST(test_exits)
{
    for (int edx = 0; edx < 2; edx++)
        for (int chained = 0; chained < 3; chained++) {
            Fix *f = fix_new(false);
            int l = ir_new_label(f->b);
            fix_set(f, G_EDX, (uint32_t)edx);
            ir_brcondi(f->b, IRC_EQ, G_EDX, 1, l);
            ir_emit(f->b, IR_GOTO_TB)->imm = 0;
            ir_set_label(f->b, l);
            ir_emit(f->b, IR_GOTO_TB)->imm = 1;
            for (int e = 0; e < 2; e++) {   /* chained to itself; chained = 2: to an invalidated TB */
                f->tb[e].jmp_dest[edx] = chained ? &f->tb[e] : NULL;
                f->tb[e].invalid = chained == 2;
            }
            run_both(f);
            ck_assert_int_eq(f->env[1]->exit_slot, edx);
            fix_free(f);
        }
    for (uint32_t r = EXIT_NORMAL; r <= EXIT_IRQ_CHECK; r++) {
        Fix *f = fix_new(false);
        ir_emit(f->b, IR_EXIT_TB)->imm = r;
        run_both(f);
        ck_assert_int_eq(f->env[1]->exit_slot, -1);
        ck_assert_uint_eq(f->env[1]->exit_reason, r);
        fix_free(f);
    }
}
END_TEST

/* ---- guest memory ---- */
/* One access at DS:off (or linear when seg is SEG_NONE), then a global write that must not happen if it faults. */
static void mem_case(int store, unsigned sizef, unsigned aux, uint32_t off)
{
    Fix *f = fix_new(true);
    IrBlock *b = f->b;
    fix_set(f, G_ESI, off);
    fix_set(f, G_EDI, rnd());
    ir_mov(b, G_EBX, ir_movi(b, 0x1234));   /* dirty global before the access: visible at a fault */
    int tmp = ir_op2i(b, IR_ADD_I, G_EDI, 1);
    if (store)
        ir_st(b, (int)(sizef & IRM_SIZE_MASK), (int)aux, G_ESI, tmp);
    else
        ir_mov(b, G_EAX, ir_ld(b, (int)sizef, (int)aux, G_ESI));
    ir_mov(b, G_EDX, tmp);
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    run_both(f);
    fix_free(f);
}

START_TEST(test_memory)
{
    static const uint32_t offs[] = { 0x4000, 0x4001, 0x4010, 0x4ffc, 0x4ffd, 0x4ffe, 0x4fff, 0x5000, 0x3fff, 0,
                                     0xfffc, 0xfffd, 0xffff, 0x10000, 0xffffffffu, 0x2000 };
    static const unsigned sizes[] = { 1, 2, 4, 1 | IRM_SIGNED, 2 | IRM_SIGNED };
    static const unsigned auxes[] = {
        SEG_DS | IRM_CHECK, SEG_DS, SEG_SS | IRM_CHECK, SEG_ES | IRM_CHECK, SEG_ES | IRM_CHECK | IRM_RMW,
        SEG_CS | IRM_CHECK, SEG_NONE, SEG_NONE | IRM_USER, SEG_DS | IRM_CHECK | IRM_USER,
    };
    for (unsigned o = 0; o < sizeof(offs) / sizeof(offs[0]); o++)
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
            for (unsigned a = 0; a < sizeof(auxes) / sizeof(auxes[0]); a++)
                for (int st = 0; st < 2; st++) {
                    if (st && (sizes[s] & IRM_SIGNED))
                        continue;
                    uint32_t off = offs[o];
                    if ((auxes[a] & IRM_SEG_MASK) == SEG_NONE)
                        off += PAGE_LIN - 0x4000;   /* the same bytes through a linear address */
                    mem_case(st, sizes[s], auxes[a] & ~(st ? IRM_RMW : 0), off);
                }
}
END_TEST

/* ---- calls ---- */
START_TEST(test_calls)
{
    Fix *f = fix_new(true);
    IrBlock *b = f->b;
    f->env[0]->cr0 = f->env[1]->cr0 = 0;   /* real mode: load_seg sets selector and base */
    f->env[0]->hflags = f->env[1]->hflags = 0;
    fix_set(f, G_EFLAGS, 2);
    f->env[0]->cr2 = f->env[1]->cr2 = 0xdeadb000u;
    ir_mov(b, G_EAX, ir_movi(b, 0x55));      /* dirty global across calls */
    int keep = ir_movi(b, 0x77);             /* local live across calls (spilled or kept in a callee-saved reg) */
    ir_call(b, HELPER_load_seg, ir_movi(b, SEG_ES), ir_movi(b, 0x1234), IR_NONE);
    int d = ir_call(b, HELPER_mov_cr_read, ir_movi(b, 2), IR_NONE, IR_NONE);
    ir_mov(b, G_EBX, d);
    ir_call(b, HELPER_lgdt, ir_movi(b, 0x27), ir_movi(b, 0x00123456u), IR_NONE);
    ir_mov(b, G_ECX, ir_op2(b, IR_ADD, keep, G_EAX));
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    CpuState *env = run_both(f);
    ck_assert_uint_eq(f->env[1]->seg[SEG_ES].base, 0x12340);
    ck_assert_uint_eq(f->env[1]->t[G_EBX], 0xdeadb000u);
    ck_assert_uint_eq(f->env[1]->t[G_ECX], 0xcc);
    (void)env;
    fix_free(f);

    /* a helper that faults (#GP from load_seg with a bad selector in protected mode) after a dirty global */
    f = fix_new(true);
    b = f->b;
    f->env[0]->gdt_limit = f->env[1]->gdt_limit = 0x7;
    ir_mov(b, G_EDX, ir_movi(b, 0x99));
    ir_call(b, HELPER_load_seg, ir_movi(b, SEG_DS), ir_movi(b, 0x1238), IR_NONE);
    ir_mov(b, G_EDX, ir_movi(b, 0x98));
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    run_both(f);
    ck_assert_int_eq(f->env[1]->exc_vector, EXC_GP);
    ck_assert_uint_eq(f->env[1]->t[G_EDX], 0x99);
    fix_free(f);
}
END_TEST

START_TEST(test_raise)
{
    for (int k = 0; k < 2; k++) {
        Fix *f = fix_new(false);
        ir_mov(f->b, G_EAX, ir_movi(f->b, 7));
        IrOp *o = ir_emit(f->b, IR_RAISE);
        o->aux = k ? EXC_UD : EXC_GP;
        o->imm = k ? 0xffffffffu : 0x18;
        run_both(f);
        ck_assert_int_eq(f->env[1]->exc_error, k ? -1 : 0x18);
        ck_assert_uint_eq(f->env[1]->cur_op, 2);
        ck_assert_uint_eq(f->env[1]->t[G_EAX], 7);
        fix_free(f);
    }
}
END_TEST

START_TEST(test_ccflags)
{
    for (int k = 0; k < 500; k++) {
        Fix *f = fix_new(false);
        fix_set(f, G_CC_OP, rnd() % CC_OP_NB);
        fix_set(f, G_CC_DST, rnd_value());
        fix_set(f, G_CC_SRC, (rnd() & 1) ? rnd() & 1 : rnd_value());
        fix_set(f, G_CC_SRC2, rnd_value());
        int d = ir_new_temp(f->b);
        if (k & 1)   /* lazy state written in the block (dirty in registers) */
            ir_mov(f->b, G_CC_DST, ir_op2i(f->b, IR_ADD_I, G_CC_DST, 1));
        ir_emit(f->b, IR_CCFLAGS)->d = (uint16_t)d;
        ir_mov(f->b, G_EAX, d);
        ir_emit(f->b, IR_EXIT_TB)->imm = EXIT_NORMAL;
        run_both(f);
        fix_free(f);
    }
}
END_TEST

START_TEST(test_ldenv_stenv)
{
    Fix *f = fix_new(false);
    IrBlock *b = f->b;
    f->env[0]->cr0 = f->env[1]->cr0 = 0x80000011u;
    f->env[0]->seg[SEG_ES].sel = f->env[1]->seg[SEG_ES].sel = 0xbeef;
    int cr0 = ir_new_temp(b), sel = ir_new_temp(b), lo = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_LDENV);
    o->d = (uint16_t)cr0, o->imm = offsetof(CpuState, cr0), o->sz = 4;
    o = ir_emit(b, IR_LDENV);
    o->d = (uint16_t)sel, o->imm = offsetof(CpuState, seg[SEG_ES].sel), o->sz = 2;
    o = ir_emit(b, IR_LDENV);
    o->d = (uint16_t)lo, o->imm = offsetof(CpuState, cr0) + 1, o->sz = 1;
    int v = ir_movi(b, 0x12345678u), v2 = ir_movi(b, 0xaaaa1234u);
    o = ir_emit(b, IR_STENV);
    o->a = (uint16_t)v, o->imm = offsetof(CpuState, cr2), o->sz = 4;
    o = ir_emit(b, IR_STENV);
    o->a = (uint16_t)v2, o->imm = offsetof(CpuState, seg[SEG_ES].sel), o->sz = 2;
    o = ir_emit(b, IR_STENV);
    o->a = (uint16_t)v2, o->imm = offsetof(CpuState, seg[SEG_DS].sel), o->sz = 1;
    ir_mov(b, G_EAX, cr0);
    ir_mov(b, G_EBX, sel);
    ir_mov(b, G_ECX, lo);
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    run_both(f);
    ck_assert_uint_eq(f->env[1]->t[G_EAX], 0x80000011u);
    ck_assert_uint_eq(f->env[1]->t[G_EBX], 0xbeef);
    ck_assert_uint_eq(f->env[1]->t[G_ECX], 0);
    ck_assert_uint_eq(f->env[1]->seg[SEG_ES].sel, 0x1234);
    ck_assert_uint_eq(f->env[1]->seg[SEG_DS].sel, 0x34);
    ck_assert_uint_eq(f->env[1]->cr2, 0x12345678u);
    fix_free(f);
}
END_TEST

/* The chain cache at a GOTO_TB site follows relinking: A -> A, then A -> B, then A -> A again; and an invalidated
 * destination is never entered. */
START_TEST(test_chain_relink)
{
    Fix *f = fix_new(false), *g = fix_new(false);
    CpuState *env = f->env[1];
    IrBlock *b = f->b;
    int l = ir_new_label(b);
    ir_mov(b, G_EAX, ir_op2i(b, IR_ADD_I, G_EAX, 1));
    ir_mov(b, G_ECX, ir_op2i(b, IR_SUB_I, G_ECX, 1));
    ir_brcondi(b, IRC_EQ, G_ECX, 0, l);
    ir_emit(b, IR_GOTO_TB)->imm = 0;
    ir_set_label(b, l);
    ir_emit(b, IR_GOTO_TB)->imm = 1;
    ir_mov(g->b, G_EBX, ir_op2i(g->b, IR_ADD_I, G_EBX, 1));    /* B: count visits, leave */
    ir_emit(g->b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    TB *ta = &f->tb[1], *tbb = &g->tb[1];
    ta->ops = b->ops, ta->nops = (uint16_t)b->nops, ta->ninsns = 3;
    tbb->ops = g->b->ops, tbb->nops = (uint16_t)g->b->nops, tbb->ninsns = 1;
    tb_cache_init(env);   /* an empty cache: jit_chain_lookup finds nothing there */
    env->chain_icount_limit = ~0ull;
    jit_run_tb(env, tbb);                      /* compile B */
    env->t[G_EBX] = 0;
    for (int round = 0; round < 4; round++) {
        ta->jmp_dest[0] = round == 1 ? tbb : ta;
        tbb->invalid = round == 3;
        if (round == 3)
            ta->jmp_dest[0] = tbb;             /* linked to an invalidated TB: the site must not enter it */
        env->t[G_ECX] = 50;
        env->t[G_EAX] = 0;
        TB *next = jit_run_tb(env, ta);
        uint32_t want_eax = round == 0 || round == 2 ? 50 : 1;
        ck_assert_msg(env->t[G_EAX] == want_eax, "round %d: eax %u", round, env->t[G_EAX]);
        ck_assert_uint_eq(env->t[G_EBX], round >= 1 ? 1 : 0);
        ck_assert_ptr_eq(tb_current(env), round == 1 ? tbb : ta);
        ck_assert_ptr_null(next);
    }
    tb_cache_free(env);
    fix_free(f);
    fix_free(g);
}
END_TEST

/* The fast path of an indirect exit (EXIT_TB EXIT_NORMAL): after a miss, the block the loop runs next becomes the
 * site's hint; the site then jumps straight into it (with the loop's bookkeeping) only while it is what tb_find
 * would return — no TLB flush since, same EIP, CS base, hflags key, CS limit, not invalidated — and the loop would
 * go on. */
enum { IND_A = 0x1000, IND_B = 0x1800 };
typedef enum IndCase { IND_FOLLOW, IND_EIP, IND_HFLAGS, IND_INVALID, IND_CSBASE, IND_BUDGET, IND_REQUEST,
                       IND_TLB_GEN, IND_CS_LIMIT, IND_NCASES } IndCase;

static void ind_set_case(CpuState *env, TB *b, IndCase k, bool on)
{
    switch (k) {
    case IND_EIP:       env->t[G_ECX] = on ? IND_B + 4 : IND_B; break;
    case IND_HFLAGS:    env->hflags = on ? 1u : 0; break;
    case IND_INVALID:   b->invalid = on; break;
    case IND_CSBASE:    env->seg[SEG_CS].base = on ? 0x10 : 0; break;
    case IND_BUDGET:    env->chain_icount_limit = on ? 0 : ~0ull; break;
    case IND_REQUEST:   env->exit_request = on; break;
    case IND_TLB_GEN:   env->tlb_gen += on ? 1 : (uint32_t)-1; break;   /* a TLB flush since the hint was set */
    case IND_CS_LIMIT:  env->seg[SEG_CS].hi = on ? IND_B + 2 : 0xffff; break;
    default: break;
    }
}

START_TEST(test_indirect_fast_path)
{
    Fix *f = fix_new(false), *g = fix_new(false);
    CpuState *env = f->env[1];
    ir_mov(f->b, G_EBX, ir_op2i(f->b, IR_ADD_I, G_EBX, 1));        /* A: ebx++, jmp ecx */
    ir_mov(f->b, G_EIP, G_ECX);
    ir_emit(f->b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    ir_mov(g->b, G_EDX, ir_op2i(g->b, IR_ADD_I, G_EDX, 1));        /* B: edx++, leave (HLT: always to the loop) */
    ir_emit(g->b, IR_EXIT_TB)->imm = EXIT_HALT;
    TB *ta = &f->tb[1], *tbb = &g->tb[1];
    *ta = (TB){ .pc = IND_A, .phys_pc = IND_A, .phys_page2 = ~0u, .size = 4, .ninsns = 2,
                .ops = f->b->ops, .nops = (uint16_t)f->b->nops };
    *tbb = (TB){ .pc = IND_B, .phys_pc = IND_B, .phys_page2 = ~0u, .size = 4, .ninsns = 1,
                 .ops = g->b->ops, .nops = (uint16_t)g->b->nops };
    tb_cache_init(env);   /* an empty cache: jit_chain_lookup finds nothing there */
    env->seg[SEG_CS].hi = 0xffff;
    env->t[G_ECX] = IND_B;
    env->chain_icount_limit = ~0ull;
    jit_run_tb(env, tbb);                   /* compile B */
    jit_run_tb(env, ta);                    /* the site misses: B is not in the (empty) cache, A exits */
    ck_assert_uint_eq(env->exit_reason, EXIT_NORMAL);
    ta->ind_hint = tbb;                     /* what jit_chain_lookup records when it finds B */
    ta->ind_gen = env->tlb_gen;
    for (int k = 0; k < IND_NCASES; k++) {
        ind_set_case(env, tbb, (IndCase)k, true);
        env->t[G_EBX] = env->t[G_EDX] = 0;
        env->icount = 100;
        uint64_t lookups = exec_stats.tb_lookups;
        ck_assert_ptr_null(jit_run_tb(env, ta));
        bool follow = k == IND_FOLLOW;          /* the hint lives in TB memory: the mprotect fallback follows too */
        ck_assert_msg(env->t[G_EDX] == follow && tb_current(env) == (follow ? tbb : ta), "case %d", k);
        ck_assert_uint_eq(env->t[G_EBX], 1);
        ck_assert_uint_eq(env->icount, follow ? 102 : 100);    /* the loop's bookkeeping for A, done in code */
        ck_assert_uint_eq(exec_stats.tb_lookups - lookups, follow);
        ck_assert_uint_eq(env->exit_reason, follow ? EXIT_HALT : EXIT_NORMAL);
        ind_set_case(env, tbb, (IndCase)k, false);
        ck_assert_ptr_eq(ta->ind_hint, tbb);   /* a miss that finds nothing cached keeps the hint */
    }
    tb_cache_free(env);
    fix_free(f);
    fix_free(g);
}
END_TEST

/* LDENV/STENV that address env->t itself see and change the temps the JIT may hold in registers */
START_TEST(test_env_aliases_temps)
{
    Fix *f = fix_new(false);
    IrBlock *b = f->b;
    fix_set(f, G_ECX, 5);
    ir_mov(b, G_ECX, ir_op2i(b, IR_ADD_I, G_ECX, 1));          /* dirty in a register */
    ir_mov(b, G_EAX, ir_movi(b, 0x1111));                      /* a dirty constant */
    int ecx = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_LDENV);                           /* must read 6, not 5 */
    o->d = (uint16_t)ecx, o->imm = offsetof(CpuState, t[G_ECX]), o->sz = 4;
    int v = ir_movi(b, 0x2222);
    o = ir_emit(b, IR_STENV);                                 /* overwrites EAX behind the register cache */
    o->a = (uint16_t)v, o->imm = offsetof(CpuState, t[G_EAX]), o->sz = 2;
    ir_mov(b, G_EDX, ecx);
    ir_mov(b, G_EBX, ir_op2i(b, IR_ADD_I, G_EAX, 1));          /* reads the stored EAX */
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
    run_both(f);
    ck_assert_uint_eq(f->env[1]->t[G_EDX], 6);
    ck_assert_uint_eq(f->env[1]->t[G_EAX], 0x2222);
    ck_assert_uint_eq(f->env[1]->t[G_EBX], 0x2223);
    fix_free(f);
}
END_TEST

/* ---- the code buffer: a small buffer fills up, is reset, and every block still runs correctly ---- */
START_TEST(test_buffer_reset)
{
    jit_set_buffer_limit(16384);
    uint64_t before = jit_buffer_resets();
    Fix *keep = fix_new(false);
    build_random_block(keep->b, true);
    for (int k = 0; k < 60; k++) {
        Fix *f = fix_new(false);
        build_random_block(f->b, true);
        run_both(f);
        fix_free(f);
        run_both(keep);   /* compiled once, then recompiled after each reset (its header epoch is stale) */
    }
    ck_assert_uint_gt(jit_buffer_resets(), before + 2);
    fix_free(keep);
    jit_set_buffer_limit(0);
}
END_TEST

/* ---- W^X: the view code runs from is never writable (issue 4). After blocks are compiled and chain caches
 * patched (test_chaining runs in the same process), /proc/self/maps must show the executing view r-x and, with the
 * double mapping, the same memfd mapped rw- elsewhere; a write through the executing view must fault. ---- */
static bool maps_perms_of(uintptr_t addr, char perms[5], char *name, size_t name_len)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char p[5] = "", path[256] = "";
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255[^\n]", &lo, &hi, p, path) >= 3 && addr >= lo && addr < hi) {
            memcpy(perms, p, 5);
            snprintf(name, name_len, "%s", path);
            found = true;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static void wx_segv_exit(int sig)
{
    _exit(42);
}

/* A store through the executing view must fault. The child installs its own SIGSEGV handler so the result is the
 * same with and without AddressSanitizer (whose own handler would turn the fault into exit status 1). */
START_TEST(test_wx_write_faults)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct sigaction sa = { .sa_handler = wx_segv_exit };
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        volatile uint8_t *x = (volatile uint8_t *)jit_exec_view(NULL);
        x[0] = x[0];
        _exit(0);   /* the write went through: W^X is broken */
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 42, "a store through the RX view did not fault");
}
END_TEST

START_TEST(test_wx_views)
{
    Fix *f = fix_new(false);
    build_random_block(f->b, true);
    run_both(f);                        /* at least one block compiled */
    bool dual = false;
    const uint8_t *x = jit_exec_view(&dual);
    ck_assert_ptr_nonnull(x);
    char perms[5], name[256];
    ck_assert(maps_perms_of((uintptr_t)x, perms, name, sizeof(name)));
    ck_assert_msg(perms[0] == 'r' && perms[1] == '-' && perms[2] == 'x', "executing view is %s", perms);
    const char *no_memfd = getenv("PCJIT_JIT_NO_MEMFD");
    if (no_memfd && *no_memfd == '1') {     /* the mprotect fallback: one view, executable between compilations */
        ck_assert(!dual);
        fix_free(f);
        return;
    }
    ck_assert_msg(dual, "memfd double mapping expected on Linux");
    ck_assert_msg(strstr(name, "pcjit-code") != NULL, "executing view maps %s", name);
    /* the writable twin: another mapping of the same memfd, rw- and not executable */
    FILE *m = fopen("/proc/self/maps", "r");
    char line[512];
    int rw_twins = 0;
    while (m && fgets(line, sizeof(line), m))
        if (strstr(line, "pcjit-code") && strstr(line, " rw-") && (uintptr_t)strtoul(line, NULL, 16) != (uintptr_t)x)
            rw_twins++;
    if (m)
        fclose(m);
    ck_assert_int_eq(rw_twins, 1);
    fix_free(f);
}
END_TEST

/* ---- throughput: test_interp's integer-loop block (add/xor/inc/lea/dec/jnz with lazy flags), chained to itself */
static void bench_build(IrBlock *b)
{
    static const uint32_t eips[] = { 0x1000, 0x1002, 0x1004, 0x1005, 0x1008, 0x1009 };
    int t, l;
#define INSN(n) (b->insn_op[b->ninsns] = (uint16_t)b->nops, b->insn_eip[b->ninsns] = eips[n], \
                 b->insn_ccop[b->ninsns++] = CC_OP_DYNAMIC)
#define SETCC4(op, dst, src, src2) (ir_mov(b, G_CC_DST, dst), ir_mov(b, G_CC_SRC, src), \
                                    ir_mov(b, G_CC_SRC2, src2), ir_mov(b, G_CC_OP, ir_movi(b, op)))
    INSN(0);
    t = ir_op2(b, IR_ADD, G_EAX, G_ECX);
    SETCC4(CC_OP_ADDL, t, G_ECX, G_EAX);
    ir_mov(b, G_EAX, t);
    INSN(1);
    t = ir_op2(b, IR_XOR, G_EBX, G_EAX);
    ir_mov(b, G_EBX, t);
    SETCC4(CC_OP_LOGICL, t, ir_movi(b, 0), ir_movi(b, 0));
    INSN(2);
    int cf = ir_movi(b, 0);
    t = ir_op2i(b, IR_ADD_I, G_ESI, 1);
    ir_mov(b, G_ESI, t);
    SETCC4(CC_OP_INCL, t, cf, ir_movi(b, 0));
    INSN(3);
    ir_mov(b, G_EDI, ir_op2i(b, IR_ADD_I, G_EDI, 4));
    INSN(4);
    cf = ir_op1(b, IR_MOV, G_CC_SRC);
    t = ir_op2i(b, IR_SUB_I, G_ECX, 1);
    ir_mov(b, G_ECX, t);
    SETCC4(CC_OP_DECL, t, cf, ir_movi(b, 0));
    INSN(5);
    l = ir_new_label(b);
    ir_brcondi(b, IRC_EQ, G_CC_DST, 0, l);
    ir_mov(b, G_EIP, ir_movi(b, 0x1000));
    ir_emit(b, IR_GOTO_TB)->imm = 0;
    ir_set_label(b, l);
    ir_mov(b, G_EIP, ir_movi(b, 0x100b));
    ir_emit(b, IR_GOTO_TB)->imm = 1;
#undef INSN
#undef SETCC4
}

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

START_TEST(test_bench_loop)
{
    const char *s = getenv("PCJIT_BENCH_ITERS");
    uint32_t iters = s ? (uint32_t)strtoul(s, NULL, 0) : 5000000u;
    Fix *f = fix_new(false);
    bench_build(f->b);
    ir_optimize(f->b);
    double mips[3];
    /* engine 0: interpreter, 1: JIT returning after every block, 2: JIT following the chain in generated code */
    for (int e = 0; e < 3; e++) {
        CpuState *env = f->env[e ? 1 : 0];
        TB *tb0 = &f->tb[e ? 1 : 0];
        memset(env->t, 0, sizeof(uint32_t) * IR_NUM_GLOBALS);
        tb0->ops = f->b->ops;
        tb0->nops = (uint16_t)f->b->nops;
        tb0->ninsns = 6;
        tb0->jmp_dest[0] = tb0;
        env->t[G_ECX] = iters;
        env->t[G_CC_OP] = CC_OP_EFLAGS;
        env->icount = 0;
        env->tbs = NULL;
        if (e == 2)
            tb_cache_init(env);
        env->chain_icount_limit = e == 2 ? ~0ull : 0;
        double c0 = cpu_seconds();
        uint64_t runs = 0;
        for (TB *tb = tb0; tb; runs++)
            tb = e ? jit_run_tb(env, tb) : interp_run_tb(env, tb);
        double c1 = cpu_seconds();
        if (e == 1 && getenv("PCJIT_BENCH_LIST"))
            jit_disas_tb(stdout, tb0);
        if (e == 2) {
            ck_assert_uint_eq(runs, 1);
            ck_assert_ptr_eq(tb_current(env), tb0);
            runs = env->icount / 6 + 1;   /* generated code counted every chained block but the last */
        }
        tb_cache_free(env);
        mips[e] = (double)runs * 6 / (c1 - c0) / 1e6;
        ck_assert_uint_eq(runs, iters);
        ck_assert_uint_eq(env->t[G_EAX], (uint32_t)((uint64_t)iters * (iters + 1) / 2));
        ck_assert_uint_eq(env->t[G_EDI], iters * 4);
        ck_assert_uint_eq(env->t[G_EIP], 0x100b);
    }
    printf("bench: integer loop block, guest MIPS per CPU second: interp %.1f, jit (back to the caller after each "
           "block) %.1f, jit (chained in generated code) %.1f (x%.1f the interpreter)\n", mips[0], mips[1], mips[2],
           mips[2] / mips[0]);
    fix_free(f);
}
END_TEST

/* Chaining inside generated code: A -> B -> A ... with the exec loop's bookkeeping, the budget, requests. */
START_TEST(test_chaining)
{
    for (int k = 0; k < 4; k++) {
        Fix *f = fix_new(false);
        IrBlock *b = f->b;
            CpuState *env = f->env[1];
        /* ecx counts down; each run adds 1 to eax; slot 0 loops while ecx != 0, slot 1 leaves */
        int l = ir_new_label(b);
        ir_mov(b, G_EAX, ir_op2i(b, IR_ADD_I, G_EAX, 1));
        ir_mov(b, G_ECX, ir_op2i(b, IR_SUB_I, G_ECX, 1));
        ir_brcondi(b, IRC_EQ, G_ECX, 0, l);
        ir_emit(b, IR_GOTO_TB)->imm = 0;
        ir_set_label(b, l);
        ir_emit(b, IR_GOTO_TB)->imm = 1;
        TB *t = &f->tb[1], other = { 0 };
        t->ops = b->ops;
        t->nops = (uint16_t)b->nops;
        t->ninsns = 3;
        t->jmp_dest[0] = t;
        t->jmp_dest[1] = k == 3 ? &other : NULL;
        tb_cache_init(env);   /* an empty cache: jit_chain_lookup finds nothing there */
        env->t[G_ECX] = 100;
        env->icount = 1000;
        env->chain_icount_limit = k == 1 ? 1000 + 3 * 10 : ~0ull;   /* k = 1: budget for 10 chained blocks */
        env->exit_request = k == 2;                                 /* k = 2: a request stops at the first exit */
        uint64_t insns0 = exec_stats.insns;
        TB *next = jit_run_tb(env, t);
        uint32_t runs = k == 1 ? 10 : k == 2 ? 1 : 100;
        ck_assert_uint_eq(env->t[G_EAX], runs);
        ck_assert_uint_eq(env->icount, 1000 + 3 * (runs - 1));
        ck_assert_uint_eq(exec_stats.insns - insns0, 3 * (runs - 1));
        ck_assert_ptr_eq(tb_current(env), t);
        ck_assert_int_eq(env->exit_slot, runs == 100 ? 1 : 0);
        ck_assert_ptr_eq(next, k == 3 ? &other : runs == 100 ? NULL : t);
        tb_cache_free(env);
        fix_free(f);
    }
}
END_TEST

/* jit_chain_lookup through the whole machine: a loop whose blocks jump across pages (never chained: the loop links
 * only within a page) and return through RET (a dynamic exit) runs in generated code without leaving to the exec
 * loop once every block is translated; the answer is the interpreter's. */
START_TEST(test_cross_page_lookup)
{
    /* 0x10000: loop: call 0x11000; dec ecx; jnz loop; hlt      0x11000: add eax, ecx; jmp 0x12000
     * 0x12000: add ebx, 2; ret */
    static const uint8_t p0[] = { 0xe8, 0xfb, 0x0f, 0x00, 0x00, 0x49, 0x75, 0xf8, 0xf4 };
    static const uint8_t p1[] = { 0x01, 0xc8, 0xe9, 0xf9, 0x0f, 0x00, 0x00 };
    static const uint8_t p2[] = { 0x83, 0xc3, 0x02, 0xc3 };
    uint32_t want_eax = 0;
    for (const char *accel = "interp"; accel; accel = strcmp(accel, "interp") == 0 ? "jit" : NULL) {
        Harness *h = harness_new(2);
        ck_assert(harness_set_accel(h, accel));
        harness_flat32(h, 0x500);
        harness_write(h, 0x10000, p0, sizeof(p0));
        harness_write(h, 0x11000, p1, sizeof(p1));
        harness_write(h, 0x12000, p2, sizeof(p2));
        harness_set_reg(h, G_EIP, 0x10000);
        harness_set_reg(h, G_ESP, 0x9000);
        harness_set_reg(h, G_ECX, 100000);
        ExecStats before = exec_stats;
        ck_assert_int_eq(harness_run(h, 10000000), STOP_HALT);
        uint64_t lookups = exec_stats.chain_lookups - before.chain_lookups;
        uint64_t exits = exec_stats.exit_unlinked - before.exit_unlinked + exec_stats.exit_tb[EXIT_NORMAL] -
                         before.exit_tb[EXIT_NORMAL];
        ck_assert_uint_eq(harness_reg(h, G_EBX), 200000);
        if (strcmp(accel, "interp") == 0)
            want_eax = harness_reg(h, G_EAX);
        else {
            ck_assert_uint_eq(harness_reg(h, G_EAX), want_eax);
            ck_assert_msg(exits < 50, "%llu exits to the loop for 400000 cross-page transitions",
                          (unsigned long long)exits);
            /* the cross-page caches and the return's hint serve all but the first few in code */
            ck_assert_msg(lookups < 50, "%llu lookups in C for 400000 cross-page transitions",
                          (unsigned long long)lookups);
        }
        harness_free(h);
    }
}
END_TEST

int main(void)
{
    if (!jit_available()) {
        printf("test_jit: no JIT backend for this host, skipped\n");
        return 77;
    }
    Suite *s = suite_create("jit");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_each_op_edges, 0, N_ALU_OPS);
    tcase_add_test(tc, test_random_blocks);
    tcase_add_test(tc, test_conditions);
    tcase_add_test(tc, test_conditions_imm);
    tcase_add_test(tc, test_loop_backward_branch);
    tcase_add_test(tc, test_exits);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_calls);
    tcase_add_test(tc, test_raise);
    tcase_add_test(tc, test_ccflags);
    tcase_add_test(tc, test_ldenv_stenv);
    tcase_add_test(tc, test_env_aliases_temps);
    tcase_add_test(tc, test_buffer_reset);
    tcase_add_test(tc, test_wx_views);
    tcase_add_test(tc, test_wx_write_faults);
    tcase_add_test(tc, test_chaining);
    tcase_add_test(tc, test_chain_relink);
    tcase_add_test(tc, test_indirect_fast_path);
    tcase_add_test(tc, test_cross_page_lookup);
    tcase_add_test(tc, test_bench_loop);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
