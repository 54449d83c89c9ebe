"""Opening a store by its location: the one place that names the concrete stores.

The registry and the audit log know only the :class:`~hf_api_governance._storage.store.Store`
protocol; a location (a file path, or a ``postgresql://`` URL) is turned into a store here.
"""

from __future__ import annotations

import os

from hf_api_governance._storage.sqlite import SQLiteStore
from hf_api_governance._storage.store import Store, is_database_url

__all__ = ["open_store"]


def open_store(path: str | os.PathLike[str], *, timeout: float) -> Store:
    """Open the store :meth:`Registry.open <hf_api_governance.Registry.open>` uses.

    A ``postgresql://`` (or ``postgres://``) URL opens a PostgreSQL database
    (:meth:`PostgresStore.open
    <hf_api_governance._storage.postgres.PostgresStore.open>`, which needs
    the ``postgresql`` extra); anything else is a SQLite file
    (:meth:`SQLiteStore.open
    <hf_api_governance._storage.sqlite.SQLiteStore.open>`). The one place
    that names a concrete store, so that the registry does not: another store
    is given to ``Registry(store)`` directly.

    Args:
        path: A file path, ``":memory:"``, or a PostgreSQL URL.
        timeout: Seconds to wait for another process's write lock (and, for
            PostgreSQL, for the connection).

    Raises:
        StoreError: The database cannot be opened or used.
        ValidationError: ``path`` or ``timeout`` is invalid.
    """
    if is_database_url(path):
        from hf_api_governance._storage.postgres import PostgresStore  # needs the extra

        assert isinstance(path, str)  # noqa: S101 - is_database_url
        return PostgresStore.open(path, timeout=timeout)
    return SQLiteStore.open(path, timeout=timeout)
