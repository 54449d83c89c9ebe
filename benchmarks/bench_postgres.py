"""The registry on PostgreSQL vs SQLite: governed-call overhead, propagation, writes.

Run: ``python benchmarks/bench_postgres.py [--calls N] [--rounds N] [--url URL]``.

Without ``--url`` it starts a throw-away PostgreSQL cluster from the system
binaries, as the tests do (tests/pg_support.py: unix socket, ``fsync`` off);
with ``--url`` it uses an empty database you give (a real server: fsync on).

1. Governed-call overhead: a bare :class:`requests.Session` ``GET`` and a
   :class:`GovernedSession` ``GET`` over a registry on a SQLite file and on
   PostgreSQL, against the same local server, in interleaved blocks; each
   ratio is the median of the ratios of adjacent blocks.
2. Propagation: another process (a "host") revokes an integration, or
   suspends one, while this process calls it through a governed session in
   a loop; the latency is from the moment ``revoke()``/``suspend()`` returned
   in the other process to the first denied call here (same machine clock).
   p50 and p99 over ``--rounds`` changes, per store.
3. Writes per second: state transitions (one event and its audit entry each)
   and direct audit appends, per store, one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hf_api_governance import (
    AccessDenied,
    EventKind,
    GovernedSession,
    Keystore,
    PolicyEngine,
    Registry,
    Revoker,
    Secret,
    SuspensionCause,
)
from tests import pg_support
from tests.client_support import TOKEN, integration
from tests.servers import LocalServer, Reply

KEY = bytes(range(32))


def _block(session: requests.Session, url: str, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        session.get(url).raise_for_status()
    return (time.perf_counter() - start) / n


def _prepare(location: str, base_url: str, count: int) -> None:
    with Registry.open(location) as registry:
        registry.attach_audit(KEY)
        for i in range(count):
            item = integration(base_url, id=f"acme-{i}", credential=f"acme-token-{i}")
            registry.register(item, actor="bench")
            registry.activate(item.id, actor="bench")
            registry.verify_info(item.id, actor="bench", at=datetime.now(UTC) - timedelta(days=1))


def overhead(locations: dict[str, str], server: LocalServer, calls: int, block: int) -> None:
    url = server.url + "/v1/items"
    with tempfile.TemporaryDirectory() as tmp:
        keystore = Keystore.create(Path(tmp) / "keys.hfks", key=Keystore.generate_key())
        keystore.put("acme-token-0", Secret(TOKEN))
        bare = requests.Session()
        bare.headers["Authorization"] = f"Bearer {TOKEN}"
        registries = {name: Registry.open(where) for name, where in locations.items()}
        sessions = {
            name: GovernedSession(reg, "acme-0", keystore=keystore, engine=PolicyEngine())
            for name, reg in registries.items()
        }
        times: dict[str, list[float]] = {"bare": [], **{name: [] for name in sessions}}
        try:
            for session in (bare, *sessions.values()):
                _block(session, url, 50)
            order = [("bare", bare), *sessions.items()]
            for i in range(calls // block):
                rotated = order[i % len(order) :] + order[: i % len(order)]
                for name, session in rotated:
                    times[name].append(_block(session, url, block))
        finally:
            for session in sessions.values():
                session.close()
            for reg in registries.values():
                reg.close()
            bare.close()
            keystore.close()
    bare_us = statistics.median(times["bare"]) * 1e6
    print(f"\n1. governed-call overhead ({calls} calls each, blocks of {block})")
    print(f"   bare requests GET: {bare_us:7.1f} us/call")
    for name in sessions:
        ratio = statistics.median(g / b for g, b in zip(times[name], times["bare"], strict=True))
        print(
            f"   governed, {name:10s} {statistics.median(times[name]) * 1e6:7.1f} us/call, "
            f"ratio to bare {ratio:.3f}"
        )


def _host(location: str, first: int, rounds: int, change: str, conn: Any) -> None:
    """Another host: on each 'go', change integration i and send back when it returned."""
    with Registry.open(location) as registry:
        registry.attach_audit(KEY)
        conn.send("ready")
        for i in range(first, first + rounds):
            conn.recv()
            time.sleep(0.002)  # the caller is in its loop by now
            if change == "revoke":
                registry.revoke(f"acme-{i}", by=Revoker.MIMECAST, reason="bench")
            else:
                registry.suspend(
                    f"acme-{i}", cause=SuspensionCause.MANUAL, reason="bench", actor="bench"
                )
            conn.send(time.time())


def propagation(
    location: str, server: LocalServer, first: int, rounds: int, change: str
) -> list[float]:
    """Seconds from the other host's change to the first denied call here, per round."""
    url = server.url + "/v1/items"
    ctx = multiprocessing.get_context("spawn")
    ours, theirs = ctx.Pipe()
    host = ctx.Process(target=_host, args=(location, first, rounds, change, theirs))
    host.start()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, Registry.open(location) as registry:
        keystore = Keystore.create(Path(tmp) / "keys.hfks", key=Keystore.generate_key())
        for i in range(first, first + rounds):
            keystore.put(f"acme-token-{i}", Secret(TOKEN))
        assert ours.recv() == "ready"
        try:
            for i in range(first, first + rounds):
                with GovernedSession(registry, f"acme-{i}", keystore=keystore) as session:
                    session.get(url).raise_for_status()
                    ours.send("go")
                    while True:
                        try:
                            session.get(url)
                        except AccessDenied:
                            denied = time.time()
                            break
                latencies.append(denied - ours.recv())
        finally:
            keystore.close()
    host.join(timeout=60)
    return latencies


def writes(location: str, ident: str, seconds: float = 3.0) -> tuple[float, float]:
    """(transitions per second, audit appends per second) in one process."""
    with Registry.open(location) as registry:
        log = registry.attach_audit(KEY)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            registry.record(ident, EventKind.SIGNAL_RECORDED, reason="bench", actor="bench")
            done += 1
        transitions = done / (time.perf_counter() - start)
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            log.append(actor="bench", action="call_sent", integration_id=ident)
            done += 1
        appends = done / (time.perf_counter() - start)
    return transitions, appends


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--block", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a local cluster)")
    args = parser.parse_args()
    cluster = None
    server = LocalServer()
    server.route("GET", "/v1/items", Reply(200, body={"data": [1, 2, 3], "meta": {}}))
    workdir = tempfile.TemporaryDirectory()
    try:
        if args.url:
            pg_url = args.url
        else:
            cluster = pg_support.start_cluster()
            pg_url = cluster.url(cluster.new_database())
        where = "at --url" if args.url else "local cluster (unix socket, fsync off)"
        print(f"python {platform.python_version()} on {platform.machine()}, PostgreSQL {where}")
        locations = {"sqlite": str(Path(workdir.name) / "registry.db"), "postgresql": pg_url}
        for location in locations.values():
            _prepare(location, server.url, 2 * args.rounds + 1)
        overhead(locations, server, args.calls, args.block)
        print(f"\n2. propagation to another process's next governed call ({args.rounds} rounds)")
        for name, location in locations.items():
            for first, change in ((0, "revoke"), (args.rounds, "suspend")):
                latencies = propagation(location, server, first, args.rounds, change)
                ms = [x * 1000 for x in latencies]
                print(
                    f"   {name:10s} {change:8s} p50 {_pct(ms, 0.5):6.2f} ms  "
                    f"p99 {_pct(ms, 0.99):6.2f} ms  max {max(ms):6.2f} ms"
                )
        print("\n3. writes per second, one process (each with its audit entry)")
        for name, location in locations.items():
            transitions, appends = writes(location, f"acme-{2 * args.rounds}")
            print(f"   {name:10s} {transitions:7.0f} events/s   {appends:7.0f} audit appends/s")
    finally:
        server.close()
        workdir.cleanup()
        if cluster is not None:
            cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
