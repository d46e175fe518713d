"""The command line's human-readable lines cannot be recoloured or forged by a file's name."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.test_cli import CLI, _companies, env  # noqa: F401  (a fixture)
from uploader_gui.sandbox import Sandbox

#: A name that recolours the terminal and forges an "uploaded" line of its own.
HOSTILE = "plan\x1b[31mRED\x1b]0;title\x07\nuploaded  salaries.xlsx  →  Project 1"


def test_upload_and_status_lines_escape_control_characters(
        sandbox: Sandbox, env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    f = tmp_path / HOSTILE
    f.write_bytes(b"plan")
    project_id = _companies(sandbox)[0]["project_ids"][0]
    run = [*CLI, "upload", str(f), "--project-id", str(project_id)]
    result = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    status = subprocess.run([*CLI, "status"], env=env, capture_output=True, text=True,
                            timeout=60)
    for output in (result.stdout, result.stderr, status.stdout):
        assert "\x1b" not in output and "\x07" not in output
        assert not any(line.startswith("uploaded  salaries") for line in output.splitlines())
    shown = "plan\\x1b[31mRED\\x1b]0;title\\x07\\nuploaded  salaries.xlsx"
    assert f"uploaded  {tmp_path}/{shown}" in result.stdout
    assert "plan-[31mRED-]0;title--uploaded  salaries.xlsx" in status.stdout  # the Procore name
    # The JSON lines keep the exact name (json.dumps escapes it).
    status_json = subprocess.run([*CLI, "status", "--json"], env=env, capture_output=True,
                                 text=True, timeout=60)
    [row] = [json.loads(line) for line in status_json.stdout.splitlines()]
    assert row["path"] == str(f)
