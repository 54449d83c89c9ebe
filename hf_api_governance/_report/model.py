"""The report every format is drawn from: a secret-free view of a :class:`Report`.

:func:`build_view` turns the facade's ``Report`` (decisions and the
integrations behind them) into a :class:`ReportView`: plain rows with every
free text made secret-free (:func:`clean`), each finding with its rule (title,
fix), each licence with its status at the report's instant, and each
integration with the line where its inventory file declares it
(:class:`Source`). The formats (``sarif``, ``junit``, ``markdown``,
``html_page``) only lay the view out, so they agree with each other.

:func:`redact_report` gives the same secret-free text to the formats that
still read the ``Report`` itself (the ``hf-gov check`` table and JSON).
"""

from __future__ import annotations

import functools
import os
import urllib.parse
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import attrs

from hf_api_governance._base.clock import utc_text
from hf_api_governance._confidential.evidence import safe_prose, scrub
from hf_api_governance._model.values import Integration, Licence, LicenceStatus
from hf_api_governance._policy import Action, Decision, Finding, PolicyHook, Severity
from hf_api_governance._report.rules import Rule, hook_rules, rule_for

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._policy.report import Report

__all__ = [
    "FindingRow",
    "IntegrationRow",
    "LicenceRow",
    "ReportView",
    "Source",
    "Totals",
    "Verdict",
    "build_view",
    "clean",
    "installed_version",
    "redact_report",
]

Verdict = Literal["deny", "warn", "allow"]
"""An integration's outcome: denied, allowed with warnings, allowed."""


@functools.lru_cache(maxsize=8192)
def clean(text: str) -> str:
    """``text`` fit for any report: control characters dropped, secrets redacted.

    Control characters (other than whitespace, which becomes one space) are
    invalid in XML and confusing elsewhere; anything that looks like a
    credential becomes ``[redacted]`` (:func:`safe_prose`). Cached: reports
    repeat vendors, scopes and messages many times.
    """
    printable = (
        text if text.isprintable() else "".join(c for c in text if c.isprintable() or c.isspace())
    )
    return safe_prose(printable)


# ------------------------------------------------------------------------- source


def _read_only(lines: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType(dict(lines))


@attrs.frozen
class Source:
    """Where a report's integrations come from: an inventory file or a registry database.

    Attributes:
        name: The path as the user gave it (what reports show).
        kind: ``"inventory"`` or ``"registry"``.
        lines: For an inventory file, the 1-based line of each integration's
            ``[[integration]]`` header, by id (an integration without one is
            located by its id only).
    """

    name: str
    kind: Literal["inventory", "registry"]
    lines: Mapping[str, int] = attrs.field(factory=dict, converter=_read_only)

    @classmethod
    def inventory(cls, path: str | os.PathLike[str], lines: Mapping[str, int]) -> Source:
        """An inventory file, with the line where each integration is declared."""
        return cls(os.fspath(path), "inventory", lines)

    @classmethod
    def registry(cls, path: str | os.PathLike[str]) -> Source:
        """A registry database: integrations have no line, only their id."""
        return cls(os.fspath(path), "registry")

    @property
    def uri(self) -> str | None:
        """The inventory file as a URI reference (SARIF ``artifactLocation.uri``).

        A relative path stays relative (with ``/`` separators), which is what
        code-scanning services resolve against the repository root; an
        absolute path becomes a ``file:`` URI. ``None`` for a registry.
        """
        if self.kind != "inventory":
            return None
        path = Path(self.name)
        if path.is_absolute():
            return path.as_uri()
        posix = PurePath(os.path.normpath(self.name)).as_posix()
        return urllib.parse.quote(posix, safe="/-._~")


# --------------------------------------------------------------------------- rows


@attrs.frozen
class FindingRow:
    """One finding, secret-free, with its rule.

    Attributes:
        code: The finding code.
        clause: The contract clause, or ``None``.
        severity: DENY, WARN or INFO.
        message: What is wrong and what to do (secret-free).
        rule: What the code means and how to fix it.
    """

    code: str
    clause: str | None
    severity: Severity
    message: str
    rule: Rule
    _finding: Finding = attrs.field(repr=False, eq=False, alias="finding")

    @property
    def details(self) -> dict[str, Any]:
        """The finding's details, secret-free and JSON-able (made when asked: few formats do)."""
        return scrub(dict(self._finding.details))


@attrs.frozen
class LicenceRow:
    """One licence or service subscription and where the report's instant falls in it.

    Attributes:
        integration_id: Whose licence it is.
        index: Its position among the integration's licences (``licence[N]``).
        grantor: Who grants it.
        scope: What it covers.
        holder: Who holds it, if recorded.
        reference: Where the evidence is, if recorded.
        valid_from: The first day or instant, as written (``2026-01-01``).
        valid_until: The last day or end instant as written, or ``None`` (no end).
        starts_at: The first instant of validity.
        ends_at: The first instant after validity, or ``None``.
        status: VALID, EXPIRING, EXPIRED or NOT_YET_VALID at the report's instant.
        subscription: Whether Mimecast grants it (the service subscription, clause 1.2).
    """

    integration_id: str
    index: int
    grantor: str
    scope: str
    holder: str | None
    reference: str | None
    valid_from: str
    valid_until: str | None
    starts_at: datetime
    ends_at: datetime | None
    status: LicenceStatus
    subscription: bool


@attrs.frozen
class IntegrationRow:
    """One integration: what is declared, the decision and its findings.

    Attributes:
        id: The integration id.
        name: Its human name.
        service: ``engage``, ``aware`` or ``incydr``.
        kind: ``mimecast_api`` or ``third_party_api``.
        vendor: Who provides the API.
        state: The lifecycle state.
        owner: Who answers for it.
        base_url: The API's base URL.
        api_version: The API version, if known.
        info_verified_at: When the enablement information was last verified, if ever.
        verdict: ``deny``, ``warn`` (allowed with warnings) or ``allow``.
        findings: DENY first, then WARN, then INFO.
        licences: In declaration order.
        line: The line of its ``[[integration]]`` header, when known.
    """

    id: str
    name: str
    service: str
    kind: str
    vendor: str
    state: str
    owner: str
    base_url: str
    api_version: str | None
    info_verified_at: str | None
    verdict: Verdict
    findings: tuple[FindingRow, ...]
    licences: tuple[LicenceRow, ...]
    line: int | None

    @property
    def allowed(self) -> bool:
        """Whether the action is allowed (with or without warnings)."""
        return self.verdict != "deny"


@attrs.frozen
class Totals:
    """Counts over every integration evaluated (also with ``--only-problems``).

    Attributes:
        integrations: How many were evaluated.
        denied: How many are denied.
        warned: How many are allowed with at least one WARN finding.
        clean: How many are allowed without warnings.
    """

    integrations: int
    denied: int
    warned: int
    clean: int

    @property
    def allowed(self) -> int:
        """How many are allowed (with or without warnings)."""
        return self.integrations - self.denied


@attrs.frozen
class ReportView:
    """A report ready to lay out: secret-free rows and the facts every format shows.

    Attributes:
        at: The instant evaluated.
        action: The action asked about.
        source: Where the integrations come from.
        warning: The licence warning window of the policy settings.
        totals: Counts over every integration.
        rows: The integrations shown, in id order (with ``only_problems``,
            those denied or with warnings).
        only_problems: Whether clean integrations were left out.
        tool_version: The version of hf_api_governance that made the report.
    """

    at: datetime
    action: Action
    source: Source
    warning: timedelta
    totals: Totals
    rows: tuple[IntegrationRow, ...]
    only_problems: bool
    tool_version: str

    @property
    def at_text(self) -> str:
        """The instant as the library writes instants (``2026-11-26T00:00:00Z``)."""
        return utc_text(self.at, "seconds")

    @property
    def ok(self) -> bool:
        """Whether nothing is denied."""
        return self.totals.denied == 0

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rule of every code found in the rows shown, sorted by code."""
        found: dict[str, Rule] = {}
        for row in self.rows:
            for finding in row.findings:
                found.setdefault(finding.code, finding.rule)
        return tuple(found[code] for code in sorted(found))

    @property
    def licences(self) -> tuple[LicenceRow, ...]:
        """Every licence of the rows shown."""
        return tuple(lic for row in self.rows for lic in row.licences)


# -------------------------------------------------------------------------- build


def _verdict(decision: Decision) -> Verdict:
    if not decision.allowed:
        return "deny"
    return "warn" if decision.warnings else "allow"


def _when(value: date | datetime) -> str:
    return utc_text(value, "seconds") if isinstance(value, datetime) else value.isoformat()


def _licence(
    integration_id: str, index: int, lic: Licence, at: datetime, warning: timedelta
) -> LicenceRow:
    return LicenceRow(
        integration_id=integration_id,
        index=index,
        grantor=clean(lic.grantor),
        scope=clean(lic.scope),
        holder=clean(lic.holder) if lic.holder is not None else None,
        reference=clean(lic.reference) if lic.reference is not None else None,
        valid_from=_when(lic.valid_from),
        valid_until=_when(lic.valid_until) if lic.valid_until is not None else None,
        starts_at=lic.starts_at,
        ends_at=lic.ends_at,
        status=lic.status(at, warning),
        subscription=lic.is_service_subscription,
    )


def _finding(finding: Finding, extra: Mapping[str, Rule]) -> FindingRow:
    return FindingRow(
        code=finding.code,
        clause=finding.clause,
        severity=finding.severity,
        message=clean(finding.message),
        rule=rule_for(finding.code, finding.clause, extra),
        finding=finding,
    )


def _row(
    integration: Integration,
    decision: Decision,
    at: datetime,
    warning: timedelta,
    source: Source,
    extra: Mapping[str, Rule],
) -> IntegrationRow:
    verified = integration.info_verified_at
    return IntegrationRow(
        id=integration.id,
        name=clean(integration.name),
        service=integration.service.value,
        kind=integration.kind.value,
        vendor=clean(integration.vendor),
        state=integration.state.value,
        owner=clean(integration.owner),
        base_url=clean(integration.base_url),
        api_version=clean(integration.api_version) if integration.api_version else None,
        info_verified_at=utc_text(verified, "seconds") if verified is not None else None,
        verdict=_verdict(decision),
        findings=tuple(_finding(f, extra) for f in decision.findings),
        licences=tuple(
            _licence(integration.id, n, lic, at, warning)
            for n, lic in enumerate(integration.licences)
        ),
        line=source.lines.get(integration.id),
    )


class ViewOptions(TypedDict, total=False):
    """What a report view may leave out or name: the keyword arguments of :func:`build_view`."""

    only_problems: bool
    hooks: Iterable[PolicyHook]
    tool_version: str | None


def build_view(report: Report, source: Source, **options: Unpack[ViewOptions]) -> ReportView:
    """Build the secret-free view every report format lays out.

    Args:
        report: What :meth:`Governance.report` or :meth:`Governance.report_inventory`
            returned.
        source: Where its integrations come from (for locations).
        only_problems: Leave out integrations allowed without warnings
            (the totals still count them).
        hooks: The user hooks the report was made with: their docstrings
            describe their codes.
        tool_version: The version to name (default: this package's).

    Returns:
        The view.
    """
    only_problems = options.get("only_problems", False)
    tool_version = options.get("tool_version")
    extra = hook_rules(options.get("hooks", ()))
    warning = report.settings.licence_warning
    pairs = list(zip(report.integrations, report.decisions, strict=True))
    verdicts = [_verdict(d) for _, d in pairs]
    totals = Totals(
        integrations=len(pairs),
        denied=verdicts.count("deny"),
        warned=verdicts.count("warn"),
        clean=verdicts.count("allow"),
    )
    rows = tuple(
        _row(integration, decision, report.at, warning, source, extra)
        for (integration, decision), verdict in zip(pairs, verdicts, strict=True)
        if not (only_problems and verdict == "allow")
    )
    return ReportView(
        at=report.at,
        action=report.action,
        source=source,
        warning=warning,
        totals=totals,
        rows=rows,
        only_problems=only_problems,
        tool_version=installed_version() if tool_version is None else tool_version,
    )


def installed_version() -> str:
    """The installed distribution's version (``"unknown"`` when it is not installed)."""
    import importlib.metadata

    try:
        return importlib.metadata.version("hf-api-governance")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def redact_report(report: Report, *, integrations: bool = True) -> Report:
    """``report`` with the free text that the table and JSON print made secret-free.

    Integration names and vendors, licence texts and finding messages go
    through :func:`clean`, as in every other format; ids, codes, clauses and
    instants are validated values and stay as they are. Finding details,
    which neither prints, are left alone (the formats that show them clean
    them: :attr:`FindingRow.details`). Values with nothing to clean are kept
    as they are, not rebuilt.

    Args:
        report: The report.
        integrations: Clean the integrations' texts too; the table prints
            none of them (only ids, services and states), so it passes
            ``False`` and only the finding messages are cleaned.
    """
    return attrs.evolve(
        report,
        integrations=tuple(_clean_integration(i) for i in report.integrations)
        if integrations
        else report.integrations,
        decisions=tuple(_clean_decision(d) for d in report.decisions),
    )


def _clean_licence(lic: Licence) -> Licence:
    texts = {
        "grantor": lic.grantor,
        "scope": lic.scope,
        "holder": lic.holder,
        "reference": lic.reference,
    }
    changed = {k: clean(v) for k, v in texts.items() if v is not None and clean(v) != v}
    return attrs.evolve(lic, **changed) if changed else lic


def _clean_integration(integration: Integration) -> Integration:
    licences = tuple(_clean_licence(lic) for lic in integration.licences)
    changed: dict[str, Any] = {
        k: clean(v)
        for k, v in (("name", integration.name), ("vendor", integration.vendor))
        if clean(v) != v
    }
    if any(a is not b for a, b in zip(licences, integration.licences, strict=True)):
        changed["licences"] = licences
    return attrs.evolve(integration, **changed) if changed else integration


def _clean_decision(decision: Decision) -> Decision:
    findings = tuple(
        f if clean(f.message) == f.message else attrs.evolve(f, message=clean(f.message))
        for f in decision.findings
    )
    if all(a is b for a, b in zip(findings, decision.findings, strict=True)):
        return decision
    return attrs.evolve(decision, findings=findings)
