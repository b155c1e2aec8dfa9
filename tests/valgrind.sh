#!/bin/sh
# Memcheck: under valgrind --leak-check=full, with no error and no definite
# leak allowed, artsig validates every vector artifact with the keys of each
# of its cases.tsv rows (accepted and refused alike) and reads it (--json)
# with those of its first row; writes rootfs-images (gzip, lzma) and a
# module-image with keys; signs an unsigned vector; signs through a signer
# program and the mock Vault and Cloud KMS; and artsig-update
# installs, commits, rolls back and refuses artifacts on a simulated device.
# Skipped (77) in sanitized builds, where valgrind cannot run; fails when
# valgrind is missing (scripts/deps.sh installs it).
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

if [ -n "${ARTSIG_SANITIZED:-}" ]; then
    echo "SKIP: sanitized build ($ARTSIG_SANITIZED): valgrind cannot run it"
    exit 77
fi
if ! command -v valgrind >/dev/null; then
    bad "valgrind is needed (scripts/deps.sh installs it)"
    finish
    exit
fi

K=$VEC/keys A=$VEC/artifacts
runs=0
# vg WANT DESCRIPTION COMMAND...: COMMAND under memcheck exits with one of
# the codes in WANT ("0", "1 3"), with no memcheck error (exit 99 otherwise).
vg() {
    vg_want=$1 vg_what=$2
    shift 2
    runs=$((runs + 1))
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 \
        --track-fds=no --log-file="$T/vg.log" "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq 99 ]; then
        bad "$vg_what: valgrind: $(grep -m 12 '==[0-9]*==' "$T/vg.log" | cut -c 1-200)"
    else
        case " $vg_want " in
        *" $got "*) ok ;;
        *) bad "$vg_what: exit $got, want $vg_want: $(head -c 300 "$T/err") $(head -c 300 "$T/vg.log")" ;;
        esac
    fi
}

echo "== validate and read --json over the vectors"
tail -n +2 "$VEC/cases.tsv" >"$T/cases"
seen=
while IFS='	' read -r art keys expect what _ <&3; do
    set --
    if [ "$keys" != - ]; then
        for k in $(echo "$keys" | tr , ' '); do set -- "$@" -k "$K/$k"; done
    fi
    # A refused case is refused (1) or has a key that cannot be loaded (3).
    [ "$expect" = ok ] && codes=0 || codes="1 3"
    vg "$codes" "validate $what" "$ARTSIG" validate --no-progress "$@" "$A/$art"
    # read adds the facts and the JSON to what validate does: once an artifact.
    case " $seen " in *" $art "*) continue ;; esac
    seen="$seen $art"
    vg "$codes" "read --json $what" "$ARTSIG" read --json --no-progress "$@" "$A/$art"
done 3<"$T/cases"

echo "== write and sign"
# Noise and text, over 512 KiB: gzip cuts it into pieces that worker threads
# compress.
{ head -c 20000 /dev/urandom && seq 1 200000; } >"$T/img"
echo one >"$T/a.txt" && echo two >"$T/b.bin"
printf '#!/bin/sh\nexit 0\n' >"$T/ArtifactInstall_Enter_00"
vg 0 "write rootfs-image gzip" "$ARTSIG" write rootfs-image -n rel-2 -t sim -f "$T/img" \
    -k "$K/ecp256.pkcs8.key" -o "$T/gzip.mender" --no-progress
vg 0 "write rootfs-image lzma" "$ARTSIG" write rootfs-image -n rel-3 -t sim -f "$T/img" \
    -k "$K/rsa3072.pkcs1.key" --compression lzma -s "$T/ArtifactInstall_Enter_00" \
    -p app.v:1 -d rootfs-image.version:rel-2 -o "$T/lzma.mender" --no-progress
vg 0 "write module-image" "$ARTSIG" write module-image -n app-1 -t sim -T my-mod \
    -f "$T/a.txt" -f "$T/b.bin" -k "$K/ed25519.key" -o "$T/module.mender" --no-progress
vg 0 "sign an unsigned vector" "$ARTSIG" sign -k "$K/ecp256.sec1.key" -o "$T/signed.mender" \
    "$A/rootfs-gzip-unsigned.mender"
# What they wrote is right (outside valgrind: quick).
for f in gzip:ecp256.pub lzma:rsa3072.pub module:ed25519.pub signed:ecp256.pub; do
    expect_exit 0 "validate ${f%%:*}" "$ARTSIG" validate -k "$K/${f#*:}" --no-progress "$T/${f%%:*}.mender"
done
# valgrind shows no AVX-512 to the program, so ISA-L ran its AVX2 code
# there; on a processor with AVX-512 it runs other code here, which must
# compress to the same bytes.
expect_exit 0 "write rootfs-image gzip outside valgrind" "$ARTSIG" write rootfs-image -n rel-2 \
    -t sim -f "$T/img" -o "$T/gzip-native.mender" --no-progress
tar -xOf "$T/gzip.mender" data/0000.tar.gz >"$T/payload-vg.tar.gz" &&
    tar -xOf "$T/gzip-native.mender" data/0000.tar.gz | cmp -s - "$T/payload-vg.tar.gz" && ok ||
    bad "gzip payload compressed differently under valgrind and outside it"

echo "== remote signers: a signer program, Vault and Cloud KMS (tests/mock_kms.py)"
EX="sh $SRC/examples/sign-cmd-openssl.sh"
vg 0 "write with --sign-cmd" "$ARTSIG" write rootfs-image -n rel-4 -t sim -f "$T/a.txt" \
    --sign-cmd "$EX $K/ecp256.sec1.key" --sign-cmd-public-key "$K/ecp256.pub" \
    -o "$T/cmd.mender" --no-progress
vg 4 "--sign-cmd printing garbage" "$ARTSIG" sign-blob --sign-cmd 'cat >/dev/null; echo %%' \
    --sign-cmd-public-key "$K/ecp256.pub" "$T/a.txt"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
mocks=
trap 'kill $mocks 2>/dev/null; rm -rf "$T"' EXIT
for api in vault gcp; do
    python3 "$SRC/tests/mock_kms.py" "$api" "$T/$api.port" "$T/$api.log" --token vg-token \
        fw=$([ $api = vault ] && echo rsa-3072 || echo RSA_SIGN_PKCS1_3072_SHA256):"$K/rsa3072.pkcs8.key" \
        2>"$T/$api.err" &
    mocks="$mocks $!"
done
for api in vault gcp; do
    i=0
    while [ ! -s "$T/$api.port" ] && [ $i -lt 100 ]; do sleep 0.1 && i=$((i + 1)); done
done
KMS_KEY=projects/p/locations/l/keyRings/r/cryptoKeys/fw/cryptoKeyVersions/1
VAULT_ADDR=http://127.0.0.1:$(cat "$T/vault.port") VAULT_TOKEN=vg-token \
    vg 0 "write with --vault-transit-key" "$ARTSIG" write rootfs-image -n rel-5 -t sim \
    -f "$T/a.txt" --vault-transit-key fw -o "$T/vault.mender" --no-progress
ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:$(cat "$T/gcp.port") GOOGLE_OAUTH_ACCESS_TOKEN=vg-token \
    vg 0 "sign with --gcp-kms-key" "$ARTSIG" sign --gcp-kms-key "$KMS_KEY" -o "$T/kms.mender" \
    "$A/rootfs-gzip-unsigned.mender"
ARTSIG_GCP_KMS_ENDPOINT=http://127.0.0.1:$(cat "$T/gcp.port") GOOGLE_OAUTH_ACCESS_TOKEN=wrong \
    vg 4 "--gcp-kms-key refused (401)" "$ARTSIG" sign --gcp-kms-key "$KMS_KEY" \
    -o "$T/kms-refused.mender" "$A/rootfs-gzip-unsigned.mender"
for f in cmd:ecp256.pub vault:rsa3072.pub kms:rsa3072.pub; do
    expect_exit 0 "validate ${f%%:*}" "$ARTSIG" validate -k "$K/${f#*:}" --no-progress "$T/${f%%:*}.mender"
done

echo "== artsig-update install, commit, refusals"
KEYS_JSON="\"ArtifactVerifyKey\":\"$K/ecp256.pub\","
vgupd() { # vgupd WANT DESCRIPTION ARGS...: vg over artsig-update on the device
    u_want=$1 u_what=$2
    shift 2
    vg "$u_want" "$u_what" "$UPD" --config "$DEV/mender.conf" --data "$DATA" "$@"
}
new_device sim "$KEYS_JSON"
vgupd 4 "install --reboot-exit-code" install --reboot-exit-code "$T/gzip.mender"
if cmp -s "$T/img" "$PB"; then ok; else bad "install: p3 does not hold the image"; fi
vgupd 0 "commit" commit
vgupd 0 "show-provides" show-provides
vgupd 1 "install, wrong key" install "$T/lzma.mender"
vgupd 1 "install, tampered" install "$A/t-payload-swapped.mender"
vgupd 1 "install, unsigned" install "$A/rootfs-gzip-unsigned.mender"
new_device sim "$KEYS_JSON"
vgupd 0 "install from stdin" install - <"$T/gzip.mender"
vgupd 0 "rollback" rollback
# A module-image, through an update module that needs no reboot.
new_device sim "\"ArtifactVerifyKey\":\"$K/ed25519.pub\","
printf '#!/bin/sh\ncase $1 in NeedsArtifactReboot) echo No ;; SupportsRollback) echo Yes ;; esac\n' \
    >"$MODULES/my-mod"
chmod +x "$MODULES/my-mod"
vgupd 0 "install a module-image" install "$T/module.mender"
vgupd 0 "commit the module-image" commit
expect_provides "module-image installed" artifact_name=app-1

echo "$runs runs under valgrind"
finish
