"""Files changed, truncated, renamed or deleted during or between runs: detected, the person is
told, and nothing mixed ever reaches Procore (what is stored is always one whole version).

Changed files are uploaded again from the start in their latest saved version, with a note saying
so; a file that is gone (moved, renamed, deleted) fails with that reason.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer import segments
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, ProgressEvent, UploadState

MiB = 1024 * 1024


def _dest(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])


def _after_first_segment_hashed(monkeypatch: pytest.MonkeyPatch,
                                action: Callable[[], None]) -> list[bool]:
    """Run ``action`` once, right after the first segment is hashed; the list says it ran."""
    real = segments.hash_range
    ran: list[bool] = []

    def hash_then_act(path: Path, offset: int, size: int, *args: Any, **kw: Any) -> Any:
        result = real(path, offset, size, *args, **kw)
        if offset == 0 and not ran:
            ran.append(True)
            action()
        return result

    monkeypatch.setattr(segments, "hash_range", hash_then_act)
    return ran


def _stored(sandbox: Sandbox, demo: Any, name: str) -> list[bytes]:
    return [sandbox.document_bytes(d["id"]) for d in sandbox.documents(
        project_id=demo.project_ids[0]) if d["name"] == name]


@pytest.mark.parametrize("size", [3 * MiB, 20 * MiB], ids=["single", "segmented"])
def test_truncated_during_a_run_uploads_the_new_version_whole(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path, size: int) -> None:
    f = tmp_path / "log.csv"
    f.write_bytes(os.urandom(size))
    [item] = engine.add([f], _dest(demo)).items
    engine.settings.parallel_segments = 1
    cut: list[int] = []

    def truncate_once(event: ProgressEvent) -> None:
        # A single file is cut as its bytes start going out; a segmented one after its first
        # segment is in storage (progress is reported as each segment is stored).
        due = event.state is UploadState.UPLOADING and (
            size < 5 * MiB or event.bytes_done >= 5 * MiB)
        if due and not cut:
            cut.append(event.bytes_done)
            with open(f, "r+b") as handle:  # the program writing it started over
                handle.truncate(size // 3)

    done = engine.run(item.id, TransferControl(), truncate_once)
    assert cut, "the file was truncated during the run"
    assert done.state is UploadState.DONE, done.error
    assert "changed" in (done.error or "") and "latest saved version" in (done.error or "")
    assert done.size == size // 3
    assert _stored(sandbox, demo, "log.csv") == [f.read_bytes()]


def test_renamed_between_runs_fails_with_the_reason(engine: UploadEngine, sandbox: Sandbox,
                                                    demo: Any, tmp_path: Path) -> None:
    f = tmp_path / "model.ifc"
    f.write_bytes(os.urandom(11 * MiB))
    [item] = engine.add([f], _dest(demo)).items
    control = TransferControl()
    engine.settings.parallel_segments = 1
    paused = engine.run(item.id, control,
                        lambda e: control.pause() if e.bytes_done >= 5 * MiB else None)
    assert paused.state is UploadState.PAUSED
    f.rename(tmp_path / "model-v2.ifc")
    failed = engine.run(engine.retry(item.id).id, TransferControl())
    assert failed.state is UploadState.FAILED
    assert failed.error == "The file was moved, renamed or deleted before it finished uploading."
    assert _stored(sandbox, demo, "model.ifc") == []


def test_changed_while_hashing_is_hashed_again_and_uploaded_whole(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The change lands between hashing the first segment and the next (a hook on hashing)."""
    f = tmp_path / "drawing.dwg"
    f.write_bytes(os.urandom(15 * MiB))
    new = os.urandom(15 * MiB)
    def change() -> None:
        f.write_bytes(new)
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000_000))

    changed = _after_first_segment_hashed(monkeypatch, change)
    [item] = engine.add([f], _dest(demo)).items
    done = engine.run(item.id, TransferControl())
    assert changed
    assert done.state is UploadState.DONE, done.error
    assert _stored(sandbox, demo, "drawing.dwg") == [new]
    assert "latest saved version was uploaded" in (done.error or "")


def test_changed_in_place_keeping_size_and_time_is_refused_by_storage(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Same size, modification time put back: only the segment hashes can tell. Storage checks
    each part against the SHA-256 given at creation, so the part is refused and the file is
    hashed and sent again; the stored bytes are one whole version, never a mix."""
    f = tmp_path / "sheet.pdf"
    f.write_bytes(os.urandom(15 * MiB))
    stamp = f.stat()
    def scribble() -> None:
        with open(f, "r+b") as handle:
            handle.write(b"\x00" * 4096)  # inside the segment just hashed
        os.utime(f, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    changed = _after_first_segment_hashed(monkeypatch, scribble)
    [item] = engine.add([f], _dest(demo)).items
    done = engine.run(item.id, TransferControl())
    assert changed
    assert done.state is UploadState.DONE, done.error
    assert _stored(sandbox, demo, "sheet.pdf") == [f.read_bytes()]
    assert "changed" in (done.error or "")


def test_file_replaced_by_a_named_pipe_is_never_opened(engine: UploadEngine, sandbox: Sandbox,
                                                       demo: Any, tmp_path: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text("a,b\n")
    [item] = engine.add([f], _dest(demo)).items
    f.unlink()
    os.mkfifo(f)  # opening it for reading would wait for a writer forever
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(engine.run(item.id,
                                                                       TransferControl())))
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the run blocked on the named pipe"
    [failed] = outcome
    assert failed.state is UploadState.FAILED
    assert "moved, renamed or deleted" in (failed.error or "")
    assert _stored(sandbox, demo, "export.csv") == []


@pytest.mark.parametrize("how", ["grows", "tail rewritten, same size and time"])
def test_changed_after_its_segments_were_sent_is_started_again_before_completing(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path, how: str) -> None:
    """Every segment is in storage and checked; then the file changes, just before the PATCH.
    Without a look at the file then, Procore would keep the old bytes as 'uploaded'."""
    f = tmp_path / "survey.las"
    f.write_bytes(os.urandom(12 * MiB + 5))
    stamp = f.stat()
    changed: list[bool] = []

    def change_once(event: ProgressEvent) -> None:
        if event.state is not UploadState.FINISHING or changed:
            return
        changed.append(True)
        if how == "grows":
            with open(f, "ab") as handle:  # the scanner appended another sweep
                handle.write(os.urandom(3 * MiB))
        else:
            with open(f, "r+b") as handle:
                handle.seek(-100, os.SEEK_END)
                handle.write(b"\xff" * 100)
            os.utime(f, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    [item] = engine.add([f], _dest(demo)).items
    done = engine.run(item.id, TransferControl(), change_once)
    assert changed
    assert done.state is UploadState.DONE, done.error
    assert _stored(sandbox, demo, "survey.las") == [f.read_bytes()]
    assert "changed after its parts were sent" in (done.error or "")
    assert "latest saved version was uploaded" in (done.error or "")
    completed = [u for u in sandbox.uploads() if u["status"] == "complete"]
    assert len(completed) == 1, "the upload holding the old bytes was never completed"
