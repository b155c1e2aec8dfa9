#!/bin/sh
# artsig validate and read: every case of the shared vectors, the facts of
# every meta/*.json, stdin, usage errors and the progress meter.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

# Each case of cases.tsv (after its header row): an "ok" artifact validates
# with the listed keys, silently on stderr; a "fail" one is refused (1) or has
# a key that cannot be loaded (3, naming the key file), in one line on stderr.
tab=$(printf '\t')
tail -n +2 "$VEC/cases.tsv" >"$T/cases"
while IFS="$tab" read -r artifact keys expect what _reference; do
    set --
    if [ "$keys" != - ]; then
        saved_ifs=$IFS
        IFS=,
        for k in $keys; do set -- "$@" -k "$VEC/keys/$k"; done
        IFS=$saved_ifs
    fi
    label=$what:$artifact
    "$ARTSIG" validate "$@" "$VEC/artifacts/$artifact" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$expect" = ok ]; then
        [ "$got" -eq 0 ] && ok || bad "$label: exit $got, want 0: $(cat "$T/err")"
        [ ! -s "$T/err" ] && ok || bad "$label: stderr not empty: $(cat "$T/err")"
        grep -q "^Artifact file '.*$artifact' validated successfully" "$T/out" && ok ||
            bad "$label: $(cat "$T/out")"
        if [ "$keys" = - ]; then
            grep -q 'signed (not verified\|unsigned' "$T/out" && ok ||
                bad "$label: signature status missing: $(cat "$T/out")"
        else
            grep -q 'verified correctly by key [0-9]' "$T/out" && ok ||
                bad "$label: verifying key not named: $(cat "$T/out")"
        fi
    else
        case $got in
        1) ok ;;
        3)
            named=no
            for k in $(echo "$keys" | tr , ' '); do
                grep -qF "$k" "$T/err" && named=yes
            done
            [ "$named" = yes ] && ok || bad "$label: exit 3 names no key file: $(cat "$T/err")"
            ;;
        *) bad "$label: exit $got, want 1 or 3: $(cat "$T/err")" ;;
        esac
        expect_one_line_error "$label"
    fi
done <"$T/cases"

# read --json agrees with every meta/*.json (tests/meta_agree.py says how).
for meta in "$VEC"/meta/*.json; do
    name=$(basename "$meta" .json)
    expect_exit 0 "read --json $name" "$ARTSIG" read --json "$VEC/artifacts/$name.mender"
    python3 "$SRC/tests/meta_agree.py" "$meta" "$T/out" >"$T/diff" 2>&1 && ok ||
        bad "read --json $name disagrees with meta: $(head -c 600 "$T/diff")"
done

# read's text shows name, device types and every file's checksum.
multi=$VEC/artifacts/module-multi-ecdsa.mender
expect_exit 0 "read module-multi-ecdsa" "$ARTSIG" read -k "$VEC/keys/ecp256.pub" "$multi"
python3 - "$VEC/meta/module-multi-ecdsa.json" >"$T/facts" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["artifact_name"])
for d in m["device_types"]:
    print(d)
for p in m["payloads"]:
    for f in p["files"]:
        print(f["sha256"])
EOF
while read -r fact; do
    grep -qF "$fact" "$T/out" && ok || bad "read text lacks '$fact'"
done <"$T/facts"
grep -q 'Signature: signed and verified correctly by key 1' "$T/out" && ok ||
    bad "read -k: signature not shown as verified"
expect_exit 0 "read without key" "$ARTSIG" read "$multi"
grep -q 'Signature: signed (not verified' "$T/out" && ok || bad "read: signature not 'signed (not verified)'"
expect_exit 0 "read unsigned" "$ARTSIG" read "$VEC/artifacts/rootfs-gzip-unsigned.mender"
grep -q 'Signature: unsigned' "$T/out" && ok || bad "read: signature not 'unsigned'"
expect_exit 1 "read refuses a bad artifact" "$ARTSIG" read -k "$VEC/keys/rsa3072.pub" \
    "$VEC/artifacts/t-payload-swapped.mender"
expect_one_line_error "read refuses a bad artifact"
[ ! -s "$T/out" ] && ok || bad "read printed facts of a bad artifact"

# stdin.
rsa=$VEC/keys/rsa3072.pub
expect_exit 0 "validate from stdin" sh -c '"$1" validate -k "$2" - <"$3"' _ "$ARTSIG" "$rsa" \
    "$VEC/artifacts/rootfs-gzip-rsa.mender"
[ ! -s "$T/err" ] && ok || bad "validate from stdin: stderr: $(cat "$T/err")"
expect_exit 1 "bad artifact from stdin" sh -c '"$1" validate -k "$2" - <"$3"' _ "$ARTSIG" "$rsa" \
    "$VEC/artifacts/t-payload-swapped.mender"
expect_one_line_error "bad artifact from stdin"

# Usage errors, missing files, help.
good=$VEC/artifacts/rootfs-gzip-rsa.mender
for cmd in validate read; do
    expect_exit 2 "$cmd without artifact" "$ARTSIG" "$cmd" -k "$rsa"
    expect_one_line_error "$cmd without artifact"
    expect_exit 2 "$cmd unknown option" "$ARTSIG" "$cmd" --frob "$good"
    expect_one_line_error "$cmd unknown option"
    expect_exit 2 "$cmd -k without value" "$ARTSIG" "$cmd" -k
    expect_one_line_error "$cmd -k without value"
    expect_exit 2 "$cmd two artifacts" "$ARTSIG" "$cmd" "$good" "$good"
    expect_exit 3 "$cmd missing artifact" "$ARTSIG" "$cmd" "$T/nope.mender"
    expect_one_line_error "$cmd missing artifact"
    expect_exit 3 "$cmd missing key" "$ARTSIG" "$cmd" -k "$T/nope.pub" "$good"
    grep -qF "$T/nope.pub" "$T/err" && ok || bad "$cmd missing key not named: $(cat "$T/err")"
    expect_exit 0 "$cmd --help" "$ARTSIG" "$cmd" --help
    grep -q "usage: artsig $cmd" "$T/out" && ok || bad "$cmd --help prints no usage"
done
expect_exit 0 "validate --key" "$ARTSIG" validate --key "$rsa" "$good"
expect_exit 2 "validate --json" "$ARTSIG" validate --json "$good"

# RSA keys with a public exponent of 1 or an even one are refused. With e = 1
# anyone signs: the PKCS#1 v1.5 block of the manifest's digest is its own
# signature, which OpenSSL (and mender-artifact 3.9) accept.
for e in 1 65536; do
    sh "$SRC/tests/crafted/rsa-exponent.sh" "$rsa" "$e" "$T/e$e.pub" && ok || bad "no key with e=$e"
done
sh "$SRC/tests/crafted/forge-rsa-e1.sh" "$ARTSIG" "$VEC/artifacts/rootfs-gzip-unsigned.mender" 384 \
    "$T/forged.mender" && ok || bad "cannot forge a signature for e=1"
mender-artifact validate -k "$T/e1.pub" "$T/forged.mender" >/dev/null 2>&1 && ok ||
    bad "mender-artifact does not take the forged signature: the test proves nothing"
for e in 1 65536; do
    expect_exit 3 "RSA key with e=$e" "$ARTSIG" validate -k "$T/e$e.pub" "$T/forged.mender"
    expect_one_line_error "RSA key with e=$e"
    contains "RSA key with e=$e: names the exponent" "$T/err" "RSA public exponent is"
    contains "RSA key with e=$e: names the file" "$T/err" "$T/e$e.pub"
    expect_exit 3 "RSA key with e=$e among good keys" "$ARTSIG" validate -k "$rsa" \
        -k "$T/e$e.pub" "$good"
done
sh "$SRC/tests/crafted/rsa-exponent.sh" "$rsa" 3 "$T/e3.pub"
expect_exit 1 "RSA key with e=3 loads, but does not verify the forgery" \
    "$ARTSIG" validate -k "$T/e3.pub" "$T/forged.mender"

# The progress meter: only on a terminal, only for a large artifact, and
# never with --no-progress. script(1) gives the command a pseudo-terminal.
truncate -s 65M "$T/big.img"
mender-artifact write rootfs-image --compression none --no-progress -n big -t dev \
    -f "$T/big.img" -o "$T/big.mender" >/dev/null 2>&1 && ok || bad "mender-artifact write failed"
expect_exit 0 "large artifact, no terminal" "$ARTSIG" validate "$T/big.mender"
[ ! -s "$T/err" ] && ok || bad "progress shown without a terminal: $(head -c 200 "$T/err")"
script -qec "'$ARTSIG' validate '$T/big.mender'" /dev/null </dev/null >"$T/tty" 2>&1 && ok ||
    bad "validate under a terminal failed: $(cat "$T/tty")"
grep -q 'MiB' "$T/tty" && ok || bad "no progress on a terminal: $(cat "$T/tty")"
grep -q 'validated successfully' "$T/tty" && ok || bad "under a terminal: $(cat "$T/tty")"
script -qec "'$ARTSIG' validate --no-progress '$T/big.mender'" /dev/null </dev/null >"$T/tty" 2>&1
grep -q 'MiB' "$T/tty" && bad "progress shown despite --no-progress: $(cat "$T/tty")" || ok
script -qec "'$ARTSIG' validate '$good'" /dev/null </dev/null >"$T/tty" 2>&1
grep -q 'MiB' "$T/tty" && bad "progress shown for a small artifact: $(cat "$T/tty")" || ok

finish
