"""Time: an injectable clock and the one check that rejects naive datetimes.

Every time-dependent part of the library takes a :class:`Clock` (or an
explicit instant), so tests can freeze time and provisioning scripts can ask
"what would break on that date?".
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal, Protocol, runtime_checkable

from hf_api_governance.exceptions import ValidationError

__all__ = [
    "END_OF_TIME",
    "Clock",
    "FrozenClock",
    "SystemClock",
    "day_end",
    "day_start",
    "ensure_aware",
]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock: :func:`datetime.now` in UTC."""

    __slots__ = ()

    def now(self) -> datetime:
        """Return the current instant in UTC."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


class FrozenClock:
    """A clock that only moves when told to; for tests and "what if" questions.

    Args:
        at: The instant the clock shows. Must be timezone-aware.

    Raises:
        ValidationError: ``at`` is naive or not a datetime.
    """

    __slots__ = ("_at", "_lock")

    def __init__(self, at: datetime) -> None:
        self._at = ensure_aware(at, "at")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the frozen instant."""
        return self._at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at`` (forwards or backwards).

        Raises:
            ValidationError: ``at`` is naive or not a datetime.
        """
        at = ensure_aware(at, "at")
        with self._lock:
            self._at = at

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move the clock forwards and return the new instant.

        Args:
            delta: How far to move.
            **kwargs: :class:`~datetime.timedelta` keyword arguments, instead
                of ``delta`` (``advance(days=30)``).

        Returns:
            The new instant.

        Raises:
            ValidationError: Both or neither of ``delta`` and keywords were given.
        """
        if (delta is None) == (not kwargs):
            raise ValidationError("delta", "give either a timedelta or timedelta keywords")
        step = delta if delta is not None else timedelta(**kwargs)
        with self._lock:
            self._at = self._at + step
            return self._at

    def __repr__(self) -> str:
        return f"FrozenClock({self._at.isoformat()!r})"


def ensure_aware(value: object, field: str) -> datetime:
    """Check that ``value`` is a timezone-aware datetime and return it in UTC.

    Args:
        value: The value to check.
        field: The field name to put in the error message.

    Returns:
        ``value`` converted to UTC.

    Raises:
        ValidationError: ``value`` is not a datetime, it is naive, or in UTC
            it falls outside the years 1 to 9999.
    """
    if not isinstance(value, datetime):
        kind = type(value).__name__
        raise ValidationError(field, f"expected a timezone-aware datetime, got {kind}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            field,
            "naive datetime (no timezone); give an aware datetime, e.g. "
            "datetime(2026, 1, 1, tzinfo=timezone.utc) or '2026-01-01T00:00:00Z'",
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            field, "is out of range: in UTC it falls outside the years 1 to 9999"
        ) from None


END_OF_TIME: Final = datetime.max.replace(tzinfo=UTC)


def day_start(day: date) -> datetime:
    """The first instant (UTC) of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The first instant (UTC) after ``day``: the exclusive end of a last valid day.

    For the last representable day (``9999-12-31``, what users write for "no
    end") there is no next day: the end is the last representable instant.
    """
    if day == date.max:
        return END_OF_TIME
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def utc_text(at: datetime, timespec: Literal["auto", "seconds", "microseconds"] = "auto") -> str:
    """The one way the library writes an instant: RFC 3339 in UTC, ending in ``Z``.

    ``"auto"`` writes microseconds only when there are some; ``"seconds"``
    drops them (what people read); ``"microseconds"`` always writes six
    digits (fixed-width text that sorts, for the audit log).
    """
    utc = at.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="seconds" if timespec == "seconds" else timespec) + "Z"


MONTH_NAMES: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
"""English month abbreviations, whatever the process locale (HTTP dates, report labels)."""
_DAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def english_date(at: datetime, zone: str = "GMT") -> str:
    """An instant in UTC as an IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), English names.

    ``zone`` is the label written at the end: ``GMT`` for HTTP (RFC 9110),
    ``UTC`` for Mimecast's ``x-mc-date``.
    """
    at = at.astimezone(UTC)
    return (
        f"{_DAY_NAMES[at.weekday()]}, {at.day:02d} {MONTH_NAMES[at.month - 1]} {at.year:04d} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} {zone}"
    )
