#!/usr/bin/env python3
"""A Mender-server double for the device-client tests: loopback only, Python's
standard library (plus the `cryptography` package or the `openssl` command to
check auth signatures).

usage: mender_server.py DIR [--tls CERT.pem KEY.pem] [--port N]

--port: listen on N instead of a free port (a test restarts a server where
its client expects it).

Once listening it writes DIR/url (atomically) and appends every request it
answered to DIR/requests.jsonl, one JSON object a line. Tests steer it through
/_double/ on the same port; tests/server_lib.sh wraps that. The device API
follows ../shared/SERVER.md and the open-source server's devices_api.yml files;
where the real server would not offer something (a device type the artifact
does not list; the artifact the device already runs, which deployments marks
already-installed itself) the double offers it anyway, as deciding is the
client's job under test. Deployments are offered oldest first, each until it
has a final status or is aborted. Like deployments, it accepts a status
repeated (the state lists every accepted report, repeats included) and
answers 409 to any status of an aborted deployment. A fault's answer leaves
the state as it was.

Environment: MENDER_DOUBLE_VERIFIER=openssl checks signatures with the openssl
command even when `cryptography` is installed (so tests cover both).
"""
import base64
import datetime
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
CHUNK = 64 * 1024
# deviceauth takes only this PEM block type (utils.ParsePubKey).
PEM_SPKI = "-----BEGIN PUBLIC KEY-----"
DEVICES = "/api/devices/v1"
DEPLOYMENTS = DEVICES + "/deployments/device/deployments"
FINAL_STATUSES = {"success", "failure", "already-installed"}
# What the deployments service accepts in a status PUT.
KNOWN_STATUSES = FINAL_STATUSES | {
    "downloading", "installing", "rebooting", "pause_before_installing",
    "pause_before_committing", "pause_before_rebooting"}
ROUTES = {"auth", "inventory", "next_v2", "next_v1_post", "next_v1_get", "status",
          "log", "download", "control", "unknown"}


class Refusal(Exception):
    """An answer other than success, with Mender's error body."""

    def __init__(self, status, message, headers=()):
        super().__init__(message)
        self.status = status
        self.headers = headers


# ---------------------------------------------------------------- signatures
# Both clients sign through OpenSSL, so an ECDSA signature comes DER-encoded;
# deviceauth (utils/crypto.go) accepts RSA PKCS#1 v1.5 and ECDSA over SHA-256 of
# the body (ECDSA only as DER) and Ed25519 over the body itself.

class CryptographyKeys:
    """Keys and signatures through the `cryptography` package."""

    @staticmethod
    def load(pem):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
        try:
            key = serialization.load_pem_public_key(pem.encode())
        except ValueError:
            return None
        kinds = ((rsa.RSAPublicKey, "rsa"), (ec.EllipticCurvePublicKey, "ec"),
                 (ed25519.Ed25519PublicKey, "ed25519"))
        kind = next((k for cls, k in kinds if isinstance(key, cls)), None)
        if kind is None:
            return None
        return kind, key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @staticmethod
    def verify(kind, pem, signature, body):
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, padding
        key = serialization.load_pem_public_key(pem.encode())
        args = {"rsa": (padding.PKCS1v15(), hashes.SHA256()),
                "ec": (ec.ECDSA(hashes.SHA256()),), "ed25519": ()}[kind]
        try:
            key.verify(signature, body, *args)
        except InvalidSignature:
            return False
        return True


class OpensslKeys:
    """The same through the openssl command, for a python3 without `cryptography`."""

    @staticmethod
    def load(pem):
        run = subprocess.run(["openssl", "pkey", "-pubin", "-pubout", "-text"],
                             input=pem.encode(), capture_output=True, text=False)
        if run.returncode != 0:
            return None
        out = run.stdout.decode()
        normalized = out[:out.index("-----END PUBLIC KEY-----\n") + 25]
        text = out[len(normalized):]
        if text.startswith("ED25519"):
            return "ed25519", normalized
        if "Modulus:" in text:
            return "rsa", normalized
        return ("ec", normalized) if "ASN1 OID:" in text else None

    @staticmethod
    def verify(kind, pem, signature, body):
        with tempfile.TemporaryDirectory() as tmp:
            paths = {}
            for name, data in (("key", pem.encode()), ("sig", signature), ("body", body)):
                paths[name] = os.path.join(tmp, name)
                with open(paths[name], "wb") as f:
                    f.write(data)
            # -rawin: openssl hashes the body itself (Ed25519 signs it whole).
            digest = [] if kind == "ed25519" else ["-digest", "sha256"]
            run = subprocess.run(
                ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", paths["key"], "-rawin",
                 *digest, "-in", paths["body"], "-sigfile", paths["sig"]],
                capture_output=True)
            return run.returncode == 0


def _der_prefix(signature):
    """deviceauth decodes an ECDSA signature with Go's asn1.Unmarshal and
    ignores what follows the DER SEQUENCE; up to P-384 its length fits the
    short form, the second byte."""
    if len(signature) >= 2 and signature[0] == 0x30 and signature[1] < 0x80:
        return signature[:2 + signature[1]]
    return signature


def signature_valid(kind, pem, header, body):
    try:
        signature = base64.b64decode(header, validate=True)
    except ValueError:
        return False
    if kind == "ec":
        signature = _der_prefix(signature)
    return KEYS.verify(kind, pem, signature, body)


def _keys_backend():
    if os.environ.get("MENDER_DOUBLE_VERIFIER") != "openssl":
        try:
            import cryptography.hazmat.primitives.asymmetric.ed25519  # noqa: F401
            return CryptographyKeys
        except ImportError:
            pass
    return OpensslKeys


KEYS = _keys_backend()


# ---------------------------------------------------------------- state

def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _fresh_token():
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()
    claims = {"jti": secrets.token_hex(16), "sub": secrets.token_hex(8),
              "exp": int(time.time()) + 7 * 24 * 3600, "iss": "Mender", "mender.device": True}
    return ".".join([part({"alg": "RS256", "typ": "JWT"}), part(claims),
                     secrets.token_urlsafe(32)])


class State:
    """Everything the double knows; one lock guards all of it."""

    def __init__(self, directory):
        self.lock = threading.Lock()
        self.log_path = os.path.join(directory, "requests.jsonl")
        self.tokens = set()
        self.deployments = {}  # id -> dict, in the order they were posted
        self.faults = {}  # route -> [fault, ...]
        self.pending = 0
        self.pubkeys = []
        self.inventory = None
        self.inventory_count = 0
        self.auth_count = 0
        self.requests = 0

    def record(self, entry):
        with self.lock:
            self.requests += 1
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def take_fault(self, route):
        """The fault that applies to this request, if any, counting it."""
        with self.lock:
            queue = self.faults.get(route)
            if not queue:
                return None
            fault = queue[0]
            if fault["skip"] > 0:
                fault["skip"] -= 1
                return None
            if fault["times"] > 0:
                fault["times"] -= 1
                if fault["times"] == 0:
                    queue.pop(0)
            return dict(fault)

    def current_deployment(self):
        with self.lock:
            for dep in self.deployments.values():
                if not dep["finished"] and not dep["aborted"]:
                    return dict(dep)
        return None

    def snapshot(self):
        with self.lock:
            return {
                "deployments": {i: {"statuses": list(d["statuses"]), "logs": list(d["logs"]),
                                    "aborted": d["aborted"]}
                                for i, d in self.deployments.items()},
                "inventory": self.inventory, "inventory_count": self.inventory_count,
                "pubkeys": list(self.pubkeys), "auth_count": self.auth_count,
                "requests": self.requests}


# ---------------------------------------------------------------- handler

def route_of(method, path):
    if path.startswith("/_double/"):
        return "control", None
    if path == DEVICES + "/authentication/auth_requests" and method == "POST":
        return "auth", None
    if path == DEVICES + "/inventory/device/attributes" and method in ("PUT", "PATCH"):
        return "inventory", None
    if path == "/api/devices/v2/deployments/device/deployments/next" and method == "POST":
        return "next_v2", None
    if path == DEPLOYMENTS + "/next":
        return {"POST": "next_v1_post", "GET": "next_v1_get"}.get(method, "unknown"), None
    m = re.fullmatch(re.escape(DEPLOYMENTS) + r"/([^/]+)/(status|log)", path)
    if m and method == "PUT":
        return m.group(2), urllib.parse.unquote(m.group(1))
    m = re.fullmatch(r"/artifacts/([^/]+)", path)
    if m and method == "GET":
        return "download", urllib.parse.unquote(m.group(1))
    return "unknown", None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    parsed = False  # http.server's own refusals of a bad request line go unrecorded
    server_version = "mender-double/1"

    def log_message(self, *args):
        pass  # requests.jsonl is the log

    def do_GET(self):
        self.handle_request()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    # -- plumbing

    def handle_request(self):
        url = urllib.parse.urlsplit(self.path)
        self.url_path = url.path
        self.query = {k: v[0] if len(v) == 1 else v
                      for k, v in urllib.parse.parse_qs(url.query).items()}
        self.route, self.deployment = route_of(self.command, url.path)
        self.raw_body = b""
        self.parsed = True
        try:
            self.raw_body = self.read_body()
            taken = self.state.take_fault(self.route) if self.route != "control" else None
            self.fault = taken or {}
            time.sleep(self.fault.get("delay", 0))
            if "status" in self.fault or "body" in self.fault:
                self.send_raw(self.fault.get("status", 200), self.fault.get("body"))
            else:
                getattr(self, "route_" + self.route)()
        except Refusal as refusal:
            self.send_json(refusal.status, {"error": str(refusal),
                                            "request_id": secrets.token_hex(8)},
                           refusal.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def read_body(self):
        try:
            return self.read_framed_body()
        except ValueError:
            self.close_connection = True
            raise Refusal(400, "malformed body framing")

    def read_framed_body(self):
        # 3.4 in daemon mode sends through its local proxy, which streams
        # bodies chunked; Go's server, the real one, reads both framings.
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        self.check_size(length)
        return self.rfile.read(length) if length > 0 else b""

    def read_chunked(self):
        body = b""
        while True:
            size = int(self.rfile.readline(100).split(b";")[0].strip() or b"x", 16)
            self.check_size(len(body) + size)
            body += self.rfile.read(size)
            self.rfile.readline(10)  # the CRLF ending the chunk
            if size == 0:
                return body  # trailers are not used by any client here

    def check_size(self, length):
        if length > MAX_BODY:
            self.close_connection = True
            raise Refusal(413, "request body too large")

    def body_json(self):
        try:
            return json.loads(self.raw_body)
        except ValueError:
            return None

    def send_response(self, code, message=None):
        # Recorded before the client can see the answer, so that the log
        # keeps the order in which a client made its requests.
        if self.parsed:
            self.record(code)
        super().send_response(code, message)

    def record(self, status):
        body = None
        if self.raw_body:
            body = self.body_json()
            if body is None:
                body = self.raw_body.decode("utf-8", "replace")
        self.state.record({
            "method": self.command, "path": self.url_path, "query": self.query,
            "route": self.route, "deployment": self.deployment, "status": status,
            "authorization": self.headers.get("Authorization"),
            "range": self.headers.get("Range"), "body": body})

    def send_raw(self, status, body, content_type="application/json", headers=()):
        data = b"" if body is None else body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status not in (204, 304):
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, obj, headers=()):
        self.send_raw(status, None if obj is None else json.dumps(obj), headers=headers)

    def require_token(self):
        header = self.headers.get("Authorization") or ""
        token = header[len("Bearer "):] if header.startswith("Bearer ") else None
        with self.state.lock:
            if token not in self.state.tokens:
                raise Refusal(401, "unauthorized")

    def deployment_known(self):
        with self.state.lock:
            dep = self.state.deployments.get(self.deployment)
            if dep is None:
                raise Refusal(404, "deployment not found")
            return dep

    # -- device API

    def route_auth(self):
        request = self.body_json()
        if not isinstance(request, dict) or not isinstance(request.get("id_data"), str) \
                or not isinstance(request.get("pubkey"), str):
            raise Refusal(400, "invalid auth request")
        try:
            identity = json.loads(request["id_data"])
        except ValueError:
            identity = None
        if not isinstance(identity, dict) or not identity:
            raise Refusal(400, "id_data must be a JSON object")
        key = KEYS.load(request["pubkey"]) if PEM_SPKI in request["pubkey"] else None
        if key is None:
            raise Refusal(400, "cannot decode public key")
        kind, pem = key
        header = self.headers.get("X-MEN-Signature")
        if not header:
            raise Refusal(400, "missing request signature header")
        with self.state.lock:
            self.state.auth_count += 1
            if pem not in self.state.pubkeys:
                self.state.pubkeys.append(pem)
            pending = self.state.pending > 0
            if pending:
                self.state.pending -= 1
        if pending:
            raise Refusal(401, "unauthorized")
        if not signature_valid(kind, pem, header, self.raw_body):
            raise Refusal(401, "signature verification failed")
        token = _fresh_token()
        with self.state.lock:
            self.state.tokens.add(token)
        self.send_raw(200, token, "application/jwt")

    def route_inventory(self):
        self.require_token()
        attributes = self.body_json()
        if not isinstance(attributes, list) or not all(
                isinstance(a, dict) and isinstance(a.get("name"), str) and "value" in a
                for a in attributes):
            raise Refusal(400, "invalid attributes")
        with self.state.lock:
            self.state.inventory = attributes
            self.state.inventory_count += 1
        self.send_json(200, None)

    def route_next_v2(self):
        self.require_token()
        raise Refusal(404, "not found")

    def route_next_v1_post(self):
        self.require_token()
        if not isinstance(self.body_json(), dict):
            raise Refusal(400, "invalid device provides")
        self.offer()

    def route_next_v1_get(self):
        self.require_token()
        if "device_type" not in self.query or "artifact_name" not in self.query:
            raise Refusal(400, "missing device_type or artifact_name")
        self.offer()

    def offer(self):
        dep = self.state.current_deployment()
        if dep is None:
            self.send_json(204, None)
            return
        self.deployment = dep["id"]
        expire = (_now() + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        uri = dep["uri"] or "%s/artifacts/%s?token=%s" % (
            self.server.url, urllib.parse.quote(dep["id"]), dep["download_token"])
        artifact = {"id": dep["artifact_id"], "artifact_name": dep["artifact_name"],
                    "source": {"uri": uri, "expire": expire}}
        if dep["device_types_compatible"] is not None:
            artifact["device_types_compatible"] = dep["device_types_compatible"]
        self.send_json(200, {"id": dep["id"], "artifact": artifact})

    def route_status(self):
        self.require_token()
        report = self.body_json()
        if not isinstance(report, dict) or report.get("status") not in KNOWN_STATUSES:
            raise Refusal(400, "invalid status")
        dep = self.deployment_known()
        with self.state.lock:
            if dep["aborted"]:
                raise Refusal(409, "deployment aborted")
            dep["statuses"].append(report["status"])
            if report["status"] in FINAL_STATUSES:
                dep["finished"] = True
        self.send_json(204, None)

    def route_log(self):
        self.require_token()
        log = self.body_json()
        if not isinstance(log, dict) or not isinstance(log.get("messages"), list):
            raise Refusal(400, "invalid log")
        dep = self.deployment_known()
        with self.state.lock:
            dep["logs"].append(log["messages"])
        self.send_json(204, None)

    def route_download(self):
        dep = self.deployment_known()
        if self.query.get("token") != dep["download_token"]:
            raise Refusal(403, "signature does not match")
        try:
            f = open(dep["artifact"], "rb")
        except OSError:
            raise Refusal(404, "artifact not found")
        with f:
            info = os.fstat(f.fileno())
            size = info.st_size
            start, end = self.byte_range(size)
            headers = [("ETag", '"%x-%x"' % (size, info.st_mtime_ns)),
                       ("Accept-Ranges", "bytes"), ("Content-Length", str(end - start))]
            status = 200
            if self.headers.get("Range"):
                status = 206
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end - 1, size)))
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.mender-artifact")
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            f.seek(start)
            self.stream(f, end - start, self.fault.get("cut_after"))

    def byte_range(self, size):
        header = self.headers.get("Range")
        if not header:
            return 0, size
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", header.strip())
        if not m or int(m.group(1)) >= size:
            raise Refusal(416, "range not satisfiable",
                          [("Content-Range", "bytes */%d" % size)])
        last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        return int(m.group(1)), last + 1

    def stream(self, f, length, cut_after):
        """Sends LENGTH bytes of F; with CUT_AFTER, only that many, then
        drops the connection, as a network cut would."""
        left = length if cut_after is None else min(length, cut_after)
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                break
            self.wfile.write(data)
            left -= len(data)
        if cut_after is not None and cut_after < length:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)

    def route_unknown(self):
        raise Refusal(404, "not found")

    # -- control

    def route_control(self):
        name = self.url_path[len("/_double/"):]
        if name == "state" and self.command == "GET":
            self.send_json(200, self.state.snapshot())
            return
        request = self.body_json()
        if self.command != "POST" or not isinstance(request, dict):
            raise Refusal(400, "control: POST a JSON object")
        action = {"deployment": self.control_deployment, "fault": self.control_fault,
                  "revoke": self.control_revoke, "pending": self.control_pending,
                  "abort": self.control_abort}.get(name)
        if action is None:
            raise Refusal(404, "no control " + name)
        action(request)
        self.send_json(200, {"ok": True})

    def control_deployment(self, request):
        for key in ("id", "artifact"):
            if not isinstance(request.get(key), str):
                raise Refusal(400, "deployment: %s is required" % key)
        # "uri": offered as the download instead of the double's own (a
        # storage host elsewhere).
        if not isinstance(request.get("uri", ""), str):
            raise Refusal(400, "deployment: uri is a string")
        with self.state.lock:
            self.state.deployments[request["id"]] = {
                "id": request["id"], "artifact": request["artifact"],
                "artifact_name": request.get("artifact_name", request["id"]),
                "device_types_compatible": request.get("device_types_compatible"),
                "uri": request.get("uri"),
                "artifact_id": secrets.token_hex(16), "download_token": secrets.token_urlsafe(24),
                "statuses": [], "logs": [], "finished": False, "aborted": False}

    def control_fault(self, request):
        if request.get("route") not in ROUTES - {"control"}:
            raise Refusal(400, "fault: unknown route")
        fault = {"times": int(request.get("times", 1)), "skip": int(request.get("skip", 0))}
        if fault["times"] == 0 or fault["times"] < -1:
            raise Refusal(400, "fault: times is -1 (forever) or at least 1")
        for key in ("status", "body", "delay", "cut_after"):
            if key in request:
                fault[key] = request[key]
        with self.state.lock:
            self.state.faults.setdefault(request["route"], []).append(fault)

    def control_revoke(self, _request):
        with self.state.lock:
            self.state.tokens.clear()

    def control_pending(self, request):
        with self.state.lock:
            self.state.pending = int(request.get("times", 1))

    def control_abort(self, request):
        with self.state.lock:
            dep = self.state.deployments.get(request.get("id"))
            if dep is None:
                raise Refusal(404, "no deployment %r" % request.get("id"))
            dep["aborted"] = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64


def main(argv):
    port = 0
    if len(argv) >= 3 and argv[-2] == "--port":
        port = int(argv[-1])
        argv = argv[:-2]
    if len(argv) not in (1, 4) or (len(argv) == 4 and argv[1] != "--tls"):
        sys.exit("usage: mender_server.py DIR [--tls CERT.pem KEY.pem] [--port N]")
    directory = argv[0]
    server = Server(("127.0.0.1", port), Handler)
    scheme, host = "http", "127.0.0.1"
    if len(argv) == 4:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(argv[2], argv[3])
        # The handshake happens in the request's thread, so a silent client
        # cannot hold up the accepting loop.
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
        scheme, host = "https", "localhost"
    server.url = "%s://%s:%d" % (scheme, host, server.server_address[1])
    Handler.state = State(directory)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    tmp = os.path.join(directory, ".url.tmp")
    with open(tmp, "w") as f:
        f.write(server.url + "\n")
    os.replace(tmp, os.path.join(directory, "url"))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
