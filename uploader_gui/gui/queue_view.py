"""The queue's view: a row per dropped folder (opened to show its files) and per file, sorted
through a proxy, rows of one height, the state kept in view."""

from __future__ import annotations

from PySide6.QtCore import (QItemSelection, QItemSelectionModel, QModelIndex,
                            QSortFilterProxyModel, Qt)
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from uploader_gui.domain import UploadItem
from uploader_gui.gui.progress_delegate import ProgressDelegate
from uploader_gui.gui.queue_columns import (COL_DESTINATION, COL_ETA, COL_NAME, COL_PROGRESS,
                                            COL_SIZE, COL_SPEED, COL_STATUS, FAILED_PREFIX,
                                            Role)
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.gui.status_delegate import StatusDelegate

#: Below this width the per-file speed and time left columns are hidden.
NARROW_QUEUE = 900
MIN_STATUS_WIDTH = 140
COLUMN_WIDTHS = ((COL_NAME, 200), (COL_SIZE, 70), (COL_DESTINATION, 170), (COL_PROGRESS, 110),
                 (COL_STATUS, 240), (COL_SPEED, 80), (COL_ETA, 80))


class QueueView(QTreeView):
    """Shows a :class:`QueueModel` in added order until a header is clicked."""

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queue")
        self.setAccessibleName("Upload queue")
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(Role.SORT)
        # "Show only failed" keeps a folder whose files failed, with those files under it.
        self.proxy.setRecursiveFilteringEnabled(True)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # added order until clicked
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setAllColumnsShowFocus(True)
        # Rows of one height: the view never measures 10,000 rows to lay them out.
        self.setUniformRowHeights(True)
        # "A-101 … Rev C.pdf", "Documents / … / Site visits": the ends are what differ.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self))
        self.setItemDelegateForColumn(COL_STATUS, StatusDelegate(self))
        header = self.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in COLUMN_WIDTHS:
            header.resizeSection(col, width)
        # The state stays in view in a small window: speed and time left give way first.
        header.moveSection(header.visualIndex(COL_STATUS), header.visualIndex(COL_PROGRESS) + 1)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._source = model
        #: The name column's width as last set here (one the person set is left alone).
        self._name_width = COLUMN_WIDTHS[0][1]

    def selected_items(self) -> list[UploadItem]:
        """The selected files; a selected folder row stands for all its files."""
        chosen: dict[int, UploadItem] = {}
        for index in self.selectionModel().selectedRows():
            item = self.proxy.data(index, Role.ITEM)
            for it in [item] if item is not None else self.proxy.data(index, Role.FILES) or []:
                chosen.setdefault(it.id, it)
        return list(chosen.values())

    def selectRow(self, row: int, parent: QModelIndex | None = None) -> None:
        """Select the ``row``-th shown row (top level unless ``parent``), as a table does."""
        index = self.proxy.index(row, 0, parent or QModelIndex())
        self.selectionModel().select(
            QItemSelection(index, index.siblingAtColumn(self.proxy.columnCount() - 1)),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows)
        self.setCurrentIndex(index)

    def scroll_to_id(self, upload_id: int) -> None:
        """Bring the file's row into view; a file in a closed folder row brings that row
        (opening a folder of 10,000 files is the person's choice, and takes a while)."""
        index = self.proxy.mapFromSource(self._source.index_of(upload_id))
        if index.parent().isValid() and not self.isExpanded(index.parent()):
            index = index.parent()
        if index.isValid():
            self.scrollTo(index)

    def show_only_failed(self, only: bool) -> None:
        self.proxy.setFilterKeyColumn(COL_STATUS)
        self.proxy.setFilterRegularExpression(f"^{FAILED_PREFIX}" if only else "")
        if only:
            self.expandAll()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Narrow: per-file speed and time left give way (the status bar keeps the totals),
        and the status takes what is left, so it ends inside the view."""
        narrow = self.viewport().width() < NARROW_QUEUE
        for col in (COL_SPEED, COL_ETA):
            if self.isColumnHidden(col) != narrow:
                self.setColumnHidden(col, narrow)
        header = self.header()
        if header.sectionSize(COL_NAME) == self._name_width:
            # Wide: names (indented under their folder) take the room the others leave.
            others = sum(width for col, width in COLUMN_WIDTHS[1:] if not self.isColumnHidden(col))
            room = self.viewport().width() - others
            self._name_width = COLUMN_WIDTHS[0][1] if narrow else \
                max(COLUMN_WIDTHS[0][1], min(400, room))
            header.resizeSection(COL_NAME, self._name_width)
        if narrow:
            left = self.viewport().width() - header.sectionPosition(COL_STATUS)
            header.resizeSection(COL_STATUS, max(MIN_STATUS_WIDTH, left))
