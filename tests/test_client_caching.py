"""The governed client's hot path: reused CALL decisions, streams left alone, the body size cap.

A governed session reuses an allowing CALL decision while the registry hands
back the same integration and no time boundary has passed, but only when
every hook is declared pure; it never reads a body the caller streams, and
reads a ``2xx`` body for a Mimecast ``fail`` array only below the profile's
``success_body_limit``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from hf_api_governance import (
    AccessDenied,
    ApiError,
    ApiKind,
    Finding,
    Governance,
    GovernedSession,
    Licence,
    PolicyContext,
    PolicyEngine,
    PolicyHook,
    Registry,
    Secret,
    policy_hook,
)
from hf_api_governance._client.profiles import MIMECAST_API_1, SUCCESS_BODY_LIMIT
from hf_api_governance._facade import AUDIT_KEY_ENTRY
from hf_api_governance.testing import FrozenClock
from tests.client_support import World, active, integration
from tests.other_process import revoke_in_another_process
from tests.servers import LocalServer, Reply

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}


def _counting_hook(*, pure: bool) -> tuple[list[datetime], PolicyHook]:
    seen: list[datetime] = []

    @policy_hook(code="ACME_COUNTED", pure=pure)
    def counted(ctx: PolicyContext) -> None:
        seen.append(ctx.at)

    return seen, counted


# ------------------------------------------------------------------ decision reuse


def _suspend_in_another_process(registry_path: Path, integration_id: str) -> None:
    code = (
        "import sys\n"
        "from hf_api_governance import Registry, SuspensionCause\n"
        "with Registry.open(sys.argv[1]) as other:\n"
        "    other.suspend(sys.argv[2], cause=SuspensionCause.MANUAL, reason='down', actor='ops')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(registry_path), integration_id],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        check=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (revoke_in_another_process, "CREDENTIAL_REVOKED"),
        (_suspend_in_another_process, "INTEROP_SUSPENDED"),
    ],
    ids=["revocation", "suspension"],
)
def test_a_change_by_another_process_is_honoured_on_the_next_call_with_caching_on(
    world: World,
    server: LocalServer,
    tmp_path: Path,
    change: Callable[[Path, str], None],
    code: str,
) -> None:
    """A revocation or suspension recorded elsewhere stops the next call of a caching session."""
    seen, counted = _counting_hook(pure=True)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    path = tmp_path / "registry.db"
    with Registry.open(path) as registry:
        active(registry, integration(server.url))
        engine = PolicyEngine([counted])
        with GovernedSession(registry, "acme-api", keystore=world.keystore(), engine=engine) as s:
            for _ in range(3):
                assert s.get(server.url + "/v1/users").status_code == 200
            assert len(seen) == 1  # the decision was reused: caching is on
            change(path, "acme-api")
            with pytest.raises(AccessDenied, match=code):
                s.get(server.url + "/v1/users")
    assert len(server.received) == 3


def test_a_decision_cached_before_a_licence_ends_is_not_reused_after_the_end(
    world: World, server: LocalServer
) -> None:
    end = NOW + timedelta(hours=1)
    clock = FrozenClock(NOW)
    seen, counted = _counting_hook(pure=True)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    registry, ks, _, _ = world(
        server.url, licences=[Licence("Acme", "Directory API", NOW - timedelta(days=400), end)]
    )
    engine = PolicyEngine([counted], clock=clock)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine, clock=clock) as s:
        s.get(server.url + "/v1/users")
        clock.advance(minutes=59)
        s.get(server.url + "/v1/users")
        assert len(seen) == 1  # before the end (and outside no window): reused
        clock.set(end)
        with pytest.raises(AccessDenied, match="LICENCE_EXPIRED"):
            s.get(server.url + "/v1/users")
    assert len(server.received) == 2


def test_a_hook_without_the_pure_declaration_is_evaluated_on_every_call(
    world: World, server: LocalServer
) -> None:
    seen, counted = _counting_hook(pure=False)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    registry, ks, _, _ = world(server.url)
    engine = PolicyEngine([counted])
    with GovernedSession(registry, "acme-api", keystore=ks, engine=engine) as s:
        for _ in range(4):
            s.get(server.url + "/v1/users")
    assert len(seen) == 4


def test_a_denial_is_never_reused(world: World, server: LocalServer) -> None:
    """The engine is asked again after a denial: a fixed cause lets the next call through."""
    allow = [False]

    @policy_hook(code="ACME_SWITCH", pure=True)
    def switch(ctx: PolicyContext) -> Finding | None:
        return None if allow[0] else ctx.deny("switched off")

    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    registry, ks, _, _ = world(server.url)
    with GovernedSession(registry, "acme-api", keystore=ks, engine=PolicyEngine([switch])) as s:
        with pytest.raises(AccessDenied, match="ACME_SWITCH"):
            s.get(server.url + "/v1/users")
        allow[0] = True
        assert s.get(server.url + "/v1/users").status_code == 200


def _facade(tmp_path: Path, server: LocalServer, hook: PolicyHook) -> Governance:
    """A facade whose engine reads its keystore and the registry's revoked entries."""
    governance = Governance.open(
        tmp_path / "registry.db",
        keystore=tmp_path / "keys.hfks",
        passphrase="correct horse battery staple",
        actor="ci",
        hooks=[hook],
    )
    assert governance.keystore is not None
    governance.keystore.put("acme-token", Secret("tok-Facade7Kq2LmN9xR4", label="acme-token"))
    active(governance.registry, integration(server.url))
    return governance


def test_a_facade_session_reuses_its_decision_though_its_engine_reads_the_keystore(
    tmp_path: Path, server: LocalServer
) -> None:
    """Governance.session keeps an allowing decision: the session re-reads the credentials."""
    seen, counted = _counting_hook(pure=True)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    with _facade(tmp_path, server, counted) as governance:
        assert governance.engine.keystore is governance.keystore
        with governance.session("acme-api") as s:
            for _ in range(3):
                assert s.get(server.url + "/v1/users").status_code == 200
        assert len(seen) == 1


def test_a_credential_removed_from_the_keystore_is_a_recorded_denial_despite_a_kept_decision(
    tmp_path: Path, server: LocalServer
) -> None:
    """The kept decision is dropped and the engine, asked afresh, denies: nothing is sent."""
    seen, counted = _counting_hook(pure=True)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    with _facade(tmp_path, server, counted) as governance:
        with governance.session("acme-api") as s:
            s.get(server.url + "/v1/users")
            assert governance.keystore is not None
            governance.keystore.delete("acme-token")
            with pytest.raises(AccessDenied, match="CREDENTIAL_MISSING"):
                s.get(server.url + "/v1/users")
        assert governance.audit is not None
        actions = [e.action for e in governance.audit.entries()]
        assert actions[-1] == "call_denied"
    assert len(server.received) == 1
    assert len(seen) == 2


def test_a_shared_credential_revoked_through_another_integration_stops_a_kept_decision(
    tmp_path: Path, server: LocalServer
) -> None:
    """Another process revokes a second integration using the same entry: the next call stops."""
    _seen, counted = _counting_hook(pure=True)
    server.route("GET", "/v1/users", Reply(200, body={"data": []}))
    with _facade(tmp_path, server, counted) as governance:
        active(governance.registry, integration(server.url, id="acme-other"))
        assert governance.keystore is not None
        key = governance.keystore.get(AUDIT_KEY_ENTRY).reveal_bytes()
        with governance.session("acme-api") as s:
            s.get(server.url + "/v1/users")
            revoke_in_another_process(tmp_path / "registry.db", "acme-other", audit_key=key)
            with pytest.raises(AccessDenied, match="CREDENTIAL_REVOKED"):
                s.get(server.url + "/v1/users")
    assert len(server.received) == 1


# ------------------------------------------------------------------ streams and the cap


def _mimecast(world: World, server: LocalServer) -> Registry:
    registry = world.registry()
    active(registry, integration(server.url, kind=ApiKind.MIMECAST_API, vendor="Mimecast"))
    return registry


def _failing_body(size: int) -> bytes:
    """A Mimecast 1.0 answer with an error in its ``fail`` array, padded to ``size`` bytes."""
    body = {"meta": {"status": 200}, "data": [], "fail": [{"errors": [{"code": "err_x"}]}]}
    text = json.dumps(body).encode()
    pad = size - len(text) - len(b', "pad": ""')
    return text[:-1] + b', "pad": "' + b"x" * max(pad, 0) + b'"}'


def test_a_streamed_answer_is_not_read_and_stays_streamable(
    world: World, server: LocalServer
) -> None:
    body = _failing_body(SUCCESS_BODY_LIMIT - 1000)  # below the cap: read when not streamed
    reply = Reply(200, headers=JSON, body=body)
    server.route("GET", "/api/items", reply)
    registry = _mimecast(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as s:
        streamed = s.get(server.url + "/api/items", stream=True)  # no ApiError: not read
        assert streamed.raw.read() == body  # the raw stream is whole: nobody read it before
        again = s.get(server.url + "/api/items", stream=True)
        assert b"".join(again.iter_content(8192)) == body
        with pytest.raises(ApiError):  # the same answer, not streamed, is read
            s.get(server.url + "/api/items")


def test_a_success_body_above_the_cap_is_not_parsed_and_a_profile_can_raise_the_cap(
    world: World, server: LocalServer
) -> None:
    small = _failing_body(1000)
    large = _failing_body(SUCCESS_BODY_LIMIT + 1)
    for path, body in (("/api/small", small), ("/api/large", large)):
        server.route("GET", path, Reply(200, headers=JSON, body=body))
    registry = _mimecast(world, server)
    with GovernedSession(registry, "acme-api", keystore=world.keystore()) as s:
        with pytest.raises(ApiError):
            s.get(server.url + "/api/small")
        assert s.get(server.url + "/api/large").content == large  # above the cap: not parsed
    wider = attrs.evolve(MIMECAST_API_1, success_body_limit=2 * SUCCESS_BODY_LIMIT)
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore(), profile=wider) as s,
        pytest.raises(ApiError),
    ):
        s.get(server.url + "/api/large")


def test_an_error_status_is_read_above_the_success_cap(world: World, server: LocalServer) -> None:
    body = _failing_body(SUCCESS_BODY_LIMIT + 1)
    server.route("GET", "/api/x", Reply(400, headers=JSON, body=body))
    registry = _mimecast(world, server)
    with (
        GovernedSession(registry, "acme-api", keystore=world.keystore()) as s,
        pytest.raises(ApiError),
    ):
        s.get(server.url + "/api/x")
