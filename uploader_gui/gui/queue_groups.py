"""A dropped folder as one row of the queue: its files summed into one state, one bar, one line.

"Job 4411", then in its status "Uploading — 17 of 20 files · 312.0 MB of 447.0 MB · about 3 min
left" or "All done · 20 files", "Failed — 2 need attention · 17 of 20 files done", "Waiting for
the connection · 5 of 20 files done", "Paused · ..."; the files are the row's children, shown
as today's rows. (The name column is narrow and cut in its middle: the counts live in the
status, which has the room.)
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyle

from uploader_gui.domain import Destination, DestinationKind, UploadItem, UploadState
from uploader_gui.gui.queue_columns import (COL_DESTINATION, COL_ETA, COL_NAME, COL_PROGRESS,
                                            COL_SIZE, COL_SPEED, COL_STATUS, FAILED_PREFIX,
                                            FileRow, QueueTotals, Role, about, failed_icon,
                                            format_duration, format_size, style_icon)

#: Which folder drop a file belongs to: where it goes and the dropped folder's name.
GroupKey = tuple[Destination, str]


def group_key(item: UploadItem) -> GroupKey | None:
    """None for a file dropped on its own (it stays a row of its own)."""
    if not item.subfolders:
        return None
    return item.destination, item.subfolders[0]


class FolderGroup:
    """The files of one dropped folder, in the order added, and their sums (kept current by
    :meth:`refresh`, so painting never walks thousands of files)."""

    __slots__ = ("key", "number", "rows", "position", "totals", "state")

    def __init__(self, key: GroupKey, number: int) -> None:
        self.key = key
        #: Names the group in its children's model indexes (never 0: 0 is the top level).
        self.number = number
        self.rows: list[FileRow] = []
        #: upload id -> index in ``rows``.
        self.position: dict[int, int] = {}
        self.totals = QueueTotals()
        self.state = UploadState.QUEUED

    @property
    def name(self) -> str:
        return self.key[1]

    def reindex(self) -> None:
        self.position = {row.item.id: i for i, row in enumerate(self.rows)}

    def refresh(self) -> None:
        totals = QueueTotals()
        for row in self.rows:
            totals.count(row)
        self.totals = totals
        self.state = summed_state(totals)

    def items(self) -> list[UploadItem]:
        return [row.item for row in self.rows]

    # -- the row's cells ----------------------------------------------------------------------

    def data(self, col: int, role: int) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(col)
        if role == Role.STATE:
            return self.state
        if role == Role.FILES:
            return self.items()
        if role == Role.PROGRESS:
            return self.totals.fraction if self.totals.bytes_total else None
        if role == Role.SORT:
            return self.sort_value(col)
        if role == Qt.ItemDataRole.DecorationRole:
            if col == COL_NAME:
                return style_icon(QStyle.StandardPixmap.SP_DirIcon)
            if col == COL_STATUS and self.state is UploadState.FAILED:
                return failed_icon()
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == COL_NAME:
                return f"{self.name} — {self.text(COL_STATUS)}"
            if col == COL_DESTINATION:
                return self.where()
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (COL_SIZE, COL_SPEED, COL_ETA):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def text(self, col: int) -> str:
        t = self.totals
        if col == COL_NAME:
            return self.name
        if col == COL_SIZE:
            return format_size(t.bytes_total)
        if col == COL_DESTINATION:
            return self.where(within_project=True)
        if col == COL_PROGRESS:
            return f"{t.fraction * 100:.0f}%" if t.bytes_total else "Not uploaded"
        if col == COL_SPEED:
            return f"{format_size(t.speed)}/s" if t.uploading and t.speed > 0 else ""
        if col == COL_ETA:
            return format_duration(t.unsent / t.speed) if t.uploading and t.speed > 0 else ""
        if col == COL_STATUS:
            return status_words(t, self.state)
        return ""

    def sort_value(self, col: int) -> object:
        t = self.totals
        if col == COL_NAME:
            return self.name.casefold()
        if col == COL_SIZE:
            return t.bytes_total
        if col == COL_PROGRESS:
            return t.fraction
        if col == COL_SPEED:
            return t.speed if t.uploading else 0.0
        if col == COL_ETA:
            return t.unsent / t.speed if t.uploading and t.speed > 0 else -1.0
        return self.text(col).casefold()

    def where(self, within_project: bool = False) -> str:
        destination, name = self.key
        where = " / ".join([str(destination), name])
        if within_project and destination.kind is not DestinationKind.COMPANY_FOLDER \
                and " / " in where:
            return where.split(" / ", 1)[1]
        return where


def summed_state(t: QueueTotals) -> UploadState:
    """One state for the folder: what most needs saying first."""
    if t.uploading:
        return UploadState.UPLOADING
    if t.queued:
        return UploadState.QUEUED
    if t.waiting_sign_in:
        return UploadState.WAITING_SIGN_IN
    if t.waiting_network:
        return UploadState.WAITING_NETWORK
    if t.failed:
        return UploadState.FAILED
    if t.paused:
        return UploadState.PAUSED
    if t.cancelled and not t.done:
        return UploadState.CANCELLED
    return UploadState.DONE


def status_words(t: QueueTotals, state: UploadState) -> str:
    files = f"{t.done} of {t.files} file{'s' if t.files != 1 else ''}"
    attention = f"{t.failed} need{'s' if t.failed == 1 else ''} attention" if t.failed else ""
    if state is UploadState.UPLOADING:
        text = f"Uploading — {files} · {format_size(t.bytes_done)} of " \
               f"{format_size(t.bytes_total)}"
        if t.speed > 0:
            text += f" · about {about(t.unsent / t.speed)} left"
    elif state is UploadState.FAILED:
        # Starts as a failed file's status does, so "show only failed" keeps the folder.
        return f"{FAILED_PREFIX} — {attention} · {files} done"
    elif state is UploadState.DONE:
        text = f"All done · {t.files} file{'s' if t.files != 1 else ''}" if not t.cancelled \
            else f"Done · {files}, {t.cancelled} cancelled"
    else:
        text = f"{state} · {files} done"
    return f"{text} · {attention}" if attention else text

