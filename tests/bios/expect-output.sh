#!/bin/sh
# expect-output.sh — run an emulator and pass only if its output (stdout + stderr) contains every WANT pattern
# (grep -E) and none of the NOT patterns, and (with =N) exited with status N.
# Usage: expect-output.sh [+WANT | -NOT | =N]... -- EMULATOR ARGS...
want=""; not=""; status=""
while [ "$1" != "--" ]; do
    case "$1" in
        +*) want="$want
${1#+}" ;;
        -*) not="$not
${1#-}" ;;
        =*) status=${1#=} ;;
    esac
    shift
done
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$@" >"$out" 2>&1 </dev/null
rc=$?
cat "$out"
echo "[expect-output] emulator exit code $rc"
ok=0
echo "$want" | while IFS= read -r p; do
    [ -z "$p" ] && continue
    grep -E -q -- "$p" "$out" || { echo "[expect-output] missing: $p"; exit 1; }
done || ok=1
echo "$not" | while IFS= read -r p; do
    [ -z "$p" ] && continue
    if grep -E -q -- "$p" "$out"; then echo "[expect-output] unexpected: $p"; exit 1; fi
done || ok=1
if [ -n "$status" ] && [ "$rc" -ne "$status" ]; then echo "[expect-output] exit status $rc, wanted $status"; ok=1; fi
exit $ok
