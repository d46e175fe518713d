"""Bad input through the real command line: a reason per file in plain words, the rest uploaded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.reliability.unprivileged import permission_checked
from tests.test_cli import CLI, _companies, env  # noqa: F401  (a fixture)
from tests.transfer.test_bad_input import _deep_folder
from uploader_gui.sandbox import Sandbox
from uploader_gui.transfer.scan import MAX_FILE_SIZE


def _upload(environ: dict[str, str], project_id: int, *paths: Path,
            prefix: tuple[str, ...] = (), json_lines: bool = False
            ) -> subprocess.CompletedProcess[str]:
    args = ["upload", *map(str, paths), "--project-id", str(project_id)]
    return subprocess.run([*prefix, *CLI, *args, *(["--json"] if json_lines else [])],
                          env=environ, capture_output=True, text=True, timeout=120)


def test_a_drop_of_bad_input_explains_each_file_and_uploads_the_rest(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "empty.txt").write_bytes(b"")
    (drop / "Level 2: plan?.pdf").write_bytes(b"%PDF plan")
    os.mkfifo(drop / "pipe")
    (drop / "broken").symlink_to(drop / "missing")
    (drop / "loop").symlink_to(drop / "loop")
    with open(drop / "pointcloud.e57", "wb") as handle:
        handle.truncate(MAX_FILE_SIZE + 1)
    _deep_folder(drop, 21)
    project_id = _companies(sandbox)[0]["project_ids"][0]

    result = _upload(env, project_id, drop, drop / "empty.txt", drop / "empty.txt",
                     Path("/dev/null"))
    assert result.returncode == 1, "some files were not uploaded"
    assert "Traceback" not in result.stderr
    refused = {line.split(": ", 1)[0].removeprefix("NOT UPLOADED "): line.split(": ", 1)[1]
               for line in result.stderr.splitlines() if line.startswith("NOT UPLOADED ")}
    assert "named pipe" in refused[str(drop / "pipe")]
    assert "no longer exists" in refused[str(drop / "broken")]
    assert "loop" in refused[str(drop / "loop")]
    assert "up to 50 GB" in refused[str(drop / "pointcloud.e57")]
    assert "device" in refused["/dev/null"]
    assert any("too long" in reason for path, reason in refused.items()
               if path.startswith(str(drop / ("d" * 200))))
    assert len(refused) == 6
    out = result.stdout
    assert 'as "Level 2- plan-.pdf" (names in Procore cannot contain : ?)' in out
    assert f"{drop / 'empty.txt'}: given more than once; uploaded once" in out
    assert "3 uploaded, 0 skipped, 6 not uploaded." in out

    docs = {(d["name"], d["parent_id"]): d for d in sandbox.documents(project_id=project_id)}
    empties = [d for (name, _), d in docs.items() if name == "empty.txt"]
    assert len(empties) == 2  # one in the dropped folder, one given on its own (twice, sent once)
    assert all(sandbox.document_bytes(d["id"]) == b"" for d in empties)
    assert not any(u["segmented"] for u in sandbox.uploads()), "empty files go non-segmented"
    assert [n for n, _ in docs if n.startswith("Level 2")] == ["Level 2- plan-.pdf"]


def test_json_lines_carry_the_reasons(sandbox: Sandbox, env: dict[str, str],  # noqa: F811
                                      tmp_path: Path) -> None:
    f = tmp_path / "a|b.txt"
    f.write_text("x")
    os.mkfifo(tmp_path / "pipe")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _upload(env, project_id, f, tmp_path / "pipe", json_lines=True)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    [rejected] = [e for e in events if e["event"] == "rejected"]
    assert rejected["path"].endswith("pipe") and "named pipe" in rejected["reason"]
    [finished] = [e for e in events if e["event"] == "finished"]
    assert finished["name"] == "a-b.txt" and "cannot contain |" in finished["note"]


def test_unreadable_file_is_refused_with_a_reason(sandbox: Sandbox,  # noqa: F811
                                                  env: dict[str, str],  # noqa: F811
                                                  tmp_path: Path) -> None:
    """As root, the command runs without root's permission override (see unprivileged.py)."""
    prefix = permission_checked()
    secret = tmp_path / "payroll.xlsx"
    secret.write_bytes(b"numbers")
    secret.chmod(0)
    fine = tmp_path / "schedule.xlsx"
    fine.write_bytes(b"dates")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    result = _upload(env, project_id, secret, fine, prefix=tuple(prefix))
    assert result.returncode == 1
    assert f"NOT UPLOADED {secret}: You do not have permission to read this file." \
        in result.stderr
    assert "uploaded" in result.stdout and "schedule.xlsx" in result.stdout
    names = [d["name"] for d in sandbox.documents(project_id=project_id)]
    assert "schedule.xlsx" in names and "payroll.xlsx" not in names


def test_empty_folders_are_created_as_a_copy_would_and_are_no_failure(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    drop = tmp_path / "Handover"
    (drop / "Empty").mkdir(parents=True)
    (drop / "Nested" / "Deeper").mkdir(parents=True)
    (drop / "a.pdf").write_bytes(b"%PDF")
    blank = tmp_path / "Blank"
    blank.mkdir()
    project_id = _companies(sandbox)[0]["project_ids"][0]

    result = _upload(env, project_id, drop, blank)

    assert result.returncode == 0, result.stderr
    assert "empty folder  Handover / Nested / Deeper  created" in result.stdout
    assert "1 uploaded, 0 skipped, 0 not uploaded." in result.stdout
    paths = sandbox.folder_paths(project_id)
    assert {("Handover", "Empty"), ("Handover", "Nested", "Deeper"), ("Blank",)} <= paths
