"""The journal after a kill in the middle of its writes, and a damaged journal through the real
command line: a clear message, an exit status, and the next run works."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.unprivileged import permission_checked
from tests.test_cli import CLI, _companies, env  # noqa: F401  (a fixture)
from uploader_gui.journal.store import Journal
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                         UploadItem, UploadState)


def _real_journal(path: Path, items: int = 400) -> bytes:
    """The bytes of a real journal with a few pages of items, checkpointed into the main file."""
    journal = Journal.open(path)
    dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2)
    journal.add_items([UploadItem(0, Path(f"/plans/sheet-{i}.pdf"), i, 1, dest, (),
                                  f"sheet-{i}.pdf", ConflictPolicy.KEEP_BOTH)
                       for i in range(items)])
    journal.close()
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = path.read_bytes()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return data


def _random(tmp: Path) -> bytes:
    return os.urandom(64 * 1024)


def _text(tmp: Path) -> bytes:
    return b"this is not a database\n" * 500


def _cut_in_half(tmp: Path) -> bytes:
    data = _real_journal(tmp / "whole.sqlite3")
    return data[: len(data) // 2]


def _scribbled_pages(tmp: Path) -> bytes:
    data = bytearray(_real_journal(tmp / "whole.sqlite3"))
    page = int.from_bytes(data[16:18], "big")
    data[page:] = bytes(range(256)) * ((len(data) - page) // 256) + b"\x00" * (
        (len(data) - page) % 256)
    return bytes(data)


DAMAGE: dict[str, Callable[[Path], bytes]] = {
    "random-bytes": _random, "text": _text, "cut-in-half": _cut_in_half,
    "scribbled-pages": _scribbled_pages}


def _journal_path(environ: dict[str, str]) -> Path:
    path = Path(environ["PROCORE_UPLOADER_HOME"]) / "data" / "journal.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _run(args: list[str], environ: dict[str, str], prefix: list[str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run((prefix or []) + CLI + args, env=environ, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_status_with_a_damaged_journal_says_so_until_acknowledged(
        damage: str, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    path = _journal_path(env)
    garbage = DAMAGE[damage](tmp_path)
    path.write_bytes(garbage)
    first = _run(["status"], env)
    assert first.returncode == 1, first.stderr
    assert "Traceback" not in first.stderr
    assert "could not be read" in first.stderr and "moved to" in first.stderr
    [aside] = path.parent.glob("journal.sqlite3.corrupt-*[0-9]")
    assert str(aside) in first.stderr
    assert aside.read_bytes() == garbage, "the damaged file is kept as it was"
    second = _run(["status"], env)  # said again: the uploads it held are still lost
    assert second.returncode == 1 and str(aside) in second.stderr
    acknowledged = _run(["status", "--acknowledge-lost"], env)
    assert acknowledged.returncode == 0 and "will not be repeated" in acknowledged.stderr
    third = _run(["status"], env)
    assert (third.returncode, third.stdout.strip(), third.stderr) == (0, "No uploads yet.", "")


def test_upload_after_a_damaged_journal_works_and_warns(sandbox: Sandbox,  # noqa: F811
                                                        env: dict[str, str],  # noqa: F811
                                                        tmp_path: Path) -> None:
    _journal_path(env).write_bytes(_random(tmp_path))
    f = tmp_path / "daily report.pdf"
    f.write_bytes(b"%PDF-1.4 report")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _run(["upload", str(f), "--project-id", str(project_id)], env)
    assert result.returncode == 0, result.stderr
    assert "could not be read" in result.stderr and "uploaded" in result.stdout
    [doc] = [d for d in sandbox.documents(project_id=project_id)
             if d["name"] == "daily report.pdf"]
    assert sandbox.document_bytes(doc["id"]) == f.read_bytes()
    assert _run(["status", "--acknowledge-lost"], env).returncode == 0
    assert _run(["status"], env).returncode == 0


def test_resume_with_a_damaged_journal_is_not_a_clean_success(env: dict[str, str],  # noqa: F811
                                                              tmp_path: Path) -> None:
    _journal_path(env).write_bytes(_cut_in_half(tmp_path))
    result = _run(["resume"], env)
    assert result.returncode == 1
    assert "could not be read" in result.stderr and "Nothing to resume" in result.stdout
    assert _run(["resume"], env).returncode == 1, "not clean until acknowledged"
    assert _run(["status", "--acknowledge-lost"], env).returncode == 0
    assert _run(["resume"], env).returncode == 0


def test_journal_that_cannot_be_moved_aside_is_explained(env: dict[str, str],  # noqa: F811
                                                         tmp_path: Path) -> None:
    prefix = permission_checked()
    path = _journal_path(env)
    path.write_bytes(_text(tmp_path))
    path.parent.chmod(0o555)  # the folder cannot be changed: the file cannot be moved
    try:
        result = _run(["status"], env, prefix)
    finally:
        path.parent.chmod(0o700)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "cannot be read" in result.stderr and "could not be moved" in result.stderr
    assert "Move or delete that file" in result.stderr
    path.unlink()
    assert _run(["status"], env).returncode == 0


WRITER = r"""
import sys
from pathlib import Path
from uploader_gui.journal.store import Journal, Phase, SegmentRecord
from uploader_gui.transfer.model import *
journal = Journal.open(Path(sys.argv[1]))
dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2)
n = 0
while True:
    # The steps an upload writes: queue, hashes, created, each ETag, phase changes.
    [item] = journal.add_items([UploadItem(0, Path(f"/f{n}"), 30, 1, dest, (), f"f{n}",
                                           ConflictPolicy.KEEP_BOTH)])
    journal.save_hashes(item.id, 10, [SegmentRecord(i, i * 10, 10, "a" * 64) for i in range(3)])
    journal.save_created(item.id, f"u{n}", "1", 0.0, None,
                         [(f"https://s/{i}", {"h": "v"}) for i in range(3)])
    for i in range(3):
        journal.save_etag(item.id, i, f"e{i}")
    journal.update(item.id, phase=Phase.STORED)
    journal.update(item.id, state=UploadState.DONE)
    n += 1
    print(n, flush=True)
"""


@pytest.mark.parametrize("after", [1, 5, 40])
def test_killed_in_a_write_loop_the_journal_reopens_whole(after: int, tmp_path: Path) -> None:
    """Killed at whatever write it is in (after ``after`` whole uploads were written)."""
    path = tmp_path / "journal.sqlite3"
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        for _ in range(after):
            assert proc.stdout.readline(), "the writer stopped"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        journal = Journal.open(path)
        try:
            assert journal.recovered_from is None
            items = journal.items()
            done = [i for i in items if i.state is UploadState.DONE]
            assert len(done) >= after * (round_ + 1)
            for item in done:  # every finished one was written in full
                rec = journal.transfer(item.id)
                assert [s.etag for s in rec.segments] == ["e0", "e1", "e2"]
        finally:
            journal.close()
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()


def test_a_journal_emptied_to_zero_bytes_is_reported_until_acknowledged(
        env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    path = _journal_path(env)
    journal = Journal.open(path)
    dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2)
    journal.add_items([UploadItem(0, Path(f"/plans/sheet-{i}.pdf"), i, 1, dest, (),
                                  f"sheet-{i}.pdf", ConflictPolicy.KEEP_BOTH)
                       for i in range(3)])
    journal.remove([1])  # two are left
    journal.close()
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"")  # emptied: SQLite opens it as a new, empty journal

    for _ in range(2):  # every time, not once
        status = _run(["status"], env)
        assert status.returncode == 1
        assert "emptied or replaced: 2 uploads it held are no longer in it" in status.stderr
        assert "--acknowledge-lost" in status.stderr
    resume = _run(["resume"], env)
    assert resume.returncode == 1 and "emptied or replaced" in resume.stderr
    assert _run(["status", "--acknowledge-lost"], env).returncode == 0
    clean = _run(["status"], env)
    assert (clean.returncode, clean.stderr) == (0, "")


def test_a_damaged_journal_report_lists_the_unfinished_uploads_it_still_shows(
        env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    path = _journal_path(env)
    path.write_bytes(_real_journal(tmp_path / "whole.sqlite3", items=7))
    # Unreadable for this app (it claims a schema from the future) but its rows are intact.
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.close()
    first = _run(["status"], env)
    assert first.returncode == 1, first.stderr
    assert ("Not finished when it was lost: sheet-0.pdf, sheet-1.pdf, sheet-2.pdf, "
            "sheet-3.pdf, sheet-4.pdf and 2 more (the full list is in") in first.stderr
    again = _run(["status"], env)
    assert again.returncode == 1 and "sheet-0.pdf" in again.stderr
