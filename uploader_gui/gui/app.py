"""Starting the window: the QApplication, the parts the window is built from, and shutdown."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox

from uploader_gui import APP_NAME, __version__
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.keyring_store import KeyringStore
from uploader_gui.auth.session import token_provider_for
from uploader_gui.auth.switchable import SwitchableTokens
from uploader_gui.config import Environment, Settings, config_dir, resolve_environment
from uploader_gui.gui import single_instance, stop_signals
from uploader_gui.gui.about_dialog import add_help_menu
from uploader_gui.gui.file_open_events import FileOpenEvents
from uploader_gui.gui.help_menu import add_guides
from uploader_gui.gui.icons import app_icon
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.gui.sign_in import SignInController
from uploader_gui.journal.store import Journal, JournalCorrupt
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import ProcoreError, SignInRequired
from uploader_gui.procore.tokens import TokenProvider
from uploader_gui.transfer.engine import UploadEngine

log = logging.getLogger(__name__)

#: Bound on stopping the workers at quit; uploads pause at their next chunk well within it.
SHUTDOWN_TIMEOUT_MS = 10_000
#: Set to 1 to print "window shown" to stderr once the window is up and quit at once (the
#: start-up benchmark measures the time until that line).
QUIT_WHEN_SHOWN = "PROCORE_UPLOADER_QUIT_WHEN_SHOWN"


@dataclass
class AppParts:
    """What the window is built from, and what to close after it."""

    engine: UploadEngine
    client: ProcoreClient
    settings: Settings
    save_settings: Callable[[Settings], None]
    environment: str
    #: The sign-in the client and engine use; Sign in / Sign out swap what is inside.
    tokens: SwitchableTokens
    hosts: Environment
    demo_folder: Path | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: Where a sign-in from the window is kept, and the app's OAuth client (None: defaults).
    store: KeyringStore | None = None
    credentials: Callable[[], ClientCredentials] | None = None

    @property
    def signed_in(self) -> bool:
        return self.tokens.current is not None

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception:  # one failing close must not skip the others
                log.exception("error while closing")


def _environment_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--environment")
    parser.add_argument("--api-base")
    parser.add_argument("--login-base")
    known, _ = parser.parse_known_args(list(argv[1:]))
    return known


def _environment(settings: Settings, argv: Sequence[str]) -> Environment:
    args = _environment_args(argv)
    return resolve_environment(
        args.environment or settings.environment,
        args.api_base or settings.custom_api_base or None,
        args.login_base or settings.custom_login_base or None)


def _tokens_for(env: Environment) -> TokenProvider | None:
    """The saved sign-in (or ``PROCORE_ACCESS_TOKEN``), or None. Never opens a browser here."""
    try:
        return token_provider_for(env, interactive=False)
    except SignInRequired:
        return None


def build_parts(argv: Sequence[str], demo: bool) -> AppParts:
    """Settings, journal, client and engine, for the real Procore or the demo sandbox."""
    if demo:
        from uploader_gui.demo import start_demo

        session = start_demo()
        settings = session.settings
        tokens = SwitchableTokens(session.tokens)
        client = ProcoreClient(session.api_base, tokens)
        journal = Journal.open(session.journal_path)
        engine = UploadEngine(client, journal, settings, web_base=session.api_base)
        return AppParts(engine, client, settings,
                        lambda s: s.save(session.settings_path), "Demo (built-in sandbox)",
                        tokens, session.environment, session.storage_folder,
                        [session.close, client.close, journal.close, engine.close],
                        store=session.store, credentials=lambda: session.credentials)
    settings_path = config_dir() / "settings.json"
    settings = Settings.load(settings_path)
    env = _environment(settings, argv)
    tokens = SwitchableTokens(_tokens_for(env))
    client = ProcoreClient(env.api_base, tokens)
    journal = Journal.open()
    engine = UploadEngine(client, journal, settings, web_base=env.web_base)
    label = env.name.capitalize() if env.name != "custom" else env.api_base
    return AppParts(engine, client, settings, lambda s: s.save(settings_path), label,
                    tokens, env, None, [client.close, journal.close, engine.close])


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (150%) as the system asks, instead of rounding to 1x or 2x.
    QApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(list(argv))
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("ProcoreUploader")
    app.setDesktopFileName("procore-uploader")
    app.setWindowIcon(app_icon())
    return app


def build_window(parts: AppParts, *, open_browser: Callable[[str], object] | None = None,
                 ask_code: Callable[[str], str | None] | None = None) -> MainWindow:
    window = MainWindow(parts.engine, parts.client if parts.signed_in else None, parts.settings,
                        save_settings=parts.save_settings, environment=parts.environment,
                        demo_folder=parts.demo_folder, icon=app_icon())
    account = SignInController(parts.tokens, parts.hosts, window.tasks, window,
                               store=parts.store, credentials=parts.credentials,
                               open_browser=open_browser or webbrowser.open, ask_code=ask_code)
    window.account = account  # type: ignore[attr-defined]
    if parts.demo_folder is not None and parts.credentials is not None:
        demo_credentials = parts.credentials
        window.credentials_in_use = demo_credentials
        window.save_credentials = None  # the demo's own app; never written to the real config
    window.before_shutdown.append(account.close)
    app = QApplication.instance()
    if app is not None:
        quit_requests = stop_signals.QuitRequests(window.quitting, window)
        app.installEventFilter(quit_requests)
        window.before_shutdown.append(lambda: app.removeEventFilter(quit_requests))

    def signed_in(_provider: object) -> None:
        window.set_client(parts.client)
        window.resume_waiting_for_sign_in()

    def sign_out() -> None:
        if window.queue.busy and not _confirm_sign_out(window):
            return
        window.set_client(None)
        account.sign_out()

    def sign_in_needed() -> None:
        # Procore refused the saved sign-in: show the window as signed out and offer to sign in.
        if parts.tokens.current is None:
            return  # already signed out: the person signs in when ready
        parts.tokens.replace(None)
        window.set_client(None)
        if _ask_sign_in_again(window):
            account.sign_in()

    window.sign_in_requested.connect(account.sign_in)
    window.sign_out_requested.connect(sign_out)
    account.signed_in.connect(signed_in)
    window.queue.sign_in_needed.connect(sign_in_needed)
    about = add_help_menu(window)
    help_menu = window.menuBar().actions()[-1].menu()
    if isinstance(help_menu, QMenu):
        add_guides(window, help_menu, about)
    return window


SIGN_IN_AGAIN = ("Procore asks you to sign in again. Your uploads are waiting and continue "
                 "after you sign in; nothing already sent is lost. Sign in now?")
SIGN_OUT_WHILE_UPLOADING = ("Files are still uploading. If you sign out they wait, and "
                            "continue after the next sign-in. Sign out now?")


def _ask_sign_in_again(window: MainWindow) -> bool:
    return _yes(window, "Sign in again", SIGN_IN_AGAIN)


def _confirm_sign_out(window: MainWindow) -> bool:
    return _yes(window, "Sign out", SIGN_OUT_WHILE_UPLOADING)


def _yes(window: MainWindow, title: str, question: str) -> bool:
    answer = QMessageBox.question(window, title, question)
    return answer == QMessageBox.StandardButton.Yes


def instance_scope(argv: Sequence[str], demo: bool) -> str:
    """What one running window serves: the demo, or one Procore (a demo never takes the files
    meant for a real run, nor production those meant for a sandbox)."""
    if demo:
        return "demo"
    try:
        return _environment(Settings.load(config_dir() / "settings.json"), argv).api_base
    except ValueError:  # an unknown environment: build_parts reports it
        return "unknown"


def _report_shown(app: QApplication) -> None:
    print("window shown", file=sys.stderr, flush=True)
    app.quit()


def main(argv: Sequence[str] | None = None, *, demo: bool = False,
         paths: Sequence[Path] = ()) -> int:
    """Open the window; returns the exit code once it has closed and every thread stopped."""
    argv = list(argv) if argv is not None else list(sys.argv)
    if not argv:
        argv = [APP_NAME]
    app = create_application(argv)
    instance = single_instance.claim(instance_scope(argv, demo), paths)
    if instance is None:
        log.info("handed %d item(s) to the window already open", len(paths))
        return 0
    try:
        parts = build_parts(argv, demo)
    except (ProcoreError, OSError, ValueError, JournalCorrupt) as exc:
        log.error("could not start: %s", exc)
        instance.close()
        QMessageBox.critical(None, APP_NAME, f"{APP_NAME} could not start: {exc}")
        return 1
    window = build_window(parts)
    single_instance.deliver_to(instance, window)
    opened = FileOpenEvents(window)
    app.installEventFilter(opened)
    single_instance.deliver_to(opened, window)
    stopper = stop_signals.install(window.quit_now)
    # The tray keeps the app alive when the window hides; quitting is explicit.
    app.setQuitOnLastWindowClosed(False)
    window.shut_down.connect(app.quit)
    window.show()
    if os.environ.get(QUIT_WHEN_SHOWN) == "1":
        # Runs once the event loop has handled the show: the window is on screen.
        QTimer.singleShot(0, lambda: _report_shown(app))
    if paths:
        window.add_paths([Path(p) for p in paths])
    try:
        code = app.exec()
    finally:
        if stopper is not None:
            stopper.close()
        instance.close()
        app.removeEventFilter(opened)
        window.shutdown(SHUTDOWN_TIMEOUT_MS)
        window.deleteLater()
        parts.close()
    return int(code)


if __name__ == "__main__":  # python -m uploader_gui.gui.app [--demo] [FILE...]
    _args = [a for a in sys.argv[1:] if a != "--demo"]
    raise SystemExit(main([sys.argv[0]], demo="--demo" in sys.argv,
                          paths=[Path(a) for a in _args if not a.startswith("-")]))
