"""The summary line over the queue while uploads need attention: "3 need attention — Retry all ·
Show only these · Copy details", shown until the person closes it or nothing needs attention."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QStyle, QToolButton, QWidget)

from uploader_gui.gui.signals import emit


def _link_button(text: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setAutoRaise(True)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return button


class AttentionBar(QFrame):
    """A strip with the count of failed uploads and what to do about them."""

    retry_all = Signal()
    #: True: show only the failed rows; False: show every row again.
    show_only_failed = Signal(bool)
    copy_details = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attentionBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Uploads that need attention")
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size, size))
        self.label = QLabel(self)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = _link_button("Retry all", self)
        self.filter_button = _link_button("Show only these", self)
        self.filter_button.setCheckable(True)
        self.copy_button = _link_button("Copy details", self)
        self.close_button = _link_button("", self)
        self.close_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setToolTip("Close this message")
        self.close_button.setAccessibleName("Close this message")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 2, 4, 2)
        layout.addWidget(icon)
        layout.addWidget(self.label, 1)
        for button in (self.retry_button, self.filter_button, self.copy_button,
                       self.close_button):
            layout.addWidget(button)
        self.retry_button.clicked.connect(lambda: emit(self.retry_all))
        self.filter_button.toggled.connect(self._filter_toggled)
        self.copy_button.clicked.connect(lambda: emit(self.copy_details))
        self.close_button.clicked.connect(self.dismiss)
        self._count = 0
        self._dismissed_at = 0
        self.hide()

    def _filter_toggled(self, on: bool) -> None:
        self.filter_button.setText("Show all" if on else "Show only these")
        emit(self.show_only_failed, on)

    def set_count(self, failed: int) -> None:
        """The number of failed uploads now. A new failure after a dismissal shows it again."""
        if failed == self._count:
            return
        grew = failed > self._count
        self._count = failed
        if failed == 0:
            self._dismissed_at = 0
            if self.filter_button.isChecked():
                self.filter_button.setChecked(False)
            self.hide()
            return
        self.label.setText(f"<b>{failed} upload{'s need' if failed != 1 else ' needs'} "
                           f"attention</b> — {'they were' if failed != 1 else 'it was'} "
                           "not uploaded.")
        if grew and failed > self._dismissed_at:
            self.show()

    def dismiss(self) -> None:
        self._dismissed_at = self._count
        if self.filter_button.isChecked():
            self.filter_button.setChecked(False)
        self.hide()
