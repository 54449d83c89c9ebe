"""The domain model: services, licences, integrations, lifecycle states and events.

Every class here is an immutable value object (a frozen ``attrs`` class)
validated on construction; bad values raise
:class:`~hf_api_governance.exceptions.ValidationError` naming the field.
Nothing here does I/O: the registry stores these values, the policy engine
reads them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs

from hf_api_governance._base.checks import check_text
from hf_api_governance._base.clock import day_end, day_start, ensure_aware, utc_text
from hf_api_governance._base.identifiers import CLAUSE, INTEGRATION_ID
from hf_api_governance._confidential.evidence import freeze_mapping, thaw
from hf_api_governance._model.rules import (
    EMAIL_RE,
    TEAM_RE,
    check_entry_name,
    check_origin_pattern,
    check_url,
    text_field,
)
from hf_api_governance.exceptions import ValidationError

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
]
# --------------------------------------------------------------------------- enums


class Service(enum.Enum):
    """A Mimecast Human Factors service.

    Engage (security awareness training), Aware (human risk insights) or
    Incydr (insider risk, formerly Code42). The contract's article 1.1
    covers the three alike; the service is kept for reports and for the
    vendor profile a client uses.
    """

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
    """Inside the window, and the end is further away than the warning window."""
    EXPIRING = "expiring"
    """Valid, but the end falls inside the warning window."""
    EXPIRED = "expired"
    """The end has passed: calls are denied (clause 1.1.2)."""
    NOT_YET_VALID = "not_yet_valid"
    """The start is still to come: calls are denied until then."""
    MISSING = "missing"
    """Integration level only: no licence is recorded at all."""


class IntegrationState(enum.Enum):
    """Lifecycle state of an integration (see :func:`next_state`)."""

    PENDING = "pending"
    """Registered, not yet activated: no call goes ahead."""
    ACTIVE = "active"
    """Calls may go ahead, each still subject to the policy engine."""
    SUSPENDED = "suspended"
    """Interoperability suspended (clause 1.1.2); ``Registry.reinstate`` lifts it."""
    REVOKED = "revoked"
    """API access revoked (clause 1.1.1): final, its credentials are never sent again."""
    RETIRED = "retired"
    """Retired by the customer: final."""


class Revoker(enum.Enum):
    """Who revoked an integration's API access."""

    MIMECAST = "mimecast"
    """Mimecast, which may revoke at any time without notice (clause 1.1.1)."""
    CUSTOMER = "customer"
    """The customer, for example after a key leaked."""
    THIRD_PARTY = "third_party"
    """The third party that owns the API."""


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


def _enablement(value: object) -> Mapping[str, Any]:
    return freeze_mapping("enablement", value, allow_secretish_keys=False)


def _evidence(value: object) -> Mapping[str, Any]:
    return freeze_mapping("evidence", value, allow_secretish_keys=True)


# ------------------------------------------------------------------------ licence


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

    grantor: str = attrs.field(validator=text_field("licence.grantor"))
    scope: str = attrs.field(validator=text_field("licence.scope"))
    valid_from: date | datetime = attrs.field(
        converter=_valid_from,
        validator=_date_or_aware("licence.valid_from"),
    )
    valid_until: date | datetime | None = attrs.field(
        default=None,
        converter=_valid_until,
        validator=_date_or_aware("licence.valid_until", optional=True),
    )
    holder: str | None = attrs.field(
        default=None, validator=text_field("licence.holder", optional=True)
    )
    reference: str | None = attrs.field(
        default=None,
        validator=text_field("licence.reference", max_len=500, optional=True),
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
    if not isinstance(value, str) or not INTEGRATION_ID.fullmatch(value):
        raise ValidationError(
            "id",
            "must be a slug: lowercase letters, digits and '-', at most 64 characters, "
            "not starting or ending with '-'",
        )


def _base_url(_inst: object, _attr: object, value: Any) -> None:
    check_url("base_url", value)


def _check_owner(_inst: object, _attr: object, value: Any) -> None:
    value = check_text("owner", value)
    if not (EMAIL_RE.match(value) or TEAM_RE.match(value)):
        raise ValidationError("owner", "must be an e-mail address or a team name")


_E = TypeVar("_E", bound=enum.Enum)


def as_enum(cls: type[_E], field: str, value: object, *, kind: str = "") -> _E:
    """Return ``value`` as a member of ``cls``: a member, or its value in any case.

    Args:
        cls: The enumeration.
        field: The field named in the error.
        value: What was given.
        kind: Said in the error before the accepted values ("an Action"), if given.

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
    raise ValidationError(
        field, f"must be {kind} (one of: {known})" if kind else f"must be one of: {known}"
    )


def _service(value: object) -> Service:
    return as_enum(Service, "service", value)


def _api_kind(value: object) -> ApiKind:
    return as_enum(ApiKind, "kind", value)


def _state(value: object) -> IntegrationState:
    return as_enum(IntegrationState, "state", value)


def _event_kind(value: object) -> EventKind:
    return as_enum(EventKind, "kind", value)


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


_MAX_DATA_ORIGINS: Final = 50


def _data_origins(value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(
            "data_origins", f"must be a list of origins, got {type(value).__name__}"
        )
    items = tuple(value)
    if len(items) > _MAX_DATA_ORIGINS:
        raise ValidationError("data_origins", f"must hold at most {_MAX_DATA_ORIGINS} origins")
    origins: list[str] = []
    for i, item in enumerate(items):
        origin = check_origin_pattern(f"data_origins[{i}]", item)
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


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
        data_origins: Origins the API hands data out from (pre-signed
            download URLs on a storage host), such as
            ``"https://*.blob.core.windows.net"``: governed clients may call
            them (the policy decision still applies) but never send them a
            credential. ``https`` unless loopback; a ``*.`` first label
            matches any subdomain.
        state: The lifecycle state; kept by the registry.
        history: The events recorded for it, oldest first; filled by the registry.

    Raises:
        ValidationError: A field is invalid; the message names the field and
            never quotes a secret.
    """

    id: str = attrs.field(validator=_check_id)
    name: str = attrs.field(validator=text_field("name"))
    service: Service = attrs.field(converter=_service)
    kind: ApiKind = attrs.field(converter=_api_kind)
    vendor: str = attrs.field(validator=text_field("vendor"))
    base_url: str = attrs.field(validator=_base_url)
    owner: str = attrs.field(validator=_check_owner)
    api_version: str | None = attrs.field(
        default=None, validator=text_field("api_version", max_len=64, optional=True)
    )
    credential: str | None = attrs.field(default=None, converter=_credential)
    licences: tuple[Licence, ...] = attrs.field(default=(), converter=_licences)
    enablement: Mapping[str, Any] = attrs.field(factory=dict, converter=_enablement, hash=False)
    info_verified_at: datetime | None = attrs.field(default=None, converter=_verified_at)
    auth: AuthSpec | None = attrs.field(default=None, converter=_auth)
    data_origins: tuple[str, ...] = attrs.field(default=(), converter=_data_origins)
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
    if value is not None and not (isinstance(value, str) and CLAUSE.fullmatch(value)):
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
    actor: str = attrs.field(validator=text_field("actor"))
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
            "at": utc_text(self.at),
            "actor": self.actor,
            "reason": self.reason,
            "clause": self.clause,
            "evidence": thaw(self.evidence),
        }
