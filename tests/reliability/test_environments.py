"""Uploads are tied to the Procore they were queued for: two sandboxes at once, over real
sockets, through the real command line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli import CLI
from uploader_gui.config import Settings
from uploader_gui.journal.store import Journal
from uploader_gui.procore.client import ProcoreClient
from uploader_gui.procore.tokens import StaticTokenProvider
from uploader_gui.sandbox import DemoInfo, Sandbox
from uploader_gui.transfer.engine import UploadEngine
from uploader_gui.transfer.model import Destination, DestinationKind, UploadState


DEMOS: dict[int, DemoInfo] = {}


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Sandbox, Sandbox]]:
    """Two sandboxes at once, each with its demo company (their ids overlap, as real ones may)."""
    with Sandbox(data_dir=tmp_path / "a") as a, Sandbox(data_dir=tmp_path / "b") as b:
        DEMOS[id(a)], DEMOS[id(b)] = a.seed_demo(), b.seed_demo()
        yield a, b
        DEMOS.pop(id(a)), DEMOS.pop(id(b))


def demo_of(sandbox: Sandbox) -> DemoInfo:
    return DEMOS[id(sandbox)]


def _env(home: Path, sandbox: Sandbox) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    environ.update(PROCORE_UPLOADER_HOME=str(home), PROCORE_API_BASE=sandbox.api_url,
                   PROCORE_ACCESS_TOKEN=sandbox.issue_token(sandbox.state.demo_user_id))
    return environ


def _run(args: list[str], environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=environ, capture_output=True, text=True,
                          timeout=120)


def _journal(home: Path) -> Path:
    path = home / "data" / "journal.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _engine(sandbox: Sandbox, journal: Path) -> UploadEngine:
    uid = sandbox.state.demo_user_id
    client = ProcoreClient(sandbox.api_url,
                           StaticTokenProvider(sandbox.issue_token(uid), identity=str(uid)))
    return UploadEngine(client, Journal.open(journal), Settings())


def _destination(demo: DemoInfo) -> Destination:
    return Destination(DestinationKind.PROJECT_FOLDER, demo.company_id, demo.project_ids[0])


def _names(sandbox: Sandbox) -> list[str]:
    return sorted(d["name"] for d in sandbox.documents())


def test_resume_on_another_procore_leaves_the_uploads_for_theirs(
        two: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    a, b = two
    home = tmp_path / "home"
    f = tmp_path / "plan.pdf"
    f.write_bytes(b"%PDF plan for A")
    engine = _engine(a, _journal(home))
    [queued] = engine.add([f], _destination(demo_of(a))).items  # queued, not sent yet
    engine.close()
    engine.journal.close()

    on_b = _run(["resume"], _env(home, b))
    assert on_b.returncode == 0, on_b.stderr
    assert "Nothing to resume here" in on_b.stdout
    host_a = a.api_url.split("//")[1]
    assert f"1 unfinished upload waits for another Procore (1 for {host_a})" in on_b.stderr
    assert _names(b) == [], "nothing went to the other Procore"
    status_b = _run(["status", "--json"], _env(home, b))
    assert status_b.stdout == "" and host_a in status_b.stderr

    on_a = _run(["resume"], _env(home, a))
    assert on_a.returncode == 0, on_a.stderr
    assert "plan.pdf" in _names(a) and _names(b) == []
    [row] = [json.loads(line) for line in _run(["status", "--json"], _env(home, a))
             .stdout.splitlines()]
    assert (row["id"], row["state"], row["api_base"]) == (queued.id, "done", a.api_url)


def test_already_uploaded_to_one_procore_is_uploaded_to_another(
        two: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    a, b = two
    home = tmp_path / "home"
    f = tmp_path / "report.pdf"
    f.write_bytes(b"%PDF report")
    for sandbox in (a, b):
        project = str(demo_of(sandbox).project_ids[0])
        result = _run(["upload", str(f), "--project-id", project], _env(home, sandbox))
        assert result.returncode == 0, result.stderr
        assert "already uploaded" not in result.stdout
        assert "report.pdf" in _names(sandbox)
    again = _run(["upload", str(f), "--project-id", str(demo_of(b).project_ids[0])],
                 _env(home, b))
    assert "already uploaded" in again.stdout  # on the same Procore it still is a twin


def test_an_engine_never_runs_another_procores_upload(two: tuple[Sandbox, Sandbox],
                                                       tmp_path: Path) -> None:
    a, b = two
    f = tmp_path / "sheet.pdf"
    f.write_bytes(b"%PDF sheet")
    journal = tmp_path / "journal.sqlite3"
    engine_a, engine_b = _engine(a, journal), _engine(b, journal)
    try:
        [item] = engine_a.add([f], _destination(demo_of(a))).items
        assert engine_b.unfinished() == [] and engine_b.items() == []
        assert engine_b.elsewhere() == {a.api_url: 1}
        refused = engine_b.run(item.id)
        assert refused.state is UploadState.QUEUED and "another Procore" in (refused.error or "")
        assert _names(b) == [] and _names(a) == []
        assert engine_a.run(item.id).state is UploadState.DONE
    finally:
        for engine in (engine_a, engine_b):
            engine.close()
            engine.journal.close()


def _version_one_journal(path: Path, file: Path, demo: DemoInfo) -> None:
    """A journal as the previous version wrote it: no api_base column, user_version 1."""
    journal = Journal.open(path)
    journal.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE uploads DROP COLUMN api_base")
    db.execute("INSERT INTO uploads (path, name, size, mtime_ns, destination, subfolders,"
               " conflict, state, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
               (str(file), file.name, file.stat().st_size, file.stat().st_mtime_ns,
                json.dumps(_destination(demo).to_json()), "[]", "keep-both", "queued", 1.0))
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()


def test_a_version_one_journal_is_migrated_and_its_uploads_wait_to_be_adopted(
        two: tuple[Sandbox, Sandbox], tmp_path: Path) -> None:
    a, _ = two
    home = tmp_path / "home"
    f = tmp_path / "older.pdf"
    f.write_bytes(b"%PDF queued by the previous version")
    _version_one_journal(_journal(home), f, demo_of(a))

    plain = _run(["resume"], _env(home, a))
    assert plain.returncode == 0, plain.stderr
    assert "--adopt-older" in plain.stderr and _names(a) == []
    db = sqlite3.connect(_journal(home))
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4  # this version's schema
    db.close()

    adopted = _run(["resume", "--adopt-older"], _env(home, a))
    assert adopted.returncode == 0, adopted.stderr
    assert "1 upload queued by an earlier version is now for" in adopted.stdout
    assert _names(a) == ["older.pdf"]
