/* interp.c — the portable IR interpreter: runs a TB's optimised IR on env->t[] (globals and locals alike).
 * It is the reference engine the JIT backends are checked against, and the fallback on any host.
 * Dispatch is a computed goto over ir_ops.def (a missing handler is a compile error, so every op is covered).
 * Invariants:
 *   - before every op that can fault (LD, ST, CALL, RAISE) env->cur_op holds that op's index, so after the
 *     longjmp of cpu_raise_exception the exec loop can call tb_restore_state(env, tb, env->cur_op);
 *   - a TB's last op is a terminator (EXIT_TB, GOTO_TB, RAISE, BR): checked once per run, it guarantees that
 *     execution never walks past tb->ops[nops - 1] (branches only land on LABEL ops inside the block);
 *   - guest memory: the segment check and the TLB compare are done inline; anything else (limit/type failures,
 *     TLB misses, MMIO, pages holding code, page-crossing accesses) goes to mmu.c, which raises the faults;
 *   - helpers are called through libffi with the signature of their helpers.def row (env + nargs uint32).
 * Statistics: TLB misses and helper calls are counted in exec_stats (both are already on a slow path); TLB hits
 * are not counted, to keep the fast path free of a global memory increment.
 * Left out: instruction counting and interrupt checks (the exec loop does them between TBs); chaining decisions
 * (the exec loop links tb->jmp_dest). XXX: IRM_CODE loads are treated as data reads (no translator emits them). */
#include <assert.h>
#include <ffi.h>
#include <stdio.h>
#include <string.h>
#include "exec.h"
#include "helpers.h"
#include "mmu.h"

static ffi_cif helper_cif[HELPER_COUNT];
static bool interp_ready;

void interp_init(void)
{
    static ffi_type *arg_types[4] = { &ffi_type_pointer, &ffi_type_uint32, &ffi_type_uint32, &ffi_type_uint32 };
    if (interp_ready)
        return;
    for (int i = 0; i < HELPER_COUNT; i++) {
        ffi_status st = ffi_prep_cif(&helper_cif[i], FFI_DEFAULT_ABI, 1u + helper_info[i].nargs,
                                     helper_info[i].ret ? &ffi_type_uint32 : &ffi_type_void, arg_types);
        assert(st == FFI_OK && helper_info[i].nargs <= 3);
        (void)st;
    }
    interp_ready = true;
}

/* ---- conditions (IrCond) ----
 * Branch-free: six base predicates packed in a mask, then one bit picked and optionally inverted, so SETCC and
 * BRCOND cost no second indirect jump (a switch here showed up as a mispredicted jump table in profiles). */
enum { P_EQ, P_LTU, P_GTU, P_LT, P_GT, P_TZ };
static const uint8_t cond_pred[IRC_NB] = {
    [IRC_EQ] = P_EQ, [IRC_NE] = P_EQ, [IRC_LTU] = P_LTU, [IRC_GEU] = P_LTU, [IRC_LEU] = P_GTU, [IRC_GTU] = P_GTU,
    [IRC_LT] = P_LT, [IRC_GE] = P_LT, [IRC_LE] = P_GT, [IRC_GT] = P_GT, [IRC_TSTZ] = P_TZ, [IRC_TSTNZ] = P_TZ,
};
/* bit c set: the condition is the negation of its base predicate */
enum { COND_INVERTED = 1u << IRC_NE | 1u << IRC_GEU | 1u << IRC_LEU | 1u << IRC_GE | 1u << IRC_LE | 1u << IRC_TSTNZ };

static inline uint32_t interp_cond(unsigned c, uint32_t a, uint32_t b)
{
    uint32_t m = (uint32_t)(a == b) << P_EQ | (uint32_t)(a < b) << P_LTU | (uint32_t)(a > b) << P_GTU |
                 (uint32_t)((int32_t)a < (int32_t)b) << P_LT | (uint32_t)((int32_t)a > (int32_t)b) << P_GT |
                 (uint32_t)((a & b) == 0) << P_TZ;
    assert(c < IRC_NB);
    return ((m >> cond_pred[c]) & 1) ^ ((COND_INVERTED >> c) & 1);
}

/* ---- guest memory ---- */
static inline uint32_t host_ld(const uint8_t *p, unsigned size)
{
    uint16_t v16;
    uint32_t v32;
    switch (size) {
    case 1: return *p;
    case 2: memcpy(&v16, p, 2);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v16 = __builtin_bswap16(v16);
#endif
        return v16;
    default: memcpy(&v32, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v32 = __builtin_bswap32(v32);
#endif
        return v32;
    }
}

static inline void host_st(uint8_t *p, unsigned size, uint32_t v)
{
    uint16_t v16 = (uint16_t)v;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v16 = __builtin_bswap16(v16);
    v = __builtin_bswap32(v);
#endif
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: memcpy(p, &v16, 2); break;
    default: memcpy(p, &v, 4); break;
    }
}

/* Segment limit/type test for [off, off+size): the fast test is a conservative subset of the SDM rules
 * (vol 3 5.3, 5.4.1); when it fails, seg_check_access decides (and raises #GP(0)/#SS(0) if the access is bad). */
static inline uint32_t interp_linear(CpuState *env, unsigned aux, uint32_t off, unsigned size, bool write)
{
    unsigned seg = aux & IRM_SEG_MASK;
    const SegCache *s;
    if (seg == SEG_NONE)
        return off;
    assert(seg <= SEG_GS);
    s = &env->seg[seg];
    if (aux & IRM_CHECK) {
        bool ok = off >= s->lo && off <= s->hi && s->hi - off >= size - 1;
        if (write)
            ok = ok && (s->flags & (DESC_CODE | DESC_W)) == DESC_W;
        else
            ok = ok && (!(s->flags & DESC_CODE) || (s->flags & DESC_R));
        if (__builtin_expect(!ok, 0))
            seg_check_access(env, (int)seg, off, (int)size, write);
    }
    return off + s->base;
}

static __attribute__((noinline)) uint32_t interp_ld_slow(CpuState *env, uint32_t lin, unsigned size, int mmu)
{
    exec_stats.tlb_misses++;
    return mmu_ld_lin(env, lin, (int)size, mmu);
}

static __attribute__((noinline)) void interp_st_slow(CpuState *env, uint32_t lin, uint32_t v, unsigned size, int mmu)
{
    exec_stats.tlb_misses++;
    mmu_st_lin(env, lin, v, (int)size, mmu);
}

static inline uint32_t interp_ld(CpuState *env, const IrOp *op, uint32_t off)
{
    unsigned size = op->sz & IRM_SIZE_MASK;
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    uint32_t lin = interp_linear(env, op->aux, off, size, (op->aux & IRM_RMW) != 0);
    const TlbEntry *e = &env->tlb[mmu][(lin >> TARGET_PAGE_BITS) & (TLB_SIZE - 1)];
    uint32_t v;
    assert(size == 1 || size == 2 || size == 4);
    if ((lin & TARGET_PAGE_MASK) == e->tag_read && (lin & ~TARGET_PAGE_MASK) <= TARGET_PAGE_SIZE - size)
        v = host_ld((const uint8_t *)(e->addend + lin), size);
    else
        v = interp_ld_slow(env, lin, size, mmu);
    if (op->sz & IRM_SIGNED)
        v = size == 1 ? (uint32_t)(int8_t)v : size == 2 ? (uint32_t)(int16_t)v : v;
    return v;
}

static inline void interp_st(CpuState *env, const IrOp *op, uint32_t off, uint32_t v)
{
    unsigned size = op->sz & IRM_SIZE_MASK;
    int mmu = (op->aux & IRM_USER) ? MMU_USER : MMU_KERNEL;
    uint32_t lin = interp_linear(env, op->aux, off, size, true);
    const TlbEntry *e = &env->tlb[mmu][(lin >> TARGET_PAGE_BITS) & (TLB_SIZE - 1)];
    assert(size == 1 || size == 2 || size == 4);
    if ((lin & TARGET_PAGE_MASK) == e->tag_write && (lin & ~TARGET_PAGE_MASK) <= TARGET_PAGE_SIZE - size)
        host_st((uint8_t *)(e->addend + lin), size, v);
    else
        interp_st_slow(env, lin, v, size, mmu);
}

/* ---- helper calls through libffi ---- */
static __attribute__((noinline)) void interp_call(CpuState *env, const IrOp *op)
{
    uint32_t id = op->imm;
    uint32_t *t = env->t;
    uint32_t args[3];
    void *argv[4] = { &env, &args[0], &args[1], &args[2] };
    ffi_arg ret = 0;
    assert(id < HELPER_COUNT);
    if (!interp_ready)
        interp_init();
    args[0] = op->a != IR_NONE ? t[op->a] : 0;
    args[1] = op->b != IR_NONE ? t[op->b] : 0;
    args[2] = op->c != IR_NONE ? t[op->c] : 0;
    exec_stats.helper_calls++;
    ffi_call(&helper_cif[id], FFI_FN(helper_info[id].fn), &ret, argv);
    if (op->d != IR_NONE)
        t[op->d] = (uint32_t)ret;
}

/* ---- small pieces of op semantics ---- */
static inline uint32_t rol32(uint32_t a, uint32_t n)
{
    n &= 31;
    return n ? (a << n) | (a >> (32 - n)) : a;
}

static inline uint32_t ror32(uint32_t a, uint32_t n)
{
    n &= 31;
    return n ? (a >> n) | (a << (32 - n)) : a;
}

static inline uint32_t field_mask(unsigned len)
{
    return len >= 32 ? 0xffffffffu : (1u << len) - 1;
}

static uint32_t interp_ldenv(const CpuState *env, const IrOp *op)
{
    const uint8_t *p = (const uint8_t *)env + op->imm;
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;
    assert(op->imm + op->sz <= sizeof(CpuState));
    switch (op->sz) {
    case 1: memcpy(&v8, p, 1); return v8;
    case 2: memcpy(&v16, p, 2); return v16;
    default: memcpy(&v32, p, 4); return v32;
    }
}

static void interp_stenv(CpuState *env, const IrOp *op, uint32_t v)
{
    uint8_t *p = (uint8_t *)env + op->imm;
    uint8_t v8 = (uint8_t)v;
    uint16_t v16 = (uint16_t)v;
    assert(op->imm + op->sz <= sizeof(CpuState));
    switch (op->sz) {
    case 1: memcpy(p, &v8, 1); break;
    case 2: memcpy(p, &v16, 2); break;
    default: memcpy(p, &v, 4); break;
    }
}

/* Branch target: BR/BRCOND carry the index of their LABEL op in c (filled by ir_optimize); anything else
 * (hand-built IR, unoptimised blocks) is resolved by a scan. Returns the label op. */
static __attribute__((noinline)) const IrOp *interp_find_label(const TB *tb, unsigned label)
{
    for (unsigned i = 0; i < tb->nops; i++)
        if (tb->ops[i].op == IR_LABEL && tb->ops[i].aux == label)
            return &tb->ops[i];
    assert(!"branch to a label that is not in the block");
    return &tb->ops[tb->nops - 1];
}

static inline const IrOp *interp_label(const TB *tb, const IrOp *op)
{
    unsigned c = op->c;
    if (c < tb->nops && tb->ops[c].op == IR_LABEL && tb->ops[c].aux == op->aux)
        return &tb->ops[c];
    return interp_find_label(tb, op->aux);
}

static bool interp_is_terminator(unsigned op)
{
    return op == IR_EXIT_TB || op == IR_GOTO_TB || op == IR_RAISE || op == IR_BR;
}

static TB *interp_goto_tb(CpuState *env, TB *tb, unsigned slot)
{
    TB *next = tb->jmp_dest[slot & 1];
    env->exit_reason = EXIT_NORMAL;
    env->exit_slot = (int32_t)(slot & 1);
    return next && !next->invalid ? next : NULL;
}

TB *interp_run_tb(CpuState *env, TB *tb)
{
    static const void *const dispatch[IR_NUM_OPS] = {
#define DEF(name, nout, nin, flags) [IR_##name] = &&do_##name,
#include "ir_ops.def"
#undef DEF
    };
    uint32_t *const t = env->t;
    const IrOp *const ops = tb->ops;
    const IrOp *op = ops;

    assert(tb->nops > 0 && interp_is_terminator(ops[tb->nops - 1].op));
    env->exit_slot = -1;
#define NEXT() do { op++; goto *dispatch[op->op]; } while (0)
#define JUMP(lbl) do { op = (lbl); NEXT(); } while (0)
#define FAULT_POINT() (env->cur_op = (uint32_t)(op - ops))
#define A t[op->a]
#define B t[op->b]
    goto *dispatch[op->op];

do_MOV:      t[op->d] = A; NEXT();
do_MOVI:     t[op->d] = op->imm; NEXT();
do_ADD:      t[op->d] = A + B; NEXT();
do_ADD_I:    t[op->d] = A + op->imm; NEXT();
do_SUB:      t[op->d] = A - B; NEXT();
do_SUB_I:    t[op->d] = A - op->imm; NEXT();
do_AND:      t[op->d] = A & B; NEXT();
do_AND_I:    t[op->d] = A & op->imm; NEXT();
do_OR:       t[op->d] = A | B; NEXT();
do_OR_I:     t[op->d] = A | op->imm; NEXT();
do_XOR:      t[op->d] = A ^ B; NEXT();
do_XOR_I:    t[op->d] = A ^ op->imm; NEXT();
do_SHL:      t[op->d] = A << (B & 31); NEXT();
do_SHL_I:    t[op->d] = A << (op->imm & 31); NEXT();
do_SHR:      t[op->d] = A >> (B & 31); NEXT();
do_SHR_I:    t[op->d] = A >> (op->imm & 31); NEXT();
do_SAR:      t[op->d] = (uint32_t)((int32_t)A >> (B & 31)); NEXT();
do_SAR_I:    t[op->d] = (uint32_t)((int32_t)A >> (op->imm & 31)); NEXT();
do_ROL:      t[op->d] = rol32(A, B); NEXT();
do_ROL_I:    t[op->d] = rol32(A, op->imm); NEXT();
do_ROR:      t[op->d] = ror32(A, B); NEXT();
do_ROR_I:    t[op->d] = ror32(A, op->imm); NEXT();
do_MUL:      t[op->d] = A * B; NEXT();
do_MULU2:  { uint64_t r = (uint64_t)A * B; t[op->d] = (uint32_t)r; t[op->c] = (uint32_t)(r >> 32); NEXT(); }
do_MULS2:  { int64_t r = (int64_t)(int32_t)A * (int32_t)B;
             t[op->d] = (uint32_t)r; t[op->c] = (uint32_t)((uint64_t)r >> 32); NEXT(); }
do_NEG:      t[op->d] = 0u - A; NEXT();
do_NOT:      t[op->d] = ~A; NEXT();
do_EXT8S:    t[op->d] = (uint32_t)(int8_t)A; NEXT();
do_EXT8U:    t[op->d] = (uint8_t)A; NEXT();
do_EXT16S:   t[op->d] = (uint32_t)(int16_t)A; NEXT();
do_EXT16U:   t[op->d] = (uint16_t)A; NEXT();
do_EXTRACT:  t[op->d] = (A >> (op->imm & 31)) & field_mask(op->sz); NEXT();
do_DEPOSIT: { uint32_t m = field_mask(op->sz) << (op->imm & 31);
             t[op->d] = (A & ~m) | ((B << (op->imm & 31)) & m); NEXT(); }
do_BSWAP:    t[op->d] = __builtin_bswap32(A); NEXT();
do_CTZ:      t[op->d] = A ? (uint32_t)__builtin_ctz(A) : 32; NEXT();   /* 0: defined here, not by the IR */
do_CLZ:      t[op->d] = A ? (uint32_t)__builtin_clz(A) : 32; NEXT();
do_SETCC:    t[op->d] = interp_cond(op->sz, A, B); NEXT();
do_SETCC_I:  t[op->d] = interp_cond(op->sz, A, op->imm); NEXT();
do_SELECT:   t[op->d] = t[op->c] ? A : B; NEXT();
do_CCFLAGS:  t[op->d] = cc_compute_flags(t[G_CC_OP], t[G_CC_DST], t[G_CC_SRC], t[G_CC_SRC2]); NEXT();
do_LD:       FAULT_POINT(); t[op->d] = interp_ld(env, op, A); NEXT();
do_ST:       FAULT_POINT(); interp_st(env, op, A, B); NEXT();
do_LDENV:    t[op->d] = interp_ldenv(env, op); NEXT();
do_STENV:    interp_stenv(env, op, A); NEXT();
do_CALL:     FAULT_POINT(); interp_call(env, op); NEXT();
do_RAISE:    FAULT_POINT(); cpu_raise_exception(env, op->aux, op->imm == 0xffffffffu ? -1 : (int)op->imm);
do_LABEL:    NEXT();
do_BR:       JUMP(interp_label(tb, op));
do_BRCOND:   if (interp_cond(op->sz, A, B)) JUMP(interp_label(tb, op)); NEXT();
do_BRCOND_I: if (interp_cond(op->sz, A, op->imm)) JUMP(interp_label(tb, op)); NEXT();
do_GOTO_TB:  return interp_goto_tb(env, tb, op->imm);
do_EXIT_TB:  env->exit_reason = op->imm; return NULL;
#undef NEXT
#undef JUMP
#undef FAULT_POINT
#undef A
#undef B
}
