"""The storage interface behind the registry: what a store must offer, nothing more.

The :class:`~hf_api_governance.Registry` holds the domain rules (the state
machine, events, clauses); a :class:`Store` only keeps rows. Anything that can
give a transactional :class:`StoreSession` can serve the registry without
touching domain code: :class:`~hf_api_governance._storage.sqlite.SQLiteStore`
(a file path) and :class:`~hf_api_governance._storage.postgres.PostgresStore`
(a ``postgresql://`` URL). The registry imports this module, never a concrete
store: :func:`hf_api_governance._storage.stores.open_store` is the one place that chooses one.

The seam with the audit log (and with ``on_event`` hooks) is explicit: a
store hands out its native connection (:data:`StoreConnection`), with each
:class:`StoreSession` and through :meth:`Store.share`, together with the lock
that serialises every use of that connection. Whatever writes on it inside a
:meth:`Store.write` transaction commits or rolls back with the registry's
change; nothing reaches into the store's private state.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Final, Protocol, TypeAlias, TypeVar

import attrs

from hf_api_governance._base.clock import ensure_aware
from hf_api_governance._model.values import (
    ApiKind,
    Event,
    Integration,
    IntegrationState,
    Service,
)
from hf_api_governance.exceptions import StoreError, ValidationError

__all__ = [
    "WRITE_ATTEMPTS",
    "AuditMark",
    "Store",
    "StoreConnection",
    "StoreLock",
    "StoreSession",
    "TransientStoreError",
    "describe_location",
    "is_database_url",
    "retrying",
]

WRITE_ATTEMPTS: Final = 6
"""How many times :func:`retrying` runs a write that failed with :class:`TransientStoreError`."""

_URL_SCHEMES: Final = ("postgresql://", "postgres://")


class TransientStoreError(StoreError):
    """A write transaction failed in a way that is safe to run again, and nothing was committed.

    A serialisation failure or a deadlock the database resolved by rolling
    back, or a connection lost *before* ``COMMIT`` was sent. Only raised by
    :meth:`Store.write`; :func:`retrying` runs the whole transaction again.
    """


_T = TypeVar("_T")

StoreConnection: TypeAlias = Any
"""A store's native connection.

For the SQLite store a :class:`sqlite3.Connection`, everywhere. For the
PostgreSQL store, :attr:`StoreSession.connection` is the psycopg connection
of that transaction, and :meth:`Store.share` gives the store's
:class:`~hf_api_governance._storage.postgres.PostgresConnection` handle
(the connection is replaced after a lost connection, the handle is not).

Typed ``Any`` on purpose: the registry only passes it along, to ``on_event``
hooks and to what :meth:`Store.share` builds, which know the backend they
were written for.
"""

StoreLock: TypeAlias = AbstractContextManager[Any]
"""The reentrant lock that serialises every use of a store's connection."""


def _check_key_check(_: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValidationError("key_check", "must be 64 lowercase hex digits")


def _aware_at(value: object) -> datetime:
    return ensure_aware(value, "at")


@attrs.frozen
class AuditMark:
    """The registry's record that it is audited: changes need the audit key from now on.

    Written once, by the first change made with an audit log attached (or
    when a log is attached to an empty registry), and never changed or
    removed by the registry (the store refuses both). A registry that holds a
    mark refuses every change made without the audit key; ``audit verify``
    reports a mark that is missing while the log records events, or that
    names another key. See docs/audit.md, "The registry and the audit log".

    Attributes:
        key_check: The audit log's :attr:`AuditLog.key_check
            <hf_api_governance.AuditLog.key_check>` (64 hex digits): which key
            the registry is audited with, not the key.
        at: When the registry was marked (aware).
    """

    key_check: str = attrs.field(validator=_check_key_check)
    at: datetime = attrs.field(converter=_aware_at)


class StoreSession(Protocol):
    """The operations the registry needs, inside one transaction."""

    @property
    def connection(self) -> StoreConnection:
        """The store's native connection, inside this transaction.

        The registry hands it to ``on_event`` hooks; what they write on it
        commits or rolls back with the transaction. It is the connection
        :meth:`Store.share` gives, and the store's lock is held meanwhile.
        """
        ...

    def get(self, integration_id: str, *, with_history: bool) -> Integration | None:
        """Return one integration with its current state, or ``None``."""
        ...

    def select(
        self,
        *,
        service: Service | None,
        kind: ApiKind | None,
        state: IntegrationState | None,
        with_history: bool,
    ) -> list[Integration]:
        """Return the integrations matching every given filter, ordered by id."""
        ...

    def ids(self) -> list[tuple[str, IntegrationState, Service]]:
        """Return ``(id, state, service)`` of every integration, ordered by id."""
        ...

    def history(self, integration_id: str, *, after: int = 0) -> tuple[Event, ...]:
        """Return the events of one integration with ``seq > after``, oldest first.

        ``after=0``: the whole history. The registry reads only the events
        newer than what it already holds (an index range, whatever the
        history's length).
        """
        ...

    def insert(self, integration: Integration) -> None:
        """Store a new integration (declared fields, licences and state)."""
        ...

    def save(self, integration: Integration) -> None:
        """Overwrite the declared fields, licences and state of an existing integration."""
        ...

    def append(self, event: Event) -> Event:
        """Append an event and return it with its ``seq``."""
        ...

    def mark_revoked(
        self, names: Iterable[str], *, integration_id: str, seq: int, at: datetime
    ) -> None:
        """Record credential entry names as revoked (names already recorded are kept)."""
        ...

    def is_revoked(self, name: str) -> bool:
        """Whether the entry name was recorded as revoked."""
        ...

    def event_page(self, *, after: int, limit: int) -> list[Event]:
        """Return up to ``limit`` events with ``seq > after``, in ``seq`` order, any integration.

        The audit cross-check pages through the whole history with it.
        """
        ...

    def audit_mark(self) -> AuditMark | None:
        """The registry's :class:`AuditMark`, or ``None`` when it was never audited."""
        ...

    def set_audit_mark(self, mark: AuditMark) -> None:
        """Record the :class:`AuditMark`, once.

        The store must make it permanent: a second mark, and any change or
        removal through the store's own interface, are refused by the
        database (a primary key and triggers, in SQLite and PostgreSQL alike).
        """
        ...

    def revoked(self) -> frozenset[str]:
        """Every entry name recorded as revoked."""
        ...

    def events(self) -> Iterator[Event]:
        """Every event of every integration, in ``seq`` order (copying a registry)."""
        ...

    def revoked_records(self) -> list[tuple[str, str, int, str]]:
        """Every revoked name as ``(name, integration_id, event_seq, revoked_at)``."""
        ...

    def import_events(self, events: Iterable[Event]) -> None:
        """Insert events as they are, ``seq`` included (copying a registry)."""
        ...

    def import_revoked(self, records: Iterable[tuple[str, str, int, str]]) -> None:
        """Insert revoked names as :meth:`revoked_records` gives them (copying a registry)."""
        ...

    def import_audit_mark(self, mark: AuditMark | None) -> None:
        """Copy a registry's :class:`AuditMark` as it is (``None``: nothing to copy)."""
        ...


class Store(Protocol):
    """A transactional home for integrations, licences, events and revoked credentials."""

    @property
    def location(self) -> str:
        """Where the data lives (a path), for messages."""
        ...

    def read(self) -> AbstractContextManager[StoreSession]:
        """Open a read transaction: a consistent snapshot."""
        ...

    def write(self) -> AbstractContextManager[StoreSession]:
        """Open a write transaction, serialised with every other writer.

        Commits when the block ends normally; rolls back everything when it
        raises, and re-raises. A failure that is safe to run again (nothing
        was committed) is raised as :class:`TransientStoreError`; run the
        block through :func:`retrying`.
        """
        ...

    def version(self) -> Hashable | None:
        """A token that changes whenever a registry change is committed, by any process.

        The registry keeps what it read while the token stays the same, so
        the token must change on every commit that changes a registry table
        (integrations, licences, events, revoked credentials), this
        process's or another's: a revocation recorded elsewhere must be seen
        by the next read. It should not change with the audit log's own
        appends (they would make every governed call read the registry
        again). ``None`` means the store cannot tell: nothing is kept.
        """
        ...

    def share(self, build: Callable[[StoreConnection, StoreLock], _T]) -> _T:
        """Build a participant in this store's transactions, such as the audit log.

        ``build`` is called, under the store's lock, with the store's
        connection and that lock, and its result is returned. The participant
        must hold the lock around every use of the connection (so its own
        transactions never interleave with the store's) and, when it writes
        inside a :meth:`write` transaction (from an ``on_event`` hook), must
        neither commit nor roll back.

        Raises:
            StoreError: The store is closed.
        """
        ...

    def close(self) -> None:
        """Release the storage; later calls raise StoreError."""
        ...


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a database server (``postgresql://...``) rather than a file.

    Only a ``str`` can: a :class:`os.PathLike` is always a file path.
    """
    return isinstance(location, str) and location[:13].lower().startswith(_URL_SCHEMES)


def describe_location(location: str | os.PathLike[str]) -> str:
    """``location`` for a message: a path as is, a URL without credentials or query values."""
    if not is_database_url(location):
        return os.fspath(location)
    from hf_api_governance._confidential.redact import redact_url

    text = redact_url(str(location))
    scheme, sep, rest = text.partition(":")
    if sep and not rest.startswith("//"):  # an empty host (a unix socket) loses its "//"
        text = f"{scheme}://{rest}"
    return text


def retrying(
    store: Store, body: Callable[[StoreSession], _T], *, attempts: int = WRITE_ATTEMPTS
) -> _T:
    """Run ``body`` in a :meth:`Store.write` transaction, again while it fails transiently.

    Each attempt is a new transaction: ``body`` must compute everything it
    writes inside it (what an attempt did is rolled back). Waits a short,
    growing, jittered delay between attempts (20 ms, 40 ms, ... at most 1 s).

    Args:
        store: The store.
        body: The transaction's work; its result is returned.
        attempts: At most this many attempts (at least 1).

    Returns:
        What ``body`` returned in the attempt that committed.

    Raises:
        StoreError: The last attempt failed transiently too (the message says
            how many were made), or the store failed otherwise.
    """
    for attempt in range(1, attempts + 1):
        try:
            with store.write() as tx:
                return body(tx)
        except TransientStoreError as exc:
            if attempt >= attempts:
                raise StoreError(f"{exc} (gave up after {attempts} attempts)") from None
            delay = min(1.0, 0.02 * 2 ** (attempt - 1))
            time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter, not crypto
    raise AssertionError("unreachable")  # pragma: no cover
