"""The domain model: services, licences, integrations, lifecycle states and events.

Every class here is an immutable value object (a frozen ``attrs`` class)
validated on construction; bad values raise
:class:`~hf_api_governance.exceptions.ValidationError` naming the field.
Nothing here does I/O: the registry stores these values, the policy engine
reads them.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import math
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from hf_api_governance._base.checks import check_optional_text, check_text
from hf_api_governance._base.clock import ensure_aware
from hf_api_governance._confidential.secret import Secret
from hf_api_governance.exceptions import IllegalTransition, ValidationError

__all__ = [
    "ApiKind",
    "AuthSpec",
    "Event",
    "EventKind",
    "Integration",
    "IntegrationState",
    "Licence",
    "LicenceStatus",
    "Revoker",
    "Service",
    "SuspensionCause",
    "next_state",
    "replay",
]

# --------------------------------------------------------------------------- enums


class Service(enum.Enum):
    """A Mimecast Human Factors service."""

    ENGAGE = "engage"
    AWARE = "aware"
    INCYDR = "incydr"


class ApiKind(enum.Enum):
    """Whose API an integration talks to."""

    MIMECAST_API = "mimecast_api"
    """A Mimecast API: its keys and data are Mimecast confidential (clause 1.1.1)."""

    THIRD_PARTY_API = "third_party_api"
    """A third party's API: the customer alone must hold valid licences (clause 1.1.2)."""


class LicenceStatus(enum.Enum):
    """Where an instant falls in a licence's validity window."""

    VALID = "valid"
    EXPIRING = "expiring"
    """Valid, but the end falls inside the warning window."""
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    MISSING = "missing"
    """Integration level only: no licence is recorded at all."""


class IntegrationState(enum.Enum):
    """Lifecycle state of an integration (see :func:`next_state`)."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    RETIRED = "retired"


class Revoker(enum.Enum):
    """Who revoked an integration's API access."""

    MIMECAST = "mimecast"
    """Mimecast, which may revoke at any time without notice (clause 1.1.1)."""
    CUSTOMER = "customer"
    THIRD_PARTY = "third_party"


class SuspensionCause(enum.Enum):
    """Why interoperability with an API was suspended (clause 1.1.2)."""

    API_CHANGED = "api_changed"
    """The third party changed its API so that it no longer works."""
    UNREASONABLE_REQUIREMENTS = "unreasonable_requirements"
    """The third party imposes unreasonable interoperability requirements."""
    SUNSET = "sunset"
    """The API announced its end (``410 Gone``, a ``Sunset`` date in the past)."""
    MANUAL = "manual"
    """Suspended by an operator."""


class EventKind(enum.Enum):
    """What happened to an integration. Every change is one event."""

    REGISTERED = "registered"
    UPDATED = "updated"
    LICENCE_ADDED = "licence_added"
    LICENCE_REMOVED = "licence_removed"
    INFO_VERIFIED = "info_verified"
    ACTIVATED = "activated"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    RETIRED = "retired"
    CREDENTIAL_REPLACED = "credential_replaced"
    DEPRECATION_NOTICED = "deprecation_noticed"
    """The API announced deprecation or a future sunset; no state change."""
    SIGNAL_RECORDED = "signal_recorded"
    """A response worth recording (a 403, a contract check failure); no state change."""


# ------------------------------------------------------------------ state machine

_S = IntegrationState
_K = EventKind
_LIVE: Final = frozenset({_S.PENDING, _S.ACTIVE, _S.SUSPENDED, _S.REVOKED})

# kind -> {from state: to state}. ``None`` stands for "not registered yet".
_TRANSITIONS: Final[Mapping[EventKind, Mapping[IntegrationState | None, IntegrationState]]] = {
    _K.REGISTERED: {None: _S.PENDING},
    _K.ACTIVATED: {_S.PENDING: _S.ACTIVE},
    _K.SUSPENDED: {_S.ACTIVE: _S.SUSPENDED},
    _K.REINSTATED: {_S.SUSPENDED: _S.ACTIVE},
    _K.REVOKED: dict.fromkeys((_S.PENDING, _S.ACTIVE, _S.SUSPENDED), _S.REVOKED),
    _K.CREDENTIAL_REPLACED: {
        _S.PENDING: _S.PENDING,
        _S.ACTIVE: _S.ACTIVE,
        _S.SUSPENDED: _S.SUSPENDED,
        _S.REVOKED: _S.ACTIVE,
    },
    _K.RETIRED: dict.fromkeys(_LIVE, _S.RETIRED),
    **{
        kind: {s: s for s in _LIVE}
        for kind in (
            _K.UPDATED,
            _K.LICENCE_ADDED,
            _K.LICENCE_REMOVED,
            _K.INFO_VERIFIED,
            _K.DEPRECATION_NOTICED,
            _K.SIGNAL_RECORDED,
        )
    },
}

_OPERATION: Final = {
    _K.REGISTERED: "register",
    _K.UPDATED: "update",
    _K.LICENCE_ADDED: "add a licence",
    _K.LICENCE_REMOVED: "remove a licence",
    _K.INFO_VERIFIED: "verify information",
    _K.ACTIVATED: "activate",
    _K.REVOKED: "revoke",
    _K.SUSPENDED: "suspend",
    _K.REINSTATED: "reinstate",
    _K.RETIRED: "retire",
    _K.CREDENTIAL_REPLACED: "replace the credential",
    _K.DEPRECATION_NOTICED: "record a deprecation notice",
    _K.SIGNAL_RECORDED: "record a signal",
}


CLAUSES: Final[Mapping[EventKind, str | None]] = {
    EventKind.REGISTERED: "1.1",
    EventKind.UPDATED: "1.1",
    EventKind.INFO_VERIFIED: "1.1",
    EventKind.LICENCE_ADDED: "1.1.2",
    EventKind.LICENCE_REMOVED: "1.1.2",
    EventKind.ACTIVATED: None,
    EventKind.REVOKED: "1.1.1",
    EventKind.CREDENTIAL_REPLACED: "1.1.1",
    EventKind.SUSPENDED: "1.1.2",
    EventKind.REINSTATED: "1.1.2",
    EventKind.RETIRED: None,
    EventKind.DEPRECATION_NOTICED: "1.1.2",
    EventKind.SIGNAL_RECORDED: None,
}
"""The contract clause each kind of event concerns by default (what the registry records)."""


def next_state(
    current: IntegrationState | None, kind: EventKind, integration_id: str = "?"
) -> IntegrationState:
    """Return the state an event of ``kind`` leads to from ``current``.

    The lifecycle (DESIGN.md section 2)::

        (new) --registered--> PENDING --activated--> ACTIVE <--suspended/reinstated--> SUSPENDED
        PENDING | ACTIVE | SUSPENDED --revoked--> REVOKED --credential_replaced--> ACTIVE
        any state but RETIRED --retired--> RETIRED (final: nothing changes it)

    Events that record data (updated, licence added or removed, information
    verified, deprecation noticed, signal recorded) and a credential
    replacement outside REVOKED keep the state, and are refused on a RETIRED
    integration.

    Args:
        current: The present state, or ``None`` for an integration that is not
            registered yet.
        kind: The event.
        integration_id: For the error message.

    Returns:
        The new state.

    Raises:
        IllegalTransition: The state machine forbids the event in ``current``.
    """
    target = _TRANSITIONS[kind].get(current)
    if target is None:
        raise IllegalTransition(
            integration_id,
            current.value if current is not None else "not registered",
            _OPERATION[kind],
        )
    return target


def shortest_path(
    current: IntegrationState | None, target: IntegrationState
) -> list[EventKind] | None:
    """The shortest list of events leading from ``current`` to ``target``.

    A breadth-first search over :func:`next_state`, events tried in
    :class:`EventKind` order. Returns ``[]`` when ``current`` is ``target``
    and ``None`` when ``target`` cannot be reached (from RETIRED, nothing can).
    """
    frontier: list[tuple[IntegrationState | None, list[EventKind]]] = [(current, [])]
    seen: set[IntegrationState | None] = {current}
    while frontier:
        state, path = frontier.pop(0)
        if state is target:
            return path
        for kind in EventKind:
            nxt = _TRANSITIONS[kind].get(state)
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                frontier.append((nxt, [*path, kind]))
    return None


def replay(events: Iterable[Event]) -> IntegrationState | None:
    """Replay a history from the start and return the state it leads to.

    Returns ``None`` for an empty history.

    Raises:
        IllegalTransition: The history contains an impossible step.
    """
    state: IntegrationState | None = None
    for event in events:
        state = next_state(state, event.kind, event.integration_id)
    return state


# -------------------------------------------------------------------- validators

_ID_RE: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
ENTRY_NAME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_EMAIL_RE: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TEAM_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/-]{0,99}$")
_SECRETISH_KEY_RE: Final = re.compile(
    r"secret|passw(or)?d|passwd|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE
)
_SECRET_PREFIXES: Final = ("eyJ", "sk_", "sk-", "ghp_", "gho_", "xox", "AKIA", "ASIA", "-----BEGIN")


def looks_like_secret(text: str) -> bool:
    """Guess whether ``text`` is a secret value rather than a name.

    A heuristic to catch a key pasted where a keystore entry *name* belongs:
    known key prefixes (JWT, Slack, GitHub, AWS, Stripe...), base64-looking
    runs, or a long run of high-entropy text. Text with spaces and URLs are
    judged word by word (path segment by path segment), so a sentence, a URL
    or an ISO 8601 instant is not taken for a key, but ``Bearer <key>`` or a
    key in a query string is.
    """
    if any(c.isspace() for c in text):
        return any(looks_like_secret(word) for word in text.split())
    if "://" in text:
        return any(_looks_like_secret_word(part) for part in _URL_SPLIT.split(text) if part)
    return _looks_like_secret_word(text)


_URL_SPLIT: Final = re.compile(r"[/?&#;,<>'\"=]+")
_BASE64ISH: Final = re.compile(r"[A-Za-z0-9+/=_-]{20,}")


def _looks_like_secret_word(text: str) -> bool:
    if text.startswith(_SECRET_PREFIXES):
        return True
    if any(c in text for c in "+/=") and _BASE64ISH.fullmatch(text):
        return True
    if len(text) < 20:
        return False
    counts = Counter(text)
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    has_digit = any(c.isdigit() for c in text)
    has_upper = any(c.isupper() for c in text)
    has_lower = any(c.islower() for c in text)
    separators = sum(text.count(c) for c in "-_.")
    # Names are words joined by separators; keys are long runs of mixed characters.
    longest_run = max((len(part) for part in re.split(r"[-_.]", text)), default=0)
    return (
        entropy >= 3.5
        and has_digit
        and ((has_upper and has_lower) or longest_run >= 24)
        and (separators <= 2 or longest_run >= 20)
    )


def _text(field: str, *, max_len: int = 200, optional: bool = False) -> Any:
    """Build an attrs validator for a (possibly optional) text field."""

    def check(_inst: object, _attr: object, value: Any) -> None:
        if optional:
            check_optional_text(field, value, max_len=max_len)
        else:
            check_text(field, value, max_len=max_len)

    return check


def check_entry_name(field: str, value: object) -> str:
    """Validate a keystore entry name used as a credential reference.

    Raises:
        ValidationError: Not a valid entry name, or it looks like a secret value.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a keystore entry name, got {type(value).__name__}")
    if looks_like_secret(value):
        # Never quote the value: it may be a real key pasted by mistake.
        raise ValidationError(
            field,
            "looks like a secret value, not a keystore entry name; store the value with "
            "'hf-gov keys set NAME' and put the NAME here",
        )
    if not ENTRY_NAME_RE.match(value):
        raise ValidationError(
            field,
            "must be a keystore entry name: letters, digits, '.', '_' or '-', "
            "starting with a letter or digit, at most 128 characters",
        )
    return value


@functools.lru_cache(maxsize=512)
def is_loopback_host(host: str) -> bool:
    """Tell whether ``host`` names this machine (``localhost``, 127.0.0.0/8, ``::1``).

    Cached: the policy engine and the governed client ask on every call.
    """
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(field: str, value: object) -> str:
    """Validate an API URL: absolute, https unless the host is loopback, no credentials in it.

    Raises:
        ValidationError: The URL is not acceptable.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(field, "must be an absolute URL")
    if "\\" in value or not value.isprintable():
        # HTTP clients disagree on what a backslash means ("http://a\\@b/" is host
        # b for urllib.parse, host a for urllib3): refuse the ambiguity outright.
        raise ValidationError(field, "must not contain a backslash or control characters")
    try:
        parts = urllib.parse.urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ValidationError(field, "is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(
            field, "must be an absolute http(s) URL such as https://api.example.com/v1"
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            field, "must not contain credentials (user:password@); use the keystore"
        )
    if parts.scheme == "http" and not is_loopback_host(host):
        raise ValidationError(
            field, "must use https: plain http is only accepted for loopback hosts (clause 1.1.3)"
        )
    if any(c.isspace() for c in value):
        raise ValidationError(field, "must not contain whitespace")
    if "#" in value:
        raise ValidationError(field, "must not have a fragment (#...)")
    _check_url_parameters(field, parts.path, parts.query)
    return value


# Words that, alone or inside a parameter name, say the value is a credential.
# Compared with the name's words (split at separators and camelCase humps), so
# ``api_key``, ``apiKey`` and ``X-Amz-Signature`` match but ``keyword``,
# ``author`` and ``country_code`` do not.
_CREDENTIAL_PARAM_WORDS: Final = frozenset(
    {
        "key",
        "sig",
        "signature",
        "auth",
        "authorization",
        "authorisation",
        "session",
        "sessionid",
        "jsessionid",
        "sid",
        "pwd",
        "pass",
        "passphrase",
        "assertion",
        "cookie",
        "apikey",
        "accesskey",
        "secretkey",
    }
)
# Whole names that are credentials only when they stand alone: Azure Functions'
# ``?code=<function key>``, an OAuth authorization ``code``.
_CREDENTIAL_PARAM_NAMES: Final = frozenset({"code"})
_NAME_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _is_credential_param(name: str) -> bool:
    lowered = name.lower()
    if lowered in _CREDENTIAL_PARAM_NAMES or _SECRETISH_KEY_RE.search(name):
        return True
    return any(word.lower() in _CREDENTIAL_PARAM_WORDS for word in _NAME_WORDS.findall(name))


_QUOTABLE_PARAM: Final = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")


def _check_url_parameters(field: str, path: str, query: str) -> None:
    """Refuse a credential carried by the URL's query or path parameters (``;name=value``).

    The message names the parameter when its name is a plain short word, and
    never quotes a value.
    """
    items = [("path", item) for segment in path.split("/") for item in segment.split(";")[1:]]
    items += [("query", item) for item in re.split(r"[&;]", query)]
    advice = "; keep credentials in the keystore and name them in the auth scheme"
    for where, item in items:
        if not item:
            continue
        raw_name, equals, raw_value = item.partition("=")
        name = urllib.parse.unquote_plus(raw_name)
        if looks_like_secret(name):
            raise ValidationError(
                field,
                f"must not carry a credential: a {where} parameter looks like a secret value"
                + advice,
            )
        what = (
            f"{where} parameter {name!r}" if _QUOTABLE_PARAM.match(name) else f"a {where} parameter"
        )
        if _is_credential_param(name):
            raise ValidationError(
                field, f"must not carry a credential: {what} names a credential" + advice
            )
        if equals and looks_like_secret(urllib.parse.unquote_plus(raw_value)):
            raise ValidationError(
                field,
                f"must not carry a credential: {what} looks like it holds a secret value" + advice,
            )


_Scalar = str | int | float | bool


def _freeze_mapping(field: str, value: object, *, allow_secretish_keys: bool) -> Mapping[str, Any]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError(field, f"must be a mapping, got {type(value).__name__}")
    frozen: dict[str, Any] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValidationError(field, "keys must be non-empty text")
        where = f"{field}.{key}"
        if not allow_secretish_keys and _SECRETISH_KEY_RE.search(key):
            raise ValidationError(
                where, "must not hold secrets; keep them in the keystore and name the entry"
            )
        frozen[key] = _freeze_value(where, item)
    return MappingProxyType(frozen)


def _freeze_value(field: str, item: object) -> Any:
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
        return tuple(_freeze_value(f"{field}[{i}]", x) for i, x in enumerate(item))
    if isinstance(item, Mapping):
        return _freeze_mapping(field, item, allow_secretish_keys=True)
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
    rf"{_SECRETISH_KEY_RE.pattern}|authori[sz]ation|cookie|signature|session", re.IGNORECASE
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
    for name in _field_names(cls):
        object.__setattr__(obj, name, values[name])
    return obj


def freeze_json(value: Any) -> Any:
    """Freeze decoded JSON the way the model stores it (read-only mappings, tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze_json(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze_json(v) for v in value)
    return value


def _enablement(value: object) -> Mapping[str, Any]:
    return _freeze_mapping("enablement", value, allow_secretish_keys=False)


def _evidence(value: object) -> Mapping[str, Any]:
    return _freeze_mapping("evidence", value, allow_secretish_keys=True)


# ------------------------------------------------------------------------ licence


_END_OF_TIME: Final = datetime.max.replace(tzinfo=UTC)


def day_start(day: date) -> datetime:
    """The first instant (UTC) of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The first instant (UTC) after ``day``: the exclusive end of a last valid day.

    For the last representable day (``9999-12-31``, what users write for "no
    end") there is no next day: the end is the last representable instant.
    """
    if day == date.max:
        return _END_OF_TIME
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def _instant(field: str, value: object, *, end: bool) -> datetime:
    if isinstance(value, datetime):
        return ensure_aware(value, field)
    if isinstance(value, date):
        return day_end(value) if end else day_start(value)
    raise ValidationError(field, f"must be a date or an aware datetime, got {type(value).__name__}")


def _date_or_aware(field: str, *, optional: bool = False) -> Any:
    def check(_inst: object, _attr: object, value: Any) -> None:
        if value is None and optional:
            return
        _instant(field, value, end=False)

    return check


def _normalise_when(field: str, value: object) -> object:
    """Store an aware datetime in UTC (other values untouched: the validator judges them)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return ensure_aware(value, field)
    return value


def _valid_from(value: object) -> object:
    return _normalise_when("licence.valid_from", value)


def _valid_until(value: object) -> object:
    return _normalise_when("licence.valid_until", value)


@attrs.frozen
class Licence:
    """A licence to use an API (or, granted by Mimecast, the service subscription).

    A licence is valid at instant ``t`` when ``starts_at <= t < ends_at``. A
    :class:`~datetime.date` without a time means the start of that day (UTC)
    for ``valid_from`` and the *end* of that day for ``valid_until``: the
    licence is valid through that whole day. ``valid_until=None`` means no end;
    ``date(9999, 12, 31)`` (what people write for "no end") is accepted too and
    ends at the last representable instant (``datetime.max`` in UTC).

    Args:
        grantor: Who grants it (the vendor; ``"Mimecast"`` for the Human
            Factors service subscription, clause 1.2).
        scope: What it covers ("Workforce Identity API").
        valid_from: First day (a date) or instant (an aware datetime).
        valid_until: Last day (a date, inclusive) or end instant (an aware
            datetime, exclusive), or ``None``.
        holder: Who holds it (the customer entity), if recorded.
        reference: Where the evidence is (contract number, URL, document id).

    Raises:
        ValidationError: A field is invalid, a datetime is naive, or the
            window ends before it starts.
    """

    grantor: str = attrs.field(validator=_text("licence.grantor"))
    scope: str = attrs.field(validator=_text("licence.scope"))
    valid_from: date | datetime = attrs.field(
        converter=_valid_from,
        validator=_date_or_aware("licence.valid_from"),
    )
    valid_until: date | datetime | None = attrs.field(
        default=None,
        converter=_valid_until,
        validator=_date_or_aware("licence.valid_until", optional=True),
    )
    holder: str | None = attrs.field(default=None, validator=_text("licence.holder", optional=True))
    reference: str | None = attrs.field(
        default=None,
        validator=_text("licence.reference", max_len=500, optional=True),
    )

    def __attrs_post_init__(self) -> None:
        if (
            self.valid_until is not None
            and self.ends_at is not None
            and self.ends_at <= self.starts_at
        ):
            raise ValidationError("licence.valid_until", "must be after valid_from")

    @property
    def starts_at(self) -> datetime:
        """The first instant of validity (UTC)."""
        return _instant("licence.valid_from", self.valid_from, end=False)

    @property
    def ends_at(self) -> datetime | None:
        """The first instant *after* validity (UTC), or ``None`` for no end."""
        if self.valid_until is None:
            return None
        return _instant("licence.valid_until", self.valid_until, end=True)

    @property
    def is_service_subscription(self) -> bool:
        """Whether Mimecast grants it: the Human Factors subscription (clause 1.2)."""
        return self.grantor.strip().casefold() == "mimecast"

    def covers(self, at: datetime) -> bool:
        """Whether the licence is valid at ``at``.

        Raises:
            ValidationError: ``at`` is naive.
        """
        at = ensure_aware(at, "at")
        end = self.ends_at
        return self.starts_at <= at and (end is None or at < end)

    def status(self, at: datetime, warn_within: timedelta = timedelta(days=30)) -> LicenceStatus:
        """Classify ``at`` against the validity window.

        Args:
            at: The instant to check (aware).
            warn_within: A valid licence whose end is at most this far away
                is EXPIRING.

        Returns:
            NOT_YET_VALID, EXPIRED, EXPIRING or VALID.

        Raises:
            ValidationError: ``at`` is naive.
        """
        at = ensure_aware(at, "at")
        if at < self.starts_at:
            return LicenceStatus.NOT_YET_VALID
        end = self.ends_at
        if end is None:
            return LicenceStatus.VALID
        if at >= end:
            return LicenceStatus.EXPIRED
        if end - at <= warn_within:
            return LicenceStatus.EXPIRING
        return LicenceStatus.VALID


# --------------------------------------------------------------------------- auth

# scheme -> (entry-name parameters, other required parameters, optional parameters)
AUTH_SCHEMES: Final[Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]] = {
    "oauth2_client_credentials": (
        ("client_id", "client_secret"),
        ("token_url",),
        ("client_auth", "scope"),
    ),
    "mimecast_hmac_v1": (("access_key", "secret_key", "app_id", "app_key"), (), ()),
    "bearer": (("token",), (), ()),
    "api_key_header": (("key",), ("header",), ()),
    "basic": (("username", "password"), (), ()),
}


def _params(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError(
            "auth",
            "parameters must be a mapping of parameter names to values, "
            f"got {type(value).__name__}",
        )
    if not all(isinstance(key, str) for key in value):
        raise ValidationError("auth", "parameter names must be text")
    return MappingProxyType(dict(value))


@attrs.frozen
class AuthSpec:
    """How a governed client authenticates: a scheme and the keystore entries it uses.

    Values are keystore entry *names*, never secret values. Schemes and their
    parameters:

    - ``oauth2_client_credentials``: ``token_url``, ``client_id``,
      ``client_secret``; optional ``client_auth`` (``"body"``, the default, or
      ``"basic"``) and ``scope``.
    - ``mimecast_hmac_v1``: ``access_key``, ``secret_key``, ``app_id``, ``app_key``.
    - ``bearer``: ``token``.
    - ``api_key_header``: ``header`` (the header name) and ``key``.
    - ``basic``: ``username``, ``password``.

    Raises:
        ValidationError: Unknown scheme, missing or unknown parameter, or a
            value that is not an entry name (or looks like a secret).
    """

    scheme: str
    params: Mapping[str, str] = attrs.field(converter=_params, hash=False)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.scheme, str) or self.scheme not in AUTH_SCHEMES:
            known = ", ".join(sorted(AUTH_SCHEMES))
            raise ValidationError("auth.scheme", f"unknown scheme; expected one of: {known}")
        entries, required, optional = AUTH_SCHEMES[self.scheme]
        for key in self.params:
            if key not in (*entries, *required, *optional):
                raise ValidationError(f"auth.{key}", f"is not a parameter of scheme {self.scheme}")
        for key in (*entries, *required):
            if key not in self.params:
                raise ValidationError(f"auth.{key}", f"is required by scheme {self.scheme}")
        for key in entries:
            check_entry_name(f"auth.{key}", self.params[key])
        if "token_url" in self.params:
            check_url("auth.token_url", self.params["token_url"])
        if self.params.get("client_auth", "body") not in ("body", "basic"):
            raise ValidationError("auth.client_auth", "must be 'body' or 'basic'")
        if "header" in self.params:
            header = self.params["header"]
            if not isinstance(header, str) or not re.fullmatch(
                r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", header
            ):
                raise ValidationError("auth.header", "must be an HTTP header name")
        for key in (*required, *optional):
            if key in self.params and not isinstance(self.params[key], str):
                raise ValidationError(f"auth.{key}", "must be text")

    @property
    def credential_entries(self) -> tuple[str, ...]:
        """The keystore entry names this scheme uses, in parameter order."""
        return tuple(self.params[k] for k in AUTH_SCHEMES[self.scheme][0])


# -------------------------------------------------------------------- integration


def _check_id(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValidationError(
            "id",
            "must be a slug: lowercase letters, digits and '-', at most 64 characters, "
            "not starting or ending with '-'",
        )


def _base_url(_inst: object, _attr: object, value: Any) -> None:
    check_url("base_url", value)


def _check_owner(_inst: object, _attr: object, value: Any) -> None:
    value = check_text("owner", value)
    if not (_EMAIL_RE.match(value) or _TEAM_RE.match(value)):
        raise ValidationError("owner", "must be an e-mail address or a team name")


_E = TypeVar("_E", bound=enum.Enum)


def as_enum(cls: type[_E], field: str, value: object) -> _E:
    """Return ``value`` as a member of ``cls``: a member, or its value in any case.

    Raises:
        ValidationError: Naming ``field`` and listing the accepted values.
    """
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value.lower())
        except ValueError:
            pass
    known = ", ".join(str(m.value) for m in cls)
    raise ValidationError(field, f"must be one of: {known}")


def _enum(cls: type[enum.Enum], field: str) -> Any:
    def convert(value: object) -> Any:
        return as_enum(cls, field, value)

    return convert


def _service(value: object) -> Service:
    result: Service = _enum(Service, "service")(value)
    return result


def _api_kind(value: object) -> ApiKind:
    result: ApiKind = _enum(ApiKind, "kind")(value)
    return result


def _state(value: object) -> IntegrationState:
    result: IntegrationState = _enum(IntegrationState, "state")(value)
    return result


def _event_kind(value: object) -> EventKind:
    result: EventKind = _enum(EventKind, "kind")(value)
    return result


def _verified_at(value: object) -> datetime | None:
    return None if value is None else ensure_aware(value, "info_verified_at")


def _event_at(value: object) -> datetime:
    return ensure_aware(value, "at")


def _history(value: object) -> tuple[Event, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError("history", f"must be a list of Event, got {type(value).__name__}")
    events = tuple(value)
    for i, item in enumerate(events):
        if not isinstance(item, Event):
            raise ValidationError(f"history[{i}]", f"must be an Event, got {type(item).__name__}")
    return events


def _licences(value: object) -> tuple[Licence, ...]:
    if not isinstance(value, list | tuple):
        raise ValidationError("licences", "must be a list of Licence")
    for i, item in enumerate(value):
        if not isinstance(item, Licence):
            raise ValidationError(f"licences[{i}]", f"must be a Licence, got {type(item).__name__}")
    return tuple(value)


def _credential(value: object) -> str | None:
    return None if value is None else check_entry_name("credential", value)


def _auth(value: object) -> AuthSpec | None:
    if value is None or isinstance(value, AuthSpec):
        return value
    if isinstance(value, Mapping):
        params = dict(value)
        scheme = params.pop("scheme", None)
        if not isinstance(scheme, str):
            raise ValidationError("auth.scheme", "is required")
        return AuthSpec(scheme, params)
    raise ValidationError("auth", f"must be an AuthSpec or a mapping, got {type(value).__name__}")


@attrs.frozen
class Integration:
    """An API integration of a Human Factors service: the unit that is governed.

    Args:
        id: A slug that names the integration ("okta-directory").
        name: A human name.
        service: The Human Factors service it serves.
        kind: A Mimecast API or a third-party API.
        vendor: Who provides the API.
        base_url: The API's base URL (https unless the host is loopback).
        owner: Who answers for it (an e-mail address or a team name).
        api_version: The API version in use, if known.
        credential: The keystore entry *name* holding its credential, never a value.
        licences: The licences under which the API is used (clause 1.1.2).
        enablement: The information given to Mimecast to enable the API
            (clause 1.1), as free-form non-secret key/values.
        info_verified_at: When someone last confirmed that ``enablement`` is
            still correct and current.
        auth: How governed clients authenticate (:class:`AuthSpec`).
        state: The lifecycle state; kept by the registry.
        history: The events recorded for it, oldest first; filled by the registry.

    Raises:
        ValidationError: A field is invalid; the message names the field and
            never quotes a secret.
    """

    id: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=_text("name"))
    service: Service = attrs.field(converter=_service)
    kind: ApiKind = attrs.field(converter=_api_kind)
    vendor: str = attrs.field(validator=_text("vendor"))
    base_url: str = attrs.field(validator=_base_url)
    owner: str = attrs.field(validator=_check_owner)
    api_version: str | None = attrs.field(
        default=None, validator=_text("api_version", max_len=64, optional=True)
    )
    credential: str | None = attrs.field(default=None, converter=_credential)
    licences: tuple[Licence, ...] = attrs.field(default=(), converter=_licences)
    enablement: Mapping[str, Any] = attrs.field(factory=dict, converter=_enablement, hash=False)
    info_verified_at: datetime | None = attrs.field(default=None, converter=_verified_at)
    auth: AuthSpec | None = attrs.field(default=None, converter=_auth)
    state: IntegrationState = attrs.field(default=IntegrationState.PENDING, converter=_state)
    history: tuple[Event, ...] = attrs.field(default=(), converter=_history, eq=False, repr=False)

    @property
    def credential_entries(self) -> tuple[str, ...]:
        """Every keystore entry the integration uses: ``credential`` and the auth entries."""
        names: list[str] = [] if self.credential is None else [self.credential]
        if self.auth is not None:
            names.extend(n for n in self.auth.credential_entries if n not in names)
        return tuple(names)

    def declared(self) -> Integration:
        """The declaration alone: the same integration with no state and no history.

        This is what an inventory file holds and what :meth:`Registry.sync`
        compares.
        """
        return attrs.evolve(self, state=IntegrationState.PENDING, history=())


# -------------------------------------------------------------------------- event


def _check_reason(_inst: object, _attr: object, value: Any) -> None:
    check_reason(value)


def check_reason(value: object, field: str = "reason") -> str:
    """Validate an event's reason: text, possibly empty.

    Raises:
        ValidationError: Not text.
    """
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, got {type(value).__name__}")
    return value


def _check_clause(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)*", value)):
        raise ValidationError("clause", "must be a contract clause number such as '1.1.2'")


@attrs.frozen
class Event:
    """One immutable entry in an integration's history.

    Args:
        integration_id: The integration it concerns.
        kind: What happened.
        at: When (aware, stored in UTC).
        actor: Who did it (a user, a service account, ``"mimecast"`` for a
            detected revocation), clause 1.5.
        reason: Why, in words.
        clause: The contract clause it concerns ("1.1.1").
        evidence: Secret-free facts (HTTP status, scrubbed headers, the
            revoker, the suspension cause...).
        seq: Position in the store, assigned by the registry.

    Raises:
        ValidationError: A field is invalid, or ``evidence`` holds a Secret or
            something that looks like one.
    """

    integration_id: str = attrs.field(validator=_check_id)
    kind: EventKind = attrs.field(converter=_event_kind)
    at: datetime = attrs.field(converter=_event_at)
    actor: str = attrs.field(validator=_text("actor"))
    reason: str = attrs.field(default="", validator=_check_reason)
    clause: str | None = attrs.field(default=None, validator=_check_clause)
    evidence: Mapping[str, Any] = attrs.field(factory=dict, converter=_evidence, hash=False)
    seq: int | None = attrs.field(default=None)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able dict (times in RFC 3339 UTC)."""
        return {
            "seq": self.seq,
            "integration_id": self.integration_id,
            "kind": self.kind.value,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "actor": self.actor,
            "reason": self.reason,
            "clause": self.clause,
            "evidence": thaw(self.evidence),
        }
