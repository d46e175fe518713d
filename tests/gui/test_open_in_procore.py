"""The queue's "Open in Procore" action in demo mode: it hands the browser the file's own
address once Procore gave it (the browser gets the file), else the folder's page."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Desktop, WindowParts, documents_destination
from uploader_gui.gui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _open_first_row(qtbot: QtBot, window: MainWindow) -> None:
    window.table.selectionModel().select(
        window.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.waitUntil(window.queue_actions.open_web.isEnabled, timeout=2000)
    window.queue_actions.open_web.trigger()


def test_open_in_procore_opens_the_file_itself_else_its_folder(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        desktop: Desktop) -> None:
    # In demo mode the engine's web address is the sandbox's API address (gui/app.py).
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"),
                                     web_base=sandbox.api_url)
    window = parts.window
    plan = tmp_path / "A-201 Sections.pdf"
    plan.write_bytes(b"%PDF sections")
    window.add_paths([plan])
    # The run's end brings the journal's item, with the address Procore's answer gave.
    qtbot.waitUntil(lambda: window.model.totals().done == 1
                    and bool(window.model.items()[0].file_url), timeout=20_000)
    [item] = window.model.items()
    _open_first_row(qtbot, window)
    [url] = desktop.opened
    assert url == item.file_url
    got = requests.get(url, timeout=10)  # what the browser gets: the file
    assert got.status_code == 200 and got.content == b"%PDF sections"

    # An upload finished before the file's address was kept (an older journal): its folder.
    journal_path = parts.engine.journal.path
    assert window.shutdown(10_000)
    with sqlite3.connect(journal_path) as db:
        db.execute("UPDATE uploads SET file_url = NULL")
    parts.engine.close()
    parts.engine.journal.close()
    again = make_window(journal_path=journal_path, web_base=sandbox.api_url).window
    qtbot.waitUntil(lambda: again.model.totals().done == 1, timeout=10_000)
    desktop.opened.clear()
    _open_first_row(qtbot, again)
    [url] = desktop.opened
    folder = demo.folder_ids["Drawings"]
    assert url == f"{sandbox.api_url}/{demo.project_ids[0]}/project/documents?folder_id={folder}"
    page = requests.get(url, timeout=10)  # as the browser would: no token
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "A-201 Sections.pdf" in page.text and "13 bytes" in page.text


def test_the_action_says_what_it_opens(make_window: Any) -> None:
    action = make_window(show=False).window.queue_actions.open_web
    assert action.text() == "Open in Pro&core"
    for tip in (action.toolTip(), action.statusTip()):
        assert "Open the file in Procore" in tip and "folder holding it" in tip \
            and "browser" in tip
