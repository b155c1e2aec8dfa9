"""Signing and verifying blobs in Mender's signature encodings."""

from __future__ import annotations

import ctypes
from ctypes import c_size_t
from typing import Union

from . import _errors, _lib
from ._keys import Keyring, Secret
from ._signer import signer_of


class KeyIndex(int):
    """The position of the key that verified, returned by :func:`verify`.

    An int that is always truthy, even for the first key (0), so that
    ``if artsig.verify(...)`` means "verified"; a failure is ``False``.
    """

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"KeyIndex({int(self)})"


def _bytes(data) -> bytes:
    if isinstance(data, str):
        raise TypeError("data must be bytes-like, not str (encode it first)")
    return _lib.as_bytes(data, "data")


def sign(key, data, *, pin: Secret = None, passphrase: Secret = None) -> bytes:
    """Sign `data` in Mender's encoding: RSA PKCS#1 v1.5 over SHA-256, ECDSA
    P-256 over SHA-256 as raw r||s (64 bytes), or pure Ed25519. `key` is a
    private :class:`Key`, a key file path (with `passphrase` if encrypted),
    a ``pkcs11:`` URI (the token signs, with `pin` if the URI has none), or
    a :class:`GcpKmsKey`, :class:`VaultTransitKey` or :class:`SignCommand`
    (the service or program signs). Returns the raw signature;
    :func:`encode_signature` gives the base64 text Mender stores and
    ``artsig sign-blob`` prints."""
    msg = _bytes(data)
    lib = _lib.lib()
    sig = ctypes.create_string_buffer(_lib.SIGNATURE_MAX)
    n = c_size_t(_lib.SIGNATURE_MAX)
    with signer_of(key, pin=pin, passphrase=passphrase) as signer:
        _errors.check(lib.artsig_signer_sign(sig, ctypes.byref(n), signer, msg, len(msg)))
    return sig.raw[: n.value]


def _raw_signature(signature) -> bytes:
    """Raw signature bytes from bytes (raw) or str (base64 text)."""
    if isinstance(signature, str):
        return decode_signature(signature)
    return _lib.as_bytes(signature, "signature")


def verify(keys, data, signature, *, pin: Secret = None) -> Union[KeyIndex, bool]:
    """Verify `signature` over `data` with one key or a list of keys (Key
    objects, key file paths or ``pkcs11:`` URIs), tried in order.

    `signature` is raw bytes, or str holding the base64 text. Returns the
    index of the first key that verifies (a :class:`KeyIndex`, truthy even
    when 0) or False. A signature that cannot be one for a key's type is a
    failure for that key. A key that cannot be loaded, or base64 text that
    is malformed, raises :class:`Error`.
    """
    msg = _bytes(data)
    sig = _raw_signature(signature)
    lib = _lib.lib()
    with Keyring(keys, pin=pin) as ring:
        index = c_size_t()
        st = lib.artsig_keyring_verify(ctypes.byref(index), ring.handle, msg, len(msg), sig, len(sig))
        if st == _errors.Status.EVERIFY:
            return False
        if st != 0:
            _errors.raise_last(st)
        return KeyIndex(index.value)


def encode_signature(signature: bytes) -> str:
    """Raw signature bytes as standard base64 with padding (Mender's text)."""
    sig = _lib.as_bytes(signature, "signature")
    text = ctypes.create_string_buffer(_lib.SIGNATURE_B64_MAX)
    _errors.check(_lib.lib().artsig_signature_encode(text, sig, len(sig)))
    return text.value.decode("ascii")


def decode_signature(text) -> bytes:
    """The raw bytes of a base64 signature text (trailing whitespace is
    tolerated). Raises :class:`Error` (ARTSIG_ESIGFORMAT) when malformed."""
    if isinstance(text, str):
        text = text.encode("ascii", "replace")
    else:
        text = _lib.as_bytes(text, "text")
    sig = ctypes.create_string_buffer(_lib.SIGNATURE_MAX)
    n = c_size_t(_lib.SIGNATURE_MAX)
    _errors.check(_lib.lib().artsig_signature_decode(sig, ctypes.byref(n), text, len(text)))
    return sig.raw[: n.value]

