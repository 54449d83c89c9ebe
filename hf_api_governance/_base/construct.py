"""Build a validated value object without validating it again (the store's read path)."""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["trusted"]

_T = TypeVar("_T")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in attrs.fields(cls))
    return names


def trusted(cls: type[_T], /, **values: Any) -> _T:
    """Build a value object *without* validation, from values validated earlier.

    For the registry store's read path only: rows were written from validated
    objects, and validating 10,000 integrations again on every read would
    dominate the time to list them. ``values`` must already be in canonical
    form (enums, aware UTC datetimes, tuples, :func:`freeze_json` mappings)
    and name every field.

    Raises:
        KeyError: A field is missing.
    """
    obj = object.__new__(cls)
    setattr_ = _SETATTR
    for name in _FIELD_NAMES.get(cls) or _field_names(cls):
        setattr_(obj, name, values[name])
    return obj


_SETATTR = object.__setattr__
