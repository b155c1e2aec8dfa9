"""What the binding's objects that own a library handle share: Key and
RemoteSigner."""

from __future__ import annotations

from . import _lib


class HandleOwner:
    """An object owning a library handle in `_handle` (None once closed),
    released by the subclass's ``close()``, which is idempotent and copes
    with an object whose making failed halfway. `_noun` names the object
    in the error of using it closed; `key_type` is the subclass's."""

    __slots__ = ()
    _noun = "object"

    def __enter__(self):
        self._ptr  # noqa: B018 - refuse a closed object
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __reduce_ex__(self, protocol):
        # A copy would share the handle, and the first copy collected would
        # free it under the others; as ssl.SSLContext does, refuse (copy and
        # deepcopy come here too).
        raise TypeError(f"cannot pickle or copy {type(self).__name__!r} object")

    @property
    def closed(self) -> bool:
        return not self._handle

    @property
    def _ptr(self) -> int:
        if not self._handle:
            raise ValueError(f"{self._noun} is closed")
        return self._handle

    @property
    def type(self) -> str:
        """``"rsa"``, ``"ecdsa-p256"`` or ``"ed25519"``."""
        name = _lib.lib().artsig_key_type_name(int(self.key_type))
        return name.decode("ascii") if name else "unknown"
