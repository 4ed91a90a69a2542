#!/bin/sh
# run-tests.sh BUILD_DIR BIN... - run each Criterion binary, print a summary
# line "N passed, N failed" over all of them, exit non-zero on any failure.
set -u
b=$1; shift
fail=0; passed=0; failed=0
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    "$t" --jobs 2 >"$out" 2>&1
    rc=$?
    summary=$(grep -E '^\[====\] Synthesis:' "$out" | tail -n 1)
    p=$(echo "$summary" | sed -n 's/.*Passing: \([0-9]*\).*/\1/p')
    f=$(echo "$summary" | sed -n 's/.*Failing: \([0-9]*\).*/\1/p')
    c=$(echo "$summary" | sed -n 's/.*Crashing: \([0-9]*\).*/\1/p')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0} + ${c:-0}))
    # Criterion exits 0 even when a test process reported a leak or a
    # sanitizer error: look for the reports.
    if grep -qE 'ERROR: (LeakSanitizer|AddressSanitizer)|runtime error:' "$out"; then
        rc=${rc:-0}; [ $rc -eq 0 ] && rc=99
        echo "sanitizer report in $name:"
    fi
    if [ $rc -ne 0 ] || [ -z "$summary" ]; then
        fail=1
        [ -z "$summary" ] && failed=$((failed + 1))
        cat "$out"
        echo "FAILED: $name (exit $rc)"
    else
        echo "ok: $name: $summary"
    fi
    rm -f "$out"
done
echo "$passed passed, $failed failed"
exit $fail
