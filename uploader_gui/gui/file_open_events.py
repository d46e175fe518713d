"""Files opened through the desktop rather than the command line.

On macOS, files dropped on the Dock icon or opened with the app in Finder arrive as
QFileOpenEvent on the application (at launch too), never as arguments. This filter collects
them and hands them to the window like the files of a second launch.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QFileOpenEvent

from uploader_gui.gui.signals import emit


class FileOpenEvents(QObject):
    """Install on the QApplication; emits ``paths_received`` with each opened file."""

    paths_received = Signal(list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                emit(self.paths_received, [Path(path)])
                return True
        return super().eventFilter(watched, event)
