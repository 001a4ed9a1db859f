#!/bin/sh
# cli-errors.sh — the disk options' bad-input cases: each must exit with status 2 and one "pcjit: " message naming
# the problem, and no image may change. Then the good spellings must start the guest.
# The firmware is 4 KiB of HLT (0xF4): the reset vector halts with IF = 0, so a good command line ends at once
# with status 0 and the guest never touches the disks.
# Usage: cli-errors.sh PCJIT
pcjit=$1
dir=$(mktemp -d)
trap 'chmod -R u+w "$dir"; rm -rf "$dir"' EXIT
bios=$dir/hlt.rom
head -c 4096 /dev/zero | tr '\000' '\364' >"$bios"
good=$dir/good.img
dd if=/dev/zero of="$good" bs=512 count=64 2>/dev/null
printf 'KEEP' | dd of="$good" bs=1 seek=0 conv=notrunc 2>/dev/null
head -c 1000 /dev/zero >"$dir/odd.img"
: >"$dir/empty.img"
sum0=$(cksum <"$good")
fail=0
# expect_err "substring" args...
expect_err() {
    want=$1; shift
    "$pcjit" -bios "$bios" "$@" >"$dir/out" 2>&1 </dev/null
    rc=$?
    if [ "$rc" -ne 2 ] || ! grep -q "^pcjit: .*$want" "$dir/out"; then
        echo "FAIL [$*]: exit $rc, wanted 2 and a message with '$want':"; sed 's/^/    /' "$dir/out"; fail=1
    else
        echo "ok [$*]: $(grep '^pcjit: ' "$dir/out" | head -1)"
    fi
}
expect_run() {
    "$pcjit" -bios "$bios" "$@" >"$dir/out" 2>&1 </dev/null
    rc=$?
    if [ "$rc" -ne 0 ] || ! grep -q "CPU halted" "$dir/out"; then
        echo "FAIL [$*]: exit $rc, wanted 0 (ran to the HLT)"; sed 's/^/    /' "$dir/out"; fail=1
    else echo "ok [$*]: runs"; fi
}
M="-machine pc -serial none"
expect_err "cannot open disk image '$dir/missing.img'" $M -hda "$dir/missing.img"
expect_err "1000 bytes: a raw image must be a nonzero multiple of 512" $M -hda "$dir/odd.img"
expect_err "0 bytes: a raw image must be a nonzero multiple of 512" $M -hdb "$dir/empty.img"
expect_err "format=qcow2 is not supported" $M -drive "file=$good,format=qcow2"
expect_err "unknown key 'bogus'" $M -drive "file=$good,bogus=1"
expect_err "snapshot must be on or off" $M -drive "file=$good,snapshot=maybe"
expect_err "readonly must be on or off" $M -drive "file=$good,readonly=yes"
expect_err "index=7 out of range" $M -drive "file=$good,index=7"
expect_err "if=scsi is not supported" $M -drive "file=$good,if=scsi"
expect_err "media=cdrom is not supported" $M -drive "file=$good,media=cdrom"
expect_err "unknown cache mode 'sometimes'" $M -drive "file=$good,cache=sometimes"
expect_err "no file= given" $M -drive "if=ide,index=1"
expect_err "'index' is not key=value" $M -drive "file=$good,index"
expect_err "trailing comma" $M -drive "file=$good,"
expect_err "drive index 0 is already in use" $M -hda "$good" -drive "file=$good,index=0"
expect_err "unknown disk option '-hde'" $M -hde "$good"
expect_err "option -hda needs an argument" $M -hda
expect_err "disks need the IDE controller of -machine pc" -machine none -hda "$good"
expect_err "cannot open disk image '$dir/missing.img'" $M -hda "$good" -hdc "$dir/missing.img"
if [ "$(id -u)" -ne 0 ]; then                    # root may write any file: this case needs a normal user
    chmod a-w "$good"
    expect_err "for writing" $M -hda "$good"
    expect_run $M -drive "file=$good,readonly=on"
    chmod u+w "$good"
fi
expect_run $M -hda "$good"
expect_run $M -drive "file=$good,if=ide,format=raw,index=3,media=disk,snapshot=on,readonly=off,cache=none"
expect_run $M -drive "file=$good,readonly=on" -snapshot
cp "$good" "$dir/comma,name.img"
expect_run $M -drive "file=$dir/comma,,name.img"
# the rest of the command line: kernels, options, files the guest would write
printf 'not a kernel' >"$dir/junk.bin"
expect_err "cannot open kernel '$dir/nokernel'" $M -kernel "$dir/nokernel"
expect_err "neither a Linux bzImage nor a multiboot image" $M -kernel "$dir/junk.bin"
expect_err "cannot open initrd '$dir/noinitrd'" $M -kernel "$dir/junk.bin" -initrd "$dir/noinitrd"
expect_err "-initrd and -append need -kernel" $M -append "console=ttyS0"
expect_err "unknown option '-frobnicate'" $M -frobnicate
expect_err "option -m needs an argument" -m
expect_err "bad number for -m" -m lots
expect_err "-boot d: only c" $M -boot d
expect_err "unknown accelerator 'kvm'" -accel kvm
expect_err "cannot open firmware '$dir/nobios'" -bios "$dir/nobios" -machine none
expect_err "-kernel needs -machine pc" -machine none -kernel "$dir/junk.bin"
[ ! -e "$dir/serial.out" ] || { echo "FAIL a refused command line created its output file"; fail=1; }
expect_err "neither a Linux bzImage" $M -serial "file:$dir/serial.out" -kernel "$dir/junk.bin"
[ ! -e "$dir/serial.out" ] || { echo "FAIL a refused command line created its serial file"; fail=1; }
[ "$(cksum <"$good")" = "$sum0" ] || { echo "FAIL an image changed"; fail=1; }
[ "$fail" -eq 0 ] && echo "PASS"
exit $fail
