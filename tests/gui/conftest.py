"""GUI test fixtures: every test must leave no QThread, pool job, timer, window or thread behind."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import (QCoreApplication, QEvent, QObject, QThread, QThreadPool, QTimer,
                            QUrl, Slot)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from uploader_gui.config import Settings
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                         UploadItem, UploadState)


class _Tracker:
    """Remembers every QThread, QThreadPool and QTimer started from Python during a test."""

    def __init__(self) -> None:
        self.threads: weakref.WeakSet[QThread] = weakref.WeakSet()
        self.pools: weakref.WeakSet[QThreadPool] = weakref.WeakSet()
        self.timers: weakref.WeakSet[QTimer] = weakref.WeakSet()


@pytest.fixture(autouse=True)
def no_leaks(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Tracker]:
    """Fail the test if it leaves work running (napari's conftest does the same)."""
    tracker = _Tracker()
    thread_start, pool_start, timer_start = QThread.start, QThreadPool.start, QTimer.start

    def start_thread(self: QThread, *args: object) -> None:
        tracker.threads.add(self)
        thread_start(self, *args)

    def start_pool(self: QThreadPool, *args: object) -> None:
        tracker.pools.add(self)
        pool_start(self, *args)

    def start_timer(self: QTimer, *args: object) -> None:
        tracker.timers.add(self)
        timer_start(self, *args)

    monkeypatch.setattr(QThread, "start", start_thread)
    monkeypatch.setattr(QThreadPool, "start", start_pool)
    monkeypatch.setattr(QTimer, "start", start_timer)
    widgets_before = {id(w) for w in QApplication.topLevelWidgets()}
    threads_before = set(threading.enumerate())
    yield tracker
    # Deferred deletes (deleteLater) count as cleaned up once processed.
    for _ in range(3):
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()
    problems = []
    running = [t.objectName() or repr(t) for t in list(tracker.threads)
               if shiboken6.isValid(t) and t.isRunning()]
    if running:
        problems.append(f"QThreads still running: {running}")
    busy = [p for p in list(tracker.pools) if shiboken6.isValid(p) and p.activeThreadCount()]
    if busy:
        problems.append(f"{len(busy)} thread pool(s) still running jobs")
    timers = [t for t in list(tracker.timers) if shiboken6.isValid(t) and t.isActive()]
    if timers:
        problems.append(f"{len(timers)} QTimer(s) still active")
    widgets = [w for w in QApplication.topLevelWidgets()
               if id(w) not in widgets_before and shiboken6.isValid(w)]
    if widgets:
        problems.append(f"top-level widgets left: {[type(w).__name__ for w in widgets]}")
        for w in widgets:  # so one leak does not fail every later test too
            w.close()
            w.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    threads = [t.name for t in threading.enumerate()
               if t not in threads_before and t.is_alive()
               and not isinstance(t, threading._DummyThread)]  # Qt's own threads
    if threads:
        problems.append(f"Python threads left running: {threads}")
    if problems:
        pytest.fail("; ".join(problems))


def make_item(upload_id: int, tmp_path: Path, *, size: int = 1000,
              state: UploadState = UploadState.QUEUED, name: str | None = None) -> UploadItem:
    """An UploadItem for model tests (a real path under tmp_path, not necessarily written)."""
    dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2, 3, label="Tower / Drawings")
    name = name or f"file-{upload_id:05d}.pdf"
    return UploadItem(id=upload_id, path=tmp_path / name, size=size, mtime_ns=0,
                      destination=dest, subfolders=(), name=name,
                      conflict=ConflictPolicy.KEEP_BOTH, state=state)


# -- a sandbox, an engine and the real window -------------------------------------------------

@dataclass
class WindowParts:
    window: MainWindow
    engine: UploadEngine
    client: ProcoreClient


@pytest.fixture
def make_window(sandbox: Any, demo: Any, tmp_path: Path,
                qtbot: QtBot) -> Iterator[Callable[..., WindowParts]]:
    """Build the real window over the sandbox; teardown stops it and closes the engine."""
    made: list[WindowParts] = []

    def make(settings: Settings | None = None, journal_path: Path | None = None,
             destination: Destination | None = None, show: bool = True,
             retry: RetryPolicy | None = None, signed_in: bool = True,
             web_base: str = "https://app.example") -> WindowParts:
        settings = settings or Settings(segment_threshold_mib=5, segment_size_mib=5,
                                        parallel_files=2, parallel_segments=2)
        if destination is not None:
            settings.last_destination = destination.to_json()
            settings.last_destination_api_base = sandbox.api_url
        tokens = StaticTokenProvider(sandbox.issue_token(demo.user_id),
                                     identity=str(demo.user_id))
        client = ProcoreClient(sandbox.api_url, tokens, retry=retry)
        journal = Journal.open(journal_path or tmp_path / "journal.sqlite3")
        engine = UploadEngine(client, journal, settings, identity=str(demo.user_id),
                              web_base=web_base,
                              step_retry=RetryPolicy(attempts=3, base_delay=0.05, max_delay=0.1))
        # Not qtbot.addWidget: pytest-qt closes those before fixtures tear down, and a close
        # while uploads run would ask its question; the teardown below stops it first.
        window = MainWindow(engine, client if signed_in else None, settings,
                            environment="Sandbox")
        if show:
            window.show()
        parts = WindowParts(window, engine, client)
        made.append(parts)
        return parts

    yield make
    for parts in made:
        assert parts.window.shutdown(10_000), "the window's threads did not stop in time"
        parts.window.close()
        parts.window.deleteLater()
        parts.engine.close()
        parts.engine.journal.close()
        parts.client.close()


def documents_destination(demo: Any, folder: str | None = None) -> Destination:
    folder_id = demo.folder_ids[folder] if folder else None
    label = f"Project / Documents{' / ' + folder if folder else ''}"
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=folder_id, label=label)


class Desktop(QObject):
    """Stands in for the desktop (browser, file manager): keeps the addresses it was asked to
    open. The desktop's own programs are what the tests cannot run here."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


@pytest.fixture
def desktop() -> Iterator[Desktop]:
    opener = Desktop()
    for scheme in ("http", "https", "file"):
        QDesktopServices.setUrlHandler(scheme, opener, "open")
    yield opener
    for scheme in ("http", "https", "file"):
        QDesktopServices.unsetUrlHandler(scheme)
