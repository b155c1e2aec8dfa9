#!/bin/sh
# The main job end to end on a fresh Debian 12 machine: install dependencies,
# build, make keys, sign and verify. Work files go to ./demo-out.
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
echo "demo complete"
