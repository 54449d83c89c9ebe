"""Refresh the golden files of ``hf-gov check`` (tests/golden/) and the docs' example page.

Run from anywhere after changing a report format, then review the diff::

    python tests/refresh_golden.py

``tests/test_report.py`` fails until the files match what ``hf-gov`` writes.
When ``chromium`` is installed, the screenshot shown in docs/reports.md is
taken again too (it illustrates; no test compares it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
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
    _screenshot(DOCS_EXAMPLE_PAGE, DOCS_EXAMPLE_PAGE.with_suffix(".png"))
    return 0


def _screenshot(page: Path, png: Path) -> None:
    """The top of ``page`` at 1280x1000, the window it is laid out for (when chromium is here)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print(f"chromium not found: {png.name} left as it is")
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                *(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"),
                *(f"--user-data-dir={profile}", "--window-size=1280,1000"),
                *(f"--screenshot={png}", page.as_uri()),
            ],
            capture_output=True,
            timeout=120,
            check=True,
            cwd=profile,
        )
    print(f"took {png.relative_to(GOLDEN.parent.parent)}")


if __name__ == "__main__":
    raise SystemExit(main())
