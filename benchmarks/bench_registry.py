"""Registry speed: listing 10,000 integrations; ``get`` and transitions by history length.

Run: ``python benchmarks/bench_registry.py [--list N] [--rounds R] [--postgres]``.

1. Listing (``--list N``, default 10,000; 0 skips it): builds a file
   database of N integrations, each with 3 events and 1 or 2 licences, then
   times (best of several runs) ``Registry.open`` + ``integrations()`` with
   and without history, and ``get`` of one integration.
2. History length (issue 17): integrations with 3, 100 and 1,000 events
   (registered, activated, then signals recorded), ``R`` of each size
   (default 15). In interleaved rounds (each round visits the sizes in a
   rotated order), on each integration once: ``get`` after a registry change
   committed through another connection (so the kept view is stale and the
   integration is read again), ``verify_info`` and ``suspend``
   (transitions), in a long-lived registry that read it once before. Also the
   first ``get`` in a new registry (reads the whole history once).
   Prints medians and the ratio 1,000 / 3 events.
3. ``get_for_call`` right after an audit append (a governed call's record)
   against ``get_for_call`` with nothing in between, in interleaved rounds.

With ``--postgres``, parts 2 and 3 run on PostgreSQL too, in a throw-away
cluster (tests/pg_support.py: unix socket, ``fsync`` off). Run it against
another checkout's package with ``PYTHONPATH=/that/checkout`` (the package
is imported from there; only ``tests`` comes from this repository).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parent.parent))  # tests (after PYTHONPATH)

from hf_api_governance import (
    ApiKind,
    AuthSpec,
    EventKind,
    FrozenClock,
    Integration,
    Licence,
    Registry,
    Service,
    SuspensionCause,
)

SIZES = (3, 100, 1000)
KEY = bytes(range(32))
CAUSE = SuspensionCause.MANUAL


def build(path: Path, n: int) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, tzinfo=UTC))
    services = list(Service)
    with Registry.open(path, clock=clock) as registry:
        inventory = []
        for i in range(n):
            licences = [Licence("Okta", "Directory API", date(2026, 1, 1), date(2026, 12, 31))]
            if i % 2:
                licences.append(
                    Licence(
                        "Okta",
                        "Events API",
                        datetime(2026, 3, 1, 12, tzinfo=UTC),
                        reference=f"PO-{i}",
                    )
                )
            inventory.append(
                Integration(
                    id=f"integration-{i:05d}",
                    name=f"Integration {i}",
                    service=services[i % 3],
                    kind=ApiKind.THIRD_PARTY_API,
                    vendor="Okta",
                    base_url="https://example.okta.com/api/v1",
                    owner="identity-team@example.com",
                    credential=f"okta-token-{i}",
                    licences=licences,
                    enablement={"tenant": "example", "region": "eu"},
                    info_verified_at=datetime(2026, 9, 1, 9, tzinfo=UTC),
                    auth=AuthSpec("bearer", {"token": f"okta-token-{i}"}),
                )
            )
        registry.sync(inventory, actor="bench")  # REGISTERED
        for item in inventory:
            registry.activate(item.id, actor="bench")  # ACTIVATED
        for item in inventory:
            registry.verify_info(item.id, actor="bench")  # INFO_VERIFIED


def best(runs: int, fn: object) -> float:
    assert callable(fn)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def listing(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.db"
        start = time.perf_counter()
        build(path, n)
        print(f"build {n} integrations: {time.perf_counter() - start:.1f} s (one-off)")

        def open_and_list(with_history: bool) -> None:
            with Registry.open(path) as registry:
                items = registry.integrations(with_history=with_history)
                assert len(items) == n

        full = best(5, lambda: open_and_list(True))
        light = best(5, lambda: open_and_list(False))
        print(f"open + integrations() with history (3 events each): {full * 1000:.0f} ms")
        print(f"open + integrations(with_history=False):            {light * 1000:.0f} ms")
        with Registry.open(path) as registry:
            ids = [f"integration-{i:05d}" for i in range(0, n, max(1, n // 200))]
            samples = []
            for ident in ids:
                start = time.perf_counter()
                registry.get(ident)
                samples.append(time.perf_counter() - start)
            print(
                f"get(): median {statistics.median(samples) * 1e6:.0f} us, "
                f"max {max(samples) * 1e6:.0f} us over {len(samples)} ids"
            )
            start = time.perf_counter()
            for ident in ids:
                registry.verify_info(ident, actor="bench")
            per = (time.perf_counter() - start) / len(ids)
            print(f"verify_info() (one write transaction + event): {per * 1000:.2f} ms each")


def _declared(ident: str) -> Integration:
    return Integration(
        id=ident,
        name=ident,
        service=Service.ENGAGE,
        kind=ApiKind.THIRD_PARTY_API,
        vendor="Okta",
        base_url="https://example.okta.com/api/v1",
        owner="identity-team@example.com",
        credential=f"{ident}-token",
        licences=[Licence("Okta", "Directory API", date(2026, 1, 1), date(2026, 12, 31))],
        enablement={"tenant": "example"},
    )


def _settle(registry: Registry) -> None:
    """PostgreSQL: wait until every committed change was notified (SQLite: nothing to wait)."""
    settle = getattr(registry._store, "settle", None)
    if settle is not None:
        settle()


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def by_history_length(url: str, rounds: int, label: str) -> None:
    with Registry.open(url) as writer:
        for n in SIZES:
            for r in range(rounds):
                ident = f"h{n}-{r}"
                writer.register(_declared(ident), actor="bench")
                writer.activate(ident, actor="bench")
                for _ in range(n - 2):
                    writer.record(ident, EventKind.SIGNAL_RECORDED, reason="seen", actor="bench")
        writer.register(_declared("noise"), actor="bench")
    get_s: dict[int, list[float]] = {n: [] for n in SIZES}
    cold: dict[int, list[float]] = {n: [] for n in SIZES}
    verify: dict[int, list[float]] = {n: [] for n in SIZES}
    suspend: dict[int, list[float]] = {n: [] for n in SIZES}
    with Registry.open(url) as registry, Registry.open(url) as other:
        for n in SIZES:
            for r in range(rounds):
                registry.get(f"h{n}-{r}")  # a long-lived registry: read once before
        for r in range(rounds):
            order = SIZES[r % 3 :] + SIZES[: r % 3]
            for n in order:
                ident = f"h{n}-{r}"
                other.verify_info("noise", actor="bench")  # a registry change elsewhere
                _settle(registry)
                get_s[n].append(_timed(partial(registry.get, ident)))
                with Registry.open(url) as fresh:
                    cold[n].append(_timed(partial(fresh.get, ident)))
                verify[n].append(_timed(partial(registry.verify_info, ident, actor="bench")))
                suspend[n].append(
                    _timed(
                        partial(registry.suspend, ident, cause=CAUSE, reason="bench", actor="bench")
                    )
                )
    print(f"\n{label}: by events per integration, medians of {rounds} (us); ratio 1000/3")
    rows = [
        ("get() after a change elsewhere", get_s),
        ("verify_info()", verify),
        ("suspend()", suspend),
        ("first get() in a new registry", cold),
    ]
    for name, samples in rows:
        med = {n: statistics.median(samples[n]) * 1e6 for n in SIZES}
        cells = "  ".join(f"{n:>4}: {med[n]:8.0f}" for n in SIZES)
        print(f"  {name:<32} {cells}   ratio {med[1000] / med[3]:.2f}")


def after_audit_append(url: str, rounds: int, label: str) -> None:
    with Registry.open(url) as registry:
        log = registry.attach_audit(KEY)
        registry.register(_declared("called"), actor="bench")
        registry.activate("called", actor="bench")
        _settle(registry)
        registry.get_for_call("called")
        plain: list[float] = []
        appended: list[float] = []
        for _ in range(rounds):
            plain.append(_timed(lambda: registry.get_for_call("called")))
            log.append(actor="client", action="api_call", integration_id="called")
            appended.append(_timed(lambda: registry.get_for_call("called")))
        a, p = statistics.median(appended) * 1e6, statistics.median(plain) * 1e6
        print(
            f"\n{label}: get_for_call() after an audit append {a:.0f} us, "
            f"with nothing in between {p:.0f} us: ratio {a / p:.2f} ({rounds} rounds)"
        )


@contextmanager
def _postgres() -> Iterator[str]:
    from tests import pg_support

    cluster = pg_support.start_cluster()
    try:
        yield cluster.url(cluster.new_database())
    finally:
        cluster.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=int, default=10_000, help="integrations to list (0: skip)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    args = parser.parse_args()
    if args.list:
        listing(args.list)
    with tempfile.TemporaryDirectory() as tmp:
        by_history_length(str(Path(tmp) / "history.db"), args.rounds, "SQLite")
        after_audit_append(str(Path(tmp) / "calls.db"), args.rounds * 20, "SQLite")
    if args.postgres:
        with _postgres() as url:
            by_history_length(url, args.rounds, "PostgreSQL")
        with _postgres() as url:
            after_audit_append(url, args.rounds * 20, "PostgreSQL")
    import hf_api_governance

    print(f"package {Path(hf_api_governance.__file__).parent}; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
