#!/bin/sh
# run.sh - the install test. Installs kstream with DESTDIR into a temporary
# directory, builds tests/install/hello.c against the installed copy with
# `pkg-config --cflags --libs kstream` (shared) and with the static library
# plus the .pc's Requires.private and Libs.private, runs both, checks their
# output, then checks that `make uninstall` removes every installed file.
# Environment: MAKE, CC, SANITIZE and SANFLAGS as the Makefile passes them
# (a SANITIZE=1 library needs the sanitizer flags on the program too).
set -u
make=${MAKE:-make}
cc=${CC:-cc}
prefix=/opt/kstream
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

fail() {
    echo "install test: FAILED: $*"
    exit 1
}

cd "$top" || fail "cannot cd to $top"
$make --no-print-directory -s install DESTDIR="$dest" PREFIX="$prefix" \
    SANITIZE="${SANITIZE:-}" >"$tmp/install.log" 2>&1 || {
    cat "$tmp/install.log"
    fail "make install"
}

lib=$dest$prefix/lib
for f in "$dest$prefix/include/kstream.h" "$dest$prefix/include/kstream/dsl.h" \
         "$lib/libkstream.a" \
         "$lib/libkstream.so" "$lib/pkgconfig/kstream.pc"; do
    [ -e "$f" ] || fail "missing $f"
done
ls "$lib"/libkstream.so.*.*.* >/dev/null 2>&1 || fail "no libkstream.so.X.Y.Z"
grep -qx "prefix=$prefix" "$lib/pkgconfig/kstream.pc" ||
    fail "kstream.pc does not say prefix=$prefix"

# pkg-config reads the staged .pc; the sysroot maps its -I/-L paths (which
# name the final prefix) into the DESTDIR tree.
export PKG_CONFIG_PATH="$lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$dest"
cflags=$(pkg-config --cflags kstream) || fail "pkg-config --cflags kstream"
libs=$(pkg-config --libs kstream) || fail "pkg-config --libs kstream"
# For the static build: kstream's archive with its dependencies linked
# shared (a fully static link would need every dependency's own static
# dependencies installed). This checks that Requires.private and
# Libs.private name everything libkstream.a needs.
reqs=$(pkg-config --print-requires-private kstream) ||
    fail "pkg-config --print-requires-private kstream"
[ -n "$reqs" ] || fail "kstream.pc has no Requires.private"
# shellcheck disable=SC2086
slibs=$(pkg-config --libs $reqs) || fail "pkg-config --libs $reqs"
slibs="$slibs $(sed -n 's/^Libs.private: *//p' "$lib/pkgconfig/kstream.pc")"
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror ${SANFLAGS:-} $cflags \
    -o "$tmp/hello" "$here/hello.c" $libs -Wl,-rpath,"$lib" ||
    fail "building hello.c against the shared library"
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror ${SANFLAGS:-} $cflags \
    -o "$tmp/hello-static" "$here/hello.c" "$lib/libkstream.a" $slibs ||
    fail "building hello.c against the static library"

# The shared build must load the installed library, not one in build/.
ldd "$tmp/hello" | grep -q "$lib/libkstream.so" ||
    fail "hello does not load $lib/libkstream.so"

for prog in hello hello-static; do
    "$tmp/$prog" >"$tmp/$prog.out" 2>"$tmp/$prog.err" || {
        cat "$tmp/$prog.out" "$tmp/$prog.err"
        fail "$prog exited non-zero"
    }
    if ! diff -u "$here/hello.expected" "$tmp/$prog.out"; then
        cat "$tmp/$prog.err"
        fail "$prog printed something else"
    fi
done

$make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX="$prefix" \
    SANITIZE="${SANITIZE:-}" >"$tmp/uninstall.log" 2>&1 || {
    cat "$tmp/uninstall.log"
    fail "make uninstall"
}
left=$(find "$dest" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
echo "install test: ok"
