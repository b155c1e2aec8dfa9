"""Artifacts: every case of cases.tsv, the facts of every meta/*.json, and
how refusals are reported."""

import json
import os

import pytest

import artsig
from conftest import VECTORS, agree, keys_of, read_cases

CASES = read_cases(VECTORS) if (VECTORS / "cases.tsv").is_file() else []
METAS = sorted(p.stem for p in (VECTORS / "meta").glob("*.json"))


def case_id(c):
    return f"{c['what']}:{c['artifact']}"


def test_there_are_cases():
    assert len(CASES) >= 40 and len(METAS) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_case(vec, case):
    artifact = vec / "artifacts" / case["artifact"]
    keys = keys_of(vec, case["keys"])
    if case["expect"] == "ok":
        assert artsig.validate(artifact, keys=keys) is True
        result = artsig.check(artifact, keys=keys)
        assert result and result.ok and result.status == 0 and result.name == "ARTSIG_OK"
        assert result.reason == ""
        assert result.facts is not None
        state = result.facts["signature"]["state"]
        if keys:
            assert state == "verified"
            assert result.verifying_key == result.facts["signature"]["key_index"]
            assert 0 <= result.verifying_key < len(keys)
            # The key that verified is of the artifact's signature: alone, it verifies.
            assert artsig.validate(artifact, keys=[keys[result.verifying_key]])
        else:
            assert state in ("unsigned", "unchecked")
            assert result.verifying_key is None
        # After a whole run every file's size is known.
        for p in result.facts["payloads"] + result.facts["updates"]:
            assert all(isinstance(f["size"], int) for f in p["files"])
        assert artsig.read(artifact, keys=keys) == result.facts
        return
    # Refused: either a key cannot be loaded (the caller's error, raised and
    # naming the key file), or the artifact is refused with a reason.
    try:
        verdict = artsig.validate(artifact, keys=keys)
    except artsig.KeyLoadError as e:
        assert any(k.name in e.message for k in keys), e.message
        return
    assert verdict is False
    result = artsig.check(artifact, keys=keys)
    assert not result and result.ok is False
    assert result.status < 0 and result.name.startswith("ARTSIG_E")
    assert result.reason and "\n" not in result.reason
    assert result.verifying_key is None
    with pytest.raises(artsig.Error) as info:
        artsig.read(artifact, keys=keys)
    assert info.value.status == result.status
    assert info.value.message == result.reason


@pytest.mark.parametrize("name", METAS)
def test_facts_agree_with_meta(vec, name):
    want = json.loads((vec / "meta" / f"{name}.json").read_text())
    artifact = vec / "artifacts" / f"{name}.mender"
    facts = artsig.read(artifact)
    assert agree(want, facts) == []
    assert agree(want, artsig.check(artifact, keys=[]).facts) == []
    # Header only: the same facts, but no file was read.
    head = artsig.read(artifact, payloads=False)
    for p in head["payloads"] + head["updates"]:
        assert all(f["size"] is None for f in p["files"])
    for key in ("artifact_name", "device_types", "version", "scripts", "signed"):
        assert head[key] == facts[key]


def test_read_verified(vec):
    facts = artsig.read(
        vec / "artifacts" / "module-multi-ecdsa.mender",
        keys=[vec / "keys" / "rsa3072.pub", vec / "keys" / "ecp256.pub"],
    )
    assert facts["signature"] == {"key_index": 1, "state": "verified"}
    assert facts["artifact_name"] == "release-8.4.16-app"


def test_keys_argument_forms(vec):
    artifact = vec / "artifacts" / "rootfs-gzip-ecdsa.mender"
    pub = vec / "keys" / "ecp256.pub"
    key = artsig.Key.load(pub)
    assert artsig.validate(artifact, keys=[key])
    assert artsig.validate(artifact, keys=[str(pub)])
    assert artsig.validate(artifact, keys=key)  # one key alone
    assert artsig.validate(str(artifact), keys=pub)
    assert not key.closed  # the caller's Key is not closed by the call
    with pytest.raises(TypeError):
        artsig.validate(artifact, keys=[pub.read_bytes()])


def test_file_object_and_descriptor(vec):
    artifact = vec / "artifacts" / "rootfs-gzip-rsa.mender"
    keys = [vec / "keys" / "rsa3072.pub"]
    with open(artifact, "rb") as f:
        assert artsig.check(f, keys=keys).ok
    fd = os.open(artifact, os.O_RDONLY)
    try:
        assert artsig.validate(fd, keys=keys)
    finally:
        os.close(fd)


def test_wrong_key(vec):
    artifact = vec / "artifacts" / "rootfs-gzip-ecdsa.mender"
    keys = [vec / "keys" / "ecp256b.pub"]
    assert artsig.validate(artifact, keys=keys) is False
    r = artsig.check(artifact, keys=keys)
    assert (r.ok, r.status, r.name) == (False, artsig.Status.EVERIFY, "ARTSIG_EVERIFY")
    fingerprint = artsig.Key.load(keys[0]).fingerprint
    assert fingerprint[:16] in r.reason  # the detail lists the keys tried
    assert r.facts is None  # refused before the header
    with pytest.raises(artsig.VerificationError) as info:
        artsig.read(artifact, keys=keys)
    e = info.value
    assert (e.status, e.name, e.message) == (r.status, r.name, r.reason)
    with pytest.raises(artsig.VerificationError):
        r.raise_for_status()


def test_unsigned_with_key(vec):
    r = artsig.check(vec / "artifacts" / "rootfs-gzip-unsigned.mender", keys=[vec / "keys" / "ecp256.pub"])
    assert r.name == "ARTSIG_EUNSIGNED" and r.reason


def test_payload_refused_after_the_header(vec):
    r = artsig.check(vec / "artifacts" / "t-payload-swapped.mender", keys=[vec / "keys" / "rsa3072.pub"])
    assert r.name == "ARTSIG_EDIGEST"
    assert "digest mismatch" in r.reason
    # The header was verified: its facts are there, the refused file unsized.
    assert r.facts is not None and r.facts["signature"]["state"] == "verified"
    assert r.verifying_key is None  # never set on a refusal
    with pytest.raises(artsig.ArtifactError) as info:
        artsig.read(vec / "artifacts" / "t-payload-swapped.mender", keys=[vec / "keys" / "rsa3072.pub"])
    assert info.value.status == artsig.Status.EDIGEST


def test_missing_artifact(tmp_path):
    path = tmp_path / "nope.mender"
    for call in (lambda: artsig.validate(path, keys=[]), lambda: artsig.check(path, keys=[]), lambda: artsig.read(path)):
        with pytest.raises(artsig.NotFoundError) as info:
            call()
        e = info.value
        assert e.status == artsig.Status.ENOENT and e.name == "ARTSIG_ENOENT"
        assert str(path) in e.message and isinstance(e, FileNotFoundError)


def test_missing_key_is_raised_not_a_verdict(vec, tmp_path):
    with pytest.raises(artsig.NotFoundError) as info:
        artsig.validate(vec / "artifacts" / "rootfs-gzip-rsa.mender", keys=[tmp_path / "nope.pub"])
    assert str(tmp_path / "nope.pub") in info.value.message


@pytest.mark.parametrize(
    "make, statuses",
    [
        (lambda good: b"", {"ETRUNCATED", "EFORMAT"}),
        (lambda good: b"this is not a tar archive\n" * 40, {"EFORMAT"}),
        (lambda good: good[: len(good) // 2], {"ETRUNCATED"}),
        (lambda good: good[:1024] + b"\xff" * 512 + good[1536:], {"EFORMAT", "EDIGEST", "EMANIFEST", "ETRUNCATED"}),
    ],
    ids=["empty", "text", "truncated", "corrupt-block"],
)
def test_malformed_artifact(vec, tmp_path, make, statuses):
    good = (vec / "artifacts" / "rootfs-gzip-rsa.mender").read_bytes()
    path = tmp_path / "bad.mender"
    path.write_bytes(make(good))
    assert artsig.validate(path, keys=[]) is False
    r = artsig.check(path, keys=[])
    assert r.name[len("ARTSIG_"):] in statuses, (r.name, r.reason)
    assert r.reason
    with pytest.raises(artsig.Error) as info:
        artsig.read(path)
    assert info.value.status == r.status and info.value.message == r.reason


def test_result_is_falsy_when_refused(vec):
    r = artsig.check(vec / "artifacts" / "rootfs-gzip-rsa.mender", keys=[vec / "keys" / "ecp256.pub"])
    assert not r
    assert bool(artsig.check(vec / "artifacts" / "rootfs-gzip-rsa.mender", keys=[vec / "keys" / "rsa3072.pub"]))
