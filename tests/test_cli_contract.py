"""The command line against the strict sandbox: the last step of each flow as Procore's
reference defines it (completing PATCH, photos, exactly-once photos after a kill, folders
Procore marks read-only, an app not installed in the company)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import CLI, _run, env  # noqa: F401  (a fixture)
from uploader_gui.sandbox import Fault, Sandbox

MiB = 1024 * 1024


def _demo(sandbox: Sandbox) -> Any:
    with sandbox.state.lock:
        user = sandbox.state.users[sandbox.state.demo_user_id]
        company_id = user.company_ids[0]
        projects = sorted(p.id for p in sandbox.state.projects.values()
                          if p.company_id == company_id)
    return company_id, projects[0]


def _finished(stdout: str) -> list[dict[str, Any]]:
    return [e for e in (json.loads(line) for line in stdout.splitlines())
            if e["event"] == "finished"]


def test_a_40_mib_file_completes(sandbox: Sandbox, env: dict[str, str],  # noqa: F811
                                 tmp_path: Path) -> None:
    _, project_id = _demo(sandbox)
    f = tmp_path / "site model.ifc"
    f.write_bytes(os.urandom(40 * MiB))
    result = _run(["upload", str(f), "--project-id", str(project_id), "--segment-size", "5",
                   "--json"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    [done] = _finished(result.stdout)
    assert done["state"] == "done"
    [doc] = [d for d in sandbox.documents(project_id=project_id) if d["name"] == f.name]
    assert sandbox.document_bytes(doc["id"]) == f.read_bytes()


@pytest.mark.parametrize("album", [True, False], ids=["album", "no-album"])
def test_photos_with_and_without_an_album(sandbox: Sandbox, env: dict[str, str],  # noqa: F811
                                          tmp_path: Path, album: bool) -> None:
    _, project_id = _demo(sandbox)
    photo = tmp_path / "footing.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))
    args = ["upload", str(photo), "--project-id", str(project_id), "--photos", "--json"]
    if album:
        args += ["--album", "Site Progress"]
    result = _run(args, env)
    assert result.returncode == 0, result.stdout + result.stderr
    [image] = sandbox.images(project_id)
    assert image["name"] == "footing.jpg"
    assert (image["album_id"] is not None) is album
    assert sandbox.image_bytes(image["id"]) == photo.read_bytes()


@pytest.mark.parametrize("album", [True, False], ids=["album", "no-album"])
def test_a_kill_while_a_photo_is_created_leaves_exactly_one_photo(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path, album: bool) -> None:  # noqa: F811
    """Procore records the photo, the answer is held; the command is killed then, and
    ``resume`` finds the photo (by its filename) instead of creating a second one."""
    _, project_id = _demo(sandbox)
    photo = tmp_path / "crane lift.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4000))
    held = sandbox.faults.add(Fault("delay_after_commit", "associate", seconds=600))
    args = ["upload", str(photo), "--project-id", str(project_id), "--photos", "--json"]
    if album:
        args += ["--album", "Site Progress"]
    proc = subprocess.Popen(CLI + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while held.fired < 1:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the photo was never created"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(sandbox.images(project_id)) == 1  # created before the kill
    sandbox.faults.clear()
    resumed = _run(["resume", "--json"], env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert [(e["name"], e["state"]) for e in _finished(resumed.stdout)] == [
        ("crane lift.jpg", "done")]
    images = sandbox.images(project_id)
    assert [i["name"] for i in images] == ["crane lift.jpg"]
    assert sandbox.image_bytes(images[0]["id"]) == photo.read_bytes()


def test_a_read_only_folder_is_refused_before_any_byte(sandbox: Sandbox,
                                                       env: dict[str, str],  # noqa: F811
                                                       tmp_path: Path) -> None:
    _, project_id = _demo(sandbox)
    with sandbox.state.lock:
        [folder] = [f.id for f in sandbox.state.folders.values()
                    if f.project_id == project_id and f.name == "Specifications"]
    sandbox.set_folder(folder, read_only=True)
    f = tmp_path / "spec section.pdf"
    f.write_bytes(os.urandom(3000))
    sandbox.clear_request_log()
    result = _run(["upload", str(f), "--project-id", str(project_id),
                   "--folder", "Specifications"], env)
    assert result.returncode == 1
    assert "read-only" in result.stdout + result.stderr
    assert not [r for r in sandbox.request_log if r.server == "storage"]


@pytest.mark.parametrize("status", [401, 403])
def test_an_app_not_installed_is_said_not_looped(sandbox: Sandbox,
                                                env: dict[str, str],  # noqa: F811
                                                tmp_path: Path, status: int) -> None:
    company_id, project_id = _demo(sandbox)
    sandbox.set_company(company_id, app_installed=False, not_installed_status=status)
    f = tmp_path / "rfi.pdf"
    f.write_bytes(b"rfi")
    result = _run(["upload", str(f), "--project-id", str(project_id)], env, timeout=60)
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "not installed" in out and "Traceback" not in out
    assert "login" not in out  # signing in again would not help


def test_the_company_of_an_inactive_project_is_found(sandbox: Sandbox,
                                                     env: dict[str, str],  # noqa: F811
                                                     tmp_path: Path) -> None:
    with sandbox.state.lock:
        user = sandbox.state.users[sandbox.state.demo_user_id]
        [last] = sorted(p.id for p in sandbox.state.projects.values()
                        if p.company_id == user.company_ids[0])[-1:]
    sandbox.set_project_active(last, False)
    f = tmp_path / "closeout.pdf"
    f.write_bytes(b"closeout")
    result = _run(["upload", str(f), "--project-id", str(last)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [d["name"] for d in sandbox.documents(project_id=last)] == ["closeout.pdf"]
