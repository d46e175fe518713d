"""Short background jobs (Procore listings, journal writes) so the window never waits on I/O.

Each job is a plain callable run on a private QThreadPool; its result or exception comes back on
the GUI thread through signals on a separate QObject, to the callbacks given with the job.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from uploader_gui.gui.signals import emit

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class _JobSignals(QObject):
    """Lives on the GUI thread; the pool thread emits, Qt queues the call to the GUI thread."""

    succeeded = Signal(int, object)
    failed = Signal(int, object)


class _Job(QRunnable):
    def __init__(self, job_id: int, fn: Callable[[], Any], signals: _JobSignals) -> None:
        super().__init__()
        self._id = job_id
        self._fn = fn
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # reported to the caller's callback, never lost
            log.debug("background job %d failed: %r", self._id, exc)
            emit(self._signals.failed, self._id, exc)
        else:
            emit(self._signals.succeeded, self._id, result)


class TaskRunner(QObject):
    """Runs callables off the GUI thread; ``shutdown`` waits for them with a bound."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._signals = _JobSignals(self)
        self._signals.succeeded.connect(self._on_succeeded)
        self._signals.failed.connect(self._on_failed)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callback | None, ErrorCallback | None]] = {}
        self._closed = False

    def submit(self, fn: Callable[[], Any], on_done: Callback | None = None,
               on_error: ErrorCallback | None = None) -> int:
        """Run ``fn()`` in the background; ``on_done(result)`` / ``on_error(exc)`` on this
        thread."""
        if self._closed:
            raise RuntimeError("the background runner is shut down")
        job_id = next(self._ids)
        self._callbacks[job_id] = (on_done, on_error)
        self._pool.start(_Job(job_id, fn, self._signals))
        return job_id

    @property
    def pending(self) -> int:
        """Jobs whose callbacks have not run yet."""
        return len(self._callbacks)

    @Slot(int, object)
    def _on_succeeded(self, job_id: int, result: object) -> None:
        on_done, _ = self._callbacks.pop(job_id, (None, None))
        if on_done is not None and not self._closed:
            on_done(result)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: object) -> None:
        _, on_error = self._callbacks.pop(job_id, (None, None))
        if self._closed:
            return
        if on_error is not None:
            on_error(exc)  # type: ignore[arg-type]
        else:
            log.error("background job failed: %s", exc)

    def shutdown(self, timeout_ms: int = 5000, finish_queued: bool = False) -> bool:
        """Stop taking jobs and wait for running ones (queued ones too with
        ``finish_queued``, else they are dropped); True when all finished in time."""
        self._closed = True
        if not finish_queued:
            self._pool.clear()
        done = self._pool.waitForDone(timeout_ms)
        if not done:
            log.warning("background jobs still running after %d ms", timeout_ms)
        self._callbacks.clear()
        return bool(done)
