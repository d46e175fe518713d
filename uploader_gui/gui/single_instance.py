"""One window per user and environment: a second launch hands its files to the running one.

The first launch listens on a local socket (a Unix socket file, or a named pipe on Windows)
whose name is made from the user, the data folder and the environment, so a demo never catches
a real run's files and two people on one computer each get their own window. A later launch
connects, sends one JSON line ``{"paths": [...]}`` with absolute paths, waits for ``ok`` and
exits; the running window adds the files and comes to the front. A socket file left by a
crashed run is removed. Only the second launch (before it has a window) waits on the socket;
the running window reads without blocking.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

from uploader_gui import local_peers
from uploader_gui.gui.signals import emit

log = logging.getLogger(__name__)

#: How long a second launch waits to connect to the running window.
CONNECT_TIMEOUT_MS = 5000
#: How long it waits for the answer: a window still starting answers once it is up.
ANSWER_TIMEOUT_MS = 30_000
#: Longest Unix socket path used (the system limit is 104 or 108 bytes).
MAX_PATH = 100
#: A message larger than this is not a list of paths (and is dropped).
MAX_MESSAGE = 4 * 1024 * 1024


def server_name(scope: str, environ: Mapping[str, str] | None = None) -> str:
    """The socket name for this user, data folder and ``scope`` (the environment, or demo).

    Hashed so it reveals nothing about the user's folders. On Unix a full path: in the user's
    runtime folder (removed at log-out) when it is private, else in a 0700 folder of the user's
    in the temporary folder, within the socket path limit (104 bytes on macOS, 108 on Linux).
    """
    environ = os.environ if environ is None else environ
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no user name (containers without a passwd entry)
        user = ""
    uid = str(os.getuid()) if hasattr(os, "getuid") else ""
    home = environ.get("PROCORE_UPLOADER_HOME", "")
    key = f"{user}\0{uid}\0{home}\0{scope}"
    name = "procore-uploader-" + hashlib.sha256(key.encode()).hexdigest()[:20]
    if os.name == "nt":  # a named pipe, private to the session
        return name
    # Never straight in a shared folder: another user could take the name first.
    folder = local_peers.socket_dir(environ, MAX_PATH - len(name) - 1)
    return os.path.join(folder, name) if folder else name


def encode(paths: Sequence[Path]) -> bytes:
    return json.dumps({"paths": [str(Path(p).absolute()) for p in paths]}).encode() + b"\n"


def decode(line: bytes) -> list[Path]:
    """The paths in one message; ValueError when it is not one."""
    message = json.loads(line.decode("utf-8"))
    paths = message.get("paths") if isinstance(message, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise ValueError("not a list of paths")
    return [Path(p) for p in paths]


class SingleInstance(QObject):
    """The running window's end (``listen``) and a second launch's end (``hand_off``)."""

    #: Files handed over by a later launch (possibly none: then just come to the front).
    paths_received = Signal(list)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytearray] = {}

    # -- a second launch ----------------------------------------------------------------------

    def hand_off(self, paths: Sequence[Path], answer_timeout_ms: int = ANSWER_TIMEOUT_MS) -> bool:
        """Give ``paths`` to a running window. False when none runs (or it did not answer)."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
            return False
        if not local_peers.same_user(int(socket.socketDescriptor())):
            log.warning("the single-instance socket belongs to another user; files not handed "
                        "over")
            socket.abort()
            return False
        try:
            socket.write(encode(paths))
            if not socket.waitForBytesWritten(CONNECT_TIMEOUT_MS):
                log.warning("the running window did not take the files: %s",
                            socket.errorString())
                return False
            answer = b""
            while not answer.endswith(b"\n") and socket.waitForReadyRead(answer_timeout_ms):
                answer += bytes(socket.readAll().data())
            if answer.strip() != b"ok":
                log.warning("the running window did not confirm the files (%r)", answer[:40])
                return False
            return True
        finally:
            socket.disconnectFromServer()

    # -- the running window -------------------------------------------------------------------

    def listen(self) -> bool:
        """Become the window later launches hand their files to."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            if server.serverError() != QAbstractSocket.SocketError.AddressInUseError:
                log.warning("cannot listen for later launches: %s", server.errorString())
                return False
            if self._answers():  # another launch began listening a moment ago
                return False
            # Nobody answers on it, so a crashed run left it behind.
            log.info("removing a stale single-instance socket %s", self.name)
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("cannot listen for later launches: %s", server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def _answers(self) -> bool:
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        answered = probe.waitForConnected(1000)
        probe.abort()
        return answered

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def close(self) -> None:
        """Stop listening and drop open connections (removes the socket file)."""
        for socket in list(self._buffers):
            socket.abort()
            socket.deleteLater()
        self._buffers.clear()
        if self._server is not None:
            self._server.close()
            self._server.deleteLater()
            self._server = None

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            if not local_peers.same_user(int(socket.socketDescriptor())):
                log.warning("refused a connection from another user's process")
                socket.abort()
                socket.deleteLater()
                continue
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._buffers.get(socket)
        if buffer is None:
            return
        buffer += bytes(socket.readAll().data())
        if len(buffer) > MAX_MESSAGE:
            log.warning("dropping an oversized message from a later launch")
            self._forget(socket)
            return
        if b"\n" not in buffer:
            return
        line = bytes(buffer).split(b"\n", 1)[0]
        try:
            paths = decode(line)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("ignoring an unreadable message from a later launch: %s", exc)
            socket.write(b"error\n")
        else:
            socket.write(b"ok\n")
            emit(self.paths_received, paths)
        socket.flush()
        socket.disconnectFromServer()

    def _forget(self, socket: QLocalSocket) -> None:
        if self._buffers.pop(socket, None) is not None:
            socket.deleteLater()
            if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
                socket.abort()


def claim(scope: str, paths: Sequence[Path]) -> SingleInstance | None:
    """None when a running window took ``paths`` (this launch should exit); otherwise this
    launch's instance, listening (or not, if the socket cannot be made: the app still runs)."""
    instance = SingleInstance(server_name(scope))
    if instance.hand_off(paths):
        return None
    if not instance.listen() and instance.hand_off(paths):
        return None  # another launch started listening in the meantime
    return instance


class Receives(Protocol):
    def bring_back(self) -> None: ...
    def add_paths(self, paths: Sequence[Path]) -> None: ...


def deliver_to(source: QObject, window: Receives) -> None:
    """Files from ``source``'s ``paths_received`` (a later launch, or the desktop opening
    files with the app) go into ``window``'s queue, and the window comes to the front."""
    def receive(paths: list[Path]) -> None:
        window.bring_back()
        window.add_paths(paths)

    source.paths_received.connect(receive)  # type: ignore[attr-defined]
