/* acpi_hotplug.h — the hotplug registers QEMU's PC adds next to the PIIX4 PM function, as the ACPI tables SeaBIOS
 * builds for a PIIX4 machine use them (SeaBIOS src/fw/acpi-dsdt.dsl and ssdt-pcihp: PCIU/PCID/B0EJ/PCRMV, and the
 * CPU-present bitmap PRS): PCI hotplug at 0xAE00-0xAE13, CPU hotplug at 0xAF00-0xAF1F.
 * pcjit hot-plugs nothing, so the block says so: no slot came up or is to be removed, no slot is removable, the
 * bus selector reads 0, an eject request is logged once and ignored, and the only CPU present is CPU 0. Without
 * this block the ports read all ones — "every slot is being removed" — and SeaBIOS's _E01/PCNT method has Linux
 * eject the chipset's own functions (observed: /sys/bus/pci held only 00:00.0 and ata_piix found no controller).
 * Left out: actual hotplug (no device can come or go at run time). */
#ifndef PCJIT_ACPI_HOTPLUG_H
#define PCJIT_ACPI_HOTPLUG_H
#include "bus.h"

enum { ACPI_PCIHP_BASE = 0xae00, ACPI_PCIHP_SIZE = 0x14, ACPI_CPUHP_BASE = 0xaf00, ACPI_CPUHP_SIZE = 0x20 };

/* Claim both blocks on m; -1 if a port is taken. */
int acpi_hotplug_attach(Machine *m);

#endif
