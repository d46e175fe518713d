"""Uploads that take longer than the storage links live, on a slow uplink (the sandbox's
``slow`` fault), with and without Show Upload re-signing the links; and a completing PATCH
whose answer was lost."""

import os
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from uploader_gui.config import Settings
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState

MiB = 1024 * 1024


@pytest.fixture
def engine_for(make_engine: Any) -> Any:
    def make(parallel: int, timeout: tuple[float, float] = (10, 60)) -> UploadEngine:
        settings = Settings(segment_threshold_mib=5, segment_size_mib=5,
                            parallel_segments=parallel, parallel_files=1)
        return make_engine(timeout=timeout, settings_=settings)  # type: ignore[no-any-return]

    return make


def _upload(engine: UploadEngine, demo: Any, path: Path) -> Any:
    dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       label="Main Street Tower / Documents")
    [item] = engine.add([path], dest).items
    return engine.run(item.id, TransferControl())


def _stored_parts(sandbox: Sandbox) -> Counter[tuple[str, int]]:
    """(upload key, part number) of every PUT storage accepted."""
    return Counter((r.path, int(parse_qs(r.query)["partNumber"][0]))
                   for r in sandbox.request_log
                   if r.server == "storage" and r.method == "PUT" and r.status == 200)


def _calls(sandbox: Sandbox, method: str, suffix: str) -> int:
    return sum(1 for r in sandbox.request_log
               if r.server == "api" and r.method == method and r.path.endswith(suffix))


def test_an_upload_needing_five_sets_of_links_finishes_in_one_upload(
        engine_for: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    """Links live 2 s (signed to the second, as S3's are) and a part takes 0.5 s: each set
    of links starts at most four parts, so the twenty need at least five sets. Show Upload
    re-signs them; the file finishes as one upload, no part sent twice, however many
    refreshes it takes."""
    sandbox.resign_on_show = True
    for target in ("create", "show"):
        sandbox.faults.add(Fault("expire_links_after", target, seconds=2, times=None))
    sandbox.faults.add(Fault("slow", "storage_put", rate=10 * MiB, times=None))
    f = tmp_path / "model.rvt"
    f.write_bytes(os.urandom(100 * MiB))  # 20 parts, 10 s
    item = _upload(engine_for(parallel=1), demo, f)
    assert item.state is UploadState.DONE, item.error
    assert sandbox.document_bytes(item.procore_id) == f.read_bytes()
    stored = _stored_parts(sandbox)
    assert sorted(n for _, n in stored) == list(range(1, 21))
    assert set(stored.values()) == {1}, "a stored part was sent again"
    assert _calls(sandbox, "POST", "/uploads") == 1
    # The first set came with the upload; at least four more came from Show Upload.
    assert _calls(sandbox, "GET", "/uploads/" + next(iter(stored))[0].rsplit("/", 1)[1]) >= 4


def test_without_re_signing_a_slow_upload_is_planned_again_once_and_told(
        engine_for: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    """Links live 3 s, are not re-signed, and twelve parts at 5 MiB/s on two lanes need
    6 s: after the first part the app sees they cannot all start in time and starts again
    as two 30 MiB parts sent at once (a PUT that starts in time completes)."""
    sandbox.resign_on_show = False
    sandbox.faults.add(Fault("expire_links_after", "create", seconds=3, times=None))
    sandbox.faults.add(Fault("slow", "storage_put", rate=5 * MiB, times=None))
    f = tmp_path / "scan.pdf"
    f.write_bytes(os.urandom(60 * MiB))
    engine = engine_for(parallel=2)
    item = _upload(engine, demo, f)
    assert item.state is UploadState.DONE, item.error
    assert "too slow" in (item.error or "") and "2 larger parts" in (item.error or "")
    assert sandbox.document_bytes(item.procore_id) == f.read_bytes()
    assert _calls(sandbox, "POST", "/uploads") == 2  # planned again once
    final = engine.journal.transfer(item.id)
    assert [s.size for s in final.segments] == [30 * MiB, 30 * MiB]


def test_a_completion_whose_answer_was_lost_attaches_without_sending_again(
        engine_for: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    """The PATCH completes the upload but its answer is late; the client's repeat gets 410
    (already complete). Show Upload says complete, so the file is attached: no part is sent
    again and no new upload is made."""
    sandbox.faults.add(Fault("delay_after_commit", "patch", seconds=3))
    f = tmp_path / "survey.las"
    f.write_bytes(os.urandom(12 * MiB))
    item = _upload(engine_for(parallel=2, timeout=(5, 1.0)), demo, f)
    assert item.state is UploadState.DONE, item.error
    # The first PATCH is still held by the sandbox (logged when answered); its repeat got 410.
    assert [r.status for r in sandbox.request_log if r.method == "PATCH"] == [410]
    assert set(_stored_parts(sandbox).values()) == {1}
    assert _calls(sandbox, "POST", "/uploads") == 1
    docs = [d for d in sandbox.documents(project_id=demo.project_ids[0]) if d["name"] == f.name]
    assert len(docs) == 1 and sandbox.document_bytes(docs[0]["id"]) == f.read_bytes()


def test_a_422_on_completing_asks_procore_then_starts_again(
        engine_for: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    """The PATCH is refused (422) and Show Upload says the upload is not complete: the file
    starts a new upload (hashes kept) instead of repeating the refused PATCH as it was."""
    sandbox.faults.add(Fault("status", "patch", status=422))
    f = tmp_path / "cut.dwg"
    f.write_bytes(os.urandom(11 * MiB))
    engine = engine_for(parallel=2)
    item = _upload(engine, demo, f)
    assert item.state is UploadState.DONE, item.error
    statuses = [r.status for r in sandbox.request_log if r.method == "PATCH"]
    assert statuses == [422, 200]
    shows = [r for r in sandbox.request_log if r.method == "GET" and "/uploads/" in r.path]
    assert len(shows) == 1  # asked before starting again
    assert _calls(sandbox, "POST", "/uploads") == 2
    assert sandbox.document_bytes(item.procore_id) == f.read_bytes()
