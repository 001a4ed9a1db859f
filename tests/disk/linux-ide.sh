#!/bin/sh
# linux-ide.sh — the oracle beyond ourselves: Debian's Linux 6.1 (686) drives our IDE with its own ata_piix.
# Builds a SYSLINUX FAT hard disk (mkfs.fat, syslinux, mcopy) holding the guestkit kernel and initrd, boots it
# with SeaBIOS on -machine pc with the guestkit 64 MiB data disk as -hdb (snapshot), runs only the ide-probe and
# disk-ide workloads, and requires "RESULT disk-ide bytes=67108864 crc32=bfc38563" (the guestkit's expected
# value: every byte read through bus-master DMA) and exit status 0 (ACPI S5 power-off). -icount 4 makes the run
# deterministic (the same instructions and device timings every time).
# Usage: linux-ide.sh PCJIT BIOS VMLINUZ INITRD DISK64
pcjit=$1; bios=$2; kernel=$3; initrd=$4; disk=$5
for t in mkfs.fat syslinux mcopy; do command -v $t >/dev/null || { echo "[linux-ide] needs $t"; exit 1; }; done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
img=$dir/boot.img
mkfs.fat -C "$img" 32768 >/dev/null && syslinux --install "$img" || { echo "[linux-ide] cannot make the boot disk"; exit 1; }
cat >"$dir/syslinux.cfg" <<CFG
DEFAULT linux
PROMPT 0
LABEL linux
  KERNEL vmlinuz
  APPEND initrd=initrd.gz console=ttyS0,115200 panic=-1 mitigations=off cryptomgr.notests=1 noisapnp gk.only=ide-probe,disk-ide
CFG
mcopy -i "$img" "$dir/syslinux.cfg" ::syslinux.cfg && mcopy -i "$img" "$kernel" ::vmlinuz &&
    mcopy -i "$img" "$initrd" ::initrd.gz || { echo "[linux-ide] mcopy failed"; exit 1; }
"$pcjit" -bios "$bios" -machine pc -m 256 -icount 4 -hda "$img" -drive "file=$disk,index=1,snapshot=on" \
    -serial "file:$dir/console" -no-reboot -stats >"$dir/err" 2>&1 </dev/null
rc=$?
grep -a -E "ata[0-9]|GUESTKIT|RESULT|S5|Power down" "$dir/console"
grep -E "disk hd|device DMA|run time" "$dir/err"
echo "[linux-ide] exit code $rc"
fail=0
[ "$rc" -eq 0 ] || { echo "[linux-ide] expected exit 0 (ACPI power-off)"; tail -20 "$dir/console"; fail=1; }
grep -a -q "RESULT disk-ide bytes=67108864 crc32=bfc38563" "$dir/console" || { echo "[linux-ide] no or wrong RESULT"; fail=1; }
grep -a -q "ata1.00: ATA-6: PCJIT HARDDISK" "$dir/console" || { echo "[linux-ide] ata_piix did not see the disk"; fail=1; }
[ "$fail" -eq 0 ] && echo "[linux-ide] ok"
exit $fail
