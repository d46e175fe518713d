"""Kill -9 of the real ``procore-uploader upload`` process at each point of an upload, then resume.

Every case runs the command line as a child process against an in-process sandbox over real
sockets, waits for a precise moment, kills the child with SIGKILL, runs ``procore-uploader resume``
and checks: exactly one document in Procore with the file's name and exact bytes, no storage part
that was confirmed in the journal sent again, and no more bytes re-sent than the parts that were
in flight at the kill (storage request bytes counted in the sandbox's request log).

How each moment is reached, without sleeps:

- before create: the create request is stalled by a ``stall`` fault; the kill comes once the
  sandbox holds it (the fault has fired), so Procore never records an upload.
- create answered but lost: ``delay_after_commit`` on create; Procore recorded the upload, the
  client never heard back.
- while hashing: hashing is local work that no sandbox fault can stop. The child is started
  through ``hold_hashing.py``, the unchanged command line with a hook that hashes the first
  segment for real and then holds the hashing (it writes a marker file); the kill comes then.
- mid-segments: every storage PUT after the second is stalled; the kill comes once the journal
  holds the two confirmed ETags and the other four parts are held in storage.
- segments stored, answers lost: storage keeps each of the first four parts, then holds its
  answer (``delay_after_commit``); the kill comes with four parts in storage the client never
  heard about, so they count as in flight.
- mid-POST (a small file): the storage POST is stalled, the kill comes while it is held.
- after PATCH: ``delay_after_commit`` on the PATCH; the upload is complete in Procore, the client
  never heard back.
- association in flight: ``delay_after_commit`` on the association (Procore created the
  document, the answer never came) and ``stall`` (the request never got processed).

The stalled requests of the killed process stay held in the sandbox (600 s) until the sandbox
stops, so they never mix into the resume's request log.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.reliability.unprivileged import permission_checked
from tests.test_cli import CLI, _companies, env  # noqa: F401  (a fixture)
from uploader_gui.sandbox import Fault, Sandbox

MiB = 1024 * 1024
SEGMENT = 5 * MiB
HOLD = [sys.executable, str(Path(__file__).with_name("hold_hashing.py"))]
#: A storage POST carries the signed form fields before the file; they are not file bytes.
FORM_OVERHEAD = 16 * 1024
HELD = 600.0


@dataclass
class Watch:
    """What a case's readiness check can look at while the child runs."""

    sandbox: Sandbox
    journal: Path
    faults: list[Fault]
    marker: Path

    def etags(self) -> dict[int, str]:
        return {idx: etag for idx, etag in _query(
            self.journal, "SELECT idx, etag FROM segments WHERE etag IS NOT NULL")}


@dataclass
class Point:
    name: str
    size: int
    #: What Procore holds when the child is killed: uploads, complete uploads, documents.
    procore_at_kill: tuple[int, int, int]
    faults: Callable[[], list[Fault]]
    ready: Callable[[Watch], bool]
    #: Bytes of storage parts in flight (started, not confirmed) at the kill.
    in_flight: Callable[[Watch], int] = lambda w: 0
    hold_hashing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _fired(w: Watch) -> bool:
    return w.faults[0].fired >= 1


POINTS = [
    Point("before-create", 30 * MiB, (0, 0, 0),
          lambda: [Fault("stall", "create", seconds=HELD)], _fired),
    Point("create-answer-lost", 30 * MiB, (1, 0, 0),
          lambda: [Fault("delay_after_commit", "create", seconds=HELD)], _fired),
    Point("while-hashing", 30 * MiB, (0, 0, 0), list, lambda w: w.marker.exists(),
          hold_hashing=True),
    Point("mid-segments", 30 * MiB, (1, 0, 0),
          lambda: [Fault("stall", "storage_put", seconds=HELD, after=2, times=None)],
          lambda w: len(w.etags()) == 2 and w.faults[0].fired == 4,
          in_flight=lambda w: w.faults[0].fired * SEGMENT),
    Point("segments-stored-answers-lost", 30 * MiB, (1, 0, 0),
          lambda: [Fault("delay_after_commit", "storage_put", seconds=HELD, times=None)],
          lambda w: w.faults[0].fired == 4,
          in_flight=lambda w: w.faults[0].fired * SEGMENT),
    Point("mid-post", 3 * MiB, (1, 0, 0),
          lambda: [Fault("stall", "storage_post", seconds=HELD)], _fired,
          in_flight=lambda w: 3 * MiB),
    Point("after-patch", 30 * MiB, (1, 1, 0),
          lambda: [Fault("delay_after_commit", "patch", seconds=HELD)], _fired),
    Point("association-recorded-answer-lost", 30 * MiB, (1, 1, 1),
          lambda: [Fault("delay_after_commit", "associate", seconds=HELD)], _fired),
    Point("association-not-yet-recorded", 3 * MiB, (1, 1, 0),
          lambda: [Fault("stall", "associate", seconds=HELD)], _fired),
]


def _query(journal: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the child's journal read-only while it runs (WAL lets a reader in)."""
    if not journal.exists():
        return []
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return list(db.execute(sql).fetchall())
        finally:
            db.close()
    except sqlite3.Error:
        return []  # not created yet


def _wait_until(ready: Callable[[], bool], proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 90
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the upload ended before {what}: {proc.returncode}\n{out}\n{err}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"never reached {what}")
        time.sleep(0.02)


def _storage_requests(sb: Sandbox) -> list[Any]:
    return [r for r in sb.request_log if r.server == "storage"
            and r.method in ("PUT", "POST")]


def _part(record: Any) -> int | None:
    numbers = parse_qs(record.query).get("partNumber")
    return int(numbers[0]) if numbers else None


#: Figures per crash point, printed at the end of each case (docs/crash-safety.md quotes them).
def _report(point: Point, figures: dict[str, Any]) -> None:
    print(f"\ncrash point {point.name}: " + json.dumps(figures))


@pytest.mark.parametrize("point", POINTS, ids=[p.name for p in POINTS])
def test_kill_then_resume_uploads_exactly_once(point: Point, sandbox: Sandbox,  # noqa: F811
                                               env: dict[str, str],  # noqa: F811
                                               tmp_path: Path) -> None:
    project_id = _companies(sandbox)[0]["project_ids"][0]
    name = f"{point.name}.bin"
    f = tmp_path / name
    data = os.urandom(point.size)
    f.write_bytes(data)
    watch = Watch(sandbox, Path(env["PROCORE_UPLOADER_HOME"]) / "data" / "journal.sqlite3",
                  [sandbox.faults.add(x) for x in point.faults()], tmp_path / "held")
    child_env = dict(env, HOLD_HASHING_MARKER=str(watch.marker))
    command = (HOLD if point.hold_hashing else CLI) + [
        "upload", str(f), "--project-id", str(project_id), "--segment-size", "5", "--json"]
    proc = subprocess.Popen(command, env=child_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: point.ready(watch), proc, point.name)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    # What survived the kill: confirmed parts in the journal, and what storage has seen.
    [(phase, state)] = _query(watch.journal, "SELECT phase, state FROM uploads")
    kept_parts = watch.etags()
    kept = sum(size for idx, size in _query(
        watch.journal, "SELECT idx, size FROM segments WHERE etag IS NOT NULL"))
    if not _query(watch.journal, "SELECT 1 FROM segments") and phase in (
            "stored", "associating", "associated"):
        kept = point.size  # a non-segmented file already in storage
    in_flight = point.in_flight(watch)
    # What Procore holds at the kill: uploads, complete uploads, documents.
    ups = sandbox.uploads()
    held = (len(ups), sum(u["status"] == "complete" for u in ups),
            len([d for d in sandbox.documents(project_id=project_id) if d["name"] == name]))
    assert held == point.procore_at_kill, "the kill did not land at the point named"
    if point.name in ("before-create", "create-answer-lost", "while-hashing"):
        assert _storage_requests(sandbox) == [], "nothing may reach storage before this point"
    if point.name == "while-hashing":
        assert not _query(watch.journal, "SELECT 1 FROM segments"), "hashing was not finished"

    sandbox.faults.clear()
    sandbox.clear_request_log()
    result = subprocess.run(CLI + ["resume", "--json"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    finished = [json.loads(line) for line in result.stdout.splitlines()
                if json.loads(line)["event"] == "finished"]
    assert [(e["name"], e["state"]) for e in finished] == [(name, "done")]

    docs = [d for d in sandbox.documents(project_id=project_id) if d["name"].startswith(
        point.name)]
    assert len(docs) == 1, f"exactly one document, found {[d['name'] for d in docs]}"
    assert docs[0]["name"] == name
    assert sandbox.document_bytes(docs[0]["id"]) == data

    sent = _storage_requests(sandbox)
    assert not {_part(r) for r in sent if _part(r)} & {i + 1 for i in kept_parts}, \
        "a part confirmed before the kill was sent again"
    resumed_bytes = sum(r.bytes_received for r in sent)
    never_started = point.size - kept - in_flight
    resent = max(0, resumed_bytes - never_started)
    allowance = FORM_OVERHEAD if any(r.method == "POST" for r in sent) else 0
    assert resent <= in_flight + allowance, (resumed_bytes, never_started, in_flight)
    assert resumed_bytes >= point.size - kept, "every byte not stored before must be sent"
    _report(point, {"file_bytes": point.size, "phase_at_kill": phase, "state_at_kill": state,
                    "kept_bytes": kept, "in_flight_bytes": in_flight,
                    "resume_storage_bytes": resumed_bytes, "resent_bytes": resent,
                    "documents": len(docs)})


def _kill_mid_segments(sandbox: Sandbox, env: dict[str, str], f: Path,  # noqa: F811
                       project_id: int) -> None:
    """Start an upload of ``f`` and kill it once two of its parts are confirmed."""
    stall = sandbox.faults.add(Fault("stall", "storage_put", seconds=HELD, after=2, times=None))
    journal = Path(env["PROCORE_UPLOADER_HOME"]) / "data" / "journal.sqlite3"
    proc = subprocess.Popen(CLI + ["upload", str(f), "--project-id", str(project_id),
                                   "--segment-size", "5"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: len(_query(journal, "SELECT 1 FROM segments WHERE etag IS NOT NULL"))
                    == 2 and stall.fired >= 1, proc, "two confirmed parts")
    finally:
        proc.kill()
        proc.communicate(timeout=30)
    sandbox.faults.clear()


def test_file_changed_between_kill_and_resume_is_uploaded_whole_and_told(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    project_id = _companies(sandbox)[0]["project_ids"][0]
    f = tmp_path / "changed.bin"
    f.write_bytes(os.urandom(30 * MiB))
    _kill_mid_segments(sandbox, env, f, project_id)
    new = os.urandom(20 * MiB)
    f.write_bytes(new)
    result = subprocess.run(CLI + ["resume"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "changed since it was added" in result.stdout
    assert "latest saved version was uploaded" in result.stdout
    [doc] = [d for d in sandbox.documents(project_id=project_id) if d["name"] == "changed.bin"]
    assert sandbox.document_bytes(doc["id"]) == new


@pytest.mark.parametrize("how", ["deleted", "renamed"])
def test_file_gone_between_kill_and_resume_is_reported(
        how: str, sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    project_id = _companies(sandbox)[0]["project_ids"][0]
    f = tmp_path / "gone.bin"
    f.write_bytes(os.urandom(30 * MiB))
    _kill_mid_segments(sandbox, env, f, project_id)
    killed = subprocess.run(CLI + ["status", "--json"], env=env, capture_output=True, text=True,
                            timeout=60)
    [row] = [json.loads(line) for line in killed.stdout.splitlines()]
    assert (row["state"], row["bytes_done"]) == ("queued", 2 * SEGMENT), \
        "status counts the parts storage confirmed before the kill"
    if how == "deleted":
        f.unlink()
    else:
        f.rename(tmp_path / "gone (final).bin")
    result = subprocess.run(CLI + ["resume"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert (f"FAILED {f}: The file was moved, renamed or deleted before it finished "
            "uploading.") in result.stderr
    assert not [d for d in sandbox.documents(project_id=project_id)
                if d["name"].startswith("gone")]
    status = subprocess.run(CLI + ["status"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert "Failed" in status.stdout and "moved, renamed or deleted" in status.stdout


def test_two_processes_on_one_journal_never_send_a_file_twice(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """The window and a command (here two commands) resuming the same journal at once."""
    project_id = _companies(sandbox)[0]["project_ids"][0]
    f = tmp_path / "shared.bin"
    data = os.urandom(30 * MiB)
    f.write_bytes(data)
    _kill_mid_segments(sandbox, env, f, project_id)
    stall = sandbox.faults.add(Fault("stall", "storage_put", seconds=HELD, times=None))
    first = subprocess.Popen(CLI + ["resume"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait_until(lambda: stall.fired >= 1, first, "the first resume sending")
        sandbox.clear_request_log()
        second = subprocess.run(CLI + ["resume"], env=env, capture_output=True, text=True,
                                timeout=120)
        assert second.returncode == 1
        assert "is uploading this file right now" in second.stderr
        assert _storage_requests(sandbox) == [], "the second process sent nothing"
        assert [r for r in sandbox.request_log if r.method != "GET"] == []
    finally:
        first.kill()  # the first one crashes while holding the file
        first.communicate(timeout=30)
    sandbox.faults.clear()
    third = subprocess.run(CLI + ["resume"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert third.returncode == 0, third.stderr
    [doc] = [d for d in sandbox.documents(project_id=project_id) if d["name"].startswith("shared")]
    assert sandbox.document_bytes(doc["id"]) == data


def test_file_unreadable_between_kill_and_resume_is_reported(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    """Run as root, the resume runs without root's permission override (see unprivileged.py)."""
    prefix = permission_checked()
    project_id = _companies(sandbox)[0]["project_ids"][0]
    f = tmp_path / "locked.bin"
    f.write_bytes(os.urandom(30 * MiB))
    _kill_mid_segments(sandbox, env, f, project_id)
    f.chmod(0)
    result = subprocess.run(prefix + CLI + ["resume"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert f"FAILED {f}: The file locked.bin could not be read: Permission denied." \
        in result.stderr
    assert "Traceback" not in result.stderr
    assert not [d for d in sandbox.documents(project_id=project_id)
                if d["name"].startswith("locked")]
    f.chmod(0o600)  # once readable, the person uploads it again
    again = subprocess.run(CLI + ["upload", str(f), "--project-id", str(project_id)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    [doc] = [d for d in sandbox.documents(project_id=project_id) if d["name"] == "locked.bin"]
    assert sandbox.document_bytes(doc["id"]) == f.read_bytes()
