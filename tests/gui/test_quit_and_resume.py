""""Stop and quit" keeps its promise: uploads stopped by quitting continue by themselves at the
next start, the ones the person paused stay paused and say so, a quit request from the session
asks nothing, and progress never jumps backwards when an upload resumes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from tests.gui.test_window_sandbox import wait_state
from uploader_gui.gui.close_question import CloseChoice
from uploader_gui.gui.stop_signals import QuitRequests
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.model import ProgressEvent, UploadState

MiB = 1024 * 1024

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def test_stop_and_quit_continues_at_the_next_start_and_paused_ones_stay_paused(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "journal.sqlite3"
    first: WindowParts = make_window(journal_path=journal,
                                     destination=documents_destination(demo))
    window = first.window
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    stopped = _file(tmp_path / "stopped by quit.bin", 12 * MiB)
    paused = _file(tmp_path / "paused by me.bin", 12 * MiB)
    window.add_paths([stopped, paused])
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)
    ids = {it.name: it.id for it in window.model.items()}
    for upload_id in ids.values():
        wait_state(qtbot, window, upload_id, UploadState.UPLOADING)
    window.queue.pause([ids["paused by me.bin"]])
    qtbot.waitUntil(lambda: first.engine.get(ids["paused by me.bin"]).state
                    is UploadState.PAUSED, timeout=10_000)

    monkeypatch.setattr(window, "ask_close_choice", lambda: CloseChoice.STOP)
    assert window.close()
    first.engine.close()
    first.engine.journal.close()
    sandbox.faults.clear()

    second: WindowParts = make_window(journal_path=journal)
    again = second.window
    wait_state(qtbot, again, ids["stopped by quit.bin"], UploadState.DONE, timeout=30_000)
    notice = again.notice_label.text()
    assert "Continuing 1 unfinished upload from last time." in notice
    assert "1 upload you paused stays paused" in notice
    assert again.model.item(ids["paused by me.bin"]).state is UploadState.PAUSED
    names = {d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])}
    assert names == {"stopped by quit.bin"}


class _SwallowQuit(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Quit:
            self.seen += 1
            return True
        return False


def test_a_quit_request_from_the_session_asks_nothing(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    window.add_paths([_file(tmp_path / "big.bin", 12 * MiB)])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    upload_id = window.model.item_at(0).id
    wait_state(qtbot, window, upload_id, UploadState.UPLOADING)
    asked: list[bool] = []

    def ask() -> CloseChoice:
        asked.append(True)
        return CloseChoice.STAY

    monkeypatch.setattr(window, "ask_close_choice", ask)
    app = QCoreApplication.instance()
    assert app is not None
    # The event goes no further than the filters: at Qt's own handling the test process's
    # event loops would be told to end. Qt then closes every window; the test does that.
    swallow = _SwallowQuit()
    app.installEventFilter(swallow)
    watcher = QuitRequests(window.quitting, window)
    app.installEventFilter(watcher)  # filters run newest first: the watcher sees it first
    try:
        QCoreApplication.sendEvent(app, QEvent(QEvent.Type.Quit))
    finally:
        app.removeEventFilter(watcher)
        app.removeEventFilter(swallow)
    assert swallow.seen == 1
    with qtbot.waitSignal(window.shut_down, timeout=10_000):
        assert window.close()
    assert not asked
    assert parts.engine.get(upload_id).state is UploadState.QUEUED, "continues next start"


def test_progress_never_jumps_backwards_when_an_upload_resumes(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    # Every part after the second is held, so the pause comes with two parts in storage.
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=1, after=2))
    window.add_paths([_file(tmp_path / "drawings.zip", 30 * MiB)])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    upload_id = window.model.item_at(0).id
    qtbot.waitUntil(lambda: window.model.item(upload_id).bytes_done >= 10 * MiB,
                    timeout=20_000)
    window.queue.pause([upload_id])
    wait_state(qtbot, window, upload_id, UploadState.PAUSED)
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)
    sandbox.faults.clear()

    # What the person would see after every event the model takes in.
    seen = [window.model.totals().fraction]
    apply_event = window.model.apply_event

    def watched(event: ProgressEvent) -> None:
        apply_event(event)
        seen.append(window.model.totals().fraction)

    window.model.apply_event = watched  # type: ignore[method-assign]
    window.queue.resume([upload_id])
    wait_state(qtbot, window, upload_id, UploadState.DONE, timeout=30_000)
    seen.append(window.model.totals().fraction)
    assert seen[0] >= 0.3
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    assert seen[-1] == 1.0
