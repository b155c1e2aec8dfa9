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

# make_rootfs_artifact MIB COMPRESSION OUTPUT: a signed rootfs-image artifact
# of a MIB MiB payload, written by mender-artifact (device type bench-device).
make_rootfs_artifact() {
    echo "bench: making a $1 MiB signed $2 artifact (once; cached in $cache)" >&2
    make_payload "$1" "$3.img"
    mender-artifact write rootfs-image -f "$3.img" -n "bench-$1M" -t bench-device \
        -k "$keys/ecp256.sec1.key" --compression "$2" --no-progress -o "$3.tmp" >/dev/null
    rm -f "$3.img"
    mv "$3.tmp" "$3"
}

median() { # median COLUMN FILE
    cut -d ' ' -f "$1" "$2" | sort -n | awk '{ v[NR] = $1 } END {
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# parse_options ARGS...: the command line. --runs N, --cli ARTSIG and --help
# are every benchmark's (setting runs and artsig, or calling the caller's
# `usage`); the caller's `option ARGS...` takes the others: it returns 0 when
# it took $1 and its value $2, 3 when it took $1 alone (a flag), and 1 when $1
# is not an option of its own (a usage error).
parse_options() {
    while [ $# -gt 0 ]; do
        case $1 in
        --runs) runs=$2; shift ;;
        --cli) artsig=$2; shift ;;
        -h | --help) usage; exit 0 ;;
        *)
            took=0
            option "$@" || took=$?
            case $took in
            0) shift ;;
            3) ;;
            *) usage >&2; exit 2 ;;
            esac
            ;;
        esac
        shift
    done
}

# scratch TEMPLATE: make the scratch folder $out (mktemp -d TEMPLATE), removed
# when the benchmark exits.
scratch() {
    out=$(mktemp -d "$1")
    trap 'rm -rf "$out"' EXIT
}

# timed RESULTS LABEL COMMAND...: run COMMAND under GNU time and append
# "SECONDS PEAK_KIB" to RESULTS; a failure stops the benchmark with COMMAND's
# last line. Uses $out (the caller's scratch folder) for time's output.
timed() { timed_exit 0 "$@"; }

# timed_exit STATUS RESULTS LABEL COMMAND...: timed, for a COMMAND that
# succeeds with exit status STATUS (artsig-update install: 4, reboot needed).
timed_exit() {
    want=$1 results=$2 label=$3
    shift 3
    got=0
    /usr/bin/time -f '%e %M' -o "$out/time" "$@" >/dev/null 2>"$out/err" || got=$?
    if [ "$got" -ne "$want" ]; then
        echo "bench: $label failed (exit $got): $(tail -n 1 "$out/err")" >&2
        exit 1
    fi
    tail -n 1 "$out/time" >>"$results"
}

# timed_synced RESULTS LABEL COMMAND...: timed, starting with nothing waiting
# to be written back: otherwise one tool's output would be flushed during the
# next one's run.
timed_synced() {
    sync
    timed "$@"
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
