"""The queue's table: sorted through a proxy, rows of one height, the state kept in view."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from uploader_gui.domain import UploadItem
from uploader_gui.gui.progress_delegate import ProgressDelegate
from uploader_gui.gui.queue_model import (COL_DESTINATION, COL_ETA, COL_NAME, COL_PROGRESS,
                                          COL_SIZE, COL_SPEED, COL_STATUS, FAILED_PREFIX,
                                          QueueModel, Role)
from uploader_gui.gui.status_delegate import StatusDelegate

#: Below this width the per-file speed and time left columns are hidden.
NARROW_QUEUE = 900
MIN_STATUS_WIDTH = 140
COLUMN_WIDTHS = ((COL_NAME, 200), (COL_SIZE, 70), (COL_DESTINATION, 170), (COL_PROGRESS, 110),
                 (COL_STATUS, 240), (COL_SPEED, 80), (COL_ETA, 80))


class QueueView(QTableView):
    """Shows a :class:`QueueModel` in added order until a header is clicked."""

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queue")
        self.setAccessibleName("Upload queue")
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setSortRole(Role.SORT)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # added order until clicked
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        # "A-101 … Rev C.pdf", "Documents / … / Site visits": the ends are what differ.
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.verticalHeader().hide()
        # Uniform rows: the view never measures 10,000 rows to lay them out.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self))
        self.setItemDelegateForColumn(COL_STATUS, StatusDelegate(self))
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in COLUMN_WIDTHS:
            header.resizeSection(col, width)
        # The state stays in view in a small window: speed and time left give way first.
        header.moveSection(header.visualIndex(COL_STATUS), header.visualIndex(COL_PROGRESS) + 1)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._source = model

    def selected_items(self) -> list[UploadItem]:
        return [self.proxy.data(index, Role.ITEM)
                for index in self.selectionModel().selectedRows()]

    def scroll_to_id(self, upload_id: int) -> None:
        row = self._source.row_of(upload_id)
        if row is not None:
            self.scrollTo(self.proxy.mapFromSource(self._source.index(row, 0)))

    def show_only_failed(self, only: bool) -> None:
        self.proxy.setFilterKeyColumn(COL_STATUS)
        self.proxy.setFilterRegularExpression(f"^{FAILED_PREFIX}" if only else "")

    def fit_columns(self) -> None:
        """Narrow: per-file speed and time left give way (the status bar keeps the totals),
        and the status takes what is left, so it ends inside the view."""
        narrow = self.viewport().width() < NARROW_QUEUE
        for col in (COL_SPEED, COL_ETA):
            if self.isColumnHidden(col) != narrow:
                self.setColumnHidden(col, narrow)
        if narrow:
            header = self.horizontalHeader()
            left = self.viewport().width() - header.sectionPosition(COL_STATUS)
            header.resizeSection(COL_STATUS, max(MIN_STATUS_WIDTH, left))
