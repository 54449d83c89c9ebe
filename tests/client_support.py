"""Helpers shared by the governed-client tests: the real parts users wire together.

The client is tested against what users run: a real :class:`Registry` (SQLite,
in memory), a real :class:`PolicyEngine` with the built-in clause policies and
a real :class:`Keystore` file under the test's ``tmp_path`` (opened with a raw
key, so no scrypt cost). The ``world`` fixture (``tests/conftest.py``) hands
out a :class:`World` and closes everything it opened.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from hf_api_governance import (
    ApiKind,
    AuthSpec,
    Event,
    EventKind,
    Integration,
    Keystore,
    Licence,
    PolicyEngine,
    PolicyHook,
    Registry,
    Secret,
    Service,
)

TOKEN = "tok-Zq8v1LrN3xKp0aW7eYb2"
API_KEY = "ak-9fH2kLmN4pQ7rS1tUv3wXy"
CLIENT_ID = "cid-Hy7Gt5Rf3Ed1Ws9Qa"
CLIENT_SECRET = "cs-Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es"
MC_ACCESS_KEY = "mak-Bn5Vc4Xz3Lk2Jh1Gf0Ds9"
MC_SECRET_RAW = b"mimecast-secret-key-bytes-0123456789"
MC_SECRET_KEY = base64.b64encode(MC_SECRET_RAW).decode()
MC_APP_ID = "app-Qw1Er2Ty3Ui4Op5As6"
MC_APP_KEY = "appkey-Zx9Cv8Bn7Mm6Ll5Kk4"
INCYDR_SECRET = "incydr-secret-Xy9"

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

ENTRIES = {
    "acme-token": TOKEN,
    "shared-token": TOKEN,
    "acme-key": API_KEY,
    "acme-client-id": CLIENT_ID,
    "acme-client-secret": CLIENT_SECRET,
    "mc-access-key": MC_ACCESS_KEY,
    "mc-secret-key": MC_SECRET_KEY,
    "mc-app-id": MC_APP_ID,
    "mc-app-key": MC_APP_KEY,
    "incydr-client-secret": INCYDR_SECRET,
}
"""The keystore entries every world holds (names are what integrations reference)."""

VALID_LICENCE = Licence("Acme", "Directory API", date(2020, 1, 1), None)
"""A third-party licence valid now and for ever: the built-in licence policy allows."""

EXPIRED_LICENCE = Licence("Acme", "Directory API", date(2020, 1, 1), date(2021, 12, 31))
"""A licence that has ended: the built-in licence policy denies (LICENCE_EXPIRED)."""


def integration(
    base_url: str,
    *,
    id: str = "acme-api",
    kind: ApiKind = ApiKind.THIRD_PARTY_API,
    auth: AuthSpec | dict[str, Any] | None = None,
    credential: str | None = "acme-token",
    licences: Iterable[Licence] = (VALID_LICENCE,),
    vendor: str = "Acme",
    data_origins: Iterable[str] = (),
    api_version: str | None = None,
) -> Integration:
    return Integration(
        id=id,
        name="Acme directory",
        service=Service.AWARE,
        kind=kind,
        vendor=vendor,
        data_origins=tuple(data_origins),
        api_version=api_version,
        base_url=base_url,
        owner="platform-team",
        credential=credential,
        auth=auth,
        licences=tuple(licences),
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


def active(registry: Registry, item: Integration) -> Integration:
    registry.register(item, actor="test")
    return registry.activate(item.id, actor="test")


def events(registry: Registry, integration_id: str, kind: EventKind) -> list[Event]:
    """The events of one kind in an integration's history, oldest first."""
    return [e for e in registry.history(integration_id) if e.kind is kind]


class CountingKeystore:
    """A spy around the real keystore: counts reads, so a test can show none happened."""

    def __init__(self, keystore: Keystore) -> None:
        self._keystore = keystore
        self.reads = 0

    def get(self, name: str) -> Secret:
        self.reads += 1
        return self._keystore.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._keystore


class World:
    """Real registries, one real keystore and policy engines for one test; closes them all."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._registries: list[Registry] = []
        self._keystore: Keystore | None = None
        self.keystore_path = directory / "client.hfks"
        self.keystore_key = Keystore.generate_key()

    def registry(self) -> Registry:
        """A new, empty registry (SQLite in memory)."""
        registry = Registry.open(":memory:")
        self._registries.append(registry)
        return registry

    def keystore(self) -> Keystore:
        """This test's keystore file, holding :data:`ENTRIES`."""
        if self._keystore is None:
            ks = Keystore.create(self.keystore_path, key=self.keystore_key)
            for name, value in ENTRIES.items():
                ks.put(name, Secret(value, label=name))
            self._keystore = ks
        return self._keystore

    def __call__(
        self, base_url: str, *, hooks: Iterable[PolicyHook] = (), **kwargs: Any
    ) -> tuple[Registry, Keystore, PolicyEngine, Integration]:
        """A registry holding one ACTIVE integration, the keystore and an engine."""
        registry = self.registry()
        item = active(registry, integration(base_url, **kwargs))
        return registry, self.keystore(), PolicyEngine(hooks), item

    def close(self) -> None:
        for registry in self._registries:
            registry.close()
        if self._keystore is not None:
            self._keystore.close()


# ------------------------------------------------------------------ exception scans


def exception_chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and every exception reachable through ``__cause__`` and ``__context__``.

    A suppressed context (``raise ... from None``) is still reachable, and
    still kept alive by the exception: it is walked too.
    """
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen):
            continue
        seen.append(item)
        todo.extend((item.__cause__, item.__context__))
    return seen


def _repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:
        return "<unrepresentable>"


def exception_texts(exc: BaseException) -> str:
    """Everything an error reporter could show of ``exc``: the chain, attributes, locals.

    Messages, ``repr``, ``args``, the attributes (a ``UnicodeError``'s
    ``object``, a requests exception's request body and headers) and the
    locals of every library frame in each traceback, as a traceback formatter
    with ``capture_locals`` shows them (frames of the tests themselves are
    left out: they hold the canaries on purpose).
    """
    parts: list[str] = []
    for item in exception_chain(exc):
        parts += [type(item).__name__, str(item), _repr(item), _repr(item.args)]
        parts += [f"{k}={_repr(v)}" for k, v in vars(item).items()]
        for name in ("object", "reason"):
            if hasattr(item, name):
                parts.append(_repr(getattr(item, name)))
        request = getattr(item, "request", None)
        if request is not None:
            parts.append(_repr(getattr(request, "body", None)))
            parts.append(_repr(dict(getattr(request, "headers", None) or {})))
        tb = item.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if f"{Path(__file__).parent}" not in frame.f_code.co_filename:
                parts += [f"{k}={_repr(v)}" for k, v in frame.f_locals.items()]
            tb = tb.tb_next
    return "\n".join(parts)
