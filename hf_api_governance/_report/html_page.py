"""The posture page (``hf-gov check --format html``): one self-contained HTML file.

Everything is inline: the style sheet, the SVG timelines, no script, no font,
no image, no link that loads anything; a ``Content-Security-Policy`` meta tag
forbids the browser to fetch anything at all, so the page can be opened from
a CI artifact or an e-mail without calling home. The page has:

- the summary (counts, the instant, the action, the source);
- the expiry timelines (:mod:`~hf_api_governance._report.timeline`): service
  subscriptions (clause 1.2), then third-party licences (clause 1.1.2), with
  the third-party integrations that have no licence listed below;
- an index of the integrations (one row each, linking to its section);
- a section per integration: what is declared, its findings with what to do,
  its licences.

It is laid out for a 1280-pixel-wide window and stays readable with
hundreds of integrations (the timeline is one 24-pixel row per licence; long
text wraps or is cut with its full text in a tooltip).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Final

from hf_api_governance._model.values import LicenceStatus
from hf_api_governance._policy import Severity
from hf_api_governance._report.model import IntegrationRow, LicenceRow, ReportView
from hf_api_governance._report.timeline import FUTURE, PAST, render_timeline, status_text

__all__ = ["CSP", "render_html"]

CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
"""The page's Content-Security-Policy: nothing may be fetched, only the inline style applies."""

_STYLE: Final = """
:root { --deny: #b71c1c; --warn: #a84b00; --allow: #1b5e20; --ink: #1f2328; --muted: #57606a;
  --line: #d0d7de; --band: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line);
  padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
h3 code { font-size: 15px; }
h4 { font-size: 14px; margin: 12px 0 4px; }
p, li { overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0 0 12px; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card b { display: block; font-size: 24px; }
.card.deny b { color: var(--deny); } .card.warn b { color: var(--warn); }
.card.allow b { color: var(--allow); }
table { width: 100%; border-collapse: collapse; table-layout: fixed; margin: 6px 0 10px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: var(--band); font-weight: 600; }
code { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
  monospace; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px;
  font-weight: 700; color: #fff; }
.badge.deny { background: var(--deny); } .badge.warn { background: var(--warn); }
.badge.allow { background: var(--allow); } .badge.info { background: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0 10px; padding: 0;
  list-style: none; color: var(--muted); }
.legend span.swatch { display: inline-block; width: 22px; height: 11px; border-radius: 2px;
  vertical-align: -1px; margin-right: 6px; }
.swatch.valid { background: #2e7d32; } .swatch.expiring { background: #ef6c00; }
.swatch.expired { background: #c62828; }
.swatch.not-yet-valid { background: repeating-linear-gradient(45deg, #1565c0 0 3px,
  #bbdefb 3px 6px); }
.swatch.warning-window { background: #ffe0b2; } .swatch.now { background: #1f2328; width: 3px; }
.chart { max-width: 100%; overflow: hidden; }
svg.timeline { display: block; max-width: 100%; height: auto; }
svg.timeline text { fill: var(--ink); font-family: system-ui, -apple-system, "Segoe UI", Roboto,
  "Helvetica Neue", Arial, "DejaVu Sans", sans-serif; }
svg.timeline .tick, svg.timeline .column-title { fill: var(--muted); }
svg.timeline .column-title, svg.timeline .year { font-weight: 700; }
svg.timeline .label-id { font-weight: 700; }
svg.timeline .grid { stroke: #e1e4e8; stroke-width: 1; }
svg.timeline .row-band { fill: #f6f8fa; }
svg.timeline .warning-window { fill: #ffe0b2; opacity: 0.7; }
svg.timeline .now { stroke: #1f2328; stroke-width: 2; }
svg.timeline .now-mark, svg.timeline .arrow { fill: #1f2328; }
svg.timeline .now-label { font-weight: 700; }
svg.timeline .bar.valid { fill: #2e7d32; } svg.timeline .bar.expiring { fill: #ef6c00; }
svg.timeline .bar.expired { fill: #c62828; }
svg.timeline .bar.not-yet-valid { fill: url(#stripes); stroke: #1565c0; stroke-width: 1; }
svg.timeline .stripe-bg { fill: #bbdefb; } svg.timeline .stripe-fg { fill: #1565c0; }
svg.timeline .status-expired { fill: var(--deny); font-weight: 700; }
svg.timeline .status-expiring { fill: var(--warn); font-weight: 700; }
svg.timeline .status-not-yet-valid { fill: #0d47a1; font-weight: 700; }
section.integration { border-top: 1px solid var(--line); margin-top: 18px; }
dl.fields { display: grid; grid-template-columns: 170px 1fr; gap: 2px 12px; margin: 6px 0; }
dl.fields dt { color: var(--muted); } dl.fields dd { margin: 0; overflow-wrap: anywhere; }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print { .chart { overflow: visible; } section.integration { break-inside: avoid; } }
"""

_NONE: Final = '<span class="none">none</span>'
_VERDICT: Final = {"deny": "DENIED", "warn": "WARNINGS", "allow": "ALLOWED"}
_SEVERITY: Final = {Severity.DENY: "deny", Severity.WARN: "warn", Severity.INFO: "info"}


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _badge(kind: str, text: str) -> str:
    return f'<span class="badge {kind}">{_e(text)}</span>'


def _summary(view: ReportView) -> list[str]:
    t = view.totals
    cards = [
        ("", "integrations", t.integrations),
        ("allow", "allowed", t.allowed),
        ("warn", "allowed with warnings", t.warned),
        ("deny", "denied", t.denied),
    ]
    out = ['<div class="cards">']
    out += [f'<div class="card {k}"><b>{n}</b>{_e(label)}</div>' for k, label, n in cards]
    out.append("</div>")
    return out


def _legend(view: ReportView) -> str:
    days = view.warning.days
    items = [
        ("valid", "valid"),
        ("expiring", f"expiring (ends within {days} days)"),
        ("expired", "expired"),
        ("not-yet-valid", "not yet valid"),
        ("warning-window", f"warning window ({days} days after the report instant)"),
        ("now", "report instant"),
    ]
    lis = "".join(f'<li><span class="swatch {k}"></span>{_e(text)}</li>' for k, text in items)
    return f'<ul class="legend">{lis}</ul>'


def _timelines(view: ReportView) -> list[str]:
    out = ['<h2 id="timeline">Expiry timeline</h2>']
    out.append(
        f'<p class="meta">From {PAST.days} days before to {FUTURE.days} days after '
        f"{_e(view.at_text)}; the most urgent first. Each row reads without colour: "
        "the status is written on the right.</p>"
    )
    out.append(_legend(view))
    licences = view.licences
    groups: list[tuple[str, list[LicenceRow]]] = [
        (
            "Mimecast service subscriptions (clause 1.2)",
            [lic for lic in licences if lic.subscription],
        ),
        ("Third-party licences (clause 1.1.2)", [lic for lic in licences if not lic.subscription]),
    ]
    for title, group in groups:
        out.append(f"<h3>{_e(title)} ({len(group)})</h3>")
        if group:
            out.append(f'<div class="chart">{render_timeline(group, view.at, view.warning)}</div>')
        else:
            out.append('<p class="none">None recorded.</p>')
    missing = [
        row.id
        for row in view.rows
        if row.kind == "third_party_api" and not any(not lic.subscription for lic in row.licences)
    ]
    if missing:
        links = ", ".join(
            f'<a href="#integration-{_e(i)}"><code>{_e(i)}</code></a>' for i in missing
        )
        out.append(
            f"<p><b>Third-party integrations without any licence ({len(missing)}):</b> {links}.</p>"
        )
    return out


def _index(view: ReportView) -> list[str]:
    out = [
        '<h2 id="integrations">Integrations</h2>',
        '<table><colgroup><col style="width:28%"><col style="width:10%">'
        '<col style="width:12%"><col></colgroup>',
        "<thead><tr><th>integration</th><th>service</th><th>decision</th>"
        "<th>findings</th></tr></thead><tbody>",
    ]
    for row in view.rows:
        codes = ", ".join(
            f"{_badge(_SEVERITY[f.severity], f.severity.value.upper())} <code>{_e(f.code)}</code>"
            for f in row.findings
        )
        out.append(
            f'<tr><td><a href="#integration-{_e(row.id)}"><code>{_e(row.id)}</code></a></td>'
            f"<td>{_e(row.service)}</td><td>{_badge(row.verdict, _VERDICT[row.verdict])}</td>"
            f"<td>{codes or _NONE}</td></tr>"
        )
    out.append("</tbody></table>")
    return out


def _fields(view: ReportView, row: IntegrationRow) -> str:
    where = (
        f"{view.source.name}, line {row.line}"
        if row.line is not None
        else (view.source.name if view.source.kind == "registry" else "not known")
    )
    pairs: Iterable[tuple[str, str | None]] = (
        ("name", row.name),
        ("service / kind", f"{row.service} / {row.kind}"),
        ("vendor", row.vendor),
        ("state", row.state),
        ("owner", row.owner),
        ("base URL", row.base_url),
        ("API version", row.api_version),
        ("information verified", row.info_verified_at or "never"),
        ("declared in", where),
    )
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in pairs if v is not None)
    return f'<dl class="fields">{items}</dl>'


def _findings(row: IntegrationRow) -> str:
    if not row.findings:
        return '<p class="none">No findings.</p>'
    out = [
        '<table class="findings"><colgroup><col style="width:9%"><col style="width:24%">'
        '<col style="width:7%"><col><col style="width:28%"></colgroup>',
        "<thead><tr><th>severity</th><th>code</th><th>clause</th><th>what is wrong</th>"
        "<th>what to do</th></tr></thead><tbody>",
    ]
    for f in row.findings:
        out.append(
            f"<tr><td>{_badge(_SEVERITY[f.severity], f.severity.value.upper())}</td>"
            f"<td><code>{_e(f.code)}</code><br><small>{_e(f.rule.title)}</small></td>"
            f"<td>{_e(f.clause or '-')}</td><td>{_e(f.message)}</td><td>{_e(f.rule.fix)}</td></tr>"
        )
    out.append("</tbody></table>")
    return "".join(out)


def _licences(view: ReportView, row: IntegrationRow) -> str:
    if not row.licences:
        return '<p class="none">No licence or service subscription recorded.</p>'
    out = [
        '<table class="licences"><colgroup><col style="width:16%"><col>'
        '<col style="width:13%"><col style="width:13%"><col style="width:26%"></colgroup>',
        "<thead><tr><th>grantor</th><th>scope</th><th>from</th><th>until</th>"
        "<th>status</th></tr></thead><tbody>",
    ]
    for lic in row.licences:
        kind = {
            LicenceStatus.EXPIRED: "deny",
            LicenceStatus.NOT_YET_VALID: "deny",
            LicenceStatus.EXPIRING: "warn",
        }.get(lic.status, "")
        extra = "".join(
            f"<br><small>{_e(label)}: {_e(value)}</small>"
            for label, value in (("holder", lic.holder), ("reference", lic.reference))
            if value
        )
        out.append(
            f"<tr><td>{_e(lic.grantor)}"
            + ("<br><small>service subscription</small>" if lic.subscription else "")
            + f"</td><td>{_e(lic.scope)}{extra}</td><td>{_e(lic.valid_from)}</td>"
            f"<td>{_e(lic.valid_until or 'no end')}</td>"
            f'<td class="{kind}">{_e(status_text(lic, view.at))}</td></tr>'
        )
    out.append("</tbody></table>")
    return "".join(out)


def _sections(view: ReportView) -> list[str]:
    out = []
    for row in view.rows:
        out.append(
            f'<section class="integration" id="integration-{_e(row.id)}">'
            f"<h3><code>{_e(row.id)}</code> {_badge(row.verdict, _VERDICT[row.verdict])}</h3>"
            + _fields(view, row)
            + "<h4>Findings</h4>"
            + _findings(row)
            + "<h4>Licences and subscriptions</h4>"
            + _licences(view, row)
            + "</section>"
        )
    return out


def render_html(view: ReportView) -> str:
    """``view`` as one self-contained HTML page (UTF-8 text, ending with a newline)."""
    t = view.totals
    if t.denied or t.warned:
        headline = f"{t.denied} denied, {t.warned} with warnings"
    else:
        headline = f"all {t.integrations} allowed" if t.integrations else "no integration declared"
    title = f"hf-gov posture: {view.source.name} at {view.at_text}"
    body: list[str] = [
        f"<h1>API integration posture: {_e(headline)}</h1>",
        f'<p class="meta">Action <code>{_e(view.action.value)}</code> evaluated at '
        f"<b>{_e(view.at_text)}</b> for <code>{_e(view.source.name)}</code> "
        f"({t.integrations} integrations); hf_api_governance {_e(view.tool_version)}.</p>",
        *_summary(view),
    ]
    if view.only_problems:
        body.append(
            f'<p class="meta">Only problems are shown: {t.clean} integrations allowed '
            "without warnings are left out.</p>"
        )
    body += _timelines(view)
    if view.rows:
        body += _index(view) + _sections(view)
    else:
        nothing = (
            "Nothing to report: every integration is allowed without warnings."
            if t.integrations
            else "No integration is declared."
        )
        body.append(f'<h2 id="integrations">Integrations</h2><p class="none">{nothing}</p>')
    body.append(
        "<footer>Generated by <code>hf-gov check --format html</code>. Self-contained: this "
        "page loads nothing from the network. Finding codes are described in the "
        "hf_api_governance documentation (finding codes).</footer>"
    )
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
    )
    return head + "<body>\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
