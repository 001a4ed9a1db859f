/* drive.c — the disk options (drive.h): -hdX FILE, -drive KEY=VALUE,..., -snapshot, and opening the images.
 * -drive follows QEMU's syntax: comma-separated key=value pairs, ",," inside a value is a literal comma (paths);
 * without index= a drive takes the lowest free index; cache= takes QEMU's modes (writeback, writethrough, none,
 * directsync, unsafe) and is only noted — pcjit writes each guest write to the file at once and fdatasyncs on the
 * guest's FLUSH CACHE and at exit, which is at least as safe as any of them. An explicit snapshot=off wins over
 * -snapshot.
 * Invariants: drive_parse_arg and drive_open_all print one "pcjit: " line and exit with status 2 on every error;
 * nothing is opened for writing before every image has passed its checks (they are opened in order and the ones
 * already open are closed on failure; opening does not write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drive.h"

const char drive_usage[] =
    "  -hda/-hdb/-hdc/-hdd FILE   raw disk image as IDE primary master/slave, secondary master/slave (-machine pc)\n"
    "  -drive file=PATH[,if=ide][,format=raw][,index=0-3][,media=disk][,snapshot=on|off][,readonly=on|off][,cache=MODE]\n"
    "  -snapshot             write to temporary overlays: the disk images are not changed\n";

static _Noreturn void drive_die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "pcjit: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(DRIVE_EXIT_USAGE);
}

static void drive_set_file(DriveSpec *d, const char *opt, const char *file)
{
    if (!*file)
        drive_die("%s: empty file name%s", opt, "");
    if (strlen(file) >= sizeof(d->file))
        drive_die("%s: file name too long%s", opt, "");
    strcpy(d->file, file);
}

static DriveSpec *drive_slot(DriveOptions *o, int index, const char *opt)
{
    if (o->d[index].opt)
        drive_die("%s: drive index %s is already in use", opt, (const char[]){ (char)('0' + index), 0 });
    DriveSpec *d = &o->d[index];
    memset(d, 0, sizeof(*d));
    d->opt = opt;
    d->snapshot = -1;
    o->any = true;
    return d;
}

static bool parse_onoff(const char *key, const char *v, const char *opt)
{
    if (strcmp(v, "on") == 0)
        return true;
    if (strcmp(v, "off") == 0)
        return false;
    drive_die("%s: %s must be on or off", opt, key);
}

/* Split "key=value,key=value" with ",," escapes into the next pair; returns false at the end. */
static bool next_pair(const char **p, char *key, size_t kcap, char *val, size_t vcap, const char *opt)
{
    const char *s = *p;
    if (!*s)
        return false;
    size_t k = 0, v = 0;
    while (*s && *s != '=' && *s != ',') {
        if (k + 1 >= kcap)
            drive_die("%s: option name too long near '%s'", opt, *p);
        key[k++] = *s++;
    }
    key[k] = 0;
    if (*s != '=')
        drive_die("%s: '%s' is not key=value", opt, key);
    s++;
    for (;;) {
        if (*s == ',' && s[1] == ',') {
            s++;                      /* ",," is a literal comma */
        } else if (*s == ',' || !*s) {
            break;
        }
        if (v + 1 >= vcap)
            drive_die("%s: value of %s too long", opt, key);
        val[v++] = *s++;
    }
    val[v] = 0;
    if (*s == ',') {
        s++;
        if (!*s)
            drive_die("%s: trailing comma%s", opt, "");
    }
    *p = s;
    return true;
}

static void drive_parse_spec(DriveOptions *o, const char *spec)
{
    static const char *caches[] = { "writeback", "writethrough", "none", "directsync", "unsafe" };
    DriveSpec tmp = { .snapshot = -1 };
    int index = -1;
    bool have_file = false;
    char key[32], val[4096];
    const char *p = spec;
    if (!*p)
        drive_die("-drive: empty argument (expected file=PATH,...)%s%s", "", "");
    while (next_pair(&p, key, sizeof(key), val, sizeof(val), "-drive")) {
        if (strcmp(key, "file") == 0) {
            drive_set_file(&tmp, "-drive", val);
            have_file = true;
        } else if (strcmp(key, "if") == 0) {
            if (strcmp(val, "ide") != 0)
                drive_die("-drive: if=%s is not supported (only if=ide)%s", val, "");
        } else if (strcmp(key, "format") == 0) {
            if (strcmp(val, "raw") != 0)
                drive_die("-drive: format=%s is not supported (only format=raw)%s", val, "");
        } else if (strcmp(key, "index") == 0) {
            if (!val[0] || val[1] || val[0] < '0' || val[0] > '3')
                drive_die("-drive: index=%s out of range (0-3)%s", val, "");
            index = val[0] - '0';
        } else if (strcmp(key, "media") == 0) {
            if (strcmp(val, "disk") != 0)
                drive_die("-drive: media=%s is not supported (only media=disk; no CD-ROM yet)%s", val, "");
        } else if (strcmp(key, "snapshot") == 0) {
            tmp.snapshot = parse_onoff("snapshot", val, "-drive");
        } else if (strcmp(key, "readonly") == 0) {
            tmp.readonly = parse_onoff("readonly", val, "-drive");
        } else if (strcmp(key, "cache") == 0) {
            size_t i;
            for (i = 0; i < sizeof(caches) / sizeof(caches[0]); i++)
                if (strcmp(val, caches[i]) == 0)
                    break;
            if (i == sizeof(caches) / sizeof(caches[0]))
                drive_die("-drive: unknown cache mode '%s' (writeback, writethrough, none, directsync, unsafe)%s",
                          val, "");
            strcpy(tmp.cache, caches[i]);
        } else {
            drive_die("-drive: unknown key '%s' (file, if, format, index, media, snapshot, readonly, cache)%s", key,
                      "");
        }
    }
    if (!have_file)
        drive_die("-drive: no file= given%s%s", "", "");
    if (index < 0)
        for (index = 0; index < DRIVE_MAX && o->d[index].opt; index++)
            ;
    if (index == DRIVE_MAX)
        drive_die("-drive: no free IDE index (at most 4 drives)%s%s", "", "");
    DriveSpec *d = drive_slot(o, index, "-drive");
    tmp.opt = d->opt;
    *d = tmp;
}

bool drive_parse_arg(DriveOptions *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (a[0] == '-' && a[1] == '-')
        a++;
    if (strcmp(a, "-snapshot") == 0) {
        o->snapshot_all = true;
        return true;
    }
    bool hd = strlen(a) == 4 && strncmp(a, "-hd", 3) == 0 && a[3] >= 'a' && a[3] <= 'd';
    if (!hd && strncmp(a, "-hd", 3) == 0)
        drive_die("unknown disk option '%s' (-hda, -hdb, -hdc, -hdd)%s", a, "");
    if (!hd && strcmp(a, "-drive") != 0)
        return false;
    if (*i + 1 >= argc)
        drive_die("option %s needs an argument%s", a, "");
    const char *arg = argv[++*i];
    if (hd) {
        static const char *names[] = { "-hda", "-hdb", "-hdc", "-hdd" };
        DriveSpec *d = drive_slot(o, a[3] - 'a', names[a[3] - 'a']);
        drive_set_file(d, d->opt, arg);
    } else {
        drive_parse_spec(o, arg);
    }
    return true;
}

void drive_open_all(const DriveOptions *o, bool machine_pc, BlockDev bd[DRIVE_MAX])
{
    memset(bd, 0, sizeof(BlockDev) * DRIVE_MAX);
    if (!o->any)
        return;
    if (!machine_pc) {
        fprintf(stderr, "pcjit: disks need the IDE controller of -machine pc\n");
        exit(DRIVE_EXIT_USAGE);
    }
    for (int n = 0; n < DRIVE_MAX; n++) {
        const DriveSpec *d = &o->d[n];
        if (!d->opt)
            continue;
        char err[4400];
        bool snapshot = d->snapshot >= 0 ? d->snapshot : o->snapshot_all;
        if (blockdev_open(&bd[n], d->file, d->readonly, snapshot, err, sizeof(err)) < 0) {
            drive_close_all(bd);
            fprintf(stderr, "pcjit: %s: %s\n", d->opt, err);
            exit(DRIVE_EXIT_USAGE);
        }
    }
}

void drive_close_all(BlockDev bd[DRIVE_MAX])
{
    for (int n = 0; n < DRIVE_MAX; n++)
        blockdev_close(&bd[n]);
}

void drive_print_stats(FILE *f, const BlockDev bd[DRIVE_MAX], uint64_t dma_bytes)
{
    for (int n = 0; n < DRIVE_MAX; n++)
        if (bd[n].open)
            fprintf(f, "  disk hd%c              %llu sectors read, %llu written, %llu flushes%s\n", 'a' + n,
                    (unsigned long long)bd[n].reads, (unsigned long long)bd[n].writes,
                    (unsigned long long)bd[n].flushes, bd[n].snapshot ? " (snapshot overlay)" : "");
    fprintf(f, "  device DMA           %llu bytes\n", (unsigned long long)dma_bytes);
}
