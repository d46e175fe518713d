"""Uploads queued by an earlier version (which did not record which Procore they were for)
wait at start; the window's message offers a button that continues them here, as the
command line's ``resume --adopt-older`` does, instead of asking an office worker to type a
command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.domain import ConflictPolicy, UploadItem, UploadState
from uploader_gui.journal.store import Journal
from uploader_gui.transfer.environments import ADOPT_BUTTON

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def _older_upload(journal_path: Path, file: Path, demo: Any) -> int:
    """A queued upload as an earlier version left it: no Procore recorded."""
    journal = Journal.open(journal_path)
    try:
        [item] = journal.add_items([UploadItem(
            id=0, path=file, size=file.stat().st_size, mtime_ns=file.stat().st_mtime_ns,
            destination=documents_destination(demo), subfolders=(), name=file.name,
            conflict=ConflictPolicy.KEEP_BOTH, api_base="")])
        return item.id
    finally:
        journal.close()


def _window_over_older_upload(qtbot: QtBot, demo: Any, make_window: Any,
                              tmp_path: Path) -> tuple[WindowParts, int]:
    """The window started over a journal holding one older upload, its message shown."""
    f = tmp_path / "older.pdf"
    f.write_bytes(b"%PDF queued by the previous version")
    journal = tmp_path / "journal.sqlite3"
    upload_id = _older_upload(journal, f, demo)
    parts: WindowParts = make_window(journal_path=journal)
    qtbot.waitUntil(parts.window.notice_bar.action_button.isVisible, timeout=10_000)
    return parts, upload_id


def _names_in_procore(sandbox: Any, demo: Any) -> list[str]:
    return sorted(d["name"] for d in sandbox.documents(project_id=demo.project_ids[0]))


def test_older_uploads_wait_until_the_button_continues_them_here(
        qtbot: QtBot, sandbox: Any, demo: Any, make_window: Any, tmp_path: Path) -> None:
    parts, upload_id = _window_over_older_upload(qtbot, demo, make_window, tmp_path)
    bar = parts.window.notice_bar
    assert bar.action_button.text() == ADOPT_BUTTON
    said = bar.label.text()
    assert "1 unfinished upload waits for another Procore" in said
    assert f"press {ADOPT_BUTTON}" in said and "procore-uploader" not in said, said
    qtbot.wait(300)
    assert parts.window.model.item(upload_id) is None, "not this Procore's until adopted"
    assert _names_in_procore(sandbox, demo) == []

    bar.action_button.click()
    assert not bar.action_button.isVisible(), "pressed once"
    qtbot.waitUntil(lambda: (row := parts.window.model.item(upload_id)) is not None
                    and row.state is UploadState.DONE, timeout=20_000)
    assert "1 upload queued by an earlier version continues here." in bar.label.text()
    assert _names_in_procore(sandbox, demo) == ["older.pdf"]
    assert parts.engine.get(upload_id).api_base == parts.engine.api_base


def test_a_new_message_takes_the_button_away(
        qtbot: QtBot, sandbox: Any, demo: Any, make_window: Any, tmp_path: Path) -> None:
    parts, upload_id = _window_over_older_upload(qtbot, demo, make_window, tmp_path)
    bar = parts.window.notice_bar
    parts.window.show_notice("Something else happened.")
    assert not bar.action_button.isVisible()
    bar.action_button.click()  # hidden, and its action was dropped with its message
    qtbot.wait(300)
    assert parts.window.model.item(upload_id) is None
    assert parts.engine.get(upload_id).api_base == ""
