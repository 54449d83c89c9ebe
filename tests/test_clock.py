"""The injectable clock and the rejection of naive datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import Clock, FrozenClock, SystemClock, ValidationError
from hf_api_governance._base.clock import ensure_aware


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert isinstance(SystemClock(), Clock)


def test_frozen_clock_only_moves_when_told() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    assert clock.advance(days=30) == datetime(2026, 1, 31, tzinfo=UTC)
    assert clock.advance(timedelta(hours=1)) == datetime(2026, 1, 31, 1, tzinfo=UTC)
    clock.set(datetime(2025, 6, 1, tzinfo=UTC))
    assert clock.now() == datetime(2025, 6, 1, tzinfo=UTC)


def test_frozen_clock_advance_needs_exactly_one_form() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="delta"):
        clock.advance()
    with pytest.raises(ValidationError, match="delta"):
        clock.advance(timedelta(1), days=1)


def test_naive_datetimes_are_rejected_with_the_field_name() -> None:
    with pytest.raises(ValidationError, match=r"^at: naive datetime") as info:
        FrozenClock(datetime(2026, 1, 1))  # noqa: DTZ001
    assert info.value.field == "at"
    with pytest.raises(ValidationError, match="valid_from: naive"):
        ensure_aware(datetime(2026, 1, 1), "valid_from")  # noqa: DTZ001
    with pytest.raises(ValidationError, match="expected a timezone-aware datetime, got str"):
        ensure_aware("2026-01-01", "valid_from")


FIXED_OFFSETS = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)


# Fixed offsets only: zoneinfo zones produce imaginary local times inside DST gaps,
# where "same instant" has no single answer.
@given(st.datetimes(timezones=FIXED_OFFSETS))
def test_ensure_aware_keeps_the_instant_and_returns_utc(value: datetime) -> None:
    converted = ensure_aware(value, "x")
    assert converted == value
    assert converted.utcoffset() == timedelta(0)


def test_offsets_are_normalised_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert ensure_aware(datetime(2026, 1, 1, 1, tzinfo=paris), "x") == datetime(
        2026, 1, 1, tzinfo=UTC
    )
