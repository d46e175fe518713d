"""Help → About: the version, and the licences of the components the app bundles."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from uploader_gui import APP_NAME, __version__
from uploader_gui.licences import Component, components

QT_LICENCE = "LGPL-3.0-only"


def bundled_components() -> list[Component]:
    """Every component with its licence, Qt's own libraries included (they ship in PySide6)."""
    found = components()
    found.insert(2, Component("Qt", qVersion(), QT_LICENCE))
    return found


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setObjectName("aboutDialog")
        self.heading = QLabel(
            f"<h3>{html.escape(APP_NAME)}</h3><p>Version {html.escape(__version__)}</p>"
            "<p>Puts files and folders into Procore with its direct file upload API.</p>"
            "<p>Built with the components below, each under its own licence. Qt and PySide6 "
            "are used under the GNU Lesser General Public License v3; their source is "
            "available from the Qt Project.</p>", self)
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rows = bundled_components()
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("licences")
        self.table.setAccessibleName("Bundled components and their licences")
        self.table.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, component in enumerate(rows):
            for col, text in enumerate((component.name, component.version, component.licence)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(640, 480)

    def licences(self) -> dict[str, str]:
        """Component name → licence, as shown."""
        shown = {}
        for row in range(self.table.rowCount()):
            name, licence = self.table.item(row, 0), self.table.item(row, 2)
            if name is not None and licence is not None:
                shown[name.text()] = licence.text()
        return shown


def add_help_menu(window: QMainWindow) -> QAction:
    """A Help menu with About on the window's menu bar; returns the About action."""
    menu = window.menuBar().addMenu("&Help")
    action = QAction(f"&About {APP_NAME}", window)
    action.setObjectName("aboutAction")
    action.setMenuRole(QAction.MenuRole.AboutRole)  # the app menu on macOS

    def show() -> None:
        dialog = AboutDialog(window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    action.triggered.connect(show)
    menu.addAction(action)
    return action
