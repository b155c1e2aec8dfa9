#!/bin/sh
# Hostile header JSON keeps every command's memory bounded: 1 MiB of "{}," (in
# an attacker's header-augment beside a good signature, or in an unsigned
# artifact's own header) is refused before it is parsed, and an artifact at
# ARTSIG_LIMIT_JSON_VALUES is read whole. The peak resident set of each run
# (GNU time's %M) stays below 32 MiB.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

require_python3
if [ ! -x /usr/bin/time ]; then
    bad "GNU time is needed (scripts/deps.sh installs it)"
    finish
    exit
fi
KEY=$VEC/keys/rsa3072.pkcs1.key PUB=$VEC/keys/rsa3072.pub
MAX_KIB=32768

# peak CODE DESCRIPTION COMMAND...: COMMAND exits CODE (with one line on
# stderr when it refuses) and peaks below $MAX_KIB KiB.
peak() {
    want=$1 what=$2
    shift 2
    /usr/bin/time -f %M -o "$T/rss" "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" -eq "$want" ] && ok || bad "$what: exit $got, want $want: $(head -c 300 "$T/err")"
    [ "$want" -eq 0 ] || expect_one_error_line "$what"
    kib=$(tail -n 1 "$T/rss")
    echo "$what: $kib KiB"
    # ASan's shadow memory and quarantine inflate the resident set by a
    # factor that has nothing to do with the input: the bound is held by the
    # plain build, the verdicts by both.
    [ -n "${ARTSIG_SANITIZED:-}" ] && return
    [ "$kib" -lt "$MAX_KIB" ] && ok || bad "$what: peak $kib KiB, limit $MAX_KIB"
}

# json_of FILE COUNT DEPTH: {"a":[X,X,...]}, COUNT times an X of DEPTH
# objects nested ({"":{"":{}}} for 3). The gate counts COUNT * (DEPTH + 1) + 2
# values in it.
json_of() {
    python3 -c 'import sys
n, depth = int(sys.argv[2]), int(sys.argv[3])
x = "{\"\":" * (depth - 1) + "{}" + "}" * (depth - 1)
open(sys.argv[1], "w").write("{\"a\":[" + ",".join([x] * n) + "]}")' "$@"
}
HI='{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"m"},"artifact_depends":{"device_type":["dev"]}}'
TI='{"type":"rootfs-image"}'
craft() { python3 "$SRC/tests/craft_artifact.py" "$@" || bad "crafting $1 failed"; }

# 1 MiB of "{}," is about 350000 values.
json_of "$T/hostile.json" 349000 1
craft "$T/augmented.mender" "$HI" "$TI" --key "$KEY" --augment-header-info "@$T/hostile.json"
craft "$T/unsigned.mender" "$HI" "$TI" --meta-data "@$T/hostile.json"

peak 1 "validate -k, hostile header-augment" "$ARTSIG" validate -k "$PUB" "$T/augmented.mender"
contains "validate -k, hostile header-augment" "$T/err" "more than"
peak 1 "read --json, hostile header-augment" "$ARTSIG" read --json "$T/augmented.mender"
new_device dev "\"ArtifactVerifyKey\":\"$PUB\","
save_device
peak 1 "install, hostile header-augment" "$UPD" --config "$DEV/mender.conf" --data "$DATA" \
    install "$T/augmented.mender"
expect_device_kept "install, hostile header-augment"

peak 1 "validate, hostile header" "$ARTSIG" validate "$T/unsigned.mender"
peak 1 "read --json, hostile header" "$ARTSIG" read --json "$T/unsigned.mender"
peak 1 "sign, hostile header" "$ARTSIG" sign -k "$KEY" -o "$T/signed.mender" "$T/unsigned.mender"
[ ! -e "$T/signed.mender" ] && ok || bad "sign wrote an artifact of a hostile header"
peak 1 "export-manifest, hostile header" "$ARTSIG" export-manifest -o "$T/manifest" \
    "$T/unsigned.mender"

# At the limit of the values of all header JSON files together, as objects,
# the costliest value (about 800 bytes to json-c), as many as the nesting
# allows: header-info and type-info count 11, the meta-data 15 * COUNT + 2.
limit=$(sed -n 's/^#define ARTSIG_LIMIT_JSON_VALUES \([0-9]*\).*/\1/p' "$SRC/include/artsig/reader.h")
json_of "$T/at-limit.json" $(((limit - 13) / 15)) 14
craft "$T/at-limit.mender" "$HI" "$TI" --key "$KEY" --meta-data "@$T/at-limit.json"
peak 0 "read --json at the limit" "$ARTSIG" read --json -k "$PUB" "$T/at-limit.mender"
peak 0 "validate at the limit" "$ARTSIG" validate -k "$PUB" "$T/at-limit.mender"
json_of "$T/over-limit.json" $(((limit - 13) / 15 + 1)) 14
craft "$T/over-limit.mender" "$HI" "$TI" --key "$KEY" --meta-data "@$T/over-limit.json"
peak 1 "read --json over the limit" "$ARTSIG" read --json -k "$PUB" "$T/over-limit.mender"
contains "read --json over the limit" "$T/err" "more than $limit values"

finish
