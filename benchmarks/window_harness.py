"""What the window benchmarks share: the sandbox here or in a process of its own, a meter of
event-loop stalls, a wait that keeps the loop turning, and the window's teardown."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from uploader_gui.sandbox import DemoInfo, Sandbox

#: Fills the seeded sandbox before the window starts: (sandbox, demo, data_dir). In a process
#: of its own it is pickled, so a module-level function (or a partial of one).
Prepare = Callable[[Sandbox, DemoInfo, Path], None]


class StallMeter:
    """A 5 ms timer; the longest gap between its ticks is the longest time the loop was busy."""

    def __init__(self) -> None:
        self.longest_ms = 0.0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.longest_ms = 0.0
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        gap = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.longest_ms = max(self.longest_ms, gap - 5.0)

    def stop(self) -> None:
        self._timer.stop()


def application() -> QApplication:
    """The running QApplication, made when there is none."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    return app


def wait_until(app: QCoreApplication, predicate: Callable[[], object], timeout: float) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("gave up waiting")
        app.processEvents()
        time.sleep(0.001)
    return time.perf_counter() - start


class DemoServer:
    """The sandbox with demo data (and what ``prepare`` adds), here or in a child process, as
    Procore is on other computers. ``info`` is (API address, token, demo)."""

    def __init__(self, data_dir: Path, in_process: bool, prepare: Prepare | None = None) -> None:
        self._sandbox: Sandbox | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self.info: tuple[str, str, DemoInfo]
        if in_process:
            self._sandbox = Sandbox(data_dir=data_dir).start()
            demo = self._sandbox.seed_demo()
            if prepare is not None:
                prepare(self._sandbox, demo, data_dir)
            self.info = (self._sandbox.api_url, self._sandbox.issue_token(demo.user_id), demo)
            return
        context = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
        ours, theirs = context.Pipe()
        self._pipe = ours
        self._process = context.Process(target=_serve, args=(str(data_dir), prepare, theirs),
                                        daemon=True)
        self._process.start()
        self.info = ours.recv()

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
        if self._process is not None:
            self._pipe.send("stop")
            self._process.join(30)


def _serve(data_dir: str, prepare: Prepare | None,
           pipe: multiprocessing.connection.Connection) -> None:
    with Sandbox(data_dir=data_dir) as sandbox:
        demo = sandbox.seed_demo()
        if prepare is not None:
            prepare(sandbox, demo, Path(data_dir))
        pipe.send((sandbox.api_url, sandbox.issue_token(demo.user_id), demo))
        pipe.recv()


def close_window(app: QCoreApplication, window: Any, engine: Any, journal: Any,
                 client: Any) -> None:
    """Stop the window's threads (bounded), then let it go and close what it used."""
    window.shutdown(10_000)
    window.close()
    window.deleteLater()
    app.processEvents()
    engine.close()
    journal.close()
    client.close()
