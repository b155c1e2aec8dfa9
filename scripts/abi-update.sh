#!/bin/sh
# Record the library's ABI after a deliberate change: the exported symbols
# and libabigail's description of every public type and function, for
# tests/abi.sh to hold later builds to. Run it from a debugoptimized build
# (DWARF is what abidw reads): sh scripts/abi-update.sh [BUILD_DIR]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-gcc}
lib=$(ls "$build"/libartsig/libartsig.so.*.*.* | head -n 1)
soname=$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')
nm -D --defined-only "$lib" | awk '$2 ~ /[TDBR]/ { print $3 }' | sed 's/@.*//' | sort -u \
    >"$src/abi/$soname.symbols"
abidw --no-corpus-path --no-comp-dir-path --headers-dir "$src/include/artsig" \
    --headers-dir "$build/include/artsig" "$lib" >"$src/abi/$soname.abi"
echo "recorded abi/$soname.symbols and abi/$soname.abi"
