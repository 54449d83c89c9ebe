"""What the wheel and the sdist hold: the package, its example material, what the tests need."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """pyproject lists the packages (examples/ ships as one): a new subpackage must be added."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "hf_api_governance").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found | {"hf_api_governance._examples"} == listed, (
        "add the missing subpackages to [tool.setuptools] packages in pyproject.toml"
    )
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {
        "hf_api_governance._examples": "examples"
    }
