"""The SQLite store: :class:`SQLiteStore`, the registry's storage in one file.

It implements :class:`~hf_api_governance._registry.store.Store`; the registry
knows only that interface.

SQLite layout (schema version :data:`SCHEMA_VERSION`, kept in
``PRAGMA user_version``; ``PRAGMA application_id`` marks the file as ours):

- ``integrations``: one row per integration, declared fields as columns,
  ``enablement`` and ``auth`` as JSON, and the current ``state``;
- ``licences``: the licences of each integration, in order;
- ``events``: the append-only history (``seq INTEGER PRIMARY KEY``); triggers
  refuse ``UPDATE`` and ``DELETE``;
- ``revoked_credentials``: every keystore entry name whose credential was revoked;
- ``audit_mark`` (version 2): one row once the registry is audited
  (:class:`~hf_api_governance._registry.store.AuditMark`); triggers refuse
  ``UPDATE`` and ``DELETE``. Upgrading a version 1 file that already holds an
  audit log (table ``audit_log_head``) marks it with that log's key check.

Every ``sqlite3`` error becomes a :class:`~hf_api_governance.exceptions.StoreError`
naming the database path.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from hf_api_governance._base.checks import check_path, check_timeout
from hf_api_governance._base.construct import trusted
from hf_api_governance._confidential.evidence import freeze_json, thaw
from hf_api_governance._model.lifecycle import replay
from hf_api_governance._model.values import (
    AUTH_SCHEMES,
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
    Service,
)
from hf_api_governance._registry.store import AuditMark
from hf_api_governance.exceptions import GovernanceError, StoreError, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._registry.store import StoreLock, StoreSession

_T = TypeVar("_T")

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

# ------------------------------------------------------------------ SQLite schema

APPLICATION_ID: Final = 0x68664741  # "hfGA"
"""``PRAGMA application_id`` of a registry database."""

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
]
"""The schema steps, oldest first (the DDL of each version)."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this release writes (``PRAGMA user_version``)."""

# ------------------------------------------------------------------ codecs


def _when(value: date | datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def _parse_when(text: str | None) -> date | datetime | None:
    if text is None:
        return None
    if "T" in text:
        return datetime.fromisoformat(text)
    return date.fromisoformat(text)


def _parse_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _json(value: Any) -> str:
    return json.dumps(thaw(value), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


_INTEGRATION_COLUMNS: Final = (
    "id, name, service, kind, vendor, base_url, owner, api_version, credential, "
    "enablement, info_verified_at, auth, state"
)
_LICENCE_COLUMNS: Final = (
    "integration_id, position, grantor, scope, valid_from, valid_until, holder, reference"
)
_EVENT_COLUMNS: Final = "seq, integration_id, kind, at, actor, reason, clause, evidence"


def _integration_row(item: Integration) -> tuple[Any, ...]:
    auth = None if item.auth is None else _json({"scheme": item.auth.scheme, **item.auth.params})
    return (
        item.id,
        item.name,
        item.service.value,
        item.kind.value,
        item.vendor,
        item.base_url,
        item.owner,
        item.api_version,
        item.credential,
        _json(item.enablement),
        _when(item.info_verified_at),
        auth,
        item.state.value,
    )


def _licence_rows(item: Integration) -> list[tuple[Any, ...]]:
    return [
        (
            item.id,
            position,
            lic.grantor,
            lic.scope,
            _when(lic.valid_from),
            _when(lic.valid_until),
            lic.holder,
            lic.reference,
        )
        for position, lic in enumerate(item.licences)
    ]


# Rows were written from validated objects: the read path rebuilds them with
# ``trusted`` (no second validation; listing 10,000 integrations stays fast).
# A row that cannot be decoded, or a state its history does not replay to,
# fails closed with StoreError.

_STATES: Final = {s.value: s for s in IntegrationState}
_KINDS: Final = {k.value: k for k in EventKind}
_SERVICES: Final = {s.value: s for s in Service}
_API_KINDS: Final = {k.value: k for k in ApiKind}


def _licence(row: Sequence[Any]) -> Licence:
    return trusted(
        Licence,
        grantor=row[2],
        scope=row[3],
        valid_from=_parse_when(row[4]),
        valid_until=_parse_when(row[5]),
        holder=row[6],
        reference=row[7],
    )


def _event(row: Sequence[Any]) -> Event:
    return trusted(
        Event,
        integration_id=row[1],
        kind=_KINDS[row[2]],
        at=datetime.fromisoformat(row[3]),
        actor=row[4],
        reason=row[5],
        clause=row[6],
        evidence=_EMPTY if row[7] == "{}" else freeze_json(json.loads(row[7])),
        seq=row[0],
    )


_EMPTY: Final[Mapping[str, Any]] = MappingProxyType({})


def _auth(text: str | None) -> AuthSpec | None:
    if text is None:
        return None
    params = json.loads(text)
    scheme = params.pop("scheme")
    if scheme not in AUTH_SCHEMES:
        raise ValueError("unknown auth scheme")
    return trusted(AuthSpec, scheme=scheme, params=MappingProxyType(params))


def _integration(
    row: Sequence[Any], licences: Sequence[Licence], history: Sequence[Event] | None
) -> Integration:
    state = _STATES[row[12]]
    if history is not None:
        replayed = replay(history)
        if replayed is not state:
            raise StoreError(
                f"integration {row[0]!r} is stored as {state.value} but its history "
                f"replays to {replayed.value if replayed else 'nothing'}: the database "
                "was changed outside the registry"
            )
    return trusted(
        Integration,
        id=row[0],
        name=row[1],
        service=_SERVICES[row[2]],
        kind=_API_KINDS[row[3]],
        vendor=row[4],
        base_url=row[5],
        owner=row[6],
        api_version=row[7],
        credential=row[8],
        licences=tuple(licences),
        enablement=_EMPTY if row[9] == "{}" else freeze_json(json.loads(row[9])),
        info_verified_at=_parse_instant(row[10]),
        auth=_auth(row[11]),
        state=state,
        history=tuple(history or ()),
    )


# ------------------------------------------------------------------ SQLite store


class _SQLiteSession:
    """A :class:`StoreSession` over one sqlite3 connection inside a transaction."""

    __slots__ = ("_conn", "_location")

    def __init__(self, conn: sqlite3.Connection, location: str) -> None:
        self._conn = conn
        self._location = location

    @contextmanager
    def _decoding(self) -> Iterator[None]:
        """Turn a row that cannot be decoded into StoreError (fail closed)."""
        try:
            yield
        except GovernanceError:
            raise
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"registry database {self._location} holds a row that cannot be decoded "
                f"({type(exc).__name__}); it was changed outside the registry or is damaged"
            ) from None

    @property
    def connection(self) -> sqlite3.Connection:
        return self._conn

    def get(self, integration_id: str, *, with_history: bool) -> Integration | None:
        with self._decoding():
            row = self._conn.execute(
                f"SELECT {_INTEGRATION_COLUMNS} FROM integrations WHERE id = ?",  # noqa: S608
                (integration_id,),
            ).fetchone()
            if row is None:
                return None
            licences = [
                _licence(r)
                for r in self._conn.execute(
                    f"SELECT {_LICENCE_COLUMNS} FROM licences "  # noqa: S608
                    "WHERE integration_id = ? ORDER BY position",
                    (integration_id,),
                )
            ]
            history = self.history(integration_id) if with_history else None
            return _integration(row, licences, history)

    def select(
        self,
        *,
        service: Service | None,
        kind: ApiKind | None,
        state: IntegrationState | None,
        with_history: bool,
    ) -> list[Integration]:
        with self._decoding():
            where: list[str] = []
            args: list[str] = []
            for column, value in (("service", service), ("kind", kind), ("state", state)):
                if value is not None:
                    where.append(f"{column} = ?")
                    args.append(value.value)
            condition = " AND ".join(where)
            rows = self._conn.execute(
                f"SELECT {_INTEGRATION_COLUMNS} FROM integrations"  # noqa: S608
                + (f" WHERE {condition}" if where else "")
                + " ORDER BY id",
                args,
            ).fetchall()
            # One query per table, grouped in Python: no N+1.
            subset = (
                f" WHERE integration_id IN (SELECT id FROM integrations WHERE {condition})"  # noqa: S608
                if where
                else ""
            )
            licences: dict[str, list[Licence]] = {}
            for r in self._conn.execute(
                f"SELECT {_LICENCE_COLUMNS} FROM licences{subset} "  # noqa: S608
                "ORDER BY integration_id, position",
                args,
            ):
                licences.setdefault(r[0], []).append(_licence(r))
            events: dict[str, list[Event]] | None = None
            if with_history:
                events = {}
                for r in self._conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM events{subset} ORDER BY seq",  # noqa: S608
                    args,
                ):
                    events.setdefault(r[1], []).append(_event(r))
            return [
                _integration(
                    row,
                    licences.get(row[0], ()),
                    None if events is None else events.get(row[0], []),
                )
                for row in rows
            ]

    def ids(self) -> list[tuple[str, IntegrationState, Service]]:
        with self._decoding():
            return [
                (r[0], IntegrationState(r[1]), Service(r[2]))
                for r in self._conn.execute(
                    "SELECT id, state, service FROM integrations ORDER BY id"
                )
            ]

    def history(self, integration_id: str) -> tuple[Event, ...]:
        with self._decoding():
            return tuple(
                _event(r)
                for r in self._conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM events "  # noqa: S608
                    "WHERE integration_id = ? ORDER BY seq",
                    (integration_id,),
                )
            )

    def insert(self, integration: Integration) -> None:
        self._conn.execute(
            f"INSERT INTO integrations ({_INTEGRATION_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            _integration_row(integration),
        )
        self._insert_licences(integration)

    def save(self, integration: Integration) -> None:
        row = _integration_row(integration)
        self._conn.execute(
            "UPDATE integrations SET name = ?, service = ?, kind = ?, vendor = ?, base_url = ?, "
            "owner = ?, api_version = ?, credential = ?, enablement = ?, info_verified_at = ?, "
            "auth = ?, state = ? WHERE id = ?",
            (*row[1:], row[0]),
        )
        self._conn.execute("DELETE FROM licences WHERE integration_id = ?", (integration.id,))
        self._insert_licences(integration)

    def _insert_licences(self, integration: Integration) -> None:
        self._conn.executemany(
            f"INSERT INTO licences ({_LICENCE_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            _licence_rows(integration),
        )

    def append(self, event: Event) -> Event:
        cursor = self._conn.execute(
            "INSERT INTO events (integration_id, kind, at, actor, reason, clause, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                event.integration_id,
                event.kind.value,
                _when(event.at),
                event.actor,
                event.reason,
                event.clause,
                _json(event.evidence),
            ),
        )
        seq = cursor.lastrowid
        assert seq is not None  # noqa: S101 - an INSERT always sets it
        return Event(
            event.integration_id,
            event.kind,
            event.at,
            event.actor,
            event.reason,
            event.clause,
            event.evidence,
            seq,
        )

    def mark_revoked(
        self, names: Iterable[str], *, integration_id: str, seq: int, at: datetime
    ) -> None:
        self._conn.executemany(
            "INSERT OR IGNORE INTO revoked_credentials (name, integration_id, event_seq, "
            "revoked_at) VALUES (?, ?, ?, ?)",
            [(name, integration_id, seq, _when(at)) for name in names],
        )

    def is_revoked(self, name: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM revoked_credentials WHERE name = ?", (name,)
        ).fetchone()
        return row is not None

    def revoked(self) -> frozenset[str]:
        return frozenset(r[0] for r in self._conn.execute("SELECT name FROM revoked_credentials"))

    def events(self, *, after: int, limit: int) -> list[Event]:
        with self._decoding():
            return [
                _event(r)
                for r in self._conn.execute(
                    f"SELECT {_EVENT_COLUMNS} FROM events "  # noqa: S608
                    "WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, limit),
                )
            ]

    def audit_mark(self) -> AuditMark | None:
        try:
            row = self._conn.execute(
                "SELECT key_check, marked_at FROM audit_mark WHERE id = 1"
            ).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            raise StoreError(
                f"registry database {self._location} has lost its audit_mark table: it was "
                "changed outside the registry (run hf-gov audit verify)"
            ) from None
        if row is None:
            return None
        try:
            return AuditMark(row[0], datetime.fromisoformat(row[1]))
        except (ValidationError, TypeError, ValueError):
            raise StoreError(
                f"registry database {self._location} holds a damaged audit mark: it was "
                "changed outside the registry (run hf-gov audit verify)"
            ) from None

    def set_audit_mark(self, mark: AuditMark) -> None:
        self._conn.execute(
            "INSERT INTO audit_mark (id, key_check, marked_at) VALUES (1, ?, ?)",
            (mark.key_check, _when(mark.at)),
        )


class SQLiteStore:
    """A :class:`Store` in one SQLite file (WAL, foreign keys, busy timeout).

    Use :meth:`open`. Thread-safe: one connection guarded by a lock; several
    processes may open the same file, writers serialise on ``BEGIN IMMEDIATE``.
    """

    __slots__ = ("_conn", "_location", "_lock", "_timeout")

    def __init__(self, conn: sqlite3.Connection, location: str, timeout: float) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._location = location
        self._timeout = timeout
        self._lock = threading.RLock()

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
            if 1 <= version < 2:
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
    def _transaction(self, begin: str) -> Iterator[StoreSession]:
        with self._lock:
            conn = self._connection()
            with self._mapped():
                conn.execute(begin)
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

    def version(self) -> tuple[int, int]:
        """``(PRAGMA data_version, total_changes)``: changes on every commit, ours or not.

        ``data_version`` changes when another connection (another process)
        commits to the file; ``total_changes`` counts the rows this
        connection changed. One cheap statement, no table read.
        """
        with self._lock:  # lean on purpose: the governed client asks before every call
            conn = self._connection()
            try:
                data_version: int = conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error as exc:
                raise _store_error(self._location, exc, self._timeout) from None
            return data_version, conn.total_changes

    def read(self) -> AbstractContextManager[StoreSession]:
        """A consistent read snapshot (a deferred transaction)."""
        return self._transaction("BEGIN")

    def write(self) -> AbstractContextManager[StoreSession]:
        """A write transaction (``BEGIN IMMEDIATE``: writers from every process serialise)."""
        return self._transaction("BEGIN IMMEDIATE")

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
    """Mark a version 1 registry that already holds an audit log (upgrade to version 2).

    Before version 2 nothing stopped a process without the audit key from
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
