"""The folder tree as a drop target: files dragged over a folder or album highlight it, and a
drop sends them there, whatever is selected.

The tree takes the drag itself (its viewport accepts drops), so the window's own drop handling
never sees a drop made on the tree. Which nodes may take files is the caller's rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import (QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent,
                           QPainter, QPalette, QPen)
from PySide6.QtWidgets import (QAbstractItemView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QTreeView, QWidget)

from uploader_gui.gui.drop_zone import DropContents, read_mime
from uploader_gui.gui.signals import emit

AnyIndex = QModelIndex | QPersistentModelIndex

#: How long files hover over a closed folder before it opens (milliseconds).
OPEN_DELAY_MS = 900


def _plain(index: AnyIndex) -> QModelIndex:
    """A QModelIndex for a (persistent) index; invalid stays invalid."""
    model = index.model()
    if not index.isValid() or model is None:
        return QModelIndex()
    return model.index(index.row(), index.column(), index.parent())


@dataclass(frozen=True)
class Verdict:
    """Whether the node under the pointer takes the dragged files, and the sentence to show."""

    takes: bool
    text: str


#: The caller's rule: may this node (index) take these files?
Judge = Callable[[QModelIndex, DropContents], Verdict]


class DropTargetDelegate(QStyledItemDelegate):
    """Paints the node under a drag as highlighted and framed; while a drag is on, only that
    node looks chosen (the selected one would otherwise look like the target too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.target = QPersistentModelIndex()
        self.dragging = False

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        is_target = self.target.isValid() and _plain(self.target) == _plain(index)
        if not self.dragging:
            super().paint(painter, option, index)
            return
        shown = QStyleOptionViewItem(option)
        if is_target:
            shown.state |= QStyle.StateFlag.State_Selected | QStyle.StateFlag.State_Active
        else:
            shown.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, shown, index)
        if is_target:
            painter.save()
            pen = QPen(option.palette.color(QPalette.ColorRole.Highlight).darker(160), 2)
            painter.setPen(pen)
            painter.drawRoundedRect(option.rect.adjusted(1, 1, -1, -1), 3, 3)
            painter.restore()


class DropTree(QTreeView):
    """A QTreeView whose nodes take dropped files and folders."""

    #: Files dropped on a node: (list[Path], QModelIndex of the node).
    dropped = Signal(list, object)
    #: Sentences about what in a drop cannot be uploaded (web links, text).
    refused = Signal(list)
    #: What releasing here would do, or why not ("" when no drag is over the tree).
    hint = Signal(str)

    def __init__(self, judge: Judge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._judge = judge
        self._contents = DropContents()
        self.drop_delegate = DropTargetDelegate(self)
        self.setItemDelegate(self.drop_delegate)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(False)  # the delegate shows the target instead
        # Hovering over a closed folder opens it (QTreeView's own timer, only while dragging).
        self.setAutoExpandDelay(OPEN_DELAY_MS)

    @property
    def drop_target(self) -> QModelIndex:
        """The node a drop would go to now (invalid when none)."""
        return _plain(self.drop_delegate.target)

    def _set_target(self, index: QModelIndex) -> None:
        old = _plain(self.drop_delegate.target)
        if old == index:
            return
        self.drop_delegate.target = QPersistentModelIndex(index)
        for changed in (old, index):
            if changed.isValid():
                self.viewport().update(self.visualRect(changed))

    def _judge_at(self, event: QDragMoveEvent) -> Verdict:
        index = self.indexAt(event.position().toPoint())
        verdict = self._judge(index, self._contents)
        self._set_target(index if verdict.takes else QModelIndex())
        if verdict.takes:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept(self.visualRect(index))
        else:
            event.ignore()
        emit(self.hint, verdict.text)
        return verdict

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._contents = read_mime(event.mimeData())
        if not (self._contents.usable or self._contents.refused):
            event.ignore()
            return
        super().dragEnterEvent(event)  # auto-scroll and open-on-hover bookkeeping
        # The model knows nothing of dropped files; the drag state is ours to set so that
        # hovering still opens folders.
        self.setState(QAbstractItemView.State.DraggingState)
        self.drop_delegate.dragging = True
        self.viewport().update()
        # Entered: later moves decide per node (refusing the enter would end the drag here).
        event.setDropAction(Qt.DropAction.CopyAction)
        self._judge_at(event)
        event.accept()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        super().dragMoveEvent(event)  # auto-scroll, open-on-hover
        self._judge_at(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        super().dragLeaveEvent(event)
        self._end_drag()

    def dropEvent(self, event: QDropEvent) -> None:
        contents = read_mime(event.mimeData())
        index = self.indexAt(event.position().toPoint())
        verdict = self._judge(index, contents)
        self.stopAutoScroll()
        self._end_drag()
        if not verdict.takes:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if contents.refused:
            emit(self.refused, contents.refused)
        if contents.paths:
            emit(self.dropped, contents.paths, index)

    def _end_drag(self) -> None:
        self.setState(QAbstractItemView.State.NoState)
        self.drop_delegate.dragging = False
        self._set_target(QModelIndex())
        self._contents = DropContents()
        self.viewport().update()
        emit(self.hint, "")
