"""One thread that writes the upload queue's changes to the journal, in the order asked for.

The person's Pause, Resume, Retry, Cancel and Remove must reach the journal in their order
(a Pause then Resume landing the other way round would leave a running file PAUSED there, and
after a crash it would not continue by itself); writing them from one thread keeps that order
and keeps the caller (the window's thread) off the disk.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from uploader_gui.journal.store import ItemChanges, Journal

log = logging.getLogger(__name__)


class JournalWriter:
    """Applies journal changes on its own thread, in the order they were given."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._jobs: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="journal-writer", daemon=True)
        self._thread.start()

    def update(self, upload_id: int, changes: ItemChanges) -> None:
        self._jobs.put(lambda: self._journal.update(upload_id, **changes))

    def remove(self, upload_ids: list[int]) -> None:
        ids = list(upload_ids)
        self._jobs.put(lambda: self._journal.remove(ids))

    def flush(self) -> None:
        """Wait until every change given so far is written."""
        if not self._thread.is_alive():
            return
        done = threading.Event()
        self._jobs.put(done.set)
        done.wait()

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                job()
            except Exception:  # a full disk: logged, and the next change is still tried
                log.exception("could not write a queue change to the journal")
