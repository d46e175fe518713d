"""The real window against the sandbox: picking a destination, dropping files, and watching
pause, resume, cancel and retry carry real uploads into it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.gui.destination_bar import COMPANY_DOCUMENTS, NodeRole
from uploader_gui.gui.close_question import CloseChoice
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.model import DestinationKind, UploadItem, UploadState

MiB = 1024 * 1024

# The offscreen platform cannot pass size hints to a window manager; harmless here.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def drop_on(window: MainWindow, *urls: QUrl) -> QDropEvent:
    """A real drag enter then drop on the window, as Qt delivers them."""
    mime = QMimeData()
    mime.setUrls(list(urls))
    enter = QDragEnterEvent(QPoint(300, 300), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    return drop


def names_in_sandbox(sandbox: Any, project_id: int) -> set[str]:
    return {d["name"] for d in sandbox.documents(project_id=project_id)}


def row_state(window: MainWindow, upload_id: int) -> UploadState | None:
    item = window.model.item(upload_id)
    return None if item is None else item.state


def wait_state(qtbot: QtBot, window: MainWindow, upload_id: int, *states: UploadState,
               timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: row_state(window, upload_id) in states, timeout=timeout)


def only_item(window: MainWindow, name: str) -> UploadItem:
    [item] = [it for it in window.model.items() if it.name == name]
    return item


# -- the destination picker -------------------------------------------------------------------

def test_picker_walks_company_project_folders_and_albums(qtbot: QtBot, demo: Any,
                                                         make_window: Any,
                                                         sandbox: Any) -> None:
    parts: WindowParts = make_window()
    bar = parts.window.destination_bar
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    assert bar.company_combo.currentData() == demo.company_id
    assert bar.project_combo.findData(demo.project_ids[0]) >= 0
    assert bar.project_combo.itemData(0) == COMPANY_DOCUMENTS
    assert parts.window.drop_zone.title == "Choose where the files go"
    bar.project_combo.setCurrentIndex(bar.project_combo.findData(demo.project_ids[0]))
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    project_name = bar.project_combo.currentText()

    documents = bar.tree_model.item(0)
    assert documents.text() == "Documents"
    assert documents.child(0).text() == "Loading…"  # nothing fetched before it is opened
    with qtbot.waitSignal(bar.loaded, timeout=10_000):
        bar.tree.expand(documents.index())
    drawings = bar.node_for_label(f"{project_name} / Documents / Drawings")
    assert drawings is not None
    assert drawings.data(NodeRole.ID) == demo.folder_ids["Drawings"]
    with qtbot.waitSignal(bar.destination_changed) as chosen:
        bar.select_node(drawings)
    dest = chosen.args[0]
    assert (dest.kind, dest.project_id, dest.folder_id) == (
        DestinationKind.PROJECT_FOLDER, demo.project_ids[0], demo.folder_ids["Drawings"])
    assert parts.window.drop_zone.title == "Drop files or folders here"
    assert parts.window.settings.last_destination == dest.to_json()

    # New folder inside Drawings, created in the sandbox and chosen at once.
    with qtbot.waitSignal(bar.destination_changed, timeout=10_000) as created:
        bar.create_folder("Site visits")
    assert created.args[0].label.endswith("Drawings / Site visits")
    from uploader_gui.procore.client import Scope
    listing = parts.client.folder(Scope(demo.company_id, demo.project_ids[0]),
                                  demo.folder_ids["Drawings"])
    assert "Site visits" in {f["name"] for f in listing["folders"]}
    assert created.args[0].folder_id in {f["id"] for f in listing["folders"]}

    photos = bar.tree_model.item(1)
    with qtbot.waitSignal(bar.loaded, timeout=10_000):
        bar.tree.expand(photos.index())
    albums = [photos.child(i) for i in range(photos.rowCount())]
    [album] = [a for a in albums if a.data(NodeRole.ID) == demo.album_id]
    with qtbot.waitSignal(bar.destination_changed) as chosen:
        bar.select_node(album)
    assert chosen.args[0].kind is DestinationKind.PHOTO_ALBUM
    assert chosen.args[0].album_id == demo.album_id

    bar.project_combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 1, timeout=5000)
    assert bar.tree_model.item(0).text() == "Company Documents"
    assert bar.destination is None


def test_remembered_destination_is_chosen_again(qtbot: QtBot, demo: Any,
                                               make_window: Any) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"))
    bar = parts.window.destination_bar
    qtbot.waitUntil(lambda: bar.project_combo.currentData() == demo.project_ids[0],
                    timeout=10_000)
    assert bar.destination == documents_destination(demo, "Drawings")
    assert parts.window.drop_zone.add_files_button.isEnabled()


# -- dropping files ---------------------------------------------------------------------------

def test_dropped_files_and_folders_land_in_the_sandbox(qtbot: QtBot, demo: Any, sandbox: Any,
                                                       make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    src = tmp_path / "src"
    (src / "site").mkdir(parents=True)
    (src / "report.pdf").write_bytes(b"%PDF report")
    (src / "site" / "north.jpg").write_bytes(b"\xff\xd8 north")
    pipe = src / "pipe"
    os.mkfifo(pipe)
    drop_on(window, QUrl.fromLocalFile(str(src / "report.pdf")),
            QUrl.fromLocalFile(str(src / "site")), QUrl.fromLocalFile(str(pipe)),
            QUrl("https://example.com/x.pdf"))
    assert "web link" in window.notice_label.text()
    project = demo.project_ids[0]
    qtbot.waitUntil(lambda: {"report.pdf", "north.jpg"} <= names_in_sandbox(sandbox, project),
                    timeout=20_000)
    qtbot.waitUntil(lambda: window.model.totals().done == 2, timeout=10_000)
    # The scan refused the pipe with its reason, in words.
    assert "not a file" in window.notice_label.text()
    north = only_item(window, "north.jpg")
    assert north.subfolders == ("site",)
    [doc] = [d for d in sandbox.documents(project_id=project) if d["name"] == "north.jpg"]
    assert sandbox.document_bytes(doc["id"]) == b"\xff\xd8 north"
    # The status bar follows on the next redraw tick.
    qtbot.waitUntil(lambda: window.counts_label.text().startswith(
        "0 queued · 0 uploading · 2 done"), timeout=2000)
    assert window.overall_bar.value() == 1000

    # The same file again for the same place is not queued twice.
    drop_on(window, QUrl.fromLocalFile(str(src / "report.pdf")))
    qtbot.waitUntil(lambda: "already in the queue" in window.notice_label.text(),
                    timeout=10_000)
    assert len(window.model.items()) == 2


def test_files_dropped_before_choosing_are_sent_only_when_the_person_confirms(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    files = []
    for name in ("early.txt", "plan.pdf", "notes.docx"):
        (tmp_path / name).write_text(f"dropped early: {name}")
        files.append(QUrl.fromLocalFile(str(tmp_path / name)))
    drop_on(window, *files)
    waiting = window.waiting_drop
    assert waiting.isVisible()
    assert "Waiting for a destination" in waiting.label.text()
    assert "3 items" in waiting.label.text() and not waiting.upload_button.isEnabled()
    assert window.model.rowCount() == 0

    # Clicks made to look around send nothing; the question follows the place shown.
    bar = window.destination_bar
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() >= 1, timeout=10_000)
    documents = bar.tree_model.item(0)
    bar.select_node(documents)
    with qtbot.waitSignal(bar.loaded, timeout=10_000):
        bar.tree.expand(documents.index())
    project = bar.project_combo.currentText()
    drawings = bar.node_for_label(f"{project} / Documents / Drawings")
    assert drawings is not None
    bar.select_node(drawings)
    assert f"Upload 3 items to {project} / Documents / Drawings?" in waiting.label.text()
    qtbot.wait(500)
    assert window.model.rowCount() == 0 and parts.engine.items() == []
    assert names_in_sandbox(sandbox, demo.project_ids[0]) == set()

    waiting.upload_button.click()
    assert not waiting.isVisible()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3 and all(
        it.state is UploadState.DONE for it in window.model.items()), timeout=20_000)
    assert {it.destination.folder_id for it in window.model.items()} == \
        {demo.folder_ids["Drawings"]}


def test_files_waiting_for_a_destination_can_be_dropped_again(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    (tmp_path / "draft.txt").write_text("not meant")
    drop_on(window, QUrl.fromLocalFile(str(tmp_path / "draft.txt")))
    assert window.waiting_drop.isVisible()
    window.waiting_drop.discard_button.click()
    assert not window.waiting_drop.isVisible()
    bar = window.destination_bar
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() >= 1, timeout=10_000)
    bar.select_node(bar.tree_model.item(0))
    qtbot.wait(300)
    assert window.model.rowCount() == 0 and not window.waiting_drop.isVisible()


# -- pause, resume, cancel, retry on real uploads --------------------------------------------

def _big_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def test_pause_and_resume_a_running_upload(qtbot: QtBot, demo: Any, sandbox: Any,
                                           make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    # Every segment PUT waits 0.5 s in storage: the upload is slow enough to pause mid-way.
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    big = _big_file(tmp_path / "big.bin", 12 * MiB)  # three 5 MiB segments
    window.add_paths([big])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    item = window.model.item_at(0)
    wait_state(qtbot, window, item.id, UploadState.UPLOADING)

    asked = time.monotonic()
    window.table.selectRow(0)
    window.queue_actions.pause.trigger()
    wait_state(qtbot, window, item.id, UploadState.PAUSED, timeout=5000)
    took = time.monotonic() - asked
    assert took < 1.5, f"pausing took {took:.2f} s"
    assert item.id not in window.queue.service.running()
    assert parts.engine.get(item.id).state is UploadState.PAUSED
    assert "big.bin" not in names_in_sandbox(sandbox, demo.project_ids[0])

    window.table.selectRow(0)
    qtbot.waitUntil(window.queue_actions.resume.isEnabled, timeout=1000)  # next redraw tick
    assert not window.queue_actions.pause.isEnabled()
    window.queue_actions.resume.trigger()
    wait_state(qtbot, window, item.id, UploadState.DONE, timeout=30_000)
    done = parts.engine.get(item.id)
    assert sandbox.document_bytes(done.procore_id) == big.read_bytes()


def test_cancel_then_retry_and_retry_after_failure(qtbot: QtBot, demo: Any, sandbox: Any,
                                                   make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    big = _big_file(tmp_path / "cancel-me.bin", 12 * MiB)
    window.add_paths([big])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    item = window.model.item_at(0)
    wait_state(qtbot, window, item.id, UploadState.UPLOADING)
    window.queue.cancel([item.id])
    wait_state(qtbot, window, item.id, UploadState.CANCELLED, timeout=5000)
    assert "cancel-me.bin" not in names_in_sandbox(sandbox, demo.project_ids[0])

    window.queue.retry([item.id])
    wait_state(qtbot, window, item.id, UploadState.DONE, timeout=30_000)
    assert sandbox.document_bytes(parts.engine.get(item.id).procore_id) == big.read_bytes()

    # A refusal from Procore: the row says why; Retry sends it again.
    sandbox.faults.add(Fault("status", "associate", status=422))
    small = tmp_path / "refused.txt"
    small.write_text("try again")
    with qtbot.waitSignal(window.queue.item_failed, timeout=20_000) as failed:
        window.add_paths([small])
    failed_item = failed.args[0]
    qtbot.waitUntil(lambda: row_state(window, failed_item.id) is UploadState.FAILED)
    assert failed_item.error
    # The failure is told at once; the end of the batch may follow it.
    assert "Upload failed" in [title for title, _ in window.tray.messages]
    window.queue.retry([failed_item.id])
    wait_state(qtbot, window, failed_item.id, UploadState.DONE, timeout=20_000)
    assert "refused.txt" in names_in_sandbox(sandbox, demo.project_ids[0])


def test_unfinished_uploads_resume_at_start_up(qtbot: QtBot, demo: Any, sandbox: Any,
                                               make_window: Any, tmp_path: Path) -> None:
    journal = tmp_path / "resume.sqlite3"
    files = []
    for i in range(3):
        f = tmp_path / f"left-{i}.txt"
        f.write_text(f"left over {i}")
        files.append(f)
    # A previous run queued the files and stopped before uploading them.
    first: WindowParts = make_window(journal_path=journal, show=False)
    added = first.engine.add(files, documents_destination(demo))
    assert len(added.items) == 3
    first.window.shutdown()
    first.engine.close()
    first.engine.journal.close()

    second: WindowParts = make_window(journal_path=journal)
    qtbot.waitUntil(lambda: second.window.model.rowCount() == 3, timeout=10_000)
    assert "Continuing 3 unfinished uploads" in second.window.notice_label.text()
    qtbot.waitUntil(lambda: second.window.model.totals().done == 3, timeout=20_000)
    assert {f.name for f in files} <= names_in_sandbox(sandbox, demo.project_ids[0])


# -- closing ----------------------------------------------------------------------------------

def test_closing_while_uploading_can_stop_and_leaves_work_resumable(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        monkeypatch: Any) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    big = _big_file(tmp_path / "stopped.bin", 12 * MiB)
    window.add_paths([big])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    item = window.model.item_at(0)
    wait_state(qtbot, window, item.id, UploadState.UPLOADING)

    asked: list[bool] = []

    def stay() -> CloseChoice:
        asked.append(True)
        return CloseChoice.STAY

    monkeypatch.setattr(window, "ask_close_choice", stay)
    assert not window.close()
    assert asked and window.isVisible()

    monkeypatch.setattr(window, "ask_close_choice", lambda: CloseChoice.STOP)
    started = time.monotonic()
    assert window.close()
    assert time.monotonic() - started < 3.0
    # The running upload was stopped, not lost: it is queued for the next start.
    assert parts.engine.get(item.id).state is UploadState.QUEUED
    assert not window.queue.service.running()


def test_a_rate_limit_hold_is_shown_until_it_ends(qtbot: QtBot, demo: Any, sandbox: Any,
                                                  make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    assert not window.pace_label.isVisible()
    files = []
    for name in ("one.pdf", "two.pdf", "three.pdf"):
        (tmp_path / name).write_bytes(os.urandom(1000))
        files.append(tmp_path / name)
    # Three calls in every six seconds: three files (six calls) are held back at least once.
    sandbox.rate_limit_spike = (3, 6.0)
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.pace_label.isVisible(), timeout=20_000)
    assert "slow down" in window.pace_label.text()
    assert "continue by themselves" in window.pace_label.text()
    qtbot.waitUntil(lambda: window.model.rowCount() == 3 and all(
        it.state is UploadState.DONE for it in window.model.items()), timeout=60_000)
    qtbot.waitUntil(lambda: not window.pace_label.isVisible(), timeout=10_000)
    assert {"one.pdf", "two.pdf", "three.pdf"} <= names_in_sandbox(sandbox, demo.project_ids[0])


def test_no_connection_waits_then_continues_by_itself(qtbot: QtBot, demo: Any, sandbox: Any,
                                                      make_window: Any, tmp_path: Path,
                                                      monkeypatch: Any) -> None:
    from uploader_gui.gui import upload_queue
    from uploader_gui.procore.http import RetryPolicy

    monkeypatch.setattr(upload_queue, "NETWORK_RETRY_FIRST", 0.5)
    parts: WindowParts = make_window(destination=documents_destination(demo),
                                     retry=RetryPolicy(attempts=2, base_delay=0.01,
                                                       max_delay=0.02))
    window = parts.window
    f = tmp_path / "minutes.pdf"
    f.write_bytes(os.urandom(2000))
    # Procore out of reach: every create-upload connection is dropped.
    sandbox.faults.add(Fault("reset", "create", times=None))
    window.add_paths([f])
    qtbot.waitUntil(lambda: window.model.rowCount() == 1, timeout=10_000)
    item = window.model.item_at(0)
    wait_state(qtbot, window, item.id, UploadState.WAITING_NETWORK)
    assert "continue" in (window.model.item(item.id).error or "")
    qtbot.waitUntil(lambda: "cannot be reached" in window.notice_label.text(), timeout=5000)
    assert str(UploadState.WAITING_NETWORK) == "Waiting for the connection"
    assert window.model.totals().failed == 0

    sandbox.faults.clear()  # the connection is back: no click needed
    wait_state(qtbot, window, item.id, UploadState.DONE, timeout=20_000)
    qtbot.waitUntil(lambda: "is back" in window.notice_label.text(), timeout=5000)
    docs = [d for d in sandbox.documents(project_id=demo.project_ids[0])
            if d["name"] == "minutes.pdf"]
    assert len(docs) == 1 and sandbox.document_bytes(docs[0]["id"]) == f.read_bytes()
