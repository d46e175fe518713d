"""What the queue's columns show for one file: the columns, the roles, the words and numbers.

Plain functions of an :class:`UploadItem` (and its live speed and time left), shared by the
queue model's file rows and the folder rows that sum them.
"""

from __future__ import annotations

import enum
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from uploader_gui.domain import DestinationKind, UploadItem, UploadState
from uploader_gui.gui.failure_words import explain, scrub

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


class Role(enum.IntEnum):
    """Custom data roles of the queue model."""

    #: The :class:`UploadItem` of the row.
    ITEM = Qt.ItemDataRole.UserRole
    #: A value that sorts the column correctly (numbers for sizes and progress).
    SORT = Qt.ItemDataRole.UserRole + 1
    #: Progress as a fraction 0.0–1.0 (for the progress bar delegate).
    PROGRESS = Qt.ItemDataRole.UserRole + 2
    #: The :class:`UploadState` of the row (a folder's: the one its files sum to).
    STATE = Qt.ItemDataRole.UserRole + 3
    #: A folder row's files (list of :class:`UploadItem`); a file row has none.
    FILES = Qt.ItemDataRole.UserRole + 4


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



class QueueTotals:
    """Counts of files by state, bytes and speed: the status bar's, and a folder row's."""

    __slots__ = ("files", "queued", "uploading", "done", "failed", "paused", "cancelled",
                 "waiting_network", "waiting_sign_in", "speed", "bytes_done", "bytes_total",
                 "when")

    def __init__(self) -> None:
        self.files = self.queued = self.uploading = self.done = self.failed = self.paused = 0
        self.cancelled = self.waiting_network = self.waiting_sign_in = 0
        self.speed = 0.0
        self.bytes_done = self.bytes_total = 0
        self.when = time.monotonic()

    def count(self, row: FileRow) -> None:
        """Add one file."""
        item = row.item
        state = item.state
        self.files += 1
        if state.active:
            self.uploading += 1
            self.speed += row.speed if sending(item) else 0.0
        elif state is UploadState.QUEUED:
            self.queued += 1
        elif state is UploadState.DONE or state is UploadState.SKIPPED:
            self.done += 1
        elif state is UploadState.FAILED:
            self.failed += 1
        elif state is UploadState.PAUSED:
            self.paused += 1
        elif state is UploadState.CANCELLED:
            self.cancelled += 1
        elif state is UploadState.WAITING_NETWORK:
            self.waiting_network += 1
        elif state is UploadState.WAITING_SIGN_IN:
            self.waiting_sign_in += 1
        if state is not UploadState.CANCELLED:
            # A failed file's bytes count as not sent: the batch is not 100% done.
            self.bytes_total += item.size
            self.bytes_done += item.size if state in (UploadState.DONE, UploadState.SKIPPED) \
                else 0 if state is UploadState.FAILED else item.bytes_done

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
            text += f" · about {about(self.unsent / self.speed)} left"
        return text


def about(seconds: float) -> str:
    """Time left as people say it: seconds under two minutes, else whole minutes or hours."""
    if seconds < 120:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


_icons: dict[QStyle.StandardPixmap, QIcon] = {}


def style_icon(pixmap: QStyle.StandardPixmap) -> QIcon:
    """The style's standard icon, made once (rows ask for it on every repaint)."""
    if pixmap not in _icons:
        _icons[pixmap] = QApplication.style().standardIcon(pixmap)
    return _icons[pixmap]


def failed_icon() -> QIcon:
    return style_icon(QStyle.StandardPixmap.SP_MessageBoxCritical)


def within_project(item: UploadItem) -> str:
    """Where the file goes, from the project down ("Documents / Drawings / Rev C"): the
    project's name is the same on every row and would push the part that differs out of view."""
    where = item.where
    if item.destination.kind is not DestinationKind.COMPANY_FOLDER and " / " in where:
        return where.split(" / ", 1)[1]
    return where


def fraction(item: UploadItem) -> float:
    if item.state in (UploadState.DONE, UploadState.SKIPPED):
        return 1.0
    if item.size <= 0:
        return 0.0
    return max(0.0, min(1.0, item.bytes_done / item.size))


def sending(item: UploadItem) -> bool:
    """Bytes are on their way: only then do speed and time left mean something."""
    return item.state is UploadState.UPLOADING


class FileRow:
    """One file's row: the item plus what only the live view knows (speed, time left)."""

    __slots__ = ("item", "speed", "eta")

    def __init__(self, item: UploadItem) -> None:
        self.item = item
        self.speed = 0.0
        self.eta: float | None = None


def file_data(row: FileRow, col: int, role: int) -> object:
    """What a file's cell shows for ``role``."""
    item = row.item
    if role == Qt.ItemDataRole.DisplayRole:
        return file_text(row, col)
    if role == Role.ITEM:
        return item
    if role == Role.STATE:
        return item.state
    if role == Role.PROGRESS:
        # A file that did not go shows no bar: a full one would read as done.
        return None if item.state in NOT_SENT else fraction(item)
    if role == Qt.ItemDataRole.DecorationRole and col == COL_STATUS:
        return failed_icon() if item.state is UploadState.FAILED else None
    if role == Role.SORT:
        return file_sort_value(row, col)
    if role == Qt.ItemDataRole.ToolTipRole:
        return file_tooltip(item, col)
    if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_SIZE, COL_SPEED, COL_ETA):
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return None


def file_tooltip(item: UploadItem, col: int) -> str | None:
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


def file_text(row: FileRow, col: int) -> str:
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
        return f"{fraction(item) * 100:.0f}%"
    if col == COL_SPEED:
        return f"{format_size(row.speed)}/s" if sending(item) and row.speed else ""
    if col == COL_ETA:
        return format_duration(row.eta) if sending(item) else ""
    if col == COL_STATUS:
        if item.state is UploadState.FAILED:
            return f"{FAILED_PREFIX} — {explain(item.error, item).what}"
        if item.state is UploadState.DONE and item.procore_name:
            return f"{item.state} — saved as {item.procore_name}"
        return str(item.state)
    return ""


def file_sort_value(row: FileRow, col: int) -> object:
    item = row.item
    if col == COL_SIZE:
        return item.size
    if col == COL_PROGRESS:
        return fraction(item)
    if col == COL_SPEED:
        return row.speed if sending(item) else 0.0
    if col == COL_ETA:
        return row.eta if sending(item) and row.eta is not None else -1.0
    if col == COL_NAME:
        return item.name.casefold()
    return file_text(row, col).casefold()
