/* test_fuzz_code.c — random byte sequences run as guest code through the whole pipeline (decoder → translator →
 * optimiser → IR interpreter → runtime, softmmu, exceptions) for a bounded time, in real mode, 16/32-bit protected
 * mode at CPL 0 and 3, and virtual-8086 mode, with paging off, 2-level paging (4 KiB and 4 MiB pages) or PAE, random
 * registers, flags, control-register bits and debug breakpoints (issue 2, "bad input").
 * It asserts only what must hold for any guest: cpu_exec returns (each case is bounded by max_insns and a wall-clock
 * limit), the host does not crash (ASan/UBSan in CI), and the CPU state stays architecturally sane afterwards:
 * EFLAGS reserved bits, VM only with PE, CPL 0 in real mode and 3 in v8086, v8086 segment caches real-style,
 * EIP inside (or one past) the CS limit and 16-bit in 16-bit code, hflags equal to their recomputation.
 * The guest machine: GDT (ring 0/3 code and data, 16-bit segments, conforming, expand-down, not-present, TSS, LDT,
 * call gate), IDT whose handlers HLT (the run then stops: a fault was delivered), a #DF task gate, a TSS with a
 * random I/O bitmap, identity page tables with a few random holes, a port sink for all 65536 ports and an MMIO page.
 * Seed: PCJIT_FUZZ_SEED (default fixed, printed); PCJIT_FUZZ_CASES cases (default 2500, about 10 s) but never
 * more than PCJIT_FUZZ_SECONDS (default 15: a slow sanitizer build on a busy machine stops early and says so);
 * PCJIT_FUZZ_VERBOSE=1 prints every case before running it (to find the one that crashes the host);
 * PCJIT_FUZZ_TRACE=N logs the exceptions, blocks and guest code of case N; PCJIT_ACCEL=jit|lockstep (the harness reads it) picks the
 * engine (default: the IR interpreter).
 * A differential tcase runs PCJIT_FUZZ_DIFF_CASES (default 300) cases twice from one snapshot, under the
 * interpreter and the JIT, and compares the outcome (stop, instruction count, registers, flags, segments, CRs, RAM).
 * Directed cases ("bounded") pin down what the random run found: exception loops in which no instruction ever
 * completes and a REP with a huge count must still return at max_insns.
 * Left out: interrupts from devices (no PIC). */
#include <check.h>
#include <pthread.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "harness.h"
#include "mmu.h"
#include "sys.h"

enum {
    RAM_MIB = 4,
    HANDLER_PA = 0x0600, RESUME_PA = 0x0610, RESUME_ERR_PA = 0x0620, RESUME_REAL_PA = 0x0630, GATE_TARGET_PA = 0x0700,
    GDT_PA = 0x1000, IDT_PA = 0x2000, TSS0_PA = 0x3000,
    IOMAP_SIZE = 0x2000, TSS2_PA = 0x5100, LDT_PA = 0x5200, PD_PA = 0x6000, PT_PA = 0x7000, STACK_TOP = 0x9000,
    STACK0_TOP = 0xA000, STACK2_TOP = 0xB000, PDPT_PA = 0xB000, PAE_PD_PA = 0xC000, PAE_PT_PA = 0xD000,
    CODE_PA = 0x10000, CODE_SIZE = 0x10000, MMIO_PA = RAM_MIB << 20, GDT_ENTRIES = 16,
};
/* selectors of the fuzz GDT */
enum {
    S_CODE32 = 0x08, S_DATA32 = 0x10, S_CODE16 = 0x18, S_DATA16 = 0x20, S_CODE32_R3 = 0x2B, S_DATA32_R3 = 0x33,
    S_TSS0 = 0x38, S_TSS2 = 0x40, S_CALLGATE = 0x4B, S_LDT = 0x50, S_CONFORM = 0x58, S_EXPDOWN_R3 = 0x63,
    S_CODE16_R3 = 0x6B, S_NOTPRESENT = 0x70, S_DATA16_R3 = 0x7B,
};
typedef enum { M_REAL, M_PM16, M_PM32, M_PM32_R3, M_PM16_R3, M_V86, M_NUM } FuzzMode;
static const char *const mode_names[M_NUM] = { "real", "pm16", "pm32", "pm32-cpl3", "pm16-cpl3", "v86" };

static uint64_t rng;
static uint32_t rnd(void)
{
    rng ^= rng << 13;   /* xorshift64 */
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}
static uint32_t rnd_below(uint32_t n) { return rnd() % n; }

static uint64_t desc(uint32_t base, uint32_t limit, uint32_t access, uint32_t flags4)
{
    uint32_t e1 = (limit & 0xffff) | (base << 16);
    uint32_t e2 = ((base >> 16) & 0xff) | (access << 8) | (limit & 0xf0000) | (flags4 << 20) | (base & 0xff000000u);
    return (uint64_t)e2 << 32 | e1;
}
static uint64_t gate(uint16_t sel, uint32_t off, uint32_t access, uint32_t params)
{
    uint32_t e1 = (off & 0xffff) | ((uint32_t)sel << 16);
    uint32_t e2 = (off & 0xffff0000u) | (access << 8) | params;
    return (uint64_t)e2 << 32 | e1;
}

static const uint64_t *fuzz_gdt(void)
{
    static uint64_t g[GDT_ENTRIES];
    g[0] = 0;
    g[1] = desc(0, 0xfffff, 0x9b, 0xc);
    g[2] = desc(0, 0xfffff, 0x93, 0xc);
    g[3] = desc(CODE_PA, 0xffff, 0x9b, 0);
    g[4] = desc(0, 0xffff, 0x93, 0);
    g[5] = desc(0, 0xfffff, 0xfb, 0xc);
    g[6] = desc(0, 0xfffff, 0xf3, 0xc);
    g[7] = desc(TSS0_PA, 0x68 + IOMAP_SIZE, 0x8b, 0);     /* busy: it is TR */
    g[8] = desc(TSS2_PA, 0x67, 0x89, 0);
    g[9] = gate(S_CODE32, GATE_TARGET_PA, 0xec, 2);        /* 32-bit call gate, DPL 3, 2 parameters */
    g[10] = desc(LDT_PA, 0x17, 0x82, 0);
    g[11] = desc(0, 0xfffff, 0x9f, 0xc);                   /* conforming code */
    g[12] = desc(0, 0xfff, 0xf7, 0x4);                     /* expand-down data, DPL 3 */
    g[13] = desc(CODE_PA, 0xffff, 0xfb, 0);
    g[14] = desc(0, 0xfffff, 0x13, 0xc);                   /* not present */
    g[15] = desc(0, 0xffff, 0xf3, 0);
    return g;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static bool vector_has_error(int v) { return v == 8 || (v >= 10 && v <= 14) || v == 17; }

/* System structures, rewritten for every case (the previous case's code may have trashed them). Handlers either
 * HLT (the run stops: a fault was delivered) or, in "resume" cases, step EIP one byte past where the exception
 * left it and IRET, so the run goes on through more exceptions, privilege returns and odd instruction boundaries. */
static void setup_tables(Harness *h, bool resume)
{
    static uint8_t buf[0x2100];
    static const uint8_t halt[4] = { 0xf4, 0xeb, 0xfd, 0x90 };               /* HLT; JMP back to the HLT */
    static const uint8_t step[4] = { 0xff, 0x04, 0x24, 0xcf };               /* INC dword [ESP]; IRETD */
    static const uint8_t step_err[8] = { 0x83, 0xc4, 0x04, 0xff, 0x04, 0x24, 0xcf, 0x90 }; /* ADD ESP,4 first */
    static const uint8_t step_real[8] = { 0x55, 0x89, 0xe5, 0xff, 0x46, 0x02, 0x5d, 0xcf }; /* INC word [BP+2] */
    harness_write(h, HANDLER_PA, halt, 4);
    harness_write(h, RESUME_PA, step, 4);
    harness_write(h, RESUME_ERR_PA, step_err, 8);
    harness_write(h, RESUME_REAL_PA, step_real, 8);
    harness_write(h, GATE_TARGET_PA, halt, 4);
    for (int v = 0; v < 256; v++)                          /* real-mode IVT: every vector → 0060:0000 or 0063:0000 */
        put32(buf + v * 4, ((resume ? RESUME_REAL_PA : HANDLER_PA) >> 4) << 16);
    harness_write(h, 0, buf, 0x400);
    harness_write(h, GDT_PA, fuzz_gdt(), GDT_ENTRIES * 8);
    for (int v = 0; v < 256; v++) {
        uint32_t off = !resume ? HANDLER_PA : vector_has_error(v) ? RESUME_ERR_PA : RESUME_PA;
        uint64_t g = gate(S_CODE32, off, (rnd() & 1) ? 0xee : 0xef, 0);
        if (v == EXC_DF)
            g = gate(S_TSS2, 0, 0x85, 0);                  /* #DF through a task gate */
        memcpy(buf + v * 8, &g, 8);
    }
    harness_write(h, IDT_PA, buf, 0x800);
    memset(buf, 0, sizeof(buf));                           /* TSS0 with a random I/O bitmap */
    put32(buf + 4, STACK0_TOP);
    put32(buf + 8, S_DATA32);
    put32(buf + 100, 0x68u << 16);
    for (int i = 0; i < IOMAP_SIZE; i++)
        buf[0x68 + i] = (rnd() & 3) ? 0xff : (uint8_t)rnd();
    buf[0x68 + IOMAP_SIZE] = 0xff;
    harness_write(h, TSS0_PA, buf, 0x68 + IOMAP_SIZE + 1);
    memset(buf, 0, 0x68);                                  /* TSS2: the #DF task (HLTs) */
    put32(buf + 28, PD_PA);
    put32(buf + 32, HANDLER_PA);
    put32(buf + 36, 2);
    put32(buf + 56, STACK2_TOP);
    for (int s = 0; s < 6; s++)
        put32(buf + 72 + s * 4, s == SEG_CS ? S_CODE32 : S_DATA32);
    harness_write(h, TSS2_PA, buf, 0x68);
    uint64_t ldt[3] = { desc(0, 0xfffff, 0xfb, 0xc), desc(0, 0xfffff, 0xf3, 0xc), desc(0, 0xfffff, 0x93, 0xc) };
    harness_write(h, LDT_PA, ldt, sizeof(ldt));
}

static void setup_paging_tables(Harness *h)
{
    static uint32_t pt[1024], pd[1024];
    static uint64_t pae[512];
    for (uint32_t i = 0; i < 1024; i++) {
        pt[i] = (i << 12) | 7;
        if (i >= CODE_PA >> 12 && !rnd_below(64))           /* a few holes, read-only or supervisor pages */
            pt[i] &= ~(1u << rnd_below(3));
    }
    memset(pd, 0, sizeof(pd));
    pd[0] = PT_PA | 7;
    pd[1] = MMIO_PA | 0x87;                                /* 4 MiB page (or, without PSE, a "table" in MMIO) */
    pd[2 + rnd_below(1020)] = (rnd() & ~0xfffu) | (rnd() & 0xff);  /* one random PDE */
    harness_write(h, PT_PA, pt, sizeof(pt));
    harness_write(h, PD_PA, pd, sizeof(pd));
    for (uint32_t i = 0; i < 512; i++)
        pae[i] = ((uint64_t)i << 12) | (pt[i] & 0xfff);
    harness_write(h, PAE_PT_PA, pae, sizeof(pae));
    memset(pae, 0, sizeof(pae));
    pae[0] = PAE_PT_PA | 7;
    pae[1] = 0x200000 | 0x87;
    pae[2] = MMIO_PA | 0x87;
    harness_write(h, PAE_PD_PA, pae, sizeof(pae));
    uint64_t pdpt[4] = { PAE_PD_PA | 1, 0, 0, 0 };
    harness_write(h, PDPT_PA, pdpt, sizeof(pdpt));
}

/* Random code: mostly uniform bytes, sometimes a soup of system-heavy instruction fragments. */
static void setup_code(Harness *h)
{
    static const uint8_t frags[][4] = {
        { 0xcd }, { 0xcf }, { 0xca }, { 0xcb }, { 0xea }, { 0x9a }, { 0x8e }, { 0x0f, 0x00 }, { 0x0f, 0x01 },
        { 0x0f, 0x20 }, { 0x0f, 0x22 }, { 0x0f, 0x23 }, { 0xf3, 0xa5 }, { 0xf3, 0xa4 }, { 0xf2, 0xae }, { 0x66 },
        { 0x67 }, { 0xf0 }, { 0x9d }, { 0x9c }, { 0x0f, 0x34 }, { 0x0f, 0x35 }, { 0x0f, 0x30 }, { 0x0f, 0x32 },
        { 0xe4 }, { 0xec }, { 0x6c }, { 0x6e }, { 0x17 }, { 0x1f }, { 0x62 }, { 0xce }, { 0xcc }, { 0xc8 },
        { 0x0f, 0xc7 }, { 0x0f, 0xb2 }, { 0xc4 }, { 0xc5 }, { 0xd8 + 0 }, { 0xdf }, { 0x0f, 0x06 }, { 0xf4 },
    };
    static uint8_t code[CODE_SIZE];
    bool soup = rnd_below(4) == 0;
    for (uint32_t i = 0; i < CODE_SIZE;) {
        if (soup && rnd_below(3) == 0) {
            const uint8_t *f = frags[rnd_below(sizeof(frags) / sizeof(frags[0]))];
            for (int k = 0; k < 4 && i < CODE_SIZE && (k == 0 || f[k]); k++)
                code[i++] = f[k];
        } else {
            code[i++] = (uint8_t)rnd();
        }
    }
    harness_write(h, CODE_PA, code, CODE_SIZE);
}

static uint32_t rnd_value(void)
{
    static const uint32_t special[] = { 0, 1, 0xffffffffu, 0x7fffffffu, 0x80000000u, 0xffff, 0x10000, 0xfffff000u };
    switch (rnd_below(4)) {
    case 0: return rnd_below(0x100);
    case 1: return rnd_below(RAM_MIB << 20);
    case 2: return special[rnd_below(8)];
    default: return rnd();
    }
}

static void load_seg_desc(CpuState *env, int seg, uint32_t sel)
{
    const uint64_t *g = fuzz_gdt();
    uint64_t d = g[(sel >> 3) % GDT_ENTRIES];
    if ((sel & ~3u) == 0)
        seg_cache_null(&env->seg[seg], sel);
    else
        seg_cache_set(&env->seg[seg], sel, (uint32_t)d, (uint32_t)(d >> 32));
}

/* Registers, flags, CR0/CR4 bits and a breakpoint, common to every mode. Returns the EFLAGS to install. */
static uint32_t setup_cpu_common(CpuState *env, FuzzMode mode)
{
    cpu_reset(env);
    for (int r = G_EAX; r <= G_EDI; r++)
        env->t[r] = rnd_value();
    env->t[G_ESP] = rnd_below(8) ? STACK_TOP - rnd_below(0x400) : rnd_value();
    uint32_t fl = (rnd() & (F_ARITH | F_DF | F_AC)) | 2;
    if (rnd_below(16) == 0)
        fl |= F_TF;
    if (mode == M_PM32_R3 || mode == M_PM16_R3 || mode == M_V86)
        fl |= (rnd_below(4) << 12);
    env->cr0 = CR0_ET | (rnd() & (CR0_MP | CR0_EM | CR0_TS | CR0_WP | CR0_AM | CR0_NE));
    env->cr4 = rnd() & (CR4_PSE | CR4_PGE | CR4_TSD | CR4_DE);
    if (rnd_below(8) == 0) {                     /* an execute or data breakpoint somewhere in the code */
        env->dr[0] = CODE_PA + rnd_below(CODE_SIZE);
        env->dr[7] = DR7_FIXED | 3 | ((rnd() & 0xf) << 16);
    }
    return fl;
}

static void setup_cpu_real(Harness *h, uint32_t fl)
{
    CpuState *env = h->env;
    harness_real_mode(h);
    env->cr0 &= ~CR0_WP;
    harness_set_seg_real(h, SEG_CS, CODE_PA >> 4);
    for (int s = SEG_ES; s <= SEG_GS; s++)
        if (s != SEG_CS)
            harness_set_seg_real(h, s, rnd_below(2) ? (uint16_t)rnd() : 0);
    env->t[G_EIP] = rnd() & 0xffff;
    cpu_set_eflags(env, fl & ~F_IOPL, 0xffffffffu);
    env->hflags &= ~HF_CPL_MASK;
    cpu_update_hflags(env);
}

/* Protected-mode tables and segment caches for the mode; returns the CPL. *fl gets VM for v8086. */
static int setup_cpu_segments(CpuState *env, FuzzMode mode, uint32_t *fl)
{
    static const uint16_t data_r0[] = { S_DATA32, S_DATA16, S_DATA32_R3, S_EXPDOWN_R3, 0, 0x0f };
    static const uint16_t data_r3[] = { S_DATA32_R3, S_DATA16_R3, S_EXPDOWN_R3, 0, 0x0f };
    uint64_t ldt = fuzz_gdt()[S_LDT >> 3], tss = fuzz_gdt()[S_TSS0 >> 3];
    env->cr0 |= CR0_PE;
    env->gdt_base = GDT_PA;
    env->gdt_limit = GDT_ENTRIES * 8 - 1;
    env->idt_base = IDT_PA;
    env->idt_limit = 0x7ff;
    seg_cache_set(&env->ldtr, S_LDT, (uint32_t)ldt, (uint32_t)(ldt >> 32));
    seg_cache_set(&env->tr, S_TSS0, (uint32_t)tss, (uint32_t)(tss >> 32));
    if (mode == M_V86) {
        *fl |= F_VM;
        for (int s = SEG_ES; s <= SEG_GS; s++)
            seg_load_real(env, s, s == SEG_CS ? CODE_PA >> 4 : (rnd_below(2) ? rnd() & 0xffff : 0), true);
        return 3;
    }
    bool r3 = mode == M_PM32_R3 || mode == M_PM16_R3, c16 = mode == M_PM16 || mode == M_PM16_R3;
    load_seg_desc(env, SEG_CS, r3 ? (c16 ? S_CODE16_R3 : S_CODE32_R3) : (c16 ? S_CODE16 : S_CODE32));
    load_seg_desc(env, SEG_SS, r3 ? (rnd_below(2) ? S_DATA32_R3 : S_DATA16_R3) : (rnd_below(2) ? S_DATA32 : S_DATA16));
    for (int s = SEG_ES; s <= SEG_GS; s++)        /* (selector 0x0f names the GDT here: caches filled directly) */
        if (s != SEG_CS && s != SEG_SS)
            load_seg_desc(env, s, r3 ? data_r3[rnd_below(5)] & ~4u : data_r0[rnd_below(6)] & ~4u);
    return r3 ? 3 : 0;
}

/* Put the CPU into the case's mode; what gets a description for messages. */
static void setup_cpu(Harness *h, FuzzMode mode, int paging, char *what, size_t whatsize)
{
    CpuState *env = h->env;
    uint32_t fl = setup_cpu_common(env, mode);
    if (mode == M_REAL) {
        setup_cpu_real(h, fl);
        snprintf(what, whatsize, "mode real");
        return;
    }
    int cpl = setup_cpu_segments(env, mode, &fl);
    bool code16 = !(env->seg[SEG_CS].flags & DESC_B);
    env->t[G_EIP] = code16 || mode == M_V86 ? (rnd() & 0xffff) : CODE_PA + rnd_below(CODE_SIZE);
    cpu_set_eflags(env, fl, 0xffffffffu);
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
    const char *pg = "off";
    if (paging) {
        if (paging == 2)
            env->cr4 |= CR4_PAE;
        env->cr0 |= CR0_PG;
        cpu_set_cr3(env, paging == 2 ? PDPT_PA : PD_PA);
        pg = paging == 2 ? "pae" : "2-level";
    }
    cpu_update_hflags(env);
    tlb_flush_all(env);
    snprintf(what, whatsize, "mode %s paging %s", mode_names[mode], pg);
}

/* Problems are collected (printed at once, the first one kept for the verdict) so one run reports them all. */
static int nproblems;
static char first_problem[512];
static void fuzz_problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fuzz_problem(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("fuzz: PROBLEM %s\n", msg);
    fflush(stdout);
    if (nproblems++ == 0)
        snprintf(first_problem, sizeof(first_problem), "%s", msg);
}
#define SANE(cond, ...) do { if (!(cond)) { fuzz_problem(__VA_ARGS__); return; } } while (0)

/* The invariants every run must leave behind (see the file comment). */
static void check_sane(Harness *h, const char *what, unsigned long long n, ExecStop stop)
{
    CpuState *env = h->env;
    uint32_t ef = cpu_get_eflags(env);
    SANE(stop <= STOP_RESET, "case %llu (%s): bad stop %d", n, what, (int)stop);
    SANE((ef & 2) && !(ef & ((1u << 3) | (1u << 5) | (1u << 15) | 0xffc00000u)),
                  "case %llu (%s): EFLAGS reserved bits wrong: %08x", n, what, ef);
    if (stop == STOP_SHUTDOWN || stop == STOP_RESET)
        return;
    bool pe = env->cr0 & CR0_PE, vm = ef & F_VM;
    SANE(!vm || pe, "case %llu (%s): VM set in real mode", n, what);
    SANE(pe || (env->hflags & HF_CPL_MASK) == 0, "case %llu (%s): CPL %u in real mode", n, what,
                  env->hflags & HF_CPL_MASK);
    if (vm) {
        SANE((env->hflags & HF_CPL_MASK) == 3, "case %llu (%s): CPL != 3 in v8086 mode", n, what);
        for (int s = SEG_ES; s <= SEG_GS; s++)
            SANE(env->seg[s].base == (uint32_t)env->seg[s].sel << 4 && env->seg[s].limit == 0xffff,
                          "case %llu (%s): v8086 segment %d base %08x sel %04x limit %x", n, what, s,
                          env->seg[s].base, env->seg[s].sel, env->seg[s].limit);
    }
    uint32_t eip = env->t[G_EIP];
    const SegCache *cs = &env->seg[SEG_CS];
    if (!(env->hflags & HF_CS32) && cs->hi <= 0xffff)   /* (a 4 GiB 16-bit CS can be built by the guest) */
        SANE(eip <= 0xffff, "case %llu (%s): EIP %08x in 16-bit code", n, what, eip);
    SANE((uint64_t)eip <= (uint64_t)cs->hi + 1, "case %llu (%s): EIP %08x beyond CS limit %08x", n, what,
                  eip, cs->hi);
    uint32_t hf = env->hflags;
    cpu_update_hflags(env);
    SANE(hf == env->hflags, "case %llu (%s): stale hflags %08x, recomputed %08x", n, what, hf,
                  env->hflags);
}

static uint32_t sink_read(void *opaque, uint32_t addr, int size)
{
    (void)opaque;
    uint32_t v = addr * 0x9e3779b1u;
    return size == 4 ? v : v & ((1u << (size * 8)) - 1);
}
static void sink_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    (void)opaque, (void)addr, (void)val, (void)size;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Watchdog: a case still inside cpu_exec after its limit (WATCHDOG_S for random cases) has not honoured max_insns.
 * The watchdog then asks the machine to stop (exit request, as a device would) so the test can report the case;
 * if even that is ignored it aborts the process with the case description. */
enum { WATCHDOG_S = 5 };
static struct {
    Harness *h;
    double start;           /* < 0: no case running */
    double limit;           /* seconds before the watchdog steps in */
    bool fired, quit;
    char what[160];
    pthread_mutex_t lock;
} wd = { .start = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static void *watchdog_main(void *arg)
{
    (void)arg;
    for (;;) {
        usleep(50000);
        pthread_mutex_lock(&wd.lock);
        double t = wd.start < 0 ? 0 : now() - wd.start;
        if (wd.quit) {
            pthread_mutex_unlock(&wd.lock);
            return NULL;
        }
        if (t > wd.limit && !wd.fired) {
            wd.fired = true;
            __atomic_store_n(&wd.h->m->exit_requested, true, __ATOMIC_SEQ_CST);
            __atomic_store_n(&wd.h->env->exit_request, 1, __ATOMIC_SEQ_CST);
        } else if (t > 3 * wd.limit) {
            fprintf(stderr, "fuzz: %s: cpu_exec ignores max_insns and exit requests (host hang)\n", wd.what);
            abort();
        }
        pthread_mutex_unlock(&wd.lock);
    }
}

static void watchdog_arm(const char *what, double limit)
{
    /* PCJIT_FUZZ_WATCHDOG_SCALE: an emulated host (the aarch64 build under qemu-aarch64) runs cases several times
     * slower, and a watchdog that fires on a slow case makes the engines' outcomes differ for no fault of theirs */
    const char *scale = getenv("PCJIT_FUZZ_WATCHDOG_SCALE");
    if (scale && atof(scale) > 0)
        limit *= atof(scale);
    pthread_mutex_lock(&wd.lock);
    wd.limit = limit;
    snprintf(wd.what, sizeof(wd.what), "%s", what);
    wd.fired = false;
    wd.start = now();
    pthread_mutex_unlock(&wd.lock);
}

static pthread_t watchdog_start(Harness *h)
{
    pthread_t t;
    pthread_mutex_lock(&wd.lock);
    wd.h = h;
    wd.quit = false;
    wd.start = -1;
    pthread_mutex_unlock(&wd.lock);
    ck_assert_int_eq(pthread_create(&t, NULL, watchdog_main, NULL), 0);
    return t;
}

static void watchdog_stop(pthread_t t)
{
    pthread_mutex_lock(&wd.lock);
    wd.quit = true;
    pthread_mutex_unlock(&wd.lock);
    pthread_join(t, NULL);
}

static bool watchdog_disarm(void)
{
    pthread_mutex_lock(&wd.lock);
    bool fired = wd.fired;
    wd.start = -1;
    pthread_mutex_unlock(&wd.lock);
    return fired;
}

typedef struct FuzzRun {
    uint64_t seed;
    long long trace_case;      /* PCJIT_FUZZ_TRACE, or -1 */
    bool verbose;
    unsigned long long n, insns, stops[5];
    double worst;
} FuzzRun;

/* One case: fresh tables, code and CPU state, one bounded cpu_exec, then the checks. */
static void fuzz_one_case(Harness *h, FuzzRun *r)
{
    FuzzMode mode = (FuzzMode)rnd_below(M_NUM);
    int paging = mode == M_REAL ? 0 : (int)rnd_below(3);
    char what[64], desc[160];
    setup_paging_tables(h);                      /* every case: cpu_set_cr3 must not fault outside cpu_exec */
    bool resume = rnd() & 1;
    setup_tables(h, resume);
    setup_code(h);
    setup_cpu(h, mode, paging, what, sizeof(what));
    uint64_t max = 200 + rnd_below(3000), before = h->env->icount;
    snprintf(desc, sizeof(desc), "case %llu (%s, %s handlers, eip %08x, seed 0x%llx)", r->n, what,
             resume ? "resuming" : "halting", h->env->t[G_EIP], (unsigned long long)r->seed);
    if (r->verbose) {
        printf("%s max %llu\n", desc, (unsigned long long)max);
        fflush(stdout);
    }
    bool trace = r->trace_case >= 0 && (unsigned long long)r->trace_case == r->n;
    h->opt.log = trace ? stderr : NULL;          /* PCJIT_FUZZ_TRACE=N: log exceptions and blocks of case N */
    h->opt.log_mask = trace ? LOG_INT | LOG_EXEC | LOG_IN_ASM : 0;
    double t0 = now();
    watchdog_arm(desc, WATCHDOG_S);
    ExecStop stop = harness_run(h, max);
    bool fired = watchdog_disarm();
    double dt = now() - t0;
    r->worst = dt > r->worst ? dt : r->worst;
    r->insns += h->env->icount - before;
    if (fired) {
        uint8_t b[8];                            /* bytes at CS:EIP (as physical: good enough to name the insn) */
        harness_read(h, h->env->seg[SEG_CS].base + h->env->t[G_EIP], b, 8);
        fuzz_problem("%s: cpu_exec did not stop at max_insns %llu within %d s (it stopped only for an exit "
                     "request; %llu instructions counted; now EIP %08x bytes %02x %02x %02x %02x %02x %02x, "
                     "ECX %08x, last exception vector %d)", desc, (unsigned long long)max, WATCHDOG_S,
                     (unsigned long long)(h->env->icount - before), h->env->t[G_EIP], b[0], b[1], b[2], b[3],
                     b[4], b[5], h->env->t[G_ECX], h->env->exc_vector);
        return;
    }
    if (r->verbose) {
        printf("  -> %s after %llu instructions, EIP %08x\n", harness_stop_name(stop),
               (unsigned long long)(h->env->icount - before), h->env->t[G_EIP]);
        fflush(stdout);
    }
    check_sane(h, what, r->n, stop);
    r->stops[stop <= STOP_RESET ? stop : 0]++;
}

START_TEST(fuzz_random_code)
{
    const char *e = getenv("PCJIT_FUZZ_SEED");
    FuzzRun r = { .seed = e ? strtoull(e, NULL, 0) : 0x9c3a5f17d2e4b681ull,
                  .trace_case = getenv("PCJIT_FUZZ_TRACE") ? atoll(getenv("PCJIT_FUZZ_TRACE")) : -1,
                  .verbose = getenv("PCJIT_FUZZ_VERBOSE") != NULL };
    double seconds = getenv("PCJIT_FUZZ_SECONDS") ? atof(getenv("PCJIT_FUZZ_SECONDS")) : 15.0;
    unsigned long long ncases = getenv("PCJIT_FUZZ_CASES") ? strtoull(getenv("PCJIT_FUZZ_CASES"), NULL, 0) : 2500;
    rng = r.seed ? r.seed : 1;
    printf("fuzz: seed 0x%llx (PCJIT_FUZZ_SEED), %llu cases (PCJIT_FUZZ_CASES) or at most %.1f s "
           "(PCJIT_FUZZ_SECONDS)\n", (unsigned long long)r.seed, ncases, seconds);
    fflush(stdout);
    Harness *h = harness_new(RAM_MIB);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(bus_register_io(h->m, 0, 0x10000, sink_read, sink_write, NULL, "fuzz-sink"), 0);
    ck_assert_int_eq(bus_register_mmio(h->m, MMIO_PA, 0x1000, sink_read, sink_write, NULL, "fuzz-mmio"), 0);
    pthread_t wd_thread = watchdog_start(h);
    for (double start = now(); r.n < ncases && now() - start < seconds; r.n++)
        fuzz_one_case(h, &r);
    printf("fuzz: %llu cases, %llu guest instructions; stops: limit %llu, halt %llu, exit %llu, shutdown %llu, "
           "reset %llu; slowest case %.3f s\n", r.n, r.insns, r.stops[0], r.stops[1], r.stops[2], r.stops[3],
           r.stops[4], r.worst);
    if (r.n < ncases)
        printf("fuzz: time limit reached after %llu of %llu cases\n", r.n, ncases);
    watchdog_stop(wd_thread);
    harness_free(h);
    ck_assert_msg(nproblems == 0, "%d problem(s) in %llu cases; the first: %s", nproblems, r.n, first_problem);
    ck_assert_msg(r.n >= 100, "only %llu cases ran", r.n);
}
END_TEST

/* Differential run: every case runs twice from the same snapshot (CPU state and all of RAM), under the interpreter
 * and under the JIT; both must stop the same way after the same number of instructions with the same registers,
 * flags, segments, control registers and RAM. */
typedef struct Outcome {
    ExecStop stop;
    uint64_t insns;
    uint32_t regs[9], eflags, cr0, cr2, cr3, cr4, sel[6], base[6];  /* EAX..EDI, EIP; then compared as words */
} Outcome;

static void outcome_take(const Harness *h, ExecStop stop, uint64_t before, Outcome *o)
{
    const CpuState *env = h->env;
    memset(o, 0, sizeof(*o));
    o->stop = stop;
    o->insns = env->icount - before;
    for (int r = G_EAX; r <= G_EIP; r++)
        o->regs[r] = env->t[r];
    o->eflags = cpu_get_eflags(h->env);
    o->cr0 = env->cr0, o->cr2 = env->cr2, o->cr3 = env->cr3, o->cr4 = env->cr4;
    for (int s = 0; s < 6; s++)
        o->sel[s] = env->seg[s].sel, o->base[s] = env->seg[s].base;
}

/* Describe the first difference between a (interpreter) and b (JIT) into buf; false if there is none. */
static bool outcome_diff(const Outcome *a, const Outcome *b, char *buf, size_t n)
{
    static const char *const reg[9] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI", "EIP" };
    for (int r = 0; r < 9; r++)
        if (a->regs[r] != b->regs[r]) {
            snprintf(buf, n, "%s %08x vs %08x", reg[r], a->regs[r], b->regs[r]);
            return true;
        }
    const uint32_t *x = &a->eflags, *y = &b->eflags;   /* eflags .. base[5]: consecutive uint32_t */
    for (size_t i = 0; i < 5 + 12; i++)
        if (x[i] != y[i]) {
            snprintf(buf, n, "EFLAGS/CR/segment word %zu: %08x vs %08x", i, x[i], y[i]);
            return true;
        }
    if (a->stop != b->stop || a->insns != b->insns) {
        snprintf(buf, n, "same state, but stop %d after %llu vs %d after %llu", (int)a->stop,
                 (unsigned long long)a->insns, (int)b->stop, (unsigned long long)b->insns);
        return true;
    }
    return false;
}

static ExecStop diff_run(Harness *h, const char *desc, uint64_t max, Outcome *o)
{
    uint64_t before = h->env->icount;
    watchdog_arm(desc, WATCHDOG_S);
    ExecStop stop = harness_run(h, max);
    if (watchdog_disarm())
        fuzz_problem("%s: cpu_exec did not stop at max_insns %llu", desc, (unsigned long long)max);
    outcome_take(h, stop, before, o);
    return stop;
}

START_TEST(diff_interp_jit)
{
    const char *e = getenv("PCJIT_FUZZ_SEED");
    uint64_t seed = (e ? strtoull(e, NULL, 0) : 0x9c3a5f17d2e4b681ull) ^ 0x5a5a5a5a5a5a5a5aull;
    unsigned long long ncases = getenv("PCJIT_FUZZ_DIFF_CASES") ? strtoull(getenv("PCJIT_FUZZ_DIFF_CASES"), NULL, 0)
                                                                  : 300;
    long long trace_case = getenv("PCJIT_FUZZ_TRACE") ? atoll(getenv("PCJIT_FUZZ_TRACE")) : -1;
    rng = seed ? seed : 1;
    printf("fuzz-diff: seed 0x%llx, %llu cases (PCJIT_FUZZ_DIFF_CASES), interpreter vs JIT\n",
           (unsigned long long)seed, ncases);
    Harness *h = harness_new(RAM_MIB);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(bus_register_io(h->m, 0, 0x10000, sink_read, sink_write, NULL, "fuzz-sink"), 0);
    ck_assert_int_eq(bus_register_mmio(h->m, MMIO_PA, 0x1000, sink_read, sink_write, NULL, "fuzz-mmio"), 0);
    uint32_t size = h->env->ram_size;
    CpuState *snap = malloc(sizeof(*snap));
    uint8_t *ram0 = malloc(size), *ram1 = malloc(size);
    ck_assert(snap && ram0 && ram1);
    pthread_t t = watchdog_start(h);
    unsigned long long n = 0;
    double seconds = getenv("PCJIT_FUZZ_SECONDS") ? atof(getenv("PCJIT_FUZZ_SECONDS")) : 15.0;  /* as the other tcase */
    for (double start = now(); n < ncases && now() - start < seconds; n++) {
        FuzzMode mode = (FuzzMode)rnd_below(M_NUM);
        int paging = mode == M_REAL ? 0 : (int)rnd_below(3);
        char what[64], desc[160], diff[160];
        setup_paging_tables(h);
        setup_tables(h, rnd() & 1);
        setup_code(h);
        setup_cpu(h, mode, paging, what, sizeof(what));
        uint64_t max = 200 + rnd_below(3000);
        snprintf(desc, sizeof(desc), "diff case %llu (%s, eip %08x)", n, what, h->env->t[G_EIP]);
        bool trace = trace_case >= 0 && (unsigned long long)trace_case == n;
        h->opt.log = trace ? stderr : NULL;          /* PCJIT_FUZZ_TRACE=N: log both runs of case N */
        h->opt.log_mask = trace ? LOG_INT | LOG_EXEC | LOG_IN_ASM : 0;
        memcpy(snap, h->env, sizeof(*snap));
        memcpy(ram0, h->env->ram, size);
        Outcome a, b;
        ck_assert(harness_set_accel(h, "interp"));
        diff_run(h, desc, max, &a);
        memcpy(ram1, h->env->ram, size);
        memcpy(h->env, snap, sizeof(*snap));        /* same tables, TB cache, machine: only the state is rolled back */
        tlb_flush_all(h->env);
        harness_write(h, 0, ram0, size);             /* drops translations of every page the first run changed */
        ck_assert(harness_set_accel(h, "jit"));
        diff_run(h, desc, max, &b);
        if (outcome_diff(&a, &b, diff, sizeof(diff)))
            fuzz_problem("%s: interpreter and JIT differ: %s", desc, diff);
        else if (memcmp(ram1, h->env->ram, size) != 0) {
            uint32_t i = 0;
            while (ram1[i] == h->env->ram[i])
                i++;
            fuzz_problem("%s: interpreter and JIT differ in RAM at %08x: %02x vs %02x", desc, i, ram1[i],
                         h->env->ram[i]);
        }
    }
    watchdog_stop(t);
    printf("fuzz-diff: %llu cases\n", n);
    free(snap);
    free(ram0);
    free(ram1);
    harness_free(h);
    ck_assert_msg(nproblems == 0, "%d problem(s) in %llu cases; the first: %s", nproblems, n, first_problem);
}
END_TEST

/* Directed cases for what the random run found: cpu_exec must honour max_insns when no instruction ever
 * completes (an exception whose handler raises it again) and when one instruction is a REP with a huge count. */
static void run_bounded(Harness *h, const char *name, uint64_t max)
{
    pthread_t t = watchdog_start(h);
    watchdog_arm(name, 2);
    ExecStop stop = harness_run(h, max);
    bool fired = watchdog_disarm();
    watchdog_stop(t);
    ck_assert_msg(!fired, "%s: cpu_exec did not stop at max_insns %llu within 2 s (EIP %08x, %s)", name,
                  (unsigned long long)max, h->env->t[G_EIP], harness_stop_name(stop));
}

START_TEST(bounded_exception_loop_real)
{
    static const uint8_t ud2[2] = { 0x0f, 0x0b };
    Harness *h = harness_new(RAM_MIB);
    uint32_t vec6 = 0x0500;                     /* IVT[6] = 0000:0500, where a UD2 raises #UD again */
    harness_write(h, 6 * 4, &vec6, 4);
    harness_write(h, 0x500, ud2, 2);
    harness_set_seg_real(h, SEG_SS, 0x2000);
    harness_set_reg(h, G_EIP, 0x500);
    run_bounded(h, "real-mode #UD handler that is itself UD2", 1000);
    harness_free(h);
}
END_TEST

START_TEST(bounded_exception_loop_pm)
{
    static const uint8_t ud2[2] = { 0x0f, 0x0b };
    Harness *h = harness_new(RAM_MIB);
    harness_flat32(h, GDT_PA);
    uint64_t g = gate(0x08, 0x2000, 0x8e, 0);   /* #UD gate → 0x2000: UD2 */
    harness_write(h, IDT_PA + 6 * 8, &g, 8);
    h->env->idt_base = IDT_PA;
    h->env->idt_limit = 0x7ff;
    harness_write(h, 0x2000, ud2, 2);
    harness_set_reg(h, G_EIP, 0x2000);
    harness_set_reg(h, G_ESP, 0);
    run_bounded(h, "protected-mode #UD handler that is itself UD2", 1000);
    harness_free(h);
}
END_TEST

/* The shapes the random run hit: the handler's first instruction cannot even be fetched (it crosses the CS limit),
 * so the fault is raised while translating and no block ever runs. */
START_TEST(bounded_fetch_fault_loop_real)
{
    static const uint8_t xor_di[1] = { 0x33 };  /* first byte of XOR r16,r/m16 at FFFF:FFFF: crosses the limit */
    Harness *h = harness_new(RAM_MIB);
    uint32_t vec = 0xffffffffu;                 /* IVT[13] = FFFF:FFFF */
    harness_write(h, 13 * 4, &vec, 4);
    harness_write(h, 0xffff0 + 0xffff, xor_di, 1);
    harness_set_seg_real(h, SEG_CS, 0xffff);
    harness_set_seg_real(h, SEG_SS, 0x2000);    /* the pushes never reach the IVT: the loop cannot end by itself */
    harness_set_reg(h, G_EIP, 0xffff);
    run_bounded(h, "real-mode #GP handler whose first instruction crosses the CS limit", 1000);
    harness_free(h);
}
END_TEST

START_TEST(bounded_fetch_fault_loop_pm)
{
    static const uint8_t int13[2] = { 0xcd, 0x0d }, xor_di[1] = { 0x33 };
    Harness *h = harness_new(RAM_MIB);
    harness_flat32(h, GDT_PA);
    uint64_t code_4k = desc(0, 0xfff, 0x9b, 0x4), g = gate(0x18, 0xfff, 0x8e, 0);
    harness_write(h, GDT_PA + 0x18, &code_4k, 8);  /* 0x18: code segment with limit 0xFFF */
    h->env->gdt_limit = 0x1f;
    harness_write(h, IDT_PA + 13 * 8, &g, 8);       /* #GP gate → 0x18:0xFFF, an instruction crossing the limit */
    h->env->idt_base = IDT_PA;
    h->env->idt_limit = 0x7ff;
    harness_write(h, 0xfff, xor_di, 1);
    harness_write(h, 0x2000, int13, 2);
    harness_set_reg(h, G_EIP, 0x2000);
    harness_set_reg(h, G_ESP, 0);               /* pushes go to 0xFFFFFFxx, unassigned: nothing is overwritten */
    run_bounded(h, "protected-mode #GP handler whose first instruction crosses the CS limit", 1000);
    harness_free(h);
}
END_TEST

START_TEST(bounded_rep_huge_count)
{
    static const uint8_t rep_stosb[3] = { 0xf3, 0xaa, 0xf4 };  /* REP STOSB; HLT */
    Harness *h = harness_new(RAM_MIB);
    harness_flat32(h, GDT_PA);
    harness_write(h, 0x2000, rep_stosb, 3);
    harness_set_reg(h, G_EIP, 0x2000);
    harness_set_reg(h, G_EDI, 0x100000);        /* runs off the end of RAM into unassigned space */
    harness_set_reg(h, G_ECX, 0xffffffffu);
    run_bounded(h, "REP STOSB with ECX = 0xFFFFFFFF", 100);
    harness_free(h);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_code");
    TCase *tc = tcase_create("random_code");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, fuzz_random_code);
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("differential");
    tcase_set_timeout(td, 300);
    tcase_add_test(td, diff_interp_jit);
    suite_add_tcase(s, td);
    TCase *tb = tcase_create("bounded");
    tcase_set_timeout(tb, 60);
    tcase_add_test(tb, bounded_exception_loop_real);
    tcase_add_test(tb, bounded_exception_loop_pm);
    tcase_add_test(tb, bounded_fetch_fault_loop_real);
    tcase_add_test(tb, bounded_fetch_fault_loop_pm);
    tcase_add_test(tb, bounded_rep_huge_count);
    suite_add_tcase(s, tb);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
