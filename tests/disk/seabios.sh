#!/bin/sh
# seabios.sh — a real firmware's view of the disk: SeaBIOS on -machine pc -hda IMG probes the ATA disk (its
# IDENTIFY parser prints "ata0-0: PCJIT HARDDISK ATA-6 Hard-Disk (1 MiBytes)" on the debug port), boots
# tests/disk/mbr.asm from it, whose INT 13h reads/writes go through SeaBIOS's ATA driver to our IDE model, and
# powers off through ACPI (exit status 0). The write must be in the image file afterwards.
# Usage: seabios.sh PCJIT BIOS MBR
pcjit=$1; bios=$2; mbr=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/boot.img
dd if=/dev/zero of="$img" bs=512 count=2048 2>/dev/null
dd if="$mbr" of="$img" conv=notrunc 2>/dev/null
printf 'SEC1' | dd of="$img" bs=1 seek=512 conv=notrunc 2>/dev/null
"$pcjit" -bios "$bios" -machine pc -serial none -hda "$img" -device isa-debugcon,iobase=0x402 \
    -debugcon "file:$dir/dbg" -no-reboot -max-insns 2000000000 >"$dir/out" 2>&1 </dev/null
rc=$?
grep -a -E "ata0|MBR|Boot|boot" "$dir/dbg"
echo "[seabios] exit code $rc"
fail=0
[ "$rc" -eq 0 ] || { echo "[seabios] expected exit 0 (ACPI soft off)"; cat "$dir/out"; fail=1; }
for want in "ata0-0: PCJIT HARDDISK ATA-6 Hard-Disk (1 MiBytes)" "MBR: booted" "MBR: INT13 42h read ok" \
            "MBR: INT13 43h write ok" "MBR: INT13 02h CHS read-back ok"; do
    grep -a -q -F "$want" "$dir/dbg" || { echo "[seabios] missing: $want"; fail=1; }
done
# LBA 5 holds the boot sector as it was in memory (its code unchanged; its variables written)
a=$(dd if="$img" bs=512 skip=5 count=1 2>/dev/null | head -c 64 | od -An -tx1)
b=$(head -c 64 "$mbr" | od -An -tx1)
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "[seabios] LBA 5 not in the image"; fail=1; }
[ "$fail" -eq 0 ] && echo "[seabios] ok"
exit $fail
