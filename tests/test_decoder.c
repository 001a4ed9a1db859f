/* test_decoder.c — unit tests of frontend/ x86_decode from byte arrays (16- and 32-bit code of a P6).
 * Covers every operand convention the translator relies on (x86_insn.h and the decoder brief), all 16/32-bit
 * addressing forms with their default segments, prefixes, the 15-byte limit (#GP), DEC_NEED_MORE at every
 * truncation point (bytes placed right before an unmapped page, so reading past avail would crash), #UD cases
 * and the LOCK rules (SDM vol 2 LOCK).
 * Left out: agreement with an independent disassembler over random streams (test_decoder_capstone.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "x86_insn.h"

/* ---- helpers ---- */
static uint8_t *guard_page; /* two pages: the second is PROT_NONE */
static long page_size;

static void guard_setup(void)
{
    page_size = sysconf(_SC_PAGESIZE);
    guard_page = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(guard_page, MAP_FAILED);
    ck_assert_int_eq(mprotect(guard_page + page_size, page_size, PROT_NONE), 0);
}

static void guard_teardown(void)
{
    munmap(guard_page, 2 * page_size);
}

static int parse_hex(const char *hex, uint8_t *out)
{
    int n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        ck_assert_msg(sscanf(hex, "%2x", &v) == 1, "bad hex '%s'", hex);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* Decode the bytes placed so that bytes[avail] is the first byte of an unmapped page. */
static int decode_at_end(const uint8_t *bytes, int avail, bool m32, uint32_t eip, X86Insn *in)
{
    uint8_t *p = guard_page + page_size - avail;
    memcpy(p, bytes, (size_t)avail);
    return x86_decode(p, avail, m32, eip, in);
}

static X86Insn dec_eip(bool m32, uint32_t eip, const char *hex)
{
    uint8_t b[64];
    X86Insn in;
    int n = parse_hex(hex, b);
    decode_at_end(b, n, m32, eip, &in);
    return in;
}

static X86Insn dec(bool m32, const char *hex)
{
    return dec_eip(m32, 0x1000, hex);
}

/* Decode and require DEC_OK with the given length and op. */
#define OK(in, m32, hex, length, opname)                                                          \
    do {                                                                                          \
        in = dec(m32, hex);                                                                       \
        ck_assert_msg(in.status == DEC_OK, "%s: status %d", hex, in.status);                      \
        ck_assert_msg(in.len == (length), "%s: len %d want %d", hex, in.len, (length));           \
        ck_assert_msg(in.op == X86_OP_##opname, "%s: op %s want %s", hex, x86_op_name(in.op), #opname); \
    } while (0)
#define UD(m32, hex)                                                                              \
    do {                                                                                          \
        X86Insn u_ = dec(m32, hex);                                                               \
        ck_assert_msg(u_.status == DEC_UD, "%s: status %d op %s, want #UD", hex, u_.status,     \
                      x86_op_name(u_.op));                                                        \
    } while (0)
#define REG(in, i, sz, r)                                                                         \
    do {                                                                                          \
        ck_assert_msg(in.ops[i].kind == OPK_REG && in.ops[i].size == (sz) && in.ops[i].reg == (r), \
                      "op%d: kind %d size %d reg %d", i, in.ops[i].kind, in.ops[i].size, in.ops[i].reg); \
    } while (0)
#define KIND(in, i, k, sz, r)                                                                     \
    do {                                                                                          \
        ck_assert_msg(in.ops[i].kind == (k) && in.ops[i].size == (sz) && in.ops[i].reg == (r),   \
                      "op%d: kind %d size %d reg %d", i, in.ops[i].kind, in.ops[i].size, in.ops[i].reg); \
    } while (0)
#define MEM(in, i, sz)                                                                            \
    do {                                                                                          \
        ck_assert_msg(in.ops[i].kind == OPK_MEM && in.ops[i].size == (sz) && in.has_mem,         \
                      "op%d: kind %d size %d", i, in.ops[i].kind, in.ops[i].size);               \
    } while (0)
#define IMM(in, i, sz, v)                                                                         \
    do {                                                                                          \
        ck_assert_msg(in.ops[i].kind == OPK_IMM && in.ops[i].size == (sz) && in.ops[i].imm == (uint32_t)(v), \
                      "op%d: kind %d size %d imm %#x", i, in.ops[i].kind, in.ops[i].size, in.ops[i].imm); \
    } while (0)
#define REL(in, v)                                                                                \
    do {                                                                                          \
        ck_assert_msg(in.nops == 1 && in.ops[0].kind == OPK_REL && in.ops[0].imm == (uint32_t)(v), \
                      "rel: kind %d imm %#x want %#x", in.ops[0].kind, in.ops[0].imm, (uint32_t)(v)); \
    } while (0)
#define EA(in, b, x, s, d, sg)                                                                    \
    do {                                                                                          \
        ck_assert_msg(in.has_mem && in.ea_base == (b) && in.ea_index == (x) && in.ea_scale == (s) \
                      && in.disp == (int32_t)(d) && in.seg == (sg),                               \
                      "ea: base %d index %d scale %d disp %#x seg %d", in.ea_base, in.ea_index,   \
                      in.ea_scale, (unsigned)in.disp, in.seg);                                    \
    } while (0)

/* Check records every passing ck_assert (a write per call): loops over many cases use this instead. */
#define EXPECT(c)                                                                                 \
    do {                                                                                          \
        if (!(c))                                                                                 \
            ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                                    \
    } while (0)

/* ---- ALU, groups 1-4, multiply/divide ---- */
START_TEST(test_alu)
{
    X86Insn in;
    OK(in, 1, "00 E1", 2, ADD); REG(in, 0, 1, R_ECX); REG(in, 1, 1, 4 /* AH */); ck_assert_int_eq(in.datasize, 1);
    OK(in, 1, "01 08", 2, ADD); MEM(in, 0, 4); REG(in, 1, 4, R_ECX); ck_assert_int_eq(in.nops, 2);
    OK(in, 0, "01 08", 2, ADD); MEM(in, 0, 2); REG(in, 1, 2, R_ECX); ck_assert_int_eq(in.datasize, 2);
    OK(in, 1, "2A C7", 2, SUB); REG(in, 0, 1, R_EAX); REG(in, 1, 1, 7 /* BH */);
    OK(in, 1, "33 C1", 2, XOR); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX);
    OK(in, 1, "14 7F", 2, ADC); REG(in, 0, 1, R_EAX); IMM(in, 1, 1, 0x7F);
    OK(in, 1, "1D 78 56 34 12", 5, SBB); REG(in, 0, 4, R_EAX); IMM(in, 1, 4, 0x12345678);
    OK(in, 0, "25 34 12", 3, AND); REG(in, 0, 2, R_EAX); IMM(in, 1, 2, 0x1234);
    OK(in, 1, "66 0D 34 12", 4, OR); REG(in, 0, 2, R_EAX); IMM(in, 1, 2, 0x1234);
    OK(in, 1, "3C 80", 2, CMP); IMM(in, 1, 1, 0x80);
    OK(in, 1, "84 C3", 2, TEST); REG(in, 0, 1, R_EBX); REG(in, 1, 1, R_EAX);
    OK(in, 1, "A9 FF FF FF FF", 5, TEST); IMM(in, 1, 4, 0xFFFFFFFF);
    /* group 1: 80/82 Eb,Ib; 81 Ev,Iz; 83 Ev,Ib sign-extended and masked to the operand size */
    OK(in, 1, "80 C4 05", 3, ADD); REG(in, 0, 1, 4); IMM(in, 1, 1, 5);
    OK(in, 1, "82 F8 05", 3, CMP); REG(in, 0, 1, R_EAX);
    OK(in, 1, "81 3D 00 10 00 00 78 56 34 12", 10, CMP); MEM(in, 0, 4); IMM(in, 1, 4, 0x12345678);
    OK(in, 0, "81 C3 34 12", 4, ADD); REG(in, 0, 2, R_EBX); IMM(in, 1, 2, 0x1234);
    OK(in, 1, "83 C0 FF", 3, ADD); IMM(in, 1, 4, 0xFFFFFFFF);
    OK(in, 0, "83 C0 FF", 3, ADD); IMM(in, 1, 2, 0xFFFF);
    OK(in, 1, "66 83 E8 80", 4, SUB); IMM(in, 1, 2, 0xFF80);
    OK(in, 1, "83 F1 7F", 3, XOR); IMM(in, 1, 4, 0x7F);
    static const int grp1[8] = { X86_OP_ADD, X86_OP_OR, X86_OP_ADC, X86_OP_SBB, X86_OP_AND, X86_OP_SUB,
                                 X86_OP_XOR, X86_OP_CMP };
    for (int r = 0; r < 8; r++) {
        uint8_t b[3] = { 0x83, (uint8_t)(0xC0 | r << 3), 1 };
        ck_assert_int_eq(decode_at_end(b, 3, true, 0, &in), DEC_OK);
        ck_assert_int_eq(in.op, grp1[r]);
    }
    /* group 3 / 4 */
    OK(in, 1, "F6 C1 0F", 3, TEST); REG(in, 0, 1, R_ECX); IMM(in, 1, 1, 0x0F);
    OK(in, 1, "F6 C9 0F", 3, TEST); /* /1: undocumented alias of /0 */
    OK(in, 0, "F7 06 00 20 34 12", 6, TEST); MEM(in, 0, 2); IMM(in, 1, 2, 0x1234);
    OK(in, 1, "F7 D0", 2, NOT); REG(in, 0, 4, R_EAX); ck_assert_int_eq(in.nops, 1);
    OK(in, 1, "F6 1B", 2, NEG); MEM(in, 0, 1);
    OK(in, 1, "F7 E1", 2, MUL); REG(in, 0, 4, R_ECX); ck_assert_int_eq(in.nops, 1);
    OK(in, 1, "F7 E9", 2, IMUL); REG(in, 0, 4, R_ECX); ck_assert_int_eq(in.nops, 1);
    OK(in, 1, "F6 F3", 2, DIV); REG(in, 0, 1, R_EBX);
    OK(in, 0, "F7 3F", 2, IDIV); MEM(in, 0, 2);
    OK(in, 1, "FE C4", 2, INC); REG(in, 0, 1, 4);
    OK(in, 1, "FE 08", 2, DEC); MEM(in, 0, 1);
    UD(1, "FE 10"); UD(1, "FE F8");
    OK(in, 1, "40", 1, INC); REG(in, 0, 4, R_EAX);
    OK(in, 0, "4F", 1, DEC); REG(in, 0, 2, R_EDI);
    /* IMUL forms */
    OK(in, 1, "0F AF C1", 3, IMUL); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX); ck_assert_int_eq(in.nops, 2);
    OK(in, 1, "69 C1 78 56 34 12", 6, IMUL); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX); IMM(in, 2, 4, 0x12345678);
    OK(in, 0, "69 C1 34 12", 4, IMUL); IMM(in, 2, 2, 0x1234);
    OK(in, 1, "6B 00 FE", 3, IMUL); MEM(in, 1, 4); IMM(in, 2, 4, 0xFFFFFFFE); ck_assert_int_eq(in.nops, 3);
    OK(in, 0, "6B C0 FE", 3, IMUL); IMM(in, 2, 2, 0xFFFE);
    /* BCD */
    OK(in, 1, "27", 1, DAA); OK(in, 1, "2F", 1, DAS); OK(in, 1, "37", 1, AAA); OK(in, 1, "3F", 1, AAS);
    OK(in, 1, "D4 0A", 2, AAM); IMM(in, 0, 1, 10);
    OK(in, 1, "D5 10", 2, AAD); IMM(in, 0, 1, 16);
}
END_TEST

START_TEST(test_shifts)
{
    X86Insn in;
    static const int grp2[8] = { X86_OP_ROL, X86_OP_ROR, X86_OP_RCL, X86_OP_RCR, X86_OP_SHL, X86_OP_SHR,
                                 X86_OP_SAL, X86_OP_SAR };
    for (int r = 0; r < 8; r++) {
        uint8_t b[3] = { 0xC1, (uint8_t)(0xC0 | r << 3 | 2), 3 };
        ck_assert_int_eq(decode_at_end(b, 3, true, 0, &in), DEC_OK);
        ck_assert_int_eq(in.op, grp2[r]);
        REG(in, 0, 4, R_EDX); IMM(in, 1, 1, 3);
    }
    OK(in, 1, "D0 E0", 2, SHL); REG(in, 0, 1, R_EAX); IMM(in, 1, 1, 1);
    OK(in, 0, "D1 28", 2, SHR); MEM(in, 0, 2); IMM(in, 1, 1, 1);
    OK(in, 1, "D2 C4", 2, ROL); REG(in, 0, 1, 4); REG(in, 1, 1, R_ECX);
    OK(in, 1, "D3 F8", 2, SAR); REG(in, 0, 4, R_EAX); REG(in, 1, 1, R_ECX);
    OK(in, 1, "C0 10 07", 3, RCL); MEM(in, 0, 1); IMM(in, 1, 1, 7);
    OK(in, 1, "0F A4 C8 04", 4, SHLD); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX); IMM(in, 2, 1, 4);
    OK(in, 0, "0F AD 07", 3, SHRD); MEM(in, 0, 2); REG(in, 1, 2, R_EAX); REG(in, 2, 1, R_ECX);
}
END_TEST

/* ---- branches ---- */
START_TEST(test_branches)
{
    X86Insn in;
    in = dec_eip(1, 0x1000, "74 FE"); ck_assert_int_eq(in.op, X86_OP_Jcc); REL(in, 0x1000); ck_assert_int_eq(in.cond, 4);
    in = dec_eip(1, 0x1000, "7F 10"); REL(in, 0x1012); ck_assert_int_eq(in.cond, 0xF);
    in = dec_eip(0, 0xFFF0, "75 20"); REL(in, 0x0012); ck_assert_int_eq(in.ops[0].size, 2); /* wraps at 64K */
    in = dec_eip(0, 0xFFF0, "66 75 20"); REL(in, 0x10013); /* 32-bit operand size: not masked */
    in = dec_eip(1, 0x1000, "0F 84 00 01 00 00"); ck_assert_int_eq(in.op, X86_OP_Jcc); REL(in, 0x1106);
    ck_assert_int_eq(in.len, 6); ck_assert_int_eq(in.opcode, 0x0F84);
    in = dec_eip(0, 0x100, "0F 8C FC FF"); ck_assert_int_eq(in.len, 4); REL(in, 0x100); ck_assert_int_eq(in.cond, 0xC);
    in = dec_eip(1, 0x100, "66 0F 8C FC FF"); ck_assert_int_eq(in.len, 5); REL(in, 0x101);
    in = dec_eip(1, 0x1000, "E8 FB FF FF FF"); ck_assert_int_eq(in.op, X86_OP_CALL); REL(in, 0x1000);
    in = dec_eip(0, 0x1000, "E8 00 F0"); REL(in, 0x0003);
    in = dec_eip(1, 0x1000, "E9 00 00 00 80"); ck_assert_int_eq(in.op, X86_OP_JMP); REL(in, 0x80001005);
    in = dec_eip(1, 0x1000, "EB 80"); ck_assert_int_eq(in.op, X86_OP_JMP); REL(in, 0x0F82);
    in = dec_eip(1, 0, "E2 FE"); ck_assert_int_eq(in.op, X86_OP_LOOP); REL(in, 0); ck_assert_int_eq(in.addrsize, 4);
    in = dec_eip(1, 0, "67 E2 FE"); ck_assert_int_eq(in.addrsize, 2); REL(in, 1);
    in = dec_eip(1, 0, "E1 00"); ck_assert_int_eq(in.op, X86_OP_LOOPE);
    in = dec_eip(1, 0, "E0 00"); ck_assert_int_eq(in.op, X86_OP_LOOPNE);
    in = dec_eip(0, 0, "E3 00"); ck_assert_int_eq(in.op, X86_OP_JCXZ); ck_assert_int_eq(in.addrsize, 2);
    /* indirect and far */
    OK(in, 1, "FF E0", 2, JMP); REG(in, 0, 4, R_EAX);
    OK(in, 0, "FF 17", 2, CALL); MEM(in, 0, 2);
    OK(in, 1, "FF 2D 00 00 01 00", 6, JMPF); MEM(in, 0, 6); EA(in, R_NONE, R_NONE, 1, 0x10000, SEG_DS);
    OK(in, 0, "FF 1F", 2, CALLF); MEM(in, 0, 4);
    OK(in, 1, "66 FF 1F", 3, CALLF); MEM(in, 0, 4);
    UD(1, "FF D8"); UD(1, "FF E8"); UD(1, "FF F8"); UD(1, "FF 38");
    OK(in, 1, "EA 78 56 34 12 00 F0", 7, JMPF);
    ck_assert_int_eq(in.ops[0].kind, OPK_FAR); ck_assert_uint_eq(in.ops[0].imm, 0x12345678);
    ck_assert_uint_eq(in.ops[0].sel, 0xF000); ck_assert_int_eq(in.ops[0].size, 6);
    OK(in, 0, "9A 00 7C 00 00", 5, CALLF); ck_assert_uint_eq(in.ops[0].imm, 0x7C00); ck_assert_int_eq(in.ops[0].size, 4);
    OK(in, 1, "C3", 1, RET); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "C2 08 00", 3, RET); IMM(in, 0, 2, 8);
    OK(in, 0, "CA 04 00", 3, RETF); IMM(in, 0, 2, 4);
    OK(in, 0, "CB", 1, RETF); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "CF", 1, IRET); ck_assert_int_eq(in.nops, 0); ck_assert_int_eq(in.opsize, 4);
    OK(in, 1, "66 CF", 2, IRET); ck_assert_int_eq(in.opsize, 2);
    /* conditions of SETcc/CMOVcc */
    OK(in, 1, "0F 94 C0", 3, SETcc); REG(in, 0, 1, R_EAX); ck_assert_int_eq(in.cond, 4); ck_assert_int_eq(in.nops, 1);
    OK(in, 1, "0F 9F 00", 3, SETcc); MEM(in, 0, 1); ck_assert_int_eq(in.cond, 0xF);
    OK(in, 1, "0F 4F C1", 3, CMOVcc); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX); ck_assert_int_eq(in.cond, 0xF);
    OK(in, 0, "0F 42 07", 3, CMOVcc); REG(in, 0, 2, R_EAX); MEM(in, 1, 2); ck_assert_int_eq(in.cond, 2);
}
END_TEST

/* ---- data movement, stack ---- */
START_TEST(test_mov_stack)
{
    X86Insn in;
    OK(in, 1, "88 E0", 2, MOV); REG(in, 0, 1, R_EAX); REG(in, 1, 1, 4);
    OK(in, 1, "8B 45 08", 3, MOV); REG(in, 0, 4, R_EAX); MEM(in, 1, 4); EA(in, R_EBP, R_NONE, 1, 8, SEG_SS);
    OK(in, 1, "8C D8", 2, MOV); REG(in, 0, 4, R_EAX); KIND(in, 1, OPK_SREG, 2, SEG_DS);
    OK(in, 1, "8C 18", 2, MOV); MEM(in, 0, 2);
    OK(in, 0, "8E D8", 2, MOV); KIND(in, 0, OPK_SREG, 2, SEG_DS); REG(in, 1, 2, R_EAX);
    OK(in, 1, "8E 10", 2, MOV); KIND(in, 0, OPK_SREG, 2, SEG_SS); MEM(in, 1, 2);
    OK(in, 1, "8E E0", 2, MOV); KIND(in, 0, OPK_SREG, 2, SEG_FS);
    UD(1, "8E C8"); UD(1, "8E 08"); UD(1, "8E F0"); UD(1, "8E F8"); UD(1, "8C F0"); UD(1, "8C 38");
    OK(in, 1, "8C C8", 2, MOV); KIND(in, 1, OPK_SREG, 2, SEG_CS); /* reading CS is fine */
    /* moffs: OPK_MEM at [disp], address size wide */
    OK(in, 1, "A1 78 56 34 12", 5, MOV); REG(in, 0, 4, R_EAX); MEM(in, 1, 4); EA(in, R_NONE, R_NONE, 1, 0x12345678, SEG_DS);
    OK(in, 0, "A0 34 12", 3, MOV); REG(in, 0, 1, R_EAX); MEM(in, 1, 1); EA(in, R_NONE, R_NONE, 1, 0x1234, SEG_DS);
    OK(in, 1, "67 A3 34 12", 4, MOV); MEM(in, 0, 4); REG(in, 1, 4, R_EAX); ck_assert_int_eq(in.disp, 0x1234);
    OK(in, 0, "67 64 A2 78 56 34 12", 7, MOV); MEM(in, 0, 1); EA(in, R_NONE, R_NONE, 1, 0x12345678, SEG_FS);
    OK(in, 1, "B4 12", 2, MOV); REG(in, 0, 1, 4); IMM(in, 1, 1, 0x12);
    OK(in, 1, "BF 78 56 34 12", 5, MOV); REG(in, 0, 4, R_EDI); IMM(in, 1, 4, 0x12345678);
    OK(in, 0, "BB 34 12", 3, MOV); REG(in, 0, 2, R_EBX); IMM(in, 1, 2, 0x1234);
    OK(in, 1, "C6 00 12", 3, MOV); MEM(in, 0, 1); IMM(in, 1, 1, 0x12);
    OK(in, 0, "C7 06 00 10 34 12", 6, MOV); MEM(in, 0, 2); IMM(in, 1, 2, 0x1234);
    UD(1, "C6 08 12"); UD(1, "C7 C8 00 00 00 00");
    OK(in, 1, "0F B6 C1", 3, MOVZX); REG(in, 0, 4, R_EAX); REG(in, 1, 1, R_ECX);
    OK(in, 0, "0F B7 07", 3, MOVZX); REG(in, 0, 2, R_EAX); MEM(in, 1, 2);
    OK(in, 1, "0F BE 00", 3, MOVSX); MEM(in, 1, 1); OK(in, 1, "66 0F BF C3", 4, MOVSX); REG(in, 0, 2, R_EAX); REG(in, 1, 2, R_EBX);
    OK(in, 1, "8D 04 24", 3, LEA); REG(in, 0, 4, R_EAX); MEM(in, 1, 0); EA(in, R_ESP, R_NONE, 1, 0, SEG_SS);
    UD(1, "8D C0");
    OK(in, 1, "C5 30", 2, LDS); REG(in, 0, 4, R_ESI); MEM(in, 1, 6);
    OK(in, 0, "C4 3E 00 01", 4, LES); REG(in, 0, 2, R_EDI); MEM(in, 1, 4);
    OK(in, 1, "0F B2 20", 3, LSS); MEM(in, 1, 6); OK(in, 1, "0F B4 20", 3, LFS); OK(in, 0, "0F B5 20", 3, LGS); MEM(in, 1, 4);
    UD(1, "C5 C0"); UD(1, "C4 C0"); UD(1, "0F B2 C0"); UD(1, "0F B4 C0"); UD(1, "0F B5 C0");
    OK(in, 1, "62 00", 2, BOUND); REG(in, 0, 4, R_EAX); MEM(in, 1, 8);
    OK(in, 0, "62 00", 2, BOUND); MEM(in, 1, 4); UD(1, "62 C0");
    OK(in, 1, "86 C4", 2, XCHG); REG(in, 0, 1, 4); REG(in, 1, 1, R_EAX);
    OK(in, 1, "86 E0", 2, XCHG); REG(in, 0, 1, R_EAX); REG(in, 1, 1, 4);
    OK(in, 1, "87 08", 2, XCHG); MEM(in, 0, 4); REG(in, 1, 4, R_ECX);
    OK(in, 1, "93", 1, XCHG); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_EBX);
    OK(in, 0, "97", 1, XCHG); REG(in, 0, 2, R_EAX); REG(in, 1, 2, R_EDI);
    OK(in, 1, "90", 1, NOP); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "F3 90", 2, NOP); /* PAUSE */
    OK(in, 1, "66 90", 2, NOP);
    /* stack */
    OK(in, 1, "50", 1, PUSH); REG(in, 0, 4, R_EAX); OK(in, 0, "5F", 1, POP); REG(in, 0, 2, R_EDI);
    OK(in, 1, "FF 30", 2, PUSH); MEM(in, 0, 4); OK(in, 1, "8F 00", 2, POP); MEM(in, 0, 4);
    OK(in, 0, "8F C0", 2, POP); REG(in, 0, 2, R_EAX); UD(1, "8F 08"); UD(1, "8F F8");
    OK(in, 1, "68 78 56 34 12", 5, PUSH); IMM(in, 0, 4, 0x12345678);
    OK(in, 0, "68 34 12", 3, PUSH); IMM(in, 0, 2, 0x1234);
    OK(in, 1, "6A FF", 2, PUSH); IMM(in, 0, 4, 0xFFFFFFFF);
    OK(in, 0, "6A 80", 2, PUSH); IMM(in, 0, 2, 0xFF80);
    OK(in, 1, "06", 1, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_ES); OK(in, 1, "07", 1, POP); KIND(in, 0, OPK_SREG, 2, SEG_ES);
    OK(in, 1, "0E", 1, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_CS);
    OK(in, 1, "16", 1, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_SS); OK(in, 1, "17", 1, POP);
    OK(in, 1, "1E", 1, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_DS); OK(in, 1, "1F", 1, POP);
    OK(in, 1, "0F A0", 2, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_FS); OK(in, 1, "0F A1", 2, POP);
    OK(in, 1, "0F A8", 2, PUSH); KIND(in, 0, OPK_SREG, 2, SEG_GS); OK(in, 1, "0F A9", 2, POP); KIND(in, 0, OPK_SREG, 2, SEG_GS);
    OK(in, 1, "60", 1, PUSHA); OK(in, 1, "61", 1, POPA); OK(in, 1, "9C", 1, PUSHF); OK(in, 1, "9D", 1, POPF);
    OK(in, 1, "C8 10 00 01", 4, ENTER); IMM(in, 0, 2, 0x10); IMM(in, 1, 1, 1); OK(in, 1, "C9", 1, LEAVE);
}
END_TEST

/* ---- I/O, interrupts, strings, flags and other operand-less forms ---- */
START_TEST(test_misc)
{
    X86Insn in;
    OK(in, 1, "E4 60", 2, IN); REG(in, 0, 1, R_EAX); IMM(in, 1, 1, 0x60);
    OK(in, 1, "E5 60", 2, IN); REG(in, 0, 4, R_EAX);
    OK(in, 1, "66 ED", 2, IN); REG(in, 0, 2, R_EAX); REG(in, 1, 2, R_EDX);
    OK(in, 1, "EC", 1, IN); REG(in, 0, 1, R_EAX); REG(in, 1, 2, R_EDX);
    OK(in, 1, "E6 80", 2, OUT); IMM(in, 0, 1, 0x80); REG(in, 1, 1, R_EAX);
    OK(in, 0, "E7 80", 2, OUT); REG(in, 1, 2, R_EAX);
    OK(in, 1, "EE", 1, OUT); REG(in, 0, 2, R_EDX); REG(in, 1, 1, R_EAX);
    OK(in, 1, "EF", 1, OUT); REG(in, 1, 4, R_EAX);
    OK(in, 1, "CD 21", 2, INT); IMM(in, 0, 1, 0x21);
    OK(in, 1, "CC", 1, INT3); ck_assert_int_eq(in.nops, 0); OK(in, 1, "CE", 1, INTO); OK(in, 1, "F1", 1, INT1);
    /* string ops: no operands, the form is in datasize; REP/REPNE, the last of F2/F3 counts */
    OK(in, 1, "A4", 1, MOVS); ck_assert_int_eq(in.datasize, 1); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "A5", 1, MOVS); ck_assert_int_eq(in.datasize, 4);
    OK(in, 0, "A5", 1, MOVS); ck_assert_int_eq(in.datasize, 2);
    OK(in, 1, "66 A5", 2, MOVS); ck_assert_int_eq(in.datasize, 2);
    OK(in, 1, "F3 A5", 2, MOVS); ck_assert_int_eq(in.prefixes, PFX_REP);
    OK(in, 1, "F2 A6", 2, CMPS); ck_assert_int_eq(in.prefixes, PFX_REPNE); ck_assert_int_eq(in.datasize, 1);
    OK(in, 1, "F2 F3 A7", 3, CMPS); ck_assert_int_eq(in.prefixes, PFX_REP);
    OK(in, 1, "F3 F2 AE", 3, SCAS); ck_assert_int_eq(in.prefixes, PFX_REPNE);
    OK(in, 1, "AA", 1, STOS); ck_assert_int_eq(in.datasize, 1); OK(in, 1, "AB", 1, STOS);
    OK(in, 1, "AC", 1, LODS); OK(in, 1, "AD", 1, LODS); OK(in, 1, "AF", 1, SCAS); ck_assert_int_eq(in.datasize, 4);
    OK(in, 1, "6C", 1, INS); ck_assert_int_eq(in.datasize, 1); OK(in, 1, "6D", 1, INS);
    OK(in, 1, "6E", 1, OUTS); OK(in, 0, "6F", 1, OUTS); ck_assert_int_eq(in.datasize, 2);
    OK(in, 1, "26 A4", 2, MOVS); ck_assert_int_eq(in.seg, SEG_ES); ck_assert(in.prefixes & PFX_SEG);
    OK(in, 1, "67 A4", 2, MOVS); ck_assert_int_eq(in.addrsize, 2); ck_assert_int_eq(in.seg, SEG_DS);
    OK(in, 1, "D7", 1, XLAT); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "98", 1, CBW); ck_assert_int_eq(in.opsize, 4); OK(in, 1, "66 99", 2, CWD); ck_assert_int_eq(in.opsize, 2);
    static const struct { const char *hex; int op; } simple[] = {
        { "9E", X86_OP_SAHF }, { "9F", X86_OP_LAHF }, { "D6", X86_OP_SALC }, { "F8", X86_OP_CLC },
        { "F9", X86_OP_STC }, { "F5", X86_OP_CMC }, { "FC", X86_OP_CLD }, { "FD", X86_OP_STD },
        { "FA", X86_OP_CLI }, { "FB", X86_OP_STI }, { "F4", X86_OP_HLT }, { "9B", X86_OP_WAIT },
        { "0F A2", X86_OP_CPUID }, { "0F 31", X86_OP_RDTSC }, { "0F 32", X86_OP_RDMSR }, { "0F 30", X86_OP_WRMSR },
        { "0F 33", X86_OP_RDPMC }, { "0F 34", X86_OP_SYSENTER }, { "0F 35", X86_OP_SYSEXIT },
        { "0F AA", X86_OP_RSM }, { "0F 0B", X86_OP_UD2 }, { "0F 08", X86_OP_INVD }, { "0F 09", X86_OP_WBINVD },
        { "0F 06", X86_OP_CLTS }, { "0F 77", X86_OP_EMMS },
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        in = dec(1, simple[i].hex);
        ck_assert_msg(in.status == DEC_OK && in.op == simple[i].op && in.nops == 0, "%s: status %d op %s",
                      simple[i].hex, in.status, x86_op_name(in.op));
    }
}
END_TEST

/* ---- 0F map: bits, atomics, system groups ---- */
START_TEST(test_0f)
{
    X86Insn in;
    OK(in, 1, "0F A3 C8", 3, BT); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX);
    OK(in, 1, "0F AB 08", 3, BTS); MEM(in, 0, 4); OK(in, 1, "0F B3 08", 3, BTR); OK(in, 0, "0F BB 08", 3, BTC); MEM(in, 0, 2);
    OK(in, 1, "0F BA E0 05", 4, BT); REG(in, 0, 4, R_EAX); IMM(in, 1, 1, 5);
    OK(in, 1, "0F BA 28 1F", 4, BTS); MEM(in, 0, 4); OK(in, 1, "0F BA F0 01", 4, BTR); OK(in, 1, "0F BA F8 01", 4, BTC);
    UD(1, "0F BA C0 01"); UD(1, "0F BA 18 01");
    OK(in, 1, "0F BC C1", 3, BSF); REG(in, 0, 4, R_EAX); REG(in, 1, 4, R_ECX); OK(in, 1, "0F BD C1", 3, BSR);
    OK(in, 1, "0F B0 0B", 3, CMPXCHG); MEM(in, 0, 1); REG(in, 1, 1, R_ECX);
    OK(in, 1, "0F B1 D1", 3, CMPXCHG); REG(in, 0, 4, R_ECX); REG(in, 1, 4, R_EDX);
    OK(in, 1, "0F C0 C1", 3, XADD); REG(in, 0, 1, R_ECX); OK(in, 0, "0F C1 07", 3, XADD); MEM(in, 0, 2); REG(in, 1, 2, R_EAX);
    OK(in, 1, "0F C7 0E", 3, CMPXCHG8B); MEM(in, 0, 8); ck_assert_int_eq(in.nops, 1);
    UD(1, "0F C7 C8"); UD(1, "0F C7 06"); UD(1, "0F C7 30");
    OK(in, 1, "0F C8", 2, BSWAP); REG(in, 0, 4, R_EAX); OK(in, 1, "0F CF", 2, BSWAP); REG(in, 0, 4, R_EDI);
    OK(in, 0, "0F C9", 2, BSWAP); REG(in, 0, 2, R_ECX);
    OK(in, 1, "63 C8", 2, ARPL); REG(in, 0, 2, R_EAX); REG(in, 1, 2, R_ECX);
    OK(in, 1, "63 08", 2, ARPL); MEM(in, 0, 2);
    OK(in, 1, "0F 02 C1", 3, LAR); REG(in, 0, 4, R_EAX); REG(in, 1, 2, R_ECX);
    OK(in, 0, "0F 03 07", 3, LSL); REG(in, 0, 2, R_EAX); MEM(in, 1, 2);
    /* group 6 */
    OK(in, 1, "0F 00 C0", 3, SLDT); REG(in, 0, 4, R_EAX); OK(in, 1, "0F 00 00", 3, SLDT); MEM(in, 0, 2);
    OK(in, 1, "0F 00 C8", 3, STR); REG(in, 0, 4, R_EAX); OK(in, 0, "0F 00 C8", 3, STR); REG(in, 0, 2, R_EAX);
    OK(in, 1, "0F 00 D0", 3, LLDT); REG(in, 0, 2, R_EAX); OK(in, 1, "0F 00 18", 3, LTR); MEM(in, 0, 2);
    OK(in, 1, "0F 00 E0", 3, VERR); REG(in, 0, 2, R_EAX); OK(in, 1, "0F 00 28", 3, VERW); MEM(in, 0, 2);
    UD(1, "0F 00 30"); UD(1, "0F 00 F8");
    /* group 7 */
    OK(in, 1, "0F 01 00", 3, SGDT); MEM(in, 0, 6); OK(in, 0, "0F 01 08", 3, SIDT); MEM(in, 0, 6);
    OK(in, 1, "0F 01 10", 3, LGDT); MEM(in, 0, 6); OK(in, 1, "0F 01 18", 3, LIDT); MEM(in, 0, 6);
    OK(in, 1, "0F 01 E0", 3, SMSW); REG(in, 0, 4, R_EAX); OK(in, 1, "0F 01 20", 3, SMSW); MEM(in, 0, 2);
    OK(in, 1, "0F 01 F0", 3, LMSW); REG(in, 0, 2, R_EAX); OK(in, 1, "0F 01 30", 3, LMSW); MEM(in, 0, 2);
    OK(in, 1, "0F 01 38", 3, INVLPG); MEM(in, 0, 0);
    UD(1, "0F 01 C0"); UD(1, "0F 01 C8"); UD(1, "0F 01 D0"); UD(1, "0F 01 D8"); UD(1, "0F 01 F8"); UD(1, "0F 01 28");
    UD(1, "0F 01 E8");
    /* MOV CR/DR: mod ignored, register operand */
    OK(in, 1, "0F 20 C0", 3, MOV_CR); REG(in, 0, 4, R_EAX); KIND(in, 1, OPK_CREG, 4, 0);
    OK(in, 0, "0F 22 D8", 3, MOV_CR); KIND(in, 0, OPK_CREG, 4, 3); REG(in, 1, 4, R_EAX);
    OK(in, 1, "0F 20 13", 3, MOV_CR); REG(in, 0, 4, R_EBX); KIND(in, 1, OPK_CREG, 4, 2); ck_assert(!in.has_mem);
    OK(in, 1, "0F 22 65", 3, MOV_CR); KIND(in, 0, OPK_CREG, 4, 4); REG(in, 1, 4, R_EBP); /* no disp consumed */
    UD(1, "0F 20 C8"); UD(1, "0F 22 E8"); UD(1, "0F 22 F0"); UD(1, "0F 20 F8");
    OK(in, 1, "0F 21 F8", 3, MOV_DR); REG(in, 0, 4, R_EAX); KIND(in, 1, OPK_DREG, 4, 7);
    OK(in, 1, "0F 23 C1", 3, MOV_DR); KIND(in, 0, OPK_DREG, 4, 0); REG(in, 1, 4, R_ECX);
    OK(in, 1, "0F 23 E1", 3, MOV_DR); KIND(in, 0, OPK_DREG, 4, 4);
    /* hint NOPs: 0F 1F /0 is the documented multi-byte NOP */
    OK(in, 1, "0F 1F 00", 3, NOP); MEM(in, 0, 4); OK(in, 1, "0F 1F 44 00 00", 5, NOP);
    OK(in, 1, "66 0F 1F 84 00 00 00 00 00", 9, NOP); MEM(in, 0, 2);
    OK(in, 1, "0F 18 C0", 3, NOP); OK(in, 1, "0F 19 00", 3, NOP); OK(in, 1, "0F 1E FA", 3, NOP);
    OK(in, 1, "0F AE 00", 3, FXSAVE); MEM(in, 0, 0); OK(in, 1, "0F AE 08", 3, FXRSTOR); MEM(in, 0, 0);
    UD(1, "0F AE C0"); UD(1, "0F AE 10"); UD(1, "0F AE 18"); UD(1, "0F AE 38"); UD(1, "0F AE F8"); UD(1, "0F AE E8");
}
END_TEST

/* ---- opcodes a P6 does not have ---- */
START_TEST(test_undefined)
{
    static const char *const ud[] = {
        "0F 04", "0F 05", "0F 07", "0F 0A", "0F 0C", "0F 0D 00", "0F 0E", "0F 0F C0 B4", "0F 10 C0", "0F 11 C0",
        "0F 28 C1", "0F 2A C0", "0F 58 C1", "0F 5F C1", "0F 24 C0", "0F 26 C0", "0F 36", "0F 37", "0F 38 00 C0",
        "0F 3A 0F C1 01", "0F A6", "0F A7", "0F B8 C0", "0F B9 C0", "0F FF", "0F C2 C1 00", "0F C3 00",
        "0F C4 C0 00", "0F C5 C0 00", "0F C6 C1 00", "0F 70 C1 00", "0F D4 C1", "0F D7 C1", "0F DA C1", "0F E0 C1",
        "0F E7 00", "0F F4 C1", "0F F7 C1", "0F FB C1", "0F 6C C1", "0F 6D C1", "0F 78 C1", "0F 7C C1", "0F D0 C1",
        "0F D6 C1", "0F E6 C1", "0F F0 00", "66 0F 6F C1", "F3 0F 6F C1", "F2 0F FC C1", "F3 0F 7E C1",
        "0F 71 C8 01", "0F 71 10 01", "0F 72 F8 01", "0F 73 D8 01", "0F 73 F8 01", "0F 73 E0 01",
        "DB 08", "DD 08", "DF 08", "D9 08", "DB 20", "DB 30", "DD 28", "D9 D1", "D9 E2", "D9 EF", "DA E0",
        "DA E8", "DB E5", "DB F8", "DD F0", "DE D8", "DF E1", "DF F8",
    };
    for (size_t i = 0; i < sizeof ud / sizeof ud[0]; i++)
        UD(1, ud[i]);
    for (size_t i = 0; i < sizeof ud / sizeof ud[0]; i++)
        UD(0, ud[i]);
}
END_TEST

/* ---- x87 and MMX: lengths and operands ---- */
START_TEST(test_fpu_mmx)
{
    X86Insn in;
    OK(in, 1, "D9 C1", 2, FPU); KIND(in, 0, OPK_STREG, 10, 1); ck_assert_int_eq(in.modrm, 0xC1);
    OK(in, 1, "D8 00", 2, FPU); MEM(in, 0, 4); OK(in, 1, "DC 40 10", 3, FPU); MEM(in, 0, 8);
    OK(in, 1, "DB 28", 2, FPU); MEM(in, 0, 10); OK(in, 1, "DE 00", 2, FPU); MEM(in, 0, 2);
    OK(in, 1, "DF 28", 2, FPU); MEM(in, 0, 8); OK(in, 1, "DF 20", 2, FPU); MEM(in, 0, 10);
    OK(in, 1, "D9 20", 2, FPU); MEM(in, 0, 28); OK(in, 0, "D9 30", 2, FPU); MEM(in, 0, 14);
    OK(in, 1, "66 D9 38", 3, FPU); MEM(in, 0, 2);
    OK(in, 1, "DD 30", 2, FPU); MEM(in, 0, 108); OK(in, 0, "DD 20", 2, FPU); MEM(in, 0, 94);
    OK(in, 1, "DD 38", 2, FPU); MEM(in, 0, 2); OK(in, 1, "DA 05 00 00 00 00", 6, FPU); MEM(in, 0, 4);
    OK(in, 1, "DF E0", 2, FPU); REG(in, 0, 2, R_EAX);
    OK(in, 1, "D9 E8", 2, FPU); ck_assert_int_eq(in.nops, 0); OK(in, 1, "DE D9", 2, FPU); ck_assert_int_eq(in.nops, 0);
    OK(in, 1, "DB E3", 2, FPU); OK(in, 1, "DA E9", 2, FPU); OK(in, 1, "D9 D0", 2, FPU);
    OK(in, 1, "DF C1", 2, FPU); KIND(in, 0, OPK_STREG, 10, 1); /* FFREEP: P6 alias */
    OK(in, 1, "DB F1", 2, FPU); OK(in, 1, "DF E9", 2, FPU); OK(in, 1, "DA C8", 2, FPU); /* P6 FCOMI, FCMOV */
    UD(1, "F0 D8 00");
    OK(in, 1, "0F 6F C1", 3, MMX); KIND(in, 0, OPK_MMXREG, 8, 0); KIND(in, 1, OPK_MMXREG, 8, 1);
    OK(in, 1, "0F FC 00", 3, MMX); KIND(in, 0, OPK_MMXREG, 8, 0); MEM(in, 1, 8);
    OK(in, 1, "0F 6E C8", 3, MMX); KIND(in, 0, OPK_MMXREG, 8, 1); REG(in, 1, 4, R_EAX);
    OK(in, 1, "0F 7E 08", 3, MMX); MEM(in, 0, 4); KIND(in, 1, OPK_MMXREG, 8, 1);
    OK(in, 1, "0F 7F 08", 3, MMX); MEM(in, 0, 8); KIND(in, 1, OPK_MMXREG, 8, 1);
    OK(in, 1, "0F 71 D0 03", 4, MMX); KIND(in, 0, OPK_MMXREG, 8, 0); IMM(in, 1, 1, 3);
    OK(in, 1, "0F 72 E1 03", 4, MMX); OK(in, 1, "0F 73 F2 03", 4, MMX); KIND(in, 0, OPK_MMXREG, 8, 2);
    OK(in, 0, "0F EF 06 00 10", 5, MMX); MEM(in, 1, 8);
    static const uint8_t valid[] = { 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6E,
        0x6F, 0x74, 0x75, 0x76, 0x7E, 0x7F, 0xD1, 0xD2, 0xD3, 0xD5, 0xD8, 0xD9, 0xDB, 0xDC, 0xDD, 0xDF, 0xE1, 0xE2,
        0xE5, 0xE8, 0xE9, 0xEB, 0xEC, 0xED, 0xEF, 0xF1, 0xF2, 0xF3, 0xF5, 0xF8, 0xF9, 0xFA, 0xFC, 0xFD, 0xFE };
    int count = 0;
    for (int op = 0; op < 256; op++) {
        if (!((op >= 0x60 && op <= 0x7F) || op >= 0xD0) || op == 0x71 || op == 0x72 || op == 0x73 || op == 0x77)
            continue;
        uint8_t b[3] = { 0x0F, (uint8_t)op, 0xC1 };
        bool want = memchr(valid, op, sizeof valid) != NULL;
        ck_assert_msg((decode_at_end(b, 3, true, 0, &in) == DEC_OK) == want, "0F %02X", op);
        count += want;
    }
    ck_assert_int_eq(count, (int)sizeof valid);
}
END_TEST

/* ---- addressing ---- */
START_TEST(test_ea16)
{
    /* SDM vol 2 table 2-1: r/m → base, index, default segment; mod 0 r/m 6 is [disp16] */
    static const struct { uint8_t base, index, seg; } rm16[8] = {
        { R_EBX, R_ESI, SEG_DS }, { R_EBX, R_EDI, SEG_DS }, { R_EBP, R_ESI, SEG_SS }, { R_EBP, R_EDI, SEG_SS },
        { R_ESI, R_NONE, SEG_DS }, { R_EDI, R_NONE, SEG_DS }, { R_EBP, R_NONE, SEG_SS }, { R_EBX, R_NONE, SEG_DS },
    };
    X86Insn in;
    for (int mod = 0; mod < 3; mod++)
        for (int rm = 0; rm < 8; rm++) {
            uint8_t b[8] = { 0x8B, (uint8_t)(mod << 6 | 2 << 3 | rm), 0x80, 0x12, 0x90 };
            int want_len = mod == 1 ? 3 : mod == 2 ? 4 : 2;
            int base = rm16[rm].base, seg = rm16[rm].seg;
            int32_t disp = mod == 1 ? -128 : mod == 2 ? 0x1280 : 0;
            if (mod == 0 && rm == 6) {
                want_len = 4, base = R_NONE, seg = SEG_DS, disp = 0x1280;
            }
            ck_assert_int_eq(decode_at_end(b, 5, false, 0, &in), DEC_OK);
            ck_assert_int_eq(in.len, want_len);
            EA(in, base, rm16[rm].index, 1, disp, seg);
            REG(in, 0, 2, R_EDX);
            MEM(in, 1, 2);
            /* an override wins over the default */
            uint8_t c[9] = { 0x26, 0x8B, b[1], 0x80, 0x12, 0x90 };
            ck_assert_int_eq(decode_at_end(c, 6, false, 0, &in), DEC_OK);
            ck_assert_int_eq(in.seg, SEG_ES);
        }
    in = dec(1, "67 8B 46 FE"); EA(in, R_EBP, R_NONE, 1, -2, SEG_SS); ck_assert_int_eq(in.addrsize, 2); ck_assert_int_eq(in.len, 4);
    in = dec(0, "67 8B 04 24"); EA(in, R_ESP, R_NONE, 1, 0, SEG_SS); ck_assert_int_eq(in.addrsize, 4);
}
END_TEST

START_TEST(test_ea32)
{
    X86Insn in;
    in = dec(1, "8B 00"); EA(in, R_EAX, R_NONE, 1, 0, SEG_DS); ck_assert_int_eq(in.len, 2);
    in = dec(1, "8B 05 78 56 34 12"); EA(in, R_NONE, R_NONE, 1, 0x12345678, SEG_DS); ck_assert_int_eq(in.len, 6);
    in = dec(1, "8B 45 00"); EA(in, R_EBP, R_NONE, 1, 0, SEG_SS);
    in = dec(1, "8B 85 00 01 00 00"); EA(in, R_EBP, R_NONE, 1, 0x100, SEG_SS);
    in = dec(1, "8B 04 24"); EA(in, R_ESP, R_NONE, 1, 0, SEG_SS); ck_assert_int_eq(in.len, 3);
    in = dec(1, "8B 04 88"); EA(in, R_EAX, R_ECX, 4, 0, SEG_DS);
    in = dec(1, "8B 44 C8 F0"); EA(in, R_EAX, R_ECX, 8, -16, SEG_DS); ck_assert_int_eq(in.len, 4);
    in = dec(1, "8B 04 65 00 10 00 00"); EA(in, R_NONE, R_NONE, 1, 0x1000, SEG_DS); /* no base, no index */
    in = dec(1, "8B 04 8D 00 10 00 00"); EA(in, R_NONE, R_ECX, 4, 0x1000, SEG_DS); ck_assert_int_eq(in.len, 7);
    in = dec(1, "8B 44 8D 10"); EA(in, R_EBP, R_ECX, 4, 0x10, SEG_SS);
    in = dec(1, "8B 04 2C"); EA(in, R_ESP, R_EBP, 1, 0, SEG_SS); /* index EBP does not make it SS; base ESP does */
    in = dec(1, "8B 04 28"); EA(in, R_EAX, R_EBP, 1, 0, SEG_DS);
    in = dec(1, "8B 84 24 00 00 00 80"); EA(in, R_ESP, R_NONE, 1, (int32_t)0x80000000, SEG_SS); ck_assert_int_eq(in.len, 7);
    in = dec(1, "64 8B 04 24"); EA(in, R_ESP, R_NONE, 1, 0, SEG_FS);
    in = dec(1, "26 2E 36 8B 00"); ck_assert_int_eq(in.seg, SEG_SS); /* the last override wins */
    in = dec(1, "3E 65 8B 45 00"); ck_assert_int_eq(in.seg, SEG_GS);
    in = dec(1, "3E 8B 45 00"); ck_assert_int_eq(in.seg, SEG_DS);
    in = dec(0, "66 8B 07"); ck_assert_int_eq(in.opsize, 4); REG(in, 0, 4, R_EAX); MEM(in, 1, 4);
    in = dec(1, "66 67 8B 07"); ck_assert_int_eq(in.opsize, 2); ck_assert_int_eq(in.addrsize, 2);
    ck_assert_int_eq(in.prefixes, PFX_OPSIZE | PFX_ADDRSIZE); EA(in, R_EBX, R_NONE, 1, 0, SEG_DS);
    in = dec(1, "66 66 66 8B 07"); ck_assert_int_eq(in.status, DEC_OK); ck_assert_int_eq(in.opsize, 2); ck_assert_int_eq(in.len, 5);
    in = dec(1, "8B C1"); ck_assert(!in.has_mem); ck_assert_int_eq(in.seg, SEG_DS); ck_assert(in.has_modrm);
    ck_assert_int_eq(in.modrm, 0xC1); ck_assert_uint_eq(in.eip, 0x1000); ck_assert_int_eq(in.opcode, 0x8B);
}
END_TEST

/* ---- LOCK (SDM vol 2 LOCK: only these instructions, only with a memory destination) ---- */
START_TEST(test_lock)
{
    static const char *const ok[] = {
        "F0 00 00", "F0 01 00", "F0 09 00", "F0 11 00", "F0 19 00", "F0 21 00", "F0 29 00", "F0 31 00",
        "F0 80 00 01", "F0 81 08 01 00 00 00", "F0 83 10 01", "F0 83 18 01", "F0 83 20 01", "F0 83 28 01",
        "F0 83 30 01", "F0 86 00", "F0 87 00", "F0 F6 10", "F0 F7 18", "F0 FE 00", "F0 FF 08", "F0 0F AB 00",
        "F0 0F B3 00", "F0 0F BB 00", "F0 0F BA 28 01", "F0 0F BA 30 01", "F0 0F BA 38 01", "F0 0F B0 00",
        "F0 0F B1 00", "F0 0F C7 08", "F0 0F C0 00", "F0 0F C1 00", "66 F0 01 00", "F0 F0 01 00",
    };
    static const char *const ud[] = {
        "F0 01 C0", "F0 02 00", "F0 03 00", "F0 04 01", "F0 38 00", "F0 39 00", "F0 83 38 01", "F0 80 F8 01",
        "F0 83 C0 01", "F0 86 C0", "F0 87 C0", "F0 F6 00 01", "F0 F6 D0", "F0 F6 20", "F0 F7 38", "F0 FE C0",
        "F0 FF 30", "F0 FF 10", "F0 40", "F0 90", "F0 8B 00", "F0 89 00", "F0 0F A3 00", "F0 0F BA 20 01",
        "F0 0F AB C0", "F0 0F B1 C0", "F0 0F C1 C0", "F0 0F C7 C8", "F0 0F AF 00", "F0 0F A4 00 01",
        "F0 A5", "F0 F3 A4", "F0 0F 20 C0", "F0 0F 22 C0", "F0 8F 00", "F0 C6 00 01", "F0 D0 20", "F0 0F 01 38",
        "F0 0F B6 00", "F0 EB 00", "F0 0F 1F 00", "F0 0F 6F 00",
    };
    X86Insn in;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        in = dec(1, ok[i]);
        ck_assert_msg(in.status == DEC_OK && (in.prefixes & PFX_LOCK), "%s: status %d", ok[i], in.status);
    }
    for (size_t i = 0; i < sizeof ud / sizeof ud[0]; i++)
        UD(1, ud[i]);
}
END_TEST

/* ---- length limit and truncation ---- */
START_TEST(test_length_limit)
{
    uint8_t b[32];
    X86Insn in;
    memset(b, 0x66, sizeof b);
    b[14] = 0x90;
    ck_assert_int_eq(decode_at_end(b, 20, true, 0, &in), DEC_OK); /* 14 prefixes + NOP = 15 bytes */
    ck_assert_int_eq(in.len, 15);
    b[14] = 0x66, b[15] = 0x90;
    ck_assert_int_eq(decode_at_end(b, 20, true, 0, &in), DEC_TOO_LONG); /* 16 bytes */
    ck_assert_int_eq(decode_at_end(b, 15, true, 0, &in), DEC_TOO_LONG); /* 15 prefixes, 15 supplied: #GP */
    ck_assert_int_eq(decode_at_end(b, 14, true, 0, &in), DEC_NEED_MORE); /* the 15th byte is on the next page */
    memset(b, 0x3E, sizeof b);
    memcpy(b + 10, "\xB8\x01\x02\x03\x04", 5);
    ck_assert_int_eq(decode_at_end(b, 15, true, 0, &in), DEC_OK); /* exactly 15 */
    ck_assert_int_eq(in.len, 15);
    memset(b, 0x3E, sizeof b);
    memcpy(b + 11, "\xB8\x01\x02\x03\x04", 5);
    ck_assert_int_eq(decode_at_end(b, 16, true, 0, &in), DEC_TOO_LONG);
    ck_assert_int_eq(decode_at_end(b, 15, true, 0, &in), DEC_TOO_LONG);
    ck_assert_int_eq(decode_at_end(b, 14, true, 0, &in), DEC_NEED_MORE);
    memset(b, 0xF3, sizeof b); /* a long run of REP prefixes is still a run of prefixes */
    ck_assert_int_eq(decode_at_end(b, 32, true, 0, &in), DEC_TOO_LONG);
    /* 13 prefixes + 0F 84 rel32 = 19 bytes: #GP at the 16th byte */
    memset(b, 0x2E, 13);
    memcpy(b + 13, "\x0F\x84\x00\x00\x00\x00", 6);
    ck_assert_int_eq(decode_at_end(b, 19, true, 0, &in), DEC_TOO_LONG);
    ck_assert_int_eq(decode_at_end(b, 0, true, 0, &in), DEC_NEED_MORE);
}
END_TEST

/* Exception priority (SDM vol 3 6.9): an invalid form of a defined instruction is #UD only once its bytes are all
 * there and within 15; an undefined opcode is #UD as soon as it is seen. */
START_TEST(test_priority)
{
    static const struct { const char *hex; int avail; int status; } cases[] = {
        { "F0 8B 80 00 00 00 00", 7, DEC_UD },            /* LOCK MOV: #UD ... */
        { "F0 8B 80 00 00 00 00", 5, DEC_NEED_MORE },     /* ... unless its displacement is on the next page */
        { "3E 3E 3E 3E 3E 3E 3E 3E 3E F0 8B 80 00 00 00 00", 16, DEC_TOO_LONG }, /* ... or it is 16 bytes long */
        { "8D 80 00 00 00 00", 6, DEC_OK },
        { "8D C0", 2, DEC_UD }, { "C4 C0", 2, DEC_UD },
        { "3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 0F 20 C8", 16, DEC_TOO_LONG },
        { "DB 88 00 00 00 00", 6, DEC_UD }, { "DB 88 00 00 00 00", 3, DEC_NEED_MORE },
        { "66 0F 6F 80 00 00 00 00", 8, DEC_UD }, { "66 0F 6F 80 00 00 00 00", 6, DEC_NEED_MORE },
        { "F0 0F 20 C0", 4, DEC_UD }, { "8E 8C 00", 3, DEC_NEED_MORE }, { "8E 8C 00 00 00 00 00", 7, DEC_UD },
        { "0F 0A", 2, DEC_UD }, { "FF B8", 2, DEC_UD }, { "C6 88", 2, DEC_UD }, { "0F 71 10", 3, DEC_UD },
        { "3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 0F 05", 16, DEC_TOO_LONG },
        { "3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 3E 0F 05", 15, DEC_UD },
    };
    uint8_t b[32];
    X86Insn in;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_hex(cases[i].hex, b);
        int st = decode_at_end(b, cases[i].avail, true, 0, &in);
        ck_assert_msg(st == cases[i].status, "%s avail %d: status %d want %d", cases[i].hex, cases[i].avail, st,
                      cases[i].status);
    }
}
END_TEST

/* Every truncation point of valid encodings gives DEC_NEED_MORE; the bytes sit before an unmapped page, so
 * a read past avail would fault the test. */
START_TEST(test_need_more)
{
    static const char *const enc[] = {
        "81 84 88 78 56 34 12 EF BE AD DE", "66 67 F0 26 81 80 34 12 78 56", "0F 84 00 01 00 00",
        "EA 78 56 34 12 00 F0", "C8 10 00 01", "A1 78 56 34 12", "67 A1 34 12", "0F BA 2C 24 05",
        "8B 04 8D 00 10 00 00", "69 C1 78 56 34 12", "D9 05 00 00 00 00", "0F 71 D0 03", "0F 6F 44 24 08",
        "0F 20 C0", "0F C7 0E", "DD 30", "F3 A5", "0F 1F 44 00 00", "8B 46 FE", "C7 86 00 10 34 12",
        "66 0F A4 C8 04", "9A 00 7C 00 00", "FF 2D 00 00 01 00", "CD 21", "6A FF",
    };
    uint8_t b[32];
    X86Insn in;
    int tested = 0;
    for (int m = 0; m < 2; m++)
        for (size_t i = 0; i < sizeof enc / sizeof enc[0]; i++) {
            int n = parse_hex(enc[i], b);
            /* an encoding of one mode may need more bytes in the other: test it where it is complete */
            if (decode_at_end(b, n, m, 0, &in) != DEC_OK)
                continue;
            tested++;
            int len = in.len;
            for (int k = 0; k < len; k++)
                ck_assert_msg(decode_at_end(b, k, m, 0, &in) == DEC_NEED_MORE, "%s avail %d mode %d", enc[i], k, m);
        }
    ck_assert_int_ge(tested, 45);
}
END_TEST

/* Random bytes at every avail: never crash, statuses and lengths consistent, truncation never changes a result. */
START_TEST(test_random_robust)
{
    uint64_t s = 0x243F6A8885A308D3ull;
    uint8_t b[16];
    X86Insn in, in2;
    for (int iter = 0; iter < 200000; iter++) {
        for (int i = 0; i < 16; i++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            b[i] = (uint8_t)s;
        }
        bool m32 = iter & 1;
        int cut = (int)(s >> 40) % 16; /* any prefix of the bytes: never a read past it, never a different answer */
        int stc = decode_at_end(b, cut, m32, (uint32_t)s, &in2);
        int st = decode_at_end(b, 16, m32, (uint32_t)s, &in);
        EXPECT(stc == DEC_NEED_MORE || (stc == st && (st != DEC_OK || in2.len == in.len)));
        EXPECT(st == DEC_OK || st == DEC_UD || st == DEC_TOO_LONG);
        EXPECT(st == in.status);
        if (st != DEC_OK)
            continue;
        EXPECT(in.len >= 1 && in.len <= 15 && in.nops <= 3);
        EXPECT(in.opsize == 2 || in.opsize == 4);
        EXPECT(in.datasize == 1 || in.datasize == in.opsize);
        EXPECT(in.seg <= SEG_GS);
        EXPECT(in.op > X86_OP_INVALID && in.op < X86_OP_COUNT);
        EXPECT(decode_at_end(b, in.len, m32, (uint32_t)s, &in2) == DEC_OK);
        EXPECT(in2.len == in.len && in2.op == in.op && in2.nops == in.nops);
        EXPECT(decode_at_end(b, in.len - 1, m32, (uint32_t)s, &in2) == DEC_NEED_MORE);
    }
}
END_TEST

START_TEST(test_op_names)
{
    ck_assert_str_eq(x86_op_name(X86_OP_ADD), "ADD");
    ck_assert_str_eq(x86_op_name(X86_OP_CMPXCHG8B), "CMPXCHG8B");
    ck_assert_str_eq(x86_op_name(X86_OP_INVALID), "INVALID");
    ck_assert_str_eq(x86_op_name(X86_OP_FXRSTOR), "FXRSTOR");
    ck_assert_str_eq(x86_op_name(-1), "?");
    ck_assert_str_eq(x86_op_name(X86_OP_COUNT), "?");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decoder");
    TCase *tc = tcase_create("decode");
    tcase_add_checked_fixture(tc, guard_setup, guard_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_alu);
    tcase_add_test(tc, test_shifts);
    tcase_add_test(tc, test_branches);
    tcase_add_test(tc, test_mov_stack);
    tcase_add_test(tc, test_misc);
    tcase_add_test(tc, test_0f);
    tcase_add_test(tc, test_undefined);
    tcase_add_test(tc, test_fpu_mmx);
    tcase_add_test(tc, test_ea16);
    tcase_add_test(tc, test_ea32);
    tcase_add_test(tc, test_lock);
    tcase_add_test(tc, test_length_limit);
    tcase_add_test(tc, test_need_more);
    tcase_add_test(tc, test_priority);
    tcase_add_test(tc, test_random_robust);
    tcase_add_test(tc, test_op_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
