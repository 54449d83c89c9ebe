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

from hf_api_governance._audit.storage import SQLAuditStorage
from hf_api_governance._storage.postgres import SCHEMA, PostgresConnection
from hf_api_governance._storage.store import TransientStoreError
from hf_api_governance.exceptions import AuditError, StoreError

__all__ = ["PostgresAuditStorage"]


class PostgresAuditStorage(SQLAuditStorage):
    """:class:`~hf_api_governance._audit.storage.AuditStorage` on a PostgreSQL registry database.

    Args:
        handle: The registry store's connection handle (from ``Store.share``).
    """

    __slots__ = ("_handle", "errors")

    _BODY = "convert_to(body, 'UTF8')"
    _CONTAINS = "strpos(body, ?) > 0"
    _FOR_UPDATE = " FOR UPDATE"

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

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn().execute(sql.replace("?", "%s"), params)

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn().cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), rows)

    def _stream(self, sql: str, params: Sequence[Any]) -> Iterator[Any]:
        """Through a server-side cursor (2,000 per fetch) inside a transaction."""
        sql = sql.replace("?", "%s")
        conn = self._conn()
        if not self._handle.in_transaction():  # a named cursor lives in a transaction
            yield from conn.execute(sql, params)
            return
        with conn.cursor(name="hf_audit_rows") as cursor:
            cursor.itersize = 2000
            cursor.execute(sql, params)
            yield from cursor

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
