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
import binascii
import enum
import hashlib
import hmac
import os
from typing import Any, NoReturn, final

from hf_api_governance.exceptions import ConfidentialityError, ValidationError

__all__ = ["Classification", "Secret"]

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
    raw = os.environ.get("HF_GOV_FINGERPRINT_KEY")
    if not raw:
        return os.urandom(32)
    key: bytes | None = None
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        try:
            key = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=False)
        except (binascii.Error, ValueError):
            key = None
    if key is None or len(key) < 16:
        raise ValidationError(
            "HF_GOV_FINGERPRINT_KEY", "must be at least 16 bytes, written in hex or base64"
        )
    return key


_PROCESS_KEY = _load_process_key()


def _fingerprint(key: bytes, data: bytes) -> str:
    tag = hmac.new(key, _FP_DOMAIN + data, hashlib.sha256).digest()[:10]
    return "fp1:" + base64.b32encode(tag).decode("ascii").lower()


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

    __slots__ = ("__weakref__", "_classification", "_data", "_fp_key", "_label", "_value")

    _value: str | bytes
    _data: bytes
    _classification: Classification
    _label: str | None
    _fp_key: bytes | None

    def __init__(
        self,
        value: str | bytes,
        classification: Classification = Classification.MIMECAST_CONFIDENTIAL,
        label: str | None = None,
        *,
        fingerprint_key: bytes | None = None,
    ) -> None:
        # Move the value out of the local namespace first, so that a traceback
        # formatted with locals (capture_locals=True) cannot show it if any
        # validation below fails.
        object.__setattr__(self, "_value", value)
        del value
        stored: object = self._value
        if isinstance(stored, str):
            data = stored.encode("utf-8", "surrogatepass")
        elif isinstance(stored, bytes | bytearray | memoryview):
            data = bytes(stored)
            object.__setattr__(self, "_value", data)
        else:
            kind = type(stored).__name__
            object.__setattr__(self, "_value", b"")
            raise ValidationError("value", f"must be str or bytes, got {kind}")
        del stored
        object.__setattr__(self, "_data", data)
        del data
        if not self._data:
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
        if fingerprint_key is not None and (
            not isinstance(fingerprint_key, bytes) or len(fingerprint_key) < 16
        ):
            raise ValidationError("fingerprint_key", "must be bytes of length 16 or more")
        object.__setattr__(self, "_classification", classification)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_fp_key", fingerprint_key)

    # -- the explicit way out -------------------------------------------------

    def reveal(self) -> str | bytes:
        """Return the confidential value itself.

        Call this only where the value must leave the process (an HTTP header,
        a signing key). Never log or store what it returns.
        """
        return self._value

    def reveal_bytes(self) -> bytes:
        """Return the value as bytes (UTF-8 for a ``str`` value)."""
        return self._data

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
        return _fingerprint(self._fp_key or _PROCESS_KEY, self._data)

    def fingerprint_with(self, key: bytes) -> str:
        """Return the fingerprint under an explicit key (at least 16 bytes).

        Raises:
            ValidationError: ``key`` is too short or not bytes.
        """
        if not isinstance(key, bytes) or len(key) < 16:
            raise ValidationError("key", "must be bytes of length 16 or more")
        return _fingerprint(key, self._data)

    def with_fingerprint_key(self, key: bytes) -> Secret:
        """Return the same value and metadata, fingerprinted under ``key``."""
        return Secret(self._value, self._classification, self._label, fingerprint_key=key)

    # -- nothing below may show the value ------------------------------------

    def __repr__(self) -> str:
        label = f", label={self._label!r}" if self._label is not None else ""
        return f"Secret(<redacted>, classification={self._classification.name}{label})"

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
        same_kind = isinstance(self._value, str) == isinstance(other._value, str)
        same_bytes = hmac.compare_digest(self._data, other._data)
        return same_bytes and same_kind and self._classification is other._classification

    def __hash__(self) -> int:
        digest = hmac.new(_HASH_KEY, self._data, hashlib.sha256).digest()
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
