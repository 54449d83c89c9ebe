r"""The tamper-evident audit log: append-only, hash-chained, secret-free.

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

Why periodic seals rather than an HMAC on every entry: on the reference
2-core machine one HMAC costs about as much as reading and hashing an entry,
and verifying one per entry lands at the edge of the 500,000 entries/s target.
The head authenticator already covers the whole chain (to change any entry
undetected one must recompute every later hash and then the head's HMAC);
the seals only narrow down *where* a recomputed chain starts to be untrusted.
``seal_every=1`` gives one authenticator per entry for those who prefer it.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import math
import os
import re
import sqlite3
import threading
import types
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Final, Literal

import attrs

from hf_api_governance._base.checks import (
    atomic_write,
    check_optional_text,
    check_path,
    check_text,
    check_timeout,
)
from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._confidential.redact import redact_url
from hf_api_governance._confidential.secret import Secret
from hf_api_governance.exceptions import AuditError, ValidationError

__all__ = [
    "KNOWN_ACTIONS",
    "AuditEntry",
    "AuditLog",
    "Checkpoint",
    "VerificationProblem",
    "VerificationReport",
]

FORMAT: Final = 1
GENESIS: Final = bytes(32)
DEFAULT_SEAL_EVERY: Final = 256

_D_ENTRY = b"hf-api-governance/audit/v1/entry\x00"
_D_HEAD = b"hf-api-governance/audit/v1/head\x00"
_D_CHECKPOINT = b"hf-api-governance/audit/v1/checkpoint\x00"
_D_KEY_CHECK = b"hf-api-governance/audit/v1/key-check\x00"
_CHECKPOINT_FORMAT = "hf-api-governance/audit-checkpoint/v1"

KNOWN_ACTIONS: Final = frozenset(
    {
        "registered",
        "updated",
        "licence_added",
        "licence_removed",
        "info_verified",
        "activated",
        "revoked",
        "suspended",
        "reinstated",
        "retired",
        "credential_replaced",
        "credential_revealed",
        "credential_rotated",
        "call_allowed",
        "call_denied",
        "call_sent",
        "signal_detected",
        "deprecation_noticed",
    }
)
"""The documented actions. Others are accepted when they match ``^[a-z][a-z0-9_]{0,63}$``."""

_ACTION_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CLAUSE_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){0,4}")
_URL_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_MAX_CODES = 64
_MAX_EVIDENCE_BYTES = 16_384
_MAX_DEPTH = 4

_COLUMNS = "seq, CAST(body AS BLOB), prev_hash, entry_hash, authenticator"
_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS audit_log (
        seq INTEGER PRIMARY KEY CHECK (seq >= 1),
        body TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        entry_hash BLOB NOT NULL,
        authenticator BLOB
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS audit_log_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        format INTEGER NOT NULL,
        key_check BLOB NOT NULL,
        seal_every INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        entry_hash BLOB NOT NULL,
        authenticator BLOB NOT NULL
    )
    """,
)


# -- values -----------------------------------------------------------------


def _format_at(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _parse_at(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValidationError(field, "expected an RFC 3339 UTC time ending in 'Z'")
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        raise ValidationError(field, "expected an RFC 3339 UTC time ending in 'Z'") from None
    return parsed.astimezone(UTC)


def _sanitise(value: object, field: str, depth: int) -> Any:
    """Return a JSON-able copy of an evidence value, secrets and URLs made safe."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number (JSON has no NaN or infinity)")
        return value
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(field, "must be encodable as UTF-8") from None
        return redact_url(value) if _URL_RE.match(value) else value
    if isinstance(value, Secret):
        return value.fingerprint
    if isinstance(value, datetime):
        return _format_at(ensure_aware(value, field))
    if isinstance(value, enum.Enum):
        return _sanitise(value.value, field, depth)
    if depth >= _MAX_DEPTH:
        raise ValidationError(field, f"nested deeper than {_MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(field, f"keys must be strings, got {type(key).__name__}")
            check_text(f"{field}.<key>", key)
            out[key] = _sanitise(item, f"{field}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_sanitise(item, f"{field}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise ValidationError(field, f"is not JSON-able ({type(value).__name__})")


def _evidence_json(value: object) -> tuple[Mapping[str, Any], bytes]:
    if value is None:
        return types.MappingProxyType({}), b"{}"
    if not isinstance(value, Mapping):
        raise ValidationError("evidence", f"must be a mapping, got {type(value).__name__}")
    clean = _sanitise(value, "evidence", 0)
    encoded = _dumps(clean)
    if len(encoded) > _MAX_EVIDENCE_BYTES:
        raise ValidationError(
            "evidence", f"is {len(encoded)} bytes as JSON; at most {_MAX_EVIDENCE_BYTES}"
        )
    return types.MappingProxyType(clean), encoded


def _evidence(value: object) -> Mapping[str, Any]:
    return _evidence_json(value)[0]


def _codes(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError("codes", "must be a sequence of strings")
    codes = tuple(value)
    if len(codes) > _MAX_CODES:
        raise ValidationError("codes", f"at most {_MAX_CODES} codes")
    for i, code in enumerate(codes):
        check_text(f"codes[{i}]", code)
    return codes


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _v_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_text(attribute.name, value)


def _v_opt_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_optional_text(attribute.name, value)


def _v_action(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _ACTION_RE.fullmatch(value):
        raise ValidationError("action", "must match ^[a-z][a-z0-9_]{0,63}$ (e.g. 'revoked')")


def _v_clause(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _CLAUSE_RE.fullmatch(value)):
        raise ValidationError("clause", "must be a contract clause number such as '1.1.1'")


def _v_seq(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValidationError("seq", "must be an integer >= 1")


def _v_hash(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "authenticator":
        return
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValidationError(attribute.name, "must be 64 lowercase hex digits")


def _aware(value: object) -> datetime:
    return ensure_aware(value, "at")


@attrs.frozen(hash=False)
class AuditEntry:
    """One audit log entry, as stored. Never holds a secret value.

    Entries are made by :meth:`AuditLog.append`; you read them back with
    :meth:`AuditLog.entries` or from an export (:meth:`from_dict`).

    Attributes:
        seq: Position in the log, from 1, without gaps.
        at: When it was appended (aware UTC, microseconds).
        actor: Who did it (clause 1.5): a user, a service account, a script.
        action: What happened; one of :attr:`KNOWN_ACTIONS` or any
            ``^[a-z][a-z0-9_]{0,63}$``.
        integration_id: The integration concerned, if any.
        clause: The contract clause the entry relates to ("1.1.1"), if any.
        codes: Decision or finding codes (``("LICENCE_EXPIRED",)``).
        evidence: Small JSON-able facts, secrets replaced by fingerprints and
            URLs redacted.
        prev_hash: Hex SHA-256 of the previous entry (64 zeros for the first).
        entry_hash: Hex SHA-256 of ``prev_hash || canonical()``.
        authenticator: Hex HMAC-SHA256 on sealed entries, else ``None``.
    """

    KNOWN_ACTIONS: ClassVar[frozenset[str]] = KNOWN_ACTIONS

    seq: int = attrs.field(validator=_v_seq)
    at: datetime = attrs.field(converter=_aware)
    actor: str = attrs.field(validator=_v_text)
    action: str = attrs.field(validator=_v_action)
    integration_id: str | None = attrs.field(validator=_v_opt_text)
    clause: str | None = attrs.field(validator=_v_clause)
    codes: tuple[str, ...] = attrs.field(converter=_codes)
    evidence: Mapping[str, Any] = attrs.field(converter=_evidence)
    prev_hash: str = attrs.field(validator=_v_hash)
    entry_hash: str = attrs.field(validator=_v_hash)
    authenticator: str | None = attrs.field(default=None, validator=_v_hash)

    def canonical(self) -> bytes:
        """Return the canonical bytes that are hashed (and stored)."""
        return _dumps(self._content())

    def _content(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "actor": self.actor,
            "at": _format_at(self.at),
            "clause": self.clause,
            "codes": list(self.codes),
            "evidence": dict(self.evidence),
            "integration_id": self.integration_id,
            "seq": self.seq,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return the export form: the JSONL field names and JSON types."""
        out = self._content()
        out["prev_hash"] = self.prev_hash
        out["entry_hash"] = self.entry_hash
        out["authenticator"] = self.authenticator
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AuditEntry:
        """Rebuild an entry from :meth:`to_dict` output (one parsed export line).

        Raises:
            ValidationError: A field is missing or invalid.
        """
        try:
            return cls(
                seq=data["seq"],
                at=_parse_at(data["at"], "at"),
                actor=data["actor"],
                action=data["action"],
                integration_id=data["integration_id"],
                clause=data["clause"],
                codes=data["codes"],
                evidence=data["evidence"],
                prev_hash=data["prev_hash"],
                entry_hash=data["entry_hash"],
                authenticator=data["authenticator"],
            )
        except KeyError as exc:
            raise ValidationError(str(exc.args[0]), "missing") from None


# -- checkpoints and reports ------------------------------------------------


def _hex32(value: object, field: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValidationError(field, "must be 64 lowercase hex digits")
    return value


@attrs.frozen
class Checkpoint:
    """The authenticated head of a log at one moment, to keep somewhere else.

    A copy held outside the database (another host, a ticket, a WORM bucket)
    lets :meth:`AuditLog.verify` prove that no entry up to ``seq`` was removed
    or rewritten since.

    Attributes:
        seq: Sequence number of the last entry at that moment (0: empty log).
        head_hash: Hex ``entry_hash`` of that entry (64 zeros for an empty log).
        authenticator: Hex HMAC-SHA256 over ``seq``, ``head_hash`` and ``at``.
        at: When the checkpoint was taken (aware UTC).
    """

    seq: int = attrs.field()
    head_hash: str = attrs.field()
    authenticator: str = attrs.field()
    at: datetime = attrs.field(converter=_aware)

    @seq.validator
    def _check_seq(self, attribute: attrs.Attribute[int], value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValidationError("seq", "must be an integer >= 0")

    @head_hash.validator
    def _check_head(self, attribute: attrs.Attribute[str], value: object) -> None:
        _hex32(value, "head_hash")

    @authenticator.validator
    def _check_auth(self, attribute: attrs.Attribute[str], value: object) -> None:
        _hex32(value, "authenticator")

    def to_json(self) -> str:
        """Return the checkpoint as one JSON object (sorted keys)."""
        return json.dumps(
            {
                "format": _CHECKPOINT_FORMAT,
                "seq": self.seq,
                "head_hash": self.head_hash,
                "authenticator": self.authenticator,
                "at": _format_at(self.at),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Checkpoint:
        """Parse :meth:`to_json` output.

        Raises:
            ValidationError: Not a checkpoint, or a field is invalid.
        """
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("checkpoint", "is not valid JSON") from None
        if not isinstance(data, dict) or data.get("format") != _CHECKPOINT_FORMAT:
            raise ValidationError("checkpoint", f"format must be {_CHECKPOINT_FORMAT!r}")
        try:
            return cls(
                seq=data["seq"],
                head_hash=data["head_hash"],
                authenticator=data["authenticator"],
                at=_parse_at(data["at"], "at"),
            )
        except KeyError as exc:
            raise ValidationError(str(exc.args[0]), "missing") from None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the checkpoint to ``path`` atomically.

        Raises:
            AuditError: The file cannot be written.
            ValidationError: ``path`` is not a path.
        """
        _atomic_write(Path(check_path("path", path)), [self.to_json() + "\n"])

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Read a checkpoint written by :meth:`save`.

        Raises:
            AuditError: The file cannot be read.
            ValidationError: ``path`` is not a path, or the file does not
                hold a valid checkpoint.
        """
        where = check_path("path", path)
        try:
            text = Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"cannot read checkpoint {where!r}: {exc}") from exc
        return cls.from_json(text)


class VerificationProblem(enum.Enum):
    """What :meth:`AuditLog.verify` found wrong first."""

    CONTENT_MODIFIED = "content_modified"
    """An entry's stored content, prev_hash or entry_hash no longer hash together."""
    ENTRY_MISSING = "entry_missing"
    """Entries were removed: a gap in seq, a renumbered run, or a log that ends
    before its authenticated head."""
    ENTRIES_REORDERED = "entries_reordered"
    """An entry is stored at a position other than the one it was written for."""
    ENTRY_INSERTED = "entry_inserted"
    """An entry the key holder did not write: after the authenticated head, or
    pushing the original entries one position further."""
    CHAIN_BROKEN = "chain_broken"
    """An entry is self-consistent but its prev_hash is not the previous entry's hash."""
    AUTHENTICATOR_WRONG = "authenticator_wrong"
    """An authenticator does not verify under the key: it was altered, or the
    chain was recomputed by someone without the key."""
    WRONG_KEY = "wrong_key"
    """The key given is not the key the log was written with."""
    HEAD_INVALID = "head_invalid"
    """The head record (latest seq and hash) is missing or does not verify."""
    TRUNCATED_AFTER_CHECKPOINT = "truncated_after_checkpoint"
    """The log ends before the seq of the checkpoint given."""
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    """The checkpoint does not verify under the key, or the log's entry at its
    seq no longer has its hash (rewritten since)."""


@attrs.frozen
class VerificationReport:
    """Outcome of :meth:`AuditLog.verify`.

    Attributes:
        ok: ``True`` when the whole log verified.
        entries_checked: Entries verified before the first problem (all of
            them when ``ok``).
        first_bad_seq: The first seq that cannot be trusted, when known.
        problem: What was wrong, or ``None`` when ``ok``.
        message: A sentence for humans.
    """

    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    problem: VerificationProblem | None = None
    message: str = "the audit log verified"


# -- the log ------------------------------------------------------------------


def _atomic_write(path: Path, chunks: Iterable[str]) -> None:
    try:
        atomic_write(path, (chunk.encode("utf-8") for chunk in chunks))
    except OSError as exc:
        raise AuditError(f"cannot write {os.fspath(path)!r}: {exc}") from exc


def _be64(value: int) -> bytes:
    return value.to_bytes(8, "big", signed=True)


@attrs.frozen
class _Draft:
    actor: str
    action: str
    integration_id: str | None
    clause: str | None
    codes: tuple[str, ...]
    evidence: Mapping[str, Any]
    before_at: bytes
    before_seq: bytes


def _trusted_entry(
    seq: int,
    at: datetime,
    draft: _Draft,
    prev_hash: str,
    entry_hash: str,
    authenticator: str | None,
) -> AuditEntry:
    """Build an entry from already validated parts, skipping the converters (hot path)."""
    entry = object.__new__(AuditEntry)
    values = {
        "seq": seq,
        "at": at,
        "actor": draft.actor,
        "action": draft.action,
        "integration_id": draft.integration_id,
        "clause": draft.clause,
        "codes": draft.codes,
        "evidence": draft.evidence,
        "prev_hash": prev_hash,
        "entry_hash": entry_hash,
        "authenticator": authenticator,
    }
    for name, value in values.items():
        object.__setattr__(entry, name, value)
    return entry


def _draft(
    actor: object,
    action: object,
    integration_id: object = None,
    clause: object = None,
    codes: object = (),
    evidence: object = None,
) -> _Draft:
    check_text("actor", actor)
    _v_action(None, None, action)  # type: ignore[arg-type]
    check_optional_text("integration_id", integration_id)
    _v_clause(None, None, clause)  # type: ignore[arg-type]
    clean_codes = _codes(codes)
    clean_evidence, evidence_json = _evidence_json(evidence)
    # The canonical form with sorted keys, cut around the two values only known
    # inside the write transaction ("at" and "seq"); json.dumps is compositional,
    # so the concatenation equals _dumps() of the whole entry (AuditEntry.canonical).
    before_at = b"".join((b'{"action":', _dumps(action), b',"actor":', _dumps(actor), b',"at":"'))
    before_seq = b"".join(
        (
            b'","clause":',
            _dumps(clause),
            b',"codes":',
            _dumps(list(clean_codes)),
            b',"evidence":',
            evidence_json,
            b',"integration_id":',
            _dumps(integration_id),
            b',"seq":',
        )
    )
    return _Draft(
        actor=actor,  # type: ignore[arg-type]
        action=action,  # type: ignore[arg-type]
        integration_id=integration_id,  # type: ignore[arg-type]
        clause=clause,  # type: ignore[arg-type]
        codes=clean_codes,
        evidence=clean_evidence,
        before_at=before_at,
        before_seq=before_seq,
    )


_DRAFT_KEYS = frozenset({"actor", "action", "integration_id", "clause", "codes", "evidence"})


@attrs.frozen
class _Head:
    format: int
    key_check: bytes
    seal_every: int
    seq: int
    entry_hash: bytes
    authenticator: bytes


class AuditLog:
    """The append-only, hash-chained, HMAC-authenticated audit log (SQLite).

    Two ways to get one:

    * ``AuditLog.open(path, key)`` opens (creating if needed) a database file
      with its own connection: WAL journal, ``synchronous=FULL``, a busy
      timeout; every append is its own ``BEGIN IMMEDIATE`` ... ``COMMIT``.
      Close it with :meth:`close` or use it as a context manager.
    * ``AuditLog(connection, key)`` uses a :class:`sqlite3.Connection` you own
      (the registry's). It creates the tables if missing
      (:meth:`ensure_schema`) and never closes the connection. Pass ``lock``,
      the lock that serialises your own use of the connection, so that the
      log's appends and reads never run in the middle of your transactions
      (the registry's store hands over its own, see
      :meth:`Registry.attach_audit <hf_api_governance.Registry.attach_audit>`).

    Transaction contract for a borrowed connection (what the registry relies on):

    * ``append(..., within_transaction=True)`` (and ``append_many``) writes
      inside the transaction the caller has already opened and **never
      commits or rolls back**. The connection must be in a transaction
      (``connection.in_transaction``), else :class:`AuditError`. The entry
      exists if and only if the caller commits; a rollback leaves no trace.
      The caller should hold the write lock before the append, i.e. have
      written already in this transaction (the usual "change, then audit"
      order) or have started it with ``BEGIN IMMEDIATE``; otherwise, under
      contention, SQLite may refuse to upgrade a stale read snapshot and the
      append fails with :class:`AuditError` (never a duplicate or a fork).
      The append runs in a savepoint: on any error nothing of it remains in
      the transaction, and the caller should roll back its own change too
      (a change without its audit entry must not be committed).
    * ``within_transaction=False`` (the default) needs a connection with no
      open transaction, and runs ``BEGIN IMMEDIATE`` ... ``COMMIT`` itself.
    * Reads (:meth:`verify`, :meth:`checkpoint`) open a read transaction when
      none is open and end it before returning; inside the caller's
      transaction they read what that transaction sees.
    * The connection must use Python's default transaction handling
      (``isolation_level`` ``""``/``"DEFERRED"`` or ``None``). WAL mode and a
      busy timeout are the connection owner's job (:meth:`open` sets both).

    Concurrency: the head is read and the new rows inserted in one write
    transaction, and ``seq`` is the table's ``INTEGER PRIMARY KEY``, so
    several processes appending at once produce one unbroken chain, and a
    process killed mid-append leaves the log as it was before that append.
    An :class:`AuditLog` serialises its own calls with a lock (``lock``, or
    one of its own); the connection rules of :mod:`sqlite3` still apply to a
    borrowed connection.

    Args:
        connection: An open SQLite connection.
        key: The log's HMAC key: at least 32 bytes, or a :class:`Secret`
            holding them (for instance from the Keystore).
        clock: Where entry times come from (default: the system clock).
        seal_every: Put an entry authenticator on every n-th entry. Used when
            the log is created; an existing log keeps the value it was
            created with.
        lock: A reentrant lock (such as :class:`threading.RLock`) held around
            every use of the connection; share it with whoever else uses the
            connection. Default: a lock of the log's own.

    Raises:
        ValidationError: ``key``, ``seal_every`` or ``lock`` is invalid.
        AuditError: The tables cannot be created.
    """

    def __init__(
        self,
        connection: sqlite3.Connection,
        key: bytes | Secret,
        *,
        clock: Clock | None = None,
        seal_every: int = DEFAULT_SEAL_EVERY,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        if not isinstance(connection, sqlite3.Connection):
            raise ValidationError(
                "connection", f"must be a sqlite3.Connection, got {type(connection).__name__}"
            )
        raw = key.reveal_bytes() if isinstance(key, Secret) else key
        if not isinstance(raw, bytes) or len(raw) < 32:
            raise ValidationError("key", "must be at least 32 bytes (or a Secret holding them)")
        if not isinstance(seal_every, int) or isinstance(seal_every, bool) or seal_every < 1:
            raise ValidationError("seal_every", "must be an integer >= 1")
        if clock is not None and not isinstance(clock, Clock):
            raise ValidationError("clock", "must have a now() method returning a datetime")
        if lock is not None and not isinstance(lock, AbstractContextManager):
            raise ValidationError("lock", "must be a lock such as threading.RLock()")
        self._conn = connection
        self._mac = hmac.new(raw, digestmod=hashlib.sha256)
        del raw
        self._key_check = self._hmac(_D_KEY_CHECK)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._seal_every = seal_every
        self._owns = False
        self._lock: AbstractContextManager[Any] = lock if lock is not None else threading.RLock()
        self.ensure_schema(connection)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        key: bytes | Secret,
        *,
        clock: Clock | None = None,
        seal_every: int = DEFAULT_SEAL_EVERY,
        timeout: float = 30.0,
    ) -> AuditLog:
        """Open (or create) the audit log in the SQLite database at ``path``.

        Args:
            path: The database file (the registry's, by default).
            key: The HMAC key (at least 32 bytes, or a :class:`Secret`).
            clock: Where entry times come from.
            seal_every: See the class documentation.
            timeout: Seconds to wait for another process's write lock.

        Returns:
            A log that owns its connection (close it when done).

        Raises:
            AuditError: The database cannot be opened or set up.
            ValidationError: An argument is invalid (a path that is not a
                path, a negative or non-numeric ``timeout``...).
        """
        where = check_path("path", path)
        timeout = check_timeout("timeout", timeout)
        try:
            conn = sqlite3.connect(
                where, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open audit database {where!r}: {exc}") from exc
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                raise AuditError(f"cannot switch {where!r} to WAL mode")
            conn.execute("PRAGMA synchronous = FULL")
            log = cls(conn, key, clock=clock, seal_every=seal_every)
        except sqlite3.Error as exc:
            conn.close()
            raise AuditError(f"cannot set up audit database {where!r}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        log._owns = True
        return log

    @staticmethod
    def ensure_schema(connection: sqlite3.Connection) -> None:
        """Create the ``audit_log`` and ``audit_log_head`` tables if missing.

        Idempotent; inside the caller's transaction if one is open.

        Raises:
            AuditError: SQLite refused.
        """
        try:
            for statement in _SCHEMA:
                connection.execute(statement)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot create the audit_log tables: {exc}") from exc

    def close(self) -> None:
        """Close the connection if this log opened it (:meth:`open`)."""
        if self._owns:
            self._conn.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditLog(owns_connection={self._owns})"

    # -- keyed tags ----------------------------------------------------------

    def _hmac(self, message: bytes) -> bytes:
        mac = self._mac.copy()
        mac.update(message)
        return mac.digest()

    def _entry_tag(self, seq: int, entry_hash: bytes) -> bytes:
        return self._hmac(_D_ENTRY + _be64(seq) + entry_hash)

    def _head_tag(self, seal_every: int, seq: int, entry_hash: bytes) -> bytes:
        return self._hmac(_D_HEAD + _be64(seal_every) + _be64(seq) + entry_hash)

    def _checkpoint_tag(self, seq: int, head_hash: bytes, at: datetime) -> bytes:
        return self._hmac(_D_CHECKPOINT + _be64(seq) + head_hash + _format_at(at).encode())

    # -- writing -------------------------------------------------------------

    def append(
        self,
        *,
        actor: str,
        action: str,
        integration_id: str | None = None,
        clause: str | None = None,
        codes: Iterable[str] = (),
        evidence: Mapping[str, Any] | None = None,
        within_transaction: bool = False,
    ) -> AuditEntry:
        """Append one entry.

        Args:
            actor: Who did it (clause 1.5); non-empty.
            action: One of :data:`KNOWN_ACTIONS` or ``^[a-z][a-z0-9_]{0,63}$``.
            integration_id: The integration concerned, if any.
            clause: Contract clause ("1.1.1"), if any.
            codes: Decision or finding codes.
            evidence: Small JSON-able mapping. A :class:`Secret` is stored as
                its fingerprint; URL strings are redacted (userinfo, query
                values and fragment dropped).
            within_transaction: Write inside the caller's open transaction
                without committing (see the class documentation).

        Returns:
            The stored entry.

        Raises:
            ValidationError: A field is invalid (names the field, or the
                evidence key).
            AuditError: The entry cannot be written; nothing was written
                (with ``within_transaction=True``, roll back).
        """
        draft = _draft(actor, action, integration_id, clause, codes, evidence)
        return self._write([draft], within_transaction)[0]

    def append_many(
        self, events: Iterable[Mapping[str, Any]], *, within_transaction: bool = False
    ) -> list[AuditEntry]:
        """Append several entries in one transaction: all or none.

        Args:
            events: Mappings of :meth:`append`'s keyword arguments (``actor``,
                ``action``, and optionally ``integration_id``, ``clause``,
                ``codes``, ``evidence``).
            within_transaction: As for :meth:`append`.

        Returns:
            The stored entries, in order.

        Raises:
            ValidationError: An event is invalid (the field is prefixed with
                ``events[i].``); nothing was written.
            AuditError: The entries cannot be written; nothing was written.
        """
        drafts = []
        for i, event in enumerate(events):
            if not isinstance(event, Mapping):
                raise ValidationError(f"events[{i}]", "must be a mapping of append() arguments")
            unknown = set(event) - _DRAFT_KEYS
            if unknown:
                raise ValidationError(f"events[{i}]", f"unknown fields {sorted(map(str, unknown))}")
            try:
                drafts.append(_draft(**event))
            except TypeError:
                raise ValidationError(f"events[{i}]", "needs 'actor' and 'action'") from None
            except ValidationError as exc:
                raise ValidationError(f"events[{i}].{exc.field}", exc.problem) from None
        if not drafts:
            return []
        return self._write(drafts, within_transaction)

    def _read_head(self) -> _Head | None:
        row = self._conn.execute(
            "SELECT format, key_check, seal_every, seq, entry_hash, authenticator "
            "FROM audit_log_head WHERE id = 1"
        ).fetchone()
        if row is None:
            return None
        return _Head(*row)

    def _writable_head(self) -> tuple[int, bytes, int, bool]:
        """Check the head before extending the chain; return (seq, hash, seal_every, new)."""
        head = self._read_head()
        last = self._conn.execute(
            "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if head is None:
            if last is not None:
                raise AuditError("the audit log has entries but no head record; run verify()")
            return 0, GENESIS, self._seal_every, True
        if not _head_well_formed(head):
            # Wrong column types (the table is not STRICT) would otherwise escape
            # as TypeError/AttributeError from the comparisons below.
            raise AuditError("the audit log's head record is malformed; run verify()")
        if head.format != FORMAT:
            raise AuditError(
                f"the audit log has format {head.format}; this version writes {FORMAT}"
            )
        if not hmac.compare_digest(head.key_check, self._key_check):
            raise AuditError("the key given is not the key this audit log was written with")
        if not hmac.compare_digest(
            head.authenticator, self._head_tag(head.seal_every, head.seq, head.entry_hash)
        ):
            raise AuditError("the audit log's head record does not verify; run verify()")
        if last is None or last[0] != head.seq or last[1] != head.entry_hash:
            raise AuditError("the audit log's last entry is not its head; run verify()")
        return head.seq, head.entry_hash, head.seal_every, False

    def _write(self, drafts: list[_Draft], within_transaction: bool) -> list[AuditEntry]:
        with self._lock:
            conn = self._conn
            try:
                in_transaction = conn.in_transaction
                if within_transaction and not in_transaction:
                    raise AuditError(
                        "within_transaction=True but the connection has no open transaction"
                    )
                if not within_transaction and in_transaction:
                    raise AuditError(
                        "the connection has an open transaction: commit it first, or pass "
                        "within_transaction=True to append inside it"
                    )
                # Inside the caller's transaction, a savepoint makes our part
                # all-or-nothing without touching what the caller did before.
                conn.execute(
                    "SAVEPOINT hf_audit_append" if within_transaction else "BEGIN IMMEDIATE"
                )
                try:
                    entries = self._insert(drafts)
                    conn.execute("RELEASE hf_audit_append" if within_transaction else "COMMIT")
                except BaseException:
                    if within_transaction:
                        conn.execute("ROLLBACK TO hf_audit_append")
                        conn.execute("RELEASE hf_audit_append")
                    elif conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise AuditError(f"cannot append to the audit log: {exc}") from exc
            return entries

    def _insert(self, drafts: list[_Draft]) -> list[AuditEntry]:
        seq, prev, seal_every, new = self._writable_head()
        sha256 = hashlib.sha256
        rows = []
        entries = []
        for draft in drafts:
            seq += 1
            at = ensure_aware(self._clock.now(), "clock.now()")
            body = b"".join(
                (draft.before_at, _format_at(at).encode(), draft.before_seq, b"%d}" % seq)
            )
            entry_hash = sha256(prev + body).digest()
            tag = self._entry_tag(seq, entry_hash) if seq % seal_every == 0 else None
            rows.append((seq, body.decode(), prev, entry_hash, tag))
            entries.append(
                _trusted_entry(
                    seq,
                    at,
                    draft,
                    prev.hex(),
                    entry_hash.hex(),
                    tag.hex() if tag is not None else None,
                )
            )
            prev = entry_hash
        self._conn.executemany(
            "INSERT INTO audit_log (seq, body, prev_hash, entry_hash, authenticator) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        head_tag = self._head_tag(seal_every, seq, prev)
        if new:
            self._conn.execute(
                "INSERT INTO audit_log_head "
                "(id, format, key_check, seal_every, seq, entry_hash, authenticator) "
                "VALUES (1, ?, ?, ?, ?, ?, ?)",
                (FORMAT, self._key_check, seal_every, seq, prev, head_tag),
            )
        else:
            self._conn.execute(
                "UPDATE audit_log_head SET seq = ?, entry_hash = ?, authenticator = ? WHERE id = 1",
                (seq, prev, head_tag),
            )
        return entries

    # -- reading -------------------------------------------------------------

    def _snapshot_begin(self) -> bool:
        if self._conn.in_transaction:
            return False
        self._conn.execute("BEGIN")
        return True

    def _snapshot_end(self, opened: bool) -> None:
        if opened and self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def head(self) -> AuditEntry | None:
        """Return the last entry, or ``None`` for an empty log.

        Raises:
            AuditError: The log cannot be read.
        """
        for entry in self._select("ORDER BY seq DESC LIMIT 1", ()):
            return entry
        return None

    def entries(
        self, *, since_seq: int = 0, integration_id: str | None = None
    ) -> Iterator[AuditEntry]:
        """Iterate over the entries after ``since_seq``, oldest first, streaming.

        This reads; it does not verify (use :meth:`verify`).

        Args:
            since_seq: Only entries with ``seq > since_seq``.
            integration_id: Only entries about this integration.

        Raises:
            AuditError: The log cannot be read or holds an unreadable entry.
        """
        if not isinstance(since_seq, int) or isinstance(since_seq, bool) or since_seq < 0:
            raise ValidationError("since_seq", "must be an integer >= 0")
        check_optional_text("integration_id", integration_id)
        if integration_id is None:
            return self._select("WHERE seq > ? ORDER BY seq", (since_seq,))
        return self._entries_about(since_seq, integration_id)

    def _entries_about(self, since_seq: int, integration_id: str) -> Iterator[AuditEntry]:
        needle = '"integration_id":' + json.dumps(integration_id, ensure_ascii=False)
        for entry in self._select(
            "WHERE seq > ? AND instr(body, ?) > 0 ORDER BY seq", (since_seq, needle)
        ):
            if entry.integration_id == integration_id:
                yield entry

    def _select(self, where: str, params: tuple[object, ...]) -> Iterator[AuditEntry]:
        # `where` is always one of this module's constant clauses.
        sql = f"SELECT {_COLUMNS} FROM audit_log {where}"  # noqa: S608
        try:
            cursor = self._conn.execute(sql, params)
            while True:
                rows = cursor.fetchmany(512)
                if not rows:
                    return
                for row in rows:
                    yield self._entry_from_row(row)
        except sqlite3.Error as exc:
            raise AuditError(f"cannot read the audit log: {exc}") from exc

    @staticmethod
    def _entry_from_row(row: tuple[Any, ...]) -> AuditEntry:
        seq, body, prev, entry_hash, tag = row
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError
            return AuditEntry.from_dict(
                {
                    **data,
                    "seq": seq,
                    "prev_hash": bytes(prev).hex(),
                    "entry_hash": bytes(entry_hash).hex(),
                    "authenticator": bytes(tag).hex() if tag is not None else None,
                }
            )
        except (ValueError, TypeError) as exc:
            raise AuditError(f"audit entry {seq} is unreadable; run verify()") from exc

    def export(self, path: str | os.PathLike[str], format: Literal["jsonl"] = "jsonl") -> int:
        """Write every entry to ``path`` as JSON Lines, atomically.

        One JSON object per line (sorted keys, UTF-8) with the fields ``seq``,
        ``at``, ``actor``, ``action``, ``integration_id``, ``clause``,
        ``codes``, ``evidence``, ``prev_hash``, ``entry_hash`` and
        ``authenticator`` (see ``docs/audit.md``).

        Args:
            path: The file to write (replaced atomically).
            format: Only ``"jsonl"``.

        Returns:
            The number of entries written.

        Raises:
            ValidationError: Unknown format, or ``path`` is not a path.
            AuditError: The log cannot be read or the file cannot be written.
        """
        if format != "jsonl":
            raise ValidationError("format", "only 'jsonl' is supported")
        where = Path(check_path("path", path))
        count = 0

        def lines() -> Iterator[str]:
            nonlocal count
            for entry in self.entries():
                count += 1
                yield _dumps(entry.to_dict()).decode() + "\n"

        with self._lock:
            _atomic_write(where, lines())
        return count

    def checkpoint(self) -> Checkpoint:
        """Return an authenticated checkpoint of the current head.

        Keep a copy elsewhere (:meth:`Checkpoint.save`); give it back to
        :meth:`verify` to prove nothing up to it was removed or rewritten.

        Raises:
            AuditError: The head does not verify (the log was tampered with,
                or the key is wrong) or cannot be read.
        """
        with self._lock:
            try:
                opened = self._snapshot_begin()
                try:
                    head = self._read_head()
                    if head is None:
                        if self._conn.execute("SELECT 1 FROM audit_log LIMIT 1").fetchone():
                            raise AuditError("the audit log has entries but no head record")
                        seq, head_hash = 0, GENESIS
                    else:
                        self._writable_head()
                        seq, head_hash = head.seq, head.entry_hash
                finally:
                    self._snapshot_end(opened)
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read the audit log: {exc}") from exc
        at = ensure_aware(self._clock.now(), "clock.now()")
        tag = self._checkpoint_tag(seq, head_hash, at)
        return Checkpoint(seq=seq, head_hash=head_hash.hex(), authenticator=tag.hex(), at=at)

    # -- verifying -----------------------------------------------------------

    def verify(self, checkpoint: Checkpoint | None = None) -> VerificationReport:
        """Check the whole log: chain, authenticators, head and an optional checkpoint.

        Streams the entries (constant memory). Stops at the first problem.

        Args:
            checkpoint: A checkpoint kept elsewhere; proves that the log still
                holds, unchanged, every entry up to its seq.

        Returns:
            The report; ``report.ok`` is ``True`` when everything verified.

        Raises:
            AuditError: The database cannot be read.
        """
        if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
            raise ValidationError("checkpoint", "must be a Checkpoint")
        with self._lock:
            try:
                opened = self._snapshot_begin()
                try:
                    return self._verify(checkpoint)
                finally:
                    self._snapshot_end(opened)
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read the audit log: {exc}") from exc

    def _verify(self, checkpoint: Checkpoint | None) -> VerificationReport:
        P = VerificationProblem
        conn = self._conn
        head = self._read_head()
        if head is None:
            first = conn.execute("SELECT min(seq) FROM audit_log").fetchone()[0]
            if first is not None:
                return _bad(0, first, P.HEAD_INVALID, "the log has entries but no head record")
        elif not _head_well_formed(head):
            return _bad(0, None, P.HEAD_INVALID, "the head record is malformed")
        elif head.format != FORMAT:
            return _bad(0, None, P.HEAD_INVALID, f"unknown log format {head.format}")
        elif not hmac.compare_digest(head.key_check, self._key_check):
            return _bad(0, None, P.WRONG_KEY, "this is not the key the log was written with")
        if checkpoint is not None:
            cp_hash = bytes.fromhex(checkpoint.head_hash)
            expected_tag = self._checkpoint_tag(checkpoint.seq, cp_hash, checkpoint.at)
            if not hmac.compare_digest(bytes.fromhex(checkpoint.authenticator), expected_tag):
                return _bad(
                    0, None, P.CHECKPOINT_MISMATCH,
                    "the checkpoint does not verify under this key: altered, or from another log",
                )  # fmt: skip
        if head is None:
            if checkpoint is not None and checkpoint.seq > 0:
                return _bad(
                    0, 1, P.TRUNCATED_AFTER_CHECKPOINT,
                    f"the log is empty but the checkpoint is at seq {checkpoint.seq}",
                )  # fmt: skip
            return VerificationReport(ok=True, entries_checked=0, message="the audit log is empty")
        if not hmac.compare_digest(
            head.authenticator, self._head_tag(head.seal_every, head.seq, head.entry_hash)
        ):
            return _bad(0, head.seq, P.HEAD_INVALID, "the head record's authenticator is wrong")

        # Hot loop: one SHA-256 per entry, one HMAC per seal_every entries.
        sha256 = hashlib.sha256
        seal_every = head.seal_every
        countdown = seal_every
        expected = 1
        prev = GENESIS
        last_sealed = 0
        cursor = conn.execute(
            "SELECT seq, CAST(body AS BLOB), prev_hash, entry_hash, authenticator "
            "FROM audit_log WHERE seq <= ? ORDER BY seq",
            (head.seq,),
        )
        for seq, body, ph, eh, tag in cursor:
            countdown -= 1
            if seq != expected or ph != prev or sha256(ph + body).digest() != eh:
                return self._diagnose(
                    expected, prev, seq, body, ph, eh, tag, last_sealed, seal_every
                )
            if countdown == 0 or tag is not None:
                if countdown != 0 or tag is None or tag != self._entry_tag(seq, eh):
                    return self._diagnose(
                        expected, prev, seq, body, ph, eh, tag, last_sealed, seal_every
                    )
                countdown = seal_every
                last_sealed = seq
            prev = eh
            expected += 1
        last = expected - 1

        if checkpoint is not None and last < checkpoint.seq:
            return _bad(
                last, last + 1, P.TRUNCATED_AFTER_CHECKPOINT,
                f"the log ends at seq {last} but the checkpoint taken "
                f"{_format_at(checkpoint.at)} is at seq {checkpoint.seq}",
            )  # fmt: skip
        if last < head.seq:
            return _bad(
                last, last + 1, P.ENTRY_MISSING,
                f"the log ends at seq {last} but its authenticated head is at seq {head.seq}",
            )  # fmt: skip
        if prev != head.entry_hash:
            return _bad(
                last_sealed, last_sealed + 1, P.AUTHENTICATOR_WRONG,
                f"entries {last_sealed + 1}..{last} do not lead to the authenticated head: "
                "rewritten by someone without the key",
            )  # fmt: skip
        extra = conn.execute("SELECT min(seq) FROM audit_log WHERE seq > ?", (head.seq,))
        beyond = extra.fetchone()[0]
        if beyond is not None:
            return _bad(
                last, beyond, P.ENTRY_INSERTED,
                f"entry {beyond} lies after the authenticated head (seq {head.seq})",
            )  # fmt: skip
        if checkpoint is not None and checkpoint.seq > 0:
            row = conn.execute(
                "SELECT entry_hash FROM audit_log WHERE seq = ?", (checkpoint.seq,)
            ).fetchone()
            if row is None or row[0] != bytes.fromhex(checkpoint.head_hash):
                return _bad(
                    last, checkpoint.seq, P.CHECKPOINT_MISMATCH,
                    f"entry {checkpoint.seq} no longer has the hash the checkpoint recorded: "
                    "the log was rewritten since",
                )  # fmt: skip
        return VerificationReport(
            ok=True, entries_checked=last, message=f"the audit log verified: {last} entries"
        )

    def _body_seq(self, body: bytes) -> int | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        value = data.get("seq") if isinstance(data, dict) else None
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def _stored_body_seq(self, seq: int) -> int | None:
        row = self._conn.execute(
            "SELECT CAST(body AS BLOB) FROM audit_log WHERE seq = ?", (seq,)
        ).fetchone()
        return None if row is None else self._body_seq(row[0])

    def _diagnose(
        self,
        expected: int,
        prev: bytes,
        seq: int,
        body: object,
        ph: object,
        eh: object,
        tag: object,
        last_sealed: int,
        seal_every: int,
    ) -> VerificationReport:
        """Classify the first failing entry (slow path, runs once)."""
        P = VerificationProblem
        ok_so_far = expected - 1
        if seq != expected:
            return _bad(ok_so_far, expected, P.ENTRY_MISSING, f"entry {expected} is missing")
        if not isinstance(body, bytes) or not isinstance(ph, bytes) or not isinstance(eh, bytes):
            return _bad(ok_so_far, seq, P.CONTENT_MODIFIED, f"entry {seq} has a mistyped field")
        if hashlib.sha256(ph + body).digest() != eh:
            return _bad(
                ok_so_far, seq, P.CONTENT_MODIFIED,
                f"entry {seq} does not match its hash: its content, prev_hash or entry_hash "
                "was changed",
            )  # fmt: skip
        body_seq = self._body_seq(body)
        if body_seq is None:
            return _bad(ok_so_far, seq, P.CONTENT_MODIFIED, f"entry {seq} is not a valid entry")
        if body_seq != seq:
            shift = seq - body_seq
            following = self._stored_body_seq(seq + 1)
            if following is not None and following + shift != seq + 1:
                return _bad(
                    ok_so_far, seq, P.ENTRIES_REORDERED,
                    f"entry {seq} holds the entry written as {body_seq}",
                )  # fmt: skip
            if shift < 0:
                return _bad(
                    ok_so_far, seq, P.ENTRY_MISSING,
                    f"entries {seq}..{body_seq - 1} were removed and the rest renumbered",
                )  # fmt: skip
            return _bad(
                ok_so_far, body_seq, P.ENTRY_INSERTED,
                f"{shift} entr{'y' if shift == 1 else 'ies'} inserted before the entry "
                f"written as {body_seq}",
            )  # fmt: skip
        if ph != prev:
            return _bad(
                ok_so_far, seq, P.CHAIN_BROKEN,
                f"entry {seq}'s prev_hash is not the hash of entry {seq - 1}",
            )  # fmt: skip
        if self._stored_body_seq(seq + 1) == seq:
            return _bad(
                ok_so_far, seq, P.ENTRY_INSERTED,
                f"entry {seq} was inserted: the original entry {seq} now sits at {seq + 1}",
            )  # fmt: skip
        if tag is None:
            what = "has no authenticator"
        elif seq % seal_every != 0:
            what = "carries an unexpected authenticator"
        else:
            what = "has a wrong authenticator"
        return _bad(
            ok_so_far, seq, P.AUTHENTICATOR_WRONG,
            f"entry {seq} {what}: altered, or entries {last_sealed + 1}..{seq} were rewritten "
            "by someone without the key",
        )  # fmt: skip


def _head_well_formed(head: _Head) -> bool:
    return (
        all(isinstance(v, int) for v in (head.format, head.seal_every, head.seq))
        and all(isinstance(v, bytes) for v in (head.key_check, head.entry_hash, head.authenticator))
        and head.seal_every >= 1
    )


def _bad(
    checked: int, first_bad: int | None, problem: VerificationProblem, message: str
) -> VerificationReport:
    return VerificationReport(
        ok=False,
        entries_checked=checked,
        first_bad_seq=first_bad,
        problem=problem,
        message=message,
    )
