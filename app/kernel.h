/* kernel.h — -kernel/-initrd/-append: check what the user gave and hand it to the firmware through fw_cfg.
 * The guest's firmware (bios/ or any firmware that speaks QEMU's fw_cfg) does the loading; this side only validates
 * the files and publishes them, so a bad kernel is a clear host-side error before the guest runs.
 * Left out: multiboot modules beyond the one -initrd file. */
#ifndef PCJIT_KERNEL_H
#define PCJIT_KERNEL_H
#include <stddef.h>
#include "fw_cfg.h"

typedef enum { KERNEL_BZIMAGE, KERNEL_MULTIBOOT } KernelKind;

/* Read kernel (and initrd, if not NULL), validate them, and add the FW_CFG_* kernel items: a bzImage is split as
 * QEMU splits it (SETUP_* = the real-mode part, KERNEL_* = the protected-mode part); a multiboot kernel is given
 * whole as KERNEL_DATA with SETUP_SIZE 0. cmdline may be NULL (empty). Returns 0, or -1 with a message in err. */
int kernel_publish(FwCfg *f, const char *kernel, const char *initrd, const char *cmdline, uint32_t ram_size,
                   KernelKind *kind, char *err, size_t errlen);

#endif
