/* pcbench.c — the workloads of bench/run-linux-bench, one program built twice from this source: static for i686
 * (x87 only, no SSE; it runs inside the Linux guest under pcjit and QEMU) and for the host (the native figure and
 * the expected answers).
 *
 *   pcbench WORKLOAD SCALE        cpu-int | cpu-fp | mem | syscall | fork: print "PCBENCH BEGIN w", do SCALE units
 *                                 of work, print "PCBENCH END w" and then "RESULT w key=value ..."
 *   pcbench disk PATH BYTES       read BYTES of PATH (the IDE disk) in 64 KiB reads, bracketed the same way
 *   pcbench gen BYTES             write the deterministic disk image to stdout
 *   pcbench true                  exit 0 at once (what the fork workload and the shell loop exec)
 *
 * Invariants: every answer depends only on SCALE (and the disk bytes), never on time, addresses or the C library:
 * the integer work (CRC-32, SHA-256, heap sort) and the data generator are written here; the floating-point work
 * uses `long double` and only + - * / and sqrt, which the x87 rounds exactly (IEEE 754, 64-bit significand under
 * Linux's default control word 0x37F on i386 and x86_64 alike), so the 80-bit results printed in hex are
 * bit-identical natively, under QEMU's soft-float and under pcjit. No libm (its i386 and x86_64 code differ).
 * The markers are written with write(2) straight to stdout so that the host sees them when they happen.
 * Left out: timing inside the guest (the host's clock at the markers is the measure), threads, the network.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what, const char *w)
{
    char line[128];
    int n = snprintf(line, sizeof line, "PCBENCH %s %s\n", what, w);
    fflush(stdout);
    if (write(1, line, (size_t)n) != n)
        exit(3);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "pcbench: out of memory (%zu bytes)\n", n);
        exit(2);
    }
    return p;
}

/* xorshift32 (Marsaglia 2003): the data of every workload and of the disk image */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i + 4 <= n; i += 4) {
        uint32_t v = rng_next(&seed);
        memcpy(p + i, &v, 4);
    }
}

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), one table lookup per byte */
static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* SHA-256 (FIPS 180-4); the message length is a multiple of 64 bytes here, padding done in sha256_final */
typedef struct {
    uint32_t h[8];
    uint64_t len;
} Sha256;

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(Sha256 *s, const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ROR(v[4], 6) ^ ROR(v[4], 11) ^ ROR(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
                      sha_k[i] + w[i];
        uint32_t t2 = (ROR(v[0], 2) ^ ROR(v[0], 13) ^ ROR(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        s->h[i] += v[i];
    s->len += 64;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
    Sha256 s = {{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}, 0};
    uint8_t last[64] = {0x80};
    for (size_t i = 0; i + 64 <= n; i += 64)
        sha256_block(&s, p + i);
    uint64_t bits = s.len * 8;
    for (int i = 0; i < 8; i++)
        last[63 - i] = (uint8_t)(bits >> (8 * i));
    sha256_block(&s, last);
    for (int i = 0; i < 8; i++)
        sprintf(out + 8 * i, "%08x", s.h[i]);
}

/* heap sort: data-dependent branches and loads, no library qsort (its algorithm is glibc's choice) */
static void sift_down(uint32_t *a, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && a[child + 1] > a[child])
            child++;
        if (a[root] >= a[child])
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
    }
}

static void heap_sort(uint32_t *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(a, i, n);
    for (size_t i = n; i-- > 1;) {
        uint32_t t = a[0];
        a[0] = a[i];
        a[i] = t;
        sift_down(a, 0, i);
    }
}

/* one unit: CRC-32 of 4 MiB, SHA-256 of 1 MiB, a heap sort of 64 Ki words */
static void work_cpu_int(int scale)
{
    size_t nbytes = (size_t)4 << 20, nsort = (size_t)64 << 10;
    uint8_t *buf = xmalloc(nbytes);
    uint32_t *a = xmalloc(nsort * sizeof *a);
    uint32_t crc = 0, sorthash = 0, sorted = 1, shacrc = 0;
    char hex[65] = "";
    say("BEGIN", "cpu-int");
    crc32_init();
    for (int u = 0; u < scale; u++) {
        fill(buf, nbytes, 0x9E3779B9u + (uint32_t)u);
        crc = crc32_update(crc, buf, nbytes);
        sha256_hex(buf + (size_t)(u % 4) * (1 << 20), (size_t)1 << 20, hex);
        shacrc = crc32_update(shacrc, (const uint8_t *)hex, 64);
        uint32_t seed = 12345u + (uint32_t)u;
        for (size_t i = 0; i < nsort; i++)
            a[i] = rng_next(&seed);
        heap_sort(a, nsort);
        for (size_t i = 1; i < nsort; i++)
            sorted &= a[i - 1] <= a[i];
        sorthash = crc32_update(sorthash, (const uint8_t *)a, nsort * sizeof *a);
    }
    say("END", "cpu-int");
    printf("RESULT cpu-int crc32=%08x sha256=%s shas=%08x sort=%08x sorted=%u\n", crc, hex, shacrc, sorthash, sorted);
    free(buf);
    free(a);
}

/* the 80 bits of a long double: sign+exponent, then the 64-bit significand */
static void ld_hex(long double x, char out[21])
{
    uint8_t b[16] = {0};
    uint64_t m;
    uint16_t e;
    memcpy(b, &x, 10);
    memcpy(&m, b, 8);
    memcpy(&e, b + 8, 2);
    sprintf(out, "%04x%016llx", e, (unsigned long long)m);
}

/* n-body (5 bodies, symplectic Euler as in the Computer Language Benchmarks Game), all in long double */
typedef struct {
    long double x[3], v[3], m;
} Body;

static long double nbody_energy(const Body *b, int n)
{
    long double e = 0;
    for (int i = 0; i < n; i++) {
        e += 0.5L * b[i].m * (b[i].v[0] * b[i].v[0] + b[i].v[1] * b[i].v[1] + b[i].v[2] * b[i].v[2]);
        for (int j = i + 1; j < n; j++) {
            long double d[3], r2 = 0;
            for (int k = 0; k < 3; k++) {
                d[k] = b[i].x[k] - b[j].x[k];
                r2 += d[k] * d[k];
            }
            e -= b[i].m * b[j].m / __builtin_sqrtl(r2);
        }
    }
    return e;
}

static void nbody_step(Body *b, int n, long double dt)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            long double d[3], r2 = 0;
            for (int k = 0; k < 3; k++) {
                d[k] = b[i].x[k] - b[j].x[k];
                r2 += d[k] * d[k];
            }
            long double mag = dt / (r2 * __builtin_sqrtl(r2));
            for (int k = 0; k < 3; k++) {
                b[i].v[k] -= d[k] * b[j].m * mag;
                b[j].v[k] += d[k] * b[i].m * mag;
            }
        }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            b[i].x[k] += dt * b[i].v[k];
}

/* one unit: 20,000 n-body steps and a 96x96 Mandelbrot set (at most 256 iterations a point) */
static void work_cpu_fp(int scale)
{
    const long double pi = 3.141592653589793238462643383279502884L, days = 365.24L, sm = 4 * pi * pi;
    Body b[5] = {
        {{0, 0, 0}, {0, 0, 0}, sm},
        {{4.84143144246472090e+00L, -1.16032004402742839e+00L, -1.03622044471123109e-01L},
         {1.66007664274403694e-03L * days, 7.69901118419740425e-03L * days, -6.90460016972063023e-05L * days},
         9.54791938424326609e-04L * sm},
        {{8.34336671824457987e+00L, 4.12479856412430479e+00L, -4.03523417114321381e-01L},
         {-2.76742510726862411e-03L * days, 4.99852801234917238e-03L * days, 2.30417297573763929e-05L * days},
         2.85885980666130812e-04L * sm},
        {{1.28943695621391310e+01L, -1.51111514016986312e+01L, -2.23307578892655734e-01L},
         {2.96460137564761618e-03L * days, 2.37847173959480950e-03L * days, -2.96589568540237556e-05L * days},
         4.36624404335156298e-05L * sm},
        {{1.53796971148509165e+01L, -2.59193146099879641e+01L, 1.79258772950371181e-01L},
         {2.68067772490389322e-03L * days, 1.62824170038242295e-03L * days, -9.51592254519715870e-05L * days},
         5.15138902046611451e-05L * sm}};
    char e0[21], e1[21], ms[21];
    uint32_t iters = 0, mhash = 0;
    long double msum = 0;
    say("BEGIN", "cpu-fp");
    for (int i = 1; i < 5; i++)
        for (int k = 0; k < 3; k++)
            b[0].v[k] -= b[i].v[k] * b[i].m / sm;
    ld_hex(nbody_energy(b, 5), e0);
    for (int u = 0; u < scale; u++)
        for (int s = 0; s < 20000; s++)
            nbody_step(b, 5, 0.01L);
    ld_hex(nbody_energy(b, 5), e1);
    for (int u = 0; u < scale; u++)
        for (int py = 0; py < 96; py++)
            for (int px = 0; px < 96; px++) {
                long double cr = -2.0L + 2.5L * px / 96 + u * 1e-3L, ci = -1.25L + 2.5L * py / 96, zr = 0, zi = 0;
                int it = 0;
                while (it < 256 && zr * zr + zi * zi <= 4.0L) {
                    long double t = zr * zr - zi * zi + cr;
                    zi = 2 * zr * zi + ci;
                    zr = t;
                    it++;
                }
                iters += (uint32_t)it;
                mhash = mhash * 31 + (uint32_t)it;
                msum += zr;
            }
    ld_hex(msum, ms);
    say("END", "cpu-fp");
    printf("RESULT cpu-fp nbody_e0=%s nbody_e1=%s mandel_iters=%u mandel_hash=%08x mandel_zsum=%s\n", e0, e1, iters,
           mhash, ms);
}

/* one unit: 4 rounds of memset + memcpy over 16 MiB and a word-sum read pass */
static void work_mem(int scale)
{
    size_t n = (size_t)16 << 20;
    uint8_t *a = xmalloc(n), *b = xmalloc(n);
    uint32_t sum = 0;
    say("BEGIN", "mem");
    for (int r = 0; r < 4 * scale; r++) {
        memset(a, r * 37 + 1, n);
        a[(size_t)r * 4099 % n] = (uint8_t)r;
        memcpy(b, a, n);
        memcpy(a + 4096, b, n - 4096);
        const uint32_t *w = (const uint32_t *)a;
        for (size_t i = 0; i < n / 4; i += 16)
            sum = sum * 33 + w[i];
    }
    say("END", "mem");
    printf("RESULT mem sum=%08x\n", sum);
    free(a);
    free(b);
}

/* one unit: 50,000 getppid and 10,000 one-byte pipe round trips */
static void work_syscall(int scale)
{
    int fd[2];
    pid_t pp = getppid();
    unsigned ok = 1, n = 0, sum = 0;
    char c;
    if (pipe(fd))
        exit(2);
    say("BEGIN", "syscall");
    for (int u = 0; u < scale; u++) {
        for (int i = 0; i < 50000; i++, n++)
            ok &= getppid() == pp;
        for (int i = 0; i < 10000; i++, n++) {
            c = (char)(i * 7);
            if (write(fd[1], &c, 1) != 1 || read(fd[0], &c, 1) != 1)
                exit(2);
            sum += (unsigned char)c;
        }
    }
    say("END", "syscall");
    printf("RESULT syscall n=%u ppid_ok=%u sum=%u\n", n, ok, sum);
}

/* one unit: 20 fork + exec of this program ("true") + wait */
static void work_fork(int scale)
{
    unsigned ok = 0, n = 0;
    say("BEGIN", "fork");
    for (int i = 0; i < 20 * scale; i++, n++) {
        pid_t p = fork();
        if (p == 0) {
            execl("/proc/self/exe", "pcbench", "true", (char *)NULL);
            _exit(127);
        }
        int st;
        if (p > 0 && waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 0)
            ok++;
    }
    say("END", "fork");
    printf("RESULT fork n=%u ok=%u\n", n, ok);
}

static void work_disk(const char *path, long long bytes)
{
    size_t chunk = 64 << 10;
    uint8_t *buf = xmalloc(chunk);
    uint32_t crc = 0;
    long long got = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(2);
    }
    crc32_init();
    say("BEGIN", "disk-ide");
    while (got < bytes) {
        ssize_t r = read(fd, buf, bytes - got < (long long)chunk ? (size_t)(bytes - got) : chunk);
        if (r <= 0)
            break;
        crc = crc32_update(crc, buf, (size_t)r);
        got += r;
    }
    say("END", "disk-ide");
    printf("RESULT disk-ide bytes=%lld crc32=%08x\n", got, crc);
    close(fd);
}

static void gen_disk(long long bytes)
{
    static uint8_t buf[1 << 16];
    for (long long off = 0; off < bytes; off += (long long)sizeof buf) {
        fill(buf, sizeof buf, 0xD15C0000u + (uint32_t)(off >> 16));
        size_t n = bytes - off < (long long)sizeof buf ? (size_t)(bytes - off) : sizeof buf;
        if (fwrite(buf, 1, n, stdout) != n)
            exit(2);
    }
}

int main(int argc, char **argv)
{
    const char *w = argc > 1 ? argv[1] : "";
    int scale = argc > 2 ? atoi(argv[2]) : 1;
    if (!strcmp(w, "true"))
        return 0;
    if (!strcmp(w, "disk") && argc == 4)
        work_disk(argv[2], atoll(argv[3]));
    else if (!strcmp(w, "gen") && argc == 3)
        gen_disk(atoll(argv[2]));
    else if (argc != 3 || scale < 1)
        goto usage;
    else if (!strcmp(w, "cpu-int"))
        work_cpu_int(scale);
    else if (!strcmp(w, "cpu-fp"))
        work_cpu_fp(scale);
    else if (!strcmp(w, "mem"))
        work_mem(scale);
    else if (!strcmp(w, "syscall"))
        work_syscall(scale);
    else if (!strcmp(w, "fork"))
        work_fork(scale);
    else
        goto usage;
    return fflush(stdout) ? 3 : 0;
usage:
    fprintf(stderr, "usage: pcbench cpu-int|cpu-fp|mem|syscall|fork SCALE | disk PATH BYTES | gen BYTES | true\n");
    return 2;
}
