"""Feedback during long or stalled work: one state per reality (waiting for the connection is
not "paused" and does not cycle through Queued and Preparing), no "0 bytes/s", no "batch
finished" after Pause all, and a total with the time left."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from tests.gui.conftest import WindowParts, documents_destination, make_item
from tests.gui.test_window_sandbox import wait_state
from uploader_gui.gui.queue_columns import QueueTotals
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.sandbox.faults import Fault
from uploader_gui.transfer.model import UploadState

MiB = 1024 * 1024

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_total_sent_and_time_left() -> None:
    totals = QueueTotals()
    totals.uploading = 2
    totals.bytes_done, totals.bytes_total = 120_000_000, 447_000_000
    totals.speed = 1_800_000  # 327 MB to go: a little over 3 minutes
    assert totals.progress_text() == "120.0 MB of 447.0 MB · about 3 min left"
    totals.speed = 50_000
    assert totals.progress_text().endswith("about 1 h 49 min left")
    totals.speed = 0
    assert totals.progress_text() == "120.0 MB of 447.0 MB"
    totals.uploading = 0
    assert totals.progress_text() == ""


def test_waiting_counts_apart_from_paused(tmp_path: Path) -> None:
    totals = QueueTotals()
    totals.paused, totals.waiting_network, totals.waiting_sign_in = 1, 2, 3
    text = str(totals)
    assert "1 paused by you" in text and "2 waiting for the connection" in text
    assert "3 waiting for sign-in" in text


def test_no_network_is_one_state_and_says_so(qtbot: QtBot, demo: Any, sandbox: Any,
                                             make_window: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from uploader_gui.gui import upload_queue

    monkeypatch.setattr(upload_queue, "NETWORK_RETRY_FIRST", 0.2)
    parts: WindowParts = make_window(destination=documents_destination(demo),
                                     retry=RetryPolicy(attempts=1, base_delay=0.01,
                                                       max_delay=0.02))
    window = parts.window
    sandbox.faults.add(Fault("reset", "create", times=None))
    files = []
    for name in ("one.pdf", "two.pdf", "three.pdf"):
        (tmp_path / name).write_bytes(os.urandom(2000))
        files.append(tmp_path / name)
    window.add_paths(files)
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    ids = [it.id for it in window.model.items()]
    for upload_id in ids:
        wait_state(qtbot, window, upload_id, UploadState.WAITING_NETWORK)
    qtbot.waitUntil(lambda: "3 waiting for the connection" in window.counts_label.text())
    assert "paused" not in window.counts_label.text()

    # While the connection stays down, one file tries it at a time; the others stay put.
    tried: list[int] = []
    resume = window.queue.resume

    def resume_and_count(upload_ids: Any) -> None:
        upload_ids = list(upload_ids)
        tried.append(len(upload_ids))
        resume(upload_ids)

    window.queue.resume = resume_and_count  # type: ignore[method-assign]
    qtbot.waitUntil(lambda: len(tried) >= 3, timeout=10_000)
    window.queue.resume = resume  # type: ignore[method-assign]
    assert max(tried) == 1, tried
    states = [it.state for it in window.model.items()]
    assert states.count(UploadState.WAITING_NETWORK) >= 2, states
    assert "0 bytes/s" not in window.speed_label.text()

    sandbox.faults.clear()
    for upload_id in ids:
        wait_state(qtbot, window, upload_id, UploadState.DONE, timeout=20_000)


def test_pause_all_is_not_announced_as_a_finished_batch(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    (tmp_path / "small.pdf").write_bytes(b"small")
    window.add_paths([tmp_path / "small.pdf"])
    qtbot.waitUntil(lambda: window.model.totals().done == 1, timeout=20_000)
    qtbot.waitUntil(lambda: "uploaded" in window.statusBar().currentMessage(), timeout=5000)
    window.statusBar().clearMessage()

    sandbox.faults.add(Fault("stall", "storage_put", times=None, seconds=0.5))
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * MiB))
    (tmp_path / "small2.pdf").write_bytes(b"small two")
    window.add_paths([big, tmp_path / "small2.pdf"])
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=10_000)
    big_id = [it.id for it in window.model.items() if it.name == "big.bin"][0]
    wait_state(qtbot, window, big_id, UploadState.UPLOADING)
    qtbot.waitUntil(lambda: window.model.totals().done == 2, timeout=20_000)
    with qtbot.assertNotEmitted(window.queue.batch_finished, wait=1500):
        window.queue.pause_all()
        wait_state(qtbot, window, big_id, UploadState.PAUSED)
        qtbot.waitUntil(lambda: not window.queue.busy, timeout=10_000)
    assert "uploaded" not in window.statusBar().currentMessage()
    assert "1 paused by you" in window.counts_label.text()


def test_a_batch_still_ends_with_its_message_when_older_uploads_stay_paused(
        qtbot: QtBot, demo: Any, sandbox: Any, make_window: Any, tmp_path: Path) -> None:
    parts: WindowParts = make_window(destination=documents_destination(demo))
    window = parts.window
    older = make_item(10_000, tmp_path, state=UploadState.PAUSED, name="from yesterday.pdf")
    window.model.add_items([older])  # paused by the person in an earlier session
    (tmp_path / "today.pdf").write_bytes(b"today")
    with qtbot.waitSignal(window.queue.batch_finished, timeout=20_000) as finished:
        window.add_paths([tmp_path / "today.pdf"])
    assert finished.args == [1, 0]
