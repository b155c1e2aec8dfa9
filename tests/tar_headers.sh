#!/bin/sh
# Tar headers that readers of the format read differently are refused in
# every tar layer: the artifact's own tar, header.tar and a payload's tar.
# libarchive skips a GNU volume header ('V') without its data and reads that
# data as the next entry, where Go's archive/tar (mender-artifact 3.9, the
# Mender 3.x client) sees a file; so a signed header.tar can hide a state
# script that only a libarchive reader runs. tests/craft_tar.py makes each
# header byte by byte: `artsig validate` refuses it naming the entry,
# `artsig-update install` refuses the hidden script without running it, and
# `artsig sign` refuses such headers after header.tar too. pax and GNU long
# name extensions written as tar writers write them still read.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"
require_python3

KEYS=$VEC/keys
CRAFT="$SRC/tests/craft_tar.py"
printf 'first\n' >"$T/q.bin"
printf 'payload\n' >"$T/p.bin"
"$ARTSIG" write module-image -T probe -n tar-1 -t tar-device -f "$T/q.bin" -f "$T/p.bin" \
    --compression none --no-progress -o "$T/base.mender" && ok || bad "base artifact: not written"

# craft LAYER KIND [RSA_KEY]: $T/LAYER-KIND.mender
craft() {
    python3 "$CRAFT" "$T/base.mender" "$T/$1-$2.mender" "$@" 2>"$T/craft.err" && ok ||
        bad "craft $1 $2: $(cat "$T/craft.err")"
}

# What the detail says of each kind, after the entry's name.
said() {
    case $1 in
        V | g | S) echo "(tar type '$1')" ;;
        nulpath) echo "has a NUL byte in its pax path" ;;
        paxpad) echo "has non-zero padding after its extension data" ;;
        checksum) echo "has a bad checksum" ;;
        size) echo "has a malformed size field" ;;
        1) echo "a hard link (tar type '1')" ;;
        2) echo "a symbolic link (tar type '2')" ;;
        3 | 6) echo "a device or special file (tar type '$1')" ;;
        5) echo "a directory (tar type '5')" ;;
    esac
}

for layer in outer header data; do
    case $layer in
        outer) entry=header.tar ;;
        header) entry=scripts/ArtifactInstall_Enter_00 ;;
        data) entry=p.bin ;;
    esac
    for kind in V g S nulpath paxpad checksum size 1 2 3 5 6; do
        craft $layer $kind
        expect_refusal 1 "$layer $kind" "$T/none" "$ARTSIG" validate "$T/$layer-$kind.mender"
        contains "$layer $kind: the entry named" "$T/err" "$entry"
        contains "$layer $kind: why" "$T/err" "$(said $kind)"
    done
    # Extensions as writers make them: the header is still read.
    for kind in pax longname; do
        craft $layer $kind
        expect_exit 0 "$layer $kind" "$ARTSIG" validate "$T/$layer-$kind.mender"
    done
done

# Signing reads the artifact up to its header, then walks the members after it
# with libarchive: that walk checks their tar headers as well.
for kind in V S 2; do
    craft tail $kind
    expect_refusal 1 "sign: tail $kind" "$T/signed.mender" "$ARTSIG" sign \
        -k "$KEYS/ecp256.sec1.key" -o "$T/signed.mender" "$T/tail-$kind.mender"
    contains "sign: tail $kind: why" "$T/err" "member data/0000.tar is not a regular file"
done
for kind in pax longname; do
    craft tail $kind
    expect_exit 0 "sign: tail $kind" "$ARTSIG" sign -k "$KEYS/ecp256.sec1.key" \
        -o "$T/signed.mender" "$T/tail-$kind.mender"
    expect_exit 0 "sign: tail $kind: signed" "$ARTSIG" validate -k "$KEYS/ecp256.pub" \
        "$T/signed.mender"
done

# The volume header hiding a state script, signed: mender-artifact sees a
# script of raw tar bytes, libarchive the hidden one.
S=$T/header-V.mender
craft header V "$KEYS/rsa3072.pkcs1.key"
expect_refusal 1 "signed V: validate" "$T/none" "$ARTSIG" validate -k "$KEYS/rsa3072.pub" "$S"
contains "signed V: why" "$T/err" "scripts/ArtifactInstall_Enter_00 is a GNU volume header"
expect_refusal 1 "signed V: sign" "$T/signed.mender" "$ARTSIG" sign -f \
    -k "$KEYS/ecp256.sec1.key" -o "$T/signed.mender" "$S"

new_device tar-device "\"ArtifactVerifyKey\":\"$KEYS/rsa3072.pub\","
printf '#!/bin/sh\necho "$1" >>"%s"\n' "$T/states" >"$MODULES/probe"
chmod +x "$MODULES/probe"
save_device
HIDDEN_MARK=$T/hidden
export HIDDEN_MARK
expect_exit 1 "signed V: install" upd install "$S"
expect_one_error_line "signed V: install"
contains "signed V: install names the entry" "$T/err" "GNU volume header"
[ ! -e "$HIDDEN_MARK" ] && ok || bad "signed V: the hidden script ran"
[ ! -e "$T/states" ] && ok || bad "signed V: the module ran: $(cat "$T/states")"
expect_device_kept "signed V"

finish
