/* backend.h — the small interface every host backend implements (backend-x86_64/, backend-aarch64/), and the
 * code buffer they emit into. jit.c owns the buffer's memory (mmap'd, executable) and calls these; nothing else
 * in the translator knows about host instructions.
 * Invariants: emitters never write past CodeBuf.end — on overflow they set CodeBuf.full and keep returning, so a
 * caller checks `full` once per block (jit.c then flushes the whole cache and retranslates); generated code runs
 * with the backend's env register holding the CpuState pointer and returns to the exec loop only through the
 * epilogue emitted by backend_emit_prologue.
 * Left out: per-TB listings (-d out_asm) and lockstep (jit.c / app, later). */
#ifndef PCJIT_BACKEND_H
#define PCJIT_BACKEND_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "exec.h"

typedef struct CodeBuf {
    uint8_t *start;     /* first byte of the buffer */
    uint8_t *p;         /* next byte to write */
    uint8_t *end;       /* one past the last usable byte */
    bool full;          /* an emitter ran out of room: the current block is void */
    /* W^X (jit.c): start/p/end are addresses in the executing (RX) view, which is what relative jumps and
     * listings use; bytes are written at address + wdelta, the writable view of the same memory (0: one view). */
    intptr_t wdelta;
    bool no_self_patch; /* generated code must not write to the buffer while it runs (no writable view then) */
    /* host instructions emitted into this buffer (data words not counted), for -stats; only backends with
     * Backend.counts_insns keep it (the others are counted by disassembly in jit.c) */
    uint64_t insns;
} CodeBuf;

/* Where to write the byte that will execute at `at` in cb's buffer. */
static inline uint8_t *cb_wr(const CodeBuf *cb, const uint8_t *at) { return (uint8_t *)((uintptr_t)at + (uintptr_t)cb->wdelta); }

static inline void cb_byte(CodeBuf *cb, uint8_t b)
{
    if (cb->p < cb->end)
        *cb_wr(cb, cb->p++) = b;
    else
        cb->full = true;
}
static inline void cb_u32(CodeBuf *cb, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        cb_byte(cb, (uint8_t)(v >> (8 * i)));
}

/* Entry trampoline: `enter(env, code)` saves the host's callee-saved registers, loads the env register and jumps
 * to code; generated code leaves through the epilogue (restores and returns to C). */
typedef void (*JitEnterFn)(CpuState *env, const void *code);
/* In front of every compiled block: which TB it belongs to and the buffer epoch it was compiled in. */
typedef struct JitHeader { const TB *owner; uint32_t epoch; uint32_t size; /* bytes of host code */ } JitHeader;

/* One host backend. Every backend is compiled on every host (so its encoders are tested everywhere); jit.c runs
 * the one matching the host. */
typedef struct Backend {
    const char *name;
    /* Emit the trampoline and the epilogue at cb->p (once per buffer reset, at its start). */
    void (*emit_prologue)(CodeBuf *cb, JitEnterFn *enter, const uint8_t **epilogue);
    /* Lower tb's IR to host code at cb->p. Returns the entry point, or NULL when the buffer ran out (cb->full).
     * The caller has placed a JitHeader {tb, epoch} right before cb->p; generated code follows a chained GOTO_TB to
     * tb->jmp_dest[n] only if that TB is valid and its header names it and this epoch (see jit.c). */
    void *(*compile_tb)(CodeBuf *cb, const TB *tb, const uint8_t *epilogue, uint32_t epoch);
    /* Make the chained jump emitted at `at` go to target (XXX: not used yet, GOTO_TB returns to the loop). */
    void (*patch_jump)(uint8_t *at, const uint8_t *target);
    /* Make freshly written code visible to instruction fetch (a no-op on x86, needed on aarch64). */
    void (*flush_icache)(void *start, size_t len);
    /* the backend counts its instructions in CodeBuf.insns (blocks hold data: literal pools) */
    bool counts_insns;
} Backend;
extern const Backend backend_x86_64;
extern const Backend backend_aarch64;

/* The initial TB.ind_hint: a readable TB that never validates (invalid, no code). */
extern const TB jit_no_tb;
/* For generated code: the next block when it is not reachable by a chained jump (see jit.c); NULL: exit to the
 * loop. Dynamic exits pass slot -1 (the result becomes from->ind_hint), GOTO_TB its slot (linked if allowed). */
TB *jit_chain_lookup(CpuState *env, TB *from, int slot);
/* For generated code: the next block after an EXIT_MODE / EXIT_IRQ_CHECK exit when the exec loop's events step
 * would find nothing to do (see jit.c); NULL: exit to the loop. */
TB *jit_event_lookup(CpuState *env, TB *from, int reason);

/* jit.c: the -accel jit engine, with interp_run_tb's contract (exec.h). */
TB *jit_run_tb(CpuState *env, TB *tb);
/* True if this host has a backend (x86_64 and aarch64 builds). */
bool jit_available(void);
/* Tests: use only the first `bytes` of the code buffer (0 = all), to exercise the reset when it fills up; the
 * number of buffer resets so far (the first setup counts as one). */
void jit_set_buffer_limit(size_t bytes);
uint64_t jit_buffer_resets(void);
/* Tests: the start of the code buffer's executing view (NULL without a backend); *dual (if not NULL) says whether
 * it is the W^X double mapping (else the mprotect toggle). */
const void *jit_exec_view(bool *dual);
/* Listing of tb's host code (Capstone, the host's architecture), or a note when it has none. For -d out_asm and tests. */
void jit_disas_tb(FILE *f, const TB *tb);
/* -d out_asm: list every block as it is compiled to f when mask has LOG_OUT_ASM (exec.c passes its options). */
void jit_set_log(FILE *f, unsigned mask);
/* -stats: the JIT's counters (blocks compiled, guest instructions in them, host instructions and bytes emitted,
 * buffer resets) and host instructions per guest instruction. Nothing when no block was compiled. */
void jit_print_stats(FILE *f);
/* -stats is on: count host instructions of every block compiled (a disassembly for backends without
 * counts_insns). */
void jit_set_stats(bool on);

#endif
