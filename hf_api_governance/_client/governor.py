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
   of the response and what the governor knows (:class:`.signals.Facts`,
   the vendor's signal profile among them), says what it means: revocation
   (clause 1.1.1), interoperability (clause 1.1.2), contract drift...;
4. *apply* that reading: a suspected revocation is confirmed once with the
   authority (:mod:`.confirm`) before anything is revoked; registry events,
   exceptions, the governor's own memory (tokens seen, credentials seen
   revoked, contract failures in a row, the rate-limit budget); and report
   every call to the optional ``recorder``.

Requests to a declared data origin (a pre-signed download URL) are admitted
like any other and sent without any credential header; their answers are
not read for signals (a storage host's 403 says nothing about the API).

Why one module of about 1,000 lines: it is one class whose steps share its
state (the integration read at admission, the token seen, the suspicions
already confirmed, the signals already recorded); what each step *decides*
lives elsewhere (the signal table in :mod:`.signals`, the vendor profiles in
:mod:`.profiles`, the confirmation requests in :mod:`.confirm`, the refusal
table in :mod:`.refusals`, one ungoverned attempt in :mod:`.attempts`), so
what stays here is the applying, in the order a request goes through it.
"""

from __future__ import annotations

import functools
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, NoReturn

import attrs
import requests

from hf_api_governance._base.clock import Clock
from hf_api_governance._client.attempts import (
    ONE_ATTEMPT,
    Call,
    Unsendable,
    failure_name,
    send_once,
    unreadable,
)
from hf_api_governance._client.auth import EXPIRED_ATTR, FRESH_TOKEN_ATTR, TokenEndpointError
from hf_api_governance._client.confirm import (
    Outcome,
    TokenProbe,
    Verdict,
    repeat_verdict,
    replayable,
    token_answer_verdict,
)
from hf_api_governance._client.evidence import bound_evidence, recorded_url
from hf_api_governance._client.options import SessionOptions
from hf_api_governance._client.origins import (
    Origin,
    credential_headers_of,
    data_origin_matches,
    is_token_endpoint,
    origin_of,
    own_origins,
    strip_credentials,
)
from hf_api_governance._client.parse import parse_decimal
from hf_api_governance._client.ports import EngineLike, Transport
from hf_api_governance._client.profiles import (
    Confirmation,
    RateLimit,
    SignalProfile,
    profile_for,
)
from hf_api_governance._client.refusals import STATE_REFUSALS, Refusal, deny
from hf_api_governance._client.retry import (
    IDEMPOTENT_METHODS,
    RetriesExhausted,
    RetryStats,
    reset_seconds,
    run_retries,
    should_retry,
)
from hf_api_governance._client.signals import (
    CONTRACT_HELD,
    RETRY_STATUSES,
    Facts,
    Reading,
    Signal,
    SignalKind,
    classify,
    classify_token_error,
    plain_answer,
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
from hf_api_governance._policy import Action, PolicyEngine
from hf_api_governance.exceptions import (
    AccessDenied,
    ApiError,
    CredentialRevoked,
    GovernanceError,
    IllegalTransition,
    InteroperabilitySuspended,
    RevocationSuspected,
    TransportError,
)

__all__: list[str] = []


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
        self.data_origins = integration.data_origins
        self.extra_headers = credential_headers_of(integration)
        self.profile: SignalProfile = profile_for(integration, options.profile)
        self._last_read: Integration = integration
        # The allowing CALL decision that stands: (integration, from, until, the
        # revoked entries read with it); see _ask.
        self._allowed: tuple[Integration, datetime, datetime, frozenset[str]] | None = None
        # The last URL recorded and its redacted form (a session calls the same URLs
        # again and again; redacting one costs a urlsplit and a scan of its path).
        self._recorded: tuple[str, str] = ("", recorded_url(""))
        # The last origin that passed the transport check (_check_transport).
        self._secure_origin: Origin | None = None
        # Set by GovernedSession when it reads every credential entry from the
        # engine's own keystore before each call (and calls forget_decision on a
        # missing one): the engine's containers then do not prevent reuse.
        self.credentials_checked = False
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
        # Confirmation of suspected revocations: the session's own OAuth client
        # (GovernedSession sets these), or the token request an SDK sent last.
        self.token_probe: TokenProbe | None = None
        self.resign: Callable[[Integration, requests.PreparedRequest], None] | None = None
        self._token_request: requests.PreparedRequest | None = None
        self.rate_limit: RateLimit | None = None

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
            raise deny(
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
            self.data_origins = integration.data_origins
            self.extra_headers = credential_headers_of(integration)
            self.profile = profile_for(integration, self.options.profile)
        origins = self.origins
        origin = origin_of(url)
        try:
            if origin is None or (origin not in origins and not self._is_data(origin)):
                raise deny(
                    Refusal.FOREIGN_ORIGIN,
                    f"{redact_url(url)} is not the origin of integration "
                    f"{self.integration_id!r}; its credentials go only to "
                    f"{redact_url(integration.base_url)}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            if origin != self._secure_origin:  # the check depends on the origin alone
                self._check_transport(origin)
                self._secure_origin = origin
            if self._dead is not None or self._unrecorded_suspension is not None:
                self._refuse_seen_signal(integration)
            engine = self.options.engine
            if engine is not None:
                self._ask(engine, integration, revoked)
            if integration.state is not IntegrationState.ACTIVE and (
                engine is None
                or integration.state
                in (IntegrationState.REVOKED, IntegrationState.SUSPENDED, IntegrationState.RETIRED)
            ):
                raise deny(
                    STATE_REFUSALS[integration.state],
                    f"integration {self.integration_id!r} is {integration.state.value}",
                    integration_id=self.integration_id,
                    at=self.clock.now(),
                )
            if revoked:
                raise deny(
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

    def forget_decision(self) -> None:
        """Ask the engine afresh on the next call (a credential entry went missing)."""
        self._allowed = None

    def _ask(self, engine: EngineLike, integration: Integration, revoked: frozenset[str]) -> None:
        """Ask the engine for a CALL decision, or reuse an allowing one that still stands.

        An allowing decision is kept for this very integration object (the
        registry hands back the same one while nothing changed, and a new one
        after any change, another process's revocation included) from the
        instant it was taken until the engine's ``valid_until``
        (:meth:`~hf_api_governance.PolicyEngine.valid_until`: empty unless
        every hook is declared pure; an engine without it is asked every
        time), while the revoked credential entries read with the
        integration are the same. A denial is never reused.

        Raises:
            AccessDenied: The engine denies the call.
        """
        now = self.clock.now()
        kept = self._allowed
        if (
            kept is not None
            and kept[0] is integration
            and kept[1] <= now < kept[2]
            and kept[3] == revoked
        ):
            return
        decision = engine.evaluate(integration, Action.CALL, at=now)
        if not decision.allowed:
            self._allowed = None
            raise AccessDenied(decision)
        if isinstance(engine, PolicyEngine):
            until = engine.valid_until(
                integration,
                Action.CALL,
                at=now,
                # An OAuth client keeps its secrets between calls: not re-read.
                credentials_checked=self.credentials_checked and not _is_oauth(integration),
            )
        else:
            valid_until = getattr(engine, "valid_until", None)
            until = valid_until(integration, Action.CALL, at=now) if callable(valid_until) else now
        self._allowed = (integration, now, until, revoked) if until > now else None

    def _refuse_seen_signal(self, integration: Integration) -> None:
        """Deny while a revocation or unrecorded suspension this governor saw stands."""
        dead = self._dead
        if dead is not None and (not dead or not dead.isdisjoint(integration.credential_entries)):
            raise deny(
                Refusal.CREDENTIAL_REVOKED,
                f"this session saw the credential of integration {self.integration_id!r} "
                f"revoked ({self._dead_reason}); it is never sent again",
                integration_id=self.integration_id,
                at=self.clock.now(),
            )
        if self._unrecorded_suspension is not None:
            raise deny(
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

    def _is_data(self, origin: Origin) -> bool:
        return any(data_origin_matches(pattern, origin) for pattern in self.data_origins)

    def role(self, url: str) -> Literal["own", "data"] | None:
        """``"own"`` for the integration's origins, ``"data"`` for a declared data origin."""
        origin = origin_of(url)
        if origin is None:
            return None
        if origin in self.origins:
            return "own"
        return "data" if self.data_origins and self._is_data(origin) else None

    def refuse_foreign(self, method: str, url: str) -> NoReturn:
        """Record and raise the refusal of a request whose URL left the admitted origins.

        Raises:
            AccessDenied: Always (code ``FOREIGN_ORIGIN``).
        """
        denied = deny(
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
            raise deny(
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
            return send_once(adapter, request, kwargs)
        except Unsendable as unsendable:
            name = unsendable.name
        raise TransportError(f"{request.method} {recorded_url(url)} failed: {name}")

    # -- 3. signals ---------------------------------------------------------------

    def facts(
        self, integration: Integration, request: requests.PreparedRequest, *, streamed: bool = False
    ) -> Facts:
        """What this governor knows about ``request`` (for :func:`~.signals.classify`)."""
        url = request.url or ""
        profile = self.profile
        return Facts(
            kind=integration.kind,
            vendor=integration.vendor,
            method=request.method or "?",
            url=url,
            fresh_token=bool(getattr(request, FRESH_TOKEN_ATTR, False)) or self._token_seen,
            token_endpoint=is_token_endpoint(url, integration, profile.token_paths),
            now=self.clock.now(),
            contract=self.options.contract,
            secret_headers=self.extra_headers,
            profile=profile,
            streamed=streamed,
        )

    def inspect(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
        call: Call | None,
        *,
        streamed: bool = False,
    ) -> requests.Response:
        """Classify ``response`` and apply what it says; return the answer that stands.

        That is ``response``, or, when a suspicion was cleared by repeating
        the request, the repeated request's answer. A ``streamed`` body
        (``stream=True``) is never read: only the status and headers count.

        Raises:
            CredentialRevoked: The response (confirmed by the authority) shows
                the credential is dead.
            RevocationSuspected: It suggested a revocation the authority did
                not confirm.
            InteroperabilitySuspended: The API is gone or has changed.
            ApiError: A Mimecast ``fail`` array reported an error.
            TransportError: The response could not be read.
        """
        if plain_answer(
            response, request.method or "?", self.profile, self.options.contract, streamed=streamed
        ):
            self._token_seen = False  # a 2xx issuing no token: a later token is not fresh
            return response
        facts = self.facts(integration, request, streamed=streamed)
        return self.apply(integration, request, response, classify(response, facts), call, facts)

    def apply(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
        reading: Reading,
        call: Call | None,
        facts: Facts,
    ) -> requests.Response:
        """Apply a reading: remember token issuance, record, confirm, raise.

        Rate-limited and transient outcomes were already retried (the retry
        loop retries :data:`~.signals.RETRY_STATUSES`): the response stands.

        Raises:
            CredentialRevoked: A :attr:`~SignalKind.REVOKED` signal, or a
                suspicion the authority confirmed.
            RevocationSuspected: A suspicion the authority did not confirm.
            InteroperabilitySuspended: A :attr:`~SignalKind.SUSPENDED` signal, or
                the last of ``contract_failures`` contract failures in a row.
            ApiError: An :attr:`~SignalKind.API_ERROR` signal.
        """
        issued = reading.token_issued
        if issued is not None:
            self._token_seen = issued
            if issued and facts.token_endpoint and replayable(request):
                # What confirms a later suspicion: the SDK's own token request, sent again.
                self._token_request = request.copy()
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
        elif kind is SignalKind.UNCONFIRMED_REVOCATION:
            return self._confirm_or_suspect(integration, request, response, signal, call, facts)
        elif kind is SignalKind.TOKEN_EXPIRED:
            setattr(response, EXPIRED_ATTR, True)  # the session's OAuth client refreshes once
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
        return response

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

    # -- 3b. confirmation ------------------------------------------------------------

    def _confirm_or_suspect(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        response: requests.Response,
        signal: Signal,
        call: Call | None,
        facts: Facts,
    ) -> requests.Response:
        """Ask the authority once; revoke if it confirms, else record the suspicion and raise.

        A suspicion that repeating the request cleared lets the repeated
        answer stand (it is inspected in turn, without a second confirmation).
        """
        if call is None:
            verdict = Verdict(Outcome.NOT_POSSIBLE, "none", "a confirming answer is not confirmed")
        else:
            verdict = self._confirm(integration, request, signal, call, facts)
        evidence = {**signal.evidence, **verdict.evidence()}
        if verdict.outcome is Outcome.CONFIRMED:
            response.close()
            self._revoked(integration, evidence, f"{signal.reason}; confirmed: {verdict.detail}")
        path = urllib.parse.urlsplit(request.url or "").path
        failure = self._record_suspicion(signal, evidence, (request.method or "?", path))
        if verdict.outcome is Outcome.CLEARED and verdict.response is not None:
            response.close()
            return self.inspect(
                integration, request, verdict.response, None, streamed=facts.streamed
            )
        response.close()
        return self._raise_suspected(signal, verdict, evidence, response.status_code, failure)

    def _confirm(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        signal: Signal,
        call: Call,
        facts: Facts,
    ) -> Verdict:
        """Ask the authority once: the token endpoint, or what the profile defines."""
        profile = facts.profile
        if signal.code == "token_refusal":  # the refused request was a token request itself
            if not replayable(request):
                return Verdict(Outcome.NOT_POSSIBLE, "token_endpoint", "the request has a stream")
            return self._replay_token(integration, request, call)
        probe = self.token_probe
        if probe is not None:
            name = ""
            try:
                verdict = probe(integration)
            except Exception as exc:  # the probe never raises by contract; fail safe anyway
                name = type(exc).__name__
            if name:
                return Verdict(Outcome.UNAVAILABLE, "token_endpoint", f"the probe failed ({name})")
            if verdict is not None:
                return verdict
        remembered = self._token_request
        if remembered is not None:
            return self._replay_token(integration, remembered, call)
        if profile.static_confirmation is Confirmation.REPEAT:
            method = (request.method or "").upper()
            allowed = method in IDEMPOTENT_METHODS or (method == "POST" and profile.repeat_post)
            if not allowed or not replayable(request):
                return Verdict(Outcome.NOT_POSSIBLE, "repeat", f"a {method} may not be repeated")
            return self._repeat(integration, request, call, facts)
        return Verdict(
            Outcome.NOT_POSSIBLE,
            "none",
            f"the {profile.name} profile defines no confirmation for a static key",
        )

    def _replay_token(
        self, integration: Integration, token_request: requests.PreparedRequest, call: Call
    ) -> Verdict:
        """Send a token request once more (an SDK's own, as it sent it) and read the answer."""
        copy = token_request.copy()
        name = ""
        response: requests.Response | None = None
        try:
            response = send_once(call.adapter, copy, {**call.kwargs, "stream": False})
        except Unsendable as unsendable:
            name = unsendable.name
        except requests.RequestException as exc:
            name = type(exc).__name__
        if response is None:
            return Verdict(
                Outcome.UNAVAILABLE, "token_endpoint", f"the token endpoint failed ({name})"
            )
        try:
            facts = attrs.evolve(self.facts(integration, copy), token_endpoint=True)
            return token_answer_verdict(response, facts)
        finally:
            response.close()

    def _repeat(
        self,
        integration: Integration,
        request: requests.PreparedRequest,
        call: Call,
        facts: Facts,
    ) -> Verdict:
        """Send the same request once more (re-signed by the session, if it signs)."""
        copy = request.copy()
        name = ""
        response: requests.Response | None = None
        try:
            if self.resign is not None:
                self.resign(integration, copy)
            response = send_once(call.adapter, copy, dict(call.kwargs))
        except Unsendable as unsendable:
            name = unsendable.name
        except (requests.RequestException, GovernanceError) as exc:
            name = type(exc).__name__
        if response is None:
            return Verdict(Outcome.UNAVAILABLE, "repeat", f"the repeated request failed ({name})")
        name = unreadable(response, call.kwargs)
        if name:
            response.close()
            return Verdict(
                Outcome.UNAVAILABLE, "repeat", f"the repeated answer is unreadable ({name})"
            )
        verdict = repeat_verdict(response, attrs.evolve(facts, fresh_token=False))
        if verdict.response is None:
            response.close()
        return verdict

    def _record_suspicion(
        self, signal: Signal, evidence: Mapping[str, Any], where: tuple[str, str]
    ) -> Exception | None:
        """Record an unconfirmed suspicion once per signal, method and path in this session.

        Returns the registry's failure, if it could not record (the caller
        still raises :class:`RevocationSuspected`, with it as the cause).
        """
        key = repr((signal.code, *where))
        with self._lock:
            if key in self._suspected:
                return None
            self._suspected.add(key)
        try:
            self.registry.record(
                self.integration_id,
                EventKind.SIGNAL_RECORDED,
                reason=f"suspected revocation, not confirmed: {signal.reason}",
                actor=self.options.actor,
                clause="1.1.1",
                evidence=bound_evidence(dict(evidence)),
            )
        except Exception as exc:
            return exc
        return None

    def _raise_suspected(
        self,
        signal: Signal,
        verdict: Verdict,
        evidence: Mapping[str, Any],
        status: int,
        failure: Exception | None,
    ) -> NoReturn:
        message = (
            f"integration {self.integration_id!r}: {signal.reason}, but the authority did not "
            f"confirm a revocation ({verdict.outcome.value}: {verdict.detail}); nothing was "
            "revoked and the next call is sent as usual"
        )
        if failure is not None:
            message += (
                f"; the suspicion could not be recorded in the registry "
                f"({type(failure).__name__}, see __cause__)"
            )
        error = RevocationSuspected(
            self.integration_id,
            message,
            status=status,
            codes=signal.api_codes,
            evidence=bound_evidence(dict(evidence)),
            confirmation=verdict.outcome.value,
        )
        if failure is not None:
            raise error from failure
        raise error from None

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
        """Act on the refusal of a token request the session's own OAuth client made.

        A revocation code of the profile revokes; a refusal status without one
        (a 401 with an empty or plain-text body) is asked once more.

        Raises:
            CredentialRevoked: A revocation code, or a refusal confirmed.
            RevocationSuspected: A refusal the token endpoint did not repeat.
            TokenEndpointError: Any other refusal, unchanged.
        """
        signal = classify_token_error(error, self.profile)
        if signal is None:
            raise error
        if signal.kind is SignalKind.REVOKED:
            self._revoked(integration, dict(signal.evidence), signal.reason)
        probe = self.token_probe
        verdict = probe(integration) if probe is not None else None
        if verdict is None:
            verdict = Verdict(Outcome.NOT_POSSIBLE, "none", "no token endpoint to ask")
        evidence = {**signal.evidence, **verdict.evidence()}
        if verdict.outcome is Outcome.CONFIRMED:
            self._revoked(integration, evidence, f"{signal.reason}; confirmed: {verdict.detail}")
        path = str(error.evidence.get("path", ""))
        failure = self._record_suspicion(signal, evidence, ("POST", path))
        self._raise_suspected(signal, verdict, evidence, error.status, failure)

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

    def _recorded_url(self, url: str) -> str:
        """:func:`recorded_url`, remembered for the last URL recorded."""
        kept = self._recorded
        if kept[0] == url:
            return kept[1]
        safe = recorded_url(url)
        self._recorded = (url, safe)
        return safe

    def _record_call(self, action: str, evidence: Mapping[str, Any]) -> None:
        if self.options.recorder is not None:
            self.options.recorder(action, {"integration_id": self.integration_id, **evidence})

    # -- rate limits ----------------------------------------------------------------

    def _note_rate_limit(self, response: requests.Response) -> None:
        """Remember the budget the answer announced (the profile's rate-limit headers)."""
        spec = self.profile.rate_limit
        if spec is None:
            return
        headers = response.headers
        remaining_text = headers.get(spec.remaining)
        if remaining_text is None:
            return
        remaining = parse_decimal(remaining_text)
        limit = parse_decimal(headers.get(spec.limit) or "")
        reset_text = headers.get(spec.reset)
        reset = reset_seconds(reset_text, spec.reset_unit) if reset_text is not None else None
        self.rate_limit = RateLimit(
            None if limit is None else int(limit),
            None if remaining is None else int(remaining),
            reset,
            time.monotonic(),
        )

    def _wait_for_budget(self) -> float:
        """When the last answer left no budget, wait (bounded) until it grows again.

        The wait is capped by the retry policy's ``max_wait``; it happens
        once per announced budget. Returns the seconds waited.
        """
        budget = self.rate_limit
        if budget is None or budget.remaining != 0 or not budget.reset_after:
            return 0.0
        self.rate_limit = attrs.evolve(budget, remaining=None)  # wait once for this budget
        wait = budget.observed_at + budget.reset_after - time.monotonic()
        if wait <= 0:
            return 0.0
        wait = min(wait, self.options.retry.max_wait)
        self.sleep(wait)
        return wait

    # -- 2. sending -----------------------------------------------------------------

    def send(
        self,
        adapter: Transport,
        integration: Integration,
        request: requests.PreparedRequest,
        kwargs: dict[str, Any],
        *,
        data: bool = False,
    ) -> requests.Response:
        """Send with retries, record the call, inspect the response.

        ``data``: the URL is a declared data origin: every credential header
        is removed, and the answer is not read for signals.
        """
        method = (request.method or "GET").upper()
        waited = 0.0
        if data:
            strip_credentials(request, self.extra_headers)
        elif self.rate_limit is not None:  # a budget announced: maybe wait for it
            waited = self._wait_for_budget()
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
            first = Unsendable(unsendable)
        stats = ONE_ATTEMPT
        error: BaseException | None = None
        try:
            retry = self.options.retry
            if (
                # The common case first: an answer whose status is never retried.
                not (type(first) is requests.Response and first.status_code not in RETRY_STATUSES)
                and should_retry(first, method, retry)
                and retry.max_attempts > 1
            ):

                def attempt() -> requests.Response:
                    nonlocal integration
                    integration = self.admit(method, request.url or "")
                    return send_once(adapter, request, kwargs)

                response, stats = run_retries(
                    first,
                    attempt,
                    method=method,
                    policy=retry,
                    rate_limit=self.profile.rate_limit,
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
        name = ""
        if error is not None:
            name = failure_name(error)
            del error, first  # their repr may show the URL's query: not kept in this frame
        else:
            name = unreadable(response, kwargs)
            if name:
                response.close()
        if name:
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
        if not data and self.profile.rate_limit is not None:
            self._note_rate_limit(response)
        streamed = bool(kwargs.get("stream"))
        if self.options.recorder is not None:
            sent: dict[str, Any] = {
                "method": method,
                "url": self._recorded_url(request.url or ""),
                "status": response.status_code,
                "latency_ms": round((time.perf_counter() - clock_start) * 1000, 3),
                "attempts": stats.attempts,
            }
            if data:
                sent["data_origin"] = True
            if waited:
                sent["rate_limit_wait_s"] = round(waited, 3)
            budget = self.rate_limit
            if budget is not None and budget.remaining is not None and not data:
                sent["rate_limit_remaining"] = budget.remaining
            try:
                self._record_call("call_sent", sent)
            except BaseException:
                # The answer is read all the same: a revocation or suspension in it
                # is acted on (and raised, the recorder's failure as its context).
                if not data:
                    self.inspect(
                        integration, request, response, Call(adapter, kwargs), streamed=streamed
                    )
                response.close()
                raise
        if data:
            return response
        if plain_answer(
            response, request.method or "?", self.profile, self.options.contract, streamed=streamed
        ):  # what inspect() does first, without building the Call it would not use
            self._token_seen = False
            return response
        return self.inspect(
            integration, request, response, Call(adapter, kwargs), streamed=streamed
        )


def _is_oauth(integration: Integration) -> bool:
    spec = integration.auth
    return spec is not None and spec.scheme == "oauth2_client_credentials"
