"""The registry and its audit log: audited changes, verification with the cross-check, signing.

Usage::

    python benchmarks/bench_crosscheck.py [--integrations 50000] [--changes 2000] [--dir DIR]

Builds an audited registry (``sync`` of N integrations, then ``revoke_all``:
2N events, each with its audit entry, in two transactions), then measures:

* audited changes per second (``verify_info``: one write transaction, one
  event, one audit entry, and the audit-mark check of every write);
* ``AuditLog.verify()`` (the log alone) against ``Registry.verify_audit()``
  (the log, then the cross-check of every event with its entry), both with
  the key, and ``verify_audit`` with a signed checkpoint and the public key
  only;
* signing a checkpoint.

``--baseline`` measures only what a release before the cross-check had (the
changes and ``AuditLog.verify``), so that the same script can be run against
an older checkout for a before/after comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hf_api_governance import (
    ApiKind,
    FrozenClock,
    Integration,
    Licence,
    Registry,
    Revoker,
    Service,
)

KEY = os.urandom(32)


def build(path: Path, n: int) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, tzinfo=UTC))
    services = list(Service)
    inventory = [
        Integration(
            id=f"integration-{i:06d}",
            name=f"Integration {i}",
            service=services[i % 3],
            kind=ApiKind.THIRD_PARTY_API,
            vendor="Okta",
            base_url="https://example.okta.com/api/v1",
            owner="identity-team@example.com",
            credential=f"okta-token-{i}",
            licences=[Licence("Okta", "Directory API", date(2026, 1, 1), date(2026, 12, 31))],
            enablement={"tenant": "example", "region": "eu"},
        )
        for i in range(n)
    ]
    with Registry.open(path, clock=clock) as registry:
        registry.attach_audit(KEY)
        registry.sync(inventory, actor="bench")
        registry.revoke_all(by=Revoker.MIMECAST, reason="bench: every key revoked")


def timed(fn: object) -> float:
    assert callable(fn)
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--integrations", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=2_000)
    parser.add_argument("--dir", default=None)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    n = args.integrations
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "registry.db"
        print(f"build: {2 * n} audited events in {timed(lambda: build(path, n)):.1f} s")
        with Registry.open(path) as registry:
            log = registry.attach_audit(KEY)
            ids = [f"integration-{i:06d}" for i in range(0, n, max(1, n // args.changes))]
            ids = ids[: args.changes]
            spent = timed(lambda: [registry.verify_info(i, actor="bench") for i in ids])
            print(
                f"audited changes (verify_info): {len(ids) / spent:,.0f}/s "
                f"({spent / len(ids) * 1000:.2f} ms each)"
            )
            spent = timed(lambda: log.verify())
            entries = log.verify().entries_checked
            print(f"AuditLog.verify (log alone): {entries / spent:,.0f} entries/s ({spent:.2f} s)")
            if args.baseline:
                return 0
            report = registry.verify_audit()
            assert report.ok, report.message
            spent = timed(lambda: registry.verify_audit())
            print(
                f"Registry.verify_audit (log + cross-check of {report.events_checked} events): "
                f"{report.entries_checked / spent:,.0f} entries/s ({spent:.2f} s)"
            )
            first = timed(lambda: log.signed_checkpoint())  # imports cryptography
            spent = timed(lambda: log.signed_checkpoint())
            print(f"signed_checkpoint: {spent * 1000:.2f} ms (first call {first * 1000:.1f} ms)")
            checkpoint, public_key = log.signed_checkpoint(), log.public_key()
        with Registry.open(path) as auditor:
            report = auditor.verify_audit(checkpoint, public_key=public_key)
            assert report.ok, report.message
            spent = timed(lambda: auditor.verify_audit(checkpoint, public_key=public_key))
            print(
                f"verify_audit with the public key only: "
                f"{report.entries_checked / spent:,.0f} entries/s ({spent:.2f} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
