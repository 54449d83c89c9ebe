"""Real HTTP servers on 127.0.0.1 for the client tests (stdlib, one thread each)."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import requests


@attrs.frozen
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@attrs.frozen
class Reply:
    status: int = 200
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: Any = b""

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain")
            return self.body.encode(), headers
        headers.setdefault("Content-Type", "application/json")
        return json.dumps(self.body).encode(), headers


Handler = Callable[[Received], Reply]


class _Server(ThreadingHTTPServer):
    """A ThreadingHTTPServer that stays quiet when a client hangs up mid-answer.

    Tests that time out or close a stream early leave the handler writing to a
    closed socket; the default ``handle_error`` prints a traceback between dashes
    for that. Any other error is still printed.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class LocalServer:
    """A ThreadingHTTPServer with per-route handlers that records what it receives."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.routes: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers=dict(self.headers.items()),
                    body=body,
                )
                with server._lock:
                    server.received.append(received)
                    handler = server.routes.get((self.command, parts.path))
                reply = handler(received) if handler else Reply(404, body={"error": "no route"})
                data, headers = reply.encoded()
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def route(self, method: str, path: str, handler: Handler | Reply) -> None:
        with self._lock:
            if isinstance(handler, Reply):
                reply = handler
                self.routes[(method, path)] = lambda _r: reply
            else:
                self.routes[(method, path)] = handler

    def requests_to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]

    def clear(self) -> None:
        with self._lock:
            self.received.clear()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class RawServer:
    """A socket server on 127.0.0.1 that answers each connection with given raw bytes.

    For answers no well-behaved server library writes: broken chunked
    encoding, a ``Location`` in raw non-ASCII bytes, or no answer at all
    (``answer=None``: accept, read, and hold the connection open).
    """

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.connections = 0
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(65536)
            if self.answer is None:
                self._held.append(conn)
                continue
            with contextlib.suppress(OSError):
                conn.sendall(self.answer)
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()


class LocalProxy:
    """A plain-http forwarding proxy on 127.0.0.1 that records the absolute URLs it relays."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        proxy = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("proxy-connection", "connection", "host", "content-length")
                }
                try:
                    answer = requests.request(
                        self.command,
                        self.path,
                        headers=headers,
                        data=body,
                        allow_redirects=False,
                        timeout=5,
                        proxies={"http": "", "https": ""},
                    )
                    data, status = answer.content, answer.status_code
                    ctype = answer.headers.get("Content-Type", "application/octet-stream")
                except requests.RequestException:
                    data, status, ctype = b"bad gateway", 502, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _relay

        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def dead_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
