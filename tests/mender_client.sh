#!/bin/sh
# Debian's mender 3.4 client installs what artsig writes: an ECDSA-signed
# single-file module artifact lands where it says, commits, and a second one
# rolls back; the wrong key and an unsigned artifact are refused before the
# module touches anything. Runs the client through the shared peer script
# (a private mount namespace, so root and unshare are needed).
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

PEER=$VEC/../peers/mender34-install
# Only what a developer's machine may lack by design skips; CI runs as root.
[ "$(id -u)" -eq 0 ] || { echo "skipped: installing with mender needs root" >&2; exit 77; }
command -v unshare >/dev/null && unshare -m true 2>/dev/null ||
    { echo "skipped: unshare -m is not available here" >&2; exit 77; }
if ! command -v mender >/dev/null || [ ! -f "$PEER" ]; then
    bad "the mender client and $PEER are needed (scripts/deps.sh installs the client)"
    finish
    exit
fi

KEYS=$VEC/keys
DEV=artsig-test-device
DEST=$T/dest # the module writes here; never outside $T

# The single-file module reads its instructions from payload files named
# dest_dir, filename and permissions, next to the file itself.
make_inputs() { # make_inputs DIR CONTENT
    mkdir -p "$1"
    printf '%s' "$DEST" >"$1/dest_dir"
    printf 'payload.txt' >"$1/filename"
    printf '0640' >"$1/permissions"
    printf '%s\n' "$2" >"$1/payload.txt"
}

write_module() { # write_module DIR NAME OUTPUT [OPTION...]
    dir=$1 name=$2 output=$3
    shift 3
    expect_exit 0 "artsig write $name" "$ARTSIG" write module-image -T single-file \
        -n "$name" -t "$DEV" -f "$dir/dest_dir" -f "$dir/filename" -f "$dir/permissions" \
        -f "$dir/payload.txt" -o "$output" "$@"
}

# The peer's log goes to $T/log, for the failure messages.
peer() { # peer SANDBOX ARTIFACT PUBKEY [commit|rollback]
    sb=$1 art=$2 pub=$3
    shift 3
    sh "$PEER" "$sb" "$art" "$pub" "$DEV" "$@" >"$T/log" 2>&1
}

client() { # client SANDBOX COMMAND: query the client's database in SANDBOX
    mender -c "$1/mender.conf" -b "$1/none.conf" -d "$1/data" --no-syslog "$2" 2>/dev/null
}

make_inputs "$T/v1" "first version"
make_inputs "$T/v2" "second version"
write_module "$T/v1" sf-1 "$T/sf-1.mender" -k "$KEYS/ecp256.pkcs8.key"
write_module "$T/v2" sf-2 "$T/sf-2.mender" -k "$KEYS/ecp256.pkcs8.key" --compression lzma
write_module "$T/v1" sf-unsigned "$T/unsigned.mender"

# Refusals first, while the destination does not exist yet: the module must
# never have run.
peer "$T/sb-wrong" "$T/sf-1.mender" "$KEYS/ecp256b.pub" &&
    bad "installed with the wrong key: $(tail -n 3 "$T/log")" || ok
grep -q 'invalid signature' "$T/log" && ok || bad "wrong key: refused for another reason: $(tail -n 3 "$T/log")"
[ ! -e "$DEST" ] && ok || bad "the wrong key's install touched $DEST"
peer "$T/sb-unsigned" "$T/unsigned.mender" "$KEYS/ecp256.pub" &&
    bad "installed an unsigned artifact with a key configured: $(tail -n 3 "$T/log")" || ok
grep -q 'expecting signed artifact' "$T/log" && ok ||
    bad "unsigned: refused for another reason: $(tail -n 3 "$T/log")"
[ ! -e "$DEST" ] && ok || bad "the unsigned install touched $DEST"

SB=$T/sb
peer "$SB" "$T/sf-1.mender" "$KEYS/ecp256.pub" && ok ||
    bad "install sf-1: $(tail -n 5 "$T/log")"
cmp -s "$T/v1/payload.txt" "$DEST/payload.txt" && ok ||
    bad "sf-1: $DEST/payload.txt is not the payload"
[ "$(stat -c %a "$DEST/payload.txt" 2>/dev/null)" = 640 ] && ok ||
    bad "sf-1: permissions file not applied: $(stat -c %a "$DEST/payload.txt" 2>&1)"
peer "$SB" "$T/sf-1.mender" "$KEYS/ecp256.pub" commit && ok ||
    bad "commit sf-1: $(tail -n 5 "$T/log")"
[ "$(client "$SB" show-artifact)" = sf-1 ] && ok ||
    bad "after commit the client reports '$(client "$SB" show-artifact)', want sf-1"
# The provides artsig wrote by default are what the client records.
client "$SB" show-provides | grep -qx 'rootfs-image.single-file.version=sf-1' && ok ||
    bad "provides after commit: $(client "$SB" show-provides | tr '\n' ' ')"

# An lzma-compressed update over it, rolled back: the first file returns.
peer "$SB" "$T/sf-2.mender" "$KEYS/ecp256.pub" && ok ||
    bad "install sf-2: $(tail -n 5 "$T/log")"
cmp -s "$T/v2/payload.txt" "$DEST/payload.txt" && ok || bad "sf-2 not installed"
peer "$SB" "$T/sf-2.mender" "$KEYS/ecp256.pub" rollback && ok ||
    bad "rollback sf-2: $(tail -n 5 "$T/log")"
cmp -s "$T/v1/payload.txt" "$DEST/payload.txt" && ok || bad "rollback did not restore sf-1's file"
[ "$(client "$SB" show-artifact)" = sf-1 ] && ok ||
    bad "after rollback the client reports '$(client "$SB" show-artifact)', want sf-1"

finish
