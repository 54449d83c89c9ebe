"""Governed-call overhead against a fast server, as a ratio to a bare ``requests`` call, in one run.

Run: ``python benchmarks/bench_governed_overhead.py [--rounds R] [--block N]
[--baseline PATH]``.

The server is a raw-socket HTTP/1.1 server in another process: keep-alive,
``TCP_NODELAY``, each response written with a single ``sendall`` from bytes
prepared in advance, so the client's own cost dominates what is measured
(``http.server`` in the client's process spends about as long answering as
the client spends asking, and shares its interpreter).

Each variant runs in its own worker process, alive for the whole run, and
the parent asks them in turn for a block of calls, rotating the order every
round so that drift in machine load hits all alike:

- ``bare``: a :class:`requests.Session` sending the bearer token itself;
- ``governed``: a :class:`~hf_api_governance.GovernedSession` over a real
  ``Registry`` (SQLite file), ``PolicyEngine`` and ``Keystore`` file, the
  integration a third-party API with a static bearer token (the plain 2xx
  fast path of the signal table);
- ``governed-mimecast``: the same, for a Mimecast API whose profile reads
  every answer's body for a ``fail`` array;
- ``bare (trust_env=False)`` and ``governed (trust_env=False)``: the same
  two with ``trust_env = False`` (no proxy, ``.netrc`` or CA bundle looked up
  in the environment on every call: requests' own per-call cost shrinks, so
  the governor's share grows);
- ``bare, timeout (10, 60)``: the bare call with the governed session's
  default timeout (a socket with a timeout costs a ``poll`` before each send
  and receive): the share of the governed overhead that is the timeout;
- ``governed-facade``: :meth:`Governance.session
  <hf_api_governance.Governance.session>` on the same integration with no
  audit log (the facade's engine also checks revoked credential entries and
  the keystore): what the audit log's cost is measured against;
- ``governed-audited``: :meth:`Governance.session <hf_api_governance.Governance.session>`
  on the same integration, the audit log on (the facade's default: call
  records buffered and written in batches, see docs/audit.md);
- ``governed-audited-strict``: the same with ``audit="strict"`` (every call
  record written durably before the call returns, as before batching);
- with ``--baseline PATH`` (a checkout of the package before a change, such
  as ``git archive <commit> hf_api_governance | tar -x -C PATH``), the two
  governed variants and ``governed-audited`` again, importing ``hf_api_governance`` from ``PATH``.

Prints, for each variant, the median wall-clock time per call and the
median *client CPU* time per call (the worker process's own CPU time, which
the load of other processes on a shared machine does not inflate), and for
each governed variant the median of its per-round ratios to ``bare`` (to
``bare (trust_env=False)`` for the ``trust_env=False`` one; the same round's
blocks ran under the same load).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
TOKEN = "tok-Zq8v1LrN3xKp0aW7eYb2"

# ------------------------------------------------------------------- the fast server

_ITEMS = b'{"data": [1, 2, 3], "meta": {}}'
_MIMECAST = b'{"meta": {"status": 200}, "data": [{"id": 1}, {"id": 2}], "fail": []}'


def _answer(body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode("ascii") + body


_ANSWERS = {b"/v1/items": _answer(_ITEMS), b"/api/items": _answer(_MIMECAST)}
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


class _Connection(socketserver.BaseRequestHandler):
    """One keep-alive connection: read each request whole, answer it in one send."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(buffer) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
            buffer = buffer[length:]
            path = lines[0].split(b" ")[1].split(b"?")[0]
            sock.sendall(_ANSWERS.get(path, _NOT_FOUND))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(ready: Any) -> None:
    with _Server(("127.0.0.1", 0), _Connection) as server:
        ready.send(server.server_address[1])
        server.serve_forever()


# ------------------------------------------------------------------- the workers


def _governed(
    base_url: str,
    path: str,
    mimecast: bool,
    directory: Path,
    audit: str | None = None,
    *,
    trust_env: bool = True,
) -> Any:
    from datetime import UTC, date, datetime, timedelta

    from hf_api_governance import (
        Governance,
        GovernedSession,
        Integration,
        Keystore,
        Licence,
        PolicyEngine,
        Registry,
        Secret,
        SuspensionCause,
    )

    key = b"k" * 32
    registry = Registry.open(directory / "registry.db")
    if audit is not None:
        registry.attach_audit(key)
    item = Integration(
        id="acme-api",
        name="Acme directory",
        service="aware",
        kind="mimecast_api" if mimecast else "third_party_api",
        vendor="Mimecast" if mimecast else "Acme",
        base_url=base_url,
        owner="platform-team",
        credential="acme-token",
        licences=(Licence("Acme", "Directory API", date(2020, 1, 1), None),),
    )
    registry.register(item, actor="bench")
    registry.activate(item.id, actor="bench")
    registry.verify_info(item.id, actor="bench", at=datetime.now(UTC) - timedelta(days=1))
    registry.suspend(item.id, cause=SuspensionCause.MANUAL, reason="maintenance", actor="bench")
    registry.reinstate(item.id, reason="maintenance over", actor="bench")
    keystore = Keystore.create(directory / "keys.hfks", key=Keystore.generate_key())
    keystore.put("acme-token", Secret(TOKEN, label="acme-token"))
    if audit is None:
        session = GovernedSession(registry, "acme-api", keystore=keystore, engine=PolicyEngine())
    else:
        registry.close()
        governance = Governance.open(directory / "registry.db", keystore=keystore, audit_key=key)
        if audit == "off":  # the same facade, its sessions given no audit log
            governance = Governance(
                governance.registry,
                governance.engine,
                keystore=keystore,
                audit=None,
                actor=governance.actor,
                clock=governance.clock,
            )
        if audit == "strict":
            session = governance.session("acme-api", audit="strict")
        else:
            session = governance.session("acme-api")
    session.trust_env = trust_env
    url = base_url + path

    def call() -> None:
        session.get(url).raise_for_status()

    return call


def _worker(variant: str, base_url: str, package_root: str) -> None:
    """Serve blocks on request: read a count from stdin, write wall and CPU seconds per call."""
    sys.path.insert(0, package_root)
    import requests

    workdir = tempfile.TemporaryDirectory()
    trust_env = not variant.endswith("-noenv")
    if variant.startswith("bare"):
        session = requests.Session()
        session.trust_env = trust_env
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        url = base_url + "/v1/items"
        # The governed session's default timeout, for the "bare-timeout" reference.
        timeout = (10.0, 60.0) if variant == "bare-timeout" else None

        def call() -> None:
            session.get(url, timeout=timeout).raise_for_status()

    else:
        mimecast = variant == "governed-mimecast"
        audit = {
            "governed-facade": "off",
            "governed-audited": "batched",
            "governed-audited-strict": "strict",
        }.get(variant)
        call = _governed(
            base_url,
            "/api/items" if mimecast else "/v1/items",
            mimecast,
            Path(workdir.name),
            audit,
            trust_env=trust_env,
        )
    for _ in range(200):  # warm up: connection, caches, the interpreter's specialisations
        call()
    print("ready", flush=True)
    for line in sys.stdin:
        count = int(line)
        cpu = time.process_time()
        start = time.perf_counter()
        for _ in range(count):
            call()
        wall = (time.perf_counter() - start) / count
        print(f"{wall!r} {(time.process_time() - cpu) / count!r}", flush=True)
    workdir.cleanup()


# ------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--block", type=int, default=200)
    parser.add_argument("--baseline", help="a checkout of hf_api_governance before a change")
    parser.add_argument(
        "--worker", nargs=3, metavar=("VARIANT", "URL", "ROOT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return 0
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(child,), daemon=True)
    server.start()
    base_url = f"http://127.0.0.1:{parent.recv()}"
    variants: list[tuple[str, str, str]] = [
        ("bare", "bare", str(ROOT)),
        ("governed", "governed", str(ROOT)),
        ("governed-mimecast", "governed-mimecast", str(ROOT)),
        ("bare, timeout (10, 60)", "bare-timeout", str(ROOT)),
        ("bare (trust_env=False)", "bare-noenv", str(ROOT)),
        ("governed (trust_env=False)", "governed-noenv", str(ROOT)),
        ("governed-facade", "governed-facade", str(ROOT)),
        ("governed-audited", "governed-audited", str(ROOT)),
        ("governed-audited-strict", "governed-audited-strict", str(ROOT)),
    ]
    if args.baseline:
        baseline = str(Path(args.baseline).resolve())
        variants += [
            ("governed (baseline)", "governed", baseline),
            ("governed-mimecast (baseline)", "governed-mimecast", baseline),
            ("governed-audited (baseline)", "governed-audited", baseline),
        ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    workers = {}
    for name, variant, root in variants:
        proc = subprocess.Popen(
            [sys.executable, str(HERE), "--worker", variant, base_url, root],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tempfile.gettempdir(),  # nothing imported from the current directory
        )
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise SystemExit(f"worker {name} did not start")
        workers[name] = proc
    times: dict[str, list[float]] = {name: [] for name in workers}
    cpu: dict[str, list[float]] = {name: [] for name in workers}
    try:
        names = list(workers)
        for i in range(args.rounds):
            order = names[i % len(names) :] + names[: i % len(names)]
            for name in order:
                proc = workers[name]
                assert proc.stdin is not None
                assert proc.stdout is not None
                proc.stdin.write(f"{args.block}\n")
                proc.stdin.flush()
                wall, used = proc.stdout.readline().split()
                times[name].append(float(wall))
                cpu[name].append(float(used))
    finally:
        for proc in workers.values():
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=30)
        server.terminate()
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"{args.rounds} rounds of {args.block} calls per variant, one keep-alive connection each"
    )
    print(
        f"{'':30s} {'wall us/call':>12s} {'ratio':>7s}   {'client CPU us/call':>18s} {'ratio':>7s}"
    )
    for name in times:
        wall = _ratio(times, name)
        used = _ratio(cpu, name)
        print(
            f"{name:30s} {statistics.median(times[name]) * 1e6:12.1f} {wall:>7s}   "
            f"{statistics.median(cpu[name]) * 1e6:18.1f} {used:>7s}"
        )
    if "governed-facade" in times:
        for name in ("governed-audited", "governed-audited-strict"):
            pairs = zip(times[name], times["governed-facade"], strict=True)
            share = statistics.median(a / f for a, f in pairs)
            print(f"{name} / governed-facade (the audit log's own share): {share:.3f}")
    print(
        "ratio: the median of the per-round ratios to bare (each round's blocks ran under "
        "the same load); client CPU: the worker process's own CPU time, which other "
        "processes' load does not inflate"
    )
    return 0


def _ratio(times: dict[str, list[float]], name: str) -> str:
    if name in ("bare", "bare (trust_env=False)"):
        return ""
    bare = "bare (trust_env=False)" if "trust_env=False" in name else "bare"
    pairs = zip(times[name], times[bare], strict=True)
    return f"{statistics.median(g / b for g, b in pairs):.3f}"


if __name__ == "__main__":
    raise SystemExit(main())
