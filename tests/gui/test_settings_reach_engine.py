"""A segment size changed in the Settings dialog is used by the next upload, without a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.config import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

MiB = 1024 * 1024


def _storage_puts(sandbox: Any) -> list[int]:
    return [r.bytes_received for r in sandbox.request_log
            if r.server == "storage" and r.method == "PUT" and 200 <= r.status < 300]


def test_a_segment_size_saved_in_the_settings_dialog_is_used_by_the_next_upload(
        qtbot: QtBot, sandbox: Any, demo: Any, make_window: Any, tmp_path: Path) -> None:
    settings = Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_files=1,
                        parallel_segments=2)
    parts: WindowParts = make_window(settings=settings,
                                     destination=documents_destination(demo))
    window = parts.window
    journal = parts.engine.journal
    first = tmp_path / "before.dwg"
    first.write_bytes(b"a" * (13 * MiB))
    with qtbot.waitSignal(window.queue.batch_finished, timeout=60_000):
        window.add_paths([first])
    [before] = [i for i in journal.items() if i.name == first.name]
    assert journal.transfer(before.id).segment_size == 5 * MiB

    # The person opens Settings, types 7 on the Advanced page and presses Save.
    answered: list[str] = []

    def answer() -> None:
        dialog = window.settings_dialog
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(20, answer)
            return
        try:
            dialog.tabs.setCurrentWidget(dialog.advanced_page)
            dialog.segment.selectAll()
            qtbot.keyClicks(dialog.segment, "7")
            save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
            qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
            answered.append(dialog.segment.text())
        finally:
            if dialog.isVisible():  # never leave the test waiting on a modal dialog
                dialog.reject()

    QTimer.singleShot(0, answer)
    window.open_settings()
    qtbot.waitUntil(lambda: bool(answered) and window.settings_dialog is None, timeout=10_000)
    assert answered == ["7 MB"]
    assert window.settings.segment_size_mib == 7

    sandbox.clear_request_log()
    second = tmp_path / "after.dwg"
    second.write_bytes(b"b" * (13 * MiB))
    with qtbot.waitSignal(window.queue.batch_finished, timeout=60_000):
        window.add_paths([second])
    [after] = [i for i in journal.items() if i.name == second.name]
    record = journal.transfer(after.id)
    assert record.segment_size == 7 * MiB
    assert [s.size for s in record.segments] == [7 * MiB, 6 * MiB]
    # What Procore's storage received: two pieces of 7 and 6 MB, not three of 5.
    assert sorted(_storage_puts(sandbox)) == [6 * MiB, 7 * MiB]
