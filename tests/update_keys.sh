#!/bin/sh
# artsig-update's verification keys fail closed, unlike Mender's 3.4 client:
# a key file that is missing, unreadable or of an unsupported kind refuses
# every install (naming the file), even of an artifact another configured key
# verifies; ArtifactVerifyKey and ArtifactVerifyKeys together, an empty key
# option, a key option of the wrong type, given twice or spelt in another case
# (which Mender's Go JSON reader would take as the option) are configuration
# errors (update_conf.sh tests the rest of mender.conf). With keys, an unsigned or wrongly signed artifact is refused;
# several keys are tried in order; with no key at all the install goes ahead
# with a warning. Each refusal is one line and leaves the device untouched.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

K=$VEC/keys
SIGNED=$VEC/artifacts/rootfs-gzip-rsa.mender # signed with rsa3072
UNSIGNED=$VEC/artifacts/rootfs-gzip-unsigned.mender
key() { printf '"ArtifactVerifyKey":"%s",' "$1"; }
keys() { # keys FILE...: an ArtifactVerifyKeys list
    printf '"ArtifactVerifyKeys":['
    sep=
    for f in "$@"; do printf '%s"%s"' "$sep" "$f" && sep=,; done
    printf '],'
}

# refused DESCRIPTION KEYS_JSON ARTIFACT [TEXT]: install exits 1 with one line
# (containing TEXT), and the device is as it was.
refused() {
    new_device qemux86-64 "$2"
    save_device
    expect_exit 1 "$1" upd install "$3"
    expect_one_line_error "$1"
    if [ -z "${4:-}" ] || grep -qF -- "$4" "$T/err"; then ok; else
        bad "$1: the error does not say \"$4\": $(cat "$T/err")"; fi
    expect_device_kept "$1"
}
# installs DESCRIPTION KEYS_JSON ARTIFACT: install exits 0 (a rootfs-image).
installs() {
    new_device qemux86-64 "$2"
    expect_exit 0 "$1" upd install "$3"
    expect_env "$1" mender_boot_part 3
}

echo "== key files that do not load refuse every install"
refused "missing key file" "$(key "$T/nope.pub")" "$SIGNED" "$T/nope.pub"
refused "missing key among good ones" "$(keys "$K/rsa3072.pub" "$T/nope.pub")" "$SIGNED" "$T/nope.pub"
refused "unsupported curve (P-384)" "$(key "$K/ecp384.pub")" "$SIGNED" "$K/ecp384.pub"
refused "unsupported key after the right one" "$(keys "$K/rsa3072.pub" "$K/ecp384.pub")" \
    "$SIGNED" "$K/ecp384.pub"
printf 'not a key\n' >"$T/garbage.pub"
refused "a file that is no key" "$(key "$T/garbage.pub")" "$SIGNED" "$T/garbage.pub"
mkdir -p "$T/keydir"
refused "a directory" "$(key "$T/keydir")" "$SIGNED" "$T/keydir"
# RSA with public exponent 1 (anyone can sign: the forged artifact verifies
# with OpenSSL) or an even one.
for e in 1 65536; do
    sh "$SRC/tests/crafted/rsa-exponent.sh" "$K/rsa3072.pub" "$e" "$T/e$e.pub"
done
sh "$SRC/tests/crafted/forge-rsa-e1.sh" "$ARTSIG" "$UNSIGNED" 384 "$T/forged.mender" && ok ||
    bad "cannot forge a signature for e=1"
refused "RSA public exponent 1" "$(key "$T/e1.pub")" "$T/forged.mender" "RSA public exponent is"
refused "RSA public exponent 1 after the right key" "$(keys "$K/rsa3072.pub" "$T/e1.pub")" \
    "$SIGNED" "$T/e1.pub"
refused "even RSA public exponent" "$(key "$T/e65536.pub")" "$SIGNED" "RSA public exponent is"
# Commit, rollback and show do not need the keys: a device with a broken key
# can still finish or undo what it installed.
new_device qemux86-64 "$(key "$T/nope.pub")"
expect_exit 2 "commit with a broken key" upd commit
expect_exit 0 "show-artifact with a broken key" upd show-artifact

echo "== key options that are configuration errors"
refused "both key options" "$(key "$K/rsa3072.pub")$(keys "$K/rsa3072.pub")" "$SIGNED" \
    "both ArtifactVerifyKey and ArtifactVerifyKeys"
refused "empty ArtifactVerifyKey" '"ArtifactVerifyKey":"",' "$SIGNED" ArtifactVerifyKey
refused "empty ArtifactVerifyKeys" '"ArtifactVerifyKeys":[],' "$SIGNED" ArtifactVerifyKeys
refused "ArtifactVerifyKey not a string" '"ArtifactVerifyKey":7,' "$SIGNED" ArtifactVerifyKey
refused "ArtifactVerifyKeys not a list" "$(key "$K/rsa3072.pub" | sed 's/Key"/Keys"/')" "$SIGNED" \
    ArtifactVerifyKeys
refused "one option spelt twice" "$(key "$K/rsa3072.pub")\"artifactverifykey\":\"$K/rsa3072.pub\"," \
    "$SIGNED" "same key"
# A lower-case spelling is a key option for Mender but not for other readers:
# it is refused, naming the spelling expected.
refused "lower-case option" "\"artifactverifykey\":\"$K/ecp256.pub\"," "$SIGNED" \
    "must be spelt ArtifactVerifyKey"
# The configuration itself.
new_device qemux86-64 ""
expect_exit 1 "missing configuration" "$UPD" --config "$T/no.conf" --data "$DATA" install "$SIGNED"
expect_one_line_error "missing configuration"
if grep -qF "$T/no.conf" "$T/err"; then ok; else bad "missing configuration not named: $(cat "$T/err")"; fi
printf '{"ArtifactVerifyKey": ' >"$T/broken.conf"
expect_exit 1 "configuration not JSON" "$UPD" --config "$T/broken.conf" --data "$DATA" install "$SIGNED"
expect_one_line_error "configuration not JSON"

echo "== signatures"
installs "the right key" "$(key "$K/rsa3072.pub")" "$SIGNED"
installs "several keys, the right one last" \
    "$(keys "$K/ecp256.pub" "$K/ecp256b.pub" "$K/rsa2048.pub" "$K/rsa3072.pub")" "$SIGNED"
refused "wrong key" "$(key "$K/ecp256.pub")" "$SIGNED"
refused "no key of several verifies" "$(keys "$K/ecp256.pub" "$K/ecp256b.pub")" "$SIGNED"
refused "unsigned artifact with a key" "$(key "$K/rsa3072.pub")" "$UNSIGNED" "not signed"
installs "no key configured" "" "$SIGNED"
if grep -q "^artsig-update: warning: .*signatures are not checked" "$T/err"; then ok; else
    bad "no warning without keys: $(cat "$T/err")"; fi
installs "unsigned artifact, no key" "" "$UNSIGNED"

finish
