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
def test_a_photo_whose_answer_is_lost_is_created_once(make_engine: Any, sandbox: Sandbox,
                                                      demo: Any, tmp_path: Path,
                                                      album: bool) -> None:
    """Procore creates the photo, the answer never arrives (the client's read timeout fires):
    the retry finds the photo by its ``filename`` instead of creating a second one."""
    engine = make_engine(timeout=(5, 1.0))
    photo = tmp_path / "crane.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))
    lost = sandbox.faults.add(Fault("delay_after_commit", "associate", seconds=3))
    item = _run_one(engine, photo, _photos(demo, album))
    assert lost.fired == 1
    assert item.state is UploadState.DONE, item.error
    photos = [i for i in sandbox.images(demo.project_ids[0]) if i["name"] == "crane.jpg"]
    assert [p["id"] for p in photos] == [item.procore_id]


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

    with Sandbox(data_dir=tmp_path / "sb", rate_limit_hourly=40) as sb:
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
            import requests

            def spend(calls: int) -> None:  # by another program of the same account
                for _ in range(calls):
                    requests.get(f"{sb.api_url}/rest/v1.0/me", timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})

            spend(2)  # two calls early in the hour...
            sb.advance_clock(40 * 60)
            spend(38)  # ...and the rest 40 minutes in
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


def _storage_requests(sb: Sandbox) -> list[Any]:
    return [r for r in sb.request_log if r.server == "storage"]


def test_a_read_only_folder_is_refused_before_any_byte_is_sent(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    folder = demo.folder_ids["Drawings/Structural"]
    sandbox.set_folder(folder, read_only=True)
    f = tmp_path / "S-201.pdf"
    f.write_bytes(os.urandom(7 * MiB))
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=folder, label="Main Street Tower / Drawings / Structural")
    sandbox.clear_request_log()
    item = _run_one(engine, f, dest)
    assert item.state is UploadState.FAILED
    assert "read-only" in (item.error or "") and "Drawings/Structural" in (item.error or "")
    assert _storage_requests(sandbox) == []
    assert not [r for r in sandbox.request_log if r.path.endswith("/uploads")]


def test_a_document_checked_out_by_someone_else_is_refused_for_a_new_version(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    from uploader_gui.transfer.model import ConflictPolicy

    f = tmp_path / "Plan.pdf"
    f.write_bytes(b"version one")
    first = _run_one(engine, f, _documents(demo))
    assert first.state is UploadState.DONE
    sandbox.check_out(first.procore_id, demo.other_user_id)
    f2 = tmp_path / "again" / "Plan.pdf"
    f2.parent.mkdir()
    f2.write_bytes(b"version two")
    sandbox.clear_request_log()
    added = engine.add([f2], _documents(demo), ConflictPolicy.NEW_VERSION)
    item = engine.run(added.items[0].id, TransferControl())
    assert item.state is UploadState.FAILED
    assert "checked out by Sam Okafor" in (item.error or "")
    assert _storage_requests(sandbox) == []
    sandbox.check_out(first.procore_id, None)  # checked in: Retry adds the version
    engine.retry(item.id)
    done = engine.run(item.id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert sandbox.document_bytes(first.procore_id) == b"version two"


def test_deleted_folders_and_the_recycle_bin_are_never_used(
        engine: UploadEngine, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    """A deleted "Submittals" still comes back in the listing (marked is_deleted): a file for
    Submittals/ goes into a new, live Submittals folder, and the client asked for folders
    only where files did not matter."""
    sandbox.set_folder(demo.folder_ids["Submittals"], deleted=True)
    root = tmp_path / "Submittals"
    root.mkdir()
    (root / "cut sheet.pdf").write_bytes(b"cut sheet")
    sandbox.clear_request_log()
    [item] = [engine.run(i.id, TransferControl())
              for i in engine.add([root], _documents(demo)).items]
    assert item.state is UploadState.DONE, item.error
    [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
             if d["id"] == item.procore_id]
    with sandbox.state.lock:
        folder = sandbox.state.folders[sandbox.state.files[doc["id"]].folder_id]
        assert folder.name == "Submittals" and not folder.deleted
    listings = [r for r in sandbox.request_log if r.method == "GET" and "/folders" in r.path]
    assert listings and any("exclude_files=true" in r.query for r in listings)


@pytest.mark.parametrize("status", [401, 403])
def test_an_app_not_installed_in_the_company_is_said_plainly(make_engine: Any,
                                                             sandbox: Sandbox, demo: Any,
                                                             tmp_path: Path,
                                                             status: int) -> None:
    """Procore answers 401 or 403 to an app not installed in the company: the file fails
    with that reason (App Management), it does not wait for a sign-in that cannot help."""
    sandbox.set_company(demo.company_id, app_installed=False, not_installed_status=status)
    engine = make_engine()
    f = tmp_path / "rfi.pdf"
    f.write_bytes(b"rfi")
    item = _run_one(engine, f, _documents(demo))
    assert item.state is UploadState.FAILED, item.state
    assert "not installed" in (item.error or "")
    assert _storage_requests(sandbox) == []


def test_the_content_type_is_left_to_procore(engine: UploadEngine, sandbox: Sandbox,
                                            demo: Any, tmp_path: Path) -> None:
    """Seed 000: response_content_type "should only be included when you are certain it's
    correct"; a guess from the extension (on Windows partly from the registry) is not."""
    from uploader_gui.journal.store import TransferRecord
    from uploader_gui.transfer.storage_flows import _create_body

    f = tmp_path / "odd.pdf"
    f.write_bytes(b"not really a pdf")
    item = engine.add([f], _documents(demo)).items[0]
    assert _create_body(item, TransferRecord()) == {"response_filename": "odd.pdf", "size": 16}
    assert engine.run(item.id, TransferControl()).state is UploadState.DONE


def _crowd_photos(sandbox: Sandbox, project_id: int, album_id: int | None, user_id: int,
                  count: int) -> None:
    """``count`` photos already in the project: most by someone else, some by the same
    person days ago, some with the very name of the one being uploaded."""
    from uploader_gui.sandbox.records import Image

    now = sandbox.state.now()
    with sandbox.state.lock:
        for n in range(count):
            mine = n % 10 == 0
            image = Image(sandbox.state.new_id(), project_id, album_id,
                          "crane.jpg" if n % 7 == 0 else f"IMG_{n:05d}.jpg", f"U{n}", 2004,
                          Path("/nonexistent"), "", now - 3 * 86400 + n,
                          uploader_id=user_id if mine else user_id + 1)
            sandbox.state.images[image.id] = image


@pytest.mark.parametrize("album", [True, False], ids=["album", "no-album"])
def test_a_lost_photo_answer_in_a_project_of_5000_photos_costs_a_few_listings(
        make_engine: Any, sandbox: Sandbox, demo: Any, tmp_path: Path, album: bool) -> None:
    """List Images' filters (this uploader, created since the request went out) and the
    largest page find the photo in one or two requests, not 50 pages of everything."""
    _crowd_photos(sandbox, demo.project_ids[0], demo.album_id if album else None,
                  demo.user_id, 5000)
    engine = make_engine(timeout=(5, 1.0))
    photo = tmp_path / "crane.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(2000))  # same size as the crowd
    sandbox.faults.add(Fault("delay_after_commit", "associate", seconds=3))
    sandbox.clear_request_log()
    item = _run_one(engine, photo, _photos(demo, album))
    assert item.state is UploadState.DONE, item.error
    listings = [r for r in sandbox.request_log
                if r.method == "GET" and r.path == "/rest/v1.0/images"]
    assert 1 <= len(listings) <= 3
    assert all("filters%5Buploader_id%5D" in r.query for r in listings)
    new = [i for i in sandbox.images(demo.project_ids[0])
           if i["name"] == "crane.jpg" and i["upload_uuid"] != "" and
           not i["upload_uuid"].startswith("U")]
    assert [i["id"] for i in new] == [item.procore_id]


@pytest.mark.parametrize("environment", ["production", "sandbox", "monthly"])
def test_open_in_procore_links_use_the_environments_web_host(
        make_engine: Any, demo: Any, tmp_path: Path, environment: str) -> None:
    """The link opens the folder the file went to, on the environment's browser domain."""
    from uploader_gui.config import ENVIRONMENTS

    web = ENVIRONMENTS[environment].web_base
    engine = make_engine(web_base=web)
    f = tmp_path / "A-101.pdf"
    f.write_bytes(b"plan")
    folder = demo.folder_ids["Drawings/Architectural"]
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id,
                       demo.project_ids[0], folder_id=folder, label="Drawings")
    item = _run_one(engine, f, dest)
    assert item.state is UploadState.DONE
    assert item.web_url == (f"{web}/{demo.project_ids[0]}/project/documents"
                            f"?folder_id={folder}")
