"""The history of finished uploads as a Qt table, and the filter the History window applies."""

from __future__ import annotations

import enum
import time
from collections.abc import Sequence

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt)
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from uploader_gui.domain import UploadState
from uploader_gui.gui.failure_words import explain
from uploader_gui.gui.queue_columns import format_size
from uploader_gui.journal.history import HistoryEntry

COL_NAME = 0
COL_PROJECT = 1
COL_DESTINATION = 2
COL_RESULT = 3
COL_FINISHED = 4
COL_SIZE = 5
COL_LOCAL = 6

HEADERS = ("Name", "Project", "Folder in Procore", "Result", "Finished", "Size",
           "On this computer")

_Index = QModelIndex | QPersistentModelIndex

#: The result words shown, with an icon beside each (never colour alone).
RESULT_WORDS = {UploadState.DONE: "Done", UploadState.SKIPPED: "Already in Procore",
                UploadState.FAILED: "Failed", UploadState.CANCELLED: "Cancelled"}
_RESULT_ICONS = {UploadState.DONE: QStyle.StandardPixmap.SP_DialogApplyButton,
                 UploadState.SKIPPED: QStyle.StandardPixmap.SP_MessageBoxInformation,
                 UploadState.FAILED: QStyle.StandardPixmap.SP_MessageBoxCritical,
                 UploadState.CANCELLED: QStyle.StandardPixmap.SP_DialogCancelButton}


class Role(enum.IntEnum):
    """Custom data roles of :class:`HistoryModel`."""

    #: The :class:`HistoryEntry` of the row.
    ENTRY = Qt.ItemDataRole.UserRole
    #: A value that sorts the column correctly (numbers for sizes and times).
    SORT = Qt.ItemDataRole.UserRole + 1


def problem_words(entry: HistoryEntry) -> str:
    """What went wrong, in the app's own words (the server's only as details)."""
    if not entry.error:
        return ""
    if entry.result is not UploadState.FAILED:
        return entry.error  # a note that came with a success (e.g. started again)
    said = explain(entry.error)
    return f"{said.what} {said.next_step}"


class HistoryModel(QAbstractTableModel):
    """Adapts a list of :class:`HistoryEntry`; replaced whole when the history is read again.

    The model sorts its own list (one Python sort with a key): a proxy sorting 10,000 rows
    calls back into Python for every comparison, over half a second on the GUI thread.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[HistoryEntry] = []
        self._icons: dict[UploadState, QIcon] = {}
        self._order: tuple[int, Qt.SortOrder] = (COL_FINISHED, Qt.SortOrder.DescendingOrder)

    def set_entries(self, entries: Sequence[HistoryEntry]) -> None:
        self.beginResetModel()
        self._entries = self._sorted(entries)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(HEADERS):
            return
        self.layoutAboutToBeChanged.emit()
        before = self._entries
        self._order = (column, order)
        self._entries = self._sorted(before)
        row_of = {id(entry): row for row, entry in enumerate(self._entries)}
        old = self.persistentIndexList()
        self.changePersistentIndexList(
            old, [self.index(row_of[id(before[i.row()])], i.column()) for i in old])
        self.layoutChanged.emit()

    def _sorted(self, entries: Sequence[HistoryEntry]) -> list[HistoryEntry]:
        column, order = self._order
        return sorted(entries, key=lambda e: self._sort_value(e, column),
                      reverse=order is Qt.SortOrder.DescendingOrder)

    def entries(self) -> list[HistoryEntry]:
        return list(self._entries)

    def entry_at(self, row: int) -> HistoryEntry:
        return self._entries[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry, col = self._entries[index.row()], index.column()
        if role == Role.ENTRY:
            return entry
        if role == Role.SORT:
            return self._sort_value(entry, col)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_RESULT and entry.error:
                return problem_words(entry)
            if col == COL_LOCAL:
                return str(entry.path)
            return self._text(entry, col)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_RESULT:
            return self._icon(entry.result)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _text(entry: HistoryEntry, col: int) -> str:
        if col == COL_NAME:
            return entry.name
        if col == COL_PROJECT:
            return entry.project
        if col == COL_DESTINATION:
            return entry.destination
        if col == COL_RESULT:
            return RESULT_WORDS.get(entry.result, str(entry.result))
        if col == COL_FINISHED:
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.finished_at))
        if col == COL_SIZE:
            return format_size(entry.size)  # as the queue shows it
        return str(entry.path.parent)

    @staticmethod
    def _sort_value(entry: HistoryEntry, col: int) -> tuple[float, str]:
        if col == COL_FINISHED:
            return entry.finished_at, ""
        if col == COL_SIZE:
            return float(entry.size), ""
        return 0.0, HistoryModel._text(entry, col).lower()

    def _icon(self, state: UploadState) -> QIcon:
        if state not in self._icons:
            self._icons[state] = QApplication.style().standardIcon(_RESULT_ICONS[state])
        return self._icons[state]


class HistoryFilter(QSortFilterProxyModel):
    """Name search, one project, a time span and one result; the source model sorts."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self._project: tuple[int | None, str] | None = None
        self._since: float | None = None
        self._result: UploadState | None = None

    def set_filter(self, *, text: str, project: tuple[int | None, str] | None,
                   days: int | None, result: UploadState | None) -> None:
        """Show the rows whose name holds every word of ``text``, of ``project`` (its id and
        name; None: all), finished in the last ``days`` (None: all), with ``result``."""
        # Qt 6.9 and later want begin/endFilterChange; older ones only have invalidateFilter.
        staged = hasattr(self, "beginFilterChange")
        if staged:
            self.beginFilterChange()
        self._words = text.lower().split()
        self._project = project
        self._since = time.time() - days * 86400 if days is not None else None
        self._result = result
        if staged:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted by the source model (see :class:`HistoryModel`); the filter keeps its order."""
        source = self.sourceModel()
        if isinstance(source, HistoryModel):
            source.sort(column, order)

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        model = self.sourceModel()
        if not isinstance(model, HistoryModel) or source_parent.isValid():
            return False
        entry = model.entry_at(source_row)  # not through data(): 10,000 rows per keystroke
        if self._result is not None and entry.result is not self._result:
            return False
        if self._since is not None and entry.finished_at < self._since:
            return False
        if self._project is not None and (entry.project_id, entry.project) != self._project:
            return False
        name = entry.name.lower()
        return all(word in name for word in self._words)
