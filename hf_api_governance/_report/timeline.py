"""The expiry timeline of the HTML page: an SVG chart, one bar per licence.

The chart spans 90 days before the report's instant to 365 days after it
("what breaks in the next year", with the recent past for context). Each
licence (or service subscription) is one row: on the left its integration and
scope, in the middle a bar over its validity window, on the right its status
in words and dates, so nothing needs hovering or colour to be read. The
report's instant is a vertical line; the licence warning window after it is a
shaded band. Bars are coloured by status at that instant: valid (green),
expiring (orange), expired (red), not yet valid (blue, striped). A window
that reaches past the chart's edge is drawn to the edge with an arrow.

Rows are sorted by urgency: expired first (the latest ended first), then
expiring and valid by end (soonest first, open-ended last), and not yet
valid by start. Text is cut to its column by a conservative width estimate
(the browser tests measure it), with the full text in a ``<title>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Final

from hf_api_governance._base.clock import MONTH_NAMES
from hf_api_governance._model.values import LicenceStatus
from hf_api_governance._report.model import LicenceRow

__all__ = [
    "CHART_WIDTH",
    "FUTURE",
    "PAST",
    "render_timeline",
    "sort_licences",
    "status_text",
]

PAST: Final = timedelta(days=90)
"""How far before the report's instant the chart starts."""
FUTURE: Final = timedelta(days=365)
"""How far after the report's instant the chart ends."""

CHART_WIDTH: Final = 1160
"""The SVG's width in CSS pixels (the page's content is 1200 pixels at most)."""
_LABEL_W: Final = 330
_STATUS_W: Final = 300
_GAP: Final = 10
_BARS_X: Final = _LABEL_W + _GAP
_BARS_W: Final = CHART_WIDTH - _LABEL_W - _STATUS_W - 2 * _GAP
_STATUS_X: Final = _BARS_X + _BARS_W + _GAP
_ROW_H: Final = 24
_BAR_H: Final = 14
_AXIS_H: Final = 44
_FONT: Final = 12.0
_MIN_BAR: Final = 4.0

_STATUS_CLASS: Final = {
    LicenceStatus.VALID: "valid",
    LicenceStatus.EXPIRING: "expiring",
    LicenceStatus.EXPIRED: "expired",
    LicenceStatus.NOT_YET_VALID: "not-yet-valid",
}


# ------------------------------------------------------------------------ text


def _char_width(c: str) -> float:
    """A generous width of ``c`` at 12 px in common sans-serif fonts (DejaVu Sans is widest)."""
    if c in "il.,:;|!'`jIf()[]{}/\\ ":
        return 4.2
    if c in "mwMW@%&":
        return 11.0
    if c.isupper() or c in "#$+<=>?^~_":
        return 8.8
    if c.isdigit():
        return 7.7
    if c.isascii():
        return 7.3
    return 12.0  # anything else (CJK, symbols): assume wide


def _fit(text: str, width: float, bold: float = 0.0) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` pixels at 12 px."""
    scale = 1.0 + bold
    total = 0.0
    for n, c in enumerate(text):
        total += _char_width(c) * scale
        if total > width:
            cut = text[:n]
            while cut and sum(_char_width(ch) * scale for ch in cut) + 12.0 > width:
                cut = cut[:-1]
            return cut.rstrip() + "…"
    return text


def _days(delta: timedelta) -> int:
    return delta.days


def _bound(text: str) -> str:
    """A bound as written, an instant shortened to minutes: ``2027-03-01 00:00Z``."""
    return text[:10] + " " + text[11:16] + "Z" if len(text) > 10 else text


def status_text(lic: LicenceRow, at: datetime) -> str:
    """The licence's status in words and dates, relative to ``at``."""
    until = _bound(lic.valid_until) if lic.valid_until else "no end"
    if lic.status is LicenceStatus.EXPIRED:
        assert lic.ends_at is not None  # noqa: S101 - an expired licence has an end
        ago = _days(at - lic.ends_at)
        return f"EXPIRED {until} ({ago} d ago)" if ago else f"EXPIRED {until} (today)"
    if lic.status is LicenceStatus.NOT_YET_VALID:
        return f"NOT YET VALID from {_bound(lic.valid_from)} (in {_days(lic.starts_at - at)} d)"
    if lic.ends_at is None or lic.ends_at.year == 9999:
        return "VALID, no end"
    left = _days(lic.ends_at - at)
    if lic.status is LicenceStatus.EXPIRING:
        return f"EXPIRING {until} ({left} d left)"
    return f"VALID until {until} ({left} d left)"


def sort_licences(licences: Sequence[LicenceRow]) -> list[LicenceRow]:
    """Licences by urgency: expired, then expiring and valid by end, then not yet valid."""
    far = datetime.max.replace(tzinfo=UTC)

    def key(lic: LicenceRow) -> tuple[int, float, str, int]:
        end = lic.ends_at or far
        if lic.status is LicenceStatus.EXPIRED:
            return (0, -end.timestamp(), lic.integration_id, lic.index)
        if lic.status is LicenceStatus.NOT_YET_VALID:
            return (2, lic.starts_at.timestamp(), lic.integration_id, lic.index)
        return (1, end.timestamp(), lic.integration_id, lic.index)

    return sorted(licences, key=key)


# ------------------------------------------------------------------------- svg


def _month_starts(start: datetime, end: datetime) -> list[date]:
    day = date(start.year, start.month, 1)
    out: list[date] = []
    while True:
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        if datetime(day.year, day.month, 1, tzinfo=UTC) >= end:
            return out
        out.append(day)


def _label(lic: LicenceRow) -> str:
    """What the licence covers: its scope, after its grantor unless the scope names it."""
    if lic.subscription or lic.scope.casefold().startswith(lic.grantor.casefold()):
        return lic.scope
    return f"{lic.grantor}: {lic.scope}"


def render_timeline(licences: Sequence[LicenceRow], at: datetime, warning: timedelta) -> str:
    """An SVG chart of ``licences`` around ``at`` (the rows sorted by :func:`sort_licences`).

    Every bar is a ``<rect class="bar ...">`` with ``data-integration`` and
    ``data-licence`` (its index), so tests and readers can find each licence.
    """
    rows = sort_licences(licences)
    start = at - PAST
    end = at + FUTURE
    span = (end - start).total_seconds()
    axis_bottom = len(rows) > 25
    height = _AXIS_H + len(rows) * _ROW_H + (_AXIS_H if axis_bottom else 12)
    chart_top = _AXIS_H
    chart_bottom = _AXIS_H + len(rows) * _ROW_H

    def x(when: datetime) -> float:
        clamped = min(max(when, start), end)
        return round(_BARS_X + (clamped - start).total_seconds() / span * _BARS_W, 1)

    out: list[str] = [
        f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'width="{CHART_WIDTH}" height="{height}" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'font-size="{_FONT:g}" data-bars-x="{_BARS_X}" data-bars-width="{_BARS_W}" '
        f'data-status-x="{_STATUS_X}">',
        "<title>Validity of each licence: "
        f"{escape(_date(start))} to {escape(_date(end))}, report instant {escape(_date(at))}"
        "</title>",
        '<defs><pattern id="stripes" patternUnits="userSpaceOnUse" width="6" height="6" '
        'patternTransform="rotate(45)"><rect width="6" height="6" class="stripe-bg"/>'
        '<rect width="3" height="6" class="stripe-fg"/></pattern></defs>',
    ]
    # Warning window, month grid, axis labels.
    for n in range(1, len(rows), 2):  # every other row shaded, under everything else
        out.append(
            f'<rect class="row-band" x="0" y="{chart_top + n * _ROW_H}" '
            f'width="{CHART_WIDTH}" height="{_ROW_H}"/>'
        )
    warn_end = x(at + warning)
    out.append(
        f'<rect class="warning-window" x="{x(at)}" y="{chart_top}" '
        f'width="{round(warn_end - x(at), 1)}" height="{chart_bottom - chart_top}"/>'
    )
    ticks = _month_starts(start, end)
    for day in ticks:
        tx = x(datetime(day.year, day.month, day.day, tzinfo=UTC))
        out.append(
            f'<line class="grid" x1="{tx}" y1="{chart_top - 8}" x2="{tx}" y2="{chart_bottom}"/>'
        )
        text = str(day.year) if day.month == 1 else MONTH_NAMES[day.month - 1]
        if tx + 3 + sum(_char_width(c) * 1.1 for c in text) > _BARS_X + _BARS_W:
            continue  # the label would run into the status column
        for axis_y in [chart_top - 12] + ([chart_bottom + 16] if axis_bottom else []):
            year = " year" if day.month == 1 else ""
            out.append(f'<text class="tick{year}" x="{tx + 3}" y="{axis_y}">{text}</text>')
    out.append(
        f'<text class="column-title" x="0" y="{chart_top - 12}">integration: licence</text>'
        f'<text class="column-title" x="{_STATUS_X}" y="{chart_top - 12}">status at '
        f"{escape(_date(at))}</text>"
    )
    # One row per licence.
    for n, lic in enumerate(rows):
        top = chart_top + n * _ROW_H
        mid = top + _ROW_H / 2
        status = _STATUS_CLASS[lic.status]
        ident = _fit(lic.integration_id, _LABEL_W * 0.55, bold=0.1)
        rest = _fit(
            _label(lic),
            _LABEL_W - sum(_char_width(c) * 1.1 for c in ident) - 14,
        )
        full = f"{lic.integration_id}: {lic.grantor}: {lic.scope}"
        out.append(
            f'<text class="label" x="0" y="{mid + 4}"><title>{escape(full)}</title>'
            f'<tspan class="label-id">{escape(ident)}</tspan> {escape(rest)}</text>'
        )
        x1 = x(lic.starts_at)
        x2 = x(lic.ends_at) if lic.ends_at is not None else x(end)
        if x2 - x1 < _MIN_BAR:  # wholly outside the chart, or very short: a visible stub
            x1 = min(x1, _BARS_X + _BARS_W - _MIN_BAR)
            x2 = x1 + _MIN_BAR
        detail = f"{full}: {lic.valid_from} to {lic.valid_until or 'no end'}"
        out.append(
            f'<rect class="bar {status}{" subscription" if lic.subscription else ""}" '
            f'data-integration="{escape(lic.integration_id)}" data-licence="{lic.index}" '
            f'x="{x1}" y="{mid - _BAR_H / 2}" width="{round(x2 - x1, 1)}" height="{_BAR_H}" '
            f'rx="3"><title>{escape(detail)}</title></rect>'
        )
        if lic.starts_at < start:
            out.append(_arrow(_BARS_X + 1, mid, left=True))
        if lic.ends_at is None or lic.ends_at > end:
            out.append(_arrow(_BARS_X + _BARS_W - 1, mid, left=False))
        words = status_text(lic, at)
        out.append(
            f'<text class="status status-{status}" x="{_STATUS_X}" y="{mid + 4}">'
            f"{escape(_fit(words, _STATUS_W, bold=0.0 if status == 'valid' else 0.08))}</text>"
        )
    # The report's instant, on top of the bars.
    now_x = x(at)
    out.append(
        f'<line class="now" x1="{now_x}" y1="{chart_top - 4}" x2="{now_x}" y2="{chart_bottom}"/>'
        f'<text class="now-label" x="{now_x}" y="11" text-anchor="middle">'
        f"{escape(_date(at))}</text>"
        f'<polygon class="now-mark" points="{now_x - 4},14 {now_x + 4},14 {now_x},20"/>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _arrow(tip_x: float, mid: float, *, left: bool) -> str:
    d = 6 if not left else -6
    base = tip_x - d
    return f'<polygon class="arrow" points="{tip_x},{mid} {base},{mid - 5} {base},{mid + 5}"/>'


def _date(when: datetime) -> str:
    return when.astimezone(UTC).date().isoformat()
