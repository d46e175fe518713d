"""The window's side of the upload queue: drives the Qt-free :class:`UploadService`, adapts
its events into the table model, and says what happens in the notice line.

The service owns the items, the running files and the journal writes; this object reads and
scans on the background runner, hands the person's actions to the service (which returns at
once), and keeps the window's own policy: trying the connection again while Procore cannot be
reached, and counting a batch for the "uploads finished" message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from uploader_gui.config import Settings
from uploader_gui.domain import ConflictPolicy, Destination, UploadItem, UploadState
from uploader_gui.gui.failure_words import explain
from uploader_gui.gui.queue_bridge import QtWorkers, QueueBridge
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.gui.queue_words import AddOutcome, describe_add, start_up_notice
from uploader_gui.gui.signals import emit
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.environments import ADOPT_BY_BUTTON, adopted_notice, waiting_elsewhere
from uploader_gui.transfer.queue import Idle, ItemChanged, QueueEvent, UploadService

log = logging.getLogger(__name__)

#: Seconds before uploads waiting for the connection are tried again: the first wait, then
#: each wait twice the one before, up to the last (the network may be back any moment, and
#: a sleeping laptop's timers fire when it wakes).
NETWORK_RETRY_FIRST = 10.0
NETWORK_RETRY_LONGEST = 120.0


class UploadQueue(QObject):
    """Hands the window's requests to the service and its events to the model."""

    #: A sentence for the person (what was added, what was refused, what went wrong).
    notice = Signal(str)
    #: Procore refused the sign-in; uploads wait until someone signs in again.
    sign_in_needed = Signal()
    #: An upload failed (UploadItem).
    item_failed = Signal(object)
    #: Every file handed to the workers has ended: (done, failed) since the batch began.
    batch_finished = Signal(int, int)
    #: The journal's items are in the model (after :meth:`load`).
    loaded = Signal()
    #: An add finished (the engine's AddResult).
    added = Signal(object)
    #: Unfinished uploads queued by a version that did not record their Procore wait (said
    #: in the notice just before): :meth:`adopt_older` continues them here.
    older_waiting = Signal()

    def __init__(self, engine: UploadEngine, model: QueueModel, tasks: TaskRunner,
                 settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.model = model
        self._tasks = tasks
        self.workers = QtWorkers(self)
        self.service = UploadService(engine, settings, spawn=self.workers.spawn)
        self._bridge = QueueBridge(self.service, self)
        # Always queued: events from the GUI thread keep their place behind the workers'.
        self._bridge.happened.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._batch_done = self._batch_failed = 0
        self._batch_stopped = False
        self._adding = 0
        #: After shutdown: events the workers sent before stopping may still be queued; the
        #: window's background runner is gone by then, so they are not acted on.
        self._shut_down = False
        # Uploads waiting for the connection are tried again by this timer (see
        # _wait_for_network); the wait doubles while Procore stays out of reach.
        self._network_timer = QTimer(self)
        self._network_timer.setSingleShot(True)
        self._network_timer.timeout.connect(self._retry_waiting_for_network)
        self._network_wait = NETWORK_RETRY_FIRST

    # -- start-up and adding ------------------------------------------------------------------

    def load(self) -> None:
        """Show the journal's items and continue the unfinished ones."""
        # Files added from now on (a drop right at start-up) may be in the journal by the
        # time it is read: they are their adder's to queue, not "unfinished from last time".
        since = time.time()

        def read() -> tuple[list[UploadItem], dict[str, int]]:
            # Only this Procore's uploads; those kept for another one are counted.
            return self.service.load(), self.engine.elsewhere()

        def loaded(result: tuple[list[UploadItem], dict[str, int]]) -> None:
            fresh, elsewhere = result
            unfinished = [it for it in fresh if not it.state.finished and it.created_at < since]
            resume = [it.id for it in unfinished if it.state.resumes_at_start]
            self.service.start(resume)
            paused = sum(1 for it in unfinished if it.state is UploadState.PAUSED)
            said = " ".join(filter(None, [start_up_notice(len(resume), paused),
                                          waiting_elsewhere(elsewhere, ADOPT_BY_BUTTON)]))
            if said:
                emit(self.notice, said)
            if "" in elsewhere:
                emit(self.older_waiting)
            emit(self.loaded)

        self._tasks.submit(read, loaded, self._report_error)

    def adopt_older(self) -> None:
        """Give the unfinished uploads queued by an earlier version (which did not record
        their Procore) to this one, show them and continue those that continue at start."""
        def adopt() -> tuple[int, list[UploadItem]]:
            return self.engine.adopt_older(), self.service.load()

        def adopted(result: tuple[int, list[UploadItem]]) -> None:
            count, fresh = result
            self.service.start([it.id for it in fresh if it.state.resumes_at_start])
            emit(self.notice, adopted_notice(count))

        self._tasks.submit(adopt, adopted, self._report_error)

    def add_paths(self, paths: Sequence[Path], destination: Destination,
                  conflict: ConflictPolicy | None = None) -> None:
        """Scan and queue in the background; the files start once the journal holds them."""
        paths = list(paths)
        self._adding += 1

        def done(result: AddOutcome) -> None:
            self._adding -= 1
            self.service.start([it.id for it in result.items])  # workers start on this thread
            emit(self.notice, describe_add(result))
            emit(self.added, result)

        def failed(exc: BaseException) -> None:
            self._adding -= 1
            self._report_error(exc)

        self._tasks.submit(lambda: self.service.add(paths, destination, conflict, start=False),
                           done, failed)

    # -- actions on rows ----------------------------------------------------------------------

    def pause(self, upload_ids: Iterable[int]) -> None:
        if self.service.pause(list(upload_ids)):
            self._batch_stopped = True

    def cancel(self, upload_ids: Iterable[int]) -> None:
        self.service.cancel(list(upload_ids))

    def resume(self, upload_ids: Iterable[int]) -> None:
        self.service.resume(list(upload_ids))

    def retry(self, upload_ids: Iterable[int]) -> None:
        self.service.retry(list(upload_ids))

    def pause_all(self) -> None:
        self.pause(it.id for it in self.service.items())

    def resume_all(self) -> None:
        self.resume(it.id for it in self.service.items())

    def remove_finished(self) -> None:
        """Take finished rows (not failed ones) out of the list."""
        self.service.remove_finished()

    def remove(self, upload_ids: Iterable[int]) -> None:
        """Take finished rows (failed ones too) out of the list."""
        wanted = set(upload_ids)
        self.service.remove([it.id for it in self.service.items()
                             if it.id in wanted and it.state.finished])

    def ids_in(self, state: UploadState) -> list[int]:
        return [it.id for it in self.service.items() if it.state is state]

    def apply_settings(self, settings: Settings) -> None:
        """From the next file on: segments planned with ``settings``, and as many files at
        once as ``parallel_files`` says (a running file keeps its plan)."""
        self.service.apply_settings(settings)

    @property
    def busy(self) -> bool:
        """Files are uploading, waiting for a worker, or being added."""
        return self.service.busy or self._adding > 0

    # -- from the service ---------------------------------------------------------------------

    @Slot(object)
    def _on_event(self, event: QueueEvent) -> None:
        if self._shut_down:
            return
        self.model.apply(event)
        if isinstance(event, ItemChanged) and event.ended:
            self._run_ended(event.item)
        elif isinstance(event, Idle):
            self._drained()
        # The service's Notice (files left waiting for the connection) is for a run that
        # ends; the window tries again by itself and says when (_wait_for_network).

    def _run_ended(self, item: UploadItem) -> None:
        if item.state.resumable:
            self._batch_stopped = True
        if item.state is UploadState.FAILED:
            self._batch_failed += 1
            emit(self.item_failed, item)
        elif item.state in (UploadState.DONE, UploadState.SKIPPED):
            self._batch_done += 1
            if self._network_wait != NETWORK_RETRY_FIRST or self._network_timer.isActive():
                emit(self.notice, "The connection to Procore is back: the uploads that waited "
                                  "for it continue.")
                self._network_timer.stop()
                self.resume(self.ids_in(UploadState.WAITING_NETWORK))
            self._network_wait = NETWORK_RETRY_FIRST  # Procore answers again
        elif item.state is UploadState.WAITING_NETWORK:
            self._wait_for_network()
        elif item.state is UploadState.WAITING_SIGN_IN:
            emit(self.notice, "Procore asked to sign in again. The uploads continue after you "
                             "sign in; nothing already sent is lost.")
            emit(self.sign_in_needed)

    def _drained(self) -> None:
        if self._batch_stopped:
            # Files of this batch were paused or wait (connection, sign-in): it has stopped,
            # not finished; the count goes on when they continue.
            self._batch_stopped = False
            return
        done, failed = self._batch_done, self._batch_failed
        self._batch_done = self._batch_failed = 0
        if done or failed:
            emit(self.batch_finished, done, failed)

    def _report_error(self, exc: BaseException) -> None:
        log.warning("queue operation failed: %s", exc)
        why = explain(str(exc))
        emit(self.notice, f"The list of uploads could not be updated: {why.what} "
                          f"{why.next_step}")

    def _wait_for_network(self) -> None:
        if not self._network_timer.isActive():
            self._network_timer.start(int(self._network_wait * 1000))
            n = len(self.ids_in(UploadState.WAITING_NETWORK))
            emit(self.notice, f"Procore cannot be reached right now. {n} upload"
                              f"{'s wait' if n != 1 else ' waits'} and "
                              f"{'continue' if n != 1 else 'continues'} by itself when the "
                              f"connection is back (next try in {round(self._network_wait)} s).")

    @Slot()
    def _retry_waiting_for_network(self) -> None:
        """One waiting file tries the connection; the others stay "waiting for the connection"
        (rather than cycling through Queued and Preparing) until it gets through."""
        self._network_wait = min(self._network_wait * 2, NETWORK_RETRY_LONGEST)
        self.resume(self.ids_in(UploadState.WAITING_NETWORK)[:1])

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop every running upload (queued again for the next start unless the person had
        paused it) and the workers, within ``timeout_ms``; False if one did not stop."""
        self._shut_down = True
        self._network_timer.stop()
        self._bridge.detach()
        self.model.stop()
        stopped = self.service.close(timeout_ms / 1000)
        if not stopped:
            self.workers.keep_running_ones()
        return stopped
