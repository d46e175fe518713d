"""Quit cleanly on SIGTERM and SIGINT (log-out, ``kill``, Ctrl-C in a terminal), and on the
session's or the system's quit request, without asking whether to keep uploading.

Python runs signal handlers only between bytecodes, and Qt's event loop is C++, so a handler
alone would wait for the next Python call. The handler's wake-up byte goes to a socket pair that
a QSocketNotifier watches, which wakes the event loop at once; the app then quits as from the
tray (uploads stop and continue by themselves at the next start).

A quit request from the session or the platform (log-out, Cmd-Q) reaches the application as a
``QEvent.Quit`` that closes every window; :class:`QuitRequests` tells the window first, so its
close asks nothing.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSocketNotifier

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopOnSignal(QObject):
    """Calls ``stop`` on the GUI thread when the process gets SIGTERM or SIGINT."""

    def __init__(self, stop: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = stop
        self._read, self._write = socket.socketpair()
        self._read.setblocking(False)
        self._write.setblocking(False)
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woken)
        self._previous = {sig: signal.signal(sig, self._note) for sig in SIGNALS}
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno())

    def _note(self, signum: int, frame: object) -> None:
        log.info("stopping on signal %s", signal.Signals(signum).name)

    def _woken(self) -> None:
        try:
            self._read.recv(64)
        except BlockingIOError:
            return
        self._stop()

    def close(self) -> None:
        """Give the signals back to what handled them before."""
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._notifier.setEnabled(False)
        self._read.close()
        self._write.close()


def install(stop: Callable[[], None]) -> StopOnSignal | None:
    """The watcher, or None when signals cannot be watched here (not the main thread)."""
    try:
        return StopOnSignal(stop)
    except (OSError, ValueError) as exc:  # ValueError: not the main thread
        log.warning("cannot watch for stop signals: %s", exc)
        return None


class QuitRequests(QObject):
    """Install on the QApplication: calls ``quitting`` when the application is asked to quit,
    before Qt closes the windows (the event goes on to Qt)."""

    def __init__(self, quitting: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._quitting = quitting

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit and watched is QCoreApplication.instance():
            log.info("the session or the system asked the app to quit")
            self._quitting()
        return super().eventFilter(watched, event)
