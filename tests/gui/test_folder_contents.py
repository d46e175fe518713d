"""Choosing a folder or album lists what is already in it (name, size, last change, by whom),
read-only, from Procore's own answers; a big folder stays one model and the window keeps
answering."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from tests.gui.test_drop_on_tree import node, open_documents, release, wait_done
from tests.sandbox.raw_client import Api
from uploader_gui.gui.destination_bar import COMPANY_DOCUMENTS, DestinationBar
from uploader_gui.gui.folder_contents import (COL_BY, COL_CHANGED, COL_NAME, COL_SIZE,
                                              FolderContents, FolderContentsModel, ListedFile, Role,
                                              files_of_folder, photos_of_album, when_text)
from uploader_gui.sandbox import Fault, documents

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def shown_rows(bar: DestinationBar) -> list[tuple[str, ...]]:
    proxy = bar.contents.proxy
    return [tuple(str(proxy.index(r, c).data() or "") for c in range(proxy.columnCount()))
            for r in range(proxy.rowCount())]


def folder_gets(sandbox: Any, folder_id: int) -> int:
    return sum(1 for r in sandbox.request_log
               if r.method == "GET" and r.path.endswith(f"/folders/{folder_id}"))


# -- reading Procore's answers ----------------------------------------------------------------

def test_rows_from_a_folder_answer_take_the_latest_version_for_who() -> None:
    listing = {"files": [
        {"id": 1, "name": "A-101.pdf", "size": 2_500_000, "updated_at": "2026-03-02T09:30:00Z",
         "file_versions": [
             {"number": 2, "created_at": "2026-03-02T09:30:00Z",
              "created_by": {"id": 8, "name": "Sam Okafor", "login": "sam@example.com"}},
             {"number": 1, "created_at": "2026-03-01T08:00:00Z",
              "created_by": {"id": 7, "name": "Dana Rivera", "login": "dana@example.com"}}]},
        {"id": 2, "name": "Old.pdf", "is_deleted": True},
        {"id": 3, "name": "Bare.txt"}]}
    first, bare = files_of_folder(listing)
    assert first.name == "A-101.pdf" and first.size == 2_500_000 and first.by == "Sam Okafor"
    assert first.changed is not None and abs(first.changed - 1772443800.0) < 1
    assert bare == ListedFile("Bare.txt")


def test_rows_from_a_photo_list() -> None:
    [photo] = photos_of_album([{"id": 4, "filename": "Pour.jpg", "size": 900,
                                "created_at": "2026-03-02T09:30:00Z",
                                "uploader": {"id": 7, "login": "dana@example.com"}}])
    assert (photo.name, photo.size, photo.by) == ("Pour.jpg", 900, "dana@example.com")


def test_model_is_read_only_and_sorts_by_value(qtmodeltester: Any) -> None:
    model = FolderContentsModel()
    model.set_rows([ListedFile("b.pdf", 2000, 1_700_000_000.0, "Dana Rivera"),
                    ListedFile("A.pdf", 100, None, "")])
    qtmodeltester.check(model)
    index = model.index(0, COL_SIZE)
    assert index.data() == "2.0 KB"
    assert model.index(0, COL_CHANGED).data() == when_text(1_700_000_000.0)
    assert model.index(0, COL_BY).data() == "Dana Rivera"
    assert not model.flags(index) & model.flags(index).ItemIsEditable
    assert model.index(1, COL_NAME).data(Role.SORT) == "a.pdf"
    assert model.index(1, COL_SIZE).data(Role.SORT) == 100


def test_a_header_click_sorts_the_list_and_keeps_the_selected_file(qtbot: QtBot) -> None:
    contents = FolderContents()
    qtbot.addWidget(contents)
    contents.resize(600, 300)  # wide: every column shows
    contents.show()
    contents.show_rows("Drawings", [
        ListedFile("b.pdf", 2000, 1_700_000_000.0, "Sam Okafor"),
        ListedFile("C.pdf", None, None, ""),
        ListedFile("a.pdf", 100, 1_600_000_000.0, "Dana Rivera")])
    proxy, table = contents.proxy, contents.table

    def names() -> list[str]:
        return [proxy.index(r, COL_NAME).data() for r in range(proxy.rowCount())]

    assert names() == ["a.pdf", "b.pdf", "C.pdf"]  # by name, without case, at first
    table.selectRow(1)
    header = table.horizontalHeader()
    at = QPoint(header.sectionViewportPosition(COL_SIZE) + 5, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert header.sortIndicatorSection() == COL_SIZE
    expected = (["C.pdf", "a.pdf", "b.pdf"]
                if header.sortIndicatorOrder() is Qt.SortOrder.AscendingOrder
                else ["b.pdf", "a.pdf", "C.pdf"])
    assert names() == expected  # an unknown size sorts below every known one
    [chosen] = table.selectionModel().selectedRows()
    assert chosen.data() == "b.pdf", "the sort lost the selected file"
    table.sortByColumn(COL_BY, Qt.SortOrder.DescendingOrder)
    assert names() == ["b.pdf", "a.pdf", "C.pdf"]


# -- the window ------------------------------------------------------------------------------

def test_choosing_a_folder_lists_its_files_from_the_listing_the_tree_fetched(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any) -> None:
    api = Api(sandbox, demo, sandbox.issue_token(demo.other_user_id))
    try:
        for name, data in (("A-101 Site plan.pdf", b"%PDF " * 700),
                           ("A-201 Elevations.pdf", b"%PDF " * 300)):
            answer = api.create_file(api.finished_upload(data), name,
                                     demo.folder_ids["Drawings"])
            assert answer.status_code == 201, answer.text
    finally:
        api.close()
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    drawings = node(bar, f"{project} / Documents / Drawings")
    with qtbot.waitSignal(bar.loaded, timeout=10_000,
                          check_params_cb=lambda label: label.endswith(" / Drawings")):
        bar.tree.expand(drawings.index())
    assert folder_gets(sandbox, demo.folder_ids["Drawings"]) == 1

    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000) as loaded:
        bar.select_node(drawings)
    assert loaded.args == [f"{project} / Documents / Drawings"]
    assert folder_gets(sandbox, demo.folder_ids["Drawings"]) == 1  # no second request
    rows = shown_rows(bar)
    assert [r[COL_NAME] for r in rows] == ["A-101 Site plan.pdf", "A-201 Elevations.pdf"]
    assert [r[COL_SIZE] for r in rows] == ["3.5 KB", "1.5 KB"]
    assert {r[COL_BY] for r in rows} == {"Sam Okafor"}
    assert all(r[COL_CHANGED] for r in rows)
    assert bar.contents.title_text == "Already in Drawings: 2 files"
    assert bar.contents.table.editTriggers() == bar.contents.table.EditTrigger.NoEditTriggers
    # At the tree's usual width only names and sizes show; the name's tooltip says the rest.
    table = bar.contents.table
    assert table.isColumnHidden(COL_BY) and table.isColumnHidden(COL_CHANGED)
    tip = bar.contents.proxy.index(0, COL_NAME).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("A-101 Site plan.pdf · 3.5 KB · last changed ")
    assert tip.endswith(" by Sam Okafor")
    window.uploads_page.setSizes([700, 580])
    qtbot.waitUntil(lambda: not table.isColumnHidden(COL_BY), timeout=5000)
    assert not table.isColumnHidden(COL_CHANGED)

    # A folder chosen before it was ever opened: one request for its files.
    specs = node(bar, f"{project} / Documents / Specifications")
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(specs)
    assert folder_gets(sandbox, demo.folder_ids["Specifications"]) == 1
    assert shown_rows(bar) == []
    assert bar.contents.title_text == "Specifications has no files yet."


def test_a_drop_on_the_chosen_folder_shows_up_in_its_list(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any, tmp_path: Path) -> None:
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    submittals = node(bar, f"{project} / Documents / Submittals")
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(submittals)
    assert shown_rows(bar) == []
    paper = tmp_path / "Submittal 07 Roofing.pdf"
    paper.write_bytes(b"%PDF roofing " * 100)
    with qtbot.waitSignal(bar.contents_loaded, timeout=30_000):
        release(bar, submittals, paper)
        wait_done(qtbot, window, 1)
    qtbot.waitUntil(lambda: [r[COL_NAME] for r in shown_rows(bar)] == [paper.name],
                    timeout=10_000)
    assert shown_rows(bar)[0][COL_BY] == "Dana Rivera"


def test_albums_and_company_documents_list_their_files(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any) -> None:
    api = Api(sandbox, demo, sandbox.issue_token(demo.user_id))
    try:
        for name, album in (("Level 3 pour.jpg", demo.album_id), ("Loose.jpg", None)):
            spec: dict[str, Any] = {"description": "from the site"}
            if album is not None:
                spec["image_category_id"] = album
            answer = api.post("/rest/v1.0/images", params={"project_id": api.project_id},
                              json={"upload_uuid": api.finished_upload(b"\xff\xd8 photo"),
                                    "image_name": name, "image": spec})
            assert answer.status_code == 201, answer.text
        company_answer = api.post(
            f"/rest/v1.0/companies/{demo.company_id}/files",
            files={"file[upload_uuid]": (None, api.finished_upload(b"manual")),
                   "file[name]": (None, "Safety handbook.pdf")})
    finally:
        api.close()
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    photos = bar.tree_model.item(1)
    with qtbot.waitSignal(bar.loaded, timeout=10_000,
                          check_params_cb=lambda label: label.endswith(" / Photos")):
        bar.tree.expand(photos.index())
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(node(bar, f"{project} / Photos / Site Progress"))
    assert [(r[COL_NAME], r[COL_BY]) for r in shown_rows(bar)] == [
        ("Level 3 pour.jpg", "Dana Rivera")]
    assert bar.contents.title_text == "Already in Site Progress: 1 photo"
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(photos)  # photos in no album
    assert [r[COL_NAME] for r in shown_rows(bar)] == ["Loose.jpg"]

    if company_answer.status_code != 201:
        pytest.fail(f"company file not created: {company_answer.text}")
    bar.project_combo.setCurrentIndex(bar.project_combo.findData(COMPANY_DOCUMENTS))
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 1, timeout=5000)
    assert bar.contents.title_text.startswith("Choose a folder")
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(bar.tree_model.item(0))
    assert [r[COL_NAME] for r in shown_rows(bar)] == ["Safety handbook.pdf"]


def test_a_folder_of_thousands_of_files_is_read_off_the_gui_thread_into_one_reset(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """How fast is measured by benchmarks/big_lists.py (docs/performance.md); here, what makes
    it so: Procore's answer is fetched and read into rows on a background job, and the GUI
    thread resets one model, once, with every file."""
    blob = tmp_path / "blob.pdf"
    blob.write_bytes(b"%PDF")
    count = 3000
    with sandbox.state.lock:
        folder = sandbox.state.folders[demo.folder_ids["Submittals"]]
        for i in range(count):
            documents.add_file(sandbox.state, folder, f"Submittal {i:05d}.pdf", f"u{i}", 4,
                               blob, created_by=demo.user_id)
    parts = make_window()
    bar = parts.window.destination_bar
    project = open_documents(qtbot, bar, demo)
    submittals = node(bar, f"{project} / Documents / Submittals")

    fetched_on: list[threading.Thread] = []
    fetch_folder = parts.client.folder

    def folder_fetched(*args: Any, **kwargs: Any) -> Any:
        fetched_on.append(threading.current_thread())
        return fetch_folder(*args, **kwargs)

    monkeypatch.setattr(parts.client, "folder", folder_fetched)
    model = bar.contents.model
    changes: list[str] = []
    model.modelReset.connect(lambda: changes.append(f"reset to {model.rowCount()}"))
    model.rowsInserted.connect(lambda *_: changes.append("rows inserted"))
    model.layoutChanged.connect(lambda *_: changes.append("layout changed"))
    with qtbot.waitSignal(bar.contents_loaded, timeout=30_000):
        bar.select_node(submittals)
    assert fetched_on and threading.main_thread() not in fetched_on, "fetched on the GUI thread"
    assert changes == [f"reset to {count}"], changes
    assert bar.contents.proxy.rowCount() == count
    names = [bar.contents.proxy.index(r, COL_NAME).data() for r in range(count)]
    assert names == [f"Submittal {i:05d}.pdf" for i in range(count)]
    assert bar.contents.title_text == f"Already in Submittals: {count} files"


def test_contents_survive_a_failed_listing(qtbot: QtBot, make_window: Any, sandbox: Any,
                                           demo: Any) -> None:
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    drawings = node(bar, f"{project} / Documents / Drawings")
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.select_node(drawings)
    sandbox.faults.add(Fault("status", "folders", status=403, times=None))
    bar.refresh_contents()
    qtbot.waitUntil(lambda: bar.contents.title_text.startswith("Could not see what is in "
                                                               "Drawings"), timeout=10_000)
    assert shown_rows(bar) == []
    assert bar.contents.refresh_button.isEnabled()
    sandbox.faults.clear()
    with qtbot.waitSignal(bar.contents_loaded, timeout=10_000):
        bar.contents.refresh_button.click()
    assert bar.contents.title_text == "Drawings has no files yet."


def test_the_remembered_destination_is_listed_before_any_folder_is_chosen(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any, tmp_path: Path) -> None:
    from tests.gui.conftest import documents_destination

    blob = tmp_path / "spec.pdf"
    blob.write_bytes(b"spec")
    with sandbox.state.lock:
        folder = sandbox.state.folders[demo.folder_ids["Specifications"]]
        documents.add_file(sandbox.state, folder, "03 30 00 Concrete.pdf", "u-spec", 4,
                           blob, created_by=demo.user_id)
    bar = make_window(destination=documents_destination(demo, "Specifications")
                      ).window.destination_bar
    # The tree opens one level at a time: nothing in it is chosen yet, but the files go to
    # Specifications, so that is what the list shows.
    qtbot.waitUntil(lambda: [row[0] for row in shown_rows(bar)] == ["03 30 00 Concrete.pdf"],
                    timeout=10_000)
    assert not bar.tree.currentIndex().isValid()
    assert "Specifications" in bar.contents.title.text()
