"""The one path from a signing key argument to an artsig_signer, shared by
:func:`sign` and :func:`sign_artifact`."""

from __future__ import annotations

import contextlib
import ctypes
from ctypes import c_void_p

from . import _errors, _lib
from ._keys import Secret, _SecretCallback, as_key, is_pkcs11_uri
from ._remote import RemoteSigner


def _new_signer(key, *, pin: Secret, passphrase: Secret) -> int:
    """An artsig_signer handle (the caller's) for a Key, a key file path, or
    a pkcs11: URI (the private key stays in the token)."""
    lib = _lib.lib()
    out = c_void_p()
    if is_pkcs11_uri(key):
        cb = _SecretCallback(pin, "pin")
        st = lib.artsig_signer_new_pkcs11(ctypes.byref(out), key.encode("utf-8"), cb.c, None)
        if st != 0:
            detail = _lib.last_error()
            cb.reraise()
            raise _errors.error(st, detail)
        return out.value
    k, owned = as_key(key, passphrase=passphrase)
    try:
        _errors.check(lib.artsig_signer_new_key(ctypes.byref(out), k._ptr))
    finally:
        if owned:
            k.close()
    return out.value


@contextlib.contextmanager
def signer_of(key, *, pin: Secret = None, passphrase: Secret = None):
    """An artsig_signer handle for the block: a :class:`RemoteSigner`'s own,
    held by this thread alone meanwhile, or one made for the block from a
    Key, a key file path or a pkcs11: URI."""
    if isinstance(key, RemoteSigner):
        with key._in_use() as handle:
            yield handle
        return
    handle = _new_signer(key, pin=pin, passphrase=passphrase)
    try:
        yield handle
    finally:
        _lib.lib().artsig_signer_free(handle)
