#!/bin/sh
# Every case of the shared vectors' cases.tsv as an install with artsig-update
# on a simulated device: rootfs-image artifacts into the RootfsPartA/B files
# and BootEnvFile, module artifacts through a test update module (it copies
# the payload files to $T/dest/TYPE and needs no reboot), a bootstrap
# artifact into the provides alone. The keys are the case's ("-": none
# configured). The device is made to match what the artifact asks for (device
# type, artifact and payload depends, read with `artsig read --json`), so the
# case's own property alone decides. An "ok" case installs (exit 0, or 4 then
# commit) and lands exactly the artifact's bytes; a "fail" case exits 1 with
# one line and leaves the boot env, the provides, the active partition and
# every module destination byte for byte as they were.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

require_python3
DEST=$T/dest

# What a case's device must look like, from the artifact's facts (`artsig
# read --json` without a key; an artifact it cannot read gets the device type
# of every vector, and the case fails before the facts matter):
#   $T/facts: shell assignments dt=, name=, type=
#   $T/provides: the device's provides, meeting every depends
#   $T/files: "SHA256 NAME" of each payload file
cat >"$T/facts.py" <<'EOF'
import json, shlex, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    d = {"device_types": ["qemux86-64"], "artifact_name": "", "artifact_depends": {}, "payloads": []}
payloads = d.get("payloads") or d.get("updates") or [{}]
p = payloads[0]
provides = {"artifact_name": "rel-0"}
for deps in (d["artifact_depends"], p.get("depends") or {}):
    for k, v in deps.items():
        if k != "device_type":
            provides[k] = v[0] if isinstance(v, list) else v
with open(sys.argv[2], "w") as f:
    f.write("dt=%s name=%s type=%s\n" % (shlex.quote(d["device_types"][0]),
            shlex.quote(d["artifact_name"]), shlex.quote(p.get("type") or "")))
with open(sys.argv[3], "w") as f:
    f.writelines("%s=%s\n" % kv for kv in sorted(provides.items()))
with open(sys.argv[4], "w") as f:
    f.writelines("%s  %s\n" % (x["sha256"], x["name"]) for x in p.get("files") or [])
EOF

# The test module: ArtifactInstall copies the payload files to $DEST/TYPE;
# no reboot, no rollback (so artsig-update commits at once).
write_module() {
    cat >"$MODULES/$1" <<EOF
#!/bin/sh
case "\$1" in
    ArtifactInstall) mkdir -p "$DEST/$1" && cp files/* "$DEST/$1/" ;;
    NeedsArtifactReboot | SupportsRollback) echo No ;;
esac
EOF
    chmod +x "$MODULES/$1"
}
# A fingerprint of everything below $DEST.
snap() { (cd "$DEST" && find . | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
keys_json() { # keys_json LIST: the case's keys column as mender.conf options
    case $1 in
    -) ;;
    *,*) printf '"ArtifactVerifyKeys":["%s"],' "$(echo "$1" | sed "s#,#\",\"#g; s#^#$VEC/keys/#; s#\",\"#\",\"$VEC/keys/#g")" ;;
    *) printf '"ArtifactVerifyKey":"%s/keys/%s",' "$VEC" "$1" ;;
    esac
}

# landed CASE: an ok case's bytes are where they belong, its name committed.
landed() {
    if [ -z "$type" ]; then
        : # bootstrap: the provides are all there is
    elif [ "$type" = rootfs-image ]; then
        expect_env "$1" mender_boot_part 3
        if [ "$(sha256sum <"$PB" | cut -d' ' -f1)  $(cut -d' ' -f3 "$T/files")" = "$(cat "$T/files")" ]; then ok; else
            bad "$1: p3 is not the image"; fi
        expect_exit 0 "$1: commit" upd commit
    else
        if (cd "$DEST/$type" && sha256sum -c --quiet "$T/files"); then ok; else
            bad "$1: the module's destination is not the payload"; fi
    fi
    expect_provides "$1" "artifact_name=$name"
}

ncases=0
tab=$(printf '\t')
while IFS=$tab read -r artifact keys expect why _ <&3; do
    [ "$artifact" = artifact ] && continue
    ncases=$((ncases + 1))
    case_name="$artifact/$keys ($why)"
    "$ARTSIG" read --json --no-progress "$VEC/artifacts/$artifact" >"$T/read.json" 2>/dev/null
    python3 "$T/facts.py" "$T/read.json" "$T/facts" "$T/provides" "$T/files"
    . "$T/facts"
    new_device "$dt" "$(keys_json "$keys")" "$(cat "$T/provides")
"
    rm -rf "$DEST" && mkdir -p "$DEST/app-bundle"
    echo old >"$DEST/app-bundle/app-0.bin"
    [ -n "$type" ] && [ "$type" != rootfs-image ] && write_module "$type"
    save_device
    before=$(snap)
    if [ "$expect" = ok ]; then
        "$UPD" --config "$DEV/mender.conf" --data "$DATA" install "$VEC/artifacts/$artifact" \
            >"$T/out" 2>"$T/err"
        rc=$?
        if [ $rc -eq 0 ] || [ $rc -eq 4 ]; then ok; else bad "$case_name: exit $rc: $(cat "$T/err")"; fi
        [ $rc -eq 0 ] || [ $rc -eq 4 ] && landed "$case_name"
    else
        expect_exit 1 "$case_name" upd install "$VEC/artifacts/$artifact"
        expect_one_error_line "$case_name"
        expect_device_kept "$case_name"
        if [ "$(snap)" = "$before" ]; then ok; else bad "$case_name: a module destination changed"; fi
    fi
done 3<"$VEC/cases.tsv"
echo "$ncases cases"
if [ "$ncases" -ge 40 ]; then ok; else bad "only $ncases cases read from cases.tsv"; fi

finish
