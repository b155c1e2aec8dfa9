"""Signers whose private key never comes here: Google Cloud KMS, HashiCorp
Vault's Transit engine, and an external signer program (include/artsig/remote.h)."""

from __future__ import annotations

import contextlib
import ctypes
import enum
import os
import threading
from ctypes import c_void_p

from . import _errors, _lib
from ._handle import HandleOwner
from ._keys import KeyType, Secret, as_key, secret_bytes


class RemoteOption(enum.IntEnum):
    """artsig_remote_option (values are ABI)."""

    ENDPOINT = 0
    TOKEN = 1
    CREDENTIALS = 2
    METADATA_HOST = 3
    MOUNT = 4
    KEY_VERSION = 5
    NAMESPACE = 6
    CA_FILE = 7
    TIMEOUT = 8


def _c_string(value, what: str, number: bool = False) -> bytes:
    """An argument for a `const char *`: str (UTF-8), bytes, a path, or for
    a `number` an int in decimal."""
    if number and isinstance(value, int) and not isinstance(value, bool):
        return str(value).encode("ascii")
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be str, bytes or a path, not {type(value).__name__}")
    data = os.fsencode(value)
    # C would see a shorter string than the caller gave.
    if b"\0" in data:
        raise ValueError(f"{what} contains a NUL character")
    return data


@contextlib.contextmanager
def _secret_buffer(secret: Secret, what: str):
    """The secret as a NUL-terminated ctypes buffer that is wiped on exit.

    The caller's str or bytes (and the transient bytes of encoding a str)
    are immutable and cannot be wiped; a bytearray is copied straight from
    its buffer and left as it is (it is the caller's)."""
    value = secret_bytes(secret() if callable(secret) else secret, what)
    n = len(value)
    if b"\0" in value:
        raise ValueError(f"{what} contains a NUL character")
    buf = (ctypes.c_char * (n + 1))()
    try:
        if n:
            # A bytearray is read in place: no extra copy to leave behind.
            source = value if isinstance(value, bytes) else (ctypes.c_char * n).from_buffer(value)
            ctypes.memmove(buf, source, n)
            del source
        del value
        yield buf
    finally:
        ctypes.memset(buf, 0, n + 1)


@contextlib.contextmanager
def _remote_config(options):
    """An artsig_remote_config with the options (a RemoteOption's name in
    lower case: value) that are not None set, in order; the others come
    from the environment when the signer is made."""
    lib = _lib.lib()
    cfg = c_void_p()
    _errors.check(lib.artsig_remote_config_new(ctypes.byref(cfg)))
    try:
        for what, value in options.items():
            if value is None:
                continue
            option = RemoteOption[what.upper()]
            if option == RemoteOption.TOKEN:
                with _secret_buffer(value, what) as buf:
                    st = lib.artsig_remote_config_set(cfg, option, buf)
            else:
                number = option in (RemoteOption.TIMEOUT, RemoteOption.KEY_VERSION)
                st = lib.artsig_remote_config_set(cfg, option, _c_string(value, what, number))
            _errors.check(st)
        yield cfg
    finally:
        # The library wipes the token it copied.
        lib.artsig_remote_config_free(cfg)


class RemoteSigner(HandleOwner):
    """A key that signs elsewhere: the base of :class:`GcpKmsKey`,
    :class:`VaultTransitKey` and :class:`SignCommand`.

    Accepted as the key of :func:`sign` and :func:`sign_artifact`. Every
    signature is verified with the key's public half before it is used.
    The object holds a library signer: release it with ``close()``, a
    ``with`` block, or garbage collection. It may be shared between
    threads; their signing calls take turns (a service connection or a
    program is not for two at once).
    """

    __slots__ = ("_handle", "_lock", "_origin", "__weakref__")
    _noun = "signer"

    def __init__(self, *_args, **_kwargs):
        raise TypeError("use GcpKmsKey, VaultTransitKey or SignCommand")

    def _start(self, origin: str) -> None:
        # Before anything can fail: __del__ runs on half-made objects too.
        self._handle = None
        self._lock = threading.Lock()
        self._origin = origin

    def _made_by(self, new, *args) -> None:
        out = c_void_p()
        _errors.check(new(ctypes.byref(out), *args))
        self._handle = out.value

    def _connect(self, new, name, **options) -> None:
        """Made by `new` (artsig_signer_new_gcp_kms or _vault_transit) for
        the key `name`, configured with `options` (see _remote_config)."""
        c_name = _c_string(name, "name")
        self._start(os.fsdecode(c_name))
        with _remote_config(options) as cfg:
            self._made_by(new, c_name, cfg)

    # -- lifetime ---------------------------------------------------------

    def close(self) -> None:
        """Release the signer (the library wipes the token it holds).
        Further use raises ValueError. Idempotent; waits for a signing call
        of another thread to end."""
        lock = getattr(self, "_lock", None)
        if lock is None:
            return
        with lock:
            handle, self._handle = self._handle, None
        if handle:
            _lib.lib().artsig_signer_free(handle)

    @contextlib.contextmanager
    def _in_use(self):
        """The signer's handle, this thread's alone until the block ends."""
        with self._lock:
            yield self._ptr

    # -- properties (`type`, `closed` and the with block: HandleOwner) ----

    @property
    def key_type(self) -> KeyType:
        return KeyType(_lib.lib().artsig_signer_type(self._ptr))

    def __repr__(self) -> str:
        kind = type(self).__name__
        if not self._handle:
            return f"<artsig.{kind} closed>"
        return f"<artsig.{kind} {self.type} {self._origin}>"


_TOKEN_NOTE = """
    A token given as str or bytes cannot be wiped from memory by Python
    (nor can the transient copy of a str's encoding): the binding copies it
    into a buffer that it wipes as soon as the library has its own copy,
    does not keep it, and the library wipes its copy when the signer is
    closed. Best effort, then: pass a callable returning the token so that
    it need not sit in a variable of yours, or leave it to the environment."""


class GcpKmsKey(RemoteSigner):
    __slots__ = ()
    __doc__ = (
        """A Google Cloud KMS key version that signs:
    ``GcpKmsKey("projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V")``.

    Making it fetches an access token and the key's public half, so bad
    credentials or a missing key fail here (:class:`RemoteSignerError`,
    :class:`Error` with ``ENOTFOUND``), not halfway through a release. Only
    EC_SIGN_P256_SHA256 and RSA_SIGN_PKCS1_{2048,3072,4096}_SHA256 keys are
    accepted (else :class:`KeyLoadError`, ``EKEYUNSUPPORTED``).

    An argument left None comes from the environment when the key is made:
    `endpoint` $ARTSIG_GCP_KMS_ENDPOINT (else https://cloudkms.googleapis.com;
    plain http only to a loopback host), `token` $GOOGLE_OAUTH_ACCESS_TOKEN,
    `credentials` (a service-account JSON file) $GOOGLE_APPLICATION_CREDENTIALS,
    else the metadata server `metadata_host` $GCE_METADATA_HOST (else
    metadata.google.internal); `ca_file`, a PEM file of CAs to trust
    instead of the system's (no variable); `timeout`, seconds per request
    (1 to 3600), $ARTSIG_REMOTE_TIMEOUT, else 30. A malformed setting raises
    :class:`Error` with ``EINVAL``.
"""
        + _TOKEN_NOTE
    )

    def __init__(self, name, *, endpoint=None, token: Secret = None, credentials=None,
                 metadata_host=None, ca_file=None, timeout=None):
        self._connect(_lib.lib().artsig_signer_new_gcp_kms, name, endpoint=endpoint, token=token,
                      credentials=credentials, metadata_host=metadata_host, ca_file=ca_file,
                      timeout=timeout)


class VaultTransitKey(RemoteSigner):
    __slots__ = ()
    __doc__ = (
        """A key of HashiCorp Vault's Transit secrets engine that signs:
    ``VaultTransitKey("release")``.

    Making it reads the key (its type and the public key of the version
    used), so a bad token or a missing key fails here. rsa-2048/3072/4096,
    ecdsa-p256 and ed25519 keys are accepted.

    An argument left None comes from the environment when the key is made:
    `endpoint` $VAULT_ADDR (else https://127.0.0.1:8200; plain http only to
    a loopback host), `token` $VAULT_TOKEN, `mount` $VAULT_MOUNT_PATH (else
    "transit"), `key_version` $VAULT_KEY_VERSION (else the latest),
    `namespace` $VAULT_NAMESPACE, `ca_file` $VAULT_CACERT (else the system's
    CAs), `timeout` $ARTSIG_REMOTE_TIMEOUT (else 30 s). A malformed setting
    raises :class:`Error` with ``EINVAL``.
"""
        + _TOKEN_NOTE
    )

    def __init__(self, name, *, endpoint=None, token: Secret = None, mount=None, key_version=None,
                 namespace=None, ca_file=None, timeout=None):
        self._connect(_lib.lib().artsig_signer_new_vault_transit, name, endpoint=endpoint,
                      token=token, mount=mount, key_version=key_version, namespace=namespace,
                      ca_file=ca_file, timeout=timeout)


class SignCommand(RemoteSigner):
    """An external program that signs, for any HSM or service the library
    does not speak to: ``SignCommand("my-signer --key release", "release.pub")``.

    For each signature, `command` runs with ``/bin/sh -c``; it reads the
    bytes to sign on its standard input (for an artifact, its manifest),
    finds the key type in $ARTSIG_SIGN_KEY_TYPE (``rsa``, ``ecdsa-p256``
    or ``ed25519``), prints the signature in base64 (ECDSA as r||s or DER)
    and exits 0; its standard error is this process's. `public_key` (a
    :class:`Key`, a key file path or a ``pkcs11:`` URI) sets the key type
    and checks every signature. A program that fails or prints no base64
    raises :class:`RemoteSignerError` (``EREMOTE``) when signing; a
    signature that does not verify, :class:`VerificationError`.
    """

    __slots__ = ()

    def __init__(self, command, public_key):
        c_command = _c_string(command, "command")
        self._start(repr(os.fsdecode(c_command)))
        key, owned = as_key(public_key)
        try:
            # The signer takes its own reference to the key.
            self._made_by(_lib.lib().artsig_signer_new_command, c_command, key._ptr)
        finally:
            if owned:
                key.close()
