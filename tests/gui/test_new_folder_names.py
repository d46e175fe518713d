"""A folder made with the window's "New folder" follows the rules every uploaded name does."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts
from uploader_gui.procore.client import Scope

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_new_folder_name_is_cleaned(qtbot: QtBot, demo: Any, make_window: Any) -> None:
    parts: WindowParts = make_window()
    bar = parts.window.destination_bar
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    bar.project_combo.setCurrentIndex(bar.project_combo.findData(demo.project_ids[0]))
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    documents = bar.tree_model.item(0)
    with qtbot.waitSignal(bar.loaded, timeout=10_000):
        bar.tree.expand(documents.index())
    with qtbot.waitSignal(bar.destination_changed, timeout=10_000):
        bar.select_node(bar.node_for_label(f"{bar.project_combo.currentText()} / Documents"
                                           " / Drawings"))

    with qtbot.waitSignal(bar.destination_changed, timeout=10_000) as created:
        bar.create_folder(" Level 2: east\u202e\x1b. ")
    assert created.args[0].label.endswith("Drawings / Level 2- east-")
    listing = parts.client.folder(Scope(demo.company_id, demo.project_ids[0]),
                                  demo.folder_ids["Drawings"])
    assert "Level 2- east-" in {f["name"] for f in listing["folders"]}
