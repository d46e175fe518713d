"""The one-shot listener on 127.0.0.1 and ::1 that receives the sign-in code from the browser.

It accepts exactly one redirect carrying the ``state`` it was given, answers with a small
"you can close this tab" page, and shuts down. Redirects with a wrong or missing ``state`` are
refused and it keeps waiting.
"""

from __future__ import annotations

import errno
import html
import socket
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from uploader_gui.auth.errors import LoginFailed

log = logging.getLogger(__name__)

#: How long one browser connection may sit idle (a speculative connection must not hold us up).
CONNECTION_TIMEOUT = 5.0


@dataclass(frozen=True)
class Redirect:
    """What the browser brought back: a code, or Procore's error."""

    code: str | None = None
    error: str | None = None
    error_description: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    # Join handler threads on close, so none outlives the listener.
    block_on_close = True
    listener: LoopbackListener


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = CONNECTION_TIMEOUT

    def do_GET(self) -> None:
        self.server.listener._answer(self)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line holds the code: nothing of it goes to stderr or the log.
        pass


class LoopbackListener:
    """Waits on ``http://localhost:PORT/PATH`` (127.0.0.1 and ::1, same port) for one redirect."""

    def __init__(self, expected_state: str, *, port: int = 8765, path: str = "/callback",
                 on_done: Callable[[], object] | None = None) -> None:
        self._on_done = on_done
        self._state = expected_state
        self._path = path or "/"
        self._port = port
        self._server: _Server | None = None
        self._server6: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._done = threading.Event()
        self._result: Redirect | None = None
        self._lock = threading.Lock()
        #: Redirects refused for a wrong or missing state.
        self.refused = 0

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._port

    @property
    def redirect_uri(self) -> str:
        """The address to register with Procore (``localhost``, as Procore requires)."""
        return f"http://localhost:{self.port}{self._path}"

    def start(self) -> LoopbackListener:
        server = self._bind(_Server, "127.0.0.1", self._port)
        # "localhost" may be looked up as ::1 first: listen there too, on the same port, so
        # no other program (another user's) can hold [::1]:PORT and receive the code.
        try:
            server6: _Server | None = self._bind(_Server6, "::1", server.server_address[1])
        except _NoIPv6:
            server6 = None  # no IPv6 loopback on this computer: nothing can listen there
        except LoginFailed:
            server.server_close()
            raise
        for one in (server, server6):
            if one is not None:
                one.listener = self
                one.timeout = 0.05
        self._server, self._server6 = server, server6
        self._thread = threading.Thread(target=self._serve, name="sign-in-listener",
                                        daemon=True)
        self._thread.start()
        log.info("Waiting for the sign-in redirect on 127.0.0.1:%d%s", self.port,
                 " and [::1]" if server6 is not None else "")
        return self

    def _bind(self, kind: type[_Server], host: str, port: int) -> _Server:
        try:
            return kind((host, port), _Handler)
        except OSError as exc:
            if kind is _Server6 and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                raise _NoIPv6() from None
            if exc.errno == errno.EADDRINUSE:
                raise LoginFailed(
                    f"Another program on this computer is using port {port}, which "
                    "signing in needs. Close that program and try again, or ask your "
                    "administrator which other port is registered with Procore.") from None
            raise LoginFailed(f"Signing in could not listen on port {port} "
                              f"({exc.strerror or exc}).") from None

    def _serve(self) -> None:
        assert self._server is not None
        servers = [s for s in (self._server, self._server6) if s is not None]
        try:
            while not self._stop.is_set():
                for server in servers:
                    server.handle_request()
        finally:
            for server in servers:
                server.server_close()
            self._done.set()
            if self._on_done is not None:
                self._on_done()

    def wait(self, timeout: float | None = None) -> Redirect | None:
        """The redirect once it came (None on timeout or after :meth:`stop`)."""
        self._done.wait(timeout)
        with self._lock:
            return self._result

    def stop(self) -> None:
        """Stop listening and wait for the listener's threads to end."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CONNECTION_TIMEOUT + 2)

    # -- one request -----------------------------------------------------------------------

    def _answer(self, request: _Handler) -> None:
        parts = urlsplit(request.path)
        if parts.path != self._path:
            self._send(request, 404, "Not found", "<p>Nothing here.</p>")
            return
        query = parse_qs(parts.query, keep_blank_values=True)
        state = (query.get("state") or [""])[0]
        with self._lock:
            finished = self._result is not None
            if not finished and state == self._state:
                self._result = Redirect(code=_first(query, "code"), error=_first(query, "error"),
                                        error_description=_first(query, "error_description"))
                result: Redirect | None = self._result
            else:
                result = None
                if not finished:
                    self.refused += 1
        if result is None:
            log.warning("Refused a sign-in redirect with a %s state", "missing" if not state
                        else "wrong" if not finished else "late")
            self._send(request, 400, "Sign-in link not recognised",
                       "<p>This sign-in page does not belong to the sign-in Procore Uploader is "
                       "waiting for. Go back to Procore Uploader and start signing in "
                       "again.</p>")
            return
        if result.code:
            self._send(request, 200, "Signed in",
                       "<p>You are signed in to Procore Uploader. You can close this tab and go "
                       "back to the app.</p>")
        else:
            self._send(request, 200, "Sign-in not completed",
                       "<p>Procore did not sign you in"
                       f"{' (' + html.escape(result.error) + ')' if result.error else ''}. "
                       "You can close this tab and try again from Procore Uploader.</p>")
        self._stop.set()

    @staticmethod
    def _send(request: _Handler, status: int, title: str, body: str) -> None:
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>"
                f"</head><body><h1>{title}</h1>{body}</body></html>").encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "text/html; charset=utf-8")
            request.send_header("Content-Length", str(len(page)))
            request.send_header("Cache-Control", "no-store")
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(page)
        except OSError:
            log.info("The browser closed the sign-in connection before the answer")


class _NoIPv6(Exception):
    """This computer has no IPv6 loopback address."""


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] or None if values else None
