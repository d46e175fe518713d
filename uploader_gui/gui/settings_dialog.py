"""The Settings dialog: everyday choices (same-named files, files at the same time) on one page,
what an administrator sets up (segment size, environment, addresses, sign-in, logs) on another."""

from __future__ import annotations

import dataclasses
import logging

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QSpinBox, QTabWidget, QVBoxLayout, QWidget)

from uploader_gui.auth.credentials import DEFAULT_REDIRECT, ClientCredentials
from uploader_gui.autostart import SETTING_KEY as START_KEY
from uploader_gui.config import ENVIRONMENTS, Settings, log_dir
from uploader_gui.gui.same_name import ASK_KEY
from uploader_gui.gui.tray import NOTIFY_KEY
from uploader_gui.transfer.model import ConflictPolicy

log = logging.getLogger(__name__)

#: S3 refuses segments under 5 MiB (except the last).
MIN_SEGMENT_MIB = 5
MAX_SEGMENT_MIB = 1024
#: Where the log folder setting is kept in Settings.extra.
LOG_FOLDER_KEY = "log_folder"
CUSTOM = "custom"


class SettingsDialog(QDialog):
    """Edits a copy of the settings; :meth:`settings` returns the edited copy."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, *,
                 credentials: ClientCredentials | None = None,
                 credentials_editable: bool = True, start_editable: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._original = settings
        self.parallel = QSpinBox(self)
        self.parallel.setRange(1, 8)
        self.parallel.setValue(max(1, min(8, settings.parallel_files)))
        self.parallel.setAccessibleName("Files uploaded at the same time")
        self.segment = QSpinBox(self)
        self.segment.setRange(MIN_SEGMENT_MIB, MAX_SEGMENT_MIB)
        self.segment.setSuffix(" MB")
        self.segment.setValue(max(MIN_SEGMENT_MIB, min(MAX_SEGMENT_MIB,
                                                       settings.segment_size_mib)))
        self.segment.setAccessibleName("Segment size for large files")
        self.segment.setToolTip("Large files are sent in pieces of this size; a lost connection "
                                "costs at most one piece.")
        self.conflict = QComboBox(self)
        self.conflict.setAccessibleName("When a file of that name exists")
        for policy in ConflictPolicy:
            self.conflict.addItem(str(policy), policy.value)
        self.conflict.setCurrentIndex(
            max(0, self.conflict.findData(ConflictPolicy(settings.conflict_policy).value)))
        self.notify = QCheckBox("Show a notification when uploads finish or need attention",
                                self)
        self.notify.setChecked(settings.extra.get(NOTIFY_KEY, True) is not False)
        self.start_with_computer = QCheckBox("Open Procore Uploader when I sign in to this "
                                             "computer", self)
        self.start_with_computer.setChecked(settings.extra.get(START_KEY) is True)
        if not start_editable:
            self.start_with_computer.setEnabled(False)
            self.start_with_computer.setToolTip("The practice Procore is never opened with the "
                                                "computer.")
        self.ask_same_name = QCheckBox("Ask me each time, with this as the first choice", self)
        self.ask_same_name.setChecked(settings.extra.get(ASK_KEY, True) is not False)
        self.environment = QComboBox(self)
        self.environment.setAccessibleName("Procore environment")
        for name, env in ENVIRONMENTS.items():
            self.environment.addItem(f"{name.capitalize()} ({env.api_base})", name)
        self.environment.addItem("Custom address…", CUSTOM)
        env_name = CUSTOM if settings.custom_api_base else settings.environment
        self.environment.setCurrentIndex(max(0, self.environment.findData(env_name)))
        self.api_url = QLineEdit(settings.custom_api_base, self)
        self.api_url.setPlaceholderText("https://api.example.com")
        self.api_url.setAccessibleName("Custom API address")
        self.login_url = QLineEdit(settings.custom_login_base, self)
        self.login_url.setPlaceholderText("Same as the API address")
        self.login_url.setAccessibleName("Custom sign-in address")
        self.log_folder = QLineEdit(str(settings.extra.get(LOG_FOLDER_KEY) or ""), self)
        self.log_folder.setPlaceholderText(str(_default_log_dir()))
        self.log_folder.setAccessibleName("Log folder")
        browse = QPushButton("&Browse…", self)
        browse.setAccessibleName("Choose log folder")
        browse.clicked.connect(self._browse)
        log_row = QHBoxLayout()
        log_row.addWidget(self.log_folder, 1)
        log_row.addWidget(browse)

        self._build_sign_in_fields(credentials, credentials_editable)

        # Everyday choices first; what a Procore administrator or support sets up apart.
        everyday = QWidget(self)
        form = QFormLayout(everyday)
        form.addRow("When the &name exists:", self.conflict)
        form.addRow("", self.ask_same_name)
        form.addRow("&Files at the same time:", self.parallel)
        form.addRow("Notifications:", self.notify)
        form.addRow("Start with the computer:", self.start_with_computer)
        advanced = QWidget(self)
        more = QFormLayout(advanced)
        more.addRow(QLabel("Set up by your Procore administrator or IT support; most people "
                           "never change these.", advanced))
        more.addRow("&Segment size:", self.segment)
        more.addRow("&Environment:", self.environment)
        more.addRow("&API address:", self.api_url)
        more.addRow("Si&gn-in address:", self.login_url)
        log_label = QLabel("&Log folder:", advanced)
        log_label.setBuddy(self.log_folder)  # a row of several widgets gets no buddy itself
        more.addRow(log_label, log_row)
        more.addRow(QLabel("<b>Signing in to Procore</b>", advanced))
        more.addRow("In use:", self.credentials_in_use)
        more.addRow("Client &ID:", self.client_id)
        more.addRow("Client se&cret:", self.client_secret)
        more.addRow("&Redirect URI:", self.redirect_uri)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(everyday, "Everyday")
        self.tabs.addTab(advanced, "Advanced")
        self.everyday_page, self.advanced_page = everyday, advanced
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self.environment.currentIndexChanged.connect(self._environment_changed)
        self._environment_changed()

    def _build_sign_in_fields(self, current: ClientCredentials | None, editable: bool) -> None:
        if current is None:
            shown = "Not set up yet: nobody can sign in until these are entered."
        else:
            shown = f"Client ID {current.client_id}, from {current.source or 'this app'}"
        self.credentials_in_use = QLabel(shown, self)
        self.credentials_in_use.setWordWrap(True)
        self.client_id = QLineEdit(self)
        self.client_id.setAccessibleName("Client ID of the app registered with Procore")
        self.client_id.setPlaceholderText("Leave empty to keep what is in use")
        self.client_secret = QLineEdit(self)
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setAccessibleName("Client secret of the app registered with Procore")
        self.redirect_uri = QLineEdit(current.redirect_uri if current else DEFAULT_REDIRECT, self)
        self.redirect_uri.setAccessibleName("Redirect URI registered with Procore")
        for field in (self.client_id, self.client_secret, self.redirect_uri):
            field.setEnabled(editable)

    def entered_credentials(self) -> tuple[str, str, str] | None:
        """(client id, secret, redirect URI) when an administrator typed new ones, else None."""
        client_id, secret = self.client_id.text().strip(), self.client_secret.text().strip()
        if not client_id and not secret:
            return None
        return client_id, secret, self.redirect_uri.text().strip()

    def accept(self) -> None:
        entered = self.entered_credentials()
        if entered is not None and not (entered[0] and entered[1]):
            self.credentials_in_use.setText("Enter both the client ID and the client secret, "
                                            "or leave both empty.")
            return
        super().accept()

    def _environment_changed(self, *_: object) -> None:
        custom = self.environment.currentData() == CUSTOM
        self.api_url.setEnabled(custom)
        self.login_url.setEnabled(custom)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for log files",
                                                  self.log_folder.text())
        if folder:
            self.log_folder.setText(folder)

    def settings(self) -> Settings:
        """The settings as edited (a new object; the original is untouched)."""
        env = self.environment.currentData()
        custom = env == CUSTOM
        extra = dict(self._original.extra)
        extra[ASK_KEY] = self.ask_same_name.isChecked()
        extra[NOTIFY_KEY] = self.notify.isChecked()
        extra[START_KEY] = self.start_with_computer.isChecked()
        folder = self.log_folder.text().strip()
        if folder:
            extra[LOG_FOLDER_KEY] = folder
        else:
            extra.pop(LOG_FOLDER_KEY, None)
        return dataclasses.replace(
            self._original, parallel_files=self.parallel.value(),
            segment_size_mib=self.segment.value(),
            conflict_policy=ConflictPolicy(self.conflict.currentData()),
            environment=self._original.environment if custom else env,
            custom_api_base=self.api_url.text().strip() if custom else "",
            custom_login_base=self.login_url.text().strip() if custom else "", extra=extra)


def _default_log_dir() -> str:
    try:
        return str(log_dir())
    except OSError:  # a read-only home: show no hint rather than fail to open the dialog
        return ""
