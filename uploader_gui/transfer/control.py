"""Cooperative pause and cancel for one running upload, polled between chunks."""

from __future__ import annotations

import threading

from uploader_gui.procore.errors import Cancelled


class TransferControl:
    """Flags a worker sets from outside; the engine checks them between chunks and steps."""

    def __init__(self) -> None:
        self._paused = threading.Event()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._paused.set()

    def cancel(self) -> None:
        self._cancelled.set()

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
