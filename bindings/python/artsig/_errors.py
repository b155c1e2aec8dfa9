"""Status codes (include/artsig/common.h) and the exceptions that carry them."""

from __future__ import annotations

import enum
import errno as _errno

from . import _lib


class Status(enum.IntEnum):
    """libartsig's status codes. The numbers are ABI: they never change, and
    newer libraries only append codes below ``EREMOTE``."""

    OK = 0
    EINVAL = -1
    ENOMEM = -2
    EIO = -3
    ENOENT = -4
    EKEYEMPTY = -5
    EKEYPEM = -6
    EKEYDER = -7
    EKEYFORMAT = -8
    EKEYUNSUPPORTED = -9
    EPASSPHRASE = -10
    EKEYROLE = -11
    ESIGFORMAT = -12
    EVERIFY = -13
    EMANIFEST = -14
    EDIGEST = -15
    EFORMAT = -16
    ELIMIT = -17
    EUNSIGNED = -18
    ENOTFOUND = -19
    EUNSAFE = -20
    ECRYPTO = -21
    ECANCELLED = -22
    ETRUNCATED = -23
    EUNSUPPORTED = -24
    ESTATE = -25
    EMODULE = -26
    ENOTOKEN = -27
    EPIN = -28
    EMECHANISM = -29
    ETOKEN = -30
    EAUTH = -31
    ENETWORK = -32
    EREMOTE = -33


def status_name(status: int) -> str:
    """``"ARTSIG_EVERIFY"`` for -13; a newer library's unknown code as
    ``"ARTSIG_STATUS(-99)"``."""
    try:
        return "ARTSIG_" + Status(status).name
    except ValueError:
        return f"ARTSIG_STATUS({status})"


def strerror(status: int) -> str:
    """The library's static description of a status code."""
    return _lib.lib().artsig_strerror(status).decode("utf-8", "replace")


class Error(Exception):
    """A libartsig failure.

    ``status`` is the library's (negative) status code, ``name`` its symbolic
    name (``"ARTSIG_EVERIFY"``), ``message`` the library's detail of what went
    wrong (``artsig_last_error()``, read right after the failing call), or the
    code's description when the library gave none.
    """

    def __init__(self, status: int, message: str = ""):
        status = int(status)
        if not message:
            try:
                message = strerror(status)
            except OSError:
                message = status_name(status)
        super().__init__(status, message)
        self.status = status
        self.message = message

    @property
    def name(self) -> str:
        return status_name(self.status)

    @property
    def description(self) -> str:
        """The code's generic description (``artsig_strerror``)."""
        return strerror(self.status)

    def __str__(self) -> str:
        return f"{self.message} [{self.name}]"


class KeyLoadError(Error):
    """A key could not be loaded, or cannot serve the purpose asked of it:
    empty, corrupt, not a key, unsupported algorithm or curve, wrong or
    missing passphrase, public where private is needed."""


class VerificationError(Error):
    """No key verified the signature, an artifact that must be signed is
    not, or a signature is malformed."""


class ArtifactError(Error):
    """The artifact is malformed, damaged, truncated or hostile: a digest
    mismatch, a bad manifest or structure, an unsafe entry."""


class PKCS11Error(Error):
    """A PKCS#11 module, token, PIN or mechanism problem."""


class RemoteSignerError(Error):
    """A signing service (Cloud KMS, Vault) or signer program failed: no
    credentials or refused ones (``EAUTH``: HTTP 401/403), unreachable or
    too slow (``ENETWORK``: connection, TLS, timeout), or a failure or
    malformed answer of its own (``EREMOTE``: HTTP 5xx, CRC32C mismatch, a
    program exiting non-zero or printing no base64)."""


class NotFoundError(Error, FileNotFoundError):
    """A file does not exist (ARTSIG_ENOENT). Also a FileNotFoundError."""

    def __init__(self, status: int = Status.ENOENT, message: str = "", filename=None):
        Error.__init__(self, status, message)
        self.errno = _errno.ENOENT
        self.strerror = self.message
        self.filename = filename

    def __str__(self) -> str:
        return Error.__str__(self)


_FAMILIES = {
    KeyLoadError: (
        Status.EKEYEMPTY,
        Status.EKEYPEM,
        Status.EKEYDER,
        Status.EKEYFORMAT,
        Status.EKEYUNSUPPORTED,
        Status.EPASSPHRASE,
        Status.EKEYROLE,
    ),
    VerificationError: (Status.EVERIFY, Status.EUNSIGNED, Status.ESIGFORMAT),
    ArtifactError: (
        Status.EMANIFEST,
        Status.EDIGEST,
        Status.EFORMAT,
        Status.ETRUNCATED,
        Status.EUNSAFE,
    ),
    PKCS11Error: (
        Status.EMODULE,
        Status.ENOTOKEN,
        Status.EPIN,
        Status.EMECHANISM,
        Status.ETOKEN,
    ),
    RemoteSignerError: (Status.EAUTH, Status.ENETWORK, Status.EREMOTE),
    NotFoundError: (Status.ENOENT,),
}
_CLASS_OF = {int(s): cls for cls, codes in _FAMILIES.items() for s in codes}


def error(status: int, message: str = "", filename=None) -> Error:
    """The exception for `status`: the family's subclass when it has one."""
    cls = _CLASS_OF.get(int(status), Error)
    if cls is NotFoundError:
        return NotFoundError(status, message, filename)
    return cls(status, message)


def raise_last(status: int) -> None:
    """Raise the error of a call that just returned `status` (not OK), with
    the calling thread's detail. Call it before any other libartsig call."""
    raise error(status, _lib.last_error())


def check(status: int) -> None:
    """Raise unless `status` is ARTSIG_OK."""
    if status != 0:
        raise_last(status)


def from_oserror(e: OSError, what) -> Error:
    """An OSError from opening or writing a file, as an artsig Error."""
    name = what if isinstance(what, str) else _lib.fsencode_path(what).decode("utf-8", "replace")
    message = f"{name}: {e.strerror or e}"
    if isinstance(e, FileNotFoundError):
        return NotFoundError(Status.ENOENT, message, what)
    return Error(Status.EIO, message)
