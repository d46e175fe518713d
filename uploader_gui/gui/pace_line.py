"""The window's line while Procore's request limit holds uploads back: the client's sentence,
the clock time the hold ends, and how many files wait for it."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QWidget

from uploader_gui.procore.pace_notice import Paced, pace_notice


def pace_line(pacer: Paced | None, waiting: int, now: float | None = None) -> str:
    """"" when nothing is held back."""
    notice = pace_notice(pacer)
    if notice is None or pacer is None:
        return ""
    text = notice.text
    if notice.kind == "holding":
        until = (now if now is not None else time.time()) + pacer.holding_for
        clock = time.strftime('%H:%M', time.localtime(until))
        if not notice.says_until:
            text = f"{text.removesuffix('.')} (at {clock})."
    if waiting:
        text += f" {waiting} file{'s wait' if waiting != 1 else ' waits'} for it"
        text += "." if notice.reassures else "; nothing needs doing."
    return text


class PaceLabel(QLabel):
    """Shows :func:`pace_line` once a second (reading the pacer takes a lock, no I/O); hidden
    while nothing is held back."""

    def __init__(self, pacer: Callable[[], Paced | None], waiting: Callable[[], int],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notice")
        self.setWordWrap(True)
        self.setAccessibleName("Procore's request limit")
        self.hide()
        self._pacer, self._waiting = pacer, waiting
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()

    def refresh(self) -> None:
        text = pace_line(self._pacer(), self._waiting())
        if text != self.text():
            self.setText(text)
            self.setVisible(bool(text))

    def stop(self) -> None:
        self._timer.stop()
