#!/usr/bin/env bash
# run.sh BIN... - run each benchmark binary in turn, show its human-readable
# output as it runs, and at the end, last, print every result line the
# benchmarks printed, in run order, one per benchmark row:
#     BENCH <name> <records_per_second> <ratio>
# Each benchmark prints its own BENCH line(s) (bench/common/bench.h); this
# script only collects them. A benchmark that exits non-zero, or prints no
# well-formed BENCH line, fails the run (exit 1) once all have run.
# BENCH_QUICK=1 is passed through: about 10x fewer records (a smoke test).
set -u
if [ $# -eq 0 ]; then
    echo "usage: $0 BENCH_BINARY..." >&2
    exit 2
fi
results=$(mktemp)
out=$(mktemp)
trap 'rm -f "$results" "$out"' EXIT
line_re='^BENCH [A-Za-z0-9_.-]+ [0-9]+ [0-9]+\.[0-9]{2}$'
fail=0
for b in "$@"; do
    name=$(basename "$b")
    echo "== $name${BENCH_QUICK:+ (BENCH_QUICK=$BENCH_QUICK)}"
    "$b" 2>&1 | tee "$out" | grep -v '^BENCH '
    rc=${PIPESTATUS[0]}
    grep -E "$line_re" "$out" >>"$results"
    if [ "$rc" -ne 0 ]; then
        echo "FAILED: $name (exit $rc)"
        fail=1
    elif ! grep -Eq "$line_re" "$out"; then
        echo "FAILED: $name printed no BENCH line"
        fail=1
    elif grep '^BENCH ' "$out" | grep -Evq "$line_re"; then
        echo "FAILED: $name printed a malformed BENCH line:"
        grep '^BENCH ' "$out" | grep -Ev "$line_re"
        fail=1
    fi
done
cat "$results"
exit $fail
