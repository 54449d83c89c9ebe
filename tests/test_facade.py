"""The Governance facade with every real part: registry, keystore, engine, audit, client."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import attrs
import pytest

from hf_api_governance import (
    AccessDenied,
    Action,
    Classification,
    CredentialRevoked,
    Finding,
    FrozenClock,
    GovernanceError,
    Integration,
    IntegrationState,
    InteroperabilitySuspended,
    Keystore,
    KeystoreError,
    Licence,
    PolicyContext,
    PolicyError,
    Report,
    RetryPolicy,
    Revoker,
    Secret,
    StoreError,
    SuspensionCause,
    ValidationError,
    load_inventory,
    policy_hook,
)
from hf_api_governance._facade import AUDIT_KEY_ENTRY, Governance
from hf_api_governance.testing import NOW, make_integration
from tests.servers import LocalServer, Received, Reply

CLIENT_SECRET = "Vt5Qz8Nw2Lk7Rb4Xc9Md3Jf6"
PASSPHRASE = "facade test passphrase"
FAST = RetryPolicy(max_attempts=2, base_wait=0.0, max_wait=0.01, total_timeout=5.0)


def _integration(url: str) -> Integration:
    return Integration(
        id="mimecast-aware",
        name="Mimecast API 2.0 for Aware",
        service="aware",
        kind="mimecast_api",
        vendor="Mimecast",
        base_url=url,
        owner="secops@example.com",
        info_verified_at=datetime(2026, 11, 1, tzinfo=UTC),
        licences=(Licence("Mimecast", "Aware subscription", date(2026, 1, 1), date(2027, 12, 31)),),
        auth={
            "scheme": "oauth2_client_credentials",
            "token_url": url + "/oauth/token",
            "client_id": "mc-aware-client-id",
            "client_secret": "mc-aware-client-secret",
        },
    )


def _open(tmp_path: Path, where: str | None = None) -> Governance:
    return Governance.open(
        where or tmp_path / "registry.db",
        keystore=tmp_path / "keystore.hfks",
        passphrase=PASSPHRASE,
        actor="alice@example.com",
    )


@pytest.fixture
def where(store_url: str) -> str:
    """The facade's database: a SQLite file, then a PostgreSQL database."""
    return store_url


@pytest.fixture
def gov(tmp_path: Path, server: LocalServer, where: str) -> Governance:
    g = _open(tmp_path, where)
    assert g.keystore is not None
    g.keystore.put("mc-aware-client-id", Secret("client-id-value"))
    g.keystore.put("mc-aware-client-secret", Secret(CLIENT_SECRET, label="Aware client secret"))
    g.registry.register(_integration(server.url), actor=g.actor)
    g.registry.activate("mimecast-aware", actor=g.actor)
    server.route(
        "POST",
        "/oauth/token",
        Reply(200, body={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}),
    )
    return g


def _all_bytes(tmp_path: Path, where: str | None = None) -> bytes:
    """Every byte stored: the files under ``tmp_path``, and a PostgreSQL registry's tables."""
    stored = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    if where is not None and where.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(where) as conn:
            for (table,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'hf_gov'"
            ).fetchall():
                query = f"SELECT t::text FROM hf_gov.{table} t"  # noqa: S608 - catalogue names
                for (row,) in conn.execute(query.encode()):
                    stored += row.encode()
    return stored


def test_a_governed_call_is_allowed_authenticated_and_audited(
    gov: Governance, server: LocalServer, tmp_path: Path, where: str
) -> None:
    server.route("GET", "/api/account", Reply(200, body={"data": [], "fail": []}))
    with gov.session("mimecast-aware", retry=FAST) as session:
        assert session.get(server.url + "/api/account").status_code == 200
    sent = server.requests_to("/api/account")
    assert sent[0].header("Authorization") == "Bearer tok-1"
    assert gov.audit is not None
    actions = [e.action for e in gov.audit.entries()]
    assert actions[:2] == ["registered", "activated"]
    assert "call_sent" in actions
    assert gov.audit.verify().ok
    gov.close()
    stored = _all_bytes(tmp_path, where)
    assert b"call_sent" in stored  # the database was read
    assert CLIENT_SECRET.encode() not in stored


def test_mimecast_revocation_is_recorded_and_no_process_sends_the_key_again(
    gov: Governance, server: LocalServer, tmp_path: Path, where: str
) -> None:
    def unauthorised(_: Received) -> Reply:
        return Reply(401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}, {"fail": []})

    # A token, then, asked to confirm the refused token, Mimecast refuses the client.
    answers = [
        Reply(200, body={"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}),
        Reply(401, body={"fail": [{"code": "InvalidClientIdentifier", "message": "revoked"}]}),
    ]
    server.route(
        "POST", "/oauth/token", lambda _r: answers.pop(0) if len(answers) > 1 else answers[0]
    )
    server.route("GET", "/api/account", unauthorised)
    with (
        gov.session("mimecast-aware", retry=FAST) as session,
        pytest.raises(CredentialRevoked) as info,
    ):
        session.get(server.url + "/api/account")
    assert CLIENT_SECRET not in str(info.value)
    integration = gov.registry.get("mimecast-aware")
    assert integration.state is IntegrationState.REVOKED
    revoked = integration.history[-1]
    assert revoked.actor == "mimecast"
    assert revoked.evidence["revoker"] == Revoker.MIMECAST.value
    gov.close()

    server.clear()
    with _open(tmp_path, where) as again:  # another process opening the same database
        decision = again.check("mimecast-aware")
        assert not decision.allowed
        assert "CREDENTIAL_REVOKED" in decision.codes
        with (
            again.session("mimecast-aware", retry=FAST) as session,
            pytest.raises(AccessDenied) as denied,
        ):
            session.get(server.url + "/api/account")
        assert "CREDENTIAL_REVOKED" in denied.value.decision.codes
        assert again.audit is not None
        assert again.audit.verify().ok
        revoked_entries = [e for e in again.audit.entries() if e.action == "revoked"]
        assert [e.actor for e in revoked_entries] == ["mimecast"]
    assert server.received == []


def test_a_410_suspends_until_reinstated(gov: Governance, server: LocalServer) -> None:
    server.route("GET", "/api/old", Reply(410, body={"error": "gone"}))
    with gov.session("mimecast-aware", retry=FAST) as session:
        with pytest.raises(InteroperabilitySuspended):
            session.get(server.url + "/api/old")
        assert "INTEROP_SUSPENDED" in gov.check("mimecast-aware").codes
        with pytest.raises(AccessDenied):
            session.get(server.url + "/api/old")
    gov.reinstate("mimecast-aware", reason="vendor restored v2")
    assert gov.check("mimecast-aware").allowed
    history = gov.registry.history("mimecast-aware")
    assert [e.kind.value for e in history][-2:] == ["suspended", "reinstated"]
    assert history[-1].actor == "alice@example.com"
    gov.close()


def test_require_raises_with_the_decision_and_audits_the_denial(gov: Governance) -> None:
    gov.suspend("mimecast-aware", cause=SuspensionCause.MANUAL, reason="maintenance")
    with pytest.raises(AccessDenied) as info:
        gov.require("mimecast-aware", Action.CALL)
    assert info.value.decision.action is Action.CALL
    assert "INTEROP_SUSPENDED" in info.value.decision.codes
    assert gov.audit is not None
    denied = [e for e in gov.audit.entries() if e.action == "call_denied"]
    assert denied
    assert denied[-1].codes == ("INTEROP_SUSPENDED",)
    gov.close()


def test_reveal_is_decided_and_audited_by_fingerprint_only(
    gov: Governance, tmp_path: Path, where: str
) -> None:
    secret = gov.reveal("mimecast-aware", "mc-aware-client-secret")
    assert secret.reveal() == CLIENT_SECRET
    assert gov.audit is not None
    entry = [e for e in gov.audit.entries() if e.action == "credential_revealed"][-1]
    assert entry.actor == "alice@example.com"
    assert entry.evidence["fingerprint"] == secret.fingerprint
    gov.audit.export(tmp_path / "audit.jsonl")
    exported = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert all(json.loads(line) for line in exported.splitlines())
    gov.close()
    raw = _all_bytes(tmp_path, where)
    for form in (CLIENT_SECRET.encode(), base64.b64encode(CLIENT_SECRET.encode())):
        assert form not in raw


@pytest.mark.parametrize("entry", [AUDIT_KEY_ENTRY, "not-in-the-keystore"])
def test_reveal_refuses_an_entry_that_is_not_one_of_the_integrations_credentials(
    gov: Governance, entry: str
) -> None:
    """The audit key (or any other keystore entry) cannot be read through reveal()."""
    assert gov.keystore is not None
    assert AUDIT_KEY_ENTRY in gov.keystore
    with pytest.raises(ValidationError) as info:
        gov.reveal("mimecast-aware", entry)
    assert info.value.field == "entry"
    assert gov.audit is not None
    assert not [e for e in gov.audit.entries() if e.action == "credential_revealed"]
    gov.close()


def test_reveal_is_refused_once_revoked(gov: Governance) -> None:
    gov.revoke("mimecast-aware", by=Revoker.MIMECAST, reason="notice from Mimecast")
    with pytest.raises(AccessDenied) as info:
        gov.reveal("mimecast-aware")
    assert "CREDENTIAL_REVOKED" in info.value.decision.codes
    gov.close()


def test_the_audit_key_lives_in_the_keystore(tmp_path: Path) -> None:
    with _open(tmp_path) as g:
        assert g.audit is not None
    with Keystore.open(tmp_path / "keystore.hfks", PASSPHRASE) as ks:
        key = ks.get(AUDIT_KEY_ENTRY)
        assert key.classification is Classification.CUSTOMER_DATA
        assert len(key.reveal_bytes()) == 32


def test_without_keystore_or_audit_key_the_registry_still_works(tmp_path: Path) -> None:
    with Governance.open(tmp_path / "r.db", actor="ci") as g:
        assert g.audit is None
        g.registry.register(_integration("https://api.services.mimecast.com"), actor="ci")
        report = g.report(at=datetime(2026, 11, 26, tzinfo=UTC))
        assert [d.integration_id for d in report.decisions] == ["mimecast-aware"]
        assert "NOT_ACTIVE" in report.decisions[0].codes
        assert not report.ok


def test_open_creates_the_home_directory_for_the_database_and_a_new_keystore(
    tmp_path: Path,
) -> None:
    """A first run with the default layout (.hf-gov/ absent) creates it, keystore included."""
    home = tmp_path / "fresh" / ".hf-gov"
    with Governance.open(
        home / "registry.db", keystore=home / "keystore.hfks", passphrase=PASSPHRASE
    ) as gov:
        assert gov.keystore is not None
        assert gov.audit is not None
    assert (home / "registry.db").is_file()
    assert (home / "keystore.hfks").is_file()


# ------------------------------------------------------------------ bad arguments


def test_open_with_a_path_that_is_not_a_path_names_the_field() -> None:
    """A path or keystore that is not a path is a ValidationError naming the field."""
    for path in (None, 42, ""):
        with pytest.raises(ValidationError) as info:
            Governance.open(path)  # type: ignore[arg-type]
        assert info.value.field == "path"
    with pytest.raises(ValidationError) as info:
        Governance.open(":memory:", keystore=42)  # type: ignore[arg-type]
    assert info.value.field == "keystore"


def test_open_under_a_regular_file_is_a_store_or_keystore_error(tmp_path: Path) -> None:
    """A parent that is a regular file is a StoreError or KeystoreError, not NotADirectoryError."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot create the directory"):
        Governance.open(blocker / "sub" / "registry.db")
    with pytest.raises(KeystoreError, match="cannot create the directory"):
        Governance.open(
            tmp_path / "registry.db", keystore=blocker / "sub" / "ks.hfks", passphrase=PASSPHRASE
        )


def test_open_with_hooks_none_is_a_policy_error_naming_hooks() -> None:
    with pytest.raises(PolicyError, match="hooks must be an iterable"):
        Governance.open(":memory:", hooks=None)  # type: ignore[arg-type]


def _open_files_under(directory: Path) -> list[str]:
    """Files under ``directory`` this process holds open (robust to unrelated fds closing)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"audit_key": b"too short"}, ValidationError),
        ({"hooks": None}, PolicyError),
        ({"settings": "not settings"}, GovernanceError),
    ],
)
def test_a_failed_open_closes_the_keystore_and_registry_it_opened(
    tmp_path: Path,
    kwargs: dict[str, object],
    error: type[Exception],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When a later part of open() fails, the keystore it opened is closed, not left open."""
    Keystore.create(tmp_path / "ks.hfks", PASSPHRASE, scrypt_log2_n=14).close()
    assert _open_files_under(tmp_path) == []
    closed: list[str] = []
    real_close = Keystore.close

    def recording_close(self: Keystore) -> None:
        closed.append(str(self.path))  # a path, not self: no resurrection in __del__
        real_close(self)

    monkeypatch.setattr(Keystore, "close", recording_close)
    # Keep the exception (and so open()'s frame) alive: a keystore left open would
    # otherwise be closed by the garbage collector and the check could not fail.
    with pytest.raises(error) as raised:
        Governance.open(
            tmp_path / "registry.db",
            keystore=tmp_path / "ks.hfks",
            passphrase=PASSPHRASE,
            **kwargs,  # type: ignore[arg-type]
        )
    assert _open_files_under(tmp_path) == []
    # The keystore open() opened was closed (keys dropped), not left to the GC.
    assert str(tmp_path / "ks.hfks") in closed
    assert raised.value is not None


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_a_failed_open_leaves_a_keystore_object_the_caller_gave_open(tmp_path: Path) -> None:
    with Keystore.create(tmp_path / "ks.hfks", PASSPHRASE, scrypt_log2_n=14) as ks:
        blocker = tmp_path / "file"
        blocker.write_text("not a database\n" * 100, encoding="utf-8")
        with pytest.raises(StoreError):
            Governance.open(tmp_path / "file", keystore=ks)
        # The failed registry left nothing open; the caller's keystore stays usable.
        assert not [p for p in _open_files_under(tmp_path) if p.endswith("/file")]
        ks.put("still-open", Secret("value"))
        assert ks.get("still-open").reveal() == "value"


# ------------------------------------------- report, report_inventory, verify_info

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "inventory.toml"


def _report_rows(report: Report) -> list[tuple[str, str, bool, list[str]]]:
    return [
        (i.id, i.state.value, d.allowed, [f.code for f in d.findings])
        for i, d in zip(report.integrations, report.decisions, strict=True)
    ]


def test_report_progress_sees_every_block_and_changes_no_decision(tmp_path: Path) -> None:
    at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    with Governance.open(tmp_path / "r.db", actor="ci", clock=FrozenClock(at)) as g:
        g.sync([make_integration(id=f"okta-{k:04d}") for k in range(1200)])
        calls: list[tuple[int, int]] = []
        with_progress = g.report(action=Action.CALL, progress=lambda *a: calls.append(a))
        plain = g.report()
    assert calls == [(500, 1200), (1000, 1200), (1200, 1200)]
    assert with_progress == plain
    assert with_progress.at == at
    assert [i.id for i in plain.integrations] == sorted(i.id for i in plain.integrations)


def test_report_inventory_decides_as_a_registry_with_everything_activated() -> None:
    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    declared = load_inventory(EXAMPLE)
    report = Governance.report_inventory(
        declared, at, Action.CALL, clock=FrozenClock(at), actor="test"
    )
    with Governance.open(":memory:", actor="test", clock=FrozenClock(at)) as g:
        g.sync(declared)
        for integration in declared:
            g.registry.activate(integration.id, actor="test")
        stored = g.report()
    assert _report_rows(report) == _report_rows(stored)
    assert report.at == at
    assert not report.ok
    first = report.integrations[0]
    assert first.state is IntegrationState.ACTIVE
    assert [(e.kind.value, e.actor, e.at) for e in first.history] == [
        ("registered", "test", at),
        ("activated", "test", at),
    ]


def test_report_inventory_runs_hooks_and_refuses_what_is_not_an_integration() -> None:
    @policy_hook(code="TEST_NO_OKTA")
    def no_okta(ctx: PolicyContext) -> Finding | None:
        return ctx.deny("no Okta") if ctx.integration.vendor == "Okta" else None

    report = Governance.report_inventory(
        [make_integration()], hooks=[no_okta], clock=FrozenClock(NOW)
    )
    assert "TEST_NO_OKTA" in report.decisions[0].codes
    assert report.at == NOW
    with pytest.raises(ValidationError, match="inventory"):
        Governance.report_inventory(["okta-directory"])  # type: ignore[list-item]
    with pytest.raises(PolicyError):
        Governance.report_inventory([make_integration()], hooks=None)  # type: ignore[arg-type]


def test_verify_info_is_recorded_with_the_facade_actor(tmp_path: Path) -> None:
    at = datetime(2026, 1, 15, 12, tzinfo=UTC)
    with Governance.open(tmp_path / "r.db", actor="bob@example.com", clock=FrozenClock(at)) as g:
        g.sync([make_integration()])
        verified = g.verify_info("okta-directory")
    assert verified.info_verified_at == at
    assert verified.history[-1].actor == "bob@example.com"
    assert verified.history[-1].kind.value == "info_verified"


# ------------------------------------------------------------------ lifecycle and keys


def _pending(tmp_path: Path) -> Governance:
    g = _open(tmp_path)
    g.sync([make_integration(id="okta-directory", credential="okta-token")])
    return g


def test_provision_activates_when_allowed_and_audits_a_refusal(tmp_path: Path) -> None:
    with _pending(tmp_path) as g:
        assert g.keystore is not None
        assert g.audit is not None
        g.registry.update(
            attrs.evolve(g.registry.get("okta-directory"), info_verified_at=None), actor="x"
        )
        with pytest.raises(AccessDenied) as info:  # INFO_STALE denies PROVISION
            g.provision("okta-directory")
        assert "INFO_STALE" in info.value.decision.codes
        assert g.registry.get("okta-directory").state is IntegrationState.PENDING
        denied = [e for e in g.audit.entries() if e.action == "action_denied"]
        assert [e.evidence["action"] for e in denied] == ["provision"]
        g.verify_info("okta-directory")
        decision = g.provision("okta-directory")
        assert decision.allowed
        assert "CREDENTIAL_MISSING" in decision.codes  # a warning for PROVISION
        active = g.registry.get("okta-directory")
        assert active.state is IntegrationState.ACTIVE
        assert active.history[-1].actor == "alice@example.com"
        assert [e.action for e in g.audit.entries()][-1] == "activated"


def test_replace_credential_needs_the_new_entry_in_the_keystore(tmp_path: Path) -> None:
    with _pending(tmp_path) as g:
        assert g.keystore is not None
        g.revoke("okta-directory", reason="Okta revoked the token")
        with pytest.raises(ValidationError, match="no keystore entry 'okta-token-2'"):
            g.replace_credential("okta-directory", "okta-token-2")
        g.store_key("okta-token-2", Secret("okta-value-2"))
        back = g.replace_credential("okta-directory", "okta-token-2", reason="new token")
        assert back.state is IntegrationState.ACTIVE
        with pytest.raises(ValidationError, match="revoked"):
            g.store_key("okta-token", Secret("reuse of a dead name"))
        g.retire("okta-directory", reason="moved to SCIM")
        assert g.registry.get("okta-directory").state is IntegrationState.RETIRED


def test_licences_are_added_and_removed_through_the_facade(tmp_path: Path) -> None:
    with _pending(tmp_path) as g:
        renewal = Licence("Okta", "Workforce Identity API", date(2027, 1, 1), date(2027, 12, 31))
        assert renewal in g.add_licence("okta-directory", renewal, reason="renewed").licences
        assert renewal not in g.remove_licence("okta-directory", renewal).licences
        kinds = [e.kind.value for e in g.registry.get("okta-directory").history]
        assert kinds[-2:] == ["licence_added", "licence_removed"]
        assert {e.actor for e in g.registry.get("okta-directory").history[-2:]} == {
            "alice@example.com"
        }


def test_keystore_changes_are_audited_with_fingerprints_never_values(tmp_path: Path) -> None:
    with _pending(tmp_path) as g:
        assert g.audit is not None
        fp = g.store_key("okta-token", Secret(CLIENT_SECRET))
        with pytest.raises(KeystoreError, match="already exists"):
            g.store_key("okta-token", Secret("other"))
        fp2 = g.store_key("okta-token", Secret("other-value"), replace=True)
        assert fp != fp2
        with pytest.raises(ValidationError, match="reserved"):
            g.store_key(AUDIT_KEY_ENTRY, Secret("x" * 40), replace=True)
        with pytest.raises(ValidationError, match="reserved"):
            g.delete_key(AUDIT_KEY_ENTRY)
        with pytest.raises(ValidationError, match="used by okta-directory"):
            g.delete_key("okta-token")
        with pytest.raises(ValidationError, match="used by okta-directory"):
            g.rename_key("okta-token", "okta-token-b")
        assert g.rename_key("okta-token", "okta-token-b", force=True) == fp2
        assert g.delete_key("okta-token-b") == fp2
        entries = [e for e in g.audit.entries() if e.action.startswith("key_")]
        assert [e.action for e in entries] == [
            "key_stored",
            "key_replaced",
            "key_renamed",
            "key_deleted",
        ]
        assert entries[0].evidence == {
            "entry": "okta-token",
            "fingerprint": fp,
            "classification": "mimecast_confidential",
        }
        assert entries[2].evidence["previous_entry"] == "okta-token"
        assert all(e.actor == "alice@example.com" for e in entries)
        assert g.audit.verify().ok
    exported = tmp_path / "audit.jsonl"
    with _open(tmp_path) as again:
        assert again.audit is not None
        again.audit.export(exported)
    assert CLIENT_SECRET not in exported.read_text(encoding="utf-8")
