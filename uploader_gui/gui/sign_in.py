"""Sign in and sign out from the window: the browser sign-in run off the GUI thread.

The window's client and engine were built once around a :class:`SwitchableTokens`; signing in
hands it the new token source, signing out empties it. Uploads that stopped because Procore asked
for a new sign-in continue by themselves once someone has signed in (the engine restarts those
that belonged to another user).
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from uploader_gui.auth import session
from uploader_gui.auth.credentials import ClientCredentials, CredentialsMissing
from uploader_gui.auth.errors import LoginCancelled
from uploader_gui.auth.keyring_store import KeyringStore
from uploader_gui.auth.switchable import SwitchableTokens
from uploader_gui.config import Environment
from uploader_gui.gui.signals import emit
from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.procore.errors import ProcoreError
from uploader_gui.procore.tokens import TokenProvider

log = logging.getLogger(__name__)

#: How long the window waits for the browser before giving up on a sign-in.
BROWSER_WAIT = 600.0
NO_CLIENT_SETTINGS = (
    "This copy of Procore Uploader has not been set up for your company's Procore account yet. "
    "Ask your Procore administrator for the app's Client ID and Client Secret and enter them "
    "in Settings, then choose Sign in again.")


class SignInController(QObject):
    """Runs Sign in / Sign out for one window and one environment."""

    #: A sign-in finished: the new token source (a TokenProvider).
    signed_in = Signal(object)
    signed_out = Signal()
    #: A sign-in could not finish: the message to show.
    failed = Signal(str)

    def __init__(self, tokens: SwitchableTokens, environment: Environment, tasks: TaskRunner,
                 parent: QWidget, *, store: KeyringStore | None = None,
                 credentials: Callable[[], ClientCredentials] | None = None,
                 open_browser: Callable[[str], object] = webbrowser.open,
                 ask_code: Callable[[str], str | None] | None = None) -> None:
        super().__init__(parent)
        self.tokens = tokens
        self.environment = environment
        self._tasks = tasks
        self._window = parent
        self._store = store
        self._credentials = credentials
        self._open_browser = open_browser
        self._ask_code = ask_code or self._ask_code_dialog
        self._attempt: session.LoginAttempt | None = None
        self._waiting_box: QMessageBox | None = None
        self._closed = False
        #: The text of the last message shown to the person (for the status line and tests).
        self.last_message: str | None = None

    @property
    def busy(self) -> bool:
        """A browser sign-in is under way."""
        return self._attempt is not None

    # -- signing in ---------------------------------------------------------------------------

    def sign_in(self) -> None:
        """Open the browser at Procore's sign-in page and wait (off the GUI thread)."""
        if self._attempt is not None or self._closed:
            if self._waiting_box is not None:
                self._waiting_box.raise_()
            return

        def begin() -> session.LoginAttempt:
            creds = self._credentials() if self._credentials is not None else None
            return session.begin_login(self.environment, self._open_browser,
                                       store=self._store, credentials=creds)

        self._tasks.submit(begin, self._begun, self._failed)

    def _begun(self, attempt: session.LoginAttempt) -> None:
        if self._closed:
            attempt.cancel()
            return
        self._attempt = attempt
        if attempt.oob:
            code = self._ask_code(attempt.authorize_url)
            if not code or not code.strip():
                attempt.cancel()
            else:
                attempt.complete_with_code(code)
        else:
            self._show_waiting(attempt.authorize_url)
        self._tasks.submit(lambda: attempt.wait(BROWSER_WAIT), self._finished, self._failed)

    def _finished(self, provider: TokenProvider) -> None:
        self._attempt = None
        self._close_waiting()
        self.tokens.replace(provider)
        notice = getattr(provider, "storage_notice", None)
        log.info("signed in from the window")
        emit(self.signed_in, provider)
        if notice:
            self._tell(QMessageBox.Icon.Information, "Signed in for this session only", notice)

    def _failed(self, exc: BaseException) -> None:
        self._attempt = None
        self._close_waiting()
        if isinstance(exc, LoginCancelled) or self._closed:
            log.info("sign-in cancelled")
            return
        if isinstance(exc, CredentialsMissing):
            message = NO_CLIENT_SETTINGS
        elif isinstance(exc, ProcoreError):
            message = exc.message
        else:
            log.error("sign-in failed: %s", type(exc).__name__)
            message = ("Signing in did not work. Choose Sign in to try again; if it keeps "
                       "failing, ask your IT support.")
        emit(self.failed, message)
        self._tell(QMessageBox.Icon.Warning, "Not signed in", message)

    def _tell(self, icon: QMessageBox.Icon, title: str, text: str) -> None:
        """A message that does not block the window (uploads keep showing progress)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self._window)
        box.setObjectName("signInMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_message = text
        box.open()

    def cancel(self) -> None:
        """Stop waiting for the browser (the listener closes; nothing is saved)."""
        attempt, self._attempt = self._attempt, None
        if attempt is not None:
            attempt.cancel()
        self._close_waiting()

    def _show_waiting(self, url: str) -> None:
        box = QMessageBox(self._window)
        box.setObjectName("signInWaiting")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("Sign in to Procore")
        box.setText("Finish signing in in your web browser.")
        box.setInformativeText("If no browser opened, copy this address into one:\n" + url)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setStandardButtons(QMessageBox.StandardButton.Cancel)
        box.rejected.connect(self.cancel)
        box.setModal(False)
        self._waiting_box = box
        box.show()

    def _close_waiting(self) -> None:
        box, self._waiting_box = self._waiting_box, None
        if box is not None:
            box.rejected.disconnect(self.cancel)
            box.close()
            box.deleteLater()

    def _ask_code_dialog(self, url: str) -> str | None:
        code, ok = QInputDialog.getText(
            self._window, "Sign in to Procore",
            "Your browser shows Procore's sign-in page (if not, open this address):\n"
            f"{url}\n\nAfter you allow access, Procore shows a code. Paste it here:",
            QLineEdit.EchoMode.Normal)
        return code if ok else None

    # -- signing out --------------------------------------------------------------------------

    def sign_out(self) -> None:
        """Revoke and forget the sign-in (off the GUI thread); uploads wait for a new one."""
        provider = self.tokens.current
        self.tokens.replace(None)

        def forget() -> Any:
            end = getattr(provider, "sign_out", None)
            if callable(end):
                end()  # revokes the tokens and clears the saved entry
                return None
            creds = self._credentials() if self._credentials is not None else None
            return session.sign_out(self.environment, store=self._store, credentials=creds)

        def done(_: object) -> None:
            emit(self.signed_out)

        def failed(exc: BaseException) -> None:
            # Forgotten here either way; only revoking at Procore may have failed.
            log.warning("sign-out could not reach Procore: %s", type(exc).__name__)
            emit(self.signed_out)

        self._tasks.submit(forget, done, failed)

    def close(self) -> None:
        """Before the window's threads stop: end any wait for the browser."""
        self._closed = True
        self.cancel()
