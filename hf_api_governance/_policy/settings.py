"""Thresholds of the built-in policies (warning windows, information age)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import attrs

from hf_api_governance.exceptions import ValidationError

__all__ = ["PolicySettings"]

# ----------------------------------------------------------------------- settings


def _non_negative(field: str) -> Callable[[object, object, object], None]:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, timedelta) or value < timedelta(0):
            raise ValidationError(field, "must be a non-negative timedelta")

    return check


@attrs.frozen
class PolicySettings:
    """Thresholds of the built-in policies.

    Args:
        licence_warning: A covering licence that ends within this window
            yields LICENCE_EXPIRING (the boundary itself is inside).
        info_max_age: Enablement information verified longer ago than this
            (strictly) yields INFO_STALE.

    Raises:
        ValidationError: A threshold is not a non-negative timedelta.
    """

    licence_warning: timedelta = attrs.field(
        default=timedelta(days=30), validator=_non_negative("licence_warning")
    )
    info_max_age: timedelta = attrs.field(
        default=timedelta(days=180), validator=_non_negative("info_max_age")
    )
