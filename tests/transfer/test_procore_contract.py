"""The last steps of each flow as Procore's reference defines them, against the strict sandbox.

Each of these was accepted by an earlier, kinder sandbox and would fail against Procore: the
v1.1 completing PATCH, photos without an album, finding a photo after a lost answer, and an
upload that Procore deleted because it was not attached within a week.
"""

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState

MiB = 1024 * 1024
WEEK = 7 * 24 * 3600


def _photos(demo: Any, album: bool) -> Destination:
    return Destination(DestinationKind.PHOTO_ALBUM, demo.company_id, demo.project_ids[0],
                       album_id=demo.album_id if album else None,
                       label="Main Street Tower / Photos")


def _documents(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       label="Main Street Tower / Documents")


def _run_one(engine: UploadEngine, path: Path, dest: Destination) -> Any:
    added = engine.add([path], dest)
    assert added.rejected == [] and len(added.items) == 1
    return engine.run(added.items[0].id, TransferControl())


def test_a_40_mib_file_completes(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                                 tmp_path: Path) -> None:
    """Eight segments; the PATCH carries size, sha256, md5 and etag per segment, in order
    (the sandbox refuses anything less on v1.1)."""
    f = tmp_path / "model.ifc"
    f.write_bytes(os.urandom(40 * MiB))
    item = _run_one(engine, f, _documents(demo))
    assert item.state is UploadState.DONE, item.error
    assert sandbox.document_bytes(item.procore_id) == f.read_bytes()
    patches = [r for r in sandbox.request_log if r.method == "PATCH"]
    assert len(patches) == 1 and patches[0].status == 200


@pytest.mark.parametrize("album", [True, False], ids=["album", "no-album"])
def test_photos_with_and_without_an_album(engine: UploadEngine, sandbox: Sandbox, demo: Any,
                                          tmp_path: Path, album: bool) -> None:
    photo = tmp_path / "slab pour.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(3000))
    item = _run_one(engine, photo, _photos(demo, album))
    assert item.state is UploadState.DONE, item.error
    [image] = [i for i in sandbox.images(demo.project_ids[0]) if i["id"] == item.procore_id]
    assert image["name"] == "slab pour.jpg"
    assert image["album_id"] == (demo.album_id if album else None)
    assert sandbox.image_bytes(item.procore_id) == photo.read_bytes()


@pytest.mark.parametrize("album", [True, False], ids=["album", "no-album"])
def test_a_photo_whose_answer_is_lost_is_created_once(sandbox: Sandbox, demo: Any,
                                                      settings: Settings, tmp_path: Path,
                                                      album: bool) -> None:
    """Procore creates the photo, the answer never arrives (the client's read timeout fires):
    the retry finds the photo by its ``filename`` instead of creating a second one."""
    client = ProcoreClient(sandbox.api_url, StaticTokenProvider(
        sandbox.issue_token(demo.user_id), identity=str(demo.user_id)), timeout=(5, 1.0))
    journal = Journal.open(tmp_path / "journal.sqlite3")
    engine = UploadEngine(client, journal, settings)
    try:
        photo = tmp_path / "crane.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
        lost = sandbox.faults.add(Fault("delay_after_commit", "associate", seconds=3))
        item = _run_one(engine, photo, _photos(demo, album))
        assert lost.fired == 1
        assert item.state is UploadState.DONE, item.error
        photos = [i for i in sandbox.images(demo.project_ids[0]) if i["name"] == "crane.jpg"]
        assert [p["id"] for p in photos] == [item.procore_id]
    finally:
        engine.close()
        journal.close()


def _backdate_upload(journal_path: Path, upload_id: int, seconds: float) -> None:
    db = sqlite3.connect(journal_path)
    with db:
        db.execute("UPDATE uploads SET upload_created_at = upload_created_at - ? WHERE id = ?",
                   (seconds, upload_id))
    db.close()


@pytest.mark.parametrize("journal_knows", [True, False],
                         ids=["journal-clock", "procore-says-gone"])
def test_an_8_day_old_stored_upload_starts_over(make_engine: Any, sandbox: Sandbox, demo: Any,
                                                tmp_path: Path, journal_knows: bool) -> None:
    """The bytes reached storage, attaching failed (no permission yet); eight days later the
    permission is fixed and Retry sends the file again as a new upload and attaches it,
    whether the journal's own clock says the upload is too old or Procore answers 410."""
    f = tmp_path / "spec.pdf"
    f.write_bytes(os.urandom(6 * MiB + 7))  # segmented: two parts
    engine = make_engine()
    refused = sandbox.faults.add(Fault("status", "associate", status=403))
    item = _run_one(engine, f, _documents(demo))
    assert refused.fired == 1
    assert item.state is UploadState.FAILED
    old_uuid = engine.journal.transfer(item.id).upload_uuid
    assert old_uuid is not None
    engine.close()
    engine.journal.close()

    sandbox.advance_clock(8 * 24 * 3600)
    if journal_knows:
        _backdate_upload(tmp_path / "journal.sqlite3", item.id, 8 * 24 * 3600)
    engine = make_engine()  # a fresh sign-in: the old token expired with the days
    sandbox.clear_request_log()
    engine.retry(item.id)
    done = engine.run(item.id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert "deleted the earlier upload" in (done.error or "")
    assert sandbox.document_bytes(done.procore_id) == f.read_bytes()
    new_uuid = engine.journal.transfer(item.id).upload_uuid
    assert new_uuid != old_uuid
    creates = [r for r in sandbox.request_log
               if r.method == "POST" and r.path.endswith("/uploads")]
    assert len(creates) == 1
    docs = [d for d in sandbox.documents(project_id=demo.project_ids[0]) if d["name"] == f.name]
    assert len(docs) == 1


def test_hashes_are_kept_when_an_expired_upload_starts_over(make_engine: Any,
                                                            sandbox: Sandbox, demo: Any,
                                                            tmp_path: Path) -> None:
    """Starting over after the week reuses the segment hashes (the file did not change)."""
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(11 * MiB))
    engine = make_engine()
    sandbox.faults.add(Fault("status", "associate", status=403))
    item = _run_one(engine, f, _documents(demo))
    hashes = [(s.sha256, s.size) for s in engine.journal.transfer(item.id).segments]
    engine.close()
    engine.journal.close()
    _backdate_upload(tmp_path / "journal.sqlite3", item.id, 8 * 24 * 3600)
    sandbox.advance_clock(8 * 24 * 3600)
    engine = make_engine()
    engine.retry(item.id)
    done = engine.run(item.id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert [(s.sha256, s.size) for s in engine.journal.transfer(item.id).segments] == hashes


def test_an_hourly_hold_of_20_minutes_leaves_files_waiting_then_done(
        tmp_path: Path, settings: Settings) -> None:
    """The hourly limit is spent 40 minutes into its hour: Procore answers 429 with a reset
    20 minutes away. The files wait that long (a simulated clock shared by the sandbox and the
    client), the person is told until when, and then they finish by themselves."""
    from uploader_gui.procore.http import RetryPolicy
    from uploader_gui.procore.pace_notice import pace_notice

    with Sandbox(data_dir=tmp_path / "sb", rate_limit_hourly=6) as sb:
        demo = sb.seed_demo()
        token = sb.issue_token(demo.user_id)
        seen: list[tuple[float, str | None, list[UploadState]]] = []
        holder: dict[str, Any] = {}

        def fake_sleep(seconds: float) -> None:
            if seconds > 60:  # the hold: look at what the person sees, then let it pass
                notice = pace_notice(holder["client"].pacer)
                states = [i.state for i in holder["engine"].items()]
                seen.append((seconds, notice.text if notice else None, states))
            sb.advance_clock(seconds)

        retry = RetryPolicy(clock=sb.state.now, sleep=fake_sleep)
        client = ProcoreClient(sb.api_url, StaticTokenProvider(token, str(demo.user_id)),
                               retry=retry)
        journal = Journal.open(tmp_path / "journal.sqlite3")
        engine = UploadEngine(client, journal, settings)
        holder.update(client=client, engine=engine)
        try:
            for _ in range(2):  # two calls early in the hour...
                client.me()
            sb.advance_clock(40 * 60)
            for _ in range(4):  # ...and the rest 40 minutes in
                client.me()
            files = []
            for n in range(3):
                f = tmp_path / f"rfi-{n}.pdf"
                f.write_bytes(os.urandom(1000 + n))
                files.append(f)
            added = engine.add(files, _documents(demo))
            finished = [engine.run(i.id, TransferControl()) for i in added.items]
        finally:
            engine.close()
            journal.close()
            client.close()
        assert [i.state for i in finished] == [UploadState.DONE] * 3, [i.error for i in finished]
        assert seen, "the limit was never met"
        wait, text, states = seen[0]
        assert 19 * 60 <= wait <= 20 * 60 + 2
        assert text is not None and "until" in text and "about 20 minutes" in text
        assert not any(s.finished for s in states), "a file was given up during the hold"
        for f in files:
            [doc] = [d for d in sb.documents(project_id=demo.project_ids[0])
                     if d["name"] == f.name]
            assert sb.document_bytes(doc["id"]) == f.read_bytes()
