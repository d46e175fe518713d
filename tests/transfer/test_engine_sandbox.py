"""End-to-end uploads through the engine to the sandbox over real sockets."""

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.domain import Phase
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import (ConflictPolicy, Destination, DestinationKind,
                                         ProgressEvent, UploadState)

MiB = 1024 * 1024


def _project_root(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       label="Main Street Tower / Documents")


def _upload(engine: UploadEngine, paths: list[Path], dest: Destination,
            conflict: ConflictPolicy = ConflictPolicy.KEEP_BOTH) -> list[Any]:
    added = engine.add(paths, dest, conflict)
    assert added.rejected == []
    return [engine.run(item.id, TransferControl()) for item in added.items]


def _doc_by_id(sandbox: Sandbox, project_id: int, file_id: int) -> dict:
    [doc] = [d for d in sandbox.documents(project_id=project_id) if d["id"] == file_id]
    return doc


@pytest.mark.parametrize("size", [0, 1, 5 * MiB - 1, 5 * MiB, 10 * MiB + 1],
                         ids=["empty", "one-byte", "below-threshold", "exactly-threshold",
                              "three-segments-last-1-byte"])
def test_bytes_in_procore_equal_bytes_on_disk(engine: UploadEngine, sandbox: Sandbox,
                                               demo: Any, tmp_path: Path, size: int) -> None:
    f = tmp_path / f"file-{size}.bin"
    data = os.urandom(size)
    f.write_bytes(data)
    [item] = _upload(engine, [f], _project_root(demo))
    assert item.state is UploadState.DONE, item.error
    assert item.bytes_done == size
    doc = _doc_by_id(sandbox, demo.project_ids[0], item.procore_id)
    assert doc["name"] == f.name
    assert sandbox.document_bytes(item.procore_id) == data
    segmented = [u for u in sandbox.uploads() if u["segmented"]]
    assert bool(segmented) == (size >= 5 * MiB)


def test_non_ascii_names(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                         tmp_path: Path) -> None:
    f = tmp_path / "Plan d'étage – 東京 №5.pdf"
    f.write_bytes(b"%PDF-1.4 hello")
    [item] = _upload(engine, [f], _project_root(demo))
    assert item.state is UploadState.DONE, item.error
    assert _doc_by_id(sandbox, demo.project_ids[0], item.procore_id)["name"] == f.name


def test_folder_tree_is_recreated_once(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                                       tmp_path: Path) -> None:
    root = tmp_path / "Site Visit"
    (root / "North" / "Roof").mkdir(parents=True)
    (root / "South").mkdir()
    files = {root / "summary.txt": b"s", root / "North" / "n1.txt": b"n1",
             root / "North" / "n2.txt": b"n2", root / "North" / "Roof" / "r.txt": b"r",
             root / "South" / "s.txt": b"south"}
    for path, data in files.items():
        path.write_bytes(data)
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=demo.folder_ids["Drawings"], label="Drawings")
    added = engine.add([root], dest)
    # Run them in parallel, as the window does: the missing folders must be created once.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        items = list(pool.map(lambda i: engine.run(i.id, TransferControl()), added.items))
    assert all(i.state is UploadState.DONE for i in items), [i.error for i in items]
    client = engine.client
    from uploader_gui.procore.client import Scope

    scope = Scope(demo.company_id, demo.project_ids[0])
    drawings = client.folder(scope, demo.folder_ids["Drawings"])
    visits = [f for f in drawings["folders"] if f["name"] == "Site Visit"]
    assert len(visits) == 1
    visit = client.folder(scope, visits[0]["id"])
    assert sorted(f["name"] for f in visit["folders"]) == ["North", "South"]
    assert [d["name"] for d in visit["files"]] == ["summary.txt"]
    north = client.folder(scope, [f for f in visit["folders"] if f["name"] == "North"][0]["id"])
    assert sorted(d["name"] for d in north["files"]) == ["n1.txt", "n2.txt"]
    assert [f["name"] for f in north["folders"]] == ["Roof"]
    for item in items:
        assert sandbox.document_bytes(item.procore_id) == files[item.path]

    # Dropping a second tree into the same place reuses the existing folders.
    (tmp_path / "b" / "Site Visit" / "North").mkdir(parents=True)
    extra = tmp_path / "b" / "Site Visit" / "North" / "n3.txt"
    extra.write_bytes(b"n3")
    [item] = _upload(engine, [tmp_path / "b" / "Site Visit"], dest)
    assert item.state is UploadState.DONE
    drawings = client.folder(scope, demo.folder_ids["Drawings"])
    assert len([f for f in drawings["folders"] if f["name"] == "Site Visit"]) == 1


def test_company_documents(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                           tmp_path: Path) -> None:
    f = tmp_path / "policy.docx"
    f.write_bytes(b"company wide")
    dest = Destination(DestinationKind.COMPANY_FOLDER, demo.company_id, label="Company")
    [item] = _upload(engine, [f], dest)
    assert item.state is UploadState.DONE, item.error
    docs = sandbox.documents(company_id=demo.company_id)
    assert [d["name"] for d in docs if d["id"] == item.procore_id] == ["policy.docx"]
    assert sandbox.document_bytes(item.procore_id) == b"company wide"


def test_photo_album(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                     tmp_path: Path) -> None:
    photo = tmp_path / "slab.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    dest = Destination(DestinationKind.PHOTO_ALBUM, demo.company_id, demo.project_ids[0],
                       album_id=demo.album_id, label="Site Progress")
    added = engine.add([photo, notes], dest)
    assert [r.path for r in added.rejected] == [notes]
    assert "photo" in added.rejected[0].reason
    item = engine.run(added.items[0].id, TransferControl())
    assert item.state is UploadState.DONE, item.error
    [image] = [i for i in sandbox.images(demo.project_ids[0]) if i["id"] == item.procore_id]
    assert image["album_id"] == demo.album_id
    assert sandbox.image_bytes(item.procore_id) == photo.read_bytes()


def test_conflict_policies(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                           tmp_path: Path) -> None:
    project = demo.project_ids[0]
    dest = _project_root(demo)
    first = tmp_path / "1" / "report.pdf"
    first.parent.mkdir()
    first.write_bytes(b"version one")
    [original] = _upload(engine, [first], dest)
    assert original.state is UploadState.DONE

    def again(content: bytes, policy: ConflictPolicy) -> Any:
        folder = tmp_path / policy.value
        folder.mkdir()
        f = folder / "report.pdf"
        f.write_bytes(content)
        [item] = _upload(engine, [f], dest, policy)
        return item

    skipped = again(b"skip me", ConflictPolicy.SKIP)
    assert skipped.state is UploadState.SKIPPED
    assert skipped.procore_id == original.procore_id

    versioned = again(b"version two", ConflictPolicy.NEW_VERSION)
    assert versioned.state is UploadState.DONE, versioned.error
    assert versioned.procore_id == original.procore_id
    doc = _doc_by_id(sandbox, project, original.procore_id)
    assert len(doc["versions"]) == 2
    assert sandbox.document_bytes(original.procore_id) == b"version two"
    assert sandbox.document_bytes(original.procore_id, version=0) == b"version one"

    both = again(b"another one", ConflictPolicy.KEEP_BOTH)
    assert both.state is UploadState.DONE and both.procore_id != original.procore_id
    names = sorted(d["name"] for d in sandbox.documents(project_id=project)
                   if d["parent_id"] == doc["parent_id"] and d["name"].startswith("report"))
    assert names == ["report (1).pdf", "report.pdf"]
    assert sandbox.document_bytes(both.procore_id) == b"another one"
    # The person is told the name Procore gave it, and the history lists it under that name.
    assert both.name == "report.pdf" and both.procore_name == "report (1).pdf"
    assert both.error == ("Procore already had a file named report.pdf there, so this one "
                          "was saved as report (1).pdf.")
    assert [e.name for e in engine.journal.history(engine.api_base)
            if e.upload_id == both.id] == ["report (1).pdf"]
    assert original.procore_name is None and versioned.procore_name is None


def test_same_file_dropped_twice_is_queued_once(engine: UploadEngine, demo: Any,
                                                tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("a")
    first = engine.add([f, f], _project_root(demo))
    assert len(first.items) == 1 and len(first.duplicates) == 1
    second = engine.add([f], _project_root(demo))
    assert second.items == [] and [d.id for d in second.duplicates] == [first.items[0].id]


def test_progress_events_are_monotonic(engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(12 * MiB))
    events: list[ProgressEvent] = []
    [item] = engine.add([f], _project_root(demo)).items
    result = engine.run(item.id, TransferControl(), events.append)
    assert result.state is UploadState.DONE
    done = [e.bytes_done for e in events]
    assert done == sorted(done) and done[-1] == 12 * MiB
    assert all(e.bytes_done <= e.total for e in events)
    assert events[-1].state is UploadState.DONE
    assert {UploadState.HASHING, UploadState.UPLOADING, UploadState.FINISHING} <= {
        e.state for e in events}


def test_pause_then_resume_sends_only_missing_segments(engine: UploadEngine, sandbox: Sandbox,
                                                       demo: Any, tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    data = os.urandom(25 * MiB)  # five segments
    f.write_bytes(data)
    [item] = engine.add([f], _project_root(demo)).items
    control = TransferControl()

    def pause_after_two(event: ProgressEvent) -> None:
        # An event follows each stored segment at once, so this pauses right after the
        # second one, before the third starts: nothing is cut off mid-body.
        if event.bytes_done >= 10 * MiB:
            control.pause()

    engine.settings.parallel_segments = 1
    paused = engine.run(item.id, control, pause_after_two)
    assert paused.state is UploadState.PAUSED
    stored = [s for s in engine.journal.transfer(item.id).segments if s.etag]
    assert len(stored) == 2
    sandbox.clear_request_log()
    resumed = engine.run(engine.retry(item.id).id, TransferControl())
    assert resumed.state is UploadState.DONE, resumed.error
    puts = [r for r in sandbox.request_log if r.server == "storage" and r.method == "PUT"]
    assert len(puts) == 5 - len(stored)
    assert sandbox.document_bytes(resumed.procore_id) == data


def test_cancel_is_prompt_and_retry_finishes(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                                             tmp_path: Path) -> None:
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(15 * MiB))
    [item] = engine.add([f], _project_root(demo)).items
    control = TransferControl()
    control.cancel()
    assert engine.run(item.id, control).state is UploadState.CANCELLED
    assert sandbox.documents(project_id=demo.project_ids[0]) == [] or all(
        d["name"] != "big.bin" for d in sandbox.documents(project_id=demo.project_ids[0]))
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE
    assert sandbox.document_bytes(done.procore_id) == f.read_bytes()


def test_token_never_reaches_storage(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                                     tmp_path: Path) -> None:
    small = tmp_path / "s.txt"
    small.write_text("s")
    big = tmp_path / "b.bin"
    big.write_bytes(os.urandom(6 * MiB))
    for item in _upload(engine, [small, big], _project_root(demo)):
        assert item.state is UploadState.DONE
    storage = [r for r in sandbox.request_log if r.server == "storage"]
    assert len(storage) == 3  # one POST, two PUTs
    assert not any(r.authorization_sent for r in storage)


def _pause_when_fired(engine: UploadEngine, item_id: int, fault: Fault) -> UploadState:
    """Run the upload in a thread, pause it once ``fault`` has fired; the state it ends in."""
    control = TransferControl()
    outcome: list[Any] = []
    worker = threading.Thread(target=lambda: outcome.append(engine.run(item_id, control)))
    worker.start()
    deadline = time.monotonic() + 20
    while not fault.fired and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fault.fired, "the upload reached the fault"
    time.sleep(0.2)
    control.pause()
    # The fault would hold the upload for a minute or more; a pause must not wait for it.
    worker.join(5)
    assert not worker.is_alive(), "pausing waited for the stuck request"
    return outcome[0].state


@pytest.mark.parametrize("fault", [
    Fault("stall", "storage_put", seconds=60, times=1),
    Fault("stall", "create", seconds=60, times=1),
    Fault("status", "create", status=429, retry_after=120, times=1),
], ids=["storage-stuck", "api-stuck", "told-to-wait-two-minutes"])
def test_pause_while_waiting_stops_at_once_and_resumes(
        make_engine: Any, sandbox: Sandbox, demo: Any, tmp_path: Path, fault: Fault) -> None:
    engine = make_engine()
    f = tmp_path / "stuck.bin"
    data = os.urandom(12 * MiB)
    f.write_bytes(data)
    [item] = engine.add([f], _project_root(demo)).items
    sandbox.faults.add(fault)
    assert _pause_when_fired(engine, item.id, fault) is UploadState.PAUSED
    engine.close()
    engine.journal.close()
    # The next start of the app (a new client: the old one still honours the 429's hold).
    again = make_engine()
    done = again.run(again.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert sandbox.document_bytes(done.procore_id) == data


def test_a_small_file_takes_four_journal_commits(engine: UploadEngine, sandbox: Sandbox,
                                                  demo: Any, tmp_path: Path) -> None:
    """Each commit is a write to disk (synchronous=FULL): with many small files they are what
    bounds the rate. Created (with its folder), stored, associating, done: four."""
    f = tmp_path / "sheet.pdf"
    f.write_bytes(b"%PDF-1.4 sheet")
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=demo.folder_ids["Drawings"], label="Drawings")
    [queued] = engine.add([f], dest).items
    statements: list[str] = []
    engine.journal._db.set_trace_callback(statements.append)
    try:
        item = engine.run(queued.id, TransferControl())
    finally:
        engine.journal._db.set_trace_callback(None)
    assert item.state is UploadState.DONE, item.error
    commits = [s for s in statements if s.strip().upper() == "COMMIT"]
    assert len(commits) == 4, statements
    rec = engine.journal.transfer(item.id)
    assert rec.folder_id == demo.folder_ids["Drawings"]
    assert rec.phase is Phase.ASSOCIATED
    assert _doc_by_id(sandbox, demo.project_ids[0], item.procore_id)["parent_id"] == \
        demo.folder_ids["Drawings"]
