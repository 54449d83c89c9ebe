"""Sphinx configuration: MyST Markdown pages, autodoc with Google docstrings, built offline.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
Nothing here fetches anything at build time (no intersphinx, the built-in
``alabaster`` theme), so the site builds without network.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document the checkout, not an installed copy

import hf_api_governance

project = "hf_api_governance"
author = "hf_api_governance developers"
copyright = "hf_api_governance developers"
release = hf_api_governance.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "_tools", "Thumbs.db", ".DS_Store"]

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # "Attributes:" sections do not duplicate attrs fields

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"hf_api_governance {release}"
html_theme_options = {
    "description": "Govern Mimecast Human Factors API integrations",
    "fixed_sidebar": True,
}
