/* fw_cfg.h — the firmware configuration device of QEMU's PC board (QEMU docs/specs/fw_cfg.rst), which is how
 * SeaBIOS and our bios/ learn what the host was asked to boot: a selector register (port 0x510, 16-bit), a data
 * register (0x511, one byte per read), and the DMA interface (0x514: the guest writes the physical address of an
 * FWCfgDmaAccess as two big-endian 32-bit halves, high at 0x514, low at 0x518; the low write starts the transfer).
 * Items are numbered as QEMU numbers them (FW_CFG_*), named files get selectors from 0x20 up and are listed in the
 * file directory (0x19), sorted by name as QEMU lists them.
 * Invariants: the device only reads item data and writes guest RAM through bus_dma_write (every page bounds-checked,
 * translated code invalidated); an access past an item's end reads 0; the guest cannot write items (the write
 * control bit reports an error, as for QEMU's read-only items).
 * Left out: writable items (QEMU's etc/ for ACPI/SMBIOS patching), the MMIO variant (other architectures). */
#ifndef PCJIT_FW_CFG_H
#define PCJIT_FW_CFG_H
#include <stdint.h>
#include <stddef.h>
#include "bus.h"

enum {
    FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_UUID = 0x02, FW_CFG_RAM_SIZE = 0x03, FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05, FW_CFG_MACHINE_ID = 0x06, FW_CFG_KERNEL_ADDR = 0x07, FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09, FW_CFG_INITRD_ADDR = 0x0a, FW_CFG_INITRD_SIZE = 0x0b, FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d, FW_CFG_BOOT_MENU = 0x0e, FW_CFG_MAX_CPUS = 0x0f, FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12, FW_CFG_CMDLINE_ADDR = 0x13, FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15, FW_CFG_SETUP_ADDR = 0x16, FW_CFG_SETUP_SIZE = 0x17, FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19, FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_MAX_ITEMS = 0x60,            /* fixed items + files */
    FW_CFG_PORT_SEL = 0x510, FW_CFG_PORT_DATA = 0x511, FW_CFG_PORT_DMA = 0x514,
    FW_CFG_VERSION_TRADITIONAL = 1, FW_CFG_VERSION_DMA = 2,
    /* FWCfgDmaAccess.control bits */
    FW_CFG_DMA_ERROR = 0x01, FW_CFG_DMA_READ = 0x02, FW_CFG_DMA_SKIP = 0x04, FW_CFG_DMA_SELECT = 0x08,
    FW_CFG_DMA_WRITE = 0x10,
    FW_CFG_NAME_MAX = 56,
};

typedef struct FwCfgItem {
    uint8_t *data;                  /* owned copy */
    uint32_t len;
    char name[FW_CFG_NAME_MAX];     /* files only */
} FwCfgItem;

typedef struct FwCfgState {         /* the guest-visible registers (snapshot blob) */
    uint16_t selector;
    uint32_t offset;                /* read position in the selected item */
    uint32_t dma_addr_hi;
} FwCfgState;

typedef struct FwCfg {
    FwCfgState s;
    Machine *m;
    FwCfgItem item[FW_CFG_MAX_ITEMS];
    int nfiles;
    uint64_t dma_transfers;         /* counters for -stats / tests */
} FwCfg;

void fw_cfg_init(FwCfg *f, Machine *m);
void fw_cfg_free(FwCfg *f);
void fw_cfg_reset(FwCfg *f);
int fw_cfg_attach(FwCfg *f);
/* Set a numbered item (copies data); -1 if key is out of range or memory runs out. */
int fw_cfg_add_bytes(FwCfg *f, uint16_t key, const void *data, uint32_t len);
int fw_cfg_add_i16(FwCfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_i32(FwCfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_i64(FwCfg *f, uint16_t key, uint64_t v);
/* Add (or replace) a named file; returns its selector, or -1 (name too long, directory full, no memory). */
int fw_cfg_add_file(FwCfg *f, const char *name, const void *data, uint32_t len);
size_t fw_cfg_save(const FwCfg *f, uint8_t *buf, size_t cap);
int fw_cfg_load(FwCfg *f, const uint8_t *buf, size_t len);

#endif
