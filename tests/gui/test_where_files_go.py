"""Where each file goes stays readable: names and destinations are elided in the middle, the
destination reads from the project down with the full path in the tooltip, and a drop scrolls
to its new rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination, make_item
from uploader_gui.gui.queue_columns import COL_DESTINATION, COL_NAME
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.transfer.model import Destination, DestinationKind

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_destination_reads_from_the_project_down_with_the_full_path_in_the_tooltip(
        tmp_path: Path) -> None:
    model = QueueModel()
    try:
        item = make_item(1, tmp_path, name="A-101 Main Street Tower Level 3 Rev C.pdf")
        item.destination = Destination(DestinationKind.PROJECT_FOLDER, 1, 2, 3,
                                       label="Main Street Tower / Documents / Drawings")
        item.subfolders = ("Architectural", "Level 3")
        company = make_item(2, tmp_path)
        company.destination = Destination(DestinationKind.COMPANY_FOLDER, 1, None, 9,
                                          label="Company Documents / Templates")
        model.add_items([item, company])
        # The file came in the dropped folder "Architectural": it is that folder's row's child.
        assert model.data(model.index(0, COL_DESTINATION)) == "Documents / Drawings / Architectural"
        shown = model.data(model.index_of(1, COL_DESTINATION))
        assert shown == "Documents / Drawings / Architectural / Level 3"
        assert model.data(model.index_of(1, COL_DESTINATION), Qt.ItemDataRole.ToolTipRole) == \
            "Main Street Tower / Documents / Drawings / Architectural / Level 3"
        assert model.data(model.index(1, COL_DESTINATION)) == "Company Documents / Templates"
    finally:
        model.stop()


def test_long_names_keep_their_ends_and_a_drop_scrolls_to_its_rows(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"))
    window = parts.window
    window.resize(1024, 600)
    assert window.table.textElideMode() == Qt.TextElideMode.ElideMiddle
    # What the view draws for a long name in a narrow column keeps "Rev C.pdf".
    metrics = window.table.fontMetrics()
    name = "A-101 Main Street Tower Level 3 Architectural Plan Rev C.pdf"
    drawn = metrics.elidedText(name, window.table.textElideMode(),
                               window.table.columnWidth(COL_NAME) - 8)
    assert drawn.endswith("Rev C.pdf") and "…" in drawn

    files = []
    for i in range(60):
        f = tmp_path / f"sheet {i:02d} {name}"
        f.write_bytes(b"x")
        files.append(f)
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.model.rowCount() == 60, timeout=20_000)
    last = window.proxy.mapFromSource(window.model.index(59, 0))
    qtbot.waitUntil(lambda: window.table.viewport().rect().intersects(
        window.table.visualRect(last)), timeout=5000)
    first = window.proxy.mapFromSource(window.model.index(0, 0))
    assert not window.table.viewport().rect().intersects(window.table.visualRect(first))
