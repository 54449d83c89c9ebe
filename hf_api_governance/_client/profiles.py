"""Vendor signal profiles: how each vendor's API says "revoked", "expired" and "slow down".

A :class:`SignalProfile` is data, not a code path: the token endpoint's
error shapes and revocation codes, the codes and statuses by which a
resource hints at a revocation, the codes meaning an access token merely
expired, the rate-limit headers, and how a suspicion is confirmed for a
static key. The signal table (:mod:`.signals`) reads the profile of the
integration; nothing else differs from one vendor to another.

Built in, in the order they are tried: Mimecast API 1.0, Code42/Incydr,
Mimecast API 2.0, generic OAuth 2.0 (RFC 6749/6750) and generic static key
(the fallback). Users add their own with :func:`register_profile`; a
registered profile is tried before the built-in ones (the latest first).
An integration's profile is the first whose :class:`Selector` matches its
vendor, API kind, auth scheme and API version; a session may also name one
(``profile=`` of :class:`~hf_api_governance.GovernedSession` and
:func:`~hf_api_governance.govern`).

Every entry carries its source in ``sources`` (``docs/client.md`` shows the
tables); what no public document says is marked *assumed* there.
"""

from __future__ import annotations

import enum
import re
import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs

from hf_api_governance._model.values import ApiKind, Integration, as_enum
from hf_api_governance.exceptions import ValidationError

__all__ = [
    "BUILTIN_PROFILES",
    "Confirmation",
    "RateLimit",
    "RateLimitHeaders",
    "Selector",
    "SignalProfile",
    "profile_for",
    "register_profile",
    "signal_profiles",
    "unregister_profile",
]

_NAME_RE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class Confirmation(enum.Enum):
    """How a suspected revocation of a *static* key is confirmed (OAuth asks the token endpoint)."""

    REPEAT = "repeat"
    """Send the same request once more (re-signed when the session signs it);
    a second answer with a revocation code or status confirms. Only for
    idempotent methods, and ``POST`` where the profile allows it."""
    NONE = "none"
    """Nothing can confirm: the suspicion is recorded and raised, never a revocation."""


def _as_codes(field: str, value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and k and isinstance(v, str) for k, v in value.items()
    ):
        raise ValidationError(field, "must map each code (text) to its source (text)")
    return MappingProxyType(dict(value))


def _token_revocation_codes(value: object) -> Mapping[str, str]:
    return _as_codes("token_revocation_codes", value)


def _revocation_codes(value: object) -> Mapping[str, str]:
    return _as_codes("revocation_codes", value)


def _expiry_codes(value: object) -> Mapping[str, str]:
    return _as_codes("expiry_codes", value)


def _revocation_statuses(value: object) -> Mapping[int, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, int) and not isinstance(k, bool) and 100 <= k <= 599 and isinstance(v, str)
        for k, v in value.items()
    ):
        raise ValidationError(
            "revocation_statuses", "must map each HTTP status (100-599) to its source (text)"
        )
    return MappingProxyType(dict(value))


def _status_set(value: object) -> frozenset[int]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("token_refusal_statuses", "must be a set of HTTP statuses")
    items = frozenset(value)
    if not all(isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in items):
        raise ValidationError("token_refusal_statuses", "must hold HTTP error statuses (400-599)")
    return items


def _paths(value: object) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("token_paths", "must be a list of paths")
    paths = tuple(value)
    if not all(isinstance(p, str) and p.startswith("/") and "?" not in p for p in paths):
        raise ValidationError("token_paths", "each must be a path starting with '/', no query")
    return paths


def _text(field: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(field, "must be non-empty text")

    return check


def _header(_inst: object, attr: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+", value):
        raise ValidationError(f"rate_limit.{attr.name}", "must be an HTTP header name")


@attrs.frozen
class RateLimitHeaders:
    """The response headers by which an API announces its rate-limit budget.

    Args:
        limit: The header holding the budget (``X-RateLimit-Limit``).
        remaining: The header holding what is left of it.
        reset: The header saying when the budget grows again.
        reset_unit: What ``reset`` holds: ``"ms"`` or ``"s"`` (a delay in
            milliseconds or seconds) or ``"epoch"`` (an instant, in seconds
            since 1970).

    Raises:
        ValidationError: A name is not a header name, or the unit is unknown.
    """

    limit: str = attrs.field(default="X-RateLimit-Limit", validator=_header)
    remaining: str = attrs.field(default="X-RateLimit-Remaining", validator=_header)
    reset: str = attrs.field(default="X-RateLimit-Reset", validator=_header)
    reset_unit: Literal["ms", "s", "epoch"] = attrs.field(default="s")

    def __attrs_post_init__(self) -> None:
        if self.reset_unit not in ("ms", "s", "epoch"):
            raise ValidationError("rate_limit.reset_unit", "must be 'ms', 's' or 'epoch'")


@attrs.frozen
class RateLimit:
    """The rate-limit budget an API announced in its last answer (see :class:`RateLimitHeaders`).

    Attributes:
        limit: The budget, if announced.
        remaining: What is left of it, if announced.
        reset_after: Seconds after the answer until the budget grows again, if announced.
        observed_at: When the answer came (``time.monotonic()``).
    """

    limit: int | None
    remaining: int | None
    reset_after: float | None
    observed_at: float = attrs.field(repr=False)


def _selector_kind(value: object) -> ApiKind | None:
    return None if value is None else as_enum(ApiKind, "selector.kind", value)


def _optional_text(field: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValidationError(field, "must be non-empty text or None")

    return check


@attrs.frozen
class Selector:
    """When a profile applies: every field given must match the integration.

    Args:
        vendor: Text found in the integration's vendor, case-insensitively
            (``"mimecast"`` matches ``"Mimecast Ltd"``).
        kind: The integration's :class:`~hf_api_governance.ApiKind`.
        scheme: Its auth scheme (``AuthSpec.scheme``), or ``"none"`` for an
            integration without one (a vendor SDK authenticating itself).
        api_version: The start of its ``api_version`` (``"1"`` matches ``"1.0"``).

    Raises:
        ValidationError: A field has the wrong type.
    """

    vendor: str | None = attrs.field(default=None, validator=_optional_text("selector.vendor"))
    kind: ApiKind | None = attrs.field(default=None, converter=_selector_kind)
    scheme: str | None = attrs.field(default=None, validator=_optional_text("selector.scheme"))
    api_version: str | None = attrs.field(
        default=None, validator=_optional_text("selector.api_version")
    )

    def matches(self, integration: Integration) -> bool:
        """Whether ``integration`` has everything this selector asks for."""
        if self.vendor is not None and self.vendor.casefold() not in integration.vendor.casefold():
            return False
        if self.kind is not None and integration.kind is not self.kind:
            return False
        scheme = integration.auth.scheme if integration.auth is not None else "none"
        if self.scheme is not None and scheme != self.scheme:
            return False
        return self.api_version is None or (
            integration.api_version is not None
            and integration.api_version.strip().lower().startswith(self.api_version.lower())
        )


def _selectors(value: object) -> tuple[Selector, ...]:
    if isinstance(value, Selector):
        return (value,)
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError("selects", "must be a list of Selector")
    items = tuple(value)
    if not all(isinstance(s, Selector) for s in items):
        raise ValidationError("selects", "must be a list of Selector")
    return items


def _confirmation(value: object) -> Confirmation:
    return as_enum(Confirmation, "static_confirmation", value)


def _rate_limit(value: object) -> RateLimitHeaders | None:
    if value is None or isinstance(value, RateLimitHeaders):
        return value
    raise ValidationError("rate_limit", "must be RateLimitHeaders or None")


def _name(_inst: object, _attr: object, value: Any) -> None:
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise ValidationError(
            "name", "must be 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit"
        )


def _flag(field: str) -> Any:
    def check(_inst: object, _attr: object, value: object) -> None:
        if not isinstance(value, bool):
            raise ValidationError(field, "must be a bool")

    return check


def _sources(value: object) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        raise ValidationError("sources", "must map each field name to its source (text)")
    return MappingProxyType(dict(value))


SUCCESS_BODY_LIMIT: Final = 65536
"""The default :attr:`SignalProfile.success_body_limit` (bytes)."""


def _body_limit(_inst: object, _attr: object, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("success_body_limit", "must be a non-negative int (bytes)")


@attrs.frozen
class SignalProfile:
    """How one vendor's API signals revocation, expiry and rate limits: data the signal table reads.

    Args:
        name: A short identifier (``"mimecast-api-2"``), unique among profiles.
        title: For people (``"Mimecast API 2.0"``).
        selects: When the profile applies (any :class:`Selector` matching);
            empty: only when a session names it.
        token_paths: Paths of the OAuth token endpoint at the integration's
            origins, for integrations that declare no ``token_url`` (a vendor
            SDK fetching its own tokens).
        token_revocation_codes: Codes in a token endpoint's refusal that mean
            the client credential is dead: a revocation, no confirmation
            needed (the token endpoint is the authority).
        token_refusal_statuses: Statuses of a token endpoint refusal without
            such a code that are still a refusal of the credential (a 401 with
            an empty or plain-text body): a suspicion, confirmed by asking the
            token endpoint once more.
        revocation_codes: Codes in a resource's answer (any status) that
            suggest a revocation: a suspicion, confirmed once.
        revocation_statuses: Statuses of a resource that suggest a
            revocation: a suspicion, confirmed once.
        expiry_codes: Codes meaning the access token expired: refreshed
            once, never a revocation (unless a fresh token is refused too).
        oauth_errors: Read the OAuth ``error`` member of bodies (RFC 6749
            section 5.2).
        fail_array: Read Mimecast's ``fail`` array (both shapes); any code
            in it that is not a revocation or expiry code is an
            :class:`~hf_api_governance.ApiError`.
        rate_limit: The rate-limit headers, if the API sends them.
        static_confirmation: How a suspicion about a static key is confirmed.
        repeat_post: Whether :attr:`Confirmation.REPEAT` may repeat a ``POST``
            (an API that authenticates before running anything).
        sources: Where each field's entries come from, by field name.
        success_body_limit: The largest ``2xx`` body (bytes) read for a
            signal (a ``fail`` array, a token issued); a larger one is not
            parsed (default 65,536: raise it to opt in to larger answers).
            Error statuses are read up to 1 MiB; a streamed body never.

    Raises:
        ValidationError: A field is invalid (the field is named).
    """

    name: str = attrs.field(validator=_name)
    title: str = attrs.field(validator=_text("title"))
    selects: tuple[Selector, ...] = attrs.field(default=(), converter=_selectors)
    token_paths: tuple[str, ...] = attrs.field(default=(), converter=_paths)
    token_revocation_codes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_token_revocation_codes, hash=False
    )
    token_refusal_statuses: frozenset[int] = attrs.field(
        default=frozenset({401}), converter=_status_set
    )
    revocation_codes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_revocation_codes, hash=False
    )
    revocation_statuses: Mapping[int, str] = attrs.field(
        factory=dict, converter=_revocation_statuses, hash=False
    )
    expiry_codes: Mapping[str, str] = attrs.field(factory=dict, converter=_expiry_codes, hash=False)
    oauth_errors: bool = attrs.field(default=True, validator=_flag("oauth_errors"))
    fail_array: bool = attrs.field(default=False, validator=_flag("fail_array"))
    rate_limit: RateLimitHeaders | None = attrs.field(default=None, converter=_rate_limit)
    static_confirmation: Confirmation = attrs.field(
        default=Confirmation.NONE, converter=_confirmation
    )
    repeat_post: bool = attrs.field(default=False, validator=_flag("repeat_post"))
    sources: Mapping[str, str] = attrs.field(factory=dict, converter=_sources, hash=False)
    success_body_limit: int = attrs.field(default=SUCCESS_BODY_LIMIT, validator=_body_limit)

    @property
    def reads_body(self) -> bool:
        """Whether a successful answer's body may carry a signal (a ``fail`` array)."""
        return self.fail_array

    def applies_to(self, integration: Integration) -> bool:
        """Whether one of the profile's selectors matches ``integration``."""
        return any(s.matches(integration) for s in self.selects)


# ------------------------------------------------------------------ sources

RFC6749_52: Final = "RFC 6749 section 5.2 (token endpoint error response)"
RFC6750_31: Final = "RFC 6750 section 3.1 (invalid_token)"
MC_RESPONSE_CODES: Final = (
    "Mimecast API 1.0 documentation, Response Codes "
    "(mimecast.com/tech-connect/documentation/api-overview/response-code)"
)
MC_RATE_LIMITING: Final = (
    "Mimecast API documentation, Rate Limiting: X-RateLimit-Limit, X-RateLimit-Remaining, "
    "X-RateLimit-Reset in milliseconds (integrations.mimecast.com/documentation/api-overview/"
    "rate-limiting)"
)
MC_TROUBLESHOOTING: Final = (
    "Mimecast support, API Integrations Troubleshooting Common HTTP Error Codes "
    "(418 AccessKey Expired; applies to API 1.0 and 2.0)"
)
MC2_ERRORS: Final = (
    "Mimecast API 2.0 error bodies, fail[].code (observed answers reported in issue 12; "
    "no public reference page lists the codes: assumed)"
)
MC1_ERRORS: Final = "Mimecast API 1.0 error bodies, fail[].errors[].code (endpoint reference pages)"
C42_OAUTH: Final = (
    "Code42/Incydr developer portal, POST /v1/oauth: 401 'The supplied credentials are "
    "invalid' (plain text or an empty body)"
)
PY42_OAUTH: Final = (
    "py42 1.29 (services/_auth.py): POST /api/v3/oauth/token, HTTP Basic client credentials"
)

# ------------------------------------------------------------------ built-in profiles

_OAUTH_CODES: Final = {
    "invalid_client": RFC6749_52,
    "unauthorized_client": RFC6749_52,
}
_MC1_CODES: Final = {
    "err_xdk_binding_expired": MC1_ERRORS,
    "err_xdk_binding_revoked": MC1_ERRORS,
    "err_xdk_binding_not_found": MC1_ERRORS,
    "InvalidClientIdentifier": MC1_ERRORS,
}

MIMECAST_API_1: Final = SignalProfile(
    name="mimecast-api-1",
    title="Mimecast API 1.0 (HMAC-signed access and secret keys)",
    selects=(
        Selector(scheme="mimecast_hmac_v1"),
        Selector(vendor="mimecast", api_version="1"),
        Selector(kind=ApiKind.MIMECAST_API, api_version="1"),
    ),
    token_refusal_statuses=frozenset(),
    revocation_codes={**_MC1_CODES, **_OAUTH_CODES},
    revocation_statuses={418: MC_RESPONSE_CODES},
    fail_array=True,
    rate_limit=RateLimitHeaders(reset_unit="ms"),
    static_confirmation=Confirmation.REPEAT,
    repeat_post=True,
    sources={
        "revocation_codes": MC1_ERRORS,
        "revocation_statuses": f"{MC_RESPONSE_CODES}; {MC_TROUBLESHOOTING}",
        "rate_limit": MC_RATE_LIMITING,
        "static_confirmation": (
            "assumed: the gateway checks the binding before it runs a function (a 418 or a "
            "binding code means nothing ran), so the same request is sent once more, re-signed"
        ),
        "fail_array": f"{MC_RESPONSE_CODES}: function-level failure is in the body, often with 200",
    },
)

CODE42: Final = SignalProfile(
    name="code42",
    title="Code42 / Incydr (OAuth 2.0 client credentials)",
    selects=(Selector(vendor="code42"), Selector(vendor="incydr")),
    token_paths=("/v1/oauth", "/api/v3/oauth/token"),
    token_revocation_codes=_OAUTH_CODES,
    token_refusal_statuses=frozenset({401}),
    sources={
        "token_paths": f"{C42_OAUTH}; {PY42_OAUTH}",
        "token_refusal_statuses": C42_OAUTH,
        "token_revocation_codes": f"{RFC6749_52} (assumed: Code42 documents the 401 only)",
        "rate_limit": (
            "none sent: Code42 documents a request rate limit (py42 issue #225) but no headers"
        ),
    },
)

MIMECAST_API_2: Final = SignalProfile(
    name="mimecast-api-2",
    title="Mimecast API 2.0 (OAuth 2.0 client credentials)",
    selects=(Selector(vendor="mimecast"), Selector(kind=ApiKind.MIMECAST_API)),
    token_paths=("/oauth/token",),
    token_revocation_codes={**_OAUTH_CODES, "InvalidClientIdentifier": MC2_ERRORS},
    token_refusal_statuses=frozenset({401}),
    revocation_codes={
        **_OAUTH_CODES,
        "InvalidClientIdentifier": MC2_ERRORS,
        "err_xdk_binding_expired": MC2_ERRORS,
        "err_xdk_binding_revoked": MC1_ERRORS,
        "err_xdk_binding_not_found": MC1_ERRORS,
    },
    revocation_statuses={418: MC_TROUBLESHOOTING},
    expiry_codes={"token_expired": MC2_ERRORS},
    fail_array=True,
    rate_limit=RateLimitHeaders(reset_unit="ms"),
    static_confirmation=Confirmation.REPEAT,
    sources={
        "token_paths": (
            "Mimecast API 2.0 documentation (developer.services.mimecast.com): "
            "POST https://api.services.mimecast.com/oauth/token"
        ),
        "token_revocation_codes": f"{RFC6749_52}; {MC2_ERRORS}",
        "token_refusal_statuses": RFC6749_52,
        "revocation_codes": MC2_ERRORS,
        "revocation_statuses": MC_TROUBLESHOOTING,
        "expiry_codes": MC2_ERRORS,
        "rate_limit": MC_RATE_LIMITING,
        "static_confirmation": "assumed, as for Mimecast API 1.0 (a bearer token held statically)",
    },
)

OAUTH2: Final = SignalProfile(
    name="oauth2",
    title="OAuth 2.0 client credentials (RFC 6749, RFC 6750)",
    selects=(Selector(scheme="oauth2_client_credentials"),),
    token_revocation_codes=_OAUTH_CODES,
    token_refusal_statuses=frozenset({401}),
    revocation_codes=_OAUTH_CODES,
    sources={
        "token_revocation_codes": RFC6749_52,
        "token_refusal_statuses": (
            f"{RFC6749_52}: a client that authenticated with the Authorization header gets 401"
        ),
        "revocation_codes": f"{RFC6749_52}, out of place on a resource: a suspicion only",
        "confirmation": f"{RFC6750_31}; the token endpoint is asked once (RFC 6749 section 4.4)",
    },
)

STATIC_KEY: Final = SignalProfile(
    name="static-key",
    title="Static key of an unknown vendor (bearer token, API-key header, Basic)",
    selects=(Selector(),),
    token_refusal_statuses=frozenset({401}),
    revocation_codes=_OAUTH_CODES,
    static_confirmation=Confirmation.NONE,
    sources={
        "revocation_codes": f"{RFC6749_52}, out of place on a resource: a suspicion only",
        "static_confirmation": (
            "nothing public confirms an unknown vendor's static key: suspicions are recorded "
            "and raised, never turned into a revocation (revoke by hand: hf-gov revoke)"
        ),
    },
)

BUILTIN_PROFILES: Final[tuple[SignalProfile, ...]] = (
    MIMECAST_API_1,
    CODE42,
    MIMECAST_API_2,
    OAUTH2,
    STATIC_KEY,
)
"""The built-in profiles, in the order they are tried (the last matches everything)."""

_registered: list[SignalProfile] = []
_lock = threading.Lock()


def register_profile(profile: SignalProfile, *, replace: bool = False) -> SignalProfile:
    """Add a vendor signal profile; it is tried before the built-in ones (the latest first).

    Sessions opened afterwards use it for every integration its selectors
    match (or that names it with ``profile=``).

    Args:
        profile: The profile.
        replace: Replace a registered profile of the same name (otherwise
            that is an error). A built-in profile's name is never accepted.

    Returns:
        ``profile``.

    Raises:
        ValidationError: Not a :class:`SignalProfile`, or its name is taken.
    """
    if not isinstance(profile, SignalProfile):
        raise ValidationError("profile", f"must be a SignalProfile, got {type(profile).__name__}")
    if any(b.name == profile.name for b in BUILTIN_PROFILES):
        raise ValidationError("profile.name", f"{profile.name!r} is a built-in profile's name")
    with _lock:
        taken = [p for p in _registered if p.name == profile.name]
        if taken and not replace:
            raise ValidationError(
                "profile.name", f"a profile named {profile.name!r} is registered already"
            )
        _registered[:] = [p for p in _registered if p.name != profile.name]
        _registered.insert(0, profile)
    return profile


def unregister_profile(name: str) -> bool:
    """Remove a registered profile by name; return whether there was one.

    Built-in profiles cannot be removed (they stay the fallback).
    """
    with _lock:
        before = len(_registered)
        _registered[:] = [p for p in _registered if p.name != name]
        return len(_registered) != before


def signal_profiles() -> tuple[SignalProfile, ...]:
    """Every profile in the order they are tried: registered ones (latest first), then built-in."""
    with _lock:
        return (*_registered, *BUILTIN_PROFILES)


def profile_for(
    integration: Integration, named: str | SignalProfile | None = None
) -> SignalProfile:
    """The signal profile of ``integration``: ``named`` if given, else the first that applies.

    Raises:
        ValidationError: ``named`` is not a known profile's name.
    """
    if isinstance(named, SignalProfile):
        return named
    profiles = signal_profiles()
    if named is not None:
        for profile in profiles:
            if profile.name == named:
                return profile
        known = ", ".join(p.name for p in profiles)
        raise ValidationError("profile", f"no signal profile named {named!r}; known: {known}")
    for profile in profiles:
        if profile.applies_to(integration):
            return profile
    return STATIC_KEY  # pragma: no cover - STATIC_KEY's empty selector matches everything
