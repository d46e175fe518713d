"""The History window (View → History…): finished uploads stay findable after "Remove finished",
open the file itself in Procore, copy its link, show the local folder, filter, export a CSV
read back from disk, and clear only after a question. Uploads run against the live sandbox;
the journal is a real file."""

from __future__ import annotations

import csv
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QItemSelectionModel, Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Desktop, WindowParts, documents_destination
from uploader_gui.domain import UploadState
from uploader_gui.gui.history_model import COL_NAME, COL_RESULT, Role
from uploader_gui.gui.history_window import HistoryWindow
from uploader_gui.journal import history_csv
from uploader_gui.sandbox.faults import Fault

# The offscreen platform cannot raise a window or pass size hints; it says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise")


def _upload(qtbot: QtBot, parts: WindowParts, files: list[Path]) -> None:
    window = parts.window
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.model.rowCount() == len(files) and all(
        i.state.finished for i in window.model.items()), timeout=30_000)


def _open_history(qtbot: QtBot, parts: WindowParts) -> HistoryWindow:
    history = parts.window.history_window
    with qtbot.waitSignal(history.loaded, timeout=10_000):
        parts.window.history_action.trigger()
    assert history.isVisible()
    return history


def _select(history: HistoryWindow, *names: str) -> None:
    selection = history.table.selectionModel()
    selection.clearSelection()
    for row in range(history.proxy.rowCount()):
        if history.proxy.index(row, COL_NAME).data() in names:
            selection.select(history.proxy.index(row, 0),
                             QItemSelectionModel.SelectionFlag.Select
                             | QItemSelectionModel.SelectionFlag.Rows)


def _shown_names(history: HistoryWindow) -> list[str]:
    return sorted(history.proxy.index(r, COL_NAME).data() for r in range(history.proxy.rowCount()))


@pytest.fixture
def uploaded(qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any,
             tmp_path: Path) -> WindowParts:
    """Two drawings done and one refused by Procore, then "Remove finished" clicked."""
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"),
                                     web_base=sandbox.api_url)
    files = []
    for name, data in (("A-101 Floor plan.pdf", b"%PDF floor plan"),
                       ("A-201 Sections.pdf", b"%PDF sections")):
        (tmp_path / name).write_bytes(data)
        files.append(tmp_path / name)
    _upload(qtbot, parts, files)
    sandbox.faults.add(Fault("status", "associate", status=403, times=1))
    refused = tmp_path / "elsewhere" / "S-101 Footings.pdf"
    refused.parent.mkdir()
    refused.write_bytes(b"%PDF footings")
    parts.window.add_paths([refused])
    qtbot.waitUntil(lambda: parts.window.model.rowCount() == 3 and all(
        i.state.finished for i in parts.window.model.items()), timeout=30_000)
    remove_finished = parts.window.queue_actions.remove_finished
    qtbot.waitUntil(remove_finished.isEnabled, timeout=5_000)
    remove_finished.trigger()
    qtbot.waitUntil(lambda: parts.window.model.rowCount() == 1, timeout=10_000)  # the failed
    # The journal's rows go through the queue's writer thread.
    qtbot.waitUntil(lambda: len(parts.engine.items()) == 1, timeout=10_000)
    return parts


def test_remove_finished_clears_the_queue_but_not_the_history(
        qtbot: QtBot, uploaded: WindowParts) -> None:
    history = _open_history(qtbot, uploaded)
    assert _shown_names(history) == ["A-101 Floor plan.pdf", "A-201 Sections.pdf",
                                     "S-101 Footings.pdf"]
    assert "3 uploads" in history.count_label.text()
    queued = {i.name for i in uploaded.engine.items()}
    assert queued == {"S-101 Footings.pdf"}, "the queue lost its finished rows"
    _select(history, "S-101 Footings.pdf")
    row = history.table.selectionModel().selectedRows()[0].row()
    assert history.proxy.index(row, COL_RESULT).data() == "Failed"
    assert history.proxy.index(row, COL_RESULT).data(Qt.ItemDataRole.DecorationRole) is not None
    tip = history.proxy.index(row, COL_RESULT).data(Qt.ItemDataRole.ToolTipRole)
    assert "permission" in tip.lower() and "Forbidden" not in tip
    assert not history.open_button.isEnabled() and not history.copy_button.isEnabled()
    assert history.show_button.isEnabled()


def test_open_in_procore_opens_the_file_and_copy_link_copies_its_address(
        qtbot: QtBot, uploaded: WindowParts, desktop: Desktop, sandbox: Any) -> None:
    history = _open_history(qtbot, uploaded)
    _select(history, "A-201 Sections.pdf")
    assert history.open_button.isEnabled()
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    [url] = desktop.opened
    assert url.startswith(sandbox.api_url + "/api/v5/files/")
    opened = requests.get(url, timeout=10)  # what the browser gets: the file itself
    assert opened.status_code == 200 and opened.content == b"%PDF sections"

    qtbot.mouseClick(history.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == url
    assert history.notice.label.text() == "Link copied."


def test_an_open_history_shows_uploads_as_they_finish(
        qtbot: QtBot, uploaded: WindowParts, tmp_path: Path) -> None:
    history = _open_history(qtbot, uploaded)
    _select(history, "A-101 Floor plan.pdf")
    late = tmp_path / "A-301 Details.pdf"
    late.write_bytes(b"%PDF details")
    with qtbot.waitSignal(history.loaded, timeout=30_000,
                          check_params_cb=lambda count: count == 4):
        uploaded.window.add_paths([late])
    assert "A-301 Details.pdf" in _shown_names(history)
    assert [e.name for e in history.selected_entries()] == ["A-101 Floor plan.pdf"]


def test_show_on_this_computer_opens_the_local_folder(
        qtbot: QtBot, uploaded: WindowParts, desktop: Desktop, tmp_path: Path) -> None:
    history = _open_history(qtbot, uploaded)
    _select(history, "S-101 Footings.pdf", "A-101 Floor plan.pdf")
    qtbot.mouseClick(history.show_button, Qt.MouseButton.LeftButton)
    assert sorted(desktop.opened) == sorted([QUrl.fromLocalFile(str(tmp_path)).toString(),
                                             QUrl.fromLocalFile(str(tmp_path / "elsewhere"))
                                             .toString()])


def test_search_and_filters(qtbot: QtBot, uploaded: WindowParts) -> None:
    journal = uploaded.engine.journal
    [old] = [e for e in journal.history(uploaded.engine.api_base) if e.name.startswith("A-101")]
    with sqlite3.connect(journal.path) as db:  # finished twelve days ago
        db.execute("UPDATE history SET finished_at=? WHERE upload_id=?",
                   (time.time() - 12 * 86400, old.upload_id))
    history = _open_history(qtbot, uploaded)
    qtbot.keyClicks(history.search, "sections")
    assert _shown_names(history) == ["A-201 Sections.pdf"]
    assert history.count_label.text() == "1 of 3 uploads shown"
    history.search.clear()

    history.result_choice.setCurrentIndex(history.result_choice.findText("Failed"))
    assert _shown_names(history) == ["S-101 Footings.pdf"]
    history.result_choice.setCurrentIndex(0)

    history.period_choice.setCurrentIndex(history.period_choice.findText("Last 7 days"))
    assert _shown_names(history) == ["A-201 Sections.pdf", "S-101 Footings.pdf"]
    history.period_choice.setCurrentIndex(history.period_choice.findText("Last 30 days"))
    assert len(_shown_names(history)) == 3

    projects = [history.project_choice.itemText(i)
                for i in range(history.project_choice.count())]
    assert projects == ["All projects", "Project"]  # the label documents_destination gives
    history.project_choice.setCurrentIndex(1)
    assert len(_shown_names(history)) == 3


def test_export_csv_of_the_selection_and_of_all_shown(
        qtbot: QtBot, uploaded: WindowParts, tmp_path: Path) -> None:
    history = _open_history(qtbot, uploaded)
    _select(history, "A-101 Floor plan.pdf")

    def export(path: Path) -> list[list[str]]:
        qtbot.mouseClick(history.export_button, Qt.MouseButton.LeftButton)
        dialog = history.export_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.selectFile(str(path))
        with qtbot.waitSignal(history.exported, timeout=10_000):
            dialog.accept()
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return list(csv.reader(handle))

    one = export(tmp_path / "transmittal one.csv")
    assert one[0] == list(history_csv.COLUMNS)
    [row] = one[1:]
    record = dict(zip(one[0], row, strict=True))
    assert record["File name"] == "A-101 Floor plan.pdf"
    assert record["Folder in Procore"] == "Project / Documents / Drawings"
    assert record["Result"] == "Done" and record["Size (bytes)"] == "15"
    assert requests.get(record["Link in Procore"], timeout=10).content == b"%PDF floor plan"
    assert record["File on this computer"] == str(tmp_path / "A-101 Floor plan.pdf")
    assert "Saved 1 upload to" in history.notice.label.text()

    history.table.selectionModel().clearSelection()
    history.result_choice.setCurrentIndex(history.result_choice.findText("Done"))
    shown = export(tmp_path / "transmittal done.csv")
    assert sorted(r[1] for r in shown[1:]) == ["A-101 Floor plan.pdf", "A-201 Sections.pdf"]
    assert not list(tmp_path.glob(".transmittal*.tmp")), "no half-written file left"


def test_clear_history_asks_first_and_leaves_the_queue(
        qtbot: QtBot, uploaded: WindowParts) -> None:
    history = _open_history(qtbot, uploaded)
    qtbot.mouseClick(history.clear_button, Qt.MouseButton.LeftButton)
    box = history.clear_question
    assert box is not None and "Clear the history" in box.text()
    keep = next(b for b in box.buttons()
                if box.buttonRole(b) is QMessageBox.ButtonRole.RejectRole)
    keep.click()
    assert len(uploaded.engine.journal.history(uploaded.engine.api_base)) == 3

    qtbot.mouseClick(history.clear_button, Qt.MouseButton.LeftButton)
    box = history.clear_question
    assert box is not None
    clear = next(b for b in box.buttons()
                 if box.buttonRole(b) is QMessageBox.ButtonRole.DestructiveRole)
    with qtbot.waitSignal(history.loaded, timeout=10_000,
                          check_params_cb=lambda count: count == 0):
        clear.click()
    assert history.model.rowCount() == 0
    assert uploaded.engine.journal.history(uploaded.engine.api_base) == []
    assert [i.name for i in uploaded.engine.items()] == ["S-101 Footings.pdf"]


def test_ten_thousand_uploads_load_off_the_gui_thread_into_one_reset(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """How fast is measured by benchmarks/big_lists.py (docs/performance.md); here, what makes
    it fast: the journal is read on a TaskRunner thread, the GUI thread resets the model once,
    and a search only filters (the model is neither reset nor sorted again)."""
    from uploader_gui.domain import ConflictPolicy, UploadItem
    from uploader_gui.journal.history import copy_finished
    from uploader_gui.journal.store import Journal
    from uploader_gui.transfer.environments import api_key

    path = tmp_path / "big.sqlite3"
    journal = Journal.open(path)
    dest = documents_destination(demo, "Drawings")
    items = journal.add_items(
        UploadItem(id=0, path=tmp_path / f"sheet-{n:05d}.pdf", size=n, mtime_ns=0,
                   destination=dest, subfolders=(), name=f"sheet-{n:05d}.pdf",
                   conflict=ConflictPolicy.KEEP_BOTH, api_base=api_key(sandbox.api_url))
        for n in range(10_000))
    journal.close()
    with sqlite3.connect(path) as db:  # all finished long ago and kept in the history...
        db.execute("UPDATE uploads SET state='done', finished_at=?", (time.time() - 3600,))
        db.row_factory = sqlite3.Row
        copy_finished(db)
    journal = Journal.open(path)  # ...then removed from the queue, as "Remove finished" does
    assert journal.remove(i.id for i in items) == 10_000
    journal.close()

    parts: WindowParts = make_window(journal_path=path)
    history = parts.window.history_window
    journal = parts.engine.journal
    read_on: list[threading.Thread] = []
    read_history = journal.history

    def history_read(api_base: str) -> list[Any]:
        read_on.append(threading.current_thread())
        return read_history(api_base)

    monkeypatch.setattr(journal, "history", history_read)
    resets: list[str] = []
    history.model.modelReset.connect(lambda: resets.append("reset"))
    history.model.layoutChanged.connect(lambda: resets.append("sorted"))
    with qtbot.waitSignal(history.loaded, timeout=10_000,
                          check_params_cb=lambda count: count == 10_000):
        parts.window.history_action.trigger()
    assert read_on and threading.main_thread() not in read_on, "read on the GUI thread"
    assert resets == ["reset"], "10,000 rows must arrive in one reset"
    assert history.proxy.rowCount() == 10_000
    assert history.count_label.text() == "10000 uploads"

    qtbot.keyClicks(history.search, "09999")  # five keystrokes, five filter passes
    assert resets == ["reset"], "a keystroke must only filter"
    assert _shown_names(history) == ["sheet-09999.pdf"]
    assert history.proxy.index(0, 0).data(Role.ENTRY).result is UploadState.DONE
    assert history.count_label.text() == "1 of 10000 uploads shown"
