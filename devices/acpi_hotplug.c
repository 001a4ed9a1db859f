/* acpi_hotplug.c — QEMU's PIIX4 hotplug registers with nothing ever hot-plugged (acpi_hotplug.h).
 * PCI block (offsets from 0xAE00, dwords): 00h PCIU slots inserted, 04h PCID slots to remove, 08h B0EJ eject
 * (write), 0Ch PCRMV removable slots, 10h BNUM bus selector — all read 0. CPU block (0xAF00, 32 bytes): bit n =
 * CPU n present; CPU 0 only.
 * Invariants: no state; reads never change anything. */
#include <stdio.h>
#include "acpi_hotplug.h"

static uint32_t pcihp_read(void *opaque, uint32_t addr, int size)
{
    return 0;
}

static void pcihp_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
    static bool logged;
    if (addr >= 8 && addr < 12 && val && !logged) {
        logged = true;
        fprintf(stderr, "pcjit: acpi-hotplug: eject request for slots 0x%x ignored (nothing is hot-pluggable)\n",
                val);
    }
}

static uint32_t cpuhp_read(void *opaque, uint32_t addr, int size)
{
    return addr == 0 ? 0x01 : 0;    /* bit 0 of byte 0: CPU 0; wider reads see the other bytes as 0 */
}

static void cpuhp_write(void *opaque, uint32_t addr, uint32_t val, int size)
{
}

int acpi_hotplug_attach(Machine *m)
{
    if (bus_register_io(m, ACPI_PCIHP_BASE, ACPI_PCIHP_SIZE, pcihp_read, pcihp_write, NULL, "acpi-pcihp") < 0 ||
        bus_register_io(m, ACPI_CPUHP_BASE, ACPI_CPUHP_SIZE, cpuhp_read, cpuhp_write, NULL, "acpi-cpuhp") < 0)
        return -1;
    return 0;
}
