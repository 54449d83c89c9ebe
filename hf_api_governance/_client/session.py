"""The governed HTTP client: every call asks governance first and reports what it saw.

Two ways in:

- :class:`GovernedSession`, a :class:`requests.Session` that adds the
  integration's credentials itself (from the keystore, just in time);
- :func:`govern`, which mounts the same governance as a transport adapter on
  an existing session (a vendor SDK's), keeping that SDK's authentication.

Both run one :class:`~hf_api_governance._client.governor._Governor` per
integration (admission, signals, recording) behind :class:`_GovernedAdapter`,
the transport adapter that every request of the session goes through. A
session serves one integration: governing it for a second one is refused,
unless the caller asks for routing by origin (two tenants of one SDK on one
module-global session).

Every failure of a governed call is a documented exception: what requests'
own machinery lets escape around the adapter (a redirect loop, a redirect to
a scheme without an adapter, a ``Location`` that cannot be decoded, a body
that cannot be decoded) becomes a :class:`~hf_api_governance.TransportError`
naming only the failure's type (:func:`_guarded`).
"""

from __future__ import annotations

import contextvars
import functools
import http.client
import operator
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, Unpack

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import HTTPError as Urllib3Error

from hf_api_governance._client.auth import (
    ApiKeyHeaderAuth,
    BasicAuth,
    BearerAuth,
    MimecastHmacAuth,
    OAuth2ClientCredentials,
    TokenEndpointError,
)
from hf_api_governance._client.confirm import Outcome, Verdict, token_error_verdict
from hf_api_governance._client.evidence import recorded_url
from hf_api_governance._client.governor import _Governor
from hf_api_governance._client.options import SessionKwargs, SessionOptions
from hf_api_governance._client.origins import origin_of, strip_credentials
from hf_api_governance._client.ports import KeystoreLike, RegistryLike
from hf_api_governance._client.profiles import RateLimit
from hf_api_governance._client.retry import RetryStats
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model.values import Integration
from hf_api_governance.exceptions import (
    GovernanceError,
    KeystoreEntryNotFound,
    TransportError,
    ValidationError,
)

__all__ = ["GovernedSession", "govern"]


_ADMITTED_ATTR: Final = "_hf_gov_admitted"
_ADMITTED: contextvars.ContextVar[Integration | None] = contextvars.ContextVar(
    "hf_gov_admitted", default=None
)


# ---------------------------------------------------------------------- adapter


Foreign = Literal["refuse", "strip"]


class _GovernedAdapter(HTTPAdapter):
    """Transport adapter that governs requests to the integration's origins.

    Requests to a declared data origin are governed and sent without any
    credential header. Requests to any other origin are refused
    (``foreign="refuse"``) or sent with every credential header removed
    (``foreign="strip"``). With several governors (routing by origin), a
    request goes to the first whose origins (then data origins) hold its
    URL; a foreign one is refused if any governor refuses foreign origins.
    A request without a timeout gets its governor's default timeout.
    """

    def __init__(self, governor: _Governor, *, foreign: Foreign) -> None:
        super().__init__()
        self.routes: tuple[tuple[_Governor, Foreign], ...] = ((governor, foreign),)

    @property
    def governor(self) -> _Governor:
        """The first governor (a GovernedSession's only one)."""
        return self.routes[0][0]

    def routed(self, routes: tuple[tuple[_Governor, Foreign], ...]) -> _GovernedAdapter:
        """A new adapter over ``routes``."""
        adapter = _GovernedAdapter(routes[0][0], foreign=routes[0][1])
        adapter.routes = routes
        return adapter

    def _route(self, url: str) -> tuple[_Governor, Literal["own", "data"]] | None:
        routes = self.routes
        for gov, _ in routes:
            if gov.is_own(url):
                return gov, "own"
        for gov, _ in routes:
            if gov.role(url) == "data":
                return gov, "data"
        return None

    def raw_send(
        self, request: requests.PreparedRequest, kwargs: dict[str, Any]
    ) -> requests.Response:
        """One attempt, ungoverned (the governor calls this)."""
        return super().send(request, **kwargs)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send ``request`` under governance (see the class docstring)."""
        kwargs: dict[str, Any] = {
            "stream": stream,
            "timeout": timeout,
            "verify": verify,
            "cert": cert,
            "proxies": proxies,
        }
        url = request.url or ""
        integration: Integration | None = getattr(request, _ADMITTED_ATTR, None)
        routed = self._route(url)
        if routed is None:
            gov = self.governor
            if timeout is None:
                kwargs["timeout"] = gov.options.timeout
            if integration is not None:
                # Admitted for the URL the caller gave; the URL prepared from it (what
                # urllib3 connects to) must be at the same origins, always.
                gov.refuse_foreign(request.method or "GET", url)
            refuse = any(foreign == "refuse" for _, foreign in self.routes)
            return gov.send_foreign(self, request, kwargs, foreign="refuse" if refuse else "strip")
        gov, role = routed
        if timeout is None:
            kwargs["timeout"] = gov.options.timeout
        if integration is None:
            integration = gov.admit(request.method or "GET", url)
        return gov.send(self, integration, request, kwargs, data=role == "data")


_ESCAPES: Final = (
    requests.RequestException,
    UnicodeError,
    http.client.HTTPException,
    Urllib3Error,
)
"""What requests' machinery around the adapter may raise (redirects, decoding, adapters)."""


def _guarded(send: Callable[..., requests.Response]) -> Callable[..., requests.Response]:
    """Wrap a session's ``send`` so that no raw requests exception leaves a governed call.

    A redirect loop (``TooManyRedirects``), a redirect to a scheme without an
    adapter (``InvalidSchema``), a ``Location`` that cannot be decoded, a body
    that cannot be decoded or read: a :class:`TransportError` naming only the
    failure's type, with no chained exception and no request (whose headers
    hold the credential) in its attributes or in this frame. A governance
    exception passes as it is, and so does an ``HTTPError`` (raised by a
    response hook's ``raise_for_status``: the caller's, or its SDK's, own).
    """

    @functools.wraps(send)
    def governed_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        sent = _send_or_failure(send, request, kwargs)
        if isinstance(sent, TransportError):
            del request, kwargs  # the credential is in the request's headers: not kept here
            raise sent
        return sent

    governed_send._hf_gov_guarded = True  # type: ignore[attr-defined]
    return governed_send


def _send_or_failure(
    send: Callable[..., requests.Response],
    request: requests.PreparedRequest,
    kwargs: dict[str, Any],
) -> requests.Response | TransportError:
    """Send; return the answer, or the documented exception for what escaped (to raise).

    Returned, not raised: the caller drops its own reference to the request
    before raising it, so that no frame of the traceback holds the request.
    """
    name = ""
    try:
        return send(request, **kwargs)
    except (GovernanceError, requests.HTTPError):
        raise
    except _ESCAPES as exc:
        name = type(exc).__name__
    failure = _escaped(request, name)
    del request, kwargs  # the credential is in the request's headers: not kept here
    return failure


def _escaped(request: requests.PreparedRequest, name: str) -> TransportError:
    """The documented exception for what escaped around the adapter (only its type name)."""
    method = (request.method or "?")[:16]
    return TransportError(f"{method} {recorded_url(request.url or '')} failed: {name}")


# ---------------------------------------------------------------------- session


class GovernedSession(requests.Session):
    """A :class:`requests.Session` whose every call is governed.

    Each request:

    1. reads the integration from the registry and asks the policy engine for
       a CALL decision; raises :class:`~hf_api_governance.AccessDenied`
       (carrying the decision) before anything is sent if it is denied, if a
       credential entry of the integration was revoked, if the URL is not at
       the integration's origin (its ``base_url``, or the OAuth token
       endpoint), or if it would use plain http to a non-loopback host;
    2. adds the credentials just in time from the keystore, per
       ``integration.auth`` (or ``integration.credential`` as a bearer token);
    3. sends, retrying transient faults per ``retry``;
    4. inspects the response: revocation signals record the revocation and
       raise :class:`~hf_api_governance.CredentialRevoked`; ``410 Gone`` or a
       past ``Sunset`` suspend and raise
       :class:`~hf_api_governance.InteroperabilitySuspended`; deprecation
       notices are recorded once each and the call succeeds;
    5. reports the call to ``recorder``.

    A URL starting with ``/`` is taken relative to the integration's
    ``base_url``. A redirect to another origin is followed with every
    credential header removed.

    Args:
        registry: The registry (:class:`~hf_api_governance.Registry`).
        integration_id: The integration this session calls.
        keystore: Where credentials are read; ``None`` sends no credentials
            of ours (pass ``auth=`` per request).
        **kwargs: The session options below, all keyword-only and optional
            (typed as ``SessionKwargs``, checked once as ``SessionOptions``).
        engine: The policy engine; without one, only an ACTIVE integration
            may call.
        recorder: Called with ``(action, evidence)`` for every call.
        actor: Who the registry events name for signals this session sees
            (default ``"hf-gov"``).
        retry: Retry bounds (default ``RetryPolicy()``).
        contract: A check of successful responses (a callable returning
            ``True``, ``False`` or a problem string, or a minimal JSON shape
            such as ``{"data": list, "meta": dict}``).
        contract_failures: Consecutive contract failures that suspend the
            integration (cause ``API_CHANGED``; default 3).
        clock: Time for policy decisions and ``Sunset`` comparisons.
        timeout: The timeout of a request that gives none: seconds, or
            ``(connect, read)``; default ``(10.0, 60.0)``.
        profile: The vendor signal profile (a ``SignalProfile`` or a
            registered name); by default chosen from the integration.

    The OAuth token request goes through this session's ``proxies``,
    ``verify``, ``cert`` and ``trust_env`` (as they are when the token is
    fetched), never around them. A URL at one of the integration's
    ``data_origins`` gets no credential. A suspected revocation is confirmed
    once with the token endpoint before anything is revoked
    (:class:`~hf_api_governance.RevocationSuspected` otherwise).

    Raises:
        IntegrationNotFound: No integration ``integration_id``.
        ValidationError: An argument is not acceptable (the field is named).
    """

    def __init__(
        self,
        registry: RegistryLike,
        integration_id: str,
        *,
        keystore: KeystoreLike | None = None,
        **kwargs: Unpack[SessionKwargs],
    ) -> None:
        if keystore is not None and not (
            callable(getattr(keystore, "get", None)) and hasattr(keystore, "__contains__")
        ):
            raise ValidationError("keystore", "must be a Keystore (with get) or None")
        options = SessionOptions.build("GovernedSession", registry, integration_id, kwargs)
        super().__init__()
        self._governor = governor = _Governor(options)
        self._keystore = keystore
        # Every credential entry is read from this keystore before each call: when
        # it is also the engine's keystore container, a kept decision may stand
        # (a missing entry makes request() ask the engine afresh).
        governor.credentials_checked = (
            keystore is not None and getattr(options.engine, "keystore", None) is keystore
        )
        self._oauth: dict[tuple[Any, ...], OAuth2ClientCredentials] = {}
        self._auth: tuple[object, tuple[Secret, ...], requests.auth.AuthBase] | None = None
        self._oauth_lock = threading.Lock()
        self._token_session = _TokenSession(self)
        governor.token_probe = self._probe
        governor.resign = self._resign
        adapter = _GovernedAdapter(governor, foreign="strip")
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    @property
    def integration_id(self) -> str:
        """The integration this session calls."""
        return self._governor.integration_id

    @property
    def last_retry_stats(self) -> RetryStats:
        """Retry statistics of the last request sent through this session (any thread)."""
        return self._governor.last_retry_stats

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit budget the API announced in its last answer, if its profile reads one."""
        return self._governor.rate_limit

    def __repr__(self) -> str:
        return f"GovernedSession(integration_id={self.integration_id!r})"

    def close(self) -> None:
        """Close the session and the one its OAuth client fetches tokens with.

        A ``recorder`` with a ``flush()`` method (the facade's, which batches
        audit records) is flushed first.
        """
        try:
            flush = getattr(self._governor.options.recorder, "flush", None)
            if callable(flush):
                flush()
        finally:
            self._token_session.close()
            super().close()

    # -- credentials ------------------------------------------------------------

    def _auth_for(self, integration: Integration) -> requests.auth.AuthBase | None:
        keystore = self._keystore
        if keystore is None:
            return None
        spec = integration.auth
        if spec is None:
            if integration.credential is None:
                return None
            return self._reused(
                (integration.credential,), (keystore.get(integration.credential),), BearerAuth
            )
        params = spec.params
        get = keystore.get
        if spec.scheme == "bearer":
            return self._reused(spec, (get(params["token"]),), BearerAuth)
        if spec.scheme == "api_key_header":
            header = params["header"]
            return self._reused(
                spec, (get(params["key"]),), lambda key: ApiKeyHeaderAuth(header, key)
            )
        if spec.scheme == "basic":
            return self._reused(spec, (get(params["username"]), get(params["password"])), BasicAuth)
        if spec.scheme == "mimecast_hmac_v1":
            now = self._governor.clock.now
            return self._reused(
                spec,
                (
                    get(params["access_key"]),
                    get(params["secret_key"]),
                    get(params["app_id"]),
                    get(params["app_key"]),
                ),
                lambda *keys: MimecastHmacAuth(*keys, clock=now),
            )
        # oauth2_client_credentials: one cached token per declared spec
        key = (spec.scheme, tuple(sorted(params.items())))
        with self._oauth_lock:
            auth = self._oauth.get(key)
            if auth is None:
                client_auth = params.get("client_auth", "body")
                auth = OAuth2ClientCredentials(
                    params["token_url"],
                    get(params["client_id"]),
                    get(params["client_secret"]),
                    client_auth="basic" if client_auth == "basic" else "body",
                    scope=params.get("scope"),
                    session=self._token_session,
                )
                self._oauth[key] = auth
        return auth

    def _reused(
        self,
        declared: object,
        secrets: tuple[Secret, ...],
        build: Callable[..., requests.auth.AuthBase],
    ) -> requests.auth.AuthBase:
        """The auth object built last time, if declared alike and given the very same secrets.

        The keystore is read before every request (a value replaced meanwhile
        is used at once); it hands back the same :class:`Secret` objects while
        an entry is unchanged, and then the auth object is reused as well.
        """
        kept = self._auth
        if (
            kept is not None
            and (kept[0] is declared or kept[0] == declared)
            and len(kept[1]) == len(secrets)
            and all(map(operator.is_, kept[1], secrets))
        ):
            return kept[2]
        auth = build(*secrets)
        self._auth = (declared, secrets, auth)
        return auth

    # -- confirmation -------------------------------------------------------------

    def _probe(self, integration: Integration) -> Verdict | None:
        """Ask the token endpoint once for a new token (``None``: the integration has no OAuth)."""
        spec = integration.auth
        if self._keystore is None or spec is None or spec.scheme != "oauth2_client_credentials":
            return None
        failure: GovernanceError | None = None
        try:
            auth = self._auth_for(integration)
            if not isinstance(auth, OAuth2ClientCredentials):
                return None
            auth.refresh()
        except GovernanceError as exc:  # refused, unreachable, the keystore entry unusable
            failure = exc
        if failure is None:
            return Verdict(Outcome.CLEARED, "token_endpoint", "a new token was issued")
        return token_error_verdict(failure, self._governor.profile)

    def _resign(self, integration: Integration, request: requests.PreparedRequest) -> None:
        """Apply this session's credentials to ``request`` again (a new Mimecast signature)."""
        auth = self._auth_for(integration)
        if auth is not None and not isinstance(auth, OAuth2ClientCredentials):
            auth(request)

    # -- requests hooks -----------------------------------------------------------

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a governed request (same arguments as :meth:`requests.Session.request`).

        Raises:
            AccessDenied: Governance refused; nothing was sent.
            CredentialRevoked: The API (confirmed by the authority) showed the
                credential is revoked.
            RevocationSuspected: An answer suggested a revocation the
                authority did not confirm.
            InteroperabilitySuspended: The API is gone, sunset or changed.
            ApiError: A Mimecast ``fail`` array reported an error.
            TransportError: The request failed after retries, or could not be
                completed (redirect loop, undecodable answer...).
        """
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        gov = self._governor
        if url_text.startswith("/"):
            base = gov.registry.get(gov.integration_id).base_url
            url_text = base.rstrip("/") + url_text
        integration = gov.admit(method_text, url_text)
        if kwargs.get("auth") is None and gov.is_own(url_text):  # data origins get none
            try:
                kwargs["auth"] = self._auth_for(integration)
            except KeystoreEntryNotFound:
                if not gov.credentials_checked:
                    raise
                # Removed since the kept decision was taken: the engine decides afresh
                # (its keystore container now lacks the entry: a recorded denial).
                gov.forget_decision()
                integration = gov.admit(method_text, url_text)
                kwargs["auth"] = self._auth_for(integration)
        token = _ADMITTED.set(integration)
        try:
            return super().request(method_text, url_text, *args, **kwargs)
        except TokenEndpointError as refused:
            gov.token_refused(integration, refused)
            raise  # pragma: no cover - token_refused always raises
        finally:
            _ADMITTED.reset(token)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send as :class:`requests.Session` does, with every failure a documented exception.

        Raises:
            TransportError: What requests' own machinery raised around the
                governed adapter (see :func:`_guarded`).
        """
        sent = _send_or_failure(super().send, request, kwargs)
        if isinstance(sent, TransportError):
            del request, kwargs  # the credential is in the request's headers: not kept here
            raise sent
        return sent

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """Prepare as usual, marking the request as admitted by :meth:`request`."""
        prepared = super().prepare_request(request)
        integration = _ADMITTED.get()
        if integration is not None:
            setattr(prepared, _ADMITTED_ATTR, integration)
        return prepared

    def should_strip_auth(self, old_url: str, new_url: str) -> bool:
        """Strip credentials on any change of origin (scheme, host or port)."""
        return origin_of(old_url) != origin_of(new_url)

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """On a redirect to another origin, remove every credential header (ours included).

        Unlike :class:`requests.Session`, never adds ``.netrc`` credentials.
        """
        original = response.request.url or ""
        if self.should_strip_auth(original, prepared_request.url or ""):
            strip_credentials(prepared_request, self._governor.extra_headers)
            # No token refresh towards a foreign host: drop our auth hooks, keep the caller's.
            prepared_request.hooks["response"] = [
                hook
                for hook in prepared_request.hooks.get("response", [])
                if not isinstance(getattr(hook, "__self__", None), OAuth2ClientCredentials)
            ]


class _TokenSession(requests.Session):
    """The plain session of a governed session's OAuth token requests.

    Not governed itself (the governed session admitted the call), but sent
    with the governed session's ``proxies``, ``verify``, ``cert`` and
    ``trust_env``, read at each token request.
    """

    def __init__(self, owner: requests.Session) -> None:
        super().__init__()
        self._owner = weakref.ref(owner)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send as :meth:`requests.Session.request`, with the owner's transport settings."""
        owner = self._owner()
        if owner is not None:
            self.proxies = dict(owner.proxies)
            self.verify = owner.verify
            self.cert = owner.cert
            self.trust_env = owner.trust_env
        return super().request(method, url, *args, **kwargs)


def _governors_of(session: requests.Session) -> list[_GovernedAdapter]:
    return [a for a in dict.fromkeys(session.adapters.values()) if isinstance(a, _GovernedAdapter)]


def govern(
    session: requests.Session,
    registry: RegistryLike,
    integration_id: str,
    *,
    refuse_foreign: bool = False,
    route_by_origin: bool = False,
    **kwargs: Unpack[SessionKwargs],
) -> requests.Session:
    """Govern an existing session (a vendor SDK's) through a transport adapter.

    The session keeps its own authentication; governance replaces every
    adapter mounted on it (the SDK's retry adapter included: governed retries
    take its place) with one that admits each request to the integration's
    origin, retries transient faults and acts on the response signals, like
    :class:`GovernedSession`. Requests to other origins are sent with every
    credential header removed, or refused with
    :class:`~hf_api_governance.AccessDenied` when ``refuse_foreign``.

    The vendor's signal profile says how its API signals revocation: the
    SDK's own token request passes through the adapter, so the token
    endpoint's refusal is seen (and, ambiguous, asked once more); a
    suspicion on a resource (``invalid_token`` right after a token was
    issued, a vendor code) is confirmed by sending the SDK's last token
    request once more. The session's ``send`` is wrapped so that what
    requests raises around the adapter (a redirect loop...) is a
    :class:`~hf_api_governance.TransportError`.

    One session serves one integration. Governing it again for the same
    integration replaces the governance; for another integration it is an
    error, unless ``route_by_origin=True`` declares that requests are to be
    routed by origin (two tenants of an SDK whose session is module-global,
    such as py42's): the integrations' origins must then not overlap.

    Args:
        session: The session to govern (changed in place).
        registry: The registry.
        integration_id: The integration the session talks to.
        refuse_foreign: Refuse requests to any other origin.
        route_by_origin: Add this integration to a session governed for
            others, each request going to the integration whose origin it is.
        **kwargs: The session options, as for :class:`GovernedSession`:
            ``engine``, ``recorder``, ``actor``, ``retry``, ``contract``,
            ``contract_failures``, ``clock``, ``timeout``, ``profile``.

    Returns:
        ``session`` itself, now governed.

    Raises:
        IntegrationNotFound: No integration ``integration_id``.
        ValidationError: An argument is not acceptable (the field is named),
            or the session is governed for another integration (without
            ``route_by_origin``), or their origins overlap.
    """
    if not isinstance(session, requests.Session):
        raise ValidationError("session", "must be a requests.Session")
    if isinstance(session, GovernedSession):
        raise ValidationError(
            "session",
            f"is a GovernedSession for integration {session.integration_id!r} already; "
            "open another one for this integration",
        )
    for name, flag in (("refuse_foreign", refuse_foreign), ("route_by_origin", route_by_origin)):
        if not isinstance(flag, bool):
            raise ValidationError(name, "must be a bool")
    governor = _Governor(SessionOptions.build("govern", registry, integration_id, kwargs))
    foreign: Foreign = "refuse" if refuse_foreign else "strip"
    adapter = _GovernedAdapter(governor, foreign=foreign)
    existing = _governors_of(session)
    if existing:
        others = tuple(r for r in existing[0].routes if r[0].integration_id != integration_id)
        if others and not route_by_origin:
            raise ValidationError(
                "session",
                f"is already governed for integration {others[0][0].integration_id!r}; a "
                "governed session serves one integration: give each integration its own "
                "session, or pass route_by_origin=True to route each request by its origin",
            )
        for other, _ in others:
            shared = other.origins & governor.origins
            if shared:
                raise ValidationError(
                    "session",
                    f"integrations {other.integration_id!r} and {integration_id!r} share an "
                    "origin: requests to it cannot be routed by origin",
                )
        if others:
            adapter = adapter.routed((*others, (governor, foreign)))
    for prefix in [*session.adapters, "https://", "http://"]:
        session.mount(prefix, adapter)
    if not getattr(session.send, "_hf_gov_guarded", False):
        session.send = _guarded(session.send)  # type: ignore[method-assign]
    return session
