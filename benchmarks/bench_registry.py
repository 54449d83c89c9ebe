"""Registry read speed: open and list 10,000 integrations; ``get`` latency.

Run: ``python benchmarks/bench_registry.py [N]``. Builds a file database of
N integrations (default 10,000), each with 3 events and 1 or 2 licences, then
times (best of several runs) ``Registry.open`` + ``integrations()`` with and
without history, and ``get`` of one integration.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from hf_api_governance import (
    ApiKind,
    AuthSpec,
    FrozenClock,
    Integration,
    Licence,
    Registry,
    Service,
)


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


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
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
    print(f"python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
