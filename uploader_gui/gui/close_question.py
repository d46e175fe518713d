"""The question asked when the window closes while files upload."""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QMessageBox, QWidget


class CloseChoice(enum.Enum):
    #: Hide the window; uploads go on with the tray icon.
    KEEP_IN_TRAY = enum.auto()
    #: Stop everything and quit; the uploads continue by themselves at the next start.
    STOP = enum.auto()
    #: Do not close.
    STAY = enum.auto()


def ask_close_choice(parent: QWidget, tray_available: bool) -> CloseChoice:
    """Keep uploading in the tray (when there is one), stop and quit, or stay."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Uploads are still running")
    box.setText("Files are still uploading. What would you like to do?")
    box.setInformativeText("Either way nothing is lost: stopped uploads continue where they "
                           "left off the next time you open the app.")
    keep = box.addButton("Keep uploading in the background",
                         QMessageBox.ButtonRole.AcceptRole) if tray_available else None
    stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Don't close", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep or stop)
    box.exec()
    clicked = box.clickedButton()
    if keep is not None and clicked is keep:
        return CloseChoice.KEEP_IN_TRAY
    if clicked is stop:
        return CloseChoice.STOP
    return CloseChoice.STAY
