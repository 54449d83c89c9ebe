"""Shared by the report tests and ``tests/refresh_golden.py``: the golden cases, a big inventory.

Golden files (``tests/golden/``) hold what ``hf-gov check`` writes for the
example inventory at a fixed ``--at``, one per format. The version of the
package is replaced by ``<version>`` when comparing, so a release does not
change them. Refresh them after changing a format, from the repository root::

    python tests/refresh_golden.py
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from hf_api_governance import Integration, Licence, dump_inventory
from hf_api_governance._cli.main import main
from hf_api_governance._report.model import installed_version

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/inventory.toml"
AT = "2026-11-26"
GOLDEN = ROOT / "tests" / "golden"
DOCS_EXAMPLE_PAGE = ROOT / "docs" / "_static" / "example-posture.html"
"""The posture page of the example inventory, linked from docs/reports.md (a golden copy)."""

GOLDEN_CASES: dict[str, list[str]] = {
    "example.table.txt": ["check", EXAMPLE, "--at", AT],
    "example.json": ["check", EXAMPLE, "--at", AT, "--format", "json"],
    "example.sarif": ["check", EXAMPLE, "--at", AT, "--format", "sarif"],
    "example.junit.xml": ["check", EXAMPLE, "--at", AT, "--format", "junit"],
    "example.md": ["check", EXAMPLE, "--at", AT, "--format", "markdown"],
    "example.html": ["check", EXAMPLE, "--at", AT, "--format", "html"],
    "example-problems.md": [
        "check",
        EXAMPLE,
        "--at",
        AT,
        "--format",
        "markdown",
        "--only-problems",
    ],
    "example-provision.junit.xml": [
        *("check", EXAMPLE, "--at", "2027-02-01", "--action", "provision"),
        *("--format", "junit"),
    ],
}
"""Golden file name -> ``hf-gov`` arguments (run from the repository root)."""


@contextlib.contextmanager
def cwd(path: Path) -> Iterator[None]:
    """Run inside ``path``."""
    saved = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(saved)


def hf_gov(argv: list[str], where: Path = ROOT) -> tuple[int, str, str]:
    """Run ``hf-gov`` in this process inside ``where``; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with cwd(where):
        status = main(argv, out=out, err=err)
    return status, out.getvalue(), err.getvalue()


def normalise(text: str) -> str:
    """``text`` with the installed version written ``<version>``."""
    return text.replace(installed_version(), "<version>")


def golden_output(name: str) -> str:
    """What ``hf-gov`` writes today for golden case ``name``."""
    status, out, err = hf_gov(GOLDEN_CASES[name])
    assert status in (0, 1), err
    return out


# ------------------------------------------------------------------ big inventory


def big_inventory(path: Path, count: int = 200, at: date = date(2026, 11, 26)) -> int:
    """Write an inventory of ``count`` integrations with every licence status; return the licences.

    Ids, names and scopes are long on purpose (up to the 64-character id
    limit), some integrations have two licences, one in eleven has none.
    """
    items = []
    licences = 0
    for n in range(count):
        mimecast = n % 5 == 0
        offset = (n * 37) % 500 - 150  # days from ``at`` to the end: past and future
        ident = f"integration-{n:03d}" + ("-" + "long-name" * 6)[: 64 - 16] if n % 7 == 0 else ""
        ident = ident or f"integration-{n:03d}"
        lic: list[Licence] = []
        if mimecast:
            lic.append(
                Licence(
                    "Mimecast",
                    f"Human Factors: service subscription number {n} for the whole company",
                    at + timedelta(days=offset - 365),
                    at + timedelta(days=offset),
                )
            )
        elif n % 11 != 0:
            lic.append(
                Licence(
                    f"Vendor {n}",
                    f"API scope {n}" + (" with a very long description of what it covers" * 3),
                    at + timedelta(days=offset - 200),
                    at + timedelta(days=offset),
                    reference=f"REF-{n:05d}",
                )
            )
            if n % 3 == 0:  # a renewal that starts later
                lic.append(
                    Licence(
                        f"Vendor {n}",
                        f"API scope {n} (renewal)",
                        at + timedelta(days=offset + 1),
                        None if n % 6 == 0 else at + timedelta(days=offset + 366),
                    )
                )
        licences += len(lic)
        items.append(
            Integration(
                id=ident,
                name=f"Integration number {n} " + "with a long human name " * (n % 4),
                service=("engage", "aware", "incydr")[n % 3],
                kind="mimecast_api" if mimecast else "third_party_api",
                vendor="Mimecast" if mimecast else f"Vendor {n}",
                base_url=f"https://api{n}.example.com/v1/" + "segment/" * (n % 5),
                owner=f"team-{n}@example.com",
                credential=f"entry-{n}",
                licences=tuple(lic),
            )
        )
    dump_inventory(items, path)
    return licences
