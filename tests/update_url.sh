#!/bin/sh
# artsig-update install from a URL, served by tests/httpd.py on 127.0.0.1 to a
# simulated device (partition files, a key=value boot env): plain, redirected,
# cut mid-stream and resumed with a Range request (If-Range included), cut and
# not resumable (refused, nothing activated), too many cuts, HTTP errors, a
# refused connection, https with an untrusted certificate (TLS verification
# is on), stdin; nothing is spooled to disk on the way.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"

UPD=${ARTSIG_UPDATE:-$BUILD/update/artsig-update}
if ! command -v python3 >/dev/null || ! command -v openssl >/dev/null; then
    bad "python3 and openssl are needed (scripts/deps.sh installs them)"
    finish
    exit
fi
# The servers are ours, on loopback: no proxy may stand in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# Anything spooled to a temporary file would land here.
export TMPDIR="$T/tmp"
mkdir -p "$TMPDIR"

servers=
trap 'for p in $servers; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT

# start_httpd NAME [--tls CERT KEY]: serve $T/www; sets $port.
start_httpd() {
    name=$1
    shift
    python3 "$SRC/tests/httpd.py" "$T/www" "$T/$name.port" "$T/$name.log" "$@" \
        2>"$T/$name.err" &
    servers="$servers $!"
    i=0
    while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    port=$(cat "$T/$name.port" 2>/dev/null)
}

# The artifact: a few MiB of random "rootfs", signed.
mkdir -p "$T/www"
"$ARTSIG" keygen --type ecdsa-p256 -o "$T/key.pem" -p "$T/key.pub" >/dev/null
head -c 3000000 /dev/urandom >"$T/img"
"$ARTSIG" write rootfs-image -f "$T/img" -n rel-2 -t dev -k "$T/key.pem" \
    -o "$T/www/a.mender" >/dev/null
size=$(wc -c <"$T/www/a.mender")
half=$((size / 2))

start_httpd http
URL=http://127.0.0.1:$port
[ -n "$port" ] || { bad "httpd did not start: $(cat "$T/http.err")"; finish; exit; }

# A fresh simulated device on partition A (…p2), B (…p3) inactive.
D=$T/dev
new_device() {
    rm -rf "$D"
    mkdir -p "$D/data"
    printf 'old rootfs A\n' >"$D/mmcblk0p2"
    : >"$D/mmcblk0p3"
    printf 'mender_boot_part=2\nupgrade_available=0\nbootcount=0\n' >"$D/bootenv"
    printf 'device_type=dev\n' >"$D/data/device_type"
    cat >"$D/mender.conf" <<EOF
{
  "ArtifactVerifyKey": "$T/key.pub",
  "DeviceTypeFile": "$D/data/device_type",
  "RootfsPartA": "$D/mmcblk0p2",
  "RootfsPartB": "$D/mmcblk0p3",
  "BootEnvFile": "$D/bootenv",
  "UpdateModulesDir": "$T/modules"
}
EOF
    rm -rf "$T/before"
    cp -a "$D" "$T/before"
}
install() {
    "$UPD" --config "$D/mender.conf" --data "$D/data" install "$@"
}

# installed WHAT: exit 0 above, then partition B holds the image and the
# boot env switched to it.
installed() {
    if cmp -s -n "$(wc -c <"$T/img")" "$D/mmcblk0p3" "$T/img"; then ok; else bad "$1: partition B is not the image"; fi
    if grep -qx mender_boot_part=3 "$D/bootenv" && grep -qx upgrade_available=1 "$D/bootenv"; then
        ok
    else
        bad "$1: boot env not switched: $(tr '\n' ' ' <"$D/bootenv")"
    fi
}
# refused WHAT PATTERN: exit 1 above, one line naming the problem, and the
# active system untouched: partition A, boot env, data dir (but its lock file).
refused() {
    expect_one_line_error "$1"
    if grep -q -- "$2" "$T/err"; then ok; else bad "$1: error does not say '$2': $(cat "$T/err")"; fi
    if cmp -s "$D/bootenv" "$T/before/bootenv" && cmp -s "$D/mmcblk0p2" "$T/before/mmcblk0p2" &&
        diff -r -x lock "$D/data" "$T/before/data" >/dev/null; then
        ok
    else
        bad "$1: the active system changed"
    fi
}

new_device
expect_exit 0 "plain URL" install "$URL/a.mender"
installed "plain URL"

new_device
expect_exit 0 "redirect" install "$URL/redirect/redirect/a.mender"
installed "redirect"

# Cut halfway: resumed from the byte reached, guarded by If-Range.
new_device
expect_exit 0 "cut and resumed" install "$URL/cut/$half/a.mender"
installed "cut and resumed"
if grep -q "^/cut/$half/a.mender range=bytes=$half- if-range=\"" "$T/http.log"; then ok; else
    bad "resume: no 'Range: bytes=$half-' with If-Range: $(grep "^/cut/" "$T/http.log")"
fi

# Cut three times, then reset (RST) at a point the client may not have seen
# whole: each resume starts where the delivered bytes end.
new_device
expect_exit 0 "three cuts" install "$URL/cut/400000x3/a.mender"
installed "three cuts"
new_device
expect_exit 0 "connection reset" install "$URL/reset/$half/a.mender"
installed "connection reset"

# More cuts than the bounded number of resumes.
new_device
expect_exit 1 "cut every time" install "$URL/cut/100000x20/a.mender"
refused "cut every time" "interrupted at byte .* still failing after"

# Cut, and the server then ignores Range (a 200 would duplicate bytes),
# refuses it (416), or has another file under the same name.
for how in cut-norange cut-416 cut-changed; do
    new_device
    expect_exit 1 "$how" install "$URL/$how/$half/a.mender"
    refused "$how" "interrupted at byte $half and it cannot be resumed"
done

# HTTP errors, an unknown file, nothing listening, an unsupported scheme.
for code in 404 500; do
    new_device
    expect_exit 1 "HTTP $code" install "$URL/status/$code/a.mender"
    refused "HTTP $code" "HTTP $code"
done
new_device
expect_exit 1 "missing file" install "$URL/missing.mender"
refused "missing file" "HTTP 404"
closed=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
new_device
expect_exit 1 "connection refused" install "http://127.0.0.1:$closed/a.mender"
refused "connection refused" "127.0.0.1:$closed/a.mender"
new_device
expect_exit 1 "ftp" install "ftp://127.0.0.1/a.mender"
refused "ftp" "ftp"

# Credentials and query (a presigned URL's signature) stay out of messages.
new_device
expect_exit 1 "credentials" install "http://user:secret@127.0.0.1:$port/status/404/a.mender?sig=secret"
refused "credentials" "http://127.0.0.1:$port/status/404/a.mender: "
if grep -q secret "$T/err"; then bad "credentials: shown in '$(cat "$T/err")'"; else ok; fi

# Nor in any message about a URL that libcurl cannot parse (a space, a bad
# port, a password holding a '/' or '?'), nor when the artifact is refused.
printf 'not an artifact' >"$T/www/bad.mender"
for url in "https://user:secret@127.0.0.1:$closed/a.mender?X-Amz-Signature=abc" \
    "https://user:secret@127.0.0.1:$closed/a b?X-Amz-Signature=abc" \
    "https://user:secret@127.0.0.1:99999/a.mender?X-Amz-Signature=abc" \
    "https://user:secret@127.0.0.1:$closed/%zz?X-Amz-Signature=abc" \
    "https://us%zzer:secret@127.0.0.1:$closed/a.mender?X-Amz-Signature=abc" \
    "https://user:se/cret@127.0.0.1:$closed/a.mender?X-Amz-Signature=abc" \
    "https://user:se?cret@127.0.0.1:$closed/a.mender#X-Amz-Signature=abc" \
    "http://user:secret@127.0.0.1:$port/bad.mender?X-Amz-Signature=abc"; do
    new_device
    expect_exit 1 "redacted $url" install "$url"
    refused "redacted $url" "http"
    if grep -q -e cret -e abc "$T/err"; then bad "$url: shown in '$(cat "$T/err")'"; else ok; fi
done

# https with a certificate from a private CA, which nothing vouches for
# unless ServerCertificate or --trusted-certs names the CA: refused, then
# installed with either.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=artsig test CA" -keyout "$T/ca.key" -out "$T/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$T/tls.key" -out "$T/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/tls.ext"
openssl x509 -req -in "$T/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial \
    -days 1 -extfile "$T/tls.ext" -out "$T/tls.crt" 2>/dev/null
start_httpd https --tls "$T/tls.crt" "$T/tls.key"
HTTPS=https://127.0.0.1:$port
[ -n "$port" ] || { bad "https httpd did not start: $(cat "$T/https.err")"; finish; exit; }
new_device
expect_exit 1 "untrusted https" install "$HTTPS/a.mender"
refused "untrusted https" "certificate"
# server_certificate FILE: mender.conf names FILE as ServerCertificate.
server_certificate() {
    sed -i "s|^{|{ \"ServerCertificate\": \"$1\",|" "$D/mender.conf"
}
new_device
server_certificate "$T/ca.crt"
expect_exit 0 "ServerCertificate" install "$HTTPS/a.mender"
installed "ServerCertificate"
# trusting ARGS: install, trusting the private CA by --trusted-certs.
trusting() {
    "$UPD" --trusted-certs "$T/ca.crt" --config "$D/mender.conf" --data "$D/data" install "$@"
}
new_device
expect_exit 0 "--trusted-certs" trusting "$HTTPS/a.mender"
installed "--trusted-certs"
new_device
expect_exit 0 "-E" "$UPD" -E "$T/ca.crt" --config "$D/mender.conf" --data "$D/data" \
    install "$HTTPS/a.mender"
installed "-E"
new_device
expect_exit 0 "https to https redirect" trusting "$HTTPS/redirect/goto/https/${HTTPS##*:}/a.mender"
installed "https to https redirect"
# A certificate file that cannot serve is named, not passed over.
new_device
server_certificate "$T/no-such.crt"
expect_exit 1 "missing ServerCertificate" install "$HTTPS/a.mender"
refused "missing ServerCertificate" "$T/no-such.crt: No such file"
new_device
expect_exit 1 "not PEM" "$UPD" --trusted-certs "$T/img" --config "$D/mender.conf" \
    --data "$D/data" install "$HTTPS/a.mender"
refused "not PEM" "$T/img: no PEM certificate"

# After https, only https: a redirect to http is refused before anything is
# fetched in the clear.
new_device
: >"$T/http.log"
expect_exit 1 "https to http redirect" trusting "$HTTPS/goto/http/${URL##*:}/a.mender"
refused "https to http redirect" "after https, only https is followed"
if [ -s "$T/http.log" ]; then bad "https to http: fetched $(cat "$T/http.log")"; else ok; fi
# From http, either.
new_device
expect_exit 0 "http to https redirect" trusting "$URL/goto/https/${HTTPS##*:}/a.mender"
installed "http to https redirect"

new_device
expect_exit 0 "stdin" install - <"$T/www/a.mender"
installed "stdin"

# After a refused download, the next one installs.
new_device
expect_exit 1 "before retry" install "$URL/cut-norange/1000/a.mender"
expect_exit 0 "retry" install "$URL/a.mender"
installed "retry"

# Streamed: nothing as big as the artifact was written to TMPDIR or the data dir.
if [ -z "$(ls -A "$TMPDIR")" ]; then ok; else bad "TMPDIR not empty: $(ls -A "$TMPDIR")"; fi
big=$(find "$D/data" -type f -size +1000k)
if [ -z "$big" ]; then ok; else bad "artifact-sized files in the data dir: $big"; fi

finish
