"""Artifacts: validate, check, read, sign."""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import stat
import tempfile
from ctypes import c_size_t, c_void_p
from typing import Any, Dict, Optional

from . import _errors, _lib
from ._keys import Keyring, Secret
from ._signer import signer_of


@dataclasses.dataclass(frozen=True)
class Result:
    """The verdict of :func:`check`.

    ``ok``: only True means the artifact is authentic (with keys) and intact.
    ``status``: ARTSIG_OK (0) or the refusal's negative status code.
    ``reason``: the library's detail of the refusal ("" when ok).
    ``verifying_key``: index in `keys` of the key that verified the signature
    (None unless ok and verified by a key).
    ``facts``: the artifact document (``artsig_info_json``, see
    docs/read-json.md) once its header was verified, even when a payload was
    refused later (then files not read have ``size`` None); None when the
    artifact was refused before its header.

    A Result is truthy only when ok.
    """

    ok: bool
    status: int
    reason: str
    verifying_key: Optional[int]
    facts: Optional[Dict[str, Any]]

    def __bool__(self) -> bool:
        return self.ok

    @property
    def name(self) -> str:
        """The status's symbolic name, e.g. "ARTSIG_EDIGEST"."""
        return _errors.status_name(self.status)

    def raise_for_status(self) -> "Result":
        """Raise the refusal as an :class:`Error`; return self when ok."""
        if not self.ok:
            raise _errors.error(self.status, self.reason)
        return self


@contextlib.contextmanager
def _open_input(source):
    """A readable fd for a path, a binary file object (its fileno) or an
    int fd (neither of the last two is closed)."""
    if isinstance(source, int):
        yield source
        return
    fileno = getattr(source, "fileno", None)
    if fileno is not None and not isinstance(source, (str, bytes, os.PathLike)):
        yield fileno()
        return
    try:
        fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise _errors.from_oserror(e, source) from None
    try:
        yield fd
    finally:
        os.close(fd)


def _run(source, keys, *, header_only: bool, pin: Secret) -> Result:
    lib = _lib.lib()
    # Keys first: a key that cannot be loaded is the caller's error, raised.
    with Keyring(keys, pin=pin) as ring, _open_input(source) as fd:
        seen = []

        def on_header(_info, _userdata):
            seen.append(True)
            return 0

        callbacks = _lib.ReaderCallbacks(header=_lib.HEADER_CB(on_header))
        reader = c_void_p()
        _errors.check(lib.artsig_reader_new(ctypes.byref(reader), ring.handle, ctypes.byref(callbacks), None))
        try:
            if header_only:
                _errors.check(lib.artsig_reader_set_header_only(reader, 1))
            status = lib.artsig_reader_run_fd(reader, fd)
            reason = _lib.last_error() if status != 0 else ""
            facts = None
            verifying = None
            info = lib.artsig_reader_info(reader)
            if seen and info:
                text = lib.artsig_info_json(info)
                if text is None:
                    raise _errors.Error(_errors.Status.ENOMEM, "artsig_info_json: out of memory")
                facts = json.loads(text.decode("utf-8"))
                if status == 0:
                    index = lib.artsig_info_verifying_key(info)
                    verifying = int(index) if index >= 0 else None
            return Result(status == 0, int(status), reason, verifying, facts)
        finally:
            lib.artsig_reader_free(reader)


def check(source, keys, *, pin: Secret = None) -> Result:
    """Read and check a whole artifact; return the verdict as a :class:`Result`.

    `source` is a path, a binary file object or a file descriptor (read
    from its current position by the library itself, so not after buffered
    reads through the file object; neither is closed). `keys`
    lists verification keys (:class:`Key` objects, key file paths or
    ``pkcs11:`` URIs), tried in order; with keys the signature must verify
    and an unsigned artifact is refused. An empty list skips the signature
    check (every digest and the structure are still checked).

    A refusal of the artifact is a Result with ``ok`` False; a key that
    cannot be loaded or an artifact file that cannot be opened raises
    :class:`Error`.
    """
    return _run(source, keys, header_only=False, pin=pin)


def validate(source, keys, *, pin: Secret = None) -> bool:
    """True when the artifact is intact and, with keys, signed by one of them.
    See :func:`check` for the arguments; it raises for the same reasons."""
    return check(source, keys, pin=pin).ok


def read(source, keys=None, payloads: bool = True, *, pin: Secret = None) -> Dict[str, Any]:
    """The facts of an artifact that checks out (docs/read-json.md), as a dict.

    With ``payloads=False`` only the signature and the header are checked
    (payload files are not read, their sizes are None). Raises :class:`Error`
    when the artifact is refused.
    """
    result = _run(source, keys, header_only=not payloads, pin=pin)
    result.raise_for_status()
    assert result.facts is not None
    return result.facts


def _write_into_place(src, dst, write) -> None:
    """Run write(out_fd, in_fd) into a temporary file beside the destination
    (`dst`, or `src` itself when None), fsync'd and renamed over it only on
    success: the destination is complete or untouched. The copy keeps the
    source's permission bits; in place, a symbolic link keeps pointing at
    the new file."""
    try:
        in_fd = os.open(src, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as e:
        raise _errors.from_oserror(e, src) from None
    try:
        mode = stat.S_IMODE(os.fstat(in_fd).st_mode)
        dest = os.path.realpath(src) if dst is None else os.fspath(dst)
        directory = os.path.dirname(os.path.abspath(dest))
        try:
            out_fd, tmp = tempfile.mkstemp(prefix=".artsig-tmp-", dir=directory)
        except OSError as e:
            raise _errors.from_oserror(e, dest) from None
        try:
            try:
                os.fchmod(out_fd, mode)
            except OSError as e:
                raise _errors.from_oserror(e, dest) from None
            write(out_fd, in_fd)
            try:
                os.fsync(out_fd)
            except OSError as e:
                raise _errors.from_oserror(e, dest) from None
            os.close(out_fd)
            out_fd = -1
            try:
                os.replace(tmp, dest)
            except OSError as e:
                raise _errors.from_oserror(e, dest) from None
            tmp = None
        finally:
            if out_fd >= 0:
                os.close(out_fd)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
    finally:
        os.close(in_fd)


def _flags(replace: bool, check_payloads: bool) -> int:
    return (_lib.SIGN_REPLACE if replace else 0) | (_lib.SIGN_CHECK_PAYLOADS if check_payloads else 0)


def sign_artifact(
    src,
    dst,
    key,
    replace: bool = False,
    *,
    check_payloads: bool = False,
    pin: Secret = None,
    passphrase: Secret = None,
) -> None:
    """Sign the artifact `src` into `dst` (``None``: replace `src`).

    The output is `src` with ``manifest.sig`` added, every other byte
    unchanged; it is written to a temporary file and renamed into place only
    when complete. `key` is a private :class:`Key`, a key file path (with
    `passphrase` if encrypted), a ``pkcs11:`` URI (with `pin` if the URI
    has none), or a :class:`GcpKmsKey`, :class:`VaultTransitKey` or
    :class:`SignCommand`. An already signed artifact is refused
    (ARTSIG_ESTATE) unless `replace`. `check_payloads` verifies every
    payload digest first (the structure and header digest are always
    checked).
    """
    lib = _lib.lib()
    flags = _flags(replace, check_payloads)
    with signer_of(key, pin=pin, passphrase=passphrase) as signer:

        def write(out_fd, in_fd):
            _errors.check(lib.artsig_artifact_sign(out_fd, in_fd, signer, flags))

        _write_into_place(src, dst, write)


def export_manifest(source) -> bytes:
    """The artifact's manifest: the bytes its signature covers (offline
    signing: sign them where the key is, then :func:`attach_signature`)."""
    lib = _lib.lib()
    out = c_void_p()
    n = c_size_t()
    with _open_input(source) as fd:
        _errors.check(lib.artsig_artifact_export_manifest(ctypes.byref(out), ctypes.byref(n), fd))
    try:
        return ctypes.string_at(out.value, n.value)
    finally:
        lib.artsig_free(out.value)


def attach_signature(
    src,
    dst,
    signature,
    keys=None,
    replace: bool = False,
    *,
    check_payloads: bool = False,
    pin: Secret = None,
) -> None:
    """Add a signature made elsewhere (raw bytes, or the base64 text
    ``artsig sign-blob`` prints) to `src`, written to `dst` (None: in place)
    like :func:`sign_artifact`. With `keys`, a signature none of them
    verifies over this artifact's manifest is refused."""
    from ._blob import _raw_signature

    lib = _lib.lib()
    sig = _raw_signature(signature)
    flags = _flags(replace, check_payloads)
    with Keyring(keys, pin=pin) as ring:
        check_ring = ring.handle if ring.count else None

        def write(out_fd, in_fd):
            _errors.check(lib.artsig_artifact_attach_signature(out_fd, in_fd, sig, len(sig), check_ring, flags))

        _write_into_place(src, dst, write)


__all__ = [
    "Result",
    "check",
    "validate",
    "read",
    "sign_artifact",
    "export_manifest",
    "attach_signature",
]
