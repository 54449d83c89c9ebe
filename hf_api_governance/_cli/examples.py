"""``hf-gov init --example [DIR]``: write the example material that ships with the package.

The repository's ``examples/`` folder is installed as package data
(``hf_api_governance/_examples/``, see ``[tool.setuptools]`` in
``pyproject.toml``): the example inventory, the demo policy package with its
tests, and the example scripts. The getting-started page and the tutorials
begin by writing it into an empty folder, so they run from an installed
package, outside a clone.

Writing is safe to repeat: a file that is already there with the same bytes
is left alone, and a file that differs (you edited it) is never overwritten:
the command refuses before writing anything and names it. Symbolic links and
anything that is not a regular file or directory are refused the same way.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath
from typing import TextIO

import attrs

from hf_api_governance._base.files import atomic_write
from hf_api_governance._cli.parser import UsageError

__all__ = [
    "DEFAULT_EXAMPLE_DIR",
    "ExampleCopy",
    "example_material",
    "run_init_example",
    "write_examples",
]

DEFAULT_EXAMPLE_DIR = "examples"
"""Where ``hf-gov init --example`` writes when no folder is given (the layout of a clone)."""

_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache"})
_MAX_LISTED_CONFLICTS = 5


@attrs.frozen
class ExampleCopy:
    """What :func:`write_examples` did.

    Attributes:
        written: Relative paths (POSIX form) of the files written.
        unchanged: Relative paths of the files already there with the same content.
    """

    written: tuple[str, ...]
    unchanged: tuple[str, ...]


def _material_root() -> Traversable:
    """The installed example material, or ``examples/`` of a source checkout.

    An installed package (wheel, editable or not) has it as package data. A
    checkout run without installing (``PYTHONPATH=.``, an unpacked sdist)
    has no ``hf_api_governance/_examples``; its ``examples/`` folder is used,
    but only beside this project's own ``pyproject.toml``.
    """
    installed = files("hf_api_governance").joinpath("_examples")
    if installed.is_dir():
        return installed
    checkout = Path(__file__).resolve().parents[2]
    pyproject = checkout / "pyproject.toml"
    if (
        (checkout / DEFAULT_EXAMPLE_DIR / "inventory.toml").is_file()
        and pyproject.is_file()
        and 'name = "hf-api-governance"' in pyproject.read_text(encoding="utf-8")
    ):
        return checkout / DEFAULT_EXAMPLE_DIR
    raise UsageError("the example material is not installed with this copy of hf_api_governance")


def _walk(node: Traversable, prefix: PurePosixPath) -> Iterator[tuple[PurePosixPath, bytes]]:
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = child.name
        if name.startswith(".") or name in _SKIPPED_DIRS or name.endswith((".pyc", ".pyo")):
            continue
        if child.is_dir():
            yield from _walk(child, prefix / name)
        elif child.is_file():
            yield prefix / name, child.read_bytes()


def example_material() -> dict[str, bytes]:
    """Every file of the example material, by relative POSIX path, in sorted order.

    Returns:
        The files' bytes by path (``inventory.toml``, ``policies/acme_policies/__init__.py``...).

    Raises:
        UsageError: This copy of the package has no example material.
    """
    return {str(path): data for path, data in _walk(_material_root(), PurePosixPath())}


def _check_target(dest: Path, relative: str, data: bytes) -> str | None:
    """``"write"``, ``"same"``, or ``None`` when ``dest/relative`` must not be touched."""
    current = dest
    for part in PurePosixPath(relative).parts[:-1]:
        current = current / part
        if current.is_symlink() or (current.exists() and not current.is_dir()):
            return None
    target = dest / relative
    if target.is_symlink():
        return None
    if not target.exists():
        return "write"
    if not target.is_file():
        return None
    with target.open("rb") as handle:  # read at most one byte more than the example
        same = handle.read(len(data) + 1) == data
    return "same" if same else None


def write_examples(dest: Path) -> ExampleCopy:
    """Write the example material into ``dest``, creating it; never overwrite a different file.

    Every target is checked before anything is written: when one exists and
    differs from the example (or is a symbolic link, a directory, a device),
    nothing is written. Files already there with the same bytes are left
    alone, so running it again changes nothing. Each file is written all or
    nothing (a temporary file renamed into place).

    Args:
        dest: The folder to write into (created with its parents if missing).

    Returns:
        What was written and what was already there.

    Raises:
        UsageError: ``dest`` is not a folder, or some files differ from the
            example (they are named), or the material is not installed.
        OSError: A file could not be written (those written before it stay:
            run again once the cause is fixed).
    """
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise UsageError(f"{dest}: not a folder (give a new or existing folder)")
    material = example_material()
    plan = {relative: _check_target(dest, relative, data) for relative, data in material.items()}
    conflicts = [relative for relative, step in plan.items() if step is None]
    if conflicts:
        shown = ", ".join(str(dest / c) for c in conflicts[:_MAX_LISTED_CONFLICTS])
        more = len(conflicts) - _MAX_LISTED_CONFLICTS
        extra = f" and {more} more" if more > 0 else ""
        raise UsageError(
            f"{shown}{extra}: already there and not the example's (edited, or not a regular "
            f"file); nothing was written: remove {'it' if len(conflicts) == 1 else 'them'}, "
            "or give another folder "
            "(hf-gov init --example DIR)"
        )
    written = []
    for relative, step in plan.items():
        if step == "write":
            target = dest / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, [material[relative]], mode=0o644)
            written.append(relative)
    unchanged = tuple(relative for relative, step in plan.items() if step == "same")
    return ExampleCopy(written=tuple(written), unchanged=unchanged)


def run_init_example(folder: str, out: TextIO) -> int:
    """``hf-gov init --example [DIR]``: write the material, say what was done and what to try.

    Args:
        folder: The ``--example`` value (default :data:`DEFAULT_EXAMPLE_DIR`).
        out: Where the report goes.

    Returns:
        0 (failures raise).

    Raises:
        UsageError: See :func:`write_examples`.
    """
    dest = Path(folder)
    copy = write_examples(dest)
    for relative in copy.written:
        out.write(f"wrote {dest / relative}\n")
    out.write(
        f"example material in {dest}: {len(copy.written)} files written, "
        f"{len(copy.unchanged)} already there\n"
    )
    inventory = shlex.quote(str(dest / "inventory.toml"))
    out.write(f"try: hf-gov check {inventory}\n")
    return 0
