#!/bin/sh
# The library and both executables are built hardened: full RELRO (a
# GNU_RELRO segment and immediate binding), no executable stack, position-
# independent code (ET_DYN, no text relocations; executables PIE). In
# optimised builds without sanitizers (ARTSIG_HARDENED, set by
# tests/meson.build) also the stack protector (__stack_chk_fail referenced)
# and _FORTIFY_SOURCE (__*_chk functions referenced).
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

LIB=$(ls "$BUILD"/libartsig/libartsig.so.*.*.* | head -n 1)
for f in "$LIB" "$BUILD/cli/artsig" "$BUILD/update/artsig-update"; do
    name=$(basename "$f")
    readelf -dW "$f" >"$T/dyn" && readelf -lW "$f" >"$T/seg" && readelf -hW "$f" >"$T/hdr" &&
        nm -D --undefined-only "$f" >"$T/und" || { bad "$name: readelf/nm failed"; continue; }
    grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW' "$T/dyn" && ok || bad "$name: not linked with -z now"
    grep -q GNU_RELRO "$T/seg" && ok || bad "$name: no GNU_RELRO segment (-z relro)"
    if ! grep -q GNU_STACK "$T/seg"; then bad "$name: no GNU_STACK segment (executable stack)"
    elif grep GNU_STACK "$T/seg" | grep -q RWE; then bad "$name: executable stack"
    else ok; fi
    grep -Eq 'Type:[[:space:]]+DYN' "$T/hdr" && ok || bad "$name: not position-independent (not ET_DYN)"
    grep -q TEXTREL "$T/dyn" && bad "$name: text relocations (code not built -fPIC)" || ok
    if [ "$f" != "$LIB" ]; then
        grep -Eq '\(FLAGS_1\).*PIE' "$T/dyn" && ok || bad "$name: not a PIE"
    fi
    if [ -n "${ARTSIG_HARDENED:-}" ]; then
        grep -q ' __stack_chk_fail' "$T/und" && ok || bad "$name: no stack protector (__stack_chk_fail)"
        grep -Eq ' __[a-z0-9_]+_chk(@|$)' "$T/und" && ok || bad "$name: no _FORTIFY_SOURCE (__*_chk)"
    fi
done
finish
