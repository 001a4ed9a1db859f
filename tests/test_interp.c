/* test_interp.c — the IR interpreter (translator/interp.c) op by op: arithmetic and logic with edge values,
 * shifts/rotates by 0/31/32, MULU2/MULS2 signs, EXTRACT/DEPOSIT, SETCC/BRCOND for every condition, SELECT,
 * branches and loops, LDENV/STENV, GOTO_TB/EXIT_TB exits, RAISE, guest loads/stores through a TLB entry filled by
 * hand against a small RAM buffer (segment base, limit and write checks included), and a libffi helper call.
 * Also a throughput measurement (printed, not asserted: machines differ) of a typical integer-loop block.
 * Each test builds a minimal CpuState on the heap and a TB by hand around an IrBlock.
 * The weak definitions below stand in for runtime functions owned by other files (mmu.c, excp.c, seg.c, flags.c,
 * exec.c) only while those are absent; when the real ones are linked they win, and the expectations here are
 * the architectural ones both must meet. */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "exec.h"
#include "helpers.h"
#include "mmu.h"

/* ---- weak stand-ins (see header comment) ---- */
__attribute__((weak)) ExecStats exec_stats;
__attribute__((weak, noreturn)) void cpu_raise_exception(CpuState *env, int vector, int error)
{
    env->exc_vector = vector;
    env->exc_error = error;
    longjmp(env->jmp_env, 1);
}
__attribute__((weak)) void seg_check_access(CpuState *env, int seg, uint32_t off, int size, bool write)
{
    const SegCache *s = &env->seg[seg];
    bool ok = off >= s->lo && off <= s->hi && s->hi - off >= (uint32_t)size - 1;
    if (write)
        ok = ok && !(s->flags & DESC_CODE) && (s->flags & DESC_W);
    if (!ok)
        cpu_raise_exception(env, seg == SEG_SS ? EXC_SS : EXC_GP, 0);
}
/* paging off: a linear address is physical, except pages this file mapped by hand in the TLB */
static uint8_t *stub_byte(CpuState *env, uint32_t lin, int mmu_idx)
{
    static uint8_t sink;
    const TlbEntry *e = &env->tlb[mmu_idx][(lin >> TARGET_PAGE_BITS) & (TLB_SIZE - 1)];
    if ((lin & TARGET_PAGE_MASK) == e->tag_read)
        return (uint8_t *)(e->addend + lin);
    sink = 0xff;
    return lin < env->ram_size ? env->ram + lin : &sink;
}
__attribute__((weak)) uint32_t mmu_ld_lin(CpuState *env, uint32_t lin, int size, int mmu_idx)
{
    uint32_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint32_t)*stub_byte(env, lin + i, mmu_idx) << (8 * i);
    return v;
}
__attribute__((weak)) void mmu_st_lin(CpuState *env, uint32_t lin, uint32_t val, int size, int mmu_idx)
{
    for (int i = 0; i < size; i++)
        *stub_byte(env, lin + i, mmu_idx) = (uint8_t)(val >> (8 * i));
}
__attribute__((weak)) uint32_t cc_compute_flags(uint32_t op, uint32_t dst, uint32_t src, uint32_t src2)
{
    ck_assert_uint_eq(op, CC_OP_EFLAGS);   /* the stand-in knows only the case this file uses */
    return src & F_ARITH;
}
__attribute__((weak)) void helper_load_seg(CpuState *env, uint32_t seg, uint32_t sel)
{
    /* real mode: base = selector * 16 (SDM vol 3 20.1.1) */
    env->seg[seg].sel = (uint16_t)sel;
    env->seg[seg].base = sel << 4;
}
__attribute__((weak)) void helper_lgdt(CpuState *env, uint32_t limit, uint32_t base)
{
    env->gdt_limit = limit;
    env->gdt_base = base;
}
__attribute__((weak)) uint32_t helper_mov_cr_read(CpuState *env, uint32_t n)
{
    return n == 0 ? env->cr0 : n == 2 ? env->cr2 : n == 3 ? env->cr3 : env->cr4;
}

/* ---- scaffolding ---- */
typedef struct Fix { CpuState *env; IrBlock *b; TB tb; } Fix;

static Fix *fix_new(void)
{
    Fix *f = calloc(1, sizeof(*f));
    f->env = calloc(1, sizeof(CpuState));
    f->b = calloc(1, sizeof(IrBlock));
    ck_assert_ptr_nonnull(f->env);
    ck_assert_ptr_nonnull(f->b);
    f->env->a20_mask = 0xffffffffu;
    tlb_flush_all(f->env);  /* the victim TLB too */
    ir_init(f->b);
    interp_init();
    return f;
}

static void fix_free(Fix *f)
{
    free(f->env->ram);
    free(f->env);
    free(f->b);
    free(f);
}

/* Wrap the block in the TB and run it once. */
static TB *fix_run(Fix *f)
{
    ck_assert(!f->b->overflow);
    f->tb.ops = f->b->ops;
    f->tb.nops = (uint16_t)f->b->nops;
    return interp_run_tb(f->env, &f->tb);
}

static void emit_exit(IrBlock *b, uint32_t reason)
{
    ir_emit(b, IR_EXIT_TB)->imm = reason;
}

/* d = op(a, b) or op(a, imm) with a fresh block; returns d's value. */
static uint32_t run_op(int op, uint32_t a, uint32_t bv)
{
    Fix *f = fix_new();
    int ta = ir_movi(f->b, a), d;
    if (ir_op_info[op].nin == 1 && op != IR_MOV)
        d = (strstr(ir_op_info[op].name, "_I") ? ir_op2i(f->b, op, ta, bv) : ir_op1(f->b, op, ta));
    else
        d = ir_op2(f->b, op, ta, ir_movi(f->b, bv));
    emit_exit(f->b, EXIT_NORMAL);
    ck_assert_ptr_null(fix_run(f));
    uint32_t r = f->env->t[d];
    fix_free(f);
    return r;
}

/* ---- arithmetic, logic, shifts ---- */
static const struct { int op; uint32_t a, b, want; } alu_cases[] = {
    { IR_ADD, 0xffffffffu, 1, 0 }, { IR_ADD_I, 0x7fffffffu, 1, 0x80000000u },
    { IR_SUB, 0, 1, 0xffffffffu }, { IR_SUB_I, 5, 7, 0xfffffffeu },
    { IR_AND, 0xf0f0f0f0u, 0x3c3c3c3cu, 0x30303030u }, { IR_AND_I, 0x12345678u, 0xffffffffu, 0x12345678u },
    { IR_OR, 0xf0000000u, 0x0000000fu, 0xf000000fu }, { IR_OR_I, 0, 0, 0 },
    { IR_XOR, 0xffff0000u, 0xff00ff00u, 0x00ffff00u }, { IR_XOR_I, 0x5555u, 0xffffu, 0xaaaau },
    { IR_SHL, 0x80000001u, 0, 0x80000001u }, { IR_SHL, 1, 31, 0x80000000u }, { IR_SHL, 3, 32, 3 },
    { IR_SHL, 3, 33, 6 }, { IR_SHL_I, 0xffffffffu, 31, 0x80000000u },
    { IR_SHR, 0x80000000u, 31, 1 }, { IR_SHR, 0x80000000u, 0, 0x80000000u }, { IR_SHR_I, 0xf0u, 4, 0xf },
    { IR_SAR, 0x80000000u, 31, 0xffffffffu }, { IR_SAR, 0x80000000u, 0, 0x80000000u },
    { IR_SAR_I, 0x7ffffff0u, 4, 0x07ffffffu }, { IR_SAR_I, 0xfffffff0u, 4, 0xffffffffu },
    { IR_ROL, 0x80000001u, 1, 3 }, { IR_ROL, 0x12345678u, 0, 0x12345678u }, { IR_ROL, 0x12345678u, 32, 0x12345678u },
    { IR_ROL_I, 0x80000001u, 31, 0xc0000000u },
    { IR_ROR, 3, 1, 0x80000001u }, { IR_ROR, 0x12345678u, 0, 0x12345678u }, { IR_ROR_I, 1, 31, 2 },
    { IR_MUL, 0xffffffffu, 0xffffffffu, 1 }, { IR_MUL, 0x10000u, 0x10000u, 0 },
    { IR_NEG, 0, 0, 0 }, { IR_NEG, 0x80000000u, 0, 0x80000000u }, { IR_NEG, 1, 0, 0xffffffffu },
    { IR_NOT, 0x0f0f0f0fu, 0, 0xf0f0f0f0u },
    { IR_EXT8S, 0x1280u, 0, 0xffffff80u }, { IR_EXT8S, 0x127fu, 0, 0x7f }, { IR_EXT8U, 0xffffff80u, 0, 0x80 },
    { IR_EXT16S, 0x18000u, 0, 0xffff8000u }, { IR_EXT16S, 0x7fffu, 0, 0x7fff }, { IR_EXT16U, 0xffff8000u, 0, 0x8000 },
    { IR_BSWAP, 0x12345678u, 0, 0x78563412u },
    { IR_CTZ, 0x80000000u, 0, 31 }, { IR_CTZ, 0x18u, 0, 3 }, { IR_CTZ, 1, 0, 0 },
    { IR_CLZ, 1, 0, 31 }, { IR_CLZ, 0x80000000u, 0, 0 }, { IR_CLZ, 0x00f00000u, 0, 8 },
    { IR_MOV, 0xdeadbeefu, 0, 0xdeadbeefu },
};

START_TEST(test_alu)
{
    int i = _i;
    uint32_t got = run_op(alu_cases[i].op, alu_cases[i].a, alu_cases[i].b);
    ck_assert_msg(got == alu_cases[i].want, "%s(0x%x, 0x%x) = 0x%x, want 0x%x", ir_op_info[alu_cases[i].op].name,
                  alu_cases[i].a, alu_cases[i].b, got, alu_cases[i].want);
}
END_TEST

START_TEST(test_mov_globals)
{
    Fix *f = fix_new();
    f->env->t[G_ECX] = 0x1234;
    ir_mov(f->b, G_EAX, G_ECX);
    ir_mov(f->b, G_EIP, ir_movi(f->b, 0x4000));
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[G_EAX], 0x1234);
    ck_assert_uint_eq(f->env->t[G_EIP], 0x4000);
    fix_free(f);
}
END_TEST

/* MULU2/MULS2: d = low half, c = high half (an output) */
static void check_mul2(int op, uint32_t a, uint32_t b, uint32_t lo, uint32_t hi)
{
    Fix *f = fix_new();
    int ta = ir_movi(f->b, a), tb = ir_movi(f->b, b);
    IrOp *o = ir_emit(f->b, op);
    o->d = (uint16_t)ir_new_temp(f->b);
    o->c = (uint16_t)ir_new_temp(f->b);
    o->a = (uint16_t)ta;
    o->b = (uint16_t)tb;
    int d = o->d, c = o->c;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_msg(f->env->t[d] == lo && f->env->t[c] == hi, "%s(0x%x, 0x%x) = 0x%x:0x%x, want 0x%x:0x%x",
                  ir_op_info[op].name, a, b, f->env->t[c], f->env->t[d], hi, lo);
    fix_free(f);
}

START_TEST(test_mul2)
{
    check_mul2(IR_MULU2, 0xffffffffu, 0xffffffffu, 1, 0xfffffffeu);
    check_mul2(IR_MULS2, 0xffffffffu, 0xffffffffu, 1, 0);            /* -1 * -1 */
    check_mul2(IR_MULS2, 0xfffffffeu, 3, 0xfffffffau, 0xffffffffu);   /* -2 * 3 = -6 */
    check_mul2(IR_MULU2, 0xfffffffeu, 3, 0xfffffffau, 2);
    check_mul2(IR_MULS2, 0x80000000u, 0x80000000u, 0, 0x40000000u);  /* INT_MIN^2 */
    check_mul2(IR_MULS2, 0x80000000u, 1, 0x80000000u, 0xffffffffu);
    check_mul2(IR_MULU2, 0x10000u, 0x10000u, 0, 1);
    check_mul2(IR_MULS2, 0x7fffffffu, 0x7fffffffu, 1, 0x3fffffffu);
}
END_TEST

static uint32_t run_extract(uint32_t a, unsigned pos, unsigned len)
{
    Fix *f = fix_new();
    int d = ir_op2i(f->b, IR_EXTRACT, ir_movi(f->b, a), pos);
    f->b->ops[f->b->nops - 1].sz = (uint8_t)len;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    uint32_t r = f->env->t[d];
    fix_free(f);
    return r;
}

static uint32_t run_deposit(uint32_t a, uint32_t b, unsigned pos, unsigned len)
{
    Fix *f = fix_new();
    int d = ir_op2(f->b, IR_DEPOSIT, ir_movi(f->b, a), ir_movi(f->b, b));
    f->b->ops[f->b->nops - 1].sz = (uint8_t)len;
    f->b->ops[f->b->nops - 1].imm = pos;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    uint32_t r = f->env->t[d];
    fix_free(f);
    return r;
}

START_TEST(test_extract_deposit)
{
    ck_assert_uint_eq(run_extract(0x12345678u, 4, 8), 0x67);
    ck_assert_uint_eq(run_extract(0x80000000u, 31, 1), 1);
    ck_assert_uint_eq(run_extract(0xffffffffu, 1, 31), 0x7fffffffu);
    ck_assert_uint_eq(run_extract(0x0000ff00u, 8, 8), 0xff);
    ck_assert_uint_eq(run_extract(0x12345678u, 0, 16), 0x5678);
    /* AH := 0xAB into EAX (the translator's 8-bit high register write) */
    ck_assert_uint_eq(run_deposit(0x11223344u, 0xab, 8, 8), 0x1122ab44u);
    ck_assert_uint_eq(run_deposit(0x11223344u, 0xffffabcdu, 0, 16), 0x1122abcdu);
    ck_assert_uint_eq(run_deposit(0, 0xffffffffu, 31, 1), 0x80000000u);
    ck_assert_uint_eq(run_deposit(0xffffffffu, 0, 1, 30), 0x80000001u);
}
END_TEST

/* ---- conditions: SETCC, SETCC_I, BRCOND, BRCOND_I agree with this table ---- */
static const struct { uint32_t a, b; uint8_t want[IRC_NB]; } cond_cases[] = {
    /*                    EQ NE LTU GEU LEU GTU LT GE LE GT TSTZ TSTNZ */
    { 1, 2,             { 0, 1, 1,  0,  1,  0,  1, 0, 1, 0, 1,   0 } },
    { 0xffffffffu, 1,   { 0, 1, 0,  1,  0,  1,  1, 0, 1, 0, 0,   1 } },
    { 5, 5,             { 1, 0, 0,  1,  1,  0,  0, 1, 1, 0, 0,   1 } },
    { 0x80000000u, 0x7fffffffu, { 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0 } },
    { 0x7fffffffu, 0x80000000u, { 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, 0 } },
    { 0, 0,             { 1, 0, 0,  1,  1,  0,  0, 1, 1, 0, 1,   0 } },
};

static uint32_t run_cond(int kind, IrCond c, uint32_t a, uint32_t bv)
{
    Fix *f = fix_new();
    int ta = ir_movi(f->b, a), tb = ir_movi(f->b, bv), d = ir_movi(f->b, 0);
    if (kind == 0) {
        d = ir_op2(f->b, IR_SETCC, ta, tb);
        f->b->ops[f->b->nops - 1].sz = (uint8_t)c;
    } else if (kind == 1) {
        d = ir_op2i(f->b, IR_SETCC_I, ta, bv);
        f->b->ops[f->b->nops - 1].sz = (uint8_t)c;
    } else {
        int l = ir_new_label(f->b);
        if (kind == 2)
            ir_brcond(f->b, c, ta, tb, l);
        else
            ir_brcondi(f->b, c, ta, bv, l);
        ir_mov(f->b, d, ir_movi(f->b, 0));
        emit_exit(f->b, EXIT_NORMAL);
        ir_set_label(f->b, l);
        ir_mov(f->b, d, ir_movi(f->b, 1));
    }
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    uint32_t r = f->env->t[d];
    fix_free(f);
    return r;
}

START_TEST(test_conditions)
{
    static const char *const kinds[] = { "setcc", "setcc_i", "brcond", "brcond_i" };
    for (unsigned i = 0; i < sizeof(cond_cases) / sizeof(cond_cases[0]); i++)
        for (int c = 0; c < IRC_NB; c++)
            for (int k = 0; k < 4; k++) {
                uint32_t got = run_cond(k, (IrCond)c, cond_cases[i].a, cond_cases[i].b);
                ck_assert_msg(got == cond_cases[i].want[c], "%s cond %d (0x%x, 0x%x) = %u", kinds[k], c,
                              cond_cases[i].a, cond_cases[i].b, got);
            }
}
END_TEST

START_TEST(test_select)
{
    for (uint32_t cv = 0; cv < 3; cv++) {
        Fix *f = fix_new();
        int a = ir_movi(f->b, 111), b = ir_movi(f->b, 222), c = ir_movi(f->b, cv == 2 ? 0x80000000u : cv);
        int d = ir_op2(f->b, IR_SELECT, a, b);
        f->b->ops[f->b->nops - 1].c = (uint16_t)c;
        emit_exit(f->b, EXIT_NORMAL);
        fix_run(f);
        ck_assert_uint_eq(f->env->t[d], cv ? 111 : 222);
        fix_free(f);
    }
}
END_TEST

/* ---- control flow inside a TB ---- */
START_TEST(test_loop_backward_branch)
{
    /* sum = 0; for (i = 100; i != 0; i--) sum += i;  -> 5050, with labels resolved by scan and by ir_optimize */
    for (int opt = 0; opt < 2; opt++) {
        Fix *f = fix_new();
        IrBlock *b = f->b;
        int top = ir_new_label(b), skip = ir_new_label(b);
        ir_mov(b, G_EAX, ir_movi(b, 0));
        ir_mov(b, G_ECX, ir_movi(b, 100));
        ir_br(b, skip);                    /* forward branch over a poison write */
        ir_mov(b, G_EAX, ir_movi(b, 0xbad));
        ir_set_label(b, skip);
        ir_set_label(b, top);
        ir_mov(b, G_EAX, ir_op2(b, IR_ADD, G_EAX, G_ECX));
        ir_mov(b, G_ECX, ir_op2i(b, IR_SUB_I, G_ECX, 1));
        ir_brcondi(b, IRC_NE, G_ECX, 0, top);
        emit_exit(b, EXIT_NORMAL);
        if (opt)
            ir_optimize(b);
        fix_run(f);
        ck_assert_uint_eq(f->env->t[G_EAX], 5050);
        ck_assert_uint_eq(f->env->t[G_ECX], 0);
        fix_free(f);
    }
}
END_TEST

START_TEST(test_exits)
{
    Fix *f = fix_new();
    TB other = { 0 };
    int l = ir_new_label(f->b);
    ir_brcondi(f->b, IRC_EQ, G_EDX, 1, l);
    ir_emit(f->b, IR_GOTO_TB)->imm = 0;
    ir_set_label(f->b, l);
    ir_emit(f->b, IR_GOTO_TB)->imm = 1;

    ck_assert_ptr_null(fix_run(f));                  /* slot 0 not chained */
    ck_assert_int_eq(f->env->exit_slot, 0);
    ck_assert_uint_eq(f->env->exit_reason, EXIT_NORMAL);
    f->tb.jmp_dest[0] = &other;
    ck_assert_ptr_eq(fix_run(f), &other);            /* chained */
    other.invalid = true;
    ck_assert_ptr_null(fix_run(f));                  /* chained to an invalidated TB: back to the loop */
    f->env->t[G_EDX] = 1;
    f->tb.jmp_dest[1] = &f->tb;
    ck_assert_ptr_eq(fix_run(f), &f->tb);            /* slot 1 */
    ck_assert_int_eq(f->env->exit_slot, 1);
    fix_free(f);

    f = fix_new();
    emit_exit(f->b, EXIT_HALT);
    ck_assert_ptr_null(fix_run(f));
    ck_assert_uint_eq(f->env->exit_reason, EXIT_HALT);
    ck_assert_int_eq(f->env->exit_slot, -1);
    fix_free(f);
}
END_TEST

START_TEST(test_ldenv_stenv)
{
    Fix *f = fix_new();
    f->env->cr0 = 0x80000011u;
    f->env->seg[SEG_DS].sel = 0xbeef;
    int cr0 = ir_movi(f->b, 0);
    IrOp *o = ir_emit(f->b, IR_LDENV);
    o->d = (uint16_t)cr0, o->imm = offsetof(CpuState, cr0), o->sz = 4;
    int sel = ir_new_temp(f->b);
    o = ir_emit(f->b, IR_LDENV);
    o->d = (uint16_t)sel, o->imm = offsetof(CpuState, seg[SEG_DS].sel), o->sz = 2;
    int v1 = ir_movi(f->b, 0x12345678u), v2 = ir_movi(f->b, 0xabcd1234u);
    o = ir_emit(f->b, IR_STENV);   /* (operands first: ir_emit returns the op it just appended) */
    o->a = (uint16_t)v1, o->imm = offsetof(CpuState, cr2), o->sz = 4;
    o = ir_emit(f->b, IR_STENV);
    o->a = (uint16_t)v2, o->imm = offsetof(CpuState, seg[SEG_ES].sel), o->sz = 2;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[cr0], 0x80000011u);
    ck_assert_uint_eq(f->env->t[sel], 0xbeef);
    ck_assert_uint_eq(f->env->cr2, 0x12345678u);
    ck_assert_uint_eq(f->env->seg[SEG_ES].sel, 0x1234);
    ck_assert_uint_eq(f->env->seg[SEG_ES].pad, 0);   /* a 2-byte store writes 2 bytes */
    fix_free(f);
}
END_TEST

/* ---- faults ---- */
START_TEST(test_raise)
{
    Fix *f = fix_new();
    ir_mov(f->b, G_EAX, ir_movi(f->b, 7));
    IrOp *o = ir_emit(f->b, IR_RAISE);
    o->aux = EXC_GP, o->imm = 0x18;
    int raise_idx = f->b->nops - 1;
    o = ir_emit(f->b, IR_RAISE);
    o->aux = EXC_UD, o->imm = 0xffffffffu;
    if (setjmp(f->env->jmp_env) == 0) {
        fix_run(f);
        ck_abort_msg("RAISE returned");
    }
    ck_assert_int_eq(f->env->exc_vector, EXC_GP);
    ck_assert_int_eq(f->env->exc_error, 0x18);
    ck_assert_uint_eq(f->env->cur_op, raise_idx);
    ck_assert_uint_eq(f->env->t[G_EAX], 7);

    f->b->ops[raise_idx].op = IR_MOVI;   /* now reach the second RAISE: no error code */
    f->b->ops[raise_idx].d = G_EBX;
    if (setjmp(f->env->jmp_env) == 0) {
        fix_run(f);
        ck_abort_msg("RAISE returned");
    }
    ck_assert_int_eq(f->env->exc_vector, EXC_UD);
    ck_assert_int_eq(f->env->exc_error, -1);
    ck_assert_uint_eq(f->env->cur_op, raise_idx + 1);
    fix_free(f);
}
END_TEST

/* ---- guest memory ---- */
enum { RAM_SIZE = 0x10000, PAGE_LIN = 0x5000, PAGE_RAM = 0x3000 };

/* RAM buffer; kernel TLB entry: linear page PAGE_LIN -> RAM offset PAGE_RAM (readable and writable);
 * DS: base 0x1000, offsets 0..0xFFFF, writable data; SS likewise; ES read-only data. */
static Fix *mem_fix(void)
{
    Fix *f = fix_new();
    CpuState *env = f->env;
    env->ram = calloc(1, RAM_SIZE);
    env->ram_size = RAM_SIZE;
    TlbEntry *e = &env->tlb[MMU_KERNEL][(PAGE_LIN >> 12) & (TLB_SIZE - 1)];
    e->tag_read = e->tag_write = PAGE_LIN;
    e->paddr = PAGE_RAM;
    e->addend = (uintptr_t)(env->ram + PAGE_RAM) - PAGE_LIN;
    for (int s = 0; s < 6; s++) {
        env->seg[s] = (SegCache){ .base = 0x1000, .limit = 0xffff, .lo = 0, .hi = 0xffff,
                                  .flags = DESC_P | DESC_S | DESC_W | DESC_A };
    }
    env->seg[SEG_ES].flags &= ~DESC_W;
    env->cr0 = CR0_PE;
    env->hflags = HF_PE | HF_CS32 | HF_SS32;
    return f;
}

static int emit_ld(IrBlock *b, int sizef, int aux, uint32_t off)
{
    return ir_ld(b, sizef, aux, ir_movi(b, off));
}

START_TEST(test_ld_tlb_hit)
{
    Fix *f = mem_fix();
    uint8_t *p = f->env->ram + PAGE_RAM + 0x10;
    memcpy(p, "\x81\x92\xa3\xb4\xc5", 5);
    int off = 0x4010;   /* DS:0x4010 = linear 0x5010 */
    int d32 = emit_ld(f->b, 4, SEG_DS | IRM_CHECK, off);
    int d16 = emit_ld(f->b, 2, SEG_DS | IRM_CHECK, off);
    int d16s = emit_ld(f->b, 2 | IRM_SIGNED, SEG_DS | IRM_CHECK, off);
    int d8 = emit_ld(f->b, 1, SEG_DS, off);
    int d8s = emit_ld(f->b, 1 | IRM_SIGNED, SEG_DS, off);
    int un = emit_ld(f->b, 4, SEG_DS | IRM_CHECK, off + 1);           /* unaligned */
    int lin = emit_ld(f->b, 4, SEG_NONE, PAGE_LIN + 0x10);           /* no segment: linear */
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    uint32_t *t = f->env->t;
    ck_assert_uint_eq(t[d32], 0xb4a39281u);
    ck_assert_uint_eq(t[d16], 0x9281);
    ck_assert_uint_eq(t[d16s], 0xffff9281u);
    ck_assert_uint_eq(t[d8], 0x81);
    ck_assert_uint_eq(t[d8s], 0xffffff81u);
    ck_assert_uint_eq(t[un], 0xc5b4a392u);
    ck_assert_uint_eq(t[lin], 0xb4a39281u);
    fix_free(f);
}
END_TEST

START_TEST(test_st_tlb_hit)
{
    Fix *f = mem_fix();
    IrBlock *b = f->b;
    ir_st(b, 4, SEG_DS | IRM_CHECK, ir_movi(b, 0x4020), ir_movi(b, 0x11223344u));
    ir_st(b, 2, SEG_SS | IRM_CHECK, ir_movi(b, 0x4030), ir_movi(b, 0xaaaa5566u));
    ir_st(b, 1, SEG_NONE, ir_movi(b, PAGE_LIN + 0x41), ir_movi(b, 0x777777ffu));
    ir_st(b, 4, SEG_DS | IRM_CHECK, ir_movi(b, 0x4ffc), ir_movi(b, 0xcafef00du));   /* last 4 bytes of the page */
    emit_exit(b, EXIT_NORMAL);
    fix_run(f);
    const uint8_t *p = f->env->ram + PAGE_RAM;
    ck_assert_mem_eq(p + 0x20, "\x44\x33\x22\x11", 4);
    ck_assert_mem_eq(p + 0x30, "\x66\x55\x00", 3);
    ck_assert_mem_eq(p + 0x40, "\x00\xff\x00", 3);
    ck_assert_mem_eq(p + 0xffc, "\x0d\xf0\xfe\xca", 4);
    fix_free(f);
}
END_TEST

START_TEST(test_user_tlb_is_separate)
{
    /* the page is only in the kernel TLB: a user-mode access misses and takes the slow path, which here reads
     * RAM at the linear address (paging off) */
    Fix *f = mem_fix();
    f->env->ram[PAGE_LIN + 0x10] = 0x5a;
    f->env->ram[PAGE_RAM + 0x10] = 0xa5;
    int k = emit_ld(f->b, 1, SEG_NONE, PAGE_LIN + 0x10);
    int u = emit_ld(f->b, 1, SEG_NONE | IRM_USER, PAGE_LIN + 0x10);
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[k], 0xa5);
    ck_assert_uint_eq(f->env->t[u], 0x5a);
    fix_free(f);
}
END_TEST

START_TEST(test_page_crossing_goes_slow)
{
    /* a 4-byte access at the last 2 bytes of the mapped page must not run past it through the TLB entry: its
     * first half comes from the mapped page (RAM 0x3ffe), its second half from linear page 0x6000 (paging off:
     * RAM 0x6000); the wrong fast path would touch RAM 0x4000 */
    Fix *f = mem_fix();
    uint8_t *ram = f->env->ram;
    memcpy(ram + PAGE_RAM + 0xffe, "\x11\x12\xee\xef", 4);
    memcpy(ram + PAGE_LIN + 0x1000, "\x33\x34", 2);
    int d = emit_ld(f->b, 4, SEG_NONE, PAGE_LIN + 0xffe);
    ir_st(f->b, 4, SEG_NONE, ir_movi(f->b, PAGE_LIN + 0xffe), ir_movi(f->b, 0xa4a3a2a1u));
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[d], 0x34331211u);
    ck_assert_mem_eq(ram + PAGE_RAM + 0xffe, "\xa1\xa2\xee\xef", 4);
    ck_assert_mem_eq(ram + PAGE_LIN + 0x1000, "\xa3\xa4", 2);
    fix_free(f);
}
END_TEST

/* A faulting access: returns the vector (or -1 when none) and checks cur_op points at the access. */
static int run_fault(Fix *f, int expect_op)
{
    f->env->exc_vector = -1;
    if (setjmp(f->env->jmp_env) == 0) {
        fix_run(f);
        return -1;
    }
    ck_assert_uint_eq(f->env->cur_op, expect_op);
    return f->env->exc_vector;
}

START_TEST(test_segment_checks)
{
    Fix *f = mem_fix();
    /* limit: DS offsets 0..0xFFFF; a dword at 0xFFFE crosses it -> #GP(0) before any global is written */
    emit_ld(f->b, 4, SEG_DS | IRM_CHECK, 0xfffe);
    int op = f->b->nops - 1;
    ir_mov(f->b, G_EAX, ir_movi(f->b, 1));
    emit_exit(f->b, EXIT_NORMAL);
    ck_assert_int_eq(run_fault(f, op), EXC_GP);
    ck_assert_int_eq(f->env->exc_error, 0);
    ck_assert_uint_eq(f->env->t[G_EAX], 0);
    fix_free(f);

    f = mem_fix();   /* stack segment -> #SS */
    ir_st(f->b, 2, SEG_SS | IRM_CHECK, ir_movi(f->b, 0xffffffffu), ir_movi(f->b, 0));
    emit_exit(f->b, EXIT_NORMAL);
    ck_assert_int_eq(run_fault(f, f->b->nops - 2), EXC_SS);
    fix_free(f);

    f = mem_fix();   /* store to a read-only data segment -> #GP; a load from it is fine */
    int ok = emit_ld(f->b, 4, SEG_ES | IRM_CHECK, 0x4000);
    ir_st(f->b, 1, SEG_ES | IRM_CHECK, ir_movi(f->b, 0x4000), ok);
    emit_exit(f->b, EXIT_NORMAL);
    ck_assert_int_eq(run_fault(f, f->b->nops - 2), EXC_GP);
    fix_free(f);

    f = mem_fix();   /* read-modify-write load checks writability up front */
    emit_ld(f->b, 4, SEG_ES | IRM_CHECK | IRM_RMW, 0x4000);
    emit_exit(f->b, EXIT_NORMAL);
    ck_assert_int_eq(run_fault(f, f->b->nops - 2), EXC_GP);
    fix_free(f);

    f = mem_fix();   /* without IRM_CHECK the limit is not tested (flat segments) */
    f->env->seg[SEG_DS].hi = 0xff;
    int d = emit_ld(f->b, 4, SEG_DS, 0x4010);
    emit_exit(f->b, EXIT_NORMAL);
    f->env->ram[PAGE_RAM + 0x10] = 0x99;
    ck_assert_int_eq(run_fault(f, 0), -1);
    ck_assert_uint_eq(f->env->t[d], 0x99);
    fix_free(f);
}
END_TEST

/* ---- helpers through libffi ---- */
START_TEST(test_call_helper)
{
    Fix *f = mem_fix();
    f->env->cr0 = 0;                  /* real mode: load_seg only sets selector and base */
    f->env->hflags = 0;
    f->env->t[G_EFLAGS] = 2;
    int d = ir_call(f->b, HELPER_load_seg, ir_movi(f->b, SEG_ES), ir_movi(f->b, 0x1234), IR_NONE);
    ck_assert_int_eq(d, IR_NONE);     /* void helper: no result temp */
    int op = f->b->nops - 1;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->seg[SEG_ES].sel, 0x1234);
    ck_assert_uint_eq(f->env->seg[SEG_ES].base, 0x12340);
    ck_assert_uint_eq(f->env->cur_op, op);
    fix_free(f);

    f = fix_new();                    /* a helper with a result, and one that cannot fault */
    f->env->cr2 = 0xdeadb000u;
    f->env->cur_op = 0xffff;
    d = ir_call(f->b, HELPER_mov_cr_read, ir_movi(f->b, 2), IR_NONE, IR_NONE);
    ck_assert_int_ne(d, IR_NONE);
    ir_mov(f->b, G_EBX, d);
    ir_call(f->b, HELPER_lgdt, ir_movi(f->b, 0x27), ir_movi(f->b, 0x00123456u), IR_NONE);
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[G_EBX], 0xdeadb000u);
    ck_assert_uint_eq(f->env->gdt_limit, 0x27);
    ck_assert_uint_eq(f->env->gdt_base, 0x00123456u);
    fix_free(f);
}
END_TEST

START_TEST(test_ccflags)
{
    Fix *f = fix_new();
    f->env->t[G_CC_OP] = CC_OP_EFLAGS;
    f->env->t[G_CC_SRC] = F_CF | F_ZF | F_OF | F_IF | 0x2;
    int d = ir_new_temp(f->b);
    ir_emit(f->b, IR_CCFLAGS)->d = (uint16_t)d;
    emit_exit(f->b, EXIT_NORMAL);
    fix_run(f);
    ck_assert_uint_eq(f->env->t[d], F_CF | F_ZF | F_OF);
    fix_free(f);
}
END_TEST

/* ---- throughput: what the translator emits for
 *     loop: add eax, ecx / xor ebx, eax / inc esi / lea edi, [edi+4] / dec ecx / jnz loop
 * (lazy flags for every instruction, EIP updates and the two chained exits), optimised, run chained to itself.
 * Prints guest MIPS; asserts only the architectural result. PCJIT_BENCH_ITERS overrides the iteration count. */
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
    int cf = ir_movi(b, 0);                /* INC keeps CF: after a LOGIC op the translator knows it is 0 */
    t = ir_op2i(b, IR_ADD_I, G_ESI, 1);
    ir_mov(b, G_ESI, t);
    SETCC4(CC_OP_INCL, t, cf, ir_movi(b, 0));
    INSN(3);
    ir_mov(b, G_EDI, ir_op2i(b, IR_ADD_I, G_EDI, 4));
    INSN(4);
    cf = ir_op1(b, IR_MOV, G_CC_SRC);      /* after INC, CF is INC's saved CF (cc_src) */
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

START_TEST(test_bench_loop)
{
    Fix *f = fix_new();
    const char *s = getenv("PCJIT_BENCH_ITERS");
    uint32_t iters = s ? (uint32_t)strtoul(s, NULL, 0) : 10000000u;
    struct timespec t0, t1, c0, c1;
    int nops_before;
    static char listing[16384];
    bench_build(f->b);
    nops_before = f->b->nops;
    if (getenv("PCJIT_BENCH_LIST"))
        ir_print(f->b, listing, sizeof(listing)), printf("before ir_optimize:\n%s", listing);
    ir_optimize(f->b);
    if (getenv("PCJIT_BENCH_LIST"))
        ir_print(f->b, listing, sizeof(listing)), printf("after ir_optimize:\n%s", listing);
    f->tb.ops = f->b->ops;
    f->tb.nops = (uint16_t)f->b->nops;
    f->tb.jmp_dest[0] = &f->tb;      /* chained to itself: the exec loop's linking, done by hand */
    f->env->t[G_ECX] = iters;
    f->env->t[G_CC_OP] = CC_OP_EFLAGS;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    uint64_t runs = 0;
    for (TB *tb = &f->tb; tb; runs++)
        tb = interp_run_tb(f->env, tb);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) * 1e-9;
    uint64_t insns = runs * 6;
    /* CPU time is the fairer number on a shared machine; wall time is printed too */
    printf("bench: integer loop, %d IR ops -> %d after ir_optimize; %llu guest insns: %.1f MIPS per CPU second "
           "(%.3f s CPU), %.1f MIPS wall (%.3f s)\n", nops_before, f->b->nops, (unsigned long long)insns,
           (double)insns / cpu / 1e6, cpu, (double)insns / secs / 1e6, secs);
    ck_assert_uint_eq(runs, iters);
    ck_assert_uint_eq(f->env->t[G_ECX], 0);
    ck_assert_uint_eq(f->env->t[G_EIP], 0x100b);
    ck_assert_uint_eq(f->env->t[G_ESI], iters);
    ck_assert_uint_eq(f->env->t[G_EDI], iters * 4);
    ck_assert_uint_eq(f->env->t[G_EAX], (uint32_t)((uint64_t)iters * (iters + 1) / 2));
    ck_assert_uint_eq(f->env->t[G_CC_OP], CC_OP_DECL);
    ck_assert_uint_eq(f->env->t[G_CC_DST], 0);
    fix_free(f);
}
END_TEST

static Suite *interp_suite(void)
{
    Suite *s = suite_create("interp");
    TCase *tc = tcase_create("ops");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_alu, 0, (int)(sizeof(alu_cases) / sizeof(alu_cases[0])));
    tcase_add_test(tc, test_mov_globals);
    tcase_add_test(tc, test_mul2);
    tcase_add_test(tc, test_extract_deposit);
    tcase_add_test(tc, test_conditions);
    tcase_add_test(tc, test_select);
    tcase_add_test(tc, test_loop_backward_branch);
    tcase_add_test(tc, test_exits);
    tcase_add_test(tc, test_ldenv_stenv);
    tcase_add_test(tc, test_raise);
    tcase_add_test(tc, test_ccflags);
    suite_add_tcase(s, tc);
    tc = tcase_create("memory");
    tcase_add_test(tc, test_ld_tlb_hit);
    tcase_add_test(tc, test_st_tlb_hit);
    tcase_add_test(tc, test_user_tlb_is_separate);
    tcase_add_test(tc, test_page_crossing_goes_slow);
    tcase_add_test(tc, test_segment_checks);
    tcase_add_test(tc, test_call_helper);
    suite_add_tcase(s, tc);
    tc = tcase_create("bench");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bench_loop);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(interp_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
