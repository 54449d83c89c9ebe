"""SARIF 2.1.0, as code-scanning services read it (``hf-gov check --format sarif``).

One run; the driver ``hf-gov`` carries one rule per finding code found (its
title, clause and what to do); each finding is one result with its level
(DENY ``error``, WARN ``warning``, INFO ``note``), located at the line of the
inventory file that declares its integration (a registry database gives a
logical location only: the integration id). Each result has fingerprints
computed from the integration id and the code alone, so the same finding is
the same alert from one run to the next, wherever its lines move.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any, Final

from hf_api_governance._policy import Severity
from hf_api_governance._report.model import FindingRow, IntegrationRow, ReportView
from hf_api_governance._report.rules import Rule

__all__ = ["FINGERPRINT_KEY", "LEVELS", "SARIF_SCHEMA", "SARIF_VERSION", "render_sarif"]

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS: Final = {Severity.DENY: "error", Severity.WARN: "warning", Severity.INFO: "note"}
"""SARIF ``level`` of each severity."""
FINGERPRINT_KEY: Final = "hfGovFinding/v1"
"""The ``partialFingerprints`` member hf-gov owns: SHA-256 of the integration id and code."""
_RANK: Final = {Severity.DENY: 0, Severity.WARN: 1, Severity.INFO: 2}


def _camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def _rule(rule: Rule, level: Severity) -> dict[str, Any]:
    clause = f"contract clause {rule.clause}" if rule.clause else "no contract clause"
    tags = ["hf-gov", "governance", f"clause-{rule.clause}" if rule.clause else "fail-closed"]
    return {
        "id": rule.code,
        "name": _camel(rule.code),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": f"{rule.title} ({clause})."},
        "help": {
            "text": f"What to do: {rule.fix}",
            "markdown": f"**What to do:** {rule.fix}\n\n"
            + (
                f"Finding code `{rule.code}` of hf_api_governance ({clause}); "
                "see the finding codes page of its documentation."
                if rule.builtin
                else f"Finding code `{rule.code}` of a policy hook ({clause})."
            ),
        },
        "defaultConfiguration": {"level": LEVELS[level]},
        "properties": {
            "clause": rule.clause,
            "source": "builtin" if rule.builtin else "policy-hook",
            "tags": tags,
        },
    }


def fingerprint(integration_id: str, code: str, occurrence: int = 1) -> str:
    """The stable fingerprint of a finding: SHA-256 of its integration id and code.

    A second finding with the same code for the same integration (a hook may
    report several) adds its occurrence number, so each stays one alert.
    """
    key = f"{integration_id}\x1f{code}" + (f"\x1f{occurrence}" if occurrence > 1 else "")
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _location(view: ReportView, row: IntegrationRow) -> dict[str, Any]:
    logical = [{"name": row.id, "fullyQualifiedName": f"integration/{row.id}", "kind": "resource"}]
    uri = view.source.uri
    if uri is None or row.line is None:
        return {"logicalLocations": logical}
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri, "index": 0},
            "region": {"startLine": row.line},
        },
        "logicalLocations": logical,
    }


def _result(
    view: ReportView, row: IntegrationRow, finding: FindingRow, index: int, occurrence: int
) -> dict[str, Any]:
    digest = fingerprint(row.id, finding.code, occurrence)
    return {
        "ruleId": finding.code,
        "ruleIndex": index,
        "level": LEVELS[finding.severity],
        "message": {"text": f"{row.id}: {finding.message}"},
        "locations": [_location(view, row)],
        "partialFingerprints": {
            FINGERPRINT_KEY: digest,
            # GitHub matches alerts on this member and computes it from the
            # line's text when it is absent; every [[integration]] header reads
            # the same, so hf-gov gives its own, stable one.
            "primaryLocationLineHash": f"{digest[:16]}:{occurrence}",
        },
        "properties": {
            "integration": row.id,
            "service": row.service,
            "severity": finding.severity.value,
            "clause": finding.clause,
            "decision": row.verdict,
            "details": finding.details,
        },
    }


def sarif_document(view: ReportView) -> dict[str, Any]:
    """The SARIF log of ``view`` as a JSON-able dict."""
    rules = view.rules
    index = {rule.code: n for n, rule in enumerate(rules)}
    worst: dict[str, Severity] = {}
    results: list[dict[str, Any]] = []
    for row in view.rows:
        seen: Counter[str] = Counter()
        for finding in row.findings:
            seen[finding.code] += 1
            current = worst.get(finding.code)
            if current is None or _RANK[finding.severity] < _RANK[current]:
                worst[finding.code] = finding.severity
            results.append(_result(view, row, finding, index[finding.code], seen[finding.code]))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "hf-gov",
                "fullName": "hf-gov check (hf_api_governance)",
                "version": view.tool_version,
                "rules": [
                    _rule(rule, rule.level if rule.builtin else worst[rule.code]) for rule in rules
                ],
            }
        },
        # The code-scanning category: one per action and inventory, so that checking
        # two inventories (or both actions) in one repository keeps both sets of alerts.
        "automationDetails": {"id": f"hf-gov/check/{view.action.value}/{view.source.name}/"},
        "invocations": [{"executionSuccessful": True}],
    }
    if view.source.uri is not None:
        run["artifacts"] = [{"location": {"uri": view.source.uri}, "roles": ["analysisTarget"]}]
    run["results"] = results
    run["properties"] = {
        "at": view.at_text,
        "action": view.action.value,
        "source": view.source.name,
        "onlyProblems": view.only_problems,
        "summary": {
            "integrations": view.totals.integrations,
            "allowed": view.totals.allowed,
            "denied": view.totals.denied,
            "warned": view.totals.warned,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(view: ReportView) -> str:
    """``view`` as a SARIF 2.1.0 log (indented JSON, UTF-8 text, ending with a newline)."""
    return json.dumps(sarif_document(view), indent=2, ensure_ascii=False) + "\n"
