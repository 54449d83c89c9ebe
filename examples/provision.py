"""Provision API integrations the governed way: inventory, keystore, decisions, one call, audit.

Run with ``python examples/provision.py``. Everything happens in a temporary
directory and against a demo server on 127.0.0.1 that plays a Mimecast API 2.0
tenant (an OAuth 2.0 token endpoint and ``/api/account/get-account``):

1. write an inventory of three integrations: the Mimecast API for Aware (at
   the demo server), an Okta directory API, and a Workday feed whose licence
   has expired;
2. open :class:`~hf_api_governance.Governance` with a registry, an encrypted
   keystore (under a passphrase generated for this run) and the audit log;
3. sync the inventory, and store the credentials (generated values, never
   printed) in the keystore;
4. ask for a PROVISION decision for each integration: activate those allowed,
   refuse the others (the refusal is audited);
5. make one governed call through ``gov.session(...)``;
6. print the decisions and verify the audit log against the registry.

A real script reads its credentials from a secret manager or a prompt, never
from its source or its command line.
"""

from __future__ import annotations

import base64
import json
import secrets
import tempfile
import threading
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from hf_api_governance import (
    AccessDenied,
    Action,
    Classification,
    Governance,
    Secret,
    load_inventory,
)

ACTOR = "provisioning@example.com"


# ------------------------------------------------------------- the demo tenant


class DemoTenant(BaseHTTPRequestHandler):
    """A Mimecast API 2.0 stand-in: client-credentials tokens, then one resource."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    client_id: ClassVar[str] = ""
    client_secret: ClassVar[str] = ""
    issued: ClassVar[set[str]] = set()

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: request lines would show paths and headers

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _credentials(self, form: dict[str, list[str]]) -> tuple[str, str]:
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            return urllib.parse.unquote(user), urllib.parse.unquote(password)
        return form.get("client_id", [""])[0], form.get("client_secret", [""])[0]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/oauth/token":
            form = urllib.parse.parse_qs(body.decode())
            client_id, client_secret = self._credentials(form)
            if form.get("grant_type") != ["client_credentials"] or not (
                secrets.compare_digest(client_id, DemoTenant.client_id)
                and secrets.compare_digest(client_secret, DemoTenant.client_secret)
            ):
                self._reply(401, {"error": "invalid_client"})
                return
            token = secrets.token_urlsafe(24)
            DemoTenant.issued.add(token)
            self._reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 1800})
        elif self.path == "/api/account/get-account":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in DemoTenant.issued:
                self._reply(401, {"fail": [{"errors": [{"code": "token_invalid"}]}]})
                return
            account = {"accountName": "Example Corp", "region": "eu", "packages": ["Aware"]}
            self._reply(200, {"meta": {"status": 200}, "data": [account], "fail": []})
        else:
            self._reply(404, {"fail": [{"errors": [{"code": "not_found"}]}]})


# ------------------------------------------------------------------ inventory


def write_inventory(path: Path, api: str, today: datetime) -> None:
    """Declare three integrations; dates are relative to today so the run never ages."""

    def day(days: int) -> str:
        return (today + timedelta(days=days)).date().isoformat()

    verified = (today - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(
        f"""
[[integration]]
id = "mimecast-aware"
name = "Mimecast API 2.0 for Aware"
service = "aware"
kind = "mimecast_api"
vendor = "Mimecast"
base_url = "{api}"
owner = "security-awareness@example.com"
api_version = "2.0"
info_verified_at = {verified}

[integration.enablement]
region = "eu"
application = "Aware collaboration monitoring"

[integration.auth]
scheme = "oauth2_client_credentials"
token_url = "{api}/oauth/token"
client_id = "mc-aware-client-id"
client_secret = "mc-aware-client-secret"

[[integration.licence]]
grantor = "Mimecast"
scope = "Human Factors: Aware service subscription"
valid_from = {day(-200)}
valid_until = {day(500)}

[[integration]]
id = "okta-directory"
name = "Okta directory sync"
service = "engage"
kind = "third_party_api"
vendor = "Okta"
base_url = "https://example.okta.com/api/v1"
owner = "identity-team@example.com"
credential = "okta-api-token"
info_verified_at = {verified}

[[integration.licence]]
grantor = "Okta"
scope = "Workforce Identity API"
valid_from = {day(-100)}
valid_until = {day(300)}

[[integration]]
id = "workday-departures"
name = "Workday departing-employee feed"
service = "incydr"
kind = "third_party_api"
vendor = "Workday"
base_url = "https://wd2-impl-services1.workday.com/ccx/api/v1/example"
owner = "insider-risk@example.com"
credential = "workday-api-token"
info_verified_at = {verified}

[[integration.licence]]
grantor = "Workday"
scope = "Workday REST API (HCM)"
valid_from = {day(-400)}
valid_until = {day(-35)}
""",
        encoding="utf-8",
    )


# ----------------------------------------------------------------- provisioning


def provision(home: Path, api: str) -> int:
    """Run the whole provisioning against ``api``; return the exit code."""
    inventory = home / "inventory.toml"
    write_inventory(inventory, api, datetime.now(UTC))
    passphrase = Secret(
        secrets.token_urlsafe(24), Classification.CUSTOMER_DATA, "keystore passphrase"
    )
    client_secret = secrets.token_urlsafe(32)
    DemoTenant.client_id, DemoTenant.client_secret = "aware-" + secrets.token_hex(8), client_secret
    credentials = {
        "mc-aware-client-id": Secret(DemoTenant.client_id, label="Aware API client id"),
        "mc-aware-client-secret": Secret(client_secret, label="Aware API client secret"),
        "okta-api-token": Secret(
            secrets.token_urlsafe(32), Classification.THIRD_PARTY_CONFIDENTIAL, "Okta API token"
        ),
        "workday-api-token": Secret(
            secrets.token_urlsafe(32), Classification.THIRD_PARTY_CONFIDENTIAL, "Workday token"
        ),
    }

    with Governance.open(
        home / "registry.db", keystore=home / "keystore.hfks", passphrase=passphrase, actor=ACTOR
    ) as gov:
        keystore, audit = gov.keystore, gov.audit
        if keystore is None or audit is None:  # opened with a keystore: both exist
            raise SystemExit("no keystore or audit log")
        synced = gov.sync(load_inventory(inventory))
        print(f"synced: {len(synced.added)} added")
        for name, value in credentials.items():
            keystore.put(name, value, overwrite=True)
        print(f"stored {len(credentials)} credentials (fingerprints only from here on)")

        print("provision decisions:")
        refused: list[str] = []
        for integration in sorted(gov.registry.integrations(), key=lambda i: i.id):
            try:
                decision = gov.require(integration.id, Action.PROVISION)  # audits a refusal
            except AccessDenied as denied:
                decision = denied.decision
                refused.append(integration.id)
            else:
                gov.registry.activate(integration.id, actor=gov.actor, reason="provisioned")
            verdict = "ALLOW" if decision.allowed else "DENY"
            codes = ",".join(f.code for f in decision.findings) or "-"
            print(f"  {integration.id} {verdict} {codes}")
        print(f"refused to activate: {', '.join(refused) or 'none'}")

        with gov.session("mimecast-aware") as session:
            response = session.post("/api/account/get-account", json={"data": []})
            response.raise_for_status()
            account = response.json()["data"][0]["accountName"]
        print(f"governed call: POST /api/account/get-account -> {response.status_code} ({account})")

        report = gov.verify_audit()  # the log, and every registry event against its entry
        if not report.ok:
            print(f"audit log FAILED verification: {report.message}")
            return 1
        print(
            f"audit log verified: {report.entries_checked} entries, "
            f"{report.events_checked} registry events matched"
        )
    return 0


def main() -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DemoTenant)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hf-gov-provision-") as tmp:
            return provision(Path(tmp), f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    raise SystemExit(main())
