#!/bin/sh
# artsig-update's side of the Mender Server's device API against the server
# double (tests/mender_server.py), through send-inventory: the signed auth
# request (the double checks X-MEN-Signature), the identity from the
# identity script, the device key (made RSA 3072 mode 0600 and reused; an
# existing mender-agent.pem of every form Mender writes, one made by Mender
# 3.4 itself, a SoftHSM2 pkcs11: URI), the inventory (device_type,
# artifact_name, the client's version, provides, executable inventory
# scripts), the tenant token, https with ServerCertificate / SkipVerify and
# refused without, a pending device, a revoked token (re-auth and the same
# request again), 5xx and garbage answers, the two-file configuration, -l.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/update_lib.sh"
require_python3
. "$SRC/tests/server_lib.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

server_start "$T/srv" || { finish; exit; }

# device [CONF_MEMBERS]: a fresh device whose mender.conf names the double,
# an identity script and an inventory dir; CONF_MEMBERS end with a comma.
device() {
    rm -rf "$DEV" && mkdir -p "$DATA" "$DEV/inv"
    printf 'device_type=server-test\n' >"$DEV/device_type"
    printf 'artifact_name=rel-7\nrootfs-image.version=rel-7\n' >"$DATA/provides"
    printf '#!/bin/sh\necho mac=02:00:00:00:00:42\necho serial=s1\necho serial=s2\n' >"$DEV/identity"
    chmod +x "$DEV/identity"
    printf '#!/bin/sh\necho os=testos\necho ipv4=10.0.0.1\necho ipv4=10.0.0.2\n' \
        >"$DEV/inv/mender-inventory-net"
    printf '#!/bin/sh\necho cpu=riscv\n' >"$DEV/inv/mender-inventory-cpu"
    printf '#!/bin/sh\necho ignored=yes\n' >"$DEV/inv/mender-inventory-notexec"
    chmod +x "$DEV/inv/mender-inventory-net" "$DEV/inv/mender-inventory-cpu"
    printf '{%s"ServerURL":"%s","DeviceTypeFile":"%s","ArtsigIdentityScript":"%s",
 "ArtsigInventoryDir":"%s","RetryPollIntervalSeconds":1}\n' "${1-}" "${URL-$SERVER_URL}" \
        "$DEV/device_type" "$DEV/identity" "$DEV/inv" >"$DEV/mender.conf"
}
inventory() { upd send-inventory; }
# quiet: only errors on stderr, for the checks of a one-line error.
quiet() { upd -l error send-inventory; }

# The public key of the last auth request, as PEM.
last_pubkey() {
    server_state '[x["body"]["pubkey"] for x in r if x["route"] == "auth"][-1]' >"$T/seen.pem"
}
# same_pubkey WHAT KEYFILE: the double saw KEYFILE's public key last.
same_pubkey() {
    last_pubkey
    openssl pkey -in "$2" -pubout >"$T/want.pem" 2>"$T/openssl.err" &&
        openssl pkey -pubin -in "$T/seen.pem" -pubout >"$T/seen2.pem" 2>>"$T/openssl.err"
    if cmp -s "$T/want.pem" "$T/seen2.pem"; then ok; else
        bad "$1: the double saw another public key: $(cat "$T/seen.pem" "$T/openssl.err")"; fi
}
# state_is WHAT EXPR WANT: server_state EXPR prints WANT.
state_is() {
    got=$(server_state "$2")
    if [ "$got" = "$3" ]; then ok; else bad "$1: $2 is $got, want $3"; fi
}

echo "== send-inventory: auth, identity, inventory"
device
expect_exit 0 "send-inventory" inventory
state_is "one auth" 's["auth_count"]' 1
state_is "identity from the script, keys sorted, a repeated key as a list" \
    '[x["body"]["id_data"] for x in r if x["route"] == "auth"][-1]' \
    '{"mac":"02:00:00:00:00:42","serial":["s1","s2"]}'
state_is "auth body members in 3.4's order, tenant token empty" \
    '[list(x["body"]) + [x["body"]["tenant_token"]] for x in r if x["route"] == "auth"][-1]' \
    '["id_data", "tenant_token", "pubkey", ""]'
for attr in '"device_type", "server-test"' '"artifact_name", "rel-7"' \
    '"rootfs-image.version", "rel-7"' '"os", "testos"' '"cpu", "riscv"' \
    '"ipv4", ["10.0.0.1", "10.0.0.2"]'; do
    state_is "inventory attribute $attr" \
        "[[a[\"name\"], a[\"value\"]] for a in s[\"inventory\"] if a[\"name\"] == [$attr][0]]" "[[$attr]]"
done
state_is "the client's version" \
    '[a["value"].split(" ")[0] for a in s["inventory"] if a["name"] == "mender_client_version"]' \
    '["artsig-update"]'
state_is "a script that is not executable is left out" \
    '[a for a in s["inventory"] if a["name"] == "ignored"]' '[]'
state_is "the inventory request carried the token" \
    '[x["authorization"].startswith("Bearer ") and len(x["authorization"]) > 20 for x in r if x["route"] == "inventory"][-1]' 'true'

echo "== a fresh device makes RSA 3072, mode 0600, and keeps it"
key=$DATA/mender-agent.pem
[ -f "$key" ] && ok || bad "no $key made"
[ "$(stat -c %a "$key")" = 600 ] && ok || bad "$key has mode $(stat -c %a "$key")"
openssl pkey -in "$key" -text -noout 2>&1 | grep -q "3072 bit" && ok ||
    bad "$key is not RSA 3072: $(openssl pkey -in "$key" -text -noout 2>&1 | head -1)"
same_pubkey "the made key" "$key"
cp "$key" "$T/first.pem"
expect_exit 0 "send-inventory again" inventory
cmp -s "$key" "$T/first.pem" && ok || bad "the device key changed on the second run"
same_pubkey "the second run" "$key"
ls -A "$DATA" | grep -q '^\.mender-agent' && bad "a temporary key file left" || ok
# A temporary copy a killed run left, readable by all, does not lend the new
# key its mode.
rm "$key"
printf 'old' >"$DATA/.mender-agent.pem.tmp" && chmod 644 "$DATA/.mender-agent.pem.tmp"
expect_exit 0 "send-inventory over a stale temporary key file" inventory
[ "$(stat -c %a "$key")" = 600 ] && ok || bad "$key made over a stale copy has mode $(stat -c %a "$key")"

echo "== ArtsigAuthKeyType ed25519"
device '"ArtsigAuthKeyType":"ed25519",'
expect_exit 0 "send-inventory, ed25519" inventory
openssl pkey -in "$key" -text -noout 2>&1 | grep -qi "ED25519" && ok || bad "$key is not Ed25519"
same_pubkey "the made Ed25519 key" "$key"

echo "== an existing mender-agent.pem of each form is used as it is"
openssl genrsa -traditional 3072 2>/dev/null >"$T/rsa1.pem" || openssl genrsa 3072 >"$T/rsa1.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa8.pem" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/ec1.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec8.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$T/ed.pem" 2>/dev/null
grep -q "BEGIN RSA PRIVATE KEY" "$T/rsa1.pem" && grep -q "BEGIN EC PRIVATE KEY" "$T/ec1.pem" &&
    ok || bad "openssl did not make PKCS#1 / SEC1 keys"
for k in rsa1 rsa8 ec1 ec8 ed; do
    device
    cp "$T/$k.pem" "$key" && chmod 600 "$key"
    expect_exit 0 "send-inventory with an existing $k key" inventory
    cmp -s "$key" "$T/$k.pem" && ok || bad "$k: mender-agent.pem was rewritten"
    same_pubkey "existing $k key" "$T/$k.pem"
done
echo "== Security.AuthPrivateKey names the key; a missing one is not made"
device "\"Security\":{\"AuthPrivateKey\":\"$T/ec1.pem\"},"
expect_exit 0 "send-inventory with Security.AuthPrivateKey" inventory
same_pubkey "Security.AuthPrivateKey" "$T/ec1.pem"
[ ! -e "$key" ] && ok || bad "mender-agent.pem made although a key is configured"
device "\"Security\":{\"AuthPrivateKey\":\"$T/absent.pem\"},"
expect_exit 1 "a configured key that is missing" quiet
expect_one_line_error "a configured key that is missing"
contains "a configured key that is missing" "$T/err" "$T/absent.pem"
[ ! -e "$T/absent.pem" ] && ok || bad "a configured key was made"

echo "== TenantToken in the body and as the auth request's bearer"
device '"TenantToken":"tenant-abc.def",'
expect_exit 0 "send-inventory with a tenant token" inventory
state_is "tenant_token in the body" \
    '[x["body"]["tenant_token"] for x in r if x["route"] == "auth"][-1]' 'tenant-abc.def'
state_is "tenant token as bearer" \
    '[x["authorization"] for x in r if x["route"] == "auth"][-1]' 'Bearer tenant-abc.def'
upd show-config >"$T/shown"
lacks "show-config hides the tenant token" "$T/shown" "tenant-abc"
lacks "no tenant token in the messages" "$T/err" "tenant-abc"
device '"Security":{"AuthPrivateKey":"pkcs11:token=dev;object=auth;pin-value=424242"},"ArtifactVerifyKeys":["pkcs11:token=dev;object=rel?pin-value=535353"],'
upd show-config >"$T/shown"
contains "show-config names the key's token" "$T/shown" "pkcs11:token=dev;object=auth"
lacks "show-config hides the auth key's PIN" "$T/shown" "424242"
lacks "show-config hides a verification key's PIN" "$T/shown" "535353"

echo "== pending device, revoked token, 5xx, garbage"
device
server_ctl pending '{"times": 1}' >/dev/null
expect_exit 1 "a device not yet accepted" quiet
expect_one_line_error "a device not yet accepted"
contains "a device not yet accepted" "$T/err" "HTTP 401"
contains "names the URL" "$T/err" "$SERVER_URL/api/devices/v1/authentication/auth_requests"

expect_exit 0 "send-inventory to hold a token" upd -l error send-inventory
before=$(server_state 's["auth_count"]')
server_ctl revoke '{}' >/dev/null
server_ctl fault '{"route": "inventory", "status": 401, "times": 1}' >/dev/null
expect_exit 0 "a 401 on inventory: re-auth and again" inventory
# One run authenticates at its start, and once more after the 401.
state_is "authenticated again after the 401" 's["auth_count"]' "$((before + 2))"
state_is "the inventory request was repeated after the 401" \
    '[x["status"] for x in r if x["route"] == "inventory"][-2:]' '[401, 200]'

server_ctl fault '{"route": "inventory", "status": 503, "times": 1}' >/dev/null
expect_exit 1 "a 503 on inventory" quiet
expect_one_line_error "a 503 on inventory"
contains "a 503 on inventory" "$T/err" "HTTP 503"
server_ctl fault '{"route": "inventory", "status": 500, "times": 1, "body": "{\"error\": \"db down\"}"}' >/dev/null
expect_exit 1 "a 500 with the server's message" inventory
contains "a 500 with the server's message" "$T/err" "HTTP 500: db down"
server_ctl fault '{"route": "auth", "status": 200, "times": 1, "body": "not a token\n\u0001"}' >/dev/null
expect_exit 1 "garbage instead of a token" quiet
expect_one_line_error "garbage instead of a token"
contains "garbage instead of a token" "$T/err" "not a token"

echo "== -l levels"
device
expect_exit 0 "-l debug" upd -l debug send-inventory
contains "-l debug shows debug lines" "$T/err" "debug:"
expect_exit 0 "-l error" upd -l error send-inventory
[ ! -s "$T/err" ] && ok || bad "-l error printed: $(cat "$T/err")"
expect_exit 0 "default level" upd send-inventory
contains "info by default" "$T/err" "info: inventory sent"
lacks "no debug by default" "$T/err" "debug:"
expect_exit 1 "-l bogus" upd -l bogus send-inventory
expect_one_line_error "-l bogus"
# Under systemd (JOURNAL_STREAM set) each line carries its syslog priority.
JOURNAL_STREAM=8:1234 expect_exit 0 "to the journal" upd -l debug send-inventory
grep -q '^<6>artsig-update: info: inventory sent' "$T/err" && grep -q '^<7>artsig-update: debug: ' "$T/err" &&
    ok || bad "journal priorities: $(cat "$T/err")"
JOURNAL_STREAM=8:1234 expect_exit 1 "-l bogus, to the journal" upd -l bogus send-inventory
grep -qx '<3>artsig-update: unknown log level .*' "$T/err" && ok || bad "journal error: $(cat "$T/err")"
unset JOURNAL_STREAM # dash keeps an assignment made before a function call

echo "== -b/--fallback-config then -c"
device
mv "$DEV/mender.conf" "$T/fallback.conf"
printf '{"TenantToken":"from-main","ArtsigInventoryDir":"%s"}\n' "$T/noinv" >"$DEV/mender.conf"
expect_exit 0 "ServerURL from the fallback, TenantToken from the main file" \
    upd -b "$T/fallback.conf" send-inventory
state_is "the main file's tenant token" \
    '[x["body"]["tenant_token"] for x in r if x["route"] == "auth"][-1]' 'from-main'
state_is "the main file's inventory dir overrides the fallback's" \
    '[a for a in s["inventory"] if a["name"] == "cpu"]' '[]'
expect_exit 0 "a missing fallback file is no error (as 3.4)" \
    "$UPD" -b "$T/absent.conf" -c "$T/fallback.conf" -d "$DATA" send-inventory
expect_exit 1 "no server at all" upd -b "$T/absent.conf" send-inventory
contains "no server at all" "$T/err" "no server configured"
printf '{"Servers":[{"ServerURL":"%s"}]}\n' "$SERVER_URL" >"$DEV/mender.conf"
expect_exit 1 "ServerURL in the fallback and Servers in the main file" \
    upd -b "$T/fallback.conf" send-inventory
contains "ServerURL and Servers across files" "$T/err" "both ServerURL and Servers"

echo "== Servers: the next one when the first cannot be reached"
device
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '{"Servers":[{"ServerURL":"http://dev:s3cr3t@127.0.0.1:%s"},{"ServerURL":"%s/"}],"DeviceTypeFile":"%s","ArtsigIdentityScript":"%s","ArtsigInventoryDir":"%s"}\n' \
    "$dead" "$SERVER_URL" "$DEV/device_type" "$DEV/identity" "$DEV/inv" >"$DEV/mender.conf"
expect_exit 0 "falls over to the second server" inventory
contains "says the first could not be reached" "$T/err" "cannot reach the server"
lacks "a server URL's password is not shown" "$T/err" "s3cr3t"

echo "== inventory: PATCH when the server answers PUT with 405 (servers before 2.6)"
device
server_ctl fault '{"route": "inventory", "status": 405}' >/dev/null
seen=$(server_state 'len(r)')
expect_exit 0 "send-inventory, PUT refused with 405" inventory
state_is "PUT, then PATCH" "[(x['method'], x['status']) for x in r[$seen:] if x['route'] == 'inventory']" \
    '[["PUT", 405], ["PATCH", 200]]'
# A token goes only to the server that issued it: the first server takes the
# auth request, then dies while the inventory waits on it; the second gets
# an auth request of its own before the inventory, never the first's token.
main_url=$SERVER_URL main_pid=$SERVER_PID main_dir=$SERVER_DIR
server_start "$T/first"
first_pid=$SERVER_PID first_url=$SERVER_URL
server_ctl fault '{"route": "inventory", "delay": 5}' >/dev/null
SERVER_URL=$main_url SERVER_PID=$main_pid SERVER_DIR=$main_dir
printf '{"Servers":[{"ServerURL":"%s"},{"ServerURL":"%s"}],"DeviceTypeFile":"%s","ArtsigIdentityScript":"%s","ArtsigInventoryDir":"%s","ArtsigAuthKeyType":"ed25519"}
' \
    "$first_url" "$SERVER_URL" "$DEV/device_type" "$DEV/identity" "$DEV/inv" >"$DEV/mender.conf"
seen=$(server_state 'len(r)')
inventory >"$T/out" 2>"$T/err" &
upd_pid=$!
i=0
until grep -q '"route": "inventory"' "$T/first/requests.jsonl" 2>/dev/null || [ $i -ge 100 ]; do
    sleep 0.1 && i=$((i + 1))
done
kill -KILL "$first_pid"
wait "$upd_pid" && ok || bad "send-inventory after the first server died: $(cat "$T/err")"
server_state "[x['route'] for x in r[$seen:] if x['route'] != 'control']" >"$T/routes"
if [ "$(cat "$T/routes")" = '["auth", "inventory"]' ]; then ok; else
    bad "the second server saw $(cat "$T/routes"), want an auth request before the inventory"; fi

echo "== https: ServerCertificate, refused without, SkipVerify"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$T/tls.key" -out "$T/tls.crt" 2>/dev/null ||
    bad "openssl req: no certificate"
plain_url=$SERVER_URL plain_pid=$SERVER_PID plain_dir=$SERVER_DIR
server_start "$T/tls" --tls "$T/tls.crt" "$T/tls.key"
case $SERVER_URL in https://localhost:*) ok ;; *) bad "the double's --tls URL is $SERVER_URL" ;; esac
URL=$SERVER_URL
device "\"ServerCertificate\":\"$T/tls.crt\","
expect_exit 0 "https with ServerCertificate" inventory
state_is "inventory over https" 's["inventory_count"]' 1
device
expect_exit 1 "https without the certificate trusted" quiet
expect_one_line_error "https without the certificate trusted"
contains "https without the certificate trusted: says why" "$T/err" "certificate"
expect_exit 0 "https with --skipverify" upd --skipverify send-inventory
contains "--skipverify is warned about" "$T/err" "not checked"
device '"SkipVerify":true,'
expect_exit 0 "https with SkipVerify" inventory
device
expect_exit 0 "https with -E (--trusted-certs)" upd -E "$T/tls.crt" send-inventory
server_stop
unset URL
SERVER_URL=$plain_url SERVER_PID=$plain_pid SERVER_DIR=$plain_dir

echo "== a device key in a token (SoftHSM2, pkcs11: URI)"
MOD=
for m in /usr/lib/*/softhsm/libsofthsm2.so /usr/lib/softhsm/libsofthsm2.so; do
    [ -f "$m" ] && MOD=$m && break
done
if [ -z "$MOD" ] || ! command -v softhsm2-util >/dev/null; then
    echo "skipped: softhsm2 is not installed"
else
    PIN=5647382910
    SOFTHSM2_CONF=$T/softhsm2.conf
    export SOFTHSM2_CONF
    mkdir -p "$T/tokens"
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
        "$T/tokens" >"$SOFTHSM2_CONF"
    openssl pkcs8 -topk8 -nocrypt -in "$T/ec1.pem" -out "$T/ec1.p8" 2>/dev/null
    softhsm2-util --init-token --free --label dev --so-pin 0000 --pin "$PIN" >/dev/null &&
        softhsm2-util --import "$T/ec1.p8" --token dev --label devkey --id 07 --pin "$PIN" \
            >/dev/null && ok || bad "softhsm2-util: no token"
    uri="pkcs11:token=dev;object=devkey;type=private?module-path=$MOD&pin-value=$PIN"
    device "\"Security\":{\"AuthPrivateKey\":\"$uri\"},"
    expect_exit 0 "send-inventory with a pkcs11: device key" inventory
    same_pubkey "the token's key" "$T/ec1.pem"
    lacks "no PIN in the messages" "$T/err" "$PIN"
    [ ! -e "$key" ] && ok || bad "mender-agent.pem made although a token key is configured"
    device "\"Security\":{\"AuthPrivateKey\":\"pkcs11:token=dev;object=absent?module-path=$MOD&pin-value=$PIN\"},"
    expect_exit 1 "a pkcs11: key that is absent" quiet
    expect_one_line_error "a pkcs11: key that is absent"
    lacks "no PIN in the refusal" "$T/err" "$PIN"
fi

echo "== a mender-agent.pem made by Mender 3.4 itself"
PEER=$SRC/../shared/peers/mender34-daemon
if ! command -v mender >/dev/null || [ ! -x "$PEER" ] || ! command -v unshare >/dev/null; then
    echo "skipped: mender 3.4 (mender-client) or $PEER is not available"
else
    X=$T/m34
    # Its daemon authenticates at once (its send-inventory only signals a
    # running daemon through systemd).
    "$PEER" "$X" "$SERVER_URL" 8 '' >"$T/m34.log" 2>&1
    if [ -f "$X/data/mender-agent.pem" ]; then
        ok
        last_pubkey
        cp "$T/seen.pem" "$T/m34.pub"
        device
        cp "$X/data/mender-agent.pem" "$key"
        expect_exit 0 "send-inventory with 3.4's key" inventory
        last_pubkey
        cmp -s "$T/seen.pem" "$T/m34.pub" && ok ||
            bad "the double saw another key than from 3.4: $(cat "$T/seen.pem" "$T/m34.pub")"
        cmp -s "$key" "$X/data/mender-agent.pem" && ok || bad "3.4's key was rewritten"
    else
        bad "mender 3.4 made no mender-agent.pem: $(tail -n 5 "$T/m34.log")"
    fi
fi

echo "== identity and inventory programs: 64 KiB of output at most"
device
# "k=" and 65533 x and a newline: exactly 65536 bytes, the most accepted.
python3 -c 'import sys; sys.stdout.write("#!/bin/sh\nprintf \"k=%s\\n\"\n" % ("x" * 65533))' >"$DEV/identity"
expect_exit 0 "an identity of 65536 bytes" inventory
python3 -c 'import sys; sys.stdout.write("#!/bin/sh\nprintf \"k=%s\\n\"\n" % ("x" * 65534))' >"$DEV/identity"
expect_exit 1 "an identity of 65537 bytes" quiet
expect_one_line_error "an identity of 65537 bytes"
contains "an identity of 65537 bytes" "$T/err" "more than 65536 bytes of output"
device
cp "$DEV/identity" "$T/identity.ok"
python3 -c 'import sys; sys.stdout.write("#!/bin/sh\nprintf \"big=%s\\n\"\n" % ("y" * 70000))' \
    >"$DEV/inv/mender-inventory-big"
chmod +x "$DEV/inv/mender-inventory-big"
expect_exit 0 "an inventory program with 70002 bytes is left out" inventory
contains "the big inventory program is named" "$T/err" "inventory script $DEV/inv/mender-inventory-big left out"
state_is "the others' attributes are sent" '[a["value"] for a in s["inventory"] if a["name"] == "cpu"]' '["riscv"]'

echo "== the identity byte for byte as Mender 3.4 sends it (the Go oracle)"
# The server keys a device by the SHA-256 of id_data, so a device moving
# from 3.4 keeps its identity only with the same bytes: 3.4's KeyValParser
# and Go 1.19's json.Marshal, whose escaping json-c does not share.
if ! command -v go >/dev/null; then
    echo "skipped: go is needed for tests/oracle (scripts/deps.sh installs it)"
else
    build_oracle server
    mkdir -p "$T/ids"
    # One file per case: the identity script's output.
    python3 - "$T/ids" <<'EOF'
import sys
cases = {
    "plain": b"mac=02:00:00:00:00:01\n",
    "mixed-case-keys": b"b=1\nB=2\na=3\nA=4\n_=5\n~=6\n0=7\n",
    "repeated-keys": b"serial=s2\nmac=m\nserial=s1\nserial=s3\n",
    "equals-in-values": b"key=value=23\nk==\n",
    "html": b"h=<script>&amp;</script>\n<k>=&\n",
    "line-separators": "ls=a\u2028b\u2029c\n".encode(),
    "tabs": b"t=\tx\t\ny\t=1\n",
    "control": b"c=" + bytes(b for b in range(1, 32) if b != 10) + b"\x7fend\n",
    "crlf": b"a=1\r\nb=2\r\r\n\r\nc=3\r",
    "invalid-utf8": b"bad=\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82\xf4\x90\x80\x80(\xc3\n",
    "invalid-utf8-keys": b"\xffk=v\nk\xc3=v2\n",
    "non-ascii": "name=h\u00e9llo \u65e5\u672c \U0001F600\n\u00e9=e\nz=\u00ff\n".encode(),
    "empty-values": b"empty=\ne=\ne=\n",
    "spaces-around-equals": b" key = value \n\tk2 =v\n",
    "empty-key": b"=novalue\n",
    "empty-lines": b"\n\n\nmac=1\n\n\n",
    "no-final-newline": b"mac=1",
    "quotes-backslashes": b'q="\\/\\u0041\n',
    "edge-code-points": "r=\ufffd\U0010FFFF\u007f\u0080\u07ff\u0800\uffff\U00010000\n".encode(),
    "json-looking-values": b'j={"a":1}\nj=[1,2]\n',
    "long-value": b"long=" + b"x<" * 30000 + b"\n",
    # 3.4 would send \u0000; artsig-update refuses the output instead.
    "nul-refused": b"n=a\x00b\n",
    # Refused by both.
    "refused-no-equals": b"mac=1\nnoequals\n",
    "refused-empty": b"",
    "refused-only-empty-lines": b"\n\r\n\n",
}
for name, data in cases.items():
    with open(sys.argv[1] + "/" + name, "wb") as f:
        f.write(data)
EOF
    device
    # id_data_since N FILE: the id_data of the last auth request after the
    # first N requests, as bytes, into FILE; false when there is none.
    id_data_since() {
        server_py 's, r = state()
seen = [x["body"]["id_data"] for x in r[int(args[0]):]
        if x["route"] == "auth" and isinstance(x["body"], dict)]
if not seen:
    sys.exit(1)
sys.stdout.buffer.write(seen[-1].encode())' "$1" >"$2"
    }
    for case in "$T"/ids/*; do
        name=${case##*/}
        printf '#!/bin/sh\nexec cat "%s"\n' "$case" >"$DEV/identity"
        "$ORACLE" identity <"$case" >"$T/want" 2>"$T/oracle.err"
        want=$?
        before=$(server_state 'len(r)')
        quiet >"$T/out" 2>"$T/err"
        got=$?
        case $name in
        refused-*)
            [ "$want" -ne 0 ] && [ "$got" -eq 1 ] && ok ||
                bad "identity $name: the oracle exits $want, artsig-update $got, want both refusing"
            expect_one_line_error "identity $name"
            continue ;;
        nul-*)
            [ "$want" -eq 0 ] && [ "$got" -eq 1 ] && grep -qF '\u0000' "$T/want" && ok ||
                bad "identity $name: the oracle exits $want ($(cat "$T/want")), artsig-update $got"
            contains "identity $name: the refusal names the NUL byte" "$T/err" "a NUL byte"
            continue ;;
        esac
        if [ "$want" -ne 0 ] || [ "$got" -ne 0 ]; then
            bad "identity $name: the oracle exits $want ($(cat "$T/oracle.err")), artsig-update $got ($(cat "$T/err"))"
            continue
        fi
        id_data_since "$before" "$T/got" || bad "identity $name: no auth request recorded"
        cmp -s "$T/want" "$T/got" && ok ||
            bad "identity $name: id_data $(head -c 300 "$T/got"), Mender 3.4 sends $(head -c 300 "$T/want")"
    done

    # The oracle against Mender 3.4 itself, on every accepted case at once.
    if ! command -v mender >/dev/null || [ ! -x "$PEER" ] || ! command -v unshare >/dev/null; then
        echo "skipped: mender 3.4 (mender-client) or $PEER is not available"
    else
        X=$T/m34id
        mkdir -p "$X/identity"
        for case in "$T"/ids/*; do
            case ${case##*/} in refused-* | nul-*) ;; *) cat "$case" && echo ;; esac
        done >"$T/all"
        printf '#!/bin/sh\nexec cat "%s"\n' "$T/all" >"$X/identity/mender-device-identity"
        chmod +x "$X/identity/mender-device-identity"
        "$ORACLE" identity <"$T/all" >"$T/want" 2>"$T/oracle.err" && ok ||
            bad "the oracle refuses every case at once: $(cat "$T/oracle.err")"
        before=$(server_state 'len(r)')
        "$PEER" "$X" "$SERVER_URL" 6 '' >"$T/m34.log" 2>&1
        if id_data_since "$before" "$T/got"; then
            cmp -s "$T/want" "$T/got" && ok ||
                bad "Mender 3.4 sends $(head -c 300 "$T/got"), the oracle says $(head -c 300 "$T/want")"
        else
            bad "mender 3.4 sent no auth request: $(tail -n 5 "$T/m34.log")"
        fi
    fi
fi

finish
