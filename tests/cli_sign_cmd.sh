#!/bin/sh
# --sign-cmd: the documented example signer (examples/sign-cmd-openssl.sh,
# which docs/sign-cmd.md shows verbatim) signs with sign, sign-blob and every
# write subcommand; mender-artifact 3.9 accepts its RSA and ECDSA artifacts,
# artsig its Ed25519 ones. A program that fails is exit 4 in one line with
# no output; a signature of another key is exit 1; a signing source given
# twice, or --sign-cmd without its public key, is a usage error (2).
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
K=$VEC/keys
EX=$SRC/examples/sign-cmd-openssl.sh
need_mender_artifact

# ---- The documentation shows exactly the example that is tested ----
awk '/^```sh$/ && shown {on = 1; next} /^```$/ {on = 0; shown = 0} on {print}
     /<!-- examples\/sign-cmd-openssl.sh -->/ {shown = 1}' \
    "$SRC/docs/sign-cmd.md" >"$T/doc-example.sh"
if [ -s "$T/doc-example.sh" ] && cmp -s "$T/doc-example.sh" "$EX"; then ok; else
    bad "docs/sign-cmd.md does not show examples/sign-cmd-openssl.sh as it is"
fi
[ "$(grep -cv '^#' "$EX")" -le 10 ] && ok || bad "the example is longer than ten lines of code"

W=$T/w
mkdir -p "$W"
seq 1 30000 >"$W/rootfs.img"
head -c 5000 /dev/urandom >"$W/app.bin"
"$ARTSIG" write rootfs-image -n unsigned -t dev-a -f "$W/rootfs.img" -o "$W/unsigned.mender" \
    --no-progress && ok || bad "artsig could not write an unsigned artifact"
echo "a blob to sign" >"$W/blob"

# private key:public key:the validator (mender-artifact 3.9 has no Ed25519)
for form in rsa3072.pkcs8.key:rsa3072.pub:mender ecp256.pkcs8.key:ecp256.pub:mender \
    ecp256.sec1.key:ecp256.pub.der:mender ed25519.key:ed25519.pub:artsig; do
    priv=${form%%:*} rest=${form#*:}
    pub=${rest%%:*} checker=${rest#*:}
    cmd="$EX $K/$priv"
    validate() {
        expect_exit 0 "$1: artsig validate" "$ARTSIG" validate -k "$K/$pub" "$2"
        if [ "$checker" = mender ]; then
            expect_exit 0 "$1: mender-artifact validate" mender-artifact validate -k "$K/$pub" "$2"
        fi
    }
    out=$W/out.mender
    label="write rootfs-image, $priv"
    expect_exit 0 "$label" "$ARTSIG" write rootfs-image -n r1 -t dev-a -f "$W/rootfs.img" \
        -o "$out" --sign-cmd "$cmd" --sign-cmd-public-key "$K/$pub"
    validate "$label" "$out"
    label="write module-image, $priv"
    expect_exit 0 "$label" "$ARTSIG" write module-image -n m1 -t dev-a -T single-file \
        -f "$W/app.bin" -o "$out" --sign-cmd "$cmd" --sign-cmd-public-key "$K/$pub"
    validate "$label" "$out"
    label="write bootstrap-artifact, $priv"
    expect_exit 0 "$label" "$ARTSIG" write bootstrap-artifact -n b1 -t dev-a -p boot.stage:1 \
        -o "$out" --sign-cmd="$cmd" --sign-cmd-public-key="$K/$pub"
    validate "$label" "$out"
    label="sign in place, $priv"
    cp "$W/unsigned.mender" "$out"
    expect_exit 0 "$label" "$ARTSIG" sign --sign-cmd "$cmd" --sign-cmd-public-key "$K/$pub" "$out"
    [ ! -s "$T/err" ] && ok || bad "$label: not silent: $(cat "$T/err")"
    validate "$label" "$out"
    label="sign-blob, $priv"
    expect_exit 0 "$label" "$ARTSIG" sign-blob --sign-cmd "$cmd" --sign-cmd-public-key "$K/$pub" \
        "$W/blob"
    cp "$T/out" "$W/blob.sig"
    expect_exit 0 "$label: verify-blob" "$ARTSIG" verify-blob -k "$K/$pub" -s "$W/blob.sig" "$W/blob"
done
# The public key may be given as the private key file itself.
expect_exit 0 "public key from a private key file" "$ARTSIG" sign-blob \
    --sign-cmd "$EX $K/ecp256.sec1.key" --sign-cmd-public-key "$K/ecp256.sec1.key" "$W/blob"

# ---- Programs that fail: exit 4, one line, no output ----
cp "$W/unsigned.mender" "$W/keep.mender"
cp "$W/unsigned.mender" "$W/in-place.mender"
pub=$K/ecp256.pub
for program in "echo 'not a signature!'" "cat >/dev/null; exit 3" "kill -9 \$\$" \
    "/nonexistent/signer 2>/dev/null" "yes"; do
    expect_refusal 4 "write, program '$program'" "$W/fail.mender" "$ARTSIG" write rootfs-image \
        -n f -t dev-a -f "$W/rootfs.img" -o "$W/fail.mender" --sign-cmd "$program" \
        --sign-cmd-public-key "$pub"
    expect_refusal 4 "sign -o, program '$program'" "$W/fail.mender" "$ARTSIG" sign \
        --sign-cmd "$program" --sign-cmd-public-key "$pub" -o "$W/fail.mender" "$W/in-place.mender"
    expect_refusal 4 "sign-blob, program '$program'" "$W/fail.sig" "$ARTSIG" sign-blob \
        --sign-cmd "$program" --sign-cmd-public-key "$pub" "$W/blob"
    expect_exit 4 "sign in place, program '$program'" "$ARTSIG" sign --sign-cmd "$program" \
        --sign-cmd-public-key "$pub" "$W/in-place.mender"
    cmp -s "$W/in-place.mender" "$W/keep.mender" && ok ||
        bad "sign in place, program '$program': the artifact changed"
done
expect_exit 4 "garbage" "$ARTSIG" sign-blob --sign-cmd "echo garbage" --sign-cmd-public-key "$pub" \
    "$W/blob"
contains "garbage" "$T/err" 'the signer program printed no base64 signature'
expect_exit 4 "exit 3" "$ARTSIG" sign-blob --sign-cmd "exit 3" --sign-cmd-public-key "$pub" "$W/blob"
contains "exit 3" "$T/err" 'the signer program exited with status 3'

# ---- A program that leaves a child in the background holding stdout ----
# Once the program itself ended, what it wrote is the answer: artsig does
# not wait for the stdout its background child keeps open (for ever, were
# that child a daemon).
start=$(date +%s)
expect_exit 0 "background child holding stdout" "$ARTSIG" sign-blob \
    --sign-cmd "$EX $K/ecp256.sec1.key; sleep 30 & echo \$! >'$W/bg.pid'" \
    --sign-cmd-public-key "$pub" "$W/blob"
took=$(($(date +%s) - start))
[ "$took" -lt 10 ] && ok || bad "background child holding stdout: sign-blob took ${took}s"
cp "$T/out" "$W/bg.sig"
expect_exit 0 "background child holding stdout: verify-blob" "$ARTSIG" verify-blob -k "$pub" \
    -s "$W/bg.sig" "$W/blob"
kill "$(cat "$W/bg.pid")" 2>/dev/null

# ---- A stop signal reaches the signer program ----
# `kill` of artsig alone used to leave its signer running; now the program
# gets the signal too, and artsig ends as that signal ends a process.
# (SIGINT is not tried: a background job of a script ignores it from birth.)
for sig_number in TERM:15 HUP:1; do
    sig=${sig_number%:*}
    rm -f "$W/stop.pid"
    "$ARTSIG" sign-blob --sign-cmd "echo \$\$ >'$W/stop.pid'; exec sleep 60" \
        --sign-cmd-public-key "$pub" "$W/blob" >"$W/stop.out" 2>"$T/err" &
    apid=$!
    n=0
    while [ ! -s "$W/stop.pid" ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    kill -"$sig" "$apid"
    wait "$apid"
    rc=$?
    want=$((128 + ${sig_number#*:}))
    [ "$rc" -eq "$want" ] && ok || bad "SIG$sig during signing: exit $rc, want $want"
    signer=$(cat "$W/stop.pid")
    n=0
    while kill -0 "$signer" 2>/dev/null && [ "$n" -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
    if kill -0 "$signer" 2>/dev/null; then
        bad "SIG$sig during signing: the signer program outlived artsig"
        kill -9 "$signer"
    else
        ok
    fi
    [ ! -s "$W/stop.out" ] && ok || bad "SIG$sig during signing: something was printed"
done

# ---- A signature of another key: refused (1) ----
expect_refusal 1 "write, wrong public key" "$W/fail.mender" "$ARTSIG" write rootfs-image -n f \
    -t dev-a -f "$W/rootfs.img" -o "$W/fail.mender" --sign-cmd "$EX $K/ecp256b.sec1.key" \
    --sign-cmd-public-key "$pub"
contains "wrong public key" "$T/err" 'does not verify'
expect_refusal 1 "sign-blob, wrong public key" "$W/fail.sig" "$ARTSIG" sign-blob \
    --sign-cmd "$EX $K/rsa2048.pkcs8.key" --sign-cmd-public-key "$K/rsa3072.pub" "$W/blob"
expect_exit 1 "sign in place, wrong public key" "$ARTSIG" sign --sign-cmd "$EX $K/ecp256b.sec1.key" \
    --sign-cmd-public-key "$pub" "$W/in-place.mender"
cmp -s "$W/in-place.mender" "$W/keep.mender" && ok || bad "wrong public key: the artifact changed"
# A public key that cannot be read is a key error (3).
expect_refusal 3 "unreadable public key" "$W/fail.sig" "$ARTSIG" sign-blob --sign-cmd true \
    --sign-cmd-public-key "$T/none.pub" "$W/blob"
# So is an RSA key with public exponent 1, for which any program "signs".
sh "$SRC/tests/crafted/rsa-exponent.sh" "$K/rsa3072.pub" 1 "$T/e1.pub"
expect_refusal 3 "RSA public key with e=1" "$W/fail.sig" "$ARTSIG" sign-blob \
    --sign-cmd "python3 '$SRC/tests/crafted/rsa-e1-sign.py' 384" --sign-cmd-public-key "$T/e1.pub" \
    "$W/blob"
contains "RSA public key with e=1" "$T/err" "RSA public exponent is below 3"

# ---- Usage errors (2), before anything runs ----
marker=$T/ran
run="touch $marker"
for args in "-k $K/ecp256.sec1.key --sign-cmd true --sign-cmd-public-key $pub" \
    "--sign-cmd true --sign-cmd-public-key $pub --vault-transit-key k" \
    "--gcp-kms-key a --gcp-kms-key b" "--gcp-kms-key a --vault-transit-key b" \
    "--key-pkcs11 pkcs11:token=t --sign-cmd true --sign-cmd-public-key $pub" \
    "--sign-cmd true" "--sign-cmd-public-key $pub" "-k $K/ecp256.sec1.key --sign-cmd-public-key $pub" \
    "--sign-cmd true --sign-cmd-public-key $pub --passphrase-file $pub" \
    "--vault-transit-key k --passphrase-file $pub" "--sign-cmd" "--gcp-kms-key"; do
    # shellcheck disable=SC2086
    expect_refusal 2 "sign-blob $args" "$W/fail.sig" "$ARTSIG" sign-blob $args "$W/blob"
    # shellcheck disable=SC2086
    expect_refusal 2 "write $args" "$W/fail.mender" "$ARTSIG" write rootfs-image -n f -t dev-a \
        -f "$W/rootfs.img" -o "$W/fail.mender" $args
    # shellcheck disable=SC2086
    expect_exit 2 "sign $args" "$ARTSIG" sign $args "$W/in-place.mender"
    expect_one_line_error "sign $args"
done
expect_refusal 2 "two programs" "$W/fail.sig" "$ARTSIG" sign-blob --sign-cmd "$run" \
    --sign-cmd "$run" --sign-cmd-public-key "$pub" "$W/blob"
contains "two programs" "$T/err" 'one signing key, not 2'
expect_refusal 2 "-k and --sign-cmd" "$W/fail.sig" "$ARTSIG" sign-blob -k "$K/ecp256.sec1.key" \
    --sign-cmd "$run" --sign-cmd-public-key "$pub" "$W/blob"
contains "-k and --sign-cmd" "$T/err" '-k and --sign-cmd cannot be used together'
expect_refusal 2 "no public key" "$W/fail.sig" "$ARTSIG" sign-blob --sign-cmd "$run" "$W/blob"
contains "no public key" "$T/err" '--sign-cmd needs --sign-cmd-public-key'
expect_exit 2 "attach-signature takes no program" "$ARTSIG" attach-signature --sign-cmd "$run" \
    "$W/in-place.mender" "$W/blob.sig"
expect_one_line_error "attach-signature --sign-cmd"
[ ! -e "$marker" ] && ok || bad "a program ran despite a usage error"
cmp -s "$W/in-place.mender" "$W/keep.mender" && ok || bad "usage errors: the artifact changed"

# ---- Cloud KMS and Vault that cannot be reached: exit 4 too ----
expect_refusal 4 "Vault unreachable" "$W/fail.sig" env VAULT_ADDR=http://127.0.0.1:9 \
    VAULT_TOKEN=t ARTSIG_REMOTE_TIMEOUT=5 "$ARTSIG" sign-blob --vault-transit-key k "$W/blob"
expect_refusal 4 "Cloud KMS unreachable" "$W/fail.sig" env \
    ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:9 GOOGLE_OAUTH_ACCESS_TOKEN=t ARTSIG_REMOTE_TIMEOUT=5 \
    "$ARTSIG" sign-blob --gcp-kms-key projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1 \
    "$W/blob"

# ---- The help names the options and exit code 4 ----
for c in sign sign-blob "write rootfs-image"; do
    # shellcheck disable=SC2086
    "$ARTSIG" $c --help >"$T/help" 2>&1
    for opt in --gcp-kms-key --vault-transit-key --sign-cmd --sign-cmd-public-key; do
        contains "$c --help" "$T/help" "$opt"
    done
done
"$ARTSIG" --help | grep -q '4 a signing service' && ok || bad "artsig --help lacks exit code 4"

finish
