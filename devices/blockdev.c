/* blockdev.c — raw disk images for the device models (blockdev.h): whole-sector pread/pwrite with every request
 * bounds-checked first, read-only images, and the snapshot=on copy-on-write overlay.
 * The overlay is a sparse temporary file the size of the image, created in $TMPDIR (else /tmp) and unlinked at
 * once, so it disappears when pcjit exits however it exits; a bitmap says which sectors it holds. Reads take each
 * run of sectors from wherever its newest copy is; writes go to the overlay only — the image is opened O_RDONLY,
 * so no code path can write it.
 * Invariants: offsets passed to pread/pwrite are sector * 512 with sector + count <= nsectors checked in 64-bit
 * arithmetic; short reads/writes are retried until done or an error; EINTR is retried.
 * Left out: image formats, locking against a second writer (XXX: QEMU takes an fcntl lock; we do not). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "blockdev.h"

static int full_pread(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;      /* error, or end of file inside an image whose size we checked (truncated under us) */
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

static int full_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

static int overlay_create(BlockDev *bd, char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof(tmpl), "%s/pcjit-snapshot-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) {
        snprintf(err, errlen, "snapshot=on: cannot create a temporary overlay in %s: %s", dir && *dir ? dir : "/tmp",
                 strerror(errno));
        return -1;
    }
    unlink(tmpl);           /* gone on exit, whatever way pcjit exits */
    bd->overlay_map = calloc(1, (size_t)((bd->nsectors + 7) / 8));
    if (!bd->overlay_map) {
        close(fd);
        snprintf(err, errlen, "snapshot=on: out of memory for the overlay map of '%s'", bd->path);
        return -1;
    }
    bd->overlay_fd = fd;
    return 0;
}

int blockdev_open(BlockDev *bd, const char *path, bool readonly, bool snapshot, char *err, size_t errlen)
{
    memset(bd, 0, sizeof(*bd));
    bd->fd = bd->overlay_fd = -1;
    snprintf(bd->path, sizeof(bd->path), "%s", path);
    bd->readonly = readonly;
    bd->snapshot = snapshot;
    int fd = open(path, (readonly || snapshot) ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open disk image '%s'%s: %s", path,
                 (readonly || snapshot) ? "" : " for writing (readonly=on opens it read-only)", strerror(errno));
        return -1;
    }
    struct stat st;
    off_t size = -1;
    if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
        size = S_ISREG(st.st_mode) ? st.st_size : lseek(fd, 0, SEEK_END);    /* a host block device: its end */
    if (size <= 0 || size % BLOCK_SECTOR) {
        snprintf(err, errlen, "disk image '%s' is %lld bytes: a raw image must be a nonzero multiple of 512 bytes",
                 path, (long long)(size < 0 ? 0 : size));
        close(fd);
        return -1;
    }
    bd->fd = fd;
    bd->open = true;
    bd->nsectors = (uint64_t)size / BLOCK_SECTOR;
    if (snapshot && overlay_create(bd, err, errlen) < 0) {
        close(fd);
        bd->fd = -1;
        bd->open = false;
        return -1;
    }
    return 0;
}

void blockdev_close(BlockDev *bd)
{
    if (!bd->open)
        return;
    blockdev_flush(bd);
    close(bd->fd);
    if (bd->overlay_fd >= 0)
        close(bd->overlay_fd);
    free(bd->overlay_map);
    bd->overlay_map = NULL;
    bd->fd = bd->overlay_fd = -1;
    bd->open = false;
}

bool blockdev_range_ok(const BlockDev *bd, uint64_t sector, uint64_t count)
{
    return bd->open && sector <= bd->nsectors && count <= bd->nsectors - sector;
}

static bool overlay_has(const BlockDev *bd, uint64_t s)
{
    return (bd->overlay_map[s >> 3] >> (s & 7)) & 1;
}

int blockdev_read(BlockDev *bd, uint64_t sector, void *buf, uint32_t count)
{
    if (!blockdev_range_ok(bd, sector, count))
        return -1;
    uint8_t *p = buf;
    uint64_t end = sector + count;
    while (sector < end) {
        /* the longest run of sectors whose newest copy is in the same file */
        bool ov = bd->overlay_map && overlay_has(bd, sector);
        uint64_t run = 1;
        while (sector + run < end && bd->overlay_map && overlay_has(bd, sector + run) == ov)
            run++;
        if (!bd->overlay_map)
            run = end - sector;
        if (full_pread(ov ? bd->overlay_fd : bd->fd, p, (size_t)run * BLOCK_SECTOR, sector * BLOCK_SECTOR) < 0)
            return -1;
        p += run * BLOCK_SECTOR;
        sector += run;
    }
    bd->reads += count;
    return 0;
}

int blockdev_write(BlockDev *bd, uint64_t sector, const void *buf, uint32_t count)
{
    if (bd->readonly || !blockdev_range_ok(bd, sector, count))
        return -1;
    if (bd->snapshot) {
        if (full_pwrite(bd->overlay_fd, buf, (size_t)count * BLOCK_SECTOR, sector * BLOCK_SECTOR) < 0)
            return -1;
        for (uint64_t s = sector; s < sector + count; s++)
            bd->overlay_map[s >> 3] |= (uint8_t)(1u << (s & 7));
    } else if (full_pwrite(bd->fd, buf, (size_t)count * BLOCK_SECTOR, sector * BLOCK_SECTOR) < 0) {
        return -1;
    }
    bd->writes += count;
    return 0;
}

int blockdev_flush(BlockDev *bd)
{
    if (!bd->open)
        return -1;
    bd->flushes++;
    if (bd->snapshot || bd->readonly)
        return 0;
    return fdatasync(bd->fd) == 0 || errno == EINVAL ? 0 : -1;
}
