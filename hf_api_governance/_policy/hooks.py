"""User policy hooks: the read-only context a hook sees, the decorator, loading, fail-closed errors.

A hook is a small callable (``PolicyContext`` in, findings out) wrapped by
:func:`policy_hook`. An exception inside a hook, or a result that is not a
finding, becomes a DENY ``POLICY_ERROR`` finding: policies fail closed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import ModuleType
from typing import Any, Final, TypeAlias

import attrs

from hf_api_governance._base.identifiers import CLAUSE, FINDING_CODE
from hf_api_governance._confidential.evidence import safe_message
from hf_api_governance._model.values import Event, Integration
from hf_api_governance._policy.codes import BUILTIN_CODES
from hf_api_governance._policy.decision import (
    Action,
    Finding,
    Severity,
    check_action,
    trusted_finding,
)
from hf_api_governance._policy.settings import PolicySettings
from hf_api_governance.exceptions import PolicyError, ValidationError

__all__ = ["HookFunction", "PolicyContext", "PolicyHook", "load_hooks", "policy_hook"]

# ------------------------------------------------------------------------- hooks


@attrs.frozen
class PolicyContext:
    """What a policy hook sees: read-only facts about one evaluation.

    Args:
        integration: The integration evaluated (state and declaration).
        action: The action asked about.
        at: The instant of the decision (aware UTC).
        history: The integration's events, oldest first.
        settings: The engine's thresholds.
        code: The code declared by the running hook.
        clause: The clause declared by the running hook.
    """

    integration: Integration
    action: Action
    at: datetime
    history: tuple[Event, ...]
    settings: PolicySettings
    code: str
    clause: str | None = None

    def finding(self, severity: Severity, message: str, /, **details: Any) -> Finding:
        """Build a finding with the hook's declared code and clause.

        Args:
            severity: DENY, WARN or INFO.
            message: What is wrong and what to do next.
            **details: Secret-free, JSON-able facts.

        Returns:
            The finding, for this integration.

        Raises:
            ValidationError: ``message`` is empty or ``details`` are not acceptable.
        """
        return Finding(self.code, self.clause, severity, message, self.integration.id, details)

    def deny(self, message: str, /, **details: Any) -> Finding:
        """Build a DENY finding with the hook's code and clause (see :meth:`finding`)."""
        return self.finding(Severity.DENY, message, **details)

    def warn(self, message: str, /, **details: Any) -> Finding:
        """Build a WARN finding with the hook's code and clause (see :meth:`finding`)."""
        return self.finding(Severity.WARN, message, **details)

    def info(self, message: str, /, **details: Any) -> Finding:
        """Build an INFO finding with the hook's code and clause (see :meth:`finding`)."""
        return self.finding(Severity.INFO, message, **details)


HookFunction: TypeAlias = Callable[[PolicyContext], "Finding | Iterable[Finding] | None"]


class _Running(PolicyContext):
    """The engine's context for one evaluation: ``code`` and ``clause`` are the running hook's.

    The engine builds one per evaluation (:func:`evaluation_context`) and
    runs every hook on it, naming the running hook in a one-item list:
    no allocation and no attribute write per hook.
    """

    __slots__ = ("_running",)

    _running: list[PolicyHook]

    def __new__(cls, *args: Any, **kwargs: Any) -> PolicyContext:  # type: ignore[misc]
        # Built by the engine with object.__new__; built by a caller (attrs.evolve
        # of a hook's context), it is a plain PolicyContext with the values given.
        return PolicyContext(*args, **kwargs)

    @property
    def code(self) -> str:
        """The code declared by the running hook."""
        return self._running[0].code

    @property
    def clause(self) -> str | None:
        """The clause declared by the running hook."""
        return self._running[0].clause

    def __repr__(self) -> str:
        return "PolicyContext" + super().__repr__()[len(type(self).__name__) :]


_FIELDS: Final = ("integration", "action", "at", "history", "settings")


def evaluation_context(
    integration: Integration, action: Action, at: datetime, settings: PolicySettings
) -> tuple[PolicyContext, list[PolicyHook]]:
    """One context for an evaluation, and the list whose only item names the running hook."""
    ctx = object.__new__(_Running)
    set_field = object.__setattr__  # frozen for hooks; built here, once
    for name, value in zip(
        _FIELDS, (integration, action, at, integration.history, settings), strict=True
    ):
        set_field(ctx, name, value)
    running: list[PolicyHook] = []
    set_field(ctx, "_running", running)
    return ctx, running


_ALL_ACTIONS: Final = frozenset(Action)


def _hook_actions(value: object) -> frozenset[Action]:
    if value is None:
        return _ALL_ACTIONS
    if not isinstance(value, Iterable | Action):
        raise PolicyError("policy_hook: actions must be an Action or an iterable of Actions")
    items = [value] if isinstance(value, Action | str) else list(value)
    try:
        actions = frozenset(check_action(a, "actions") for a in items)
    except ValidationError as exc:
        raise PolicyError(f"policy_hook: {exc}") from None
    if not actions:
        raise PolicyError("policy_hook: actions must not be empty (omit it for every action)")
    return actions


@attrs.frozen
class PolicyHook:
    """A user policy: a function of a :class:`PolicyContext`, with its code, clause and actions.

    Build one with :func:`policy_hook`. Calling it calls the function.

    Args:
        func: The function; returns ``None``, a :class:`Finding` or an
            iterable of findings.
        code: The finding code it reports (``^[A-Z][A-Z0-9_]{2,63}$``, not a
            built-in code).
        clause: The contract clause it enforces, or ``None``.
        actions: The actions it runs for.
        name: Its name in ``POLICY_ERROR`` findings (default
            ``module.qualname``).
        pure: Declared time- and context-independent (see :func:`policy_hook`):
            decisions may be cached while only such hooks run.
    """

    func: HookFunction
    code: str
    clause: str | None
    actions: frozenset[Action]
    name: str
    pure: bool = False

    def __call__(self, ctx: PolicyContext) -> Finding | Iterable[Finding] | None:
        return self.func(ctx)


def policy_hook(
    *,
    code: str,
    clause: str | None = None,
    actions: Action | str | Iterable[Action | str] | None = None,
    name: str | None = None,
    pure: bool = False,
) -> Callable[[HookFunction], PolicyHook]:
    """Declare a function as a policy hook.

    Example::

        @policy_hook(code="OWNER_IS_A_PERSON", clause="1.5", actions=[Action.PROVISION])
        def owner_is_a_person(ctx):
            if "@" not in ctx.integration.owner:
                return ctx.deny("name a person as owner, not a team")
            return None

    Args:
        code: The finding code the hook reports; must match
            ``^[A-Z][A-Z0-9_]{2,63}$`` and not be a built-in code.
        clause: The contract clause it enforces (``"1.1.2"``), or ``None``.
        actions: The actions it runs for (default: every action).
        name: Its name in error findings (default: ``module.qualname``).
        pure: Declare the hook time- and context-independent: what it returns
            depends only on ``ctx.integration`` (its declaration, state and
            history), ``ctx.action`` and ``ctx.settings``, never on ``ctx.at``,
            the clock or anything outside the context (files, network,
            environment, mutable globals). Only then may a decision be reused
            (a governed session caches a CALL decision for an unchanged
            integration until its next time boundary); a hook without the
            declaration (the default) is evaluated on every decision.

    Returns:
        A decorator that turns the function into a :class:`PolicyHook`.

    Raises:
        PolicyError: The code, clause, actions or name is invalid, or the
            code is a built-in one.
    """
    if not isinstance(code, str) or not FINDING_CODE.fullmatch(code):
        raise PolicyError(
            f"policy_hook: code {code!r} must match ^[A-Z][A-Z0-9_]{{2,63}}$ "
            "(upper case letters, digits and '_', starting with a letter)"
        )
    if code in BUILTIN_CODES:
        raise PolicyError(
            f"policy_hook: code {code!r} is a built-in finding code; choose another "
            "(for example prefix it with your company name)"
        )
    if clause is not None and not (isinstance(clause, str) and CLAUSE.fullmatch(clause)):
        raise PolicyError(f"policy_hook: clause {clause!r} must look like '1.1.2' or be None")
    declared = _hook_actions(actions)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise PolicyError("policy_hook: name must be non-empty text")
    if not isinstance(pure, bool):
        raise PolicyError("policy_hook: pure must be a bool")

    def decorate(func: HookFunction) -> PolicyHook:
        if isinstance(func, PolicyHook) or not callable(func):
            raise PolicyError(f"policy_hook({code}): can only decorate a plain function")
        hook_name = name or f"{func.__module__}.{getattr(func, '__qualname__', repr(func))}"
        return PolicyHook(func, code, clause, declared, hook_name, pure)

    return decorate


def load_hooks(*module_paths: str) -> tuple[PolicyHook, ...]:
    """Import modules and collect their policy hooks.

    A module contributes its ``HOOKS`` list when it defines one; otherwise
    every module-level :class:`PolicyHook` (functions decorated with
    :func:`policy_hook`, including ones it imports), in definition order.

    Args:
        *module_paths: Importable module paths (``"mycompany.policies"``).

    Returns:
        The hooks, in module then definition order, each once.

    Raises:
        PolicyError: A module cannot be imported, its ``HOOKS`` holds
            something that is not a hook, or it has no hook at all.
    """
    if not module_paths:
        raise PolicyError("load_hooks: give at least one module path such as 'mycompany.policies'")
    hooks: list[PolicyHook] = []
    for path in module_paths:
        for hook in _hooks_of(_import(path), path):
            if hook not in hooks:
                hooks.append(hook)
    return tuple(hooks)


def _import(path: object) -> ModuleType:
    if not isinstance(path, str) or not path.strip():
        raise PolicyError("load_hooks: a module path must be non-empty text")
    try:
        return importlib.import_module(path)
    except Exception as exc:  # any failure while importing user code
        raise PolicyError(
            f"cannot import policy module {path!r}: {type(exc).__name__}: {safe_message(exc)}"
        ) from None  # the original message may quote a secret; the scrubbed one is above


def _hooks_of(module: ModuleType, path: str) -> list[PolicyHook]:
    if hasattr(module, "HOOKS"):
        declared = module.HOOKS
        if isinstance(declared, str | bytes | Mapping) or not isinstance(declared, Iterable):
            raise PolicyError(f"policy module {path!r}: HOOKS must be a list of policy hooks")
        found = list(declared)
        for i, item in enumerate(found):
            if not isinstance(item, PolicyHook):
                raise PolicyError(
                    f"policy module {path!r}: HOOKS[{i}] is a {type(item).__name__}, not a "
                    "policy hook; decorate the function with @policy_hook(code=..., clause=...)"
                )
    else:
        found = [v for v in vars(module).values() if isinstance(v, PolicyHook)]
    if not found:
        raise PolicyError(
            f"policy module {path!r} defines no policy hook: decorate functions with "
            "@policy_hook(code=..., clause=...) or list them in a module-level HOOKS"
        )
    return found


# ---------------------------------------------------------------- error findings


def _policy_error(policy: str, integration_id: str, problem: str, **details: Any) -> Finding:
    return trusted_finding(
        "POLICY_ERROR",
        None,
        Severity.DENY,
        f"policy {policy} failed ({problem}); denied to fail closed: fix the policy",
        integration_id,
        {"policy": policy, **details},
    )


def exception_finding(policy: str, integration_id: str, exc: Exception) -> Finding:
    error = safe_message(exc)
    kind = type(exc).__name__
    return _policy_error(
        policy, integration_id, f"{kind}: {error}" if error else kind, error_type=kind, error=error
    )


_MAX_HOOK_FINDINGS: Final = 1000


def collect_findings(hook: PolicyHook, result: object, integration_id: str) -> list[Finding]:
    """Check a hook's return value; raise TypeError/ValueError on garbage."""
    if result is None:
        return []
    if isinstance(result, Finding):
        items: list[object] = [result]
    elif isinstance(result, str | bytes | Mapping) or not isinstance(result, Iterable):
        raise TypeError(f"returned a {type(result).__name__}; expected None, a Finding or findings")
    else:
        items = []
        for item in result:
            items.append(item)
            if len(items) > _MAX_HOOK_FINDINGS:
                raise ValueError(f"returned more than {_MAX_HOOK_FINDINGS} findings")
    out = []
    for item in items:
        if not isinstance(item, Finding):
            raise TypeError(f"returned a {type(item).__name__} among its findings")
        if item.code != hook.code:
            raise ValueError(f"returned code {item.code}, but declared {hook.code}")
        if item.integration_id is None:
            item = attrs.evolve(item, integration_id=integration_id)
        elif item.integration_id != integration_id:
            raise ValueError("returned a finding about another integration")
        out.append(item)
    return out


def check_hooks(hooks: object) -> tuple[PolicyHook, ...]:
    if isinstance(hooks, PolicyHook):
        hooks = (hooks,)
    if isinstance(hooks, str | bytes) or not isinstance(hooks, Iterable):
        raise PolicyError("hooks must be an iterable of policy hooks (see load_hooks)")
    unique: list[PolicyHook] = []
    codes: dict[str, str] = {}
    for hook in hooks:
        if not isinstance(hook, PolicyHook):
            what = getattr(hook, "__qualname__", type(hook).__name__)
            raise PolicyError(
                f"{what} is not a policy hook: decorate it with @policy_hook(code=..., clause=...)"
            )
        if hook in unique:
            continue
        if hook.code in codes:
            raise PolicyError(
                f"hooks {codes[hook.code]} and {hook.name} both declare code {hook.code}; "
                "each code belongs to one hook"
            )
        codes[hook.code] = hook.name
        unique.append(hook)
    return tuple(sorted(unique, key=lambda h: (h.code, h.name)))
