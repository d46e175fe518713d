"""Before a drop is queued: which of its files already have a namesake in the chosen folder, and
what the person wants for them (a new version, keep both, or skip), asked once per file with
"Do this for the rest", remembered as the default when the person wishes.

The folder is listed off the GUI thread; only the question runs on it.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget)

from uploader_gui.gui.tasks import TaskRunner
from uploader_gui.procore.client import Scope
from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                         UploadItem)
from uploader_gui.transfer.scan import procore_name

log = logging.getLogger(__name__)

#: Settings.extra key: False once the person made an answer the default (no more questions).
ASK_KEY = "ask_about_same_names"


@dataclass(frozen=True)
class Answer:
    """What to do with one file whose name is taken."""

    policy: ConflictPolicy
    #: Use it for the rest of this drop's same-named files.
    for_the_rest: bool = False
    #: Make it the default (and stop asking).
    remember: bool = False


class SameNameDialog(QDialog):
    """ "A-101.pdf is already in Drawings": Upload as a new version / Keep both / Skip."""

    def __init__(self, name: str, folder: str, remaining: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A file with this name is already there")
        self.setObjectName("sameNameDialog")
        self.label = QLabel(f"<b>{html.escape(name)}</b> is already in "
                            f"<b>{html.escape(folder)}</b>. What should happen to the file "
                            "you are adding?", self)
        self.label.setWordWrap(True)
        self.rest = QCheckBox(f"Do this for the rest ({remaining} more with names already "
                              "there)", self)
        self.rest.setVisible(remaining > 0)
        self.remember = QCheckBox("Always do this (you can change it in Settings)", self)
        buttons = QDialogButtonBox(self)
        self.new_version = buttons.addButton("Upload as a new version",
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        self.keep_both = buttons.addButton("Keep both", QDialogButtonBox.ButtonRole.AcceptRole)
        self.skip = buttons.addButton("Skip", QDialogButtonBox.ButtonRole.RejectRole)
        self.new_version.setToolTip("Procore keeps the old file as an earlier version")
        self.keep_both.setToolTip("The new file gets a number after its name, e.g. "
                                  "\"plan (1).pdf\"")
        self.skip.setToolTip("This file is not uploaded")
        self.new_version.setDefault(True)
        self.chosen: ConflictPolicy | None = None
        for button, policy in ((self.new_version, ConflictPolicy.NEW_VERSION),
                               (self.keep_both, ConflictPolicy.KEEP_BOTH),
                               (self.skip, ConflictPolicy.SKIP)):
            button.clicked.connect(lambda _=False, p=policy: self._choose(p))
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.rest)
        layout.addWidget(self.remember)
        layout.addWidget(buttons)

    def _choose(self, policy: ConflictPolicy) -> None:
        self.chosen = policy
        self.accept()

    def answer(self) -> Answer:
        """The choice made (Skip when the dialog was closed without one)."""
        return Answer(self.chosen or ConflictPolicy.SKIP, self.rest.isChecked(),
                      self.remember.isChecked())


def ask_with_dialog(parent: QWidget, name: str, folder: str, remaining: int) -> Answer:
    dialog = SameNameDialog(name, folder, remaining, parent)
    try:
        dialog.exec()
        return dialog.answer()
    finally:
        dialog.deleteLater()


def _folder_names(client: Any, destination: Destination) -> set[str]:
    """Names of the files directly in the destination folder (a Procore listing)."""
    scope = Scope(destination.company_id, destination.project_id
                  if destination.kind is DestinationKind.PROJECT_FOLDER else None)
    listing = (client.folder(scope, destination.folder_id) if destination.folder_id
               else client.root_folder(scope))
    return {str(f.get("name", "")).casefold() for f in listing.get("files", [])}


def _known_here(items: list[UploadItem], paths: set[Path],
                destination: Destination) -> set[Path]:
    """The paths queued or uploaded to ``destination`` before, unchanged since (disk reads)."""
    twins: dict[Path, list[UploadItem]] = {}
    for item in items:
        if item.path in paths and item.destination == destination and not item.subfolders:
            twins.setdefault(item.path, []).append(item)
    known = set()
    for path, earlier in twins.items():
        try:
            info = path.stat()
        except OSError:
            continue
        if any(not it.state.finished or (it.size == info.st_size
                                         and it.mtime_ns == info.st_mtime_ns)
               for it in earlier):
            known.add(path)
    return known


class SameNameCheck(QObject):
    """Splits a drop by what to do with same-named files, then hands each part on."""

    def __init__(self, tasks: TaskRunner, parent: QWidget,
                 add: Callable[[Sequence[Path], Destination, ConflictPolicy], None],
                 default: Callable[[], ConflictPolicy],
                 remember: Callable[[ConflictPolicy], None],
                 tell: Callable[[str], None],
                 known: Callable[[], list[UploadItem]]) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._window = parent
        self._add = add
        self._default = default
        self._remember = remember
        self._tell = tell
        self._known = known
        self.asking = True
        #: Asks about one file; tests replace it.
        self.ask: Callable[[str, str, int], Answer] = (
            lambda name, folder, remaining: ask_with_dialog(self._window, name, folder,
                                                            remaining))

    def add(self, client: Any, paths: Sequence[Path], destination: Destination) -> None:
        paths = list(paths)
        if not self.asking or client is None or destination.kind is DestinationKind.PHOTO_ALBUM:
            self._add(paths, destination, self._default())
            return

        def look() -> tuple[set[str], set[Path]]:
            loose = {p for p in paths if not p.is_dir()}
            # A file this app queued or sent to the same place, unchanged, is no namesake:
            # adding it again is recognised as the same file.
            loose -= _known_here(self._known(), loose, destination)
            return (_folder_names(client, destination) if loose else set()), loose

        def looked(found: tuple[set[str], set[Path]]) -> None:
            taken, loose = found
            self._decide(paths, destination, taken, loose)

        def failed(exc: BaseException) -> None:
            log.info("could not list the folder to compare names: %s", exc)
            self._add(paths, destination, self._default())

        self._tasks.submit(look, looked, failed)

    def _decide(self, paths: list[Path], destination: Destination, taken: set[str],
                loose: set[Path]) -> None:
        clashing = [p for p in paths if p in loose and procore_name(p.name).casefold() in taken]
        default = self._default()
        clash_set = set(clashing)
        groups: dict[ConflictPolicy, list[Path]] = {}
        for p in paths:
            if p not in clash_set:
                groups.setdefault(default, []).append(p)
        folder = str(destination).split(" / ")[-1]
        for_all: ConflictPolicy | None = None
        for i, path in enumerate(clashing):
            if for_all is not None:
                groups.setdefault(for_all, []).append(path)
                continue
            answer = self.ask(path.name, folder, len(clashing) - i - 1)
            if answer.remember:
                self.asking = False
                self._remember(answer.policy)
            if answer.for_the_rest or answer.remember:
                for_all = answer.policy
            groups.setdefault(answer.policy, []).append(path)
        skipped = [p for p in groups.pop(ConflictPolicy.SKIP, []) if p in clash_set]
        if skipped:
            n = len(skipped)
            self._tell(f"{n} file{'s' if n != 1 else ''} not added: "
                       f"{'files' if n != 1 else 'a file'} of that name "
                       f"{'are' if n != 1 else 'is'} already in {folder} and you chose Skip.")
        for policy, group in groups.items():
            if group:
                self._add(group, destination, policy)
