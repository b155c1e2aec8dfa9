#!/bin/sh
# Keys in a PKCS#11 token (SoftHSM2, its token directory in $T through
# SOFTHSM2_CONF): RSA 3072 and ECDSA P-256 keys, generated in the token and
# imported from the vectors, sign artifacts (write, sign) and blobs through
# --key-pkcs11; Debian's mender-artifact accepts the artifacts with the PEM
# public key, and artsig verifies them through the token's public object. An
# Ed25519 key of the token signs a blob. Offline signing: the token signs the
# manifest, attach-signature checks it with the token's public object. The
# module comes from module-path, module-name (p11-kit's registry),
# $ARTSIG_PKCS11_MODULE or p11-kit's proxy; the PIN from pin-value (query or
# path), pin-source, --passphrase-file or the terminal (without echo). A wrong
# PIN, a missing object, module or token, a malformed URI and -k with
# --key-pkcs11 are each refused in one line naming the cause, never showing
# the PIN, with no output left behind. artsig-update takes pkcs11: entries in
# ArtifactVerifyKeys.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

for tool in softhsm2-util pkcs11-tool; do
    command -v "$tool" >/dev/null ||
        { echo "$tool is not installed (scripts/deps.sh installs softhsm2 and opensc)" >&2; exit 1; }
done
MOD=
for m in /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so; do
    [ -f "$m" ] && MOD=$m && break
done
[ -n "$MOD" ] || { echo "libsofthsm2.so not found (scripts/deps.sh installs softhsm2)" >&2; exit 1; }
need_mender_artifact
unset ARTSIG_PKCS11_MODULE

K=$VEC/keys
# Distinctive, so that a PIN shown in a message cannot go unnoticed.
PIN=5647382910
SOFTHSM2_CONF=$T/softhsm2.conf
export SOFTHSM2_CONF
mkdir "$T/tokens" "$T/fail"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" \
    >"$SOFTHSM2_CONF"
p11() {
    pkcs11-tool --module "$MOD" --token-label artsig "$@" >"$T/p11.log" 2>&1 ||
        bad "pkcs11-tool $*: $(tail -n 2 "$T/p11.log")"
}
softhsm2-util --init-token --free --label artsig --so-pin 0000 --pin "$PIN" >/dev/null ||
    bad "softhsm2-util --init-token"
# Imported keys get a private and a public object of the same label.
softhsm2-util --import "$K/rsa3072.pkcs8.key" --token artsig --label imp-rsa --id 01 --pin "$PIN" >/dev/null ||
    bad "import rsa3072"
softhsm2-util --import "$K/ecp256.pkcs8.key" --token artsig --label imp-ec --id 02 --pin "$PIN" >/dev/null ||
    bad "import ecp256"
cp "$K/rsa3072.pub" "$T/imp-rsa.pem"
cp "$K/ecp256.pub" "$T/imp-ec.pem"
for spec in gen-rsa:03:rsa:3072 gen-ec:04:EC:prime256v1 gen-ed:05:EC:edwards25519; do
    label=${spec%%:*} rest=${spec#*:}
    p11 --login --pin "$PIN" --keypairgen --key-type "${rest#*:}" --label "$label" --id "${rest%%:*}"
done
# The generated keys' public halves as PEM, for mender-artifact and verify-blob.
for label in gen-rsa gen-ec; do
    p11 --read-object --type pubkey --label "$label" -o "$T/$label.der"
    openssl pkey -pubin -inform DER -in "$T/$label.der" -out "$T/$label.pem" || bad "$label: no PEM"
done

# URIs of the token's objects: a private key with the PIN, a public key.
priv() { echo "pkcs11:token=artsig;object=$1;type=private?module-path=$MOD&pin-value=$PIN"; }
pub() { echo "pkcs11:token=artsig;object=$1;type=public?module-path=$MOD"; }
other() { # the key of the same kind and the other origin
    case $1 in imp-*) echo "gen-${1#imp-}" ;; *) echo "imp-${1#gen-}" ;; esac
}

head -c 100000 /dev/urandom >"$T/rootfs.img"
echo "a blob to sign" >"$T/msg"
art() { # art OUT [options]: a rootfs-image artifact for the simulated device
    out=$1
    shift
    "$ARTSIG" write rootfs-image -f "$T/rootfs.img" -n "$(basename "$out" .mender)" \
        -t qemux86-64 --no-progress -o "$out" "$@"
}
art "$T/unsigned.mender" || bad "write unsigned"

echo "== RSA 3072 and ECDSA P-256, generated in the token and imported"
for label in gen-rsa imp-rsa gen-ec imp-ec; do
    expect_exit 0 "$label: write" art "$T/w-$label.mender" --key-pkcs11 "$(priv "$label")"
    expect_exit 0 "$label: sign" "$ARTSIG" sign --key-pkcs11 "$(priv "$label")" \
        -o "$T/s-$label.mender" "$T/unsigned.mender"
    for a in w s; do
        f=$T/$a-$label.mender
        expect_exit 0 "$label ($a): mender-artifact validate" mender-artifact validate -k "$T/$label.pem" "$f"
        expect_exit 0 "$label ($a): validate --key-pkcs11" "$ARTSIG" validate --key-pkcs11 "$(pub "$label")" "$f"
        contains "$label ($a): validate names the token's key" "$T/out" \
            "verified correctly by key 1 (pkcs11:token=artsig;object=$label;"
        expect_exit 1 "$label ($a): another key refuses" "$ARTSIG" validate \
            --key-pkcs11 "$(pub "$(other "$label")")" "$f"
        expect_one_line_error "$label ($a): another key refuses"
    done
    # The public half of the private object, with the PIN in the URI: shown without it.
    expect_exit 0 "$label: validate by the private object" "$ARTSIG" validate --no-progress \
        --key-pkcs11 "$(priv "$label")" "$T/w-$label.mender"
    lacks "$label: pin-value not shown" "$T/out" "pin-value"
    lacks "$label: PIN not shown" "$T/out" "$PIN"
    # Keys from files and tokens in one keyring, tried in order.
    expect_exit 0 "$label: read, token key second" "$ARTSIG" read -k "$K/ed25519.pub" \
        --key-pkcs11 "$(pub "$label")" "$T/s-$label.mender"
    contains "$label: read" "$T/out" "Signature: signed and verified correctly by key 2 (pkcs11:"
    # Blobs.
    expect_exit 0 "$label: sign-blob" "$ARTSIG" sign-blob --key-pkcs11 "$(priv "$label")" "$T/msg"
    cp "$T/out" "$T/$label.sig"
    expect_exit 0 "$label: verify-blob with the PEM" "$ARTSIG" verify-blob -k "$T/$label.pem" \
        -s "$T/$label.sig" "$T/msg"
    expect_exit 0 "$label: verify-blob --key-pkcs11" "$ARTSIG" verify-blob \
        --key-pkcs11 "$(pub "$label")" -s "$T/$label.sig" "$T/msg"
    expect_exit 1 "$label: verify-blob, another key" "$ARTSIG" verify-blob \
        --key-pkcs11 "$(pub "$(other "$label")")" -s "$T/$label.sig" "$T/msg"
done
# An artifact signed in place through the token.
cp "$T/unsigned.mender" "$T/inplace.mender"
expect_exit 0 "sign in place" "$ARTSIG" sign --key-pkcs11 "$(priv gen-ec)" "$T/inplace.mender"
expect_exit 0 "sign in place: mender-artifact validate" mender-artifact validate -k "$T/gen-ec.pem" "$T/inplace.mender"

# Offline signing where the token is: the manifest signed by it, the
# signature checked against its public object when attached.
"$ARTSIG" export-manifest -o "$T/manifest" "$T/unsigned.mender" >/dev/null || bad "export-manifest"
"$ARTSIG" sign-blob --key-pkcs11 "$(priv imp-rsa)" "$T/manifest" >"$T/manifest.sig" 2>/dev/null ||
    bad "sign-blob of the manifest"
expect_exit 0 "attach-signature --key-pkcs11" "$ARTSIG" attach-signature --key-pkcs11 "$(pub imp-rsa)" \
    -o "$T/attached.mender" "$T/unsigned.mender" "$T/manifest.sig"
expect_exit 0 "attached: mender-artifact validate" mender-artifact validate -k "$T/imp-rsa.pem" "$T/attached.mender"
expect_exit 1 "attach-signature, another token key" "$ARTSIG" attach-signature --key-pkcs11 "$(pub gen-rsa)" \
    -o "$T/fail/a.mender" "$T/unsigned.mender" "$T/manifest.sig"
[ ! -e "$T/fail/a.mender" ] && ok || bad "attach-signature, another token key: output written"

echo "== a PIN holding the URI's separators, however written, is never shown"
# The library reads the PIN up to the separator of the part it sits in (';'
# in the path, '&' in the query), so '&' may stand bare in the path and ';'
# and '?' in the query; a name shown must drop what the library took.
SPIN='Xq&Jwv;Kzt?Vyp%Rum'
softhsm2-util --init-token --free --label special --so-pin 0000 --pin "$SPIN" >/dev/null ||
    bad "softhsm2-util --init-token special"
softhsm2-util --import "$K/ecp256.pkcs8.key" --token special --label sp --id 09 --pin "$SPIN" \
    >/dev/null || bad "import ecp256 into special"
SP="pkcs11:token=special;object=sp;type=private"
for uri in "$SP;pin-value=Xq&Jwv%3BKzt%3FVyp%25Rum?module-path=$MOD" \
    "$SP?module-path=$MOD&pin-value=Xq%26Jwv;Kzt?Vyp%25Rum" \
    "$SP?pin-value=Xq%26Jwv%3BKzt%3FVyp%25Rum&module-path=$MOD"; do
    for cmd in validate verify-blob; do
        case $cmd in
        validate) expect_exit 0 "PIN in $uri: $cmd" "$ARTSIG" validate --no-progress \
            --key-pkcs11 "$uri" "$T/w-imp-ec.mender" ;;
        verify-blob) expect_exit 0 "PIN in $uri: $cmd" "$ARTSIG" verify-blob --key-pkcs11 "$uri" \
            -s "$T/imp-ec.sig" "$T/msg" ;;
        esac
        contains "PIN in $uri: $cmd names the key" "$T/out" "$SP"
        for piece in pin-value Jwv Kzt Vyp Rum; do
            lacks "PIN in $uri: $cmd" "$T/out" "$piece"
        done
    done
done
# Gone again: a URI without token= below must find the one token it means.
softhsm2-util --delete-token --token special >/dev/null || bad "delete token special"

echo "== Ed25519 in the token"
expect_exit 0 "ed25519: sign-blob" "$ARTSIG" sign-blob --key-pkcs11 "$(priv gen-ed)" "$T/msg"
cp "$T/out" "$T/ed.sig"
expect_exit 0 "ed25519: verify-blob --key-pkcs11" "$ARTSIG" verify-blob --key-pkcs11 "$(pub gen-ed)" \
    -s "$T/ed.sig" "$T/msg"
expect_exit 1 "ed25519: another key refuses" "$ARTSIG" verify-blob -k "$K/ed25519.pub" -s "$T/ed.sig" "$T/msg"

echo "== where the module and the PIN come from"
# blob_ok DESCRIPTION URI [artsig options]: sign-blob through URI verifies with imp-ec's PEM.
blob_ok() {
    what=$1 uri=$2
    shift 2
    expect_exit 0 "$what" "$ARTSIG" sign-blob --key-pkcs11 "$uri" "$@" "$T/msg"
    cp "$T/out" "$T/any.sig"
    expect_exit 0 "$what: verifies" "$ARTSIG" verify-blob -k "$T/imp-ec.pem" -s "$T/any.sig" "$T/msg"
}
OBJ="pkcs11:token=artsig;object=imp-ec;type=private"
export ARTSIG_PKCS11_MODULE="$MOD"
blob_ok "module from ARTSIG_PKCS11_MODULE" "$OBJ?pin-value=$PIN"
blob_ok "pin-value in the path (libp11's form)" "pkcs11:object=imp-ec;type=private;pin-value=$PIN"
ARTSIG_PKCS11_MODULE=/nonexistent.so
blob_ok "module-path wins over a wrong ARTSIG_PKCS11_MODULE" "$OBJ?module-path=$MOD&pin-value=$PIN"
unset ARTSIG_PKCS11_MODULE
blob_ok "module-name=softhsm2 (p11-kit registration)" "$OBJ?module-name=softhsm2&pin-value=$PIN"
blob_ok "no module: p11-kit's proxy" "$OBJ?pin-value=$PIN"
printf '%s\n' "$PIN" >"$T/pin"
blob_ok "pin-source" "$OBJ?module-path=$MOD&pin-source=$T/pin"
blob_ok "pin from --passphrase-file" "$OBJ?module-path=$MOD" --passphrase-file "$T/pin"
# Asked on the terminal (script(1) gives the command one), with echo off. The
# PIN is typed only once the prompt shows, as a person would.
if command -v script >/dev/null; then
    mkfifo "$T/typed"
    script -qec "'$ARTSIG' sign-blob --key-pkcs11 '$OBJ?module-path=$MOD' '$T/msg'" /dev/null \
        <"$T/typed" >"$T/tty" 2>&1 &
    exec 3>"$T/typed"
    i=0
    while ! grep -q "PIN for token: " "$T/tty" && [ $i -lt 100 ]; do sleep 0.1 && i=$((i + 1)); done
    printf '%s\n' "$PIN" >&3
    exec 3>&-
    if wait $!; then ok; else bad "PIN from the terminal: $(cat "$T/tty")"; fi
    lacks "PIN from the terminal: echoed" "$T/tty" "$PIN"
    tr -d '\r' <"$T/tty" | sed -n '/^PIN for token: $/{n;p;}' >"$T/tty.sig"
    expect_exit 0 "PIN from the terminal: verifies" "$ARTSIG" verify-blob -k "$T/imp-ec.pem" \
        -s "$T/tty.sig" "$T/msg"
fi
expect_exit 0 "write: pin from --passphrase-file" art "$T/pf.mender" --key-pkcs11 "$OBJ?module-path=$MOD" \
    --passphrase-file "$T/pin"
expect_exit 0 "write: pin from --passphrase-file, validates" "$ARTSIG" validate -k "$T/imp-ec.pem" "$T/pf.mender"
# Public objects need no login, so no PIN.
expect_exit 0 "validate: no PIN needed" "$ARTSIG" validate --key-pkcs11 "$(pub imp-ec)" "$T/pf.mender"

echo "== refusals: one line, the cause, never the PIN, no output"
# refused CODE DESCRIPTION TEXT COMMAND...: exit CODE, one line on stderr
# containing TEXT and not the PIN, $T/fail left empty.
refused() {
    code=$1 what=$2 text=$3
    shift 3
    expect_exit "$code" "$what" "$@"
    expect_one_line_error "$what"
    contains "$what" "$T/err" "$text"
    lacks "$what: PIN shown" "$T/err" "$PIN"
    if [ -z "$(ls -A "$T/fail")" ]; then ok; else bad "$what: left $(ls -A "$T/fail")"; fi
}
# refused_signing CODE DESCRIPTION TEXT URI: write, sign and sign-blob all refuse.
refused_signing() {
    refused "$1" "$2 (write)" "$3" art "$T/fail/w.mender" --key-pkcs11 "$4"
    refused "$1" "$2 (sign)" "$3" "$ARTSIG" sign --key-pkcs11 "$4" -o "$T/fail/s.mender" \
        "$T/unsigned.mender"
    refused "$1" "$2 (sign-blob)" "$3" "$ARTSIG" sign-blob --key-pkcs11 "$4" "$T/msg"
}
Q="module-path=$MOD&pin-value=$PIN"
refused_signing 3 "wrong PIN" "wrong PIN" "pkcs11:token=artsig;object=gen-ec;type=private?module-path=$MOD&pin-value=0000"
refused_signing 3 "missing object" "object=nosuch" "pkcs11:token=artsig;object=nosuch;type=private?$Q"
refused_signing 3 "missing module" /nonexistent.so \
    "pkcs11:token=artsig;object=gen-ec;type=private?module-path=/nonexistent.so&pin-value=$PIN"
refused_signing 3 "absent token" "no token" "pkcs11:token=nosuch;object=gen-ec;type=private?$Q"
refused_signing 2 "malformed URI" objekt "pkcs11:token=artsig;objekt=gen-ec?$Q"
refused_signing 2 "malformed percent-encoding" "" "pkcs11:token=artsig;object=%zz?$Q"
# Without a PIN and without a terminal to ask on (setsid: no controlling terminal).
if command -v setsid >/dev/null; then
    refused 3 "no PIN, no terminal" "no PIN" setsid -w "$ARTSIG" sign-blob --key-pkcs11 "$OBJ?module-path=$MOD" "$T/msg"
fi
refused 3 "validate: missing object" "object=nosuch" "$ARTSIG" validate \
    --key-pkcs11 "pkcs11:token=artsig;object=nosuch;type=public?$Q" "$T/w-gen-ec.mender"
refused 3 "verify-blob: missing module" /nonexistent.so "$ARTSIG" verify-blob \
    --key-pkcs11 "pkcs11:object=gen-ec;type=public?module-path=/nonexistent.so" -s "$T/gen-ec.sig" "$T/msg"
refused 2 "read: malformed URI" secret "$ARTSIG" read --key-pkcs11 "pkcs11:object=gen-ec;type=secret" \
    "$T/w-gen-ec.mender"
refused 2 "write: -k with --key-pkcs11" --key-pkcs11 art "$T/fail/w.mender" -k "$K/ecp256.pkcs8.key" \
    --key-pkcs11 "$(priv gen-ec)"
refused 2 "sign: -k with --key-pkcs11" --key-pkcs11 "$ARTSIG" sign -k "$K/ecp256.pkcs8.key" \
    --key-pkcs11 "$(priv gen-ec)" -o "$T/fail/s.mender" "$T/unsigned.mender"
refused 2 "sign-blob: -k with --key-pkcs11" --key-pkcs11 "$ARTSIG" sign-blob --key-pkcs11 "$(priv gen-ec)" \
    -k "$K/ecp256.pkcs8.key" "$T/msg"
refused 2 "sign: two token keys" "one signing key" "$ARTSIG" sign --key-pkcs11 "$(priv gen-ec)" \
    --key-pkcs11 "$(priv imp-ec)" -o "$T/fail/s.mender" "$T/unsigned.mender"
# A failed in-place signing leaves the artifact as it was.
cp "$T/unsigned.mender" "$T/fail-inplace.mender"
expect_exit 3 "in place, wrong PIN" "$ARTSIG" sign \
    --key-pkcs11 "pkcs11:token=artsig;object=gen-ec;type=private?module-path=$MOD&pin-value=0000" \
    "$T/fail-inplace.mender"
if cmp -s "$T/unsigned.mender" "$T/fail-inplace.mender"; then ok; else bad "in place, wrong PIN: artifact changed"; fi
for cmd in sign sign-blob write validate verify-blob read attach-signature; do
    case $cmd in write) set -- write rootfs-image --help ;; *) set -- "$cmd" --help ;; esac
    expect_exit 0 "$cmd --help" "$ARTSIG" "$@"
    contains "$cmd --help mentions --key-pkcs11" "$T/out" --key-pkcs11
done

echo "== artsig-update: a pkcs11: entry in ArtifactVerifyKeys"
keys_json() { printf '"ArtifactVerifyKeys":["%s"],' "$1"; }
new_device qemux86-64 "$(keys_json "$(pub gen-rsa)")"
expect_exit 0 "install, verified through the token" upd install "$T/w-gen-rsa.mender"
expect_env "install through the token" mender_boot_part 3
# update_refused DESCRIPTION URI ARTIFACT TEXT: one line with TEXT, device kept.
update_refused() {
    new_device qemux86-64 "$(keys_json "$2")"
    save_device
    expect_exit 1 "$1" upd install "$3"
    expect_one_error_line "$1"
    contains "$1" "$T/err" "$4"
    lacks "$1: PIN shown" "$T/err" "$PIN"
    expect_device_kept "$1"
}
update_refused "update: another token key" "$(pub gen-ec)" "$T/w-gen-rsa.mender" ""
update_refused "update: missing object" \
    "pkcs11:token=artsig;object=nosuch;type=public?module-path=$MOD&pin-value=$PIN" "$T/w-gen-rsa.mender" "object=nosuch"
update_refused "update: absent token" "pkcs11:token=nosuch;object=gen-rsa;type=public?module-path=$MOD" \
    "$T/w-gen-rsa.mender" "nothing installs"
update_refused "update: malformed URI" "pkcs11:token=artsig;objekt=gen-rsa?module-path=$MOD" \
    "$T/w-gen-rsa.mender" "nothing installs"

finish
