"""Command-line speed: ``hf-gov check INVENTORY`` against a bare ``tomllib`` parse, and ``--help``.

Run: ``python benchmarks/bench_cli.py [SIZES] [RUNS]`` (defaults ``10000,100000``
and 5). For each size N it writes an inventory of N varied integrations with
:func:`dump_inventory` (third-party and Mimecast APIs, 0 to 2 licences, OAuth
or bearer auth, enablement information), then times real processes in
interleaved rounds, as a user runs them:

- the yardstick: ``python -c 'import sys, tomllib; tomllib.load(...)'`` on
  the same file (a bare parse, interpreter start included);
- ``python -m hf_api_governance check FILE --at 2026-11-26`` (the table),
  with ``--json``, and with ``--jobs 1`` (one process: without it a file of
  1 MiB or more is checked in parts by one process per CPU, and CPU time
  then exceeds wall time).

Each round runs the yardstick and each command once, one after the other, and
the ratio is taken within the round (so a machine that slows down mid-run
moves both sides); the median over the rounds is printed, for wall time and
for CPU time (user + system of the child). Then ``--help`` against
``python -c pass``, the same way. Every ratio printed comes from this one run.
"""

from __future__ import annotations

import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a source checkout

from hf_api_governance import (  # noqa: E402
    ApiKind,
    AuthSpec,
    Integration,
    Licence,
    Service,
    dump_inventory,
)


def generate(n: int, seed: int = 20261126, *, compact: bool = False) -> list[Integration]:
    """``n`` integrations whose decisions mix allowed, warned and denied.

    ``compact``: at most one licence, shorter texts, no reference, enablement,
    verification instant, API version or OAuth, so that 100,000 of them fit
    under the 32 MiB inventory cap (``MAX_INVENTORY_SIZE``).
    """
    rnd = random.Random(seed)
    services = list(Service)
    vendors = ("Okta", "Microsoft", "Workday", "Splunk", "Slack")
    out: list[Integration] = []
    for k in range(n):
        third_party = rnd.random() < 0.8
        vendor = rnd.choice(vendors) if third_party else "Mimecast"
        licences = []
        count = rnd.choice((0, 1, 1, 1, 2)) if third_party else 1
        for _ in range(min(count, 1) if compact else count):
            start = date(2025, 6, 1) + timedelta(days=rnd.randrange(0, 400))
            licences.append(
                Licence(
                    vendor,
                    f"{vendor} API" if third_party else "Human Factors subscription",
                    start,
                    start + timedelta(days=rnd.randrange(60, 800)),
                    reference=None if compact else f"PO-{k}",
                )
            )
        if rnd.random() < 0.5 and not compact:
            auth = AuthSpec(
                "oauth2_client_credentials",
                {
                    "token_url": "https://login.example.com/oauth2/token",
                    "client_id": f"client-id-{k}",
                    "client_secret": f"client-secret-{k}",
                },
            )
            credential = None
        else:
            auth = None
            credential = f"api-token-{k}"
        verified = (
            None
            if rnd.random() < 0.05
            else datetime(2026, 11, 26, tzinfo=UTC) - timedelta(days=rnd.randrange(0, 300))
        )
        out.append(
            Integration(
                id=f"integration-{k:05d}",
                name=f"{vendor} {k}" if compact else f"{vendor} integration {k}",
                service=services[k % len(services)],
                kind=ApiKind.THIRD_PARTY_API if third_party else ApiKind.MIMECAST_API,
                vendor=vendor,
                base_url=f"https://api{k % 7}.example.com/v1",
                owner="ops@example.com" if compact else "platform-team@example.com",
                credential=credential,
                auth=auth,
                licences=licences,
                enablement={} if compact else {"region": "eu", "tenant": f"tenant-{k % 40}"},
                info_verified_at=None if compact else verified,
                api_version=None if compact else "v1",
            )
        )
    return out


ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
TOMLLIB = "import sys, tomllib\nwith open(sys.argv[1], 'rb') as f:\n    tomllib.load(f)"


def run(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one process (``args`` after the interpreter)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, *args], capture_output=True, env=ENV, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{args}: exit {result.returncode}: {result.stderr.decode()}")
    return wall, cpu


def rounds(yardstick: list[str], commands: dict[str, list[str]], runs: int) -> None:
    """Interleave: yardstick, then each command, ``runs`` times; print the ratios."""
    base: list[tuple[float, float]] = []
    timed: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    run(yardstick)  # warm the page cache and the bytecode
    for _ in range(runs):
        base.append(run(yardstick))
        for label, args in commands.items():
            timed[label].append(run(args))
    b_wall = statistics.median(w for w, _ in base)
    b_cpu = statistics.median(c for _, c in base)
    print(f"  {'yardstick':<34} wall {b_wall * 1000:8.0f} ms   cpu {b_cpu * 1000:8.0f} ms")
    for label, times in timed.items():
        wall = statistics.median(w / b[0] for (w, _), b in zip(times, base, strict=True))
        cpu = statistics.median(c / b[1] for (_, c), b in zip(times, base, strict=True))
        over = statistics.median(c - b[1] for (_, c), b in zip(times, base, strict=True))
        print(
            f"  {label:<34} wall {wall:5.2f}x   cpu {cpu:5.2f}x   "
            f"(cpu {over * 1000:+.0f} ms over the yardstick)"
        )


def main() -> int:
    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "10000,100000").split(",")]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"load average {os.getloadavg()[0]:.2f}, {runs} interleaved rounds")
    # The full shape at the first size; the compact one (under the size cap) at every size.
    cases = [(sizes[0], False)] + [(n, True) for n in sizes]
    with tempfile.TemporaryDirectory() as tmp:
        for n, compact in cases:
            inventory = Path(tmp) / f"inventory-{n}-{compact}.toml"
            dump_inventory(generate(n, compact=compact), inventory, header=f"{n} integrations")
            size = inventory.stat().st_size
            shape = "compact" if compact else "full"
            print(f"inventory: {n:,} integrations ({shape}), {size / 1e6:.1f} MB")
            check = ["-m", "hf_api_governance", "check", str(inventory), "--at", "2026-11-26"]
            rounds(
                ["-c", TOMLLIB, str(inventory)],
                {
                    "hf-gov check (table)": check,
                    "hf-gov check --json": [*check, "--json"],
                    "hf-gov check --jobs 1": [*check, "--jobs", "1"],
                },
                runs,
            )
        print("start-up; ratio to python -c pass")
        rounds(["-c", "pass"], {"hf-gov --help": ["-m", "hf_api_governance", "--help"]}, 20)
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
