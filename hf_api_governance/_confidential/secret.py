r"""Confidential values (clause 1.1.1): API keys, client secrets, tokens, passphrases.

A :class:`Secret` never shows its value by accident. Everything that turns an
object into text or bytes (``repr``, ``str``, ``format``, ``%``-formatting,
f-strings, ``json.dumps(default=str)``, logging, exception messages, tracebacks
with locals, ``attrs.asdict``) sees a redacted placeholder; ``pickle`` refuses
with :class:`~hf_api_governance.exceptions.ConfidentialityError`. The one way
out is :meth:`Secret.reveal`.

Fingerprints
------------
:attr:`Secret.fingerprint` identifies a value in logs and audit entries
without revealing it::

    fp1:<base32(HMAC-SHA256(K, b"hf-api-governance/fingerprint/v1\\x00" + value)[:10])>

The 80-bit tag is keyed, so a short key cannot be recovered by trying every
candidate offline without ``K``. ``K`` is, in order of preference:

1. the fingerprint key of the :class:`~hf_api_governance.Keystore` the secret
   was read from (random, 32 bytes, stored encrypted in the keystore): stable
   across processes and hosts that share the keystore;
2. the ``fingerprint_key`` given to the constructor;
3. the process key: ``HF_GOV_FINGERPRINT_KEY`` (hex or base64, at least 16
   bytes) when set, otherwise 32 random bytes drawn when the module is
   imported, in which case fingerprints are stable within one process only.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import os
from collections.abc import Callable
from typing import Any, Final, NoReturn, final

from hf_api_governance._base.encoding import decode_key_text
from hf_api_governance.exceptions import ConfidentialityError, ValidationError

__all__ = ["Classification", "Secret", "adopt_secret"]

_FP_DOMAIN = b"hf-api-governance/fingerprint/v1\x00"
_HASH_KEY = os.urandom(32)  # hash() is per-process anyway
_MAX_LABEL = 200


class Classification(enum.Enum):
    """Who a confidential value belongs to, and so which rules apply to it."""

    MIMECAST_CONFIDENTIAL = "mimecast_confidential"
    """Access keys, authentication procedures and data obtained through a
    Mimecast API: Mimecast confidential information (clause 1.1.1)."""

    THIRD_PARTY_CONFIDENTIAL = "third_party_confidential"
    """Credentials and data of a third-party API, governed by its own terms (clause 1.1.2)."""

    CUSTOMER_DATA = "customer_data"
    """The customer's own data (excepted from Mimecast confidential information)."""


def _load_process_key() -> bytes:
    raw = os.environ.get("HF_GOV_FINGERPRINT_KEY", "").strip()
    if not raw:
        return os.urandom(32)
    key = decode_key_text(raw)
    del raw
    if key is None or len(key) < 16:
        # The message never quotes the variable's value.
        raise ValidationError(
            "HF_GOV_FINGERPRINT_KEY", "must be at least 16 bytes, written in hex or base64"
        )
    return key


_PROCESS_KEY = _load_process_key()


def _fingerprint(key: bytes, data: bytes) -> str:
    tag = hmac.new(key, _FP_DOMAIN + data, hashlib.sha256).digest()[:10]
    return "fp1:" + base64.b32encode(tag).decode("ascii").lower()


_Sealed = Callable[[], tuple[str | bytes, bytes, bytes | None]]


def _seal(value: object, fingerprint_key: object) -> tuple[_Sealed | None, str]:
    """Close over the value, its bytes and the fingerprint key; never raises.

    The value lives only in the closure's cell, not in an attribute: tools that
    walk an object's attributes (``dir``/``getattr``, ``vars``, debuggers,
    ``"{0._value}".format(secret)``) find a function, not the value. This
    function's frame is gone before :class:`Secret` can raise, so tracebacks
    formatted with locals never show the value either.

    Returns:
        ``(sealed, "")`` for a str or bytes-like value, else ``(None, type name)``.
    """
    try:
        if isinstance(value, str):
            stored: str | bytes = value
            data = value.encode("utf-8", "surrogatepass")
        elif isinstance(value, bytes | bytearray | memoryview):
            stored = data = bytes(value)
        else:
            return None, type(value).__name__
    except Exception:  # a released memoryview...; the exception (and its frame) is dropped
        return None, type(value).__name__
    key = fingerprint_key if isinstance(fingerprint_key, bytes) else None
    payload = (stored, data, key)

    def sealed() -> tuple[str | bytes, bytes, bytes | None]:
        return payload

    return sealed, ""


@final
class Secret:
    """A confidential value that does not leak into text, logs, files or pickles.

    Args:
        value: The confidential value (``str`` or ``bytes``, not empty).
        classification: Whose confidential information it is.
        label: A short, non-secret description ("Aware client secret").
        fingerprint_key: Key for :attr:`fingerprint` (at least 16 bytes);
            see the module documentation for the default.

    Raises:
        ValidationError: A field is invalid. The message never quotes ``value``.

    Example:
        >>> key = Secret("s3cr3t-api-key", label="Okta token")
        >>> key
        Secret(<redacted>, classification=MIMECAST_CONFIDENTIAL, label='Okta token')
        >>> f"{key}"
        '<redacted>'
        >>> key.reveal()
        's3cr3t-api-key'
    """

    __slots__ = ("__weakref__", "_classification", "_label", "_sealed")

    _sealed: _Sealed
    _classification: Classification
    _label: str | None

    def __init__(
        self,
        value: str | bytes,
        classification: Classification = Classification.MIMECAST_CONFIDENTIAL,
        label: str | None = None,
        *,
        fingerprint_key: bytes | None = None,
    ) -> None:
        # Seal the value (and the fingerprint key) before anything can raise,
        # and drop every local that refers to them, so that a traceback
        # formatted with locals (capture_locals=True, pytest --showlocals)
        # never shows them if a validation below fails.
        fp_key_ok = fingerprint_key is None or (
            isinstance(fingerprint_key, bytes) and len(fingerprint_key) >= 16
        )
        sealed, bad_kind = _seal(value, fingerprint_key)
        del value, fingerprint_key
        if sealed is None:
            raise ValidationError("value", f"must be str or bytes, got {bad_kind}")
        if not sealed()[1]:
            raise ValidationError("value", "must not be empty")
        if not isinstance(classification, Classification):
            raise ValidationError(
                "classification", f"must be a Classification, got {type(classification).__name__}"
            )
        if label is not None:
            if not isinstance(label, str):
                raise ValidationError("label", f"must be str or None, got {type(label).__name__}")
            if len(label) > _MAX_LABEL or not label.isprintable():
                raise ValidationError(
                    "label", f"must be printable text of at most {_MAX_LABEL} characters"
                )
        if not fp_key_ok:
            raise ValidationError("fingerprint_key", "must be bytes of length 16 or more")
        object.__setattr__(self, "_sealed", sealed)
        object.__setattr__(self, "_classification", classification)
        object.__setattr__(self, "_label", label)

    # -- the explicit way out -------------------------------------------------

    def reveal(self) -> str | bytes:
        """Return the confidential value itself.

        Call this only where the value must leave the process (an HTTP header,
        a signing key). Never log or store what it returns.
        """
        return self._sealed()[0]

    def reveal_bytes(self) -> bytes:
        """Return the value as bytes (UTF-8 for a ``str`` value)."""
        return self._sealed()[1]

    # -- safe metadata --------------------------------------------------------

    @property
    def classification(self) -> Classification:
        """Whose confidential information this is."""
        return self._classification

    @property
    def label(self) -> str | None:
        """The non-secret description given at construction."""
        return self._label

    @property
    def fingerprint(self) -> str:
        """A short, stable, non-reversible identifier that is safe to log.

        See the module documentation for the construction and key choice.
        """
        _, data, key = self._sealed()
        return _fingerprint(key or _PROCESS_KEY, data)

    def fingerprint_with(self, key: bytes) -> str:
        """Return the fingerprint under an explicit key (at least 16 bytes).

        Raises:
            ValidationError: ``key`` is too short or not bytes.
        """
        if not isinstance(key, bytes) or len(key) < 16:
            raise ValidationError("key", "must be bytes of length 16 or more")
        return _fingerprint(key, self._sealed()[1])

    def with_fingerprint_key(self, key: bytes) -> Secret:
        """Return the same value and metadata, fingerprinted under ``key``."""
        return Secret(self._sealed()[0], self._classification, self._label, fingerprint_key=key)

    # -- nothing below may show the value ------------------------------------

    def __repr__(self) -> str:
        # getattr with defaults: a half-built Secret (its constructor raised)
        # is repr'd by tracebacks formatted with locals; that must not fail.
        classification = getattr(self, "_classification", None)
        kind = classification.name if isinstance(classification, Classification) else "?"
        label = getattr(self, "_label", None)
        shown = f", label={label!r}" if isinstance(label, str) else ""
        return f"Secret(<redacted>, classification={kind}{shown})"

    def __str__(self) -> str:
        return "<redacted>"

    def __format__(self, format_spec: str) -> str:
        # Any format spec ('x', '>40', '!r'...) gets the placeholder, unformatted.
        return "<redacted>"

    def __bytes__(self) -> bytes:
        return b"<redacted>"

    def __bool__(self) -> bool:
        # Empty secrets are refused, so truthiness tells nothing.
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        mine, theirs = self._sealed(), other._sealed()
        same_kind = isinstance(mine[0], str) == isinstance(theirs[0], str)
        same_bytes = hmac.compare_digest(mine[1], theirs[1])  # constant time
        return same_bytes and same_kind and self._classification is other._classification

    def __hash__(self) -> int:
        digest = hmac.new(_HASH_KEY, self._sealed()[1], hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big") ^ hash(self._classification)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Secret is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Secret is immutable")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise ConfidentialityError(
            "a Secret cannot be pickled: it would write the confidential value in clear; "
            "store it in a Keystore and pass the entry name instead"
        )

    def __reduce__(self) -> NoReturn:
        self.__reduce_ex__(2)

    def __getstate__(self) -> NoReturn:
        self.__reduce_ex__(2)


_FOREIGN_SECRETS: Final = frozenset({"SecretStr", "SecretBytes"})


def adopt_secret(value: object, label: str) -> object:
    """A pydantic ``SecretStr``/``SecretBytes`` as a :class:`Secret`; anything else unchanged.

    Wherever a :class:`Secret` is accepted, a pydantic secret (what vendor
    SDKs such as ``incydr`` hold in their settings) is accepted too, without
    pydantic being a dependency: it is recognised by its class (its name,
    and a module under ``pydantic``) and read once through its
    ``get_secret_value()``. An empty one is refused like an empty ``Secret``.

    Raises:
        ValidationError: A pydantic secret whose value is empty or not text/bytes.
    """
    cls = type(value)
    if cls.__name__ not in _FOREIGN_SECRETS or not cls.__module__.startswith("pydantic"):
        return value
    reveal = getattr(value, "get_secret_value", None)
    if not callable(reveal):
        return value
    return Secret(reveal(), label=label)
