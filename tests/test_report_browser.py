"""The HTML posture page in a real headless browser: one bar per licence, no overflow, no network.

Chromium opens the page at 1280x2000 CSS pixels, the size the page is laid
out for. Without chromium these tests skip, unless ``HF_GOV_REQUIRE_BROWSER=1``
(``.ci/run`` sets it), when they fail. ``HF_GOV_SCREENSHOT_DIR=DIR`` keeps the
screenshots for people to look at.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hf_api_governance import load_inventory
from tests.browser import HEIGHT, WIDTH, ProxyRecorder, measure, require_chromium, screenshot
from tests.report_support import AT, EXAMPLE, ROOT, big_inventory, hf_gov

pytestmark = pytest.mark.slow  # a browser start takes seconds


@pytest.fixture
def chromium() -> str:
    return require_chromium()


@pytest.fixture
def proxy() -> Iterator[ProxyRecorder]:
    recorder = ProxyRecorder()
    yield recorder
    recorder.close()


def _expected_bars(inventory: Path) -> set[tuple[str, str]]:
    return {(i.id, str(n)) for i in load_inventory(inventory) for n, _ in enumerate(i.licences)}


def _check_page(found: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    """The layout and content checks every page must pass at 1280 pixels."""
    width = found["innerWidth"]
    assert width == WIDTH
    assert found["scrollWidth"] <= width, "the page scrolls sideways"
    assert found["outside"] == [], f"elements reach past the window: {found['outside'][:10]}"
    assert found["clipped"] == [], f"content overflows its box: {found['clipped'][:10]}"
    assert found["resources"] == [], f"the page loaded resources: {found['resources']}"
    bars = [(b["integration"], b["licence"]) for chart in found["charts"] for b in chart["bars"]]
    assert len(bars) == len(expected), "not one bar per licence"
    assert set(bars) == expected
    for chart in found["charts"]:
        svg = chart["svg"]
        assert svg["width"] == chart["viewWidth"], "the timeline is scaled: text would shrink"
        assert svg["right"] <= width
        for bar in chart["bars"]:
            assert bar["box"]["width"] >= 3, f"an invisible bar: {bar}"
            assert svg["left"] <= bar["box"]["left"]
            assert bar["box"]["right"] <= svg["right"]
        labels = sorted(
            (t for t in chart["texts"] if t["cls"] == "label"), key=lambda t: t["box"]["top"]
        )
        statuses = [t for t in chart["texts"] if (t["cls"] or "").startswith("status")]
        for label in labels:  # the label column ends before the bars begin
            assert label["box"]["right"] <= chart["barsX"], f"label runs into the bars: {label}"
        for bar in chart["bars"]:
            assert chart["barsX"] - 0.5 <= bar["box"]["left"]
            assert bar["box"]["right"] <= chart["barsRight"] + 0.5
        for status in statuses:  # the status column starts after the bars, ends in the chart
            assert status["box"]["left"] >= chart["statusX"] - 0.5, f"status misplaced: {status}"
            assert status["box"]["right"] <= svg["right"], f"status cut off: {status}"
        for above, below in itertools.pairwise(labels):
            assert above["box"]["bottom"] <= below["box"]["top"] + 0.5, "labels overlap"
        ticks = [t for t in chart["texts"] if (t["cls"] or "").startswith("tick")]
        for tick in ticks:
            assert chart["barsX"] <= tick["box"]["left"]
            assert tick["box"]["right"] <= chart["barsRight"] + 0.5, f"tick past the bars: {tick}"
        for a, b in itertools.pairwise(ticks):
            if a["box"]["top"] == b["box"]["top"]:
                assert a["box"]["right"] <= b["box"]["left"], f"ticks overlap: {a} {b}"


def test_the_example_page_in_a_browser(chromium: str, proxy: ProxyRecorder, tmp_path: Path) -> None:
    """One bar per licence, nothing overflows at 1280 px, no network request, a screenshot."""
    status, html, _ = hf_gov(["check", EXAMPLE, "--at", AT, "--format", "html"])
    assert status == 1
    found = measure(chromium, html, tmp_path, proxy)
    _check_page(found, _expected_bars(ROOT / EXAMPLE))
    page = tmp_path / "posture.html"
    page.write_text(html, encoding="utf-8")
    assert screenshot(chromium, page, tmp_path / "example-posture.png", proxy) == (WIDTH, HEIGHT)
    assert proxy.page_requests == [], f"the page tried to reach the network: {proxy.requests}"


def test_a_page_of_200_integrations_stays_readable(
    chromium: str, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    """200 integrations with long ids and scopes: every bar, nothing cut or overlapping."""
    inventory = tmp_path / "big.toml"
    count = big_inventory(inventory, 200)
    status, html, err = hf_gov(["check", str(inventory), "--at", AT, "--format", "html"])
    assert status == 1, err
    found = measure(chromium, html, tmp_path, proxy)
    expected = _expected_bars(inventory)
    assert len(expected) == count > 200
    _check_page(found, expected)
    page = tmp_path / "posture-200.html"
    page.write_text(html, encoding="utf-8")
    assert screenshot(chromium, page, tmp_path / "posture-200.png", proxy) == (WIDTH, HEIGHT)
    assert proxy.page_requests == [], f"the page tried to reach the network: {proxy.requests}"


def test_the_proxy_sees_a_page_that_fetches(
    chromium: str, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    """The network check can fail: a page with an external image is caught."""
    html = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'\"></head><body>"
        '<img src="http://fonts.example.invalid/logo.png"></body></html>'
    )
    measure(chromium, html, tmp_path, proxy)
    assert any("fonts.example.invalid" in r for r in proxy.page_requests), proxy.requests
