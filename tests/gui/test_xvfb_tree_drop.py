"""Under Xvfb: a file dragged by XDND from another process onto a folder of the tree that is NOT
the selected one lands in that folder in the sandbox (and not in the selected one)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.gui.test_xvfb_drag import _wait, _window_ids, _xdotool, screenshot

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not (shutil.which("Xvfb") and shutil.which("xdotool")),
                       reason="needs Xvfb and xdotool (Debian: apt-get install xvfb xdotool)"),
]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


class Lines:
    """The helper window's stdout, read on a thread that ends when the process does."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.seen: list[dict[str, Any]] = []
        self.raw: list[str] = []
        assert proc.stdout is not None
        self._stdout = proc.stdout
        self.thread = threading.Thread(target=self._read, name="xdnd-window-stdout")
        self.thread.start()

    def _read(self) -> None:
        for line in self._stdout:
            self.raw.append(line)
            if line.startswith("{"):
                self.seen.append(json.loads(line))

    def find(self, key: str) -> dict[str, Any] | None:
        return next((d for d in reversed(self.seen) if key in d), None)


def test_real_drag_onto_a_tree_folder_other_than_the_selected_one(
        display: str, sandbox: Any, demo: Any, tmp_path: Path) -> None:
    spec = tmp_path / "03 30 00 Cast-in-place concrete.pdf"
    spec.write_bytes(b"%PDF-1.7 concrete " * 2000)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "PROCORE_UPLOADER_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    env.pop("WAYLAND_DISPLAY", None)
    (tmp_path / "home").mkdir()
    window = subprocess.Popen(
        [sys.executable, str(HERE / "xdnd_tree_window.py"), sandbox.api_url,
         sandbox.issue_token(demo.user_id), str(demo.user_id), str(tmp_path / "home"),
         "Drawings", "Specifications"],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    lines = Lines(window)
    source = None
    try:
        _wait(lambda: lines.find("target_x") is not None, 60, "the tree's folders on screen")
        place = lines.find("target_x")
        assert place is not None
        assert place["selected"].endswith("Documents / Drawings")
        x, y = int(place["target_x"]), int(place["target_y"])
        source = subprocess.Popen([sys.executable, str(HERE / "xdnd_source.py"), "1300", "300",
                                   str(spec)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        _wait(lambda: _window_ids(env, "xdnd-source"), 30, "the drag source window")
        time.sleep(0.5)
        _xdotool(env, "mousemove", "1400", "400")
        _xdotool(env, "mousedown", "1")
        # Small steps: XDND needs pointer motion over the target to send its positions.
        steps = 30
        for i in range(1, steps + 1):
            _xdotool(env, "mousemove", str(1380 + (x - 1380) * i // steps),
                     str(400 + (y - 400) * i // steps))
            time.sleep(0.03)
        _xdotool(env, "mousemove", str(x + 1), str(y))
        _xdotool(env, "mousemove", str(x), str(y))

        def over_target() -> bool:
            hint = lines.find("hint")
            return hint is not None and hint["hint"].endswith("Documents / Specifications.")

        _wait(over_target, 10, "the tree to show Specifications as the drop target")
        time.sleep(0.3)
        shot = tmp_path / "xvfb-tree-drop.png"
        screenshot(env, shot)  # mid-drag: Specifications highlighted, Drawings selected
        assert shot.stat().st_size > 5000
        if os.environ.get("PROCORE_UPLOADER_SCREENSHOT_DIR"):
            shutil.copy(shot, Path(os.environ["PROCORE_UPLOADER_SCREENSHOT_DIR"]))
        _xdotool(env, "mouseup", "1")

        def stored() -> bool:
            return any(d["name"] == spec.name
                       for d in sandbox.documents(project_id=demo.project_ids[0]))

        _wait(stored, 60, "the file in the sandbox")
        [doc] = [d for d in sandbox.documents(project_id=demo.project_ids[0])
                 if d["name"] == spec.name]
        assert doc["parent_id"] == demo.folder_ids["Specifications"]
        assert sandbox.document_bytes(doc["id"]) == spec.read_bytes()
        assert not any(d["parent_id"] == demo.folder_ids["Drawings"]
                       for d in sandbox.documents(project_id=demo.project_ids[0]))
        dropped = lines.find("dropped")
        assert dropped is not None and dropped["to"].endswith("Documents / Specifications")
    finally:
        if source is not None:
            source.kill()
            source.wait(10)
        if window.stdin is not None:
            window.stdin.close()  # the window shuts down its threads and quits
        try:
            window.wait(30)
        except subprocess.TimeoutExpired:
            window.kill()
            window.wait(10)
        lines.thread.join(10)
    assert window.returncode == 0, "".join(lines.raw[-30:])
