"""The window starts with its own Procore's uploads and destination only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.transfer.model import ConflictPolicy, UploadItem

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

OTHER = "https://api.other-procore.example"


def test_start_up_leaves_another_procores_uploads_and_destination_alone(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)
    f = tmp_path / "for-the-other.pdf"
    f.write_bytes(b"%PDF")
    journal.add_items([UploadItem(0, f, 4, f.stat().st_mtime_ns, documents_destination(demo),
                                  (), f.name, ConflictPolicy.KEEP_BOTH, api_base=OTHER)])
    journal.close()
    settings = Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_files=2,
                        parallel_segments=2,
                        last_destination=documents_destination(demo).to_json(),
                        last_destination_api_base=OTHER)  # chosen on the other Procore

    parts: WindowParts = make_window(settings=settings, journal_path=path)
    qtbot.waitUntil(lambda: "wait" in parts.window.notice_label.text(), timeout=10_000)
    notice = parts.window.notice_label.text()
    assert "1 unfinished upload waits for another Procore (1 for api.other-procore.example)" \
        in notice
    assert parts.window.model.rowCount() == 0, "another Procore's upload is not shown or run"
    qtbot.wait(500)
    assert sandbox.documents(project_id=demo.project_ids[0]) == [] or all(
        d["name"] != f.name for d in sandbox.documents(project_id=demo.project_ids[0]))
    bar = parts.window.destination_bar
    qtbot.waitUntil(lambda: bar.tree_model.rowCount() > 0, timeout=10_000)
    qtbot.wait(1000)
    assert bar.destination is None, "its destination is not reused"

    # The same remembered destination, chosen on this Procore, is taken up again.
    settings.last_destination_api_base = sandbox.api_url
    same: WindowParts = make_window(settings=settings, journal_path=tmp_path / "j2.sqlite3")
    qtbot.waitUntil(lambda: same.window.destination_bar.destination is not None,
                    timeout=10_000)
