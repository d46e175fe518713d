"""Drag and drop on the drop zone with real QDragEnterEvent / QDropEvent objects."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from uploader_gui.gui.drop_zone import DropZone, read_mime


def _mime(*urls: QUrl, text: str | None = None) -> QMimeData:
    mime = QMimeData()
    if urls:
        mime.setUrls(list(urls))
    if text is not None:
        mime.setText(text)
    return mime


def _enter(widget: DropZone, mime: QMimeData) -> QDragEnterEvent:
    event = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


def _drop(widget: DropZone, mime: QMimeData) -> QDropEvent:
    _enter(widget, mime)  # as in a real drag: Qt delivers a drop only after an enter
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event


class _Zone(DropZone):
    """The window forwards its drag events to these methods; here the zone receives them."""

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.drag_enter(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802
        self.drag_leave()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.drop(event)


def test_files_and_folders_are_accepted_and_highlight(qtbot: QtBot, tmp_path: Path) -> None:
    zone = _Zone()
    qtbot.addWidget(zone)
    zone.set_ready(True, "Tower / Documents")
    (tmp_path / "a.pdf").write_bytes(b"pdf")
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "b.jpg").write_bytes(b"jpg")
    mime = _mime(QUrl.fromLocalFile(str(tmp_path / "a.pdf")), QUrl.fromLocalFile(str(folder)))

    entered = _enter(zone, mime)
    assert entered.isAccepted()
    assert zone.highlighted
    assert zone.title == "Release to add 2 items"

    with qtbot.waitSignal(zone.paths_chosen) as blocker:
        dropped = _drop(zone, mime)
    assert dropped.isAccepted()
    assert blocker.args == [[tmp_path / "a.pdf", folder]]
    assert not zone.highlighted
    assert zone.title == "Drop files or folders here"
    assert zone.detail == "They go to Tower / Documents."


def test_web_links_are_refused_with_a_message(qtbot: QtBot) -> None:
    zone = _Zone()
    qtbot.addWidget(zone)
    zone.set_ready(True, "Tower / Documents")
    mime = _mime(QUrl("https://example.com/plan.pdf"))
    assert _enter(zone, mime).isAccepted()  # accepted so the drop can explain
    assert zone.title == "This cannot be uploaded"
    with qtbot.assertNotEmitted(zone.paths_chosen):
        with qtbot.waitSignal(zone.refused) as blocker:
            _drop(zone, mime)
    assert "web link" in blocker.args[0][0]
    assert "https://example.com/plan.pdf" in zone.detail


def test_mixed_drop_keeps_local_files_and_explains_the_rest(qtbot: QtBot,
                                                            tmp_path: Path) -> None:
    zone = _Zone()
    qtbot.addWidget(zone)
    zone.set_ready(True)
    local = tmp_path / "notes.txt"
    local.write_text("x")
    mime = _mime(QUrl.fromLocalFile(str(local)), QUrl("smb://server/share/file.dwg"))
    with qtbot.waitSignal(zone.paths_chosen) as chosen:
        _drop(zone, mime)
    assert chosen.args == [[local]]
    assert "not on this computer" in zone.detail


def test_plain_text_is_refused_and_an_empty_drag_is_ignored(qtbot: QtBot) -> None:
    zone = _Zone()
    qtbot.addWidget(zone)
    contents = read_mime(_mime(text="some words"))
    assert contents.paths == [] and "not text" in contents.refused[0]
    empty = QMimeData()
    empty.setData("application/x-other", b"\x00")
    assert not _enter(zone, empty).isAccepted()
    assert not zone.highlighted


def test_special_files_pass_through_to_the_scan(tmp_path: Path) -> None:
    # A named pipe is a local path: the zone passes it on and the engine's scan refuses it
    # with its reason (tested with the window against the sandbox).
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    contents = read_mime(_mime(QUrl.fromLocalFile(str(pipe))))
    assert contents.paths == [pipe]


def test_not_ready_zone_says_to_choose_a_destination(qtbot: QtBot) -> None:
    zone = _Zone()
    qtbot.addWidget(zone)
    assert zone.title == "Choose where the files go"
    assert not zone.add_files_button.isEnabled()
    zone.set_ready(True, "Tower / Photos")
    assert zone.add_files_button.isEnabled()
    assert zone.add_files_button.accessibleName() == "Add files"
