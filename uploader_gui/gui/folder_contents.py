"""What is already in the chosen Procore folder or photo album: a read-only list of its files
(name, size, when it last changed, by whom) below the folder tree.

Procore's answers are read into rows on the background job that fetched them; the list is one
table model, so a folder of thousands of files is one reset, not thousands of widgets.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QPersistentModelIndex,
                            QSortFilterProxyModel, Qt)
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableView, QVBoxLayout, QWidget)

from uploader_gui.gui.queue_columns import format_size

COL_NAME, COL_SIZE, COL_CHANGED, COL_BY = range(4)
HEADERS = ("Name", "Size", "Last changed", "By")
#: Below this list width only names and sizes are shown; the name's tooltip says the rest.
NARROW_LIST = 420

AnyIndex = QModelIndex | QPersistentModelIndex


class Role(enum.IntEnum):
    #: The ListedFile of the row.
    ITEM = Qt.ItemDataRole.UserRole
    #: A value that sorts as people expect (bytes, times, names without case).
    SORT = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class ListedFile:
    """One file already in Procore, as the folder or photo list describes it."""

    name: str
    size: int | None = None
    #: When it last changed (a new version, or a photo's upload), seconds since the epoch.
    changed: float | None = None
    #: Who changed it last, when Procore says.
    by: str = ""

    def __str__(self) -> str:
        return self.name

    def described(self) -> str:
        """The whole row in one sentence (the name's tooltip when columns are hidden)."""
        parts = [self.name]
        if self.size is not None:
            parts.append(format_size(self.size))
        if self.changed is not None:
            parts.append(f"last changed {when_text(self.changed)}"
                         + (f" by {self.by}" if self.by else ""))
        elif self.by:
            parts.append(f"by {self.by}")
        return " · ".join(parts)


def _moment(value: object) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _person(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("login") or "").strip()
    return ""


def _size(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def files_of_folder(listing: dict[str, Any]) -> list[ListedFile]:
    """The files of a Show Project Folder / List Folders and Files answer: the latest
    version says who changed the file last (``file_versions[].created_by``)."""
    rows = []
    for entry in listing.get("files") or []:
        if not isinstance(entry, dict) or entry.get("is_deleted"):
            continue
        versions = [v for v in entry.get("file_versions") or [] if isinstance(v, dict)]
        latest = max(versions, key=lambda v: v.get("number") or 0, default={})
        rows.append(ListedFile(
            str(entry.get("name") or ""),
            _size(entry.get("size")) if entry.get("size") is not None
            else _size(latest.get("size")),
            _moment(entry.get("updated_at")) or _moment(latest.get("created_at")),
            _person(latest.get("created_by"))))
    return rows


def photos_of_album(images: Iterable[dict[str, Any]]) -> list[ListedFile]:
    """The photos of a List Images answer (a photo's name is ``filename``)."""
    return [ListedFile(str(image.get("filename") or image.get("name") or ""),
                       _size(image.get("size")),
                       _moment(image.get("updated_at")) or _moment(image.get("created_at")),
                       _person(image.get("uploader")))
            for image in images if isinstance(image, dict)]


def when_text(moment: float | None) -> str:
    """Local time as people read it: "4 Dec 2026, 17:52"."""
    if moment is None:
        return ""
    local = datetime.fromtimestamp(moment)
    return f"{local.day} {local:%b %Y, %H:%M}"  # no %-d: Windows' strftime lacks it


def sort_value(row: ListedFile, col: int) -> str | int | float:
    """What ``col`` sorts by: names without case, bytes (unknown first), times."""
    if col == COL_SIZE:
        return -1 if row.size is None else row.size
    if col == COL_CHANGED:
        return row.changed or 0.0
    if col == COL_BY:
        return row.by.casefold()
    return row.name.casefold()


class SourceOrder(QSortFilterProxyModel):
    """Shows the model's rows in the model's own order; a sort asked of it (a header click)
    is passed on to the model, which sorts with one keyed sort."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        source = self.sourceModel()
        if source is not None:
            source.sort(column, order)


class FolderContentsModel(QAbstractTableModel):
    """The files of one folder or album, read-only.

    Once asked to sort, the model keeps its own rows in that order (one keyed sort): a proxy
    sorting 3,000 rows calls back into Python for every comparison, over 100 ms on the GUI
    thread (benchmarks/big_lists.py).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ListedFile] = []
        #: The column and order asked for last (None: the order the rows came in).
        self._order: tuple[int, Qt.SortOrder] | None = None

    def set_rows(self, rows: Sequence[ListedFile]) -> None:
        self.beginResetModel()
        self._rows = [rows[i] for i in self._ordered(rows)]
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(HEADERS):
            return
        self.layoutAboutToBeChanged.emit()
        self._order = (column, order)
        before = self._rows
        moved = self._ordered(before)  # moved[new row] = old row
        self._rows = [before[i] for i in moved]
        new_row = {old: new for new, old in enumerate(moved)}
        kept = self.persistentIndexList()
        self.changePersistentIndexList(
            kept, [self.index(new_row[i.row()], i.column()) for i in kept])
        self.layoutChanged.emit()

    def _ordered(self, rows: Sequence[ListedFile]) -> list[int]:
        if self._order is None:
            return list(range(len(rows)))
        column, order = self._order
        return sorted(range(len(rows)), key=lambda i: sort_value(rows[i], column),
                      reverse=order is Qt.SortOrder.DescendingOrder)

    def rows(self) -> list[ListedFile]:
        return list(self._rows)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, col = self._rows[index.row()], index.column()
        if role == Role.ITEM:
            return row
        if role == Qt.ItemDataRole.ToolTipRole and col == COL_NAME:
            return row.described()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == COL_NAME:
                return row.name
            if col == COL_SIZE:
                return "" if row.size is None else format_size(row.size)
            if col == COL_CHANGED:
                return when_text(row.changed)
            if col == COL_BY:
                return row.by
        if role == Role.SORT:
            return sort_value(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == COL_SIZE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class FolderContents(QWidget):
    """A title line ("In Drawings: 12 files") over the read-only list, with a Refresh button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FolderContentsModel(self)
        self.proxy = SourceOrder(self)
        self.proxy.setSourceModel(self.model)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        self.title.setAccessibleName("What is already there")
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Ask Procore again what is in the chosen folder")
        self.refresh_button.setEnabled(False)
        self.table = QTableView(self)
        self.table.setObjectName("folderContents")
        self.table.setAccessibleName("Files already in the chosen folder")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_NAME, Qt.SortOrder.AscendingOrder)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        # Uniform rows: thousands of files are never measured one by one.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The name takes what is left; the others are as wide as their usual text.
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        metrics = self.table.fontMetrics()
        for col, sample in ((COL_SIZE, "999.9 MB"), (COL_CHANGED, "30 Sep 2026, 23:59"),
                            (COL_BY, "Dana Rivera-Smith")):
            header.resizeSection(col, metrics.horizontalAdvance(sample) + 16)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.show_nothing()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Narrow (the tree's usual width): names and sizes; who and when are in the tooltip.
        narrow = self.width() < NARROW_LIST
        for col in (COL_CHANGED, COL_BY):
            if self.table.isColumnHidden(col) != narrow:
                self.table.setColumnHidden(col, narrow)

    @property
    def title_text(self) -> str:
        return self.title.text()

    def show_nothing(self) -> None:
        self.model.set_rows([])
        self.title.setText("Choose a folder or photo album to see what is already in it.")
        self.refresh_button.setEnabled(False)

    def show_loading(self, place: str) -> None:
        self.title.setText(f"Looking at what is in {place}…")
        self.refresh_button.setEnabled(False)

    def show_rows(self, place: str, rows: Sequence[ListedFile], *, photos: bool = False) -> None:
        self.model.set_rows(rows)
        n = len(rows)
        what = ("photo" if photos else "file") + ("" if n == 1 else "s")
        self.title.setText(f"Already in {place}: {n} {what}" if n
                           else f"{place} has no {what} yet.")
        self.refresh_button.setEnabled(True)

    def show_problem(self, text: str) -> None:
        self.model.set_rows([])
        self.title.setText(text)
        self.refresh_button.setEnabled(True)
