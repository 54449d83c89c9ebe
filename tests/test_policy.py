"""The policy engine: every built-in finding at and around its thresholds, decisions, invariants."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    AccessDenied,
    Action,
    ApiKind,
    Decision,
    EventKind,
    Finding,
    FrozenClock,
    Integration,
    IntegrationState,
    PolicyContext,
    PolicyEngine,
    PolicyError,
    PolicySettings,
    Revoker,
    Secret,
    Severity,
    SuspensionCause,
    ValidationError,
    policy_hook,
)
from hf_api_governance import strategies as hst
from hf_api_governance._policy import BUILTIN_CODES
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

S = IntegrationState
_T = TypeVar("_T")
TICK = timedelta(microseconds=1)
LICENCE_START = datetime(2026, 1, 1, tzinfo=UTC)
LICENCE_END = datetime(2027, 1, 1, tzinfo=UTC)  # valid_until=2026-12-31 covers that whole day


def engine(**kwargs: object) -> PolicyEngine:
    return PolicyEngine(clock=FrozenClock(NOW), **kwargs)  # type: ignore[arg-type]


def codes(decision: Decision, severity: Severity | None = None) -> set[str]:
    return {f.code for f in decision.findings if severity is None or f.severity is severity}


def test_the_default_integration_is_allowed_every_action_without_findings() -> None:
    for action in Action:
        decision = engine().evaluate(make_integration(), action)
        assert decision.allowed
        assert decision.findings == ()


# ------------------------------------------------------------ CREDENTIAL_REVOKED


@pytest.mark.parametrize("action", list(Action))
def test_a_revoked_integration_is_denied_every_action(action: Action) -> None:
    revoked = with_state(
        make_integration(), S.REVOKED, by=Revoker.MIMECAST, at=datetime(2026, 1, 10, tzinfo=UTC)
    )
    finding = assert_denied(engine().evaluate(revoked, action), "CREDENTIAL_REVOKED")
    assert finding is not None
    assert finding.clause == "1.1.1"
    assert finding.details["revoker"] == "mimecast"
    assert finding.details["revoked_by"] == "mimecast"
    assert finding.details["revoked_at"] == "2026-01-10T00:00:00Z"
    assert "replace the credential" in finding.message


def test_revocation_details_come_from_the_last_revoked_event() -> None:
    first = with_state(make_integration(), S.REVOKED, by=Revoker.MIMECAST)
    again = with_event(first, EventKind.CREDENTIAL_REPLACED)
    second = with_state(again, S.REVOKED, by=Revoker.CUSTOMER, actor="ciso@example.com")
    finding = assert_denied(engine().evaluate(second, Action.CALL), "CREDENTIAL_REVOKED")
    assert finding is not None
    assert finding.details["revoker"] == "customer"
    assert finding.details["revoked_by"] == "ciso@example.com"


def test_a_replaced_credential_is_no_longer_revoked() -> None:
    replaced = with_event(with_state(make_integration(), S.REVOKED), EventKind.CREDENTIAL_REPLACED)
    assert_allowed(engine().evaluate(replaced, Action.CALL))


def test_a_revoked_state_without_history_still_denies() -> None:
    bare = attrs.evolve(make_integration(), state=S.REVOKED, history=())
    finding = assert_denied(engine().evaluate(bare, Action.CALL), "CREDENTIAL_REVOKED")
    assert finding is not None
    assert finding.details["revoker"] == "unknown"


def test_a_credential_entry_recorded_as_revoked_denies_an_active_integration() -> None:
    integration = make_integration(
        auth={"scheme": "bearer", "token": "okta-bearer"}, credential="okta-api-token"
    )
    decision = engine(revoked_credentials={"okta-bearer"}).evaluate(integration, Action.CALL)
    finding = assert_denied(decision, "CREDENTIAL_REVOKED")
    assert finding is not None
    assert finding.details["entries"] == ("okta-bearer",)
    assert_allowed(engine(revoked_credentials={"other"}).evaluate(integration, Action.CALL))


# ------------------------------------------------------------ CREDENTIAL_MISSING


@pytest.mark.parametrize(
    ("action", "severity"),
    [
        (Action.CALL, Severity.DENY),
        (Action.REVEAL_CREDENTIAL, Severity.DENY),
        (Action.ROTATE_CREDENTIAL, Severity.DENY),
        (Action.PROVISION, Severity.WARN),
    ],
)
def test_no_named_credential(action: Action, severity: Severity) -> None:
    decision = engine().evaluate(make_integration(credential=None), action)
    assert codes(decision, severity) == {"CREDENTIAL_MISSING"}
    assert decision.allowed is (severity is not Severity.DENY)


@pytest.mark.parametrize(
    ("action", "severity"),
    [
        (Action.CALL, Severity.DENY),
        (Action.REVEAL_CREDENTIAL, Severity.DENY),
        (Action.ROTATE_CREDENTIAL, Severity.WARN),
        (Action.PROVISION, Severity.WARN),
    ],
)
def test_a_named_entry_absent_from_the_keystore(action: Action, severity: Severity) -> None:
    integration = make_integration(auth={"scheme": "bearer", "token": "okta-bearer"})
    decision = engine(keystore={"okta-api-token"}).evaluate(integration, action)
    assert codes(decision, severity) == {"CREDENTIAL_MISSING"}
    assert decision.findings[0].details["entries"] == ("okta-bearer",)


def test_every_entry_in_the_keystore_or_no_keystore_means_no_finding() -> None:
    integration = make_integration(auth={"scheme": "bearer", "token": "okta-bearer"})
    assert_allowed(engine(keystore={"okta-api-token", "okta-bearer"}).evaluate(integration, "call"))
    assert_allowed(engine().evaluate(integration, "call"))


def test_an_auth_spec_alone_names_a_credential() -> None:
    integration = make_integration(credential=None, auth={"scheme": "bearer", "token": "tok-a"})
    assert_allowed(engine().evaluate(integration, Action.CALL))


# ------------------------------------------------------------- INTEROP_SUSPENDED


@pytest.mark.parametrize("action", list(Action))
def test_a_suspended_integration_is_denied_with_cause_and_evidence(action: Action) -> None:
    suspended = with_state(
        make_integration(),
        S.SUSPENDED,
        cause=SuspensionCause.SUNSET,
        evidence={"status": 410, "sunset": "2026-01-12"},
    )
    finding = assert_denied(engine().evaluate(suspended, action), "INTEROP_SUSPENDED")
    assert finding is not None
    assert finding.clause == "1.1.2"
    assert finding.details["cause"] == "sunset"
    assert finding.details["evidence"]["status"] == 410
    assert "reinstate" in finding.message


def test_a_reinstated_integration_is_allowed_again() -> None:
    reinstated = with_event(with_state(make_integration(), S.SUSPENDED), EventKind.REINSTATED)
    assert_allowed(engine().evaluate(reinstated, Action.CALL))


# --------------------------------------------------------------- LICENCE_MISSING


def test_a_third_party_api_without_licence_is_denied() -> None:
    finding = assert_denied(
        engine().evaluate(make_integration(licences=()), Action.CALL), "LICENCE_MISSING"
    )
    assert finding is not None
    assert finding.clause == "1.1.2"


def test_a_mimecast_subscription_is_not_a_third_party_licence() -> None:
    subscription = make_licence(grantor="Mimecast", scope="Aware subscription")
    decision = engine().evaluate(make_integration(licences=(subscription,)), Action.CALL)
    assert codes(decision) == {"LICENCE_MISSING"}


def test_a_mimecast_api_needs_no_third_party_licence() -> None:
    mimecast = make_integration(
        kind=ApiKind.MIMECAST_API,
        vendor="Mimecast",
        base_url="https://api.services.mimecast.com",
        licences=(),
    )
    assert_allowed(engine().evaluate(mimecast, Action.CALL))


def test_third_party_licences_are_ignored_on_a_mimecast_api() -> None:
    expired = make_licence(valid_from=date(2020, 1, 1), valid_until=date(2020, 12, 31))
    mimecast = make_integration(kind="mimecast_api", vendor="Mimecast", licences=(expired,))
    assert_allowed(engine().evaluate(mimecast, Action.CALL))


# ------------------------------------------------ LICENCE_EXPIRED / NOT_YET_VALID


def test_the_licence_expires_at_the_end_of_its_last_day() -> None:
    integration = make_integration()
    assert "LICENCE_EXPIRED" not in codes(
        engine().evaluate(integration, "call", LICENCE_END - TICK)
    )
    finding = assert_denied(engine().evaluate(integration, "call", LICENCE_END), "LICENCE_EXPIRED")
    assert finding is not None
    assert finding.details["ended_at"] == "2027-01-01T00:00:00Z"
    assert "renew the licence with Okta or record the renewal" in finding.message


def test_expired_only_when_every_licence_has_expired() -> None:
    old = make_licence(valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    current = make_licence()
    assert_allowed(engine().evaluate(make_integration(licences=(old, current)), "call"))
    assert codes(engine().evaluate(make_integration(licences=(old,)), "call")) == {
        "LICENCE_EXPIRED"
    }


def test_a_licence_is_not_yet_valid_until_its_first_instant() -> None:
    integration = make_integration()
    early = engine().evaluate(integration, Action.CALL, LICENCE_START - TICK)
    assert codes(early) == {"LICENCE_NOT_YET_VALID"}
    assert_denied(early, "LICENCE_NOT_YET_VALID")
    assert_allowed(engine().evaluate(integration, Action.CALL, LICENCE_START))


def test_not_yet_valid_wins_over_expired_when_a_future_licence_exists() -> None:
    old = make_licence(valid_from=date(2025, 1, 1), valid_until=date(2025, 6, 30))
    future = make_licence(valid_from=date(2026, 2, 1), valid_until=date(2026, 12, 31))
    decision = engine().evaluate(make_integration(licences=(old, future)), "call")
    assert codes(decision) == {"LICENCE_NOT_YET_VALID"}
    assert decision.findings[0].details["starts_at"] == "2026-02-01T00:00:00Z"


def test_provisioning_ahead_of_the_licence_start_is_only_a_warning() -> None:
    future = make_licence(valid_from=date(2026, 2, 1))
    decision = engine().evaluate(make_integration(licences=(future,)), Action.PROVISION)
    assert_allowed(decision)
    assert_warned(decision, "LICENCE_NOT_YET_VALID")


# --------------------------------------------------------------- LICENCE_EXPIRING


def test_the_30_day_warning_window_includes_its_boundary() -> None:
    integration = make_integration(info_verified_at=datetime(2026, 12, 1, tzinfo=UTC))
    start = LICENCE_END - timedelta(days=30)
    assert engine().evaluate(integration, "call", start - TICK).findings == ()
    decision = engine().evaluate(integration, "call", start)
    assert_allowed(decision)
    finding = assert_warned(decision, "LICENCE_EXPIRING")
    assert finding.details["days_left"] == 30
    assert finding.details["ends_at"] == "2027-01-01T00:00:00Z"
    assert "renew the licence with Okta or record the renewal" in finding.message
    assert_warned(engine().evaluate(integration, "call", LICENCE_END - TICK), "LICENCE_EXPIRING")


def test_the_warning_window_is_configurable() -> None:
    week = engine(settings=PolicySettings(licence_warning=timedelta(days=7)))
    integration = make_integration(info_verified_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert week.evaluate(integration, "call", LICENCE_END - timedelta(days=8)).findings == ()
    assert_warned(
        week.evaluate(integration, "call", LICENCE_END - timedelta(days=7)), "LICENCE_EXPIRING"
    )


def test_when_several_licences_cover_the_one_ending_last_counts() -> None:
    ending = make_licence(valid_until=date(2026, 1, 20))
    renewal = make_licence(valid_from=date(2026, 1, 10), valid_until=date(2027, 12, 31))
    assert engine().evaluate(make_integration(licences=(ending, renewal)), "call").findings == ()
    assert_warned(
        engine().evaluate(make_integration(licences=(ending,)), "call"), "LICENCE_EXPIRING"
    )


def test_an_open_ended_licence_never_warns() -> None:
    forever = make_licence(valid_until=None)
    far = datetime(2099, 1, 1, tzinfo=UTC)
    integration = make_integration(licences=(forever,), info_verified_at=far)
    assert engine().evaluate(integration, "call", far).findings == ()


# ----------------------------------------------------------- DEPRECATION_NOTICED


def deprecated() -> Integration:
    return with_event(
        make_integration(),
        EventKind.DEPRECATION_NOTICED,
        evidence={"header": "Sunset", "sunset": "2026-06-30"},
        reason="Sunset header",
    )


def test_a_deprecation_notice_warns_with_its_evidence() -> None:
    decision = engine().evaluate(deprecated(), Action.CALL)
    assert_allowed(decision)
    finding = assert_warned(decision, "DEPRECATION_NOTICED")
    assert finding.details["evidence"]["sunset"] == "2026-06-30"
    assert finding.clause == "1.1.2"


def test_an_update_or_a_reinstatement_clears_the_notice_but_a_new_key_does_not() -> None:
    assert codes(engine().evaluate(with_event(deprecated(), EventKind.UPDATED), "call")) == set()
    reinstated = with_event(with_state(deprecated(), S.SUSPENDED), EventKind.REINSTATED)
    assert codes(engine().evaluate(reinstated, "call")) == set()
    new_key = with_event(deprecated(), EventKind.CREDENTIAL_REPLACED)
    assert codes(engine().evaluate(new_key, "call")) == {"DEPRECATION_NOTICED"}


# -------------------------------------------------------------------- INFO_STALE


def test_information_exactly_180_days_old_is_still_current() -> None:
    verified = NOW - timedelta(days=180)
    integration = make_integration(info_verified_at=verified)
    assert engine().evaluate(integration, Action.PROVISION).findings == ()
    stale = make_integration(info_verified_at=verified - TICK)
    finding = assert_warned(engine().evaluate(stale, Action.CALL), "INFO_STALE")
    assert finding.details["max_age_days"] == 180
    assert "verify-info" in finding.message
    assert_denied(engine().evaluate(stale, Action.PROVISION), "INFO_STALE")


def test_never_verified_information_is_stale() -> None:
    integration = make_integration(info_verified_at=None)
    assert_warned(engine().evaluate(integration, Action.CALL), "INFO_STALE")
    finding = assert_denied(engine().evaluate(integration, Action.PROVISION), "INFO_STALE")
    assert finding is not None
    assert finding.details["verified_at"] is None


def test_the_information_age_is_configurable() -> None:
    monthly = engine(settings=PolicySettings(info_max_age=timedelta(days=30)))
    integration = make_integration(info_verified_at=NOW - timedelta(days=31))
    assert_warned(monthly.evaluate(integration, "call"), "INFO_STALE")
    assert engine().evaluate(integration, "call").findings == ()


# ------------------------------------------------------------ INSECURE_TRANSPORT


def forced(value: _T, **fields: object) -> _T:
    """Bypass validation: the model refuses plain http, the engine must refuse it too."""
    for name, item in fields.items():
        object.__setattr__(value, name, item)
    return value


@pytest.mark.parametrize("action", [Action.CALL, Action.PROVISION, Action.ROTATE_CREDENTIAL])
def test_plain_http_to_a_remote_host_is_denied(action: Action) -> None:
    insecure = forced(make_integration(), base_url="http://example.okta.com/api/v1")
    finding = assert_denied(engine().evaluate(insecure, action), "INSECURE_TRANSPORT")
    assert finding is not None
    assert finding.clause == "1.1.3"
    assert finding.details == {"field": "base_url", "scheme": "http", "host": "example.okta.com"}


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8443/api", "http://localhost/api", "http://[::1]:8080/"]
)
def test_plain_http_to_loopback_is_accepted(url: str) -> None:
    assert_allowed(engine().evaluate(make_integration(base_url=url), Action.CALL))


def test_an_insecure_token_url_is_denied() -> None:
    integration = make_integration(
        auth={
            "scheme": "oauth2_client_credentials",
            "token_url": "https://login.example.com/token",
            "client_id": "okta-client-id",
            "client_secret": "okta-client-secret",
        }
    )
    assert_allowed(engine().evaluate(integration, Action.CALL))
    assert integration.auth is not None
    forced(integration.auth, params={**integration.auth.params, "token_url": "http://x.example/t"})
    finding = assert_denied(engine().evaluate(integration, Action.CALL), "INSECURE_TRANSPORT")
    assert finding is not None
    assert finding.details["field"] == "auth.token_url"


# -------------------------------------------------- SERVICE_SUBSCRIPTION_EXPIRED


def mimecast_api(*licences: object) -> Integration:
    return make_integration(
        id="aware-siem",
        kind=ApiKind.MIMECAST_API,
        vendor="Mimecast",
        base_url="https://api.services.mimecast.com",
        licences=licences,
    )


def test_the_service_subscription_must_cover_the_instant() -> None:
    subscription = make_licence(grantor="Mimecast", scope="Aware", valid_until=date(2026, 6, 30))
    end = datetime(2026, 7, 1, tzinfo=UTC)
    for integration in (
        mimecast_api(subscription),
        make_integration(licences=(make_licence(), subscription)),
    ):
        assert_allowed(engine().evaluate(integration, "call", end - TICK))
        finding = assert_denied(
            engine().evaluate(integration, "call", end), "SERVICE_SUBSCRIPTION_EXPIRED"
        )
        assert finding is not None
        assert finding.clause == "1.2"
        assert finding.details["ended_at"] == "2026-07-01T00:00:00Z"


def test_a_subscription_ending_within_the_window_warns() -> None:
    subscription = make_licence(grantor="Mimecast", scope="Aware", valid_until=date(2026, 6, 30))
    end = datetime(2026, 7, 1, tzinfo=UTC)
    integration = mimecast_api(subscription)
    outside = engine().evaluate(integration, "call", end - timedelta(days=30) - TICK)
    assert "SERVICE_SUBSCRIPTION_EXPIRING" not in outside.codes
    finding = assert_warned(
        engine().evaluate(integration, "call", end - timedelta(days=30)),
        "SERVICE_SUBSCRIPTION_EXPIRING",
    )
    assert finding is not None
    assert finding.details["days_left"] == 30
    assert "is valid through 2026-06-30" in finding.message
    renewed = make_licence(grantor="Mimecast", scope="Aware", valid_until=None)
    assert "SERVICE_SUBSCRIPTION_EXPIRING" not in (
        engine().evaluate(mimecast_api(subscription, renewed), "call", end - TICK).codes
    )


def test_a_subscription_not_started_yet_is_denied_and_none_recorded_is_fine() -> None:
    future = make_licence(grantor="Mimecast", scope="Aware", valid_from=date(2026, 3, 1))
    assert_denied(engine().evaluate(mimecast_api(future), "call"), "SERVICE_SUBSCRIPTION_EXPIRED")
    assert_allowed(engine().evaluate(mimecast_api(), "call"))


# -------------------------------------------------------------------- NOT_ACTIVE


def test_a_pending_integration_can_be_provisioned_but_not_called() -> None:
    pending = make_integration(state=S.PENDING)
    assert_allowed(engine().evaluate(pending, Action.PROVISION))
    finding = assert_denied(engine().evaluate(pending, Action.CALL), "NOT_ACTIVE")
    assert finding is not None
    assert finding.details["state"] == "pending"


@pytest.mark.parametrize("action", list(Action))
def test_a_retired_integration_is_denied_every_action(action: Action) -> None:
    assert_denied(engine().evaluate(make_integration(state=S.RETIRED), action), "NOT_ACTIVE")


# ------------------------------------------------------------------ POLICY_ERROR


class Exploding:
    """A container whose membership test fails: a built-in policy will raise."""

    def __contains__(self, item: object) -> bool:
        raise RuntimeError("store unavailable")


def test_an_error_inside_a_builtin_policy_denies_and_names_it() -> None:
    decision = engine(revoked_credentials=Exploding()).evaluate(make_integration(), "call")
    finding = assert_denied(decision, "POLICY_ERROR")
    assert finding is not None
    assert finding.details["policy"] == "builtin.revocation"
    assert finding.details["error_type"] == "RuntimeError"
    assert "store unavailable" in finding.message
    assert finding.clause is None


@pytest.mark.parametrize(
    "leak",
    ["token=hunter2", "password: hunter2", "Authorization: Bearer hunter2", "api_key=hunter2"],
)
def test_a_policy_error_message_never_quotes_a_short_credential(leak: str) -> None:
    class Leaky:
        def __contains__(self, item: object) -> bool:
            raise RuntimeError(f"backend said {leak}")

    decision = engine(revoked_credentials=Leaky()).evaluate(make_integration(), "call")
    finding = assert_denied(decision, "POLICY_ERROR")
    assert "hunter2" not in finding.message
    assert "hunter2" not in json.dumps(decision.to_json())


# -------------------------------------------------------------- Decision / Finding


def test_summary_lists_every_finding_in_a_stable_order() -> None:
    stale = make_integration(
        info_verified_at=datetime(2025, 1, 1, tzinfo=UTC),
        licences=(make_licence(valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31)),),
    )
    decision = engine().evaluate(stale, Action.CALL)
    assert (
        decision.summary() == "DENY call okta-directory: LICENCE_EXPIRED (1.1.2), INFO_STALE (1.1)"
    )
    assert [f.code for f in decision.denials] == ["LICENCE_EXPIRED"]
    assert [f.code for f in decision.warnings] == ["INFO_STALE"]
    assert engine().evaluate(make_integration(), "call").summary() == "ALLOW call okta-directory"


def test_to_json_has_the_documented_fields_and_serialises() -> None:
    decision = engine().evaluate(with_state(make_integration(), S.REVOKED), Action.CALL)
    data = json.loads(json.dumps(decision.to_json()))
    assert set(data) == {"allowed", "action", "integration_id", "at", "summary", "findings"}
    assert data["allowed"] is False
    assert data["action"] == "call"
    assert data["at"] == "2026-01-15T12:00:00Z"
    assert set(data["findings"][0]) == {
        "code",
        "clause",
        "severity",
        "message",
        "integration_id",
        "details",
    }
    assert data["findings"][0]["severity"] == "deny"


def test_finding_validates_its_fields_and_freezes_details() -> None:
    with pytest.raises(ValidationError, match="code"):
        Finding("lower", None, Severity.DENY, "m")
    with pytest.raises(ValidationError, match="clause"):
        Finding("ABC", "one", Severity.DENY, "m")
    with pytest.raises(ValidationError, match="message"):
        Finding("ABC", None, Severity.DENY, " ")
    with pytest.raises(ValidationError, match=r"details\.key.*Secret"):
        Finding("ABC", None, Severity.DENY, "m", details={"key": Secret("s3cr3t-value")})
    with pytest.raises(ValidationError, match=r"details\.obj"):
        Finding("ABC", None, Severity.DENY, "m", details={"obj": object()})
    finding = Finding(
        "ABC",
        "1.1",
        Severity.WARN,
        "m",
        details={
            "when": datetime(2026, 1, 1, tzinfo=UTC),
            "day": date(2026, 1, 2),
            "state": S.ACTIVE,
            "gap": timedelta(minutes=1),
            "names": ["a", "b"],
        },
    )
    assert finding.to_json()["details"] == {
        "when": "2026-01-01T00:00:00Z",
        "day": "2026-01-02",
        "state": "active",
        "gap": 60.0,
        "names": ["a", "b"],
    }
    with pytest.raises(TypeError):
        finding.details["new"] = 1  # type: ignore[index]


def test_access_denied_carries_the_decision() -> None:
    decision = engine().evaluate(make_integration(state=S.RETIRED), Action.CALL)
    error = AccessDenied(decision)
    assert error.decision is decision
    assert str(error) == "DENY call okta-directory: NOT_ACTIVE (1.1)"


def test_bad_arguments_are_refused_at_the_boundary() -> None:
    with pytest.raises(ValidationError, match="action"):
        engine().evaluate(make_integration(), "delete")
    with pytest.raises(ValidationError, match="at"):
        engine().evaluate(make_integration(), Action.CALL, datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="integration"):
        engine().evaluate("okta-directory", Action.CALL)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="licence_warning"):
        PolicySettings(licence_warning=timedelta(days=-1))


def test_the_clock_gives_the_instant_when_none_is_given() -> None:
    clock = FrozenClock(NOW)
    policy = PolicyEngine(clock=clock)
    assert policy.evaluate(make_integration(), "call").at == NOW
    clock.set(LICENCE_END)
    assert_denied(policy.evaluate(make_integration(), "call"), "LICENCE_EXPIRED")


def test_evaluate_all_keeps_order_and_uses_one_instant() -> None:
    items = [make_integration(), make_integration(id="b", state=S.RETIRED)]
    decisions = engine().evaluate_all(iter(items), Action.CALL)
    assert [d.integration_id for d in decisions] == ["okta-directory", "b"]
    assert [d.allowed for d in decisions] == [True, False]
    assert {d.at for d in decisions} == {NOW}


# ---------------------------------------------------------------------- properties


@given(hst.integrations(state=S.REVOKED), hst.actions(), hst.instants())
def test_property_revoked_is_never_allowed(
    integration: Integration, action: Action, at: datetime
) -> None:
    assert_denied(engine().evaluate(integration, action, at), "CREDENTIAL_REVOKED")


@given(hst.integrations(state=S.SUSPENDED), hst.actions(), hst.instants())
def test_property_suspended_is_never_allowed(
    integration: Integration, action: Action, at: datetime
) -> None:
    assert_denied(engine().evaluate(integration, action, at), "INTEROP_SUSPENDED")


@given(hst.integrations(state=S.RETIRED), hst.actions(), hst.instants())
def test_property_retired_is_never_allowed(
    integration: Integration, action: Action, at: datetime
) -> None:
    assert_denied(engine().evaluate(integration, action, at), "NOT_ACTIVE")


@given(
    hst.integrations(with_history=True),
    hst.actions(),
    hst.instants(),
    hst.policy_settings(),
    st.none() | st.frozensets(hst.entry_names()),
    st.none() | st.frozensets(hst.entry_names()),
)
def test_property_allowed_exactly_when_no_finding_denies(
    integration: Integration,
    action: Action,
    at: datetime,
    settings: PolicySettings,
    keystore: frozenset[str] | None,
    revoked: frozenset[str] | None,
) -> None:
    before = attrs.evolve(integration)
    decision = PolicyEngine(
        settings=settings, keystore=keystore, revoked_credentials=revoked
    ).evaluate(integration, action, at)
    assert decision.allowed is not any(f.severity is Severity.DENY for f in decision.findings)
    assert decision.allowed is (not decision.denials)
    assert codes(decision) <= BUILTIN_CODES - {"POLICY_ERROR"}
    # Built-in findings are valid Findings (their fast construction skips validation).
    for f in decision.findings:
        assert Finding(f.code, f.clause, f.severity, f.message, f.integration_id, f.details) == f
        assert f.integration_id == integration.id
    json.dumps(decision.to_json())
    assert list(decision.findings) == sorted(
        decision.findings,
        key=lambda f: ({"deny": 0, "warn": 1, "info": 2}[f.severity.value], f.code, f.message),
    )
    # Pure: nothing changed.
    assert integration == before
    assert integration.history == before.history


@given(hst.integrations(kind=ApiKind.THIRD_PARTY_API, with_history=True), hst.instants())
def test_property_a_third_party_call_needs_a_covering_licence(
    integration: Integration, at: datetime
) -> None:
    decision = engine().evaluate(integration, Action.CALL, at)
    licensed = any(
        lic.covers(at) for lic in integration.licences if not lic.is_service_subscription
    )
    if decision.allowed:
        assert licensed
    if not licensed:
        assert codes(decision) & {"LICENCE_MISSING", "LICENCE_EXPIRED", "LICENCE_NOT_YET_VALID"}


def test_a_decision_built_by_hand_must_be_consistent() -> None:
    deny = Finding("ACME_NO", None, Severity.DENY, "no")
    assert Decision(False, "call", "x", NOW, [deny]).findings == (deny,)
    with pytest.raises(ValidationError, match="allowed"):
        Decision(True, Action.CALL, "x", NOW, (deny,))
    with pytest.raises(ValidationError, match="allowed"):
        Decision(False, Action.CALL, "x", NOW)
    with pytest.raises(ValidationError, match="at"):
        Decision(True, Action.CALL, "x", datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError, match="findings"):
        Decision(True, Action.CALL, "x", NOW, ("junk",))  # type: ignore[arg-type]


def test_a_licence_valid_through_9999_12_31_allows_without_overflow() -> None:
    """A licence valid through 9999-12-31 allows with no finding: its end does not overflow."""
    forever = make_integration(licences=[make_licence(valid_until=date.max)])
    decision = engine().evaluate(forever, Action.CALL)
    assert_allowed(decision)
    assert not codes(decision)


# ------------------------------------------------------------------ valid_until


@given(
    hst.integrations(with_history=True),
    hst.policy_settings(),
    hst.actions(),
    hst.instants(),
    st.one_of(st.just(None), st.floats(0.0, 1.0, exclude_max=True)),
)
def test_a_decision_equals_a_fresh_one_at_any_instant_before_its_boundary(
    integration: Integration,
    settings: PolicySettings,
    action: Action,
    at: datetime,
    fraction: float | None,
) -> None:
    """From ``at`` up to (not including) ``valid_until``, evaluating again decides alike.

    ``fraction`` picks an instant in between; ``None`` the last instant
    before the boundary (one microsecond before it), where a late boundary
    would show.
    """
    engine = PolicyEngine(settings=settings)
    decision = engine.evaluate(integration, action, at)
    until = engine.valid_until(integration, action, at)
    assert until >= at
    horizon = min(until, at + timedelta(days=3000))
    if horizon == at:
        return
    if fraction is None:
        later = horizon - timedelta(microseconds=1)
    else:
        later = min(at + (horizon - at) * fraction, horizon - timedelta(microseconds=1))
    assert attrs.evolve(engine.evaluate(integration, action, later), at=at) == decision


def test_the_boundary_is_where_a_decision_changes() -> None:
    """A licence's warning window, its days left and its end are each a boundary."""
    end = datetime(2026, 6, 1, tzinfo=UTC)
    item = make_integration(licences=[make_licence(valid_until=end)])
    engine = PolicyEngine(settings=PolicySettings(licence_warning=timedelta(days=30)))
    start = end - timedelta(days=45)
    assert engine.valid_until(item, Action.CALL, start) == end - timedelta(days=30)
    inside = end - timedelta(days=10, hours=5)
    assert engine.valid_until(item, Action.CALL, inside) == end - timedelta(
        days=10, microseconds=-1
    )
    last_day = end - timedelta(hours=5)
    assert engine.valid_until(item, Action.CALL, last_day) == end


def test_a_hook_not_declared_pure_or_a_credential_container_leaves_nothing_to_reuse() -> None:
    @policy_hook(code="ACME_IMPURE")
    def impure(ctx: PolicyContext) -> None:
        return None

    @policy_hook(code="ACME_PURE", pure=True)
    def pure(ctx: PolicyContext) -> None:
        return None

    @policy_hook(code="ACME_PROVISION_ONLY", actions=[Action.PROVISION])
    def provision_only(ctx: PolicyContext) -> None:
        return None

    item = make_integration()
    assert PolicyEngine([impure]).valid_until(item, Action.CALL, NOW) == NOW
    assert PolicyEngine([pure]).valid_until(item, Action.CALL, NOW) > NOW
    # A hook that does not run for the action does not matter.
    assert PolicyEngine([pure, provision_only]).valid_until(item, Action.CALL, NOW) > NOW
    assert PolicyEngine(keystore={"acme-token"}).valid_until(item, Action.CALL, NOW) == NOW
    assert PolicyEngine(revoked_credentials=set()).valid_until(item, Action.CALL, NOW) == NOW
    assert PolicyEngine(include_builtin=False).valid_until(item, Action.CALL, NOW).year == 9999


def test_pure_must_be_a_bool() -> None:
    with pytest.raises(PolicyError, match="pure must be a bool"):
        policy_hook(code="ACME_X", pure="yes")  # type: ignore[arg-type]


def test_a_hook_sees_its_own_code_and_can_evolve_its_context() -> None:
    """Hooks share one context per evaluation, yet each sees its own code, clause and copies."""
    seen: list[tuple[str, str | None, str, Action]] = []

    def record(ctx: PolicyContext) -> None:
        copy = attrs.evolve(ctx, action=Action.PROVISION)
        seen.append((ctx.code, ctx.clause, copy.code, copy.action))

    first = policy_hook(code="ACME_FIRST", clause="1.5")(record)
    second = policy_hook(code="ACME_SECOND")(record)
    PolicyEngine([first, second]).evaluate(make_integration(), Action.CALL, NOW)
    assert seen == [
        ("ACME_FIRST", "1.5", "ACME_FIRST", Action.PROVISION),
        ("ACME_SECOND", None, "ACME_SECOND", Action.PROVISION),
    ]
