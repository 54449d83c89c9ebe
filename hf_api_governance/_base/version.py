"""The package's version, in one place every layer may read (``hf-gov --version`` included)."""

from __future__ import annotations

from typing import Final

__all__ = ["VERSION"]

VERSION: Final = "0.1.0.dev0"
"""This release's version: ``version`` in ``pyproject.toml`` and ``__version__`` (tested)."""
