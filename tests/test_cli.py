"""The ``hf-gov`` command line, run as a user runs it: real processes, real files."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "inventory.toml"
CANARY = "Kq7Zt2Vw9Xr4Lm8Np3Bc6Yd1"
PASS = "correct horse battery staple"


def run(
    *args: str,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "hf_api_governance", *args],
        cwd=cwd or ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_check_example_inventory_reports_and_exits_1_on_denials() -> None:
    result = run("check", str(EXAMPLE), "--at", "2026-11-26")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    for ident in ("mimecast-engage", "okta-directory", "entra-graph-directory", "splunk-siem"):
        assert ident in out
    assert "LICENCE_EXPIRED (1.1.2)" in out
    assert "LICENCE_MISSING (1.1.2)" in out
    assert "LICENCE_EXPIRING (1.1.2)" in out
    assert "8 integrations:" in out
    assert result.stderr == ""


def test_check_json_follows_the_documented_schema() -> None:
    result = run("check", str(EXAMPLE), "--at", "2026-11-26T12:00:00Z", "--json")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["schema"] == "hf-gov/check/v1"
    assert doc["at"] == "2026-11-26T12:00:00Z"
    assert doc["action"] == "call"
    assert set(doc["summary"]) == {"integrations", "allowed", "denied", "with_warnings"}
    assert doc["summary"]["integrations"] == len(doc["integrations"]) == 8
    denied = [row["id"] for row in doc["integrations"] if not row["allowed"]]
    assert doc["summary"]["denied"] == len(denied) > 0
    for row in doc["integrations"]:
        assert set(row) == {"id", "name", "service", "kind", "state", "allowed", "findings"}
        for finding in row["findings"]:
            assert set(finding) == {"code", "clause", "severity", "message"}
            assert finding["severity"] in {"deny", "warn", "info"}
        assert row["allowed"] == all(f["severity"] != "deny" for f in row["findings"])


def test_only_problems_omits_clean_integrations() -> None:
    full = json.loads(run("check", str(EXAMPLE), "--at", "2026-11-26", "--json").stdout)
    problems = json.loads(
        run("check", str(EXAMPLE), "--at", "2026-11-26", "--json", "--only-problems").stdout
    )
    clean = {r["id"] for r in full["integrations"] if r["allowed"] and not r["findings"]}
    assert clean
    assert {r["id"] for r in problems["integrations"]} == {
        r["id"] for r in full["integrations"]
    } - clean


def _okta(at: str) -> dict[str, object]:
    doc = json.loads(run("check", str(EXAMPLE), "--at", at, "--json").stdout)
    row: dict[str, object] = next(r for r in doc["integrations"] if r["id"] == "okta-directory")
    return row


def test_at_answers_what_breaks_on_a_date_at_the_licence_boundary() -> None:
    # The Okta licence runs "valid_until = 2026-12-20": through that whole day.
    assert _okta("2026-12-20T23:59:59Z")["allowed"] is True
    assert _okta("2026-12-21")["allowed"] is False


def test_exit_0_when_nothing_is_denied(tmp_path: Path) -> None:
    inventory = tmp_path / "one.toml"
    inventory.write_text(
        """
[[integration]]
id = "mimecast-aware"
name = "Aware"
service = "aware"
kind = "mimecast_api"
vendor = "Mimecast"
base_url = "https://api.services.mimecast.com"
owner = "secops@example.com"
credential = "mc-aware"
info_verified_at = 2026-11-01T00:00:00Z
""",
        encoding="utf-8",
    )
    result = run("check", str(inventory), "--at", "2026-11-26")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 integrations: 1 allowed" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('[[integration]]\nid = "x"\nbogus = 1\n', "bad.toml:3, integration 'x'"),
        ("[[integration]\n", "bad.toml:1"),
        (
            '[[integration]]\nid = "ok-id"\nname = "n"\nservice = "engage"\n'
            'kind = "third_party_api"\nvendor = "V"\nbase_url = "http://api.example.com"\n'
            'owner = "a@b.co"\n',
            "base_url",
        ),
    ],
)
def test_bad_inventory_is_one_clear_line_and_exit_2(
    tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    result = run("check", str(bad))
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(bad) in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_usage_errors_exit_2() -> None:
    assert run("check", str(EXAMPLE), "--at", "next tuesday").returncode == 2
    assert run("check", str(EXAMPLE), "--at", "2026-01-01T00:00:00").returncode == 2
    assert run("check", "/nonexistent/inventory.toml").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run().returncode == 2


def test_help_does_not_import_requests_or_cryptography() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from hf_api_governance._cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    rc = main(['--help'])\n"
        "print(rc, 'requests' in sys.modules, 'cryptography' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert result.stdout.split() == ["0", "False", "False"]


def test_every_command_has_help_with_an_example() -> None:
    for command in ("check", "sync", "show", "revoke", "suspend", "reinstate", "keys"):
        result = run(command, "--help")
        assert result.returncode == 0
        assert "hf-gov" in result.stdout


def _encodings(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    ]


def test_operator_workflow_never_shows_a_secret(tmp_path: Path) -> None:
    env = {"HF_GOV_PASSPHRASE": PASS}
    outputs: list[str] = []

    def ok(*args: str, stdin: str | None = None, code: int = 0) -> str:
        result = run(*args, cwd=tmp_path, stdin=stdin, env=env)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == code, (args, result.stdout, result.stderr)
        return result.stdout

    ok("init", "--actor", "alice@example.com")
    assert (tmp_path / ".hf-gov" / "registry.db").exists()
    ok("sync", str(EXAMPLE), "--actor", "alice@example.com")
    assert "added: 8" in ok("list") or "okta-directory" in ok("list")
    ok(
        "keys",
        "set",
        "okta-api-token",
        "--classification",
        "third_party_confidential",
        stdin=CANARY,
    )
    listing = ok("keys", "list")
    assert "okta-api-token" in listing
    assert "third_party_confidential" in listing
    assert "fp1:" in listing
    shown = ok("show", "okta-directory")
    assert "pending" in shown
    assert "registered by alice@example.com" in shown
    ok("revoke", "mimecast-aware", "--by", "mimecast", "--reason", "key revoked by Mimecast")
    ok("suspend", "slack-aware", "--cause", "api_changed", "--reason", "v1 removed", code=1)
    ok("verify-info", "okta-directory", "--actor", "bob@example.com")
    report = json.loads(ok("check", ".hf-gov/registry.db", "--json", code=1))
    rows = {r["id"]: r for r in report["integrations"]}
    assert "CREDENTIAL_REVOKED" in {f["code"] for f in rows["mimecast-aware"]["findings"]}
    ok("audit", "verify", "--save-checkpoint", str(tmp_path / "cp.json"))
    ok("audit", "export", str(tmp_path / "audit.jsonl"))
    exported = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    actions = [json.loads(line)["action"] for line in exported]
    assert "registered" in actions
    assert "revoked" in actions
    assert "info_verified" in actions
    result = run(
        "keys",
        "change-passphrase",
        cwd=tmp_path,
        env={**env, "HF_GOV_NEW_PASSPHRASE": "a new passphrase"},
    )
    assert result.returncode == 0, result.stderr
    assert run("keys", "list", cwd=tmp_path, env=env).returncode != 0
    relisted = run("keys", "list", cwd=tmp_path, env={"HF_GOV_PASSPHRASE": "a new passphrase"})
    assert "okta-api-token" in relisted.stdout

    blobs = [*outputs, (tmp_path / "audit.jsonl").read_text(encoding="utf-8")]
    for path in (tmp_path / ".hf-gov").iterdir():
        blobs.append(path.read_bytes().decode("latin-1"))
    for blob in blobs:
        for form in _encodings(CANARY):
            assert form not in blob
        assert PASS not in blob


def test_audit_verify_fails_on_a_tampered_database(tmp_path: Path) -> None:
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    sync = run("sync", str(EXAMPLE), "--actor", "alice", cwd=tmp_path, env=env)
    assert sync.returncode == 0
    assert run("audit", "verify", cwd=tmp_path, env=env).returncode == 0
    db = sqlite3.connect(tmp_path / ".hf-gov" / "registry.db")
    with db:
        changed = db.execute(
            "UPDATE audit_log SET body = replace(body, '\"alice\"', '\"mallory\"') WHERE seq = 4"
        ).rowcount
    assert changed == 1
    db.close()
    result = run("audit", "verify", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "FAILED" in result.stderr


def test_keys_set_refuses_an_empty_value_and_a_secret_looking_name(tmp_path: Path) -> None:
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    empty = run("keys", "set", "okta-api-token", cwd=tmp_path, env=env, stdin="")
    assert empty.returncode == 2
    assert "empty" in empty.stderr
    pasted = run("keys", "set", CANARY, cwd=tmp_path, env=env, stdin="x")
    assert pasted.returncode == 2
    assert CANARY not in pasted.stderr
