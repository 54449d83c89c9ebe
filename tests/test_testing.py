"""The testing kit: builders, state helpers, assertions and the pytest plugin."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hf_api_governance import (
    Action,
    EventKind,
    FrozenClock,
    IllegalTransition,
    IntegrationState,
    PolicyEngine,
    Revoker,
    SuspensionCause,
    ValidationError,
)
from hf_api_governance._model.lifecycle import replay
from hf_api_governance.testing import (
    NOW,
    assert_allowed,
    assert_denied,
    assert_warned,
    make_integration,
    make_licence,
    with_event,
    with_state,
)

pytest_plugins = ["pytester"]

S = IntegrationState


def test_the_defaults_are_a_healthy_active_third_party_integration() -> None:
    integration = make_integration()
    assert integration.state is S.ACTIVE
    assert replay(integration.history) is S.ACTIVE
    assert all(e.integration_id == "okta-directory" for e in integration.history)
    (licence,) = integration.licences
    assert (licence.valid_from, licence.valid_until) == (date(2026, 1, 1), date(2026, 12, 31))
    assert datetime(2026, 1, 15, 12, tzinfo=UTC) == NOW


@pytest.mark.parametrize("state", list(IntegrationState))
def test_make_integration_builds_a_history_that_replays_to_the_state(state: S) -> None:
    integration = make_integration(id="x-1", state=state)
    assert integration.state is state
    assert replay(integration.history) is state
    times = [e.at for e in integration.history]
    assert times == sorted(times)
    assert {e.integration_id for e in integration.history} == {"x-1"}


def test_make_licence_takes_overrides_and_validates() -> None:
    assert make_licence(grantor="Mimecast").is_service_subscription
    with pytest.raises(ValidationError, match="valid_until"):
        make_licence(valid_until=date(2025, 1, 1))


def test_with_state_records_who_revoked_and_why_it_was_suspended() -> None:
    at = datetime(2026, 1, 10, tzinfo=UTC)
    revoked = with_state(make_integration(), S.REVOKED, by=Revoker.THIRD_PARTY, at=at)
    last = revoked.history[-1]
    assert (last.kind, last.at, last.actor) == (EventKind.REVOKED, at, "third_party")
    assert last.evidence["revoker"] == "third_party"
    suspended = with_state(make_integration(), S.SUSPENDED, cause=SuspensionCause.API_CHANGED)
    assert suspended.history[-1].evidence["cause"] == "api_changed"


def test_with_state_walks_through_intermediate_states() -> None:
    pending = make_integration(state=S.PENDING)
    suspended = with_state(pending, S.SUSPENDED)
    assert [e.kind for e in suspended.history[-2:]] == [EventKind.ACTIVATED, EventKind.SUSPENDED]
    assert replay(suspended.history) is S.SUSPENDED


def test_with_state_refuses_an_impossible_target() -> None:
    with pytest.raises(IllegalTransition, match="reach state active"):
        with_state(make_integration(state=S.RETIRED), S.ACTIVE)
    with pytest.raises(IllegalTransition):
        with_event(make_integration(state=S.RETIRED), EventKind.UPDATED)


def test_assert_allowed_lists_the_findings_when_it_fails() -> None:
    decision = PolicyEngine(clock=FrozenClock(NOW)).evaluate(
        make_integration(licences=(), info_verified_at=None), Action.CALL
    )
    with pytest.raises(AssertionError) as caught:
        assert_allowed(decision)
    text = str(caught.value)
    assert "expected the action to be allowed" in text
    assert "DENY  LICENCE_MISSING (1.1.2): no licence is recorded" in text
    assert "WARN  INFO_STALE (1.1)" in text


def test_assert_denied_and_assert_warned_name_the_missing_code() -> None:
    engine = PolicyEngine(clock=FrozenClock(NOW))
    allowed = engine.evaluate(make_integration(), Action.CALL)
    with pytest.raises(
        AssertionError, match=r"(?s)expected the action to be denied.*\(no findings\)"
    ):
        assert_denied(allowed)
    with pytest.raises(AssertionError, match="expected warned with INFO_STALE"):
        assert_warned(allowed, "INFO_STALE")
    denied = engine.evaluate(make_integration(state=S.RETIRED), Action.CALL)
    with pytest.raises(
        AssertionError, match=r"(?s)denied with LICENCE_EXPIRED \(DENY\).*NOT_ACTIVE"
    ):
        assert_denied(denied, "LICENCE_EXPIRED")
    assert assert_denied(denied) is None
    with pytest.raises(ValidationError, match="decision"):
        assert_allowed("yes")  # type: ignore[arg-type]


# ------------------------------------------------------------------------ plugin

PLUGIN_TESTS = """
from datetime import UTC, datetime, timedelta

from hf_api_governance import Action, FrozenClock, PolicyEngine
from hf_api_governance.testing import assert_allowed, assert_denied, make_integration


def test_fixtures(frozen_clock, policy_engine):
    assert isinstance(frozen_clock, FrozenClock)
    assert frozen_clock.now() == datetime(2026, 1, 15, 12, tzinfo=UTC)
    assert isinstance(policy_engine, PolicyEngine)
    assert policy_engine.clock is frozen_clock
    assert_allowed(policy_engine.evaluate(make_integration(), Action.CALL))
    frozen_clock.advance(days=365)
    assert_denied(policy_engine.evaluate(make_integration(), Action.CALL), "LICENCE_EXPIRED")


def test_each_test_gets_a_fresh_clock(frozen_clock):
    assert frozen_clock.now() == datetime(2026, 1, 15, 12, tzinfo=UTC)
"""


@pytest.fixture
def no_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner runs load the plugin only through ``-p``, installed package or not.

    Once installed, the ``pytest11`` entry point registers the same module under
    another name, and pytest refuses a module registered twice.
    """
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


@pytest.mark.usefixtures("no_autoload")
def test_the_plugin_provides_the_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plugin_user=PLUGIN_TESTS)
    result = pytester.runpytest("-p", "hf_api_governance.testing_plugin", "-q")
    result.assert_outcomes(passed=2)


@pytest.mark.usefixtures("no_autoload")
def test_the_plugin_is_not_registered_twice(pytester: pytest.Pytester) -> None:
    """Our conftest's guard: loading the plugin by name and by conftest must not clash."""
    pytester.makeconftest(
        """
        from hf_api_governance import testing_plugin

        def pytest_configure(config):
            if not config.pluginmanager.is_registered(testing_plugin):
                config.pluginmanager.register(testing_plugin, "hf_api_governance")
        """
    )
    pytester.makepyfile(test_plugin_user=PLUGIN_TESTS)
    with_p = pytester.runpytest("-p", "hf_api_governance.testing_plugin", "-q")
    with_p.assert_outcomes(passed=2)
    without_p = pytester.runpytest("-q")
    without_p.assert_outcomes(passed=2)


STATEFUL_PLUGIN_TESTS = """
from datetime import UTC, datetime

import pytest

from hf_api_governance import (
    Action, EventKind, Governance, IntegrationState, Registry, StoreError,
)
from hf_api_governance.testing import assert_allowed, assert_denied, make_integration

OPENED = []


def test_registry_is_empty_in_memory_and_on_the_frozen_clock(registry, frozen_clock):
    assert isinstance(registry, Registry)
    assert registry.integrations() == []
    registry.register(make_integration(), actor="alice@example.com")
    frozen_clock.advance(days=1)
    active = registry.activate("okta-directory", actor="alice@example.com")
    assert active.state is IntegrationState.ACTIVE
    assert [e.at for e in active.history] == [
        datetime(2026, 1, 15, 12, tzinfo=UTC),
        datetime(2026, 1, 16, 12, tzinfo=UTC),
    ]
    OPENED.append(registry)


def test_the_registry_was_closed_and_each_test_gets_a_fresh_one(registry):
    assert registry.integrations() == []
    with pytest.raises(StoreError):
        OPENED[0].integrations()


def test_governance_on_a_file_with_audit_and_no_keystore(governance, tmp_path, frozen_clock):
    assert isinstance(governance, Governance)
    assert governance.keystore is None
    assert governance.clock is frozen_clock
    assert (tmp_path / "hf-gov" / "registry.db").is_file()
    governance.sync([make_integration(state=IntegrationState.PENDING, history=())])
    assert_denied(governance.check("okta-directory"), "NOT_ACTIVE")
    governance.registry.activate("okta-directory", actor=governance.actor)
    assert_allowed(governance.check("okta-directory", Action.CALL))
    entries = list(governance.audit.entries())
    assert [e.action for e in entries] == ["registered", "activated"]
    assert {e.actor for e in entries} == {"tester@example.com"}
    assert governance.audit.verify().ok
    OPENED.append(governance)


def test_the_governance_database_was_closed(governance):
    with pytest.raises(StoreError):
        OPENED[1].registry.integrations()
    assert governance.registry.integrations() == []
"""


@pytest.mark.usefixtures("no_autoload")
def test_the_plugin_provides_registry_and_governance(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_stateful=STATEFUL_PLUGIN_TESTS)
    result = pytester.runpytest("-p", "hf_api_governance.testing_plugin", "-q")
    result.assert_outcomes(passed=4)


def test_the_plugin_is_declared_as_a_pytest11_entry_point() -> None:
    import tomllib
    from pathlib import Path

    pyproject = tomllib.loads(
        (Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8")
    )
    entry_points = pyproject["project"]["entry-points"]["pytest11"]
    assert entry_points == {"hf_api_governance": "hf_api_governance.testing_plugin"}


def test_the_testing_namespace_is_documented() -> None:
    from hf_api_governance import testing

    for name in testing.__all__:
        assert (getattr(testing, name).__doc__ or "").strip(), name
    assert testing.FrozenClock is FrozenClock


@pytest.mark.parametrize("count", [59, 60, 61, 500])
def test_make_integration_takes_any_number_of_licences(count: int) -> None:
    licences = [make_licence(scope=f"scope-{n}") for n in range(count)]
    integration = make_integration(licences=licences)
    added = [e for e in integration.history if e.kind is EventKind.LICENCE_ADDED]
    assert len(added) == count
    assert [e.at for e in added] == sorted({e.at for e in added})  # distinct, in order
    assert integration.state is IntegrationState.ACTIVE
    assert integration.history[-1].kind is EventKind.ACTIVATED
