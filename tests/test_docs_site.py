"""The documentation site: generated pages and diagrams are current, and Sphinx builds with -W."""

from __future__ import annotations

import html as html_module
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "docs" / "_tools"


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"docs_tools_{name}", TOOLS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_diagrams_are_what_the_script_draws() -> None:
    """Run `python docs/_tools/diagrams.py` after changing the lifecycle table."""
    rendered = _tool("diagrams").render()
    assert len(rendered) == 2
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is out of date"


def test_the_lifecycle_diagram_shows_every_state_and_transition() -> None:
    from hf_api_governance._model.lifecycle import TRANSITIONS as _TRANSITIONS
    from hf_api_governance._model.values import IntegrationState

    svg = _tool("diagrams").lifecycle_svg()
    for state in IntegrationState:
        assert f">{state.name}</text>" in svg
    for kind, steps in _TRANSITIONS.items():
        if any(source != target for source, target in steps.items()):
            assert kind.value in svg


def test_the_cli_reference_is_what_the_script_writes() -> None:
    """Run `python docs/_tools/cli_reference.py` after changing the hf-gov parser."""
    tool = _tool("cli_reference")
    assert tool.PAGE.read_text(encoding="utf-8") == tool.render()


def test_the_cli_reference_names_every_command_and_option() -> None:
    import argparse

    from hf_api_governance._cli.parser import build_parser

    page = _tool("cli_reference").render()

    def walk(parser: argparse.ArgumentParser, prog: str) -> None:
        for action in parser._actions:
            for option in action.option_strings:
                assert f"`{option}" in page, option
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    assert f"## `{prog} {name}`" in page
                    walk(child, f"{prog} {name}")

    walk(build_parser(), "hf-gov")


API_AREAS = ("facade", "secrets", "registry", "policy", "client", "audit", "testing", "errors")


def test_every_public_name_is_in_the_api_reference_exactly_once() -> None:
    """The Python API is split by area (docs/api/); a new public name must be placed in one."""
    import hf_api_governance

    api = ROOT / "docs" / "api"
    assert sorted(p.stem for p in api.glob("*.md")) == sorted([*API_AREAS, "index"])
    text = "\n".join((api / f"{area}.md").read_text(encoding="utf-8") for area in API_AREAS)
    documented = re.findall(r"^\.\. auto(?:class|function|exception|data):: (\w+)$", text, re.M)
    assert sorted(documented) == sorted(hf_api_governance.__all__)
    index = (api / "index.md").read_text(encoding="utf-8")
    for area in API_AREAS:
        assert f"]({area}.md)" in index, area


@pytest.mark.slow
def test_the_site_builds_offline_with_warnings_as_errors(site: Path) -> None:
    """The ``site`` fixture builds with ``-W --keep-going`` and fails on any warning."""
    assert (site / "index.html").is_file()
    assert (site / "_images" / "lifecycle.svg").is_file()
    assert (site / "api" / "secrets.html").is_file()
    assert (site / "_static" / "custom.css").is_file()


# ------------------------------------------------------------- in a real browser
# The built site, loaded in headless Chromium at a laptop's and a phone's width.
# Every page is loaded in an iframe of that width by a small harness page
# served with the site from 127.0.0.1; a script measures the layout and writes
# its findings into the harness, which Chromium prints with --dump-dom.
# Without Chromium these tests skip, unless HF_GOV_REQUIRE_BROWSER=1 (CI sets
# it), where they fail.

WIDTHS = (1280, 390)
BRAND = "hf_api_governance"

MEASURE_JS = r"""
const WIDTHS = %(widths)s, PAGES = %(pages)s, BRAND = %(brand)s;

function describe(el) {
  const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
  const name = typeof el.className === "string" ? el.className.split(" ")[0] : "";
  return `<${el.tagName.toLowerCase()}${name ? "." + name : ""}> "${text}"`;
}

function lines(el) {  // how many lines the element's text takes
  const range = el.ownerDocument.createRange();
  range.selectNodeContents(el);
  const boxes = [...range.getClientRects()].filter(r => r.width > 0);
  return new Set(boxes.map(r => Math.round(r.top))).size;
}

function check(d) {
  const win = d.defaultView, vw = d.documentElement.clientWidth, problems = [];
  const PHONE = vw < 600;
  const width = d.documentElement.scrollWidth;
  if (width > vw + 1) problems.push(`the page scrolls sideways (${width}px in ${vw}px)`);
  const article = d.querySelector("article");
  if (!article) problems.push("no <article>");
  const scrolling = [];  // boxes already reported: what is inside them is not reported again
  for (const el of article ? article.querySelectorAll("*") : []) {
    if (el.closest("div.highlight")) continue;  // code blocks scroll inside their own box
    // on a phone, so may a table too wide for it (numbers are not broken between digits)
    if (PHONE && el.matches("div.table-wrapper") && el.scrollWidth > el.clientWidth) {
      scrolling.push(el);
      continue;
    }
    if (scrolling.some(box => box.contains(el))) continue;
    if (el.getClientRects().length === 0) continue;  // not displayed
    const overflowX = win.getComputedStyle(el).overflowX;
    if (overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
      scrolling.push(el);
      const size = `${el.scrollWidth}px in ${el.clientWidth}px`;
      problems.push(`${describe(el)} scrolls sideways or is cut (${size})`);
      continue;
    }
    const right = Math.round(el.getBoundingClientRect().right);
    if (right > vw + 1) {
      problems.push(`${describe(el)} sticks out of the page: right edge ${right}px of ${vw}px`);
    }
  }
  const outputs = "div.highlight-text pre, div.highlight-console pre";
  for (const pre of article ? article.querySelectorAll(outputs) : []) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const size = `${pre.scrollWidth}px in ${pre.clientWidth}px`;
      problems.push(`an output block scrolls sideways (${size}): ${describe(pre)}`);
    }
  }
  for (const heading of article ? article.querySelectorAll("h1, h2, h3") : []) {
    const walker = d.createTreeWalker(heading, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      // a word may wrap after a hyphen, a slash or a dot (hf-gov keys change-passphrase)
      for (const word of node.data.matchAll(/[^\s\-\/.]+[\-\/.]?/g)) {
        const range = d.createRange();
        range.setStart(node, word.index);
        range.setEnd(node, word.index + word[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (tops.size > 1) {
          problems.push(`the heading ${describe(heading)} breaks inside the word "${word[0]}"`);
        }
      }
    }
  }
  let titles = 0;
  for (const el of d.querySelectorAll(".sidebar-brand-text, .mobile-header .header-center a")) {
    if (el.getClientRects().length === 0) continue;
    titles += 1;
    const text = el.textContent.trim();
    if (text !== BRAND) problems.push(`the site title reads "${text}"`);
    if (lines(el) !== 1) problems.push(`the site title "${text}" takes ${lines(el)} lines`);
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`the site title "${text}" is cut (${el.scrollWidth}px in ${el.clientWidth}px)`);
    }
    const box = el.closest(".sidebar-sticky, .sidebar-container, .mobile-header") || d.body;
    if (el.getBoundingClientRect().right > box.getBoundingClientRect().right + 1) {
      problems.push(`the site title "${text}" sticks out of its box`);
    }
  }
  return {vw, titles, problems};
}

function load(page, width) {
  return new Promise((resolve) => {
    const frame = document.createElement("iframe");
    frame.style.cssText = `width:${width}px;height:1600px;border:0`;
    frame.onload = () => {
      let result;
      try { result = check(frame.contentDocument); }
      catch (e) { result = {vw: 0, titles: 0, problems: ["the check failed: " + e]}; }
      frame.remove();
      resolve({page, width, ...result});
    };
    frame.src = "/" + page;
    document.body.appendChild(frame);
  });
}

(async () => {
  const results = [];
  for (const width of WIDTHS) for (const page of PAGES) results.push(await load(page, width));
  document.getElementById("result").textContent = JSON.stringify(results);
})();
"""


def _browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module with -W (the build test checks the build itself)."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    pytest.importorskip("furo")
    out = tmp_path_factory.mktemp("site")
    command = [
        *(sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"),
        *("-d", str(out / "doctrees"), str(ROOT / "docs"), str(out / "html")),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    return out / "html"


def _content_pages(html: Path) -> list[str]:
    skipped = {"genindex.html", "search.html", "py-modindex.html"}
    return sorted(
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if p.name not in skipped
        and not p.name.startswith("_")
        # files offered for download (the example HTML report) are not site pages
        and not {"_static", "_downloads"} & set(p.parts)
    )


def _measure(html: Path, pages: list[str]) -> list[dict[str, Any]]:
    browser = _browser()
    if browser is None:
        message = "headless Chromium is not installed (apt-get install chromium)"
        if os.environ.get("HF_GOV_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; HF_GOV_REQUIRE_BROWSER=1 requires it")
        pytest.skip(message)
    script = MEASURE_JS % {
        "widths": json.dumps(WIDTHS),
        "pages": json.dumps(pages),
        "brand": json.dumps(BRAND),
    }
    harness = html / "_browser_check.html"
    harness.write_text(
        '<!doctype html><html><body><pre id="result">pending</pre>'
        f"<script>{script}</script></body></html>",
        encoding="utf-8",
    )

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        command = [
            *(browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"),
            *("--no-first-run", "--virtual-time-budget=120000", "--dump-dom"),
            f"http://127.0.0.1:{server.server_address[1]}/_browser_check.html",
        ]
        with tempfile.TemporaryDirectory() as profile:
            result = subprocess.run(
                [*command[:1], f"--user-data-dir={profile}", *command[1:]],
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
    finally:
        server.shutdown()
        server.server_close()
    found = re.search(r'<pre id="result">(.*?)</pre>', result.stdout, re.DOTALL)
    assert found is not None, f"no result from Chromium (exit {result.returncode})"
    text = html_module.unescape(found.group(1))
    assert text != "pending", "Chromium printed the page before the checks finished"
    measured: list[dict[str, Any]] = json.loads(text)
    return measured


@pytest.fixture(scope="module")
def measured(site: Path) -> list[dict[str, Any]]:
    return _measure(site, _content_pages(site))


@pytest.mark.slow
def test_every_page_was_measured_at_both_widths(site: Path, measured: list[dict[str, Any]]) -> None:
    pages = _content_pages(site)
    assert {"index.html", "getting-started.html", "api/secrets.html"} <= set(pages)
    assert sorted((m["page"], m["width"]) for m in measured) == sorted(
        (p, w) for p in pages for w in WIDTHS
    )
    assert all(m["vw"] == m["width"] for m in measured), "the frames did not get their width"


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_sideways_outside_code_blocks(
    width: int, measured: list[dict[str, Any]]
) -> None:
    """No page scrolls sideways, nothing sticks out, outputs wrap.

    Only code blocks may scroll inside their own box; on a phone, so may a
    table too wide for it (a table of measurements: numbers are never broken
    between digits). Everything else wraps.
    """
    problems = [f"{m['page']}: {p}" for m in measured if m["width"] == width for p in m["problems"]]
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("width", WIDTHS)
def test_the_site_title_is_shown_whole(width: int, measured: list[dict[str, Any]]) -> None:
    """The sidebar (laptop) or header (phone) shows "hf_api_governance" on one line, uncut."""
    assert all(m["titles"] >= 1 for m in measured if m["width"] == width)
    title_problems = [
        f"{m['page']}: {p}"
        for m in measured
        if m["width"] == width
        for p in m["problems"]
        if "site title" in p
    ]
    assert not title_problems, "\n".join(title_problems)


def test_the_browser_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The measuring script itself: a page built to fail each check fails each one."""
    html = tmp_path / "html"
    html.mkdir()
    (html / "bad.html").write_text(
        "<!doctype html><html><head><style>"
        ".sidebar-brand-text{display:block;width:60px;overflow-wrap:anywhere}"
        "</style></head><body>"
        f'<div class="sidebar-container"><div class="sidebar-brand-text">{BRAND}</div></div>'
        "<article><h1 style='width:120px;overflow-wrap:anywhere'>hf_api_governance</h1>"
        "<h2 style='width:120px'>hf-gov keys change-passphrase</h2>"
        "<p style='width:3000px'>wide</p>"
        "<div class='highlight-text'><pre style='overflow:auto;white-space:pre'>"
        f"{'x' * 900}</pre></div>"
        "<div style='overflow-x:auto;width:200px'><table><tr><td style='white-space:nowrap'>"
        f"{'y' * 300}</td></tr></table></div>"
        "<div class='highlight'><pre style='overflow:auto'>"
        f"{'z' * 900}</pre></div>"
        "</article></body></html>",
        encoding="utf-8",
    )
    [result] = [m for m in _measure(html, ["bad.html"]) if m["width"] == WIDTHS[0]]
    problems = "\n".join(result["problems"])
    assert "the page scrolls sideways" in problems
    assert '<p> "wide" sticks out of the page' in problems
    assert "an output block scrolls sideways" in problems
    assert '<div> "yyyy' in problems  # the scrolling table box
    assert f'the site title "{BRAND}" takes' in problems
    assert 'breaks inside the word "hf_api_governance"' in problems
    assert "change-passphrase" not in problems  # wrapping after a hyphen is fine
    assert "zzzz" not in problems  # code blocks may scroll
