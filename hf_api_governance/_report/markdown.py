"""Markdown for pull-request comments and CI job summaries (``hf-gov check --format markdown``).

A heading with the outcome, the counts, then a table of the denied
integrations and one of those allowed with warnings, one row per finding
with what to do; the integrations allowed without warnings are only named.
Text from the inventory and from findings is escaped, so it cannot change
the layout (a ``|`` cannot open a column, ``<`` cannot open a tag).

A pull-request comment holds at most 65,536 characters: past
:data:`MARKDOWN_LIMIT`, rows are left out and a last line says how many
(the HTML and SARIF reports have them all).
"""

from __future__ import annotations

from typing import Final

from hf_api_governance._policy import Severity
from hf_api_governance._report.model import IntegrationRow, ReportView

__all__ = ["MARKDOWN_LIMIT", "render_markdown"]

MARKDOWN_LIMIT: Final = 60_000
"""Characters after which integrations are left out (a GitHub comment holds 65,536)."""

_SPECIAL: Final = set("\\`*_[]<>|~&#!")
_SEVERITY: Final = {Severity.DENY: "**DENY**", Severity.WARN: "WARN", Severity.INFO: "INFO"}


def _md(text: str) -> str:
    """``text`` as literal Markdown table-cell text: one line, every special character escaped."""
    return "".join("\\" + c if c in _SPECIAL else c for c in " ".join(text.split()))


_HEADER: Final = (
    "| integration | finding | clause | what is wrong | what to do |",
    "|---|---|---|---|---|",
)


def _rows(row: IntegrationRow) -> list[str]:
    """The table lines of one integration: one per finding."""
    where = f" (line {row.line})" if row.line is not None else ""
    lines = []
    for n, f in enumerate(row.findings):
        head = f"`{row.id}`{where}<br>{_md(row.service)}" if n == 0 else ""
        lines.append(
            f"| {head} | {_SEVERITY[f.severity]} `{f.code}` | {_md(f.clause or '-')} "
            f"| {_md(f.message)} | {_md(f.rule.fix)} |"
        )
    return lines


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def render_markdown(view: ReportView, limit: int = MARKDOWN_LIMIT) -> str:
    """``view`` as GitHub-flavoured Markdown (ending with a newline).

    Args:
        view: The report.
        limit: Characters after which integrations are left out.
    """
    t = view.totals
    if t.denied:
        head = f"## hf-gov check: {t.denied} denied, {t.warned} with warnings"
    elif t.warned:
        head = f"## hf-gov check: nothing denied, {t.warned} with warnings"
    elif t.integrations:
        head = f"## hf-gov check: all {t.integrations} integrations allowed"
    else:
        head = "## hf-gov check: no integration declared"
    out = [
        head,
        "",
        f"Action `{view.action.value}` at {view.at_text} for `{_md(view.source.name)}`.",
        "",
        "| integrations | allowed | allowed with warnings | denied |",
        "|---:|---:|---:|---:|",
        f"| {t.integrations} | {t.allowed} | {t.warned} | {t.denied} |",
    ]
    size = _size(out)
    left_out = 0
    for title, verdict in (("Denied", "deny"), ("Allowed with warnings", "warn")):
        rows = [row for row in view.rows if row.verdict == verdict]
        if not rows:
            continue
        section = ["", f"### {title} ({len(rows)})", "", *_HEADER]
        used = _size(section)
        shown = 0
        for row in rows:
            lines = _rows(row)
            if left_out or size + used + _size(lines) > limit:
                break  # once one is left out, every later one is too: the list stays in order
            section += lines
            used += _size(lines)
            shown += 1
        left_out += len(rows) - shown
        if shown:
            out += section
            size += used
    clean = [row.id for row in view.rows if row.verdict == "allow"]
    if clean and left_out:
        left_out += len(clean)
    elif clean:
        names = ", ".join(f"`{i}`" for i in clean)
        line = f"Allowed without warnings ({len(clean)}): {names}."
        if size + len(line) + 2 <= limit:
            out += ["", line]
        else:
            left_out += len(clean)
    elif view.only_problems and t.clean:
        out += ["", f"{t.clean} integrations allowed without warnings are not listed."]
    if left_out:
        out += [
            "",
            f"{left_out} more integrations are not listed here (a comment has a size "
            "limit): see the HTML or SARIF report.",
        ]
    return "\n".join(out) + "\n"
