/* blockdev.h — a disk image behind a device model: a raw image file of whole 512-byte sectors, opened read/write,
 * read-only (readonly=on: every write fails), or with a temporary copy-on-write overlay (snapshot=on: the image is
 * opened read-only and never written; written sectors go to an unlinked temporary file that vanishes on exit).
 * Invariants: every request is bounds-checked against the image (sector + count <= nsectors, no overflow) before
 * any host I/O, so no guest value can reach bytes outside the image; writes go straight to the file (or overlay)
 * with pwrite — there is no write-back cache in pcjit, so nothing is lost on exit; blockdev_flush is fdatasync.
 * Left out: formats other than raw (qcow2 …), host block devices' geometry, asynchronous I/O, discard. */
#ifndef PCJIT_BLOCKDEV_H
#define PCJIT_BLOCKDEV_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

enum { BLOCK_SECTOR = 512 };

typedef struct BlockDev {
    bool open;              /* blockdev_open succeeded and blockdev_close has not run */
    int fd;                 /* the image */
    int overlay_fd;         /* snapshot=on: the unlinked temporary overlay, else -1 */
    uint8_t *overlay_map;   /* snapshot=on: one bit per sector, set when the overlay holds that sector */
    uint64_t nsectors;
    bool readonly;          /* writes fail */
    bool snapshot;
    char path[256];         /* for messages */
    uint64_t reads, writes, flushes;   /* sectors read / written, flushes (-stats) */
} BlockDev;

/* Open path. 0 on success; -1 with a one-line reason in err ("cannot open 'x': No such file or directory",
 * "'x' is 1000 bytes: a raw disk image must be a nonzero multiple of 512 bytes"). */
int blockdev_open(BlockDev *bd, const char *path, bool readonly, bool snapshot, char *err, size_t errlen);
/* Flush (fdatasync) and close; a closed or zeroed BlockDev is a no-op. */
void blockdev_close(BlockDev *bd);
/* Is [sector, sector + count) inside the image? (count 0 is inside when sector <= nsectors) */
bool blockdev_range_ok(const BlockDev *bd, uint64_t sector, uint64_t count);
/* Whole sectors. 0 on success; -1 if the range is outside the image, the device is read-only (writes) or the host
 * I/O failed (nothing past the failure is transferred; the caller reports a media error). */
int blockdev_read(BlockDev *bd, uint64_t sector, void *buf, uint32_t count);
int blockdev_write(BlockDev *bd, uint64_t sector, const void *buf, uint32_t count);
/* Make written data durable (fdatasync of the image; a snapshot overlay is thrown away anyway: no-op). */
int blockdev_flush(BlockDev *bd);

#endif
