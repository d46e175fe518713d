"""Small HTTP servers on 127.0.0.1 that answer what a test scripts, and record what they got."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

#: Bodies up to this size are kept whole; bigger ones only as length, hash, head and tail.
KEEP_BODY = 16 * 1024 * 1024


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]
    header_names: list[str]
    length: int
    sha256: str
    body: bytes | None
    head: bytes
    tail: bytes
    chunked: bool
    at: float

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def json(self) -> Any:
        assert self.body is not None
        return json.loads(self.body)


@dataclass
class Reply:
    """What the server answers: a status, a body (dict/list become JSON), headers."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    #: Send only this many bytes of the body, then drop the connection.
    cut_after: int | None = None

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, (dict, list)):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            return self.body.encode(), headers
        return self.body, headers


Route = Callable[[Seen], Reply]


class ScriptedServer:
    """An HTTP/1.1 server in a thread. ``replies`` are used in order, then ``route`` answers."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Seen] = []
        self.replies: list[Reply] = []
        self.route: Route = lambda seen: Reply(200, {})
        #: Off for huge uploads: then only length, hash, head and tail are kept.
        self.keep_bodies = True
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; without this, delayed ACKs add
            # 40 ms to every answer.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle_any(self) -> None:
                seen = server._receive(self)
                with server._lock:
                    server.requests.append(seen)
                    reply = server.replies.pop(0) if server.replies else None
                if reply is None:
                    reply = server.route(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                body, headers = reply.encoded()
                try:
                    self.send_response(reply.status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if reply.cut_after is not None:
                        self.wfile.write(body[:reply.cut_after])
                        self.close_connection = True
                        return
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        class Server(ThreadingHTTPServer):
            daemon_threads = False  # so server_close() joins every handler thread

            def get_request(self) -> tuple[socket.socket, Any]:
                conn, address = super().get_request()
                with server._lock:
                    server._sockets.append(conn)
                return conn, address

        self._httpd = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def _receive(self, handler: BaseHTTPRequestHandler) -> Seen:
        headers = {k.lower(): v for k, v in handler.headers.items()}
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        digest = hashlib.sha256()
        kept = bytearray()
        head = bytearray()
        tail = b""
        length = 0

        def take(block: bytes) -> None:
            nonlocal length, tail
            digest.update(block)
            if self.keep_bodies and length < KEEP_BODY:
                kept.extend(block)
            if len(head) < 65536:
                head.extend(block[: 65536 - len(head)])
            tail = (tail + block)[-4096:]
            length += len(block)

        if chunked:
            while True:
                size = int(handler.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    handler.rfile.readline()
                    break
                take(handler.rfile.read(size))
                handler.rfile.readline()
        else:
            remaining = int(headers.get("content-length", "0") or 0)
            while remaining:
                block = handler.rfile.read(min(remaining, 1024 * 1024))
                if not block:
                    break
                take(block)
                remaining -= len(block)
        return Seen(method=handler.command, target=handler.path, headers=headers,
                    header_names=[k.lower() for k in handler.headers], length=length,
                    sha256=digest.hexdigest(),
                    body=bytes(kept) if self.keep_bodies and length <= KEEP_BODY else None,
                    head=bytes(head),
                    tail=tail, chunked=chunked, at=time.monotonic())

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        with self._lock:
            # Wake handler threads waiting on kept-alive connections so the join is quick.
            for conn in self._sockets:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self._httpd.server_close()
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def other_server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


class FakeClock:
    """Wall-clock time that moves only when something sleeps; records every sleep."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def limits(clock: FakeClock, limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    """Procore's rate-limit headers: ``remaining`` of ``limit`` left, reset ``reset_in`` s on."""
    return {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(clock.time() + reset_in)}


class FakeTokens:
    """A TokenProvider double: hands out tokens in turn, each rejection moves to the next."""

    def __init__(self, *tokens: str) -> None:
        self._tokens = list(tokens)
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self._tokens[0]

    def token_rejected(self, token: str) -> None:
        self.rejected.append(token)
        if len(self._tokens) > 1 and self._tokens[0] == token:
            self._tokens.pop(0)

    def identity(self) -> str | None:
        return "user-1"


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate (and its key) for 127.0.0.1, in one PEM file."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    pem = tmp_path / "server.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(pem), "-out", str(pem)],
                   check=True, capture_output=True, timeout=60)
    return pem


@pytest.fixture
def tls_server(certificate: Path) -> Iterator[ScriptedServer]:
    """A TLS server with that certificate, answering ``{"id": 1}`` with an ETag."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    srv = ScriptedServer(tls=context).start()
    srv.route = lambda seen: Reply(200, {"id": 1}, {"ETag": '"e"'})
    yield srv
    srv.stop()
