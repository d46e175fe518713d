"""The main window: destination on the left; drop zone, upload queue and actions on the right.

Built from explicit parts (engine, client, settings) so tests can build it against the sandbox.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelection, QSortFilterProxyModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (QAction, QCloseEvent, QDesktopServices, QDragEnterEvent,
                           QDragLeaveEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QIcon,
                           QKeySequence, QResizeEvent)
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QMainWindow, QMenu,
                               QMessageBox, QProgressBar, QPushButton, QSplitter,
                               QStackedWidget, QStyle, QTableView, QToolBar, QVBoxLayout,
                               QWidget)

from uploader_gui.gui.signals import emit
from uploader_gui import APP_NAME, autostart
from uploader_gui.auth.credentials import ClientCredentials, find_credentials
from uploader_gui.autostart import SETTING_KEY as START_KEY
from uploader_gui.auth.credentials import save_credentials as save_credentials_file
from uploader_gui.config import Settings
from uploader_gui.gui.announce import announce
from uploader_gui.gui.attention_bar import AttentionBar
from uploader_gui.gui.destination_bar import Browses, DestinationBar
from uploader_gui.gui.drop_zone import DropZone
from uploader_gui.gui.failure_words import details_for, explain
from uploader_gui.gui.history_window import HistoryWindow
from uploader_gui.gui.menus import add_menu, fit_corner, put_account_in_menu_bar
from uploader_gui.gui.notice_bar import NoticeBar
from uploader_gui.gui.pace_line import pace_line
from uploader_gui.gui.progress_delegate import ProgressDelegate
from uploader_gui.gui.queue_model import (COL_DESTINATION, COL_ETA, COL_NAME, COL_PROGRESS,
                                          COL_SIZE, COL_SPEED, COL_STATUS, FAILED_PREFIX,
                                          QueueModel, Role, format_size)
from uploader_gui.gui.same_name import ASK_KEY, SameNameCheck
from uploader_gui.gui.settings_dialog import SettingsDialog
from uploader_gui.gui.status_delegate import StatusDelegate
from uploader_gui.gui.sign_in_screen import SignInScreen
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.gui.tray import NOTIFY_KEY, Tray
from uploader_gui.gui.waiting_drop import WaitingForDestination
from uploader_gui.gui.upload_queue import QueueEngine, UploadQueue
from uploader_gui.transfer.environments import api_key
from uploader_gui.transfer.model import ConflictPolicy, Destination, UploadItem, UploadState

log = logging.getLogger(__name__)

#: Below this queue width the per-file speed and time left columns are hidden.
NARROW_QUEUE = 900
MIN_STATUS_WIDTH = 140
OPEN_WEB_TIP = "Open the folder holding the file in Procore, in your web browser"


class CloseChoice(enum.Enum):
    #: Hide the window; uploads go on with the tray icon.
    KEEP_IN_TRAY = enum.auto()
    #: Stop everything and quit; the uploads continue by themselves at the next start.
    STOP = enum.auto()
    #: Do not close.
    STAY = enum.auto()


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

    def __init__(self, engine: QueueEngine, client: Browses | None, settings: Settings, *,
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
        self._failure_notified = False
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
        self.queue = UploadQueue(engine, self.model, self.tasks, settings.parallel_files, self)
        self.same_names = SameNameCheck(
            self.tasks, self, self.queue.add_paths,
            lambda: ConflictPolicy(self.settings.conflict_policy),
            self._remember_conflict_policy, lambda text: self.show_notice(text), engine.items)
        self.same_names.asking = settings.extra.get(ASK_KEY, True) is not False
        self.tray = Tray(icon or QIcon(), self)
        self.tray.notifications = settings.extra.get(NOTIFY_KEY, True) is not False

        self._build_widgets(demo_folder)
        self._build_actions()
        self._connect()
        self.resize(1280, 720)
        self.setAcceptDrops(True)
        self.tray.show()

        self.set_client(client, self._remembered_destination())
        self.history_window = HistoryWindow(engine.journal, str(getattr(engine, "api_base", "")),
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

        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(Role.SORT)
        self.table = QTableView(self)
        self.table.setObjectName("queue")
        self.table.setAccessibleName("Upload queue")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # added order until clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # "A-101 … Rev C.pdf", "Documents / … / Site visits": the ends are what differ.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.verticalHeader().hide()
        # Uniform rows: the view never measures 10,000 rows to lay them out.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 10)
        self.table.setItemDelegateForColumn(COL_PROGRESS, ProgressDelegate(self.table))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.setItemDelegateForColumn(COL_STATUS, StatusDelegate(self.table))
        for col, width in ((COL_NAME, 200), (COL_SIZE, 70), (COL_DESTINATION, 170),
                           (COL_PROGRESS, 110), (COL_STATUS, 240), (COL_SPEED, 80),
                           (COL_ETA, 80)):
            header.resizeSection(col, width)
        # The state stays in view in a small window: speed and time left give way first.
        header.moveSection(header.visualIndex(COL_STATUS), header.visualIndex(COL_PROGRESS) + 1)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        if demo_folder is not None:
            banner = QLabel(
                f"<b>Demo mode.</b> Nothing goes to the real Procore: uploads land in a "
                f"pretend Procore that keeps its files in "
                f"<a href=\"{QUrl.fromLocalFile(str(demo_folder)).toString()}\">"
                f"{demo_folder}</a>.", self)
            banner.setObjectName("demoBanner")
            banner.setWordWrap(True)
            banner.setOpenExternalLinks(True)
            banner.setAccessibleName("Demo mode notice")
            right_layout.addWidget(banner)
            self.demo_banner: QLabel | None = banner
        else:
            self.demo_banner = None
        right_layout.addWidget(self.notice_bar)
        self.acknowledge_loss_button = QPushButton("I have seen this; do not show it again", self)
        self.acknowledge_loss_button.hide()
        self.acknowledge_loss_button.clicked.connect(self._acknowledge_loss)
        right_layout.addWidget(self.acknowledge_loss_button, 0, Qt.AlignmentFlag.AlignLeft)
        # While Procore's rate limit holds requests back, say so (the rows would look stuck).
        self.pace_label = QLabel(self)
        self.pace_label.setObjectName("notice")
        self.pace_label.setWordWrap(True)
        self.pace_label.setAccessibleName("Procore's request limit")
        self.pace_label.hide()
        right_layout.addWidget(self.pace_label)
        self._pace_timer = QTimer(self)
        self._pace_timer.setInterval(1000)
        self._pace_timer.timeout.connect(self._update_pace)
        self._pace_timer.start()
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

        status = self.statusBar()
        self.counts_label = QLabel(self)
        self.counts_label.setAccessibleName("Upload counts")
        self.speed_label = QLabel(self)
        self.speed_label.setAccessibleName("Total speed")
        self.overall_bar = QProgressBar(self)
        self.overall_bar.setAccessibleName("Overall progress")
        self.overall_bar.setRange(0, 1000)
        self.overall_bar.setMaximumWidth(220)
        self.overall_bar.setFormat("%p%")
        self.progress_label = QLabel(self)
        self.progress_label.setAccessibleName("Total sent and time left")
        status.addWidget(self.counts_label, 1)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.speed_label)
        status.addPermanentWidget(self.overall_bar)
        self._update_totals()

    def _action(self, text: str, icon: QStyle.StandardPixmap | None, slot: Callable[[], Any],
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        native = QKeySequence.SequenceFormat.NativeText
        action.setToolTip(f"{tip or text.replace('&', '').rstrip('…')}"
                          + (f" ({action.shortcut().toString(native)})"
                             if shortcut is not None else ""))
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.add_files_action = self._action("Add &files…", sp.SP_FileIcon,
                                             self.drop_zone.choose_files,
                                             QKeySequence.StandardKey.Open)
        self.add_folder_action = self._action("Add f&older…", sp.SP_DirIcon,
                                              self.drop_zone.choose_folder, "Ctrl+Shift+O")
        self.pause_action = self._action("&Pause", sp.SP_MediaPause,
                                         lambda: self.queue.pause(self.selected_ids()), "Ctrl+P",
                                         "Pause the selected uploads")
        self.resume_action = self._action("&Resume", sp.SP_MediaPlay,
                                          lambda: self.queue.resume(self.selected_ids()),
                                          "Ctrl+R", "Resume the selected uploads")
        self.cancel_action = self._action("&Cancel", sp.SP_DialogCancelButton,
                                          lambda: self.queue.cancel(self.selected_ids()),
                                          QKeySequence.StandardKey.Delete,
                                          "Cancel the selected uploads")
        self.retry_action = self._action("Re&try", sp.SP_BrowserReload,
                                         lambda: self.queue.retry(self.selected_ids()), "Ctrl+T",
                                         "Try the selected failed uploads again")
        self.pause_all_action = self._action("Pause &all", sp.SP_MediaStop,
                                             self.queue.pause_all, "Ctrl+Shift+P")
        self.resume_all_action = self._action("Resume a&ll", sp.SP_MediaSeekForward,
                                              self.queue.resume_all, "Ctrl+Shift+R")
        self.remove_action = self._action("Re&move from list", sp.SP_TrashIcon,
                                          lambda: self.queue.remove(self.selected_ids()),
                                          "Ctrl+Shift+Delete",
                                          "Remove the selected finished or failed uploads "
                                          "from the list")
        self.remove_finished_action = self._action("Remove &finished", sp.SP_DialogResetButton,
                                                   self.queue.remove_finished, "Ctrl+Shift+D",
                                                   "Remove finished uploads from the list")
        # The link opens the folder holding the file; History opens the file itself.
        self.open_web_action = self._action("Open folder in Pro&core", sp.SP_DriveNetIcon,
                                            self.open_selected_in_procore, "Ctrl+Shift+W",
                                            OPEN_WEB_TIP)
        self.open_web_action.setStatusTip(OPEN_WEB_TIP)
        self.show_file_action = self._action("Show &local file", sp.SP_DirOpenIcon,
                                             self.show_selected_file, "Ctrl+Shift+L")
        self.history_action = self._action("&History…", sp.SP_FileDialogContentsView,
                                           lambda: self.history_window.open_and_load(), "Ctrl+H",
                                           "Find finished uploads again")
        self.settings_action = self._action("&Settings…", sp.SP_FileDialogDetailedView,
                                            self.open_settings,
                                            QKeySequence.StandardKey.Preferences)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.quit_action = self._action("&Quit", None, self.quit_now,
                                        QKeySequence.StandardKey.Quit,
                                        "Quit; unfinished uploads continue at the next start")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        toolbar = QToolBar("Actions", self)
        toolbar.setObjectName("actions")
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.add_files_action, self.add_folder_action, None, self.pause_action,
                       self.resume_action, self.cancel_action, self.retry_action, None,
                       self.pause_all_action, self.resume_all_action,
                       self.remove_finished_action, None, self.open_web_action,
                       self.show_file_action, None, self.settings_action):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        self.addToolBar(toolbar)
        for action in toolbar.actions():  # Tab reaches the toolbar, not only the mouse
            button = toolbar.widgetForAction(action)
            if button is not None and not action.isSeparator():
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.toolbar = toolbar
        self.account_label = QLabel(self)
        self.account_label.setAccessibleName("Signed-in user")
        self.account_button = QPushButton("Sign &in", self)
        self.account_button.setAccessibleName("Sign in to Procore")
        self.account_button.clicked.connect(self._account_clicked)
        add_menu(self, "&File", [self.add_files_action, self.add_folder_action, None,
                                 self.settings_action, None, self.quit_action])
        add_menu(self, "&Edit", [self.pause_action, self.resume_action, self.cancel_action,
                                 self.retry_action, self.remove_action, None,
                                 self.pause_all_action,
                                 self.resume_all_action, self.remove_finished_action])
        toolbar_action = toolbar.toggleViewAction()
        toolbar_action.setText("&Toolbar")
        self.view_menu = add_menu(self, "&View", [self.open_web_action, self.show_file_action,
                                                  None, self.history_action, toolbar_action])
        self.account_corner = put_account_in_menu_bar(self, self.account_label,
                                                      self.account_button)

        self.row_actions = [self.pause_action, self.resume_action, self.cancel_action,
                            self.retry_action, self.remove_action, self.open_web_action,
                            self.show_file_action]
        self._update_actions()

    def _connect(self) -> None:
        self.sign_in_screen.sign_in_clicked.connect(lambda: emit(self.sign_in_requested))
        self.sign_in_screen.settings_clicked.connect(self.open_settings)
        self.model.totals_changed.connect(self._update_sign_in_waiting)
        self.drop_zone.paths_chosen.connect(self.add_paths)
        self.waiting_drop.confirmed.connect(self._add_to)
        self.drop_zone.refused.connect(lambda lines: self.show_notice(" ".join(lines)))
        self.destination_bar.destination_changed.connect(self._destination_changed)
        self.destination_bar.problem.connect(self.show_notice)
        self.queue.notice.connect(self.show_notice)
        self.queue.added.connect(self._show_added)
        self.queue.item_failed.connect(self._item_failed)
        self.queue.batch_finished.connect(self._batch_finished)
        self.attention_bar.retry_all.connect(lambda: self.queue.retry(self._failed_ids()))
        self.attention_bar.show_only_failed.connect(self._show_only_failed)
        self.attention_bar.copy_details.connect(self.copy_failure_details)
        self.model.totals_changed.connect(self._update_totals)
        self.model.totals_changed.connect(self._update_actions)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _index: self.open_selected_in_procore())
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
        env = f" · {self._environment}" if self._environment else ""
        self.pages.setCurrentWidget(self.uploads_page if client is not None
                                    else self.sign_in_screen)
        if client is None:
            self._account_text(f"Not signed in{env}")
            self.account_button.setText("Sign &in")
            self.account_button.setAccessibleName("Sign in to Procore")
            self._check_client_id()
            return
        self.account_button.setText("Sign &out")
        self.account_button.setAccessibleName("Sign out of Procore")
        self._account_text(f"Signed in{env}")
        me = getattr(client, "me", None)
        if me is not None:
            self.tasks.submit(me, lambda info: self._show_user(info, env),
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

    def _account_text(self, text: str) -> None:
        self.account_label.setText(text)
        fit_corner(self)

    def _show_user(self, info: dict[str, Any], env: str) -> None:
        name = info.get("name") or info.get("login") or "unknown user"
        self._account_text(f"Signed in as {name}{env}")

    def _update_sign_in_waiting(self) -> None:
        if self._client is None:
            self.sign_in_screen.set_waiting(sum(1 for it in self.model.items()
                                                if not it.state.finished))

    def resume_waiting_for_sign_in(self) -> None:
        """After a sign-in: continue the uploads that stopped for it."""
        self.queue.resume([it.id for it in self.model.items()
                           if it.state is UploadState.WAITING_SIGN_IN])

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
        self.settings.conflict_policy = policy.value
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
        if not items:
            return
        row = self.model.row_of(items[-1].id)
        if row is not None:
            self.table.scrollTo(self.proxy.mapFromSource(self.model.index(row, 0)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # Narrow: per-file speed and time left give way (the status bar keeps the totals).
        narrow = self.table.viewport().width() < NARROW_QUEUE
        for col in (COL_SPEED, COL_ETA):
            if self.table.isColumnHidden(col) != narrow:
                self.table.setColumnHidden(col, narrow)
        if narrow:  # and the status takes what is left, so it ends inside the view
            header = self.table.horizontalHeader()
            left = self.table.viewport().width() - header.sectionPosition(COL_STATUS)
            header.resizeSection(COL_STATUS, max(MIN_STATUS_WIDTH, left))

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
        rows = self.table.selectionModel().selectedRows()
        return [self.proxy.data(index, Role.ITEM) for index in rows]

    def selected_ids(self) -> list[int]:
        return [item.id for item in self.selected_items()]

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_actions()

    def _update_actions(self) -> None:
        items = self.selected_items() if hasattr(self, "table") else []
        states = {item.state for item in items}
        self.pause_action.setEnabled(any(not s.finished and s is not UploadState.PAUSED
                                         for s in states))
        self.resume_action.setEnabled(any(s.resumable for s in states))
        self.cancel_action.setEnabled(any(not s.finished for s in states))
        self.retry_action.setEnabled(any(s.retryable for s in states))
        self.open_web_action.setEnabled(any(item.web_url for item in items))
        self.show_file_action.setEnabled(bool(items))
        self.remove_action.setEnabled(any(s.finished for s in states))

    def _context_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        for action in (*self.row_actions, self.remove_finished_action):
            menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def open_selected_in_procore(self) -> None:
        for item in self.selected_items()[:10]:  # a slip of the mouse must not open 1,000 tabs
            if item.web_url:
                QDesktopServices.openUrl(QUrl(item.web_url))

    def show_selected_file(self) -> None:
        folders = {item.path.parent for item in self.selected_items()}
        for folder in list(folders)[:5]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- status -------------------------------------------------------------------------------

    def _acknowledge_loss(self) -> None:
        self.acknowledge_loss_button.hide()
        self.show_notice("")
        # A file is removed: not on this thread.
        self.tasks.submit(self._journal.acknowledge_loss, None,
                          lambda exc: self.show_notice(f"Could not save that: {exc}"))

    def show_notice(self, text: str) -> None:
        self.notice_bar.show_text(text)

    def _update_pace(self) -> None:
        """Once a second: what the client's pacer holds back (a lock, no I/O)."""
        totals = self.model.totals()
        text = pace_line(getattr(self._client, "pacer", None),
                         totals.queued + totals.uploading)
        if text != self.pace_label.text():
            self.pace_label.setText(text)
            self.pace_label.setVisible(bool(text))

    def _update_totals(self) -> None:
        totals = self.model.totals()
        self.counts_label.setText(str(totals))
        self.progress_label.setText(totals.progress_text())
        # No speed while nothing is moving: "0 bytes/s" reads as broken.
        self.speed_label.setText(f"{format_size(totals.speed)}/s"
                                 if totals.uploading and totals.speed > 0 else "")
        self.overall_bar.setValue(int(totals.fraction * 1000))
        self.tray.set_status(str(totals))
        self.attention_bar.set_count(totals.failed)

    def _item_failed(self, item: UploadItem) -> None:
        if not self._failure_notified:  # one balloon per batch; the batch notice counts them
            self._failure_notified = True
            self.tray.notify("Upload failed", f"{item.name}: {explain(item.error, item)}",
                             failure=True)

    # -- failures -----------------------------------------------------------------------------

    def _failed_ids(self) -> list[int]:
        return [it.id for it in self.model.items() if it.state is UploadState.FAILED]

    def _show_only_failed(self, only: bool) -> None:
        self.proxy.setFilterKeyColumn(COL_STATUS)
        self.proxy.setFilterRegularExpression(f"^{FAILED_PREFIX}" if only else "")

    def copy_failure_details(self) -> None:
        """Every failed upload, where it was going and why, on the clipboard (no secrets)."""
        failed = [it for it in self.model.items() if it.state is UploadState.FAILED]
        QGuiApplication.clipboard().setText(details_for(failed))
        self.statusBar().showMessage("Details copied: paste them into an e-mail to your "
                                     "Procore administrator.", 10000)

    def _batch_finished(self, done: int, failed: int) -> None:
        self._failure_notified = False
        text = f"{done} file{'s' if done != 1 else ''} uploaded"
        if failed:
            text += f", {failed} failed"
        self.tray.notify("Uploads finished", text + ".", failure=bool(failed))
        self.statusBar().showMessage(text + ".", 10000)
        announce(self.statusBar(), text + ".", urgent=bool(failed))

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
            save = self.save_credentials
            self.tasks.submit(lambda: save(*entered),
                              lambda _: self.show_notice("Sign-in settings saved. Choose Sign "
                                                         "in to use them"),
                              lambda exc: self.show_notice(
                                  f"Sign-in settings not saved: {_disk_problem(exc)}"))

    def apply_settings(self, new: Settings) -> None:
        old = self.settings
        self.settings = new
        self.same_names.asking = new.extra.get(ASK_KEY, True) is not False
        self.tray.notifications = new.extra.get(NOTIFY_KEY, True) is not False
        self.queue.apply_settings(new)
        self._persist_settings()
        starting = new.extra.get(START_KEY) is True
        if starting != (old.extra.get(START_KEY) is True):
            self._change_start_with_computer(starting)
        if (old.environment, old.custom_api_base, old.custom_login_base) != \
                (new.environment, new.custom_api_base, new.custom_login_base):
            self.show_notice("The new Procore environment is used after you sign in again "
                             "(or restart the app).")

    def _change_start_with_computer(self, enabled: bool) -> None:
        """Add or remove the entry the system starts the app from (a file or the registry)."""
        change = self.set_start_with_computer
        if change is None:
            return
        self.tasks.submit(lambda: change(enabled), None,
                          lambda exc: self.show_notice(
                              "Could not change whether the app opens with the computer: "
                              f"{_disk_problem(exc)}"))

    def _persist_settings(self) -> None:
        if self._save_settings is None:
            return
        snapshot, save = self.settings, self._save_settings
        self.tasks.submit(lambda: save(snapshot), None,
                          lambda exc: self.show_notice(
                              f"Settings could not be saved: {_disk_problem(exc)}"))

    # -- closing ------------------------------------------------------------------------------

    def ask_close_choice(self) -> CloseChoice:
        """Ask whether to keep uploading in the tray; tests replace this."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Uploads are still running")
        box.setText("Files are still uploading. What would you like to do?")
        box.setInformativeText("Either way nothing is lost: stopped uploads continue where they "
                               "left off the next time you open the app.")
        keep = box.addButton("Keep uploading in the background",
                             QMessageBox.ButtonRole.AcceptRole) if self.tray.available else None
        stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Don't close", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep or stop)
        box.exec()
        clicked = box.clickedButton()
        if keep is not None and clicked is keep:
            return CloseChoice.KEEP_IN_TRAY
        if clicked is stop:
            return CloseChoice.STOP
        return CloseChoice.STAY

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
        self._pace_timer.stop()
        for hook in self.before_shutdown:
            hook()
        ok = self.queue.shutdown(timeout_ms)
        ok = self.tasks.shutdown(timeout_ms) and ok
        self.tray.close()
        emit(self.shut_down)
        return ok


def _disk_problem(exc: BaseException) -> str:
    """Why a file of the app's own could not be written, without error numbers."""
    reason = getattr(exc, "strerror", None) or "the file could not be written"
    return (f"{reason[:1].lower()}{reason[1:]}. Check that the disk has room and try again; "
            "if it keeps happening, ask your IT support.")
