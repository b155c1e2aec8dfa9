#!/bin/sh
# Time and peak memory of the device install path, `artsig-update install` of
# a signed rootfs-image artifact into a file partition, against `artsig
# validate` of the same artifact (and `mender-artifact validate` for scale).
# See bench/README.md.
# shellcheck disable=SC2154 # repo, cache, keys and out come from lib.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

usage() {
    cat <<EOF
usage: bench/install.sh [--size MIB] [--runs N] [--cli ARTSIG] [--update ARTSIG_UPDATE]
  --size    payload size in MiB (default: 512; the gzip artifact validate.sh uses)
  --runs    measured runs per variant, alternating them (default: 3)
  --cli     the artsig to measure (default: build/cli/artsig)
  --update  the artsig-update to measure (default: build/update/artsig-update)
The partitions live in a scratch folder under \${TMPDIR:-/tmp}: its file system
is the "flash" the image is written to (TMPDIR=/dev/shm leaves the disk out).
Exit status: 0 when the install's median time is at most 1.3 times validate's.
EOF
}

size=512 runs=3 artsig=$repo/build/cli/artsig update=$repo/build/update/artsig-update
option() {
    case $1 in
    --size) size=$2 ;;
    --update) update=$2 ;;
    *) return 1 ;;
    esac
}
parse_options "$@"

limit=1.3
require "$artsig" "$update" /usr/bin/time "$(command -v mender-artifact || echo mender-artifact)" \
    "$keys/ecp256.sec1.key"
mkdir -p "$cache"
artifact=$cache/rootfs-${size}M-gzip.mender
[ -s "$artifact" ] || make_rootfs_artifact "$size" gzip "$artifact"

scratch "${TMPDIR:-/tmp}/artsig-bench.XXXXXX"
dev=$out/dev

# A device running system A from part2, as tests/update_lib.sh sets one up:
# the install writes part3 and points the boot environment at it. Everything
# but part3 starts afresh for each run (an install leaves an update pending);
# part3 is written over in place, as a partition is.
reset_device() {
    rm -rf "$dev/data"
    mkdir -p "$dev/data" "$dev/modules"
    [ -e "$dev/part2" ] || head -c 65536 /dev/urandom >"$dev/part2"
    [ -e "$dev/part3" ] || : >"$dev/part3"
    printf 'mender_boot_part=2\nupgrade_available=0\nbootcount=0\n' >"$dev/bootenv"
    echo device_type=bench-device >"$dev/device_type"
    echo artifact_name=bench-old >"$dev/data/provides"
    printf '{"ArtifactVerifyKey":"%s","DeviceTypeFile":"%s","RootfsPartA":"%s",
 "RootfsPartB":"%s","BootEnvFile":"%s","UpdateModulesDir":"%s"}\n' "$keys/ecp256.pub" \
        "$dev/device_type" "$dev/part2" "$dev/part3" "$dev/bootenv" "$dev/modules" \
        >"$dev/mender.conf"
}

# measure VARIANT: append "SECONDS PEAK_KIB" of one run to $out/VARIANT. Every
# run starts with nothing waiting to be written back, so that one install's
# image is not flushed during the next run.
measure() {
    case $1 in
    artsig-update)
        reset_device
        sync
        # Exit status 4: installed, a reboot is needed before commit.
        timed_exit 4 "$out/$1" "artsig-update install" \
            "$update" --config "$dev/mender.conf" --data "$dev/data" install "$artifact"
        ;;
    artsig) timed_synced "$out/$1" "artsig validate" "$artsig" validate \
        -k "$keys/ecp256.pub" "$artifact" ;;
    mender-artifact) timed_synced "$out/$1" "mender-artifact validate" mender-artifact \
        validate -k "$keys/ecp256.pub" "$artifact" ;;
    esac
}

cat "$artifact" >/dev/null # every run starts from a warm page cache
variants="artsig-update artsig mender-artifact"
measure artsig-update # unmeasured: part3 gets its full size once
rm -f "$out/artsig-update"
run_variants

printf '%-24s %10s %10s %10s\n' variant 'median s' 'peak MiB' 'time x'
base=$(median 1 "$out/artsig")
for v in $variants; do
    secs=$(median 1 "$out/$v")
    kib=$(median 2 "$out/$v")
    case $v in
    artsig-update) label="artsig-update install" install=$secs ;;
    artsig) label="artsig validate" ;;
    mender-artifact) label="mender-artifact validate" ;;
    esac
    awk -v l="$label" -v s="$secs" -v k="$kib" -v b="$base" \
        'BEGIN { printf "%-24s %10.2f %10.1f %10.2f\n", l, s, k / 1024, s / b }'
done
bytes=$(wc -c <"$artifact")
# shellcheck disable=SC2154 # install is set in the loop above
awk -v i="$install" -v v="$base" -v l="$limit" -v size="$size" -v mib=$((bytes / 1048576)) \
    -v runs="$runs" 'BEGIN { r = i / v; printf "%s %s MiB (gzip artifact of %d MiB): " \
    "install/validate = %.2f, limit %.1f (medians of %d runs)\n", (r <= l ? "PASS" : "FAIL"),
    size, mib, r, l, runs; exit r > l }'
