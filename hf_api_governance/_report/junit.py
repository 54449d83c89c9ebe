"""JUnit XML, as CI test-report views read it (``hf-gov check --format junit``).

One test suite, one test case per integration (``classname`` the service,
``name`` the integration id, ``file`` and ``line`` where the inventory
declares it). A denied integration is a failed test case: one ``<failure>``
whose message names the DENY codes and whose text has one line per DENY
finding with what to do (several ``<failure>`` elements in one test case are
valid in the Ant schema, but GitLab and others show only the first).
Warnings and notes are ``<system-out>`` lines, so they are visible without
failing anything. Times are ``0``: nothing is timed, the output is
deterministic.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hf_api_governance._policy import Severity
from hf_api_governance._report.model import FindingRow, IntegrationRow, ReportView

__all__ = ["render_junit"]

_LABEL = {Severity.DENY: "DENY", Severity.WARN: "WARN", Severity.INFO: "INFO"}


def _line(finding: FindingRow) -> str:
    clause = f" ({finding.clause})" if finding.clause else ""
    return (
        f"{_LABEL[finding.severity]} {finding.code}{clause}: {finding.message}"
        f" | what to do: {finding.rule.fix}"
    )


def _case(suite: ET.Element, view: ReportView, row: IntegrationRow) -> None:
    attrs = {"classname": f"hf-gov.{row.service}", "name": row.id, "time": "0"}
    if view.source.kind == "inventory":
        attrs["file"] = view.source.name
        if row.line is not None:
            attrs["line"] = str(row.line)
    case = ET.SubElement(suite, "testcase", attrs)
    denials = [f for f in row.findings if f.severity is Severity.DENY]
    others = [f for f in row.findings if f.severity is not Severity.DENY]
    if denials:
        codes = ", ".join(dict.fromkeys(f.code for f in denials))
        failure = ET.SubElement(
            case,
            "failure",
            {"message": f"{row.id} denied ({view.action.value}): {codes}", "type": denials[0].code},
        )
        failure.text = "\n".join(_line(f) for f in denials) + "\n"
    if others:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(_line(f) for f in others) + "\n"


def render_junit(view: ReportView) -> str:
    """``view`` as a JUnit XML document (UTF-8 declaration, indented, ending with a newline)."""
    tests = str(len(view.rows))
    failures = str(sum(not row.allowed for row in view.rows))
    counts = {"tests": tests, "failures": failures, "errors": "0", "skipped": "0", "time": "0"}
    root = ET.Element("testsuites", {"name": "hf-gov check", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": f"hf-gov check {view.action.value}: {view.source.name}",
            **counts,
            # The Ant schema's timestamp has no zone; it is UTC.
            "timestamp": view.at_text.removesuffix("Z"),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("at", view.at_text),
        ("action", view.action.value),
        ("source", view.source.name),
        ("integrations", str(view.totals.integrations)),
        ("allowed", str(view.totals.allowed)),
        ("warned", str(view.totals.warned)),
        ("denied", str(view.totals.denied)),
        ("only_problems", "true" if view.only_problems else "false"),
    ):
        ET.SubElement(props, "property", {"name": name, "value": value})
    for row in view.rows:
        _case(suite, view, row)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
