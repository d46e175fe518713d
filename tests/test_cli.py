"""The command line, run as a real process against a sandbox over real sockets."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from uploader_gui.sandbox import Fault, Sandbox

MiB = 1024 * 1024
CLI = [sys.executable, "-m", "uploader_gui"]


@pytest.fixture
def env(sandbox: Sandbox, tmp_path: Path) -> dict[str, str]:
    demo = sandbox.seed_demo()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    environ.update(PROCORE_ACCESS_TOKEN=sandbox.issue_token(demo.user_id),
                   PROCORE_UPLOADER_HOME=str(tmp_path / "home"),
                   PROCORE_API_BASE=sandbox.api_url)
    return environ


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + args, env=env, capture_output=True, text=True, timeout=timeout)


def test_upload_folder_then_status(sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "Submittals"
    (root / "Electrical").mkdir(parents=True)
    (root / "cover.pdf").write_bytes(b"cover")
    (root / "Electrical" / "panel.pdf").write_bytes(os.urandom(6 * MiB))
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _run(["upload", str(root), "--project-id", str(project_id), "--folder", "Drawings",
                   "--segment-size", "5", "--json"], env)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    finished = [e for e in events if e["event"] == "finished"]
    assert sorted(e["name"] for e in finished) == ["cover.pdf", "panel.pdf"]
    assert all(e["state"] == "done" for e in finished)
    assert any(e["event"] == "progress" for e in events)
    docs = {d["name"]: d for d in sandbox.documents(project_id=project_id)}
    assert sandbox.document_bytes(docs["panel.pdf"]["id"]) == (
        root / "Electrical" / "panel.pdf").read_bytes()

    status = _run(["status", "--json"], env)
    assert status.returncode == 0
    rows = [json.loads(line) for line in status.stdout.splitlines()]
    assert sorted(r["state"] for r in rows) == ["done", "done"]


def _companies(sandbox: Sandbox) -> list[dict[str, Any]]:
    import requests

    token = sandbox.issue_token(sandbox.state.demo_user_id)
    headers = {"Authorization": f"Bearer {token}"}
    out = []
    for company in requests.get(f"{sandbox.api_url}/rest/v1.0/companies", headers=headers,
                                timeout=10).json():
        projects = requests.get(f"{sandbox.api_url}/rest/v1.0/projects",
                                params={"company_id": company["id"]},
                                headers={**headers, "Procore-Company-Id": str(company["id"])},
                                timeout=10).json()
        out.append({"id": company["id"], "project_ids": [p["id"] for p in projects]})
    return out


def test_failures_give_non_zero_exit_and_a_reason_per_file(sandbox: Sandbox,
                                                           env: dict[str, str],
                                                           tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("ok")
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _run(["upload", str(good), str(pipe), "--project-id", str(project_id)], env)
    assert result.returncode == 1
    assert "pipe" in result.stderr and "not a file" in result.stderr
    assert "uploaded" in result.stdout and "good.txt" in result.stdout


def test_missing_folder_is_explained(sandbox: Sandbox, env: dict[str, str],
                                     tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("a")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _run(["upload", str(f), "--project-id", str(project_id), "--folder", "Nope/Deeper"],
                  env)
    assert result.returncode != 0
    assert 'no folder named "Nope"' in result.stderr
    created = _run(["upload", str(f), "--project-id", str(project_id), "--folder", "Nope/Deeper",
                    "--create-folders"], env)
    assert created.returncode == 0, created.stderr


def test_rerun_does_not_upload_twice(sandbox: Sandbox, env: dict[str, str],
                                     tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("a")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    args = ["upload", str(f), "--project-id", str(project_id)]
    assert _run(args, env).returncode == 0
    second = _run(args, env)
    assert second.returncode == 0 and "already uploaded" in second.stdout
    assert len([d for d in sandbox.documents(project_id=project_id) if d["name"] == "a.txt"]) == 1


def test_kill_mid_segments_then_resume(sandbox: Sandbox, env: dict[str, str],
                                       tmp_path: Path) -> None:
    f = tmp_path / "video.mp4"
    data = os.urandom(30 * MiB)  # six segments of 5 MiB
    f.write_bytes(data)
    project_id = _companies(sandbox)[0]["project_ids"][0]
    # Every storage PUT after the second waits, so the kill lands mid-segments.
    sandbox.faults.add(Fault("stall", "storage_put", seconds=30, after=2, times=100))
    proc = subprocess.Popen(CLI + ["upload", str(f), "--project-id", str(project_id),
                                   "--segment-size", "5", "--json"],
                            env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ok = [r for r in sandbox.request_log
              if r.server == "storage" and r.method == "PUT" and r.status == 200]
        if len(ok) >= 2:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # let the journal record the second ETag
    # Meanwhile another command asks how things stand: the file is being sent elsewhere.
    [row] = [json.loads(line) for line in _run(["status", "--json"], env).stdout.splitlines()]
    assert row["state"] == "uploading" and "another" in row["error"], row
    assert 0 < row["bytes_done"] < len(data)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    [row] = [json.loads(line) for line in _run(["status", "--json"], env).stdout.splitlines()]
    assert row["state"] == "queued" and not row["error"], "nothing sends it after the kill"
    sandbox.faults.clear()
    sandbox.clear_request_log()
    result = _run(["resume", "--json"], env)
    assert result.returncode == 0, result.stderr
    puts = [r for r in sandbox.request_log if r.server == "storage" and r.method == "PUT"]
    assert len(puts) == 4, "only the segments not yet in storage are sent again"
    docs = [d for d in sandbox.documents(project_id=project_id) if d["name"] == "video.mp4"]
    assert len(docs) == 1
    assert sandbox.document_bytes(docs[0]["id"]) == data


def test_sandbox_command_in_one_process_upload_in_another(tmp_path: Path) -> None:
    home = tmp_path / "home"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    environ["PROCORE_UPLOADER_HOME"] = str(home)
    server = subprocess.Popen(CLI + ["sandbox", "--port", "0", "--data-dir",
                                     str(tmp_path / "data")],
                              env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)
    try:
        assert server.stdout is not None
        lines: list[str] = []
        token = api = project = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (token and api and project):
            line = server.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "PROCORE_ACCESS_TOKEN=" in line:
                token = line.split("PROCORE_ACCESS_TOKEN=", 1)[1].split()[0]
            if "--api-base" in line:
                api = line.split("--api-base", 1)[1].split()[0]
                project = line.split("--project-id", 1)[1].split()[0]
        assert token and api and project, "".join(lines)
        f = tmp_path / "hello.txt"
        f.write_text("hello")
        result = subprocess.run(CLI + ["upload", str(f), "--project-id", project,
                                       "--api-base", api],
                                env={**environ, "PROCORE_ACCESS_TOKEN": token},
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "uploaded" in result.stdout
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=10)


def test_a_rate_limit_hold_is_told_once_and_the_upload_goes_on(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:
    project_id = _companies(sandbox)[0]["project_ids"][0]
    files = []
    for name in ("a.pdf", "b.pdf"):
        (tmp_path / name).write_bytes(os.urandom(1000))
        files.append(str(tmp_path / name))
    # Three calls in every six seconds: the run (8 calls) is held back at least once.
    sandbox.rate_limit_spike = (3, 6.0)
    result = _run(["upload", *files, "--project-id", str(project_id), "--json"], env)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    told = [e["text"] for e in events if e["event"] == "message"]
    assert told and all("slow down" in t and "continue by themselves" in t for t in told), told
    assert len(told) < 4, "once per hold, not every fifth of a second"
    assert sorted(e["name"] for e in events
                  if e["event"] == "finished" and e["state"] == "done") == ["a.pdf", "b.pdf"]


def test_no_connection_leaves_the_file_waiting_for_resume(sandbox: Sandbox, env: dict[str, str],
                                                         tmp_path: Path) -> None:
    f = tmp_path / "rfi.pdf"
    f.write_bytes(os.urandom(2000))
    project_id = _companies(sandbox)[0]["project_ids"][0]
    sandbox.faults.add(Fault("reset", "create", times=None))  # Procore out of reach
    result = _run(["upload", str(f), "--project-id", str(project_id)], env)
    assert result.returncode == 1
    assert "NOT FINISHED" in result.stderr and "connection" in result.stderr
    assert "procore-uploader resume" in result.stdout + result.stderr
    told = result.stdout + result.stderr
    assert told.count("Procore could not be reached for 1 file. Run 'procore-uploader resume' "
                      "once the connection is back") == 1
    [row] = [json.loads(line) for line in _run(["status", "--json"], env).stdout.splitlines()]
    assert row["state"] == "waiting-network"
    sandbox.faults.clear()
    again = _run(["resume", "--json"], env)
    assert again.returncode == 0, again.stderr
    docs = [d for d in sandbox.documents(project_id=project_id) if d["name"] == "rfi.pdf"]
    assert len(docs) == 1 and sandbox.document_bytes(docs[0]["id"]) == f.read_bytes()
