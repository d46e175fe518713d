"""Signed out, the window shows one clear screen with a big Sign in button (or the way to the
sign-in settings when the app has none yet); the menu bar keeps account, Settings and Help
reachable at every size; ``--help`` says the command opens the window and lists ``--demo``."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.cli import main as cli_main
from uploader_gui.gui.about_dialog import add_help_menu
from uploader_gui.gui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

CREDENTIALS = ClientCredentials("client-id", "client-secret", "http://localhost:8765/callback")


def test_signed_out_window_shows_the_sign_in_screen(qtbot: QtBot, make_window: Any) -> None:
    parts: WindowParts = make_window(show=False, signed_in=False)
    window = parts.window
    window.credentials_in_use = lambda: CREDENTIALS
    window.set_client(None)
    window.show()
    screen = window.sign_in_screen
    assert window.pages.currentWidget() is screen
    assert not window.destination_bar.isVisible() and not window.table.isVisible()
    assert screen.sign_in_button.isVisible() and screen.sign_in_button.isEnabled()
    assert "Procore" in screen.about.text()
    qtbot.waitUntil(lambda: screen.hint.isVisible())
    assert not screen.settings_button.isVisible()
    with qtbot.waitSignal(window.sign_in_requested, timeout=2000):
        screen.sign_in_button.click()
    assert window.account_button.accessibleName() == "Sign in to Procore"

    window.set_client(parts.client)
    assert window.pages.currentWidget() is window.uploads_page
    assert window.table.isVisible() and window.destination_bar.isVisible()
    assert window.account_button.accessibleName() == "Sign out of Procore"


def test_without_a_client_id_the_screen_leads_to_the_sign_in_settings(
        qtbot: QtBot, make_window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[SettingsDialog] = []

    def exec_(dialog: SettingsDialog) -> int:  # the dialog is built; nobody answers it here
        shown.append(dialog)
        return int(SettingsDialog.DialogCode.Rejected)

    monkeypatch.setattr(SettingsDialog, "exec", exec_)
    parts: WindowParts = make_window(show=False, signed_in=False)
    window = parts.window
    window.credentials_in_use = lambda: None
    window.set_client(None)
    window.show()
    screen = window.sign_in_screen
    qtbot.waitUntil(lambda: screen.settings_button.isVisible())
    assert not screen.sign_in_button.isEnabled()
    assert "Client ID" in screen.no_client.text()
    screen.settings_button.click()
    qtbot.waitUntil(lambda: len(shown) == 1)


@pytest.mark.parametrize("size", [(1280, 720), (1024, 600), (800, 500)])
def test_menu_bar_keeps_account_settings_and_help_reachable(
        qtbot: QtBot, make_window: Any, size: tuple[int, int]) -> None:
    parts: WindowParts = make_window()
    window = parts.window
    add_help_menu(window)  # as the app does
    window.resize(*size)
    qtbot.waitUntil(lambda: window.width() == size[0])
    bar = window.menuBar()
    titles = [a.text().replace("&", "") for a in bar.actions()]
    assert titles == ["File", "Edit", "View", "Help"]
    file_menu = bar.actions()[0].menu()
    assert window.settings_action in file_menu.actions()
    help_menu = bar.actions()[3].menu()
    assert any("About" in a.text() for a in help_menu.actions())
    # The account button is on screen, inside the window, not behind an overflow button.
    button = window.account_button
    assert button.isVisible()
    top_left = button.mapTo(window, QPoint(0, 0))
    assert QRect(QPoint(0, 0), window.size()).contains(QRect(top_left, button.size()))
    assert window.account_label.isVisible()


def test_help_says_the_command_opens_the_window_and_lists_demo(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main(["--help"])
    out = capsys.readouterr().out
    assert "Without a COMMAND it opens the window" in " ".join(out.split())
    assert "--demo" in out and "practice Procore" in " ".join(out.split())
