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
# the commands are typed once the guest's /init has said it is ready (input that arrives while the kernel resets
# the UART is lost, as on a real serial line); then the guest must power off by itself
python3 - "$lg" "$tmp/disk.img" "$tmp/out" "$pcjit" <<'PY'
import os, subprocess, sys, time
lg, disk, out, pcjit = sys.argv[1:5]
log = open(out, "wb")
p = subprocess.Popen([lg, "-hda", disk], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                     env=dict(os.environ, PCJIT=pcjit))
buf, t0, sent = b"", time.monotonic(), False
cmds = b'echo ANSWER-$((6*7))\ngrep -m1 "model name" /proc/cpuinfo\n' \
       b'echo PCJIT-SECTOR-OK | dd of=/dev/sda bs=512 seek=7 conv=sync 2>/dev/null; sync; echo WROTE\npoweroff -f\n'
os.set_blocking(p.stdout.fileno(), False)
while p.poll() is None and time.monotonic() - t0 < 280:
    try:
        chunk = os.read(p.stdout.fileno(), 65536)
    except BlockingIOError:
        chunk = None
    if chunk:
        buf += chunk
        log.write(chunk)
        log.flush()
        if not sent and b"to switch the machine off" in buf:
            time.sleep(1)
            p.stdin.write(cmds)
            p.stdin.flush()
            sent = True
    else:
        time.sleep(0.05)
if p.poll() is None:
    p.kill()
rest = p.stdout.read() if p.stdout else b""
log.write(rest or b"")
sys.exit(p.wait() & 0xff)
PY
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
