"""A real headless browser (Debian's ``chromium``) for the HTML report tests.

:func:`require_chromium` finds the browser; without one the browser tests
skip, unless ``HF_GOV_REQUIRE_BROWSER=1`` (set by ``.ci/run``), when they
fail: CI must not pass by skipping them.

Every run goes through :class:`ProxyRecorder`, an HTTP proxy on 127.0.0.1
that records each request the browser tries to make and refuses it: a page
that "makes no network request" leaves it empty. Chromium's own background
traffic is turned off by flags where it can be, and the few calls to its own
services that remain (component updates, network time, the search engine's
host) are left out by
:attr:`ProxyRecorder.page_requests`.

:func:`measure` loads a copy of a page with a measuring script added (and the
page's Content-Security-Policy removed, so that a regression that adds an
external resource shows up as a request instead of being blocked) and
returns what the script found: the layout at 1280 pixels, every timeline bar
and text box, the resources loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

REQUIRE_ENV = "HF_GOV_REQUIRE_BROWSER"
SCREENSHOT_DIR_ENV = "HF_GOV_SCREENSHOT_DIR"
WIDTH, HEIGHT = 1280, 2000


def require_chromium() -> str:
    """The path of the chromium executable; skip (or fail when required) without one."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    message = "chromium is not installed (apt-get install -y chromium)"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}, and {REQUIRE_ENV}=1 requires the browser tests to run")
    pytest.skip(message)


# Chromium's own services, which it calls whatever page it shows (component
# updates, network time, account checks) even with background networking off.
# A request of the page itself goes to any other host.
_BROWSER_OWN = (
    "CONNECT update.googleapis.com:443 ",
    "POST http://update.googleapis.com/service/update2/",
    "GET http://clients2.google.com/time/",
    "CONNECT clients2.google.com:443 ",
    "CONNECT accounts.google.com:443 ",
    "CONNECT optimizationguide-pa.googleapis.com:443 ",
    "CONNECT safebrowsing.googleapis.com:443 ",
    # Chromium 150 (Debian bookworm, what .ci/run installs on a fresh machine)
    # opens connections to its default search engine at start-up, even for an
    # empty local page; no flag found turns all of them off.
    "CONNECT www.google.com:443 ",
)


def _no_google_host(html: str) -> None:
    """Chromium's own requests (left out above) are told apart: the page names no Google host."""
    assert "google" not in html.lower(), (
        "the page names a Google host: its requests could not be told from chromium's own"
    )


class ProxyRecorder:
    """An HTTP proxy on 127.0.0.1 that records the first line of each request and refuses it.

    :attr:`page_requests` leaves out the browser's own service calls.
    """

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = "<no request line>"
                with self._lock:
                    self.requests.append(first)
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    @property
    def page_requests(self) -> list[str]:
        """The requests recorded, without chromium's own service calls."""
        with self._lock:
            return [r for r in self.requests if not r.startswith(_BROWSER_OWN)]

    def close(self) -> None:
        """Stop listening."""
        self._sock.close()


def _run(chromium: str, proxy: ProxyRecorder, profile: Path, *args: str) -> str:
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--proxy-server=http://127.0.0.1:{proxy.port}",
        "--proxy-bypass-list=<-loopback>",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-default-apps",
        "--disable-sync",
        "--disable-extensions",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--metrics-recording-only",
        "--no-pings",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,"
        "Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
        "PreconnectToSearch",
        "--virtual-time-budget=5000",
        *args,
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=profile
    )
    assert result.returncode == 0, f"chromium failed ({result.returncode}): {result.stderr[-2000:]}"
    return result.stdout


# The measuring script: written into a copy of the page, it records the layout.
_MEASURE = r"""
(function () {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    (el.getAttribute("class") ? "." + el.getAttribute("class").replace(/ /g, ".") : "");
  const out = {
    innerWidth: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
    bodyScrollWidth: document.body.scrollWidth,
    outside: [], clipped: [], charts: [],
    resources: performance.getEntriesByType("resource").map((e) => e.name),
  };
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") continue;
    const r = box(el);
    if (r.width > 0 && (r.right > window.innerWidth + 0.5 || r.left < -0.5))
      out.outside.push(name(el));
    const style = getComputedStyle(el);
    if (style.display !== "inline" && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      out.clipped.push(name(el));
  }
  for (const svg of document.querySelectorAll("svg.timeline")) {
    const s = box(svg);
    const vb = svg.viewBox.baseVal;
    const chart = {svg: s, viewWidth: vb.width, bars: [], texts: [],
      barsX: s.left + Number(svg.dataset.barsX), barsRight: s.left + Number(svg.dataset.barsX)
        + Number(svg.dataset.barsWidth), statusX: s.left + Number(svg.dataset.statusX)};
    for (const bar of svg.querySelectorAll("rect.bar")) {
      chart.bars.push({integration: bar.dataset.integration, licence: bar.dataset.licence,
        cls: bar.getAttribute("class"), box: box(bar)});
    }
    for (const t of svg.querySelectorAll("text")) {
      chart.texts.push({cls: t.getAttribute("class"), text: t.textContent, box: box(t)});
    }
    out.charts.push(chart);
  }
  const pre = document.createElement("pre");
  pre.id = "hf-gov-measure";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
"""


def measure(chromium: str, html: str, workdir: Path, proxy: ProxyRecorder) -> dict[str, Any]:
    """Load ``html`` (plus the measuring script, minus its CSP) and return the measurements."""
    _no_google_host(html)
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>\n?', "", html, count=1)
    assert "Content-Security-Policy" not in page
    page = page.replace("</body>", f"<script>{_MEASURE}</script>\n</body>", 1)
    path = workdir / "measure.html"
    path.write_text(page, encoding="utf-8")
    dom = _run(chromium, proxy, workdir / "profile-measure", "--dump-dom", path.as_uri())
    found = re.search(r'<pre id="hf-gov-measure">(.*?)</pre>', dom, re.S)
    assert found, f"the measuring script did not run; DOM starts: {dom[:500]!r}"
    text = (
        found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
    ).replace("&amp;", "&")
    result: dict[str, Any] = json.loads(text)
    return result


def screenshot(chromium: str, page: Path, png: Path, proxy: ProxyRecorder) -> tuple[int, int]:
    """Take a 1280x2000 screenshot of ``page`` as it is; return the PNG's width and height.

    With :data:`SCREENSHOT_DIR_ENV` set, a copy is kept there for people to look at.
    """
    _no_google_host(page.read_text(encoding="utf-8"))
    _run(chromium, proxy, png.parent / "profile-shot", f"--screenshot={png}", page.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    keep = os.environ.get(SCREENSHOT_DIR_ENV)
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(keep) / png.name)
    return width, height
