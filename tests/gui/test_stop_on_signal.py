"""SIGTERM (log-out, shutdown) and SIGINT end the window's process mid-upload: no question is
asked, it exits within a few seconds, and the next start continues the upload by itself.

The app runs as a real process (offscreen) against an in-process sandbox over real sockets,
with a remembered destination and the file given on its command line.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.demo_process import output, start, wait_for
from tests.gui.conftest import documents_destination
from uploader_gui.config import Settings
from uploader_gui.sandbox import DemoInfo, Fault, Sandbox
from uploader_gui.transfer.environments import api_key

MiB = 1024 * 1024
APP = [sys.executable, "-m", "uploader_gui.cli"]
#: "A few seconds": the stop may wait for one part already on its way.
EXIT_WITHIN = 8.0


def _journal_rows(journal: Path, query: str) -> list[tuple[object, ...]]:
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5) as db:
            return db.execute(query).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def _environment(base: Path, sandbox: Sandbox, demo: DemoInfo) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    (base / "tmp").mkdir(parents=True, exist_ok=True)
    env.update(TMPDIR=str(base / "tmp"), PROCORE_UPLOADER_HOME=str(base / "home"),
               PROCORE_ACCESS_TOKEN=sandbox.issue_token(demo.user_id),
               PROCORE_API_BASE=sandbox.api_url, QT_QPA_PLATFORM="offscreen")
    config = base / "home" / "config"
    config.mkdir(parents=True, exist_ok=True)
    Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_segments=1,
             last_destination=documents_destination(demo).to_json(),
             last_destination_api_base=api_key(sandbox.api_url)
             ).save(config / "settings.json")
    return env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_mid_upload_quits_without_asking_and_the_next_start_continues(
        sig: signal.Signals, sandbox: Sandbox, demo: DemoInfo, tmp_path: Path) -> None:
    env = _environment(tmp_path, sandbox, demo)
    journal = tmp_path / "home" / "data" / "journal.sqlite3"
    f = tmp_path / "site video.mp4"
    data = os.urandom(30 * MiB)
    f.write_bytes(data)
    # Each part after the second is held a little, so the stop comes mid-upload.
    sandbox.faults.add(Fault("stall", "storage_put", seconds=2, after=2, times=None))

    proc = start([*APP, str(f)], env)
    try:
        wait_for(lambda: len(_journal_rows(
            journal, "SELECT 1 FROM segments WHERE etag IS NOT NULL")) >= 2,
            "two confirmed parts", 60, proc)
        stopped_at = time.monotonic()
        proc.send_signal(sig)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the app did not stop on {sig.name} (a question is waiting "
                                 f"for an answer?): {output(proc)}") from None
        took = time.monotonic() - stopped_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, output(proc)
    print(f"stopped in {took:.2f} s")
    assert took < EXIT_WITHIN, f"stopping took {took:.1f} s"
    assert "Uploads are still running" not in output(proc)
    [(state,)] = _journal_rows(journal, "SELECT state FROM uploads")
    assert state != "done", "stopped mid-upload"
    assert sandbox.documents(project_id=demo.project_ids[0]) == []

    # The next start continues by itself, without sending the confirmed parts again.
    sandbox.faults.clear()
    sandbox.clear_request_log()
    proc = start(APP, env)
    try:
        wait_for(lambda: _journal_rows(journal, "SELECT state FROM uploads") == [("done",)],
                 "the upload to finish after the restart", 60, proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    [doc] = sandbox.documents(project_id=demo.project_ids[0])
    assert doc["name"] == "site video.mp4"
    assert sandbox.document_bytes(doc["id"]) == data
    puts = [r for r in sandbox.request_log if r.server == "storage" and r.method == "PUT"]
    assert len(puts) <= 4, "the parts confirmed before the stop are not sent again"
