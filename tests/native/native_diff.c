/* native_diff.c — differential test of pcjit's integer semantics against the host CPU.
 *   native_diff [-seed N] [-n CASES] [-pairs N] [-accel NAME] [-v]   generate, run natively and in pcjit, compare
 *   native_diff --record FILE [-seed N] [-n CASES] [-pairs N]          generate, run natively, write cases
 *   native_diff --check FILE [-accel NAME] [-v]                 run recorded cases in pcjit, compare
 * Every case is one instruction, or a pair "A ; B" in one block (lazy flags and flag liveness across
 * instructions: B's undefined flags and A's undefined flags B does not overwrite are masked; a B that reads a flag
 * A left undefined is not generated), with random/edge inputs (forms: native_forms.c), run natively through a thunk
 * (native_host.c) and in pcjit in flat 32-bit protected mode at CPL 0 (tests/harness.h) with the same bytes
 * followed by HLT. Compared: EAX..EDI except ESP (buffer pointers as offsets), the six arithmetic flags minus
 * those the SDM leaves undefined for the case, DF, and the 512-byte data buffer.
 * The reference file (--record/--check) lets non-x86 hosts run the same comparison: one case per line,
 *   name code ptr_mask undef seed in0..in7 in_flags out0..out7 out_flags buf_hash   (hex; name without spaces)
 * optionally gzip-compressed. Last output line: `N passed, M failed`; exit 0 iff M == 0.
 * Left out: see native.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "harness.h"
#include "native.h"

enum {
    /* The data buffer straddles a page boundary at its offset 256 (the middle of the [EBX] range), so some
     * accesses take the softmmu's page-split path; half of the cases (by seed) run their code so that it ends
     * on the next page (cross-page instruction fetch), the other half at a page start. */
    GUEST_GDT = 0x1000, GUEST_CODE = 0x10000, GUEST_CODE_CROSS = 0x11000, GUEST_BUF = 0x100f00,
    GUEST_STACK = 0x80000,
    ENCODINGS_PER_FORM = 8,
    PAIR_INPUTS = 16,       /* inputs per generated pair encoding */
    MAX_FORMS = 1024,
    MAX_GROUPS = 8192,
    MAX_SHOWN = 3,          /* examples per form (-v: 50) */
    DEFAULT_CASES = 240000,
    DEFAULT_PAIRS = 64000,
};

typedef struct Options {
    uint64_t seed;
    long ncases, npairs;
    const char *accel, *record, *check;
    bool verbose;
} Options;

/* Mismatches grouped by form name. */
typedef struct Group { char name[ND_NAME]; uint32_t failed, passed; } Group;
typedef struct Report { Group g[MAX_GROUPS]; int ng; uint64_t passed, failed; int max_shown; } Report;

static Group *report_group(Report *rep, const char *name)
{
    for (int i = rep->ng - 1; i >= 0; i--)
        if (strcmp(rep->g[i].name, name) == 0)
            return &rep->g[i];
    if (rep->ng == MAX_GROUPS - 1)
        snprintf(rep->g[rep->ng++].name, ND_NAME, "(other)");
    if (rep->ng == MAX_GROUPS)
        return &rep->g[MAX_GROUPS - 1];
    Group *g = &rep->g[rep->ng++];
    snprintf(g->name, sizeof(g->name), "%s", name);
    return g;
}

/* ------------------------------------------------------------------ pcjit side */

typedef struct GuestResult { uint32_t out[ND_NREGS], flags; uint8_t buf[ND_BUF_SIZE]; ExecStop stop; } GuestResult;

static void guest_run(Harness *h, const NdCase *c, GuestResult *g)
{
    uint8_t code[ND_MAX_CODE + 1], buf[ND_BUF_SIZE];
    memcpy(code, c->code, c->len);
    code[c->len] = 0xf4;   /* HLT */
    uint32_t pc = c->seed & 1 ? GUEST_CODE_CROSS - (c->len + 1u) / 2 : GUEST_CODE;
    harness_write(h, pc, code, c->len + 1u);   /* invalidates the old translation if the bytes differ */
    for (int i = 0; i < ND_NREGS; i++)
        harness_set_reg(h, G_EAX + i, c->in[i] + (c->ptr_mask >> i & 1 ? GUEST_BUF : 0));
    harness_set_reg(h, G_ESP, GUEST_STACK);
    harness_set_reg(h, G_EIP, pc);
    harness_set_eflags(h, (c->in_flags & (F_ARITH | F_DF)) | 2);
    nd_buffer_fill(c->seed, buf);
    harness_write(h, GUEST_BUF, buf, ND_BUF_SIZE);
    g->stop = harness_run(h, 1000);
    for (int i = 0; i < ND_NREGS; i++)
        g->out[i] = harness_reg(h, G_EAX + i) - (c->ptr_mask >> i & 1 ? GUEST_BUF : 0);
    g->flags = harness_eflags(h) & (F_ARITH | F_DF);
    harness_read(h, GUEST_BUF, g->buf, ND_BUF_SIZE);
}

static void print_case(const NdCase *c, const char *why)
{
    printf("  %-24s ", c->name);
    for (int i = 0; i < c->len; i++)
        printf("%02x", c->code[i]);
    printf("  in:");
    for (int i = 0; i < ND_NREGS; i++)
        if (i != R_ESP)
            printf(" %08x", c->in[i]);
    printf(" fl %03x seed %08x ptr %x\n   %s\n", c->in_flags, c->seed, c->ptr_mask, why);
}

/* Compare pcjit's result with the expected one in c; buf_expected may be NULL (then the hash is compared). */
static bool compare(const NdCase *c, const GuestResult *g, const uint8_t *buf_expected, char *why, size_t len)
{
    static const char *const names[ND_NREGS] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    size_t n = 0;
    why[0] = 0;
    if (g->stop != STOP_HALT)
        n += (size_t)snprintf(why + n, len - n, "did not reach HLT (%s); ", harness_stop_name(g->stop));
    for (int i = 0; i < ND_NREGS && n < len; i++)
        if (i != R_ESP && g->out[i] != c->out[i])
            n += (size_t)snprintf(why + n, len - n, "%s %08x/%08x ", names[i], c->out[i], g->out[i]);
    uint32_t m = nd_compare_mask(c);
    if (n < len && ((g->flags ^ c->out_flags) & m))
        n += (size_t)snprintf(why + n, len - n, "flags %03x/%03x (compared %03x, diff %03x) ", c->out_flags & m,
                              g->flags & m, m, (g->flags ^ c->out_flags) & m);
    if (n < len && buf_expected) {
        for (int i = 0; i < ND_BUF_SIZE; i++)
            if (buf_expected[i] != g->buf[i]) {
                n += (size_t)snprintf(why + n, len - n, "buf[%d] %02x/%02x ", i, buf_expected[i], g->buf[i]);
                break;
            }
    } else if (n < len && nd_hash(g->buf, ND_BUF_SIZE) != c->buf_hash) {
        n += (size_t)snprintf(why + n, len - n, "buffer differs (hash) ");
    }
    if (n && n < len)
        snprintf(why + n, len - n, "(expected/got)");
    return n == 0;
}

static void account(Report *rep, const NdCase *c, bool ok, const char *why)
{
    Group *g = report_group(rep, c->name);
    if (ok) {
        g->passed++;
        rep->passed++;
        return;
    }
    if (g->failed < (uint32_t)rep->max_shown)
        print_case(c, why);
    g->failed++;
    rep->failed++;
}

/* ------------------------------------------------------------------ reference file */

static void case_write(gzFile f, const NdCase *c)
{
    char name[ND_NAME], code[2 * ND_MAX_CODE + 1];
    snprintf(name, sizeof(name), "%s", c->name);
    for (char *p = name; *p; p++)
        if (*p == ' ')
            *p = '_';
    for (int i = 0; i < c->len; i++)
        snprintf(code + 2 * i, 3, "%02x", c->code[i]);
    gzprintf(f, "%s %s %x %x %08x", name, code, c->ptr_mask, c->undef, c->seed);
    for (int i = 0; i < ND_NREGS; i++)
        gzprintf(f, " %08x", c->in[i]);
    gzprintf(f, " %03x", c->in_flags);
    for (int i = 0; i < ND_NREGS; i++)
        gzprintf(f, " %08x", c->out[i]);
    gzprintf(f, " %03x %016llx\n", c->out_flags, (unsigned long long)c->buf_hash);
}

/* Parse one line; returns false on a malformed line. */
static bool case_parse(const char *line, NdCase *c)
{
    char code[2 * ND_MAX_CODE + 2];
    unsigned ptr, undef, seed, in[ND_NREGS], out[ND_NREGS], inf, outf;
    unsigned long long hash;
    memset(c, 0, sizeof(*c));
    int k = sscanf(line, "%47s %65s %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %llx", c->name,
                   code, &ptr, &undef, &seed, &in[0], &in[1], &in[2], &in[3], &in[4], &in[5], &in[6], &in[7], &inf,
                   &out[0], &out[1], &out[2], &out[3], &out[4], &out[5], &out[6], &out[7], &outf, &hash);
    size_t len = strlen(code);
    if (k != 24 || len % 2 || len / 2 > ND_MAX_CODE || len == 0)
        return false;
    for (size_t i = 0; i < len / 2; i++) {
        unsigned b;
        if (sscanf(code + 2 * i, "%2x", &b) != 1)
            return false;
        c->code[i] = (uint8_t)b;
    }
    c->len = (uint8_t)(len / 2);
    c->ptr_mask = (uint8_t)ptr;
    c->undef = undef;
    c->seed = seed;
    for (int i = 0; i < ND_NREGS; i++) {
        c->in[i] = in[i];
        c->out[i] = out[i];
    }
    c->in_flags = inf;
    c->out_flags = outf;
    c->buf_hash = hash;
    return true;
}

static int run_check(Harness *h, const Options *o, Report *rep)
{
    gzFile f = gzopen(o->check, "rb");
    if (!f) {
        fprintf(stderr, "native_diff: cannot open %s\n", o->check);
        return -1;
    }
    char line[1024];
    long lineno = 0;
    while (gzgets(f, line, sizeof(line))) {
        NdCase c;
        GuestResult g;
        char why[512];
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (!case_parse(line, &c)) {
            fprintf(stderr, "native_diff: %s:%ld: malformed line\n", o->check, lineno);
            gzclose(f);
            return -1;
        }
        guest_run(h, &c, &g);
        account(rep, &c, compare(&c, &g, NULL, why, sizeof(why)), why);
    }
    gzclose(f);
    return 0;
}

/* ------------------------------------------------------------------ live / record */

/* Run c natively, then record it (out) or run it in pcjit and account for it. */
static int run_case(Harness *h, NdCase *c, gzFile out, Report *rep)
{
    uint8_t native_buf[ND_BUF_SIZE];
    if (!nd_native_run(c, native_buf)) {
        fprintf(stderr, "native_diff: %s\n", nd_native_error());
        return -1;
    }
    if (out) {
        case_write(out, c);
        rep->passed++;   /* counts recorded cases */
        return 0;
    }
    GuestResult g;
    char why[512];
    guest_run(h, c, &g);
    account(rep, c, compare(c, &g, native_buf, why, sizeof(why)), why);
    return 0;
}

/* Random pairs "A ; B" of forms (B from those whose inputs need no fix-up), PAIR_INPUTS inputs each. */
static int run_pairs(Harness *h, const Options *o, const NdForm *forms, int nforms, NdRng *r, gzFile out,
                     Report *rep)
{
    long done = 0;
    while (done < o->npairs) {
        const NdForm *a = &forms[nd_rand(r) % (uint64_t)nforms], *b;
        do
            b = &forms[nd_rand(r) % (uint64_t)nforms];
        while (!nd_pair_second_ok(b));
        NdCase c;
        nd_make_pair(a, b, r, &c);
        for (int k = 0; k < PAIR_INPUTS && done < o->npairs; k++) {
            bool ok = false;
            for (int tries = 0; tries < 8 && !ok; tries++)
                ok = nd_make_pair_inputs(a, b, r, &c);
            if (!ok)
                break;   /* B reads a flag A leaves undefined for almost any input: next pair */
            if (run_case(h, &c, out, rep) < 0)
                return -1;
            done++;
        }
    }
    return 0;
}

static int run_generated(Harness *h, const Options *o, Report *rep)
{
    static NdForm forms[MAX_FORMS];
    int nforms = nd_forms_build(forms, MAX_FORMS);
    long per_enc = (o->ncases + (long)nforms * ENCODINGS_PER_FORM - 1) / ((long)nforms * ENCODINGS_PER_FORM);
    gzFile out = NULL;
    if (o->record) {
        out = gzopen(o->record, strstr(o->record, ".gz") ? "wb9" : "wbT");
        if (!out) {
            fprintf(stderr, "native_diff: cannot write %s\n", o->record);
            return -1;
        }
        gzprintf(out, "# pcjit native_diff reference cases: seed %llu, %d forms x %d encodings x %ld inputs\n",
                 (unsigned long long)o->seed, nforms, ENCODINGS_PER_FORM, per_enc);
    }
    NdRng r = { o->seed * 0x9e3779b97f4a7c15ull + 1 };
    printf("native_diff: seed %llu, %d forms x %d encodings x %ld inputs, %ld pairs\n", (unsigned long long)o->seed,
           nforms, ENCODINGS_PER_FORM, per_enc, o->npairs);
    int rc = 0;
    for (int fi = 0; fi < nforms && rc == 0; fi++) {
        for (int e = 0; e < ENCODINGS_PER_FORM && rc == 0; e++) {
            NdCase c;
            nd_make_encoding(&forms[fi], &r, &c);
            for (long k = 0; k < per_enc && rc == 0; k++) {
                nd_make_inputs(&forms[fi], &r, &c);
                rc = run_case(h, &c, out, rep);
            }
        }
    }
    if (rc == 0)
        rc = run_pairs(h, o, forms, nforms, &r, out, rep);
    if (out)
        gzclose(out);
    return rc;
}

static int parse_args(int argc, char **argv, Options *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 20261124;
    o->ncases = o->npairs = -1;
    o->accel = "interp";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if ((!strcmp(a, "-seed") || !strcmp(a, "--seed")) && v)
            o->seed = strtoull(argv[++i], NULL, 0);
        else if ((!strcmp(a, "-n") || !strcmp(a, "--cases")) && v)
            o->ncases = strtol(argv[++i], NULL, 0);
        else if ((!strcmp(a, "-pairs") || !strcmp(a, "--pairs")) && v)
            o->npairs = strtol(argv[++i], NULL, 0);
        else if ((!strcmp(a, "-accel") || !strcmp(a, "--accel")) && v)
            o->accel = argv[++i];
        else if (!strcmp(a, "--record") && v)
            o->record = argv[++i];
        else if (!strcmp(a, "--check") && v)
            o->check = argv[++i];
        else if (!strcmp(a, "-v"))
            o->verbose = true;
        else
            return -1;
    }
    if (o->ncases < 0)
        o->ncases = o->record ? 20000 : DEFAULT_CASES;
    if (o->npairs < 0)
        o->npairs = o->record ? 6000 : DEFAULT_PAIRS;
    return 0;
}

int main(int argc, char **argv)
{
    Options o;
    if (parse_args(argc, argv, &o) < 0) {
        fprintf(stderr, "usage: native_diff [-seed N] [-n CASES] [-pairs N] [-accel NAME] [-v] [--record FILE | --check FILE]\n");
        return 2;
    }
    if (!o.check && !nd_native_available()) {
        fprintf(stderr, "native_diff: %s\n", nd_native_error());
        return 2;
    }
    Harness *h = harness_new(4);
    if (!h || !harness_set_accel(h, o.accel)) {
        fprintf(stderr, "native_diff: %s\n", h ? "unknown -accel" : "cannot create the machine");
        return 2;
    }
    harness_flat32(h, GUEST_GDT);
    static Report rep;
    rep.max_shown = o.verbose ? 50 : MAX_SHOWN;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = o.check ? run_check(h, &o, &rep) : run_generated(h, &o, &rep);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    harness_free(h);
    if (rc < 0)
        return 2;
    if (o.record) {
        printf("recorded %llu cases to %s\n", (unsigned long long)rep.passed, o.record);
        return 0;
    }
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("-- mismatches by form (%.1f s, accel %s) --\n", secs, o.accel);
    for (int i = 0; i < rep.ng; i++)
        if (rep.g[i].failed)
            printf("%-24s %6u of %6u failed\n", rep.g[i].name, rep.g[i].failed, rep.g[i].failed + rep.g[i].passed);
    printf("%llu passed, %llu failed\n", (unsigned long long)rep.passed, (unsigned long long)rep.failed);
    return rep.failed ? 1 : 0;
}
