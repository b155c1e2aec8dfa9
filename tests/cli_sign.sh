#!/bin/sh
# artsig sign, export-manifest and attach-signature: every key form signs
# everything mender-artifact writes, and both tools accept the result; signing
# in place is atomic; the offline workflow end to end; refusals in one line,
# with no output and no temporary file left behind.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
K=$VEC/keys
need_mender_artifact

# same_but_signature IN OUT: OUT is IN with a manifest.sig member after
# manifest (in place of IN's own), every other byte unchanged.
cat >"$T/same.py" <<'EOF'
import sys, tarfile

def parts(path):
    data = open(path, "rb").read()
    with tarfile.open(path) as t:
        members = [(m.name, m.offset, m.offset_data + (m.size + 511) // 512 * 512)
                   for m in t.getmembers()]
    names = [m[0] for m in members]
    i = names.index("manifest")
    head = members[i][2]
    signed = i + 1 < len(members) and names[i + 1] == "manifest.sig"
    tail = members[i + 1][2] if signed else head
    return data[:head], data[tail:], signed

head_in, tail_in, _ = parts(sys.argv[1])
head_out, tail_out, signed = parts(sys.argv[2])
if not signed:
    sys.exit("no manifest.sig after manifest")
if head_in != head_out or tail_in != tail_out:
    sys.exit("bytes other than manifest.sig differ")
EOF
same_but_signature() {
    if python3 "$T/same.py" "$1" "$2" >"$T/same.log" 2>&1; then ok; else bad "$3: $(tail -n 1 "$T/same.log")"; fi
}

# ---- Everything mender-artifact 3.9 writes, signed with every key form ----
W=$T/written
mkdir -p "$W"
seq 1 50000 >"$W/rootfs.img"
head -c 20000 /dev/urandom >"$W/app.bin"
echo config >"$W/app.conf"
printf '#!/bin/sh\nexit 0\n' >"$W/ArtifactInstall_Enter_00"
printf '{"path":"/opt/app"}' >"$W/meta.json"
made=""
write() {
    name=$1
    shift
    if mender-artifact write "$@" -o "$W/$name.mender" >"$T/ma.log" 2>&1 && [ -s "$W/$name.mender" ]; then
        made="$made $name"
        ok
    else
        bad "mender-artifact could not write $name: $(tail -n 3 "$T/ma.log")"
    fi
}
for c in gzip lzma none; do
    write "rootfs-$c" rootfs-image -f "$W/rootfs.img" -n "rootfs-$c" -t dev-a -t dev-b \
        --compression "$c" --no-progress
done
write rootfs-v2 rootfs-image -v 2 -f "$W/rootfs.img" -n rootfs-v2 -t dev-a --no-progress
write rootfs-options rootfs-image -f "$W/rootfs.img" -n rootfs-opt -t dev-a -N rootfs-0 \
    -G group-0 -g group-1 --software-version 7 -s "$W/ArtifactInstall_Enter_00" --no-progress
write module module-image -T single-file -n module-1 -t dev-a -f "$W/app.bin" \
    -f "$W/app.conf" -m "$W/meta.json" -p app.version:1 -d os:bookworm --clears-provides 'app.*'
write bootstrap bootstrap-artifact -n boot-1 -t dev-a -p boot.stage:1 --no-progress

# private key:public key:whether mender-artifact 3.9 can verify it
key_forms="rsa3072.pkcs1.key:rsa3072.pub:yes rsa3072.pkcs8.key:rsa3072.pkcs1.pub:yes
rsa2048.pkcs8.key:rsa2048.pub:yes ecp256.sec1.key:ecp256.pub:yes
ecp256.pkcs8.key:ecp256.pub.der:yes ecp256.params.key:ecp256.pub:yes ed25519.key:ed25519.pub:no"
for name in $made; do
    in=$W/$name.mender
    for form in $key_forms; do
        priv=${form%%:*} rest=${form#*:}
        pub=${rest%%:*} mender=${rest#*:}
        label="$name signed with $priv"
        out=$W/signed.mender
        expect_exit 0 "$label" "$ARTSIG" sign -k "$K/$priv" -o "$out" "$in"
        [ ! -s "$T/err" ] && [ ! -s "$T/out" ] && ok || bad "$label: not silent: $(cat "$T/err" "$T/out")"
        expect_exit 0 "$label: artsig validate" "$ARTSIG" validate -k "$K/$pub" "$out"
        if [ "$mender" = yes ]; then
            expect_exit 0 "$label: mender-artifact validate" mender-artifact validate -k "$K/$pub" "$out"
        fi
        same_but_signature "$in" "$out" "$label"
    done
done
no_strays "$W" "signing everything"

# Members with pax extended headers (as Python or GNU tar may write them): the
# new member goes before the next member's first header, and an old
# manifest.sig leaves with its extended header.
cat >"$T/pax.py" <<'EOF'
import io, sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as out:
    for m in src.getmembers():
        m.pax_headers = {"comment": "x" * 700}
        out.addfile(m, io.BytesIO(src.extractfile(m).read()))
EOF
for base in rootfs-gzip-unsigned rootfs-gzip-rsa; do
    pax=$W/pax-$base.mender out=$W/pax-signed.mender
    python3 "$T/pax.py" "$VEC/artifacts/$base.mender" "$pax" && ok || bad "pax $base: not made"
    expect_exit 0 "pax $base" "$ARTSIG" sign -f -k "$K/ecp256.sec1.key" -o "$out" "$pax"
    expect_exit 0 "pax $base: artsig validate" "$ARTSIG" validate -k "$K/ecp256.pub" "$out"
    expect_exit 0 "pax $base: mender-artifact validate" mender-artifact validate -k "$K/ecp256.pub" "$out"
    same_but_signature "$pax" "$out" "pax $base"
done

# ---- In place: atomic (a rename), permissions kept, links followed ----
P=$T/inplace
mkdir -p "$P"
cp "$W/rootfs-gzip.mender" "$P/a.mender"
chmod 640 "$P/a.mender"
ln "$P/a.mender" "$P/before.mender" # the old inode keeps the old bytes
expect_exit 0 "sign in place" "$ARTSIG" sign -k "$K/ecp256.sec1.key" "$P/a.mender"
expect_exit 0 "signed in place validates" "$ARTSIG" validate -k "$K/ecp256.pub" "$P/a.mender"
cmp -s "$P/before.mender" "$W/rootfs-gzip.mender" && ok || bad "in place: the old file was written to"
[ "$(stat -c %i "$P/a.mender")" != "$(stat -c %i "$P/before.mender")" ] && ok ||
    bad "in place: the artifact was not replaced by a rename"
[ "$(stat -c %a "$P/a.mender")" = 640 ] && ok || bad "in place: mode $(stat -c %a "$P/a.mender"), want 640"
same_but_signature "$P/before.mender" "$P/a.mender" "in place"
cp "$P/a.mender" "$P/signed-once.mender"
expect_refusal 1 "signed already" "$P/none" "$ARTSIG" sign -k "$K/rsa3072.pkcs1.key" "$P/a.mender"
grep -q -- '-f' "$T/err" && ok || bad "signed already: -f not mentioned: $(cat "$T/err")"
cmp -s "$P/a.mender" "$P/signed-once.mender" && ok || bad "signed already: the artifact changed"
expect_exit 0 "sign -f" "$ARTSIG" sign -f -k "$K/rsa3072.pkcs1.key" "$P/a.mender"
expect_exit 0 "sign -f: the new key" "$ARTSIG" validate -k "$K/rsa3072.pub" "$P/a.mender"
expect_exit 1 "sign -f: not the old key" "$ARTSIG" validate -k "$K/ecp256.pub" "$P/a.mender"
mender-artifact validate -k "$K/rsa3072.pub" "$P/a.mender" >/dev/null 2>&1 && ok || bad "sign -f: mender-artifact refuses"
ln -s a.mender "$P/link.mender"
expect_exit 0 "sign through a link" "$ARTSIG" sign --force -k "$K/ed25519.key" "$P/link.mender"
[ -L "$P/link.mender" ] && ok || bad "sign through a link: the link was replaced"
expect_exit 0 "through a link: the target signed" "$ARTSIG" validate -k "$K/ed25519.pub" "$P/a.mender"
no_strays "$P" "in place"

# Interrupted: the artifact is either untouched or signed, never half-written,
# and no temporary file survives.
head -c 104857600 /dev/urandom >"$P/big.img"
mender-artifact write rootfs-image -f "$P/big.img" -n big -t dev-a --compression none \
    --no-progress -o "$P/big.mender" >/dev/null 2>&1 && ok || bad "mender-artifact could not write big"
rm -f "$P/big.img"
cp "$P/big.mender" "$P/big-before.mender"
"$ARTSIG" sign --check-payloads -k "$K/ecp256.sec1.key" "$P/big.mender" 2>/dev/null &
pid=$!
sleep 0.05
kill -TERM "$pid" 2>/dev/null
wait "$pid"
if cmp -s "$P/big.mender" "$P/big-before.mender"; then
    ok
else
    expect_exit 0 "interrupted late: signed whole" "$ARTSIG" validate -k "$K/ecp256.pub" "$P/big.mender"
fi
no_strays "$P" "interrupted"
rm -f "$P/big.mender" "$P/big-before.mender"

# ---- Payload digests on request ----
swapped=$VEC/artifacts/t-payload-swapped-nokey.mender
expect_exit 0 "header checks only" "$ARTSIG" sign -f -k "$K/ed25519.key" -o "$T/x.mender" "$swapped"
expect_refusal 1 "--check-payloads" "$T/x.mender" "$ARTSIG" sign -f --check-payloads \
    -k "$K/ed25519.key" -o "$T/x.mender" "$swapped"
expect_exit 0 "--check-payloads, a good artifact" "$ARTSIG" sign --check-payloads \
    -k "$K/ed25519.key" -o "$T/x.mender" "$W/module.mender"

# ---- Offline signing end to end ----
# The online side has the artifact and public key, the offline side only the
# private key and the manifest carried over.
ON=$T/online OFF=$T/offline
mkdir -p "$ON" "$OFF"
cp "$W/module.mender" "$ON/app.mender"
cp "$K/rsa3072.pkcs1.key" "$OFF/signing.key"
cp "$K/rsa3072.pub" "$ON/verify.pub"
expect_exit 0 "export-manifest" sh -c 'cd "$1" && "$2" export-manifest -o manifest app.mender' _ "$ON" "$ARTSIG"
tar xOf "$ON/app.mender" manifest | cmp -s - "$ON/manifest" && ok || bad "export-manifest: not the manifest member"
digest=$(sha256sum "$ON/manifest" | cut -d ' ' -f 1)
[ "$(cat "$T/out")" = "$digest  manifest" ] && ok || bad "export-manifest printed '$(cat "$T/out")'"
cp "$ON/manifest" "$OFF/manifest"
(cd "$OFF" && sha256sum -c --quiet) <"$T/out" && ok || bad "the printed digest does not check the copy"
expect_exit 0 "sign-blob offline" sh -c 'cd "$1" && "$2" sign-blob -k signing.key manifest >manifest.sig' _ "$OFF" "$ARTSIG"
grep -q "$digest" "$T/err" && ok || bad "sign-blob does not show the digest it signed: $(cat "$T/err")"
cp "$OFF/manifest.sig" "$ON/manifest.sig"
expect_exit 0 "attach-signature" "$ARTSIG" attach-signature -k "$ON/verify.pub" -o "$ON/signed.mender" \
    "$ON/app.mender" "$ON/manifest.sig"
expect_exit 0 "attached: artsig validate" "$ARTSIG" validate -k "$ON/verify.pub" "$ON/signed.mender"
expect_exit 0 "attached: mender-artifact validate" mender-artifact validate -k "$ON/verify.pub" "$ON/signed.mender"
same_but_signature "$ON/app.mender" "$ON/signed.mender" "attached"
# The same bytes as signing in one step (RSA signatures are deterministic).
"$ARTSIG" sign -k "$K/rsa3072.pkcs1.key" -o "$ON/direct.mender" "$ON/app.mender"
cmp -s "$ON/direct.mender" "$ON/signed.mender" && ok || bad "attach differs from sign"
expect_exit 0 "export-manifest to stdout" "$ARTSIG" export-manifest -o - "$ON/signed.mender"
cmp -s "$T/out" "$ON/manifest" && ok || bad "export-manifest -o -: not the manifest"
expect_exit 0 "export-manifest from stdin" sh -c '"$1" export-manifest -o - - <"$2"' _ "$ARTSIG" "$ON/app.mender"
cmp -s "$T/out" "$ON/manifest" && ok || bad "export-manifest from stdin: not the manifest"
cp "$ON/app.mender" "$ON/inplace.mender"
expect_exit 0 "attach in place, signature from stdin" sh -c '"$1" attach-signature "$2" - <"$3"' _ \
    "$ARTSIG" "$ON/inplace.mender" "$ON/manifest.sig"
cmp -s "$ON/inplace.mender" "$ON/signed.mender" && ok || bad "attach in place differs"
# ECDSA in DER (what `openssl dgst -sign` makes) is stored as r||s.
openssl dgst -sha256 -sign "$K/ecp256.sec1.key" "$ON/manifest" | base64 -w 0 >"$ON/der.sig"
expect_exit 0 "attach DER" "$ARTSIG" attach-signature -k "$K/ecp256.pub" -o "$ON/der.mender" \
    "$ON/app.mender" "$ON/der.sig"
[ "$(tar xOf "$ON/der.mender" manifest.sig | base64 -d | wc -c)" = 64 ] && ok || bad "DER not stored as r||s"
expect_exit 0 "attached DER: mender-artifact validate" mender-artifact validate -k "$K/ecp256.pub" "$ON/der.mender"
no_strays "$ON" "offline workflow"

# ---- Refusals ----
"$ARTSIG" export-manifest -o "$ON/other.manifest" "$W/rootfs-gzip.mender" >/dev/null
"$ARTSIG" sign-blob -k "$K/rsa3072.pkcs1.key" "$ON/other.manifest" >"$ON/other.sig" 2>/dev/null
out=$ON/refused.mender
expect_refusal 1 "signature over another artifact's manifest" "$out" "$ARTSIG" attach-signature \
    -k "$K/rsa3072.pub" -o "$out" "$ON/app.mender" "$ON/other.sig"
expect_refusal 1 "wrong public key" "$out" "$ARTSIG" attach-signature -k "$K/rsa2048.pub" \
    -k "$K/ecp256.pub" -o "$out" "$ON/app.mender" "$ON/manifest.sig"
printf 'not a signature!\n' >"$ON/garbage.sig"
expect_refusal 1 "garbage signature file" "$out" "$ARTSIG" attach-signature -o "$out" \
    "$ON/app.mender" "$ON/garbage.sig"
head -c 30 /dev/urandom | base64 >"$ON/short.sig"
expect_refusal 1 "30-byte signature" "$out" "$ARTSIG" attach-signature -o "$out" \
    "$ON/app.mender" "$ON/short.sig"
expect_refusal 1 "attach to a signed artifact" "$out" "$ARTSIG" attach-signature -o "$out" \
    "$ON/signed.mender" "$ON/manifest.sig"
# export-manifest reads as far as the header (stdin will do); a payload cut
# short is found when the signature is attached.
for bad_artifact in t-truncated t-header-edited t-duplicate-manifest t-version-4; do
    expect_refusal 1 "sign $bad_artifact" "$out" "$ARTSIG" sign -f -k "$K/ed25519.key" -o "$out" \
        "$VEC/artifacts/$bad_artifact.mender"
    [ "$bad_artifact" = t-truncated ] && continue
    expect_refusal 1 "export-manifest $bad_artifact" "$out" "$ARTSIG" export-manifest -o "$out" \
        "$VEC/artifacts/$bad_artifact.mender"
done
expect_refusal 1 "attach to a truncated artifact" "$out" "$ARTSIG" attach-signature -f -o "$out" \
    "$VEC/artifacts/t-truncated.mender" "$ON/manifest.sig"
expect_refusal 3 "missing artifact" "$out" "$ARTSIG" sign -k "$K/ed25519.key" -o "$out" "$ON/nope.mender"
expect_refusal 3 "missing key" "$out" "$ARTSIG" sign -k "$K/nope.key" -o "$out" "$ON/app.mender"
expect_refusal 3 "public key to sign" "$out" "$ARTSIG" sign -k "$K/ed25519.pub" -o "$out" "$ON/app.mender"
expect_refusal 3 "missing signature file" "$out" "$ARTSIG" attach-signature -o "$out" \
    "$ON/app.mender" "$ON/nope.sig"
expect_refusal 3 "missing verification key" "$out" "$ARTSIG" attach-signature -k "$K/nope.pub" \
    -o "$out" "$ON/app.mender" "$ON/manifest.sig"
expect_refusal 3 "export-manifest, missing artifact" "$out" "$ARTSIG" export-manifest -o "$out" "$ON/nope"
expect_refusal 3 "output directory missing" "$ON/no/dir/x.mender" "$ARTSIG" sign -k "$K/ed25519.key" \
    -o "$ON/no/dir/x.mender" "$ON/app.mender"

# ---- Usage errors ----
expect_refusal 2 "sign without -k" "$out" "$ARTSIG" sign -o "$out" "$ON/app.mender"
expect_refusal 2 "sign two artifacts" "$out" "$ARTSIG" sign -k "$K/ed25519.key" -o "$out" \
    "$ON/app.mender" "$ON/app.mender"
expect_refusal 2 "sign stdin" "$out" sh -c '"$1" sign -k "$2" -o "$3" - <"$4"' _ "$ARTSIG" \
    "$K/ed25519.key" "$out" "$ON/app.mender"
expect_refusal 2 "sign from a pipe" "$out" sh -c 'cat "$4" | "$1" sign -k "$2" -o "$3" /dev/stdin' _ \
    "$ARTSIG" "$K/ed25519.key" "$out" "$ON/app.mender"
# A FIFO nobody writes to: refused at once, where opening it to read would
# wait for a writer forever (timeout's 124 says it waited).
mkfifo "$ON/fifo"
expect_refusal 2 "sign a FIFO" "$out" timeout 20 "$ARTSIG" sign -k "$K/ed25519.key" -o "$out" "$ON/fifo"
expect_refusal 2 "attach to a FIFO" "$out" timeout 20 "$ARTSIG" attach-signature -o "$out" \
    "$ON/fifo" "$ON/manifest.sig"
expect_refusal 2 "sign unknown option" "$out" "$ARTSIG" sign --frob -k "$K/ed25519.key" -o "$out" "$ON/app.mender"
expect_refusal 2 "sign -k without value" "$out" "$ARTSIG" sign "$ON/app.mender" -k
expect_refusal 2 "attach without SIGFILE" "$out" "$ARTSIG" attach-signature -o "$out" "$ON/app.mender"
expect_refusal 2 "attach stdin artifact" "$out" "$ARTSIG" attach-signature -o "$out" - "$ON/manifest.sig"
expect_refusal 2 "export-manifest without -o" "$out" "$ARTSIG" export-manifest "$ON/app.mender"
expect_refusal 2 "export-manifest two artifacts" "$out" "$ARTSIG" export-manifest -o "$out" \
    "$ON/app.mender" "$ON/app.mender"
for cmd in sign export-manifest attach-signature; do
    expect_exit 0 "$cmd --help" "$ARTSIG" "$cmd" --help
    grep -q "usage: artsig $cmd" "$T/out" && ok || bad "$cmd --help: no usage line"
done
no_strays "$ON" "refusals"
no_strays "$T" "everything"

finish
