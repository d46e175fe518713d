"""The journal keeps state across processes, survives kills mid-write, and recovers from corruption."""

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from uploader_gui.journal.store import Journal, Phase, SegmentRecord
from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                         UploadItem, UploadState)

DEST = Destination(DestinationKind.PROJECT_FOLDER, company_id=1, project_id=2, folder_id=3,
                   label="Tower / Drawings")


def _item(path: Path) -> UploadItem:
    return UploadItem(id=0, path=path, size=10, mtime_ns=5, destination=DEST,
                      subfolders=("Site", "Week 1"), name=path.name,
                      conflict=ConflictPolicy.SKIP)


def test_items_round_trip_through_a_new_connection(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "plan é.pdf")])
    journal.update(item.id, state=UploadState.UPLOADING, bytes_done=4)
    journal.close()

    again = Journal.open(tmp_path / "j.sqlite3")
    got = again.get(item.id)
    assert got.path == tmp_path / "plan é.pdf"
    assert got.destination == DEST and got.destination.label == "Tower / Drawings"
    assert got.subfolders == ("Site", "Week 1")
    assert got.conflict is ConflictPolicy.SKIP
    assert got.state is UploadState.UPLOADING and got.bytes_done == 4
    assert [i.id for i in again.unfinished()] == [item.id]
    again.update(item.id, state=UploadState.DONE)
    assert again.unfinished() == []
    assert again.get(item.id).finished_at is not None


def test_transfer_steps_are_recorded(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "a")])
    segs = [SegmentRecord(0, 0, 6, "a" * 64, "b" * 32), SegmentRecord(1, 6, 4, "c" * 64, None)]
    journal.save_hashes(item.id, 6, segs)
    journal.save_created(item.id, "UUID1", "user-1", 100.0, None,
                         [("http://s/1", {"content-length": "6"}), ("http://s/2", {})])
    journal.save_etag(item.id, 0, "etag0")
    rec = journal.transfer(item.id)
    assert rec.phase == Phase.CREATED and rec.upload_uuid == "UUID1"
    assert [s.etag for s in rec.segments] == ["etag0", None]
    assert rec.segments[0].headers == {"content-length": "6"}

    journal.save_links(item.id, 200.0, None, [("http://s/1b", {}), ("http://s/2b", {})])
    rec = journal.transfer(item.id)
    assert [s.url for s in rec.segments] == ["http://s/1b", "http://s/2b"]
    assert rec.segments[0].etag == "etag0", "re-signed links keep what storage already has"

    journal.restart_transfer(item.id, keep_hashes=True)
    rec = journal.transfer(item.id)
    assert rec.phase == Phase.NEW and rec.upload_uuid is None
    assert [s.sha256 for s in rec.segments] == ["a" * 64, "c" * 64]
    assert all(s.etag is None and s.url is None for s in rec.segments)

    journal.restart_transfer(item.id, keep_hashes=False)
    assert journal.transfer(item.id).segments == []


def test_journal_file_is_private(tmp_path: Path) -> None:
    Journal.open(tmp_path / "j.sqlite3").close()
    mode = stat.S_IMODE(os.stat(tmp_path / "j.sqlite3").st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_corrupt_journal_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    journal = Journal.open(path)
    assert journal.recovered_from is not None and journal.recovered_from.exists()
    assert journal.recovered_from.read_bytes().startswith(b"this is not a database")
    assert journal.items() == []
    [item] = journal.add_items([_item(tmp_path / "a")])
    assert journal.get(item.id).name == "a"


def test_uses_wal_with_full_sync(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    con = sqlite3.connect(tmp_path / "j.sqlite3")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()
    journal.close()


KILL_WRITER = r"""
import sys, os
from pathlib import Path
from uploader_gui.journal.store import Journal
from uploader_gui.transfer.model import *
j = Journal.open(Path(sys.argv[1]))
dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2)
n = 0
while True:
    items = [UploadItem(0, Path(f"/f{n}-{k}"), k, 1, dest, (), f"f{n}-{k}", ConflictPolicy.KEEP_BOTH)
             for k in range(50)]
    j.add_items(items)
    n += 1
    if n == 3:
        print("ready", flush=True)
"""


def test_kill_during_writes_leaves_whole_transactions(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    proc = subprocess.Popen([sys.executable, "-c", KILL_WRITER, str(path)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.wait()
    journal = Journal.open(path)
    assert journal.recovered_from is None
    count = len(journal.items())
    assert count >= 150 and count % 50 == 0, count  # only whole batches, never half of one


def test_journal_damaged_twice_in_a_second_keeps_both_copies(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    asides = []
    for text in (b"first damage ", b"second damage "):
        path.write_bytes(text * 400)
        journal = Journal.open(path)
        assert journal.recovered_from is not None
        asides.append(journal.recovered_from)
        journal.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    assert asides[0] != asides[1]
    assert asides[0].read_bytes().startswith(b"first") and asides[1].read_bytes().startswith(
        b"second")


def test_reads_do_not_wait_for_a_write_in_progress(tmp_path: Path) -> None:
    """Worker threads read the journal between their own writes; a read must not wait while
    another thread's transaction (and its write to disk) is under way, and must not see it
    before it is committed."""
    import threading

    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "a")])
    seen: list[UploadItem] = []
    with journal._tx() as db:  # another thread's write, not committed yet
        db.execute("UPDATE uploads SET error='half-written' WHERE id=?", (item.id,))
        reader = threading.Thread(target=lambda: seen.append(journal.get(item.id)))
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "the read waited for the write"
    assert seen[0].error is None
    assert journal.get(item.id).error == "half-written"
    assert journal.transfer(item.id).phase == Phase.NEW
    journal.close()


def test_phase_is_stored_by_value_and_read_back_as_the_enum(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.sqlite3")
    [item] = journal.add_items([_item(tmp_path / "a.pdf")])
    assert journal.transfer(item.id).phase is Phase.NEW
    journal.update(item.id, phase=Phase.ASSOCIATING, assoc_name="a.pdf",
                   state=UploadState.FINISHING)
    journal.close()
    again = Journal.open(tmp_path / "j.sqlite3")
    rec = again.transfer(item.id)
    assert isinstance(rec.phase, Phase) and rec.phase is Phase.ASSOCIATING
    assert rec.assoc_name == "a.pdf"
    with sqlite3.connect(tmp_path / "j.sqlite3") as raw:
        [(text,)] = raw.execute("SELECT phase FROM uploads WHERE id=?", (item.id,)).fetchall()
    assert text == "associating", "journals written by earlier versions keep reading the same"
    again.update(item.id, state=UploadState.FAILED, phase=Phase.STORED)
    assert [i.id for i in again.failed_with_bytes_stored()] == [item.id]
    again.close()
