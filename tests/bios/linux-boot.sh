#!/bin/sh
# linux-boot.sh — run an emulator that boots the guestkit Linux (serial on stdout) and pass only if the kernel
# came up with our firmware and powered the machine off through ACPI: the POST line, "GUESTKIT BOOT-OK",
# "reboot: Power down", exit status 0, and no "ACPI BIOS Error" / "ACPI Error" / checksum complaints.
# Usage: linux-boot.sh EMULATOR ARGS...
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1 </dev/null
rc=$?
cat "$out"
echo "[linux-boot] emulator exit code $rc"
ok=1
for want in 'pcjit BIOS: ' 'GUESTKIT BOOT-OK' 'reboot: Power down'; do
    grep -q "$want" "$out" || { echo "[linux-boot] missing: $want"; ok=0; }
done
if grep -E -q 'ACPI BIOS Error|ACPI Error|Incorrect checksum|Kernel panic' "$out"; then
    echo "[linux-boot] the kernel complained about the firmware"
    ok=0
fi
[ "$rc" -eq 0 ] || ok=0
[ $ok -eq 1 ] && exit 0
exit 1
