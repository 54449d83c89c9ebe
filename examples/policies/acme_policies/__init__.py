"""ACME Corp's own governance rules, on top of the contract's built-in policies.

A policy package as a customer keeps it: plain functions declared with
:func:`~hf_api_governance.policy_hook`, each with a stable code (prefixed
``ACME_``), the contract clause it serves and the actions it runs for. Load
them by module path::

    from hf_api_governance import Governance, load_hooks

    gov = Governance.open(".hf-gov/registry.db", hooks=load_hooks("acme_policies"))

or on the command line (the package's directory must be importable)::

    PYTHONPATH=examples/policies hf-gov check examples/inventory.toml --hooks acme_policies

Hooks are pure and fast: they read the :class:`~hf_api_governance.PolicyContext`
and return findings; no network, no writes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from hf_api_governance import (
    Action,
    ApiKind,
    Finding,
    PolicyContext,
    Service,
    policy_hook,
)

__all__ = [
    "CHAT_VENDORS",
    "LICENCE_RUNWAY",
    "SECURITY_TEAM_MAILBOXES",
    "aware_chat_declares_retention",
    "incydr_third_party_owned_by_security",
    "licence_runway_for_provisioning",
]

SECURITY_TEAM_MAILBOXES: Final = frozenset({"security", "secops", "insider-risk"})
"""Local parts of the security team's addresses (``secops@acme.example``...)."""

LICENCE_RUNWAY: Final = timedelta(days=60)
"""No provisioning when a licence in force ends sooner than this."""

CHAT_VENDORS: Final = frozenset({"Slack", "Microsoft Teams", "Zoom", "Webex", "Google Chat"})
"""Vendors whose APIs carry chat messages (monitored by Aware)."""


@policy_hook(
    code="ACME_INCYDR_OWNER_NOT_SECURITY",
    clause="1.5",
    actions=[Action.PROVISION, Action.CALL, Action.REVEAL_CREDENTIAL],
)
def incydr_third_party_owned_by_security(ctx: PolicyContext) -> Finding | None:
    """Third-party APIs feeding Incydr (insider risk) must be owned by the security team.

    Incydr sees departing employees and exfiltration alerts: only the security
    team may own (and so hold the keys of) the APIs that feed it.
    """
    integration = ctx.integration
    if integration.service is not Service.INCYDR or integration.kind is not ApiKind.THIRD_PARTY_API:
        return None
    local, _, _domain = integration.owner.partition("@")
    if local.strip().casefold() in SECURITY_TEAM_MAILBOXES:
        return None
    return ctx.deny(
        "third-party APIs for Incydr must be owned by the security team "
        f"({', '.join(sorted(SECURITY_TEAM_MAILBOXES))}@...): change the owner",
        owner=integration.owner,
    )


@policy_hook(code="ACME_LICENCE_RUNWAY", clause="1.1.2", actions=Action.PROVISION)
def licence_runway_for_provisioning(ctx: PolicyContext) -> Finding | None:
    """No integration whose licence ends within 60 days may be provisioned.

    For each grantor, the licence in force that ends last counts (a renewal
    already recorded extends the runway). Licences that are missing, expired
    or not yet valid are the built-in policies' business.
    """
    ends: dict[str, datetime | None] = {}
    for licence in ctx.integration.licences:
        if licence.covers(ctx.at):
            grantor, end = licence.grantor, licence.ends_at
            ends[grantor] = _later(ends[grantor], end) if grantor in ends else end
    horizon = ctx.at + LICENCE_RUNWAY  # exactly 60 days left is "within 60 days"
    short = {g: end for g, end in sorted(ends.items()) if end is not None and end <= horizon}
    if not short:
        return None
    return ctx.deny(
        f"the {', '.join(short)} licence ends within {LICENCE_RUNWAY.days} days: "
        "renew it (or record the renewal) before provisioning",
        grantors=list(short),
        days_left=min((end - ctx.at).days for end in short.values()),
    )


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    """The later of two licence ends, ``None`` meaning no end."""
    return None if a is None or b is None else max(a, b)


@policy_hook(
    code="ACME_AWARE_CHAT_RETENTION",
    clause="1.1",
    actions=[Action.PROVISION, Action.CALL],
)
def aware_chat_declares_retention(ctx: PolicyContext) -> Finding | None:
    """Aware chat integrations must declare ``retention_days`` in their enablement information.

    The retention given to Mimecast is part of the enablement information
    that must stay correct and current (clause 1.1). Missing or invalid:
    provisioning is denied, calls are warned.
    """
    integration = ctx.integration
    if integration.service is not Service.AWARE or integration.vendor not in CHAT_VENDORS:
        return None
    retention = integration.enablement.get("retention_days")
    if isinstance(retention, int) and not isinstance(retention, bool) and retention > 0:
        return None
    problem = "is missing" if retention is None else "must be a positive number of days"
    message = f"enablement key 'retention_days' {problem} for an Aware chat integration"
    if ctx.action is Action.PROVISION:
        return ctx.deny(message)
    return ctx.warn(message)
