"""The queue model: Qt's model checks, batching of redraws, sorting values, totals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.gui.conftest import make_item
from uploader_gui.gui.queue_columns import (COL_ETA, COL_NAME, COL_PROGRESS, COL_SIZE,
                                            COL_SPEED, COL_STATUS, HEADERS, LIVE_COLUMNS,
                                            LIVE_ROLES, Role)
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.transfer.model import ProgressEvent, UploadState


def test_a_file_procore_renamed_says_its_name_in_procore(tmp_path: Path) -> None:
    model = QueueModel()
    renamed = make_item(1, tmp_path, state=UploadState.DONE, name="plan.pdf")
    renamed.procore_name = "plan (1).pdf"
    renamed.error = ("Procore already had a file named plan.pdf there, so this one was "
                     "saved as plan (1).pdf.")
    plain = make_item(2, tmp_path, state=UploadState.DONE, name="spec.pdf")
    model.add_items([renamed, plain])
    assert model.data(model.index(0, COL_NAME)) == "plan.pdf"  # the file on this computer
    assert model.data(model.index(0, COL_STATUS)) == "Done — saved as plan (1).pdf"
    assert "already had a file named plan.pdf" in model.data(
        model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, COL_STATUS)) == "Done"
    model.stop()


def test_model_passes_qt_model_checks(qtmodeltester: ModelTester, tmp_path: Path) -> None:
    model = QueueModel()
    model.add_items([make_item(i, tmp_path) for i in range(1, 30)])
    model.apply_event(ProgressEvent(3, UploadState.UPLOADING, 500, 1000, speed=100.0, eta=5.0))
    model.flush()
    qtmodeltester.check(model, force_py=True)
    model.remove_ids([2, 3, 4, 10])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 25
    assert model.rowCount(model.index(0, 0)) == 0
    model.stop()


def test_rows_show_name_size_status_and_failure_reason(tmp_path: Path) -> None:
    model = QueueModel()
    failed = make_item(1, tmp_path, size=2_500_000, state=UploadState.FAILED, name="plan.pdf")
    failed.error = "Name is invalid"
    model.add_items([failed])
    assert model.headerData(COL_NAME, Qt.Orientation.Horizontal) == HEADERS[COL_NAME]
    assert model.data(model.index(0, COL_NAME)) == "plan.pdf"
    assert model.data(model.index(0, COL_SIZE)) == "2.5 MB"
    assert model.data(model.index(0, COL_SIZE), Role.SORT) == 2_500_000
    assert model.data(model.index(0, COL_STATUS)) == \
        "Failed — Procore did not accept this file as it was sent."
    tip = model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    assert "Check the file's name" in tip and tip.endswith("Details: Name is invalid")
    assert model.data(model.index(0, 0), Role.ITEM) is failed
    model.stop()


def test_progress_is_batched_into_one_data_changed_per_tick(qtbot: QtBot,
                                                            tmp_path: Path) -> None:
    model = QueueModel(tick_ms=50)
    model.add_items([make_item(i, tmp_path) for i in range(1, 101)])
    seen: list[tuple[int, int, int, int, list[int]]] = []
    model.dataChanged.connect(lambda a, b, roles: seen.append(
        (a.row(), b.row(), a.column(), b.column(), list(roles))))
    for step in range(1, 6):
        for upload_id in (5, 17, 60):
            model.apply_event(ProgressEvent(upload_id, UploadState.UPLOADING, step * 100, 1000,
                                            speed=1000.0, eta=1.0))
    assert seen == []  # nothing is sent until the tick
    qtbot.waitUntil(lambda: len(seen) == 1, timeout=2000)
    first, last, col0, col1, roles = seen[0]
    assert (first, last) == (4, 59)  # rows of ids 5 and 60, one span for all three
    assert (col0, col1) == (LIVE_COLUMNS[0], LIVE_COLUMNS[-1])
    assert roles == [int(r) for r in LIVE_ROLES]
    assert model.data(model.index(16, COL_PROGRESS), Role.PROGRESS) == 0.5
    assert model.data(model.index(16, COL_SPEED)) == "1.0 KB/s"
    # No changes: the timer stops instead of ticking for nothing.
    qtbot.waitUntil(lambda: not model._timer.isActive(), timeout=2000)
    assert len(seen) == 1
    # Once every byte is sent (finishing in Procore), no speed or time left is shown.
    model.apply_event(ProgressEvent(17, UploadState.FINISHING, 1000, 1000, speed=1000.0,
                                    eta=0.0))
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=2000)
    assert model.data(model.index(16, COL_SPEED)) == ""
    assert model.data(model.index(16, COL_ETA)) == ""
    assert model.totals().speed == 2000.0  # the two rows still sending
    model.stop()


def test_same_id_is_not_shown_twice(tmp_path: Path) -> None:
    model = QueueModel()
    assert len(model.add_items([make_item(1, tmp_path), make_item(2, tmp_path)])) == 2
    assert model.add_items([make_item(2, tmp_path), make_item(3, tmp_path)])[0].id == 3
    assert [it.id for it in model.items()] == [1, 2, 3]
    model.stop()


def test_sorting_through_proxy_uses_sort_role(tmp_path: Path) -> None:
    model = QueueModel()
    sizes = [5_000, 20, 1_000_000, 300]
    model.add_items([make_item(i + 1, tmp_path, size=s) for i, s in enumerate(sizes)])
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setSortRole(Role.SORT)
    proxy.sort(COL_SIZE, Qt.SortOrder.AscendingOrder)
    shown = [proxy.data(proxy.index(r, COL_SIZE), Role.SORT) for r in range(proxy.rowCount())]
    assert shown == sorted(sizes)  # by bytes, not by the text "1.0 MB" < "20 bytes"
    model.stop()


def test_totals_count_states_and_bytes(tmp_path: Path) -> None:
    model = QueueModel()
    items = [make_item(1, tmp_path, state=UploadState.DONE),
             make_item(2, tmp_path, state=UploadState.FAILED),
             make_item(3, tmp_path, state=UploadState.QUEUED),
             make_item(4, tmp_path, state=UploadState.UPLOADING),
             make_item(5, tmp_path, state=UploadState.CANCELLED)]
    items[3].bytes_done = 250
    model.add_items(items)
    totals = model.totals()
    assert (totals.queued, totals.uploading, totals.done, totals.failed) == (1, 1, 1, 1)
    assert totals.bytes_total == 4000  # the cancelled file does not count
    assert totals.bytes_done == 1250
    assert str(totals) == "1 queued · 1 uploading · 1 done · 1 failed"
    model.stop()


def test_ten_thousand_rows_insert_in_one_step(qtbot: QtBot, tmp_path: Path) -> None:
    model = QueueModel()
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserts.append((a, b)))
    model.add_items([make_item(i, tmp_path) for i in range(1, 10_001)])
    assert inserts == [(0, 9999)]
    assert model.rowCount(QModelIndex()) == 10_000
    model.stop()
