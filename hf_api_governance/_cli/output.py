"""What ``hf-gov`` writes: the ``check`` report (table and JSON shape), listings, progress.

Nothing here reads arguments or opens files: each function takes the data
and the stream to write to. Colours and progress appear on a terminal only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._facade import Report
    from hf_api_governance._model.values import Integration
    from hf_api_governance._registry.registry import SyncReport

from hf_api_governance._base.clock import utc_text

__all__ = [
    "JSON_SCHEMA_ID",
    "PROGRESS_THRESHOLD",
    "Style",
    "isatty",
    "print_integration",
    "print_integrations",
    "print_report",
    "print_sync",
    "report_json",
    "show_progress",
    "write_report",
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
        "at": utc_text(report.at),
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
    out.write(f"hf-gov check: action {report.action.value} at {utc_text(report.at)}\n\n")
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


def write_report(report: Report, out: TextIO, *, as_json: bool, only_problems: bool) -> None:
    """Write ``report`` as ``hf-gov check`` does: the JSON document or the table."""
    if as_json:
        # One write: json.dump would write each of some 50 tokens per integration.
        out.write(json.dumps(report_json(report, only_problems), indent=2, sort_keys=True))
        out.write("\n")
    else:
        print_report(report, out, only_problems=only_problems)


# ------------------------------------------------------------------ sync, list, show


def print_sync(result: SyncReport, out: TextIO) -> None:
    """Write what ``hf-gov sync`` did: a count per outcome, with the ids that changed."""
    for label, ids in (
        ("added", result.added),
        ("updated", result.updated),
        ("unchanged", result.unchanged),
        ("no longer declared", result.undeclared),
    ):
        out.write(
            f"{label}: {len(ids)}"
            + (f" ({', '.join(ids)})" if ids and label != "unchanged" else "")
            + "\n"
        )


def print_integrations(integrations: Sequence[Integration], out: TextIO, *, as_json: bool) -> None:
    """Write ``hf-gov list``: one line per integration, or a JSON array of objects."""
    if as_json:
        json.dump(
            [
                {
                    "id": i.id,
                    "service": i.service.value,
                    "kind": i.kind.value,
                    "state": i.state.value,
                    "vendor": i.vendor,
                }
                for i in integrations
            ],
            out,
            indent=2,
        )
        out.write("\n")
        return
    width = max([len(i.id) for i in integrations] + [2])
    for i in integrations:
        out.write(
            f"{i.id:<{width}}  {i.service.value:<7}  {i.kind.value:<15}  "
            f"{i.state.value:<9}  {i.vendor}\n"
        )


def print_integration(i: Integration, out: TextIO) -> None:
    """Write ``hf-gov show``: one integration's fields, licences and history."""
    out.write(f"{i.id}: {i.name}\n  service {i.service.value}, {i.kind.value}, vendor {i.vendor}\n")
    out.write(f"  state {i.state.value}\n  base_url {i.base_url}\n  owner {i.owner}\n")
    out.write(f"  credential entries: {', '.join(i.credential_entries) or '(none)'}\n")
    verified = utc_text(i.info_verified_at, "seconds") if i.info_verified_at else "never"
    out.write(f"  enablement information verified: {verified}\n  licences:\n")
    for lic in i.licences:
        out.write(
            f"    {lic.grantor} / {lic.scope}: {lic.valid_from} .. {lic.valid_until or 'no end'}\n"
        )
    out.write("  history:\n")
    for e in i.history:
        out.write(
            f"    {utc_text(e.at, 'seconds')} {e.kind.value} by {e.actor}"
            + (f": {e.reason}" if e.reason else "")
            + "\n"
        )
