/* bus.h — the board the CPU sees: guest RAM, the firmware ROM, port I/O and MMIO dispatch, the interrupt line.
 * Every device registers its ports/regions here with the same callback shape (opaque pointer first).
 * Invariants: RAM is one host buffer [0, ram_size); addresses not claimed by RAM, ROM or a region read as all ones
 * and ignore writes (logged once per address); port accesses never reach a device outside its registered range.
 * Left out: the devices themselves (one file each in devices/), PCI (its own file). */
#ifndef PCJIT_BUS_H
#define PCJIT_BUS_H
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include "irq.h"

/* addr is relative to the registered region's base (port - base, or physical address - base). */
typedef uint32_t (*BusReadFn)(void *opaque, uint32_t addr, int size);
typedef void (*BusWriteFn)(void *opaque, uint32_t addr, uint32_t val, int size);

typedef struct BusRegion {
    uint32_t base, size;
    BusReadFn read;
    BusWriteFn write;
    void *opaque;
    const char *name;
} BusRegion;

enum { BUS_MAX_PORT_REGIONS = 128, BUS_MAX_MMIO = 32 };

typedef struct Machine {
    struct CpuState *cpu;
    uint8_t *ram;
    uint32_t ram_size;
    const uint8_t *rom;          /* firmware image, mapped at 4 GiB - rom_size (read-only) */
    uint32_t rom_size;
    BusRegion ports[BUS_MAX_PORT_REGIONS];
    int nports;
    uint8_t port_map[65536];     /* port -> index+1 in ports[], 0 = unassigned */
    BusRegion mmio[BUS_MAX_MMIO];
    int nmmio;
    /* interrupt controller hook: returns the vector of the highest pending interrupt and acknowledges it */
    int (*intr_ack)(void *opaque);
    void *intr_opaque;
    /* the CPU's FERR# output (x87 error with CR0.NE = 0, SDM vol 1 D.2): the PC board routes it to IRQ13;
     * unconnected (no handler) on a bare machine */
    IrqLine ferr;
    /* machine-level requests raised by devices or the CPU */
    bool exit_requested;         /* stop the run loop (isa-debug-exit, power off) */
    int exit_code;
    bool reset_requested;        /* triple fault or reset line */
    bool reset_on_triple_fault;  /* else a triple fault stops the machine (shutdown) */
    FILE *debugcon;              /* port 0xE9 output, or NULL */
    /* Device DMA wrote guest RAM [pa, pa+len) (bus_dma_write): the board invalidates the translated code there
     * (pc.c: tb_invalidate_phys) — the one place dirty-page tracking for snapshots will hook too. NULL on a
     * machine without translated code. Called before bus_dma_write returns, never during a CPU store. */
    void (*dma_ram_written)(void *opaque, uint32_t pa, uint32_t len);
    /* Shadow RAM control of 0xC0000-0xFFFFF (the PC board: the i440FX PAM registers): bit 0 = reads go to RAM,
     * bit 1 = writes go to RAM, for the segment holding pa. Reads not from RAM see the ROM's low alias
     * (0xE0000-0xFFFFF: the ROM's last 128 KiB) or nothing (0xC0000-0xDFFFF: no option ROMs); writes not to RAM are
     * dropped. NULL (a bare machine): the whole window is RAM, preloaded with the ROM by bus_reset. */
    int (*pam_attr)(void *opaque, uint32_t pa);
    void *pam_opaque;
    void *dma_opaque;
    uint64_t dma_bytes;          /* bytes moved by device DMA, for -stats */
    struct Clock *clock;         /* virtual time (devices/clock.h) the exec loop services, or NULL (no devices) */
    uint64_t io_accesses, mmio_accesses; /* counters for -stats */
} Machine;

void bus_init(Machine *m, uint32_t ram_size);
void bus_free(Machine *m);
/* After m->rom is set and on every machine reset: copy the ROM's last 128 KiB into RAM at 0xE0000-0xFFFFF (the
 * firmware's real-mode view on a bare machine; with pam_attr the copy only sits in the RAM beneath the ROM). */
void bus_reset(Machine *m);
int bus_register_io(Machine *m, uint32_t port, uint32_t count, BusReadFn rd, BusWriteFn wr, void *opaque,
                    const char *name);
int bus_register_mmio(Machine *m, uint32_t base, uint32_t size, BusReadFn rd, BusWriteFn wr, void *opaque,
                      const char *name);
/* Remove the region registered at exactly (port, count) / (base, size) (PCI BARs move); -1 if there is none.
 * A freed port slot is reused by the next bus_register_io. */
int bus_unregister_io(Machine *m, uint32_t port, uint32_t count);
int bus_unregister_mmio(Machine *m, uint32_t base, uint32_t size);
uint32_t bus_io_read(Machine *m, uint32_t port, int size);
void bus_io_write(Machine *m, uint32_t port, uint32_t val, int size);
/* Physical memory: RAM, ROM, MMIO. size 1, 2 or 4; may straddle nothing (callers split at page boundaries). */
uint32_t bus_phys_read(Machine *m, uint32_t pa, int size);
void bus_phys_write(Machine *m, uint32_t pa, uint32_t val, int size);
/* Host pointer for a RAM or ROM physical page, or NULL for MMIO/unassigned. writable tells whether stores may go
 * straight to it (RAM: yes; ROM: no). */
uint8_t *bus_phys_ptr(Machine *m, uint32_t pa, bool *writable);
/* Device DMA (a PCI bus master): len bytes at physical address pa, which is not masked by A20 (the gate only
 * affects the CPU) and wraps at 4 GiB. RAM is copied directly; MMIO regions get byte accesses; ROM is read and
 * ignores writes; unassigned addresses read as 0xFF and drop writes. Returns 0, or -1 if any byte reached no
 * target (a PCI master abort: the device reports it). Writes to RAM call dma_ram_written. */
int bus_dma_read(Machine *m, uint32_t pa, void *buf, uint32_t len);
int bus_dma_write(Machine *m, uint32_t pa, const void *buf, uint32_t len);
/* Raise/lower the CPU's INTR line (level); the CPU calls intr_ack when it accepts it. */
void bus_set_intr(Machine *m, bool level);

#endif
