/* test_fw_cfg.c — the fw_cfg device as a guest sees it through ports 0x510/0x511/0x514 (QEMU docs/specs/fw_cfg.rst):
 * signature and ID through the data port, the file directory's big-endian layout in name order, DMA reads (select,
 * read, skip, zero fill past the item's end, control word cleared on success), DMA errors (write requests, a target
 * beyond RAM), translated code in the DMA target invalidated, and the kernel items that -kernel publishes for a
 * bzImage (split at (setup_sects + 1) * 512) and refusals of bad kernels. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "fw_cfg.h"
#include "kernel.h"

static Harness *h;
static FwCfg fw;

static void setup(void)
{
    h = harness_new(4);
    ck_assert_ptr_nonnull(h);
    fw_cfg_init(&fw, h->m);
    ck_assert_int_eq(fw_cfg_attach(&fw), 0);
}

static void teardown(void)
{
    fw_cfg_free(&fw);
    harness_free(h);
}

static void sel(uint16_t key) { bus_io_write(h->m, FW_CFG_PORT_SEL, key, 2); }
static uint8_t data8(void) { return (uint8_t)bus_io_read(h->m, FW_CFG_PORT_DATA, 1); }

static uint8_t rd8(uint32_t pa)
{
    uint8_t b;
    harness_read(h, pa, &b, 1);
    return b;
}

static uint32_t rd_be32(uint32_t pa)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | rd8(pa + i);
    return v;
}

static void wr_be32(uint32_t pa, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    harness_write(h, pa, b, 4);
}

/* Put an FWCfgDmaAccess at pa and start it (high half 0, low half pa, both big-endian as the guest writes them). */
static void dma(uint32_t pa, uint32_t control, uint32_t len, uint32_t addr)
{
    wr_be32(pa, control);
    wr_be32(pa + 4, len);
    wr_be32(pa + 8, 0);
    wr_be32(pa + 12, addr);
    bus_io_write(h->m, 0x514, 0, 4);
    bus_io_write(h->m, 0x518, __builtin_bswap32(pa), 4);
}

START_TEST(signature_and_id)
{
    sel(FW_CFG_SIGNATURE);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++)
        sig[i] = (char)data8();
    ck_assert_str_eq(sig, "QEMU");
    ck_assert_uint_eq(data8(), 0);              /* past the end: 0 */
    sel(FW_CFG_ID);
    ck_assert_uint_eq(data8(), 3);               /* traditional + DMA */
    ck_assert_uint_eq(data8(), 0);
    /* the DMA register's signature, read as two dwords: "QEMU CFG" */
    ck_assert_uint_eq(bus_io_read(h->m, 0x514, 4), 0x554d4551u);
    ck_assert_uint_eq(bus_io_read(h->m, 0x518, 4), 0x47464320u);
    sel(0x3fff);                                 /* no such item: zeros */
    ck_assert_uint_eq(data8(), 0);
    sel(0x8003);                                 /* an x86-local item (QEMU's E820 table): absent, not item 3 */
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(data8(), 0);
    sel(0x8000 | FW_CFG_SIGNATURE);
    ck_assert_uint_eq(data8(), 0);
}
END_TEST

START_TEST(file_directory)
{
    ck_assert_int_eq(fw_cfg_add_file(&fw, "zeta", "zz", 2), FW_CFG_FILE_FIRST);
    ck_assert_int_eq(fw_cfg_add_file(&fw, "etc/alpha", "abc", 3), FW_CFG_FILE_FIRST + 1);
    ck_assert_int_eq(fw_cfg_add_file(&fw, "zeta", "zzz", 3), FW_CFG_FILE_FIRST);   /* replaced, same selector */
    char longname[FW_CFG_NAME_MAX + 1];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[FW_CFG_NAME_MAX] = 0;
    ck_assert_int_eq(fw_cfg_add_file(&fw, longname, "", 0), -1);
    sel(FW_CFG_FILE_DIR);
    uint8_t d[4 + 128];
    for (size_t i = 0; i < sizeof(d); i++)
        d[i] = data8();
    ck_assert_uint_eq(d[3], 2);
    ck_assert_str_eq((char *)d + 4 + 8, "etc/alpha");           /* sorted by name */
    ck_assert_uint_eq(d[4 + 3], 3);
    ck_assert_uint_eq(d[4 + 4] << 8 | d[4 + 5], FW_CFG_FILE_FIRST + 1);
    ck_assert_str_eq((char *)d + 4 + 64 + 8, "zeta");
    ck_assert_uint_eq(d[4 + 64 + 3], 3);
    sel(FW_CFG_FILE_FIRST);
    ck_assert_uint_eq(data8(), 'z');
}
END_TEST

START_TEST(dma_read_skip_and_fill)
{
    uint8_t blob[300];
    for (int i = 0; i < 300; i++)
        blob[i] = (uint8_t)(i * 7 + 1);
    ck_assert_int_eq(fw_cfg_add_bytes(&fw, FW_CFG_KERNEL_DATA, blob, sizeof(blob)), 0);
    harness_fill(h, 0x20000, 0xee, 400);
    dma(0x1000, (uint32_t)FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP, 10, 0);
    ck_assert_uint_eq(rd_be32(0x1000), 0);
    dma(0x1000, FW_CFG_DMA_READ, 400, 0x20000);          /* 290 bytes left, then zero fill */
    ck_assert_uint_eq(rd_be32(0x1000), 0);
    for (uint32_t i = 0; i < 290; i++)
        ck_assert_uint_eq(rd8(0x20000 + i), blob[10 + i]);
    for (uint32_t i = 290; i < 400; i++)
        ck_assert_uint_eq(rd8(0x20000 + i), 0);
    ck_assert_uint_eq(fw.dma_transfers, 2);
}
END_TEST

START_TEST(dma_errors)
{
    fw_cfg_add_bytes(&fw, FW_CFG_CMDLINE_DATA, "x", 2);
    dma(0x1000, (uint32_t)FW_CFG_CMDLINE_DATA << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 2, 0x2000);
    ck_assert_uint_eq(rd_be32(0x1000) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR);
    dma(0x1000, (uint32_t)FW_CFG_CMDLINE_DATA << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 2, 0x7ffffff0);
    ck_assert_uint_eq(rd_be32(0x1000) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR);    /* beyond the 4 MiB of RAM */
    dma(0x1000, (uint32_t)FW_CFG_CMDLINE_DATA << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 16, 0xfffffff8);
    ck_assert_uint_eq(rd_be32(0x1000) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR);    /* would wrap past 4 GiB */
    /* a descriptor address beyond RAM: nothing to do, nothing crashes */
    bus_io_write(h->m, 0x514, 0, 4);
    bus_io_write(h->m, 0x518, __builtin_bswap32(0xfffffff8u), 4);
    bus_io_write(h->m, 0x514, __builtin_bswap32(1), 4);
    bus_io_write(h->m, 0x518, 0, 4);
}
END_TEST

/* A DMA write over code the CPU has translated must invalidate it: run code, overwrite it by DMA, run again. */
START_TEST(dma_invalidates_code)
{
    static const uint8_t prog1[] = { 0xb8, 0x11, 0x00, 0x00, 0x00, 0xf4 };   /* mov eax, 0x11; hlt */
    static const uint8_t prog2[] = { 0xb8, 0x22, 0x00, 0x00, 0x00, 0xf4 };   /* mov eax, 0x22; hlt */
    harness_flat32(h, 0x500);
    harness_write(h, 0x8000, prog1, sizeof(prog1));
    h->env->t[G_EIP] = 0x8000;
    harness_run(h, 100);
    ck_assert_uint_eq(h->env->t[G_EAX], 0x11);
    fw_cfg_add_bytes(&fw, FW_CFG_SETUP_DATA, prog2, sizeof(prog2));
    dma(0x1000, (uint32_t)FW_CFG_SETUP_DATA << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, sizeof(prog2), 0x8000);
    h->env->t[G_EIP] = 0x8000;
    harness_run(h, 100);
    ck_assert_uint_eq(h->env->t[G_EAX], 0x22);
}
END_TEST

static char tmpdir[] = "/tmp/pcjit-fwcfg-XXXXXX";

static const char *write_tmp(const char *name, const uint8_t *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static uint32_t item_u32(uint16_t key)
{
    const FwCfgItem *it = &fw.item[key];
    ck_assert_uint_eq(it->len, 4);
    return it->data[0] | it->data[1] << 8 | it->data[2] << 16 | (uint32_t)it->data[3] << 24;
}

START_TEST(kernel_items)
{
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    static uint8_t k[8192];
    memset(k, 0x90, sizeof(k));
    k[0x1f1] = 3;                                  /* 4 sectors of real-mode code with the boot sector */
    memcpy(k + 0x202, "HdrS", 4);
    k[0x206] = 0x0f, k[0x207] = 0x02;              /* protocol 2.15 */
    k[0x211] = 1;                                  /* LOADED_HIGH */
    k[0x22c] = 0xff, k[0x22d] = 0xff, k[0x22e] = 0xff, k[0x22f] = 0x37;
    k[0x238] = 0xff, k[0x239] = 0x07, k[0x23a] = k[0x23b] = 0;   /* cmdline_size 2047 */
    const char *kp = strdup(write_tmp("bz", k, sizeof(k)));
    const char *ip = strdup(write_tmp("initrd", (const uint8_t *)"INITRD", 6));
    char err[256];
    KernelKind kind;
    ck_assert_int_eq(kernel_publish(&fw, kp, ip, "console=ttyS0", 4 << 20, &kind, err, sizeof(err)), 0);
    ck_assert_int_eq(kind, KERNEL_BZIMAGE);
    ck_assert_uint_eq(item_u32(FW_CFG_SETUP_SIZE), 2048);
    ck_assert_uint_eq(fw.item[FW_CFG_SETUP_DATA].len, 2048);
    ck_assert_uint_eq(item_u32(FW_CFG_KERNEL_SIZE), 8192 - 2048);
    ck_assert_uint_eq(item_u32(FW_CFG_INITRD_SIZE), 6);
    ck_assert_uint_eq(item_u32(FW_CFG_CMDLINE_SIZE), 14);
    ck_assert_str_eq((char *)fw.item[FW_CFG_CMDLINE_DATA].data, "console=ttyS0");
    /* refusals, each with a message naming the problem */
    ck_assert_int_eq(kernel_publish(&fw, "/nonexistent/k", NULL, NULL, 4 << 20, &kind, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/k"));
    ck_assert_int_eq(kernel_publish(&fw, kp, NULL, NULL, 1 << 20, &kind, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "do not fit"));
    char big[3000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    ck_assert_int_eq(kernel_publish(&fw, kp, NULL, big, 4 << 20, &kind, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "command line"));
    k[0x211] = 0;
    const char *zp = write_tmp("z", k, sizeof(k));
    ck_assert_int_eq(kernel_publish(&fw, zp, NULL, NULL, 4 << 20, &kind, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "zImage"));
    const char *jp = write_tmp("junk", (const uint8_t *)"not a kernel at all", 19);
    ck_assert_int_eq(kernel_publish(&fw, jp, NULL, NULL, 4 << 20, &kind, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "neither"));
    /* a multiboot header (ELF-less, with load addresses) is accepted and published whole */
    uint32_t mb[12] = { 0x1BADB002u, 0x10000, 0 };
    mb[2] = 0u - mb[0] - mb[1];
    const char *mp = write_tmp("mb", (const uint8_t *)mb, sizeof(mb));
    ck_assert_int_eq(kernel_publish(&fw, mp, NULL, NULL, 4 << 20, &kind, err, sizeof(err)), 0);
    ck_assert_int_eq(kind, KERNEL_MULTIBOOT);
    ck_assert_uint_eq(item_u32(FW_CFG_SETUP_SIZE), 0);
    ck_assert_uint_eq(item_u32(FW_CFG_KERNEL_SIZE), sizeof(mb));
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("fw_cfg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, signature_and_id);
    tcase_add_test(tc, file_directory);
    tcase_add_test(tc, dma_read_skip_and_fill);
    tcase_add_test(tc, dma_errors);
    tcase_add_test(tc, dma_invalidates_code);
    tcase_add_test(tc, kernel_items);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
