"""The message strip above the queue: one sentence, a close button, and an announcement to
screen readers when it changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton,
                               QWidget)

from uploader_gui.gui.announce import announce


class NoticeBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBar")
        self.label = QLabel(self)
        self.label.setObjectName("notice")
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Message")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setToolTip("Close this message")
        self.close_button.setAccessibleName("Close this message")
        self.close_button.clicked.connect(lambda: self.show_text(""))
        #: What the message offers to do (see :meth:`offer`); hidden with the next message.
        self.action_button = QPushButton(self)
        self.action_button.hide()
        self.action_button.clicked.connect(self._act)
        self._action: Callable[[], None] | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_text(self, text: str) -> None:
        """Show ``text`` (empty: close the strip); an earlier message's button goes with it."""
        self._action = None
        self.action_button.hide()
        self.label.setText(text)
        self.setVisible(bool(text))
        announce(self.label, text)

    def offer(self, label: str, action: Callable[[], None]) -> None:
        """A button beside the message shown now, doing ``action`` once when pressed."""
        self._action = action
        self.action_button.setText(label)
        self.action_button.setAccessibleName(label)
        self.action_button.show()

    def _act(self) -> None:
        action, self._action = self._action, None
        self.action_button.hide()
        if action is not None:
            action()


def demo_banner(folder: Path, parent: QWidget) -> QLabel:
    """Says that the demo sends nothing to the real Procore, and where its files land."""
    banner = QLabel(
        f"<b>Demo mode.</b> Nothing goes to the real Procore: uploads land in a pretend "
        f"Procore that keeps its files in "
        f"<a href=\"{QUrl.fromLocalFile(str(folder)).toString()}\">{folder}</a>.", parent)
    banner.setObjectName("demoBanner")
    banner.setWordWrap(True)
    banner.setOpenExternalLinks(True)
    banner.setAccessibleName("Demo mode notice")
    return banner
