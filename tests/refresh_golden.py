"""Refresh the golden files of ``hf-gov check`` (tests/golden/) and the docs' example page.

Run from anywhere after changing a report format, then review the diff::

    python tests/refresh_golden.py

``tests/test_report.py`` fails until the files match what ``hf-gov`` writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.report_support import (
    DOCS_EXAMPLE_PAGE,
    GOLDEN,
    GOLDEN_CASES,
    golden_output,
    normalise,
)


def main() -> int:
    """Write every golden file; print the ones that changed."""
    GOLDEN.mkdir(exist_ok=True)
    targets = [(GOLDEN / name, name) for name in GOLDEN_CASES]
    targets.append((DOCS_EXAMPLE_PAGE, "example.html"))
    for path, name in targets:
        text = golden_output(name)
        if path.parent == GOLDEN:
            text = normalise(text)
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"refreshed {path.relative_to(GOLDEN.parent.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
