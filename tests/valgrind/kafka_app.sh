#!/bin/sh
# kafka_app.sh BUILD_DIR VALGRIND_COMMAND... - the count app
# (tests/apps/count_app) under valgrind against the development cluster
# (the kstream-dev-cluster program): it joins the group, counts input
# produced with kcat into a RocksDB store with a changelog, and closes
# cleanly on SIGTERM. Fails on any valgrind error or leak, or when the
# app does not exit 0.
set -u
b=$1
shift
tmp=$(mktemp -d)
cpid=""
cleanup() {
    [ -n "$cpid" ] && kill "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
"$b/tools/kstream-dev-cluster" --brokers 1 --topic in:2 --topic out:2 \
    --topic vg-app-counts-changelog:2 >"$tmp/cluster.out" 2>&1 &
cpid=$!
i=0
while ! grep -q '^bootstrap.servers=' "$tmp/cluster.out"; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "kafka_app.sh: the dev cluster did not start:" >&2
        cat "$tmp/cluster.out" >&2
        exit 1
    fi
    sleep 0.1
done
bs=$(sed -n 's/^bootstrap.servers=//p' "$tmp/cluster.out")
# --fair-sched: librdkafka's and the mock's threads need their turn.
"$@" --fair-sched=yes "$b/tests/apps/count_app" "$bs" vg-app "$tmp/state" \
    >"$tmp/app.out" 2>"$tmp/valgrind.log" &
apid=$!
seq 1 200 | sed 's/^\(.*\)$/k\1:v\1/' >"$tmp/input"
kcat -b "$bs" -t in -P -K: -l "$tmp/input" 2>>"$tmp/app.out"
counted() {
    kcat -b "$bs" -t out -C -o beginning -e -q -f '%k\n' 2>/dev/null |
        sort -u | wc -l
}
i=0
while [ "$(counted)" -lt 200 ] && [ $i -lt 120 ]; do
    i=$((i + 1))
    sleep 0.5
done
kill -TERM "$apid"
wait "$apid"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "kafka_app.sh: count_app under valgrind exited $rc" >&2
    cat "$tmp/valgrind.log" "$tmp/app.out" >&2
    exit 1
fi
n=$(counted)
if [ "$n" -ne 200 ]; then
    echo "kafka_app.sh: $n of 200 keys counted under valgrind" >&2
    cat "$tmp/valgrind.log" >&2
    exit 1
fi
