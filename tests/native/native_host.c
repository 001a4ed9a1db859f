/* native_host.c — executes one generated case on the host CPU: a small x86-64 thunk is emitted around the case's
 * instruction bytes (load EFLAGS with POPF and the seven operand registers from a struct, run the bytes, capture
 * EFLAGS with PUSHF and the registers back), then called.
 * Invariants: the thunk saves every callee-saved register it touches (RBX, RBP, R15), never loads RSP, and ends
 * with CLD (the ABI requires DF = 0); pointer registers get the host address of the data buffer, which is mapped
 * below 4 GiB (MAP_32BIT) so a 32-bit MOV that zero-extends into the 64-bit register yields the right address.
 * Input EFLAGS keep AC = TF = 0 so no case can trap.
 * Left out: everything on non-x86-64 hosts (nd_native_available() is false; native_diff then uses --check). */
#include <string.h>
#include <stdio.h>
#include "native.h"

#if defined(__x86_64__)
#include <sys/mman.h>

typedef struct NativeRegs { uint32_t r[ND_NREGS]; uint64_t flags; } NativeRegs;
_Static_assert(sizeof(NativeRegs) == 40, "thunk offsets assume r[] at 0 and flags at 32");

static uint8_t *thunk;      /* RWX page */
static uint8_t *host_buf;   /* ND_BUF_SIZE bytes below 4 GiB */
static char err_msg[128];

static bool native_init(void)
{
    if (thunk)
        return true;
    void *t = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void *b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (t == MAP_FAILED || b == MAP_FAILED || (uintptr_t)b + 4096 > 0xffffffffu) {
        snprintf(err_msg, sizeof(err_msg), "cannot map the native thunk or a buffer below 4 GiB");
        return false;
    }
    thunk = t;
    host_buf = b;
    return true;
}

bool nd_native_available(void)
{
    return native_init();
}

const char *nd_native_error(void)
{
    return err_msg;
}

static uint8_t *emit(uint8_t *p, const uint8_t *bytes, int n)
{
    memcpy(p, bytes, (size_t)n);
    return p + n;
}

/* mov r32, [r15 + 4*reg] (load) or mov [r15 + 4*reg], r32 (store): REX.B 8B/89 ModRM(01, reg, r15) disp8 */
static uint8_t *emit_reg_moves(uint8_t *p, bool load)
{
    for (int reg = 0; reg < ND_NREGS; reg++) {
        if (reg == 4)
            continue;   /* never touch RSP */
        uint8_t insn[4] = { 0x41, load ? 0x8b : 0x89, (uint8_t)(0x47 | reg << 3), (uint8_t)(4 * reg) };
        p = emit(p, insn, 4);
    }
    return p;
}

static void emit_thunk(const NdCase *c)
{
    static const uint8_t prologue[] = {
        0x53,                   /* push rbx */
        0x55,                   /* push rbp */
        0x41, 0x57,             /* push r15 */
        0x49, 0x89, 0xff,       /* mov r15, rdi */
        0x41, 0xff, 0x77, 0x20, /* push qword [r15+32] */
        0x9d,                   /* popfq */
    };
    static const uint8_t capture[] = {
        0x9c,                   /* pushfq */
        0x41, 0x8f, 0x47, 0x20, /* pop qword [r15+32] */
    };
    static const uint8_t epilogue[] = {
        0xfc,                   /* cld */
        0x41, 0x5f,             /* pop r15 */
        0x5d,                   /* pop rbp */
        0x5b,                   /* pop rbx */
        0xc3,                   /* ret */
    };
    uint8_t *p = thunk;
    p = emit(p, prologue, sizeof(prologue));
    p = emit_reg_moves(p, true);
    p = emit(p, c->code, c->len);
    p = emit(p, capture, sizeof(capture));
    p = emit_reg_moves(p, false);
    emit(p, epilogue, sizeof(epilogue));
}

bool nd_native_run(NdCase *c, uint8_t *buf_out)
{
    static uint8_t last_code[ND_MAX_CODE + 1];
    if (!native_init())
        return false;
    if (last_code[0] != c->len || memcmp(last_code + 1, c->code, c->len) != 0) {
        emit_thunk(c);
        last_code[0] = c->len;
        memcpy(last_code + 1, c->code, c->len);
        __builtin___clear_cache((char *)thunk, (char *)thunk + 4096);
    }
    NativeRegs regs;
    uint32_t base = (uint32_t)(uintptr_t)host_buf;
    for (int i = 0; i < ND_NREGS; i++)
        regs.r[i] = c->in[i] + (c->ptr_mask >> i & 1 ? base : 0);
    /* IF stays 1 (POPF at CPL 3 cannot change it anyway); AC, TF, NT, IOPL stay 0 */
    regs.flags = (c->in_flags & (0x8d5 | 0x400)) | 0x202;
    nd_buffer_fill(c->seed, host_buf);
    ((void (*)(NativeRegs *))(void *)thunk)(&regs);
    for (int i = 0; i < ND_NREGS; i++)
        c->out[i] = regs.r[i] - (c->ptr_mask >> i & 1 ? base : 0);
    c->out[4] = c->in[4];
    c->out_flags = (uint32_t)regs.flags & (0x8d5 | 0x400);
    c->buf_hash = nd_hash(host_buf, ND_BUF_SIZE);
    if (buf_out)
        memcpy(buf_out, host_buf, ND_BUF_SIZE);
    return true;
}

#else

bool nd_native_available(void) { return false; }
const char *nd_native_error(void) { return "native execution needs an x86-64 host (use --check FILE)"; }
bool nd_native_run(NdCase *c, uint8_t *buf_out) { (void)c; (void)buf_out; return false; }

#endif
