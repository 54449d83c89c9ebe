"""A connection to its audit storage: the one place naming the concrete audit storages.

Like :mod:`hf_api_governance._storage.stores` for the registry: the port
(:mod:`~hf_api_governance._audit.storage`) names none of its implementations.
"""

from __future__ import annotations

import sqlite3

from hf_api_governance._audit.storage import AuditStorage, SQLiteAuditStorage
from hf_api_governance.exceptions import ValidationError

__all__ = ["storage_for"]


def storage_for(connection: object) -> AuditStorage:
    """The storage for a connection given to :class:`~hf_api_governance.AuditLog`.

    Args:
        connection: A :class:`sqlite3.Connection`, or the PostgreSQL store's
            connection handle (what ``Store.share`` gives).

    Raises:
        ValidationError: Neither.
    """
    if isinstance(connection, sqlite3.Connection):
        return SQLiteAuditStorage(connection)
    if type(connection).__name__ == "PostgresConnection":  # imported only for PostgreSQL
        from hf_api_governance._audit.postgres import PostgresAuditStorage
        from hf_api_governance._storage.postgres import PostgresConnection

        if isinstance(connection, PostgresConnection):
            return PostgresAuditStorage(connection)
    raise ValidationError(
        "connection",
        "must be a sqlite3.Connection or a PostgreSQL registry's connection "
        f"(open one with AuditLog.open(url)), got {type(connection).__name__}",
    )
