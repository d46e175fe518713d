"""The History window: find a finished upload again, open or share its Procore link, show the
local file, export a transmittal log, clear the history (after a question).

Everything it reads or writes goes through the main window's TaskRunner; the GUI thread only
adapts the entries it gets back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QMenu, QMessageBox, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from uploader_gui.domain import UploadState
from uploader_gui.gui.history_model import (COL_FINISHED, COL_NAME, COL_SIZE, RESULT_WORDS,
                                            HistoryFilter, HistoryModel, Role, problem_words)
from uploader_gui.gui.notice_bar import NoticeBar
from uploader_gui.gui.signals import emit
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.journal import history_csv
from uploader_gui.journal.history import HistoryEntry

log = logging.getLogger(__name__)

#: At most this many links or folders are opened at once: a slip must not open 1,000 tabs.
MAX_OPEN = 10


class HistorySource(Protocol):
    """What the window needs of :class:`uploader_gui.journal.store.Journal`."""

    def history(self, api_base: str) -> list[HistoryEntry]: ...
    def clear_history(self, api_base: str) -> int: ...
    def prune_history(self, older_than_days: float) -> int: ...


class HistoryWindow(QWidget):
    """Every finished upload to the current Procore, kept for the configured days."""

    #: The history was read (number of uploads in it).
    loaded = Signal(int)
    #: A CSV was written (its path, the number of uploads in it).
    exported = Signal(str, int)

    def __init__(self, source: HistorySource, api_base: str, kept_days: int,
                 tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("History of uploads")
        self.setObjectName("historyWindow")
        self._source = source
        self._api_base = api_base
        self._kept_days = kept_days
        self._tasks = tasks
        #: The open "Export CSV" and "Clear history" questions (None when none is open).
        self.export_dialog: QFileDialog | None = None
        self.clear_question: QMessageBox | None = None
        #: Where the last CSV went, so the next one is offered beside it.
        self._export_dir = Path.home()

        self.model = HistoryModel(self)
        self.proxy = HistoryFilter(self)
        self.proxy.setSourceModel(self.model)
        self._build()
        self.resize(1100, 560)
        # Old history goes at start, off this thread (kept_days comes from Settings).
        tasks.submit(lambda: source.prune_history(kept_days), None,
                     lambda exc: log.warning("history could not be pruned: %s", exc))

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search by file name")
        self.search.setAccessibleName("Search by file name")
        self.search.setClearButtonEnabled(True)
        self.project_choice = QComboBox(self)
        self.project_choice.setAccessibleName("Project")
        self.project_choice.addItem("All projects", None)
        self.period_choice = QComboBox(self)
        self.period_choice.setAccessibleName("When")
        for text, days in (("Last 7 days", 7), ("Last 30 days", 30),
                           (f"All kept ({self._kept_days} days)", None)):
            self.period_choice.addItem(text, days)
        self.period_choice.setCurrentIndex(2)
        self.result_choice = QComboBox(self)
        self.result_choice.setAccessibleName("Result")
        self.result_choice.addItem("All results", None)
        for state, word in RESULT_WORDS.items():
            self.result_choice.addItem(word, state)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        filters.addWidget(self.project_choice, 2)
        filters.addWidget(self.period_choice, 1)
        filters.addWidget(self.result_choice, 1)

        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setAccessibleName("Finished uploads")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COL_FINISHED, Qt.SortOrder.DescendingOrder)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in ((COL_NAME, 240), (1, 160), (2, 280), (3, 150), (COL_FINISHED, 130),
                           (COL_SIZE, 80)):
            self.table.setColumnWidth(col, width)

        self.notice = NoticeBar(self)
        self.count_label = QLabel(self)
        self.count_label.setAccessibleName("Uploads shown")

        self.open_button = self._button("&Open in Procore", self.open_in_procore,
                                        "Open the file in Procore in your browser")
        self.copy_button = self._button("&Copy link", self.copy_link,
                                        "Copy the file's Procore address, to paste into an RFI "
                                        "or an email")
        self.show_button = self._button("&Show on this computer", self.show_on_computer,
                                        "Open the folder on this computer that holds the file")
        self.export_button = self._button("&Export CSV…", self.choose_export_file,
                                          "Save the selected uploads (or all those shown) as a "
                                          "CSV file for a transmittal log")
        self.clear_button = self._button("C&lear history…", self.ask_to_clear,
                                         "Forget this history (the files stay in Procore)")
        buttons = QHBoxLayout()
        for button in (self.open_button, self.copy_button, self.show_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        copy = QAction("Copy link", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.triggered.connect(self.copy_link)
        self.table.addAction(copy)
        find = QAction("Search", self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus())
        self.addAction(find)

        self.search.textChanged.connect(self._apply_filter)
        for combo in (self.project_choice, self.period_choice, self.result_choice):
            combo.currentIndexChanged.connect(self._apply_filter)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(lambda _index: self.open_in_procore())
        self.table.customContextMenuRequested.connect(self._context_menu)
        self._update_buttons()

    def _button(self, text: str, slot: Callable[[], None], tip: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    # -- loading ------------------------------------------------------------------------------

    def open_and_load(self) -> None:
        """Show the window (or bring it forward) and read the history again."""
        self.show()
        self.raise_()
        self.activateWindow()
        self.reload()

    def reload_if_shown(self, *_finished: object) -> None:
        """Uploads finished (a batch ended): read the history again when it is on screen."""
        if self.isVisible():
            self.reload()

    def reload(self) -> None:
        self.count_label.setText("Reading the history…")
        api_base = self._api_base
        self._tasks.submit(lambda: self._source.history(api_base), self._show_entries,
                           lambda exc: self._problem("The history could not be read", exc))

    def _show_entries(self, entries: Any) -> None:
        chosen = {e.upload_id for e in self.selected_entries()}
        self.model.set_entries(entries)
        self._fill_projects(entries)
        self._apply_filter()
        if chosen:  # read again while open: the same uploads stay selected
            flags = (QItemSelectionModel.SelectionFlag.Select
                     | QItemSelectionModel.SelectionFlag.Rows)
            for row in range(self.proxy.rowCount()):
                index = self.proxy.index(row, 0)
                if index.data(Role.ENTRY).upload_id in chosen:
                    self.table.selectionModel().select(index, flags)
        emit(self.loaded, len(entries))

    def _fill_projects(self, entries: list[HistoryEntry]) -> None:
        chosen = self.project_choice.currentData()
        projects = sorted({(e.project_id, e.project) for e in entries},
                          key=lambda p: p[1].lower())
        self.project_choice.blockSignals(True)
        try:
            self.project_choice.clear()
            self.project_choice.addItem("All projects", None)
            for project in projects:
                self.project_choice.addItem(project[1], project)
            self.project_choice.setCurrentIndex(max(0, self.project_choice.findData(chosen)))
        finally:
            self.project_choice.blockSignals(False)

    def _apply_filter(self) -> None:
        result = self.result_choice.currentData()
        self.proxy.set_filter(text=self.search.text(), project=self.project_choice.currentData(),
                              days=self.period_choice.currentData(),
                              result=result if isinstance(result, UploadState) else None)
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        noun = "upload" if total == 1 else "uploads"
        self.count_label.setText(f"{total} {noun}" if shown == total
                                 else f"{shown} of {total} {noun} shown")
        self._update_buttons()

    # -- the selection and its actions ----------------------------------------------------------

    def selected_entries(self) -> list[HistoryEntry]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [self.proxy.index(r, 0).data(Role.ENTRY) for r in rows]

    def shown_entries(self) -> list[HistoryEntry]:
        return [self.proxy.index(r, 0).data(Role.ENTRY) for r in range(self.proxy.rowCount())]

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected_entries()
        linked = any(e.link for e in chosen)
        self.open_button.setEnabled(linked)
        self.copy_button.setEnabled(linked)
        self.show_button.setEnabled(bool(chosen))
        self.export_button.setEnabled(self.proxy.rowCount() > 0)
        self.clear_button.setEnabled(self.model.rowCount() > 0)

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self)
        for button in (self.open_button, self.copy_button, self.show_button):
            action = menu.addAction(button.text().replace("&", ""), button.click)
            action.setEnabled(button.isEnabled())
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def open_in_procore(self) -> None:
        """Open each selected file in Procore (its own address, else its folder's)."""
        links = [e.link for e in self.selected_entries() if e.link]
        for link in links[:MAX_OPEN]:
            QDesktopServices.openUrl(QUrl(link))
        if len(links) > MAX_OPEN:
            self._say(f"Opened the first {MAX_OPEN} of {len(links)} files.")

    def copy_link(self) -> None:
        """Put the selected files' Procore addresses on the clipboard, one a line."""
        links = [e.link for e in self.selected_entries() if e.link]
        if not links:
            return
        QGuiApplication.clipboard().setText("\n".join(links))
        self._say("Link copied." if len(links) == 1 else f"{len(links)} links copied.")

    def show_on_computer(self) -> None:
        """Open the folders on this computer that hold the selected files."""
        folders = list(dict.fromkeys(e.path.parent for e in self.selected_entries()))
        for folder in folders[:MAX_OPEN]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- export -------------------------------------------------------------------------------

    def choose_export_file(self) -> None:
        """Ask where to save the CSV; the selected uploads, or all those shown."""
        name = time.strftime("Procore uploads %Y-%m-%d.csv")
        dialog = QFileDialog(self, "Export the history as CSV", str(self._export_dir / name),
                             "CSV files (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("csv")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self.export_to(Path(path)))
        dialog.finished.connect(lambda _result: setattr(self, "export_dialog", None))
        self.export_dialog = dialog
        dialog.open()

    def export_to(self, path: Path) -> None:
        """Write the CSV in the background (whole or not at all)."""
        entries = self.selected_entries() or self.shown_entries()
        self._export_dir = path.parent
        self._tasks.submit(lambda: history_csv.write(path, entries, problem_words),
                           lambda count: self._exported(path, count),
                           lambda exc: self._problem(f"{path.name} could not be saved", exc))

    def _exported(self, path: Path, count: int) -> None:
        self._say(f"Saved {count} upload{'s' if count != 1 else ''} to {path}.")
        emit(self.exported, str(path), count)

    # -- clearing -----------------------------------------------------------------------------

    def ask_to_clear(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Clear history",
                          "Clear the history of uploads to this Procore?", parent=self)
        box.setInformativeText("The files stay in Procore and the upload list is not changed. "
                               "The history cannot be brought back.")
        box.addButton("Clear history", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep it", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda button: self._clear_answered(button is not keep))
        box.finished.connect(lambda _result: setattr(self, "clear_question", None))
        self.clear_question = box
        box.open()

    def _clear_answered(self, clear: bool) -> None:
        if not clear:
            return
        api_base = self._api_base
        self._tasks.submit(lambda: self._source.clear_history(api_base),
                           self._cleared,
                           lambda exc: self._problem("The history could not be cleared", exc))

    def _cleared(self, _count: int) -> None:
        self._say("The history is cleared.")
        self.reload()

    # -- messages -----------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.notice.show_text(text)  # also read out by screen readers

    def _problem(self, what: str, exc: BaseException) -> None:
        log.warning("%s: %r", what, exc)
        reason = getattr(exc, "strerror", None) or str(exc) or "an unexpected problem"
        self._say(f"{what}: {reason}.")
