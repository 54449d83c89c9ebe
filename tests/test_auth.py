"""Auth schemes: OAuth 2.0 client credentials, Mimecast HMAC, bearer, API key, basic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from hf_api_governance import (
    AccessDenied,
    ApiError,
    ApiKeyHeaderAuth,
    ApiKind,
    BasicAuth,
    BearerAuth,
    CredentialRevoked,
    EventKind,
    GovernedSession,
    IntegrationState,
    MimecastHmacAuth,
    OAuth2ClientCredentials,
    Registry,
    RetryPolicy,
    RevocationSuspected,
    Revoker,
    Secret,
    TransportError,
    ValidationError,
)
from hf_api_governance._client.auth import mimecast_date, mimecast_signature
from tests.client_support import (
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    MC_ACCESS_KEY,
    MC_APP_ID,
    MC_APP_KEY,
    MC_SECRET_RAW,
    TOKEN,
    World,
    active,
    events,
    exception_texts,
    integration,
    mimecast_spec,
    oauth_spec,
)
from tests.servers import LocalServer, Received, Reply

# ------------------------------------------------------------- simple schemes


def _prepared(auth: Any, url: str = "https://api.example.com/v1/x?q=1") -> requests.PreparedRequest:
    return requests.Request("GET", url, auth=auth).prepare()


def test_bearer_api_key_and_basic_write_their_headers() -> None:
    assert _prepared(BearerAuth(Secret(TOKEN))).headers["Authorization"] == f"Bearer {TOKEN}"
    assert _prepared(ApiKeyHeaderAuth("X-Api-Key", API_KEY)).headers["X-Api-Key"] == API_KEY
    basic = _prepared(BasicAuth("user", "pa:ss")).headers["Authorization"]
    assert basic == "Basic " + base64.b64encode(b"user:pa:ss").decode()


def test_no_scheme_shows_its_secret_in_repr() -> None:
    schemes = [
        BearerAuth(TOKEN),
        ApiKeyHeaderAuth("X-Api-Key", API_KEY),
        BasicAuth(CLIENT_ID, CLIENT_SECRET),
        MimecastHmacAuth(
            MC_ACCESS_KEY, base64.b64encode(MC_SECRET_RAW).decode(), MC_APP_ID, MC_APP_KEY
        ),
        OAuth2ClientCredentials("https://login.example.com/token", CLIENT_ID, CLIENT_SECRET),
    ]
    text = " ".join(repr(s) for s in schemes)
    for secret in (TOKEN, API_KEY, CLIENT_SECRET, MC_ACCESS_KEY, MC_APP_KEY):
        assert secret not in text


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValidationError, match="token"):
        _prepared(BearerAuth("abc\r\nX-Evil: 1"))


def test_a_mimecast_secret_key_must_be_base64() -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        MimecastHmacAuth("a", "not base64!!", "c", "d")


def test_oauth_token_url_must_be_https_unless_loopback() -> None:
    with pytest.raises(ValidationError, match="token_url"):
        OAuth2ClientCredentials("http://login.example.com/token", CLIENT_ID, CLIENT_SECRET)


# ----------------------------------------------------------------- Mimecast HMAC

_MC_DATE_RE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} UTC$"
)


def test_mimecast_date_has_the_documented_form() -> None:
    assert mimecast_date(datetime(2015, 11, 24, 12, 50, 11, tzinfo=UTC)) == (
        "Tue, 24 Nov 2015 12:50:11 UTC"
    )


@given(st.binary(min_size=1, max_size=64), st.text(min_size=1, max_size=30))
def test_the_mimecast_signature_is_hmac_sha1_over_the_documented_string(
    key: bytes, app_key: str
) -> None:
    date, req_id, path = "Tue, 24 Nov 2015 12:50:11 UTC", str(uuid.uuid4()), "/api/x"
    expected = hmac.new(key, f"{date}:{req_id}:{path}:{app_key}".encode(), hashlib.sha1).digest()
    assert base64.b64decode(mimecast_signature(key, date, req_id, path, app_key)) == expected


def _mimecast_verifier(seen_ids: list[str]) -> Any:
    """A Mimecast-1.0-style endpoint that checks the signature as Mimecast does."""

    def handler(r: Received) -> Reply:
        auth = r.header("Authorization") or ""
        date, req_id, app_id = (
            r.header("x-mc-date"),
            r.header("x-mc-req-id"),
            r.header("x-mc-app-id"),
        )
        if not (auth.startswith("MC ") and date and req_id and app_id == MC_APP_ID):
            return Reply(401, body={"meta": {"status": 401}, "data": [], "fail": []})
        access, _, signature = auth[3:].partition(":")
        expected = base64.b64encode(
            hmac.new(
                MC_SECRET_RAW, f"{date}:{req_id}:{r.path}:{MC_APP_KEY}".encode(), hashlib.sha1
            ).digest()
        ).decode()
        if access != MC_ACCESS_KEY or not hmac.compare_digest(signature, expected):
            return Reply(401, body={"meta": {"status": 401}, "data": [], "fail": []})
        if not _MC_DATE_RE.match(date) or uuid.UUID(req_id).version != 4:
            return Reply(400)
        seen_ids.append(req_id)
        return Reply(200, body={"meta": {"status": 200}, "data": [{"ok": True}], "fail": []})

    return handler


def _mimecast_world(world: World, server: LocalServer) -> Registry:
    registry = world.registry()
    active(
        registry,
        integration(
            server.url,
            id="mc-api",
            kind=ApiKind.MIMECAST_API,
            auth=mimecast_spec(),
            credential=None,
        ),
    )
    return registry


def test_mimecast_requests_are_signed_as_the_server_verifies(
    world: World, server: LocalServer
) -> None:
    seen: list[str] = []
    server.route("POST", "/api/account/get-account", _mimecast_verifier(seen))
    registry = _mimecast_world(world, server)
    with GovernedSession(registry, "mc-api", keystore=world.keystore()) as session:
        for _ in range(2):
            response = session.post(server.url + "/api/account/get-account", json={"data": []})
            assert response.status_code == 200, response.text
    assert len(seen) == 2
    assert seen[0] != seen[1]


def test_the_mimecast_hmac_auth_works_alone_with_a_plain_session(server: LocalServer) -> None:
    seen: list[str] = []
    server.route("POST", "/api/x", _mimecast_verifier(seen))
    auth = MimecastHmacAuth(
        MC_ACCESS_KEY, Secret(base64.b64encode(MC_SECRET_RAW).decode()), MC_APP_ID, MC_APP_KEY
    )
    assert requests.post(server.url + "/api/x", json={}, auth=auth, timeout=5).status_code == 200


@pytest.mark.parametrize(
    "reply",
    [
        Reply(
            200,
            body={
                "meta": {"status": 200},
                "data": [],
                "fail": [{"errors": [{"code": "InvalidClientIdentifier", "retryable": False}]}],
            },
        ),
        Reply(
            200,
            body={
                "meta": {},
                "data": [],
                "fail": [{"key": {}, "errors": [{"code": "err_xdk_binding_expired"}]}],
            },
        ),
        Reply(418, body={"meta": {"status": 418}, "data": [], "fail": []}),
    ],
    ids=["InvalidClientIdentifier", "err_xdk_binding_expired", "418"],
)
def test_mimecast_revocation_signals_revoke_and_stop_all_sessions(
    world: World, server: LocalServer, reply: Reply
) -> None:
    server.route("POST", "/api/x", reply)
    registry = _mimecast_world(world, server)
    with (
        GovernedSession(registry, "mc-api", keystore=world.keystore()) as session,
        pytest.raises(CredentialRevoked) as caught,
    ):
        session.post(server.url + "/api/x", json={"data": []})
    assert caught.value.integration_id == "mc-api"
    state = registry.get("mc-api")
    assert state.state is IntegrationState.REVOKED
    (event,) = events(registry, "mc-api", EventKind.REVOKED)
    assert event.evidence["revoker"] == Revoker.MIMECAST.value
    assert event.actor == "mimecast"
    server.clear()
    with (
        GovernedSession(registry, "mc-api", keystore=world.keystore()) as fresh_session,
        pytest.raises(AccessDenied),
    ):
        fresh_session.post(server.url + "/api/x", json={"data": []})
    assert server.received == []


def test_another_mimecast_fail_code_is_an_api_error_not_a_revocation(
    world: World, server: LocalServer
) -> None:
    server.route(
        "POST",
        "/api/x",
        Reply(
            200,
            body={
                "meta": {},
                "data": [],
                "fail": [{"errors": [{"code": "err_validation_blank", "retryable": False}]}],
            },
        ),
    )
    registry = _mimecast_world(world, server)
    with (
        GovernedSession(registry, "mc-api", keystore=world.keystore()) as session,
        pytest.raises(ApiError) as caught,
    ):
        session.post(server.url + "/api/x", json={"data": []})
    assert caught.value.codes == ("err_validation_blank",)
    assert registry.get("mc-api").state is IntegrationState.ACTIVE


def test_a_mimecast_post_is_retried_on_429_when_opted_in(world: World, server: LocalServer) -> None:
    replies = [
        Reply(429, headers={"X-RateLimit-Reset": "10"}),
        Reply(200, body={"data": [], "fail": []}),
    ]
    server.route("POST", "/api/x", lambda r: replies.pop(0))
    registry = _mimecast_world(world, server)
    policy = RetryPolicy(base_wait=0.0, retry_non_idempotent=True)
    with GovernedSession(registry, "mc-api", keystore=world.keystore(), retry=policy) as session:
        assert session.post(server.url + "/api/x", json={}).status_code == 200
        assert session.last_retry_stats.total_wait == pytest.approx(0.01)


# ------------------------------------------------------------------ OAuth 2.0


class TokenServer:
    """Issues tok-1, tok-2...; the resource accepts only the newest (unless all_refused)."""

    def __init__(self, server: LocalServer, *, delay: float = 0.0) -> None:
        self.server = server
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.refuse_client = False
        self.issue_limit: int | None = None  # refuse the client once this many were issued
        self.all_refused = False
        self.delay = delay
        self.lock = threading.Lock()
        self.barrier: threading.Barrier | None = None
        server.route("POST", "/oauth/token", self.token)
        server.route("GET", "/v1/data", self.resource)

    def token(self, r: Received) -> Reply:
        if self.refuse_client or (
            self.issue_limit is not None and len(self.issued) >= self.issue_limit
        ):
            return Reply(401, body={"error": "invalid_client"})
        form = r.form()
        basic = r.header("Authorization")
        if basic:
            user, _, password = base64.b64decode(basic[6:]).decode().partition(":")
            form.update(client_id=user, client_secret=password)
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(400, body={"error": "invalid_request"})
        if self.delay:
            threading.Event().wait(self.delay)
        with self.lock:
            token = f"tok-{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid = {token}
        return Reply(200, body={"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    def expire_all(self) -> None:
        with self.lock:
            self.valid = set()

    def resource(self, r: Received) -> Reply:
        token = (r.header("Authorization") or "").removeprefix("Bearer ")
        with self.lock:
            accepted = token in self.valid and not self.all_refused
        if accepted:
            return Reply(200, body={"data": [1, 2, 3]})
        if self.barrier is not None:
            self.barrier.wait(timeout=5)
        return Reply(401, headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})


def _oauth_world(world: World, server: LocalServer, client_auth: str = "body") -> Registry:
    registry = world.registry()
    active(
        registry,
        integration(
            server.url, auth=oauth_spec(server.url + "/oauth/token", client_auth), credential=None
        ),
    )
    return registry


@pytest.mark.parametrize("client_auth", ["body", "basic"])
def test_the_token_is_fetched_once_and_cached(
    world: World, server: LocalServer, client_auth: str
) -> None:
    tokens = TokenServer(server)
    registry = _oauth_world(world, server, client_auth)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        for _ in range(3):
            assert session.get(server.url + "/v1/data").status_code == 200
    assert tokens.issued == ["tok-1"]
    (token_request,) = server.requests_to("/oauth/token")
    assert token_request.form()["grant_type"] == "client_credentials"
    if client_auth == "basic":
        assert "client_secret" not in token_request.form()
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        assert token_request.header("Authorization") == f"Basic {basic}"
    else:
        assert token_request.header("Authorization") is None
        assert token_request.form()["client_secret"] == CLIENT_SECRET
    resources = server.requests_to("/v1/data")
    assert {r.header("Authorization") for r in resources} == {"Bearer tok-1"}


def test_a_token_is_fetched_again_shortly_before_it_expires(server: LocalServer) -> None:
    now = [1000.0]
    TokenServer(server)
    auth = OAuth2ClientCredentials(
        server.url + "/oauth/token", CLIENT_ID, CLIENT_SECRET, timer=lambda: now[0]
    )
    first, fresh = auth.token()
    assert fresh
    now[0] += 3600 - 31  # expires_in=3600, leeway 30 s: still good
    assert auth.token() == (first, False)
    now[0] += 2  # inside the leeway
    second, fresh = auth.token()
    assert fresh
    assert second != first
    again, fresh = auth.token()
    assert again is second
    assert not fresh


def test_a_401_cured_by_one_refresh_is_not_a_revocation(world: World, server: LocalServer) -> None:
    tokens = TokenServer(server)
    registry = _oauth_world(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.get(server.url + "/v1/data").status_code == 200
        tokens.expire_all()  # the server forgets tok-1
        response = session.get(server.url + "/v1/data")
    assert response.status_code == 200
    assert [r.status_code for r in response.history] == [401]
    assert tokens.issued == ["tok-1", "tok-2"]
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    assert events(registry, "acme-api", EventKind.REVOKED) == []


def test_a_fresh_token_refused_is_only_a_suspicion_while_the_token_endpoint_issues(
    world: World, server: LocalServer
) -> None:
    """Issue 12 item 2: one invalid_token on a fresh token is not a permanent revocation."""
    tokens = TokenServer(server)
    registry = _oauth_world(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.get(server.url + "/v1/data").status_code == 200
        tokens.all_refused = True
        with pytest.raises(RevocationSuspected) as caught:
            session.get(server.url + "/v1/data")
        # one refresh (tok-2, refused too), then one confirmation: the endpoint issues tok-3
        assert tokens.issued == ["tok-1", "tok-2", "tok-3"]
        assert caught.value.confirmation == "cleared"
        assert caught.value.status == 401
        assert caught.value.evidence["signal"] == "invalid_token_after_fresh_token"
        assert CLIENT_SECRET not in exception_texts(caught.value)
        tokens.all_refused = False
        assert session.get(server.url + "/v1/data").status_code == 200  # the next call is sent
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    assert events(registry, "acme-api", EventKind.REVOKED) == []
    (suspicion,) = events(registry, "acme-api", EventKind.SIGNAL_RECORDED)
    assert suspicion.clause == "1.1.1"
    assert suspicion.evidence["confirmation"] == "cleared"
    assert suspicion.evidence["confirmed_by"] == "token_endpoint"


def test_a_fresh_token_refused_is_a_revocation_once_the_token_endpoint_confirms(
    world: World, server: LocalServer
) -> None:
    tokens = TokenServer(server)
    registry = _oauth_world(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.get(server.url + "/v1/data").status_code == 200
        tokens.all_refused = True
        tokens.issue_limit = 2  # tok-2 for the refresh, then the client is refused
        with pytest.raises(CredentialRevoked) as caught:
            session.get(server.url + "/v1/data")
    assert tokens.issued == ["tok-1", "tok-2"]
    assert caught.value.evidence["signal"] == "invalid_token_after_fresh_token"
    assert caught.value.evidence["confirmation"] == "confirmed"
    assert caught.value.evidence["confirmation_code"] == "invalid_client"
    (event,) = events(registry, "acme-api", EventKind.REVOKED)
    assert event.evidence["revoker"] == "third_party"
    server.clear()
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as other,
        pytest.raises(AccessDenied),
    ):
        other.get(server.url + "/v1/data")
    assert server.received == []


def test_invalid_client_at_the_token_endpoint_revokes(world: World, server: LocalServer) -> None:
    tokens = TokenServer(server)
    tokens.refuse_client = True
    registry = _oauth_world(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        with pytest.raises(CredentialRevoked, match="invalid_client"):
            session.get(server.url + "/v1/data")
        with pytest.raises(AccessDenied):
            session.get(server.url + "/v1/data")
    assert server.requests_to("/v1/data") == []
    assert len(server.requests_to("/oauth/token")) == 1  # the secret was not sent again
    assert registry.is_credential_revoked("acme-client-secret")


def test_a_refused_token_request_alone_is_a_transport_error_without_secrets(
    server: LocalServer,
) -> None:
    tokens = TokenServer(server)
    tokens.refuse_client = True
    auth = OAuth2ClientCredentials(server.url + "/oauth/token", CLIENT_ID, CLIENT_SECRET)
    with pytest.raises(TransportError) as caught:
        requests.get(server.url + "/v1/data", auth=auth, timeout=5)
    assert "invalid_client" in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)
    assert CLIENT_ID not in str(caught.value)


def test_two_threads_share_one_first_fetch(server: LocalServer) -> None:
    tokens = TokenServer(server, delay=0.1)
    auth = OAuth2ClientCredentials(server.url + "/oauth/token", CLIENT_ID, CLIENT_SECRET)
    start = threading.Barrier(2)
    got: list[Secret] = []

    def worker() -> None:
        start.wait(timeout=5)
        got.append(auth.token()[0])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert tokens.issued == ["tok-1"]
    assert got[0] is got[1]


def test_two_threads_refused_together_share_one_refresh(world: World, server: LocalServer) -> None:
    tokens = TokenServer(server)
    registry = _oauth_world(world, server)
    session = GovernedSession(registry, "acme-api", keystore=world.keystore())
    assert session.get(server.url + "/v1/data").status_code == 200
    tokens.expire_all()
    tokens.barrier = threading.Barrier(2)  # both stale requests arrive before either 401
    statuses: list[int] = []

    def worker() -> None:
        statuses.append(session.get(server.url + "/v1/data").status_code)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    tokens.barrier = None
    session.close()
    assert statuses == [200, 200]
    assert tokens.issued == ["tok-1", "tok-2"]
    assert registry.get("acme-api").state is IntegrationState.ACTIVE


def test_a_401_after_a_redirect_to_another_origin_fetches_no_token_for_it(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    tokens = TokenServer(server)
    server.route("GET", "/v1/moved", Reply(302, headers={"Location": other_server.url + "/x"}))
    other_server.route("GET", "/x", Reply(401, headers={"WWW-Authenticate": "Bearer"}))
    registry = _oauth_world(world, server)
    seen: list[int] = []
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.get(server.url + "/v1/data").status_code == 200
        response = session.get(
            server.url + "/v1/moved",
            hooks={"response": [lambda r, **_: seen.append(r.status_code)]},
        )
    assert response.status_code == 401
    assert tokens.issued == ["tok-1"]  # no refresh for the foreign 401
    assert len(other_server.received) == 1
    assert other_server.received[0].header("Authorization") is None
    assert 401 in seen  # the caller's own hook still ran on the foreign hop


# ------------------------- unsendable credentials and unreachable token endpoints leak nothing

_ODD_VALUES: dict[str, str | bytes] = {
    "bytes": b"\xffCANARY-bytes-Hq7Lm2Xw9Kp",  # not UTF-8
    "euro": "CANARY-euro-\u20ac-Hq7Lm2Xw9",  # not latin-1: http.client cannot encode it
    "surrogate": "CANARY-surrogate-\udcff-Hq7Lm2",  # not even UTF-8 encodable
    "tab": "CANARY-tab-\t-Hq7Lm2Xw9Kp",  # a control character
    "del": "CANARY-del-\x7f-Hq7Lm2Xw9Kp",
}

_UNSENDABLE_FOR: dict[str, tuple[str, ...]] = {
    # A header value as is: only printable latin-1 text can be sent.
    "bearer": ("bytes", "euro", "surrogate", "tab", "del"),
    "api_key_header": ("bytes", "euro", "surrogate", "tab", "del"),
    # Base64 of bytes: any bytes or UTF-8 text goes, so only the surrogate cannot.
    "basic": ("surrogate",),
    # A form field (URL-encoded) or an HMAC input: any UTF-8 text goes.
    "oauth2": ("bytes", "surrogate"),
    "mimecast": ("bytes", "surrogate"),
}
"""Which of the odd values each scheme cannot send (the others it encodes)."""


def _spec_with(entry: str, scheme: str, server: LocalServer) -> tuple[dict[str, str], str]:
    """An auth spec whose credential of interest is keystore entry ``entry``; its field."""
    if scheme == "bearer":
        return {"scheme": "bearer", "token": entry}, "token"
    if scheme == "api_key_header":
        return {"scheme": "api_key_header", "header": "X-Acme-Key", "key": entry}, "key"
    if scheme == "basic":
        return {"scheme": "basic", "username": "acme-client-id", "password": entry}, "password"
    if scheme == "oauth2":
        spec = oauth_spec(server.url + "/oauth/token")
        return {**spec, "client_secret": entry}, "client_secret"
    return {**mimecast_spec(), "app_key": entry}, "app_key"


@pytest.mark.parametrize(
    ("scheme", "value"),
    [
        pytest.param(scheme, _ODD_VALUES[name], id=f"{scheme}-{name}")
        for scheme, names in _UNSENDABLE_FOR.items()
        for name in names
    ],
)
def test_an_unsendable_credential_is_a_validation_error_without_its_value(
    world: World, server: LocalServer, scheme: str, value: str | bytes
) -> None:
    """A ValidationError naming the field, nothing sent; never a UnicodeError holding the value."""
    from tests.canary import leaks

    ks = world.keystore()
    ks.put("odd-entry", Secret(value))
    spec, field = _spec_with("odd-entry", scheme, server)
    TokenServer(server)
    registry = world.registry()
    kind = ApiKind.MIMECAST_API if scheme == "mimecast" else ApiKind.THIRD_PARTY_API
    active(registry, integration(server.url, auth=spec, credential=None, kind=kind))
    with (
        GovernedSession(registry, "acme-api", keystore=ks) as session,
        pytest.raises(ValidationError) as caught,
    ):
        session.get(server.url + "/v1/data")
    assert caught.value.field == field
    assert leaks(exception_texts(caught.value), value) == []
    assert server.received == []


@pytest.mark.parametrize(
    "name", [name for name in _ODD_VALUES if name not in _UNSENDABLE_FOR["basic"]]
)
def test_basic_sends_any_bytes_or_utf8_text_as_base64(name: str) -> None:
    """The odd values Basic can send: Base64 of the raw bytes or of the UTF-8 text."""
    value = _ODD_VALUES[name]
    raw = value if isinstance(value, bytes) else value.encode()
    header = _prepared(BasicAuth("acme-client-id", Secret(value))).headers["Authorization"]
    assert header == "Basic " + base64.b64encode(b"acme-client-id:" + raw).decode()


@given(st.one_of(st.text(max_size=40), st.binary(max_size=40)).filter(bool))
def test_bearer_either_writes_a_sendable_header_or_refuses(value: str | bytes) -> None:
    """Any value: a header http.client can send as is, or a ValidationError; nothing else."""
    refused: ValidationError | None = None
    try:
        prepared = _prepared(BearerAuth(Secret(value)))
    except ValidationError as exc:
        refused = exc
    if refused is not None:
        assert refused.field == "token"
        assert refused.__context__ is None
        return
    header = prepared.headers["Authorization"]
    header.encode("latin-1")
    assert header.isprintable()
    expected = value if isinstance(value, str) else value.decode("utf-8")
    assert header == f"Bearer {expected}"


def test_a_token_endpoint_that_cannot_be_reached_keeps_no_secret_in_the_error() -> None:
    """A TransportError without the requests exception, whose request body holds the secret."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for client_auth in ("body", "basic"):
        auth = OAuth2ClientCredentials(
            f"http://127.0.0.1:{port}/token",
            CLIENT_ID,
            Secret(CLIENT_SECRET),
            client_auth=client_auth,
        )
        with pytest.raises(TransportError) as caught:
            auth.token()
        assert caught.value.__context__ is None
        assert caught.value.__cause__ is None
        texts = exception_texts(caught.value)
        assert CLIENT_SECRET not in texts
        assert base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode() not in texts


def test_a_governed_session_whose_token_endpoint_is_down_keeps_no_secret(
    world: World, server: LocalServer
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    registry = world.registry()
    spec = oauth_spec(f"http://127.0.0.1:{port}/oauth/token")
    base = f"http://127.0.0.1:{port}"
    active(registry, integration(base, auth=spec, credential=None))
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as session,
        pytest.raises(TransportError) as caught,
    ):
        session.get(base + "/v1/data")
    assert CLIENT_SECRET not in exception_texts(caught.value)
