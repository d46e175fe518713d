"""The actions on the queue's rows (Pause, Resume, Cancel, Retry, Remove, Open, Show) and on
the whole queue, enabled by what the selected rows can do."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle

from uploader_gui.domain import UploadState
from uploader_gui.gui.menus import make_action
from uploader_gui.gui.queue_columns import Role
from uploader_gui.gui.queue_view import QueueView
from uploader_gui.gui.upload_queue import UploadQueue

OPEN_WEB_TIP = ("Open the file in Procore, in your web browser (the folder holding it while "
                "Procore has not yet given the file's own address)")
#: A slip of the mouse must not open 1,000 browser tabs or file windows.
MOST_OPENED = 10


class QueueActions:
    """Made on ``window`` (their shortcuts work wherever the focus is)."""

    def __init__(self, window: QMainWindow, queue: UploadQueue, view: QueueView) -> None:
        self._view = view
        self._window = window
        sp, key = QStyle.StandardPixmap, QKeySequence.StandardKey

        def selected() -> list[int]:
            return [item.id for item in view.selected_items()]

        self.pause = make_action(window, "&Pause", sp.SP_MediaPause,
                                 lambda: queue.pause(selected()), "Ctrl+P",
                                 "Pause the selected uploads")
        self.resume = make_action(window, "&Resume", sp.SP_MediaPlay,
                                  lambda: queue.resume(selected()), "Ctrl+R",
                                  "Resume the selected uploads")
        self.cancel = make_action(window, "&Cancel", sp.SP_DialogCancelButton,
                                  lambda: queue.cancel(selected()), key.Delete,
                                  "Cancel the selected uploads")
        self.retry = make_action(window, "Re&try", sp.SP_BrowserReload,
                                 lambda: queue.retry(selected()), "Ctrl+T",
                                 "Try the selected failed uploads again")
        self.pause_all = make_action(window, "Pause &all", sp.SP_MediaStop, queue.pause_all,
                                     "Ctrl+Shift+P")
        self.resume_all = make_action(window, "Resume a&ll", sp.SP_MediaSeekForward,
                                      queue.resume_all, "Ctrl+Shift+R")
        self.remove = make_action(window, "Re&move from list", sp.SP_TrashIcon,
                                  lambda: queue.remove(selected()), "Ctrl+Shift+Delete",
                                  "Remove the selected finished or failed uploads from the list")
        self.remove_finished = make_action(window, "Remove &finished", sp.SP_DialogResetButton,
                                           queue.remove_finished, "Ctrl+Shift+D",
                                           "Remove finished uploads from the list")
        # The file's own address once Procore gave it (file_url), else its folder's.
        self.open_web = make_action(window, "Open in Pro&core", sp.SP_DriveNetIcon,
                                    self.open_in_procore, "Ctrl+Shift+W", OPEN_WEB_TIP)
        self.open_web.setStatusTip(OPEN_WEB_TIP)
        self.show_file = make_action(window, "Show &local file", sp.SP_DirOpenIcon,
                                     self.show_local_folders, "Ctrl+Shift+L")
        self.on_rows = [self.pause, self.resume, self.cancel, self.retry, self.remove,
                        self.open_web, self.show_file]
        view.selectionModel().selectionChanged.connect(self.update)
        view.customContextMenuRequested.connect(self.context_menu)
        view.doubleClicked.connect(self._double_clicked)
        self.update()

    def update(self) -> None:
        items = self._view.selected_items()
        states = {item.state for item in items}
        self.pause.setEnabled(any(not s.finished and s is not UploadState.PAUSED
                                  for s in states))
        self.resume.setEnabled(any(s.resumable for s in states))
        self.cancel.setEnabled(any(not s.finished for s in states))
        self.retry.setEnabled(any(s.retryable for s in states))
        self.open_web.setEnabled(any(item.file_url or item.web_url for item in items))
        self.show_file.setEnabled(bool(items))
        self.remove.setEnabled(any(s.finished for s in states))

    def context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self._window)
        for action in (*self.on_rows, self.remove_finished):
            menu.addAction(action)
        menu.popup(self._view.viewport().mapToGlobal(pos))

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.data(Role.ITEM) is not None:  # a folder row opens (or closes) instead
            self.open_in_procore()

    def open_in_procore(self) -> None:
        for item in self._view.selected_items()[:MOST_OPENED]:
            address = item.file_url or item.web_url
            if address:
                QDesktopServices.openUrl(QUrl(address))

    def show_local_folders(self) -> None:
        folders = {item.path.parent for item in self._view.selected_items()}
        for folder in list(folders)[:MOST_OPENED]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
