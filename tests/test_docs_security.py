"""docs/security.md, "Confidential values and redaction": every Python block runs.

The blocks run in order in one namespace, after a prelude that defines the
placeholder values the page uses (``api_key_from_stdin``, ``aware_key``...).
Logging configuration changed by the blocks is restored afterwards.
"""

from __future__ import annotations

import logging
import pkgutil
import re
from pathlib import Path
from typing import Any

from hf_api_governance import RedactingFilter, Secret

PAGE = Path(__file__).parents[1] / "docs" / "security.md"
FENCE = re.compile(r"^```python\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index("## Confidential values and redaction")
    following = text.find("\n## ", start + 1)
    return text[start : following if following != -1 else len(text)]


def test_every_python_block_of_the_redaction_section_runs() -> None:
    blocks = FENCE.findall(section())
    assert len(blocks) >= 3
    namespace: dict[str, Any] = {
        "__name__": "docs_security",
        "api_key_from_stdin": "CANARYdocs-api-key-0001",
        "aware_key": Secret("CANARYdocs-aware-0001"),
        "incydr_client_secret": Secret("CANARYdocs-incydr-0001"),
        "fresh_access_token": Secret("CANARYdocs-token-0001"),
    }
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        for number, code in enumerate(blocks, 1):
            exec(compile(code, f"{PAGE.name} block {number}", "exec"), namespace)  # noqa: S102
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    assert namespace["key"].reveal() == "CANARYdocs-api-key-0001"
    assert isinstance(namespace["redaction"], RedactingFilter)
    factory = namespace["LOGGING"]["filters"]["redact"]["()"]
    assert pkgutil.resolve_name(factory) is RedactingFilter
