"""The governor: admission, sending and the application of signals, for one integration.

:class:`_Governor` is what :class:`~hf_api_governance.GovernedSession` and
:func:`~hf_api_governance.govern` share, one per integration:

1. *admit*: read the integration from the registry (fresh for every request,
   so another process's revocation is seen), refuse a foreign origin or plain
   http to a non-loopback host, ask the policy engine for a CALL decision and
   refuse a revoked credential entry: :class:`~hf_api_governance.AccessDenied`
   before any byte leaves the machine;
2. *send*, with bounded retries of transient faults (:mod:`.retry`);
3. *classify* the final response: :func:`.signals.classify`, a pure function
   of the response and what the governor knows (:class:`.signals.Facts`),
   says what it means: revocation (clause 1.1.1), interoperability (clause
   1.1.2), contract drift...;
4. *apply* that reading: registry events, exceptions, the governor's own
   memory (tokens seen, credentials seen revoked, contract failures in a
   row); and report every call to the optional ``recorder``.
"""

from __future__ import annotations

import enum
import functools
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Literal, NoReturn

import requests

from hf_api_governance._base.clock import Clock
from hf_api_governance._client.auth import FRESH_TOKEN_ATTR, TokenEndpointError
from hf_api_governance._client.evidence import bound_evidence, recorded_url
from hf_api_governance._client.options import SessionOptions
from hf_api_governance._client.origins import (
    Origin,
    credential_headers_of,
    is_token_endpoint,
    origin_of,
    own_origins,
    strip_credentials,
)
from hf_api_governance._client.ports import Transport
from hf_api_governance._client.retry import (
    RetriesExhausted,
    RetryStats,
    run_retries,
    should_retry,
)
from hf_api_governance._client.signals import (
    CONTRACT_HELD,
    Facts,
    Reading,
    Signal,
    SignalKind,
    classify,
    classify_token_error,
    is_mimecast,
)
from hf_api_governance._confidential.redact import redact_url
from hf_api_governance._model.rules import is_loopback_host
from hf_api_governance._model.values import (
    ApiKind,
    EventKind,
    Integration,
    IntegrationState,
    Revoker,
    SuspensionCause,
)
from hf_api_governance._policy import Action, Decision, Finding, Severity
from hf_api_governance.exceptions import (
    AccessDenied,
    ApiError,
    CredentialRevoked,
    IllegalTransition,
    InteroperabilitySuspended,
    TransportError,
)

__all__ = ["STATE_REFUSALS", "Refusal"]


# --------------------------------------------------------------------- refusals


class Refusal(enum.Enum):
    """The refusals the client decides itself: each a built-in finding code and its clause.

    This is the table of every finding the client produces; each code is in
    the policy engine's :data:`~hf_api_governance._policy.BUILTIN_CODES`
    (documented in ``docs/codes.md``) and means there what it means here.
    """

    FOREIGN_ORIGIN = ("FOREIGN_ORIGIN", "1.1.1")
    """The URL is not at the integration's origins (or cannot be read unambiguously)."""
    INSECURE_TRANSPORT = ("INSECURE_TRANSPORT", "1.1.3")
    """Plain http to a host that is not loopback."""
    CREDENTIAL_REVOKED = ("CREDENTIAL_REVOKED", "1.1.1")
    """The integration is REVOKED, or one of its credential entries was revoked."""
    INTEROP_SUSPENDED = ("INTEROP_SUSPENDED", "1.1.2")
    """The integration is SUSPENDED (or this session saw it suspended)."""
    NOT_ACTIVE = ("NOT_ACTIVE", "1.1")
    """The integration is PENDING (without an engine) or RETIRED."""

    def __init__(self, code: str, clause: str) -> None:
        self.code = code
        self.clause = clause


STATE_REFUSALS: Final[Mapping[IntegrationState, Refusal]] = MappingProxyType(
    {
        IntegrationState.PENDING: Refusal.NOT_ACTIVE,
        IntegrationState.REVOKED: Refusal.CREDENTIAL_REVOKED,
        IntegrationState.SUSPENDED: Refusal.INTEROP_SUSPENDED,
        IntegrationState.RETIRED: Refusal.NOT_ACTIVE,
    }
)
"""The refusal for each state other than ACTIVE."""


def _deny(refusal: Refusal, message: str, *, integration_id: str, at: datetime) -> AccessDenied:
    """An :class:`AccessDenied` for a refusal the client itself decided.

    The finding has the same shape as the policy engine's, and a code of its
    table, so callers handle one kind of decision.
    """
    finding = Finding(refusal.code, refusal.clause, Severity.DENY, message, integration_id)
    return AccessDenied(Decision(False, Action.CALL, integration_id, at, (finding,)))


class _Unsendable(requests.RequestException):
    """Internal: an attempt failed with an exception that is not requests' (only its name kept).

    http.client refusing to encode a header, a parser refusing a URL...: the
    original may hold a header value (a credential), so it is dropped.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _error_name(error: BaseException) -> str:
    return error.name if isinstance(error, _Unsendable) else type(error).__name__


def _attempt(
    adapter: Transport, request: requests.PreparedRequest, kwargs: dict[str, Any]
) -> requests.Response:
    """One ungoverned attempt; a non-requests failure becomes :class:`_Unsendable`."""
    name = ""
    try:
        return adapter.raw_send(request, kwargs)
    except requests.RequestException:
        raise
    except Exception as exc:
        name = type(exc).__name__
    raise _Unsendable(name)  # outside the except block: no __context__


_ONE_ATTEMPT: Final = RetryStats()  # frozen: shared by every request that needed no retry


# --------------------------------------------------------------------- governor


class _Governor:
    """Admission, signal inspection and recording for one integration.

    Args:
        options: The checked session options.
        sleep: How to wait between retries (tests may pass a fake).

    Raises:
        IntegrationNotFound: No integration ``options.integration_id``.
    """

    def __init__(
        self, options: SessionOptions, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.options = options
        # Read on every request: kept as attributes of their own.
        self.registry = registry = options.registry
        self.integration_id = integration_id = options.integration_id
        self.clock: Clock = options.clock
        self.sleep = sleep
        # One read per request: the registry's combined read where it has one.
        combined = getattr(registry, "get_for_call", None)
        self._read: Callable[[], tuple[Integration, frozenset[str]]] = (
            functools.partial(combined, integration_id)
            if callable(combined)
            else self._read_separately
        )
        integration = registry.get(integration_id)  # fails early on an unknown id
        self.origins = own_origins(integration)
        self.extra_headers = credential_headers_of(integration)
        self._last_read: Integration = integration
        self._lock = threading.Lock()
        self._noticed: set[str] = set()
        self._suspected: set[str] = set()
        self._contract_failed = 0
        self._token_seen = False
        self.last_retry_stats = RetryStats()
        # Signals this governor acted on, in memory, set *before* the registry is
        # asked to record them: if recording fails, this session still stops.
        self._dead: frozenset[str] | None = None  # credential entries seen revoked
        self._dead_reason = ""
        self._unrecorded_suspension: str | None = None  # a suspension the registry lacks

    def _read_separately(self) -> tuple[Integration, frozenset[str]]:
        integration = self.registry.get(self.integration_id)
        revoked = frozenset(
            name
            for name in integration.credential_entries
            if self.registry.is_credential_revoked(name)
        )
        return integration, revoked

    # -- 1. admission --------------------------------------------------------

    def _check_transport(self, origin: Origin) -> None:
        """Refuse plain http to anything but a loopback host (clause 1.1.3)."""
        if origin[0] != "https" and not is_loopback_host(origin[1]):
            raise _deny(
                Refusal.INSECURE_TRANSPORT,
                "plain http is only allowed to loopback hosts",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )

    def admit(self, method: str, url: str) -> Integration:
        """Return the integration if a call to ``url`` may go ahead.

        Raises:
            AccessDenied: Foreign origin, insecure transport, policy denial,
                revoked credential or a lifecycle state that forbids calls.
            IntegrationNotFound: The integration is no longer registered.
        """
        integration, revoked = self._read()
        if integration is not self._last_read:  # a new read (the registry keeps unchanged ones)
            self._last_read = integration  # its declaration may have changed: recompute
            self.origins = own_origins(integration)
            self.extra_headers = credential_headers_of(integration)
        origins = self.origins
        origin = origin_of(url)
        try:
            if origin is None or origin not in origins:
                raise _deny(
                    Refusal.FOREIGN_ORIGIN,
                    f"{redact_url(url)} is not the origin of integration "
                    f"{self.integration_id!r}; its credentials go only to "
                    f"{redact_url(integration.base_url)}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            self._check_transport(origin)
            if self._dead is not None or self._unrecorded_suspension is not None:
                self._refuse_seen_signal(integration)
            engine = self.options.engine
            if engine is not None:
                decision = engine.evaluate(integration, Action.CALL, at=self.clock.now())
                if not decision.allowed:
                    raise AccessDenied(decision)
            if integration.state is not IntegrationState.ACTIVE and (
                engine is None
                or integration.state
                in (IntegrationState.REVOKED, IntegrationState.SUSPENDED, IntegrationState.RETIRED)
            ):
                raise _deny(
                    STATE_REFUSALS[integration.state],
                    f"integration {self.integration_id!r} is {integration.state.value}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            if revoked:
                raise _deny(
                    Refusal.CREDENTIAL_REVOKED,
                    f"credential entry {min(revoked)!r} was revoked; replace it before calling",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
        except AccessDenied as denied:
            self._record_call(
                "call_denied",
                {"method": method, "url": recorded_url(url), "reason": str(denied)[:500]},
            )
            raise
        return integration

    def _refuse_seen_signal(self, integration: Integration) -> None:
        """Deny while a revocation or unrecorded suspension this governor saw stands."""
        dead = self._dead
        if dead is not None and (not dead or not dead.isdisjoint(integration.credential_entries)):
            raise _deny(
                Refusal.CREDENTIAL_REVOKED,
                f"this session saw the credential of integration {self.integration_id!r} "
                f"revoked ({self._dead_reason}); it is never sent again",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        if self._unrecorded_suspension is not None:
            raise _deny(
                Refusal.INTEROP_SUSPENDED,
                f"this session saw interoperability with integration {self.integration_id!r} "
                f"suspended ({self._unrecorded_suspension}) and could not record it; "
                "record it in the registry, then open a new session",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )

    def is_own(self, url: str) -> bool:
        """Whether ``url`` is at one of the integration's origins."""
        return origin_of(url) in self.origins

    def refuse_foreign(self, method: str, url: str) -> NoReturn:
        """Record and raise the refusal of a request whose URL left the admitted origins.

        Raises:
            AccessDenied: Always (code ``FOREIGN_ORIGIN``).
        """
        denied = _deny(
            Refusal.FOREIGN_ORIGIN,
            f"{recorded_url(url)} is not an origin of integration {self.integration_id!r} "
            "(or cannot be read unambiguously); nothing was sent",
            integration_id=self.integration_id,
            at=self.clock.now(),
        )
        self._record_call(
            "call_denied",
            {"method": method, "url": recorded_url(url), "reason": str(denied)[:500]},
        )
        raise denied

    def send_foreign(
        self,
        adapter: Transport,
        request: requests.PreparedRequest,
        kwargs: dict[str, Any],
        *,
        foreign: Literal["refuse", "strip"],
    ) -> requests.Response:
        """Send a request to another origin with every credential header removed, or refuse it.

        Raises:
            AccessDenied: ``foreign`` is ``"refuse"``, the URL cannot be read
                unambiguously, or it would use plain http to a non-loopback host.
            TransportError: The attempt failed (only the error's name is kept).
        """
        url = request.url or ""
        origin = origin_of(url)
        if foreign == "refuse" or origin is None:
            raise _deny(
                Refusal.FOREIGN_ORIGIN,
                f"{recorded_url(url)} is not an origin of integration "
                f"{self.integration_id!r}"
                + (" (it cannot be read unambiguously)" if origin is None else ""),
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        self._check_transport(origin)
        strip_credentials(request, self.extra_headers)
        name = ""
        try:
            return _attempt(adapter, request, kwargs)
        except _Unsendable as unsendable:
            name = unsendable.name
        raise TransportError(f"{request.method} {recorded_url(url)} failed: {name}")

    # -- 3. signals ---------------------------------------------------------------

    def facts(self, integration: Integration, request: requests.PreparedRequest) -> Facts:
        """What this governor knows about ``request`` (for :func:`~.signals.classify`)."""
        url = request.url or ""
        return Facts(
            kind=integration.kind,
            vendor=integration.vendor,
            mimecast=is_mimecast(integration),
            method=request.method or "?",
            url=url,
            fresh_token=bool(getattr(request, FRESH_TOKEN_ATTR, False)) or self._token_seen,
            token_endpoint=is_token_endpoint(url, integration),
            now=self.clock.now(),
            contract=self.options.contract,
            secret_headers=self.extra_headers,
        )

    def inspect(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
    ) -> None:
        """Classify ``response`` and apply what it says; return normally if the call stands.

        Raises:
            CredentialRevoked: The response shows the credential is dead.
            InteroperabilitySuspended: The API is gone or has changed.
            ApiError: A Mimecast ``fail`` array reported an error.
        """
        self.apply(integration, response, classify(response, self.facts(integration, request)))

    def apply(
        self, integration: Integration, response: requests.Response, reading: Reading
    ) -> None:
        """Apply a reading: remember token issuance, record, raise.

        Rate-limited and transient outcomes were already retried (the retry
        loop retries :data:`~.signals.RETRY_STATUSES`): the response stands.

        Raises:
            CredentialRevoked: A :attr:`~SignalKind.REVOKED` signal.
            InteroperabilitySuspended: A :attr:`~SignalKind.SUSPENDED` signal, or
                the last of ``contract_failures`` contract failures in a row.
            ApiError: An :attr:`~SignalKind.API_ERROR` signal.
        """
        if reading.token_issued is not None:
            self._token_seen = reading.token_issued
        signals = reading.signals
        if len(signals) > 1:
            self._record_notes(integration, signals[:-1])
        signal = signals[-1]
        kind = signal.kind
        if kind is SignalKind.OK:
            if signal.code == CONTRACT_HELD:
                with self._lock:
                    self._contract_failed = 0
        elif kind is SignalKind.REVOKED:
            response.close()
            self._revoked(integration, dict(signal.evidence), signal.reason)
        elif kind is SignalKind.SUSPENDED:
            cause = signal.cause or SuspensionCause.API_CHANGED  # every suspending row names one
            self._suspend(integration, response, cause, dict(signal.evidence), signal.reason)
        elif kind is SignalKind.API_ERROR:
            response.close()
            raise ApiError(
                self.integration_id,
                signal.reason,
                status=response.status_code,
                codes=signal.api_codes,
            )
        elif kind is SignalKind.CONTRACT_FAILURE:
            self._contract_broken(integration, response, signal)
        # RATE_LIMITED and TRANSIENT were retried already; they, and OK, leave the call standing.

    def _record_notes(self, integration: Integration, notes: tuple[Signal, ...]) -> None:
        """Record deprecation notices and suspicions, each once."""
        known: set[Any] | None = None
        for note in notes:
            if note.kind is SignalKind.DEPRECATION_NOTICE:
                if known is None:  # notices already in the history (any process's)
                    known = {
                        e.evidence.get("notice_id")
                        for e in integration.history
                        if e.kind is EventKind.DEPRECATION_NOTICED
                    }
                with self._lock:
                    if note.once in known or note.once in self._noticed:
                        continue
                    self._noticed.add(note.once or "")
                event = EventKind.DEPRECATION_NOTICED
            else:  # SUSPECTED_REVOCATION: once per method and path in this session
                with self._lock:
                    if note.once in self._suspected:
                        continue
                    self._suspected.add(note.once or "")
                event = EventKind.SIGNAL_RECORDED
            self.registry.record(
                self.integration_id,
                event,
                reason=note.reason,
                actor=self.options.actor,
                clause=note.clause,
                evidence=dict(note.evidence),
            )

    def _contract_broken(
        self, integration: Integration, response: requests.Response, signal: Signal
    ) -> None:
        """Count a contract failure; suspend at ``contract_failures`` in a row."""
        with self._lock:
            self._contract_failed += 1
            failed = self._contract_failed
        if failed >= self.options.contract_failures:
            with self._lock:
                self._contract_failed = 0
            self._suspend(
                integration,
                response,
                SuspensionCause.API_CHANGED,
                {**signal.evidence, "consecutive_failures": failed},
                f"{failed} consecutive responses broke the recorded contract: {signal.reason}",
            )

    # -- 4. recording -----------------------------------------------------------

    def _revoked(self, integration: Integration, evidence: dict[str, Any], reason: str) -> NoReturn:
        """Stop sending the credential, record the revocation, raise :class:`CredentialRevoked`.

        Always raises CredentialRevoked: when the registry cannot record the
        revocation (locked, unreachable, refusing the evidence), the failure
        is its ``__cause__`` and the message says so; this governor refuses
        the credential from now on all the same.
        """
        if self._dead is None:  # first: nothing below may stop this
            self._dead = frozenset(integration.credential_entries)
            self._dead_reason = reason
        evidence = bound_evidence(evidence)
        by = Revoker.MIMECAST if integration.kind is ApiKind.MIMECAST_API else Revoker.THIRD_PARTY
        failure: Exception | None = None
        try:
            self.registry.revoke(self.integration_id, by=by, reason=reason, evidence=evidence)
        except IllegalTransition:
            pass  # revoked meanwhile (another thread or process): same outcome
        except Exception as exc:
            failure = exc
        message = f"integration {self.integration_id!r}: {reason}; "
        if failure is None:
            raise CredentialRevoked(
                self.integration_id,
                message + "the credential is recorded as revoked and will not be sent again",
                evidence,
            ) from None
        raise CredentialRevoked(
            self.integration_id,
            message + f"the revocation could not be recorded in the registry "
            f"({type(failure).__name__}, see __cause__): this session never sends the "
            "credential again, but other sessions will until it is recorded "
            "(hf-gov revoke)",
            evidence,
        ) from failure

    def token_refused(self, integration: Integration, error: TokenEndpointError) -> NoReturn:
        """Turn a refused token request into a revocation when the code says so.

        Raises:
            CredentialRevoked: The error code is a revocation code.
            TokenEndpointError: Otherwise, unchanged.
        """
        signal = classify_token_error(error)
        if signal is not None:
            self._revoked(integration, dict(signal.evidence), signal.reason)
        raise error

    def _suspend(
        self,
        integration: Integration,
        response: requests.Response,
        cause: SuspensionCause,
        evidence: dict[str, Any],
        reason: str,
    ) -> NoReturn:
        """Record a suspension and raise :class:`InteroperabilitySuspended`.

        Always raises InteroperabilitySuspended; when the registry cannot
        record it, the failure is its ``__cause__`` and this governor makes
        no further call (the registry still shows the integration ACTIVE).
        """
        self._unrecorded_suspension = reason  # first: nothing below may stop this
        response.close()
        evidence = bound_evidence({**evidence, "cause": cause.value})
        failure: Exception | None = None
        try:
            try:
                self.registry.suspend(
                    self.integration_id,
                    cause=cause,
                    reason=reason,
                    evidence=evidence,
                    actor=self.options.actor,
                )
            except IllegalTransition:
                # Not ACTIVE (pending, or suspended meanwhile): keep the signal on record.
                if integration.state is not IntegrationState.SUSPENDED:
                    self.registry.record(
                        self.integration_id,
                        EventKind.SIGNAL_RECORDED,
                        reason=reason,
                        actor=self.options.actor,
                        clause="1.1.2",
                        evidence=evidence,
                    )
        except Exception as exc:
            failure = exc
        else:
            self._unrecorded_suspension = None  # the registry holds it: reinstatement is its call
        message = (
            f"integration {self.integration_id!r}: {reason}; interoperability is suspended "
            f"({cause.value})"
        )
        if failure is None:
            raise InteroperabilitySuspended(self.integration_id, message, evidence) from None
        raise InteroperabilitySuspended(
            self.integration_id,
            message + f"; the suspension could not be recorded in the registry "
            f"({type(failure).__name__}, see __cause__): this session makes no further call",
            evidence,
        ) from failure

    def _record_call(self, action: str, evidence: Mapping[str, Any]) -> None:
        if self.options.recorder is not None:
            self.options.recorder(action, {"integration_id": self.integration_id, **evidence})

    # -- 2. sending -----------------------------------------------------------------

    def send(
        self,
        adapter: Transport,
        integration: Integration,
        request: requests.PreparedRequest,
        kwargs: dict[str, Any],
    ) -> requests.Response:
        """Send with retries, record the call, inspect the response."""
        method = (request.method or "GET").upper()
        started = time.monotonic()
        clock_start = time.perf_counter()
        first: requests.Response | BaseException
        unsendable = ""
        try:
            first = adapter.raw_send(request, kwargs)
        except requests.RequestException as exc:
            first = exc
        except Exception as exc:  # http.client cannot encode a header...: keep only the name
            unsendable = type(exc).__name__
        if unsendable:
            first = _Unsendable(unsendable)
        stats = _ONE_ATTEMPT
        error: BaseException | None = None
        try:
            retry = self.options.retry
            if should_retry(first, method, retry) and retry.max_attempts > 1:

                def attempt() -> requests.Response:
                    nonlocal integration
                    integration = self.admit(method, request.url or "")
                    return _attempt(adapter, request, kwargs)

                response, stats = run_retries(
                    first,
                    attempt,
                    method=method,
                    policy=retry,
                    mimecast=is_mimecast(integration),
                    started=started,
                    sleep=self.sleep,
                )
            elif isinstance(first, BaseException):
                raise first
            else:
                response = first
        except RetriesExhausted as exhausted:
            stats, error = exhausted.stats, exhausted.error
        except requests.RequestException as exc:
            error = exc
        if error is not None:
            name = _error_name(error)
            del error, first  # their repr may show the URL's query: not kept in this frame
            self.last_retry_stats = stats
            self._record_call(
                "call_failed",
                {
                    "method": method,
                    "url": recorded_url(request.url or ""),
                    "error": name,
                    "attempts": stats.attempts,
                },
            )
            raise TransportError(
                f"{method} {recorded_url(request.url or '')} failed after {stats.attempts} "
                f"attempt(s): {name}"
            ) from None
        self.last_retry_stats = stats
        if self.options.recorder is not None:
            try:
                self._record_call(
                    "call_sent",
                    {
                        "method": method,
                        "url": recorded_url(request.url or ""),
                        "status": response.status_code,
                        "latency_ms": round((time.perf_counter() - clock_start) * 1000, 3),
                        "attempts": stats.attempts,
                    },
                )
            except BaseException:
                # The answer is read all the same: a revocation or suspension in it
                # is acted on (and raised, the recorder's failure as its context).
                self.inspect(integration, request, response)
                response.close()
                raise
        self.inspect(integration, request, response)
        return response
