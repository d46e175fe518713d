"""The window's upload queue: owns the worker pool, feeds the table model, asks the engine.

Every engine call that touches the journal or the disk runs on the background runner; only
pause and cancel of a running upload act at once (they set flags the engine polls).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from uploader_gui.config import Settings
from uploader_gui.gui.failure_words import explain
from uploader_gui.gui.signals import emit
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.gui.workers import UploadPool
from uploader_gui.journal.store import Journal
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.model import (ConflictPolicy, Destination, ProgressEvent, Rejected,
                                         UploadItem, UploadState)
from uploader_gui.transfer.environments import waiting_elsewhere
from uploader_gui.transfer.scan import renamed_note

log = logging.getLogger(__name__)

#: Seconds before uploads waiting for the connection are tried again: the first wait, then
#: each wait twice the one before, up to the last (the network may be back any moment, and
#: a sleeping laptop's timers fire when it wakes).
NETWORK_RETRY_FIRST = 10.0
NETWORK_RETRY_LONGEST = 120.0


class AddOutcome(Protocol):
    items: list[UploadItem]
    rejected: list[Rejected]
    duplicates: list[UploadItem]


class QueueEngine(Protocol):
    """What the window needs of :class:`uploader_gui.transfer.engine.UploadEngine`."""

    def add(self, paths: Iterable[Path], destination: Destination,
            conflict: ConflictPolicy | None = None) -> AddOutcome: ...
    def items(self) -> list[UploadItem]: ...
    def unfinished(self) -> list[UploadItem]: ...
    def get(self, upload_id: int) -> UploadItem: ...
    def retry(self, upload_id: int) -> UploadItem: ...
    def pause(self, upload_id: int) -> None: ...
    def cancel(self, upload_id: int) -> None: ...
    def remove_finished(self) -> int: ...
    def apply_settings(self, settings: Settings) -> None: ...
    @property
    def journal(self) -> Journal: ...
    def run(self, upload_id: int, control: TransferControl | None = None,
            on_event: Callable[[ProgressEvent], None] | None = None) -> UploadItem: ...


def describe_add(result: AddOutcome) -> str:
    """One or two sentences about what an add did, for the notice line."""
    parts = []
    if result.items:
        n = len(result.items)
        parts.append(f"{n} file{'s' if n != 1 else ''} added to the queue.")
    renamed = [(i.path.name, note) for i in result.items
               if (note := renamed_note(i.path.name, i.name))]
    if renamed:
        name, note = renamed[0]
        more = f" ({len(renamed) - 1} more names changed too)" if len(renamed) > 1 else ""
        parts.append(f"{name} goes into Procore {note}.{more}")
    if result.duplicates:
        n = len(result.duplicates)
        parts.append(f"{n} file{'s were' if n != 1 else ' was'} already in the queue for "
                     "this place, so not added again.")
    folders = getattr(result, "folders", [])  # empty folders created, as a copy does
    if folders:
        n = len(folders)
        parts.append(f"{n} empty folder{'s' if n != 1 else ''} created in Procore.")
    left_out = getattr(result, "left_out", [])
    if left_out:
        n = len(left_out)
        names = ", ".join(p.name for p in left_out[:3]) + (", …" if n > 3 else "")
        parts.append(f"{n} system file{'s' if n != 1 else ''} left out ({names}): Windows, "
                     "macOS and Office make these by themselves. Drop one on its own to upload "
                     "it anyway.")
    if result.rejected:
        first = result.rejected[0]
        others = len(result.rejected) - 1
        text = f"Not added: {first.path.name or first.path} — {first.reason}"
        if others:
            text += f" (and {others} more)"
        parts.append(text)
    return " ".join(parts) or "Nothing to add: the folder holds no files."


def start_up_notice(continuing: int, paused: int) -> str:
    """What the start-up does with last time's uploads ("" when there were none)."""
    parts = []
    if continuing:
        parts.append(f"Continuing {continuing} unfinished upload"
                     f"{'s' if continuing != 1 else ''} from last time.")
    if paused:
        parts.append(f"{paused} upload{'s' if paused != 1 else ''} you paused "
                     f"{'stay' if paused != 1 else 'stays'} paused: select "
                     f"{'them' if paused != 1 else 'it'} and choose Resume when you are ready.")
    return " ".join(parts)


class UploadQueue(QObject):
    """Feeds the model from the engine and the workers; the model only displays."""

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

    def __init__(self, engine: QueueEngine, model: QueueModel, tasks: TaskRunner,
                 parallel: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.model = model
        self._tasks = tasks
        #: The person's Pause / Resume / Retry / Cancel / Remove reach the journal through one
        #: thread, in the order asked for (a Pause written after the Resume that followed it
        #: would leave a queued file paused after a crash), and never wait behind other jobs.
        self.writes = TaskRunner(self, max_threads=1)
        self.pool = UploadPool(engine, parallel, self)
        self.pool.progress.connect(self._on_progress)
        self.pool.item_finished.connect(self._on_finished)
        self.pool.errored.connect(self._on_errored)
        self.pool.drained.connect(self._on_drained)
        self._batch_done = 0
        self._batch_failed = 0
        self._batch_stopped = False
        self._adding = 0
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

        def read() -> tuple[list[UploadItem], list[UploadItem], str | None]:
            # Only this Procore's uploads; those kept for another one are counted.
            elsewhere: dict[str, int] = getattr(self.engine, "elsewhere", dict)()
            return self.engine.items(), [it for it in self.engine.unfinished()
                                         if it.created_at < since], waiting_elsewhere(elsewhere)

        self._tasks.submit(read, self._on_loaded, self._report_error)

    def _on_loaded(self, result: tuple[list[UploadItem], list[UploadItem], str | None]) -> None:
        items, unfinished, elsewhere = result
        self.model.add_items([*items, *unfinished])
        resume = [it.id for it in unfinished if it.state.resumes_at_start]
        self.pool.enqueue(resume)
        paused = sum(1 for it in unfinished if it.state is UploadState.PAUSED)
        said = " ".join(filter(None, [start_up_notice(len(resume), paused), elsewhere]))
        if said:
            emit(self.notice, said)
        emit(self.loaded)

    def add_paths(self, paths: Sequence[Path], destination: Destination,
                  conflict: ConflictPolicy | None = None) -> None:
        """Scan and queue in the background; rows appear when the journal holds them."""
        paths = list(paths)
        self._adding += 1

        def done(result: AddOutcome) -> None:
            self._adding -= 1
            self.model.add_items(result.items)
            self.pool.enqueue(it.id for it in result.items)
            emit(self.notice, describe_add(result))
            emit(self.added, result)

        def failed(exc: BaseException) -> None:
            self._adding -= 1
            self._report_error(exc)

        self._tasks.submit(lambda: self.engine.add(paths, destination, conflict), done, failed)

    # -- actions on rows ----------------------------------------------------------------------

    def pause(self, upload_ids: Iterable[int]) -> None:
        ids = [i for i in upload_ids if (state := self._state(i)) is not None
               and not state.finished and state is not UploadState.PAUSED]
        waiting = self.pool.pause(ids)
        if waiting:
            self._batch_stopped = True
        self._record_stop(waiting, UploadState.PAUSED, self.engine.pause)

    def cancel(self, upload_ids: Iterable[int]) -> None:
        ids = [i for i in upload_ids if (state := self._state(i)) is not None
               and not state.finished]
        waiting = self.pool.cancel(ids)
        # Paused or waiting-for-sign-in rows are in no worker's list but still cancellable.
        idle = [i for i in ids if not self.pool.is_running(i) and i not in waiting
                and (state := self._state(i)) is not None and state.resumable]
        self._record_stop([*waiting, *idle], UploadState.CANCELLED, self.engine.cancel)

    def _record_stop(self, upload_ids: list[int], state: UploadState,
                     action: Callable[[int], None]) -> None:
        if not upload_ids:
            return
        self.model.set_state(upload_ids, state)

        def write() -> None:
            for upload_id in upload_ids:
                action(upload_id)

        self.writes.submit(write, None, self._report_error)

    def resume(self, upload_ids: Iterable[int]) -> None:
        self._requeue([i for i in upload_ids
                       if (state := self._state(i)) is not None and state.resumable])

    def retry(self, upload_ids: Iterable[int]) -> None:
        self._requeue([i for i in upload_ids
                       if (state := self._state(i)) is not None and state.retryable])

    def pause_all(self) -> None:
        self.pause(it.id for it in self.model.items())

    def resume_all(self) -> None:
        self.resume(it.id for it in self.model.items())

    def _requeue(self, upload_ids: list[int]) -> None:
        if not upload_ids:
            return
        self.model.set_state(upload_ids, UploadState.QUEUED)

        def write() -> list[UploadItem]:
            return [self.engine.retry(i) for i in upload_ids]

        def done(items: list[UploadItem]) -> None:
            for item in items:
                self.model.update_item(item)
            self.pool.enqueue(it.id for it in items if it.state is UploadState.QUEUED)

        self.writes.submit(write, done, self._report_error)

    def remove_finished(self) -> None:
        """Take finished rows (not failed ones) out of the list and the history."""
        gone = [it.id for it in self.model.items()
                if it.state.finished and it.state is not UploadState.FAILED]

        def done(_: object) -> None:
            self.model.remove_ids(gone)

        self.writes.submit(self.engine.remove_finished, done, self._report_error)

    def remove(self, upload_ids: Iterable[int]) -> None:
        """Take finished rows (failed ones too) out of the list and the history."""
        gone = [i for i in upload_ids if (state := self._state(i)) is not None and state.finished]
        if not gone:
            return
        journal = self.engine.journal

        def done(_: object) -> None:
            self.model.remove_ids(gone)

        self.writes.submit(lambda: journal.remove(gone), done, self._report_error)

    def apply_settings(self, settings: Settings) -> None:
        """From the next file on: the engine plans segments with ``settings`` and as many
        files run at once as ``parallel_files`` says (a running file keeps its plan)."""
        self.engine.apply_settings(settings)
        self.pool.resize(settings.parallel_files)

    # -- state --------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Files are uploading, waiting for a worker, or being added."""
        return self.pool.busy or self._adding > 0

    def _state(self, upload_id: int) -> UploadState | None:
        item = self.model.item(upload_id)
        return None if item is None else item.state

    # -- from the workers ---------------------------------------------------------------------

    @Slot(object)
    def _on_progress(self, event: ProgressEvent) -> None:
        self.model.apply_event(event)

    @Slot(object)
    def _on_finished(self, item: UploadItem) -> None:
        self.model.update_item(item)
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
                self._connection_back()
            self._network_wait = NETWORK_RETRY_FIRST  # Procore answers again
        elif item.state is UploadState.WAITING_NETWORK:
            self._wait_for_network()
        elif item.state is UploadState.WAITING_SIGN_IN:
            emit(self.notice, "Procore asked to sign in again. The uploads continue after you "
                             "sign in; nothing already sent is lost.")
            emit(self.sign_in_needed)

    @Slot(int, str)
    def _on_errored(self, upload_id: int, message: str) -> None:
        item = self.model.item(upload_id)
        if item is not None:
            self.model.set_state([upload_id], UploadState.FAILED)
            item.error = message
            self._batch_failed += 1
            emit(self.item_failed, item)

    @Slot()
    def _on_drained(self) -> None:
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
            n = sum(1 for it in self.model.items() if it.state is UploadState.WAITING_NETWORK)
            emit(self.notice, f"Procore cannot be reached right now. {n} upload"
                              f"{'s wait' if n != 1 else ' waits'} and "
                              f"{'continue' if n != 1 else 'continues'} by itself when the "
                              f"connection is back (next try in {round(self._network_wait)} s).")

    @Slot()
    def _retry_waiting_for_network(self) -> None:
        """One waiting file tries the connection; the others stay "waiting for the connection"
        (rather than cycling through Queued and Preparing) until it gets through."""
        self._network_wait = min(self._network_wait * 2, NETWORK_RETRY_LONGEST)
        waiting = [it.id for it in self.model.items() if it.state is UploadState.WAITING_NETWORK]
        self.resume(waiting[:1])

    def _connection_back(self) -> None:
        self.resume([it.id for it in self.model.items()
                     if it.state is UploadState.WAITING_NETWORK])

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Pause every running upload (resumable next time) and stop the workers."""
        self._network_timer.stop()
        self.model.stop()
        written = self.writes.shutdown(timeout_ms, finish_queued=True)
        return self.pool.shutdown(timeout_ms) and written
