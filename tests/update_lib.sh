# Shared by the artsig-update tests: a simulated device under $T/dev.
# Usage: . lib.sh; . update_lib.sh
#   partitions  $PA (mmcblk0p2, active, system A) and $PB (mmcblk0p3): their
#               trailing digits are what mender_boot_part holds
#   $ENV        the boot environment (BootEnvFile), $DATA the data dir,
#   $MODULES    UpdateModulesDir, $DEV/device_type the DeviceTypeFile
UPD=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}
DEV=$T/dev
PA=$DEV/mmcblk0p2 PB=$DEV/mmcblk0p3 ENV=$DEV/bootenv DATA=$DEV/data MODULES=$DEV/modules

# write_conf KEYS_JSON [BOOTENV_JSON]: the device's mender.conf. KEYS_JSON is
# the key options with a trailing comma ('"ArtifactVerifyKey":"k.pub",') or
# nothing; BOOTENV_JSON defaults to BootEnvFile (give "" for the U-Boot tools).
# Options this client ignores are in too, as in a real mender.conf.
write_conf() {
    printf '{%s"DeviceTypeFile":"%s","RootfsPartA":"%s","RootfsPartB":"%s",%s
 "UpdateModulesDir":"%s","Servers":[{"ServerURL":"https://x"}],"UpdatePollIntervalSeconds":60}\n' \
        "$1" "$DEV/device_type" "$PA" "$PB" "${2-\"BootEnvFile\":\"$ENV\",}" "$MODULES" \
        >"$DEV/mender.conf"
}

# new_device DEVICE_TYPE KEYS_JSON [PROVIDES_LINES]: a fresh device running
# system A from p2, p3 holding junk, with these provides (default: rel-1's).
new_device() {
    rm -rf "$DEV" && mkdir -p "$DATA" "$MODULES"
    head -c 65536 /dev/urandom >"$PA"
    head -c 4096 /dev/urandom >"$PB"
    printf 'bootcmd=run mender_setup\nmender_boot_part=2\nupgrade_available=0\nbootcount=0\n' >"$ENV"
    printf 'device_type=%s\n' "$1" >"$DEV/device_type"
    printf '%s' "${3:-artifact_group=g1
artifact_name=rel-1
other.app.version=7
rootfs-image.version=rel-1
}" >"$DATA/provides"
    write_conf "$2"
}

# require_python3: the test cannot run without it; say so and stop.
require_python3() {
    command -v python3 >/dev/null && return
    bad "python3 is needed (scripts/deps.sh installs it)"
    finish
    exit
}

upd() { "$UPD" --config "$DEV/mender.conf" --data "$DATA" "$@"; }
env_of() { sed -n "s/^$1=//p" "$ENV"; }
expect_env() { # expect_env DESCRIPTION NAME VALUE
    if [ "$(env_of "$2")" = "$3" ]; then ok; else bad "$1: $2=$(env_of "$2"), want $3"; fi
}
expect_same() { # expect_same DESCRIPTION FILE COPY
    if cmp -s "$2" "$3"; then ok; else bad "$1: $2 changed"; fi
}
expect_provides() { # expect_provides DESCRIPTION KEY=VALUE: show-provides lists it
    if upd show-provides | grep -qxF "$2"; then ok; else
        bad "$1: no $2 in $(upd show-provides | tr '\n' ' ')"; fi
}

# A refusal must say why in one line; warnings (no key configured) aside.
expect_one_error_line() {
    n=$(grep -cv '^artsig-update: warning: ' "$T/err")
    if [ "$n" -eq 1 ]; then ok; else bad "$1: $n error lines on stderr: $(cat "$T/err")"; fi
}

# save_device, then expect_device_kept DESCRIPTION: the boot env, the stored
# provides and the active partition are byte for byte as saved, and no update
# is recorded.
save_device() {
    cp "$ENV" "$T/env.saved" && cp "$DATA/provides" "$T/provides.saved" && cp "$PA" "$T/pa.saved"
}
expect_device_kept() {
    expect_same "$1: boot env" "$ENV" "$T/env.saved"
    expect_same "$1: provides" "$DATA/provides" "$T/provides.saved"
    expect_same "$1: active partition" "$PA" "$T/pa.saved"
    if [ -e "$DATA/update.json" ]; then bad "$1: an update is recorded"; else ok; fi
}
