#!/bin/sh
# Install every Debian 12 package libartsig needs to build, test and demo.
# Skips apt entirely when they are all present already.
set -eu
PACKAGES="build-essential clang meson ninja-build pkg-config binutils openssl
libssl-dev libsodium-dev libarchive-dev libjson-c-dev libjansson-dev check
zlib1g-dev libisal-dev liblzma-dev libzstd-dev libcurl4-openssl-dev
mender-artifact mender-client python3 python3-pytest python3-crcmod util-linux time xz-utils zstd golang-go
softhsm2 opensc p11-kit libp11-kit-dev valgrind llvm abigail-tools
scdoc doxygen bash-completion man-db groff-base debhelper dpkg-dev fakeroot"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "installing:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
