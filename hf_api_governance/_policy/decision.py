"""Decisions as values: actions, severities, findings and the decision they make up.

A :class:`Finding` is one reason (a stable code, the clause it enforces, a
severity, a message and JSON-able details); a :class:`Decision` is the
outcome of evaluating one integration for one action: allowed only when no
finding denies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import attrs

from hf_api_governance._base.clock import ensure_aware, utc_text
from hf_api_governance._base.construct import trusted
from hf_api_governance._base.identifiers import CLAUSE, FINDING_CODE
from hf_api_governance._confidential.evidence import DETAILS, thaw, walk
from hf_api_governance._model.values import as_enum
from hf_api_governance.exceptions import ValidationError

__all__ = ["Action", "Decision", "Finding", "Severity"]

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


def check_action(value: object, field: str = "action") -> Action:
    """Return ``value`` as an :class:`Action` (an Action or its name); raise naming ``field``."""
    return as_enum(Action, field, value, kind="an Action")


class Severity(enum.Enum):
    """How much a finding weighs: any DENY makes the decision a refusal."""

    DENY = "deny"
    WARN = "warn"
    INFO = "info"


_RANK: Final = {Severity.DENY: 0, Severity.WARN: 1, Severity.INFO: 2}

# ------------------------------------------------------------------------ finding


def _details(value: object) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError("details", f"must be a mapping, got {type(value).__name__}")
    result: Mapping[str, Any] = walk(value, "details", DETAILS)
    return result


def _check_code(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not FINDING_CODE.fullmatch(value):
        raise ValidationError(
            "code", "must match ^[A-Z][A-Z0-9_]{2,63}$ (upper case, digits, '_'; 3 to 64 long)"
        )


def _check_clause(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and CLAUSE.fullmatch(value)):
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
            "details": thaw(self.details),
        }


def trusted_finding(
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
    return trusted(
        Finding,
        code=code,
        clause=clause,
        severity=severity,
        message=message,
        integration_id=integration_id,
        details=MappingProxyType(details),
    )


def sort_key(finding: Finding) -> tuple[int, str, str]:
    return (_RANK[finding.severity], finding.code, finding.message)


# ----------------------------------------------------------------------- decision


def _action_field(value: object) -> Action:
    return check_action(value)


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
            "at": utc_text(self.at),
            "summary": self.summary(),
            "findings": [f.to_json() for f in self.findings],
        }
