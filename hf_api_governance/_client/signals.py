"""Signals: what a response tells about an integration, as a pure classification.

:func:`classify` maps a response and what the client knows about the request
(:class:`Facts`, the vendor's :class:`~.profiles.SignalProfile` among them)
to a :class:`Reading`: the :class:`Signal` values the response carries, in
the order the governor applies them (record, confirm, raise, retry:
:mod:`hf_api_governance._client.governor`). Nothing here writes, sends or
raises a signal; every signal is a frozen, secret-free value.

The decisions are one table, :data:`RULES`: rows of *(code, kind, clause,
source, statuses, matcher)*, tried in order. A row whose kind is *noted*
(:data:`NOTED_KINDS`: deprecation notices, a 403's suspicion) adds its
signals and the reading goes on; the first row of any other kind decides the
reading and ends it; a response no deciding row matches is :attr:`SignalKind.OK`.
What differs from one vendor to another (codes, statuses, token endpoints)
is not a row but data in the integration's profile, which the rows read.

Revocation is decided by the authority: only the token endpoint's own
refusal with a revocation code is :attr:`SignalKind.REVOKED` outright.
Everything else that looks like a revocation is
:attr:`SignalKind.UNCONFIRMED_REVOCATION`, which the governor confirms once
(:mod:`.confirm`) before anything is recorded as revoked.

The values it produces (:class:`Signal`, :class:`Reading`, :class:`Facts`)
live in :mod:`.readings` and are re-exported here. The module is long on
purpose: one short matcher per row, the table and :func:`classify` are read
together (a row is its matcher), and splitting them would scatter one table
over several files.
"""

from __future__ import annotations

import hashlib
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, Final

import attrs
import requests
from requests.structures import CaseInsensitiveDict

from hf_api_governance._base.clock import utc_text
from hf_api_governance._client.evidence import response_evidence, url_evidence
from hf_api_governance._client.parse import (
    bearer_error,
    body_codes,
    json_body,
    parse_date_value,
    parse_deprecation,
    parse_link_header,
)
from hf_api_governance._client.ports import Contract
from hf_api_governance._client.profiles import STATIC_KEY, SignalProfile
from hf_api_governance._client.readings import (
    BEARER_REVOCATION_ERROR,
    CONTRACT_HELD,
    NO_SIGNAL,
    NOTED_KINDS,
    OAUTH_REVOCATION_ERRORS,
    PLAIN_READING,
    REPEAT_CONFIRMS,
    Facts,
    Reading,
    Signal,
    SignalKind,
)
from hf_api_governance._confidential.evidence import safe_text
from hf_api_governance._model.values import SuspensionCause
from hf_api_governance.exceptions import TokenEndpointError, TransportError

__all__ = [
    "BEARER_REVOCATION_ERROR",
    "CONTRACT_HELD",
    "NOTED_KINDS",
    "OAUTH_REVOCATION_ERRORS",
    "REPEAT_CONFIRMS",
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
    "notice_id",
    "plain_answer",
]


def _content(response: requests.Response) -> bytes:
    """The body as bytes (an unread or broken body: none)."""
    try:
        content = response.content
    except Exception:  # a broken stream: json_body reads it as "not JSON" too
        return b""
    return content if isinstance(content, bytes) else b""


def plain_answer(
    response: requests.Response,
    method: str,
    profile: SignalProfile,
    contract: object,
    *,
    streamed: bool = False,
) -> bool:
    """Whether an answer carries no signal, read without parsing its body: the fast path.

    A ``2xx`` to anything but a ``POST`` (a token request is a ``POST``),
    without ``Deprecation``, ``Sunset`` or ``Link``, without a contract, for
    a profile whose successful bodies carry no signal; for one that reads a
    ``fail`` array, also a body that may not be read (streamed, or larger
    than the profile's ``success_body_limit``) or that holds neither the
    text ``"code"`` nor ``"error"`` (an ordinary answer's ``"fail": []``).
    """
    if not (200 <= response.status_code < 300 and method != "POST" and contract is None):
        return False
    headers = response.headers
    if type(headers) is CaseInsensitiveDict:
        # requests' own mapping keeps its keys lower-cased in ``_store``: one set
        # operation instead of three case-folding look-ups through Mapping.
        store = headers._store  # type: ignore[attr-defined]
        if not _NOTICE_KEYS.isdisjoint(store):
            return False
    elif any(name in headers for name in _NOTICE_HEADERS):
        return False
    if not profile.fail_array or streamed:
        return True
    content = _content(response)
    return len(content) > profile.success_body_limit or (
        b'"code"' not in content and b'"error"' not in content
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
    def content(self) -> bytes:
        """The body the table may read, as bytes; empty when it may not.

        Never a streamed body (the caller's to read), and never a ``2xx``
        body larger than the profile's
        :attr:`~.profiles.SignalProfile.success_body_limit`; an error
        status's body is read up to :data:`~.parse.MAX_JSON_BYTES`.
        """
        if self.facts.streamed:
            return b""
        content = _content(self.response)
        if self.succeeded and len(content) > self.facts.profile.success_body_limit:
            return b""
        return content

    @cached_property
    def body(self) -> Any:
        """The decoded JSON body, or ``None`` (see :func:`~.parse.json_body`, :attr:`content`)."""
        self.body_read = True
        return json_body(self.response) if self.content else None

    @cached_property
    def sunset_at(self) -> datetime | None:
        """The ``Sunset`` header as an instant, if it holds a date in any form in use."""
        header = self.headers.get("Sunset")
        return parse_date_value(header) if header else None

    @cached_property
    def codes(self) -> tuple[str, ...]:
        """The error codes of the body the profile reads.

        The ``fail`` array's (any status; a Mimecast profile), and the OAuth
        ``error`` (from the token endpoint in any status, from a resource in
        a ``4xx``).
        """
        profile = self.facts.profile
        oauth = profile.oauth_errors and (self.facts.token_endpoint or 400 <= self.status < 500)
        if oauth:
            return body_codes(self.body, oauth=True, fail=profile.fail_array)
        return self.fail_codes if profile.fail_array else ()

    @cached_property
    def fail_codes(self) -> tuple[str, ...]:
        """The codes of a Mimecast ``fail`` array, in either shape.

        A body without the text ``"code"`` holds none: it is not parsed for
        them (an ordinary answer's ``"fail": []``).
        """
        if not self.body_read and b'"code"' not in self.content:
            return ()
        return body_codes(self.body, oauth=False, fail=True)

    @cached_property
    def contract_problem(self) -> str | None:
        """What broke the contract (secret-free), or ``None`` if it holds."""
        contract = self.facts.contract
        if self.facts.streamed and not callable(contract):
            return None  # a JSON shape is not checked on a streamed body (the caller's)
        problem = contract_problem(contract, self.response)
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
        api_codes: The API's own error codes.
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
        source: The specification or documentation that says so (the
            profile's own sources for the rows that read it).
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


def _shown(codes: Iterable[str]) -> str:
    return ", ".join(safe_text(c, 100) for c in codes)


def _token_revocation(seen: Seen) -> tuple[Hit, ...]:
    if not seen.facts.token_endpoint or seen.succeeded:
        return ()
    dead = [c for c in seen.codes if c in seen.facts.profile.token_revocation_codes]
    if dead:
        return _hit(
            f"the token endpoint refused the client credential: {_shown(dead[:1])}",
            {"error": safe_text(dead[0], 100), "profile": seen.facts.profile.name},
            api_codes=seen.codes,
        )
    return ()


def _profile_hit(seen: Seen, reason: str) -> tuple[Hit, ...]:
    """A hit naming only the profile, with the answer's codes."""
    return _hit(reason, {"profile": seen.facts.profile.name}, api_codes=seen.codes)


def _token_refusal(seen: Seen) -> tuple[Hit, ...]:
    facts = seen.facts
    if not facts.token_endpoint or seen.status not in facts.profile.token_refusal_statuses:
        return ()
    return _profile_hit(
        seen, f"the token endpoint answered {seen.status} without a revocation code"
    )


def _fresh_token_refused(seen: Seen) -> tuple[Hit, ...]:
    facts = seen.facts
    if facts.token_endpoint or not facts.fresh_token:
        return ()
    challenge = seen.headers.get("WWW-Authenticate")
    if challenge and bearer_error(challenge) == BEARER_REVOCATION_ERROR:
        return _hit(
            "the API refused a freshly issued access token (RFC 6750 invalid_token)",
            {"profile": facts.profile.name},
        )
    return ()


def _expired_after_refresh(seen: Seen) -> tuple[Hit, ...]:
    facts = seen.facts
    if facts.token_endpoint or not facts.fresh_token:
        return ()
    expired = [c for c in seen.codes if c in facts.profile.expiry_codes]
    if expired:
        return _hit(
            f"the API called a freshly issued access token expired: {_shown(expired[:1])}",
            {"error": safe_text(expired[0], 100), "profile": facts.profile.name},
            api_codes=seen.codes,
        )
    return ()


def _revocation_code(seen: Seen) -> tuple[Hit, ...]:
    facts = seen.facts
    if facts.token_endpoint:
        return ()
    dead = [c for c in seen.codes if c in facts.profile.revocation_codes]
    if dead:
        return _hit(
            f"the API answered {_shown(dead[:1])}",
            {"codes": [safe_text(c, 100) for c in dead[:10]], "profile": facts.profile.name},
            api_codes=seen.codes,
        )
    return ()


def _revocation_status(seen: Seen) -> tuple[Hit, ...]:
    facts = seen.facts
    source = facts.profile.revocation_statuses.get(seen.status)
    if source is None or facts.token_endpoint:
        return ()
    return _profile_hit(
        seen, f"the API answered {seen.status} ({facts.profile.title}: {source[:120]})"
    )


def _token_expired(seen: Seen) -> tuple[Hit, ...]:
    expired = [c for c in seen.codes if c in seen.facts.profile.expiry_codes]
    if expired:
        return _hit(f"the access token expired: {_shown(expired[:1])}", api_codes=seen.codes)
    return ()


def _gone(seen: Seen) -> tuple[Hit, ...]:
    sunset_at = seen.sunset_at
    return _hit(
        "the API answered 410 Gone",
        {**({"sunset_at": utc_text(sunset_at, "seconds")} if sunset_at else {})},
        cause=SuspensionCause.SUNSET if seen.headers.get("Sunset") else SuspensionCause.API_CHANGED,
    )


def _sunset_passed(seen: Seen) -> tuple[Hit, ...]:
    sunset_at = seen.sunset_at
    if sunset_at is not None and sunset_at <= seen.facts.now:
        return _hit(
            f"the API's Sunset date {utc_text(sunset_at, 'seconds')} has passed (RFC 8594)",
            {"sunset_at": utc_text(sunset_at, "seconds")},
            cause=SuspensionCause.SUNSET,
        )
    return ()


def notice_id(kind: str, value: str) -> str:
    """A short, stable identifier of a deprecation notice, used to record it once."""
    digest = hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()[:16]
    return f"{kind[:4]}-{digest}"


_RAW_CHARS: Final = 100


def _raw(value: str) -> str:
    """A header value that could not be parsed, as a notice keeps it: scrubbed and bounded."""
    return safe_text(value.strip(), _RAW_CHARS)


def _announcement(seen: Seen) -> tuple[Hit, ...]:
    """One notice for everything one response announces (Deprecation, future Sunset, Link)."""
    headers = seen.headers
    deprecation = headers.get("Deprecation")
    sunset = headers.get("Sunset")
    link = headers.get("Link")
    if not (deprecation or sunset or link):
        return ()
    parts: list[str] = []  # what is announced, in order: deprecation, sunset, link-...
    facts: dict[str, Any] = {}
    if deprecation:
        parsed = parse_deprecation(deprecation)
        parts.append("deprecation")
        if parsed is None:
            facts["deprecation_unparsed"] = _raw(deprecation)
        else:
            facts["deprecated_at"] = utc_text(parsed.at, "seconds") if parsed.at else "true"
    if sunset:
        sunset_at = seen.sunset_at
        if sunset_at is None:
            parts.append("sunset")
            facts["sunset_unparsed"] = _raw(sunset)
        elif sunset_at > seen.facts.now:
            parts.append("sunset")
            facts["sunset_at"] = utc_text(sunset_at, "seconds")
    if link:
        for item in parse_link_header(link):
            rel = next((r for r in ("deprecation", "sunset") if r in item.rels), None)
            if rel is None or f"link-{rel}" in parts:
                continue
            parts.append(f"link-{rel}")
            target = urllib.parse.urljoin(seen.response.url or "", item.target)
            facts.update({f"link_{k}": v for k, v in url_evidence(target).items()})
    if not parts:
        return ()
    kind = parts[0]
    notice = kind.replace("-", "_")
    unparsed = "deprecation_unparsed" in facts or "sunset_unparsed" in facts
    facts = {"notice": notice, **facts}
    if len(parts) > 1:
        facts["announces"] = [p.replace("-", "_") for p in parts]
    ident = notice_id(kind, repr(sorted(facts.items())))
    what = " and ".join(p.replace("-", " ") for p in parts)
    reason = f"the API announced {what}" + (
        " in a form that could not be read (kept as it was sent)" if unparsed else ""
    )
    return (Hit(reason, {"notice_id": ident, **facts}, once=ident),)


def _forbidden(seen: Seen) -> tuple[Hit, ...]:
    path = urllib.parse.urlsplit(seen.facts.url).path
    return _hit(
        "the API answered 403 Forbidden on a resource",
        once=notice_id("forbidden", repr((seen.facts.method, path))),  # the path may hold a key
    )


def _api_error(seen: Seen) -> tuple[Hit, ...]:
    if not seen.facts.profile.fail_array:
        return ()
    codes = seen.fail_codes
    if codes:
        return _hit(f"the API reported failure: {_shown(codes)}", api_codes=codes)
    return ()


def _contract_broken(seen: Seen) -> tuple[Hit, ...]:
    if seen.facts.contract is not None and seen.succeeded:
        problem = seen.contract_problem
        if problem is not None:
            return _hit(problem, {"problem": problem})
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
_PROFILE: Final = "the integration's signal profile"

RULES: Final[tuple[Rule, ...]] = (
    # -- clause 1.1.1: the authority's own word -----------------------------------
    Rule(
        "token_revocation",
        _K.REVOKED,
        "1.1.1",
        f"RFC 6749 section 5.2; {_PROFILE} (token_revocation_codes)",
        _token_revocation,
    ),
    # -- clause 1.1.1: suspicions, each confirmed once before anything is revoked ---
    Rule(
        "token_refusal",
        _K.UNCONFIRMED_REVOCATION,
        "1.1.1",
        f"RFC 6749 section 5.2 (401 from the token endpoint); {_PROFILE} (token_refusal_statuses)",
        _token_refusal,
    ),
    Rule(
        "invalid_token_after_fresh_token",
        _K.UNCONFIRMED_REVOCATION,
        "1.1.1",
        "RFC 6750 section 3.1 (invalid_token), on a token issued moments before",
        _fresh_token_refused,
        frozenset({401}),
    ),
    Rule(
        "expired_after_fresh_token",
        _K.UNCONFIRMED_REVOCATION,
        "1.1.1",
        f"{_PROFILE} (expiry_codes), on a token issued moments before",
        _expired_after_refresh,
    ),
    Rule(
        "revocation_code",
        _K.UNCONFIRMED_REVOCATION,
        "1.1.1",
        f"{_PROFILE} (revocation_codes), in any status",
        _revocation_code,
    ),
    Rule(
        "revocation_status",
        _K.UNCONFIRMED_REVOCATION,
        "1.1.1",
        f"{_PROFILE} (revocation_statuses)",
        _revocation_status,
    ),
    Rule(
        "token_expired",
        _K.TOKEN_EXPIRED,
        None,
        f"{_PROFILE} (expiry_codes)",
        _token_expired,
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
    Rule(
        "announcement",
        _K.DEPRECATION_NOTICE,
        "1.1.2",
        'RFC 9745 (Deprecation), RFC 8594 (Sunset), Link rel="deprecation" / "sunset" '
        "(RFC 9745 section 3, RFC 8594 section 6, RFC 8288): one notice per response",
        _announcement,
    ),
    # -- suspicions that are only noted ------------------------------------------------
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
        "api_error",
        _K.API_ERROR,
        None,
        f"Mimecast fail array, any other code ({_PROFILE}: fail_array)",
        _api_error,
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
        SignalKind.UNCONFIRMED_REVOCATION,
        SignalKind.SUSPECTED_REVOCATION,
        SignalKind.SUSPENDED,
        SignalKind.DEPRECATION_NOTICE,
        SignalKind.CONTRACT_FAILURE,
    }
)

_TOKEN_BODY_LIMIT: Final = 16384
_NOTICE_HEADERS: Final = ("Deprecation", "Sunset", "Link")
_NOTICE_KEYS: Final = frozenset(name.lower() for name in _NOTICE_HEADERS)


# ------------------------------------------------------------------ classification


_Plan = tuple[tuple[frozenset[int] | None, bool, Matcher, "Rule"], ...]


def _plan(rules: Iterable[Rule]) -> _Plan:
    """The rows as ``(statuses, noted, match, rule)``: what :func:`classify` reads per row."""
    return tuple((rule.statuses, rule.kind in NOTED_KINDS, rule.match, rule) for rule in rules)


_RULES_PLAN: Final = _plan(RULES)


def classify(response: requests.Response, facts: Facts, rules: Iterable[Rule] = RULES) -> Reading:
    """Read ``response`` against the signal table; pure (nothing is written or recorded).

    A plain ``2xx`` without signal headers, for a profile whose successful
    bodies carry no signal and without a contract, is read without touching
    the body (the fast path every ordinary call takes).

    Args:
        response: The final response to a governed request (after retries).
        facts: What the client knows about the request.
        rules: The table (:data:`RULES` unless a test passes another).

    Returns:
        The signals, noted ones first, then the one that decides; and
        whether the response issued an access token.

    Raises:
        TransportError: The response could not be read at all (only the
            failure's type name is kept); never any other exception.
    """
    failure = ""
    try:
        return _classify(response, facts, rules)
    except Exception as exc:  # a hostile answer must not surface as a raw exception
        failure = type(exc).__name__
    raise TransportError(
        f"{facts.method[:16]} answered {response.status_code}, which could not be read ({failure})"
    )


def _classify(response: requests.Response, facts: Facts, rules: Iterable[Rule]) -> Reading:
    status = response.status_code
    if (
        rules is RULES
        and not facts.token_endpoint
        and plain_answer(
            response, facts.method, facts.profile, facts.contract, streamed=facts.streamed
        )
    ):
        return PLAIN_READING
    seen = Seen(response, facts)
    found: list[Signal] = []
    outcome = NO_SIGNAL
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
    if outcome.kind in (SignalKind.REVOKED, SignalKind.UNCONFIRMED_REVOCATION):
        return Reading(tuple(found))
    return Reading(tuple(found), _token_issued(seen))


def _signal(rule: Rule, hit: Hit, seen: Seen) -> Signal:
    evidence: Mapping[str, Any] = {}
    if rule.kind in _RECORDED:
        facts = seen.facts
        row = {} if rule.kind is SignalKind.DEPRECATION_NOTICE else {"signal": rule.code}
        evidence = response_evidence(
            seen.response,
            method=facts.method,
            url=facts.url,
            secret_headers=facts.secret_headers,
            **row,
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
    if seen.facts.streamed:
        return False  # a streamed body is the caller's: not read for a token
    small = seen.body_read or len(seen.response.content) < _TOKEN_BODY_LIMIT
    body = seen.body if small else None
    return isinstance(body, Mapping) and "access_token" in body


def classify_token_error(
    error: TokenEndpointError, profile: SignalProfile = STATIC_KEY
) -> Signal | None:
    """The signal in the refusal of a token request the session's own OAuth client made.

    (The response is gone; :class:`~hf_api_governance.TokenEndpointError`
    carries its status, code and evidence.)

    Returns:
        :attr:`SignalKind.REVOKED` for one of the profile's token revocation
        codes (or the RFC 6749 ones); :attr:`SignalKind.UNCONFIRMED_REVOCATION`
        for a refusal status of the profile without such a code (a 401 with an
        empty or plain-text body); ``None`` otherwise (the refusal stands as it is).
    """
    code = error.error
    revocation = {**OAUTH_REVOCATION_ERRORS, **profile.token_revocation_codes}
    if code is not None and code in revocation:
        kind, row = SignalKind.REVOKED, "token_revocation"
        reason = f"the token endpoint refused the client credential: {safe_text(code, 100)}"
    elif error.status in profile.token_refusal_statuses and code not in profile.expiry_codes:
        kind, row = SignalKind.UNCONFIRMED_REVOCATION, "token_refusal"
        reason = f"the token endpoint answered {error.status} without a revocation code"
    else:
        return None
    evidence = {**error.evidence, "signal": row, "profile": profile.name}
    return Signal(kind, row, reason, "1.1.1", evidence)


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
