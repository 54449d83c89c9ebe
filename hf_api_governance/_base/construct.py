"""Build a validated value object without validating it again (the store's read path)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

__all__ = ["copier", "trusted"]

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


def copier(cls: type[_T], replaced: Sequence[str]) -> Callable[..., _T]:
    """A function ``copy(source, *values)``: a ``cls`` with ``source``'s fields but ``replaced``.

    ``values`` are the new values of ``replaced``, in that order. Like
    :func:`trusted`, nothing is validated: ``source`` was validated when it
    was built, and the new values must already be canonical. The function is
    generated once per call of ``copier`` (one line per field, as attrs
    generates its own methods): copying 100,000 integrations field by field
    through a loop costs twice as much.

    Raises:
        ValueError: A name in ``replaced`` is not a field of ``cls``.
    """
    names = _FIELD_NAMES.get(cls) or _field_names(cls)
    unknown = set(replaced) - set(names)
    if unknown:
        raise ValueError(f"not fields of {cls.__name__}: {sorted(unknown)}")
    arguments = [f"new_{n}" for n in range(len(replaced))]
    lines = [f"def copy(source, {', '.join(arguments)}):", "    obj = new(cls)"]
    for name in names:  # attrs field names: identifiers, nothing else
        value = arguments[replaced.index(name)] if name in replaced else f"source.{name}"
        lines.append(f"    setattr_(obj, {name!r}, {value})")
    lines.append("    return obj")
    namespace: dict[str, Any] = {"new": object.__new__, "setattr_": _SETATTR, "cls": cls}
    exec("\n".join(lines), namespace)  # noqa: S102 - code made of the class's field names only
    function: Callable[..., _T] = namespace["copy"]
    return function
