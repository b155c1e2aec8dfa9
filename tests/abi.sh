#!/bin/sh
# The shared library's ABI surface: versioned SONAME, only artsig_* exported,
# every function the headers declare is exported, and nothing recorded for
# this SONAME in abi/ was removed or changed (additions must be recorded too,
# with scripts/abi-update.sh, so that the record stays complete).
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

record=$SRC/abi/$soname
if [ ! -f "$record.symbols" ]; then
    bad "no ABI record for $soname: run scripts/abi-update.sh"
    finish
    exit
fi
comm -23 "$record.symbols" "$T/exported" >"$T/removed"
[ ! -s "$T/removed" ] && ok ||
    bad "symbols removed without a SONAME bump: $(tr '\n' ' ' <"$T/removed")"
comm -13 "$record.symbols" "$T/exported" >"$T/added"
[ ! -s "$T/added" ] && ok ||
    bad "new symbols not recorded (scripts/abi-update.sh): $(tr '\n' ' ' <"$T/added")"

# Types and signatures: libabigail compares the recorded description with
# this build's DWARF (any compiler). Its exit status is a bit set: 4 an ABI
# change, 8 an incompatible one; 1 and 2 are its own errors.
if ! readelf -S "$LIB" | grep -q '\.debug_info'; then
    echo "abidiff skipped: $LIB has no debug information"
else
    abidiff --headers-dir2 "$SRC/include/artsig" --headers-dir2 "$BUILD/include/artsig" \
        "$record.abi" "$LIB" >"$T/abidiff" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then ok
    elif [ $((rc & 8)) -ne 0 ]; then bad "incompatible ABI change without a SONAME bump: $(head -c 1500 "$T/abidiff")"
    else bad "ABI changed (record it with scripts/abi-update.sh if intended; abidiff $rc): $(head -c 1500 "$T/abidiff")"
    fi
    # The previous release: its tag carries the record it shipped with, so
    # no old build is needed. Additions are fine there; breakage is not.
    tag=$(git -C "$SRC" describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null || true)
    if [ -z "$tag" ]; then
        echo "no release tag yet: nothing older to compare the ABI with"
    elif git -C "$SRC" show "$tag:abi/$soname.abi" >"$T/released.abi" 2>/dev/null; then
        abidiff --headers-dir2 "$SRC/include/artsig" --headers-dir2 "$BUILD/include/artsig" \
            "$T/released.abi" "$LIB" >"$T/abidiff" 2>&1
        rc=$?
        [ $((rc & 11)) -eq 0 ] && ok ||
            bad "incompatible with release $tag without a SONAME bump: $(head -c 1500 "$T/abidiff")"
    else
        echo "release $tag has no ABI record for $soname (a new SONAME)"
    fi
fi

finish
