"""The audit log's rows in PostgreSQL: :class:`PostgresAuditStorage`.

The tables (``audit_log``, ``audit_log_head``, with triggers that refuse
changing or deleting entries) are created by the registry's schema
(:mod:`hf_api_governance._storage.postgres`), in the same database, so that
an event and its audit entry commit in one transaction. The storage works on
the store's connection handle, under the store's lock (the log holds it).

Appends in the log's own transaction take the writers' advisory lock, as
registry writes do, and the head row is read ``FOR UPDATE``: appends from
every host are chained one after the other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hf_api_governance._audit.chain import Head
from hf_api_governance._audit.storage import Row
from hf_api_governance._storage.postgres import SCHEMA, PostgresConnection
from hf_api_governance._storage.store import TransientStoreError
from hf_api_governance.exceptions import AuditError, StoreError

__all__ = ["PostgresAuditStorage"]

_ROW = "seq, convert_to(body, 'UTF8'), prev_hash, entry_hash, authenticator"


class PostgresAuditStorage:
    """:class:`~hf_api_governance._audit.storage.AuditStorage` on a PostgreSQL registry database.

    Args:
        handle: The registry store's connection handle (from ``Store.share``).
    """

    __slots__ = ("_handle", "errors")

    def __init__(self, handle: PostgresConnection) -> None:
        import psycopg

        self._handle = handle
        self.errors: tuple[type[BaseException], ...] = (psycopg.Error, StoreError)

    def _conn(self) -> Any:
        return self._handle.current()

    def present(self) -> bool:
        """Whether both tables exist."""
        conn = self._handle.current() if self._handle.in_transaction() else self._handle.ensure()
        row: Any = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL AND to_regclass(%s) IS NOT NULL",
            (f"{SCHEMA}.audit_log", f"{SCHEMA}.audit_log_head"),
        ).fetchone()
        return bool(row[0])

    def ensure_schema(self) -> None:
        """Check that the registry's schema holds the audit tables.

        Raises:
            AuditError: They are missing (the database was not opened as a registry).
        """
        if not self.present():
            raise AuditError(
                f"{self._handle.location} has no audit_log tables: open it as a registry first "
                "(Registry.open(url) creates the schema)"
            )

    def in_transaction(self) -> bool:
        """Whether the store's connection is inside a transaction."""
        return self._handle.in_transaction()

    @contextmanager
    def writing(self, *, nested: bool) -> Iterator[None]:
        """A savepoint in the caller's transaction, else a write transaction of its own."""
        if nested:
            conn = self._conn()
            conn.execute("SAVEPOINT hf_audit_append")
            try:
                yield
                conn.execute("RELEASE hf_audit_append")
            except BaseException:
                if not (conn.closed or conn.broken):
                    conn.execute("ROLLBACK TO hf_audit_append")
                    conn.execute("RELEASE hf_audit_append")
                raise
            return
        conn = self._handle.begin(write=True)
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            self._handle.rollback()
            raise

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A ``REPEATABLE READ READ ONLY`` snapshot when no transaction is open."""
        if self._handle.in_transaction():
            yield
            return
        self._handle.begin(write=False)
        try:
            yield
        finally:
            self._handle.rollback()

    def read_head(self, *, for_update: bool = False) -> Head | None:
        """The head record, locked until the end of the transaction with ``for_update``."""
        row = (
            self._conn()
            .execute(
                "SELECT format, key_check, seal_every, seq, entry_hash, authenticator "
                "FROM audit_log_head WHERE id = 1" + (" FOR UPDATE" if for_update else "")
            )
            .fetchone()
        )
        return None if row is None else Head(*row)

    def last(self) -> tuple[int, bytes] | None:
        """``(seq, entry_hash)`` of the last entry."""
        row = (
            self._conn()
            .execute("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetchone()
        )
        return None if row is None else (row[0], row[1])

    def insert(self, rows: Sequence[Row]) -> None:
        """Insert entries (the body as UTF-8 text)."""
        with self._conn().cursor() as cursor:
            cursor.executemany(
                "INSERT INTO audit_log (seq, body, prev_hash, entry_hash, authenticator) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(s, body.decode(), prev, eh, tag) for s, body, prev, eh, tag in rows],
            )

    def create_head(self, head: Head) -> None:
        """Insert the head record."""
        self._conn().execute(
            "INSERT INTO audit_log_head "
            "(id, format, key_check, seal_every, seq, entry_hash, authenticator) "
            "VALUES (1, %s, %s, %s, %s, %s, %s)",
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
        self._conn().execute(
            "UPDATE audit_log_head SET seq = %s, entry_hash = %s, authenticator = %s WHERE id = 1",
            (seq, entry_hash, authenticator),
        )

    def rows(
        self, *, after: int = 0, upto: int | None = None, containing: str | None = None
    ) -> Iterator[Row]:
        """Entries in seq order, streamed through a server-side cursor (2,000 per fetch)."""
        sql = f"SELECT {_ROW} FROM audit_log WHERE seq > %s"  # noqa: S608 - constant columns
        params: list[Any] = [after]
        if upto is not None:
            sql += " AND seq <= %s"
            params.append(upto)
        if containing is not None:
            sql += " AND strpos(body, %s) > 0"
            params.append(containing)
        conn = self._conn()
        if not self._handle.in_transaction():  # a named cursor lives in a transaction
            yield from conn.execute(sql + " ORDER BY seq", params)
            return
        with conn.cursor(name="hf_audit_rows") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql + " ORDER BY seq", params)
            yield from cursor

    def body(self, seq: int) -> bytes | None:
        """The stored body of entry ``seq``."""
        row = (
            self._conn()
            .execute("SELECT convert_to(body, 'UTF8') FROM audit_log WHERE seq = %s", (seq,))
            .fetchone()
        )
        return None if row is None else bytes(row[0])

    def entry_hash(self, seq: int) -> bytes | None:
        """The stored hash of entry ``seq``."""
        row = self._conn().execute("SELECT entry_hash FROM audit_log WHERE seq = %s", (seq,))
        found = row.fetchone()
        return None if found is None else bytes(found[0])

    def first_seq(self, *, after: int = 0) -> int | None:
        """The lowest seq above ``after``."""
        value = (
            self._conn()
            .execute("SELECT min(seq) FROM audit_log WHERE seq > %s", (after,))
            .fetchone()[0]
        )
        return None if value is None else int(value)

    def is_transient(self, exc: BaseException) -> bool:
        """A conflict the server rolled back, or a connection lost before ``COMMIT``."""
        if isinstance(exc, TransientStoreError):
            return True
        if isinstance(exc, StoreError):
            return False
        return isinstance(self._handle.error(exc, transient=True), TransientStoreError)

    def message(self, exc: BaseException) -> str:
        """The error's message, scrubbed of the URL's credentials."""
        if isinstance(exc, StoreError):
            return str(exc)
        return self._handle.scrub(str(exc).strip()) or type(exc).__name__

    def close(self) -> None:
        """Nothing: the handle is the store's."""
