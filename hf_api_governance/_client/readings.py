"""The values of signal classification: what a response says, and what the client knows.

:class:`Signal` (one thing a response says, of a :class:`SignalKind`),
:class:`Reading` (every signal of one response, the deciding one last) and
:class:`Facts` (what the client knows about the request), with the generic
OAuth 2.0 and RFC 6750 tables they refer to. Frozen, secret-free values:
:mod:`.signals` produces them with its table of rows, :mod:`.confirm` and the
governor consume them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final

import attrs

from hf_api_governance._client.ports import Contract
from hf_api_governance._client.profiles import STATIC_KEY, SignalProfile
from hf_api_governance._model.values import ApiKind, SuspensionCause

__all__ = [
    "BEARER_REVOCATION_ERROR",
    "CONTRACT_HELD",
    "NOTED_KINDS",
    "NO_SIGNAL",
    "OAUTH_REVOCATION_ERRORS",
    "PLAIN_READING",
    "REPEAT_CONFIRMS",
    "Facts",
    "Reading",
    "Signal",
    "SignalKind",
]

# ------------------------------------------------------------------ signal tables

OAUTH_REVOCATION_ERRORS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "invalid_client": (
            "RFC 6749 section 5.2: client authentication failed (unknown client, no client "
            "authentication included, or unsupported authentication method)"
        ),
        "unauthorized_client": (
            "RFC 6749 section 5.2: the authenticated client is not authorized to use this "
            "authorization grant type"
        ),
    }
)
"""The RFC 6749 token endpoint ``error`` codes that mean the client credential is dead.

Each profile lists the codes it honours (:mod:`.profiles`); these are the
generic OAuth 2.0 ones."""

BEARER_REVOCATION_ERROR: Final = "invalid_token"
"""RFC 6750 section 3.1: the access token is expired, revoked, malformed or invalid.

A suspicion when it answers a token fetched moments before (a single 401
that one refresh cures is an ordinary expiry)."""

REPEAT_CONFIRMS: Final = frozenset({"revocation_code", "revocation_status"})
"""Rows whose answer, given again to the same request sent once more, confirm a revocation."""


# ------------------------------------------------------------------------- values


class SignalKind(enum.Enum):
    """What a response means for the integration, and so what the governor does with it."""

    REVOKED = "revoked"
    """Clause 1.1.1: the authority said the credential is dead (the token
    endpoint refused it with a revocation code). Recorded (``Registry.revoke``),
    the credential is never sent again, :class:`~hf_api_governance.CredentialRevoked`."""
    UNCONFIRMED_REVOCATION = "unconfirmed_revocation"
    """Clause 1.1.1: the answer suggests a revocation. The governor asks the
    authority once (the token endpoint, or what the profile defines for a
    static key): confirmed, it is a revocation; otherwise a ``SIGNAL_RECORDED``
    event and :class:`~hf_api_governance.RevocationSuspected`, nothing revoked."""
    TOKEN_EXPIRED = "token_expired"  # noqa: S105 - a signal kind, not a password
    """The access token expired (a profile's expiry code): the call stands, and
    the session's OAuth client fetches a new token and sends the request once
    more (an SDK refreshes its own)."""
    SUSPECTED_REVOCATION = "suspected_revocation"
    """Clause 1.1.1: a ``403`` on a resource, which may mean access was
    narrowed. Recorded once (``SIGNAL_RECORDED``) per method and path; the
    call stands."""
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
            limits, transient faults, expired tokens, OK).
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


NO_SIGNAL: Final = Signal(SignalKind.OK, "ok", "the response carries no signal")
"""The :attr:`SignalKind.OK` signal of a response no deciding row matched."""


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


PLAIN_READING: Final = Reading((NO_SIGNAL,), False)
"""The reading of a plain answer: no signal, no token issued."""


@attrs.frozen
class Facts:
    """What the client knows about a request when its response arrives.

    Attributes:
        kind: The integration's API kind.
        vendor: The integration's vendor.
        method: The request method.
        url: The request URL (kept out of ``repr``: its query may hold a key).
        fresh_token: Whether the request carried an access token issued
            moments before (by our OAuth client, or seen issued to an SDK).
        token_endpoint: Whether the request went to the integration's OAuth
            token endpoint (declared, or a path of its profile) rather than
            to a resource.
        now: The instant the response is judged at (``Sunset`` dates).
        contract: The session's response contract, if any.
        secret_headers: Lower-case names of the integration's own credential
            headers, scrubbed from evidence besides the usual ones.
        profile: The vendor's signal profile (:mod:`.profiles`).
        streamed: Whether the caller asked to stream the body
            (``stream=True``): the table never reads it then.
    """

    kind: ApiKind
    vendor: str
    method: str
    url: str = attrs.field(repr=False)
    fresh_token: bool
    token_endpoint: bool
    now: datetime
    contract: Contract | None = None
    secret_headers: frozenset[str] = frozenset()
    profile: SignalProfile = STATIC_KEY
    streamed: bool = False

    @property
    def mimecast(self) -> bool:
        """Whether the profile reads Mimecast ``fail`` arrays."""
        return self.profile.fail_array
