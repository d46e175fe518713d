"""A brief run of 5xx answers on create, complete or attach is waited out; a file whose bytes
are in storage is never lost to a failure: resume continues it from the attach step."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_cli import CLI
from uploader_gui.journal.store import Journal, Phase
from uploader_gui.sandbox import Fault
from uploader_gui.transfer import step_retry
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import UploadState

from .conftest import SEGMENTED, SMALL, Rig


def test_the_default_waits_span_at_least_thirty_seconds_with_jitter() -> None:
    policy = step_retry.STEP_RETRY
    assert policy.shortest_span() >= 30
    assert [policy.ceiling(n) for n in range(policy.attempts - 1)] == [2, 4, 8, 16, 32]
    draws = {round(policy.backoff(2), 6) for _ in range(20)}
    assert len(draws) > 1 and all(4.0 <= d <= 8.0 for d in draws)
    assert UploadEngine.__init__.__kwdefaults__["step_retry"] is policy


@pytest.mark.parametrize(("spec", "size"), [
    ("create:status=500*8", SMALL),           # outlasts the client's own retries of create
    ("patch:status=500*12", SEGMENTED),       # outlasts the client's own PATCH retries
    ("associate:status=500*5", SMALL),        # outlasts association's own three tries
    ("associate:status=502*5", SEGMENTED),
])
def test_a_brief_outage_is_waited_out(make_rig: Callable[..., Rig], spec: str,
                                      size: int) -> None:
    rig = make_rig(faults=spec)
    path, data = rig.write("handover.pdf", size)
    engine = rig.engine()
    [item] = rig.upload(engine, [path])
    assert item.state is UploadState.DONE, item.error
    assert all(f.exhausted() for f in rig.sandbox.faults.faults), "every 5xx was sent"
    [doc] = rig.documents()
    assert rig.sandbox.document_bytes(doc["id"]) == data


def test_a_file_failed_at_attaching_is_resumed_without_sending_bytes_again(
        make_rig: Callable[..., Rig], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("PROCORE_UPLOADER_HOME", str(home))
    rig = make_rig(faults="associate:status=500*inf")
    path, data = rig.write("model.ifc", SEGMENTED)
    journal_path = Journal.open().path  # the journal the command line uses
    engine = rig.engine(journal=journal_path)
    [item] = rig.upload(engine, [path])
    assert item.state is UploadState.FAILED
    assert engine.journal.transfer(item.id).phase in (Phase.STORED, Phase.ASSOCIATING)
    engine.close()
    engine.journal.close()
    rig.engines.remove(engine)

    rig.sandbox.faults.clear()
    rig.sandbox.clear_request_log()
    environ = {"PROCORE_UPLOADER_HOME": str(home), "PROCORE_API_BASE": rig.sandbox.api_url,
               "PROCORE_ACCESS_TOKEN": rig.sandbox.issue_token(rig.demo.user_id),
               "PATH": "/usr/bin:/bin"}
    resumed = subprocess.run([*CLI, "resume"], env=environ, capture_output=True, text=True,
                             timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Nothing to resume" not in resumed.stdout
    assert "uploaded" in resumed.stdout
    storage = [r for r in rig.sandbox.request_log if r.server == "storage"]
    assert storage == [], "no byte was sent again"
    [doc] = rig.documents()
    assert rig.sandbox.document_bytes(doc["id"]) == data
