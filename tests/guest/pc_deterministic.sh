#!/bin/sh
# pc_deterministic.sh — under -icount, device time is a function of the instruction count: the same guest run twice
# must retire exactly the same number of instructions and take the same number of interrupts, and pass.
# Usage: pc_deterministic.sh PCJIT ARGS...   (ARGS must include -machine pc and -icount N; -stats is added)
a=$(mktemp); b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
"$@" -stats >"$a" 2>&1 </dev/null
"$@" -stats >"$b" 2>&1 </dev/null
cat "$a"
grep -q '^PASS$' "$a" && grep -q '^PASS$' "$b" || { echo "[pc_deterministic] a run did not pass"; exit 1; }
sa=$(grep -E '^  (guest instructions|interrupts) ' "$a")
sb=$(grep -E '^  (guest instructions|interrupts) ' "$b")
[ -n "$sa" ] || { echo "[pc_deterministic] no -stats output"; exit 1; }
if [ "$sa" != "$sb" ]; then
    echo "[pc_deterministic] runs differ:"; echo "$sa"; echo "--"; echo "$sb"
    exit 1
fi
echo "[pc_deterministic] identical: $(echo "$sa" | tr -s ' ' | tr '\n' ';')"
