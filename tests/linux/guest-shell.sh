#!/bin/sh
# guest-shell.sh LINUX_GUEST PCJIT — the README's main job, checked: build tools/linux-guest's guest (Debian's
# kernel and busybox; exit 77 = skipped when Debian's archive cannot be reached), boot it with a scratch disk as
# -hda, type commands into its serial shell, and pass only if the guest answered them (arithmetic, the CPU model,
# a sector written to /dev/sda), powered off with exit status 0, and the sector reached the image file.
lg=$1; pcjit=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$lg" --build-only > "$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    grep -q -E "apt-get download|cannot resolve|package lists" "$tmp/build.log" && { echo "[guest-shell] skipped: no Debian archive"; exit 77; }
    exit 1
fi
truncate -s 1M "$tmp/disk.img"
# commands arrive after the shell is up (the UART has a 16-byte FIFO, the kernel's buffer takes the rest)
{ sleep 1; printf 'echo ANSWER-$((6*7))\n'; printf 'grep -m1 "model name" /proc/cpuinfo\n'
  printf 'echo PCJIT-SECTOR-OK | dd of=/dev/sda bs=512 seek=7 conv=sync 2>/dev/null; sync; echo WROTE\n'
  printf 'poweroff -f\n'; sleep 600; } | PCJIT=$pcjit timeout 300 "$lg" -hda "$tmp/disk.img" > "$tmp/out" 2>&1
rc=$?
grep -v '^pcjit: bus' "$tmp/out" | tail -n 15
ok=1
for want in 'ANSWER-42' 'model name.*Pentium' 'WROTE' 'reboot: Power down'; do
    grep -q "$want" "$tmp/out" || { echo "[guest-shell] missing: $want"; ok=0; }
done
[ "$rc" -eq 0 ] || { echo "[guest-shell] exit status $rc, wanted 0 (ACPI power-off)"; ok=0; }
dd if="$tmp/disk.img" bs=512 skip=7 count=1 2>/dev/null | grep -q PCJIT-SECTOR-OK || { echo "[guest-shell] the sector is not in the image"; ok=0; }
[ $ok -eq 1 ] && echo "[guest-shell] PASS" && exit 0
exit 1
