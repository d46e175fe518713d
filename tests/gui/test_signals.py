"""emit() keeps Python's reference counts right whatever the PySide6 build does."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

from uploader_gui.gui.signals import emit


class _Source(QObject):
    changed = Signal(object)


def test_many_emits_leave_the_count_of_true_unchanged() -> None:
    source = _Source()
    received: list[int] = []
    source.changed.connect(received.append)
    before = sys.getrefcount(True)
    for i in range(20_000):  # more than True's whole count: the fault would abort Python
        emit(source.changed, i)
    assert len(received) == 20_000
    assert abs(sys.getrefcount(True) - before) < 50
