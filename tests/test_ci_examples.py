"""The CI examples and the pre-commit hook do what they say: their hf-gov commands are run.

``examples/ci/github-actions.yml``, ``examples/ci/gitlab-ci.yml`` and
``.pre-commit-hooks.yaml`` are parsed; the shell that runs ``hf-gov`` in each
is executed as the CI system would run it (``bash -e`` for GitHub, ``sh -e``
line by line for GitLab), against the example inventory, with ``hf-gov`` on
``PATH``, and the reports it writes are read back.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")  # a test dependency (pyproject: test extra)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "inventory.toml"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture
def shell_env(tmp_path: Path) -> dict[str, str]:
    """An environment with an ``hf-gov`` command that runs this checkout."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "hf-gov"
    shim.write_text(
        f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m hf_api_governance "$@"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        INVENTORY=str(EXAMPLE),
        NO_COLOR="1",
    )
    return env


def test_the_github_workflow_uploads_sarif_and_writes_the_summary(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    workflow = load(ROOT / "examples" / "ci" / "github-actions.yml")
    assert workflow["permissions"]["security-events"] == "write"
    (job,) = workflow["jobs"].values()
    steps = {step.get("id") or step.get("name") or step["uses"]: step for step in job["steps"]}
    check = steps["check"]
    upload = steps["Upload to code scanning"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert "category" not in upload["with"]  # the SARIF names its own
    fail = steps["Fail when an integration is denied"]
    assert fail["if"] == "steps.check.outputs.status != '0'"
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    result = subprocess.run(
        ["bash", "-e", "-c", check["run"]],  # GitHub runs "bash -e {0}"
        cwd=tmp_path,
        env={**shell_env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert outputs.read_text(encoding="utf-8") == "status=1\n"  # the example has denials
    sarif = json.loads((tmp_path / upload["with"]["sarif_file"]).read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    assert summary.read_text(encoding="utf-8").startswith("## hf-gov check: 3 denied")
    page = tmp_path / steps["Keep the posture page"]["with"]["path"]
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_github_workflow_stops_on_a_bad_inventory(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    workflow = load(ROOT / "examples" / "ci" / "github-actions.yml")
    (job,) = workflow["jobs"].values()
    (check,) = [s for s in job["steps"] if s.get("id") == "check"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[integration]]\nid = 3\n", encoding="utf-8")
    result = subprocess.run(
        ["bash", "-e", "-c", check["run"]],
        cwd=tmp_path,
        env={
            **shell_env,
            "INVENTORY": str(bad),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
            "GITHUB_OUTPUT": str(tmp_path / "o"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    assert "bad.toml" in result.stderr


def test_the_gitlab_job_publishes_a_junit_report(tmp_path: Path, shell_env: dict[str, str]) -> None:
    config = load(ROOT / "examples" / "ci" / "gitlab-ci.yml")
    job = config["hf-gov"]
    assert job["artifacts"]["when"] == "always"
    report = job["artifacts"]["reports"]["junit"]
    lines = [line for line in job["script"] if "pip install" not in line]
    result = subprocess.run(
        ["sh", "-e", "-c", "\n".join(lines)],  # GitLab stops at the first failing line
        cwd=tmp_path,
        env=shell_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # denied: the job fails, after the reports
    root = ET.fromstring((tmp_path / report).read_bytes())  # noqa: S314 - our own output
    cases = list(root.iter("testcase"))
    assert len(cases) == 8
    assert sum(1 for c in cases if c.find("failure") is not None) == 3
    (page,) = job["artifacts"]["paths"]
    assert (tmp_path / page).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_pre_commit_hook_checks_the_inventory(
    tmp_path: Path, shell_env: dict[str, str]
) -> None:
    (hook,) = load(ROOT / ".pre-commit-hooks.yaml")
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python"  # pre-commit installs this repository with pip
    assert hook["pass_filenames"] is False
    assert hook["always_run"] is True
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'{shlex.split(hook["entry"])[0]} = "' in pyproject  # a console script we install
    inventory = tmp_path / hook["args"][0]
    inventory.write_bytes(EXAMPLE.read_bytes())

    def before_commit() -> subprocess.CompletedProcess[str]:
        # What pre-commit runs: the entry, then the args (plus a fixed --at for the test).
        return subprocess.run(
            [*shlex.split(hook["entry"]), *hook["args"], "--at", "2026-11-26"],
            cwd=tmp_path,
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    denied = before_commit()
    assert denied.returncode == 1
    assert "splunk-siem" in denied.stdout
    assert "mimecast-engage" not in denied.stdout  # --only-problems
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    end = lines.index('id = "okta-directory"') - 1  # keep the three Mimecast integrations
    inventory.write_text("\n".join(lines[:end]) + "\n", encoding="utf-8")
    allowed = before_commit()
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
