"""Secret-free, JSON-able evidence: the one walker every recorded fact goes through."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Final

from hf_api_governance._confidential.detect import SECRETISH_KEY_RE, looks_like_secret
from hf_api_governance._confidential.secret import Secret
from hf_api_governance.exceptions import ValidationError

__all__ = ["REDACTED", "freeze_json", "scrub", "thaw"]

_Scalar = str | int | float | bool


def freeze_mapping(field: str, value: object, *, allow_secretish_keys: bool) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a mapping, got {type(value).__name__}")
    frozen: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "keys must be non-empty text")
        where = f"{field}.{key}"
        if not allow_secretish_keys and SECRETISH_KEY_RE.search(key):
            raise ValidationError(
                where, "must not hold secrets; keep them in the keystore and name the entry"
            )
        frozen[key] = freeze_value(where, item)
    return MappingProxyType(frozen)


def freeze_value(field: str, item: object) -> Any:
    if isinstance(item, Secret):
        raise ValidationError(field, "must not hold a Secret; record its fingerprint instead")
    if item is None or isinstance(item, bool | int):
        return item
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValidationError(field, "must be a finite number")
        return item
    if isinstance(item, str):
        if looks_like_secret(item):
            raise ValidationError(field, "looks like a secret value; it must not be recorded here")
        return item
    if isinstance(item, list | tuple):
        return tuple(freeze_value(f"{field}[{i}]", x) for i, x in enumerate(item))
    if isinstance(item, Mapping):
        return freeze_mapping(field, item, allow_secretish_keys=True)
    raise ValidationError(
        field, f"must be text, a number, a boolean or a list; got {type(item).__name__}"
    )


def thaw(value: Any) -> Any:
    """Turn a frozen evidence/enablement value back into plain JSON-able Python."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


REDACTED: Final = "[redacted]"
_SAFE_SECRETISH_SUFFIXES: Final = ("_url", "_name", "_entry", "_fingerprint")
_SCRUB_KEY_RE: Final = re.compile(
    rf"{SECRETISH_KEY_RE.pattern}|authori[sz]ation|cookie|signature|session", re.IGNORECASE
)


def scrub(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return evidence that :class:`Event` accepts: secrets replaced, values made JSON-able.

    Recording a fact must never fail because of what the fact contains (a
    revocation detected from a response is recorded even if a header held a
    token), and must never store a secret. So, recursively: a
    :class:`~hf_api_governance.Secret`, bytes, text that :func:`looks_like_secret`,
    and text under a secret-sounding key (``token``, ``password``... but not
    ``token_url``) become ``"[redacted]"``; enums become their value, dates
    ISO 8601 text, non-finite floats text, other objects their type name.
    """
    if value is None:
        return {}
    return {str(k) or "?": _scrub_item(str(k), v) for k, v in value.items()}


def _scrub_item(key: str, item: object) -> Any:
    if isinstance(item, Secret | bytes | bytearray | memoryview):
        return REDACTED
    if item is None or isinstance(item, bool | int):
        return item
    if isinstance(item, float):
        return item if math.isfinite(item) else str(item)
    if isinstance(item, enum.Enum):
        return _scrub_item(key, item.value)
    if isinstance(item, datetime | date):
        return item.isoformat()
    if isinstance(item, str):
        secretish_key = _SCRUB_KEY_RE.search(key) and not key.lower().endswith(
            _SAFE_SECRETISH_SUFFIXES
        )
        return REDACTED if secretish_key or looks_like_secret(item) else item
    if isinstance(item, Mapping):
        return {str(k) or "?": _scrub_item(str(k), v) for k, v in item.items()}
    if isinstance(item, list | tuple | set | frozenset):
        return [_scrub_item(key, v) for v in item]
    return f"<{type(item).__name__}>"


def freeze_json(value: Any) -> Any:
    """Freeze decoded JSON the way the model stores it (read-only mappings, tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze_json(v) for v in value)
    return value
