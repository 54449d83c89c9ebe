"""How much log redaction costs: records per second through a handler, with and without it.

Run with ``python benchmarks/bench_redact.py``; prints one line per case.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import sys
import time

from hf_api_governance import RedactingFilter, Secret

RECORDS = 20_000

PLAIN = "integration %s: licence check passed for vendor %s in %d ms"
PLAIN_ARGS: tuple[object, ...] = ("aware-prod", "Okta", 12)
WIRE = (
    "send: b'POST /oauth/token?scope=read HTTP/1.1\\r\\nHost: api.example.com\\r\\n"
    "Authorization: Basic %s\\r\\nContent-Type: application/x-www-form-urlencoded\\r\\n'"
)
WIRE_ARGS: tuple[object, ...] = ("YWxpY2U6aHVudGVyMi1jb3JyZWN0LWhvcnNl",)


def _logger(redacting: RedactingFilter | None) -> logging.Logger:
    logger = logging.getLogger("bench.redact")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    if redacting is not None:
        handler.addFilter(redacting)
    logger.addHandler(handler)
    return logger


def _rate(logger: logging.Logger, message: str, args: tuple[object, ...]) -> float:
    start = time.perf_counter()
    for _ in range(RECORDS):
        logger.info(message, *args)
    return RECORDS / (time.perf_counter() - start)


def main() -> int:
    print(f"python {platform.python_version()} on {os.cpu_count()} cores, {sys.platform}")
    print(f"{RECORDS} records per case; figures are records per second (higher is better)")
    for message, args, name in ((PLAIN, PLAIN_ARGS, "plain line"), (WIRE, WIRE_ARGS, "wire dump")):
        base = _rate(_logger(None), message, args)
        print(f"{name:10} no filter            {base:>10,.0f}")
        for count in (0, 10, 100, 1000):
            secrets = [Secret(f"bench-secret-{i:04d}-{os.urandom(8).hex()}") for i in range(count)]
            redacting = RedactingFilter(secrets)
            start = time.perf_counter()
            redacting.redact("warm-up: compiles the combined expression")
            compile_ms = (time.perf_counter() - start) * 1000
            rate = _rate(_logger(redacting), message, args)
            print(
                f"{name:10} filter, {count:>4} secrets {rate:>10,.0f}"
                f"  ({rate / base:.0%} of no filter; compiled in {compile_ms:.1f} ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
