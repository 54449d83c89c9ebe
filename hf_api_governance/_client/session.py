"""The governed HTTP client: every call asks governance first and reports what it saw.

Two ways in:

- :class:`GovernedSession`, a :class:`requests.Session` that adds the
  integration's credentials itself (from the keystore, just in time);
- :func:`govern`, which mounts the same governance as a transport adapter on
  an existing session (a vendor SDK's), keeping that SDK's authentication.

Both run one :class:`~hf_api_governance._client.governor._Governor` per
integration (admission, signals, recording) behind :class:`_GovernedAdapter`,
the transport adapter that every request of the session goes through.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, Unpack

import requests
from requests.adapters import HTTPAdapter

from hf_api_governance._client.auth import (
    ApiKeyHeaderAuth,
    BasicAuth,
    BearerAuth,
    MimecastHmacAuth,
    OAuth2ClientCredentials,
    TokenEndpointError,
)
from hf_api_governance._client.governor import _Governor
from hf_api_governance._client.options import SessionKwargs, SessionOptions
from hf_api_governance._client.origins import origin_of, strip_credentials
from hf_api_governance._client.ports import KeystoreLike, RegistryLike
from hf_api_governance._client.retry import RetryStats
from hf_api_governance._confidential.secret import Secret
from hf_api_governance._model.values import Integration
from hf_api_governance.exceptions import ValidationError

__all__ = ["GovernedSession", "govern"]


_ADMITTED_ATTR: Final = "_hf_gov_admitted"
_ADMITTED: contextvars.ContextVar[Integration | None] = contextvars.ContextVar(
    "hf_gov_admitted", default=None
)


# ---------------------------------------------------------------------- adapter


class _GovernedAdapter(HTTPAdapter):
    """Transport adapter that governs requests to the integration's origins.

    Requests to any other origin are refused (``foreign="refuse"``) or sent
    with every credential header removed (``foreign="strip"``).
    """

    def __init__(self, governor: _Governor, *, foreign: Literal["refuse", "strip"]) -> None:
        super().__init__()
        self.governor = governor
        self.foreign = foreign

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
        gov = self.governor
        url = request.url or ""
        integration: Integration | None = getattr(request, _ADMITTED_ATTR, None)
        if integration is None:
            if not gov.is_own(url):
                return gov.send_foreign(self, request, kwargs, foreign=self.foreign)
            integration = gov.admit(request.method or "GET", url)
        elif not gov.is_own(url):
            # Admitted for the URL the caller gave; the URL prepared from it (what
            # urllib3 connects to) must be at the same origins, always.
            gov.refuse_foreign(request.method or "GET", url)
        return gov.send(self, integration, request, kwargs)


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
        self._governor = _Governor(options)
        self._keystore = keystore
        self._oauth: dict[tuple[Any, ...], OAuth2ClientCredentials] = {}
        self._auth: tuple[object, tuple[Secret, ...], requests.auth.AuthBase] | None = None
        self._oauth_lock = threading.Lock()
        adapter = _GovernedAdapter(self._governor, foreign="strip")
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

    def __repr__(self) -> str:
        return f"GovernedSession(integration_id={self.integration_id!r})"

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
            and all(a is b for a, b in zip(kept[1], secrets, strict=True))
        ):
            return kept[2]
        auth = build(*secrets)
        self._auth = (declared, secrets, auth)
        return auth

    # -- requests hooks -----------------------------------------------------------

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a governed request (same arguments as :meth:`requests.Session.request`).

        Raises:
            AccessDenied: Governance refused; nothing was sent.
            CredentialRevoked: The API showed the credential is revoked.
            InteroperabilitySuspended: The API is gone, sunset or changed.
            ApiError: A Mimecast ``fail`` array reported an error.
            TransportError: The request failed after retries.
        """
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        gov = self._governor
        if url_text.startswith("/"):
            base = gov.registry.get(gov.integration_id).base_url
            url_text = base.rstrip("/") + url_text
        integration = gov.admit(method_text, url_text)
        if kwargs.get("auth") is None:
            kwargs["auth"] = self._auth_for(integration)
        token = _ADMITTED.set(integration)
        try:
            return super().request(method_text, url_text, *args, **kwargs)
        except TokenEndpointError as refused:
            gov.token_refused(integration, refused)
            raise  # pragma: no cover - token_refused always raises
        finally:
            _ADMITTED.reset(token)

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


def govern(
    session: requests.Session,
    registry: RegistryLike,
    integration_id: str,
    *,
    refuse_foreign: bool = False,
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

    Revocation is detected from the token endpoint's ``invalid_client`` /
    ``unauthorized_client`` (the SDK's own token request passes through the
    adapter), from ``invalid_token`` on the first call after a token was
    issued, and from the Mimecast codes.

    Args:
        session: The session to govern (changed in place).
        registry: The registry.
        integration_id: The integration the session talks to.
        refuse_foreign: Refuse requests to any other origin.
        **kwargs: The session options, as for :class:`GovernedSession`:
            ``engine``, ``recorder``, ``actor``, ``retry``, ``contract``,
            ``contract_failures``, ``clock``.

    Returns:
        ``session`` itself, now governed.

    Raises:
        IntegrationNotFound: No integration ``integration_id``.
        ValidationError: An argument is not acceptable (the field is named).
    """
    if not isinstance(session, requests.Session):
        raise ValidationError("session", "must be a requests.Session")
    if not isinstance(refuse_foreign, bool):
        raise ValidationError("refuse_foreign", "must be a bool")
    governor = _Governor(SessionOptions.build("govern", registry, integration_id, kwargs))
    adapter = _GovernedAdapter(governor, foreign="refuse" if refuse_foreign else "strip")
    for prefix in [*session.adapters, "https://", "http://"]:
        session.mount(prefix, adapter)
    return session
