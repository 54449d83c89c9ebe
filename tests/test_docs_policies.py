"""docs/policies.md cannot rot: every Python block in it runs, in order, in one namespace.

Blocks fenced as ```` ```python ```` are executed; blocks fenced as
```` ```python file=NAME.py ```` are written to an importable module in a
temporary directory first. Then every ``test_*`` function the page defines is
called, with the testing kit's fixtures (``frozen_clock``, ``policy_engine``)
passed by name, as pytest would.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from hf_api_governance import FrozenClock, PolicyEngine
from hf_api_governance.testing import NOW

PAGE = Path(__file__).parents[1] / "docs" / "policies.md"
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str | None, str]]:
    """(file name or None, code) for each Python block of the page, in order."""
    out: list[tuple[str | None, str]] = []
    for match in FENCE.finditer(PAGE.read_text(encoding="utf-8")):
        info, code = match.group(1).strip(), match.group(2)
        target = re.fullmatch(r"file=([A-Za-z_][A-Za-z0-9_]*\.py)", info)
        if info and target is None:
            raise AssertionError(f"unknown python fence option {info!r} in {PAGE.name}")
        out.append((target.group(1) if target else None, code))
    return out


def fixtures() -> dict[str, Any]:
    clock = FrozenClock(NOW)
    return {"frozen_clock": clock, "policy_engine": PolicyEngine(clock=clock)}


def test_the_page_has_blocks_to_run() -> None:
    found = blocks()
    assert len(found) >= 6
    assert any(name is not None for name, _ in found)


def test_every_python_block_of_the_policies_page_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    namespace: dict[str, Any] = {"__name__": "docs_policies"}
    written: list[str] = []
    try:
        for n, (name, code) in enumerate(blocks(), 1):
            if name is not None:
                (tmp_path / name).write_text(code, encoding="utf-8")
                module = name.removesuffix(".py")
                # The page's module, not one of the same name imported earlier
                # (examples/policies/acme_policies); that one is put back after.
                monkeypatch.delitem(sys.modules, module, raising=False)
                written.append(module)
                continue
            try:
                exec(compile(code, f"{PAGE.name}[block {n}]", "exec"), namespace)  # noqa: S102
            except Exception as exc:
                raise AssertionError(f"{PAGE.name} block {n} failed: {exc!r}\n{code}") from exc
        tests = {k: v for k, v in namespace.items() if k.startswith("test_") and callable(v)}
        assert len(tests) >= 5, sorted(tests)
        for test_name, func in tests.items():
            available = fixtures()
            params = inspect.signature(func).parameters
            try:
                func(**{p: available[p] for p in params})
            except Exception as exc:
                raise AssertionError(f"{PAGE.name}: {test_name} failed: {exc!r}") from exc
    finally:
        for module in written:
            sys.modules.pop(module, None)
