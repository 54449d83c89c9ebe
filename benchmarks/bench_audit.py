"""Audit log throughput: single appends, batch appends, and verify over a large log.

Usage::

    python benchmarks/bench_audit.py [--entries 1000000] [--batch 1000] [--singles 2000]
        [--seal-every 256] [--dir DIR]

Targets on the reference 2-core machine: verify >= 500,000 entries/s,
batch append >= 20,000 entries/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hf_api_governance import AuditLog, Secret

KEY = os.urandom(32)


def event(i: int, secret: Secret) -> dict[str, Any]:
    return {
        "actor": "svc:gateway",
        "action": "call_allowed" if i % 10 else "call_denied",
        "integration_id": f"aware-{i % 7}",
        "clause": "1.1.2",
        "codes": ["LICENCE_VALID"],
        "evidence": {
            "method": "GET",
            "url": "https://api.example.com/v1/users?page=3",
            "status": 200,
            "credential": secret,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000, help="log size for verify")
    parser.add_argument("--batch", type=int, default=1_000, help="entries per append_many")
    parser.add_argument("--singles", type=int, default=2_000, help="single appends to time")
    parser.add_argument("--seal-every", type=int, default=256)
    parser.add_argument("--dir", default=None, help="where to put the database (default: tmp)")
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    secret = Secret("bench-secret-value-0123456789")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "audit.db"
        with AuditLog.open(path, KEY, seal_every=args.seal_every) as log:
            start = time.perf_counter()
            for i in range(args.singles):
                log.append(**event(i, secret))
            elapsed = time.perf_counter() - start
            print(
                f"single append (own transaction, synchronous=FULL): "
                f"{args.singles / elapsed:,.0f} entries/s ({args.singles} entries)"
            )

            done = args.singles
            start = time.perf_counter()
            while done < args.entries:
                size = min(args.batch, args.entries - done)
                log.append_many([event(done + i, secret) for i in range(size)])
                done += size
            elapsed = time.perf_counter() - start
            appended = done - args.singles
            if appended:
                print(
                    f"batch append ({args.batch}/transaction): "
                    f"{appended / elapsed:,.0f} entries/s ({appended:,} entries)"
                )

            for run in (1, 2):
                start = time.perf_counter()
                report = log.verify()
                elapsed = time.perf_counter() - start
                assert report.ok, report
                print(
                    f"verify run {run}: {report.entries_checked / elapsed:,.0f} entries/s "
                    f"({report.entries_checked:,} entries in {elapsed:.2f} s)"
                )
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        print(f"database size: {size_mb:,.0f} MB ({size_mb * 1e6 / done:,.0f} bytes/entry)")


if __name__ == "__main__":
    main()
