"""Saying a sentence to screen readers (Orca, NVDA, Narrator, VoiceOver) without moving focus.

Qt's announcement event (Qt 6.8 and later) is the one its platform bridges pass on: AT-SPI's
``Announcement`` on Linux, a UI Automation notification on Windows, an announcement request on
macOS. An ``Alert`` event on a label reaches no Linux reader; it is sent only by an older Qt.
"""

from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QWidget

try:
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # Qt before 6.8
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc,unused-ignore]


def announce(source: QWidget, text: str, *, urgent: bool = False) -> None:
    """Have screen readers say ``text``; nothing when none is listening."""
    if not text or not QAccessible.isActive():
        return
    if QAccessibleAnnouncementEvent is None:
        QAccessible.updateAccessibility(QAccessibleEvent(source, QAccessible.Event.Alert))
        return
    event = QAccessibleAnnouncementEvent(source, text)
    if urgent:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)
