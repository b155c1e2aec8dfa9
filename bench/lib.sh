# shellcheck shell=sh disable=SC2034,SC2154 # `here` comes from, the paths go to the caller
# Shared by the benchmarks: paths, the payload they all use, and medians.
# Usage: here=...; . "$here/lib.sh"   (sets repo, cache, keys)
repo=$(dirname "$here")
cache=${ARTSIG_BENCH_CACHE:-$here/.cache}
keys=${ARTSIG_VECTORS:-$repo/../shared/vectors}/keys

# require FILE...: stop with a hint when a tool or input is missing.
require() {
    for need in "$@"; do
        [ -e "$need" ] || { echo "bench: $need is missing (GNU time: apt-get install time;" \
            "mender-artifact and the build: scripts/deps.sh, ninja -C build)" >&2; exit 2; }
    done
}

# make_payload MIB FILE: real binaries and text (the tar stream of /usr/lib and
# /usr/share, repeated as often as the size needs), so the compression ratio
# and the work look like a real root filesystem's.
make_payload() {
    bytes=$(($1 * 1024 * 1024))
    tree=$(du -sbc /usr/lib /usr/share 2>/dev/null | tail -n 1 | cut -f 1)
    i=0
    while [ $((i * tree)) -lt "$bytes" ]; do
        tar cf - /usr/lib /usr/share 2>/dev/null || true
        i=$((i + 1))
    done | head -c "$bytes" >"$2"
}

median() { # median COLUMN FILE
    cut -d ' ' -f "$1" "$2" | sort -n | awk '{ v[NR] = $1 } END {
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# timed RESULTS LABEL COMMAND...: run COMMAND under GNU time and append
# "SECONDS PEAK_KIB" to RESULTS; a failure stops the benchmark with COMMAND's
# last line. Uses $out (the caller's scratch folder) for time's output.
timed() {
    results=$1 label=$2
    shift 2
    if ! /usr/bin/time -f '%e %M' -o "$out/time" "$@" >/dev/null 2>"$out/err"; then
        echo "bench: $label failed: $(tail -n 1 "$out/err")" >&2
        exit 1
    fi
    tail -n 1 "$out/time" >>"$results"
}

# run_variants: call the caller's `measure VARIANT` for every variant in
# $variants, $runs times over, alternating them so that a slow spell of the
# machine does not fall on one variant only.
run_variants() {
    n=0
    while [ "$n" -lt "$runs" ]; do
        for v in $variants; do measure "$v"; done
        n=$((n + 1))
    done
}
