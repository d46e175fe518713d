"""The window's own files written off the GUI thread, with a plain sentence when one fails:
settings, the sign-in settings, the start-with-the-computer entry."""

from __future__ import annotations

from collections.abc import Callable

from uploader_gui.config import Settings
from uploader_gui.gui.failure_words import disk_problem
from uploader_gui.gui.tasks import TaskRunner

Say = Callable[[str], None]


def save_settings(tasks: TaskRunner, save: Callable[[Settings], None], settings: Settings,
                  say: Say) -> None:
    tasks.submit(lambda: save(settings), None,
                 lambda exc: say(f"Settings could not be saved: {disk_problem(exc)}"))


def save_credentials(tasks: TaskRunner, save: Callable[[str, str, str], object],
                     entered: tuple[str, str, str], say: Say) -> None:
    tasks.submit(lambda: save(*entered),
                 lambda _: say("Sign-in settings saved. Choose Sign in to use them"),
                 lambda exc: say(f"Sign-in settings not saved: {disk_problem(exc)}"))


def set_start_with_computer(tasks: TaskRunner, change: Callable[[bool], object], enabled: bool,
                            say: Say) -> None:
    """Add or remove the entry the system starts the app from (a file or the registry)."""
    tasks.submit(lambda: change(enabled), None,
                 lambda exc: say("Could not change whether the app opens with the computer: "
                                 f"{disk_problem(exc)}"))
