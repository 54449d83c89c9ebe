"""Refresh the ``hf-gov`` outputs shown in docs pages (``<!-- hf-gov-output: ... -->`` blocks).

Run from the repository root after changing what ``hf-gov`` prints::

    python docs/_tools/refresh_outputs.py

Each page runs as the test suite runs it (``tests/test_docs.py``: its Python
blocks, its files, its ``export`` lines, in a scratch folder with the example
material), so a command shown after a tutorial's steps sees what those steps
made; each ``hf-gov-output`` block is then replaced by what the command
printed. A command whose exit code differs from the one in its marker stops
the tool and changes nothing. The test suite fails until the pages match.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def refresh(page: Path) -> bool:
    """Rewrite the outputs in ``page``; return whether it changed."""
    from tests.test_docs import FENCE, run_page

    outputs: dict[int, str] = {}
    with tempfile.TemporaryDirectory(prefix="hf-gov-refresh-") as scratch:
        run_page(page, Path(scratch) / "work", refreshed=outputs)
    text = page.read_text(encoding="utf-8")
    pieces: list[str] = []
    end = 0
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line in outputs:
            pieces.append(text[end : match.start("body")])
            pieces.append(outputs[line])
            end = match.end("body")
    new = "".join(pieces) + text[end:]
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    """Refresh every page under docs/."""
    sys.path.insert(0, str(ROOT))
    for page in sorted(p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts):
        if "hf-gov-output:" in page.read_text(encoding="utf-8") and refresh(page):
            print(f"refreshed {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
