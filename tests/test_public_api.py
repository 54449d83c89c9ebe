"""The public surface is exactly what ``__all__`` declares: no stray public attribute."""

from __future__ import annotations

import importlib
import types

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
