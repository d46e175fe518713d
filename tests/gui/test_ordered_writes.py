"""The window writes the person's Pause, Resume, Retry and Cancel to the journal in the order
they were asked for, however slowly the disk answers."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination
from uploader_gui.config import Settings
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.model import UploadState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

MiB = 1024 * 1024


def test_a_quick_pause_then_resume_of_a_waiting_file_leaves_it_queued_in_the_journal(
        qtbot: QtBot, sandbox: Any, demo: Any, make_window: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # One file at a time, the first one slow: the second waits its turn.
    sandbox.faults.add(Fault("slow", "storage_put", rate=2 * MiB, times=None))
    parts: WindowParts = make_window(
        settings=Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_files=1,
                          parallel_segments=1),
        destination=documents_destination(demo))
    window, engine = parts.window, parts.engine
    big, small = tmp_path / "model.ifc", tmp_path / "note.pdf"
    big.write_bytes(b"m" * (12 * MiB))
    small.write_bytes(b"note")
    window.add_paths([big, small])
    qtbot.waitUntil(lambda: len(window.model.items()) == 2, timeout=10_000)
    ids = {it.name: it.id for it in window.model.items()}
    waiting = ids[small.name]
    qtbot.waitUntil(lambda: window.model.item(ids[big.name]).state is UploadState.UPLOADING,
                    timeout=10_000)
    assert window.model.item(waiting).state is UploadState.QUEUED

    # A slow disk: the Pause takes a while to be written.
    journal = engine.journal
    real_update = journal.update
    written = threading.Event()

    def slow_update(upload_id: int, **changes: Any) -> None:
        if changes.get("state") is UploadState.PAUSED:
            time.sleep(0.4)
            real_update(upload_id, **changes)
            written.set()
        else:
            real_update(upload_id, **changes)

    monkeypatch.setattr(journal, "update", slow_update)
    window.queue.pause([waiting])
    qtbot.waitUntil(lambda: window.model.item(waiting).state is UploadState.PAUSED,
                    timeout=1_000)
    window.queue.resume([waiting])
    qtbot.waitUntil(written.is_set, timeout=5_000)
    window.queue.service.flush()

    # The window says it waits its turn; so must the journal, or after a crash it would stay
    # paused instead of continuing by itself.
    qtbot.waitUntil(lambda: window.model.item(waiting).state is UploadState.QUEUED,
                    timeout=1_000)
    assert engine.journal.get(waiting).state is UploadState.QUEUED
