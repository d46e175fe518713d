"""A paused or cancelled upload stops at once even when its request is stuck in the network.

The sandbox's ``stall`` fault makes storage take the request and then neither read the body
nor answer: the client's socket blocks (in send for a large body, in receive for a small one)
until its timeout, minutes away. Stopping cuts the connection instead.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

from uploader_gui.procore.client import ProcoreClient, Scope
from uploader_gui.procore.errors import Cancelled, ProcoreError
from uploader_gui.procore.storage import StorageClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.control import TransferControl

MiB = 1024 * 1024


def _stop_while_stuck(call: Any, control: TransferControl,
                      stall: Fault) -> tuple[BaseException | None, float]:
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 10
    # The request has reached storage (which now stalls) and the client is stuck on it.
    while not stall.fired and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stall.fired
    time.sleep(0.3)  # time enough to fill the socket buffers and block
    started = time.monotonic()
    control.pause()
    worker.join(10)
    assert not worker.is_alive(), "the request was not cut off"
    return outcome[0], time.monotonic() - started


def test_pause_cuts_off_a_segment_put_stuck_in_send(sandbox: Sandbox, tmp_path: Path) -> None:
    demo = sandbox.seed_demo()
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(24 * MiB))  # more than the socket buffers hold
    scope = Scope(demo.company_id, demo.project_ids[0])
    with ProcoreClient(sandbox.api_url,
                       StaticTokenProvider(sandbox.issue_token(demo.user_id))) as client:
        created = client.create_upload(scope, {
            "response_filename": "big.bin", "size": 24 * MiB,
            "segments": [{"size": 24 * MiB,
                          "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}]})
    segment = created["segments"][0]
    stall = Fault("stall", "storage_put", seconds=60)
    sandbox.faults.add(stall)
    control = TransferControl()
    with StorageClient(timeout=(10, 120)) as storage:
        error, took = _stop_while_stuck(
            lambda: storage.put_segment(segment["url"], segment["headers"], f, 0, 24 * MiB,
                                        should_stop=control.should_stop, stop_hooks=control),
            control, stall)
    assert isinstance(error, (Cancelled, ProcoreError)), error
    # Not a speed target: without the cut the request would hang for the stall's 60 s.
    assert took < 5.0, f"stopping took {took:.1f} s"


def test_cancel_cuts_off_a_form_post_waiting_for_its_answer(sandbox: Sandbox,
                                                            tmp_path: Path) -> None:
    demo = sandbox.seed_demo()
    f = tmp_path / "small.txt"
    f.write_text("a small file, sent whole, then the answer never comes")
    scope = Scope(demo.company_id, demo.project_ids[0])
    with ProcoreClient(sandbox.api_url,
                       StaticTokenProvider(sandbox.issue_token(demo.user_id))) as client:
        created = client.create_upload(scope, {"response_filename": "small.txt",
                                               "size": f.stat().st_size})
    stall = Fault("stall", "storage_post", seconds=60)
    sandbox.faults.add(stall)
    control = TransferControl()
    with StorageClient(timeout=(10, 120)) as storage:
        error, took = _stop_while_stuck(
            lambda: storage.post_form(created["url"], created["fields"], f, "small.txt",
                                      should_stop=control.should_stop, stop_hooks=control),
            control, stall)
    assert isinstance(error, (Cancelled, ProcoreError)), error
    # Not a speed target: without the cut the request would hang for the stall's 60 s.
    assert took < 5.0, f"stopping took {took:.1f} s"
