"""The uploads service without Qt: ordered journal writes, live settings, a resizable pool.

Real engine, real journal, real HTTP to the sandbox; a ``slow`` storage fault keeps a file
running long enough to act on it while it runs.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.config import Settings
from uploader_gui.domain import Destination, DestinationKind, UploadState
from uploader_gui.sandbox import Fault, Sandbox
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.http import RetryPolicy
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.transfer.queue import (Idle, ItemChanged, ItemsAdded, Notice, QueueEvent,
                                         UploadService)

MiB = 1024 * 1024


@pytest.fixture
def make_service(make_engine: Any) -> Iterator[Callable[[Settings], UploadService]]:
    services: list[UploadService] = []

    def make(settings: Settings) -> UploadService:
        service = UploadService(make_engine(), settings)
        services.append(service)
        return service

    yield make
    for service in services:
        service.close()


def _dest(demo: Any) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0],
                       folder_id=demo.folder_ids["Drawings"], label="Drawings")


def _write(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(random.randbytes(size))
    return path


def _until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def _journal_state(engine: UploadEngine, upload_id: int) -> UploadState:
    return engine.journal.get(upload_id).state


def test_a_new_segment_size_applies_to_the_next_upload(make_service: Any, demo: Any,
                                                       tmp_path: Path) -> None:
    service = make_service(Settings(segment_threshold_mib=5, segment_size_mib=5,
                                    parallel_segments=2, parallel_files=1))
    first = service.add([_write(tmp_path, "a.dwg", 13 * MiB)], _dest(demo)).items[0]
    assert service.wait_idle(60)
    assert service.engine.journal.transfer(first.id).segment_size == 5 * MiB
    assert service.item(first.id).state is UploadState.DONE

    # A copy, as the Settings dialog makes: the service must hand it to the engine.
    service.apply_settings(replace(service.settings, segment_size_mib=7))
    second = service.add([_write(tmp_path, "b.dwg", 13 * MiB)], _dest(demo)).items[0]
    assert service.wait_idle(60)
    assert service.item(second.id).state is UploadState.DONE
    rec = service.engine.journal.transfer(second.id)
    assert rec.segment_size == 7 * MiB and [s.size for s in rec.segments] == [
        7 * MiB, 6 * MiB]


def test_a_quick_pause_then_resume_never_leaves_a_running_file_paused_in_the_journal(
        make_service: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    sandbox.faults.add(Fault("slow", "storage_put", rate=2 * MiB, times=None))
    service = make_service(Settings(segment_threshold_mib=5, segment_size_mib=5,
                                    parallel_segments=2, parallel_files=1))
    states: list[UploadState] = []
    service.subscribe(lambda e: states.append(e.item.state)
                      if isinstance(e, ItemChanged) else None)
    [item] = service.add([_write(tmp_path, "tower.ifc", 12 * MiB)], _dest(demo)).items
    _until(lambda: UploadState.UPLOADING in states)

    for _ in range(3):
        states.clear()
        service.pause([item.id])
        service.resume([item.id])  # before the worker has even seen the pause
        # Stopped at its next chunk, then queued again and running once more.
        _until(lambda: UploadState.PAUSED in states and states[-1] is UploadState.UPLOADING)
        service.flush()
        # A crash now must continue the file by itself at the next start.
        assert _journal_state(service.engine, item.id).resumes_at_start

    sandbox.faults.clear()
    assert service.wait_idle(120)
    assert service.item(item.id).state is UploadState.DONE
    assert _journal_state(service.engine, item.id) is UploadState.DONE
    docs = [d for d in sandbox.documents(project_id=demo.project_ids[0])
            if d["name"] == "tower.ifc"]
    assert len(docs) == 1


def test_pause_resume_cancel_from_many_threads_end_as_the_service_says(
        make_service: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    sandbox.faults.add(Fault("slow", "storage_put", rate=1 * MiB, times=2))
    service = make_service(Settings(segment_threshold_mib=5, segment_size_mib=5,
                                    parallel_segments=2, parallel_files=1))
    [blocker] = service.add([_write(tmp_path, "blocker.dwg", 8 * MiB)], _dest(demo)).items
    _until(lambda: service.running() == [blocker.id])
    files = [_write(tmp_path, f"sheet-{n}.pdf", 2000 + n) for n in range(6)]
    ids = [i.id for i in service.add(files, _dest(demo)).items]

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        actions = [service.pause, service.resume, service.cancel, service.retry]
        for _ in range(60):
            rng.choice(actions)(rng.sample(ids, 2))

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    service.pause(ids)  # nothing more starts; what is running stops at its next chunk
    assert service.wait_idle(120)
    service.flush()
    for upload_id in ids:
        assert _journal_state(service.engine, upload_id) is service.item(upload_id).state

    service.resume(ids)
    service.retry(ids)
    assert service.wait_idle(120)
    service.flush()
    names = [d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])]
    for upload_id, path in zip(ids, files, strict=True):
        state = service.item(upload_id).state
        assert state is UploadState.DONE, service.item(upload_id).error
        assert _journal_state(service.engine, upload_id) is UploadState.DONE
        assert names.count(path.name) == 1, "sent once, whatever was asked meanwhile"


def test_the_number_of_files_running_follows_the_settings(make_service: Any, sandbox: Sandbox,
                                                          demo: Any, tmp_path: Path) -> None:
    sandbox.faults.add(Fault("slow", "storage_put", rate=1 * MiB, times=None))
    service = make_service(Settings(segment_threshold_mib=5, segment_size_mib=5,
                                    parallel_segments=1, parallel_files=1))
    most: list[int] = [0]

    def count(event: QueueEvent) -> None:
        most[0] = max(most[0], len(service.running()))

    service.subscribe(count)
    ids = [i.id for i in service.add([_write(tmp_path, f"scan-{n}.tif", 6 * MiB)
                                      for n in range(4)], _dest(demo)).items]
    _until(lambda: len(service.running()) == 1)
    time.sleep(0.3)
    assert len(service.running()) == 1 and most[0] == 1

    service.apply_settings(replace(service.settings, parallel_files=3))
    _until(lambda: len(service.running()) == 3)

    service.apply_settings(replace(service.settings, parallel_files=1))
    sandbox.faults.clear()
    _until(lambda: len(service.running()) <= 1, timeout=60)
    most[0] = 0
    more = [i.id for i in service.add([_write(tmp_path, f"note-{n}.txt", 1000 + n)
                                       for n in range(4)], _dest(demo)).items]
    assert service.wait_idle(120)
    assert most[0] == 1, "after shrinking, one file at a time"
    assert all(service.item(i).state is UploadState.DONE for i in ids + more)


def test_loaded_items_are_announced_and_paused_ones_wait(make_service: Any, make_engine: Any,
                                                         demo: Any, tmp_path: Path) -> None:
    engine = make_engine()
    queued, paused = engine.add([_write(tmp_path, "q.pdf", 100), _write(tmp_path, "p.pdf", 200)],
                                _dest(demo)).items
    engine.journal.update(paused.id, state=UploadState.PAUSED)
    service = UploadService(engine, Settings(parallel_files=2))
    try:
        added: list[int] = []
        service.subscribe(lambda e: added.extend(i.id for i in e.items)
                          if isinstance(e, ItemsAdded) else None)
        service.load()
        assert sorted(added) == [queued.id, paused.id]
        assert service.start_unfinished() == [queued.id]
        assert service.wait_idle(60)
        assert service.item(queued.id).state is UploadState.DONE
        assert service.item(paused.id).state is UploadState.PAUSED
    finally:
        service.close()
    assert not [t for t in threading.enumerate()
                if t.name in {"upload-file", "journal-writer"}], "every thread stopped"


def test_files_left_waiting_for_the_connection_are_told_once(sandbox: Sandbox, demo: Any,
                                                              tmp_path: Path) -> None:
    sandbox.faults.add(Fault("reset", "create", times=None))  # Procore out of reach
    client = ProcoreClient(sandbox.api_url, StaticTokenProvider(
        sandbox.issue_token(demo.user_id), identity=str(demo.user_id)),
        retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
    engine = UploadEngine(client, Journal.open(tmp_path / "j.sqlite3"), Settings())
    service = UploadService(engine, Settings(parallel_files=2))
    notices: list[str] = []
    service.subscribe(lambda e: notices.append(e.text) if isinstance(e, Notice) else None)
    try:
        ids = [i.id for i in service.add([_write(tmp_path, f"rfi-{n}.pdf", 500 + n)
                                          for n in range(3)], _dest(demo)).items]
        assert service.wait_idle(60)
        service.flush()
        assert all(service.item(i).state is UploadState.WAITING_NETWORK for i in ids)
    finally:
        service.close()  # every notice is given by then
        engine.close()
        engine.journal.close()
        client.close()
    assert notices == ["Procore could not be reached for 3 files."]


def test_closing_queues_a_running_file_again_but_a_paused_one_stays_paused(
        make_engine: Any, sandbox: Sandbox, demo: Any, tmp_path: Path) -> None:
    sandbox.faults.add(Fault("slow", "storage_put", rate=1 * MiB, times=None))
    engine = make_engine()
    service = UploadService(engine, Settings(segment_threshold_mib=5, segment_size_mib=5,
                                             parallel_segments=1, parallel_files=2))
    states: dict[int, UploadState] = {}
    service.subscribe(lambda e: states.__setitem__(e.item.id, e.item.state)
                      if isinstance(e, ItemChanged) else None)
    running, paused = service.add([_write(tmp_path, "site.mp4", 12 * MiB),
                                   _write(tmp_path, "plan.pdf", 12 * MiB)], _dest(demo)).items
    _until(lambda: states.get(running.id) is UploadState.UPLOADING
           and states.get(paused.id) is UploadState.UPLOADING)
    service.pause([paused.id])  # the person's pause: it must stay paused
    assert service.close(timeout=10)
    # The app closing is not the person's pause: the file continues at the next start.
    assert _journal_state(engine, running.id) is UploadState.QUEUED
    assert _journal_state(engine, paused.id) is UploadState.PAUSED
    assert not service.busy


def test_a_run_that_raises_is_shown_failed_and_the_queue_goes_on(
        make_service: Any, demo: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    service = make_service(Settings(parallel_files=1))
    real_run = service.engine.run
    broken, fine = service.add([_write(tmp_path, "broken.pdf", 100),
                                _write(tmp_path, "fine.pdf", 100)], _dest(demo),
                               start=False).items

    def run(upload_id: int, *args: Any) -> Any:
        if upload_id == broken.id:
            raise ValueError("a defect")
        return real_run(upload_id, *args)

    monkeypatch.setattr(service.engine, "run", run)
    ended: list[tuple[int, UploadState]] = []
    idle = threading.Event()

    def listen(event: QueueEvent) -> None:
        if isinstance(event, ItemChanged) and event.ended:
            ended.append((event.item.id, event.item.state))
        elif isinstance(event, Idle):
            idle.set()

    service.subscribe(listen)
    service.start([broken.id, fine.id])
    assert idle.wait(60), "the service says when nothing runs any more"
    assert ended == [(broken.id, UploadState.FAILED), (fine.id, UploadState.DONE)]
    assert service.item(broken.id).error == "Unexpected problem: a defect"
    service.flush()
    assert _journal_state(service.engine, broken.id) is UploadState.FAILED


def test_workers_are_made_by_the_given_spawn(make_engine: Any, demo: Any,
                                             tmp_path: Path) -> None:
    made: list[str] = []

    def spawn(target: Callable[[], None], name: str) -> threading.Thread:
        made.append(name)
        return threading.Thread(target=target, name=f"custom-{name}")

    service = UploadService(make_engine(), Settings(parallel_files=2), spawn=spawn)
    try:
        service.add([_write(tmp_path, f"{n}.txt", 10) for n in range(3)], _dest(demo))
        assert service.wait_idle(60)
    finally:
        assert service.close(timeout=10)
    assert made == ["upload-file", "upload-file"]
    assert not [t for t in threading.enumerate() if t.name.startswith("custom-")]
