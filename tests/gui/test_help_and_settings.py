"""Settings split everyday choices from an Advanced page; the Help menu has a short guide, the
log folder and diagnostic details without secrets; the title is the app's name alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QMessageBox
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, make_item
from uploader_gui import APP_NAME, __version__
from uploader_gui.config import Settings
from uploader_gui.gui.about_dialog import add_help_menu
from uploader_gui.gui.help_menu import add_guides
from uploader_gui.gui.settings_dialog import SettingsDialog
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_settings_put_everyday_choices_apart_from_advanced_ones(qtbot: QtBot) -> None:
    dialog = SettingsDialog(Settings(), credentials=None, credentials_editable=True)
    qtbot.addWidget(dialog)
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == \
        ["Everyday", "Advanced"]
    everyday = dialog.everyday_page
    assert dialog.conflict.parent() is everyday or everyday.isAncestorOf(dialog.conflict)
    assert everyday.isAncestorOf(dialog.ask_same_name)
    for technical in (dialog.segment, dialog.environment, dialog.api_url, dialog.login_url,
                      dialog.client_id, dialog.client_secret, dialog.log_folder):
        assert not everyday.isAncestorOf(technical)
        assert dialog.advanced_page.isAncestorOf(technical)
    [log_label] = [w for w in dialog.findChildren(QLabel) if w.text() == "&Log folder:"]
    assert log_label.buddy() is dialog.log_folder, "shown as 'Log folder' with L underlined"


def test_help_menu_has_the_guide_the_log_folder_and_details_without_secrets(
        qtbot: QtBot, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    about = add_help_menu(window)
    help_menu = window.menuBar().actions()[-1].menu()
    add_guides(window, help_menu, about)
    texts = [a.text().replace("&", "") for a in help_menu.actions() if not a.isSeparator()]
    assert texts == ["Getting started", "Open log folder", "Copy diagnostic details",
                     f"About {APP_NAME}"]
    assert window.windowTitle() == APP_NAME

    guide = help_menu.actions()[0]
    guide.trigger()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "guide") is not None)
    box = window.findChild(QMessageBox, "guide")
    assert "Choose where the files go" in box.text()
    box.close()

    # A failed upload whose error quotes a signed link.
    row = make_item(99, tmp_path, state=UploadState.FAILED)
    row.error = ("The storage service refused the upload (HTTP 403): https://s3.example/b/k?"
                 "X-Amz-Signature=abc123secret&X-Amz-Credential=AKIA / AccessDenied.")
    window.model.add_items([row])
    details = [a for a in help_menu.actions() if "diagnostic" in a.text()][0]
    details.trigger()
    copied = QGuiApplication.clipboard().text()
    assert __version__ in copied and "Signed in: yes" in copied and "Sandbox" in copied
    assert "1 failed" in copied and "file-00099.pdf" in copied
    assert "abc123secret" not in copied and "AKIA" not in copied
    token = parts.client.tokens.access_token()
    assert token not in copied


def test_notifications_are_an_everyday_setting_that_turns_them_off(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    from tests.gui.conftest import documents_destination
    from uploader_gui.gui.tray import NOTIFY_KEY

    dialog = SettingsDialog(Settings(), credentials=None, credentials_editable=True)
    qtbot.addWidget(dialog)
    assert dialog.everyday_page.isAncestorOf(dialog.notify) and dialog.notify.isChecked()
    dialog.notify.setChecked(False)
    chosen = dialog.settings()
    assert chosen.extra[NOTIFY_KEY] is False

    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    window.apply_settings(chosen)
    (tmp_path / "quiet.pdf").write_bytes(b"quiet")
    with qtbot.waitSignal(window.queue.batch_finished, timeout=20_000):
        window.add_paths([tmp_path / "quiet.pdf"])
    assert list(window.tray.messages) == []
    on = Settings(**{**chosen.__dict__, "extra": {**chosen.extra, NOTIFY_KEY: True}})
    window.apply_settings(on)
    (tmp_path / "told.pdf").write_bytes(b"told")
    with qtbot.waitSignal(window.queue.batch_finished, timeout=20_000):
        window.add_paths([tmp_path / "told.pdf"])
    assert [title for title, _ in window.tray.messages] == ["Uploads finished"]


def test_start_with_the_computer_is_an_everyday_setting_off_by_default(
        qtbot: QtBot, make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui import autostart

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    entry = tmp_path / "config" / "autostart" / "procore-uploader.desktop"
    dialog = SettingsDialog(Settings(), credentials=None, credentials_editable=True)
    qtbot.addWidget(dialog)
    assert dialog.everyday_page.isAncestorOf(dialog.start_with_computer)
    assert not dialog.start_with_computer.isChecked()
    dialog.start_with_computer.setChecked(True)
    ticked = dialog.settings()
    assert ticked.extra[autostart.SETTING_KEY] is True

    window = make_window(show=False).window
    window.apply_settings(ticked)  # the file is written by the window's background runner
    qtbot.waitUntil(entry.is_file, timeout=5000)
    assert entry.read_text(encoding="utf-8") == \
        autostart.desktop_entry(autostart.launch_command())
    again = SettingsDialog(ticked, credentials=None, credentials_editable=True)
    qtbot.addWidget(again)
    assert again.start_with_computer.isChecked()
    again.start_with_computer.setChecked(False)
    window.apply_settings(again.settings())
    qtbot.waitUntil(lambda: not entry.exists(), timeout=5000)


def test_start_with_the_computer_says_so_when_it_cannot(
        qtbot: QtBot, make_window: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui import autostart

    blocked = tmp_path / "config"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocked))
    window = make_window(show=False).window
    on = Settings(extra={autostart.SETTING_KEY: True})
    window.apply_settings(on)
    qtbot.waitUntil(lambda: "opens with the computer" in window.notice_label.text(),
                    timeout=5000)


def test_the_demo_never_adds_itself_to_the_computers_start_up(
        qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui import autostart
    from uploader_gui.gui.app import build_parts, build_window

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    parts = build_parts(["procore-uploader"], demo=True)
    window = build_window(parts)
    try:
        assert window.set_start_with_computer is None
        window.apply_settings(Settings(extra={autostart.SETTING_KEY: True}))
        qtbot.waitUntil(lambda: window.tasks.pending == 0, timeout=5000)
        assert not (tmp_path / "config" / "autostart").exists()
        dialog = SettingsDialog(window.settings, credentials=None, start_editable=False)
        qtbot.addWidget(dialog)
        assert not dialog.start_with_computer.isEnabled()
    finally:
        assert window.shutdown(10_000)
        window.close()
        window.deleteLater()
        parts.close()
