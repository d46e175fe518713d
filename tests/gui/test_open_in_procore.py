"""The window's "Open folder in Procore" action in demo mode: the link it hands the browser
opens a page of the sandbox listing the file, not an API error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot

from tests.gui.conftest import Desktop, WindowParts, documents_destination

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_open_in_procore_in_demo_mode_shows_the_folder_page(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path,
        desktop: Desktop) -> None:
    # In demo mode the engine's web address is the sandbox's API address (gui/app.py).
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"),
                                     web_base=sandbox.api_url)
    window = parts.window
    plan = tmp_path / "A-201 Sections.pdf"
    plan.write_bytes(b"%PDF sections")
    window.add_paths([plan])
    qtbot.waitUntil(lambda: window.model.totals().done == 1, timeout=20_000)
    window.table.selectionModel().select(
        window.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
        | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.waitUntil(window.queue_actions.open_web.isEnabled, timeout=2000)
    window.queue_actions.open_web.trigger()
    [url] = desktop.opened
    folder = demo.folder_ids["Drawings"]
    assert url == f"{sandbox.api_url}/{demo.project_ids[0]}/project/documents?folder_id={folder}"
    page = requests.get(url, timeout=10)  # as the browser would: no token
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "A-201 Sections.pdf" in page.text and "13 bytes" in page.text


def test_the_action_says_it_opens_the_folder(make_window: Any) -> None:
    """The link is the folder's (Procore has none for one file): the words say so."""
    action = make_window(show=False).window.queue_actions.open_web
    assert action.text() == "Open folder in Pro&core"
    for tip in (action.toolTip(), action.statusTip()):
        assert "folder holding the file in Procore" in tip and "browser" in tip
