"""copy, deepcopy and pickle of every public class, and arguments that must
be bytes-like.

An object owning a library handle (Key, the remote signers) refuses to be
copied or pickled: a copy would share the handle, and the first copy
collected would free it under the others. That is checked in a child
interpreter under PYTHONMALLOC=debug, whose hooks turn the use of freed
memory into an error or a crash should a copy get through. The other
public classes are values, copied and pickled as such."""

import copy
import os
import pickle
import subprocess
import sys

import pytest

import artsig
from artsig import _errors
from test_keys import encrypted  # noqa: F401 - fixture
from test_remote import GCP_NAME, TOKEN, gcp, signer_command, vault  # noqa: F401 - fixtures

# argv[1:] are expressions making one handle owner each. A duplicate that
# got through is used after its original was collected, as a program would.
CHILD = """
import copy, gc, pickle, sys
import artsig

for expression in sys.argv[1:]:
    for how in (copy.copy, copy.deepcopy, pickle.dumps):
        original = eval(expression)
        try:
            duplicate = how(original)
        except TypeError as e:
            assert "cannot pickle or copy" in str(e), e
            original.close()
            print("refused", how.__name__, type(original).__name__)
            continue
        del original
        gc.collect()
        if how is pickle.dumps:
            duplicate = pickle.loads(duplicate)
        repr(duplicate)
        sys.exit(f"{how.__name__} of {expression} was not refused")
"""


def test_handle_owners_refuse_copy_deepcopy_and_pickle(vec, gcp, vault, tmp_path):  # noqa: F811
    keys = vec / "keys"
    makers = [
        "artsig.Key.generate('ed25519')",
        f"artsig.Key.load({str(keys / 'ecp256.pub')!r})",
        f"artsig.SignCommand({signer_command(tmp_path, keys / 'ed25519.key')!r}, "
        f"{str(keys / 'ed25519.pub')!r})",
        f"artsig.GcpKmsKey({GCP_NAME.format('ec')!r}, endpoint={gcp.url!r}, token={TOKEN!r})",
        f"artsig.VaultTransitKey('ec', endpoint={vault.url!r}, token={TOKEN!r})",
    ]
    # This environment, a sanitized build's preloaded runtime included.
    env = dict(os.environ, PYTHONMALLOC="debug")
    child = subprocess.run([sys.executable, "-c", CHILD, *makers], env=env, capture_output=True,
                           text=True, timeout=120)
    assert child.returncode == 0, child.stderr[-2000:]
    refused = child.stdout.splitlines()
    assert len(refused) == 3 * len(makers), child.stdout
    for kind in ("Key", "SignCommand", "GcpKmsKey", "VaultTransitKey"):
        for how in ("copy", "deepcopy", "dumps"):
            assert f"refused {how} {kind}" in refused


def test_a_refused_copy_leaves_the_original_usable(vec):
    key = artsig.Key.load(vec / "keys" / "ed25519.key")
    for how in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError, match="cannot pickle or copy 'Key' object"):
            how(key)
    assert artsig.verify(vec / "keys" / "ed25519.pub", b"m", artsig.sign(key, b"m")) == 0


def values(vec):
    result = artsig.check(vec / "artifacts" / "rootfs-gzip-rsa.mender", keys=[vec / "keys" / "rsa3072.pub"])
    assert result
    errors = [_errors.error(status, "detail") for status in artsig.Status if status != 0]
    return [result, artsig.KeyIndex(1), artsig.Status.EVERIFY, artsig.KeyType.ED25519, *errors]


def test_values_copy_and_pickle_as_values(vec):
    for value in values(vec):
        for twin in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
            assert type(twin) is type(value)
            if isinstance(value, artsig.Error):
                assert (twin.status, twin.message, str(twin)) == (value.status, value.message, str(value))
            else:
                assert twin == value and bool(twin) == bool(value)


# -- arguments that must be bytes-like: bytes(5) would be five zero bytes ----

NOT_BYTES = [5, 0, [1, 2, 3], None, 1.5]


@pytest.mark.parametrize("wrong", NOT_BYTES)
def test_blob_arguments_must_be_bytes_like(vec, wrong):
    key = artsig.Key.load(vec / "keys" / "ed25519.key")
    sig = artsig.sign(key, b"m")
    with pytest.raises(TypeError, match="data must be"):
        artsig.sign(key, wrong)
    with pytest.raises(TypeError, match="data must be"):
        artsig.verify(key, wrong, sig)
    with pytest.raises(TypeError, match="signature must be"):
        artsig.verify(key, b"m", wrong)
    with pytest.raises(TypeError, match="signature must be"):
        artsig.encode_signature(wrong)
    with pytest.raises(TypeError, match="text must be"):
        artsig.decode_signature(wrong)
    with pytest.raises(TypeError, match="signature must be"):
        artsig.attach_signature(vec / "artifacts" / "rootfs-gzip-unsigned.mender", os.devnull, wrong)


@pytest.mark.parametrize("wrong", [5, [1, 2]])
def test_key_and_secret_arguments_must_be_bytes_like(vec, wrong):
    with pytest.raises(TypeError, match="data must be"):
        artsig.Key.from_bytes(wrong)
    # Refused even when the key would not ask for it.
    with pytest.raises(TypeError, match="passphrase must be"):
        artsig.Key.load(vec / "keys" / "ed25519.key", passphrase=wrong)
    with pytest.raises(TypeError, match="passphrase must be"):
        artsig.sign(vec / "keys" / "ed25519.key", b"m", passphrase=wrong)
    with pytest.raises(TypeError, match="pin must be"):
        artsig.Key.load_pkcs11("pkcs11:object=x;type=public", pin=wrong)
    with pytest.raises(TypeError, match="uri must be"):
        artsig.Key.load_pkcs11(wrong)


def test_a_passphrase_callable_must_return_bytes_or_str(encrypted):  # noqa: F811
    with pytest.raises(TypeError, match="passphrase must be"):
        artsig.Key.load(encrypted[0], passphrase=lambda: 5)


@pytest.mark.parametrize("wrong", [5, [1, 2]])
def test_remote_names_and_commands_are_not_numbers(vec, wrong):
    with pytest.raises(TypeError, match="name must be"):
        artsig.GcpKmsKey(wrong, endpoint="http://127.0.0.1:1", token="t")
    with pytest.raises(TypeError, match="name must be"):
        artsig.VaultTransitKey(wrong, endpoint="http://127.0.0.1:1", token="t")
    with pytest.raises(TypeError, match="command must be"):
        artsig.SignCommand(wrong, vec / "keys" / "ed25519.pub")
    with pytest.raises(TypeError, match="endpoint must be"):
        artsig.VaultTransitKey("k", endpoint=wrong, token="t")
