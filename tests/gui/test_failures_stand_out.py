"""A failed upload stands out: an error icon, no full progress bar, the app's own sentence (the
server's words only as details), an overall bar short of 100%, and a summary line that stays
until closed, with Retry all, Show only these and Copy details. A failed row can be removed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.gui.queue_columns import COL_PROGRESS, COL_STATUS, Role
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_failed_rows_stand_out_and_the_summary_line_stays(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"))
    window = parts.window
    model = window.model
    # Procore refuses to file two of the three: their bytes are all in storage by then.
    sandbox.faults.add(Fault("status", "associate", status=403, times=2))
    files = []
    for name in ("A-101 Rev C.pdf", "A-102 Rev C.pdf", "A-103 Rev C.pdf"):
        (tmp_path / name).write_bytes(os.urandom(4000))
        files.append(tmp_path / name)
    window.add_paths(files)
    qtbot.waitUntil(lambda: model.rowCount() == 3 and all(
        it.state.finished for it in model.items()), timeout=30_000)
    failed = [row for row in range(3) if model.item_at(row).state is UploadState.FAILED]
    assert len(failed) == 2

    for row in failed:
        status = model.data(model.index(row, COL_STATUS))
        assert status.startswith("Failed — You don't have permission to add files to Drawings")
        assert "Forbidden" not in status and "403" not in status
        assert model.data(model.index(row, COL_STATUS), Qt.ItemDataRole.DecorationRole)
        assert model.data(model.index(row, COL_PROGRESS), Role.PROGRESS) is None, "no full bar"
        assert model.data(model.index(row, COL_PROGRESS)) == "Not uploaded"
        tip = model.data(model.index(row, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
        assert "Ask your Procore administrator" in tip and "Details:" in tip
    assert window.overall_bar.value() < 400, "two of three files did not go: not 100%"

    bar = window.attention_bar
    qtbot.waitUntil(bar.isVisible)
    assert "2 uploads need attention" in bar.label.text()

    bar.filter_button.click()
    assert window.proxy.rowCount() == 2
    bar.filter_button.click()
    assert window.proxy.rowCount() == 3

    bar.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert "A-10" in copied and "permission" in copied and "Signature" not in copied

    # One failed row is removed from the list (and the history)...
    first, second = (model.item_at(row) for row in failed)
    window.table.selectRow(window.proxy.mapFromSource(model.index(failed[0], 0)).row())
    assert window.queue_actions.remove.isEnabled()
    window.queue_actions.remove.trigger()
    qtbot.waitUntil(lambda: model.item(first.id) is None)
    window.queue.service.flush()  # the journal is written in order, off the GUI thread
    assert all(it.id != first.id for it in parts.engine.items())
    assert "1 upload needs attention" in bar.label.text()

    # ...the other is retried from the summary line once Procore lets it in; the line goes.
    bar.retry_button.click()
    qtbot.waitUntil(lambda: model.item(second.id).state is UploadState.DONE, timeout=20_000)
    qtbot.waitUntil(lambda: not bar.isVisible())


def test_the_summary_line_stays_until_closed_and_comes_back_for_a_new_failure(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    sandbox.faults.add(Fault("status", "associate", status=403, times=None))
    (tmp_path / "one.pdf").write_bytes(b"one")
    window.add_paths([tmp_path / "one.pdf"])
    qtbot.waitUntil(lambda: window.model.totals().failed == 1, timeout=20_000)
    bar = window.attention_bar
    qtbot.waitUntil(bar.isVisible)
    qtbot.wait(300)
    assert bar.isVisible()
    bar.close_button.click()
    assert not bar.isVisible()
    (tmp_path / "two.pdf").write_bytes(b"two")
    window.add_paths([tmp_path / "two.pdf"])
    qtbot.waitUntil(lambda: window.model.totals().failed == 2, timeout=20_000)
    qtbot.waitUntil(bar.isVisible)
    assert "2 uploads need attention" in bar.label.text()
