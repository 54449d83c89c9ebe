"""The registry: every API integration, its licences, its state and its history.

The registry owns state (DESIGN.md section 3). Every change goes through the
lifecycle state machine (:func:`~hf_api_governance._model.lifecycle.next_state`), is one
transaction, and records one :class:`~hf_api_governance.Event` per change with
the time from the clock, the actor, the reason, the contract clause and
secret-free evidence. The stored state always equals the state replayed from
the history; reading checks it and fails closed when it does not.

The registry reaches storage only through the
:class:`~hf_api_governance._storage.store.Store` protocol; it never names a
concrete store.

:class:`Registry` is one public class built from cohesive parts:

- this module: opening, reads (what is kept between calls and the freshness
  check), the audit binding's entry points, closing;
- :mod:`~hf_api_governance._registry.changes`: the transaction discipline
  of every change (check the transition, save, emit the events, read back)
  and the lifecycle transitions;
- :mod:`~hf_api_governance._registry.declarations`: register, update and
  sync (declarations from an inventory);
- :mod:`~hf_api_governance._registry.history`: how a read catches up with
  only the newer events;
- :mod:`~hf_api_governance._registry.auditing`: the audit mark checked by
  every write, the cross-check, adoption.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import TYPE_CHECKING, Final

import attrs

from hf_api_governance._base.clock import Clock, SystemClock
from hf_api_governance._base.closing import Closing
from hf_api_governance._confidential.evidence import thaw
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model import values
from hf_api_governance._model.values import ApiKind, Event, Integration, IntegrationState, Service
from hf_api_governance._registry import auditing, history
from hf_api_governance._registry.changes import OnEvent
from hf_api_governance._registry.declarations import Declarations, SyncReport
from hf_api_governance._storage.store import Store, StoreConnection, StoreLock
from hf_api_governance._storage.stores import open_store
from hf_api_governance.exceptions import AuditError, IntegrationNotFound, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.entries import Checkpoint, VerificationReport
    from hf_api_governance._audit.log import AuditLog
    from hf_api_governance._audit.signing import SignedCheckpoint

__all__ = ["Registry", "SyncReport"]

_NONE_REVOKED: Final[frozenset[str]] = frozenset()


@attrs.define(repr=False)
class Registry(Declarations, Closing):
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
    # The last of each integration read (with the store version it was read at, see _get)
    # or written: returned again while the version holds, else the base of the next read.
    _integrations: history.Kept = attrs.field(factory=dict, init=False)
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
        values.check_reason(reason)
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
        another, is seen by the next call. While no registry change was
        committed since the last read of this integration, that read is
        returned again at the cost of the store's freshness check (on
        SQLite one ``PRAGMA data_version``; audit log appends do not count);
        otherwise only the events newer than what is kept are read, so the
        cost does not grow with the history (the governed client reads the
        integration before every request).

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
        if not revoked:  # the usual case: no entry revoked anywhere
            return integration, _NONE_REVOKED
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
            found = self._read(tx, integration_id)
        self._keep(found, version)
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
