#!/bin/sh
# Time and peak memory of `artsig validate` against `mender-artifact validate`
# on signed rootfs artifacts of growing size. See bench/README.md.
# shellcheck disable=SC2154 # repo, cache and keys come from lib.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() {
    cat <<EOF
usage: bench/validate.sh [--big] [--sizes "MIB..."] [--compression C] [--runs N] [--cli ARTSIG]
  --sizes   payload sizes in MiB (default: "64 512")
  --big     add a 2048 MiB payload
  --compression  gzip (default), lzma or none; with none the artifact is as
            big as its payload, so --big validates a 2 GiB file
  --runs    measured runs per tool and size, alternating the tools (default: 3)
  --cli     the artsig to measure (default: build/cli/artsig)
Inputs are cached in \$ARTSIG_BENCH_CACHE (default: bench/.cache).
Exit status: 0 when artsig's peak RSS stayed under 16 MiB at every size and,
for gzip payloads of 512 MiB and more, its median time was at most a third of
mender-artifact's.
EOF
}

sizes="64 512" runs=3 artsig=$repo/build/cli/artsig compression=gzip
option() {
    case $1 in
    --big) sizes="$sizes 2048"; return 3 ;;
    --sizes) sizes=$2 ;;
    --compression) compression=$2 ;;
    *) return 1 ;;
    esac
}
parse_options "$@"

limit_kib=$((16 * 1024))
# How many times as fast as mender-artifact artsig must validate a gzip
# artifact, from 512 MiB on (smaller ones are short enough for the start of
# the process to count).
speedup=3
require "$artsig" /usr/bin/time "$(command -v mender-artifact || echo mender-artifact)" \
    "$keys/ecp256.sec1.key"
mkdir -p "$cache"

# measure TOOL ARTIFACT: append "SECONDS PEAK_KIB" of one validation to $out/TOOL.
measure() {
    case $1 in
    artsig) set -- "$1" "$2" "$artsig" validate -k "$keys/ecp256.pub" "$2" ;;
    mender-artifact) set -- "$1" "$2" mender-artifact validate -k "$keys/ecp256.pub" "$2" ;;
    esac
    tool=$1
    shift 2
    timed "$out/$tool" "$tool validate" "$@"
}

scratch "${TMPDIR:-/tmp}/artsig-bench.XXXXXX"
verdict=0
printf '%-9s %-16s %12s %12s %10s\n' size tool 'median s' 'median MiB' 'max MiB'
for mib in $sizes; do
    artifact=$cache/rootfs-${mib}M-$compression.mender
    [ -s "$artifact" ] || make_rootfs_artifact "$mib" "$compression" "$artifact"
    cat "$artifact" >/dev/null # both tools start from a warm page cache
    rm -f "$out/artsig" "$out/mender-artifact"
    n=0
    while [ "$n" -lt "$runs" ]; do
        measure artsig "$artifact"
        measure mender-artifact "$artifact"
        n=$((n + 1))
    done
    for tool in artsig mender-artifact; do
        secs=$(median 1 "$out/$tool")
        kib=$(median 2 "$out/$tool")
        max=$(cut -d ' ' -f 2 "$out/$tool" | sort -n | tail -n 1)
        eval "secs_${tool%%-*}=$secs kib_${tool%%-*}=$kib max_${tool%%-*}=$max"
        printf '%-9s %-16s %12.2f %12.1f %10.1f\n' "$mib MiB" "$tool" "$secs" \
            "$(echo "$kib" | awk '{ print $1 / 1024 }')" "$(echo "$max" | awk '{ print $1 / 1024 }')"
    done
    # shellcheck disable=SC2154 # set by the eval above
    awk -v s1="$secs_artsig" -v s2="$secs_mender" -v m1="$kib_artsig" -v m2="$kib_mender" \
        -v size="$mib MiB" 'BEGIN { printf "%-9s %-16s %12.2f %12.2f\n", size,
        "artsig/mender", (s2 > 0 ? s1 / s2 : 0), (m2 > 0 ? m1 / m2 : 0) }'
    # shellcheck disable=SC2154
    if [ "$max_artsig" -lt "$limit_kib" ]; then result=PASS; else result=FAIL verdict=1; fi
    bytes=$(wc -c <"$artifact")
    echo "$result $mib MiB ($compression artifact of $((bytes / 1048576)) MiB): artsig peak RSS $(echo "$max_artsig" | awk '{ printf "%.1f", $1 / 1024 }') MiB, limit < 16 MiB (worst of $runs runs)"
    if [ "$compression" = gzip ] && [ "$mib" -ge 512 ]; then
        awk -v s1="$secs_artsig" -v s2="$secs_mender" -v x="$speedup" -v size="$mib" \
            -v runs="$runs" 'BEGIN { r = s2 / s1; printf "%s %s MiB: artsig validates %.2f " \
            "times as fast as mender-artifact, target >= %d (medians of %d runs)\n",
            (r >= x ? "PASS" : "FAIL"), size, r, x, runs; exit r < x }' || verdict=1
    fi
done
exit "$verdict"
