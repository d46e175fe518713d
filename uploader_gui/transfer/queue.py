"""The upload queue's one owner: items and their states, the running files, the live settings.

:class:`UploadService` is Qt-free; the command line drives it, and the window is to adapt
its events. It holds every item of this Procore, starts files on its own worker threads (as
many at once as the settings say, changed at once when they change), keeps each running
file's :class:`TransferControl`, and writes the person's Pause / Resume / Retry / Cancel to the
journal through one writer thread, in the order they were asked for. Subscribers get plain
events (:class:`ItemAdded`, :class:`ItemChanged`, :class:`ItemRemoved`, :class:`Notice`) on the
thread where the change happened, never while the service holds its lock (so they may read
it); they must return quickly.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from uploader_gui.config import Settings
from uploader_gui.domain import ConflictPolicy, Destination, ProgressEvent, UploadItem, UploadState
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import AddResult, UploadEngine
from uploader_gui.transfer.journal_writer import JournalWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemAdded:
    """A new item in the queue (a copy: the service keeps its own)."""

    item: UploadItem


@dataclass(frozen=True)
class ItemChanged:
    """An item's state or progress changed; ``progress`` is the engine's latest report."""

    item: UploadItem
    progress: ProgressEvent | None = None


@dataclass(frozen=True)
class ItemRemoved:
    upload_id: int


@dataclass(frozen=True)
class Notice:
    """Something to tell the person about the queue as a whole, in plain words."""

    text: str


def unreachable_notice(count: int) -> Notice:
    """Said when the queue stops with files waiting for the connection."""
    return Notice(f"Procore could not be reached for {count} file{'s' if count != 1 else ''}.")


QueueEvent = ItemAdded | ItemChanged | ItemRemoved | Notice
Subscriber = Callable[[QueueEvent], None]


class UploadService:
    """Runs the uploads of one engine (one Procore); every method returns without waiting on
    the network. ``load``, ``add`` and ``close`` read or write the disk: not on a GUI thread."""

    def __init__(self, engine: UploadEngine, settings: Settings) -> None:
        self.engine = engine
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
        self._waiting: deque[int] = deque()
        self._workers: list[threading.Thread] = []
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
        storage is queued again) and announce them; nothing starts yet."""
        self.engine.unfinished()  # queues again what only needs attaching
        loaded = self.engine.items()
        with self._lock:
            fresh = [i for i in loaded if i.id not in self._items]
            for item in fresh:
                self._items[item.id] = item
        for item in fresh:
            self._emit(ItemAdded(dataclasses.replace(item)))
        return [dataclasses.replace(i) for i in loaded]

    def add(self, paths: Iterable[Path], destination: Destination,
            conflict: ConflictPolicy | None = None, *, start: bool = True) -> AddResult:
        """Scan and queue dropped paths (disk I/O); the new items start when ``start``."""
        result = self.engine.add(paths, destination, conflict)
        with self._lock:
            for item in result.items:
                self._items[item.id] = dataclasses.replace(item)
        for item in result.items:
            self._emit(ItemAdded(dataclasses.replace(item)))
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
        for item in new:
            self._emit(ItemAdded(dataclasses.replace(item)))

    # ------------------------------------------------------------ the actions
    def start(self, upload_ids: Sequence[int]) -> list[int]:
        """Send these files: those stopped part-way or ended are queued again first. Returns
        the ids that were queued (a finished file, or one already queued, is left)."""
        started, changed = [], []
        with self._lock:
            for upload_id in upload_ids:
                item = self._items.get(upload_id)
                if item is None or upload_id in self._waiting:
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
                started.append(upload_id)
            self._start_workers()
            self._idle.notify_all()
        for copy in changed:  # never under the lock: a subscriber may read the service
            self._changed(copy)
        return started

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

    def pause(self, upload_ids: Sequence[int]) -> None:
        """A running file stops at its next chunk; a queued one waits."""
        self._stop(upload_ids, UploadState.PAUSED)

    def cancel(self, upload_ids: Sequence[int]) -> None:
        self._stop(upload_ids, UploadState.CANCELLED)

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
        for upload_id in gone:
            self._emit(ItemRemoved(upload_id))

    def remove_finished(self) -> None:
        """Forget the finished files, failed ones excepted (they wait for a retry)."""
        with self._lock:
            ids = [i.id for i in self._items.values()
                   if i.state.finished and i.state is not UploadState.FAILED]
        self.remove(ids)

    def _stop(self, upload_ids: Sequence[int], state: UploadState) -> None:
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

    def _stopping(self, upload_id: int) -> bool:
        control = self._controls.get(upload_id)
        return control is not None and control.should_stop()

    def _requeue(self, item: UploadItem) -> UploadItem:
        item.state, item.error = UploadState.QUEUED, None
        self._writer.update(item.id, {"state": UploadState.QUEUED, "error": None})
        return dataclasses.replace(item)

    def _discard_waiting(self, upload_id: int) -> None:
        try:
            self._waiting.remove(upload_id)
        except ValueError:
            pass

    # --------------------------------------------------------------- workers
    def _start_workers(self) -> None:
        """Enough workers for the waiting files, up to ``parallel_files`` (under the lock)."""
        if self._closed:
            return
        self._workers = [w for w in self._workers if w.is_alive()]
        wanted = min(self.parallel_files, len(self._controls) + len(self._waiting))
        while len(self._workers) < wanted:
            worker = threading.Thread(target=self._work, name="upload-file", daemon=True)
            self._workers.append(worker)
            worker.start()

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._lock:
                # A smaller pool: the surplus workers leave once their file is done.
                if self._closed or not self._waiting or \
                        len(self._controls) >= self.parallel_files:
                    if me in self._workers:
                        self._workers.remove(me)
                    self._idle.notify_all()
                    return
                upload_id = self._waiting.popleft()
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
        except Exception:  # the engine closed under it, or a fault of ours: keep the rest
            log.exception("upload %s stopped unexpectedly", upload_id)
            result = None
        removed = again = False
        with self._lock:
            self._controls.pop(upload_id, None)
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
            if self._unreachable and not again and not self._controls and not self._waiting:
                notice = unreachable_notice(len(self._unreachable))
                self._unreachable.clear()
            copy = dataclasses.replace(self._items[upload_id]) if not removed \
                and upload_id in self._items else None
            self._idle.notify_all()
        if removed:
            self._emit(ItemRemoved(upload_id))
        elif copy is not None:
            self._changed(copy)
        if notice is not None:
            self._emit(notice)
        if again:
            self.start([upload_id])

    # ------------------------------------------------------------- waiting
    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no file runs or waits to run; False when ``timeout`` passed first."""
        with self._lock:
            return self._idle.wait_for(lambda: not self._controls and not self._waiting,
                                       timeout)

    def flush(self) -> None:
        """Wait until the journal holds every change asked for so far."""
        self._writer.flush()

    def close(self) -> None:
        """Stop the running files at their next chunk (they stay paused in the journal, to
        continue later), stop the workers and the journal writer. Does not close the engine."""
        with self._lock:
            self._closed = True
            self._waiting.clear()
            controls = list(self._controls.values())
            workers = list(self._workers)
            self._idle.notify_all()
        for control in controls:
            control.pause()
        for worker in workers:
            worker.join()
        self._writer.close()
