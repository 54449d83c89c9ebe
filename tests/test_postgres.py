"""What only the PostgreSQL store has: roles, triggers, migrations, faults and notifications.

What both stores share (lifecycle, events, audit chain, tampering, facade,
CLI) is tested once, on both, through the ``store_url`` fixture.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from hf_api_governance import (
    AuditLog,
    Event,
    EventKind,
    IntegrationState,
    Registry,
    Revoker,
    StoreError,
    SuspensionCause,
)
from hf_api_governance._storage import postgres as pg_store
from hf_api_governance._storage.postgres import PostgresStore
from hf_api_governance.testing import make_integration
from tests.pg_support import Cluster

KEY = bytes(range(32))
DOCS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
S = IntegrationState


def admin(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET search_path = hf_gov")
    return conn


def eventually(check: Callable[[], bool], within: float = 10.0) -> bool:
    """Poll ``check`` until it holds (a liveness bound, not a speed assertion)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


@pytest.fixture
def registry(pg_url: str) -> Iterator[Registry]:
    with Registry.open(pg_url) as reg:
        reg.attach_audit(KEY)
        reg.register(make_integration(id="aware", credential="aware-token"), actor="a")
        reg.activate("aware", actor="a")
        yield reg


# -- the database enforces what the library promises --------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'mallory'",
        "DELETE FROM events",
        "TRUNCATE events CASCADE",
        "UPDATE audit_log SET body = body",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DELETE FROM audit_log_head",
        "DELETE FROM revoked_credentials",
    ],
)
def test_append_only_tables_refuse_changes_even_from_the_owner(
    registry: Registry, pg_url: str, statement: str
) -> None:
    registry.revoke("aware", by=Revoker.MIMECAST, reason="r")
    with admin(pg_url) as conn, pytest.raises(psycopg.Error, match="append-only"):
        conn.execute(statement.encode())


def _docs_sql(marker: str) -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- pg-roles: {marker} -->\n```sql\n(.*?)```", text, re.S)
    assert match, f"docs/operations.md has no '{marker}' block"
    return match.group(1)


def test_the_documented_least_privilege_role_works_and_is_refused_the_rest(
    pg_cluster: Cluster,
) -> None:
    """The two SQL blocks of docs/operations.md, as written (role names made unique)."""
    suffix = f"_{time.monotonic_ns()}"

    def named(sql: str) -> str:
        return re.sub(r"\b(hfgov_owner|hfgov_app|hfgov)\b", rf"\g<1>{suffix}", sql)

    with psycopg.connect(pg_cluster.url(), autocommit=True) as su:
        for statement in named(_docs_sql("create")).split(";"):
            if statement.strip():
                su.execute(statement.encode())
    database = f"hfgov{suffix}"
    owner_url = pg_cluster.url(database, user=f"hfgov_owner{suffix}")
    app_url = pg_cluster.url(database, user=f"hfgov_app{suffix}")
    try:
        Registry.open(owner_url).close()  # the owner creates the schema
        with psycopg.connect(owner_url, autocommit=True) as owner:
            owner.execute(named(_docs_sql("grant")).encode())
        with Registry.open(app_url) as registry:  # every host: the application role
            log = registry.attach_audit(KEY)
            registry.register(make_integration(id="aware", credential="aware-token"), actor="a")
            registry.activate("aware", actor="a")
            registry.update(
                make_integration(id="aware", credential="aware-token", owner="x@example.com"),
                actor="a",
            )
            registry.revoke("aware", by=Revoker.MIMECAST, reason="r")
            log.append(actor="svc", action="call_denied", integration_id="aware")
            assert log.verify().ok
            assert registry.get("aware").state is S.REVOKED
        with psycopg.connect(app_url, autocommit=True) as app:
            app.execute("SET search_path = hf_gov")
            for statement in (
                "UPDATE events SET actor = 'x'",
                "DELETE FROM events",
                "TRUNCATE events",
                "UPDATE audit_log SET body = body",
                "DELETE FROM audit_log",
                "TRUNCATE audit_log",
                "DELETE FROM audit_log_head",
                "DELETE FROM revoked_credentials",
                "DROP TRIGGER events_no_delete ON events",
                "ALTER TABLE audit_log DISABLE TRIGGER USER",
                "SET session_replication_role = replica",
                "CREATE TABLE hf_gov.intruder (x int)",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    app.execute(statement.encode())
    finally:
        pg_cluster.sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        pg_cluster.sql(f"DROP ROLE IF EXISTS hfgov_app{suffix}")
        pg_cluster.sql(f"DROP ROLE IF EXISTS hfgov_owner{suffix}")


def test_a_newer_schema_is_refused_and_an_older_one_migrated_forward(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with admin(pg_url) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (pg_store.SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match=r"schema version \d+, newer than"):
        Registry.open(pg_url)
    with admin(pg_url) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (pg_store.SCHEMA_VERSION,))
    step = ("CREATE TABLE added_later (x integer)",)
    monkeypatch.setattr(pg_store, "MIGRATIONS", [*pg_store.MIGRATIONS, step])
    monkeypatch.setattr(pg_store, "SCHEMA_VERSION", len(pg_store.MIGRATIONS))
    with Registry.open(pg_url) as registry:
        registry.register(make_integration(), actor="a")
    with admin(pg_url) as conn:
        (version,) = conn.execute("SELECT version FROM schema_version").fetchone() or (0,)
        assert version == pg_store.SCHEMA_VERSION
        assert conn.execute("SELECT to_regclass('hf_gov.added_later')").fetchone() != (None,)


def test_a_schema_of_another_application_is_refused(pg_cluster: Cluster) -> None:
    name = pg_cluster.new_database(template="template0")
    try:
        pg_cluster.sql("CREATE SCHEMA hf_gov; CREATE TABLE hf_gov.things (x int)", name)
        with pytest.raises(StoreError, match="holds tables of another application"):
            Registry.open(pg_cluster.url(name))
    finally:
        pg_cluster.drop_database(name)


def test_connection_credentials_never_appear_in_errors(pg_cluster: Cluster) -> None:
    secret = "Zq4Wn8Rt2Lx6Vb"
    for url in (
        pg_cluster.url("no_such_db").replace("postgres@", f"postgres:{secret}@"),
        f"postgresql://app:{secret}@127.0.0.1:1/hfgov?connect_timeout=2",
        f"postgresql://app:{secret}%zz@/x",
        f"postgresql:///hfgov?password={secret}&port=notaport",
    ):
        with pytest.raises(StoreError) as info:
            Registry.open(url, timeout=2)
        assert secret not in str(info.value)
        assert secret not in repr(info.value)
        assert "postgresql://" in str(info.value)


# -- faults --------------------------------------------------------------------------


def test_a_backend_terminated_mid_transaction_leaves_nothing_half_written(
    registry: Registry, pg_url: str
) -> None:
    """The first attempt dies inside its transaction; the retry records the change once."""
    kills: list[int] = []

    def terminate(conn: Any, event: Event) -> None:
        if event.kind is EventKind.SUSPENDED and len(kills) < 2:
            pid = conn.info.backend_pid
            with psycopg.connect(pg_url, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            kills.append(pid)
            conn.execute("SELECT 1")  # the transaction is gone with its connection

    audit = registry._on_event  # the audit log's hook: the entry is written first

    def hook(conn: Any, event: Event) -> None:
        if audit is not None:
            audit(conn, event)
        terminate(conn, event)

    registry._on_event = hook
    registry.suspend("aware", cause=SuspensionCause.MANUAL, reason="maintenance", actor="ops")
    assert len(kills) == 2
    history = registry.history("aware")
    assert [e.kind for e in history].count(EventKind.SUSPENDED) == 1
    with AuditLog.open(pg_url, KEY) as log:
        assert log.verify().ok
        assert [e.action for e in log.entries()].count("suspended") == 1


def test_a_transaction_killed_every_time_gives_up_and_writes_nothing(
    registry: Registry, pg_url: str
) -> None:
    def terminate(conn: Any, event: Event) -> None:
        with psycopg.connect(pg_url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
        conn.execute("SELECT 1")

    registry._on_event = terminate
    before = registry.get("aware")
    with pytest.raises(StoreError, match="gave up after 6 attempts"):
        registry.suspend("aware", cause=SuspensionCause.MANUAL, reason="maintenance", actor="ops")
    registry._on_event = None
    assert registry.get("aware") == before
    with AuditLog.open(pg_url, KEY) as log:
        assert log.verify().entries_checked == 2


def test_serialisation_failures_are_retried_a_bounded_number_of_times(registry: Registry) -> None:
    failures = [0]

    def conflict(conn: Any, event: Event) -> None:
        if failures[0] < 2:
            failures[0] += 1
            conn.execute(
                "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure';"
                " END $$"
            )

    registry._on_event = conflict
    registry.record("aware", EventKind.SIGNAL_RECORDED, reason="seen", actor="c")
    assert failures[0] == 2
    assert [e.kind for e in registry.history("aware")].count(EventKind.SIGNAL_RECORDED) == 1


def _listener_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [r[0] for r in rows]


def test_a_lost_listener_fails_closed_then_recovers(registry: Registry, pg_url: str) -> None:
    store = registry._store
    assert isinstance(store, PostgresStore)
    assert eventually(lambda: store.version() is not None)
    first = store.version()
    (pid,) = _listener_pids(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    # Down: nothing kept (every call reads the database); then back under a new generation.
    assert eventually(lambda: store.version() is None or store.version() != first)
    assert eventually(lambda: store.version() is not None)
    assert store.version() != first
    assert registry.get("aware").state is S.ACTIVE


def test_a_revocation_by_another_host_invalidates_what_was_kept(
    registry: Registry, pg_url: str
) -> None:
    store = registry._store
    assert isinstance(store, PostgresStore)
    assert store.settle()
    kept = registry.get_for_call("aware")
    assert registry.get_for_call("aware")[0] is kept[0]  # no change: no round trip
    with Registry.open(pg_url) as other_host:
        other_host.attach_audit(KEY)  # an audited registry: every host holds the key
        other_host.revoke("aware", by=Revoker.MIMECAST, reason="revoked")
    # Not waiting on the database: on the notification alone.
    assert eventually(lambda: registry.get_for_call("aware")[0].state is S.REVOKED)
    assert registry.get_for_call("aware")[1] == frozenset({"aware-token"})


@pytest.mark.slow
def test_a_server_restart_fails_closed_then_recovers(
    pg_cluster: Cluster, registry: Registry
) -> None:
    store = registry._store
    assert isinstance(store, PostgresStore)
    assert eventually(lambda: store.version() is not None)
    pg_cluster.stop()
    try:
        assert eventually(lambda: store.version() is None)  # nothing kept any more
        with pytest.raises(StoreError):
            registry.get_for_call("aware")  # a governed call would not be sent
        with pytest.raises(StoreError):
            registry.suspend("aware", cause=SuspensionCause.MANUAL, reason="r", actor="ops")
    finally:
        pg_cluster.start()
    assert registry.get_for_call("aware")[0].state is S.ACTIVE  # reconnects by itself
    registry.suspend("aware", cause=SuspensionCause.MANUAL, reason="after restart", actor="ops")
    assert eventually(lambda: store.version() is not None)
    assert registry.get("aware").state is S.SUSPENDED


def test_concurrent_threads_share_one_store_safely(registry: Registry) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(10):
                registry.record("aware", EventKind.SIGNAL_RECORDED, reason=f"{n}/{i}", actor="t")
                registry.get_for_call("aware")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(registry.history("aware")) == 2 + 40
