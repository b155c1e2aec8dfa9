#!/bin/sh
# The main job end to end on a fresh Debian 12 machine: install dependencies,
# build, make keys, sign and verify; then write and sign an artifact and
# install it with artsig-update on a simulated device (plain files for the two
# root partitions and the boot environment). Work files go to ./demo-out.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
ARTSIG=build/cli/artsig
OUT=demo-out
rm -rf "$OUT" && mkdir -p "$OUT"

echo "== keys"
$ARTSIG keygen --type ecdsa-p256 -o "$OUT/signing.key" -p "$OUT/signing.pub"
ls -l "$OUT"/signing.*

echo "== sign a blob (the manifest of an artifact is signed the same way)"
printf 'ad714601f931d3401834e871e29dba4fe0b5c0372153052c9e8428739de91b55  data/0000/rootfs.ext4\n' >"$OUT/manifest"
$ARTSIG sign-blob -k "$OUT/signing.key" "$OUT/manifest" >"$OUT/manifest.sig"
cat "$OUT/manifest.sig"

echo "== verify it, then show that a changed byte is refused"
$ARTSIG verify-blob -k "$OUT/signing.pub" -s "$OUT/manifest.sig" "$OUT/manifest"
sed 's/^a/b/' "$OUT/manifest" >"$OUT/tampered"
if $ARTSIG verify-blob -k "$OUT/signing.pub" -s "$OUT/manifest.sig" "$OUT/tampered"; then
    echo "tampered manifest was accepted" >&2
    exit 1
fi

echo "== write a rootfs-image artifact, sign it, validate it"
head -c 1048576 /dev/urandom >"$OUT/rootfs.ext4" # stands in for a root file system image
$ARTSIG write rootfs-image -f "$OUT/rootfs.ext4" -n release-2 -t demo-device \
    -o "$OUT/release-2.mender" --no-progress
$ARTSIG sign -k "$OUT/signing.key" "$OUT/release-2.mender"
$ARTSIG validate -k "$OUT/signing.pub" --no-progress "$OUT/release-2.mender"

echo "== a simulated device in $OUT/device, running release-1 from mmcblk0p2"
DEV=$(pwd)/$OUT/device
mkdir -p "$DEV/data"
head -c 2097152 /dev/zero >"$DEV/mmcblk0p2"
head -c 2097152 /dev/zero >"$DEV/mmcblk0p3"
printf 'mender_boot_part=2\nmender_boot_part_hex=2\nupgrade_available=0\nbootcount=0\n' >"$DEV/bootenv"
printf 'device_type=demo-device\n' >"$DEV/device_type"
printf 'artifact_name=release-1\n' >"$DEV/data/provides"
cat >"$DEV/mender.conf" <<CONF
{
  "ArtifactVerifyKey": "$(pwd)/$OUT/signing.pub",
  "DeviceTypeFile": "$DEV/device_type",
  "RootfsPartA": "$DEV/mmcblk0p2",
  "RootfsPartB": "$DEV/mmcblk0p3",
  "BootEnvFile": "$DEV/bootenv"
}
CONF
UPDATE="build/update/artsig-update --config $DEV/mender.conf --data $DEV/data"
show_device() { echo "running $($UPDATE show-artifact); boot env: $(tr '\n' ' ' <"$DEV/bootenv")"; }
show_device

echo "== an unsigned artifact is refused, and nothing changes"
$ARTSIG write rootfs-image -f "$OUT/rootfs.ext4" -n release-2-unsigned -t demo-device \
    -o "$OUT/unsigned.mender" --no-progress
if $UPDATE install "$OUT/unsigned.mender"; then
    echo "the unsigned artifact was installed" >&2
    exit 1
fi
show_device

echo "== install the signed one: written to mmcblk0p3, boot env switched, exit 4 (reboot)"
rc=0
$UPDATE install "$OUT/release-2.mender" || rc=$?
[ $rc -eq 4 ] || exit 1
cmp "$OUT/rootfs.ext4" "$DEV/mmcblk0p3" && echo "mmcblk0p3 holds the image"
show_device

echo "== after the reboot: commit"
$UPDATE commit
show_device
$UPDATE show-provides
echo "demo complete"
