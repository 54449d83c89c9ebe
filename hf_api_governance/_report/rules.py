"""What each finding code means, for reports: a title, the default level and what to do.

:data:`RULES` covers every built-in code (``BUILTIN_CODES``); its ``fix``
texts are the "what to do" column of ``docs/codes.md`` (a test keeps the two
equal). A code of a user hook gets its rule from the hook itself
(:func:`hook_rules`): the first line of the hook function's docstring is the
title, the rest the fix.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from hf_api_governance._confidential.evidence import safe_prose
from hf_api_governance._policy import PolicyHook, Severity

__all__ = ["RULES", "Rule", "hook_rules", "rule_for"]


@attrs.frozen
class Rule:
    """What a finding code means.

    Attributes:
        code: The finding code.
        title: A short description ("Third-party licence expired").
        clause: The contract clause it enforces, or ``None``.
        level: Its usual severity (a finding carries its own).
        fix: What to do, for people.
        builtin: Whether the library defines it (else a user hook does).
    """

    code: str
    title: str
    clause: str | None
    level: Severity
    fix: str
    builtin: bool = True


_D, _W = Severity.DENY, Severity.WARN

RULES: Final[Mapping[str, Rule]] = MappingProxyType(
    {
        rule.code: rule
        for rule in (
            Rule(
                "CREDENTIAL_REVOKED",
                "API credential revoked",
                "1.1.1",
                _D,
                "never retry with the revoked key: obtain a new credential, store it under a "
                "new name and record it with hf-gov replace-credential ID --entry NEW-NAME "
                "(Registry.replace_credential), which makes the integration ACTIVE again. "
                "Rotation is denied too: a revoked key cannot rotate itself.",
            ),
            Rule(
                "CREDENTIAL_MISSING",
                "No usable credential",
                "1.1.1",
                _D,
                "store the key in the keystore (hf-gov keys set NAME, Governance.store_key) "
                "and name the entry in the integration",
            ),
            Rule(
                "INTEROP_SUSPENDED",
                "Interoperability suspended",
                "1.1.2",
                _D,
                "fix or migrate the integration, then hf-gov reinstate ID (Registry.reinstate)",
            ),
            Rule(
                "LICENCE_MISSING",
                "No third-party licence recorded",
                "1.1.2",
                _D,
                "record the licence you hold (in the inventory, or hf-gov licence add ID ..., "
                "Registry.add_licence)",
            ),
            Rule(
                "LICENCE_EXPIRED",
                "Third-party licence expired",
                "1.1.2",
                _D,
                "renew the licence with the vendor or record the renewal",
            ),
            Rule(
                "LICENCE_NOT_YET_VALID",
                "Third-party licence not yet valid",
                "1.1.2",
                _D,
                "wait for the start, or record a licence valid now",
            ),
            Rule(
                "LICENCE_EXPIRING",
                "Third-party licence expiring soon",
                "1.1.2",
                _W,
                "renew the licence with the vendor or record the renewal",
            ),
            Rule(
                "DEPRECATION_NOTICED",
                "API deprecation announced",
                "1.1.2",
                _W,
                "plan the migration before the sunset; record it with an update "
                "(new api_version or base_url)",
            ),
            Rule(
                "INFO_STALE",
                "Enablement information not verified recently",
                "1.1",
                _W,
                "check the information given to Mimecast is still correct and current, then "
                "run hf-gov verify-info ID (Registry.verify_info)",
            ),
            Rule(
                "INSECURE_TRANSPORT",
                "Plain http to a remote host",
                "1.1.3",
                _D,
                "switch the URL to https",
            ),
            Rule(
                "FOREIGN_ORIGIN",
                "Request to another origin than the integration's",
                "1.1.1",
                _D,
                "send the integration's requests to its base_url (or its OAuth token "
                "endpoint) only; register another integration for another API",
            ),
            Rule(
                "SERVICE_SUBSCRIPTION_EXPIRED",
                "Mimecast service subscription not valid",
                "1.2",
                _D,
                "renew the subscription with Mimecast or record the renewal",
            ),
            Rule(
                "SERVICE_SUBSCRIPTION_EXPIRING",
                "Mimecast service subscription expiring soon",
                "1.2",
                _W,
                "renew the subscription with Mimecast or record the renewal",
            ),
            Rule(
                "NOT_ACTIVE",
                "Integration not active",
                "1.1",
                _D,
                "provision it (hf-gov provision ID, Governance.provision); a retired "
                "integration stays retired: register a new one",
            ),
            Rule(
                "POLICY_ERROR",
                "A policy failed (fail closed)",
                None,
                _D,
                "fix the policy",
            ),
        )
    }
)
"""The rule of every built-in code."""


def hook_rules(hooks: Iterable[PolicyHook]) -> dict[str, Rule]:
    """The rules of user hooks' codes, from each hook's declaration and docstring.

    The docstring's first paragraph is the title, the rest the fix; a hook
    without a docstring is named by its code. Both are made secret-free.
    """
    rules: dict[str, Rule] = {}
    for hook in hooks:
        doc = inspect.getdoc(hook.func) or ""
        head, _, rest = doc.strip().partition("\n\n")
        title = safe_prose(head, 120) if head.strip() else f"Policy hook {hook.code}"
        fix = (
            safe_prose(rest, 500)
            if rest.strip()
            else f"see the policy hook {safe_prose(hook.name, 200)} that reports it"
        )
        rules[hook.code] = Rule(hook.code, title, hook.clause, Severity.DENY, fix, builtin=False)
    return rules


def rule_for(code: str, clause: str | None, extra: Mapping[str, Rule]) -> Rule:
    """The rule of ``code``: built-in, from a hook, or a plain one naming the code."""
    found = RULES.get(code) or extra.get(code)
    if found is not None:
        return found
    return Rule(
        code,
        f"Policy finding {code}",
        clause,
        Severity.DENY,
        "see the policy that reports this code",
        builtin=False,
    )
