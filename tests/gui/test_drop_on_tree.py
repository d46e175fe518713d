"""Files dropped on a folder or album of the destination tree go there, whatever is selected;
the folder under the drag is highlighted; the window's own drop still uses the selected one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (QCursor, QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent,
                           QDropEvent, QImage, QStandardItem)
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.test_window_sandbox import drop_on
from uploader_gui.gui.destination_bar import DestinationBar, NodeRole
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.transfer.model import DestinationKind, UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _mime(*paths: Path | str) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) if isinstance(p, Path) else QUrl(p)
                  for p in paths])
    return mime


def _at(bar: DestinationBar, node: QStandardItem | None) -> QPoint:
    if node is None:  # below the last node: empty space
        return QPoint(10, bar.tree.viewport().height() - 5)
    bar.tree.scrollTo(node.index())
    return bar.tree.visualRect(node.index()).center()


def hover(bar: DestinationBar, node: QStandardItem | None, *paths: Path | str) -> QDragMoveEvent:
    """A drag entering the tree and moving over ``node``, as Qt delivers it to the view."""
    mime = _mime(*paths)
    viewport = bar.tree.viewport()
    enter = QDragEnterEvent(QPoint(2, 2), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(_at(bar, node), Qt.DropAction.CopyAction, mime,
                          Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, move)
    move.mime = mime  # type: ignore[attr-defined]  # kept alive for the drop
    return move


def release(bar: DestinationBar, node: QStandardItem | None, *paths: Path | str) -> QDropEvent:
    """Hover then drop on ``node``."""
    move = hover(bar, node, *paths)
    drop = QDropEvent(QPointF(_at(bar, node)), Qt.DropAction.CopyAction, move.mime,  # type: ignore[attr-defined]
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(bar.tree.viewport(), drop)
    return drop


def open_documents(qtbot: QtBot, bar: DestinationBar, demo: Any) -> str:
    """The first project chosen and its Documents opened; returns the project's name."""
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    bar.project_combo.setCurrentIndex(bar.project_combo.findData(demo.project_ids[0]))
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() == 2, timeout=10_000)
    with qtbot.waitSignal(bar.loaded, timeout=10_000,
                          check_params_cb=lambda label: label.endswith(" / Documents")):
        bar.tree.expand(bar.tree_model.item(0).index())
    return bar.project_combo.currentText()


def node(bar: DestinationBar, label: str) -> QStandardItem:
    found = bar.node_for_label(label)
    assert found is not None, label
    return found


def docs_in(sandbox: Any, demo: Any, folder: str) -> set[str]:
    return {d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])
            if d["parent_id"] == demo.folder_ids[folder]}


def wait_done(qtbot: QtBot, window: MainWindow, count: int) -> None:
    qtbot.waitUntil(lambda: window.model.rowCount() == count and all(
        it.state is UploadState.DONE for it in window.model.items()), timeout=30_000)


def test_drop_on_another_folder_sends_files_there_not_to_the_selected_one(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any, tmp_path: Path) -> None:
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    drawings = node(bar, f"{project} / Documents / Drawings")
    specs = node(bar, f"{project} / Documents / Specifications")
    bar.select_node(drawings)
    assert bar.destination is not None and bar.destination.folder_id == \
        demo.folder_ids["Drawings"]
    assert not specs.data(NodeRole.LOADED)  # never opened: the node's id is enough
    spec = tmp_path / "03 30 00 Concrete.pdf"
    spec.write_bytes(b"%PDF-1.7 concrete " * 500)

    move = hover(bar, specs, spec)
    assert move.isAccepted()
    assert bar.tree.drop_target == specs.index()  # highlighted: the delegate paints it
    assert bar.tree.drop_delegate.dragging
    assert bar.drop_hint.isVisibleTo(bar)
    assert bar.drop_hint.text() == (f"Release to add 1 item to {project} / Documents / "
                                    "Specifications.")
    assert not window.drop_zone.highlighted  # the window's zone is not the target
    QApplication.sendEvent(bar.tree.viewport(), QDragLeaveEvent())
    assert not bar.tree.drop_target.isValid()
    assert not bar.drop_hint.isVisibleTo(bar)

    with qtbot.waitSignal(bar.dropped, timeout=5000) as dropped:
        drop = release(bar, specs, spec)
    assert drop.isAccepted()
    assert dropped.args[1].folder_id == demo.folder_ids["Specifications"]
    wait_done(qtbot, window, 1)
    assert docs_in(sandbox, demo, "Specifications") == {spec.name}
    assert docs_in(sandbox, demo, "Drawings") == set()  # no second add for the selected one
    [item] = window.model.items()
    assert item.destination.folder_id == demo.folder_ids["Specifications"]
    # The selection is untouched, and the window's own drop still uses it.
    assert bar.destination.folder_id == demo.folder_ids["Drawings"]
    assert bar.tree.currentIndex() == drawings.index()
    plan = tmp_path / "A-101 Site plan.pdf"
    plan.write_bytes(b"%PDF-1.7 plan " * 500)
    drop_on(window, QUrl.fromLocalFile(str(plan)))
    wait_done(qtbot, window, 2)
    assert docs_in(sandbox, demo, "Drawings") == {plan.name}
    assert docs_in(sandbox, demo, "Specifications") == {spec.name}


def test_nodes_that_take_no_files_refuse_the_drop(qtbot: QtBot, make_window: Any,
                                                  sandbox: Any, demo: Any,
                                                  tmp_path: Path) -> None:
    sandbox.set_folder(demo.folder_ids["Submittals"], read_only=True)
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    submittals = node(bar, f"{project} / Documents / Submittals")
    drawings = node(bar, f"{project} / Documents / Drawings")
    paper = tmp_path / "Submittal 12.pdf"
    paper.write_bytes(b"%PDF-1.7 submittal")

    move = hover(bar, submittals, paper)
    assert not move.isAccepted()
    assert not bar.tree.drop_target.isValid()
    assert bar.drop_hint.text() == "Submittals is read-only; files cannot be added here."
    drop = release(bar, submittals, paper)
    assert not drop.isAccepted()

    # Still unopened children: the "Loading…" line takes nothing.
    loading = drawings.child(0)
    assert loading.text() == "Loading…"
    bar.tree.setExpanded(drawings.index(), False)
    move = hover(bar, None, paper)  # empty space below the nodes
    assert not move.isAccepted()
    assert "over a folder or photo album" in bar.drop_hint.text()

    move = hover(bar, drawings, "https://example.com/plan.pdf")
    assert not move.isAccepted()
    assert "web link" in bar.drop_hint.text()
    QApplication.sendEvent(bar.tree.viewport(), QDragLeaveEvent())
    qtbot.wait(200)
    assert window.model.rowCount() == 0
    assert sandbox.documents(project_id=demo.project_ids[0]) == []


def test_drop_on_an_album_sends_photos_there_and_leaves_other_files_out(
        qtbot: QtBot, make_window: Any, sandbox: Any, demo: Any, tmp_path: Path) -> None:
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    bar.select_node(node(bar, f"{project} / Documents / Drawings"))
    photos = bar.tree_model.item(1)
    with qtbot.waitSignal(bar.loaded, timeout=10_000,
                          check_params_cb=lambda label: label.endswith(" / Photos")):
        bar.tree.expand(photos.index())
    album = node(bar, f"{project} / Photos / Site Progress")
    photo = tmp_path / "Level 3 pour.jpg"
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkGreen)
    assert image.save(str(photo))
    sheet = tmp_path / "Pour log.xlsx"
    sheet.write_bytes(b"PK not a photo")

    move = hover(bar, album, photo, sheet)
    assert move.isAccepted()
    assert "photos only" in bar.drop_hint.text()
    with qtbot.waitSignal(bar.dropped, timeout=5000) as dropped:
        release(bar, album, photo, sheet)
    assert dropped.args[1].kind is DestinationKind.PHOTO_ALBUM
    assert dropped.args[1].album_id == demo.album_id
    wait_done(qtbot, window, 1)
    [stored] = sandbox.images(demo.project_ids[0])
    assert (stored["name"], stored["album_id"]) == (photo.name, demo.album_id)
    assert sandbox.image_bytes(stored["id"]) == photo.read_bytes()
    qtbot.waitUntil(lambda: "Only photos can go into a photo album" in
                    window.notice_label.text(), timeout=5000)
    assert sandbox.documents(project_id=demo.project_ids[0]) == []


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                          "This plugin does not support raise")  # offscreen: the cursor
def test_hovering_over_a_closed_folder_opens_it(qtbot: QtBot, make_window: Any,
                                                demo: Any, tmp_path: Path) -> None:
    window = make_window().window
    bar = window.destination_bar
    project = open_documents(qtbot, bar, demo)
    drawings = node(bar, f"{project} / Documents / Drawings")
    assert not bar.tree.isExpanded(drawings.index())
    paper = tmp_path / "A-201.pdf"
    paper.write_bytes(b"%PDF")
    # QTreeView opens the folder under the pointer once its timer runs out; the pointer is
    # read from the cursor, so put it there.
    QCursor.setPos(bar.tree.viewport().mapToGlobal(_at(bar, drawings)))
    hover(bar, drawings, paper)
    if bar.tree.viewport().mapFromGlobal(QCursor.pos()) != _at(bar, drawings):
        QApplication.sendEvent(bar.tree.viewport(), QDragLeaveEvent())
        pytest.skip("this platform cannot place the pointer")
    with qtbot.waitSignal(bar.loaded, timeout=10_000):
        pass
    assert bar.tree.isExpanded(drawings.index())
    assert node(bar, f"{project} / Documents / Drawings / Architectural") is not None
    QApplication.sendEvent(bar.tree.viewport(), QDragLeaveEvent())
