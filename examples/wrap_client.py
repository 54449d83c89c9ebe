"""Wrap an API client: a governed session sees a revocation and never sends the key again.

Run with ``python examples/wrap_client.py``. It starts a small demo API on
127.0.0.1 (an OAuth 2.0 token endpoint and one resource), calls it through a
:class:`~hf_api_governance.GovernedSession`, then has the API revoke the
client: the session records the revocation (clause 1.1.1) and every later
call, through any session, is refused before anything is sent.
"""

from __future__ import annotations

import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hf_api_governance import (
    AccessDenied,
    ApiKind,
    CredentialRevoked,
    GovernedSession,
    Integration,
    Keystore,
    Registry,
    Secret,
    Service,
)


class DemoApi(BaseHTTPRequestHandler):
    """Issues tokens until ``revoked``; then the token endpoint says invalid_client."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    revoked = False
    resource_calls = 0

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # the token endpoint
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if DemoApi.revoked:
            self._reply(401, {"error": "invalid_client"}, {})
        else:
            self._reply(200, {"access_token": "demo-access", "expires_in": 3600}, {})

    def do_GET(self) -> None:  # the resource
        DemoApi.resource_calls += 1
        if DemoApi.revoked:
            self._reply(401, {}, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        else:
            self._reply(200, {"data": [{"user": "ada"}], "meta": {}}, {})


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DemoApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    registry = Registry.open(":memory:")
    registry.register(
        Integration(
            id="demo-directory",
            name="Demo directory",
            service=Service.AWARE,
            kind=ApiKind.MIMECAST_API,
            vendor="Demo",
            base_url=base,
            owner="platform-team",
            auth={
                "scheme": "oauth2_client_credentials",
                "token_url": base + "/oauth/token",
                "client_id": "demo-client-id",
                "client_secret": "demo-client-secret",
            },
        ),
        actor="example",
    )
    registry.activate("demo-directory", actor="example")
    # The keys live encrypted in a keystore file; this demo uses a throwaway one
    # opened with a random key (a real one is opened with a passphrase or key file).
    workdir = tempfile.TemporaryDirectory()
    keystore = Keystore.create(Path(workdir.name) / "demo.hfks", key=Keystore.generate_key())
    keystore.put("demo-client-id", Secret("client-42"))
    keystore.put("demo-client-secret", Secret("s3cr3t-demo-value"))
    try:
        with GovernedSession(registry, "demo-directory", keystore=keystore) as session:
            print("1. call:", session.get("/v1/users").json()["data"])
            DemoApi.revoked = True  # Mimecast revokes the API access, without notice
            try:
                session.get("/v1/users")
            except CredentialRevoked as revoked:
                print("2. revoked:", revoked)
        calls_before = DemoApi.resource_calls
        with GovernedSession(registry, "demo-directory", keystore=keystore) as another:
            try:
                another.get("/v1/users")
            except AccessDenied as denied:
                print("3. refused before sending:", denied)
        print("   state:", registry.get("demo-directory").state.value)
        print("   requests sent after the revocation:", DemoApi.resource_calls - calls_before)
    finally:
        server.shutdown()
        server.server_close()
        keystore.close()
        registry.close()
        workdir.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
