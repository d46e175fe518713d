"""An overall deadline for each request, so a server that drips its answer cannot hang a call.

The read timeout only bounds the wait for the *next* byte: a server that sends one byte every
few seconds never trips it. Inside :func:`request_deadline`, every request this thread sends
gets a timer from the moment it goes out; when the answer is not complete in time, the
connection's socket is shut down (as :mod:`uploader_gui.procore.abort` does for a pause), the
blocked read returns with an error, and :attr:`RequestDeadline.expired` says why.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_local = threading.local()


class RequestDeadline:
    """The timer of the request this thread has in flight (one at a time per thread)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: True once a request ran out of time (the caller words its error from this).
        self.expired = False
        self._lock = threading.Lock()
        self._connection: Any = None
        self._timer: threading.Timer | None = None

    def arm(self, connection: Any) -> None:
        """A request goes out on ``connection``: its answer must be complete in time."""
        self.disarm()
        self.expired = False  # what counts is whether the latest attempt ran out of time
        timer = threading.Timer(self.seconds, self._expire)
        timer.daemon = True
        with self._lock:
            self._connection, self._timer = connection, timer
        timer.start()

    def disarm(self, connection: Any = None) -> None:
        """The answer on ``connection`` (any, when None) is complete: stop its timer."""
        with self._lock:
            if connection is not None and connection is not self._connection:
                return
            timer, self._timer, self._connection = self._timer, None, None
        if timer is not None:
            timer.cancel()
            timer.join()

    def _expire(self) -> None:
        with self._lock:
            connection = self._connection
            if connection is None:
                return
            self.expired = True
        from uploader_gui.procore.abort import cut

        cut(connection)


@contextlib.contextmanager
def request_deadline(seconds: float | None) -> Iterator[RequestDeadline | None]:
    """Requests this thread sends inside the block each get ``seconds`` to be answered."""
    if seconds is None:
        yield None
        return
    deadline = RequestDeadline(seconds)
    previous = getattr(_local, "deadline", None)
    _local.deadline = deadline
    try:
        yield deadline
    finally:
        _local.deadline = previous
        deadline.disarm()


def current() -> RequestDeadline | None:
    """The deadline of this thread's requests, if any."""
    return getattr(_local, "deadline", None)
