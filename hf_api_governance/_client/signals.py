"""Signals: what a response tells about an integration, as a pure classification.

:func:`classify` maps a response and what the client knows about the request
(:class:`Facts`) to a :class:`Reading`: the :class:`Signal` values the
response carries, in the order the governor applies them (record, raise,
retry: :mod:`hf_api_governance._client.governor`). Nothing here writes,
sends or raises; every signal is a frozen, secret-free value.

The decisions are one table, :data:`RULES`: rows of *(code, kind, clause,
source, statuses, matcher)*, tried in order. A row whose kind is *noted*
(:data:`NOTED_KINDS`: deprecation notices, suspected revocations) adds its
signals and the reading goes on; the first row of any other kind decides the
reading and ends it; a response no deciding row matches is :attr:`SignalKind.OK`.
A new vendor's signal, or a new kind of evidence, is a new row. The code
tables the rows consult (:data:`OAUTH_REVOCATION_ERRORS`,
:data:`MIMECAST_REVOCATION_CODES`, ...) are data too, each entry with its
source; ``docs/client.md`` shows the same tables in words.

The module is some 750 lines on purpose: the values, the code tables, one
short matcher per row, the table and :func:`classify` are read together
(a row is its matcher), and splitting them would scatter one table over
several files, or make the values and the table import each other.
"""

from __future__ import annotations

import enum
import hashlib
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any, Final

import attrs
import requests

from hf_api_governance._base.clock import utc_text
from hf_api_governance._client.evidence import response_evidence, url_evidence
from hf_api_governance._client.parse import (
    bearer_error,
    json_body,
    mimecast_fail_codes,
    oauth_error,
    parse_deprecation,
    parse_http_date,
    parse_link_header,
)
from hf_api_governance._client.ports import Contract
from hf_api_governance._confidential.evidence import safe_text
from hf_api_governance._model.values import ApiKind, Integration, SuspensionCause
from hf_api_governance.exceptions import TokenEndpointError

__all__ = [
    "CONTRACT_HELD",
    "MIMECAST_REVOCATION_CODES",
    "NOTED_KINDS",
    "OAUTH_REVOCATION_ERRORS",
    "RETRY_STATUSES",
    "RULES",
    "Facts",
    "Hit",
    "Reading",
    "Rule",
    "Signal",
    "SignalKind",
    "classify",
    "classify_token_error",
    "contract_problem",
    "is_mimecast",
    "notice_id",
]

# ------------------------------------------------------------------ signal tables

OAUTH_REVOCATION_ERRORS: Final[Mapping[str, str]] = {
    "invalid_client": (
        "RFC 6749 section 5.2: client authentication failed (unknown client, no client "
        "authentication included, or unsupported authentication method)"
    ),
    "unauthorized_client": (
        "RFC 6749 section 5.2: the authenticated client is not authorized to use this "
        "authorization grant type"
    ),
}
"""Token endpoint ``error`` codes (HTTP 400 or 401) that mean the client credential is dead."""

BEARER_REVOCATION_ERROR: Final = "invalid_token"
"""RFC 6750 section 3.1: the access token is expired, revoked, malformed or invalid.

Only a revocation when it answers a token fetched moments before (a single
401 that one refresh cures is an ordinary expiry)."""

MIMECAST_REVOCATION_STATUS: Final[Mapping[int, str]] = {
    418: (
        "Mimecast API 1.0 response codes: 418 Binding Expired, the TTL of the access key "
        "and secret key binding has lapsed"
    ),
}
"""HTTP statuses of a Mimecast API that mean the access key binding is dead."""

MIMECAST_REVOCATION_CODES: Final[Mapping[str, str]] = {
    "err_xdk_binding_expired": "Mimecast API 1.0: the access key binding has expired",
    "err_xdk_binding_revoked": "Mimecast API 1.0: the access key binding was revoked",
    "err_xdk_binding_not_found": "Mimecast API 1.0: the access key binding does not exist",
    "InvalidClientIdentifier": "Mimecast API: the client identifier (application) is not valid",
    "invalid_client": "Mimecast API 2.0 token endpoint (RFC 6749 section 5.2)",
}
"""Codes in a Mimecast ``fail[].errors[].code`` that mean the credential is dead (clause 1.1.1).

Any other code in a ``fail`` array is an ordinary API error
(:class:`~hf_api_governance.exceptions.ApiError`)."""


# ------------------------------------------------------------------------- values


class SignalKind(enum.Enum):
    """What a response means for the integration, and so what the governor does with it."""

    REVOKED = "revoked"
    """Clause 1.1.1: the credential is dead. Recorded (``Registry.revoke``), the
    credential is never sent again, :class:`~hf_api_governance.CredentialRevoked`."""
    SUSPECTED_REVOCATION = "suspected_revocation"
    """Clause 1.1.1: the response may mean access was revoked, but does not prove it
    (a ``403`` on a resource). Recorded once (``SIGNAL_RECORDED``) per method and
    path; the call stands. Nothing confirms or clears a suspicion yet: a later
    row or step may, without a new kind."""
    SUSPENDED = "suspended"
    """Clause 1.1.2: the API is gone, sunset or changed. Recorded
    (``Registry.suspend``), :class:`~hf_api_governance.InteroperabilitySuspended`."""
    DEPRECATION_NOTICE = "deprecation_notice"
    """Clause 1.1.2: the API announced a deprecation or a sunset. Recorded once
    (``DEPRECATION_NOTICED``, by its ``notice_id``); the call stands."""
    API_ERROR = "api_error"
    """The API reported an error in its body (a Mimecast ``fail`` array):
    :class:`~hf_api_governance.ApiError`, no state change."""
    CONTRACT_FAILURE = "contract_failure"
    """The response broke the session's contract. Counted; ``contract_failures``
    in a row suspend (cause ``API_CHANGED``)."""
    RATE_LIMITED = "rate_limited"
    """``429``: retried within the retry bounds; once they are spent (or for a
    method that may not be repeated), the response is returned as it is."""
    TRANSIENT = "transient"
    """``502``, ``503``, ``504``: as :attr:`RATE_LIMITED`."""
    OK = "ok"
    """Nothing to act on: the call stands (code :data:`CONTRACT_HELD` when the
    session's contract was checked and held: the failure count starts again)."""


NOTED_KINDS: Final = frozenset({SignalKind.DEPRECATION_NOTICE, SignalKind.SUSPECTED_REVOCATION})
"""Kinds that are recorded on the way: their rows do not end the reading."""

CONTRACT_HELD: Final = "contract_held"
"""The code of the :attr:`SignalKind.OK` signal of a response that kept the contract."""


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Signal:
    """One thing a response says, and why: a frozen, secret-free value.

    Attributes:
        kind: What it means (what the governor does).
        code: The stable name of the table row that found it (``"gone"``,
            ``"sunset_passed"``...); the evidence of a revocation, suspension,
            suspicion or contract failure carries it as ``signal`` (a
            notice's says which ``notice`` it is).
        reason: Why, for people; registry events and exceptions carry it.
        clause: The contract clause concerned, if any.
        evidence: Secret-free, bounded facts about the response, as recorded
            (empty for the kinds that are not recorded: API errors, rate
            limits, transient faults, OK).
        cause: Why interoperability is suspended (:attr:`SignalKind.SUSPENDED`).
        once: For kinds recorded once: the key of that once (a notice id; a
            method and path).
        api_codes: The API's own error codes, as
            :class:`~hf_api_governance.ApiError` carries them.
    """

    kind: SignalKind
    code: str
    reason: str
    clause: str | None = None
    evidence: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping, hash=False)
    cause: SuspensionCause | None = None
    once: str | None = None
    api_codes: tuple[str, ...] = ()


_OK: Final = Signal(SignalKind.OK, "ok", "the response carries no signal")


@attrs.frozen
class Reading:
    """What one response tells the governor.

    Attributes:
        signals: The signals, in the order the governor applies them: the
            noted ones, then exactly one that decides (:attr:`outcome`).
        token_issued: For a ``2xx`` answer to a ``POST`` with a JSON body
            holding an ``access_token``: ``True``; other ``2xx``: ``False``;
            otherwise (and after a revocation) ``None``: what the client
            knows about fresh tokens does not change.
    """

    signals: tuple[Signal, ...]
    token_issued: bool | None = None

    @property
    def outcome(self) -> Signal:
        """The signal that decides the call (the last one)."""
        return self.signals[-1]


@attrs.frozen
class Facts:
    """What the client knows about a request when its response arrives.

    Attributes:
        kind: The integration's API kind.
        vendor: The integration's vendor.
        mimecast: Whether the API is a Mimecast API (by kind, or by its
            Mimecast HMAC authentication).
        method: The request method.
        url: The request URL (kept out of ``repr``: its query may hold a key).
        fresh_token: Whether the request carried an access token issued
            moments before (by our OAuth client, or seen issued to an SDK).
        token_endpoint: Whether the request went to the integration's
            declared OAuth token endpoint rather than to a resource.
        now: The instant the response is judged at (``Sunset`` dates).
        contract: The session's response contract, if any.
        secret_headers: Lower-case names of the integration's own credential
            headers, scrubbed from evidence besides the usual ones.
    """

    kind: ApiKind
    vendor: str
    mimecast: bool
    method: str
    url: str = attrs.field(repr=False)
    fresh_token: bool
    token_endpoint: bool
    now: datetime
    contract: Contract | None = None
    secret_headers: frozenset[str] = frozenset()


def is_mimecast(integration: Integration) -> bool:
    """Whether ``integration`` is a Mimecast API (by kind or by its HMAC authentication)."""
    return integration.kind is ApiKind.MIMECAST_API or (
        integration.auth is not None and integration.auth.scheme == "mimecast_hmac_v1"
    )


class Seen:
    """A response under classification: the parts rows read, each parsed at most once.

    Args:
        response: The response.
        facts: What the client knows about its request.
    """

    def __init__(self, response: requests.Response, facts: Facts) -> None:
        self.response = response
        self.facts = facts
        self.status = response.status_code
        self.headers = response.headers
        self.body_read = False

    @cached_property
    def body(self) -> Any:
        """The decoded JSON body, or ``None`` (see :func:`~.parse.json_body`)."""
        self.body_read = True
        return json_body(self.response)

    @cached_property
    def sunset_at(self) -> datetime | None:
        """The ``Sunset`` header as an instant, if it holds a date."""
        header = self.headers.get("Sunset")
        return parse_http_date(header) if header else None

    @cached_property
    def fail_codes(self) -> tuple[str, ...]:
        """The codes of a Mimecast ``fail`` array (only read for a Mimecast API)."""
        return tuple(code for code, _ in mimecast_fail_codes(self.body))

    @cached_property
    def contract_problem(self) -> str | None:
        """What broke the contract (secret-free), or ``None`` if it holds."""
        problem = contract_problem(self.facts.contract, self.response)
        return None if problem is None else safe_text(problem)  # it may quote the body

    @property
    def succeeded(self) -> bool:
        """Whether the status is ``2xx``."""
        return 200 <= self.status < 300


@attrs.frozen
class Hit:
    """What a row's matcher found: the particulars of one signal.

    Attributes:
        reason: Why, for people.
        facts: Row-specific evidence, secret-free (added to the response's).
        cause: For a suspension.
        once: For kinds recorded once: the key.
        api_codes: The API's own error codes (API errors).
    """

    reason: str
    facts: Mapping[str, Any] = attrs.field(factory=dict)
    cause: SuspensionCause | None = None
    once: str | None = None
    api_codes: tuple[str, ...] = ()


Matcher = Callable[[Seen], tuple[Hit, ...]]


@attrs.frozen
class Rule:
    """One row of the signal table: when ``match`` finds something, a signal of ``kind``.

    Attributes:
        code: The stable name of the row (the signals' ``code``).
        kind: What its signals mean.
        clause: The contract clause concerned, if any.
        source: The specification or vendor documentation that says so.
        match: Reads the response; returns one :class:`Hit` per signal (most
            rows return one at most; a deciding row's first counts).
        statuses: Only responses with one of these statuses are matched
            (``None``: any status).
    """

    code: str
    kind: SignalKind
    clause: str | None
    source: str
    match: Matcher
    statuses: frozenset[int] | None = None


# ------------------------------------------------------------------------ matchers


def _hit(
    reason: str,
    facts: Mapping[str, Any] | None = None,
    *,
    cause: SuspensionCause | None = None,
    once: str | None = None,
    api_codes: tuple[str, ...] = (),
) -> tuple[Hit, ...]:
    """What a row that found one signal returns."""
    return (Hit(reason, facts or {}, cause, once, api_codes),)


def _fresh_token_refused(seen: Seen) -> tuple[Hit, ...]:
    challenge = seen.headers.get("WWW-Authenticate")
    if seen.facts.fresh_token and challenge and bearer_error(challenge) == BEARER_REVOCATION_ERROR:
        return _hit(
            "the API refused a freshly issued access token (RFC 6750 invalid_token)",
            {"signal": "invalid_token_after_fresh_token"},
        )
    return ()


def _oauth_revocation(seen: Seen) -> tuple[Hit, ...]:
    error = oauth_error(seen.body)
    if error in OAUTH_REVOCATION_ERRORS:
        return _hit(
            f"the token endpoint answered {error} (RFC 6749 section 5.2)",
            {"signal": "oauth_error", "error": error},
        )
    return ()


def _mimecast_status(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.mimecast:
        return _hit(
            f"the Mimecast API answered {seen.status} (binding expired)",
            {"signal": "mimecast_status"},
        )
    return ()


def _mimecast_dead_codes(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.mimecast:
        dead = [c for c in seen.fail_codes if c in MIMECAST_REVOCATION_CODES]
        if dead:
            return _hit(
                f"the Mimecast API answered {dead[0][:100]}",
                {"signal": "mimecast_fail", "codes": [c[:100] for c in dead[:10]]},
            )
    return ()


def _gone(seen: Seen) -> tuple[Hit, ...]:
    sunset_at = seen.sunset_at
    return _hit(
        "the API answered 410 Gone",
        {"signal": "gone", **({"sunset_at": utc_text(sunset_at, "seconds")} if sunset_at else {})},
        cause=SuspensionCause.SUNSET if seen.headers.get("Sunset") else SuspensionCause.API_CHANGED,
    )


def _sunset_passed(seen: Seen) -> tuple[Hit, ...]:
    sunset_at = seen.sunset_at
    if sunset_at is not None and sunset_at <= seen.facts.now:
        return _hit(
            f"the API's Sunset date {utc_text(sunset_at, 'seconds')} has passed (RFC 8594)",
            {"signal": "sunset_passed", "sunset_at": utc_text(sunset_at, "seconds")},
            cause=SuspensionCause.SUNSET,
        )
    return ()


def notice_id(kind: str, value: str) -> str:
    """A short, stable identifier of a deprecation notice, used to record it once."""
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:16]
    return f"{kind[:4]}-{digest}"


def _notice(kind: str, facts: dict[str, Any]) -> Hit:
    """A deprecation notice, identified by its kind and facts (the id is kept in history)."""
    ident = notice_id(kind, repr(sorted(facts.items())))
    return Hit(
        f"the API announced {facts['notice'].replace('_', ' ')}",
        {"notice_id": ident, **facts},
        once=ident,
    )


def _deprecation(seen: Seen) -> tuple[Hit, ...]:
    header = seen.headers.get("Deprecation")
    parsed = parse_deprecation(header) if header else None
    if parsed is not None:
        when = utc_text(parsed.at, "seconds") if parsed.at else "true"
        return (_notice("deprecation", {"notice": "deprecation", "deprecated_at": when}),)
    return ()


def _future_sunset(seen: Seen) -> tuple[Hit, ...]:
    sunset_at = seen.sunset_at
    if sunset_at is not None and sunset_at > seen.facts.now:
        return (
            _notice("sunset", {"notice": "sunset", "sunset_at": utc_text(sunset_at, "seconds")}),
        )
    return ()


def _link_notices(seen: Seen) -> tuple[Hit, ...]:
    header = seen.headers.get("Link")
    if not header:
        return ()
    notices: list[Hit] = []
    for item in parse_link_header(header):
        for rel in ("deprecation", "sunset"):
            if rel in item.rels:
                target = urllib.parse.urljoin(seen.response.url or "", item.target)
                facts = {f"link_{k}": v for k, v in url_evidence(target).items()}
                notices.append(_notice(f"link-{rel}", {"notice": f"link_{rel}", **facts}))
    return tuple(notices)


def _forbidden(seen: Seen) -> tuple[Hit, ...]:
    path = urllib.parse.urlsplit(seen.facts.url).path
    return _hit(
        "the API answered 403 Forbidden on a resource",
        {"signal": "forbidden"},
        once=repr((seen.facts.method, path)),
    )


def _mimecast_failure(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.mimecast and seen.fail_codes:
        codes = seen.fail_codes
        return _hit(
            f"the Mimecast API reported failure: {', '.join(c[:100] for c in codes)}",
            api_codes=codes,
        )
    return ()


def _contract_broken(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.contract is not None and seen.succeeded:
        problem = seen.contract_problem
        if problem is not None:
            return _hit(problem, {"signal": "contract", "problem": problem})
    return ()


def _contract_held(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.contract is not None and seen.succeeded and seen.contract_problem is None:
        return _hit("the response kept the contract")
    return ()


def _always(reason: str) -> Matcher:
    def match(_seen: Seen) -> tuple[Hit, ...]:
        return _hit(reason)

    return match


# --------------------------------------------------------------------------- table

_K = SignalKind

RULES: Final[tuple[Rule, ...]] = (
    # -- clause 1.1.1: revocation --------------------------------------------
    Rule(
        "invalid_token_after_fresh_token",
        _K.REVOKED,
        "1.1.1",
        "RFC 6750 section 3.1 (invalid_token), on a token issued moments before",
        _fresh_token_refused,
        frozenset({401}),
    ),
    Rule(
        "oauth_error",
        _K.REVOKED,
        "1.1.1",
        "RFC 6749 section 5.2 (OAUTH_REVOCATION_ERRORS)",
        _oauth_revocation,
        frozenset({400, 401}),
    ),
    Rule(
        "mimecast_status",
        _K.REVOKED,
        "1.1.1",
        "Mimecast API 1.0 response codes (MIMECAST_REVOCATION_STATUS)",
        _mimecast_status,
        frozenset(MIMECAST_REVOCATION_STATUS),
    ),
    Rule(
        "mimecast_fail",
        _K.REVOKED,
        "1.1.1",
        "Mimecast API error codes (MIMECAST_REVOCATION_CODES), in any status",
        _mimecast_dead_codes,
    ),
    # -- clause 1.1.2: interoperability ------------------------------------------
    Rule(
        "gone",
        _K.SUSPENDED,
        "1.1.2",
        "RFC 9110 section 15.5.11 (410 Gone); cause SUNSET with a Sunset header (RFC 8594)",
        _gone,
        frozenset({410}),
    ),
    Rule("sunset_passed", _K.SUSPENDED, "1.1.2", "RFC 8594 (Sunset)", _sunset_passed),
    Rule("deprecation", _K.DEPRECATION_NOTICE, "1.1.2", "RFC 9745 (Deprecation)", _deprecation),
    Rule("sunset", _K.DEPRECATION_NOTICE, "1.1.2", "RFC 8594 (Sunset)", _future_sunset),
    Rule(
        "link",
        _K.DEPRECATION_NOTICE,
        "1.1.2",
        'RFC 9745 section 3, RFC 8594 section 6 (Link rel="deprecation" / "sunset"), RFC 8288',
        _link_notices,
    ),
    # -- suspicions -------------------------------------------------------------
    Rule(
        "forbidden",
        _K.SUSPECTED_REVOCATION,
        "1.1.1",
        "RFC 9110 section 15.5.4 (403 Forbidden)",
        _forbidden,
        frozenset({403}),
    ),
    # -- the API's own errors -----------------------------------------------------
    Rule(
        "mimecast_api_error",
        _K.API_ERROR,
        None,
        "Mimecast API fail array (any other code)",
        _mimecast_failure,
    ),
    # -- the session's contract (2xx only) -------------------------------------
    Rule("contract", _K.CONTRACT_FAILURE, "1.1.2", "the session's contract", _contract_broken),
    Rule(CONTRACT_HELD, _K.OK, None, "the session's contract", _contract_held),
    # -- transient answers (retried before the final response is classified) -----
    Rule(
        "rate_limited",
        _K.RATE_LIMITED,
        None,
        "RFC 6585 section 4 (429 Too Many Requests)",
        _always("the API is limiting the request rate (429)"),
        frozenset({429}),
    ),
    Rule(
        "transient",
        _K.TRANSIENT,
        None,
        "RFC 9110 sections 15.6.3 to 15.6.5 (502, 503, 504)",
        _always("the API or a gateway is temporarily unavailable"),
        frozenset({502, 503, 504}),
    ),
)
"""The signal table, in the order rows are tried (see the module docstring)."""

RETRY_STATUSES: Final = frozenset(
    status
    for rule in RULES
    if rule.kind in (SignalKind.RATE_LIMITED, SignalKind.TRANSIENT)
    for status in rule.statuses or ()
)
"""Statuses the retry loop retries: those of the rate-limited and transient rows."""

_RECORDED: Final = frozenset(
    {
        SignalKind.REVOKED,
        SignalKind.SUSPECTED_REVOCATION,
        SignalKind.SUSPENDED,
        SignalKind.DEPRECATION_NOTICE,
        SignalKind.CONTRACT_FAILURE,
    }
)

_TOKEN_BODY_LIMIT: Final = 16384


# ------------------------------------------------------------------ classification


_Plan = tuple[tuple[frozenset[int] | None, bool, Matcher, "Rule"], ...]


def _plan(rules: Iterable[Rule]) -> _Plan:
    """The rows as ``(statuses, noted, match, rule)``: what :func:`classify` reads per row."""
    return tuple((rule.statuses, rule.kind in NOTED_KINDS, rule.match, rule) for rule in rules)


_RULES_PLAN: Final = _plan(RULES)


def classify(response: requests.Response, facts: Facts, rules: Iterable[Rule] = RULES) -> Reading:
    """Read ``response`` against the signal table; pure (nothing is written or raised).

    Args:
        response: The final response to a governed request (after retries).
        facts: What the client knows about the request.
        rules: The table (:data:`RULES` unless a test passes another).

    Returns:
        The signals, noted ones first, then the one that decides; and
        whether the response issued an access token.
    """
    seen = Seen(response, facts)
    status = seen.status
    found: list[Signal] = []
    outcome = _OK
    for statuses, noted, match, rule in _RULES_PLAN if rules is RULES else _plan(rules):
        if statuses is not None and status not in statuses:
            continue
        if noted:
            for hit in match(seen):
                found.append(_signal(rule, hit, seen))
            continue
        hits = match(seen)
        if hits:  # the first deciding row that matches ends the reading
            outcome = _signal(rule, hits[0], seen)
            break
    found.append(outcome)
    if outcome.kind is SignalKind.REVOKED:
        return Reading(tuple(found))
    return Reading(tuple(found), _token_issued(seen))


def _signal(rule: Rule, hit: Hit, seen: Seen) -> Signal:
    evidence: Mapping[str, Any] = {}
    if rule.kind in _RECORDED:
        facts = seen.facts
        evidence = response_evidence(
            seen.response,
            method=facts.method,
            url=facts.url,
            secret_headers=facts.secret_headers,
            **hit.facts,
        )
    return Signal(
        rule.kind,
        rule.code,
        hit.reason,
        rule.clause,
        evidence,
        hit.cause,
        hit.once,
        hit.api_codes,
    )


def _token_issued(seen: Seen) -> bool | None:
    """Whether a ``2xx`` response issued an access token (``None``: not a ``2xx``)."""
    if not seen.succeeded:
        return None
    if seen.facts.method != "POST" or "json" not in seen.headers.get("Content-Type", "").lower():
        return False
    small = seen.body_read or len(seen.response.content) < _TOKEN_BODY_LIMIT
    body = seen.body if small else None
    return isinstance(body, Mapping) and "access_token" in body


def classify_token_error(error: TokenEndpointError) -> Signal | None:
    """The signal in a token endpoint's refusal: a revocation for a revocation code.

    The refusal of a token request made by the session's own OAuth client
    (the response is gone; :class:`~hf_api_governance.TokenEndpointError`
    carries its status, ``error`` and evidence).

    Returns:
        A :attr:`SignalKind.REVOKED` signal, or ``None`` (the refusal stands as it is).
    """
    code = error.error
    if code is None or (
        code not in OAUTH_REVOCATION_ERRORS and code not in MIMECAST_REVOCATION_CODES
    ):
        return None
    return Signal(
        SignalKind.REVOKED,
        "oauth_error",
        f"the token endpoint answered {code} (RFC 6749 section 5.2)",
        "1.1.1",
        {**error.evidence, "signal": "oauth_error"},
    )


def contract_problem(contract: Contract | None, response: requests.Response) -> str | None:
    """Check ``response`` against a contract; return the problem, or ``None`` if it holds.

    A callable contract returns ``True`` (holds), ``False`` or a non-empty
    string (broken, with that reason). A mapping is a minimal JSON shape:
    the body must be an object holding each key with a value of that type.
    """
    if contract is None:
        return None
    if callable(contract):
        try:
            verdict = contract(response)
        except Exception as exc:  # a broken check counts as a broken contract
            return f"the contract check raised {type(exc).__name__}"
        if verdict is True:
            return None
        return verdict if isinstance(verdict, str) and verdict else "the contract check failed"
    body = json_body(response)
    if not isinstance(body, Mapping):
        return "the body is not a JSON object"
    for key, kind in contract.items():
        if key not in body:
            return f"member {key!r} is missing"
        if not isinstance(body[key], kind):
            return f"member {key!r} has the wrong type"
    return None
