"""Decisions: findings and decisions, user hooks, the built-in clause policies and the engine.

The layers inside, in import order: ``decision`` (values), ``codes`` (the
built-in code table), ``settings``, ``hooks`` (user hooks, fail closed),
``builtin`` (one policy per clause) and ``engine`` (evaluation). The rest of
the package imports the names below from here.
"""

from hf_api_governance._policy.codes import BUILTIN_CODES
from hf_api_governance._policy.decision import Action, Decision, Finding, Severity
from hf_api_governance._policy.engine import PolicyEngine
from hf_api_governance._policy.hooks import PolicyContext, PolicyHook, load_hooks, policy_hook
from hf_api_governance._policy.settings import PolicySettings

__all__ = [
    "BUILTIN_CODES",
    "Action",
    "Decision",
    "Finding",
    "PolicyContext",
    "PolicyEngine",
    "PolicyHook",
    "PolicySettings",
    "Severity",
    "load_hooks",
    "policy_hook",
]
