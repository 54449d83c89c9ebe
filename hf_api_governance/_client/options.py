"""Session options: one frozen, validated value, built once per governed session.

:class:`GovernedSession <hf_api_governance.GovernedSession>`,
:func:`govern <hf_api_governance.govern>` and
:meth:`Governance.session <hf_api_governance.Governance.session>` take the
same keyword arguments; they are typed once here, as :class:`SessionKwargs`
(``**kwargs: Unpack[SessionKwargs]``), checked once by :class:`SessionOptions`
(whose validators raise :class:`~hf_api_governance.ValidationError` naming
the argument), and the governor keeps the resulting value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias, TypedDict

import attrs

from hf_api_governance._base.clock import Clock, SystemClock
from hf_api_governance._client.ports import Contract, EngineLike, Recorder, RegistryLike
from hf_api_governance._client.profiles import SignalProfile, signal_profiles
from hf_api_governance._client.retry import RetryPolicy
from hf_api_governance.exceptions import ValidationError

__all__ = [
    "DEFAULT_TIMEOUT",
    "SESSION_KWARGS",
    "SessionKwargs",
    "SessionOptions",
    "Timeout",
    "TuningKwargs",
]

Timeout = float | tuple[float, float]
"""Seconds to wait: one number for connecting and reading alike, or ``(connect, read)``."""

DEFAULT_TIMEOUT: Final[tuple[float, float]] = (10.0, 60.0)
"""The timeout of a governed request that gives none: 10 s to connect, 60 s between bytes read."""

MAX_TIMEOUT: Final = 86400.0


class TuningKwargs(TypedDict, total=False):
    """How a governed session retries and checks responses: part of :class:`SessionKwargs`.

    The keyword arguments of :meth:`Governance.session
    <hf_api_governance.Governance.session>`, which wires the other options
    (engine, recorder, actor, clock) to the facade's own parts. The keys are
    described on :class:`SessionOptions`: ``retry``, ``contract``,
    ``contract_failures``, ``timeout``, ``profile``.
    """

    retry: RetryPolicy
    contract: Contract | None
    contract_failures: int
    timeout: Timeout
    profile: str | SignalProfile | None


class SessionKwargs(TuningKwargs, total=False):
    """The keyword arguments of :class:`GovernedSession <hf_api_governance.GovernedSession>`.

    Also those of :func:`govern <hf_api_governance.govern>` (besides its
    ``refuse_foreign``). Each key is a field of :class:`SessionOptions`,
    described there: the keys of :class:`TuningKwargs` and ``engine``,
    ``recorder``, ``actor``, ``clock``.
    """

    engine: EngineLike | None
    recorder: Recorder | None
    actor: str
    clock: Clock | None


SESSION_KWARGS: Final = frozenset(SessionKwargs.__optional_keys__)
"""The names :class:`SessionKwargs` allows."""


# ------------------------------------------------------------------ validators


_Validator: TypeAlias = Callable[[object, object, Any], None]


def _must(field: str, holds: Callable[[Any], bool], problem: str) -> _Validator:
    """An attrs validator: ``holds(value)``, or a :class:`ValidationError` naming ``field``."""

    def check(_inst: object, _attr: object, value: Any) -> None:
        if not holds(value):
            raise ValidationError(field, problem)

    return check


_check_registry: Final = _must(
    "registry",
    lambda v: all(callable(getattr(v, m, None)) for m in ("get", "revoke", "suspend", "record")),
    "must be a Registry (an object with get, revoke, suspend and record)",
)
_check_integration_id: Final = _must(
    "integration_id", lambda v: isinstance(v, str) and bool(v), "must be a non-empty str"
)
_check_engine: Final = _must(
    "engine",
    lambda v: v is None or callable(getattr(v, "evaluate", None)),
    "must be a PolicyEngine (with evaluate) or None",
)
_check_recorder: Final = _must(
    "recorder",
    lambda v: v is None or callable(v),
    "must be a callable (action, evidence) or None",
)
_check_actor: Final = _must(
    "actor", lambda v: isinstance(v, str) and bool(v.strip()), "must be a non-empty str"
)


def _check_retry(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, RetryPolicy):
        raise ValidationError("retry", f"must be a RetryPolicy, got {type(value).__name__}")


def _is_type_spec(value: object) -> bool:
    return isinstance(value, type) or (
        isinstance(value, tuple) and bool(value) and all(isinstance(v, type) for v in value)
    )


def _check_contract(_inst: object, _attr: object, value: Any) -> None:
    if (
        value is not None
        and not callable(value)
        and not (
            isinstance(value, Mapping)
            and all(isinstance(k, str) and _is_type_spec(v) for k, v in value.items())
        )
    ):
        raise ValidationError(
            "contract", "must be a callable or a mapping of member names to types (or tuples)"
        )


def _check_contract_failures(_inst: object, _attr: object, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        raise ValidationError("contract_failures", "must be an int from 1 to 1000")


def _seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_TIMEOUT
    )


def _timeout(value: object) -> Timeout:
    if _seconds(value):
        return float(value)  # type: ignore[arg-type]  # checked just above
    if isinstance(value, tuple | list) and len(value) == 2 and all(_seconds(v) for v in value):
        return (float(value[0]), float(value[1]))
    raise ValidationError(
        "timeout",
        "must be seconds (a number above 0, at most a day) or a (connect, read) pair of them; "
        "a governed request always has a timeout",
    )


def _check_profile(_inst: object, _attr: object, value: Any) -> None:
    if value is None or isinstance(value, SignalProfile):
        return
    if isinstance(value, str) and any(p.name == value for p in signal_profiles()):
        return
    known = ", ".join(p.name for p in signal_profiles())
    raise ValidationError("profile", f"must be a SignalProfile, None or one of: {known}")


def _check_clock(_inst: object, _attr: object, value: Any) -> None:
    if not callable(getattr(value, "now", None)):
        raise ValidationError("clock", "must be a Clock (with now()) or None")


def _or_system_clock(value: Clock | None) -> Clock:
    return SystemClock() if value is None else value


# --------------------------------------------------------------------- options


@attrs.frozen
class SessionOptions:
    """Everything a governor needs to know about its integration, checked once.

    Fields are checked in this order; the first bad one raises.

    Args:
        registry: The registry (:class:`~hf_api_governance.Registry`).
        integration_id: The integration the session calls.
        engine: The policy engine; without one, only an ACTIVE integration
            may call.
        recorder: Called with ``(action, evidence)`` for every call.
        actor: Who the registry events name for signals the session sees.
        retry: Retry bounds.
        contract: A check of successful responses (a callable returning
            ``True``, ``False`` or a problem string, or a minimal JSON shape
            such as ``{"data": list, "meta": dict}``).
        contract_failures: Consecutive contract failures that suspend the
            integration (cause ``API_CHANGED``), 1 to 1000.
        clock: Time for policy decisions and ``Sunset`` comparisons; ``None``
            is the system clock.
        timeout: The timeout of a request that gives none (requests' own
            default is to wait for ever): seconds, or ``(connect, read)``;
            default :data:`DEFAULT_TIMEOUT`. A request's own ``timeout=`` wins.
        profile: The vendor signal profile (a :class:`~.profiles.SignalProfile`
            or a registered name); ``None`` chooses it from the integration's
            vendor, kind, auth scheme and API version.

    Raises:
        ValidationError: An argument is not acceptable (the field is named).
    """

    registry: RegistryLike = attrs.field(validator=_check_registry)
    integration_id: str = attrs.field(validator=_check_integration_id)
    engine: EngineLike | None = attrs.field(default=None, validator=_check_engine)
    recorder: Recorder | None = attrs.field(default=None, validator=_check_recorder)
    actor: str = attrs.field(default="hf-gov", validator=_check_actor)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_check_retry)
    contract: Contract | None = attrs.field(default=None, validator=_check_contract)
    contract_failures: int = attrs.field(default=3, validator=_check_contract_failures)
    clock: Clock = attrs.field(default=None, converter=_or_system_clock, validator=_check_clock)
    timeout: Timeout = attrs.field(default=DEFAULT_TIMEOUT, converter=_timeout)
    profile: str | SignalProfile | None = attrs.field(default=None, validator=_check_profile)

    @classmethod
    def build(
        cls, caller: str, registry: Any, integration_id: Any, kwargs: SessionKwargs
    ) -> SessionOptions:
        """Build the options from a caller's keyword arguments.

        Args:
            caller: The function that took them, for the error message
                (``"GovernedSession"``, ``"govern"``).
            registry: As given.
            integration_id: As given.
            kwargs: The keyword arguments (``SessionKwargs``).

        Returns:
            The checked options.

        Raises:
            TypeError: A keyword that :class:`SessionKwargs` does not have.
            ValidationError: An argument is not acceptable (the field is named).
        """
        unknown = [name for name in kwargs if name not in SESSION_KWARGS]
        if unknown:
            raise TypeError(f"{caller}() got an unexpected keyword argument {unknown[0]!r}")
        return cls(registry, integration_id, **kwargs)
