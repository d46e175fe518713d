"""The engine records each finished file's own Procore address (from Procore's answer) with
the end state, and the history keeps it: new documents, new versions, skipped twins, photos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from uploader_gui.domain import ConflictPolicy, Destination, DestinationKind, UploadState
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine


def _run(engine: UploadEngine, path: Path, dest: Destination,
         conflict: ConflictPolicy = ConflictPolicy.KEEP_BOTH) -> Any:
    [item] = engine.add([path], dest, conflict).items
    return engine.run(item.id, TransferControl())


def _drawings(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=demo.folder_ids["Drawings"],
                       label="Main Street Tower / Documents / Drawings")


def test_a_new_document_keeps_the_address_of_the_file_itself(
        engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    plan = tmp_path / "A-101 Plan.pdf"
    plan.write_bytes(b"%PDF first floor")
    done = _run(engine, plan, _drawings(demo))
    assert done.state is UploadState.DONE
    assert done.file_url and "/api/v5/files/companies/" in done.file_url
    assert requests.get(done.file_url, timeout=10).content == b"%PDF first floor"
    [entry] = engine.journal.history(engine.api_base)
    assert entry.file_url == done.file_url and entry.link == done.file_url
    assert entry.destination == "Main Street Tower / Documents / Drawings"


def test_a_new_version_and_a_skipped_twin_point_at_their_files(
        engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    plan = tmp_path / "A-102.pdf"
    plan.write_bytes(b"revision A")
    first = _run(engine, plan, _drawings(demo))
    other = tmp_path / "later" / "A-102.pdf"
    other.parent.mkdir()
    other.write_bytes(b"revision B, longer")
    version = _run(engine, other, _drawings(demo), ConflictPolicy.NEW_VERSION)
    assert version.state is UploadState.DONE and version.procore_id == first.procore_id
    assert requests.get(version.file_url, timeout=10).content == b"revision B, longer"
    again = tmp_path / "again" / "A-102.pdf"
    again.parent.mkdir()
    again.write_bytes(b"revision C")
    skipped = _run(engine, again, _drawings(demo), ConflictPolicy.SKIP)
    assert skipped.state is UploadState.SKIPPED
    # Skipped: the address of what is already there (its latest version).
    assert requests.get(skipped.file_url, timeout=10).content == b"revision B, longer"


def test_a_photo_keeps_its_address(engine: UploadEngine, demo: Any, tmp_path: Path) -> None:
    crane = tmp_path / "crane.jpg"
    crane.write_bytes(b"\xff\xd8\xff\xe0 crane photo")
    album = Destination(DestinationKind.PHOTO_ALBUM, demo.company_id, demo.project_ids[0],
                        album_id=demo.album_id, label="Main Street Tower / Photos")
    done = _run(engine, crane, album)
    assert done.state is UploadState.DONE
    assert requests.get(done.file_url, timeout=10).content == b"\xff\xd8\xff\xe0 crane photo"


@pytest.mark.parametrize("where", ["document", "photo"])
def test_a_file_found_after_a_lost_answer_keeps_its_address(
        make_engine: Any, sandbox: Sandbox, demo: Any, tmp_path: Path, where: str) -> None:
    """Procore attaches the file but its answer never arrives: the file is found by listing
    (not attached twice) and the listing's record gives its own address, for History."""
    engine = make_engine(timeout=(5, 1.0))
    body = b"\xff\xd8\xff\xe0 found again" if where == "photo" else b"%PDF found again"
    f = tmp_path / ("site.jpg" if where == "photo" else "S-201.pdf")
    f.write_bytes(body)
    dest = _drawings(demo) if where == "document" else Destination(
        DestinationKind.PHOTO_ALBUM, demo.company_id, demo.project_ids[0],
        album_id=demo.album_id, label="Main Street Tower / Photos")
    lost = sandbox.faults.add(Fault("delay_after_commit", "associate", seconds=3))
    done = _run(engine, f, dest)
    assert lost.fired == 1
    assert done.state is UploadState.DONE, done.error
    assert done.file_url, "found by listing, still with the file's address"
    assert requests.get(done.file_url, timeout=10).content == body
    [entry] = engine.journal.history(engine.api_base)
    assert entry.file_url == done.file_url
