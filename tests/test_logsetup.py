"""Where the log file goes: the folder chosen in Settings, else the per-user log folder."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from uploader_gui.config import Settings


def _run_status(home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROCORE_UPLOADER_HOME": str(home)}
    env.pop("PROCORE_ACCESS_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "uploader_gui", "status"], env=env,
                          capture_output=True, text=True, timeout=60)


def test_log_goes_to_the_folder_chosen_in_settings(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    chosen = tmp_path / "chosen logs"
    monkeypatch.setenv("PROCORE_UPLOADER_HOME", str(home))
    Settings(extra={"log_folder": str(chosen)}).save()  # as the Settings dialog saves it
    done = _run_status(home)
    assert done.returncode == 0, done.stderr
    log_file = chosen / "procore-uploader.log"
    assert log_file.is_file()
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_without_a_choice_the_log_is_in_the_user_log_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run_status(home)
    assert done.returncode == 0, done.stderr
    found = list(home.rglob("procore-uploader.log"))
    assert len(found) == 1
    assert stat.S_IMODE(found[0].stat().st_mode) == 0o600
