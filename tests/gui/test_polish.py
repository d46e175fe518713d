"""Polish: notices can be closed, Tab reaches the toolbar, signing out and in keeps the folder."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QToolButton
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_a_notice_can_be_closed(qtbot: QtBot, make_window: Any) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    window.show_notice("3 files added to the queue.")
    assert window.notice_label.isVisible()
    window.notice_bar.close_button.click()
    assert not window.notice_label.isVisible() and not window.notice_bar.isVisible()


def test_tab_reaches_the_toolbar_actions(qtbot: QtBot, make_window: Any) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    buttons = [window.toolbar.widgetForAction(a) for a in window.toolbar.actions()
               if not a.isSeparator()]
    buttons = [b for b in buttons if isinstance(b, QToolButton) and b.isVisible()]
    assert buttons
    for button in buttons:
        assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    add_files = window.toolbar.widgetForAction(window.add_files_action)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.table.setFocus()
    reached = set()
    for _ in range(80):  # round the whole window with Tab
        window.focusNextChild()
        reached.add(window.focusWidget())
    assert add_files in reached


def test_signing_out_and_in_keeps_the_chosen_folder(qtbot: QtBot, demo: Any,
                                                    make_window: Any) -> None:
    chosen = documents_destination(demo, "Drawings")
    parts: WindowParts = make_window(destination=chosen)
    window = parts.window
    assert window.destination_bar.destination == chosen
    window.set_client(None)
    assert window.destination_bar.destination is None
    window.set_client(parts.client)
    assert window.destination_bar.destination == chosen
    qtbot.waitUntil(lambda: window.drop_zone.add_files_button.isEnabled())


def test_the_account_name_is_shown_whole(qtbot: QtBot, make_window: Any) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    label = window.account_label
    qtbot.waitUntil(lambda: "Signed in as" in label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: label.width() >= label.fontMetrics().horizontalAdvance(label.text()),
                    timeout=2000)
    corner = window.account_corner
    assert corner.geometry().right() <= window.menuBar().width()
