"""Test kit for policy hooks and provisioning code: builders, state helpers, assertions.

Everything here works with any test runner; the pytest fixtures
``frozen_clock``, ``policy_engine``, ``registry`` (in memory) and
``governance`` (on a temporary database, no keystore) come from the plugin
:mod:`hf_api_governance.testing_plugin`, which pytest loads automatically
once the package is installed.

Example::

    from hf_api_governance import Action, IntegrationState, PolicyEngine
    from hf_api_governance.testing import (
        FrozenClock, NOW, assert_denied, make_integration, with_state,
    )

    engine = PolicyEngine(clock=FrozenClock(NOW))
    revoked = with_state(make_integration(), IntegrationState.REVOKED)
    assert_denied(engine.evaluate(revoked, Action.CALL), "CREDENTIAL_REVOKED")

The defaults describe a healthy third-party integration at :data:`NOW`
(2026-01-15T12:00Z): an ACTIVE Okta directory API with a licence valid
through 2026, verified enablement information and a matching history, so
the built-in policies allow a call with no finding.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, overload

import attrs

from hf_api_governance._base.clock import FrozenClock, ensure_aware
from hf_api_governance._model.lifecycle import CLAUSES, next_state, shortest_path
from hf_api_governance._model.values import (
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
    Revoker,
    SuspensionCause,
)
from hf_api_governance._policy import Decision, Finding, Severity
from hf_api_governance.exceptions import IllegalTransition, ValidationError

__all__ = [
    "NOW",
    "FrozenClock",
    "assert_allowed",
    "assert_denied",
    "assert_warned",
    "make_integration",
    "make_licence",
    "with_event",
    "with_state",
]

NOW: Final = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
"""The instant the ``frozen_clock`` fixture shows: 2026-01-15T12:00Z."""

_ACTOR: Final = "tester@example.com"


def make_licence(**overrides: Any) -> Licence:
    """Build a valid third-party licence; keyword arguments replace the defaults.

    Defaults: grantor ``"Okta"``, scope ``"Workforce Identity API"``, valid
    from 2026-01-01 through 2026-12-31 (whole days), holder ``"Example Corp"``,
    reference ``"OKTA-2026-001"``.

    Raises:
        ValidationError: An override is invalid.
    """
    fields: dict[str, Any] = {
        "grantor": "Okta",
        "scope": "Workforce Identity API",
        "valid_from": date(2026, 1, 1),
        "valid_until": date(2026, 12, 31),
        "holder": "Example Corp",
        "reference": "OKTA-2026-001",
    }
    fields.update(overrides)
    return Licence(**fields)


_LICENCES_FROM: Final = datetime(2025, 12, 1, 9, tzinfo=UTC)


def make_integration(**overrides: Any) -> Integration:
    """Build a valid integration; keyword arguments replace the defaults.

    Defaults: ``okta-directory``, an Aware third-party API from Okta at
    ``https://example.okta.com/api/v1``, credential ``okta-api-token``, one
    :func:`make_licence`, enablement verified on 2026-01-02, ACTIVE with a
    history REGISTERED (2025-12-01), LICENCE_ADDED, INFO_VERIFIED (2026-01-02),
    ACTIVATED (2026-01-05).

    Overriding ``state`` without ``history`` builds a consistent history to
    that state (see :func:`with_state`); overriding ``history`` keeps it as
    given. The history always carries the integration's id.

    Raises:
        ValidationError: An override is invalid.
        IllegalTransition: ``state`` cannot be reached.
    """
    fields: dict[str, Any] = {
        "id": "okta-directory",
        "name": "Okta directory sync",
        "service": "aware",
        "kind": "third_party_api",
        "vendor": "Okta",
        "base_url": "https://example.okta.com/api/v1",
        "owner": "identity-team@example.com",
        "api_version": "v1",
        "credential": "okta-api-token",
        "licences": (make_licence(),),
        "enablement": {"tenant": "example", "region": "eu"},
        "info_verified_at": datetime(2026, 1, 2, 9, 0, tzinfo=UTC),
    }
    state = overrides.pop("state", None)
    history = overrides.pop("history", None)
    fields.update(overrides)
    integration = Integration(**fields)
    if history is not None:
        return attrs.evolve(
            integration,
            state=state if state is not None else IntegrationState.PENDING,
            history=tuple(history),
        )
    iid = integration.id
    verified = integration.info_verified_at
    events = [
        Event(iid, EventKind.REGISTERED, datetime(2025, 12, 1, 9, tzinfo=UTC), _ACTOR, "", "1.1")
    ]
    events.extend(
        # One second apart from 09:00:01, so any number of licences fits before activation.
        Event(iid, EventKind.LICENCE_ADDED, _LICENCES_FROM + timedelta(seconds=n), _ACTOR, "")
        for n, _ in enumerate(integration.licences, 1)
    )
    if verified is not None and verified < datetime(2026, 1, 5, 9, tzinfo=UTC):
        events.append(Event(iid, EventKind.INFO_VERIFIED, verified, _ACTOR, "", "1.1"))
    events.append(
        Event(iid, EventKind.ACTIVATED, datetime(2026, 1, 5, 9, tzinfo=UTC), _ACTOR, "", None)
    )
    integration = attrs.evolve(integration, state=IntegrationState.ACTIVE, history=tuple(events))
    if state is None:
        return integration
    target = state if isinstance(state, IntegrationState) else IntegrationState(str(state).lower())
    if target is IntegrationState.PENDING:
        return attrs.evolve(integration, state=target, history=tuple(events[:-1]))
    return with_state(integration, target)


def with_event(
    integration: Integration,
    kind: EventKind,
    *,
    at: datetime | None = None,
    actor: str = _ACTOR,
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
    clause: str | None = None,
) -> Integration:
    """Return ``integration`` with one more event and the state it leads to.

    Args:
        integration: The integration.
        kind: The event (for instance ``EventKind.DEPRECATION_NOTICED``).
        at: When (aware); default one minute after the last event, or :data:`NOW`.
        actor: Who.
        reason: Why.
        evidence: Secret-free facts (``{"sunset": "2026-06-30"}``).
        clause: The clause; default the usual clause of ``kind``.

    Returns:
        A new integration; the given one is unchanged.

    Raises:
        IllegalTransition: The state machine forbids ``kind`` in the current state.
        ValidationError: ``at`` is naive or ``evidence`` is not acceptable.
    """
    when = _next_instant(integration) if at is None else ensure_aware(at, "at")
    state = next_state(integration.state, kind, integration.id)
    event = Event(
        integration.id,
        kind,
        when,
        actor,
        reason or f"{kind.value} (test)",
        clause if clause is not None else CLAUSES[kind],
        dict(evidence or {}),
    )
    return attrs.evolve(integration, state=state, history=(*integration.history, event))


def with_state(
    integration: Integration,
    state: IntegrationState,
    *,
    by: Revoker = Revoker.MIMECAST,
    cause: SuspensionCause = SuspensionCause.MANUAL,
    at: datetime | None = None,
    actor: str | None = None,
    reason: str = "",
    evidence: Mapping[str, Any] | None = None,
) -> Integration:
    """Move ``integration`` to ``state`` through the shortest legal path of events.

    The last event carries the facts the built-in policies report: a REVOKED
    event records ``{"revoker": by.value}`` (actor ``by.value`` unless
    ``actor`` is given), a SUSPENDED event ``{"cause": cause.value}``.
    Already in ``state``: returned unchanged.

    Args:
        integration: The integration.
        state: The target state.
        by: Who revoked (for REVOKED).
        cause: Why interoperability was suspended (for SUSPENDED).
        at: When the last event happens (aware); earlier steps, if any, come
            one minute apart before it. Default: after the last event.
        actor: Who did the last step.
        reason: Why, for the last step.
        evidence: Extra facts for the last event.

    Returns:
        A new integration with the extended history.

    Raises:
        IllegalTransition: ``state`` cannot be reached (from RETIRED, nothing can).
        ValidationError: ``at`` is naive.
    """
    if integration.state is state and integration.history:
        return integration
    path = _path(integration.state if integration.history else None, state, integration.id)
    end = _next_instant(integration, len(path)) if at is None else ensure_aware(at, "at")
    for n, kind in enumerate(path):
        when = end - timedelta(minutes=len(path) - 1 - n)
        last = n == len(path) - 1
        facts: dict[str, Any] = {}
        who = _ACTOR
        if kind is EventKind.REVOKED:
            facts["revoker"] = by.value
            who = by.value
        elif kind is EventKind.SUSPENDED:
            facts["cause"] = cause.value
        if last:
            facts.update(evidence or {})
            who = actor or who
        if kind is EventKind.REGISTERED:
            integration = attrs.evolve(integration, state=IntegrationState.PENDING, history=())
        integration = with_event(
            integration,
            kind,
            at=when,
            actor=who,
            reason=reason if last and reason else "",
            evidence=facts,
        )
    return integration


def _next_instant(integration: Integration, steps: int = 1) -> datetime:
    if not integration.history:
        return NOW
    return max(e.at for e in integration.history) + timedelta(minutes=steps)


def _path(
    current: IntegrationState | None, target: IntegrationState, integration_id: str
) -> list[EventKind]:
    """Shortest event path between two states; IllegalTransition when there is none."""
    path = shortest_path(current, target)
    if path is None:
        raise IllegalTransition(
            integration_id,
            current.value if current is not None else "not registered",
            f"reach state {target.value}",
        )
    return path


# --------------------------------------------------------------------- assertions


def _describe(decision: Decision) -> str:
    if not decision.findings:
        return f"{decision.summary()}\n  (no findings)"
    lines = [decision.summary()]
    for f in decision.findings:
        clause = f" ({f.clause})" if f.clause else ""
        lines.append(f"  {f.severity.value.upper():5} {f.code}{clause}: {f.message}")
    return "\n".join(lines)


def _check_decision(decision: object) -> Decision:
    if not isinstance(decision, Decision):
        raise ValidationError("decision", f"must be a Decision, got {type(decision).__name__}")
    return decision


def assert_allowed(decision: Decision) -> None:
    """Assert that ``decision`` allows the action.

    Raises:
        AssertionError: It denies; the message lists every finding.
    """
    decision = _check_decision(decision)
    if not decision.allowed:
        raise AssertionError(f"expected the action to be allowed, got:\n{_describe(decision)}")


@overload
def assert_denied(decision: Decision, code: str) -> Finding: ...


@overload
def assert_denied(decision: Decision, code: None = None) -> None: ...


def assert_denied(decision: Decision, code: str | None = None) -> Finding | None:
    """Assert that ``decision`` denies the action, with a DENY finding ``code`` if given.

    Returns:
        The DENY finding with ``code`` (``None`` when no code was given).

    Raises:
        AssertionError: It allows, or no DENY finding has ``code``; the
            message lists every finding.
    """
    decision = _check_decision(decision)
    if decision.allowed:
        raise AssertionError(f"expected the action to be denied, got:\n{_describe(decision)}")
    if code is None:
        return None
    return _find(decision, code, Severity.DENY, "denied")


def assert_warned(decision: Decision, code: str) -> Finding:
    """Assert that ``decision`` carries a WARN finding ``code``.

    Returns:
        The finding.

    Raises:
        AssertionError: No WARN finding has ``code``; the message lists every finding.
    """
    return _find(_check_decision(decision), code, Severity.WARN, "warned")


def _find(decision: Decision, code: str, severity: Severity, verb: str) -> Finding:
    for finding in decision.findings:
        if finding.code == code and finding.severity is severity:
            return finding
    raise AssertionError(
        f"expected {verb} with {code} ({severity.value.upper()}), got:\n{_describe(decision)}"
    )
