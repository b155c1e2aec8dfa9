"""Loading libartsig.so.0 and declaring the C prototypes the binding uses.

Every function the binding calls is declared here with its argtypes and
restype, so that ctypes never guesses (a guessed ``int`` return would truncate
pointers on 64-bit systems). Opaque objects (keys, keyrings, readers, signers,
infos) travel as ``c_void_p``; their ownership is handled by the modules that
create them.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_long,
    c_size_t,
    c_uint,
    c_void_p,
)

SONAME = "libartsig.so.0"

# Sizes from include/artsig/signature.h.
SIGNATURE_MAX = 1024
SIGNATURE_B64_MAX = ((SIGNATURE_MAX + 2) // 3) * 4 + 1

# int (*artsig_passphrase_cb)(char *buf, size_t size, void *userdata)
PASSPHRASE_CB = CFUNCTYPE(c_int, POINTER(c_char), c_size_t, c_void_p)
# int (*header)(const artsig_info *info, void *userdata)
HEADER_CB = CFUNCTYPE(c_int, c_void_p, c_void_p)


class ReaderCallbacks(Structure):
    """struct artsig_reader_callbacks (only the header callback is used)."""

    _fields_ = [
        ("header", HEADER_CB),
        ("file_begin", c_void_p),
        ("file_data", c_void_p),
        ("file_end", c_void_p),
    ]


_c_size_p = POINTER(c_size_t)
_c_void_pp = POINTER(c_void_p)

# name: (restype, argtypes)
_PROTOTYPES = {
    # common.h
    "artsig_strerror": (c_char_p, [c_int]),
    "artsig_last_error": (c_char_p, []),
    "artsig_free": (None, [c_void_p]),
    "artsig_version": (c_char_p, []),
    # key.h
    "artsig_key_load_file": (c_int, [_c_void_pp, c_char_p, PASSPHRASE_CB, c_void_p]),
    "artsig_key_load_mem": (c_int, [_c_void_pp, c_char_p, c_size_t, PASSPHRASE_CB, c_void_p]),
    "artsig_key_generate": (c_int, [_c_void_pp, c_int]),
    "artsig_key_free": (None, [c_void_p]),
    "artsig_key_get_type": (c_int, [c_void_p]),
    "artsig_key_type_name": (c_char_p, [c_int]),
    "artsig_key_bits": (c_uint, [c_void_p]),
    "artsig_key_is_private": (c_int, [c_void_p]),
    "artsig_key_is_weak": (c_int, [c_void_p]),
    "artsig_key_fingerprint_hex": (c_int, [c_char_p, c_void_p]),
    "artsig_key_export": (c_int, [_c_void_pp, _c_size_p, c_void_p, c_int]),
    "artsig_key_free_pem": (None, [c_void_p, c_size_t]),
    # pkcs11.h
    "artsig_is_pkcs11_uri": (c_int, [c_char_p]),
    "artsig_key_load_pkcs11": (c_int, [_c_void_pp, c_char_p, PASSPHRASE_CB, c_void_p]),
    "artsig_signer_new_pkcs11": (c_int, [_c_void_pp, c_char_p, PASSPHRASE_CB, c_void_p]),
    # signer.h
    "artsig_signer_new_key": (c_int, [_c_void_pp, c_void_p]),
    "artsig_signer_free": (None, [c_void_p]),
    "artsig_signer_type": (c_int, [c_void_p]),
    "artsig_signer_sign": (c_int, [c_char_p, _c_size_p, c_void_p, c_char_p, c_size_t]),
    # remote.h (0.2.0). The value of artsig_remote_config_set is c_char_p so
    # that a ctypes buffer, which the binding can wipe, may carry a token.
    "artsig_remote_config_new": (c_int, [_c_void_pp]),
    "artsig_remote_config_free": (None, [c_void_p]),
    "artsig_remote_config_set": (c_int, [c_void_p, c_int, c_char_p]),
    "artsig_signer_new_gcp_kms": (c_int, [_c_void_pp, c_char_p, c_void_p]),
    "artsig_signer_new_vault_transit": (c_int, [_c_void_pp, c_char_p, c_void_p]),
    "artsig_signer_new_command": (c_int, [_c_void_pp, c_char_p, c_void_p]),
    # signature.h
    "artsig_signature_decode": (c_int, [c_char_p, _c_size_p, c_char_p, c_size_t]),
    "artsig_signature_encode": (c_int, [c_char_p, c_char_p, c_size_t]),
    "artsig_keyring_new": (c_int, [_c_void_pp]),
    "artsig_keyring_free": (None, [c_void_p]),
    "artsig_keyring_add": (c_int, [c_void_p, c_void_p]),
    "artsig_keyring_verify": (
        c_int,
        [_c_size_p, c_void_p, c_char_p, c_size_t, c_char_p, c_size_t],
    ),
    # reader.h
    "artsig_reader_new": (c_int, [_c_void_pp, c_void_p, POINTER(ReaderCallbacks), c_void_p]),
    "artsig_reader_free": (None, [c_void_p]),
    "artsig_reader_set_header_only": (c_int, [c_void_p, c_int]),
    "artsig_reader_run_fd": (c_int, [c_void_p, c_int]),
    "artsig_reader_info": (c_void_p, [c_void_p]),
    "artsig_info_json": (c_char_p, [c_void_p]),
    "artsig_info_verifying_key": (c_long, [c_void_p]),
    # writer.h
    "artsig_artifact_sign": (c_int, [c_int, c_int, c_void_p, c_uint]),
    "artsig_artifact_attach_signature": (
        c_int,
        [c_int, c_int, c_char_p, c_size_t, c_void_p, c_uint],
    ),
    "artsig_artifact_export_manifest": (c_int, [_c_void_pp, _c_size_p, c_int]),
}

# Flags of artsig_artifact_sign / artsig_artifact_attach_signature.
SIGN_REPLACE = 1
SIGN_CHECK_PAYLOADS = 2

_lock = threading.Lock()
_lib = None


def _candidates():
    env = os.environ.get("ARTSIG_LIBRARY")
    if env:
        # An explicit choice is the only one tried: a test run must not fall
        # back silently to an installed copy.
        return [env]
    names = [SONAME]
    found = ctypes.util.find_library("artsig")
    if found and found not in names:
        names.append(found)
    return names


def _load():
    errors = []
    for name in _candidates():
        try:
            lib = ctypes.CDLL(name)
        except OSError as e:
            errors.append(f"{name}: {e}")
            continue
        for fn, (restype, argtypes) in _PROTOTYPES.items():
            try:
                f = getattr(lib, fn)
            except AttributeError:
                raise OSError(f"{name} lacks {fn}: too old a libartsig") from None
            f.restype = restype
            f.argtypes = argtypes
        return lib
    raise OSError(
        "cannot load libartsig (install libartsig0, or set ARTSIG_LIBRARY to "
        "the library's path): " + "; ".join(errors)
    )


def lib():
    """The loaded library, loaded on first use."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
    return _lib


def last_error() -> str:
    """The calling thread's last error detail (read right after the failing call)."""
    return lib().artsig_last_error().decode("utf-8", "replace")


def as_bytes(value, what: str) -> bytes:
    """A bytes-like argument (bytes, bytearray, memoryview, array...) as
    bytes. Not bytes(value): it makes an int n into n zero bytes and a list
    of ints into bytes, data the caller never meant to pass."""
    try:
        with memoryview(value) as view:
            return view.tobytes()
    except TypeError:
        raise TypeError(f"{what} must be a bytes-like object, not {type(value).__name__}") from None


def fsencode_path(path) -> bytes:
    """A path argument (str, bytes or os.PathLike) as bytes for the C API."""
    return os.fsencode(path)
