#!/bin/sh
# artsig-update takes the command lines Mender's clients take: -v as well as
# --version, options after the command as well as before it (with '-' still
# meaning stdin); install exits 0 when a reboot must come next, 4 only with
# --reboot-exit-code; show-provides prints what mender-update prints, byte
# for byte, in its order; a freshly flashed device, with no provides recorded yet, has
# those of the image's artifact_info (ArtsigArtifactInfoFile), read as Mender
# 3.4 reads /etc/mender/artifact_info, until the first commit records them.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

KEY=$T/key
KEYS_JSON="\"ArtifactVerifyKey\":\"$KEY.pub\","
"$ARTSIG" keygen --type ecdsa-p256 -o "$KEY" -p "$KEY.pub" >/dev/null
head -c 100000 /dev/urandom >"$T/img"
"$ARTSIG" write rootfs-image -f "$T/img" -t sim -k "$KEY" -o "$T/rel-2.mender" -n rel-2 \
    --no-progress >/dev/null || bad "artsig write rel-2"

echo "== -v and --version"
for opt in -v --version; do
    expect_exit 0 "$opt" "$UPD" "$opt"
    contains "$opt" "$T/out" "artsig-update "
done
expect_exit 0 "-v after the command" "$UPD" show-artifact -v
contains "-v after the command" "$T/out" "artsig-update "

echo "== options before and after the command"
new_device sim "$KEYS_JSON"
expect_exit 0 "show-artifact -d DIR" "$UPD" show-artifact -c "$DEV/mender.conf" -d "$DATA"
[ "$(cat "$T/out")" = rel-1 ] && ok || bad "show-artifact -d DIR: $(cat "$T/out")"
expect_exit 0 "show-provides --data=DIR" "$UPD" show-provides --data="$DATA" -c "$DEV/mender.conf"
contains "show-provides --data=DIR" "$T/out" "artifact_name=rel-1"
expect_exit 0 "install --config X --data D FILE" \
    "$UPD" install --config "$DEV/mender.conf" --data "$DATA" "$T/rel-2.mender"
expect_env "options after install" mender_boot_part 3
expect_exit 0 "commit, options after" "$UPD" commit --data "$DATA" --config "$DEV/mender.conf"
expect_provides "options after commit" artifact_name=rel-2

new_device sim "$KEYS_JSON"
expect_exit 0 "install FILE --config X --data D" \
    "$UPD" install "$T/rel-2.mender" --config "$DEV/mender.conf" --data "$DATA"
expect_env "options after the file" mender_boot_part 3

new_device sim "$KEYS_JSON"
expect_exit 0 "install - --config X, artifact on stdin" \
    sh -c '"$1" install - --config "$2" -d "$3" <"$4"' sh "$UPD" "$DEV/mender.conf" "$DATA" \
    "$T/rel-2.mender"
expect_env "stdin with options after" mender_boot_part 3

new_device sim "$KEYS_JSON"
expect_exit 0 "options before the command still work" upd install "$T/rel-2.mender"

echo "== a reboot ahead: exit 0, or 4 with --reboot-exit-code (Mender 3.4, 4.x)"
for flag in "" --reboot-exit-code; do
    new_device sim "$KEYS_JSON"
    want=0; [ -n "$flag" ] && want=4
    expect_exit $want "install $flag" upd install $flag "$T/rel-2.mender"
    contains "install $flag says so" "$T/out" "Reboot, then run 'artsig-update commit'"
    expect_env "install $flag" mender_boot_part 3
done
new_device sim "$KEYS_JSON"
expect_exit 4 "--reboot-exit-code after the file" upd install "$T/rel-2.mender" --reboot-exit-code
expect_exit 1 "--reboot-exit-code with another command" upd commit --reboot-exit-code
contains "--reboot-exit-code with another command" "$T/err" "applies to install only"
expect_one_line_error "--reboot-exit-code with another command"
# The same exit codes as mender-update 5.1 for a module that asks for a reboot.
PEER5=$VEC/../peers/mender5-update
REBOOTING_MODULE='#!/bin/sh
case $1 in NeedsArtifactReboot | SupportsRollback) echo Yes ;; esac'
"$ARTSIG" write module-image -T rbt -f "$T/img" -t sim -k "$KEY" -n rel-9 -o "$T/rbt.mender" \
    --no-progress >/dev/null || bad "artsig write rbt.mender"
if [ "$(id -u)" -ne 0 ] || [ ! -x "$PEER5" ] || ! "$PEER5" "$T/m5probe" --version >/dev/null 2>&1; then
    echo "skipped: exit codes against mender-update 5.1: needs root and a runnable $PEER5" >&2
else
    for flag in "" --reboot-exit-code; do
        new_device sim "$KEYS_JSON"
        printf '%s\n' "$REBOOTING_MODULE" >"$MODULES/rbt" && chmod +x "$MODULES/rbt"
        upd install $flag "$T/rbt.mender" >"$T/out" 2>&1
        ours=$?
        P5=$T/m5-reboot$flag
        DEVICE_TYPE=sim "$PEER5" "$P5" show-artifact >/dev/null 2>&1
        printf '%s\n' "$REBOOTING_MODULE" >"$P5/share/modules/v3/rbt" && chmod +x "$P5/share/modules/v3/rbt"
        DEVICE_TYPE=sim "$PEER5" "$P5" install $flag "$T/rbt.mender" >"$T/peer-out" 2>&1
        theirs=$?
        [ $ours -eq $theirs ] && ok || bad "install $flag of a module asking for a reboot: exit $ours, mender-update $theirs"
        contains "install $flag of a module asking for a reboot" "$T/out" "Reboot, then run"
    done
fi

echo "== show-provides byte for byte as mender-update's"
# mender-update 4.x/5.x prints its std::unordered_map's order. WANT is what
# mender-update 5.1.0 printed after installing this very artifact (18 provides:
# past its table's first rehash); the peer checks it again when it can run.
PROV=""
for k in rootfs-image.version data-partition.checksum zeta alpha m.k os.kernel app.bundle.version \
    b c d e f g h; do PROV="$PROV -p $k:v-$k"; done
# shellcheck disable=SC2086 # PROV is a list of options
"$ARTSIG" write module-image -T noop -f "$T/img" -t sim -k "$KEY" -n rel-8 -g grp $PROV \
    -o "$T/provides.mender" --no-progress >/dev/null || bad "artsig write provides.mender"
printf 'zeta=v-zeta\nrootfs-image.noop.version=rel-8\nartifact_name=rel-8\nrootfs-image.version=v-rootfs-image.version\nartifact_group=grp\nb=v-b\nalpha=v-alpha\ndata-partition.checksum=v-data-partition.checksum\nh=v-h\napp.bundle.version=v-app.bundle.version\nd=v-d\nos.kernel=v-os.kernel\nm.k=v-m.k\nc=v-c\ne=v-e\nf=v-f\ng=v-g\n' \
    >"$T/want-provides"
new_device sim "$KEYS_JSON"
printf '#!/bin/sh\nexit 0\n' >"$MODULES/noop" && chmod +x "$MODULES/noop"
rm "$DATA/provides"
expect_exit 0 "show-provides of a device with none recorded" upd show-provides
[ "$(cat "$T/out")" = artifact_name=unknown ] && ok || bad "nameless device: $(cat "$T/out")"
expect_exit 0 "install, committed at once (module without rollback)" upd install "$T/provides.mender"
expect_exit 0 "show-provides after the install" upd show-provides
cp "$T/out" "$T/ours-provides"
cmp -s "$T/want-provides" "$T/ours-provides" && ok ||
    bad "show-provides not in mender-update 5.1's order: $(tr '\n' ' ' <"$T/ours-provides")"
PEER5=$VEC/../peers/mender5-update
if [ "$(id -u)" -ne 0 ] || [ ! -x "$PEER5" ]; then
    echo "skipped: mender-update 5.1 itself: needs root and $PEER5" >&2
else
    P5=$T/mender5
    DEVICE_TYPE=sim "$PEER5" "$P5" show-provides >"$T/peer-fresh" 2>"$T/peer-err"
    rc=$?
    if [ $rc -eq 69 ]; then
        echo "skipped: mender-update 5.1 itself: $(cat "$T/peer-err")" >&2
    else
        printf '#!/bin/sh\nexit 0\n' >"$P5/share/modules/v3/noop" && chmod +x "$P5/share/modules/v3/noop"
        [ "$(cat "$T/peer-fresh")" = artifact_name=unknown ] && ok ||
            bad "mender-update on a fresh device: $(cat "$T/peer-fresh")"
        DEVICE_TYPE=sim "$PEER5" "$P5" install "$T/provides.mender" >"$T/peer-out" 2>&1 ||
            bad "mender-update install: $(tail -n 3 "$T/peer-out")"
        DEVICE_TYPE=sim "$PEER5" "$P5" show-provides >"$T/peer-provides" 2>"$T/peer-err"
        cmp -s "$T/peer-provides" "$T/ours-provides" && ok ||
            bad "show-provides differs from mender-update 5.1's: $(tr '\n' ' ' <"$T/peer-provides")"
    fi
fi

echo "== what stays an error"
expect_exit 1 "unknown option after the command" upd install -Z "$T/rel-2.mender"
contains "unknown option after the command" "$T/err" "unknown option -Z"
expect_one_line_error "unknown option after the command"
expect_exit 1 "missing value after the command" "$UPD" show-artifact --data
contains "missing value after the command" "$T/err" "option --data needs a value"
expect_exit 1 "'--' ends the options" upd show-artifact -- -v
contains "'--' ends the options" "$T/err" "show-artifact takes no arguments"

echo "== the image's artifact_info until the first commit"
INFO=$DEV/artifact_info
# fresh_device: rel-1's image, never updated: nothing in DATA_DIR/provides.
fresh_device() {
    new_device sim "$KEYS_JSON\"ArtsigArtifactInfoFile\":\"$INFO\","
    rm "$DATA/provides"
    printf '# written by the image build\n  artifact_name=rel-1  \r\n\nartifact_group = g1\n' >"$INFO"
}
fresh_device
expect_exit 0 "show-artifact on a fresh device" upd show-artifact
[ "$(cat "$T/out")" = rel-1 ] && ok || bad "show-artifact on a fresh device: $(cat "$T/out")"
expect_exit 0 "show-provides on a fresh device" upd show-provides
printf 'artifact_group =g1\nartifact_name=rel-1\n' >"$T/want"
cmp -s "$T/want" "$T/out" && ok || bad "show-provides on a fresh device: $(cat "$T/out")"
expect_exit 0 "show-config names the file" upd show-config
contains "show-config names the file" "$T/out" "\"ArtsigArtifactInfoFile\":\"$INFO\""

"$ARTSIG" write rootfs-image -f "$T/img" -t sim -k "$KEY" -o "$T/after-rel-1.mender" -n rel-3 \
    -N rel-1 --no-progress >/dev/null || bad "artsig write after-rel-1"
"$ARTSIG" write rootfs-image -f "$T/img" -t sim -k "$KEY" -o "$T/after-rel-9.mender" -n rel-4 \
    -N rel-9 --no-progress >/dev/null || bad "artsig write after-rel-9"
expect_exit 1 "depends on another name than the image's" upd install "$T/after-rel-9.mender"
contains "depends on another name than the image's" "$T/err" rel-9
expect_exit 0 "depends on the image's artifact_name" upd install "$T/after-rel-1.mender"
expect_exit 0 "commit on a fresh device" upd commit
contains "the commit records the provides" "$DATA/provides" "artifact_name=rel-3"
echo "artifact_name=rel-0" >"$INFO"
expect_exit 0 "show-artifact after the commit" upd show-artifact
[ "$(cat "$T/out")" = rel-3 ] && ok || bad "artifact_info read after the commit: $(cat "$T/out")"

fresh_device
rm "$INFO"
expect_exit 0 "neither provides nor artifact_info" upd show-artifact
[ "$(cat "$T/out")" = unknown ] && ok || bad "neither provides nor artifact_info: $(cat "$T/out")"
# The show commands need no configuration (Mender's defaults then, as 3.4);
# what changes the device does.
printf 'artifact_name=rel-5\n' >"$DATA/provides"
expect_exit 0 "show-artifact without a configuration" \
    "$UPD" --config "$T/absent.conf" --data "$DATA" show-artifact
[ "$(cat "$T/out")" = rel-5 ] && ok || bad "show-artifact without a configuration: $(cat "$T/out")"
expect_exit 1 "install without a configuration" \
    "$UPD" --config "$T/absent.conf" --data "$DATA" install "$T/rel-2.mender"
contains "install without a configuration names it" "$T/err" "$T/absent.conf"
rm "$DATA/provides"
printf 'artifact_name=rel-1\nbroken\n' >"$INFO"
expect_exit 1 "a line without '='" upd show-artifact
contains "a line without '='" "$T/err" "$INFO: line 2 is not key=value"
expect_one_line_error "a line without '='"
printf 'artifact_name=rel-1\nartifact_name=rel-2\n' >"$INFO"
expect_exit 1 "artifact_name twice" upd show-artifact
contains "artifact_name twice" "$T/err" "key 'artifact_name' appears twice"

# The real Mender 3.4 reads the same file the same way (its peer script puts
# the sandbox's etc/ over /etc/mender).
PEER=$VEC/../peers/mender34-install
if command -v mender >/dev/null && [ -f "$PEER" ] && command -v unshare >/dev/null; then
    mkdir -p "$T/m34/etc"
    fresh_device
    # without the blank line, which 3.4 calls broken
    grep -v '^$' "$INFO" >"$T/m34/etc/artifact_info"
    cp "$T/m34/etc/artifact_info" "$INFO"
    sh "$PEER" "$T/m34" "$T/rel-2.mender" "$KEY.pub" sim show-artifact >"$T/m34.out" 2>"$T/m34.err"
    upd show-artifact >"$T/ours.out"
    if [ "$(cat "$T/m34.out")" = rel-1 ] && cmp -s "$T/m34.out" "$T/ours.out"; then ok; else
        bad "mender 3.4 shows '$(cat "$T/m34.out")', artsig-update '$(cat "$T/ours.out")': $(tail -2 "$T/m34.err")"
    fi
else
    echo "skipped: the comparison with Mender 3.4 needs mender, unshare and $PEER"
fi

finish
