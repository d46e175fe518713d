"""When a dropped file's name is already in the folder, the window asks (Upload as a new version
/ Keep both / Skip, with "Do this for the rest"), and can keep the answer as the default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.gui.same_name import ASK_KEY, Answer, SameNameDialog
from uploader_gui.transfer.model import ConflictPolicy, UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _docs(sandbox: Any, demo: Any) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for d in sandbox.documents(project_id=demo.project_ids[0]):
        found.setdefault(d["name"], []).append(d)
    return found


def _upload(qtbot: QtBot, window: Any, paths: list[Path], rows: int) -> None:
    window.add_paths(paths)
    qtbot.waitUntil(lambda: window.model.rowCount() == rows and all(
        it.state.finished for it in window.model.items()), timeout=20_000)


def test_same_named_files_are_asked_about_once_with_do_this_for_the_rest(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"))
    window = parts.window
    first = tmp_path / "first"
    first.mkdir()
    names = ["A-101 Rev C.pdf", "A-102 Rev C.pdf", "A-103 Rev C.pdf"]
    for name in names:
        (first / name).write_bytes(b"first " + name.encode())
    asked: list[tuple[str, str, int]] = []

    def ask(name: str, folder: str, remaining: int) -> Answer:
        asked.append((name, folder, remaining))
        return Answer(ConflictPolicy.NEW_VERSION)

    window.same_names.ask = ask
    _upload(qtbot, window, [first / n for n in names], 3)
    assert asked == [], "nothing of those names was there: no question"

    second = tmp_path / "second"
    second.mkdir()
    for name in [*names, "A-104.pdf"]:
        (second / name).write_bytes(b"second " + name.encode())

    answers = iter([Answer(ConflictPolicy.NEW_VERSION),
                    Answer(ConflictPolicy.KEEP_BOTH, for_the_rest=True)])
    window.same_names.ask = lambda name, folder, remaining: (
        asked.append((name, folder, remaining)) or next(answers))
    _upload(qtbot, window, [second / n for n in [*names, "A-104.pdf"]], 7)
    assert asked == [("A-101 Rev C.pdf", "Drawings", 2), ("A-102 Rev C.pdf", "Drawings", 1)]
    docs = _docs(sandbox, demo)
    assert len(docs["A-101 Rev C.pdf"]) == 1
    assert sandbox.document_bytes(docs["A-101 Rev C.pdf"][0]["id"]) == b"second A-101 Rev C.pdf"
    assert len(docs["A-101 Rev C.pdf"][0]["versions"]) == 2, "a new version"
    assert sum(1 for n in docs if n.startswith("A-102")) == 2, "kept both"
    assert sum(1 for n in docs if n.startswith("A-103")) == 2, "kept both, for the rest"
    assert "A-104.pdf" in docs


def test_skip_and_remember_as_the_default(qtbot: QtBot, demo: Any, sandbox: Any,
                                          make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo, "Drawings"))
    window = parts.window
    f = tmp_path / "minutes.docx"
    f.write_bytes(b"v1")
    window.same_names.ask = lambda *_: pytest.fail("no namesake yet")
    _upload(qtbot, window, [f], 1)
    f.write_bytes(b"v2 changed")
    window.same_names.ask = lambda *_: Answer(ConflictPolicy.SKIP, remember=True)
    window.add_paths([f])
    qtbot.waitUntil(lambda: "you chose Skip" in window.notice_label.text(), timeout=10_000)
    assert window.model.rowCount() == 1
    assert window.settings.conflict_policy is ConflictPolicy.SKIP
    assert window.settings.extra[ASK_KEY] is False
    # Remembered: no more questions; the default (skip) applies.
    f.write_bytes(b"v3 changed again")
    window.same_names.ask = lambda *_: pytest.fail("asked although remembered")
    window.add_paths([f])
    qtbot.waitUntil(lambda: window.model.rowCount() == 2
                    and window.model.item_at(1).state is UploadState.SKIPPED, timeout=20_000)
    [doc] = _docs(sandbox, demo)["minutes.docx"]
    assert sandbox.document_bytes(doc["id"]) == b"v1"


def test_the_question_dialog_offers_the_three_answers(qtbot: QtBot) -> None:
    dialog = SameNameDialog("A-101 Rev C.pdf", "Drawings", 2)
    qtbot.addWidget(dialog)
    dialog.open()
    assert "A-101 Rev C.pdf" in dialog.label.text() and "Drawings" in dialog.label.text()
    assert [b.text() for b in (dialog.new_version, dialog.keep_both, dialog.skip)] == \
        ["Upload as a new version", "Keep both", "Skip"]
    assert dialog.rest.isVisibleTo(dialog) and "2 more" in dialog.rest.text()
    dialog.rest.setChecked(True)
    dialog.keep_both.click()
    assert dialog.answer() == Answer(ConflictPolicy.KEEP_BOTH, for_the_rest=True)
