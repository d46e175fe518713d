"""The drop zone: says what to do, highlights while files hover, and turns drops into paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QPalette
from PySide6.QtWidgets import (QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from uploader_gui.gui.signals import emit

log = logging.getLogger(__name__)


@dataclass
class DropContents:
    """What a drag carries: local paths to upload, and sentences about what cannot be."""

    paths: list[Path] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return bool(self.paths)


def read_mime(mime: QMimeData) -> DropContents:
    """Sort a drag's URLs into local files and refusals (web links, remote shares, plain text)."""
    contents = DropContents()
    if mime.hasUrls():
        for url in mime.urls():
            _classify(url, contents)
    elif mime.hasText() and mime.text().strip():
        contents.refused.append("Only files and folders can be uploaded, not text.")
    return contents


def _classify(url: QUrl, contents: DropContents) -> None:
    if url.isLocalFile():
        local = url.toLocalFile()
        if local:
            contents.paths.append(Path(local))
            return
    scheme = url.scheme().lower()
    shown = url.toDisplayString()
    if scheme in ("http", "https", "ftp"):
        contents.refused.append(f"{shown} is a web link, not a file on this computer. "
                                "Download it first, then drop the file.")
    else:
        contents.refused.append(f"{shown} is not on this computer. Copy it to a folder here "
                                "first, then drop it.")


class DropZone(QFrame):
    """The big target in the middle of the window, with "Add files…" and "Add folder…"."""

    #: Paths chosen by a drop or a file dialog (list[Path]).
    paths_chosen = Signal(list)
    #: Refusals of a drop (list[str]) to show to the person.
    refused = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropZone")
        self.setAccessibleName("Drop zone")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumHeight(110)
        self.setAutoFillBackground(True)
        self._ready = False
        self._title = QLabel(self)
        self._title.setObjectName("dropZoneTitle")
        font = self._title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self._title.setFont(font)
        self._detail = QLabel(self)
        self._detail.setWordWrap(True)
        self._detail.setObjectName("dropZoneDetail")
        self.add_files_button = QPushButton("Add &files…", self)
        self.add_files_button.setAccessibleName("Add files")
        self.add_files_button.setToolTip("Choose files to upload (Ctrl+O)")
        self.add_folder_button = QPushButton("Add f&older…", self)
        self.add_folder_button.setAccessibleName("Add folder")
        self.add_folder_button.setToolTip("Choose a folder to upload with everything in it "
                                          "(Ctrl+Shift+O)")
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button.clicked.connect(self.choose_folder)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_files_button)
        buttons.addWidget(self.add_folder_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._title, 0)
        layout.addWidget(self._detail, 0)
        layout.addLayout(buttons)
        layout.addStretch(1)
        for label in (self._title, self._detail):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self._where = ""
        self.set_ready(False)

    # -- what the zone says -------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self._title.text()

    @property
    def detail(self) -> str:
        return self._detail.text()

    def set_ready(self, ready: bool, where: str | None = None) -> None:
        """Ready once a destination is chosen; until then the zone says to choose one."""
        self._ready = ready
        if where is not None:
            self._where = where
        if ready:
            self._title.setText("Drop files or folders here")
            self._detail.setText(f"They go to {self._where}." if self._where else "")
        else:
            self._title.setText("Choose where the files go")
            self._detail.setText("Pick a company, a project and a folder or photo album on the "
                                 "left. Files dropped before that wait for you to confirm "
                                 "where they go.")
        self.add_files_button.setEnabled(ready)
        self.add_folder_button.setEnabled(ready)
        self.set_highlight(False)

    def show_message(self, text: str) -> None:
        self._detail.setText(text)

    def set_highlight(self, on: bool) -> None:
        """Use the palette's highlight colours, so light and dark themes both read well."""
        palette = self.palette()
        parent = self.parentWidget()
        app_palette = parent.palette() if parent is not None else palette
        role_bg = QPalette.ColorRole.Highlight if on else QPalette.ColorRole.Base
        role_fg = QPalette.ColorRole.HighlightedText if on else QPalette.ColorRole.WindowText
        palette.setColor(QPalette.ColorRole.Window, app_palette.color(role_bg))
        palette.setColor(QPalette.ColorRole.WindowText, app_palette.color(role_fg))
        self.setPalette(palette)
        self.setProperty("highlighted", on)

    @property
    def highlighted(self) -> bool:
        return bool(self.property("highlighted"))

    # -- drags (the window forwards its drag events here) -------------------------------------

    def drag_enter(self, event: QDragEnterEvent | QDragMoveEvent) -> None:
        contents = read_mime(event.mimeData())
        if contents.usable or contents.refused:
            # Accepted even when nothing is usable, so the drop can say why instead of
            # leaving the person with a silent "no entry" cursor.
            event.acceptProposedAction()
            self.set_highlight(True)
            if contents.usable:
                n = len(contents.paths)
                self._title.setText(f"Release to add {n} item{'s' if n != 1 else ''}")
            else:
                self._title.setText("This cannot be uploaded")
        else:
            event.ignore()

    def drag_leave(self) -> None:
        self.set_ready(self._ready)

    def drop(self, event: QDropEvent) -> DropContents:
        contents = read_mime(event.mimeData())
        self.set_ready(self._ready)
        if contents.usable or contents.refused:
            event.acceptProposedAction()
        else:
            event.ignore()
        if contents.refused:
            self.show_message(" ".join(contents.refused))
            emit(self.refused, contents.refused)
        if contents.paths:
            emit(self.paths_chosen, contents.paths)
        return contents

    # -- dialogs ------------------------------------------------------------------------------

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add files to upload")
        if names:
            emit(self.paths_chosen, [Path(n) for n in names])

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Add a folder to upload")
        if name:
            emit(self.paths_chosen, [Path(name)])
