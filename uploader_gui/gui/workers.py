"""QThread workers that run the engine's uploads, a pool of them sized by the settings.

Each worker is a QObject moved to its own long-lived QThread; it runs one ``engine.run`` at a
time and reports through signals on a separate QObject that lives on the GUI thread. Pause and
cancel set flags the engine polls between chunks; shutdown stops what runs and waits for every
thread with a bound. An upload stopped by the shutdown (not paused by the person) is put back
in the queue by its worker, so the next start continues it by itself.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from uploader_gui.gui.signals import emit
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.model import ProgressEvent, UploadItem, UploadState

log = logging.getLogger(__name__)


class RunsUploads(Protocol):
    """The part of the engine the workers use."""

    def run(self, upload_id: int, control: TransferControl | None = None,
            on_event: Callable[[ProgressEvent], None] | None = None) -> UploadItem: ...
    def retry(self, upload_id: int) -> UploadItem: ...


class WorkerSignals(QObject):
    """Signals of every worker; created on the GUI thread so receivers run there."""

    #: An upload began on a worker.
    started = Signal(int)
    #: A ProgressEvent from the engine.
    progress = Signal(object)
    #: The UploadItem in its end state (done, failed, paused, cancelled, ...).
    returned = Signal(object)
    #: The engine raised instead of returning (upload id, message): a bug, shown as a failure.
    errored = Signal(int, str)
    #: The worker (by number) is free again.
    finished = Signal(int)


class UploadWorker(QObject):
    """Runs uploads one at a time in the thread it was moved to."""

    #: Queued to the worker's thread: (upload id, TransferControl).
    requested = Signal(int, object)

    def __init__(self, number: int, engine: RunsUploads, signals: WorkerSignals,
                 stopped_by_quit: set[int] | None = None) -> None:
        super().__init__()
        self.number = number
        self._engine = engine
        self._signals = signals
        #: Uploads the app's shutdown stopped (filled before their control is paused).
        self._stopped_by_quit = stopped_by_quit if stopped_by_quit is not None else set()
        self.requested.connect(self._run, Qt.ConnectionType.QueuedConnection)

    @Slot(int, object)
    def _run(self, upload_id: int, control: TransferControl) -> None:
        signals = self._signals
        emit(signals.started, upload_id)
        try:
            item = self._engine.run(upload_id, control,
                                    lambda event: emit(signals.progress, event))
            if upload_id in self._stopped_by_quit and item.state is UploadState.PAUSED:
                # Not the person's pause: queued again, it continues at the next start.
                item = self._engine.retry(upload_id)
        except Exception as exc:  # the engine reports failures as items; this is a defect
            log.exception("upload %d stopped unexpectedly", upload_id)
            emit(signals.errored, upload_id, f"Unexpected problem: {exc}")
        else:
            emit(signals.returned, item)
        finally:
            emit(signals.finished, self.number)


class UploadPool(QObject):
    """Hands queued upload ids to free workers, in order; ``size`` workers at most."""

    #: An upload's ProgressEvent.
    progress = Signal(object)
    #: An upload started.
    started = Signal(int)
    #: An upload ended (UploadItem in its end state).
    item_finished = Signal(object)
    #: The engine raised instead of returning an item (upload id, message).
    errored = Signal(int, str)
    #: Nothing running and nothing waiting.
    drained = Signal()

    def __init__(self, engine: RunsUploads, size: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._signals = WorkerSignals(self)
        self._signals.started.connect(self.started)
        self._signals.progress.connect(self.progress)
        self._signals.returned.connect(self._on_returned)
        self._signals.errored.connect(self.errored)
        self._signals.finished.connect(self._on_worker_free)
        self._threads: dict[int, QThread] = {}
        self._workers: dict[int, UploadWorker] = {}
        #: Threads that did not stop in time, with their workers, kept alive (see _stop_thread).
        self._stuck: list[tuple[QThread, UploadWorker | None]] = []
        self._free: deque[int] = deque()
        self._running: dict[int, int] = {}  # worker number -> upload id
        self._controls: dict[int, TransferControl] = {}  # upload id -> control
        self._pending: deque[int] = deque()
        self._pending_set: set[int] = set()
        self._next_number = 0
        self._size = 0
        self._closed = False
        self._stopped_by_quit: set[int] = set()
        self.resize(size)

    # -- size ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._size

    def resize(self, size: int) -> None:
        """More workers start now; extra ones stop when their current upload ends."""
        self._size = max(1, int(size))
        while len(self._workers) < self._size:
            self._start_worker()
        self._retire_extra()
        self._dispatch()

    def _start_worker(self) -> None:
        number = self._next_number
        self._next_number += 1
        thread = QThread()
        thread.setObjectName(f"upload-worker-{number}")
        worker = UploadWorker(number, self._engine, self._signals, self._stopped_by_quit)
        worker.moveToThread(thread)
        thread.finished.connect(worker.deleteLater)
        thread.start()
        self._threads[number] = thread
        self._workers[number] = worker
        self._free.append(number)

    def _retire_extra(self) -> None:
        while len(self._workers) > self._size and self._free:
            number = self._free.pop()
            self._stop_thread(number, 2000)

    def _stop_thread(self, number: int, timeout_ms: int) -> bool:
        thread = self._threads.pop(number)
        worker = self._workers.pop(number, None)
        thread.quit()
        ok = thread.wait(max(0, timeout_ms))
        if not ok:
            log.warning("upload worker %d did not stop within %d ms", number, timeout_ms)
            # Still running: both stay referenced. Dropping the last Python reference would
            # delete the worker (and the QThread) from this thread while its own thread may
            # still be using it, which crashes the process.
            self._stuck.append((thread, worker))
        # Stopped: the worker is released only now, when nothing in its thread runs.
        del worker
        return bool(ok)

    # -- queue --------------------------------------------------------------------------------

    def enqueue(self, upload_ids: Iterable[int]) -> None:
        if self._closed:
            return
        for upload_id in upload_ids:
            if upload_id not in self._pending_set and upload_id not in self._controls:
                self._pending.append(upload_id)
                self._pending_set.add(upload_id)
        self._dispatch()

    def is_running(self, upload_id: int) -> bool:
        return upload_id in self._controls

    def is_pending(self, upload_id: int) -> bool:
        return upload_id in self._pending_set

    def running_ids(self) -> list[int]:
        return list(self._running.values())

    @property
    def busy(self) -> bool:
        return bool(self._running or self._pending)

    def pause(self, upload_ids: Iterable[int]) -> list[int]:
        """Pause: running uploads stop at the next chunk; returns the ids taken off the wait
        list."""
        return self._stop(upload_ids, TransferControl.pause)

    def cancel(self, upload_ids: Iterable[int]) -> list[int]:
        """Cancel: like pause, but the uploads end CANCELLED."""
        return self._stop(upload_ids, TransferControl.cancel)

    def _stop(self, upload_ids: Iterable[int],
              action: Callable[[TransferControl], None]) -> list[int]:
        unqueued = []
        for upload_id in upload_ids:
            control = self._controls.get(upload_id)
            if control is not None:
                action(control)
            elif upload_id in self._pending_set:
                self._pending_set.discard(upload_id)
                unqueued.append(upload_id)
        if unqueued:
            gone = set(unqueued)
            self._pending = deque(i for i in self._pending if i not in gone)
        return unqueued

    def _dispatch(self) -> None:
        while self._free and self._pending and not self._closed:
            upload_id = self._pending.popleft()
            self._pending_set.discard(upload_id)
            number = self._free.popleft()
            control = TransferControl()
            self._controls[upload_id] = control
            self._running[number] = upload_id
            emit(self._workers[number].requested, upload_id, control)

    @Slot(object)
    def _on_returned(self, item: UploadItem) -> None:
        emit(self.item_finished, item)

    @Slot(int)
    def _on_worker_free(self, number: int) -> None:
        upload_id = self._running.pop(number, None)
        if upload_id is not None:
            self._controls.pop(upload_id, None)
        if number not in self._workers:
            return
        self._free.append(number)
        self._retire_extra()
        self._dispatch()
        if not self._running and not self._pending:
            emit(self.drained)

    # -- shutdown -----------------------------------------------------------------------------

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop running uploads (queued again for the next start unless the person had paused
        them), drop the wait list, stop every thread.

        Returns False if some thread did not stop within ``timeout_ms`` in total.
        """
        self._closed = True
        self._pending.clear()
        self._pending_set.clear()
        for upload_id, control in self._controls.items():
            if not control.should_stop():
                self._stopped_by_quit.add(upload_id)
            control.pause()
        deadline = time.monotonic() + timeout_ms / 1000
        ok = True
        for number in list(self._threads):
            remaining = int((deadline - time.monotonic()) * 1000)
            ok = self._stop_thread(number, remaining) and ok
        self._free.clear()
        if ok:
            # The workers' last "finished" signals are still queued; nothing runs any more.
            self._running.clear()
            self._controls.clear()
        return ok
