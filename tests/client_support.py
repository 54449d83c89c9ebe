"""Helpers shared by the governed-client tests."""

from __future__ import annotations

import base64
from typing import Any

from hf_api_governance import ApiKind, AuthSpec, Integration, Service
from tests.fakes import FakeEngine, FakeKeystore, FakeRegistry

TOKEN = "tok-Zq8v1LrN3xKp0aW7eYb2"
API_KEY = "ak-9fH2kLmN4pQ7rS1tUv3wXy"
CLIENT_ID = "cid-Hy7Gt5Rf3Ed1Ws9Qa"
CLIENT_SECRET = "cs-Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es"
MC_ACCESS_KEY = "mak-Bn5Vc4Xz3Lk2Jh1Gf0Ds9"
MC_SECRET_RAW = b"mimecast-secret-key-bytes-0123456789"
MC_SECRET_KEY = base64.b64encode(MC_SECRET_RAW).decode()
MC_APP_ID = "app-Qw1Er2Ty3Ui4Op5As6"
MC_APP_KEY = "appkey-Zx9Cv8Bn7Mm6Ll5Kk4"

ALL_SECRETS = (
    TOKEN,
    API_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    MC_ACCESS_KEY,
    MC_SECRET_KEY,
    MC_APP_ID,
    MC_APP_KEY,
)


def keystore() -> FakeKeystore:
    return FakeKeystore(
        {
            "acme-token": TOKEN,
            "acme-key": API_KEY,
            "acme-client-id": CLIENT_ID,
            "acme-client-secret": CLIENT_SECRET,
            "mc-access-key": MC_ACCESS_KEY,
            "mc-secret-key": MC_SECRET_KEY,
            "mc-app-id": MC_APP_ID,
            "mc-app-key": MC_APP_KEY,
        }
    )


def integration(
    base_url: str,
    *,
    id: str = "acme-api",
    kind: ApiKind = ApiKind.THIRD_PARTY_API,
    auth: AuthSpec | dict[str, Any] | None = None,
    credential: str | None = "acme-token",
) -> Integration:
    return Integration(
        id=id,
        name="Acme directory",
        service=Service.AWARE,
        kind=kind,
        vendor="Acme",
        base_url=base_url,
        owner="platform-team",
        credential=credential,
        auth=auth,
    )


def oauth_spec(token_url: str, client_auth: str = "body") -> dict[str, str]:
    return {
        "scheme": "oauth2_client_credentials",
        "token_url": token_url,
        "client_id": "acme-client-id",
        "client_secret": "acme-client-secret",
        "client_auth": client_auth,
    }


def mimecast_spec() -> dict[str, str]:
    return {
        "scheme": "mimecast_hmac_v1",
        "access_key": "mc-access-key",
        "secret_key": "mc-secret-key",
        "app_id": "mc-app-id",
        "app_key": "mc-app-key",
    }


def active(registry: FakeRegistry, item: Integration) -> Integration:
    registry.register(item, actor="test")
    return registry.activate(item.id, actor="test")


def world(
    base_url: str, **kwargs: Any
) -> tuple[FakeRegistry, FakeKeystore, FakeEngine, Integration]:
    registry = FakeRegistry()
    item = active(registry, integration(base_url, **kwargs))
    return registry, keystore(), FakeEngine(), item
