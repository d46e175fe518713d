"""Help → About shows the version and the licences of the bundled components; --version."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from uploader_gui import APP_NAME, __version__
from uploader_gui.gui.about_dialog import AboutDialog, add_help_menu
from uploader_gui.licences import components, licence_of, runtime_distributions

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_help_about_shows_version_and_licences(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    action = add_help_menu(window)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&Help"]
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is not None)
    dialog = window.findChild(AboutDialog)
    assert dialog.isVisible()
    assert __version__ in dialog.heading.text()
    licences = dialog.licences()
    assert licences["Qt"] == "LGPL-3.0-only"
    assert licences["PySide6_Essentials"].startswith("LGPL-3.0-only")
    assert licences["requests"] == "Apache-2.0"
    assert licences["procore-uploader"] == "MIT"
    assert "Python" in licences and "keyring" in licences and "urllib3" in licences
    dialog.close()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)


def test_components_follow_the_installed_dependencies() -> None:
    names = {n.lower().replace("_", "-") for n in runtime_distributions()}
    # Declared in pyproject, and one level down (requests needs urllib3).
    assert {"requests", "platformdirs", "keyring", "pyside6-essentials", "truststore",
            "urllib3", "shiboken6"} <= names
    assert not {"pytest", "hypothesis", "selenium"} & names, "test extras are not bundled"
    assert all(c.licence for c in components())
    assert licence_of("requests") == "Apache-2.0"


def test_version_on_the_command_line() -> None:
    out = subprocess.run([sys.executable, "-m", "uploader_gui", "--version"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0
    assert out.stdout.strip() == f"{APP_NAME} {__version__}"
