#!/bin/sh
# The Mender-server double (tests/mender_server.py) speaks the protocol: its
# own answers checked request by request (with both signature checkers), then
# Debian's mender 3.4 client runs a complete deployment against it and has a
# wrongly signed one refused, reporting failure and uploading its log.
BUILD=$1 SRC=$2
. "$SRC/tests/lib.sh"
. "$SRC/tests/server_lib.sh"
K=$VEC/keys
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
command -v python3 >/dev/null || { echo "skipped: the double needs python3" >&2; exit 77; }

# tally: PASS/FAIL lines of a check script (and anything else it said) counted.
tally() {
    while IFS= read -r line; do
        case $line in
            PASS*) ok ;;
            *) bad "$line" ;;
        esac
    done
}

# ---- The double's own answers, with urllib and openssl-made signatures.
head -c 100000 /dev/urandom >"$T/blob"
protocol_checks() { # protocol_checks LABEL: against the running double
    python3 - "$SERVER_URL" "$SERVER_DIR" "$K" "$T/blob" "$1" >"$T/checks" 2>&1 <<'EOF'
import base64, http.client, json, subprocess, sys, tempfile, time, urllib.request, urllib.error
url, directory, keys, blob_path, label = sys.argv[1:]
blob = open(blob_path, "rb").read()

def check(what, cond, detail=""):
    print("%s %s: %s%s" % ("PASS" if cond else "FAIL", label, what,
                           "" if cond else " (%s)" % (detail,)))

def call(method, path, body=None, headers=None):
    """(status, headers, body, complete) of one request."""
    request = urllib.request.Request(url + path, data=body, method=method, headers=headers or {})
    try:
        answer = urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read(), True
    with answer:
        try:
            return answer.status, answer.headers, answer.read(), True
        except http.client.IncompleteRead as cut:
            return answer.status, answer.headers, cut.partial, False

def control(name, obj):
    return call("POST", "/_double/" + name, json.dumps(obj).encode())[0]

def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout

def sign(key, body):
    # Ed25519 is one-shot: openssl wants a file, to know its size.
    with tempfile.NamedTemporaryFile() as f:
        f.write(body)
        f.flush()
        digest = [] if "ed25519" in key else ["-digest", "sha256"]
        return openssl("pkeyutl", "-sign", "-inkey", key, "-rawin", *digest, "-in", f.name)

def auth_body(key):
    pem = openssl("pkey", "-in", key, "-pubout").decode()
    return json.dumps({"id_data": json.dumps({"mac": "02:00:00:00:00:09"}),
                       "tenant_token": "", "pubkey": pem}).encode()

AUTH = "/api/devices/v1/authentication/auth_requests"
def auth(body, signature):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-MEN-Signature"] = base64.b64encode(signature).decode()
    return call("POST", AUTH, body, headers)

def ecdsa_raw(der):
    """r||s of a DER ECDSA signature, as a client that forgot DER would send."""
    ints = [line.split(":")[-1] for line in openssl("asn1parse", "-inform", "DER",
            data=der).decode().splitlines() if "INTEGER" in line]
    return b"".join(bytes.fromhex(i).rjust(32, b"\0") for i in ints)

# Auth: each key type signs as the clients do (OpenSSL: DER for ECDSA).
token = None
for name in ("rsa3072.pkcs1.key", "ecp256.sec1.key", "ed25519.key"):
    key = keys + "/" + name
    body = auth_body(key)
    status, headers, answer, _ = auth(body, sign(key, body))
    check(name + " auth accepted", status == 200 and
          headers.get("Content-Type") == "application/jwt" and answer.count(b".") == 2, status)
    token = token or answer.decode()
    check(name + " signature over other bytes: 401",
          auth(body + b" ", sign(key, body))[0] == 401)
key = keys + "/ecp256.sec1.key"
body = auth_body(key)
der = sign(key, body)
check("ECDSA r||s refused as deviceauth does: 401", auth(body, ecdsa_raw(der))[0] == 401)
check("ECDSA DER with trailing bytes taken as deviceauth does",
      auth(body, der + b"\0\0")[0] == 200)
check("no signature header: 400", auth(body, None)[0] == 400)
check("signature not base64: 401", call("POST", AUTH, body, {"X-MEN-Signature": "!!"})[0] == 401)
check("id_data not a string: 400", auth(b'{"id_data":{},"pubkey":""}', b"x")[0] == 400)
control("pending", {"times": 1})
check("pending device: 401", auth(body, der)[0] == 401)
status, _, fresh, _ = auth(body, der)
check("accepted after pending", status == 200, status)

# Device calls need an issued token.
bearer = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
INV = "/api/devices/v1/inventory/device/attributes"
attributes = json.dumps([{"name": "device_type", "value": "dev-x"},
                         {"name": "list", "value": ["a", "b"]}]).encode()
check("inventory without token: 401", call("PUT", INV, attributes)[0] == 401)
check("inventory with a foreign token: 401",
      call("PUT", INV, attributes, {"Authorization": "Bearer x.y.z"})[0] == 401)
check("inventory: 200", call("PUT", INV, attributes, bearer)[0] == 200)
check("inventory by PATCH: 200", call("PATCH", INV, attributes, bearer)[0] == 200)
DEP = "/api/devices/v1/deployments/device/deployments"
provides = json.dumps({"device_type": "dev-x", "artifact_name": "rel-1"}).encode()
check("next v2: 404", call("POST", "/api/devices/v2/deployments/device/deployments/next",
                          provides, bearer)[0] == 404)
check("next v1 without token: 401", call("POST", DEP + "/next", provides)[0] == 401)
check("next v1, nothing to do: 204", call("POST", DEP + "/next", provides, bearer)[0] == 204)

# A deployment: offered by both v1 forms, served with Range.
control("deployment", {"id": "d1", "artifact_name": "rel-2", "artifact": blob_path,
                       "device_types_compatible": ["dev-x"]})
status, _, answer, _ = call("POST", DEP + "/next", provides, bearer)
offer = json.loads(answer) if status == 200 else {}
check("next v1 POST offers d1", offer.get("id") == "d1" and
      offer["artifact"]["artifact_name"] == "rel-2" and
      offer["artifact"]["device_types_compatible"] == ["dev-x"] and
      offer["artifact"]["source"]["expire"], answer)
status, _, answer, _ = call("GET", DEP + "/next?artifact_name=rel-1&device_type=dev-x",
                            headers=bearer)
check("next v1 GET offers d1", status == 200 and json.loads(answer)["id"] == "d1", status)
uri = offer["artifact"]["source"]["uri"]
path = uri[len(url):]
check("download URL on this server with a token", uri.startswith(url + "/artifacts/d1?token="))
status, headers, data, _ = call("GET", path)
check("download: the file, with Content-Length, ETag, Accept-Ranges",
      status == 200 and data == blob and headers["Content-Length"] == str(len(blob)) and
      headers["ETag"] and headers["Accept-Ranges"] == "bytes", status)
status, headers, data, _ = call("GET", path, headers={"Range": "bytes=1000-"})
check("Range: 206 with Content-Range", status == 206 and data == blob[1000:] and
      headers["Content-Range"] == "bytes 1000-%d/%d" % (len(blob) - 1, len(blob)),
      (status, headers.get("Content-Range")))
check("Range past the end: 416",
      call("GET", path, headers={"Range": "bytes=%d-" % len(blob)})[0] == 416)
check("download with a wrong token: 403", call("GET", "/artifacts/d1?token=no")[0] == 403)
control("fault", {"route": "download", "cut_after": 5000})
status, _, data, complete = call("GET", path)
check("cut download: 5000 bytes of the file, then closed",
      not complete and data == blob[:5000], (status, len(data)))
check("after the cut, whole again", call("GET", path)[2] == blob)

# Statuses, faults and logs.
def put_status(dep, value):
    return call("PUT", "%s/%s/status" % (DEP, dep), json.dumps({"status": value}).encode(),
                bearer)[0]
check("status downloading: 204", put_status("d1", "downloading") == 204)
check("status without token: 401", call("PUT", DEP + "/d1/status", b'{"status":"installing"}')[0] == 401)
check("status unknown value: 400", put_status("d1", "dancing") == 400)
check("status of an unknown deployment: 404", put_status("nope", "installing") == 404)
control("fault", {"route": "status", "status": 409})
check("fault 409 on status", put_status("d1", "installing") == 409)
check("fault used once", put_status("d1", "installing") == 204)
control("fault", {"route": "next_v1_post", "status": 503, "skip": 1, "times": 2})
codes = [call("POST", DEP + "/next", provides, bearer)[0] for _ in range(4)]
check("fault skip 1 times 2: 200, 503, 503, 200", codes == [200, 503, 503, 200], codes)
control("fault", {"route": "next_v1_post", "status": 200, "body": "{not json"})
check("fault with garbage JSON", call("POST", DEP + "/next", provides, bearer)[:3:2] ==
      (200, b"{not json"))
control("fault", {"route": "inventory", "delay": 1})
start = time.monotonic()
status = call("PUT", INV, attributes, bearer)[0]
check("fault delay: slow, then answered", status == 200 and time.monotonic() - start >= 1)
log = {"messages": [{"timestamp": "2024-01-01T00:00:00Z", "level": "error", "message": "m"}]}
check("log: 204", call("PUT", DEP + "/d1/log", json.dumps(log).encode(), bearer)[0] == 204)
check("log not JSON: 400", call("PUT", DEP + "/d1/log", b"not json", bearer)[0] == 400)
check("status success: 204", put_status("d1", "success") == 204)
check("finished d1 offered no more", call("POST", DEP + "/next", provides, bearer)[0] == 204)

control("deployment", {"id": "d2", "artifact": blob_path})
status, _, answer, _ = call("GET", DEP + "/next?artifact_name=rel-1&device_type=dev-x",
                            headers=bearer)
check("a deployment without device_types_compatible",
      status == 200 and "device_types_compatible" not in json.loads(answer)["artifact"], answer)
control("abort", {"id": "d2"})
check("aborted: status 409", put_status("d2", "downloading") == 409)
check("aborted d2 offered no more", call("POST", DEP + "/next", provides, bearer)[0] == 204)

control("revoke", {})
check("revoked token: 401", call("PUT", INV, attributes, bearer)[0] == 401)
check("unknown path: 404", call("GET", "/api/devices/v1/nothing", headers=bearer)[0] == 404)

# What the state and the request log show.
state = json.loads(call("GET", "/_double/state")[2])
check("state: d1's accepted statuses and its log",
      state["deployments"]["d1"] == {"statuses": ["downloading", "installing", "success"],
                                     "logs": [log["messages"]], "aborted": False},
      state["deployments"]["d1"])
check("state: inventory", state["inventory"] == json.loads(attributes) and
      state["inventory_count"] == 3, state["inventory_count"])
pems = [openssl("pkey", "-in", keys + "/" + k, "-pubout").decode()
        for k in ("rsa3072.pkcs1.key", "ecp256.sec1.key", "ed25519.key")]
check("state: the three public keys, once each", state["pubkeys"] == pems, state["pubkeys"])
check("state: auth count", state["auth_count"] == 11, state["auth_count"])
with open(directory + "/requests.jsonl") as f:
    r = [json.loads(line) for line in f]
ranged = [x for x in r if x["route"] == "download" and x["range"]]
check("log: a ranged download, no Authorization, query kept",
      ranged and ranged[0]["authorization"] is None and ranged[0]["status"] == 206 and
      ranged[0]["deployment"] == "d1" and ranged[0]["query"]["token"], ranged[:1])
statuses = [x for x in r if x["route"] == "status" and x["deployment"] == "d1"]
check("log: status bodies decoded, answers kept",
      statuses[0]["body"] == {"status": "downloading"} and statuses[0]["status"] == 204 and
      statuses[0]["authorization"] == "Bearer " + token)
next_get = [x for x in r if x["route"] == "next_v1_get"][0]
check("log: query decoded", next_get["query"] == {"artifact_name": "rel-1", "device_type": "dev-x"})
check("log: a body that is not JSON kept as text",
      any(x["route"] == "log" and x["body"] == "not json" and x["status"] == 400 for x in r))
EOF
    tally <"$T/checks"
}

server_start "$T/srv-a" && protocol_checks cryptography
server_stop
export MENDER_DOUBLE_VERIFIER=openssl
server_start "$T/srv-b" && protocol_checks openssl
unset MENDER_DOUBLE_VERIFIER
server_stop
# ---- The real client: Debian's mender 3.4 in daemon mode, sandboxed.
PEER=$VEC/../peers/mender34-daemon
real_client_missing() {
    [ "$(id -u)" -eq 0 ] || { echo "running mender 3.4 needs root"; return; }
    command -v unshare >/dev/null && unshare -m true 2>/dev/null ||
        { echo "unshare -m is not available here"; return; }
    command -v mender >/dev/null || { echo "the mender client is not installed"; return; }
    [ -f "$PEER" ] || echo "$PEER is missing"
}
missing=$(real_client_missing)
if [ -n "$missing" ]; then
    echo "skipped, the real client's part: $missing" >&2
    finish
    exit
fi

DEV=sandbox-device # what mender34-daemon's sandbox says it is
SB=$T/sandbox

# single_file NAME DEST: $T/NAME.mender, signed with the P-256 key, which the
# single-file module installs as DEST/payload.txt.
single_file() {
    mkdir -p "$T/$1"
    printf '%s' "$2" >"$T/$1/dest_dir"
    printf 'payload.txt' >"$T/$1/filename"
    printf '0640' >"$T/$1/permissions"
    printf '%s\n' "$1 payload" >"$T/$1/payload.txt"
    expect_exit 0 "artsig write $1" "$ARTSIG" write module-image -T single-file -n "$1" \
        -t "$DEV" -f "$T/$1/dest_dir" -f "$T/$1/filename" -f "$T/$1/permissions" \
        -f "$T/$1/payload.txt" -k "$K/ecp256.pkcs8.key" -o "$T/$1.mender"
}

# run_client NAME CONF_MEMBERS UNTIL: run the client's daemon (mender.conf
# members as mender34-daemon takes them) until the state satisfies UNTIL (at
# most 40 s), then stop it; its log is $T/NAME.client.log.
run_client() {
    sh "$PEER" "$SB" "$SERVER_URL" 45 "$2" >"$T/$1.client.log" 2>&1 &
    client=$!
    STOP_AT_EXIT="$STOP_AT_EXIT $client"
    server_wait 40 "$3" || bad "$1: the client did not get there in 40 s: $(server_state \
        's["deployments"]'); its errors: $(grep -m 5 'level=error' "$T/$1.client.log")"
    kill "$client" 2>/dev/null
    wait "$client" 2>/dev/null
}

# deploy ID NAME CONF_MEMBERS UNTIL: offer $T/NAME.mender as deployment ID,
# then run_client.
deploy() {
    server_ctl deployment "{\"id\":\"$1\",\"artifact_name\":\"$2\",\"artifact\":\"$T/$2.mender\",
        \"device_types_compatible\":[\"$DEV\"]}" >/dev/null
    run_client "$1" "$3" "$4"
}

# requests_of: the device's requests, one word each: the route, then the
# status reported or the answer's code.
requests_of() {
    server_state '" ".join(x["route"] + ":" + (x["body"]["status"] if x["route"] == "status"
                           else str(x["status"])) for x in r if x["route"] != "control")'
}

# (a) A complete deployment. The device key is 3.4's own (RSA 3072, made at
# its first start); the double checks it on every auth.
single_file sf-2 "$T/dest"
server_start "$T/srv-real" || { finish; exit; }
deploy d1 sf-2 "\"ArtifactVerifyKey\":\"$K/ecp256.pub\"," \
    'set(s["deployments"]["d1"]["statuses"]) & {"success", "failure"}'
seen=$(requests_of)
echo "$seen" >"$T/seen"
# In this order, though 3.4 repeats some statuses and authenticates again
# before it commits.
if python3 -c '
import sys
seen, want = sys.argv[1].split(), sys.argv[2].split()
rest = iter(seen)
sys.exit(0 if seen[0] == "auth:200" and all(w in rest for w in want) else 1)' "$seen" \
    "auth:200 inventory:200 next_v2:404 next_v1_post:200 status:downloading download:200
     status:installing status:success"; then ok; else bad "(a) requests out of order: $seen"; fi
lacks "(a) no failure reported" "$T/seen" "status:failure"
[ "$(server_state 's["deployments"]["d1"]["logs"]')" = "[]" ] && ok || bad "(a) a log was uploaded"
[ "$(server_state '[x["authorization"] for x in r if x["route"] == "download"]')" = "[null]" ] &&
    ok || bad "(a) the download carried an Authorization header"
[ "$(cat "$T/dest/payload.txt" 2>/dev/null)" = "sf-2 payload" ] && ok ||
    bad "(a) $T/dest/payload.txt is not sf-2's: $(ls -l "$T/dest" 2>&1)"
[ "$(stat -c %a "$T/dest/payload.txt" 2>/dev/null)" = 640 ] && ok || bad "(a) payload mode"
server_stop

# (b) A refused one: the verification key is not the signer's. Over https
# this time, with a self-signed certificate that ServerCertificate names; the
# device key is P-256 and the double checks with openssl: 3.4 signs its auth
# request in DER, as deviceauth expects.
single_file sf-3 "$T/dest3"
cp "$K/ecp256.sec1.key" "$SB/data/mender-agent.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost \
    -keyout "$T/tls.key" -out "$T/tls.pem" 2>"$T/err" || bad "a TLS certificate: $(cat "$T/err")"
export MENDER_DOUBLE_VERIFIER=openssl
server_start "$T/srv-refused" --tls "$T/tls.pem" "$T/tls.key" || { finish; exit; }
unset MENDER_DOUBLE_VERIFIER
case $SERVER_URL in https://localhost:*) ok ;; *) bad "--tls: url $SERVER_URL" ;; esac
python3 -c 'import ssl, sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/_double/state", timeout=10,
    context=ssl.create_default_context(cafile=sys.argv[2]))' "$SERVER_URL" "$T/tls.pem" &&
    ok || bad "--tls: the certificate does not verify for $SERVER_URL"
deploy d2 sf-3 "\"ArtifactVerifyKey\":\"$K/ecp256b.pub\",\"ServerCertificate\":\"$T/tls.pem\"," \
    '"success" in s["deployments"]["d2"]["statuses"] or s["deployments"]["d2"]["logs"]'
seen=$(requests_of)
echo "$seen" >"$T/seen"
contains "(b) failure reported" "$T/seen" "status:failure"
lacks "(b) no success" "$T/seen" "status:success"
lacks "(b) nothing installing" "$T/seen" "status:installing"
server_state '"\n".join(m["message"] for upload in s["deployments"]["d2"]["logs"] for m in upload)' \
    >"$T/uploaded"
contains "(b) the uploaded log names the signature" "$T/uploaded" "signature"
[ "$(server_state 's["pubkeys"]')" = "$(openssl pkey -in "$K/ecp256.sec1.key" -pubout |
    python3 -c 'import json, sys; print(json.dumps([sys.stdin.read()]))')" ] &&
    ok || bad "(b) the double saw other device keys than the P-256 one: $(server_state 's["pubkeys"]')"
[ ! -e "$T/dest3" ] && ok || bad "(b) the refused artifact installed something: $(ls "$T/dest3")"
server_stop

# (c) An Ed25519 device key: 3.4 signs the body itself, which the double takes.
cp "$K/ed25519.key" "$SB/data/mender-agent.pem"
server_start "$T/srv-ed25519" || { finish; exit; }
run_client ed25519 '' 's["inventory_count"] > 0'
case $(requests_of) in "auth:200 inventory:200"*) ok ;; *) bad "(c) requests: $(requests_of)" ;; esac
[ "$(server_state 's["pubkeys"][0]')" = "$(openssl pkey -in "$K/ed25519.key" -pubout)" ] &&
    ok || bad "(c) the double did not see the Ed25519 key: $(server_state 's["pubkeys"]')"
server_stop

finish
