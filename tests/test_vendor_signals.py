"""Revocation and suspension as the real APIs signal them (issue 12), against local servers.

One test (or more) per numbered item of issue 12, each named for the
behaviour a user relies on; the vendor SDKs themselves are in
``test_vendor_sdk.py`` and the hostile-input property of the classifier in
``test_classify_hostile.py``.
"""

from __future__ import annotations

import base64
import json
import math
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr

from hf_api_governance import (
    AccessDenied,
    ApiError,
    ApiKind,
    BearerAuth,
    CredentialRevoked,
    EventKind,
    GovernedSession,
    IntegrationState,
    InteroperabilitySuspended,
    InventoryError,
    Keystore,
    MimecastHmacAuth,
    OAuth2ClientCredentials,
    RedactingFilter,
    Registry,
    RetryPolicy,
    RevocationSuspected,
    SuspensionCause,
    TransportError,
    ValidationError,
    dump_inventory,
    govern,
    load_inventory,
)
from hf_api_governance._client.auth import mimecast_signature
from hf_api_governance._client.options import DEFAULT_TIMEOUT
from hf_api_governance._client.origins import data_origin_matches, origin_of
from hf_api_governance._client.parse import parse_date_value
from hf_api_governance._client.session import _GovernedAdapter
from hf_api_governance._storage import sqlite as _store
from tests.client_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    MC_SECRET_KEY,
    TOKEN,
    World,
    active,
    events,
    exception_texts,
    integration,
    mimecast_spec,
    oauth_spec,
)
from tests.servers import LocalProxy, LocalServer, RawServer, Received, Reply, dead_port

FAST = RetryPolicy(max_attempts=3, base_wait=0.0, max_wait=0.02, total_timeout=5.0)
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def sequence(*replies: Reply) -> Callable[[Received], Reply]:
    """Answer with each reply in turn, then keep answering the last one."""
    remaining = list(replies)
    lock = threading.Lock()

    def handler(_r: Received) -> Reply:
        with lock:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handler


def token(name: str, expires_in: Any = 1800) -> Reply:
    return Reply(200, body={"access_token": name, "token_type": "Bearer", "expires_in": expires_in})


def mimecast_2(world: World, server: LocalServer) -> Registry:
    """A Mimecast API 2.0 integration: OAuth 2.0 client credentials against /oauth/token."""
    registry = world.registry()
    active(
        registry,
        integration(
            server.url,
            kind=ApiKind.MIMECAST_API,
            vendor="Mimecast",
            api_version="2.0",
            auth=oauth_spec(server.url + "/oauth/token"),
            credential=None,
        ),
    )
    return registry


def code42(world: World, server: LocalServer) -> Registry:
    """A Code42/Incydr integration: client credentials (HTTP Basic) against /v1/oauth."""
    registry = world.registry()
    active(
        registry,
        integration(
            server.url,
            vendor="Code42",
            auth=oauth_spec(server.url + "/v1/oauth", "basic"),
            credential=None,
        ),
    )
    return registry


def mimecast_1(world: World, server: LocalServer) -> Registry:
    registry = world.registry()
    active(
        registry,
        integration(server.url, kind=ApiKind.MIMECAST_API, auth=mimecast_spec(), credential=None),
    )
    return registry


# ---------------------------------------------------- 1. Mimecast API 2.0 error bodies


def test_mimecast_2_token_endpoint_refusal_in_the_fail_array_revokes(
    world: World, server: LocalServer
) -> None:
    """Item 1: the 2.0 shape fail[].code at the token endpoint is the authority's word."""
    server.route(
        "POST",
        "/oauth/token",
        Reply(401, body={"fail": [{"code": "InvalidClientIdentifier", "message": "Invalid"}]}),
    )
    registry = mimecast_2(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        with pytest.raises(CredentialRevoked) as caught:
            session.post(server.url + "/api/account/get-account", json={})
        with pytest.raises(AccessDenied, match="CREDENTIAL_REVOKED"):
            session.post(server.url + "/api/account/get-account", json={})
    assert caught.value.evidence["error"] == "InvalidClientIdentifier"
    assert registry.get("acme-api").state is IntegrationState.REVOKED
    assert len(server.requests_to("/oauth/token")) == 1
    assert server.requests_to("/api/account/get-account") == []


@pytest.mark.parametrize("code", ["InvalidClientIdentifier", "err_xdk_binding_expired"])
def test_a_mimecast_2_fail_code_on_a_resource_is_confirmed_by_the_token_endpoint(
    world: World, server: LocalServer, code: str
) -> None:
    """Item 1: a 2.0 fail[].code on a resource is read, confirmed once, and revokes."""
    server.route(
        "POST",
        "/oauth/token",
        sequence(token("t1"), Reply(401, body={"fail": [{"code": "InvalidClientIdentifier"}]})),
    )
    server.route("POST", "/api/x", Reply(401, body={"fail": [{"code": code, "message": "no"}]}))
    registry = mimecast_2(world, server)
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as session,
        pytest.raises(CredentialRevoked) as caught,
    ):
        session.post(server.url + "/api/x", json={})
    assert caught.value.evidence["signal"] == "revocation_code"
    assert caught.value.evidence["confirmation"] == "confirmed"
    assert registry.get("acme-api").state is IntegrationState.REVOKED


def test_a_mimecast_2_fail_code_the_token_endpoint_does_not_confirm_is_raised_not_silent(
    world: World, server: LocalServer
) -> None:
    server.route("POST", "/oauth/token", sequence(token("t1"), token("t2")))
    server.route("POST", "/api/x", Reply(401, body={"fail": [{"code": "InvalidClientIdentifier"}]}))
    registry = mimecast_2(world, server)
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as session,
        pytest.raises(RevocationSuspected) as caught,
    ):
        session.post(server.url + "/api/x", json={})
    assert caught.value.codes == ("InvalidClientIdentifier",)
    assert caught.value.confirmation == "cleared"
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    (event,) = events(registry, "acme-api", EventKind.SIGNAL_RECORDED)
    assert event.evidence["signal"] == "revocation_code"


def test_another_mimecast_2_fail_code_is_an_api_error(world: World, server: LocalServer) -> None:
    server.route("POST", "/oauth/token", token("t1"))
    server.route(
        "POST", "/api/x", Reply(400, body={"fail": [{"code": "validation_error", "message": "x"}]})
    )
    registry = mimecast_2(world, server)
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as session,
        pytest.raises(ApiError) as caught,
    ):
        session.post(server.url + "/api/x", json={})
    assert not isinstance(caught.value, RevocationSuspected)
    assert caught.value.codes == ("validation_error",)


@pytest.mark.parametrize("status", [401, 400])
def test_mimecast_2_token_expired_refreshes_the_token_once(
    world: World, server: LocalServer, status: int
) -> None:
    """Item 1: token_expired on a cached token fetches a new one and sends the call again."""
    server.route("POST", "/oauth/token", sequence(token("t1"), token("t2")))
    expired = threading.Event()

    def resource(r: Received) -> Reply:
        if expired.is_set() and r.header("Authorization") == "Bearer t1":
            return Reply(status, body={"fail": [{"code": "token_expired", "message": "expired"}]})
        return Reply(200, body={"meta": {}, "data": [], "fail": []})

    server.route("POST", "/api/x", resource)
    registry = mimecast_2(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.post(server.url + "/api/x", json={}).status_code == 200
        expired.set()  # the gateway now calls t1 expired
        answer = session.post(server.url + "/api/x", json={})
    assert answer.status_code == 200
    assert [r.status_code for r in answer.history] == [status]
    assert len(server.requests_to("/oauth/token")) == 2
    assert registry.get("acme-api").history[-1].kind is EventKind.ACTIVATED  # nothing recorded


# ---------------------------------------------------- 2. no false permanent revocation


def test_invalid_client_from_a_resource_does_not_revoke_a_static_token(
    world: World, server: LocalServer
) -> None:
    """Item 2: a resource's invalid_client is a suspicion; a static token is never revoked by it."""
    server.route("GET", "/v1/users", Reply(400, body={"error": "invalid_client"}))
    registry, ks, engine, _ = world(server.url)  # a static bearer token
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        with pytest.raises(RevocationSuspected) as caught:
            session.get(server.url + "/v1/users")
        assert isinstance(caught.value, ApiError)
        assert caught.value.confirmation == "not_possible"
        assert TOKEN not in exception_texts(caught.value)
        server.route("GET", "/v1/users", Reply(200, body={"data": []}))
        assert session.get(server.url + "/v1/users").status_code == 200
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    assert registry.revoked_credentials() == frozenset()
    (event,) = events(registry, "acme-api", EventKind.SIGNAL_RECORDED)
    assert event.clause == "1.1.1"
    assert event.evidence["confirmation"] == "not_possible"


def test_a_suspicion_is_recorded_once_per_signal_and_path(
    world: World, server: LocalServer
) -> None:
    server.route("GET", "/v1/users", Reply(400, body={"error": "invalid_client"}))
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        for _ in range(3):
            with pytest.raises(RevocationSuspected):
                session.get(server.url + "/v1/users")
    assert len(events(registry, "acme-api", EventKind.SIGNAL_RECORDED)) == 1


# ---------------------------------------------------- 3. Code42's token endpoint 401


@pytest.mark.parametrize("body", [b"", "The supplied credentials are invalid"])
def test_a_401_without_a_code_from_code42s_token_endpoint_is_asked_once_more(
    world: World, server: LocalServer, body: bytes | str
) -> None:
    """Item 3: an empty or text/plain 401 at /v1/oauth, twice in a row, is a revocation."""
    server.route("POST", "/v1/oauth", Reply(401, body=body))
    registry = code42(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        with pytest.raises(CredentialRevoked) as caught:
            session.get(server.url + "/v1/users")
        with pytest.raises(AccessDenied):
            session.get(server.url + "/v1/users")
    assert caught.value.evidence["signal"] == "token_refusal"
    assert caught.value.evidence["confirmation"] == "confirmed"
    assert len(server.requests_to("/v1/oauth")) == 2  # the refusal and its confirmation
    assert server.requests_to("/v1/users") == []
    assert CLIENT_SECRET not in exception_texts(caught.value)


def test_a_401_the_token_endpoint_does_not_repeat_is_a_suspicion(
    world: World, server: LocalServer
) -> None:
    server.route("POST", "/v1/oauth", sequence(Reply(401, body=""), token("t1")))
    server.route("GET", "/v1/users", Reply(200, body={"users": []}))
    registry = code42(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        with pytest.raises(RevocationSuspected) as caught:
            session.get(server.url + "/v1/users")
        assert caught.value.status == 401
        assert session.get(server.url + "/v1/users").status_code == 200
    assert registry.get("acme-api").state is IntegrationState.ACTIVE


# ---------------------------------------------------- 4. one governed session per integration


def _two_tenants(world: World, a: LocalServer, b: LocalServer) -> Registry:
    registry = world.registry()
    active(registry, integration(a.url, id="tenant-a"))
    active(registry, integration(b.url, id="tenant-b"))
    return registry


def test_a_session_governed_for_one_integration_refuses_another(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """Item 4: governing a governed session for another integration is a clear error."""
    registry = _two_tenants(world, server, other_server)
    session = requests.Session()
    govern(session, registry, "tenant-a")
    with pytest.raises(ValidationError, match="already governed for integration 'tenant-a'") as e:
        govern(session, registry, "tenant-b")
    assert e.value.field == "session"
    assert "route_by_origin=True" in str(e.value)
    govern(session, registry, "tenant-a")  # the same integration again: fine
    with (
        GovernedSession(registry, "tenant-a", keystore=world.keystore()) as governed,
        pytest.raises(ValidationError, match="GovernedSession"),
    ):
        govern(governed, registry, "tenant-b")


def test_routing_by_origin_keeps_each_tenants_signals_apart(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """Item 4: a 410 on tenant A's call suspends A, not B."""
    server.route("GET", "/v1/x", Reply(410))
    other_server.route("GET", "/v1/x", Reply(200, body={"data": []}))
    registry = _two_tenants(world, server, other_server)
    session = requests.Session()
    govern(session, registry, "tenant-a")
    govern(session, registry, "tenant-b", route_by_origin=True)
    with pytest.raises(InteroperabilitySuspended) as caught:
        session.get(server.url + "/v1/x")
    assert caught.value.integration_id == "tenant-a"
    assert session.get(other_server.url + "/v1/x").status_code == 200
    assert registry.get("tenant-a").state is IntegrationState.SUSPENDED
    assert registry.get("tenant-b").state is IntegrationState.ACTIVE


def test_routing_by_origin_refuses_integrations_that_share_an_origin(
    world: World, server: LocalServer
) -> None:
    registry = world.registry()
    active(registry, integration(server.url, id="one"))
    active(registry, integration(server.url + "/other", id="two"))
    session = requests.Session()
    govern(session, registry, "one")
    with pytest.raises(ValidationError, match="share an origin"):
        govern(session, registry, "two", route_by_origin=True)


# ---------------------------------------------------- 5. redirect loops


def test_a_redirect_loop_is_a_transport_error_without_the_token(
    world: World, server: LocalServer
) -> None:
    """Item 5: no raw TooManyRedirects holding the Authorization header."""
    server.route("GET", "/loop", Reply(302, headers={"Location": "/loop"}))
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(TransportError, match="TooManyRedirects") as caught,
    ):
        session.get(server.url + "/loop")
    error = caught.value
    assert getattr(error, "request", None) is None
    assert error.__cause__ is None
    assert error.__context__ is None
    assert TOKEN not in exception_texts(error)


def test_govern_turns_a_redirect_loop_into_a_transport_error(
    world: World, server: LocalServer
) -> None:
    server.route("GET", "/loop", Reply(302, headers={"Location": "/loop"}))
    registry, _ks, engine, _ = world(server.url)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"  # the SDK's own credential
    govern(session, registry, "acme-api", engine=engine)
    with pytest.raises(TransportError, match="TooManyRedirects") as caught:
        session.get(server.url + "/loop")
    assert TOKEN not in exception_texts(caught.value)


# ---------------------------------------------------- 6. hostile answers


@pytest.fixture
def raw() -> Iterator[Callable[[bytes | None], RawServer]]:
    started: list[RawServer] = []

    def start(answer: bytes | None) -> RawServer:
        server = RawServer(answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def test_a_date_beyond_year_9999_is_a_notice_not_an_overflow(
    world: World, server: LocalServer
) -> None:
    """Item 6: Sunset: Fri, 31 Dec 9999 23:59:59 -0100 (year 10000 in UTC)."""
    server.route(
        "GET", "/v1/x", Reply(200, headers={"Sunset": "Fri, 31 Dec 9999 23:59:59 -0100"}, body={})
    )
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(server.url + "/v1/x").status_code == 200
    (notice,) = events(registry, "acme-api", EventKind.DEPRECATION_NOTICED)
    assert notice.evidence["sunset_unparsed"] == "Fri, 31 Dec 9999 23:59:59 -0100"


@pytest.mark.parametrize("retry_after", ["\xb2", "9" * 5000, "Fri, 31 Dec 9999 23:59:59 -0100"])
def test_a_hostile_retry_after_falls_back_to_backoff(
    world: World, server: LocalServer, retry_after: str
) -> None:
    """Item 6: superscript digits, 5,000 digits, a date past 9999: no ValueError, no overflow."""
    server.route(
        "GET",
        "/v1/x",
        sequence(Reply(503, headers={"Retry-After": retry_after}), Reply(200, body={})),
    )
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=FAST) as s:
        assert s.get(server.url + "/v1/x").status_code == 200
        assert s.last_retry_stats.attempts == 2


def test_a_5000_digit_rate_limit_reset_is_ignored(world: World, server: LocalServer) -> None:
    server.route(
        "POST",
        "/api/x",
        sequence(
            Reply(429, headers={"X-RateLimit-Reset": "9" * 5000, "X-RateLimit-Remaining": "0"}),
            Reply(200, body={"fail": []}),
        ),
    )
    registry = mimecast_1(world, server)
    policy = RetryPolicy(base_wait=0.0, max_wait=0.02, retry_non_idempotent=True)
    with GovernedSession(registry, "acme-api", keystore=world.keystore(), retry=policy) as s:
        assert s.post(server.url + "/api/x", json={}).status_code == 200


def test_a_json_body_nested_10000_deep_is_not_json(world: World, server: LocalServer) -> None:
    """Item 6: no RecursionError reading a Mimecast body of 10,000 '['."""
    server.route(
        "POST",
        "/api/x",
        Reply(200, headers={"Content-Type": "application/json"}, body=b"[" * 10_000),
    )
    registry = mimecast_1(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        assert session.post(server.url + "/api/x", json={}).status_code == 200


def test_a_body_that_cannot_be_decoded_is_a_transport_error(
    world: World, server: LocalServer
) -> None:
    server.route(
        "GET", "/v1/x", Reply(200, headers={"Content-Encoding": "gzip"}, body=b"not gzip at all")
    )
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(TransportError, match="ContentDecodingError") as caught,
    ):
        session.get(server.url + "/v1/x")
    assert TOKEN not in exception_texts(caught.value)


@pytest.mark.parametrize(
    ("answer", "failure"),
    [
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbroken",
            "ChunkedEncodingError",
        ),
        (b"HTTP/1.1 302 Found\r\nLocation: /caf\xe9\r\nContent-Length: 0\r\n\r\n", "Unicode"),
        (
            b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1/x\r\nContent-Length: 0\r\n\r\n",
            "InvalidSchema",
        ),
    ],
    ids=["broken chunks", "non-ASCII Location", "redirect to ftp"],
)
def test_what_requests_raises_around_the_adapter_is_a_transport_error(
    world: World,
    raw: Callable[[bytes | None], RawServer],
    answer: bytes,
    failure: str,
) -> None:
    """Item 6: ChunkedEncodingError, UnicodeDecodeError, InvalidSchema: documented instead."""
    server = raw(answer)
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=FAST) as s,
        pytest.raises(TransportError, match=failure) as caught,
    ):
        s.get(server.url + "/v1/x")
    assert TOKEN not in exception_texts(caught.value)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    govern(session, registry, "acme-api", engine=engine, retry=FAST)
    with pytest.raises(TransportError, match=failure) as caught:
        session.get(server.url + "/v1/x")
    assert TOKEN not in exception_texts(caught.value)


# ---------------------------------------------------- 7. default timeouts


def test_a_server_that_never_answers_times_out(
    world: World, raw: Callable[[bytes | None], RawServer]
) -> None:
    """Item 7: accept and never answer: the caller is not blocked for ever."""
    server = raw(None)
    registry, ks, engine, _ = world(server.url)
    once = RetryPolicy(max_attempts=1)
    with (
        GovernedSession(
            registry, "acme-api", keystore=ks, engine=engine, retry=once, timeout=(2.0, 0.3)
        ) as session,
        pytest.raises(TransportError, match="Timeout"),
    ):
        session.get(server.url + "/v1/x")


def test_every_governed_request_gets_a_timeout(
    world: World, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.route("GET", "/v1/x", Reply(200, body={}))
    seen: list[Any] = []
    original = _GovernedAdapter.raw_send

    def spy(
        self: _GovernedAdapter, request: requests.PreparedRequest, kwargs: dict[str, Any]
    ) -> requests.Response:
        seen.append(kwargs["timeout"])
        return original(self, request, kwargs)

    monkeypatch.setattr(_GovernedAdapter, "raw_send", spy)
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v1/x")
        session.get(server.url + "/v1/x", timeout=3)
    with GovernedSession(registry, "acme-api", keystore=ks, timeout=7) as session:
        session.get(server.url + "/v1/x")
    assert seen == [DEFAULT_TIMEOUT, 3, 7.0]


@pytest.mark.parametrize("timeout", [None, 0, -1, math.inf, (1.0,), (1.0, None), "10", True])
def test_a_timeout_is_always_a_positive_bounded_number(
    world: World, server: LocalServer, timeout: Any
) -> None:
    registry, ks, _engine, _ = world(server.url)
    with pytest.raises(ValidationError) as caught:
        GovernedSession(registry, "acme-api", keystore=ks, timeout=timeout)
    assert caught.value.field == "timeout"


# ---------------------------------------------------- 8. the token request and proxies


@pytest.fixture
def proxy() -> Iterator[LocalProxy]:
    relay = LocalProxy()
    yield relay
    relay.close()


def test_the_token_request_goes_through_the_sessions_proxy(
    world: World, server: LocalServer, proxy: LocalProxy
) -> None:
    """Item 8: the OAuth token request uses the session's proxies like the API call."""
    server.route("POST", "/oauth/token", token("t1"))
    server.route("GET", "/v1/data", Reply(200, body={"data": []}))
    registry = world.registry()
    active(registry, integration(server.url, auth=oauth_spec(server.url + "/oauth/token")))
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as session:
        session.proxies = {"http": proxy.url}
        session.verify = False
        assert session.get(server.url + "/v1/data").status_code == 200
        assert session._token_session.verify is False  # verify, cert, trust_env: the session's
    assert ("POST", server.url + "/oauth/token") in proxy.seen
    assert ("GET", server.url + "/v1/data") in proxy.seen


def test_a_dead_proxy_stops_the_token_request_too(world: World, server: LocalServer) -> None:
    server.route("POST", "/oauth/token", token("t1"))
    registry = world.registry()
    active(registry, integration(server.url, auth=oauth_spec(server.url + "/oauth/token")))
    with GovernedSession(registry, "acme-api", keystore=world.keystore(), retry=FAST) as session:
        session.proxies = {"http": f"http://127.0.0.1:{dead_port()}"}
        with pytest.raises(TransportError) as caught:
            session.get(server.url + "/v1/data")
    assert server.received == []  # the token request did not go out directly
    assert CLIENT_SECRET not in exception_texts(caught.value)


# ---------------------------------------------------- 9. every form of Sunset and Deprecation


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("@1688169599", "2023-06-30T23:59:59+00:00"),
        ("@1688169599;x=1", "2023-06-30T23:59:59+00:00"),
        ("@1688169599.0", "2023-06-30T23:59:59+00:00"),
        ("Fri, 30 Jun 2023 23:59:59 GMT", "2023-06-30T23:59:59+00:00"),
        ("Friday, 30-Jun-23 23:59:59 GMT", "2023-06-30T23:59:59+00:00"),
        ("2023-06-30", "2023-06-30T00:00:00+00:00"),
        ("2023-06-30T23:59:59Z", "2023-06-30T23:59:59+00:00"),
        ("2023-07-01T01:59:59+02:00", "2023-06-30T23:59:59+00:00"),
        ("2023-06-30 23:59:59", "2023-06-30T23:59:59+00:00"),
        ("next quarter", None),
        ("@", None),
        ("@soon", None),
        ("@" + "9" * 40, None),
        ("Fri, 31 Dec 9999 23:59:59 -0100", None),
        ("2023-13-45", None),
    ],
)
def test_every_date_form_of_sunset_and_deprecation_is_read(
    value: str, expected: str | None
) -> None:
    parsed = parse_date_value(value)
    assert (parsed.isoformat() if parsed else None) == expected


def test_a_past_iso_8601_sunset_suspends(world: World, server: LocalServer) -> None:
    """Item 9: an ISO 8601 Sunset in the past suspends, as an HTTP-date one does."""
    server.route("GET", "/v1/x", Reply(200, headers={"Sunset": "2020-01-01T00:00:00Z"}, body={}))
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(InteroperabilitySuspended),
    ):
        session.get(server.url + "/v1/x")
    (event,) = events(registry, "acme-api", EventKind.SUSPENDED)
    assert event.evidence["cause"] == SuspensionCause.SUNSET.value
    assert event.evidence["sunset_at"] == "2020-01-01T00:00:00Z"


def test_an_unreadable_deprecation_is_recorded_once_bounded_and_scrubbed(
    world: World, server: LocalServer
) -> None:
    """Item 9: a value that cannot be parsed leaves a notice, never silence, and no secret."""
    key = "Zq8Xw2Lk7Rb4Nc9Md3Jf6Vt5Hp1"
    server.route(
        "GET",
        "/v1/x",
        Reply(200, headers={"Deprecation": "in the next release " * 20, "Sunset": key}, body={}),
    )
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        for _ in range(3):
            assert session.get(server.url + "/v1/x").status_code == 200
    (notice,) = events(registry, "acme-api", EventKind.DEPRECATION_NOTICED)
    assert notice.evidence["deprecation_unparsed"].startswith("in the next release")
    assert len(notice.evidence["deprecation_unparsed"]) <= 100
    assert notice.evidence["sunset_unparsed"] == "[redacted]"
    assert "could not be read" in notice.reason
    assert key not in json.dumps(notice.to_json())


# ---------------------------------------------------- 10. one announcement, one notice


def test_deprecation_and_its_link_are_one_notice(world: World, server: LocalServer) -> None:
    """Item 10: Deprecation and Link rel=deprecation in one response: one notice."""
    server.route(
        "GET",
        "/v1/x",
        Reply(
            200,
            headers={
                "Deprecation": "@1688169599",
                "Link": f'<{server.url}/docs/migrate>; rel="deprecation"',
            },
            body={},
        ),
    )
    registry, ks, engine, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v1/x")
    (notice,) = events(registry, "acme-api", EventKind.DEPRECATION_NOTICED)
    assert list(notice.evidence["announces"]) == ["deprecation", "link_deprecation"]
    assert notice.evidence["deprecated_at"] == "2023-06-30T23:59:59Z"


# ---------------------------------------------------- 11. token lifetimes


class FakeTimer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("expires_in", "cached_for"),
    [
        (0, None),
        (-5, None),
        ("3600", 3570.0),
        (None, 270.0),
        ("absent", 270.0),
        (math.nan, 270.0),
        (True, 270.0),
        ("an hour", 270.0),
        (math.inf, 86370.0),
        (10**30, 86370.0),
        (600, 570.0),
    ],
)
def test_a_token_is_cached_as_long_as_its_lifetime_allows(
    server: LocalServer, expires_in: Any, cached_for: float | None
) -> None:
    """Item 11: 0 or negative: not cached; not a number: 5 minutes; absurd: a day at most."""
    issued: list[str] = []

    def endpoint(_r: Received) -> Reply:
        issued.append(f"t{len(issued) + 1}")
        body: dict[str, Any] = {"access_token": issued[-1], "token_type": "Bearer"}
        if expires_in != "absent":
            body["expires_in"] = expires_in
        return Reply(200, body=body)  # json.dumps writes NaN and Infinity as Python reads them

    server.route("POST", "/oauth/token", endpoint)
    timer = FakeTimer()
    auth = OAuth2ClientCredentials(
        server.url + "/oauth/token", CLIENT_ID, CLIENT_SECRET, timer=timer
    )
    first, fresh = auth.token()
    assert fresh
    if cached_for is None:
        assert auth.token() != (first, False)
        assert len(issued) == 2
        return
    timer.now += cached_for - 1
    assert auth.token() == (first, False)
    timer.now += 2
    assert auth.token()[1] is True
    assert len(issued) == 2


# ---------------------------------------------------- 12. data origins


def test_a_declared_data_origin_is_called_without_any_credential(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """Item 12: a pre-signed download host receives no credential; the call is governed."""
    other_server.route("GET", "/siem/batch-1", Reply(200, body=b"event-batch"))
    registry, ks, engine, _ = world(server.url, data_origins=[other_server.url])
    calls: list[tuple[str, Mapping[str, Any]]] = []
    with GovernedSession(
        registry,
        "acme-api",
        keystore=ks,
        engine=engine,
        recorder=lambda action, evidence: calls.append((action, evidence)),
    ) as session:
        session.headers["X-Api-Key"] = "a-key-set-on-the-session"
        answer = session.get(other_server.url + "/siem/batch-1?sig=presigned")
    assert answer.content == b"event-batch"
    (received,) = other_server.received
    assert received.header("Authorization") is None
    assert received.header("X-Api-Key") is None
    assert received.query == {"sig": ["presigned"]}
    ((action, evidence),) = calls
    assert action == "call_sent"
    assert evidence["data_origin"] is True


def test_a_data_origin_answer_carries_no_signal(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    other_server.route("GET", "/gone", Reply(410, headers={"Sunset": "2020-01-01T00:00:00Z"}))
    other_server.route("GET", "/denied", Reply(403))
    registry, ks, engine, _ = world(server.url, data_origins=[other_server.url])
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(other_server.url + "/gone").status_code == 410
        assert session.get(other_server.url + "/denied").status_code == 403
    assert registry.get("acme-api").state is IntegrationState.ACTIVE
    assert len(registry.history("acme-api")) == 2  # registered, activated


def test_a_data_origin_is_governed_like_the_api(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url, data_origins=[other_server.url])
    registry.suspend("acme-api", cause=SuspensionCause.MANUAL, reason="review", actor="ops")
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        with pytest.raises(AccessDenied, match="INTEROP_SUSPENDED"):
            session.get(other_server.url + "/siem/batch-1")
        with pytest.raises(AccessDenied, match="FOREIGN_ORIGIN"):
            session.get(f"http://127.0.0.1:{dead_port()}/elsewhere")
    assert other_server.received == []


def test_govern_lets_an_sdk_fetch_from_a_data_origin_without_its_credential(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    other_server.route("GET", "/blob", Reply(200, body=b"data"))
    registry, _ks, engine, _ = world(server.url, data_origins=[other_server.url])
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    govern(session, registry, "acme-api", engine=engine, refuse_foreign=True)
    assert session.get(other_server.url + "/blob").content == b"data"
    assert other_server.received[0].header("Authorization") is None


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("https://*.blob.core.windows.net", "https://acct.blob.core.windows.net/c/b?sig=1", True),
        ("https://*.blob.core.windows.net", "https://a.b.blob.core.windows.net/", True),
        ("https://*.blob.core.windows.net", "https://blob.core.windows.net/", False),
        ("https://*.blob.core.windows.net", "https://evilblob.core.windows.net/", False),
        ("https://*.blob.core.windows.net", "http://acct.blob.core.windows.net/", False),
        ("https://*.blob.core.windows.net", "https://acct.blob.core.windows.net:8443/", False),
        ("https://s3.amazonaws.com", "https://s3.amazonaws.com/bucket/key", True),
        ("https://s3.amazonaws.com", "https://x.s3.amazonaws.com/", False),
    ],
)
def test_a_data_origin_pattern_matches_its_hosts_only(
    pattern: str, url: str, matches: bool
) -> None:
    origin = origin_of(url)
    assert origin is not None
    assert data_origin_matches(pattern, origin) is matches


def test_data_origins_round_trip_through_the_inventory(tmp_path: Path) -> None:
    item = integration(
        "https://api.services.mimecast.com",
        data_origins=["https://*.blob.core.windows.net", "HTTPS://S3.amazonaws.com/"],
    )
    assert item.data_origins == ("https://*.blob.core.windows.net", "https://s3.amazonaws.com")
    path = tmp_path / "inventory.toml"
    dump_inventory([item], path)
    assert 'data_origins = ["https://*.blob.core.windows.net"' in path.read_text()
    assert load_inventory(path) == [item]


def test_a_bad_data_origin_names_the_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "inventory.toml"
    path.write_text(
        "[[integration]]\n"
        'id = "mc"\nname = "Mimecast"\nservice = "aware"\nkind = "mimecast_api"\n'
        'vendor = "Mimecast"\nbase_url = "https://api.services.mimecast.com"\n'
        'owner = "team-a"\n'
        'data_origins = ["https://*.com"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert caught.value.field == "data_origins[0]"
    assert caught.value.line == 9


def test_an_older_registry_gains_data_origins(tmp_path: Path) -> None:
    """The store's forward migration: a schema-1 database opens, its integrations intact."""
    import sqlite3

    import attrs

    path = tmp_path / "registry.db"
    conn = sqlite3.connect(path)
    for statement in _store.MIGRATIONS[0]:  # the schema of the previous release
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {_store.APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO integrations (id, name, service, kind, vendor, base_url, owner, state) "
        "VALUES ('acme-api', 'Acme', 'aware', 'third_party_api', 'Acme', "
        "'https://api.example.com', 'platform-team', 'pending')"
    )
    conn.execute(
        "INSERT INTO events (integration_id, kind, at, actor, reason) "
        "VALUES ('acme-api', 'registered', '2026-01-01T00:00:00+00:00', 't', '')"
    )
    conn.commit()
    conn.close()
    with Registry.open(path) as registry:
        current = registry.get("acme-api")
        assert current.data_origins == ()
        registry.update(
            attrs.evolve(current, data_origins=["https://*.blob.core.windows.net"]), actor="t"
        )
    with Registry.open(path) as registry:
        assert registry.get("acme-api").data_origins == ("https://*.blob.core.windows.net",)
        (updated,) = events(registry, "acme-api", EventKind.UPDATED)
        assert list(updated.evidence["fields"]) == ["data_origins"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == _store.SCHEMA_VERSION
    conn.close()


# ---------------------------------------------------- 13. keys as users hold them


def test_a_mimecast_secret_key_with_a_trailing_newline_signs_like_the_key() -> None:
    """Item 13: whitespace around a Mimecast 1.0 secret key is tolerated, as every client does."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    padded = MimecastHmacAuth("ak", f"  {MC_SECRET_KEY}\n", "app", "appkey", clock=lambda: at)
    signed = padded(requests.Request("POST", "https://api.mimecast.com/api/x").prepare())
    expected = mimecast_signature(
        base64.b64decode(MC_SECRET_KEY),
        signed.headers["x-mc-date"],
        signed.headers["x-mc-req-id"],
        "/api/x",
        "appkey",
    )
    assert signed.headers["Authorization"] == f"MC ak:{expected}"
    with pytest.raises(ValidationError, match="secret_key"):
        MimecastHmacAuth("ak", "not base64 at all!", "app", "appkey")


def test_a_pydantic_secret_str_is_accepted_wherever_a_secret_is(tmp_path: Path) -> None:
    """Item 13: what incydr's settings hold is accepted, and stays secret."""
    value = "Zq8Xw2Lk7Rb4Nc9Md3Jf6Vt5-pyd"
    secret = SecretStr(value)
    bearer = BearerAuth(secret)  # type: ignore[arg-type]  # accepted at run time
    request = bearer(requests.Request("GET", "https://api.example.com/").prepare())
    assert request.headers["Authorization"] == f"Bearer {value}"
    assert value not in repr(bearer)
    oauth = OAuth2ClientCredentials("https://api.example.com/token", "cid", secret)  # type: ignore[arg-type]
    assert value not in repr(oauth)
    keystore = Keystore.create(tmp_path / "k.hfks", key=Keystore.generate_key())
    keystore.put("from-pydantic", secret)  # type: ignore[arg-type]
    assert keystore.get("from-pydantic").reveal() == value
    keystore.close()
    redacting = RedactingFilter()
    redacting.register(secret)  # type: ignore[arg-type]
    assert value not in redacting.redact(f"token={value} and {value}")
    with pytest.raises(ValidationError):
        BearerAuth(SecretStr(""))  # type: ignore[arg-type]


# ---------------------------------------------------- rate limits (Mimecast: milliseconds)


def test_a_spent_mimecast_budget_is_waited_out_instead_of_taking_a_429(
    world: World, server: LocalServer
) -> None:
    server.route(
        "POST",
        "/api/x",
        sequence(
            Reply(
                200,
                headers={
                    "X-RateLimit-Limit": "100",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": "20",
                },
                body={"fail": []},
            ),
            Reply(200, headers={"X-RateLimit-Remaining": "99"}, body={"fail": []}),
        ),
    )
    registry = mimecast_1(world, server)
    calls: list[Mapping[str, Any]] = []
    with GovernedSession(
        registry,
        "acme-api",
        keystore=world.keystore(),
        recorder=lambda action, evidence: calls.append(evidence),
    ) as session:
        session.post(server.url + "/api/x", json={})
        budget = session.rate_limit
        assert budget is not None
        assert (budget.limit, budget.remaining, budget.reset_after) == (100, 0, 0.02)
        session.post(server.url + "/api/x", json={})
        later = session.rate_limit
        assert later is not None
        assert later.remaining == 99
        session.post(server.url + "/api/x", json={})
    assert "rate_limit_wait_s" not in calls[0]
    assert 0 < calls[1]["rate_limit_wait_s"] <= 0.02
    assert "rate_limit_wait_s" not in calls[2]  # budget left: no wait
    assert [c["rate_limit_remaining"] for c in calls] == [0, 99, 99]


def test_the_wait_for_a_budget_is_bounded_by_max_wait(world: World, server: LocalServer) -> None:
    server.route(
        "POST",
        "/api/x",
        Reply(
            200,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600000"},
            body={"fail": []},
        ),
    )
    registry = mimecast_1(world, server)
    calls: list[Mapping[str, Any]] = []
    policy = RetryPolicy(max_wait=0.03)
    with GovernedSession(
        registry,
        "acme-api",
        keystore=world.keystore(),
        retry=policy,
        recorder=lambda action, evidence: calls.append(evidence),
    ) as session:
        session.post(server.url + "/api/x", json={})
        session.post(server.url + "/api/x", json={})
    assert calls[1]["rate_limit_wait_s"] == pytest.approx(0.03)
