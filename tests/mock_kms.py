#!/usr/bin/env python3
"""Google Cloud KMS or HashiCorp Vault Transit, as a local mock for the tests.

Usage: mock_kms.py gcp|vault PORTFILE LOGFILE [options] KEY...

Listens on 127.0.0.1 (or --bind ADDR) on a free port, written to PORTFILE
once listening, and exits by itself after --lifetime seconds (default 300),
so a test that dies cannot leave it behind. Signs with local key files
through the openssl command line.

KEY is ID=ALGORITHM:FILE[,FILE...]: the key ID (a Cloud KMS cryptoKey ID, a
Vault key name), its algorithm (Cloud KMS: EC_SIGN_P256_SHA256,
RSA_SIGN_PKCS1_3072_SHA256, RSA_SIGN_PSS_2048_SHA256, EC_SIGN_P384_SHA384,
EC_SIGN_ED25519, RSA_SIGN_RAW_PKCS1_2048, GOOGLE_SYMMETRIC_ENCRYPTION…;
Vault: ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072, rsa-4096, ed25519,
aes256-gcm96…) and one private key file per version (version 1 first; none
for symmetric keys). The type is taken as given even when the file holds
another kind of key, so that a service describing its key wrongly can be
played.

Options:
  --token TOKEN         an accepted access token (Cloud KMS bearer token,
                        Vault token); repeatable
  --mount PATH          Vault: a mount of the Transit engine (default
                        transit); repeatable
  --service-account EMAIL=PUBFILE
                        Cloud KMS: a service account whose JWTs the token
                        endpoint (POST /token) accepts, checked with PUBFILE
  --slow SECONDS        how long the *-slow faults wait (default 5)
  --tls CERT KEY        https with this certificate and key
  --bind ADDR, --lifetime SECONDS

Cloud KMS paths: GET /v1/{name}/publicKey, POST /v1/{name}:asymmetricSign,
POST /token (OAuth 2.0 JWT bearer grant), GET
/computeMetadata/v1/instance/service-accounts/default/token (the metadata
server; needs Metadata-Flavor: Google). {name} is
projects/P/locations/L/keyRings/R/cryptoKeys/ID[--FAULT]/cryptoKeyVersions/V.
Vault paths: GET /v1/{mount}/keys/ID[--FAULT], POST
/v1/{mount}/sign/ID[--FAULT]/sha2-256.

FAULT, after "--" in the key ID, changes what the service answers:
  pub-CODE, sign-CODE      HTTP CODE (400, 401, 403, 404, 500) with the
                           service's error body, on the public key read or
                           on the signing call
  pub-slow, sign-slow      the right answer, --slow seconds late
  pub-notjson, sign-notjson
                           200 with a body that is not JSON
  pub-redirect, sign-redirect
                           302 to /redirected on this server
  garbage                  a signature text that is not base64
  other-key                a signature by the next version's key file
  Cloud KMS only: bad-pem-crc, pub-wrong-name (getPublicKey); bad-sig-crc,
  unverified (verifiedDigestCrc32c false), sign-wrong-name (asymmetricSign)
  Vault only: bad-prefix (no vault:vN: prefix), wrong-version (the prefix
  names another version)

LOGFILE gets one JSON object a line per request: method, path, the
headers that matter to the protocols, the body (JSON, or the form fields),
the status answered, and "violations": what the client did against the
documented protocol (the mock answers such requests as the service would,
which for some is a 400). The OAuth assertion is logged decoded
("jwt_header", "jwt_claims", "jwt_signature_ok").
"""
import base64
import binascii
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler

# testserver.py, found beside this file whatever the cwd, and no
# __pycache__ left in the source tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
import testserver  # noqa: E402

try:
    import crcmod.predefined
except ImportError:
    # A python3 of pyenv or a virtualenv first on PATH lacks Debian's
    # python3-crcmod: the system's interpreter has it.
    system = "/usr/bin/python3"
    if os.path.exists(system) and os.path.realpath(sys.executable) != os.path.realpath(system):
        os.execv(system, [system] + sys.argv)
    sys.exit("mock_kms.py: crcmod is missing (scripts/deps.sh installs python3-crcmod)")

crc32c = crcmod.predefined.mkCrcFun("crc-32c")
log_lock = threading.Lock()
issued_tokens = set()

GCP_NAME = re.compile(r"^(projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/([^/]+)"
                      r"/cryptoKeyVersions/([^/:]+))(/publicKey|:asymmetricSign)$")
METADATA_TOKEN = "/computeMetadata/v1/instance/service-accounts/default/token"
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KMS_SCOPES = ("https://www.googleapis.com/auth/cloudkms",
              "https://www.googleapis.com/auth/cloud-platform")


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def strict_b64(text):
    """Standard base64 with padding, as Google's and Vault's JSON carry bytes."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    return base64.b64decode(text, validate=True)


def unb64url(text):
    if "=" in text:
        raise ValueError("padded")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def openssl(args, data):
    """Runs openssl with `data` in a file (pkeyutl -rawin needs a file)."""
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        r = subprocess.run(["openssl"] + args + ["-in", f.name], capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout


def der_to_raw(der, size):
    """An ECDSA-Sig-Value (SEQUENCE of two INTEGERs) as r||s."""
    def length(i):
        n = der[i]
        if n < 0x80:
            return n, i + 1
        k = n & 0x7F
        return int.from_bytes(der[i + 1:i + 1 + k], "big"), i + 1 + k

    if der[0] != 0x30:
        raise ValueError("not a SEQUENCE")
    _, i = length(1)
    out = b""
    for _ in range(2):
        if der[i] != 0x02:
            raise ValueError("not an INTEGER")
        n, i = length(i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(size, "big")
        i += n
    return out


class Key:
    """One key ID: its algorithm and a private key file per version."""

    def __init__(self, spec):
        self.id, _, rest = spec.partition("=")
        self.algorithm, _, files = rest.partition(":")
        self.files = [f for f in files.split(",") if f]
        self.pems = [subprocess.run(["openssl", "pkey", "-in", f, "-pubout"], check=True,
                                    capture_output=True).stdout.decode() for f in self.files]
        self.created = "2024-05-0%dT10:00:00.000000Z"

    def file(self, version, other=False):
        i = version - 1
        return self.files[(i + 1) % len(self.files)] if other else self.files[i]


def sign(keyfile, kind, data, digest=None, pss=False):
    """kind "rsa"/"ec": data is a digest of `digest`; "ed25519": the message."""
    if kind == "ed25519":
        return openssl(["pkeyutl", "-sign", "-rawin", "-inkey", keyfile], data)
    args = ["pkeyutl", "-sign", "-inkey", keyfile, "-pkeyopt", "digest:" + digest]
    if pss:
        args += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"]
    return openssl(args, data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.handle_request("GET")

    def do_POST(self):
        self.handle_request("POST")

    def handle_request(self, method):
        self.method = method
        self.entry = {"method": method, "path": self.path, "violations": []}
        for h in ("Authorization", "X-Vault-Token", "X-Vault-Namespace", "Metadata-Flavor",
                  "Content-Type"):
            if h in self.headers:
                self.entry[h] = self.headers[h]
        length = int(self.headers.get("Content-Length") or 0)
        self.raw = self.rfile.read(length) if length else b""
        if self.raw:
            try:
                self.entry["body"] = json.loads(self.raw)
            except ValueError:
                self.entry["body"] = self.raw.decode(errors="replace")
        self.server.logic(self)

    def violation(self, text):
        self.entry["violations"].append(text)

    def answer(self, code, body, headers=()):
        """body: a dict (sent as JSON) or bytes."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        self.entry["status"] = code
        with log_lock, open(self.server.logfile, "a") as f:
            f.write(json.dumps(self.entry, sort_keys=True) + "\n")
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=UTF-8"
                         if isinstance(body, dict) else "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except ConnectionError:
            pass  # a client that timed out

    def redirect(self):
        host, port = self.server.server_address[:2]
        location = "%s://%s:%d/redirected" % (self.server.scheme, host, port)
        self.answer(302, b"", [("Location", location)])

    def common_fault(self, fault, stage, error):
        """The faults both services share; True when one answered."""
        if not fault.startswith(stage + "-"):
            return False
        what = fault[len(stage) + 1:]
        if what.isdigit():
            error(int(what))
        elif what == "notjson":
            self.answer(200, b"<html>Service Unavailable</html>")
        elif what == "redirect":
            self.redirect()
        elif what == "slow":
            time.sleep(self.server.slow)
            return False
        else:
            return False
        return True


# ---- Google Cloud KMS ----

GOOGLE_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "NOT_FOUND", 500: "INTERNAL"}
GCP_ALGORITHMS = {  # algorithm: (kind, digest, pss); digest None: signs data
    "EC_SIGN_P256_SHA256": ("ec", "sha256", False),
    "EC_SIGN_P384_SHA384": ("ec", "sha384", False),
    "EC_SIGN_SECP256K1_SHA256": ("ec", "sha256", False),
    "EC_SIGN_ED25519": ("ed25519", None, False),
    "RSA_SIGN_RAW_PKCS1_2048": ("rsa", None, False),
    "RSA_SIGN_RAW_PKCS1_3072": ("rsa", None, False),
}
for _bits in (2048, 3072, 4096):
    GCP_ALGORITHMS["RSA_SIGN_PKCS1_%d_SHA256" % _bits] = ("rsa", "sha256", False)
    GCP_ALGORITHMS["RSA_SIGN_PSS_%d_SHA256" % _bits] = ("rsa", "sha256", True)
GCP_ALGORITHMS["RSA_SIGN_PKCS1_4096_SHA512"] = ("rsa", "sha512", False)


def google_error(req, code, message, status=None):
    req.answer(code, {"error": {"code": code, "message": message,
                                "status": status or GOOGLE_STATUS.get(code, "UNKNOWN")}})


INVALID_CREDENTIALS = ("Request had invalid authentication credentials. Expected OAuth 2 "
                       "access token, login cookie or other valid authentication credential.")


def google_fault(req, name, permission):
    """The error answers of fault pub-CODE / sign-CODE."""
    messages = {
        400: "The request is invalid.",
        401: INVALID_CREDENTIALS,
        403: "Permission 'cloudkms.cryptoKeyVersions.%s' denied on resource '%s' (or it may "
             "not exist)." % (permission, name),
        404: "CryptoKeyVersion %s not found." % name,
    }
    return lambda code: google_error(req, code, messages.get(code, "Internal error encountered."))


def gcp(req):
    path = urllib.parse.urlsplit(req.path).path
    if req.method == "GET" and path == METADATA_TOKEN:
        return metadata_token(req)
    if req.method == "POST" and path == "/token":
        return oauth_token(req)
    m = GCP_NAME.match(path[len("/v1/"):]) if path.startswith("/v1/") else None
    if m is None or (req.method, m.group(4)) not in (("GET", "/publicKey"),
                                                     ("POST", ":asymmetricSign")):
        req.violation("no such Cloud KMS method")
        return google_error(req, 404, "Method not found.")
    name, key_id, version = m.group(1), m.group(2), m.group(3)
    base, _, fault = key_id.partition("--")
    auth = req.headers.get("Authorization", "")
    if not auth:
        req.violation("no Authorization header")
        return google_error(req, 401, "Request is missing required authentication credential. "
                            "Expected OAuth 2 access token, login cookie or other valid "
                            "authentication credential.")
    if not auth.startswith("Bearer ") or auth[7:] not in req.server.tokens | issued_tokens:
        return google_error(req, 401, INVALID_CREDENTIALS)
    key = req.server.keys.get(base)
    if key is None or not version.isdigit() or not 1 <= int(version) <= max(len(key.files), 1):
        return google_error(req, 404, "CryptoKeyVersion %s not found." % name)
    if m.group(4) == "/publicKey":
        get_public_key(req, name, key, int(version), fault)
    else:
        asymmetric_sign(req, name, key, int(version), fault)


def get_public_key(req, name, key, version, fault):
    if req.common_fault(fault, "pub", google_fault(req, name, "viewPublicKey")):
        return
    if key.algorithm not in GCP_ALGORITHMS:
        return google_error(req, 400, "Operation requires key purpose ASYMMETRIC_SIGN or "
                            "ASYMMETRIC_DECRYPT; key purpose is ENCRYPT_DECRYPT.",
                            "FAILED_PRECONDITION")
    pem = key.pems[version - 1]
    req.answer(200, {
        "pem": pem,
        "algorithm": key.algorithm,
        "pemCrc32c": str(crc32c(pem.encode()) ^ (1 if fault == "bad-pem-crc" else 0)),
        "name": name.rpartition("/")[0] + "/%d" % (version + 1)
                if fault == "pub-wrong-name" else name,
        "protectionLevel": "HSM",
    })


def asymmetric_sign(req, name, key, version, fault):
    if req.common_fault(fault, "sign", google_fault(req, name, "useToSign")):
        return
    if not req.headers.get("Content-Type", "").startswith("application/json"):
        req.violation("Content-Type is not application/json")
    body = req.entry.get("body")
    if not isinstance(body, dict):
        req.violation("body is not a JSON object")
        return google_error(req, 400, "Invalid JSON payload received.")
    if key.algorithm not in GCP_ALGORITHMS:
        return google_error(req, 400, "Operation requires key purpose ASYMMETRIC_SIGN.",
                            "FAILED_PRECONDITION")
    kind, digest_name, pss = GCP_ALGORITHMS[key.algorithm]
    digest_field = body.get("digest")
    if digest_name is None or not isinstance(digest_field, dict) or \
            list(digest_field) != [digest_name]:
        req.violation("digest is not {\"%s\": …} for %s" % (digest_name, key.algorithm))
        return google_error(req, 400, "The digest type does not match the algorithm %s."
                            % key.algorithm)
    try:
        digest = strict_b64(digest_field[digest_name])
    except (ValueError, binascii.Error):
        req.violation("digest is not standard base64")
        return google_error(req, 400, "Invalid value at 'digest.%s' (TYPE_BYTES)." % digest_name)
    if len(digest) != hashlib.new(digest_name).digest_size:
        req.violation("digest of %d bytes" % len(digest))
        return google_error(req, 400, "Length of digest.%s is incorrect." % digest_name)
    verified = False
    if "digestCrc32c" not in body:
        req.violation("no digestCrc32c")
    else:
        sent = body["digestCrc32c"]
        if not isinstance(sent, str) or not sent.isdigit():
            req.violation("digestCrc32c is not a decimal string (int64 in JSON is a string)")
        if str(sent) != str(crc32c(digest)):
            req.violation("digestCrc32c %s, want %d" % (sent, crc32c(digest)))
            return google_error(req, 400, "The checksum in field digest_crc32c did not match "
                                "the data in field digest.")
        verified = True
    req.entry["digest_hex"] = digest.hex()
    signature = sign(key.file(version, fault == "other-key"), kind, digest, digest_name, pss)
    text = "!!not*base64!!" if fault == "garbage" else b64(signature)
    req.answer(200, {
        "signature": text,
        "signatureCrc32c": str(crc32c(signature) ^ (1 if fault == "bad-sig-crc" else 0)),
        "verifiedDigestCrc32c": verified and fault != "unverified",
        "name": name + "0" if fault == "sign-wrong-name" else name,
        "protectionLevel": "HSM",
    })


def token_answer(req):
    token = "ya29.mock-" + uuid.uuid4().hex
    issued_tokens.add(token)
    req.entry["issued"] = token
    req.answer(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"},
               [("Metadata-Flavor", "Google")] if req.path.startswith("/computeMetadata") else [])


def metadata_token(req):
    if req.headers.get("Metadata-Flavor") != "Google":
        req.violation("no Metadata-Flavor: Google")
        return req.answer(403, b"Missing Metadata-Flavor:Google header.")
    token_answer(req)


def oauth_error(req, code, error, description):
    req.answer(code, {"error": error, "error_description": description})


def oauth_token(req):
    if req.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
        req.violation("Content-Type is not application/x-www-form-urlencoded")
    form = urllib.parse.parse_qs(req.raw.decode(errors="replace"))
    req.entry["body"] = {k: v[0] for k, v in form.items()}
    if form.get("grant_type") != [JWT_GRANT]:
        req.violation("grant_type is not %s" % JWT_GRANT)
        return oauth_error(req, 400, "unsupported_grant_type", "Invalid grant_type: ")
    assertion = form.get("assertion", [""])[0]
    parts = assertion.split(".")
    try:
        header = json.loads(unb64url(parts[0]))
        claims = json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
        if len(parts) != 3:
            raise ValueError
    except (ValueError, IndexError, binascii.Error):
        req.violation("assertion is not a JWT of unpadded base64url parts")
        return oauth_error(req, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived "
                           "token (60 minutes) and in a reasonable timeframe.")
    req.entry["body"]["assertion"] = "(logged decoded)"
    req.entry["jwt_header"], req.entry["jwt_claims"] = header, claims
    if header.get("alg") != "RS256" or header.get("typ") != "JWT" or "kid" not in header:
        req.violation("JWT header %s" % json.dumps(header))
    now = time.time()
    host, port = req.server.server_address[:2]
    audience = "%s://%s:%d/token" % (req.server.scheme, host, port)
    scopes = str(claims.get("scope", "")).split()
    if claims.get("aud") != audience:
        req.violation("aud %r, want %r" % (claims.get("aud"), audience))
    if not any(s in KMS_SCOPES for s in scopes):
        req.violation("scope %r has no Cloud KMS scope" % claims.get("scope"))
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int) or \
            abs(iat - now) > 300 or not now < exp <= iat + 3600:
        req.violation("iat %r / exp %r out of range" % (iat, exp))
        return oauth_error(req, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived "
                           "token (60 minutes) and in a reasonable timeframe. Check your iat "
                           "and exp values in the JWT claim.")
    pub = req.server.service_accounts.get(claims.get("iss"))
    if pub is None:
        return oauth_error(req, 401, "invalid_client", "The OAuth client was not found.")
    with tempfile.NamedTemporaryFile() as sig:
        sig.write(signature)
        sig.flush()
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pub, "-signature", sig.name],
                           input=(parts[0] + "." + parts[1]).encode(), capture_output=True)
    req.entry["jwt_signature_ok"] = r.returncode == 0
    if r.returncode != 0:
        return oauth_error(req, 400, "invalid_grant", "Invalid JWT Signature.")
    token_answer(req)


# ---- HashiCorp Vault Transit ----

VAULT_KINDS = {"ecdsa-p256": ("ec", 32), "ecdsa-p384": ("ec", 48), "ecdsa-p521": ("ec", 66),
               "rsa-2048": ("rsa", 0), "rsa-3072": ("rsa", 0), "rsa-4096": ("rsa", 0),
               "ed25519": ("ed25519", 0)}
VAULT_CURVES = {"ecdsa-p256": "P-256", "ecdsa-p384": "P-384", "ecdsa-p521": "P-521"}


def vault_error(req, code, *errors):
    req.answer(code, {"errors": list(errors)})


def vault_fault(req):
    """The error answers of fault pub-CODE / sign-CODE."""
    errors = {400: ["invalid request"], 401: ["permission denied"],
              403: ["permission denied"], 404: []}
    return lambda code: vault_error(req, code, *errors.get(code, ["internal error"]))


def vault_data(req, data):
    req.answer(200, {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False,
                     "lease_duration": 0, "data": data, "wrap_info": None, "warnings": None,
                     "auth": None, "mount_type": "transit"})


def vault(req):
    path = urllib.parse.urlsplit(req.path).path
    token = req.headers.get("X-Vault-Token")
    if token is None:
        req.violation("no X-Vault-Token")
    if token not in req.server.tokens:
        return vault_error(req, 403, "permission denied")
    for op, method in (("/keys/", "GET"), ("/sign/", "POST")):
        mount, found, rest = path[len("/v1/"):].rpartition(op)
        if path.startswith("/v1/") and found and req.method == method:
            break
    else:
        req.violation("no such Vault path")
        return vault_error(req, 404, "no handler for route %r. route entry not found."
                           % path[len("/v1/"):])
    name, _, algorithm = rest.partition("/")
    if mount not in req.server.mounts:
        return vault_error(req, 404, "no handler for route %r. route entry not found."
                           % path[len("/v1/"):])
    base, _, fault = name.partition("--")
    key = req.server.keys.get(base)
    if op == "/keys/":
        return read_key(req, name, key, fault)
    if algorithm != "sha2-256":
        req.violation("sign path without /sha2-256")
    return vault_sign(req, name, key, fault)


def read_key(req, name, key, fault):
    if req.common_fault(fault, "pub", vault_fault(req)):
        return
    if key is None:
        return vault_error(req, 404)
    signing = key.algorithm in VAULT_KINDS
    if signing:
        keys = {}
        for i, pem in enumerate(key.pems):
            public = pem
            if key.algorithm == "ed25519":
                # Vault gives Ed25519 public keys as the raw 32 bytes in base64.
                der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                                     input=pem.encode(), capture_output=True, check=True).stdout
                public = b64(der[-32:])
            keys[str(i + 1)] = {"certificate_chain": "", "creation_time": key.created % (i + 1),
                                "name": VAULT_CURVES.get(key.algorithm, key.algorithm),
                                "public_key": public}
    else:
        keys = {"1": 1714557600}
    vault_data(req, {
        "allow_plaintext_backup": False, "auto_rotate_period": 0, "deletion_allowed": False,
        "derived": False, "exportable": False, "imported_key": False, "keys": keys,
        "latest_version": max(len(key.files), 1), "min_available_version": 0,
        "min_decryption_version": 1, "min_encryption_version": 0, "name": name,
        "supports_decryption": not signing, "supports_derivation": not signing,
        "supports_encryption": not signing, "supports_signing": signing, "type": key.algorithm,
    })


def vault_sign(req, name, key, fault):
    if req.common_fault(fault, "sign", vault_fault(req)):
        return
    body = req.entry.get("body")
    if not isinstance(body, dict):
        req.violation("body is not a JSON object")
        return vault_error(req, 400, "failed to parse JSON input")
    if key is None:
        return vault_error(req, 400, "encryption key not found")
    if key.algorithm not in VAULT_KINDS:
        return vault_error(req, 400, "key type %s does not support signing" % key.algorithm)
    kind, size = VAULT_KINDS[key.algorithm]
    latest = len(key.files)
    version = body.get("key_version", 0)
    if "key_version" not in body:
        req.violation("no key_version")
    elif not isinstance(version, int):
        req.violation("key_version is not a JSON number")
    try:
        version = int(version) or latest
    except ValueError:
        return vault_error(req, 400, "invalid key_version")
    if version > latest:
        return vault_error(req, 400, "requested version for signing is higher than the latest "
                           "key version")
    if version < 1:
        return vault_error(req, 400, "invalid key version")
    marshaling = body.get("marshaling_algorithm", "asn1")
    if marshaling not in ("asn1", "jws"):
        return vault_error(req, 400, "invalid marshaling type %r" % marshaling)
    try:
        data = strict_b64(body.get("input", ""))
    except (ValueError, binascii.Error) as e:
        req.violation("input is not standard base64")
        return vault_error(req, 400, "unable to decode input as base64: %s" % e)
    prehashed = body.get("prehashed") is True
    if kind == "ed25519":
        if "prehashed" in body:
            req.violation("prehashed with an ed25519 key (it signs the message)")
    else:
        if not prehashed:
            req.violation("prehashed is not true")
            data = hashlib.sha256(data).digest()  # what Vault then does
        elif len(data) != 32:
            req.violation("prehashed input of %d bytes" % len(data))
        if kind == "rsa" and body.get("signature_algorithm") != "pkcs1v15":
            req.violation("signature_algorithm is not pkcs1v15")
        if kind == "ec" and marshaling != "jws":
            req.violation("marshaling_algorithm is not jws")
    algorithm = body.get("signature_algorithm", "pss")
    if kind == "rsa" and algorithm not in ("pss", "pkcs1v15"):
        return vault_error(req, 400, "unsupported rsa signature algorithm %s" % algorithm)
    req.entry["input_hex"] = data.hex()
    signature = sign(key.file(version, fault == "other-key"), kind, data, "sha256",
                     kind == "rsa" and algorithm == "pss")
    if kind == "ec" and marshaling == "jws":
        signature = der_to_raw(signature, size)
    text = b64url(signature) if marshaling == "jws" else b64(signature)
    prefix = "vault:v%d:" % (version + 1 if fault == "wrong-version" else version)
    if fault == "bad-prefix":
        prefix = "v%d:" % version
    if fault == "garbage":
        text = "!!not*base64!!"
    vault_data(req, {"signature": prefix + text, "key_version": version})


def redirected(req):
    req.violation("followed a redirect")
    req.answer(200, {})


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] not in ("gcp", "vault"):
        sys.exit(__doc__.split("\n\n")[1])
    mode, portfile, logfile = args[:3]
    opts = {"--token": [], "--mount": [], "--service-account": [], "--slow": ["5"],
            "--bind": ["127.0.0.1"], "--lifetime": ["300"]}
    keys = {}
    rest = args[3:]
    tls = testserver.pop_tls(rest)
    while rest:
        a = rest.pop(0)
        if a in opts:
            opts[a].append(rest.pop(0))
        else:
            key = Key(a)
            keys[key.id] = key
    server = testserver.Server((opts["--bind"][-1], 0), Handler)
    server.logfile = logfile
    server.keys = keys
    server.tokens = set(opts["--token"])
    server.mounts = set(opts["--mount"] or ["transit"])
    server.service_accounts = dict(s.split("=", 1) for s in opts["--service-account"])
    server.slow = float(opts["--slow"][-1])
    api = gcp if mode == "gcp" else vault
    server.scheme = "https" if tls else "http"
    server.logic = lambda req: (redirected if req.path == "/redirected" else api)(req)
    open(logfile, "a").close()
    testserver.serve(server, portfile, float(opts["--lifetime"][-1]), tls)


if __name__ == "__main__":
    main()
