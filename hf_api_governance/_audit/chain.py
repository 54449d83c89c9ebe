r"""The chain's construction: hashes, keyed tags and the head record (format 1).

Shared by the writer (:mod:`hf_api_governance._audit.log`) and the verifier
(:mod:`hf_api_governance._audit.verify`), so that both compute exactly the
same bytes.

Construction (format 1)
-----------------------
Each entry's *canonical form* is the UTF-8 JSON object (sorted keys, compact
separators, non-ASCII kept as is) with the keys ``action``, ``actor``, ``at``,
``clause``, ``codes``, ``evidence``, ``integration_id`` and ``seq``. That byte
string is stored as is (column ``body``) and chained::

    prev_hash(1)  = 32 zero bytes
    entry_hash(n) = SHA-256(prev_hash(n) || canonical(n))
    prev_hash(n+1) = entry_hash(n)

The chain alone proves that nothing was changed *by someone who did not
recompute it*. A keyed HMAC-SHA256 under the log key ``K`` stops those who
would recompute it::

    entry authenticator (every ``seal_every``-th entry) =
        HMAC(K, b"hf-api-governance/audit/v1/entry\x00" || be64(seq) || entry_hash)
    head authenticator (table audit_log_head, rewritten by every append) =
        HMAC(K, b"hf-api-governance/audit/v1/head\x00" || be64(seal_every) || be64(seq)
             || entry_hash)
    checkpoint authenticator =
        HMAC(K, b"hf-api-governance/audit/v1/checkpoint\x00" || be64(seq) || head_hash
             || at (RFC 3339, ASCII))
    key check (stored once) = HMAC(K, b"hf-api-governance/audit/v1/key-check\x00")

Signed checkpoints (:mod:`hf_api_governance._audit.signing`) use an Ed25519
key derived from ``K``, never stored::

    Ed25519 private key (32-byte seed) =
        HMAC(K, b"hf-api-governance/audit/v1/ed25519-signing-key\x00")

Why periodic seals rather than an HMAC on every entry: on the reference
2-core machine one HMAC costs about as much as reading and hashing an entry,
and verifying one per entry lands at the edge of the 500,000 entries/s target.
The head authenticator already covers the whole chain (to change any entry
undetected one must recompute every later hash and then the head's HMAC);
the seals only narrow down *where* a recomputed chain starts to be untrusted.
``seal_every=1`` gives one authenticator per entry for those who prefer it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Final

import attrs

from hf_api_governance._audit.entries import format_at

__all__ = ["FORMAT", "GENESIS", "Head", "Tags", "head_well_formed"]

FORMAT: Final = 1
"""The log format this version writes and verifies."""

GENESIS: Final = bytes(32)
"""The ``prev_hash`` of the first entry."""

_D_ENTRY = b"hf-api-governance/audit/v1/entry\x00"
_D_HEAD = b"hf-api-governance/audit/v1/head\x00"
_D_CHECKPOINT = b"hf-api-governance/audit/v1/checkpoint\x00"
_D_KEY_CHECK = b"hf-api-governance/audit/v1/key-check\x00"
_D_SIGNING_KEY = b"hf-api-governance/audit/v1/ed25519-signing-key\x00"


def _be64(value: int) -> bytes:
    return value.to_bytes(8, "big", signed=True)


class Tags:
    """The HMAC-SHA256 authenticators under one log key (the formulas above).

    Holds the keyed MAC state, never the key bytes, and shows neither.

    Args:
        key: The log key (at least 32 bytes; checked by the caller).

    Attributes:
        key_check: The tag stored once in the head record, so that a wrong
            key is told apart from tampering.
    """

    __slots__ = ("_mac", "key_check")

    def __init__(self, key: bytes) -> None:
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self.key_check: bytes = self._hmac(_D_KEY_CHECK)

    def _hmac(self, message: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(message)
        return mac.digest()

    def entry(self, seq: int, entry_hash: bytes) -> bytes:
        """The entry authenticator of the entry ``seq`` with hash ``entry_hash``."""
        return self._hmac(_D_ENTRY + _be64(seq) + entry_hash)

    def head(self, seal_every: int, seq: int, entry_hash: bytes) -> bytes:
        """The head authenticator for a log sealed every ``seal_every`` entries."""
        return self._hmac(_D_HEAD + _be64(seal_every) + _be64(seq) + entry_hash)

    def checkpoint(self, seq: int, head_hash: bytes, at: datetime) -> bytes:
        """The checkpoint authenticator of the head ``(seq, head_hash)`` taken at ``at``."""
        return self._hmac(_D_CHECKPOINT + _be64(seq) + head_hash + format_at(at).encode())

    def signing_seed(self) -> bytes:
        """The 32-byte Ed25519 private key (seed) of signed checkpoints, derived from the key.

        Computed on demand and never stored: the caller builds the signing
        key with it and drops it.
        """
        return self._hmac(_D_SIGNING_KEY)

    def __repr__(self) -> str:
        return "Tags(...)"


@attrs.frozen
class Head:
    """The head record (table ``audit_log_head``), as read: not yet checked.

    Attributes:
        format: The log format.
        key_check: :attr:`Tags.key_check` of the key the log was written with.
        seal_every: The entry authenticator period.
        seq: The seq of the last entry.
        entry_hash: The hash of the last entry.
        authenticator: :meth:`Tags.head` over the three fields before.
    """

    format: int
    key_check: bytes
    seal_every: int
    seq: int
    entry_hash: bytes
    authenticator: bytes


def head_well_formed(head: Head) -> bool:
    """Whether every field of the head record has its type (SQLite's table is not STRICT)."""
    return (
        all(isinstance(v, int) for v in (head.format, head.seal_every, head.seq))
        and all(isinstance(v, bytes) for v in (head.key_check, head.entry_hash, head.authenticator))
        and head.seal_every >= 1
    )
