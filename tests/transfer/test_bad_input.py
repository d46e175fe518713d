"""Bad input through the engine: refused with a reason, or uploaded under a name Procore takes."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.unprivileged import permission_checked
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import AddResult, UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState
from uploader_gui.transfer.scan import MAX_FILE_SIZE, renamed_note


def _dest(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])


def _reasons(added: AddResult) -> dict[str, str]:
    return {r.path.name: r.reason for r in added.rejected}


def test_pipes_devices_and_shortcuts_are_refused_without_being_opened(
        engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    os.mkfifo(drop / "pipe")
    (drop / "to-pipe").symlink_to(drop / "pipe")
    (drop / "to-null").symlink_to("/dev/null")
    (drop / "broken").symlink_to(drop / "missing")
    (drop / "loop").symlink_to(drop / "loop")
    (drop / "ok.txt").write_text("ok")
    outcome: list[AddResult] = []
    # Opening a named pipe for reading blocks until a writer comes: none ever does here, so
    # add() finishing at all shows the pipe was never opened.
    worker = threading.Thread(target=lambda: outcome.append(engine.add([drop], _dest(demo))))
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "add() blocked: something opened the named pipe"
    [added] = outcome
    assert [i.name for i in added.items] == ["ok.txt"]
    reasons = _reasons(added)
    assert "named pipe" in reasons["pipe"] and "named pipe" in reasons["to-pipe"]
    assert "leads out of the dropped folder" in reasons["to-null"]  # not followed at all
    assert "no longer exists" in reasons["broken"]
    assert "loop" in reasons["loop"]
    with pytest.raises(OSError) as no_reader:
        os.open(drop / "pipe", os.O_WRONLY | os.O_NONBLOCK)
    assert no_reader.value.errno == errno.ENXIO, "nobody holds the pipe open"


def test_file_above_procores_limit_is_refused_without_reading_it(engine: UploadEngine,
                                                                 demo: Any,
                                                                 tmp_path: Path) -> None:
    over = tmp_path / "survey.las"
    limit = tmp_path / "scan.e57"
    for path, size in ((over, MAX_FILE_SIZE + 1), (limit, MAX_FILE_SIZE)):
        with open(path, "wb") as handle:
            handle.truncate(size)  # sparse: no 50 GB written
    added = engine.add([over, limit], _dest(demo))
    assert "Procore accepts files up to 50 GB" in _reasons(added)["survey.las"]
    assert "53,687,091,201 bytes" in _reasons(added)["survey.las"]
    assert [(i.name, i.size) for i in added.items] == [("scan.e57", MAX_FILE_SIZE)]


def test_names_procore_refuses_are_cleaned_uploaded_and_explained(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    originals = ['RFI 12: "roof" <draft>?.pdf', "CON.txt", "notes. ", "tab\there.txt"]
    for name in originals:
        (tmp_path / name).write_text(name)
    added = engine.add([tmp_path / n for n in originals], _dest(demo))
    assert added.rejected == []
    names = {i.path.name: i.name for i in added.items}
    assert names == {'RFI 12: "roof" <draft>?.pdf': "RFI 12- -roof- -draft--.pdf",
                     "CON.txt": "_CON.txt", "notes. ": "notes", "tab\there.txt": "tab-here.txt"}
    for item in added.items:
        done = engine.run(item.id, TransferControl())
        assert done.state is UploadState.DONE, done.error
        [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
                 if d["id"] == done.procore_id]
        assert doc["name"] == item.name
        assert sandbox.document_bytes(done.procore_id) == item.path.read_bytes()
    assert renamed_note('RFI 12: "roof" <draft>?.pdf', names['RFI 12: "roof" <draft>?.pdf']) \
        == 'as "RFI 12- -roof- -draft--.pdf" (names in Procore cannot contain " : < > ?)'
    assert "Windows reserves the name CON" in (renamed_note("CON.txt", "_CON.txt") or "")
    assert "end with a dot or a space" in (renamed_note("notes. ", "notes") or "")
    assert "U+0009" in (renamed_note("tab\there.txt", "tab-here.txt") or "")
    assert renamed_note("plan.pdf", "plan.pdf") is None


def _deep_folder(top: Path, depth: int) -> Path:
    """Folders nested below ``top`` past the 4,096-character path limit (made with dir fds)."""
    name = "d" * 200
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("deep")
    finally:
        os.close(fd)
    return top / "/".join([name] * depth) / "deep.txt"


def test_paths_too_long_to_open_are_refused_the_rest_is_queued(
        engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    top = tmp_path / "Job"
    top.mkdir()
    (top / "short.txt").write_text("short")
    deep = _deep_folder(top, 21)
    assert len(str(deep)) > 4096
    added = engine.add([top], _dest(demo))
    assert [i.name for i in added.items] == ["short.txt"]
    [refused] = added.rejected
    assert "too long" in refused.reason and "shorter path" in refused.reason
    assert len(str(refused.path)) > 4096 - 200


def test_ten_thousand_files_in_one_drop_are_all_queued(engine: UploadEngine, demo: Any,
                                                       tmp_path: Path) -> None:
    drop = tmp_path / "photos"
    drop.mkdir()
    for i in range(10_000):
        (drop / f"IMG_{i:05}.jpg").write_bytes(b"")
    added = engine.add([drop], _dest(demo))
    assert len(added.items) == 10_000 and added.rejected == [] and added.duplicates == []
    assert len(engine.items()) == 10_000
    assert {i.state for i in engine.items()} == {UploadState.QUEUED}
    again = engine.add([drop], _dest(demo))
    assert again.items == [] and len(again.duplicates) == 10_000


SCAN_AS_USER = r"""
import json, sys
from pathlib import Path
from uploader_gui.transfer.scan import scan
result = scan([Path(p) for p in sys.argv[1:]])
print(json.dumps({"files": [f.path.name for f in result.files],
                  "rejected": {r.path.name: r.reason for r in result.rejected}}))
"""


def test_unreadable_files_and_folders_refused_for_a_real_user(tmp_path: Path) -> None:
    """Run as root, the scan runs in a child without root's permission override (setpriv)."""
    prefix = permission_checked()
    drop = tmp_path / "drop"
    (drop / "locked folder").mkdir(parents=True)
    (drop / "locked folder" / "inside.txt").write_text("x")
    (drop / "secret.txt").write_text("x")
    (drop / "open.txt").write_text("x")
    os.chmod(drop / "secret.txt", 0)
    os.chmod(drop / "locked folder", 0)
    try:
        run = subprocess.run(prefix + [sys.executable, "-c", SCAN_AS_USER, str(drop)],
                             capture_output=True, text=True, timeout=60,
                             env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    finally:
        os.chmod(drop / "locked folder", 0o755)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["files"] == ["open.txt"]
    assert "permission to read this file" in result["rejected"]["secret.txt"]
    assert "permission to open this folder" in result["rejected"]["locked folder"]


def test_a_name_that_is_not_utf8_is_refused_alone_and_the_rest_is_queued(
        engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for n in range(29):
        (drop / f"sheet {n:02}.pdf").write_bytes(b"%PDF")
    # Names written on a computer with another language setting (Latin-1 bytes).
    Path(os.fsdecode(os.fsencode(drop) + b"/plan-\xe9.pdf")).write_bytes(b"%PDF")
    bad_folder = Path(os.fsdecode(os.fsencode(drop) + b"/R\xe9vision"))
    bad_folder.mkdir()
    (bad_folder / "inside.pdf").write_bytes(b"%PDF")

    added = engine.add([drop], _dest(demo))

    assert sorted(i.name for i in added.items) == [f"sheet {n:02}.pdf" for n in range(29)]
    refused = {os.fsencode(r.path.name): r.reason for r in added.rejected}
    assert set(refused) == {b"plan-\xe9.pdf", b"R\xe9vision"}
    assert "not valid text" in refused[b"plan-\xe9.pdf"] and "Rename" in refused[b"R\xe9vision"]
    assert len(engine.items()) == 29
