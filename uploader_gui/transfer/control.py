"""Cooperative pause and cancel for one running upload, polled between chunks."""

from __future__ import annotations

import threading
from collections.abc import Callable

from uploader_gui.procore.errors import Cancelled


class TransferControl:
    """Flags a worker sets from outside; the engine checks them between chunks and steps."""

    def __init__(self) -> None:
        self._paused = threading.Event()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._next = 0

    def pause(self) -> None:
        self._paused.set()
        self._run_callbacks()

    def cancel(self) -> None:
        self._cancelled.set()
        self._run_callbacks()

    def on_stop(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from the stopping thread) when told to stop; returns a remover.

        Registered after the stop, it runs at once.
        """
        with self._lock:
            key = self._next
            self._next += 1
            self._callbacks[key] = callback
        if self.should_stop():
            self._run_callbacks()

        def remove() -> None:
            with self._lock:
                self._callbacks.pop(key, None)

        return remove

    def _run_callbacks(self) -> None:
        with self._lock:
            callbacks = list(self._callbacks.values())
            self._callbacks.clear()
        for callback in callbacks:
            callback()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def should_stop(self) -> bool:
        return self._paused.is_set() or self._cancelled.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` when the upload must stop now."""
        if self.should_stop():
            raise Cancelled("cancelled" if self.cancelled else "paused")

    def wait(self, seconds: float) -> None:
        """Sleep up to ``seconds``, waking early (and raising) when told to stop."""
        if self._cancelled.wait(0) or self._paused.wait(0):
            self.check()
        # Two events: poll in short slices so either one wakes the sleeper promptly.
        remaining = seconds
        while remaining > 0:
            step = min(remaining, 0.1)
            if self._cancelled.wait(step) or self._paused.is_set():
                self.check()
            remaining -= step
