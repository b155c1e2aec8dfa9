#!/bin/sh
# Every benchmark in one run, artsig against Debian's mender-artifact on the
# same machine: validate (64 MiB, 512 MiB, 2 GiB), the device install path,
# write (gzip, zstd, xz) and sign. Each benchmark makes its inputs once
# (cached), alternates the tools and prints medians and ratios; this script
# adds what the numbers depend on (the machine) and ends with every verdict.
# See bench/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

usage() {
    cat <<EOF
usage: bench/run.sh [--quick] [--runs N] [--cli ARTSIG] [--update ARTSIG_UPDATE]
  --quick   leave out the 2 GiB validation
  --runs    measured runs per variant (default: 3)
  --cli, --update   the builds to measure (default: build/cli/artsig, build/update/artsig-update)
Exit status: 0 when every benchmark's verdict is PASS.
EOF
}

runs=3 big=--big cli= update=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) big= ;;
    --runs) runs=$2; shift ;;
    --cli) cli=$2; shift ;;
    --update) update=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
    shift
done
set -- --runs "$runs"
[ -n "$cli" ] && set -- "$@" --cli "$cli"

log=$(mktemp "${TMPDIR:-/tmp}/artsig-bench-run.XXXXXX")
trap 'rm -f "$log" "$log.part"' EXIT

echo "# libartsig benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM," \
    "Linux $(uname -r), load $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "file system of the inputs: $(df -T "${ARTSIG_BENCH_CACHE:-$here/.cache}" 2>/dev/null |
    awk 'NR == 2 { print $2 }' || echo unknown)"
echo "mender-artifact: $(mender-artifact --version 2>/dev/null | head -n 1)"
echo "artsig: $("${cli:-$here/../build/cli/artsig}" --version 2>/dev/null || echo 'not built')"

status=0
section() { # section TITLE SCRIPT ARGS...: run one benchmark, keep its verdicts
    title=$1
    shift
    echo
    echo "## $title"
    echo
    "$@" >"$log.part" 2>&1 || status=1
    grep -v '^bench: making' "$log.part" || true
    cat "$log.part" >>"$log"
}
section "validate -k, gzip artifacts" "$here/validate.sh" $big "$@"
install_args=$*
[ -n "$update" ] && install_args="$install_args --update $update"
# shellcheck disable=SC2086 # the options are words
section "device install (artsig-update) against validate" "$here/install.sh" $install_args
section "write rootfs-image" "$here/write.sh" "$@"
section "sign an existing artifact" "$here/sign.sh" "$@"

echo
echo "## verdicts"
echo
grep -E '^(PASS|FAIL)' "$log" || true
grep -q '^FAIL' "$log" && status=1
exit "$status"
