"""Keys: artsig_key objects, loaded from files, memory or a PKCS#11 token,
or generated."""

from __future__ import annotations

import ctypes
import enum
import os
from ctypes import c_size_t, c_void_p
from typing import Callable, Optional, Union

from . import _errors, _lib
from ._handle import HandleOwner

Secret = Union[str, bytes, Callable[[], Union[str, bytes]], None]


class KeyType(enum.IntEnum):
    """artsig_key_type (values are ABI)."""

    RSA = 1
    ECDSA_P256 = 2
    ED25519 = 3


_TYPE_NAMES = {
    "rsa": KeyType.RSA,
    "rsa3072": KeyType.RSA,  # what `artsig keygen --type` calls it
    "ecdsa-p256": KeyType.ECDSA_P256,
    "ed25519": KeyType.ED25519,
}


def _key_type(value) -> KeyType:
    if isinstance(value, KeyType):
        return value
    if isinstance(value, str):
        try:
            return _TYPE_NAMES[value.lower()]
        except KeyError:
            pass
    raise ValueError(f"unknown key type {value!r}: use 'rsa', 'ecdsa-p256' or 'ed25519'")


def secret_bytes(value, what: str):
    """A secret given as str (UTF-8), bytes or bytearray (returned as it is,
    not copied, so that its owner can wipe it)."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{what} must be str or bytes (or a callable returning one), "
                        f"not {type(value).__name__}")
    return value


class _SecretCallback:
    """An artsig_passphrase_cb handing over a passphrase or PIN (`what`).

    `secret` may be str (UTF-8), bytes, or a callable returning either, which
    is called only if the library asks (the key is encrypted, the token needs
    a PIN). An exception in the callable is kept and re-raised by `reraise`
    after the C call returned. Keep the object alive during the call.
    """

    def __init__(self, secret: Secret, what: str):
        if secret is not None and not callable(secret):
            secret_bytes(secret, what)  # a wrong type fails now, asked for or not
        self._secret = secret
        self._what = what
        self.exception: Optional[BaseException] = None
        # No secret: a NULL callback (the library then fails with EPASSPHRASE/EPIN
        # when it needs one).
        self.c = _lib.PASSPHRASE_CB(self._call) if secret is not None else _lib.PASSPHRASE_CB()

    def _call(self, buf, size, _userdata):
        try:
            value = self._secret() if callable(self._secret) else self._secret
            if value is None:
                return -1
            value = bytes(secret_bytes(value, self._what))
            if len(value) > size:
                return -1
            ctypes.memmove(buf, value, len(value))
            return len(value)
        except BaseException as e:  # noqa: BLE001 - must not unwind through C
            self.exception = e
            return -1

    def reraise(self) -> None:
        if self.exception is not None:
            e, self.exception = self.exception, None
            raise e


class Key(HandleOwner):
    """A loaded key: immutable, safe to share between threads.

    Private key material is wiped by the library when the key is closed
    (``close()``, the end of a ``with`` block, or garbage collection).
    Create keys with :meth:`load`, :meth:`from_bytes`, :meth:`generate` or
    :meth:`load_pkcs11`.
    """

    __slots__ = ("_handle", "_origin", "__weakref__")
    _noun = "key"

    def __init__(self, *_args, **_kwargs):
        raise TypeError("use Key.load(), Key.from_bytes(), Key.generate() or Key.load_pkcs11()")

    @classmethod
    def _adopt(cls, handle: int, origin: str) -> "Key":
        """Wrap a handle holding one reference, which the Key then owns."""
        self = object.__new__(cls)
        self._handle = handle
        self._origin = origin
        return self

    # -- construction -----------------------------------------------------

    @classmethod
    def load(cls, path, passphrase: Secret = None) -> "Key":
        """Load a PEM or DER key file (private or public; RSA, ECDSA P-256 or
        Ed25519). `passphrase` (str, bytes, or a callable returning one) is
        needed for an encrypted private key."""
        cb = _SecretCallback(passphrase, "passphrase")
        out = c_void_p()
        st = _lib.lib().artsig_key_load_file(ctypes.byref(out), _lib.fsencode_path(path), cb.c, None)
        if st != 0:
            detail = _lib.last_error()
            cb.reraise()
            raise _errors.error(st, detail, filename=os.fspath(path))
        return cls._adopt(out.value, os.fsdecode(os.fspath(path)))

    @classmethod
    def from_bytes(cls, data, passphrase: Secret = None) -> "Key":
        """Load a key from PEM text or DER bytes (str is taken as PEM)."""
        data = data.encode("utf-8") if isinstance(data, str) else _lib.as_bytes(data, "data")
        cb = _SecretCallback(passphrase, "passphrase")
        out = c_void_p()
        st = _lib.lib().artsig_key_load_mem(ctypes.byref(out), data, len(data), cb.c, None)
        if st != 0:
            detail = _lib.last_error()
            cb.reraise()
            raise _errors.error(st, detail)
        return cls._adopt(out.value, "<memory>")

    @classmethod
    def generate(cls, type="ed25519") -> "Key":
        """A fresh private key: ``"rsa"`` (3072 bits), ``"ecdsa-p256"`` or
        ``"ed25519"`` (or a :class:`KeyType`)."""
        out = c_void_p()
        _errors.check(_lib.lib().artsig_key_generate(ctypes.byref(out), int(_key_type(type))))
        return cls._adopt(out.value, "<generated>")

    @classmethod
    def load_pkcs11(cls, uri: str, pin: Secret = None) -> "Key":
        """The public key of a PKCS#11 token's object, named by an RFC 7512
        URI (``pkcs11:token=T;object=O;type=public?module-path=LIB``). `pin`
        is asked for only when the token needs one and the URI carries none.
        The result verifies in software; it holds no reference to the token."""
        if not isinstance(uri, str):
            raise TypeError(f"uri must be str, not {type(uri).__name__}")
        cb = _SecretCallback(pin, "pin")
        out = c_void_p()
        st = _lib.lib().artsig_key_load_pkcs11(ctypes.byref(out), uri.encode("utf-8"), cb.c, None)
        if st != 0:
            detail = _lib.last_error()
            cb.reraise()
            raise _errors.error(st, detail)
        return cls._adopt(out.value, "pkcs11")

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Drop the key's reference (the library wipes private material with
        the last one). Further use raises ValueError. Idempotent."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            _lib.lib().artsig_key_free(handle)

    # -- properties (`type`, `closed` and the with block: HandleOwner) ----

    @property
    def key_type(self) -> KeyType:
        return KeyType(_lib.lib().artsig_key_get_type(self._ptr))

    @property
    def bits(self) -> int:
        """RSA modulus bits; 256 for P-256 and Ed25519."""
        return int(_lib.lib().artsig_key_bits(self._ptr))

    @property
    def is_private(self) -> bool:
        return bool(_lib.lib().artsig_key_is_private(self._ptr))

    @property
    def is_weak(self) -> bool:
        """Accepted but below current recommendations (RSA under 3072 bits)."""
        return bool(_lib.lib().artsig_key_is_weak(self._ptr))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the DER SubjectPublicKeyInfo as 64 lowercase hex
        characters: the same for a private key and its public half."""
        buf = ctypes.create_string_buffer(65)
        _errors.check(_lib.lib().artsig_key_fingerprint_hex(buf, self._ptr))
        return buf.value.decode("ascii")

    def _export(self, form: int) -> str:
        out = c_void_p()
        n = c_size_t()
        lib = _lib.lib()
        _errors.check(lib.artsig_key_export(ctypes.byref(out), ctypes.byref(n), self._ptr, form))
        try:
            return ctypes.string_at(out.value, n.value).decode("ascii")
        finally:
            lib.artsig_key_free_pem(out.value, n.value)

    def public_pem(self) -> str:
        """The public key as SPKI PEM ("BEGIN PUBLIC KEY")."""
        return self._export(1)  # ARTSIG_EXPORT_PUBLIC_SPKI_PEM

    def private_pem(self) -> str:
        """The private key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
        The library's copy is wiped; the returned str cannot be: write it
        where it belongs (mode 0600) and drop it."""
        return self._export(2)  # ARTSIG_EXPORT_PRIVATE_PKCS8_PEM

    def __repr__(self) -> str:
        if not self._handle:
            return "<artsig.Key closed>"
        kind = "private" if self.is_private else "public"
        return (
            f"<artsig.Key {self.type} {self.bits} {kind} "
            f"fingerprint={self.fingerprint[:16]}... from {self._origin}>"
        )


KeyLike = Union[Key, str, "os.PathLike[str]"]


def is_pkcs11_uri(value) -> bool:
    """True for a ``pkcs11:`` URI (any case)."""
    return isinstance(value, str) and bool(_lib.lib().artsig_is_pkcs11_uri(value.encode("utf-8")))


def as_key(value, *, pin: Secret = None, passphrase: Secret = None):
    """(key, owned): a Key as is, a path or pkcs11: URI loaded (the caller
    closes an owned one)."""
    if isinstance(value, Key):
        value._ptr  # noqa: B018 - refuse a closed key early
        return value, False
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError("key must be a Key, a path or a pkcs11: URI; for PEM/DER data use Key.from_bytes()")
    if is_pkcs11_uri(value):
        return Key.load_pkcs11(value, pin), True
    if isinstance(value, str) or isinstance(value, os.PathLike):
        return Key.load(value, passphrase), True
    raise TypeError(f"key must be a Key, a path or a pkcs11: URI, not {type(value).__name__}")


class Keyring:
    """An artsig_keyring of the given keys, in order (internal; use as a
    context manager). Keys given as paths or URIs are loaded and released."""

    def __init__(self, keys, pin: Secret = None):
        if keys is None:
            keys = []
        elif isinstance(keys, (Key, str, os.PathLike)):
            keys = [keys]
        lib = _lib.lib()
        out = c_void_p()
        _errors.check(lib.artsig_keyring_new(ctypes.byref(out)))
        self.handle = out.value
        self.count = 0
        try:
            for k in keys:
                key, owned = as_key(k, pin=pin)
                try:
                    # The keyring takes its own reference.
                    _errors.check(lib.artsig_keyring_add(self.handle, key._ptr))
                finally:
                    if owned:
                        key.close()
                self.count += 1
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        handle, self.handle = self.handle, None
        if handle:
            _lib.lib().artsig_keyring_free(handle)

    def __enter__(self) -> "Keyring":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
