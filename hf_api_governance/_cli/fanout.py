"""``hf-gov check FILE.toml --jobs N``: a large inventory checked in parts, one process each.

Parsing TOML and validating every declaration costs far more than writing
the report, and it is the same work for each integration: the text is cut at
``[[integration]]`` header lines into ``N`` pieces
(:func:`~hf_api_governance._registry.inventory.split_inventory_text`), this
process checks the first piece while forked workers check the others, and
each piece comes back as report rows (:data:`~hf_api_governance._cli.output.CheckRow`,
plain tuples sent with :mod:`marshal`, which cannot run code). The rows are
merged in id order and written as one report, the same bytes one process
writes (tested).

Only the answer "every piece is valid and no id repeats" is taken from the
parts. Anything else (a piece that does not parse or validate, an id
declared in two pieces, a worker that fails or dies, a cut that fell inside
a multi-line string) makes :func:`check_in_parts` return ``None``, and the
caller checks the whole file in one process: the error it reports is then
the one a single process gives, with the same line. Nothing is written by a
worker; it only sends its rows.

Workers are forked, so they share this process's loaded modules and the
instant of the check. Only on Linux, and only while no other thread runs
(:func:`forking_is_safe`): elsewhere the whole file is checked in this process.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime

from hf_api_governance._base.clock import FrozenClock
from hf_api_governance._cli.output import CheckRow, check_rows
from hf_api_governance._policy import Action
from hf_api_governance._policy.report import evaluate_inventory
from hf_api_governance._registry.inventory import load_inventory_text, split_inventory_text
from hf_api_governance._report.model import redact_report
from hf_api_governance.exceptions import GovernanceError

__all__ = ["AUTO_MIN_BYTES", "MAX_JOBS", "check_in_parts", "default_jobs", "forking_is_safe"]

AUTO_MIN_BYTES = 1 << 20
"""Without ``--jobs``, files smaller than this (1 MiB, some 1,500 integrations) use one process."""

MAX_JOBS = 8
"""The most processes ``--jobs`` starts, whatever it is given."""


def default_jobs() -> int:
    """The processes ``check`` uses without ``--jobs``: the CPUs this process may use, at most 4."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, 4))


def forking_is_safe() -> bool:
    """Whether workers can be forked here: on Linux, while no other thread runs.

    Elsewhere ``os.fork`` is missing (Windows) or discouraged without an
    ``exec`` (macOS: system frameworks loaded before the fork may not work
    in the child), and a forked copy of a threaded process may hold another
    thread's lock forever.
    """
    return sys.platform.startswith("linux") and threading.active_count() == 1


def check_in_parts(
    where: str,
    text: str,
    *,
    jobs: int,
    at: datetime | None,
    now: datetime,
    action: Action,
    actor: str,
    as_json: bool,
) -> list[CheckRow] | None:
    """Check an inventory's text in up to ``jobs`` processes; the rows in id order, or ``None``.

    Args:
        where: The file's path (named in errors, which are never returned).
        text: Its content.
        jobs: The processes to use, this one included (at most :data:`MAX_JOBS`).
        at: The instant evaluated (default ``now``).
        now: The instant of the check: the built histories' instant, read
            once by the caller so that every part uses the same.
        action: The action asked about.
        actor: Who the built histories name.
        as_json: Rows for the JSON document (else for the table).

    Returns:
        ``None`` whenever the parts cannot give the answer one process would
        (see the module's documentation): the caller then checks ``text`` whole.
    """
    pieces = split_inventory_text(text, min(jobs, MAX_JOBS))
    if len(pieces) < 2 or not forking_is_safe():
        return None

    def rows_of(piece: str) -> list[CheckRow]:
        declared, _ = load_inventory_text(where, piece)
        report = evaluate_inventory(
            declared,
            at,
            action,
            hooks=(),
            settings=None,
            clock=FrozenClock(now),
            actor=actor,
            progress=None,
        )
        return check_rows(redact_report(report, integrations=False), as_json=as_json)

    workers: list[tuple[int, int]] = []  # (pid, read end of its pipe)
    try:
        for piece in pieces[1:]:
            try:
                workers.append(_fork(rows_of, piece))
            except OSError:  # no process or pipe to be had (EAGAIN, EMFILE): one process
                return None
        try:
            parts = [rows_of(pieces[0])]
        except GovernanceError:
            return None
        for pid, fd in workers:
            answer = _collect(pid, fd)
            if answer is None:
                return None
            parts.append(answer)
    finally:
        for pid, fd in workers:
            _reap(pid, fd)
    merged = [row for part in parts for row in part]
    if len({row[0] for row in merged}) != len(merged):
        return None  # an id declared twice: one process names both lines
    merged.sort(key=lambda row: row[0])
    return merged


def _fork(rows_of: Callable[[str], list[CheckRow]], piece: str) -> tuple[int, int]:
    """Start a worker that checks ``piece`` and writes its rows to a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            data = marshal.dumps(rows_of(piece))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(data)
            status = 0
        except BaseException:  # noqa: S110 - any failure: the parent checks alone
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid: int, fd: int) -> list[CheckRow] | None:
    """A worker's rows, or ``None`` if it failed, died or sent something unreadable."""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    try:
        # Our own forked worker wrote it, on a pipe only the two of us hold.
        rows = marshal.loads(b"".join(chunks))  # noqa: S302
    except (EOFError, ValueError, TypeError):
        return None
    return rows if isinstance(rows, list) else None


def _reap(pid: int, fd: int) -> None:
    """Close a worker's pipe and make sure it is gone (killed if still running)."""
    with contextlib.suppress(OSError):  # already closed
        os.close(fd)
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass  # already reaped by _collect
