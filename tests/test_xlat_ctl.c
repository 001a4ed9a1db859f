/* test_xlat_ctl.c — control-flow, stack and string instruction semantics (translator/xlat_ctl.c, xlat_string.c,
 * helpers_string.c, helpers_ctl.c), run end to end: small byte sequences are translated and executed by the exec
 * loop (tests/harness.h) in real mode and flat 32-bit protected mode, and registers, flags and memory are compared
 * with what the Intel SDM (vol 2) says the instructions do.
 * Covers: REP MOVSB/W/D in both directions (16- and 32-bit addressing, 64 KiB wrap, overlapping copies, segment
 * override on the source), REPE CMPSB / REPNE SCASB stopping at the right element, REP STOS, LODS, zero counts,
 * faults in the middle of a REP (segment limit in real mode, #PF with paging) leaving registers as after the last
 * completed iteration and resuming, early stop on exit_request, INS/OUTS through a port device, ENTER with nesting
 * levels and LEAVE, CALL/RET near 16/32 (rel, indirect, imm16), jumps beyond the CS limit (#GP, nothing pushed),
 * LOOP/JCXZ counter width, PUSHA/POPA, PUSH ESP / POP ESP / POP [ESP+d], PUSHF/POPF privilege rules, XLAT.
 * Also prints REP MOVS/STOS/CMPS throughput (not asserted: machines differ).
 * Also: PUSHF/POPF in v8086 mode, OUTS through the TSS I/O bitmap at CPL 3, protected-mode segment checks, PAE
 * frames above 4 GiB, SMC through REP MOVS, a data breakpoint inside REP STOSD, single-stepping a REP.
 * Left out: LOOP/JMP targets in v8086 mode and far transfers (xlat_sys.c, guest tests). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "helpers.h"
#include "helpers_string.h"
#include "mmu.h"
#include "sys.h"

enum { CODE_REAL = 0x1000, CODE_FLAT = 0x10000, GDT_PA = 0x500 };

/* ---- scaffolding ---- */

static Harness *real_new(void)
{
    Harness *h = harness_new(4);
    ck_assert_ptr_nonnull(h);
    harness_real_mode(h);
    harness_set_reg(h, G_ESP, 0x8000);
    return h;
}

static Harness *flat_new(void)
{
    Harness *h = harness_new(4);
    ck_assert_ptr_nonnull(h);
    harness_flat32(h, GDT_PA);
    harness_set_reg(h, G_ESP, 0x80000);
    return h;
}

static void w8(Harness *h, uint32_t pa, uint8_t v) { harness_write(h, pa, &v, 1); }
static void w16(Harness *h, uint32_t pa, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    harness_write(h, pa, b, 2);
}
static void w32(Harness *h, uint32_t pa, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    harness_write(h, pa, b, 4);
}
static uint32_t r8(Harness *h, uint32_t pa) { uint8_t b = 0; harness_read(h, pa, &b, 1); return b; }
static uint32_t r16(Harness *h, uint32_t pa)
{
    uint8_t b[2];
    harness_read(h, pa, b, 2);
    return b[0] | (uint32_t)b[1] << 8;
}
static uint32_t r32(Harness *h, uint32_t pa)
{
    uint8_t b[4];
    harness_read(h, pa, b, 4);
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint32_t reg(Harness *h, int r) { return harness_reg(h, r); }

/* Run from EIP = at (code already written) until HLT; the HLT must be reached. */
static void run_at(Harness *h, uint32_t at)
{
    harness_set_reg(h, G_EIP, at);
    ExecStop s = harness_run(h, 10000000);
    ck_assert_msg(s == STOP_HALT, "stopped: %s (eip %#x)", harness_stop_name(s), reg(h, G_EIP));
}

static void load_run(Harness *h, uint32_t at, const uint8_t *code, size_t n)
{
    harness_write(h, at, code, (uint32_t)n);
    run_at(h, at);
}
#define RUN(h, at, ...)                                                                                          \
    do {                                                                                                         \
        static const uint8_t code_[] = { __VA_ARGS__ };                                                          \
        load_run(h, at, code_, sizeof code_);                                                                    \
    } while (0)

/* Real mode: IVT entry vec -> 0:handler, a HLT there. */
static void real_trap(Harness *h, int vec, uint16_t handler)
{
    w16(h, (uint32_t)vec * 4, handler);
    w16(h, (uint32_t)vec * 4 + 2, 0);
    w8(h, handler, 0xf4);
}

/* Flat mode: an IDT at 0x600 whose gate vec (32-bit interrupt gate, DPL 0) points at a HLT at handler. */
static void flat_trap(Harness *h, int vec, uint32_t handler)
{
    uint32_t lo = (0x08u << 16) | (handler & 0xffff), hi = (handler & 0xffff0000u) | 0x8e00;
    w32(h, 0x600 + (uint32_t)vec * 8, lo);
    w32(h, 0x600 + (uint32_t)vec * 8 + 4, hi);
    h->env->idt_base = 0x600;
    h->env->idt_limit = 256 * 8 - 1;
    w8(h, handler, 0xf4);
}

/* ---- string instructions ---- */

START_TEST(rep_movsb_real_forward)
{
    Harness *h = real_new();
    for (int i = 0; i < 300; i++)
        w8(h, 0x2000 + i, (uint8_t)(i * 7 + 1));
    harness_set_reg(h, G_ESI, 0x2000);
    harness_set_reg(h, G_EDI, 0x3000);
    harness_set_reg(h, G_ECX, 0xabcd0000u | 300);
    RUN(h, CODE_REAL, 0xfc, 0xf3, 0xa4, 0xf4);   /* cld; rep movsb; hlt */
    for (int i = 0; i < 300; i++)
        ck_assert_uint_eq(r8(h, 0x3000 + i), (uint8_t)(i * 7 + 1));
    ck_assert_uint_eq(r8(h, 0x3000 + 300), 0);
    ck_assert_uint_eq(reg(h, G_ESI), 0x2000 + 300);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3000 + 300);
    ck_assert_uint_eq(reg(h, G_ECX), 0xabcd0000u);   /* CX counts; the high half stays */
    harness_free(h);
}
END_TEST

START_TEST(rep_movsw_real_backward)
{
    Harness *h = real_new();
    for (int i = 0; i < 50; i++)
        w16(h, 0x2000 + 2 * i, (uint16_t)(0x1111 * (i + 1)));
    harness_set_reg(h, G_ESI, 0x2000 + 2 * 49);
    harness_set_reg(h, G_EDI, 0x3000 + 2 * 49);
    harness_set_reg(h, G_ECX, 50);
    RUN(h, CODE_REAL, 0xfd, 0xf3, 0xa5, 0xfc, 0xf4);   /* std; rep movsw; cld; hlt */
    for (int i = 0; i < 50; i++)
        ck_assert_uint_eq(r16(h, 0x3000 + 2 * i), (uint16_t)(0x1111 * (i + 1)));
    ck_assert_uint_eq(r16(h, 0x3000 - 2), 0);
    ck_assert_uint_eq(reg(h, G_ESI), 0x2000 - 2);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3000 - 2);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    harness_free(h);
}
END_TEST

/* 16-bit addressing wraps SI/DI at 64 KiB and keeps the high halves of ESI/EDI (SDM vol 1 3.7.5) */
START_TEST(rep_movsb_real_wrap_and_override)
{
    Harness *h = real_new();
    harness_set_seg_real(h, SEG_DS, 0x1000);   /* base 0x10000 */
    harness_set_seg_real(h, SEG_FS, 0x3000);   /* base 0x30000 */
    harness_set_seg_real(h, SEG_ES, 0x2000);   /* base 0x20000 */
    w8(h, 0x1fffe, 0xa1);
    w8(h, 0x1ffff, 0xa2);
    w8(h, 0x10000, 0xa3);
    w8(h, 0x10001, 0xa4);
    harness_set_reg(h, G_ESI, 0x1234fffe);
    harness_set_reg(h, G_EDI, 0x00000100);
    harness_set_reg(h, G_ECX, 4);
    RUN(h, CODE_REAL, 0xfc, 0xf3, 0xa4, 0xf4);
    ck_assert_uint_eq(r32(h, 0x20100), 0xa4a3a2a1u);
    ck_assert_uint_eq(reg(h, G_ESI), 0x12340002u);
    ck_assert_uint_eq(reg(h, G_EDI), 0x104);
    /* descending through offset 0: SI wraps to 0xFFFF */
    w8(h, 0x10002, 0xb1);
    w8(h, 0x10001, 0xb2);
    w8(h, 0x10000, 0xb3);
    w8(h, 0x1ffff, 0xb4);
    w8(h, 0x1fffe, 0xb5);
    harness_set_reg(h, G_ESI, 0x00050002);
    harness_set_reg(h, G_EDI, 0x00000400);
    harness_set_reg(h, G_ECX, 5);
    RUN(h, CODE_REAL, 0xfd, 0xf3, 0xa4, 0xfc, 0xf4);
    ck_assert_uint_eq(r8(h, 0x20400), 0xb1);
    ck_assert_uint_eq(r32(h, 0x203fc), 0xb2b3b4b5u);
    ck_assert_uint_eq(reg(h, G_ESI), 0x0005fffd);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3fb);
    /* FS override: the source comes from FS, the destination stays ES:DI */
    w32(h, 0x30010, 0xcafef00d);
    harness_set_reg(h, G_ESI, 0x10);
    harness_set_reg(h, G_EDI, 0x200);
    harness_set_reg(h, G_ECX, 4);
    RUN(h, CODE_REAL, 0x64, 0xf3, 0xa4, 0xf4);   /* rep movsb fs:[si] */
    ck_assert_uint_eq(r32(h, 0x20200), 0xcafef00du);
    /* a plain MOVSW (no REP) with the override and the inline path */
    w16(h, 0x30020, 0x5aa5);
    harness_set_reg(h, G_ESI, 0x20);
    harness_set_reg(h, G_EDI, 0x300);
    RUN(h, CODE_REAL, 0x64, 0xa5, 0xf4);
    ck_assert_uint_eq(r16(h, 0x20300), 0x5aa5);
    ck_assert_uint_eq(reg(h, G_ESI), 0x22);
    ck_assert_uint_eq(reg(h, G_EDI), 0x302);
    harness_free(h);
}
END_TEST

START_TEST(rep_movsd_flat_both_directions)
{
    Harness *h = flat_new();
    enum { N = 3000 };   /* 12000 bytes: crosses pages on both sides, unaligned to pages */
    for (uint32_t i = 0; i < N; i++)
        w32(h, 0x100010 + 4 * i, i * 0x01010101u + 5);
    harness_set_reg(h, G_ESI, 0x100010);
    harness_set_reg(h, G_EDI, 0x200ffc);
    harness_set_reg(h, G_ECX, N);
    RUN(h, CODE_FLAT, 0xfc, 0xf3, 0xa5, 0xf4);
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(r32(h, 0x200ffc + 4 * i), i * 0x01010101u + 5);
    ck_assert_uint_eq(reg(h, G_ESI), 0x100010 + 4 * N);
    ck_assert_uint_eq(reg(h, G_EDI), 0x200ffc + 4 * N);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    /* backward: copy it again from the top down to 0x300000 */
    harness_set_reg(h, G_ESI, 0x200ffc + 4 * (N - 1));
    harness_set_reg(h, G_EDI, 0x300000 + 4 * (N - 1));
    harness_set_reg(h, G_ECX, N);
    RUN(h, CODE_FLAT, 0xfd, 0xf3, 0xa5, 0xfc, 0xf4);
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(r32(h, 0x300000 + 4 * i), i * 0x01010101u + 5);
    ck_assert_uint_eq(reg(h, G_ESI), 0x200ffc - 4);
    ck_assert_uint_eq(reg(h, G_EDI), 0x300000 - 4);
    /* a plain MOVSB with DF=1 through the inline path */
    harness_set_reg(h, G_ESI, 0x100010);
    harness_set_reg(h, G_EDI, 0x3fff00);
    RUN(h, CODE_FLAT, 0xfd, 0xa4, 0xfc, 0xf4);
    ck_assert_uint_eq(r8(h, 0x3fff00), 5);
    ck_assert_uint_eq(reg(h, G_ESI), 0x10000f);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3ffeff);
    harness_free(h);
}
END_TEST

/* A forward copy onto itself shifted up replicates the first elements, element by element (as the loop does) */
START_TEST(rep_movs_overlap)
{
    Harness *h = flat_new();
    w8(h, 0x100000, 0x5a);
    harness_set_reg(h, G_ESI, 0x100000);
    harness_set_reg(h, G_EDI, 0x100001);
    harness_set_reg(h, G_ECX, 9000);
    RUN(h, CODE_FLAT, 0xf3, 0xa4, 0xf4);
    for (uint32_t i = 0; i <= 9000; i++)
        ck_assert_uint_eq(r8(h, 0x100000 + i), 0x5a);
    ck_assert_uint_eq(r8(h, 0x100000 + 9001), 0);
    w32(h, 0x180000, 0x11223344);
    harness_set_reg(h, G_ESI, 0x180000);
    harness_set_reg(h, G_EDI, 0x180004);
    harness_set_reg(h, G_ECX, 2000);
    RUN(h, CODE_FLAT, 0xf3, 0xa5, 0xf4);
    for (uint32_t i = 0; i <= 2000; i++)
        ck_assert_uint_eq(r32(h, 0x180000 + 4 * i), 0x11223344);
    /* descending with the destination just below the source: the loop replicates the top element downwards */
    w8(h, 0x1a2000, 0x3c);
    harness_set_reg(h, G_ESI, 0x1a2000);
    harness_set_reg(h, G_EDI, 0x1a1fff);
    harness_set_reg(h, G_ECX, 6000);
    RUN(h, CODE_FLAT, 0xfd, 0xf3, 0xa4, 0xfc, 0xf4);
    for (uint32_t i = 0; i <= 6000; i++)
        ck_assert_uint_eq(r8(h, 0x1a2000 - i), 0x3c);
    ck_assert_uint_eq(reg(h, G_ESI), 0x1a2000 - 6000);
    ck_assert_uint_eq(reg(h, G_EDI), 0x1a1fff - 6000);
    /* descending with the destination above: an ordinary memmove */
    for (uint32_t i = 0; i < 64; i++)
        w32(h, 0x1b0000 + 4 * i, 0x1000 + i);
    harness_set_reg(h, G_ESI, 0x1b0000 + 4 * 63);
    harness_set_reg(h, G_EDI, 0x1b0000 + 4 * 63 + 8);
    harness_set_reg(h, G_ECX, 64);
    RUN(h, CODE_FLAT, 0xfd, 0xf3, 0xa5, 0xfc, 0xf4);
    for (uint32_t i = 0; i < 64; i++)
        ck_assert_uint_eq(r32(h, 0x1b0008 + 4 * i), 0x1000 + i);
    /* destination below the source: an ordinary overlapping forward copy */
    for (uint32_t i = 0; i < 100; i++)
        w8(h, 0x190010 + i, (uint8_t)i);
    harness_set_reg(h, G_ESI, 0x190010);
    harness_set_reg(h, G_EDI, 0x19000c);
    harness_set_reg(h, G_ECX, 100);
    RUN(h, CODE_FLAT, 0xf3, 0xa4, 0xf4);
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(r8(h, 0x19000c + i), i);
    harness_free(h);
}
END_TEST

START_TEST(repe_cmpsb_first_difference)
{
    Harness *h = real_new();
    harness_write(h, 0x2000, "abcdefgh", 8);
    harness_write(h, 0x3000, "abcdXfgh", 8);
    harness_set_reg(h, G_ESI, 0x2000);
    harness_set_reg(h, G_EDI, 0x3000);
    harness_set_reg(h, G_ECX, 8);
    RUN(h, CODE_REAL, 0xfc, 0xf3, 0xa6, 0xf4);   /* repe cmpsb */
    ck_assert_uint_eq(reg(h, G_ECX), 3);          /* the iteration that differed counts */
    ck_assert_uint_eq(reg(h, G_ESI), 0x2005);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3005);
    uint32_t fl = harness_eflags(h);              /* 'e' - 'X' = 0x0d: ZF=0 CF=0 SF=0 */
    ck_assert_uint_eq(fl & (F_ZF | F_CF | F_SF | F_OF), 0);
    /* equal strings: runs out the count with ZF=1 */
    harness_set_reg(h, G_ESI, 0x2000);
    harness_set_reg(h, G_EDI, 0x3000);
    harness_set_reg(h, G_ECX, 4);
    RUN(h, CODE_REAL, 0xf3, 0xa6, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    ck_assert(harness_eflags(h) & F_ZF);
    /* REPNE CMPSB stops at the first equal pair; a 'd' < 'e' style borrow sets CF */
    harness_write(h, 0x2100, "zzzq", 4);
    harness_write(h, 0x3100, "aaaq", 4);
    harness_set_reg(h, G_ESI, 0x2100);
    harness_set_reg(h, G_EDI, 0x3100);
    harness_set_reg(h, G_ECX, 10);
    RUN(h, CODE_REAL, 0xf2, 0xa6, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 6);
    ck_assert(harness_eflags(h) & F_ZF);
    /* CMPSW without REP (inline): 0x1234 - 0x1235 = borrow, negative */
    w16(h, 0x2200, 0x1234);
    w16(h, 0x3200, 0x1235);
    harness_set_reg(h, G_ESI, 0x2200);
    harness_set_reg(h, G_EDI, 0x3200);
    RUN(h, CODE_REAL, 0xa7, 0xf4);
    fl = harness_eflags(h);
    ck_assert_uint_eq(fl & (F_ZF | F_CF | F_SF | F_OF), F_CF | F_SF);
    ck_assert_uint_eq(reg(h, G_ESI), 0x2202);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3202);
    harness_free(h);
}
END_TEST

/* REPE CMPSB over 10000 bytes (several pages, both directions): stops right after the one difference */
START_TEST(repe_cmpsb_long_runs)
{
    Harness *h = real_new();
    /* long runs across pages, both directions: the difference at 0x11000 + 9000 */
    harness_fill(h, 0x11000, 0x41, 10000);
    harness_fill(h, 0x21000, 0x41, 10000);
    w8(h, 0x11000 + 9000, 0x40);
    harness_set_reg(h, G_ESI, 0x1000);
    harness_set_reg(h, G_EDI, 0x1000);
    harness_set_seg_real(h, SEG_DS, 0x1000);
    harness_set_seg_real(h, SEG_ES, 0x2000);
    harness_set_reg(h, G_ECX, 10000);
    RUN(h, CODE_REAL, 0xf3, 0xa6, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 10000 - 9001);
    ck_assert_uint_eq(reg(h, G_ESI), 0x1000 + 9001);
    ck_assert_uint_eq(harness_eflags(h) & (F_ZF | F_CF | F_SF), F_CF | F_SF);   /* 0x40 - 0x41 */
    harness_set_reg(h, G_ESI, 0x1000 + 9999);
    harness_set_reg(h, G_EDI, 0x1000 + 9999);
    harness_set_reg(h, G_ECX, 10000);
    RUN(h, CODE_REAL, 0xfd, 0xf3, 0xa6, 0xfc, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 9000);
    ck_assert_uint_eq(reg(h, G_EDI), 0x1000 + 8999);
    harness_free(h);
}
END_TEST

START_TEST(repne_scasb_and_scasd)
{
    Harness *h = flat_new();
    harness_write(h, 0x100000, "hello, world", 13);   /* with its NUL */
    harness_set_reg(h, G_EAX, 0xffffff00u);          /* AL = 0 */
    harness_set_reg(h, G_EDI, 0x100000);
    harness_set_reg(h, G_ECX, 0xffffffffu);
    RUN(h, CODE_FLAT, 0xfc, 0xf2, 0xae, 0xf4);        /* repne scasb: strlen */
    ck_assert_uint_eq(reg(h, G_EDI), 0x100000 + 13);
    ck_assert_uint_eq(~reg(h, G_ECX) - 1, 12);
    ck_assert(harness_eflags(h) & F_ZF);
    /* repne scasw across pages: the word 0x7777 at 0x101ffe + 2*3000 */
    harness_fill(h, 0x101ffe, 0x11, 8000);
    w16(h, 0x101ffe + 2 * 3000, 0x7777);
    harness_set_reg(h, G_EAX, 0x7777);
    harness_set_reg(h, G_EDI, 0x101ffe);
    harness_set_reg(h, G_ECX, 4000);
    RUN(h, CODE_FLAT, 0x66, 0xf2, 0xaf, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 4000 - 3001);
    ck_assert_uint_eq(reg(h, G_EDI), 0x101ffe + 2 * 3001);
    ck_assert(harness_eflags(h) & F_ZF);
    /* repe scasd: skip equal dwords */
    for (int i = 0; i < 10; i++)
        w32(h, 0x110000 + 4 * i, i < 7 ? 0xdeadbeef : 0x100);
    harness_set_reg(h, G_EAX, 0xdeadbeef);
    harness_set_reg(h, G_EDI, 0x110000);
    harness_set_reg(h, G_ECX, 10);
    RUN(h, CODE_FLAT, 0xf3, 0xaf, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 2);
    ck_assert_uint_eq(reg(h, G_EDI), 0x110000 + 32);
    uint32_t fl = harness_eflags(h);   /* 0xdeadbeef - 0x100: no borrow, negative */
    ck_assert_uint_eq(fl & (F_ZF | F_CF | F_SF), F_SF);
    harness_free(h);
}
END_TEST

START_TEST(rep_stos_and_lods)
{
    Harness *h = flat_new();
    harness_set_reg(h, G_EAX, 0x8899aabbu);
    harness_set_reg(h, G_EDI, 0x100ffe);
    harness_set_reg(h, G_ECX, 2000);
    RUN(h, CODE_FLAT, 0xfc, 0xf3, 0xab, 0xf4);   /* rep stosd */
    for (uint32_t i = 0; i < 2000; i++)
        ck_assert_uint_eq(r32(h, 0x100ffe + 4 * i), 0x8899aabbu);
    ck_assert_uint_eq(r32(h, 0x100ffe + 8000), 0);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100ffe + 8000);
    harness_set_reg(h, G_EDI, 0x120000);
    harness_set_reg(h, G_ECX, 5000);
    RUN(h, CODE_FLAT, 0xf3, 0xaa, 0xf4);         /* rep stosb */
    for (uint32_t i = 0; i < 5000; i++)
        ck_assert_uint_eq(r8(h, 0x120000 + i), 0xbb);
    ck_assert_uint_eq(r8(h, 0x120000 + 5000), 0);
    /* rep stosw backward */
    harness_set_reg(h, G_EDI, 0x130000 + 2 * 99);
    harness_set_reg(h, G_ECX, 100);
    RUN(h, CODE_FLAT, 0xfd, 0x66, 0xf3, 0xab, 0xfc, 0xf4);
    for (uint32_t i = 0; i < 100; i++)
        ck_assert_uint_eq(r16(h, 0x130000 + 2 * i), 0xaabb);
    ck_assert_uint_eq(r16(h, 0x130000 - 2), 0);
    ck_assert_uint_eq(reg(h, G_EDI), 0x130000 - 2);
    /* lodsw / rep lodsb: the last element stays in AL */
    w16(h, 0x140000, 0x4321);
    harness_set_reg(h, G_ESI, 0x140000);
    RUN(h, CODE_FLAT, 0x66, 0xad, 0xf4);
    ck_assert_uint_eq(reg(h, G_EAX), 0x88994321u);
    ck_assert_uint_eq(reg(h, G_ESI), 0x140002);
    harness_write(h, 0x140010, "xyz", 3);
    harness_set_reg(h, G_ESI, 0x140010);
    harness_set_reg(h, G_ECX, 3);
    RUN(h, CODE_FLAT, 0xf3, 0xac, 0xf4);
    ck_assert_uint_eq(reg(h, G_EAX) & 0xff, 'z');
    ck_assert_uint_eq(reg(h, G_ESI), 0x140013);
    harness_free(h);
}
END_TEST

/* REP with ECX = 0 does nothing: no access, registers and flags unchanged (SDM vol 2 REP) */
START_TEST(rep_zero_count)
{
    Harness *h = flat_new();
    harness_set_eflags(h, 2 | F_CF | F_SF);
    harness_set_reg(h, G_ESI, 0xfffffff0u);   /* would fault if touched (beyond RAM reads are harmless; */
    harness_set_reg(h, G_EDI, 0x100000);      /* the point is the registers and flags) */
    harness_set_reg(h, G_ECX, 0);
    w32(h, 0x100000, 0x12345678);
    RUN(h, CODE_FLAT, 0xf3, 0xa6, 0xf3, 0xa5, 0xf3, 0xab, 0xf2, 0xae, 0xf4);
    ck_assert_uint_eq(reg(h, G_ESI), 0xfffffff0u);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100000);
    ck_assert_uint_eq(r32(h, 0x100000), 0x12345678);
    ck_assert_uint_eq(harness_eflags(h) & F_ARITH, F_CF | F_SF);
    harness_free(h);
}
END_TEST

/* A #GP in the middle of REP MOVSB (ES limit): CX/SI/DI as after the last completed iteration, IP of the REP on
 * the stack; returning to it finishes the copy. */
START_TEST(rep_movsb_limit_fault_restart)
{
    Harness *h = real_new();
    real_trap(h, EXC_GP, 0x0800);
    for (int i = 0; i < 0x200; i++)
        w8(h, 0x2000 + i, (uint8_t)(i ^ 0x5c));
    h->env->seg[SEG_ES].hi = 0x30ff;   /* ES limit 0x30FF */
    h->env->seg[SEG_ES].limit = 0x30ff;
    harness_set_reg(h, G_ESI, 0x2000);
    harness_set_reg(h, G_EDI, 0x3000);
    harness_set_reg(h, G_ECX, 0x200);
    RUN(h, CODE_REAL, 0xfc, 0xf3, 0xa4, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x0801);     /* in the #GP handler */
    ck_assert_uint_eq(reg(h, G_ECX), 0x100);
    ck_assert_uint_eq(reg(h, G_ESI), 0x2100);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3100);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000 - 6);
    ck_assert_uint_eq(r16(h, 0x8000 - 6), CODE_REAL + 1);   /* IP of the REP MOVSB (after the CLD) */
    ck_assert_uint_eq(r8(h, 0x30ff), 0xff ^ 0x5c);
    ck_assert_uint_eq(r8(h, 0x3100), 0);
    /* "IRET": raise the limit and resume at the saved IP */
    h->env->seg[SEG_ES].hi = 0xffff;
    h->env->seg[SEG_ES].limit = 0xffff;
    harness_set_reg(h, G_ESP, 0x8000);
    run_at(h, CODE_REAL + 1);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    for (int i = 0; i < 0x200; i++)
        ck_assert_uint_eq(r8(h, 0x3000 + i), (uint8_t)(i ^ 0x5c));
    harness_free(h);
}
END_TEST

/* Paging: identity-map 4 MiB with one page missing; REP MOVSD faults on it halfway (#PF, CR2, error code), with
 * ECX/ESI/EDI as after the last completed dword; after mapping the page it resumes and completes. */
START_TEST(rep_movsd_page_fault_restart)
{
    Harness *h = flat_new();
    CpuState *env = h->env;
    enum { PD = 0x200000, PT = 0x201000, SRC = 0x300000, DST = 0x380800, HOLE = 0x381000, N = 1024 };
    w32(h, PD, PT | 7);
    for (uint32_t i = 0; i < 1024; i++)
        w32(h, PT + 4 * i, (i << 12) | 7);
    w32(h, PT + 4 * (HOLE >> 12), 0);   /* not present */
    for (uint32_t i = 0; i < N; i++)
        w32(h, SRC + 4 * i, 0xa5000000u + i);
    flat_trap(h, EXC_PF, 0x11000);
    env->cr3 = PD;
    env->cr0 |= CR0_PG;
    cpu_update_hflags(env);
    tlb_flush_all(env);
    harness_set_reg(h, G_ESI, SRC);
    harness_set_reg(h, G_EDI, DST);
    harness_set_reg(h, G_ECX, N);
    RUN(h, CODE_FLAT, 0xfc, 0xf3, 0xa5, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    ck_assert_uint_eq(env->cr2, HOLE);
    uint32_t done = (HOLE - DST) / 4;   /* dwords copied before the hole */
    ck_assert_uint_eq(reg(h, G_ECX), N - done);
    ck_assert_uint_eq(reg(h, G_ESI), SRC + 4 * done);
    ck_assert_uint_eq(reg(h, G_EDI), HOLE);
    uint32_t sp = reg(h, G_ESP);
    ck_assert_uint_eq(sp, 0x80000 - 16);
    ck_assert_uint_eq(r32(h, sp), 2);                    /* error code: write, not present, supervisor */
    ck_assert_uint_eq(r32(h, sp + 4), CODE_FLAT + 1);    /* EIP of the REP MOVSD */
    ck_assert_uint_eq(r32(h, DST + 4 * (done - 1)), 0xa5000000u + done - 1);
    /* map the page and "IRET" to the instruction */
    w32(h, PT + 4 * (HOLE >> 12), HOLE | 7);
    tlb_flush_all(env);
    harness_set_reg(h, G_ESP, 0x80000);
    run_at(h, CODE_FLAT + 1);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    for (uint32_t i = 0; i < N; i++)
        ck_assert_uint_eq(r32(h, DST + 4 * i), 0xa5000000u + i);
    harness_free(h);
}
END_TEST

/* REP MOVSB over code that was already translated: the next run of it sees the new bytes (SMC through the string
 * helpers: pages with translations take the element path, whose stores invalidate them). */
START_TEST(rep_movs_over_translated_code)
{
    Harness *h = flat_new();
    RUN(h, CODE_FLAT + 0x100, 0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4);   /* mov eax, 1; hlt */
    ck_assert_uint_eq(reg(h, G_EAX), 1);
    harness_write(h, 0x20000, (uint8_t[]){ 0xb8, 0x02, 0x00, 0x00, 0x00, 0xf4 }, 6);
    harness_set_reg(h, G_ESI, 0x20000);
    harness_set_reg(h, G_EDI, CODE_FLAT + 0x100);
    harness_set_reg(h, G_ECX, 6);
    RUN(h, CODE_FLAT, 0xf3, 0xa4, 0xe9, 0xf9, 0x00, 0x00, 0x00);     /* rep movsb; jmp CODE_FLAT + 0x100 */
    ck_assert_uint_eq(reg(h, G_EAX), 2);
    ck_assert_uint_eq(reg(h, G_EIP), CODE_FLAT + 0x106);
    harness_free(h);
}
END_TEST

/* A data breakpoint (DR0, write, 4 bytes) on one dword of a REP STOSD destination: #DB right after the iteration
 * that wrote it, DR6.B0 set, EIP of the REP on the stack and ECX counting the remaining iterations; resuming
 * finishes the instruction. */
START_TEST(rep_stos_data_breakpoint)
{
    Harness *h = flat_new();
    CpuState *env = h->env;
    flat_trap(h, EXC_DB, 0x11000);
    env->dr[0] = 0x100000 + 4 * 700;
    env->dr[7] = 1u | (1u << 16) | (3u << 18);   /* L0, R/W0 = 01 (writes), LEN0 = 11 (4 bytes) */
    harness_set_reg(h, G_EAX, 0xabababab);
    harness_set_reg(h, G_EDI, 0x100000);
    harness_set_reg(h, G_ECX, 1000);
    RUN(h, CODE_FLAT, 0xfc, 0xf3, 0xab, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    ck_assert_uint_eq(env->dr[6] & 0xf, 1);
    ck_assert_uint_eq(reg(h, G_ECX), 1000 - 701);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100000 + 4 * 701);
    ck_assert_uint_eq(r32(h, reg(h, G_ESP)), CODE_FLAT + 1);   /* trap frame: EIP of the REP STOSD */
    ck_assert_uint_eq(r32(h, 0x100000 + 4 * 700), 0xabababab);
    ck_assert_uint_eq(r32(h, 0x100000 + 4 * 701), 0);
    env->dr[7] = 0;
    harness_set_reg(h, G_ESP, 0x80000);
    run_at(h, CODE_FLAT + 1);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    ck_assert_uint_eq(r32(h, 0x100000 + 4 * 999), 0xabababab);
    harness_free(h);
}
END_TEST

/* Single-step through REP MOVSB: one iteration per #DB trap, EIP back on the REP until the last iteration */
START_TEST(rep_movs_single_step)
{
    Harness *h = flat_new();
    CpuState *env = h->env;
    flat_trap(h, EXC_DB, 0x11000);
    harness_write(h, 0x100000, "abcde", 5);
    harness_write(h, CODE_FLAT, (uint8_t[]){ 0xf3, 0xa4, 0xf4 }, 3);
    harness_set_reg(h, G_ESI, 0x100000);
    harness_set_reg(h, G_EDI, 0x100100);
    harness_set_reg(h, G_ECX, 5);
    uint32_t eip = CODE_FLAT;
    for (int i = 0; i < 5; i++) {
        harness_set_eflags(h, 2 | F_TF);
        harness_set_reg(h, G_ESP, 0x80000);
        env->dr[6] = 0;
        run_at(h, eip);
        ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
        ck_assert(env->dr[6] & (1u << 14));                /* DR6.BS */
        ck_assert_uint_eq(reg(h, G_ECX), 4 - (uint32_t)i);
        eip = r32(h, reg(h, G_ESP));
        ck_assert_uint_eq(eip, i < 4 ? CODE_FLAT : CODE_FLAT + 2);
    }
    ck_assert_mem_eq(env->ram + 0x100100, "abcde", 5);
    harness_free(h);
}
END_TEST

/* PAE: a page whose frame lies above 4 GiB is not memory (reads all ones, writes dropped); the string fast path
 * must not write RAM at the truncated 32-bit address. */
START_TEST(rep_string_pae_frame_above_4g)
{
    Harness *h = flat_new();
    CpuState *env = h->env;
    enum { PDPT = 0x200000, PD = 0x201000, PT = 0x202000, HIGH = 0x380000 };
    w32(h, PDPT, PD | 1);
    w32(h, PD, PT | 7);
    w32(h, PD + 8, (PT + 0x1000) | 7);
    for (uint32_t i = 0; i < 1024; i++)   /* two page tables: identity 0..4 MiB */
        w32(h, PT + 8 * i, (i << 12) | 7);
    w32(h, PT + 8 * (HIGH >> 12), 0x00300000 | 7);
    w32(h, PT + 8 * (HIGH >> 12) + 4, 1);  /* frame 0x1_0030_0000 */
    harness_fill(h, 0x300000, 0x5a, 0x1000);
    env->cr3 = PDPT;
    env->pdpte[0] = PD | 1;   /* what MOV CR3 would load (SDM vol 3 4.4.1) */
    env->cr4 |= CR4_PAE;
    env->cr0 |= CR0_PG;
    cpu_update_hflags(env);
    tlb_flush_all(env);
    harness_set_reg(h, G_EAX, 0x01020304);
    harness_set_reg(h, G_EDI, HIGH);
    harness_set_reg(h, G_ECX, 1024);
    RUN(h, CODE_FLAT, 0xfc, 0xf3, 0xab, 0xf4);   /* rep stosd into the page above 4 GiB */
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    for (uint32_t i = 0; i < 0x1000; i += 4)
        ck_assert_uint_eq(r32(h, 0x300000 + i), 0x5a5a5a5au);
    harness_set_reg(h, G_ESI, HIGH);
    harness_set_reg(h, G_EDI, 0x100000);
    harness_set_reg(h, G_ECX, 1024);
    RUN(h, CODE_FLAT, 0xf3, 0xa5, 0xf4);         /* rep movsd out of it: all ones */
    for (uint32_t i = 0; i < 0x1000; i += 4)
        ck_assert_uint_eq(r32(h, 0x100000 + i), 0xffffffffu);
    harness_free(h);
}
END_TEST

/* exit_request makes a long REP stop between iterations (helper returns 0, ECX still nonzero); calling again
 * continues where it stopped. */
START_TEST(rep_stops_on_exit_request)
{
    Harness *h = flat_new();
    CpuState *env = h->env;
    harness_set_reg(h, G_EAX, 0x77);
    harness_set_reg(h, G_EDI, 0x100000);
    harness_set_reg(h, G_ECX, 100000);
    env->exit_request = 1;
    uint32_t desc = 1 | STR_A32 | (SEG_DS << STR_SEG_SHIFT) | STR_REP;
    int calls = 0;
    while (helper_string_stos(env, desc) == 0) {
        ck_assert_uint_gt(reg(h, G_ECX), 0);
        ck_assert_uint_eq(reg(h, G_EDI), 0x100000 + 100000 - reg(h, G_ECX));
        ck_assert_int_lt(++calls, 100000);
    }
    ck_assert_int_gt(calls, 0);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100000 + 100000);
    for (uint32_t i = 0; i < 100000; i++)
        ck_assert_uint_eq(r8(h, 0x100000 + i), 0x77);
    env->exit_request = 0;
    harness_free(h);
}
END_TEST

/* ---- INS / OUTS through a port device ---- */

typedef struct TestPort { uint8_t out[64]; int nout; uint32_t next_in; CpuState *poke; int reads; } TestPort;
static uint32_t port_rd(void *opaque, uint32_t addr, int size)
{
    TestPort *p = opaque;
    uint32_t v = p->next_in;
    p->next_in += 0x0101;
    p->reads++;
    if (p->poke)
        p->poke->exit_request = 1;   /* a device wanting attention: the REP must stop between iterations */
    return v;
}
static void port_wr(void *opaque, uint32_t addr, uint32_t val, int size)
{
    TestPort *p = opaque;
    for (int i = 0; i < size && p->nout < 64; i++)
        p->out[p->nout++] = (uint8_t)(val >> (8 * i));
}

START_TEST(rep_ins_outs)
{
    Harness *h = real_new();
    TestPort port = { .next_in = 0x1000 };
    ck_assert_int_ge(bus_register_io(h->m, 0x300, 2, port_rd, port_wr, &port, "test"), 0);
    harness_write(h, 0x2000, "pcjit!", 6);
    harness_set_reg(h, G_EDX, 0x300);
    harness_set_reg(h, G_ESI, 0x2000);
    harness_set_reg(h, G_ECX, 6);
    RUN(h, CODE_REAL, 0xfc, 0xf3, 0x6e, 0xf4);   /* rep outsb */
    ck_assert_int_eq(port.nout, 6);
    ck_assert_mem_eq(port.out, "pcjit!", 6);
    ck_assert_uint_eq(reg(h, G_ESI), 0x2006);
    harness_set_reg(h, G_EDI, 0x3000);
    harness_set_reg(h, G_ECX, 3);
    RUN(h, CODE_REAL, 0xf3, 0x6d, 0xf4);         /* rep insw */
    ck_assert_uint_eq(r16(h, 0x3000), 0x1000);
    ck_assert_uint_eq(r16(h, 0x3002), 0x1101);
    ck_assert_uint_eq(r16(h, 0x3004), 0x1202);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3006);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    RUN(h, CODE_REAL, 0x6c, 0xf4);               /* insb, no REP */
    ck_assert_uint_eq(r8(h, 0x3006), 0x03);
    ck_assert_uint_eq(reg(h, G_EDI), 0x3007);
    /* every port read raises exit_request: the REP INSB stops after each element, the exec loop looks at its
     * events, and the instruction resumes where it stopped until the count runs out */
    port.poke = h->env;
    port.reads = 0;
    port.next_in = 0;
    harness_set_reg(h, G_EDI, 0x4000);
    harness_set_reg(h, G_ECX, 40);
    uint64_t ic0 = h->env->icount;
    RUN(h, CODE_REAL, 0xf3, 0x6c, 0xf4);
    ck_assert_int_eq(port.reads, 40);
    for (int i = 0; i < 40; i++)
        ck_assert_uint_eq(r8(h, 0x4000 + i), (uint8_t)i);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    ck_assert_uint_eq(reg(h, G_EDI), 0x4000 + 40);
    ck_assert_uint_ge(h->env->icount - ic0, 2);
    harness_free(h);
}
END_TEST

/* ---- ENTER / LEAVE ---- */

START_TEST(enter_leave_16)
{
    Harness *h = real_new();
    harness_set_reg(h, G_EBP, 0x55557000);
    w16(h, 0x6ffe, 0x1111);
    w16(h, 0x6ffc, 0x2222);
    RUN(h, CODE_REAL, 0xc8, 0x10, 0x00, 0x03, 0xf4, 0xc9, 0xf4);   /* enter 0x10,3; hlt; leave; hlt */
    ck_assert_uint_eq(r16(h, 0x7ffe), 0x7000);
    ck_assert_uint_eq(r16(h, 0x7ffc), 0x1111);
    ck_assert_uint_eq(r16(h, 0x7ffa), 0x2222);
    ck_assert_uint_eq(r16(h, 0x7ff8), 0x7ffe);
    ck_assert_uint_eq(reg(h, G_EBP), 0x55557ffe);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fe8);
    run_at(h, CODE_REAL + 5);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000);
    ck_assert_uint_eq(reg(h, G_EBP), 0x55557000);
    harness_free(h);
}
END_TEST

START_TEST(enter_leave_32)
{
    Harness *h = flat_new();
    harness_set_reg(h, G_EBP, 0x70000);
    w32(h, 0x6fffc, 0x11111111);
    w32(h, 0x6fff8, 0x22222222);
    RUN(h, CODE_FLAT, 0xc8, 0x20, 0x00, 0x03, 0xf4, 0xc9, 0xf4);
    ck_assert_uint_eq(r32(h, 0x7fffc), 0x70000);
    ck_assert_uint_eq(r32(h, 0x7fff8), 0x11111111);
    ck_assert_uint_eq(r32(h, 0x7fff4), 0x22222222);
    ck_assert_uint_eq(r32(h, 0x7fff0), 0x7fffc);
    ck_assert_uint_eq(reg(h, G_EBP), 0x7fffc);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7ffd0);
    run_at(h, CODE_FLAT + 5);
    ck_assert_uint_eq(reg(h, G_ESP), 0x80000);
    ck_assert_uint_eq(reg(h, G_EBP), 0x70000);
    /* level 0: push EBP, EBP = ESP, ESP -= size */
    RUN(h, CODE_FLAT, 0xc8, 0x08, 0x00, 0x00, 0xf4);
    ck_assert_uint_eq(reg(h, G_EBP), 0x7fffc);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fff4);
    /* level 33 is level 1 (mod 32): push EBP, push FrameTemp */
    harness_set_reg(h, G_ESP, 0x80000);
    harness_set_reg(h, G_EBP, 0x70000);
    RUN(h, CODE_FLAT, 0xc8, 0x04, 0x00, 0x21, 0xf4);
    ck_assert_uint_eq(r32(h, 0x7fffc), 0x70000);
    ck_assert_uint_eq(r32(h, 0x7fff8), 0x7fffc);
    ck_assert_uint_eq(reg(h, G_EBP), 0x7fffc);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fff4);
    harness_free(h);

    /* 16-bit stack in real mode: a frame reaching below offset 0 wraps; SP just above it with an allocation that
     * leaves the new SP at 0xFFFF is outside the limit for a word: #SS, no register changed */
    h = real_new();
    real_trap(h, EXC_SS, 0x0800);
    harness_set_reg(h, G_EBP, 0x1234);
    harness_set_reg(h, G_ESP, 0x0004);
    RUN(h, CODE_REAL, 0xc8, 0x03, 0x00, 0x00, 0xf4);   /* enter 3, 0: SP = 0x0002 - 3 = 0xFFFF */
    ck_assert_uint_eq(reg(h, G_EIP), 0x0801);
    ck_assert_uint_eq(reg(h, G_EBP), 0x1234);
    ck_assert_uint_eq(reg(h, G_ESP), 0xfffe);   /* SP as before the ENTER (4), minus the 6-byte #SS frame */
    ck_assert_uint_eq(r16(h, 0xfffe), CODE_REAL);
    harness_free(h);
}
END_TEST

/* ---- CALL / RET / JMP ---- */

START_TEST(call_ret_16)
{
    Harness *h = real_new();
    uint8_t code[0x20];
    memset(code, 0x90, sizeof code);
    memcpy(code, (uint8_t[]){ 0xe8, 0x0d, 0x00, 0xf4 }, 4);        /* call 0x1010; hlt */
    memcpy(code + 0x10, (uint8_t[]){ 0xc2, 0x04, 0x00 }, 3);       /* ret 4 */
    load_run(h, CODE_REAL, code, sizeof code);
    ck_assert_uint_eq(reg(h, G_EIP), CODE_REAL + 4);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8004);
    ck_assert_uint_eq(r16(h, 0x7ffe), CODE_REAL + 3);
    /* call bx; hlt — and ret (C3) at the target */
    harness_set_reg(h, G_ESP, 0x12348000);   /* SS.B = 0: only SP moves */
    harness_set_reg(h, G_EBX, 0x1018);
    code[0] = 0xff, code[1] = 0xd3, code[2] = 0xf4;
    code[0x18] = 0xc3;
    load_run(h, CODE_REAL, code, sizeof code);
    ck_assert_uint_eq(reg(h, G_EIP), CODE_REAL + 3);
    ck_assert_uint_eq(reg(h, G_ESP), 0x12348000);
    ck_assert_uint_eq(r16(h, 0x7ffe), CODE_REAL + 2);
    harness_free(h);
}
END_TEST

START_TEST(call_ret_32)
{
    Harness *h = flat_new();
    uint8_t code[0x20];
    memset(code, 0x90, sizeof code);
    memcpy(code, (uint8_t[]){ 0xe8, 0x0b, 0x00, 0x00, 0x00, 0xf4 }, 6);   /* call +0x10; hlt */
    memcpy(code + 0x10, (uint8_t[]){ 0xc2, 0x08, 0x00 }, 3);              /* ret 8 */
    load_run(h, CODE_FLAT, code, sizeof code);
    ck_assert_uint_eq(reg(h, G_EIP), CODE_FLAT + 6);
    ck_assert_uint_eq(reg(h, G_ESP), 0x80008);
    ck_assert_uint_eq(r32(h, 0x7fffc), CODE_FLAT + 5);
    /* call [esp+4] reads the target with the old ESP; jmp eax */
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x80004, CODE_FLAT + 0x18);
    memcpy(code, (uint8_t[]){ 0xff, 0x54, 0x24, 0x04, 0xf4 }, 5);
    memcpy(code + 0x18, (uint8_t[]){ 0xff, 0xe0 }, 2);                    /* jmp eax */
    harness_set_reg(h, G_EAX, CODE_FLAT + 4);
    load_run(h, CODE_FLAT, code, sizeof code);
    ck_assert_uint_eq(reg(h, G_EIP), CODE_FLAT + 5);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fffc);
    ck_assert_uint_eq(r32(h, 0x7fffc), CODE_FLAT + 4);
    /* operand size 16 in 32-bit code: the target wraps to 16 bits, CALL pushes IP (2 bytes), RET pops 2 */
    harness_set_reg(h, G_ESP, 0x80000);
    w8(h, 0x0004, 0xf4);
    w8(h, 0x0010, 0xf4);
    w16(h, 0x0020, 0x6690);   /* 0x20: 90 66 C3 -> nop; ret16 */
    w8(h, 0x0022, 0xc3);
    RUN(h, CODE_FLAT, 0x66, 0xe9, 0x00, 0x00);                       /* jmp16 to (0x10004 + 0) & 0xffff */
    ck_assert_uint_eq(reg(h, G_EIP), 0x0005);
    RUN(h, CODE_FLAT, 0x66, 0xe8, 0x1c, 0x00);                       /* call16 to 0x0020; returns to 0x0004 */
    ck_assert_uint_eq(reg(h, G_EIP), 0x0005);
    ck_assert_uint_eq(reg(h, G_ESP), 0x80000);
    ck_assert_uint_eq(r16(h, 0x7fffe), 0x0004);
    harness_free(h);
}
END_TEST

/* JMP/CALL to an offset beyond CS's limit: #GP(0) with EIP on the branch and nothing pushed (SDM vol 2 JMP/CALL) */
START_TEST(branch_beyond_cs_limit)
{
    Harness *h = real_new();
    real_trap(h, EXC_GP, 0x0800);
    h->env->seg[SEG_CS].hi = 0x1fff;
    h->env->seg[SEG_CS].limit = 0x1fff;
    RUN(h, CODE_REAL, 0xe9, 0xfd, 0x1f, 0xf4);   /* jmp 0x3000 */
    ck_assert_uint_eq(reg(h, G_EIP), 0x0801);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000 - 6);
    ck_assert_uint_eq(r16(h, 0x8000 - 6), CODE_REAL);
    /* CALL: same, and no return address below the exception frame */
    h->env->seg[SEG_CS].hi = 0x1fff;
    h->env->seg[SEG_CS].limit = 0x1fff;
    harness_set_reg(h, G_ESP, 0x8000);
    w16(h, 0x8000 - 8, 0xbeef);
    RUN(h, CODE_REAL, 0xe8, 0xfd, 0x1f, 0xf4);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000 - 6);
    ck_assert_uint_eq(r16(h, 0x8000 - 6), CODE_REAL);
    ck_assert_uint_eq(r16(h, 0x8000 - 8), 0xbeef);
    /* a conditional jump not taken does not fault; taken, it does */
    h->env->seg[SEG_CS].hi = 0x1fff;
    h->env->seg[SEG_CS].limit = 0x1fff;
    harness_set_reg(h, G_ESP, 0x8000);
    harness_set_eflags(h, 2);
    RUN(h, CODE_REAL, 0x0f, 0x84, 0xfc, 0x1f, 0xf4);   /* jz 0x3000 (ZF=0): falls through to hlt */
    ck_assert_uint_eq(reg(h, G_EIP), CODE_REAL + 5);
    harness_set_eflags(h, 2 | F_ZF);
    run_at(h, CODE_REAL);
    ck_assert_uint_eq(reg(h, G_EIP), 0x0801);
    harness_free(h);
}
END_TEST

/* ---- LOOP / JCXZ ---- */

START_TEST(loop_counter_width)
{
    Harness *h = flat_new();
    /* addr16 loop $: CX counts, ECX's high half stays */
    harness_set_reg(h, G_ECX, 0x00010003);
    RUN(h, CODE_FLAT, 0x67, 0xe2, 0xfd, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 0x00010000);
    /* loop $ with ECX: runs 5 times */
    harness_set_reg(h, G_ECX, 5);
    RUN(h, CODE_FLAT, 0xe2, 0xfe, 0xf4);
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    /* loopne: stops when ZF=1 (inc eax sets ZF when eax wraps to 0) */
    harness_set_reg(h, G_EAX, 0xfffffffd);
    harness_set_reg(h, G_ECX, 100);
    RUN(h, CODE_FLAT, 0x40, 0xe0, 0xfd, 0xf4);         /* l: inc eax; loopne l; hlt */
    ck_assert_uint_eq(reg(h, G_EAX), 0);
    ck_assert_uint_eq(reg(h, G_ECX), 97);
    /* loope: stops when ZF=0 */
    harness_set_reg(h, G_EAX, 0);
    harness_set_reg(h, G_ECX, 100);
    RUN(h, CODE_FLAT, 0x85, 0xc0, 0xe1, 0xfc, 0xf4);   /* l: test eax,eax; loope l */
    ck_assert_uint_eq(reg(h, G_ECX), 0);
    /* jecxz / jcxz (addr16 tests CX only) */
    harness_set_reg(h, G_ECX, 0x10000);
    harness_set_reg(h, G_EAX, 0);
    RUN(h, CODE_FLAT, 0xe3, 0x01, 0x40, 0x67, 0xe3, 0x01, 0x40, 0xf4);
    ck_assert_uint_eq(reg(h, G_EAX), 1);   /* ECX != 0: first inc runs; CX == 0: second skipped */
    harness_free(h);
}
END_TEST

/* ---- PUSH / POP ---- */

START_TEST(pusha_popa)
{
    Harness *h = real_new();
    static const uint32_t v[8] = { 0xaaaa0001, 0xbbbb0002, 0xcccc0003, 0xdddd0004,
                                   0,          0xeeee0006, 0xffff0007, 0x99990008 };
    for (int r = 0; r < 8; r++)
        if (r != G_ESP)
            harness_set_reg(h, r, v[r]);
    RUN(h, CODE_REAL, 0x60, 0xf4);   /* pusha */
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000 - 16);
    for (int r = 0; r < 8; r++)
        ck_assert_uint_eq(r16(h, 0x8000 - 2 * (r + 1)), r == G_ESP ? 0x8000 : (v[r] & 0xffff));
    for (int r = 0; r < 8; r++)
        w16(h, 0x8000 - 2 * (r + 1), (uint16_t)(0x4000 + r));
    RUN(h, CODE_REAL, 0x61, 0xf4);   /* popa: the SP slot is skipped */
    ck_assert_uint_eq(reg(h, G_ESP), 0x8000);
    for (int r = 0; r < 8; r++)
        if (r != G_ESP)
            ck_assert_uint_eq(reg(h, r), (v[r] & 0xffff0000u) | (0x4000u + r));
    harness_free(h);

    h = flat_new();
    for (int r = 0; r < 8; r++)
        if (r != G_ESP)
            harness_set_reg(h, r, v[r]);
    RUN(h, CODE_FLAT, 0x60, 0xf4);
    for (int r = 0; r < 8; r++)
        ck_assert_uint_eq(r32(h, 0x80000 - 4 * (r + 1)), r == G_ESP ? 0x80000 : v[r]);
    for (int r = 0; r < 8; r++)
        w32(h, 0x80000 - 4 * (r + 1), 0x12340000u + r);
    RUN(h, CODE_FLAT, 0x61, 0xf4);
    ck_assert_uint_eq(reg(h, G_ESP), 0x80000);
    for (int r = 0; r < 8; r++)
        if (r != G_ESP)
            ck_assert_uint_eq(reg(h, r), 0x12340000u + r);
    harness_free(h);
}
END_TEST

START_TEST(push_pop_esp_forms)
{
    Harness *h = flat_new();
    RUN(h, CODE_FLAT, 0x54, 0xf4);                          /* push esp: the old value */
    ck_assert_uint_eq(r32(h, 0x7fffc), 0x80000);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fffc);
    w32(h, 0x7fffc, 0x60000);
    RUN(h, CODE_FLAT, 0x5c, 0xf4);                          /* pop esp: the popped value */
    ck_assert_uint_eq(reg(h, G_ESP), 0x60000);
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x80000, 0xaabbccdd);
    RUN(h, CODE_FLAT, 0x8f, 0x44, 0x24, 0x04, 0xf4);        /* pop dword [esp+4]: address after the increment */
    ck_assert_uint_eq(reg(h, G_ESP), 0x80004);
    ck_assert_uint_eq(r32(h, 0x80008), 0xaabbccdd);
    ck_assert_uint_eq(r32(h, 0x80004), 0);
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x80004, 0x13572468);
    RUN(h, CODE_FLAT, 0xff, 0x74, 0x24, 0x04, 0xf4);        /* push dword [esp+4]: address before the decrement */
    ck_assert_uint_eq(r32(h, 0x7fffc), 0x13572468);
    RUN(h, CODE_FLAT, 0x6a, 0xff, 0x66, 0x6a, 0x80, 0xf4);  /* push -1 (dword); push word -128 */
    ck_assert_uint_eq(r16(h, 0x7fff6), 0xff80);
    ck_assert_uint_eq(r32(h, 0x7fff8), 0xffffffffu);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fff6);
    /* push ds (32-bit): ESP moves by 4, the selector's 16 bits are written */
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x7fffc, 0xffffffffu);
    RUN(h, CODE_FLAT, 0x1e, 0xf4);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fffc);
    ck_assert_uint_eq(r16(h, 0x7fffc), 0x10);
    harness_free(h);
}
END_TEST

START_TEST(xlat_and_cld_std)
{
    Harness *h = real_new();
    w8(h, 0x2005, 0x77);
    harness_set_reg(h, G_EBX, 0xffff2000);   /* 16-bit addressing: BX only */
    harness_set_reg(h, G_EAX, 0x12345605);
    RUN(h, CODE_REAL, 0xd7, 0xfd, 0xf4);     /* xlat; std */
    ck_assert_uint_eq(reg(h, G_EAX), 0x12345677);
    ck_assert(harness_eflags(h) & F_DF);
    RUN(h, CODE_REAL, 0xfc, 0xf4);
    ck_assert(!(harness_eflags(h) & F_DF));
    harness_free(h);
}
END_TEST

/* ---- PUSHF / POPF ---- */

/* ring 3 with flat segments, no paging: enough for instructions that only look at CPL and IOPL. A 32-bit TSS at
 * 0x2000 gives the ring-0 stack (ESP0 0x90000, SS0 0x10) for the #GP that the final HLT raises at CPL 3; the
 * #GP gate leads to a HLT at 0x11000 in ring 0. */
static void enter_ring3(Harness *h)
{
    CpuState *env = h->env;
    w32(h, 0x2004, 0x90000);
    w32(h, 0x2008, 0x10);
    w16(h, 0x2066, 0x68);
    env->tr.sel = 0x18;
    env->tr.base = 0x2000;
    env->tr.limit = 0x67;
    env->tr.lo = 0;
    env->tr.hi = 0x67;
    env->tr.flags = DESC_P | (11u << DESC_TYPE_SHIFT);   /* busy 32-bit TSS */
    flat_trap(h, EXC_GP, 0x11000);
    env->seg[SEG_CS].sel = 0x1b;
    env->seg[SEG_CS].flags |= 3 << DESC_DPL_SHIFT;
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS) {
            env->seg[s].sel = 0x23;
            env->seg[s].flags |= 3 << DESC_DPL_SHIFT;
        }
    env->hflags = (env->hflags & ~(uint32_t)HF_CPL_MASK) | 3;
    cpu_update_hflags(env);
}

static uint32_t popf_result(Harness *h, uint32_t before, uint32_t popped, bool o16)
{
    harness_set_eflags(h, before);
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x80000, popped);
    if (o16)
        RUN(h, CODE_FLAT, 0x66, 0x9d, 0xf4);
    else
        RUN(h, CODE_FLAT, 0x9d, 0xf4);
    ck_assert_uint_eq(reg(h, G_ESP), o16 ? 0x80002 : 0x80004);
    return harness_eflags(h);
}

/* POPFD at CPL 3; the HLT after it faults into ring 0, whose frame holds the EFLAGS image after the POPF */
static uint32_t popf_result_ring3(Harness *h, uint32_t before, uint32_t popped)
{
    enter_ring3(h);
    ck_assert_uint_eq(h->env->hflags & HF_CPL_MASK, 3);
    harness_set_eflags(h, before);
    harness_set_reg(h, G_ESP, 0x80000);
    w32(h, 0x80000, popped);
    RUN(h, CODE_FLAT, 0x9d, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    uint32_t sp = reg(h, G_ESP);
    ck_assert_uint_eq(sp, 0x90000 - 24);                 /* error code, EIP, CS, EFLAGS, ESP, SS */
    ck_assert_uint_eq(r32(h, sp + 4), CODE_FLAT + 1);    /* the HLT */
    ck_assert_uint_eq(r32(h, sp + 16), 0x80004);         /* ring-3 ESP after the POPF */
    return r32(h, sp + 12);
}

START_TEST(popf_privilege_rules)
{
    Harness *h = flat_new();
    const uint32_t all = F_ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT | F_RF | F_VM | F_AC | F_VIF | F_VIP | F_ID;
    /* CPL 0: everything but VM RF VIF VIP (TF left out: it would single-step the HLT) */
    uint32_t fl = popf_result(h, 2, (all & ~F_TF) | 2, false);
    ck_assert_uint_eq(fl, (all & ~(F_TF | F_VM | F_RF | F_VIF | F_VIP)) | 2);
    /* the 16-bit form keeps the upper half */
    fl = popf_result(h, 2 | F_AC | F_ID, 2 | F_CF, true);
    ck_assert_uint_eq(fl, 2 | F_CF | F_AC | F_ID);
    /* ID toggles (how software detects CPUID) */
    fl = popf_result(h, 2, 2 | F_ID, false);
    ck_assert_uint_eq(fl & F_ID, F_ID);
    fl = popf_result(h, 2 | F_ID, 2, false);
    ck_assert_uint_eq(fl & F_ID, 0);
    /* CPL 3, IOPL 0: IF and IOPL unchanged, the rest written */
    fl = popf_result_ring3(h, 2, 2 | F_IF | F_IOPL | F_CF | F_DF | F_AC);
    ck_assert_uint_eq(fl, 2 | F_CF | F_DF | F_AC);
    fl = popf_result_ring3(h, 2 | F_IF, 2);
    ck_assert_uint_eq(fl, 2 | F_IF);
    /* CPL 3, IOPL 3: IF writable, IOPL still not */
    fl = popf_result_ring3(h, 2 | F_IOPL, 2 | F_IF | F_ZF);
    ck_assert_uint_eq(fl, 2 | F_IOPL | F_IF | F_ZF);
    fl = popf_result_ring3(h, 2 | F_IOPL | F_IF, 2);
    ck_assert_uint_eq(fl, 2 | F_IOPL);
    harness_free(h);

    /* real mode: IOPL and IF writable too */
    h = real_new();
    harness_set_reg(h, G_ESP, 0x8000);
    w16(h, 0x8000, (uint16_t)(2 | F_IOPL | F_IF | F_OF | F_NT));
    RUN(h, CODE_REAL, 0x9d, 0xf4);
    ck_assert_uint_eq(harness_eflags(h), 2 | F_IOPL | F_IF | F_OF | F_NT);
    ck_assert_uint_eq(reg(h, G_ESP), 0x8002);
    harness_free(h);
}
END_TEST

START_TEST(pushf_image)
{
    Harness *h = flat_new();
    harness_set_eflags(h, 2 | F_CF | F_ZF | F_DF | F_AC);
    RUN(h, CODE_FLAT, 0x9c, 0x66, 0x9c, 0xf4);   /* pushfd; pushf */
    ck_assert_uint_eq(r32(h, 0x7fffc), 2 | F_CF | F_ZF | F_DF | F_AC);
    ck_assert_uint_eq(r16(h, 0x7fffa), 2 | F_CF | F_ZF | F_DF);
    ck_assert_uint_eq(reg(h, G_ESP), 0x7fffa);
    /* lazy flags: pushf right after an ADD sees its flags (0x7fffffff + 1: OF SF AF) */
    harness_set_reg(h, G_ESP, 0x80000);
    harness_set_reg(h, G_EAX, 0x7fffffff);
    RUN(h, CODE_FLAT, 0x83, 0xc0, 0x01, 0x9c, 0xf4);
    ck_assert_uint_eq(r32(h, 0x7fffc) & F_ARITH, F_OF | F_SF | F_AF | F_PF);
    harness_free(h);
}
END_TEST

/* v8086 mode (VME off) at CS:IP = 1000:0000 (code at 0x10000), SS:SP = 0000:8000; exceptions go to the ring-0
 * #GP handler at 0x11000 through the TSS set up by enter_ring3. */
static void enter_v86(Harness *h, uint32_t iopl)
{
    CpuState *env = h->env;
    enter_ring3(h);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        seg_load_real(env, s, s == SEG_CS ? 0x1000 : 0, true);
    harness_set_eflags(h, 2 | F_VM | (iopl << 12));
    harness_set_reg(h, G_ESP, 0x8000);
    ck_assert(env->hflags & HF_VM);
}

static void run_v86(Harness *h, const uint8_t *code, uint32_t n)
{
    harness_write(h, 0x10000, code, n);
    harness_set_reg(h, G_EIP, 0);
    ExecStop st = harness_run(h, 100000);
    ck_assert_msg(st == STOP_HALT, "stopped: %s", harness_stop_name(st));
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);   /* every case ends in the ring-0 #GP handler */
}

/* PUSHF/POPF in v8086 mode: #GP(0) unless IOPL = 3 (SDM vol 3 20.2.7); with IOPL 3, POPF changes IF, not IOPL */
START_TEST(pushf_popf_v86)
{
    Harness *h = flat_new();
    static const uint8_t popf_hlt[] = { 0x9d, 0xf4 }, pushf_hlt[] = { 0x9c, 0xf4 };
    enter_v86(h, 0);
    w16(h, 0x8000, 2 | F_IF | F_CF);
    run_v86(h, popf_hlt, 2);
    uint32_t sp = reg(h, G_ESP);
    ck_assert_uint_eq(sp, 0x90000 - 40);               /* error code + the v8086 frame (9 dwords) */
    ck_assert_uint_eq(r32(h, sp + 4), 0);              /* IP of the POPF */
    ck_assert_uint_eq(r32(h, sp + 8), 0x1000);
    ck_assert_uint_eq(r32(h, sp + 12) & (F_VM | F_IF | F_CF), F_VM);
    ck_assert_uint_eq(r32(h, sp + 16), 0x8000);        /* SP not moved */
    enter_v86(h, 0);
    run_v86(h, pushf_hlt, 2);
    sp = reg(h, G_ESP);
    ck_assert_uint_eq(r32(h, sp + 4), 0);
    ck_assert_uint_eq(r32(h, sp + 16), 0x8000);
    /* IOPL 3: POPF works (the HLT then faults at IP 1) */
    enter_v86(h, 3);
    w16(h, 0x8000, 2 | F_IF | F_CF);
    run_v86(h, popf_hlt, 2);
    sp = reg(h, G_ESP);
    ck_assert_uint_eq(r32(h, sp + 4), 1);
    ck_assert_uint_eq(r32(h, sp + 12), 2 | F_VM | F_IOPL | F_IF | F_CF);
    ck_assert_uint_eq(r32(h, sp + 16), 0x8002);
    enter_v86(h, 3);
    harness_set_eflags(h, 2 | F_VM | F_IOPL | F_ZF);
    run_v86(h, pushf_hlt, 2);
    ck_assert_uint_eq(r16(h, 0x7ffe), 2 | F_IOPL | F_ZF);   /* the 16-bit image (VM is bit 17) */
    harness_free(h);
}
END_TEST

/* OUTS at CPL 3 with IOPL 0 goes through the TSS I/O bitmap (SDM vol 1 19.5.2): no bitmap or a set bit is
 * #GP(0) before any port access; a clear bit lets it run. */
START_TEST(outs_io_permission)
{
    Harness *h = flat_new();
    TestPort port = { 0 };
    ck_assert_int_ge(bus_register_io(h->m, 0x300, 2, port_rd, port_wr, &port, "test"), 0);
    harness_write(h, 0x100000, "ring3", 5);
    static const uint8_t code[] = { 0xf3, 0x6e, 0xf4 };   /* rep outsb; hlt */
    for (int pass = 0; pass < 3; pass++) {
        enter_ring3(h);
        if (pass > 0) {                                    /* a bitmap at 0x68 covering ports 0..0x3ff */
            harness_fill(h, 0x2068, 0, 0x81);
            if (pass == 2)
                w8(h, 0x2068 + 0x300 / 8, 1);              /* port 0x300 denied */
            h->env->tr.limit = h->env->tr.hi = 0x68 + 0x80;
        }
        harness_set_reg(h, G_EDX, 0x300);
        harness_set_reg(h, G_ESI, 0x100000);
        harness_set_reg(h, G_ECX, 5);
        port.nout = 0;
        load_run(h, CODE_FLAT, code, sizeof code);
        uint32_t sp = reg(h, G_ESP);
        ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
        if (pass == 1) {
            ck_assert_int_eq(port.nout, 5);
            ck_assert_mem_eq(port.out, "ring3", 5);
            ck_assert_uint_eq(r32(h, sp + 4), CODE_FLAT + 2);   /* got as far as the HLT */
        } else {
            ck_assert_int_eq(port.nout, 0);
            ck_assert_uint_eq(r32(h, sp + 4), CODE_FLAT);
            ck_assert_uint_eq(reg(h, G_ECX), 5);
            ck_assert_uint_eq(reg(h, G_ESI), 0x100000);
        }
    }
    harness_free(h);
}
END_TEST

/* Protected-mode segment checks inside string ops: a read-only ES faults before the first store; an ES limit in
 * the middle of a REP STOSB faults at the first element past it, with the completed elements committed. */
START_TEST(string_segment_checks_pm)
{
    Harness *h = flat_new();
    flat_trap(h, EXC_GP, 0x11000);
    h->env->seg[SEG_ES].flags &= ~(uint32_t)DESC_W;
    cpu_update_hflags(h->env);
    ck_assert(!(h->env->hflags & HF_FLAT));
    harness_set_reg(h, G_EAX, 0x11);
    harness_set_reg(h, G_EDI, 0x100000);
    harness_set_reg(h, G_ECX, 10);
    RUN(h, CODE_FLAT, 0xf3, 0xab, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    ck_assert_uint_eq(r32(h, reg(h, G_ESP) + 4), CODE_FLAT);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100000);
    ck_assert_uint_eq(reg(h, G_ECX), 10);
    ck_assert_uint_eq(r32(h, 0x100000), 0);
    harness_set_reg(h, G_ESP, 0x80000);
    RUN(h, CODE_FLAT, 0xaa, 0xf4);                    /* plain STOSB: the inline path checks too */
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    ck_assert_uint_eq(r8(h, 0x100000), 0);
    /* writable again, limit 0x100ff7 */
    h->env->seg[SEG_ES].flags |= DESC_W;
    h->env->seg[SEG_ES].hi = h->env->seg[SEG_ES].limit = 0x100ff7;
    cpu_update_hflags(h->env);
    harness_set_reg(h, G_ESP, 0x80000);
    harness_set_reg(h, G_EDI, 0x100ff0);
    harness_set_reg(h, G_ECX, 0x20);
    RUN(h, CODE_FLAT, 0xf3, 0xaa, 0xf4);
    ck_assert_uint_eq(reg(h, G_EIP), 0x11001);
    ck_assert_uint_eq(reg(h, G_ECX), 0x18);
    ck_assert_uint_eq(reg(h, G_EDI), 0x100ff8);
    ck_assert_uint_eq(r32(h, 0x100ff4), 0x11111111);
    ck_assert_uint_eq(r8(h, 0x100ff8), 0);
    harness_free(h);
}
END_TEST

/* ---- throughput (printed) ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

START_TEST(rep_throughput)
{
    Harness *h = flat_new();
    enum { BYTES = 1 << 20, ROUNDS = 64 };
    static const struct { const char *name; uint8_t code[4]; uint32_t count; } runs[] = {
        { "rep movsd DF=0", { 0xfc, 0xf3, 0xa5, 0xf4 }, BYTES / 4 },
        { "rep stosd DF=0", { 0xfc, 0xf3, 0xab, 0xf4 }, BYTES / 4 },
        { "rep movsb DF=0", { 0xfc, 0xf3, 0xa4, 0xf4 }, BYTES },
        { "rep movsd DF=1", { 0xfd, 0xf3, 0xa5, 0xf4 }, BYTES / 4 },
        { "repe cmpsd", { 0xfc, 0xf3, 0xa7, 0xf4 }, BYTES / 4 },   /* equal after the copies */
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        bool down = runs[k].code[0] == 0xfd;
        harness_write(h, CODE_FLAT, runs[k].code, 4);
        harness_set_reg(h, G_ESI, 0x100000);   /* warm-up: translate, touch the host pages */
        harness_set_reg(h, G_EDI, 0x200000);
        harness_set_reg(h, G_ECX, 16);
        run_at(h, CODE_FLAT);
        double t0 = now_s();
        for (int i = 0; i < ROUNDS; i++) {
            harness_set_reg(h, G_ESI, down ? 0x100000 + BYTES - 4 : 0x100000);
            harness_set_reg(h, G_EDI, down ? 0x200000 + BYTES - 4 : 0x200000);
            harness_set_reg(h, G_ECX, runs[k].count);
            run_at(h, CODE_FLAT);
            ck_assert_uint_eq(reg(h, G_ECX), 0);
        }
        double dt = now_s() - t0;
        printf("test_xlat_ctl: %-30s %8.0f MB/s\n", runs[k].name, (double)BYTES * ROUNDS / dt / 1e6);
    }
    harness_free(h);
}
END_TEST

static Suite *ctl_suite(void)
{
    Suite *s = suite_create("xlat_ctl");
    TCase *tc = tcase_create("string");
    tcase_add_test(tc, rep_movsb_real_forward);
    tcase_add_test(tc, rep_movsw_real_backward);
    tcase_add_test(tc, rep_movsb_real_wrap_and_override);
    tcase_add_test(tc, rep_movsd_flat_both_directions);
    tcase_add_test(tc, rep_movs_overlap);
    tcase_add_test(tc, repe_cmpsb_first_difference);
    tcase_add_test(tc, repe_cmpsb_long_runs);
    tcase_add_test(tc, repne_scasb_and_scasd);
    tcase_add_test(tc, rep_stos_and_lods);
    tcase_add_test(tc, rep_zero_count);
    tcase_add_test(tc, rep_movsb_limit_fault_restart);
    tcase_add_test(tc, rep_movsd_page_fault_restart);
    tcase_add_test(tc, rep_string_pae_frame_above_4g);
    tcase_add_test(tc, rep_movs_over_translated_code);
    tcase_add_test(tc, rep_stos_data_breakpoint);
    tcase_add_test(tc, rep_movs_single_step);
    tcase_add_test(tc, rep_stops_on_exit_request);
    tcase_add_test(tc, rep_ins_outs);
    tcase_add_test(tc, outs_io_permission);
    tcase_add_test(tc, string_segment_checks_pm);
    suite_add_tcase(s, tc);
    tc = tcase_create("control");
    tcase_add_test(tc, enter_leave_16);
    tcase_add_test(tc, enter_leave_32);
    tcase_add_test(tc, call_ret_16);
    tcase_add_test(tc, call_ret_32);
    tcase_add_test(tc, branch_beyond_cs_limit);
    tcase_add_test(tc, loop_counter_width);
    tcase_add_test(tc, pusha_popa);
    tcase_add_test(tc, push_pop_esp_forms);
    tcase_add_test(tc, xlat_and_cld_std);
    tcase_add_test(tc, popf_privilege_rules);
    tcase_add_test(tc, pushf_image);
    tcase_add_test(tc, pushf_popf_v86);
    suite_add_tcase(s, tc);
    tc = tcase_create("bench");
    tcase_add_test(tc, rep_throughput);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ctl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
