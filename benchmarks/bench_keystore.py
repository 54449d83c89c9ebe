"""Keystore speed: open (KDF), get, and put at 10 / 100 / 1,000 / 10,000 entries.

Run from the repository root::

    python benchmarks/bench_keystore.py            # everything
    python benchmarks/bench_keystore.py --quick    # sizes up to 1,000, fewer rounds

Prints one line per figure. The put and get figures are medians over rounds
that interleave the keystore sizes (one round times each size in turn), so a
load spike on a shared machine hits every size alike; the ratio "10,000 / 10"
is the one quoted in ``docs/performance.md``, section "Keystore". The mean
per put is printed too: it includes the compactions (a put that finds the
journal larger than the base rewrites the file).
"""

from __future__ import annotations

import argparse
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

SIZES = (10, 100, 1_000, 10_000)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def show(value: float) -> str:
    unit, scale = ("ms", 1e3) if value >= 1e-3 else ("us", 1e6)
    return f"{value * scale:9.2f} {unit}"


def report(label: str, samples: list[float], per: int = 1) -> None:
    median = statistics.median(samples) / per
    print(f"{label:<60} {show(median)}  (median of {len(samples)})")


def value(i: int) -> Secret:
    return Secret(f"value-{i:05d}-" + "k" * 40, label=f"label {i}")


def fill(path: Path, key: Secret, count: int) -> float:
    """Create a keystore at ``path`` and put ``count`` entries; return the seconds taken."""
    with Keystore.create(path, key=key) as ks:
        start = time.perf_counter()
        for i in range(count):
            ks.put(f"entry-{i:05d}", value(i))
        return time.perf_counter() - start


def kdf_figures(root: Path) -> None:
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


def size_figures(root: Path, sizes: tuple[int, ...], rounds: int) -> None:
    key = Keystore.generate_key()
    stores: dict[int, Keystore] = {}
    for size in sizes:
        path = root / f"n{size}.hfks"
        seconds = fill(path, key, size)
        print(f"{f'fill: {size:,} puts into a growing keystore':<60} {seconds:9.2f} s")
        print(f"{f'file size with {size:,} entries':<60} {path.stat().st_size / 1024:9.1f} KiB")
        report(
            f"open, raw key, {size:,} entries",
            timed(lambda p=path: Keystore.open(p, key=key).close(), 9),  # type: ignore[misc]
        )
        stores[size] = Keystore.open(path, key=key)

    puts: dict[int, list[float]] = {size: [] for size in sizes}
    gets: dict[int, list[float]] = {size: [] for size in sizes}
    counter = iter(range(10**9))
    per_round = 20
    for _ in range(rounds):
        for size, ks in stores.items():
            names = [f"entry-{i:05d}" for i in range(0, size, max(1, size // 10))]

            def put_one(ks: Keystore = ks, names: list[str] = names) -> None:
                ks.put(names[next(counter) % len(names)], Secret("w" * 48))

            def get_some(ks: Keystore = ks, names: list[str] = names) -> None:
                for name in names:
                    ks.get(name).reveal()

            puts[size] += timed(put_one, per_round)
            gets[size] += [t / len(names) for t in timed(get_some, 20)]
    for size in sizes:
        report(f"put (overwrite, durable), {size:,} entries", puts[size])
    for size in sizes:
        report(f"get (unchanged entry), {size:,} entries", gets[size])
    low, high = sizes[0], sizes[-1]
    ratio = statistics.median(puts[high]) / statistics.median(puts[low])
    print(f"{f'put ratio {high:,} / {low:,} entries (medians, one run)':<60} {ratio:9.2f} x")
    ratio = statistics.median(gets[high]) / statistics.median(gets[low])
    print(f"{f'get ratio {high:,} / {low:,} entries (medians, one run)':<60} {ratio:9.2f} x")

    # The same puts with fsync stubbed out: what the keystore itself costs (CPU
    # and the write into the page cache), free of the disk's noise.
    cpu: dict[int, list[float]] = {size: [] for size in sizes}
    real_fsync = os.fsync
    os.fsync = lambda fd: None
    try:
        for _ in range(rounds):
            for size, ks in stores.items():
                name = f"entry-{size // 2:05d}"
                cpu[size] += timed(lambda ks=ks, n=name: ks.put(n, Secret("c" * 48)), per_round)  # type: ignore[misc]
    finally:
        os.fsync = real_fsync
    for size in sizes:
        report(f"put, fsync stubbed out, {size:,} entries", cpu[size])
    ratio = statistics.median(cpu[high]) / statistics.median(cpu[low])
    print(f"{f'put ratio {high:,} / {low:,}, fsync stubbed out':<60} {ratio:9.2f} x")

    # The amortised cost: many puts in a row, compactions included.
    for size in sizes:
        ks = stores[size]
        count = 2 * size + 500
        start = time.perf_counter()
        for i in range(count):
            ks.put(f"entry-{i % size:05d}", Secret("x" * 48))
        mean = (time.perf_counter() - start) / count
        print(f"{f'put, mean over {count:,} (compactions included), {size:,}':<60} {show(mean)}")

    ks = stores[sizes[-1]]
    with Keystore.open(ks.path, key=key) as other:

        def reload_after_other_writer() -> None:
            other.put("entry-00001", Secret("x" * 48))
            ks.get("entry-00002")

        report(
            f"put by another handle + get (catch up), {sizes[-1]:,} entries",
            timed(reload_after_other_writer, 30),
        )
    for ks in stores.values():
        ks.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1,000, 5 rounds")
    args = parser.parse_args()
    sizes = SIZES[:-1] if args.quick else SIZES
    rounds = 5 if args.quick else 15
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        kdf_figures(root)
        size_figures(root, sizes, rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
