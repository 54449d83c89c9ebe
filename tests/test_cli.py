"""The ``hf-gov`` command line, run as a user runs it: real processes, real files."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
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


def test_check_accepts_a_licence_valid_through_9999_12_31(tmp_path: Path) -> None:
    """A licence valid through 9999-12-31 is allowed, and expiring near its end; no overflow."""
    inventory = tmp_path / "inv.toml"
    inventory.write_text(
        """\
[[integration]]
id = "okta"
name = "Okta"
service = "aware"
kind = "third_party_api"
vendor = "Okta"
base_url = "https://acme.okta.com/api/v1"
owner = "team-sec"
credential = "okta-token"
info_verified_at = 2026-11-01T00:00:00Z

[[integration.licence]]
grantor = "Okta"
scope = "API"
valid_from = 2024-01-01
valid_until = 9999-12-31
""",
        encoding="utf-8",
    )
    result = run("check", str(inventory), "--at", "2026-11-26")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 integrations: 1 allowed" in result.stdout
    assert result.stderr == ""
    late = run("check", str(inventory), "--at", "9999-12-31")
    assert late.returncode == 0, late.stdout + late.stderr
    assert "LICENCE_EXPIRING" in late.stdout
    assert "Overflow" not in late.stdout + late.stderr


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
    late = run("check", str(EXAMPLE), "--at", "9999-12-31T23:00:00-05:00")
    assert (late.returncode, late.stdout) == (2, "")
    assert "--at: out of range" in late.stderr
    assert run("check", "/nonexistent/inventory.toml").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run().returncode == 2


HEAVY_FOR_HELP = (
    "requests",
    "cryptography",
    "attr",
    "attrs",
    "hf_api_governance._registry",
    "hf_api_governance._client",
    "hf_api_governance._policy",
    "hf_api_governance._facade",
    "hf_api_governance._confidential.keystore",
)
"""What ``hf-gov --help`` (and a usage error) must not load: only a command that runs does."""


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["keys", "set", "--help"], []])
def test_help_and_usage_errors_import_no_machinery(argv: list[str]) -> None:
    """Measured in a fresh interpreter (-X importtime lists every module it loads)."""
    code = (
        "import sys, io, contextlib\n"
        "from hf_api_governance._cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    rc = main({argv!r}, err=io.StringIO())\n"
        "print(rc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert result.stdout.split() == ["0" if argv else "2"]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    assert "hf_api_governance._cli.parser" in imported  # the listing is read right
    loaded = sorted(
        name
        for name in imported
        for heavy in HEAVY_FOR_HELP
        if name.split(".")[: heavy.count(".") + 1] == heavy.split(".")
    )
    assert loaded == []


def test_running_a_command_imports_its_module_only_then() -> None:
    code = (
        "import sys, io\n"
        "from hf_api_governance._cli.main import main\n"
        "before = 'hf_api_governance._cli.commands.check' in sys.modules\n"
        "main(['check', 'examples/inventory.toml'], out=io.StringIO(), err=io.StringIO())\n"
        "print(before, 'hf_api_governance._cli.commands.check' in sys.modules,"
        " 'hf_api_governance._cli.commands.keys' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
    )
    assert result.stdout.split() == ["False", "True", "False"]


def test_every_command_has_help_with_an_example() -> None:
    for command in ("check", "sync", "show", "revoke", "suspend", "reinstate", "keys"):
        result = run(command, "--help")
        assert result.returncode == 0
        assert "hf-gov" in result.stdout


def test_every_command_line_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    """Each command, and each command of a group, has an example in its help or its group's."""
    from hf_api_governance._cli.commands import COMMANDS
    from hf_api_governance._cli.main import main

    for command in COMMANDS:
        words = command.split()
        assert main([*words, "--help"]) == 0, command
        text = capsys.readouterr().out
        assert text.startswith(f"usage: hf-gov {command}")
        assert main([words[0], "--help"]) == 0
        assert "example" in capsys.readouterr().out, words[0]


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


def _synced(tmp_path: Path) -> dict[str, str]:
    """``hf-gov init`` and ``sync`` of the example inventory in ``tmp_path``; the env to use."""
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    assert run("sync", str(EXAMPLE), "--actor", "alice", cwd=tmp_path, env=env).returncode == 0
    return env


@pytest.mark.slow  # 9 hf-gov processes
def test_a_signed_checkpoint_is_verified_with_the_public_key_only(tmp_path: Path) -> None:
    env = _synced(tmp_path)
    written = run("audit", "checkpoint", str(tmp_path / "cp.json"), cwd=tmp_path, env=env)
    assert written.returncode == 0, written.stderr
    assert written.stdout.startswith(f"signed checkpoint written to {tmp_path / 'cp.json'}: 8 ")
    printed = run("audit", "public-key", cwd=tmp_path, env=env)
    assert printed.stdout.startswith("-----BEGIN PUBLIC KEY-----\n")
    saved = run("audit", "public-key", str(tmp_path / "key.pem"), cwd=tmp_path, env=env)
    assert saved.returncode == 0
    assert (tmp_path / "key.pem").read_text(encoding="ascii") == printed.stdout
    # The auditor: another directory, no keystore, no passphrase, no terminal.
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    db = str(tmp_path / ".hf-gov" / "registry.db")
    for args in (
        ("audit", "verify", "--db", db, "--checkpoint", "../cp.json", "--public-key", "../key.pem"),
        ("audit", "verify", "--public-key", "../key.pem", "--checkpoint", "../cp.json", "--db", db),
    ):
        result = run(*args, cwd=auditor)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("audit log verified: 8 entries; entries 1..8 as signed at")
        assert result.stdout.endswith("; 8 registry events match their entries\n")
    assert sorted(p.name for p in auditor.iterdir()) == []
    # An altered checkpoint is refused.
    altered = json.loads((tmp_path / "cp.json").read_text(encoding="utf-8"))
    altered["seq"] = 7
    (tmp_path / "altered.json").write_text(json.dumps(altered), encoding="utf-8")
    refused = run(
        "audit", "verify", "--db", db, "--checkpoint", "altered.json", "--public-key", "key.pem",
        cwd=tmp_path,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "FAILED verification: the signed checkpoint's signature does not verify" in (
        refused.stderr
    )
    # With the key, a signed checkpoint is checked too.
    assert run("audit", "verify", "--checkpoint", "cp.json", cwd=tmp_path, env=env).returncode == 0


def test_public_key_needs_a_signed_checkpoint(tmp_path: Path) -> None:
    env = _synced(tmp_path)
    assert run("audit", "public-key", "key.pem", cwd=tmp_path, env=env).returncode == 0
    assert (
        run("audit", "verify", "--save-checkpoint", "hmac.json", cwd=tmp_path, env=env).returncode
        == 0
    )
    for extra, message in (
        ((), "--public-key checks a signed checkpoint"),
        (("--checkpoint", "hmac.json"), "--public-key checks a signed checkpoint"),
    ):
        result = run("audit", "verify", "--public-key", "key.pem", *extra, cwd=tmp_path)
        assert result.returncode == 2
        assert message in result.stderr
    result = run(
        "audit", "verify", "--public-key", "missing.pem", "--checkpoint", "hmac.json", cwd=tmp_path
    )
    assert result.returncode == 2


@pytest.mark.parametrize("how", ["DROP TABLE", "DELETE FROM"])
def test_audit_verify_fails_when_the_audit_log_is_removed(tmp_path: Path, how: str) -> None:
    """Issue 13: it used to say "audit log verified: 0 entries"."""
    env = _synced(tmp_path)
    with closing(sqlite3.connect(tmp_path / ".hf-gov" / "registry.db", isolation_level=None)) as db:
        db.execute(f"{how} audit_log")
        db.execute(f"{how} audit_log_head")
    result = run("audit", "verify", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert (
        "audit log FAILED verification: the registry is audited and holds 8 events, but the "
        "audit log records none of them"
    ) in result.stderr
    assert (
        "  event_unaudited: event 8 (registered, splunk-siem) has no audit entry" in result.stderr
    )
    refused = run("verify-info", "okta-directory", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "audit log is empty or missing" in refused.stderr


def test_audit_verify_names_a_deleted_revocation_and_keyless_changes_are_refused(
    tmp_path: Path,
) -> None:
    """Issue 13: the revocation deleted behind the registry's back."""
    env = _synced(tmp_path)
    assert (
        run(
            "revoke",
            "okta-directory",
            "--by",
            "mimecast",
            "--reason",
            "revoked",
            cwd=tmp_path,
            env=env,
        ).returncode
        == 0
    )
    with closing(sqlite3.connect(tmp_path / ".hf-gov" / "registry.db", isolation_level=None)) as db:
        db.execute("DROP TRIGGER events_no_delete")
        db.execute("DELETE FROM events WHERE kind = 'revoked'")
        db.execute("DELETE FROM revoked_credentials")
        db.execute("UPDATE integrations SET state = 'pending' WHERE id = 'okta-directory'")
    keyless = run("verify-info", "okta-directory", "--keystore", "none.hfks", cwd=tmp_path)
    assert keyless.returncode == 2  # hf-gov refuses a change without an audit log first
    assert "no audit log" in keyless.stderr
    from hf_api_governance import AuditError, Registry

    with (
        Registry.open(tmp_path / ".hf-gov" / "registry.db") as registry,
        pytest.raises(AuditError, match="a change needs the audit key"),
    ):
        registry.verify_info("okta-directory", actor="mallory")  # and so does the registry
    result = run("audit", "verify", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert (
        "event 9 (revoked, okta-directory), recorded by audit entry 9, is missing from the "
        "registry: deleted"
    ) in result.stderr
    no_checkpoint = run("audit", "checkpoint", "cp.json", cwd=tmp_path, env=env)
    assert no_checkpoint.returncode == 1
    assert "FAILED verification, no checkpoint written" in no_checkpoint.stderr
    assert not (tmp_path / "cp.json").exists()


@pytest.mark.slow  # 6 hf-gov processes
def test_an_old_unaudited_registry_is_adopted_once(tmp_path: Path) -> None:
    from hf_api_governance import Registry
    from hf_api_governance._registry.inventory import load_inventory

    (tmp_path / "elsewhere").mkdir()
    env = _synced(tmp_path / "elsewhere")  # only for a keystore holding an audit key
    (tmp_path / ".hf-gov").mkdir()
    os.replace(
        tmp_path / "elsewhere" / ".hf-gov" / "keystore.hfks", tmp_path / ".hf-gov" / "keystore.hfks"
    )
    with Registry.open(tmp_path / ".hf-gov" / "registry.db") as registry:  # used without a key
        registry.sync(load_inventory(EXAMPLE), actor="alice")
    failed = run("audit", "verify", cwd=tmp_path, env=env)
    assert failed.returncode == 1
    assert (
        "or this registry was never audited (then record its history once: hf-gov audit adopt)"
        in failed.stderr
    )
    adopted = run("audit", "adopt", "--reason", "audited from now on", cwd=tmp_path, env=env)
    assert (adopted.returncode, adopted.stdout) == (
        0,
        "adopted 8 registry events into the audit log\n",
    )
    assert run("audit", "verify", cwd=tmp_path, env=env).returncode == 0
    again = run("audit", "adopt", "--reason", "again", cwd=tmp_path, env=env)
    assert again.returncode == 1
    assert "nothing to adopt" in again.stderr


def test_keys_set_refuses_an_empty_value_and_a_secret_looking_name(tmp_path: Path) -> None:
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    empty = run("keys", "set", "okta-api-token", cwd=tmp_path, env=env, stdin="")
    assert empty.returncode == 2
    assert "empty" in empty.stderr
    pasted = run("keys", "set", CANARY, cwd=tmp_path, env=env, stdin="x")
    assert pasted.returncode == 2
    assert CANARY not in pasted.stderr


# ------------------------------------------------------------------ --hooks

HOOKS_MODULE = """
from hf_api_governance import Action, policy_hook


@policy_hook(code="TEST_NO_OKTA", clause="1.1.2", actions=[Action.CALL])
def no_okta(ctx):
    if ctx.integration.vendor == "Okta":
        return ctx.deny("Okta is being phased out")
    return None
"""

OTHER_HOOKS_MODULE = """
from hf_api_governance import policy_hook


@policy_hook(code="TEST_OWNER_SECOPS")
def owner_secops(ctx):
    if not ctx.integration.owner.startswith("secops"):
        return ctx.warn("secops should own this", owner=ctx.integration.owner)
    return None
"""


def _codes(stdout: str) -> dict[str, set[str]]:
    doc = json.loads(stdout)
    return {row["id"]: {f["code"] for f in row["findings"]} for row in doc["integrations"]}


def test_check_runs_the_hooks_of_every_hooks_module(tmp_path: Path) -> None:
    (tmp_path / "no_okta_rules.py").write_text(HOOKS_MODULE, encoding="utf-8")
    (tmp_path / "owner_rules.py").write_text(OTHER_HOOKS_MODULE, encoding="utf-8")
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    at = ("--at", "2026-11-26", "--json")
    plain = run("check", str(EXAMPLE), *at, env=env)
    one = run("check", str(EXAMPLE), *at, "--hooks", "no_okta_rules", env=env)
    both = run(
        "check", str(EXAMPLE), *at, "--hooks", "no_okta_rules", "--hooks", "owner_rules", env=env
    )
    assert one.stderr == both.stderr == ""
    assert "TEST_NO_OKTA" not in plain.stdout
    codes = _codes(one.stdout)
    assert "TEST_NO_OKTA" in codes["okta-directory"]
    assert not any("TEST_NO_OKTA" in c for i, c in codes.items() if i != "okta-directory")
    rows = {r["id"]: r for r in json.loads(both.stdout)["integrations"]}
    assert rows["okta-directory"]["allowed"] is False
    assert "TEST_OWNER_SECOPS" in {f["code"] for f in rows["mimecast-engage"]["findings"]}


@pytest.mark.parametrize(
    ("module_text", "expected"),
    [
        (None, "cannot import policy module 'absent_rules': ModuleNotFoundError"),
        ("raise RuntimeError('policy repo not configured')", "RuntimeError"),
        ("X = 1\n", "defines no policy hook"),
        (HOOKS_MODULE + "\n\nalso = no_okta\nHOOKS = [no_okta, 'nope']\n", "HOOKS[1]"),
    ],
)
def test_a_hooks_module_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path, module_text: str | None, expected: str
) -> None:
    if module_text is not None:
        (tmp_path / "absent_rules.py").write_text(module_text, encoding="utf-8")
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    result = run("check", str(EXAMPLE), "--hooks", "absent_rules", env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("hf-gov: --hooks: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_two_hooks_modules_with_the_same_code_exit_2(tmp_path: Path) -> None:
    (tmp_path / "rules_a.py").write_text(HOOKS_MODULE, encoding="utf-8")
    (tmp_path / "rules_b.py").write_text(
        HOOKS_MODULE.replace("def no_okta", "def no_okta_again"), encoding="utf-8"
    )
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    result = run("check", str(EXAMPLE), "--hooks", "rules_a", "--hooks", "rules_b", env=env)
    assert result.returncode == 2
    assert "TEST_NO_OKTA" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_hooks_apply_to_a_registry_database_too(tmp_path: Path) -> None:
    (tmp_path / "no_okta_rules.py").write_text(HOOKS_MODULE, encoding="utf-8")
    env = {"HF_GOV_PASSPHRASE": PASS, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    assert run("sync", str(EXAMPLE), cwd=tmp_path, env=env).returncode == 0
    result = run(
        "check", ".hf-gov/registry.db", "--json", "--hooks", "no_okta_rules", cwd=tmp_path, env=env
    )
    assert result.returncode == 1, result.stderr
    assert "TEST_NO_OKTA" in _codes(result.stdout)["okta-directory"]


# ------------------------------------------------- inventory check = registry round trip


def test_checking_an_inventory_decides_as_a_registry_with_everything_activated() -> None:
    """``check FILE`` skips the database; its decisions must be those of sync + activate."""
    import io

    from hf_api_governance import FrozenClock, PolicyEngine, Registry, load_inventory
    from hf_api_governance._cli.main import main

    at = datetime(2026, 11, 26, 12, tzinfo=UTC)
    out = io.StringIO()
    assert main(["check", str(EXAMPLE), "--at", "2026-11-26T12:00:00Z", "--json"], out=out) == 1
    via_cli = {
        r["id"]: (r["state"], r["allowed"], [f["code"] for f in r["findings"]])
        for r in json.loads(out.getvalue())["integrations"]
    }
    declared = load_inventory(EXAMPLE)
    with Registry.open(":memory:", clock=FrozenClock(at)) as registry:
        registry.sync(declared, actor="test")
        for integration in declared:
            registry.activate(integration.id, actor="test")
        stored = registry.integrations()
    decisions = PolicyEngine(clock=FrozenClock(at)).evaluate_all(stored, "call")
    via_registry = {
        i.id: (i.state.value, d.allowed, [f.code for f in d.findings])
        for i, d in zip(stored, decisions, strict=True)
    }
    assert via_cli == via_registry


# ------------------------------------------------------------------ progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _big_inventory(tmp_path: Path, n: int = 600) -> Path:
    from hf_api_governance import dump_inventory
    from hf_api_governance.testing import make_integration

    path = tmp_path / "big.toml"
    dump_inventory([make_integration(id=f"okta-{k:04d}") for k in range(n)], path)
    return path


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    big = _big_inventory(tmp_path)
    result = run("check", str(big), "--at", "2026-01-15")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "\r" not in result.stdout
    assert "600 integrations: 600 allowed" in result.stdout
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    synced = run("sync", str(big), cwd=tmp_path, env=env)
    verified = run("audit", "verify", cwd=tmp_path, env=env)
    assert (synced.returncode, verified.returncode) == (0, 0)
    assert synced.stderr == verified.stderr == ""
    assert "\r" not in synced.stdout + verified.stdout


def test_progress_goes_to_a_terminal_stderr_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hf_api_governance._cli.main import main

    big = _big_inventory(tmp_path)
    out: io.StringIO = _Terminal()
    err: io.StringIO = _Terminal()
    assert main(["check", str(big), "--at", "2026-01-15"], out=out, err=err) == 0
    assert "evaluating: 500/600" in err.getvalue()
    assert err.getvalue().endswith("evaluating: 600/600\n")
    assert "evaluating" not in out.getvalue()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_GOV_PASSPHRASE", PASS)
    assert main(["init"], out=io.StringIO(), err=io.StringIO()) == 0
    err = _Terminal()
    assert main(["sync", str(big)], out=io.StringIO(), err=err) == 0
    assert err.getvalue() == "\rsyncing: 0/600\rsyncing: 600/600\n"
    out, err = io.StringIO(), _Terminal()
    assert main(["audit", "verify"], out=out, err=err) == 0
    entries = int(out.getvalue().split(": ")[1].split()[0])
    assert entries == 600  # one REGISTERED entry each
    assert err.getvalue() == (
        f"\rverifying the audit log: 0/{entries}\rverifying the audit log: {entries}/{entries}\n"
    )

    small, err = _Terminal(), _Terminal()
    # 4 of the example's 8 integrations are denied on that day: exit 1
    assert main(["check", str(EXAMPLE), "--at", "2026-01-15"], out=small, err=err) == 1
    assert "8 integrations: 4 allowed (0 with warnings), 4 denied" in small.getvalue()
    assert err.getvalue() == ""


def test_a_missing_keystore_is_never_created_by_accident(tmp_path: Path) -> None:
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    typo = tmp_path / "keystroe.hfks"
    result = run("keys", "list", "--keystore", str(typo), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "no keystore" in result.stderr
    assert not typo.exists()


# ------------------------------------------------------------------ --at


def _okta_row(argv: list[str]) -> dict[str, object]:
    from hf_api_governance._cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--json"], out=out, err=err)
    report = json.loads(out.getvalue())
    assert code == (1 if report["summary"]["denied"] else 0), err.getvalue()
    (row,) = [r for r in report["integrations"] if r["id"] == "okta-directory"]
    return dict(row)


def _finding_codes(row: dict[str, object]) -> set[str]:
    findings = row["findings"]
    assert isinstance(findings, list)
    return {f["code"] for f in findings}


def test_at_a_plain_date_is_the_start_of_that_day_in_utc() -> None:
    from hf_api_governance._cli.parser import parse_at

    assert parse_at("2026-12-20") == datetime(2026, 12, 20, tzinfo=UTC)


def test_at_an_instant_with_an_offset_is_converted_to_utc() -> None:
    from hf_api_governance._cli.parser import parse_at

    at = parse_at("2026-12-20T23:00:00-02:00")
    assert at == datetime(2026, 12, 21, 1, 0, tzinfo=UTC)
    assert at.tzinfo is UTC


def test_at_with_an_offset_decides_which_side_of_a_licence_end_a_check_falls() -> None:
    """okta-directory's licence is valid through 2026-12-20 (UTC): 23:00 UTC in, 01:00 UTC out."""
    inside = _okta_row(["check", str(EXAMPLE), "--at", "2026-12-20T21:00:00-02:00"])
    outside = _okta_row(["check", str(EXAMPLE), "--at", "2026-12-20T23:00:00-02:00"])
    assert inside["allowed"] is True
    assert "LICENCE_EXPIRED" not in _finding_codes(inside)
    assert outside["allowed"] is False
    assert "LICENCE_EXPIRED" in _finding_codes(outside)


def test_at_is_honoured_when_checking_a_registry_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hf_api_governance._cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_GOV_PASSPHRASE", PASS)
    assert main(["init"], out=io.StringIO(), err=io.StringIO()) == 0
    assert main(["sync", str(EXAMPLE)], out=io.StringIO(), err=io.StringIO()) == 0
    db = str(tmp_path / ".hf-gov" / "registry.db")
    # sync leaves integrations PENDING (denied either way): compare the licence findings.
    last_day = _finding_codes(_okta_row(["check", db, "--at", "2026-12-20"]))
    day_after = _finding_codes(_okta_row(["check", db, "--at", "2026-12-21"]))
    assert "LICENCE_EXPIRED" not in last_day
    assert "LICENCE_EXPIRED" in day_after


# ------------------------------------------------------------------ unexpected errors


def test_an_unexpected_exception_is_one_line_and_exit_1_without_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its message may hold anything (a value read from a file): only the type is shown."""
    from hf_api_governance._cli import commands
    from hf_api_governance._cli import main as _cli

    def broken(*_: object) -> int:
        raise RuntimeError(f"internal detail {CANARY}")

    monkeypatch.setitem(commands.COMMANDS, "check", broken)
    out, err = io.StringIO(), io.StringIO()
    assert _cli.main(["check", str(EXAMPLE)], out=out, err=err) == 1
    assert out.getvalue() == ""
    assert err.getvalue() == "hf-gov: unexpected RuntimeError (run with --debug for details)\n"
    with pytest.raises(RuntimeError, match="internal detail"):
        _cli.main(["check", str(EXAMPLE), "--debug"], out=io.StringIO(), err=io.StringIO())


def test_every_command_line_has_exactly_one_handler() -> None:
    """The parser names each command's handler; main dispatches through COMMANDS."""
    import argparse

    from hf_api_governance._cli.commands import COMMANDS
    from hf_api_governance._cli.parser import build_parser

    leaves: set[str] = set()

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            leaves.add(" ".join(words))
            assert parser.get_default("handler") == " ".join(words)
            return
        assert parser.get_default("handler") is None
        for name, child in subs[0].choices.items():
            walk(child, [*words, name])

    walk(build_parser(), [])
    assert leaves == set(COMMANDS)


# -- a registry on PostgreSQL ---------------------------------------------------------


def _with_password(url: str, password: str) -> str:
    """``url`` with ``password`` in its userinfo (the test server trusts local connections)."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@", 1)


def test_the_operator_workflow_runs_on_a_postgresql_url_without_showing_its_password(
    tmp_path: Path, pg_url: str
) -> None:
    """``--db URL`` before or after the command; the URL's password is never printed."""
    url = _with_password(pg_url, CANARY)
    env = {"HF_GOV_PASSPHRASE": PASS}
    steps = [
        run("--db", url, "init", cwd=tmp_path, env=env),
        run("sync", str(EXAMPLE), "--db", url, "--actor", "alice", cwd=tmp_path, env=env),
        run(
            *("--db", url, "revoke", "mimecast-aware", "--by", "mimecast", "--reason", "r"),
            cwd=tmp_path,
            env=env,
        ),
        run("show", "mimecast-aware", "--db", url, cwd=tmp_path, env=env),
        run("--db", url, "audit", "verify", cwd=tmp_path, env=env),
        run("check", url, "--at", "2026-11-26", cwd=tmp_path, env=env),
    ]
    assert [s.returncode for s in steps] == [0, 0, 0, 0, 0, 1], [s.stderr for s in steps]
    assert (tmp_path / ".hf-gov" / "keystore.hfks").exists()  # the keystore stays local
    assert "revoked" in steps[3].stdout
    assert "audit log verified" in steps[4].stdout
    assert "postgresql://" in steps[0].stdout
    # A database that does not exist: one line naming it, without the password.
    missing = run("--db", url.replace("/hfgov_", "/nope_", 1), "list", cwd=tmp_path, env=env)
    assert missing.returncode == 1
    assert "StoreError" in missing.stderr
    assert "nope_" in missing.stderr
    for result in [*steps, missing]:
        for blob in (result.stdout, result.stderr):
            assert CANARY not in blob
            assert PASS not in blob
