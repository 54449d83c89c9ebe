"""Links that leave the repository: the README as a package index shows it, and the Project-URLs.

A package index page (PyPI or a company index) renders README.md without the
repository around it, so every link in it is absolute; links into the
documentation site point at pages that exist in docs/.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
URLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
DOCS_URL = URLS["Documentation"]

INLINE = re.compile(r"\]\(([^)\s]+)\)")
REFERENCE = re.compile(r"^\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
BARE = re.compile(r"(?<![(<\[])\bhttps?://[^\s)>\]]+")


def links(text: str) -> list[str]:
    """Every link target of a Markdown text (inline, reference, autolink, bare URL)."""
    found = [*INLINE.findall(text), *REFERENCE.findall(text), *AUTOLINK.findall(text)]
    return [*found, *BARE.findall(text)]


@pytest.mark.parametrize("name", ["README.md", "examples/README.md"])
def test_every_link_is_absolute_and_into_the_docs_goes_to_a_page_that_exists(name: str) -> None:
    text = (ROOT / name).read_text(encoding="utf-8")
    targets = links(text)
    assert targets, name
    for target in targets:
        if target.startswith("#"):
            continue
        assert target.startswith("https://"), f"{name}: {target} breaks on a package index page"
        if target.startswith(DOCS_URL):
            page = target.removeprefix(DOCS_URL).split("#")[0] or "index.html"
            assert page.endswith(".html"), target
            source = ROOT / "docs" / page.removesuffix(".html")
            assert source.with_suffix(".md").is_file(), f"{name}: {target}: no such page in docs/"


def test_the_readme_links_the_getting_started_page_and_the_clause_map() -> None:
    targets = links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert f"{DOCS_URL}getting-started.html" in targets
    assert f"{DOCS_URL}concepts.html" in targets


def test_the_project_urls_are_declared_and_share_one_home() -> None:
    assert set(URLS) == {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
    assert all(url.startswith("https://") for url in URLS.values())
    assert DOCS_URL.endswith("/")
    assert URLS["Issues"].startswith(URLS["Source"])
    assert URLS["Changelog"] == f"{DOCS_URL}changelog.html"


def test_the_readme_fences_the_commands_ci_runs() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for marker in ("main-job", "test-command", "docs-command"):
        block = re.search(rf"<!-- {marker} -->\n```sh\n(.+?)\n```\n<!-- /{marker} -->", text, re.S)
        assert block is not None, marker
    docs = re.search(r"<!-- docs-command -->\n```sh\n(.+?)\n```", text, re.S)
    assert docs is not None
    assert "'.[docs]'" in docs.group(1)  # the docs extra alone, in its own environment
    assert "-W" in docs.group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_command docs-command" in ci
    assert "export HF_GOV_REQUIRE_BROWSER=1" in ci
