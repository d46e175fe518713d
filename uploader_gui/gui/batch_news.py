"""How the window tells of a batch's end and its failures: tray balloon, status bar, screen
reader."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QStatusBar

from uploader_gui.domain import UploadItem
from uploader_gui.gui.announce import announce
from uploader_gui.gui.failure_words import details_for, explain
from uploader_gui.gui.tray import Tray


class BatchNews:
    """One balloon for a batch's first failure, one for its end (the end counts failures)."""

    def __init__(self, tray: Tray, status: QStatusBar) -> None:
        self._tray = tray
        self._status = status
        self._failure_told = False

    def item_failed(self, item: UploadItem) -> None:
        if not self._failure_told:
            self._failure_told = True
            self._tray.notify("Upload failed", f"{item.name}: {explain(item.error, item)}",
                              failure=True)

    def batch_finished(self, done: int, failed: int) -> None:
        self._failure_told = False
        text = f"{done} file{'s' if done != 1 else ''} uploaded"
        if failed:
            text += f", {failed} failed"
        self._tray.notify("Uploads finished", text + ".", failure=bool(failed))
        self._status.showMessage(text + ".", 10000)
        announce(self._status, text + ".", urgent=bool(failed))

    def copy_details(self, failed: list[UploadItem]) -> None:
        """Every failed upload, where it was going and why, on the clipboard (no secrets)."""
        QGuiApplication.clipboard().setText(details_for(failed))
        self._status.showMessage("Details copied: paste them into an e-mail to your "
                                 "Procore administrator.", 10000)
