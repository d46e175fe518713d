"""Resuming: expired links, another sign-in, lost association answers, files changed since."""

import os
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.auth.switchable import SwitchableTokens
from uploader_gui.journal.store import Journal, Phase
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer import storage_flows
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import (Destination, DestinationKind, ProgressEvent, UploadItem,
                                         UploadState)

MiB = 1024 * 1024


def _dest(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])


def _queue(engine: Any, demo: Any, f: Path, size: int) -> UploadItem:
    """Write ``size`` random bytes to ``f`` and queue it for the project's Documents."""
    f.write_bytes(os.urandom(size))
    [item] = engine.add([f], _dest(demo)).items
    return item


def _pause_after(engine: Any, item_id: int, nbytes: int) -> None:
    control = TransferControl()

    def watch(event: ProgressEvent) -> None:
        if event.bytes_done >= nbytes:
            control.pause()

    engine.settings.parallel_segments = 1
    assert engine.run(item_id, control, watch).state is UploadState.PAUSED


def _age_links(engine: Any, item_id: int, sandbox: Sandbox, seconds: float) -> None:
    """Both clocks move on: ours (the journal's link time) and the sandbox's (link expiry)."""
    rec = engine.journal.transfer(item_id)
    engine.journal.save_links(item_id, rec.upload_created_at - seconds, rec.instructions,
                              [(s.url, s.headers) for s in rec.segments] or None)
    sandbox.advance_clock(seconds)


def _storage_puts(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.request_log if r.server == "storage" and r.method == "PUT")


def test_expired_links_resigned_by_show_only_missing_segments_resent(
        tmp_path: Path, demo: Any, make_engine: Any, sandbox: Sandbox) -> None:
    sandbox.resign_on_show = True
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 25 * MiB)
    data = f.read_bytes()
    _pause_after(engine, item.id, 10 * MiB)
    stored = sum(1 for s in engine.journal.transfer(item.id).segments if s.etag)
    uuid = engine.journal.transfer(item.id).upload_uuid
    _age_links(engine, item.id, sandbox, 3700)
    sandbox.clear_request_log()
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert _storage_puts(sandbox) == 5 - stored
    assert engine.journal.transfer(item.id).upload_uuid == uuid
    assert sandbox.document_bytes(done.procore_id) == data


def test_expired_links_not_resigned_start_a_new_upload_with_stored_hashes(
        tmp_path: Path, demo: Any, make_engine: Any, sandbox: Sandbox) -> None:
    sandbox.resign_on_show = False
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 15 * MiB)
    data = f.read_bytes()
    _pause_after(engine, item.id, 5 * MiB)
    before = engine.journal.transfer(item.id)
    _age_links(engine, item.id, sandbox, 3700)
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    after = engine.journal.transfer(item.id)
    assert after.upload_uuid != before.upload_uuid
    assert [s.sha256 for s in after.segments] == [s.sha256 for s in before.segments]
    assert sandbox.document_bytes(done.procore_id) == data
    assert len([d for d in sandbox.documents(project_id=demo.project_ids[0])
                if d["name"] == "big.bin"]) == 1


def test_link_expiring_during_upload_is_refreshed(tmp_path: Path, demo: Any, make_engine: Any,
                                                  sandbox: Sandbox) -> None:
    """The journal thinks the links are fresh, but storage says they expired."""
    sandbox.resign_on_show = True
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 11 * MiB)
    _pause_after(engine, item.id, 5 * MiB)
    sandbox.advance_clock(3700)
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert sandbox.document_bytes(done.procore_id) == f.read_bytes()


def test_upload_of_another_user_is_started_again(tmp_path: Path, demo: Any, make_engine: Any,
                                                 sandbox: Sandbox) -> None:
    first = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(first, demo, f, 11 * MiB)
    _pause_after(first, item.id, 5 * MiB)
    old_uuid = first.journal.transfer(item.id).upload_uuid
    first.close()
    first.journal.close()
    other = make_engine(user_id=demo.other_user_id)
    done = other.run(other.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert other.journal.transfer(item.id).upload_uuid != old_uuid
    assert sandbox.document_bytes(done.procore_id) == f.read_bytes()


def test_sign_in_as_someone_else_in_the_same_session_restarts_the_upload(
        tmp_path: Path, demo: Any, sandbox: Sandbox, settings: Any) -> None:
    # The window keeps one engine and swaps the sign-in underneath it.
    tokens = SwitchableTokens(StaticTokenProvider(sandbox.issue_token(demo.user_id),
                                                  identity=str(demo.user_id)))
    engine = UploadEngine(ProcoreClient(sandbox.api_url, tokens),
                          Journal.open(tmp_path / "j.sqlite3"), settings)
    try:
        f = tmp_path / "big.bin"
        item = _queue(engine, demo, f, 11 * MiB)
        _pause_after(engine, item.id, 5 * MiB)
        old_uuid = engine.journal.transfer(item.id).upload_uuid
        tokens.replace(StaticTokenProvider(sandbox.issue_token(demo.other_user_id),
                                           identity=str(demo.other_user_id)))
        done = engine.run(engine.retry(item.id).id, TransferControl())
        assert done.state is UploadState.DONE, done.error
        assert engine.journal.transfer(item.id).upload_uuid != old_uuid
        assert sandbox.document_bytes(done.procore_id) == f.read_bytes()
    finally:
        engine.close()
        engine.journal.close()


def test_lost_association_answer_does_not_duplicate(tmp_path: Path, demo: Any,
                                                    make_engine: Any, sandbox: Sandbox) -> None:
    """Procore recorded the file but the app never heard back (killed): no second document."""
    engine = make_engine()
    f = tmp_path / "minutes.txt"
    f.write_text("meeting minutes")
    [item] = engine.add([f], _dest(demo)).items
    done = engine.run(item.id, TransferControl())
    assert done.state is UploadState.DONE
    # Rewind the journal to "association sent, answer unknown", as a kill would leave it.
    engine.journal.update(item.id, state=UploadState.FINISHING)
    engine.journal.update(item.id, phase=Phase.ASSOCIATING)
    again = engine.run(item.id, TransferControl())
    assert again.state is UploadState.DONE and again.procore_id == done.procore_id
    assert len([d for d in sandbox.documents(project_id=demo.project_ids[0])
                if d["name"] == "minutes.txt"]) == 1


def test_file_changed_between_runs_is_uploaded_fresh_not_mixed(
        tmp_path: Path, demo: Any, make_engine: Any, sandbox: Sandbox) -> None:
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 15 * MiB)
    _pause_after(engine, item.id, 5 * MiB)
    new = os.urandom(12 * MiB)
    f.write_bytes(new)
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE, done.error
    assert done.size == len(new)
    assert sandbox.document_bytes(done.procore_id) == new


def test_file_deleted_between_runs_fails_with_reason(tmp_path: Path, demo: Any,
                                                     make_engine: Any) -> None:
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 11 * MiB)
    _pause_after(engine, item.id, 5 * MiB)
    f.unlink()
    failed = engine.run(engine.retry(item.id).id, TransferControl())
    assert failed.state is UploadState.FAILED
    assert "moved, renamed or deleted" in (failed.error or "")


def test_links_refreshed_before_their_hour_ends(tmp_path: Path, demo: Any, make_engine: Any,
                                                sandbox: Sandbox) -> None:
    assert storage_flows.LINK_LIFETIME - storage_flows.LINK_MARGIN < 3600
    sandbox.resign_on_show = True
    engine = make_engine()
    f = tmp_path / "big.bin"
    item = _queue(engine, demo, f, 11 * MiB)
    _pause_after(engine, item.id, 5 * MiB)
    _age_links(engine, item.id, sandbox, 3400)  # still valid for 200 s: too close to risk
    sandbox.clear_request_log()
    done = engine.run(engine.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE
    shows = [r for r in sandbox.request_log if r.method == "GET" and "/uploads/" in r.path]
    assert len(shows) == 1


class _Killed(BaseException):
    """Stands for the process dying at that instant (nothing after it runs)."""


def test_killed_after_association_keeps_the_document_id(tmp_path: Path, demo: Any,
                                                        make_engine: Any, sandbox: Sandbox,
                                                        monkeypatch: Any) -> None:
    first = make_engine()
    f = tmp_path / "report.pdf"
    f.write_bytes(b"%PDF-1.4 final report")
    [item] = first.add([f], _dest(demo)).items
    real_update = first.journal.update

    def dies_at_the_end_state(upload_id: int, **values: Any) -> None:
        if values.get("state") is UploadState.DONE:
            raise _Killed()
        real_update(upload_id, **values)

    monkeypatch.setattr(first.journal, "update", dies_at_the_end_state)
    with pytest.raises(_Killed):
        first.run(item.id, TransferControl())
    monkeypatch.undo()
    first.close()
    first.journal.close()
    [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
             if d["name"] == "report.pdf"]
    again = make_engine()
    done = again.run(again.retry(item.id).id, TransferControl())
    assert done.state is UploadState.DONE
    assert done.procore_id == doc["id"], "the id was written with the association"
    assert done.web_url is not None and "/project/documents" in done.web_url
    assert len([d for d in sandbox.documents(project_id=demo.project_ids[0])
                if d["name"] == "report.pdf"]) == 1


def test_no_connection_waits_for_it_then_continues(tmp_path: Path, demo: Any, sandbox: Sandbox,
                                                   settings: Any) -> None:
    """Procore out of reach (every connection dropped) once the retries are used up: the file
    is not failed but waits for the connection, kept in the journal; it then finishes once."""
    from uploader_gui.procore.http import RetryPolicy
    from uploader_gui.sandbox import Fault
    from uploader_gui.transfer.engine import CONTINUES_LATER

    client = ProcoreClient(sandbox.api_url,
                           StaticTokenProvider(sandbox.issue_token(demo.user_id),
                                               identity=str(demo.user_id)),
                           retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
    journal = Journal.open(tmp_path / "journal.sqlite3")
    engine = UploadEngine(client, journal, settings)
    try:
        f = tmp_path / "site plan.pdf"
        f.write_bytes(os.urandom(3000))
        [item] = engine.add([f], _dest(demo)).items
        sandbox.faults.add(Fault("reset", "create", times=None))
        waited = engine.run(item.id, TransferControl())
        assert waited.state is UploadState.WAITING_NETWORK, waited.error
        assert waited.error is not None and "connection" in waited.error
        assert waited.error.endswith(CONTINUES_LATER)
        assert [i.id for i in engine.unfinished()] == [item.id], "kept to continue"
        sandbox.faults.clear()
        done = engine.run(engine.retry(item.id).id, TransferControl())
        assert done.state is UploadState.DONE and done.error is None
        docs = [d for d in sandbox.documents(project_id=demo.project_ids[0])
                if d["name"] == "site plan.pdf"]
        assert len(docs) == 1 and sandbox.document_bytes(docs[0]["id"]) == f.read_bytes()
    finally:
        engine.close()
        journal.close()
        client.close()
