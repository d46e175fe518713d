"""Uploads through the engine with OAuth tokens: expiry in the middle of a multi-segment upload
with 8 workers refreshes once; a rejected refresh pauses uploads until the next sign-in."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from keyrings.alt.file import PlaintextKeyring

from uploader_gui.auth import session
from uploader_gui.auth.credentials import ClientCredentials
from uploader_gui.auth.switchable import SwitchableTokens
from uploader_gui.config import Environment, Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.sandbox import oauth as sandbox_oauth
from uploader_gui.transfer.control import TransferControl
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import (
    ConflictPolicy,
    Destination,
    DestinationKind,
    ProgressEvent,
    UploadItem,
    UploadState,
)

from .conftest import FakeUser

MiB = 1024 * 1024
WORKERS = 8


@pytest.fixture
def tokens(env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
           file_keyring: PlaintextKeyring) -> SwitchableTokens:
    return SwitchableTokens(session.begin_login(env, fake_user, port=0,
                                                credentials=credentials).wait(10))


@pytest.fixture
def engine(env: Environment, tokens: SwitchableTokens, tmp_path: Path) -> Iterator[UploadEngine]:
    settings = Settings(segment_threshold_mib=5, segment_size_mib=5, parallel_segments=WORKERS,
                        parallel_files=WORKERS)
    client = ProcoreClient(env.api_base, tokens)
    journal = Journal.open(tmp_path / "journal.sqlite3")
    engine = UploadEngine(client, journal, settings, identity=tokens.identity())
    yield engine
    engine.close()
    journal.close()
    client.close()


def _destination(demo: DemoInfo) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       label="Main Street Tower / Documents")


def _files(tmp_path: Path) -> dict[str, bytes]:
    contents = {f"note-{i}.txt": os.urandom(1000 + i) for i in range(WORKERS - 1)}
    contents["site-survey.bin"] = os.urandom(3 * 5 * MiB + 17)  # four segments
    folder = tmp_path / "to-send"
    folder.mkdir()
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    return contents


def _run_all(engine: UploadEngine, ids: list[int],
             on_event: object = None) -> list[UploadItem]:
    results: dict[int, UploadItem] = {}

    def work(upload_id: int) -> None:
        results[upload_id] = engine.run(upload_id, TransferControl(),
                                        on_event or (lambda event: None))  # type: ignore[arg-type]

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads)
    return [results[i] for i in ids]


def test_expiry_mid_upload_with_eight_workers_refreshes_once(
        engine: UploadEngine, sandbox: Sandbox, demo: DemoInfo, tmp_path: Path) -> None:
    contents = _files(tmp_path)
    added = engine.add(sorted((tmp_path / "to-send").iterdir()), _destination(demo),
                       ConflictPolicy.KEEP_BOTH)
    big = next(i for i in added.items if i.path.name == "site-survey.bin")
    expired = threading.Event()

    def on_event(event: ProgressEvent) -> None:
        # Once the big file's bytes are flowing, every access token at Procore expires.
        if event.upload_id == big.id and event.bytes_done > 0 and not expired.is_set():
            expired.set()
            sandbox.advance_clock(5401)

    items = _run_all(engine, [i.id for i in added.items], on_event)

    assert expired.is_set()
    assert [i.state for i in items] == [UploadState.DONE] * WORKERS, [i.error for i in items]
    counts = sandbox_oauth.counters(sandbox.state)
    assert counts.get("refresh_token") == 1 and "refresh_token:failed" not in counts
    stored = {d["name"]: sandbox.document_bytes(d["id"])
              for d in sandbox.documents(project_id=demo.project_ids[0])}
    assert stored == contents


def test_rejected_refresh_pauses_uploads_until_sign_in(
        engine: UploadEngine, tokens: SwitchableTokens, sandbox: Sandbox, demo: DemoInfo,
        env: Environment, credentials: ClientCredentials, fake_user: FakeUser,
        tmp_path: Path) -> None:
    contents = _files(tmp_path)
    added = engine.add(sorted((tmp_path / "to-send").iterdir()), _destination(demo),
                       ConflictPolicy.KEEP_BOTH)
    # Signed out somewhere else: the tokens this app holds are revoked at Procore.
    current = tokens.current
    assert current is not None
    refresh_token = current.sign_in.tokens.refresh_token  # type: ignore[attr-defined]
    requests.post(f"{env.login_base}/oauth/revoke", data={"token": refresh_token}, timeout=10)

    first = _run_all(engine, [i.id for i in added.items])

    assert {i.state for i in first} == {UploadState.WAITING_SIGN_IN}
    assert "sign in again" in (first[0].error or "")
    assert sandbox.documents(project_id=demo.project_ids[0]) == []
    assert sandbox_oauth.counters(sandbox.state).get("refresh_token:failed") == 1

    tokens.replace(session.begin_login(env, fake_user, port=0, credentials=credentials).wait(10))
    for item in added.items:
        engine.retry(item.id)
    second = _run_all(engine, [i.id for i in added.items])

    assert [i.state for i in second] == [UploadState.DONE] * WORKERS, [i.error for i in second]
    stored = {d["name"]: sandbox.document_bytes(d["id"])
              for d in sandbox.documents(project_id=demo.project_ids[0])}
    assert stored == contents
