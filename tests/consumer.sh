#!/bin/sh
# A program outside the tree builds against the installed library with nothing
# but pkg-config, and runs.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

DESTDIR="$T/root" meson install -C "$BUILD" --no-rebuild --quiet >"$T/install.log" 2>&1 ||
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
# run NAME ARGS...: run example NAME against the installed library; its
# output lands in $T/run.log, its status is returned.
run() {
    name=$1
    shift
    LD_LIBRARY_PATH="$libdir" "$T/$name" "$@" >"$T/run.log" 2>&1
}
for ex in "$SRC"/examples/*.c; do
    name=$(basename "$ex" .c)
    # shellcheck disable=SC2046,SC2086
    if $CC -std=c11 -Wall -Wextra -Werror $SANITIZE -o "$T/$name" "$ex" $(pkg-config --cflags --libs libartsig) \
        2>"$T/cc.log"; then ok; else bad "$name does not build: $(head -n 5 "$T/cc.log")"; fi
done

K=$VEC/keys A=$VEC/artifacts
run sign_and_verify && ok || bad "sign_and_verify failed: $(tail -n 5 "$T/run.log")"

run verify_artifact "$A/rootfs-gzip-rsa.mender" "$K/ecp256.pub" "$K/rsa3072.pub" &&
    grep -q "signed by key 2" "$T/run.log" && ok || bad "verify_artifact: $(cat "$T/run.log")"
run verify_artifact "$A/t-payload-swapped.mender" "$K/rsa3072.pub"
[ $? -eq 1 ] && ok || bad "verify_artifact accepted a swapped payload"

# The payload lands only when verified, with the manifest's digest.
want=$(tar -xOf "$A/rootfs-gzip-rsa.mender" manifest | awk '$2 ~ /^data\// { print $1 }')
run install_payload "$K/rsa3072.pub" "$T/rootfs.img" <"$A/rootfs-gzip-rsa.mender" &&
    [ "$(sha256sum <"$T/rootfs.img" | cut -d' ' -f1)" = "$want" ] && ok ||
    bad "install_payload: $(cat "$T/run.log")"
for refused in t-payload-swapped.mender t-sig-garbage.mender rootfs-gzip-unsigned.mender; do
    run install_payload "$K/rsa3072.pub" "$T/refused.img" <"$A/$refused"
    [ $? -eq 1 ] && ok || bad "install_payload accepted $refused"
    [ -z "$(ls "$T"/refused.img* 2>/dev/null)" ] && ok || bad "install_payload left a file for $refused"
done

echo "payload" >"$T/app.bin"
run write_module_artifact "$K/ecp256.sec1.key" "$T/module.mender" app-bundle "$T/app.bin" &&
    "$ARTSIG_CLI" validate --no-progress -k "$K/ecp256.pub" "$T/module.mender" >/dev/null && ok ||
    bad "write_module_artifact: $(cat "$T/run.log")"
if command -v mender-artifact >/dev/null; then
    mender-artifact validate -k "$K/ecp256.pub" "$T/module.mender" >/dev/null 2>&1 && ok ||
        bad "mender-artifact refuses write_module_artifact's output"
fi
finish
