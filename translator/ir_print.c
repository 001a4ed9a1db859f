/* ir_print.c — the human-readable IR listing (-d ir, -d ir_opt, tests, docs/ir.md).
 * One op per line: `    t17 = add t3, t16`, globals by register name (eax, eip, cc_op ...), memory as
 * `    ld32 t5, [ds:t4] chk`, helper calls as `    call load_seg(t1, t2)`, labels as `L3:` and each guest
 * instruction's first op preceded by `---- 0x00001000` (from b->insn_op / b->insn_eip).
 * Invariants: never writes more than bufsize bytes (always NUL-terminated when bufsize > 0); any op, even a
 * malformed one, prints something (unknown opcodes as `?op`), so the listing is safe for debugging bad IR.
 * Left out: parsing the listing back (not needed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "ir.h"

typedef struct Out { char *buf; int size, len; } Out;

static void out_printf(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(Out *o, const char *fmt, ...)
{
    va_list ap;
    int room = o->size - o->len, n;
    if (room <= 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, (size_t)room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += n < room ? n : room - 1;
}

static const char *const global_names[IR_NUM_GLOBALS] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
    "eip", "eflags", "cc_op", "cc_dst", "cc_src", "cc_src2", "g14", "g15",
};
static const char *const cond_names[IRC_NB] = {
    "eq", "ne", "ltu", "geu", "leu", "gtu", "lt", "ge", "le", "gt", "tstz", "tstnz",
};
static const char *const seg_names[8] = { "es", "cs", "ss", "ds", "fs", "gs", "seg6", "lin" };

/* A temp's name into a small buffer: globals by register name, locals as tN, none as "-". */
static const char *temp_name(char *tmp, size_t n, uint16_t t)
{
    if (t == IR_NONE)
        return "-";
    if (t < IR_NUM_GLOBALS)
        return global_names[t];
    snprintf(tmp, n, "t%u", (unsigned)t);
    return tmp;
}
#define TN(idx, t) temp_name(nm[idx], sizeof(nm[idx]), (t))

static const char *cond_name(uint8_t c)
{
    return c < IRC_NB ? cond_names[c] : "?cond";
}

/* Lower-case op name (the table has the enum spelling). */
static void op_name(char *dst, size_t n, unsigned op)
{
    const char *s = op < IR_NUM_OPS ? ir_op_info[op].name : "?op";
    size_t i;
    for (i = 0; s[i] && i + 1 < n; i++)
        dst[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    dst[i] = 0;
}

/* Names for the CpuState fields the translator reaches with LDENV/STENV: segment caches field by field, then
 * the scalar system registers. Anything else prints as a raw offset. */
static const struct { size_t off; const char *name; } seg_fields[] = {
    { offsetof(SegCache, base), "base" }, { offsetof(SegCache, limit), "limit" },
    { offsetof(SegCache, flags), "flags" }, { offsetof(SegCache, lo), "lo" }, { offsetof(SegCache, hi), "hi" },
    { offsetof(SegCache, sel), "sel" },
};
#define ENV_FIELD(f) { offsetof(CpuState, f), #f }
static const struct { size_t off; const char *name; } env_fields[] = {
    ENV_FIELD(gdt_base), ENV_FIELD(gdt_limit), ENV_FIELD(idt_base), ENV_FIELD(idt_limit),
    ENV_FIELD(cr0), ENV_FIELD(cr2), ENV_FIELD(cr3), ENV_FIELD(cr4),
    ENV_FIELD(dr[0]), ENV_FIELD(dr[1]), ENV_FIELD(dr[2]), ENV_FIELD(dr[3]), ENV_FIELD(dr[6]), ENV_FIELD(dr[7]),
    ENV_FIELD(hflags), ENV_FIELD(a20_mask), ENV_FIELD(exit_request), ENV_FIELD(pending_irq),
    ENV_FIELD(halted), ENV_FIELD(sysenter_cs), ENV_FIELD(sysenter_esp), ENV_FIELD(sysenter_eip),
};
#undef ENV_FIELD

static bool print_seg_field(Out *o, size_t off)
{
    static const char *const segs[8] = { "es", "cs", "ss", "ds", "fs", "gs", "ldtr", "tr" };
    size_t first = offsetof(CpuState, seg), n = 8;   /* seg[6], ldtr, tr are contiguous SegCaches */
    if (offsetof(CpuState, tr) != first + 7 * sizeof(SegCache) || off < first || off >= first + n * sizeof(SegCache))
        return false;
    size_t i = (off - first) / sizeof(SegCache), rem = (off - first) % sizeof(SegCache);
    for (size_t k = 0; k < sizeof(seg_fields) / sizeof(seg_fields[0]); k++)
        if (seg_fields[k].off == rem) {
            out_printf(o, "[env.%s.%s]", segs[i], seg_fields[k].name);
            return true;
        }
    return false;
}

static void print_env(Out *o, uint32_t off)
{
    if (print_seg_field(o, off))
        return;
    for (size_t i = 0; i < sizeof(env_fields) / sizeof(env_fields[0]); i++)
        if (env_fields[i].off == off) {
            out_printf(o, "[env.%s]", env_fields[i].name);
            return;
        }
    out_printf(o, "[env+0x%x]", off);
}

static void print_mem_flags(Out *o, const IrOp *op)
{
    if (op->aux & IRM_CHECK)
        out_printf(o, " chk");
    if (op->aux & IRM_RMW)
        out_printf(o, " rmw");
    if (op->aux & IRM_USER)
        out_printf(o, " user");
    if (op->aux & IRM_CODE)
        out_printf(o, " code");
}

static void print_mem(Out *o, const IrOp *op)
{
    char nm[2][16];
    const char *seg = seg_names[op->aux & IRM_SEG_MASK];
    unsigned bits = (op->sz & IRM_SIZE_MASK) * 8;
    if (op->op == IR_LD)
        out_printf(o, "ld%u%s %s, [%s:%s]", bits, (op->sz & IRM_SIGNED) ? "s" : "", TN(0, op->d), seg,
                   TN(1, op->a));
    else
        out_printf(o, "st%u [%s:%s], %s", bits, seg, TN(0, op->a), TN(1, op->b));
    print_mem_flags(o, op);
}

static void print_call(Out *o, const IrOp *op)
{
    char nm[4][16];
    const char *name = op->imm < HELPER_COUNT ? helper_info[op->imm].name : "?helper";
    int nargs = op->imm < HELPER_COUNT ? helper_info[op->imm].nargs : 3;
    uint16_t args[3] = { op->a, op->b, op->c };
    if (op->d != IR_NONE)
        out_printf(o, "%s = ", TN(3, op->d));
    out_printf(o, "call %s(", name);
    for (int i = 0; i < nargs && i < 3; i++)
        out_printf(o, "%s%s", i ? ", " : "", TN(i, args[i]));
    out_printf(o, ")");
}

/* Exception mnemonic as in the SDM (vol 3 table 6-1): #GP, #PF ...; other vectors by number. */
static const char *vector_name(char *tmp, size_t n, unsigned v)
{
    static const char *const names[] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", NULL, "#TS", "#NP", "#SS", "#GP", "#PF",
        NULL, "#MF", "#AC", "#MC",
    };
    if (v < sizeof(names) / sizeof(names[0]) && names[v])
        return names[v];
    snprintf(tmp, n, "vector %u", v);
    return tmp;
}

static const char *exit_name(uint32_t r)
{
    static const char *const n[] = { "normal", "mode", "halt", "irq_check" };
    return r < 4 ? n[r] : "?";
}

/* Everything that is not the generic `d = op a, b` shape. Returns false if op is generic. */
static bool print_special(Out *o, const IrOp *op, const char *name)
{
    char nm[4][16];
    switch (op->op) {
    case IR_MOVI: out_printf(o, "%s = movi 0x%x", TN(0, op->d), op->imm); return true;
    case IR_MULU2: case IR_MULS2:
        out_printf(o, "%s, %s = %s %s, %s", TN(0, op->d), TN(1, op->c), name, TN(2, op->a), TN(3, op->b));
        return true;
    case IR_EXTRACT:
        out_printf(o, "%s = extract %s, pos %u, len %u", TN(0, op->d), TN(1, op->a), op->imm, op->sz);
        return true;
    case IR_DEPOSIT:
        out_printf(o, "%s = deposit %s, %s, pos %u, len %u", TN(0, op->d), TN(1, op->a), TN(2, op->b), op->imm,
                   op->sz);
        return true;
    case IR_SETCC:
        out_printf(o, "%s = setcc.%s %s, %s", TN(0, op->d), cond_name(op->sz), TN(1, op->a), TN(2, op->b));
        return true;
    case IR_SETCC_I:
        out_printf(o, "%s = setcc.%s %s, 0x%x", TN(0, op->d), cond_name(op->sz), TN(1, op->a), op->imm);
        return true;
    case IR_SELECT:
        out_printf(o, "%s = select %s ? %s : %s", TN(0, op->d), TN(1, op->c), TN(2, op->a), TN(3, op->b));
        return true;
    case IR_CCFLAGS: out_printf(o, "%s = ccflags", TN(0, op->d)); return true;
    case IR_LD: case IR_ST: print_mem(o, op); return true;
    case IR_LDENV:
        out_printf(o, "%s = ldenv%u ", TN(0, op->d), op->sz * 8);
        print_env(o, op->imm);
        return true;
    case IR_STENV:
        out_printf(o, "stenv%u ", op->sz * 8);
        print_env(o, op->imm);
        out_printf(o, ", %s", TN(0, op->a));
        return true;
    case IR_CALL: print_call(o, op); return true;
    case IR_RAISE:
        if (op->imm == 0xffffffffu)
            out_printf(o, "raise %s", vector_name(nm[0], sizeof(nm[0]), op->aux));
        else
            out_printf(o, "raise %s(0x%x)", vector_name(nm[0], sizeof(nm[0]), op->aux), op->imm);
        return true;
    case IR_BR: out_printf(o, "br L%u", op->aux); return true;
    case IR_BRCOND:
        out_printf(o, "brcond.%s %s, %s, L%u", cond_name(op->sz), TN(0, op->a), TN(1, op->b), op->aux);
        return true;
    case IR_BRCOND_I:
        out_printf(o, "brcond.%s %s, 0x%x, L%u", cond_name(op->sz), TN(0, op->a), op->imm, op->aux);
        return true;
    case IR_GOTO_TB: out_printf(o, "goto_tb %u", op->imm); return true;
    case IR_EXIT_TB: out_printf(o, "exit_tb %s", exit_name(op->imm)); return true;
    default: return false;
    }
}

/* The generic shapes: `d = op a`, `d = op a, b`, `d = op a, imm` (the _I forms). */
static void print_generic(Out *o, const IrOp *op, const char *name)
{
    char nm[3][16];
    size_t len = strlen(name);
    bool imm_form = len > 2 && name[len - 2] == '_' && name[len - 1] == 'i';
    int nin = op->op < IR_NUM_OPS ? ir_op_info[op->op].nin : 0;
    char base[16];
    snprintf(base, sizeof(base), "%.*s", (int)(imm_form ? len - 2 : len), name);
    out_printf(o, "%s = %s %s", TN(0, op->d), base, TN(1, op->a));
    if (imm_form)
        out_printf(o, ", 0x%x", op->imm);
    else if (nin >= 2)
        out_printf(o, ", %s", TN(2, op->b));
}

int ir_print(const IrBlock *b, char *buf, int bufsize)
{
    Out o = { buf, bufsize, 0 };
    int insn = 0;
    if (bufsize > 0)
        buf[0] = 0;
    for (int i = 0; i < b->nops; i++) {
        const IrOp *op = &b->ops[i];
        char name[24];
        while (insn < b->ninsns && insn < TB_MAX_INSNS && b->insn_op[insn] <= i) {
            if (b->insn_op[insn] == i)
                out_printf(&o, "---- 0x%08x\n", b->insn_eip[insn]);
            insn++;
        }
        if (op->op == IR_LABEL) {
            out_printf(&o, "L%u:\n", op->aux);
            continue;
        }
        op_name(name, sizeof(name), op->op);
        out_printf(&o, "    ");
        if (!print_special(&o, op, name))
            print_generic(&o, op, name);
        out_printf(&o, "\n");
    }
    return o.len;
}
