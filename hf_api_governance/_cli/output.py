"""What ``hf-gov`` writes: tables, the ``check`` report (table and JSON), listings, progress.

Nothing here reads arguments or opens files: each function takes the data
and the stream to write to. Colours and progress appear on a terminal only.

Text output fits :data:`WIDTH` columns: every listing has a header row and
aligned columns, and long text (a finding's message, an event's reason) is
wrapped under its row. Instants are written one way, to the second, in UTC
with ``Z`` (:func:`when`).

Hints speak the caller's language: the built-in findings name the Python
method that fixes them (``Registry.add_licence``); :data:`CLI_HINTS` turns
those hints into ``hf-gov`` commands in everything ``hf-gov`` prints (the
table and ``--json``), keyed by finding code.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from json.encoder import encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Final, TextIO

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._audit.entries import VerificationReport
    from hf_api_governance._confidential.secret import Secret
    from hf_api_governance._model.values import Integration, Licence
    from hf_api_governance._policy import Finding
    from hf_api_governance._policy.report import Report
    from hf_api_governance._registry.registry import SyncReport

from hf_api_governance._base.clock import utc_text
from hf_api_governance._confidential.evidence import thaw
from hf_api_governance._report import JSON_SCHEMA_ID
from hf_api_governance._report.model import clean

__all__ = [
    "CLI_HINTS",
    "JSON_SCHEMA_ID",
    "PROGRESS_THRESHOLD",
    "WIDTH",
    "CheckRow",
    "Style",
    "check_rows",
    "cli_message",
    "finding_lines",
    "isatty",
    "json_row",
    "print_findings",
    "print_integration",
    "print_integrations",
    "print_keys",
    "print_licences",
    "print_sync",
    "print_verification",
    "show_progress",
    "table",
    "when",
    "write_check",
    "write_json",
]

WIDTH: Final = 80
"""The columns text output fits in (ids longer than 50 characters aside)."""

# ------------------------------------------------------------------------- hints

_NEW_LICENCE = "(hf-gov licence add {id} ...)"

CLI_HINTS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "CREDENTIAL_REVOKED": (
        ("(Registry.replace_credential)", "(hf-gov replace-credential {id} --entry NEW-NAME)"),
        (
            "never send them again; replace the credential",
            "never send them again; replace the credential "
            "(hf-gov replace-credential {id} --entry NEW-NAME)",
        ),
    ),
    "CREDENTIAL_MISSING": (("(Governance.store_key)", "(hf-gov keys set NAME)"),),
    "INTEROP_SUSPENDED": (("(Registry.reinstate)", "(hf-gov reinstate {id} --reason TEXT)"),),
    "LICENCE_MISSING": (("(Registry.add_licence)", _NEW_LICENCE),),
    "LICENCE_EXPIRING": (("(Registry.add_licence)", _NEW_LICENCE),),
    "LICENCE_NOT_YET_VALID": (("(Registry.add_licence)", _NEW_LICENCE),),
    "LICENCE_EXPIRED": (("(Registry.add_licence)", _NEW_LICENCE),),
    "SERVICE_SUBSCRIPTION_EXPIRING": (("(Registry.add_licence)", _NEW_LICENCE),),
    "SERVICE_SUBSCRIPTION_EXPIRED": (("(Registry.add_licence)", _NEW_LICENCE),),
    "INFO_STALE": (("run verify-info (Registry.verify_info)", "run hf-gov verify-info {id}"),),
    "NOT_ACTIVE": (
        (
            "provision and activate it before calling",
            "provision it before calling (hf-gov provision {id})",
        ),
    ),
    "DEPRECATION_NOTICED": (
        (
            "record it with an update (new api_version or base_url)",
            "record it in the inventory (new api_version or base_url) and hf-gov sync",
        ),
    ),
}
"""Per finding code: (text of the Python hint, the ``hf-gov`` form; ``{id}`` is the integration).

Python callers see the findings' messages as the engine wrote them, naming
methods; ``hf-gov`` replaces each hint it knows with a command. A test checks
that every built-in hint naming a method has its command here.
"""


def cli_message(finding: Finding) -> str:
    """``finding``'s message with its fix hint as an ``hf-gov`` command (see :data:`CLI_HINTS`)."""
    message = finding.message
    for python, command in CLI_HINTS.get(finding.code, ()):
        if python in message:
            message = message.replace(python, command.format(id=finding.integration_id or "ID"))
    return message


# ------------------------------------------------------------------- terminal


class Style:
    """Colours for a terminal: ``style(text, code)`` wraps text in an SGR code.

    Off when the stream is not a terminal or ``NO_COLOR`` is set.

    Args:
        stream: Where the styled text will be written.
    """

    def __init__(self, stream: TextIO) -> None:
        self.enabled = isatty(stream) and not os.environ.get("NO_COLOR")

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


# ------------------------------------------------------------------- building blocks

_MIN_LAST_COLUMN: Final = 28
"""Narrower than this, a table's last column is written under each row instead of beside it."""


def when(value: date | datetime | None, none: str = "-") -> str:
    """An instant to the second in UTC with ``Z``; a date as ``YYYY-MM-DD``; ``none`` for None."""
    if value is None:
        return none
    if isinstance(value, datetime):
        return utc_text(value, "seconds")
    return value.isoformat()


def _wrap(text: str, width: int, indent: int, first: int | None = None) -> list[str]:
    """``text`` in lines of at most ``width`` columns, continuation lines indented by ``indent``.

    Greedy, on spaces, never on hyphens (ids stay whole); a word longer than
    a line is cut. Like ``textwrap.wrap`` with these options, but cutting a
    line at a time instead of a word at a time: a 10,000-integration report
    wraps some 10,000 findings.
    """
    rest = " ".join(text.splitlines()).strip()
    pad = indent if first is None else first
    lines: list[str] = []
    while True:
        room = max(width - pad, 1)
        if len(rest) <= room:
            lines.append(" " * pad + rest)
            return lines
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:  # one word longer than the line
            lines.append(" " * pad + rest[:room])
            rest = rest[room:].lstrip(" ")
        else:
            lines.append(" " * pad + rest[:cut].rstrip(" "))
            rest = rest[cut + 1 :].lstrip(" ")
        pad = indent


def table(
    out: TextIO,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    after: Mapping[int, Sequence[str]] | None = None,
) -> None:
    """Write a table: a header row, aligned columns, the last column wrapped to :data:`WIDTH`.

    Args:
        out: Where to write.
        headers: The column titles.
        rows: The cells, as text.
        after: Lines to write under a row, by row index (already indented).
    """
    rows = [list(r) for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers[:-1])]
    start = sum(w + 2 for w in widths)
    longest = max([len(headers[-1])] + [len(r[-1]) for r in rows])
    # Too little room for the last column: it goes under each row, indented.
    below = start + longest > WIDTH and WIDTH - start < _MIN_LAST_COLUMN

    pattern = "".join(f"{{:<{w}}}  " for w in widths)  # the cells before the last, aligned
    parts: list[str] = []  # written at once: one write instead of one per line
    write = parts.append

    def line(cells: Sequence[str]) -> None:
        head = pattern.format(*cells[:-1])
        last = cells[-1]
        if below:
            write(head.rstrip() + "\n")
            for more in _wrap(last, WIDTH, 4):
                write(more + "\n")
        elif start + len(last) <= WIDTH:
            write(f"{head}{last}".rstrip() + "\n")
        else:
            wrapped = _wrap(last, WIDTH, start)
            write(f"{head}{wrapped[0][start:]}".rstrip() + "\n")
            for more in wrapped[1:]:
                write(more + "\n")

    line(headers)
    extras = after or {}
    for index, row in enumerate(rows):
        line(row)
        for extra in extras.get(index, ()):
            write(extra + "\n")
    out.write("".join(parts))


def finding_lines(findings: Iterable[Finding], indent: int = 4) -> list[str]:
    """Each finding as ``SEVERITY CODE (clause): message``, wrapped under its row."""
    lines: list[str] = []
    for f in findings:
        text = f"{f.severity.value.upper():<5} {f.code} ({f.clause or '-'}): {cli_message(f)}"
        lines += _wrap(text, WIDTH, indent + 6, first=indent)
    return lines


def print_findings(out: TextIO, findings: Iterable[Finding], indent: int = 4) -> None:
    """Write findings as the ``check`` report does, wrapped to :data:`WIDTH`."""
    for line in finding_lines(findings, indent):
        out.write(line + "\n")


def write_json(out: TextIO, document: object) -> None:
    """Write one JSON document (indented, keys sorted) and a newline, in one write."""
    out.write(json.dumps(document, indent=2, sort_keys=True) + "\n")


# ------------------------------------------------------------------------ check


CheckRow = tuple[str, bool, bool, Any]
"""One integration of the ``check`` report as plain data: its id, whether it is
allowed, whether it has warnings, and what its format writes (for JSON the
row's text, indented for its place in the document; for the table its
service, state and finding lines). Plain tuples and strings, so that a worker
process checking part of an inventory sends them back with :mod:`marshal`."""

_JSON_ROWS_PLACEHOLDER: Final = "\x00rows\x00"
"""Stands for the rows while the rest of the ``--json`` document is encoded."""


def check_rows(report: Report, *, as_json: bool) -> list[CheckRow]:
    """Each decision of ``report`` as a :data:`CheckRow`, in report order.

    The finding messages must already be clean (:func:`redact_report` with
    ``integrations=False``); the one integration text the rows hold, its
    name (JSON only), is cleaned here.
    """
    rows: list[CheckRow] = []
    for integration, decision in zip(report.integrations, report.decisions, strict=True):
        payload: Any
        if as_json:
            payload = json_row(
                integration.id,
                clean(integration.name),  # the only free text of an integration JSON prints
                integration.service.value,
                integration.kind.value,
                integration.state.value,
                decision.allowed,
                [(f.clause, f.code, cli_message(f), f.severity.value) for f in decision.findings],
            )
        else:
            payload = (
                integration.service.value,
                integration.state.value,
                finding_lines(decision.findings),
            )
        rows.append((integration.id, decision.allowed, bool(decision.warnings), payload))
    return rows


_quote = encode_basestring_ascii  # what json.dumps writes for a str (ensure_ascii)


def json_row(
    ident: str,
    name: str,
    service: str,
    kind: str,
    state: str,
    allowed: bool,
    findings: Sequence[tuple[str | None, str, str, str]],
) -> str:
    """One integration of the ``--json`` document, in the text ``json.dumps`` writes.

    The text is what ``json.dumps(indent=2, sort_keys=True)`` writes for the
    row two levels down (every line indented by four more spaces).

    Written directly, each string quoted by :mod:`json`'s own C quoting: the
    pure-Python encoder that ``indent`` needs costs 30 to 40 µs a row, this 5 to 7.
    ``findings`` are ``(clause, code, message, severity)``. A property test
    compares the text with ``json.dumps`` of the same row.
    """
    if findings:
        items = ",\n".join(
            "        {\n"
            f'          "clause": {"null" if clause is None else _quote(clause)},\n'
            f'          "code": {_quote(code)},\n'
            f'          "message": {_quote(message)},\n'
            f'          "severity": {_quote(severity)}\n'
            "        }"
            for clause, code, message, severity in findings
        )
        listed = f"[\n{items}\n      ]"
    else:
        listed = "[]"
    return (
        "    {\n"
        f'      "allowed": {"true" if allowed else "false"},\n'
        f'      "findings": {listed},\n'
        f'      "id": {_quote(ident)},\n'
        f'      "kind": {_quote(kind)},\n'
        f'      "name": {_quote(name)},\n'
        f'      "service": {_quote(service)},\n'
        f'      "state": {_quote(state)}\n'
        "    }"
    )


def _verdict(allowed: bool, warned: bool, style: Style) -> str:
    if not allowed:
        return style("DENY", "31;1")
    if warned:
        return style("WARN", "33;1")
    return style("ALLOW", "32")


def write_check(
    rows: Sequence[CheckRow],
    out: TextIO,
    *,
    at: datetime,
    action: str,
    as_json: bool,
    only_problems: bool,
    note: str | None = None,
) -> None:
    """Write the ``hf-gov check`` report from its rows: the JSON document or the table.

    ``rows`` are in id order (:func:`check_rows`). ``note`` (what the report
    did not look at) ends the table; JSON leaves it out.
    """
    total = len(rows)
    allowed = sum(1 for row in rows if row[1])
    shown = [row for row in rows if not (only_problems and row[1] and not row[2])]
    if as_json:
        document = {
            "schema": JSON_SCHEMA_ID,
            "at": when(at),
            "action": action,
            "summary": {
                "integrations": total,
                "allowed": allowed,
                "denied": total - allowed,
                "with_warnings": sum(1 for row in rows if row[2]),
            },
            "integrations": [_JSON_ROWS_PLACEHOLDER] if shown else [],
        }
        text = json.dumps(document, indent=2, sort_keys=True)
        if shown:
            text = text.replace(
                "    " + json.dumps(_JSON_ROWS_PLACEHOLDER), ",\n".join(row[3] for row in shown)
            )
        out.write(text + "\n")
        return
    style = Style(out)
    out.write(f"hf-gov check: action {action} at {when(at)}\n\n")
    cells = []
    after: dict[int, list[str]] = {}
    for n, (ident, ok, warned, (service, state, lines)) in enumerate(shown):
        after[n] = lines
        cells.append([ident, service, state, _verdict(ok, warned, style)])
    table(out, ["ID", "SERVICE", "STATE", "DECISION"], cells, after=after)
    warned_allowed = sum(1 for row in rows if row[1] and row[2])
    out.write(
        f"\n{total} integrations: {allowed} allowed ({warned_allowed} with warnings), "
        f"{total - allowed} denied\n"
    )
    if note:
        for line in _wrap(note, WIDTH, 0, first=0):
            out.write(line + "\n")


# ------------------------------------------------------------------ sync, list, show

_SYNC_LABELS: Final = (
    ("added", "added"),
    ("updated", "updated"),
    ("unchanged", "unchanged"),
    ("undeclared", "no longer declared"),
)


def print_sync(
    result: SyncReport, out: TextIO, *, dry_run: bool = False, as_json: bool = False
) -> None:
    """Write what ``hf-gov sync`` did (or, with ``dry_run``, would do): a count and the ids."""
    if as_json:
        document: dict[str, Any] = {key: list(getattr(result, key)) for key, _ in _SYNC_LABELS}
        document["dry_run"] = dry_run
        write_json(out, document)
        return
    if dry_run:
        out.write("dry run: nothing was written; a sync would give:\n")
    for key, label in _SYNC_LABELS:
        ids = getattr(result, key)
        text = f"{label}: {len(ids)}" + (
            f" ({', '.join(ids)})" if ids and key != "unchanged" else ""
        )
        for line in _wrap(text, WIDTH, 2, first=0):
            out.write(line + "\n")


def print_integrations(integrations: Sequence[Integration], out: TextIO, *, as_json: bool) -> None:
    """Write ``hf-gov list``: a table with a header, or a JSON array of objects."""
    if as_json:
        write_json(
            out,
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
        )
        return
    if not integrations:
        out.write("no integrations registered (hf-gov sync INVENTORY adds them)\n")
        return
    table(
        out,
        ["ID", "SERVICE", "KIND", "STATE", "VENDOR"],
        [[i.id, i.service.value, i.kind.value, i.state.value, i.vendor] for i in integrations],
    )


def _licence_json(lic: Licence, status: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "grantor": lic.grantor,
        "scope": lic.scope,
        "valid_from": when(lic.valid_from),
        "valid_until": None if lic.valid_until is None else when(lic.valid_until),
        "holder": lic.holder,
        "reference": lic.reference,
    }
    if status is not None:
        doc["status"] = status
    return doc


def integration_json(i: Integration) -> dict[str, Any]:
    """``hf-gov show --json``: one integration's fields, licences and history."""
    return {
        "id": i.id,
        "name": i.name,
        "service": i.service.value,
        "kind": i.kind.value,
        "vendor": i.vendor,
        "base_url": i.base_url,
        "owner": i.owner,
        "api_version": i.api_version,
        "state": i.state.value,
        "credential": i.credential,
        "auth": None
        if i.auth is None
        else {"scheme": i.auth.scheme, **dict(sorted(i.auth.params.items()))},
        "credential_entries": list(i.credential_entries),
        "enablement": thaw(i.enablement),
        "info_verified_at": None if i.info_verified_at is None else when(i.info_verified_at),
        "licences": [_licence_json(lic) for lic in i.licences],
        "history": [
            {
                "seq": e.seq,
                "at": when(e.at),
                "kind": e.kind.value,
                "actor": e.actor,
                "reason": e.reason,
                "clause": e.clause,
                "evidence": thaw(e.evidence),
            }
            for e in i.history
        ],
    }


def print_integration(i: Integration, out: TextIO, *, as_json: bool = False) -> None:
    """Write ``hf-gov show``: one integration's fields, licences and history."""
    if as_json:
        write_json(out, integration_json(i))
        return
    fields = [
        ("name", i.name),
        ("service", i.service.value),
        ("kind", i.kind.value),
        ("vendor", i.vendor),
        ("state", i.state.value),
        ("base URL", i.base_url),
        ("API version", i.api_version or "-"),
        ("owner", i.owner),
        ("credentials", ", ".join(i.credential_entries) or "(none)"),
    ]
    if i.auth is not None:
        params = ", ".join(f"{k}={v}" for k, v in sorted(i.auth.params.items()))
        fields.append(("auth", f"{i.auth.scheme} ({params})"))
    fields.append(("info verified", when(i.info_verified_at, "never")))
    out.write(f"{i.id}\n")
    for label, value in fields:
        for line in _wrap(f"{label + ':':<15}{value}", WIDTH, 17, first=2):
            out.write(line + "\n")
    out.write("\nLICENCES\n")
    if i.licences:
        table(
            out,
            ["GRANTOR", "FROM", "UNTIL", "SCOPE"],
            [
                [lic.grantor, when(lic.valid_from), when(lic.valid_until, "no end"), lic.scope]
                for lic in i.licences
            ],
        )
    else:
        out.write("(none)\n")
    out.write("\nHISTORY\n")
    table(
        out,
        ["AT", "EVENT", "BY", "REASON"],
        [[when(e.at), e.kind.value, e.actor, e.reason or "-"] for e in i.history],
    )


def print_licences(
    rows: Sequence[tuple[str, Licence, str]], out: TextIO, *, as_json: bool, at: datetime
) -> None:
    """Write ``hf-gov licence list``: (integration id, licence, status) rows."""
    if as_json:
        write_json(
            out,
            {
                "at": when(at),
                "licences": [
                    {"id": ident, **_licence_json(lic, status)} for ident, lic, status in rows
                ],
            },
        )
        return
    if not rows:
        out.write("no licences recorded\n")
        return
    table(
        out,
        ["ID", "STATUS", "UNTIL", "LICENCE"],
        [
            [ident, status, when(lic.valid_until, "no end"), f"{lic.grantor}: {lic.scope}"]
            for ident, lic, status in rows
        ],
    )


def print_keys(entries: Sequence[tuple[str, Secret]], out: TextIO, *, as_json: bool) -> None:
    """Write ``hf-gov keys list``: names, classifications, fingerprints and labels, never values."""
    if as_json:
        write_json(
            out,
            [
                {
                    "name": name,
                    "classification": secret.classification.value,
                    "fingerprint": secret.fingerprint,
                    "label": secret.label,
                }
                for name, secret in entries
            ],
        )
        return
    table(
        out,
        ["NAME", "CLASSIFICATION", "FINGERPRINT", "LABEL"],
        [
            [name, secret.classification.value, secret.fingerprint, secret.label or "-"]
            for name, secret in entries
        ],
    )


def print_verification(
    report: VerificationReport, out: TextIO, err: TextIO, *, as_json: bool, what: str = ""
) -> None:
    """Write ``hf-gov audit verify``'s outcome: a line (on stderr when it failed) or JSON.

    A failure lists each registry mismatch with its positions (at most 20);
    ``what`` is added to the failure line (", no checkpoint written").
    """
    if as_json:
        write_json(
            out,
            {
                "ok": report.ok,
                "entries_checked": report.entries_checked,
                "first_bad_seq": report.first_bad_seq,
                "problem": None if report.problem is None else report.problem.value,
                "message": report.message,
                "events_checked": report.events_checked,
                "first_bad_event": report.first_bad_event,
                "mismatches": [
                    {
                        "problem": m.problem.value,
                        "entry_seq": m.entry_seq,
                        "event_seq": m.event_seq,
                        "message": m.message,
                    }
                    for m in report.mismatches
                ],
            },
        )
    elif report.ok:
        out.write(
            f"audit log verified: {report.message.removeprefix('the audit log verified: ')}\n"
        )
    else:
        err.write(f"audit log FAILED verification{what}: {report.message}\n")
        if len(report.mismatches) > 1:
            for mismatch in report.mismatches[:20]:
                err.write(f"  {mismatch.problem.value}: {mismatch.message}\n")
