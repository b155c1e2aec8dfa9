"""Blobs: sign and verify round trips, the CLI both ways, Wycheproof, errors."""

import json

import pytest

import artsig

PAIRS = [
    ("rsa3072.pkcs1.key", "rsa3072.pub", 384),
    ("rsa3072.pkcs8.key", "rsa3072.pkcs1.pub", 384),
    ("rsa2048.pkcs8.key", "rsa2048.pub", 256),
    ("ecp256.params.key", "ecp256.pub", 64),
    ("ecp256.sec1.key", "ecp256.pub.der", 64),
    ("ecp256.pkcs8.key", "ecp256.pub", 64),
    ("ecp256b.sec1.key", "ecp256b.pub", 64),
    ("ed25519.key", "ed25519.pub", 64),
]
MSG = b"the bytes to sign\n\x00 and a NUL inside"


@pytest.mark.parametrize("priv, pub, size", PAIRS, ids=[p[0] for p in PAIRS])
def test_round_trip(vec, priv, pub, size):
    key = artsig.Key.load(vec / "keys" / priv)
    sig = artsig.sign(key, MSG)
    assert isinstance(sig, bytes) and len(sig) == size
    # Key objects, paths, and the private key itself verify.
    assert artsig.verify(vec / "keys" / pub, MSG, sig) == 0
    assert artsig.verify(artsig.Key.load(vec / "keys" / pub), MSG, sig) == 0
    assert artsig.verify(key, MSG, sig) == 0
    assert artsig.verify(str(vec / "keys" / pub), MSG, artsig.encode_signature(sig)) == 0
    # Anything else does not.
    assert artsig.verify(vec / "keys" / pub, MSG + b"!", sig) is False
    assert artsig.verify(vec / "keys" / pub, MSG, bytes([sig[0] ^ 1]) + sig[1:]) is False
    # A path to a private key signs too.
    assert artsig.verify(key, b"other", artsig.sign(vec / "keys" / priv, b"other")) == 0


@pytest.mark.parametrize("kind", ["rsa", "ecdsa-p256", "ed25519"])
def test_round_trip_generated(kind):
    key = artsig.Key.generate(kind)
    pub = artsig.Key.from_bytes(key.public_pem())
    for msg in (b"", b"x", bytes(range(256)) * 1000, bytearray(b"mutable"), memoryview(b"view")):
        sig = artsig.sign(key, msg)
        assert artsig.verify(pub, msg, sig) == 0


def test_verify_returns_the_index_of_the_key(vec):
    k = vec / "keys"
    sig = artsig.sign(k / "ed25519.key", MSG)
    keys = [k / "rsa3072.pub", artsig.Key.load(k / "ecp256.pub"), k / "ed25519.pub"]
    got = artsig.verify(keys, MSG, sig)
    assert got == 2 and isinstance(got, artsig.KeyIndex)
    # The first key verifying is index 0, and still truthy.
    first = artsig.verify([k / "ed25519.pub"], MSG, sig)
    assert first == 0 and first and first is not False
    assert artsig.verify(keys[:2], MSG, sig) is False
    assert artsig.verify([], MSG, sig) is False


def test_text_signatures(vec):
    sig = artsig.sign(vec / "keys" / "ecp256.sec1.key", MSG)
    text = artsig.encode_signature(sig)
    assert isinstance(text, str) and len(text) == 88 and text.endswith("=")
    assert artsig.decode_signature(text) == sig
    assert artsig.decode_signature(text + "\n") == sig
    assert artsig.decode_signature(text.encode()) == sig


@pytest.mark.parametrize("text", ["not base64!!", "", "QUJD\nREVG", "QUJDRA"])
def test_malformed_text_signature(vec, text):
    with pytest.raises(artsig.VerificationError) as info:
        artsig.decode_signature(text)
    assert info.value.status == artsig.Status.ESIGFORMAT and info.value.message
    with pytest.raises(artsig.Error) as info:
        artsig.verify(vec / "keys" / "ed25519.pub", MSG, text)
    assert info.value.name == "ARTSIG_ESIGFORMAT"


def test_sign_needs_a_private_key(vec):
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.sign(artsig.Key.load(vec / "keys" / "ed25519.pub"), MSG)
    assert info.value.status == artsig.Status.EKEYROLE and info.value.message


def test_bad_arguments(vec):
    with pytest.raises(TypeError):
        artsig.sign(vec / "keys" / "ed25519.key", "text is not bytes")
    with pytest.raises(TypeError):
        artsig.verify(b"-----BEGIN PUBLIC KEY-----", MSG, b"x")
    with pytest.raises(artsig.NotFoundError):
        artsig.verify(vec / "keys" / "nope.pub", MSG, b"x" * 64)


@pytest.mark.parametrize("priv, pub, size", PAIRS, ids=[p[0] for p in PAIRS])
def test_cli_verifies_ours(vec, cli, tmp_path, priv, pub, size):
    (tmp_path / "msg").write_bytes(MSG)
    (tmp_path / "sig").write_text(artsig.encode_signature(artsig.sign(vec / "keys" / priv, MSG)) + "\n")
    r = cli("verify-blob", "-k", vec / "keys" / pub, "-s", tmp_path / "sig", tmp_path / "msg")
    assert r.returncode == 0, r.stderr
    (tmp_path / "msg").write_bytes(MSG + b"!")
    r = cli("verify-blob", "-k", vec / "keys" / pub, "-s", tmp_path / "sig", tmp_path / "msg")
    assert r.returncode == 1, r.stderr


@pytest.mark.parametrize("priv, pub, size", PAIRS, ids=[p[0] for p in PAIRS])
def test_we_verify_the_clis(vec, cli, tmp_path, priv, pub, size):
    (tmp_path / "msg").write_bytes(MSG)
    r = cli("sign-blob", "-k", vec / "keys" / priv, tmp_path / "msg")
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    assert artsig.verify(vec / "keys" / pub, MSG, text) == 0
    assert len(artsig.decode_signature(text)) == size
    assert artsig.verify(vec / "keys" / pub, MSG + b"!", text) is False


WYCHEPROOF = [
    ("ecdsa_secp256r1_sha256_p1363_test.json", "ecdsa-p256"),
    ("rsa_signature_3072_sha256_test.json", "rsa"),
    ("ed25519_test.json", "ed25519"),
]


@pytest.mark.parametrize("name, kind", WYCHEPROOF, ids=[w[1] for w in WYCHEPROOF])
def test_wycheproof(vec, name, kind):
    doc = json.loads((vec / "wycheproof" / name).read_text())
    counts = {"valid": 0, "invalid": 0, "acceptable": 0}
    for group in doc["testGroups"]:
        key = artsig.Key.from_bytes(bytes.fromhex(group["publicKeyDer"]))
        assert key.type == kind and not key.is_private
        for t in group["tests"]:
            got = artsig.verify(key, bytes.fromhex(t["msg"]), bytes.fromhex(t["sig"]))
            where = f"{name} tcId {t['tcId']} ({t['result']}, {t['comment']})"
            if t["result"] == "valid":
                assert got == 0 and got is not False, where
            elif t["result"] == "invalid":
                assert got is False, where
            counts[t["result"]] += 1
    assert sum(counts.values()) == doc["numberOfTests"]
    assert counts["valid"] > 0 and counts["invalid"] > 0
