"""GovernedSession and govern(): admission, credentials, origins, retries, custody, logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from hf_api_governance import (
    AccessDenied,
    Action,
    ApiKind,
    CredentialRevoked,
    EventKind,
    GovernedSession,
    IntegrationNotFound,
    IntegrationState,
    InteroperabilitySuspended,
    Keystore,
    PolicyContext,
    PolicyEngine,
    Registry,
    RetryPolicy,
    Revoker,
    Secret,
    TransportError,
    govern,
    policy_hook,
)
from hf_api_governance._client.parse import format_http_date
from tests.client_support import (
    ALL_SECRETS,
    API_KEY,
    EXPIRED_LICENCE,
    TOKEN,
    CountingKeystore,
    World,
    active,
    events,
    exception_texts,
    integration,
    mimecast_spec,
)
from tests.other_process import revoke_in_another_process
from tests.servers import LocalServer, Received, Reply

FAST = RetryPolicy(max_attempts=4, base_wait=0.0, max_wait=0.05, total_timeout=5.0)


def ok(body: Any = None) -> Reply:
    return Reply(200, body=body if body is not None else {"data": [], "meta": {}})


# ----------------------------------------------------------------- admission


def test_a_governed_get_carries_the_keystore_token_and_is_recorded(
    world: World, server: LocalServer
) -> None:
    consulted: list[tuple[str, Action]] = []

    @policy_hook(code="ACME_CONSULTED")
    def consulted_hook(ctx: PolicyContext) -> None:
        consulted.append((ctx.integration.id, ctx.action))

    registry, ks, engine, _ = world(server.url, hooks=[consulted_hook])
    server.route("GET", "/v1/users", ok())
    calls: list[tuple[str, Mapping[str, Any]]] = []
    with GovernedSession(
        registry, "acme-api", keystore=ks, engine=engine, recorder=lambda a, e: calls.append((a, e))
    ) as session:
        response = session.get(server.url + "/v1/users", params={"api_key": "q-secret-value"})
    assert response.status_code == 200
    (received,) = server.received
    assert received.header("Authorization") == f"Bearer {TOKEN}"
    assert consulted == [("acme-api", Action.CALL)]  # the engine decided, once
    action, evidence = calls[-1]
    assert action == "call_sent"
    assert evidence["status"] == 200
    assert evidence["method"] == "GET"
    assert "q-secret-value" not in evidence["url"]
    assert evidence["url"].startswith(server.url + "/v1/users?api_key=")
    assert evidence["latency_ms"] >= 0


def test_a_relative_url_is_taken_from_the_base_url(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url + "/v1")
    server.route("GET", "/v1/users", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get("/users").status_code == 200


def test_a_denied_call_sends_nothing_and_carries_the_decision(
    world: World, server: LocalServer
) -> None:
    registry, real_keystore, engine, _ = world(server.url, licences=[EXPIRED_LICENCE])
    ks = CountingKeystore(real_keystore)
    calls: list[str] = []
    with (
        GovernedSession(
            registry, "acme-api", keystore=ks, engine=engine, recorder=lambda a, e: calls.append(a)
        ) as session,
        pytest.raises(AccessDenied) as caught,
    ):
        session.get(server.url + "/v1/users")
    assert caught.value.decision.allowed is False
    assert "LICENCE_EXPIRED" in str(caught.value)
    assert server.received == []
    assert ks.reads == 0  # no credential was even read
    assert calls == ["call_denied"]


def test_an_unknown_integration_fails_at_construction(world: World) -> None:
    with pytest.raises(IntegrationNotFound):
        GovernedSession(world.registry(), "nope")


def test_without_an_engine_only_an_active_integration_may_call(
    world: World, server: LocalServer
) -> None:
    registry = world.registry()
    registry.register(integration(server.url), actor="test")  # PENDING
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as session,
        pytest.raises(AccessDenied, match="NOT_ACTIVE"),
    ):
        session.get(server.url + "/x")
    assert server.received == []


def test_a_revoked_credential_entry_is_never_sent_again(world: World, server: LocalServer) -> None:
    """Even if the integration got a new state, a revoked entry name is refused."""
    registry, ks, _engine, _ = world(server.url)
    registry.revoke("acme-api", by=Revoker.CUSTOMER, reason="leaked", actor="alice")
    with (
        GovernedSession(registry, "acme-api", keystore=ks) as session,
        pytest.raises(AccessDenied, match=r"CREDENTIAL_REVOKED"),
    ):
        session.get(server.url + "/v1/users")
    assert server.received == []


def test_a_revoked_credential_is_refused_even_if_the_engine_allows(
    world: World, server: LocalServer
) -> None:
    registry = world.registry()
    active(registry, integration(server.url, id="one", credential="shared-token"))
    active(registry, integration(server.url, id="two", credential="shared-token"))
    registry.revoke("one", by=Revoker.MIMECAST, reason="revoked")
    # An engine not told about revoked entries (no revoked_credentials=) allows "two":
    # the client's own check against the registry is what refuses.
    engine = PolicyEngine()
    assert engine.evaluate(registry.get("two"), Action.CALL).allowed
    with (
        GovernedSession(registry, "two", keystore=world.keystore(), engine=engine) as session,
        pytest.raises(AccessDenied, match="CREDENTIAL_REVOKED"),
    ):
        session.get(server.url + "/v1/users")
    assert server.received == []


def test_a_revocation_by_another_process_stops_the_next_call_of_an_open_session(
    world: World, server: LocalServer, tmp_path: Path
) -> None:
    """The session reads the registry before every request: nothing is sent after it."""
    server.route("GET", "/v1/users", ok())
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        active(registry, integration(server.url))
        with GovernedSession(
            registry, "acme-api", keystore=world.keystore(), engine=PolicyEngine()
        ) as session:
            assert session.get(server.url + "/v1/users").status_code == 200
            revoke_in_another_process(path, "acme-api")
            with pytest.raises(AccessDenied, match="CREDENTIAL_REVOKED"):
                session.get(server.url + "/v1/users")
    assert len(server.received) == 1


def test_a_credential_replaced_in_the_keystore_is_sent_from_the_next_call(
    world: World, server: LocalServer
) -> None:
    """Credentials are read just in time: a value rotated by another process is used at once."""
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/v1/users", ok())
    rotated = "tok-Rotated7Hq2Lm9Xz4Pw"
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v1/users")
        with Keystore.open(world.keystore_path, key=world.keystore_key) as other:
            other.put("acme-token", Secret(rotated))
        session.get(server.url + "/v1/users")
        session.get(server.url + "/v1/users")
    assert [r.header("Authorization") for r in server.received] == [
        f"Bearer {TOKEN}",
        f"Bearer {rotated}",
        f"Bearer {rotated}",
    ]


# ---------------------------------------------------------------- origins


def test_a_request_to_another_origin_is_refused(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(AccessDenied, match="FOREIGN_ORIGIN"),
    ):
        session.get(other_server.url + "/v1/users")
    assert other_server.received == []
    assert server.received == []


@pytest.mark.parametrize(
    ("auth", "header", "value", "absent"),
    [
        pytest.param(None, "Authorization", f"Bearer {TOKEN}", "X-Acme-Key", id="bearer"),
        pytest.param(
            {"scheme": "api_key_header", "header": "X-Acme-Key", "key": "acme-key"},
            "X-Acme-Key",
            API_KEY,
            "Authorization",
            id="api_key_header",
        ),
    ],
)
def test_a_redirect_to_another_origin_drops_every_credential_header(
    world: World,
    server: LocalServer,
    other_server: LocalServer,
    auth: dict[str, str] | None,
    header: str,
    value: str,
    absent: str,
) -> None:
    """The origin gets the scheme's own header (and only it); the other origin gets none."""
    registry, ks, engine, _ = world(server.url, auth=auth)
    server.route(
        "GET", "/v1/moved", Reply(302, headers={"Location": other_server.url + "/landing"})
    )
    other_server.route("GET", "/landing", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        response = session.get(server.url + "/v1/moved", headers={"Cookie": "sid=abc"})
    assert response.status_code == 200
    (first,) = server.received
    assert first.header(header) == value
    assert first.header(absent) is None
    assert first.header("Cookie") == "sid=abc"
    (landed,) = other_server.received
    sent = {k.lower(): v for k, v in landed.headers.items()}
    for name in ("authorization", "x-acme-key", "cookie"):
        assert name not in sent
    assert TOKEN not in json.dumps(sent)
    assert API_KEY not in json.dumps(sent)


CUSTOM_KEY_HEADER = {"scheme": "api_key_header", "header": "X-Acme-Client", "key": "acme-key"}
"""An api-key header whose name has no credential word: only the declaration marks it."""


def test_a_redirect_to_another_origin_drops_a_declared_key_header_without_a_credential_word(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url, auth=CUSTOM_KEY_HEADER)
    server.route(
        "GET", "/v1/moved", Reply(302, headers={"Location": other_server.url + "/landing"})
    )
    other_server.route("GET", "/landing", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(server.url + "/v1/moved").status_code == 200
    (first,) = server.received
    assert first.header("X-Acme-Client") == API_KEY
    (landed,) = other_server.received
    assert landed.header("X-Acme-Client") is None
    assert API_KEY not in json.dumps(dict(landed.headers))


def test_govern_strips_a_declared_key_header_without_a_credential_word_towards_a_foreign_origin(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, _ks, engine, _ = world(server.url, auth=CUSTOM_KEY_HEADER)
    other_server.route("GET", "/collect", ok())
    sdk = requests.Session()
    sdk.headers["X-Acme-Client"] = API_KEY
    govern(sdk, registry, "acme-api", engine=engine)
    assert sdk.get(other_server.url + "/collect").status_code == 200
    (received,) = other_server.received
    assert received.header("X-Acme-Client") is None
    assert API_KEY not in json.dumps(dict(received.headers))


def test_a_redirect_within_the_origin_keeps_the_credentials(
    world: World, server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/old", Reply(301, headers={"Location": "/new"}))
    server.route("GET", "/new", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        assert session.get(server.url + "/old").status_code == 200
    assert [r.header("Authorization") for r in server.received] == [f"Bearer {TOKEN}"] * 2


def test_govern_refuses_plain_http_to_a_non_loopback_host(
    world: World, server: LocalServer
) -> None:
    registry, _ks, engine, _ = world(server.url)
    session = govern(requests.Session(), registry, "acme-api", engine=engine)
    with pytest.raises(AccessDenied, match="INSECURE_TRANSPORT"):
        session.get("http://example.invalid/data")


def test_govern_can_refuse_every_foreign_origin(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, _ks, engine, _ = world(server.url)
    session = govern(requests.Session(), registry, "acme-api", engine=engine, refuse_foreign=True)
    with pytest.raises(AccessDenied, match="FOREIGN_ORIGIN"):
        session.get(other_server.url + "/x")
    assert other_server.received == []


def test_govern_strips_credentials_towards_a_foreign_origin(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, _ks, engine, _ = world(server.url)
    other_server.route("GET", "/x", ok())
    session = govern(requests.Session(), registry, "acme-api", engine=engine)
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    assert session.get(other_server.url + "/x").status_code == 200
    assert other_server.received[0].header("Authorization") is None


# ---------------------------------------------------------------- retries


def _sequence(*replies: Reply) -> Any:
    remaining = list(replies)
    lock = threading.Lock()

    def handler(_r: Received) -> Reply:
        with lock:
            return remaining.pop(0) if len(remaining) > 1 else remaining[0]

    return handler


def test_a_503_then_200_is_retried(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/r", _sequence(Reply(503), ok()))
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=FAST) as session:
        assert session.get(server.url + "/r").status_code == 200
        assert session.last_retry_stats.attempts == 2
        assert session.last_retry_stats.causes == ("503",)
    assert len(server.received) == 2


def test_retry_after_in_seconds_is_honoured_and_capped(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/r", _sequence(Reply(503, headers={"Retry-After": "7"}), ok()))
    policy = RetryPolicy(base_wait=0.0, max_wait=0.03)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=policy) as session:
        assert session.get(server.url + "/r").status_code == 200
        # base_wait=0 would wait 0: the wait came from Retry-After, capped.
        assert session.last_retry_stats.total_wait == pytest.approx(0.03)


def test_retry_after_as_an_http_date_is_honoured(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    later = format_http_date(datetime.now(UTC) + timedelta(seconds=30))
    server.route("GET", "/r", _sequence(Reply(429, headers={"Retry-After": later}), ok()))
    policy = RetryPolicy(base_wait=0.0, max_wait=0.02)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=policy) as session:
        assert session.get(server.url + "/r").status_code == 200
        assert session.last_retry_stats.total_wait == pytest.approx(0.02)


def test_a_mimecast_429_waits_for_x_ratelimit_reset_milliseconds(
    world: World, server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url, kind=ApiKind.MIMECAST_API)
    server.route("GET", "/api/x", _sequence(Reply(429, headers={"X-RateLimit-Reset": "25"}), ok()))
    policy = RetryPolicy(base_wait=0.0, max_wait=1.0)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=policy) as session:
        assert session.get(server.url + "/api/x").status_code == 200
        assert session.last_retry_stats.total_wait == pytest.approx(0.025)


def test_a_post_is_not_retried_unless_asked(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("POST", "/r", _sequence(Reply(503), ok()))
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=FAST) as session:
        assert session.post(server.url + "/r", json={}).status_code == 503
    assert len(server.received) == 1
    server.clear()
    server.route("POST", "/r", _sequence(Reply(503), ok()))
    opted = RetryPolicy(base_wait=0.0, max_wait=0.01, retry_non_idempotent=True)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=opted) as session:
        assert session.post(server.url + "/r", json={}).status_code == 200
    assert len(server.received) == 2


def test_retries_stop_after_max_attempts_and_return_the_last_answer(
    world: World, server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/r", Reply(502))
    policy = RetryPolicy(max_attempts=3, base_wait=0.0, max_wait=0.01)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=policy) as session:
        assert session.get(server.url + "/r").status_code == 502
        assert session.last_retry_stats.attempts == 3
    assert len(server.received) == 3


def test_no_retry_starts_past_the_total_timeout(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/r", Reply(503, headers={"Retry-After": "120"}))
    policy = RetryPolicy(max_wait=60.0, total_timeout=1.0)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=policy) as session:
        assert session.get(server.url + "/r").status_code == 503
    assert len(server.received) == 1


def test_a_revocation_during_backoff_stops_the_retries(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)

    def revoke_then_fail(_r: Received) -> Reply:
        registry.revoke("acme-api", by=Revoker.MIMECAST, reason="revoked elsewhere")
        return Reply(503)

    server.route("GET", "/r", revoke_then_fail)
    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine, retry=FAST) as session,
        pytest.raises(AccessDenied),
    ):
        session.get(server.url + "/r")
    assert len(server.received) == 1


def test_connection_errors_become_a_transport_error_without_secrets(world: World) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"  # closed port: connection refused
    registry, ks, engine, _ = world(base)
    policy = RetryPolicy(max_attempts=2, base_wait=0.0, max_wait=0.01)
    failures: list[Mapping[str, Any]] = []
    with GovernedSession(
        registry,
        "acme-api",
        keystore=ks,
        engine=engine,
        retry=policy,
        recorder=lambda a, e: failures.append(e) if a == "call_failed" else None,
    ) as session:
        with pytest.raises(TransportError) as caught:
            session.get(base + "/v1/users", params={"token": "q-secret-value"})
        assert session.last_retry_stats.attempts == 2
    message = str(caught.value)
    assert "q-secret-value" not in message
    assert f"127.0.0.1:{port}/v1/users" in message
    assert caught.value.__cause__ is None
    assert failures
    assert "q-secret-value" not in json.dumps(failures)


# ----------------------------------------------------------- contract (1.1.2)


def test_consecutive_contract_failures_suspend_the_integration(
    world: World, server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/good", ok({"data": [], "meta": {}}))
    server.route("GET", "/bad", ok({"items": []}))
    with GovernedSession(
        registry,
        "acme-api",
        keystore=ks,
        engine=engine,
        contract={"data": list, "meta": dict},
        contract_failures=2,
    ) as session:
        session.get(server.url + "/bad")  # 1 failure
        session.get(server.url + "/good")  # resets
        session.get(server.url + "/bad")  # 1 failure
        assert registry.get("acme-api").state is IntegrationState.ACTIVE
        with pytest.raises(InteroperabilitySuspended):
            session.get(server.url + "/bad")  # 2 consecutive
    (event,) = events(registry, "acme-api", EventKind.SUSPENDED)
    assert event.evidence["cause"] == "api_changed"
    assert event.evidence["consecutive_failures"] == 2


def test_a_callable_contract_gives_its_reason(world: World, server: LocalServer) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/x", ok({"v": 2}))
    with (
        GovernedSession(
            registry,
            "acme-api",
            keystore=ks,
            engine=engine,
            contract=lambda r: True if r.json().get("v") == 1 else "version changed",
            contract_failures=1,
        ) as session,
        pytest.raises(InteroperabilitySuspended, match="version changed"),
    ):
        session.get(server.url + "/x")


# --------------------------------------------------------------- no secrets


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_secret_reaches_any_log_exception_or_event(world: World, server: LocalServer) -> None:
    """Full flow at DEBUG (urllib3 included): values and their base64 never appear."""
    import base64

    from tests.client_support import mimecast_spec, oauth_spec

    capture = _Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    texts: list[str] = []
    try:
        # A token, then (asked to confirm the refused token) the client is refused.
        tokens = iter(
            [
                Reply(200, body={"access_token": "tok-first-Xy12Ab34Cd56", "expires_in": 600}),
                Reply(401, body={"error": "invalid_client"}),
            ]
        )
        server.route("POST", "/oauth/token", lambda r: next(tokens))
        server.route(
            "GET",
            "/v1/users",
            Reply(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}),
        )
        registry = world.registry()
        active(
            registry,
            integration(server.url, auth=oauth_spec(server.url + "/oauth/token"), credential=None),
        )
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
        server.route(
            "POST",
            "/api/account/get-account",
            Reply(
                200,
                body={
                    "meta": {},
                    "data": [],
                    "fail": [{"errors": [{"code": "err_xdk_binding_expired"}]}],
                },
            ),
        )
        ks = world.keystore()
        with GovernedSession(registry, "acme-api", keystore=ks) as session:
            with pytest.raises(CredentialRevoked) as revoked:
                session.get(server.url + "/v1/users", params={"key": "q-secret-value"})
            texts.append(str(revoked.value))
            texts.append(repr(session))
            with pytest.raises(AccessDenied) as denied:
                session.get(server.url + "/v1/users")
            texts.append(str(denied.value))
        with GovernedSession(registry, "mc-api", keystore=ks) as session:
            with pytest.raises(CredentialRevoked) as revoked:
                session.post(server.url + "/api/account/get-account", json={"data": []})
            texts.append(str(revoked.value))
        for item in ("acme-api", "mc-api"):
            texts.extend(json.dumps(e.to_json()) for e in registry.history(item))
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)
    assert any("Starting new HTTP connection" in line for line in capture.lines)  # urllib3 seen
    haystack = "\n".join(capture.lines + texts)
    needles = [*ALL_SECRETS, "tok-first-Xy12Ab34Cd56", "tok-second-Ef78Gh90Ij12"]
    for secret in needles:
        assert secret not in haystack
        assert base64.b64encode(secret.encode()).decode() not in haystack
    # urllib3 logs request lines with their query at DEBUG (the shared redaction
    # filter handles that); our own messages and evidence never carry it.
    assert "q-secret-value" not in "\n".join(texts)


def test_the_wrap_client_example_shows_a_revocation() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, str(root / "examples" / "wrap_client.py")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    assert "2. revoked:" in result.stdout
    assert "requests sent after the revocation: 0" in result.stdout
    assert "s3cr3t-demo-value" not in result.stdout + result.stderr


# ------------- ambiguous URLs, unrecordable signals, unencodable headers, bad arguments


def _ambiguous(server: LocalServer, other_server: LocalServer) -> list[str]:
    """URLs that urllib.parse and urllib3 read as different hosts."""
    return [
        # urllib.parse: host 127.0.0.1:<ours>; urllib3 (which connects): localhost:<other>
        f"http://localhost:{other_server.port}\\@127.0.0.1:{server.port}/v1/users",
        f"http://localhost:{other_server.port}\\\\@127.0.0.1:{server.port}/v1/users",
    ]


def test_a_url_the_two_parsers_read_differently_sends_no_credential(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """Admission and connection must agree on the host, or nothing is sent."""
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/v1/users", ok())
    other_server.route("GET", "/", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        for url in _ambiguous(server, other_server):
            with pytest.raises(AccessDenied, match="FOREIGN_ORIGIN"):
                session.get(url)
    assert other_server.received == []
    assert server.received == []


def test_govern_sends_no_credential_to_the_host_an_ambiguous_url_reaches(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """requests re-reads the URL before the adapter sees it: it is foreign, so stripped."""
    registry, _ks, engine, _ = world(server.url)
    sdk = requests.Session()
    sdk.headers["Authorization"] = f"Bearer {TOKEN}"
    sdk.headers["X-Vendor-Token"] = TOKEN
    govern(sdk, registry, "acme-api", engine=engine)
    for url in _ambiguous(server, other_server):
        sdk.get(url)
    assert len(other_server.received) == 2
    for received in other_server.received:
        assert TOKEN not in json.dumps(dict(received.headers))
    assert server.received == []


def test_the_adapter_checks_the_url_actually_sent_not_the_one_admitted(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    """Defence in depth: a prepared URL that left the admitted origin is refused."""

    class Rewriting(GovernedSession):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            prepared.url = other_server.url + "/v1/users"  # what a parser mismatch would do
            return prepared

    registry, ks, engine, _ = world(server.url)
    other_server.route("GET", "/v1/users", ok())
    with (
        Rewriting(registry, "acme-api", keystore=ks, engine=engine) as session,
        pytest.raises(AccessDenied, match="FOREIGN_ORIGIN"),
    ):
        session.get(server.url + "/v1/users")
    assert other_server.received == []


def _revoking(server: LocalServer, path: str = "/v1/users") -> None:
    """The API refuses the key, and refuses it again when asked once more: a confirmed revocation.

    For a Mimecast API 1.0 key (:func:`_mimecast_1`), whose profile confirms a
    suspicion by sending the request once more, re-signed.
    """
    server.route("GET", path, Reply(401, body={"error": "invalid_client"}))


def _mimecast_1(base_url: str) -> dict[str, Any]:
    return {"kind": ApiKind.MIMECAST_API, "auth": mimecast_spec(), "credential": None}


def test_a_revocation_that_cannot_be_recorded_still_raises_and_is_never_sent_again(
    world: World, server: LocalServer, tmp_path: Path
) -> None:
    """With the registry locked by another process, a revocation still raises and stops sends."""
    import sqlite3

    from hf_api_governance import StoreError

    _revoking(server)
    path = tmp_path / "registry.db"
    with Registry.open(path, timeout=0.2) as registry:
        active(registry, integration(server.url, **_mimecast_1(server.url)))
        session = GovernedSession(registry, "acme-api", keystore=world.keystore())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # a long `hf-gov sync` in another process
        try:
            with pytest.raises(CredentialRevoked) as caught:
                session.get(server.url + "/v1/users")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert isinstance(caught.value.__cause__, StoreError)
        assert "could not be recorded" in str(caught.value)
        assert TOKEN not in exception_texts(caught.value)
        assert registry.get("acme-api").state is IntegrationState.ACTIVE  # not recorded...
        server.route("GET", "/v1/users", ok())
        with pytest.raises(AccessDenied, match="CREDENTIAL_REVOKED"):
            session.get(server.url + "/v1/users")  # ...yet this session never sends it again
        session.close()
    assert len(server.received) == 2  # the call and its confirmation, nothing after


def test_a_suspension_that_cannot_be_recorded_still_raises_and_stops_the_session(
    world: World, server: LocalServer, tmp_path: Path
) -> None:
    import sqlite3

    from hf_api_governance import StoreError

    server.route("GET", "/v1/users", Reply(410))
    path = tmp_path / "registry.db"
    with Registry.open(path, timeout=0.2) as registry:
        active(registry, integration(server.url))
        session = GovernedSession(registry, "acme-api", keystore=world.keystore())
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(InteroperabilitySuspended) as caught:
                session.get(server.url + "/v1/users")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert isinstance(caught.value.__cause__, StoreError)
        assert "could not be recorded" in str(caught.value)
        server.route("GET", "/v1/users", ok())
        with pytest.raises(AccessDenied, match="INTEROP_SUSPENDED"):
            session.get(server.url + "/v1/users")
        session.close()
    assert len(server.received) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/" + "/".join(["abcd"] * 3000),  # ~15 KB: a call_sent entry fits, full evidence not
        "/" + "/".join(["a" * 190] * 100),  # 19 KB of ordinary segments
        "/" + "/".join(["\u00e9" * 150] * 60),  # non-ASCII: longer as escaped JSON
    ],
)
def test_a_revocation_on_a_very_long_url_is_recorded_and_audited(
    world: World, server: LocalServer, tmp_path: Path, path: str
) -> None:
    """Evidence is bounded so that it always fits the registry and the audit log."""
    from hf_api_governance._facade import Governance

    _revoking(server, urllib.parse.quote(path))  # the server sees the path percent-encoded
    with Governance.open(tmp_path / "gov.db", keystore=world.keystore(), actor="ops") as gov:
        active(gov.registry, integration(server.url, **_mimecast_1(server.url)))
        session = gov.session("acme-api")
        with pytest.raises(CredentialRevoked) as caught:
            session.get(server.url + path)
        assert caught.value.__cause__ is None
        assert gov.registry.get("acme-api").state is IntegrationState.REVOKED
        (event,) = events(gov.registry, "acme-api", EventKind.REVOKED)
        assert len(json.dumps(event.to_json())) < 16384
        assert gov.audit is not None
        assert [e.action for e in gov.audit.entries()][-2:] == ["call_sent", "revoked"]
        with pytest.raises(AccessDenied):
            session.get(server.url + "/v1/users")
    assert len(server.received) == 2  # the call and its confirmation


def test_a_recorder_failure_does_not_skip_the_revocation_check(
    world: World, server: LocalServer
) -> None:
    """The response is inspected for a revocation even when recording the call fails."""
    _revoking(server)
    registry, ks, engine, _ = world(server.url, **_mimecast_1(server.url))

    def failing(action: str, evidence: Mapping[str, Any]) -> None:
        if action == "call_sent":
            raise OSError("audit disk full")

    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine, recorder=failing) as s,
        pytest.raises(CredentialRevoked) as caught,
    ):
        s.get(server.url + "/v1/users")
    assert registry.get("acme-api").state is IntegrationState.REVOKED
    assert TOKEN not in exception_texts(caught.value)


def test_a_recorder_failure_after_a_normal_answer_is_raised(
    world: World, server: LocalServer
) -> None:
    server.route("GET", "/v1/users", ok())
    registry, ks, engine, _ = world(server.url)

    def failing(action: str, evidence: Mapping[str, Any]) -> None:
        raise OSError("audit disk full")

    with (
        GovernedSession(registry, "acme-api", keystore=ks, engine=engine, recorder=failing) as s,
        pytest.raises(OSError, match="audit disk full"),
    ):
        s.get(server.url + "/v1/users")


def test_a_header_that_cannot_be_encoded_is_a_transport_error_without_its_value(
    world: World, server: LocalServer
) -> None:
    """A vendor SDK's own header that http.client cannot encode: nothing sent, value unquoted."""
    from tests.canary import leaks

    canary = "CANARY-sdk-\u20ac-Hq7Lm2Xw9"
    registry, _ks, engine, _ = world(server.url)
    sdk = requests.Session()
    sdk.headers["X-Vendor-Token"] = canary
    govern(sdk, registry, "acme-api", engine=engine)
    with pytest.raises(TransportError) as caught:
        sdk.get(server.url + "/v1/users")
    assert caught.value.__context__ is None
    assert leaks(exception_texts(caught.value), canary) == []
    assert server.received == []


@pytest.mark.parametrize(
    "name", ["X-Vendor-Token", "Api-Token", "X-Session-Key", "X-Acme-Signature", "Cookie"]
)
def test_govern_strips_every_credential_shaped_header_towards_a_foreign_origin(
    world: World, server: LocalServer, other_server: LocalServer, name: str
) -> None:
    """Credential-shaped names are judged like the log scrubber does, not from a fixed list."""
    registry, _ks, engine, _ = world(server.url)
    other_server.route("GET", "/collect", ok())
    sdk = requests.Session()
    sdk.headers[name] = TOKEN
    govern(sdk, registry, "acme-api", engine=engine)
    assert sdk.get(other_server.url + "/collect").status_code == 200
    (received,) = other_server.received
    assert received.header(name) is None
    assert TOKEN not in json.dumps(dict(received.headers))


def test_a_redirect_to_another_origin_drops_credential_shaped_headers(
    world: World, server: LocalServer, other_server: LocalServer
) -> None:
    registry, ks, engine, _ = world(server.url)
    server.route("GET", "/v1/moved", Reply(302, headers={"Location": other_server.url + "/x"}))
    other_server.route("GET", "/x", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        session.get(server.url + "/v1/moved", headers={"X-Vendor-Token": API_KEY})
    assert server.received[0].header("X-Vendor-Token") == API_KEY
    (landed,) = other_server.received
    assert landed.header("X-Vendor-Token") is None


def test_a_contract_problem_quoting_a_token_is_not_stored_or_raised(
    world: World, server: LocalServer
) -> None:
    """A contract problem quoting a token is scrubbed in the stored reason and the message."""
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJDQU5BUlkifQ.c2lnbmF0dXJlQ0FOQVJZ"
    server.route("GET", "/x", ok({"access_token": jwt}))
    registry, ks, engine, _ = world(server.url)
    with (
        GovernedSession(
            registry,
            "acme-api",
            keystore=ks,
            engine=engine,
            contract=lambda r: "data" in r.json() or f"unexpected body {r.text}",
            contract_failures=1,
        ) as session,
        pytest.raises(InteroperabilitySuspended) as caught,
    ):
        session.get(server.url + "/x")
    assert jwt not in exception_texts(caught.value)
    (event,) = events(registry, "acme-api", EventKind.SUSPENDED)
    assert jwt not in json.dumps(event.to_json())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"registry": None}, "registry"),
        ({"integration_id": None}, "integration_id"),
        ({"integration_id": ""}, "integration_id"),
        ({"contract_failures": "3"}, "contract_failures"),
        ({"contract_failures": 0}, "contract_failures"),
        ({"contract_failures": True}, "contract_failures"),
        ({"retry": None}, "retry"),
        ({"retry": {"max_attempts": 2}}, "retry"),
        ({"actor": ""}, "actor"),
        ({"actor": None}, "actor"),
        ({"recorder": "log"}, "recorder"),
        ({"contract": 42}, "contract"),
        ({"contract": {"data": "list"}}, "contract"),
        ({"engine": "allow"}, "engine"),
        ({"keystore": "keys.hfks"}, "keystore"),
        ({"clock": "now"}, "clock"),
    ],
)
def test_bad_session_arguments_are_a_validation_error_naming_the_field(
    world: World, server: LocalServer, kwargs: dict[str, Any], field: str
) -> None:
    """GovernedSession and govern() check their arguments up front, naming the field."""
    from hf_api_governance import ValidationError

    registry, _ks, _engine, _ = world(server.url)
    args: dict[str, Any] = {"registry": registry, "integration_id": "acme-api", **kwargs}
    positional = (args.pop("registry"), args.pop("integration_id"))
    with pytest.raises(ValidationError) as caught:
        GovernedSession(*positional, **args)
    assert caught.value.field == field
    if field != "keystore":
        with pytest.raises(ValidationError) as caught:
            govern(requests.Session(), *positional, **args)
        assert caught.value.field == field


def test_govern_needs_a_requests_session(world: World, server: LocalServer) -> None:
    from hf_api_governance import ValidationError

    registry, _ks, _engine, _ = world(server.url)
    with pytest.raises(ValidationError) as caught:
        govern(None, registry, "acme-api")  # type: ignore[arg-type]
    assert caught.value.field == "session"
    with pytest.raises(ValidationError) as caught:
        govern(requests.Session(), registry, "acme-api", refuse_foreign="yes")  # type: ignore[arg-type]
    assert caught.value.field == "refuse_foreign"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_attempts": 10**100}, "max_attempts"),
        ({"max_attempts": 101}, "max_attempts"),
        ({"base_wait": float("inf")}, "base_wait"),
        ({"max_wait": 10**9}, "max_wait"),
        ({"total_timeout": float("inf")}, "total_timeout"),
        ({"total_timeout": 10**9}, "total_timeout"),
        ({"retry_non_idempotent": "yes"}, "retry_non_idempotent"),
    ],
)
def test_retry_bounds_are_checked(kwargs: dict[str, Any], field: str) -> None:
    from hf_api_governance import ValidationError

    with pytest.raises(ValidationError) as caught:
        RetryPolicy(**kwargs)
    assert caught.value.field == field
