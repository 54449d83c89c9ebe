"""The registry: every API integration, its licences, its state and its history.

The registry owns state (DESIGN.md section 3). Every change goes through the
lifecycle state machine (:func:`~hf_api_governance._model.values.next_state`), is one
transaction, and records one :class:`~hf_api_governance.Event` per change with
the time from the clock, the actor, the reason, the contract clause and
secret-free evidence. The stored state always equals the state replayed from
the history; loading checks it and fails closed when it does not.

The registry reaches storage only through the
:class:`~hf_api_governance._storage.store.Store` protocol; it never names a
concrete store.

This module is longer than most (about 1,000 lines) on purpose: it holds one
class whose write methods all follow the same transaction discipline (check
the transition, save, emit the events, through ``_change`` and ``_emit``),
and about half of it is the public methods' documentation. Splitting the
class across modules would scatter that discipline. What binds the registry
to its audit log (the audit mark checked by every write, the cross-check,
adoption) is in :mod:`hf_api_governance._registry.auditing`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._confidential.detect import looks_like_secret
from hf_api_governance._confidential.evidence import scrub, thaw
from hf_api_governance._confidential.redact import REDACTED, redact_text
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model.lifecycle import CLAUSES, next_state
from hf_api_governance._model.rules import check_entry_name
from hf_api_governance._model.values import (
    AUTH_SCHEMES,
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
    Revoker,
    Service,
    SuspensionCause,
    as_enum,
    check_reason,
)
from hf_api_governance._registry import auditing
from hf_api_governance._storage.store import (
    Store,
    StoreConnection,
    StoreLock,
    StoreSession,
    retrying,
)
from hf_api_governance._storage.stores import open_store

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.entries import Checkpoint, VerificationReport
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._audit.signing import SignedCheckpoint
from hf_api_governance._base.closing import Closing
from hf_api_governance.exceptions import (
    AuditError,
    IntegrationNotFound,
    ValidationError,
)

__all__ = ["Registry", "SyncReport"]

_T = TypeVar("_T")

OnEvent = Callable[[StoreConnection, Event], None]
"""An ``on_event`` hook: called with the store's connection and each stored event."""

_K = EventKind
_S = IntegrationState


_DECLARED_FIELDS: Final = (
    "name",
    "service",
    "kind",
    "vendor",
    "base_url",
    "owner",
    "api_version",
    "credential",
    "enablement",
    "info_verified_at",
    "auth",
    "data_origins",
)


@attrs.frozen
class SyncReport:
    """What :meth:`Registry.sync` did, by integration id.

    Attributes:
        added: Declared in the inventory and newly registered.
        updated: Declared fields or licences changed (one event per change).
        unchanged: Declared and already identical.
        undeclared: In the registry (not retired) but absent from the
            inventory. Nothing is deleted: retire them explicitly.
    """

    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    undeclared: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether the sync wrote anything."""
        return bool(self.added or self.updated)


def _auth_entries(value: Mapping[str, str] | None) -> dict[str, str]:
    """``replace_credential``'s ``auth_entries``, checked: parameter -> entry name."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("auth_entries", "must map auth parameters to entry names")
    checked: dict[str, str] = {}
    for param, name in value.items():
        if not isinstance(param, str):
            raise ValidationError("auth_entries", "parameter names must be text")
        checked[param] = check_entry_name(f"auth.{param}", name)
    return checked


class _DryRun(Exception):
    """Raised inside a dry-run sync's transaction to roll it back, carrying the report."""

    def __init__(self, report: SyncReport) -> None:
        super().__init__()
        self.report = report


def _changed_fields(old: Integration, new: Integration) -> list[str]:
    return [f for f in _DECLARED_FIELDS if getattr(old, f) != getattr(new, f)]


def _licence_diff(
    old: tuple[Licence, ...], new: tuple[Licence, ...]
) -> tuple[list[Licence], list[Licence]]:
    """Licences to remove and to add (multiset difference, order kept)."""
    to_remove = Counter(old) - Counter(new)
    to_add = Counter(new) - Counter(old)
    removed: list[Licence] = []
    for lic in old:
        if to_remove[lic] > 0:
            to_remove[lic] -= 1
            removed.append(lic)
    added: list[Licence] = []
    for lic in new:
        if to_add[lic] > 0:
            to_add[lic] -= 1
            added.append(lic)
    return removed, added


def _licence_evidence(licence: Licence) -> dict[str, Any]:
    return {
        "grantor": licence.grantor,
        "scope": licence.scope,
        "valid_from": licence.valid_from.isoformat(),
        "valid_until": None if licence.valid_until is None else licence.valid_until.isoformat(),
        "reference": licence.reference,
    }


def _safe_reason(reason: str) -> str:
    """An event reason with credential shapes and secret-looking words redacted.

    Reasons are free text, often quoting what an API or a caller said; they
    are stored and shown as they are, so no credential may stay in one.
    Anything but a ``str`` is left for :class:`Event` to refuse.
    """
    if not isinstance(reason, str):  # callers without type checking pass anything
        return reason  # type: ignore[unreachable]
    text = redact_text(reason)
    if looks_like_secret(text):
        text = " ".join(REDACTED if looks_like_secret(w) else w for w in text.split(" "))
    return text


@attrs.define(repr=False)
class Registry(Closing):
    """The record of every API integration (clause 1.1), backed by a :class:`Store`.

    Open one with :meth:`open`; use it as a context manager or call
    :meth:`close`. Every method is one transaction; several processes may
    share one database file.

    Example::

        with Registry.open("registry.db") as registry:
            registry.register(integration, actor="alice@example.com")
            registry.activate(integration.id, actor="alice@example.com")
    """

    _store: Store
    _clock: Clock = attrs.field(factory=SystemClock)
    _on_event: OnEvent | None = None
    # What was read, with the store version it was read at (see _get).
    _integrations: dict[str, tuple[Hashable, Integration]] = attrs.field(factory=dict, init=False)
    _revoked: tuple[Hashable, frozenset[str]] | None = attrs.field(default=None, init=False)
    # True while a dry-run sync runs in its (rolled back) transaction: no on_event.
    _quiet: bool = attrs.field(default=False, init=False)
    # The audit log attach_audit attached, if any: changes are refused without it
    # once the registry is audited (see _guard).
    _audit: AuditLog | None = attrs.field(default=None, init=False)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] = ":memory:",
        *,
        clock: Clock | None = None,
        on_event: OnEvent | None = None,
        timeout: float = 10.0,
    ) -> Registry:
        """Open (creating and migrating if needed) a registry in a SQLite file or PostgreSQL.

        A ``postgresql://`` URL opens a registry shared by many hosts (the
        ``postgresql`` extra; docs/operations.md); any other ``path`` is a
        SQLite file. Both behave the same; on PostgreSQL a change committed
        by another host is seen as soon as its notification arrives (a few
        milliseconds), and on every call while notifications cannot be
        received.

        Args:
            path: The database file, ``":memory:"`` (tests), or a PostgreSQL
                URL (its credentials never appear in messages).
            clock: Where event times come from (default: the system clock).
            on_event: Called inside the writing transaction right after each
                event row is inserted, with the store's connection (a
                :class:`sqlite3.Connection`, or a psycopg connection) and the
                stored event (the audit log hooks in here). If it raises, the
                whole change rolls back and the exception propagates. It must
                not commit or roll back itself; on PostgreSQL a transaction
                that fails transiently runs again, hooks included.
            timeout: Seconds to wait for another process's write lock (and
                for a PostgreSQL connection) before failing with
                :class:`~hf_api_governance.StoreError`.

        Returns:
            The open registry.

        Raises:
            StoreError: The file cannot be opened, is not a registry, has a
                newer schema version, or stays locked.
            ValidationError: ``path`` is not a path, or ``timeout`` not a
                non-negative number of seconds.
        """
        store = open_store(path, timeout=timeout)
        return cls(store, clock or SystemClock(), on_event)

    # ------------------------------------------------------------ audit

    def attach_audit(self, key: bytes | Secret, *, seal_every: int | None = None) -> AuditLog:
        """Record every registry event in a tamper-evident audit log, atomically.

        The log lives in the registry's own database (table ``audit_log``).
        The store builds it (:meth:`Store.share
        <hf_api_governance._storage.store.Store.share>`) on the store's
        connection and hands it the store's lock: each change and its audit
        entry are written in the same transaction, so they land together or
        not at all, and the log's own appends never interleave with a change.
        Entries carry the event's actor, kind (as the action), clause,
        evidence and reason, and the event's position and hash
        (``event_seq``, ``event_hash``), which :meth:`verify_audit` checks.
        Call once, right after :meth:`open`.

        From then on the registry is *audited*: it holds an
        :class:`~hf_api_governance._storage.store.AuditMark` (written now
        when the registry is empty or its log already has entries, else by
        :meth:`adopt_audit`), and every change made without the audit key is
        refused. A change is refused with the key too while the log does not
        cover the registry (events but an empty log: adopt or restore), so
        that no change lands where it could not be verified. Reads are never
        refused: ``audit verify`` must be able to say what is wrong.

        Args:
            key: The audit log's HMAC key (at least 32 bytes, or a Secret).
            seal_every: Entry authenticator period (see :class:`AuditLog`).

        Returns:
            The log, for verification, export and direct appends.

        Raises:
            StoreError: The store is closed.
            ValidationError: The key is invalid, or the store's connection is
                neither SQLite's nor the PostgreSQL store's (the audit log has
                a storage for those two).
        """
        from hf_api_governance._audit.crosscheck import EVENT_HASH, EVENT_SEQ, event_hash
        from hf_api_governance._audit.log import DEFAULT_SEAL_EVERY, AuditLog

        def build(connection: StoreConnection, lock: StoreLock) -> AuditLog:
            return AuditLog(
                connection,
                key,
                clock=self._clock,
                seal_every=seal_every or DEFAULT_SEAL_EVERY,
                lock=lock,
            )

        log = self._store.share(build)
        previous = self._on_event

        def record(conn: StoreConnection, event: Event) -> None:
            if previous is not None:
                previous(conn, event)
            evidence = dict(thaw(event.evidence))
            if event.reason:
                evidence["reason"] = event.reason
            evidence[EVENT_SEQ] = event.seq
            evidence[EVENT_HASH] = event_hash(event)
            log.append(
                actor=event.actor,
                action=event.kind.value,
                integration_id=event.integration_id,
                clause=event.clause,
                evidence=evidence,
                within_transaction=True,
            )

        self._on_event = record
        self._audit = log
        auditing.mark_if_new(self._store, log, self._clock)
        return log

    def _write(self, body: Callable[[StoreSession], _T], *, guard: bool = True) -> _T:
        """Run ``body`` in a write transaction (:func:`retrying`) that starts with the audit guard.

        The guard (:func:`auditing.guard`) runs again on every attempt, in
        the attempt's own transaction. ``guard=False`` only for a write that
        is always rolled back (a dry run).
        """

        def guarded(tx: StoreSession) -> _T:
            if guard:
                auditing.guard(tx, self._audit, self._clock, self._store.location)
            return body(tx)

        if self._audit is not None:
            # Deferred call records first: the chain keeps the order things happened
            # in (the calls before the revocation or suspension they revealed).
            self._audit.flush()
        return retrying(self._store, guarded)

    # ------------------------------------------------------------ audit: verification

    def verify_audit(
        self,
        checkpoint: Checkpoint | SignedCheckpoint | None = None,
        *,
        public_key: bytes | str | None = None,
    ) -> VerificationReport:
        """Verify the audit log and cross-check it with the registry, in one snapshot.

        First the log alone, as :meth:`AuditLog.verify` (chain,
        authenticators, head, checkpoint). Then the registry and the log
        vouch for each other: every event must have an audit entry that
        records it unchanged (:attr:`~VerificationProblem.EVENT_UNAUDITED`,
        :attr:`~VerificationProblem.EVENT_REWRITTEN`), every entry that
        records an event must find it at its position
        (:attr:`~VerificationProblem.EVENT_DELETED`), and a log that records
        events needs the registry's audit mark under its key
        (:attr:`~VerificationProblem.AUDIT_MARK_INVALID`). An empty or missing
        log for a registry that holds events fails.

        Two ways to call it:

        * with the audit key (after :meth:`attach_audit`): everything is
          authenticated; ``checkpoint`` may be either kind, and a signed one
          is checked with ``public_key``, by default the log's own;
        * without it, as an auditor holding no secret: give a
          :class:`SignedCheckpoint` and the log's ``public_key`` (PEM,
          ``hf-gov audit public-key``). Entries up to the checkpoint are
          proven to be those the key holder signed for; later ones are only
          hash-chained (the report's message says so).

        Args:
            checkpoint: A checkpoint kept elsewhere, if any.
            public_key: The PEM public key of signed checkpoints.

        Returns:
            The report; :attr:`VerificationReport.mismatches` lists the
            cross-check problems with their positions (registry and log).

        Raises:
            AuditError: No audit key and no signed checkpoint with its public
                key; or the database cannot be read.
            ValidationError: ``checkpoint`` or ``public_key`` is invalid.
        """
        return auditing.verify(self._store, self._audit, checkpoint, public_key)

    def adopt_audit(self, *, actor: str, reason: str) -> int:
        """Record, once, the events the audit log does not cover: start auditing an old registry.

        A registry used without an audit key has events that no audit entry
        records, and :meth:`verify_audit` reports each of them. Adoption
        appends one ``audit_adopted`` entry (who, why, how many) and one entry
        per uncovered event (its kind as the action, its position and hash,
        ``"adopted": true``), and marks the registry as audited, all in one
        transaction. From then on the events are covered like any other.

        Adoption vouches for history nobody can check any more, so it is
        refused when anything else is wrong (a broken chain, a deleted or
        rewritten event: investigate those, do not adopt them), when there is
        nothing to adopt, and when the log already holds an adoption (events
        recorded without the key after that are tampering, not history).

        Args:
            actor: Who vouches for the history (clause 1.5).
            reason: Why, in words (recorded).

        Returns:
            The number of events adopted.

        Raises:
            AuditError: No audit log is attached, or adoption is refused (the
                message says why); nothing was written.
            ValidationError: ``actor`` or ``reason`` is invalid.
        """
        log = self._audit
        if log is None:
            raise AuditError("adoption needs the audit key: attach_audit() first")
        check_reason(reason)
        if not reason:
            raise ValidationError("reason", "say why the history is adopted")
        return auditing.adopt(self._store, log, self._clock, actor=actor, reason=reason)

    # ------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Close the database; later calls raise StoreError.

        The attached audit log's deferred entries are written first.
        """
        try:
            if self._audit is not None:
                self._audit.close()  # flushes; the connection is the store's
        finally:
            self._integrations.clear()
            self._revoked = None
            self._store.close()

    def __repr__(self) -> str:
        return f"Registry({self._store.location!r})"

    # ------------------------------------------------------------ reads

    def get(self, integration_id: str) -> Integration:
        """Return an integration with its current state and full history.

        Always current: a change committed by any process, this one or
        another, is seen by the next call. While nothing at all was committed
        since the last read of this integration, that read is returned again
        at the cost of one ``PRAGMA data_version`` (the governed client reads
        the integration before every request).

        Raises:
            IntegrationNotFound: No integration has that id.
            StoreError: The database cannot be read or is inconsistent.
        """
        return self._get(integration_id, self._store.version())

    def get_for_call(self, integration_id: str) -> tuple[Integration, frozenset[str]]:
        """Return an integration and those of its credential entries that were revoked.

        The same as :meth:`get` and :meth:`is_credential_revoked` for each of
        :attr:`Integration.credential_entries`, read at one instant with one
        freshness check: what the governed client needs before every request.

        Raises:
            IntegrationNotFound: No integration has that id.
            StoreError: The database cannot be read or is inconsistent.
        """
        version = self._store.version()
        integration = self._get(integration_id, version)
        revoked = self._revoked_names(version)
        return integration, frozenset(n for n in integration.credential_entries if n in revoked)

    # What was read is kept with the store version it was read at, and returned
    # again while the version is unchanged (nothing committed since, anywhere).
    # The version is taken *before* reading: what is kept is at least as new as
    # its version, so it is never returned after a later commit.

    def _get(self, integration_id: str, version: Hashable | None) -> Integration:
        if version is not None:
            kept = self._integrations.get(integration_id)
            if kept is not None and kept[0] == version:
                return kept[1]
        with self._store.read() as tx:
            found = tx.get(integration_id, with_history=True)
        if found is None:
            raise IntegrationNotFound(integration_id)
        if version is not None:
            self._integrations[integration_id] = (version, found)
        return found

    def _revoked_names(self, version: Hashable | None) -> frozenset[str]:
        kept = self._revoked
        if version is not None and kept is not None and kept[0] == version:
            return kept[1]
        with self._store.read() as tx:
            revoked = tx.revoked()
        if version is not None:
            self._revoked = (version, revoked)
        return revoked

    def integrations(
        self,
        *,
        service: Service | None = None,
        kind: ApiKind | None = None,
        state: IntegrationState | None = None,
        with_history: bool = True,
    ) -> list[Integration]:
        """Return the integrations matching every given filter, ordered by id.

        Args:
            service: Only this Human Factors service.
            kind: Only Mimecast APIs or only third-party APIs.
            state: Only this lifecycle state.
            with_history: Attach each history (checked against the state);
                ``False`` is faster when only current values are needed.

        Raises:
            StoreError: The database cannot be read or is inconsistent.
        """
        with self._store.read() as tx:
            return tx.select(service=service, kind=kind, state=state, with_history=with_history)

    def history(self, integration_id: str) -> tuple[Event, ...]:
        """Return the events of an integration, oldest first.

        Raises:
            IntegrationNotFound: No integration has that id.
        """
        with self._store.read() as tx:
            if tx.get(integration_id, with_history=False) is None:
                raise IntegrationNotFound(integration_id)
            return tx.history(integration_id)

    def is_credential_revoked(self, entry_name: str) -> bool:
        """Whether a keystore entry name's credential was revoked (never send it again).

        Always current, like :meth:`get`.
        """
        return entry_name in self._revoked_names(self._store.version())

    def revoked_credentials(self) -> frozenset[str]:
        """Every keystore entry name recorded as revoked."""
        with self._store.read() as tx:
            return tx.revoked()

    # ------------------------------------------------------------ writes: helpers

    def _emit(
        self,
        tx: StoreSession,
        integration_id: str,
        kind: EventKind,
        *,
        actor: str,
        reason: str,
        clause: str | None = None,
        evidence: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> Event:
        event = tx.append(
            Event(
                integration_id,
                kind,
                at if at is not None else self._clock.now(),
                actor,
                _safe_reason(reason),
                clause if clause is not None else CLAUSES[kind],
                scrub(evidence),
            )
        )
        if self._on_event is not None and not self._quiet:
            self._on_event(tx.connection, event)
        return event

    def _current(self, tx: StoreSession, integration_id: str) -> Integration:
        found = tx.get(integration_id, with_history=False)
        if found is None:
            raise IntegrationNotFound(integration_id)
        return found

    def _change(
        self,
        integration_id: str,
        kind: EventKind,
        *,
        actor: str,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        change: Callable[[StoreSession, Integration], Integration] | None = None,
        after: Callable[[StoreSession, Integration, Event], None] | None = None,
    ) -> Integration:
        """One transaction: check the transition, apply ``change``, save, record one event."""

        def body(tx: StoreSession) -> Integration | None:
            current = self._current(tx, integration_id)
            state = next_state(current.state, kind, integration_id)
            changed = change(tx, current) if change is not None else current
            tx.save(attrs.evolve(changed, state=state))
            event = self._emit(
                tx, integration_id, kind, actor=actor, reason=reason, evidence=evidence
            )
            if after is not None:
                after(tx, changed, event)
            return tx.get(integration_id, with_history=True)

        result = self._write(body)
        assert result is not None  # noqa: S101 - just written
        return result

    @staticmethod
    def _refuse_revoked(tx: StoreSession, names: Iterable[str], field: str) -> None:
        for name in names:
            if tx.is_revoked(name):
                raise ValidationError(
                    field,
                    f"keystore entry {name!r} holds a revoked credential (clause 1.1.1); "
                    "store a new credential under a new entry name",
                )

    # ------------------------------------------------------------ writes

    def register(self, integration: Integration, *, actor: str, reason: str = "") -> Integration:
        """Register a new integration (state PENDING) from its declaration.

        ``integration.state`` and ``integration.history`` are ignored.

        Raises:
            IllegalTransition: An integration with that id is already registered.
            ValidationError: It names a revoked credential entry.
        """

        def body(tx: StoreSession) -> Integration | None:
            self._register(tx, integration, actor=actor, reason=reason)
            return tx.get(integration.id, with_history=True)

        result = self._write(body)
        assert result is not None  # noqa: S101 - just written
        return result

    def _register(
        self, tx: StoreSession, integration: Integration, *, actor: str, reason: str
    ) -> None:
        existing = tx.get(integration.id, with_history=False)
        state = next_state(
            None if existing is None else existing.state, _K.REGISTERED, integration.id
        )
        self._refuse_revoked(tx, integration.credential_entries, "credential")
        tx.insert(attrs.evolve(integration.declared(), state=state))
        self._emit(tx, integration.id, _K.REGISTERED, actor=actor, reason=reason)

    def update(self, integration: Integration, *, actor: str, reason: str = "") -> Integration:
        """Replace the declared fields of a registered integration (one UPDATED event).

        Licences are changed with :meth:`add_licence` and :meth:`remove_licence`;
        ``state`` and ``history`` are ignored. An update that changes nothing
        records nothing.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``licences`` differ from the stored ones, or it
                names a revoked credential entry it did not use before.
        """

        def body(tx: StoreSession) -> Integration | None:
            self._update(tx, integration, actor=actor, reason=reason, allow_licences=False)
            return tx.get(integration.id, with_history=True)

        result = self._write(body)
        assert result is not None  # noqa: S101 - just read
        return result

    def _update(
        self,
        tx: StoreSession,
        integration: Integration,
        *,
        actor: str,
        reason: str,
        allow_licences: bool,
    ) -> bool:
        current = self._current(tx, integration.id)
        fields = _changed_fields(current, integration)
        removed, added = _licence_diff(current.licences, integration.licences)
        if (removed or added) and not allow_licences:
            raise ValidationError(
                "licences", "are changed with add_licence() and remove_licence(), not update()"
            )
        if not (fields or removed or added):
            return False
        new_names = [
            n for n in integration.credential_entries if n not in current.credential_entries
        ]
        self._refuse_revoked(tx, new_names, "credential")
        state = current.state
        if fields:
            state = next_state(state, _K.UPDATED, integration.id)
        licences = list(current.licences)
        for lic in removed:
            state = next_state(state, _K.LICENCE_REMOVED, integration.id)
            licences.remove(lic)
        for lic in added:
            state = next_state(state, _K.LICENCE_ADDED, integration.id)
            licences.append(lic)
        tx.save(attrs.evolve(integration.declared(), licences=tuple(licences), state=current.state))
        if fields:
            self._emit(
                tx,
                integration.id,
                _K.UPDATED,
                actor=actor,
                reason=reason,
                evidence={"fields": fields},
            )
        for lic in removed:
            self._emit(
                tx,
                integration.id,
                _K.LICENCE_REMOVED,
                actor=actor,
                reason=reason,
                evidence=_licence_evidence(lic),
            )
        for lic in added:
            self._emit(
                tx,
                integration.id,
                _K.LICENCE_ADDED,
                actor=actor,
                reason=reason,
                evidence=_licence_evidence(lic),
            )
        return True

    def add_licence(
        self, integration_id: str, licence: Licence, *, actor: str, reason: str = ""
    ) -> Integration:
        """Add a licence to an integration (clause 1.1.2).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``licence`` is not a Licence.
        """
        if not isinstance(licence, Licence):
            raise ValidationError("licence", f"must be a Licence, got {type(licence).__name__}")
        return self._change(
            integration_id,
            _K.LICENCE_ADDED,
            actor=actor,
            reason=reason,
            evidence=_licence_evidence(licence),
            change=lambda _tx, cur: attrs.evolve(cur, licences=(*cur.licences, licence)),
        )

    def remove_licence(
        self, integration_id: str, licence: Licence, *, actor: str, reason: str = ""
    ) -> Integration:
        """Remove one licence (equal to ``licence``) from an integration.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: The integration has no such licence.
        """

        def change(_tx: StoreSession, current: Integration) -> Integration:
            if licence not in current.licences:
                raise ValidationError(
                    "licence", f"integration {integration_id!r} has no such licence"
                )
            licences = list(current.licences)
            licences.remove(licence)
            return attrs.evolve(current, licences=tuple(licences))

        return self._change(
            integration_id,
            _K.LICENCE_REMOVED,
            actor=actor,
            reason=reason,
            evidence=_licence_evidence(licence) if isinstance(licence, Licence) else None,
            change=change,
        )

    def verify_info(
        self, integration_id: str, *, actor: str, at: datetime | None = None
    ) -> Integration:
        """Record that the enablement information was confirmed correct and current (clause 1.1).

        Args:
            integration_id: The integration.
            actor: Who confirmed it.
            at: When it was confirmed (aware; default now). Not in the future.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: ``at`` is naive or in the future.
        """
        now = self._clock.now()
        when = now if at is None else ensure_aware(at, "at")
        if when > now:
            raise ValidationError("at", "a verification cannot be in the future")
        return self._change(
            integration_id,
            _K.INFO_VERIFIED,
            actor=actor,
            reason="enablement information verified",
            evidence={"verified_at": when},
            change=lambda _tx, cur: attrs.evolve(cur, info_verified_at=when),
        )

    def activate(self, integration_id: str, *, actor: str, reason: str = "") -> Integration:
        """Move a PENDING integration to ACTIVE.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not PENDING.
        """
        return self._change(integration_id, _K.ACTIVATED, actor=actor, reason=reason)

    def revoke(
        self,
        integration_id: str,
        *,
        by: Revoker,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
    ) -> Integration:
        """Record that API access was revoked (clause 1.1.1); its credentials are dead.

        Every credential entry name of the integration is recorded as revoked
        (:meth:`is_credential_revoked`), so it is never sent again.

        Args:
            integration_id: The integration.
            by: Who revoked it (Mimecast may do so at any time, without notice).
            reason: Why, in words.
            evidence: Secret-free facts (scrubbed); ``revoker`` is added.
            actor: Who records it (default ``by.value``).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is already REVOKED or RETIRED.
            ValidationError: ``by`` is not a :class:`Revoker` (or its value),
                or ``reason`` is not text.
        """
        revoker = as_enum(Revoker, "by", by)
        check_reason(reason)

        def body(tx: StoreSession) -> Integration | None:
            self._revoke(tx, integration_id, revoker, reason, evidence, actor)
            return tx.get(integration_id, with_history=True)

        result = self._write(body)
        assert result is not None  # noqa: S101 - just written
        return result

    def _revoke(
        self,
        tx: StoreSession,
        integration_id: str,
        by: Revoker,
        reason: str,
        evidence: Mapping[str, Any] | None,
        actor: str | None,
    ) -> None:
        current = self._current(tx, integration_id)
        state = next_state(current.state, _K.REVOKED, integration_id)
        tx.save(attrs.evolve(current, state=state))
        event = self._emit(
            tx,
            integration_id,
            _K.REVOKED,
            actor=actor or by.value,
            reason=reason,
            evidence={**scrub(evidence), "revoker": by.value},
        )
        assert event.seq is not None  # noqa: S101 - stored events have a seq
        tx.mark_revoked(
            current.credential_entries, integration_id=integration_id, seq=event.seq, at=event.at
        )

    def revoke_all(
        self,
        *,
        by: Revoker = Revoker.MIMECAST,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str | None = None,
        service: Service | None = None,
    ) -> list[str]:
        """Revoke every live integration (of one service, if given) in one transaction.

        Integrations already REVOKED or RETIRED are skipped.

        Returns:
            The ids revoked, sorted.

        Raises:
            ValidationError: ``by`` is not a :class:`Revoker`, ``service`` not
                a :class:`Service` (or their values), or ``reason`` is not text.
        """
        revoker = as_enum(Revoker, "by", by)
        check_reason(reason)
        if service is not None:
            service = as_enum(Service, "service", service)

        def body(tx: StoreSession) -> list[str]:
            revoked: list[str] = []
            for ident, state, svc in tx.ids():
                if state in (_S.REVOKED, _S.RETIRED) or (
                    service is not None and svc is not service
                ):
                    continue
                self._revoke(tx, ident, revoker, reason, evidence, actor)
                revoked.append(ident)
            return revoked

        return self._write(body)

    def suspend(
        self,
        integration_id: str,
        *,
        cause: SuspensionCause,
        reason: str,
        evidence: Mapping[str, Any] | None = None,
        actor: str,
    ) -> Integration:
        """Suspend interoperability with an ACTIVE integration's API (clause 1.1.2).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not ACTIVE.
            ValidationError: ``cause`` is not a :class:`SuspensionCause` (or
                its value), or ``reason`` is not text.
        """
        why = as_enum(SuspensionCause, "cause", cause)
        check_reason(reason)
        return self._change(
            integration_id,
            _K.SUSPENDED,
            actor=actor,
            reason=reason,
            evidence={**scrub(evidence), "cause": why.value},
        )

    def reinstate(self, integration_id: str, *, reason: str, actor: str) -> Integration:
        """Lift a suspension: SUSPENDED back to ACTIVE.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is not SUSPENDED.
        """
        return self._change(integration_id, _K.REINSTATED, actor=actor, reason=reason)

    def replace_credential(
        self,
        integration_id: str,
        new_name: str | None = None,
        *,
        auth_entries: Mapping[str, str] | None = None,
        actor: str,
        reason: str = "",
    ) -> Integration:
        """Point the integration at new keystore entries; the way out of REVOKED (to ACTIVE).

        ``new_name`` replaces ``credential``; ``auth_entries`` replaces entry
        parameters of the :class:`AuthSpec` (``{"client_secret":
        "okta-secret-2"}``), in the same transaction and event. The
        replacement is refused while any entry the integration would use is
        revoked.

        Args:
            integration_id: The integration.
            new_name: The new ``credential`` entry name, if it changes.
            auth_entries: New entry names by auth parameter, if they change.
            actor: Who replaces it.
            reason: Why, in words.

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
            ValidationError: Neither ``new_name`` nor ``auth_entries`` is
                given; a name is not an entry name, looks like a secret, or is
                itself revoked; a parameter is not an entry parameter of the
                integration's auth scheme (or it has none); or another entry
                it uses is revoked.
        """
        if new_name is not None:
            check_entry_name("credential", new_name)
        new_auth = _auth_entries(auth_entries)
        if new_name is None and not new_auth:
            raise ValidationError("credential", "give the new entry name(s) to use")

        def change(tx: StoreSession, current: Integration) -> Integration:
            self._refuse_revoked(tx, [n for n in [new_name, *new_auth.values()] if n], "credential")
            replaced = current
            if new_name is not None:
                replaced = attrs.evolve(replaced, credential=new_name)
            if new_auth:
                auth = current.auth
                if auth is None:
                    raise ValidationError(
                        "auth", f"integration {integration_id!r} has no auth spec to change"
                    )
                entry_params = AUTH_SCHEMES[auth.scheme][0]
                for param in new_auth:
                    if param not in entry_params:
                        raise ValidationError(
                            f"auth.{param}", f"is not an entry parameter of scheme {auth.scheme}"
                        )
                replaced = attrs.evolve(
                    replaced, auth=AuthSpec(auth.scheme, {**auth.params, **new_auth})
                )
            self._refuse_revoked(tx, replaced.credential_entries, "auth")
            return replaced

        evidence: dict[str, Any] = {}
        if new_name is not None:
            evidence["credential_entry"] = new_name
        if new_auth:
            # A list, not a mapping: a key such as "client_secret" would be redacted.
            evidence["auth_entries"] = [
                {"parameter": param, "entry": name} for param, name in sorted(new_auth.items())
            ]
        return self._change(
            integration_id,
            _K.CREDENTIAL_REPLACED,
            actor=actor,
            reason=reason,
            evidence=evidence,
            change=change,
        )

    def retire(self, integration_id: str, *, actor: str, reason: str = "") -> Integration:
        """Retire an integration for good (final state).

        Raises:
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is already retired.
        """
        return self._change(integration_id, _K.RETIRED, actor=actor, reason=reason)

    def record(
        self,
        integration_id: str,
        kind: EventKind,
        *,
        reason: str,
        actor: str,
        clause: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> Event:
        """Record a fact that does not change the state (a deprecation notice, a signal).

        Args:
            integration_id: The integration.
            kind: ``EventKind.DEPRECATION_NOTICED`` or ``EventKind.SIGNAL_RECORDED``.
            reason: What was seen, in words.
            actor: Who (or which component) saw it.
            clause: The clause it concerns (default by kind).
            evidence: Secret-free facts (scrubbed).

        Returns:
            The stored event, with its ``seq``.

        Raises:
            ValidationError: ``kind`` changes state; use the matching method.
            IntegrationNotFound: No integration has that id.
            IllegalTransition: It is retired.
        """
        if kind not in (_K.DEPRECATION_NOTICED, _K.SIGNAL_RECORDED):
            raise ValidationError(
                "kind", "record() only takes deprecation_noticed or signal_recorded"
            )

        def body(tx: StoreSession) -> Event:
            current = self._current(tx, integration_id)
            next_state(current.state, kind, integration_id)
            return self._emit(
                tx,
                integration_id,
                kind,
                actor=actor,
                reason=reason,
                clause=clause,
                evidence=evidence,
            )

        return self._write(body)

    def sync(
        self, inventory: Iterable[Integration], *, actor: str, dry_run: bool = False
    ) -> SyncReport:
        """Make the registry match an inventory's declarations, in one transaction.

        New ids are registered; for known ids, changed declared fields record
        one UPDATED event and each licence difference one LICENCE_REMOVED or
        LICENCE_ADDED event. An ``info_verified_at`` older than the stored one
        (or absent) never moves the stored one back. Ids in the registry but
        not in the inventory are reported as undeclared, never deleted (retired
        ones are not reported). If anything fails, nothing is written.

        With ``dry_run``, the sync runs exactly as it would (same checks,
        same refusals) inside a transaction that is then rolled back: the
        report says what would change, and nothing is written, not even to
        the audit log.

        Args:
            inventory: Declarations, e.g. from :func:`load_inventory`.
            actor: Who applies it.
            dry_run: Report what would change without writing anything.

        Returns:
            The :class:`SyncReport`.

        Raises:
            ValidationError: Two declarations share an id, or one names a
                revoked credential.
            IllegalTransition: A retired integration would need a change.
        """
        declared = list(inventory)
        seen: set[str] = set()
        for item in declared:
            if not isinstance(item, Integration):
                raise ValidationError(
                    "inventory", f"must hold Integration, got {type(item).__name__}"
                )
            if item.id in seen:
                raise ValidationError("id", f"integration {item.id!r} is declared twice")
            seen.add(item.id)
        reason = "inventory sync"

        def body(tx: StoreSession) -> SyncReport:
            # Set and reset under the store's lock: no other write can emit meanwhile.
            self._quiet = dry_run
            try:
                report = self._sync(tx, declared, seen, actor, reason)
            finally:
                self._quiet = False
            if dry_run:
                raise _DryRun(report)  # rolls the transaction back
            return report

        try:
            return self._write(body, guard=not dry_run)
        except _DryRun as rolled_back:
            return rolled_back.report

    def _sync(
        self,
        tx: StoreSession,
        declared: list[Integration],
        seen: set[str],
        actor: str,
        reason: str,
    ) -> SyncReport:
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        existing = {ident: state for ident, state, _svc in tx.ids()}
        for item in declared:
            if item.id not in existing:
                self._register(tx, item, actor=actor, reason=reason)
                added.append(item.id)
                continue
            current = self._current(tx, item.id)
            if current.info_verified_at is not None and (
                item.info_verified_at is None or item.info_verified_at < current.info_verified_at
            ):
                item = attrs.evolve(item, info_verified_at=current.info_verified_at)
            if self._update(tx, item, actor=actor, reason=reason, allow_licences=True):
                updated.append(item.id)
            else:
                unchanged.append(item.id)
        undeclared = sorted(
            ident
            for ident, state in existing.items()
            if ident not in seen and state is not _S.RETIRED
        )
        return SyncReport(tuple(added), tuple(updated), tuple(unchanged), tuple(undeclared))
