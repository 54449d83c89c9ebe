"""Argument checks shared by every layer: text fields, paths, timeouts.

Only what is really the same logic in its callers lives here; each helper is
stdlib-only, so that any module (the light ones the command line's ``--help``
imports included) may use it.
"""

from __future__ import annotations

import functools
import math
import os

from hf_api_governance.exceptions import ValidationError

__all__ = [
    "check_optional_text",
    "check_path",
    "check_text",
    "check_timeout",
]

# -- text fields ----------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _text_problem(value: str, max_len: int) -> str | None:
    if not value.strip():
        return "must not be empty"
    if len(value) > max_len:
        return f"must be at most {max_len} characters"
    if not value.isprintable():  # also refuses lone surrogates (not encodable as UTF-8)
        return "must not contain control characters"
    return None


def check_text(field: str, value: object, *, max_len: int = 200) -> str:
    """Return ``value`` if it is non-blank printable text of at most ``max_len`` characters.

    Results are cached per value: identifiers, actors and reasons repeat, and
    the audit log and the registry check them on every write and read.

    Raises:
        ValidationError: Naming ``field``; the message never quotes the value.
    """
    if type(value) is not str:
        if not isinstance(value, str):
            raise ValidationError(field, f"must be text, got {type(value).__name__}")
        value = str(value)  # a str subclass: check (and cache) the plain value
    problem = _text_problem(value, max_len)
    if problem is not None:
        raise ValidationError(field, problem)
    return value


def check_optional_text(field: str, value: object, *, max_len: int = 200) -> str | None:
    """:func:`check_text`, with ``None`` allowed."""
    return None if value is None else check_text(field, value, max_len=max_len)


# -- paths and timeouts ------------------------------------------------------------


def check_path(field: str, value: object) -> str:
    """Return ``value`` (a ``str`` or :class:`os.PathLike` naming a file) as text.

    Raises:
        ValidationError: ``value`` is not a path, is bytes, is empty or holds
            a NUL character.
    """
    text: object = value
    if isinstance(value, os.PathLike):
        try:
            text = os.fspath(value)
        except TypeError:
            text = None
    if not isinstance(text, str):
        raise ValidationError(
            field, f"must be a file path (str or os.PathLike), got {type(value).__name__}"
        )
    if not text:
        raise ValidationError(field, "must not be empty")
    if "\x00" in text:
        raise ValidationError(field, "must not contain a NUL character")
    return text


def check_timeout(field: str, value: object) -> float:
    """Return ``value`` if it is a finite, non-negative number of seconds.

    Raises:
        ValidationError: Not a number (``bool`` included), NaN, infinite or negative.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, f"must be a number of seconds, got {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or seconds < 0:
        raise ValidationError(field, "must be a finite, non-negative number of seconds")
    return seconds
