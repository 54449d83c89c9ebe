"""The tutorials run as written, twice, in an empty folder outside the repository, from the wheel.

The new user's path (getting started, then the three tutorials) is played in
one temporary folder, as a reader plays it, and then played again, page by
page. The folder gets its ``.venv`` with the built wheel installed (see
``tests/packaging_support.py``) before Getting started runs:

- a Python block named by its caption (``provision.py``...) is written to
  that file, block after block (the second time, the same files are written
  again);
- a shell block is run with ``bash -euo pipefail`` in the folder, as the
  reader types it; like the reader's terminal, the environment keeps what the
  blocks ``export`` and what ``. .venv/bin/activate`` puts on ``PATH``
  (before that line, no ``hf-gov`` is on ``PATH``). ``pip install`` lines run
  too, with ``PIP_NO_INDEX=1`` and the wheel's folder as ``PIP_FIND_LINKS``:
  what they install is already there, so they only check it;
- after a shell block, an ``hf-gov-output`` block must be what the command
  prints, with its exit code, on both runs; an ``expected-output`` block must
  be what it prints on the first run; the first ``python NAME.py`` of a page
  must also print every output shown under ``NAME.py``'s blocks (first run);
  every other shell block must exit 0;
- after the second run, the folder holds only what the page says it leaves,
  and no temporary folder is left behind.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging_support import install, wheel
from tests.test_docs import DOCS, Block, exports, parse, shell_command

TUTORIALS = ("getting-started.md", "tutorial-provisioning.md", "policies.md", "client.md")

# What each page leaves in the folder (besides .venv), as the page says.
LEFT_BEHIND = {
    "getting-started.md": {"examples", "check_inventory.py"},
    "tutorial-provisioning.md": {"examples", "provision.py", ".hf-gov"},
    "policies.md": {
        *("examples", "decisions.py", "acme_policies.py", "use_hooks.py", "tests"),
        *(".hypothesis", ".pytest_cache", "__pycache__"),
    },
    "client.md": {"client_tutorial.py", "acme_profile.py"},
}
ACTIVATE = re.compile(r"^\s*(?:\.|source)\s+\.venv/bin/activate\s*$", re.MULTILINE)


def _reader_environment(tmp: Path, wheels: Path) -> dict[str, str]:
    """A terminal's environment: no virtual environment active, nothing of the test run's."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_GOV_", "PYTEST", "PIP_", "HYPOTHESIS", "COV_"))
        and key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
        and key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONSAFEPATH", "PYTHONNOUSERSITE")
    }
    path = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()  # no venv's bin folder
    ]
    return {
        **inherited,
        "PATH": os.pathsep.join(path),
        "TMPDIR": str(tmp),
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheels),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }


def _script(block: Block) -> str | None:
    """``NAME.py`` when the shell block's last command is ``python NAME.py``."""
    command = shell_command(block.body)
    if command[:1] in (["python"], ["python3"]) and len(command) == 2:
        return command[1]
    return None


def _outputs_under_files(blocks: list[Block]) -> dict[str, str]:
    """Per file, the outputs the page shows under the file's own blocks, in order."""
    shown: dict[str, str] = {}
    current: str | None = None
    for block in blocks:
        if block.kind in ("run", "file", "shell"):
            current = block.file
        elif block.kind == "expect-output" and block.after_shell is None and current is not None:
            shown[current] = shown.get(current, "") + block.body
    return shown


def play(page: Path, folder: Path, env: dict[str, str], run: int) -> None:
    """Play ``page`` in ``folder`` once, as a reader does; ``run`` is 1 or 2."""
    blocks = parse(page)
    under_files = _outputs_under_files(blocks)
    written: set[str] = set()
    executed: set[str] = set()
    where = f"{page.name}, run {run}"
    for index, block in enumerate(blocks):
        if block.kind == "file":
            assert block.file is not None
            target = folder / block.file
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a" if block.file in written else "w", encoding="utf-8") as handle:
                handle.write(block.body)
            written.add(block.file)
        if block.kind != "shell":
            continue
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block.body],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=600,
            check=False,
        )
        shown = f"{where}: docs/{block.page}:{block.line}: {block.body.strip()}"
        after = blocks[index + 1] if index + 1 < len(blocks) else None
        expected_output = None
        if after is not None and after.after_shell == block.body:
            if after.kind == "expect-cli":
                assert result.returncode == after.exit_code, f"{shown}: exit {result.returncode}"
                assert result.stdout == after.body, f"{shown}: prints otherwise:\n{result.stdout}"
            elif after.kind == "expect-output":
                expected_output = after.body
        if after is None or after.kind != "expect-cli":
            assert result.returncode == 0, f"{shown}: exit {result.returncode}\n{result.stderr}"
        script = _script(block)
        if script is not None and script not in executed:
            executed.add(script)
            expected_output = under_files.get(script, "") + (expected_output or "")
        if run == 1 and expected_output is not None:
            assert result.stdout == expected_output, f"{shown}: prints otherwise:\n{result.stdout}"
        if ACTIVATE.search(block.body):
            venv = folder / ".venv"
            env["VIRTUAL_ENV"] = str(venv)
            env["PATH"] = os.pathsep.join([str(venv / "bin"), env["PATH"]])
        env.update(exports(block.body))


def test_every_python_block_of_a_tutorial_names_its_file() -> None:
    """The reader must know where each block goes: a caption names its file."""
    for name in TUTORIALS:
        for block in parse(DOCS / name):
            assert block.kind != "run", f"{block.where}: a Python block without :caption: FILE"
        assert any(b.kind == "shell" for b in parse(DOCS / name)), name


def test_the_tutorials_follow_getting_started_in_its_folder() -> None:
    """Each tutorial starts by activating the environment Getting started created."""
    first_shell = {
        name: next(b for b in parse(DOCS / name) if b.kind == "shell") for name in TUTORIALS
    }
    assert "python3 -m venv .venv" in first_shell["getting-started.md"].body
    for name in TUTORIALS:
        assert ACTIVATE.search(first_shell[name].body), name


@pytest.mark.slow
def test_the_new_user_path_runs_as_written_twice_in_one_empty_folder(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Getting started and the three tutorials, in order, in one folder; then all again."""
    base = tmp_path_factory.getbasetemp()
    folder = tmp_path_factory.mktemp("reader")
    tmp = tmp_path_factory.mktemp("tmp")
    shims = tmp_path_factory.mktemp("shims")
    # The environment Getting started creates, ready before it runs (installing from
    # the wheel needs no index): its `python3 -m venv .venv` finds it and updates it in
    # place, and its `pip install` finds the package installed.
    install(folder / ".venv", base)
    # The reader's python3 is the one the environment was made with.
    (shims / "python3").symlink_to(getattr(sys, "_base_executable", sys.executable))
    env = _reader_environment(tmp, wheel(base).parent)
    env["PATH"] = os.pathsep.join([str(shims), env["PATH"]])
    for run in (1, 2):
        for name in TUTORIALS:
            play(DOCS / name, folder, env, run)
    left = {p.name for p in folder.iterdir()} - {".venv"}
    assert left == set().union(*LEFT_BEHIND.values())
    assert list(tmp.iterdir()) == [], "a temporary file or folder was left behind"
