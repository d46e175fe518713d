"""System files (Thumbs.db, desktop.ini, .DS_Store, Office and LibreOffice lock files, *.tmp)
stay out of a dropped folder, and the window says how many; dropped on their own they go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from tests.gui.test_window_sandbox import drop_on, names_in_sandbox
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

SYSTEM = ["Thumbs.db", "desktop.ini", ".DS_Store", "~$bid form.docx", ".~lock.schedule.ods#",
          "autosave.tmp"]


def test_system_files_stay_out_of_a_dropped_folder_and_go_when_dropped_alone(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    folder = tmp_path / "Bid package"
    (folder / "Specs").mkdir(parents=True)
    for name in SYSTEM:
        (folder / name).write_bytes(b"made by the system")
    (folder / "Specs" / "Thumbs.db").write_bytes(b"thumbnails")
    (folder / "bid form.docx").write_bytes(b"the real bid form")
    (folder / "Specs" / "section 03.pdf").write_bytes(b"concrete")
    drop_on(window, QUrl.fromLocalFile(str(folder)))
    qtbot.waitUntil(lambda: len(window.model.items()) == 2 and all(
        it.state is UploadState.DONE for it in window.model.items()), timeout=20_000)
    assert window.model.rowCount() == 1, "the dropped folder is one row"
    assert {it.name for it in window.model.items()} == {"bid form.docx", "section 03.pdf"}
    assert "7 system files left out" in window.notice_label.text()
    assert "Drop one on its own" in window.notice_label.text()
    assert names_in_sandbox(sandbox, demo.project_ids[0]) == {"bid form.docx", "section 03.pdf"}

    drop_on(window, QUrl.fromLocalFile(str(folder / "Thumbs.db")))
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=10_000)  # on its own
    qtbot.waitUntil(lambda: "Thumbs.db" in names_in_sandbox(sandbox, demo.project_ids[0]),
                    timeout=20_000)
