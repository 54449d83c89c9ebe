"""GovernedSession and govern(): admission, credentials, origins, retries, custody, logs."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
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
from hf_api_governance._signals import format_http_date
from tests.client_support import (
    ALL_SECRETS,
    API_KEY,
    EXPIRED_LICENCE,
    TOKEN,
    CountingKeystore,
    World,
    active,
    events,
    integration,
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
        pytest.raises(AccessDenied, match="STATE_PENDING"),
    ):
        session.get(server.url + "/x")
    assert server.received == []


def test_a_revoked_credential_entry_is_never_sent_again(world: World, server: LocalServer) -> None:
    """Even if the integration got a new state, a revoked entry name is refused."""
    registry, ks, _engine, _ = world(server.url)
    registry.revoke("acme-api", by=Revoker.CUSTOMER, reason="leaked", actor="alice")
    with (
        GovernedSession(registry, "acme-api", keystore=ks) as session,
        pytest.raises(AccessDenied, match=r"CREDENTIAL_REVOKED|STATE_REVOKED"),
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
    "auth",
    [
        None,
        {"scheme": "api_key_header", "header": "X-Acme-Key", "key": "acme-key"},
    ],
)
def test_a_redirect_to_another_origin_drops_every_credential_header(
    world: World, server: LocalServer, other_server: LocalServer, auth: dict[str, str] | None
) -> None:
    registry, ks, engine, _ = world(server.url, auth=auth)
    server.route(
        "GET", "/v1/moved", Reply(302, headers={"Location": other_server.url + "/landing"})
    )
    other_server.route("GET", "/landing", ok())
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as session:
        response = session.get(server.url + "/v1/moved", headers={"Cookie": "sid=abc"})
    assert response.status_code == 200
    (first,) = server.received
    assert (first.header("Authorization") or first.header("X-Acme-Key")) in (
        f"Bearer {TOKEN}",
        API_KEY,
    )
    (landed,) = other_server.received
    sent = {k.lower(): v for k, v in landed.headers.items()}
    for name in ("authorization", "x-acme-key", "cookie"):
        assert name not in sent
    assert TOKEN not in json.dumps(sent)
    assert API_KEY not in json.dumps(sent)


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
        tokens = iter(["tok-first-Xy12Ab34Cd56", "tok-second-Ef78Gh90Ij12"])
        server.route(
            "POST",
            "/oauth/token",
            lambda r: Reply(200, body={"access_token": next(tokens), "expires_in": 600}),
        )
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
