/* sst_main.c — pcjit-sst: runs the SingleStepTests 80286 real-mode vectors (captured on a real 80286) through
 * pcjit's CPU and reports the differences, grouped by opcode.
 *   pcjit-sst [-accel NAME] [-v] [-only XX] [-nofork] DIR
 * DIR holds metadata.json, revocation_list.txt and v1_real_mode/ (NN.MOO.gz files; see ../shared/conformance/README.md).
 * Each test: INIT registers and RAM are loaded into a real-mode CPU (segment base = selector << 4, limit 0xFFFF,
 * 16 MiB of RAM, A20 enabled: addresses are not wrapped at 1 MiB), the CPU runs until the HLT after the
 * instruction completes (at most SST_MAX_INSNS instructions), then registers and RAM are compared with FINA.
 * Masking (why: these are places where a P6 legitimately differs from the 286, or where the 286 itself is
 * undefined): FLAGS bits 12..15 (a 286 forces them to 0 in real mode; a P6 keeps IOPL/NT), and the metadata's
 * per-opcode / per-ModRM.reg `flags-mask` of undefined flags — applied to the FLAGS register and, for tests that
 * raised an exception, to the FLAGS image the CPU pushed on the stack.
 * Invariants: one CpuState serves all tests of a file (each file runs in a forked child so a crash or hang in
 * the CPU costs one file, not the run); every RAM byte a test loads is zeroed again afterwards, through the
 * harness, which invalidates translated code, so code from one test never runs in another.
 * The LAST line of output is exactly `N passed, M failed` over tests whose metadata status is `normal`;
 * exit status 0 iff passed >= 99.9% of them, 77 (CTest: skipped) if DIR is absent.
 * Left out: the bus-cycle records (not in our subset), protected-mode vectors (none for the 286 set). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "sst_json.h"
#include "sst_moo.h"

enum {
    SST_RAM_MIB = 16,
    SST_MAX_INSNS = 1000,     /* the instruction + HLT (+ an exception handler's HLT): far more than enough */
    SST_FILE_TIMEOUT = 60,    /* seconds per opcode file before the child is killed as hung */
    SST_TEXT_MAX = 48 << 10,  /* report text per file */
    SST_SKIP = 77,            /* CTest SKIP_RETURN_CODE */
    FLAGS_286_FORCED = 0xf000,/* FLAGS[15:12]: see the header comment */
};

typedef struct Options {
    const char *accel, *only, *dir;
    bool verbose, nofork;
} Options;

typedef struct StatusCount { char status[24]; uint32_t files, passed, failed, revoked; } StatusCount;
enum { MAX_STATUS = 8 };

/* Results of one opcode file, written by the child into shared memory. */
typedef struct FileResult {
    uint32_t total, passed, failed, revoked, done, lock_rewritten;
    uint32_t ivt_alias, string_precise, differs;   /* P6Adjust counts */
    StatusCount st[MAX_STATUS];   /* per-test status (files like C6 mix ModRM.reg values of different status) */
    int nst;
    uint32_t current_index;   /* test being run (for crash reports) */
    uint32_t text_len;
    char text[SST_TEXT_MAX];
} FileResult;

/* Revocation list: 20-byte hashes. */
static uint8_t (*revoked)[20];
static size_t nrevoked;

/* ---------------------------------------------------------------- report text */

static void res_printf(FileResult *r, const char *fmt, ...)
{
    if (r->text_len >= SST_TEXT_MAX - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->text + r->text_len, SST_TEXT_MAX - r->text_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->text_len += (uint32_t)n < SST_TEXT_MAX - r->text_len ? (uint32_t)n : SST_TEXT_MAX - 1 - r->text_len;
}

/* A growing one-line diff for one test. */
typedef struct Diff { char buf[1024]; size_t len; int n; } Diff;
static void diff_add(Diff *d, const char *fmt, ...)
{
    va_list ap;
    d->n++;
    if (d->len >= sizeof(d->buf) - 1)
        return;
    va_start(ap, fmt);
    int k = vsnprintf(d->buf + d->len, sizeof(d->buf) - d->len, fmt, ap);
    va_end(ap);
    if (k > 0)
        d->len += (size_t)k < sizeof(d->buf) - d->len ? (size_t)k : sizeof(d->buf) - 1 - d->len;
}

/* ---------------------------------------------------------------- metadata */

static int hex_nibble(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *read_text_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, k;
    do {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        k = fread(buf + n, 1, cap - n, f);
        n += k;
    } while (k > 0);
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static void load_revocations(const char *dir)
{
    char path[4096];
    size_t len;
    snprintf(path, sizeof(path), "%s/revocation_list.txt", dir);
    char *text = read_text_file(path, &len);
    if (!text)
        return;
    for (char *line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        uint8_t h[20];
        size_t i;
        for (i = 0; i < 20; i++) {
            int a = hex_nibble(line[2 * i]), b = a < 0 ? -1 : hex_nibble(line[2 * i + 1]);
            if (a < 0 || b < 0)
                break;
            h[i] = (uint8_t)(a << 4 | b);
        }
        if (i < 20)
            continue;   /* comments, blank lines */
        uint8_t (*nr)[20] = realloc(revoked, (nrevoked + 1) * sizeof(*revoked));
        if (!nr)
            break;
        revoked = nr;
        memcpy(revoked[nrevoked++], h, 20);
    }
    free(text);
}

static bool is_revoked(const SstTest *t)
{
    for (size_t i = 0; t->has_hash && i < nrevoked; i++)
        if (memcmp(revoked[i], t->hash, 20) == 0)
            return true;
    return false;
}

/* The metadata of one opcode file: "F6.6.MOO.gz" is opcode F6 with ModRM.reg 6, "C6.MOO.gz" is opcode C6 whose
 * metadata may still be split by ModRM.reg (then each test's own ModRM byte selects the entry). */
typedef struct FileMeta { char key[24]; const JsonNode *op; int reg; } FileMeta;

static void meta_for_file(const JsonNode *opcodes, const char *file, FileMeta *fm)
{
    char op[16] = { 0 };
    size_t i = 0;
    while (file[i] && file[i] != '.' && i < sizeof(op) - 1) {
        op[i] = file[i];
        i++;
    }
    fm->reg = -1;
    if (file[i] == '.' && file[i + 1] >= '0' && file[i + 1] <= '7' && file[i + 2] == '.')
        fm->reg = file[i + 1] - '0';
    if (fm->reg >= 0)
        snprintf(fm->key, sizeof(fm->key), "%s.%d", op, fm->reg);
    else
        snprintf(fm->key, sizeof(fm->key), "%s", op);
    fm->op = json_get(opcodes, op);
}

/* Status and undefined-flags mask of one test (modrm_reg: the test's ModRM.reg, or -1). */
static void meta_for_test(const FileMeta *fm, int modrm_reg, const char **status, uint16_t *fmask)
{
    const JsonNode *m = fm->op;
    int reg = fm->reg >= 0 ? fm->reg : modrm_reg;
    if (json_get(m, "reg") && reg >= 0) {
        char r[2] = { (char)('0' + reg), 0 };
        m = json_get(json_get(m, "reg"), r);
    }
    *status = json_get_str(m, "status");
    if (!*status)
        *status = "unknown";
    double f = json_get_num(m, "flags-mask", 0xffff);
    *fmask = f >= 0 && f <= 0xffff ? (uint16_t)f : 0xffff;
}

/* ---------------------------------------------------------------- instruction shape and LOCK */

/* One-byte opcodes of the 80286 that take a ModRM byte (Intel 80286 PRM, appendix opcode map). */
static bool op_has_modrm(uint8_t op)
{
    if (op < 0x40)
        return (op & 7) < 4;
    return (op >= 0x62 && op <= 0x63) || op == 0x69 || op == 0x6b || (op >= 0x80 && op <= 0x8f) ||
           op == 0xc0 || op == 0xc1 || (op >= 0xc4 && op <= 0xc7) || (op >= 0xd0 && op <= 0xd3) ||
           (op >= 0xd8 && op <= 0xdf) || op == 0xf6 || op == 0xf7 || op == 0xfe || op == 0xff;
}

typedef struct InsnShape {
    int nprefix;       /* prefix bytes before the opcode */
    int opcode;
    int modrm;         /* -1 if none */
    int last_seg;      /* last segment-override prefix byte, or -1 */
    bool lock, rep;
} InsnShape;

static void insn_shape(const SstTest *t, InsnShape *s)
{
    memset(s, 0, sizeof(*s));
    s->last_seg = s->modrm = s->opcode = -1;
    uint32_t i = 0;
    for (; i < t->nbytes; i++) {
        uint8_t b = t->bytes[i];
        if (b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e)
            s->last_seg = b;
        else if (b == 0xf0)
            s->lock = true;
        else if (b == 0xf2 || b == 0xf3)
            s->rep = true;
        else
            break;
    }
    s->nprefix = (int)i;
    if (i < t->nbytes)
        s->opcode = t->bytes[i];
    if (s->opcode >= 0 && op_has_modrm((uint8_t)s->opcode) && i + 1 < t->nbytes)
        s->modrm = t->bytes[i + 1];
}

/* May a P6 execute this instruction with LOCK? (SDM vol 2 "LOCK": only ADD ADC AND BTC BTR BTS CMPXCHG DEC INC
 * NEG NOT OR SBB SUB XOR XADD XCHG with a memory destination; anything else raises #UD.) */
static bool p6_lockable(const InsnShape *s)
{
    if (s->modrm < 0 || (s->modrm >> 6) == 3)
        return false;
    int op = s->opcode, reg = s->modrm >> 3 & 7;
    if (op < 0x40)
        return (op & 7) < 2 && (op >> 3) != 7;      /* ALU r/m, reg forms (not CMP) */
    if (op >= 0x80 && op <= 0x83)
        return reg != 7;
    if (op == 0x86 || op == 0x87)
        return true;
    if (op == 0xf6 || op == 0xf7)
        return reg == 2 || reg == 3;
    if (op == 0xfe || op == 0xff)
        return reg == 0 || reg == 1;
    return false;
}

/* A 286 ignores LOCK architecturally; a P6 raises #UD for it on non-lockable instructions. Such a LOCK byte is
 * replaced, in guest RAM, by a segment prefix that changes nothing: a copy of the effective override if the
 * instruction has one, else its default segment (SS for BP-based ModRM addressing, else DS). Returns how many
 * bytes were rewritten; orig[] keeps the originals for sst_unrewrite. */
static int sst_rewrite_lock(Harness *h, const SstTest *t, uint8_t *orig)
{
    InsnShape s;
    insn_shape(t, &s);
    if (!s.lock || p6_lockable(&s))
        return 0;
    int rm = s.modrm & 7, mod = s.modrm >> 6;
    bool bp_based = s.modrm >= 0 && mod != 3 && (rm == 2 || rm == 3 || (rm == 6 && mod != 0));
    uint8_t seg = s.last_seg >= 0 ? (uint8_t)s.last_seg : bp_based ? 0x36 : 0x3e;
    uint32_t cs = (uint32_t)t->init.regs[MR_CS] << 4, ip = t->init.regs[MR_IP];
    int n = 0;
    for (int i = 0; i < s.nprefix && i < 16; i++) {
        uint32_t pa = cs + ((ip + (uint32_t)i) & 0xffff);
        orig[i] = t->bytes[i];
        if (t->bytes[i] == 0xf0) {
            harness_write(h, pa, &seg, 1);
            n++;
        }
    }
    return n;
}

static void sst_unrewrite(Harness *h, const SstTest *t, const uint8_t *orig, int nprefix)
{
    uint32_t cs = (uint32_t)t->init.regs[MR_CS] << 4, ip = t->init.regs[MR_IP];
    for (int i = 0; i < nprefix; i++)
        harness_write(h, cs + ((ip + (uint32_t)i) & 0xffff), &orig[i], 1);
}

/* ---------------------------------------------------------------- running one test */

static const int moo_gpr[MR_COUNT] = {
    [MR_AX] = G_EAX, [MR_BX] = G_EBX, [MR_CX] = G_ECX, [MR_DX] = G_EDX, [MR_SP] = G_ESP, [MR_BP] = G_EBP,
    [MR_SI] = G_ESI, [MR_DI] = G_EDI, [MR_IP] = G_EIP, [MR_CS] = -1, [MR_SS] = -1, [MR_DS] = -1, [MR_ES] = -1,
    [MR_FLAGS] = -1,
};
static const int moo_seg[MR_COUNT] = {
    [MR_CS] = SEG_CS, [MR_SS] = SEG_SS, [MR_DS] = SEG_DS, [MR_ES] = SEG_ES,
};

/* Where an 80286 and a P6 architecturally differ on a test, what the runner does about it (docs/conformance.md):
 *  - differs: the P6 defines other behaviour and the vector cannot tell what it is; the test still runs (for
 *    crashes) but is counted under the pseudo-status "p6-differs", not "normal";
 *  - expect_init / ignore: registers (bit MR_*) whose P6 value is the INIT value / is not derivable;
 *  - ivt_alias: the P6 raises #SS (12) where the 286 raised its segment-overrun #GP (13): IVT[12] := IVT[13]. */
typedef struct P6Adjust {
    const char *differs;
    uint16_t expect_init, ignore;
    bool ivt_alias;
} P6Adjust;

static bool op_is_string(int op)
{
    return (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
}

static bool init_has_ram(const SstTest *t, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < t->init.nram; i++) {
        uint32_t a = moo_ram_addr(&t->init, i);
        if (a >= lo && a <= hi)
            return true;
    }
    return false;
}

/* Could the instruction's faulting access be SS-relative? A ModRM operand addressed through SS (BP-based without
 * override, or any operand under an SS: override), or an implicit stack access (PUSH/POP/CALL/RET/LEAVE/PUSHA/POPA/PUSHF/POPF/INT/
 * IRET; Intel 80286 PRM opcode map). */
static bool may_access_ss(const InsnShape *s)
{
    static const uint8_t stack_ops[] = {
        0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x60, 0x61, 0x68, 0x6a, 0x8f, 0x9a, 0x9c, 0x9d,
        0xc2, 0xc3, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xe8,
    };
    int op = s->opcode, reg = s->modrm >= 0 ? s->modrm >> 3 & 7 : -1;
    if (s->last_seg == 0x36 || (op >= 0x50 && op <= 0x5f))
        return true;   /* SS: override on any memory operand (string source, moffs, XLAT too) */
    for (size_t i = 0; i < sizeof(stack_ops); i++)
        if (op == stack_ops[i])
            return true;
    if (op == 0xff && (reg == 2 || reg == 3 || reg == 6))
        return true;
    if (s->modrm < 0 || (s->modrm >> 6) == 3)
        return false;
    if (s->last_seg >= 0)
        return s->last_seg == 0x36;
    int rm = s->modrm & 7, mod = s->modrm >> 6;
    return rm == 2 || rm == 3 || (rm == 6 && mod != 0);
}

static void p6_adjust(const SstTest *t, const InsnShape *s, P6Adjust *a)
{
    memset(a, 0, sizeof(*a));
    int reg = s->modrm >= 0 ? s->modrm >> 3 & 7 : -1;
    if (t->has_excp && t->excp_vector == 13 && t->nbytes > 11)
        a->differs = "longer than 10 bytes: #GP on a 286 (80286 PRM), legal on a P6 (limit 15, SDM vol 2 2.3.11)";
    else if ((s->opcode == 0x8c || s->opcode == 0x8e) && (reg == 4 || reg == 5))
        a->differs = "MOV to/from FS/GS: #UD on a 286, FS/GS exist on a P6";
    if (a->differs)
        return;
    if (t->has_excp && t->excp_vector == 13) {
        /* real mode: an access running past offset 0FFFFh is #SS(0) for SS-based operands on a P6 (SDM vol 3
         * 20.1.4 / each instruction's "Real-Address Mode Exceptions"), interrupt 13 for every segment on a 286 */
        a->ivt_alias = may_access_ss(s) && !init_has_ram(t, 0x30, 0x33);
        if (op_is_string(s->opcode)) {
            /* the 286 updates SI/DI before raising the segment overrun of a string element; a P6's faults are
             * precise (SDM vol 3 6.5): a single string op leaves SI/DI as they were; after REP iterations the
             * P6 values are not derivable from the 286's */
            if (s->rep)
                a->ignore = 1u << MR_SI | 1u << MR_DI | 1u << MR_CX;
            else
                a->expect_init = 1u << MR_SI | 1u << MR_DI;
        }
    }
}

static void sst_load(Harness *h, const SstTest *t)
{
    const MooState *s = &t->init;
    harness_real_mode(h);
    for (int r = 0; r < MR_COUNT; r++) {
        if (moo_gpr[r] >= 0)
            harness_set_reg(h, moo_gpr[r], s->regs[r]);
        else if (r != MR_FLAGS)
            harness_set_seg_real(h, moo_seg[r], s->regs[r]);
    }
    /* FLAGS[15:12] are always 0 on a 286 in real mode (it cannot hold the INIT bits there); reserved bits 3, 5
     * read as 0 and bit 1 as 1 on every x86 (SDM vol 1 3.4.3). */
    harness_set_eflags(h, (s->regs[MR_FLAGS] & 0x0fd7) | 2);
    for (uint32_t i = 0; i < s->nram; i++) {
        uint8_t v = moo_ram_val(s, i);
        harness_write(h, moo_ram_addr(s, i), &v, 1);
    }
}

static void sst_unload(Harness *h, const SstTest *t)
{
    harness_fill(h, 0x30, 0, 4);   /* a possible IVT[12] alias */
    for (uint32_t i = 0; i < t->init.nram; i++)
        harness_fill(h, moo_ram_addr(&t->init, i), 0, 1);
    for (uint32_t i = 0; i < t->fina.nram; i++)
        harness_fill(h, moo_ram_addr(&t->fina, i), 0, 1);
}

static uint16_t expected_reg(const SstTest *t, int r)
{
    return t->fina.mask >> r & 1 ? t->fina.regs[r] : t->init.regs[r];
}

static void compare_regs(Harness *h, const SstTest *t, const P6Adjust *adj, uint16_t fmask, Diff *d)
{
    for (int r = 0; r < MR_COUNT; r++) {
        if (adj->ignore >> r & 1)
            continue;
        uint32_t exp = adj->expect_init >> r & 1 ? t->init.regs[r] : expected_reg(t, r), got;
        if (r == MR_FLAGS) {
            got = harness_eflags(h);
            uint32_t m = fmask & ~FLAGS_286_FORCED;
            if ((got ^ exp) & m)
                diff_add(d, " flags %04x/%04x(mask %04x, diff %04x)", exp, got & 0xffff, m, (got ^ exp) & m);
            continue;
        }
        if (moo_gpr[r] >= 0) {
            got = harness_reg(h, moo_gpr[r]);   /* full 32 bits: 16-bit code must never touch the upper half */
        } else {
            const SegCache *s = &h->env->seg[moo_seg[r]];
            got = s->sel;
            if (s->base != (uint32_t)s->sel << 4)
                diff_add(d, " %s.base %05x/%05x", moo_reg_names[r], (uint32_t)s->sel << 4, s->base);
        }
        if (got != exp)
            diff_add(d, " %s %04x/%04x", moo_reg_names[r], exp, got);
    }
}

/* Is pa one of the two bytes of the FLAGS image an exception pushed? Returns 0/1 (byte index) or -1. The image
 * sits at SS:SP+4 after the push of FLAGS, CS, IP (SDM vol 3 20.1.4), the handler being a lone HLT. */
static int flags_image_byte(const SstTest *t, uint32_t pa)
{
    if (!t->has_excp)
        return -1;
    uint32_t ss = (uint32_t)expected_reg(t, MR_SS) << 4, sp = expected_reg(t, MR_SP);
    for (int b = 0; b < 2; b++)
        if (pa == ss + ((sp + 4 + b) & 0xffff))
            return b;
    return -1;
}

static void compare_byte(Harness *h, const SstTest *t, uint32_t pa, uint8_t exp, uint16_t fmask, Diff *d)
{
    uint8_t got;
    harness_read(h, pa, &got, 1);
    uint8_t m = 0xff;
    int b = flags_image_byte(t, pa);
    if (b >= 0)
        m = (uint8_t)((fmask & ~FLAGS_286_FORCED) >> (8 * b));
    if ((got ^ exp) & m)
        diff_add(d, " [%06x] %02x/%02x%s", pa, exp, got, m != 0xff ? "(masked flags image)" : "");
}

static void compare_ram(Harness *h, const SstTest *t, uint16_t fmask, Diff *d)
{
    for (uint32_t i = 0; i < t->fina.nram; i++)
        compare_byte(h, t, moo_ram_addr(&t->fina, i), moo_ram_val(&t->fina, i), fmask, d);
    /* INIT bytes absent from FINA must be unchanged */
    for (uint32_t i = 0; i < t->init.nram; i++) {
        uint32_t pa = moo_ram_addr(&t->init, i);
        bool in_fina = false;
        for (uint32_t j = 0; j < t->fina.nram && !in_fina; j++)
            in_fina = moo_ram_addr(&t->fina, j) == pa;
        if (!in_fina)
            compare_byte(h, t, pa, moo_ram_val(&t->init, i), fmask, d);
    }
}

/* Run one test; returns true if it passed, else fills d with "field expected/got" items. *locked: a LOCK prefix
 * was rewritten (see sst_rewrite_lock). */
static bool sst_run_test(Harness *h, const SstTest *t, const P6Adjust *adj, uint16_t fmask, Diff *d, bool *locked)
{
    uint8_t orig[16];
    sst_load(h, t);
    if (adj->ivt_alias) {
        uint8_t v13[4];
        harness_read(h, 0x34, v13, 4);
        harness_write(h, 0x30, v13, 4);
    }
    int nrw = sst_rewrite_lock(h, t, orig);
    *locked = nrw > 0;
    ExecStop stop = harness_run(h, SST_MAX_INSNS);
    if (nrw) {
        InsnShape s;
        insn_shape(t, &s);
        sst_unrewrite(h, t, orig, s.nprefix < 16 ? s.nprefix : 16);
    }
    if (stop != STOP_HALT)
        diff_add(d, " did not reach HLT: %s;", harness_stop_name(stop));
    compare_regs(h, t, adj, fmask, d);
    compare_ram(h, t, fmask, d);
    sst_unload(h, t);
    return d->n == 0;
}

static void print_bytes(FileResult *r, const SstTest *t)
{
    for (uint32_t i = 0; i < t->nbytes && i < 16; i++)
        res_printf(r, "%02x", t->bytes[i]);
}

static StatusCount *status_slot(StatusCount *sc, int *nsc, int max, const char *status)
{
    for (int i = 0; i < *nsc; i++)
        if (strcmp(sc[i].status, status) == 0)
            return &sc[i];
    if (*nsc == max)
        return &sc[max - 1];
    snprintf(sc[*nsc].status, sizeof(sc[*nsc].status), "%s", status);
    return &sc[(*nsc)++];
}

/* Run one test and account for it in r. */
static void sst_account_test(Harness *h, const FileMeta *fm, const SstTest *t, int max_examples, FileResult *r)
{
    InsnShape shape;
    const char *status;
    uint16_t fmask;
    insn_shape(t, &shape);
    meta_for_test(fm, shape.modrm >= 0 ? shape.modrm >> 3 & 7 : -1, &status, &fmask);
    P6Adjust adj;
    p6_adjust(t, &shape, &adj);
    if (adj.differs)
        status = "p6-differs";
    StatusCount *sc = status_slot(r->st, &r->nst, MAX_STATUS, status);
    if (is_revoked(t)) {
        r->revoked++;
        sc->revoked++;
        return;
    }
    Diff d = { .len = 0, .n = 0 };
    d.buf[0] = 0;
    bool locked;
    if (sst_run_test(h, t, &adj, fmask, &d, &locked)) {
        r->passed++;
        sc->passed++;
    } else {
        if (r->failed < (uint32_t)max_examples && (!adj.differs || max_examples > 3)) {
            res_printf(r, "  #%u %-28s ", t->index, t->name);
            print_bytes(r, t);
            res_printf(r, "%s%s [%s]%s%s  (expected/got):%s\n", t->has_excp ? " EXCP" : "",
                       locked ? " LOCK->seg" : "", status, adj.differs ? ": " : "", adj.differs ? adj.differs : "",
                       d.buf);
        }
        r->failed++;
        sc->failed++;
    }
    r->lock_rewritten += locked;
    r->ivt_alias += adj.ivt_alias;
    r->string_precise += (adj.expect_init | adj.ignore) != 0;
    r->differs += adj.differs != NULL;
}

/* Child side: run every test of one file into r. */
static void sst_run_file(Harness *h, const char *path, const FileMeta *fm, int max_examples, FileResult *r)
{
    MooFile f;
    SstTest t;
    char err[256];
    if (moo_open(&f, path, err, sizeof(err)) < 0) {
        res_printf(r, "  error: %s\n", err);
        return;
    }
    r->total = f.count;
    int rc;
    while ((rc = moo_next(&f, &t, err, sizeof(err))) > 0) {
        r->current_index = t.index;
        sst_account_test(h, fm, &t, max_examples, r);
        r->done++;
    }
    if (rc < 0)
        res_printf(r, "  error: %s\n", err);
    r->total = r->done > r->total ? r->done : r->total;
    moo_close(&f);
}

/* ---------------------------------------------------------------- driver */

/* Run one file in a forked child (or in-process with -nofork); r holds the outcome. */
static void run_file_isolated(Harness *h, const Options *o, const char *path, const FileMeta *fm, FileResult *r)
{
    int max_examples = o->verbose ? 20 : 3;
    memset(r, 0, offsetof(FileResult, text));
    r->text[0] = 0;
    if (o->nofork) {
        sst_run_file(h, path, fm, max_examples, r);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(SST_FILE_TIMEOUT);
        sst_run_file(h, path, fm, max_examples, r);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0) {
        res_printf(r, "  error: fork/wait failed: %s\n", strerror(errno));
        r->failed = r->total ? r->total : 1;
        return;
    }
    if (WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) != 0)) {
        uint32_t rest = r->total > r->done ? r->total - r->done : 1;
        res_printf(r, "  CRASH: %s %d while running test #%u; its %u remaining tests count as failed\n",
                   WIFSIGNALED(st) ? (WTERMSIG(st) == SIGALRM ? "timeout (SIGALRM)" : "signal") : "exit",
                   WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), r->current_index, rest);
        r->failed += rest;
        const char *status;
        uint16_t fmask;
        meta_for_test(fm, -1, &status, &fmask);
        status_slot(r->st, &r->nst, MAX_STATUS, status)->failed += rest;
    }
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.MOO.gz files in dir, filtered by -only. */
static char **list_files(const char *dir, const char *only, int *n)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    *n = 0;
    if (!d)
        return NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 8 || strcmp(e->d_name + len - 7, ".MOO.gz") != 0)
            continue;
        if (only && (strncasecmp(e->d_name, only, strlen(only)) != 0 || e->d_name[strlen(only)] != '.'))
            continue;
        char **nn = realloc(names, (size_t)(*n + 1) * sizeof(*names));
        if (!nn)
            break;
        names = nn;
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof(*names), name_cmp);
    return names;
}

static int usage(void)
{
    fprintf(stderr, "usage: pcjit-sst [-accel interp|jit|lockstep] [-v] [-only XX[.R]] [-nofork] DIR\n");
    return 2;
}

static int parse_args(int argc, char **argv, Options *o)
{
    memset(o, 0, sizeof(*o));
    o->accel = "interp";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-accel") == 0 && i + 1 < argc)
            o->accel = argv[++i];
        else if (strcmp(argv[i], "-only") == 0 && i + 1 < argc)
            o->only = argv[++i];
        else if (strcmp(argv[i], "-v") == 0)
            o->verbose = true;
        else if (strcmp(argv[i], "-nofork") == 0)
            o->nofork = true;
        else if (argv[i][0] != '-' && !o->dir)
            o->dir = argv[i];
        else
            return -1;
    }
    return o->dir ? 0 : -1;
}

static JsonNode *load_metadata(const char *dir)
{
    char path[4096], err[256];
    size_t len;
    snprintf(path, sizeof(path), "%s/metadata.json", dir);
    char *text = read_text_file(path, &len);
    if (!text) {
        fprintf(stderr, "pcjit-sst: cannot read %s\n", path);
        return NULL;
    }
    JsonNode *root = json_parse(text, len, err, sizeof(err));
    free(text);
    if (!root)
        fprintf(stderr, "pcjit-sst: %s: %s\n", path, err);
    return root;
}

typedef struct Totals {
    StatusCount sc[16];
    int nsc;
    uint32_t passed, failed, lock_rewritten, ivt_alias, string_precise, differs;
} Totals;

/* One-line header of a file's report: key, then its counts per status. */
static void print_file_header(const FileMeta *fm, const FileResult *r)
{
    printf("== %-6s %4u passed %4u failed", fm->key, r->passed, r->failed);
    for (int i = 0; i < r->nst; i++)
        printf("%s%s %u/%u", i ? ", " : " (", r->st[i].status, r->st[i].passed,
               r->st[i].passed + r->st[i].failed);
    printf("%s%s\n", r->nst ? ")" : "", r->revoked ? " (some revoked)" : "");
}

static void run_all(Harness *h, const Options *o, const JsonNode *opcodes, char **files, int nfiles, Totals *tot)
{
    FileResult *r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    for (int i = 0; i < nfiles; i++) {
        char path[4096];
        FileMeta fm;
        meta_for_file(opcodes, files[i], &fm);
        snprintf(path, sizeof(path), "%s/v1_real_mode/%s", o->dir, files[i]);
        run_file_isolated(h, o, path, &fm, r);
        for (int k = 0; k < r->nst; k++) {
            StatusCount *s = status_slot(tot->sc, &tot->nsc, 16, r->st[k].status);
            s->files++;
            s->passed += r->st[k].passed;
            s->failed += r->st[k].failed;
            s->revoked += r->st[k].revoked;
            if (strcmp(r->st[k].status, "normal") == 0) {
                tot->passed += r->st[k].passed;
                tot->failed += r->st[k].failed;
            }
        }
        tot->lock_rewritten += r->lock_rewritten;
        tot->ivt_alias += r->ivt_alias;
        tot->string_precise += r->string_precise;
        tot->differs += r->differs;
        if (r->failed || r->text_len || o->verbose) {
            print_file_header(&fm, r);
            fputs(r->text, stdout);
        }
    }
    munmap(r, sizeof(*r));
}

int main(int argc, char **argv)
{
    Options o;
    if (parse_args(argc, argv, &o) < 0)
        return usage();
    struct stat st;
    char vdir[4096];
    snprintf(vdir, sizeof(vdir), "%s/v1_real_mode", o.dir);
    if (stat(vdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIPPED: conformance vectors not found (%s): get ../shared/conformance/sst-80286\n", vdir);
        return SST_SKIP;
    }
    JsonNode *meta = load_metadata(o.dir);
    if (!meta)
        return 2;
    load_revocations(o.dir);
    int nfiles;
    char **files = list_files(vdir, o.only, &nfiles);
    Harness *h = harness_new(SST_RAM_MIB);
    if (!h || !harness_set_accel(h, o.accel)) {
        fprintf(stderr, "pcjit-sst: %s\n", h ? "unknown -accel" : "cannot create the machine");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    Totals tot;
    memset(&tot, 0, sizeof(tot));
    run_all(h, &o, json_get(meta, "opcodes"), files, nfiles, &tot);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("-- by status (%d files, %.1f s, accel %s) --\n", nfiles, secs, o.accel);
    for (int i = 0; i < tot.nsc; i++)
        printf("%-14s %3u file(s) %7u passed %7u failed %5u revoked%s\n", tot.sc[i].status, tot.sc[i].files,
               tot.sc[i].passed, tot.sc[i].failed, tot.sc[i].revoked,
               strcmp(tot.sc[i].status, "p6-differs") ? "" : "  (the vector holds the 286's result, not a P6's)");
    printf("P6 adjustments (docs/conformance.md): %u LOCK prefixes rewritten, %u #GP(13) tests with IVT[12] aliased, "
           "%u string faults expected precise, %u tests counted as p6-differs\n",
           tot.lock_rewritten, tot.ivt_alias, tot.string_precise, tot.differs);
    uint64_t n = (uint64_t)tot.passed + tot.failed;
    printf("%u passed, %u failed\n", tot.passed, tot.failed);
    for (int i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    json_free(meta);
    harness_free(h);
    return n == 0 || (uint64_t)tot.passed * 1000 >= n * 999 ? 0 : 1;
}
