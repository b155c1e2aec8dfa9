#!/bin/sh
# The main job end to end on a fresh Debian 12 machine: install dependencies,
# build, make keys, sign and verify; then write and sign an artifact and
# install it with artsig-update on a simulated device (plain files for the two
# root partitions and the boot environment); last, the same device as part of a
# fleet: deployments from a stand-in Mender Server (tests/mender_server.py, on
# 127.0.0.1), a signed one installed and a tampered one refused, the refusal
# showing in the server's deployment log. Work files go to ./demo-out.
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

echo "== install the signed one: written to mmcblk0p3, boot env switched; exit 4 (reboot next) as asked by --reboot-exit-code, else 0"
rc=0
$UPDATE install --reboot-exit-code "$OUT/release-2.mender" || rc=$?
[ $rc -eq 4 ] || exit 1
cmp "$OUT/rootfs.ext4" "$DEV/mmcblk0p3" && echo "mmcblk0p3 holds the image"
show_device

echo "== after the reboot: commit"
$UPDATE commit
show_device
$UPDATE show-provides

echo "== the device in a fleet: a stand-in Mender Server on 127.0.0.1"
SRV=$OUT/server
mkdir -p "$SRV"
python3 tests/mender_server.py "$SRV" 2>"$SRV.log" &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null' EXIT
i=0
while [ ! -s "$SRV/url" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
URL=$(cat "$SRV/url")
echo "server at $URL"
# control: POST to the double's /_double/ API; state: what it recorded
control() { python3 -c 'import sys, urllib.request as u
u.urlopen(u.Request(sys.argv[1] + "/_double/" + sys.argv[2], data=sys.argv[3].encode()), timeout=10)' "$URL" "$1" "$2"; }
deployment_report() {
    python3 -c 'import json, sys, urllib.request as u
d = json.load(u.urlopen(sys.argv[1] + "/_double/state", timeout=10))["deployments"][sys.argv[2]]
print("server saw statuses:", ", ".join(d["statuses"]))
for log in d["logs"]:
    for m in log:
        print("server deployment log:", m["level"], m["message"])' "$URL" "$1"
}
printf '#!/bin/sh\necho mac=02:00:00:00:00:42\n' >"$DEV/identity" && chmod +x "$DEV/identity"
mkdir -p "$DEV/inventory"
# a reboot, simulated: the boot id changes, as a real reboot changes the kernel's
cat /proc/sys/kernel/random/uuid >"$DEV/boot_id"
cat >"$DEV/mender.conf" <<CONF
{
  "ServerURL": "$URL",
  "ArtifactVerifyKey": "$(pwd)/$OUT/signing.pub",
  "DeviceTypeFile": "$DEV/device_type",
  "RootfsPartA": "$DEV/mmcblk0p2",
  "RootfsPartB": "$DEV/mmcblk0p3",
  "BootEnvFile": "$DEV/bootenv",
  "ArtsigIdentityScript": "$DEV/identity",
  "ArtsigInventoryDir": "$DEV/inventory",
  "ArtsigBootIdFile": "$DEV/boot_id",
  "ArtsigRebootCommand": "echo '(the device reboots)'; cat /proc/sys/kernel/random/uuid >$DEV/boot_id",
  "UpdatePollIntervalSeconds": 5,
  "RetryPollIntervalSeconds": 1
}
CONF

echo "== deployment d-3: release-3, signed; check-update installs it and reboots"
$ARTSIG write rootfs-image -f "$OUT/rootfs.ext4" -n release-3 -t demo-device \
    -o "$OUT/release-3.mender" --no-progress
$ARTSIG sign -k "$OUT/signing.key" "$OUT/release-3.mender"
control deployment "{\"id\": \"d-3\", \"artifact_name\": \"release-3\",
  \"artifact\": \"$(pwd)/$OUT/release-3.mender\", \"device_types_compatible\": [\"demo-device\"]}"
rc=0
$UPDATE check-update || rc=$?
[ $rc -eq 4 ] || exit 1
show_device
echo "== after the reboot: check-update commits and reports success"
$UPDATE check-update
show_device
deployment_report d-3

echo "== deployment d-4: release-4, its payload changed after signing; refused"
head -c 1048576 /dev/zero | tr '\0' 'A' >"$OUT/rootfs-4.ext4"
$ARTSIG write rootfs-image -f "$OUT/rootfs-4.ext4" -n release-4 -t demo-device \
    -o "$OUT/release-4.mender" --no-progress --compression none
$ARTSIG sign -k "$OUT/signing.key" "$OUT/release-4.mender"
python3 -c 'import sys
p = sys.argv[1]; data = bytearray(open(p, "rb").read())
data[data.index(b"A" * 4096) + 100] = ord("B")
open(p, "wb").write(data)' "$OUT/release-4.mender"
control deployment "{\"id\": \"d-4\", \"artifact_name\": \"release-4\",
  \"artifact\": \"$(pwd)/$OUT/release-4.mender\", \"device_types_compatible\": [\"demo-device\"]}"
if $UPDATE check-update; then
    echo "the tampered artifact was installed" >&2
    exit 1
fi
show_device
deployment_report d-4
echo "demo complete"
