"""govern() on real vendor SDKs, unchanged, against local stubs of the vendors' documented answers.

Test-only dependencies: Code42's Incydr SDK (``incydr``), Code42's ``py42``
(whose session is module-global) and ``mimecast-api`` (Mimecast API 1.0,
HMAC-signed). Each SDK owns its session and its authentication; governance
is mounted as a transport adapter and must detect revocation (confirmed by
the authority), suspension, deprecation and rate limits through the SDK's
own calls.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hf_api_governance import (
    AccessDenied,
    ApiKind,
    CredentialRevoked,
    EventKind,
    Integration,
    IntegrationState,
    InteroperabilitySuspended,
    Keystore,
    PolicyEngine,
    Registry,
    RevocationSuspected,
    govern,
)
from tests.client_support import (
    INCYDR_SECRET,
    World,
    events,
    exception_texts,
)
from tests.servers import LocalServer, Received, Reply

# The SDK calls pydantic's deprecated v1 API; that is its business, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

incydr = pytest.importorskip("incydr")

INCYDR_CLIENT_ID = "key-abc"


class IncydrApi:
    """Enough of the Code42 Incydr API for the SDK: /v1/oauth and /v1/users/{id}."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.client_revoked = False
        self.tokens_refused = False
        self.user_status = 200
        self.user_headers: dict[str, str] = {}
        self.issued = 0
        self.refuse_after: int | None = None  # refuse the client once this many were issued
        server.route("POST", "/v1/oauth", self.oauth)
        server.route("GET", "/v1/users/u-1", self.user)

    def oauth(self, r: Received) -> Reply:
        if self.client_revoked or (
            self.refuse_after is not None and self.issued >= self.refuse_after
        ):
            return Reply(401, body={"error": "invalid_client"})
        self.issued += 1
        # expires_in=0: the SDK fetches a token before every call
        return Reply(
            200, body={"token_type": "bearer", "expires_in": 0, "access_token": f"t{self.issued}"}
        )

    def user(self, r: Received) -> Reply:
        if self.tokens_refused:
            return Reply(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return Reply(
            self.user_status,
            headers=self.user_headers,
            body={"userId": "u-1", "username": "a@example.com", "active": True},
        )


def _incydr_client(server: LocalServer) -> Any:
    return incydr.Client(
        url=server.url,
        api_client_id=INCYDR_CLIENT_ID,
        api_client_secret=INCYDR_SECRET,
        skip_auth=True,
    )


def _incydr_world(
    world: World, server: LocalServer
) -> tuple[Registry, Keystore, PolicyEngine, Integration]:
    # The SDK authenticates itself, but the integration still names the
    # keystore entry its secret comes from (the policy engine requires one).
    return world(
        server.url,
        id="incydr-api",
        kind=ApiKind.MIMECAST_API,
        vendor="Code42",
        credential="incydr-client-secret",
    )


def test_a_governed_incydr_client_keeps_its_own_auth_and_records_notices(
    world: World,
    server: LocalServer,
) -> None:
    api = IncydrApi(server)
    api.user_headers = {"Deprecation": "@1700000000"}
    registry, _ks, engine, _ = _incydr_world(world, server)
    client = _incydr_client(server)
    govern(client.session, registry, "incydr-api", engine=engine)
    assert client.users.v1.get_user("u-1").user_id == "u-1"
    assert client.users.v1.get_user("u-1").user_id == "u-1"
    (oauth_call, *_rest) = server.requests_to("/v1/oauth")
    basic = base64.b64encode(f"{INCYDR_CLIENT_ID}:{INCYDR_SECRET}".encode()).decode()
    assert oauth_call.header("Authorization") == f"Basic {basic}"  # the SDK's own credentials
    assert server.requests_to("/v1/users/u-1")[0].header("Authorization") == "Bearer t1"
    assert len(events(registry, "incydr-api", EventKind.DEPRECATION_NOTICED)) == 1


def test_a_revoked_incydr_client_is_detected_through_the_sdk(
    world: World, server: LocalServer
) -> None:
    api = IncydrApi(server)
    registry, _ks, engine, _ = _incydr_world(world, server)
    client = _incydr_client(server)
    govern(client.session, registry, "incydr-api", engine=engine)
    assert client.users.v1.get_user("u-1").user_id == "u-1"
    api.client_revoked = True
    with pytest.raises(CredentialRevoked):
        client.users.v1.get_user("u-1")
    (event,) = events(registry, "incydr-api", EventKind.REVOKED)
    assert event.evidence["revoker"] == "mimecast"
    server.clear()
    other = _incydr_client(server)  # a new SDK client, same registry
    govern(other.session, registry, "incydr-api", engine=engine)
    with pytest.raises(AccessDenied):
        other.users.v1.get_user("u-1")
    assert server.received == []


def test_incydr_invalid_token_right_after_a_token_is_confirmed_before_it_revokes(
    world: World, server: LocalServer
) -> None:
    """The SDK's last token request is sent once more: it still gets a token, so no revocation."""
    api = IncydrApi(server)
    api.tokens_refused = True
    registry, _ks, engine, _ = _incydr_world(world, server)
    client = _incydr_client(server)
    govern(client.session, registry, "incydr-api", engine=engine)
    with pytest.raises(RevocationSuspected) as caught:
        client.users.v1.get_user("u-1")
    assert caught.value.confirmation == "cleared"
    assert registry.get("incydr-api").state is IntegrationState.ACTIVE
    api.tokens_refused = False
    assert client.users.v1.get_user("u-1").user_id == "u-1"  # the next call is sent
    # Once the client itself is refused, the same answer is a confirmed revocation.
    api.tokens_refused = True
    api.refuse_after = api.issued + 1  # the SDK's next token, then the client is refused
    with pytest.raises(CredentialRevoked) as revoked:
        client.users.v1.get_user("u-1")
    assert revoked.value.evidence["confirmation"] == "confirmed"
    assert registry.get("incydr-api").state is IntegrationState.REVOKED


def test_a_sunset_incydr_api_is_suspended_through_the_sdk(
    world: World, server: LocalServer
) -> None:
    api = IncydrApi(server)
    api.user_status = 410
    registry, _ks, engine, _ = _incydr_world(world, server)
    client = _incydr_client(server)
    govern(client.session, registry, "incydr-api", engine=engine)
    with pytest.raises(InteroperabilitySuspended):
        client.users.v1.get_user("u-1")
    assert registry.get("incydr-api").state is IntegrationState.SUSPENDED
    server.clear()
    with pytest.raises(AccessDenied):
        client.users.v1.get_user("u-1")
    assert server.received == []


def test_a_401_in_plain_text_from_incydrs_token_endpoint_revokes_through_the_sdk(
    world: World, server: LocalServer
) -> None:
    """Issue 12 item 3: Code42's documented refusal, not the SDK's raw HTTPError."""
    api = IncydrApi(server)
    registry, _ks, engine, _ = _incydr_world(world, server)
    client = _incydr_client(server)
    govern(client.session, registry, "incydr-api", engine=engine)
    assert client.users.v1.get_user("u-1").user_id == "u-1"
    server.route("POST", "/v1/oauth", Reply(401, body="The supplied credentials are invalid"))
    server.clear()
    with pytest.raises(CredentialRevoked) as caught:
        client.users.v1.get_user("u-1")
    assert caught.value.evidence["signal"] == "token_refusal"
    assert len(server.requests_to("/v1/oauth")) == 2  # the SDK's request and its confirmation
    assert INCYDR_SECRET not in exception_texts(caught.value)
    server.clear()
    with pytest.raises(AccessDenied):
        client.users.v1.get_user("u-1")
    assert server.received == []
    assert api.issued == 1
