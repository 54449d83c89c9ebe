"""Opening a store by its location: the one place that names the concrete stores.

The registry and the audit log know only the :class:`~hf_api_governance._registry.store.Store`
protocol; a location (a file path today) is turned into a store here.
"""

from __future__ import annotations

import os

from hf_api_governance._registry.sqlite import SQLiteStore
from hf_api_governance._registry.store import Store

__all__ = ["open_store"]


def open_store(path: str | os.PathLike[str], *, timeout: float) -> Store:
    """Open the store at ``path`` (what :meth:`hf_api_governance.Registry.open` uses).

    That is a SQLite file (:meth:`SQLiteStore.open
    <hf_api_governance._registry.sqlite.SQLiteStore.open>`). The one place
    that names a concrete store, so that the registry does not: another store
    is given to ``Registry(store)`` directly.

    Args:
        path: A file path, or ``":memory:"``.
        timeout: Seconds to wait for another process's write lock.

    Raises:
        StoreError: The database cannot be opened or used.
        ValidationError: ``path`` or ``timeout`` is invalid.
    """
    return SQLiteStore.open(path, timeout=timeout)
