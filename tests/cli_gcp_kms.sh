#!/bin/sh
# Cloud KMS keys (--gcp-kms-key) against tests/mock_kms.py, a local Cloud
# KMS that signs with the vectors' keys and checks every request against
# Google's documented protocol: write, sign (to a file and in place) and
# sign-blob with EC P-256 and RSA 2048/3072 key versions, validated by
# Debian's mender-artifact 3.9 and by artsig, and refused by another key;
# the request carries the SHA-256 of the manifest and its CRC32C. Access
# tokens from GOOGLE_OAUTH_ACCESS_TOKEN, from a service-account key file (a
# JWT exchanged at its token_uri) and from the metadata server. Every fault
# of the service (HTTP 401/403/404/500, CRC32C mismatches, wrong names,
# refused algorithms, a timeout, garbage, another key's signature) and of
# the settings (plain http to another host, no credentials) is refused in
# one line with its exit code, no output, the artifact signed in place left
# as it was, and no token shown.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
API=gcp OPT=--gcp-kms-key
. "$SRC/tests/remote_lib.sh"

TOKEN=ya29.artsig-test-4b1d9c07
SA=signer@artsig-test.iam.gserviceaccount.com
serve kms --token "$TOKEN" --slow 4 --service-account "$SA=$K/rsa2048.pub" \
    "ec=EC_SIGN_P256_SHA256:$K/ecp256.sec1.key,$K/ecp256b.sec1.key" \
    "rsa=RSA_SIGN_PKCS1_3072_SHA256:$K/rsa3072.pkcs8.key" \
    "rsa2k=RSA_SIGN_PKCS1_2048_SHA256:$K/rsa2048.pkcs8.key,$T/rsa2048b.key" \
    "p384=EC_SIGN_P384_SHA384:$K/ecp384.sec1.key" \
    "pss=RSA_SIGN_PSS_2048_SHA256:$K/rsa2048.pkcs8.key" \
    "ed=EC_SIGN_ED25519:$K/ed25519.key" \
    "raw=RSA_SIGN_RAW_PKCS1_2048:$K/rsa2048.pkcs8.key" \
    "liar=EC_SIGN_P256_SHA256:$K/rsa2048.pkcs8.key" \
    "sym=GOOGLE_SYMMETRIC_ENCRYPTION"
export ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:$PORT GOOGLE_OAUTH_ACCESS_TOKEN=$TOKEN
# kms KEY [VERSION]: a key version's name; KEY--FAULT makes the mock misbehave.
kms() { echo "projects/artsig-test/locations/europe-west1/keyRings/release/cryptoKeys/$1/cryptoKeyVersions/${2:-1}"; }

# The digest the last asymmetricSign call carried, and the manifest's.
last_digest() { grep -o '"digest_hex": "[0-9a-f]*"' "$LOG" | tail -n 1 | cut -d '"' -f 4; }
# The access token the mock issued last.
issued() { grep -o '"issued": "[^"]*"' "$T/recent" | tail -n 1 | cut -d '"' -f 4; }
manifest_digest() { tar xOf "$1" manifest | sha256sum | cut -d ' ' -f 1; }

echo "== EC P-256 and RSA key versions sign artifacts and blobs"
# key:version:public key:another public key
for spec in ec:1:$K/ecp256.pub:$K/ecp256b.pub ec:2:$K/ecp256b.pub:$K/ecp256.pub \
    rsa:1:$K/rsa3072.pub:$K/rsa2048.pub rsa2k:1:$K/rsa2048.pub:$T/rsa2048b.pub \
    rsa2k:2:$T/rsa2048b.pub:$K/rsa2048.pub; do
    IFS=: read -r key v pub other <<EOF
$spec
EOF
    label="$key v$v"
    name=$(kms "$key" "$v")
    expect_exit 0 "$label: write" art "$T/w-$key-$v.mender" --gcp-kms-key "$name"
    expect_exit 0 "$label: sign" "$ARTSIG" sign --gcp-kms-key "$name" -o "$T/s-$key-$v.mender" \
        "$T/unsigned.mender"
    [ "$(last_digest)" = "$(manifest_digest "$T/s-$key-$v.mender")" ] && ok ||
        bad "$label: asymmetricSign's digest is not the manifest's SHA-256"
    expect_exit 0 "$label: sign-blob" "$ARTSIG" sign-blob --gcp-kms-key "$name" "$T/msg"
    cp "$T/out" "$T/$key-$v.sig"
    [ "$(last_digest)" = "$(sha256sum "$T/msg" | cut -d ' ' -f 1)" ] && ok ||
        bad "$label: sign-blob: asymmetricSign's digest is not the message's SHA-256"
    verified "$label" "$pub" "$other" "$key-$v"
done
signs_in_place "$(kms ec)" "$K/ecp256.pub"
# The public key is fetched, then signing asked for, both with the token.
contains "getPublicKey called" "$LOG" "\"path\": \"/v1/$(kms ec)/publicKey\""
contains "asymmetricSign called" "$LOG" "\"path\": \"/v1/$(kms ec):asymmetricSign\""
contains "bearer token sent" "$LOG" "\"Authorization\": \"Bearer $TOKEN\""
contains "digestCrc32c sent" "$LOG" '"digestCrc32c": "'
expect_exit 0 "localhost is loopback" env ARTSIG_GCP_KMS_ENDPOINT="http://localhost:$PORT" \
    "$ARTSIG" sign-blob --gcp-kms-key "$(kms ec)" "$T/msg"

echo "== access tokens: a service account's JWT, the metadata server"
# service_account FILE KEY [EMAIL [TOKEN_URI [TYPE]]]: a service-account key file.
service_account() {
    python3 - "$@" <<'EOF'
import json, sys
path, key = sys.argv[1:3]
email = sys.argv[3] if len(sys.argv) > 3 else "signer@artsig-test.iam.gserviceaccount.com"
uri = sys.argv[4] if len(sys.argv) > 4 else None
kind = sys.argv[5] if len(sys.argv) > 5 else "service_account"
json.dump({"type": kind, "project_id": "artsig-test", "private_key_id": "6e3b1c0ffee",
           "private_key": open(key).read(), "client_email": email, "client_id": "1234567890",
           "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": uri,
           "universe_domain": "googleapis.com"}, open(path, "w"), indent=2)
EOF
}
URI=http://127.0.0.1:$PORT/token
service_account "$T/sa.json" "$K/rsa2048.pkcs8.key" "$SA" "$URI"
mark
expect_exit 0 "service account: sign" env -u GOOGLE_OAUTH_ACCESS_TOKEN \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa.json" "$ARTSIG" sign --gcp-kms-key "$(kms ec)" \
    -o "$T/sa.mender" "$T/unsigned.mender"
expect_exit 0 "service account: mender-artifact validate" mender-artifact validate \
    -k "$K/ecp256.pub" "$T/sa.mender"
since_mark
contains "service account: JWT signature checked" "$T/recent" '"jwt_signature_ok": true'
contains "service account: JWT kid" "$T/recent" '"kid": "6e3b1c0ffee"'
contains "service account: JWT iss" "$T/recent" "\"iss\": \"$SA\""
contains "service account: JWT aud" "$T/recent" "\"aud\": \"$URI\""
contains "service account: JWT scope" "$T/recent" '"scope": "https://www.googleapis.com/auth/cloudkms"'
[ -n "$(issued)" ] && contains "service account: the token used" "$T/recent" \
    "\"Authorization\": \"Bearer $(issued)\"" || bad "service account: no token issued"
lacks "service account: the environment's token unused" "$T/recent" "Bearer $TOKEN"
lacks "service account: no key sent" "$T/recent" "PRIVATE KEY"
mark
expect_exit 0 "metadata server: sign-blob" env -u GOOGLE_OAUTH_ACCESS_TOKEN \
    GCE_METADATA_HOST="127.0.0.1:$PORT" "$ARTSIG" sign-blob --gcp-kms-key "$(kms rsa)" "$T/msg"
cp "$T/out" "$T/md.sig"
expect_exit 0 "metadata server: verifies" "$ARTSIG" verify-blob -k "$K/rsa3072.pub" -s "$T/md.sig" "$T/msg"
since_mark
contains "metadata server: asked" "$T/recent" \
    '"path": "/computeMetadata/v1/instance/service-accounts/default/token"'
contains "metadata server: Metadata-Flavor" "$T/recent" '"Metadata-Flavor": "Google"'
[ -n "$(issued)" ] && contains "metadata server: the token used" "$T/recent" \
    "\"Authorization\": \"Bearer $(issued)\"" || bad "metadata server: no token issued"

echo "== refusals: one line, the exit code, no output, the artifact unchanged, no token shown"
for f in 401 403 500; do
    refused_signing 4 "getPublicKey: HTTP $f" "$(kms "ec--pub-$f")"
    contains "getPublicKey: HTTP $f: the status named" "$T/err" "$f"
    refused_signing 4 "asymmetricSign: HTTP $f" "$(kms "ec--sign-$f")"
    contains "asymmetricSign: HTTP $f: the status named" "$T/err" "$f"
    [ "$f" != 403 ] || contains "HTTP 403: Google's message shown" "$T/err" \
        "Permission 'cloudkms.cryptoKeyVersions.useToSign' denied"
done
refused_signing 3 "getPublicKey: HTTP 404" "$(kms ec--pub-404)"
refused_signing 3 "asymmetricSign: HTTP 404" "$(kms ec--sign-404)"
refused_signing 3 "no such key version" "$(kms ec 9)"
refused_signing 4 "asymmetricSign: HTTP 400" "$(kms ec--sign-400)"
refused_signing 4 "wrong token" "$(kms ec)" GOOGLE_OAUTH_ACCESS_TOKEN=ya29.wrong
for f in bad-pem-crc pub-wrong-name pub-notjson pub-redirect bad-sig-crc unverified \
    sign-wrong-name sign-notjson sign-redirect garbage; do
    refused_signing 4 "$f" "$(kms "ec--$f")"
done
lacks "redirects not followed" "$LOG" '"path": "/redirected"'
refused_signing 1 "another key's EC signature" "$(kms ec--other-key)"
refused_signing 1 "another key's RSA signature" "$(kms rsa2k--other-key)"
for key in p384 pss ed raw liar; do
    refused_signing 3 "algorithm of $key refused" "$(kms "$key")"
done
lacks "refused algorithms: never asked to sign" "$LOG" "cryptoKeys/p384/cryptoKeyVersions/1:asymmetricSign"
refused_signing 4 "a symmetric key" "$(kms sym)"
refused_signing 4 "getPublicKey: timeout" "$(kms ec--pub-slow)" ARTSIG_REMOTE_TIMEOUT=1
refused_signing 4 "asymmetricSign: timeout" "$(kms ec--sign-slow)" ARTSIG_REMOTE_TIMEOUT=1
refused_signing 4 "nothing listening" "$(kms ec)" ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:1
refused_signing 4 "https to a plain http server" "$(kms ec)" ARTSIG_GCP_KMS_ENDPOINT=https://127.0.0.1:$PORT
refused_signing 2 "plain http to another host" "$(kms ec)" ARTSIG_GCP_KMS_ENDPOINT=http://example.com
contains "plain http: the variable named" "$T/err" ARTSIG_GCP_KMS_ENDPOINT
refused_signing 2 "not a key version name" "projects/artsig-test/cryptoKeys/ec"
refused_signing 2 "malformed ARTSIG_REMOTE_TIMEOUT" "$(kms ec)" ARTSIG_REMOTE_TIMEOUT=soon
refused_outside ARTSIG_GCP_KMS_ENDPOINT "$(kms ec)" "ec=EC_SIGN_P256_SHA256:$K/ecp256.sec1.key"
# Credentials.
noenv="-u GOOGLE_OAUTH_ACCESS_TOKEN"
# shellcheck disable=SC2086
refused_signing 4 "no credentials, no metadata server" "$(kms ec)" $noenv GCE_METADATA_HOST=127.0.0.1:1
service_account "$T/sa-wrongkey.json" "$K/rsa3072.pkcs8.key" "$SA" "$URI"
# shellcheck disable=SC2086
refused_signing 4 "service account: JWT signed by another key" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa-wrongkey.json"
# The token endpoint's OAuth error (400 invalid_grant) is a credentials
# problem, and its error_description is what tells the user why.
contains "service account refused: OAuth error_description shown" "$T/err" "Invalid JWT"
contains "service account refused: a credentials failure" "$T/err" \
    "credentials missing or refused: Cloud KMS token exchange: HTTP 400"
service_account "$T/sa-unknown.json" "$K/rsa2048.pkcs8.key" nobody@artsig-test.iam.gserviceaccount.com "$URI"
# shellcheck disable=SC2086
refused_signing 4 "service account: unknown to the token endpoint" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa-unknown.json"
service_account "$T/sa-ec.json" "$K/ecp256.pkcs8.key" "$SA" "$URI"
# shellcheck disable=SC2086
refused_signing 4 "service account: not an RSA key" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa-ec.json"
service_account "$T/sa-user.json" "$K/rsa2048.pkcs8.key" "$SA" "$URI" authorized_user
# shellcheck disable=SC2086
refused_signing 4 "credentials: not a service account" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa-user.json"
service_account "$T/sa-plain.json" "$K/rsa2048.pkcs8.key" "$SA" http://example.com/token
# shellcheck disable=SC2086
refused_signing 2 "service account: plain http token_uri" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/sa-plain.json"
lacks "credentials: the private key not shown" "$T/err" "PRIVATE KEY"
# shellcheck disable=SC2086
refused_signing 3 "credentials file missing" "$(kms ec)" $noenv \
    GOOGLE_APPLICATION_CREDENTIALS="$T/nonexistent.json"
# One signing source.
refused 2 "-k with --gcp-kms-key" "$ARTSIG" sign -k "$K/ecp256.sec1.key" --gcp-kms-key "$(kms ec)" \
    -o "$T/fail/s.mender" "$T/unsigned.mender"
refused 2 "two Cloud KMS keys" "$ARTSIG" sign-blob --gcp-kms-key "$(kms ec)" \
    --gcp-kms-key "$(kms rsa)" "$T/msg"
refused 2 "--gcp-kms-key with --vault-transit-key" "$ARTSIG" write rootfs-image -f "$T/rootfs.img" \
    -n fail -t qemux86-64 -o "$T/fail/w.mender" --gcp-kms-key "$(kms ec)" --vault-transit-key ec
help_mentions_option
no_violations "Cloud KMS's protocol"

finish
