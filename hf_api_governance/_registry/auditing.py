"""The registry's side of the audit: the audit mark, the cross-check, adoption.

:class:`~hf_api_governance.Registry` delegates here what binds it to its
audit log (docs/audit.md, "The registry and the audit log vouch for each
other"):

* :func:`mark_if_new` and :func:`guard`: the
  :class:`~hf_api_governance._storage.store.AuditMark` (written once a
  registry is audited) and the check that starts every write transaction:
  no change without the audit key once audited, none with another key, none
  where the log no longer covers the registry;
* :func:`verify`: the log's own verification, then the cross-check of every
  event with its entry (:mod:`hf_api_governance._audit.crosscheck`), in one
  read transaction;
* :func:`adopt`: recording, once, the history of a registry used without
  the key.

Like the registry, this module reaches storage only through the
:class:`~hf_api_governance._storage.store.Store` protocol; the audit tables
are read by :mod:`hf_api_governance._audit` through its storage port
(:func:`~hf_api_governance._audit.storages.storage_for` on the store's shared
connection), so all of it works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import attrs

from hf_api_governance._audit.crosscheck import (
    ADOPTED,
    EVENT_HASH,
    EVENT_SEQ,
    MAX_LISTED,
    adoption_entry,
    cross_check,
    event_hash,
    recorded_events,
)
from hf_api_governance._audit.entries import (
    AuditMismatch,
    Checkpoint,
    VerificationProblem,
    VerificationReport,
)
from hf_api_governance._audit.signing import SignedCheckpoint
from hf_api_governance._audit.storage import AuditStorage
from hf_api_governance._audit.storages import storage_for
from hf_api_governance._base.clock import Clock, utc_text
from hf_api_governance._defaults import AUDIT_KEY_ENV
from hf_api_governance._model.values import Event
from hf_api_governance._storage.store import (
    AuditMark,
    Store,
    StoreConnection,
    StoreLock,
    StoreSession,
    retrying,
)
from hf_api_governance.exceptions import AuditError, StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.log import AuditLog

__all__ = ["adopt", "guard", "mark_if_new", "verify"]

_PAGE: Final = 1000
"""Events read per query when the whole history is walked."""

_ADOPTABLE: Final = (VerificationProblem.EVENT_UNAUDITED, VerificationProblem.AUDIT_MARK_INVALID)


def _all_events(tx: StoreSession) -> Iterator[Event]:
    """Every event of the registry, in ``seq`` order, a page at a time."""
    after = 0
    while True:
        page = tx.event_page(after=after, limit=_PAGE)
        yield from page
        if len(page) < _PAGE:
            return
        last = page[-1].seq
        assert last is not None  # noqa: S101 - stored events have a seq
        after = last


def _has_events(tx: StoreSession) -> bool:
    return bool(tx.event_page(after=0, limit=1))


def _audit_storage(store: Store) -> AuditStorage:
    """The audit tables of the store's database, on the store's own connection."""

    def build(connection: StoreConnection, _lock: StoreLock) -> AuditStorage:
        return storage_for(connection)

    return store.share(build)


# -- the audit mark ----------------------------------------------------------------


def mark_if_new(store: Store, log: AuditLog, clock: Clock) -> None:
    """Mark a registry without events as audited, right when its log is attached.

    So that keyless changes are refused from the start. A registry that
    holds events is left to its first change (:func:`guard`), so that
    :func:`verify` sees a missing mark as it is. A damaged mark or log is left
    alone: every change is then refused, and :func:`verify` says why.
    """
    try:
        with store.read() as tx:
            new = tx.audit_mark() is None and not _has_events(tx)
        if new:

            def body(tx: StoreSession) -> None:
                still_new = tx.audit_mark() is None and not _has_events(tx)
                if still_new and log.key_matches() is not False:
                    tx.set_audit_mark(AuditMark(log.key_check, clock.now()))

            retrying(store, body)
    except (StoreError, AuditError):
        pass


def guard(tx: StoreSession, log: AuditLog | None, clock: Clock, where: str) -> None:
    """Refuse a change where it could not be verified; the first thing of every write.

    With the key, a missing mark is written again when the log is this key's:
    silently for a registry without events (a new one), else with an
    ``audit_mark_restored`` entry, so that the log keeps the trace of what
    happened to it.

    Args:
        tx: The write transaction.
        log: The attached audit log, or ``None`` (no audit key).
        clock: Where the mark's time comes from.
        where: The store's location, for messages.

    Raises:
        AuditError: The registry is audited and there is no audit key,
            another key, or an audit log that no longer covers it; or it
            holds events its (empty) log does not cover.
    """
    mark = tx.audit_mark()
    if log is None:
        if mark is not None:
            raise AuditError(
                f"registry {where} is audited (since {utc_text(mark.at, 'seconds')}): "
                "a change needs the audit key (open it with the keystore or "
                f"{AUDIT_KEY_ENV}, or Registry.attach_audit); nothing was written"
            )
        return
    if mark is not None and mark.key_check != log.key_check:
        raise AuditError(
            f"registry {where} is audited with another key (key check "
            f"{mark.key_check[:16]}...): nothing was written"
        )
    written = log.key_matches()  # None: empty; False: another key's log
    if written is False:
        return  # the append refuses the foreign key with its own message
    has_events = _has_events(tx)
    if written is None and has_events:
        if mark is None:
            raise AuditError(
                f"registry {where} holds events but its audit log is empty: if it was "
                "never audited, record its history in the log once (hf-gov audit adopt, "
                "Registry.adopt_audit); if its audit log was removed, restore the database "
                "from a backup; nothing was written"
            )
        raise AuditError(
            f"registry {where} is audited but its audit log is empty or missing: it was "
            "removed outside the registry; restore the database from a backup "
            "(hf-gov audit verify explains); nothing was written"
        )
    if mark is None:
        if has_events:
            log.append(
                actor="hf-api-governance",
                action="audit_mark_restored",
                evidence={
                    "reason": "the registry's audit mark was missing: removed outside "
                    "the registry, or never written"
                },
                within_transaction=True,
            )
        tx.set_audit_mark(AuditMark(log.key_check, clock.now()))


# -- verification -------------------------------------------------------------------


def verify(
    store: Store,
    log: AuditLog | None,
    checkpoint: Checkpoint | SignedCheckpoint | None,
    public_key: bytes | str | None,
) -> VerificationReport:
    """The log's own verification, then the cross-check, in one read transaction.

    See :meth:`Registry.verify_audit <hf_api_governance.Registry.verify_audit>`.
    """
    from hf_api_governance._audit.verify import verify_without_key

    if log is None and (not isinstance(checkpoint, SignedCheckpoint) or public_key is None):
        raise AuditError(
            "verifying without the audit key needs a signed checkpoint and its public key "
            "(hf-gov audit checkpoint, hf-gov audit public-key)"
        )
    audit = _audit_storage(store)
    with store.read() as tx:
        if log is not None:
            report = log.verify(checkpoint, public_key=public_key)
        else:
            assert isinstance(checkpoint, SignedCheckpoint)  # noqa: S101 - checked above
            assert public_key is not None  # noqa: S101 - checked above
            report = verify_without_key(store.share(_connection), checkpoint, public_key)
        if not report.ok:
            return report
        return _cross_check(tx, audit, report, log)


def _connection(connection: StoreConnection, _lock: StoreLock) -> StoreConnection:
    return connection


def _cross_check(
    tx: StoreSession, audit: AuditStorage, chain: VerificationReport, log: AuditLog | None
) -> VerificationReport:
    """The cross-check after a chain that verified: ``chain`` completed, or failed."""
    found = cross_check(_all_events(tx), recorded_events(audit))
    mismatches = list(found.mismatches)
    total = found.total
    try:
        mark: AuditMark | str | None = tx.audit_mark()
    except StoreError as exc:  # the mark's table is gone or damaged
        mark = str(exc)
    mark_problem = _mark_problem(mark, log, covered=found.recorded > 0)
    if mark_problem is not None:
        total += 1
        flag = AuditMismatch(VerificationProblem.AUDIT_MARK_INVALID, None, None, mark_problem)
        mismatches = [*mismatches[: MAX_LISTED - 1], flag]
    if not mismatches:
        return attrs.evolve(
            chain,
            events_checked=found.matched,
            message=f"{chain.message}; {found.matched} registry events match their entries",
        )
    first = mismatches[0]
    message = first.message
    if found.events and not found.recorded:
        holds = f"{found.events} event{'' if found.events == 1 else 's'}"
        if isinstance(mark, AuditMark):
            message = (
                f"the registry is audited and holds {holds}, but the audit log records "
                "none of them: the log was emptied or removed outside the registry"
            )
        else:
            message = (
                f"the registry holds {holds} but the audit log records none of them: the "
                "log was emptied or removed, or this registry was never audited (then "
                "record its history once: hf-gov audit adopt)"
            )
    if total > 1:
        message += f" ({total} problems in all)"
    return attrs.evolve(
        chain,
        ok=False,
        first_bad_seq=first.entry_seq,
        problem=first.problem,
        message=message,
        events_checked=found.matched,
        first_bad_event=first.event_seq,
        mismatches=tuple(mismatches),
    )


def _mark_problem(
    mark: AuditMark | str | None, log: AuditLog | None, *, covered: bool
) -> str | None:
    """What is wrong with the audit mark (``mark``: the mark, or why it is unreadable)."""
    if isinstance(mark, str):
        return mark
    if mark is None:
        if covered:
            return (
                "the registry's audit mark is missing although the audit log records its "
                "events: removed outside the registry, so changes without the audit key were "
                "not refused (the next change made with the key restores it)"
            )
        return None
    if log is not None and mark.key_check != log.key_check:
        return "the registry's audit mark names another key: changed outside the registry"
    return None


# -- adoption -----------------------------------------------------------------------


def adopt(store: Store, log: AuditLog, clock: Clock, *, actor: str, reason: str) -> int:
    """Record, once, the events the log does not cover; return how many.

    See :meth:`Registry.adopt_audit <hf_api_governance.Registry.adopt_audit>`.
    One write transaction: verified, checked and appended under the write lock
    (after the log's deferred entries, written first in their own).
    """
    log.flush()
    audit = _audit_storage(store)

    def body(tx: StoreSession) -> int:
        report = log.verify()
        if not report.ok:
            raise AuditError(f"the audit log does not verify, nothing adopted: {report.message}")
        checked = _cross_check(tx, audit, report, log)
        mark = tx.audit_mark()
        if mark is not None and mark.key_check != log.key_check:
            raise AuditError("nothing adopted: the registry is audited with another key")
        others = [m for m in checked.mismatches if m.problem not in _ADOPTABLE]
        if others:
            raise AuditError(f"nothing adopted: {others[0].message}")
        covered = {r.event_seq for r in recorded_events(audit)}
        uncovered = [e for e in _all_events(tx) if e.seq not in covered]
        if not uncovered:
            raise AuditError("nothing to adopt: every event has its audit entry")
        if adoption_entry(audit) is not None:
            raise AuditError(
                "this audit log already holds an adoption: events recorded without the key "
                "since then are not history to adopt (hf-gov audit verify lists them)"
            )
        entries: list[dict[str, Any]] = [
            {
                "actor": actor,
                "action": "audit_adopted",
                "evidence": {
                    "events": len(uncovered),
                    "first_event_seq": uncovered[0].seq,
                    "last_event_seq": uncovered[-1].seq,
                    "reason": reason,
                },
            }
        ]
        entries += (
            {
                "actor": actor,
                "action": event.kind.value,
                "integration_id": event.integration_id,
                "clause": event.clause,
                "evidence": {
                    EVENT_SEQ: event.seq,
                    EVENT_HASH: event_hash(event),
                    ADOPTED: True,
                    "event_actor": event.actor,
                },
            }
            for event in uncovered
        )
        log.append_many(entries, within_transaction=True)
        if mark is None:
            tx.set_audit_mark(AuditMark(log.key_check, clock.now()))
        return len(uncovered)

    return retrying(store, body)
