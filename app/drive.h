/* drive.h — the disk options of the pcjit command line (QEMU spelling): -hda/-hdb/-hdc/-hdd FILE,
 * -drive file=PATH[,if=ide][,format=raw][,index=N][,media=disk][,snapshot=on|off][,readonly=on|off][,cache=MODE],
 * and -snapshot; then opening the images. Index n is IDE channel n/2, unit n%2 (-hda = primary master).
 * Invariants: every bad spelling, unknown key, duplicate index, missing/unreadable file or badly sized image is
 * reported as one "pcjit: ..." line with exit status 2 (DRIVE_EXIT_USAGE) before the guest runs and before
 * anything is written.
 * Left out: media=cdrom (ATAPI, another issue), if=virtio/floppy, formats other than raw. */
#ifndef PCJIT_APP_DRIVE_H
#define PCJIT_APP_DRIVE_H
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include "blockdev.h"

enum { DRIVE_MAX = 4, DRIVE_EXIT_USAGE = 2 };

typedef struct DriveSpec {
    const char *opt;          /* the option as given, for messages; NULL = no drive at this index */
    char file[4096];
    int snapshot;             /* -1 unset (follows -snapshot), 0 off, 1 on */
    bool readonly;
    char cache[16];           /* accepted and noted: writes always go straight to the file */
} DriveSpec;

typedef struct DriveOptions {
    DriveSpec d[DRIVE_MAX];
    bool snapshot_all;        /* -snapshot */
    bool any;
} DriveOptions;

/* If argv[*i] is a disk option, parse it (and its argument, advancing *i) and return true; exit 2 on bad input. */
bool drive_parse_arg(DriveOptions *o, int argc, char **argv, int *i);
/* Open every requested image into bd[index] (unused slots are left closed, fd -1); exit 2 on failure (images
 * already opened are closed first). machine_pc tells whether there is an IDE controller to attach them to. */
void drive_open_all(const DriveOptions *o, bool machine_pc, BlockDev bd[DRIVE_MAX]);
void drive_close_all(BlockDev bd[DRIVE_MAX]);
/* -stats: per-disk sectors read/written and flushes, and the bytes device DMA moved. */
void drive_print_stats(FILE *f, const BlockDev bd[DRIVE_MAX], uint64_t dma_bytes);
/* The lines for usage(). */
extern const char drive_usage[];

#endif
