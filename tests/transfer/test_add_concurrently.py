"""Two processes (the window and a command, say) adding the same files at once queue them once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from uploader_gui.journal.store import Journal
from uploader_gui.transfer.model import ConflictPolicy, Destination, DestinationKind, UploadItem

ADDER = r"""
import sys, time
from pathlib import Path
from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind

journal_path, folder, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
# Adding needs no server: the client is never called.
client = ProcoreClient("http://127.0.0.1:9", StaticTokenProvider("unused"))
engine = UploadEngine(client, Journal.open(journal_path), Settings())
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
result = engine.add([folder], Destination(DestinationKind.PROJECT_FOLDER, 1, 2))
print(len(result.items), len(result.duplicates), flush=True)
engine.close()
engine.journal.close()
"""


def test_two_processes_adding_the_same_drop_queue_each_file_once(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    for i in range(300):
        (folder / f"sheet-{i:03d}.pdf").write_bytes(b"%PDF" + bytes([i % 256]))
    journal = tmp_path / "journal.sqlite3"
    Journal.open(journal).close()
    go = tmp_path / "go"
    for _round in range(3):
        procs = [subprocess.Popen([sys.executable, "-c", ADDER, str(journal), str(folder),
                                   str(go)], stdout=subprocess.PIPE, text=True)
                 for _ in range(2)]
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()  # both look at the journal and add at the same moment
        counts = []
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == 0
            counts.append(tuple(int(n) for n in out.split()))
        go.unlink()
        assert sum(added for added, _ in counts) == (300 if _round == 0 else 0), counts
        assert all(added + twins == 300 for added, twins in counts), counts
        stored = Journal.open(journal)
        try:
            paths = [it.path.name for it in stored.items()]
        finally:
            stored.close()
        assert len(paths) == len(set(paths)) == 300


def test_the_check_is_part_of_the_write(tmp_path: Path) -> None:
    """What the race comes down to: a twin stored after the caller looked is still found."""
    first, second = Journal.open(tmp_path / "j.sqlite3"), Journal.open(tmp_path / "j.sqlite3")
    try:
        dest = Destination(DestinationKind.PROJECT_FOLDER, 1, 2)

        def item() -> UploadItem:
            return UploadItem(id=0, path=tmp_path / "a.pdf", size=4, mtime_ns=1,
                              destination=dest, subfolders=(), name="a.pdf",
                              conflict=ConflictPolicy.KEEP_BOTH)

        assert second.known_files() == {}  # the second process looked: nothing queued
        stored, _ = first.add_new_items([item()], lambda twin, new: True)
        assert len(stored) == 1
        stored2, twins = second.add_new_items([item()], lambda twin, new: True)
        assert stored2 == [] and [t.id for t in twins] == [stored[0].id]
        assert [i.id for i in second.items()] == [stored[0].id]
    finally:
        first.close()
        second.close()
