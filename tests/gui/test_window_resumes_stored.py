"""A file whose bytes are in storage is not lost to a failed attach: the window continues it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_start_up_continues_a_file_that_failed_with_its_bytes_stored(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    """Attaching failed on the last run; the bytes are in storage: the window attaches them
    at start-up without sending a byte again."""
    from uploader_gui.procore.client import ProcoreClient
    from uploader_gui.procore.tokens import StaticTokenProvider
    from uploader_gui.sandbox import Fault
    from uploader_gui.transfer.engine import UploadEngine
    from uploader_gui.transfer.model import UploadState

    path = tmp_path / "journal.sqlite3"
    f = tmp_path / "handover.pdf"
    f.write_bytes(b"%PDF handover " * 1000)
    sandbox.faults.add(Fault("status", "associate", status=500, times=None))
    client = ProcoreClient(sandbox.api_url, StaticTokenProvider(
        sandbox.issue_token(demo.user_id), identity=str(demo.user_id)))
    engine = UploadEngine(client, Journal.open(path), Settings(),
                          step_retry=RetryPolicy(attempts=2, base_delay=0.05, max_delay=0.05))
    try:
        [item] = engine.add([f], documents_destination(demo)).items
        assert engine.run(item.id).state is UploadState.FAILED
    finally:
        engine.close()
        engine.journal.close()
        client.close()
    sandbox.faults.clear()
    sandbox.clear_request_log()

    parts: WindowParts = make_window(journal_path=path)
    qtbot.waitUntil(lambda: parts.window.model.totals().done == 1, timeout=20_000)
    assert [d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])
            if d["name"] == f.name] == [f.name]
    assert [r for r in sandbox.request_log if r.server == "storage"] == []
