/* test_ir.c — the IR machinery: the builder (ir.c: fields, helper results, overflow never writes out of bounds),
 * the op table, the optimiser (ir_opt.c: constant folding cases, branch folding, flag liveness that drops lazy-flag
 * writes nobody reads but keeps them before a fault point, a helper call that reads globals or an exit, copy
 * coalescing, instruction map after deletion, branch targets) and the listing (ir_print.c: exact text).
 * A randomized differential test runs random blocks before and after ir_optimize in the interpreter and compares
 * every global, so "the optimiser preserves semantics" is checked beyond the hand-written cases.
 * Weak stand-ins for runtime functions owned by other files are defined as in test_interp.c. */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exec.h"
#include "helpers.h"
#include "mmu.h"

/* ---- weak stand-ins (only used while the real runtime files are absent) ---- */
__attribute__((weak)) ExecStats exec_stats;
__attribute__((weak, noreturn)) void cpu_raise_exception(CpuState *env, int vector, int error)
{
    env->exc_vector = vector;
    env->exc_error = error;
    longjmp(env->jmp_env, 1);
}
__attribute__((weak)) void seg_check_access(CpuState *env, int seg, uint32_t off, int size, bool write)
{
    cpu_raise_exception(env, EXC_GP, 0);
}
__attribute__((weak)) uint32_t mmu_ld_lin(CpuState *env, uint32_t lin, int size, int mmu_idx)
{
    cpu_raise_exception(env, EXC_PF, 0);
}
__attribute__((weak)) void mmu_st_lin(CpuState *env, uint32_t lin, uint32_t val, int size, int mmu_idx)
{
    cpu_raise_exception(env, EXC_PF, 0);
}
__attribute__((weak)) uint32_t cc_compute_flags(uint32_t op, uint32_t dst, uint32_t src, uint32_t src2)
{
    return op == CC_OP_EFLAGS ? src & F_ARITH : 0;
}

static IrBlock *blk_new(void)
{
    IrBlock *b = calloc(1, sizeof(IrBlock));
    ck_assert_ptr_nonnull(b);
    ir_init(b);
    return b;
}

/* Record the start of a guest instruction at the current op (as the translator does). */
static void insn_begin(IrBlock *b, uint32_t eip)
{
    b->insn_op[b->ninsns] = (uint16_t)b->nops;
    b->insn_eip[b->ninsns] = eip;
    b->insn_ccop[b->ninsns++] = CC_OP_DYNAMIC;
}

static void emit_exit(IrBlock *b)
{
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_NORMAL;
}

/* How many ops with this opcode (and, if d != IR_NONE, this output) the block has. */
static int count_ops(const IrBlock *b, int op, int d)
{
    int n = 0;
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].op == op && (d == IR_NONE || b->ops[i].d == d))
            n++;
    return n;
}

static int count_writes(const IrBlock *b, int d)
{
    int n = 0;
    for (int i = 0; i < b->nops; i++)
        if (ir_op_info[b->ops[i].op].nout >= 1 && b->ops[i].d == d)
            n++;
    return n;
}

/* ---- builder ---- */
START_TEST(test_builder_fields)
{
    IrBlock *b = blk_new();
    ck_assert_int_eq(b->nops, 0);
    ck_assert_int_eq(b->ntemps, IR_NUM_GLOBALS);
    int t = ir_movi(b, 0x1234);
    ck_assert_int_eq(t, IR_NUM_GLOBALS);
    ck_assert_uint_eq(b->ops[0].op, IR_MOVI);
    ck_assert_uint_eq(b->ops[0].imm, 0x1234);
    ck_assert_uint_eq(b->ops[0].a, IR_NONE);
    int s = ir_op2(b, IR_ADD, G_EAX, t);
    ck_assert_int_eq(s, t + 1);
    ck_assert(b->ops[1].op == IR_ADD && b->ops[1].d == s && b->ops[1].a == G_EAX && b->ops[1].b == t);
    ck_assert_uint_eq(b->ops[1].c, IR_NONE);
    int u = ir_op2i(b, IR_SHL_I, s, 3);
    ck_assert(b->ops[2].op == IR_SHL_I && b->ops[2].d == u && b->ops[2].a == s && b->ops[2].imm == 3);
    int l = ir_new_label(b);
    ir_brcondi(b, IRC_LTU, u, 10, l);
    ck_assert(b->ops[3].op == IR_BRCOND_I && b->ops[3].sz == IRC_LTU && b->ops[3].aux == l);
    int v = ir_ld(b, 2 | IRM_SIGNED, SEG_SS | IRM_CHECK, u);
    ck_assert(b->ops[4].op == IR_LD && b->ops[4].d == v && b->ops[4].a == u && b->ops[4].sz == (2 | IRM_SIGNED));
    ck_assert_uint_eq(b->ops[4].aux, SEG_SS | IRM_CHECK);
    ir_st(b, 4, SEG_DS, u, v);
    ck_assert(b->ops[5].op == IR_ST && b->ops[5].a == u && b->ops[5].b == v && b->ops[5].d == IR_NONE);
    ir_set_label(b, l);
    ck_assert(b->ops[6].op == IR_LABEL && b->ops[6].aux == l);
    ck_assert(!b->overflow);
    free(b);
}
END_TEST

START_TEST(test_builder_call)
{
    IrBlock *b = blk_new();
    int d = ir_call(b, HELPER_load_seg, G_EAX, G_ECX, IR_NONE);
    ck_assert_int_eq(d, IR_NONE);                      /* void helper */
    ck_assert_uint_eq(b->ops[0].d, IR_NONE);
    ck_assert_uint_eq(b->ops[0].imm, HELPER_load_seg);
    ck_assert_int_eq(b->ntemps, IR_NUM_GLOBALS);       /* no temp wasted */
    d = ir_call(b, HELPER_mov_cr_read, G_EAX, IR_NONE, IR_NONE);
    ck_assert_int_eq(d, IR_NUM_GLOBALS);               /* u32 helper: a fresh temp */
    ck_assert_uint_eq(b->ops[1].d, d);
    ck_assert_uint_eq(b->ops[1].a, G_EAX);
    free(b);
}
END_TEST

START_TEST(test_builder_overflow)
{
    IrBlock *b = blk_new();
    for (int i = 0; i < TB_MAX_OPS + 100; i++)
        ir_mov(b, G_EAX, G_ECX);
    ck_assert(b->overflow);
    ck_assert_int_lt(b->nops, TB_MAX_OPS);
    ck_assert_int_ge(b->nops, TB_MAX_OPS - 2);
    free(b);

    b = blk_new();
    int last = 0;
    for (int i = 0; i < IR_MAX_TEMPS + 100; i++)
        last = ir_new_temp(b);
    ck_assert(b->overflow);
    ck_assert_int_lt(last, IR_MAX_TEMPS);
    ck_assert_int_le(b->ntemps, IR_MAX_TEMPS);
    /* ops that take temps keep working (into scratch) without writing out of bounds */
    int d = ir_op2(b, IR_ADD, G_EAX, G_EBX);
    ck_assert_int_lt(d, IR_MAX_TEMPS);
    free(b);
}
END_TEST

START_TEST(test_op_table)
{
    for (int i = 0; i < IR_NUM_OPS; i++) {
        ck_assert_ptr_nonnull(ir_op_info[i].name);
        ck_assert_int_le(ir_op_info[i].nin, 3);
        ck_assert_int_le(ir_op_info[i].nout, 2);
    }
    ck_assert_str_eq(ir_op_info[IR_ADD_I].name, "ADD_I");
    ck_assert_int_eq(ir_op_info[IR_MULU2].nout, 2);
    ck_assert_int_eq(ir_op_info[IR_SELECT].nin, 3);
    ck_assert_int_eq(ir_op_info[IR_ST].flags, IRF_SIDE | IRF_FAULT);
    ck_assert(ir_op_info[IR_LD].flags & IRF_FAULT);
    ck_assert(ir_op_info[IR_GOTO_TB].flags & IRF_BB);
}
END_TEST

/* ---- optimiser: folding ---- */
START_TEST(test_fold_constants)
{
    IrBlock *b = blk_new();
    int a = ir_movi(b, 2), c = ir_movi(b, 3);
    int s = ir_op2(b, IR_ADD, a, c);            /* 5 */
    int m = ir_op2(b, IR_MUL, s, s);            /* 25 */
    int x = ir_op1(b, IR_NOT, m);               /* ~25 */
    int y = ir_op2i(b, IR_SHR_I, x, 28);        /* 0xf */
    int z = ir_op1(b, IR_MOV, y);               /* copy */
    ir_mov(b, G_EAX, z);
    int sc = ir_op2(b, IR_SETCC, a, c);
    b->ops[b->nops - 1].sz = IRC_LT;            /* 2 < 3 */
    ir_mov(b, G_EBX, sc);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(b->nops, 3);
    ck_assert(b->ops[0].op == IR_MOVI && b->ops[0].d == G_EAX && b->ops[0].imm == 0xf);
    ck_assert(b->ops[1].op == IR_MOVI && b->ops[1].d == G_EBX && b->ops[1].imm == 1);
    free(b);
}
END_TEST

START_TEST(test_fold_identities)
{
    /* eax = op(ecx, const or imm); b_is indexes the constants 0, 1, ~0 (-1: the _I form's imm) */
    struct { int op; int b_is; uint32_t imm; int want_op; } cases[] = {
        { IR_ADD_I, -1, 0, IR_MOV }, { IR_SUB_I, -1, 0, IR_MOV }, { IR_OR_I, -1, 0, IR_MOV },
        { IR_XOR_I, -1, 0, IR_MOV }, { IR_SHL_I, -1, 32, IR_MOV }, { IR_ROR_I, -1, 0, IR_MOV },
        { IR_AND_I, -1, 0xffffffffu, IR_MOV }, { IR_AND_I, -1, 0, IR_MOVI }, { IR_OR_I, -1, 0xffffffffu, IR_MOVI },
        { IR_MUL, 1, 0, IR_MOV }, { IR_MUL, 0, 0, IR_MOVI },
        { IR_ADD, 0, 0, IR_MOV }, { IR_AND, 2, 0, IR_MOV }, { IR_SHL, 0, 0, IR_MOV },
        { IR_ADD_I, -1, 5, IR_ADD_I },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        IrBlock *bl = blk_new();
        int consts[3] = { ir_movi(bl, 0), ir_movi(bl, 1), ir_movi(bl, 0xffffffffu) };
        int t = ir_new_temp(bl);
        IrOp *o = ir_emit(bl, cases[i].op);
        o->d = (uint16_t)t, o->a = G_ECX, o->imm = cases[i].imm;
        if (cases[i].b_is >= 0)
            o->b = (uint16_t)consts[cases[i].b_is];
        ir_mov(bl, G_EAX, t);
        emit_exit(bl);
        ir_optimize(bl);
        ck_assert_msg(bl->nops == 2 && bl->ops[0].d == G_EAX && bl->ops[0].op == cases[i].want_op,
                      "case %u: %s -> %d ops, first %s", i, ir_op_info[cases[i].op].name, bl->nops,
                      ir_op_info[bl->ops[0].op].name);
        if (cases[i].want_op == IR_MOV)
            ck_assert_uint_eq(bl->ops[0].a, G_ECX);
        free(bl);
    }
}
END_TEST

START_TEST(test_fold_to_imm_forms)
{
    IrBlock *b = blk_new();
    int k = ir_movi(b, 7);
    int s1 = ir_op2(b, IR_SUB, G_ECX, k);       /* -> sub_i ecx, 7 */
    int s2 = ir_op2(b, IR_ADD, k, G_EDX);       /* commutative: -> add_i edx, 7 */
    int s3 = ir_op2(b, IR_SETCC, k, G_EBX);     /* 7 <u ebx  ->  ebx >u 7 */
    b->ops[b->nops - 1].sz = IRC_LTU;
    int s4 = ir_op2(b, IR_SHL, G_ESI, k);
    ir_mov(b, G_EAX, s1), ir_mov(b, G_ECX, s2), ir_mov(b, G_EDX, s3), ir_mov(b, G_ESI, s4);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(b->nops, 9);               /* 4 ops, 4 moves (not adjacent: no coalescing), exit */
    ck_assert(b->ops[0].op == IR_SUB_I && b->ops[0].a == G_ECX && b->ops[0].imm == 7);
    ck_assert(b->ops[1].op == IR_ADD_I && b->ops[1].a == G_EDX && b->ops[1].imm == 7);
    ck_assert(b->ops[2].op == IR_SETCC_I && b->ops[2].a == G_EBX && b->ops[2].sz == IRC_GTU);
    ck_assert(b->ops[3].op == IR_SHL_I && b->ops[3].imm == 7);
    free(b);
}
END_TEST

START_TEST(test_fold_branches)
{
    IrBlock *b = blk_new();
    int k = ir_movi(b, 5);
    int l1 = ir_new_label(b), l2 = ir_new_label(b);
    ir_brcondi(b, IRC_EQ, k, 6, l1);            /* never taken: removed */
    ir_brcondi(b, IRC_GTU, k, 4, l2);           /* always taken: br */
    ir_mov(b, G_EAX, ir_movi(b, 1));
    ir_set_label(b, l1);
    ir_mov(b, G_EAX, ir_movi(b, 2));
    ir_set_label(b, l2);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(count_ops(b, IR_BRCOND_I, IR_NONE), 0);
    ck_assert_int_eq(count_ops(b, IR_BR, IR_NONE), 1);
    ck_assert_uint_eq(b->ops[0].op, IR_BR);
    ck_assert_uint_eq(b->ops[0].aux, l2);
    /* the branch carries its label's op index */
    ck_assert_uint_lt(b->ops[0].c, b->nops);
    ck_assert_uint_eq(b->ops[b->ops[0].c].op, IR_LABEL);
    ck_assert_uint_eq(b->ops[b->ops[0].c].aux, l2);
    free(b);
}
END_TEST

START_TEST(test_label_stops_propagation)
{
    /* eax = 1; if (ecx == 0) goto L; eax = 2; L: ebx = eax + 1  -- ebx must not fold to a constant */
    IrBlock *b = blk_new();
    int l = ir_new_label(b);
    ir_mov(b, G_EAX, ir_movi(b, 1));
    ir_brcondi(b, IRC_EQ, G_ECX, 0, l);
    ir_mov(b, G_EAX, ir_movi(b, 2));
    ir_set_label(b, l);
    ir_mov(b, G_EBX, ir_op2i(b, IR_ADD_I, G_EAX, 1));
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(count_ops(b, IR_ADD_I, G_EBX), 1);
    free(b);
}
END_TEST

/* ---- optimiser: flag liveness ---- */
/* Two ADD-like guest instructions each writing all four cc globals; `between` emits something in between. */
static IrBlock *two_flag_writers(void (*between)(IrBlock *))
{
    IrBlock *b = blk_new();
    insn_begin(b, 0x1000);
    int t = ir_op2(b, IR_ADD, G_EAX, G_ECX);
    ir_mov(b, G_CC_DST, t), ir_mov(b, G_CC_SRC, G_ECX), ir_mov(b, G_CC_SRC2, G_EAX);
    ir_mov(b, G_CC_OP, ir_movi(b, CC_OP_ADDL));
    ir_mov(b, G_EAX, t);
    insn_begin(b, 0x1002);
    if (between)
        between(b);
    insn_begin(b, 0x1004);
    t = ir_op2(b, IR_SUB, G_EDX, G_EBX);
    ir_mov(b, G_CC_DST, t), ir_mov(b, G_CC_SRC, G_EBX), ir_mov(b, G_CC_SRC2, G_EDX);
    ir_mov(b, G_CC_OP, ir_movi(b, CC_OP_SUBL));
    ir_mov(b, G_EDX, t);
    insn_begin(b, 0x1006);
    ir_mov(b, G_EIP, ir_movi(b, 0x1008));
    emit_exit(b);
    return b;
}

static void between_nothing(IrBlock *b) { ir_mov(b, G_ESI, G_EDI); }
static void between_load(IrBlock *b) { ir_mov(b, G_ESI, ir_ld(b, 4, SEG_DS, G_EDI)); }
static void between_store(IrBlock *b) { ir_st(b, 4, SEG_DS, G_EDI, G_ESI); }
static void between_ccflags(IrBlock *b) { ir_mov(b, G_ESI, ir_op2i(b, IR_AND_I, ir_op1(b, IR_CCFLAGS, 0), 1)); }
static void between_rw_call(IrBlock *b) { ir_call(b, HELPER_cpuid, IR_NONE, IR_NONE, IR_NONE); }
static void between_pure_call(IrBlock *b)
{
    ir_mov(b, G_ESI, ir_call(b, HELPER_rotc, G_ESI, G_EDI, G_EBP));   /* HLP_NO_FAULT | HLP_PURE */
}
static void between_faulting_call(IrBlock *b) { ir_call(b, HELPER_out, G_EDX, G_EAX, G_EBX); }
static void between_raise_branch(IrBlock *b)
{
    int l = ir_new_label(b);
    ir_brcondi(b, IRC_NE, G_ESI, 0, l);
    IrOp *o = ir_emit(b, IR_RAISE);
    o->aux = EXC_DE, o->imm = 0xffffffffu;
    ir_set_label(b, l);
}

START_TEST(test_liveness_drops_dead_flags)
{
    IrBlock *b = two_flag_writers(between_nothing);
    ir_optimize(b);
    /* the first instruction's four cc writes are overwritten before any read, fault or exit */
    ck_assert_int_eq(count_writes(b, G_CC_DST), 1);
    ck_assert_int_eq(count_writes(b, G_CC_SRC), 1);
    ck_assert_int_eq(count_writes(b, G_CC_SRC2), 1);
    ck_assert_int_eq(count_writes(b, G_CC_OP), 1);
    ck_assert_int_eq(count_writes(b, G_EAX), 1);    /* eax itself stays */
    /* the surviving cc_op write is the SUB's (live at the exit) */
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].d == G_CC_OP)
            ck_assert_uint_eq(b->ops[i].imm, CC_OP_SUBL);
    free(b);
}
END_TEST

START_TEST(test_liveness_keeps_flags_at_fault_points)
{
    void (*keep[])(IrBlock *) = { between_load, between_store, between_ccflags, between_rw_call,
                                  between_faulting_call, between_raise_branch };
    for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        IrBlock *b = two_flag_writers(keep[i]);
        ir_optimize(b);
        ck_assert_msg(count_writes(b, G_CC_DST) == 2 && count_writes(b, G_CC_OP) == 2,
                      "case %u: cc writes before a fault point / reader were dropped", i);
        free(b);
    }
    /* a helper that cannot fault and does not touch globals does not keep them */
    IrBlock *b = two_flag_writers(between_pure_call);
    ir_optimize(b);
    ck_assert_int_eq(count_writes(b, G_CC_DST), 1);
    ck_assert_int_eq(count_ops(b, IR_CALL, IR_NONE), 1);   /* its result is used: the call stays */
    free(b);
}
END_TEST

START_TEST(test_dead_load_is_kept)
{
    IrBlock *b = blk_new();
    ir_ld(b, 4, SEG_DS | IRM_CHECK, G_EBX);     /* result unused: must still fault if the address is bad */
    ir_op2(b, IR_ADD, G_EAX, G_EBX);            /* unused pure op: removed */
    ir_call(b, HELPER_rotc, G_EAX, G_EBX, G_ECX);   /* unused pure helper: removed */
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(b->nops, 2);
    ck_assert_uint_eq(b->ops[0].op, IR_LD);
    free(b);
}
END_TEST

START_TEST(test_insn_map_after_deletion)
{
    IrBlock *b = two_flag_writers(between_nothing);
    ir_optimize(b);
    /* every instruction start is a valid op index, in order, and the last instruction starts at the eip write */
    for (int k = 0; k < b->ninsns; k++) {
        ck_assert_int_le(b->insn_op[k], b->nops);
        if (k)
            ck_assert_int_ge(b->insn_op[k], b->insn_op[k - 1]);
    }
    ck_assert_uint_eq(b->ops[b->insn_op[3]].d, G_EIP);
    ck_assert_uint_eq(b->ops[b->insn_op[1]].op, IR_MOV);   /* esi = edi */
    ck_assert_uint_eq(b->ops[b->insn_op[1]].d, G_ESI);
    free(b);
}
END_TEST

START_TEST(test_coalesce)
{
    IrBlock *b = blk_new();
    insn_begin(b, 0x1000);
    int t = ir_op2(b, IR_ADD, G_EAX, G_ECX);
    ir_mov(b, G_EAX, t);
    insn_begin(b, 0x1002);
    int u = ir_op2(b, IR_XOR, G_EBX, G_EDX);
    ir_mov(b, G_EBX, u);
    ir_mov(b, G_CC_DST, u);                     /* a later read of u becomes a read of ebx */
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(b->nops, 4);
    ck_assert(b->ops[0].op == IR_ADD && b->ops[0].d == G_EAX && b->ops[0].a == G_EAX && b->ops[0].b == G_ECX);
    ck_assert(b->ops[1].op == IR_XOR && b->ops[1].d == G_EBX);
    ck_assert(b->ops[2].op == IR_MOV && b->ops[2].d == G_CC_DST && b->ops[2].a == G_EBX);
    free(b);

    /* ebx changes before the later read: u must stay a temp */
    b = blk_new();
    u = ir_op2(b, IR_XOR, G_EBX, G_EDX);
    ir_mov(b, G_EBX, u);
    ir_mov(b, G_ESI, G_EBX);                    /* keeps the first ebx write alive */
    ir_mov(b, G_EBX, G_ECX);
    ir_mov(b, G_CC_DST, u);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_uint_eq(b->ops[0].d, u);
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].d == G_CC_DST)
            ck_assert_uint_eq(b->ops[i].a, u);
    free(b);

    /* a label between: paths join, no renaming across it */
    b = blk_new();
    int l = ir_new_label(b);
    u = ir_op2(b, IR_XOR, G_EBX, G_EDX);
    ir_mov(b, G_EBX, u);
    ir_brcondi(b, IRC_EQ, G_ESI, 0, l);
    ir_mov(b, G_EBX, G_ECX);
    ir_set_label(b, l);
    ir_mov(b, G_CC_DST, u);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_uint_eq(b->ops[0].d, u);
    free(b);
}
END_TEST

START_TEST(test_copy_propagation)
{
    /* t = mov esi; u = ld [t]; eax = mov u   ->   ld32 eax, [esi] */
    IrBlock *b = blk_new();
    int t = ir_op1(b, IR_MOV, G_ESI);
    ir_mov(b, G_EAX, ir_ld(b, 4, SEG_NONE, t));
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(b->nops, 2);
    ck_assert(b->ops[0].op == IR_LD && b->ops[0].a == G_ESI && b->ops[0].d == G_EAX);
    free(b);

    /* the source changes before the use: the copy must stay (t holds the old eax) */
    b = blk_new();
    t = ir_op1(b, IR_MOV, G_EAX);
    ir_mov(b, G_EAX, G_ECX);
    ir_mov(b, G_EBX, t);
    emit_exit(b);
    ir_optimize(b);
    ck_assert_int_eq(count_writes(b, G_EBX), 1);
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].d == G_EBX)
            ck_assert_uint_ne(b->ops[i].a, G_EAX);
    free(b);

    /* a helper that may write every global invalidates copies of globals */
    b = blk_new();
    t = ir_op1(b, IR_MOV, G_EAX);
    ir_call(b, HELPER_cpuid, IR_NONE, IR_NONE, IR_NONE);
    ir_mov(b, G_EBX, t);
    emit_exit(b);
    ir_optimize(b);
    for (int i = 0; i < b->nops; i++)
        if (b->ops[i].d == G_EBX)
            ck_assert_uint_ne(b->ops[i].a, G_EAX);
    free(b);
}
END_TEST

/* ---- verifier ---- */
static IrBlock *good_block(void)
{
    IrBlock *b = blk_new();
    int l = ir_new_label(b);
    int t = ir_ld(b, 4, SEG_DS | IRM_CHECK, G_ESI);
    ir_brcondi(b, IRC_EQ, t, 0, l);
    ir_mov(b, G_EAX, t);
    ir_set_label(b, l);
    ir_emit(b, IR_EXIT_TB);
    return b;
}

START_TEST(test_verify)
{
    char err[160];
    IrBlock *b = good_block();
    ck_assert_msg(ir_verify(b, err, sizeof(err)), "%s", err);
    ir_optimize(b);
    ck_assert_msg(ir_verify(b, err, sizeof(err)), "%s", err);
    free(b);

    /* each broken variant is caught, with a message */
    for (int k = 0; k < 9; k++) {
        b = good_block();
        IrOp *ld = &b->ops[0], *br = &b->ops[1], *mov = &b->ops[2], *exit = &b->ops[4];
        switch (k) {
        case 0: ld->sz = 3; break;                          /* memory size */
        case 1: ld->aux = 6; break;                         /* segment */
        case 2: br->sz = IRC_NB; break;                     /* condition */
        case 3: br->aux = 5; break;                         /* label id */
        case 4: b->ops[3].aux = 0, b->nlabels = 2, br->aux = 1; break;   /* branch to a missing label */
        case 5: exit->op = IR_MOVI, exit->d = G_EBX; break; /* no terminator */
        case 6: mov->a = (uint16_t)(b->ntemps + 3); break;  /* temp out of range */
        case 7: mov->a = (uint16_t)ir_new_temp(b); break;   /* read before write */
        case 8: exit->op = IR_GOTO_TB, exit->imm = 2; break;/* slot */
        }
        err[0] = 0;
        ck_assert_msg(!ir_verify(b, err, sizeof(err)), "variant %d passed", k);
        ck_assert_msg(err[0] != 0, "variant %d: no message", k);
        free(b);
    }
    b = blk_new();                                          /* void helper with a result temp */
    ir_call(b, HELPER_load_seg, G_EAX, G_EBX, IR_NONE);
    b->ops[0].d = G_ECX;
    ir_emit(b, IR_EXIT_TB);
    ck_assert(!ir_verify(b, err, sizeof(err)));
    free(b);
}
END_TEST

/* ---- randomized: optimised and unoptimised blocks agree on every global ---- */
static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static const int rand_ops[] = {
    IR_MOV, IR_ADD, IR_ADD_I, IR_SUB, IR_SUB_I, IR_AND, IR_AND_I, IR_OR, IR_OR_I, IR_XOR, IR_XOR_I, IR_SHL,
    IR_SHL_I, IR_SHR, IR_SHR_I, IR_SAR, IR_SAR_I, IR_ROL, IR_ROL_I, IR_ROR, IR_ROR_I, IR_MUL, IR_NEG, IR_NOT,
    IR_EXT8S, IR_EXT8U, IR_EXT16S, IR_EXT16U, IR_BSWAP, IR_SETCC, IR_SETCC_I, IR_SELECT, IR_EXTRACT, IR_DEPOSIT,
    IR_MULU2, IR_MULS2, IR_MOVI,
};

/* Locals defined on only some paths (after a forward branch, before its label): never read (IR invariant). */
static bool local_unsafe[IR_MAX_TEMPS];

/* A random source: a global, an earlier local, or a fresh constant (often 0, 1, ~0 to hit the identities). */
static int rand_src(IrBlock *b, int first_local)
{
    uint32_t r = rnd() % 8;
    if (r < 3 || b->ntemps == first_local)
        return (int)(rnd() % 14);
    if (r < 6) {
        int t = first_local + (int)(rnd() % (uint32_t)(b->ntemps - first_local));
        return local_unsafe[t] ? (int)(rnd() % 14) : t;
    }
    static const uint32_t k[] = { 0, 1, 0xffffffffu, 31, 32, 0x80000000u, 7 };
    return ir_movi(b, rnd() % 2 ? k[rnd() % 7] : rnd());
}

static int loop_carried = -1;   /* inside a loop: a local that body ops may overwrite (read at the next iteration) */

static void rand_op(IrBlock *b, int first_local)
{
    int op = rand_ops[rnd() % (sizeof(rand_ops) / sizeof(rand_ops[0]))];
    int a = rand_src(b, first_local), bb = rand_src(b, first_local), c = rand_src(b, first_local);
    int d = loop_carried >= 0 && rnd() % 4 == 0 ? loop_carried : rnd() % 3 ? ir_new_temp(b) : (int)(rnd() % 14);
    IrOp *o = ir_emit(b, op);
    static const uint32_t imms[] = { 0, 1, 31, 32, 0xffffffffu, 4, 0x80000000u };
    o->d = (uint16_t)d;
    o->a = ir_op_info[op].nin >= 1 ? (uint16_t)a : IR_NONE;
    o->b = ir_op_info[op].nin >= 2 ? (uint16_t)bb : IR_NONE;
    o->c = ir_op_info[op].nin >= 3 ? (uint16_t)c : IR_NONE;
    o->imm = rnd() % 2 ? imms[rnd() % 7] : rnd();
    if (op == IR_SETCC || op == IR_SETCC_I)
        o->sz = (uint8_t)(rnd() % IRC_NB);
    if (op == IR_EXTRACT || op == IR_DEPOSIT) {
        o->sz = (uint8_t)(1 + rnd() % 31);
        o->imm = rnd() % (32u - o->sz + 1);
    }
    if (op == IR_MULU2 || op == IR_MULS2) {
        o->c = (uint16_t)ir_new_temp(b);
        if (o->c == o->d)
            o->c = (uint16_t)ir_new_temp(b);
    }
    if (d >= IR_NUM_GLOBALS && d != loop_carried && rnd() % 3 == 0)
        ir_mov(b, (int)(rnd() % 14), d);    /* the translator's `t = op; reg = mov t` shape (coalescing) */
}

/* Random straight-line code with forward conditional branches and at most one counted loop (a backward branch;
 * 1..4 iterations, its counter written only by the loop). Forward labels never jump into the loop. */
static IrBlock *rand_block(void)
{
    IrBlock *b = blk_new();
    int labels[4], since[4], nl = 0, n = 5 + (int)(rnd() % 40), loop_label = -1, cnt = -1, loop_nl = 0;
    memset(local_unsafe, 0, sizeof(local_unsafe));
#define PLACE_LABEL() (--nl, ir_set_label(b, labels[nl]), \
                       memset(local_unsafe + since[nl], 1, (size_t)(b->ntemps - since[nl])))
    for (int i = 0; i < n; i++) {
        uint32_t r = rnd() % 16;
        if (r == 0 && nl < 4) {                  /* forward conditional branch to a label placed later */
            labels[nl] = ir_new_label(b);
            since[nl] = b->ntemps;
            ir_brcondi(b, (IrCond)(rnd() % IRC_NB), (int)(rnd() % 14), rnd() % 4, labels[nl++]);
        } else if (r == 1 && nl > loop_nl) {
            PLACE_LABEL();
        } else if (r == 2 && loop_label < 0 && nl == 0 && i + 3 < n) {
            cnt = ir_movi(b, 1 + rnd() % 4);
            loop_carried = ir_movi(b, rnd());
            loop_label = ir_new_label(b);
            ir_set_label(b, loop_label);
            loop_nl = nl;
            ir_mov(b, (int)(rnd() % 14), loop_carried);   /* the carried value is read at the top */
        } else if (r == 3 && loop_label >= 0 && nl == loop_nl) {
            ir_mov(b, cnt, ir_op2i(b, IR_SUB_I, cnt, 1));
            ir_brcondi(b, IRC_NE, cnt, 0, loop_label);
            loop_label = -1;
            loop_carried = -1;
        } else {
            rand_op(b, IR_NUM_GLOBALS);
        }
    }
    while (nl > loop_nl)
        PLACE_LABEL();
    if (loop_label >= 0) {
        ir_mov(b, cnt, ir_op2i(b, IR_SUB_I, cnt, 1));
        ir_brcondi(b, IRC_NE, cnt, 0, loop_label);
        loop_carried = -1;
    }
    while (nl > 0)
        PLACE_LABEL();
#undef PLACE_LABEL
    emit_exit(b);
    return b;
}

START_TEST(test_random_blocks_equivalent)
{
    CpuState *e1 = calloc(1, sizeof(CpuState)), *e2 = calloc(1, sizeof(CpuState));
    IrBlock *opt = calloc(1, sizeof(IrBlock));
    /* PCJIT_IR_RANDOM_ITERS / PCJIT_IR_RANDOM_SEED: a longer or different run when hunting a bug */
    int iters = getenv("PCJIT_IR_RANDOM_ITERS") ? atoi(getenv("PCJIT_IR_RANDOM_ITERS")) : 3000;
    if (getenv("PCJIT_IR_RANDOM_SEED"))
        rng_state = (uint32_t)strtoul(getenv("PCJIT_IR_RANDOM_SEED"), NULL, 0) | 1;
    interp_init();
    for (int iter = 0; iter < iters; iter++) {
        IrBlock *b = rand_block();
        uint32_t init[IR_NUM_GLOBALS];
        for (int g = 0; g < IR_NUM_GLOBALS; g++)
            init[g] = rnd() % 3 ? rnd() : rnd() % 4;
        /* locals may be read before written on a skipped path: give both runs the same garbage */
        memset(e1->t, 0x5a, sizeof(e1->t));
        memset(e2->t, 0x5a, sizeof(e2->t));
        memcpy(e1->t, init, sizeof(init));
        memcpy(e2->t, init, sizeof(init));
        char err[160];
        ck_assert_msg(ir_verify(b, err, sizeof(err)), "iter %d: generated block invalid: %s", iter, err);
        memcpy(opt, b, sizeof(IrBlock));
        ir_optimize(opt);
        if (!ir_verify(opt, err, sizeof(err))) {
            static char l1[65536], l2[65536];
            ir_print(b, l1, sizeof(l1));
            ir_print(opt, l2, sizeof(l2));
            ck_abort_msg("iter %d: optimised block invalid: %s\n--- before\n%s--- after\n%s", iter, err, l1, l2);
        }
        TB tb1 = { .ops = b->ops, .nops = (uint16_t)b->nops }, tb2 = { .ops = opt->ops, .nops = (uint16_t)opt->nops };
        interp_run_tb(e1, &tb1);
        interp_run_tb(e2, &tb2);
        for (int g = 0; g < IR_NUM_GLOBALS; g++)
            if (e1->t[g] != e2->t[g]) {
                static char l1[65536], l2[65536];
                ir_print(b, l1, sizeof(l1));
                ir_print(opt, l2, sizeof(l2));
                ck_abort_msg("iter %d: global %d differs: 0x%x vs 0x%x\n--- before\n%s--- after\n%s", iter, g,
                             e1->t[g], e2->t[g], l1, l2);
            }
        ck_assert_int_le(opt->nops, b->nops);
        free(b);
    }
    free(e1);
    free(e2);
    free(opt);
}
END_TEST

/* ---- listing ---- */
START_TEST(test_listing)
{
    IrBlock *b = blk_new();
    char buf[2048];
    insn_begin(b, 0x1000);
    int t = ir_op2(b, IR_ADD, G_EAX, G_ECX);
    int v = ir_ld(b, 4, SEG_DS | IRM_CHECK, t);
    insn_begin(b, 0x1003);
    ir_call(b, HELPER_load_seg, ir_movi(b, SEG_ES), v, IR_NONE);
    ir_mov(b, G_EBX, ir_call(b, HELPER_mov_cr_read, ir_movi(b, 0), IR_NONE, IR_NONE));
    int l = ir_new_label(b);
    ir_brcondi(b, IRC_NE, G_CC_DST, 0, l);
    ir_st(b, 2, SEG_SS | IRM_CHECK | IRM_USER, G_ESP, v);
    ir_mov(b, G_ESI, ir_ld(b, 1 | IRM_SIGNED, SEG_NONE, G_EDI));
    ir_set_label(b, l);
    IrOp *o = ir_emit(b, IR_MULU2);
    o->d = G_EAX, o->c = G_EDX, o->a = G_EAX, o->b = G_ECX;
    int s = ir_op2(b, IR_SETCC, G_EAX, G_EDX);
    b->ops[b->nops - 1].sz = IRC_LT;
    int e = ir_new_temp(b);
    o = ir_emit(b, IR_LDENV);
    o->d = (uint16_t)e, o->imm = offsetof(CpuState, cr0), o->sz = 4;
    o = ir_emit(b, IR_STENV);
    o->a = (uint16_t)e, o->imm = offsetof(CpuState, seg[SEG_DS].sel), o->sz = 2;
    o = ir_emit(b, IR_STENV);
    o->a = (uint16_t)e, o->imm = offsetof(CpuState, tr.base), o->sz = 4;
    ir_mov(b, G_EIP, ir_movi(b, 0x1005));
    ir_emit(b, IR_GOTO_TB)->imm = 0;
    o = ir_emit(b, IR_RAISE);
    o->aux = EXC_GP, o->imm = 0;
    o = ir_emit(b, IR_RAISE);
    o->aux = EXC_UD, o->imm = 0xffffffffu;
    ir_emit(b, IR_EXIT_TB)->imm = EXIT_MODE;
    (void)s;
    int n = ir_print(b, buf, sizeof(buf));
    const char *want =
        "---- 0x00001000\n"
        "    t16 = add eax, ecx\n"
        "    ld32 t17, [ds:t16] chk\n"
        "---- 0x00001003\n"
        "    t18 = movi 0x0\n"
        "    call load_seg(t18, t17)\n"
        "    t19 = movi 0x0\n"
        "    t20 = call mov_cr_read(t19)\n"
        "    ebx = mov t20\n"
        "    brcond.ne cc_dst, 0x0, L0\n"
        "    st16 [ss:esp], t17 chk user\n"
        "    ld8s t21, [lin:edi]\n"
        "    esi = mov t21\n"
        "L0:\n"
        "    eax, edx = mulu2 eax, ecx\n"
        "    t22 = setcc.lt eax, edx\n"
        "    t23 = ldenv32 [env.cr0]\n"
        "    stenv16 [env.ds.sel], t23\n"
        "    stenv32 [env.tr.base], t23\n"
        "    t24 = movi 0x1005\n"
        "    eip = mov t24\n"
        "    goto_tb 0\n"
        "    raise #GP(0x0)\n"
        "    raise #UD\n"
        "    exit_tb mode\n";
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
    /* a small buffer truncates safely and stays terminated */
    memset(buf, 'X', sizeof(buf));
    n = ir_print(b, buf, 20);
    ck_assert_int_eq(n, 19);
    ck_assert_uint_eq(buf[19], 0);
    ck_assert_uint_eq(buf[20], 'X');
    free(b);
}
END_TEST

static Suite *ir_suite(void)
{
    Suite *s = suite_create("ir");
    TCase *tc = tcase_create("builder");
    tcase_add_test(tc, test_builder_fields);
    tcase_add_test(tc, test_builder_call);
    tcase_add_test(tc, test_builder_overflow);
    tcase_add_test(tc, test_op_table);
    suite_add_tcase(s, tc);
    tc = tcase_create("optimiser");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fold_constants);
    tcase_add_test(tc, test_fold_identities);
    tcase_add_test(tc, test_fold_to_imm_forms);
    tcase_add_test(tc, test_fold_branches);
    tcase_add_test(tc, test_label_stops_propagation);
    tcase_add_test(tc, test_liveness_drops_dead_flags);
    tcase_add_test(tc, test_liveness_keeps_flags_at_fault_points);
    tcase_add_test(tc, test_dead_load_is_kept);
    tcase_add_test(tc, test_insn_map_after_deletion);
    tcase_add_test(tc, test_coalesce);
    tcase_add_test(tc, test_copy_propagation);
    tcase_add_test(tc, test_verify);
    tcase_add_test(tc, test_random_blocks_equivalent);
    suite_add_tcase(s, tc);
    tc = tcase_create("listing");
    tcase_add_test(tc, test_listing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ir_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
