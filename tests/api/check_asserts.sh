#!/usr/bin/env bash
# check_asserts.sh DIR... - no test uses Criterion's gt() assertion.
# In Criterion 2.4.1 (Debian 12's) gt(Tag, a, b) is !(a < b), that is
# a >= b: cr_assert(gt(int, n, 0)) passes with n == 0. Tests write
# lt(Tag, b, a) instead (lt, le, ge, eq and ne are right).
set -u
hits=$(grep -rnE '(^|[^A-Za-z0-9_])gt\(' --include='*.c' --include='*.h' "$@")
if [ -n "$hits" ]; then
    echo "check_asserts: Criterion 2.4.1's gt() means >=; use lt() with" \
         "the operands swapped:" >&2
    echo "$hits" >&2
    exit 1
fi
echo "check_asserts: no gt() assertion"
