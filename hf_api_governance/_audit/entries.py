"""Audit log values: entries, checkpoints, verification outcomes and their helpers.

- :class:`AuditEntry`: one entry as stored, and its canonical form (the bytes
  that are hashed, see :mod:`hf_api_governance._audit.chain`);
- :class:`Checkpoint`: an authenticated head to keep outside the database;
- :class:`VerificationProblem` and :class:`VerificationReport`: what
  :meth:`AuditLog.verify <hf_api_governance.AuditLog.verify>` found;
- the value helpers they share with the writer: validation of each field,
  evidence sanitising (secrets become fingerprints, URLs are redacted), the
  RFC 3339 time format, and the pre-validated draft an append is built from.

Nothing here touches the database.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import re
import types
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Final, NamedTuple

import attrs

from hf_api_governance._base.checks import (
    check_optional_text,
    check_path,
    check_text,
)
from hf_api_governance._base.clock import ensure_aware, utc_text
from hf_api_governance._base.construct import trusted
from hf_api_governance._base.files import atomic_write, read_regular_file
from hf_api_governance._base.identifiers import CLAUSE
from hf_api_governance._confidential.evidence import AUDIT, walk
from hf_api_governance.exceptions import AuditError, ValidationError

__all__ = [
    "KNOWN_ACTIONS",
    "MAX_CHECKPOINT_SIZE",
    "AuditEntry",
    "AuditMismatch",
    "Checkpoint",
    "VerificationProblem",
    "VerificationReport",
]

_CHECKPOINT_FORMAT = "hf-api-governance/audit-checkpoint/v1"

MAX_CHECKPOINT_SIZE: Final = 64 << 10
"""The largest checkpoint file :meth:`Checkpoint.load` reads (64 KiB; one is about 300 bytes)."""

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
        "action_denied",
        "key_stored",
        "key_replaced",
        "key_deleted",
        "key_renamed",
        "audit_adopted",
        "audit_mark_restored",
    }
)
"""The documented actions. Others are accepted when they match ``^[a-z][a-z0-9_]{0,63}$``."""

_ACTION_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_CODES = 64
_MAX_EVIDENCE_BYTES = 16_384


# -- values -----------------------------------------------------------------


def format_at(at: datetime) -> str:
    """An audit instant: fixed-width RFC 3339 UTC text with microseconds (it is hashed)."""
    return utc_text(at, "microseconds")


def _parse_at(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise ValidationError(field, "expected an RFC 3339 UTC time ending in 'Z'")
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00")
    except ValueError:
        raise ValidationError(field, "expected an RFC 3339 UTC time ending in 'Z'") from None
    return parsed.astimezone(UTC)


def _evidence_json(value: object) -> tuple[Mapping[str, Any], bytes]:
    if value is None:
        return types.MappingProxyType({}), b"{}"
    if not isinstance(value, Mapping):
        raise ValidationError("evidence", f"must be a mapping, got {type(value).__name__}")
    clean = walk(value, "evidence", AUDIT)
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


_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# One encoder for every call: json.dumps() with options builds a new one each
# time, which costs three times the encoding of a small entry.


def _dumps(obj: object) -> bytes:
    return _CANONICAL.encode(obj).encode()


def _v_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_text(attribute.name, value)


def _v_opt_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_optional_text(attribute.name, value)


def _v_action(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not _ACTION_RE.fullmatch(value):
        raise ValidationError("action", "must match ^[a-z][a-z0-9_]{0,63}$ (e.g. 'revoked')")


def _v_clause(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not CLAUSE.fullmatch(value)):
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
            "at": format_at(self.at),
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


class SavedAsJson:
    """A value kept in a file as its :meth:`to_json` text (the checkpoints)."""

    __slots__ = ()

    def to_json(self) -> str:
        """The value as one JSON object."""
        raise NotImplementedError

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the checkpoint to ``path`` atomically.

        Raises:
            AuditError: The file cannot be written.
            ValidationError: ``path`` is not a path.
        """
        _atomic_write(Path(check_path("path", path)), [self.to_json() + "\n"])


@attrs.frozen
class Checkpoint(SavedAsJson):
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
                "at": format_at(self.at),
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
        seq, head_hash, authenticator, at = required(
            data, "seq", "head_hash", "authenticator", "at"
        )
        return cls(
            seq=seq, head_hash=head_hash, authenticator=authenticator, at=_parse_at(at, "at")
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Checkpoint:
        """Read a checkpoint written by :meth:`save`.

        Raises:
            AuditError: The file cannot be read, is not a regular file (a
                FIFO or a device is refused without being read, so it never
                blocks), or is larger than :data:`MAX_CHECKPOINT_SIZE`.
            ValidationError: ``path`` is not a path, or the file does not
                hold a valid checkpoint.
        """
        where = check_path("path", path)
        try:
            text = read_regular_file(where, limit=MAX_CHECKPOINT_SIZE).decode("utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise AuditError(f"cannot read checkpoint {where!r}: {reason}") from None
        except UnicodeDecodeError:
            raise AuditError(f"cannot read checkpoint {where!r}: not UTF-8 text") from None
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
    """The checkpoint does not verify under the key (or its signature under
    the public key), or the log's entry at its seq no longer has its hash
    (rewritten since)."""
    EVENT_UNAUDITED = "event_unaudited"
    """A registry event has no audit entry: it was recorded without the audit
    key, or the audit log is empty or missing while the registry holds events
    (cross-check, :meth:`Registry.verify_audit
    <hf_api_governance.Registry.verify_audit>`)."""
    EVENT_DELETED = "event_deleted"
    """An audit entry records a registry event that the registry no longer holds."""
    EVENT_REWRITTEN = "event_rewritten"
    """A registry event differs from what its audit entry recorded: rewritten,
    or another event moved to its position."""
    AUDIT_MARK_INVALID = "audit_mark_invalid"
    """The registry's audit mark is missing although the log records its
    events, or names another key: a process without the key could change it."""


@attrs.frozen
class AuditMismatch:
    """One disagreement between the registry and its audit log (the cross-check).

    Attributes:
        problem: :attr:`VerificationProblem.EVENT_UNAUDITED`,
            :attr:`~VerificationProblem.EVENT_DELETED`,
            :attr:`~VerificationProblem.EVENT_REWRITTEN` or
            :attr:`~VerificationProblem.AUDIT_MARK_INVALID`.
        event_seq: The registry event's position (``Event.seq``), if any.
        entry_seq: The audit entry's position (``AuditEntry.seq``), if any.
        message: A sentence for humans.
    """

    problem: VerificationProblem
    event_seq: int | None
    entry_seq: int | None
    message: str


@attrs.frozen
class VerificationReport:
    """Outcome of :meth:`AuditLog.verify`.

    :meth:`AuditLog.verify` checks the log alone; :meth:`Registry.verify_audit
    <hf_api_governance.Registry.verify_audit>` also cross-checks it with the
    registry's events and fills ``events_checked``, ``first_bad_event`` and
    ``mismatches``.

    Attributes:
        ok: ``True`` when the whole log verified (and, for a cross-check,
            every event matched its entry).
        entries_checked: Entries verified before the first problem (all of
            them when ``ok`` or when only the cross-check failed).
        first_bad_seq: The first audit entry seq that cannot be trusted, when known.
        problem: What was wrong first, or ``None`` when ``ok``.
        message: A sentence for humans.
        events_checked: Registry events the cross-check matched to their
            entries (0 when it did not run).
        first_bad_event: The registry position (``Event.seq``) of the first
            cross-check problem, when it concerns an event.
        mismatches: Every cross-check problem, in registry order (at most
            100; ``message`` gives the total).
    """

    ok: bool
    entries_checked: int
    first_bad_seq: int | None = None
    problem: VerificationProblem | None = None
    message: str = "the audit log verified"
    events_checked: int = 0
    first_bad_event: int | None = None
    mismatches: tuple[AuditMismatch, ...] = ()


def required(data: Mapping[str, Any], *names: str) -> list[Any]:
    """The values of ``names`` in a parsed JSON object, in that order.

    Raises:
        ValidationError: One is missing (the first missing is named).
    """
    for name in names:
        if name not in data:
            raise ValidationError(name, "missing")
    return [data[name] for name in names]


def _atomic_write(path: Path, chunks: Iterable[str], *, follow_symlinks: bool = False) -> None:
    try:
        atomic_write(
            path, (chunk.encode("utf-8") for chunk in chunks), follow_symlinks=follow_symlinks
        )
    except OSError as exc:
        raise AuditError(f"cannot write {os.fspath(path)!r}: {exc}") from exc


# -- drafts: an append's validated parts, before its seq and time are known ----


class _Draft(NamedTuple):
    actor: str
    action: str
    integration_id: str | None
    clause: str | None
    codes: tuple[str, ...]
    evidence: Mapping[str, Any]
    before_at: bytes
    before_seq: bytes
    at: datetime | None = None  # a deferred record's time; else taken when written


def _trusted_entry(
    seq: int,
    at: datetime,
    draft: _Draft,
    prev_hash: str,
    entry_hash: str,
    authenticator: str | None,
) -> AuditEntry:
    """Build an entry from already validated parts, skipping the converters (hot path)."""
    return trusted(
        AuditEntry,
        seq=seq,
        at=at,
        actor=draft.actor,
        action=draft.action,
        integration_id=draft.integration_id,
        clause=draft.clause,
        codes=draft.codes,
        evidence=draft.evidence,
        prev_hash=prev_hash,
        entry_hash=entry_hash,
        authenticator=authenticator,
    )


def _draft(
    actor: object,
    action: object,
    integration_id: object = None,
    clause: object = None,
    codes: object = (),
    evidence: object = None,
    *,
    at: datetime | None = None,
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
        at=at,
    )


_DRAFT_KEYS = frozenset({"actor", "action", "integration_id", "clause", "codes", "evidence"})


@functools.lru_cache(maxsize=256)
def _before_at(action: str, actor: str) -> bytes:
    return b"".join((b'{"action":', _dumps(action), b',"actor":', _dumps(actor), b',"at":"'))


_NO_CLAUSE_NO_CODES: Final = b"".join(
    (b'","clause":', _dumps(None), b',"codes":', _dumps([]), b',"evidence":')
)


@functools.lru_cache(maxsize=256)
def _after_evidence(integration_id: str | None) -> bytes:
    return b"".join((b',"integration_id":', _dumps(integration_id), b',"seq":'))


def _deferred_draft(
    actor: str,
    action: str,
    integration_id: str | None,
    evidence: object,
    at: datetime,
) -> _Draft:
    """The draft of a deferred entry whose actor, action and integration were checked already.

    Byte for byte what :func:`_draft` makes (no clause, no codes), with the
    parts that repeat from call to call (action, actor, integration)
    remembered; only the evidence is walked.

    Raises:
        ValidationError: The evidence cannot be recorded.
    """
    clean_evidence, evidence_json = _evidence_json(evidence)
    return _Draft(
        actor,
        action,
        integration_id,
        None,
        (),
        clean_evidence,
        _before_at(action, actor),
        b"".join((_NO_CLAUSE_NO_CODES, evidence_json, _after_evidence(integration_id))),
        at,
    )
