#!/bin/sh
# run-disk.sh — run tests/disk/pc_ide.asm against a fresh disk image and check what reached the image file.
# Usage: run-disk.sh write|snapshot -- EMULATOR ARGS...   (the script appends the drive options)
# The image (2048 sectors) holds the markers "SEC1"/"SEC2" at the start of sectors 1 and 2. The guest prints
# "ok"/"FAIL" lines and "PASS", then powers off through ACPI: the emulator must exit 0. Afterwards:
#   write:    sector 5 is 512 bytes of A5h and sector 6 begins 00 00 60 00 (the guest's PIO and DMA writes);
#   snapshot: the image is byte-identical to what it was (the writes went to the overlay).
mode=$1; shift
[ "$1" = "--" ] && shift
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/disk.img
dd if=/dev/zero of="$img" bs=512 count=2048 2>/dev/null
printf 'SEC1' | dd of="$img" bs=1 seek=512 conv=notrunc 2>/dev/null
printf 'SEC2' | dd of="$img" bs=1 seek=1024 conv=notrunc 2>/dev/null
cp "$img" "$dir/orig.img"
extra=""
[ "$mode" = "snapshot" ] && extra="-snapshot"
"$@" -drive "file=$img,format=raw,if=ide,index=0" $extra >"$dir/out" 2>&1 </dev/null
rc=$?
cat "$dir/out"
echo "[run-disk] emulator exit code $rc"
fail=0
[ "$rc" -eq 0 ] || { echo "[run-disk] expected exit 0 (ACPI soft off)"; fail=1; }
grep -q '^PASS$' "$dir/out" || { echo "[run-disk] no PASS"; fail=1; }
if grep -q '^FAIL' "$dir/out"; then echo "[run-disk] a check failed"; fail=1; fi
s5=$(dd if="$img" bs=512 skip=5 count=1 2>/dev/null | od -An -v -tx1 | tr -d ' \n')
s6=$(dd if="$img" bs=1 skip=3072 count=4 2>/dev/null | od -An -tx1 | tr -d ' \n')
a5=$(printf 'a5%.0s' $(seq 512))
if [ "$mode" = "snapshot" ]; then
    cmp -s "$img" "$dir/orig.img" || { echo "[run-disk] snapshot: the image file changed"; fail=1; }
else
    [ "$s5" = "$a5" ] || { echo "[run-disk] sector 5 not in the image file"; fail=1; }
    [ "$s6" = "00006000" ] || { echo "[run-disk] sector 6 not in the image file: $s6"; fail=1; }
fi
[ "$fail" -eq 0 ] && echo "[run-disk] ok"
exit $fail
