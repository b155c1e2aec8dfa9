#!/bin/sh
# The shared library's ABI surface: versioned SONAME, only artsig_* exported,
# and every function the headers declare is exported.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

LIB=$(ls "$BUILD"/libartsig/libartsig.so.*.*.* | head -n 1)
soname=$(objdump -p "$LIB" | awk '/SONAME/ {print $2}')
[ "$soname" = libartsig.so.0 ] && ok || bad "SONAME is '$soname'"

nm -D --defined-only "$LIB" | awk '$2 ~ /[TDBR]/ {print $3}' | sed 's/@.*//' | sort -u >"$T/exported"
grep -v '^artsig_' "$T/exported" >"$T/foreign"
[ ! -s "$T/foreign" ] && ok || bad "non-artsig symbols exported: $(tr '\n' ' ' <"$T/foreign")"

grep -hv '^#' "$SRC"/include/artsig/*.h | tr '\n' ' ' | grep -o 'ARTSIG_API[^(]*(' |
    sed 's/($//; s/.*[ *]//' | sort -u >"$T/declared"
comm -23 "$T/declared" "$T/exported" >"$T/missing"
[ ! -s "$T/missing" ] && ok || bad "declared but not exported: $(tr '\n' ' ' <"$T/missing")"
comm -13 "$T/declared" "$T/exported" >"$T/undeclared"
[ ! -s "$T/undeclared" ] && ok || bad "exported but not declared: $(tr '\n' ' ' <"$T/undeclared")"

finish
