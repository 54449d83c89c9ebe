"""govern() on ``mimecast-api`` 0.5 (Mimecast API 1.0, a test-only dependency), unchanged.

The SDK signs each request itself (HMAC) and posts to a local stub that
answers as Mimecast documents: ``fail`` arrays in both shapes, ``418``
Binding Expired, ``410``, ``Deprecation`` and ``X-RateLimit-*`` (milliseconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
import requests

from hf_api_governance import (
    AccessDenied,
    ApiError,
    ApiKind,
    CredentialRevoked,
    EventKind,
    IntegrationState,
    InteroperabilitySuspended,
    Registry,
    govern,
)
from tests.client_support import (
    MC_SECRET_KEY,
    World,
    events,
)
from tests.servers import LocalServer, Received, Reply

mimecast_api = pytest.importorskip("mimecast_api")

DECODE = "/api/ttp/url/decode-url"


class MimecastApi1:
    """Enough of Mimecast API 1.0 for mimecast-api 0.5: decode-url, answering as documented."""

    def __init__(self, server: LocalServer) -> None:
        self.replies: list[Reply] = []
        self.headers: dict[str, str] = {}
        server.route("POST", DECODE, self.decode)

    def decode(self, r: Received) -> Reply:
        if self.replies:
            return self.replies.pop(0)
        return Reply(
            200,
            headers=self.headers,
            body={"meta": {"status": 200}, "data": [{"url": "https://real.example/"}], "fail": []},
        )


def _binding(code: str, *, nested: bool = True) -> Reply:
    fail = (
        {"errors": [{"code": code, "message": "x", "retryable": False}]}
        if nested
        else {
            "code": code,
            "message": "x",
        }
    )
    return Reply(200, body={"meta": {"status": 200}, "data": [], "fail": [fail]})


def _mimecast_sdk(
    world: World, server: LocalServer, **options: Any
) -> tuple[Registry, Any, list[tuple[str, Mapping[str, Any]]]]:
    registry, _ks, _engine, _ = world(
        server.url,
        id="mc-siem",
        kind=ApiKind.MIMECAST_API,
        vendor="Mimecast",
        api_version="1.0",
        credential="mc-secret-key",
    )
    calls: list[tuple[str, Mapping[str, Any]]] = []
    session = govern(
        requests.Session(),
        registry,
        "mc-siem",
        recorder=lambda action, evidence: calls.append((action, evidence)),
        **options,
    )
    client = mimecast_api.MimecastAPI(
        base_url=server.url,
        access_key="mc-access",
        secret_key=MC_SECRET_KEY,
        app_id="mc-app",
        app_key="mc-app-key",
        session=session,
    )
    return registry, client, calls


def test_mimecast_api_sdk_works_governed_and_its_budget_is_read(
    world: World, server: LocalServer
) -> None:
    api = MimecastApi1(server)
    api.headers = {"X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49", "Deprecation": "true"}
    registry, client, calls = _mimecast_sdk(world, server)
    assert client.decode_url("https://protect.example/x") == "https://real.example/"
    (request,) = server.requests_to(DECODE)
    assert (request.header("Authorization") or "").startswith(
        "MC mc-access:"
    )  # the SDK's own signing
    assert calls[-1][1]["rate_limit_remaining"] == 49
    assert len(events(registry, "mc-siem", EventKind.DEPRECATION_NOTICED)) == 1


@pytest.mark.parametrize(
    "reply",
    [
        _binding("err_xdk_binding_revoked"),
        _binding("err_xdk_binding_expired", nested=False),  # the 2.0 shape, read too
        Reply(418),
    ],
    ids=["1.0 fail shape", "2.0 fail shape", "418 binding expired"],
)
def test_mimecast_api_sdk_revoked_binding_is_confirmed_by_a_second_answer(
    world: World, server: LocalServer, reply: Reply
) -> None:
    api = MimecastApi1(server)
    api.replies = [reply, reply]
    registry, client, _calls = _mimecast_sdk(world, server)
    with pytest.raises(CredentialRevoked) as caught:
        client.decode_url("https://protect.example/x")
    assert caught.value.evidence["confirmed_by"] == "repeat"
    assert registry.get("mc-siem").state is IntegrationState.REVOKED
    assert len(server.requests_to(DECODE)) == 2
    server.clear()
    with pytest.raises(AccessDenied):
        client.decode_url("https://protect.example/x")
    assert server.received == []


def test_mimecast_api_sdk_binding_code_not_repeated_is_no_revocation(
    world: World, server: LocalServer
) -> None:
    """A binding code once, then a normal answer: the repeated answer stands, the suspicion kept."""
    api = MimecastApi1(server)
    api.replies = [_binding("err_xdk_binding_expired")]
    registry, client, _calls = _mimecast_sdk(world, server)
    assert client.decode_url("https://protect.example/x") == "https://real.example/"
    assert registry.get("mc-siem").state is IntegrationState.ACTIVE
    (event,) = events(registry, "mc-siem", EventKind.SIGNAL_RECORDED)
    assert event.evidence["confirmation"] == "cleared"


def test_mimecast_api_sdk_other_failure_is_an_api_error(world: World, server: LocalServer) -> None:
    api = MimecastApi1(server)
    api.replies = [_binding("err_validation_blank")]
    registry, client, _calls = _mimecast_sdk(world, server)
    with pytest.raises(ApiError) as caught:
        client.decode_url("https://protect.example/x")
    assert caught.value.codes == ("err_validation_blank",)
    assert registry.get("mc-siem").state is IntegrationState.ACTIVE


def test_mimecast_api_sdk_gone_is_a_suspension(world: World, server: LocalServer) -> None:
    api = MimecastApi1(server)
    api.replies = [Reply(410, headers={"Sunset": "2022-01-01"})]
    registry, client, _calls = _mimecast_sdk(world, server)
    with pytest.raises(InteroperabilitySuspended):
        client.decode_url("https://protect.example/x")
    (event,) = events(registry, "mc-siem", EventKind.SUSPENDED)
    assert event.evidence["cause"] == "sunset"


def test_mimecast_api_sdk_waits_out_a_spent_budget(world: World, server: LocalServer) -> None:
    """Mimecast's X-RateLimit-Reset is in milliseconds: the next call waits instead of a 429."""
    api = MimecastApi1(server)
    api.headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "15"}
    _registry, client, calls = _mimecast_sdk(world, server)
    client.decode_url("https://protect.example/x")
    client.decode_url("https://protect.example/x")
    assert "rate_limit_wait_s" not in calls[0][1]
    assert 0 < calls[1][1]["rate_limit_wait_s"] <= 0.015
