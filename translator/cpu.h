/* cpu.h — the guest CPU state (CpuState) shared by the translator, the IR interpreter, the JIT backends and
 * every runtime helper, plus the runtime's entry points.
 * Layout invariant: t[] comes first and its first IR_NUM_GLOBALS slots ARE the architectural registers the IR
 * names directly (eax..edi, eip, eflags, lazy-flag state); IR locals follow in the same array so the interpreter
 * addresses every temp as env->t[i]. JIT backends address globals as offsetof(CpuState, t[i]).
 * EFLAGS: t[G_EFLAGS] holds every bit except the six arithmetic ones (CF PF AF ZF SF OF), which live in the lazy
 * state (cc_op, cc_dst, cc_src, cc_src2) and are materialised by cc_compute_flags(); bit 1 is always set.
 * x87/MMX state: the fpr/fpu_* fields at the end (fpu.c). Left out: device state (devices/). */
#ifndef PCJIT_CPU_H
#define PCJIT_CPU_H
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include "../frontend/x86_insn.h"
#include "fpu_soft.h"

/* ---- IR globals: indices into CpuState.t ---- */
enum {
    G_EAX = 0, G_ECX, G_EDX, G_EBX, G_ESP, G_EBP, G_ESI, G_EDI,
    G_EIP = 8,      /* EIP (offset in CS) */
    G_EFLAGS = 9,   /* EFLAGS without the arithmetic flags (see above) */
    G_CC_OP = 10,   /* CcOp describing how to compute CF PF AF ZF SF OF */
    G_CC_DST = 11,  /* result of the last flag-setting operation */
    G_CC_SRC = 12,  /* second operand (or old CF for INC/DEC, or flags for CC_OP_EFLAGS) */
    G_CC_SRC2 = 13, /* first operand */
    IR_NUM_GLOBALS = 16,
    IR_MAX_TEMPS = 8192, /* globals + locals of one block */
};

/* Lazy flag state kinds. For sizes: B=8, W=16, L=32 bits. */
#define CC_SIZES(x) x##B, x##W, x##L
typedef enum CcOp {
    CC_OP_EFLAGS = 0,   /* cc_src holds the arithmetic flags directly */
    CC_SIZES(CC_OP_ADD),   /* dst=result src=src2 src2=src1 */
    CC_SIZES(CC_OP_ADC),   /* dst=result src=src2 src2=carry-in (0/1); src1 = dst - src - src2 */
    CC_SIZES(CC_OP_SUB),   /* dst=result src=src2 src2=src1 (CMP too) */
    CC_SIZES(CC_OP_SBB),   /* dst=result src=src2 src2=borrow-in (0/1); src1 = dst + src + src2 */
    CC_SIZES(CC_OP_LOGIC), /* dst=result; CF=OF=AF=0 */
    CC_SIZES(CC_OP_INC),   /* dst=result src=old CF (0/1) */
    CC_SIZES(CC_OP_DEC),
    CC_SIZES(CC_OP_SHL),   /* dst=result src=operand shifted left by count-1 (CF = its top bit) src2=original operand */
    CC_SIZES(CC_OP_SAR),   /* SHR/SAR: dst=result src=operand shifted right by count-1 (CF = bit 0) src2=original operand */
    CC_SIZES(CC_OP_MUL),   /* dst=low result, src=high part (CF=OF=src!=0) */
    CC_SIZES(CC_OP_IMUL),  /* dst=low result, src = nonzero if overflowed */
    CC_OP_NB
} CcOp;

/* EFLAGS bits (SDM vol 1 3.4.3) */
enum {
    F_CF = 1 << 0, F_PF = 1 << 2, F_AF = 1 << 4, F_ZF = 1 << 6, F_SF = 1 << 7, F_TF = 1 << 8, F_IF = 1 << 9,
    F_DF = 1 << 10, F_OF = 1 << 11, F_IOPL = 3 << 12, F_NT = 1 << 14, F_RF = 1 << 16, F_VM = 1 << 17,
    F_AC = 1 << 18, F_VIF = 1 << 19, F_VIP = 1 << 20, F_ID = 1 << 21,
    F_ARITH = F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF,
};

/* CR0/CR4 bits */
enum {
    CR0_PE = 1u << 0, CR0_MP = 1u << 1, CR0_EM = 1u << 2, CR0_TS = 1u << 3, CR0_ET = 1u << 4, CR0_NE = 1u << 5,
    CR0_WP = 1u << 16, CR0_AM = 1u << 18, CR0_NW = 1u << 29, CR0_CD = 1u << 30, CR0_PG = 1u << 31,
    CR4_VME = 1u << 0, CR4_PVI = 1u << 1, CR4_TSD = 1u << 2, CR4_DE = 1u << 3, CR4_PSE = 1u << 4,
    CR4_PAE = 1u << 5, CR4_MCE = 1u << 6, CR4_PGE = 1u << 7, CR4_PCE = 1u << 8, CR4_OSFXSR = 1u << 9,
};

/* Exception vectors */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_NM = 7, EXC_DF = 8,
    EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18,
};

/* A segment register or system segment with its hidden descriptor cache (SDM vol 3 3.4.3). */
typedef struct SegCache {
    uint32_t base;
    uint32_t limit;   /* effective byte limit (granularity applied) */
    uint32_t flags;   /* descriptor high dword bits 8..23 (type, S, DPL, P, AVL, D/B, G), in place */
    uint32_t lo, hi;  /* offsets lo..hi are valid (expand-down folded in); lo > hi: unusable (null) */
    uint16_t sel;
    uint16_t pad;
} SegCache;

/* descriptor flag bits as stored in SegCache.flags */
enum {
    DESC_TYPE_SHIFT = 8, DESC_A = 1 << 8, DESC_W = 1 << 9 /* data: writable */, DESC_R = 1 << 9 /* code: readable */,
    DESC_E = 1 << 10 /* data: expand-down */, DESC_C = 1 << 10 /* code: conforming */, DESC_CODE = 1 << 11,
    DESC_S = 1 << 12, DESC_DPL_SHIFT = 13, DESC_P = 1 << 15, DESC_AVL = 1 << 20, DESC_B = 1 << 22, DESC_G = 1 << 23,
};

/* hflags: the mode bits a translation depends on (part of the TB key) or the runtime tests often. */
enum {
    HF_CPL_MASK = 3,
    HF_CS32 = 1 << 2,   /* CS.D: default operand/address size 32 */
    HF_SS32 = 1 << 3,   /* SS.B: stack pointer is ESP */
    HF_PE = 1 << 4,     /* CR0.PE */
    HF_VM = 1 << 5,     /* EFLAGS.VM */
    HF_PG = 1 << 6,     /* CR0.PG */
    HF_FLAT = 1 << 7,   /* ES CS SS DS have base 0 and lo..hi = 0..4G-1 and are usable: no base add, no limit check */
    HF_TF = 1 << 8,     /* single-step: one instruction per block, #DB after it */
    HF_INHIBIT_IRQ = 1 << 9, /* after MOV SS / POP SS / STI: no interrupt before the next instruction */
    HF_EM_TS = 1 << 10, /* CR0.EM or CR0.TS: x87/WAIT need the #NM/#UD check */
    HF_IOPL_OK = 1 << 11, /* CPL <= IOPL (or real mode): CLI/STI/IN/OUT allowed without the bitmap */
    HF_DR_EXEC = 1 << 12, /* some enabled DR7 execute breakpoint */
    HF_INHIBIT_DEBUG = 1 << 13, /* MOV SS/POP SS with TF=1: no single-step trap after it (SDM vol 3 6.8.3);
                                 * set by helper_load_seg, consumed by helper_debug_single_step; not in the key */
    HF_TB_KEY_MASK = 0x1fff & ~HF_INHIBIT_IRQ,
};

#define TLB_SIZE 256
#define CODE_PAGE_BITS 4096
#define TLB_VICTIM 8        /* fully associative entries behind each direct-mapped TLB (evicted entries) */
/* One TLB entry: tags are the page's linear address with low bits as below; a tag matches a linear address when
 * (addr & TARGET_PAGE_MASK) == tag. A tag with TLB_INVALID never matches. addend + linear = host pointer. */
enum { TLB_INVALID = 1, TLB_MMIO = 2, TLB_NOTDIRTY = 4 };
/* TlbEntry.attrs: GLOBAL = a PGE global page (kept by tlb_flush_nonglobal); UNASSIGNED = PAE physical address at
 * or above 4 GiB (reads all ones, writes ignored); LARGE_4M/LARGE_2M = part of a large page (INVLPG flushes all). */
enum { TLBA_GLOBAL = 1, TLBA_UNASSIGNED = 2, TLBA_LARGE_4M = 4, TLBA_LARGE_2M = 8,
       TLBA_CHECK = 16 /* data breakpoint on the page / alignment checking: every access takes the slow path */ };
typedef struct TlbEntry {
    uint32_t tag_read, tag_write, tag_code;
    uint32_t paddr;         /* physical address of the page */
    uint32_t attrs;         /* TLBA_* (softmmu bookkeeping, not used by the fast path) */
    uintptr_t addend;       /* host address - linear address, for RAM pages */
} TlbEntry;
enum { MMU_KERNEL = 0, MMU_USER = 1, MMU_NUM = 2 };

struct Machine;
struct TbCache;

typedef struct CpuState {
    uint32_t t[IR_MAX_TEMPS];   /* IR temps; t[0..IR_NUM_GLOBALS) are the globals above (must stay first) */

    SegCache seg[6];            /* ES CS SS DS FS GS */
    SegCache ldtr, tr;
    uint32_t gdt_base, gdt_limit, idt_base, idt_limit;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    uint32_t hflags;
    uint32_t a20_mask;          /* 0xffffffff or ~0x100000 */

    uint64_t tsc_offset;        /* TSC = icount + tsc_offset (deterministic) */
    uint64_t icount;            /* guest instructions retired */
    uint64_t chain_icount_limit; /* JIT: generated code follows a chained GOTO_TB only while icount stays below
                                 * this (the exec loop sets it: start + max_insns, ~0 when unlimited, 0 = never) */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t efer;              /* only NXE is meaningful (PAE NX) */
    uint64_t pdpte[4];          /* PAE: PDPTEs loaded at MOV CR3 */

    /* interrupts and exceptions */
    volatile uint32_t exit_request;  /* nonzero: leave translated code at the next block boundary */
    uint32_t pending_irq;       /* nonzero: an external interrupt line is asserted (machine->pic decides vector) */
    bool nmi_pending;
    bool nmi_blocked;           /* an NMI handler runs: further NMIs wait for the next IRET (SDM vol 3 6.7.1) */
    bool halted;
    bool shutdown;              /* triple fault with reset disabled */
    int exc_vector;             /* exception being raised: vector, error code (or -1) */
    int exc_error;
    bool exc_is_int;            /* the exception is a software interrupt (INT n/INT3/INTO): DPL check, trap */
    uint32_t exc_next_eip;      /* for INT n / INTO / INT3 and traps: eip after the instruction */
    bool exc_is_trap;           /* trap-class exception (single step, INT1, data breakpoint): cpu_do_interrupt
                                 * pushes exc_next_eip, no DPL check; it clears this flag (excp.c) */
    int old_exception;          /* for #DF detection: the vector being delivered, or -1 */
    uint32_t cur_op;            /* interpreter: index of the IR op being run (for precise fault restore) */
    uint32_t exit_reason;       /* why the last TB returned to the exec loop: IrExitReason (EXIT_TB imm) */
    int32_t exit_slot;          /* GOTO_TB slot (0/1) the last TB left through, or -1 (EXIT_TB / no exit) */
    uint32_t dr6_pending;       /* DR6.B0-B3 of data breakpoints hit by the current instruction (#DB trap after it) */
    struct {                    /* softmmu: the DR0-3/DR7 and alignment-check state the TLB was filled under */
        uint32_t dr7, dr[4];
        bool ac;
    } mmu_checks;
    jmp_buf jmp_env;            /* longjmp target of cpu_raise_exception */

    TlbEntry tlb[MMU_NUM][TLB_SIZE];
    /* Entries evicted from tlb[] by a fill of another page with the same index, round robin: a miss looks here
     * before walking the page tables (two pages 1 MiB apart no longer thrash). Flushed with tlb[]. */
    TlbEntry tlb_victim[MMU_NUM][TLB_VICTIM];
    uint32_t tlb_victim_next[MMU_NUM];
    uint32_t tlb_gen;           /* bumped by TLB flushes that may change a linear-to-TB association (mmu.c) */
    /* Where associations validated under tlb_gen live (tb.c marks, a tlb_gen bump clears): code_pages has bit
     * (linear page % CODE_PAGE_BITS) for code reached through a 4 KiB mapping, code_large bit (lin >> 22) for code
     * reached through a large page or an uncached one. An INVLPG that hits neither leaves tlb_gen alone. */
    uint64_t code_pages[CODE_PAGE_BITS / 64];
    uint64_t code_large[1024 / 64];
    uint8_t *ram;               /* guest RAM */
    uint32_t ram_size;
    struct Machine *machine;    /* the board: port I/O, MMIO, interrupt controller */
    struct TbCache *tbs;        /* translation cache */

    /* x87 FPU (fpu.c, docs/fpu.md; SDM vol 1 8.1): physical registers R0-R7, ST(i) = fpr[(fpu_top + i) & 7];
     * MMX register n is fpr[n].m. fpu_sw keeps TOP (bits 13..11) zero: TOP lives in fpu_top. Tags are kept as
     * "empty" bits only; FSTENV/FSAVE derive valid/zero/special from the register contents. */
    Fx80 fpr[8];
    uint16_t fpu_cw, fpu_sw;
    uint8_t fpu_top;
    uint8_t fpu_empty;          /* bit i: physical register i is empty (tag 11) */
    uint16_t fpu_fop;           /* last non-control instruction: opcode (11 bits), CS:EIP, operand DS:offset */
    uint16_t fpu_fcs, fpu_fds;
    uint32_t fpu_fip, fpu_fdp;
    uint32_t fpu_insn_eip;      /* set by translated code before each x87 helper: EIP of that instruction */
    uint32_t fpu_mxcsr_x;       /* MXCSR XOR 1F80H (FXSAVE/FXRSTOR only: no SSE), so zeroed state = RESET value */
    uint8_t fpu_ferr;           /* this CPU asserts FERR# (CR0.NE = 0 path, fpu.c) */
} CpuState;

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1u << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

/* ---- runtime entry points (translator/) ---- */
/* Raise an exception: unwinds to the exec loop (longjmp), which restores precise state and delivers it.
 * error = -1 for vectors without an error code. */
_Noreturn void cpu_raise_exception(CpuState *env, int vector, int error);
/* EFLAGS with the arithmetic flags materialised from the lazy state. */
uint32_t cpu_get_eflags(CpuState *env);
/* Write EFLAGS: mask says which bits may change; also resets the lazy state to CC_OP_EFLAGS. */
void cpu_set_eflags(CpuState *env, uint32_t value, uint32_t mask);
/* The six arithmetic flags from (cc_op, cc_dst, cc_src, cc_src2). */
uint32_t cc_compute_flags(uint32_t op, uint32_t dst, uint32_t src, uint32_t src2);
/* Recompute hflags from CR0, EFLAGS, segment caches (call after any change to them). */
void cpu_update_hflags(CpuState *env);
/* Power-on / RESET# state (SDM vol 3 9.1.1): real mode, CS=F000 base FFFF0000, EIP=FFF0. */
void cpu_reset(CpuState *env);
/* x87 FNINIT state (fpu.c); cpu_reset should call it (RESET = FNINIT with FCW 0040H). */
void fpu_reset(CpuState *env);

#endif
