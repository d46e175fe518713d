"""Messages and batch results reach screen readers: the real app under Xvfb, on its own
accessibility bus (AT-SPI), with a listener registered as Orca registers one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.gui.a11y_session import LAUNCHER_PLACES
from tests.gui.conftest import documents_destination

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

pytestmark = pytest.mark.skipif(
    not (shutil.which("Xvfb") and shutil.which("dbus-run-session")
         and shutil.which("dbus-monitor")
         and any(os.access(p, os.X_OK) for p in LAUNCHER_PLACES)),
    reason="needs Xvfb, dbus-run-session, dbus-monitor and at-spi2-core")


def _announced(display: str, home: Path, token: str, files: list[Path], until: str) -> list[str]:
    env = {**os.environ, "DISPLAY": display, "PROCORE_UPLOADER_HOME": str(home),
           "PROCORE_ACCESS_TOKEN": token, "PYTHONPATH": str(ROOT), "TMPDIR": str(home)}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    done = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(HERE / "a11y_session.py"), "60", until,
         "--", sys.executable, "-m", "uploader_gui", *map(str, files)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith('"')]


def test_messages_and_batch_results_are_announced(display: str, sandbox: Any, demo: Any,
                                                  tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    destination = documents_destination(demo)
    (home / "config" / "settings.json").write_text(json.dumps({
        "environment": "custom", "custom_api_base": sandbox.api_url,
        "last_destination": destination.to_json(),
        "last_destination_api_base": sandbox.api_url}))
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF plan")
    missing = tmp_path / "gone.pdf"
    said = _announced(display, home, sandbox.issue_token(demo.user_id), [plan, missing],
                      "uploaded")
    assert "1 file uploaded." in said, said
    assert any("gone.pdf" in text for text in said), said
