#!/bin/sh
# check_conf_doc.sh GENERATOR DOC - fail when DOC (docs/configuration.md)
# is not exactly what GENERATOR (tools/gen_conf_doc) prints, i.e. when the
# property table changed without `make docs`.
set -u
gen=$1; doc=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! "$gen" >"$out"; then
    echo "docs test: FAILED: $gen failed"
    exit 1
fi
if ! diff -u "$doc" "$out"; then
    echo "docs test: FAILED: $doc is out of date; run: make docs"
    exit 1
fi
echo "docs test: ok"
