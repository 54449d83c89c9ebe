"""Governed GET vs bare requests.Session GET against the same local server.

Run: ``python benchmarks/bench_client.py [calls] [block] [--rebuild]``. Both sessions reuse
their connection; calls are interleaved in blocks so that drift in machine
load hits both alike. Prints the median-of-blocks time per call of each, and
the median ratio of adjacent block pairs (target: at most 1.10).

The registry, keystore and engine are the in-memory fakes of the test suite:
this measures the client's own overhead; the real registry's ``get`` adds its
SQL queries on top. ``--rebuild`` makes the fake rebuild and validate the
Integration on every ``get`` (about 12 us), closer to a real registry.
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hf_api_governance import GovernedSession
from tests.client_support import TOKEN, world
from tests.servers import LocalServer, Reply


def _block(session: requests.Session, url: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        response = session.get(url)
        response.raise_for_status()
    return (time.perf_counter() - start) / n


class _NoSnapshots(dict[str, Any]):
    """Makes the fake registry rebuild the Integration on every get, as a real one does."""

    def get(self, key: str, default: Any = None) -> Any:
        return None


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rebuild = "--rebuild" in sys.argv
    calls = int(args[0]) if args else 2000
    block = int(args[1]) if len(args) > 1 else 50
    server = LocalServer()
    server.route("GET", "/v1/items", Reply(200, body={"data": [1, 2, 3], "meta": {}}))
    url = server.url + "/v1/items"
    registry, keystore, engine, _ = world(server.url)
    if rebuild:
        registry._snapshots = _NoSnapshots()
    governed = GovernedSession(registry, "acme-api", keystore=keystore, engine=engine)
    bare = requests.Session()
    bare.headers["Authorization"] = f"Bearer {TOKEN}"
    try:
        for session in (governed, bare):  # warm up connections and caches
            _block(session, url, 50)
        bare_times: list[float] = []
        governed_times: list[float] = []
        for i in range(calls // block):
            first, second = (bare, governed) if i % 2 == 0 else (governed, bare)
            for session in (first, second):
                spent = _block(session, url, block)
                (bare_times if session is bare else governed_times).append(spent)
    finally:
        governed.close()
        bare.close()
        server.close()
    bare_us = statistics.median(bare_times) * 1e6
    governed_us = statistics.median(governed_times) * 1e6
    # Each pair of adjacent blocks ran under the same load: their ratio is robust.
    pair_ratio = statistics.median(g / b for g, b in zip(governed_times, bare_times, strict=True))
    print(f"python {platform.python_version()} on {platform.machine()}, calls={calls} each")
    print("registry: " + ("rebuilds the Integration on every get" if rebuild else "snapshot cache"))
    print(f"bare requests.Session GET: {bare_us:8.1f} us/call (median of {len(bare_times)} blocks)")
    print(f"GovernedSession GET:       {governed_us:8.1f} us/call")
    print(f"ratio of medians:          {governed_us / bare_us:8.3f}")
    print(f"ratio governed/bare:       {pair_ratio:8.3f} (median of paired blocks)")
    print(f"registry reads per governed call: {registry.gets / (calls + 50):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
