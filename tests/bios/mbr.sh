#!/bin/sh
# mbr.sh — the disk engineers' tests/disk/mbr.asm (INT 13h 42h read, 43h write, 02h CHS read-back, results on
# port 0x402, then ACPI soft off) booted by our firmware from a 1 MiB image: passes if every step printed ok, the
# machine powered off (exit status 0) and the write is in the image file (LBA 5 = the boot sector).
# Usage: mbr.sh PCJIT BIOS MBR [pcjit options...]
pcjit=$1; bios=$2; mbr=$3; shift 3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/boot.img
dd if=/dev/zero of="$img" bs=512 count=2048 2>/dev/null
dd if="$mbr" of="$img" conv=notrunc 2>/dev/null
printf 'SEC1' | dd of="$img" bs=1 seek=512 conv=notrunc 2>/dev/null
"$pcjit" -bios "$bios" -machine pc -serial stdio -hda "$img" -device isa-debugcon,iobase=0x402 \
    -debugcon "file:$dir/dbg" -no-reboot -max-insns 2000000000 "$@" >"$dir/out" 2>&1 </dev/null
rc=$?
cat "$dir/out" "$dir/dbg"
echo "[mbr] exit code $rc"
fail=0
[ "$rc" -eq 0 ] || { echo "[mbr] expected exit 0 (ACPI soft off)"; fail=1; }
for want in "pcjit BIOS: booting from hard disk 80h" "MBR: booted" "MBR: INT13 42h read ok" \
            "MBR: INT13 43h write ok" "MBR: INT13 02h CHS read-back ok"; do
    grep -a -q -F "$want" "$dir/out" "$dir/dbg" || { echo "[mbr] missing: $want"; fail=1; }
done
a=$(dd if="$img" bs=512 skip=5 count=1 2>/dev/null | head -c 64 | od -An -tx1)
b=$(head -c 64 "$mbr" | od -An -tx1)
[ -n "$a" ] && [ "$a" = "$b" ] || { echo "[mbr] LBA 5 not in the image"; fail=1; }
[ "$fail" -eq 0 ] && echo "[mbr] ok"
exit $fail
