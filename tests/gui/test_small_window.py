"""At 1024x600 the Status column stays in view (speed and time left give way), and a status is
cut at its end, not its middle, so "Failed — You don't have permission…" keeps its meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, make_item
from uploader_gui.gui.queue_columns import COL_ETA, COL_SPEED, COL_STATUS
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.mark.parametrize("size", [(1024, 600), (1280, 720)])
def test_status_stays_in_view_and_is_cut_at_its_end(qtbot: QtBot, make_window: Any,
                                                    tmp_path: Path,
                                                    size: tuple[int, int]) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    row = make_item(1, tmp_path, state=UploadState.FAILED)
    row.error = "Forbidden"
    window.model.add_items([row])
    window.resize(*size)
    qtbot.waitUntil(lambda: window.table.viewport().width() > 0 and window.width() == size[0])
    header = window.table.header()
    viewport = window.table.viewport().width()
    right = header.sectionViewportPosition(COL_STATUS) + header.sectionSize(COL_STATUS)
    assert header.sectionViewportPosition(COL_STATUS) >= 0 and right <= viewport, \
        (right, viewport)
    assert header.visualIndex(COL_STATUS) < header.visualIndex(COL_SPEED)
    assert header.visualIndex(COL_STATUS) < header.visualIndex(COL_ETA)

    index = window.proxy.index(0, COL_STATUS)
    option = QStyleOptionViewItem()
    window.table.itemDelegateForColumn(COL_STATUS).initStyleOption(option, index)
    assert option.textElideMode == Qt.TextElideMode.ElideRight
    assert option.text.startswith("Failed — You don't have permission")
    assert isinstance(index, QModelIndex)
