"""What the wheel and the sdist hold: the package, its example material, what the tests need."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from hf_api_governance._cli.examples import example_material
from tests.packaging_support import unpacked_sdist, wheel

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject lists the packages, and examples/ with each of its folders, as ``_examples``."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "hf_api_governance").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    example_folders = {
        ".".join(("hf_api_governance", "_examples", *d.relative_to(ROOT / "examples").parts))
        for d in [ROOT / "examples", *(ROOT / "examples").rglob("*")]
        if d.is_dir() and d.name != "__pycache__" and not d.name.startswith(".")
    }
    assert found | example_folders == listed, (
        "add the missing subpackages to [tool.setuptools] packages in pyproject.toml"
    )
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {
        "hf_api_governance._examples": "examples"
    }


def _pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_ADDOPTS")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )


def _collected(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return sorted(line for line in result.stdout.splitlines() if "::" in line)


@pytest.mark.slow
def test_the_tests_pass_in_an_unpacked_sdist(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The sdist holds what its tests need: conftest, helpers, docs, examples, config.

    From the unpacked sdist (its own copy of the package first on the path),
    pytest collects exactly the tests of the checkout, with no error, and the
    suite passes (``-m 'not slow'``: the slow tests, this one among them,
    build packages and browse the site).
    """
    tree = unpacked_sdist(tmp_path_factory.getbasetemp())
    where = subprocess.run(
        [sys.executable, "-c", "import hf_api_governance as h; print(h.__file__)"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(tree), where

    in_checkout = _collected(_pytest("--collect-only", "-q", cwd=ROOT))
    in_sdist = _collected(_pytest("--collect-only", "-q", cwd=tree))
    assert in_sdist == in_checkout
    assert len(in_sdist) > 800

    result = _pytest("-q", "-m", "not slow", "-x", cwd=tree)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]


@pytest.mark.slow
def test_the_wheel_holds_the_package_and_its_example_material(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with zipfile.ZipFile(wheel(tmp_path_factory.getbasetemp())) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        headers = archive.read(metadata).decode()
    shipped = {
        n.removeprefix("hf_api_governance/_examples/")
        for n in names
        if n.startswith("hf_api_governance/_examples/")
    }
    assert shipped == set(example_material())
    assert "hf_api_governance/py.typed" in names
    assert not any(n.startswith(("tests/", "docs/", "examples/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    for label, url in PYPROJECT["project"]["urls"].items():
        assert f"Project-URL: {label}, {url}" in headers
    assert "Provides-Extra: docs" in headers


def test_the_version_is_written_alike_in_every_place() -> None:
    """pyproject, the package's ``__version__`` and the one ``hf-gov --version`` prints."""
    import hf_api_governance
    from hf_api_governance._base.version import VERSION

    assert PYPROJECT["project"]["version"] == hf_api_governance.__version__ == VERSION
