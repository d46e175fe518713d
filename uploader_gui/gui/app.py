"""Starting the window: the QApplication, the parts the window is built from, and shutdown."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from uploader_gui import APP_NAME, __version__
from uploader_gui.config import Environment, Settings, config_dir, resolve_environment
from uploader_gui.gui.icons import app_icon
from uploader_gui.gui.main_window import MainWindow
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.errors import ProcoreError, SignInRequired
from uploader_gui.transfer.engine import UploadEngine

log = logging.getLogger(__name__)

#: Bound on stopping the workers at quit; uploads pause at their next chunk well within it.
SHUTDOWN_TIMEOUT_MS = 10_000


class SignedOutTokens:
    """The token source while nobody is signed in: every upload waits for sign-in."""

    def access_token(self) -> str:
        raise SignInRequired("You are not signed in. Choose Sign in at the top right.")

    def token_rejected(self, token: str) -> None:
        raise SignInRequired("You are not signed in. Choose Sign in at the top right.")

    def identity(self) -> str | None:
        return None


@dataclass
class AppParts:
    """What the window is built from, and what to close after it."""

    engine: UploadEngine
    client: ProcoreClient | None
    settings: Settings
    save_settings: Callable[[Settings], None]
    environment: str
    demo_folder: Path | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

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


def _tokens_for(env: Environment) -> object | None:
    """The signed-in token source, or None. Never opens a browser at start-up.

    An explicit ``PROCORE_ACCESS_TOKEN`` wins over a stored sign-in (scripts, kiosks, tests).
    """
    from uploader_gui.procore.tokens import StaticTokenProvider

    if os.environ.get("PROCORE_ACCESS_TOKEN", "").strip():
        return StaticTokenProvider.from_environment()
    try:
        from uploader_gui.auth.session import token_provider_for
    except ImportError:
        token_provider_for = None
    if token_provider_for is not None:
        try:
            return token_provider_for(env, interactive=False)
        except SignInRequired:
            return None
    return None


def build_parts(argv: Sequence[str], demo: bool) -> AppParts:
    """Settings, journal, client and engine, for the real Procore or the demo sandbox."""
    if demo:
        from uploader_gui.demo import start_demo

        session = start_demo()
        settings = session.settings
        client = ProcoreClient(session.api_base, session.tokens)
        journal = Journal.open(session.journal_path)
        engine = UploadEngine(client, journal, settings, identity=session.tokens.identity(),
                              web_base=session.api_base)
        return AppParts(engine, client, settings,
                        lambda s: s.save(session.settings_path), "Demo (built-in sandbox)",
                        session.storage_folder,
                        [session.close, client.close, journal.close, engine.close])
    settings_path = config_dir() / "settings.json"
    settings = Settings.load(settings_path)
    env = _environment(settings, argv)
    tokens = _tokens_for(env)
    client = ProcoreClient(env.api_base, tokens or SignedOutTokens())  # type: ignore[arg-type]
    journal = Journal.open()
    engine = UploadEngine(client, journal, settings,
                          identity=tokens.identity() if tokens else None,  # type: ignore[attr-defined]
                          web_base=env.web_base)
    label = env.name.capitalize() if env.name != "custom" else env.api_base
    return AppParts(engine, client if tokens else None, settings,
                    lambda s: s.save(settings_path), label, None,
                    [client.close, journal.close, engine.close])


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


def build_window(parts: AppParts) -> MainWindow:
    window = MainWindow(parts.engine, parts.client, parts.settings,
                        save_settings=parts.save_settings, environment=parts.environment,
                        demo_folder=parts.demo_folder, icon=app_icon())
    window.sign_in_requested.connect(lambda: _sign_in_unavailable(window))
    window.sign_out_requested.connect(lambda: _sign_in_unavailable(window))
    return window


def _sign_in_unavailable(window: MainWindow) -> None:
    QMessageBox.information(
        window, "Sign in",
        "Signing in from the window is not available in this version. Sign in with the "
        "command 'procore-uploader login', then open the app again.")


def main(argv: Sequence[str] | None = None, *, demo: bool = False,
         paths: Sequence[Path] = ()) -> int:
    """Open the window; returns the exit code once it has closed and every thread stopped."""
    argv = list(argv) if argv is not None else list(sys.argv)
    if not argv:
        argv = [APP_NAME]
    app = create_application(argv)
    try:
        parts = build_parts(argv, demo)
    except (ProcoreError, OSError, ValueError) as exc:
        log.error("could not start: %s", exc)
        QMessageBox.critical(None, APP_NAME, f"{APP_NAME} could not start: {exc}")
        return 1
    window = build_window(parts)
    # The tray keeps the app alive when the window hides; quitting is explicit.
    app.setQuitOnLastWindowClosed(False)
    window.shut_down.connect(app.quit)
    window.show()
    if paths:
        window.add_paths([Path(p) for p in paths])
    try:
        code = app.exec()
    finally:
        window.shutdown(SHUTDOWN_TIMEOUT_MS)
        window.deleteLater()
        parts.close()
    return int(code)


if __name__ == "__main__":  # python -m uploader_gui.gui.app [--demo] [FILE...]
    _args = [a for a in sys.argv[1:] if a != "--demo"]
    raise SystemExit(main([sys.argv[0]], demo="--demo" in sys.argv,
                          paths=[Path(a) for a in _args if not a.startswith("-")]))
