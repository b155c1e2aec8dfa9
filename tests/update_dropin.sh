#!/bin/sh
# artsig-update takes the command lines Mender's clients take: -v as well as
# --version, options after the command as well as before it (with '-' still
# meaning stdin).
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
expect_exit 0 "show-provides --data=DIR" "$UPD" show-provides --data="$DATA"
contains "show-provides --data=DIR" "$T/out" "artifact_name=rel-1"
expect_exit 4 "install --config X --data D FILE" \
    "$UPD" install --config "$DEV/mender.conf" --data "$DATA" "$T/rel-2.mender"
expect_env "options after install" mender_boot_part 3
expect_exit 0 "commit, options after" "$UPD" commit --data "$DATA" --config "$DEV/mender.conf"
expect_provides "options after commit" artifact_name=rel-2

new_device sim "$KEYS_JSON"
expect_exit 4 "install FILE --config X --data D" \
    "$UPD" install "$T/rel-2.mender" --config "$DEV/mender.conf" --data "$DATA"
expect_env "options after the file" mender_boot_part 3

new_device sim "$KEYS_JSON"
expect_exit 4 "install - --config X, artifact on stdin" \
    sh -c '"$1" install - --config "$2" -d "$3" <"$4"' sh "$UPD" "$DEV/mender.conf" "$DATA" \
    "$T/rel-2.mender"
expect_env "stdin with options after" mender_boot_part 3

new_device sim "$KEYS_JSON"
expect_exit 4 "options before the command still work" upd install "$T/rel-2.mender"

echo "== what stays an error"
expect_exit 1 "unknown option after the command" upd install -Z "$T/rel-2.mender"
contains "unknown option after the command" "$T/err" "unknown option -Z"
expect_one_line_error "unknown option after the command"
expect_exit 1 "missing value after the command" "$UPD" show-artifact --data
contains "missing value after the command" "$T/err" "option --data needs a value"
expect_exit 1 "'--' ends the options" upd show-artifact -- -v
contains "'--' ends the options" "$T/err" "show-artifact takes no arguments"

finish
