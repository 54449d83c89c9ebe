"""The registry and its audit log vouch for each other: cross-check, audit mark, adoption.

Every tampering below is done the way an attacker with write access to the
database file but without the audit key would do it: through a separate
connection, dropping the database's own guards (triggers) first when needed.
The helpers that tamper are gathered in :class:`Tamper`, one method per
trick, so that another store can supply its own version of each.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    AuditError,
    AuditLog,
    EventKind,
    FrozenClock,
    Integration,
    IntegrationState,
    Licence,
    Registry,
    Revoker,
    StoreError,
    SuspensionCause,
    ValidationError,
    VerificationProblem,
    VerificationReport,
)
from hf_api_governance._audit.crosscheck import event_hash
from hf_api_governance._storage import postgres as _pg_store
from hf_api_governance._storage import sqlite as _store

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
P = VerificationProblem
S = IntegrationState
ID = "okta-directory"


def make(ident: str = ID, **overrides: Any) -> Integration:
    fields: dict[str, Any] = {
        "id": ident,
        "name": "Okta directory sync",
        "service": "engage",
        "kind": "third_party_api",
        "vendor": "Okta",
        "base_url": "https://example.okta.com/api/v1",
        "owner": "identity-team@example.com",
        "credential": f"{ident}-token",
        "licences": [
            Licence("Okta", "Workforce Identity API", date(2026, 1, 1), date(2026, 12, 31))
        ],
    }
    fields.update(overrides)
    return Integration(**fields)


class Tamper:
    """What an attacker with write access to the database, without the audit key, can do.

    The same tampering on either store: a SQLite file, or a PostgreSQL
    database (there the attacker holds a role that may drop triggers).
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.postgres = where.startswith(("postgresql://", "postgres://"))
        if self.postgres:
            import psycopg

            self.errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        else:
            self.errors = (sqlite3.Error,)

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.where, autocommit=True) as conn:
                conn.execute("SET search_path = hf_gov")
                yield conn
        else:
            with closing(sqlite3.connect(self.where, isolation_level=None)) as conn:
                yield conn

    def sql(self, *statements: str | tuple[str, tuple[Any, ...]]) -> None:
        """Run statements, each SQL text or ``(text, parameters)``, in autocommit mode."""
        with self._connect() as conn:
            for statement in statements:
                text, params = statement if isinstance(statement, tuple) else (statement, ())
                conn.execute(text.replace("?", "%s") if self.postgres else text, params)

    def query(self, text: str) -> list[tuple[Any, ...]]:
        with self._connect() as conn:
            return [tuple(r) for r in conn.execute(text).fetchall()]

    def drop_trigger(self, table: str, op: str) -> str:
        """The statement that drops the trigger refusing ``op`` on ``table`` (if any)."""
        name = f"{table}_no_{op}"
        return f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if self.postgres else "")

    def drop_audit_log(self) -> None:
        self.sql("DROP TABLE audit_log", "DROP TABLE audit_log_head")

    def empty_audit_log(self) -> None:
        self.sql(
            self.drop_trigger("audit_log", "delete"),
            self.drop_trigger("audit_log_head", "delete"),
            "DELETE FROM audit_log",
            "DELETE FROM audit_log_head",
        )

    def delete_event(self, seq: int) -> None:
        self.sql(
            self.drop_trigger("events", "delete"), ("DELETE FROM events WHERE seq = ?", (seq,))
        )

    def update_event(self, seq: int, assignments: str) -> None:
        self.sql(
            self.drop_trigger("events", "update"),
            (f"UPDATE events SET {assignments} WHERE seq = ?", (seq,)),  # noqa: S608 - test input
        )

    def swap_events(self, a: int, b: int) -> None:
        self.sql(
            self.drop_trigger("events", "update"),
            ("UPDATE events SET seq = 1000000 WHERE seq = ?", (a,)),
            ("UPDATE events SET seq = ? WHERE seq = ?", (a, b)),
            ("UPDATE events SET seq = ? WHERE seq = 1000000", (b,)),
        )

    def unrevoke(self, integration_id: str, state: str) -> None:
        """Forget a revocation: its revoked credentials, its event, and the state."""
        ((seq,),) = self.query(
            "SELECT seq FROM events WHERE integration_id = "  # noqa: S608 - test input
            f"'{integration_id}' AND kind = 'revoked'"
        )
        self.sql(
            self.drop_trigger("revoked_credentials", "delete"),
            "DELETE FROM revoked_credentials",
            ("UPDATE integrations SET state = ? WHERE id = ?", (state, integration_id)),
        )
        self.delete_event(seq)

    def delete_audit_mark(self) -> None:
        self.sql(self.drop_trigger("audit_mark", "delete"), "DELETE FROM audit_mark")

    def events(self) -> list[tuple[int, str]]:
        return [(r[0], r[1]) for r in self.query("SELECT seq, kind FROM events ORDER BY seq")]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def db(store_url: str) -> str:
    """The registry's location, once per store (SQLite file, PostgreSQL database)."""
    return store_url


@pytest.fixture
def tamper(db: str) -> Tamper:
    return Tamper(db)


@pytest.fixture
def audited(db: str, clock: FrozenClock) -> str:
    """A registry written with the audit key: registered, activated, suspended, reinstated."""
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
        registry.register(make("slack-aware", credential="slack-token"), actor="alice")
        registry.activate(ID, actor="alice", reason="provisioned")
        registry.suspend(ID, cause=SuspensionCause.MANUAL, reason="maintenance", actor="bob")
        registry.reinstate(ID, reason="done", actor="bob")
    return db


def verify(db: str, clock: FrozenClock | None = None, **kwargs: Any) -> VerificationReport:
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        return registry.verify_audit(**kwargs)


@pytest.fixture
def keyless(db: str) -> Iterator[Registry]:
    with Registry.open(db) as registry:
        yield registry


# ------------------------------------------------------------------ the good case


def test_every_change_is_matched_to_its_audit_entry(audited: str) -> None:
    report = verify(audited)
    assert report.ok, report.message
    assert (report.entries_checked, report.events_checked) == (5, 5)
    assert report.message.endswith("5 registry events match their entries")
    with AuditLog.open(audited, KEY) as log:
        entries = list(log.entries())
    with Registry.open(audited) as registry:
        history = registry.history(ID)
    recorded = {e.evidence["event_seq"]: e.evidence["event_hash"] for e in entries}
    assert {e.seq: event_hash(e) for e in history}.items() <= recorded.items()


def test_an_empty_registry_verifies(db: str) -> None:
    report = verify(db)
    assert report.ok
    assert report.events_checked == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(st.characters(categories=["L", "N"]), min_size=1), inner)
    ),
    max_leaves=8,
)


@given(evidence=st.dictionaries(st.sampled_from(["a", "b", "status", "url"]), json_values))
def test_any_recorded_evidence_matches_its_entry(evidence: dict[str, Any]) -> None:
    """The store gives back the very event it was given: its hash is the one audited."""
    with Registry.open(":memory:", clock=FrozenClock(NOW)) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
        registry.record(
            ID, EventKind.SIGNAL_RECORDED, reason="seen", actor="client", evidence=evidence
        )
        report = registry.verify_audit()
        assert report.ok, report.message
        assert report.events_checked == 2


# ------------------------------------------------------------------ the tampering cases


@pytest.mark.parametrize("how", ["drop", "empty"])
def test_a_removed_audit_log_fails_while_the_registry_holds_events(
    audited: str, tamper: Tamper, how: str
) -> None:
    """DROP TABLE audit_log, audit_log_head (or deleting their rows) no longer verifies."""
    tamper.drop_audit_log() if how == "drop" else tamper.empty_audit_log()
    if how == "drop" and tamper.postgres:
        # The registry's role does not recreate tables in PostgreSQL: the key holder
        # cannot even attach the log, and says why; a keyless change is still refused.
        before = tamper.events()
        with Registry.open(audited) as registry:
            with pytest.raises(AuditError, match="has no audit_log tables"):
                registry.attach_audit(KEY)
            with pytest.raises(AuditError, match="is audited"):
                registry.retire("slack-aware", actor="mallory")
        assert tamper.events() == before
        return
    report = verify(audited)
    assert not report.ok
    assert report.problem is P.EVENT_UNAUDITED
    assert report.first_bad_event == 1
    assert "audited and holds 5 events, but the audit log records none of them" in report.message
    assert [m.event_seq for m in report.mismatches] == [1, 2, 3, 4, 5]
    # and no change lands on top of it, with the key or without
    before = tamper.events()
    with Registry.open(audited) as registry:
        registry.attach_audit(KEY)
        with pytest.raises(AuditError, match=r"audit log is empty or missing.*nothing was written"):
            registry.retire("slack-aware", actor="mallory")
    with Registry.open(audited) as registry, pytest.raises(AuditError, match="is audited"):
        registry.retire("slack-aware", actor="mallory")
    assert tamper.events() == before


def test_a_forgotten_revocation_is_reported_and_cannot_be_reactivated(
    db: str, clock: FrozenClock, tamper: Tamper
) -> None:
    """Deleting the revoked event and revoked_credentials, and resetting the state, is caught."""
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
        registry.revoke(ID, by=Revoker.MIMECAST, reason="key revoked by Mimecast")
    tamper.unrevoke(ID, "pending")
    with Registry.open(db) as registry:  # no audit key
        assert registry.get(ID).state is S.PENDING  # what the attacker wanted show to say
        with pytest.raises(AuditError, match=r"is audited .*needs the audit key.*nothing was"):
            registry.activate(ID, actor="mallory")
        assert registry.get(ID).state is S.PENDING
    assert tamper.events() == [(1, "registered")]
    report = verify(db)
    assert not report.ok
    assert (report.problem, report.first_bad_event, report.first_bad_seq) == (
        P.EVENT_DELETED,
        2,
        2,
    )
    assert report.message == (
        "event 2 (revoked, okta-directory), recorded by audit entry 2, is missing from the "
        "registry: deleted"
    )


def test_removing_the_mark_too_lets_a_keyless_change_in_but_verification_names_everything(
    db: str, clock: FrozenClock, tamper: Tamper
) -> None:
    with Registry.open(db, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
        registry.revoke(ID, by=Revoker.MIMECAST, reason="key revoked by Mimecast")
    tamper.unrevoke(ID, "pending")
    tamper.delete_audit_mark()
    with Registry.open(db) as registry:
        registry.activate(ID, actor="mallory")  # nothing can stop a keyless process now...
    report = verify(db)  # ...but it cannot hide
    assert not report.ok
    assert [(m.problem, m.event_seq, m.entry_seq) for m in report.mismatches] == [
        (P.EVENT_REWRITTEN, 2, 2),  # SQLite gave mallory's activation the revocation's seq
        (P.AUDIT_MARK_INVALID, None, None),
    ]
    assert report.message == (
        "event 2 (activated, okta-directory) is not the event audit entry 2 recorded "
        "(revoked, okta-directory): rewritten, or another event took its place "
        "(2 problems in all)"
    )


# ------------------------------------------------------------------ cross-check cases


def test_an_event_without_its_entry_is_reported_at_its_position(
    audited: str, tamper: Tamper
) -> None:
    tamper.sql(
        "INSERT INTO events (seq, integration_id, kind, at, actor, reason, clause, evidence) "
        "VALUES (6, 'slack-aware', 'retired', '2026-11-26T12:00:00+00:00', 'mallory', '', "
        "'1.1', '{}')"
    )
    report = verify(audited)
    assert (report.ok, report.problem, report.first_bad_event) == (False, P.EVENT_UNAUDITED, 6)
    assert report.first_bad_seq is None
    assert report.message == "event 6 (retired, slack-aware) has no audit entry"
    assert report.entries_checked == 5  # the log itself is sound


def test_an_entry_without_its_event_is_reported_with_both_positions(
    audited: str, tamper: Tamper
) -> None:
    tamper.delete_event(3)
    report = verify(audited)
    assert (report.problem, report.first_bad_event, report.first_bad_seq) == (
        P.EVENT_DELETED,
        3,
        3,
    )
    assert "event 3 (activated, okta-directory), recorded by audit entry 3" in report.message


def test_an_entry_claiming_an_event_that_never_existed_is_reported(audited: str) -> None:
    """An extra entry (here appended with the key, by mistake) is not silently ignored."""
    with AuditLog.open(audited, KEY) as log:
        log.append(
            actor="script",
            action="activated",
            integration_id=ID,
            evidence={"event_seq": 99, "event_hash": "0" * 64},
        )
    report = verify(audited)
    assert (report.problem, report.first_bad_event, report.first_bad_seq) == (
        P.EVENT_DELETED,
        99,
        6,
    )


@pytest.mark.parametrize(
    "assignments",
    [
        "reason = 'nothing to see'",
        "actor = 'carol'",
        "at = '2026-01-01T00:00:00+00:00'",
        'evidence = \'{"cause":"sunset"}\'',
        "integration_id = 'slack-aware'",
    ],
)
def test_a_rewritten_event_is_reported_at_its_position(
    audited: str, tamper: Tamper, assignments: str
) -> None:
    tamper.update_event(4, assignments)
    report = verify(audited)
    assert (report.problem, report.first_bad_event, report.first_bad_seq) == (
        P.EVENT_REWRITTEN,
        4,
        4,
    )
    assert report.message.startswith("event 4 (")
    assert "is not the event audit entry 4 recorded" in report.message


def test_reordered_events_are_reported_from_the_first_moved(audited: str, tamper: Tamper) -> None:
    tamper.swap_events(4, 5)
    report = verify(audited)
    assert [(m.problem, m.event_seq, m.entry_seq) for m in report.mismatches] == [
        (P.EVENT_REWRITTEN, 4, 4),
        (P.EVENT_REWRITTEN, 5, 5),
    ]


def test_a_broken_chain_is_reported_before_any_cross_check(audited: str, tamper: Tamper) -> None:
    tamper.sql(
        tamper.drop_trigger("audit_log", "update"),
        "UPDATE audit_log SET body = replace(body, 'alice', 'carol') WHERE seq = 1",
    )
    tamper.delete_event(2)
    report = verify(audited)
    assert (report.problem, report.first_bad_seq) == (P.CONTENT_MODIFIED, 1)
    assert report.mismatches == ()


def test_a_hmac_checkpoint_still_works_with_the_cross_check(audited: str) -> None:
    with AuditLog.open(audited, KEY) as log:
        checkpoint = log.checkpoint()
    assert verify(audited, checkpoint=checkpoint).ok
    forged = attrs.evolve(checkpoint, authenticator="0" * 64)
    assert verify(audited, checkpoint=forged).problem is P.CHECKPOINT_MISMATCH


def test_entries_written_before_event_hashes_are_matched_on_their_fields(
    db: str, clock: FrozenClock, tamper: Tamper
) -> None:
    """An audit log written by an earlier release (no event_hash) still verifies."""
    with Registry.open(db, clock=clock) as registry:
        log = registry.attach_audit(KEY)

        def old_release_hook(conn: Any, event: Any) -> None:
            # what attach_audit wrote before this release
            log.append(
                actor=event.actor,
                action=event.kind.value,
                integration_id=event.integration_id,
                clause=event.clause,
                evidence={"reason": event.reason, "event_seq": event.seq},
                within_transaction=True,
            )

        registry._on_event = old_release_hook
        registry.register(make(), actor="alice")
        registry.activate(ID, actor="alice", reason="provisioned")
    assert verify(db).ok
    tamper.update_event(2, "actor = 'mallory'")
    report = verify(db)
    assert (report.problem, report.first_bad_event) == (P.EVENT_REWRITTEN, 2)


# ------------------------------------------------------------------ the audit mark


def test_a_registry_opened_with_the_key_refuses_keyless_changes_from_the_start(
    db: str, tamper: Tamper
) -> None:
    with Registry.open(db) as registry:
        registry.attach_audit(KEY)  # an empty registry: marked at once
    with Registry.open(db) as registry, pytest.raises(AuditError, match="needs the audit key"):
        registry.register(make(), actor="mallory")
    assert tamper.events() == []


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.register(make("new-one", credential="new-token"), actor="m"),
        lambda r: r.activate("slack-aware", actor="m"),
        lambda r: r.revoke(ID, by=Revoker.CUSTOMER, reason="x"),
        lambda r: r.revoke_all(reason="x"),
        lambda r: r.record(ID, EventKind.SIGNAL_RECORDED, reason="x", actor="m"),
        lambda r: r.sync([make()], actor="m"),
        lambda r: r.update(make(owner="someone-else@example.com"), actor="m"),
        lambda r: r.retire(ID, actor="m"),
    ],
    ids=["register", "activate", "revoke", "revoke_all", "record", "sync", "update", "retire"],
)
def test_every_keyless_change_to_an_audited_registry_is_refused_and_writes_nothing(
    audited: str, tamper: Tamper, change: Any
) -> None:
    before = tamper.events()
    rows = tamper.query("SELECT * FROM integrations ORDER BY id")
    with Registry.open(audited) as registry, pytest.raises(AuditError, match="audit key"):
        change(registry)
    assert tamper.events() == before
    assert tamper.query("SELECT * FROM integrations ORDER BY id") == rows
    assert verify(audited).ok


def test_another_key_cannot_change_an_audited_registry(audited: str, tamper: Tamper) -> None:
    before = tamper.events()
    with Registry.open(audited) as registry:
        registry.attach_audit(OTHER_KEY)
        with pytest.raises(AuditError, match="audited with another key"):
            registry.retire(ID, actor="mallory")
    tamper.drop_audit_log()  # even with the log out of the way
    with Registry.open(audited) as registry:
        if tamper.postgres:  # the log's tables are not recreated: nothing to attach
            with pytest.raises(AuditError, match="no audit_log tables"):
                registry.attach_audit(OTHER_KEY)
        else:
            registry.attach_audit(OTHER_KEY)
        with pytest.raises(AuditError, match=r"audited with another key|needs the audit key"):
            registry.retire(ID, actor="mallory")
    assert tamper.events() == before


def test_the_database_refuses_to_change_or_remove_the_mark(audited: str, tamper: Tamper) -> None:
    statements = ["DELETE FROM audit_mark", "UPDATE audit_mark SET key_check = 'x'"]
    if tamper.postgres:
        statements.append("TRUNCATE audit_mark")
    for statement in statements:
        with pytest.raises(tamper.errors, match="the audit mark is permanent"):
            tamper.sql(statement)
    with pytest.raises(tamper.errors):
        tamper.sql("INSERT INTO audit_mark (id, key_check, marked_at) VALUES (2, 'x', 'y')")
    assert len(tamper.query("SELECT * FROM audit_mark")) == 1


def test_a_missing_mark_is_reported_and_restored_on_the_record_by_the_next_keyed_change(
    audited: str, tamper: Tamper
) -> None:
    tamper.delete_audit_mark()
    report = verify(audited)
    assert (report.ok, report.problem) == (False, P.AUDIT_MARK_INVALID)
    assert "audit mark is missing" in report.message
    with Registry.open(audited) as registry:
        registry.attach_audit(KEY)
        assert registry.verify_audit().problem is P.AUDIT_MARK_INVALID  # opening heals nothing
        registry.retire("slack-aware", actor="alice")
    assert verify(audited).ok
    with AuditLog.open(audited, KEY) as log:
        assert [e.action for e in log.entries()][-2:] == ["audit_mark_restored", "retired"]
    with Registry.open(audited) as registry, pytest.raises(AuditError, match="audit key"):
        registry.retire(ID, actor="mallory")


def test_a_lost_mark_table_fails_closed_and_is_reported(audited: str, tamper: Tamper) -> None:
    tamper.sql("DROP TABLE audit_mark")
    with Registry.open(audited) as registry, pytest.raises(StoreError, match="audit_mark table"):
        registry.retire(ID, actor="mallory")
    report = verify(audited)
    assert (report.ok, report.problem) == (False, P.AUDIT_MARK_INVALID)
    assert "lost its audit_mark table" in report.message


def _as_before_the_mark(tamper: Tamper, version: int) -> None:
    """Make the database look as a release before the audit mark left it."""
    if tamper.postgres:
        tamper.sql(
            "DROP TABLE audit_mark",
            "DROP FUNCTION audit_mark_permanent()",
            ("UPDATE schema_version SET version = ?", (version,)),
        )
    else:
        triggers = tamper.query(  # version 4's registry generation goes too
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%generation'"
        )
        tamper.sql(
            *(f"DROP TRIGGER {name}" for (name,) in triggers),
            "DROP TABLE registry_generation",
            "DROP TABLE audit_mark",
            f"PRAGMA user_version = {version}",
        )


def _schema_version(tamper: Tamper) -> int:
    query = "SELECT version FROM schema_version" if tamper.postgres else "PRAGMA user_version"
    return int(tamper.query(query)[0][0])


def test_upgrading_an_audited_older_registry_marks_it(audited: str, tamper: Tamper) -> None:
    _as_before_the_mark(tamper, 2)  # as the release before the mark left it
    with Registry.open(audited) as registry, pytest.raises(AuditError, match="audit key"):
        registry.retire(ID, actor="mallory")
    schema = _pg_store.SCHEMA_VERSION if tamper.postgres else _store.SCHEMA_VERSION
    assert _schema_version(tamper) == schema
    assert verify(audited).ok


def test_upgrading_an_older_registry_without_audit_log_leaves_it_unaudited(
    db: str, tamper: Tamper
) -> None:
    with Registry.open(db) as registry:
        registry.register(make(), actor="alice")
    _as_before_the_mark(tamper, 2)
    with Registry.open(db) as registry:
        registry.activate(ID, actor="alice")  # never audited: keyless changes as before
        assert registry.get(ID).state is S.ACTIVE


# ------------------------------------------------------------------ adoption


@pytest.fixture
def unaudited(db: str, clock: FrozenClock) -> str:
    """A registry used without an audit key: three events no entry records."""
    with Registry.open(db, clock=clock) as registry:
        registry.register(make(), actor="alice")
        registry.register(make("slack-aware", credential="slack-token"), actor="alice")
        registry.activate(ID, actor="alice")
    return db


def test_a_registry_never_audited_fails_verification_until_adopted(
    unaudited: str, clock: FrozenClock, tamper: Tamper
) -> None:
    report = verify(unaudited)
    assert (report.ok, report.problem, report.first_bad_event) == (False, P.EVENT_UNAUDITED, 1)
    assert "or this registry was never audited" in report.message
    with Registry.open(unaudited, clock=clock) as registry:
        registry.attach_audit(KEY)
        with pytest.raises(AuditError, match=r"hf-gov audit adopt.*nothing was written"):
            registry.activate("slack-aware", actor="alice")
        assert registry.adopt_audit(actor="alice", reason="start auditing") == 3
        registry.activate("slack-aware", actor="alice")  # audited like any change now
    report = verify(unaudited)
    assert report.ok, report.message
    assert (report.entries_checked, report.events_checked) == (5, 4)
    with AuditLog.open(unaudited, KEY) as log:
        entries = list(log.entries())
    assert entries[0].action == "audit_adopted"
    assert entries[0].evidence == {
        "events": 3,
        "first_event_seq": 1,
        "last_event_seq": 3,
        "reason": "start auditing",
    }
    assert [
        (e.action, e.evidence["event_seq"], e.evidence.get("adopted")) for e in entries[1:]
    ] == [
        ("registered", 1, True),
        ("registered", 2, True),
        ("activated", 3, True),
        ("activated", 4, None),
    ]
    with Registry.open(unaudited) as registry, pytest.raises(AuditError, match="audit key"):
        registry.retire(ID, actor="mallory")


def test_adoption_happens_once(unaudited: str, tamper: Tamper) -> None:
    with Registry.open(unaudited) as registry:
        registry.attach_audit(KEY)
        registry.adopt_audit(actor="alice", reason="start auditing")
        with pytest.raises(AuditError, match="nothing to adopt"):
            registry.adopt_audit(actor="alice", reason="again")
    tamper.delete_audit_mark()
    with Registry.open(unaudited) as registry:
        registry.retire("slack-aware", actor="mallory")  # keyless, behind the mark's back
    with Registry.open(unaudited) as registry:
        registry.attach_audit(KEY)
        with pytest.raises(AuditError, match="already holds an adoption"):
            registry.adopt_audit(actor="mallory", reason="cover my tracks")
    assert verify(unaudited).problem is P.EVENT_UNAUDITED


def test_adoption_never_covers_a_deleted_or_rewritten_event(unaudited: str, tamper: Tamper) -> None:
    with Registry.open(unaudited) as registry:
        registry.attach_audit(KEY)
        registry.adopt_audit(actor="alice", reason="start auditing")
    tamper.sql(
        tamper.drop_trigger("audit_log", "delete"),
        tamper.drop_trigger("audit_log_head", "delete"),
        "DELETE FROM audit_log WHERE seq > 1",
        "DELETE FROM audit_log_head",
    )
    with Registry.open(unaudited) as registry:
        registry.attach_audit(KEY)
        with pytest.raises(AuditError, match="does not verify, nothing adopted"):
            registry.adopt_audit(actor="mallory", reason="again")


def test_adoption_is_refused_when_events_were_rewritten(db: str, tamper: Tamper) -> None:
    with Registry.open(db) as registry:
        registry.attach_audit(KEY)
        registry.register(make(), actor="alice")
    tamper.delete_audit_mark()
    with Registry.open(db) as registry:
        registry.activate(ID, actor="mallory")
    tamper.update_event(1, "actor = 'mallory'")
    with Registry.open(db) as registry:
        registry.attach_audit(KEY)
        with pytest.raises(AuditError, match=r"nothing adopted: event 1 .* is not the event"):
            registry.adopt_audit(actor="mallory", reason="cover my tracks")


def test_adoption_needs_the_key_and_a_reason(unaudited: str) -> None:
    with Registry.open(unaudited) as registry:
        with pytest.raises(AuditError, match="needs the audit key"):
            registry.adopt_audit(actor="alice", reason="x")
        registry.attach_audit(KEY)
        with pytest.raises(ValidationError, match=r"^reason"):
            registry.adopt_audit(actor="alice", reason="")


# ------------------------------------------------------------------ verification entry points


def test_verifying_without_the_key_needs_a_signed_checkpoint_and_its_public_key(
    audited: str, keyless: Registry
) -> None:
    with pytest.raises(AuditError, match="needs a signed checkpoint and its public key"):
        keyless.verify_audit()
    with AuditLog.open(audited, KEY) as log:
        hmac_checkpoint = log.checkpoint()
        public_key = log.public_key()
    with pytest.raises(AuditError, match="needs a signed checkpoint"):
        keyless.verify_audit(hmac_checkpoint, public_key=public_key)


def test_the_cross_check_lists_at_most_100_mismatches_and_counts_them_all(
    db: str, clock: FrozenClock, tamper: Tamper
) -> None:
    with Registry.open(db, clock=clock) as registry:
        registry.register(make(), actor="alice")
        for i in range(150):
            clock.advance(timedelta(seconds=1))
            registry.record(ID, EventKind.SIGNAL_RECORDED, reason=f"seen {i}", actor="x")
    report = verify(db)
    assert len(report.mismatches) == 100
    assert report.message.endswith("(151 problems in all)")


def test_an_auditor_without_the_key_verifies_and_catches_tampering_on_either_store(
    audited: str, tamper: Tamper
) -> None:
    """The public-key check reads the log through the audit storage port: SQLite and PostgreSQL."""
    with Registry.open(audited) as registry:
        log = registry.attach_audit(KEY)
        checkpoint = log.signed_checkpoint()
        public_key = log.public_key()
    with Registry.open(audited) as auditor:  # no key at all
        report = auditor.verify_audit(checkpoint, public_key=public_key)
        assert report.ok, report.message
        assert (report.entries_checked, report.events_checked) == (5, 5)
        assert "entries 1..5 as signed" in report.message
    tamper.update_event(3, "actor = 'mallory'")
    with Registry.open(audited) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem, report.first_bad_event) == (False, P.EVENT_REWRITTEN, 3)
    tamper.sql(
        tamper.drop_trigger("audit_log", "delete"),
        tamper.drop_trigger("audit_log_head", "delete"),
        "DELETE FROM audit_log WHERE seq > 3",
    )
    with Registry.open(audited) as auditor:
        report = auditor.verify_audit(checkpoint, public_key=public_key)
    assert (report.ok, report.problem) == (False, P.TRUNCATED_AFTER_CHECKPOINT)
