#!/bin/sh
# Header JSON that Go (mender-artifact 3.9, the Mender 3.x client) reads
# otherwise than artsig: keys Go folds onto one struct field ("payloads" and
# "Payloads", "type" and "Type"), a field name spelt in another case, and
# integers Go rounds or json-c clamps. Each crafted artifact is signed, and
# each is refused by validate, read, read --json and artsig-update install,
# with one line naming the key.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"

require_python3
need_mender_artifact
KEY=$VEC/keys/rsa3072.pkcs1.key PUB=$VEC/keys/rsa3072.pub

# craft OUT HEADER_INFO TYPE_INFO [--meta-data TEXT]: a version 3 artifact
# with one rootfs-image file and these header files, signed with $KEY.
craft() { python3 "$SRC/tests/craft_artifact.py" --key "$KEY" "$@" || bad "crafting $1 failed"; }

HI='"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"harmless-rootfs-1.0"},"artifact_depends":{"device_type":["other-board"]}'
HI_OK="{$HI}"
TI_OK='{"type":"rootfs-image"}'

# Control: the crafting is sound, and both readers take a plain artifact.
craft "$T/plain.mender" "$HI_OK" "$TI_OK"
expect_exit 0 "plain crafted artifact" "$ARTSIG" validate -k "$PUB" "$T/plain.mender"
expect_exit 0 "mender-artifact reads the plain artifact" \
    mender-artifact read -k "$PUB" "$T/plain.mender"

# refused DESCRIPTION ARTIFACT TEXT: every artsig reading refuses it in one
# line containing TEXT, and a device with the key installs nothing.
refused() {
    for cmd in validate read "read --json"; do
        # shellcheck disable=SC2086 # "read --json" is two words
        expect_exit 1 "$1: $cmd" "$ARTSIG" $cmd -k "$PUB" "$2"
        expect_one_line_error "$1: $cmd"
        contains "$1: $cmd" "$T/err" "$3"
    done
    new_device other-board "\"ArtifactVerifyKey\":\"$PUB\","
    save_device
    expect_exit 1 "$1: install" upd install "$2"
    expect_one_error_line "$1: install"
    contains "$1: install" "$T/err" "$3"
    expect_device_kept "$1: install"
}

# go_reads DESCRIPTION ARTIFACT TEXT: mender-artifact 3.9 reads the artifact,
# showing TEXT, so the artifact does read otherwise in Go.
go_reads() {
    if mender-artifact read -k "$PUB" "$2" >"$T/go" 2>&1 && grep -qF -- "$3" "$T/go"; then ok; else
        bad "$1: mender-artifact does not read \"$3\": the test proves nothing: $(head -c 300 "$T/go")"
    fi
}

# The attack: one signed header that artsig reads as a rootfs-image named
# harmless-rootfs-1.0 for other-board, and Go as a script module named
# evil-script for sim.
craft "$T/dual.mender" \
    "{$HI,\"Payloads\":[{\"type\":\"script\"}],\"Artifact_Provides\":{\"artifact_name\":\"evil-script\"},\"ARTIFACT_DEPENDS\":{\"device_type\":[\"sim\"]}}" \
    '{"type":"rootfs-image","Type":"script"}'
go_reads "dual keys" "$T/dual.mender" "evil-script"
go_reads "dual keys" "$T/dual.mender" "script"
refused "dual keys" "$T/dual.mender" 'are the same key to Go'

craft "$T/type.mender" "$HI_OK" '{"type":"rootfs-image","Type":"script"}'
refused "type and Type in type-info" "$T/type.mender" 'keys "type" and "Type" of one object'

# A field name spelt otherwise, alone: artsig would ignore what Go reads.
craft "$T/provides.mender" "$HI_OK" \
    '{"type":"rootfs-image","Artifact_Provides":{"rootfs-image.version":"evil"}}'
go_reads "Artifact_Provides in type-info" "$T/provides.mender" "rootfs-image.version: evil"
refused "Artifact_Provides in type-info" "$T/provides.mender" \
    'headers/0000/type-info: key "Artifact_Provides" must be spelt "artifact_provides"'

craft "$T/group.mender" \
    '{"payloads":[{"type":"rootfs-image"}],"artifact_provides":{"artifact_name":"a","ARTIFACT_GROUP":"g"},"artifact_depends":{"device_type":["other-board"]}}' \
    "$TI_OK"
go_reads "ARTIFACT_GROUP" "$T/group.mender" "Provides group: g"
refused "ARTIFACT_GROUP in header-info" "$T/group.mender" \
    'key "ARTIFACT_GROUP" must be spelt "artifact_group"'

# U+017F LONG S folds onto "s" for Go.
craft "$T/longs.mender" "$HI_OK" \
    '{"type":"rootfs-image","artifact_provide\u017f":{"rootfs-image.version":"evil"}}'
go_reads "artifact_provide\\u017f" "$T/longs.mender" "rootfs-image.version: evil"
refused "artifact_provide\\u017f in type-info" "$T/longs.mender" 'must be spelt "artifact_provides"'

# The version member: json-c alone took the last of two "version" keys, Go
# refuses the first, a string.
craft "$T/version.mender" "$HI_OK" "$TI_OK" \
    --version '{"format":"mender","version":"3","version":3}'
refused "two version keys" "$T/version.mender" "version: invalid JSON near byte"

# Integers: beyond 64 bits json-c clamped them (read showed another value),
# beyond 2^53 Go rounds them.
craft "$T/huge.mender" "$HI_OK" "$TI_OK" --meta-data '{"n":123456789012345678901234567890}'
refused "meta-data integer beyond 64 bits" "$T/huge.mender" "too big integer"
craft "$T/odd.mender" "$HI_OK" "$TI_OK" --meta-data '{"n":9007199254740993}'
refused "meta-data integer beyond 2^53" "$T/odd.mender" "beyond +-2^53"

finish
