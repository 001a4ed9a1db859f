/* sst_moo.c — MOO file reader (see sst_moo.h): gunzip the file with zlib, then walk chunks (4-byte tag, u32
 * length, payload) with every length bounds-checked. Unknown chunks (META, GMET, CYCL...) are skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "sst_moo.h"

const char *const moo_reg_names[MR_COUNT] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
};

enum { MOO_MAX_FILE = 256 << 20 };

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int moo_open(MooFile *f, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    size_t cap = 1 << 20;
    f->data = malloc(cap);
    for (;;) {
        if (!f->data) {
            snprintf(err, errlen, "%s: out of memory", path);
            gzclose(gz);
            return -1;
        }
        int n = gzread(gz, f->data + f->size, (unsigned)(cap - f->size));
        if (n < 0) {
            snprintf(err, errlen, "%s: gzip error", path);
            gzclose(gz);
            moo_close(f);
            return -1;
        }
        f->size += (size_t)n;
        if (n == 0)
            break;
        if (f->size == cap) {
            if (cap >= MOO_MAX_FILE) {
                snprintf(err, errlen, "%s: larger than %d MiB", path, MOO_MAX_FILE >> 20);
                gzclose(gz);
                moo_close(f);
                return -1;
            }
            cap *= 2;
            uint8_t *nd = realloc(f->data, cap);
            if (!nd)
                free(f->data);
            f->data = nd;
        }
    }
    gzclose(gz);
    /* header chunk: "MOO " len, u8 version, 3 reserved, u32 count, 4-byte cpu name */
    if (f->size < 8 + 12 || memcmp(f->data, "MOO ", 4) != 0 || rd32(f->data + 4) < 12 ||
        rd32(f->data + 4) > f->size - 8) {
        snprintf(err, errlen, "%s: not a MOO file", path);
        moo_close(f);
        return -1;
    }
    f->count = rd32(f->data + 12);
    memcpy(f->cpu, f->data + 16, 4);
    f->pos = 8 + rd32(f->data + 4);
    return 0;
}

void moo_close(MooFile *f)
{
    free(f->data);
    f->data = NULL;
    f->size = f->pos = 0;
}

/* Split [p, end) into its next chunk: tag, payload, length. Returns false at the end or on a bad length. */
typedef struct Chunk { const uint8_t *p, *end; } Chunk;
static int chunk_next(Chunk *c, char tag[5], const uint8_t **payload, uint32_t *len)
{
    if (c->p == c->end)
        return 0;
    if (c->end - c->p < 8)
        return -1;
    memcpy(tag, c->p, 4);
    tag[4] = 0;
    *len = rd32(c->p + 4);
    if (*len > (size_t)(c->end - c->p) - 8)
        return -1;
    *payload = c->p + 8;
    c->p += 8 + *len;
    return 1;
}

static int parse_regs(MooState *s, const uint8_t *p, uint32_t len)
{
    if (len < 2)
        return -1;
    s->mask = rd16(p);
    uint32_t off = 2;
    for (int i = 0; i < MR_COUNT; i++) {
        if (!(s->mask >> i & 1))
            continue;
        if (off + 2 > len)
            return -1;
        s->regs[i] = rd16(p + off);
        off += 2;
    }
    return 0;
}

static int parse_state(MooState *s, const uint8_t *p, uint32_t len)
{
    Chunk c = { p, p + len };
    char tag[5];
    const uint8_t *pl;
    uint32_t n;
    int r;
    memset(s, 0, sizeof(*s));
    while ((r = chunk_next(&c, tag, &pl, &n)) > 0) {
        if (strcmp(tag, "REGS") == 0) {
            if (parse_regs(s, pl, n) < 0)
                return -1;
        } else if (strcmp(tag, "RAM ") == 0) {
            if (n < 4 || rd32(pl) > (n - 4) / 5)
                return -1;
            s->nram = rd32(pl);
            s->ram = pl + 4;
        }
    }
    return r;
}

/* Sub-chunks of one TEST payload (after its u32 index). */
static int parse_test_chunk(SstTest *t, const char *tag, const uint8_t *pl, uint32_t n)
{
    if (strcmp(tag, "NAME") == 0) {
        if (n < 4 || rd32(pl) > n - 4)
            return -1;
        uint32_t len = rd32(pl);
        if (len >= sizeof(t->name))
            len = sizeof(t->name) - 1;
        memcpy(t->name, pl + 4, len);
        t->name[len] = 0;
    } else if (strcmp(tag, "BYTS") == 0) {
        if (n < 4 || rd32(pl) > n - 4)
            return -1;
        t->nbytes = rd32(pl);
        t->bytes = pl + 4;
    } else if (strcmp(tag, "INIT") == 0 || strcmp(tag, "FINA") == 0) {
        return parse_state(tag[0] == 'I' ? &t->init : &t->fina, pl, n);
    } else if (strcmp(tag, "EXCP") == 0) {
        if (n < 5)
            return -1;
        t->has_excp = true;
        t->excp_vector = pl[0];
        t->excp_flags_addr = rd32(pl + 1);
    } else if (strcmp(tag, "HASH") == 0) {
        if (n < 20)
            return -1;
        memcpy(t->hash, pl, 20);
        t->has_hash = true;
    }
    return 0;
}

int moo_next(MooFile *f, SstTest *t, char *err, size_t errlen)
{
    Chunk top = { f->data + f->pos, f->data + f->size };
    char tag[5];
    const uint8_t *pl;
    uint32_t n;
    int r;
    while ((r = chunk_next(&top, tag, &pl, &n)) > 0) {
        f->pos = (size_t)(top.p - f->data);
        if (strcmp(tag, "TEST") != 0)
            continue;
        memset(t, 0, sizeof(*t));
        if (n < 4)
            break;
        t->index = rd32(pl);
        Chunk sub = { pl + 4, pl + n };
        while ((r = chunk_next(&sub, tag, &pl, &n)) > 0)
            if (parse_test_chunk(t, tag, pl, n) < 0)
                break;
        if (r != 0)
            break;
        if (!t->bytes || t->init.mask == 0) {
            snprintf(err, errlen, "test %u: no BYTS or INIT", t->index);
            return -1;
        }
        return 1;
    }
    if (r == 0)
        return 0;
    snprintf(err, errlen, "malformed chunk near offset %zu", f->pos);
    return -1;
}
