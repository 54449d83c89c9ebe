"""The governor: admission, signals and recording for one integration.

:class:`_Governor` is what :class:`~hf_api_governance.GovernedSession` and
:func:`~hf_api_governance.govern` share, one per integration:

1. *admit*: read the integration from the registry (fresh for every request,
   so another process's revocation is seen), refuse a foreign origin or plain
   http to a non-loopback host, ask the policy engine for a CALL decision and
   refuse a revoked credential entry: :class:`~hf_api_governance.AccessDenied`
   before any byte leaves the machine;
2. *send*, with bounded retries of transient faults (:mod:`.retry`);
3. *inspect* the response for signals (:mod:`.signals`): revocation
   (clause 1.1.1), interoperability (clause 1.1.2), contract drift;
4. *record*: registry events for signals, the optional ``recorder`` for calls.
"""

from __future__ import annotations

import functools
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Literal, NoReturn

import requests

from hf_api_governance._base.clock import Clock
from hf_api_governance._client.auth import FRESH_TOKEN_ATTR, TokenEndpointError
from hf_api_governance._client.evidence import bound_evidence, recorded_url, safe_text, url_evidence
from hf_api_governance._client.options import SessionOptions
from hf_api_governance._client.origins import (
    credential_headers_of,
    origin_of,
    own_origins,
    strip_credentials,
)
from hf_api_governance._client.parse import (
    bearer_error,
    iso,
    json_body,
    mimecast_fail_codes,
    oauth_error,
    parse_deprecation,
    parse_http_date,
    parse_link_header,
)
from hf_api_governance._client.ports import Contract, Transport
from hf_api_governance._client.retry import (
    RetriesExhausted,
    RetryStats,
    run_retries,
    should_retry,
)
from hf_api_governance._client.signals import (
    BEARER_REVOCATION_ERROR,
    MIMECAST_REVOCATION_CODES,
    MIMECAST_REVOCATION_STATUS,
    OAUTH_REVOCATION_ERRORS,
    notice_id,
)
from hf_api_governance._confidential.redact import redact_url, scrub_headers
from hf_api_governance._model.values import (
    ApiKind,
    EventKind,
    Integration,
    IntegrationState,
    Revoker,
    SuspensionCause,
    is_loopback_host,
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

__all__ = ["contract_problem"]


def _deny(
    code: str, clause: str, message: str, *, integration_id: str, at: datetime
) -> AccessDenied:
    """An :class:`AccessDenied` for a refusal the client itself decided.

    Foreign origin, insecure transport, a dead credential: the finding has the
    same shape as the policy engine's, so callers handle one kind of decision.
    """
    finding = Finding(code, clause, Severity.DENY, message, integration_id)
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


def _is_mimecast(integration: Integration) -> bool:
    return integration.kind is ApiKind.MIMECAST_API or (
        integration.auth is not None and integration.auth.scheme == "mimecast_hmac_v1"
    )


_EVIDENCE_HEADERS: Final = (
    "WWW-Authenticate",
    "Sunset",
    "Deprecation",
    "Link",
    "Retry-After",
    "Content-Type",
)

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
        self._declared: tuple[str, Any] = (integration.base_url, integration.auth)
        self._last_read: Integration = integration
        self._lock = threading.Lock()
        self._noticed: set[str] = set()
        self._forbidden_seen: set[tuple[str, str]] = set()
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

    def admit(self, method: str, url: str) -> Integration:
        """Return the integration if a call to ``url`` may go ahead.

        Raises:
            AccessDenied: Foreign origin, insecure transport, policy denial,
                revoked credential or a lifecycle state that forbids calls.
            IntegrationNotFound: The integration is no longer registered.
        """
        integration, revoked = self._read()
        if integration is not self._last_read:  # a new read (the registry keeps unchanged ones)
            self._last_read = integration
            declared = (integration.base_url, integration.auth)
            if declared != self._declared:  # the declaration changed: recompute the origins
                self._declared = declared
            self.origins = own_origins(integration)
            self.extra_headers = credential_headers_of(integration)
        origins = self.origins
        origin = origin_of(url)
        try:
            if origin is None or origin not in origins:
                raise _deny(
                    "FOREIGN_ORIGIN",
                    "1.1.1",
                    f"{redact_url(url)} is not the origin of integration "
                    f"{self.integration_id!r}; its credentials go only to "
                    f"{redact_url(integration.base_url)}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            if origin[0] != "https" and not is_loopback_host(origin[1]):
                raise _deny(
                    "INSECURE_TRANSPORT",
                    "1.1.3",
                    "plain http is only allowed to loopback hosts",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
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
                    f"STATE_{integration.state.name}",
                    "1.1.1" if integration.state is IntegrationState.REVOKED else "1.1.2",
                    f"integration {self.integration_id!r} is {integration.state.value}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            if revoked:
                raise _deny(
                    "CREDENTIAL_REVOKED",
                    "1.1.1",
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
                "CREDENTIAL_REVOKED",
                "1.1.1",
                f"this session saw the credential of integration {self.integration_id!r} "
                f"revoked ({self._dead_reason}); it is never sent again",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        if self._unrecorded_suspension is not None:
            raise _deny(
                "INTEROP_SUSPENDED",
                "1.1.2",
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
            "FOREIGN_ORIGIN",
            "1.1.1",
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
                "FOREIGN_ORIGIN",
                "1.1.1",
                f"{recorded_url(url)} is not an origin of integration "
                f"{self.integration_id!r}"
                + (" (it cannot be read unambiguously)" if origin is None else ""),
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        if origin[0] != "https" and not is_loopback_host(origin[1]):
            raise _deny(
                "INSECURE_TRANSPORT",
                "1.1.3",
                "plain http is only allowed to loopback hosts",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        strip_credentials(request, self.extra_headers)
        name = ""
        try:
            return _attempt(adapter, request, kwargs)
        except _Unsendable as unsendable:
            name = unsendable.name
        raise TransportError(f"{request.method} {recorded_url(url)} failed: {name}")

    # -- 3. inspection ----------------------------------------------------------

    def _evidence(
        self, request: requests.PreparedRequest, response: requests.Response, **facts: Any
    ) -> dict[str, Any]:
        headers = scrub_headers(
            {h: response.headers[h] for h in _EVIDENCE_HEADERS if h in response.headers},
            extra=self.extra_headers,
        )
        return bound_evidence(
            {
                "status": response.status_code,
                "method": (request.method or "?")[:16],
                **url_evidence(request.url or ""),
                "headers": {k: safe_text(v, 100) for k, v in headers.items()},
                **facts,
            }
        )

    def inspect(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
    ) -> None:
        """Act on the signals in ``response``; return normally if the call stands.

        Raises:
            CredentialRevoked: The response shows the credential is dead.
            InteroperabilitySuspended: The API is gone or has changed.
            ApiError: A Mimecast ``fail`` array reported an error.
        """
        status = response.status_code
        headers = response.headers
        mimecast = _is_mimecast(integration)
        fresh = bool(getattr(request, FRESH_TOKEN_ATTR, False)) or self._token_seen

        # -- clause 1.1.1: revocation ------------------------------------------
        body: Any = None
        if status == 401 and fresh:
            challenge = headers.get("WWW-Authenticate")
            if challenge and bearer_error(challenge) == BEARER_REVOCATION_ERROR:
                self._revoke(
                    integration,
                    response,
                    self._evidence(request, response, signal="invalid_token_after_fresh_token"),
                    "the API refused a freshly issued access token (RFC 6750 invalid_token)",
                )
        if status in (400, 401):
            body = json_body(response)
            error = oauth_error(body)
            if error in OAUTH_REVOCATION_ERRORS:
                self._revoke(
                    integration,
                    response,
                    self._evidence(request, response, signal="oauth_error", error=error),
                    f"the token endpoint answered {error} (RFC 6749 section 5.2)",
                )
        fail_codes: list[tuple[str, bool]] = []
        if mimecast:
            if status in MIMECAST_REVOCATION_STATUS:
                self._revoke(
                    integration,
                    response,
                    self._evidence(request, response, signal="mimecast_status"),
                    f"the Mimecast API answered {status} (binding expired)",
                )
            if body is None:
                body = json_body(response)
            fail_codes = list(mimecast_fail_codes(body))
            dead = [c for c, _ in fail_codes if c in MIMECAST_REVOCATION_CODES]
            if dead:
                self._revoke(
                    integration,
                    response,
                    self._evidence(
                        request,
                        response,
                        signal="mimecast_fail",
                        codes=[c[:100] for c in dead[:10]],
                    ),
                    f"the Mimecast API answered {dead[0][:100]}",
                )
        if 200 <= status < 300:
            if request.method == "POST" and "json" in headers.get("Content-Type", "").lower():
                if body is None and len(response.content) < 16384:
                    body = json_body(response)
                self._token_seen = isinstance(body, Mapping) and "access_token" in body
            else:
                self._token_seen = False

        # -- clause 1.1.2: interoperability ---------------------------------------
        sunset_header = headers.get("Sunset")
        sunset_at = parse_http_date(sunset_header) if sunset_header else None
        if status == 410:
            cause = SuspensionCause.SUNSET if sunset_header else SuspensionCause.API_CHANGED
            self._suspend(
                integration,
                response,
                cause,
                self._evidence(
                    request,
                    response,
                    signal="gone",
                    **({"sunset_at": iso(sunset_at)} if sunset_at else {}),
                ),
                "the API answered 410 Gone",
            )
        if sunset_at is not None and sunset_at <= self.clock.now():
            self._suspend(
                integration,
                response,
                SuspensionCause.SUNSET,
                self._evidence(request, response, signal="sunset_passed", sunset_at=iso(sunset_at)),
                f"the API's Sunset date {iso(sunset_at)} has passed (RFC 8594)",
            )
        self._notice_deprecations(integration, request, response, sunset_at)

        if status == 403:
            key = (request.method or "?", urllib.parse.urlsplit(request.url or "").path)
            with self._lock:
                first = key not in self._forbidden_seen
                self._forbidden_seen.add(key)
            if first:
                self.registry.record(
                    self.integration_id,
                    EventKind.SIGNAL_RECORDED,
                    reason="the API answered 403 Forbidden on a resource",
                    actor=self.options.actor,
                    clause="1.1.1",
                    evidence=self._evidence(request, response, signal="forbidden"),
                )

        if fail_codes:
            codes = tuple(c for c, _ in fail_codes)
            response.close()
            raise ApiError(
                self.integration_id,
                f"the Mimecast API reported failure: {', '.join(c[:100] for c in codes)}",
                status=status,
                codes=codes,
            )
        if self.options.contract is not None and 200 <= status < 300:
            self._check_contract(integration, request, response)

    def _notice_deprecations(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
        sunset_at: datetime | None,
    ) -> None:
        notices: list[tuple[str, dict[str, Any]]] = []
        deprecation = response.headers.get("Deprecation")
        if deprecation:
            parsed = parse_deprecation(deprecation)
            if parsed is not None:
                when = iso(parsed.at) if parsed.at else "true"
                notices.append(("deprecation", {"notice": "deprecation", "deprecated_at": when}))
        if sunset_at is not None and sunset_at > self.clock.now():
            notices.append(("sunset", {"notice": "sunset", "sunset_at": iso(sunset_at)}))
        link = response.headers.get("Link")
        if link:
            for item in parse_link_header(link):
                for rel in ("deprecation", "sunset"):
                    if rel in item.rels:
                        target = urllib.parse.urljoin(response.url or "", item.target)
                        facts = {f"link_{k}": v for k, v in url_evidence(target).items()}
                        notices.append((f"link-{rel}", {"notice": f"link_{rel}", **facts}))
        if not notices:
            return
        known = {
            e.evidence.get("notice_id")
            for e in integration.history
            if e.kind is EventKind.DEPRECATION_NOTICED
        }
        for kind, facts in notices:
            ident = notice_id(kind, repr(sorted(facts.items())))
            with self._lock:
                if ident in known or ident in self._noticed:
                    continue
                self._noticed.add(ident)
            self.registry.record(
                self.integration_id,
                EventKind.DEPRECATION_NOTICED,
                reason=f"the API announced {facts['notice'].replace('_', ' ')}",
                actor=self.options.actor,
                clause="1.1.2",
                evidence=self._evidence(request, response, notice_id=ident, **facts),
            )

    def _check_contract(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
    ) -> None:
        problem = contract_problem(self.options.contract, response)
        if problem is not None:  # it may quote the body: only its safe form is kept
            problem = safe_text(problem)
        with self._lock:
            if problem is None:
                self._contract_failed = 0
                return
            self._contract_failed += 1
            failed = self._contract_failed
        if failed >= self.options.contract_failures:
            with self._lock:
                self._contract_failed = 0
            self._suspend(
                integration,
                response,
                SuspensionCause.API_CHANGED,
                self._evidence(
                    request,
                    response,
                    signal="contract",
                    consecutive_failures=failed,
                    problem=problem,
                ),
                f"{failed} consecutive responses broke the recorded contract: {problem}",
            )

    # -- 4. recording -----------------------------------------------------------

    def _revoke(
        self,
        integration: Integration,
        response: requests.Response,
        evidence: dict[str, Any],
        reason: str,
    ) -> NoReturn:
        response.close()
        self._revoked(integration, evidence, reason)

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
        if error.error in OAUTH_REVOCATION_ERRORS or error.error in MIMECAST_REVOCATION_CODES:
            evidence = {**error.evidence, "signal": "oauth_error"}
            reason = f"the token endpoint answered {error.error} (RFC 6749 section 5.2)"
            self._revoked(integration, evidence, reason)
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
                    mimecast=_is_mimecast(integration),
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
