#!/bin/sh
# Issue 21: no secret survives in memory the library does not wipe or keep
# out of core dumps. A core is taken with gcore of tests/secret-holder (a
# dumpable program using the library) while its signing call waits on a slow
# mock service, after the service-account key was used and the token
# fetched: no 16-byte window of the key (its PEM's base64 lines; its private
# integers, big-endian as in DER and little-endian as in OpenSSL's limbs) or
# of a token may be found in it. And the artsig CLI makes itself
# non-dumpable: a process of its own user cannot read its memory.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
API=gcp OPT=--gcp-kms-key
. "$SRC/tests/remote_lib.sh"
HOLDER=$BUILD/tests/secret-holder
TOKEN=hvs.artsig-core-test-0d9a77e1c4b2f6a8
command -v gcore >/dev/null || { bad "gcore is needed (gdb; scripts/deps.sh installs it)"; finish; exit; }

SA=signer@artsig-test.iam.gserviceaccount.com
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa.key" 2>/dev/null &&
    openssl pkey -in "$T/sa.key" -pubout -out "$T/sa.pub" && ok || bad "openssl genpkey"
CLI_TOKEN=ya29.artsig-core-test-cli
serve kms --slow 6 --token "$CLI_TOKEN" --service-account "$SA=$T/sa.pub" "ec=EC_SIGN_P256_SHA256:$K/ecp256.sec1.key"
GCP_PORT=$PORT GCP_LOG=$LOG
python3 - "$T/sa.json" "$T/sa.key" "$SA" "http://127.0.0.1:$PORT/token" <<'EOF'
import json, sys
path, key, email, uri = sys.argv[1:5]
json.dump({"type": "service_account", "project_id": "artsig-test", "private_key_id": "c0de",
           "private_key": open(key).read(), "client_email": email, "token_uri": uri},
          open(path, "w"))
EOF
API=vault serve vault --slow 6 --token "$TOKEN" "ec=ecdsa-p256:$K/ecp256.sec1.key"
printf '%s\n' "$TOKEN" >"$T/vault.token"

# core_while_signing LABEL LOG PATH HOLDER-ARGS...: run the holder, take a
# core ($T/core.PID) once its signing request at PATH reached the mock (which
# logs a request when it answers: the slow one is logged after the core), and
# check that the holder then signed. Sets $core.
core_while_signing() {
    label=$1 log=$2 path=$3
    shift 3
    : >"$T/holder.err"
    before=$(wc -l <"$log")
    # Bounded by the library's own timeout: a wrapper would be the process dumped.
    ARTSIG_REMOTE_TIMEOUT=20 "$HOLDER" "$@" 2>"$T/holder.err" &
    pid=$!
    # The requests before the slow one are answered and logged: once the
    # public key is logged, the signing request follows at once.
    i=0
    while [ "$(tail -n +$((before + 1)) "$log" | grep -c "$path")" -eq 0 ] && [ $i -lt 100 ]; do
        sleep 0.1 && i=$((i + 1))
    done
    sleep 1
    core=$T/core.$pid
    timeout 60 gcore -o "$T/core" "$pid" >"$T/gcore.out" 2>&1 && [ -s "$core" ] && ok ||
        bad "$label: gcore failed: $(tail -n 3 "$T/gcore.out")"
    wait "$pid" && ok || bad "$label: the holder failed: $(cat "$T/holder.err")"
}

# absent LABEL CORE [key FILE] [text STRING]...: no 16-byte window of the
# secrets in the memory of CORE (its PT_LOAD segments; its notes hold the
# registers, whose SIMD state may keep the last bytes the CPU copied).
absent() {
    python3 - "$@" <<'EOF' || bad "$1: $(cat "$2.found")"
import re, struct, subprocess, sys
label, data, args = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3:]
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
segments = []
for i in range(phnum):
    kind, _, offset, _, _, size = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
    if kind == 1:
        segments.append(data[offset:offset + size])
core = (b"\0" * 16).join(segments)
secrets = {}
for kind, value in zip(args[::2], args[1::2]):
    if kind == "text":
        secrets["token " + value[:12]] = [value.encode()]
        continue
    pem = open(value).read().splitlines()
    secrets["PEM base64"] = [l.encode() for l in pem if not l.startswith("-----")]
    text = subprocess.run(["openssl", "pkey", "-in", value, "-text", "-noout"],
                          capture_output=True, text=True, check=True).stdout
    for name, hexed in re.findall(r"^(privateExponent|prime1|prime2|exponent1|exponent2|"
                                  r"coefficient):\n((?:\s+[0-9a-f:]+\n)+)", text, re.M):
        raw = bytes.fromhex(re.sub(r"[\s:]", "", hexed)).lstrip(b"\0")
        secrets[name] = [raw, raw[::-1]]
windows = {}
for name, parts in secrets.items():
    for part in parts:
        for i in range(len(part) - 15):
            windows[part[i:i + 16]] = name
found = {}
for i in range(len(core) - 15):
    name = windows.get(core[i:i + 16])
    if name:
        found[name] = found.get(name, 0) + 1
with open(sys.argv[2] + ".found", "w") as f:
    f.write(", ".join("%d windows of %s" % (n, k) for k, n in sorted(found.items())))
sys.exit(1 if found else 0)
EOF
}

export ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:$GCP_PORT
name=projects/artsig-test/locations/global/keyRings/r/cryptoKeys/ec--sign-slow/cryptoKeyVersions/1
# A sanitizer's shadow memory (terabytes mapped) makes gcore take minutes,
# and its quarantine delays frees: the cores are taken of plain builds.
if [ -n "${ARTSIG_SANITIZED:-}" ]; then
    echo "== cores skipped in a build with $ARTSIG_SANITIZED sanitizers"
else
echo "== Cloud KMS: service-account key and OAuth token"
core_while_signing "Cloud KMS" "$GCP_LOG" "ec--sign-slow/cryptoKeyVersions/1/publicKey" \
    gcp "$name" "$T/sa.json"
issued=$(grep -o '"issued": "[^"]*"' "$GCP_LOG" | tail -n 1 | cut -d '"' -f 4)
[ -n "$issued" ] && ok || bad "Cloud KMS: no token issued"
contains "Cloud KMS: the token was used" "$GCP_LOG" "Bearer $issued"
# The core is the holder's, with its heap: the key version name is in it.
grep -qa "cryptoKeys/ec--sign-slow" "$core" && ok || bad "Cloud KMS: the core is not the holder's"
absent "Cloud KMS core" "$core" key "$T/sa.key" text "$issued"
rm -f "$core"

echo "== Vault: the token"
export VAULT_ADDR=http://127.0.0.1:$PORT
core_while_signing "Vault" "$LOG" "/v1/transit/keys/ec--sign-slow" vault ec--sign-slow "$T/vault.token"
absent "Vault core" "$core" text "$TOKEN"
rm -f "$core"
fi

echo "== the CLI is not dumpable"
# Its memory, like its environment, is then closed to other processes of its
# user (without CAP_SYS_PTRACE); as root, both run as nobody.
# (A command, not a function: in the background that would be a subshell.)
as_user=
[ "$(id -u)" -ne 0 ] || as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
chmod a+rx "$T" && chmod a+r "$T/msg"
# shellcheck disable=SC2086
$as_user env GOOGLE_OAUTH_ACCESS_TOKEN=$CLI_TOKEN \
    "$ARTSIG" sign-blob --gcp-kms-key "$name" "$T/msg" >/dev/null 2>&1 &
pid=$!
i=0
while [ "$(grep -c "Bearer $CLI_TOKEN" "$GCP_LOG")" -eq 0 ] && [ $i -lt 100 ]; do
    sleep 0.1 && i=$((i + 1))
done
sleep 0.5
kill -0 "$pid" 2>/dev/null && ok || bad "the CLI did not wait on the slow service"
# shellcheck disable=SC2086
if $as_user cat "/proc/$pid/environ" >/dev/null 2>&1; then
    bad "the CLI's environment (and memory) is readable by its user: it is dumpable"
else
    ok
fi
wait "$pid"

finish
