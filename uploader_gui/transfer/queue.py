"""The upload queue's one owner: items and their states, the running files, the live settings.

:class:`UploadService` is Qt-free; the command line drives it, and the window is to adapt
its events. It holds every item of this Procore, starts files on its own worker threads (as
many at once as the settings say, changed at once when they change), keeps each running
file's :class:`TransferControl`, and writes the person's Pause / Resume / Retry / Cancel to the
journal through one writer thread, in the order they were asked for. Subscribers get plain
events (:class:`ItemsAdded`, :class:`ItemChanged`, :class:`ItemsRemoved`, :class:`Idle`,
:class:`Notice`) on the thread where the change happened, never while the service holds its
lock (so they may read it); they must return quickly.

Workers are plain threads unless the caller gives a ``spawn`` that makes its own kind (the
window gives QThreads). A file stopped by :meth:`close`, not by the person, is queued again in
the journal, so it continues by itself at the next start.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from uploader_gui.config import Settings
from uploader_gui.domain import ConflictPolicy, Destination, ProgressEvent, UploadItem, UploadState
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import AddResult, UploadEngine
from uploader_gui.transfer.journal_writer import JournalWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemsAdded:
    """New items in the queue, in the order added (copies: the service keeps its own)."""

    items: tuple[UploadItem, ...]


@dataclass(frozen=True)
class ItemChanged:
    """An item's state or progress changed; ``progress`` is the engine's latest report;
    ``ended`` when a run of the file has just ended (the item is then the journal's)."""

    item: UploadItem
    progress: ProgressEvent | None = None
    ended: bool = False


@dataclass(frozen=True)
class ItemsRemoved:
    upload_ids: tuple[int, ...]


@dataclass(frozen=True)
class Idle:
    """No file runs or waits to run any more."""


@dataclass(frozen=True)
class Notice:
    """Something to tell the person about the queue as a whole, in plain words."""

    text: str


def unreachable_notice(count: int) -> Notice:
    """Said when the queue stops with files waiting for the connection."""
    return Notice(f"Procore could not be reached for {count} file{'s' if count != 1 else ''}.")


QueueEvent = ItemsAdded | ItemChanged | ItemsRemoved | Idle | Notice
Subscriber = Callable[[QueueEvent], None]

#: How a run that raised instead of returning (a defect of ours) is shown: as a failure.
UNEXPECTED = "Unexpected problem: {}"


class Worker(Protocol):
    """A thread that runs the service's loop (``threading.Thread`` or the window's QThread)."""

    def start(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...
    def is_alive(self) -> bool: ...


#: Makes a worker that runs ``target`` (not started yet); ``name`` names its thread.
Spawn = Callable[[Callable[[], None], str], Worker]


def plain_thread(target: Callable[[], None], name: str) -> Worker:
    return threading.Thread(target=target, name=name, daemon=True)


class UploadService:
    """Runs the uploads of one engine (one Procore); every method returns without waiting on
    the network. ``load``, ``add`` and ``close`` read or write the disk: not on a GUI thread."""

    def __init__(self, engine: UploadEngine, settings: Settings, *,
                 spawn: Spawn = plain_thread) -> None:
        self.engine = engine
        self._spawn = spawn
        self._settings = settings
        engine.apply_settings(settings)
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._items: dict[int, UploadItem] = {}
        self._controls: dict[int, TransferControl] = {}
        #: Running files to queue again when they stop (Resume or Retry while they stopped).
        self._again: set[int] = set()
        #: Running files to forget when they stop (Remove while they ran).
        self._drop: set[int] = set()
        #: Files that stopped waiting for the connection since the queue was last idle.
        self._unreachable: set[int] = set()
        #: Running files that :meth:`close` stopped (not the person): queued again.
        self._closed_on: set[int] = set()
        #: Files waiting for a worker, in order; the set says which (an id taken off the
        #: wait list leaves the deque only when a worker meets it): 10,000 files queued or
        #: paused at once cost a set lookup each, not a walk of the list.
        self._waiting: deque[int] = deque()
        self._waiting_ids: set[int] = set()
        self._workers: list[Worker] = []
        self._closed = False
        self._subscribers: list[Subscriber] = []
        self._emit_lock = threading.RLock()
        self._writer = JournalWriter(engine.journal)

    # ------------------------------------------------------------------ events
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback`` with every event from now on; returns the unsubscriber."""
        with self._emit_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._emit_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: QueueEvent) -> None:
        with self._emit_lock:
            subscribers = list(self._subscribers)
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:  # one listener's fault must not stop the uploads
                    log.exception("queue subscriber failed on %s", type(event).__name__)

    def _changed(self, item: UploadItem, progress: ProgressEvent | None = None) -> None:
        self._emit(ItemChanged(dataclasses.replace(item), progress))

    # ------------------------------------------------------------ the settings
    @property
    def settings(self) -> Settings:
        return self._settings

    def apply_settings(self, settings: Settings) -> None:
        """From now on: the next file's segment plan uses them, and as many files run at once
        as ``parallel_files`` says (a file already running is not stopped)."""
        with self._lock:
            self._settings = settings
            self.engine.apply_settings(settings)
            self._start_workers()

    @property
    def parallel_files(self) -> int:
        return max(1, self._settings.parallel_files)

    def running(self) -> list[int]:
        """The files being sent now."""
        with self._lock:
            return list(self._controls)

    @property
    def busy(self) -> bool:
        """Files are being sent or wait for a worker."""
        with self._lock:
            return bool(self._controls or self._waiting_ids)

    # -------------------------------------------------------------- the items
    def items(self) -> list[UploadItem]:
        """Copies of every item, oldest first."""
        with self._lock:
            return [dataclasses.replace(i) for i in sorted(self._items.values(),
                                                            key=lambda i: i.id)]

    def item(self, upload_id: int) -> UploadItem:
        with self._lock:
            return dataclasses.replace(self._items[upload_id])

    def load(self) -> list[UploadItem]:
        """Read this Procore's items from the journal (a failed one whose bytes are all in
        storage is queued again) and announce those not held yet; nothing starts. Returns
        copies of the newly held ones."""
        self.engine.unfinished()  # queues again what only needs attaching
        loaded = self.engine.items()
        with self._lock:
            fresh = [i for i in loaded if i.id not in self._items]
            for item in fresh:
                self._items[item.id] = item
        self._announce(fresh)
        return [dataclasses.replace(i) for i in fresh]

    def add(self, paths: Iterable[Path], destination: Destination,
            conflict: ConflictPolicy | None = None, *, start: bool = True) -> AddResult:
        """Scan and queue dropped paths (disk I/O); the new items start when ``start``."""
        result = self.engine.add(paths, destination, conflict)
        with self._lock:
            for item in result.items:
                self._items[item.id] = dataclasses.replace(item)
        self._announce(result.items)
        if start:
            self.start([i.id for i in result.items])
        return result

    def adopt(self, items: Iterable[UploadItem]) -> None:
        """Hold items read elsewhere (a twin already in the journal) without a journal read."""
        new = []
        with self._lock:
            for item in items:
                if item.id not in self._items:
                    self._items[item.id] = dataclasses.replace(item)
                    new.append(item)
        self._announce(new)

    def _announce(self, items: Sequence[UploadItem]) -> None:
        if items:
            self._emit(ItemsAdded(tuple(dataclasses.replace(i) for i in items)))

    # ------------------------------------------------------------ the actions
    def start(self, upload_ids: Sequence[int]) -> list[int]:
        """Send these files: those stopped part-way or ended are queued again first. Returns
        the ids that were queued (a finished file, or one already queued, is left)."""
        with self._lock:
            started, changed = self._queue(upload_ids)
            self._start_workers()
        for copy in changed:  # never under the lock: a subscriber may read the service
            self._changed(copy)
        return started

    def _queue(self, upload_ids: Sequence[int]) -> tuple[list[int], list[UploadItem]]:
        """Put files on the wait list (under the lock); the running ones once they stop."""
        started, changed = [], []
        for upload_id in upload_ids:
            item = self._items.get(upload_id)
            if item is None or upload_id in self._waiting_ids:
                continue
            if upload_id in self._controls:
                if item.state.requeueable or self._controls[upload_id].should_stop():
                    self._again.add(upload_id)  # queued again once it has stopped
                continue
            if item.state.requeueable:
                changed.append(self._requeue(item))
            elif item.state.finished:
                continue
            self._waiting.append(upload_id)
            self._waiting_ids.add(upload_id)
            started.append(upload_id)
        self._idle.notify_all()
        return started, changed

    def resume(self, upload_ids: Sequence[int]) -> list[int]:
        """Resume paused or waiting files."""
        with self._lock:
            ids = [i for i in upload_ids if i in self._items
                   and (self._items[i].state.resumable or self._stopping(i))]
        return self.start(ids)

    def retry(self, upload_ids: Sequence[int]) -> list[int]:
        """Send failed or cancelled files again, from what storage already holds."""
        with self._lock:
            ids = [i for i in upload_ids if i in self._items
                   and (self._items[i].state.retryable or self._stopping(i))]
        return self.start(ids)

    def start_unfinished(self) -> list[int]:
        """At start-up: continue what was running or waiting (a paused file waits)."""
        with self._lock:
            ids = [i.id for i in sorted(self._items.values(), key=lambda i: i.id)
                   if i.state.resumes_at_start]
        return self.start(ids)

    def pause(self, upload_ids: Sequence[int]) -> list[int]:
        """A running file stops at its next chunk; a queued one waits. Returns the ids that
        changed at once (those not running)."""
        return self._stop(upload_ids, UploadState.PAUSED)

    def cancel(self, upload_ids: Sequence[int]) -> list[int]:
        return self._stop(upload_ids, UploadState.CANCELLED)

    def remove(self, upload_ids: Sequence[int]) -> None:
        """Forget the files (a running one is cancelled first, then forgotten)."""
        gone = []
        with self._lock:
            for upload_id in upload_ids:
                if upload_id not in self._items:
                    continue
                control = self._controls.get(upload_id)
                if control is not None:
                    self._again.discard(upload_id)
                    self._drop.add(upload_id)
                    control.cancel()
                    continue
                self._discard_waiting(upload_id)
                del self._items[upload_id]
                gone.append(upload_id)
            if gone:
                self._writer.remove(gone)
        if gone:
            self._emit(ItemsRemoved(tuple(gone)))

    def remove_finished(self) -> None:
        """Forget the finished files, failed ones excepted (they wait for a retry)."""
        with self._lock:
            ids = [i.id for i in self._items.values()
                   if i.state.finished and i.state is not UploadState.FAILED]
        self.remove(ids)

    def _stop(self, upload_ids: Sequence[int], state: UploadState) -> list[int]:
        changed = []
        with self._lock:
            for upload_id in upload_ids:
                item = self._items.get(upload_id)
                if item is None:
                    continue
                control = self._controls.get(upload_id)
                if control is not None:
                    self._again.discard(upload_id)
                    (control.cancel if state is UploadState.CANCELLED else control.pause)()
                    continue
                if item.state.finished or item.state is state:
                    continue
                self._discard_waiting(upload_id)
                item.state = state
                self._writer.update(upload_id, {"state": state})
                changed.append(dataclasses.replace(item))
            self._idle.notify_all()
        for item in changed:
            self._changed(item)
        return [item.id for item in changed]

    def _stopping(self, upload_id: int) -> bool:
        control = self._controls.get(upload_id)
        return control is not None and control.should_stop()

    def _requeue(self, item: UploadItem) -> UploadItem:
        item.state, item.error = UploadState.QUEUED, None
        self._writer.update(item.id, {"state": UploadState.QUEUED, "error": None})
        return dataclasses.replace(item)

    def _discard_waiting(self, upload_id: int) -> None:
        self._waiting_ids.discard(upload_id)

    # --------------------------------------------------------------- workers
    def _start_workers(self) -> None:
        """Enough workers for the waiting files, up to ``parallel_files`` (under the lock)."""
        if self._closed:
            return
        self._workers = [w for w in self._workers if w.is_alive()]
        wanted = min(self.parallel_files, len(self._controls) + len(self._waiting_ids))
        while len(self._workers) < wanted:
            self._start_worker()

    def _start_worker(self) -> None:
        mine: list[Worker] = []  # the worker's loop needs the worker itself
        worker = self._spawn(lambda: self._work(mine[0]), "upload-file")
        mine.append(worker)
        self._workers.append(worker)
        worker.start()

    def _work(self, me: Worker) -> None:
        while True:
            with self._lock:
                # A smaller pool: the surplus workers leave once their file is done.
                if self._closed or not self._waiting_ids or \
                        len(self._controls) >= self.parallel_files:
                    if me in self._workers:
                        self._workers.remove(me)
                    self._idle.notify_all()
                    return
                upload_id = self._waiting.popleft()
                while upload_id not in self._waiting_ids:  # taken off the list meanwhile
                    upload_id = self._waiting.popleft()
                self._waiting_ids.discard(upload_id)
                control = TransferControl()
                self._controls[upload_id] = control
            self._run_one(upload_id, control)

    def _run_one(self, upload_id: int, control: TransferControl) -> None:
        # What the person asked before the file started is in the journal before it runs.
        self._writer.flush()

        def progress(event: ProgressEvent) -> None:
            with self._lock:
                item = self._items.get(upload_id)
                if item is None:
                    return
                item.state, item.bytes_done = event.state, event.bytes_done
                if event.error is not None:
                    item.error = event.error
                copy = dataclasses.replace(item)
            self._emit(ItemChanged(copy, event))

        try:
            result: UploadItem | None = self.engine.run(upload_id, control, progress)
        except Exception as exc:  # a fault of ours: shown as a failure, the rest go on
            log.exception("upload %s stopped unexpectedly", upload_id)
            result = self._failed_unexpectedly(upload_id, exc)
        removed = again = False
        with self._lock:
            self._controls.pop(upload_id, None)
            if result is not None and upload_id in self._closed_on \
                    and result.state is UploadState.PAUSED:
                # Stopped by the app closing, not by the person: it continues at next start.
                result.state = UploadState.QUEUED
                self._writer.update(upload_id, {"state": UploadState.QUEUED})
            self._closed_on.discard(upload_id)
            if upload_id in self._drop:
                self._drop.discard(upload_id)
                self._items.pop(upload_id, None)
                self._writer.remove([upload_id])
                removed = True
            elif result is not None and upload_id in self._items:
                self._items[upload_id] = dataclasses.replace(result)
                again = upload_id in self._again
                if result.state is UploadState.WAITING_NETWORK:
                    self._unreachable.add(upload_id)
            self._again.discard(upload_id)
            notice = None
            if self._unreachable and not again and not self._controls \
                    and not self._waiting_ids:
                notice = unreachable_notice(len(self._unreachable))
                self._unreachable.clear()
            copy = dataclasses.replace(self._items[upload_id]) if not removed \
                and upload_id in self._items else None
            changed: list[UploadItem] = []
            if again:  # this worker takes it up again next
                changed = self._queue([upload_id])[1]
            idle = not self._controls and not self._waiting_ids
            self._idle.notify_all()
        if removed:
            self._emit(ItemsRemoved((upload_id,)))
        elif copy is not None:
            self._emit(ItemChanged(copy, ended=True))
        for item in changed:
            self._changed(item)
        if notice is not None:
            self._emit(notice)
        if idle:
            self._emit(Idle())

    def _failed_unexpectedly(self, upload_id: int, exc: Exception) -> UploadItem | None:
        with self._lock:
            item = self._items.get(upload_id)
            if item is None:
                return None
            failed = dataclasses.replace(item, state=UploadState.FAILED,
                                         error=UNEXPECTED.format(exc))
        self._writer.update(upload_id, {"state": failed.state, "error": failed.error})
        return failed

    # ------------------------------------------------------------- waiting
    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no file runs or waits to run; False when ``timeout`` passed first."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._controls and not self._waiting_ids,
                                       timeout)

    def flush(self) -> None:
        """Wait until the journal holds every change asked for so far."""
        self._writer.flush()

    def close(self, timeout: float | None = None) -> bool:
        """Stop the running files at their next chunk (queued again in the journal, to
        continue at the next start, unless the person had paused or cancelled them), stop the
        workers and the journal writer. Does not close the engine. False when a worker was
        still running after ``timeout`` seconds (it is left to end by itself)."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            self._waiting_ids.clear()
            for upload_id, control in self._controls.items():
                if not control.should_stop():
                    self._closed_on.add(upload_id)
                control.pause()
            workers = list(self._workers)
            self._idle.notify_all()
        deadline = None if timeout is None else time.monotonic() + timeout
        for worker in workers:
            worker.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        stopped = not any(worker.is_alive() for worker in workers)
        self._writer.close()
        return stopped
