/* decode.c — x86_decode: bytes + mode → X86Insn for 16- and 32-bit code of a P6 (Pentium Pro / Pentium II).
 * Invariants: pure (no globals written, no side effects); never reads bytes[i] for i >= avail; the 15-byte limit
 * is checked as each byte is consumed, so a run of prefixes alone can give DEC_TOO_LONG (SDM vol 2 2.3.11);
 * the first byte that cannot be consumed decides: index 15 → DEC_TOO_LONG, index >= avail → DEC_NEED_MORE.
 * Exception priority (SDM vol 3 6.9, table 6-2): a fetch fault or the length limit beats #UD. So an invalid form of
 * a defined instruction (LOCK misuse, register where memory is required, MOV CS, CR5...) is only reported as
 * DEC_UD after the rest of its bytes were consumed; an undefined opcode (whose length nothing defines) is DEC_UD
 * at once.
 * Left out: SSE/SSE2/3DNow! (#UD on this CPU), 64-bit mode, VEX; x87/MMX semantics (decoded for operands only). */
#include <string.h>
#include "decode_internal.h"

static const char *const op_names[X86_OP_COUNT] = {
#define X(n) #n,
#include "x86_ops.def"
#undef X
};

const char *x86_op_name(int op)
{
    if (op < 0 || op >= X86_OP_COUNT)
        return "?";
    return op_names[op];
}

/* Decoder cursor. lim = min(avail, 15): a read past lim fails with fail_status. */
typedef struct Dec {
    const uint8_t *b;
    int pos, lim;
    uint8_t fail_status;
    bool ud;   /* a defined instruction in an invalid form: #UD once its length is known */
} Dec;

enum { DEC_RAN_OUT = 0xff }; /* internal: the bytes ran out (becomes fail_status) */

static inline bool dec_need(const Dec *d, int n)
{
    return d->pos + n <= d->lim;
}

static inline uint32_t dec_read(Dec *d, int n)
{
    const uint8_t *p = d->b + d->pos;
    uint32_t v = p[0];
    if (n >= 2)
        v |= (uint32_t)p[1] << 8;
    if (n == 4)
        v |= (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    d->pos += n;
    return v;
}

static inline uint32_t size_mask(int size)
{
    return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* 16-bit ModRM memory forms (SDM vol 2 table 2-1): base, index per r/m. */
static const uint8_t ea16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
static const uint8_t ea16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_NONE, R_NONE, R_NONE, R_NONE };

/* Parse SIB and displacement of a memory ModRM (mod != 3). Returns false if the bytes run out. */
static bool dec_ea(Dec *d, X86Insn *in, uint8_t modrm)
{
    int mod = modrm >> 6, rm = modrm & 7;
    bool ss = false;
    in->has_mem = true;
    in->ea_scale = 1;
    if (in->addrsize == 2) {
        in->ea_base = ea16_base[rm];
        in->ea_index = ea16_index[rm];
        if (mod == 0 && rm == 6) {
            in->ea_base = R_NONE;
            if (!dec_need(d, 2))
                return false;
            in->disp = (int32_t)dec_read(d, 2);
        }
        ss = in->ea_base == R_EBP;
    } else {
        in->ea_base = rm;
        in->ea_index = R_NONE;
        if (rm == 4) {
            if (!dec_need(d, 1))
                return false;
            uint8_t sib = (uint8_t)dec_read(d, 1);
            int idx = (sib >> 3) & 7;
            in->ea_base = sib & 7;
            in->ea_index = idx == 4 ? R_NONE : idx;
            in->ea_scale = idx == 4 ? 1 : (uint8_t)(1u << (sib >> 6)); /* no index: the scale means nothing */
            if (mod == 0 && in->ea_base == R_EBP)
                in->ea_base = R_NONE; /* [index*scale + disp32] */
        } else if (mod == 0 && rm == 5) {
            in->ea_base = R_NONE; /* [disp32] */
        }
        if (mod == 0 && in->ea_base == R_NONE) {
            if (!dec_need(d, 4))
                return false;
            in->disp = (int32_t)dec_read(d, 4);
        }
        ss = in->ea_base == R_ESP || in->ea_base == R_EBP;
    }
    if (mod == 1) {
        if (!dec_need(d, 1))
            return false;
        in->disp = (int8_t)dec_read(d, 1);
    } else if (mod == 2) {
        if (!dec_need(d, in->addrsize))
            return false;
        in->disp = (int32_t)dec_read(d, in->addrsize);
    }
    if (ss && !(in->prefixes & PFX_SEG))
        in->seg = SEG_SS;
    return true;
}

static inline void op_set(X86Operand *o, int kind, int size, int reg, uint32_t imm)
{
    o->kind = (uint8_t)kind;
    o->size = (uint8_t)size;
    o->reg = (uint8_t)reg;
    o->imm = imm;
}

/* Operands encoded in bytes after the ModRM/SIB/displacement: immediates, moffs, relative and far targets.
 * Returns DEC_OK or DEC_RAN_OUT. */
static int dec_operand_bytes(Dec *d, X86Insn *in, int spec, X86Operand *o)
{
    int ds = in->datasize, os = in->opsize;
    int n = spec == O_I ? ds : spec == O_Iw ? 2 : spec == O_Ib || spec == O_Ibs || spec == O_Jb ? 1
          : spec == O_O ? in->addrsize : spec == O_Jz ? os : os + 2 /* O_Ap */;
    if (!dec_need(d, n))
        return DEC_RAN_OUT;
    uint32_t v = dec_read(d, spec == O_Ap ? os : n);
    switch (spec) {
    case O_Ibs: op_set(o, OPK_IMM, ds, 0, (uint32_t)(int32_t)(int8_t)v & size_mask(ds)); break;
    case O_Jb:  op_set(o, OPK_REL, os, 0, (uint32_t)(int8_t)v); break; /* made absolute by dec_finish */
    case O_Jz:  op_set(o, OPK_REL, os, 0, n == 2 ? (uint32_t)(int16_t)v : v); break;
    case O_Ap:  /* ptr16:16/32: offset then selector */
        op_set(o, OPK_FAR, os + 2, 0, v);
        o->sel = (uint16_t)dec_read(d, 2);
        break;
    case O_O:   /* moffs: a memory operand with neither base nor index */
        in->has_mem = true;
        in->ea_base = in->ea_index = R_NONE;
        in->ea_scale = 1;
        in->disp = (int32_t)v;
        op_set(o, OPK_MEM, ds, 0, 0);
        break;
    default:    op_set(o, OPK_IMM, n, 0, v); break; /* O_I, O_Ib, O_Iw */
    }
    return DEC_OK;
}

/* Fill one operand from its spec. Returns DEC_OK or DEC_RAN_OUT; an invalid form (memory-only operand with a
 * register, Sreg 6/7, CR1/CR5-CR7) sets d->ud. */
static int dec_operand(Dec *d, X86Insn *in, int spec, X86Operand *o)
{
    int ds = in->datasize, os = in->opsize;
    int mod = in->modrm >> 6, reg = (in->modrm >> 3) & 7, rm = in->modrm & 7;
    int kind = in->has_mem ? OPK_MEM : OPK_REG;
    switch (spec) {
    case O_E:   op_set(o, kind, ds, rm, 0); return DEC_OK;
    case O_Eb:  op_set(o, kind, 1, rm, 0); return DEC_OK;
    case O_Ew:  op_set(o, kind, 2, rm, 0); return DEC_OK;
    case O_Ed:  op_set(o, kind, 4, rm, 0); return DEC_OK;
    case O_Ev:  op_set(o, kind, os, rm, 0); return DEC_OK;
    case O_Ewv: op_set(o, kind, in->has_mem ? 2 : os, rm, 0); return DEC_OK;
    case O_G:   op_set(o, OPK_REG, ds, reg, 0); return DEC_OK;
    case O_Gw:  op_set(o, OPK_REG, 2, reg, 0); return DEC_OK;
    case O_M0: case O_Mp: case O_Ma: case O_M6: case O_M8:
        d->ud |= mod == 3;
        op_set(o, OPK_MEM, spec == O_M0 ? 0 : spec == O_Mp ? os + 2 : spec == O_Ma ? 2 * os : spec == O_M6 ? 6 : 8,
               0, 0);
        return DEC_OK;
    case O_Z:   op_set(o, OPK_REG, ds, in->opcode & 7, 0); return DEC_OK;
    case O_A:   op_set(o, OPK_REG, ds, R_EAX, 0); return DEC_OK;
    case O_CL:  op_set(o, OPK_REG, 1, R_ECX, 0); return DEC_OK;
    case O_DX:  op_set(o, OPK_REG, 2, R_EDX, 0); return DEC_OK;
    case O_ONE: op_set(o, OPK_IMM, 1, 0, 1); return DEC_OK;
    case O_S:   d->ud |= reg > SEG_GS; op_set(o, OPK_SREG, 2, reg, 0); return DEC_OK;
    case O_ES: case O_CS: case O_SS: case O_DS: case O_FS: case O_GS:
        op_set(o, OPK_SREG, 2, spec - O_ES, 0);
        return DEC_OK;
    /* CR0, CR2, CR3, CR4 exist on a P6; CR1, CR5-CR7 are reserved: #UD (SDM vol 2 MOV-Control Registers) */
    case O_C:   d->ud |= reg == 1 || reg > 4; op_set(o, OPK_CREG, 4, reg, 0); return DEC_OK;
    case O_D:   op_set(o, OPK_DREG, 4, reg, 0); return DEC_OK;
    case O_R:   op_set(o, OPK_REG, 4, rm, 0); return DEC_OK;
    case O_I: case O_Ib: case O_Ibs: case O_Iw: case O_O: case O_Jb: case O_Jz: case O_Ap:
        return dec_operand_bytes(d, in, spec, o);
    default:    d->ud = true; return DEC_OK;
    }
}

static int dec_fpu(Dec *d, X86Insn *in);
static int dec_mmx(Dec *d, X86Insn *in);

/* Prefix bytes (SDM vol 2 2.1.1): returns the prefix bit, or 0 if c is not a prefix; sets *seg for overrides. */
static inline int dec_prefix(uint8_t c, uint8_t *seg)
{
    switch (c) {
    case 0x26: *seg = SEG_ES; return PFX_SEG;
    case 0x2E: *seg = SEG_CS; return PFX_SEG;
    case 0x36: *seg = SEG_SS; return PFX_SEG;
    case 0x3E: *seg = SEG_DS; return PFX_SEG;
    case 0x64: *seg = SEG_FS; return PFX_SEG;
    case 0x65: *seg = SEG_GS; return PFX_SEG;
    case 0x66: return PFX_OPSIZE;
    case 0x67: return PFX_ADDRSIZE;
    case 0xF0: return PFX_LOCK;
    case 0xF2: return PFX_REPNE;
    case 0xF3: return PFX_REP;
    default: return 0;
    }
}

static int dec_finish(Dec *d, X86Insn *in, int status)
{
    if (status == DEC_RAN_OUT)
        status = d->fail_status;
    else if (status == DEC_OK && d->ud)
        status = DEC_UD;
    in->status = (uint8_t)status;
    if (status != DEC_OK) {
        in->op = X86_OP_INVALID;
        return status;
    }
    in->len = (uint8_t)d->pos;
    for (int i = 0; i < in->nops; i++) {
        X86Operand *o = &in->ops[i];
        if (o->kind == OPK_REL)
            o->imm = (in->eip + in->len + o->imm) & size_mask(in->opsize);
    }
    return DEC_OK;
}

/* ModRM, group selection, LOCK rule, then the operands in row order. */
static int dec_body(Dec *d, X86Insn *in, const DecRow *row)
{
    uint8_t flags = row->flags;
    const uint8_t *specs = row->o;
    in->op = row->op;
    if (flags & F_MODRM) {
        if (!dec_need(d, 1))
            return DEC_RAN_OUT;
        uint8_t modrm = (uint8_t)dec_read(d, 1);
        in->modrm = modrm;
        in->has_modrm = true;
        if (flags & F_GROUP) {
            const DecRow *g = &dec_groups[row->aux][(modrm >> 3) & 7];
            in->op = g->op;
            flags |= g->flags;
            if (g->o[0] != O_NONE)
                specs = g->o;
        }
        if (in->op == X86_OP_INVALID)
            return DEC_UD;
        if ((in->prefixes & PFX_LOCK) && (!(flags & F_LOCK) || modrm >= 0xC0))
            d->ud = true;
        if (modrm < 0xC0 && !(flags & F_MODREG) && !dec_ea(d, in, modrm))
            return DEC_RAN_OUT;
        /* MOV Sreg, Ew: loading CS is #UD (SDM vol 2 MOV) */
        if (in->opcode == 0x8E && ((modrm >> 3) & 7) == SEG_CS)
            d->ud = true;
    } else {
        if (in->op == X86_OP_INVALID)
            return DEC_UD;
        if (in->prefixes & PFX_LOCK)
            d->ud = true;
    }
    int n = 0;
    for (; n < 3 && specs[n] != O_NONE; n++) {
        int st = dec_operand(d, in, specs[n], &in->ops[n]);
        if (st != DEC_OK)
            return st;
    }
    in->nops = (uint8_t)n;
    return DEC_OK;
}

int x86_decode(const uint8_t *bytes, int avail, bool mode32, uint32_t eip, X86Insn *in)
{
    Dec d = { bytes, 0, avail < 15 ? (avail < 0 ? 0 : avail) : 15, avail < 15 ? DEC_NEED_MORE : DEC_TOO_LONG, false };
    memset(in, 0, sizeof *in);
    in->eip = eip;
    in->ea_base = in->ea_index = R_NONE;
    in->ea_scale = 1;
    uint8_t pfx = 0, seg = SEG_DS, c;
    int p;
    for (;;) {
        if (!dec_need(&d, 1))
            return dec_finish(&d, in, DEC_RAN_OUT);
        c = bytes[d.pos++];
        p = dec_prefix(c, &seg);
        if (!p)
            break;
        if (p & (PFX_REP | PFX_REPNE))
            pfx &= (uint8_t)~(PFX_REP | PFX_REPNE); /* the last of F2/F3 is the one that counts */
        pfx |= (uint8_t)p;
    }
    in->prefixes = pfx;
    in->seg = seg;
    in->opsize = (mode32 ^ !!(pfx & PFX_OPSIZE)) ? 4 : 2;
    in->addrsize = (mode32 ^ !!(pfx & PFX_ADDRSIZE)) ? 4 : 2;
    const DecRow *row;
    if (c == 0x0F) {
        if (!dec_need(&d, 1))
            return dec_finish(&d, in, DEC_RAN_OUT);
        c = bytes[d.pos++];
        in->opcode = 0x0F00 | c;
        row = &dec_map2[c];
    } else {
        in->opcode = c;
        row = &dec_map1[c];
    }
    in->cond = c & 15;
    in->datasize = (row->flags & F_BYTE) ? 1 : in->opsize;
    if (row->flags & F_ESC)
        return dec_finish(&d, in, row->aux == ESC_FPU ? dec_fpu(&d, in) : dec_mmx(&d, in));
    return dec_finish(&d, in, dec_body(&d, in, row));
}

/* ---- x87 escape D8-DF (SDM vol 2 table A-7..A-22) ---- */

/* Memory operand size per (escape, reg); 0 = reserved encoding (#UD). 14/28 and 94/108 depend on the
 * operand size (FLDENV/FNSTENV, FRSTOR/FNSAVE): 0xE and 0x5E are placeholders fixed up in dec_fpu. */
static const uint8_t fpu_mem_size[8][8] = {
    { 4, 4, 4, 4, 4, 4, 4, 4 },          /* D8: m32fp */
    { 4, 0, 4, 4, 0xE, 2, 0xE, 2 },      /* D9: FLD FST FSTP m32fp, FLDENV FLDCW FNSTENV FNSTCW */
    { 4, 4, 4, 4, 4, 4, 4, 4 },          /* DA: m32int */
    { 4, 0, 4, 4, 0, 10, 0, 10 },        /* DB: FILD FIST FISTP m32int, FLD FSTP m80 (/1 is SSE3 FISTTP) */
    { 8, 8, 8, 8, 8, 8, 8, 8 },          /* DC: m64fp */
    { 8, 0, 8, 8, 0x5E, 0, 0x5E, 2 },    /* DD: FLD FST FSTP m64fp, FRSTOR, FNSAVE, FNSTSW */
    { 2, 2, 2, 2, 2, 2, 2, 2 },          /* DE: m16int */
    { 2, 0, 2, 2, 10, 8, 10, 8 },        /* DF: FILD FIST FISTP m16, FBLD, FILD m64, FBSTP, FISTP m64 */
};

/* Register forms: per (escape, reg) the bit mask of valid r/m values. A full mask (0xFF) means the form takes
 * ST(i) (ops[0] = OPK_STREG r/m). Reserved slots are #UD; the undocumented aliases a P6 executes (FSTP1,
 * FCOM2, FCOMP3, FXCH4, FCOMP5, FFREEP, FXCH7, FSTP8, FSTP9) are accepted.
 * XXX: #UD for the reserved slots is an assumption (the SDM only calls them reserved); FENI/FDISI/FSETPM (DB E0,
 * E1, E4) are accepted as the no-ops a 387+ makes of them. */
static const uint8_t fpu_reg_valid[8][8] = {
    { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF },   /* D8 */
    { 0xFF, 0xFF, 0x01, 0xFF, 0x33, 0x7F, 0xFF, 0xFF },   /* D9: FNOP; FCHS FABS FTST FXAM; FLD1..FLDZ */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x02, 0x00, 0x00 },   /* DA: FCMOVcc; FUCOMPP */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, 0x00 },   /* DB: FCMOVNcc; FENI FDISI FCLEX FINIT FSETPM; FUCOMI FCOMI */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF },   /* DC */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00 },   /* DD */
    { 0xFF, 0xFF, 0xFF, 0x02, 0xFF, 0xFF, 0xFF, 0xFF },   /* DE: FCOMPP */
    { 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0xFF, 0xFF, 0x00 },   /* DF: FNSTSW AX */
};

static int dec_fpu(Dec *d, X86Insn *in)
{
    int esc = in->opcode & 7;
    in->op = X86_OP_FPU;
    if (!dec_need(d, 1))
        return DEC_RAN_OUT;
    uint8_t modrm = (uint8_t)dec_read(d, 1);
    int reg = (modrm >> 3) & 7, rm = modrm & 7;
    in->modrm = modrm;
    in->has_modrm = true;
    if (in->prefixes & PFX_LOCK)
        d->ud = true;
    if (modrm >= 0xC0) {
        uint8_t valid = fpu_reg_valid[esc][reg];
        if (!(valid & (1u << rm)))
            d->ud = true;
        if (valid == 0xFF) {
            op_set(&in->ops[0], OPK_STREG, 10, rm, 0);
            in->nops = 1;
        } else if (in->opcode == 0xDF) { /* FNSTSW AX */
            op_set(&in->ops[0], OPK_REG, 2, R_EAX, 0);
            in->nops = 1;
        }
        return DEC_OK;
    }
    int size = fpu_mem_size[esc][reg];
    if (size == 0)
        d->ud = true; /* reserved, but the ModRM still defines the length */
    if (size == 0xE)
        size = in->opsize == 4 ? 28 : 14;
    else if (size == 0x5E)
        size = in->opsize == 4 ? 108 : 94;
    if (!dec_ea(d, in, modrm))
        return DEC_RAN_OUT;
    op_set(&in->ops[0], OPK_MEM, size, 0, 0);
    in->nops = 1;
    return DEC_OK;
}

/* ---- MMX (SDM vol 2 table A-3 without SSE): 0F 60-7F, 0F D0-FF ---- */

/* One letter per opcode 0F 60..7F then 0F D0..FF: 'q' = P,Q; 'd' = MOVD P,Ed; 'D' = MOVD Ed,P; 'Q' = MOVQ Q,P;
 * 's' = shift group N,Ib; 'e' = EMMS; '.' = not on a P6 (#UD: SSE, SSE2, SSE3). */
static const char mmx_form_60[33] = "qqqqqqqqqqqq..dq" ".sssqqqe......DQ";
static const char mmx_form_d0[49] = ".qqq.q..qq.qqq.q" ".qq..q..qq.qqq.q" ".qqq.q..qqq.qqq.";

/* Valid ModRM.reg values of the immediate shift groups 0F 71, 72, 73 (PSRL /2, PSRA /4, PSLL /6). */
static const uint8_t mmx_shift_regs[3] = { 0x54, 0x54, 0x44 };

static int dec_mmx(Dec *d, X86Insn *in)
{
    int c = in->opcode & 0xFF;
    char form = c < 0x80 ? mmx_form_60[c - 0x60] : mmx_form_d0[c - 0xD0];
    in->op = X86_OP_MMX;
    in->datasize = in->opsize;
    if (form == '.')
        return DEC_UD;
    /* 66/F2/F3 select SSE forms of this space on later CPUs (reserved with MMX); LOCK is never allowed */
    if (in->prefixes & (PFX_OPSIZE | PFX_REP | PFX_REPNE | PFX_LOCK))
        d->ud = true;
    if (form == 'e') {
        in->op = X86_OP_EMMS;
        return DEC_OK;
    }
    if (!dec_need(d, 1))
        return DEC_RAN_OUT;
    uint8_t modrm = (uint8_t)dec_read(d, 1);
    int reg = (modrm >> 3) & 7, rm = modrm & 7;
    bool mem = modrm < 0xC0;
    in->modrm = modrm;
    in->has_modrm = true;
    if (form == 's' && (!(mmx_shift_regs[c - 0x71] & (1u << reg)) || mem))
        return DEC_UD;
    if (mem && !dec_ea(d, in, modrm))
        return DEC_RAN_OUT;
    X86Operand *o = in->ops;
    X86Operand rmop = { .kind = mem ? OPK_MEM : OPK_MMXREG, .size = 8, .reg = (uint8_t)rm };
    X86Operand regop = { .kind = OPK_MMXREG, .size = 8, .reg = (uint8_t)reg };
    X86Operand dop = { .kind = mem ? OPK_MEM : OPK_REG, .size = 4, .reg = (uint8_t)rm };
    in->nops = 2;
    switch (form) {
    case 'q': o[0] = regop; o[1] = rmop; break;
    case 'd': o[0] = regop; o[1] = dop; break;
    case 'D': o[0] = dop; o[1] = regop; break;
    case 'Q': o[0] = rmop; o[1] = regop; break;
    case 's':
        o[0] = rmop;
        if (!dec_need(d, 1))
            return DEC_RAN_OUT;
        op_set(&o[1], OPK_IMM, 1, 0, dec_read(d, 1));
        break;
    default:
        return DEC_UD;
    }
    return DEC_OK;
}
