# Shared by the tests of the remote signers against tests/mock_kms.py
# (cli_gcp_kms.sh, cli_vault.sh): the mock services, what there is to sign,
# and the checks every signing command goes through, whichever the service.
# Usage, after lib.sh: API=gcp|vault (mock_kms.py's mode) and
# OPT=--gcp-kms-key|--vault-transit-key (the signing option); . remote_lib.sh
# The caller sets TOKEN, the service's token, which no refusal may show.
K=$VEC/keys
need_mender_artifact
command -v openssl >/dev/null || { bad "openssl is needed (scripts/deps.sh installs it)"; finish; exit; }
# The services are ours, on loopback: no proxy may stand in between, and no
# credentials or settings of the machine may be used.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset GOOGLE_OAUTH_ACCESS_TOKEN GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST ARTSIG_GCP_KMS_ENDPOINT
unset VAULT_ADDR VAULT_TOKEN VAULT_MOUNT_PATH VAULT_KEY_VERSION VAULT_NAMESPACE VAULT_CACERT
unset ARTSIG_REMOTE_TIMEOUT

servers=
trap 'for p in $servers; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
# start_mock NAME [ARGS...]: the service on 127.0.0.1 (or --bind ADDR)
# logging to $T/NAME.log; sets $port, fails if it did not start.
start_mock() {
    name=$1
    shift
    python3 "$SRC/tests/mock_kms.py" "$API" "$T/$name.port" "$T/$name.log" "$@" 2>"$T/$name.err" &
    servers="$servers $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.1 && i=$((i + 1)); done
    port=$(cat "$T/$name.port" 2>/dev/null)
    [ -n "$port" ]
}
# serve NAME [ARGS...]: the service the test is about; sets PORT and LOG, or
# stops, failing.
serve() {
    start_mock "$@" || { bad "mock_kms.py did not start: $(cat "$T/$1.err")"; finish; exit; }
    PORT=$port LOG=$T/$1.log
}
# mark: remember where the log ends; since_mark: the requests after it, in $T/recent.
mark() { mark=$(wc -l <"$LOG"); }
since_mark() { tail -n +$((mark + 1)) "$LOG" >"$T/recent"; }

# A second RSA 2048 key: version 2 of key rsa2k, and "another key".
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa2048b.key" 2>/dev/null &&
    openssl pkey -in "$T/rsa2048b.key" -pubout -out "$T/rsa2048b.pub" && ok || bad "openssl genpkey"

head -c 100000 /dev/urandom >"$T/rootfs.img"
echo "a blob to sign" >"$T/msg"
art() { # art OUT [options]: a rootfs-image artifact
    out=$1
    shift
    "$ARTSIG" write rootfs-image -f "$T/rootfs.img" -n "$(basename "$out" .mender)" \
        -t qemux86-64 --no-progress -o "$out" "$@"
}
art "$T/unsigned.mender" || bad "write unsigned"

# verified LABEL PUB OTHER STEM: the artifacts $T/w-STEM.mender (written)
# and $T/s-STEM.mender (signed) validate with PUB, for mender-artifact and
# artsig, and not with OTHER; so does the signature $T/STEM.sig of $T/msg.
verified() {
    label=$1 pub=$2 other=$3 stem=$4
    for a in w s; do
        f=$T/$a-$stem.mender
        expect_exit 0 "$label ($a): mender-artifact validate" mender-artifact validate -k "$pub" "$f"
        expect_exit 0 "$label ($a): artsig validate" "$ARTSIG" validate -k "$pub" "$f"
        expect_exit 1 "$label ($a): another key refuses" "$ARTSIG" validate -k "$other" "$f"
        expect_one_line_error "$label ($a): another key refuses"
    done
    expect_exit 0 "$label: verify-blob" "$ARTSIG" verify-blob -k "$pub" -s "$T/$stem.sig" "$T/msg"
    expect_exit 1 "$label: verify-blob, another key" "$ARTSIG" verify-blob -k "$other" \
        -s "$T/$stem.sig" "$T/msg"
}

# signs_in_place KEY PUB: KEY signs a copy of the unsigned artifact in
# place, and mender-artifact validates it with PUB.
signs_in_place() {
    cp "$T/unsigned.mender" "$T/inplace.mender"
    expect_exit 0 "sign in place" "$ARTSIG" sign "$OPT" "$1" "$T/inplace.mender"
    expect_exit 0 "sign in place: mender-artifact validate" mender-artifact validate -k "$2" \
        "$T/inplace.mender"
}

mkdir "$T/fail" "$T/inplace"
# refused CODE DESCRIPTION COMMAND...: exit CODE, one line on stderr without
# the token, nothing in $T/fail.
refused() {
    code=$1 what=$2
    shift 2
    expect_exit "$code" "$what" "$@"
    expect_one_line_error "$what"
    lacks "$what: token shown" "$T/err" "$TOKEN"
    if [ -z "$(ls -A "$T/fail")" ]; then ok; else bad "$what: left $(ls -A "$T/fail")"; fi
    rm -rf "$T/fail" && mkdir "$T/fail"
}
# refused_signing CODE DESCRIPTION KEY [env arguments]: write, sign, sign in
# place and sign-blob all refuse, the artifact signed in place is left as it
# was (no temporary file beside it), and sign-blob prints nothing.
refused_signing() {
    code=$1 subject=$2 name=$3
    shift 3
    refused "$code" "$subject (write)" env "$@" "$ARTSIG" write rootfs-image -f "$T/rootfs.img" \
        -n fail -t qemux86-64 --no-progress -o "$T/fail/w.mender" "$OPT" "$name"
    refused "$code" "$subject (sign)" env "$@" "$ARTSIG" sign "$OPT" "$name" \
        -o "$T/fail/s.mender" "$T/unsigned.mender"
    cp "$T/unsigned.mender" "$T/inplace/a.mender"
    refused "$code" "$subject (sign in place)" env "$@" "$ARTSIG" sign "$OPT" "$name" \
        "$T/inplace/a.mender"
    cmp -s "$T/unsigned.mender" "$T/inplace/a.mender" && ok || bad "$subject: the artifact changed"
    [ "$(ls -A "$T/inplace")" = a.mender ] && ok || bad "$subject: left $(ls -A "$T/inplace")"
    refused "$code" "$subject (sign-blob)" env "$@" "$ARTSIG" sign-blob "$OPT" "$name" "$T/msg"
    [ ! -s "$T/out" ] && ok || bad "$subject (sign-blob): printed $(cat "$T/out")"
}
# refused_outside VARIABLE KEY SPEC: the token is never sent in clear to
# another host. A service there (this machine's own address, if it has one
# besides loopback), holding SPEC, named in VARIABLE as plain http, gets no
# request.
refused_outside() {
    addr=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -n 1)
    if [ -n "$addr" ] && start_mock outside --bind "$addr" --token "$TOKEN" "$3"; then
        refused_signing 2 "plain http to $addr" "$2" "$1=http://$addr:$port"
        [ ! -s "$T/outside.log" ] && ok || bad "plain http to $addr: requests sent: $(cat "$T/outside.log")"
    fi
}

# help_mentions_option: every signing command's --help names $OPT.
help_mentions_option() {
    for cmd in sign sign-blob write; do
        case $cmd in write) set -- write rootfs-image --help ;; *) set -- "$cmd" --help ;; esac
        expect_exit 0 "$cmd --help" "$ARTSIG" "$@"
        contains "$cmd --help mentions $OPT" "$T/out" "$OPT"
    done
}

# no_violations WHAT: whatever the faults, the client itself never broke the
# protocol (WHAT names it) in a request to any of the mocks.
no_violations() {
    if grep -v '"violations": \[\]' "$T"/*.log >"$T/violations"; then
        bad "requests against $1: $(cat "$T/violations")"
    else
        ok
    fi
}
