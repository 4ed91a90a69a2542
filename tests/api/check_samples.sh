#!/bin/sh
# check_samples.sh FILE.md... - every ```c block of the given markdown files
# compiles against kstream.h. A block with main() is built and run. Any other
# block is a fragment: its function definitions (a column-0 header line to a
# column-0 "}") stay at file scope, its other lines become the body of a
# function, and it is compiled without linking. A block whose first line
# contains "continued" extends the previous block of the same file; one whose
# first line contains "sketch" is not compiled (API of a later issue).
# Env: CC, CFLAGS, LIBS.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" "$@" <<'PY' || exit 1
import re, sys, os
out, files = sys.argv[1], sys.argv[2:]
# A file-scope item starts at column 0 with "static"/"typedef", or is a
# function header "type name(" not ending in ";".
fn_hdr = re.compile(r'^[A-Za-z_][\w \*]*\b\w+\(')
def file_scope(line):
    if line.startswith(('static ', 'typedef ', 'struct ', 'enum ')):
        return True
    return bool(fn_hdr.match(line)) and not line.rstrip().endswith(';')
for md in files:
    base = os.path.splitext(os.path.basename(md))[0]
    blocks, cur, inblk = [], None, False
    for line in open(md):
        if not inblk and re.match(r'^```c\s*$', line):
            inblk, cur = True, []
            continue
        if inblk and line.startswith('```'):
            inblk = False
            first = cur[0] if cur else ''
            if 'sketch' in first:
                continue
            if 'continued' in first and blocks:
                blocks[-1] += cur
            else:
                blocks.append(cur)
            continue
        if inblk:
            cur.append(line)
    for i, b in enumerate(blocks, 1):
        src = ''.join(b)
        prog = 'int main' in src
        top, body, infn = [], [], False
        for line in b:
            if prog or infn:
                top.append(line)
                if infn and line.startswith('}'):
                    infn = False
                continue
            if file_scope(line):
                top.append(line); infn = not line.rstrip().endswith(';')
                continue
            body.append(line)
        with open(os.path.join(out, '%s_%d%s.c' % (base, i, '' if prog else '.frag')), 'w') as f:
            f.write('#include <ctype.h>\n#include <stdio.h>\n#include <stdlib.h>\n'
                    '#include <string.h>\n#include <kstream.h>\n'
                    '#define cr_assert(x) ((void)(x))\n')
            f.write(''.join(top))
            if body:
                f.write('void sample_body(void);\nvoid sample_body(void)\n{\n' + ''.join(body) + '}\n')
PY
n=0; fail=0
for f in "$tmp"/*.c; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    case "$f" in
    *.frag.c) $CC $CFLAGS -Wno-unused -Wno-unused-parameter -c -o "$f.o" "$f" 2>"$f.err" ;;
    *) $CC $CFLAGS -o "$f.bin" "$f" $LIBS 2>"$f.err" ;;
    esac
    if [ $? -ne 0 ]; then
        echo "sample $(basename "$f") does not compile:"; cat "$f.err"; cat -n "$f"
        fail=1; continue
    fi
    case "$f" in
    *.frag.c) ;;
    *) "$f.bin" >/dev/null 2>&1 || { echo "sample $(basename "$f") failed when run"; fail=1; } ;;
    esac
done
[ $fail = 0 ] && echo "samples test: ok ($n C samples compiled)"
exit $fail
