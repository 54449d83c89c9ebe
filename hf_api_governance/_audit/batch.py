"""Records held in memory until the audit log writes them in one batch.

:meth:`AuditLog.defer <hf_api_governance.AuditLog.defer>` puts a record
here (its time taken when it is deferred); the log takes them all out and
writes them, in the order they came, in one transaction: at the next durable
append (before that append's own entry), on :meth:`AuditLog.flush
<hf_api_governance.AuditLog.flush>` (session and log close), when
``size`` records are waiting, ``interval`` seconds after the first of them
(a timer thread), and at interpreter exit (:func:`atexit`). What a crash can
lose is what waits here, until its transaction commits: fewer than ``size``
records (one more per other thread deferring at that instant), none of them
deferred more than ``interval`` seconds (and a commit's time) before the
crash while writes succeed (docs/audit.md, "Batched call records").

This module keeps records and timers only; building and writing the entries
is the log's.
"""

from __future__ import annotations

import atexit
import sys
import threading
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, NamedTuple, Protocol

from hf_api_governance.exceptions import ValidationError


class Flushable(Protocol):
    """What is flushed at interpreter exit: an :class:`~hf_api_governance.AuditLog`."""

    def flush(self) -> int:
        """Write what waits; return how many records were written."""
        ...


__all__ = ["DEFAULT_BATCH_INTERVAL", "DEFAULT_BATCH_SIZE", "Deferred", "Pending"]

DEFAULT_BATCH_INTERVAL: Final = 1.0
"""Seconds a deferred record waits at most before a flush starts (while flushes succeed)."""

DEFAULT_BATCH_SIZE: Final = 500
"""Deferred records waiting that make the thread deferring the last of them write them."""


class Deferred(NamedTuple):
    """One deferred record: :meth:`AuditLog.append`'s arguments and the time it was deferred."""

    at: datetime
    actor: str
    action: str
    integration_id: str | None
    evidence: Mapping[str, Any] | None


def check_batching(interval: object, size: object) -> tuple[float, int]:
    """Validate batching bounds.

    Raises:
        ValidationError: ``interval`` is not a positive number of seconds, or
            ``size`` not an integer >= 1.
    """
    if (
        not isinstance(interval, int | float)
        or isinstance(interval, bool)
        or not 0 < interval < 86_400
    ):
        raise ValidationError("interval", "must be a number of seconds above 0 (below a day)")
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValidationError("size", "must be an integer >= 1")
    return float(interval), size


class Pending:
    """The deferred records of one log, with the timer that flushes them.

    ``add`` never waits for the database: it takes a lock of its own (never
    the log's), appends, and arms the timer when the first record arrives.
    A record stays here until the transaction that writes it has committed
    (:meth:`peek`, then :meth:`drop`): what waits is exactly what a crash
    can lose. Writers are serialised by the log's lock.
    """

    __slots__ = ("_lock", "_records", "_timer", "interval", "size")

    def __init__(self, interval: float, size: int) -> None:
        self._lock = threading.Lock()
        self._records: list[Deferred] = []
        self._timer: threading.Timer | None = None
        self.interval = interval
        self.size = size

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: Deferred, due: Callable[[], object]) -> bool:
        """Keep ``record``; return whether ``size`` records now wait (flush them now).

        ``due`` is called from a timer thread ``interval`` seconds after the
        first record of a batch arrives.
        """
        with self._lock:
            self._records.append(record)
            waiting = len(self._records)
            if self._timer is None:
                self._arm(due)
        return waiting >= self.size

    def peek(self) -> list[Deferred]:
        """The waiting records, oldest first; they stay until :meth:`drop` (once written)."""
        with self._lock:
            return list(self._records)

    def drop(self, count: int, due: Callable[[], object]) -> None:
        """Forget the ``count`` oldest records (written); re-arm the timer for any newer."""
        with self._lock:
            del self._records[:count]
            timer, self._timer = self._timer, None
            if self._records:
                self._arm(due)
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()

    def rearm(self, due: Callable[[], object]) -> None:
        """After a failed write: make sure a timer will try the waiting records again."""
        with self._lock:
            if self._records and (self._timer is None or self._timer is threading.current_thread()):
                self._arm(due)

    def _arm(self, due: Callable[[], object]) -> None:
        timer = threading.Timer(self.interval, due)
        timer.daemon = True
        timer.name = "hf-gov-audit-flush"
        self._timer = timer
        timer.start()

    def cancel(self) -> None:
        """Disarm the timer (the records stay)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()


# -- interpreter exit ---------------------------------------------------------------

_LOGS: Final[weakref.WeakSet[Flushable]] = weakref.WeakSet()
_LOGS_LOCK: Final = threading.Lock()


def watch(log: Flushable) -> None:
    """Flush ``log`` at interpreter exit if records still wait then (a weak reference)."""
    with _LOGS_LOCK:
        _LOGS.add(log)


def forget(log: Flushable) -> None:
    """Stop watching ``log`` (closed)."""
    with _LOGS_LOCK:
        _LOGS.discard(log)


def _flush_all() -> None:
    with _LOGS_LOCK:
        logs = list(_LOGS)
    for log in logs:
        try:
            log.flush()
        except Exception as exc:
            # AuditError messages are free of secrets and credentials.
            print(
                f"hf-gov: deferred audit records could not be written at exit: {exc}",
                file=sys.stderr,
            )


atexit.register(_flush_all)
