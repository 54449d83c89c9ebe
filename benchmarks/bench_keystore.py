"""Keystore speed: open (KDF), get and put with 1,000 entries.

Run from the repository root::

    python benchmarks/bench_keystore.py

Prints one line per figure (median of several runs). Figures are recorded in
``docs/performance.md``, section "Keystore".
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hf_api_governance import Keystore, Secret

ENTRIES = 1_000


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def report(label: str, samples: list[float], per: int = 1) -> None:
    median = statistics.median(samples) / per
    unit, scale = ("ms", 1e3) if median >= 1e-3 else ("us", 1e6)
    print(f"{label:<52} {median * scale:9.2f} {unit}  (median of {len(samples)})")


def main() -> int:
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        passphrase = Secret("benchmark passphrase, not a real one")
        pw_path = root / "pw.hfks"
        Keystore.create(pw_path, passphrase).close()
        report(
            "open, passphrase (scrypt n=2**15 r=8 p=1)",
            timed(lambda: Keystore.open(pw_path, passphrase).close(), 7),
        )
        for log2_n in (14, 17):
            path = root / f"pw{log2_n}.hfks"
            Keystore.create(path, passphrase, scrypt_log2_n=log2_n).close()
            report(
                f"open, passphrase (scrypt n=2**{log2_n})",
                timed(lambda p=path: Keystore.open(p, passphrase).close(), 5),  # type: ignore[misc]
            )

        key = Keystore.generate_key()
        path = root / "big.hfks"
        with Keystore.create(path, key=key) as ks:
            start = time.perf_counter()
            for i in range(ENTRIES):
                ks.put(f"entry-{i:04d}", Secret(f"value-{i:04d}-" + "k" * 40, label=f"label {i}"))
            fill = time.perf_counter() - start
        print(f"{'fill: 1,000 puts into a growing keystore':<52} {fill:9.2f} s")
        print(f"{'file size with 1,000 entries':<52} {path.stat().st_size / 1024:9.1f} KiB")

        report(
            "open, raw key, 1,000 entries",
            timed(lambda: Keystore.open(path, key=key).close(), 20),
        )
        with Keystore.open(path, key=key) as ks:
            names = [f"entry-{i:04d}" for i in range(0, ENTRIES, 7)]

            def get_batch() -> None:
                for name in names:
                    ks.get(name).reveal()

            report("get, 1,000 entries", timed(get_batch, 30), per=len(names))
            counter = iter(range(10**9))
            report(
                "put (new entry, durable), 1,000 entries",
                timed(lambda: ks.put(f"new-{next(counter)}", Secret("v" * 48)), 50),
            )
            report(
                "put (overwrite, durable), 1,000 entries",
                timed(lambda: ks.put("entry-0500", Secret("w" * 48)), 50),
            )
            with Keystore.open(path, key=key) as other:

                def reload_after_other_writer() -> None:
                    other.put("entry-0001", Secret("x" * 48))
                    ks.get("entry-0002")

                report(
                    "put by another handle + get (reload), 1,000 entries",
                    timed(reload_after_other_writer, 30),
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
