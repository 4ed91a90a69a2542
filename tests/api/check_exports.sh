#!/bin/sh
# check_exports.sh SO HEADER SONAME - the ABI check.
#  - every function declared with KSTREAM_EXPORT in HEADER is exported
#    (defined, dynamic) by the shared library SO;
#  - SO exports nothing else, apart from the symbols the toolchain adds;
#  - SO's SONAME is SONAME (libkstream.so.<major>).
# The header is run through the C preprocessor (comments, #if, X-macros)
# after KSTREAM_EXPORT is turned into a marker, so multi-line declarations
# are read as the compiler reads them.
set -u
so=$1; header=$2; want_soname=$3
cc=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Toolchain symbols that any shared object may export (ld, and the
# sanitizer runtimes' ODR indicators in SANITIZE=1 builds).
allowed='^(_init|_fini|_edata|_end|__bss_start|__odr_asan[._].*|__asan_.*|__ubsan_.*)$'

# The header includes its sections (include/kstream/*.h) from its own
# directory; KSTREAM_EXPORT is defined to the marker before it is read.
"$cc" -E -P -x c -I"$(dirname "$header")" \
    -DKSTREAM_EXPORT=__KS_EXPORT_MARK__ "$header" >"$tmp/pp.c" || {
    echo "exports test: FAILED: cannot preprocess $header"
    exit 1
}
tr '\n' ' ' <"$tmp/pp.c" | tr ';' '\n' | grep '__KS_EXPORT_MARK__' |
    sed -e 's/.*__KS_EXPORT_MARK__//' -e 's/(.*//' \
        -e 's/[[:space:]]*$//' -e 's/.*[^A-Za-z0-9_]//' |
    LC_ALL=C sort -u >"$tmp/declared"
if [ ! -s "$tmp/declared" ]; then
    echo "exports test: FAILED: no KSTREAM_EXPORT declarations in $header"
    exit 1
fi

nm -D --defined-only "$so" | awk 'NF >= 3 { print $3 }' |
    LC_ALL=C sort -u >"$tmp/exported"

LC_ALL=C comm -23 "$tmp/declared" "$tmp/exported" >"$tmp/missing"
LC_ALL=C comm -13 "$tmp/declared" "$tmp/exported" |
    grep -Ev "$allowed" >"$tmp/extra"

if [ -s "$tmp/missing" ]; then
    fail=1
    echo "exports test: declared in $header but not exported by $so:"
    sed 's/^/  /' "$tmp/missing"
fi
if [ -s "$tmp/extra" ]; then
    fail=1
    echo "exports test: exported by $so but not declared KSTREAM_EXPORT:"
    sed 's/^/  /' "$tmp/extra"
fi

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "$want_soname" ]; then
    fail=1
    echo "exports test: SONAME is '$soname', expected '$want_soname'"
fi

if [ $fail -ne 0 ]; then
    echo "exports test: FAILED"
    exit 1
fi
echo "exports test: ok ($(wc -l <"$tmp/declared") functions, SONAME $soname)"
