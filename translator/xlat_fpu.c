/* xlat_fpu.c — instruction handlers for the x87 escape (D8-DF), WAIT/FWAIT, FXSAVE/FXRSTOR and MMX/EMMS.
 * The x87 state lives in CpuState (fpr, fpu_*) and every x87 instruction is one helper call (fpu.c): the IR stays
 * 32-bit. Before the call the handler stores the instruction's EIP in env->fpu_insn_eip (the helper records it as
 * FIP when the instruction is a non-control one). Memory operands are passed as offset + IRM aux; the helper reads
 * and probes them before it changes anything (precise faults).
 * Device-not-available / invalid-opcode rules (SDM vol 3 2.5 table 2-2, 9.2; vol 1 table 12-1 for MMX):
 *   x87 escape and FXSAVE/FXRSTOR: CR0.EM or CR0.TS -> #NM (FXSAVE: the P6-era SDM 243191 says #NM for EM, later
 *   editions #UD);  WAIT: CR0.MP and CR0.TS -> #NM;
 *   MMX/EMMS: CR0.EM -> #UD, else CR0.TS -> #NM.
 * HF_EM_TS (EM or TS) is in the TB key, so the common case (both clear) costs nothing at run time.
 * MMX instructions are helper calls too (fpu.c: helper_mmx, helper_mmx_gpr for MOVD to/from r32, helper_emms).
 * The common forms (arithmetic on registers and m32fp/m64fp, FLD/FILD, FST(P)/FIST(P)) call per-form helpers
 * decoded here (fpu_fast.c), the rest the generic ones.
 * Left out (XXX): an inline IR path for the stack and the arithmetic (every instruction is a helper call). */
#include <stddef.h>
#include "xlat.h"
#include "helpers.h"


static int fpu_movi(Xlat *x, uint32_t v)
{
    return ir_movi(x->b, v);
}

static void fpu_store_eip(Xlat *x)
{
    int eip = fpu_movi(x, x->pc);   /* before ir_emit: the STENV must follow the op that defines its input */
    IrOp *o = ir_emit(x->b, IR_STENV);
    o->a = (uint16_t)eip;
    o->imm = (uint32_t)offsetof(CpuState, fpu_insn_eip);
    o->sz = 4;
}

/* Register forms that read or write general registers or EFLAGS: FCMOVcc (DA/DB C0-DF), FUCOMI/FCOMI (DB E8-F7),
 * FUCOMIP/FCOMIP (DF E8-F7), FNSTSW AX (DF E0). */
static bool fpu_reg_form_touches_gprs(int esc, int modrm)
{
    int reg = modrm >> 3 & 7;
    if ((esc == 2 || esc == 3) && reg < 4)
        return true;
    if ((esc == 3 || esc == 7) && (reg == 5 || reg == 6))
        return true;
    return esc == 7 && modrm == 0xe0;
}

/* The fast per-form helper for a common instruction (fpu_fast.c), or -1; *a gets its first argument. */
static int fpu_fast_form(int esc, int modrm, uint32_t desc, uint32_t *a)
{
    int reg = modrm >> 3 & 7, i = modrm & 7;
    if (modrm >= 0xc0) {
        /* FLD ST(i), FXCH (and its aliases DD C8, DF C8), FST ST(i), FSTP ST(i) (and D9 D8, DF D0, DF D8) */
        int sk = esc == 1 ? (reg == 0 ? 0 : reg == 1 ? 3 : reg == 3 ? 2 : -1) :
                 esc == 5 ? (reg == 1 ? 3 : reg == 2 ? 1 : reg == 3 ? 2 : -1) :
                 esc == 7 ? (reg == 1 ? 3 : reg == 2 || reg == 3 ? 2 : -1) : -1;
        if (sk >= 0) {
            *a = desc | (uint32_t)sk << 16 | (uint32_t)i << 20;
            return HELPER_fpu_stack;
        }
        /* compares: D8 D0/D8 FCOM(P), DD E0/E8 FUCOM(P), DE D9 FCOMPP, DA E9 FUCOMPP; DB E8/F0 FUCOMI/FCOMI,
         * DF E8/F0 FUCOMIP/FCOMIP */
        if ((esc == 0 && (reg == 2 || reg == 3)) || (esc == 5 && (reg == 4 || reg == 5))) {
            bool quiet = esc == 5;
            *a = desc | (uint32_t)i << 16 | (uint32_t)(reg & 1) << 20 | (quiet ? 1u << 22 : 0);
            return HELPER_fpu_com_st;
        }
        if ((esc == 6 && modrm == 0xd9) || (esc == 2 && modrm == 0xe9)) {
            *a = desc | 1u << 16 | 2u << 20 | (esc == 2 ? 1u << 22 : 0);
            return HELPER_fpu_com_st;
        }
        if ((esc == 3 || esc == 7) && (reg == 5 || reg == 6)) {
            *a = desc | (uint32_t)i << 16 | (esc == 7 ? 1u << 20 : 0) | (reg == 5 ? 1u << 22 : 0);
            return HELPER_fpu_comi_st;
        }
        if ((esc != 0 && esc != 4 && esc != 6) || reg == 2 || reg == 3)
            return -1;                          /* not FADD/FMUL/FSUB(R)/FDIV(R) ST(i) (SDM vol 2 A.5) */
        /* D8: ST(0) = ST(0) op ST(i); DC/DE: ST(i) = ST(i) op ST(0) with the sub/div encodings reversed */
        uint32_t op = esc == 0 ? (uint32_t)reg : (uint32_t)(reg >= 4 ? reg ^ 1 : reg);
        uint32_t d = esc == 0 ? 0 : (uint32_t)i, s = esc == 0 ? (uint32_t)i : 0;
        *a = desc | op << 16 | d << 20 | s << 24 | (esc == 6 ? 1u << 28 : 0);
        return HELPER_fpu_arith_st;
    }
    if (esc == 0 || esc == 4) {                             /* m32fp / m64fp arithmetic and FCOM(P) */
        *a = desc | (uint32_t)reg << 16 | (esc == 4 ? 1u << 20 : 0);
        return HELPER_fpu_arith_m;
    }
    static const int8_t kind[8] = { -1, FPK_F32, -1, FPK_I32, -1, FPK_F64, -1, FPK_I16 };
    if ((esc & 1) && reg == 0) {                            /* FLD m32/m64, FILD m32/m16 */
        *a = desc | (uint32_t)kind[esc] << 16;
        return HELPER_fpu_ld_m;
    }
    if ((esc & 1) && (reg == 2 || reg == 3)) {              /* FST(P) m32/m64, FIST(P) m32/m16 */
        *a = desc | (uint32_t)kind[esc] << 16 | (reg == 3 ? 1u << 20 : 0);
        return HELPER_fpu_st_m;
    }
    if (esc == 7 && (reg == 5 || reg == 7)) {               /* FILD m64, FISTP m64 */
        *a = desc | (uint32_t)FPK_I64 << 16 | (reg == 7 ? 1u << 20 : 0);
        return reg == 5 ? HELPER_fpu_ld_m : HELPER_fpu_st_m;
    }
    return -1;
}

void xlat_FPU(Xlat *x)
{
    const X86Insn *in = x->insn;
    int esc = in->opcode & 7;
    if (x->hflags & HF_EM_TS) {
        xlat_raise(x, EXC_NM, -1);
        return;
    }
    uint32_t desc = in->modrm | (uint32_t)esc << 8 | (in->opsize == 4 ? 1u << 11 : 0) | (uint32_t)in->seg << 12;
    fpu_store_eip(x);
    uint32_t fa;
    int fast = fpu_fast_form(esc, in->modrm, desc, &fa);
    if (fast >= 0 && in->modrm >= 0xc0) {
        xlat_call(x, fast, fpu_movi(x, fa), IR_NONE, IR_NONE);
        return;
    }
    if (fast >= 0) {
        xlat_call(x, fast, fpu_movi(x, fa), xlat_ea(x), fpu_movi(x, (uint32_t)xlat_mem_aux(x, in->seg)));
        return;
    }
    if (in->modrm >= 0xc0) {
        int h = fpu_reg_form_touches_gprs(esc, in->modrm) ? HELPER_fpu_reg_gpr : HELPER_fpu_reg;
        xlat_call(x, h, fpu_movi(x, desc), IR_NONE, IR_NONE);
        return;
    }
    xlat_call(x, HELPER_fpu_mem, fpu_movi(x, desc), xlat_ea(x), fpu_movi(x, (uint32_t)xlat_mem_aux(x, in->seg)));
}

/* Runtime check of CR0 bits (the TB key only says "EM or TS"): raise vector when (CR0 & mask) == value. */
static void fpu_cr0_check(Xlat *x, uint32_t mask, uint32_t value, int vector)
{
    IrBlock *b = x->b;
    int l_ok = ir_new_label(b);
    int cr0 = ir_new_temp(b);
    IrOp *o = ir_emit(b, IR_LDENV);
    o->d = (uint16_t)cr0;
    o->imm = (uint32_t)offsetof(CpuState, cr0);
    o->sz = 4;
    int bits = ir_op2i(b, IR_AND_I, cr0, mask);
    ir_brcondi(b, IRC_NE, bits, value, l_ok);
    xlat_raise(x, vector, -1);
    x->end = false;   /* the raise is on one path only */
    ir_set_label(b, l_ok);
}

/* WAIT/FWAIT: #NM when CR0.MP and CR0.TS are both set; then a pending unmasked x87 exception -> #MF. */
void xlat_WAIT(Xlat *x)
{
    if (x->hflags & HF_EM_TS)
        fpu_cr0_check(x, CR0_MP | CR0_TS, CR0_MP | CR0_TS, EXC_NM);
    xlat_call(x, HELPER_fpu_wait, IR_NONE, IR_NONE, IR_NONE);
}

static void fpu_fxsave_common(Xlat *x, int helper)
{
    if (x->hflags & HF_EM_TS) {
        xlat_raise(x, EXC_NM, -1);
        return;
    }
    xlat_call(x, helper, xlat_ea(x), fpu_movi(x, (uint32_t)xlat_mem_aux(x, x->insn->seg)), IR_NONE);
}

void xlat_FXSAVE(Xlat *x) { fpu_fxsave_common(x, HELPER_fxsave); }
void xlat_FXRSTOR(Xlat *x) { fpu_fxsave_common(x, HELPER_fxrstor); }

/* MMX: CR0.EM -> #UD, CR0.TS -> #NM (SDM vol 1 table 12-1; the #UD for 66/F2/F3/LOCK comes from the decoder) */
static void fpu_mmx_checks(Xlat *x)
{
    if (!(x->hflags & HF_EM_TS))
        return;
    fpu_cr0_check(x, CR0_EM, CR0_EM, EXC_UD);
    fpu_cr0_check(x, CR0_TS, CR0_TS, EXC_NM);
}

void xlat_MMX(Xlat *x)
{
    const X86Insn *in = x->insn;
    int opc = in->opcode & 0xff;
    fpu_mmx_checks(x);
    if (in->modrm >= 0xc0 && (opc == 0x6e || opc == 0x7e)) {
        xlat_call(x, HELPER_mmx_gpr, fpu_movi(x, (uint32_t)opc | (uint32_t)in->modrm << 8), IR_NONE, IR_NONE);
        return;
    }
    /* the immediate of the shift groups 0F 71-73 is the last operand */
    uint32_t imm = (opc >= 0x71 && opc <= 0x73) ? in->ops[in->nops - 1].imm & 0xff : 0;
    uint32_t a = (uint32_t)opc | (uint32_t)in->modrm << 8 | imm << 16;
    if (in->modrm >= 0xc0)   /* register form: offset and aux unused (but defined: the call takes 3 arguments) */
        xlat_call(x, HELPER_mmx, fpu_movi(x, a), fpu_movi(x, 0), fpu_movi(x, 0));
    else
        xlat_call(x, HELPER_mmx, fpu_movi(x, a), xlat_ea(x), fpu_movi(x, (uint32_t)xlat_mem_aux(x, in->seg)));
}

void xlat_EMMS(Xlat *x)
{
    fpu_mmx_checks(x);
    xlat_call(x, HELPER_emms, IR_NONE, IR_NONE, IR_NONE);
}
