#!/bin/sh
# mender.conf is read exactly as the Mender client reads it (Go's
# encoding/json), or refused. Each case of conf_cases.tsv is either accepted,
# and then `artsig-update show-config` prints the same settings as Go's
# reading of the file (tests/oracle, `oracle conf`), or refused: exit 1, one
# line on stderr saying why, nothing done. The four configurations with which
# the client once installed an unsigned image on a device with a key
# configured are refused at install, leaving the device as it was.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"
require_python3
if ! command -v go >/dev/null; then
    bad "go is needed for tests/oracle (scripts/deps.sh installs it)"
    finish
    exit
fi

build_oracle conf

# The cases as files $T/conf/lineN.conf, listed as N<TAB>VERDICT<TAB>FRAGMENT.
mkdir -p "$T/conf" "$T/data"
python3 - "$SRC/tests/conf_cases.tsv" "$T/conf" >"$T/cases" <<'EOF'
import re, sys
cases, out = sys.argv[1:]
with open(cases, encoding="utf-8") as f:
    for number, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        verdict, fragment, config = line.split("\t", 2)
        data = re.sub(rb"\\x([0-9a-fA-F]{2})", lambda m: bytes([int(m.group(1), 16)]),
                      config.encode())
        with open(f"{out}/line{number}.conf", "wb") as conf:
            conf.write(data)
        print(f"{number}\t{verdict}\t{fragment}")
EOF
[ -s "$T/cases" ] && ok || bad "no cases read from conf_cases.tsv"

# same_settings WHAT: $T/out (artsig-update's) and $T/go.json (Go's) hold
# equal JSON values.
same_settings() {
    if python3 -c 'import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:])
sys.exit(a != b)' "$T/out" "$T/go.json" 2>>"$T/err"; then ok; else
        bad "$1: artsig-update read $(tr -d '\n' <"$T/out"), Go read $(cat "$T/go.json")"
    fi
}

echo "== conf_cases.tsv"
tab=$(printf '\t')
while IFS=$tab read -r number verdict fragment; do
    conf=$T/conf/line$number.conf what="conf_cases.tsv line $number"
    if [ "$verdict" = accept ]; then
        expect_exit 0 "$what" "$UPD" --config "$conf" show-config
        if "$ORACLE" conf "$conf" >"$T/go.json" 2>"$T/go.err"; then
            same_settings "$what"
        else
            bad "$what: Go refuses what artsig-update accepts: $(cat "$T/go.err")"
        fi
    else
        # commit loads the configuration before it finds no update to finish.
        expect_exit 1 "$what" "$UPD" --config "$conf" --data "$T/data" commit
        expect_one_line_error "$what"
        contains "$what" "$T/err" "$fragment"
        [ -s "$T/out" ] && bad "$what: printed $(head -c 100 "$T/out")" || ok
    fi
done <"$T/cases"
[ -z "$(ls -A "$T/data")" ] && ok || bad "the data dir was written: $(ls -A "$T/data")"

echo "== no install under a configuration read two ways"
K=$VEC/keys/rsa3072.pub
UNSIGNED=$VEC/artifacts/rootfs-gzip-unsigned.mender
# refused DESCRIPTION: with $DEV/mender.conf as it is, installing the unsigned
# artifact exits 1 with one line, and nothing on the device changed.
refused() {
    save_device
    cp "$PB" "$T/pb.saved"
    expect_exit 1 "$1" upd install "$UNSIGNED"
    expect_one_line_error "$1"
    expect_device_kept "$1"
    expect_same "$1: inactive partition" "$PB" "$T/pb.saved"
}
# Without a key the artifact installs: the device is one it would go onto.
new_device qemux86-64 ""
expect_exit 0 "no key configured: unsigned installs" upd install "$UNSIGNED"
new_device qemux86-64 "\"ArtifactVerifyKey\":\"$K\","
refused "the key configured"
new_device qemux86-64 "\"ArtifactVerifyKey\":\"$K\",\"ArtifactVerifyKey\":null,"
refused "the key, then null for it"
new_device qemux86-64 "\"ArtifactVerify\\u212aey\":\"$K\","
refused "the key spelt with a KELVIN SIGN"
new_device qemux86-64 ""
printf '{"ArtifactVerifyKey":"%s"}\n' "$K" >>"$DEV/mender.conf"
refused "the key in a second object"
new_device qemux86-64 '"ArtifactVerifyKey":null,'
refused "null for the key"

finish
