"""``hf-gov`` for operators: the lifecycle, options in any position, bad input, output, completion.

Most tests run ``hf-gov`` as a user does (a real process, real files);
the quicker checks call ``main`` in this process with the same arguments.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hf_api_governance import (
    AccessDenied,
    Action,
    Governance,
    IntegrationState,
    PolicyEngine,
    Secret,
    SuspensionCause,
    ValidationError,
    dump_inventory,
)
from hf_api_governance._cli import commands
from hf_api_governance._cli.main import main
from hf_api_governance._cli.output import CLI_HINTS, WIDTH, cli_message
from hf_api_governance._cli.parser import GLOBAL_OPTIONS, UsageError, build_parser, parse_at
from hf_api_governance.testing import make_integration, make_licence
from tests.canary import leaks
from tests.servers import LocalServer, Reply

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "inventory.toml"
PASS = "operators test passphrase"
CANARY = "CANARYq8Zt2Vw9Xr4Lm8Np3Bc6"
NEW_CANARY = "CANARYn3Wq7Ys1Hx5Kd9Fp2Tm8"
BOUND = 30  # seconds: a command that takes longer hangs
SECONDS_Z = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def run(
    *args: str,
    cwd: Path,
    stdin: str | bytes | None = None,
    stdin_file: Any = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``hf-gov ARGS`` in a fresh process, bounded in time (a hang fails the test)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    full_env = {**inherited, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", **(env or {})}
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(
        [sys.executable, "-m", "hf_api_governance", *args],
        cwd=cwd,
        input=data,
        stdin=stdin_file
        if stdin_file is not None
        else (None if data is not None else subprocess.DEVNULL),
        capture_output=True,
        env=full_env,
        timeout=BOUND,
        check=False,
    )
    return subprocess.CompletedProcess(
        result.args,
        result.returncode,
        result.stdout.decode("utf-8", "replace"),
        result.stderr.decode("utf-8", "replace"),
    )


class FakeStdin:
    """What ``keys set`` reads in-process: not a terminal, bytes in ``buffer``."""

    def __init__(self, data: bytes) -> None:
        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


class Workspace:
    """A working directory where ``hf-gov`` runs in this process (``main``)."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = path
        self.monkeypatch = monkeypatch

    def __call__(self, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
        self.monkeypatch.setattr(sys, "stdin", FakeStdin(stdin))
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    def ok(self, *argv: str, stdin: bytes = b"") -> str:
        code, out, err = self(*argv, stdin=stdin)
        assert code == 0, (argv, out, err)
        return out

    def open(self) -> Governance:
        return Governance.open(
            self.path / ".hf-gov" / "registry.db",
            keystore=self.path / ".hf-gov" / "keystore.hfks",
            passphrase=PASS,
            actor="test",
        )


def fresh(**overrides: Any) -> Any:
    """An integration that provisioning allows: information verified yesterday, licence current."""
    fields: dict[str, Any] = {
        "info_verified_at": datetime.now(UTC) - timedelta(days=1),
        "licences": (make_licence(valid_from=date(2020, 1, 1), valid_until=date(9999, 12, 31)),),
    }
    fields.update(overrides)
    return make_integration(**fields)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for name in list(os.environ):
        if name.startswith("HF_GOV_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_GOV_PASSPHRASE", PASS)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.chdir(tmp_path)
    return Workspace(tmp_path, monkeypatch)


@pytest.fixture
def synced(ws: Workspace) -> Workspace:
    """A workspace with an initialised registry holding three integrations, all pending."""
    ws.ok("init")
    dump_inventory(
        [
            fresh(id="okta-directory"),
            fresh(id="slack-aware", credential="slack-token", vendor="Slack", licences=()),
            fresh(id="workday-departures", credential="workday-token", vendor="Workday"),
        ],
        ws.path / "inventory.toml",
    )
    ws.ok("sync", "inventory.toml")
    return ws


def all_text(root: Path) -> list[tuple[str, str]]:
    """Every file under ``root`` as (name, text read as latin-1): what a leak test searches."""
    return [
        (str(p), p.read_bytes().decode("latin-1")) for p in sorted(root.rglob("*")) if p.is_file()
    ]


# ------------------------------------------------------------------ the operator workflow


@pytest.mark.slow  # some 20 hf-gov processes, one after the other
def test_the_operator_workflow_end_to_end_never_shows_the_secret(
    tmp_path: Path, server: LocalServer
) -> None:
    """init, keys set, sync, provision, call refused while pending, revoke, replace, retire."""
    env = {"HF_GOV_PASSPHRASE": PASS, "HF_GOV_DB": "state/registry.db"}
    outputs: list[str] = []

    def hf(*args: str, code: int = 0, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = run(*args, cwd=tmp_path, stdin=stdin, env=env)
        outputs.extend([result.stdout, result.stderr])
        assert result.returncode == code, (args, result.stdout, result.stderr)
        return result

    server.route("GET", "/users", Reply(200, body={"users": []}))
    dump_inventory(
        [
            fresh(
                id="okta-directory",
                base_url=server.url,
                credential=None,
                auth={"scheme": "bearer", "token": "okta-api-token"},
            ),
            fresh(id="splunk-siem", vendor="Splunk", credential="splunk-token", licences=()),
        ],
        tmp_path / "inventory.toml",
    )
    hf("--actor", "alice@example.com", "init")
    assert (tmp_path / "state" / "registry.db").exists()
    assert not (tmp_path / ".hf-gov").exists()
    stored = hf(
        "keys",
        "set",
        "okta-api-token",
        "--classification",
        "third_party_confidential",
        "--actor",
        "alice@example.com",
        stdin=CANARY + "\n",
    )
    assert stored.stdout.startswith("stored okta-api-token (fp1:")
    assert "added: 2" in hf("sync", "inventory.toml", "--actor", "alice@example.com").stdout

    def call() -> None:
        with Governance.open(
            tmp_path / "state" / "registry.db",
            keystore=tmp_path / "state" / "keystore.hfks",
            passphrase=PASS,
            actor="app",
        ) as gov:
            gov.session("okta-directory").get(server.url + "/users")

    with pytest.raises(AccessDenied) as pending:  # a governed call while pending
        call()
    assert "NOT_ACTIVE" in pending.value.decision.codes
    assert server.received == []
    report = hf("check", "state/registry.db", "--json", code=1)
    rows = {r["id"]: r for r in json.loads(report.stdout)["integrations"]}
    (not_active,) = [f for f in rows["okta-directory"]["findings"] if f["code"] == "NOT_ACTIVE"]
    assert "(hf-gov provision okta-directory)" in not_active["message"]

    provisioned = hf("provision", "okta-directory", "splunk-siem", "--actor", "bob", code=1)
    assert "okta-directory  pending  activated" in provisioned.stdout
    assert "splunk-siem     pending  refused" in provisioned.stdout
    assert "LICENCE_MISSING" in provisioned.stdout
    assert provisioned.stdout.endswith("\n1 activated, 1 refused\n")
    call()
    (sent,) = server.requests_to("/users")
    assert sent.header("Authorization") == f"Bearer {CANARY}"

    hf("revoke", "okta-directory", "--by", "third_party", "--reason", "Okta revoked the token")
    revoked = json.loads(hf("check", "state/registry.db", "--json", code=1).stdout)
    okta = next(r for r in revoked["integrations"] if r["id"] == "okta-directory")
    assert any("hf-gov replace-credential okta-directory" in f["message"] for f in okta["findings"])
    refused = hf("reinstate", "okta-directory", "--reason", "try", code=1)
    assert "hf-gov replace-credential okta-directory" in refused.stderr
    again = hf("keys", "set", "okta-api-token", "--replace", stdin=NEW_CANARY, code=2)
    assert "revoked" in again.stderr
    hf("keys", "set", "okta-api-token-2", stdin=NEW_CANARY)
    replaced = hf(
        "replace-credential",
        "okta-directory",
        "--entry",
        "token=okta-api-token-2",
        "--reason",
        "new token from Okta",
    )
    assert replaced.stdout == "okta-directory: credential replaced (okta-api-token-2); now active\n"
    shown = hf("show", "okta-directory").stdout
    assert "state:         active" in shown
    assert "credential_replaced" in shown
    assert "+00:00" not in shown
    hf("retire", "splunk-siem", "--reason", "no Splunk licence")
    assert "retired" in hf("list").stdout
    assert hf("audit", "verify").stdout.startswith("audit log verified: ")
    hf("audit", "export", "audit.jsonl")

    entries = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    actions = [e["action"] for e in entries]
    for action in (
        "key_stored",
        "registered",
        "action_denied",
        "activated",
        "revoked",
        "credential_replaced",
        "retired",
    ):
        assert action in actions, action
    stored_entry = next(e for e in entries if e["action"] == "key_stored")
    assert stored_entry["actor"] == "alice@example.com"
    assert stored_entry["evidence"]["entry"] == "okta-api-token"
    assert stored_entry["evidence"]["fingerprint"].startswith("fp1:")
    assert next(e for e in entries if e["action"] == "activated")["actor"] == "bob"

    for secret in (CANARY, NEW_CANARY, PASS):
        for text in outputs:
            assert not leaks(text, secret), (secret, text)
        for name, text in all_text(tmp_path):
            assert not leaks(text, secret), (secret, name)


# ------------------------------------------------------------ options before and after

ALT = ["--db", "alt/reg.db", "--keystore", "keys/store.hfks"]


def _sample_args() -> dict[str, list[str]]:
    """Arguments for every command line, for the parse test (each leaf of the parser)."""
    return {
        "check": ["inv.toml"],
        "init": [],
        "sync": ["inv.toml", "--dry-run"],
        "list": ["--json"],
        "show": ["okta-directory"],
        "provision": ["a", "b"],
        "revoke": ["a", "--by", "mimecast", "--reason", "r"],
        "replace-credential": ["a", "--entry", "n"],
        "suspend": ["a", "--cause", "manual", "--reason", "r"],
        "reinstate": ["a", "--reason", "r"],
        "retire": ["a", "--reason", "r"],
        "verify-info": ["a"],
        "licence add": ["a", "--grantor", "G", "--scope", "S", "--from", "2026-01-01"],
        "licence remove": ["a", "--grantor", "G", "--scope", "S"],
        "licence list": [],
        "keys set": ["n"],
        "keys list": [],
        "keys delete": ["n"],
        "keys rename": ["n", "m"],
        "keys change-passphrase": [],
        "audit verify": [],
        "audit export": ["-"],
        "audit checkpoint": ["cp.json"],
        "audit public-key": [],
        "audit adopt": ["--reason", "r"],
        "completion": ["bash"],
        "db migrate": ["--from", "a.db", "--to", "b.db"],
    }


def test_every_command_takes_the_global_options_before_and_after_it() -> None:
    """Each command's parser must not reset what was given before the command name."""
    samples = _sample_args()
    assert set(samples) == set(commands.COMMANDS)
    globals_ = [*ALT, "--actor", "mallory", "--debug"]
    assert {g for g in globals_ if g.startswith("--")} == set(GLOBAL_OPTIONS)
    parser = build_parser()
    for command, rest in samples.items():
        words = command.split()
        for argv in ([*globals_, *words, *rest], [*words, *rest, *globals_]):
            args = parser.parse_args(argv)
            assert (args.db, args.keystore, args.actor, args.debug) == (
                "alt/reg.db",
                "keys/store.hfks",
                "mallory",
                True,
            ), argv
            assert args.handler == command
        plain = parser.parse_args([*words, *rest])
        assert (plain.db, plain.keystore, plain.actor, plain.debug) == (None, None, None, False)
        split = parser.parse_args(["--db", "x.db", *words, *rest, "--actor", "eve"])
        assert (split.db, split.actor) == ("x.db", "eve")


@pytest.mark.slow  # two hf-gov processes per command
def test_every_command_honours_the_global_options_in_both_positions(tmp_path: Path) -> None:
    """Run as a user would: the options before the command, then after it, for every command.

    Nothing exists at the default paths, so an ignored --db or --keystore
    fails the command; each position has its own actor, found in the audit log.
    """
    env = {"HF_GOV_PASSPHRASE": PASS}
    ids = ["i-a", "i-b", "i-c", "i-d", "i-e", "i-f", "i-g", "i-h"]
    dump_inventory([fresh(id=i, credential=f"{i}-token") for i in ids], tmp_path / "inv.toml")
    steps: list[tuple[str, list[str], list[str], int]] = [
        ("init", [], [], 0),  # the second run uses alt2/ (alt/ is initialised)
        ("sync", ["inv.toml"], ["inv.toml"], 0),
        ("check", ["alt/reg.db", "--json", "--credentials"], ["alt/reg.db", "--credentials"], 1),
        ("list", [], ["--json"], 0),
        ("show", ["i-a"], ["i-b", "--json"], 0),
        ("licence list", [], ["i-a", "--json"], 0),
        ("keys set", ["i-a-token-2"], ["i-b-token-2"], 0),
        ("keys list", [], ["--json"], 0),
        ("provision", ["i-a", "i-c"], ["i-b", "i-d"], 0),
        (
            "revoke",
            ["i-a", "--by", "mimecast", "--reason", "r"],
            ["i-b", "--by", "mimecast", "--reason", "r"],
            0,
        ),
        (
            "replace-credential",
            ["i-a", "--entry", "i-a-token-2"],
            ["i-b", "--entry", "i-b-token-2"],
            0,
        ),
        (
            "suspend",
            ["i-c", "--cause", "manual", "--reason", "r"],
            ["i-d", "--cause", "manual", "--reason", "r"],
            0,
        ),
        ("reinstate", ["i-c", "--reason", "r"], ["i-d", "--reason", "r"], 0),
        ("retire", ["i-e", "--reason", "r"], ["i-f", "--reason", "r"], 0),
        ("verify-info", ["i-g"], ["i-h"], 0),
        (
            "licence add",
            ["i-g", "--grantor", "Okta", "--scope", "S1", "--from", "2026-01-01"],
            ["i-g", "--grantor", "Okta", "--scope", "S2", "--from", "2026-01-01"],
            0,
        ),
        (
            "licence remove",
            ["i-g", "--grantor", "Okta", "--scope", "S1"],
            ["i-g", "--grantor", "Okta", "--scope", "S2"],
            0,
        ),
        ("keys set", ["spare-1"], ["spare-2"], 0),
        ("keys rename", ["spare-1", "spare-1b"], ["spare-2", "spare-2b"], 0),
        ("keys delete", ["spare-1b"], ["spare-2b"], 0),
        ("keys change-passphrase", [], [], 0),
        ("audit verify", [], ["--json"], 0),
        ("audit export", ["one.jsonl"], ["two.jsonl"], 0),
        ("completion", ["bash"], ["fish"], 0),
        ("show", ["no-such-id"], ["no-such-id"], 1),  # with --debug: a traceback
    ]
    passphrases = [PASS, "second passphrase", PASS]
    for command, before, after, code in steps:
        words = command.split()
        for position, rest in (("before", before), ("after", after)):
            actor = ["--actor", f"{position}-actor"]
            paths = ALT
            if command == "init" and position == "after":
                paths = ["--db", "alt2/reg.db", "--keystore", "keys/store.hfks"]
            options = [*paths, *actor]
            debug = ["--debug"] if command == "show" and "no-such-id" in rest else []
            rest = [r for r in rest if r != "--debug"]
            argv = (
                [*options, *debug, *words, *rest]
                if position == "before"
                else [*words, *rest, *options, *debug]
            )
            run_env = {**env, "HF_GOV_PASSPHRASE": passphrases[0]}
            if command == "keys change-passphrase":
                run_env["HF_GOV_NEW_PASSPHRASE"] = passphrases[1]
            stdin = f"value for {rest[0]}" if command == "keys set" else None
            if command == "show" and "no-such-id" in rest:  # --debug: raised, not mapped
                result = run(*argv, cwd=tmp_path, env=run_env)
                assert result.returncode == 1, (argv, result.stderr)
                assert "Traceback" in result.stderr
                assert "IntegrationNotFound" in result.stderr
                continue
            result = run(*argv, cwd=tmp_path, env=run_env, stdin=stdin)
            assert result.returncode == code, (argv, result.stdout, result.stderr)
            if command == "check":  # --credentials read the keystore of --keystore
                assert "CREDENTIAL_MISSING" in result.stdout
                assert "keystore entries i-a-token are missing" in result.stdout
            if command == "keys change-passphrase":
                passphrases = passphrases[1:]
    assert not (tmp_path / ".hf-gov").exists()
    assert (tmp_path / "alt2" / "reg.db").exists()
    assert not (tmp_path / "alt" / "keystore.hfks").exists()
    exported = [json.loads(line) for line in (tmp_path / "two.jsonl").read_text().splitlines()]
    by_action: dict[str, set[str]] = {}
    for entry in exported:
        by_action.setdefault(entry["action"], set()).add(entry["actor"])
    for action in (
        "activated",
        "revoked",
        "credential_replaced",
        "suspended",
        "reinstated",
        "retired",
        "info_verified",
        "licence_added",
        "licence_removed",
        "key_stored",
        "key_renamed",
        "key_deleted",
    ):
        assert by_action[action] == {"before-actor", "after-actor"}, action
    assert {e["actor"] for e in exported} <= {"before-actor", "after-actor"}


def test_environment_variables_are_the_defaults_and_options_win(ws: Workspace) -> None:
    ws.monkeypatch.setenv("HF_GOV_DB", "env/reg.db")
    ws.monkeypatch.setenv("HF_GOV_KEYSTORE", "env-keys.hfks")
    ws.monkeypatch.setenv("HF_GOV_ACTOR", "env-actor")
    assert ws.ok("init") == "initialised env/reg.db and env-keys.hfks\n"
    dump_inventory([fresh()], ws.path / "inv.toml")
    ws.ok("sync", "inv.toml")
    ws.ok("--actor", "cli-actor", "verify-info", "okta-directory")
    shown = json.loads(ws.ok("show", "okta-directory", "--json"))
    assert [e["actor"] for e in shown["history"]] == ["env-actor", "cli-actor"]
    assert not (ws.path / ".hf-gov").exists()
    code, _, err = ws("--db", "other.db", "list")
    assert code == 2
    assert "other.db: no registry database" in err


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    from hf_api_governance import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"hf-gov {__version__}\n"


# ------------------------------------------------------------------ lifecycle commands


def test_provision_activates_the_allowed_and_reports_the_refused(synced: Workspace) -> None:
    code, out, err = synced("provision", "okta-directory", "slack-aware")
    assert code == 1, err
    assert out.splitlines()[0].split() == ["ID", "WAS", "RESULT"]
    assert "okta-directory  pending  activated" in out
    assert "slack-aware     pending  refused" in out
    assert "DENY  LICENCE_MISSING (1.1.2)" in out
    again = synced.ok("provision", "okta-directory")
    assert "already active" in again
    with synced.open() as gov:
        assert gov.registry.get("okta-directory").state is IntegrationState.ACTIVE
        assert gov.registry.get("slack-aware").state is IntegrationState.PENDING
        assert gov.audit is not None
        denied = [e for e in gov.audit.entries() if e.action == "action_denied"]
        assert [e.integration_id for e in denied] == ["slack-aware"]


def test_provision_with_an_unknown_id_changes_nothing_and_exits_2(synced: Workspace) -> None:
    code, _, err = synced("provision", "okta-directory", "no-such-id")
    assert code == 2
    assert err == "hf-gov: no integration with id 'no-such-id'\n"
    with synced.open() as gov:
        assert gov.registry.get("okta-directory").state is IntegrationState.PENDING


def test_replace_credential_is_the_way_out_of_revoked(synced: Workspace) -> None:
    synced.ok("revoke", "okta-directory", "--by", "mimecast", "--reason", "notice")
    code, _, err = synced("reinstate", "okta-directory", "--reason", "x")
    assert code == 1
    assert "replace-credential okta-directory --entry NEW-NAME" in err
    code, _, err = synced("replace-credential", "okta-directory", "--entry", "okta-token-2")
    assert code == 2
    assert "no keystore entry 'okta-token-2'" in err
    code, _, err = synced("replace-credential", "okta-directory", "--entry", "okta-api-token")
    assert code == 2
    assert "revoked" in err
    synced.ok("keys", "set", "okta-token-2", stdin=b"new value\n")
    out = synced.ok("replace-credential", "okta-directory", "--entry", "okta-token-2")
    assert out == "okta-directory: credential replaced (okta-token-2); now active\n"
    code, _, err = synced("replace-credential", "okta-directory", "--entry", "a", "--entry", "b")
    assert code == 2
    assert "one NAME" in err


def test_retire_is_final(synced: Workspace) -> None:
    assert synced.ok("retire", "workday-departures", "--reason", "replaced") == (
        "workday-departures: retired\n"
    )
    code, _, err = synced("verify-info", "workday-departures")
    assert code == 1
    assert "IllegalTransition" in err


def test_licences_are_added_listed_and_removed(synced: Workspace) -> None:
    code, _, err = synced(
        "licence",
        "add",
        "slack-aware",
        "--grantor",
        "Slack",
        "--scope",
        "Discovery API",
        "--from",
        "2026-01-01",
        "--until",
        "2026-12-31",
        "--reference",
        "PO-7",
    )
    assert code == 0, err
    synced.ok(
        "licence",
        "add",
        "slack-aware",
        "--grantor",
        "Slack",
        "--scope",
        "Discovery API",
        "--from",
        "2027-01-01",
    )
    listed = json.loads(synced.ok("licence", "list", "slack-aware", "--json", "--at", "2026-06-01"))
    assert listed["at"] == "2026-06-01T00:00:00Z"
    assert [(r["valid_from"], r["status"]) for r in listed["licences"]] == [
        ("2026-01-01", "valid"),
        ("2027-01-01", "not_yet_valid"),
    ]
    assert listed["licences"][0]["reference"] == "PO-7"
    code, _, err = synced(
        "licence", "remove", "slack-aware", "--grantor", "Slack", "--scope", "Discovery API"
    )
    assert code == 2
    assert "2 licences match" in err
    synced.ok(
        "licence",
        "remove",
        "slack-aware",
        "--grantor",
        "Slack",
        "--scope",
        "Discovery API",
        "--from",
        "2027-01-01",
    )
    text = synced.ok("licence", "list", "slack-aware", "--at", "2026-06-01")
    assert text.splitlines()[0].split() == ["ID", "STATUS", "UNTIL", "LICENCE"]
    assert "2027-01-01" not in text
    code, _, err = synced(
        "licence",
        "add",
        "slack-aware",
        "--grantor",
        "Slack",
        "--scope",
        "S",
        "--from",
        "2026-01-01T00:00:00",
    )
    assert (code, err) == (
        2,
        "hf-gov: --from: give a timezone (2027-12-31T00:00:00Z) or a plain date\n",
    )


def test_sync_dry_run_reports_and_writes_nothing_without_a_passphrase(synced: Workspace) -> None:
    before = (synced.path / ".hf-gov" / "registry.db").read_bytes()
    dump_inventory(
        [fresh(id="okta-directory", owner="Platform Team"), fresh(id="new-one")],
        synced.path / "inventory.toml",
    )
    synced.monkeypatch.delenv("HF_GOV_PASSPHRASE")
    out = synced.ok("sync", "inventory.toml", "--dry-run")
    assert out.startswith("dry run: nothing was written")
    assert "added: 1 (new-one)" in out
    assert "updated: 1 (okta-directory)" in out
    assert "no longer declared: 2 (slack-aware, workday-departures)" in out
    doc = json.loads(synced.ok("sync", "inventory.toml", "--dry-run", "--json"))
    assert doc == {
        "added": ["new-one"],
        "dry_run": True,
        "undeclared": ["slack-aware", "workday-departures"],
        "unchanged": [],
        "updated": ["okta-directory"],
    }
    assert (synced.path / ".hf-gov" / "registry.db").read_bytes() == before


def test_read_only_commands_never_ask_for_the_passphrase(synced: Workspace) -> None:
    synced.monkeypatch.delenv("HF_GOV_PASSPHRASE")
    for argv in (["list"], ["show", "okta-directory"], ["licence", "list"]):
        synced.ok(*argv)
    code, _, err = synced("keys", "list")
    assert code == 2
    assert "HF_GOV_PASSPHRASE" in err
    code, _, err = synced("revoke", "okta-directory", "--by", "mimecast", "--reason", "r")
    assert code == 2  # a change needs the audit log, whose key is in the keystore


def test_check_of_a_database_opens_no_keystore_and_says_so(synced: Workspace) -> None:
    """No passphrase, the keystore untouched; the table's last line says what was not seen."""
    keystore = synced.path / ".hf-gov" / "keystore.hfks"
    before = keystore.read_bytes()
    synced.monkeypatch.delenv("HF_GOV_PASSPHRASE")
    code, out, err = synced("check", ".hf-gov/registry.db")
    assert (code, err) == (1, "")  # pending integrations are denied
    assert out.splitlines()[-1] == (
        "credential entries not looked up: no keystore opened (--credentials does)"
    )
    assert "CREDENTIAL_MISSING" not in out
    doc = json.loads(synced("check", ".hf-gov/registry.db", "--json")[1])
    assert {row["id"] for row in doc["integrations"]} == {
        "okta-directory",
        "slack-aware",
        "workday-departures",
    }
    assert keystore.read_bytes() == before


def test_check_without_a_target_checks_the_database_every_command_opens(
    synced: Workspace,
) -> None:
    """``--db`` before or after the command, ``$HF_GOV_DB``, then the default folder."""
    moved = synced.path / "elsewhere.db"
    (synced.path / ".hf-gov" / "registry.db").rename(moved)
    expected = synced("check", str(moved), "--json", "--at", "2026-11-26")
    assert expected[0] == 1
    for argv in (
        ("--db", str(moved), "check", "--json", "--at", "2026-11-26"),
        ("check", "--db", str(moved), "--json", "--at", "2026-11-26"),
    ):
        assert synced(*argv) == expected
    synced.monkeypatch.setenv("HF_GOV_DB", str(moved))
    assert synced("check", "--json", "--at", "2026-11-26") == expected
    synced.monkeypatch.delenv("HF_GOV_DB")
    code, _, err = synced("check")
    assert code == 2
    assert "registry.db: no such file" in err


def test_check_credentials_looks_the_entries_up_in_the_keystore(synced: Workspace) -> None:
    """The entries named by the synced integrations were never stored: each is reported."""
    code, out, _ = synced("check", ".hf-gov/registry.db", "--credentials")
    assert code == 1
    assert "keystore entries slack-token are" in out
    assert "credential entries not looked up" not in out
    synced.monkeypatch.delenv("HF_GOV_PASSPHRASE")
    code, _, err = synced("check", ".hf-gov/registry.db", "--credentials")
    assert code == 2
    assert "HF_GOV_PASSPHRASE" in err


def test_check_credentials_needs_a_keystore_and_a_database(synced: Workspace) -> None:
    code, _, err = synced("check", ".hf-gov/registry.db", "--credentials", "--keystore", "no.hfks")
    assert code == 2
    assert "no.hfks: no keystore" in err
    code, _, err = synced("check", str(EXAMPLE), "--credentials")
    assert code == 2
    assert "--credentials" in err


def test_check_of_a_database_imports_no_keystore_code(synced: Workspace) -> None:
    """Opening no keystore means loading neither the keystore module nor cryptography."""
    code = (
        "import io, sys\n"
        "from hf_api_governance._cli.main import main\n"
        "rc = main(['check', '.hf-gov/registry.db'], out=io.StringIO(), err=io.StringIO())\n"
        "loaded = [m for m in ('cryptography', 'hf_api_governance._confidential.keystore')"
        " if m in sys.modules]\n"
        "print(rc, loaded)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=synced.path,
        capture_output=True,
        text=True,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=BOUND,
        check=True,
    )
    assert result.stdout.split() == ["1", "[]"]


# ------------------------------------------------------------------ keys


def test_keys_set_refuses_reserved_names_and_needs_replace(synced: Workspace) -> None:
    code, _, err = synced("keys", "set", "hf-gov.audit-key", stdin=b"x")
    assert code == 2
    assert "reserved" in err
    synced.ok("list")  # the audit key is intact: everything still opens
    assert synced.ok("audit", "verify").startswith("audit log verified")
    assert synced.ok("keys", "set", "okta-api-token", stdin=b"first\n").startswith("stored ")
    code, _, err = synced("keys", "set", "okta-api-token", stdin=b"second")
    assert code == 2
    assert "--replace" in err
    assert synced.ok("keys", "set", "okta-api-token", "--replace", stdin=b"second").startswith(
        "replaced okta-api-token (fp1:"
    )
    with synced.open() as gov:
        assert gov.keystore is not None
        assert gov.keystore.get("okta-api-token").reveal() == "second"
        assert gov.audit is not None
        keyed = [(e.action, e.actor) for e in gov.audit.entries() if e.action.startswith("key_")]
    assert [a for a, _ in keyed] == ["key_stored", "key_replaced"]


def test_keys_set_caps_the_value_on_stdin(synced: Workspace) -> None:
    code, _, err = synced("keys", "set", "big", stdin=b"x" * ((1 << 20) + 1))
    assert code == 2
    assert "1 MiB" in err
    code, _, err = synced("keys", "set", "latin", stdin="café".encode("latin-1"))
    assert code == 2
    assert "UTF-8" in err
    synced.ok("keys", "set", "exact", stdin=b"x" * (1 << 20) + b"\r\n")


def test_keys_list_delete_and_rename(synced: Workspace) -> None:
    synced.ok("keys", "set", "okta-api-token", "--label", "Okta", stdin=b"v1")
    synced.ok("keys", "set", "spare", stdin=b"v2")
    listing = synced.ok("keys", "list")
    lines = listing.splitlines()
    assert lines[0].split() == ["NAME", "CLASSIFICATION", "FINGERPRINT"]
    assert lines[1].strip() == "LABEL"  # too wide for 80 columns: under each row
    rows = [line for line in lines if "fp1:" in line]
    assert len(rows) == 3
    assert {line.index("fp1:") for line in rows} == {lines[0].index("FINGERPRINT")}
    assert "    Okta" in lines
    code, _, err = synced("keys", "delete", "okta-api-token")
    assert code == 2
    assert "used by okta-directory" in err
    assert synced.ok("keys", "rename", "spare", "spare-2").startswith("renamed spare to spare-2")
    assert synced.ok("keys", "delete", "spare-2").startswith("deleted spare-2 (fp1:")
    names = [e["name"] for e in json.loads(synced.ok("keys", "list", "--json"))]
    assert names == ["hf-gov.audit-key", "okta-api-token"]
    code, _, err = synced("keys", "delete", "hf-gov.audit-key")
    assert code == 2
    code, _, err = synced("keys", "delete", "no-such-entry")
    assert (code, err) == (2, "hf-gov: no keystore entry named 'no-such-entry'\n")


# ------------------------------------------------------------------ output


def test_every_text_line_fits_80_columns(synced: Workspace) -> None:
    synced.ok(
        "keys", "set", "okta-api-token", "--label", "Okta token for the directory sync", stdin=b"v"
    )
    synced.ok(
        "revoke",
        "workday-departures",
        "--by",
        "third_party",
        "--reason",
        "Workday revoked the integration user after the annual access review " * 2,
    )
    texts = [
        synced("check", str(EXAMPLE), "--at", "2026-11-26")[1],
        synced("check", ".hf-gov/registry.db")[1],
        synced.ok("list"),
        synced.ok("show", "workday-departures"),
        synced.ok("keys", "list"),
        synced.ok("licence", "list"),
        synced("provision", "okta-directory", "slack-aware")[1],
    ]
    for text in texts:
        assert text
        for line in text.splitlines():
            assert len(line) <= WIDTH, line


def test_instants_are_written_to_the_second_with_z(synced: Workspace) -> None:
    report = synced("check", ".hf-gov/registry.db")[1]
    header = report.splitlines()[0]
    stamp = header.rsplit(" ", 1)[1]
    assert SECONDS_Z.fullmatch(stamp), stamp
    shown = synced.ok("show", "okta-directory")
    assert "+00:00" not in shown
    doc = json.loads(synced.ok("show", "okta-directory", "--json"))
    for event in doc["history"]:
        assert SECONDS_Z.fullmatch(event["at"])
    assert doc["info_verified_at"].endswith("Z")


def test_listings_have_headers_and_json(synced: Workspace) -> None:
    listing = synced.ok("list").splitlines()
    assert listing[0].split() == ["ID", "SERVICE", "KIND", "STATE", "VENDOR"]
    assert {line.index("pending") for line in listing[1:]} == {listing[0].index("STATE")}
    rows = json.loads(synced.ok("list", "--json"))
    assert [r["id"] for r in rows] == ["okta-directory", "slack-aware", "workday-departures"]
    verified = json.loads(synced.ok("audit", "verify", "--json"))
    assert verified["ok"] is True
    assert verified["problem"] is None
    shown = synced.ok("show", "okta-directory")
    assert "HISTORY\nAT  " in shown.replace(" " * 19, "  ")


def test_audit_export_dash_writes_to_standard_output(synced: Workspace) -> None:
    code, out, err = synced("audit", "export", "-")
    assert code == 0
    lines = out.splitlines()
    assert lines
    assert all(json.loads(line)["action"] for line in lines)
    assert err == f"exported {len(lines)} entries to standard output\n"
    assert not (synced.path / "-").exists()


def test_relative_at_counts_from_now() -> None:
    now = datetime(2026, 11, 26, 12, tzinfo=UTC)
    assert parse_at("+30d", now) == datetime(2026, 12, 26, 12, tzinfo=UTC)
    assert parse_at("+12w", now) == now + timedelta(weeks=12)
    assert parse_at("+6h", now) == now + timedelta(hours=6)
    assert parse_at("-7d", now) == now - timedelta(days=7)
    for bad in ("+30", "30d", "+30y", "+1234567d"):
        with pytest.raises(UsageError, match="--at"):
            parse_at(bad, now)
    args = build_parser().parse_args(["check", "x.toml", "--at=-7d"])
    assert args.at == "-7d"


def test_relative_at_decides_what_breaks_in_30_days(tmp_path: Path) -> None:
    ends = (datetime.now(UTC) + timedelta(days=10)).date()
    dump_inventory([fresh(licences=(make_licence(valid_until=ends),))], tmp_path / "inv.toml")
    out = io.StringIO()
    assert main(["check", str(tmp_path / "inv.toml"), "--at", "+30d"], out=out) == 1
    assert "LICENCE_EXPIRED" in out.getvalue()
    assert main(["check", str(tmp_path / "inv.toml")], out=io.StringIO()) == 0


# ------------------------------------------------------------------ hints


def _every_builtin_finding() -> list[Any]:
    """Findings of every built-in code that carries a fix hint, from real evaluations."""
    at = datetime(2026, 11, 26, tzinfo=UTC)
    old = datetime(2025, 1, 1, tzinfo=UTC)
    cases = [
        (make_integration(state=IntegrationState.REVOKED), Action.CALL),
        (make_integration(state=IntegrationState.SUSPENDED), Action.CALL),
        (make_integration(state=IntegrationState.PENDING, licences=()), Action.CALL),
        (make_integration(info_verified_at=old), Action.CALL),
        (make_integration(licences=(make_licence(valid_until=date(2026, 12, 1)),)), Action.CALL),
        (make_integration(licences=(make_licence(valid_until=date(2026, 1, 31)),)), Action.CALL),
        (
            make_integration(
                licences=(make_licence(valid_from=date(2027, 1, 1), valid_until=None),)
            ),
            Action.CALL,
        ),
        (
            make_integration(
                kind="mimecast_api",
                licences=(make_licence(grantor="Mimecast", valid_until=date(2026, 12, 1)),),
            ),
            Action.CALL,
        ),
        (
            make_integration(
                kind="mimecast_api",
                licences=(make_licence(grantor="Mimecast", valid_until=date(2026, 1, 31)),),
            ),
            Action.CALL,
        ),
    ]
    engine = PolicyEngine(keystore=set(), revoked_credentials={"okta-api-token"})
    findings: list[Any] = []
    for integration, action in cases:
        findings += engine.evaluate(integration, action, at=at).findings
    return findings


def test_hints_name_hf_gov_commands_in_the_cli_and_methods_in_python() -> None:
    findings = _every_builtin_finding()
    codes = {f.code for f in findings}
    assert set(CLI_HINTS) - {"DEPRECATION_NOTICED"} <= codes
    for finding in findings:
        shown = cli_message(finding)
        for python_name in ("Registry.", "Keystore.", "Governance."):
            assert python_name not in shown, shown
        if finding.code in CLI_HINTS:
            assert "hf-gov " in shown, shown
            assert shown != finding.message
            assert any(py in finding.message for py, _ in CLI_HINTS[finding.code]), finding
    python_side = " ".join(f.message for f in findings)
    assert "hf-gov" not in python_side
    for method in (
        "Registry.add_licence",
        "Registry.replace_credential",
        "Registry.reinstate",
        "Registry.verify_info",
        "Governance.store_key",
    ):
        assert method in python_side, method


# ------------------------------------------------------------------ bad input never hangs


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.toml"
    os.mkfifo(path)
    return path


def _one_line_exit_2(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def _initialised(tmp_path: Path) -> dict[str, str]:
    env = {"HF_GOV_PASSPHRASE": PASS}
    assert run("init", cwd=tmp_path, env=env).returncode == 0
    return env


@pytest.mark.slow  # a dozen hf-gov processes
def test_inputs_that_are_not_regular_files_are_refused_at_once(tmp_path: Path, fifo: Path) -> None:
    env = _initialised(tmp_path)
    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder"
    folder.mkdir()
    started = time.monotonic()
    _one_line_exit_2(run("check", str(fifo), cwd=tmp_path, env=env), "fifo.toml", "named pipe")
    _one_line_exit_2(run("sync", str(fifo), cwd=tmp_path, env=env), "fifo.toml", "named pipe")
    _one_line_exit_2(run("check", str(zero), cwd=tmp_path, env=env), "character device")
    _one_line_exit_2(run("check", str(folder), cwd=tmp_path, env=env), "directory")
    _one_line_exit_2(
        run("audit", "verify", "--checkpoint", str(fifo), cwd=tmp_path, env=env), "named pipe"
    )
    _one_line_exit_2(run("--db", str(folder), "list", cwd=tmp_path, env=env), "directory")
    _one_line_exit_2(
        run("keys", "list", "--keystore", str(folder), cwd=tmp_path, env=env), "directory"
    )
    _one_line_exit_2(
        run("keys", "list", "--keystore", str(fifo), cwd=tmp_path, env=env), "named pipe"
    )
    with open("/dev/zero", "rb") as endless:
        result = run("keys", "set", "x", cwd=tmp_path, env=env, stdin_file=endless)
    _one_line_exit_2(result, "1 MiB")
    assert time.monotonic() - started < 10 * BOUND  # each run is bounded by its timeout anyway
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.slow  # several hf-gov processes
def test_audit_export_replaces_nothing_but_a_regular_file(tmp_path: Path, fifo: Path) -> None:
    env = _initialised(tmp_path)
    assert run("sync", str(EXAMPLE), cwd=tmp_path, env=env).returncode == 0
    real = tmp_path / "real.jsonl"
    real.write_text("keep\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(real)
    _one_line_exit_2(run("audit", "export", str(fifo), cwd=tmp_path, env=env), "named pipe")
    _one_line_exit_2(run("audit", "export", "/dev/full", cwd=tmp_path, env=env), "device")
    _one_line_exit_2(run("audit", "export", str(link), cwd=tmp_path, env=env), "--follow-symlinks")
    _one_line_exit_2(run("audit", "export", str(tmp_path), cwd=tmp_path, env=env), "directory")
    _one_line_exit_2(
        run("audit", "verify", "--save-checkpoint", str(fifo), cwd=tmp_path, env=env), "pipe"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "keep\n"
    followed = run("audit", "export", str(link), "--follow-symlinks", cwd=tmp_path, env=env)
    assert followed.returncode == 0, followed.stderr
    assert link.is_symlink()
    assert json.loads(real.read_text(encoding="utf-8").splitlines()[0])["seq"] == 1


@pytest.mark.parametrize(
    ("value", "problem"),
    [("[" * 3000 + "]" * 3000, "nested too deeply"), ("9" * 5000, "too many digits")],
)
def test_hostile_toml_is_bad_input_naming_the_file(
    tmp_path: Path, value: str, problem: str
) -> None:
    path = tmp_path / "evil.toml"
    path.write_text(f'[[integration]]\nid = "x"\nname = {value}\n', encoding="utf-8")
    err = io.StringIO()
    assert main(["check", str(path)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"hf-gov: {path}: invalid TOML: ")
    assert problem in err.getvalue()


# ------------------------------------------------------------ identifiers matched whole


def test_ids_and_entry_names_with_a_trailing_newline_are_refused_everywhere(
    ws: Workspace,
) -> None:
    """``"okta-directory\\n"`` must never sit beside ``"okta-directory"`` and print alike."""
    with pytest.raises(ValidationError) as info:
        make_integration(id="okta-directory\n")
    assert info.value.field == "id"
    for field, overrides in (
        ("credential", {"credential": "okta-api-token\n"}),
        ("auth.token", {"auth": {"scheme": "bearer", "token": "okta-api-token\n"}}),
    ):
        with pytest.raises(ValidationError) as info:
            make_integration(**overrides)
        assert info.value.field == field
    ws.ok("init")
    dump_inventory([fresh()], ws.path / "inv.toml")
    ws.ok("sync", "inv.toml")
    with ws.open() as gov:
        assert gov.keystore is not None
        with pytest.raises(ValidationError):
            gov.keystore.put("okta-api-token\n", Secret("v"))
        with pytest.raises(ValidationError):
            gov.store_key("okta-api-token\n", Secret("v"))
        with pytest.raises(ValidationError):
            gov.registry.replace_credential("okta-directory", "okta-token-2\n", actor="t")
        with pytest.raises(ValidationError):
            gov.registry.register(fresh(id="okta-directory\n"), actor="t")  # never built
    code, _, err = ws("keys", "set", "okta-api-token\n", stdin=b"v")
    assert code == 2
    assert err.startswith("hf-gov: NAME: must be a keystore entry name")
    code, _, err = ws("show", "okta-directory\n")
    assert code == 2
    inventory = (ws.path / "inv.toml").read_text(encoding="utf-8")
    (ws.path / "nl.toml").write_text(
        inventory.replace('id = "okta-directory"', 'id = "okta-directory\\n"'), encoding="utf-8"
    )
    code, _, err = ws("sync", "nl.toml")
    assert code == 2
    assert "nl.toml" in err
    assert [r["id"] for r in json.loads(ws.ok("list", "--json"))] == ["okta-directory"]


# ------------------------------------------------------------------ completion


def test_completion_scripts_are_generated_from_the_parser() -> None:
    parser = build_parser()
    names: set[str] = set()
    options: set[str] = set()

    def walk(p: argparse.ArgumentParser) -> None:
        for action in p._actions:
            options.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                names.update(action.choices)
                for child in action.choices.values():
                    walk(child)

    walk(parser)
    for shell in ("bash", "zsh", "fish"):
        out = io.StringIO()
        assert main(["completion", shell], out=out) == 0
        script = out.getvalue()
        for name in names:
            assert name in script, (shell, name)
        for option in options:
            assert (option in script) or (f"-l {option[2:]}" in script), (shell, option)
        assert "python" not in script  # completing never starts hf-gov


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_completes_commands_options_and_choices(tmp_path: Path) -> None:
    out = io.StringIO()
    main(["completion", "bash"], out=out)
    script = tmp_path / "hf-gov.bash"
    script.write_text(out.getvalue(), encoding="utf-8")

    def complete(*words: str) -> list[str]:
        code = (
            f'source "{script}"; COMP_WORDS=("$@"); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); '
            '_hf_gov; printf "%s\\n" "${COMPREPLY[@]}"'
        )
        result = subprocess.run(
            ["bash", "-c", code, "_", "hf-gov", *words],
            capture_output=True,
            text=True,
            timeout=BOUND,
            check=True,
            cwd=tmp_path,
        )
        return result.stdout.split()

    assert "provision" in complete("")
    assert complete("keys", "") == ["set", "list", "delete", "rename", "change-passphrase"]
    assert complete("--db", "x.db", "keys", "re") == ["rename"]
    assert complete("check", "--action", "") == ["call", "provision"]
    assert complete("keys", "set", "--classification", "third") == ["third_party_confidential"]
    assert complete("completion", "") == ["bash", "zsh", "fish"]
    assert complete("audit", "export", "--fo") == ["--follow-symlinks"]
    assert complete("--db", "hf-gov.b") == ["hf-gov.bash"]  # a path option: files


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts_parse(shell: str, tmp_path: Path) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"needs {shell}")
    out = io.StringIO()
    main(["completion", shell], out=out)
    script = tmp_path / f"hf-gov.{shell}"
    script.write_text(out.getvalue(), encoding="utf-8")
    result = subprocess.run(
        [shell, "-n", str(script)], capture_output=True, text=True, timeout=BOUND, check=False
    )
    assert result.returncode == 0, result.stderr


def test_completion_costs_nothing_at_start_up() -> None:
    """The completion module is imported only by `hf-gov completion`."""
    code = (
        "import sys, io, contextlib\n"
        "from hf_api_governance._cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print('hf_api_governance._cli.completion' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True,
        timeout=BOUND,
    )
    assert result.stdout.split() == ["False"]


# --------------------------------------------------------- facade pieces the CLI relies on


def test_a_suspended_integration_is_reinstated_from_the_cli(synced: Workspace) -> None:
    with synced.open() as gov:
        gov.registry.activate("okta-directory", actor="t")
        gov.suspend("okta-directory", cause=SuspensionCause.SUNSET, reason="v1 sunset")
    assert synced.ok("reinstate", "okta-directory", "--reason", "moved to v2") == (
        "okta-directory: reinstated\n"
    )
    with synced.open() as gov:
        assert gov.registry.get("okta-directory").state is IntegrationState.ACTIVE


_WORDS = st.text(alphabet=st.sampled_from("abc-().é"), min_size=1, max_size=20)


@given(
    words=st.lists(_WORDS | st.sampled_from(["DENY ", "x" * 90]), max_size=40),
    indent=st.sampled_from([0, 4, 10, 17, 60]),
    first=st.sampled_from([None, 0, 4]),
)
def test_wrapping_fits_80_columns_and_matches_textwrap_for_ordinary_words(
    words: list[str], indent: int, first: int | None
) -> None:
    from hf_api_governance._cli.output import _wrap

    text = " ".join(words).strip()
    assume(text)
    lines = _wrap(text, WIDTH, indent, first)
    assert all(len(line) <= WIDTH for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())  # nothing lost or added
    if all(len(w) <= WIDTH - max(indent, first or 0) for w in text.split()):
        expected = textwrap.wrap(
            text,
            width=WIDTH,
            initial_indent=" " * (indent if first is None else first),
            subsequent_indent=" " * indent,
            break_on_hyphens=False,
        )
        assert lines == expected
