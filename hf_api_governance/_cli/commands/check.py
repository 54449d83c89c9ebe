"""``hf-gov check``: every decision of an inventory file or a registry database, in a format."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hf_api_governance._base.clock import FrozenClock, SystemClock
from hf_api_governance._base.files import (
    atomic_write,
)
from hf_api_governance._cli.fanout import (
    AUTO_MIN_BYTES,
    MAX_JOBS,
    check_in_parts,
    default_jobs,
)
from hf_api_governance._cli.output import CheckRow, check_rows, show_progress, write_check
from hf_api_governance._cli.parser import UsageError, parse_at
from hf_api_governance._policy import Action, PolicyEngine, load_hooks
from hf_api_governance._policy.report import evaluate_inventory
from hf_api_governance._registry.inventory import load_inventory_text, read_inventory_text
from hf_api_governance._report.model import Source, redact_report
from hf_api_governance._report.render import render
from hf_api_governance._storage.store import describe_location, is_database_url
from hf_api_governance.exceptions import PolicyError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from hf_api_governance._policy import PolicyHook
    from hf_api_governance._policy.report import Report
from hf_api_governance._cli.commands.opening import (
    KeystoreUse,
    input_file,
    open_governance,
    output_file,
    registry_path,
)

CREDENTIALS_NOT_CHECKED = (
    "credential entries not looked up: no keystore opened (--credentials does)"
)
"""The note ending the table of ``check`` on a registry database without ``--credentials``."""

INVENTORY_CHECK_ACTOR = "hf-gov check"
"""The actor in the history ``check`` builds for an inventory file's integrations."""


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """``hf-gov check``: report every decision of an inventory file or a registry database.

    The report is written in ``--format`` (``--json`` is short for ``--format
    json``), on ``out`` or, with ``--output``, atomically to that file (``out``
    then gets a one-line summary).

    Without a target, the registry database every other command opens is
    checked (``--db``, ``$HF_GOV_DB``, ``.hf-gov/registry.db``). A registry
    database is only read: no keystore is opened, so no passphrase
    is asked and no key derived, unless ``--credentials`` asks to look every
    named credential entry up in the keystore (a missing one is a
    ``CREDENTIAL_MISSING`` finding). Without it, the table ends with a note
    saying the entries were not looked up.

    Returns:
        0 when nothing is denied, 1 otherwise.

    Raises:
        UsageError: A bad ``--at``, a missing target, unusable ``--hooks``,
            ``--json`` with another ``--format``, an ``--output`` that
            cannot be written, or ``--credentials`` on an inventory file.
    """
    with _no_cycle_collection():
        return _check(args, out, err)


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    fmt = _check_format(args)
    jobs = _jobs(args.jobs)
    if args.target is None:  # the registry every other command would open
        args.target = str(registry_path(args))
    action = Action(args.action)
    at = parse_at(args.at) if args.at else None
    server = is_database_url(args.target)
    target = Path(args.target) if server else input_file(args.target, "the target")
    output = _check_output(args.output, None if server else target)
    hooks = _load_hooks(args.hooks)

    def progress(done: int, total: int) -> None:
        show_progress(err, "evaluating", done, total)

    note = None
    rows: list[CheckRow] | None = None
    report: Report | None = None
    if not server and target.suffix.lower() == ".toml":
        if args.credentials:
            raise UsageError(
                "--credentials looks entries up in the keystore of a registry database; "
                "an inventory file is checked without one"
            )
        where, content = read_inventory_text(target)
        now = SystemClock().now()
        # Only the table and JSON can be written from rows; the other formats
        # point at lines and read the whole report. Hooks run in this process.
        if fmt in ("table", "json") and not hooks:
            if jobs is None:
                jobs = default_jobs() if len(content) >= AUTO_MIN_BYTES else 1
            if jobs > 1:
                rows = check_in_parts(
                    where,
                    content,
                    jobs=jobs,
                    at=at,
                    now=now,
                    action=action,
                    actor=INVENTORY_CHECK_ACTOR,
                    as_json=fmt == "json",
                )
                if rows is not None:
                    progress(len(rows), len(rows))
        if rows is None:  # one process: the whole file (and its error, if any)
            declared, lines = load_inventory_text(
                where, content, with_lines=fmt not in ("table", "json")
            )
            source = Source.inventory(args.target, lines)
            report = evaluate_inventory(
                declared,
                at,
                action,
                hooks=hooks,
                settings=None,
                clock=FrozenClock(now),
                actor=INVENTORY_CHECK_ACTOR,
                progress=progress,
            )
    else:
        args.db = args.target if server else str(target)
        # A URL is named without its credentials (a report may be published).
        source = Source.registry(describe_location(args.target))
        keystore: KeystoreUse = "required" if args.credentials else "none"
        with open_governance(args, keystore=keystore, hooks=hooks) as gov:
            report = gov.report(at, action, progress=progress)
        if not args.credentials:
            note = CREDENTIALS_NOT_CHECKED
    if fmt in ("table", "json"):
        if rows is None:
            assert report is not None  # noqa: S101 - one of the two is built above
            rows = check_rows(redact_report(report, integrations=False), as_json=fmt == "json")
            when_checked = report.at
        else:
            when_checked = at or now
        buffer = io.StringIO() if output else out
        write_check(
            rows,
            buffer,
            at=when_checked,
            action=action.value,
            as_json=fmt == "json",
            only_problems=args.only_problems,
            note=note,
        )
        text = buffer.getvalue() if isinstance(buffer, io.StringIO) else ""
        total, denied = len(rows), sum(1 for row in rows if not row[1])
    else:
        assert report is not None  # noqa: S101 - the other formats never use rows
        text = render(fmt, report, source, only_problems=args.only_problems, hooks=hooks)
        if not output:
            out.write(text)
        total, denied = len(report.decisions), len(report.denied)
    if output:
        _write_output(output, text)
        out.write(f"{fmt} report written to {output}: {total} integrations, {denied} denied\n")
    return 0 if denied == 0 else 1


def _jobs(value: str | None) -> int | None:
    """``--jobs`` as a number of processes (``None``: chosen by the file's size)."""
    if value is None:
        return None
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise UsageError(f"--jobs: {value!r} is not a whole number of 1 or more")
    return min(jobs, MAX_JOBS)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while ``check`` builds and writes its report.

    Everything built then (the declarations, their decisions) stays alive
    until the report is written, so a collection would free nothing; but with
    100,000 integrations each full collection walks them all again, and
    those passes cost about a fifth of the run. Reference counting still
    frees everything else at once; the collector's state is restored after.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_format(args: argparse.Namespace) -> str:
    """``--format``, with ``--json`` as its short form; both, disagreeing, is a usage error."""
    fmt: str | None = args.format
    if args.json:
        if fmt not in (None, "json"):
            raise UsageError(f"--json is short for --format json; it cannot go with --format {fmt}")
        return "json"
    return fmt or "table"


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_output(value: str | None, target: Path | None) -> Path | None:
    """``--output`` as a path; a report is never written over what governance keeps.

    Refused: a directory, a missing folder, anything but a regular file (a
    FIFO, a device, a symbolic link), the checked file itself, and an
    existing registry database, keystore or inventory file (``.toml``).
    """
    if value is None:
        return None
    output = Path(value)
    if output.is_dir():
        raise UsageError(f"--output: {value} is a directory; name a file")
    if not output.parent.is_dir():
        raise UsageError(f"--output: {output.parent} is not a directory")
    output = output_file(value)  # a regular file or nothing: never a FIFO to block on
    if output.exists():
        if target is not None and output.resolve() == target.resolve():
            raise UsageError(f"--output: {value} is the checked file itself; name another file")
        from hf_api_governance._confidential.keystore import MAGIC

        try:
            with output.open("rb") as existing:
                head = existing.read(16)
        except OSError:
            head = b""
        kept = head.startswith((_SQLITE_HEADER, MAGIC)) or output.suffix.lower() == ".toml"
        if kept:
            raise UsageError(
                f"--output: {value} is a database, keystore or inventory file; "
                "a report is never written over one"
            )
    return output


def _write_output(output: Path, text: str) -> None:
    """Write a report to ``output`` all or nothing (readable by others: reports hold no secret).

    Raises:
        UsageError: The file cannot be written.
    """
    try:
        atomic_write(output, [text.encode("utf-8")], mode=0o644)
    except OSError as exc:
        raise UsageError(f"--output: cannot write {output}: {exc.strerror or exc}") from None


def _load_hooks(modules: Sequence[str]) -> tuple[PolicyHook, ...]:
    """Import ``--hooks`` modules; any failure is a one-line usage error (exit 2)."""
    if not modules:
        return ()
    try:
        hooks = load_hooks(*modules)
        PolicyEngine(hooks=hooks)  # duplicate codes across modules are refused here
    except PolicyError as exc:
        hint = " (is its directory on PYTHONPATH?)" if "ModuleNotFoundError" in str(exc) else ""
        raise UsageError(f"--hooks: {exc}{hint}") from None
    return hooks
