"""Secret-free, JSON-able evidence: the one walker every recorded fact goes through.

Events, findings, audit entries and the signals read from responses all carry
small JSON documents about what happened (``evidence``, ``details``,
``enablement``). Each must be JSON-able and must never hold a secret. One
walker, :func:`walk`, makes any value so, under :class:`Rules` that say what
the caller does with what it meets: refuse it (a caller that builds a value
object wants a :class:`~hf_api_governance.exceptions.ValidationError` naming
the field), replace it with :data:`REDACTED` (a recorder, which must never
fail because of what a fact contains), or, for a
:class:`~hf_api_governance.Secret`, write its fingerprint (the audit log).

The presets below are the rules in use:

* :data:`MODEL` (event evidence and enablement information): secrets and
  secret-looking text refused, frozen (read-only mappings, tuples).
* :data:`DETAILS` (finding details): secrets refused, frozen.
* :data:`AUDIT` (audit entry evidence): secrets become their fingerprint,
  URLs lose their credentials, at most 4 levels deep.
* :data:`SCRUB` (what a recorder gets from a signal): nothing refused,
  secrets and secret-looking text or keys redacted.

Conversions are the same everywhere: an enum becomes its value, a datetime
RFC 3339 UTC text ending in ``Z`` (:func:`~hf_api_governance._base.clock.utc_text`),
a date ISO 8601 text, a timedelta its seconds, a set a sorted list.
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs

from hf_api_governance._base.clock import ensure_aware, utc_text
from hf_api_governance._confidential.detect import SECRETISH_KEY_RE, looks_like_secret
from hf_api_governance._confidential.redact import REDACTED, redact_text, redact_url
from hf_api_governance._confidential.secret import Secret
from hf_api_governance.exceptions import ValidationError

__all__ = [
    "AUDIT",
    "DETAILS",
    "MODEL",
    "REDACTED",
    "SCRUB",
    "Rules",
    "bounded",
    "freeze_json",
    "freeze_mapping",
    "safe_message",
    "safe_prose",
    "safe_text",
    "scrub",
    "thaw",
    "walk",
]

_Handling = Literal["refuse", "redact", "keep"]


@attrs.frozen
class Rules:
    """What :func:`walk` does with what it meets.

    Args:
        credentials: A :class:`Secret` or raw bytes: ``"refuse"``, ``"redact"``
            or ``"fingerprint"`` (a Secret's fingerprint; bytes are refused).
        keylike_text: Text that looks like a key (:func:`looks_like_secret`).
        credential_keys: Any value under a secret-sounding key (``token``,
            ``password``, ``authorization``... but not ``token_url``).
        lenient: Never raise: a non-finite float becomes text, an
            unsupported object its type name, a bad key text, too deep
            :data:`REDACTED`.
        urls: Remove credentials from text that is a URL.
        freeze: Return read-only mappings and tuples instead of dicts and lists.
        max_depth: How many levels of containers are walked.
        timespec: How instants are written (:func:`utc_text`).
    """

    credentials: Literal["refuse", "redact", "fingerprint"]
    keylike_text: _Handling
    credential_keys: _Handling
    lenient: bool = False
    urls: bool = False
    freeze: bool = False
    max_depth: int = 16
    timespec: Literal["auto", "seconds", "microseconds"] = "auto"


MODEL: Final = Rules(
    credentials="refuse", keylike_text="refuse", credential_keys="keep", freeze=True
)
"""Event evidence and enablement information (value objects: frozen, strict)."""
DETAILS: Final = Rules(
    credentials="refuse", keylike_text="keep", credential_keys="keep", freeze=True
)
"""Finding details (value objects: frozen, strict; hooks choose what they report)."""
AUDIT: Final = Rules(
    credentials="fingerprint",
    keylike_text="keep",
    credential_keys="keep",
    urls=True,
    max_depth=4,
    timespec="microseconds",
)
"""Audit entry evidence (secrets as fingerprints, URLs without credentials, 4 levels)."""
SCRUB: Final = Rules(
    credentials="redact", keylike_text="redact", credential_keys="redact", lenient=True
)
"""What a recorder receives (never fails; anything secret-shaped redacted)."""

_SAFE_SECRETISH_SUFFIXES: Final = ("_url", "_name", "_entry", "_fingerprint")
_SECRETISH_KEY: Final = re.compile(
    rf"{SECRETISH_KEY_RE.pattern}|authori[sz]ation|cookie|signature|session", re.IGNORECASE
)
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_CLEAN_URLS: Final[set[str]] = set()
"""URLs that redaction left unchanged (nothing to redact in them), seen lately.

A governed session records the same few endpoint URLs again and again;
redacting one costs microseconds. Only a URL equal to its redaction is kept
(never one that held credentials), at most :data:`_CLEAN_URLS_MAX` of them.
"""
_CLEAN_URLS_MAX: Final = 1024


def _secretish_key(key: str) -> bool:
    return bool(_SECRETISH_KEY.search(key)) and not key.lower().endswith(_SAFE_SECRETISH_SUFFIXES)


def walk(value: object, field: str, rules: Rules) -> Any:
    """Return ``value`` made JSON-able and secret-free under ``rules``.

    Raises:
        ValidationError: Under strict rules, ``value`` (or something inside
            it, named by its path from ``field``) cannot be recorded.
    """
    return _walk(value, field, rules, 0)


def _refuse(field: str, problem: str, rules: Rules, fallback: Any) -> Any:
    if rules.lenient:
        return fallback
    raise ValidationError(field, problem)


def _walk(value: object, field: str, rules: Rules, depth: int) -> Any:
    if type(value) is dict and depth < rules.max_depth:  # the usual evidence: straight there
        return _mapping(value, field, rules, depth)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value, field, rules)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return _refuse(
            field, "must be a finite number (JSON has no NaN or infinity)", rules, str(value)
        )
    if isinstance(value, Secret | bytes | bytearray | memoryview):
        if rules.credentials == "fingerprint" and isinstance(value, Secret):
            return value.fingerprint
        if rules.credentials == "redact":
            return REDACTED
        problem = "must not hold a Secret or bytes; record its fingerprint"
        return _refuse(field, problem, rules, REDACTED)
    if isinstance(value, enum.Enum):
        return _walk(value.value, field, rules, depth)
    if isinstance(value, datetime):
        if value.tzinfo is None and rules.lenient:
            return value.isoformat()
        return utc_text(ensure_aware(value, field), rules.timespec)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if not isinstance(value, Mapping | list | tuple | set | frozenset):
        return _refuse(
            field,
            "must be JSON-able: text, number, boolean, None, datetime, date, timedelta, "
            f"enum, list or mapping; got {type(value).__name__}",
            rules,
            f"<{type(value).__name__}>",
        )
    if depth >= rules.max_depth:
        return _refuse(field, f"nested deeper than {rules.max_depth} levels", rules, REDACTED)
    if isinstance(value, Mapping):
        return _mapping(value, field, rules, depth)
    items = [_walk(v, f"{field}[{i}]", rules, depth + 1) for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        items.sort(key=repr)
    return tuple(items) if rules.freeze else items


def _text(value: str, field: str, rules: Rules) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        if not rules.lenient:
            raise ValidationError(field, "must be encodable as UTF-8") from None
        value = value.encode("utf-8", "replace").decode("utf-8")
    if rules.keylike_text != "keep" and looks_like_secret(value):
        return str(
            _refuse(
                field, "looks like a secret value; it must not be recorded here", rules, REDACTED
            )
        )
    if rules.urls and _URL.match(value):
        if value in _CLEAN_URLS:
            return value
        redacted = redact_url(value)
        if redacted == value:
            if len(_CLEAN_URLS) >= _CLEAN_URLS_MAX:
                _CLEAN_URLS.clear()
            _CLEAN_URLS.add(value)
        return redacted
    return value


def _mapping(value: Mapping[Any, Any], field: str, rules: Rules, depth: int) -> Any:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or not key.isprintable() or len(key) > 200:
            if not rules.lenient:
                raise ValidationError(field, "keys must be printable text of 1 to 200 characters")
            key = redact_text(str(key)).strip() or "?"
        kind = type(item)
        if rules.credential_keys == "keep" and (
            item is None
            or kind is int
            or kind is bool
            or (kind is float and math.isfinite(item))
            or (
                # ASCII text (encodable), kept as it is, not a URL or one left
                # unchanged by redaction before: what _text returns for it.
                kind is str
                and rules.keylike_text == "keep"
                and item.isascii()
                and (not rules.urls or item in _CLEAN_URLS or not _URL.match(item))
            )
        ):
            out[key] = item  # what _walk returns for them, without building the path
            continue
        where = f"{field}.{key}"
        if rules.credential_keys != "keep" and _secretish_key(key):
            if rules.credential_keys == "refuse":
                raise ValidationError(
                    where, "must not hold secrets; keep them in the keystore and name the entry"
                )
            if isinstance(item, str | bytes | Secret):
                out[key] = REDACTED
                continue
        out[key] = _walk(item, where, rules, depth + 1)
    return MappingProxyType(out) if rules.freeze else out


def freeze_mapping(field: str, value: object, *, allow_secretish_keys: bool) -> Mapping[str, Any]:
    """Validate and freeze a model mapping (event evidence, enablement information).

    Args:
        field: The field's name, used in errors.
        value: A mapping with text keys, or ``None`` (empty).
        allow_secretish_keys: Whether keys such as ``client_secret`` may
            appear (evidence may name them; enablement information may not).

    Raises:
        ValidationError: Not a mapping, or something in it cannot be recorded.
    """
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a mapping, got {type(value).__name__}")
    rules = MODEL if allow_secretish_keys else _ENABLEMENT
    result: Mapping[str, Any] = walk(value, field, rules)
    return result


_ENABLEMENT: Final = attrs.evolve(MODEL, credential_keys="refuse")


def scrub(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return evidence that an event accepts: secrets replaced, values made JSON-able.

    Recording a fact must never fail because of what the fact contains (a
    revocation detected from a response is recorded even if a header held a
    token), and must never store a secret. So, recursively: a
    :class:`~hf_api_governance.Secret`, bytes, text that looks like a key,
    and anything under a secret-sounding key (``token``, ``password``... but
    not ``token_url``) become :data:`REDACTED`; enums become their value,
    instants RFC 3339 text, non-finite floats text, other objects their type
    name.
    """
    if value is None:
        return {}
    result: dict[str, Any] = walk(value, "evidence", SCRUB)
    return result


def thaw(value: Any) -> Any:
    """Turn a frozen evidence, details or enablement value back into plain JSON-able Python."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def freeze_json(value: Any) -> Any:
    """Freeze decoded JSON the way the model stores it (read-only mappings, tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze_json(v) for v in value)
    return value


# -- text taken from outside (responses, exception messages) -------------------------


def safe_text(value: str, limit: int = 200) -> str:
    """Return ``value`` cut to ``limit`` characters, or :data:`REDACTED` if it could be a key."""
    if len(value) > limit:
        value = value[:limit]
    return REDACTED if looks_like_secret(value) else value


_MESSAGE_LIMIT: Final = 200
_PUNCT: Final = "'\"()[]{}<>,;:."
# "password: hunter2", "secret is hunter2": prose that log redaction leaves alone
# (it must not eat ordinary log text) but a recorded message must not quote.
_CREDENTIAL_PROSE: Final = re.compile(
    r"(?P<name>\b(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|key|credential)s?"
    r"\b\s*(?:[:=]|\bis\b)\s*)(?P<value>[^\s,;]+)",
    re.IGNORECASE,
)


def safe_message(exc: BaseException) -> str:
    """Render an exception's message with anything that looks like a secret redacted, bounded."""
    try:
        text = str(exc)
    except Exception:
        return "<unprintable message>"
    # Credential shapes first ("token=hunter2", "password: x", "Bearer ..."),
    # then any word that looks like a key on its own.
    text = _CREDENTIAL_PROSE.sub(lambda m: m.group("name") + REDACTED, redact_text(text))
    return _secret_words(text, _MESSAGE_LIMIT)


def safe_prose(text: str, limit: int | None = None) -> str:
    """Return text written for people (a message, a name, a reference) with secrets redacted.

    Credential shapes (``token=hunter2``, ``Authorization: ...``, ``Bearer ...``,
    see :func:`redact_text`), then any word that looks like a key on its own,
    become :data:`REDACTED`. Unlike :func:`safe_message`, prose such as "no
    credential is named" is kept: the text was written by a policy, not
    taken from an exception. Runs of whitespace become one space; with
    ``limit``, the result is cut to that many characters (ending ``...``).
    """
    return _secret_words(redact_text(text), limit)


def _secret_words(text: str, limit: int | None) -> str:
    words = [REDACTED if looks_like_secret(w.strip(_PUNCT)) else w for w in text.split()]
    out = " ".join(words)
    if limit is not None and len(out) > limit:
        out = out[: limit - 3] + "..."
    return out


# -- size ----------------------------------------------------------------------------

EVIDENCE_LIMIT: Final = 8192
"""Bytes (JSON, UTF-8) that evidence built from a response may take: half the audit log's limit."""


def bounded(
    evidence: dict[str, Any], limit: int = EVIDENCE_LIMIT, *, bulky: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Return ``evidence`` if it takes at most ``limit`` bytes as JSON, else a cut-down copy.

    The ``bulky`` parts (those that come from outside, such as a response's
    headers) are replaced by :data:`REDACTED` first; if that is not enough,
    only the scalar facts of at most 100 characters are kept. Either way
    ``evidence_truncated`` is set. Recording a fact must never fail because
    its evidence is too large.
    """
    if _json_size(evidence) <= limit:
        return evidence
    smaller = {k: REDACTED if k in bulky else v for k, v in evidence.items()}
    if _json_size(smaller) <= limit:
        return {**smaller, "evidence_truncated": True}
    return {
        **{
            k: v
            for k, v in evidence.items()
            if v is None
            or isinstance(v, bool | int | float)
            or (isinstance(v, str) and len(v) <= 100)
        },
        "evidence_truncated": True,
    }


def _json_size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "replace"))
