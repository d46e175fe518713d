"""Hostile or broken answers: nested JSON, an answer dripped byte by byte, http links."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from uploader_gui.procore import errors
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Fault, Sandbox

from .conftest import FakeTokens, Reply, ScriptedServer

FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02)


def _client(sandbox: Sandbox, **kwargs: object) -> ProcoreClient:
    demo = sandbox.seed_demo()
    tokens = StaticTokenProvider(sandbox.issue_token(demo.user_id), identity=str(demo.user_id))
    return ProcoreClient(sandbox.api_url, tokens, retry=FAST, **kwargs)  # type: ignore[arg-type]


def test_deeply_nested_answer_is_a_bad_answer_not_a_crash(sandbox: Sandbox) -> None:
    sandbox.faults.add(Fault("malformed", "api", variant="nested", depth=200_000, times=None))
    with _client(sandbox) as client:
        with pytest.raises(errors.BadResponse, match="could not read"):
            client.me()
        with pytest.raises(errors.BadResponse):
            client.companies()


def test_dripped_answer_is_cut_off_at_the_deadline(sandbox: Sandbox) -> None:
    # One byte every 0.4 s: a 1 s read timeout never fires, the whole answer would take 30 s.
    sandbox.faults.add(Fault("drip", "api", seconds=0.4, times=None))
    before = set(threading.enumerate())
    with _client(sandbox, timeout=(2.0, 1.0), deadline=2.0) as client:
        started = time.monotonic()
        with pytest.raises(errors.NetworkError, match="did not finish answering within 2"):
            client.me()
        took = time.monotonic() - started
    assert took < 2 * 2.0 + 2, f"two attempts of 2 s each, took {took:.1f} s"
    left = [t.name for t in set(threading.enumerate()) - before]
    assert not any(isinstance(t, threading.Timer) for t in threading.enumerate()), left


def test_a_prompt_answer_is_not_cut(sandbox: Sandbox) -> None:
    with _client(sandbox, deadline=0.5) as client:
        for _ in range(5):  # kept-alive connections go back to the pool with the timer off
            assert client.me()["id"]
            time.sleep(0.15)
        assert len(client.companies()) >= 1


def test_next_link_downgrading_https_to_http_is_not_followed(tls_server: ScriptedServer,
                                                             certificate: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    downgraded = f"http://127.0.0.1:{tls_server.port}/rest/v1.0/companies?page=2"
    tls_server.replies = [Reply(200, [{"id": 1}], {"Link": f'<{downgraded}>; rel="next"'})]
    with (ProcoreClient(tls_server.url, FakeTokens("secret-token"), retry=FAST) as client,
          pytest.raises(errors.BadResponse, match="did not follow")):
        client.companies()
    assert len(tls_server.requests) == 1  # the token never went out in the clear


def test_plain_http_storage_link_is_refused_outside_the_sandbox(server: ScriptedServer,
                                                                tmp_path: Path) -> None:
    part = tmp_path / "part.bin"
    part.write_bytes(b"x" * 10)
    with StorageClient(https_only=True) as storage:
        with pytest.raises(errors.BadResponse, match="not secure"):
            storage.put_segment(f"{server.url}/bucket/key", {}, part, 0, 10)
        with pytest.raises(errors.BadResponse, match="not secure"):
            storage.post_form(f"{server.url}/bucket", {"key": "k"}, part, "part.bin")
        with pytest.raises(errors.BadResponse):
            storage.put_segment("ftp://127.0.0.1/bucket/key", {}, part, 0, 10)
    assert server.requests == []
    server.route = lambda seen: Reply(200, b"", {"ETag": '"e1"'})
    with StorageClient() as sandbox_storage:  # a local sandbox speaks plain http
        assert sandbox_storage.put_segment(f"{server.url}/bucket/key", {}, part, 0, 10) == "e1"


def test_engine_for_an_https_procore_sends_bytes_to_https_links_only(tmp_path: Path) -> None:
    from uploader_gui.config import Settings
    from uploader_gui.journal.store import Journal
    from uploader_gui.transfer.engine import UploadEngine

    for base, https_only in (("https://api.procore.com", True), ("http://127.0.0.1:9", False)):
        journal = Journal.open(tmp_path / f"{https_only}.sqlite3")
        engine = UploadEngine(ProcoreClient(base, FakeTokens("t")), journal, Settings())
        try:
            assert engine.storage.https_only is https_only
        finally:
            engine.close()
            journal.close()



@pytest.mark.parametrize(("target", "size"), [("storage_post", 1024),
                                              ("storage_put", 5 * 1024 * 1024 + 1)])
def test_dripped_storage_answer_is_cut_off_at_the_deadline(sandbox: Sandbox, tmp_path: Path,
                                                           target: str, size: int) -> None:
    """One byte every 0.4 s never trips the 1 s read timeout; the whole answer would take over
    40 s. The deadline cuts it, the part is sent again, and the file is stored whole."""
    from uploader_gui.config import Settings
    from uploader_gui.journal.store import Journal
    from uploader_gui.transfer.control import TransferControl
    from uploader_gui.transfer.engine import UploadEngine
    from uploader_gui.transfer.model import Destination, DestinationKind, UploadState

    demo = sandbox.seed_demo()
    sandbox.faults.add(Fault("drip", target, seconds=0.4))
    f = tmp_path / "drawing.pdf"
    f.write_bytes(os.urandom(size))
    client = ProcoreClient(sandbox.api_url, StaticTokenProvider(
        sandbox.issue_token(demo.user_id), identity=str(demo.user_id)), retry=FAST)
    # A local line: 5 MiB take well under a second, so the bytes add half a second at most.
    storage = StorageClient(timeout=(2.0, 1.0), deadline=1.5, min_rate=10 * 1024 * 1024)
    engine = UploadEngine(client, Journal.open(tmp_path / "journal.sqlite3"),
                          Settings(segment_threshold_mib=5, segment_size_mib=5),
                          storage=storage,
                          step_retry=RetryPolicy(attempts=2, base_delay=0.1, max_delay=0.1))
    try:
        dest = Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])
        [item] = engine.add([f], dest).items
        started = time.monotonic()
        done = engine.run(item.id, TransferControl())
        took = time.monotonic() - started
    finally:
        engine.close()
        engine.journal.close()
        client.close()
        storage.close()
    assert done.state is UploadState.DONE, done.error
    assert all(fault.exhausted() for fault in sandbox.faults.faults), "the answer was dripped"
    assert took < 15, f"took {took:.0f} s"
    [doc] = sandbox.documents(project_id=demo.project_ids[0])
    assert sandbox.document_bytes(doc["id"]) == f.read_bytes()
    assert not any(isinstance(t, threading.Timer) for t in threading.enumerate())
