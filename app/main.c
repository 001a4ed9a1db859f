/* main.c — the pcjit program: parses QEMU-style options, builds the machine (RAM + firmware ROM + debug ports
 * until the PC platform exists), runs the CPU from the reset vector and turns the way it stopped into an exit
 * status.
 * Exit status: isa-debug-exit's (val << 1) | 1; 0 after a guest shutdown (ACPI power-off, triple fault with
 * -no-reboot) or an HLT nothing can wake; 124 when -max-insns is reached; 4 when -accel lockstep finds the engines
 * disagreeing; 2 for bad command-line input, missing or unreadable files, images of bad size.
 * Invariants: every bad input is reported as one "pcjit: ..." line on stderr with exit status 2, before the guest
 * runs and before anything is written.
 * Left out: the display, snapshots, the PC devices (their own issues). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bus.h"
#include "cpu.h"
#include "exec.h"
#include "mmu.h"
#include "backend.h"
#include "debugdev.h"
#include "disas.h"
#include "pc.h"
#include "kernel.h"
#include "drive.h"
#include "console.h"

#ifndef PCJIT_VERSION
#define PCJIT_VERSION "0.1"
#endif

enum { ROM_MAX = 16 << 20, EXIT_LIMIT = 124, EXIT_USAGE = 2, EXIT_MISMATCH = 4 };

typedef struct Options {
    const char *bios;         /* NULL: our firmware (bios/), found next to the program */
    const char *kernel, *initrd, *append;
    const char *boot_order;   /* -boot: c (disk), a/d reserved for floppy/CD (another issue) */
    uint32_t ram_mb;
    Accel accel;
    unsigned log_mask;
    const char *log_file;
    bool stats;
    const char *debugcon;     /* "stdio", "file:PATH", or NULL */
    uint32_t debugcon_base;   /* its port: 0xE9, or -device isa-debugcon,iobase=N */
    bool debug_exit;
    uint32_t debug_exit_base, debug_exit_size;
    uint64_t max_insns;
    bool no_reboot;
    bool machine_pc;          /* -machine pc: the PC devices (devices/pc.c); else the bare test machine */
    const char *serial;       /* -serial stdio|file:PATH|none (COM1, -machine pc only; default stdio) */
    int icount_shift;         /* -icount N: deterministic device time, 2^N ns per instruction; -1 = host time */
    DriveOptions drives;      /* -hda.., -drive, -snapshot (app/drive.c; bad input exits 2) */
} Options;

static _Noreturn void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "pcjit: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: pcjit [options]\n"
            "  -kernel FILE          boot this Linux bzImage or multiboot kernel (our firmware loads it via fw_cfg)\n"
            "  -initrd FILE          initial ramdisk for -kernel (for multiboot: its one module)\n"
            "  -append STRING        kernel command line\n"
            "  -bios FILE            firmware image (raw), mapped below 4 GiB and started at the reset vector\n"
            "                        (default: pcjit's own BIOS)\n"
            "  -boot c               boot from the first hard disk (the default)\n"
            "  -nographic            no display (there is none yet): COM1 on stdio\n"
            "  -m MB                 guest RAM in MiB (default 128, 2..3072)\n"
            "  -accel interp|jit|lockstep   execution engine (default jit where this host has a backend, else interp; lockstep: both, compared per block)\n"
            "  -d ITEM[,ITEM...]     log in_asm, ir, ir_opt, out_asm, exec, int, unimp, post (to stderr or -D FILE)\n"
            "  -D FILE               log file for -d\n"
            "  -stats                print execution statistics on exit\n"
            "  -debugcon stdio|file:PATH   port 0xE9 output (default: none)\n"
            "  -device isa-debug-exit[,iobase=N][,iosize=N]   exit device (present by default at 0xf4)\n"
            "  -device isa-debugcon,iobase=N   move the debug console (SeaBIOS prints to 0x402)\n"
            "  -max-insns N          stop after about N guest instructions (exit status 124)\n"
            "  -no-reboot            a triple fault or reset request ends the run instead of resetting\n"
            "  -machine pc|none      pc (default): the PC board; none: RAM, ROM and debug ports only (bare tests)\n"
            "  -serial stdio|file:PATH|none   COM1 (-machine pc; default stdio)\n"
            "  -icount N             device time follows the instruction count (2^N ns each): deterministic runs\n"
            "  -version, --version   print the version and exit\n"
            "  -help, --help         print this text and exit\n"
            "%s", drive_usage);
}

static uint64_t parse_num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-')
        die("bad number for %s", what);
    return v;
}

static unsigned parse_log_items(const char *list)
{
    static const struct { const char *name; unsigned bit; } items[] = {
        { "in_asm", LOG_IN_ASM }, { "ir", LOG_IR }, { "ir_opt", LOG_IR_OPT }, { "out_asm", LOG_OUT_ASM },
        { "exec", LOG_EXEC }, { "int", LOG_INT }, { "unimp", LOG_UNIMP }, { "post", LOG_POST },
    };
    unsigned mask = 0;
    char buf[256];
    if (strlen(list) >= sizeof(buf))
        die("-d list too long: %s", list);
    strcpy(buf, list);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        size_t i;
        for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
            if (strcmp(tok, items[i].name) == 0)
                break;
        if (i == sizeof(items) / sizeof(items[0]))
            die("unknown -d item '%s' (in_asm, ir, ir_opt, out_asm, exec, int, unimp, post)", tok);
        mask |= items[i].bit;
    }
    return mask;
}

/* -device isa-debugcon[,iobase=N]: move the debug console (QEMU spelling; SeaBIOS prints to 0x402). Its output is
 * -debugcon's, stdio when -debugcon is not given. Called with strtok positioned after the device name. */
static void parse_debugcon_device(Options *o)
{
    char *tok;
    while ((tok = strtok(NULL, ","))) {
        if (strncmp(tok, "iobase=", 7) == 0)
            o->debugcon_base = (uint32_t)parse_num(tok + 7, "iobase");
        else if (strncmp(tok, "chardev=", 8) != 0)   /* chardev: QEMU needs one; here -debugcon names the output */
            die("unknown isa-debugcon property '%s' (iobase)", tok);
    }
    if (o->debugcon_base > 0xffff)
        die("isa-debugcon iobase out of range%s", "");
    if (!o->debugcon)
        o->debugcon = "stdio";
}

static void parse_device(Options *o, const char *spec)
{
    char buf[256];
    if (strlen(spec) >= sizeof(buf))
        die("-device argument too long: %s", spec);
    strcpy(buf, spec);
    char *tok = strtok(buf, ",");
    if (tok && strcmp(tok, "isa-debugcon") == 0) {
        parse_debugcon_device(o);
        return;
    }
    if (!tok || strcmp(tok, "isa-debug-exit") != 0)
        die("unknown device '%s' (this build has isa-debug-exit, isa-debugcon)", tok ? tok : "");
    o->debug_exit = true;
    while ((tok = strtok(NULL, ","))) {
        if (strncmp(tok, "iobase=", 7) == 0)
            o->debug_exit_base = (uint32_t)parse_num(tok + 7, "iobase");
        else if (strncmp(tok, "iosize=", 7) == 0)
            o->debug_exit_size = (uint32_t)parse_num(tok + 7, "iosize");
        else
            die("unknown isa-debug-exit property '%s' (iobase, iosize)", tok);
    }
    if (o->debug_exit_base > 0xffff || o->debug_exit_size == 0 || o->debug_exit_size > 0x10000 - o->debug_exit_base)
        die("isa-debug-exit ports out of range%s", "");
}

static Accel parse_accel(const char *s)
{
    if (strcmp(s, "interp") == 0)
        return ACCEL_INTERP;
    if (strcmp(s, "jit") == 0) {
        if (!jit_available())
            die("-accel jit: no JIT backend for this host yet (use -accel interp)%s", "");
        return ACCEL_JIT;
    }
    if (strcmp(s, "lockstep") == 0) {
        if (!jit_available())
            die("-accel lockstep: no JIT backend for this host to compare with%s", "");
        return ACCEL_LOCKSTEP;
    }
    die("unknown accelerator '%s' (interp, jit, lockstep)", s);
}

static bool parse_machine(const char *s)
{
    if (strcmp(s, "pc") == 0)
        return true;
    if (strcmp(s, "none") == 0)
        return false;
    die("unknown machine '%s' (pc, none)", s);
}

static const char *need_arg(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc)
        die("option %s needs an argument", argv[*i]);
    return argv[++*i];
}

static void parse_options(Options *o, int argc, char **argv)
{
    *o = (Options){ .ram_mb = 128, .machine_pc = true, .accel = jit_available() ? ACCEL_JIT : ACCEL_INTERP, .debug_exit = true, .debug_exit_base = DEBUG_EXIT_PORT,
                    .debugcon_base = DEBUGCON_PORT,
                    .debug_exit_size = 1, .icount_shift = -1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-')
            a++;    /* --opt is -opt, as QEMU accepts */
        if (strcmp(a, "-bios") == 0) o->bios = need_arg(argc, argv, &i);
        else if (strcmp(a, "-kernel") == 0) o->kernel = need_arg(argc, argv, &i);
        else if (strcmp(a, "-initrd") == 0) o->initrd = need_arg(argc, argv, &i);
        else if (strcmp(a, "-append") == 0) o->append = need_arg(argc, argv, &i);
        else if (strcmp(a, "-boot") == 0) o->boot_order = need_arg(argc, argv, &i);
        else if (strcmp(a, "-nographic") == 0) { if (!o->serial) o->serial = "stdio"; }
        else if (strcmp(a, "-version") == 0) { printf("pcjit %s\n", PCJIT_VERSION); exit(0); }
        else if (strcmp(a, "-m") == 0) {
            uint64_t mb = parse_num(need_arg(argc, argv, &i), "-m");
            o->ram_mb = mb > 0xffffffffu ? 0xffffffffu : (uint32_t)mb;
        }
        else if (strcmp(a, "-accel") == 0) o->accel = parse_accel(need_arg(argc, argv, &i));
        else if (strcmp(a, "-d") == 0) o->log_mask |= parse_log_items(need_arg(argc, argv, &i));
        else if (strcmp(a, "-D") == 0) o->log_file = need_arg(argc, argv, &i);
        else if (strcmp(a, "-stats") == 0) o->stats = true;
        else if (strcmp(a, "-debugcon") == 0) o->debugcon = need_arg(argc, argv, &i);
        else if (strcmp(a, "-device") == 0) parse_device(o, need_arg(argc, argv, &i));
        else if (strcmp(a, "-max-insns") == 0) o->max_insns = parse_num(need_arg(argc, argv, &i), "-max-insns");
        else if (strcmp(a, "-no-reboot") == 0) o->no_reboot = true;
        else if (strcmp(a, "-machine") == 0) o->machine_pc = parse_machine(need_arg(argc, argv, &i));
        else if (strcmp(a, "-serial") == 0) o->serial = need_arg(argc, argv, &i);
        else if (strcmp(a, "-icount") == 0) {
            uint64_t shift = parse_num(need_arg(argc, argv, &i), "-icount");
            if (shift > 10)
                die("-icount: shift must be 0..10%s", "");
            o->icount_shift = (int)shift;
        }
        else if (drive_parse_arg(&o->drives, argc, argv, &i)) ;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "-help") == 0) { usage(stdout); exit(0); }
        else die("unknown option '%s' (pcjit -help lists the options)", argv[i]);
    }
    if ((o->initrd || o->append) && !o->kernel)
        die("-initrd and -append need -kernel%s", "");
    if (o->kernel && !o->machine_pc)
        die("-kernel needs -machine pc (the firmware loads it through fw_cfg)%s", "");
    if (o->boot_order) {
        for (const char *b = o->boot_order; *b; b++)
            if (*b != 'c')
                die("-boot %s: only c (hard disk) is supported in this build", o->boot_order);
    }
    if (o->ram_mb < 2 || o->ram_mb > 3072)
        die("-m: RAM must be 2..3072 MiB%s", "");
}

/* Read the whole firmware image; it must be a whole number of 4 KiB pages, at most 16 MiB. */
static uint8_t *load_rom(const char *path, uint32_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot open firmware '%s'", path);
    uint8_t *buf = malloc(ROM_MAX + 1);
    if (!buf)
        die("out of memory loading '%s'", path);
    size_t n = fread(buf, 1, ROM_MAX + 1, f);
    bool err = ferror(f);
    fclose(f);
    if (err)
        die("cannot read firmware '%s'", path);
    if (n == 0 || n > ROM_MAX || n % 4096)
        die("firmware '%s' must be 4 KiB .. 16 MiB and a multiple of 4 KiB", path);
    *size = (uint32_t)n;
    return buf;
}

static FILE *open_debugcon(const char *spec)
{
    if (!spec)
        return NULL;
    if (strcmp(spec, "stdio") == 0)
        return stdout;
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        FILE *f = fopen(spec + 5, "w");
        if (!f)
            die("cannot create debugcon file '%s'", spec + 5);
        return f;
    }
    die("-debugcon %s: expected stdio or file:PATH", spec);
}

/* -serial: COM1's output stream (NULL: none) and input fd (-1: none). */
static FILE *open_serial(const char *spec, int *in_fd)
{
    *in_fd = -1;
    if (!spec || strcmp(spec, "stdio") == 0) {
        *in_fd = 0;
        return stdout;
    }
    if (strcmp(spec, "none") == 0 || strcmp(spec, "null") == 0)
        return NULL;
    if (strncmp(spec, "file:", 5) == 0 && spec[5]) {
        FILE *f = fopen(spec + 5, "w");
        if (!f)
            die("cannot create serial file '%s'", spec + 5);
        return f;
    }
    die("-serial %s: expected stdio, file:PATH or none", spec);
}

static PcBoard *pc_board;   /* -machine pc: the board machine_reset resets with the CPU, else NULL */

static void machine_reset(CpuState *env, Machine *m)
{
    cpu_reset(env);
    bus_reset(m);
    if (pc_board)
        pc_reset(pc_board);
    tb_flush_all(env);
    tlb_flush_all(env);
    m->reset_requested = false;
}

/* Run until the machine stops for good; returns the process exit status. */
static int run_machine(CpuState *env, Machine *m, const Options *o, const ExecOptions *eo)
{
    for (;;) {
        int stop = cpu_exec(env, eo);
        switch (stop) {
        case STOP_EXIT:
            return m->exit_code;
        case STOP_LIMIT:
            fprintf(stderr, "pcjit: instruction limit reached (%llu)\n", (unsigned long long)o->max_insns);
            return EXIT_LIMIT;
        case STOP_HALT:
            fprintf(stderr, "pcjit: CPU halted at %04x:%08x with nothing that can wake it (IF=%d, %s)\n",
                    env->seg[SEG_CS].sel, env->t[G_EIP], (env->t[G_EFLAGS] & F_IF) != 0,
                    m->clock && clock_next_deadline(m->clock) != CLOCK_NEVER ? "a timer armed" : "no timer armed");
            return 0;
        case STOP_SHUTDOWN:
            fprintf(stderr, "pcjit: guest shut down (triple fault)\n");
            return 0;
        case STOP_MISMATCH:
            fprintf(stderr, "pcjit: stopped: the JIT and the interpreter disagree (-accel lockstep)\n");
            return EXIT_MISMATCH;
        case STOP_RESET:
            if (o->no_reboot) {
                fprintf(stderr, "pcjit: guest requested a reset (-no-reboot: exiting)\n");
                return 0;
            }
            machine_reset(env, m);
            break;
        default:
            fprintf(stderr, "pcjit: internal error: unknown stop reason %d\n", stop);
            return 1;
        }
    }
}

/* Our firmware when -bios is not given: bios/bios.bin beside the program (the build tree), else the installed copy. */
static const char *default_bios(void)
{
    static char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
    if (n > 0) {
        path[n] = 0;
        char *slash = strrchr(path, '/');
        if (slash) {
            strcpy(slash, "/bios/bios.bin");
            if (access(path, R_OK) == 0)
                return path;
            strcpy(slash, "/../share/pcjit/bios.bin");
            if (access(path, R_OK) == 0)
                return path;
        }
    }
    die("cannot find pcjit's BIOS (bios/bios.bin next to the program); give -bios FILE%s", "");
}

int main(int argc, char **argv)
{
    static Options o;
    static BlockDev disks[DRIVE_MAX];
    parse_options(&o, argc, argv);
    drive_open_all(&o.drives, o.machine_pc, disks);
    uint32_t rom_size;
    uint8_t *rom = load_rom(o.bios ? o.bios : default_bios(), &rom_size);

    static Machine m;
    bus_init(&m, o.ram_mb << 20);
    m.rom = rom;
    m.rom_size = rom_size;
    m.reset_on_triple_fault = !o.no_reboot;
    CpuState *env = calloc(1, sizeof(CpuState));
    if (!env)
        die("out of memory%s", "");
    env->machine = &m;
    env->ram = m.ram;
    env->ram_size = m.ram_size;
    m.cpu = env;
    if (!o.machine_pc && (o.serial || o.icount_shift >= 0))
        die("-serial and -icount need -machine pc%s", "");
    /* Every input is checked before any output file is created. */
    int in_fd = -1;
    if (o.machine_pc) {
        PcConfig pcc = { .clock_mode = o.icount_shift >= 0 ? CLOCK_ICOUNT : CLOCK_HOST,
                         .icount_shift = o.icount_shift >= 0 ? o.icount_shift : 0, .serial_out = NULL,
                         .serial_in_fd = -1, .rtc_epoch = -1 };
        for (int n = 0; n < DRIVE_MAX; n++)
            pcc.ide[n] = disks[n].open ? &disks[n] : NULL;
        pc_board = calloc(1, sizeof(PcBoard));
        if (!pc_board || pc_init(pc_board, &m, &pcc) < 0)
            die("cannot build the PC board (out of memory or a port conflict)%s", "");
        if (o.kernel) {
            char err[512];
            KernelKind kind;
            if (kernel_publish(&pc_board->fw_cfg, o.kernel, o.initrd, o.append, m.ram_size, &kind, err,
                               sizeof(err)) < 0)
                die("%s", err);
        }
    }
    FILE *log = NULL;
    if (o.log_mask)
        log = o.log_file ? fopen(o.log_file, "w") : stderr;
    if (o.log_mask && !log)
        die("cannot create log file '%s'", o.log_file);
    if (debugcon_attach(&m, open_debugcon(o.debugcon), o.debugcon_base) < 0 ||
        (o.debug_exit && debug_exit_attach(&m, o.debug_exit_base, o.debug_exit_size) < 0))
        die("debug ports overlap%s", "");
    static PostPort post;
    post.log = (o.log_mask & LOG_POST) ? log : NULL;
    if (o.machine_pc && post_port_attach(&m, &post) < 0)
        die("port 0x80 is taken (isa-debug-exit or isa-debugcon there?)%s", "");
    FILE *serial_out = NULL;
    if (o.machine_pc) {
        serial_out = open_serial(o.serial, &in_fd);
        pc_board->com1.out = serial_out;
        pc_board->input_fd = in_fd;
        if (in_fd == 0) {
            console_raw_begin();
            pc_board->input_filter = console_filter;
            pc_board->input_filter_opaque = &m;
        }
        pc_reset(pc_board);     /* starts the input poll timer now that there is an input */
    }
    tb_cache_init(env);
    machine_reset(env, &m);

    ExecOptions eo = { .accel = o.accel, .disas = disas_guest, .max_insns = o.max_insns, .log = log,
                       .log_mask = o.log_mask };
    jit_set_stats(o.stats);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int status = run_machine(env, &m, &o, &eo);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (o.stats) {
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        exec_print_stats(stderr, env);
        if (post.writes)
            fprintf(stderr, "  POST port 0x80       %llu writes, last code %02xh\n", (unsigned long long)post.writes,
                    post.last);
        drive_print_stats(stderr, disks, m.dma_bytes);
        fprintf(stderr, "  run time             %.3f s (%.1f million guest instructions/s)\n", secs,
                secs > 0 ? (double)exec_stats.insns / secs / 1e6 : 0.0);
        jit_print_stats(stderr);
    }
    drive_close_all(disks);     /* fdatasync: the guest's writes are on disk before pcjit exits */
    if (m.debugcon)
        fflush(m.debugcon);
    if (serial_out && serial_out != stdout)
        fclose(serial_out);
    if (pc_board)
        pc_free(pc_board);
    free(pc_board);
    if (log && log != stderr)
        fclose(log);
    tb_cache_free(env);
    free(env);
    bus_free(&m);
    free(rom);
    return status;
}
