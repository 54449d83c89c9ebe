"""The refusals the client decides itself: the table of its findings, and the denial they raise.

Before a request leaves the machine the governor refuses a foreign origin,
plain http to a host that is not loopback, a revoked credential and a
lifecycle state that forbids calls. Each refusal is a built-in finding code
of the policy engine (:data:`~hf_api_governance._policy.BUILTIN_CODES`,
documented in ``docs/codes.md``) with its clause, raised as the same
:class:`~hf_api_governance.AccessDenied` a policy denial is.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Final

from hf_api_governance._model.values import IntegrationState
from hf_api_governance._policy import Action, Decision, Finding, Severity
from hf_api_governance.exceptions import AccessDenied

__all__ = ["STATE_REFUSALS", "Refusal", "deny"]


class Refusal(enum.Enum):
    """The refusals the client decides itself: each a built-in finding code and its clause.

    This is the table of every finding the client produces; each code is in
    the policy engine's :data:`~hf_api_governance._policy.BUILTIN_CODES`
    (documented in ``docs/codes.md``) and means there what it means here.
    """

    FOREIGN_ORIGIN = ("FOREIGN_ORIGIN", "1.1.1")
    """The URL is not at the integration's origins (or cannot be read unambiguously)."""
    INSECURE_TRANSPORT = ("INSECURE_TRANSPORT", "1.1.3")
    """Plain http to a host that is not loopback."""
    CREDENTIAL_REVOKED = ("CREDENTIAL_REVOKED", "1.1.1")
    """The integration is REVOKED, or one of its credential entries was revoked."""
    INTEROP_SUSPENDED = ("INTEROP_SUSPENDED", "1.1.2")
    """The integration is SUSPENDED (or this session saw it suspended)."""
    NOT_ACTIVE = ("NOT_ACTIVE", "1.1")
    """The integration is PENDING (without an engine) or RETIRED."""

    def __init__(self, code: str, clause: str) -> None:
        self.code = code
        self.clause = clause


STATE_REFUSALS: Final[Mapping[IntegrationState, Refusal]] = MappingProxyType(
    {
        IntegrationState.PENDING: Refusal.NOT_ACTIVE,
        IntegrationState.REVOKED: Refusal.CREDENTIAL_REVOKED,
        IntegrationState.SUSPENDED: Refusal.INTEROP_SUSPENDED,
        IntegrationState.RETIRED: Refusal.NOT_ACTIVE,
    }
)
"""The refusal for each state other than ACTIVE."""


def deny(refusal: Refusal, message: str, *, integration_id: str, at: datetime) -> AccessDenied:
    """An :class:`AccessDenied` for a refusal the client itself decided.

    The finding has the same shape as the policy engine's, and a code of its
    table, so callers handle one kind of decision.
    """
    finding = Finding(refusal.code, refusal.clause, Severity.DENY, message, integration_id)
    return AccessDenied(Decision(False, Action.CALL, integration_id, at, (finding,)))
