"""Sphinx configuration: MyST Markdown pages, autodoc with Google docstrings, the Furo theme.

Build (the ``docs`` extra alone is enough):
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

Nothing here fetches anything at build time (no intersphinx; Furo ships its
assets in its wheel), so the site builds without network.

Theme: Furo, the theme readers of Python library docs know from attrs, pip,
urllib3, Black and others: a readable measure of text, a sidebar that
collapses into a drawer on a phone, light and dark modes, and a search that
works offline. ``_static/custom.css`` adds what this site needs on top: output
blocks wrap instead of scrolling (a finding's advice is at the end of a long
line), and the project name in the sidebar never breaks inside the word.
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
myst_enable_extensions = ["colon_fence", "substitution"]
myst_substitutions = {"release": release}

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # "Attributes:" sections do not duplicate attrs fields

html_theme = "furo"
html_title = "hf_api_governance"  # the version is in the page footer and on the first page
html_short_title = "hf_api_governance"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "navigation_with_keys": True,
    "top_of_page_buttons": [],
    "footer_icons": [],
}
