/* kernel.c — validate -kernel/-initrd/-append and publish them through fw_cfg (see kernel.h).
 * bzImage: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst): "HdrS" at 0x202, protocol ≥ 2.02 and
 * LOADED_HIGH (a bzImage, not a zImage); the real-mode part is (setup_sects + 1) sectors (0 means 4); the command
 * line must fit cmdline_size (protocol ≥ 2.06, else 255); the initrd must fit below initrd_addr_max and in RAM.
 * Multiboot v1 (Multiboot Specification 0.6.96, 3.1): the header's magic 0x1BADB002 in the first 8192 bytes,
 * 4-byte aligned, with magic + flags + checksum = 0; required flags the firmware does not implement (video mode,
 * bit 2) are refused here.
 * Invariants: nothing is published unless every check passed; the files are read whole (they are small). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel.h"

enum { KERNEL_MAX = 64 << 20, INITRD_MAX = 1024u << 20, MB_SEARCH = 8192 };

static uint8_t *read_file(const char *path, uint32_t max, uint32_t *len, const char *what, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open %s '%s'", what, path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 20;
            if (cap > (size_t)max + 1)
                cap = (size_t)max + 1;
            uint8_t *nb = n < cap ? realloc(buf, cap) : NULL;
            if (!nb) {
                free(buf);
                fclose(fp);
                snprintf(err, errlen, "%s '%s' is too large (at most %u MiB)", what, path, max >> 20);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "cannot read %s '%s'", what, path);
        return NULL;
    }
    *len = (uint32_t)n;
    return buf;
}

static uint32_t le16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }

/* Offset of a valid multiboot header, or -1. */
static long find_multiboot(const uint8_t *k, uint32_t len)
{
    uint32_t end = len < MB_SEARCH ? len : MB_SEARCH;
    for (uint32_t off = 0; off + 12 <= end; off += 4)
        if (le32(k + off) == 0x1BADB002u && le32(k + off) + le32(k + off + 4) + le32(k + off + 8) == 0)
            return (long)off;
    return -1;
}

static int publish_bzimage(FwCfg *f, const uint8_t *k, uint32_t len, uint32_t cmdline_len, uint32_t initrd_len,
                           uint32_t ram_size, const char *path, char *err, size_t errlen)
{
    uint32_t version = le16(k + 0x206);
    if (version < 0x202) {
        snprintf(err, errlen, "kernel '%s': boot protocol %u.%02u is too old (need 2.02 or later)", path,
                 version >> 8, version & 0xff);
        return -1;
    }
    if (!(k[0x211] & 1)) {
        snprintf(err, errlen, "kernel '%s' is a zImage (not loaded high): only bzImage kernels are supported", path);
        return -1;
    }
    uint32_t setup_sects = k[0x1f1] ? k[0x1f1] : 4;
    uint32_t setup_len = (setup_sects + 1) * 512;
    if (setup_len >= len || setup_len > 0x8000) {
        snprintf(err, errlen, "kernel '%s': bad setup size (%u sectors for a %u-byte file)", path, setup_sects, len);
        return -1;
    }
    uint32_t cmdline_max = version >= 0x206 ? le32(k + 0x238) : 255;
    if (cmdline_len > cmdline_max) {
        snprintf(err, errlen, "kernel command line is %u bytes; this kernel takes at most %u", cmdline_len,
                 cmdline_max);
        return -1;
    }
    uint32_t initrd_max = version >= 0x203 ? le32(k + 0x22c) : 0x37ffffff;
    uint32_t kernel_end = 0x100000 + (len - setup_len);
    if (kernel_end > ram_size || (initrd_len && ((uint64_t)kernel_end + initrd_len > ram_size ||
                                                 (uint64_t)kernel_end + initrd_len > (uint64_t)initrd_max + 1))) {
        snprintf(err, errlen, "kernel (%u KiB) and initrd (%u KiB) do not fit in %u MiB of RAM", len >> 10,
                 initrd_len >> 10, ram_size >> 20);
        return -1;
    }
    if (fw_cfg_add_i32(f, FW_CFG_SETUP_ADDR, 0x90000) < 0 || fw_cfg_add_i32(f, FW_CFG_SETUP_SIZE, setup_len) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_SETUP_DATA, k, setup_len) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_KERNEL_ADDR, 0x100000) < 0 ||
        fw_cfg_add_i32(f, FW_CFG_KERNEL_SIZE, len - setup_len) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_KERNEL_DATA, k + setup_len, len - setup_len) < 0) {
        snprintf(err, errlen, "out of memory publishing the kernel");
        return -1;
    }
    return 0;
}

static int publish_multiboot(FwCfg *f, const uint8_t *k, uint32_t len, long hdr, const char *path, char *err,
                             size_t errlen)
{
    uint32_t flags = le32(k + hdr + 4);
    if (flags & 4) {
        snprintf(err, errlen, "multiboot kernel '%s' requires a video mode (flag 2): there is no display", path);
        return -1;
    }
    if (flags & 0xfffc) {
        snprintf(err, errlen, "multiboot kernel '%s' requires unknown features (flags %#x)", path, flags & 0xffff);
        return -1;
    }
    bool elf = len >= 52 && memcmp(k, "\177ELF", 4) == 0;
    if (!(flags & 0x10000) && !(elf && k[4] == 1 && le16(k + 18) == 3)) {
        snprintf(err, errlen, "multiboot kernel '%s' is neither an ELF32 i386 image nor gives load addresses", path);
        return -1;
    }
    if (fw_cfg_add_i32(f, FW_CFG_SETUP_SIZE, 0) < 0 || fw_cfg_add_i32(f, FW_CFG_KERNEL_SIZE, len) < 0 ||
        fw_cfg_add_bytes(f, FW_CFG_KERNEL_DATA, k, len) < 0) {
        snprintf(err, errlen, "out of memory publishing the kernel");
        return -1;
    }
    return 0;
}

int kernel_publish(FwCfg *f, const char *kernel, const char *initrd, const char *cmdline, uint32_t ram_size,
                   KernelKind *kind, char *err, size_t errlen)
{
    uint32_t klen, ilen = 0;
    uint8_t *k = read_file(kernel, KERNEL_MAX, &klen, "kernel", err, errlen);
    if (!k)
        return -1;
    uint8_t *ird = NULL;
    if (initrd && !(ird = read_file(initrd, INITRD_MAX, &ilen, "initrd", err, errlen))) {
        free(k);
        return -1;
    }
    const char *cl = cmdline ? cmdline : "";
    uint32_t cl_len = (uint32_t)strlen(cl);
    int rc;
    long mb;
    if (klen >= 0x240 && memcmp(k + 0x202, "HdrS", 4) == 0) {
        *kind = KERNEL_BZIMAGE;
        rc = publish_bzimage(f, k, klen, cl_len, ilen, ram_size, kernel, err, errlen);
    } else if ((mb = find_multiboot(k, klen)) >= 0) {
        *kind = KERNEL_MULTIBOOT;
        rc = publish_multiboot(f, k, klen, mb, kernel, err, errlen);
    } else {
        snprintf(err, errlen, "kernel '%s' is neither a Linux bzImage nor a multiboot image", kernel);
        rc = -1;
    }
    if (rc == 0 && (fw_cfg_add_i32(f, FW_CFG_CMDLINE_SIZE, cl_len + 1) < 0 ||
                    fw_cfg_add_bytes(f, FW_CFG_CMDLINE_DATA, cl, cl_len + 1) < 0 ||
                    fw_cfg_add_i32(f, FW_CFG_INITRD_SIZE, ilen) < 0 ||
                    (ilen && fw_cfg_add_bytes(f, FW_CFG_INITRD_DATA, ird, ilen) < 0))) {
        snprintf(err, errlen, "out of memory publishing the kernel");
        rc = -1;
    }
    free(k);
    free(ird);
    return rc;
}
