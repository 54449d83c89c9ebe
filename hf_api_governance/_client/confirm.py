"""Confirmation: the authority's word on a suspected revocation, asked once.

A suspicion (:attr:`~.signals.SignalKind.UNCONFIRMED_REVOCATION`) is never
recorded as a revocation on its own. The governor asks once:

- the **token endpoint**, for an OAuth integration: the session's own OAuth
  client fetches a new token (:data:`TokenProbe`), or the request that last
  got a token for a vendor SDK is sent again, or, when the suspicious answer
  came from the token endpoint itself, that request is sent again;
- for a **static key**, what the vendor's profile defines
  (:class:`~.profiles.Confirmation`): the same request once more, re-signed
  when the session signs it; or nothing.

The answer is a :class:`Verdict`. Only :attr:`Outcome.CONFIRMED` revokes;
the functions here turn an answer into a verdict and never raise.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import requests

from hf_api_governance._client.profiles import SignalProfile
from hf_api_governance._client.signals import (
    REPEAT_CONFIRMS,
    Facts,
    SignalKind,
    classify,
    classify_token_error,
)
from hf_api_governance._confidential.evidence import safe_text
from hf_api_governance._model.values import Integration
from hf_api_governance.exceptions import GovernanceError, TokenEndpointError

if TYPE_CHECKING:
    from hf_api_governance._client.signals import Reading, Signal

__all__ = [
    "Outcome",
    "TokenProbe",
    "Verdict",
    "repeat_verdict",
    "replayable",
    "token_answer_verdict",
    "token_error_verdict",
]


class Outcome(enum.Enum):
    """What the authority answered when asked once."""

    CONFIRMED = "confirmed"
    """The credential is dead: a revocation is recorded."""
    CLEARED = "cleared"
    """The authority accepted the credential: nothing is revoked."""
    UNAVAILABLE = "unavailable"
    """The authority could not be asked, or gave no clear answer (a 5xx, a timeout)."""
    NOT_POSSIBLE = "not_possible"
    """Nothing can confirm (a static key of a profile without confirmation, a
    request that may not be repeated)."""


@attrs.frozen
class Verdict:
    """The answer to one confirmation, secret-free.

    Attributes:
        outcome: What it found.
        how: ``"token_endpoint"``, ``"repeat"`` or ``"none"``.
        detail: Why, in words (no secret, no URL query).
        status: The HTTP status of the confirming answer, if there was one.
        code: The error code in it, if any.
        response: For a repeat that cleared the suspicion: the repeated
            call's answer, which then stands for the call.
    """

    outcome: Outcome
    how: str
    detail: str
    status: int | None = None
    code: str | None = None
    response: requests.Response | None = attrs.field(default=None, eq=False, repr=False)

    def evidence(self) -> dict[str, Any]:
        """The verdict as evidence facts (``confirmation``, ``confirmed_by``...)."""
        facts: dict[str, Any] = {
            "confirmation": self.outcome.value,
            "confirmed_by": self.how,
            "confirmation_detail": safe_text(self.detail, 200),
        }
        if self.status is not None:
            facts["confirmation_status"] = self.status
        if self.code:
            facts["confirmation_code"] = safe_text(self.code, 100)
        return facts


TokenProbe = Callable[[Integration], "Verdict | None"]
"""Asks the token endpoint once for a new token (a session's own OAuth client);
``None`` when the integration has no such client."""


def replayable(request: requests.PreparedRequest) -> bool:
    """Whether ``request`` can be sent again as it is (its body is bytes, text or absent)."""
    return isinstance(request.body, bytes | str | type(None))


def _read(
    response: requests.Response, facts: Facts, source: str
) -> tuple[Reading, Signal, int, str | None] | Verdict:
    """Classify a confirming answer: the reading, its outcome, status and first code.

    An answer that cannot be read is a verdict already (the question stays open).
    """
    try:
        reading = classify(response, facts)
    except GovernanceError as exc:
        return Verdict(Outcome.UNAVAILABLE, source, f"unreadable answer ({exc})")
    outcome = reading.outcome
    return (
        reading,
        outcome,
        response.status_code,
        outcome.api_codes[0] if outcome.api_codes else None,
    )


def token_answer_verdict(response: requests.Response, facts: Facts) -> Verdict:
    """What a token endpoint's answer to a confirming token request says.

    ``facts`` describe that request (``token_endpoint=True``). A revocation
    code, or a second refusal status without one, confirms; an issued token
    clears; anything else leaves the question open.
    """
    read = _read(response, facts, "token_endpoint")
    if isinstance(read, Verdict):
        return read
    reading, outcome, status, code = read
    if outcome.kind is SignalKind.REVOKED:
        return Verdict(
            Outcome.CONFIRMED,
            "token_endpoint",
            "the token endpoint refused the credential",
            status,
            code,
        )
    if outcome.kind is SignalKind.UNCONFIRMED_REVOCATION and outcome.code == "token_refusal":
        return Verdict(
            Outcome.CONFIRMED,
            "token_endpoint",
            f"the token endpoint refused the credential ({status})",
            status,
            code,
        )
    if reading.token_issued:
        return Verdict(
            Outcome.CLEARED, "token_endpoint", "the token endpoint issued a token", status
        )
    return Verdict(
        Outcome.UNAVAILABLE, "token_endpoint", f"the token endpoint answered {status}", status, code
    )


def token_error_verdict(error: GovernanceError, profile: SignalProfile) -> Verdict:
    """What the refusal of a confirming token request by the session's OAuth client says."""
    if isinstance(error, TokenEndpointError):
        signal = classify_token_error(error, profile)
        if signal is not None:
            return Verdict(
                Outcome.CONFIRMED,
                "token_endpoint",
                f"the token endpoint refused the credential ({error.status})",
                error.status,
                error.error,
            )
        return Verdict(
            Outcome.UNAVAILABLE,
            "token_endpoint",
            f"the token endpoint answered {error.status}",
            error.status,
            error.error,
        )
    return Verdict(
        Outcome.UNAVAILABLE, "token_endpoint", f"the token endpoint could not be reached: {error}"
    )


def repeat_verdict(response: requests.Response, facts: Facts) -> Verdict:
    """What the answer to the same request, sent once more, says about a static key.

    The same revocation code or status again confirms; a ``2xx`` clears (and
    stands for the call); anything else leaves the question open.
    """
    read = _read(response, facts, "repeat")
    if isinstance(read, Verdict):
        return read
    _, outcome, status, code = read
    if outcome.kind is SignalKind.REVOKED or (
        outcome.kind is SignalKind.UNCONFIRMED_REVOCATION and outcome.code in REPEAT_CONFIRMS
    ):
        return Verdict(Outcome.CONFIRMED, "repeat", "the API answered the same again", status, code)
    if 200 <= status < 300:
        return Verdict(
            Outcome.CLEARED, "repeat", "the repeated request succeeded", status, response=response
        )
    return Verdict(
        Outcome.UNAVAILABLE, "repeat", f"the repeated request got {status}", status, code
    )
