"""Authentication schemes as :class:`requests.auth.AuthBase` objects.

Every scheme holds its credentials as :class:`~hf_api_governance.Secret`
values (plain ``str`` is accepted and wrapped at once), reveals them only
while writing a header, and never shows them in ``repr``, messages or logs.
The governed client builds these from an
:class:`~hf_api_governance.AuthSpec` and a keystore; they are also usable
alone with any :class:`requests.Session`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, Literal

import requests
from requests.auth import AuthBase

from hf_api_governance._base.clock import english_date
from hf_api_governance._client.evidence import url_evidence
from hf_api_governance._client.parse import body_codes, json_body, parse_lifetime
from hf_api_governance._confidential.redact import redact_url
from hf_api_governance._confidential.secret import Secret, adopt_secret
from hf_api_governance._model.rules import check_url
from hf_api_governance.exceptions import (
    GovernanceError,
    TokenEndpointError,
    TransportError,
    ValidationError,
)

__all__ = [
    "ApiKeyHeaderAuth",
    "BasicAuth",
    "BearerAuth",
    "MimecastHmacAuth",
    "OAuth2ClientCredentials",
    "TokenEndpointError",
]

FRESH_TOKEN_ATTR: Final = "_hf_gov_fresh_token"  # noqa: S105 - an attribute name
"""Set on a prepared request that carries an access token fetched for it."""
EXPIRED_ATTR: Final = "_hf_gov_token_expired"
"""Set on a response whose body says the access token expired (a profile's expiry code)."""
_REFRESHED_ATTR: Final = "_hf_gov_refreshed"

DEFAULT_LIFETIME: Final = 300.0
"""Seconds a token is cached when ``expires_in`` is missing or not a number."""
MAX_LIFETIME: Final = 86400.0
"""The longest a token is cached, whatever ``expires_in`` says (a day)."""


def _as_secret(value: object, field: str) -> Secret:
    value = adopt_secret(value, field)  # a pydantic SecretStr
    if isinstance(value, Secret):
        return value
    if isinstance(value, str | bytes) and value:
        return Secret(value, label=field)
    raise ValidationError(field, "must be a non-empty Secret, str or pydantic SecretStr")


# The checks below never let a UnicodeError escape: its ``object`` would be the
# secret (or ``"Bearer <secret>"``), and even a suppressed ``__context__`` keeps
# it alive. Helpers return ``None`` instead and the caller raises, outside any
# ``except`` block, a ValidationError that names the field and quotes nothing.


def _decoded(secret: Secret) -> str | None:
    """The secret as text, or ``None`` when it is not UTF-8 (bytes) or not encodable (str)."""
    value = secret.reveal()
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates
            return None
        return value
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _text(secret: Secret, field: str) -> str:
    text = _decoded(secret)
    if text is None:
        raise ValidationError(field, "must be UTF-8 text")
    return text


def _sendable(secret: Secret) -> str | None:
    """The secret as a header value http.client sends unchanged, or ``None``.

    Printable text in latin-1 (what http.client encodes header values in):
    no control characters (CR, LF, NUL, tab, DEL, C1), nothing beyond U+00FF.
    """
    text = _decoded(secret)
    if text is None or not text.isprintable():
        return None
    if text.isascii() or max(text) <= "\xff":
        return text
    return None


def _header_value(secret: Secret, field: str) -> str:
    text = _sendable(secret)
    if text is None:
        raise ValidationError(
            field,
            "must be printable text an HTTP header can carry "
            "(latin-1, no control characters such as line breaks)",
        )
    return text


def _basic_part(secret: Secret) -> bytes | None:
    """A Basic credential's bytes: bytes as given, text in latin-1 as requests does, else UTF-8."""
    value = secret.reveal()
    if isinstance(value, bytes):
        return value
    if value.isascii() or max(value) <= "\xff":
        return value.encode("latin-1")
    try:
        return value.encode("utf-8")  # RFC 7617 section 2.1: charset UTF-8
    except UnicodeEncodeError:  # lone surrogates
        return None


def _basic_header(username: Secret, password: Secret) -> str:
    user = _basic_part(username)
    if user is None:
        raise ValidationError("username", "must be UTF-8 text or bytes")
    secret = _basic_part(password)
    if secret is None:
        raise ValidationError("password", "must be UTF-8 text or bytes")
    return "Basic " + base64.b64encode(user + b":" + secret).decode("ascii")


class _SecretHeader(AuthBase):
    """One header that carries one secret as it is, after a fixed prefix.

    The secret is checked once, on the first call: it must be printable
    text a header carries unchanged (a :class:`Secret` never changes, so
    what passed once passes again).
    """

    def __init__(self, header: str, prefix: str, secret: Secret, field: str) -> None:
        self._header = header
        self._prefix = prefix
        self._secret = secret
        self._field = field
        self._checked = False
        self.credential_headers = frozenset({header.lower()})

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        secret = self._secret
        if self._checked:
            r.headers[self._header] = self._prefix + secret.reveal()  # type: ignore[operator]
            return r
        r.headers[self._header] = self._prefix + _header_value(secret, self._field)
        self._checked = isinstance(secret.reveal(), str)
        return r


class BearerAuth(_SecretHeader):
    """``Authorization: Bearer <token>`` (RFC 6750 section 2.1).

    Args:
        token: The access token.

    Raises:
        ValidationError: ``token`` is empty or not text.
    """

    def __init__(self, token: Secret | str) -> None:
        super().__init__("Authorization", "Bearer ", _as_secret(token, "token"), "token")

    def __repr__(self) -> str:
        return f"BearerAuth(token={self._secret.fingerprint})"


class ApiKeyHeaderAuth(_SecretHeader):
    """An API key in a header of the API's choosing (``X-Api-Key: <key>``).

    Args:
        header: The header name.
        key: The API key.

    Raises:
        ValidationError: The header name or the key is invalid.
    """

    def __init__(self, header: str, key: Secret | str) -> None:
        if not isinstance(header, str) or not header or not header.isascii() or ":" in header:
            raise ValidationError("header", "must be an HTTP header name")
        super().__init__(header, "", _as_secret(key, "key"), "key")
        self.header = header

    def __repr__(self) -> str:
        return f"ApiKeyHeaderAuth(header={self.header!r}, key={self._secret.fingerprint})"


class BasicAuth(AuthBase):
    """HTTP Basic authentication (RFC 7617).

    Args:
        username: The user name (often a client id).
        password: The password.

    Raises:
        ValidationError: A value is empty or not text.
    """

    credential_headers: Final = frozenset({"authorization"})

    def __init__(self, username: Secret | str, password: Secret | str) -> None:
        self._username = _as_secret(username, "username")
        self._password = _as_secret(password, "password")

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = _basic_header(self._username, self._password)
        return r

    def __repr__(self) -> str:
        return f"BasicAuth(username={self._username.fingerprint}, password=<redacted>)"


def mimecast_date(at: datetime) -> str:
    """Format an instant as Mimecast's ``x-mc-date`` (``Tue, 24 Nov 2015 12:50:11 UTC``).

    Day and month names are English whatever the process locale.
    """
    return english_date(at, "UTC")


def mimecast_signature(
    secret_key: bytes, date: str, request_id: str, path: str, app_key: str
) -> str:
    """Return ``Base64(HMAC-SHA1(secret_key, "<date>:<request id>:<path>:<app key>"))``."""
    data = f"{date}:{request_id}:{path}:{app_key}".encode()
    return base64.b64encode(hmac.new(secret_key, data, hashlib.sha1).digest()).decode("ascii")


class MimecastHmacAuth(AuthBase):
    """Mimecast API 1.0 request signing.

    Each request gets a fresh ``x-mc-req-id`` (a UUID4), ``x-mc-date`` and
    ``x-mc-app-id``, and ``Authorization: MC <access key>:<signature>`` where
    the signature is ``Base64(HMAC-SHA1(Base64Decode(secret key),
    "<x-mc-date>:<x-mc-req-id>:<uri path>:<app key>"))``.

    Args:
        access_key: The access key of the binding.
        secret_key: The secret key of the binding (Base64, as Mimecast issues
            it; whitespace around it, such as the newline of a file it was
            pasted into, is ignored, as every Mimecast client does).
        app_id: The registered application's id.
        app_key: The registered application's key.
        clock: Returns the current aware instant (tests freeze it).

    Raises:
        ValidationError: A value is empty, or ``secret_key`` is not Base64.
    """

    credential_headers: Final = frozenset(
        {"authorization", "x-mc-app-id", "x-mc-req-id", "x-mc-date"}
    )

    def __init__(
        self,
        access_key: Secret | str,
        secret_key: Secret | str,
        app_id: Secret | str,
        app_key: Secret | str,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._access_key = _as_secret(access_key, "access_key")
        self._secret_key = _as_secret(secret_key, "secret_key")
        self._app_id = _as_secret(app_id, "app_id")
        self._app_key = _as_secret(app_key, "app_key")
        self._now = clock or (lambda: datetime.now(UTC))
        try:
            self._key = base64.b64decode(self._secret_key.reveal_bytes().strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError("secret_key", "must be Base64 as issued by Mimecast") from None

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        date = mimecast_date(self._now())
        request_id = str(uuid.uuid4())
        path = urllib.parse.urlsplit(r.url or "").path or "/"
        app_key = _text(self._app_key, "app_key")
        signature = mimecast_signature(self._key, date, request_id, path, app_key)
        access = _header_value(self._access_key, "access_key")
        r.headers["Authorization"] = f"MC {access}:{signature}"
        r.headers["x-mc-date"] = date
        r.headers["x-mc-req-id"] = request_id
        r.headers["x-mc-app-id"] = _header_value(self._app_id, "app_id")
        return r

    def __repr__(self) -> str:
        return f"MimecastHmacAuth(access_key={self._access_key.fingerprint}, secret_key=<redacted>)"


class OAuth2ClientCredentials(AuthBase):
    """OAuth 2.0 client credentials grant (RFC 6749 section 4.4) with a cached token.

    The access token is cached until ``leeway`` seconds before its
    ``expires_in``: ``0`` or less means it is used for the request that
    fetched it only; a value that is not a number (missing, ``null``,
    ``NaN``, ``true``) means :data:`DEFAULT_LIFETIME` (5 minutes); a numeric
    string is read as its number; anything longer than a day (``Infinity``
    included) is capped at :data:`MAX_LIFETIME`. On a ``401`` (or an answer
    whose body says the token expired) the token is refreshed once and the
    request sent again; threads share one token and one refresh at a time (a
    thread that finds a newer token than the one that failed reuses it).

    Args:
        token_url: The token endpoint (https unless loopback).
        client_id: The client identifier.
        client_secret: The client secret.
        client_auth: ``"body"`` (form fields, the default) or ``"basic"``
            (HTTP Basic, RFC 6749 section 2.3.1).
        scope: Space-separated scopes to ask for, if any.
        session: The session that talks to the token endpoint (a private
            plain session by default; redirects are never followed). A
            governed session passes one that uses its own ``proxies``,
            ``verify``, ``cert`` and ``trust_env``.
        timeout: Seconds for the token request.
        leeway: Refresh this many seconds before expiry (capped at a tenth of
            the lifetime).
        timer: Monotonic seconds, for expiry (tests pass a fake).

    Raises:
        ValidationError: A value is invalid.
        TokenEndpointError: (when used) the token endpoint refused; a
            :class:`~hf_api_governance.exceptions.TransportError`.
    """

    credential_headers: Final = frozenset({"authorization"})

    def __init__(
        self,
        token_url: str,
        client_id: Secret | str,
        client_secret: Secret | str,
        client_auth: Literal["body", "basic"] = "body",
        scope: str | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        leeway: float = 30.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = check_url("token_url", token_url)
        self._client_id = _as_secret(client_id, "client_id")
        self._client_secret = _as_secret(client_secret, "client_secret")
        if client_auth not in ("body", "basic"):
            raise ValidationError("client_auth", "must be 'body' or 'basic'")
        self.client_auth = client_auth
        self.scope = scope
        self._session = session or requests.Session()
        self._timeout = timeout
        self._leeway = leeway
        self._timer = timer
        self._lock = threading.Lock()
        self._token: Secret | None = None
        self._expires = 0.0
        self.fetches = 0
        """How many tokens were fetched (for statistics and tests)."""

    def __repr__(self) -> str:
        return (
            f"OAuth2ClientCredentials(token_url={redact_url(self.token_url)!r}, "
            f"client_id={self._client_id.fingerprint}, client_secret=<redacted>)"
        )

    # -- token cache ----------------------------------------------------------

    def _fetch(self) -> tuple[Secret, float]:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        auth: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None = None
        if self.client_auth == "basic":
            # RFC 6749 section 2.3.1: form-urlencode both before Basic encoding.
            quote = urllib.parse.quote_plus
            auth = BasicAuth(
                quote(_text(self._client_id, "client_id")),
                Secret(quote(_text(self._client_secret, "client_secret"))),
            )
        else:
            data["client_id"] = _text(self._client_id, "client_id")
            data["client_secret"] = _text(self._client_secret, "client_secret")
        # The request exception must not outlive this method, not even as the
        # __context__ of ours: its .request.body holds the client secret.
        failure: str | None = None
        response: requests.Response | None = None
        try:
            response = self._session.post(
                self.token_url,
                data=data,
                auth=auth,
                timeout=self._timeout,
                allow_redirects=False,
                headers={"Accept": "application/json"},
            )
        except GovernanceError:
            raise
        except Exception as exc:  # requests', and any other: never kept
            failure = type(exc).__name__
        finally:
            del data
        if response is None:
            raise TransportError(
                f"token request to {redact_url(self.token_url)} failed: {failure or 'no response'}"
            )
        body = json_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            codes = body_codes(body)  # the OAuth error, or a Mimecast fail code (either shape)
            error = codes[0] if codes else None
            evidence: dict[str, Any] = {
                "status": response.status_code,
                "endpoint": "token",
                **url_evidence(self.token_url),
            }
            if error is not None:
                evidence["error"] = error[:100]
            response.close()
            raise TokenEndpointError(
                f"token endpoint {redact_url(self.token_url)} answered {response.status_code}"
                + (f" {error[:100]}" if error else " without an access token"),
                status=response.status_code,
                error=error,
                evidence=evidence,
            )
        self.fetches += 1
        lifetime = parse_lifetime(body.get("expires_in") if isinstance(body, dict) else None)
        if lifetime is None:  # RFC 6749 section 5.1: expires_in is only recommended
            lifetime = DEFAULT_LIFETIME
        now = self._timer()
        if lifetime <= 0:
            expires = now - 1.0  # not cached: used for the request that fetched it
        else:
            lifetime = min(lifetime, MAX_LIFETIME)
            expires = now + lifetime - min(self._leeway, lifetime / 10)
        return Secret(token, label="access token"), expires

    def token(self) -> tuple[Secret, bool]:
        """Return the current access token and whether it was fetched just now.

        Raises:
            TokenEndpointError: The token endpoint refused.
            TransportError: The token endpoint could not be reached.
        """
        with self._lock:
            if self._token is not None and self._timer() < self._expires:
                return self._token, False
            self._token, self._expires = self._fetch()
            return self._token, True

    def refresh(self) -> None:
        """Fetch a new access token now, replacing the cached one (one token request).

        A governed session calls this to ask the token endpoint whether a
        credential it suspects is still accepted.

        Raises:
            TokenEndpointError: The token endpoint refused.
            TransportError: The token endpoint could not be reached.
        """
        with self._lock:
            self._token, self._expires = self._fetch()

    def invalidate(self, stale: Secret | None = None) -> None:
        """Forget the cached token (only if it is still ``stale``, when given)."""
        with self._lock:
            if stale is None or self._token is stale:
                self._token = None

    # -- requests hooks -------------------------------------------------------

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        token, fresh = self.token()
        self._apply(r, token, fresh)
        r.register_hook("response", self._on_response)  # type: ignore[no-untyped-call]
        return r

    @staticmethod
    def _apply(r: requests.PreparedRequest, token: Secret, fresh: bool) -> None:
        r.headers["Authorization"] = "Bearer " + _header_value(token, "access_token")
        setattr(r, FRESH_TOKEN_ATTR, fresh)
        setattr(r, "_hf_gov_token", token)  # noqa: B010 - identity for invalidate()

    def _on_response(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        if (
            (response.status_code != 401 and not getattr(response, EXPIRED_ATTR, False))
            or getattr(request, FRESH_TOKEN_ATTR, False)
            or getattr(request, _REFRESHED_ATTR, False)
            or not isinstance(request.body, bytes | str | type(None))
            or response.connection is None
        ):
            return response
        self.invalidate(getattr(request, "_hf_gov_token", None))
        token, _ = self.token()
        response.content  # noqa: B018 - drain, so the connection can be reused
        response.close()
        prep = request.copy()
        self._apply(prep, token, True)  # newer than the one refused: counts as fresh
        setattr(prep, _REFRESHED_ATTR, True)
        retried: requests.Response = response.connection.send(prep, **kwargs)
        retried.history.append(response)
        retried.request = prep
        return retried
