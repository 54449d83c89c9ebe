"""The PostgreSQL store: :class:`PostgresStore`, one registry shared by many hosts.

It implements :class:`~hf_api_governance._storage.store.Store` with the same
tables and the same meaning as the SQLite store (the queries are shared, see
:mod:`hf_api_governance._storage.rows`), plus what a server shared by many
hosts needs. Driver: psycopg 3 (the ``postgresql`` extra), imported only when
a ``postgresql://`` URL is opened.

Layout (schema ``hf_gov``; version :data:`SCHEMA_VERSION` in ``hf_gov.schema_version``):

- ``integrations``, ``licences``, ``events``, ``revoked_credentials``: as in
  SQLite; ``events.seq`` is ``max(seq) + 1`` under the writers' lock, so
  there are no gaps, as in SQLite;
- ``audit_log`` and ``audit_log_head``: the audit log
  (:mod:`hf_api_governance._audit.postgres`), in the same database so that
  an event and its audit entry commit together;
- ``audit_mark`` (version 3): one row once the registry is audited
  (:class:`~hf_api_governance._storage.store.AuditMark`, text columns);
  triggers refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE``. Upgrading a
  registry whose audit log has a head marks it with that log's key check;
- triggers refuse ``UPDATE``, ``DELETE`` and ``TRUNCATE`` on ``events``,
  ``revoked_credentials`` and ``audit_log`` (and ``DELETE``/``TRUNCATE`` on
  ``audit_log_head``), and send a notification on channel
  :data:`CHANNEL` whenever a registry table changes.

Transactions: a read is ``REPEATABLE READ READ ONLY`` (one snapshot); a write
is ``READ COMMITTED`` and first takes a transaction-level advisory lock, so
writers from every host run one at a time, like SQLite's ``BEGIN
IMMEDIATE``: each sees everything committed before it, events and the audit
chain are appended in order, and nothing is lost. A failure that is safe to
run again (a serialisation failure, a deadlock, a connection lost before
``COMMIT``) is raised as
:class:`~hf_api_governance._storage.store.TransientStoreError`, and the
registry runs the transaction again (bounded). A connection found dead when
a transaction starts is replaced once, silently.

Freshness without a round trip per call (:meth:`PostgresStore.version`): each
store keeps a second connection that listens (``LISTEN``) on :data:`CHANNEL` in a
background thread; every commit that changes a registry table notifies it
(triggers), and the version token changes with each notification, with each
commit made by this process, and with each reconnection of the listener.
While the listener is down (or has not been heard from for
:data:`STALE_AFTER` seconds) the token is ``None``: the registry then reads
the database on every call, failing closed.

Credentials: the URL may hold a password; it never appears in a message,
an exception or :attr:`PostgresStore.location` (every message is scrubbed,
see :func:`~hf_api_governance._storage.store.describe_location`).

Why one module of about 900 lines: the schema (its migrations, triggers and
notifications), the connection handling (reconnect, transient failures) and
the freshness listener all belong to the one :class:`PostgresStore` and
change together with the schema; the SQL shared with SQLite is in
:mod:`~hf_api_governance._storage.rows`.
"""

from __future__ import annotations

import contextlib
import math
import select
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar

from hf_api_governance._base.checks import check_timeout
from hf_api_governance._confidential.redact import REDACTED, redact_text
from hf_api_governance._model.values import Event
from hf_api_governance._storage.rows import SQLSession, event_params, stored_event
from hf_api_governance._storage.store import TransientStoreError, describe_location
from hf_api_governance.exceptions import StoreError, ValidationError

if TYPE_CHECKING:  # pragma: no cover - typing only
    import psycopg

    from hf_api_governance._storage.store import StoreLock, StoreSession

__all__ = [
    "CHANNEL",
    "LOCK_CLASS",
    "MIGRATIONS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "PostgresConnection",
    "PostgresStore",
]

_T = TypeVar("_T")

SCHEMA: Final = "hf_gov"
"""The PostgreSQL schema (namespace) that holds every table of a registry."""

CHANNEL: Final = "hf_gov_changes"
"""The ``LISTEN``/``NOTIFY`` channel told about every committed registry change."""

APPLICATION: Final = "hf-api-governance"
"""``hf_gov.schema_version.application`` of a registry database."""

LOCK_CLASS: Final = 0x68664741  # "hfGA"
"""First key of the advisory locks (second key: 1 writers, 2 migrations)."""

_WRITERS: Final = 1
_MIGRATION: Final = 2

_APPEND_ONLY = ("events", "revoked_credentials", "audit_log")
_NOTIFYING = ("integrations", "licences", "events", "revoked_credentials")

# Each step brings the schema from version i to i + 1. Append, never edit.
MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE schema_version (
            id integer PRIMARY KEY CHECK (id = 1),
            application text NOT NULL,
            version integer NOT NULL
        )""",
        """CREATE TABLE integrations (
            id text PRIMARY KEY,
            name text NOT NULL,
            service text NOT NULL,
            kind text NOT NULL,
            vendor text NOT NULL,
            base_url text NOT NULL,
            owner text NOT NULL,
            api_version text,
            credential text,
            enablement text NOT NULL DEFAULT '{}',
            info_verified_at text,
            auth text,
            state text NOT NULL
        )""",
        "CREATE INDEX integrations_by_service ON integrations (service, state)",
        """CREATE TABLE licences (
            integration_id text NOT NULL REFERENCES integrations (id),
            position integer NOT NULL,
            grantor text NOT NULL,
            scope text NOT NULL,
            valid_from text NOT NULL,
            valid_until text,
            holder text,
            reference text,
            PRIMARY KEY (integration_id, position)
        )""",
        """CREATE TABLE events (
            seq bigint PRIMARY KEY CHECK (seq >= 1),
            integration_id text NOT NULL REFERENCES integrations (id),
            kind text NOT NULL,
            at text NOT NULL,
            actor text NOT NULL,
            reason text NOT NULL,
            clause text,
            evidence text NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX events_by_integration ON events (integration_id, seq)",
        """CREATE TABLE revoked_credentials (
            name text PRIMARY KEY,
            integration_id text NOT NULL REFERENCES integrations (id),
            event_seq bigint NOT NULL REFERENCES events (seq),
            revoked_at text NOT NULL
        )""",
        """CREATE TABLE audit_log (
            seq bigint PRIMARY KEY CHECK (seq >= 1),
            body text NOT NULL,
            prev_hash bytea NOT NULL,
            entry_hash bytea NOT NULL,
            authenticator bytea
        )""",
        """CREATE TABLE audit_log_head (
            id integer PRIMARY KEY CHECK (id = 1),
            format integer NOT NULL,
            key_check bytea NOT NULL,
            seal_every integer NOT NULL,
            seq bigint NOT NULL,
            entry_hash bytea NOT NULL,
            authenticator bytea NOT NULL
        )""",
        """CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
        END $$""",
        """CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('hf_gov_changes', '');
            RETURN NULL;
        END $$""",
        *(
            f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"FOR EACH {'STATEMENT' if op == 'TRUNCATE' else 'ROW'} EXECUTE FUNCTION append_only()"
            for table in _APPEND_ONLY
            for op in ("UPDATE", "DELETE", "TRUNCATE")
        ),
        *(
            f"CREATE TRIGGER audit_log_head_no_{op.lower()} BEFORE {op} ON audit_log_head "
            f"FOR EACH {'STATEMENT' if op == 'TRUNCATE' else 'ROW'} EXECUTE FUNCTION append_only()"
            for op in ("DELETE", "TRUNCATE")
        ),
        *(
            f"CREATE TRIGGER {table}_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION notify_change()"
            for table in _NOTIFYING
        ),
    ),
    # 2: data origins (issue 12): URLs that are governed but never sent a credential.
    ("ALTER TABLE integrations ADD COLUMN data_origins TEXT NOT NULL DEFAULT '[]'",),
    # 3: the audit mark (one row once the registry is audited; permanent).
    (
        """CREATE TABLE audit_mark (
            id integer PRIMARY KEY CHECK (id = 1),
            key_check text NOT NULL,
            marked_at text NOT NULL
        )""",
        """CREATE FUNCTION audit_mark_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit mark is permanent (% refused)', TG_OP;
        END $$""",
        *(
            f"CREATE TRIGGER audit_mark_no_{op.lower()} BEFORE {op} ON audit_mark "
            f"FOR EACH {'STATEMENT' if op == 'TRUNCATE' else 'ROW'} "
            "EXECUTE FUNCTION audit_mark_permanent()"
            for op in ("UPDATE", "DELETE", "TRUNCATE")
        ),
        # A registry audited before the mark existed is marked with its log's key check.
        """INSERT INTO audit_mark (id, key_check, marked_at)
            SELECT 1, encode(key_check, 'hex'),
                to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
            FROM audit_log_head WHERE id = 1 AND length(key_check) = 32""",
    ),
]
"""The schema steps, oldest first (the DDL of each version, run in schema ``hf_gov``)."""

SCHEMA_VERSION: Final = len(MIGRATIONS)
"""The schema version this release writes (``hf_gov.schema_version.version``)."""

HEARTBEAT: Final = 1.0
"""Seconds between two liveness checks (``SELECT 1``) of a quiet listener connection."""

STALE_AFTER: Final = 3.0
"""Seconds without a sign of life after which the listener is taken as down."""

_RETRYABLE_STATES: Final = frozenset({"40001", "40P01"})
"""serialization_failure, deadlock_detected: the server rolled the transaction back."""

_CONNECTION_STATES_PREFIX: Final = ("08", "57P")
"""Connection exceptions and operator intervention (admin shutdown, crash, cannot connect)."""


def _psycopg() -> Any:
    """Import psycopg, or say how to install it."""
    try:
        import psycopg
    except ImportError:
        raise StoreError(
            "a postgresql:// registry needs the PostgreSQL driver: "
            "pip install 'hf-api-governance[postgresql]'"
        ) from None
    return psycopg


# ------------------------------------------------------------------ the connection


class PostgresConnection:
    """The store's one connection, replaced when found broken between transactions.

    The store and the audit log built on it (:meth:`PostgresStore.share`)
    hold this handle, never a bare connection, so that both always use the
    live connection; every use is under the store's lock.

    Args:
        url: The ``postgresql://`` URL (may hold a password: kept here only).
        timeout: Seconds to wait for a connection and for the writers' lock.
    """

    __slots__ = ("_conn", "_secrets", "_settings", "_timeout", "_url", "location")

    def __init__(self, url: str, timeout: float) -> None:
        self._url = url
        self._timeout = timeout
        self._conn: psycopg.Connection[Any] | None = None
        self.location: str = describe_location(url)
        self._secrets = _sensitive_parts(url)
        self._settings: dict[str, Any] = {}

    # -- opening ---------------------------------------------------------------

    def connect(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new connection to the database (the caller owns it).

        Raises:
            StoreError: It cannot be made (scrubbed of credentials).
        """
        pg = _psycopg()
        try:
            params = pg.conninfo.conninfo_to_dict(self._url)
        except pg.Error as exc:
            raise StoreError(
                f"registry database {self.location}: not a valid PostgreSQL URL "
                f"({self.scrub(str(exc).strip())})"
            ) from None
        params.setdefault("application_name", "hf-api-governance")
        params.setdefault("connect_timeout", max(2, round(self._timeout)))
        # The server notices a vanished client, and the client a vanished server.
        params.setdefault("keepalives", 1)
        params.setdefault("keepalives_idle", 10)
        params.setdefault("keepalives_interval", 5)
        params.setdefault("keepalives_count", 3)
        params["client_encoding"] = "UTF8"
        try:
            conn: psycopg.Connection[Any] = pg.connect(**params, autocommit=autocommit)
        except pg.Error as exc:
            raise StoreError(
                f"registry database {self.location} cannot be reached: "
                f"{self.scrub(str(exc).strip())}"
            ) from None
        try:
            conn.execute(f"SET search_path = {SCHEMA}")
            conn.execute(f"SET lock_timeout = {max(1, int(self._timeout * 1000))}")
        except pg.Error as exc:
            conn.close()
            raise self.error(exc) from None
        return conn

    def ensure(self) -> psycopg.Connection[Any]:
        """The live connection, reconnecting when there is none or it broke.

        Only call outside a transaction (a transaction dies with its connection).

        Raises:
            StoreError: No connection can be made.
        """
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            self.discard()
            conn = self._conn = self.connect()
        return conn

    def current(self) -> psycopg.Connection[Any]:
        """The connection in use, inside a transaction (never replaced here).

        Raises:
            StoreError: There is none (closed or lost).
        """
        conn = self._conn
        if conn is None or conn.closed:
            raise StoreError(f"registry database {self.location}: the connection was lost")
        return conn

    def in_transaction(self) -> bool:
        """Whether the connection is inside a transaction (ours or a caller's)."""
        conn = self._conn
        if conn is None or conn.closed:
            return False
        return bool(conn.info.transaction_status != _psycopg().pq.TransactionStatus.IDLE)

    def begin(self, *, write: bool, isolation: str | None = None) -> psycopg.Connection[Any]:
        """Start a transaction; a write transaction also takes the writers' lock.

        A connection found dead by ``BEGIN`` (the server restarted since the
        last transaction) is replaced once: nothing had started.

        Args:
            write: Take the writers' advisory lock (``READ COMMITTED``).
            isolation: For a read, the isolation level (default
                ``REPEATABLE READ READ ONLY``: one snapshot).

        Raises:
            StoreError: The database cannot be reached, or the lock not taken
                within the timeout.
        """
        pg = _psycopg()
        begin = (
            "BEGIN ISOLATION LEVEL READ COMMITTED"
            if write
            else f"BEGIN ISOLATION LEVEL {isolation or 'REPEATABLE READ READ ONLY'}"
        )
        for attempt in (1, 2):
            conn = self.ensure()
            try:
                conn.execute(begin)
            except pg.Error as exc:
                if attempt == 1 and (conn.broken or conn.closed):
                    self.discard()
                    continue
                raise self.error(exc) from None
            if write:
                try:
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, _WRITERS), prepare=True
                    )
                except pg.Error as exc:
                    self.rollback()
                    raise self.error(exc, transient=True) from None
            return conn
        raise AssertionError("unreachable")  # pragma: no cover

    def rollback(self) -> None:
        """Roll back the open transaction, if the connection still works."""
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")

    def discard(self) -> None:
        """Close and forget the connection (a new one is made on the next :meth:`ensure`)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    # -- errors ------------------------------------------------------------------

    def scrub(self, text: str) -> str:
        """``text`` without the URL's credentials (or the URL), nor any credential shape."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return redact_text(text)

    def error(self, exc: BaseException, *, transient: bool = False) -> StoreError:
        """The StoreError for a driver error: scrubbed; transient when safe to run again.

        Args:
            exc: The psycopg error.
            transient: The error happened before ``COMMIT`` was sent: a lost
                connection may be retried (nothing was committed).
        """
        sqlstate = getattr(exc, "sqlstate", None) or ""
        conn = self._conn
        lost = (
            conn is None
            or conn.closed
            or conn.broken
            or sqlstate.startswith(_CONNECTION_STATES_PREFIX)
        )
        message = self.scrub(str(exc).strip()) or type(exc).__name__
        if sqlstate == "55P03":
            problem = f"is locked by another writer (gave up after {self._timeout:g} s): {message}"
        elif sqlstate in _RETRYABLE_STATES:
            problem = f"rolled back a conflicting transaction: {message}"
        elif lost:
            problem = f"lost its connection: {message}"
        else:
            problem = f"failed: {message}"
        text = f"registry database {self.location} {problem}"
        if transient and (sqlstate in _RETRYABLE_STATES or lost):
            return TransientStoreError(text)
        return StoreError(text)

    def close(self) -> None:
        """Close the connection; idempotent."""
        self.discard()

    def __repr__(self) -> str:
        return f"PostgresConnection({self.location!r})"


def _sensitive_parts(url: str) -> list[str]:
    """What must never be shown of ``url``: itself, its userinfo, its password, its query values."""
    parts = [url]
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        return parts
    userinfo, at, _host = split.netloc.rpartition("@")
    if at and userinfo:
        parts.append(userinfo)
        _user, colon, password = userinfo.partition(":")
        if colon and password:
            parts += [password, urllib.parse.unquote(password)]
    for name, value in urllib.parse.parse_qsl(split.query, keep_blank_values=False):
        if name.lower() in ("password", "passfile", "sslpassword", "sslkey") and value:
            parts.append(value)
    # Longest first: never leave the tail of a longer secret behind.
    return sorted({p for p in parts if len(p) >= 3}, key=len, reverse=True)


def _driver_error_in(exc: BaseException) -> BaseException | None:
    """The psycopg error behind ``exc`` (itself, or in its cause/context chain), if any."""
    pg = _psycopg()
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, pg.Error):
            found: BaseException = current
            return found
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


# ------------------------------------------------------------------ sessions


class _PostgresSession(SQLSession):
    """A :class:`StoreSession` over the store's psycopg connection inside a transaction."""

    __slots__ = ()

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), params)

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)

    def _has_table(self, name: str) -> bool:
        row = self._conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.{name}",))
        return bool(row.fetchone()[0])

    def append(self, event: Event) -> Event:
        # Writers hold the advisory lock: max(seq) + 1 is free, and no gap is left
        # by a rolled-back transaction (a sequence would leave one).
        row = self._conn.execute(
            "INSERT INTO events (seq, integration_id, kind, at, actor, reason, clause, evidence) "
            "SELECT coalesce(max(seq), 0) + 1, %s, %s, %s, %s, %s, %s, %s FROM events "
            "RETURNING seq",
            event_params(event),
        ).fetchone()
        return stored_event(event, row[0])


# ------------------------------------------------------------------ freshness


class _Commits:
    """Commits made by this process to any PostgreSQL registry (seen at once, no notification)."""

    lock = threading.Lock()
    count = 0

    @classmethod
    def bump(cls) -> None:
        with cls.lock:
            cls.count += 1


class _Listener:
    """A background thread that listens for committed changes, and says when it cannot.

    :meth:`token` changes with every notification and every reconnection;
    it is ``None`` while the connection is down or silent for longer than
    :data:`STALE_AFTER` (a ``SELECT 1`` every :data:`HEARTBEAT` seconds keeps
    a quiet connection provably alive). Reconnects with a growing delay
    (0.05 s to 2 s).
    """

    def __init__(self, handle: PostgresConnection) -> None:
        self._handle = handle
        self._state = threading.Lock()
        self._generation = 0
        self._seen = 0
        self._alive_at = -math.inf
        self._up = False
        self._marks: set[str] = set()
        self._stop = threading.Event()
        self.ready = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="hf-gov-listener", daemon=True)
        self._thread.start()

    def token(self) -> tuple[int, int] | None:
        """``(connection generation, notifications seen)``, or ``None`` when not listening."""
        with self._state:
            if not self._up or time.monotonic() - self._alive_at > STALE_AFTER:
                return None
            return self._generation, self._seen

    def saw(self, mark: str) -> bool:
        """Whether a notification with payload ``mark`` arrived (:meth:`PostgresStore.settle`)."""
        with self._state:
            return mark in self._marks

    def _notified(self, payload: str) -> None:
        with self._state:
            self._alive_at = time.monotonic()
            if payload.startswith("settle:"):  # not a change: the token stays
                self._marks.add(payload)
            else:
                self._seen += 1

    def _run(self) -> None:
        pg = _psycopg()
        delay = 0.05
        while not self._stop.is_set():
            conn: Any = None
            try:
                conn = self._handle.connect()
                conn.add_notify_handler(lambda n: self._notified(n.payload))
                conn.execute(f"LISTEN {CHANNEL}")
                with self._state:
                    self._generation += 1
                    self._up = True
                    self._alive_at = time.monotonic()
                self.ready.set()
                delay = 0.05
                self._serve(conn, pg)
            except (pg.Error, StoreError, OSError):
                pass
            finally:
                with self._state:
                    self._up = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
            self._stop.wait(delay)
            delay = min(2.0, delay * 2)

    def _serve(self, conn: Any, pg: Any) -> None:
        """Wait on the connection's socket; take notifications as they come; beat the heart."""
        pgconn = conn.pgconn
        sock = conn.fileno()
        beat = time.monotonic() + HEARTBEAT
        while not self._stop.is_set():
            ready, _, _ = select.select(
                [sock, self._wake_r], [], [], max(0.0, beat - time.monotonic())
            )
            if self._wake_r in ready:
                self._wake_r.recv(64)
                continue
            if sock in ready:
                pgconn.consume_input()  # raises when the connection is gone
                if pgconn.status != pg.pq.ConnStatus.OK:
                    raise pg.OperationalError("the listening connection was closed")
                while (notice := pgconn.notifies()) is not None:
                    self._notified(notice.extra.decode("utf-8", "replace"))
            if time.monotonic() >= beat:
                conn.execute("SELECT 1")  # notifications arriving meanwhile reach the handler
                with self._state:
                    self._alive_at = time.monotonic()
                beat = time.monotonic() + HEARTBEAT

    def close(self) -> None:
        """Stop the thread (promptly) and close its connection."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self._thread.join(timeout=5)
        self._wake_r.close()
        self._wake_w.close()


# ------------------------------------------------------------------ the store


class PostgresStore:
    """A :class:`Store` in a PostgreSQL database, shared by every host that opens its URL.

    Use :meth:`open`. Thread-safe: one connection guarded by a lock (a
    process's threads take turns, as with SQLite).
    """

    __slots__ = ("_handle", "_listener", "_lock", "_open")

    def __init__(self, handle: PostgresConnection) -> None:
        self._handle = handle
        self._lock = threading.RLock()
        self._open = True
        self._listener: _Listener | None = None

    @classmethod
    def open(cls, url: str, *, timeout: float = 10.0, listen: bool = True) -> PostgresStore:
        """Connect to a registry database, creating or migrating its schema if needed.

        Creating or migrating needs a role allowed to create in the database
        (its owner); a database already at :data:`SCHEMA_VERSION` only needs
        the application role's privileges (docs/operations.md).

        Args:
            url: ``postgresql://user:password@host:port/database?sslmode=...``
                (any libpq URL; the password may also come from ``PGPASSWORD``
                or a ``.pgpass`` file).
            timeout: Seconds to wait for a connection and for another
                writer's lock.
            listen: Keep a listening connection so that reads are kept
                between calls until something changes (:meth:`version`);
                ``False`` (one-shot tools) reads the database every time.

        Raises:
            StoreError: The database cannot be reached, is not a registry,
                has a newer schema, or cannot be migrated by this role; the
                message names the database without its credentials.
            ValidationError: ``url`` is not text or ``timeout`` is invalid.
        """
        if not isinstance(url, str):
            raise ValidationError("url", f"must be a postgresql:// URL, got {type(url).__name__}")
        timeout = check_timeout("timeout", timeout)
        _psycopg()
        handle = PostgresConnection(url, timeout)
        store = cls(handle)
        try:
            store._migrate()
            if listen:
                store._listener = _Listener(handle)
                # The first reads may already be kept; a listener that cannot
                # connect leaves the store reading the database every time.
                store._listener.ready.wait(timeout=min(timeout, 5.0))
        except BaseException:
            store.close()
            raise
        return store

    @property
    def location(self) -> str:
        """The database URL without credentials or query values."""
        return self._handle.location

    def _migrate(self) -> None:
        pg = _psycopg()
        handle = self._handle
        with self._lock:
            conn = handle.begin(write=False, isolation="READ COMMITTED")
            try:
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, _MIGRATION))
                version = self._stored_version(conn)
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"registry database {self.location} has schema version {version}, "
                        f"newer than this hf-api-governance supports ({SCHEMA_VERSION}): "
                        "upgrade hf-api-governance; never open a registry with an older release"
                    )
                if version < SCHEMA_VERSION:
                    if version == 0:
                        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                    for step in MIGRATIONS[version:]:
                        for statement in step:
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (id, application, version) "
                        "VALUES (1, %s, %s) ON CONFLICT (id) DO UPDATE SET version = %s",
                        (APPLICATION, SCHEMA_VERSION, SCHEMA_VERSION),
                    )
                conn.execute("COMMIT")
            except pg.Error as exc:
                handle.rollback()
                error = handle.error(exc)
                if getattr(exc, "sqlstate", None) == "42501":  # insufficient_privilege
                    error = StoreError(
                        f"{error}: creating or migrating the schema needs the database "
                        "owner's role; run it once as the owner (docs/operations.md)"
                    )
                raise error from None
            except BaseException:
                handle.rollback()
                raise

    def _stored_version(self, conn: psycopg.Connection[Any]) -> int:
        """The schema version in the database (0: none yet); refuses a foreign schema."""
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL, "
            "(SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v'))",
            (f"{SCHEMA}.schema_version", SCHEMA),
        ).fetchone()
        assert row is not None  # noqa: S101 - a SELECT without FROM returns one row
        has_version, tables = row
        if not has_version:
            if tables:
                raise StoreError(
                    f"registry database {self.location}: schema {SCHEMA} already holds tables "
                    "of another application; use another database"
                )
            return 0
        found = conn.execute("SELECT application, version FROM schema_version WHERE id = 1")
        stored = found.fetchone()
        if stored is None or stored[0] != APPLICATION:
            raise StoreError(
                f"registry database {self.location}: schema {SCHEMA} is not a "
                "hf-api-governance registry"
            )
        return int(stored[1])

    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self.read() as session:
            row = session.connection.execute(
                "SELECT version FROM schema_version WHERE id = 1"
            ).fetchone()
            return int(row[0])

    def _check_open(self) -> None:
        if not self._open:
            raise StoreError(f"registry database {self.location} is closed")

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[StoreSession]:
        pg = _psycopg()
        handle = self._handle
        with self._lock:
            self._check_open()
            conn = handle.begin(write=write)
            try:
                yield _PostgresSession(conn, self.location)
            except BaseException as exc:
                handle.rollback()
                driver = _driver_error_in(exc)
                if driver is None:
                    raise
                error = handle.error(driver, transient=write)
                if isinstance(exc, pg.Error) or isinstance(error, TransientStoreError):
                    raise error from None
                raise  # our own error (AuditError...) about a non-transient database failure
            try:
                conn.execute("COMMIT")
            except pg.Error as exc:
                handle.rollback()
                error = handle.error(exc)
                if write and (conn.broken or conn.closed):
                    raise StoreError(
                        f"{error} (while committing: the change may or may not have been "
                        "recorded; read it back before retrying)"
                    ) from None
                raise error from None
            finally:
                if write:
                    _Commits.bump()

    def read(self) -> AbstractContextManager[StoreSession]:
        """A consistent read snapshot (``REPEATABLE READ READ ONLY``)."""
        return self._transaction(write=False)

    def write(self) -> AbstractContextManager[StoreSession]:
        """A write transaction, after every other host's writer (advisory lock)."""
        return self._transaction(write=True)

    def version(self) -> Hashable | None:
        """A token that changes on every committed change, told by ``LISTEN``/``NOTIFY``.

        No database round trip: the token combines the listener's
        notification count and connection generation with the commits this
        process made. ``None`` (read the database every time: fail closed)
        while the listener is down or has gone silent, or when the store was
        opened with ``listen=False``.

        A change committed by another host is seen as soon as its
        notification arrives (docs/performance.md measures how soon).
        """
        listener = self._listener
        token = None if listener is None else listener.token()
        if token is None:
            return None
        return token, _Commits.count

    def settle(self, timeout: float = 5.0) -> bool:
        """Wait until every change committed before this call has been notified to this store.

        Sends a notification of its own and waits for it: notifications
        arrive in commit order, so every earlier one has arrived too. For
        tests and tools that must not race a notification in flight; the
        governed client never waits.

        Returns:
            Whether it arrived within ``timeout`` (``False`` without a listener).

        Raises:
            StoreError: The database cannot be reached.
        """
        listener = self._listener
        if listener is None:
            return False
        mark = f"settle:{id(self)}:{time.monotonic_ns()}"
        pg = _psycopg()
        with self._lock:
            self._check_open()
            conn = self._handle.ensure()
            try:
                conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, mark))
            except pg.Error as exc:
                raise self._handle.error(exc) from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if listener.saw(mark):
                return True
            time.sleep(0.001)
        return False

    def share(self, build: Callable[[PostgresConnection, StoreLock], _T]) -> _T:
        """Build a participant in this store's transactions (the audit log).

        ``build(handle, lock)`` receives the store's :class:`PostgresConnection`
        (not a bare connection: it is replaced after a lost connection) and
        the store's reentrant lock, to hold around each use.

        Raises:
            StoreError: The store is closed.
        """
        with self._lock:
            self._check_open()
            return build(self._handle, self._lock)

    def close(self) -> None:
        """Close the connections and stop the listener; idempotent."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            self._open = False
            self._handle.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"
