"""Refresh the ``hf-gov`` outputs shown in docs pages (``<!-- hf-gov-output: ... -->`` blocks).

Run from the repository root after changing what ``hf-gov`` prints::

    python docs/_tools/refresh_outputs.py

The test suite (``tests/test_docs.py``) fails until the pages match.
"""

from __future__ import annotations

import io
import re
import shlex
import sys
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(
    r"(<!--\s*hf-gov-output:\s*(?P<args>.*?);\s*exit\s+\d+\s*-->\s*\n```(?:text|json|xml|markdown)\n)"
    r"(?P<body>.*?)(\n```)",
    re.S,
)


def refresh(page: Path) -> bool:
    """Rewrite the outputs in ``page``; return whether it changed."""
    from hf_api_governance._cli.main import main

    text = page.read_text(encoding="utf-8")

    def replace(match: re.Match[str]) -> str:
        out = io.StringIO()
        with redirect_stdout(out):
            main(shlex.split(match.group("args")), out=out, err=io.StringIO())
        return match.group(1) + out.getvalue().rstrip("\n") + match.group(4)

    new = BLOCK.sub(replace, text)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    """Refresh every page under docs/."""
    sys.path.insert(0, str(ROOT))
    for page in sorted((ROOT / "docs").glob("*.md")):
        if refresh(page):
            print(f"refreshed {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
