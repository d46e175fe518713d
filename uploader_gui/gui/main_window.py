"""The main window: destination on the left; drop zone, upload queue and actions on the right.

Built from explicit parts (engine, client, settings) so tests can build it against the sandbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (QAction, QCloseEvent, QDragEnterEvent, QDragLeaveEvent,
                           QDragMoveEvent, QDropEvent, QIcon, QKeySequence)
from PySide6.QtWidgets import (QMainWindow, QPushButton, QSplitter, QStackedWidget, QStyle,
                               QVBoxLayout, QWidget)

from uploader_gui import APP_NAME, autostart
from uploader_gui.auth.credentials import ClientCredentials, find_credentials
from uploader_gui.autostart import SETTING_KEY as START_KEY
from uploader_gui.auth.credentials import save_credentials as save_credentials_file
from uploader_gui.config import Settings
from uploader_gui.gui import background_saves
from uploader_gui.gui.account_corner import AccountCorner
from uploader_gui.gui.attention_bar import AttentionBar
from uploader_gui.gui.batch_news import BatchNews
from uploader_gui.gui.destination_bar import Browses, DestinationBar
from uploader_gui.gui.drop_zone import DropZone
from uploader_gui.gui.history_window import HistoryWindow
from uploader_gui.gui.menus import add_menu, add_toolbar, make_action
from uploader_gui.gui.notice_bar import NoticeBar, demo_banner
from uploader_gui.gui.pace_line import PaceLabel
from uploader_gui.gui.queue_actions import QueueActions
from uploader_gui.gui.close_question import CloseChoice, ask_close_choice
from uploader_gui.gui.queue_model import QueueModel
from uploader_gui.gui.queue_view import QueueView
from uploader_gui.gui.totals_bar import TotalsBar
from uploader_gui.gui.same_name import ASK_KEY, SameNameCheck
from uploader_gui.gui.signals import emit
from uploader_gui.gui.settings_dialog import SettingsDialog
from uploader_gui.gui.sign_in_screen import SignInScreen
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.gui.tray import NOTIFY_KEY, Tray
from uploader_gui.gui.waiting_drop import WaitingForDestination
from uploader_gui.gui.upload_queue import UploadQueue
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.environments import ADOPT_BUTTON, api_key
from uploader_gui.transfer.model import ConflictPolicy, Destination, UploadItem, UploadState

log = logging.getLogger(__name__)


def same_procore(settings: Settings, client: object) -> bool:
    """The remembered destination was chosen on the Procore ``client`` talks to."""
    return settings.last_destination_api_base == api_key(str(getattr(client, "api_base", "")))


class MainWindow(QMainWindow):
    """The one window of the app."""

    #: The person asked to sign in / out; the app decides how (browser, pasted code).
    sign_in_requested = Signal()
    sign_out_requested = Signal()
    #: Emitted once the window has stopped its threads and may be destroyed.
    shut_down = Signal()

    def __init__(self, engine: UploadEngine, client: Browses | None, settings: Settings, *,
                 save_settings: Callable[[Settings], None] | None = None,
                 environment: str = "", demo_folder: Path | None = None,
                 icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(APP_NAME)  # the version is in Help → About
        self.setObjectName("mainWindow")
        if icon is not None:
            self.setWindowIcon(icon)
        self.settings = settings
        self._save_settings = save_settings
        self._environment = environment
        self._client = client
        self._closing = False
        self._is_shut_down = False
        #: Where the sign-in settings come from and go to (the demo has its own, fixed).
        self.credentials_in_use: Callable[[], ClientCredentials | None] = find_credentials
        self.save_credentials: Callable[[str, str, str], object] | None = save_credentials_file
        #: Adds or removes the app from the computer's start-up; the demo never does.
        self.set_start_with_computer: Callable[[bool], object] | None = \
            None if demo_folder is not None else autostart.set_enabled
        self.settings_dialog: SettingsDialog | None = None
        #: Called first when the window shuts down (e.g. to end a wait for the browser).
        self.before_shutdown: list[Callable[[], None]] = []

        self.tasks = TaskRunner(self)
        self.model = QueueModel(self)
        self.queue = UploadQueue(engine, self.model, self.tasks, settings, self)
        self.same_names = SameNameCheck(
            self.tasks, self, self.queue.add_paths,
            lambda: self.settings.conflict_policy,
            self._remember_conflict_policy, lambda text: self.show_notice(text), engine.items)
        self.same_names.asking = settings.extra.get(ASK_KEY, True) is not False
        self.tray = Tray(icon or QIcon(), self)
        self.tray.notifications = settings.extra.get(NOTIFY_KEY, True) is not False
        self.news = BatchNews(self.tray, self.statusBar())

        self._build_widgets(demo_folder)
        self._build_actions()
        self._connect()
        self.resize(1280, 720)
        self.setAcceptDrops(True)
        self.tray.show()

        self.set_client(client, self._remembered_destination())
        self.history_window = HistoryWindow(engine.journal, engine.api_base,
                                            settings.history_days, self.tasks, self)
        self.queue.batch_finished.connect(self.history_window.reload_if_shown)
        # The list of uploads lost some (damaged, emptied): say so at every start until the
        # person confirms having seen it.
        self._journal = engine.journal
        loss = engine.journal.loss
        if loss is not None:
            self.show_notice(str(loss))
            self.acknowledge_loss_button.show()
        self.queue.load()

    # -- building -----------------------------------------------------------------------------

    def _build_widgets(self, demo_folder: Path | None) -> None:
        self.destination_bar = DestinationBar(self.tasks, self)
        self.destination_bar.setMinimumWidth(260)
        self.drop_zone = DropZone(self)
        self.notice_bar = NoticeBar(self)
        self.notice_label = self.notice_bar.label

        self.table = QueueView(self.model, self)
        self.proxy = self.table.proxy

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.demo_banner = None if demo_folder is None else demo_banner(demo_folder, self)
        if self.demo_banner is not None:
            right_layout.addWidget(self.demo_banner)
        right_layout.addWidget(self.notice_bar)
        self.acknowledge_loss_button = QPushButton("I have seen this; do not show it again", self)
        self.acknowledge_loss_button.hide()
        self.acknowledge_loss_button.clicked.connect(self._acknowledge_loss)
        right_layout.addWidget(self.acknowledge_loss_button, 0, Qt.AlignmentFlag.AlignLeft)
        # While Procore's rate limit holds requests back, say so (the rows would look stuck).
        self.pace_label = PaceLabel(lambda: getattr(self._client, "pacer", None),
                                    self._files_to_go, self)
        right_layout.addWidget(self.pace_label)
        right_layout.addWidget(self.drop_zone)
        self.waiting_drop = WaitingForDestination(self)
        right_layout.addWidget(self.waiting_drop)
        self.attention_bar = AttentionBar(self)
        right_layout.addWidget(self.attention_bar)
        right_layout.addWidget(self.table, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.destination_bar)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 800])
        splitter.setChildrenCollapsible(False)
        self.uploads_page = splitter
        # Signed out, the window shows one clear screen instead of empty lists.
        self.sign_in_screen = SignInScreen(self)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.sign_in_screen)
        self.pages.addWidget(splitter)
        self.setCentralWidget(self.pages)

        self.totals_bar = TotalsBar(self.statusBar())
        self.counts_label = self.totals_bar.counts_label
        self.speed_label = self.totals_bar.speed_label
        self.overall_bar = self.totals_bar.overall_bar
        self.progress_label = self.totals_bar.progress_label
        self._update_totals()

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.add_files_action = make_action(self, "Add &files…", sp.SP_FileIcon,
                                            self.drop_zone.choose_files,
                                            QKeySequence.StandardKey.Open)
        self.add_folder_action = make_action(self, "Add f&older…", sp.SP_DirIcon,
                                             self.drop_zone.choose_folder, "Ctrl+Shift+O")
        self.queue_actions = qa = QueueActions(self, self.queue, self.table)
        self.settings_action = make_action(self, "&Settings…", sp.SP_FileDialogDetailedView,
                                           self.open_settings,
                                           QKeySequence.StandardKey.Preferences)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = make_action(self, "&Quit", None, self.quit_now,
                                       QKeySequence.StandardKey.Quit,
                                       "Quit; unfinished uploads continue at the next start")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.history_action = make_action(self, "&History…", sp.SP_FileDialogContentsView,
                                          lambda: self.history_window.open_and_load(), "Ctrl+H",
                                          "Find finished uploads again")

        toolbar = add_toolbar(self, [
            self.add_files_action, self.add_folder_action, None, qa.pause, qa.resume,
            qa.cancel, qa.retry, None, qa.pause_all, qa.resume_all, qa.remove_finished, None,
            qa.open_web, qa.show_file, None, self.settings_action])
        self.toolbar = toolbar
        self.account_bar = AccountCorner(self, self._environment)
        self.account_label = self.account_bar.label
        self.account_button = self.account_bar.button
        self.account_button.clicked.connect(self._account_clicked)
        add_menu(self, "&File", [self.add_files_action, self.add_folder_action, None,
                                 self.settings_action, None, self.quit_action])
        add_menu(self, "&Edit", [qa.pause, qa.resume, qa.cancel, qa.retry, qa.remove, None,
                                 qa.pause_all, qa.resume_all, qa.remove_finished])
        toolbar_action = toolbar.toggleViewAction()
        toolbar_action.setText("&Toolbar")
        self.view_menu = add_menu(self, "&View", [qa.open_web, qa.show_file, None,
                                                  self.history_action, toolbar_action])
        self.account_corner = self.account_bar.corner

    def _connect(self) -> None:
        self.sign_in_screen.sign_in_clicked.connect(lambda: emit(self.sign_in_requested))
        self.sign_in_screen.settings_clicked.connect(self.open_settings)
        self.model.totals_changed.connect(self._update_sign_in_waiting)
        self.drop_zone.paths_chosen.connect(self.add_paths)
        self.waiting_drop.confirmed.connect(self._add_to)
        self.drop_zone.refused.connect(lambda lines: self.show_notice(" ".join(lines)))
        self.destination_bar.destination_changed.connect(self._destination_changed)
        self.destination_bar.problem.connect(self.show_notice)
        self.destination_bar.dropped.connect(self._add_to)  # a drop on a tree folder
        self.queue.batch_finished.connect(lambda *_: self.destination_bar.refresh_contents())
        self.queue.notice.connect(self.show_notice)
        self.queue.older_waiting.connect(
            lambda: self.notice_bar.offer(ADOPT_BUTTON, self.queue.adopt_older))
        self.queue.added.connect(self._show_added)
        self.queue.item_failed.connect(self.news.item_failed)
        self.queue.batch_finished.connect(self.news.batch_finished)
        self.attention_bar.retry_all.connect(lambda: self.queue.retry(self._failed_ids()))
        self.attention_bar.show_only_failed.connect(self.table.show_only_failed)
        self.attention_bar.copy_details.connect(self.copy_failure_details)
        self.model.totals_changed.connect(self._update_totals)
        self.model.totals_changed.connect(self.queue_actions.update)
        self.tray.show_requested.connect(self.bring_back)
        self.tray.pause_all_requested.connect(self.queue.pause_all)
        self.tray.resume_all_requested.connect(self.queue.resume_all)
        self.tray.quit_requested.connect(self.quit_now)
        self.setTabOrder(self.destination_bar.company_combo, self.destination_bar.project_combo)
        self.setTabOrder(self.destination_bar.project_combo, self.destination_bar.tree)
        self.setTabOrder(self.destination_bar.tree, self.destination_bar.new_folder_button)
        self.setTabOrder(self.destination_bar.new_folder_button, self.drop_zone.add_files_button)
        self.setTabOrder(self.drop_zone.add_files_button, self.drop_zone.add_folder_button)
        self.setTabOrder(self.drop_zone.add_folder_button, self.table)

    # -- account ------------------------------------------------------------------------------

    def _remembered_destination(self, client: object = None) -> Destination | None:
        """The destination chosen last, when it was chosen on the Procore ``client`` (by
        default the window's) talks to."""
        if not self.settings.last_destination:
            return None
        if not same_procore(self.settings, client if client is not None else self._client):
            # Remembered for another Procore (or by a version that did not say which).
            log.info("the remembered destination belongs to another Procore; not used")
            return None
        try:
            return Destination.from_json(self.settings.last_destination)
        except (KeyError, ValueError, TypeError):
            log.warning("the remembered destination is unreadable; choose it again")
            return None

    def set_client(self, client: Browses | None, remembered: Destination | None = None) -> None:
        """Use a (new) signed-in client, or None when signed out. Signing in again comes back
        to the folder chosen last."""
        if client is not None and remembered is None:
            remembered = self._remembered_destination(client)
        self._client = client
        self.destination_bar.set_client(client, remembered)
        self.pages.setCurrentWidget(self.uploads_page if client is not None
                                    else self.sign_in_screen)
        if client is None:
            self.account_bar.signed_out()
            self._check_client_id()
            return
        self.account_bar.signed_in()
        me = getattr(client, "me", None)
        if me is not None:
            self.tasks.submit(me, self.account_bar.show_user,
                              lambda exc: log.info("could not read the signed-in user: %s", exc))

    @property
    def signed_in(self) -> bool:
        return self._client is not None

    @property
    def environment_label(self) -> str:
        """Which Procore the window talks to, as shown beside the account."""
        return self._environment

    def _check_client_id(self) -> None:
        """Whether a sign-in can start (the app's Client ID is known), read off the GUI thread."""
        def found(credentials: ClientCredentials | None) -> None:
            self.sign_in_screen.set_has_client_id(credentials is not None)

        self.tasks.submit(self.credentials_in_use, found,
                          lambda exc: self.sign_in_screen.set_has_client_id(False))

    def _update_sign_in_waiting(self) -> None:
        if self._client is None:
            self.sign_in_screen.set_waiting(sum(1 for it in self.model.items()
                                                if not it.state.finished))

    def resume_waiting_for_sign_in(self) -> None:
        """After a sign-in: continue the uploads that stopped for it."""
        self.queue.resume(self.queue.ids_in(UploadState.WAITING_SIGN_IN))

    def _account_clicked(self) -> None:
        if self._client is None:
            emit(self.sign_in_requested)
        else:
            emit(self.sign_out_requested)

    # -- adding -------------------------------------------------------------------------------

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Queue paths for the chosen destination; without one, they wait for the choice."""
        paths = [Path(p) for p in paths]
        if not paths:
            return
        destination = self.destination_bar.destination
        if destination is None or self.waiting_drop.paths:
            # Sent only when the person confirms the place (a click may be only a look).
            self.waiting_drop.add(paths)
            return
        self._add_to(paths, destination)

    def _add_to(self, paths: Sequence[Path], destination: Destination) -> None:
        """Queue paths, asking first about files whose names the folder already holds."""
        self.same_names.add(self._client, paths, destination)

    def _remember_conflict_policy(self, policy: ConflictPolicy) -> None:
        self.settings.conflict_policy = policy
        self.settings.extra[ASK_KEY] = False
        self._persist_settings()

    def _destination_changed(self, destination: Destination | None) -> None:
        self.waiting_drop.set_destination(destination)
        if destination is None:
            self.drop_zone.set_ready(False)
            return
        self.drop_zone.set_ready(True, str(destination))
        self.settings.last_destination = destination.to_json()
        self.settings.last_destination_api_base = api_key(str(getattr(self._client, "api_base",
                                                                      "")))
        self._persist_settings()

    def _show_added(self, result: Any) -> None:
        """Scroll to the rows a drop just added."""
        items = getattr(result, "items", [])
        if items:
            self.table.scroll_to_id(items[-1].id)

    # -- drag and drop anywhere on the window -------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.drop_zone.drag_enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.drop_zone.drag_enter(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_zone.drag_leave()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_zone.drop(event)

    # -- rows ---------------------------------------------------------------------------------

    def selected_items(self) -> list[UploadItem]:
        return self.table.selected_items()

    def selected_ids(self) -> list[int]:
        return [item.id for item in self.selected_items()]

    # -- status -------------------------------------------------------------------------------

    def _acknowledge_loss(self) -> None:
        self.acknowledge_loss_button.hide()
        self.show_notice("")
        # A file is removed: not on this thread.
        self.tasks.submit(self._journal.acknowledge_loss, None,
                          lambda exc: self.show_notice(f"Could not save that: {exc}"))

    def show_notice(self, text: str) -> None:
        self.notice_bar.show_text(text)

    def _files_to_go(self) -> int:
        totals = self.model.totals()
        return totals.queued + totals.uploading

    def _update_totals(self) -> None:
        totals = self.model.totals()
        self.totals_bar.show(totals)
        self.tray.set_status(str(totals))
        self.attention_bar.set_count(totals.failed)

    # -- failures -----------------------------------------------------------------------------

    def _failed_ids(self) -> list[int]:
        return self.queue.ids_in(UploadState.FAILED)

    def copy_failure_details(self) -> None:
        """Every failed upload, where it was going and why, on the clipboard (no secrets)."""
        self.news.copy_details([it for it in self.queue.service.items()
                                if it.state is UploadState.FAILED])

    # -- settings -----------------------------------------------------------------------------

    def open_settings(self) -> None:
        """Read the sign-in settings in use (a small file) off the GUI thread, then ask."""
        self.tasks.submit(self.credentials_in_use, self._show_settings,
                          lambda exc: self._show_settings(None))

    def _show_settings(self, credentials: ClientCredentials | None) -> None:
        dialog = SettingsDialog(self.settings, self, credentials=credentials,
                                credentials_editable=self.save_credentials is not None,
                                start_editable=self.set_start_with_computer is not None)
        self.settings_dialog = dialog
        try:
            if dialog.exec() != SettingsDialog.DialogCode.Accepted:
                return
            self.apply_settings(dialog.settings())
            entered = dialog.entered_credentials()
        finally:
            self.settings_dialog = None
            dialog.deleteLater()
        if entered is not None and self.save_credentials is not None:
            background_saves.save_credentials(self.tasks, self.save_credentials, entered,
                                              self.show_notice)

    def apply_settings(self, new: Settings) -> None:
        old = self.settings
        self.settings = new
        self.same_names.asking = new.extra.get(ASK_KEY, True) is not False
        self.tray.notifications = new.extra.get(NOTIFY_KEY, True) is not False
        self.queue.apply_settings(new)
        self._persist_settings()
        starting = new.extra.get(START_KEY) is True
        if starting != (old.extra.get(START_KEY) is True) and self.set_start_with_computer:
            background_saves.set_start_with_computer(self.tasks, self.set_start_with_computer,
                                                     starting, self.show_notice)
        if (old.environment, old.custom_api_base, old.custom_login_base) != \
                (new.environment, new.custom_api_base, new.custom_login_base):
            self.show_notice("The new Procore environment is used after you sign in again "
                             "(or restart the app).")

    def _persist_settings(self) -> None:
        if self._save_settings is None:
            return
        background_saves.save_settings(self.tasks, self._save_settings, self.settings,
                                       self.show_notice)

    # -- closing ------------------------------------------------------------------------------

    def ask_close_choice(self) -> CloseChoice:
        """Ask whether to keep uploading in the tray; tests replace this."""
        return ask_close_choice(self, self.tray.available)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._closing and self.queue.busy:
            choice = self.ask_close_choice()
            if choice is CloseChoice.KEEP_IN_TRAY:
                event.ignore()
                self.hide()
                self.tray.notify("Still uploading", "Procore Uploader keeps uploading here. "
                                 "Choose Quit in this menu to stop.")
                return
            if choice is CloseChoice.STAY:
                event.ignore()
                return
        self.shutdown()
        event.accept()

    def bring_back(self) -> None:
        self.show()
        self.raise_()
        self.activateWindow()

    def quit_now(self) -> None:
        """Quit from the tray menu or on a stop signal: no question; uploads continue by
        themselves at the next start."""
        self._closing = True
        self.close()

    def quitting(self) -> None:
        """The application is about to close every window (the session ends): ask nothing."""
        self._closing = True

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop workers and background jobs (bounded); safe to call twice."""
        if self._is_shut_down:
            return True
        self._is_shut_down = True
        self._closing = True
        self.pace_label.stop()
        for hook in self.before_shutdown:
            hook()
        ok = self.queue.shutdown(timeout_ms)
        ok = self.tasks.shutdown(timeout_ms) and ok
        self.tray.close()
        emit(self.shut_down)
        return ok

