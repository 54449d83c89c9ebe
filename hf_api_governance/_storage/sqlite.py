"""The SQLite store: :class:`SQLiteStore`, the registry's storage in one file.

It implements :class:`~hf_api_governance._storage.store.Store`; the registry
knows only that interface.

SQLite layout (schema version :data:`SCHEMA_VERSION`, kept in
``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as ours):

- ``integrations``: one row per integration, declared fields as columns,
  ``enablement``, ``auth`` and ``data_origins`` as JSON, and the current ``state``;
- ``licences``: the licences of each integration, in order;
- ``events``: the append-only history (``seq INTEGER PRIMARY KEY``); triggers
  refuse ``UPDATE`` and ``DELETE``;
- ``revoked_credentials``: every keystore entry name whose credential was revoked;
- ``audit_mark`` (version 3): one row once the registry is audited
  (:class:`~hf_api_governance._storage.store.AuditMark`); triggers refuse
  ``UPDATE`` and ``DELETE``. Upgrading an older file that already holds an
  audit log (table ``audit_log_head``) marks it with that log's key check.
- ``registry_generation`` (version 4): one counter that triggers bump on
  every row written to ``integrations``, ``licences``, ``events`` and
  ``revoked_credentials`` (never by the audit log's tables), so that
  :meth:`SQLiteStore.version` tells registry changes from audit appends.

An older file is migrated when it is opened (each step in one transaction
with the version bump); a newer one is refused.

Every ``sqlite3`` error becomes a :class:`~hf_api_governance.exceptions.StoreError`
naming the database path.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from hf_api_governance._base.checks import check_path, check_timeout
from hf_api_governance._model.values import Event
from hf_api_governance._storage.rows import SQLSession, event_params, stored_event
from hf_api_governance.exceptions import StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._storage.store import StoreLock, StoreSession

_T = TypeVar("_T")

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

# ------------------------------------------------------------------ SQLite schema

APPLICATION_ID: Final = 0x68664741  # "hfGA"
"""``PRAGMA application_id`` of a registry database."""

_BUMP: Final = "UPDATE registry_generation SET generation = generation + 1 WHERE id = 1"

# Each step brings the schema from version i to i + 1. Append, never edit.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE integrations (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            service TEXT NOT NULL,
            kind TEXT NOT NULL,
            vendor TEXT NOT NULL,
            base_url TEXT NOT NULL,
            owner TEXT NOT NULL,
            api_version TEXT,
            credential TEXT,
            enablement TEXT NOT NULL DEFAULT '{}',
            info_verified_at TEXT,
            auth TEXT,
            state TEXT NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX integrations_by_service ON integrations (service, state)",
        """CREATE TABLE licences (
            integration_id TEXT NOT NULL REFERENCES integrations (id),
            position INTEGER NOT NULL,
            grantor TEXT NOT NULL,
            scope TEXT NOT NULL,
            valid_from TEXT NOT NULL,
            valid_until TEXT,
            holder TEXT,
            reference TEXT,
            PRIMARY KEY (integration_id, position)
        ) WITHOUT ROWID""",
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            integration_id TEXT NOT NULL REFERENCES integrations (id),
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT NOT NULL,
            clause TEXT,
            evidence TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX events_by_integration ON events (integration_id, seq)",
        """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END""",
        """CREATE TABLE revoked_credentials (
            name TEXT PRIMARY KEY,
            integration_id TEXT NOT NULL REFERENCES integrations (id),
            event_seq INTEGER NOT NULL REFERENCES events (seq),
            revoked_at TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
    # 2: declared data origins (pre-signed download hosts, never sent a credential)
    ("ALTER TABLE integrations ADD COLUMN data_origins TEXT NOT NULL DEFAULT '[]'",),
    # 3: the audit mark (one row once the registry is audited; permanent)
    (
        """CREATE TABLE audit_mark (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            key_check TEXT NOT NULL,
            marked_at TEXT NOT NULL
        )""",
        """CREATE TRIGGER audit_mark_no_update BEFORE UPDATE ON audit_mark
            BEGIN SELECT RAISE(ABORT, 'the audit mark is permanent'); END""",
        """CREATE TRIGGER audit_mark_no_delete BEFORE DELETE ON audit_mark
            BEGIN SELECT RAISE(ABORT, 'the audit mark is permanent'); END""",
    ),
    # 4: the registry generation, bumped by every change to a registry table (not the audit
    # log's): what version() reads when another connection committed something.
    (
        """CREATE TABLE registry_generation (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            generation INTEGER NOT NULL
        )""",
        "INSERT INTO registry_generation (id, generation) VALUES (1, 0)",
        *(
            f"CREATE TRIGGER {table}_{op.lower()}_generation AFTER {op} ON {table} "
            f"BEGIN {_BUMP}; END"
            for table in ("integrations", "licences", "events", "revoked_credentials")
            for op in ("INSERT", "UPDATE", "DELETE")
        ),
    ),
]
"""The schema steps, oldest first (the DDL of each version)."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this release writes (``PRAGMA user_version``)."""

AUDIT_MARK_VERSION: Final = 3
"""The schema version that added the ``audit_mark`` table."""

# ------------------------------------------------------------------ SQLite store


class _SQLiteSession(SQLSession):
    """A :class:`StoreSession` over one sqlite3 connection inside a transaction."""

    __slots__ = ()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self._conn.execute(sql, params)
        return cursor

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def append(self, event: Event) -> Event:
        cursor = self._conn.execute(
            "INSERT INTO events (integration_id, kind, at, actor, reason, clause, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            event_params(event),
        )
        seq = cursor.lastrowid
        assert seq is not None  # noqa: S101 - an INSERT always sets it
        return stored_event(event, seq)

    def _has_table(self, name: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return row is not None


class SQLiteStore:
    """A :class:`Store` in one SQLite file (WAL, foreign keys, busy timeout).

    Use :meth:`open`. Thread-safe: one connection guarded by a lock; several
    processes may open the same file, writers serialise on ``BEGIN IMMEDIATE``.
    """

    __slots__ = (
        "_conn",
        "_data_version",
        "_generation",
        "_location",
        "_lock",
        "_timeout",
        "_wrote",
    )

    def __init__(self, conn: sqlite3.Connection, location: str, timeout: float) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._location = location
        self._timeout = timeout
        self._lock = threading.RLock()
        # version(): the registry generation, read at data_version, and whether this
        # connection ran a write transaction since (its own commits leave data_version).
        self._data_version: int | None = None
        self._generation: int | None = None
        self._wrote = True

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] = ":memory:", *, timeout: float = 10.0
    ) -> SQLiteStore:
        """Open (creating if needed) and migrate a registry database.

        Args:
            path: A file path, or ``":memory:"`` for a private in-memory database.
            timeout: Seconds to wait for another process's write lock.

        Raises:
            StoreError: The file cannot be opened, is not a registry database,
                has a newer schema, or stays locked beyond ``timeout``.
            ValidationError: ``path`` is not a path, or ``timeout`` not a
                non-negative number of seconds.
        """
        if isinstance(path, bytes) or (
            isinstance(path, os.PathLike) and isinstance(os.fspath(path), bytes)
        ):
            raise StoreError("the registry database path must be text, not bytes")
        location = check_path("path", path)
        timeout = check_timeout("timeout", timeout)
        try:
            conn = sqlite3.connect(
                location, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise _store_error(location, exc, timeout) from None
        store = cls(conn, location, timeout)
        try:
            with store._mapped():
                conn.execute(f"PRAGMA busy_timeout = {max(0, int(timeout * 1000))}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                store._migrate(conn)
        except BaseException:
            conn.close()
            raise
        return store

    @property
    def location(self) -> str:
        """The database path as given."""
        return self._location

    def _migrate(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            app = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app not in (0, APPLICATION_ID):
                raise StoreError(
                    f"registry database {self._location}: not a hf-api-governance registry "
                    f"(application_id {app:#x})"
                )
            if app == 0 and version == 0:
                foreign = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if foreign:
                    raise StoreError(
                        f"registry database {self._location}: the file already holds tables "
                        "of another application; give a new path"
                    )
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"registry database {self._location} has schema version {version}, newer "
                    f"than this hf-api-governance supports ({SCHEMA_VERSION}): upgrade "
                    "hf-api-governance; never open a registry with an older release"
                )
            for step in MIGRATIONS[version:]:
                for statement in step:
                    conn.execute(statement)
            if 1 <= version < AUDIT_MARK_VERSION:
                _mark_audited_file(conn)
            if version != SCHEMA_VERSION or app == 0:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self.read() as session:
            version: int = session.connection.execute("PRAGMA user_version").fetchone()[0]
            return version

    @contextmanager
    def _mapped(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _store_error(self._location, exc, self._timeout) from None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"registry database {self._location} is closed")
        return self._conn

    @contextmanager
    def _transaction(self, begin: str, *, write: bool) -> Iterator[StoreSession]:
        with self._lock:
            conn = self._connection()
            with self._mapped():
                conn.execute(begin)
            try:
                try:
                    with self._mapped():
                        yield _SQLiteSession(conn, self._location)
                except BaseException:
                    _rollback(conn)
                    raise
                try:
                    with self._mapped():
                        conn.execute("COMMIT")
                except BaseException:
                    _rollback(conn)
                    raise
            finally:
                if write:  # committed or not: version() reads the generation again
                    self._wrote = True

    def version(self) -> int | None:
        """The registry generation: changes with every registry change committed by any process.

        Triggers bump the generation (table ``registry_generation``) with
        every row written to a registry table, in the writing transaction;
        the audit log's tables do not. ``PRAGMA data_version`` (one cheap
        statement, no table read) says whether another connection committed
        anything since the last call; only then, or after a write
        transaction of this store, is the generation read again (one row).
        So an audit append, on this connection or by another process, leaves
        the token unchanged, and a registry change committed anywhere
        changes it by the very next call. ``None`` (keep nothing) when the
        generation row is missing: the file was changed outside the registry.
        """
        with self._lock:  # lean on purpose: the governed client asks before every call
            conn = self._connection()
            try:
                data_version: int = conn.execute("PRAGMA data_version").fetchone()[0]
                if self._wrote or data_version != self._data_version:
                    self._wrote = False
                    self._data_version = data_version
                    row = conn.execute(
                        "SELECT generation FROM registry_generation WHERE id = 1"
                    ).fetchone()
                    self._generation = None if row is None else row[0]
            except sqlite3.Error as exc:
                self._data_version = None
                raise _store_error(self._location, exc, self._timeout) from None
            return self._generation

    def read(self) -> AbstractContextManager[StoreSession]:
        """A consistent read snapshot (a deferred transaction)."""
        return self._transaction("BEGIN", write=False)

    def write(self) -> AbstractContextManager[StoreSession]:
        """A write transaction (``BEGIN IMMEDIATE``: writers from every process serialise)."""
        return self._transaction("BEGIN IMMEDIATE", write=True)

    def share(self, build: Callable[[sqlite3.Connection, StoreLock], _T]) -> _T:
        """Build a participant in this store's transactions on its connection, with its lock.

        For the audit log, which must write in the registry's transactions:
        ``build(connection, lock)`` runs under the store's lock and receives
        this store's connection and that (reentrant) lock, to hold around
        each use of the connection.

        Raises:
            StoreError: The store is closed.
        """
        with self._lock:
            conn = self._connection()
            with self._mapped():
                return build(conn, self._lock)

    def close(self) -> None:
        """Close the connection; idempotent."""
        with self._lock:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                with self._mapped():
                    conn.close()

    def __repr__(self) -> str:
        return f"SQLiteStore({self._location!r})"


def _mark_audited_file(conn: sqlite3.Connection) -> None:
    """Mark an older registry that already holds an audit log (upgrade to version 3).

    Before version 3 nothing stopped a process without the audit key from
    changing an audited registry; from now on the mark does. The mark takes
    the key check from the log's head record (see :mod:`hf_api_governance._audit.chain`).
    """
    has_log = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log_head'"
    ).fetchone()
    if has_log is None:
        return
    conn.execute(
        "INSERT INTO audit_mark (id, key_check, marked_at) "
        "SELECT 1, lower(hex(key_check)), ? FROM audit_log_head "
        "WHERE id = 1 AND typeof(key_check) = 'blob' AND length(key_check) = 32",
        (datetime.now(UTC).isoformat(),),
    )


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the connection is unusable anyway
            conn.execute("ROLLBACK")


def _store_error(location: str, exc: sqlite3.Error, timeout: float) -> StoreError:
    message = str(exc)
    if "locked" in message or "busy" in message:
        problem = f"is locked by another process (gave up after {timeout:g} s)"
    elif "not a database" in message or "malformed" in message:
        problem = f"is not a registry database or is damaged ({message})"
    elif "unable to open" in message:
        problem = "cannot be opened (missing directory, a directory, or no permission)"
    elif "readonly" in message:
        problem = f"cannot be written ({message})"
    else:
        problem = f"failed: {message}"
    return StoreError(f"registry database {location} {problem}")
