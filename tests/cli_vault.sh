#!/bin/sh
# Vault Transit keys (--vault-transit-key) against tests/mock_kms.py, a local
# Vault that signs with the vectors' keys and checks every request against
# Vault's documented API: write, sign (to a file and in place) and sign-blob
# with ecdsa-p256, rsa-2048 and rsa-3072 keys, validated by Debian's
# mender-artifact 3.9 and by artsig and refused by another key, and with an
# ed25519 key (artsig only); the latest version or VAULT_KEY_VERSION's, the
# mount from VAULT_MOUNT_PATH, the namespace header from VAULT_NAMESPACE,
# https trusted through VAULT_CACERT; RSA and ECDSA requests prehashed with
# pkcs1v15 and jws. Every fault of the service (HTTP 401/403/404/500, a
# wrong prefix or version, refused key types, a timeout, garbage, another
# key's signature) and of the settings (no token, plain http to another
# host, an untrusted certificate) is refused in one line with its exit code,
# no output, the artifact signed in place left as it was, and no token shown.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
API=vault OPT=--vault-transit-key
. "$SRC/tests/remote_lib.sh"

TOKEN=hvs.artsig-test-5e0c2a91
serve vault --token "$TOKEN" --slow 4 --mount transit --mount team/transit \
    "ec=ecdsa-p256:$K/ecp256.sec1.key,$K/ecp256b.sec1.key" \
    "rsa=rsa-3072:$K/rsa3072.pkcs8.key" \
    "rsa2k=rsa-2048:$K/rsa2048.pkcs8.key,$T/rsa2048b.key" \
    "ed=ed25519:$K/ed25519.key" \
    "p384=ecdsa-p384:$K/ecp384.sec1.key" \
    "liar=rsa-2048:$K/ecp256.sec1.key" \
    "aes=aes256-gcm96"
export VAULT_ADDR=http://127.0.0.1:$PORT VAULT_TOKEN=$TOKEN

# The last signing request, and what it signed (hex).
last_sign() { grep '"path": "/v1/.*/sign/' "$LOG" | tail -n 1 >"$T/sign-request"; }
signed_hex() { grep -o '"input_hex": "[0-9a-f]*"' "$T/sign-request" | cut -d '"' -f 4; }
hex() { od -An -v -tx1 | tr -d ' \n'; }

echo "== ecdsa-p256 and RSA keys sign artifacts and blobs"
# key:VAULT_KEY_VERSION (- for none):the version used:public key:another public key
for spec in ec:-:2:$K/ecp256b.pub:$K/ecp256.pub ec:1:1:$K/ecp256.pub:$K/ecp256b.pub \
    rsa:-:1:$K/rsa3072.pub:$K/rsa2048.pub rsa2k:-:2:$T/rsa2048b.pub:$K/rsa2048.pub \
    rsa2k:1:1:$K/rsa2048.pub:$T/rsa2048b.pub; do
    IFS=: read -r key asked v pub other <<EOF
$spec
EOF
    label="$key v$v"
    if [ "$asked" = - ]; then unset VAULT_KEY_VERSION; else export VAULT_KEY_VERSION="$asked"; fi
    expect_exit 0 "$label: write" art "$T/w-$key-$v.mender" --vault-transit-key "$key"
    expect_exit 0 "$label: sign" "$ARTSIG" sign --vault-transit-key "$key" -o "$T/s-$key-$v.mender" \
        "$T/unsigned.mender"
    last_sign
    [ "$(signed_hex)" = "$(tar xOf "$T/s-$key-$v.mender" manifest | sha256sum | cut -d ' ' -f 1)" ] &&
        ok || bad "$label: the input is not the manifest's SHA-256: $(cat "$T/sign-request")"
    contains "$label: sha2-256 path" "$T/sign-request" "\"path\": \"/v1/transit/sign/$key/sha2-256\""
    contains "$label: prehashed" "$T/sign-request" '"prehashed": true'
    contains "$label: key_version" "$T/sign-request" "\"key_version\": $v"
    case $key in
    ec) contains "$label: jws" "$T/sign-request" '"marshaling_algorithm": "jws"' ;;
    *) contains "$label: pkcs1v15" "$T/sign-request" '"signature_algorithm": "pkcs1v15"' ;;
    esac
    expect_exit 0 "$label: sign-blob" "$ARTSIG" sign-blob --vault-transit-key "$key" "$T/msg"
    cp "$T/out" "$T/$key-$v.sig"
    verified "$label" "$pub" "$other" "$key-$v"
done
unset VAULT_KEY_VERSION
signs_in_place rsa "$K/rsa3072.pub"
contains "the key read" "$LOG" '"path": "/v1/transit/keys/ec"'
contains "the token sent" "$LOG" "\"X-Vault-Token\": \"$TOKEN\""

echo "== ed25519: the message itself is signed"
expect_exit 0 "ed25519: write" art "$T/w-ed.mender" --vault-transit-key ed
expect_exit 0 "ed25519: sign" "$ARTSIG" sign --vault-transit-key ed -o "$T/s-ed.mender" "$T/unsigned.mender"
last_sign
[ "$(signed_hex)" = "$(tar xOf "$T/s-ed.mender" manifest | hex)" ] && ok ||
    bad "ed25519: the input is not the manifest: $(cat "$T/sign-request")"
lacks "ed25519: not prehashed" "$T/sign-request" '"prehashed"'
for a in w s; do
    expect_exit 0 "ed25519 ($a): artsig validate" "$ARTSIG" validate -k "$K/ed25519.pub" "$T/$a-ed.mender"
    expect_exit 1 "ed25519 ($a): another key refuses" "$ARTSIG" validate -k "$K/ecp256.pub" "$T/$a-ed.mender"
done
expect_exit 0 "ed25519: sign-blob" "$ARTSIG" sign-blob --vault-transit-key ed "$T/msg"
cp "$T/out" "$T/ed.sig"
expect_exit 0 "ed25519: verify-blob" "$ARTSIG" verify-blob -k "$K/ed25519.pub" -s "$T/ed.sig" "$T/msg"

echo "== settings: mount, namespace, address"
mark
expect_exit 0 "VAULT_MOUNT_PATH" env VAULT_MOUNT_PATH=team/transit VAULT_NAMESPACE=ns1/release \
    "$ARTSIG" sign-blob --vault-transit-key ec "$T/msg"
cp "$T/out" "$T/mount.sig"
expect_exit 0 "VAULT_MOUNT_PATH: verifies" "$ARTSIG" verify-blob -k "$K/ecp256b.pub" -s "$T/mount.sig" "$T/msg"
since_mark
contains "VAULT_MOUNT_PATH: key read there" "$T/recent" '"path": "/v1/team/transit/keys/ec"'
contains "VAULT_MOUNT_PATH: signed there" "$T/recent" '"path": "/v1/team/transit/sign/ec/sha2-256"'
contains "VAULT_NAMESPACE: sent" "$T/recent" '"X-Vault-Namespace": "ns1/release"'
head -n "$mark" "$LOG" >"$T/before"
lacks "no namespace unless asked" "$T/before" X-Vault-Namespace
expect_exit 0 "localhost is loopback" env VAULT_ADDR="http://localhost:$PORT" \
    "$ARTSIG" sign-blob --vault-transit-key ec "$T/msg"

# https, trusted through VAULT_CACERT; the same server untrusted without it.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null || bad "openssl req"
if start_mock tls --tls "$T/tls.crt" "$T/tls.key" --token "$TOKEN" \
    "ec=ecdsa-p256:$K/ecp256.sec1.key"; then
    TLS=https://127.0.0.1:$port
    expect_exit 0 "https with VAULT_CACERT" env VAULT_ADDR="$TLS" VAULT_CACERT="$T/tls.crt" \
        "$ARTSIG" sign --vault-transit-key ec -o "$T/tls.mender" "$T/unsigned.mender"
    expect_exit 0 "https: mender-artifact validate" mender-artifact validate -k "$K/ecp256.pub" "$T/tls.mender"
else
    bad "mock_kms.py --tls did not start: $(cat "$T/tls.err")"
fi

echo "== refusals: one line, the exit code, no output, the artifact unchanged, no token shown"
for f in 401 403 500; do
    refused_signing 4 "key read: HTTP $f" "ec--pub-$f"
    contains "key read: HTTP $f: the status named" "$T/err" "$f"
    refused_signing 4 "sign: HTTP $f" "ec--sign-$f"
    contains "sign: HTTP $f: the status named" "$T/err" "$f"
    [ "$f" != 403 ] || contains "HTTP 403: Vault's message shown" "$T/err" "permission denied"
done
refused_signing 4 "sign: HTTP 400" "ec--sign-400"
refused_signing 3 "key read: HTTP 404" "ec--pub-404"
refused_signing 3 "sign: HTTP 404" "ec--sign-404"
refused_signing 3 "no such key" nosuch
refused_signing 3 "no such mount" ec VAULT_MOUNT_PATH=nosuch
refused_signing 3 "no such key version" ec VAULT_KEY_VERSION=9
refused_signing 2 "VAULT_KEY_VERSION not a number" ec VAULT_KEY_VERSION=latest
refused_signing 2 "VAULT_KEY_VERSION 0" ec VAULT_KEY_VERSION=0
refused_signing 4 "wrong token" ec VAULT_TOKEN=hvs.wrong
mark
refused_signing 4 "no token" ec -u VAULT_TOKEN
since_mark
[ ! -s "$T/recent" ] && ok || bad "no token: requests sent: $(cat "$T/recent")"
for f in garbage bad-prefix wrong-version pub-notjson sign-notjson pub-redirect sign-redirect; do
    refused_signing 4 "$f" "ec--$f"
done
refused_signing 4 "wrong version named in the prefix" "ec--wrong-version" VAULT_KEY_VERSION=1
lacks "redirects not followed" "$LOG" '"path": "/redirected"'
refused_signing 1 "another key's ECDSA signature" ec--other-key
refused_signing 1 "another key's RSA signature" rsa2k--other-key
for key in p384 aes liar; do
    refused_signing 3 "key type of $key refused" "$key"
done
lacks "refused key types: never asked to sign" "$LOG" '/sign/p384/'
refused_signing 4 "key read: timeout" ec--pub-slow ARTSIG_REMOTE_TIMEOUT=1
refused_signing 4 "sign: timeout" ec--sign-slow ARTSIG_REMOTE_TIMEOUT=1
refused_signing 4 "nothing listening" ec VAULT_ADDR=http://127.0.0.1:1
refused_signing 4 "https to a plain http server" ec VAULT_ADDR="https://127.0.0.1:$PORT"
[ -z "${TLS:-}" ] || refused_signing 4 "https, certificate not trusted" ec VAULT_ADDR="$TLS"
refused_signing 2 "plain http to another host" ec VAULT_ADDR=http://example.com:8200
contains "plain http: the variable named" "$T/err" VAULT_ADDR
refused_outside VAULT_ADDR ec "ec=ecdsa-p256:$K/ecp256.sec1.key"
# One signing source.
refused 2 "-k with --vault-transit-key" "$ARTSIG" sign -k "$K/ecp256.sec1.key" \
    --vault-transit-key ec -o "$T/fail/s.mender" "$T/unsigned.mender"
refused 2 "two Vault keys" "$ARTSIG" sign-blob --vault-transit-key ec --vault-transit-key rsa "$T/msg"
refused 2 "--vault-transit-key with --key-pkcs11" "$ARTSIG" write rootfs-image -f "$T/rootfs.img" \
    -n fail -t qemux86-64 -o "$T/fail/w.mender" --vault-transit-key ec \
    --key-pkcs11 "pkcs11:object=x;type=private"
help_mentions_option
no_violations "Vault's API"

finish
