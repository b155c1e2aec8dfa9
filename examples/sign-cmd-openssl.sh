#!/bin/sh
# A signer program for artsig --sign-cmd, signing with the key file $1:
# the bytes to sign arrive on stdin, the key type in $ARTSIG_SIGN_KEY_TYPE.
set -eu
msg=$(mktemp) sig=$(mktemp) && trap 'rm -f "$msg" "$sig"' EXIT
cat >"$msg"
case $ARTSIG_SIGN_KEY_TYPE in
    ed25519) openssl pkeyutl -sign -rawin -inkey "$1" -in "$msg" -out "$sig" ;;
    *) openssl dgst -sha256 -sign "$1" -out "$sig" "$msg" ;; # rsa, ecdsa-p256
esac
openssl base64 -A -in "$sig"
