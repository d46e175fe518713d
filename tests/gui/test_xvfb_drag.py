"""The real app under Xvfb: two files dragged in from another process with xdotool (XDND)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.gui.conftest import documents_destination

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool (Debian: apt-get install xvfb xdotool)"),
]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _xdotool(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["xdotool", *args], env=env, check=True, capture_output=True,
                          text=True, timeout=20).stdout


def _window_ids(env: dict[str, str], name: str) -> list[str]:
    result = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", name], env=env,
                            capture_output=True, text=True, timeout=20)
    return result.stdout.split()


def screenshot(env: dict[str, str], path: Path) -> None:
    """Grab the whole Xvfb screen with Qt in a helper process."""
    code = ("import sys\nfrom PySide6.QtGui import QGuiApplication\n"
            "app = QGuiApplication(sys.argv)\n"
            "ok = app.primaryScreen().grabWindow(0).save(sys.argv[1])\n"
            "raise SystemExit(0 if ok else 1)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], env=env, check=True, timeout=60)


def test_real_drag_from_another_process_uploads_both_files(display: str, sandbox: Any,
                                                           demo: Any, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    destination = documents_destination(demo)
    (home / "config" / "settings.json").write_text(json.dumps({
        "environment": "custom", "custom_api_base": sandbox.api_url,
        "last_destination": destination.to_json(),
        "last_destination_api_base": sandbox.api_url}))
    files = [tmp_path / "drawing-a.pdf", tmp_path / "photo-b.jpg"]
    for i, f in enumerate(files):
        f.write_bytes(f"file {i} ".encode() * 1000)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PROCORE_UPLOADER_HOME": str(home),
           "PROCORE_ACCESS_TOKEN": sandbox.issue_token(demo.user_id),
           "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    app = subprocess.Popen([sys.executable, "-m", "uploader_gui"], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    source = None
    try:
        _wait(lambda: _window_ids(env, "Procore Uploader"), 30, "the app's window")
        [app_window] = _window_ids(env, "Procore Uploader")[:1]
        _xdotool(env, "windowmove", app_window, "0", "0")
        source = subprocess.Popen([sys.executable, str(HERE / "xdnd_source.py"), "1300", "300",
                                   *map(str, files)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        _wait(lambda: _window_ids(env, "xdnd-source"), 30, "the drag source window")
        time.sleep(1.0)  # the app loads its destination in the background
        _xdotool(env, "mousemove", "1400", "400")
        _xdotool(env, "mousedown", "1")
        # Small steps: XDND needs pointer motion over the target to send its positions.
        for x in range(1380, 500, -60):
            _xdotool(env, "mousemove", str(x), "400")
            time.sleep(0.03)
        _xdotool(env, "mousemove", "520", "420")
        time.sleep(0.3)
        _xdotool(env, "mouseup", "1")

        def both_stored() -> bool:
            names = {d["name"] for d in sandbox.documents(project_id=demo.project_ids[0])}
            return {f.name for f in files} <= names

        _wait(both_stored, 60, "both files in the sandbox")
        for f in files:
            [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
                     if d["name"] == f.name]
            assert sandbox.document_bytes(doc["id"]) == f.read_bytes()
        time.sleep(0.5)  # one redraw tick so the screenshot shows the rows as done
        shot = tmp_path / "xvfb-drag.png"
        screenshot(env, shot)
        assert shot.stat().st_size > 5000
        if os.environ.get("PROCORE_UPLOADER_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["PROCORE_UPLOADER_SCREENSHOT_DIR"]))
    finally:
        if source is not None:
            source.kill()
            source.wait(10)
        app.terminate()
        try:
            out, _ = app.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            app.kill()
            out, _ = app.communicate()
    assert app.returncode is not None
