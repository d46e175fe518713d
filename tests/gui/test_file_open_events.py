"""Files the desktop opens with the app (macOS Dock drops, Finder "Open With") reach the queue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.gui.file_open_events import FileOpenEvents
from uploader_gui.gui.single_instance import deliver_to
from uploader_gui.transfer.model import UploadState

# Offscreen Qt cannot raise a window or pass size hints; the window comes to the front elsewhere.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (propagateSizeHints|raise)")


def test_file_open_event_uploads_the_file(qapp: QApplication, qtbot: QtBot, demo: object,
                                          make_window: Callable[..., WindowParts],
                                          tmp_path: Path) -> None:
    parts = make_window(destination=documents_destination(demo))
    opened = FileOpenEvents(parts.window)
    qapp.installEventFilter(opened)
    deliver_to(opened, parts.window)
    try:
        doc = tmp_path / "dropped on the dock.pdf"
        doc.write_bytes(b"%PDF-1.4 dock")
        QCoreApplication.sendEvent(qapp, QFileOpenEvent(str(doc)))
        qtbot.waitUntil(lambda: [(i.name, i.state) for i in parts.window.model.items()]
                        == [(doc.name, UploadState.DONE)], timeout=20_000)
    finally:
        qapp.removeEventFilter(opened)
