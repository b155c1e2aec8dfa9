#!/bin/sh
# Where outputs go. Every output option of artsig (keygen -p, write -o, sign
# -o, attach-signature -o, export-manifest -o) writes a device or FIFO
# through and leaves it what it was (a mknod'ed copy of /dev/null; a link
# like /dev/stdout on a pipe, whose bytes are the file's; a copy of /dev/full,
# which fails in one line), replaces the file a symbolic link names and keeps
# the link (a dangling one gets its target), and refuses a directory. No
# temporary file survives, not even a SIGTERM the moment mkostemp made it.
# artsig-update keeps a linked boot env and provides linked and refuses to
# replace a device with its state. With standard output closed neither
# program writes its output into a file it opened itself.
# The devices are nodes made in $T: an old artsig would replace them, never
# the machine's /dev.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

KEY=$VEC/keys/ed25519.key PUB=$VEC/keys/ed25519.pub
head -c 100000 /dev/urandom >"$T/img"
cp "$VEC/artifacts/rootfs-gzip-unsigned.mender" "$T/u.mender"
"$ARTSIG" export-manifest "$T/u.mender" -o - | "$ARTSIG" sign-blob -k "$KEY" - >"$T/sig" 2>/dev/null ||
    bad "signing the manifest for attach-signature"

# out_OPTION DEST: the command that writes DEST with that option.
out_keygen() { rm -f "$T/private.key" && "$ARTSIG" keygen -t ed25519 -o "$T/private.key" -p "$1"; }
out_write() { "$ARTSIG" write rootfs-image -n r1 -t dev -f "$T/img" -k "$KEY" --no-progress -o "$1"; }
out_sign() { "$ARTSIG" sign -k "$KEY" "$T/u.mender" -o "$1"; }
out_attach() { "$ARTSIG" attach-signature -k "$PUB" "$T/u.mender" "$T/sig" -o "$1"; }
out_export() { "$ARTSIG" export-manifest "$T/u.mender" -o "$1"; }
OPTIONS="keygen write sign attach export"

# expect_output DESCRIPTION OPTION FILE: FILE holds what OPTION writes into a
# regular file (a fresh key for keygen, whose key is new every time).
expect_output() {
    if [ ! -f "$3" ]; then
        bad "$1: no file $3"
    elif [ "$2" = keygen ]; then
        "$ARTSIG" sign-blob -k "$T/private.key" "$T/img" >"$T/blob.sig" 2>/dev/null &&
            "$ARTSIG" verify-blob -k "$3" -s "$T/blob.sig" "$T/img" >/dev/null 2>&1 &&
            ok || bad "$1: not the public key of the key made: $(head -c 100 "$3")"
    elif cmp -s "$T/ref.$2" "$3"; then ok
    else bad "$1: not the bytes written to a file ($(wc -c <"$3") bytes)"; fi
}

# expect_kind DESCRIPTION TEST PATH: `test TEST PATH` still holds.
expect_kind() { if [ "$2" "$3" ]; then ok; else bad "$1: $3 is no longer $2: $(ls -ld "$3")"; fi; }

have_nodes=true
mknod "$T/null" c 1 3 2>/dev/null && mknod "$T/full" c 1 7 2>/dev/null || {
    echo "skip: mknod is not allowed here, the device cases are left out"
    have_nodes=false
}
ln -s /proc/self/fd/1 "$T/stdout"
mkfifo "$T/fifo"
mkdir "$T/dir" "$T/real"

for o in $OPTIONS; do
    echo "== $o"
    expect_exit 0 "$o: a regular file" "out_$o" "$T/ref.$o"

    if $have_nodes; then
        expect_exit 0 "$o: a copy of /dev/null" "out_$o" "$T/null"
        expect_kind "$o: /dev/null's copy" -c "$T/null"
        expect_exit 3 "$o: a copy of /dev/full" "out_$o" "$T/full"
        expect_one_line_error "$o: a copy of /dev/full"
        contains "$o: a copy of /dev/full" "$T/err" "No space left on device"
        expect_kind "$o: /dev/full's copy" -c "$T/full"
    fi

    { "out_$o" "$T/stdout" 2>"$T/err"; echo $? >"$T/rc"; } | cat >"$T/piped"
    [ "$(cat "$T/rc")" = 0 ] && ok || bad "$o: /dev/stdout on a pipe: exit $(cat "$T/rc"): $(cat "$T/err")"
    expect_kind "$o: the link to stdout" -L "$T/stdout"
    expect_output "$o: /dev/stdout on a pipe" "$o" "$T/piped"

    # Bounded: an artsig that replaces the FIFO never opens it.
    rm -f "$T/from-fifo"
    timeout 20 cat "$T/fifo" >"$T/from-fifo" &
    reader=$!
    expect_exit 0 "$o: a FIFO" "out_$o" "$T/fifo"
    wait "$reader"
    expect_kind "$o: the FIFO" -p "$T/fifo"
    expect_output "$o: a FIFO" "$o" "$T/from-fifo"

    echo old >"$T/real/target"
    ln -sfn real/target "$T/link"
    expect_exit 0 "$o: a symbolic link" "out_$o" "$T/link"
    [ "$(readlink "$T/link")" = real/target ] && ok || bad "$o: the link was replaced: $(ls -l "$T/link")"
    expect_output "$o: the link's target" "$o" "$T/real/target"

    rm -f "$T/real/new"
    ln -sfn real/new "$T/dangling"
    expect_exit 0 "$o: a dangling symbolic link" "out_$o" "$T/dangling"
    [ "$(readlink "$T/dangling")" = real/new ] && ok || bad "$o: the dangling link was replaced"
    expect_output "$o: the dangling link's new target" "$o" "$T/real/new"

    expect_exit 3 "$o: a directory" "out_$o" "$T/dir"
    expect_one_line_error "$o: a directory"
    contains "$o: a directory" "$T/err" "Is a directory"
    expect_kind "$o: the directory" -d "$T/dir"

    no_strays "$T" "$o"
    no_strays "$T/real" "$o"
    no_strays "$T/dir" "$o"
done

echo "== a SIGTERM the moment the temporary file exists"
# The plain build runs these: under ASan, whose runtime wants to come first
# among preloaded libraries, keygen with this one preloaded dies in the
# loader (exit 127).
mkdir "$T/term"
if [ -n "${ARTSIG_SANITIZED:-}" ]; then
    echo "SKIP: SIGTERM at mkostemp under $ARTSIG_SANITIZED"
else
    for o in keygen export; do
        LD_PRELOAD="$BUILD/tests/term_at_mkostemp.so" "out_$o" "$T/term/out" >/dev/null 2>&1
        rc=$?
        [ "$rc" -eq 143 ] && ok || bad "$o: SIGTERM at mkostemp: exit $rc, want 143 (killed by SIGTERM)"
        no_strays "$T/term" "$o: SIGTERM at mkostemp"
        no_strays "$T" "$o: SIGTERM at mkostemp (the private key's folder)"
        [ ! -e "$T/term/out" ] && ok || bad "$o: SIGTERM at mkostemp: the output appeared"
    done
fi

echo "== standard output closed"
expect_exit 3 "write -o - with stdout closed" sh -c '"$0" write rootfs-image -n r1 -t dev -f "$1" --no-progress -o - >&-' "$ARTSIG" "$T/img"
expect_one_line_error "write -o - with stdout closed"
contains "write -o - with stdout closed" "$T/err" "stdout"

echo "== artsig-update"
"$ARTSIG" write rootfs-image -n rel-2 -t sim -f "$T/img" -k "$KEY" --no-progress -o "$T/rel-2.mender" ||
    bad "artsig write rel-2"
KEYS_JSON="\"ArtifactVerifyKey\":\"$PUB\","

new_device sim "$KEYS_JSON"
expect_exit 0 "install with stdout closed" sh -c '"$0" --config "$1" --data "$2" install "$3" >&-' \
    "$UPD" "$DEV/mender.conf" "$DATA" "$T/rel-2.mender"
[ ! -s "$DATA/lock" ] && ok || bad "install with stdout closed wrote into the lock: $(cat "$DATA/lock")"

# A boot env and provides linked to files elsewhere (another partition).
new_device sim "$KEYS_JSON"
mkdir "$DEV/persist"
mv "$ENV" "$DEV/persist/bootenv" && ln -s persist/bootenv "$ENV"
mv "$DATA/provides" "$DEV/persist/provides" && ln -s ../persist/provides "$DATA/provides"
expect_exit 0 "install, linked boot env" upd install "$T/rel-2.mender"
expect_kind "install: the boot env's link" -L "$ENV"
expect_env "install through the link" mender_boot_part 3
expect_exit 0 "commit, linked provides" upd commit
expect_kind "commit: the provides' link" -L "$DATA/provides"
contains "commit through the link" "$DEV/persist/provides" "artifact_name=rel-2"
no_strays "$DEV/persist" "linked state"

if $have_nodes; then
    new_device sim "$KEYS_JSON"
    rm "$DATA/provides" && mknod "$DATA/provides" c 1 3
    expect_exit 0 "install, provides a device" upd install "$T/rel-2.mender"
    expect_exit 1 "commit, provides a device" upd commit
    expect_one_error_line "commit, provides a device"
    contains "commit, provides a device" "$T/err" "not a regular file"
    expect_kind "commit: the provides device" -c "$DATA/provides"
fi

finish
