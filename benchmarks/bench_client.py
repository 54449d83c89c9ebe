"""Governed GET vs bare requests.Session GET against the same local server.

Run: ``python benchmarks/bench_client.py [calls] [block] [--profile]``.

The governed side is what users run: a real :class:`Registry` on a SQLite
file (WAL), a real :class:`PolicyEngine` with the built-in clause policies and
a real :class:`Keystore` file; the integration has a licence, a verified
enablement and a few events of history. The bare side is a
:class:`requests.Session` sending the same bearer token. Both reuse their
connection to one local server; calls are interleaved in blocks (bare first,
then governed first, alternately) so that drift in machine load hits both
alike. Prints the median-of-blocks time per call of each and the median ratio
of adjacent block pairs (target: at most 1.10).

``--profile`` runs the governed calls alone under :mod:`cProfile` instead and
prints the top functions by cumulative and by own time.
"""

from __future__ import annotations

import cProfile
import platform
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hf_api_governance import (
    GovernedSession,
    Keystore,
    PolicyEngine,
    Registry,
    Secret,
    SuspensionCause,
)
from tests.client_support import TOKEN, integration
from tests.servers import LocalServer, Reply


def _block(session: requests.Session, url: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        response = session.get(url)
        response.raise_for_status()
    return (time.perf_counter() - start) / n


def _registry(path: Path, base_url: str) -> Registry:
    registry = Registry.open(path)
    item = integration(base_url)
    registry.register(item, actor="bench")
    registry.activate(item.id, actor="bench")
    registry.verify_info(item.id, actor="bench", at=datetime.now(UTC) - timedelta(days=1))
    # A little history, as a live integration has: a suspension and its reinstatement.
    registry.suspend(item.id, cause=SuspensionCause.MANUAL, reason="maintenance", actor="bench")
    registry.reinstate(item.id, reason="maintenance over", actor="bench")
    return registry


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    profile = "--profile" in sys.argv
    calls = int(args[0]) if args else 2000
    block = int(args[1]) if len(args) > 1 else 50
    workdir = tempfile.TemporaryDirectory()
    directory = Path(workdir.name)
    server = LocalServer()
    server.route("GET", "/v1/items", Reply(200, body={"data": [1, 2, 3], "meta": {}}))
    url = server.url + "/v1/items"
    registry = _registry(directory / "registry.db", server.url)
    keystore = Keystore.create(directory / "keys.hfks", key=Keystore.generate_key())
    keystore.put("acme-token", Secret(TOKEN, label="acme-token"))
    engine = PolicyEngine()
    governed = GovernedSession(registry, "acme-api", keystore=keystore, engine=engine)
    bare = requests.Session()
    bare.headers["Authorization"] = f"Bearer {TOKEN}"
    bare_times: list[float] = []
    governed_times: list[float] = []
    try:
        for session in (governed, bare):  # warm up connections and caches
            _block(session, url, 50)
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            _block(governed, url, calls)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(30)
            stats.sort_stats("tottime").print_stats(25)
            return 0
        for i in range(calls // block):
            first, second = (bare, governed) if i % 2 == 0 else (governed, bare)
            for session in (first, second):
                spent = _block(session, url, block)
                (bare_times if session is bare else governed_times).append(spent)
    finally:
        governed.close()
        bare.close()
        server.close()
        registry.close()
        keystore.close()
        workdir.cleanup()
    bare_us = statistics.median(bare_times) * 1e6
    governed_us = statistics.median(governed_times) * 1e6
    # Each pair of adjacent blocks ran under the same load: their ratio is robust.
    pair_ratio = statistics.median(g / b for g, b in zip(governed_times, bare_times, strict=True))
    print(f"python {platform.python_version()} on {platform.machine()}, calls={calls} each")
    print("governed: Registry on a SQLite file, PolicyEngine (built-ins), Keystore file")
    print(f"bare requests.Session GET: {bare_us:8.1f} us/call (median of {len(bare_times)} blocks)")
    print(f"GovernedSession GET:       {governed_us:8.1f} us/call")
    print(f"ratio of medians:          {governed_us / bare_us:8.3f}")
    print(f"ratio governed/bare:       {pair_ratio:8.3f} (median of paired blocks; target <= 1.10)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
