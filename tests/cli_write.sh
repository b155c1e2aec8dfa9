#!/bin/sh
# artsig write against mender-artifact 3.9: for every write option they share,
# the artifact artsig writes is accepted by `mender-artifact validate`, and
# `mender-artifact read` shows the same facts for it as for the artifact
# mender-artifact writes from the same command line; artsig validates both and
# `artsig read --json` reports them identically. Then what mender-artifact
# cannot check (zstd, Ed25519), reproducibility, and refusals.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

KEYS=$VEC/keys
IN=$T/in OUT=$T/artifacts
mkdir -p "$IN" "$OUT" "$IN/sub"
need_mender_artifact

# Inputs: an "image" of real binary and text, module files, state scripts
# and meta-data.
{ head -c 200000 "$(command -v mender-artifact)"; head -c 100000 /usr/share/common-licenses/GPL-3; } >"$IN/rootfs.ext4"
echo one >"$IN/a.txt"
echo two >"$IN/b.bin"
echo other >"$IN/sub/a.txt"
printf '{"service":"app","ports":[80,443],"restart":true,"nested":{"z":1,"a":null}}' >"$IN/meta.json"
for s in ArtifactInstall_Enter_00 ArtifactCommit_Leave_10_notify ArtifactReboot_Leave_50_wifi \
    Download_Enter_05_wifi; do
    printf '#!/bin/sh\necho %s\n' "$s" >"$IN/$s"
done
cp "$IN/ArtifactInstall_Enter_00" "$IN/NotAState_Enter_00"

# The keys each tool signs with: the same key pair, in the form each reads
# (mender-artifact 3.9 reads only PKCS#1 and SEC1 private keys).
# (rsa-long: the PKCS#1 key for both, given as --key.)
key_args() { # key_args TOOL SIG: print -k PRIVATE for TOOL, nothing when unsigned
    case $2 in
    rsa) [ "$1" = artsig ] && echo "-k $KEYS/rsa3072.pkcs8.key" || echo "-k $KEYS/rsa3072.pkcs1.key" ;;
    rsa-long) echo "--key $KEYS/rsa3072.pkcs1.key" ;;
    ecdsa) [ "$1" = artsig ] && echo "-k $KEYS/ecp256.pkcs8.key" || echo "-k $KEYS/ecp256.sec1.key" ;;
    esac
}
pub_args() { # pub_args SIG: print -k PUBLIC, nothing when unsigned
    case $1 in
    rsa*) echo "-k $KEYS/rsa3072.pub" ;;
    ecdsa) echo "-k $KEYS/ecp256.pub" ;;
    esac
}

# What legitimately differs in `mender-artifact read` between the two
# artifacts: "modified:", the payload files' modification times (artsig writes
# SOURCE_DATE_EPOCH or 0 for reproducible output, mender-artifact the input
# file's mtime; the manifest does not cover them), and the order of the state
# scripts, which read lists as header.tar holds them (mender-artifact in
# command-line order, artsig sorted by name; the client runs them by name).
# The signature line stays: both are signed by the same key, so both must
# verify. The checksums shown are the payload files', which must agree.
cat >"$T/normalise.py" <<'EOF'
import sys
lines = [l for l in open(sys.argv[1]) if not l.startswith("      modified: ")]
start = end = lines.index("  State scripts:\n") + 1 if "  State scripts:\n" in lines else 0
while start and end < len(lines) and lines[end].startswith("    "):
    end += 1
lines[start:end] = sorted(lines[start:end])
sys.stdout.write("".join(lines))
EOF
normalise_read() {
    python3 "$T/normalise.py" "$1"
}

# same LABEL SIG KIND OPTION...: write with both tools and compare.
same() {
    label=$1 sig=$2 kind=$3
    shift 3
    # shellcheck disable=SC2046 # key arguments split on purpose
    "$ARTSIG" write "$kind" "$@" $(key_args artsig "$sig") -o "$OUT/a.mender" >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" -eq 0 ] && ok || { bad "$label: artsig write exit $rc: $(cat "$T/err")"; return; }
    # shellcheck disable=SC2046
    mender-artifact write "$kind" "$@" $(key_args mender "$sig") -o "$OUT/m.mender" >/dev/null 2>"$T/merr"
    [ -s "$OUT/m.mender" ] || { bad "$label: mender-artifact did not write: $(tail -n 1 "$T/merr")"; return; }
    # shellcheck disable=SC2046
    mender-artifact validate $(pub_args "$sig") "$OUT/a.mender" >"$T/mv" 2>&1 && ok ||
        bad "$label: mender-artifact validate refused artsig's artifact: $(tail -n 2 "$T/mv")"
    # shellcheck disable=SC2046
    mender-artifact read $(pub_args "$sig") "$OUT/a.mender" 2>/dev/null >"$T/read-a"
    # shellcheck disable=SC2046
    mender-artifact read $(pub_args "$sig") "$OUT/m.mender" 2>/dev/null >"$T/read-m"
    normalise_read "$T/read-a" >"$T/norm-a"
    normalise_read "$T/read-m" >"$T/norm-m"
    if [ -s "$T/norm-m" ] && cmp -s "$T/norm-a" "$T/norm-m"; then ok; else
        bad "$label: mender-artifact read differs (artsig's <, mender-artifact's >):
$(diff "$T/norm-a" "$T/norm-m")"
    fi
    # shellcheck disable=SC2046
    "$ARTSIG" validate $(pub_args "$sig") "$OUT/a.mender" >"$T/out" 2>&1 && ok ||
        bad "$label: artsig validate: $(cat "$T/out")"
    # shellcheck disable=SC2046
    "$ARTSIG" read --json $(pub_args "$sig") "$OUT/a.mender" >"$T/json-a" 2>"$T/err" &&
        "$ARTSIG" read --json $(pub_args "$sig") "$OUT/m.mender" >"$T/json-m" 2>>"$T/err" ||
        { bad "$label: artsig read --json: $(cat "$T/err")"; return; }
    python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
        "$T/json-a" "$T/json-m" && ok ||
        bad "$label: artsig read --json differs:
$(diff "$T/json-a" "$T/json-m")"
    rm -f "$OUT/a.mender" "$OUT/m.mender"
}

R="-n release-1 -t beaglebone -f $IN/rootfs.ext4"
M="-n app-1 -t beaglebone -T single-file"
B="-n boot-1 -t beaglebone"
# shellcheck disable=SC2086 # the option sets split on purpose
{
same "rootfs defaults" none rootfs-image $R
same "rootfs rsa, depends, groups, provides" rsa rootfs-image $R -t bbb-rev2 \
    -p app.version:7 -p app.color:blue -d hw.rev:1 -d hw.rev:2 -d kernel:5.10 \
    -N release-0 -N release-0b -g stable -G beta -G alpha
same "rootfs ecdsa, scripts, clears" ecdsa rootfs-image $R \
    -s "$IN/ArtifactInstall_Enter_00" -s "$IN/ArtifactCommit_Leave_10_notify" \
    --clears-provides 'app.*' --clears-provides 'rootfs-image.*'
# mender-artifact refuses a short and a long form of one option in the same
# command line ("Cannot use two forms of the same flag"), so each case uses one.
same "rootfs long options" rsa-long rootfs-image --artifact-name release-2 --device-type bbb \
    --device-type bbb2 --file "$IN/rootfs.ext4" --provides k:v --depends d:1 \
    --provides-group g --depends-groups h --artifact-name-depends release-1 \
    --script "$IN/ArtifactInstall_Enter_00" --script "$IN/ArtifactCommit_Leave_10_notify" \
    --version 3 --no-progress
same "rootfs --software-name/--software-version" none rootfs-image $R \
    --software-name kernel --software-version 5.10.1
same "rootfs --software-version" none rootfs-image $R --software-version 2024.1
same "rootfs --software-filesystem" none rootfs-image $R --software-filesystem data-fs
same "rootfs --software-filesystem rootfs-image" none rootfs-image $R --software-filesystem rootfs-image
same "rootfs --software-filesystem --software-name" none rootfs-image $R \
    --software-filesystem data-fs --software-name db
same "rootfs --no-default-software-version" none rootfs-image $R --no-default-software-version
same "rootfs --no-default-clears-provides" none rootfs-image $R \
    --no-default-clears-provides --clears-provides 'x.*'
same "rootfs --legacy-rootfs-image-checksum" none rootfs-image $R --legacy-rootfs-image-checksum
same "rootfs --no-checksum-provide" none rootfs-image $R --no-checksum-provide
same "rootfs -p rootfs-image.checksum is computed" none rootfs-image $R -p rootfs-image.checksum:forged
# Between -p of the software version key and --software-*, the later wins.
same "rootfs -p version, then --software-version" none rootfs-image $R \
    -p rootfs-image.version:from-p --software-version from-option
same "rootfs --software-version, then -p version" none rootfs-image $R \
    --software-version from-option -p rootfs-image.version:from-p
same "rootfs -p with colons and empty value" none rootfs-image $R -p url:http://x:80/ -p empty:
same "rootfs lzma" rsa rootfs-image $R --compression lzma
same "rootfs none" ecdsa rootfs-image $R --compression none
same "rootfs gzip explicit" none rootfs-image $R --compression gzip
same "rootfs format 2" rsa rootfs-image $R -v 2
same "rootfs format 2, script" none rootfs-image $R --version 2 -s "$IN/ArtifactInstall_Enter_00"
same "rootfs format 3 explicit" none rootfs-image $R -v 3

same "module defaults" none module-image $M -f "$IN/a.txt" -f "$IN/b.bin"
same "module everything" rsa module-image $M -t other-board -f "$IN/a.txt" -f "$IN/b.bin" \
    -m "$IN/meta.json" -p app.version:3 -d app.version:2 -N app-0 -g grp -G grp0 \
    -s "$IN/ArtifactReboot_Leave_50_wifi" -s "$IN/ArtifactInstall_Enter_00" --clears-provides 'app.*'
same "module no files" ecdsa module-image $M
same "module --type long, lzma" ecdsa module-image -n app-2 -t bbb --type my-module \
    --file "$IN/a.txt" --file "$IN/b.bin" --meta-data "$IN/meta.json" --compression lzma
same "module --software-name" none module-image $M --software-name app
same "module --software-filesystem" none module-image $M --software-filesystem data
same "module --software-version" none module-image $M --software-version 9.1
same "module --no-default-software-version" none module-image $M --no-default-software-version
same "module --no-default-clears-provides" none module-image $M --no-default-clears-provides
same "module -p own version" none module-image $M -p rootfs-image.single-file.version:mine
same "module none" rsa module-image $M -f "$IN/b.bin" --compression none

same "bootstrap defaults" none bootstrap-artifact $B
same "bootstrap everything" rsa bootstrap-artifact $B -t bbb -p k:v -d d:1 \
    --clears-provides 'c.*' -g grp -G g0 -N boot-0 --no-progress -v 3
same "bootstrap long options" rsa-long bootstrap-artifact --artifact-name boot-2 \
    --device-type bbb --provides k:v --depends d:1 --provides-group g \
    --depends-groups h --artifact-name-depends boot-1 --version 3
same "bootstrap lzma ecdsa" ecdsa bootstrap-artifact $B --compression lzma
}

# The empty meta-data object: mender-artifact writes no meta-data file, and
# artsig's artifact must read the same.
printf '{}' >"$IN/empty.json"
# shellcheck disable=SC2086
same "module -m {}" none module-image $M -m "$IN/empty.json"

# What only artsig checks: zstd (mender-artifact 3.9 cannot read it) and
# Ed25519 (no Mender tool supports it); keys in every form key.h loads.
check_artsig() { # check_artsig LABEL PUBKEY|- WRITE-ARGS...
    label=$1 pub=$2
    shift 2
    expect_exit 0 "$label: write" "$ARTSIG" write "$@" -o "$OUT/x.mender"
    if [ "$pub" = - ]; then set --; else set -- -k "$pub"; fi
    expect_exit 0 "$label: validate" "$ARTSIG" validate "$@" "$OUT/x.mender"
    expect_exit 0 "$label: read --json" "$ARTSIG" read --json "$@" "$OUT/x.mender"
}
# shellcheck disable=SC2086
{
check_artsig "rootfs zstd" "$KEYS/rsa3072.pub" rootfs-image $R --compression zstd -k "$KEYS/rsa3072.pkcs8.key"
grep -q '"header.tar.zst"' "$T/out" && grep -q '"data/0000.tar.zst"' "$T/out" && ok ||
    bad "zstd: members are not .zst: $(grep -A6 '"members"' "$T/out")"
check_artsig "module zstd" "$KEYS/ecp256.pub" module-image $M -f "$IN/a.txt" --compression zstd -k "$KEYS/ecp256.pkcs8.key"
check_artsig "xz named xz" - rootfs-image $R --compression xz
grep -q '"header.tar.xz"' "$T/out" && ok || bad "--compression xz: no header.tar.xz"
check_artsig "ed25519" "$KEYS/ed25519.pub" rootfs-image $R -k "$KEYS/ed25519.key"
grep -q '"state": "verified"' "$T/out" && ok || bad "ed25519: not verified: $(cat "$T/out")"
}
# Private keys in PKCS#1 / SEC1 / "ecparam" form sign too, for mender-artifact's eyes.
for k in rsa3072.pkcs1.key:rsa3072.pub ecp256.sec1.key:ecp256.pub ecp256.params.key:ecp256.pub; do
    # shellcheck disable=SC2086
    expect_exit 0 "write -k ${k%%:*}" "$ARTSIG" write rootfs-image $R -k "$KEYS/${k%%:*}" -o "$OUT/x.mender"
    expect_exit 0 "mender-artifact validate (${k%%:*})" mender-artifact validate -k "$KEYS/${k#*:}" "$OUT/x.mender"
done
# An encrypted PKCS#8 key with --passphrase-file.
printf 'correct horse\n' >"$T/pass"
printf 'wrong\n' >"$T/wrongpass"
openssl pkcs8 -topk8 -in "$KEYS/ecp256.pkcs8.key" -passout "file:$T/pass" -out "$T/enc.key" 2>/dev/null
# shellcheck disable=SC2086
{
expect_exit 0 "encrypted key" "$ARTSIG" write rootfs-image $R -k "$T/enc.key" --passphrase-file "$T/pass" -o "$OUT/x.mender"
expect_exit 0 "encrypted key: validate" mender-artifact validate -k "$KEYS/ecp256.pub" "$OUT/x.mender"
}
rm -f "$OUT/x.mender"

# -o - streams to stdout: the same bytes as a file (RSA signatures are
# deterministic); without -o the artifact is ./artifact.mender, as with
# mender-artifact.
# shellcheck disable=SC2086
{
expect_exit 0 "write -o file" "$ARTSIG" write module-image $M -f "$IN/a.txt" -k "$KEYS/rsa3072.pkcs8.key" -o "$T/file.mender"
"$ARTSIG" write module-image $M -f "$IN/a.txt" -k "$KEYS/rsa3072.pkcs8.key" -o - >"$T/stdout.mender" 2>"$T/err" && ok ||
    bad "write -o -: $(cat "$T/err")"
cmp -s "$T/file.mender" "$T/stdout.mender" && ok || bad "-o - and -o FILE wrote different bytes"
expect_exit 0 "write --output-path" "$ARTSIG" write module-image $M -f "$IN/a.txt" -k "$KEYS/rsa3072.pkcs8.key" --output-path "$T/long.mender"
cmp -s "$T/file.mender" "$T/long.mender" && ok || bad "--output-path and -o wrote different bytes"
mkdir "$T/cwd"
(cd "$T/cwd" && "$ARTSIG" write bootstrap-artifact $B >/dev/null 2>&1) && [ -s "$T/cwd/artifact.mender" ] && ok ||
    bad "no -o: ./artifact.mender was not written"
}

# The meter: a count of the bytes written, on a terminal only (script(1)
# gives one), and never with --no-progress. A large uncompressed image makes
# the write last long enough for it to draw.
truncate -s 256M "$T/big.img"
script -qec "'$ARTSIG' write rootfs-image -n big -t bbb -f '$T/big.img' --compression none -o '$T/big.mender'" \
    /dev/null </dev/null >"$T/tty" 2>&1 && ok || bad "write on a terminal: $(cat "$T/tty")"
grep -q 'writing artifact: .*MiB' "$T/tty" && ok || bad "no meter on a terminal: $(cat "$T/tty")"
script -qec "'$ARTSIG' write rootfs-image -n big -t bbb -f '$T/big.img' --compression none --no-progress -o '$T/big.mender'" \
    /dev/null </dev/null >"$T/tty" 2>&1
grep -q 'MiB' "$T/tty" && bad "meter shown despite --no-progress: $(cat "$T/tty")" || ok
"$ARTSIG" write rootfs-image -n big -t bbb -f "$T/big.img" --compression none -o "$T/big.mender" 2>"$T/err"
[ ! -s "$T/err" ] && ok || bad "meter shown without a terminal: $(head -c 200 "$T/err")"
rm -f "$T/big.img" "$T/big.mender"

# Reproducible: the same inputs and an RSA key give the same bytes, whatever
# the input files' modification times; with SOURCE_DATE_EPOCH every tar entry
# (outer and inner) has that time, without it 0.
# shellcheck disable=SC2086
{
"$ARTSIG" write rootfs-image $R -s "$IN/ArtifactInstall_Enter_00" -k "$KEYS/rsa3072.pkcs8.key" -o "$T/r1.mender" 2>/dev/null
touch -d '2001-02-03 04:05:06' "$IN/rootfs.ext4" "$IN/ArtifactInstall_Enter_00"
"$ARTSIG" write rootfs-image $R -s "$IN/ArtifactInstall_Enter_00" -k "$KEYS/rsa3072.pkcs8.key" -o "$T/r2.mender" 2>/dev/null
[ -s "$T/r1.mender" ] && cmp -s "$T/r1.mender" "$T/r2.mender" && ok || bad "two writes of the same inputs differ"
for c in gzip lzma zstd none; do
    "$ARTSIG" write module-image $M -f "$IN/a.txt" -f "$IN/b.bin" -m "$IN/meta.json" --compression $c -o "$T/c1.mender" 2>/dev/null
    "$ARTSIG" write module-image $M -f "$IN/a.txt" -f "$IN/b.bin" -m "$IN/meta.json" --compression $c -o "$T/c2.mender" 2>/dev/null
    [ -s "$T/c1.mender" ] && cmp -s "$T/c1.mender" "$T/c2.mender" && ok || bad "$c: two writes differ"
done
SOURCE_DATE_EPOCH=1700000000 "$ARTSIG" write rootfs-image $R -s "$IN/ArtifactInstall_Enter_00" -o "$T/e.mender" 2>/dev/null
}
# Every entry of the outer tar and of the (gzip) tars inside it.
cat >"$T/mtimes.py" <<'EOF'
import sys, tarfile
def walk(t, where, out):
    for m in t.getmembers():
        out.append((where + m.name, m.mtime))
        if ".tar" in m.name:
            with tarfile.open(fileobj=t.extractfile(m), mode="r:*") as inner:
                walk(inner, where + m.name + ":", out)
out = []
with tarfile.open(sys.argv[1]) as t:
    walk(t, "", out)
wrong = [f"{n}={m}" for n, m in out if m != int(sys.argv[2])]
print(" ".join(wrong) if wrong else f"{len(out)} entries")
sys.exit(1 if wrong or len(out) < 6 else 0)
EOF
python3 "$T/mtimes.py" "$T/e.mender" 1700000000 >"$T/m" 2>&1 && ok || bad "SOURCE_DATE_EPOCH: $(cat "$T/m")"
python3 "$T/mtimes.py" "$T/r1.mender" 0 >"$T/m" 2>&1 && ok || bad "no SOURCE_DATE_EPOCH: $(cat "$T/m")"

# Refusals: the exit code, one line on stderr, and nothing left in the
# output folder (no artifact, no temporary).
rm -rf "$OUT" && mkdir "$OUT"
refuse() { # refuse CODE LABEL ARGS...
    code=$1 label=$2
    shift 2
    expect_exit "$code" "$label" timeout 20 "$ARTSIG" write "$@" -o "$OUT/x.mender"
    expect_one_line_error "$label"
    [ -z "$(ls -A "$OUT")" ] && ok || bad "$label: left behind: $(ls -A "$OUT")"
}
printf 'not json' >"$IN/bad.json"
printf '[1,2]' >"$IN/array.json"
: >"$IN/zero.json"
printf '{"a":1} {"b":2}' >"$IN/two.json"
# shellcheck disable=SC2086
{
refuse 2 "no kind" -n x
refuse 2 "unknown kind" delta-image $R
refuse 2 "missing -n" rootfs-image -t bbb -f "$IN/rootfs.ext4"
refuse 2 "missing -t" rootfs-image -n x -f "$IN/rootfs.ext4"
refuse 2 "rootfs missing -f" rootfs-image -n x -t bbb
refuse 2 "module missing -T" module-image -n x -t bbb
refuse 2 "rootfs two -f" rootfs-image $R -f "$IN/a.txt"
refuse 2 "-T with rootfs-image" rootfs-image $R -T single-file
refuse 2 "-m with rootfs-image" rootfs-image $R -m "$IN/meta.json"
refuse 2 "-f with bootstrap-artifact" bootstrap-artifact $B -f "$IN/a.txt"
refuse 2 "-s with bootstrap-artifact" bootstrap-artifact $B -s "$IN/ArtifactInstall_Enter_00"
refuse 2 "--software-version with bootstrap" bootstrap-artifact $B --software-version 1
refuse 2 "--legacy-rootfs-image-checksum with module" module-image $M --legacy-rootfs-image-checksum
refuse 2 "--no-checksum-provide with module" module-image $M --no-checksum-provide
refuse 2 "-v 2 with module-image" module-image $M -v 2
refuse 2 "-v 2 with bootstrap-artifact" bootstrap-artifact $B -v 2
refuse 2 "-v 2 with -p" rootfs-image $R -v 2 -p k:v
refuse 2 "-v 2 with -d" rootfs-image $R -v 2 -d k:v
refuse 2 "-v 2 with -N" rootfs-image $R -v 2 -N a
refuse 2 "-v 2 with -g" rootfs-image $R -v 2 -g grp
refuse 2 "-v 2 with -G" rootfs-image $R -v 2 -G grp
refuse 2 "-v 2 with --clears-provides" rootfs-image $R -v 2 --clears-provides 'a.*'
refuse 2 "-v 2 with --software-version" rootfs-image $R -v 2 --software-version 1
refuse 2 "-v 4" rootfs-image $R -v 4
refuse 2 "-v x" rootfs-image $R -v x
refuse 2 "--no-default-software-version with --software-version" rootfs-image $R \
    --no-default-software-version --software-version 1
refuse 2 "--no-default-software-version with --software-name" module-image $M \
    --software-name x --no-default-software-version
refuse 2 "--no-checksum-provide with --legacy-rootfs-image-checksum" rootfs-image $R \
    --no-checksum-provide --legacy-rootfs-image-checksum
refuse 2 "empty --software-name" rootfs-image $R --software-name ''
refuse 2 "-p without colon" rootfs-image $R -p novalue
refuse 2 "-d without colon" module-image $M -d novalue
refuse 2 "-p with empty key" rootfs-image $R -p :value
refuse 2 "unknown compression" rootfs-image $R --compression bzip2
refuse 2 "unknown option" rootfs-image $R --gcp-kms-key projects/x
refuse 2 "unknown short option" rootfs-image $R -S -x
refuse 2 "unexpected argument" rootfs-image $R extra
refuse 2 "--passphrase-file without -k" rootfs-image $R --passphrase-file "$T/pass"
refuse 2 "invalid script name" rootfs-image $R -s "$IN/NotAState_Enter_00"
# mender-artifact 3.9 takes Download_* scripts, but a client runs only the
# Artifact* states from an artifact (Download scripts live on the device).
refuse 2 "Download script in an artifact" rootfs-image $R -s "$IN/Download_Enter_05_wifi"
refuse 2 "duplicate payload file names" module-image $M -f "$IN/a.txt" -f "$IN/sub/a.txt"
refuse 2 "the same file twice" module-image $M -f "$IN/a.txt" -f "$IN/a.txt"
refuse 2 "meta-data not JSON" module-image $M -m "$IN/bad.json"
refuse 2 "meta-data an array" module-image $M -m "$IN/array.json"
refuse 2 "meta-data empty file" module-image $M -m "$IN/zero.json"
refuse 2 "meta-data two objects" module-image $M -m "$IN/two.json"
refuse 2 "whitespace in the name" rootfs-image -n 'release 1' -t bbb -f "$IN/rootfs.ext4"
refuse 3 "missing -f file" rootfs-image -n x -t bbb -f "$IN/nonexistent"
refuse 3 "missing module file" module-image $M -f "$IN/a.txt" -f "$IN/nonexistent"
refuse 3 "missing script" rootfs-image $R -s "$IN/ArtifactFailure_Enter_00"
refuse 3 "missing meta-data file" module-image $M -m "$IN/nonexistent.json"
refuse 3 "missing key" rootfs-image $R -k "$IN/nonexistent.key"
refuse 3 "public key to sign" rootfs-image $R -k "$KEYS/rsa3072.pub"
refuse 3 "P-384 key" rootfs-image $R -k "$KEYS/ecp384.sec1.key"
refuse 3 "encrypted key, no passphrase" rootfs-image $R -k "$T/enc.key"
refuse 3 "encrypted key, wrong passphrase" rootfs-image $R -k "$T/enc.key" --passphrase-file "$T/wrongpass"
refuse 2 "a folder as payload" rootfs-image -n x -t bbb -f "$IN/sub"
# A FIFO nobody writes to: refused at once, where opening it to read would
# wait for a writer forever (timeout's 124 says it waited).
mkfifo "$IN/fifo" "$IN/ArtifactInstall_Enter_99"
refuse 2 "a FIFO as payload" rootfs-image -n x -t bbb -f "$IN/fifo"
refuse 2 "a FIFO as module file" module-image $M -f "$IN/fifo"
refuse 2 "a FIFO as script" rootfs-image $R -s "$IN/ArtifactInstall_Enter_99"
}
# An existing output stays as it was when a write fails.
echo precious >"$OUT/keep.mender"
expect_exit 3 "failed write over an existing file" "$ARTSIG" write rootfs-image -n x -t bbb \
    -f "$IN/nonexistent" -o "$OUT/keep.mender"
[ "$(cat "$OUT/keep.mender")" = precious ] && [ "$(ls -A "$OUT")" = keep.mender ] && ok ||
    bad "a failed write changed $OUT: $(ls -A "$OUT")"
# shellcheck disable=SC2086
expect_exit 3 "output folder missing" "$ARTSIG" write bootstrap-artifact $B -o "$T/no/such/dir/x.mender"
expect_one_line_error "output folder missing"
expect_exit 2 "option without value" "$ARTSIG" write rootfs-image -n x -t bbb -f "$IN/a.txt" -s
grep -q "'-s' needs a value" "$T/err" && ok || bad "option without value: $(cat "$T/err")"
expect_exit 0 "write --help" "$ARTSIG" write --help
grep -q 'rootfs-image' "$T/out" && ok || bad "write --help: $(cat "$T/out")"
expect_exit 0 "write rootfs-image --help" "$ARTSIG" write rootfs-image --help
expect_exit 2 "write without arguments" "$ARTSIG" write
expect_one_line_error "write without arguments"

finish
