"""The system tray icon: a menu, and notices when a batch ends or a file fails."""

from __future__ import annotations

import collections
import logging

from PySide6.QtCore import QObject, Signal, SignalInstance
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from uploader_gui.gui.signals import emit

log = logging.getLogger(__name__)


#: Settings.extra key: False when the person turned desktop notifications off.
NOTIFY_KEY = "notifications"

class Tray(QObject):
    """Wraps QSystemTrayIcon; where no tray exists (some desktops), it does nothing."""

    show_requested = Signal()
    pause_all_requested = Signal()
    resume_all_requested = Signal()
    quit_requested = Signal()

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        #: Desktop notifications when uploads finish or fail (Settings, Everyday).
        self.notifications = True
        self.menu = QMenu()
        self._add(self.menu, "Show window", self.show_requested)
        self.menu.addSeparator()
        self._add(self.menu, "Pause all", self.pause_all_requested)
        self._add(self.menu, "Resume all", self.resume_all_requested)
        self.menu.addSeparator()
        self._add(self.menu, "Quit", self.quit_requested)
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("Procore Uploader")
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        #: The last notice sent (shown or not), for the window's status line and tests.
        self.last_message: tuple[str, str] | None = None
        #: The latest notifications, oldest first (what the person was told, in order).
        self.messages: collections.deque[tuple[str, str]] = collections.deque(maxlen=50)

    def _add(self, menu: QMenu, text: str, signal: SignalInstance) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(signal)
        return action

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            emit(self.show_requested)

    def show(self) -> None:
        if self.available:
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_status(self, text: str) -> None:
        self.icon.setToolTip(f"Procore Uploader — {text}")

    def notify(self, title: str, message: str, failure: bool = False) -> None:
        log.info("%s: %s", title, message)
        if not self.notifications:  # turned off in Settings: the window still says it
            return
        self.last_message = (title, message)
        self.messages.append((title, message))
        if self.available and self.icon.isVisible():
            kind = (QSystemTrayIcon.MessageIcon.Warning if failure
                    else QSystemTrayIcon.MessageIcon.Information)
            self.icon.showMessage(title, message, kind, 8000)

    def close(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()
