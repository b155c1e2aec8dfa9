#!/bin/sh
# artsig keygen, sign-blob and verify-blob: results, exit codes, and outputs
# that are never left half-written.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

printf 'the bytes to sign\n' >"$T/msg"
for type in rsa3072 ecdsa-p256 ed25519; do
    expect_exit 0 "keygen $type" "$ARTSIG" keygen --type "$type" -o "$T/$type.key" -p "$T/$type.pub"
    mode=$(stat -c %a "$T/$type.key")
    [ "$mode" = 600 ] && ok || bad "keygen $type: private key mode $mode"
    grep -q 'BEGIN PRIVATE KEY' "$T/$type.key" && ok || bad "keygen $type: not PKCS#8"
    grep -q 'BEGIN PUBLIC KEY' "$T/$type.pub" && ok || bad "keygen $type: not SPKI"
    expect_exit 0 "sign-blob $type" "$ARTSIG" sign-blob -k "$T/$type.key" "$T/msg"
    cp "$T/out" "$T/$type.sig"
    expect_exit 0 "verify-blob $type" "$ARTSIG" verify-blob -k "$T/$type.pub" -s "$T/$type.sig" "$T/msg"
    printf 'other bytes\n' >"$T/other"
    expect_exit 1 "verify-blob $type, changed file" "$ARTSIG" verify-blob -k "$T/$type.pub" -s "$T/$type.sig" "$T/other"
    expect_one_line_error "verify-blob $type, changed file"
done

# The reference tool's key forms sign too (PKCS#1, SEC1 with EC PARAMETERS, PKCS#8).
for pair in rsa3072.pkcs1.key:rsa3072.pub rsa3072.pkcs8.key:rsa3072.pkcs1.pub \
            ecp256.params.key:ecp256.pub ecp256.sec1.key:ecp256.pub.der ed25519.key:ed25519.pub; do
    priv=${pair%%:*} pub=${pair##*:}
    "$ARTSIG" sign-blob -k "$VEC/keys/$priv" "$T/msg" >"$T/v.sig" 2>"$T/err" && ok || bad "sign-blob with $priv"
    expect_exit 0 "verify-blob $priv with $pub" "$ARTSIG" verify-blob -k "$VEC/keys/$pub" -s "$T/v.sig" "$T/msg"
done

# Several keys: tried in order, the one that verifies is named.
"$ARTSIG" sign-blob -k "$T/ed25519.key" - <"$T/msg" >"$T/ed.sig"
expect_exit 0 "keyring, third key verifies" "$ARTSIG" verify-blob -k "$T/rsa3072.pub" \
    -k "$T/ecdsa-p256.pub" -k "$T/ed25519.pub" -s "$T/ed.sig" "$T/msg"
grep -q 'verified by key 3' "$T/out" && ok || bad "keyring: wrong key reported: $(cat "$T/out")"
expect_exit 1 "keyring, none verifies" "$ARTSIG" verify-blob -k "$T/rsa3072.pub" -k "$T/ecdsa-p256.pub" -s "$T/ed.sig" "$T/msg"
expect_one_line_error "keyring, none verifies"

# Refusals: each a distinct exit code and one line.
printf 'not base64!!\n' >"$T/garbage.sig"
expect_exit 1 "garbage signature" "$ARTSIG" verify-blob -k "$T/ed25519.pub" -s "$T/garbage.sig" "$T/msg"
expect_one_line_error "garbage signature"
tr -d '=' <"$T/ed.sig" >"$T/unpadded.sig"
expect_exit 1 "signature without its padding" "$ARTSIG" verify-blob -k "$T/ed25519.pub" \
    -s "$T/unpadded.sig" "$T/msg"
contains "signature without its padding" "$T/err" "base64 without its '=' padding"
expect_exit 3 "missing key file" "$ARTSIG" verify-blob -k "$T/nope.pub" -s "$T/ed.sig" "$T/msg"
expect_one_line_error "missing key file"
expect_exit 3 "missing input file" "$ARTSIG" sign-blob -k "$T/ed25519.key" "$T/nope"
expect_exit 3 "P-384 key refused" "$ARTSIG" verify-blob -k "$VEC/keys/ecp384.pub" -s "$T/ed.sig" "$T/msg"
grep -qi 'P-384\|secp384r1' "$T/err" && ok || bad "P-384 refusal does not name the curve: $(cat "$T/err")"
expect_exit 3 "public key cannot sign" "$ARTSIG" sign-blob -k "$T/ed25519.pub" "$T/msg"
: >"$T/empty.key"
expect_exit 3 "empty key file" "$ARTSIG" sign-blob -k "$T/empty.key" "$T/msg"

# Usage errors never exit 0 (unlike mender-artifact's).
expect_exit 2 "no command" "$ARTSIG"
expect_exit 2 "unknown command" "$ARTSIG" frobnicate
expect_exit 2 "unknown option" "$ARTSIG" sign-blob --frob -k "$T/ed25519.key" "$T/msg"
expect_exit 2 "option without value" "$ARTSIG" sign-blob "$T/msg" -k
expect_exit 2 "verify-blob without -s" "$ARTSIG" verify-blob -k "$T/ed25519.pub" "$T/msg"
expect_exit 2 "keygen unknown type" "$ARTSIG" keygen --type dsa -o "$T/x.key" -p "$T/x.pub"
expect_one_line_error "keygen unknown type"
for cmd in keygen sign-blob verify-blob; do
    expect_exit 0 "$cmd --help" "$ARTSIG" "$cmd" --help
    grep -q "usage: artsig $cmd" "$T/out" && ok || bad "$cmd --help prints no usage"
done
expect_exit 0 "--help" "$ARTSIG" --help
expect_exit 0 "--version" "$ARTSIG" --version
grep -q "^artsig [0-9]" "$T/out" && ok || bad "--version: $(cat "$T/out")"

# Nothing half-written: a failing keygen leaves neither file nor temporary.
mkdir "$T/ro"
expect_exit 3 "keygen into a missing folder" "$ARTSIG" keygen --type ed25519 -o "$T/ro/k" -p "$T/missing/p"
[ -z "$(ls -A "$T/ro")" ] && ok || bad "keygen left files behind: $(ls -A "$T/ro")"

# -o and -p naming one file, however spelt, is a usage error that writes
# nothing: the public key would be all that is left.
mkdir "$T/same" && cd "$T/same" || exit 1
ln -s . here
ln -s key dangling
expect_exit 2 "-o and ./-o" "$ARTSIG" keygen --type ed25519 -o key -p ./key
expect_exit 2 "-p a dangling link to -o" "$ARTSIG" keygen --type ed25519 -o key -p dangling
expect_exit 2 "-o and a path through a linked folder" "$ARTSIG" keygen --type ed25519 \
    -o key -p here/key
expect_exit 2 "-o and a path through .." "$ARTSIG" keygen --type ed25519 -o key -p ../same/key
expect_one_line_error "-o and a path through .."
[ "$(ls -A | tr '\n' ' ')" = "dangling here " ] && ok || bad "keygen wrote files: $(ls -A)"
"$ARTSIG" keygen --type ed25519 -o key -p key.pub
cp key key.saved
ln -s key link
ln key hard
expect_exit 2 "-p a symbolic link to -o" "$ARTSIG" keygen --type ed25519 -o key -p link -f
expect_exit 2 "-p a hard link to -o" "$ARTSIG" keygen --type ed25519 -o key -p hard -f
expect_exit 2 "-o a symbolic link to -p" "$ARTSIG" keygen --type ed25519 -o link -p key -f
cmp -s key key.saved && ok || bad "a refused keygen changed the private key"
# An existing private key is replaced only with --force.
expect_exit 3 "existing private key" "$ARTSIG" keygen --type ed25519 -o key -p new.pub
expect_one_line_error "existing private key"
contains "existing private key" "$T/err" "--force"
cmp -s key key.saved && ok || bad "keygen without --force replaced the private key"
[ ! -e new.pub ] && ok || bad "keygen without --force wrote the public key"
# A folder where a key should go fails before anything is replaced.
mkdir folder
expect_exit 3 "-p an existing folder, no --force" "$ARTSIG" keygen --type ed25519 -o key -p folder
cmp -s key key.saved && ok || bad "a keygen that failed (-p a folder) replaced the private key"
expect_exit 3 "-p an existing folder" "$ARTSIG" keygen --type ed25519 -o key -p folder -f
expect_one_line_error "-p an existing folder"
cmp -s key key.saved && ok || bad "a keygen that failed replaced the private key"
expect_exit 3 "-o an existing folder" "$ARTSIG" keygen --type ed25519 -o folder -p new.pub
[ ! -e new.pub ] && ok || bad "keygen into a folder wrote the public key"
no_strays . "keygen refusals"
expect_exit 0 "--force replaces the pair" "$ARTSIG" keygen --type ed25519 -o key -p key.pub --force
cmp -s key key.saved && bad "--force did not replace the private key" || ok
"$ARTSIG" sign-blob -k key "$T/msg" >"$T/pair.sig" 2>/dev/null
expect_exit 0 "the replaced pair matches" "$ARTSIG" verify-blob -k key.pub -s "$T/pair.sig" "$T/msg"
# Both keys change or neither does, even when a rename fails after every
# check passed: an immutable file (chattr +i: root, on ext4 and the like)
# refuses the rename over it. A failed rename of the public key must not
# have cost the private key, nor one of the private key the public key.
cp key key.saved && cp key.pub key.pub.saved
pair_kept() { # pair_kept WHAT: neither key changed, nothing left behind
    cmp -s key key.saved && ok || bad "$1: the private key changed"
    cmp -s key.pub key.pub.saved && ok || bad "$1: the public key changed"
    no_strays . "$1"
}
if command -v chattr >/dev/null && chattr +i key.pub 2>/dev/null; then
    expect_exit 3 "the public key's rename fails" "$ARTSIG" keygen --type ed25519 -o key -p key.pub -f
    chattr -i key.pub
    expect_one_line_error "the public key's rename fails"
    pair_kept "the public key's rename fails"
    chattr +i key
    expect_exit 3 "the private key's rename fails" "$ARTSIG" keygen --type ed25519 -o key -p key.pub -f
    chattr -i key
    expect_one_line_error "the private key's rename fails"
    pair_kept "the private key's rename fails"
    chattr +i key
    expect_exit 3 "the private key's rename fails, no public key yet" "$ARTSIG" keygen --type ed25519 \
        -o key -p fresh.pub -f
    chattr -i key
    [ ! -e fresh.pub ] && ok || bad "a keygen that failed left a new public key"
    pair_kept "the private key's rename fails, no public key yet"
else
    echo "SKIP: no immutable files here (chattr +i needs root and a file system that has them)" >&2
fi
cd "$T" || exit 1

finish
