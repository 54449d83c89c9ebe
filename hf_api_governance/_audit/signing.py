r"""Signed checkpoints: the log's head signed with Ed25519, checked with the public key only.

An HMAC :class:`~hf_api_governance.Checkpoint` can only be checked by someone
who holds the log's key, and whoever holds that key can rewrite the log. A
:class:`SignedCheckpoint` (like an AWS CloudTrail digest file) is signed with
an Ed25519 key derived from the log's key (:meth:`Tags.signing_seed
<hf_api_governance._audit.chain.Tags.signing_seed>`), so an auditor who holds
only the public key (``hf-gov audit public-key``) can check it, and the
database against it, without any secret.

File format (one JSON object, sorted keys, UTF-8)::

    {"at": "2026-06-01T09:00:00.000000Z",
     "format": "hf-api-governance/audit-checkpoint/ed25519/v1",
     "head_hash": "<64 hex: entry_hash of the entry at seq>",
     "key_id": "<64 hex: SHA-256 of the raw 32-byte public key>",
     "seq": 42,
     "signature": "<128 hex: Ed25519 signature>"}

The signature covers ``b"hf-api-governance/audit/v1/signed-checkpoint\x00"``
followed by the same object without ``signature`` (sorted keys, separators
``,`` and ``:``). Public keys are exchanged as PEM (SubjectPublicKeyInfo),
which ``openssl pkey -pubin`` reads.

``cryptography`` is imported only when a key is built or a signature checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import attrs

from hf_api_governance._audit.entries import (
    MAX_CHECKPOINT_SIZE,
    Checkpoint,
    SavedAsJson,
    _dumps,
    _parse_at,
    format_at,
    required,
)
from hf_api_governance._base.checks import check_path
from hf_api_governance._base.clock import ensure_aware
from hf_api_governance._base.files import read_regular_file
from hf_api_governance.exceptions import AuditError, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "SIGNED_CHECKPOINT_FORMAT",
    "SignedCheckpoint",
    "load_checkpoint",
    "public_key_pem",
    "sign_checkpoint",
    "signature_problem",
]

SIGNED_CHECKPOINT_FORMAT: Final = "hf-api-governance/audit-checkpoint/ed25519/v1"
"""The ``format`` field of a signed checkpoint file."""

_D_SIGNED = b"hf-api-governance/audit/v1/signed-checkpoint\x00"


def _hex(value: object, field: str, digits: int) -> str:
    if not isinstance(value, str) or not re.fullmatch(rf"[0-9a-f]{{{digits}}}", value):
        raise ValidationError(field, f"must be {digits} lowercase hex digits")
    return value


def _v_seq(_: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError("seq", "must be an integer >= 0")


def _v_hex64(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    _hex(value, attribute.name, 64)


def _v_signature(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    _hex(value, "signature", 128)


def _aware(value: object) -> datetime:
    return ensure_aware(value, "at")


@attrs.frozen
class SignedCheckpoint(SavedAsJson):
    """An audit log's head at one moment, signed with the log's Ed25519 key.

    Made by :meth:`AuditLog.signed_checkpoint
    <hf_api_governance.AuditLog.signed_checkpoint>` (``hf-gov audit
    checkpoint``). Keep it where the database's writers cannot change it; give
    it, with the public key, to :meth:`Registry.verify_audit
    <hf_api_governance.Registry.verify_audit>` (``hf-gov audit verify
    --checkpoint FILE --public-key FILE``): no secret is needed.

    Attributes:
        seq: The number of entries at that moment (the last entry's seq; 0:
            empty log).
        head_hash: Hex ``entry_hash`` of that entry (64 zeros for an empty log).
        at: When the checkpoint was taken (aware UTC, microseconds).
        key_id: Hex SHA-256 of the raw public key that signed it.
        signature: Hex Ed25519 signature (see the module documentation).
    """

    seq: int = attrs.field(validator=_v_seq)
    head_hash: str = attrs.field(validator=_v_hex64)
    at: datetime = attrs.field(converter=_aware)
    key_id: str = attrs.field(validator=_v_hex64)
    signature: str = attrs.field(validator=_v_signature)

    def _fields(self) -> dict[str, Any]:
        return {
            "at": format_at(self.at),
            "format": SIGNED_CHECKPOINT_FORMAT,
            "head_hash": self.head_hash,
            "key_id": self.key_id,
            "seq": self.seq,
        }

    def signed_bytes(self) -> bytes:
        """The exact bytes the signature covers."""
        return _D_SIGNED + _dumps(self._fields())

    def verify(self, public_key: bytes | str) -> bool:
        """Whether the signature is valid under ``public_key`` (PEM).

        Raises:
            ValidationError: ``public_key`` is not an Ed25519 public key in PEM form.
        """
        return signature_problem(self, public_key) is None

    def to_json(self) -> str:
        """Return the checkpoint as one JSON object (sorted keys)."""
        return json.dumps({**self._fields(), "signature": self.signature}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> SignedCheckpoint:
        """Parse :meth:`to_json` output.

        Raises:
            ValidationError: Not a signed checkpoint, or a field is invalid.
        """
        data = _json_object(text)
        if data.get("format") != SIGNED_CHECKPOINT_FORMAT:
            raise ValidationError("checkpoint", f"format must be {SIGNED_CHECKPOINT_FORMAT!r}")
        seq, head_hash, at, key_id, signature = required(
            data, "seq", "head_hash", "at", "key_id", "signature"
        )
        return cls(
            seq=seq,
            head_hash=head_hash,
            at=_parse_at(at, "at"),
            key_id=key_id,
            signature=signature,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SignedCheckpoint:
        """Read a checkpoint written by :meth:`save`.

        Raises:
            AuditError: The file cannot be read.
            ValidationError: ``path`` is not a path, or the file does not
                hold a valid signed checkpoint.
        """
        return cls.from_json(_read(path))


def _json_object(text: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("checkpoint", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationError("checkpoint", "must be a JSON object")
    return data


def _read(path: str | os.PathLike[str]) -> str:
    where = check_path("path", path)
    try:
        return read_regular_file(where, limit=MAX_CHECKPOINT_SIZE).decode("utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise AuditError(f"cannot read checkpoint {where!r}: {reason}") from None
    except UnicodeDecodeError:
        raise AuditError(f"cannot read checkpoint {where!r}: not UTF-8 text") from None


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint | SignedCheckpoint:
    """Read a checkpoint file of either kind: HMAC (:class:`Checkpoint`) or signed.

    Raises:
        AuditError: The file cannot be read.
        ValidationError: ``path`` is not a path, or the file holds neither kind.
    """
    text = _read(path)
    if _json_object(text).get("format") == SIGNED_CHECKPOINT_FORMAT:
        return SignedCheckpoint.from_json(text)
    return Checkpoint.from_json(text)


# -- keys -----------------------------------------------------------------------


def _raw_public(key: Ed25519PublicKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(_raw_public(key)).hexdigest()


def public_key_pem(seed: bytes) -> str:
    """The PEM (SubjectPublicKeyInfo) public key of the Ed25519 key with this seed."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    public = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def load_public_key(public_key: bytes | str) -> Ed25519PublicKey:
    """Parse an Ed25519 public key in PEM form.

    Raises:
        ValidationError: It is not one (the field is ``public_key``).
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if isinstance(public_key, str):
        public_key = public_key.encode("ascii", "replace")
    if not isinstance(public_key, bytes):
        raise ValidationError(
            "public_key", f"must be PEM text or bytes, got {type(public_key).__name__}"
        )
    try:
        key = serialization.load_pem_public_key(public_key)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError(
            "public_key", "is not an Ed25519 public key in PEM form (hf-gov audit public-key)"
        )
    return key


def sign_checkpoint(seed: bytes, seq: int, head_hash: bytes, at: datetime) -> SignedCheckpoint:
    """Sign the head ``(seq, head_hash)`` taken at ``at`` with the Ed25519 key of ``seed``."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.from_private_bytes(seed)
    unsigned = SignedCheckpoint(
        seq=seq,
        head_hash=head_hash.hex(),
        at=at,
        key_id=_key_id(private.public_key()),
        signature="0" * 128,
    )
    signature = private.sign(unsigned.signed_bytes())
    return attrs.evolve(unsigned, signature=signature.hex())


def signature_problem(checkpoint: SignedCheckpoint, public_key: bytes | str) -> str | None:
    """Why ``checkpoint`` does not verify under ``public_key`` (PEM), or ``None`` when it does.

    Raises:
        ValidationError: ``public_key`` is not an Ed25519 public key in PEM form.
    """
    from cryptography.exceptions import InvalidSignature

    key = load_public_key(public_key)
    key_id = _key_id(key)
    if key_id != checkpoint.key_id:
        return (
            f"the signed checkpoint names the key {checkpoint.key_id[:16]}..., "
            f"not the public key given ({key_id[:16]}...): from another log, or altered"
        )
    try:
        key.verify(bytes.fromhex(checkpoint.signature), checkpoint.signed_bytes())
    except InvalidSignature:
        return "the signed checkpoint's signature does not verify under the public key: altered"
    return None
