"""The audit log itself: :class:`AuditLog` opens, appends, and writes deferred entries in batches.

What only reads (entries, export, checkpoints, verification) is its
:class:`~hf_api_governance._audit.reading.LogReader` half; the entries kept
in memory for the next batch (:meth:`AuditLog.defer`) wait in
:mod:`hf_api_governance._audit.batch`.

The log is stored in the tables ``audit_log`` (one row per entry) and
``audit_log_head`` (the authenticated head), in SQLite or PostgreSQL, through
the :class:`~hf_api_governance._audit.storage.AuditStorage` port. How entries
are hashed and authenticated is in :mod:`hf_api_governance._audit.chain`; the
values it takes and returns in :mod:`hf_api_governance._audit.entries`;
verification in :mod:`hf_api_governance._audit.verify`. None of that depends
on the database.

The log either owns its connection (:meth:`AuditLog.open`) or borrows one,
with the lock that serialises its use (the registry's store hands over both,
see :meth:`Registry.attach_audit <hf_api_governance.Registry.attach_audit>`).

Checkpoints come in two kinds: HMAC (:meth:`AuditLog.checkpoint`, checked
with the key) and Ed25519 (:meth:`AuditLog.signed_checkpoint`, checked with
the public key only, by :func:`verify_without_key`, in
:mod:`hf_api_governance._audit.verify`; see
:mod:`hf_api_governance._audit.signing`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

from hf_api_governance._audit.batch import (
    DEFAULT_BATCH_INTERVAL,
    DEFAULT_BATCH_SIZE,
    Deferred,
    Pending,
    check_batching,
    forget,
    watch,
)
from hf_api_governance._audit.chain import FORMAT, Head, Tags
from hf_api_governance._audit.entries import (
    _DRAFT_KEYS,
    AuditEntry,
    Checkpoint,
    _deferred_draft,
    _Draft,
    _draft,
    _trusted_entry,
    _v_action,
    format_at,
)
from hf_api_governance._audit.reading import LogReader
from hf_api_governance._audit.signing import (
    SignedCheckpoint,
)
from hf_api_governance._audit.storage import AuditStorage, Row, open_sqlite
from hf_api_governance._audit.storages import storage_for
from hf_api_governance._audit.verify import verify_without_key
from hf_api_governance._base.checks import (
    check_optional_text,
    check_path,
    check_text,
    check_timeout,
)
from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._storage.store import WRITE_ATTEMPTS, is_database_url
from hf_api_governance.exceptions import AuditError, StoreError, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._storage.postgres import PostgresConnection

from hf_api_governance._base.closing import Closing

# Checkpoint is listed too: checkpoint() returns it, verify() takes it, and
# hf_api_governance._cli imports it from here.
__all__ = ["DEFAULT_SEAL_EVERY", "AuditLog", "Checkpoint", "SignedCheckpoint", "verify_without_key"]

DEFAULT_SEAL_EVERY: Final = 256
"""Entry authenticator period of a new log (see :class:`AuditLog`)."""


_NAME_TYPES: Final = (str, type(None))
_CHECKED_NAMES_MAX: Final = 256
"""At most this many checked (actor, action, integration_id) triples are remembered."""


class AuditLog(LogReader, Closing):
    """The append-only, hash-chained, HMAC-authenticated audit log (SQLite or PostgreSQL).

    Two ways to get one:

    * ``AuditLog.open(path, key)`` opens (creating if needed) a database file
      with its own connection: WAL journal, ``synchronous=FULL``, a busy
      timeout; every append is its own ``BEGIN IMMEDIATE`` ... ``COMMIT``.
      ``AuditLog.open("postgresql://...", key)`` opens the log of a
      PostgreSQL registry database (creating the registry's schema if
      needed). Close it with :meth:`close` or use it as a context manager.
    * ``AuditLog(connection, key)`` uses a :class:`sqlite3.Connection` you own
      (the registry's), or the connection a PostgreSQL registry store shares
      (:meth:`Registry.attach_audit
      <hf_api_governance.Registry.attach_audit>` does this for you). It
      creates the tables if missing
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
    transaction, and ``seq`` is the table's primary key, so several
    processes appending at once produce one unbroken chain, and a process
    killed mid-append leaves the log as it was before that append. On
    PostgreSQL the transaction takes the writers' advisory lock (as registry
    writes do) and reads the head ``FOR UPDATE``; an append in its own
    transaction that fails transiently (a lost connection, a serialisation
    failure) runs again, a bounded number of times.
    An :class:`AuditLog` serialises its own calls with a lock (``lock``, or
    one of its own); the connection rules of :mod:`sqlite3` still apply to a
    borrowed connection.

    Args:
        connection: An open SQLite connection, or a PostgreSQL registry
            store's connection (from ``Store.share``).
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
        connection: sqlite3.Connection | PostgresConnection,
        key: bytes | Secret,
        *,
        clock: Clock | None = None,
        seal_every: int = DEFAULT_SEAL_EVERY,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        storage = storage_for(connection)
        raw = key.reveal_bytes() if isinstance(key, Secret) else key
        if not isinstance(raw, bytes) or len(raw) < 32:
            raise ValidationError("key", "must be at least 32 bytes (or a Secret holding them)")
        if not isinstance(seal_every, int) or isinstance(seal_every, bool) or seal_every < 1:
            raise ValidationError("seal_every", "must be an integer >= 1")
        if clock is not None and not isinstance(clock, Clock):
            raise ValidationError("clock", "must have a now() method returning a datetime")
        if lock is not None and not isinstance(lock, AbstractContextManager):
            raise ValidationError("lock", "must be a lock such as threading.RLock()")
        self._storage: AuditStorage = storage
        self._tags = Tags(raw)
        del raw
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._seal_every = seal_every
        self._closer: Callable[[], None] | None = None
        self._lock: AbstractContextManager[Any] = lock if lock is not None else threading.RLock()
        self._pending = Pending(DEFAULT_BATCH_INTERVAL, DEFAULT_BATCH_SIZE)
        # (actor, action, integration_id) triples defer() has checked already.
        self._checked_names: set[tuple[str, str, str | None]] = set()
        with self._lock:
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
        """Open (or create) the audit log in the SQLite database at ``path``, or in PostgreSQL.

        Args:
            path: The database file (the registry's, by default), or a
                PostgreSQL registry's ``postgresql://`` URL.
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
        if is_database_url(path):
            assert isinstance(path, str)  # noqa: S101 - is_database_url
            return cls._open_server(path, key, clock, seal_every, timeout)
        where = check_path("path", path)
        conn = open_sqlite(where, check_timeout("timeout", timeout))
        try:
            log = cls(conn, key, clock=clock, seal_every=seal_every)
        except sqlite3.Error as exc:
            conn.close()
            raise AuditError(f"cannot set up audit database {where!r}: {exc}") from exc
        except BaseException:
            conn.close()
            raise
        log._closer = conn.close
        return log

    @classmethod
    def _open_server(
        cls,
        url: str,
        key: bytes | Secret,
        clock: Clock | None,
        seal_every: int,
        timeout: float,
    ) -> AuditLog:
        """The log of a PostgreSQL registry database, on a store of its own."""
        from hf_api_governance._storage.postgres import PostgresStore

        try:
            store = PostgresStore.open(url, timeout=timeout, listen=False)
        except StoreError as exc:
            raise AuditError(f"cannot open the audit log: {exc}") from None
        try:
            log = store.share(
                lambda connection, lock: cls(
                    connection, key, clock=clock, seal_every=seal_every, lock=lock
                )
            )
        except BaseException:
            store.close()
            raise
        log._closer = store.close
        return log

    @staticmethod
    def ensure_schema(connection: sqlite3.Connection | PostgresConnection) -> None:
        """Create the ``audit_log`` and ``audit_log_head`` tables if missing.

        Idempotent; inside the caller's transaction if one is open. On
        PostgreSQL the registry's schema holds them: this only checks.

        Raises:
            AuditError: The database refused, or (PostgreSQL) the tables are missing.
            ValidationError: ``connection`` is not a supported connection.
        """
        storage = storage_for(connection)
        try:
            storage.ensure_schema()
        except storage.errors as exc:
            raise AuditError(f"cannot create the audit_log tables: {storage.message(exc)}") from exc

    def close(self) -> None:
        """Write the deferred entries (:meth:`flush`); close the connection if this log opened it.

        Raises:
            AuditError: The deferred records cannot be written (the
                connection is closed all the same; they are lost).
        """
        try:
            self.flush()
        finally:
            self._pending.cancel()
            forget(self)
            if self._closer is not None:
                self._closer()

    def __repr__(self) -> str:
        return f"AuditLog(owns_connection={self._closer is not None})"

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

    def defer(
        self,
        *,
        actor: str,
        action: str,
        integration_id: str | None = None,
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        """Keep an entry in memory, to be written in the next batch (the entry's time is now).

        For high-volume records whose loss in a crash is acceptable within a
        bound (the facade's call records): nothing waits for the database
        here. The deferred entries are written, in the order deferred and
        before anything appended later, in one transaction: by the next
        :meth:`append` or :meth:`append_many` in the log's own transaction,
        by :meth:`flush` (and :meth:`close`), when ``size`` entries wait (in
        the deferring thread), ``interval`` seconds after the first of them (a
        timer thread) and at interpreter exit (see :meth:`set_batching` and
        docs/audit.md, "Batched call records"). A crash loses what waits.

        ``evidence`` is made secret-free when the batch is written: do not
        change the mapping afterwards. Evidence that cannot be recorded then
        is replaced by the reason (the entry is never dropped).

        Raises:
            ValidationError: ``actor``, ``action``, ``integration_id`` or
                ``evidence`` (not a mapping) is invalid.
            AuditError: ``size`` entries were waiting and cannot be written
                (they still wait).
        """
        # A session defers the same few names call after call: checked once (plain str only).
        names = (actor, action, integration_id)
        plain = type(actor) is str and type(action) is str and type(integration_id) in _NAME_TYPES
        if not (plain and names in self._checked_names):
            check_text("actor", actor)
            _v_action(None, None, action)  # type: ignore[arg-type]
            check_optional_text("integration_id", integration_id)
            if plain:
                if len(self._checked_names) >= _CHECKED_NAMES_MAX:
                    self._checked_names.clear()
                self._checked_names.add(names)
        if (
            evidence is not None
            and type(evidence) is not dict
            and not isinstance(evidence, Mapping)
        ):
            raise ValidationError("evidence", f"must be a mapping, got {type(evidence).__name__}")
        clock = self._clock
        at = clock.now() if type(clock) is SystemClock else ensure_aware(clock.now(), "clock.now()")
        if len(self._pending) == 0:
            watch(self)
        if self._pending.add(Deferred(at, actor, action, integration_id, evidence), self._due):
            self.flush()

    def flush(self) -> int:
        """Write every deferred entry now, in one transaction; return how many.

        Does nothing while the connection is inside a transaction of its
        owner (the entries wait for the next write of the log's own).

        Raises:
            AuditError: They cannot be written (they still wait).
        """
        with self._lock:
            if len(self._pending) == 0 or self._storage.in_transaction():
                return 0
            return self._with_deferred([])[1]

    def set_batching(
        self,
        *,
        interval: float = DEFAULT_BATCH_INTERVAL,
        size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        """Bound how long and how many deferred entries wait (see :meth:`defer`).

        Args:
            interval: Seconds after the first deferred entry of a batch at
                which a timer thread writes the batch (default 1.0).
            size: Entries waiting that make :meth:`defer` write them at once,
                in the deferring thread (default 500).

        Raises:
            ValidationError: A bound is invalid.
        """
        self._pending.interval, self._pending.size = check_batching(interval, size)

    def _due(self) -> None:
        """The timer's flush: a failure leaves the entries waiting for the next write."""
        # On failure they wait; the next defer past the size bound, or append, reports it.
        with contextlib.suppress(AuditError):
            self.flush()
        self._pending.rearm(self._due)  # whatever still waits gets a timer of its own

    def _deferred_drafts(self, waiting: list[Deferred]) -> list[_Draft]:
        drafts = []
        for at, actor, action, integration_id, evidence in waiting:
            try:
                draft = _deferred_draft(actor, action, integration_id, evidence, at)
            except ValidationError as exc:
                refused = {"unrecordable_evidence": f"{exc.field}: {exc.problem}"[:500]}
                draft = _deferred_draft(actor, action, integration_id, refused, at)
            drafts.append(draft)
        return drafts

    def _write(self, drafts: list[_Draft], within_transaction: bool) -> list[AuditEntry]:
        """Write ``drafts`` (in the log's own transaction: after the deferred entries)."""
        with self._lock:
            if within_transaction or len(self._pending) == 0:
                return self._attempts(drafts, within_transaction, 0)
            return self._with_deferred(drafts)[0]

    def _with_deferred(self, drafts: list[_Draft]) -> tuple[list[AuditEntry], int]:
        """Write the deferred entries then ``drafts``; return ``drafts``' entries and the count.

        The deferred entries stay in memory until the transaction has committed.
        """
        waiting = self._pending.peek()
        try:
            written = self._attempts(self._deferred_drafts(waiting) + drafts, False, len(waiting))
        except BaseException:
            self._pending.rearm(self._due)
            raise
        self._pending.drop(len(waiting), self._due)
        return written, len(waiting)

    def _attempts(
        self, drafts: list[_Draft], within_transaction: bool, deferred: int
    ) -> list[AuditEntry]:
        storage = self._storage
        with self._lock:
            for attempt in range(1, WRITE_ATTEMPTS + 1):
                try:
                    in_transaction = storage.in_transaction()
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
                    with storage.writing(nested=within_transaction):
                        return self._insert(drafts, deferred)
                except storage.errors as exc:
                    if within_transaction or attempt == WRITE_ATTEMPTS:
                        raise AuditError(
                            f"cannot append to the audit log: {storage.message(exc)}"
                        ) from exc
                    if not storage.is_transient(exc):
                        raise AuditError(
                            f"cannot append to the audit log: {storage.message(exc)}"
                        ) from exc
                delay = min(1.0, 0.02 * 2 ** (attempt - 1))
                time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
            raise AssertionError("unreachable")  # pragma: no cover

    def _insert(self, drafts: list[_Draft], deferred: int) -> list[AuditEntry]:
        """Insert the entries; return those of ``drafts[deferred:]`` (nobody awaits the others)."""
        seq, prev, seal_every, new = self._writable_head()
        sha256 = hashlib.sha256
        rows: list[Row] = []
        entries = []
        for i, draft in enumerate(drafts):
            seq += 1
            at = (
                draft.at if draft.at is not None else ensure_aware(self._clock.now(), "clock.now()")
            )
            body = b"".join(
                (draft.before_at, format_at(at).encode(), draft.before_seq, b"%d}" % seq)
            )
            entry_hash = sha256(prev + body).digest()
            tag = self._tags.entry(seq, entry_hash) if seq % seal_every == 0 else None
            rows.append((seq, body, prev, entry_hash, tag))
            if i >= deferred:
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
        self._storage.insert(rows)
        head_tag = self._tags.head(seal_every, seq, prev)
        if new:
            self._storage.create_head(
                Head(FORMAT, self._tags.key_check, seal_every, seq, prev, head_tag)
            )
        else:
            self._storage.update_head(seq, prev, head_tag)
        return entries
