"""Retries of transient HTTP faults, bounded in attempts and in time.

tenacity does the work; it stays an implementation detail (nothing here
exposes a tenacity type). What is retried:

- connection errors and timeouts (``requests.ConnectionError``, ``Timeout``);
- responses ``429``, ``502``, ``503`` and ``504`` (the statuses of the
  rate-limited and transient rows of the signal table,
  :data:`~hf_api_governance._client.signals.RETRY_STATUSES`);
- only for idempotent methods (``GET``, ``HEAD``, ``OPTIONS``, ``PUT``,
  ``DELETE``, ``TRACE``) unless :attr:`RetryPolicy.retry_non_idempotent`; a
  connection that could not even be opened (connect timeout) is retried for
  every method, since nothing was sent.

Waits follow ``Retry-After`` (seconds or an HTTP-date) when the server gives
one, else the profile's rate-limit reset header on a 429 (Mimecast's
``X-RateLimit-Reset``, in milliseconds), else exponential backoff with full
jitter; every wait is capped by
:attr:`RetryPolicy.max_wait`, and no wait starts that would end past
:attr:`RetryPolicy.total_timeout`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Final

import attrs
import requests
import tenacity

from hf_api_governance._client.parse import parse_decimal, parse_http_date
from hf_api_governance._client.profiles import RateLimitHeaders
from hf_api_governance._client.signals import RETRY_STATUSES
from hf_api_governance.exceptions import ValidationError

__all__ = ["RetryPolicy", "RetryStats"]

IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


MAX_ATTEMPTS: Final = 100
MAX_WAIT: Final = 3600.0
MAX_TOTAL_TIMEOUT: Final = 86400.0


def _positive(
    field: str, *, maximum: float, allow_zero: bool = False
) -> Callable[[object, object, float], None]:
    def check(_inst: object, _attr: object, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ValidationError(field, "must be a number")
        if value < 0 or (value == 0 and not allow_zero):
            raise ValidationError(field, "must be positive" if not allow_zero else "must be >= 0")
        if value > maximum:
            raise ValidationError(field, f"must be at most {maximum:g} seconds")

    return check


def _attempts(_inst: object, _attr: object, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise ValidationError("max_attempts", f"must be an integer from 1 to {MAX_ATTEMPTS}")


def _flag(_inst: object, _attr: object, value: bool) -> None:
    if not isinstance(value, bool):
        raise ValidationError("retry_non_idempotent", "must be a bool")


@attrs.frozen
class RetryPolicy:
    """How a governed client retries transient faults.

    Args:
        max_attempts: Attempts in all, the first included (1 disables retries;
            at most 100).
        base_wait: First backoff step in seconds; step ``n`` waits a random
            time up to ``base_wait * 2**n`` (full jitter). At most an hour.
        max_wait: Cap on every single wait, ``Retry-After`` included (at most
            an hour).
        total_timeout: No retry starts whose wait would end later than this
            many seconds after the first attempt (at most a day).
        retry_non_idempotent: Also retry ``POST`` and ``PATCH`` (Mimecast API
            1.0 uses ``POST`` for reads: set this for it).

    Raises:
        ValidationError: A value is out of range.
    """

    max_attempts: int = attrs.field(default=4, validator=_attempts)
    base_wait: float = attrs.field(
        default=0.5, validator=_positive("base_wait", maximum=MAX_WAIT, allow_zero=True)
    )
    max_wait: float = attrs.field(
        default=30.0, validator=_positive("max_wait", maximum=MAX_WAIT, allow_zero=True)
    )
    total_timeout: float = attrs.field(
        default=120.0, validator=_positive("total_timeout", maximum=MAX_TOTAL_TIMEOUT)
    )
    retry_non_idempotent: bool = attrs.field(default=False, validator=_flag)


@attrs.frozen
class RetryStats:
    """What the retry loop did for the last request of a governed client.

    Attributes:
        attempts: Attempts made (1 when the first one was final).
        total_wait: Seconds spent waiting between attempts.
        causes: Why each retry happened (``"503"``, ``"ConnectionError"``...).
    """

    attempts: int = 1
    total_wait: float = 0.0
    causes: tuple[str, ...] = ()


def retry_after_seconds(value: str, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date.

    Returns ``None`` when the value is neither (superscript digits, a sign,
    an absurdly long number); a date in the past gives 0.
    """
    seconds = parse_decimal(value)
    if seconds is not None:
        return seconds
    at = parse_http_date(value)
    if at is None:
        return None
    now = now or datetime.now(UTC)
    return max(0.0, (at - now).total_seconds())


def reset_seconds(value: str, unit: str, now: float | None = None) -> float | None:
    """A rate-limit reset header as seconds from now (``unit``: ``"ms"``, ``"s"``, ``"epoch"``)."""
    number = parse_decimal(value)
    if number is None:
        return None
    if unit == "ms":
        return number / 1000.0
    if unit == "epoch":
        return max(0.0, number - (time.time() if now is None else now))
    return number


def server_wait(
    response: requests.Response, *, rate_limit: RateLimitHeaders | None
) -> float | None:
    """The wait the server asked for, in seconds, or ``None``."""
    header = response.headers.get("Retry-After")
    if header is not None:
        seconds = retry_after_seconds(header)
        if seconds is not None:
            return seconds
    if rate_limit is not None and response.status_code == 429:
        reset = response.headers.get(rate_limit.reset)
        if reset is not None:
            return reset_seconds(reset, rate_limit.reset_unit)
    return None


def is_retryable_method(method: str, policy: RetryPolicy) -> bool:
    """Whether a request with ``method`` may be repeated under ``policy``."""
    return policy.retry_non_idempotent or method.upper() in IDEMPOTENT_METHODS


class RetriesExhausted(Exception):
    """Internal: the last attempt raised; carries it and the statistics."""

    def __init__(self, error: BaseException, stats: RetryStats) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.stats = stats


class _Transient(Exception):
    """Internal carrier: a retryable response or exception from one attempt."""

    def __init__(self, response: requests.Response | None, error: BaseException | None) -> None:
        self.response = response
        self.error = error


def cause_of(outcome: requests.Response | BaseException) -> str:
    """A short label for why an attempt is retried."""
    if isinstance(outcome, requests.Response):
        return str(outcome.status_code)
    return type(outcome).__name__


def should_retry(
    outcome: requests.Response | BaseException, method: str, policy: RetryPolicy
) -> bool:
    """Whether one attempt's outcome calls for another attempt."""
    if isinstance(outcome, requests.ConnectTimeout):
        return True  # nothing was sent
    if not is_retryable_method(method, policy):
        return False
    if isinstance(outcome, requests.Response):
        return outcome.status_code in RETRY_STATUSES
    return isinstance(outcome, requests.ConnectionError | requests.Timeout)


def run_retries(
    first: requests.Response | BaseException,
    attempt: Callable[[], requests.Response],
    *,
    method: str,
    policy: RetryPolicy,
    rate_limit: RateLimitHeaders | None,
    started: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[requests.Response, RetryStats]:
    """Retry after a first outcome that :func:`should_retry` accepted.

    The first attempt is made by the caller (the hot path never touches
    tenacity); this runs the rest.

    Args:
        first: The first attempt's response or exception.
        attempt: Makes one more attempt (it may raise).
        method: The HTTP method.
        policy: The bounds.
        rate_limit: The profile's rate-limit headers (their reset is honoured on a 429).
        started: ``time.monotonic()`` at the first attempt.
        sleep: How to wait (tests may pass a fake).

    Returns:
        The final response (possibly still a 503 when attempts ran out) and
        the statistics.

    Raises:
        RetriesExhausted: The last attempt raised (``.error``) a requests exception.
    """
    causes = [cause_of(first)]
    attempts = [1]
    waited = [0.0]
    last: list[requests.Response | BaseException] = [first]
    lock = threading.Lock()

    def wait(state: tenacity.RetryCallState) -> float:
        outcome = last[0]
        asked = (
            server_wait(outcome, rate_limit=rate_limit)
            if isinstance(outcome, requests.Response)
            else None
        )
        if asked is None:
            # full jitter: random in [0, base * 2**n], n = retries so far
            backoff = tenacity.wait_random_exponential(
                multiplier=policy.base_wait, max=policy.max_wait
            )
            asked = backoff(state)
        return max(0.0, min(asked, policy.max_wait))

    def stop(state: tenacity.RetryCallState) -> bool:
        if attempts[0] >= policy.max_attempts:
            return True
        upcoming = state.upcoming_sleep
        return (time.monotonic() - started) + upcoming > policy.total_timeout

    def before_sleep(state: tenacity.RetryCallState) -> None:
        with lock:
            waited[0] += state.upcoming_sleep
        previous = last[0]
        if isinstance(previous, requests.Response):
            previous.close()  # give the connection back before the next attempt

    def one() -> requests.Response:
        attempts[0] += 1
        try:
            response = attempt()
        except requests.RequestException as exc:
            outcome: requests.Response | BaseException = exc
        else:
            outcome = response
        last[0] = outcome
        if should_retry(outcome, method, policy):
            causes.append(cause_of(outcome))
            raise _Transient(
                outcome if isinstance(outcome, requests.Response) else None,
                None if isinstance(outcome, requests.Response) else outcome,
            )
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    # The first outcome counts as attempt 1 and was retryable: wait, then loop.
    retrying = tenacity.Retrying(
        stop=stop,
        wait=wait,
        retry=tenacity.retry_if_exception_type(_Transient),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    # tenacity starts with an attempt; emulate "first already made" by a
    # first call that re-raises the caller's outcome as transient.
    started_flag = [False]

    def call() -> requests.Response:
        if not started_flag[0]:
            started_flag[0] = True
            raise _Transient(
                first if isinstance(first, requests.Response) else None,
                None if isinstance(first, requests.Response) else first,
            )
        return one()

    try:
        response = retrying(call)
    except _Transient as final:
        if final.response is not None:
            return final.response, RetryStats(attempts[0], waited[0], tuple(causes))
        if final.error is None:  # pragma: no cover - one of the two is always set
            raise
        raise RetriesExhausted(
            final.error, RetryStats(attempts[0], waited[0], tuple(causes))
        ) from None
    except requests.RequestException as exc:  # a non-retryable failure on a later attempt
        raise RetriesExhausted(exc, RetryStats(attempts[0], waited[0], tuple(causes))) from None
    return response, RetryStats(attempts[0], waited[0], tuple(causes))
