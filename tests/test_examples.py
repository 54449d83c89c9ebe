"""The examples run as a user runs them: real processes, real files, no secret shown."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from hf_api_governance._cli.examples import DEFAULT_EXAMPLE_DIR, example_material
from hf_api_governance._cli.main import main as hf_gov

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


# --------------------------------------------------- hf-gov init --example [DIR]


def _repository_examples() -> dict[str, bytes]:
    """The files of the repository's examples/ folder, as a user gets them (no caches)."""
    found: dict[str, bytes] = {}
    for path in sorted(EXAMPLES.rglob("*")):
        relative = path.relative_to(EXAMPLES)
        if any(p in {"__pycache__", ".pytest_cache", ".hypothesis"} for p in relative.parts):
            continue
        if path.is_file() and path.suffix not in {".pyc", ".pyo"}:
            found[relative.as_posix()] = path.read_bytes()
    return found


def _init_example(cwd: Path, *args: str) -> tuple[int, str, str]:
    """``hf-gov init --example ARGS`` in ``cwd``, in-process."""
    out, err = io.StringIO(), io.StringIO()
    saved = Path.cwd()
    os.chdir(cwd)
    try:
        status = hf_gov(["init", "--example", *args], out=out, err=err)
    finally:
        os.chdir(saved)
    return status, out.getvalue(), err.getvalue()


def test_the_shipped_material_is_the_repository_examples_folder() -> None:
    material = example_material()
    assert material == _repository_examples()
    assert {"inventory.toml", "policies/acme_policies/__init__.py", "README.md"} <= set(material)


def test_init_example_writes_the_material_and_a_second_run_changes_nothing(
    tmp_path: Path,
) -> None:
    status, out, err = _init_example(tmp_path)
    assert (status, err) == (0, "")
    written = {
        p.relative_to(tmp_path / "examples").as_posix(): p.read_bytes()
        for p in (tmp_path / "examples").rglob("*")
        if p.is_file()
    }
    assert written == _repository_examples()
    assert f"{len(written)} files written, 0 already there" in out
    assert out.endswith("try: hf-gov check examples/inventory.toml\n")
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "examples").rglob("*")}

    status, out, err = _init_example(tmp_path)
    assert (status, err) == (0, "")
    assert (
        out.splitlines()[0]
        == f"example material in examples: 0 files written, {len(written)} already there"
    )
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "examples").rglob("*")} == before


def test_init_example_writes_into_the_folder_given_and_the_report_works_there(
    tmp_path: Path,
) -> None:
    status, out, _ = _init_example(tmp_path, "my stuff")
    assert status == 0
    assert "try: hf-gov check 'my stuff/inventory.toml'" in out
    result = _run("-m", "hf_api_governance", "check", str(tmp_path / "my stuff" / "inventory.toml"))
    assert result.returncode in (0, 1), result.stderr
    assert "8 integrations" in result.stdout


def test_init_example_never_overwrites_an_edited_file_and_then_writes_nothing(
    tmp_path: Path,
) -> None:
    inventory = tmp_path / "examples" / "inventory.toml"
    inventory.parent.mkdir()
    inventory.write_text("# mine\n", encoding="utf-8")
    status, out, err = _init_example(tmp_path)
    assert status == 2
    assert out == ""
    assert "examples/inventory.toml: already there and not the example's" in err
    assert "nothing was written: remove it" in err
    assert inventory.read_text(encoding="utf-8") == "# mine\n"
    assert sorted(p.name for p in inventory.parent.iterdir()) == ["inventory.toml"]


def test_init_example_refuses_symlinks_and_non_folders(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_bytes(example_material()["inventory.toml"])  # even with the same content
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "inventory.toml").symlink_to(elsewhere)
    status, _, err = _init_example(tmp_path)
    assert status == 2
    assert "examples/inventory.toml" in err
    assert not (tmp_path / "examples" / "provision.py").exists()

    (tmp_path / "linked").symlink_to(tmp_path / "examples")
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    for target in ("linked", "a-file"):
        status, _, err = _init_example(tmp_path, target)
        assert status == 2
        assert f"{target}: not a folder" in err

    (tmp_path / "dirs" / "policies").mkdir(parents=True)
    (tmp_path / "dirs" / "policies" / "tests").symlink_to(tmp_path)  # a linked sub-folder
    status, _, err = _init_example(tmp_path, "dirs")
    assert status == 2
    assert "dirs/policies/tests/test_acme_policies.py" in err
    assert list((tmp_path / "dirs").rglob("*.toml")) == []


def test_init_example_needs_no_passphrase_and_creates_no_registry(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hf_api_governance", "init", "--example"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("HF_GOV_")},
            "PYTHONPATH": str(ROOT),
        },
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / ".hf-gov").exists()
    assert (tmp_path / "examples" / "inventory.toml").is_file()


def test_the_parser_default_folder_is_the_documented_one() -> None:
    from hf_api_governance._cli.parser import build_parser

    args = build_parser().parse_args(["init", "--example"])
    assert args.example == DEFAULT_EXAMPLE_DIR == "examples"
    assert build_parser().parse_args(["init"]).example is None
