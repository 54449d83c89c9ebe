"""A report: every integration's decision at one instant (what ``hf-gov check`` prints).

:func:`evaluate` decides a set of integrations in id order;
:func:`evaluate_inventory` first gives each declared integration the state
and history that registering and activating it would give (no database).
Both sit here, below the facade and the registry, so that checking an
inventory file loads neither.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from hf_api_governance._base.clock import Clock, ensure_aware
from hf_api_governance._model.lifecycle import as_enabled
from hf_api_governance._model.values import Integration
from hf_api_governance._policy.decision import Action, Decision
from hf_api_governance._policy.engine import PolicyEngine
from hf_api_governance._policy.hooks import PolicyHook
from hf_api_governance._policy.settings import PolicySettings

__all__ = ["PROGRESS_BLOCK", "Report", "evaluate", "evaluate_inventory"]

PROGRESS_BLOCK = 500
"""Integrations a report evaluates between two calls of its ``progress`` callback."""


@attrs.frozen
class Report:
    """Decisions for every integration at one instant (what ``hf-gov check`` prints).

    Attributes:
        at: The instant evaluated.
        action: The action asked about.
        decisions: One decision per integration, in id order.
        integrations: The integrations, in the same order.
        settings: The thresholds the decisions were made with (reports draw
            the licence warning window from it).
    """

    at: datetime
    action: Action
    decisions: tuple[Decision, ...]
    integrations: tuple[Integration, ...]
    settings: PolicySettings = attrs.field(factory=PolicySettings)

    @property
    def denied(self) -> tuple[Decision, ...]:
        """The decisions that deny."""
        return tuple(d for d in self.decisions if not d.allowed)

    @property
    def ok(self) -> bool:
        """Whether nothing is denied."""
        return not self.denied


def evaluate(
    engine: PolicyEngine,
    integrations: Iterable[Integration],
    action: Action,
    at: datetime,
    progress: Callable[[int, int], object] | None,
) -> Report:
    """Evaluate ``integrations`` in id order; with ``progress``, block by block."""
    ordered = tuple(sorted(integrations, key=lambda i: i.id))
    if progress is None:
        decisions = tuple(engine.evaluate_all(ordered, action, at=at))
    else:
        done: list[Decision] = []
        for start in range(0, len(ordered), PROGRESS_BLOCK):
            done += engine.evaluate_all(ordered[start : start + PROGRESS_BLOCK], action, at=at)
            progress(len(done), len(ordered))
        decisions = tuple(done)
    return Report(
        at=at,
        action=action,
        decisions=decisions,
        integrations=ordered,
        settings=engine.settings,
    )


def evaluate_inventory(
    inventory: Iterable[Integration],
    at: datetime | None,
    action: Action,
    *,
    hooks: Iterable[PolicyHook],
    settings: PolicySettings | None,
    clock: Clock,
    actor: str,
    progress: Callable[[int, int], object] | None,
) -> Report:
    """Evaluate declared integrations as if each were registered and activated now.

    ``clock`` is read once: the built history's instant, and the instant
    evaluated when ``at`` is ``None`` (see
    :meth:`Governance.report_inventory <hf_api_governance.Governance.report_inventory>`).

    Raises:
        PolicyError: ``hooks`` is not an iterable of policy hooks.
        ValidationError: An item is not an :class:`Integration`, ``at`` is
            naive, or another argument is invalid.
    """
    now = clock.now()
    enabled = list(map(as_enabled(now, actor), inventory))
    engine = PolicyEngine(hooks=hooks, clock=clock, settings=settings)
    when = ensure_aware(at, "at") if at is not None else now
    return evaluate(engine, enabled, action, when, progress)
