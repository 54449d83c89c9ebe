"""The registry: lifecycle, events, licences, revocation, sync, storage and concurrency."""

from __future__ import annotations

import multiprocessing
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Hashable
from contextlib import AbstractContextManager, closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from hf_api_governance import (
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    FrozenClock,
    IllegalTransition,
    Integration,
    IntegrationNotFound,
    IntegrationState,
    Licence,
    Registry,
    Revoker,
    Secret,
    Service,
    StoreError,
    SuspensionCause,
    SyncReport,
    ValidationError,
)
from hf_api_governance import strategies as hst
from hf_api_governance._model.lifecycle import next_state, replay
from hf_api_governance._storage import sqlite as _store
from hf_api_governance._storage.store import (
    Store,
    StoreConnection,
    StoreLock,
    StoreSession,
)
from hf_api_governance._storage.stores import open_store
from tests.other_process import audit_in_another_process, revoke_in_another_process

S = IntegrationState
T = TypeVar("T")
K = EventKind
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)


def make(ident: str = "okta-directory", **overrides: Any) -> Integration:
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
        "enablement": {"tenant": "example"},
    }
    fields.update(overrides)
    return Integration(**fields)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def registry(clock: FrozenClock, store_url: str) -> Any:
    """An empty registry, once in a SQLite file and once in a PostgreSQL database."""
    with Registry.open(store_url, clock=clock) as reg:
        yield reg


def settle(registry: Registry) -> None:
    """Wait until changes committed by other processes were notified (PostgreSQL only).

    SQLite sees them at the next read; PostgreSQL as soon as the notification
    arrives, which a test must not race.
    """
    wait = getattr(registry._store, "settle", None)
    if wait is not None:
        assert wait()


def in_transaction(conn: Any) -> bool:
    """Whether a store's native connection (sqlite3 or psycopg) is inside a transaction."""
    if isinstance(conn, sqlite3.Connection):
        return conn.in_transaction
    import psycopg

    return bool(conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)


def kinds(integration: Integration) -> list[EventKind]:
    return [e.kind for e in integration.history]


def snapshot(registry: Registry) -> tuple[Any, ...]:
    """Everything observable: declared fields, states, histories, revoked names."""
    items = registry.integrations()
    return (
        tuple((i, i.state, i.history) for i in items),
        registry.revoked_credentials(),
    )


# ------------------------------------------------------------------ basics


def test_register_stores_the_declaration_as_pending_with_one_event(
    registry: Registry,
) -> None:
    declared = make(state=S.ACTIVE)  # state is ignored: the registry owns it
    stored = registry.register(declared, actor="alice@example.com", reason="new sync")
    assert stored == attrs.evolve(declared, state=S.PENDING)
    assert stored.state is S.PENDING
    (event,) = stored.history
    assert (event.kind, event.actor, event.reason, event.clause, event.at) == (
        K.REGISTERED,
        "alice@example.com",
        "new sync",
        "1.1",
        NOW,
    )
    assert event.seq is not None
    assert registry.get("okta-directory") == stored
    assert registry.history("okta-directory") == stored.history


def test_registering_an_id_twice_is_an_illegal_transition(registry: Registry) -> None:
    registry.register(make(), actor="alice")
    before = snapshot(registry)
    with pytest.raises(IllegalTransition, match="cannot register"):
        registry.register(make(name="Other"), actor="bob")
    assert snapshot(registry) == before


def test_unknown_ids_raise_integration_not_found(registry: Registry) -> None:
    for call in (
        lambda: registry.get("nope"),
        lambda: registry.history("nope"),
        lambda: registry.activate("nope", actor="a"),
        lambda: registry.record("nope", K.SIGNAL_RECORDED, reason="r", actor="a"),
    ):
        with pytest.raises(IntegrationNotFound, match="nope"):
            call()


@given(hst.integrations())
def test_stored_integrations_read_back_equal_to_what_was_registered(
    integration: Integration,
) -> None:
    with Registry.open() as registry:
        registry.register(integration, actor="alice")
        stored = registry.get(integration.id)
        (listed,) = registry.integrations(with_history=False)
    assert stored == integration.declared() == listed
    for got, want in zip(stored.licences, integration.licences, strict=True):
        assert type(got.valid_from) is type(want.valid_from)
        assert type(got.valid_until) is type(want.valid_until)


def test_integrations_filters_by_service_kind_and_state(registry: Registry) -> None:
    registry.register(make("a", service="engage"), actor="x")
    registry.register(make("b", service="aware"), actor="x")
    registry.register(
        make("c", service="aware", kind="mimecast_api", vendor="Mimecast", licences=[]),
        actor="x",
    )
    registry.activate("b", actor="x")
    assert [i.id for i in registry.integrations()] == ["a", "b", "c"]
    assert [i.id for i in registry.integrations(service=Service.AWARE)] == ["b", "c"]
    assert [i.id for i in registry.integrations(kind=ApiKind.MIMECAST_API)] == ["c"]
    assert [i.id for i in registry.integrations(state=S.ACTIVE)] == ["b"]
    (b,) = registry.integrations(service=Service.AWARE, state=S.ACTIVE)
    assert kinds(b) == [K.REGISTERED, K.ACTIVATED]
    assert b.licences == make().licences
    assert registry.integrations(service=Service.AWARE, with_history=False)[0].history == ()


# ------------------------------------------------------------------ lifecycle


def test_the_full_lifecycle_records_one_event_per_change(registry: Registry) -> None:
    registry.register(make(), actor="alice")
    registry.activate("okta-directory", actor="alice")
    registry.suspend(
        "okta-directory",
        cause=SuspensionCause.API_CHANGED,
        reason="v1 endpoints removed",
        evidence={"status": 410},
        actor="client",
    )
    registry.reinstate("okta-directory", reason="migrated to v2", actor="alice")
    revoked = registry.revoke("okta-directory", by=Revoker.MIMECAST, reason="invalid_client")
    assert revoked.state is S.REVOKED
    back = registry.replace_credential("okta-directory", "okta-token-2", actor="alice")
    assert back.state is S.ACTIVE
    assert back.credential == "okta-token-2"
    retired = registry.retire("okta-directory", actor="alice", reason="replaced by Entra")
    assert retired.state is S.RETIRED
    assert kinds(retired) == [
        K.REGISTERED,
        K.ACTIVATED,
        K.SUSPENDED,
        K.REINSTATED,
        K.REVOKED,
        K.CREDENTIAL_REPLACED,
        K.RETIRED,
    ]
    by_kind = {e.kind: e for e in retired.history}
    assert by_kind[K.SUSPENDED].clause == "1.1.2"
    assert dict(by_kind[K.SUSPENDED].evidence) == {"status": 410, "cause": "api_changed"}
    assert by_kind[K.REVOKED].actor == "mimecast"
    assert by_kind[K.REVOKED].clause == "1.1.1"
    assert dict(by_kind[K.REVOKED].evidence) == {"revoker": "mimecast"}
    seqs = [e.seq or 0 for e in retired.history]
    assert seqs == sorted(set(seqs))
    calls: list[Callable[[], object]] = [
        lambda: registry.activate("okta-directory", actor="a"),
        lambda: registry.verify_info("okta-directory", actor="a"),
        lambda: registry.retire("okta-directory", actor="a"),
    ]
    for call in calls:
        with pytest.raises(IllegalTransition, match="retired"):
            call()


def test_an_illegal_transition_changes_nothing(registry: Registry) -> None:
    registry.register(make(), actor="alice")
    before = snapshot(registry)
    with pytest.raises(IllegalTransition, match="pending: cannot suspend"):
        registry.suspend("okta-directory", cause=SuspensionCause.MANUAL, reason="r", actor="a")
    with pytest.raises(IllegalTransition, match="pending: cannot reinstate"):
        registry.reinstate("okta-directory", reason="r", actor="a")
    assert snapshot(registry) == before


def test_record_only_takes_events_that_keep_the_state(registry: Registry) -> None:
    registry.register(make(), actor="alice")
    event = registry.record(
        "okta-directory",
        K.DEPRECATION_NOTICED,
        reason="Deprecation header",
        actor="client",
        evidence={"header": "Deprecation", "value": "@1767225600"},
    )
    assert event.seq is not None
    assert event.clause == "1.1.2"
    assert registry.get("okta-directory").history[-1] == event
    with pytest.raises(ValidationError, match="kind"):
        registry.record("okta-directory", K.ACTIVATED, reason="r", actor="a")
    assert registry.get("okta-directory").state is S.PENDING


def test_verify_info_sets_the_time_and_refuses_the_future(
    registry: Registry, clock: FrozenClock
) -> None:
    registry.register(make(), actor="alice")
    assert registry.verify_info("okta-directory", actor="bob").info_verified_at == NOW
    earlier = NOW - timedelta(days=3)
    verified = registry.verify_info("okta-directory", actor="bob", at=earlier)
    assert verified.info_verified_at == earlier
    assert verified.history[-1].kind is K.INFO_VERIFIED
    with pytest.raises(ValidationError, match="future"):
        registry.verify_info("okta-directory", actor="bob", at=NOW + timedelta(seconds=1))
    with pytest.raises(ValidationError, match="naive"):
        registry.verify_info("okta-directory", actor="bob", at=datetime(2026, 1, 1))  # noqa: DTZ001


def test_update_changes_declared_fields_only_and_records_them(registry: Registry) -> None:
    registry.register(make(), actor="alice")
    registry.activate("okta-directory", actor="alice")
    current = registry.get("okta-directory")
    updated = registry.update(
        attrs.evolve(current, name="Okta sync v2", state=S.RETIRED, history=()), actor="bob"
    )
    assert updated.name == "Okta sync v2"
    assert updated.state is S.ACTIVE
    assert updated.history[-1].kind is K.UPDATED
    assert list(updated.history[-1].evidence["fields"]) == ["name"]
    # Nothing changed: nothing recorded.
    assert registry.update(updated, actor="bob").history == updated.history
    with pytest.raises(ValidationError, match="add_licence"):
        registry.update(attrs.evolve(updated, licences=()), actor="bob")
    with pytest.raises(IntegrationNotFound):
        registry.update(make("ghost"), actor="bob")


# ------------------------------------------------------------------ licences


def test_licences_are_added_and_removed_with_events(registry: Registry) -> None:
    registry.register(make(licences=[]), actor="alice")
    lic = Licence("Okta", "Events API", datetime(2026, 3, 1, 12, tzinfo=UTC), reference="PO-7")
    added = registry.add_licence("okta-directory", lic, actor="bob", reason="PO signed")
    assert added.licences == (lic,)
    assert added.history[-1].kind is K.LICENCE_ADDED
    assert added.history[-1].clause == "1.1.2"
    assert added.history[-1].evidence["reference"] == "PO-7"
    removed = registry.remove_licence("okta-directory", lic, actor="bob")
    assert removed.licences == ()
    assert removed.history[-1].kind is K.LICENCE_REMOVED
    before = snapshot(registry)
    with pytest.raises(ValidationError, match="no such licence"):
        registry.remove_licence("okta-directory", lic, actor="bob")
    assert snapshot(registry) == before


@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 4)), max_size=12),
    st.lists(hst.licences(), min_size=5, max_size=5),
)
@settings(max_examples=30)
def test_licence_add_remove_keeps_a_multiset(
    steps: list[tuple[bool, int]], pool: list[Licence]
) -> None:
    expected: list[Licence] = []
    with Registry.open() as registry:
        registry.register(make(licences=[]), actor="a")
        for add, n in steps:
            lic = pool[n]
            if add:
                registry.add_licence("okta-directory", lic, actor="a")
                expected.append(lic)
            elif lic in expected:
                registry.remove_licence("okta-directory", lic, actor="a")
                expected.remove(lic)
            else:
                with pytest.raises(ValidationError):
                    registry.remove_licence("okta-directory", lic, actor="a")
        stored = registry.get("okta-directory")
    assert Counter(stored.licences) == Counter(expected)
    assert replay(stored.history) is S.PENDING


# ------------------------------------------------------------------ revocation


def test_revoke_records_every_credential_entry_as_revoked(registry: Registry) -> None:
    auth = AuthSpec(
        "oauth2_client_credentials",
        {
            "token_url": "https://api.services.mimecast.com/oauth/token",
            "client_id": "mc-aware-client-id",
            "client_secret": "mc-aware-client-secret",
        },
    )
    registry.register(
        make("mc-aware", kind="mimecast_api", vendor="Mimecast", credential=None, auth=auth),
        actor="alice",
    )
    registry.activate("mc-aware", actor="alice")
    revoked = registry.revoke(
        "mc-aware",
        by=Revoker.MIMECAST,
        reason="token endpoint answered invalid_client",
        evidence={"status": 401, "error": "invalid_client", "revoker": "customer"},
    )
    event = revoked.history[-1]
    assert event.evidence["revoker"] == "mimecast"  # cannot be overridden by evidence
    assert registry.revoked_credentials() == {"mc-aware-client-id", "mc-aware-client-secret"}
    assert registry.is_credential_revoked("mc-aware-client-secret")
    assert not registry.is_credential_revoked("okta-directory-token")
    with pytest.raises(IllegalTransition, match="revoked: cannot revoke"):
        registry.revoke("mc-aware", by=Revoker.CUSTOMER, reason="again")


def test_replace_credential_refuses_a_revoked_name_and_leaves_revoked_state(
    registry: Registry,
) -> None:
    registry.register(make(), actor="alice")
    registry.revoke("okta-directory", by=Revoker.THIRD_PARTY, reason="Okta revoked", actor="bob")
    before = snapshot(registry)
    with pytest.raises(ValidationError, match="revoked credential") as info:
        registry.replace_credential("okta-directory", "okta-directory-token", actor="alice")
    assert info.value.field == "credential"
    with pytest.raises(ValidationError, match="looks like a secret"):
        registry.replace_credential("okta-directory", "Zq8Xv3Lm0Pn7Rt2Wb9Yc4Kd6", actor="a")
    assert snapshot(registry) == before
    fresh = registry.replace_credential("okta-directory", "okta-token-2026", actor="alice")
    assert fresh.state is S.ACTIVE
    assert fresh.history[-1].evidence["credential_entry"] == "okta-token-2026"


def test_replace_credential_refuses_while_an_auth_entry_is_still_revoked(
    registry: Registry,
) -> None:
    registry.register(make(auth={"scheme": "bearer", "token": "okta-bearer"}), actor="a")
    revoked = registry.revoke("okta-directory", by=Revoker.MIMECAST, reason="r")
    with pytest.raises(ValidationError, match="okta-bearer"):
        registry.replace_credential("okta-directory", "okta-token-2", actor="a")
    # Rename the auth entry first (a revoked integration can be updated), then replace.
    renamed = registry.update(
        attrs.evolve(revoked, auth=AuthSpec("bearer", {"token": "okta-bearer-2"})), actor="a"
    )
    assert renamed.state is S.REVOKED
    assert (
        registry.replace_credential("okta-directory", "okta-token-2", actor="a").state is S.ACTIVE
    )


def test_replace_credential_replaces_auth_entries_in_the_same_event(registry: Registry) -> None:
    oauth = {
        "scheme": "oauth2_client_credentials",
        "token_url": "https://acme.okta.com/oauth2/v1/token",
        "client_id": "okta-client-id",
        "client_secret": "okta-client-secret",
    }
    registry.register(make(credential=None, auth=oauth), actor="a")
    registry.revoke("okta-directory", by=Revoker.THIRD_PARTY, reason="r")
    with pytest.raises(ValidationError, match="okta-client-id"):  # still revoked
        registry.replace_credential(
            "okta-directory", auth_entries={"client_secret": "okta-secret-2"}, actor="a"
        )
    with pytest.raises(ValidationError, match="not an entry parameter") as info:
        registry.replace_credential("okta-directory", auth_entries={"token_url": "x"}, actor="a")
    assert info.value.field == "auth.token_url"
    with pytest.raises(ValidationError, match="give the new entry"):
        registry.replace_credential("okta-directory", actor="a")
    fresh = registry.replace_credential(
        "okta-directory",
        auth_entries={"client_id": "okta-id-2", "client_secret": "okta-secret-2"},
        actor="a",
        reason="new client from Okta",
    )
    assert fresh.state is S.ACTIVE
    assert fresh.credential is None
    assert fresh.credential_entries == ("okta-id-2", "okta-secret-2")
    assert fresh.auth is not None
    assert fresh.auth.params["token_url"] == oauth["token_url"]
    assert fresh.history[-1].kind is K.CREDENTIAL_REPLACED
    assert fresh.history[-1].evidence["auth_entries"] == (
        {"parameter": "client_id", "entry": "okta-id-2"},
        {"parameter": "client_secret", "entry": "okta-secret-2"},
    )
    plain = registry.register(make("plain"), actor="a")
    with pytest.raises(ValidationError, match="no auth spec"):
        registry.replace_credential(plain.id, auth_entries={"token": "t-2"}, actor="a")


def test_a_revoked_name_cannot_be_registered_or_introduced_by_update(registry: Registry) -> None:
    registry.register(make("a"), actor="x")
    registry.register(make("b"), actor="x")
    registry.revoke("a", by=Revoker.MIMECAST, reason="r")
    with pytest.raises(ValidationError, match="revoked"):
        registry.register(make("c", credential="a-token"), actor="x")
    with pytest.raises(ValidationError, match="revoked"):
        registry.update(attrs.evolve(registry.get("b"), credential="a-token"), actor="x")
    # The revoked integration itself can still be updated with its own names.
    assert registry.update(attrs.evolve(registry.get("a"), name="A"), actor="x").name == "A"


def test_revoke_all_revokes_every_live_integration_in_one_go(registry: Registry) -> None:
    for ident, service in (("a", "engage"), ("b", "aware"), ("c", "aware"), ("d", "aware")):
        registry.register(make(ident, service=service), actor="x")
    registry.activate("b", actor="x")
    registry.retire("c", actor="x")
    registry.revoke("d", by=Revoker.CUSTOMER, reason="r")
    ids = registry.revoke_all(reason="Mimecast revoked API access", service=Service.AWARE)
    assert ids == ["b"]
    assert registry.revoke_all(reason="all of it", evidence={"ticket": "INC-1"}) == ["a"]
    states = {i.id: i.state for i in registry.integrations()}
    assert states == {"a": S.REVOKED, "b": S.REVOKED, "c": S.RETIRED, "d": S.REVOKED}
    a = registry.get("a").history[-1]
    assert (a.actor, a.clause, dict(a.evidence)) == (
        "mimecast",
        "1.1.1",
        {"ticket": "INC-1", "revoker": "mimecast"},
    )
    assert registry.revoked_credentials() == {"a-token", "b-token", "d-token"}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda r: r.revoke("okta-directory", by="bogus", reason="r"), "by"),
        (lambda r: r.revoke("okta-directory", by=None, reason="r"), "by"),
        (lambda r: r.revoke("okta-directory", by=Revoker.CUSTOMER, reason=None), "reason"),
        (lambda r: r.revoke_all(by="bogus", reason="r"), "by"),
        (lambda r: r.revoke_all(reason=None), "reason"),
        (lambda r: r.revoke_all(reason="r", service="email"), "service"),
        (lambda r: r.suspend("okta-directory", cause="bogus", reason="r", actor="a"), "cause"),
        (lambda r: r.suspend("okta-directory", cause="manual", reason=None, actor="a"), "reason"),
    ],
)
def test_bad_revoke_and_suspend_arguments_name_the_field_and_change_nothing(
    registry: Registry, call: Callable[[Registry], object], field: str
) -> None:
    """Enum and reason arguments are validated before anything is written."""
    registry.register(make(), actor="x")
    registry.activate("okta-directory", actor="x")
    before = snapshot(registry)
    with pytest.raises(ValidationError) as info:
        call(registry)
    assert info.value.field == field
    assert snapshot(registry) == before


def test_revoke_and_suspend_accept_enum_values_as_text(registry: Registry) -> None:
    for ident, service in (("a", "engage"), ("b", "aware")):
        registry.register(make(ident, service=service), actor="x")
        registry.activate(ident, actor="x")
    suspended = registry.suspend("a", cause="API_CHANGED", reason="v2 gone", actor="x")  # type: ignore[arg-type]
    assert suspended.history[-1].evidence["cause"] == "api_changed"
    assert registry.revoke_all(by="third_party", reason="r", service="aware") == ["b"]  # type: ignore[arg-type]
    assert registry.revoke("a", by="customer", reason="r").state is S.REVOKED  # type: ignore[arg-type]


def test_evidence_is_scrubbed_of_secrets(registry: Registry) -> None:
    canary = "Zq8Xv3Lm0Pn7Rt2Wb9Yc4Kd6"
    registry.register(make(), actor="a")
    registry.activate("okta-directory", actor="a")
    stored = registry.revoke(
        "okta-directory",
        by=Revoker.MIMECAST,
        reason="401",
        evidence={
            "status": 401,
            "authorization": "Bearer abc",
            "echo": canary,
            "key": Secret(canary),
            "headers": {"WWW-Authenticate": 'Bearer error="invalid_token"'},
            "token_url": "https://api.services.mimecast.com/oauth/token",
        },
    )
    evidence = stored.history[-1].evidence
    assert canary not in repr(stored.history)
    assert evidence["authorization"] == "[redacted]"
    assert evidence["echo"] == "[redacted]"
    assert evidence["key"] == "[redacted]"
    assert evidence["headers"]["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert evidence["token_url"] == "https://api.services.mimecast.com/oauth/token"


# ------------------------------------------------------------------ sync


def test_sync_reports_added_updated_unchanged_and_undeclared(registry: Registry) -> None:
    registry.register(make("keep"), actor="x")
    registry.register(make("change"), actor="x")
    registry.register(make("gone"), actor="x")
    registry.register(make("old"), actor="x")
    registry.retire("old", actor="x")
    new_licence = Licence("Okta", "Events API", date(2026, 6, 1))
    report = registry.sync(
        [
            make("keep"),
            make("change", owner="Platform Team", licences=[new_licence]),
            make("new"),
        ],
        actor="ci",
    )
    assert report == SyncReport(
        added=("new",), updated=("change",), unchanged=("keep",), undeclared=("gone",)
    )
    assert report.changed
    change = registry.get("change")
    assert change.owner == "Platform Team"
    assert change.licences == (new_licence,)
    assert kinds(change)[1:] == [K.UPDATED, K.LICENCE_REMOVED, K.LICENCE_ADDED]
    assert all(e.actor == "ci" for e in change.history[1:])
    assert "gone" in {i.id for i in registry.integrations()}  # never deleted
    again = registry.sync([make("keep"), make("new")], actor="ci")
    assert not again.changed
    assert again.unchanged == ("keep", "new")


def test_sync_never_moves_info_verified_at_back(registry: Registry) -> None:
    registry.register(make(info_verified_at=NOW - timedelta(days=100)), actor="x")
    registry.verify_info("okta-directory", actor="bob")
    report = registry.sync([make(info_verified_at=NOW - timedelta(days=100))], actor="ci")
    assert report.unchanged == ("okta-directory",)
    assert registry.get("okta-directory").info_verified_at == NOW


def test_sync_writes_nothing_when_any_declaration_fails(registry: Registry) -> None:
    registry.register(make("a"), actor="x")
    registry.register(make("r"), actor="x")
    registry.retire("r", actor="x")
    before = snapshot(registry)
    with pytest.raises(IllegalTransition, match="retired"):
        registry.sync([make("new"), make("a", name="A2"), make("r", name="R2")], actor="ci")
    assert snapshot(registry) == before
    with pytest.raises(ValidationError, match="declared twice"):
        registry.sync([make("new"), make("new")], actor="ci")
    assert snapshot(registry) == before


def test_a_dry_run_sync_reports_the_real_outcome_and_writes_nothing(
    registry: Registry, tmp_path: Path
) -> None:
    audit = registry.attach_audit(bytes(range(32)))  # audited from the start (issue 13)
    registry.register(make("keep"), actor="x")
    registry.register(make("change"), actor="x")
    before = snapshot(registry)
    head = audit.head()
    declared = [make("keep"), make("change", owner="Platform Team"), make("new")]
    planned = registry.sync(declared, actor="ci", dry_run=True)
    assert planned == SyncReport(added=("new",), updated=("change",), unchanged=("keep",))
    assert snapshot(registry) == before
    assert audit.head() == head
    assert audit.verify().ok
    registry.revoke("keep", by=Revoker.MIMECAST, reason="r")
    with pytest.raises(ValidationError, match="revoked"):  # refused as the real sync would be
        registry.sync([make("other", credential="keep-token")], actor="ci", dry_run=True)
    assert registry.sync(declared, actor="ci") == planned
    assert audit.verify().ok


# ------------------------------------------------------------------ failure in the middle


def test_an_on_event_failure_rolls_back_the_whole_change(
    clock: FrozenClock, store_url: str
) -> None:
    failing: set[str] = set()
    seen: list[Event] = []

    def hook(conn: Any, event: Event) -> None:
        assert in_transaction(conn)
        seen.append(event)
        if event.integration_id in failing:
            raise RuntimeError("audit log unavailable")

    with Registry.open(store_url, clock=clock, on_event=hook) as registry:
        registry.register(make("a"), actor="x")
        registry.register(make("b"), actor="x")
        before = snapshot(registry)
        failing.add("b")
        with pytest.raises(RuntimeError, match="audit log unavailable"):
            registry.revoke_all(reason="r")  # "a" is revoked first, then "b" fails
        assert [e.integration_id for e in seen[-2:]] == ["a", "b"]
        assert snapshot(registry) == before
        assert registry.revoked_credentials() == frozenset()
        failing.add("c")
        with pytest.raises(RuntimeError):
            registry.register(make("c"), actor="x")  # fails on its only event
        with pytest.raises(IntegrationNotFound):
            registry.get("c")
        # After the failures the registry still works and stays consistent.
        failing.clear()
        assert registry.revoke_all(reason="r") == ["a", "b"]
        for item in registry.integrations():
            assert replay(item.history) is item.state


def test_a_hook_error_propagates_unchanged(store_url: str) -> None:
    def hook(conn: Any, event: Event) -> None:
        raise KeyError("audit key missing")

    with Registry.open(store_url, on_event=hook) as registry:
        with pytest.raises(KeyError, match="audit key missing"):
            registry.register(make(), actor="x")
        assert registry.integrations() == []


def test_on_event_writes_commit_with_the_change(tmp_path: Path) -> None:
    def hook(conn: sqlite3.Connection, event: Event) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS audit (seq INTEGER, kind TEXT)")
        conn.execute("INSERT INTO audit VALUES (?, ?)", (event.seq, event.kind.value))

    path = tmp_path / "r.db"
    with Registry.open(path, on_event=hook) as registry:
        registry.register(make(), actor="x")
        registry.activate("okta-directory", actor="x")
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT kind FROM audit ORDER BY seq").fetchall()
    assert rows == [("registered",), ("activated",)]


def test_a_sqlite_error_raised_inside_a_change_becomes_store_error() -> None:
    def hook(conn: sqlite3.Connection, event: Event) -> None:
        conn.execute("INSERT INTO no_such_table VALUES (1)")

    with Registry.open(on_event=hook) as registry:
        with pytest.raises(StoreError, match=r":memory:.*no such table"):
            registry.register(make(), actor="x")
        assert registry.integrations() == []


class _ForeignStore:
    """A Store that is not a SQLiteStore: it only delegates, through the protocol."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.shared = 0

    @property
    def location(self) -> str:
        return self._inner.location

    def read(self) -> AbstractContextManager[StoreSession]:
        return self._inner.read()

    def write(self) -> AbstractContextManager[StoreSession]:
        return self._inner.write()

    def version(self) -> Hashable | None:
        return self._inner.version()

    def share(self, build: Callable[[StoreConnection, StoreLock], T]) -> T:
        self.shared += 1
        return self._inner.share(build)

    def close(self) -> None:
        self._inner.close()


def test_the_audit_log_attaches_to_any_store_through_the_protocol(
    store_url: str, clock: FrozenClock
) -> None:
    store = _ForeignStore(open_store(store_url, timeout=1.0))
    with Registry(store, clock) as registry:
        log = registry.attach_audit(bytes(range(32)))
        assert store.shared == 1
        registry.register(make(), actor="x")
        registry.activate("okta-directory", actor="x")
        assert [e.action for e in log.entries()] == ["registered", "activated"]
        assert log.verify().ok


# ------------------------------------------------------------------ storage


def test_a_file_registry_persists_with_wal_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
    with Registry.open(path) as registry:
        assert registry.get("okta-directory").state is S.PENDING
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == _store.SCHEMA_VERSION


def test_every_read_sees_a_change_committed_through_another_connection(store_url: str) -> None:
    """Reads are kept between calls only while nothing was committed anywhere."""
    path = store_url
    with Registry.open(path) as reader, Registry.open(path) as writer:
        writer.register(make(), actor="x")
        writer.activate("okta-directory", actor="x")
        settle(reader)  # PostgreSQL: the writer's notifications have arrived (no more coming)
        first = reader.get("okta-directory")
        assert first.state is S.ACTIVE
        assert reader.get("okta-directory") is first  # nothing committed since: kept
        assert reader.get_for_call("okta-directory") == (first, frozenset())
        writer.revoke("okta-directory", by=Revoker.MIMECAST, reason="revoked")
        assert reader.get("okta-directory").state is S.REVOKED
        assert reader.is_credential_revoked("okta-directory-token")
        integration, revoked = reader.get_for_call("okta-directory")
        assert integration.state is S.REVOKED
        assert revoked == frozenset({"okta-directory-token"})
        writer.verify_info("okta-directory", actor="x", at=NOW)  # a change that keeps the state
        assert reader.get("okta-directory").info_verified_at == NOW
        # And this connection's own writes, of course.
        reader.record("okta-directory", EventKind.SIGNAL_RECORDED, reason="seen", actor="x")
        assert reader.get("okta-directory").history[-1].kind is EventKind.SIGNAL_RECORDED


def test_a_revocation_by_another_process_is_seen_by_the_next_read(store_url: str) -> None:
    path = store_url
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
        registry.activate("okta-directory", actor="x")
        assert registry.get_for_call("okta-directory")[0].state is S.ACTIVE
        revoke_in_another_process(path, "okta-directory")
        settle(registry)
        integration, revoked = registry.get_for_call("okta-directory")
        assert integration.state is S.REVOKED
        assert revoked == frozenset({"okta-directory-token"})


def test_an_audit_append_leaves_what_the_registry_keeps_valid(store_url: str) -> None:
    """Audit appends (this connection's, another process's) are not registry changes.

    The governed client reads the integration before every call; an audit
    record of the previous call must not make it read the database again.
    A registry change committed by another process is still seen by the
    very next call.
    """
    path = store_url
    with Registry.open(path) as registry:
        log = registry.attach_audit(AUDIT_KEY)
        registry.register(make(), actor="x")
        registry.activate("okta-directory", actor="x")
        settle(registry)  # PostgreSQL: this process's own notifications have arrived
        first, revoked = registry.get_for_call("okta-directory")
        version = registry._store.version()
        log.append(actor="client", action="api_call", integration_id="okta-directory")
        assert registry._store.version() == version
        assert registry.get_for_call("okta-directory") == (first, revoked)
        assert registry.get("okta-directory") is first  # kept: not read again
        audit_in_another_process(path, AUDIT_KEY)
        settle(registry)
        assert registry._store.version() == version
        assert registry.get("okta-directory") is first
        assert len(list(log.entries())) == 4  # the other process's entry is there
        revoke_in_another_process(path, "okta-directory", audit_key=AUDIT_KEY)
        settle(registry)
        integration, revoked = registry.get_for_call("okta-directory")
        assert integration.state is S.REVOKED
        assert revoked == frozenset({"okta-directory-token"})
        assert [e.kind for e in integration.history][-1] is K.REVOKED


def test_a_kept_history_whose_last_event_changed_is_read_again_whole(tmp_path: Path) -> None:
    """The registry trusts what it kept only while its last event is stored unchanged.

    A database restored or rewritten under an open registry is read again
    from the start (and replay-checked), never patched onto a stale history.
    """
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
        registry.activate("okta-directory", actor="x")
        kept = registry.get("okta-directory")
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("DROP TRIGGER events_no_update")
            conn.execute("UPDATE events SET actor = 'rewritten' WHERE seq = 2")
            conn.commit()
        again = registry.get("okta-directory")
        assert again is not kept
        assert [e.actor for e in again.history] == ["x", "rewritten"]
        with closing(sqlite3.connect(path)) as conn:  # no longer replays to ACTIVE
            conn.execute("UPDATE events SET kind = 'info_verified' WHERE seq = 2")
            conn.commit()
        with pytest.raises(StoreError, match="replays to pending"):
            registry.get("okta-directory")
    with Registry.open(path) as fresh, pytest.raises(StoreError, match="replays to pending"):
        fresh.get("okta-directory")


def test_an_older_sqlite_registry_is_migrated_when_opened(tmp_path: Path) -> None:
    """A file of schema version 3 (before the registry generation) opens and keeps working."""
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
    with closing(sqlite3.connect(path)) as conn:
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%generation'"
        ).fetchall()
        for (name,) in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE registry_generation")
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    with Registry.open(path) as registry, Registry.open(path) as other:
        assert registry.get("okta-directory").state is S.PENDING
        other.activate("okta-directory", actor="x")
        assert registry.get("okta-directory").state is S.ACTIVE
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == _store.SCHEMA_VERSION


def test_a_newer_schema_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "registry.db"
    Registry.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {_store.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"registry\.db has schema version \d+, newer"):
        Registry.open(path)


def test_forward_migrations_upgrade_an_older_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
    step = ("ALTER TABLE integrations ADD COLUMN notes TEXT",)
    monkeypatch.setattr(_store, "MIGRATIONS", [*_store.MIGRATIONS, step])
    monkeypatch.setattr(_store, "SCHEMA_VERSION", len(_store.MIGRATIONS))
    with Registry.open(path) as registry:
        assert registry.get("okta-directory").state is S.PENDING
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(_store.MIGRATIONS)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(integrations)")]
    assert "notes" in columns


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"this is not a database, just text" * 100, "not a registry database or is damaged"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "not a registry database or is damaged"),
    ],
)
def test_a_corrupted_file_is_a_store_error_naming_the_path(
    tmp_path: Path, content: bytes, match: str
) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=match) as info:
        Registry.open(path)
    assert str(path) in str(info.value)


def test_unopenable_paths_and_foreign_databases_are_store_errors(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot be opened"):
        Registry.open(tmp_path)  # a directory
    with pytest.raises(StoreError, match="cannot be opened"):
        Registry.open(tmp_path / "missing" / "r.db")
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="another application"):
        Registry.open(foreign)


def test_a_database_locked_beyond_the_timeout_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Registry.open(path, timeout=0.05) as registry:
        registry.register(make(), actor="x")
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError, match=r"r\.db is locked by another process"):
                registry.activate("okta-directory", actor="x")
            assert registry.get("okta-directory").state is S.PENDING  # reads still work (WAL)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert registry.activate("okta-directory", actor="x").state is S.ACTIVE


def test_a_closed_registry_refuses_work(store_url: str) -> None:
    registry = Registry.open(store_url)
    registry.close()
    registry.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        registry.integrations()


def test_a_state_changed_behind_the_registry_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with Registry.open(path) as registry:
        registry.register(make(), actor="x")
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE integrations SET state = 'active'")
        conn.commit()
        with Registry.open(path) as registry:
            with pytest.raises(StoreError, match="stored as active but its history replays"):
                registry.get("okta-directory")
            with pytest.raises(StoreError, match="replays"):
                registry.integrations()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM events")
        conn.execute("UPDATE integrations SET service = 'nonsense'")
        conn.commit()
    with Registry.open(path) as registry, pytest.raises(StoreError, match="cannot be decoded"):
        registry.integrations(with_history=False)


# ------------------------------------------------------------------ state machine


class RegistryLifecycle(RuleBasedStateMachine):
    """Random operations; after each, stored state == replayed history; refusals change nothing.

    And what the registry keeps between calls (each integration with its
    history, caught up with only the newer events) always equals the whole
    history read and replayed again: in the registry that writes, and in a
    second one on the same file that only reads.
    """

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(NOW)
        self.folder = tempfile.TemporaryDirectory()
        path = Path(self.folder.name) / "registry.db"
        self.registry = Registry.open(path, clock=self.clock)
        self.reader = Registry.open(path)
        self.events: Counter[str] = Counter()
        self.fresh = 0

    def teardown(self) -> None:
        self.reader.close()
        self.registry.close()
        self.folder.cleanup()

    def _attempt(self, ident: str, kind: EventKind, call: Any, expect_error: type | None) -> None:
        current = self.registry.get(ident)
        before = snapshot(self.registry)
        try:
            expected = next_state(current.state, kind, ident)
        except IllegalTransition:
            with pytest.raises(IllegalTransition):
                call()
            assert snapshot(self.registry) == before
            return
        if expect_error is not None:
            with pytest.raises(expect_error):
                call()
            assert snapshot(self.registry) == before
            return
        call()
        self.events[ident] += 1
        after = self.registry.get(ident)
        assert after.state is expected
        assert after.history[-1].kind is kind

    @rule(target=ids, integration=hst.integrations())
    def register(self, integration: Integration) -> str:
        known = {i.id for i in self.registry.integrations(with_history=False)}
        revoked = self.registry.revoked_credentials()
        before = snapshot(self.registry)
        if integration.id in known:
            with pytest.raises(IllegalTransition):
                self.registry.register(integration, actor="machine")
            assert snapshot(self.registry) == before
        elif revoked & set(integration.credential_entries):
            with pytest.raises(ValidationError):
                self.registry.register(integration, actor="machine")
            assert snapshot(self.registry) == before
        else:
            self.registry.register(integration, actor="machine")
            self.events[integration.id] += 1
        return integration.id

    @precondition(lambda self: bool(self.events))
    @rule(ident=ids, op=st.sampled_from(["activate", "reinstate", "retire", "verify"]))
    def simple(self, ident: str, op: str) -> None:
        if ident not in self.events:
            return
        r = self.registry
        self.clock.advance(minutes=1)
        calls = {
            "activate": (K.ACTIVATED, lambda: r.activate(ident, actor="m")),
            "reinstate": (K.REINSTATED, lambda: r.reinstate(ident, reason="ok", actor="m")),
            "retire": (K.RETIRED, lambda: r.retire(ident, actor="m")),
            "verify": (K.INFO_VERIFIED, lambda: r.verify_info(ident, actor="m")),
        }
        kind, call = calls[op]
        self._attempt(ident, kind, call, None)

    @rule(ident=ids, cause=st.sampled_from(SuspensionCause))
    def suspend(self, ident: str, cause: SuspensionCause) -> None:
        if ident in self.events:
            self._attempt(
                ident,
                K.SUSPENDED,
                lambda: self.registry.suspend(ident, cause=cause, reason="r", actor="m"),
                None,
            )

    @rule(ident=ids, by=st.sampled_from(Revoker))
    def revoke(self, ident: str, by: Revoker) -> None:
        if ident in self.events:
            self._attempt(
                ident, K.REVOKED, lambda: self.registry.revoke(ident, by=by, reason="r"), None
            )
            if self.registry.get(ident).state is S.REVOKED:
                for name in self.registry.get(ident).credential_entries:
                    assert self.registry.is_credential_revoked(name)

    @rule(ident=ids, reuse=st.booleans())
    def replace_credential(self, ident: str, reuse: bool) -> None:
        if ident not in self.events:
            return
        current = self.registry.get(ident)
        revoked = self.registry.revoked_credentials()
        if reuse and revoked:
            name = sorted(revoked)[0]
        else:
            self.fresh += 1
            name = f"fresh-credential-{self.fresh}"
        would_use = attrs.evolve(current, credential=name).credential_entries
        error = ValidationError if revoked & set(would_use) else None
        self._attempt(
            ident,
            K.CREDENTIAL_REPLACED,
            lambda: self.registry.replace_credential(ident, name, actor="m"),
            error,
        )

    @rule(ident=ids)
    def drop_auth(self, ident: str) -> None:
        if ident not in self.events:
            return
        current = self.registry.get(ident)
        if current.auth is None:
            return
        self._attempt(
            ident,
            K.UPDATED,
            lambda: self.registry.update(attrs.evolve(current, auth=None), actor="m"),
            None,
        )

    @rule(ident=ids, licence=hst.licences(), add=st.booleans())
    def licence(self, ident: str, licence: Licence, add: bool) -> None:
        if ident not in self.events:
            return
        current = self.registry.get(ident)
        r = self.registry
        if add:
            self._attempt(
                ident, K.LICENCE_ADDED, lambda: r.add_licence(ident, licence, actor="m"), None
            )
        else:
            target = current.licences[0] if current.licences else licence
            error = None if current.licences else ValidationError
            self._attempt(
                ident,
                K.LICENCE_REMOVED,
                lambda: r.remove_licence(ident, target, actor="m"),
                error,
            )

    @rule(ident=ids, kind=st.sampled_from([K.SIGNAL_RECORDED, K.DEPRECATION_NOTICED]))
    def record(self, ident: str, kind: EventKind) -> None:
        if ident in self.events:
            self._attempt(
                ident,
                kind,
                lambda: self.registry.record(ident, kind, reason="seen", actor="client"),
                None,
            )

    @invariant()
    def what_is_kept_equals_the_replayed_history(self) -> None:
        for item in self.registry.integrations():  # every history read whole
            for kept in (self.registry.get(item.id), self.reader.get(item.id)):
                assert kept == item
                assert kept.state is item.state
                assert kept.history == item.history

    @invariant()
    def stored_state_equals_replayed_history(self) -> None:
        for item in self.registry.integrations():
            assert replay(item.history) is item.state
            assert replay(self.registry.history(item.id)) is item.state
            assert len(item.history) == self.events[item.id]
            seqs = [e.seq or 0 for e in item.history]
            assert seqs == sorted(set(seqs))


RegistryLifecycle.TestCase.settings = settings(max_examples=25, stateful_step_count=25)
test_registry_lifecycle = RegistryLifecycle.TestCase


# ------------------------------------------------------------------ several processes

WORKERS = 4
ROUNDS = 24
SHARED = ("shared-a", "shared-b")


AUDIT_KEY = bytes(range(32))


def _worker(path: str, worker: int, start: Any, results: Any) -> None:
    """One process (a host): its own integration plus operations on shared ones, audited."""
    done: Counter[str] = Counter()
    actor = f"worker-{worker}"
    with Registry.open(path, timeout=60) as registry:
        registry.attach_audit(AUDIT_KEY)
        start.wait(timeout=60)  # all processes begin together: their writes interleave
        for ident in SHARED:  # every worker races to register the shared ones
            try:
                registry.register(make(ident), actor=actor)
                done[f"{ident}:registered"] += 1
            except IllegalTransition:
                pass
        own = f"own-{worker}"
        registry.register(make(own), actor=actor)
        registry.activate(own, actor=actor)
        done[f"{own}:events"] += 2
        for i in range(ROUNDS):
            time.sleep(0.003)  # let the others in: SQLite's busy wait is not fair
            registry.record(own, K.SIGNAL_RECORDED, reason=f"{actor}/{i}", actor=actor)
            done[f"{own}:events"] += 1
            shared = SHARED[i % 2]
            registry.record(shared, K.SIGNAL_RECORDED, reason=f"{actor}/{i}", actor=actor)
            done[f"{shared}:signals"] += 1
            for op in ("activate", "suspend", "reinstate"):
                time.sleep(0.002)
                try:
                    if op == "activate":
                        registry.activate(shared, actor=actor)
                    elif op == "suspend":
                        registry.suspend(
                            shared, cause=SuspensionCause.MANUAL, reason=actor, actor=actor
                        )
                    else:
                        registry.reinstate(shared, reason=actor, actor=actor)
                    done[f"{shared}:transitions"] += 1
                except IllegalTransition:
                    pass
    results.put(dict(done))


@pytest.mark.slow
def test_several_processes_lose_no_update_and_no_event(store_url: str) -> None:
    """Four processes acting as hosts: no event lost, and one audit chain that verifies."""
    path = store_url
    Registry.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_worker, args=(path, w, start, results)) for w in range(WORKERS)
    ]
    for process in processes:
        process.start()
    total: Counter[str] = Counter()
    for _ in range(WORKERS):
        total.update(results.get(timeout=120))
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    with Registry.open(path) as registry:
        items = {i.id: i for i in registry.integrations()}
        log = registry.attach_audit(AUDIT_KEY)
        report = log.verify()
        audited = [e.evidence["event_seq"] for e in log.entries()]
    assert set(items) == {*SHARED, *(f"own-{w}" for w in range(WORKERS))}
    for w in range(WORKERS):
        own = items[f"own-{w}"]
        assert len(own.history) == total[f"own-{w}:events"] == 2 + ROUNDS
        reasons = {e.reason for e in own.history if e.kind is K.SIGNAL_RECORDED}
        assert reasons == {f"worker-{w}/{i}" for i in range(ROUNDS)}
    for ident in SHARED:
        item = items[ident]
        assert total[f"{ident}:registered"] == 1  # exactly one process won the race
        by_kind = Counter(e.kind for e in item.history)
        assert by_kind[K.REGISTERED] == 1
        assert by_kind[K.SIGNAL_RECORDED] == total[f"{ident}:signals"] == WORKERS * ROUNDS // 2
        transitions = by_kind[K.ACTIVATED] + by_kind[K.SUSPENDED] + by_kind[K.REINSTATED]
        assert transitions == total[f"{ident}:transitions"] > 0
        assert replay(item.history) is item.state
    seqs = [e.seq or 0 for i in items.values() for e in i.history]
    assert len(seqs) == len(set(seqs))
    assert sorted(seqs) == list(range(1, len(seqs) + 1))  # no gap: nothing lost
    assert report.ok, report
    assert audited == sorted(seqs)  # every event audited once, in the order committed


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"path": None}, "path"),
        ({"path": 42}, "path"),
        ({"path": ""}, "path"),
        ({"path": "reg\x00.db"}, "path"),
        ({"timeout": "x"}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": -1}, "timeout"),
        ({"timeout": True}, "timeout"),
    ],
)
def test_open_with_a_bad_path_or_timeout_names_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    """A path or timeout of the wrong type or value is a ValidationError, never a TypeError."""
    with pytest.raises(ValidationError) as info:
        Registry.open(**kwargs)
    assert info.value.field == field


def test_a_reason_quoting_a_token_is_stored_redacted() -> None:
    """No event reason can carry a credential: it is redacted before it is stored."""
    from tests.client_support import integration

    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ"
    with Registry.open(":memory:") as registry:
        registry.register(integration("https://api.example.com"), actor="test")
        registry.activate("acme-api", actor="test")
        registry.record(
            "acme-api",
            EventKind.SIGNAL_RECORDED,
            reason=f"the API echoed Authorization: Bearer {jwt}",
            actor="test",
        )
        event = registry.history("acme-api")[-1]
    assert jwt not in event.reason
    assert event.reason.startswith("the API echoed Authorization")
