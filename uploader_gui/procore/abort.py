"""Cutting off a request stuck in the network when its upload is paused or cancelled.

A request body is polled for "stop" between blocks, but a request whose socket is stuck (a
network that went away, a server that stopped reading or answering) waits in the kernel until
its timeout, minutes later. So each request can be *watched*: the connection that carries it is
remembered, and when the upload is told to stop, its socket is shut down from the stopping
thread. The blocked send or receive returns at once with an error, which the upload treats as
stopped, and urllib3 throws that connection away instead of reusing it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from uploader_gui.procore import deadline
from uploader_gui.procore.errors import Cancelled

_local = threading.local()


class StopHooks(Protocol):
    """Something that says when to stop (TransferControl): ``on_stop(fn)`` returns a remover."""

    def on_stop(self, callback: Callable[[], None]) -> Callable[[], None]: ...


class _Watcher:
    """The connection of one thread's current request, and whether it must be cut."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self.stopped = threading.Event()

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            stopped = self.stopped.is_set()
        if stopped:
            _cut(connection)

    def stop(self) -> None:
        with self._lock:
            self.stopped.set()
            connection = self._connection
        if connection is not None:
            _cut(connection)


def cut(connection: HTTPConnection) -> None:
    """Shut the connection's socket down, so a send or receive blocked on it returns."""
    _cut(connection)


def _cut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return  # not connected yet: the body's own stop check ends the request
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def watching(hooks: StopHooks | None) -> Iterator[None]:
    """Requests made by this thread inside the block are cut off when ``hooks`` says stop."""
    if hooks is None:
        yield
        return
    watcher = _Watcher()
    previous = getattr(_local, "watcher", None)
    _local.watcher = watcher
    remove = hooks.on_stop(watcher.stop)
    try:
        yield
    finally:
        remove()
        _local.watcher = previous


def current_stopped() -> bool:
    """Whether the work this thread is doing inside :func:`watching` was told to stop."""
    watcher: _Watcher | None = getattr(_local, "watcher", None)
    return watcher is not None and watcher.stopped.is_set()


def sleep(seconds: float) -> None:
    """``time.sleep``, but inside :func:`watching` a stop wakes it and raises Cancelled.

    Retry back-offs and rate-limit holds sleep through this, so a paused upload does not sit
    out a long ``Retry-After`` first.
    """
    watcher: _Watcher | None = getattr(_local, "watcher", None)
    if watcher is None:
        time.sleep(seconds)
    elif watcher.stopped.wait(max(0.0, seconds)):
        raise Cancelled()


class _Tracked:
    def request(self, *args: Any, **kwargs: Any) -> None:
        watcher: _Watcher | None = getattr(_local, "watcher", None)
        if watcher is not None:
            watcher.attach(self)  # type: ignore[arg-type]
        limit = deadline.current()
        if limit is not None:
            limit.arm(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _DisarmOnReturn:
    """A connection back in the pool has its answer read to the end: its deadline is met."""

    def _put_conn(self, conn: Any) -> None:
        limit = deadline.current()
        if limit is not None and conn is not None:
            limit.disarm(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class TrackedHTTPConnection(_Tracked, HTTPConnection):
    pass


class TrackedHTTPSConnection(_Tracked, HTTPSConnection):
    pass


class TrackedHTTPConnectionPool(_DisarmOnReturn, HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class TrackedHTTPSConnectionPool(_DisarmOnReturn, HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


#: Give a urllib3 PoolManager (or ProxyManager) these pool classes to make its requests cuttable.
POOL_CLASSES = {"http": TrackedHTTPConnectionPool, "https": TrackedHTTPSConnectionPool}


def make_cuttable(manager: Any) -> Any:
    """Let ``manager``'s connections be cut by :func:`watching`; returns it."""
    manager.pool_classes_by_scheme = dict(POOL_CLASSES)
    return manager
