"""Help menu entries for office staff: a short guide, the log folder, and diagnostic details to
paste into an e-mail (never a token, secret or signed link)."""

from __future__ import annotations

import platform
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMenu, QMessageBox

from uploader_gui import APP_NAME, __version__
from uploader_gui.gui.failure_words import explain, scrub
from uploader_gui.transfer.model import UploadState

if TYPE_CHECKING:
    from uploader_gui.gui.main_window import MainWindow

GUIDE = (
    "<h3>Getting started</h3>"
    "<ol>"
    "<li><b>Sign in</b> with your Procore account (top right).</li>"
    "<li><b>Choose where the files go</b> on the left: the company, the project, then a "
    "Documents folder or a photo album.</li>"
    "<li><b>Drop files or folders</b> on the window, or use File → Add files. Folders keep "
    "their structure in Procore.</li>"
    "<li>Watch the list: each file says when it is <b>Done</b>. A file that needs attention "
    "is marked in red with what to do; <b>Retry all</b> tries again.</li>"
    "</ol>"
    "<p>Closing the window can leave uploads going in the background. Stopped uploads continue "
    "where they left off the next time you open the app.</p>"
    "<p>To try the app without touching the real Procore, start it with "
    "<i>Demo mode</i> from its shortcut.</p>")


def _log_folder() -> Path:
    from uploader_gui.config import log_dir
    from uploader_gui.logsetup import chosen_folder

    return chosen_folder() or log_dir()


def diagnostic_details(window: MainWindow) -> str:
    """What support needs to know, in plain text, without secrets."""
    items = window.model.items()
    counts = Counter(str(it.state) for it in items)
    lines = [f"{APP_NAME} {__version__}",
             f"Python {platform.python_version()}, Qt {qVersion()}, "
             f"{platform.system()} {platform.release()} ({sys.platform})",
             f"Procore: {window.environment_label or 'not set'}",
             f"Signed in: {'yes' if window.signed_in else 'no'}",
             "Uploads: " + (", ".join(f"{n} {state.lower()}" for state, n in
                                      sorted(counts.items())) or "none")]
    failed = [it for it in items if it.state is UploadState.FAILED][-10:]
    if failed:
        lines.append("Needing attention:")
        for item in failed:
            why = explain(item.error, item)
            lines.append(f"  {item.name} → {item.where}: {why.what}")
            if why.details:
                lines.append(f"    details: {why.details}")
    return scrub("\n".join(lines))


def add_guides(window: MainWindow, menu: QMenu, before: QAction | None = None) -> list[QAction]:
    """Getting started, Open log folder and Copy diagnostic details, above ``before``."""
    guide = QAction("&Getting started", window)
    guide.setShortcut("F1")
    guide.triggered.connect(lambda: _show_guide(window))
    logs = QAction("Open &log folder", window)
    def open_folder(folder: object) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    logs.triggered.connect(lambda: window.tasks.submit(
        _log_folder, open_folder,
        lambda exc: window.show_notice("The log folder could not be found on this computer.")))
    details = QAction("&Copy diagnostic details", window)
    details.triggered.connect(lambda: _copy_details(window))
    actions = [guide, logs, details]
    menu.insertActions(before, actions)  # type: ignore[arg-type]
    if before is not None:
        menu.insertSeparator(before)
    return actions


def _show_guide(window: MainWindow) -> None:
    box = QMessageBox(window)
    box.setWindowTitle("Getting started")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(GUIDE)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("guide")
    box.open()


def _copy_details(window: MainWindow) -> None:
    QGuiApplication.clipboard().setText(diagnostic_details(window))
    window.statusBar().showMessage("Diagnostic details copied: paste them into an e-mail to "
                                   "your support. They hold no password or sign-in key.", 10000)
