"""The policy engine: built-in clause policies and user hooks turn an integration into a Decision.

The engine is pure: it reads an :class:`~hf_api_governance.Integration` (its
declaration, state and history) and the clock, and returns a
:class:`Decision`. It does no I/O and changes nothing.

Fail closed: an exception inside any policy (built-in or user hook), or a hook
that returns something that is not a :class:`Finding`, becomes a DENY finding
``POLICY_ERROR``; :meth:`PolicyEngine.evaluate` never lets it escape and never
turns it into an allow.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime
from typing import Final

from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._base.construct import trusted
from hf_api_governance._model.values import Integration
from hf_api_governance._policy.builtin import FOREVER, Builtins
from hf_api_governance._policy.codes import BUILTIN_CODES
from hf_api_governance._policy.decision import (
    Action,
    Decision,
    Finding,
    Severity,
    check_action,
    sort_key,
)
from hf_api_governance._policy.hooks import (
    PolicyHook,
    check_hooks,
    collect_findings,
    evaluation_context,
    exception_finding,
)
from hf_api_governance._policy.settings import PolicySettings
from hf_api_governance.exceptions import ValidationError

__all__ = ["PolicyEngine"]


# ------------------------------------------------------------------------ engine


class PolicyEngine:
    """Evaluate the built-in clause policies and user hooks into a :class:`Decision`.

    The engine is pure: it reads an integration and the clock, does no I/O
    and changes nothing. It is immutable; :meth:`with_hooks` returns a new one.

    Args:
        hooks: User policy hooks (see :func:`policy_hook`, :func:`load_hooks`).
        include_builtin: Run the built-in clause policies (default ``True``).
        clock: Where "now" comes from when :meth:`evaluate` gets no instant.
        settings: Thresholds of the built-in policies.
        keystore: Entry names present in the keystore (a ``Keystore`` or any
            container of names); when given, a named credential missing from it
            yields CREDENTIAL_MISSING.
        revoked_credentials: Entry names recorded as revoked (for example
            ``Registry.revoked_credentials()``); an integration using one is
            denied with CREDENTIAL_REVOKED.

    Raises:
        PolicyError: A hook is not a :class:`PolicyHook`, or two hooks declare
            the same code.
        ValidationError: ``settings`` or ``clock`` is of the wrong type.
    """

    __slots__ = (
        "_builtins",
        "_clock",
        "_hooks",
        "_hooks_for",
        "_include_builtin",
        "_policies",
        "_settings",
    )

    BUILTIN_CODES: Final = BUILTIN_CODES

    def __init__(
        self,
        hooks: Iterable[PolicyHook] = (),
        *,
        include_builtin: bool = True,
        clock: Clock | None = None,
        settings: PolicySettings | None = None,
        keystore: Container[str] | None = None,
        revoked_credentials: Container[str] | None = None,
    ) -> None:
        if settings is None:
            settings = PolicySettings()
        if not isinstance(settings, PolicySettings):
            raise ValidationError("settings", "must be a PolicySettings")
        clock = SystemClock() if clock is None else clock
        if not isinstance(clock, Clock):
            raise ValidationError("clock", "must have a now() method (a Clock)")
        self._include_builtin = bool(include_builtin)
        self._clock = clock
        self._settings = settings
        self._builtins = Builtins(settings, keystore, revoked_credentials)
        self._policies = self._builtins.policies()
        self._set_hooks(check_hooks(hooks))

    def _set_hooks(self, hooks: tuple[PolicyHook, ...]) -> None:
        self._hooks = hooks
        # Per action, the hooks that run for it: no membership test per hook and decision.
        self._hooks_for = {a: tuple((h, h.func) for h in hooks if a in h.actions) for a in Action}

    @property
    def hooks(self) -> tuple[PolicyHook, ...]:
        """The user hooks, sorted by code."""
        return self._hooks

    @property
    def settings(self) -> PolicySettings:
        """The thresholds in use."""
        return self._settings

    @property
    def clock(self) -> Clock:
        """The clock used when no instant is given."""
        return self._clock

    def with_hooks(self, *hooks: PolicyHook | Iterable[PolicyHook]) -> PolicyEngine:
        """Return a new engine with these hooks added (this one is unchanged).

        Args:
            *hooks: Hooks, or groups of hooks (such as what :func:`load_hooks`
                returns).

        Raises:
            PolicyError: Something is not a hook, or a code is declared twice.
        """
        added: list[object] = list(self._hooks)
        for item in hooks:
            if isinstance(item, PolicyHook):
                added.append(item)
            else:  # a group; anything else is rejected with a clear message below
                added.extend(item if isinstance(item, Iterable) else [item])
        engine: PolicyEngine = object.__new__(PolicyEngine)
        engine._include_builtin = self._include_builtin
        engine._clock = self._clock
        engine._settings = self._settings
        engine._builtins = self._builtins
        engine._policies = self._policies
        engine._set_hooks(check_hooks(added))
        return engine

    def _now(self, at: datetime | None) -> datetime:
        return ensure_aware(self._clock.now() if at is None else at, "at")

    def evaluate(
        self, integration: Integration, action: Action | str, at: datetime | None = None
    ) -> Decision:
        """Decide whether ``action`` is allowed on ``integration`` at ``at``.

        Args:
            integration: The integration, with its state and history (as the
                registry returns it).
            action: What is asked (an :class:`Action` or its value, ``"call"``).
            at: The instant (aware); default: the engine's clock.

        Returns:
            The decision: allowed only when no finding is DENY.

        Raises:
            ValidationError: ``integration`` is not an Integration, ``action``
                is unknown or ``at`` is naive. Errors inside policies never
                escape: they become POLICY_ERROR denials.
        """
        return self._evaluate(_integration(integration), check_action(action), self._now(at))

    def evaluate_all(
        self,
        integrations: Iterable[Integration],
        action: Action | str,
        at: datetime | None = None,
    ) -> list[Decision]:
        """Evaluate many integrations at one instant, in the order given.

        Args:
            integrations: The integrations.
            action: What is asked.
            at: The instant (aware); default: the clock, read once for all.

        Returns:
            One decision per integration, in the same order.

        Raises:
            ValidationError: As for :meth:`evaluate`.
        """
        act = check_action(action)
        when = self._now(at)
        evaluate = self._evaluate
        return [evaluate(_integration(i), act, when) for i in integrations]

    def _evaluate(self, integration: Integration, action: Action, at: datetime) -> Decision:
        iid = integration.id
        findings: list[Finding] = []
        if self._include_builtin:
            for name, policy in self._policies:
                mark = len(findings)
                try:
                    policy(integration, action, at, findings)
                except Exception as exc:  # fail closed: a broken policy denies
                    del findings[mark:]
                    findings.append(exception_finding(name, iid, exc))
        hooks = self._hooks_for[action]
        if hooks:
            # One context for the evaluation, each hook run on it (no allocation per hook).
            ctx, running = evaluation_context(integration, action, at, self._settings)
            running.append(hooks[0][0])
            for hook, func in hooks:
                running[0] = hook
                try:
                    result = func(ctx)
                    if result is not None:
                        findings.extend(collect_findings(hook, result, iid))
                except Exception as exc:  # fail closed: a broken hook denies
                    findings.append(exception_finding(hook.name, iid, exc))
        allowed = True
        for finding in findings:
            if finding.severity is Severity.DENY:
                allowed = False
                break
        if len(findings) > 1:
            findings.sort(key=sort_key)
        return trusted(
            Decision,
            allowed=allowed,
            action=action,
            integration_id=iid,
            at=at,
            findings=tuple(findings),
        )

    def valid_until(
        self,
        integration: Integration,
        action: Action | str,
        at: datetime | None = None,
        *,
        credentials_checked: bool = False,
    ) -> datetime:
        """Until when a decision taken at ``at`` stands unchanged for this very integration.

        The first instant after ``at`` at which the outcome could change: a
        licence or subscription starting or ending, entering its warning
        window (or its days left changing), the enablement information
        passing its age limit (or its age in days changing). A fresh
        evaluation at any instant ``t`` with ``at <= t < valid_until`` gives
        the same decision (the same ``allowed`` and findings; only
        :attr:`Decision.at` differs), as long as the integration (its
        declaration, state and history) is the same.

        Returns ``at`` itself (an empty interval: nothing may be reused) when
        the decision depends on more than the integration and the instant: a
        hook running for ``action`` is not declared ``pure`` (see
        :func:`~hf_api_governance.policy_hook`), or the engine reads a
        ``keystore`` or ``revoked_credentials`` container, which may change
        at any time, and ``credentials_checked`` is false. Aware
        ``datetime.max`` when nothing could change.

        Args:
            integration: The integration the decision was taken for.
            action: The action it was taken for.
            at: The instant it was taken (default: the engine's clock).
            credentials_checked: The caller itself checks, before every use of
                the decision, that the integration's credential entries are
                still in the ``keystore`` container and not in the
                ``revoked_credentials`` one, and evaluates afresh when either
                changed (the governed client does: it reads every entry from
                that keystore, and the revoked names from the registry, before
                each call). The containers then do not prevent reuse.

        Raises:
            ValidationError: As for :meth:`evaluate`.
        """
        item = _integration(integration)
        act = check_action(action)
        when = self._now(at)
        if not all(hook.pure for hook, _ in self._hooks_for[act]):
            return when
        if not self._include_builtin:
            return FOREVER
        return self._builtins.valid_until(item, when, bool(credentials_checked))

    @property
    def keystore(self) -> Container[str] | None:
        """The ``keystore`` container given to the engine (``None`` when none was)."""
        return self._builtins.keystore

    def __repr__(self) -> str:
        codes = ", ".join(h.code for h in self._hooks)
        return (
            f"PolicyEngine(include_builtin={self._include_builtin}, hooks=[{codes}], "
            f"settings={self._settings!r})"
        )


def _integration(value: object) -> Integration:
    if not isinstance(value, Integration):
        raise ValidationError("integration", f"must be an Integration, got {type(value).__name__}")
    return value
