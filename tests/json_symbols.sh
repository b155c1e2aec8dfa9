#!/bin/sh
# jansson (the strict JSON gate's validator) and json-c both export
# json_object_get and json_object_iter_next, with other meanings. Whatever
# calls them by name in the library and the device client means json-c's:
# each such reference must be bound to json-c's symbol version, which the
# link order decides (libartsig/meson.build).
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

objdump -T "$BUILD"/libartsig/libartsig.so | grep -q '(libjansson' && ok ||
    bad "libartsig.so does not use jansson: this test checks nothing"
for binary in "$BUILD"/libartsig/libartsig.so "$BUILD"/update/artsig-update; do
    objdump -T "$binary" >"$T/symbols" || { bad "objdump -T $binary"; continue; }
    grep -E ' (json_object_get|json_object_iter_next)$' "$T/symbols" | grep -v '(JSONC_' >"$T/wrong"
    [ ! -s "$T/wrong" ] && ok || bad "$binary binds json-c names elsewhere: $(cat "$T/wrong")"
done

finish
