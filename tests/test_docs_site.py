"""The documentation site: generated pages and diagrams are current, and Sphinx builds with -W."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "docs" / "_tools"


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_tools_{name}", TOOLS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_diagrams_are_what_the_script_draws() -> None:
    """Run `python docs/_tools/diagrams.py` after changing the lifecycle table."""
    rendered = _tool("diagrams").render()
    assert len(rendered) == 2
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date"


def test_the_lifecycle_diagram_shows_every_state_and_transition() -> None:
    from hf_api_governance._model.lifecycle import TRANSITIONS as _TRANSITIONS
    from hf_api_governance._model.values import IntegrationState

    svg = _tool("diagrams").lifecycle_svg()
    for state in IntegrationState:
        assert f">{state.name}</text>" in svg
    for kind, steps in _TRANSITIONS.items():
        if any(source != target for source, target in steps.items()):
            assert kind.value in svg


def test_the_cli_reference_is_what_the_script_writes() -> None:
    """Run `python docs/_tools/cli_reference.py` after changing the hf-gov parser."""
    tool = _tool("cli_reference")
    assert tool.PAGE.read_text(encoding="utf-8") == tool.render()


def test_the_cli_reference_names_every_command_and_option() -> None:
    import argparse

    from hf_api_governance._cli.parser import build_parser

    page = _tool("cli_reference").render()

    def walk(parser: argparse.ArgumentParser, prog: str) -> None:
        for action in parser._actions:
            for option in action.option_strings:
                assert f"`{option}" in page, option
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    assert f"## `{prog} {name}`" in page
                    walk(child, f"{prog} {name}")

    walk(build_parser(), "hf-gov")


@pytest.mark.slow
def test_the_site_builds_offline_with_warnings_as_errors(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "-d",
        str(tmp_path / "doctrees"),
        str(ROOT / "docs"),
        str(tmp_path / "html"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "index.html").is_file()
    assert (tmp_path / "html" / "_images" / "lifecycle.svg").is_file()
