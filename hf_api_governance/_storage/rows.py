"""Rows and SQL shared by the stores: codecs between objects and columns, and :class:`SQLSession`.

The SQLite and the PostgreSQL stores keep the same tables and columns
(``integrations``, ``licences``, ``events``, ``revoked_credentials``,
``audit_mark``), with
instants and dates as ISO 8601 text and JSON as text, so one codec and one
set of queries serve both; each store only runs the statements in its own
paramstyle and says how an event gets its ``seq``.

Rows were written from validated objects: the read path rebuilds them with
``trusted`` (no second validation; listing 10,000 integrations stays fast).
A row that cannot be decoded, or a state its history does not replay to,
fails closed with :class:`~hf_api_governance.exceptions.StoreError`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Final

import attrs

from hf_api_governance._base.construct import trusted
from hf_api_governance._confidential.evidence import freeze_json, thaw
from hf_api_governance._model import values
from hf_api_governance._model.lifecycle import replay
from hf_api_governance._model.values import Event, Integration, IntegrationState, Licence
from hf_api_governance._storage.store import AuditMark
from hf_api_governance.exceptions import GovernanceError, StoreError, ValidationError

__all__ = [
    "EVENT_COLUMNS",
    "INTEGRATION_COLUMNS",
    "LICENCE_COLUMNS",
    "SQLSession",
    "check_replayed",
    "event_params",
    "integration_row",
    "licence_rows",
    "stored_event",
    "when",
]

# ------------------------------------------------------------------ codecs


def when(value: date | datetime | None) -> str | None:
    """An instant (in UTC) or a date as ISO 8601 text, as every store keeps them."""
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


INTEGRATION_COLUMNS: Final = (
    "id, name, service, kind, vendor, base_url, owner, api_version, credential, "
    "enablement, info_verified_at, auth, state, data_origins"
)
LICENCE_COLUMNS: Final = (
    "integration_id, position, grantor, scope, valid_from, valid_until, holder, reference"
)
EVENT_COLUMNS: Final = "seq, integration_id, kind, at, actor, reason, clause, evidence"


def event_params(event: Event) -> tuple[Any, ...]:
    """An event's columns after ``seq`` (``integration_id`` ... ``evidence``), for an INSERT."""
    return (
        event.integration_id,
        event.kind.value,
        when(event.at),
        event.actor,
        event.reason,
        event.clause,
        _json(event.evidence),
    )


def stored_event(event: Event, seq: int) -> Event:
    """``event`` as appended: the same event with the ``seq`` its store gave it."""
    return attrs.evolve(event, seq=seq)


def integration_row(item: Integration) -> tuple[Any, ...]:
    """The ``integrations`` row of an integration, in :data:`INTEGRATION_COLUMNS` order."""
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
        when(item.info_verified_at),
        auth,
        item.state.value,
        _json(list(item.data_origins)) if item.data_origins else "[]",
    )


def licence_rows(item: Integration) -> list[tuple[Any, ...]]:
    """The ``licences`` rows of an integration, in :data:`LICENCE_COLUMNS` order."""
    return [
        (
            item.id,
            position,
            lic.grantor,
            lic.scope,
            when(lic.valid_from),
            when(lic.valid_until),
            lic.holder,
            lic.reference,
        )
        for position, lic in enumerate(item.licences)
    ]


_STATES: Final = {s.value: s for s in IntegrationState}
_KINDS: Final = {k.value: k for k in values.EventKind}
_SERVICES: Final = {s.value: s for s in values.Service}
_API_KINDS: Final = {k.value: k for k in values.ApiKind}


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


def _auth(text: str | None) -> values.AuthSpec | None:
    if text is None:
        return None
    params = json.loads(text)
    scheme = params.pop("scheme")
    if scheme not in values.AUTH_SCHEMES:
        raise ValueError("unknown auth scheme")
    return trusted(values.AuthSpec, scheme=scheme, params=MappingProxyType(params))


def _data_origins(text: str) -> tuple[str, ...]:
    if text == "[]":
        return ()
    origins = json.loads(text)
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise ValueError("data_origins is not a list of text")
    return tuple(origins)


def check_replayed(
    integration_id: str, stored: IntegrationState, replayed: IntegrationState | None
) -> None:
    """Fail closed unless an integration's stored state is the state its history replays to.

    Raises:
        StoreError: They differ: the database was changed outside the registry.
    """
    if replayed is not stored:
        raise StoreError(
            f"integration {integration_id!r} is stored as {stored.value} but its history "
            f"replays to {replayed.value if replayed else 'nothing'}: the database "
            "was changed outside the registry"
        )


def _integration(
    row: Sequence[Any], licences: Sequence[Licence], history: Sequence[Event] | None
) -> Integration:
    state = _STATES[row[12]]
    if history is not None:
        check_replayed(row[0], state, replay(history))
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
        data_origins=_data_origins(row[13]),
        state=state,
        history=tuple(history or ()),
    )


# ------------------------------------------------------------------ queries


class SQLSession:
    """A :class:`StoreSession` in SQL that both stores speak, inside one transaction.

    The statements use ``?`` placeholders; a store's subclass runs them
    (:meth:`_run`, :meth:`_run_many`) in its own paramstyle, and writes
    :meth:`append` (how the new ``seq`` is obtained differs).

    Args:
        conn: The store's native connection, in a transaction.
        location: The database, for messages (secret-free).
    """

    __slots__ = ("_conn", "_location")

    def __init__(self, conn: Any, location: str) -> None:
        self._conn = conn
        self._location = location

    def _run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Execute one statement with ``?`` placeholders; return a cursor."""
        raise NotImplementedError

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement with ``?`` placeholders for each row."""
        raise NotImplementedError

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
    def connection(self) -> Any:
        """The store's native connection, in this transaction."""
        return self._conn

    def get(self, integration_id: str, *, with_history: bool) -> Integration | None:
        with self._decoding():
            row = self._run(
                f"SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = ?",  # noqa: S608
                (integration_id,),
            ).fetchone()
            if row is None:
                return None
            licences = [
                _licence(r)
                for r in self._run(
                    f"SELECT {LICENCE_COLUMNS} FROM licences "  # noqa: S608
                    "WHERE integration_id = ? ORDER BY position",
                    (integration_id,),
                )
            ]
            history = self.history(integration_id) if with_history else None
            return _integration(row, licences, history)

    def select(
        self,
        *,
        with_history: bool,
        service: values.Service | None,
        kind: values.ApiKind | None,
        state: IntegrationState | None,
    ) -> list[Integration]:
        with self._decoding():
            where: list[str] = []
            args: list[str] = []
            for column, value in (("service", service), ("kind", kind), ("state", state)):
                if value is not None:
                    where.append(f"{column} = ?")
                    args.append(value.value)
            condition = " AND ".join(where)
            rows = self._run(
                f"SELECT {INTEGRATION_COLUMNS} FROM integrations"  # noqa: S608
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
            for r in self._run(
                f"SELECT {LICENCE_COLUMNS} FROM licences{subset} "  # noqa: S608
                "ORDER BY integration_id, position",
                args,
            ):
                licences.setdefault(r[0], []).append(_licence(r))
            events: dict[str, list[Event]] | None = None
            if with_history:
                events = {}
                for r in self._run(
                    f"SELECT {EVENT_COLUMNS} FROM events{subset} ORDER BY seq",  # noqa: S608
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

    def ids(self) -> list[tuple[str, IntegrationState, values.Service]]:
        with self._decoding():
            return [
                (r[0], IntegrationState(r[1]), values.Service(r[2]))
                for r in self._run("SELECT id, state, service FROM integrations ORDER BY id")
            ]

    def history(self, integration_id: str, *, after: int = 0) -> tuple[Event, ...]:
        with self._decoding():
            return tuple(
                _event(r)
                for r in self._run(
                    f"SELECT {EVENT_COLUMNS} FROM events "  # noqa: S608
                    "WHERE integration_id = ? AND seq > ? ORDER BY seq",
                    (integration_id, after),
                )
            )

    def insert(self, integration: Integration) -> None:
        self._run(
            f"INSERT INTO integrations ({INTEGRATION_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            integration_row(integration),
        )
        self._insert_licences(integration)

    def save(self, integration: Integration) -> None:
        row = integration_row(integration)
        self._run(
            "UPDATE integrations SET name = ?, service = ?, kind = ?, vendor = ?, base_url = ?, "
            "owner = ?, api_version = ?, credential = ?, enablement = ?, info_verified_at = ?, "
            "auth = ?, state = ?, data_origins = ? WHERE id = ?",
            (*row[1:], row[0]),
        )
        self._run("DELETE FROM licences WHERE integration_id = ?", (integration.id,))
        self._insert_licences(integration)

    def _insert_licences(self, integration: Integration) -> None:
        self._run_many(
            f"INSERT INTO licences ({LICENCE_COLUMNS}) "  # noqa: S608
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            licence_rows(integration),
        )

    def append(self, event: Event) -> Event:
        """Append an event and return it with its ``seq``."""
        raise NotImplementedError

    def mark_revoked(
        self, names: Iterable[str], *, integration_id: str, seq: int, at: datetime
    ) -> None:
        self._run_many(
            "INSERT INTO revoked_credentials (name, integration_id, event_seq, revoked_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
            [(name, integration_id, seq, when(at)) for name in names],
        )

    def is_revoked(self, name: str) -> bool:
        row = self._run("SELECT 1 FROM revoked_credentials WHERE name = ?", (name,)).fetchone()
        return row is not None

    def revoked(self) -> frozenset[str]:
        return frozenset(r[0] for r in self._run("SELECT name FROM revoked_credentials"))

    # -- the audit binding (hf_api_governance._registry.auditing) ---------------

    def _has_table(self, name: str) -> bool:
        """Whether the table exists (asked first: a failed query aborts a PG transaction)."""
        raise NotImplementedError

    def event_page(self, *, after: int, limit: int) -> list[Event]:
        with self._decoding():
            return [
                _event(r)
                for r in self._run(
                    f"SELECT {EVENT_COLUMNS} FROM events "  # noqa: S608
                    "WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, limit),
                )
            ]

    def audit_mark(self) -> AuditMark | None:
        if not self._has_table("audit_mark"):
            raise StoreError(
                f"registry database {self._location} has lost its audit_mark table: it was "
                "changed outside the registry (run hf-gov audit verify)"
            )
        row = self._run("SELECT key_check, marked_at FROM audit_mark WHERE id = 1").fetchone()
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
        self._run(
            "INSERT INTO audit_mark (id, key_check, marked_at) VALUES (1, ?, ?)",
            (mark.key_check, when(mark.at)),
        )

    def import_audit_mark(self, mark: AuditMark | None) -> None:
        """Copy a registry's audit mark as it is (``None``: nothing to copy)."""
        if mark is not None:
            self.set_audit_mark(mark)

    # -- copying a whole registry (hf-gov db migrate) ---------------------------

    def events(self) -> Iterator[Event]:
        """Every event of every integration, in ``seq`` order."""
        with self._decoding():
            for r in self._run(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"):  # noqa: S608
                yield _event(r)

    def revoked_records(self) -> list[tuple[str, str, int, str]]:
        """Every ``revoked_credentials`` row: ``(name, integration_id, event_seq, revoked_at)``."""
        return [
            (r[0], r[1], r[2], r[3])
            for r in self._run(
                "SELECT name, integration_id, event_seq, revoked_at FROM revoked_credentials "
                "ORDER BY name"
            )
        ]

    def import_events(self, events: Iterable[Event]) -> None:
        """Insert events as they are, ``seq`` included (copying a registry)."""
        self._run_many(
            f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            [(e.seq, *event_params(e)) for e in events],
        )

    def import_revoked(self, records: Iterable[tuple[str, str, int, str]]) -> None:
        """Insert ``revoked_credentials`` rows as they are (copying a registry)."""
        self._run_many(
            "INSERT INTO revoked_credentials (name, integration_id, event_seq, revoked_at) "
            "VALUES (?, ?, ?, ?)",
            list(records),
        )
