#!/bin/sh
# expect-output.sh — run an emulator and pass only if its output (stdout + stderr) contains every WANT pattern
# (grep -E) and none of the NOT patterns. Usage: expect-output.sh [+WANT | -NOT]... -- EMULATOR ARGS...
want=""; not=""
while [ "$1" != "--" ]; do
    case "$1" in
        +*) want="$want
${1#+}" ;;
        -*) not="$not
${1#-}" ;;
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
exit $ok
