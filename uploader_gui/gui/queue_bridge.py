"""The thin Qt side of the upload service: its workers as QThreads, its events on the GUI thread.

:class:`UploadService` (Qt-free) owns the queue; the window only adapts it. :class:`QtWorkers`
gives the service QThreads to run files on, and :class:`QueueBridge` hands each of the
service's events (emitted on whatever thread made the change) to the GUI thread as a queued
signal, in the order they happened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from uploader_gui.gui.signals import emit
from uploader_gui.transfer.queue import QueueEvent, UploadService

log = logging.getLogger(__name__)

#: Threads still running when their owner went away: kept referenced until they end, since
#: deleting a running QThread aborts the process.
_outliving: set[QThread] = set()


class _UploadThread(QThread):
    """Runs one service worker loop (``threading.Thread``'s start/join/is_alive)."""

    def __init__(self, target: Callable[[], None], name: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._target = target

    def run(self) -> None:
        self._target()

    def join(self, timeout: float | None = None) -> None:
        if timeout is None:
            self.wait()
        else:
            self.wait(max(0, int(timeout * 1000)))

    def is_alive(self) -> bool:
        return self.isRunning()


class QtWorkers(QObject):
    """Makes the service's workers as QThreads and lets each go only once it has ended."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: set[_UploadThread] = set()

    def spawn(self, target: Callable[[], None], name: str) -> _UploadThread:
        thread = _UploadThread(target, name)
        self._threads.add(thread)
        thread.finished.connect(self._ended)  # queued: runs here once the thread has ended
        return thread

    @Slot()
    def _ended(self) -> None:
        for thread in [t for t in self._threads if t.isFinished()]:
            thread.wait()
            self._threads.discard(thread)

    def keep_running_ones(self) -> None:
        """Before this object goes: threads that have not ended stay referenced."""
        for thread in self._threads:
            if thread.isRunning():
                log.warning("an upload thread did not stop in time; it ends by itself")
                _outliving.add(thread)
        self._threads.clear()


class QueueBridge(QObject):
    """Re-emits the service's events on the thread this object lives on (the GUI thread)."""

    #: A :data:`QueueEvent`, delivered in the order the service emitted them.
    happened = Signal(object)

    def __init__(self, service: UploadService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = service.subscribe(self._from_service)

    def _from_service(self, event: QueueEvent) -> None:
        emit(self.happened, event)  # queued when called on a worker thread

    def detach(self) -> None:
        self._unsubscribe()
