#!/bin/sh
# Time and peak memory of `artsig sign` against `mender-artifact sign` on the
# same unsigned artifact. See bench/README.md.
# shellcheck disable=SC2154 # repo, cache and keys come from lib.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() {
    cat <<EOF2
usage: bench/sign.sh [--size MIB] [--compression C] [--runs N] [--cli ARTSIG]
  --size    payload size in MiB (default: 240)
  --compression  none (default: the artifact is as big as its payload), gzip or lzma
  --runs    measured runs per tool (default: 5; the median is reported)
  --cli     the artsig to measure (default: build/cli/artsig)
Both tools sign the same unsigned rootfs-image artifact with the same RSA 3072
key, writing beside it (as signing in place does), from a warm page cache and
with no dirty pages left by the previous run. artsig is measured as it signs
by default (structure and header checked) and with --check-payloads (every
payload digest checked too). Its time includes making the output durable
(fsync before the rename), which mender-artifact does not do;
"mender-artifact+fsync" adds that ("sync OUTPUT" after it). The artifact is
cached in \$ARTSIG_BENCH_CACHE (default: bench/.cache).
Exit status: 0 when every output validates with both tools and artsig's
peak RSS stayed under 16 MiB.
EOF2
}

mib=240 runs=5 compression=none artsig=$repo/build/cli/artsig
option() {
    case $1 in
    --size) mib=$2 ;;
    --compression) compression=$2 ;;
    *) return 1 ;;
    esac
}
parse_options "$@"

# mender-artifact 3.9 reads only PKCS#1 RSA keys; artsig reads it too.
key=$keys/rsa3072.pkcs1.key pub=$keys/rsa3072.pub
require "$artsig" /usr/bin/time "$(command -v mender-artifact || echo mender-artifact)" "$key" "$pub"
mkdir -p "$cache"
artifact=$cache/unsigned-${mib}M-$compression.mender
if [ ! -s "$artifact" ]; then
    echo "bench: making a $mib MiB unsigned $compression artifact (once; cached in $cache)" >&2
    make_payload "$mib" "$artifact.img"
    mender-artifact write rootfs-image -f "$artifact.img" -n "bench-${mib}M" -t bench-device \
        --compression "$compression" --no-progress -o "$artifact.tmp" >/dev/null
    rm -f "$artifact.img"
    mv "$artifact.tmp" "$artifact"
fi

# Outputs on the input's file system, where the kernel can copy.
scratch "$cache/sign-bench.XXXXXX"

variants="artsig artsig-check-payloads mender-artifact mender-artifact+fsync"
# measure VARIANT: append "SECONDS PEAK_KIB" of one signing to $out/VARIANT.runs.
measure() {
    v=$1
    rm -f "$out/$v.mender"
    case $v in
    artsig) set -- "$artsig" sign -k "$key" ;;
    artsig-check-payloads) set -- "$artsig" sign --check-payloads -k "$key" ;;
    mender-artifact) set -- mender-artifact sign -k "$key" ;;
    # The same durability as artsig's output: on disk before the command ends.
    mender-artifact+fsync)
        # shellcheck disable=SC2016 # expanded by that sh
        set -- sh -c 'mender-artifact sign "$@" && sync "$4"' sh -k "$key"
        ;;
    esac
    timed_synced "$out/$v.runs" "$v" "$@" -o "$out/$v.mender" "$artifact"
}

cat "$artifact" >/dev/null # every tool starts from a warm page cache
run_variants

status=0
for v in $variants; do
    for check in "$artsig validate" "mender-artifact validate"; do
        $check -k "$pub" "$out/$v.mender" >/dev/null 2>&1 ||
            { echo "bench: $check refused the output of $v" >&2; status=1; }
    done
done

bytes=$(wc -c <"$artifact")
echo "sign, $compression artifact of $((bytes / 1048576)) MiB, RSA 3072; median of $runs runs;"
echo "ratios against mender-artifact"
printf '%-24s %9s %9s %9s %9s\n' variant 'median s' 'peak MiB' 'time x' 'peak x'
base_s=$(median 1 "$out/mender-artifact.runs")
base_k=$(median 2 "$out/mender-artifact.runs")
for v in $variants; do
    awk -v v="$v" -v s="$(median 1 "$out/$v.runs")" -v k="$(median 2 "$out/$v.runs")" \
        -v bs="$base_s" -v bk="$base_k" 'BEGIN {
        printf "%-24s %9.2f %9.1f %9.3f %9.3f\n", v, s, k / 1024, (bs > 0 ? s / bs : 0),
            (bk > 0 ? k / bk : 0) }'
done
max=$(cut -d ' ' -f 2 "$out/artsig.runs" | sort -n | tail -n 1)
if [ "$max" -lt $((16 * 1024)) ]; then result=PASS; else result=FAIL status=1; fi
echo "$result artsig sign peak RSS $(echo "$max" | awk '{ printf "%.1f", $1 / 1024 }') MiB, limit < 16 MiB (worst of $runs runs)"
exit "$status"
