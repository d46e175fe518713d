"""A small HTTP proxy run as its own process for the proxy tests (standard library only).

``python3 proxy_process.py LOGFILE`` listens on 127.0.0.1 (an ephemeral port, printed on the
first line of stdout), forwards plain-HTTP requests given with an absolute URL and tunnels
``CONNECT`` requests. Each request it sees is appended to LOGFILE as one JSON line:
``{"method", "target", "headers"}`` (header names in lower case).
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_lock = threading.Lock()


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _record(self) -> None:
        line = json.dumps({"method": self.command, "target": self.path,
                           "headers": sorted(k.lower() for k in self.headers)})
        with _lock, open(sys.argv[1], "a", encoding="utf-8") as log:
            log.write(line + "\n")

    def do_CONNECT(self) -> None:
        self._record()
        host, _, port = self.path.rpartition(":")
        try:
            upstream = socket.create_connection((host, int(port)), timeout=10)
        except OSError:
            self.send_error(502)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.close_connection = True
        sockets = [self.connection, upstream]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 10)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()

    def _forward(self) -> None:
        self._record()
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=30) as up:
            head = [f"{self.command} {path} HTTP/1.1"]
            for name, value in self.headers.items():
                if name.lower() not in ("proxy-connection", "connection", "keep-alive"):
                    head.append(f"{name}: {value}")
            head.append("Connection: close")
            up.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            answer = b""
            while chunk := up.recv(65536):
                answer += chunk
        self.close_connection = True
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
