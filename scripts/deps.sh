#!/bin/sh
# deps.sh - make sure the build dependencies are installed.
# Checks each with pkg-config (and the criterion headers for tests); when one
# is missing, installs it with apt-get when running as root, otherwise stops
# with the exact command to run. Usage: scripts/deps.sh [build|test|demo]
set -u
what=${1:-build}

need=""
have_pc() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
have_pc rdkafka || need="$need librdkafka-dev"
have_pc rocksdb || need="$need librocksdb-dev"
have_pc avro-c || need="$need libavro-dev"
have_pc jansson || need="$need libjansson-dev"
have_pc libcurl || need="$need libcurl4-openssl-dev"
if [ "$what" = test ] || [ "$what" = demo ]; then
    have_pc criterion || need="$need libcriterion-dev"
fi
if [ "$what" = test ]; then
    command -v valgrind >/dev/null 2>&1 || need="$need valgrind"
    command -v python3 >/dev/null 2>&1 || need="$need python3"
    # The dev cluster tests and docs drive it with kcat and kafka-python.
    command -v kcat >/dev/null 2>&1 || need="$need kcat"
    # (python3-kafka serves the system python3, which may not be the
    # first python3 on PATH, e.g. under pyenv.)
    { python3 -c 'import kafka' || /usr/bin/python3 -c 'import kafka'; } \
        >/dev/null 2>&1 || need="$need python3-kafka"
    # The fuzz targets (a short run is part of the tests) need clang and
    # its libFuzzer runtime (with the sanitizer runtimes).
    if command -v clang >/dev/null 2>&1; then
        [ -e "$(clang -print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-$(uname -m).a" ] ||
            need="$need libclang-rt-14-dev"
    else
        need="$need clang libclang-rt-14-dev"
    fi
    # Avro interop tests decode with an independent implementation.
    { python3 -c 'import avro.schema' || /usr/bin/python3 -c 'import avro.schema'; } \
        >/dev/null 2>&1 || need="$need python3-avro"
fi

[ -z "$need" ] && exit 0

cmd="apt-get update && apt-get install -y$need"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing:$need" >&2
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq >&2 && apt-get install -y -qq $need >&2; then
        exit 0
    fi
    echo "deps: apt-get failed; run: $cmd" >&2
    exit 1
fi
echo "deps: missing:$need" >&2
echo "deps: run as root:  $cmd" >&2
echo "deps: or:           sudo sh -c '$cmd'" >&2
exit 1
