#!/bin/sh
# Time, peak memory and output size of `artsig write rootfs-image` against
# `mender-artifact write rootfs-image` on the same image. See bench/README.md.
# shellcheck disable=SC2154 # repo, cache and keys come from lib.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() {
    cat <<EOF
usage: bench/write.sh [--size MIB] [--runs N] [--cli ARTSIG]
  --size    image size in MiB (default: 512)
  --runs    measured runs per tool (default: 3; the median is reported)
  --cli     the artsig to measure (default: build/cli/artsig)
Both tools write a signed (ECDSA P-256) gzip artifact of the same image
(mender-artifact also followed by a sync, as artsig's output is fsync'd);
artsig also writes zstd and xz. The image is cached in \$ARTSIG_BENCH_CACHE
(default: bench/.cache).
Exit status: 0 when artsig writes gzip at least 1.5 times as fast as
mender-artifact (median times), into an artifact at most 5 % larger.
EOF
}

mib=512 runs=3 artsig=$repo/build/cli/artsig
option() {
    case $1 in
    --size) mib=$2 ;;
    *) return 1 ;;
    esac
}
parse_options "$@"

require "$artsig" /usr/bin/time "$(command -v mender-artifact || echo mender-artifact)" \
    "$keys/ecp256.sec1.key" "$keys/ecp256.pkcs8.key" "$keys/ecp256.pub"
mkdir -p "$cache"
img=$cache/rootfs-${mib}M.img
if [ ! -s "$img" ]; then
    echo "bench: making a $mib MiB image (once; cached in $cache)" >&2
    make_payload "$mib" "$img.tmp"
    mv "$img.tmp" "$img"
fi

# Outputs on the image's file system, not a tmpfs that would hold them in memory.
scratch "$cache/write-bench.XXXXXX"

# The variants, each writing $out/VARIANT.mender. mender-artifact 3.9 reads
# only SEC1 EC keys; it is the same key pair. artsig's output is on disk
# (fsync) before it is renamed into place; mender-gzip+sync adds that to
# mender-artifact ("sync OUTPUT" after it).
variants="artsig-gzip mender-gzip mender-gzip+sync artsig-zstd artsig-xz"

# measure VARIANT: append "SECONDS PEAK_KIB" of one write to $out/VARIANT.runs.
measure() {
    v=$1
    rm -f "$out/$v.mender"
    set -- rootfs-image -f "$img" -n "bench-${mib}M" -t bench-device --no-progress \
        -o "$out/$v.mender"
    case $v in
    artsig-*) set -- "$artsig" write "$@" -k "$keys/ecp256.pkcs8.key" --compression "${v#artsig-}" ;;
    mender-gzip) set -- mender-artifact write "$@" -k "$keys/ecp256.sec1.key" --compression gzip ;;
    mender-gzip+sync)
        # shellcheck disable=SC2016 # expanded by that sh
        set -- sh -c 'output=$1; shift; mender-artifact write "$@" && sync "$output"' sh \
            "$out/$v.mender" "$@" -k "$keys/ecp256.sec1.key" --compression gzip
        ;;
    esac
    timed_synced "$out/$v.runs" "$v" "$@"
}

cat "$img" >/dev/null # every tool starts from a warm page cache
run_variants

# What was written must be valid: mender-artifact checks artsig's gzip
# artifact, artsig every artifact (mender-artifact 3.9 cannot read zstd).
mender-artifact validate -k "$keys/ecp256.pub" "$out/artsig-gzip.mender" >/dev/null 2>&1 ||
    { echo "bench: mender-artifact refused artsig's gzip artifact" >&2; exit 1; }
for v in $variants; do
    "$artsig" validate -k "$keys/ecp256.pub" "$out/$v.mender" >/dev/null ||
        { echo "bench: artsig refused $v" >&2; exit 1; }
done

# Every run writes the same bytes but for the ECDSA signature, whose length
# is fixed: the last run's output gives the size.
size() { wc -c <"$out/$1.mender"; }
base_s=$(median 1 "$out/mender-gzip.runs")
base_b=$(size mender-gzip)
echo "write rootfs-image, $mib MiB image, ECDSA-signed; median of $runs runs;"
echo "ratios against mender-artifact gzip"
printf '%-17s %9s %9s %11s %10s %10s\n' variant 'median s' 'peak MiB' 'output MiB' 'time x' 'size x'
for v in $variants; do
    awk -v v="$v" -v s="$(median 1 "$out/$v.runs")" -v k="$(median 2 "$out/$v.runs")" \
        -v b="$(size "$v")" -v bs="$base_s" -v bb="$base_b" 'BEGIN {
        printf "%-17s %9.2f %9.1f %11.1f %10.2f %10.3f\n", v, s, k / 1024, b / 1048576,
            (bs > 0 ? s / bs : 0), b / bb }'
done
status=0
# verdict NAME VALUE OP LIMIT TEXT: a PASS or FAIL line (OP: <= or >=).
verdict() {
    if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !(op == "<=" ? v <= l : v >= l) }'
    then result=PASS; else result=FAIL status=1; fi
    echo "$result $1 = $2 ($5 $4)"
}
verdict "gzip write speed mender-artifact/artsig" \
    "$(awk -v m="$base_s" -v a="$(median 1 "$out/artsig-gzip.runs")" 'BEGIN { printf "%.2f", m / a }')" \
    '>=' 1.5 'at least'
verdict "gzip output size artsig/mender-artifact" \
    "$(awk -v a="$(size artsig-gzip)" -v m="$base_b" 'BEGIN { printf "%.3f", a / m }')" \
    '<=' 1.05 limit
exit "$status"
