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

import enum
import functools
import importlib
import math
import re
import urllib.parse
from collections.abc import Callable, Container, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType, ModuleType
from typing import Any, Final, TypeAlias

import attrs

from hf_api_governance._base.clock import Clock, SystemClock, ensure_aware
from hf_api_governance._confidential.redact import redact_text
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model.values import (
    ApiKind,
    Event,
    EventKind,
    Integration,
    IntegrationState,
    Licence,
    day_end,
    day_start,
    is_loopback_host,
    looks_like_secret,
)
from hf_api_governance.exceptions import PolicyError, ValidationError

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

# --------------------------------------------------------------------------- enums


class Action(enum.Enum):
    """What a caller wants to do with an integration; the engine decides per action."""

    PROVISION = "provision"
    """Set the integration up (register it with Mimecast, deploy its configuration)."""
    CALL = "call"
    """Send a request to the API."""
    REVEAL_CREDENTIAL = "reveal_credential"
    """Show a credential's value to a person or a process."""
    ROTATE_CREDENTIAL = "rotate_credential"
    """Replace a credential's value with a fresh one."""


class Severity(enum.Enum):
    """How much a finding weighs: any DENY makes the decision a refusal."""

    DENY = "deny"
    WARN = "warn"
    INFO = "info"


_RANK: Final = {Severity.DENY: 0, Severity.WARN: 1, Severity.INFO: 2}

# ------------------------------------------------------------------------ finding

_CODE_RE: Final = re.compile(r"^[A-Z][A-Z0-9_]{2,63}$")
_CLAUSE_RE: Final = re.compile(r"^\d+(\.\d+)*$")


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _json_value(field: str, value: object) -> Any:
    """Freeze a details value into JSON-able, immutable form (tuples, read-only mappings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(field, "must be a finite number")
        return value
    if isinstance(value, Secret):
        raise ValidationError(field, "must not hold a Secret; use its fingerprint")
    if isinstance(value, datetime):
        return _rfc3339(ensure_aware(value, field))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return _json_value(field, value.value)
    if isinstance(value, Mapping):
        return _json_mapping(field, value)
    if isinstance(value, list | tuple):
        return tuple(_json_value(f"{field}[{i}]", v) for i, v in enumerate(value))
    if isinstance(value, set | frozenset):
        return tuple(sorted((_json_value(f"{field}[]", v) for v in value), key=repr))
    raise ValidationError(
        field,
        "must be JSON-able: text, number, boolean, None, datetime, date, timedelta, "
        f"enum, list or mapping; got {type(value).__name__}",
    )


def _json_mapping(field: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a mapping, got {type(value).__name__}")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "keys must be non-empty text")
        out[key] = _json_value(f"{field}.{key}", item)
    return MappingProxyType(out)


def _details(value: object) -> Mapping[str, Any]:
    return _json_mapping("details", {} if value is None else value)


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _check_code(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not _CODE_RE.match(value):
        raise ValidationError(
            "code", "must match ^[A-Z][A-Z0-9_]{2,63}$ (upper case, digits, '_'; 3 to 64 long)"
        )


def _check_clause(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and _CLAUSE_RE.match(value)):
        raise ValidationError("clause", "must be a contract clause number such as '1.1.2', or None")


def _check_message(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("message", "must be non-empty text")


def _check_severity(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, Severity):
        raise ValidationError("severity", "must be a Severity")


def _check_optional_id(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError("integration_id", "must be text or None")


@attrs.frozen
class Finding:
    """One reason behind a decision: a stable code, the clause it enforces, a severity.

    Args:
        code: Stable identifier (``"LICENCE_EXPIRED"``), for programs and docs.
        clause: The contract clause it enforces (``"1.1.2"``), or ``None``.
        severity: DENY refuses the action; WARN and INFO inform.
        message: What is wrong and what to do next, for people.
        integration_id: The integration concerned (filled in by the engine).
        details: Secret-free facts, JSON-able; datetimes become RFC 3339 text,
            enums their value, timedeltas seconds.

    Raises:
        ValidationError: A field is invalid, or ``details`` holds a
            :class:`~hf_api_governance.Secret` or a value that is not JSON-able.
    """

    code: str = attrs.field(validator=_check_code)
    clause: str | None = attrs.field(validator=_check_clause)
    severity: Severity = attrs.field(validator=_check_severity)
    message: str = attrs.field(validator=_check_message)
    integration_id: str | None = attrs.field(default=None, validator=_check_optional_id)
    details: Mapping[str, Any] = attrs.field(default=None, converter=_details, hash=False)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict.

        Fields: ``code``, ``clause``, ``severity`` (``"deny"``, ``"warn"``,
        ``"info"``), ``message``, ``integration_id``, ``details``.
        """
        return {
            "code": self.code,
            "clause": self.clause,
            "severity": self.severity.value,
            "message": self.message,
            "integration_id": self.integration_id,
            "details": _thaw(self.details),
        }


def _trusted_finding(
    code: str,
    clause: str | None,
    severity: Severity,
    message: str,
    integration_id: str,
    details: dict[str, Any],
) -> Finding:
    """Build a Finding from the engine's own, already valid and JSON-able, values.

    Skips validation: built-in policies produce many findings, and their
    fields are correct by construction (tests check each built-in finding
    round-trips through the validating constructor).
    """
    finding: Finding = object.__new__(Finding)
    setter = object.__setattr__
    setter(finding, "code", code)
    setter(finding, "clause", clause)
    setter(finding, "severity", severity)
    setter(finding, "message", message)
    setter(finding, "integration_id", integration_id)
    setter(finding, "details", MappingProxyType(details))
    return finding


def _sort_key(finding: Finding) -> tuple[int, str, str]:
    return (_RANK[finding.severity], finding.code, finding.message)


# ----------------------------------------------------------------------- decision


def _action_field(value: object) -> Action:
    return _action(value)


def _at_field(value: object) -> datetime:
    return ensure_aware(value, "at")


def _findings_field(value: Iterable[Finding]) -> tuple[Finding, ...]:
    return tuple(value)


@attrs.frozen
class Decision:
    """The engine's answer for one integration, one action, one instant.

    Args:
        allowed: ``True`` when no finding is DENY.
        action: The action asked about.
        integration_id: The integration concerned.
        at: The instant of the decision (aware UTC).
        findings: Every finding, sorted: DENY first, then WARN, then INFO,
            each by code then message. The order does not depend on the order
            of hooks.
    """

    allowed: bool
    action: Action = attrs.field(converter=_action_field)
    integration_id: str
    at: datetime = attrs.field(converter=_at_field)
    findings: tuple[Finding, ...] = attrs.field(default=(), converter=_findings_field)

    def __attrs_post_init__(self) -> None:
        for finding in self.findings:
            if not isinstance(finding, Finding):
                raise ValidationError("findings", "must hold Finding objects only")
        if self.allowed is not (not any(f.severity is Severity.DENY for f in self.findings)):
            raise ValidationError("allowed", "must be True exactly when no finding is DENY")

    @property
    def denials(self) -> tuple[Finding, ...]:
        """The DENY findings."""
        return tuple(f for f in self.findings if f.severity is Severity.DENY)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """The WARN findings."""
        return tuple(f for f in self.findings if f.severity is Severity.WARN)

    @property
    def codes(self) -> frozenset[str]:
        """The codes of every finding."""
        return frozenset(f.code for f in self.findings)

    def summary(self) -> str:
        """One line for people and logs.

        Example: ``"DENY call okta-directory: LICENCE_EXPIRED (1.1.2), INFO_STALE (1.1)"``.
        """
        head = f"{'ALLOW' if self.allowed else 'DENY'} {self.action.value} {self.integration_id}"
        if not self.findings:
            return head
        parts = (f"{f.code} ({f.clause})" if f.clause else f.code for f in self.findings)
        return f"{head}: {', '.join(parts)}"

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict.

        Fields: ``allowed`` (bool), ``action`` (the :class:`Action` value),
        ``integration_id``, ``at`` (RFC 3339 UTC, ``Z``), ``summary`` and
        ``findings`` (a list of :meth:`Finding.to_json` dicts).
        """
        return {
            "allowed": self.allowed,
            "action": self.action.value,
            "integration_id": self.integration_id,
            "at": _rfc3339(self.at),
            "summary": self.summary(),
            "findings": [f.to_json() for f in self.findings],
        }


# ----------------------------------------------------------------------- settings


def _non_negative(field: str) -> Callable[[object, object, object], None]:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, timedelta) or value < timedelta(0):
            raise ValidationError(field, "must be a non-negative timedelta")

    return check


@attrs.frozen
class PolicySettings:
    """Thresholds of the built-in policies.

    Args:
        licence_warning: A covering licence that ends within this window
            yields LICENCE_EXPIRING (the boundary itself is inside).
        info_max_age: Enablement information verified longer ago than this
            (strictly) yields INFO_STALE.

    Raises:
        ValidationError: A threshold is not a non-negative timedelta.
    """

    licence_warning: timedelta = attrs.field(
        default=timedelta(days=30), validator=_non_negative("licence_warning")
    )
    info_max_age: timedelta = attrs.field(
        default=timedelta(days=180), validator=_non_negative("info_max_age")
    )


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
        "SERVICE_SUBSCRIPTION_EXPIRED",
        "SERVICE_SUBSCRIPTION_EXPIRING",
        "NOT_ACTIVE",
        "POLICY_ERROR",
    }
)
"""Codes reserved by the built-in policies; hooks may not use them."""

_ALL_ACTIONS: Final = frozenset(Action)


def _action(value: object, field: str = "action") -> Action:
    if isinstance(value, Action):
        return value
    if isinstance(value, str):
        try:
            return Action(value.lower())
        except ValueError:
            pass
    known = ", ".join(a.value for a in Action)
    raise ValidationError(field, f"must be an Action (one of: {known})")


def _hook_actions(value: object) -> frozenset[Action]:
    if value is None:
        return _ALL_ACTIONS
    if not isinstance(value, Iterable | Action):
        raise PolicyError("policy_hook: actions must be an Action or an iterable of Actions")
    items = [value] if isinstance(value, Action | str) else list(value)
    try:
        actions = frozenset(_action(a, "actions") for a in items)
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
    """

    func: HookFunction
    code: str
    clause: str | None
    actions: frozenset[Action]
    name: str

    def __call__(self, ctx: PolicyContext) -> Finding | Iterable[Finding] | None:
        return self.func(ctx)


def policy_hook(
    *,
    code: str,
    clause: str | None = None,
    actions: Action | str | Iterable[Action | str] | None = None,
    name: str | None = None,
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

    Returns:
        A decorator that turns the function into a :class:`PolicyHook`.

    Raises:
        PolicyError: The code, clause, actions or name is invalid, or the
            code is a built-in one.
    """
    if not isinstance(code, str) or not _CODE_RE.match(code):
        raise PolicyError(
            f"policy_hook: code {code!r} must match ^[A-Z][A-Z0-9_]{{2,63}}$ "
            "(upper case letters, digits and '_', starting with a letter)"
        )
    if code in BUILTIN_CODES:
        raise PolicyError(
            f"policy_hook: code {code!r} is a built-in finding code; choose another "
            "(for example prefix it with your company name)"
        )
    if clause is not None and not (isinstance(clause, str) and _CLAUSE_RE.match(clause)):
        raise PolicyError(f"policy_hook: clause {clause!r} must look like '1.1.2' or be None")
    declared = _hook_actions(actions)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise PolicyError("policy_hook: name must be non-empty text")

    def decorate(func: HookFunction) -> PolicyHook:
        if isinstance(func, PolicyHook) or not callable(func):
            raise PolicyError(f"policy_hook({code}): can only decorate a plain function")
        hook_name = name or f"{func.__module__}.{getattr(func, '__qualname__', repr(func))}"
        return PolicyHook(func, code, clause, declared, hook_name)

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
            f"cannot import policy module {path!r}: {type(exc).__name__}: {_scrub(exc)}"
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

_SCRUB_LIMIT: Final = 200
_PUNCT: Final = "'\"()[]{}<>,;:."


# "password: hunter2", "secret is hunter2": prose that log redaction leaves alone
# (it must not eat ordinary log text) but a policy error message must not quote.
_CREDENTIAL_PROSE: Final = re.compile(
    r"(?P<name>\b(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|key|credential)s?"
    r"\b\s*(?:[:=]|\bis\b)\s*)(?P<value>[^\s,;]+)",
    re.IGNORECASE,
)


def _scrub(exc: BaseException) -> str:
    """Render an exception message with anything that looks like a secret redacted."""
    try:
        text = str(exc)
    except Exception:
        return "<unprintable message>"
    # Credential shapes first ("token=hunter2", "password: x", "Bearer ..."),
    # then any word that looks like a key on its own.
    text = _CREDENTIAL_PROSE.sub(r"\g<name>[redacted]", redact_text(text))
    words = []
    for word in text.split():
        words.append("[redacted]" if looks_like_secret(word.strip(_PUNCT)) else word)
    out = " ".join(words)
    if len(out) > _SCRUB_LIMIT:
        out = out[: _SCRUB_LIMIT - 3] + "..."
    return out


def _policy_error(policy: str, integration_id: str, problem: str, **details: Any) -> Finding:
    return _trusted_finding(
        "POLICY_ERROR",
        None,
        Severity.DENY,
        f"policy {policy} failed ({problem}); denied to fail closed: fix the policy",
        integration_id,
        {"policy": policy, **details},
    )


def _exception_finding(policy: str, integration_id: str, exc: Exception) -> Finding:
    error = _scrub(exc)
    kind = type(exc).__name__
    return _policy_error(
        policy, integration_id, f"{kind}: {error}" if error else kind, error_type=kind, error=error
    )


_MAX_HOOK_FINDINGS: Final = 1000


def _collect(hook: PolicyHook, result: object, integration_id: str) -> list[Finding]:
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


def _check_hooks(hooks: object) -> tuple[PolicyHook, ...]:
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


# ------------------------------------------------------------- built-in policies

_K = EventKind
_S = IntegrationState


def _start(licence: Licence) -> datetime:
    # The model's converter stores aware datetimes in UTC: no re-check needed.
    value = licence.valid_from
    if isinstance(value, datetime):
        return value
    return day_start(value)


def _end(licence: Licence) -> datetime | None:
    value = licence.valid_until
    if value is None or isinstance(value, datetime):
        return value
    return day_end(value)  # 9999-12-31 ends at datetime.max, no overflow


def _is_subscription(licence: Licence) -> bool:
    return licence.grantor.strip().casefold() == "mimecast"


def _last(history: tuple[Event, ...], kind: EventKind) -> Event | None:
    for event in reversed(history):
        if event.kind is kind:
            return event
    return None


def _day(value: datetime) -> str:
    return value.date().isoformat()


def _until(licence: Licence, end: datetime, *, past: bool = False) -> str:
    """Say when a licence ends the way it was written: a last day, or an end instant."""
    if isinstance(licence.valid_until, datetime):
        return f"{'ended' if past else 'ends'} at {_rfc3339(end)}"
    return f"{'was' if past else 'is'} valid through {licence.valid_until}"


def _licence_facts(licence: Licence) -> dict[str, Any]:
    return {
        "grantor": licence.grantor,
        "scope": licence.scope,
        "reference": licence.reference,
        "valid_from": licence.valid_from.isoformat()
        if not isinstance(licence.valid_from, datetime)
        else _rfc3339(licence.valid_from),
        "valid_until": None
        if licence.valid_until is None
        else licence.valid_until.isoformat()
        if not isinstance(licence.valid_until, datetime)
        else _rfc3339(licence.valid_until),
    }


@functools.lru_cache(maxsize=512)
def _insecure(url: str) -> tuple[str, str | None] | None:
    """``(scheme, host)`` when ``url`` is neither https nor plain http to loopback, else ``None``.

    Cached: integrations' URLs repeat on every evaluation.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" or (
        parts.scheme == "http" and is_loopback_host(parts.hostname or "")
    ):
        return None
    return parts.scheme, parts.hostname


_Out: TypeAlias = list[Finding]
_Policy: TypeAlias = Callable[[Integration, Action, datetime, _Out], None]


class _Builtins:
    """The built-in clause policies, sharing the engine's settings and credential lists."""

    __slots__ = ("keystore", "revoked", "settings")

    def __init__(
        self,
        settings: PolicySettings,
        keystore: Container[str] | None,
        revoked: Container[str] | None,
    ) -> None:
        self.settings = settings
        self.keystore = keystore
        self.revoked = revoked

    def policies(self) -> tuple[tuple[str, _Policy], ...]:
        """The policies, each with the name a POLICY_ERROR finding gives it."""
        return (
            ("builtin.revocation", self.revocation),
            ("builtin.credential", self.credential),
            ("builtin.suspension", self.suspension),
            ("builtin.licence", self.licence),
            ("builtin.subscription", self.subscription),
            ("builtin.deprecation", self.deprecation),
            ("builtin.info", self.info),
            ("builtin.transport", self.transport),
            ("builtin.lifecycle", self.lifecycle),
        )

    # -- clause 1.1.1 ------------------------------------------------------------

    def revocation(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.state is _S.REVOKED:
            event = _last(i.history, _K.REVOKED)
            if event is None:
                revoker, actor, when, reason = "unknown", None, None, None
            else:
                revoker = str(event.evidence.get("revoker", event.actor))
                actor, when, reason = event.actor, _rfc3339(event.at), event.reason
            on = f" on {when[:10]}" if when else ""
            out.append(
                _trusted_finding(
                    "CREDENTIAL_REVOKED",
                    "1.1.1",
                    Severity.DENY,
                    f"API access was revoked by {revoker}{on}: do not retry with the revoked "
                    "credential; obtain a new one and replace the credential "
                    "(Registry.replace_credential)",
                    i.id,
                    {"revoker": revoker, "revoked_by": actor, "revoked_at": when, "reason": reason},
                )
            )
        revoked = self.revoked
        if revoked is not None:
            dead = [name for name in i.credential_entries if name in revoked]
            if dead:
                out.append(
                    _trusted_finding(
                        "CREDENTIAL_REVOKED",
                        "1.1.1",
                        Severity.DENY,
                        f"credential entries {', '.join(dead)} are recorded as revoked: never "
                        "send them again; replace the credential",
                        i.id,
                        {"entries": tuple(dead)},
                    )
                )

    def credential(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        entries = i.credential_entries
        if not entries:
            severity = Severity.WARN if action is Action.PROVISION else Severity.DENY
            out.append(
                _trusted_finding(
                    "CREDENTIAL_MISSING",
                    "1.1.1",
                    severity,
                    "no credential is named: store the key in the keystore and name its entry "
                    "in the integration's credential or auth",
                    i.id,
                    {"entries": ()},
                )
            )
            return
        keystore = self.keystore
        if keystore is None:
            return
        absent = [name for name in entries if name not in keystore]
        if absent:
            severity = (
                Severity.WARN
                if action is Action.PROVISION or action is Action.ROTATE_CREDENTIAL
                else Severity.DENY
            )
            out.append(
                _trusted_finding(
                    "CREDENTIAL_MISSING",
                    "1.1.1",
                    severity,
                    f"keystore entries {', '.join(absent)} are missing: store the credential "
                    "(hf-gov keys set NAME) or fix the entry names",
                    i.id,
                    {"entries": tuple(absent)},
                )
            )

    # -- clause 1.1.2 ------------------------------------------------------------

    def suspension(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.state is not _S.SUSPENDED:
            return
        event = _last(i.history, _K.SUSPENDED)
        details: dict[str, Any]
        if event is None:
            cause, details = "unknown", {"cause": "unknown"}
        else:
            cause = str(event.evidence.get("cause", "unknown"))
            details = {
                "cause": cause,
                "suspended_by": event.actor,
                "suspended_at": _rfc3339(event.at),
                "reason": event.reason,
                "evidence": event.evidence,
            }
        out.append(
            _trusted_finding(
                "INTEROP_SUSPENDED",
                "1.1.2",
                Severity.DENY,
                f"interoperability with {i.vendor} is suspended ({cause}): fix or migrate the "
                "integration, then reinstate it (Registry.reinstate)",
                i.id,
                details,
            )
        )

    def licence(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if i.kind is not ApiKind.THIRD_PARTY_API:
            return
        seen = 0
        best: Licence | None = None
        best_end: datetime | None = None
        covered = False
        upcoming: Licence | None = None
        upcoming_start: datetime | None = None
        ended: Licence | None = None
        ended_at: datetime | None = None
        for lic in i.licences:
            if _is_subscription(lic):
                continue
            seen += 1
            start = _start(lic)
            end = _end(lic)
            if at < start:
                if upcoming_start is None or start < upcoming_start:
                    upcoming, upcoming_start = lic, start
            elif end is not None and at >= end:
                if ended_at is None or end > ended_at:
                    ended, ended_at = lic, end
            elif not covered or (best_end is not None and (end is None or end > best_end)):
                covered, best, best_end = True, lic, end
        if not seen:
            out.append(
                _trusted_finding(
                    "LICENCE_MISSING",
                    "1.1.2",
                    Severity.DENY,
                    f"no licence is recorded for the {i.vendor} API: the customer must hold a "
                    f"valid licence; record it (Registry.add_licence)",
                    i.id,
                    {"vendor": i.vendor},
                )
            )
        elif covered:
            assert best is not None  # noqa: S101 - set together with covered
            if best_end is not None and best_end - at <= self.settings.licence_warning:
                left = best_end - at
                out.append(
                    _trusted_finding(
                        "LICENCE_EXPIRING",
                        "1.1.2",
                        Severity.WARN,
                        f"the {best.grantor} licence ({best.scope}) {_until(best, best_end)}, "
                        f"{left.days} days left: renew the licence with {best.grantor} or "
                        "record the renewal (Registry.add_licence)",
                        i.id,
                        {
                            **_licence_facts(best),
                            "ends_at": _rfc3339(best_end),
                            "days_left": left.days,
                        },
                    )
                )
        elif upcoming is not None:
            assert upcoming_start is not None  # noqa: S101 - set together
            out.append(
                _trusted_finding(
                    "LICENCE_NOT_YET_VALID",
                    "1.1.2",
                    Severity.WARN if action is Action.PROVISION else Severity.DENY,
                    f"the {upcoming.grantor} licence ({upcoming.scope}) starts on "
                    f"{_day(upcoming_start)}: wait until it starts, or record a licence valid "
                    "now (Registry.add_licence)",
                    i.id,
                    {**_licence_facts(upcoming), "starts_at": _rfc3339(upcoming_start)},
                )
            )
        else:
            assert ended is not None  # noqa: S101 - every licence ended
            assert ended_at is not None  # noqa: S101
            out.append(
                _trusted_finding(
                    "LICENCE_EXPIRED",
                    "1.1.2",
                    Severity.DENY,
                    f"every {i.vendor} licence has expired (the last "
                    f"{_until(ended, ended_at, past=True)}): "
                    f"renew the licence with {ended.grantor} or record the renewal "
                    "(Registry.add_licence)",
                    i.id,
                    {**_licence_facts(ended), "ended_at": _rfc3339(ended_at)},
                )
            )

    def deprecation(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        notice: Event | None = None
        for event in reversed(i.history):
            kind = event.kind
            if kind is _K.DEPRECATION_NOTICED:
                notice = event
                break
            if kind is _K.UPDATED or kind is _K.REINSTATED:
                return
        if notice is None:
            return
        out.append(
            _trusted_finding(
                "DEPRECATION_NOTICED",
                "1.1.2",
                Severity.WARN,
                f"{i.vendor} announced the deprecation of this API on {_day(notice.at)}: "
                "plan the migration before the sunset, then record it with an update "
                "(new api_version or base_url)",
                i.id,
                {
                    "noticed_at": _rfc3339(notice.at),
                    "reason": notice.reason,
                    "evidence": notice.evidence,
                },
            )
        )

    # -- clause 1.2 --------------------------------------------------------------

    def subscription(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        seen = False
        covering: list[tuple[Licence, datetime | None]] = []
        last: Licence | None = None
        last_end: datetime | None = None
        for lic in i.licences:
            if not _is_subscription(lic):
                continue
            seen = True
            start = _start(lic)
            end = _end(lic)
            if start <= at and (end is None or at < end):
                covering.append((lic, end))
            elif end is not None and at >= end and (last_end is None or end > last_end):
                last, last_end = lic, end
        if covering:
            # The subscription runs as long as its longest-running covering licence.
            if any(end is None for _, end in covering):
                return
            lic, end = max(covering, key=lambda pair: pair[1] or at)
            assert end is not None  # noqa: S101 - open-ended handled above
            if end - at <= self.settings.licence_warning:
                left = end - at
                out.append(
                    _trusted_finding(
                        "SERVICE_SUBSCRIPTION_EXPIRING",
                        "1.2",
                        Severity.WARN,
                        f"the Mimecast service subscription {_until(lic, end)}, "
                        f"{left.days} days left: renew it with Mimecast or record the "
                        "renewal (Registry.add_licence)",
                        i.id,
                        {**_licence_facts(lic), "ends_at": _rfc3339(end), "days_left": left.days},
                    )
                )
            return
        if not seen:
            return
        if last is not None and last_end is not None:
            when = _until(last, last_end, past=True)
            details = {**_licence_facts(last), "ended_at": _rfc3339(last_end)}
        else:
            when = "has not started yet"
            details = {}
        out.append(
            _trusted_finding(
                "SERVICE_SUBSCRIPTION_EXPIRED",
                "1.2",
                Severity.DENY,
                f"the Mimecast service subscription {when}: renew the subscription with "
                "Mimecast or record the renewal (Registry.add_licence)",
                i.id,
                details,
            )
        )

    # -- clause 1.1 --------------------------------------------------------------

    def info(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        verified = i.info_verified_at
        limit = self.settings.info_max_age
        details: dict[str, Any]
        if verified is None:
            when, details = "has never been verified", {"verified_at": None}
        else:
            age = at - verified
            if age <= limit:
                return
            when = f"was last verified on {_day(verified)}, {age.days} days ago"
            details = {"verified_at": _rfc3339(verified), "age_days": age.days}
        details["max_age_days"] = limit.days
        out.append(
            _trusted_finding(
                "INFO_STALE",
                "1.1",
                Severity.DENY if action is Action.PROVISION else Severity.WARN,
                f"the enablement information given to Mimecast {when} (limit {limit.days} "
                "days): check it is still correct and current, then run verify-info "
                "(Registry.verify_info)",
                i.id,
                details,
            )
        )

    def lifecycle(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        state = i.state
        if state is _S.RETIRED:
            message = "the integration is retired: register a new integration to use this API"
        elif state is _S.PENDING and action is Action.CALL:
            message = "the integration is pending: provision and activate it before calling"
        else:
            return
        out.append(
            _trusted_finding(
                "NOT_ACTIVE", "1.1", Severity.DENY, message, i.id, {"state": state.value}
            )
        )

    # -- clause 1.1.3 ------------------------------------------------------------

    def transport(self, i: Integration, action: Action, at: datetime, out: _Out) -> None:
        if action is Action.REVEAL_CREDENTIAL:
            return
        urls = [("base_url", i.base_url)]
        if i.auth is not None and "token_url" in i.auth.params:
            urls.append(("auth.token_url", i.auth.params["token_url"]))
        for field, url in urls:
            if url.startswith("https://"):
                continue
            parts = _insecure(url)
            if parts is None:
                continue
            out.append(
                _trusted_finding(
                    "INSECURE_TRANSPORT",
                    "1.1.3",
                    Severity.DENY,
                    f"{field} does not use https: data and keys would travel in clear; "
                    "switch the URL to https (plain http is only accepted for loopback hosts)",
                    i.id,
                    {"field": field, "scheme": parts[0], "host": parts[1]},
                )
            )


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

    __slots__ = ("_clock", "_hooks", "_include_builtin", "_policies", "_settings")

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
        self._hooks = _check_hooks(hooks)
        self._include_builtin = bool(include_builtin)
        self._clock = clock
        self._settings = settings
        self._policies = _Builtins(settings, keystore, revoked_credentials).policies()

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
        engine._hooks = _check_hooks(added)
        engine._include_builtin = self._include_builtin
        engine._clock = self._clock
        engine._settings = self._settings
        engine._policies = self._policies
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
        return self._evaluate(_integration(integration), _action(action), self._now(at))

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
        act = _action(action)
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
                    findings.append(_exception_finding(name, iid, exc))
        for hook in self._hooks:
            if action not in hook.actions:
                continue
            try:
                ctx = PolicyContext(
                    integration,
                    action,
                    at,
                    integration.history,
                    self._settings,
                    hook.code,
                    hook.clause,
                )
                findings.extend(_collect(hook, hook.func(ctx), iid))
            except Exception as exc:  # fail closed: a broken hook denies
                findings.append(_exception_finding(hook.name, iid, exc))
        allowed = True
        for finding in findings:
            if finding.severity is Severity.DENY:
                allowed = False
                break
        if len(findings) > 1:
            findings.sort(key=_sort_key)
        decision: Decision = object.__new__(Decision)
        setter = object.__setattr__
        setter(decision, "allowed", allowed)
        setter(decision, "action", action)
        setter(decision, "integration_id", iid)
        setter(decision, "at", at)
        setter(decision, "findings", tuple(findings))
        return decision

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
