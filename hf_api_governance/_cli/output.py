"""What ``hf-gov`` writes: the ``check`` report (table and JSON shape), progress, colours.

Nothing here reads arguments or opens files: each function takes the data
and the stream to write to.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Report

__all__ = [
    "JSON_SCHEMA_ID",
    "PROGRESS_THRESHOLD",
    "Style",
    "isatty",
    "print_report",
    "report_json",
    "show_progress",
]

JSON_SCHEMA_ID = "hf-gov/check/v1"
"""The ``schema`` member of ``hf-gov check --json`` (docs/json-output.md)."""


class Style:
    """Colours for a terminal: ``style(text, code)`` wraps text in an SGR code.

    Off when the stream is not a terminal or ``NO_COLOR`` is set.

    Args:
        stream: Where the styled text will be written.
    """

    def __init__(self, stream: TextIO) -> None:
        self.enabled = stream.isatty() and not os.environ.get("NO_COLOR")

    def __call__(self, text: str, code: str) -> str:
        """``text`` in the SGR ``code`` (e.g. ``"31;1"``), or unchanged when off."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text


PROGRESS_THRESHOLD = 500
"""Operations on more items than this show progress (on a terminal only)."""


def show_progress(stream: TextIO, label: str, done: int, total: int) -> None:
    """Show ``label: done/total`` on one rewritten line of ``stream`` when it is a terminal.

    Nothing is written when ``stream`` is not a TTY (a pipe, a file, CI) or
    for small jobs; the line ends when ``done`` reaches ``total``.
    """
    if total <= PROGRESS_THRESHOLD or not isatty(stream):
        return
    stream.write(f"\r{label}: {done}/{total}")
    if done >= total:
        stream.write("\n")
    stream.flush()


def isatty(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (``False`` for a closed or unusual stream)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


def report_json(report: Report, only_problems: bool) -> dict[str, Any]:
    """The ``hf-gov check --json`` document (schema :data:`JSON_SCHEMA_ID`) for ``report``."""
    rows = []
    for integration, decision in zip(report.integrations, report.decisions, strict=True):
        if only_problems and decision.allowed and not decision.warnings:
            continue
        rows.append(
            {
                "id": integration.id,
                "name": integration.name,
                "service": integration.service.value,
                "kind": integration.kind.value,
                "state": integration.state.value,
                "allowed": decision.allowed,
                "findings": [
                    {
                        "code": f.code,
                        "clause": f.clause,
                        "severity": f.severity.value,
                        "message": f.message,
                    }
                    for f in decision.findings
                ],
            }
        )
    return {
        "schema": JSON_SCHEMA_ID,
        "at": report.at.isoformat().replace("+00:00", "Z"),
        "action": report.action.value,
        "summary": {
            "integrations": len(report.decisions),
            "allowed": sum(d.allowed for d in report.decisions),
            "denied": len(report.denied),
            "with_warnings": sum(bool(d.warnings) for d in report.decisions),
        },
        "integrations": rows,
    }


def print_report(report: Report, out: TextIO, *, only_problems: bool) -> None:
    """Write ``report`` as the ``hf-gov check`` table, with a summary line."""
    style = Style(out)
    out.write(
        f"hf-gov check: action {report.action.value} "
        f"at {report.at.isoformat().replace('+00:00', 'Z')}\n\n"
    )
    width = max([len(i.id) for i in report.integrations] + [2])
    out.write(f"{'ID':<{width}}  {'SERVICE':<7}  {'STATE':<9}  DECISION\n")
    for integration, decision in zip(report.integrations, report.decisions, strict=True):
        if only_problems and decision.allowed and not decision.warnings:
            continue
        if not decision.allowed:
            verdict = style("DENY", "31;1")
        elif decision.warnings:
            verdict = style("WARN", "33;1")
        else:
            verdict = style("ALLOW", "32")
        out.write(
            f"{integration.id:<{width}}  {integration.service.value:<7}  "
            f"{integration.state.value:<9}  {verdict}\n"
        )
        for f in decision.findings:
            out.write(
                f"{'':<{width}}    {f.severity.value.upper():<5} "
                f"{f.code} ({f.clause or '-'}): {f.message}\n"
            )
    total = len(report.decisions)
    denied = len(report.denied)
    warned = sum(1 for d in report.decisions if d.allowed and d.warnings)
    out.write(
        f"\n{total} integrations: {total - denied} allowed ({warned} with warnings), "
        f"{denied} denied\n"
    )
