#!/bin/sh
# Interoperability with the reference writer: artifacts made here and now by
# Debian's mender-artifact 3.9 validate with `artsig validate`, and a byte
# flipped anywhere is refused, but for the few that no reader can refuse.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
K=$VEC/keys
need_mender_artifact

# Deterministic payloads: compressible text, incompressible bytes, an empty file.
seq 1 40000 >"$T/rootfs.img"
python3 -c 'import random, sys; r = random.Random(7); sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(5000)))' >"$T/app.bin"
seq 1 3000 >"$T/app.txt"
: >"$T/empty.dat"
printf '#!/bin/sh\necho install\n' >"$T/ArtifactInstall_Enter_00"
printf '#!/bin/sh\necho committed\n' >"$T/ArtifactCommit_Leave_10_notify"
printf '{"path":"/opt/app","restart":true,"ports":[80,443]}' >"$T/meta.json"

# write NAME PUBLIC_KEY WRONG_KEY MENDER_ARTIFACT_ARGS...: write $T/NAME.mender;
# the keys are what validation should use ("-" for an unsigned artifact).
# mender-artifact exits 0 on some failures, so the output's existence is checked too.
artifacts=""
write() {
    name=$1 pub=$2 wrong=$3
    shift 3
    if mender-artifact write "$@" -o "$T/$name.mender" >"$T/ma.log" 2>&1 && [ -s "$T/$name.mender" ]; then
        artifacts="$artifacts $name:$pub:$wrong"
        ok
    else
        bad "mender-artifact could not write $name: $(tail -n 3 "$T/ma.log")"
    fi
}
write_rootfs() {
    name=$1 pub=$2 wrong=$3
    shift 3
    write "$name" "$pub" "$wrong" rootfs-image -f "$T/rootfs.img" -t dev-a -t dev-b --no-progress "$@"
}
write_rootfs rootfs-gzip-rsa rsa3072.pub rsa2048.pub -n rootfs-gz -k "$K/rsa3072.pkcs1.key" --compression gzip
write_rootfs rootfs-lzma-ecdsa ecp256.pub ecp256b.pub -n rootfs-xz -k "$K/ecp256.sec1.key" --compression lzma
write_rootfs rootfs-none-rsa rsa3072.pub ecp256.pub -n rootfs-raw -k "$K/rsa3072.pkcs1.key" --compression none
write_rootfs rootfs-v2-ecdsa ecp256.pub rsa3072.pub -n rootfs-v2 -k "$K/ecp256.sec1.key" -v 2
write module-ecdsa ecp256.pub ecp256b.pub module-image -T my-module -n module-1 \
    -t dev-a -t dev-b -f "$T/app.bin" -f "$T/app.txt" -f "$T/empty.dat" \
    -s "$T/ArtifactInstall_Enter_00" -s "$T/ArtifactCommit_Leave_10_notify" -m "$T/meta.json" \
    -p app.version:1.2 -p app.channel:stable -d os.codename:bookworm -g group-a -G group-0 \
    -G group-1 -N module-0 --clears-provides 'app.*' -k "$K/ecp256.sec1.key"
write bootstrap-rsa rsa3072.pub ecp256.pub bootstrap-artifact -n boot-1 -t dev-a \
    -p boot.stage:1 --no-progress -k "$K/rsa3072.pkcs1.key"
write_rootfs unsigned - ecp256.pub -n rootfs-unsigned
if mender-artifact sign -k "$K/ecp256.sec1.key" -o "$T/signed-later.mender" "$T/unsigned.mender" \
        >"$T/ma.log" 2>&1 && [ -s "$T/signed-later.mender" ]; then
    artifacts="$artifacts signed-later:ecp256.pub:rsa3072.pub"
    ok
else
    bad "mender-artifact sign failed: $(tail -n 3 "$T/ma.log")"
fi

# Valid with the right key and with none; refused with a wrong one. An unsigned
# artifact is refused as soon as any key is given.
for a in $artifacts; do
    name=${a%%:*} rest=${a#*:}
    pub=${rest%%:*} wrong=${rest#*:}
    f=$T/$name.mender
    if [ "$pub" = - ]; then
        expect_exit 0 "$name: mender-artifact validate" mender-artifact validate "$f"
    else
        expect_exit 0 "$name: mender-artifact validate" mender-artifact validate -k "$K/$pub" "$f"
        expect_exit 0 "$name, right key" "$ARTSIG" validate -k "$K/$pub" "$f"
    fi
    expect_exit 0 "$name, no key" "$ARTSIG" validate "$f"
    expect_exit 1 "$name, wrong key $wrong" "$ARTSIG" validate -k "$K/$wrong" "$f"
    expect_one_line_error "$name, wrong key $wrong"
done
expect_exit 0 "validate from stdin" sh -c '"$1" validate -k "$2" - <"$3"' sh "$ARTSIG" \
    "$K/ecp256.pub" "$T/module-ecdsa.mender"

# What `artsig read --json` reports agrees with `mender-artifact read`, loosely:
# every string the reference prints (name, device types, group, depends, payload
# type, provides, file names and checksums) appears quoted in the JSON, and
# every state script's name appears.
cat >"$T/facts.awk" <<'EOF'
/^ *State scripts:/ { scripts = 1; next }
scripts && !/^    [A-Z]/ { scripts = 0 }
scripts { print $1 "\""; next }
/^ *(Name|Type|name|checksum):/ && $2 != "Empty" { print "\"" $2 "\"" }
/^ *Provides group: ./ { print "\"" $3 "\"" }
/^ *Compatible devices:|^ *Depends on one of .*: \[./ {
    gsub(/^[^[]*\[|\].*$/, ""); gsub(/,/, " ")
    for (i = 1; i <= NF; i++) print "\"" $i "\""
}
/^\t[^ :]+: / { key = $1; sub(/:$/, "", key); print "\"" key "\""; print "\"" $2 "\"" }
EOF
for name in rootfs-gzip-rsa module-ecdsa bootstrap-rsa rootfs-v2-ecdsa; do
    f=$T/$name.mender
    if ! "$ARTSIG" read --json "$f" >"$T/facts.json" 2>"$T/err"; then
        bad "$name: artsig read --json failed: $(head -c 300 "$T/err")"
        continue
    fi
    python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/facts.json" 2>"$T/err" &&
        ok || bad "$name: read --json is not JSON: $(head -c 300 "$T/err")"
    mender-artifact read --no-progress "$f" 2>/dev/null | awk -f "$T/facts.awk" >"$T/facts.want"
    [ -s "$T/facts.want" ] || bad "$name: nothing parsed from mender-artifact read"
    while read -r fact; do
        grep -qF -- "$fact" "$T/facts.json" && ok || bad "$name: read --json lacks $fact"
    done <"$T/facts.want"
done

# Byte flips. For each artifact, positions.py lists "OFFSET OLD NEW CLASS LABEL":
# a byte inside each outer tar header (fields that matter and the checksum
# field's terminators), the start, middle and end of each member's content,
# the zero padding after it, the end-of-archive blocks, the same in an
# uncompressed payload tar, and the framing of the compressed payload stream.
# CLASS says what a correct reader must do:
#   must   refuse. Every byte is signed, digested, structural, or must be zero
#          (tar padding and end blocks), or belongs to a compressed stream that
#          must decode, checks included, to its very end.
#   inert  accept, and report the same facts: bytes of a payload's gzip header
#          that no value makes invalid (RFC 1952), so that no reader can refuse
#          them: MTIME (any time, or 0 for none), XFL (a hint about the
#          compression level), OS (the system that wrote it) and the FTEXT bit
#          of FLG (a hint that the content may be text). In header.tar.gz the
#          same bytes are "must": its digest covers them.
# Every accepted flip is listed, so that none goes unnoticed.
cat >"$T/positions.py" <<'EOF'
import io, sys, tarfile

data = open(sys.argv[1], 'rb').read()
B64 = b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
HEADER_FIELDS = ((0, 'name'), (100, 'mode'), (124, 'size'), (136, 'mtime'),
                 (148, 'checksum digit'), (154, 'checksum NUL terminator'),
                 (155, 'checksum space terminator'), (156, 'typeflag'), (257, 'magic'),
                 (265, 'uname'), (511, 'last byte of header block'))

def add(off, cls, label, new=None):
    old = data[off]
    print(off, old, old ^ 1 if new is None else new, cls, label.replace(' ', '_'))

def generic(m, start, where):
    for off, what in ((0, 'first'), (m.size // 2, 'middle'), (m.size - 1, 'last')):
        add(start + off, 'must', f'{where}{m.name} content {what} byte')

def tar(base, size, where, content):
    """A tar stored uncompressed at base. content(m, start, where) lists the
    positions inside a member's content."""
    end = 0
    for m in tarfile.open(fileobj=io.BytesIO(data[base:base + size])):
        for off, what in HEADER_FIELDS:
            add(base + m.offset + off, 'must', f'{where}{m.name} header {what}')
        start = base + m.offset_data
        if m.size:
            content(m, start, where)
        pad = -m.size % 512
        if pad:
            add(start + m.size, 'must', f'{where}{m.name} padding first byte')
            add(start + m.size + pad - 1, 'must', f'{where}{m.name} padding last byte')
        end = m.offset_data + m.size + pad
    add(base + end, 'must', f'{where}end-of-archive block 1')
    add(base + end + 512 + 100, 'must', f'{where}end-of-archive block 2')

def outer_content(m, start, where):
    name, size = m.name, m.size
    if name.startswith('data/') and name.endswith('.gz'):
        add(start, 'must', f'{name} gzip magic')
        add(start + 3, 'inert', f'{name} gzip FTEXT bit')
        add(start + 3, 'must', f'{name} gzip FNAME bit', data[start + 3] ^ 8)
        add(start + 4, 'inert', f'{name} gzip mtime')
        add(start + 8, 'inert', f'{name} gzip XFL')
        add(start + 9, 'inert', f'{name} gzip OS')
        # The first deflate byte: its block type bits change how everything
        # decodes; its BFINAL bit ends the stream after the first block.
        add(start + 10, 'must', f'{name} deflate block type', data[start + 10] ^ 2)
        add(start + 10, 'must', f'{name} deflate BFINAL bit')
        add(start + size // 2, 'must', f'{name} middle deflate byte')
        add(start + size - 9, 'must', f'{name} last deflate byte')
        add(start + size - 8, 'must', f'{name} gzip CRC32')
        add(start + size - 4, 'must', f'{name} gzip ISIZE')
    elif name.startswith('data/') and name.endswith('.xz'):
        add(start, 'must', f'{name} xz magic')
        add(start + 7, 'must', f'{name} xz stream flags')
        add(start + 12, 'must', f'{name} xz block header')
        add(start + size // 2, 'must', f'{name} middle LZMA2 byte')
        add(start + size - 16, 'must', f'{name} xz index')
        add(start + size - 12, 'must', f'{name} xz footer CRC32')
        add(start + size - 1, 'must', f'{name} xz footer magic')
    elif name.startswith('data/'):
        tar(start, size, name + ':', generic)
    elif name == 'header.tar':
        tar(start, size, name + ':', generic)
    else:
        generic(m, start, where)
        if name.startswith('header.tar.'):
            for off in (4, 9, size - 8, size - 4):
                add(start + off, 'must', f'{name} compression framing at {off}')
        if name == 'manifest.sig' and data[start + size - 1] == ord('='):
            # Flip only the unused low bits of the last base64 digit: a lenient
            # decoder yields the same signature bytes.
            last = start + len(data[start:start + size].rstrip(b'=')) - 1
            add(last, 'must', 'manifest.sig base64 unused bits',
                B64[B64.index(data[last]) ^ 1])

tar(0, len(data), '', outer_content)
EOF

# put FILE OFFSET BYTE: overwrite one byte in place.
put() {
    printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# validate_with PUBLIC_KEY FILE: an unsigned artifact ("-") is validated
# without a key: every digest still is checked.
validate_with() {
    if [ "$1" = - ]; then "$ARTSIG" validate "$2"; else "$ARTSIG" validate -k "$K/$1" "$2"; fi
}

accepted=0
for a in $artifacts; do
    name=${a%%:*} rest=${a#*:}
    pub=${rest%%:*}
    f=$T/$name.mender
    if ! python3 "$T/positions.py" "$f" >"$T/positions" 2>"$T/err"; then
        bad "$name: cannot list positions: $(tail -n 1 "$T/err")"
        continue
    fi
    "$ARTSIG" read --json "$f" >"$T/facts.orig" 2>/dev/null
    while read -r off old new cls label; do
        put "$f" "$off" "$new"
        validate_with "$pub" "$f" >/dev/null 2>"$T/err"
        rc=$?
        if [ "$cls" = must ]; then
            [ "$rc" -eq 1 ] && ok ||
                bad "$name: flip at $off ($label) not refused: exit $rc $(head -c 200 "$T/err")"
        elif [ "$rc" -ne 0 ]; then
            bad "$name: inert flip at $off ($label) refused: exit $rc $(head -c 200 "$T/err")"
        elif "$ARTSIG" read --json "$f" 2>/dev/null | cmp -s - "$T/facts.orig"; then
            accepted=$((accepted + 1))
            ok
            echo "note: $name: inert flip at $off ($label) accepted, facts unchanged"
        else
            bad "$name: flip at $off ($label) accepted and the facts changed"
        fi
        put "$f" "$off" "$old"
    done <"$T/positions"
    # The restored artifact must be exactly valid again (the flips were undone).
    expect_exit 0 "$name restored after flips" validate_with "$pub" "$f"
done
echo "$accepted inert flips accepted (listed above)"
finish
