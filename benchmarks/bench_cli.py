"""Command-line speed: ``hf-gov check`` on a 10,000-integration inventory, and ``--help``.

Run: ``python benchmarks/bench_cli.py [N] [RUNS]`` (defaults 10,000 and 5).
Writes an inventory of N varied integrations with :func:`dump_inventory`
(third-party and Mimecast APIs, 0 to 2 licences, OAuth or bearer auth,
enablement information), then times real processes, as a user runs them:
``python -m hf_api_governance check FILE`` (table, ``--json`` and each
``--format`` written with ``--output``) and ``python -m hf_api_governance
--help``. Prints the median and the spread of
RUNS runs of each.
"""

from __future__ import annotations

import os
import platform
import random
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


def generate(n: int, seed: int = 20261126) -> list[Integration]:
    """``n`` integrations whose decisions mix allowed, warned and denied."""
    rnd = random.Random(seed)
    services = list(Service)
    vendors = ("Okta", "Microsoft", "Workday", "Splunk", "Slack")
    out: list[Integration] = []
    for k in range(n):
        third_party = rnd.random() < 0.8
        vendor = rnd.choice(vendors) if third_party else "Mimecast"
        licences = []
        for _ in range(rnd.choice((0, 1, 1, 1, 2)) if third_party else 1):
            start = date(2025, 6, 1) + timedelta(days=rnd.randrange(0, 400))
            licences.append(
                Licence(
                    vendor,
                    f"{vendor} API" if third_party else "Human Factors subscription",
                    start,
                    start + timedelta(days=rnd.randrange(60, 800)),
                    reference=f"PO-{k}",
                )
            )
        if rnd.random() < 0.5:
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
                name=f"{vendor} integration {k}",
                service=services[k % len(services)],
                kind=ApiKind.THIRD_PARTY_API if third_party else ApiKind.MIMECAST_API,
                vendor=vendor,
                base_url=f"https://api{k % 7}.example.com/v1",
                owner="platform-team@example.com",
                credential=credential,
                auth=auth,
                licences=licences,
                enablement={"region": "eu", "tenant": f"tenant-{k % 40}"},
                info_verified_at=verified,
                api_version="v1",
            )
        )
    return out


def timed(args: list[str], runs: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "hf_api_governance", *args],
            capture_output=True,
            env=env,
            check=False,
        )
        times.append(time.perf_counter() - start)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{args}: exit {result.returncode}: {result.stderr.decode()}")
    return times


def show(label: str, times: list[float]) -> None:
    print(
        f"{label:<44} median {statistics.median(times) * 1000:7.0f} ms "
        f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {len(times)} runs)"
    )


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "inventory.toml"
        dump_inventory(generate(n), inventory, header=f"{n} generated integrations")
        size = inventory.stat().st_size
        print(f"inventory: {n} integrations, {size / 1e6:.1f} MB")
        at = ["--at", "2026-11-26"]
        show("hf-gov --help", timed(["--help"], runs))
        show(f"hf-gov check ({n:,}, table)", timed(["check", str(inventory), *at], runs))
        show(f"hf-gov check ({n:,}, --json)", timed(["check", str(inventory), *at, "--json"], runs))
        for fmt in ("sarif", "junit", "markdown", "html"):
            args = ["check", str(inventory), *at, "--format", fmt, "--output", f"{tmp}/r.{fmt}"]
            show(f"hf-gov check ({n:,}, --format {fmt})", timed(args, runs))
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
