"""The package as users get it: the sdist, the wheel built from it, and an environment with it.

Built once per test session (the functions are cached by the session's
temporary base folder), offline: the sdist with setuptools' build backend in
this interpreter, the wheel from the unpacked sdist with
``pip wheel --no-build-isolation --no-index`` (so nothing stale from a
``build/`` folder of the checkout gets in), and a virtual environment that
installs the wheel with ``--no-deps`` and sees this interpreter's
dependencies through a ``.pth`` file naming a folder of links to them (never
to an installed ``hf_api_governance``, so only the wheel's copy is
importable). The environment is created by this interpreter's base Python,
with the same version as the dependencies it sees.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_DEPENDENCIES = ("hf_api_governance", "__editable__", "_hf_gov", "pip", "_distutils_hack")


def _run(command: list[str], cwd: Path | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_FIND_LINKS")}
    result = subprocess.run(
        command, cwd=cwd, env=clean, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@functools.cache
def sdist(base: Path) -> Path:
    """The sdist of the checkout (``hf_api_governance-VERSION.tar.gz``)."""
    out = base / "dist"
    out.mkdir(parents=True, exist_ok=True)
    build = (
        "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    )
    name = _run([sys.executable, "-c", build, str(out)], cwd=ROOT).strip().splitlines()[-1]
    return out / name


@functools.cache
def unpacked_sdist(base: Path) -> Path:
    """The sdist, unpacked (its one top folder)."""
    target = base / "unpacked"
    with tarfile.open(sdist(base)) as archive:
        archive.extractall(target, filter="data")
    [top] = target.iterdir()
    return top


@functools.cache
def wheel(base: Path) -> Path:
    """The wheel, built from the unpacked sdist."""
    out = base / "wheels"
    _run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index"),
            *("--no-build-isolation", "--wheel-dir", str(out), str(unpacked_sdist(base))),
        ]
    )
    [built] = out.glob("hf_api_governance-*.whl")
    return built


@functools.cache
def dependency_links(base: Path) -> Path:
    """A folder of links to this interpreter's installed distributions, but not to this one."""
    links = base / "dependencies"
    links.mkdir()
    seen: set[str] = set()
    for key in ("purelib", "platlib"):
        site = Path(sysconfig.get_paths()[key])
        for entry in sorted(site.iterdir()) if site.is_dir() else []:
            if entry.name in seen or entry.name.startswith(NOT_DEPENDENCIES):
                continue
            if entry.suffix in (".pth", ".egg-link"):
                continue
            seen.add(entry.name)
            (links / entry.name).symlink_to(entry)
    return links


def install(home: Path, base: Path) -> None:
    """Create a virtual environment (with pip) at ``home`` with the wheel, seeing its dependencies.

    ``base`` is the session's folder of built artefacts (see :func:`wheel`).
    """
    venv.EnvBuilder(with_pip=True, symlinks=os.name != "nt").create(home)
    python = home / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(_run([str(python), "-c", purelib]).strip())
    (site / "_hf_gov_test_dependencies.pth").write_text(
        f"{dependency_links(base)}\n", encoding="utf-8"
    )
    _run(
        [
            *(str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
            str(wheel(base)),
        ]
    )
    where = _run(
        [str(python), "-c", "import hf_api_governance as h; print(h.__file__)"], cwd=home
    ).strip()
    assert Path(where).is_relative_to(home), where
