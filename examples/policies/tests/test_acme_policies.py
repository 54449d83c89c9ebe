"""ACME's policy hooks, tested as ACME's platform team tests them.

The fixtures ``frozen_clock`` (2026-01-15T12:00Z) and ``policy_engine`` (the
built-in policies on that clock) come from the ``hf_api_governance`` pytest
plugin; the builders and assertions from ``hf_api_governance.testing``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs
import pytest
from acme_policies import (
    aware_chat_declares_retention,
    incydr_third_party_owned_by_security,
    licence_runway_for_provisioning,
)
from hypothesis import given

from hf_api_governance import (
    Action,
    FrozenClock,
    Integration,
    IntegrationState,
    PolicyEngine,
    Revoker,
    Service,
    load_hooks,
)
from hf_api_governance import strategies as hst
from hf_api_governance.testing import (
    NOW,
    assert_allowed,
    assert_denied,
    assert_warned,
    make_integration,
    make_licence,
    with_state,
)

ACME_CODES = {
    "ACME_INCYDR_OWNER_NOT_SECURITY",
    "ACME_LICENCE_RUNWAY",
    "ACME_AWARE_CHAT_RETENTION",
}


def test_load_hooks_finds_every_acme_rule() -> None:
    hooks = load_hooks("acme_policies")
    assert {h.code for h in hooks} == ACME_CODES
    assert all(h.clause for h in hooks)


# ---------------------------------------------------- Incydr owned by security


@pytest.mark.parametrize("action", [Action.PROVISION, Action.CALL, Action.REVEAL_CREDENTIAL])
def test_an_incydr_third_party_api_owned_by_another_team_is_denied(
    policy_engine: PolicyEngine, action: Action
) -> None:
    engine = policy_engine.with_hooks(incydr_third_party_owned_by_security)
    hr_feed = make_integration(service="incydr", owner="hr-systems@acme.example")
    finding = assert_denied(engine.evaluate(hr_feed, action), "ACME_INCYDR_OWNER_NOT_SECURITY")
    assert finding.details["owner"] == "hr-systems@acme.example"
    assert finding.clause == "1.5"


@pytest.mark.parametrize("owner", ["secops@acme.example", "Insider-Risk@acme.example"])
def test_the_security_team_may_own_incydr_apis(policy_engine: PolicyEngine, owner: str) -> None:
    engine = policy_engine.with_hooks(incydr_third_party_owned_by_security)
    assert_allowed(engine.evaluate(make_integration(service="incydr", owner=owner), Action.CALL))


def test_the_owner_rule_concerns_only_incydr_third_party_apis(
    policy_engine: PolicyEngine,
) -> None:
    engine = policy_engine.with_hooks(incydr_third_party_owned_by_security)
    aware = make_integration(service="aware", owner="hr-systems@acme.example")
    assert_allowed(engine.evaluate(aware, Action.CALL))
    mimecast = make_integration(
        service="incydr",
        kind="mimecast_api",
        vendor="Mimecast",
        owner="hr-systems@acme.example",
        licences=[],
    )
    assert "ACME_INCYDR_OWNER_NOT_SECURITY" not in engine.evaluate(mimecast, Action.CALL).codes


# ------------------------------------------------------------ licence runway


def test_no_provisioning_when_the_licence_ends_within_60_days(
    policy_engine: PolicyEngine,
) -> None:
    engine = policy_engine.with_hooks(licence_runway_for_provisioning)
    # NOW is 2026-01-15T12:00Z; a licence through 2026-03-15 ends 2026-03-16T00:00Z.
    short = make_integration(licences=[make_licence(valid_until=date(2026, 3, 15))])
    finding = assert_denied(engine.evaluate(short, Action.PROVISION), "ACME_LICENCE_RUNWAY")
    assert finding.details["grantors"] == ("Okta",)
    assert finding.details["days_left"] == 59
    assert_allowed(engine.evaluate(short, Action.CALL))  # running integrations keep running


def test_the_runway_boundary_is_60_days_inclusive(frozen_clock: FrozenClock) -> None:
    engine = PolicyEngine([licence_runway_for_provisioning], clock=frozen_clock)
    ends_in_60_days = NOW + timedelta(days=60)
    licence = make_licence(valid_until=ends_in_60_days)
    integration = make_integration(licences=[licence])
    assert_denied(engine.evaluate(integration, Action.PROVISION), "ACME_LICENCE_RUNWAY")
    frozen_clock.advance(seconds=-1)
    assert_allowed(engine.evaluate(integration, Action.PROVISION))


def test_a_recorded_renewal_extends_the_runway(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(licence_runway_for_provisioning)
    renewed = make_integration(
        licences=[
            make_licence(valid_until=date(2026, 2, 28)),
            make_licence(valid_from=date(2026, 1, 10), valid_until=date(2027, 12, 31)),
        ]
    )
    assert_allowed(engine.evaluate(renewed, Action.PROVISION))


def test_a_short_mimecast_subscription_also_blocks_provisioning(
    policy_engine: PolicyEngine,
) -> None:
    engine = policy_engine.with_hooks(licence_runway_for_provisioning)
    integration = make_integration(
        licences=[
            make_licence(valid_until=date(2027, 12, 31)),
            make_licence(grantor="Mimecast", scope="Aware", valid_until=date(2026, 2, 1)),
        ]
    )
    finding = assert_denied(engine.evaluate(integration, Action.PROVISION), "ACME_LICENCE_RUNWAY")
    assert finding.details["grantors"] == ("Mimecast",)


# ------------------------------------------------------- Aware chat retention


def _slack(**enablement: object) -> Integration:
    return make_integration(
        id="slack-aware", vendor="Slack", base_url="https://slack.com/api", enablement=enablement
    )


def test_aware_chat_without_retention_days_cannot_be_provisioned(
    policy_engine: PolicyEngine,
) -> None:
    engine = policy_engine.with_hooks(aware_chat_declares_retention)
    slack = _slack(workspace="acme")
    finding = assert_denied(engine.evaluate(slack, Action.PROVISION), "ACME_AWARE_CHAT_RETENTION")
    assert "missing" in finding.message
    assert_warned(engine.evaluate(slack, Action.CALL), "ACME_AWARE_CHAT_RETENTION")


@pytest.mark.parametrize("bad", [0, -7, "90", True])
def test_retention_days_must_be_a_positive_number(policy_engine: PolicyEngine, bad: object) -> None:
    engine = policy_engine.with_hooks(aware_chat_declares_retention)
    decision = engine.evaluate(_slack(retention_days=bad), Action.PROVISION)
    assert "positive" in assert_denied(decision, "ACME_AWARE_CHAT_RETENTION").message


def test_aware_chat_with_retention_days_is_allowed(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(aware_chat_declares_retention)
    assert_allowed(engine.evaluate(_slack(retention_days=365), Action.PROVISION))
    not_chat = make_integration(enablement={})  # Okta directory: not a chat API
    assert_allowed(engine.evaluate(not_chat, Action.PROVISION))
    engage_slack = attrs.evolve(_slack(), service=Service.ENGAGE)
    assert_allowed(engine.evaluate(engage_slack, Action.PROVISION))


# ------------------------------------------------------------ all together


def test_no_acme_rule_can_let_a_revoked_integration_through(policy_engine: PolicyEngine) -> None:
    engine = policy_engine.with_hooks(load_hooks("acme_policies"))
    revoked = with_state(
        make_integration(owner="secops@acme.example"), IntegrationState.REVOKED, by=Revoker.MIMECAST
    )
    assert_denied(engine.evaluate(revoked, Action.CALL), "CREDENTIAL_REVOKED")


@given(hst.integrations(with_history=True), hst.actions(), hst.instants())
def test_acme_rules_only_ever_add_refusals(
    integration: Integration, action: Action, at: datetime
) -> None:
    """Never a POLICY_ERROR; never an allow where the built-ins deny; built-in findings kept."""
    base = PolicyEngine(clock=FrozenClock(NOW))
    acme = base.with_hooks(load_hooks("acme_policies"))
    plain, governed = base.evaluate(integration, action, at), acme.evaluate(integration, action, at)
    assert "POLICY_ERROR" not in governed.codes
    assert plain.codes <= governed.codes
    assert governed.codes - plain.codes <= ACME_CODES
    if not plain.allowed:
        assert not governed.allowed
