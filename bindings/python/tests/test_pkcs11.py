"""Keys in a PKCS#11 token (SoftHSM2): public keys load, the token signs
blobs and artifacts, PIN problems are reported as PKCS11Error."""

import glob
import os
import shutil
import subprocess

import pytest

import artsig
from conftest import run

PIN = "5647382910"


@pytest.fixture(scope="module")
def token(vec, tmp_path_factory):
    modules = glob.glob("/usr/lib/*/softhsm/libsofthsm2.so") + glob.glob("/usr/lib/softhsm/libsofthsm2.so")
    if not modules or not shutil.which("softhsm2-util"):
        pytest.skip("SoftHSM2 is not installed (scripts/deps.sh installs softhsm2)")
    d = tmp_path_factory.mktemp("p11")
    (d / "tokens").mkdir()
    conf = d / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {d / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    # SoftHSM reads its configuration when the module is initialised, in
    # this process: set before the first PKCS#11 call and left for the rest.
    os.environ["SOFTHSM2_CONF"] = str(conf)
    util = lambda *a: run(["softhsm2-util", *a], check=True, stdout=subprocess.DEVNULL)  # noqa: E731
    util("--init-token", "--free", "--label", "pybind", "--so-pin", "0000", "--pin", PIN)
    util("--import", vec / "keys" / "ecp256.pkcs8.key", "--token", "pybind",
         "--label", "imp-ec", "--id", "02", "--pin", PIN)
    return f"module-path={modules[0]}"


def uri(token, object_, type_, pin=True):
    query = token + (f"&pin-value={PIN}" if pin else "")
    return f"pkcs11:token=pybind;object={object_};type={type_}?{query}"


def test_is_pkcs11_uri():
    assert artsig.is_pkcs11_uri("pkcs11:token=x")
    assert artsig.is_pkcs11_uri("PKCS11:token=x")
    assert not artsig.is_pkcs11_uri("/etc/key.pem")


def test_public_key_from_the_token(vec, token):
    key = artsig.Key.load_pkcs11(uri(token, "imp-ec", "public"))
    assert key.type == "ecdsa-p256" and not key.is_private
    assert key.fingerprint == artsig.Key.load(vec / "keys" / "ecp256.pub").fingerprint
    # The public half of the private object, the PIN from the callback.
    key = artsig.Key.load_pkcs11(uri(token, "imp-ec", "private", pin=False), pin=PIN)
    assert key.fingerprint == artsig.Key.load(vec / "keys" / "ecp256.pub").fingerprint


def test_token_signs_a_blob(vec, token):
    sig = artsig.sign(uri(token, "imp-ec", "private", pin=False), b"blob", pin=lambda: PIN)
    assert len(sig) == 64
    assert artsig.verify(vec / "keys" / "ecp256.pub", b"blob", sig) == 0
    # Verification through the token's public object, as a URI in keys.
    assert artsig.verify([vec / "keys" / "ed25519.pub", uri(token, "imp-ec", "public")], b"blob", sig) == 1


def test_token_signs_an_artifact(vec, cli, token, tmp_path):
    out = tmp_path / "out.mender"
    artsig.sign_artifact(vec / "artifacts" / "rootfs-gzip-unsigned.mender", out,
                         uri(token, "imp-ec", "private"))
    r = cli("validate", "-k", vec / "keys" / "ecp256.pub", out)
    assert r.returncode == 0, r.stderr
    assert artsig.validate(out, keys=[uri(token, "imp-ec", "public")])


def test_wrong_pin(token):
    with pytest.raises(artsig.PKCS11Error) as info:
        artsig.sign(uri(token, "imp-ec", "private", pin=False), b"blob", pin="1111")
    e = info.value
    assert e.status == artsig.Status.EPIN and e.name == "ARTSIG_EPIN"
    assert e.message and "1111" not in e.message


def test_missing_object(token):
    with pytest.raises(artsig.Error) as info:
        artsig.Key.load_pkcs11(uri(token, "nothing-here", "public"))
    assert info.value.status == artsig.Status.ENOTFOUND
    assert PIN not in info.value.message


def test_malformed_uri():
    with pytest.raises(artsig.Error) as info:
        artsig.Key.load_pkcs11("pkcs11:token=%zz")
    assert info.value.status == artsig.Status.EINVAL
