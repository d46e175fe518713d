"""The Qt binding must not lose references to None, True or False.

PySide6 6.12.0 on Python 3.11 dropped one reference on every call returning them (each
QTimer.start, QLabel.setText, Signal.emit...). None and the bools are not immortal before Python
3.12, so a window that runs for an hour of uploads reached zero and the interpreter aborted with
"deallocating None". pyproject.toml excludes that release; this test fails on any binding with
the fault.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QLabel

CALLS = 300


class _Sender(QObject):
    ping = Signal()
    carry = Signal(object)


def _lost(call: object) -> tuple[int, int, int]:
    before = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    for _ in range(CALLS):
        call()  # type: ignore[operator]
    after = (sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False))
    return tuple(b - a for b, a in zip(before, after, strict=True))  # type: ignore[return-value]


def test_void_and_bool_calls_keep_their_references(qapp: QApplication) -> None:
    sender, timer, label = _Sender(), QTimer(), QLabel()
    sender.carry.connect(lambda value: None)
    try:
        calls = {
            "Signal.emit()": lambda: sender.ping.emit(),
            "Signal.emit(None)": lambda: sender.carry.emit(None),
            "QTimer.start": lambda: timer.start(60_000),
            "QTimer.isActive": timer.isActive,
            "QLabel.setText": lambda: label.setText("uploading"),
            "QObject.setObjectName": lambda: sender.setObjectName("sender"),
        }
        # Other threads may move the counts a little; a leak moves them by about CALLS.
        lost = {name: _lost(call) for name, call in calls.items()}
        assert all(max(counts) < CALLS // 2 for counts in lost.values()), lost
    finally:
        timer.stop()
        label.deleteLater()
        sender.deleteLater()
