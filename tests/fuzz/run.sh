#!/bin/sh
# run.sh BUILD_DIR SECONDS TARGET... - run each libFuzzer target for
# SECONDS, starting from its committed seed corpus (tests/fuzz/corpus/
# TARGET, read only) plus the inputs earlier runs found (BUILD_DIR/corpus/
# TARGET). Prints one line per target (executions, coverage, new inputs);
# exits non-zero when a target crashes, leaks, trips a sanitizer or an
# invariant, with the reproducer saved as BUILD_DIR/crash-TARGET-* (rerun
# it with: BUILD_DIR/TARGET FILE).
set -u
b=$1; secs=$2; shift 2
fail=0
for t in "$@"; do
    work=$b/corpus/$t
    seeds=tests/fuzz/corpus/$t
    mkdir -p "$work"
    log=$b/$t.log
    "$b/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$b/crash-$t-" \
        "$work" "$seeds" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
    if [ $rc -ne 0 ]; then
        fail=1
        tail -n 60 "$log"
        echo "fuzz: FAILED: $t (exit $rc); reproducer: $(ls "$b"/crash-"$t"-* 2>/dev/null | head -n 1)"
    else
        echo "fuzz: ok: $t: ${execs:-?} executions in ${secs}s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) found + $(ls "$seeds" | wc -l) seeds"
    fi
done
exit $fail
