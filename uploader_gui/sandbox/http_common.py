"""What the sandbox's HTTP servers share: a server that can close every connection it holds,
and a request handler with keep-alive, body reading, request logging and fault helpers."""

from __future__ import annotations

import json
import logging
import socket
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .records import RequestRecord

if TYPE_CHECKING:
    from .faults import FaultPlan
    from .state import SandboxState

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


class ApiError(Exception):
    """An API answer other than success: status, JSON body and extra headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body
        self.headers = headers or {}


class Headers(Mapping[str, str]):
    """Request headers looked up without regard to case (names iterate in lower case)."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = {name.lower(): value for name, value in items}

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class ConnectionDropped(Exception):
    """The peer went away, or a fault asked us to drop the connection: answer nothing."""


class SandboxServer(ThreadingHTTPServer):
    """A threading server on 127.0.0.1 that tracks its connections so ``close_all`` ends them."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, handler: type[BaseHTTPRequestHandler], name: str,
                 state: SandboxState, faults: FaultPlan, stopping: threading.Event) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.name = name
        self.state = state
        self.faults = faults
        self.stopping = stopping
        self._conns: set[socket.socket] = set()
        self._conn_threads: set[threading.Thread] = set()
        self._track = threading.Lock()
        #: Both servers' URLs, set once both listen (signed links point at the storage one).
        self.api_url = ""
        self.storage_url = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._serve_connection, args=(request, client_address),
                                  name=f"sandbox-{self.name}-conn", daemon=True)
        with self._track:
            self._conns.add(request)
            self._conn_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._track:
                self._conns.discard(request)
                self._conn_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that resets an idle keep-alive connection (a program quitting) is normal:
        no traceback on stderr. Anything else is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionResetError, BrokenPipeError)):
            logger.debug("%s: connection from %s reset", self.name, client_address)
            return
        logger.exception("%s: error serving %s", self.name, client_address)

    def close_all(self, timeout: float = 5.0) -> None:
        """Shut every open connection so its thread ends, then wait for those threads."""
        with self._track:
            conns = list(self._conns)
            threads = list(self._conn_threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("A %s connection thread did not stop in time", self.name)


class SandboxHandler(BaseHTTPRequestHandler):
    """Base handler: HTTP/1.1 keep-alive, exact Content-Length on every answer, request log."""

    protocol_version = "HTTP/1.1"
    server: SandboxServer
    #: An answer leaves as two writes (head, then body). With Nagle's algorithm the body waits
    #: for the ACK of the head, which the client delays (~40 ms on Linux): every call would
    #: take 40 ms longer than it takes at Procore or S3.
    disable_nagle_algorithm = True
    #: Seconds a read may block; an idle keep-alive connection is closed after this.
    timeout = 60

    def setup(self) -> None:
        super().setup()
        self._bytes_received = 0
        self._answered_status: int | None = None
        self._received_at = 0.0

    def version_string(self) -> str:
        return self.server_version

    # BaseHTTPRequestHandler logs to stderr; send it to our logger instead.
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s: " + format, self.server.name, *args)

    @property
    def state(self) -> SandboxState:
        return self.server.state

    @property
    def split(self) -> Any:
        return urlsplit(self.path)

    def begin_request(self) -> None:
        self._bytes_received = 0
        self._answered_status = None
        self._received_at = self.state.now()

    def finish_request_log(self, status: int) -> None:
        parts = urlsplit(self.path)
        self.state.record_request(RequestRecord(
            server=self.server.name, method=self.command, path=parts.path, query=parts.query,
            status=status, authorization_sent="Authorization" in self.headers,
            bytes_received=self._bytes_received, received_at=self._received_at,
            answered_at=self.state.now()))

    def content_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return None
        try:
            value = int(raw)
        except ValueError:
            return None
        return value if value >= 0 else None

    def is_chunked(self) -> bool:
        return "chunked" in self.headers.get("Transfer-Encoding", "").lower()

    def read_exact(self, size: int) -> bytes:
        """Read exactly ``size`` body bytes or raise ConnectionDropped."""
        data = self.rfile.read(size)
        self._bytes_received += len(data)
        if len(data) != size:
            raise ConnectionDropped("The client closed the connection mid-body")
        return data

    def read_into(self, view: memoryview) -> int:
        """Fill ``view`` from the body; returns how many bytes arrived (fewer only at EOF)."""
        got = 0
        while got < len(view):
            try:
                n = self.rfile.readinto(view[got:])
            except (OSError, ValueError):
                break
            if not n:
                break
            got += n
        self._bytes_received += got
        return got

    def drain(self, remaining: int) -> None:
        """Read and discard what is left of a body so the connection can carry an answer."""
        buffer = memoryview(bytearray(min(CHUNK, max(remaining, 1))))
        while remaining > 0:
            n = self.read_into(buffer[:min(remaining, len(buffer))])
            if n == 0:
                self.close_connection = True
                return
            remaining -= n

    def send_bytes(self, status: int, headers: dict[str, str], body: bytes) -> None:
        # Logged before the answer leaves, so a client that got it always finds it logged.
        self._answered_status = status
        self.finish_request_log(status)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        self.send_bytes(status, merged, json.dumps(body).encode())

    def drop_connection(self) -> None:
        """Close the socket without an answer (a fault, or a peer that went away)."""
        self.close_connection = True
        self._answered_status = 0
        self.finish_request_log(0)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def drip(self, seconds: float, body: bytes, headers: dict[str, str] | None = None) -> None:
        """A whole 200 answer, one byte every ``seconds``: each read gets something, none
        ends it (a ``drip`` fault)."""
        self.close_connection = True
        self._answered_status = 200
        self.finish_request_log(200)
        head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        answer = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{head}"
                  f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
        for byte in answer:
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:
                return  # the client gave up
            if self.server.stopping.wait(seconds):
                return

    def wait(self, seconds: float) -> None:
        """Sleep for a fault, but wake at once when the sandbox stops."""
        self.server.stopping.wait(seconds)
