"""Sign in and sign out from the window, against the sandbox's OAuth routes over real sockets.

The "browser" is a small HTTP client that opens the sign-in page and presses Allow (the Chromium
test in tests/auth does the same with a real browser); the loopback listener, the code exchange,
the password store and the uploads are the app's own.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from auth.conftest import CLIENT_ID, CLIENT_SECRET, FakeUser
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from uploader_gui.auth import keyring_store, saved, session
from uploader_gui.auth.credentials import OOB_REDIRECT, ClientCredentials, CredentialsMissing
from uploader_gui.auth.keyring_store import KeyringStore, service_name
from uploader_gui.auth.switchable import SwitchableTokens
from uploader_gui.config import Settings, resolve_environment
from uploader_gui.demo import MemoryKeyring
from uploader_gui.gui import app as gui_app
from uploader_gui.gui.app import AppParts, build_window
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.gui.sign_in import NO_CLIENT_SETTINGS
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import ProcoreError
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import UploadState

from .conftest import documents_destination

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def no_sign_in_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PROCORE_UPLOADER_HOME", str(tmp_path / "home"))
    for name in ("PROCORE_ACCESS_TOKEN", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET",
                 "PROCORE_SERVICE_ACCOUNT", "PROCORE_API_BASE", "PROCORE_LOGIN_BASE"):
        monkeypatch.delenv(name, raising=False)
    keyring_store.forget_memory()
    yield
    keyring_store.forget_memory()


class Harness:
    """The window as app.main builds it, over the sandbox, with a chosen sign-in state."""

    def __init__(self, sandbox: Any, demo: Any, tmp_path: Path, redirect: str) -> None:
        self.sandbox, self.demo = sandbox, demo
        self.env = resolve_environment(api_base=sandbox.api_url)
        self.store = KeyringStore(service_name(self.env.api_base), backend=MemoryKeyring())
        self.creds = ClientCredentials(CLIENT_ID, CLIENT_SECRET, redirect, "test")
        self.user = FakeUser(sandbox)
        self.tokens = SwitchableTokens()
        self.client = ProcoreClient(sandbox.api_url, self.tokens)
        self.settings = Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_files=2,
                                 parallel_segments=2,
                                 last_destination=documents_destination(demo).to_json(),
                                 last_destination_api_base=sandbox.api_url)
        self.journal = Journal.open(tmp_path / "journal.sqlite3")
        self.engine = UploadEngine(self.client, self.journal, self.settings)
        self.window: MainWindow | None = None

    def sign_in_first(self) -> None:
        """Signed in before the window opens (a saved sign-in from an earlier run)."""
        attempt = session.begin_login(self.env, self.user, store=self.store,
                                      credentials=self.creds)
        self.tokens.replace(attempt.wait(30))

    def open(self, credentials: Callable[[], ClientCredentials] | None = None,
             ask_code: Callable[[str], str | None] | None = None) -> MainWindow:
        parts = AppParts(self.engine, self.client, self.settings, lambda s: None, "Sandbox",
                         self.tokens, self.env, store=self.store,
                         credentials=credentials or (lambda: self.creds))
        self.window = build_window(parts, open_browser=self.user, ask_code=ask_code)
        self.window.show()
        return self.window

    def close(self) -> None:
        if self.window is not None:
            assert self.window.shutdown(10_000)
            self.window.close()
            self.window.deleteLater()
        self.engine.close()
        self.journal.close()
        self.client.close()


@pytest.fixture
def harness(sandbox: Any, demo: Any, tmp_path: Path) -> Iterator[Harness]:
    made = Harness(sandbox, demo, tmp_path, f"http://localhost:{_free_port()}/callback")
    yield made
    made.close()


def _file(tmp_path: Path, name: str, size: int) -> Path:
    f = tmp_path / name
    f.write_bytes(os.urandom(size))
    return f


def _state(window: MainWindow) -> set[UploadState]:
    return {it.state for it in window.model.items()}


def test_sign_in_from_the_window_continues_the_uploads_waiting_for_it(
        harness: Harness, qtbot: QtBot, tmp_path: Path) -> None:
    f = _file(tmp_path, "plan.pdf", 6 * 1024 * 1024)
    harness.engine.add([f], documents_destination(harness.demo))  # left from an earlier run
    window = harness.open()
    assert "Not signed in" in window.account_label.text()
    qtbot.waitUntil(lambda: _state(window) == {UploadState.WAITING_SIGN_IN}, timeout=10_000)

    qtbot.mouseClick(window.account_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: "Signed in as Dana Rivera" in window.account_label.text(),
                    timeout=15_000)
    qtbot.waitUntil(lambda: _state(window) == {UploadState.DONE}, timeout=20_000)
    [doc] = [d for d in harness.sandbox.documents(project_id=harness.demo.project_ids[0])
             if d["name"] == "plan.pdf"]
    assert harness.sandbox.document_bytes(doc["id"]) == f.read_bytes()
    kept = saved.load(harness.store)
    assert kept is not None and kept.user_id == str(harness.demo.user_id)
    assert harness.user.landing is not None and harness.user.landing.status_code == 200


def test_out_of_band_code_pasted_in_the_window(sandbox: Any, demo: Any, tmp_path: Path,
                                               qtbot: QtBot) -> None:
    made = Harness(sandbox, demo, tmp_path, OOB_REDIRECT)
    pasted: list[str] = []

    def paste(url: str) -> str | None:
        # The person reads the code off the page the browser shows and pastes it.
        assert made.user.code_shown, "the sign-in page showed a code"
        pasted.append(url)
        return made.user.code_shown

    try:
        window = made.open(ask_code=paste)
        window.account_button.click()
        qtbot.waitUntil(lambda: "Signed in as Dana Rivera" in window.account_label.text(),
                        timeout=15_000)
        assert pasted and pasted[0].startswith(f"{made.env.login_base}/oauth/authorize?")
    finally:
        made.close()


def test_refused_refresh_asks_to_sign_in_again_and_uploads_then_finish(
        harness: Harness, qtbot: QtBot, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    harness.sign_in_first()
    asked: list[MainWindow] = []

    def ask(window: MainWindow) -> bool:  # the modal question, answered "Sign in now"
        asked.append(window)
        return True

    monkeypatch.setattr(gui_app, "_ask_sign_in_again", ask)
    window = harness.open()
    qtbot.waitUntil(lambda: "Signed in as" in window.account_label.text(), timeout=10_000)
    qtbot.waitUntil(lambda: window.destination_bar.destination is not None, timeout=10_000)
    # Someone else used the refresh token (single use), and the access token runs out.
    kept = saved.load(harness.store)
    assert kept is not None and kept.tokens.refresh_token
    spent = requests.post(f"{harness.env.login_base}/oauth/token", timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": kept.tokens.refresh_token,
        "redirect_uri": kept.redirect_uri, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET})
    assert spent.status_code == 200
    harness.sandbox.advance_clock(harness.sandbox.token_lifetime + 60)

    f = _file(tmp_path, "survey.bin", 11 * 1024 * 1024)
    window.add_paths([f])

    qtbot.waitUntil(lambda: len(asked) == 1, timeout=20_000)
    qtbot.waitUntil(lambda: _state(window) == {UploadState.DONE}, timeout=30_000)
    docs = [d for d in harness.sandbox.documents(project_id=harness.demo.project_ids[0])
            if d["name"] == "survey.bin"]
    assert len(docs) == 1
    assert harness.sandbox.document_bytes(docs[0]["id"]) == f.read_bytes()
    assert "Signed in as Dana Rivera" in window.account_label.text()


def test_sign_out_revokes_and_forgets(harness: Harness, qtbot: QtBot) -> None:
    harness.sign_in_first()
    kept = saved.load(harness.store)
    assert kept is not None
    old_token = kept.tokens.access_token
    window = harness.open()
    qtbot.waitUntil(lambda: "Signed in as" in window.account_label.text(), timeout=10_000)

    # The window says "Not signed in" at once; forgetting and revoking the tokens runs off
    # the GUI thread and is reported by signed_out when both are done.
    with qtbot.waitSignal(window.account.signed_out, timeout=10_000):  # type: ignore[attr-defined]
        window.account_button.click()
        assert "Not signed in" in window.account_label.text()
    assert saved.load(harness.store) is None
    assert harness.tokens.current is None
    with ProcoreClient(harness.sandbox.api_url, StaticTokenProvider(old_token)) as old:
        with pytest.raises(ProcoreError):
            old.me()  # revoked at Procore, not only forgotten here


def test_missing_client_settings_are_explained(harness: Harness, qtbot: QtBot) -> None:
    def missing() -> ClientCredentials:
        raise CredentialsMissing("no client id")

    window = harness.open(credentials=missing)
    window.account_button.click()
    account = window.account  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: account.last_message is not None, timeout=10_000)
    assert account.last_message == NO_CLIENT_SETTINGS
    assert harness.user.opened is None, "no browser opens without the app's settings"
    assert "Not signed in" in window.account_label.text()


def test_administrator_enters_the_sign_in_settings(harness: Harness, qtbot: QtBot,
                                                   tmp_path: Path) -> None:
    from PySide6.QtCore import QTimer

    from uploader_gui.auth.credentials import find_credentials, user_file

    window = harness.open()
    window.credentials_in_use = find_credentials  # as for a real account (the file is empty)
    entered: list[bool] = []

    def fill_in() -> None:
        dialog = window.settings_dialog
        if dialog is None:  # still reading what is in use
            QTimer.singleShot(20, fill_in)
            return
        assert "Not set up yet" in dialog.credentials_in_use.text()
        dialog.client_id.setText("company-client-id")
        dialog.buttons.accepted.emit()  # Save with the secret missing: refused, stays open
        assert dialog.isVisible()
        assert "both the client ID and the client secret" in dialog.credentials_in_use.text()
        dialog.client_secret.setText("company-secret")
        entered.append(True)
        dialog.buttons.accepted.emit()

    QTimer.singleShot(0, fill_in)
    window.open_settings()
    qtbot.waitUntil(lambda: bool(entered) and user_file().exists(), timeout=10_000)
    qtbot.waitUntil(lambda: find_credentials() is not None, timeout=5_000)
    found = find_credentials()
    assert found is not None
    assert (found.client_id, found.client_secret) == ("company-client-id", "company-secret")
    assert oct(user_file().stat().st_mode & 0o777) == oct(0o600)
