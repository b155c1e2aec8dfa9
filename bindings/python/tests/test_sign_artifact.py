"""Signing artifacts: the output validates with the CLI, outputs appear whole
or not at all, offline signing."""

import os
import stat

import pytest

import artsig

UNSIGNED = "rootfs-gzip-unsigned.mender"


def leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(".artsig-tmp-")]


@pytest.fixture
def unsigned(vec, tmp_path):
    path = tmp_path / "in.mender"
    path.write_bytes((vec / "artifacts" / UNSIGNED).read_bytes())
    path.chmod(0o640)
    return path


@pytest.mark.parametrize("kind", ["rsa", "ecdsa-p256", "ed25519"])
def test_signed_artifact_validates_with_the_cli(cli, unsigned, tmp_path, kind):
    key = artsig.Key.generate(kind)
    (tmp_path / "key.pub").write_text(key.public_pem())
    before = unsigned.read_bytes()
    out = tmp_path / "out.mender"
    artsig.sign_artifact(unsigned, out, key)
    assert unsigned.read_bytes() == before  # the source is untouched
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # its permissions kept
    assert leftovers(tmp_path) == []
    r = cli("validate", "-k", tmp_path / "key.pub", out)
    assert r.returncode == 0, r.stderr
    assert b"verified correctly by key 1" in r.stdout
    r = artsig.check(out, keys=[tmp_path / "key.pub"])
    assert r.ok and r.verifying_key == 0 and r.facts["signed"] is True
    # Another key does not verify it.
    assert artsig.validate(out, keys=[artsig.Key.generate(kind)]) is False


def test_sign_with_a_key_file_and_check_payloads(vec, cli, unsigned, tmp_path):
    out = tmp_path / "out.mender"
    artsig.sign_artifact(unsigned, out, vec / "keys" / "rsa3072.pkcs1.key", check_payloads=True)
    r = cli("validate", "-k", vec / "keys" / "rsa3072.pub", out)
    assert r.returncode == 0, r.stderr


def test_sign_in_place(vec, unsigned):
    artsig.sign_artifact(unsigned, None, vec / "keys" / "ed25519.key")
    assert artsig.validate(unsigned, keys=[vec / "keys" / "ed25519.pub"])
    assert leftovers(unsigned.parent) == []


def test_in_place_through_a_symlink(vec, unsigned, tmp_path):
    link = tmp_path / "link.mender"
    link.symlink_to(unsigned)
    artsig.sign_artifact(link, None, vec / "keys" / "ed25519.key")
    assert link.is_symlink()
    assert artsig.validate(unsigned, keys=[vec / "keys" / "ed25519.pub"])


def test_already_signed(vec, tmp_path):
    src = vec / "artifacts" / "rootfs-gzip-ecdsa.mender"
    out = tmp_path / "out.mender"
    with pytest.raises(artsig.Error) as info:
        artsig.sign_artifact(src, out, vec / "keys" / "ed25519.key")
    assert info.value.name == "ARTSIG_ESTATE" and info.value.message
    assert not out.exists() and leftovers(tmp_path) == []
    artsig.sign_artifact(src, out, vec / "keys" / "ed25519.key", replace=True)
    assert artsig.validate(out, keys=[vec / "keys" / "ed25519.pub"])
    assert artsig.validate(out, keys=[vec / "keys" / "ecp256.pub"]) is False


def test_failures_leave_nothing_behind(vec, tmp_path):
    out = tmp_path / "out.mender"
    bad = tmp_path / "bad.mender"
    bad.write_bytes(b"not an artifact\n" * 100)
    with pytest.raises(artsig.Error) as info:
        artsig.sign_artifact(bad, out, vec / "keys" / "ed25519.key")
    assert info.value.status == artsig.Status.EFORMAT and info.value.message
    # A public key cannot sign.
    with pytest.raises(artsig.KeyLoadError) as info:
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, vec / "keys" / "ed25519.pub")
    assert info.value.status == artsig.Status.EKEYROLE
    # A payload that does not match, found with check_payloads.
    with pytest.raises(artsig.ArtifactError) as info:
        artsig.sign_artifact(vec / "artifacts" / "t-payload-swapped.mender", out,
                             vec / "keys" / "ed25519.key", replace=True, check_payloads=True)
    assert info.value.status == artsig.Status.EDIGEST
    with pytest.raises(artsig.NotFoundError):
        artsig.sign_artifact(tmp_path / "nope.mender", out, vec / "keys" / "ed25519.key")
    assert not out.exists() and leftovers(tmp_path) == []
    with pytest.raises(artsig.Error) as info:
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, tmp_path / "no-dir" / "out.mender",
                             vec / "keys" / "ed25519.key")
    assert info.value.status == artsig.Status.ENOENT


def test_an_existing_destination_is_replaced_whole(vec, tmp_path):
    out = tmp_path / "out.mender"
    out.write_bytes(b"old")
    artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, vec / "keys" / "ed25519.key")
    assert artsig.validate(out, keys=[vec / "keys" / "ed25519.pub"])


def test_offline_signing(vec, cli, unsigned, tmp_path):
    manifest = artsig.export_manifest(unsigned)
    assert manifest and b"header.tar.gz" in manifest
    r = cli("export-manifest", "-o", "-", unsigned)
    assert r.returncode == 0 and r.stdout == manifest
    sig = artsig.sign(vec / "keys" / "ecp256.sec1.key", manifest)
    out = tmp_path / "out.mender"
    # A signature the given keys do not verify is refused.
    with pytest.raises(artsig.VerificationError):
        artsig.attach_signature(unsigned, out, sig, keys=[vec / "keys" / "ecp256b.pub"])
    assert not out.exists()
    # Text or bytes, checked against the right key.
    artsig.attach_signature(unsigned, out, artsig.encode_signature(sig), keys=[vec / "keys" / "ecp256.pub"])
    r = cli("validate", "-k", vec / "keys" / "ecp256.pub", out)
    assert r.returncode == 0, r.stderr
    assert artsig.export_manifest(out) == manifest
    # The result equals what the private key signs directly.
    direct = tmp_path / "direct.mender"
    artsig.sign_artifact(unsigned, direct, vec / "keys" / "ecp256.sec1.key")
    assert artsig.validate(direct, keys=[vec / "keys" / "ecp256.pub"])
    # A malformed signature is refused even without keys.
    with pytest.raises(artsig.Error):
        artsig.attach_signature(unsigned, out, b"\x01" * 10, replace=True)


def test_many_signings_release_their_resources(vec, tmp_path):
    """Keys, signers and descriptors are released (no fd leak over many calls)."""
    before = len(os.listdir("/proc/self/fd"))
    key = artsig.Key.load(vec / "keys" / "ed25519.key")
    for i in range(30):
        out = tmp_path / f"o{i}.mender"
        artsig.sign_artifact(vec / "artifacts" / UNSIGNED, out, key)
        assert artsig.validate(out, keys=[vec / "keys" / "ed25519.pub"])
        with pytest.raises(artsig.Error):
            artsig.sign_artifact(out, out, key)
    assert len(os.listdir("/proc/self/fd")) <= before + 1
