"""The upload queue as a Qt tree model: a row per dropped folder (its files below it) and a row
per file dropped on its own; adapts the upload service's events and batches redraws.

Top-level rows have internal id 0; a folder's files carry their folder's number, so the
parent of any index is found without walking the tree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from PySide6.QtCore import (QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex,
                            Qt, QTimer, Signal)

from uploader_gui.domain import ProgressEvent, UploadItem
from uploader_gui.gui.queue_columns import (HEADERS, LIVE_COLUMNS, LIVE_ROLES, FileRow,
                                            QueueTotals, file_data)
from uploader_gui.gui.queue_groups import FolderGroup, GroupKey, group_key
from uploader_gui.gui.signals import emit
from uploader_gui.transfer.queue import ItemChanged, ItemsAdded, ItemsRemoved, QueueEvent

log = logging.getLogger(__name__)

#: Redraws are batched: at most one dataChanged per parent per tick (about ten a second).
TICK_MS = 100

_Index = QModelIndex | QPersistentModelIndex
_Top = FileRow | FolderGroup
#: Every row's flags (computed once: views ask for them for every row they lay out).
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FILE_FLAGS = _ROW_FLAGS | Qt.ItemFlag.ItemNeverHasChildren
_COLUMNS = len(HEADERS)


class QueueModel(QAbstractItemModel):
    """Rows in the order they were added; the view sorts through a proxy.

    Changes arrive as the service's events (:meth:`apply`); progress only marks rows dirty,
    and a timer sends, per tick, one ``dataChanged`` for the span of dirty rows under each
    parent (the live columns and roles named) plus one for each folder row whose sums moved.
    """

    #: Emitted after each batch: counts by state changed or progress moved.
    totals_changed = Signal()

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS) -> None:
        super().__init__(parent)
        self._top: list[_Top] = []
        #: upload id -> the file's row, in the order added.
        self._files: dict[int, FileRow] = {}
        #: upload id -> its folder (files dropped on their own are not here).
        self._group_of: dict[int, FolderGroup] = {}
        self._groups: dict[GroupKey, FolderGroup] = {}
        self._by_number: dict[int, FolderGroup] = {}
        self._next_number = 1
        #: top-level position of each file on its own (by upload id) and of each folder.
        self._top_file: dict[int, int] = {}
        self._top_group: dict[int, int] = {}
        #: dirty rows: parent number (0: top level) -> row positions under it.
        self._dirty: dict[int, set[int]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.flush)
        self.batches_sent = 0

    # -- Qt model interface -------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Called for every row a view lays out: kept to the fewest calls into Qt.
        if not 0 <= column < _COLUMNS or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, id=0) if row < len(self._top) else QModelIndex()
        top = parent.row()
        if parent.internalId() != 0 or top >= len(self._top):
            return QModelIndex()
        node = self._top[top]
        if type(node) is FolderGroup and row < len(node.rows):
            return self.createIndex(row, column, id=node.number)
        return QModelIndex()

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        group = self._by_number.get(index.internalId())
        if group is None:
            return QModelIndex()
        return self.createIndex(self._top_group[group.number], 0, id=0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._top)
        if parent.internalId() != 0 or parent.column() != 0 or parent.row() >= len(self._top):
            return 0
        node = self._top[parent.row()]
        return len(node.rows) if isinstance(node, FolderGroup) else 0

    def hasChildren(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return _COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # A file's row never has rows under it: saying so spares the view asking each one
        # (through the sorting proxy, two calls into Python per row) as a folder row opens.
        if index.internalId() != 0:
            return _FILE_FLAGS
        row = index.row()
        return _ROW_FLAGS if row < len(self._top) and type(self._top[row]) is FolderGroup \
            else _FILE_FLAGS

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        node = self._node(index)
        if node is None:
            return None
        if isinstance(node, FolderGroup):
            return node.data(index.column(), role)
        return file_data(node, index.column(), role)

    def _node(self, index: _Index) -> _Top | None:
        if not index.isValid():
            return None
        number = index.internalId()
        if number == 0:
            return self._top[index.row()] if index.row() < len(self._top) else None
        group = self._by_number.get(number)
        if group is None or index.row() >= len(group.rows):
            return None
        return group.rows[index.row()]

    # -- changes ------------------------------------------------------------------------------

    def apply(self, event: QueueEvent) -> None:
        """Take one of the upload service's events: the model's only source of change."""
        if isinstance(event, ItemsAdded):
            self.add_items(event.items)
        elif isinstance(event, ItemChanged):
            if event.progress is not None and not event.ended:
                self.apply_event(event.progress)
            else:
                self.update_item(event.item)
        elif isinstance(event, ItemsRemoved):
            self.remove_ids(event.upload_ids)

    def add_items(self, items: Iterable[UploadItem]) -> list[UploadItem]:
        """Add items not already shown (by id); returns those added. One insert per parent:
        new top-level rows at once, and the new files of each folder already shown."""
        unique: dict[int, UploadItem] = {}
        for it in items:  # the same id twice in one batch: the last is the newer state
            if it.id not in self._files:
                unique[it.id] = it
        if not unique:
            return []
        new_top: list[_Top] = []
        into_groups: dict[int, list[FileRow]] = {}
        for it in unique.values():
            row = FileRow(it)
            self._files[it.id] = row
            key = group_key(it)
            if key is None:
                new_top.append(row)
                continue
            group = self._groups.get(key)
            if group is None:
                group = FolderGroup(key, self._next_number)
                self._next_number += 1
                self._groups[key] = group
                self._by_number[group.number] = group
                new_top.append(group)
            self._group_of[it.id] = group
            into_groups.setdefault(group.number, []).append(row)
        fresh = {id(node) for node in new_top}
        for number, rows in into_groups.items():
            group = self._by_number[number]
            if id(group) in fresh:
                group.rows.extend(rows)
            else:  # files for a folder already shown
                first = len(group.rows)
                parent = self.createIndex(self._top_group[number], 0, id=0)
                self.beginInsertRows(parent, first, first + len(rows) - 1)
                group.rows.extend(rows)
                self.endInsertRows()
                self._mark(0, self._top_group[number])
            group.reindex()
            group.refresh()
        if new_top:
            first = len(self._top)
            self.beginInsertRows(QModelIndex(), first, first + len(new_top) - 1)
            self._top.extend(new_top)
            self._reindex_top()
            self.endInsertRows()
        emit(self.totals_changed)
        return list(unique.values())

    def update_item(self, item: UploadItem) -> None:
        """Take the item's new state (from the engine); the row redraws on the next tick."""
        row = self._files.get(item.id)
        if row is None:
            return
        row.item = item
        if not item.state.active:
            row.speed, row.eta = 0.0, None
        self._mark_file(item.id)

    def apply_event(self, event: ProgressEvent) -> None:
        row = self._files.get(event.upload_id)
        if row is None:
            return
        item = row.item
        item.state = event.state
        # The engine's count never goes backwards within one run, but a resumed run counts
        # from zero until it has found the parts already in storage: what was shown stays.
        # The run's end state (update_item) carries the journal's own figure.
        done = min(event.bytes_done, event.total) if event.total else event.bytes_done
        item.bytes_done = max(done, item.bytes_done)
        if event.error is not None:
            item.error = event.error
        row.speed, row.eta = event.speed, event.eta
        self._mark_file(event.upload_id)

    def remove_ids(self, upload_ids: Iterable[int]) -> None:
        """Remove rows, one removal per contiguous run under each parent (highest first keeps
        positions valid); a folder whose last file goes is removed with it."""
        self.flush()
        gone = {i for i in upload_ids if i in self._files}
        if not gone:
            return
        top_doomed: set[int] = set()
        by_group: dict[int, list[int]] = {}
        for upload_id in gone:
            group = self._group_of.get(upload_id)
            if group is None:
                top_doomed.add(self._top_file[upload_id])
            else:
                by_group.setdefault(group.number, []).append(group.position[upload_id])
        for number, positions in by_group.items():
            group = self._by_number[number]
            if len(positions) == len(group.rows):
                top_doomed.add(self._top_group[number])
                continue
            parent = self.createIndex(self._top_group[number], 0, id=0)
            for first, last in _runs(positions):
                self.beginRemoveRows(parent, first, last)
                del group.rows[first:last + 1]
                self.endRemoveRows()
            group.reindex()
            group.refresh()
            self._mark(0, self._top_group[number])
        for first, last in _runs(top_doomed):
            self.beginRemoveRows(QModelIndex(), first, last)
            for node in self._top[first:last + 1]:
                if isinstance(node, FolderGroup):
                    self._forget_group(node)
            del self._top[first:last + 1]
            self.endRemoveRows()
        for upload_id in gone:
            self._files.pop(upload_id, None)
            self._group_of.pop(upload_id, None)
        self._reindex_top()
        self.flush()
        emit(self.totals_changed)

    def _forget_group(self, group: FolderGroup) -> None:
        self._groups.pop(group.key, None)
        self._by_number.pop(group.number, None)
        self._dirty.pop(group.number, None)

    def _reindex_top(self) -> None:
        self._top_file, self._top_group = {}, {}
        for i, node in enumerate(self._top):
            if isinstance(node, FolderGroup):
                self._top_group[node.number] = i
            else:
                self._top_file[node.item.id] = i

    def _mark_file(self, upload_id: int) -> None:
        group = self._group_of.get(upload_id)
        if group is None:
            self._mark(0, self._top_file[upload_id])
        else:
            self._mark(group.number, group.position[upload_id])
            self._mark(0, self._top_group[group.number])

    def _mark(self, parent: int, position: int) -> None:
        self._dirty.setdefault(parent, set()).add(position)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Send the dataChanged signals for everything marked since the last tick."""
        if not self._dirty:
            self._timer.stop()
            return
        dirty, self._dirty = self._dirty, {}
        for number, positions in dirty.items():
            first_col, last_col = LIVE_COLUMNS[0], LIVE_COLUMNS[-1]
            if number == 0:
                parent = QModelIndex()
                for position in positions:
                    node = self._top[position] if position < len(self._top) else None
                    if isinstance(node, FolderGroup):
                        node.refresh()
                        first_col = 0  # its name counts the files done
            else:
                if number not in self._by_number:
                    continue
                parent = self.createIndex(self._top_group[number], 0, id=0)
            first, last = min(positions), max(positions)
            emit(self.dataChanged, self.index(first, first_col, parent),
                 self.index(last, last_col, parent), LIVE_ROLES)
        self.batches_sent += 1
        emit(self.totals_changed)

    def stop(self) -> None:
        """Stop the redraw timer (before the model goes away)."""
        self._timer.stop()
        self._dirty.clear()

    # -- queries ------------------------------------------------------------------------------

    def item(self, upload_id: int) -> UploadItem | None:
        row = self._files.get(upload_id)
        return None if row is None else row.item

    def index_of(self, upload_id: int, column: int = 0) -> QModelIndex:
        """The file's index (under its folder's row when it came in a folder)."""
        group = self._group_of.get(upload_id)
        if group is not None:
            return self.createIndex(group.position[upload_id], column, id=group.number)
        position = self._top_file.get(upload_id)
        return QModelIndex() if position is None else self.createIndex(position, column, id=0)

    def item_at(self, position: int) -> UploadItem:
        """The item added ``position``-th (whatever row shows it)."""
        return list(self._files.values())[position].item

    def items(self) -> list[UploadItem]:
        """Every item, in the order added."""
        return [row.item for row in self._files.values()]

    def totals(self) -> QueueTotals:
        totals = QueueTotals()
        for row in self._files.values():
            totals.count(row)
        return totals


def _runs(positions: Iterable[int]) -> list[tuple[int, int]]:
    """Contiguous runs of positions, highest first: [(first, last), ...]."""
    runs: list[tuple[int, int]] = []
    for index in sorted(set(positions), reverse=True):
        if runs and runs[-1][0] == index + 1:
            runs[-1] = (index, runs[-1][1])
        else:
            runs.append((index, index))
    return runs
