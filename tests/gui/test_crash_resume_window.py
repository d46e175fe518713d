"""The window started after the command line was killed mid-upload continues that upload."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts
from tests.reliability.test_crash_resume import CLI, _query, _wait_until
from uploader_gui.sandbox import Fault

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
    stall = sandbox.faults.add(Fault("stall", "storage_put", seconds=600, after=2, times=None))
    proc = subprocess.Popen(CLI + ["upload", str(f), "--project-id", str(demo.project_ids[0]),
                                   "--segment-size", "5"], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: len(_query(journal, "SELECT 1 FROM segments WHERE etag IS NOT NULL"))
                    == 2 and stall.fired >= 1, proc, "two confirmed parts")
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    sandbox.faults.clear()
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
