/* device.h — the shape every device in devices/ shares, and the snapshot helpers they use.
 * Each device is: a state struct whose guest-visible registers sit in one plain-data member `s` (no pointers),
 * <dev>_init (wires ports, IRQ lines and the clock passed in — never globals), <dev>_reset, the port/MMIO callbacks
 * (BusReadFn/BusWriteFn), and <dev>_save/<dev>_load, which copy `s` with a tag and a size so a snapshot taken by a
 * different build is refused rather than misread. After a load the device recomputes its outputs and timers.
 * Left out: the snapshot file format itself (app/). */
#ifndef PCJIT_DEVICE_H
#define PCJIT_DEVICE_H
#include <stdint.h>
#include <stddef.h>
#include <string.h>

typedef struct DevBlobHeader {
    uint32_t tag;       /* four characters naming the device */
    uint32_t size;      /* sizeof the state that follows */
} DevBlobHeader;

#define DEV_TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* Bytes written to buf (header + state), or 0 if cap is too small. */
static inline size_t dev_save_blob(uint32_t tag, const void *state, size_t size, uint8_t *buf, size_t cap)
{
    DevBlobHeader h = { tag, (uint32_t)size };
    if (cap < sizeof(h) + size)
        return 0;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), state, size);
    return sizeof(h) + size;
}

/* 0 on success; -1 if the blob is not this device's state of this size (state left untouched). */
static inline int dev_load_blob(uint32_t tag, void *state, size_t size, const uint8_t *buf, size_t len)
{
    DevBlobHeader h;
    if (len != sizeof(h) + size)
        return -1;
    memcpy(&h, buf, sizeof(h));
    if (h.tag != tag || h.size != size)
        return -1;
    memcpy(state, buf + sizeof(h), size);
    return 0;
}

#endif
