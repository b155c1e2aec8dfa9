"""Python binding of libartsig: Mender artifact signing and verification.

A pure-Python wrapper (ctypes) over the C library's stable ABI,
``libartsig.so.0``, found through ``$ARTSIG_LIBRARY`` or the dynamic loader.

    import artsig

    if artsig.validate("update.mender", keys=["/etc/mender/artifact-verify-key.pem"]):
        ...
    result = artsig.check("update.mender", keys=[artsig.Key.load("release.pub")])
    if not result:
        print(result.name, result.reason)

:func:`sign_artifact` and :func:`sign` take a key file, a :class:`Key`, a
``pkcs11:`` URI, or a key that signs elsewhere: :class:`GcpKmsKey` (Google
Cloud KMS), :class:`VaultTransitKey` (HashiCorp Vault Transit) or
:class:`SignCommand` (an external signer program).

Every failure of the library raises :class:`Error` (or one of its family
subclasses), carrying the library's ``status``, its ``name`` and the detail
``message``.
"""

from . import _lib
from ._artifact import (
    Result,
    attach_signature,
    check,
    export_manifest,
    read,
    sign_artifact,
    validate,
)
from ._blob import KeyIndex, decode_signature, encode_signature, sign, verify
from ._errors import (
    ArtifactError,
    Error,
    KeyLoadError,
    NotFoundError,
    PKCS11Error,
    RemoteSignerError,
    Status,
    VerificationError,
    status_name,
    strerror,
)
from ._keys import Key, KeyType, is_pkcs11_uri
from ._remote import GcpKmsKey, RemoteSigner, SignCommand, VaultTransitKey

__version__ = "0.3.0"


def version() -> str:
    """The loaded library's version, e.g. "0.3.0"."""
    return _lib.lib().artsig_version().decode("ascii")


def library_path() -> str:
    """The file name the library was loaded from (as given to the loader)."""
    return _lib.lib()._name


__all__ = [
    "ArtifactError",
    "Error",
    "GcpKmsKey",
    "Key",
    "KeyIndex",
    "KeyLoadError",
    "KeyType",
    "NotFoundError",
    "PKCS11Error",
    "RemoteSigner",
    "RemoteSignerError",
    "Result",
    "SignCommand",
    "Status",
    "VaultTransitKey",
    "VerificationError",
    "attach_signature",
    "check",
    "decode_signature",
    "encode_signature",
    "export_manifest",
    "is_pkcs11_uri",
    "library_path",
    "read",
    "sign",
    "sign_artifact",
    "status_name",
    "strerror",
    "validate",
    "verify",
    "version",
]
