"""govern() on Code42's ``py42`` 1.29 (a test-only dependency), unchanged, against a local tenant.

py42 keeps one module-global session (``ROOT_SESSION``) for every client in
the process: governance is mounted on it, and two tenants on it are kept
apart only when the caller asks for routing by origin (issue 12 item 4).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests

from hf_api_governance import (
    AccessDenied,
    CredentialRevoked,
    EventKind,
    IntegrationState,
    InteroperabilitySuspended,
    Registry,
    RetryPolicy,
    ValidationError,
    govern,
)
from tests.client_support import (
    INCYDR_SECRET,
    World,
    active,
    events,
    exception_texts,
    integration,
)
from tests.servers import LocalServer, Received, Reply

py42_sdk = pytest.importorskip("py42.sdk")
py42_connection = pytest.importorskip("py42.services._connection")

PY42_TOKEN_PATH = "/api/v3/oauth/token"
C42_REFUSAL = "The supplied credentials are invalid"


class Code42Api:
    """Enough of a Code42 tenant for py42 1.29: its token endpoint and one user."""

    def __init__(self, server: LocalServer, tenant: str = "a") -> None:
        self.server = server
        self.tenant = tenant
        self.client_revoked = False
        self.user_replies: list[Reply] = []
        self.user_headers: dict[str, str] = {}
        self.issued = 0
        server.route("POST", PY42_TOKEN_PATH, self.oauth)
        server.route("GET", "/api/v1/User/1", self.user)

    def oauth(self, r: Received) -> Reply:
        if self.client_revoked:
            return Reply(401, body=C42_REFUSAL)  # text/plain, as Code42 documents
        self.issued += 1
        token = f"{self.tenant}-token-{self.issued}"
        return Reply(200, body={"access_token": token, "token_type": "bearer", "expires_in": 900})

    def user(self, r: Received) -> Reply:
        if self.user_replies:
            return self.user_replies.pop(0)
        return Reply(200, headers=self.user_headers, body={"data": {"userId": 1, "tenant": "x"}})


@pytest.fixture
def root_session() -> Iterator[requests.Session]:
    """py42's module-global session, restored to what it was after the test."""
    session = py42_connection.ROOT_SESSION
    adapters = session.adapters.copy()
    yield session
    session.adapters = adapters
    vars(session).pop("send", None)


def _py42_world(world: World, server: LocalServer, id: str = "code42-a") -> Registry:
    registry, _ks, _engine, _ = world(
        server.url, id=id, vendor="Code42", credential="incydr-client-secret"
    )
    return registry


def test_py42_governed_on_its_global_session_keeps_its_auth_and_records_a_notice(
    world: World, server: LocalServer, root_session: requests.Session
) -> None:
    api = Code42Api(server)
    api.user_headers = {"Deprecation": "@1688169599"}
    registry = _py42_world(world, server)
    govern(root_session, registry, "code42-a")
    sdk = py42_sdk.from_api_client(server.url, "c42-client", INCYDR_SECRET)
    assert sdk.users.get_by_id(1)["userId"] == 1
    assert sdk.users.get_by_id(1)["userId"] == 1
    (token_call,) = server.requests_to(PY42_TOKEN_PATH)
    basic = base64.b64encode(f"c42-client:{INCYDR_SECRET}".encode()).decode()
    assert token_call.header("Authorization") == f"Basic {basic}"
    assert server.requests_to("/api/v1/User/1")[0].header("Authorization") == "Bearer a-token-1"
    assert len(events(registry, "code42-a", EventKind.DEPRECATION_NOTICED)) == 1


def test_py42_revoked_client_is_confirmed_and_recorded(
    world: World, server: LocalServer, root_session: requests.Session
) -> None:
    """Code42's 401 'The supplied credentials are invalid', twice: a revocation, not HTTPError."""
    api = Code42Api(server)
    registry = _py42_world(world, server)
    govern(root_session, registry, "code42-a")
    sdk = py42_sdk.from_api_client(server.url, "c42-client", INCYDR_SECRET)
    assert sdk.users.get_by_id(1)["userId"] == 1
    api.client_revoked = True
    api.user_replies = [Reply(401, body=C42_REFUSAL)]  # the access token is refused too
    with pytest.raises(CredentialRevoked) as caught:
        sdk.users.get_by_id(1)
    assert caught.value.evidence["confirmation"] == "confirmed"
    assert INCYDR_SECRET not in exception_texts(caught.value)
    assert registry.get("code42-a").state is IntegrationState.REVOKED
    server.clear()
    with pytest.raises(AccessDenied):
        sdk.users.get_by_id(1)
    assert server.received == []


def test_py42_expired_token_is_renewed_by_the_sdk_without_a_revocation(
    world: World, server: LocalServer, root_session: requests.Session
) -> None:
    api = Code42Api(server)
    registry = _py42_world(world, server)
    govern(root_session, registry, "code42-a")
    sdk = py42_sdk.from_api_client(server.url, "c42-client", INCYDR_SECRET)
    assert sdk.users.get_by_id(1)["userId"] == 1
    api.user_replies = [Reply(401, body="token expired")]  # py42 clears its token, asks again
    assert sdk.users.get_by_id(1)["userId"] == 1
    assert api.issued == 2
    assert registry.get("code42-a").state is IntegrationState.ACTIVE
    assert events(registry, "code42-a", EventKind.SIGNAL_RECORDED) == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(410),
        Reply(200, headers={"Sunset": "Sat, 01 Jan 2022 00:00:00 GMT"}, body={"data": {}}),
    ],
    ids=["410", "past Sunset"],
)
def test_py42_sunset_api_is_suspended(
    world: World, server: LocalServer, root_session: requests.Session, reply: Reply
) -> None:
    api = Code42Api(server)
    registry = _py42_world(world, server)
    govern(root_session, registry, "code42-a")
    sdk = py42_sdk.from_api_client(server.url, "c42-client", INCYDR_SECRET)
    api.user_replies = [reply]
    with pytest.raises(InteroperabilitySuspended):
        sdk.users.get_by_id(1)
    assert registry.get("code42-a").state is IntegrationState.SUSPENDED


def test_py42_rate_limited_call_is_retried_under_governance(
    world: World, server: LocalServer, root_session: requests.Session
) -> None:
    api = Code42Api(server)
    registry = _py42_world(world, server)
    govern(root_session, registry, "code42-a", retry=RetryPolicy(base_wait=0.0, max_wait=0.02))
    sdk = py42_sdk.from_api_client(server.url, "c42-client", INCYDR_SECRET)
    api.user_replies = [Reply(429, headers={"Retry-After": "0"}), Reply(429)]
    assert sdk.users.get_by_id(1)["userId"] == 1
    assert len(server.requests_to("/api/v1/User/1")) == 3


def test_two_py42_tenants_on_the_global_session_are_kept_apart(
    world: World,
    server: LocalServer,
    other_server: LocalServer,
    root_session: requests.Session,
) -> None:
    """Issue 12 item 4: re-governing py42's ROOT_SESSION for tenant B is refused, unless
    routed by origin; then a 410 on tenant A's call suspends A alone."""
    tenant_a, tenant_b = Code42Api(server, "a"), Code42Api(other_server, "b")
    registry = world.registry()
    for ident, srv in (("tenant-a", server), ("tenant-b", other_server)):
        active(
            registry,
            integration(srv.url, id=ident, vendor="Code42", credential="incydr-client-secret"),
        )
    govern(root_session, registry, "tenant-a")
    with pytest.raises(ValidationError, match="already governed for integration 'tenant-a'"):
        govern(root_session, registry, "tenant-b")
    govern(root_session, registry, "tenant-b", route_by_origin=True)
    sdk_a = py42_sdk.from_api_client(server.url, "client-a", INCYDR_SECRET)
    sdk_b = py42_sdk.from_api_client(other_server.url, "client-b", INCYDR_SECRET)
    tenant_a.user_replies = [Reply(410)]
    with pytest.raises(InteroperabilitySuspended) as caught:
        sdk_a.users.get_by_id(1)
    assert caught.value.integration_id == "tenant-a"
    assert sdk_b.users.get_by_id(1)["userId"] == 1
    assert registry.get("tenant-a").state is IntegrationState.SUSPENDED
    assert registry.get("tenant-b").state is IntegrationState.ACTIVE
    assert other_server.requests_to("/api/v1/User/1")[0].header("Authorization") == (
        "Bearer b-token-1"
    )
    assert tenant_b.issued == 1
