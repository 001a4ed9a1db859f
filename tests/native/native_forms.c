/* native_forms.c — the instruction forms of the native differential test, their encodings, their inputs, and the
 * table of flags the Intel SDM documents as undefined (so they are not compared: the host may be an AMD CPU, and
 * the P6 behaviour pcjit models is not the host's).
 * Also the pairs "A ; B": which flags B reads and writes, so undefined flags are propagated exactly.
 * Invariants: see native.h (encodings valid and equivalent in 32- and 64-bit mode; ESP never an operand; memory
 * operands only through buffer pointers, which no instruction of the case uses as data; DIV/IDIV inputs never
 * fault).
 * Left out: forms not encodable in 64-bit mode (BCD, 40-4F INC/DEC, PUSHA...), stack instructions (the host stack
 * and the guest stack differ), far/system instructions. */
#include <stdio.h>
#include <string.h>
#include "native.h"
#include "cpu.h"   /* F_* flag bits */

uint64_t nd_rand(NdRng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(NdRng *r, uint32_t n) { return (uint32_t)(nd_rand(r) >> 33) % n; }

/* ------------------------------------------------------------------ the form table */

typedef struct FormSpec {
    const char *name;
    uint8_t op[3], nop;
    int8_t ext;
    uint8_t rsize, msize;  /* 0xff: the operand size */
    uint8_t imm;           /* 0xff: operand size capped at 4 (Iv), 1: ib */
    uint8_t cnt, kind, flags;
    uint8_t sizes;         /* bit 0: 8-bit, 1: 16-bit, 2: 32-bit */
} FormSpec;

enum { V = 0xff, S8 = 1, S16 = 2, S32 = 4, SV = S16 | S32, SALL = 7 };
#define M (NDF_MODRM | NDF_MEM)
#define R NDF_MODRM

static const char *const alu_names[8] = { "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP" };
static const char *const shift_names[8] = { "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR" };
static const char *const cc_names[16] = {
    "O", "NO", "B", "AE", "E", "NE", "BE", "A", "S", "NS", "P", "NP", "L", "GE", "LE", "G",
};

/* Fixed (non-generated) forms: one row per opcode form (SDM vol 2 opcode tables). */
static const FormSpec fixed_forms[] = {
    { "TEST Eb,Gb", { 0x84 }, 1, -1, 1, 1, 0, 0, K_LOGIC, M, S8 },
    { "TEST Ev,Gv", { 0x85 }, 1, -1, V, V, 0, 0, K_LOGIC, M, SV },
    { "TEST AL,Ib", { 0xa8 }, 1, -1, 0, 0, 1, 0, K_LOGIC, 0, S8 },
    { "TEST eAX,Iv", { 0xa9 }, 1, -1, 0, 0, V, 0, K_LOGIC, 0, SV },
    { "TEST Eb,Ib", { 0xf6 }, 1, 0, 0, 1, 1, 0, K_LOGIC, M, S8 },
    { "TEST Ev,Iv", { 0xf7 }, 1, 0, 0, V, V, 0, K_LOGIC, M, SV },
    { "INC Eb", { 0xfe }, 1, 0, 0, 1, 0, 0, K_ARITH, M, S8 },
    { "DEC Eb", { 0xfe }, 1, 1, 0, 1, 0, 0, K_ARITH, M, S8 },
    { "INC Ev", { 0xff }, 1, 0, 0, V, 0, 0, K_ARITH, M, SV },
    { "DEC Ev", { 0xff }, 1, 1, 0, V, 0, 0, K_ARITH, M, SV },
    { "NOT Eb", { 0xf6 }, 1, 2, 0, 1, 0, 0, K_NONE, M, S8 },
    { "NEG Eb", { 0xf6 }, 1, 3, 0, 1, 0, 0, K_ARITH, M, S8 },
    { "NOT Ev", { 0xf7 }, 1, 2, 0, V, 0, 0, K_NONE, M, SV },
    { "NEG Ev", { 0xf7 }, 1, 3, 0, V, 0, 0, K_ARITH, M, SV },
    { "MUL Eb", { 0xf6 }, 1, 4, 0, 1, 0, 0, K_MUL, M, S8 },
    { "IMUL Eb", { 0xf6 }, 1, 5, 0, 1, 0, 0, K_MUL, M, S8 },
    { "DIV Eb", { 0xf6 }, 1, 6, 0, 1, 0, 0, K_DIV, R, S8 },
    { "IDIV Eb", { 0xf6 }, 1, 7, 0, 1, 0, 0, K_IDIV, R, S8 },
    { "MUL Ev", { 0xf7 }, 1, 4, 0, V, 0, 0, K_MUL, M, SV },
    { "IMUL Ev", { 0xf7 }, 1, 5, 0, V, 0, 0, K_MUL, M, SV },
    { "DIV Ev", { 0xf7 }, 1, 6, 0, V, 0, 0, K_DIV, R, SV },
    { "IDIV Ev", { 0xf7 }, 1, 7, 0, V, 0, 0, K_IDIV, R, SV },
    { "IMUL Gv,Ev", { 0x0f, 0xaf }, 2, -1, V, V, 0, 0, K_MUL, M, SV },
    { "IMUL Gv,Ev,Iv", { 0x69 }, 1, -1, V, V, V, 0, K_MUL, M, SV },
    { "IMUL Gv,Ev,Ib", { 0x6b }, 1, -1, V, V, 1, 0, K_MUL, M, SV },
    { "SHLD Ev,Gv,Ib", { 0x0f, 0xa4 }, 2, -1, V, V, 1, CNT_IMM8, K_SHLD, M, SV },
    { "SHLD Ev,Gv,CL", { 0x0f, 0xa5 }, 2, -1, V, V, 0, CNT_CL, K_SHLD, M, SV },
    { "SHRD Ev,Gv,Ib", { 0x0f, 0xac }, 2, -1, V, V, 1, CNT_IMM8, K_SHLD, M, SV },
    { "SHRD Ev,Gv,CL", { 0x0f, 0xad }, 2, -1, V, V, 0, CNT_CL, K_SHLD, M, SV },
    { "BT Ev,Gv", { 0x0f, 0xa3 }, 2, -1, V, V, 0, 0, K_BT, M | NDF_BTMEM, SV },
    { "BTS Ev,Gv", { 0x0f, 0xab }, 2, -1, V, V, 0, 0, K_BT, M | NDF_BTMEM, SV },
    { "BTR Ev,Gv", { 0x0f, 0xb3 }, 2, -1, V, V, 0, 0, K_BT, M | NDF_BTMEM, SV },
    { "BTC Ev,Gv", { 0x0f, 0xbb }, 2, -1, V, V, 0, 0, K_BT, M | NDF_BTMEM, SV },
    { "BT Ev,Ib", { 0x0f, 0xba }, 2, 4, 0, V, 1, 0, K_BT, M, SV },
    { "BTS Ev,Ib", { 0x0f, 0xba }, 2, 5, 0, V, 1, 0, K_BT, M, SV },
    { "BTR Ev,Ib", { 0x0f, 0xba }, 2, 6, 0, V, 1, 0, K_BT, M, SV },
    { "BTC Ev,Ib", { 0x0f, 0xba }, 2, 7, 0, V, 1, 0, K_BT, M, SV },
    { "BSF Gv,Ev", { 0x0f, 0xbc }, 2, -1, V, V, 0, 0, K_BSF, M, SV },
    { "BSR Gv,Ev", { 0x0f, 0xbd }, 2, -1, V, V, 0, 0, K_BSF, M, SV },
    { "BSWAP r32", { 0x0f, 0xc8 }, 2, -1, 4, 0, 0, 0, K_NONE, NDF_OPREG, S32 },
    { "XADD Eb,Gb", { 0x0f, 0xc0 }, 2, -1, 1, 1, 0, 0, K_ARITH, M, S8 },
    { "XADD Ev,Gv", { 0x0f, 0xc1 }, 2, -1, V, V, 0, 0, K_ARITH, M, SV },
    { "CMPXCHG Eb,Gb", { 0x0f, 0xb0 }, 2, -1, 1, 1, 0, 0, K_ARITH, M, S8 },
    { "CMPXCHG Ev,Gv", { 0x0f, 0xb1 }, 2, -1, V, V, 0, 0, K_ARITH, M, SV },
    { "XCHG Eb,Gb", { 0x86 }, 1, -1, 1, 1, 0, 0, K_NONE, M, S8 },
    { "XCHG Ev,Gv", { 0x87 }, 1, -1, V, V, 0, 0, K_NONE, M, SV },
    { "MOVZX Gv,Eb", { 0x0f, 0xb6 }, 2, -1, V, 1, 0, 0, K_NONE, M, SV },
    { "MOVZX Gd,Ew", { 0x0f, 0xb7 }, 2, -1, 4, 2, 0, 0, K_NONE, M, S32 },
    { "MOVSX Gv,Eb", { 0x0f, 0xbe }, 2, -1, V, 1, 0, 0, K_NONE, M, SV },
    { "MOVSX Gd,Ew", { 0x0f, 0xbf }, 2, -1, 4, 2, 0, 0, K_NONE, M, S32 },
    { "CBW/CWDE", { 0x98 }, 1, -1, 0, 0, 0, 0, K_NONE, 0, SV },
    { "CWD/CDQ", { 0x99 }, 1, -1, 0, 0, 0, 0, K_NONE, 0, SV },
    { "LAHF", { 0x9f }, 1, -1, 0, 0, 0, 0, K_NONE, 0, S32 },
    { "SAHF", { 0x9e }, 1, -1, 0, 0, 0, 0, K_NONE, 0, S32 },
    { "CMC", { 0xf5 }, 1, -1, 0, 0, 0, 0, K_NONE, 0, S32 },
    { "CLC", { 0xf8 }, 1, -1, 0, 0, 0, 0, K_NONE, 0, S32 },
    { "STC", { 0xf9 }, 1, -1, 0, 0, 0, 0, K_NONE, 0, S32 },
    /* string instructions (SDM vol 2 MOVS/STOS/LODS/CMPS/SCAS, REP/REPE/REPNE) */
    { "MOVS", { 0xa4 }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING, SALL },
    { "REP MOVS", { 0xa4 }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING | NDF_REP, SALL },
    { "STOS", { 0xaa }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING, SALL },
    { "REP STOS", { 0xaa }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING | NDF_REP, SALL },
    { "LODS", { 0xac }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING, SALL },
    { "REP LODS", { 0xac }, 1, -1, 0, 0, 0, 0, K_NONE, NDF_STRING | NDF_REP, SALL },
    { "CMPS", { 0xa6 }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING, SALL },
    { "REPE CMPS", { 0xa6 }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING | NDF_REP, SALL },
    { "REPNE CMPS", { 0xa6 }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING | NDF_REPNE, SALL },
    { "SCAS", { 0xae }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING, SALL },
    { "REPE SCAS", { 0xae }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING | NDF_REP, SALL },
    { "REPNE SCAS", { 0xae }, 1, -1, 0, 0, 0, 0, K_ARITH, NDF_STRING | NDF_REPNE, SALL },
};

static int size_bit(int size) { return size == 1 ? S8 : size == 2 ? S16 : S32; }

/* Add spec s at operand size `size` to forms[]. For byte forms whose opcode has a word/dword twin with the low
 * bit set (string ops), the caller passes the adjusted opcode. */
static int add_form(NdForm *forms, int n, int max, const FormSpec *s, int size, uint8_t opfix)
{
    if (n >= max)
        return n;
    NdForm *f = &forms[n];
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "%s/%d", s->name, size * 8);
    memcpy(f->op, s->op, sizeof(f->op));
    f->nop = s->nop;
    f->op[f->nop - 1] |= opfix;
    f->ext = s->ext;
    f->osize = (uint8_t)size;
    f->rsize = s->rsize == V ? (uint8_t)size : s->rsize;
    f->msize = s->msize == V ? (uint8_t)size : s->msize;
    f->imm = s->imm == V ? (uint8_t)size : s->imm;
    f->cnt = s->cnt;
    f->kind = s->kind;
    f->flags = s->flags;
    if (s->ext >= 0 || s->rsize || s->msize)
        f->flags |= NDF_MODRM;
    if (s->flags & NDF_OPREG)
        f->flags &= (uint8_t)~NDF_MODRM;
    return n + 1;
}

/* ALU group: 8 operations x (Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib eAX,Iv 80 81 83) (SDM vol 2 A.3, table A-2). */
static int build_alu(NdForm *forms, int n, int max)
{
    for (int op = 0; op < 8; op++) {
        uint8_t base = (uint8_t)(op * 8), kind = (op == 1 || op == 4 || op == 6) ? K_LOGIC : K_ARITH;
        char nm[8][24];
        static const char *const shapes[8] = { "Eb,Gb", "Ev,Gv", "Gb,Eb", "Gv,Ev", "AL,Ib", "eAX,Iv", "Eb,Ib",
                                               "Ev,Iv" };
        for (int k = 0; k < 8; k++)
            snprintf(nm[k], sizeof(nm[k]), "%s %s", alu_names[op], shapes[k]);
        FormSpec rows[] = {
            { nm[0], { base }, 1, -1, 1, 1, 0, 0, kind, M, S8 },
            { nm[1], { (uint8_t)(base + 1) }, 1, -1, V, V, 0, 0, kind, M, SV },
            { nm[2], { (uint8_t)(base + 2) }, 1, -1, 1, 1, 0, 0, kind, M, S8 },
            { nm[3], { (uint8_t)(base + 3) }, 1, -1, V, V, 0, 0, kind, M, SV },
            { nm[4], { (uint8_t)(base + 4) }, 1, -1, 0, 0, 1, 0, kind, 0, S8 },
            { nm[5], { (uint8_t)(base + 5) }, 1, -1, 0, 0, V, 0, kind, 0, SV },
            { nm[6], { 0x80 }, 1, (int8_t)op, 0, 1, 1, 0, kind, M, S8 },
            { nm[7], { 0x81 }, 1, (int8_t)op, 0, V, V, 0, kind, M, SV },
        };
        for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++)
            for (int size = 1; size <= 4; size *= 2)
                if (rows[k].sizes & size_bit(size))
                    n = add_form(forms, n, max, &rows[k], size, 0);
        char nm83[24];
        snprintf(nm83, sizeof(nm83), "%s Ev,Ib", alu_names[op]);
        FormSpec r83 = { nm83, { 0x83 }, 1, (int8_t)op, 0, V, 1, 0, kind, M, SV };
        n = add_form(forms, n, max, &r83, 2, 0);
        n = add_form(forms, n, max, &r83, 4, 0);
    }
    return n;
}

/* Group 2 shifts/rotates: C0/C1 ib, D0/D1 (1), D2/D3 (CL), every ModRM.reg incl. the SAL alias /6. */
static int build_shifts(NdForm *forms, int n, int max)
{
    static const struct { uint8_t op8; uint8_t cnt; uint8_t imm; const char *how; } srcs[] = {
        { 0xc0, CNT_IMM8, 1, "Ib" }, { 0xd0, CNT_ONE, 0, "1" }, { 0xd2, CNT_CL, 0, "CL" },
    };
    for (int ext = 0; ext < 8; ext++) {
        for (int k = 0; k < 3; k++) {
            char nm[24];
            snprintf(nm, sizeof(nm), "%s E,%s", shift_names[ext], srcs[k].how);
            FormSpec s = { nm, { srcs[k].op8 }, 1, (int8_t)ext, 0, V, srcs[k].imm, srcs[k].cnt, K_SHIFT, M, SALL };
            n = add_form(forms, n, max, &s, 1, 0);
            n = add_form(forms, n, max, &s, 2, 1);
            n = add_form(forms, n, max, &s, 4, 1);
        }
    }
    return n;
}

static int build_cc(NdForm *forms, int n, int max)
{
    for (int cc = 0; cc < 16; cc++) {
        char nm[24], nm2[24];
        snprintf(nm, sizeof(nm), "CMOV%s Gv,Ev", cc_names[cc]);
        snprintf(nm2, sizeof(nm2), "SET%s Eb", cc_names[cc]);
        FormSpec cmov = { nm, { 0x0f, (uint8_t)(0x40 + cc) }, 2, -1, V, V, 0, 0, K_NONE, M, SV };
        FormSpec set = { nm2, { 0x0f, (uint8_t)(0x90 + cc) }, 2, 0, 0, 1, 0, 0, K_NONE, M | NDF_NOREGRM, S8 };
        n = add_form(forms, n, max, &cmov, 2, 0);
        n = add_form(forms, n, max, &cmov, 4, 0);
        n = add_form(forms, n, max, &set, 1, 0);
    }
    return n;
}

int nd_forms_build(NdForm *forms, int max)
{
    int n = build_alu(forms, 0, max);
    n = build_shifts(forms, n, max);
    n = build_cc(forms, n, max);
    for (size_t i = 0; i < sizeof(fixed_forms) / sizeof(fixed_forms[0]); i++) {
        const FormSpec *s = &fixed_forms[i];
        bool string = s->flags & NDF_STRING;
        for (int size = 1; size <= 4; size *= 2)
            if (s->sizes & size_bit(size))
                n = add_form(forms, n, max, s, size, string && size > 1 ? 1 : 0);
    }
    return n;
}

/* ------------------------------------------------------------------ encodings */

static const uint32_t edge_values[] = {
    0, 1, 2, 3, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff, 0x10000,
    0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x01010101, 0x55555555, 0xaaaaaaaa,
};
static const uint8_t count_values[] = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 63, 64, 128, 255 };

static uint32_t size_mask(int size) { return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1; }

/* A register value: random, an edge value in the operand's low bits, a whole edge value, or a small number. */
static uint32_t rand_value(NdRng *r, int size)
{
    uint32_t v = (uint32_t)nd_rand(r), m = size_mask(size ? size : 4);
    uint32_t e = edge_values[rnd(r, sizeof(edge_values) / sizeof(edge_values[0]))];
    switch (rnd(r, 5)) {
    case 0: case 1: return v;
    case 2: return (v & ~m) | (e & m);
    case 3: return e;
    default: return (v & ~m) | ((rnd(r, 2) ? rnd(r, 17) : -rnd(r, 17)) & m);
    }
}

static uint8_t rand_count(NdRng *r)
{
    return rnd(r, 3) ? count_values[rnd(r, sizeof(count_values))] : (uint8_t)rnd(r, 256);
}

/* A register for an operand of `size` bytes: never ESP, never a pointer register (nor its byte halves). */
static int pick_reg(NdRng *r, int size, unsigned ptr_mask, unsigned extra_excl)
{
    for (;;) {
        int reg = (int)rnd(r, 8), full = size == 1 ? (reg & 3) : reg;
        if (size != 1 && reg == 4)
            continue;
        if ((ptr_mask >> full & 1) || (extra_excl >> reg & 1))
            continue;
        return reg;
    }
}

static void put_imm(uint8_t **p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        *(*p)++ = (uint8_t)(v >> (8 * i));
}

/* Registers the r/m operand must avoid: DIV/IDIV would divide by (part of) the dividend. */
static unsigned rm_exclusions(const NdForm *f)
{
    if (f->kind != K_DIV && f->kind != K_IDIV)
        return 0;
    return f->msize == 1 ? (1u << 0 | 1u << 4) : (1u << 0 | 1u << 2);
}

/* May this form take LOCK with a memory destination? (SDM vol 2 "LOCK": ADD ADC AND BTC BTR BTS CMPXCHG DEC INC
 * NEG NOT OR SBB SUB XOR XADD XCHG) */
static bool form_lockable(const NdForm *f)
{
    uint8_t o0 = f->op[0], o1 = f->op[1];
    if (f->nop == 1) {
        if (o0 < 0x40)
            return (o0 & 7) < 2 && (o0 >> 3) != 7;
        if (o0 >= 0x80 && o0 <= 0x83)
            return f->ext != 7;
        if (o0 == 0xf6 || o0 == 0xf7)
            return f->ext == 2 || f->ext == 3;
        if (o0 == 0xfe || o0 == 0xff)
            return f->ext == 0 || f->ext == 1;
        return o0 == 0x86 || o0 == 0x87;
    }
    if (o1 == 0xba)
        return f->ext >= 5;
    return o1 == 0xc0 || o1 == 0xc1 || o1 == 0xb0 || o1 == 0xb1 || o1 == 0xab || o1 == 0xb3 || o1 == 0xbb;
}

static void encode_modrm(const NdForm *f, NdRng *r, NdCase *c, uint8_t **p, bool mem, unsigned reserved)
{
    uint8_t at = (uint8_t)(*p - c->code);
    if (c->modrm_at == 0xff)
        c->modrm_at = at;
    if (mem)
        c->mem_at = at;
    int reg = f->ext >= 0 ? f->ext : pick_reg(r, f->rsize, reserved, 0);
    if (!mem) {
        int rm = pick_reg(r, f->msize, reserved, rm_exclusions(f));
        *(*p)++ = (uint8_t)(0xc0 | reg << 3 | rm);
    } else if (rnd(r, 2)) {
        *(*p)++ = (uint8_t)(reg << 3 | R_EBX);               /* [EBX] */
    } else {
        *(*p)++ = (uint8_t)(0x40 | reg << 3 | R_EBX);        /* [EBX+disp8] */
        *(*p)++ = (uint8_t)(rnd(r, 33) - 16);
    }
}

/* Append the encoding of f to c->code. reserved: registers that hold buffer pointers in this case (never picked
 * as data); mem: use the memory form. */
static void encode_insn(const NdForm *f, NdRng *r, NdCase *c, unsigned reserved, bool mem)
{
    uint8_t *p = c->code + c->len;
    if (mem && form_lockable(f) && rnd(r, 2))
        *p++ = 0xf0;   /* LOCK */
    if (mem && rnd(r, 4) == 0)
        *p++ = "\x26\x36\x3e"[rnd(r, 3)];   /* ES/SS/DS override: no effect flat, ignored in 64-bit mode. Not CS:
                                                 * in 32-bit mode a code segment is never writable (#GP), while
                                                 * 64-bit mode ignores the override, so they cannot agree. */
    if (f->flags & NDF_REP)
        *p++ = 0xf3;
    if (f->flags & NDF_REPNE)
        *p++ = 0xf2;
    if (f->osize == 2)
        *p++ = 0x66;
    if (mem)
        c->ptr_mask |= 1u << R_EBX;
    if (f->flags & NDF_STRING)
        c->ptr_mask |= 1u << R_ESI | 1u << R_EDI;
    memcpy(p, f->op, f->nop);
    p += f->nop;
    if (f->flags & NDF_OPREG)
        p[-1] |= (uint8_t)pick_reg(r, 4, reserved, 0);
    if (f->flags & NDF_MODRM)
        encode_modrm(f, r, c, &p, mem, reserved);
    if (f->cnt == CNT_IMM8) {
        uint8_t n = rand_count(r);
        while (f->kind == K_SHLD && f->osize == 2 && (n & 31) > 16)
            n = rand_count(r);   /* SDM: SHLD/SHRD count > operand size: result undefined */
        *p++ = n;
    } else if (f->imm) {
        put_imm(&p, rand_value(r, f->imm), f->imm);
    }
    c->len = (uint8_t)(p - c->code);
}

static unsigned reserved_regs(const NdForm *f, bool mem)
{
    return (mem ? 1u << R_EBX : 0) | (f->flags & NDF_STRING ? 1u << R_ESI | 1u << R_EDI : 0);
}

void nd_make_encoding(const NdForm *f, NdRng *r, NdCase *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", f->name);
    c->modrm_at = c->mem_at = 0xff;
    bool mem = (f->flags & NDF_MEM) && rnd(r, 3) == 0;
    encode_insn(f, r, c, reserved_regs(f, mem), mem);
    c->a_len = c->len;
}

bool nd_pair_second_ok(const NdForm *f)
{
    /* B runs on A's outputs: no REP (ECX may be huge), no DIV/IDIV (#DE), no CL counts (the undefined flags
     * depend on the count), and (below) no memory BT with a register offset (it may leave the buffer) */
    return !(f->flags & (NDF_REP | NDF_REPNE)) && f->kind != K_DIV && f->kind != K_IDIV && f->cnt != CNT_CL;
}

void nd_make_pair(const NdForm *a, const NdForm *b, NdRng *r, NdCase *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s ; %s", a->name, b->name);
    bool mem_a = (a->flags & NDF_MEM) && rnd(r, 3) == 0;
    bool mem_b = (b->flags & NDF_MEM) && !(b->flags & NDF_BTMEM) && rnd(r, 3) == 0;
    unsigned reserved = reserved_regs(a, mem_a) | reserved_regs(b, mem_b);
    c->modrm_at = c->mem_at = 0xff;
    encode_insn(a, r, c, reserved, mem_a);
    c->a_len = c->len;
    encode_insn(b, r, c, reserved, mem_b);
}

/* ------------------------------------------------------------------ inputs */

/* The shift/bit count of instruction `which` (0: the first, 1: the second of a pair) of c. */
static uint32_t case_count(const NdForm *f, const NdCase *c, int which)
{
    switch (f->cnt) {
    case CNT_IMM8: return c->code[(which ? c->len : c->a_len) - 1];
    case CNT_ONE: return 1;
    case CNT_CL: return c->in[R_ECX] & 0xff;
    }
    return 0;
}

/* Flags the SDM (vol 2, each instruction's "Flags Affected") leaves undefined for this case. */
static uint32_t undefined_flags(const NdForm *f, const NdCase *c, int which)
{
    uint32_t cnt = case_count(f, c, which) & 31, u;
    int ext = f->ext;
    switch (f->kind) {
    case K_LOGIC: return F_AF;                                  /* AND OR XOR TEST */
    case K_MUL: return F_SF | F_ZF | F_AF | F_PF;               /* MUL IMUL */
    case K_DIV: case K_IDIV: return F_ARITH;                    /* DIV IDIV */
    case K_BT: return F_OF | F_SF | F_AF | F_PF;                /* BT BTS BTR BTC: ZF unaffected */
    case K_BSF: return F_CF | F_OF | F_SF | F_AF | F_PF;        /* BSF BSR */
    case K_SHLD:                                                /* SHLD SHRD */
        return cnt == 0 ? 0 : F_AF | (cnt != 1 ? F_OF : 0);
    case K_SHIFT:
        /* SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR: count 0 leaves flags alone; OF only defined for 1-bit shifts; AF
         * undefined after a shift; CF undefined for SHL/SHR when count >= operand width. */
        if (cnt == 0)
            return 0;
        u = cnt != 1 ? F_OF : 0;
        if (ext >= 4)
            u |= F_AF;
        if ((ext == 4 || ext == 5 || ext == 6) && cnt >= 8u * f->msize)
            u |= F_CF;
        return u;
    }
    return 0;
}

/* DIV/IDIV: make the quotient fit (SDM vol 2 DIV/IDIV: otherwise #DE). */
static void fix_division(const NdForm *f, NdRng *r, NdCase *c)
{
    int size = f->msize, bits = 8 * size;
    int rm = c->code[c->modrm_at] & 7;
    uint32_t m = size_mask(size);
    for (int tries = 0;; tries++) {
        uint32_t div = size == 1 ? (rm < 4 ? c->in[rm] : c->in[rm - 4] >> 8) & 0xff : c->in[rm] & m;
        uint64_t lo = size == 1 ? c->in[R_EAX] & 0xff : c->in[R_EAX] & m;
        uint64_t hi = size == 1 ? (c->in[R_EAX] >> 8) & 0xff : c->in[R_EDX] & m;
        uint64_t dividend = hi << bits | lo;
        bool ok;
        if (div == 0) {
            ok = false;
        } else if (f->kind == K_DIV) {
            ok = dividend / div <= m;
        } else {
            int64_t sd = (int64_t)(dividend << (64 - 2 * bits)) >> (64 - 2 * bits);
            int64_t sv = (int64_t)((uint64_t)div << (64 - bits)) >> (64 - bits);
            int64_t q = sd / sv, lim = (int64_t)1 << (bits - 1);
            ok = q >= -lim && q < lim;
        }
        if (ok)
            return;
        /* shrink the dividend's high half (tries > 8: also force a divisor of 1..15 in the low bits) */
        uint32_t newhi = tries < 4 ? (uint32_t)(hi ? nd_rand(r) % hi : 0)
                         : f->kind == K_IDIV && (lo >> (bits - 1) & 1) ? m : 0;   /* zero/sign extension */
        if (size == 1)
            c->in[R_EAX] = (c->in[R_EAX] & ~0xff00u) | (newhi & 0xff) << 8;
        else
            c->in[R_EDX] = (c->in[R_EDX] & ~m) | (newhi & m);
        if (tries > 8) {
            uint32_t d = 1 + rnd(r, 15);
            if (size == 1 && rm >= 4)
                c->in[rm - 4] = (c->in[rm - 4] & ~0xff00u) | d << 8;
            else
                c->in[rm] = (c->in[rm] & ~m) | d;
        }
    }
}

static void set_pointers(const NdForm *f, NdRng *r, NdCase *c)
{
    if (c->ptr_mask >> R_EBX & 1) {
        /* a quarter of the time the operand ends 1..3 bytes after offset 256, where native_diff puts a guest
         * page boundary (page-split accesses) */
        uint8_t modrm = c->code[c->mem_at];
        int32_t disp = (modrm >> 6) == 1 ? (int8_t)c->code[c->mem_at + 1] : 0;
        c->in[R_EBX] = rnd(r, 4) ? 128 + rnd(r, 256) : (uint32_t)(256 - disp - 1 - (int32_t)rnd(r, 3));
    }
    if (c->ptr_mask >> R_ESI & 1) {
        /* ESI in the first half, EDI often at the mirrored spot (buffer mode 3 makes the halves nearly equal) */
        c->in[R_ESI] = 68 + rnd(r, 108);
        c->in[R_EDI] = rnd(r, 2) ? c->in[R_ESI] + 256 : 324 + rnd(r, 108);   /* a REP op + one more stay inside */
        if (f->flags & (NDF_REP | NDF_REPNE))
            c->in[R_ECX] = rnd(r, 8) ? rnd(r, 17) : 0;
        if ((f->flags & NDF_STRING) && (f->op[0] == 0xae || f->op[0] == 0xaf)) {    /* SCAS: often look for a value that is there */
            uint8_t buf[ND_BUF_SIZE];
            nd_buffer_fill(c->seed, buf);
            uint32_t at = c->in[R_EDI] + rnd(r, 8);
            if (rnd(r, 2) && at + 4 <= ND_BUF_SIZE)
                c->in[R_EAX] = (uint32_t)buf[at] | buf[at + 1] << 8 | buf[at + 2] << 16 | (uint32_t)buf[at + 3] << 24;
        }
    }
}

/* Inputs satisfying the constraints of f, the (first) instruction of c. */
static void make_inputs(const NdForm *f, NdRng *r, NdCase *c)
{
    for (int i = 0; i < ND_NREGS; i++)
        c->in[i] = rand_value(r, f->osize);
    c->in[R_ESP] = 0;
    c->seed = (uint32_t)nd_rand(r);
    set_pointers(f, r, c);
    if (f->cnt == CNT_CL) {
        uint8_t n = rand_count(r);
        while (f->kind == K_SHLD && f->osize == 2 && (n & 31) > 16)
            n = rand_count(r);
        c->in[R_ECX] = (c->in[R_ECX] & ~0xffu) | n;
    }
    if ((f->flags & NDF_BTMEM) && (c->code[c->modrm_at] >> 6) != 3) {   /* f's own operand is in memory */
        /* BT m, r: the register is a signed bit offset that may leave the operand (SDM vol 2 BT): keep the
         * access within +-64 bytes of [EBX] */
        int reg = c->code[c->modrm_at] >> 3 & 7;
        c->in[reg] = (uint32_t)((int32_t)rnd(r, 1024) - 512);
    }
    if (f->kind == K_DIV || f->kind == K_IDIV)
        fix_division(f, r, c);
    c->in_flags = ((uint32_t)nd_rand(r) & (F_ARITH | F_DF)) | 2;
}

void nd_make_inputs(const NdForm *f, NdRng *r, NdCase *c)
{
    make_inputs(f, r, c);
    c->undef = undefined_flags(f, c, 0);
}

/* Flags an instruction writes (defined or not) for the count it will use (static: B never uses CL). */
static uint32_t flags_written(const NdForm *f, const NdCase *c)
{
    uint32_t cnt = case_count(f, c, 1) & 31;
    switch (f->kind) {
    case K_ARITH:   /* INC/DEC keep CF */
        return (f->op[0] == 0xfe || f->op[0] == 0xff) && f->nop == 1 ? F_ARITH & ~F_CF : F_ARITH;
    case K_LOGIC: case K_MUL: case K_DIV: case K_IDIV: case K_BSF: return F_ARITH;
    case K_BT: return F_ARITH & ~F_ZF;
    case K_SHLD: return cnt ? F_ARITH : 0;
    case K_SHIFT: return !cnt ? 0 : f->ext < 4 ? F_CF | F_OF : F_ARITH;
    }
    if (f->nop == 1 && f->op[0] == 0x9e)
        return F_SF | F_ZF | F_AF | F_PF | F_CF;                       /* SAHF */
    return f->nop == 1 && (f->op[0] == 0xf5 || f->op[0] == 0xf8 || f->op[0] == 0xf9) ? F_CF : 0;   /* CMC CLC STC */
}

/* Flags an instruction's result depends on (SDM vol 1 B.1 for the conditions). */
static uint32_t flags_read(const NdForm *f)
{
    static const uint32_t cond_flags[8] = {
        F_OF, F_CF, F_ZF, F_CF | F_ZF, F_SF, F_PF, F_SF | F_OF, F_ZF | F_SF | F_OF,
    };
    uint8_t o0 = f->op[0], o1 = f->op[1];
    if (f->nop == 2 && ((o1 & 0xf0) == 0x40 || (o1 & 0xf0) == 0x90))
        return cond_flags[(o1 & 0xf) >> 1];                            /* CMOVcc SETcc */
    if (f->nop == 1 && o0 < 0x40 && ((o0 >> 3) == 2 || (o0 >> 3) == 3))
        return F_CF;                                                   /* ADC SBB */
    if (f->nop == 1 && o0 >= 0x80 && o0 <= 0x83 && (f->ext == 2 || f->ext == 3))
        return F_CF;
    if (f->kind == K_SHIFT && (f->ext == 2 || f->ext == 3))
        return F_CF;                                                   /* RCL RCR */
    if (f->nop == 1 && o0 == 0x9f)
        return F_SF | F_ZF | F_AF | F_PF | F_CF;                       /* LAHF */
    return f->nop == 1 && o0 == 0xf5 ? F_CF : 0;                       /* CMC */
}

bool nd_make_pair_inputs(const NdForm *a, const NdForm *b, NdRng *r, NdCase *c)
{
    make_inputs(a, r, c);
    uint32_t undef_a = undefined_flags(a, c, 0);
    if (flags_read(b) & undef_a)
        return false;
    c->undef = (undef_a & ~flags_written(b, c)) | undefined_flags(b, c, 1);
    return true;
}

uint32_t nd_compare_mask(const NdCase *c)
{
    return (F_ARITH & ~c->undef) | F_DF;
}

/* ------------------------------------------------------------------ data buffer */

void nd_buffer_fill(uint32_t seed, uint8_t *buf)
{
    NdRng r = { ((uint64_t)seed << 1 | 1) * 0x9e3779b97f4a7c15ull };
    switch (seed & 3) {
    case 0:
        for (int i = 0; i < ND_BUF_SIZE; i++)
            buf[i] = (uint8_t)(nd_rand(&r) >> 56);
        break;
    case 1:
        for (int i = 0; i < ND_BUF_SIZE; i++)
            buf[i] = (uint8_t)(nd_rand(&r) >> 63);
        break;
    case 2:
        memset(buf, (int)(seed >> 8 & 0xff), ND_BUF_SIZE);
        break;
    default:   /* two nearly equal halves, for REPE/REPNE CMPS */
        for (int i = 0; i < ND_BUF_SIZE / 2; i++) {
            buf[i] = (uint8_t)(nd_rand(&r) >> 56);
            buf[i + ND_BUF_SIZE / 2] = (nd_rand(&r) >> 60) ? buf[i] : (uint8_t)~buf[i];
        }
        break;
    }
}

uint64_t nd_hash(const uint8_t *buf, int n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++)
        h = (h ^ buf[i]) * 0x100000001b3ull;
    return h;
}
