"""The upload queue as a Qt table model: adapts UploadItems, batches progress redraws."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Iterable

from PySide6.QtCore import (QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex,
                            Qt, QTimer, Signal)

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from uploader_gui.gui.failure_words import explain, scrub
from uploader_gui.gui.signals import emit
from uploader_gui.domain import DestinationKind, ProgressEvent, UploadItem, UploadState
from uploader_gui.transfer.queue import ItemChanged, ItemsAdded, ItemsRemoved, QueueEvent

log = logging.getLogger(__name__)

COL_NAME = 0
COL_SIZE = 1
COL_DESTINATION = 2
COL_PROGRESS = 3
COL_SPEED = 4
COL_ETA = 5
COL_STATUS = 6

HEADERS = ("Name", "Size", "Destination", "Progress", "Speed", "Time left", "Status")

#: Columns whose content changes while a file uploads; the only ones redrawn on a tick.
LIVE_COLUMNS = (COL_PROGRESS, COL_SPEED, COL_ETA, COL_STATUS)

#: States whose file did not (and will not by itself) reach Procore: no progress bar.
NOT_SENT = frozenset({UploadState.FAILED, UploadState.CANCELLED})

#: How a failed row's status begins (the filter "Show only these" looks for it).
FAILED_PREFIX = "Failed"

#: Redraws are batched: at most one dataChanged per tick (about ten a second).
TICK_MS = 100

_Index = QModelIndex | QPersistentModelIndex


class Role(enum.IntEnum):
    """Custom data roles of :class:`QueueModel`."""

    #: The :class:`UploadItem` of the row.
    ITEM = Qt.ItemDataRole.UserRole
    #: A value that sorts the column correctly (numbers for sizes and progress).
    SORT = Qt.ItemDataRole.UserRole + 1
    #: Progress as a fraction 0.0–1.0 (for the progress bar delegate).
    PROGRESS = Qt.ItemDataRole.UserRole + 2
    #: The :class:`UploadState` of the row.
    STATE = Qt.ItemDataRole.UserRole + 3


#: Roles that change while a file uploads.
LIVE_ROLES = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
              Qt.ItemDataRole.DecorationRole, Role.SORT,
              Role.PROGRESS, Role.STATE, Role.ITEM]


def format_size(size: float) -> str:
    """Bytes in the units people read on a file manager (1,000-based like Windows shows MB)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover - the loop always returns


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class _Row:
    """One row: the item plus what only the live view knows (speed, time left)."""

    __slots__ = ("item", "speed", "eta")

    def __init__(self, item: UploadItem) -> None:
        self.item = item
        self.speed = 0.0
        self.eta: float | None = None


class QueueModel(QAbstractTableModel):
    """Rows are uploads in the order they were added; the view sorts through a proxy.

    Changes arrive as whole items (:meth:`update_item`) or progress events (:meth:`apply_event`);
    both only mark the row dirty, and a timer sends one ``dataChanged`` per tick for the span of
    dirty rows, with the live columns and roles named explicitly.
    """

    #: Emitted after each batch: counts by state changed or progress moved.
    totals_changed = Signal()

    def __init__(self, parent: QObject | None = None, tick_ms: int = TICK_MS) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._row_of: dict[int, int] = {}
        self._dirty: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.flush)
        self.batches_sent = 0

    # -- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(HEADERS)):
            return HEADERS[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        item = row.item
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, col)
        if role == Role.ITEM:
            return item
        if role == Role.STATE:
            return item.state
        if role == Role.PROGRESS:
            # A file that did not go shows no bar: a full one would read as done.
            return None if item.state in NOT_SENT else _fraction(item)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS:
            return _failed_icon() if item.state is UploadState.FAILED else None
        if role == Role.SORT:
            return self._sort_value(row, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_STATUS and item.state is UploadState.FAILED:
                why = explain(item.error, item)
                return f"{why}\n\nDetails: {why.details}" if why.details else str(why)
            if col == COL_STATUS and item.error:
                if item.state in (UploadState.WAITING_SIGN_IN, UploadState.WAITING_NETWORK):
                    return f"{explain(item.error, item)}\n\nDetails: {scrub(item.error)}"
                return item.error  # the app's own note (renamed, started again, elsewhere)
            if col == COL_NAME:
                return str(item.path)
            if col == COL_DESTINATION:
                return item.where
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_SIZE, COL_SPEED, COL_ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: _Row, col: int) -> str:
        item = row.item
        if col == COL_NAME:
            return item.name
        if col == COL_SIZE:
            return format_size(item.size)
        if col == COL_DESTINATION:
            return within_project(item)
        if col == COL_PROGRESS:
            if item.state in NOT_SENT:
                return "Not uploaded"
            return f"{_fraction(item) * 100:.0f}%"
        if col == COL_SPEED:
            return f"{format_size(row.speed)}/s" if _sending(item) and row.speed else ""
        if col == COL_ETA:
            return format_duration(row.eta) if _sending(item) else ""
        if col == COL_STATUS:
            if item.state is UploadState.FAILED:
                return f"{FAILED_PREFIX} — {explain(item.error, item).what}"
            return str(item.state)
        return ""

    def _sort_value(self, row: _Row, col: int) -> object:
        item = row.item
        if col == COL_SIZE:
            return item.size
        if col == COL_PROGRESS:
            return _fraction(item)
        if col == COL_SPEED:
            return row.speed if _sending(item) else 0.0
        if col == COL_ETA:
            return row.eta if _sending(item) and row.eta is not None else -1.0
        if col == COL_NAME:
            return item.name.casefold()
        return self._display(row, col).casefold()

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
        """Append items not already shown (by id); returns those added. One insert for all."""
        new = [it for it in items if it.id not in self._row_of]
        # Two items with the same id in one batch: keep the last, as it is the newer state.
        unique: dict[int, UploadItem] = {}
        for it in new:
            unique[it.id] = it
        if not unique:
            return []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(unique) - 1)
        for offset, it in enumerate(unique.values()):
            self._rows.append(_Row(it))
            self._row_of[it.id] = first + offset
        self.endInsertRows()
        emit(self.totals_changed)
        return list(unique.values())

    def update_item(self, item: UploadItem) -> None:
        """Take the item's new state (from the engine); the row redraws on the next tick."""
        index = self._row_of.get(item.id)
        if index is None:
            return
        row = self._rows[index]
        row.item = item
        if not item.state.active:
            row.speed, row.eta = 0.0, None
        self._mark(index)

    def apply_event(self, event: ProgressEvent) -> None:
        index = self._row_of.get(event.upload_id)
        if index is None:
            return
        row = self._rows[index]
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
        self._mark(index)

    def remove_ids(self, upload_ids: Iterable[int]) -> None:
        """Remove rows, one removal per contiguous run (highest first keeps indexes valid)."""
        self.flush()
        doomed = sorted({self._row_of[i] for i in upload_ids if i in self._row_of}, reverse=True)
        if not doomed:
            return
        runs: list[tuple[int, int]] = []
        for index in doomed:
            if runs and runs[-1][0] == index + 1:
                runs[-1] = (index, runs[-1][1])
            else:
                runs.append((index, index))
        for first, last in runs:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        self._row_of = {row.item.id: i for i, row in enumerate(self._rows)}
        emit(self.totals_changed)

    def _mark(self, index: int) -> None:
        self._dirty.add(index)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Send one dataChanged for all rows marked since the last tick."""
        if not self._dirty:
            self._timer.stop()
            return
        first, last = min(self._dirty), max(self._dirty)
        self._dirty.clear()
        emit(self.dataChanged, self.index(first, LIVE_COLUMNS[0]),
                              self.index(last, LIVE_COLUMNS[-1]), LIVE_ROLES)
        self.batches_sent += 1
        emit(self.totals_changed)

    def stop(self) -> None:
        """Stop the redraw timer (before the model goes away)."""
        self._timer.stop()
        self._dirty.clear()

    # -- queries ------------------------------------------------------------------------------

    def item(self, upload_id: int) -> UploadItem | None:
        index = self._row_of.get(upload_id)
        return None if index is None else self._rows[index].item

    def row_of(self, upload_id: int) -> int | None:
        return self._row_of.get(upload_id)

    def item_at(self, row: int) -> UploadItem:
        return self._rows[row].item

    def items(self) -> list[UploadItem]:
        return [row.item for row in self._rows]

    def totals(self) -> QueueTotals:
        totals = QueueTotals()
        for row in self._rows:
            item = row.item
            state = item.state
            if state.active:
                totals.uploading += 1
                totals.speed += row.speed if _sending(item) else 0.0
            elif state is UploadState.QUEUED:
                totals.queued += 1
            elif state is UploadState.DONE or state is UploadState.SKIPPED:
                totals.done += 1
            elif state is UploadState.FAILED:
                totals.failed += 1
            elif state is UploadState.PAUSED:
                totals.paused += 1
            elif state is UploadState.WAITING_NETWORK:
                totals.waiting_network += 1
            elif state is UploadState.WAITING_SIGN_IN:
                totals.waiting_sign_in += 1
            if state is not UploadState.CANCELLED:
                # A failed file's bytes count as not sent: the batch is not 100% done.
                totals.bytes_total += item.size
                totals.bytes_done += item.size if state in (UploadState.DONE,
                                                            UploadState.SKIPPED) \
                    else 0 if state is UploadState.FAILED else item.bytes_done
        return totals


class QueueTotals:
    """Counts shown in the status bar."""

    __slots__ = ("queued", "uploading", "done", "failed", "paused", "waiting_network",
                 "waiting_sign_in", "speed", "bytes_done", "bytes_total", "when")

    def __init__(self) -> None:
        self.queued = self.uploading = self.done = self.failed = self.paused = 0
        self.waiting_network = self.waiting_sign_in = 0
        self.speed = 0.0
        self.bytes_done = self.bytes_total = 0
        self.when = time.monotonic()

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0

    def __str__(self) -> str:
        parts = [f"{self.queued} queued", f"{self.uploading} uploading", f"{self.done} done",
                 f"{self.failed} failed"]
        if self.paused:
            parts.append(f"{self.paused} paused by you")
        if self.waiting_network:
            parts.append(f"{self.waiting_network} waiting for the connection")
        if self.waiting_sign_in:
            parts.append(f"{self.waiting_sign_in} waiting for sign-in")
        return " · ".join(parts)

    @property
    def unsent(self) -> int:
        """Bytes of the files still to go (failed and cancelled ones left out)."""
        return max(0, self.bytes_total - self.bytes_done)

    def progress_text(self) -> str:
        """"120.0 MB of 447.0 MB · about 3 min left" while bytes move, else ""."""
        if not self.uploading or not self.bytes_total:
            return ""
        text = f"{format_size(self.bytes_done)} of {format_size(self.bytes_total)}"
        if self.speed > 0:
            text += f" · about {_about(self.unsent / self.speed)} left"
        return text


def _about(seconds: float) -> str:
    """Time left as people say it: seconds under two minutes, else whole minutes or hours."""
    if seconds < 120:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


_icons: dict[str, QIcon] = {}


def _failed_icon() -> QIcon:
    if "failed" not in _icons:
        _icons["failed"] = QApplication.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxCritical)
    return _icons["failed"]


def within_project(item: UploadItem) -> str:
    """Where the file goes, from the project down ("Documents / Drawings / Rev C"): the
    project's name is the same on every row and would push the part that differs out of view."""
    where = item.where
    if item.destination.kind is not DestinationKind.COMPANY_FOLDER and " / " in where:
        return where.split(" / ", 1)[1]
    return where


def _fraction(item: UploadItem) -> float:
    if item.state in (UploadState.DONE, UploadState.SKIPPED):
        return 1.0
    if item.size <= 0:
        return 0.0
    return max(0.0, min(1.0, item.bytes_done / item.size))


def _sending(item: UploadItem) -> bool:
    """Bytes are on their way: only then do speed and time left mean something."""
    return item.state is UploadState.UPLOADING
