"""The window started after the command line was killed mid-upload continues that upload."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from tests.reliability.test_crash_resume import _kill_mid_segments
from uploader_gui.transfer.model import UploadState

MiB = 1024 * 1024

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_window_resumes_an_upload_killed_in_the_command_line(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    journal = home / "data" / "journal.sqlite3"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    environ.update(PROCORE_ACCESS_TOKEN=sandbox.issue_token(demo.user_id),
                   PROCORE_UPLOADER_HOME=str(home), PROCORE_API_BASE=sandbox.api_url)
    f = tmp_path / "site video.mp4"
    data = os.urandom(30 * MiB)
    f.write_bytes(data)
    _kill_mid_segments(sandbox, environ, f, demo.project_ids[0])
    sandbox.clear_request_log()

    parts: WindowParts = make_window(journal_path=journal)
    qtbot.waitUntil(lambda: parts.window.model.rowCount() == 1, timeout=10_000)
    assert "Continuing 1 unfinished upload" in parts.window.notice_label.text()
    qtbot.waitUntil(lambda: parts.window.model.totals().done == 1, timeout=30_000)
    [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
             if d["name"] == "site video.mp4"]
    assert sandbox.document_bytes(doc["id"]) == data
    puts = [r for r in sandbox.request_log if r.server == "storage" and r.method == "PUT"]
    assert len(puts) == 4, "the two parts confirmed before the kill are not sent again"


HOLDER = r"""
import sys, threading
from pathlib import Path
from uploader_gui.journal.claims import UploadClaims
claims = UploadClaims(Path(sys.argv[1]))
assert claims.claim(int(sys.argv[2]))
print("held", flush=True)
threading.Event().wait()
"""


def test_window_leaves_a_file_another_process_is_sending(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    journal = tmp_path / "shared.sqlite3"
    f = tmp_path / "minutes.docx"
    f.write_bytes(b"minutes")
    first: WindowParts = make_window(journal_path=journal, show=False)
    [item] = first.engine.add([f], documents_destination(demo)).items
    first.window.shutdown()
    first.engine.close()
    first.engine.journal.close()
    # Another process (a command, say) is sending that upload right now.
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(journal), str(item.id)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        parts: WindowParts = make_window(journal_path=journal)
        qtbot.waitUntil(lambda: (row := parts.window.model.item(item.id)) is not None
                        and row.state is UploadState.PAUSED, timeout=20_000)
        row = parts.window.model.item(item.id)
        assert row is not None and "is uploading this file right now" in (row.error or "")
        assert sandbox.documents(project_id=demo.project_ids[0]) == []
        assert parts.engine.get(item.id).state is UploadState.QUEUED, "its entry is left alone"
    finally:
        holder.kill()
        holder.wait()
