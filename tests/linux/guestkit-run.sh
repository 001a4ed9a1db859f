#!/bin/sh
# guestkit-run.sh OUT "WORKLOADS" -- EMULATOR ARGS... — boot the guestkit Linux under EMULATOR (serial console on
# stdout), time it with guestkit's timeline, and pass only if every workload named in WORKLOADS reported its
# RESULT and it equals OUT/expected.txt, the guest reached DONE, and the emulator then exited by itself with
# status 0 (the guest's `poweroff -f`, ACPI S5). Prints timeline's table (boot time, per-workload seconds).
out=$1; want=$2; shift 2
[ "$1" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
gk=${GUESTKIT_DIR:-$here/../../../shared/guestkit}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$gk/timeline" --quiet --timeout 900 --grace 20 --expect "$out/expected.txt" --json "$tmp/run.json" \
    --log "$tmp/console" -- sh -c '"$@"; echo "GUESTKIT-EMULATOR-EXIT $?"' sh "$@"
grep -v "^pcjit: bus" "$tmp/console" | tail -n 60
python3 - "$tmp/run.json" "$tmp/console" "$want" <<'PY'
import json, sys
run = json.loads(open(sys.argv[1]).read().splitlines()[-1])
console = open(sys.argv[2], errors="replace").read()
bad = []
for w in sys.argv[3].split():
    if run["check"].get(w) != "ok":
        bad.append("%s: %s" % (w, run["check"].get(w, "no expected result")))
if "done" not in run["times"]:
    bad.append("no GUESTKIT DONE")
if "exit" not in run["times"]:
    bad.append("the emulator did not exit by itself after DONE (no power-off)")
if "GUESTKIT-EMULATOR-EXIT 0" not in console:
    bad.append("emulator exit status not 0")
for b in bad:
    print("[guestkit-run] FAIL " + b)
print("[guestkit-run] %s" % ("PASS" if not bad else "FAILED"))
sys.exit(1 if bad else 0)
PY
