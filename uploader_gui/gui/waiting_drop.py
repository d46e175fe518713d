"""Files dropped before a destination was chosen: shown as waiting, sent only on a clear "yes".

A click in the folder list may be made only to look around; the files wait until the person
answers "Upload 3 files to Main Street Tower / Documents / Drawings?" with Upload here.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from uploader_gui.gui.signals import emit
from uploader_gui.transfer.model import Destination

#: Names listed before "and N more".
SHOWN_NAMES = 3


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class WaitingForDestination(QFrame):
    """The "Waiting for a destination" group: the waiting files and the question."""

    #: The person confirmed: (paths, destination).
    confirmed = Signal(list, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitingForDestination")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Files waiting for a destination")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.upload_button = QPushButton("Upload here", self)
        self.discard_button = QPushButton("Don't upload", self)
        self.discard_button.setToolTip("Forget these files; nothing is uploaded")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.upload_button)
        layout.addWidget(self.discard_button)
        self.upload_button.clicked.connect(self._confirm)
        self.discard_button.clicked.connect(self.clear)
        self.paths: list[Path] = []
        self._destination: Destination | None = None
        self.hide()

    def add(self, paths: list[Path]) -> None:
        known = set(self.paths)
        self.paths.extend(p for p in paths if p not in known)
        self._refresh()

    def set_destination(self, destination: Destination | None) -> None:
        """The destination chosen now: the question names it; nothing is sent."""
        self._destination = destination
        self._refresh()

    def clear(self) -> None:
        self.paths = []
        self._refresh()

    def _confirm(self) -> None:
        if self.paths and self._destination is not None:
            paths, destination = self.paths, self._destination
            self.paths = []
            self._refresh()
            emit(self.confirmed, paths, destination)

    def _refresh(self) -> None:
        n = len(self.paths)
        if not n:
            self.hide()
            return
        items = f"{n} item{'s' if n != 1 else ''}"
        names = ", ".join(_escape(p.name or str(p)) for p in self.paths[:SHOWN_NAMES])
        if n > SHOWN_NAMES:
            names += f" and {n - SHOWN_NAMES} more"
        if self._destination is None:
            question = (f"<b>Waiting for a destination:</b> {items} ({names}). Choose the "
                        "project and folder on the left; nothing is sent until you confirm.")
            self.upload_button.setEnabled(False)
            self.upload_button.setText("Upload here")
        else:
            question = (f"<b>Upload {items} to {_escape(str(self._destination))}?</b> "
                        f"({names})")
            self.upload_button.setEnabled(True)
            self.upload_button.setText(f"Upload {items}")
        self.label.setText(question)
        self.show()
