#!/bin/sh
# Every case of the shared vectors' cases.tsv as an install with artsig-update
# on a simulated device: rootfs-image artifacts into the RootfsPartA/B files
# and BootEnvFile, module artifacts through a test update module (it copies
# the payload files to $T/dest/TYPE and needs no reboot), a bootstrap
# artifact into the provides alone. The keys are the case's ("-": none
# configured). The device is made to match what the artifact asks for (device
# type, artifact and payload depends, read with `artsig read --json`), so the
# case's own property alone decides; an augmented artifact's unsigned files
# are accepted (ArtsigAcceptUnsignedFiles), as the cases are about the rest. An "ok" case installs (exit 0, then
# commit when it waits for one) and lands exactly the artifact's bytes; a "fail" case exits 1 with
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
    unsigned = sum(1 for x in p.get("files") or [] if x.get("augmented"))
    f.write("dt=%s name=%s type=%s unsigned=%d\n" % (shlex.quote(d["device_types"][0]),
            shlex.quote(d["artifact_name"]), shlex.quote(p.get("type") or ""), unsigned))
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

# refused DESCRIPTION ARTIFACT: install exits 1 with one line and changes
# nothing: boot env, provides, partitions, module destinations.
refused() {
    expect_exit 1 "$1" upd install "$2"
    expect_one_error_line "$1"
    expect_device_kept "$1"
    if [ "$(snap)" = "$before" ]; then ok; else bad "$1: a module destination changed"; fi
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
    accept=
    [ "$unsigned" -gt 0 ] && accept='"ArtsigAcceptUnsignedFiles":true,'
    new_device "$dt" "$(keys_json "$keys")$accept" "$(cat "$T/provides")
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
        if [ $rc -eq 0 ]; then ok; else bad "$case_name: exit $rc: $(cat "$T/err")"; fi
        [ $rc -eq 0 ] && landed "$case_name"
    else
        refused "$case_name" "$VEC/artifacts/$artifact"
    fi
done 3<"$VEC/cases.tsv"
echo "$ncases cases"
if [ "$ncases" -ge 40 ]; then ok; else bad "only $ncases cases read from cases.tsv"; fi

# Files that only manifest-augment lists are outside the signature. Anyone
# on the way can add them to any signed artifact, with a manifest-augment and
# header-augment of their own; made here from a signed vector, mender-artifact
# 3.9 and `artsig validate` both accept the result, since the signature
# still verifies. A device refuses them unless ArtsigAcceptUnsignedFiles.
python3 - "$VEC/artifacts/module-multi-ecdsa.mender" "$T/added.mender" <<'EOF'
import gzip, hashlib, io, sys, tarfile

def tar_gz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return gzip.compress(buf.getvalue(), mtime=0)

def members(data):
    t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)))
    return [(m.name, t.extractfile(m).read()) for m in t.getmembers()]

src = tarfile.open(sys.argv[1])
outer = [(m.name, src.extractfile(m).read()) for m in src.getmembers()]
added = b"#!/bin/sh\necho not signed\n"
header = dict(members(dict(outer)["header.tar.gz"]))
header_augment = tar_gz([("header-info", header["header-info"]),
                         ("headers/0000/type-info", header["headers/0000/type-info"])])
augment = ("%s  data/0000/added\n%s  header-augment.tar.gz\n" % (
    hashlib.sha256(added).hexdigest(), hashlib.sha256(header_augment).hexdigest())).encode()
result = []
for name, data in outer:
    if name == "header.tar.gz":
        result.append(("manifest-augment", augment))
    if name == "data/0000.tar.gz":
        data = tar_gz(members(data) + [("added", added)])
    result.append((name, data))
    if name == "header.tar.gz":
        result.append(("header-augment.tar.gz", header_augment))
with tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT) as out:
    for name, data in result:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
EOF
"$ARTSIG" validate --no-progress -k "$VEC/keys/ecp256.pub" "$T/added.mender" >"$T/out" 2>&1 &&
    ok || bad "an artifact with a file added in transit does not validate: $(cat "$T/out")"
grep -q "1 payload file outside the signature" "$T/out" && ok ||
    bad "validate does not say a file is outside the signature: $(cat "$T/out")"
if command -v mender-artifact >/dev/null; then
    expect_exit 0 "mender-artifact 3.9 validates it too" \
        mender-artifact validate -k "$VEC/keys/ecp256.pub" "$T/added.mender"
fi
for case in "added.mender ecp256.pub" "module-augment-rsa.mender rsa3072.pub"; do
    set -- $case
    artifact=$T/$1
    [ -f "$artifact" ] || artifact=$VEC/artifacts/$1
    "$ARTSIG" read --json --no-progress "$artifact" >"$T/read.json"
    python3 "$T/facts.py" "$T/read.json" "$T/facts" "$T/provides" "$T/files"
    . "$T/facts"
    new_device "$dt" "$(keys_json "$2")" "$(cat "$T/provides")
"
    rm -rf "$DEST" && mkdir -p "$DEST"
    write_module "$type"
    save_device
    before=$(snap)
    refused "$1: unsigned payload file" "$artifact"
    grep -q "outside the signature" "$T/err" && ok || bad "$1: refusal does not say why: $(cat "$T/err")"
    new_device "$dt" "$(keys_json "$2")\"ArtsigAcceptUnsignedFiles\":true," "$(cat "$T/provides")
"
    write_module "$type"
    expect_exit 0 "$1: installed with ArtsigAcceptUnsignedFiles" upd install "$artifact"
done
new_device qemux86-64 '"ArtsigAcceptUnsignedFiles":"yes",'
expect_exit 1 "ArtsigAcceptUnsignedFiles must be a boolean" upd install "$T/added.mender"
grep -q "must be true or false" "$T/err" && ok || bad "bad boolean not named: $(cat "$T/err")"

finish
