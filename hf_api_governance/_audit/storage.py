"""Where the audit log keeps its rows: the :class:`AuditStorage` port and its SQLite side.

:class:`~hf_api_governance.AuditLog` holds the chain's logic (hashing, keyed
tags, the head checks, verification); a storage only keeps rows and runs
transactions. Two implement the port, sharing the queries of
:class:`SQLAuditStorage` (written once, ``?`` placeholders, the dialect's
differences named): :class:`SQLiteAuditStorage` (this module) and
:class:`~hf_api_governance._audit.postgres.PostgresAuditStorage`.
:func:`~hf_api_governance._audit.storages.storage_for` picks one from the
connection given to the log.

Tables (the same in both databases): ``audit_log`` (one row per entry: ``seq``,
``body`` as UTF-8 JSON text, ``prev_hash``, ``entry_hash``, ``authenticator``)
and ``audit_log_head`` (one row, ``id = 1``: the authenticated head).

Every method may raise the database's own errors (one of :attr:`errors`);
the log maps them to :class:`~hf_api_governance.exceptions.AuditError`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, TypeAlias

from hf_api_governance._audit.chain import Head
from hf_api_governance.exceptions import AuditError

__all__ = [
    "AuditStorage",
    "Row",
    "SQLAuditStorage",
    "SQLiteAuditStorage",
    "open_sqlite",
]

Row: TypeAlias = tuple[int, bytes, bytes, bytes, "bytes | None"]
"""One stored entry: ``(seq, body, prev_hash, entry_hash, authenticator)``, body as bytes."""


class AuditStorage(Protocol):
    """What the audit log needs from a database: its two tables and transactions.

    Attributes:
        errors: The database's exception types (mapped by the log to AuditError).
    """

    errors: tuple[type[BaseException], ...]

    def ensure_schema(self) -> None:
        """Make sure the tables exist (create them where the storage may)."""
        ...

    def present(self) -> bool:
        """Whether the tables exist (without creating them)."""
        ...

    def in_transaction(self) -> bool:
        """Whether the connection is inside a transaction."""
        ...

    def writing(self, *, nested: bool) -> AbstractContextManager[None]:
        """A write: ``nested`` inside the caller's transaction (a savepoint), else its own.

        Its own transaction is serialised with every other writer of the
        database (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's writers' lock)
        and commits at the end. A nested write never commits: on error, what
        it wrote is rolled back to the savepoint and the error re-raised.
        """
        ...

    def reading(self) -> AbstractContextManager[None]:
        """A consistent snapshot for several reads (inside the caller's transaction if open)."""
        ...

    def read_head(self, *, for_update: bool = False) -> Head | None:
        """The head record (locked for the transaction with ``for_update``), or ``None``."""
        ...

    def last(self) -> tuple[int, bytes] | None:
        """``(seq, entry_hash)`` of the entry with the highest seq, or ``None``."""
        ...

    def insert(self, rows: Sequence[Row]) -> None:
        """Insert entries."""
        ...

    def create_head(self, head: Head) -> None:
        """Insert the head record (a new log)."""
        ...

    def update_head(self, seq: int, entry_hash: bytes, authenticator: bytes) -> None:
        """Move the head record."""
        ...

    def rows(
        self, *, after: int = 0, upto: int | None = None, containing: str | None = None
    ) -> Iterator[Row]:
        """Entries with ``after < seq <= upto`` (whose body contains ``containing``), by seq.

        Streams: rows are fetched in blocks, in the caller's read snapshot.
        """
        ...

    def body(self, seq: int) -> bytes | None:
        """The stored body of entry ``seq``."""
        ...

    def entry_hash(self, seq: int) -> bytes | None:
        """The stored hash of entry ``seq``."""
        ...

    def first_seq(self, *, after: int = 0) -> int | None:
        """The lowest seq above ``after``, or ``None``."""
        ...

    def is_transient(self, exc: BaseException) -> bool:
        """Whether a failed write of the storage's own transaction may simply run again."""
        ...

    def message(self, exc: BaseException) -> str:
        """``exc`` in words for an AuditError (free of credentials)."""
        ...

    def close(self) -> None:
        """Release what the storage opened itself (never a borrowed connection)."""
        ...


def open_sqlite(where: str, timeout: float) -> sqlite3.Connection:
    """A connection of the log's own to the SQLite file ``where``, set up for appends.

    WAL journal, ``synchronous=FULL`` (an entry is on disk when its commit
    returns), ``timeout`` seconds of waiting for another writer's lock; the
    log runs its transactions itself (autocommit mode), from any thread
    under its lock.

    Raises:
        AuditError: The file cannot be opened or set up (it is closed again).
    """
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(
            where, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise AuditError(f"cannot switch {where!r} to WAL mode")
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException as exc:
        if conn is not None:
            conn.close()
        if isinstance(exc, sqlite3.Error):
            verb = "open" if conn is None else "set up"
            raise AuditError(f"cannot {verb} audit database {where!r}: {exc}") from exc
        raise
    return conn


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


class SQLAuditStorage:
    """The queries of :class:`AuditStorage`, written once, in SQL both databases speak.

    Statements use ``?`` placeholders; a database's subclass runs them in its
    own paramstyle (:meth:`_run`, :meth:`_run_many`, :meth:`_stream`) and
    names its two dialect differences: how the body is read as bytes
    (:attr:`_BODY`) and how text is searched (:attr:`_CONTAINS`). Transactions,
    schema and errors stay the subclass's.
    """

    __slots__ = ()

    _BODY: str = "CAST(body AS BLOB)"
    """The body as UTF-8 bytes."""
    _CONTAINS: str = "instr(body, ?) > 0"
    """A condition: the body contains the text parameter."""
    _FOR_UPDATE: str = ""
    """What locks a row read for the rest of the transaction."""

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute one statement with ``?`` placeholders; return a cursor."""
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement with ``?`` placeholders for each row."""
        raise NotImplementedError

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """The rows of a query, fetched in blocks."""
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._run(sql, params).fetchone()

    def read_head(self, *, for_update: bool = False) -> Head | None:
        """The head record (locked for the transaction with ``for_update`` where needed)."""
        row = self._one(
            "SELECT format, key_check, seal_every, seq, entry_hash, authenticator "
            "FROM audit_log_head WHERE id = 1" + (self._FOR_UPDATE if for_update else "")
        )
        return None if row is None else Head(*row)

    def last(self) -> tuple[int, bytes] | None:
        """``(seq, entry_hash)`` of the last entry."""
        row = self._one("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        return None if row is None else (row[0], row[1])

    def insert(self, rows: Sequence[Row]) -> None:
        """Insert entries (the body as UTF-8 text)."""
        self._run_many(
            "INSERT INTO audit_log (seq, body, prev_hash, entry_hash, authenticator) "
            "VALUES (?, ?, ?, ?, ?)",
            [(seq, body.decode(), prev, digest, tag) for seq, body, prev, digest, tag in rows],
        )

    def create_head(self, head: Head) -> None:
        """Insert the head record."""
        self._run(
            "INSERT INTO audit_log_head "
            "(id, format, key_check, seal_every, seq, entry_hash, authenticator) "
            "VALUES (1, ?, ?, ?, ?, ?, ?)",
            (
                head.format,
                head.key_check,
                head.seal_every,
                head.seq,
                head.entry_hash,
                head.authenticator,
            ),
        )

    def update_head(self, seq: int, entry_hash: bytes, authenticator: bytes) -> None:
        """Move the head record."""
        self._run(
            "UPDATE audit_log_head SET seq = ?, entry_hash = ?, authenticator = ? WHERE id = 1",
            (seq, entry_hash, authenticator),
        )

    def rows(
        self, *, after: int = 0, upto: int | None = None, containing: str | None = None
    ) -> Iterator[Row]:
        """Entries in seq order, streamed in blocks."""
        sql = (
            f"SELECT seq, {self._BODY}, prev_hash, entry_hash, authenticator "  # noqa: S608
            "FROM audit_log WHERE seq > ?"
        )
        params: list[Any] = [after]
        if upto is not None:
            sql += " AND seq <= ?"
            params.append(upto)
        if containing is not None:
            sql += f" AND {self._CONTAINS}"
            params.append(containing)
        return self._stream(sql + " ORDER BY seq", params)

    def body(self, seq: int) -> bytes | None:
        """The stored body of entry ``seq``."""
        row = self._one(f"SELECT {self._BODY} FROM audit_log WHERE seq = ?", (seq,))  # noqa: S608
        return None if row is None else bytes(row[0])

    def entry_hash(self, seq: int) -> bytes | None:
        """The stored hash of entry ``seq``."""
        row = self._one("SELECT entry_hash FROM audit_log WHERE seq = ?", (seq,))
        return None if row is None else bytes(row[0])

    def first_seq(self, *, after: int = 0) -> int | None:
        """The lowest seq above ``after``."""
        value = self._one("SELECT min(seq) FROM audit_log WHERE seq > ?", (after,))[0]
        return None if value is None else int(value)


class SQLiteAuditStorage(SQLAuditStorage):
    """:class:`AuditStorage` on a :class:`sqlite3.Connection` (borrowed: never closed here).

    The connection must use Python's default transaction handling
    (``isolation_level`` ``""``/``"DEFERRED"`` or ``None``).
    """

    __slots__ = ("_conn",)

    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        cursor = self._conn.execute(sql, params)
        while True:
            block = cursor.fetchmany(512)
            if not block:
                return
            yield from block

    def ensure_schema(self) -> None:
        """Create the tables if missing (inside the caller's transaction if one is open)."""
        for statement in _SCHEMA:
            self._conn.execute(statement)

    def present(self) -> bool:
        """Whether both tables exist."""
        row = self._conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
            "AND name IN ('audit_log', 'audit_log_head')"
        ).fetchone()
        return bool(row[0] == 2)

    def in_transaction(self) -> bool:
        """Whether the connection is inside a transaction."""
        return self._conn.in_transaction

    @contextmanager
    def writing(self, *, nested: bool) -> Iterator[None]:
        """A ``SAVEPOINT`` in the caller's transaction, else ``BEGIN IMMEDIATE`` ... ``COMMIT``."""
        conn = self._conn
        conn.execute("SAVEPOINT hf_audit_append" if nested else "BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("RELEASE hf_audit_append" if nested else "COMMIT")
        except BaseException:
            if nested:
                conn.execute("ROLLBACK TO hf_audit_append")
                conn.execute("RELEASE hf_audit_append")
            elif conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A deferred read transaction when none is open, rolled back at the end."""
        opened = not self._conn.in_transaction
        if opened:
            self._conn.execute("BEGIN")
        try:
            yield
        finally:
            if opened and self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def is_transient(self, exc: BaseException) -> bool:
        """Never: SQLite waits for its lock (busy timeout) instead of failing."""
        return False

    def message(self, exc: BaseException) -> str:
        """The SQLite message."""
        return str(exc)

    def close(self) -> None:
        """Nothing: the connection is the caller's."""
