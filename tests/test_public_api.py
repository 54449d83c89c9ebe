"""The public surface is exactly what ``__all__`` declares: no stray public attribute."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import pytest

import hf_api_governance
from hf_api_governance import exceptions

PUBLIC_SUBMODULES = frozenset({"exceptions", "strategies", "testing", "testing_plugin"})
"""Modules users import by name (``from hf_api_governance import testing``), not in ``__all__``."""


def _public_attributes(module: types.ModuleType) -> set[str]:
    """Every public name the module binds or offers, except the public submodules.

    Names that are not identifiers (``@py_builtins``, bound by pytest's assertion
    rewriting of the installed plugin's package) cannot be used as attributes.
    """
    names = set(vars(module)) | set(dir(module))
    return {
        name
        for name in names
        if name.isidentifier()
        and not name.startswith("_")
        and not (name in PUBLIC_SUBMODULES and isinstance(getattr(module, name), types.ModuleType))
    }


def test_every_public_attribute_of_the_package_is_in_all() -> None:
    stray = _public_attributes(hf_api_governance) - set(hf_api_governance.__all__)
    assert stray == set(), f"public attributes missing from __all__: {sorted(stray)}"


def test_the_public_submodules_are_modules_and_not_in_all() -> None:
    for name in sorted(PUBLIC_SUBMODULES):
        module = importlib.import_module(f"hf_api_governance.{name}")
        assert getattr(hf_api_governance, name) is module
        assert name not in hf_api_governance.__all__


def test_all_is_sorted_without_duplicates() -> None:
    names = list(hf_api_governance.__all__)
    assert names == sorted(set(names))


def test_every_name_in_all_exists_and_is_documented() -> None:
    for name in hf_api_governance.__all__:
        obj = getattr(hf_api_governance, name)
        assert obj.__module__.startswith("hf_api_governance."), f"{name} is not ours"
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_an_unknown_name_is_an_attribute_error() -> None:
    name = "no_such_name"
    with pytest.raises(AttributeError, match=name):
        getattr(hf_api_governance, name)


def test_every_library_exception_derives_from_governance_error() -> None:
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), exceptions.GovernanceError)


def test_every_library_exception_is_in_the_documented_tree_and_exported() -> None:
    tree = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        assert f" {name}" in tree, f"{name} is missing from the exceptions docstring tree"
        assert getattr(hf_api_governance, name) is getattr(exceptions, name)
        assert (getattr(exceptions, name).__doc__ or "").strip(), f"{name} has no docstring"


def test_dir_lists_exactly_the_public_names() -> None:
    public = {n for n in dir(hf_api_governance) if n.isidentifier() and not n.startswith("_")}
    assert public - PUBLIC_SUBMODULES == set(hf_api_governance.__all__)


def test_every_public_name_is_importable_with_from_import() -> None:
    for name in hf_api_governance.__all__:
        namespace: dict[str, object] = {}
        exec(f"from hf_api_governance import {name}", namespace)  # noqa: S102 - our own names
        assert namespace[name] is getattr(hf_api_governance, name)


def test_type_checkers_see_every_public_name_from_its_module() -> None:
    """The ``TYPE_CHECKING`` imports re-export (``X as X``) each name of ``__all__``, from where
    the lazy table finds it at run time."""
    tree = ast.parse(Path(hf_api_governance.__file__).read_text(encoding="utf-8"))
    declared: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"{alias.name}: not re-exported"
                    declared[alias.name] = str(stmt.module)
    assert set(declared) == set(hf_api_governance.__all__)
    for name, module in declared.items():
        assert getattr(hf_api_governance, name).__module__.startswith("hf_api_governance.")
        assert getattr(importlib.import_module(module), name) is getattr(hf_api_governance, name)


def test_importing_the_package_loads_none_of_its_modules() -> None:
    """Names are imported on first use: ``import hf_api_governance`` stays cheap."""
    code = (
        "import sys, hf_api_governance\n"
        "print(sorted(m for m in sys.modules if m.startswith('hf_api_governance.')))\n"
        "print(len(dir(hf_api_governance)) > len(hf_api_governance.__all__))\n"
        "from hf_api_governance import Governance\n"
        "print('Governance' in vars(hf_api_governance), 'requests' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == ["[]", "True", "True False"]


def test_the_pytest_plugin_loads_and_offers_its_fixtures() -> None:
    from hf_api_governance import testing_plugin

    for name in testing_plugin.__all__:
        assert callable(getattr(testing_plugin, name))
