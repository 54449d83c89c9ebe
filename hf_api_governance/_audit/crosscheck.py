"""The registry and its audit log vouch for each other: the cross-check.

With an audit log attached (:meth:`Registry.attach_audit
<hf_api_governance.Registry.attach_audit>`), every registry event is recorded
by one audit entry written in the same transaction: the event's kind as the
action, its integration, actor and clause, and in the evidence the event's
own evidence, its reason, its position (``event_seq``) and, since this
release, its hash (``event_hash``, :func:`event_hash`). Events recorded
before the log was attached can be recorded once, later, by an adoption
(``audit_adopted``; :meth:`Registry.adopt_audit
<hf_api_governance.Registry.adopt_audit>`): one entry per event, with
``"adopted": true``.

:func:`cross_check` matches the two, in one snapshot, after the chain itself
verified: every event must have an entry that records it unchanged, and
every entry that records an event must find that event where it was. The
registry calls it (:meth:`Registry.verify_audit
<hf_api_governance.Registry.verify_audit>`); this module reads only the
audit tables and takes the events from the caller, so it knows no store.

Entries written before ``event_hash`` existed are matched on their action,
integration, actor and clause: a rewritten reason or evidence goes unseen
there, a deleted or moved event does not.
"""

from __future__ import annotations

import hashlib
import heapq
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, NamedTuple

from hf_api_governance._audit.entries import AuditMismatch, VerificationProblem
from hf_api_governance._audit.storage import AuditStorage
from hf_api_governance._base.clock import utc_text
from hf_api_governance._model.values import Event, EventKind
from hf_api_governance.exceptions import AuditError

__all__ = [
    "ADOPTED",
    "EVENT_HASH",
    "EVENT_SEQ",
    "MAX_LISTED",
    "CrossCheck",
    "Recorded",
    "adoption_entry",
    "cross_check",
    "event_hash",
    "recorded_events",
]

EVENT_SEQ: Final = "event_seq"
"""Evidence key: the position of the registry event an entry records."""

EVENT_HASH: Final = "event_hash"
"""Evidence key: the hash of the registry event an entry records (:func:`event_hash`)."""

ADOPTED: Final = "adopted"
"""Evidence key: ``true`` on the entries of an adoption."""

MAX_LISTED: Final = 100
"""Mismatches listed in a report; the message gives the total."""

_D_EVENT = b"hf-api-governance/registry-event/v1\x00"
_KINDS: Final = frozenset(k.value for k in EventKind)


def event_hash(event: Event) -> str:
    r"""The hex SHA-256 of a stored event: what its audit entry vouches for.

    Over ``b"hf-api-governance/registry-event/v1\x00"`` and the canonical
    JSON (sorted keys, compact, UTF-8) of the event's ``seq``,
    ``integration_id``, ``kind``, ``at`` (RFC 3339 UTC, microseconds),
    ``actor``, ``reason``, ``clause`` and ``evidence``. The store must give
    back exactly what it was given (it does: evidence is JSON).
    """
    body = {
        "actor": event.actor,
        "at": utc_text(event.at, "microseconds"),
        "clause": event.clause,
        "evidence": event.evidence,
        "integration_id": event.integration_id,
        "kind": event.kind.value,
        "reason": event.reason,
        "seq": event.seq,
    }
    return hashlib.sha256(_D_EVENT + _EVENT_JSON.encode(body).encode()).hexdigest()


def _plain(value: object) -> object:
    """Frozen evidence for the encoder: read-only mappings as dicts (tuples are lists already)."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


# The canonical form of entries (:func:`~hf_api_governance._audit.entries._dumps`),
# reading frozen evidence as is.
_EVENT_JSON: Final = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
)


class Recorded(NamedTuple):
    """What one audit entry says about the registry event it records."""

    entry_seq: int
    event_seq: int
    action: str
    integration_id: str
    actor: str
    clause: str | None
    event_hash: str | None


def recorded_events(storage: AuditStorage) -> Iterator[Recorded]:
    """Stream the entries that record a registry event, in entry order.

    Reads in the caller's transaction. An entry records an event when its
    evidence has an integer ``event_seq`` and either an ``event_hash`` or
    (older entries) an event kind as its action and an integration.

    Args:
        storage: The audit tables (SQLite or PostgreSQL).

    Raises:
        AuditError: The log cannot be read.
    """
    try:
        if not storage.present():
            return  # no audit_log table: no entry records anything (verify reports the rest)
        for seq, body, _prev, _hash, _tag in storage.rows(containing=f'"{EVENT_SEQ}":'):
            try:
                data = json.loads(body)
            except ValueError:
                continue  # the chain check reports an unreadable entry
            found = _recorded(seq, data)
            if found is not None:
                yield found
    except storage.errors as exc:
        raise AuditError(f"cannot read the audit log: {storage.message(exc)}") from exc


def adoption_entry(storage: AuditStorage) -> int | None:
    """The seq of the log's ``audit_adopted`` entry, or ``None``.

    Raises:
        AuditError: The log cannot be read.
    """
    try:
        if not storage.present():
            return None
        for row in storage.rows(containing='"action":"audit_adopted"'):
            return int(row[0])
    except storage.errors as exc:
        raise AuditError(f"cannot read the audit log: {storage.message(exc)}") from exc
    return None


def _recorded(seq: int, data: object) -> Recorded | None:
    if not isinstance(data, dict):
        return None
    evidence = data.get("evidence")
    if not isinstance(evidence, dict):
        return None
    event_seq = evidence.get(EVENT_SEQ)
    if not isinstance(event_seq, int) or isinstance(event_seq, bool):
        return None
    digest = evidence.get(EVENT_HASH)
    action, integration_id = data.get("action"), data.get("integration_id")
    if not isinstance(digest, str):
        if action not in _KINDS or not isinstance(integration_id, str):
            return None
        digest = None
    return Recorded(
        entry_seq=seq,
        event_seq=event_seq,
        action=str(action),
        integration_id=str(integration_id),
        actor=str(data.get("actor")),
        clause=data.get("clause") if isinstance(data.get("clause"), str) else None,
        event_hash=digest,
    )


def _matches(event: Event, recorded: Recorded) -> bool:
    if recorded.event_hash is not None:
        return recorded.event_hash == event_hash(event)
    return (
        recorded.action == event.kind.value
        and recorded.integration_id == event.integration_id
        and recorded.actor == event.actor
        and recorded.clause == event.clause
    )


class CrossCheck(NamedTuple):
    """The outcome of :func:`cross_check`.

    Attributes:
        events: Registry events read.
        recorded: Entries that record an event.
        matched: Events matched to an entry that records them unchanged.
        total: Mismatches found.
        mismatches: The first :data:`MAX_LISTED` of them, in registry order.
    """

    events: int
    recorded: int
    matched: int
    total: int
    mismatches: tuple[AuditMismatch, ...]


def _describe(kind: str, integration_id: str) -> str:
    return f"({kind}, {integration_id})"


def cross_check(events: Iterable[Event], recorded: Iterable[Recorded]) -> CrossCheck:
    """Match every event (in ``seq`` order) with the entries that record it.

    Memory grows with the number of event entries (one small tuple each).

    Args:
        events: Every registry event, in ``seq`` order.
        recorded: Every entry that records an event (:func:`recorded_events`).

    Returns:
        What matched and what did not.
    """
    P = VerificationProblem
    by_event: dict[int, list[Recorded]] = {}
    count_recorded = 0
    for item in recorded:
        by_event.setdefault(item.event_seq, []).append(item)
        count_recorded += 1
    listed: list[AuditMismatch] = []
    total = 0
    count_events = 0
    matched = 0
    for event in events:
        count_events += 1
        assert event.seq is not None  # noqa: S101 - stored events have a seq
        found = by_event.pop(event.seq, None)
        bad = [r for r in found if not _matches(event, r)] if found is not None else []
        if found is not None and not bad:
            matched += 1
            continue
        total += 1
        if len(listed) >= MAX_LISTED:
            continue  # counted, not listed
        what = f"event {event.seq} {_describe(event.kind.value, event.integration_id)}"
        if found is None:
            listed.append(
                AuditMismatch(P.EVENT_UNAUDITED, event.seq, None, f"{what} has no audit entry")
            )
        else:
            listed.append(
                AuditMismatch(
                    P.EVENT_REWRITTEN,
                    event.seq,
                    bad[0].entry_seq,
                    f"{what} is not the event audit entry {bad[0].entry_seq} recorded "
                    f"{_describe(bad[0].action, bad[0].integration_id)}: rewritten, or "
                    "another event took its place",
                )
            )
    deleted = [
        AuditMismatch(
            P.EVENT_DELETED,
            r.event_seq,
            r.entry_seq,
            f"event {r.event_seq} {_describe(r.action, r.integration_id)}, recorded by audit "
            f"entry {r.entry_seq}, is missing from the registry: deleted",
        )
        for seq in sorted(by_event)
        for r in by_event[seq]
    ]
    total += len(deleted)
    merged = heapq.merge(listed, deleted, key=lambda m: (m.event_seq or 0, m.entry_seq or 0))
    first = tuple(m for _, m in zip(range(MAX_LISTED), merged, strict=False))
    return CrossCheck(count_events, count_recorded, matched, total, first)
