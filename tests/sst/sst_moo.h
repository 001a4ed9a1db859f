/* sst_moo.h — reader for SingleStepTests MOO files (gzip-compressed chunk streams, format in
 * ../shared/conformance/README.md): loads a whole file and iterates over its TEST chunks.
 * Invariants: every length read from the file is checked against the bytes that remain, so a truncated or
 * hostile file yields an error, never an out-of-bounds read; SstTest points into the MooFile buffer (valid until
 * moo_close). Left out: the bus-cycle records (absent from our subset), writing MOO files. */
#ifndef PCJIT_SST_MOO_H
#define PCJIT_SST_MOO_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

/* Register order of the REGS bitmask (README: ax bx cx dx cs ss ds es sp bp si di ip flags). */
enum { MR_AX, MR_BX, MR_CX, MR_DX, MR_CS, MR_SS, MR_DS, MR_ES, MR_SP, MR_BP, MR_SI, MR_DI, MR_IP, MR_FLAGS,
       MR_COUNT };
extern const char *const moo_reg_names[MR_COUNT];

typedef struct MooState {
    uint16_t mask;            /* which registers are present */
    uint16_t regs[MR_COUNT];
    uint32_t nram;            /* RAM entries: 5 bytes each (u32 address, u8 value) at ram */
    const uint8_t *ram;
} MooState;

static inline uint32_t moo_ram_addr(const MooState *s, uint32_t i)
{
    const uint8_t *p = s->ram + 5 * i;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint8_t moo_ram_val(const MooState *s, uint32_t i) { return s->ram[5 * i + 4]; }

typedef struct SstTest {
    uint32_t index;
    char name[96];
    const uint8_t *bytes;
    uint32_t nbytes;
    MooState init, fina;
    bool has_excp;
    uint8_t excp_vector;
    uint32_t excp_flags_addr;
    uint8_t hash[20];
    bool has_hash;
} SstTest;

typedef struct MooFile {
    uint8_t *data;
    size_t size, pos;
    uint32_t count;           /* tests announced by the header */
    char cpu[5];
} MooFile;

/* Load and decompress path. Returns 0, or -1 with a message in err. */
int moo_open(MooFile *f, const char *path, char *err, size_t errlen);
/* Next test: 1 = got one, 0 = end of file, -1 = malformed (message in err). */
int moo_next(MooFile *f, SstTest *t, char *err, size_t errlen);
void moo_close(MooFile *f);

#endif
