#!/bin/sh
# A program outside the tree builds against the installed library with nothing
# but pkg-config, and runs.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

DESTDIR="$T/root" meson install -C "$BUILD" --quiet >"$T/install.log" 2>&1 ||
    { bad "meson install: $(tail -n 5 "$T/install.log")"; finish; exit; }
pc=$(find "$T/root" -name libartsig.pc | head -n 1)
[ -n "$pc" ] && ok || { bad "libartsig.pc not installed"; finish; exit; }
export PKG_CONFIG_PATH=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR="$T/root"
libdir=$(dirname "$(find "$T/root" -name 'libartsig.so.0' | head -n 1)")
# A sanitized library needs its sanitizers' runtime, which only a program
# linked by the same compiler with the same -fsanitize brings along.
CC=${CC:-cc} SANITIZE=
if [ -n "${ARTSIG_SANITIZED:-}" ]; then
    CC=${ARTSIG_CC:-$CC} SANITIZE=-fsanitize=$ARTSIG_SANITIZED
fi
for ex in "$SRC"/examples/*.c; do
    name=$(basename "$ex" .c)
    # shellcheck disable=SC2046,SC2086
    if $CC -std=c11 -Wall -Wextra -Werror $SANITIZE -o "$T/$name" "$ex" $(pkg-config --cflags --libs libartsig) \
        2>"$T/cc.log"; then ok; else bad "$name does not build: $(head -n 5 "$T/cc.log")"; continue; fi
    if LD_LIBRARY_PATH="$libdir" "$T/$name" >"$T/run.log" 2>&1; then ok
    else bad "$name failed: $(tail -n 5 "$T/run.log")"; fi
done
finish
