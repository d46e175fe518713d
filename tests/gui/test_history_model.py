"""The history table model and its filter follow Qt's model rules and sort by real values."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from uploader_gui.domain import (ConflictPolicy, Destination, DestinationKind, UploadItem,
                                 UploadState)
from uploader_gui.gui.history_model import (COL_FINISHED, COL_SIZE, HistoryFilter, HistoryModel,
                                            Role)
from uploader_gui.journal.store import Journal

API = "https://api.procore.com"


def _entries(tmp_path: Path) -> list[Any]:
    journal = Journal.open(tmp_path / "j.sqlite3")
    tower = Destination(DestinationKind.PROJECT_FOLDER, 1, 2, 3, label="Tower / Documents")
    school = Destination(DestinationKind.PROJECT_FOLDER, 1, 4, 5, label="School / Documents")
    items = journal.add_items(
        UploadItem(id=0, path=tmp_path / name, size=size, mtime_ns=0, destination=dest,
                   subfolders=(), name=name, conflict=ConflictPolicy.KEEP_BOTH, api_base=API)
        for name, size, dest in (("b.pdf", 2048, tower), ("a.pdf", 10, school),
                                 ("c.pdf", 900, tower)))
    for item, state in zip(items, (UploadState.DONE, UploadState.FAILED, UploadState.SKIPPED),
                           strict=True):
        journal.update(item.id, state=state, error="Forbidden" if state.retryable else None)
        time.sleep(0.01)  # distinct finish times
    entries = journal.history(API)
    journal.close()
    return entries


def test_the_model_passes_qts_model_checks(qtmodeltester: Any, tmp_path: Path) -> None:
    model = HistoryModel()
    model.set_entries(_entries(tmp_path))
    qtmodeltester.check(model)
    proxy = HistoryFilter()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy)


def test_sorting_by_size_and_time_uses_numbers(tmp_path: Path) -> None:
    model = HistoryModel()
    model.set_entries(_entries(tmp_path))
    proxy = HistoryFilter()
    proxy.setSourceModel(model)
    proxy.sort(COL_SIZE, Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, COL_SIZE).data() for r in range(3)] == ["10 bytes", "900 bytes",
                                                                   "2.0 KB"]
    proxy.sort(COL_FINISHED, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, 0).data() for r in range(3)] == ["c.pdf", "a.pdf", "b.pdf"]


def test_the_filter_combines_words_project_and_result(tmp_path: Path) -> None:
    model = HistoryModel()
    model.set_entries(_entries(tmp_path))
    proxy = HistoryFilter()
    proxy.setSourceModel(model)
    proxy.set_filter(text="", project=(2, "Tower"), days=None, result=None)
    assert sorted(proxy.index(r, 0).data() for r in range(proxy.rowCount())) == ["b.pdf",
                                                                                  "c.pdf"]
    proxy.set_filter(text="C", project=(2, "Tower"), days=7, result=UploadState.SKIPPED)
    assert [proxy.index(r, 0).data(Role.ENTRY).name for r in range(proxy.rowCount())] == [
        "c.pdf"]
    proxy.set_filter(text="", project=None, days=None, result=UploadState.FAILED)
    [failed] = [proxy.index(r, 3) for r in range(proxy.rowCount())]
    assert failed.data() == "Failed"
    tip = failed.data(Qt.ItemDataRole.ToolTipRole)
    assert "Forbidden" not in tip and tip  # the app's own words
