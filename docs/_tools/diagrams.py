"""Draw the documentation's diagrams as SVG, from text, with the standard library only.

Run from the repository root::

    python docs/_tools/diagrams.py          # rewrite docs/diagrams/*.svg
    python docs/_tools/diagrams.py --check  # exit 1 if a committed SVG is out of date

The lifecycle diagram is built from the state machine itself
(``hf_api_governance._model.lifecycle.TRANSITIONS``): every state-changing transition
in the table becomes an arrow, every transition that keeps the state is listed
under the drawing. A state or transition with no place on the drawing stops
the script, so the picture cannot silently fall behind the code. Coordinates
are placed by hand; the output is deterministic (the test suite compares it
with the committed files).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "diagrams"

if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from hf_api_governance._model.lifecycle import TRANSITIONS  # noqa: E402
from hf_api_governance._model.values import EventKind, IntegrationState  # noqa: E402

FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
Point = tuple[float, float]


def _f(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


class Svg:
    """A tiny SVG writer: boxes, arrows and text, in a fixed order."""

    def __init__(self, width: int, height: int, title: str) -> None:
        self.parts: list[str] = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
            f"<title>{escape(title)}</title>",
            "<defs>",
            '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
            'markerHeight="8" orient="auto-start-reverse">'
            '<path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker>',
            "</defs>",
            f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        ]

    def box(
        self, centre: Point, size: Point, lines: Iterable[str], *, fill: str, bold: bool = True
    ) -> None:
        """A rounded box centred on ``centre`` with one or more lines of text."""
        (cx, cy), (w, h) = centre, size
        self.parts.append(
            f'<rect x="{_f(cx - w / 2)}" y="{_f(cy - h / 2)}" width="{_f(w)}" height="{_f(h)}" '
            f'rx="8" ry="8" fill="{fill}" stroke="#333" stroke-width="1.5"/>'
        )
        rows = list(lines)
        first = cy - (len(rows) - 1) * 8 + 5
        for n, row in enumerate(rows):
            weight = ' font-weight="bold"' if bold and n == 0 else ""
            self.text((cx, first + 16 * n), row, size=13 if n == 0 else 11, extra=weight)

    def text(
        self, at: Point, text: str, *, size: int = 11, anchor: str = "middle", extra: str = ""
    ) -> None:
        """Text centred (by default) on ``at``."""
        self.parts.append(
            f'<text x="{_f(at[0])}" y="{_f(at[1])}" {FONT} font-size="{size}" '
            f'text-anchor="{anchor}" fill="#111"{extra}>{escape(text)}</text>'
        )

    def label(self, at: Point, text: str) -> None:
        """Text on a white background, for arrows."""
        width = 6.6 * len(text) + 8
        self.parts.append(
            f'<rect x="{_f(at[0] - width / 2)}" y="{_f(at[1] - 10)}" width="{_f(width)}" '
            f'height="14" fill="#ffffff" opacity="0.9"/>'
        )
        self.text((at[0], at[1] + 1), text, size=11)

    def path(self, d: str, *, dashed: bool = False) -> None:
        """An arrow along an SVG path."""
        dash = ' stroke-dasharray="5 4"' if dashed else ""
        self.parts.append(
            f'<path d="{d}" fill="none" stroke="#333" stroke-width="1.4"{dash} '
            'marker-end="url(#arrow)"/>'
        )

    def dot(self, at: Point) -> None:
        """The start point of a state machine."""
        self.parts.append(f'<circle cx="{_f(at[0])}" cy="{_f(at[1])}" r="7" fill="#333"/>')

    def render(self) -> str:
        """The document, ending with a newline."""
        return "\n".join([*self.parts, "</svg>"]) + "\n"


def _border(centre: Point, size: Point, towards: Point) -> Point:
    """Where the segment from a box's centre towards a point leaves the box."""
    (cx, cy), (w, h) = centre, size
    dx, dy = towards[0] - cx, towards[1] - cy
    scales = [
        s for s in ((w / 2) / abs(dx) if dx else None, (h / 2) / abs(dy) if dy else None) if s
    ]
    t = min(scales)
    return cx + dx * t, cy + dy * t


# ------------------------------------------------------------------------ lifecycle

_S = IntegrationState
STATE_SIZE: Point = (150, 44)
STATE_AT: dict[IntegrationState, Point] = {
    _S.PENDING: (130, 210),
    _S.ACTIVE: (400, 210),
    _S.SUSPENDED: (670, 210),
    _S.RETIRED: (400, 60),
    _S.REVOKED: (400, 390),
}
STATE_FILL = {
    _S.PENDING: "#eef3fb",
    _S.ACTIVE: "#e6f4e6",
    _S.SUSPENDED: "#fff4d6",
    _S.REVOKED: "#fbe3e3",
    _S.RETIRED: "#eeeeee",
}
STATE_NOTE = {
    _S.PENDING: "not in use yet",
    _S.ACTIVE: "may be called",
    _S.SUSPENDED: "interop suspended",
    _S.REVOKED: "credential dead",
    _S.RETIRED: "final",
}
START: Point = (130, 60)
CLAUSE = {
    EventKind.REGISTERED: "1.1",
    EventKind.SUSPENDED: "1.1.2",
    EventKind.REINSTATED: "1.1.2",
    EventKind.REVOKED: "1.1.1",
    EventKind.CREDENTIAL_REPLACED: "1.1.1",
}
# Arrows between the same two states in both directions are drawn side by side.
PAIR_OFFSET = 9.0
# (from, to) -> control point of a curved arrow, where a straight one would cross a box.
CURVES: dict[tuple[IntegrationState, IntegrationState], tuple[Point, Point]] = {
    (_S.REVOKED, _S.RETIRED): ((880, 420), (880, 0)),
}


def lifecycle_svg() -> str:
    """The lifecycle state machine, from ``TRANSITIONS``."""
    arrows: dict[tuple[IntegrationState | None, IntegrationState], list[EventKind]] = {}
    kept: dict[EventKind, list[IntegrationState]] = {}
    for kind, steps in TRANSITIONS.items():
        for source, target in steps.items():
            if source == target:
                kept.setdefault(kind, []).append(target)
            else:
                arrows.setdefault((source, target), []).append(kind)
    for state in IntegrationState:
        if state not in STATE_AT:
            raise SystemExit(f"diagrams.py: state {state.name} has no place on the drawing")

    svg = Svg(900, 600, "Lifecycle of an integration")
    svg.dot(START)
    for (source, target), kinds in sorted(
        arrows.items(), key=lambda item: (str(item[0][0]), item[0][1].value)
    ):
        text = ", ".join(
            kind.value + (f" ({CLAUSE[kind]})" if kind in CLAUSE else "") for kind in kinds
        )
        end_centre = STATE_AT[target]
        if source is None:
            start = (START[0], START[1] + 7)
            end = _border(end_centre, STATE_SIZE, START)
            svg.path(f"M {_f(start[0])} {_f(start[1])} L {_f(end[0])} {_f(end[1])}")
            svg.label(((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 4), text)
            continue
        begin_centre = STATE_AT[source]
        if (source, target) in CURVES:
            c1, c2 = CURVES[(source, target)]
            a = (begin_centre[0] + STATE_SIZE[0] / 2, begin_centre[1])
            b = (end_centre[0] + STATE_SIZE[0] / 2, end_centre[1])
            svg.path(
                f"M {_f(a[0])} {_f(a[1])} C {_f(c1[0])} {_f(c1[1])} "
                f"{_f(c2[0])} {_f(c2[1])} {_f(b[0])} {_f(b[1])}"
            )
            svg.label((c1[0] - 65, (a[1] + b[1]) / 2 + 4), text)
            continue
        a = _border(begin_centre, STATE_SIZE, end_centre)
        b = _border(end_centre, STATE_SIZE, begin_centre)
        if (target, source) in arrows:  # two-way: shift each arrow to its own side
            dx, dy = b[0] - a[0], b[1] - a[1]
            length = (dx * dx + dy * dy) ** 0.5
            nx, ny = -dy / length * PAIR_OFFSET, dx / length * PAIR_OFFSET
            a, b = (a[0] + nx, a[1] + ny), (b[0] + nx, b[1] + ny)
            # push the label off its own arrow: sideways by half its width on a vertical pair
            vertical = abs(dy) > abs(dx)
            push = (3.3 * len(text) + 10) / PAIR_OFFSET if vertical else 1.6
            mid = (
                (a[0] + b[0]) / 2 + nx * push,
                (a[1] + b[1]) / 2 + ny * 1.6 + (30 if vertical else 4),
            )
        else:  # 40 % along, so labels of arrows that meet stay apart
            mid = (a[0] + (b[0] - a[0]) * 0.4, a[1] + (b[1] - a[1]) * 0.4 + 4)
        svg.path(f"M {_f(a[0])} {_f(a[1])} L {_f(b[0])} {_f(b[1])}")
        svg.label(mid, text)
    for state, centre in STATE_AT.items():
        svg.box(centre, STATE_SIZE, [state.name, STATE_NOTE[state]], fill=STATE_FILL[state])

    svg.text((20, 460), "Events that keep the state (refused on RETIRED):", anchor="start")
    for n, (kind, states) in enumerate(sorted(kept.items(), key=lambda item: item[0].value)):
        names = ", ".join(s.name for s in IntegrationState if s in states)
        svg.text((36, 480 + 14 * n), f"{kind.value}: in {names}", anchor="start", size=10)
    return svg.render()


# ------------------------------------------------------------------------ data flow

BOX: Point = (240, 52)
FLOW_AT: dict[str, tuple[Point, list[str], str]] = {
    "source": ((140, 50), ["inventory.toml", "or a provisioning script"], "#eef3fb"),
    "facade": ((140, 170), ["Governance", "facade; actor on every change"], "#ffffff"),
    "registry": ((540, 170), ["Registry", "state, licences, history"], "#e6f4e6"),
    "store": ((940, 170), ["Store", "SQLite file (PostgreSQL later)"], "#eeeeee"),
    "engine": ((140, 300), ["PolicyEngine", "built-in clauses + your hooks"], "#fff4d6"),
    "keystore": ((540, 300), ["Keystore", "encrypted file (AES-256-GCM)"], "#fbe3e3"),
    "audit": ((940, 300), ["AuditLog", "hash chain + HMAC, no secrets"], "#eeeeee"),
    "session": ((140, 430), ["GovernedSession / govern()", "auth, retries, signals"], "#ffffff"),
    "api": ((540, 430), ["Mimecast or third-party API", "HTTPS"], "#eef3fb"),
}
FLOW_EDGES: list[tuple[str, str, str]] = [
    ("source", "facade", "declarations: entry names, never values"),
    ("facade", "registry", "sync, revoke, suspend"),
    ("registry", "store", "one transaction per change"),
    ("facade", "engine", "check, require"),
    ("engine", "session", "Decision: allowed, or AccessDenied"),
    ("session", "api", "request"),
    ("registry", "audit", "every event, same transaction"),
]


def dataflow_svg() -> str:
    """How data flows through the library, one way."""
    svg = Svg(1080, 530, "Data flow through hf_api_governance")
    for source, target, text in FLOW_EDGES:
        a_centre, b_centre = FLOW_AT[source][0], FLOW_AT[target][0]
        a = _border(a_centre, BOX, b_centre)
        b = _border(b_centre, BOX, a_centre)
        svg.path(f"M {_f(a[0])} {_f(a[1])} L {_f(b[0])} {_f(b[1])}")
        vertical = abs(a[0] - b[0]) < 1
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + (4 if vertical else -8))
        svg.label(mid, text)
    # Hand-routed dashed arrows: secrets out of the keystore, signals and records back.
    svg.path("M 470 326 L 260 410", dashed=True)
    svg.label((372, 372), "Secret, just in time")
    svg.path("M 420 300 L 260 300", dashed=True)
    svg.label((340, 292), "entry exists?")
    svg.path("M 640 404 C 740 330 740 240 600 196", dashed=True)
    svg.label((720, 262), "signals: revoked, 410, Sunset")
    svg.path("M 140 456 C 140 510 940 510 940 326", dashed=True)
    svg.label((540, 490), "call_sent, call_denied")
    for centre, lines, fill in FLOW_AT.values():
        svg.box(centre, BOX, lines, fill=fill)
    svg.text((20, 522), "Solid: state and decisions. Dashed: secrets and signals.", anchor="start")
    return svg.render()


def render() -> dict[Path, str]:
    """Every diagram: its path and its SVG text."""
    return {OUT / "lifecycle.svg": lifecycle_svg(), OUT / "dataflow.svg": dataflow_svg()}


def main(argv: list[str] | None = None) -> int:
    """Write the diagrams, or with ``--check`` report those that differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render().items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"out of date: {path.relative_to(ROOT)} (run python docs/_tools/diagrams.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
