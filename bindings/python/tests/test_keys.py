"""Keys: every vector key file, generation, export, passphrases, errors."""

import base64
import hashlib
import shutil
import threading

import pytest

import artsig
from conftest import VECTORS, run

KEY_FILES = sorted(p.name for p in (VECTORS / "keys").iterdir()) if (VECTORS / "keys").is_dir() else []


def expected(name):
    """(type, bits, private, weak) of a vector key file, from its name."""
    private = name.endswith(".key")
    if name.startswith("rsa3072"):
        return "rsa", 3072, private, False
    if name.startswith("rsa2048"):
        return "rsa", 2048, private, True
    if name.startswith("ecp256"):
        return "ecdsa-p256", 256, private, False
    if name.startswith("ed25519"):
        return "ed25519", 256, private, False
    raise AssertionError(f"unexpected vector key {name}")


def spki_sha256(pem):
    body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    return hashlib.sha256(base64.b64decode(body)).hexdigest()


def test_vector_keys_are_there():
    assert len(KEY_FILES) >= 15, KEY_FILES


@pytest.mark.parametrize("name", [k for k in KEY_FILES if not k.startswith("ecp384")])
def test_vector_key_loads(vec, name):
    path = vec / "keys" / name
    want_type, want_bits, want_private, want_weak = expected(name)
    with artsig.Key.load(path) as key:
        assert key.type == want_type
        assert key.bits == want_bits
        assert key.is_private is want_private
        assert key.is_weak is want_weak
        assert len(key.fingerprint) == 64
        pem = key.public_pem()
        assert pem.startswith("-----BEGIN PUBLIC KEY-----\n")
        # The fingerprint is the SHA-256 of the DER SubjectPublicKeyInfo.
        assert key.fingerprint == spki_sha256(pem)
        # From memory, the same key.
        with artsig.Key.from_bytes(path.read_bytes()) as again:
            assert again.fingerprint == key.fingerprint
            assert again.is_private is want_private
        # The exported public half loads as the public key.
        with artsig.Key.from_bytes(pem) as pub:
            assert pub.fingerprint == key.fingerprint
            assert not pub.is_private
    assert key.closed


@pytest.mark.parametrize("name", [k for k in KEY_FILES if k.startswith("ecp384")])
def test_p384_is_refused(vec, name):
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.Key.load(vec / "keys" / name)
    e = info.value
    assert e.status == artsig.Status.EKEYUNSUPPORTED
    assert e.name == "ARTSIG_EKEYUNSUPPORTED"
    assert "P-384" in e.message or "secp384r1" in e.message
    assert name in e.message


@pytest.mark.parametrize(
    "family",
    [
        ["rsa3072.pkcs1.key", "rsa3072.pkcs8.key", "rsa3072.pub", "rsa3072.pkcs1.pub"],
        ["rsa2048.pkcs1.key", "rsa2048.pkcs8.key", "rsa2048.pub"],
        ["ecp256.params.key", "ecp256.pkcs8.key", "ecp256.sec1.key", "ecp256.pub", "ecp256.pub.der"],
        ["ecp256b.sec1.key", "ecp256b.pub"],
        ["ed25519.key", "ed25519.pub"],
    ],
    ids=lambda f: f[0].split(".")[0],
)
def test_halves_share_a_fingerprint(vec, family):
    prints = {artsig.Key.load(vec / "keys" / n).fingerprint for n in family}
    assert len(prints) == 1


def test_distinct_keys_have_distinct_fingerprints(vec):
    a = artsig.Key.load(vec / "keys" / "ecp256.pub")
    b = artsig.Key.load(vec / "keys" / "ecp256b.pub")
    assert a.fingerprint != b.fingerprint


@pytest.mark.parametrize(
    "kind, bits",
    [("rsa", 3072), ("rsa3072", 3072), ("ecdsa-p256", 256), ("ed25519", 256), (artsig.KeyType.ED25519, 256)],
)
def test_generate(kind, bits):
    key = artsig.Key.generate(kind)
    assert key.is_private and key.bits == bits and not key.is_weak
    pem = key.private_pem()
    assert pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    again = artsig.Key.from_bytes(pem)
    assert again.is_private and again.fingerprint == key.fingerprint
    assert artsig.Key.generate(kind).fingerprint != key.fingerprint
    assert key.fingerprint[:16] in repr(key)


def test_generate_unknown_type():
    with pytest.raises(ValueError):
        artsig.Key.generate("dsa")


def test_keys_are_made_by_the_classmethods_only():
    with pytest.raises(TypeError):
        artsig.Key()


def test_closed_key():
    key = artsig.Key.generate("ed25519")
    key.close()
    key.close()  # idempotent
    assert key.closed and "closed" in repr(key)
    with pytest.raises(ValueError):
        key.fingerprint
    with pytest.raises(ValueError):
        artsig.sign(key, b"x")
    with pytest.raises(ValueError):
        with key:
            pass


@pytest.fixture(scope="module")
def encrypted(tmp_path_factory):
    """A PKCS#8 key encrypted with the passphrase "correct horse" by openssl."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("enc")
    key = artsig.Key.generate("ecdsa-p256")
    (d / "plain.key").write_text(key.private_pem())
    run(
        ["openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", d / "plain.key",
         "-out", d / "enc.key", "-passout", "pass:correct horse"],
        check=True,
    )
    return d / "enc.key", key.fingerprint


@pytest.mark.parametrize(
    "passphrase", ["correct horse", b"correct horse", lambda: "correct horse"], ids=["str", "bytes", "callable"]
)
def test_passphrase(encrypted, passphrase):
    path, fingerprint = encrypted
    key = artsig.Key.load(path, passphrase=passphrase)
    assert key.is_private and key.fingerprint == fingerprint
    assert artsig.Key.from_bytes(path.read_bytes(), passphrase).fingerprint == fingerprint


@pytest.mark.parametrize("passphrase", [None, "wrong", lambda: None], ids=["missing", "wrong", "declined"])
def test_passphrase_refused(encrypted, passphrase):
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.Key.load(encrypted[0], passphrase=passphrase)
    assert info.value.status == artsig.Status.EPASSPHRASE
    assert info.value.message


def test_passphrase_callback_exception_propagates(encrypted):
    def ask():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        artsig.Key.load(encrypted[0], passphrase=ask)


def test_passphrase_not_asked_for_a_plain_key(vec):
    def ask():
        raise AssertionError("asked")

    assert artsig.Key.load(vec / "keys" / "ed25519.key", passphrase=ask).is_private


@pytest.mark.parametrize(
    "content, status",
    [
        (b"", "EKEYEMPTY"),
        (b"hello, not a key\n", "EKEYFORMAT"),
        (b"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n", "EKEYPEM"),
        (b"\x30\x82\x01\x00\x02", "EKEYDER"),
    ],
    ids=["empty", "text", "corrupt-pem", "truncated-der"],
)
def test_bad_key_files(tmp_path, content, status):
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.Key.load(path)
    assert info.value.name == "ARTSIG_" + status
    assert str(path) in info.value.message
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.Key.from_bytes(content)
    assert info.value.name == "ARTSIG_" + status


def test_missing_key_file(tmp_path):
    path = tmp_path / "nope.pub"
    with pytest.raises(artsig.NotFoundError) as info:
        artsig.Key.load(path)
    e = info.value
    assert e.status == artsig.Status.ENOENT and e.name == "ARTSIG_ENOENT"
    assert str(path) in e.message
    assert isinstance(e, FileNotFoundError) and e.filename == str(path)


def test_last_error_is_per_thread(tmp_path):
    """Each thread's failure carries its own detail, whatever the others do."""
    failures = []

    def worker(n):
        for i in range(200):
            path = tmp_path / f"thread{n}-{i}.pub"
            try:
                artsig.Key.load(path)
            except artsig.NotFoundError as e:
                if str(path) not in e.message:
                    failures.append((str(path), e.message))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_a_key_is_shared_between_threads(vec):
    key = artsig.Key.load(vec / "keys" / "ed25519.key")
    sig = artsig.sign(key, b"shared")
    results = []

    def worker():
        results.extend(artsig.verify(key, b"shared", sig) is not False for _ in range(100))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 400
