"""Run the app in demo mode as a real process and watch what it does from outside.

A demo keeps its journal and the pretend Procore's stored files in a temporary folder
(``$TMPDIR/procore-uploader-demo-*``), so a test that gives the process its own TMPDIR can read
the journal (read-only) and find the stored bytes while the app runs.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def demo_env(base: Path, **extra: str) -> dict[str, str]:
    """The environment for an app process whose every file stays under ``base``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCORE_")}
    tmp = base / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    env.update(TMPDIR=str(tmp), PROCORE_UPLOADER_HOME=str(base / "home"))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.update(extra)
    return env


def wait_for(check: Callable[[], T], what: str, timeout: float = 60,
             proc: subprocess.Popen[bytes] | None = None) -> T:
    """``check()``'s first true value; fails naming ``what`` (and the app's output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the app exited ({proc.returncode}) before {what}: "
                                 f"{output(proc)}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def output(proc: subprocess.Popen[bytes]) -> str:
    """The end of what the app printed (kept in a file: an unread pipe could fill and stall
    the app)."""
    log = _output_files.get(proc.pid)
    return log.read_text(errors="replace")[-4000:] if log and log.exists() else ""


_output_files: dict[int, Path] = {}


def start(command: Sequence[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Starts the app; what it prints goes to a file beside its TMPDIR."""
    log = Path(env["TMPDIR"]).parent / f"output-{len(_output_files)}.txt"
    with open(log, "wb") as out:
        proc = subprocess.Popen(list(command), env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    _output_files[proc.pid] = log
    return proc


def demo_folders(env: dict[str, str]) -> list[Path]:
    """Every demo folder under the process's TMPDIR, a killed run's too."""
    return [j.parent for j in Path(env["TMPDIR"]).glob("procore-uploader-demo-*/journal.sqlite3")]


def journal_states(folder: Path) -> dict[str, str]:
    """File name → upload state, read from the demo's journal without writing to it."""
    uri = f"file:{folder / 'journal.sqlite3'}?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=5) as db:
            return dict(db.execute("SELECT name, state FROM uploads").fetchall())
    except sqlite3.OperationalError:  # not created yet
        return {}


def stored_copies(folder: Path, data: bytes) -> list[Path]:
    """Files in the pretend Procore's storage holding exactly ``data``."""
    return [p for p in (folder / "procore").rglob("*")
            if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data]


def wait_until_uploaded(env: dict[str, str], path: Path, proc: subprocess.Popen[bytes],
                        timeout: float = 60) -> Path:
    """Waits for ``path`` to be done in the demo's journal with its bytes in its storage."""
    def done_in() -> Path | None:
        # The folder of whichever demo took the file (a killed run's folder may be there too).
        return next((f for f in demo_folders(env)
                     if journal_states(f).get(path.name) == "done"), None)

    folder = wait_for(done_in, f"{path.name} to be uploaded", timeout, proc)
    assert stored_copies(folder, path.read_bytes()), "the bytes are in the demo's storage"
    return folder


def stop(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, as a log-out would send; returns the exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the app did not stop on SIGTERM") from None
