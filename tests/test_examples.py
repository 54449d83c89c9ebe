"""The examples run as a user runs them: real processes, real files, no secret shown."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CANARY = "Qm4Wx8Rt2Zp6Lv9Hs3Kd"

# Runs examples/provision.py with every generated value starting with CANARY,
# so that the test knows what must never appear.
CANARY_RUN = f"""
import itertools, runpy, secrets
counter = itertools.count()
secrets.token_urlsafe = lambda nbytes=None: "{CANARY}" + format(next(counter), "02d")
secrets.token_hex = lambda nbytes=None: "{CANARY}" + format(next(counter), "02d")
try:
    runpy.run_path({str(EXAMPLES / "provision.py")!r}, run_name="__main__")
finally:
    print("generated values:", next(counter))
"""


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**inherited, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
        check=False,
    )


def test_provision_example_activates_what_is_allowed_and_refuses_the_rest() -> None:
    result = _run(str(EXAMPLES / "provision.py"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "  mimecast-aware ALLOW -" in lines
    assert "  okta-directory ALLOW -" in lines
    assert "  workday-departures DENY LICENCE_EXPIRED" in lines
    assert "refused to activate: workday-departures" in lines
    assert "governed call: POST /api/account/get-account -> 200 (Example Corp)" in lines
    verified = [line for line in lines if line.startswith("audit log verified: ")]
    assert len(verified) == 1
    # 3 registered, 2 activated, 1 refusal, 1 call at least
    assert int(verified[0].split(": ")[1].split()[0]) >= 7
    assert result.stderr == ""


def _forms(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        raw.hex(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    ]


def test_provision_example_never_shows_a_generated_secret() -> None:
    result = _run("-c", CANARY_RUN)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "workday-departures DENY" in result.stdout
    # passphrase, client id and secret, two tokens, and the demo's access token at least
    generated = int(result.stdout.rsplit("generated values: ", 1)[1])
    assert generated >= 6
    shown = result.stdout + result.stderr
    assert CANARY not in shown
    for n in range(generated):
        for form in _forms(f"{CANARY}{n:02d}"):
            assert form not in shown


def test_hf_gov_check_loads_the_example_policy_package() -> None:
    """``hf-gov check --hooks acme_policies`` as examples/policies documents it."""
    result = _run(
        "-m",
        "hf_api_governance",
        "check",
        str(EXAMPLES / "inventory.toml"),
        "--at",
        "2026-11-26",
        "--action",
        "provision",
        "--json",
        "--hooks",
        "acme_policies",
        env={"PYTHONPATH": f"{ROOT}{os.pathsep}{EXAMPLES / 'policies'}"},
    )
    assert result.returncode == 1, result.stderr
    rows = {r["id"]: r for r in json.loads(result.stdout)["integrations"]}
    codes = {ident: {f["code"] for f in row["findings"]} for ident, row in rows.items()}
    assert "ACME_INCYDR_OWNER_NOT_SECURITY" in codes["workday-departures"]
    assert "ACME_AWARE_CHAT_RETENTION" in codes["slack-aware"]
    assert "ACME_LICENCE_RUNWAY" in codes["okta-directory"]  # ends 2026-12-20
    assert "ACME_INCYDR_OWNER_NOT_SECURITY" not in codes["splunk-siem"]  # owner "secops"
    assert not any(c.startswith("ACME_") for c in codes["mimecast-engage"])


def test_quickstart_example_never_prints_its_key() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Secret(<redacted>" in result.stdout
    assert "fp1:" in result.stderr  # the log line carries the fingerprint
    for stream in (result.stdout, result.stderr):
        assert "example-not-a-real-key" not in stream
        assert base64.b64encode(b"example-not-a-real-key").decode() not in stream
