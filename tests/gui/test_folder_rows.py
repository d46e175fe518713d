"""A dropped folder is one row of the queue: its files below it, their states summed into one,
and Pause, Resume, Cancel and Retry on that row apply to every file in it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt, QUrl
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination, make_item
from tests.gui.test_window_sandbox import drop_on, names_in_sandbox
from uploader_gui.domain import ProgressEvent, UploadItem, UploadState
from uploader_gui.gui.queue_columns import (COL_NAME, COL_PROGRESS, COL_SIZE, COL_STATUS,
                                            Role)
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.queue import ItemChanged, ItemsAdded, ItemsRemoved

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

MiB = 1024 * 1024


def _in_folder(item: UploadItem, *folders: str) -> UploadItem:
    return dataclasses.replace(item, subfolders=folders)


def _job(tmp_path: Path, first_id: int, n: int) -> list[UploadItem]:
    """n files of the dropped folder "Job 4411", some in its subfolder "Arch"."""
    return [_in_folder(make_item(first_id + i, tmp_path, size=1_000_000),
                       *(("Job 4411", "Arch") if i % 2 else ("Job 4411",)))
            for i in range(n)]


def _set(model: QueueModel, item: UploadItem, state: UploadState, done: int = 0,
         speed: float = 0.0) -> None:
    model.apply(ItemChanged(dataclasses.replace(item, state=state, bytes_done=done),
                            ProgressEvent(item.id, state, done, item.size, speed=speed,
                                          eta=None) if speed else None))


def test_a_dropped_folder_is_one_row_summing_its_files(qtmodeltester: ModelTester,
                                                       tmp_path: Path) -> None:
    model = QueueModel()
    try:
        alone = [make_item(1, tmp_path), make_item(2, tmp_path)]
        job = _job(tmp_path, 100, 20)
        model.apply(ItemsAdded((alone[0], *job[:10], alone[1], *job[10:])))
        qtmodeltester.check(model, force_py=True)

        # Two files dropped on their own and one row for the folder, in the order added.
        assert model.rowCount() == 3
        folder = model.index(1, 0)
        assert model.rowCount(folder) == 20 and model.hasChildren(folder)
        # Files say they never hold rows (the view then does not ask each one as the folder
        # opens); the folder row does not say so.
        never = Qt.ItemFlag.ItemNeverHasChildren
        assert model.flags(model.index(0, 0)) & never
        assert model.flags(model.index(3, COL_STATUS, folder)) & never
        assert not model.flags(folder) & never
        assert model.data(model.index(0, COL_NAME)) == alone[0].name
        assert model.data(folder) == "Job 4411"
        assert model.data(model.index(1, COL_SIZE)) == "20.0 MB"
        assert model.data(model.index(1, COL_STATUS)) == "Queued · 0 of 20 files done"
        assert model.data(folder, Role.ITEM) is None
        assert [it.id for it in model.data(folder, Role.FILES)] == [it.id for it in job]
        # Its files are today's rows, under it.
        child = model.index(3, COL_NAME, folder)
        assert model.data(child) == job[3].name and model.parent(child) == folder
        assert model.index_of(job[3].id) == model.index(3, 0, folder)

        # 17 done, one uploading at 1 MB/s: the row counts, sums and says the time left.
        for item in job[:17]:
            _set(model, item, UploadState.DONE, item.size)
        _set(model, job[17], UploadState.UPLOADING, 500_000, speed=1_000_000)
        model.flush()
        assert model.data(model.index(1, COL_STATUS)) == \
            "Uploading — 17 of 20 files · 17.5 MB of 20.0 MB · about 2 s left"  # 2.5 MB, 1 MB/s
        assert model.data(folder, Qt.ItemDataRole.ToolTipRole).startswith(
            "Job 4411 — Uploading — 17 of 20 files")
        assert model.data(model.index(1, COL_PROGRESS), Role.PROGRESS) == pytest.approx(0.875)

        # The last three: two fail, one waits for the connection, then only failures are left.
        _set(model, job[17], UploadState.FAILED)
        _set(model, job[18], UploadState.FAILED)
        _set(model, job[19], UploadState.WAITING_NETWORK)
        model.flush()
        assert model.data(model.index(1, COL_STATUS)) == \
            "Waiting for the connection · 17 of 20 files done · 2 need attention"
        _set(model, job[19], UploadState.PAUSED)
        model.flush()
        assert model.data(model.index(1, COL_STATUS)) == \
            "Failed — 2 need attention · 17 of 20 files done"
        assert model.data(folder, Role.STATE) is UploadState.FAILED
        _set(model, job[17], UploadState.DONE, job[17].size)
        _set(model, job[18], UploadState.DONE, job[18].size)
        model.flush()
        assert model.data(model.index(1, COL_STATUS)) == "Paused · 19 of 20 files done"
        _set(model, job[19], UploadState.DONE, job[19].size)
        model.flush()
        assert model.data(model.index(1, COL_STATUS)) == "All done · 20 files"
        qtmodeltester.check(model, force_py=True)
    finally:
        model.stop()


def test_files_leave_their_folder_row_and_the_last_one_takes_it_away(
        qtmodeltester: ModelTester, tmp_path: Path) -> None:
    model = QueueModel()
    try:
        job = _job(tmp_path, 100, 6)
        model.apply(ItemsAdded((make_item(1, tmp_path), *job)))
        # A later drop of the same folder to the same place joins its row.
        more = _job(tmp_path, 200, 2)
        model.apply(ItemsAdded(tuple(more)))
        assert model.rowCount() == 2 and model.rowCount(model.index(1, 0)) == 8
        model.apply(ItemsRemoved((job[1].id, job[2].id, job[4].id)))
        qtmodeltester.check(model, force_py=True)
        assert model.data(model.index(1, COL_STATUS)) == "Queued · 0 of 5 files done"
        assert [model.data(model.index(r, 0, model.index(1, 0))) for r in range(5)] == \
            [job[0].name, job[3].name, job[5].name, more[0].name, more[1].name]
        model.apply(ItemsRemoved(tuple(it.id for it in [*job, *more])))
        assert model.rowCount() == 1 and model.index_of(job[0].id) == QModelIndex()
        assert len(model.items()) == 1
        qtmodeltester.check(model, force_py=True)
    finally:
        model.stop()


def test_pause_resume_cancel_retry_on_a_folder_row_apply_to_its_files(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    from uploader_gui.config import Settings

    # Slow storage: the files are still going when the folder row is paused.
    sandbox.faults.add(Fault("slow", "storage_put", rate=1 * MiB, times=None))
    parts: WindowParts = make_window(
        settings=Settings(parallel_files=2, segment_threshold_mib=5, segment_size_mib=5,
                          parallel_segments=1),
        destination=documents_destination(demo))
    window = parts.window
    folder = tmp_path / "Job 4411"
    (folder / "Arch").mkdir(parents=True)
    names = ["A-101.pdf", "A-102.pdf", "Arch/A-201.pdf", "Arch/A-202.pdf", "notes.txt"]
    for name in names:
        (folder / name).write_bytes(os.urandom(6 * MiB if name.endswith(".pdf") else 2000))
    drop_on(window, QUrl.fromLocalFile(str(folder)))
    qtbot.waitUntil(lambda: len(window.model.items()) == 5, timeout=10_000)
    assert window.model.rowCount() == 1, "one row for the dropped folder"
    row = window.proxy.index(0, 0)
    assert window.proxy.rowCount(row) == 5
    qtbot.waitUntil(lambda: any(it.state is UploadState.UPLOADING
                                for it in window.model.items()), timeout=10_000)

    def states() -> set[UploadState]:
        return {it.state for it in window.model.items()}

    window.table.selectRow(0)
    qtbot.waitUntil(window.queue_actions.pause.isEnabled, timeout=1000)
    window.queue_actions.pause.trigger()
    qtbot.waitUntil(lambda: states() <= {UploadState.PAUSED, UploadState.DONE},
                    timeout=10_000)
    assert UploadState.PAUSED in states()
    qtbot.waitUntil(lambda: "Paused" in window.proxy.data(window.proxy.index(0, COL_STATUS)),
                    timeout=2000)

    window.table.selectRow(0)
    qtbot.waitUntil(window.queue_actions.cancel.isEnabled, timeout=1000)
    window.queue_actions.cancel.trigger()
    qtbot.waitUntil(lambda: states() <= {UploadState.CANCELLED, UploadState.DONE},
                    timeout=10_000)

    sandbox.faults.clear()
    window.table.selectRow(0)
    qtbot.waitUntil(window.queue_actions.retry.isEnabled, timeout=1000)
    window.queue_actions.retry.trigger()
    qtbot.waitUntil(lambda: states() == {UploadState.DONE}, timeout=60_000)
    qtbot.waitUntil(lambda: window.proxy.data(window.proxy.index(0, COL_STATUS)) ==
                    "All done · 5 files", timeout=2000)
    assert window.proxy.data(row) == "Job 4411"
    assert names_in_sandbox(sandbox, demo.project_ids[0]) >= {Path(n).name for n in names}
    # Each file once, though paused, cancelled and sent again.
    docs = [d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])
            if d["name"] in {Path(n).name for n in names}]
    assert sorted(docs) == sorted(Path(n).name for n in names)
