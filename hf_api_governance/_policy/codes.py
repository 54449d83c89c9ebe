"""The built-in finding codes: the table every finding the library produces draws from.

The policy engine's built-in policies and the governed client's own refusals
(``FOREIGN_ORIGIN``; the others share the engine's codes) use these codes.

User hooks may not use these codes; ``docs/codes.md`` documents each.
"""

from __future__ import annotations

from typing import Final

__all__ = ["BUILTIN_CODES"]


BUILTIN_CODES: Final = frozenset(
    {
        "CREDENTIAL_REVOKED",
        "CREDENTIAL_MISSING",
        "INTEROP_SUSPENDED",
        "LICENCE_MISSING",
        "LICENCE_EXPIRED",
        "LICENCE_NOT_YET_VALID",
        "LICENCE_EXPIRING",
        "DEPRECATION_NOTICED",
        "INFO_STALE",
        "INSECURE_TRANSPORT",
        "FOREIGN_ORIGIN",
        "SERVICE_SUBSCRIPTION_EXPIRED",
        "SERVICE_SUBSCRIPTION_EXPIRING",
        "NOT_ACTIVE",
        "POLICY_ERROR",
    }
)
"""Codes reserved by the built-in policies and the governed client; hooks may not use them."""
