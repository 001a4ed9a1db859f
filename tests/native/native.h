/* native.h — the native differential test (native_diff): instruction forms, generated cases, the native
 * executor and the reference-file format, shared by native_forms.c, native_host.c and native_diff.c.
 * Invariants: every generated encoding is valid both as 32-bit protected-mode code and as 64-bit code with the
 * same meaning for the low 32 bits of every register (no REX bytes, no 40-4F, no 63, no ESP operand, no
 * instruction whose 64-bit form changes its operand size); memory operands only use registers that hold
 * pointers into the data buffer (ptr_mask), so host and guest differ only by that buffer's base address.
 * Left out: BCD (DAA/DAS/AAA/AAS/AAM/AAD: not encodable in 64-bit mode; covered by the 286 vectors), one-byte
 * INC/DEC (40-4F are REX prefixes in 64-bit mode), #DE cases of DIV/IDIV (they would kill the host). */
#ifndef PCJIT_TESTS_NATIVE_H
#define PCJIT_TESTS_NATIVE_H
#include <stdint.h>
#include <stdbool.h>

enum {
    ND_BUF_SIZE = 512,        /* data buffer every case may read/write */
    ND_MAX_CODE = 32,         /* one instruction (<= 15 bytes) or a pair */
    ND_NAME = 52,
    ND_NREGS = 8,             /* EAX..EDI in encoding order; ESP (4) is never an operand */
};

/* Semantic kinds: decide input constraints and which flags the SDM leaves undefined. */
typedef enum NdKind {
    K_NONE,      /* no arithmetic flags written (MOV-like, CMOV, SETcc, BSWAP, string moves, CMC...) */
    K_ARITH,     /* ADD ADC SUB SBB CMP NEG INC DEC XADD CMPXCHG CMPS SCAS: all defined */
    K_LOGIC,     /* AND OR XOR TEST: AF undefined */
    K_MUL,       /* MUL, IMUL (all forms): SF ZF AF PF undefined */
    K_DIV,       /* DIV: all six undefined; inputs avoid #DE */
    K_IDIV,      /* IDIV: same, signed */
    K_SHIFT,     /* group 2 (ModRM.reg = ROL..SAR): depends on op and count */
    K_SHLD,      /* SHLD/SHRD */
    K_BT,        /* BT BTS BTR BTC */
    K_BSF,       /* BSF BSR */
} NdKind;

/* Where a shift/bit count comes from. */
enum { CNT_NONE, CNT_IMM8, CNT_ONE, CNT_CL };

/* Form flags */
enum {
    NDF_MODRM = 1,      /* has a ModRM byte */
    NDF_MEM = 2,        /* the r/m operand may be memory ([EBX] / [EBX+disp8]) */
    NDF_STRING = 4,     /* string instruction: ESI/EDI point into the buffer, ECX small when REP */
    NDF_REP = 8,        /* F3 prefix */
    NDF_REPNE = 16,     /* F2 prefix */
    NDF_OPREG = 32,     /* register in the low 3 opcode bits (BSWAP) */
    NDF_BTMEM = 64,     /* BT r/m, reg: the bit offset register may address outside the operand: keep it small */
    NDF_NOREGRM = 128,  /* ModRM.reg is ignored/fixed (SETcc): use 0 */
};

typedef struct NdForm {
    char name[24];      /* e.g. "ADD Ev,Gv/32" */
    uint8_t op[3];      /* opcode bytes (after prefixes) */
    uint8_t nop;
    int8_t ext;         /* ModRM.reg opcode extension, or -1: ModRM.reg names a register */
    uint8_t rsize;      /* size of the ModRM.reg (or opcode-register) operand, 0 if none */
    uint8_t msize;      /* size of the r/m operand (1/2/4), 0 if none */
    uint8_t osize;      /* operand size (decides the 66 prefix) */
    uint8_t imm;        /* immediate bytes */
    uint8_t cnt;        /* CNT_* */
    uint8_t kind;       /* NdKind */
    uint8_t flags;      /* NDF_* */
} NdForm;

/* One case: an encoding, inputs, and (once run natively or read from a file) the expected results. */
typedef struct NdCase {
    char name[ND_NAME];       /* form name, or "A ; B" for a pair */
    uint8_t code[ND_MAX_CODE];
    uint8_t len;
    uint8_t ptr_mask;   /* bit r: register r holds an offset into the data buffer (in/out are offsets) */
    uint32_t undef;     /* arithmetic flags the SDM leaves undefined for these inputs (not compared) */
    uint32_t seed;      /* data buffer contents (nd_buffer_fill) */
    uint32_t in[ND_NREGS], in_flags;
    uint32_t out[ND_NREGS], out_flags;
    uint64_t buf_hash;  /* FNV-1a of the final buffer */
    uint8_t modrm_at;   /* generator only: index of the first ModRM byte in code (0xff: none) */
    uint8_t mem_at;     /* generator only: index of the ModRM byte of the [EBX] operand (0xff: none) */
    uint8_t a_len;      /* generator only: length of the first instruction (== len for a single one) */
} NdCase;

/* Deterministic PRNG (xorshift64*), identical on every host. */
typedef struct NdRng { uint64_t s; } NdRng;
uint64_t nd_rand(NdRng *r);

/* ---- native_forms.c ---- */
int nd_forms_build(NdForm *forms, int max);
/* A fresh encoding of form f into c (code, len, name, ptr_mask). */
void nd_make_encoding(const NdForm *f, NdRng *r, NdCase *c);
/* Random and edge-value inputs for c's encoding (keeps code); also sets undef. */
void nd_make_inputs(const NdForm *f, NdRng *r, NdCase *c);
/* Pairs "A ; B" in one block: lazy flags and flag liveness across instructions. B must satisfy
 * nd_pair_second_ok (its inputs are A's outputs, so nothing about them may need fixing up front). */
bool nd_pair_second_ok(const NdForm *f);
void nd_make_pair(const NdForm *a, const NdForm *b, NdRng *r, NdCase *c);
/* Inputs for a pair; false if B would read a flag A left undefined (the caller draws new inputs). */
bool nd_make_pair_inputs(const NdForm *a, const NdForm *b, NdRng *r, NdCase *c);
void nd_buffer_fill(uint32_t seed, uint8_t *buf);
uint64_t nd_hash(const uint8_t *buf, int n);
/* Flags compared for a case: the six arithmetic ones minus undef, plus DF. */
uint32_t nd_compare_mask(const NdCase *c);

/* ---- native_host.c ---- */
bool nd_native_available(void);
/* Run c natively: fills out, out_flags, buf_hash (and the final buffer into buf_out if not NULL). */
bool nd_native_run(NdCase *c, uint8_t *buf_out);
const char *nd_native_error(void);

#endif
