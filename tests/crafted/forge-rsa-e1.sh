#!/bin/sh
# forge-rsa-e1.sh ARTSIG ARTIFACT BYTES OUT: OUT is ARTIFACT with a signature
# that verifies with any RSA key of BYTES-byte modulus and public exponent 1,
# made without a private key (see rsa-e1-sign.py).
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$1" export-manifest -o "$dir/manifest" "$2" >/dev/null
python3 "$(dirname "$0")/rsa-e1-sign.py" "$3" <"$dir/manifest" >"$dir/sig"
"$1" attach-signature -o "$4" "$2" "$dir/sig" >/dev/null
