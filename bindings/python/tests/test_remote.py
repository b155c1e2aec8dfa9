"""Remote signers: a signer program (SignCommand), Cloud KMS (GcpKmsKey) and
Vault Transit (VaultTransitKey), the last two against tests/mock_kms.py."""

import re
import shlex
import subprocess
import sys
import time

import pytest

import artsig
from artsig import _errors, _remote
from conftest import SOURCE, subprocess_env
from test_status import parse_enum

UNSIGNED = "rootfs-gzip-unsigned.mender"
MSG = b"bytes for a signer elsewhere\n"
# Every remote setting the tests do not give explicitly comes from here:
# the machine's own must not reach the library.
REMOTE_ENV = (
    "ARTSIG_GCP_KMS_ENDPOINT",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GCE_METADATA_HOST",
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_MOUNT_PATH",
    "VAULT_KEY_VERSION",
    "VAULT_NAMESPACE",
    "VAULT_CACERT",
    "ARTSIG_REMOTE_TIMEOUT",
)
# A loopback port nothing listens on.
UNREACHABLE = "http://127.0.0.1:1"
GCP_NAME = "projects/p/locations/global/keyRings/r/cryptoKeys/{}/cryptoKeyVersions/1"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for var in REMOTE_ENV:
        monkeypatch.delenv(var, raising=False)


def leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".artsig-tmp-")]


# -- statuses, exceptions, tables ---------------------------------------------


def test_remote_option_table_matches_remote_h(source):
    header = parse_enum((source / "include" / "artsig" / "remote.h").read_text(), "artsig_remote_option")
    assert {"ARTSIG_REMOTE_" + o.name: int(o) for o in _remote.RemoteOption} == header


@pytest.mark.parametrize("name, value", [("EAUTH", -31), ("ENETWORK", -32), ("EREMOTE", -33)])
def test_remote_statuses_and_their_family(name, value):
    status = artsig.Status[name]
    assert int(status) == value
    e = _errors.error(status, "Vault sign: HTTP 503")
    assert type(e) is artsig.RemoteSignerError and isinstance(e, artsig.Error)
    assert e.name == "ARTSIG_" + name and str(e) == f"Vault sign: HTTP 503 [ARTSIG_{name}]"
    assert artsig.strerror(status) and "unknown" not in artsig.strerror(status).lower()


def test_other_statuses_of_remote_signers_keep_their_families():
    # 404 and an unsupported algorithm are what they are for local keys too.
    assert type(_errors.error(artsig.Status.ENOTFOUND)) is artsig.Error
    assert type(_errors.error(artsig.Status.EKEYUNSUPPORTED)) is artsig.KeyLoadError


def test_versions():
    assert artsig.__version__ == "0.3.0"
    text = (SOURCE / "bindings" / "python" / "pyproject.toml").read_text()
    assert re.search(r'^version = "([^"]+)"', text, re.M).group(1) == artsig.__version__
    assert artsig.version() == artsig.__version__


def test_the_classes_cannot_be_made_bare():
    with pytest.raises(TypeError):
        artsig.RemoteSigner()


# -- settings -------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda **kw: artsig.GcpKmsKey(GCP_NAME.format("k"), endpoint=UNREACHABLE, token="t", **kw),
    lambda **kw: artsig.VaultTransitKey("k", endpoint=UNREACHABLE, token="t", **kw),
], ids=["gcp", "vault"])
@pytest.mark.parametrize("timeout", ["0", 0, "3601", "soon", "-5"])
def test_a_malformed_timeout_is_einval(make, timeout):
    with pytest.raises(artsig.Error) as info:
        make(timeout=timeout)
    assert type(info.value) is artsig.Error
    assert info.value.status == artsig.Status.EINVAL and "timeout" in info.value.message


@pytest.mark.parametrize("version", ["0", "v1", "1.5"])
def test_a_malformed_vault_key_version_is_einval(version):
    with pytest.raises(artsig.Error) as info:
        artsig.VaultTransitKey("k", endpoint=UNREACHABLE, token="t", key_version=version)
    assert info.value.status == artsig.Status.EINVAL


def test_a_malformed_timeout_from_the_environment_is_einval(monkeypatch):
    monkeypatch.setenv("ARTSIG_REMOTE_TIMEOUT", "0")
    with pytest.raises(artsig.Error) as info:
        artsig.VaultTransitKey("k", endpoint=UNREACHABLE, token="t")
    assert info.value.status == artsig.Status.EINVAL
    assert "ARTSIG_REMOTE_TIMEOUT" in info.value.message


def test_arguments_c_cannot_carry_are_refused_before_the_library():
    with pytest.raises(ValueError):
        artsig.VaultTransitKey("k", endpoint=UNREACHABLE, token="t\0t")
    with pytest.raises(ValueError):
        artsig.VaultTransitKey("k\0", endpoint=UNREACHABLE, token="t")
    with pytest.raises(TypeError):
        artsig.VaultTransitKey("k", endpoint=UNREACHABLE, token=1234)
    with pytest.raises(TypeError):
        artsig.GcpKmsKey(GCP_NAME.format("k"), endpoint=["http://127.0.0.1"], token="t")


def test_not_a_key_version_name_is_einval():
    with pytest.raises(artsig.Error) as info:
        artsig.GcpKmsKey("projects/p/keyRings/r", endpoint=UNREACHABLE, token="t")
    assert info.value.status == artsig.Status.EINVAL


@pytest.mark.parametrize("make", [
    lambda endpoint: artsig.GcpKmsKey(GCP_NAME.format("k"), endpoint=endpoint, token="t", timeout=5),
    lambda endpoint: artsig.VaultTransitKey("k", endpoint=endpoint, token="t", timeout=5),
], ids=["gcp", "vault"])
def test_unreachable_and_plain_http_endpoints(make):
    with pytest.raises(artsig.RemoteSignerError) as info:
        make(UNREACHABLE)
    assert info.value.status == artsig.Status.ENETWORK and info.value.message
    # Plain http to another host would carry the token in the clear.
    with pytest.raises(artsig.Error) as info:
        make("http://kms.example.com")
    assert type(info.value) is artsig.Error and info.value.status == artsig.Status.EINVAL


def test_the_endpoint_and_token_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("VAULT_ADDR", UNREACHABLE)
    monkeypatch.setenv("VAULT_TOKEN", "from-env")
    with pytest.raises(artsig.RemoteSignerError) as info:
        artsig.VaultTransitKey("k", timeout=5)
    assert info.value.status == artsig.Status.ENETWORK
    # An argument wins over its variable.
    with pytest.raises(artsig.Error) as info:
        artsig.VaultTransitKey("k", endpoint="http://vault.example.com", timeout=5)
    assert info.value.status == artsig.Status.EINVAL


def test_vault_without_a_token_is_eauth():
    with pytest.raises(artsig.RemoteSignerError) as info:
        artsig.VaultTransitKey("k", endpoint=UNREACHABLE, timeout=5)
    assert info.value.status == artsig.Status.EAUTH


# -- a signer program ----------------------------------------------------------

# Ten lines of shell around openssl, as docs suggest to users: the bytes to
# sign on stdin, the signature in base64 on stdout. pkeyutl -rawin (Ed25519)
# cannot read stdin, hence the file.
SIGNER = """\
set -e
f=$(mktemp); trap 'rm -f "$f"' EXIT
cat > "$f"
case $ARTSIG_SIGN_KEY_TYPE in
ed25519) openssl pkeyutl -sign -rawin -inkey {key} -in "$f" ;;
*) openssl dgst -sha256 -sign {key} "$f" ;;
esac | base64 -w0
"""

PAIRS = {
    "ecdsa-p256": ("ecp256.sec1.key", "ecp256.pub"),
    "rsa": ("rsa3072.pkcs8.key", "rsa3072.pub"),
    "ed25519": ("ed25519.key", "ed25519.pub"),
}


def signer_command(tmp_path, private_key, name="signer.sh"):
    script = tmp_path / name
    script.write_text(SIGNER.format(key=shlex.quote(str(private_key))))
    return f"sh {shlex.quote(str(script))}"


@pytest.mark.parametrize("kind", list(PAIRS))
def test_a_program_signs_bytes(vec, tmp_path, kind):
    priv, pub = PAIRS[kind]
    seen = tmp_path / "type"
    command = f"echo \"$ARTSIG_SIGN_KEY_TYPE\" > {shlex.quote(str(seen))}; " + signer_command(
        tmp_path, vec / "keys" / priv)
    with artsig.SignCommand(command, vec / "keys" / pub) as signer:
        assert signer.type == kind and signer.key_type == artsig.Key.load(vec / "keys" / pub).key_type
        assert kind in repr(signer)
        sig = artsig.sign(signer, MSG)
        assert seen.read_text().strip() == kind
        assert artsig.verify(vec / "keys" / pub, MSG, sig) == 0
        if kind == "ecdsa-p256":
            assert len(sig) == 64  # openssl's DER turned into r||s
        # Signers are reused: another message, another signature.
        assert artsig.verify(vec / "keys" / pub, b"more", artsig.sign(signer, b"more")) == 0
    assert signer.closed and "closed" in repr(signer)
    with pytest.raises(ValueError):
        artsig.sign(signer, MSG)


def test_the_public_key_may_be_a_key_object(vec, tmp_path):
    key = artsig.Key.load(vec / "keys" / "ecp256.pub")
    signer = artsig.SignCommand(signer_command(tmp_path, vec / "keys" / "ecp256.sec1.key"), key)
    key.close()  # the signer holds its own reference
    assert artsig.verify(vec / "keys" / "ecp256.pub", MSG, artsig.sign(signer, MSG))
    signer.close()
    signer.close()


@pytest.mark.parametrize("kind", ["ecdsa-p256", "rsa"])
def test_a_program_signs_an_artifact(vec, cli, tmp_path, kind):
    priv, pub = PAIRS[kind]
    signer = artsig.SignCommand(signer_command(tmp_path, vec / "keys" / priv), vec / "keys" / pub)
    out = tmp_path / "out.mender"
    artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, signer)
    assert artsig.validate(out, keys=[vec / "keys" / pub])
    r = cli("validate", "-k", vec / "keys" / pub, out)
    assert r.returncode == 0, r.stderr
    # What the program signs is the manifest.
    manifest = artsig.export_manifest(out)
    assert artsig.verify(vec / "keys" / pub, manifest, artsig.sign(signer, manifest)) == 0


def test_an_ed25519_program_signs_an_artifact_in_place(vec, tmp_path):
    art = tmp_path / "a.mender"
    art.write_bytes((vec / "artifacts" / UNSIGNED).read_bytes())
    signer = artsig.SignCommand(signer_command(tmp_path, vec / "keys" / "ed25519.key"), vec / "keys" / "ed25519.pub")
    artsig.sign_artifact(art, None, signer)
    assert artsig.validate(art, keys=[vec / "keys" / "ed25519.pub"])
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("command", [
    "exit 3",
    "cat > /dev/null; echo 'signer: no key' >&2; exit 1",
    "cat > /dev/null; echo '%%% not base64 %%%'",
    "cat > /dev/null",  # prints nothing
    "kill -9 $$",
    "/nonexistent/signer",
], ids=["exit-3", "stderr-exit-1", "garbage", "silent", "killed", "missing"])
def test_a_failing_program_is_eremote(vec, tmp_path, command):
    signer = artsig.SignCommand(command, vec / "keys" / "ecp256.pub")
    with pytest.raises(artsig.RemoteSignerError) as info:
        artsig.sign(signer, MSG)
    assert info.value.status == artsig.Status.EREMOTE and info.value.message
    out = tmp_path / "out.mender"
    with pytest.raises(artsig.RemoteSignerError):
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, signer)
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_signature_by_another_key_is_refused(vec, tmp_path):
    # The program signs with ecp256b, the public key given is ecp256's.
    signer = artsig.SignCommand(signer_command(tmp_path, vec / "keys" / "ecp256b.sec1.key"),
                                vec / "keys" / "ecp256.pub")
    with pytest.raises(artsig.VerificationError) as info:
        artsig.sign(signer, MSG)
    assert info.value.status == artsig.Status.EVERIFY
    out = tmp_path / "out.mender"
    with pytest.raises(artsig.VerificationError):
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, signer)
    assert not out.exists() and leftovers(tmp_path) == []


def test_a_signature_of_another_algorithm_is_refused(vec, tmp_path):
    # An Ed25519 signature (64 bytes) where an RSA 3072 one is expected.
    signer = artsig.SignCommand(
        f"ARTSIG_SIGN_KEY_TYPE=ed25519 {signer_command(tmp_path, vec / 'keys' / 'ed25519.key')}",
        vec / "keys" / "rsa3072.pub")
    with pytest.raises(artsig.VerificationError) as info:
        artsig.sign(signer, MSG)
    assert info.value.status in (artsig.Status.EVERIFY, artsig.Status.ESIGFORMAT)


def test_sign_command_needs_a_public_key(vec, tmp_path):
    with pytest.raises(artsig.NotFoundError):
        artsig.SignCommand("true", tmp_path / "none.pub")
    with pytest.raises(TypeError):
        artsig.SignCommand("true", None)


def test_signers_are_not_keys_for_verifying(vec, tmp_path):
    signer = artsig.SignCommand("true", vec / "keys" / "ecp256.pub")
    with pytest.raises(TypeError):
        artsig.verify(signer, MSG, b"\0" * 64)


def test_threads_share_a_signer(vec, tmp_path):
    import concurrent.futures

    signer = artsig.SignCommand(signer_command(tmp_path, vec / "keys" / "ed25519.key"), vec / "keys" / "ed25519.pub")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        sigs = list(pool.map(lambda i: artsig.sign(signer, b"%d" % i), range(8)))
    for i, sig in enumerate(sigs):
        assert artsig.verify(vec / "keys" / "ed25519.pub", b"%d" % i, sig) == 0


# -- the services, through tests/mock_kms.py -----------------------------------

MOCK = SOURCE / "tests" / "mock_kms.py"
TOKEN = "s.mock-token-9f8e7d"


class Mock:
    def __init__(self, mode, directory, keys):
        # Only a binding tested outside the source tree has no mock; in the
        # tree a mock that does not start is a failure (a skip would hide a
        # broken CI).
        if not MOCK.is_file():
            pytest.skip("tests/mock_kms.py is not there")
        portfile = directory / f"{mode}.port"
        self.log = directory / f"{mode}.log"
        args = [sys.executable, MOCK, mode, portfile, self.log, "--token", TOKEN, "--lifetime", "600",
                "--slow", "3", *keys]
        self.proc = subprocess.Popen([str(a) for a in args], env=subprocess_env(), stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not portfile.exists():
            if self.proc.poll() is not None:
                pytest.fail(f"mock_kms.py {mode} did not start: {self.proc.stderr.read().decode(errors='replace')}")
            if time.monotonic() > deadline:
                self.close()
                pytest.fail(f"mock_kms.py {mode} did not start in time")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(portfile.read_text())}"

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()


# The keys of each mock: ID, its algorithm, the vector key of each version.
MOCK_KEYS = {
    "gcp": [("ec", "EC_SIGN_P256_SHA256", "ecp256.pkcs8.key"),
            ("rsa", "RSA_SIGN_PKCS1_3072_SHA256", "rsa3072.pkcs8.key"),
            ("pss", "RSA_SIGN_PSS_2048_SHA256", "rsa2048.pkcs8.key"),
            ("ec2", "EC_SIGN_P256_SHA256", "ecp256.pkcs8.key", "ecp256b.sec1.key")],
    "vault": [("ec", "ecdsa-p256", "ecp256.pkcs8.key"),
              ("rsa", "rsa-3072", "rsa3072.pkcs8.key"),
              ("ed", "ed25519", "ed25519.key"),
              ("ec2", "ecdsa-p256", "ecp256.pkcs8.key", "ecp256b.sec1.key")],
}


def serve(mode, vec, tmp_path_factory):
    """The mock `mode` holding MOCK_KEYS[mode], for a fixture to yield."""
    keys = [f"{key_id}={algorithm}:" + ",".join(str(vec / "keys" / f) for f in files)
            for key_id, algorithm, *files in MOCK_KEYS[mode]]
    mock = Mock(mode, tmp_path_factory.mktemp(mode), keys)
    yield mock
    mock.close()


@pytest.fixture(scope="module")
def gcp(vec, tmp_path_factory):
    yield from serve("gcp", vec, tmp_path_factory)


@pytest.fixture(scope="module")
def vault(vec, tmp_path_factory):
    yield from serve("vault", vec, tmp_path_factory)


GCP_KEYS = {"ec": "ecp256.pub", "rsa": "rsa3072.pub"}
VAULT_KEYS = {"ec": "ecp256.pub", "rsa": "rsa3072.pub", "ed": "ed25519.pub"}


@pytest.mark.parametrize("key_id", list(GCP_KEYS))
def test_cloud_kms_signs(vec, gcp, tmp_path, key_id):
    pub = vec / "keys" / GCP_KEYS[key_id]
    with artsig.GcpKmsKey(GCP_NAME.format(key_id), endpoint=gcp.url, token=TOKEN) as key:
        assert key.type == artsig.Key.load(pub).type
        assert GCP_NAME.format(key_id) in repr(key) and TOKEN not in repr(key)
        assert artsig.verify(pub, MSG, artsig.sign(key, MSG)) == 0
        out = tmp_path / "out.mender"
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, key)
        assert artsig.validate(out, keys=[pub])


@pytest.mark.parametrize("key_id", list(VAULT_KEYS))
def test_vault_signs(vec, vault, tmp_path, key_id):
    pub = vec / "keys" / VAULT_KEYS[key_id]
    # The token as a callable, asked once when the key is made.
    calls = []
    with artsig.VaultTransitKey(key_id, endpoint=vault.url, token=lambda: calls.append(1) or TOKEN) as key:
        assert calls == [1]
        assert artsig.verify(pub, MSG, artsig.sign(key, MSG)) == 0
        out = tmp_path / "out.mender"
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, key)
        assert artsig.validate(out, keys=[pub])


def test_tokens_as_bytes_and_from_the_environment(vec, gcp, vault, monkeypatch):
    key = artsig.VaultTransitKey("ec", endpoint=vault.url, token=bytearray(TOKEN.encode()))
    assert artsig.verify(vec / "keys" / "ecp256.pub", MSG, artsig.sign(key, MSG))
    monkeypatch.setenv("ARTSIG_GCP_KMS_ENDPOINT", gcp.url)
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", TOKEN)
    key = artsig.GcpKmsKey(GCP_NAME.format("ec"), token=TOKEN.encode())
    assert artsig.verify(vec / "keys" / "ecp256.pub", MSG, artsig.sign(key, MSG))
    key = artsig.GcpKmsKey(GCP_NAME.format("ec"))
    assert artsig.verify(vec / "keys" / "ecp256.pub", MSG, artsig.sign(key, MSG))


@pytest.mark.parametrize("service", ["gcp", "vault"])
def test_service_failures(request, service):
    mock = request.getfixturevalue(service)

    def make(key_id, token=TOKEN, **kw):
        if service == "gcp":
            return artsig.GcpKmsKey(GCP_NAME.format(key_id), endpoint=mock.url, token=token, **kw)
        return artsig.VaultTransitKey(key_id, endpoint=mock.url, token=token, **kw)

    with pytest.raises(artsig.RemoteSignerError) as info:
        make("ec", token="wrong-token")
    assert info.value.status == artsig.Status.EAUTH and "wrong-token" not in info.value.message
    with pytest.raises(artsig.Error) as info:
        make("nosuchkey")
    assert info.value.status == artsig.Status.ENOTFOUND
    with pytest.raises(artsig.RemoteSignerError) as info:
        make("ec--pub-500")
    assert info.value.status == artsig.Status.EREMOTE
    with pytest.raises(artsig.RemoteSignerError) as info:
        make("ec--pub-slow", timeout=1)
    assert info.value.status == artsig.Status.ENETWORK
    # Made fine, failing when it signs.
    key = make("ec--sign-403")
    with pytest.raises(artsig.RemoteSignerError) as info:
        artsig.sign(key, MSG)
    assert info.value.status == artsig.Status.EAUTH
    # Signed by another version's key (the mock needs two to pick from).
    key = make("ec2--other-key")
    with pytest.raises(artsig.VerificationError):
        artsig.sign(key, MSG)


def test_cloud_kms_refuses_unsupported_algorithms(gcp):
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.GcpKmsKey(GCP_NAME.format("pss"), endpoint=gcp.url, token=TOKEN)
    assert info.value.status == artsig.Status.EKEYUNSUPPORTED


def test_the_token_never_shows(gcp):
    secret = "ya29.secret-token-never-shown"
    with pytest.raises(artsig.RemoteSignerError) as info:
        artsig.GcpKmsKey(GCP_NAME.format("ec"), endpoint=gcp.url, token=secret)
    assert secret not in str(info.value)
